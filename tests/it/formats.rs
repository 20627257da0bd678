//! CI outputs: SARIF (valid against the 2.1.0 schema), JUnit (parsed back and counted),
//! Markdown and the table, as golden files; exceptions and --fail-on gating.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use assert_cmd::cargo::cargo_bin_cmd;
use predicates::prelude::*;
use serde_json::{Value, json};

use crate::common::golden;

const EXAMPLES: [&str; 4] = [
    "hardened-workspace",
    "default-workspace",
    "hub-and-project",
    "foundry-exposed",
];

fn amlsec() -> Command {
    let mut cmd = cargo_bin_cmd!("amlsec");
    // The table wraps at COLUMNS; pin it so a developer's shell cannot change a golden file.
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .env("COLUMNS", "100");
    cmd
}

fn example(name: &str) -> String {
    format!("examples/{name}.json")
}

fn output(args: &[&str]) -> String {
    let out = amlsec().args(args).output().unwrap();
    String::from_utf8(out.stdout).unwrap()
}

/// The JSON report of an audit of one example, with extra flags.
fn json_report(name: &str, extra: &[&str]) -> Value {
    let snapshot = example(name);
    let mut args = vec!["audit", "--snapshot", &snapshot, "--format", "json"];
    args.extend_from_slice(extra);
    serde_json::from_str(&output(&args)).unwrap()
}

fn scratch(name: &str, content: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("formats");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

fn golden(name: &str, text: &str) {
    golden::assert_golden(name, text);
}

#[test]
fn every_format_matches_its_golden_file() {
    for name in EXAMPLES {
        let snapshot = example(name);
        for (format, ext) in [
            ("sarif", "sarif"),
            ("junit", "xml"),
            ("markdown", "md"),
            ("table", "txt"),
            ("csv", "csv"),
            ("html", "html"),
        ] {
            let text = output(&[
                "audit",
                "--snapshot",
                &snapshot,
                "--level",
                "2",
                "--format",
                format,
                "--color",
                "never",
            ]);
            // The page says when it was generated; the golden file cannot.
            let text = match text.split_once(" · generated ") {
                Some((head, tail)) => format!("{head} · generated (time){}", &tail[20..]),
                None => text,
            };
            golden(&format!("{name}.level2.{ext}"), &text);
        }
    }
}

/// `--compliance`: every format carries the same per-item summary, and the JSON one is the
/// benchmark's mapping applied to the verdicts.
#[test]
fn compliance_summaries_appear_in_every_format_and_agree() {
    let report = json_report("default-workspace", &["--compliance", "nist"]);
    let c = &report["compliance"];
    assert_eq!(c["framework"], "nist");
    let items = c["items"].as_array().unwrap();
    let item = |id: &str| items.iter().find(|i| i["id"] == id).unwrap();
    // DP-3 maps to SC-8 alone; AML-DP-06 (HTTPS and TLS 1.2 on storage) fails on this example.
    assert_eq!(item("SC-8")["status"], "fail");
    assert!(
        item("SC-8")["failing"]
            .as_array()
            .unwrap()
            .contains(&"AML-DP-06".into())
    );
    // Each item counts exactly the verdicts of the controls mapped to it, on every workspace.
    for i in items {
        let mapped: Vec<&str> = i["controls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        let verdicts: Vec<&Value> = report["workspaces"]
            .as_array()
            .unwrap()
            .iter()
            .chain(report["registries"].as_array().unwrap())
            .flat_map(|w| w["results"].as_array().unwrap())
            .filter(|r| mapped.contains(&r["control"].as_str().unwrap()))
            .collect();
        let counted: u64 = [
            "pass",
            "fail",
            "manual",
            "not_applicable",
            "error",
            "waived",
        ]
        .iter()
        .map(|s| i["summary"][s].as_u64().unwrap())
        .sum();
        assert_eq!(counted as usize, verdicts.len(), "{}", i["id"]);
        let failed = verdicts.iter().any(|r| r["status"] == "fail");
        assert_eq!(i["status"] == "fail", failed, "{}", i["id"]);
    }
    let n = items.len();
    let snapshot = example("default-workspace");
    let run = |format: &str| {
        output(&[
            "audit",
            "--snapshot",
            &snapshot,
            "--compliance",
            "nist",
            "--format",
            format,
            "--color",
            "never",
        ])
    };
    let title = c["title"].as_str().unwrap();
    for format in ["table", "markdown", "html"] {
        let text = run(format);
        assert!(text.contains(title), "{format} names the framework");
        assert!(text.contains("SC-8"), "{format} lists the items");
    }
    let csv = run("csv");
    assert_eq!(
        csv.lines()
            .filter(|l| l.starts_with("compliance,nist,"))
            .count(),
        n
    );
    let junit = run("junit");
    let doc = roxmltree::Document::parse(&junit).unwrap();
    let suite = doc
        .descendants()
        .find(|s| s.attribute("name") == Some(title))
        .unwrap();
    assert_eq!(suite.attribute("tests"), Some(n.to_string().as_str()));
    let sarif: Value = serde_json::from_str(&run("sarif")).unwrap();
    assert_eq!(sarif["runs"][0]["properties"]["compliance"], *c);
    // Without the flag no format has it.
    assert!(
        json_report("default-workspace", &[])
            .get("compliance")
            .is_none()
    );
    assert!(!output(&["audit", "--snapshot", &snapshot]).contains(title));
}

#[test]
fn sarif_is_valid_against_the_schema() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sarif-schema-2.1.0.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let exceptions = waive_ns01();
    for name in EXAMPLES {
        let sarif: Value = serde_json::from_str(&output(&[
            "audit",
            "--snapshot",
            &example(name),
            "--level",
            "2",
            "--format",
            "sarif",
            "--exceptions",
            exceptions.to_str().unwrap(),
            "--compliance",
            "nist",
        ]))
        .unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&sarif)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{name}: {}", errors.join("\n"));
        let run = &sarif["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        for result in run["results"].as_array().unwrap() {
            let index = result["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(
                rules[index]["id"], result["ruleId"],
                "ruleIndex points at the rule"
            );
            assert!(
                result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
                    .as_str()
                    .unwrap()
                    .starts_with("/subscriptions/")
            );
            assert!(rules[index]["properties"]["security-severity"].is_string());
        }
    }
    // The quick-create workspace: one result per failing resource, the waived one suppressed.
    let sarif: Value = serde_json::from_str(&output(&[
        "audit",
        "--snapshot",
        &example("default-workspace"),
        "--format",
        "sarif",
        "--exceptions",
        exceptions.to_str().unwrap(),
    ]))
    .unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let ns01: Vec<&Value> = results
        .iter()
        .filter(|r| r["ruleId"] == "AML-NS-01")
        .collect();
    assert_eq!(ns01.len(), 1);
    assert_eq!(ns01[0]["suppressions"][0]["status"], "accepted");
    assert!(
        ns01[0]["suppressions"][0]["justification"]
            .as_str()
            .unwrap()
            .starts_with("Pilot until the VPN is live")
    );
    assert_eq!(
        results
            .iter()
            .filter(|r| r["ruleId"] == "AML-IM-01")
            .count(),
        2,
        "two computes fail"
    );
}

/// A hub's storage, key vault or registry fails once in SARIF, listing every workspace whose
/// audit found it, not once more per project.
#[test]
fn sarif_reports_a_resource_shared_by_a_hub_and_its_projects_once() {
    let sarif: Value = serde_json::from_str(&output(&[
        "audit",
        "--snapshot",
        &example("hub-and-project"),
        "--format",
        "sarif",
    ]))
    .unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let mut seen = std::collections::HashSet::new();
    for r in results {
        let key = (
            r["ruleId"].as_str().unwrap(),
            r["partialFingerprints"]["amlsecFinding/v1"]
                .as_str()
                .unwrap(),
        );
        assert!(seen.insert(key), "{key:?} reported twice");
    }
    let shared = results
        .iter()
        .filter(|r| r["properties"]["workspaces"].as_array().unwrap().len() > 1)
        .count();
    assert!(shared > 0, "no finding names both the hub and its project");
    // The JSON report still has each workspace's own results.
    let json = json_report("hub-and-project", &[]);
    let per_workspace: usize = json["workspaces"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|w| w["results"].as_array().unwrap())
        .flat_map(|r| r["resources"].as_array().unwrap())
        .filter(|r| r["status"] == "fail")
        .count();
    assert!(per_workspace > results.len());
}

/// Past `--markdown-limit` the summary switches to its compact form, stays within the limit and
/// says how much it left out; under it nothing changes.
#[test]
fn markdown_fits_its_size_limit_and_says_what_it_left_out() {
    let snapshot = example("hub-and-project");
    let summary = |extra: &[&str]| {
        let mut args = vec!["audit", "--snapshot", &snapshot, "--format", "markdown"];
        args.extend_from_slice(extra);
        output(&args)
    };
    let full = summary(&[]);
    assert!(!full.contains("Compact form"));
    assert_eq!(summary(&["--markdown-limit", "1MiB"]), full);
    let compact = summary(&["--markdown-limit", "3KiB"]);
    assert!(compact.len() <= 3 * 1024, "{} bytes", compact.len());
    assert!(compact.contains("Compact form"), "{compact}");
    assert!(compact.contains("| mlw-hub |") && compact.contains("| proj-fraud |"));
    let more = compact
        .lines()
        .find(|l| l.contains("more findings not shown"))
        .unwrap_or_else(|| panic!("no 'more' line in {compact}"));
    assert!(more.starts_with("**") && more.contains(" (of "), "{more}");
    // Critical findings come before lower ones.
    let severities: Vec<&str> = compact
        .lines()
        .filter(|l| l.starts_with("| **AML-"))
        .map(|l| l.split(" | ").nth(1).unwrap())
        .collect();
    let rank = |s: &str| {
        ["low", "medium", "high", "critical"]
            .iter()
            .position(|x| *x == s)
    };
    assert!(
        severities.windows(2).all(|w| rank(w[0]) >= rank(w[1])),
        "{severities:?}"
    );
    amlsec()
        .args(["audit", "--snapshot", &snapshot, "--format", "markdown"])
        .args(["--markdown-limit", "100"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("too small"));
}

#[test]
fn junit_parses_back_with_the_right_counts() {
    let xml = output(&[
        "audit",
        "--snapshot",
        &example("hub-and-project"),
        "--level",
        "2",
        "--format",
        "junit",
    ]);
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let cases: Vec<_> = root
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(
        cases.len(),
        2 * 99,
        "one test case per control and workspace"
    );
    let count = |tag: &str| {
        cases
            .iter()
            .filter(|c| c.children().any(|x| x.has_tag_name(tag)))
            .count()
    };
    let json: Value = serde_json::from_str(&output(&[
        "audit",
        "--snapshot",
        &example("hub-and-project"),
        "--level",
        "2",
        "--format",
        "json",
    ]))
    .unwrap();
    let summary = &json["summary"];
    assert_eq!(count("failure") as u64, summary["fail"].as_u64().unwrap());
    assert_eq!(count("error") as u64, summary["error"].as_u64().unwrap());
    assert_eq!(
        count("skipped") as u64,
        summary["manual"].as_u64().unwrap() + summary["not_applicable"].as_u64().unwrap()
    );
    assert_eq!(root.attribute("tests"), Some("198"));
    let suites = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .count();
    assert_eq!(suites, 2 * 8, "one suite per workspace and category");
}

fn date_in(days: i64) -> String {
    let today = amlsec::date::Date::today();
    amlsec::date::Date::from_days(today.days() + days).to_string()
}

fn waive_ns01() -> PathBuf {
    let text = format!(
        "- control: AML-NS-01\n  resource: /subscriptions/*/resourceGroups/rg-ml-sandbox/providers/Microsoft.MachineLearningServices/workspaces/*\n  reason: Pilot until the VPN is live (CHG-1234)\n  expires: {}\n  approvedBy: security-team@contoso.com\n",
        date_in(30)
    );
    scratch("waive-ns01.yaml", &text)
}

fn status(report: &Value, control: &str) -> String {
    report["workspaces"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["control"] == control)
        .unwrap()["status"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn exceptions_waive_matching_failures_in_every_output() {
    let file = waive_ns01();
    let path = file.to_str().unwrap();
    let report: Value = json_report("default-workspace", &["--exceptions", path]);
    assert_eq!(status(&report, "AML-NS-01"), "waived");
    assert_eq!(report["summary"]["waived"], 1);
    let result = report["workspaces"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["control"] == "AML-NS-01")
        .unwrap()
        .clone();
    assert_eq!(result["waiver"]["approvedBy"], "security-team@contoso.com");
    assert_eq!(result["resources"][0]["status"], "waived");
    assert_eq!(report["exceptions"][0]["state"], "applied");
    let md = output(&[
        "audit",
        "--snapshot",
        &example("default-workspace"),
        "--format",
        "markdown",
        "--exceptions",
        path,
    ]);
    assert!(md.contains("Waived: AML-NS-01 (waived until"));
    let xml = output(&[
        "audit",
        "--snapshot",
        &example("default-workspace"),
        "--format",
        "junit",
        "--exceptions",
        path,
    ]);
    assert!(xml.contains("<skipped message=\"waived: waived until"));

    // Exact id, and a glob over a compute.
    let exact = scratch(
        "exact.yaml",
        &format!(
            "- control: aml-ns-25\n  resource: /subscriptions/5b1c8a3e-0d4f-4c7e-9a61-2f3e4d5c6b7a/resourceGroups/rg-ml-sandbox/providers/Microsoft.MachineLearningServices/workspaces/mlw-quickstart/computes/ci-bob\n  reason: being rebuilt\n  expires: {}\n",
            date_in(10)
        ),
    );
    let report: Value = json_report(
        "default-workspace",
        &["--exceptions", exact.to_str().unwrap()],
    );
    assert_eq!(
        status(&report, "AML-NS-25"),
        "fail",
        "the cluster still fails"
    );
    let resources: Vec<&str> = report["workspaces"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["control"] == "AML-NS-25")
        .unwrap()["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(resources, ["waived", "fail"]);
    let glob = scratch(
        "glob.yaml",
        &format!(
            "- control: AML-NS-25\n  resource: '*/computes/*'\n  reason: sandbox\n  expires: {}\n",
            date_in(10)
        ),
    );
    let report: Value = json_report(
        "default-workspace",
        &["--exceptions", glob.to_str().unwrap()],
    );
    assert_eq!(status(&report, "AML-NS-25"), "waived");
}

#[test]
fn expired_and_unmatched_exceptions_are_reported() {
    let file = scratch(
        "stale.yaml",
        &format!(
            "- control: AML-NS-01\n  resource: '*'\n  reason: old pilot\n  expires: {}\n- control: AML-PA-02\n  resource: '*'\n  reason: passes anyway\n  expires: {}\n- control: AML-DP-02\n  resource: '*'\n  reason: not run at level 1\n  expires: {}\n- control: AML-NS-01\n  resource: /subscriptions/*/resourceGroups/rg-elsewhere\n  reason: another team\n  expires: {}\n",
            date_in(-1),
            date_in(5),
            date_in(5),
            date_in(5)
        ),
    );
    let out = amlsec()
        .args([
            "audit",
            "--snapshot",
            &example("default-workspace"),
            "--format",
            "json",
            "--exceptions",
            file.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("stale.yaml:1:3: exception for AML-NS-01 on * expired on"),
        "{stderr}"
    );
    assert!(
        stderr.contains("stale.yaml:5:3: exception for AML-PA-02 on * matches no failing resource"),
        "{stderr}"
    );
    // Entries about controls not run, or resources not audited, are no one's mistake.
    assert!(
        !stderr.contains("AML-DP-02") && !stderr.contains("rg-elsewhere"),
        "{stderr}"
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        status(&report, "AML-NS-01"),
        "fail",
        "an expired entry no longer applies"
    );
    let states: Vec<&str> = report["exceptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["state"].as_str().unwrap())
        .collect();
    assert_eq!(
        states,
        ["expired", "unmatched", "out_of_scope", "out_of_scope"]
    );
}

#[test]
fn exceptions_name_known_controls_cover_scopes_and_do_not_raise_the_score() {
    let unknown = scratch(
        "unknown.yaml",
        &format!(
            "- control: AML-NS-99\n  resource: '*'\n  reason: typo\n  expires: {}\n",
            date_in(5)
        ),
    );
    amlsec()
        .args([
            "audit",
            "--snapshot",
            &example("default-workspace"),
            "--exceptions",
        ])
        .arg(&unknown)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "unknown.yaml:1:3: exception for AML-NS-99: no such control",
        ));
    // A resource-group id covers the workspace in it; the waived failure still counts
    // against the score.
    let by_group = scratch(
        "by-group.yaml",
        &format!(
            "- control: AML-NS-01\n  resource: /subscriptions/5b1c8a3e-0d4f-4c7e-9a61-2f3e4d5c6b7a/resourceGroups/rg-ml-sandbox\n  reason: pilot\n  expires: {}\n",
            date_in(5)
        ),
    );
    let waived = json_report(
        "default-workspace",
        &["--exceptions", by_group.to_str().unwrap()],
    );
    let plain = json_report("default-workspace", &[]);
    assert_eq!(status(&waived, "AML-NS-01"), "waived");
    assert_eq!(waived["summary"]["score"], plain["summary"]["score"]);
}

#[test]
fn bad_exceptions_files_are_input_errors() {
    let cases = [
        (
            "too-far.yaml",
            format!(
                "- control: AML-NS-01\n  resource: '*'\n  reason: r\n  expires: {}\n",
                date_in(400)
            ),
            "too-far.yaml:4:12: expires",
        ),
        (
            "no-reason.yaml",
            format!(
                "- control: AML-NS-01\n  resource: '*'\n  expires: {}\n",
                date_in(5)
            ),
            "no-reason.yaml:1:3: exception without `reason`",
        ),
        (
            "number-reason.yaml",
            format!(
                "- control: AML-NS-01\n  resource: '*'\n  reason: 5\n  expires: {}\n",
                date_in(5)
            ),
            "number-reason.yaml:3:3: invalid type: integer `5`, expected text",
        ),
        (
            "null-control.yaml",
            format!(
                "- control: null\n  resource: '*'\n  reason: r\n  expires: {}\n",
                date_in(5)
            ),
            "null-control.yaml:1:3: exception without `control`",
        ),
        (
            "malformed.yaml",
            "- control: [AML-NS-01\n".to_string(),
            "malformed.yaml:",
        ),
        (
            "typo.yaml",
            format!(
                "- control: AML-NS-01\n  resource: '*'\n  reason: r\n  expiry: {}\n",
                date_in(5)
            ),
            "typo.yaml:4:3: unknown field `expiry`",
        ),
    ];
    for (name, text, expected) in cases {
        let path = scratch(name, &text);
        amlsec()
            .args([
                "audit",
                "--snapshot",
                &example("default-workspace"),
                "--exceptions",
                path.to_str().unwrap(),
            ])
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains(expected));
    }
}

#[test]
fn exit_codes_with_waivers_and_each_fail_on_level() {
    // The hub example fails high, medium and low controls, and no critical one.
    let hub = example("hub-and-project");
    for (fail_on, code) in [("low", 1), ("medium", 1), ("high", 1), ("critical", 0)] {
        amlsec()
            .args(["audit", "--snapshot", &hub, "--fail-on", fail_on])
            .assert()
            .code(code)
            .stderr(predicate::str::contains(format!("exit {code}: ")));
    }
    // Waive every failure of the quick-create workspace: nothing fails any more.
    let all = scratch(
        "all.yaml",
        &format!(
            "- {{control: '{}', resource: '*', reason: demo, expires: {}}}\n",
            "AML-NS-01",
            date_in(3)
        ),
    );
    let ids = output(&[
        "audit",
        "--snapshot",
        &example("default-workspace"),
        "--format",
        "json",
    ]);
    let report: Value = serde_json::from_str(&ids).unwrap();
    let failing: Vec<String> = ["workspaces", "registries"]
        .iter()
        .flat_map(|s| report[s][0]["results"].as_array().unwrap())
        .filter(|r| r["status"] == "fail")
        .map(|r| r["control"].as_str().unwrap().to_string())
        .collect();
    let mut text = String::new();
    for id in &failing {
        text.push_str(&format!(
            "- {{control: {id}, resource: '*', reason: accepted for the demo, expires: {}}}\n",
            date_in(3)
        ));
    }
    std::fs::write(&all, text).unwrap();
    amlsec()
        .args([
            "audit",
            "--snapshot",
            &example("default-workspace"),
            "--exceptions",
            all.to_str().unwrap(),
        ])
        .assert()
        .code(0)
        .stderr(predicate::str::contains(format!(
            "exit 0: no control failed at or above low; {} waived",
            failing.len()
        )));
    amlsec()
        .args(["audit", "--snapshot", &example("default-workspace")])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "exit 1: 39 controls failed at or above low",
        ));
}

#[test]
fn several_outputs_in_one_run() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("formats/multi");
    std::fs::create_dir_all(&dir).unwrap();
    let (sarif, junit, md) = (dir.join("r.sarif"), dir.join("r.xml"), dir.join("summary"));
    amlsec()
        .args([
            "audit",
            "--snapshot",
            &example("default-workspace"),
            "--output",
            sarif.to_str().unwrap(),
            "--output",
            junit.to_str().unwrap(),
            "--output",
            &format!("markdown:{}", md.display()),
        ])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("most severe first"));
    assert!(
        std::fs::read_to_string(&sarif)
            .unwrap()
            .contains("\"version\": \"2.1.0\"")
    );
    assert!(
        std::fs::read_to_string(&junit)
            .unwrap()
            .starts_with("<?xml")
    );
    assert!(
        std::fs::read_to_string(&md)
            .unwrap()
            .starts_with("## amlsec:")
    );
}

#[test]
fn completions_and_man_page() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        amlsec()
            .args(["completions", shell])
            .assert()
            .code(0)
            .stdout(predicate::str::contains("amlsec"));
    }
    amlsec()
        .arg("man")
        .assert()
        .code(0)
        .stdout(predicate::str::contains(".TH amlsec"));
    // Every page a page refers to (`amlsec\-audit(1)`) is written by `man --dir`.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("man");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    amlsec().args(["man", "--dir"]).arg(&dir).assert().code(0);
    let pages: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(pages.len() > 10 && pages.contains(&"amlsec-audit.1".to_string()));
    for page in &pages {
        let text = std::fs::read_to_string(dir.join(page)).unwrap();
        for (at, _) in text.match_indices("(1)") {
            let name: String = text[..at]
                .chars()
                .rev()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '\\')
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<String>()
                .replace("\\-", "-");
            if name.starts_with("amlsec") {
                assert!(
                    pages.contains(&format!("{name}.1")),
                    "{page} refers to {name}(1)"
                );
            }
        }
    }
}

/// Rows of RFC 4180 text: quoted fields may hold commas, doubled quotes and line breaks.
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let (mut rows, mut row, mut field) = (Vec::new(), Vec::new(), String::new());
    let (mut quoted, mut chars) = (false, text.chars().peekable());
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {
                assert_eq!(chars.next(), Some('\n'), "records end in CRLF");
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(
        field.is_empty() && row.is_empty(),
        "the last record ends in CRLF"
    );
    rows
}

#[test]
fn csv_has_a_row_per_workspace_control_and_resource() {
    let text = output(&[
        "audit",
        "--snapshot",
        &example("hub-and-project"),
        "--level",
        "2",
        "--format",
        "csv",
    ]);
    assert!(
        text.starts_with("kind,"),
        "standard output has no byte-order mark: the next program reads the first field"
    );
    let file = Path::new(env!("CARGO_TARGET_TMPDIR")).join("formats/report.csv");
    amlsec()
        .args([
            "audit",
            "--snapshot",
            &example("hub-and-project"),
            "--level",
            "2",
        ])
        .arg("--output")
        .arg(&file)
        .output()
        .unwrap();
    let written = std::fs::read_to_string(&file).unwrap();
    assert_eq!(
        written.strip_prefix('\u{feff}'),
        Some(text.as_str()),
        "a file starts with a UTF-8 byte-order mark for Excel"
    );
    let rows = csv_rows(&text);
    assert!(
        rows.iter().all(|r| r.len() == 18),
        "every record has every column"
    );
    assert_eq!(rows[0][..3], ["kind", "subject", "subject_id"]);
    let report = json_report("hub-and-project", &["--level", "2"]);
    let expected: usize = report["workspaces"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|w| w["results"].as_array().unwrap())
        .map(|r| r["resources"].as_array().unwrap().len().max(1))
        .sum();
    assert_eq!(rows.len() - 1, expected);
    let ns01 = rows.iter().find(|r| r[3] == "AML-NS-01").unwrap();
    assert!(
        ns01[13].contains("properties.publicNetworkAccess = "),
        "{ns01:?}"
    );
}

#[test]
fn an_output_without_a_known_extension_takes_the_format_given() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("formats");
    std::fs::create_dir_all(&dir).unwrap();
    let junit = dir.join("results.junit");
    let plain = dir.join("report-without-extension");
    amlsec()
        .args([
            "audit",
            "--snapshot",
            &example("default-workspace"),
            "--format",
            "junit",
        ])
        .arg("--output")
        .arg(&junit)
        .arg("--output")
        .arg(&plain)
        .assert()
        .code(1);
    for file in [&junit, &plain] {
        let text = std::fs::read_to_string(file).unwrap();
        roxmltree::Document::parse(&text).unwrap();
    }
    amlsec()
        .args([
            "audit",
            "--snapshot",
            &example("default-workspace"),
            "--output",
        ])
        .arg(dir.join("report.data"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot tell the format"));
}

#[test]
fn a_baseline_marks_findings_new_known_and_fixed_and_can_gate_on_new_ones() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("formats");
    std::fs::create_dir_all(&dir).unwrap();
    let before = dir.join("baseline.json");
    amlsec()
        .args([
            "audit",
            "--snapshot",
            &example("default-workspace"),
            "--output",
        ])
        .arg(&before)
        .assert()
        .code(1);
    let baseline = before.to_str().unwrap();

    // The same estate: every failure is known; failing only on new ones passes.
    let same = json_report("default-workspace", &["--baseline", baseline]);
    assert_eq!(same["baseline"]["new"], 0);
    assert!(same["baseline"]["known"].as_u64().unwrap() > 5);
    assert_eq!(same["baseline"]["fixed"], serde_json::json!([]));
    amlsec()
        .args([
            "audit",
            "--snapshot",
            &example("default-workspace"),
            "--baseline",
            baseline,
            "--fail-on-new",
        ])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("in the baseline"));

    // The workspace made private: AML-NS-01 is fixed; a new storage key finding is new.
    let mut docs: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(example("default-workspace")).unwrap())
            .unwrap();
    for d in docs.iter_mut() {
        let id = d["id"].as_str().unwrap().to_string();
        if id.ends_with("/workspaces/mlw-quickstart") {
            d["properties"]["publicNetworkAccess"] = serde_json::json!("Disabled");
        }
    }
    let changed = scratch("changed.json", &Value::from(docs).to_string());
    let out = amlsec()
        .args(["audit", "--format", "json", "--snapshot"])
        .arg(&changed)
        .args(["--baseline", baseline])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let fixed = report["baseline"]["fixed"].as_array().unwrap();
    assert!(
        fixed.iter().any(|f| f["control"] == "AML-NS-01"),
        "{fixed:?}"
    );

    // Against an empty baseline every failure is new, and SARIF says so.
    let clean = dir.join("clean.json");
    amlsec()
        .args([
            "audit",
            "--snapshot",
            &example("hardened-workspace"),
            "--output",
        ])
        .arg(&clean)
        .assert()
        .code(0);
    amlsec()
        .args([
            "audit",
            "--snapshot",
            &example("default-workspace"),
            "--fail-on-new",
            "--baseline",
        ])
        .arg(&clean)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("new: AML-"))
        .stderr(predicate::str::contains(" on /subscriptions/"));
    // Every format marks the new ones.
    for (format, mark) in [
        ("table", "NEW since the baseline"),
        ("markdown", "` **new**"),
        ("csv", ",new\r\n"),
        ("html", "new since the baseline"),
    ] {
        let text = output(&[
            "audit",
            "--snapshot",
            &example("default-workspace"),
            "--format",
            format,
            "--baseline",
            clean.to_str().unwrap(),
        ]);
        assert!(text.contains(mark), "{format} marks new findings");
    }
    let sarif: Value = serde_json::from_str(&output(&[
        "audit",
        "--snapshot",
        &example("default-workspace"),
        "--format",
        "sarif",
        "--baseline",
        clean.to_str().unwrap(),
    ]))
    .unwrap();
    assert!(
        sarif["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["baselineState"] == "new")
    );

    let not_a_report = scratch("not-a-report.json", "[1, 2]");
    amlsec()
        .args([
            "audit",
            "--snapshot",
            &example("default-workspace"),
            "--baseline",
        ])
        .arg(&not_a_report)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "not-a-report.json:1:1: not an amlsec JSON report",
        ));
    amlsec()
        .args([
            "audit",
            "--snapshot",
            &example("default-workspace"),
            "--fail-on-new",
        ])
        .assert()
        .code(2);
    // Members a baseline does not use are skipped unbuilt; a subject section of the wrong
    // shape is an error at its place.
    let junk = scratch(
        "junk-baseline.json",
        &format!(
            "{{\"schemaVersion\": 1, \"workspaces\": [], \"junk\": [{}]}}",
            vec!["[]"; 100_000].join(",")
        ),
    );
    amlsec()
        .args([
            "audit",
            "--snapshot",
            &example("default-workspace"),
            "--baseline",
        ])
        .arg(&junk)
        .assert()
        .code(1);
    let wrong = scratch(
        "wrong-baseline.json",
        "{\"schemaVersion\": 1,\n \"workspaces\": [[]]}",
    );
    amlsec()
        .args([
            "audit",
            "--snapshot",
            &example("default-workspace"),
            "--baseline",
        ])
        .arg(&wrong)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "wrong-baseline.json:2:17: not an amlsec JSON report",
        ));
}

#[test]
fn answers_turn_manual_controls_into_verdicts_with_the_answer_as_evidence() {
    let template = output(&["answers", "template"]);
    let manual = template.matches("- control: ").count();
    assert_eq!(manual, 21, "every manual control of the baseline");
    assert!(template.contains("# AML-PA-05 · ") && template.contains("#   - "));
    // As written, the template loads and answers nothing.
    let as_written = scratch("answers-template.yaml", &template);
    amlsec()
        .args([
            "audit",
            "--snapshot",
            &example("default-workspace"),
            "--answers",
        ])
        .arg(&as_written)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("answer for").not());

    let today = date_in(0);
    let answers = scratch(
        "answers.yaml",
        &format!(
            "- control: AML-IM-07
  verdict: met
  answer: Conditional Access requires phishing-resistant MFA for all users
  evidence: [https://contoso.example/ca-policy]
  answeredBy: secops@contoso.com
  answeredOn: {today}
  expires: {until}
- control: AML-NS-09
  workspace: '*/workspaces/mlw-quickstart'
  verdict: not met
  answer: The office still reaches the workspace over the internet
  answeredBy: netops@contoso.com
  answeredOn: {today}
  expires: {until}
- control: AML-PA-05
  verdict: partly
  answer: PIM for Owner only
  answeredBy: iam@contoso.com
  answeredOn: {today}
  expires: {until}
- control: AML-NS-10
  workspace: '*/workspaces/some-other-workspace'
  verdict: met
  answer: not this one
  answeredBy: x@contoso.com
  answeredOn: {today}
  expires: {until}
",
            until = date_in(30)
        ),
    );
    let report = json_report(
        "default-workspace",
        &["--answers", answers.to_str().unwrap()],
    );
    assert_eq!(status(&report, "AML-IM-07"), "pass");
    assert_eq!(status(&report, "AML-NS-09"), "fail");
    assert_eq!(status(&report, "AML-PA-05"), "manual");
    assert_eq!(
        status(&report, "AML-NS-10"),
        "manual",
        "another workspace's answer"
    );
    let ns09 = report["workspaces"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["control"] == "AML-NS-09")
        .unwrap();
    assert_eq!(ns09["answer"]["answeredBy"], "netops@contoso.com");
    assert_eq!(
        ns09["resources"][0]["evidence"][0]["actual"],
        "The office still reaches the workspace over the internet"
    );
    // The table shows the answer as a finding.
    let table = output(&[
        "audit",
        "--snapshot",
        &example("default-workspace"),
        "--answers",
        answers.to_str().unwrap(),
    ]);
    assert!(
        table.contains("answer = The office still reaches"),
        "{table}"
    );

    for (name, text, expected) in [
        (
            "unknown.yaml",
            "- control: AML-XX-01\n  verdict: met\n  answer: a\n  answeredBy: b\n  answeredOn: 2026-01-01\n  expires: 2026-06-01\n",
            "unknown.yaml:1:12: answer for AML-XX-01: no such control",
        ),
        (
            "automated.yaml",
            "- control: AML-NS-01\n  verdict: met\n  answer: a\n  answeredBy: b\n  answeredOn: 2026-01-01\n  expires: 2026-06-01\n",
            "an automated control is judged from Azure",
        ),
        (
            "bad-verdict.yaml",
            "- control: AML-NS-09\n  verdict: yes\n  answer: a\n  answeredBy: b\n  answeredOn: 2026-01-01\n  expires: 2026-06-01\n",
            "bad-verdict.yaml:2:12:",
        ),
        (
            "conflict.yaml",
            "- control: AML-NS-09\n  verdict: met\n  answer: a\n  answeredBy: b\n  answeredOn: 2026-01-01\n  expires: 2026-06-01\n- control: AML-NS-09\n  workspace: '*/mlw-quickstart'\n  verdict: not met\n  answer: c\n  answeredBy: d\n  answeredOn: 2026-01-01\n  expires: 2026-06-01\n",
            "conflict.yaml:7:3: answer for AML-NS-09 says not met, but ",
        ),
        (
            "number.yaml",
            "- control: AML-NS-09\n  verdict: met\n  answer: 5\n  answeredBy: b\n  answeredOn: 2026-01-01\n  expires: 2026-06-01\n",
            "invalid type: integer `5`, expected text",
        ),
        (
            "bad-date.yaml",
            "- control: AML-NS-09\n  verdict: met\n  answer: a\n  answeredBy: b\n  answeredOn: 2026-13-01\n  expires: 2026-06-01\n",
            "bad-date.yaml:5:15: answeredOn \"2026-13-01\" is not a date",
        ),
    ] {
        let file = scratch(name, text);
        amlsec()
            .args([
                "audit",
                "--snapshot",
                &example("default-workspace"),
                "--answers",
            ])
            .arg(&file)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(expected));
    }

    let expired = scratch(
        "expired.yaml",
        &format!(
            "- control: AML-IM-07\n  verdict: met\n  answer: a\n  answeredBy: b\n  answeredOn: {}\n  expires: {}\n",
            date_in(-40),
            date_in(-1)
        ),
    );
    let out = amlsec()
        .args([
            "audit",
            "--format",
            "json",
            "--snapshot",
            &example("default-workspace"),
            "--answers",
        ])
        .arg(&expired)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("the answer for AML-IM-07 expired on"));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status(&report, "AML-IM-07"), "manual");
}

#[test]
fn text_from_the_estate_is_shown_not_obeyed_in_the_terminal_and_markdown() {
    // A tag value and the workspace's location carry a terminal escape (retitle, clear the
    // screen), a carriage return, and Markdown that would be a link and an image.
    let hostile = "\u{1b}]0;pwned\u{7}\u{1b}[2J\rx [click](https://evil.example) ![i](https://evil.example/i.png)";
    let mut docs: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join(example("default-workspace")),
        )
        .unwrap(),
    )
    .unwrap();
    for doc in docs.as_array_mut().unwrap() {
        if doc["type"]
            .as_str()
            .is_some_and(|t| t.eq_ignore_ascii_case("Microsoft.MachineLearningServices/workspaces"))
        {
            doc["properties"]["publicNetworkAccess"] = Value::String(hostile.into());
        }
    }
    let snapshot = scratch("hostile-text.json", &docs.to_string());
    let snapshot = snapshot.to_str().unwrap();
    let table = output(&[
        "audit",
        "--snapshot",
        snapshot,
        "--color",
        "never",
        "--level",
        "2",
    ]);
    assert!(table.contains("\\u{1b}]0;pwned\\u{7}"), "{table}");
    assert!(!table.contains('\u{1b}') && !table.contains('\r') && !table.contains('\u{7}'));
    let md = output(&[
        "audit",
        "--snapshot",
        snapshot,
        "--format",
        "markdown",
        "--level",
        "2",
    ]);
    assert!(!md.contains('\u{1b}') && !md.contains('\r'));
    // Evidence is a code span, where Markdown makes no link or image.
    assert!(
        md.contains("= `\\u{1b}]0;pwned\\u{7}\\u{1b}[2J\\u{d}x [click]"),
        "{md}"
    );
}

#[test]
fn sarif_keeps_a_finding_open_when_its_control_cannot_be_judged() {
    // The quick-create compute fails AML-IM-01; then its own read fails (a lost role): the
    // result is still there, with the same fingerprint, as `review`, so the alert stays open.
    let fingerprints = |snapshot: &str| -> Vec<(String, String, String)> {
        let sarif: Value = serde_json::from_str(&output(&[
            "audit",
            "--snapshot",
            snapshot,
            "--format",
            "sarif",
            "--control",
            "AML-IM-01",
        ]))
        .unwrap();
        sarif["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["partialFingerprints"]["amlsecFinding/v1"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                    r["kind"].as_str().unwrap_or("fail").to_string(),
                    r["level"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let before = fingerprints(&example("default-workspace"));
    let mut docs: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join(example("default-workspace")),
        )
        .unwrap(),
    )
    .unwrap();
    let compute = docs
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|d| {
            d["id"]
                .as_str()
                .is_some_and(|i| i.ends_with("/computes/ci-bob"))
        })
        .unwrap();
    compute["properties"]
        .as_object_mut()
        .unwrap()
        .remove("properties");
    let id = compute["id"].clone();
    let snapshot = json!({"schema": "amlsec-snapshot/1", "documents": docs, "errors": [{"path": id, "status": 403, "code": "AuthorizationFailed"}]});
    let file = scratch("lost-role.json", &snapshot.to_string());
    let after = fingerprints(file.to_str().unwrap());
    assert_eq!(before.len(), after.len(), "{before:?} / {after:?}");
    let reviewed: Vec<_> = after
        .iter()
        .filter(|(_, kind, _)| kind == "review")
        .collect();
    assert_eq!(reviewed.len(), 1, "{after:?}");
    assert_eq!(reviewed[0].2, "none");
    assert!(
        before.iter().any(|(f, _, _)| *f == reviewed[0].0),
        "same fingerprint"
    );
}

#[test]
fn json_carries_the_filled_in_fix_and_the_docs_url() {
    let report = json_report("default-workspace", &[]);
    let dp06 = report["workspaces"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["control"] == "AML-DP-06")
        .unwrap();
    assert_eq!(
        dp06["fixes"][0]["command"],
        "az storage account update -g rg-ml-sandbox -n stquickstart --https-only true --min-tls-version TLS1_2"
    );
    assert!(
        dp06["fixes"][0]["resource"]
            .as_str()
            .unwrap()
            .ends_with("/storageAccounts/stquickstart")
    );
    assert!(
        dp06["docs"]
            .as_str()
            .unwrap()
            .starts_with("https://learn.microsoft.com/")
    );
}
