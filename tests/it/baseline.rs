//! The built-in rules are the baseline of shared/baseline.md (copied to tests/data): every
//! control with its severity, level, mode, target and seed tags, every seed question covered,
//! and docs/controls.md generated from them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use amlsec::rules::{Mode, RuleSet, RuleSource, reference};

fn data(name: &str) -> Vec<Vec<String>> {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name),
    )
    .unwrap()
    .lines()
    .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    .map(|l| l.split('\t').map(str::to_string).collect())
    .collect()
}

fn builtin() -> RuleSet {
    RuleSet::load(&RuleSource::builtin()).unwrap()
}

#[test]
fn every_control_of_the_baseline_exists_as_specified() {
    let rules = builtin();
    let spec = data("baseline-controls.tsv");
    assert_eq!(spec.len(), 136);
    let mut problems = Vec::new();
    for row in &spec {
        let [id, severity, level, mode, target, seed, _title] = row.as_slice() else {
            panic!("bad row {row:?}")
        };
        let Some(c) = rules.controls.iter().find(|c| c.id == *id) else {
            problems.push(format!("{id} is missing"));
            continue;
        };
        let got = (
            c.severity.as_str().to_string(),
            c.level.to_string(),
            if c.mode == Mode::Automated {
                "automated"
            } else {
                "manual"
            }
            .to_string(),
            c.target.to_string(),
            c.references.seed.join(" "),
        );
        let want = (
            severity.clone(),
            level.clone(),
            mode.clone(),
            target.clone(),
            seed.clone(),
        );
        if got != want {
            problems.push(format!("{id}: {got:?}, spec says {want:?}"));
        }
    }
    let spec_ids: BTreeSet<&str> = spec.iter().map(|r| r[0].as_str()).collect();
    for c in &rules.controls {
        if !spec_ids.contains(c.id.as_str()) {
            problems.push(format!("{} is not in the baseline", c.id));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// `NS-01, IM-01…IM-07` → AML-NS-01, AML-IM-01, …, AML-IM-07.
fn expand(list: &str) -> Vec<String> {
    let mut out = Vec::new();
    for item in list.split(',').map(str::trim) {
        match item.split_once('…') {
            Some((from, to)) => {
                let (prefix, a) = from.split_at(3);
                let b: u32 = to[3..].parse().unwrap();
                for n in a.parse::<u32>().unwrap()..=b {
                    out.push(format!("AML-{prefix}{n:02}"));
                }
            }
            None => out.push(format!("AML-{item}")),
        }
    }
    out
}

/// Every finding links to a page that explains its setting (SARIF helpUri, the table, JUnit).
#[test]
fn every_built_in_control_links_to_documentation() {
    let rules = builtin();
    let missing: Vec<&str> = rules
        .controls
        .iter()
        .filter(|c| !c.docs.as_deref().is_some_and(|d| d.starts_with("https://")))
        .map(|c| c.id.as_str())
        .collect();
    assert!(missing.is_empty(), "no docs: {missing:?}");
}

#[test]
fn every_seed_question_is_answered_by_the_controls_the_spec_names() {
    let rules = builtin();
    let mut tagged: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for c in &rules.controls {
        for tag in &c.references.seed {
            tagged.entry(tag.clone()).or_default().insert(c.id.clone());
        }
    }
    let coverage = data("seed-coverage.tsv");
    assert_eq!(coverage.len(), 25);
    let mut problems = Vec::new();
    for row in &coverage {
        let want: BTreeSet<String> = expand(&row[2]).into_iter().collect();
        let got = tagged.remove(&row[0]).unwrap_or_default();
        if got != want {
            problems.push(format!(
                "{} ({}): controls {got:?}, spec says {want:?}",
                row[0], row[1]
            ));
        }
    }
    problems.extend(
        tagged
            .keys()
            .map(|t| format!("tag {t} is not a seed question")),
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_control_reference_is_up_to_date() {
    let rules = builtin();
    let controls: Vec<_> = rules.controls.iter().collect();
    let generated = reference::markdown(&controls);
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/controls.md");
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        generated == checked_in,
        "docs/controls.md is out of date: run `cargo run -- rules list --format markdown > docs/controls.md`"
    );
}

/// Benchmark ids: what the spec gives without `?` is kept exactly; each `?` is either confirmed
/// (dropped) or changed in docs/compliance.md's table, with the reason there.
#[test]
fn benchmark_ids_are_the_specs_or_the_documented_verification() {
    let docs =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/compliance.md"))
            .unwrap();
    let split = |s: &str| -> Vec<String> {
        s.split(',')
            .map(str::trim)
            .filter(|x| !x.is_empty() && *x != "(none)")
            .map(str::to_string)
            .collect()
    };
    let changed: BTreeMap<String, (Vec<String>, Vec<String>)> = docs
        .lines()
        .filter(|l| l.starts_with("| AML-"))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            (cells[1].to_string(), (split(cells[2]), split(cells[3])))
        })
        .collect();
    assert_eq!(changed.len(), 12);
    let rules = builtin();
    let mut problems = Vec::new();
    for row in data("baseline-mcsb.tsv") {
        let id = &row[0];
        let spec = split(row.get(1).map_or("", String::as_str));
        let got = &rules
            .controls
            .iter()
            .find(|c| c.id == *id)
            .unwrap()
            .references
            .mcsb;
        let want = match changed.get(id) {
            Some((documented_spec, amlsec)) => {
                if *documented_spec != spec {
                    problems.push(format!("{id}: docs/compliance.md quotes the spec as {documented_spec:?}, it says {spec:?}"));
                }
                if !spec.iter().any(|s| s.ends_with('?')) {
                    problems.push(format!(
                        "{id}: the spec's ids are verified; only a `?` may change"
                    ));
                }
                amlsec.clone()
            }
            None => spec
                .iter()
                .map(|s| s.trim_end_matches('?').to_string())
                .collect(),
        };
        if *got != want {
            problems.push(format!("{id}: rules say {got:?}, expected {want:?}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
