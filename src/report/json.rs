//! The JSON report (DESIGN §7): stable field names, results sorted by control id, byte-for-byte
//! deterministic for the same input apart from `generatedAt` and `stats`.

use serde::Serialize;

use super::{Report, Source};
use crate::audit::answers::Answer;
use crate::audit::baseline::Comparison;
use crate::audit::compliance::Compliance;
use crate::audit::exceptions::{Outcome, Waiver};
use crate::audit::{ResourceResult, Status, SubjectResult, Summary};
use crate::documents::ReadFailure;
use crate::rules::{Mode, References, Severity};

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonReport<'a> {
    schema_version: u32,
    tool: Tool,
    generated_at: &'a str,
    level: u8,
    source: &'a Source,
    summary: Summary,
    /// One array per subject kind: `workspaces`, `registries`.
    #[serde(flatten)]
    sections: Sections<'a>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    errors: &'a [ReadFailure],
    exceptions: &'a [Outcome],
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline: Option<&'a Comparison>,
    #[serde(skip_serializing_if = "Option::is_none")]
    compliance: Option<&'a Compliance>,
    stats: Stats,
}

/// The subject sections in report order, each under its kind's key.
struct Sections<'a>(Vec<(&'static str, Vec<&'a SubjectResult<'a>>)>);

impl Serialize for Sections<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (key, subjects) in &self.0 {
            map.serialize_entry(key, &Subjects(subjects))?;
        }
        map.end()
    }
}

/// Subjects printed at once: a tenant's report is hundreds of megabytes of JSON, which one
/// thread prints at about 200 MB a second; a batch's text is held until it is written.
const SUBJECTS_PER_BATCH: usize = 16;

/// One section's subjects, each printed on its own (a batch at a time, split over the cores)
/// and indented as the report nests it, then written in order.
struct Subjects<'a>(&'a [&'a SubjectResult<'a>]);

impl Serialize for Subjects<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeSeq};
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for batch in self.0.chunks(SUBJECTS_PER_BATCH) {
            let texts = crate::parallel::map_parts(batch, SUBJECTS_PER_BATCH / 2, |part| {
                part.iter().map(|w| nested(&subject(w))).collect()
            });
            for text in texts {
                seq.serialize_element(&text.map_err(S::Error::custom)?)?;
            }
        }
        seq.end()
    }
}

/// `value` pretty-printed as an element of a section, two levels into the report: each line
/// after the first indented by four more spaces (a JSON text has no newline inside a string).
fn nested(value: &impl Serialize) -> serde_json::Result<Box<serde_json::value::RawValue>> {
    let text = serde_json::to_string_pretty(value)?;
    serde_json::value::RawValue::from_string(text.replace('\n', "\n    "))
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Stats {
    requests: u64,
    duration_ms: u64,
}

#[derive(Serialize)]
struct JsonWorkspace<'a> {
    id: &'a str,
    name: &'a str,
    location: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a ReadFailure>,
    summary: Summary,
    categories: Vec<JsonCategory<'a>>,
    results: Vec<JsonResult<'a>>,
}

#[derive(Serialize)]
struct JsonCategory<'a> {
    id: &'a str,
    title: &'a str,
    summary: Summary,
}

#[derive(Serialize)]
struct JsonResult<'a> {
    control: &'a str,
    title: &'a str,
    category: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    section: Option<&'a str>,
    severity: Severity,
    level: u8,
    mode: Mode,
    target: String,
    status: Status,
    message: &'a str,
    resources: &'a [ResourceResult],
    remediation: Option<&'a str>,
    /// The remediation with the names amlsec knows filled in, per failing resource.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fixes: Vec<JsonFix<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    docs: Option<&'a str>,
    guidance: Option<&'a str>,
    references: &'a References,
    waiver: Option<&'a Waiver>,
    #[serde(skip_serializing_if = "Option::is_none")]
    answer: Option<&'a Answer>,
}

#[derive(Serialize)]
struct JsonFix<'a> {
    resource: &'a str,
    command: String,
}

/// The categories of a workspace's results, in baseline order, with their summaries.
pub fn categories<'a>(w: &'a SubjectResult<'_>) -> Vec<(&'a str, &'a str, Summary)> {
    let mut ids: Vec<(&str, &str)> = Vec::new();
    for r in &w.results {
        let c = (
            r.control.category.as_str(),
            r.control.category_title.as_str(),
        );
        if !ids.contains(&c) {
            ids.push(c);
        }
    }
    let rank = |id: &str| {
        crate::rules::CATEGORIES
            .iter()
            .position(|(c, _)| *c == id)
            .unwrap_or(usize::MAX)
    };
    ids.sort_by(|a, b| rank(a.0).cmp(&rank(b.0)).then(a.0.cmp(b.0)));
    ids.into_iter()
        .map(|(id, title)| {
            (
                id,
                title,
                Summary::of(w.results.iter().filter(|r| r.control.category == id)),
            )
        })
        .collect()
}

/// The JSON report as a string.
pub fn to_json(report: &Report<'_>) -> String {
    let mut out = Vec::new();
    write_json(report, &mut out).expect("writing to memory");
    String::from_utf8(out).expect("JSON is UTF-8")
}

/// Streams the JSON report to `out`.
/// Generic over the writer: the pretty printer writes each token on its own, which through a
/// `dyn Write` was a virtual call apiece (a tenth of a 2,000-workspace audit).
pub fn write_json<W: std::io::Write>(report: &Report<'_>, mut out: W) -> std::io::Result<()> {
    let sections = report
        .sections(true)
        .into_iter()
        .map(|(kind, of_kind)| (kind.section, of_kind))
        .collect();
    let json = JsonReport {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "amlsec",
            version: env!("CARGO_PKG_VERSION"),
        },
        generated_at: &report.generated_at,
        level: report.level,
        source: &report.source,
        summary: report.summary(),
        sections: Sections(sections),
        errors: &report.errors,
        exceptions: &report.exceptions,
        baseline: report.baseline.as_ref(),
        compliance: report.compliance.as_ref(),
        stats: Stats {
            requests: report.requests,
            duration_ms: report.duration_ms,
        },
    };
    serde_json::to_writer_pretty(&mut out, &json)?;
    out.write_all(b"\n")
}

fn subject<'a>(w: &'a SubjectResult<'_>) -> JsonWorkspace<'a> {
    JsonWorkspace {
        id: &w.id,
        name: &w.name,
        location: w.location.as_deref(),
        kind: w.kind.as_deref(),
        error: w.error.as_ref(),
        summary: Summary::of(&w.results),
        categories: categories(w)
            .into_iter()
            .map(|(id, title, summary)| JsonCategory { id, title, summary })
            .collect(),
        results: w
            .results
            .iter()
            .map(|r| JsonResult {
                control: &r.control.id,
                title: &r.control.title,
                category: &r.control.category,
                section: r.control.section.as_deref(),
                severity: r.control.severity,
                level: r.control.level,
                mode: r.control.mode,
                target: r.control.target.to_string(),
                status: r.status,
                message: &r.message,
                resources: &r.resources,
                remediation: r.control.remediation.as_deref(),
                fixes: match r.control.remediation.as_deref() {
                    Some(fix) => r
                        .resources
                        .iter()
                        .filter(|x| x.status == Status::Fail)
                        .map(|x| JsonFix {
                            resource: &x.id,
                            command: super::fix::fill(fix.trim(), &x.id, &w.id),
                        })
                        .collect(),
                    None => Vec::new(),
                },
                docs: r.control.docs.as_deref(),
                guidance: r.control.guidance.as_deref(),
                references: &r.control.references,
                waiver: r.waiver.as_deref(),
                answer: r.answer.as_deref(),
            })
            .collect(),
    }
}
