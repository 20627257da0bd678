//! One self-contained HTML page for people who do not read JSON: the score per category as a
//! chart, every control with its evidence and fix, the manual questions with their answers,
//! filters by severity and status, and a print layout. No external script, font or image; the
//! page's own Content-Security-Policy allows nothing but its one style and one script (by
//! hash), so it opens offline and under a strict CSP. Without the script every row is shown.

use std::fmt::Write as _;

use super::escape::escape as esc;
use super::json::categories;
use super::{Report, score};
use crate::audit::compliance::Compliance;
use crate::audit::{ControlResult, Status};

const STYLE: &str = include_str!("html/style.css");
const SCRIPT: &str = include_str!("html/filter.js");
/// base64(sha256(STYLE)) and base64(sha256(SCRIPT)); a unit test keeps them true.
const STYLE_HASH: &str = "sha256-eM/okC6xmD6nNQ/etotgnsUduK59TdA2FuzCWjS/z5Q=";
const SCRIPT_HASH: &str = "sha256-XR3H8+u93jLSxO9e11AU66cpFokCZtkQlpxmASrtx4I=";

const SEVERITIES: [&str; 4] = ["critical", "high", "medium", "low"];

pub fn to_html(report: &Report<'_>) -> String {
    let s = report.summary();
    let mut h = String::new();
    let _ = write!(
        h,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src '{STYLE_HASH}'; script-src '{SCRIPT_HASH}'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>amlsec report: score {}</title>\n<style>{STYLE}</style></head><body>\n",
        score(&s)
    );
    let source = match &report.source {
        super::Source::Snapshot { path } => format!("snapshot {path}"),
        super::Source::Live { endpoint } => format!("live, {endpoint}"),
        super::Source::Template { path } => format!("template {path}"),
    };
    let _ = write!(
        h,
        "<header><h1>amlsec: {}, score {}</h1>\
         <p class=\"counts\">{s} — level {}</p>\
         <p class=\"meta\">{} · generated {}</p>",
        report.counted(),
        score(&s),
        report.level,
        esc(&source),
        esc(&report.generated_at),
    );
    if let Some(line) = report.baseline_line() {
        let _ = write!(h, "<p class=\"meta\">{}</p>", esc(&line));
    }
    h.push_str("</header>\n");
    filters(&mut h);
    for e in &report.errors {
        let _ = write!(
            h,
            "<p class=\"unread\">Could not be listed: {}</p>",
            esc(&e.to_string())
        );
    }
    if let Some(c) = &report.compliance {
        compliance(&mut h, c);
    }
    let sections = report.sections(false);
    for (kind, subjects) in &sections {
        if sections.len() > 1 {
            let _ = writeln!(h, "<h2 class=\"kind\">{}</h2>", esc(kind.heading));
        }
        for w in subjects {
            subject(&mut h, w);
        }
    }
    if report.subjects.len() > 1 {
        by_control(&mut h, report);
    }
    let _ = write!(h, "<script>{SCRIPT}</script>\n</body></html>\n");
    h
}

/// `--compliance`: a row per framework item. The rows carry no `data-status`, so the
/// filters, which count controls, leave them alone.
fn compliance(h: &mut String, c: &Compliance) {
    let _ = writeln!(
        h,
        "<section class=\"compliance\"><h2>{}</h2>\
         <table class=\"results\"><thead><tr><th>Item</th><th>Status</th><th>Verdicts and controls</th></tr></thead><tbody>",
        esc(c.title)
    );
    for item in &c.items {
        let _ = write!(
            h,
            "<tr class=\"{status}\"><td><b>{id}</b> {title}</td><td class=\"status\">{shown}</td><td>{counts}<div class=\"meta\">{controls}</div>",
            status = item.status.as_str(),
            id = esc(item.id),
            title = esc(item.title),
            shown = item.status.as_str().replace('_', " "),
            counts = esc(&super::counts(&item.summary)),
            controls = esc(&item.controls.join(", ")),
        );
        if !item.failing.is_empty() {
            let _ = write!(h, "<div>Failed by {}</div>", esc(&item.failing.join(", ")));
        }
        h.push_str("</td></tr>\n");
    }
    h.push_str("</tbody></table>");
    if !c.unmapped.is_empty() {
        let _ = write!(
            h,
            "<p class=\"meta\">Not mapped to {}: {}</p>",
            esc(c.framework),
            esc(&c.unmapped.join(", "))
        );
    }
    h.push_str("</section>\n");
}

/// One audited subject: its heading, chart and results table.
fn subject(h: &mut String, w: &crate::audit::SubjectResult<'_>) {
    let _ = write!(
        h,
        "<section class=\"workspace\"><h2>{} <small>{}</small></h2><p class=\"meta\">{}</p>",
        esc(&w.name),
        esc(w.location.as_deref().unwrap_or("location unknown")),
        esc(&w.id)
    );
    if let Some(e) = &w.error {
        let _ = write!(
            h,
            "<p class=\"unread\">Could not be read: {}</p>",
            esc(&e.to_string())
        );
    }
    chart(h, w);
    h.push_str(
        "<table class=\"results\"><thead><tr><th>Control</th><th>Severity</th><th>Status</th>\
             <th>Resources and evidence</th><th>Fix or question</th></tr></thead><tbody>\n",
    );
    for r in super::by_attention(&w.results) {
        row(h, r, &w.id);
    }
    h.push_str("</tbody></table></section>\n");
}

/// One row per failing control across the estate, with its failing resources, each once.
fn by_control(h: &mut String, report: &Report<'_>) {
    let controls = super::failures_by_control(report);
    if controls.is_empty() {
        return;
    }
    h.push_str(
        "<section class=\"by-control\"><h2>By control, across the estate</h2>\
         <table><thead><tr><th>Control</th><th>Severity</th><th>Failing resources</th></tr></thead><tbody>\n",
    );
    for (control, resources) in controls {
        let names: Vec<String> = resources
            .iter()
            .map(|r| format!("<code>{}</code>", esc(r)))
            .collect();
        let _ = writeln!(
            h,
            "<tr><td><b>{}</b> {}</td><td>{}</td><td>{}</td></tr>",
            esc(&control.id),
            esc(&control.title),
            control.severity.as_str(),
            names.join(", ")
        );
    }
    h.push_str("</tbody></table></section>\n");
}

/// The filter checkboxes; `filter.js` hides the rows they leave out.
fn filters(h: &mut String) {
    h.push_str("<form class=\"filters\" id=\"filters\"><fieldset><legend>Severity</legend>");
    for sev in SEVERITIES {
        let _ = write!(
            h,
            "<label><input type=\"checkbox\" name=\"severity\" value=\"{sev}\" checked> {sev}</label>"
        );
    }
    h.push_str("</fieldset><fieldset><legend>Status</legend>");
    // What needs someone first: the rest is a click away.
    for status in Status::ALL {
        let name = status.as_str();
        let checked = match status {
            Status::Fail | Status::Error | Status::Waived | Status::Unknown => " checked",
            _ => "",
        };
        let _ = write!(
            h,
            "<label><input type=\"checkbox\" name=\"status\" value=\"{name}\"{checked}> {}</label>",
            name.replace('_', " ")
        );
    }
    h.push_str("</fieldset><p class=\"shown\" id=\"shown\"></p></form>\n");
}

/// One bar per category: its score, as SVG attributes (a CSP that allows no inline style
/// still draws them).
fn chart(h: &mut String, w: &crate::audit::SubjectResult<'_>) {
    let cats = categories(w);
    let height = cats.len() * 24 + 8;
    let _ = write!(
        h,
        "<svg class=\"chart\" role=\"img\" aria-label=\"Score per category\" viewBox=\"0 0 640 {height}\" width=\"640\" height=\"{height}\">"
    );
    for (i, (_, title, c)) in cats.iter().enumerate() {
        let y = i * 24 + 4;
        let width = c.score.map_or(0.0, |v| v * 3.2);
        let class = match c.score {
            None => "none",
            Some(v) if v >= 90.0 => "good",
            Some(v) if v >= 60.0 => "fair",
            Some(_) => "poor",
        };
        let _ = write!(
            h,
            "<text x=\"0\" y=\"{}\">{}</text><rect class=\"track\" x=\"260\" y=\"{y}\" width=\"320\" height=\"18\"/>\
             <rect class=\"{class}\" x=\"260\" y=\"{y}\" width=\"{width:.1}\" height=\"18\"/><text x=\"588\" y=\"{}\">{}</text>",
            y + 14,
            esc(title),
            y + 14,
            esc(&score(c))
        );
    }
    h.push_str("</svg>\n");
}

fn row(h: &mut String, r: &ControlResult<'_>, workspace: &str) {
    let c = r.control;
    let _ = write!(
        h,
        "<tr class=\"{status}\" data-severity=\"{sev}\" data-status=\"{status}\"><td><b>{id}</b> {title}</td>\
         <td class=\"sev-{sev}\">{sev}</td><td class=\"status\">{shown}</td><td>",
        status = r.status.as_str(),
        sev = c.severity.as_str(),
        id = esc(&c.id),
        title = esc(&c.title),
        shown = r.status.as_str().replace('_', " "),
    );
    let listed: Vec<_> = r
        .resources
        .iter()
        .filter(|x| {
            matches!(
                x.status,
                Status::Fail | Status::Error | Status::Waived | Status::Unknown
            )
        })
        .collect();
    if listed.is_empty() {
        let _ = write!(h, "{}", esc(&r.message));
    }
    for res in &listed {
        let _ = write!(
            h,
            "<div class=\"resource\"><code>{}</code> <span class=\"status\">{}</span>{}",
            esc(super::short_id(&res.id)),
            res.status.as_str(),
            if res.is_new() {
                " <span class=\"new\">new since the baseline</span>"
            } else {
                ""
            }
        );
        if let Some(m) = &res.message {
            let _ = write!(h, "<div>{}</div>", esc(m));
        }
        if !res.evidence.is_empty() {
            h.push_str("<ul class=\"evidence\">");
            for e in &res.evidence {
                let _ = write!(h, "<li><code>{}</code></li>", esc(&e.to_string()));
            }
            h.push_str("</ul>");
        }
        if let Some(wv) = &res.waiver {
            let _ = write!(
                h,
                "<div class=\"waiver\">Waived until {}: {}</div>",
                esc(&wv.expires),
                esc(&wv.reason)
            );
        }
        h.push_str("</div>");
    }
    h.push_str("</td><td>");
    match (&r.answer, r.status) {
        (Some(a), _) => {
            let _ = write!(
                h,
                "<div class=\"answer\"><b>Answer</b> ({}, {} on {}): {}</div>",
                esc(&format!("{:?}", a.verdict).to_lowercase()),
                esc(&a.answered_by),
                esc(&a.answered_on),
                esc(&a.answer)
            );
        }
        (None, Status::Manual) => {
            let _ = write!(
                h,
                "<div class=\"question\">{}</div>",
                esc(c.guidance.as_deref().unwrap_or(&r.message))
            );
        }
        _ => {}
    }
    if matches!(
        r.status,
        Status::Fail | Status::Error | Status::Waived | Status::Unknown
    ) && let Some(fix) = &c.remediation
    {
        let resource = listed.first().map_or(workspace, |x| &*x.id);
        let _ = write!(
            h,
            "<pre class=\"fix\">{}</pre>",
            esc(super::fix::fill(fix.trim(), resource, workspace).as_str())
        );
    }
    if let Some(docs) = &c.docs {
        // A link opens a page; it loads nothing into this one, so the CSP stays strict.
        let _ = write!(
            h,
            "<a class=\"docs\" href=\"{}\" rel=\"noreferrer\">Documentation</a>",
            esc(docs)
        );
    }
    h.push_str("</td></tr>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_cannot_end_an_element_or_attribute() {
        assert_eq!(
            esc("<script>alert('x')</script>\"&"),
            "&lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt;&quot;&amp;"
        );
    }

    /// The page's CSP names its style and script by hash: an edit to either without a new
    /// hash would leave the page unstyled and unfiltered.
    #[test]
    fn the_policy_hashes_are_those_of_the_style_and_script() {
        use base64::Engine as _;
        use sha2::Digest as _;
        let hash = |text: &str| {
            format!(
                "sha256-{}",
                base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(text))
            )
        };
        assert_eq!(STYLE_HASH, hash(STYLE), "update STYLE_HASH");
        assert_eq!(SCRIPT_HASH, hash(SCRIPT), "update SCRIPT_HASH");
    }
}
