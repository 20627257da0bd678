//! Exceptions (DESIGN §8): accepted risks that turn a failing resource into `waived`, each with
//! a reason and an expiry at most a year ahead. An expired entry no longer applies.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::input::Text;
use serde_saphyr::Spanned;

use super::{Status, SubjectResult};
use crate::date::Date;
use crate::error::{Diagnostic, Error, Position, Result};

/// One accepted exception, as the report shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Waiver {
    pub control: String,
    /// An ARM id; `*` matches any run of characters, `/` included.
    pub resource: String,
    pub reason: String,
    pub expires: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
    /// `file:line:column` of the entry.
    pub origin: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Applied,
    Expired,
    /// Its control ran on a workspace it names, but nothing there failed.
    Unmatched,
    /// Its control was not selected, or it names nothing this run audited: no warning.
    OutOfScope,
}

/// What became of one entry in this run.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    #[serde(flatten)]
    pub waiver: Waiver,
    pub state: State,
    /// Failing resources it waived.
    pub waived: usize,
}

impl Outcome {
    /// The warning a user should see, if any.
    pub fn warning(&self) -> Option<String> {
        let w = &self.waiver;
        match self.state {
            State::Applied | State::OutOfScope => None,
            State::Expired => Some(format!(
                "{}: exception for {} on {} expired on {}; it no longer applies",
                w.origin, w.control, w.resource, w.expires
            )),
            State::Unmatched => Some(format!(
                "{}: exception for {} on {} matches no failing resource",
                w.origin, w.control, w.resource
            )),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawEntry {
    control: Option<Text>,
    resource: Option<Text>,
    reason: Option<Text>,
    expires: Option<Spanned<String>>,
    #[serde(default)]
    approved_by: Option<Text>,
}

#[derive(Debug, Clone)]
struct Entry {
    waiver: Waiver,
    expires: Date,
    file: String,
    position: Option<Position>,
}

/// The exceptions of one file.
#[derive(Debug, Clone, Default)]
pub struct Exceptions {
    entries: Vec<Entry>,
}

impl Exceptions {
    pub fn load(path: &Path, today: Date) -> Result<Exceptions> {
        let text = crate::input::read_text(path, crate::input::TEXT_FILE_LIMIT)?;
        Exceptions::parse(&path.display().to_string(), &text, today)
    }

    /// Parses an exceptions file; every invalid entry is reported, with its position.
    pub fn parse(name: &str, text: &str, today: Date) -> Result<Exceptions> {
        let at = |line: u64, column: u64, message: String| Diagnostic {
            file: name.to_string(),
            position: (line > 0).then_some(Position { line, column }),
            message,
        };
        let raw: Vec<Spanned<RawEntry>> = if text.trim().is_empty() {
            Vec::new()
        } else {
            serde_saphyr::from_str_with_options(
                text,
                serde_saphyr::options! { strict_booleans: true },
            )
            .map_err(|e| {
                let (line, column) = e.location().map_or((0, 0), |l| (l.line(), l.column()));
                Error::Exceptions(vec![at(line, column, crate::input::yaml_message(&e))])
            })?
        };
        let latest = today.plus_one_year();
        let mut entries = Vec::new();
        let mut problems = Vec::new();
        for spanned in raw {
            let (line, column) = (spanned.referenced.line(), spanned.referenced.column());
            let e = spanned.value;
            let field = |v: Option<Text>, name: &str, problems: &mut Vec<Diagnostic>| match v {
                Some(Text(v)) if !v.trim().is_empty() => Some(v.trim().to_string()),
                _ => {
                    problems.push(at(line, column, format!("exception without `{name}` (control, resource, reason and expires are required)")));
                    None
                }
            };
            let control = field(e.control, "control", &mut problems);
            let resource = field(e.resource, "resource", &mut problems);
            let reason = field(e.reason, "reason", &mut problems);
            let expires = match e.expires {
                None => {
                    problems.push(at(line, column, "exception without `expires` (control, resource, reason and expires are required)".into()));
                    None
                }
                Some(s) => {
                    let (l, c) = (s.referenced.line(), s.referenced.column());
                    match Date::parse(&s.value) {
                        None => {
                            problems.push(at(
                                l,
                                c,
                                format!("expires {:?} is not a date (YYYY-MM-DD)", s.value),
                            ));
                            None
                        }
                        Some(d) if d > latest => {
                            problems.push(at(
                                l,
                                c,
                                format!("expires {d} is more than a year ahead (at most {latest})"),
                            ));
                            None
                        }
                        Some(d) => Some(d),
                    }
                }
            };
            if let (Some(control), Some(resource), Some(reason), Some(expires)) =
                (control, resource, reason, expires)
            {
                entries.push(Entry {
                    waiver: Waiver {
                        control,
                        resource,
                        reason,
                        expires: expires.to_string(),
                        approved_by: e.approved_by.map(|a| a.0).filter(|a| !a.trim().is_empty()),
                        origin: format!("{name}:{line}:{column}"),
                    },
                    expires,
                    file: name.to_string(),
                    position: (line > 0).then_some(Position { line, column }),
                });
            }
        }
        if problems.is_empty() {
            Ok(Exceptions { entries })
        } else {
            Err(Error::Exceptions(problems))
        }
    }

    /// Entries whose control is no control of the rules: a typo that would waive nothing.
    pub fn check_controls<'c>(&self, ids: impl Iterator<Item = &'c str> + Clone) -> Result<()> {
        let problems: Vec<Diagnostic> = self
            .entries
            .iter()
            .filter(|e| {
                !ids.clone()
                    .any(|id| id.eq_ignore_ascii_case(&e.waiver.control))
            })
            .map(|e| Diagnostic {
                file: e.file.clone(),
                position: e.position,
                message: format!(
                    "exception for {}: no such control (see `amlsec rules list`)",
                    e.waiver.control
                ),
            })
            .collect();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::Exceptions(problems))
        }
    }

    /// Waives the failing resources that a valid entry covers (its glob matches the resource,
    /// a scope above it such as its resource group, or its workspace) and rolls the controls
    /// up again; reports what became of each entry.
    pub fn apply(&self, workspaces: &mut [SubjectResult<'_>], today: Date) -> Vec<Outcome> {
        let mut waived = vec![0usize; self.entries.len()];
        for workspace in workspaces.iter_mut() {
            for result in workspace
                .results
                .iter_mut()
                .filter(|r| r.status == Status::Fail)
            {
                for resource in result
                    .resources
                    .iter_mut()
                    .filter(|r| r.status == Status::Fail)
                {
                    let hit = self.entries.iter().enumerate().find(|(_, e)| {
                        e.expires >= today
                            && e.waiver.control.eq_ignore_ascii_case(&result.control.id)
                            && (covers(&e.waiver.resource, &resource.id)
                                || covers(&e.waiver.resource, &workspace.id))
                    });
                    if let Some((i, entry)) = hit {
                        waived[i] += 1;
                        resource.status = Status::Waived;
                        resource.waiver = Some(Box::new(entry.waiver.clone()));
                    }
                }
                result.roll_up();
                if result.status == Status::Waived {
                    result.waiver = result.resources.iter().find_map(|r| r.waiver.clone());
                    if let Some(w) = &result.waiver {
                        result.message = format!("waived until {}: {}", w.expires, w.reason).into();
                    }
                }
            }
        }
        // An entry whose control ran on a workspace it covers but waived nothing deserves a
        // warning; one about controls or workspaces outside this run does not.
        let in_scope = |e: &Entry| {
            workspaces.iter().any(|w| {
                w.results.iter().any(|r| {
                    r.control.id.eq_ignore_ascii_case(&e.waiver.control)
                        && (covers(&e.waiver.resource, &w.id)
                            || r.resources
                                .iter()
                                .any(|x| covers(&e.waiver.resource, &x.id)))
                })
            })
        };
        self.entries
            .iter()
            .zip(waived)
            .map(|(e, n)| Outcome {
                waiver: e.waiver.clone(),
                state: if e.expires < today {
                    State::Expired
                } else if n > 0 {
                    State::Applied
                } else if in_scope(e) {
                    State::Unmatched
                } else {
                    State::OutOfScope
                },
                waived: n,
            })
            .collect()
    }
}

/// Whether an entry's resource pattern covers an id: the id itself, or a scope above it (a
/// resource group covers the resources in it).
fn covers(pattern: &str, id: &str) -> bool {
    glob(pattern, id) || glob(&format!("{}/*", crate::arm_id::normalise(pattern)), id)
}

/// Case-insensitive glob where `*` matches any run of characters; a trailing `/` is ignored.
pub(crate) fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = crate::arm_id::key(pattern).chars().collect();
    let t: Vec<char> = crate::arm_id::key(text).chars().collect();
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Date {
        Date::parse("2026-11-26").unwrap()
    }

    #[test]
    fn globs_match_ids_without_case() {
        assert!(glob(
            "/subscriptions/*/resourceGroups/rg-ml/providers/X/workspaces/*",
            "/SUBSCRIPTIONS/s1/resourcegroups/RG-ML/providers/x/workspaces/ws/"
        ));
        assert!(!glob(
            "/subscriptions/*/resourceGroups/rg-ml/*",
            "/subscriptions/s1/resourceGroups/rg-ml-edge/providers/x"
        ));
        assert!(glob("*", "/anything"));
        assert!(glob("/a/*/c*", "/a/b/c"));
        assert!(!glob("/a/b", "/a/b/c"));
    }

    #[test]
    fn valid_entries_load() {
        let text = "- control: AML-NS-01\n  resource: /subscriptions/*/resourceGroups/rg/providers/M/workspaces/*\n  reason: pilot\n  expires: 2027-03-31\n  approvedBy: sec@contoso.com\n";
        let e = Exceptions::parse("x.yaml", text, today()).unwrap();
        assert_eq!(e.entries[0].waiver.origin, "x.yaml:1:3");
        assert_eq!(
            e.entries[0].waiver.approved_by.as_deref(),
            Some("sec@contoso.com")
        );
        assert!(
            Exceptions::parse("x.yaml", "", today())
                .unwrap()
                .entries
                .is_empty()
        );
    }

    #[test]
    fn invalid_entries_are_located() {
        let err = |text: &str| {
            Exceptions::parse("x.yaml", text, today())
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            err("- control: A\n  resource: r\n  expires: 2027-01-01\n"),
            "x.yaml:1:3: exception without `reason` (control, resource, reason and expires are required)"
        );
        assert_eq!(
            err("- control: A\n  resource: r\n  reason: x\n  expires: 2028-01-01\n"),
            "x.yaml:4:12: expires 2028-01-01 is more than a year ahead (at most 2027-11-26)"
        );
        assert_eq!(
            err("- control: A\n  resource: r\n  reason: x\n  expires: soon\n"),
            "x.yaml:4:12: expires \"soon\" is not a date (YYYY-MM-DD)"
        );
        assert!(
            err("- control: A\n  resons: x\n").starts_with("x.yaml:2:3: unknown field `resons`")
        );
        assert!(err("- control: [\n").starts_with("x.yaml:"));
    }
}
