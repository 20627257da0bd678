//! A test per verdict: every case of `tests/verdicts/*.yaml` takes an example snapshot (built from
//! Microsoft's ARM response shapes), changes the documents it names, audits one control and
//! checks the status, the per-resource statuses and the evidence.
//!
//! A case: `control`, optional `name`, `base` (hardened | default | hub | foundry | foundry-exposed, default hardened),
//! `workspace` (name, for bases with several), `level` (default 2), then edits applied in order
//! `remove` (documents), `add` (documents), `set` / `unset` ({doc: {path: value}} / {doc: [path]},
//! a doc named by the end of its id, e.g. `storageAccounts/sthardened`; numeric path segments
//! index arrays), `fail` (failed reads), `param` (parameter overrides), `setting` (engine settings); and the expectations
//! `expect` (status), `resources` (statuses in order) and `actual` ({path: value} in the
//! evidence of the first resource that does not pass, else the first).

use std::collections::BTreeMap;
use std::path::Path;

use amlsec::audit::Selection;
use amlsec::cloud::Cloud;
use amlsec::date::Date;
use amlsec::documents::{Documents, ReadFailure};
use amlsec::pipeline::{self, AuditRequest, Source};
use amlsec::report::Report;
use amlsec::rules::{RuleSet, RuleSource, Severity};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    control: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    base: Option<String>,
    #[serde(default)]
    workspace: Option<String>,
    #[serde(default)]
    level: Option<u8>,
    #[serde(default)]
    remove: Vec<String>,
    #[serde(default)]
    add: Vec<Value>,
    #[serde(default)]
    set: BTreeMap<String, BTreeMap<String, Value>>,
    #[serde(default)]
    unset: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    fail: Vec<ReadFailure>,
    #[serde(default)]
    param: BTreeMap<String, Value>,
    #[serde(default)]
    setting: BTreeMap<String, Value>,
    expect: String,
    #[serde(default)]
    resources: Option<Vec<String>>,
    #[serde(default)]
    actual: BTreeMap<String, Value>,
}

fn base(name: &str) -> Vec<Value> {
    // A case of Annex B, a whole snapshot of its own (tests/data/foundry-cases).
    if name.ends_with(".json") {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/foundry-cases")
            .join(name);
        return serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    }
    let file = match name {
        "hardened" => "hardened-workspace.json",
        "default" => "default-workspace.json",
        "hub" => "hub-and-project.json",
        "foundry" => "foundry-hardened.json",
        "foundry-exposed" => "foundry-exposed.json",
        other => panic!("unknown base {other}"),
    };
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples")
            .join(file),
    )
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The one document whose id ends with `/{suffix}` (case-insensitive).
fn select<'a>(docs: &'a mut [Value], suffix: &str, case: &str) -> &'a mut Value {
    let wanted = format!("/{}", suffix.to_ascii_lowercase());
    let mut hits: Vec<&'a mut Value> = docs
        .iter_mut()
        .filter(|d| {
            d["id"]
                .as_str()
                .is_some_and(|id| id.to_ascii_lowercase().ends_with(&wanted))
        })
        .collect();
    assert_eq!(
        hits.len(),
        1,
        "{case}: `{suffix}` names {} documents",
        hits.len()
    );
    hits.pop().unwrap()
}

fn slot<'a>(doc: &'a mut Value, path: &str) -> &'a mut Value {
    path.split('.')
        .fold(doc, |v, seg| match seg.parse::<usize>() {
            Ok(i) if v.is_array() => &mut v[i],
            _ => {
                if !v.is_object() {
                    *v = Value::Object(Default::default());
                }
                v.as_object_mut().unwrap().entry(seg).or_insert(Value::Null)
            }
        })
}

fn unset(doc: &mut Value, path: &str) {
    let (parent, last) = path.rsplit_once('.').map_or(("", path), |(p, l)| (p, l));
    let target = if parent.is_empty() {
        doc
    } else {
        slot(doc, parent)
    };
    match (target, last.parse::<usize>()) {
        (Value::Array(items), Ok(i)) => {
            items.remove(i);
        }
        (Value::Object(map), _) => {
            map.remove(last);
        }
        _ => {}
    }
}

fn run(case: &Case, label: &str, builtin: &RuleSet) -> Result<(), String> {
    let mut docs = base(case.base.as_deref().unwrap_or("hardened"));
    for r in &case.remove {
        let id = select(&mut docs, r, label)["id"].clone();
        docs.retain(|d| d["id"] != id);
    }
    docs.extend(case.add.iter().cloned());
    for (sel, values) in &case.set {
        let doc = select(&mut docs, sel, label);
        for (path, value) in values {
            *slot(doc, path) = value.clone();
        }
    }
    for (sel, paths) in &case.unset {
        let doc = select(&mut docs, sel, label);
        paths.iter().for_each(|p| unset(doc, p));
    }
    let mut documents = Documents::default();
    docs.into_iter().for_each(|d| documents.insert(d));
    case.fail
        .iter()
        .cloned()
        .for_each(|f| documents.record_failure(f));

    let mut rules = builtin.clone();
    for (name, value) in &case.param {
        rules
            .set_param(&format!("{name}={}", yaml_text(value)))
            .unwrap();
    }
    let request = AuditRequest {
        source: Source::Documents {
            documents: Box::new(documents),
            label: label.to_string(),
            pick: case
                .workspace
                .iter()
                .map(|w| (amlsec::graph::workspace_subject(), w.clone()))
                .collect(),
        },
        rules: &rules,
        selection: Selection {
            level: case.level.unwrap_or(2),
            categories: vec![],
            controls: vec![case.control.clone()],
            ..Default::default()
        },
        cloud: Cloud::Public,
        settings: case
            .setting
            .iter()
            .map(|(name, value)| format!("{name}={}", yaml_text(value)))
            .collect(),
        exceptions: None,
        answers: None,
        baseline: None,
        fail_on: Severity::Low,
        fail_on_new: false,
        fail_on_unknown: false,
        outputs: vec![],
        markdown_limit: amlsec::report::MARKDOWN_LIMIT,
        text_width: 100,
        compliance: None,
        today: Date::today(),
    };
    let mut verdict = Err("the report was not shown".to_string());
    pipeline::audit(request, |report| {
        verdict = judge(case, report);
        Ok(())
    })
    .map_err(|e| e.to_string())?;
    verdict
}

fn yaml_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Checks the one control of the case against what the case expects.
fn judge(case: &Case, report: &Report<'_>) -> Result<(), String> {
    if report.subjects.len() != 1 {
        return Err(format!(
            "the case audits {} workspaces; name one with `workspace:`",
            report.subjects.len()
        ));
    }
    let result = report.subjects[0]
        .results
        .first()
        .ok_or("the control was not selected")?;
    let mut problems = Vec::new();
    if result.status.as_str() != case.expect {
        problems.push(format!(
            "status {} (expected {}): {}",
            result.status.as_str(),
            case.expect,
            result.message
        ));
    }
    if let Some(want) = &case.resources {
        let got: Vec<&str> = result.resources.iter().map(|r| r.status.as_str()).collect();
        if got != *want {
            problems.push(format!("resources {got:?} (expected {want:?})"));
        }
    }
    if !case.actual.is_empty() {
        let resource = result
            .resources
            .iter()
            .find(|r| r.status.as_str() != "pass")
            .or(result.resources.first());
        let Some(resource) = resource else {
            return Err("no resource to read evidence from".into());
        };
        for (path, want) in &case.actual {
            match resource.evidence.iter().find(|e| e.path == *path) {
                None => problems.push(format!(
                    "no evidence for {path}; evidence: {:?}",
                    resource.evidence.iter().map(|e| e.path).collect::<Vec<_>>()
                )),
                Some(e) if e.actual.value() != *want => problems.push(format!(
                    "evidence {path} = {} (expected {want})",
                    e.actual.value()
                )),
                Some(_) => {}
            }
        }
    }
    // Evidence lists exactly the control's declared paths, for every resource that was read.
    let declared: Vec<String> = result
        .control
        .evidence
        .paths
        .iter()
        .map(|p| p.to_string())
        .collect();
    for r in result.resources.iter().filter(|r| !r.evidence.is_empty()) {
        let paths: Vec<&str> = r.evidence.iter().map(|e| e.path).collect();
        if paths
            .iter()
            .copied()
            .ne(declared.iter().map(String::as_str))
        {
            problems.push(format!(
                "{}: evidence paths {paths:?} differ from the control's",
                r.id
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

#[test]
fn every_case_gives_the_verdict_the_spec_prescribes() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/verdicts");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let (mut total, mut failures) = (0, Vec::new());
    let builtin = RuleSet::load(&RuleSource::builtin()).unwrap();
    let mut per_control: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let cases: Vec<Case> = serde_saphyr::from_str_with_options(
            &text,
            serde_saphyr::options! { strict_booleans: true },
        )
        .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for (i, case) in cases.iter().enumerate() {
            total += 1;
            let label = format!(
                "{}#{} {} {}",
                file.file_name().unwrap().to_string_lossy(),
                i + 1,
                case.control,
                case.name.as_deref().unwrap_or("")
            );
            per_control
                .entry(case.control.clone())
                .or_default()
                .push(case.expect.clone());
            if let Err(e) = run(case, &label, &builtin) {
                failures.push(format!("{label}: {e}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {total} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );

    // Every automated control has a passing and a failing fixture.
    let mut missing = Vec::new();
    for c in builtin.controls.iter().filter(|c| c.pass.is_some()) {
        let seen = per_control.get(&c.id).cloned().unwrap_or_default();
        for status in ["pass", "fail"] {
            if !seen.iter().any(|s| s == status) {
                missing.push(format!("{} has no `{status}` case", c.id));
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

/// Each Annex B case file (`AML-XX-NN.pass.json`, `.fail.json`) gives the verdict its name says,
/// with the rule parameters `parameters.json` gives it.
#[test]
fn every_annex_b_case_gives_its_named_verdict() {
    let builtin = RuleSet::load(&RuleSource::builtin()).unwrap();
    let cases = crate::common::foundry::annex_b_cases();
    assert_eq!(cases.len(), 62, "31 controls, a pass and a fail case each");
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|c| {
            let case: Case = serde_json::from_value(serde_json::json!({
                "control": c.control,
                "base": c.name,
                "expect": c.expect,
                "param": c.params.iter().cloned().collect::<BTreeMap<_, _>>(),
            }))
            .unwrap();
            run(&case, &c.name, &builtin)
                .err()
                .map(|e| format!("{}: {e}", c.name))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
