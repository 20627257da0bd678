//! Where ARM documents come from. Every source produces [`Documents`]: the documents keyed by
//! id plus the reads that failed, so the estate and the rules never know which source it was.

pub mod arm;
mod documents;
pub mod entry;
mod scan;
pub mod snapshot;

pub use documents::{Documents, Merge, ReadFailure};
