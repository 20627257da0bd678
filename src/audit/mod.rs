//! Evaluation: each selected control against each workspace's estate, rolled up across
//! instances (baseline.md §1.6: fail > error > manual > pass > not_applicable), and scored.

pub mod answers;
pub mod baseline;
pub mod compliance;
pub mod exceptions;

use crate::cloud::Settings;
use std::collections::BTreeSet;
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::arm_id;
use crate::documents::{Documents, ReadFailure};
use crate::error::{Error, Result};
use crate::estate::{self, Estate, InstanceState, Target};
use crate::graph::{self, SUBJECTS, Subject, TargetKind};
use crate::rules::condition::Scope;
use crate::rules::path::Found;
use crate::rules::{Control, Mode, RuleSet, Severity, Shown};
use exceptions::Waiver;

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
    /// Set when the subject itself could not be read.
    pub error: Option<ReadFailure>,
    pub results: Vec<ControlResult<'r>>,
}

/// The status that wins the roll-up of some resources' statuses.
fn worst(resources: &[ResourceResult]) -> Option<Status> {
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

/// Which controls run.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// 1 runs level-1 controls; 2 runs levels 1 and 2.
    pub level: u8,
    pub categories: Vec<String>,
    pub controls: Vec<String>,
    /// One: only controls of this severity or higher; several: exactly these; none: all.
    pub severities: Vec<Severity>,
    /// Controls left out: ids or `*` globs (`AML-LT-*`).
    pub skip: Vec<String>,
}

impl Selection {
    /// The selected controls; a category or control id that matches nothing is a usage error.
    pub fn apply<'r>(&self, rules: &'r RuleSet) -> Result<Vec<&'r Control>> {
        for c in &self.categories {
            if !rules
                .controls
                .iter()
                .any(|r| r.category.eq_ignore_ascii_case(c))
            {
                let known: BTreeSet<&str> =
                    rules.controls.iter().map(|r| r.category.as_str()).collect();
                return Err(Error::Usage(format!(
                    "--category {c} matches no control; categories: {}",
                    known.into_iter().collect::<Vec<_>>().join(", ")
                )));
            }
        }
        for id in &self.controls {
            if !rules.controls.iter().any(|r| r.id.eq_ignore_ascii_case(id)) {
                return Err(Error::Usage(format!(
                    "--control {id} matches no control (see `amlsec rules list`)"
                )));
            }
        }
        // A skip that matches nothing is a typo the user would never notice.
        for pattern in &self.skip {
            if !rules
                .controls
                .iter()
                .any(|r| exceptions::glob(pattern, &r.id))
            {
                return Err(Error::Usage(format!(
                    "--skip-control {pattern} matches no control (see `amlsec rules list`)"
                )));
            }
        }
        if rules.controls.is_empty() {
            return Err(Error::Usage(
                "the rule files hold no controls: nothing would be audited".into(),
            ));
        }
        let selected: Vec<&Control> = rules
            .controls
            .iter()
            .filter(|c| c.level <= self.level.max(1))
            .filter(|c| {
                self.categories.is_empty()
                    || self
                        .categories
                        .iter()
                        .any(|x| x.eq_ignore_ascii_case(&c.category))
            })
            .filter(|c| {
                self.controls.is_empty()
                    || self.controls.iter().any(|x| x.eq_ignore_ascii_case(&c.id))
            })
            .filter(|c| match self.severities.as_slice() {
                [] => true,
                [lowest] => c.severity >= *lowest,
                several => several.contains(&c.severity),
            })
            .filter(|c| !self.skip.iter().any(|p| exceptions::glob(p, &c.id)))
            .collect();
        let only_severity = !self.severities.is_empty()
            && Selection {
                severities: Vec::new(),
                ..self.clone()
            }
            .apply(rules)
            .is_ok();
        if selected.is_empty() && only_severity {
            // No control has that severity today (none is critical): an answer, not a usage
            // error, so a pipeline written for `--severity critical` keeps working.
            return Ok(selected);
        }
        if selected.is_empty() {
            // An audit of nothing must not exit 0 as if everything passed.
            return Err(Error::Usage(format!(
                "no control matches level {} together with the --category, --control, --severity and --skip-control given (level-2 controls need --level 2)",
                self.level.max(1)
            )));
        }
        Ok(selected)
    }
}

/// The subjects of a source to audit. With no picks, every subject it holds: each document of
/// a subject's type and each read of one that failed. Otherwise the picked ones, each a full
/// id or a name that is unique among its kind.
pub fn subjects(docs: &Documents, picks: &[SubjectId]) -> Result<Vec<SubjectId>> {
    let held = |subject: &'static Subject| -> Vec<String> {
        let mut ids: Vec<String> = docs.ids_of_type(subject.resource_type);
        for f in docs.failures() {
            let path = f.path.split('?').next().unwrap_or_default();
            let of_kind = arm_id::derive_type(path)
                .is_some_and(|t| t.eq_ignore_ascii_case(subject.resource_type));
            if of_kind && !ids.iter().any(|i| arm_id::same(i, path)) {
                ids.push(path.to_string());
            }
        }
        ids.sort_by_key(|i| arm_id::key(i));
        ids
    };
    if picks.is_empty() {
        let all: Vec<SubjectId> = SUBJECTS
            .iter()
            .flat_map(|s| held(s).into_iter().map(move |id| (s, id)))
            .collect();
        if all.is_empty() {
            let source = if docs.is_deployment() {
                "the template deploys"
            } else {
                "the snapshot holds"
            };
            return Err(Error::Usage(format!(
                "{source} no Azure ML workspace or registry, nor a child of one (types {})",
                SUBJECTS
                    .iter()
                    .map(|s| s.resource_type)
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        return Ok(all);
    }
    let mut out: Vec<SubjectId> = Vec::new();
    for (subject, selector) in picks {
        let ids = held(subject);
        let selector = selector.trim();
        let matches: Vec<&String> = if selector.contains('/') {
            ids.iter().filter(|i| arm_id::same(i, selector)).collect()
        } else {
            ids.iter()
                .filter(|i| arm_id::last_segment(i).eq_ignore_ascii_case(selector))
                .collect()
        };
        let (flag, many) = (subject.flag, subject.noun.1);
        match matches.as_slice() {
            [one] => {
                if !out
                    .iter()
                    .any(|(s, i)| s == subject && arm_id::same(i, one))
                {
                    out.push((subject, (*one).clone()));
                }
            }
            [] if ids.is_empty() => {
                return Err(Error::Usage(format!(
                    "{flag} {selector}: the snapshot has no {many}"
                )));
            }
            [] => {
                return Err(Error::Usage(format!(
                    "{flag} {selector}: the snapshot has no such {}; it has: {}",
                    subject.noun.0,
                    ids.iter()
                        .map(|i| arm_id::last_segment(i))
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            many => {
                return Err(Error::Usage(format!(
                    "{flag} {selector} is ambiguous; give the full id of one of: {}",
                    many.iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        }
    }
    Ok(out)
}

impl crate::rules::condition::Context for Estate {
    fn context(&self, name: &str) -> Result<Option<&crate::documents::Doc>, ReadFailure> {
        Estate::context(self, name)
    }

    fn setting(&self, name: &str) -> Option<Value> {
        self.settings.value(name)
    }
}

/// The targets the controls read, each once.
pub fn needs(controls: &[&Control]) -> Vec<TargetKind> {
    let mut wanted: Vec<TargetKind> = controls.iter().flat_map(|c| c.needs()).collect();
    wanted.sort();
    wanted.dedup();
    wanted
}

/// Points each resource of a template audit at where the template declares it (a list
/// document, such as diagnostic settings, at the resource it lists under).
pub fn locate(subjects: &mut [SubjectResult<'_>], docs: &Documents) {
    if !docs.is_deployment() {
        return;
    }
    for r in subjects.iter_mut().flat_map(|s| s.results.iter_mut()) {
        for res in &mut r.resources {
            res.location = docs
                .declared_at(&res.id)
                .or_else(|| arm_id::collection_parent(&res.id).and_then(|p| docs.declared_at(&p)))
                .cloned()
                .map(Box::new);
        }
    }
}

/// Audits the given subjects, each with the selected controls of its kind.
pub fn run<'r>(
    docs: &Documents,
    subjects: &[SubjectId],
    rules: &'r RuleSet,
    controls: &[&'r Control],
    settings: &Settings,
) -> Vec<SubjectResult<'r>> {
    let shared = estate::Shared::default();
    let mut texts = SharedTexts::default();
    let by_kind: Vec<(&'static Subject, Vec<&'r Control>, Vec<TargetKind>)> = SUBJECTS
        .iter()
        .map(|s| {
            let mine: Vec<&'r Control> = controls
                .iter()
                .copied()
                .filter(|c| graph::subject_of(&c.target) == s)
                .collect();
            let kinds = graph::closure(&needs(&mine));
            (s, mine, kinds)
        })
        .collect();
    subjects
        .iter()
        .filter_map(|(subject, id)| {
            // A kind none of the selected controls is for is not audited at all.
            let (_, controls, kinds) = by_kind
                .iter()
                .find(|(s, c, _)| s == subject && !c.is_empty())?;
            let estate = estate::resolve(docs, id, settings, kinds, &shared);
            let results = controls
                .iter()
                .map(|c| evaluate(c, &estate, rules, &mut texts))
                .collect();
            let audited = estate.audited.as_ref().ok();
            Some(SubjectResult {
                subject,
                id: audited
                    .and_then(|d| d["id"].as_str())
                    .unwrap_or(id)
                    .to_string(),
                name: audited
                    .and_then(|d| d["name"].as_str())
                    .unwrap_or(estate.name())
                    .to_string(),
                location: audited
                    .and_then(|d| d["location"].as_str())
                    .map(str::to_string),
                error: estate.audited.as_ref().err().cloned(),
                results,
            })
        })
        .collect()
}

/// One control on one workspace; `texts` shares what results repeat.
pub fn evaluate<'r>(
    control: &'r Control,
    estate: &Estate,
    rules: &RuleSet,
    texts: &mut SharedTexts,
) -> ControlResult<'r> {
    let (status, message, resources) = judge_control(control, estate, rules, texts);
    ControlResult {
        control,
        status,
        message: texts.share(message),
        resources,
        waiver: None,
        answer: None,
    }
}

fn judge_control(
    control: &Control,
    estate: &Estate,
    rules: &RuleSet,
    texts: &mut SharedTexts,
) -> (Status, String, Vec<ResourceResult>) {
    if control.mode == Mode::Manual {
        return (
            Status::Manual,
            "needs a human answer: see guidance".into(),
            vec![],
        );
    }
    let instances = match estate.target(&control.target) {
        Target::Absent(why) => return (Status::NotApplicable, why.clone(), vec![]),
        Target::Failed(f) if !inapplicable_without(control, f, estate, rules) => {
            return (Status::unjudged(f), f.to_string(), vec![]);
        }
        Target::Failed(_) => {
            return (Status::NotApplicable, PRECONDITION.into(), vec![]);
        }
        Target::Present(instances) => instances,
    };
    let resources: Vec<ResourceResult> = instances
        .iter()
        .map(|instance| {
            let id = texts.keep(&instance.id);
            match &instance.state {
                InstanceState::Failed(f) => {
                    let (status, message) = if inapplicable_without(control, f, estate, rules) {
                        (
                            Status::NotApplicable,
                            "precondition does not hold".to_string(),
                        )
                    } else {
                        (Status::unjudged(f), f.to_string())
                    };
                    ResourceResult {
                        id,
                        status,
                        message: Some(message),
                        evidence: Evidence::default(),
                        waiver: None,
                        baseline: None,
                        location: None,
                    }
                }
                InstanceState::Manual(m) => ResourceResult {
                    id,
                    status: Status::Manual,
                    message: Some(m.clone()),
                    evidence: Evidence::default(),
                    waiver: None,
                    baseline: None,
                    location: None,
                },
                InstanceState::Doc(doc) => judge(control, id, doc, estate, rules, texts),
            }
        })
        .collect();
    let status = worst(&resources).unwrap_or(Status::NotApplicable);
    let count = |s: Status| resources.iter().filter(|r| r.status == s).count();
    let total = resources.len();
    let first_message = |s: Status| {
        resources
            .iter()
            .find(|r| r.status == s)
            .and_then(|r| r.message.clone())
            .unwrap_or_default()
    };
    let message = match status {
        Status::Fail => format!(
            "{} of {total} {} fail{}",
            count(Status::Fail),
            noun(total),
            if count(Status::Fail) == 1 { "s" } else { "" }
        ),
        Status::Error | Status::Manual | Status::Unknown => first_message(status),
        Status::Pass => format!(
            "{} of {total} {} pass{}",
            count(Status::Pass),
            noun(total),
            if count(Status::Pass) == 1 { "es" } else { "" }
        ),
        _ => PRECONDITION.into(),
    };
    (status, message, resources)
}

const PRECONDITION: &str = "the control's precondition does not hold";

/// Whether `applies when` is false on data that was read, although the target's read failed:
/// then the control does not apply, and the failed read does not matter (baseline.md §1.6).
fn inapplicable_without(
    control: &Control,
    failure: &ReadFailure,
    estate: &Estate,
    rules: &RuleSet,
) -> bool {
    control.applies.as_ref().is_some_and(|applies| {
        applies.eval(&Scope::unread(failure, estate, &rules.params)) == Ok(false)
    })
}

fn noun(n: usize) -> &'static str {
    if n == 1 { "resource" } else { "resources" }
}

/// What evidence paths found, serialised as one JSON array: a value, a list of them, or why
/// the path could not be read.
struct FoundValues<'f, 'v>(&'f [Result<Found<'v>, ReadFailure>]);

impl Serialize for FoundValues<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for found in self.0 {
            match found {
                Ok(Found::One(v)) => seq.serialize_element(v)?,
                Ok(Found::Many(vs)) => seq.serialize_element(vs)?,
                Err(f) => seq.serialize_element(&format!("unreadable: {f}"))?,
            }
        }
        seq.end()
    }
}

fn judge(
    control: &Control,
    id: Arc<str>,
    doc: &crate::documents::Doc,
    estate: &Estate,
    rules: &RuleSet,
    texts: &mut SharedTexts,
) -> ResourceResult {
    let scope = Scope::new(doc, estate, &rules.params);
    let outcome = match control.applies.as_ref().map(|c| c.eval(&scope)) {
        Some(Ok(false)) => Ok(None),
        Some(Err(f)) => Err(f),
        _ => control
            .pass
            .as_ref()
            .map_or(Ok(Some(true)), |p| p.eval(&scope).map(Some)),
    };
    let (status, message) = match outcome {
        Ok(None) => (
            Status::NotApplicable,
            Some("precondition does not hold".into()),
        ),
        Ok(Some(true)) => (Status::Pass, None),
        Ok(Some(false)) => (Status::Fail, None),
        Err(f) => (Status::unjudged(&f), Some(f.to_string())),
    };
    let found: Vec<_> = control
        .evidence
        .paths
        .iter()
        .map(|p| scope.resolve(p))
        .collect();
    let evidence = Evidence::new(
        Arc::clone(&control.evidence.shown),
        &FoundValues(&found),
        texts,
    );
    ResourceResult {
        id,
        status,
        message,
        evidence,
        waiver: None,
        baseline: None,
        location: None,
    }
}

/// Why the exit code is what it is, in one line for stderr.
pub fn exit_reason(
    workspaces: &[SubjectResult<'_>],
    unlisted: &[ReadFailure],
    gate: Gate,
) -> String {
    let fail_on = gate.fail_on;
    let results = || workspaces.iter().flat_map(|w| &w.results);
    let failed: Vec<Severity> = results()
        .filter(|r| r.status == Status::Fail)
        .map(|r| r.control.severity)
        .collect();
    let gating_results: Vec<Severity> = results()
        .filter(|r| r.gates(gate))
        .map(|r| r.control.severity)
        .collect();
    let gating = gating_results.len();
    let errors = results().filter(|r| r.status == Status::Error).count();
    // ", 1 workspace could not be read, 1 list of registries could not be read"
    let mut unreadable = String::new();
    for subject in SUBJECTS {
        let n = workspaces
            .iter()
            .filter(|w| w.subject == subject && w.error.is_some())
            .count();
        if n > 0 {
            let noun = if n == 1 {
                subject.noun.0
            } else {
                subject.noun.1
            };
            unreadable.push_str(&format!(", {n} {noun} could not be read"));
        }
    }
    if !unlisted.is_empty() {
        let lists = if unlisted.len() == 1 { "list" } else { "lists" };
        unreadable.push_str(&format!(
            ", {} {lists} of subjects could not be read",
            unlisted.len()
        ));
    }
    let waived = results().filter(|r| r.status == Status::Waived).count();
    let by_severity = || {
        let mut parts = Vec::new();
        for s in [
            Severity::Critical,
            Severity::High,
            Severity::Medium,
            Severity::Low,
        ] {
            let n = gating_results.iter().filter(|x| **x == s).count();
            if n > 0 {
                parts.push(format!("{n} {}", s.as_str()));
            }
        }
        parts.join(", ")
    };
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut extra = Vec::new();
    if failed.len() > gating {
        extra.push(if gate.new_only {
            plural(
                failed.len() - gating,
                "failure below the threshold or in the baseline",
                "failures below the threshold or in the baseline",
            )
        } else {
            plural(
                failed.len() - gating,
                "failure below the threshold",
                "failures below the threshold",
            )
        });
    }
    if waived > 0 {
        extra.push(format!("{waived} waived"));
    }
    let unknown = results().filter(|r| r.status == Status::Unknown).count();
    if unknown > 0 && !gate.unknown_fails {
        extra.push(format!(
            "{unknown} unknown (the template cannot tell; --fail-on-unknown counts them)"
        ));
    }
    let extra = if extra.is_empty() {
        String::new()
    } else {
        format!("; {}", extra.join(", "))
    };
    match exit_code(workspaces, unlisted, gate) {
        1 => format!(
            "exit 1: {} at or above {} ({}){extra}",
            if gate.unknown_fails {
                plural(
                    gating,
                    "control failed or unknown",
                    "controls failed or unknown",
                )
            } else {
                plural(gating, "control failed", "controls failed")
            },
            fail_on.as_str(),
            by_severity()
        ),
        3 => format!(
            "exit 3: audit incomplete: {}{}; no control failed at or above {}{extra}",
            plural(
                errors,
                "control could not be evaluated",
                "controls could not be evaluated"
            ),
            unreadable,
            fail_on.as_str()
        ),
        _ => format!(
            "exit 0: no control failed at or above {}{extra}",
            fail_on.as_str()
        ),
    }
}

/// Which failures decide the exit code.
#[derive(Debug, Clone, Copy)]
pub struct Gate {
    pub fail_on: Severity,
    /// Only failures the `--baseline` report did not have (`--fail-on-new`).
    pub new_only: bool,
    /// `unknown` counts as a failure (`--fail-on-unknown`).
    pub unknown_fails: bool,
}

impl Gate {
    pub fn at(fail_on: Severity) -> Gate {
        Gate {
            fail_on,
            new_only: false,
            unknown_fails: false,
        }
    }
}

impl ControlResult<'_> {
    /// Whether this result fails the run.
    fn gates(&self, gate: Gate) -> bool {
        if self.status == Status::Unknown {
            return gate.unknown_fails && self.control.severity >= gate.fail_on;
        }
        self.status == Status::Fail
            && self.control.severity >= gate.fail_on
            && (!gate.new_only
                || self
                    .resources
                    .iter()
                    .any(|r| r.status == Status::Fail && r.baseline != Some(baseline::Seen::Known)))
    }
}

/// The exit code of DESIGN §4: 1 if a control failed at or above `fail_on` (and, with
/// `new_only`, on a resource the baseline did not have), else 3 if the audit is incomplete (a
/// subject unreadable, a list of subjects `unlisted`, or a control `error`), else 0.
pub fn exit_code(workspaces: &[SubjectResult<'_>], unlisted: &[ReadFailure], gate: Gate) -> i32 {
    let results = || workspaces.iter().flat_map(|w| &w.results);
    if results().any(|r| r.gates(gate)) {
        1
    } else if !unlisted.is_empty()
        || workspaces
            .iter()
            .any(|w| w.error.as_ref().is_some_and(|e| !e.unknown))
        || results().any(|r| r.status == Status::Error)
    {
        3
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSource;
    use serde_json::json;

    const WS: &str = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws";

    fn rules(controls: &str) -> RuleSet {
        let text = format!(
            "category: network\nparameters: {{sql_host_suffixes: [.database.windows.net]}}\ncontrols:\n{controls}"
        );
        RuleSet::load(&[RuleSource {
            name: "t.yaml".into(),
            text,
            builtin: true,
        }])
        .unwrap()
    }

    const NO_PUBLIC_IP: &str = "  - {id: T-01, title: t, severity: high, level: 1, mode: automated, target: compute, remediation: r,
       pass: {field: properties.properties.enableNodePublicIp, equals: false, missing: true},
       evidence: [{path: properties.properties.enableNodePublicIp, expected: 'false'}]}
";

    fn compute(name: &str, public_ip: Value) -> Value {
        json!({"id": format!("{WS}/computes/{name}"), "properties": {"computeType": "AmlCompute", "properties": {"enableNodePublicIp": public_ip}}})
    }

    fn audit_with(
        rules: &RuleSet,
        docs: Vec<Value>,
        failures: Vec<ReadFailure>,
    ) -> Vec<(Status, Vec<Status>)> {
        let mut d = Documents::default();
        docs.into_iter().for_each(|x| d.insert(x));
        failures.into_iter().for_each(|f| d.record_failure(f));
        let controls: Vec<&Control> = rules.controls.iter().collect();
        run(
            &d,
            &[(graph::workspace_subject(), WS.to_string())],
            rules,
            &controls,
            &Settings::default(),
        )[0]
        .results
        .iter()
        .map(|r| (r.status, r.resources.iter().map(|x| x.status).collect()))
        .collect()
    }

    #[test]
    fn rolls_up_fail_over_pass_with_evidence_per_resource() {
        let rules = rules(NO_PUBLIC_IP);
        let mut d = Documents::default();
        for doc in [
            json!({"id": WS}),
            compute("a", json!(false)),
            compute("b", json!(true)),
            compute("c", Value::Null),
        ] {
            d.insert(doc);
        }
        let controls: Vec<&Control> = rules.controls.iter().collect();
        let ws = run(
            &d,
            &[(graph::workspace_subject(), WS.to_string())],
            &rules,
            &controls,
            &Settings::default(),
        );
        let r = &ws[0].results[0];
        assert_eq!(r.status, Status::Fail);
        assert_eq!(&*r.message, "2 of 3 resources fail");
        let statuses: Vec<Status> = r.resources.iter().map(|x| x.status).collect();
        assert_eq!(statuses, [Status::Pass, Status::Fail, Status::Fail]);
        let first = |i: usize| r.resources[i].evidence.iter().next().unwrap();
        assert_eq!(first(1).actual.value(), json!(true));
        assert_eq!(first(2).actual.value(), Value::Null, "missing is null");
        assert_eq!(first(2).expected, Some("false"));
        assert_eq!(
            first(2).to_string(),
            "properties.properties.enableNodePublicIp = (missing) (expected false)"
        );
    }

    #[test]
    fn roll_up_order_is_fail_error_manual_pass_not_applicable() {
        let sql = "  - {id: T-02, title: t, severity: high, level: 1, mode: automated, target: sql-server, remediation: r,
       pass: {field: properties.publicNetworkAccess, equals: Disabled}}
";
        let rules = rules(sql);
        let conn = |n: &str, host: &str| json!({"id": format!("{WS}/connections/{n}"), "properties": {"category": "AzureSqlDb", "target": host}});
        let server = |n: &str, pna: &str| {
            json!({"id": format!("/subscriptions/s1/resourceGroups/d/providers/Microsoft.Sql/servers/{n}"),
            "properties": {"fullyQualifiedDomainName": format!("{n}.database.windows.net"), "publicNetworkAccess": pna}})
        };
        let base = || {
            vec![
                json!({"id": WS}),
                server("good", "Disabled"),
                server("bad", "Enabled"),
            ]
        };
        let with = |extra: Vec<Value>| {
            let mut v = base();
            v.extend(extra);
            audit_with(&rules, v, vec![])[0].0
        };
        assert_eq!(
            with(vec![conn("g", "good.database.windows.net")]),
            Status::Pass
        );
        assert_eq!(
            with(vec![
                conn("g", "good.database.windows.net"),
                conn("x", "gone.database.windows.net")
            ]),
            Status::Manual
        );
        assert_eq!(
            with(vec![
                conn("b", "bad.database.windows.net"),
                conn("x", "gone.database.windows.net")
            ]),
            Status::Fail
        );
        assert_eq!(
            with(vec![conn("o", "sql.contoso.local")]),
            Status::NotApplicable,
            "not Azure SQL"
        );
        assert_eq!(
            with(vec![]),
            Status::NotApplicable,
            "an absent target never passes"
        );
        let failure = ReadFailure {
            path: "/subscriptions/s1/resourceGroups/d/providers/Microsoft.Sql/servers/good".into(),
            status: Some(403),
            code: None,
            message: String::new(),
            request_id: None,
            unknown: false,
        };
        let mut v = base();
        v.push(conn("g", "good.database.windows.net"));
        v.push(conn("x", "gone.database.windows.net"));
        assert_eq!(
            audit_with(&rules, v, vec![failure])[0],
            (Status::Error, vec![Status::Error, Status::Manual])
        );
    }

    #[test]
    fn applicability_that_needs_a_failed_read_is_error() {
        let pv = "  - {id: T-03, title: t, severity: medium, level: 1, mode: automated, target: defender-pricing(Containers), remediation: r,
       applies: {field: $registry.id, exists: true}, pass: {field: properties.pricingTier, equals: Standard}}
";
        let rules = rules(pv);
        let acr = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/acr";
        let ws = json!({"id": WS, "properties": {"containerRegistry": acr}});
        assert_eq!(
            audit_with(&rules, vec![ws.clone()], vec![])[0].0,
            Status::Error,
            "registry referenced, not readable"
        );
        assert_eq!(
            audit_with(&rules, vec![ws, json!({"id": acr})], vec![])[0].0,
            Status::Fail,
            "pricing missing means Free"
        );
        assert_eq!(
            audit_with(&rules, vec![json!({"id": WS})], vec![])[0].0,
            Status::NotApplicable
        );
    }

    #[test]
    fn manual_controls_are_always_manual_and_scores_count_automated_only() {
        let rules = rules(&format!(
            "{NO_PUBLIC_IP}  - {{id: T-09, title: m, severity: low, level: 1, mode: manual, target: registry, guidance: g}}\n"
        ));
        let statuses = audit_with(
            &rules,
            vec![json!({"id": WS}), compute("a", json!(false))],
            vec![],
        );
        assert_eq!(
            statuses[1].0,
            Status::Manual,
            "even though the registry is absent"
        );
        let mut d = Documents::default();
        d.insert(json!({"id": WS}));
        d.insert(compute("a", json!(false)));
        let controls: Vec<&Control> = rules.controls.iter().collect();
        let ws = run(
            &d,
            &[(graph::workspace_subject(), WS.to_string())],
            &rules,
            &controls,
            &Settings::default(),
        );
        let s = Summary::of(&ws[0].results);
        assert_eq!((s.pass, s.manual, s.score), (1, 1, Some(100.0)));
        assert_eq!(Summary::default().score, None);
    }

    #[test]
    fn exit_codes_follow_the_contract() {
        let rules = rules(NO_PUBLIC_IP);
        let controls: Vec<&Control> = rules.controls.iter().collect();
        let code = |docs: Vec<Value>, fail_on: Severity| {
            let mut d = Documents::default();
            docs.into_iter().for_each(|x| d.insert(x));
            exit_code(
                &run(
                    &d,
                    &[(graph::workspace_subject(), WS.to_string())],
                    &rules,
                    &controls,
                    &Settings::default(),
                ),
                &[],
                Gate::at(fail_on),
            )
        };
        assert_eq!(
            code(
                vec![json!({"id": WS}), compute("a", json!(false))],
                Severity::Low
            ),
            0
        );
        assert_eq!(
            code(
                vec![json!({"id": WS}), compute("a", json!(true))],
                Severity::Low
            ),
            1
        );
        assert_eq!(
            code(
                vec![json!({"id": WS}), compute("a", json!(true))],
                Severity::High
            ),
            1
        );
        assert_eq!(
            code(
                vec![json!({"id": WS}), compute("a", json!(true))],
                Severity::Critical
            ),
            0
        );
        assert_eq!(code(vec![], Severity::Low), 3, "an unreadable workspace");
    }

    #[test]
    fn a_failing_control_outranks_an_incomplete_audit() {
        // T-01 fails on the compute; T-02 needs the storage account, whose read failed.
        let rules = rules(&format!(
            "{NO_PUBLIC_IP}  - {{id: T-02, title: s, severity: low, level: 1, mode: automated, target: storage, remediation: r,
       pass: {{field: properties.minimumTlsVersion, equals: TLS1_2}}}}\n"
        ));
        let controls: Vec<&Control> = rules.controls.iter().collect();
        let storage =
            "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st";
        let mut d = Documents::default();
        d.insert(json!({"id": WS, "properties": {"storageAccount": storage}}));
        d.insert(compute("a", json!(true)));
        d.record_failure(ReadFailure::bad_reference(storage, "forbidden"));
        let workspaces = run(
            &d,
            &[(graph::workspace_subject(), WS.to_string())],
            &rules,
            &controls,
            &Settings::default(),
        );
        let statuses: Vec<Status> = workspaces[0].results.iter().map(|r| r.status).collect();
        assert_eq!(statuses, [Status::Fail, Status::Error]);
        assert_eq!(
            exit_code(&workspaces, &[], Gate::at(Severity::Low)),
            1,
            "1 before 3"
        );
        assert_eq!(
            exit_code(&workspaces, &[], Gate::at(Severity::Critical)),
            3,
            "below --fail-on, the failed read still makes the audit incomplete"
        );
    }

    #[test]
    fn selection_filters_and_rejects_unknown_names() {
        let rules = rules(&format!(
            "{NO_PUBLIC_IP}  - {{id: T-09, title: m, severity: low, level: 2, mode: manual, target: workspace, guidance: g}}\n"
        ));
        let pick = |level, categories: &[&str], controls: &[&str]| {
            Selection {
                level,
                categories: categories.iter().map(|s| s.to_string()).collect(),
                controls: controls.iter().map(|s| s.to_string()).collect(),
                ..Default::default()
            }
            .apply(&rules)
            .map(|c| c.iter().map(|c| c.id.clone()).collect::<Vec<_>>())
        };
        assert_eq!(pick(1, &[], &[]).unwrap(), ["T-01"]);
        assert_eq!(pick(2, &[], &[]).unwrap(), ["T-01", "T-09"]);
        assert_eq!(pick(2, &["NETWORK"], &["t-09"]).unwrap(), ["T-09"]);
        assert!(pick(1, &["nope"], &[]).is_err());
        assert!(pick(1, &[], &["T-99"]).is_err());

        let narrow = |severity: Option<Severity>, skip: &[&str]| {
            Selection {
                level: 2,
                severities: severity.into_iter().collect(),
                skip: skip.iter().map(|s| s.to_string()).collect(),
                ..Default::default()
            }
            .apply(&rules)
            .map(|c| c.iter().map(|c| c.id.clone()).collect::<Vec<_>>())
        };
        assert_eq!(narrow(Some(Severity::High), &[]).unwrap(), ["T-01"]);
        assert_eq!(
            narrow(None, &["t-0*"]).unwrap_err().to_string(),
            "no control matches level 2 together with the --category, --control, --severity and --skip-control given (level-2 controls need --level 2)"
        );
        assert_eq!(narrow(None, &["T-01"]).unwrap(), ["T-09"]);
        assert_eq!(
            narrow(None, &["AML-*"]).unwrap_err().to_string(),
            "--skip-control AML-* matches no control (see `amlsec rules list`)"
        );
    }

    #[test]
    fn subjects_are_found_by_id_or_unique_name() {
        const REG: &str = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.MachineLearningServices/registries/reg";
        let (ws, registry) = (graph::workspace_subject(), graph::registry_subject());
        let mut d = Documents::default();
        d.insert(json!({"id": WS}));
        d.insert(json!({"id": REG}));
        d.record_failure(ReadFailure {
            path: format!("{}2", WS),
            status: Some(404),
            code: None,
            message: String::new(),
            request_id: None,
            unknown: false,
        });
        let all = subjects(&d, &[]).unwrap();
        assert_eq!(
            all.iter().map(|(s, _)| s.noun.0).collect::<Vec<_>>(),
            ["workspace", "workspace", "registry"],
            "an unreadable workspace is still audited, registries after workspaces"
        );
        let pick = |s: &'static Subject, name: &str| subjects(&d, &[(s, name.to_string())]);
        assert_eq!(pick(ws, "WS").unwrap(), [(ws, WS.to_string())]);
        assert_eq!(
            pick(registry, "reg").unwrap(),
            [(registry, REG.to_string())]
        );
        let e = pick(ws, "other").unwrap_err().to_string();
        assert!(
            e.contains("--workspace other") && e.contains("has: ws, ws2"),
            "{e}"
        );
        let e = pick(registry, "ws").unwrap_err().to_string();
        assert!(e.contains("--registry ws") && e.contains("has: reg"), "{e}");
        assert!(subjects(&Documents::default(), &[]).is_err());
    }
}
