//! Evaluation: each selected control against each subject's estate, rolled up across
//! instances (baseline.md §1.6: fail > error > manual > pass > not_applicable).

use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use super::result::*;
use crate::arm_id;
use crate::cloud::Settings;
use crate::documents::{Documents, ReadFailure};
use crate::error::Result;
use crate::estate::{self, Estate, InstanceState, Target};
use crate::graph::{self, SUBJECTS, Subject, TargetKind};
use crate::rules::condition::Scope;
use crate::rules::path::Found;
use crate::rules::{Control, Mode, RuleSet};

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

/// The selected controls of one subject kind, and the targets they need.
pub(super) type OfKind<'r> = (&'static Subject, Vec<&'r Control>, Vec<TargetKind>);

/// Subjects below which one thread audits them all: starting threads costs more than it saves.
const SUBJECTS_PER_THREAD: usize = 16;

/// Audits the given subjects, each with the selected controls of its kind. Subjects are
/// independent, so they are audited on every core, in contiguous runs that keep their order.
pub fn run<'r>(
    docs: &Documents,
    subjects: &[SubjectId],
    rules: &'r RuleSet,
    controls: &[&'r Control],
    settings: &Settings,
) -> Vec<SubjectResult<'r>> {
    let by_kind = kinds_of(controls);
    crate::parallel::map_parts(subjects, SUBJECTS_PER_THREAD, |part| {
        run_part(docs, part, rules, &by_kind, settings)
    })
}

/// The selected controls of each subject kind, and the targets they need.
pub(super) fn kinds_of<'r>(controls: &[&'r Control]) -> Vec<OfKind<'r>> {
    SUBJECTS
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
        .collect()
}

/// Audits a run of subjects on this thread, with its own shared texts and lists.
pub(super) fn run_part<'r>(
    docs: &Documents,
    subjects: &[SubjectId],
    rules: &'r RuleSet,
    by_kind: &[OfKind<'r>],
    settings: &Settings,
) -> Vec<SubjectResult<'r>> {
    let shared = estate::Shared::default();
    let mut texts = SharedTexts::default();
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
                kind: audited
                    .filter(|_| subject.kinds.is_some())
                    .and_then(|d| d["kind"].as_str())
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
    // What does not pass needs a person where the control's `manual` condition holds.
    let needs_person = |outcome: &std::result::Result<Option<bool>, ReadFailure>| {
        !matches!(outcome, Ok(None) | Ok(Some(true)))
            && control
                .manual
                .as_ref()
                .is_some_and(|m| m.eval(&scope) == Ok(true))
    };
    let (status, message) = match outcome {
        _ if needs_person(&outcome) => (
            Status::Manual,
            Some(
                control
                    .guidance
                    .clone()
                    .unwrap_or_else(|| "needs a human answer".into()),
            ),
        ),
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
