//! Reports: views of one result model. The terminal table and the JSON report of DESIGN §7.

mod csv;
mod escape;
mod fix;
mod html;
mod json;
mod junit;
mod markdown;
mod sarif;
mod table;

use crate::audit::{SubjectResult, Summary};
use crate::error::{Error, Result};
use crate::graph::Subject;

pub use csv::BOM as CSV_BOM;
pub use csv::to_csv;
pub use html::to_html;
pub use json::to_json;
pub use junit::to_junit;
pub use markdown::to_markdown;
pub use table::{DEFAULT_STATUSES, View, to_table};

/// Everything a report shows.
#[derive(Debug)]
pub struct Report<'r> {
    /// Every audited subject, workspaces first, in the order of [`crate::graph::SUBJECTS`].
    pub subjects: Vec<SubjectResult<'r>>,
    /// Lists of subjects that could not be read (registry discovery): the audit is incomplete.
    pub errors: Vec<crate::documents::ReadFailure>,
    pub level: u8,
    pub source: Source,
    /// RFC 3339, UTC.
    pub generated_at: String,
    pub duration_ms: u64,
    /// ARM requests made (0 offline).
    pub requests: u64,
    /// What became of each entry of the exceptions file.
    pub exceptions: Vec<crate::audit::exceptions::Outcome>,
    /// New, known and fixed findings against a `--baseline` report.
    pub baseline: Option<crate::audit::baseline::Comparison>,
    /// The verdicts by the items of a framework (`--compliance`).
    pub compliance: Option<crate::audit::compliance::Compliance>,
}

#[derive(Debug, Clone, serde::Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Source {
    Snapshot {
        path: String,
    },
    Live {
        endpoint: String,
    },
    /// An ARM template, audited before deployment.
    Template {
        path: String,
    },
}

impl Report<'_> {
    pub fn summary(&self) -> Summary {
        Summary::of(self.subjects.iter().flat_map(|w| &w.results))
    }

    /// Each subject kind with its audited subjects, in report order; `all` keeps kinds that
    /// have none (the JSON report always has every section).
    pub fn sections(&self, all: bool) -> Vec<(&'static Subject, Vec<&SubjectResult<'_>>)> {
        crate::graph::SUBJECTS
            .iter()
            .map(|k| {
                (
                    k,
                    self.subjects
                        .iter()
                        .filter(|s| s.subject == k)
                        .collect::<Vec<_>>(),
                )
            })
            .filter(|(_, of_kind)| all || !of_kind.is_empty())
            .collect()
    }

    /// `1 workspace · 2 registries`: the audited subjects counted by kind (workspaces always).
    pub fn counted(&self) -> String {
        let mut counts: Vec<(&Subject, usize)> = self
            .sections(false)
            .iter()
            .map(|(k, of_kind)| (*k, of_kind.len()))
            .collect();
        if counts.is_empty() {
            counts.push((crate::graph::workspace_subject(), 0));
        }
        counts
            .iter()
            .map(|(k, n)| format!("{n} {}", if *n == 1 { k.noun.0 } else { k.noun.1 }))
            .collect::<Vec<_>>()
            .join(" · ")
    }

    /// One line on the `--baseline` comparison, for the text reports.
    pub fn baseline_line(&self) -> Option<String> {
        let c = self.baseline.as_ref()?;
        let fixed: Vec<String> = c
            .fixed
            .iter()
            .map(|f| format!("{} on {}", f.control, f.resource))
            .collect();
        Some(format!(
            "Against the baseline {}: {} new, {} known, {} fixed{}",
            c.path,
            c.new,
            c.known,
            c.fixed.len(),
            if fixed.is_empty() {
                String::new()
            } else {
                format!(" ({})", fixed.join("; "))
            }
        ))
    }
}

/// A score as reports print it: one decimal and `%`, or an en dash when nothing was scored.
fn score(s: &crate::audit::Summary) -> String {
    s.score.map_or("–".into(), |v| format!("{v:.1}%"))
}

/// The statuses a summary counts, those that are not zero: `3 fail · 12 pass`.
fn counts(s: &Summary) -> String {
    [
        (s.fail, "fail"),
        (s.waived, "waived"),
        (s.error, "error"),
        (s.unknown, "unknown"),
        (s.manual, "manual"),
        (s.pass, "pass"),
        (s.not_applicable, "not applicable"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect::<Vec<_>>()
    .join(" · ")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Sarif,
    Junit,
    Markdown,
    Csv,
    Html,
}

impl Format {
    pub const NAMES: &[&str] = &["table", "json", "sarif", "junit", "markdown", "csv", "html"];

    pub fn parse(name: &str) -> Result<Format> {
        match name.trim().to_ascii_lowercase().as_str() {
            "table" | "txt" | "text" => Ok(Format::Table),
            "json" => Ok(Format::Json),
            "sarif" => Ok(Format::Sarif),
            "junit" | "xml" => Ok(Format::Junit),
            "markdown" | "md" => Ok(Format::Markdown),
            "csv" => Ok(Format::Csv),
            "html" | "htm" => Ok(Format::Html),
            other => Err(Error::Usage(format!(
                "unknown report format `{other}`; formats: {}",
                Format::NAMES.join(", ")
            ))),
        }
    }

    /// The format a report file's extension implies.
    pub fn from_extension(path: &std::path::Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "json" => Some(Format::Json),
            "txt" => Some(Format::Table),
            "sarif" => Some(Format::Sarif),
            "xml" | "junit" => Some(Format::Junit),
            "md" | "markdown" => Some(Format::Markdown),
            "csv" => Some(Format::Csv),
            "html" | "htm" => Some(Format::Html),
            _ => None,
        }
    }
}

/// Writes a report; `view` only matters for the table. JSON is streamed, so a report on
/// thousands of workspaces is never held in memory as one string.
pub fn write(
    format: Format,
    report: &Report<'_>,
    view: &View,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(out);
    match format {
        Format::Table => std::io::Write::write_all(&mut out, to_table(report, view).as_bytes())?,
        Format::Json => json::write_json(report, &mut out)?,
        Format::Sarif => sarif::write_sarif(report, &mut out)?,
        Format::Junit => std::io::Write::write_all(&mut out, to_junit(report).as_bytes())?,
        Format::Markdown => std::io::Write::write_all(
            &mut out,
            to_markdown(report, view.markdown_limit).as_bytes(),
        )?,
        Format::Csv => std::io::Write::write_all(&mut out, to_csv(report).as_bytes())?,
        Format::Html => std::io::Write::write_all(&mut out, to_html(report).as_bytes())?,
    }
    std::io::Write::flush(&mut out)
}

/// A subject's results in the order a reader acts on them, as the terminal lists them: what
/// fails first, then what could not be judged, waived, manual, passing and not applicable; most
/// severe first within each; by id last.
pub(crate) fn by_attention<'a, 'r>(
    results: &'a [crate::audit::ControlResult<'r>],
) -> Vec<&'a crate::audit::ControlResult<'r>> {
    use crate::audit::Status;
    let rank = |s: Status| match s {
        Status::Fail => 0,
        Status::Error => 1,
        Status::Unknown => 2,
        Status::Waived => 3,
        Status::Manual => 4,
        Status::Pass => 5,
        Status::NotApplicable => 6,
    };
    let mut ordered: Vec<_> = results.iter().collect();
    ordered.sort_by(|a, b| {
        rank(a.status)
            .cmp(&rank(b.status))
            .then(b.control.severity.cmp(&a.control.severity))
            .then(a.control.id.cmp(&b.control.id))
    });
    ordered
}

/// The failing controls across an estate, most severe first, each with its failing resources
/// (short ids), each resource once however many subjects share it.
pub(crate) fn failures_by_control<'a>(
    report: &'a Report<'_>,
) -> Vec<(&'a crate::rules::Control, Vec<&'a str>)> {
    use crate::audit::Status;
    let mut controls: Vec<(&crate::rules::Control, Vec<&str>)> = Vec::new();
    for w in &report.subjects {
        for r in w.results.iter().filter(|r| r.status == Status::Fail) {
            let at = match controls.iter().position(|(c, _)| c.id == r.control.id) {
                Some(at) => at,
                None => {
                    controls.push((r.control, Vec::new()));
                    controls.len() - 1
                }
            };
            for res in r.resources.iter().filter(|x| x.status == Status::Fail) {
                let id = short_id(&res.id);
                if !controls[at].1.contains(&id) {
                    controls[at].1.push(id);
                }
            }
        }
    }
    controls.sort_by(|a, b| b.0.severity.cmp(&a.0.severity).then(a.0.id.cmp(&b.0.id)));
    controls
}

/// The default size limit: GitHub's step summary takes at most 1 MiB.
pub const MARKDOWN_LIMIT: usize = 1 << 20;

/// An ARM id without its subscription, resource group and provider prefix: the part a
/// reader scans for (`vaults/kv-hub/providers/Microsoft.Insights/diagnosticSettings`).
pub(crate) fn short_id(id: &str) -> &str {
    let lower = id.to_ascii_lowercase();
    match lower.find("/providers/") {
        Some(at) => {
            let rest = &id[at + "/providers/".len()..];
            match rest.find('/') {
                Some(slash) if slash + 1 < rest.len() => &rest[slash + 1..],
                _ => id,
            }
        }
        None => id,
    }
}
