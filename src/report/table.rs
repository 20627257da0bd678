//! The terminal report, built around what to fix first. Per workspace: a one-line summary,
//! the failing controls most severe first (resource, evidence, and the fix command with the
//! names amlsec knows filled in), waived findings with reason and expiry, what could not be
//! judged, and one line for the manual controls (`--show manual` lists them). Several
//! workspaces get a compact overview first. The overall summary comes last, where the eye
//! lands. Lines wrap at the terminal's width; 80 columns read well.

use std::fmt::Write as _;

use super::Report;
use super::fix;
use crate::audit::compliance::Compliance;
use crate::audit::{ControlResult, ResourceResult, Status, SubjectResult, Summary};
use crate::rules::Severity;

/// How the terminal report is laid out.
#[derive(Debug, Clone)]
pub struct View {
    pub color: bool,
    pub show_manual: bool,
    /// Columns to wrap at.
    pub width: usize,
    /// Bytes the Markdown summary may take before its compact form is used.
    pub markdown_limit: usize,
    /// The statuses whose controls the table lists (`--status`).
    pub statuses: Vec<Status>,
}

/// What the table lists unless `--status` says otherwise: all that needs someone's attention.
pub const DEFAULT_STATUSES: [Status; 5] = [
    Status::Fail,
    Status::Waived,
    Status::Error,
    Status::Unknown,
    Status::Manual,
];

impl View {
    /// No colour, manual controls as one line, 100 columns.
    pub fn plain() -> View {
        View {
            color: false,
            show_manual: false,
            width: 100,
            markdown_limit: super::MARKDOWN_LIMIT,
            statuses: DEFAULT_STATUSES.to_vec(),
        }
    }
}

/// Evidence lines are cut at 200 characters: a list of every NSG rule helps nobody here.
const EVIDENCE_CHARS: usize = 200;
/// Messages, names and ids are cut too, so a hostile 1 MB name cannot flood the screen (the
/// JSON keeps the full text).
const TEXT_CHARS: usize = 400;
/// Controls that could not be judged for one reason are listed under it once from this many.
const SHARED_CAUSE: usize = 3;
/// A fix command names resources, whose names come from the estate: bounded too.
const FIX_CHARS: usize = 1_000;

/// `text` cut at `max` characters, its control characters escaped: every text from the
/// estate or from ARM reaches the terminal through here.
fn clip(text: &str, max: usize) -> String {
    let text = crate::terminal::printable(text);
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((cut, _)) => format!(
            "{}… ({} more characters)",
            &text[..cut],
            text[cut..].chars().count()
        ),
    }
}

/// `text` wrapped at `width`: the first line after `first`, the others after `rest`. Words
/// longer than a line (ids) are cut where the line ends.
fn wrap(text: &str, width: usize, first: &str, rest: &str) -> String {
    let mut out = String::new();
    let mut indent = first;
    for paragraph in text.lines() {
        let mut line = String::from(indent);
        let mut empty = true;
        for word in paragraph.split_whitespace() {
            let room = width.saturating_sub(line.chars().count() + usize::from(!empty));
            if !empty && word.chars().count() > room {
                out.push_str(line.trim_end());
                out.push('\n');
                line = String::from(rest);
                empty = true;
            }
            let mut word = word;
            loop {
                let room = width
                    .saturating_sub(line.chars().count() + usize::from(!empty))
                    .max(10);
                match word.char_indices().nth(room) {
                    Some((cut, _)) if word.chars().count() > room => {
                        if !empty {
                            line.push(' ');
                        }
                        line.push_str(&word[..cut]);
                        out.push_str(&line);
                        out.push('\n');
                        line = String::from(rest);
                        empty = true;
                        word = &word[cut..];
                    }
                    _ => break,
                }
            }
            if !empty {
                line.push(' ');
            }
            line.push_str(word);
            empty = false;
        }
        out.push_str(line.trim_end());
        out.push('\n');
        indent = rest;
    }
    out
}

fn paint(text: &str, code: &str, color: bool) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

fn severity(s: Severity, color: bool) -> String {
    let label = format!("{:<8}", s.as_str().to_ascii_uppercase());
    let code = match s {
        Severity::Critical => "1;31",
        Severity::High => "31",
        Severity::Medium => "33",
        Severity::Low => "36",
    };
    paint(&label, code, color)
}

fn score(s: &Summary) -> String {
    s.score.map_or("-".into(), |v| format!("{v:.1}%"))
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Failures by severity, most severe first: `6 high, 18 medium, 6 low`.
fn by_severity<'a>(results: impl Iterator<Item = &'a ControlResult<'a>> + Clone) -> String {
    [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ]
    .iter()
    .filter_map(|s| {
        let n = results
            .clone()
            .filter(|r| r.status == Status::Fail && r.control.severity == *s)
            .count();
        (n > 0).then(|| format!("{n} {}", s.as_str()))
    })
    .collect::<Vec<_>>()
    .join(", ")
}

pub fn to_table(report: &Report<'_>, view: &View) -> String {
    let mut out = String::new();
    if report.subjects.len() > 1 {
        overview(&mut out, report, view);
    }
    for e in &report.errors {
        let line = format!("could not be listed: {e}");
        out.push_str(&wrap(&paint(&line, "31", view.color), view.width, "", "  "));
        out.push('\n');
    }
    let shared = Shared::of(report);
    let sections = report.sections(false);
    for (kind, subjects) in &sections {
        // The first kind needs no heading unless another follows it.
        if sections.len() > 1 {
            let _ = writeln!(out, "{}\n", paint(kind.heading, "1;4", view.color));
        }
        for w in subjects {
            workspace(&mut out, w, view, &shared);
        }
    }
    if report.subjects.len() > 1 {
        by_control(&mut out, report, view);
    }
    if let Some(c) = &report.compliance {
        compliance(&mut out, c, view);
    }
    if let Some(line) = report.baseline_line() {
        out.push_str(&wrap(&line, view.width, "", "  "));
    }
    let s = report.summary();
    let all = report.subjects.iter().flat_map(|w| &w.results);
    let severities = by_severity(all);
    let line = format!(
        "{} · level {} · score {} · {} pass · {} fail{} · {} waived · {} error · {} manual · {} not applicable",
        report.counted(),
        report.level,
        score(&s),
        s.pass,
        s.fail,
        if severities.is_empty() {
            String::new()
        } else {
            format!(" ({severities})")
        },
        s.waived,
        s.error,
        s.manual,
        s.not_applicable,
    );
    let line = if s.unknown > 0 {
        format!("{line} · {} unknown", s.unknown)
    } else {
        line
    };
    out.push_str(&wrap(&line, view.width, "", "  "));
    out
}

/// `--compliance`: a line per framework item, worst first in colour, with the controls that
/// failed it.
fn compliance(out: &mut String, c: &Compliance, view: &View) {
    let _ = writeln!(out, "{}\n", paint(c.title, "1;4", view.color));
    let id_width = c.items.iter().map(|i| i.id.len()).max().unwrap_or(0);
    for item in &c.items {
        let label = format!(
            "{:<7}",
            item.status.as_str().replace("not_applicable", "n/a")
        );
        let code = match item.status {
            Status::Fail => "31",
            Status::Error | Status::Unknown => "35",
            Status::Pass => "32",
            _ => "0",
        };
        let head = format!(
            "  {} {:<id_width$}  ",
            paint(&label, code, view.color),
            item.id
        );
        let indent = " ".repeat(2 + 7 + 1 + id_width + 2);
        let text = format!("{} ({})", item.title, super::counts(&item.summary));
        let body = wrap(&text, view.width, &indent, &indent);
        let _ = write!(out, "{head}{}", &body[indent.len()..]);
        if !item.failing.is_empty() {
            let line = format!("failed by {}", item.failing.join(", "));
            out.push_str(&wrap(&line, view.width, &indent, &indent));
        }
    }
    if !c.unmapped.is_empty() {
        let line = format!("Not mapped to {}: {}", c.framework, c.unmapped.join(", "));
        out.push_str(&wrap(&line, view.width, "  ", "    "));
    }
    out.push('\n');
}

/// One row per audited subject, for runs over several.
fn overview(out: &mut String, report: &Report<'_>, view: &View) {
    let name_width = view.width.saturating_sub(44).clamp(12, 60);
    let several_kinds = report.sections(false).len() > 1;
    let _ = writeln!(
        out,
        "{:<name_width$}  {:>6}  {:>5}  {:<9}  {:>5}  {:>6}",
        if several_kinds {
            "Workspace/registry"
        } else {
            "Workspace"
        },
        "Score",
        "Fail",
        "H/M/L",
        "Error",
        "Manual"
    );
    for w in &report.subjects {
        let s = Summary::of(&w.results);
        let fails = |severities: &[Severity]| {
            w.results
                .iter()
                .filter(|r| r.status == Status::Fail && severities.contains(&r.control.severity))
                .count()
        };
        let hml = format!(
            "{}/{}/{}",
            fails(&[Severity::Critical, Severity::High]),
            fails(&[Severity::Medium]),
            fails(&[Severity::Low])
        );
        let name: String = clip(&w.name, name_width).chars().take(name_width).collect();
        let _ = writeln!(
            out,
            "{name:<name_width$}  {:>6}  {:>5}  {hml:<9}  {:>5}  {:>6}",
            if w.error.is_some() {
                "-".to_string()
            } else {
                score(&s)
            },
            s.fail,
            s.error,
            s.manual
        );
    }
    out.push('\n');
}

/// One line per failing control across the estate, with its failing resources (each once,
/// however many subjects share it): what to fix, whoever owns it.
fn by_control(out: &mut String, report: &Report<'_>, view: &View) {
    let controls = super::failures_by_control(report);
    if controls.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "{}\n",
        paint("By control, across the estate", "1;4", view.color)
    );
    for (control, resources) in controls {
        const SHOWN: usize = 4;
        let mut names: Vec<&str> = resources.iter().take(SHOWN).copied().collect();
        let more = resources.len().saturating_sub(SHOWN);
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        names.sort_unstable();
        let line = format!(
            "{} {}  {}: {}{more}",
            severity(control.severity, false),
            control.id,
            plural(resources.len(), "resource", "resources"),
            clip(&names.join(", "), TEXT_CHARS)
        );
        out.push_str(&wrap(&line, view.width, "  ", "             "));
    }
    out.push('\n');
}

/// Failures several subjects share (a hub's Key Vault fails for the hub and each of its
/// projects): each is shown under the first subject that has it, and named once elsewhere.
struct Shared<'a> {
    /// (control, resource key) -> the ids of the subjects it fails for, in report order.
    holders: std::collections::HashMap<(&'a str, String), Vec<&'a str>>,
}

impl<'a> Shared<'a> {
    fn of(report: &'a Report<'_>) -> Shared<'a> {
        let mut holders: std::collections::HashMap<(&'a str, String), Vec<&'a str>> =
            std::collections::HashMap::new();
        for (_, subjects) in report.sections(false) {
            for w in subjects {
                for r in &w.results {
                    for res in r.resources.iter().filter(|x| x.status == Status::Fail) {
                        holders
                            .entry((r.control.id.as_str(), crate::arm_id::key(&res.id)))
                            .or_default()
                            .push(w.id.as_str());
                    }
                }
            }
        }
        Shared { holders }
    }

    /// The subjects a failure is shared with, when this subject is the first to show it.
    fn others(&self, control: &str, resource: &str, subject: &str) -> usize {
        self.holders
            .get(&(control, crate::arm_id::key(resource)))
            .filter(|h| h.first() == Some(&subject))
            .map_or(0, |h| h.len() - 1)
    }

    /// Whether an earlier subject shows this failure already.
    fn shown_before(&self, control: &str, resource: &str, subject: &str) -> bool {
        self.holders
            .get(&(control, crate::arm_id::key(resource)))
            .is_some_and(|h| h.first().is_some_and(|first| *first != subject))
    }
}

/// One subject: its headline, then its controls grouped by status, failures first.
fn workspace(out: &mut String, w: &SubjectResult<'_>, view: &View, shared: &Shared<'_>) {
    headline(out, w, view);
    failing(out, w, view, shared);
    waived(out, w, view);
    for (status, why) in [
        (Status::Error, "a read they need failed"),
        (Status::Unknown, "the template cannot tell"),
    ] {
        unjudged(out, w, view, status, why);
    }
    manual(out, w, view);
    for (status, heading) in [
        (Status::Pass, ("control passes", "controls pass")),
        (
            Status::NotApplicable,
            ("control does not apply", "controls do not apply"),
        ),
    ] {
        let shown = listed(w, view, status);
        if !shown.is_empty() {
            let _ = writeln!(out, "\n  {}:", plural(shown.len(), heading.0, heading.1));
            for r in shown {
                control_line(out, r, view);
                if status == Status::NotApplicable {
                    out.push_str(&wrap(
                        &clip(&r.message, TEXT_CHARS),
                        view.width,
                        "           ",
                        "             ",
                    ));
                }
            }
        }
    }
    out.push('\n');
}

/// The subject's results of `status`, when the view shows that status.
fn listed<'a>(w: &'a SubjectResult<'a>, view: &View, status: Status) -> Vec<&'a ControlResult<'a>> {
    if !view.statuses.contains(&status) {
        return Vec::new();
    }
    w.results.iter().filter(|r| r.status == status).collect()
}

/// Name, location, score and counts; the id; why the subject could not be read.
fn headline(out: &mut String, w: &SubjectResult<'_>, view: &View) {
    let (width, color) = (view.width, view.color);
    let s = Summary::of(&w.results);
    let unknown = if s.unknown > 0 {
        format!(" · {} unknown", s.unknown)
    } else {
        String::new()
    };
    let headline = format!(
        "{} · {} · score {} ({} pass, {} fail) · {} error · {} manual · {} not applicable{unknown}",
        paint(&clip(&w.name, TEXT_CHARS), "1", color),
        clip(
            w.location.as_deref().unwrap_or("location unknown"),
            TEXT_CHARS
        ),
        score(&s),
        s.pass,
        s.fail,
        s.error,
        s.manual,
        s.not_applicable
    );
    out.push_str(&wrap(&headline, width, "", "  "));
    out.push_str(&wrap(&clip(&w.id, TEXT_CHARS), width, "  ", "  "));
    if let Some(e) = &w.error {
        out.push_str(&wrap(
            &format!("could not be read: {}", clip(&e.to_string(), TEXT_CHARS)),
            width,
            "  ",
            "    ",
        ));
    }
}

/// Failing controls, most severe first; those an earlier subject shows are only named.
fn failing(out: &mut String, w: &SubjectResult<'_>, view: &View, shared: &Shared<'_>) {
    let width = view.width;
    let mut failing = listed(w, view, Status::Fail);
    failing.sort_by(|a, b| {
        b.control
            .severity
            .cmp(&a.control.severity)
            .then(a.control.id.cmp(&b.control.id))
    });
    if !failing.is_empty() {
        let _ = writeln!(
            out,
            "\n  {}, most severe first:",
            plural(failing.len(), "control fails", "controls fail")
        );
        // A failure an earlier subject (the hub) shows already is named, not repeated.
        let (repeated, own): (Vec<_>, Vec<_>) = failing.into_iter().partition(|r| {
            r.resources
                .iter()
                .filter(|x| x.status == Status::Fail)
                .all(|x| shared.shown_before(&r.control.id, &x.id, &w.id))
        });
        for r in own {
            finding(out, w, r, view, shared);
        }
        if !repeated.is_empty() {
            let ids: Vec<&str> = repeated.iter().map(|r| r.control.id.as_str()).collect();
            out.push('\n');
            out.push_str(&wrap(
                &format!(
                    "{} on resources shown above, under the subject they belong to: {}",
                    plural(ids.len(), "failure", "failures"),
                    ids.join(" ")
                ),
                width,
                "  ",
                "    ",
            ));
        }
    }
}

/// Waived controls, each with its waiver.
fn waived(out: &mut String, w: &SubjectResult<'_>, view: &View) {
    let (width, color) = (view.width, view.color);
    let waived = listed(w, view, Status::Waived);
    if !waived.is_empty() {
        let _ = writeln!(
            out,
            "\n  {}:",
            plural(waived.len(), "control waived", "controls waived")
        );
        for r in waived {
            control_line(out, r, view);
            if let Some(x) = &r.waiver {
                let by = x
                    .approved_by
                    .as_deref()
                    .map(|a| format!(", approved by {a}"))
                    .unwrap_or_default();
                out.push_str(&wrap(
                    &format!(
                        "{} until {}{by}: {} ({})",
                        paint("waived", "90", color),
                        x.expires,
                        x.reason,
                        x.origin
                    ),
                    width,
                    "           ",
                    "           ",
                ));
            }
        }
    }
}

/// Controls that could not be judged, one paragraph per cause.
fn unjudged(out: &mut String, w: &SubjectResult<'_>, view: &View, status: Status, why: &str) {
    let width = view.width;
    let unjudged = listed(w, view, status);
    if unjudged.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n  {} ({why}):",
        plural(
            unjudged.len(),
            "control could not be judged",
            "controls could not be judged"
        )
    );
    // One cause is said once: a workspace that cannot be read fails every control the
    // same way, which would be the same paragraph fifty times.
    let mut causes: Vec<(&str, Vec<&ControlResult<'_>>)> = Vec::new();
    for r in unjudged {
        match causes.iter_mut().find(|(m, _)| *m == &*r.message) {
            Some((_, controls)) => controls.push(r),
            None => causes.push((&r.message, vec![r])),
        }
    }
    for (message, controls) in causes {
        if controls.len() < SHARED_CAUSE {
            for r in controls {
                control_line(out, r, view);
                out.push_str(&wrap(
                    &clip(message, TEXT_CHARS),
                    width,
                    "           ",
                    "             ",
                ));
            }
            continue;
        }
        let ids: Vec<&str> = controls.iter().map(|r| r.control.id.as_str()).collect();
        let cause = match &w.error {
            Some(e) if e.to_string() == message => {
                format!("the {} could not be read (above)", w.subject.noun.0)
            }
            _ => clip(message, TEXT_CHARS),
        };
        out.push_str(&wrap(
            &format!("{} controls, one cause: {cause}", controls.len()),
            width,
            "  ",
            "    ",
        ));
        out.push_str(&wrap(&ids.join(" "), width, "    ", "    "));
    }
}

/// Manual controls: listed with their guidance under `--show manual`, else counted.
fn manual(out: &mut String, w: &SubjectResult<'_>, view: &View) {
    let width = view.width;
    let manual = listed(w, view, Status::Manual);
    if !manual.is_empty() {
        if view.show_manual {
            let _ = writeln!(
                out,
                "\n  {} (a person must answer):",
                plural(manual.len(), "manual control", "manual controls")
            );
            for r in manual {
                control_line(out, r, view);
                if r.answer.is_some() {
                    out.push_str(&wrap(
                        &clip(&r.message, TEXT_CHARS),
                        width,
                        "           ",
                        "           ",
                    ));
                }
                let guidance = r.control.guidance.as_deref().unwrap_or_default();
                out.push_str(&wrap(
                    guidance.trim(),
                    width,
                    "           ",
                    "             ",
                ));
            }
        } else {
            out.push('\n');
            out.push_str(&wrap(
                &format!(
                    "{} a person's answer: list them with --show manual; record answers with --answers (amlsec answers template).",
                    plural(manual.len(), "manual control needs", "manual controls need")
                ),
                width,
                "  ",
                "  ",
            ));
        }
    }
}

/// `SEVERITY  ID  title`, wrapped under the title.
fn control_line(out: &mut String, r: &ControlResult<'_>, view: &View) {
    let head = format!(
        "  {} {}  ",
        severity(r.control.severity, view.color),
        paint(&r.control.id, "1", view.color)
    );
    // The title wraps under itself: the head takes the first line's indent.
    let indent = " ".repeat(2 + 8 + 1 + r.control.id.chars().count() + 2);
    let title = wrap(&r.control.title, view.width, &indent, &indent);
    let _ = write!(out, "{head}{}", &title[indent.len()..]);
}

fn finding(
    out: &mut String,
    w: &SubjectResult<'_>,
    r: &ControlResult<'_>,
    view: &View,
    shared: &Shared<'_>,
) {
    let width = view.width;
    out.push('\n');
    control_line(out, r, view);
    let failed: Vec<_> = r
        .resources
        .iter()
        .filter(|x| x.status == Status::Fail)
        .collect();
    for res in &failed {
        let mut declared = res
            .location
            .as_ref()
            .map(|l| format!(" (declared at {l})"))
            .unwrap_or_default();
        if res.is_new() {
            declared.push_str(" · NEW since the baseline");
        }
        match shared.others(&r.control.id, &res.id, &w.id) {
            0 => {}
            1 => declared.push_str(" · shared by 1 more subject"),
            n => declared.push_str(&format!(" · shared by {n} more subjects")),
        }
        out.push_str(&wrap(
            &clip(
                &format!("{}{declared}", super::short_id(&res.id)),
                TEXT_CHARS,
            ),
            width,
            "           ",
            "             ",
        ));
        if res.evidence.is_empty()
            && let Some(m) = &res.message
        {
            out.push_str(&wrap(
                &clip(m, TEXT_CHARS),
                width,
                "             ",
                "               ",
            ));
        }
        for e in &res.evidence {
            out.push_str(&wrap(
                &clip(&e.to_string(), EVIDENCE_CHARS),
                width,
                "             ",
                "               ",
            ));
        }
    }
    if failed.is_empty() {
        out.push_str(&wrap(
            &clip(&r.message, TEXT_CHARS),
            width,
            "           ",
            "             ",
        ));
    }
    // A resource a template declares is fixed in the template, at its line: an `az` command
    // would name a resource that does not exist yet.
    let in_template: Vec<&&ResourceResult> =
        failed.iter().filter(|x| x.location.is_some()).collect();
    if !in_template.is_empty() {
        for res in in_template {
            let wanted: Vec<String> = res
                .evidence
                .iter()
                .filter_map(|e| Some(format!("{} must be {}", e.path, e.expected?)))
                .collect();
            let at = res
                .location
                .as_ref()
                .map(|l| l.to_string())
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "           Fix in the template at {at}, {}: {}",
                clip(super::short_id(&res.id), TEXT_CHARS),
                clip(&wanted.join("; "), FIX_CHARS),
            );
        }
    } else if let Some(fix) = &r.control.remediation {
        // Printed whole on its own line: the terminal wraps it, so a copied command is the
        // command, not pieces of it with indentation inside.
        let resource = failed.first().map_or(w.id.as_str(), |x| &*x.id);
        let filled = clip(&fix::fill(fix.trim(), resource, &w.id), FIX_CHARS);
        let _ = writeln!(out, "           Fix:");
        for line in filled.lines() {
            let _ = writeln!(out, "           {}", line.trim());
        }
    }
    if let Some(docs) = &r.control.docs {
        // A URL is printed whole (a terminal makes it clickable only unbroken).
        let _ = writeln!(out, "           Docs: {}", clip(docs, TEXT_CHARS));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_shortened_after_the_provider() {
        assert_eq!(
            crate::report::short_id(
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv/providers/Microsoft.Insights/diagnosticSettings"
            ),
            "vaults/kv/providers/Microsoft.Insights/diagnosticSettings"
        );
        assert_eq!(
            crate::report::short_id("/subscriptions/s"),
            "/subscriptions/s"
        );
    }

    #[test]
    fn long_text_is_clipped_on_a_character_boundary() {
        assert_eq!(clip("héllo", 10), "héllo");
        assert_eq!(clip("héllo", 2), "hé… (3 more characters)");
    }

    #[test]
    fn text_wraps_at_the_width_with_hanging_indents() {
        let wrapped = wrap("one two three four five six", 14, "  ", "    ");
        assert_eq!(wrapped, "  one two\n    three four\n    five six\n");
        let long = wrap(&"x".repeat(30), 14, "", "");
        assert!(long.lines().all(|l| l.chars().count() <= 14), "{long}");
        assert_eq!(long.replace('\n', ""), "x".repeat(30));
    }
}
