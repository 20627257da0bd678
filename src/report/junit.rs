//! JUnit XML for test-result viewers (Azure Pipelines, GitLab, Jenkins): one suite per workspace
//! and category, one test case per control. fail → failure, error → error,
//! manual / not_applicable / waived → skipped with the reason.

use std::fmt::Write as _;

use super::Report;
use super::escape::escape;
use super::json::categories;
use crate::audit::compliance::Compliance;
use crate::audit::{ControlResult, Status};

fn details(r: &ControlResult<'_>) -> String {
    let mut text = String::new();
    for res in r.findings() {
        let _ = writeln!(text, "{} ({})", res.id, res.status.as_str());
        if let Some(m) = &res.message {
            let _ = writeln!(text, "  {m}");
        }
        for e in &res.evidence {
            let _ = writeln!(text, "  {e}");
        }
    }
    if let Some(fix) = &r.control.remediation {
        let _ = writeln!(text, "Fix: {fix}");
    }
    if let Some(docs) = &r.control.docs {
        let _ = writeln!(text, "Docs: {docs}");
    }
    text
}

/// The one line a test viewer shows for a failure: which resources fail and the first piece
/// of evidence, not the count alone ("1 of 1 resource fails" said nothing).
fn failure_message(r: &ControlResult<'_>) -> String {
    let failing: Vec<_> = r
        .resources
        .iter()
        .filter(|x| x.status == Status::Fail)
        .collect();
    let Some(first) = failing.first() else {
        return r.message.to_string();
    };
    let mut names: Vec<&str> = failing
        .iter()
        .take(3)
        .map(|x| super::short_id(&x.id))
        .collect();
    if failing.len() > 3 {
        names.push("…");
    }
    let evidence = first
        .evidence
        .iter()
        .next()
        .map(|e| format!(": {e}"))
        .unwrap_or_default();
    match failing.len() {
        1 => format!("{} fails{evidence}", names[0]),
        _ => format!("{} fail{evidence} ({})", names.join(", "), r.message),
    }
}

pub fn to_junit(report: &Report<'_>) -> String {
    let s = report.summary();
    let mut total: usize = report.subjects.iter().map(|w| w.results.len()).sum();
    let (mut failures, mut errors, mut skipped) = (
        s.fail,
        s.error,
        s.manual + s.not_applicable + s.waived + s.unknown,
    );
    let compliance = report.compliance.as_ref().map(compliance_suite);
    if let Some((_, t, f, e, k)) = &compliance {
        (total, failures, errors, skipped) = (total + t, failures + f, errors + e, skipped + k);
    }
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        xml,
        "<testsuites name=\"amlsec\" tests=\"{total}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\">"
    );
    for w in &report.subjects {
        for (id, title, sum) in categories(w) {
            let results: Vec<&ControlResult<'_>> = w
                .results
                .iter()
                .filter(|r| r.control.category == id)
                .collect();
            let _ = writeln!(
                xml,
                "  <testsuite name=\"{} / {}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">",
                escape(&w.name),
                escape(title),
                results.len(),
                sum.fail,
                sum.error,
                sum.manual + sum.not_applicable + sum.waived + sum.unknown
            );
            let _ = writeln!(
                xml,
                "    <properties><property name=\"{}\" value=\"{}\"/></properties>",
                w.subject.noun.0,
                escape(&w.id)
            );
            for r in results {
                let _ = write!(
                    xml,
                    "    <testcase classname=\"{}.{}\" name=\"{} {}\"",
                    escape(&w.name),
                    escape(id),
                    escape(&r.control.id),
                    escape(&r.control.title)
                );
                match r.status {
                    Status::Pass => xml.push_str("/>\n"),
                    Status::Fail => {
                        let _ = write!(
                            xml,
                            ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>\n",
                            escape(&failure_message(r)),
                            r.control.severity.as_str(),
                            escape(&details(r))
                        );
                    }
                    Status::Error => {
                        let _ = write!(
                            xml,
                            ">\n      <error message=\"{}\" type=\"read-failed\">{}</error>\n    </testcase>\n",
                            escape(&r.message),
                            escape(&details(r))
                        );
                    }
                    Status::Manual | Status::NotApplicable | Status::Waived | Status::Unknown => {
                        let reason = match r.status {
                            Status::Manual => format!("manual: {}", r.message),
                            Status::Waived => format!("waived: {}", r.message),
                            Status::Unknown => format!("unknown: {}", r.message),
                            _ => format!("not applicable: {}", r.message),
                        };
                        let _ = write!(
                            xml,
                            ">\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                            escape(&reason)
                        );
                    }
                }
            }
            xml.push_str("  </testsuite>\n");
        }
    }
    if let Some((suite, ..)) = compliance {
        xml.push_str(&suite);
    }
    xml.push_str("</testsuites>\n");
    xml
}

/// `--compliance`: one test case per framework item, failed when a control mapped to it
/// failed; with its tests, failures, errors and skipped counted.
fn compliance_suite(c: &Compliance) -> (String, usize, usize, usize, usize) {
    let count = |s: &[Status]| c.items.iter().filter(|i| s.contains(&i.status)).count();
    let (failures, errors) = (count(&[Status::Fail]), count(&[Status::Error]));
    let skipped = c.items.len() - failures - errors - count(&[Status::Pass]);
    let mut xml = String::new();
    let _ = writeln!(
        xml,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\">",
        escape(c.title),
        c.items.len()
    );
    for item in &c.items {
        let _ = write!(
            xml,
            "    <testcase classname=\"compliance.{}\" name=\"{} {}\"",
            c.framework,
            escape(item.id),
            escape(item.title)
        );
        let verdicts = super::counts(&item.summary);
        let body = format!("{verdicts}\ncontrols: {}", item.controls.join(", "));
        match item.status {
            Status::Pass => xml.push_str("/>\n"),
            Status::Fail => {
                let _ = write!(
                    xml,
                    ">\n      <failure message=\"failed by {}\" type=\"compliance\">{}</failure>\n    </testcase>\n",
                    escape(&item.failing.join(", ")),
                    escape(&body)
                );
            }
            Status::Error => {
                let _ = write!(
                    xml,
                    ">\n      <error message=\"{}\" type=\"read-failed\">{}</error>\n    </testcase>\n",
                    escape(&verdicts),
                    escape(&body)
                );
            }
            _ => {
                let _ = write!(
                    xml,
                    ">\n      <skipped message=\"{}: {}\"/>\n    </testcase>\n",
                    item.status.as_str(),
                    escape(&verdicts)
                );
            }
        }
    }
    xml.push_str("  </testsuite>\n");
    (xml, c.items.len(), failures, errors, skipped)
}
