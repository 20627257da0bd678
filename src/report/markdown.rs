//! A compact GitHub-flavoured summary for a pull-request comment or `$GITHUB_STEP_SUMMARY`:
//! scores per category, the failing controls with evidence and fix, the manual questions.

use std::fmt::Write as _;

use super::Report;
use super::json::categories;
use crate::audit::{Status, Summary};

/// Table-cell text: pipes escaped, angle brackets kept from turning into HTML tags.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\n', " ")
}

fn score(s: &Summary) -> String {
    s.score.map_or("–".into(), |v| format!("{v:.1}%"))
}

fn code(v: &serde_json::Value) -> String {
    let text = match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "(missing)".into(),
        other => other.to_string(),
    };
    let text = if text.chars().count() > 120 {
        format!("{}…", text.chars().take(119).collect::<String>())
    } else {
        text
    };
    // Backticks keep `<` and `>` literal; only the table's pipe needs escaping.
    format!("`{}`", text.replace('`', "'").replace('|', "\\|"))
}

pub fn to_markdown(report: &Report<'_>) -> String {
    let s = report.summary();
    let mut md = String::new();
    let _ = writeln!(
        md,
        "## amlsec: {} workspace{}, score {}\n\n**{} pass · {} fail · {} error · {} waived · {} manual · {} not applicable** (level {})\n",
        report.workspaces.len(),
        if report.workspaces.len() == 1 {
            ""
        } else {
            "s"
        },
        score(&s),
        s.pass,
        s.fail,
        s.error,
        s.waived,
        s.manual,
        s.not_applicable,
        report.level
    );
    if let Some(line) = report.baseline_line() {
        let _ = writeln!(md, "{line}\n");
    }
    for w in &report.workspaces {
        let _ = writeln!(
            md,
            "### {} ({})\n",
            w.name,
            w.location.as_deref().unwrap_or("location unknown")
        );
        if let Some(e) = &w.error {
            let _ = writeln!(md, "> **Could not be read:** {}\n", cell(&e.to_string()));
        }
        md.push_str(
            "| Category | Pass | Fail | Error | Manual | Score |\n|---|---:|---:|---:|---:|---:|\n",
        );
        for (_, title, c) in categories(w) {
            let _ = writeln!(
                md,
                "| {title} | {} | {} | {} | {} | {} |",
                c.pass,
                c.fail,
                c.error,
                c.manual,
                score(&c)
            );
        }
        let findings: Vec<_> = w
            .results
            .iter()
            .filter(|r| matches!(r.status, Status::Fail | Status::Error))
            .collect();
        if !findings.is_empty() {
            md.push_str("\n| Control | Severity | Status | Resource | Evidence | Fix |\n|---|---|---|---|---|---|\n");
            for r in findings {
                let bad: Vec<_> = r.findings().collect();
                let fix = cell(r.control.remediation.as_deref().unwrap_or(""));
                if bad.is_empty() {
                    let _ = writeln!(
                        md,
                        "| **{}** {} | {} | {} | – | {} | {fix} |",
                        r.control.id,
                        cell(&r.control.title),
                        r.control.severity.as_str(),
                        r.status.as_str(),
                        cell(&r.message)
                    );
                }
                for res in bad {
                    let mut evidence: Vec<String> = res
                        .evidence
                        .iter()
                        .map(|e| format!("{} = {}", cell(&e.path), code(&e.actual)))
                        .collect();
                    if let Some(m) = &res.message {
                        evidence.insert(0, cell(m));
                    }
                    let _ = writeln!(
                        md,
                        "| **{}** {} | {} | {} | `{}` | {} | {fix} |",
                        r.control.id,
                        cell(&r.control.title),
                        r.control.severity.as_str(),
                        res.status.as_str(),
                        super::table::short_id(&res.id),
                        evidence.join("<br>")
                    );
                }
            }
        }
        let waived: Vec<_> = w
            .results
            .iter()
            .filter(|r| r.status == Status::Waived)
            .collect();
        if !waived.is_empty() {
            md.push_str("\nWaived: ");
            let list: Vec<String> = waived
                .iter()
                .map(|r| format!("{} ({})", r.control.id, cell(&r.message)))
                .collect();
            md.push_str(&list.join("; "));
            md.push('\n');
        }
        let manual: Vec<_> = w
            .results
            .iter()
            .filter(|r| r.status == Status::Manual)
            .collect();
        if !manual.is_empty() {
            let _ = writeln!(
                md,
                "\n<details><summary>{} questions for a person to answer</summary>\n",
                manual.len()
            );
            for r in manual {
                let _ = writeln!(md, "- **{}** {}", r.control.id, r.control.title);
            }
            md.push_str("\nSee `amlsec rules show <ID>` for the guidance of each.\n</details>\n");
        }
        md.push('\n');
    }
    md
}
