//! amlsec: a security-baseline auditor for Azure Machine Learning workspaces.
//!
//! Data flows one way: a [`source`] yields ARM documents, [`estate`] resolves each workspace's
//! targets from them by id, [`rules`] say what passes, [`audit`] evaluates and rolls up, and
//! [`report`] renders the result.

pub mod arm_id;
pub mod audit;
pub mod cloud;
pub mod date;
pub mod documents;
pub mod error;
pub mod estate;
pub mod graph;
pub mod input;
pub mod pipeline;
pub mod report;
pub mod rules;
pub mod source;
