//! What an audit finds: statuses, evidence, results per resource, control and subject, and
//! their summaries.

use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::exceptions::Waiver;
use super::{answers, baseline};
use crate::documents::ReadFailure;
use crate::graph::Subject;
use crate::rules::{Control, Shown};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Fail,
    Manual,
    NotApplicable,
    Error,
    Waived,
    /// Only a template audit: the template cannot tell (a target it does not deploy, or a
    /// value known at deployment time). Never a pass, not scored (baseline.md §1.6 v0.2).
    Unknown,
}

impl Status {
    /// Every status, in the order reports list them.
    pub const ALL: [Status; 7] = [
        Status::Fail,
        Status::Waived,
        Status::Error,
        Status::Unknown,
        Status::Manual,
        Status::Pass,
        Status::NotApplicable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Manual => "manual",
            Status::NotApplicable => "not_applicable",
            Status::Error => "error",
            Status::Waived => "waived",
            Status::Unknown => "unknown",
        }
    }

    /// What a read that failed makes a control: `unknown` when the source could not tell
    /// (a template), else `error`.
    pub fn unjudged(failure: &ReadFailure) -> Status {
        if failure.unknown {
            Status::Unknown
        } else {
            Status::Error
        }
    }

    /// Precedence when rolling up instances: fail > error > unknown > manual > pass >
    /// not_applicable.
    pub(crate) fn weight(self) -> u8 {
        match self {
            Status::Fail => 6,
            Status::Error => 5,
            Status::Unknown => 4,
            Status::Manual => 3,
            Status::Waived => 2,
            Status::Pass => 1,
            Status::NotApplicable => 0,
        }
    }
}

/// Texts that many results repeat, held once per audit: evidence such as `["Disabled"]` and
/// messages such as "1 of 1 resource passes" recur on every workspace, and a large audit holds
/// hundreds of thousands of results.
#[derive(Debug, Default)]
pub struct SharedTexts(std::collections::HashSet<Arc<str>, foldhash::fast::RandomState>);

impl SharedTexts {
    pub fn share(&mut self, text: String) -> Arc<str> {
        if let Some(held) = self.0.get(text.as_str()) {
            return Arc::clone(held);
        }
        let held: Arc<str> = text.into();
        self.0.insert(Arc::clone(&held));
        held
    }

    /// `text`, or the text held equal to it: a resource's id, shared by the results of every
    /// subject that judges it (a subscription's policies are judged for each workspace).
    pub fn keep(&mut self, text: &Arc<str>) -> Arc<str> {
        match self.0.get(text) {
            Some(held) => Arc::clone(held),
            None => {
                self.0.insert(Arc::clone(text));
                Arc::clone(text)
            }
        }
    }
}

/// What a control's evidence paths held on one resource: the paths, shared with the control,
/// and the values as one JSON array text, shared between results that found the same.
#[derive(Debug, Clone, Default)]
pub struct Evidence {
    shown: Arc<[Shown]>,
    /// A JSON array, one value per path; absent when there is no path or no read.
    values: Option<Arc<str>>,
}

impl Evidence {
    /// `values` must serialise as a JSON array with a value for each of `shown`.
    pub fn new(shown: Arc<[Shown]>, values: &impl Serialize, texts: &mut SharedTexts) -> Evidence {
        // Values that came from JSON serialise without fail.
        let values = (!shown.is_empty())
            .then(|| texts.share(serde_json::to_string(values).expect("JSON values serialise")));
        Evidence { shown, values }
    }

    pub fn is_empty(&self) -> bool {
        self.shown.is_empty()
    }

    pub fn iter(&self) -> std::vec::IntoIter<EvidenceItem<'_>> {
        let values: Vec<&RawValue> = self
            .values
            .as_deref()
            .and_then(|v| serde_json::from_str(v).ok())
            .unwrap_or_default();
        self.shown
            .iter()
            .zip(values)
            .map(|(shown, value)| EvidenceItem {
                path: &shown.path,
                actual: Actual(value),
                expected: shown.expected.as_deref(),
            })
            .collect::<Vec<_>>()
            .into_iter()
    }
}

impl<'e> IntoIterator for &'e Evidence {
    type Item = EvidenceItem<'e>;
    type IntoIter = std::vec::IntoIter<EvidenceItem<'e>>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl Serialize for Evidence {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_seq(self)
    }
}

/// What one evidence path held on one resource.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct EvidenceItem<'e> {
    pub path: &'e str,
    pub actual: Actual<'e>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<&'e str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ResourceResult {
    pub id: std::sync::Arc<str>,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub evidence: Evidence,
    /// The exception that waived this resource's failure. Boxed, as are the other rare parts
    /// of a result: a large audit holds hundreds of thousands of results.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiver: Option<Box<Waiver>>,
    /// Whether a `--baseline` report already had this failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<baseline::Seen>,
    /// Where a template declares the resource.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Box<crate::documents::Location>>,
}

impl ResourceResult {
    /// A failure the `--baseline` report did not have.
    pub fn is_new(&self) -> bool {
        self.baseline == Some(baseline::Seen::New)
    }
}

#[derive(Debug, Clone)]
pub struct ControlResult<'r> {
    pub control: &'r Control,
    pub status: Status,
    /// Shared: a few messages ("1 of 1 resource passes") stand for most results.
    pub message: Arc<str>,
    pub resources: Vec<ResourceResult>,
    /// Set when every failure of the control was waived.
    pub waiver: Option<Box<Waiver>>,
    /// The team's answer to a manual control (`--answers`).
    pub answer: Option<Box<answers::Answer>>,
}

/// A value found on a resource, as JSON text.
#[derive(Debug, Clone, Copy)]
pub struct Actual<'e>(&'e RawValue);

impl Serialize for Actual<'_> {
    /// As the value itself, so a pretty-printed report indents it like the rest.
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.value().serialize(s)
    }
}

impl Actual<'_> {
    pub fn value(&self) -> Value {
        serde_json::from_str(self.0.get()).unwrap_or(Value::Null)
    }

    /// As reports show it: a string without its quotes, nothing as `(missing)`, anything
    /// else as JSON.
    pub fn shown(&self) -> String {
        match self.value() {
            Value::Null => "(missing)".to_string(),
            Value::String(s) => s,
            _ => self.0.get().to_string(),
        }
    }
}

impl std::fmt::Display for EvidenceItem<'_> {
    /// `path = actual (expected …)`, the form every report shows evidence in.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} = {}", self.path, self.actual.shown())?;
        match &self.expected {
            Some(x) => write!(f, " (expected {x})"),
            None => Ok(()),
        }
    }
}

impl ControlResult<'_> {
    /// The resources that fail or could not be judged: what a report lists as findings.
    pub fn findings(&self) -> impl Iterator<Item = &ResourceResult> {
        self.resources
            .iter()
            .filter(|r| matches!(r.status, Status::Fail | Status::Error | Status::Unknown))
    }

    /// The control's status from its resources': fail > error > manual > waived > pass >
    /// not_applicable.
    pub fn roll_up(&mut self) {
        if let Some(status) = worst(&self.resources) {
            self.status = status;
        }
    }
}

pub use crate::graph::SubjectId;

/// The results of one audited subject (a workspace, an AML registry).
#[derive(Debug, Clone)]
pub struct SubjectResult<'r> {
    pub subject: &'static Subject,
    pub id: String,
    pub name: String,
    pub location: Option<String>,
    /// The body's `kind`, for a subject kind that audits only some kinds (a Foundry account).
    pub kind: Option<String>,
    /// Set when the subject itself could not be read.
    pub error: Option<ReadFailure>,
    pub results: Vec<ControlResult<'r>>,
}

/// The status that wins the roll-up of some resources' statuses.
pub(crate) fn worst(resources: &[ResourceResult]) -> Option<Status> {
    resources
        .iter()
        .map(|r| r.status)
        .max_by_key(|s| s.weight())
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Counts of control results by status, and the score over automated controls.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Summary {
    pub pass: usize,
    pub fail: usize,
    pub manual: usize,
    pub not_applicable: usize,
    pub error: usize,
    pub waived: usize,
    /// Template audits only: controls the template cannot settle (not in the score).
    #[serde(skip_serializing_if = "is_zero")]
    pub unknown: usize,
    /// pass / (pass + fail + waived) × 100, one decimal; null when nothing passed, failed or
    /// was waived. A waiver accepts a failure; it does not make it a pass.
    pub score: Option<f64>,
}

impl std::fmt::Display for Summary {
    /// `n pass · n fail · n error · n waived · n manual · n not applicable`, as summaries say it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} pass · {} fail · {} error · {} waived · {} manual · {} not applicable",
            self.pass, self.fail, self.error, self.waived, self.manual, self.not_applicable
        )?;
        if self.unknown > 0 {
            write!(f, " · {} unknown", self.unknown)?;
        }
        Ok(())
    }
}

impl Summary {
    pub fn of<'a, 'r: 'a>(results: impl IntoIterator<Item = &'a ControlResult<'r>>) -> Summary {
        let mut s = Summary::default();
        for r in results {
            match r.status {
                Status::Pass => s.pass += 1,
                Status::Fail => s.fail += 1,
                Status::Manual => s.manual += 1,
                Status::NotApplicable => s.not_applicable += 1,
                Status::Error => s.error += 1,
                Status::Waived => s.waived += 1,
                Status::Unknown => s.unknown += 1,
            }
        }
        let judged = s.pass + s.fail + s.waived;
        s.score = (judged > 0).then(|| (s.pass as f64 * 1000.0 / judged as f64).round() / 10.0);
        s
    }
}
