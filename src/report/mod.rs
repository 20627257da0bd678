//! Reports: views of one result model. The terminal table and the JSON report of DESIGN §7.

mod json;
mod table;

use crate::audit::{Summary, WorkspaceResult};
use crate::error::{Error, Result};

pub use json::to_json;
pub use table::to_table;

/// Everything a report shows.
#[derive(Debug)]
pub struct Report<'r> {
    pub workspaces: Vec<WorkspaceResult<'r>>,
    pub level: u8,
    pub source: Source,
    /// RFC 3339, UTC.
    pub generated_at: String,
    pub duration_ms: u64,
    /// ARM requests made (0 offline).
    pub requests: u64,
}

#[derive(Debug, Clone, serde::Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Source {
    Snapshot { path: String },
}

impl Report<'_> {
    pub fn summary(&self) -> Summary {
        Summary::of(self.workspaces.iter().flat_map(|w| &w.results))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
}

impl Format {
    pub const NAMES: &[&str] = &["table", "json"];

    pub fn parse(name: &str) -> Result<Format> {
        match name.trim().to_ascii_lowercase().as_str() {
            "table" | "txt" | "text" => Ok(Format::Table),
            "json" => Ok(Format::Json),
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
            _ => None,
        }
    }
}

/// Writes a report; `color` only matters for the table. JSON is streamed, so a report on
/// thousands of workspaces is never held in memory as one string.
pub fn write(
    format: Format,
    report: &Report<'_>,
    color: bool,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(out);
    match format {
        Format::Table => std::io::Write::write_all(&mut out, to_table(report, color).as_bytes())?,
        Format::Json => json::write_json(report, &mut out)?,
    }
    std::io::Write::flush(&mut out)
}

/// Now, as RFC 3339 UTC with seconds (no date crate needed for one timestamp).
pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    rfc3339(secs)
}

fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_timestamps() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::rfc3339(1_795_694_400), "2026-11-26T12:00:00Z");
        assert_eq!(super::rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }
}
