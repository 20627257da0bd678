//! Pre-deployment audit speed (issue: the median template audit under 50 ms): every bundled
//! template, with its parameters, expanded and audited at level 2 as `amlsec audit --template`
//! does, and the seven Azure Verified Modules composed into one deployment as Bicep compiles a
//! main file calling them. Prints the median of 21 runs per template, and the median over the
//! templates with and without the AVM corpus.
//!
//! Run: cargo bench --bench templates

#![allow(clippy::unwrap_used)]

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use amlsec::audit::Selection;
use amlsec::cloud::Cloud;
use amlsec::date::Date;
use amlsec::pipeline::{self, AuditRequest, Source};
use amlsec::rules::{RuleSet, RuleSource, Severity};
use serde_json::{Value, json};

fn data(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// The AVM modules as one deployment: an inline nested deployment each, inner scope.
fn composed_avm() -> PathBuf {
    let dir = data("tests/data/templates/avm");
    let mut resources = serde_json::Map::new();
    let mut modules: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    modules.sort();
    for m in modules {
        let read = |f: &str| -> Value {
            serde_json::from_str(&std::fs::read_to_string(m.join(f)).unwrap()).unwrap()
        };
        let name = m.file_name().unwrap().to_string_lossy().into_owned();
        resources.insert(name.clone(), json!({
            "type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": name,
            "properties": {"expressionEvaluationOptions": {"scope": "inner"}, "mode": "Incremental",
                           "parameters": read("main.parameters.json")["parameters"], "template": read("main.json")}
        }));
    }
    let file = std::env::temp_dir().join("amlsec-bench-avm.json");
    let template = json!({"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
                          "languageVersion": "2.0", "contentVersion": "1.0.0.0", "resources": resources});
    std::fs::write(&file, template.to_string()).unwrap();
    file
}

fn audit(rules: &RuleSet, template: &Path, parameters: Option<&Path>) {
    let request = AuditRequest {
        source: Source::Template {
            path: template.to_path_buf(),
            parameters_file: parameters.map(Path::to_path_buf),
            parameters: vec![],
            estate: None,
            scope: None,
        },
        rules,
        selection: Selection {
            level: 2,
            ..Default::default()
        },
        cloud: Cloud::Public,
        settings: vec![],
        exceptions: None,
        answers: None,
        baseline: None,
        fail_on: Severity::Low,
        fail_on_new: false,
        fail_on_unknown: false,
        outputs: vec![],
        markdown_limit: amlsec::report::MARKDOWN_LIMIT,
        compliance: None,
        today: Date::today(),
    };
    pipeline::audit(request, |report| {
        std::hint::black_box(report.subjects.len());
        Ok(())
    })
    .unwrap();
}

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

fn main() {
    let rules = RuleSet::load(&RuleSource::builtin()).unwrap();
    let mut cases: Vec<(String, PathBuf, Option<PathBuf>)> = Vec::new();
    for quickstart in [
        "machine-learning-create-vnet",
        "machine-learning-compute-create-computeinstance",
        "aistudio-entraid-passthrough",
    ] {
        let dir = data(&format!("tests/data/templates/{quickstart}"));
        let params = dir.join("azuredeploy.parameters.json");
        cases.push((
            quickstart.into(),
            dir.join("azuredeploy.json"),
            params.is_file().then_some(params),
        ));
    }
    let quickstarts = cases.len();
    for module in [
        "cognitive-services-account",
        "machine-learning-services-workspace",
        "machine-learning-services-registry",
    ] {
        let dir = data(&format!("tests/data/templates/avm/{module}"));
        cases.push((
            format!("avm/{module}"),
            dir.join("main.json"),
            Some(dir.join("main.parameters.json")),
        ));
    }
    cases.push(("avm (all seven, composed)".into(), composed_avm(), None));

    let mut medians = Vec::new();
    println!("{:<48} {:>10}", "template", "median");
    for (name, template, parameters) in &cases {
        let runs: Vec<Duration> = (0..21)
            .map(|_| {
                let started = Instant::now();
                audit(&rules, template, parameters.as_deref());
                started.elapsed()
            })
            .collect();
        let m = median(runs);
        println!("{name:<48} {:>8.1} ms", m.as_secs_f64() * 1000.0);
        medians.push(m);
    }
    println!(
        "median template audit: {:.1} ms without the AVM corpus, {:.1} ms with it",
        median(medians[..quickstarts].to_vec()).as_secs_f64() * 1000.0,
        median(medians.clone()).as_secs_f64() * 1000.0
    );
}
