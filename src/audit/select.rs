//! Which controls run, and which subjects of a source they run on.

use std::collections::BTreeSet;

use super::{exceptions, result::*};
use crate::arm_id;
use crate::cloud::Settings;
use crate::documents::Documents;
use crate::error::{Error, Result};
use crate::graph::{SUBJECTS, Subject};
use crate::rules::{Control, RuleSet, Severity};

/// Which controls run.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// 1 runs level-1 controls; 2 runs levels 1 and 2.
    pub level: u8,
    pub categories: Vec<String>,
    pub controls: Vec<String>,
    /// One: only controls of this severity or higher; several: exactly these; none: all.
    pub severities: Vec<Severity>,
    /// Controls left out: ids or `*` globs (`AML-LT-*`).
    pub skip: Vec<String>,
}

impl Selection {
    /// The selected controls; a category or control id that matches nothing is a usage error.
    pub fn apply<'r>(&self, rules: &'r RuleSet) -> Result<Vec<&'r Control>> {
        for c in &self.categories {
            if !rules
                .controls
                .iter()
                .any(|r| r.category.eq_ignore_ascii_case(c))
            {
                let known: BTreeSet<&str> =
                    rules.controls.iter().map(|r| r.category.as_str()).collect();
                return Err(Error::Usage(format!(
                    "--category {c} matches no control; categories: {}",
                    known.into_iter().collect::<Vec<_>>().join(", ")
                )));
            }
        }
        for id in &self.controls {
            if !rules.controls.iter().any(|r| r.id.eq_ignore_ascii_case(id)) {
                return Err(Error::Usage(format!(
                    "--control {id} matches no control (see `amlsec rules list`)"
                )));
            }
        }
        // A skip that matches nothing is a typo the user would never notice.
        for pattern in &self.skip {
            if !rules
                .controls
                .iter()
                .any(|r| exceptions::glob(pattern, &r.id))
            {
                return Err(Error::Usage(format!(
                    "--skip-control {pattern} matches no control (see `amlsec rules list`)"
                )));
            }
        }
        if rules.controls.is_empty() {
            return Err(Error::Usage(
                "the rule files hold no controls: nothing would be audited".into(),
            ));
        }
        let selected: Vec<&Control> = rules
            .controls
            .iter()
            .filter(|c| c.level <= self.level.max(1))
            .filter(|c| {
                self.categories.is_empty()
                    || self
                        .categories
                        .iter()
                        .any(|x| x.eq_ignore_ascii_case(&c.category))
            })
            .filter(|c| {
                self.controls.is_empty()
                    || self.controls.iter().any(|x| x.eq_ignore_ascii_case(&c.id))
            })
            .filter(|c| match self.severities.as_slice() {
                [] => true,
                [lowest] => c.severity >= *lowest,
                several => several.contains(&c.severity),
            })
            .filter(|c| !self.skip.iter().any(|p| exceptions::glob(p, &c.id)))
            .collect();
        let only_severity = !self.severities.is_empty()
            && Selection {
                severities: Vec::new(),
                ..self.clone()
            }
            .apply(rules)
            .is_ok();
        if selected.is_empty() && only_severity {
            // No control has that severity today (none is critical): an answer, not a usage
            // error, so a pipeline written for `--severity critical` keeps working.
            return Ok(selected);
        }
        if selected.is_empty() {
            // An audit of nothing must not exit 0 as if everything passed.
            return Err(Error::Usage(format!(
                "no control matches level {} together with the --category, --control, --severity and --skip-control given (level-2 controls need --level 2)",
                self.level.max(1)
            )));
        }
        Ok(selected)
    }
}

/// The subjects of a source to audit. With no picks, every subject it holds: each document of
/// a subject's type and each read of one that failed. Otherwise the picked ones, each a full
/// id or a name that is unique among its kind.
pub fn subjects(
    docs: &Documents,
    picks: &[SubjectId],
    settings: &Settings,
) -> Result<Vec<SubjectId>> {
    let held = |subject: &'static Subject| -> Vec<String> {
        let mut ids: Vec<String> = docs.ids_of_type(subject.resource_type);
        // A type that holds more than the subject (Cognitive Services accounts of other kinds):
        // only the audited kinds; a body without `kind` is kept, to be judged a failed read.
        if subject.kinds.is_some() {
            ids.retain(|id| {
                docs.get(id)
                    .map_or(true, |d| subject.audits_kind(&d, settings) != Some(false))
            });
        }
        for f in docs.failures() {
            let path = f.path.split('?').next().unwrap_or_default();
            let of_kind = arm_id::derive_type(path)
                .is_some_and(|t| t.eq_ignore_ascii_case(subject.resource_type));
            if of_kind && !ids.iter().any(|i| arm_id::same(i, path)) {
                ids.push(path.to_string());
            }
        }
        ids.sort_by_key(|i| arm_id::key(i));
        ids
    };
    if picks.is_empty() {
        let all: Vec<SubjectId> = SUBJECTS
            .iter()
            .flat_map(|s| held(s).into_iter().map(move |id| (s, id)))
            .collect();
        if all.is_empty() {
            let source = if docs.is_deployment() {
                "the template deploys"
            } else {
                "the snapshot holds"
            };
            return Err(Error::Usage(format!(
                "{source} no Azure ML workspace, AML registry or Foundry account, nor a child of one (types {})",
                SUBJECTS
                    .iter()
                    .map(|s| s.resource_type)
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        return Ok(all);
    }
    let mut out: Vec<SubjectId> = Vec::new();
    for (subject, selector) in picks.iter().chain(&linked(docs, picks)) {
        let ids = held(subject);
        let selector = selector.trim();
        let matches: Vec<&String> = if selector.contains('/') {
            ids.iter().filter(|i| arm_id::same(i, selector)).collect()
        } else {
            ids.iter()
                .filter(|i| arm_id::last_segment(i).eq_ignore_ascii_case(selector))
                .collect()
        };
        let (flag, many) = (subject.flag, subject.noun.1);
        match matches.as_slice() {
            [one] => {
                if !out
                    .iter()
                    .any(|(s, i)| s == subject && arm_id::same(i, one))
                {
                    out.push((subject, (*one).clone()));
                }
            }
            // A Foundry account a picked workspace's connection names, not in the source.
            [] if is_linked(picks, subject) => {}
            [] if ids.is_empty() => {
                return Err(Error::Usage(format!(
                    "{flag} {selector}: the snapshot has no {many}"
                )));
            }
            [] => {
                return Err(Error::Usage(format!(
                    "{flag} {selector}: the snapshot has no such {}; it has: {}",
                    subject.noun.0,
                    ids.iter()
                        .map(|i| arm_id::last_segment(i))
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            many => {
                return Err(Error::Usage(format!(
                    "{flag} {selector} is ambiguous; give the full id of one of: {}",
                    many.iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        }
    }
    Ok(out)
}

/// The Foundry accounts the picked workspaces' connections name (Annex B §B.1), when no
/// account is picked: a hub's AI-services connection audits its account too.
fn linked(docs: &Documents, picks: &[SubjectId]) -> Vec<SubjectId> {
    let foundry = crate::graph::foundry_subject();
    if picks.iter().any(|(s, _)| *s == foundry) {
        return Vec::new();
    }
    let mut out: Vec<SubjectId> = Vec::new();
    for (subject, selector) in picks {
        if *subject != crate::graph::workspace_subject() {
            continue;
        }
        let workspaces: Vec<String> = docs
            .ids_of_type(subject.resource_type)
            .into_iter()
            .filter(|i| {
                arm_id::same(i, selector) || arm_id::last_segment(i).eq_ignore_ascii_case(selector)
            })
            .collect();
        for ws in workspaces {
            for connection in docs.list(&format!("{ws}/connections")).unwrap_or_default() {
                if let Some(account) = crate::graph::named_foundry_account(&connection)
                    && !out.iter().any(|(_, i)| arm_id::same(i, &account))
                {
                    out.push((foundry, account));
                }
            }
        }
    }
    out
}

fn is_linked(picks: &[SubjectId], subject: &Subject) -> bool {
    subject == crate::graph::foundry_subject() && !picks.iter().any(|(s, _)| *s == subject)
}
