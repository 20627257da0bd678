//! A baseline of known findings: a previous JSON report. Each failing resource of this run is
//! `new` or `known` by its fingerprint (control + resource id, the one SARIF uses), and what
//! the baseline held that this run no longer finds is `fixed`, so CI can fail on new findings
//! only.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

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
    /// Reads an amlsec JSON report (schemaVersion 1): its failing and waived resources. The
    /// report is read as it streams in, keeping only those; everything else is skipped
    /// unbuilt, so a huge file costs no more memory than its findings.
    pub fn load(path: &Path) -> Result<Baseline> {
        let name = path.display().to_string();
        let (reader, _) = crate::input::open(path, crate::input::SNAPSHOT_LIMIT)?;
        let limited = std::io::Read::take(reader, crate::input::SNAPSHOT_LIMIT);
        let bad = |position, message: String| {
            Error::Baseline(Diagnostic {
                file: name.clone(),
                position,
                message,
            })
        };
        let mut read = serde_json::Deserializer::from_reader(std::io::BufReader::new(limited));
        let report = RawReport::deserialize(&mut read)
            .and_then(|r| read.end().map(|()| r))
            .map_err(|e| {
                let at = crate::error::Position {
                    line: e.line() as u64,
                    column: e.column() as u64,
                };
                let why = crate::documents::entry::describe(&e);
                bad(Some(at), format!("not an amlsec JSON report: {why}"))
            })?;
        if report.schema_version != Some(1) {
            return Err(bad(
                None,
                "not an amlsec JSON report (schemaVersion 1): write one with --output report.json"
                    .into(),
            ));
        }
        Ok(Baseline {
            path: name,
            findings: report.findings,
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

/// What a baseline report is read into: its schema version and the findings of every subject
/// section; every other member is skipped without being built.
struct RawReport {
    schema_version: Option<u64>,
    findings: Vec<Finding>,
}

#[derive(Deserialize)]
struct RawSubject {
    #[serde(default)]
    results: Vec<Object<RawResult>>,
}

#[derive(Deserialize)]
struct RawResult {
    control: String,
    #[serde(default)]
    resources: Vec<Object<RawResource>>,
}

/// A struct that must be written as a JSON object: serde also takes an array of its fields'
/// values, which no report writes.
struct Object<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Members<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Members<T> {
            type Value = Object<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> std::result::Result<Object<T>, A::Error> {
                T::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Object)
            }
        }
        d.deserialize_map(Members(std::marker::PhantomData))
    }
}

#[derive(Deserialize)]
struct RawResource {
    id: Option<String>,
    status: Option<String>,
}

impl<'de> Deserialize<'de> for RawReport {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Members;
        impl<'de> serde::de::Visitor<'de> for Members {
            type Value = RawReport;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON report object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<RawReport, A::Error> {
                let mut report = RawReport {
                    schema_version: None,
                    findings: Vec::new(),
                };
                while let Some(key) = map.next_key::<String>()? {
                    if key == "schemaVersion" {
                        report.schema_version = Some(map.next_value::<u64>()?);
                    } else if crate::graph::SUBJECTS.iter().any(|s| s.section == key) {
                        for Object(subject) in map.next_value::<Vec<Object<RawSubject>>>()? {
                            for Object(r) in subject.results {
                                for Object(res) in r.resources {
                                    if matches!(res.status.as_deref(), Some("fail" | "waived"))
                                        && let Some(resource) = res.id
                                    {
                                        report.findings.push(Finding {
                                            control: r.control.clone(),
                                            resource,
                                        });
                                    }
                                }
                            }
                        }
                    } else {
                        map.next_value::<serde::de::IgnoredAny>()?;
                    }
                }
                Ok(report)
            }
        }
        d.deserialize_map(Members)
    }
}
