//! Where ARM documents come from. Every source fills [`Documents`]: the documents keyed by id
//! plus the reads that failed, so the estate and the rules never know which source it was.

pub mod arm;
mod pieces;
mod scan;
pub mod snapshot;
pub mod template;
