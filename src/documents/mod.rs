//! The documents store every source fills and everything downstream reads: ARM documents keyed
//! by id, the reads that failed, how a document enters (checked in full, ids normalised), and
//! the two JSON helpers that follow the ids and names linking documents.

mod doc;
pub mod entry;
mod json;
mod store;

pub use doc::{Doc, Step, Unread, unread_at};
pub use json::{elements, member, text};
pub use store::{Deployment, Documents, Location, Merge, ReadFailure};
