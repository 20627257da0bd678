//! Rule files (DESIGN §9): the model of a control, strict loading with file:line:column
//! diagnostics, and the condition grammar.

mod builtin;
mod check;
pub mod condition;
pub mod load;
pub mod mcsb;
pub mod path;
pub mod reference;

use serde::{Deserialize, Serialize};

pub use builtin::BUILTIN;
pub use condition::{Condition, Params};
pub use load::{RuleSet, RuleSource};
pub use path::Path;

use crate::graph::TargetKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Automated,
    Manual,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Automated => "automated",
            Mode::Manual => "manual",
        }
    }
}

/// The eight baseline categories, in report order, with their titles.
pub const CATEGORIES: &[(&str, &str)] = &[
    ("network", "Network security"),
    ("identity", "Identity management"),
    ("privileged-access", "Privileged access"),
    ("data-protection", "Data protection"),
    ("asset-management", "Asset management"),
    ("logging", "Logging and threat detection"),
    ("posture", "Posture and vulnerability management"),
    ("backup", "Backup and recovery"),
];

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct References {
    /// Seed-question tags of the baseline activity (baseline.md §10).
    #[serde(default)]
    pub seed: Vec<String>,
    /// Microsoft cloud security benchmark v1 control ids (checked against [`mcsb`]).
    #[serde(default)]
    pub mcsb: Vec<String>,
    /// Equivalent checks in other tools and Azure Policy.
    #[serde(default)]
    pub anchors: Vec<String>,
}

impl References {
    /// The ids of the items of `framework` its benchmark controls reach (`3.12`, `AC-4`).
    pub fn mapped(&self, framework: mcsb::Framework) -> Vec<&'static str> {
        framework
            .items(&self.mcsb)
            .into_iter()
            .map(|i| i.id.as_str())
            .collect()
    }
}

/// The paths a control shows as evidence.
#[derive(Debug, Clone, Default)]
pub struct Evidence {
    pub paths: Vec<Path>,
    /// How each path is shown, in the same order: shared by every result of the control
    /// (hundreds of thousands on a large estate), not copied into each.
    pub shown: std::sync::Arc<[Shown]>,
}

/// An evidence path as written, with what a passing resource has there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    pub path: String,
    pub expected: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Control {
    pub id: String,
    pub title: String,
    pub category: String,
    pub category_title: String,
    pub section: Option<String>,
    pub severity: Severity,
    pub level: u8,
    pub mode: Mode,
    pub target: TargetKind,
    /// When false, the control is `not_applicable`; absent means always.
    pub applies: Option<Condition>,
    /// What passes; absent exactly for manual controls.
    pub pass: Option<Condition>,
    /// Where `pass` does not hold, what needs a person instead of failing: a value outside
    /// the lists the control judges (an open enum), a setting ARM does not show.
    pub manual: Option<Condition>,
    pub evidence: Evidence,
    pub remediation: Option<String>,
    pub guidance: Option<String>,
    /// The documentation page for the setting, shown beside every finding.
    pub docs: Option<String>,
    pub references: References,
    /// `file:line:column` where the control is defined.
    pub origin: String,
    /// Whether it comes from the rule files embedded in the binary.
    pub builtin: bool,
}
impl Control {
    /// The targets evaluating this control reads: its own, the `$context` roots of its paths,
    /// and the targets the facts it reads are derived from.
    pub fn needs(&self) -> Vec<TargetKind> {
        let mut paths = Vec::new();
        for c in [&self.applies, &self.pass, &self.manual]
            .into_iter()
            .flatten()
        {
            c.paths(&mut paths);
        }
        paths.extend(&self.evidence.paths);
        let mut needs = vec![self.target.clone()];
        for path in paths {
            let owner = match path.root() {
                path::Root::Context(name) if name != "root" => {
                    let kind = TargetKind::named(name);
                    needs.push(kind.clone());
                    kind
                }
                _ => self.target.clone(),
            };
            for fact in path.facts() {
                if let Some(f) = crate::graph::fact(&owner, fact) {
                    needs.extend(f.needs.iter().filter_map(|n| TargetKind::parse(n).ok()));
                }
            }
        }
        needs
    }
}
