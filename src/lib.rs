//! amlsec: a security-baseline auditor for Azure Machine Learning workspaces.
//!
//! Data flows one way: a [`source`] fills the [`documents`] store, [`estate`] resolves each
//! workspace's targets from it by walking the link [`graph`], [`rules`] say what passes,
//! [`audit`] evaluates and rolls up, and [`report`] renders the result; [`pipeline`] runs it
//! all, request to report. ARCHITECTURE.md has the picture.

pub mod arm_id;
pub mod audit;
pub mod cloud;
pub mod config;
pub mod date;
pub mod documents;
pub mod error;
pub mod estate;
pub mod graph;
pub mod input;
pub mod parallel;
pub mod pipeline;
pub mod report;
pub mod rules;
pub mod source;
pub mod terminal;
