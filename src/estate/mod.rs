//! A workspace's estate: every target of baseline.md §1.2 resolved from documents by id.

mod target;

pub use target::{CONTEXTS, DiagnosedResource, TargetKind};
