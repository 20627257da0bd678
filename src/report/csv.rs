//! CSV for spreadsheets (RFC 4180: comma-separated, CRLF, fields quoted where needed, quotes
//! doubled): one row per audited subject (workspace or registry), control and resource, so a
//! customer can filter and sort.
//! A cell that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) is
//! prefixed with `'`: names and tags come from the audited estate and must stay text.

use std::fmt::Write as _;

use super::Report;
use crate::audit::compliance::Compliance;
use crate::audit::{ControlResult, ResourceResult, SubjectResult};
use crate::rules::mcsb::Framework;

const HEADER: [&str; 18] = [
    "kind",
    "subject",
    "subject_id",
    "control",
    "title",
    "category",
    "severity",
    "level",
    "mode",
    "control_status",
    "resource",
    "status",
    "message",
    "evidence",
    "remediation",
    "references",
    "waiver",
    "baseline",
];

/// One field as RFC 4180 writes it.
fn field(text: &str) -> String {
    let text = match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_string(),
    };
    if text.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

fn row(out: &mut String, cells: &[&str]) {
    let line: Vec<String> = cells.iter().map(|c| field(c)).collect();
    let _ = write!(out, "{}\r\n", line.join(","));
}

/// A byte-order mark: it tells Excel a CSV file is UTF-8. Files get one; standard output does
/// not, where the next program reads the first field.
pub const BOM: &str = "\u{feff}";

pub fn to_csv(report: &Report<'_>) -> String {
    let mut out = String::new();
    row(&mut out, &HEADER);
    for w in &report.subjects {
        for r in &w.results {
            if r.resources.is_empty() {
                control_row(&mut out, w, r, None);
            }
            for res in &r.resources {
                control_row(&mut out, w, r, Some(res));
            }
        }
    }
    if let Some(c) = &report.compliance {
        compliance_rows(&mut out, c);
    }
    out
}

/// `--compliance`: a row of kind `compliance` per framework item, in the same columns: the
/// framework as subject, the item as subject id and title, the controls mapped to it, its
/// worst status and the verdicts counted.
fn compliance_rows(out: &mut String, c: &Compliance) {
    for item in &c.items {
        let controls = item.controls.join(" ");
        let message = super::counts(&item.summary);
        let failing = if item.failing.is_empty() {
            String::new()
        } else {
            format!("failed by {}", item.failing.join(" "))
        };
        row(
            out,
            &[
                "compliance",
                c.framework,
                item.id,
                &controls,
                item.title,
                "",
                "",
                "",
                "",
                item.status.as_str(),
                "",
                item.status.as_str(),
                &message,
                &failing,
                "",
                c.title,
                "",
            ],
        );
    }
}

fn control_row(
    out: &mut String,
    subject: &SubjectResult<'_>,
    r: &ControlResult<'_>,
    resource: Option<&ResourceResult>,
) {
    let c = r.control;
    let refs = &c.references;
    let references = [
        ("mcsb", refs.mcsb.join(" ")),
        ("cis v8", refs.mapped(Framework::Cis).join(" ")),
        ("nist 800-53 r4", refs.mapped(Framework::Nist).join(" ")),
        ("seed", refs.seed.join(" ")),
        ("anchors", refs.anchors.join("; ")),
        ("docs", c.docs.clone().unwrap_or_default()),
    ]
    .iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(k, v)| format!("{k}: {v}"))
    .collect::<Vec<_>>()
    .join(" | ");
    let evidence = resource
        .map(|res| {
            res.evidence
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default();
    let waiver = resource
        .and_then(|res| res.waiver.as_ref())
        .or(r.waiver.as_ref())
        .map(|w| format!("{} (expires {})", w.reason, w.expires))
        .unwrap_or_default();
    // A resource row says what is particular to it; a control without resources, why.
    let message = match resource {
        Some(res) => res.message.clone().unwrap_or_default(),
        None => r.message.to_string(),
    };
    let level = c.level.to_string();
    // The fix with the names of the row's resource filled in, as the table gives it.
    let fix = match c.remediation.as_deref() {
        Some(fix) => super::fix::fill(
            fix.trim(),
            resource.map_or(subject.id.as_str(), |res| &res.id),
            &subject.id,
        ),
        None => c.guidance.as_deref().unwrap_or_default().trim().to_string(),
    };
    row(
        out,
        &[
            subject.subject.noun.0,
            &subject.name,
            &subject.id,
            &c.id,
            &c.title,
            &c.category,
            c.severity.as_str(),
            &level,
            c.mode.as_str(),
            r.status.as_str(),
            resource.map_or("", |res| &*res.id),
            resource.map_or(r.status.as_str(), |res| res.status.as_str()),
            &message,
            &evidence,
            &fix,
            &references,
            &waiver,
            match resource.and_then(|res| res.baseline) {
                Some(crate::audit::baseline::Seen::New) => "new",
                Some(crate::audit::baseline::Seen::Known) => "known",
                None => "",
            },
        ],
    );
}

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn fields_follow_rfc_4180_and_stay_text() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        assert_eq!(field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(field("-1"), "'-1");
        assert_eq!(field("@cmd"), "'@cmd");
    }
}
