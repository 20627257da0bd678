//! Pre-deployment audit speed (issue: the median template audit under 50 ms): every bundled
//! template, with its parameters, expanded and audited at level 2 as `amlsec audit --template`
//! does, and the seven Azure Verified Modules composed into one deployment as Bicep compiles a
//! main file calling them. Prints the median of 21 runs per template, and the median over the
//! templates with and without the AVM corpus.
//!
//! Run: cargo bench --bench templates

#![allow(clippy::unwrap_used)]

#[path = "../tests/common/avm.rs"]
mod avm;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use amlsec::audit::Selection;
use amlsec::cloud::Cloud;
use amlsec::date::Date;
use amlsec::pipeline::{self, AuditRequest, Source};
use amlsec::rules::{RuleSet, RuleSource, Severity};

fn data(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// The seven AVM modules as one deployment, written to a file.
fn composed_avm() -> PathBuf {
    let file = std::env::temp_dir().join("amlsec-bench-avm.json");
    std::fs::write(&file, avm::avm_estate().to_string()).unwrap();
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
        text_width: 100,
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
