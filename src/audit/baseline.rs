//! A baseline of known findings: a previous JSON report. Each failing resource of this run is
//! `new` or `known` by its fingerprint (control + resource id, the one SARIF uses), and what
//! the baseline held that this run no longer finds is `fixed`, so CI can fail on new findings
//! only.

use std::collections::BTreeSet;
use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use super::{Status, SubjectResult};
use crate::error::{Diagnostic, Error, Result};

/// How a failing resource of this run compares with the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Seen {
    New,
    Known,
}

/// One finding: a control failing on a resource.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Finding {
    pub control: String,
    pub resource: String,
}

/// The identity of a finding across runs (control id and resource id, case-insensitive).
fn key(control: &str, resource: &str) -> (String, String) {
    (control.to_ascii_uppercase(), crate::arm_id::key(resource))
}

/// The findings of a previous report.
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    path: String,
    findings: Vec<Finding>,
}

/// What the comparison found, for the reports.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Comparison {
    pub path: String,
    pub new: usize,
    pub known: usize,
    /// In the baseline, evaluated again in this run, and no longer failing.
    pub fixed: Vec<Finding>,
}

impl Baseline {
    /// Reads an amlsec JSON report (schemaVersion 1): its failing and waived resources.
    pub fn load(path: &Path) -> Result<Baseline> {
        let name = path.display().to_string();
        let text = crate::input::read_text(path, crate::input::SNAPSHOT_LIMIT)?;
        let bad = |position, message: String| {
            Error::Baseline(Diagnostic {
                file: name.clone(),
                position,
                message,
            })
        };
        let report: Value = serde_json::from_str(&text).map_err(|e| {
            let at = crate::error::Position {
                line: e.line() as u64,
                column: e.column() as u64,
            };
            let why = crate::documents::entry::describe(&e);
            bad(Some(at), format!("not an amlsec JSON report: {why}"))
        })?;
        if report["schemaVersion"] != 1 {
            return Err(bad(
                None,
                "not an amlsec JSON report (schemaVersion 1): write one with --output report.json"
                    .into(),
            ));
        }
        let mut findings = Vec::new();
        let subjects = crate::graph::SUBJECTS
            .iter()
            .flat_map(|s| report[s.section].as_array().into_iter().flatten());
        for w in subjects {
            for r in w["results"].as_array().into_iter().flatten() {
                let control = r["control"].as_str().unwrap_or_default();
                for res in r["resources"].as_array().into_iter().flatten() {
                    if matches!(res["status"].as_str(), Some("fail" | "waived"))
                        && let Some(resource) = res["id"].as_str()
                    {
                        findings.push(Finding {
                            control: control.to_string(),
                            resource: resource.to_string(),
                        });
                    }
                }
            }
        }
        Ok(Baseline {
            path: name,
            findings,
        })
    }

    /// Marks each failing resource new or known, and lists the baseline's findings that this
    /// run evaluated and no longer finds.
    pub fn compare(&self, workspaces: &mut [SubjectResult<'_>]) -> Comparison {
        let known: BTreeSet<(String, String)> = self
            .findings
            .iter()
            .map(|f| key(&f.control, &f.resource))
            .collect();
        let (mut new, mut seen_known) = (0, 0);
        let mut failing_now = BTreeSet::new();
        let mut evaluated = BTreeSet::new();
        for w in workspaces.iter_mut() {
            for r in w.results.iter_mut() {
                for res in r.resources.iter_mut() {
                    let k = key(&r.control.id, &res.id);
                    evaluated.insert(k.clone());
                    if matches!(res.status, Status::Fail | Status::Waived) {
                        let seen = if known.contains(&k) {
                            Seen::Known
                        } else {
                            Seen::New
                        };
                        match seen {
                            Seen::New => new += 1,
                            Seen::Known => seen_known += 1,
                        }
                        res.baseline = Some(seen);
                        failing_now.insert(k);
                    }
                }
            }
        }
        let mut fixed: Vec<Finding> = self
            .findings
            .iter()
            .filter(|f| {
                let k = key(&f.control, &f.resource);
                evaluated.contains(&k) && !failing_now.contains(&k)
            })
            .cloned()
            .collect();
        fixed.sort();
        fixed.dedup();
        Comparison {
            path: self.path.clone(),
            new,
            known: seen_known,
            fixed,
        }
    }
}
