//! A GitHub-flavoured summary for a pull-request comment or `$GITHUB_STEP_SUMMARY`: scores per
//! category, the failing controls with evidence and fix, the manual questions. When that does
//! not fit the size limit (a PR comment takes 64 KiB, the step summary 1 MiB), a compact form
//! does: one row per workspace, then findings most severe first until the limit, then a line
//! saying how many more there are.

use std::fmt::Write as _;

use super::json::categories;
use super::{Report, score};
use crate::audit::compliance::Compliance;
use crate::audit::{Status, Summary};

/// Table-cell text from the estate: read as text, never as Markdown. Pipes, emphasis, code
/// and link or image brackets are escaped, angle brackets kept from turning into HTML tags,
/// line breaks folded and control characters shown as escapes.
fn cell(text: &str) -> String {
    let text = crate::terminal::printable(text);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '|' | '[' | ']' | '!' | '`' | '*' | '_' | '~' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn code(v: crate::audit::Actual<'_>) -> String {
    let text = v.shown();
    let text = if text.chars().count() > 120 {
        format!("{}…", text.chars().take(119).collect::<String>())
    } else {
        text
    };
    // Backticks keep `<` and `>` literal; only the table's pipe needs escaping, and a line
    // break or control character must not end the cell.
    let text = crate::terminal::printable(&text).replace(['\n', '\t'], " ");
    format!("`{}`", text.replace('`', "'").replace('|', "\\|"))
}

/// Room kept for the closing "n more" lines of the compact form.
const TRAILER: usize = 400;

/// The full summary when it fits in `limit` bytes, else the compact one.
pub fn to_markdown(report: &Report<'_>, limit: usize) -> String {
    let full = full(report);
    if full.len() <= limit {
        return full;
    }
    compact(report, full.len(), limit)
}

fn header(report: &Report<'_>) -> String {
    let s = report.summary();
    let mut md = String::new();
    let _ = writeln!(
        md,
        "## amlsec: {}, score {}\n\n**{s}** (level {})\n",
        report.counted(),
        score(&s),
        report.level
    );
    if let Some(line) = report.baseline_line() {
        let _ = writeln!(md, "{line}\n");
    }
    for e in &report.errors {
        let _ = writeln!(md, "> **Could not be listed:** {}\n", cell(&e.to_string()));
    }
    if let Some(c) = &report.compliance {
        compliance(&mut md, c);
    }
    md
}

/// `--compliance`: a table row per framework item; in the compact form too, as it is short.
fn compliance(md: &mut String, c: &Compliance) {
    let _ = writeln!(
        md,
        "### {}\n\n| Item | Status | Verdicts | Failed by |\n|---|---|---|---|",
        c.title
    );
    for item in &c.items {
        let _ = writeln!(
            md,
            "| **{}** {} | {} | {} | {} |",
            cell(item.id),
            cell(item.title),
            item.status.as_str(),
            super::counts(&item.summary),
            item.failing.join(", ")
        );
    }
    if !c.unmapped.is_empty() {
        let _ = writeln!(
            md,
            "\nNot mapped to {}: {}",
            c.framework,
            c.unmapped.join(", ")
        );
    }
    md.push('\n');
}

fn full(report: &Report<'_>) -> String {
    let mut md = header(report);
    let sections = report.sections(false);
    // With more than one kind, each kind gets a heading and its subjects go one level down.
    let level = if sections.len() > 1 { "####" } else { "###" };
    // Failures a hub shares with its projects are listed under the first subject only.
    let mut shown: std::collections::HashSet<(String, String)> = Default::default();
    for (kind, subjects) in &sections {
        if sections.len() > 1 {
            let _ = writeln!(md, "### {}\n", kind.heading);
        }
        for w in subjects {
            subject(&mut md, w, level, &mut shown);
        }
    }
    if report.subjects.len() > 1 {
        by_control(&mut md, report);
    }
    md
}

/// One row per failing control across the estate, with its failing resources.
fn by_control(md: &mut String, report: &Report<'_>) {
    let controls = super::failures_by_control(report);
    if controls.is_empty() {
        return;
    }
    md.push_str("### By control, across the estate\n\n| Control | Severity | Failing resources |\n|---|---|---|\n");
    for (control, resources) in controls {
        let names: Vec<String> = resources.iter().map(|r| format!("`{r}`")).collect();
        let _ = writeln!(
            md,
            "| **{}** {} | {} | {} |",
            control.id,
            cell(&control.title),
            control.severity.as_str(),
            names.join(", ")
        );
    }
    md.push('\n');
}

/// One audited subject: its category table, findings, waivers and manual questions.
fn subject(
    md: &mut String,
    w: &crate::audit::SubjectResult<'_>,
    level: &str,
    shown: &mut std::collections::HashSet<(String, String)>,
) {
    let _ = writeln!(
        md,
        "{level} {} ({})\n",
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
    let repeated = findings(md, w, shown);
    if repeated > 0 {
        let _ = writeln!(
            md,
            "\n{repeated} more failing resources are shared with a workspace above and listed there."
        );
    }
    waived_and_manual(md, w);
    md.push('\n');
}

/// The subject's failing, erroring and unknown controls, a row per resource; a failure a
/// subject above showed already is counted, not repeated. Returns that count.
fn findings(
    md: &mut String,
    w: &crate::audit::SubjectResult<'_>,
    shown: &mut std::collections::HashSet<(String, String)>,
) -> usize {
    let findings: Vec<_> = super::by_attention(&w.results)
        .into_iter()
        .filter(|r| matches!(r.status, Status::Fail | Status::Error | Status::Unknown))
        .collect();
    let mut repeated = 0;
    if !findings.is_empty() {
        md.push_str("\n| Control | Severity | Status | Resource | Evidence | Fix |\n|---|---|---|---|---|---|\n");
        for r in findings {
            let all: Vec<_> = r.findings().collect();
            let mut bad = Vec::new();
            for res in all.iter().copied() {
                let key = (r.control.id.clone(), crate::arm_id::key(&res.id));
                if res.status == Status::Fail && !shown.insert(key) {
                    repeated += 1;
                } else {
                    bad.push(res);
                }
            }
            if bad.is_empty() && !all.is_empty() {
                continue;
            }
            // The fix with the names of the resource it is for, as the table and HTML give it.
            let fix = |resource: &str| {
                let remediation = r.control.remediation.as_deref().unwrap_or("").trim();
                let mut fix = cell(&super::fix::fill(remediation, resource, &w.id));
                if let Some(docs) = &r.control.docs {
                    fix.push_str(&format!(" ([docs]({}))", cell(docs).replace(')', "%29")));
                }
                fix
            };
            if bad.is_empty() {
                let _ = writeln!(
                    md,
                    "| **{}** {} | {} | {} | – | {} | {} |",
                    r.control.id,
                    cell(&r.control.title),
                    r.control.severity.as_str(),
                    r.status.as_str(),
                    cell(&r.message),
                    fix(&w.id)
                );
            }
            for res in bad {
                let mut evidence: Vec<String> = res
                    .evidence
                    .iter()
                    .map(|e| format!("{} = {}", cell(e.path), code(e.actual)))
                    .collect();
                if let Some(m) = &res.message {
                    evidence.insert(0, cell(m));
                }
                let _ = writeln!(
                    md,
                    "| **{}** {} | {} | {} | `{}`{} | {} | {} |",
                    r.control.id,
                    cell(&r.control.title),
                    r.control.severity.as_str(),
                    res.status.as_str(),
                    super::short_id(&res.id),
                    if res.is_new() { " **new**" } else { "" },
                    evidence.join("<br>"),
                    fix(&res.id)
                );
            }
        }
    }
    repeated
}

/// The waived controls on one line, and the manual questions folded.
fn waived_and_manual(md: &mut String, w: &crate::audit::SubjectResult<'_>) {
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
}

/// Appends `line` when it leaves room for the trailer; says whether it did.
fn push_within(md: &mut String, line: &str, limit: usize) -> bool {
    let fits = md.len() + line.len() + TRAILER <= limit;
    if fits {
        md.push_str(line);
    }
    fits
}

fn compact(report: &Report<'_>, full_len: usize, limit: usize) -> String {
    let mut md = header(report);
    let _ = writeln!(
        md,
        "_Compact form: the full summary is {full_len} bytes, over the {limit}-byte limit. The JSON, SARIF or CSV report has every finding._\n"
    );
    // "Workspace", or "Subject" when registries are audited too.
    let sections = report.sections(false);
    let (one, many) = match sections.as_slice() {
        [(kind, _)] => (kind.noun.0, kind.noun.1),
        _ => ("subject", "subjects"),
    };
    let mut column = one.to_string();
    column[..1].make_ascii_uppercase();
    let _ = writeln!(
        md,
        "| {column} | Score | Fail | Error | Manual |\n|---|---:|---:|---:|---:|"
    );
    let mut workspaces_left = 0;
    for w in &report.subjects {
        let s = Summary::of(&w.results);
        let name = if w.error.is_some() {
            format!("{} (could not be read)", cell(&w.name))
        } else {
            cell(&w.name)
        };
        let row = format!(
            "| {name} | {} | {} | {} | {} |\n",
            score(&s),
            s.fail,
            s.error,
            s.manual
        );
        if workspaces_left > 0 || !push_within(&mut md, &row, limit) {
            workspaces_left += 1;
        }
    }
    if workspaces_left > 0 {
        let _ = writeln!(md, "\n**{workspaces_left} more {many} not shown.**");
    }
    // Each failing (control, resource) once, however many subjects share it; most severe first.
    let mut findings: Vec<(&crate::rules::Control, &str, &str, Vec<&str>)> = Vec::new();
    let mut index = std::collections::HashMap::new();
    for w in &report.subjects {
        for r in &w.results {
            for res in r.findings() {
                let at = *index
                    .entry((r.control.id.as_str(), crate::arm_id::key(&res.id)))
                    .or_insert_with(|| {
                        findings.push((r.control, &res.id, res.status.as_str(), vec![]));
                        findings.len() - 1
                    });
                findings[at].3.push(&w.name);
            }
        }
    }
    findings.sort_by(|a, b| b.0.severity.cmp(&a.0.severity).then(a.0.id.cmp(&b.0.id)));
    let mut findings_left = 0;
    if !findings.is_empty() {
        md.push_str(
            "\n| Control | Severity | Status | Resource | Found on |\n|---|---|---|---|---|\n",
        );
    }
    for (control, id, status, names) in &findings {
        let row = format!(
            "| **{}** {} | {} | {status} | `{}` | {} |\n",
            control.id,
            cell(&control.title),
            control.severity.as_str(),
            super::short_id(id),
            cell(&names.join(", "))
        );
        if findings_left > 0 || !push_within(&mut md, &row, limit) {
            findings_left += 1;
        }
    }
    if findings_left > 0 {
        let _ = writeln!(
            md,
            "\n**{findings_left} more findings not shown** (of {}).",
            findings.len()
        );
    }
    md.push_str("\nSee `amlsec rules show <ID>` for each control's fix and guidance.\n");
    md
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn cells_from_the_estate_make_no_markup() {
        assert_eq!(
            cell("x [click](https://e) ![i](https://e/i.png) <b>|*_`\r\n"),
            "x \\[click\\](https://e) \\!\\[i\\](https://e/i.png) &lt;b&gt;\\|\\*\\_\\`\\\\u{d} "
        );
    }
}
