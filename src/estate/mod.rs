//! A workspace's estate: the targets of baseline.md §1.2 an audit needs, resolved from
//! documents by id only, by walking the link graph ([`crate::graph`]).
//!
//! Instance documents are the ARM bodies, plus what the spec says a target "includes"
//! (`privateDnsZoneGroups`, `virtualNetworkLinks`) at the root, plus derived facts under
//! `amlsec` (computed once here, so rules stay declarative).

mod derived;
mod gathered;
mod policy;
mod resolve;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde_json::Value;

pub use resolve::{Shared, resolve};

use crate::graph::{self, TargetKind};

use crate::documents::{Doc, ReadFailure};

/// One resource a control is evaluated against.
#[derive(Debug, Clone)]
pub struct Instance {
    /// Shared with every result judged on it (a workspace's id appears in dozens).
    pub id: std::sync::Arc<str>,
    pub state: InstanceState,
}

#[derive(Debug, Clone)]
pub enum InstanceState {
    /// The document, with the places in it that could not be read.
    Doc(Doc),
    /// A read this instance needs failed.
    Failed(ReadFailure),
    /// The instance cannot be judged from ARM with the current scope (baseline.md §1.4).
    Manual(String),
}

/// A resolved target.
#[derive(Debug, Clone)]
pub enum Target {
    /// The workspace has none of these (no registry, no computes, …): why, in words.
    Absent(String),
    /// A read the whole target depends on failed.
    Failed(ReadFailure),
    Present(Vec<Instance>),
}

/// The targets of one audited workspace.
#[derive(Debug)]
pub struct Estate {
    /// The id of the workspace as audited (the project, for a project).
    pub id: String,
    /// The audited workspace body, when it could be read.
    pub audited: Result<Value, ReadFailure>,
    /// The settings it was resolved with, which rules may read too.
    pub settings: crate::cloud::Settings,
    targets: BTreeMap<TargetKind, Target>,
    unresolved: Target,
}

impl Estate {
    /// A resolved target; one the audit did not resolve is a failed read, never absent, so a
    /// gap in what was asked for cannot pass.
    pub fn target(&self, kind: &TargetKind) -> &Target {
        self.targets.get(kind).unwrap_or(&self.unresolved)
    }

    /// The audited workspace's name, from its id.
    pub fn name(&self) -> &str {
        crate::arm_id::last_segment(&self.id)
    }

    /// The document a rule path's `$name` root names: a single-instance target of this
    /// workspace (a context of the link graph).
    pub fn context(&self, name: &str) -> Result<Option<&Doc>, ReadFailure> {
        match graph::link_named(name).filter(|l| l.context) {
            Some(link) => self.single(&TargetKind::named(link.name)),
            None => Ok(None),
        }
    }

    /// The document of a single-instance target, for `$name` paths.
    fn single(&self, kind: &TargetKind) -> Result<Option<&Doc>, ReadFailure> {
        match self.target(kind) {
            Target::Absent(_) => Ok(None),
            Target::Failed(f) => Err(f.clone()),
            Target::Present(instances) => match instances.first().map(|i| &i.state) {
                Some(InstanceState::Doc(doc)) => Ok(Some(doc)),
                Some(InstanceState::Failed(f)) => Err(f.clone()),
                Some(InstanceState::Manual(_)) | None => Ok(None),
            },
        }
    }
}
