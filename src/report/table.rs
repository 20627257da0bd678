//! The terminal report: per workspace, a summary by category, then the failing and error
//! controls with their evidence, then the manual controls with their guidance.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, Color, ColumnConstraint, ContentArrangement, Table, Width};

use super::Report;
use super::json::categories;
use crate::audit::{ControlResult, Status, Summary};

const WIDTH_OFF_TERMINAL: u16 = 140;

fn table(color: bool) -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    if color {
        t.enforce_styling();
    } else {
        t.force_no_tty().set_width(WIDTH_OFF_TERMINAL);
    }
    t
}

fn status_cell(status: Status, color: bool) -> Cell {
    let cell = Cell::new(status.as_str());
    if !color {
        return cell;
    }
    cell.fg(match status {
        Status::Pass => Color::Green,
        Status::Fail => Color::Red,
        Status::Error => Color::Magenta,
        Status::Manual => Color::Yellow,
        Status::NotApplicable | Status::Waived => Color::DarkGrey,
    })
}

/// An ARM id without its subscription, resource group and provider prefix: the part a
/// reader scans for (`vaults/kv-hub/providers/Microsoft.Insights/diagnosticSettings`).
pub(super) fn short_id(id: &str) -> &str {
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

fn score(s: &Summary) -> String {
    s.score.map_or("-".into(), |v| format!("{v:.1}%"))
}

/// Evidence lines are cut at 200 characters: a list of every NSG rule helps nobody in a table.
const EVIDENCE_CHARS: usize = 200;
/// Messages, names and ids are cut too: laying out a cell costs more than linear time in its
/// length, and a hostile 1 MB name must not stall the report (the JSON keeps the full text).
const TEXT_CHARS: usize = 400;

fn short(text: &str) -> String {
    clip(text, EVIDENCE_CHARS)
}

fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((cut, _)) => format!(
            "{}… ({} more characters)",
            &text[..cut],
            text[cut..].chars().count()
        ),
    }
}

pub fn to_table(report: &Report<'_>, color: bool) -> String {
    let mut out = String::new();
    for w in &report.workspaces {
        out.push_str(&format!(
            "Workspace {} ({})\n  {}\n",
            clip(&w.name, TEXT_CHARS),
            clip(
                w.location.as_deref().unwrap_or("location unknown"),
                TEXT_CHARS
            ),
            clip(&w.id, TEXT_CHARS)
        ));
        if let Some(e) = &w.error {
            out.push_str(&format!(
                "  could not be read: {}\n",
                clip(&e.to_string(), TEXT_CHARS)
            ));
        }
        let mut summary = table(color);
        summary.set_header(vec![
            "Category", "Pass", "Fail", "Manual", "N/A", "Error", "Score",
        ]);
        for (_, title, s) in categories(w) {
            summary.add_row(vec![
                title.to_string(),
                s.pass.to_string(),
                s.fail.to_string(),
                s.manual.to_string(),
                s.not_applicable.to_string(),
                s.error.to_string(),
                score(&s),
            ]);
        }
        let total = Summary::of(&w.results);
        summary.add_row(vec![
            "Total".to_string(),
            total.pass.to_string(),
            total.fail.to_string(),
            total.manual.to_string(),
            total.not_applicable.to_string(),
            total.error.to_string(),
            score(&total),
        ]);
        out.push_str(&format!("{summary}\n"));

        let findings: Vec<&ControlResult<'_>> = w
            .results
            .iter()
            .filter(|r| matches!(r.status, Status::Fail | Status::Error))
            .collect();
        if !findings.is_empty() {
            let mut t = table(color);
            t.set_header(vec![
                "Control", "Severity", "Status", "Resource", "Evidence",
            ]);
            // Evidence paths are long: give that column the room and cap the others.
            t.set_constraints([
                ColumnConstraint::UpperBoundary(Width::Percentage(20)),
                ColumnConstraint::ContentWidth,
                ColumnConstraint::ContentWidth,
                ColumnConstraint::UpperBoundary(Width::Percentage(24)),
                ColumnConstraint::LowerBoundary(Width::Percentage(45)),
            ]);
            for r in findings {
                let bad: Vec<_> = r.findings().collect();
                let title = format!("{}\n{}", r.control.id, r.control.title);
                if bad.is_empty() {
                    t.add_row(vec![
                        Cell::new(&title),
                        Cell::new(r.control.severity.as_str()),
                        status_cell(r.status, color),
                        Cell::new(r.control.target.to_string()),
                        Cell::new(clip(&r.message, TEXT_CHARS)),
                    ]);
                }
                for res in bad {
                    let mut evidence: Vec<String> =
                        res.evidence.iter().map(|e| short(&e.to_string())).collect();
                    if let Some(m) = &res.message {
                        evidence.insert(0, clip(m, TEXT_CHARS));
                    }
                    t.add_row(vec![
                        Cell::new(&title),
                        Cell::new(r.control.severity.as_str()),
                        status_cell(res.status, color),
                        Cell::new(clip(short_id(&res.id), TEXT_CHARS)),
                        Cell::new(evidence.join("\n")),
                    ]);
                }
            }
            out.push_str(&format!("Findings\n{t}\n"));
        }

        let manual: Vec<&ControlResult<'_>> = w
            .results
            .iter()
            .filter(|r| r.status == Status::Manual)
            .collect();
        if !manual.is_empty() {
            let mut t = table(color);
            t.set_header(vec!["Control", "Question", "Guidance"]);
            t.set_constraints([
                ColumnConstraint::ContentWidth,
                ColumnConstraint::UpperBoundary(Width::Percentage(25)),
                ColumnConstraint::LowerBoundary(Width::Percentage(60)),
            ]);
            for r in manual {
                let guidance = r.control.guidance.clone().unwrap_or_else(|| {
                    r.resources
                        .iter()
                        .filter_map(|x| x.message.as_deref().map(|m| clip(m, TEXT_CHARS)))
                        .collect::<Vec<_>>()
                        .join("\n")
                });
                t.add_row(vec![
                    r.control.id.clone(),
                    r.control.title.clone(),
                    guidance.trim().to_string(),
                ]);
            }
            out.push_str(&format!("Manual controls (a person must answer)\n{t}\n"));
        }
    }
    if let Some(line) = report.baseline_line() {
        out.push_str(&format!("{line}\n"));
    }
    let s = report.summary();
    out.push_str(&format!(
        "{} workspace{} · level {} · {} pass · {} fail · {} manual · {} not applicable · {} error · score {}\n",
        report.workspaces.len(),
        if report.workspaces.len() == 1 { "" } else { "s" },
        report.level,
        s.pass,
        s.fail,
        s.manual,
        s.not_applicable,
        s.error,
        score(&s)
    ));
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn long_text_is_clipped_on_a_character_boundary() {
        assert_eq!(super::clip("héllo", 10), "héllo");
        assert_eq!(super::clip("héllo", 2), "hé… (3 more characters)");
    }

    #[test]
    fn ids_are_shortened_after_the_provider() {
        assert_eq!(
            super::short_id(
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv/providers/Microsoft.Insights/diagnosticSettings"
            ),
            "vaults/kv/providers/Microsoft.Insights/diagnosticSettings"
        );
        assert_eq!(super::short_id("/subscriptions/s"), "/subscriptions/s");
    }
}
