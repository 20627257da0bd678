//! Answers to manual controls (`--answers`): a team records, per control and optionally per
//! workspace, what it found, the evidence, who answered and when, and a verdict. `met` counts
//! as a pass and `not met` as a failure; `partly` stays `manual`, with the answer shown. Like
//! exceptions, an answer expires (at most a year after it was given).

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_saphyr::Spanned;

use super::exceptions::glob;
use super::{Evidence, ResourceResult, SharedTexts, Status, SubjectResult};
use crate::date::Date;
use crate::error::{Diagnostic, Error, Position, Result};
use crate::input::Text;
use crate::rules::{Control, Mode, Shown};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    #[serde(rename = "met")]
    Met,
    #[serde(rename = "partly")]
    Partly,
    #[serde(rename = "not met")]
    NotMet,
}

/// One answer, as reports show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Answer {
    pub control: String,
    /// A workspace id glob; `*` when the answer holds for every workspace.
    pub workspace: String,
    pub verdict: Verdict,
    pub answer: String,
    pub evidence: Vec<String>,
    pub answered_by: String,
    pub answered_on: String,
    pub expires: String,
    /// `file:line:column` of the entry.
    pub origin: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawAnswer {
    control: Spanned<String>,
    #[serde(default)]
    workspace: Option<Text>,
    verdict: Verdict,
    answer: Text,
    #[serde(default)]
    evidence: Vec<Text>,
    answered_by: Text,
    answered_on: Spanned<String>,
    expires: Spanned<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Answers {
    entries: Vec<(Answer, Date)>,
}

impl Answers {
    pub fn load(path: &Path, controls: &[Control], today: Date) -> Result<Answers> {
        let text = crate::input::read_text(path, crate::input::TEXT_FILE_LIMIT)?;
        Answers::parse(&path.display().to_string(), &text, controls, today)
    }

    /// Parses an answers file; every bad entry is reported with its position.
    pub fn parse(name: &str, text: &str, controls: &[Control], today: Date) -> Result<Answers> {
        let at = |line: u64, column: u64, message: String| Diagnostic {
            file: name.to_string(),
            position: (line > 0).then_some(Position { line, column }),
            message,
        };
        if text.trim().is_empty() {
            return Ok(Answers::default());
        }
        // A file of comments only (the template as written) answers nothing.
        let raw: Vec<Spanned<RawAnswer>> = serde_saphyr::from_str_with_options::<
            Option<Vec<Spanned<RawAnswer>>>,
        >(
            text, serde_saphyr::options! { strict_booleans: true }
        )
        .map_err(|e| {
            let (line, column) = e.location().map_or((0, 0), |l| (l.line(), l.column()));
            Error::Answers(vec![at(line, column, crate::input::yaml_message(&e))])
        })?
        .unwrap_or_default();
        let mut entries = Vec::new();
        let mut problems = Vec::new();
        for spanned in raw {
            let (line, column) = (spanned.referenced.line(), spanned.referenced.column());
            let e = spanned.value;
            let id = e.control.value.trim();
            let (cl, cc) = (e.control.referenced.line(), e.control.referenced.column());
            match controls.iter().find(|c| c.id.eq_ignore_ascii_case(id)) {
                None => problems.push(at(cl, cc, format!("answer for {id}: no such control (see `amlsec rules list`)"))),
                Some(c) if c.mode != Mode::Manual => problems.push(at(cl, cc, format!(
                    "answer for {id}: an automated control is judged from Azure, not answered (waive a finding with --exceptions)"
                ))),
                Some(_) => {}
            }
            let date = |s: &Spanned<String>, what: &str, problems: &mut Vec<Diagnostic>| {
                let parsed = Date::parse(&s.value);
                if parsed.is_none() {
                    problems.push(at(
                        s.referenced.line(),
                        s.referenced.column(),
                        format!("{what} {:?} is not a date (YYYY-MM-DD)", s.value),
                    ));
                }
                parsed
            };
            let answered_on = date(&e.answered_on, "answeredOn", &mut problems);
            let expires = date(&e.expires, "expires", &mut problems);
            if let (Some(on), Some(until)) = (answered_on, expires) {
                if until > on.plus_one_year() {
                    problems.push(at(
                        e.expires.referenced.line(),
                        e.expires.referenced.column(),
                        format!("expires {until} is more than a year after the answer ({on})"),
                    ));
                }
                if on > today {
                    problems.push(at(
                        e.answered_on.referenced.line(),
                        e.answered_on.referenced.column(),
                        format!("answeredOn {on} is in the future"),
                    ));
                }
            }
            for (Text(value), what) in [(&e.answer, "answer"), (&e.answered_by, "answeredBy")] {
                if value.trim().is_empty() {
                    problems.push(at(
                        line,
                        column,
                        format!("answer for {id} without `{what}`"),
                    ));
                }
            }
            if let (Some(on), Some(until)) = (answered_on, expires) {
                entries.push((
                    Answer {
                        control: id.to_string(),
                        workspace: e.workspace.map_or_else(|| "*".into(), |w| w.0),
                        verdict: e.verdict,
                        answer: e.answer.0.trim().to_string(),
                        evidence: e.evidence.into_iter().map(|t| t.0).collect(),
                        answered_by: e.answered_by.0.trim().to_string(),
                        answered_on: on.to_string(),
                        expires: until.to_string(),
                        origin: format!("{name}:{line}:{column}"),
                    },
                    until,
                ));
            }
        }
        for (i, (a, _)) in entries.iter().enumerate() {
            let earlier = entries[..i].iter().map(|(e, _)| e).find(|e| {
                e.control.eq_ignore_ascii_case(&a.control)
                    && e.verdict != a.verdict
                    && (e.workspace == "*"
                        || a.workspace == "*"
                        || e.workspace.eq_ignore_ascii_case(&a.workspace))
            });
            if let Some(e) = earlier {
                problems.push(Diagnostic {
                    file: name.to_string(),
                    position: None,
                    message: format!(
                        "{}: answer for {} says {}, but {} says {} for the same workspaces: keep one",
                        a.origin,
                        a.control,
                        verdict_text(a.verdict),
                        e.origin,
                        verdict_text(e.verdict)
                    ),
                });
            }
        }
        if problems.is_empty() {
            Ok(Answers { entries })
        } else {
            Err(Error::Answers(problems))
        }
    }

    /// Records the answer (the least favourable that covers the workspace) on each manual control, and
    /// its verdict as the status; returns warnings for expired answers.
    pub fn apply(&self, workspaces: &mut [SubjectResult<'_>], today: Date) -> Vec<String> {
        let mut warnings = Vec::new();
        for (answer, until) in &self.entries {
            if *until < today {
                warnings.push(format!(
                    "warning: {}: the answer for {} expired on {}; the control is manual again",
                    answer.origin, answer.control, answer.expires
                ));
            }
        }
        for w in workspaces.iter_mut() {
            for r in w
                .results
                .iter_mut()
                .filter(|r| r.status == Status::Manual && r.control.mode == Mode::Manual)
            {
                // Of answers whose workspace patterns overlap (the loader refuses the plain
                // conflicts), the least favourable is taken: `met` never hides `not met`.
                let found = self
                    .entries
                    .iter()
                    .filter(|(a, until)| {
                        *until >= today
                            && a.control.eq_ignore_ascii_case(&r.control.id)
                            && glob(&a.workspace, &w.id)
                    })
                    .min_by_key(|(a, _)| match a.verdict {
                        Verdict::NotMet => 0,
                        Verdict::Partly => 1,
                        Verdict::Met => 2,
                    });
                if let Some((answer, _)) = found {
                    r.status = match answer.verdict {
                        Verdict::Met => Status::Pass,
                        Verdict::NotMet => Status::Fail,
                        Verdict::Partly => Status::Manual,
                    };
                    r.message = format!(
                        "answered {} by {} on {}: {}",
                        verdict_text(answer.verdict),
                        answer.answered_by,
                        answer.answered_on,
                        answer.answer
                    )
                    .into();
                    // The answer is the evidence, on the workspace: every report shows it, and
                    // a `not met` is a finding like any other (waivable, tracked by baseline).
                    let mut shown = vec![Shown {
                        path: "answer".into(),
                        expected: Some("met".into()),
                    }];
                    let mut values = vec![Value::from(answer.answer.as_str())];
                    if !answer.evidence.is_empty() {
                        shown.push(Shown {
                            path: "evidence".into(),
                            expected: None,
                        });
                        values.push(Value::from(answer.evidence.clone()));
                    }
                    let evidence =
                        Evidence::new(shown.into(), &values, &mut SharedTexts::default());
                    r.resources = vec![ResourceResult {
                        id: w.id.as_str().into(),
                        status: r.status,
                        message: Some(r.message.to_string()),
                        evidence,
                        waiver: None,
                        baseline: None,
                        location: None,
                    }];
                    r.answer = Some(Box::new(answer.clone()));
                }
            }
        }
        warnings
    }
}

fn verdict_text(v: Verdict) -> &'static str {
    match v {
        Verdict::Met => "met",
        Verdict::Partly => "partly met",
        Verdict::NotMet => "not met",
    }
}

/// `amlsec answers template`: every manual control as an entry to fill in, its question and
/// guidance above it.
pub fn template(controls: &[Control], today: Date) -> String {
    let mut out = String::from(
        "# Answers to amlsec's manual controls. Each entry is commented out, so the file loads\n\
         # as it is and answers nothing yet: remove the `# ` before `- control:` and before the\n\
         # fields under it, and fill them in. verdict: met | partly | not met. An answer holds at\n\
         # most a year; `workspace` (a workspace id, `*` globs allowed) limits it to some\n\
         # workspaces.\n",
    );
    for c in controls.iter().filter(|c| c.mode == Mode::Manual) {
        out.push_str(&format!("\n# {} · {}\n", c.id, c.title));
        for line in c.guidance.as_deref().unwrap_or_default().trim().lines() {
            out.push_str(&format!("#   {line}\n"));
        }
        out.push_str(&format!(
            "# - control: {}\n#   workspace: '*'\n#   verdict: partly\n#   answer: ''\n#   evidence: []\n#   answeredBy: ''\n#   answeredOn: {today}\n#   expires: {}\n",
            c.id,
            today.plus_one_year()
        ));
    }
    out
}
