//! The exit code and the one line that says why.

use super::{baseline, result::*};
use crate::documents::ReadFailure;
use crate::graph::SUBJECTS;
use crate::rules::Severity;

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
    let unreadable = unreadable(workspaces, unlisted);
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
    // Under --fail-on-new the findings that decide the exit code are named: a CI log must say
    // which failure is new, not only that one is.
    if gate.new_only
        && let Some(new) = new_findings(workspaces, gate)
    {
        extra.push(new);
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

/// ", 1 workspace could not be read, 1 list of subjects could not be read"
fn unreadable(workspaces: &[SubjectResult<'_>], unlisted: &[ReadFailure]) -> String {
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
    unreadable
}

/// The new failures that decide the exit code under --fail-on-new: the first five, and how
/// many more.
fn new_findings(workspaces: &[SubjectResult<'_>], gate: Gate) -> Option<String> {
    let new: Vec<String> = workspaces
        .iter()
        .flat_map(|w| &w.results)
        .filter(|r| r.gates(gate))
        .flat_map(|r| {
            r.resources
                .iter()
                .filter(|x| x.status == Status::Fail && x.is_new())
                .map(move |x| format!("{} on {}", r.control.id, x.id))
        })
        .collect();
    if new.is_empty() {
        return None;
    }
    let shown = new.iter().take(5).cloned().collect::<Vec<_>>().join("; ");
    Some(match new.len().saturating_sub(5) {
        0 => format!("new: {shown}"),
        n => format!("new: {shown}; {n} more in the report"),
    })
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
