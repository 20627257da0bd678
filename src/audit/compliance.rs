//! `--compliance`: the verdicts grouped by the items of a framework (benchmark controls, CIS
//! safeguards, NIST controls), each item as bad as the worst verdict mapped to it.

use std::collections::HashMap;

use serde::Serialize;

use super::{ControlResult, Status, SubjectResult, Summary};
use crate::rules::mcsb::{Framework, Item};

/// A framework's view of one audit.
#[derive(Debug, Serialize)]
pub struct Compliance {
    /// `mcsb`, `cis` or `nist`.
    pub framework: &'static str,
    pub title: &'static str,
    /// Every item some selected control maps to, in the framework's order.
    pub items: Vec<ItemResult>,
    /// Selected controls that map to no item of the framework.
    pub unmapped: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct ItemResult {
    pub id: &'static str,
    pub title: &'static str,
    /// The worst verdict of the controls mapped to it, over every subject.
    pub status: Status,
    /// Those verdicts counted (a control on three workspaces counts three times).
    pub summary: Summary,
    /// The amlsec controls mapped to it.
    pub controls: Vec<String>,
    /// Those that failed on some subject (waived failures are not listed).
    pub failing: Vec<String>,
}

impl Compliance {
    pub fn of(framework: Framework, subjects: &[SubjectResult<'_>]) -> Compliance {
        let results: Vec<&ControlResult<'_>> = subjects.iter().flat_map(|s| &s.results).collect();
        let mut mapped: HashMap<&str, Vec<&'static Item>> = HashMap::new();
        for r in &results {
            mapped
                .entry(r.control.id.as_str())
                .or_insert_with(|| framework.items(&r.control.references.mcsb));
        }
        let mut mcsb: Vec<String> = results
            .iter()
            .flat_map(|r| r.control.references.mcsb.iter().cloned())
            .collect();
        mcsb.sort();
        mcsb.dedup();
        let items = framework
            .items(&mcsb)
            .into_iter()
            .map(|item| {
                let of: Vec<&ControlResult<'_>> = results
                    .iter()
                    .copied()
                    .filter(|r| {
                        mapped[r.control.id.as_str()]
                            .iter()
                            .any(|i| i.id == item.id)
                    })
                    .collect();
                let mut controls: Vec<String> = of.iter().map(|r| r.control.id.clone()).collect();
                controls.sort();
                controls.dedup();
                let mut failing: Vec<String> = of
                    .iter()
                    .filter(|r| r.status == Status::Fail)
                    .map(|r| r.control.id.clone())
                    .collect();
                failing.sort();
                failing.dedup();
                ItemResult {
                    id: &item.id,
                    title: &item.title,
                    status: of
                        .iter()
                        .map(|r| r.status)
                        .max_by_key(|s| s.weight())
                        .unwrap_or(Status::NotApplicable),
                    summary: Summary::of(of.iter().copied()),
                    controls,
                    failing,
                }
            })
            .collect();
        let mut unmapped: Vec<String> = mapped
            .iter()
            .filter(|(_, items)| items.is_empty())
            .map(|(id, _)| id.to_string())
            .collect();
        unmapped.sort();
        Compliance {
            framework: framework.name(),
            title: framework.title(),
            items,
            unmapped,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{RuleSet, RuleSource};

    fn rules() -> RuleSet {
        let control = |id: &str, mcsb: &str| {
            format!(
                "  - {{id: {id}, title: t, severity: high, level: 1, mode: manual, target: workspace, guidance: g, references: {{mcsb: [{mcsb}]}}}}\n"
            )
        };
        let text = format!(
            "category: network\ncontrols:\n{}{}{}",
            control("T-01", "NS-1"),
            control("T-02", "NS-1, NS-2"),
            control("T-03", ""),
        );
        RuleSet::load(&[RuleSource {
            name: "t.yaml".into(),
            text,
            builtin: true,
        }])
        .unwrap()
    }

    fn subject<'r>(rules: &'r RuleSet, name: &str, statuses: [Status; 3]) -> SubjectResult<'r> {
        SubjectResult {
            subject: crate::graph::workspace_subject(),
            id: format!("/ws/{name}"),
            name: name.into(),
            location: None,
            kind: None,
            error: None,
            results: rules
                .controls
                .iter()
                .zip(statuses)
                .map(|(control, status)| ControlResult {
                    control,
                    status,
                    message: "".into(),
                    resources: vec![],
                    waiver: None,
                    answer: None,
                })
                .collect(),
        }
    }

    #[test]
    fn an_item_is_as_bad_as_the_worst_verdict_mapped_to_it_on_any_subject() {
        let rules = rules();
        let subjects = [
            subject(&rules, "a", [Status::Pass, Status::Pass, Status::Fail]),
            subject(&rules, "b", [Status::Pass, Status::Error, Status::Pass]),
        ];
        let mcsb = Compliance::of(Framework::Mcsb, &subjects);
        let got: Vec<(&str, Status, usize, Vec<String>)> = mcsb
            .items
            .iter()
            .map(|i| (i.id, i.status, i.summary.pass, i.controls.clone()))
            .collect();
        assert_eq!(
            got,
            [
                ("NS-1", Status::Error, 3, vec!["T-01".into(), "T-02".into()]),
                ("NS-2", Status::Error, 1, vec!["T-02".into()]),
            ]
        );
        assert_eq!(mcsb.unmapped, ["T-03"], "its failure belongs to no item");
        assert!(
            mcsb.items.iter().all(|i| i.failing.is_empty()),
            "T-03 failed, no other"
        );

        // CIS 3.12 and 4.4 come from both NS-1 and NS-2; 13.4 from NS-1 only.
        let cis = Compliance::of(Framework::Cis, &subjects);
        let ids: Vec<&str> = cis.items.iter().map(|i| i.id).collect();
        assert_eq!(ids, ["3.12", "4.4", "13.4"]);
        assert_eq!(cis.items[2].controls, ["T-01", "T-02"]);
        assert_eq!(cis.items[2].summary.error, 1);
    }
}
