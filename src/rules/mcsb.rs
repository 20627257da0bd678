//! The Microsoft cloud security benchmark v1 (`mcsb-v1.json`, generated from Microsoft's
//! workbook: see MCSB.md) and the frameworks reached through it: a control's `mcsb` references
//! are checked against it, and `--compliance` groups verdicts by its controls or by the CIS
//! Controls v8 safeguards and NIST SP 800-53 Rev. 4 controls the benchmark maps them to.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::error::{Error, Result};

/// One item of a framework: a benchmark control, a CIS safeguard or a NIST control.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Item {
    pub id: String,
    pub title: String,
}

#[derive(Debug, Deserialize)]
struct BenchmarkControl {
    #[serde(flatten)]
    own: Item,
    cis: Vec<Item>,
    nist: Vec<Item>,
}

#[derive(Debug, Deserialize)]
struct Catalogue {
    controls: Vec<BenchmarkControl>,
}

fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        serde_json::from_str(include_str!("mcsb-v1.json")).expect("the benchmark catalogue")
    })
}

/// Whether `id` is a control of the benchmark (`NS-2`).
pub fn is_control(id: &str) -> bool {
    catalogue().controls.iter().any(|c| c.own.id == id)
}

/// A framework a report can be summarised by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Framework {
    Mcsb,
    Cis,
    Nist,
}

impl Framework {
    pub const NAMES: &[&str] = &["mcsb", "cis", "nist"];

    pub fn parse(name: &str) -> Result<Framework> {
        match name.trim().to_ascii_lowercase().as_str() {
            "mcsb" => Ok(Framework::Mcsb),
            "cis" => Ok(Framework::Cis),
            "nist" => Ok(Framework::Nist),
            other => Err(Error::Usage(format!(
                "unknown framework `{other}`; frameworks: {}",
                Framework::NAMES.join(", ")
            ))),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Framework::Mcsb => "mcsb",
            Framework::Cis => "cis",
            Framework::Nist => "nist",
        }
    }

    /// What reports call it; CIS and NIST say they are reached through the benchmark.
    pub fn title(self) -> &'static str {
        match self {
            Framework::Mcsb => "Microsoft cloud security benchmark v1",
            Framework::Cis => {
                "CIS Controls v8 (as mapped by the Microsoft cloud security benchmark v1)"
            }
            Framework::Nist => {
                "NIST SP 800-53 Rev. 4 (as mapped by the Microsoft cloud security benchmark v1)"
            }
        }
    }

    /// The framework's items that the benchmark controls `mcsb` reach, each once, in the
    /// framework's own order (CIS `3.12` before `13.4`, NIST by family then number).
    pub fn items(self, mcsb: &[String]) -> Vec<&'static Item> {
        let mut found: BTreeMap<(String, u32, u32), &'static Item> = BTreeMap::new();
        for id in mcsb {
            let Some(control) = catalogue().controls.iter().find(|c| &c.own.id == id) else {
                continue;
            };
            for item in self.of(control) {
                found.entry(self.order(&item.id)).or_insert(item);
            }
        }
        found.into_values().collect()
    }

    fn of(self, control: &'static BenchmarkControl) -> Vec<&'static Item> {
        match self {
            Framework::Mcsb => vec![&control.own],
            Framework::Cis => control.cis.iter().collect(),
            Framework::Nist => control.nist.iter().collect(),
        }
    }

    /// A sort key: the benchmark keeps its workbook order; CIS and NIST sort by their numbers.
    fn order(self, id: &str) -> (String, u32, u32) {
        let number = |s: &str| s.parse::<u32>().unwrap_or(u32::MAX);
        match self {
            Framework::Mcsb => {
                let at = catalogue().controls.iter().position(|c| c.own.id == id);
                (String::new(), at.map_or(u32::MAX, |p| p as u32), 0)
            }
            Framework::Cis => {
                let (a, b) = id.split_once('.').unwrap_or((id, ""));
                (String::new(), number(a), number(b))
            }
            Framework::Nist => {
                let (family, n) = id.split_once('-').unwrap_or((id, ""));
                (family.to_string(), number(n), 0)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(items: Vec<&Item>) -> Vec<&str> {
        items.iter().map(|i| i.id.as_str()).collect()
    }

    #[test]
    fn the_catalogue_holds_the_whole_benchmark() {
        assert_eq!(catalogue().controls.len(), 86);
        assert!(is_control("NS-10") && is_control("GS-11") && is_control("DP-8"));
        assert!(!is_control("NS-11") && !is_control("ns-2") && !is_control("NS-2?"));
    }

    #[test]
    fn mappings_are_the_benchmarks_own_sorted_and_deduplicated() {
        let ns = ["NS-1".to_string(), "NS-2".to_string()];
        // NS-1: CIS 3.12, 13.4, 4.4; NS-2: 3.12, 4.4 (the workbook's cells).
        assert_eq!(ids(Framework::Cis.items(&ns)), ["3.12", "4.4", "13.4"]);
        assert_eq!(ids(Framework::Nist.items(&ns)), ["AC-4", "SC-2", "SC-7"]);
        assert_eq!(ids(Framework::Mcsb.items(&ns)), ["NS-1", "NS-2"]);
        let im3 = ["IM-3".to_string()];
        assert!(
            Framework::Cis.items(&im3).is_empty(),
            "the workbook says N/A"
        );
        assert_eq!(
            ids(Framework::Nist.items(&im3)),
            ["AC-2", "AC-3", "IA-4", "IA-5", "IA-9"]
        );
        assert_eq!(
            Framework::Nist.items(&["DP-3".to_string()])[0],
            &Item {
                id: "SC-8".into(),
                title: "TRANSMISSION CONFIDENTIALITY AND INTEGRITY".into()
            }
        );
    }

    #[test]
    fn a_title_wrapped_over_two_lines_in_the_workbook_is_one_item() {
        let cis = Framework::Cis.items(&["NS-9".to_string()]);
        assert_eq!(cis.len(), 1);
        assert!(cis[0].title.ends_with("an Enterprise’s AAA Infrastructure"));
    }

    #[test]
    fn framework_names_parse_and_unknown_ones_are_refused() {
        assert_eq!(Framework::parse("CIS").unwrap(), Framework::Cis);
        let e = Framework::parse("pci").unwrap_err().to_string();
        assert!(e.contains("frameworks: mcsb, cis, nist"), "{e}");
    }
}
