//! One self-contained HTML page for people who do not read JSON: the score per category as a
//! chart, every control with its evidence and fix, the manual questions with their answers,
//! filters by severity and status, and a print layout. No external script, font or image; the
//! page's own Content-Security-Policy allows nothing but its one style and one script (by
//! hash), so it opens offline and under a strict CSP. Without the script every row is shown.
//!
//! The page is built with [`Html`], which takes markup only as compile-time literals and every
//! other text escaped: no value from a document, a rule file or an answer can add markup.

use super::escape::escape;
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

/// A page under construction. Markup goes in only as `&'static str` (literals written here);
/// everything else goes through [`Html::text`], which escapes it.
struct Html(String);

impl Html {
    fn markup(&mut self, markup: &'static str) -> &mut Self {
        self.0.push_str(markup);
        self
    }

    fn text(&mut self, text: impl AsRef<str>) -> &mut Self {
        self.0.push_str(&escape(text.as_ref()));
        self
    }
}

pub fn to_html(report: &Report<'_>) -> String {
    let s = report.summary();
    let mut h = Html(String::new());
    h.markup("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n")
        .markup("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src '")
        .markup(STYLE_HASH)
        .markup("'; script-src '")
        .markup(SCRIPT_HASH)
        .markup("'\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>amlsec report: score ")
        .text(score(&s))
        .markup("</title>\n<style>")
        .markup(STYLE)
        .markup("</style></head><body>\n");
    let source = match &report.source {
        super::Source::Snapshot { path } => format!("snapshot {path}"),
        super::Source::Live { endpoint } => format!("live, {endpoint}"),
        super::Source::Template { path } => format!("template {path}"),
    };
    h.markup("<header><h1>amlsec: ")
        .text(report.counted())
        .markup(", score ")
        .text(score(&s))
        .markup("</h1><p class=\"counts\">")
        .text(format!("{s} — level {}", report.level))
        .markup("</p><p class=\"meta\">")
        .text(source)
        .markup(" · generated ")
        .text(&report.generated_at)
        .markup("</p>");
    if let Some(line) = report.baseline_line() {
        h.markup("<p class=\"meta\">").text(line).markup("</p>");
    }
    h.markup("</header>\n");
    filters(&mut h);
    for e in &report.errors {
        h.markup("<p class=\"unread\">Could not be listed: ")
            .text(e.to_string())
            .markup("</p>");
    }
    if let Some(c) = &report.compliance {
        compliance(&mut h, c);
    }
    let sections = report.sections(false);
    for (kind, subjects) in &sections {
        if sections.len() > 1 {
            h.markup("<h2 class=\"kind\">")
                .text(kind.heading)
                .markup("</h2>\n");
        }
        for w in subjects {
            subject(&mut h, w);
        }
    }
    if report.subjects.len() > 1 {
        by_control(&mut h, report);
    }
    h.markup("<script>")
        .markup(SCRIPT)
        .markup("</script>\n</body></html>\n");
    h.0
}

/// `--compliance`: a row per framework item. The rows carry no `data-status`, so the
/// filters, which count controls, leave them alone.
fn compliance(h: &mut Html, c: &Compliance) {
    h.markup("<section class=\"compliance\"><h2>")
        .text(c.title)
        .markup("</h2><table class=\"results\"><thead><tr><th>Item</th><th>Status</th><th>Verdicts and controls</th></tr></thead><tbody>\n");
    for item in &c.items {
        h.markup("<tr class=\"")
            .text(item.status.as_str())
            .markup("\"><td><b>")
            .text(item.id)
            .markup("</b> ")
            .text(item.title)
            .markup("</td><td class=\"status\">")
            .text(item.status.as_str().replace('_', " "))
            .markup("</td><td>")
            .text(super::counts(&item.summary))
            .markup("<div class=\"meta\">")
            .text(item.controls.join(", "))
            .markup("</div>");
        if !item.failing.is_empty() {
            h.markup("<div>Failed by ")
                .text(item.failing.join(", "))
                .markup("</div>");
        }
        h.markup("</td></tr>\n");
    }
    h.markup("</tbody></table>");
    if !c.unmapped.is_empty() {
        h.markup("<p class=\"meta\">Not mapped to ")
            .text(c.framework)
            .markup(": ")
            .text(c.unmapped.join(", "))
            .markup("</p>");
    }
    h.markup("</section>\n");
}

/// One audited subject: its heading, chart and results table.
fn subject(h: &mut Html, w: &crate::audit::SubjectResult<'_>) {
    h.markup("<section class=\"workspace\"><h2>")
        .text(&w.name)
        .markup(" <small>")
        .text(w.location.as_deref().unwrap_or("location unknown"))
        .markup("</small></h2><p class=\"meta\">")
        .text(&w.id)
        .markup("</p>");
    if let Some(e) = &w.error {
        h.markup("<p class=\"unread\">Could not be read: ")
            .text(e.to_string())
            .markup("</p>");
    }
    chart(h, w);
    h.markup(
        "<table class=\"results\"><thead><tr><th>Control</th><th>Severity</th><th>Status</th>\
             <th>Resources and evidence</th><th>Fix or question</th></tr></thead><tbody>\n",
    );
    for r in super::by_attention(&w.results) {
        row(h, r, &w.id);
    }
    h.markup("</tbody></table></section>\n");
}

/// One row per failing control across the estate, with its failing resources, each once.
fn by_control(h: &mut Html, report: &Report<'_>) {
    let controls = super::failures_by_control(report);
    if controls.is_empty() {
        return;
    }
    h.markup(
        "<section class=\"by-control\"><h2>By control, across the estate</h2>\
         <table><thead><tr><th>Control</th><th>Severity</th><th>Failing resources</th></tr></thead><tbody>\n",
    );
    for (control, resources) in controls {
        h.markup("<tr><td><b>")
            .text(&control.id)
            .markup("</b> ")
            .text(&control.title)
            .markup("</td><td>")
            .text(control.severity.as_str())
            .markup("</td><td>");
        for (i, r) in resources.iter().enumerate() {
            if i > 0 {
                h.markup(", ");
            }
            h.markup("<code>").text(r).markup("</code>");
        }
        h.markup("</td></tr>\n");
    }
    h.markup("</tbody></table></section>\n");
}

/// The filter checkboxes; `filter.js` hides the rows they leave out.
fn filters(h: &mut Html) {
    h.markup("<form class=\"filters\" id=\"filters\"><fieldset><legend>Severity</legend>");
    for sev in SEVERITIES {
        h.markup("<label><input type=\"checkbox\" name=\"severity\" value=\"")
            .text(sev)
            .markup("\" checked> ")
            .text(sev)
            .markup("</label>");
    }
    h.markup("</fieldset><fieldset><legend>Status</legend>");
    // What needs someone first: the rest is a click away.
    for status in Status::ALL {
        let name = status.as_str();
        h.markup("<label><input type=\"checkbox\" name=\"status\" value=\"")
            .text(name)
            .markup("\"");
        if matches!(
            status,
            Status::Fail | Status::Error | Status::Waived | Status::Unknown
        ) {
            h.markup(" checked");
        }
        h.markup("> ")
            .text(name.replace('_', " "))
            .markup("</label>");
    }
    h.markup("</fieldset><p class=\"shown\" id=\"shown\"></p></form>\n");
}

/// One bar per category: its score, as SVG attributes (a CSP that allows no inline style
/// still draws them).
fn chart(h: &mut Html, w: &crate::audit::SubjectResult<'_>) {
    let cats = categories(w);
    let height = (cats.len() * 24 + 8).to_string();
    h.markup(
        "<svg class=\"chart\" role=\"img\" aria-label=\"Score per category\" viewBox=\"0 0 640 ",
    )
    .text(&height)
    .markup("\" width=\"640\" height=\"")
    .text(&height)
    .markup("\">");
    for (i, (_, title, c)) in cats.iter().enumerate() {
        let y = (i * 24 + 4).to_string();
        let baseline = (i * 24 + 18).to_string();
        let width = format!("{:.1}", c.score.map_or(0.0, |v| v * 3.2));
        let class = match c.score {
            None => "none",
            Some(v) if v >= 90.0 => "good",
            Some(v) if v >= 60.0 => "fair",
            Some(_) => "poor",
        };
        h.markup("<text x=\"0\" y=\"")
            .text(&baseline)
            .markup("\">")
            .text(title)
            .markup("</text><rect class=\"track\" x=\"260\" y=\"")
            .text(&y)
            .markup("\" width=\"320\" height=\"18\"/><rect class=\"")
            .text(class)
            .markup("\" x=\"260\" y=\"")
            .text(&y)
            .markup("\" width=\"")
            .text(&width)
            .markup("\" height=\"18\"/><text x=\"588\" y=\"")
            .text(&baseline)
            .markup("\">")
            .text(score(c))
            .markup("</text>");
    }
    h.markup("</svg>\n");
}

fn row(h: &mut Html, r: &ControlResult<'_>, workspace: &str) {
    let c = r.control;
    let (status, sev) = (r.status.as_str(), c.severity.as_str());
    h.markup("<tr class=\"")
        .text(status)
        .markup("\" data-severity=\"")
        .text(sev)
        .markup("\" data-status=\"")
        .text(status)
        .markup("\"><td><b>")
        .text(&c.id)
        .markup("</b> ")
        .text(&c.title)
        .markup("</td><td class=\"sev-")
        .text(sev)
        .markup("\">")
        .text(sev)
        .markup("</td><td class=\"status\">")
        .text(status.replace('_', " "))
        .markup("</td><td>");
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
        h.text(&r.message);
    }
    for res in &listed {
        h.markup("<div class=\"resource\"><code>")
            .text(super::short_id(&res.id))
            .markup("</code> <span class=\"status\">")
            .text(res.status.as_str())
            .markup("</span>");
        if res.is_new() {
            h.markup(" <span class=\"new\">new since the baseline</span>");
        }
        if let Some(m) = &res.message {
            h.markup("<div>").text(m).markup("</div>");
        }
        if !res.evidence.is_empty() {
            h.markup("<ul class=\"evidence\">");
            for e in &res.evidence {
                h.markup("<li><code>")
                    .text(e.to_string())
                    .markup("</code></li>");
            }
            h.markup("</ul>");
        }
        if let Some(wv) = &res.waiver {
            h.markup("<div class=\"waiver\">Waived until ")
                .text(&wv.expires)
                .markup(": ")
                .text(&wv.reason)
                .markup("</div>");
        }
        h.markup("</div>");
    }
    h.markup("</td><td>");
    match (&r.answer, r.status) {
        (Some(a), _) => {
            h.markup("<div class=\"answer\"><b>Answer</b> (")
                .text(format!("{:?}", a.verdict).to_lowercase())
                .markup(", ")
                .text(&a.answered_by)
                .markup(" on ")
                .text(&a.answered_on)
                .markup("): ")
                .text(&a.answer)
                .markup("</div>");
        }
        (None, Status::Manual) => {
            h.markup("<div class=\"question\">")
                .text(c.guidance.as_deref().unwrap_or(&r.message))
                .markup("</div>");
        }
        _ => {}
    }
    if matches!(
        r.status,
        Status::Fail | Status::Error | Status::Waived | Status::Unknown
    ) && let Some(fix) = &c.remediation
    {
        let resource = listed.first().map_or(workspace, |x| &*x.id);
        h.markup("<pre class=\"fix\">")
            .text(super::fix::fill(fix.trim(), resource, workspace))
            .markup("</pre>");
    }
    if let Some(docs) = &c.docs {
        // A link opens a page; it loads nothing into this one, so the CSP stays strict.
        h.markup("<a class=\"docs\" href=\"")
            .text(docs)
            .markup("\" rel=\"noreferrer\">Documentation</a>");
    }
    h.markup("</td></tr>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_cannot_end_an_element_or_attribute() {
        assert_eq!(
            escape("<script>alert('x')</script>\"&"),
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
