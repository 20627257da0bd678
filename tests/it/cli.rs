//! The binary end to end: exit codes, output formats, and a clear exit-2 error for every bad
//! input the core issue names.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use assert_cmd::cargo::cargo_bin_cmd;
use predicates::prelude::*;
use serde_json::{Value, json};

use crate::common::golden;

const HARDENED: &str = "examples/hardened-workspace.json";
const DEFAULT: &str = "examples/default-workspace.json";
const HUB: &str = "examples/hub-and-project.json";
const FOUNDRY: &str = "examples/foundry-exposed.json";

fn amlsec() -> Command {
    let mut cmd = cargo_bin_cmd!("amlsec");
    // The table wraps at COLUMNS; pin it so a developer's shell cannot change a golden file.
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .env("COLUMNS", "100");
    cmd
}

/// A scratch file under the target directory.
fn scratch(name: &str, content: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

fn json_report(args: &[&str]) -> Value {
    let out = amlsec()
        .args(["audit", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)))
}

fn status_of(report: &Value, workspace: usize, control: &str) -> String {
    report["workspaces"][workspace]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["control"] == control)
        .unwrap_or_else(|| panic!("no {control}"))["status"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Asserts an input error: exit 2, nothing on stdout, a message that contains `expected`.
fn rejects(args: &[&str], expected: &str) {
    amlsec()
        .args(args)
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(expected));
}

#[test]
fn json_reports_match_the_golden_files() {
    for example in [HARDENED, DEFAULT, HUB, FOUNDRY] {
        let mut report = json_report(&["--snapshot", example, "--level", "2"]);
        report["generatedAt"] = json!("<generatedAt>");
        report["stats"]["durationMs"] = json!(0);
        let text = serde_json::to_string_pretty(&report).unwrap() + "\n";
        let stem = Path::new(example).file_stem().unwrap().to_str().unwrap();
        golden::assert_golden(&format!("{stem}.level2.json"), &text);
    }
}

#[test]
fn json_output_is_deterministic() {
    let strip = |mut r: Value| {
        r["generatedAt"] = Value::Null;
        r["stats"] = Value::Null;
        r
    };
    assert_eq!(
        strip(json_report(&["--snapshot", HUB])),
        strip(json_report(&["--snapshot", HUB]))
    );
}

#[test]
fn exit_codes() {
    amlsec()
        .args(["audit", "--snapshot", HARDENED, "--level", "2"])
        .assert()
        .code(0);
    amlsec()
        .args(["audit", "--snapshot", DEFAULT])
        .assert()
        .code(1);
    // The quick-create workspace fails high-severity controls, but none is critical.
    amlsec()
        .args(["audit", "--snapshot", DEFAULT, "--fail-on", "critical"])
        .assert()
        .code(0);
    amlsec()
        .args(["audit", "--snapshot", DEFAULT, "--fail-on", "high"])
        .assert()
        .code(1);
}

/// The hardened example as `amlsec collect` would write it, with some reads failed.
fn with_failures(errors: Value) -> PathBuf {
    let docs: Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(HARDENED)).unwrap(),
    )
    .unwrap();
    let snapshot = json!({"schema": "amlsec-snapshot/1", "collectedAt": "2026-11-26T00:00:00Z", "documents": docs, "errors": errors});
    let name = format!(
        "failures-{:x}.json",
        errors.to_string().len() * 31 + errors.to_string().bytes().map(usize::from).sum::<usize>()
    );
    scratch(&name, &snapshot.to_string())
}

#[test]
fn a_failed_read_marks_only_the_controls_that_need_it() {
    let ws = "/subscriptions/5b1c8a3e-0d4f-4c7e-9a61-2f3e4d5c6b7a/resourceGroups/rg-ml-prod/providers/Microsoft.MachineLearningServices/workspaces/mlw-hardened";
    let file = with_failures(
        json!([{"path": format!("{ws}/providers/Microsoft.Authorization/roleAssignments?$filter=atScope()&api-version=2022-04-01"),
        "status": 403, "code": "AuthorizationFailed", "message": "no access", "requestId": "req-1"}]),
    );
    let path = file.to_str().unwrap();
    amlsec()
        .args(["audit", "--snapshot", path])
        .assert()
        .code(3);
    let report = json_report(&["--snapshot", path]);
    assert_eq!(status_of(&report, 0, "AML-PA-01"), "error");
    assert_eq!(status_of(&report, 0, "AML-PA-02"), "error");
    assert_eq!(status_of(&report, 0, "AML-PA-04"), "pass");
    assert_eq!(status_of(&report, 0, "AML-NS-01"), "pass");
    let message = report["workspaces"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["control"] == "AML-PA-01")
        .unwrap()["message"]
        .clone();
    assert!(
        message
            .as_str()
            .unwrap()
            .contains("HTTP 403 AuthorizationFailed no access (x-ms-request-id req-1)"),
        "{message}"
    );
    // A failing control outranks an incomplete audit.
    let both = with_failures(json!([{"path": format!("{ws}/computes"), "status": 500}]));
    let report = json_report(&["--snapshot", both.to_str().unwrap()]);
    assert_eq!(status_of(&report, 0, "AML-NS-25"), "error");
}

#[test]
fn an_unreadable_workspace_is_reported_and_exits_3() {
    let ws = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/gone";
    let file = scratch("unreadable.json", &json!({"schema": "amlsec-snapshot/1", "documents": [],
        "errors": [{"path": ws, "status": 404, "code": "ResourceNotFound", "message": "not found"}]}).to_string());
    amlsec().env("COLUMNS", "240").args(["audit", "--snapshot", file.to_str().unwrap()]).assert().code(3)
        .stdout(predicate::str::contains("could not be read: GET /subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/gone failed: HTTP 404 ResourceNotFound"));
}

#[test]
fn hub_and_project_are_audited_separately() {
    let report = json_report(&["--snapshot", HUB]);
    let names: Vec<&str> = report["workspaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["mlw-hub", "proj-fraud"]);
    // The hub's lock does not protect the project.
    assert_eq!(status_of(&report, 0, "AML-BR-06"), "pass");
    assert_eq!(status_of(&report, 1, "AML-BR-06"), "fail");
    // Workspace-derived controls judge the hub for the project.
    assert_eq!(status_of(&report, 1, "AML-NS-02"), "pass");
    let one = json_report(&["--snapshot", HUB, "--workspace", "proj-fraud"]);
    assert_eq!(one["workspaces"].as_array().unwrap().len(), 1);
}

#[test]
fn the_table_goes_to_stdout_while_json_goes_to_a_file() {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli/report.json");
    let _ = std::fs::remove_file(&out);
    amlsec()
        .args([
            "audit",
            "--snapshot",
            DEFAULT,
            "--output",
            out.to_str().unwrap(),
        ])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("mlw-quickstart · eastus"))
        .stdout(predicate::str::contains("controls fail, most severe first"))
        .stdout(predicate::str::contains(
            "manual controls need a person's answer",
        ))
        .stdout(predicate::str::contains("\u{1b}[").not());
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(written["schemaVersion"], 1);
    let txt = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli/report.out");
    amlsec()
        .args([
            "audit",
            "--snapshot",
            DEFAULT,
            "--format",
            "json",
            "--output",
            &format!("table:{}", txt.display()),
        ])
        .assert()
        .code(1);
    assert!(
        std::fs::read_to_string(&txt)
            .unwrap()
            .contains("most severe first")
    );
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    amlsec()
        .args(["audit", "--snapshot", DEFAULT, "--color", "always"])
        .assert()
        .stdout(predicate::str::contains("\u{1b}["));
    amlsec()
        .args(["audit", "--snapshot", DEFAULT])
        .env("NO_COLOR", "1")
        .assert()
        .stdout(predicate::str::contains("\u{1b}[").not());
}

#[test]
fn snapshots_can_come_from_stdin() {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(HARDENED)).unwrap();
    amlsec()
        .args(["audit", "--snapshot", "-", "--control", "AML-NS-01"])
        .write_stdin(text)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("1 pass"));
}

#[test]
fn level_category_and_control_select_controls() {
    let report = json_report(&[
        "--snapshot",
        HARDENED,
        "--category",
        "network,identity",
        "--control",
        "AML-NS-01",
        "--control",
        "AML-IM-06",
    ]);
    let ids: Vec<&str> = report["workspaces"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["control"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["AML-NS-01"], "AML-IM-06 is level 2");
    let report = json_report(&[
        "--snapshot",
        HARDENED,
        "--level",
        "2",
        "--control",
        "AML-IM-06",
    ]);
    assert_eq!(report["level"], 2);
    assert_eq!(status_of(&report, 0, "AML-IM-06"), "pass");
}

#[test]
fn custom_rules_and_parameters() {
    let rule = scratch(
        "custom.yaml",
        "category: identity
controls:
  - id: CORP-01
    title: Workspace has a cost centre tag
    severity: medium
    level: 1
    mode: automated
    target: workspace
    pass: {field: tags.costCenter, nonEmpty: true}
    remediation: az resource tag --ids <workspaceId> --tags costCenter=<id> --is-incremental
",
    );
    let report = json_report(&[
        "--snapshot",
        HARDENED,
        "--rules",
        rule.to_str().unwrap(),
        "--control",
        "CORP-01",
    ]);
    assert_eq!(status_of(&report, 0, "CORP-01"), "fail");
    let only = json_report(&[
        "--snapshot",
        HARDENED,
        "--rules",
        rule.to_str().unwrap(),
        "--no-builtin-rules",
    ]);
    assert_eq!(
        only["workspaces"][0]["results"].as_array().unwrap().len(),
        1
    );
    let report = json_report(&[
        "--snapshot",
        HARDENED,
        "--control",
        "AML-AM-03",
        "--param",
        "owner_tag_keys=[owner, costCenter]",
    ]);
    assert_eq!(status_of(&report, 0, "AML-AM-03"), "fail");
    let replaced = scratch("replace.yaml", "category: network
controls:
  - {id: AML-NS-01, title: mine, severity: low, level: 1, mode: manual, target: workspace, guidance: ask}
");
    amlsec()
        .args([
            "audit",
            "--snapshot",
            HARDENED,
            "--rules",
            replaced.to_str().unwrap(),
            "--control",
            "AML-NS-01",
        ])
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "replaces built-in control AML-NS-01",
        ));
}

#[test]
fn bad_rule_files_are_located() {
    let good = "category: network\ncontrols:\n  - id: X-01\n    title: t\n    severity: high\n    level: 1\n    mode: automated\n    target: workspace\n    pass: {field: properties.publicNetworkAccess, equals: Disabled}\n    remediation: r\n";
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "malformed.yaml",
            "category: network\ncontrols: [\n".into(),
            "malformed.yaml:",
        ),
        (
            "unknown-key.yaml",
            good.replace("    severity: high", "    severty: high"),
            "unknown-key.yaml:5:5: unknown field `severty`",
        ),
        (
            "unknown-target.yaml",
            good.replace("target: workspace", "target: vm"),
            "unknown-target.yaml:8:13: X-01: unknown target `vm`",
        ),
        (
            "bad-path.yaml",
            good.replace(
                "field: properties.publicNetworkAccess",
                "field: 'properties..x'",
            ),
            "bad-path.yaml:9:11: X-01: empty segment",
        ),
        (
            "bad-regex.yaml",
            good.replace("equals: Disabled", "match: '(open'"),
            "bad-regex.yaml:9:11: X-01: invalid regex",
        ),
        (
            "manual-with-pass.yaml",
            good.replace("mode: automated", "mode: manual\n    guidance: g"),
            "manual-with-pass.yaml:10:11: X-01: a manual control has no `applies` or `pass`",
        ),
        (
            "automated-without.yaml",
            good.replace(
                "    pass: {field: properties.publicNetworkAccess, equals: Disabled}\n",
                "",
            ),
            "automated-without.yaml:3:5: X-01: an automated control needs a `pass` condition",
        ),
    ];
    for (name, text, expected) in cases {
        let path = scratch(name, &text);
        rejects(
            &[
                "audit",
                "--snapshot",
                HARDENED,
                "--rules",
                path.to_str().unwrap(),
            ],
            expected,
        );
        rejects(&["rules", "validate", path.to_str().unwrap()], expected);
    }
    let a = scratch("dup-a.yaml", good);
    let b = scratch("dup-b.yaml", good);
    rejects(
        &[
            "rules",
            "validate",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
        ],
        "dup-b.yaml:3:5: duplicate control id X-01 (first defined at",
    );
    amlsec()
        .args(["rules", "validate", a.to_str().unwrap()])
        .assert()
        .code(0)
        .stdout("ok: 1 controls in 1 file\n");
}

#[test]
fn bad_snapshots_are_located() {
    let cases = [
        (
            "not-json.json",
            "[{\"id\": \"/a\",]",
            "not-json.json:1:14: not valid JSON",
        ),
        ("empty.json", "", "empty.json: the snapshot is empty"),
        (
            "no-id.json",
            "[\n  {\"name\": \"ws\"}\n]",
            "no-id.json:2:3: document has no `id`",
        ),
        ("scalar.json", "\"text\"", "scalar.json:1:1: a JSON string"),
    ];
    for (name, text, expected) in cases {
        let path = scratch(name, text);
        rejects(&["audit", "--snapshot", path.to_str().unwrap()], expected);
    }
    rejects(
        &["audit", "--snapshot", "does/not/exist.json"],
        "cannot read does/not/exist.json",
    );
    rejects(
        &["audit", "--snapshot", HARDENED, "--workspace", "nope"],
        "--workspace nope: the snapshot has no such workspace; it has: mlw-hardened",
    );
}

#[test]
fn conflicting_or_invalid_flags_are_usage_errors() {
    rejects(
        &["audit", "--snapshot", HARDENED, "--no-builtin-rules"],
        "--rules",
    );
    rejects(
        &["audit", "--snapshot", HARDENED, "--level", "3"],
        "3 is not in 1..=2",
    );
    rejects(
        &["audit", "--snapshot", HARDENED, "--format", "xml"],
        "invalid value 'xml'",
    );
    rejects(
        &["audit", "--snapshot", HARDENED, "--output", "report.xyz"],
        "cannot tell the format",
    );
    rejects(
        &["audit", "--snapshot", HARDENED, "--category", "nope"],
        "--category nope matches no control",
    );
    rejects(
        &["audit", "--snapshot", HARDENED, "--param", "nope=1"],
        "unknown parameter",
    );
    rejects(
        &["audit", "--workspace", "x"],
        "--workspace x: give the full ARM id, or add --resource-group",
    );
}

/// `rules list` wraps to the terminal: no line is wider than COLUMNS, and wide terminals get
/// the category and target columns too.
#[test]
fn rules_list_fits_the_terminal_width() {
    for (columns, wide) in [(80, false), (100, false), (120, true), (200, true)] {
        let out = amlsec()
            .env("COLUMNS", columns.to_string())
            .args(["rules", "list"])
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        let widest = text.lines().map(|l| l.chars().count()).max().unwrap();
        assert!(widest <= columns, "{widest} > {columns}");
        assert_eq!(text.contains("Category"), wide, "at {columns} columns");
        assert!(text.contains("AML-NS-01") && text.contains("Title"));
    }
}

/// `--status` chooses which controls the table lists; the summary line still counts them all.
#[test]
fn status_chooses_what_the_table_lists() {
    let table = |statuses: &str| {
        let out = amlsec()
            .args(["audit", "--snapshot", DEFAULT, "--color", "never"])
            .args(["--status", statuses])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let fail = table("fail");
    assert!(fail.contains("35 controls fail, most severe first"));
    assert!(!fail.contains("manual controls need") && !fail.contains("controls pass"));
    let others = table("pass,not_applicable");
    assert!(others.contains("4 controls pass:") && others.contains("16 controls do not apply:"));
    assert!(!others.contains("most severe first"));
    assert!(others.contains("score 10.3% (4 pass, 35 fail)"));
    amlsec()
        .args(["audit", "--snapshot", DEFAULT, "--status", "passed"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "possible values: fail, waived, error",
        ));
}

#[test]
fn rules_list_show_and_validate() {
    amlsec()
        .args(["rules", "list"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("AML-NS-01"))
        .stdout(predicate::str::contains("controls"));
    let out = amlsec()
        .args(["rules", "list", "--format", "json", "--category", "backup"])
        .output()
        .unwrap();
    let list: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(list.iter().all(|c| c["category"] == "backup"));
    assert!(list.iter().any(|c| c["mode"] == "manual"));
    amlsec()
        .args(["rules", "show", "aml-ns-01"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "AML-NS-01 · Workspace public network access is disabled",
        ))
        .stdout(predicate::str::contains(
            r#"passes     (properties.publicNetworkAccess == "Disabled" [missing = "Enabled"]"#,
        ));
    rejects(&["rules", "show", "AML-XX-99"], "no control AML-XX-99");
    amlsec()
        .args(["rules", "validate", "rules/"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("ok: "));
}

#[test]
fn help_has_examples() {
    amlsec()
        .args(["audit", "--help"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("Examples:"))
        .stdout(predicate::str::contains("Exit codes"));
    amlsec()
        .arg("--version")
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with("amlsec "));
}

#[test]
fn settings_follow_the_cloud_offline_and_take_overrides() {
    let ns04 = |extra: &[&str]| {
        let mut args = vec!["--snapshot", HARDENED, "--control", "AML-NS-04"];
        args.extend_from_slice(extra);
        status_of(&json_report(&args), 0, "AML-NS-04")
    };
    assert_eq!(ns04(&[]), "pass");
    assert_eq!(ns04(&["--cloud", "usgov"]), "fail", "US Gov zone names");
    assert_eq!(
        ns04(&[
            "--cloud",
            "usgov",
            "--setting",
            "aml_private_dns_zones=[privatelink.api.azureml.ms]"
        ]),
        "pass"
    );
    // Settings do not come from rule files: the network rules alone give the same verdict.
    assert_eq!(
        ns04(&["--no-builtin-rules", "--rules", "rules/network.yaml"]),
        "pass"
    );
    rejects(
        &[
            "audit",
            "--snapshot",
            HARDENED,
            "--setting",
            "dns_zones=[x]",
        ],
        "--setting dns_zones: unknown setting; settings: aml_private_dns_zones, sql_host_suffixes",
    );
}

#[test]
fn rule_paths_are_checked_against_the_arm_catalogue_and_the_graph_facts() {
    let rule = |name: &str, target: &str, extra: &str, pass: &str| {
        scratch(
            name,
            &format!(
                "category: network\ncontrols:\n  - id: MY-01\n    title: t\n    severity: high\n    level: 1\n    mode: automated\n    target: {target}\n{extra}    pass: {pass}\n    remediation: r\n"
            ),
        )
    };
    let typo = rule(
        "typo.yaml",
        "workspace",
        "",
        "{field: properties.publicNetworkAcess, equals: Disabled}",
    );
    rejects(
        &["rules", "validate", typo.to_str().unwrap()],
        "typo.yaml:9:11: MY-01: `publicNetworkAcess` in `properties.publicNetworkAcess` is not a property of Microsoft.MachineLearningServices/workspaces@2025-12-01; did you mean `publicNetworkAccess`?",
    );
    // The misspelt rule would otherwise have passed on a public workspace.
    rejects(
        &[
            "audit",
            "--snapshot",
            DEFAULT,
            "--rules",
            typo.to_str().unwrap(),
        ],
        "did you mean `publicNetworkAccess`?",
    );
    let fact = rule(
        "fact.yaml",
        "storage",
        "",
        "{field: amlsec.nonEmptyTagKeys, exists: true}",
    );
    rejects(
        &["rules", "validate", fact.to_str().unwrap()],
        "`amlsec.nonEmptyTagKeys` is not a fact of the storage target; its facts: none",
    );
    let inside_count = rule(
        "count.yaml",
        "role-assignment",
        "",
        "{count: {field: 'value[*]', where: {field: properties.principalTyp, equals: User}}, equals: 0}",
    );
    rejects(
        &["rules", "validate", inside_count.to_str().unwrap()],
        "did you mean `principalType`?",
    );
    let preview = rule(
        "preview.yaml",
        "storage",
        "    uncatalogued: [properties.previewSetting]\n",
        "{field: properties.previewSetting, equals: 'on'}",
    );
    amlsec()
        .args(["rules", "validate", preview.to_str().unwrap()])
        .assert()
        .success();
}

#[test]
fn rules_targets_lists_the_link_graph() {
    let out = amlsec().args(["rules", "targets"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for expected in [
        "private-dns-zone",
        "Microsoft.Network/privateDnsZones@2024-06-01",
        "privateEndpointVnetIds",
        "defender-pricing(PLAN)",
    ] {
        assert!(text.contains(expected), "{expected}");
    }
    // Fits the terminal (COLUMNS=100 here) but for single names that cannot be broken.
    for line in text.lines() {
        assert!(
            line.chars().count() <= 100 || !line.trim().contains(' '),
            "wider than 100: {line}"
        );
    }
}

#[test]
fn severity_and_skip_narrow_the_run_and_unknown_skips_are_errors() {
    let report = json_report(&[
        "--snapshot",
        DEFAULT,
        "--severity",
        "high",
        "--skip-control",
        "AML-NS-2*,AML-PA-01",
    ]);
    let results = report["workspaces"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    assert!(
        results
            .iter()
            .all(|r| r["severity"] == "high" || r["severity"] == "critical")
    );
    assert!(results.iter().all(|r| {
        let id = r["control"].as_str().unwrap();
        !id.starts_with("AML-NS-2") && id != "AML-PA-01"
    }));
    rejects(
        &["audit", "--snapshot", DEFAULT, "--skip-control", "AML-XX-*"],
        "--skip-control AML-XX-* matches no control",
    );
}

#[test]
fn a_settings_file_is_read_from_the_working_directory_and_flags_override_it() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("config-dir");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let snapshot = Path::new(env!("CARGO_MANIFEST_DIR")).join(DEFAULT);
    let run = |args: &[&str]| {
        let mut cmd = cargo_bin_cmd!("amlsec");
        cmd.current_dir(&dir)
            .env_remove("NO_COLOR")
            .args(["audit", "--snapshot"])
            .arg(&snapshot)
            .args(args);
        cmd
    };
    // amlsec init writes a template that loads as it is, and is not written over by accident.
    let mut init = cargo_bin_cmd!("amlsec");
    init.current_dir(&dir).arg("init").assert().success();
    run(&["--format", "json"]).assert().code(1);
    let mut again = cargo_bin_cmd!("amlsec");
    again
        .current_dir(&dir)
        .arg("init")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("amlsec.yaml exists"));

    std::fs::write(
        dir.join("amlsec.yaml"),
        "level: 2\nskip: [AML-NS-01]\nfail-on: critical\nformat: json\noutputs: [out/report.json]\ncompliance: cis\n",
    )
    .unwrap();
    // The outputs' folder is made when missing, as `amlsec init` suggests `reports/...`.
    let _ = std::fs::remove_dir_all(dir.join("out"));
    let out = run(&[]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "fail-on critical from the file");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = report["workspaces"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["control"].as_str().unwrap())
        .collect();
    assert!(
        !ids.contains(&"AML-NS-01") && ids.contains(&"AML-DP-01"),
        "skip and level 2"
    );
    assert!(
        dir.join("out/report.json").is_file(),
        "outputs relative to the file"
    );
    assert_eq!(report["compliance"]["framework"], "cis");

    // Flags win.
    let out = run(&[
        "--level",
        "1",
        "--skip-control",
        "AML-NS-02",
        "--fail-on",
        "low",
    ])
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = report["workspaces"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["control"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"AML-NS-01") && !ids.contains(&"AML-NS-02") && !ids.contains(&"AML-DP-01")
    );
    let out = run(&["--compliance", "nist"]).output().unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["compliance"]["framework"], "nist", "the flag wins");

    std::fs::write(dir.join("bad.yaml"), "level: 2\nfail-on: hihg\n").unwrap();
    run(&["--config", "bad.yaml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad.yaml:2:10:"));
}

/// Built with `--no-default-features`, a live audit is refused with the reason, not run empty.
#[cfg(not(feature = "live"))]
#[test]
fn without_the_live_feature_a_live_audit_is_refused_with_the_reason() {
    amlsec()
        .env("AMLSEC_ACCESS_TOKEN", "unused")
        .args([
            "audit",
            "--subscription",
            "5b1c8a3e-0d4f-4c7e-9a61-2f3e4d5c6b7a",
        ])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("built without the `live` feature"));
}

/// `--registry` picks registries (id or unique name) of a snapshot and is checked live;
/// `--no-registries` is about discovery in Azure, so it does not go with a snapshot.
#[test]
fn registries_are_picked_and_their_flags_checked() {
    let out = amlsec()
        .args([
            "audit",
            "--snapshot",
            DEFAULT,
            "--registry",
            "mlreg-sandbox",
        ])
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["workspaces"], serde_json::json!([]));
    assert_eq!(report["registries"][0]["name"], "mlreg-sandbox");
    amlsec()
        .args(["audit", "--snapshot", DEFAULT, "--registry", "nope"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--registry nope: the snapshot has no such registry; it has: mlreg-sandbox",
        ));
    amlsec()
        .args(["audit", "--snapshot", DEFAULT, "--no-registries"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--no-registries limits discovery"));
    amlsec()
        .args(["audit", "--registry", "/subscriptions/s/resourceGroups/rg"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not an AML registry id"));
    // A workspace picked alone leaves the registries out.
    let out = amlsec()
        .args([
            "audit",
            "--snapshot",
            DEFAULT,
            "--workspace",
            "mlw-quickstart",
        ])
        .args(["--format", "json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["registries"], serde_json::json!([]));
}

/// `--explain ID` prints the control's full text; completions offer control ids and
/// categories without refusing ids that user rules add.
#[test]
fn explain_prints_a_control_and_completions_offer_ids() {
    amlsec()
        .args(["audit", "--explain", "aml-ns-30"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "AML-NS-30 · Managed online endpoints are not reachable from public networks",
        ))
        .stdout(predicate::str::contains("concept-secure-online-endpoint"));
    amlsec()
        .args(["audit", "--explain", "AML-XX-99"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--explain AML-XX-99: no such control",
        ));
    let bash = amlsec().args(["completions", "bash"]).output().unwrap();
    let script = String::from_utf8_lossy(&bash.stdout);
    assert!(script.contains("AML-NS-30") && script.contains("privileged-access"));
    // A user's own control id is not refused by the flag itself.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("explain");
    std::fs::create_dir_all(&dir).unwrap();
    let rule = dir.join("mine.yaml");
    std::fs::write(
        &rule,
        "category: network\ncontrols:\n  - id: ORG-NS-01\n    title: t\n    severity: high\n    level: 1\n    mode: automated\n    target: workspace\n    pass: {field: properties.publicNetworkAccess, equals: Disabled}\n    evidence: [{path: properties.publicNetworkAccess}]\n    remediation: r\n",
    )
    .unwrap();
    amlsec()
        .args([
            "audit",
            "--snapshot",
            DEFAULT,
            "--rules",
            rule.to_str().unwrap(),
        ])
        .args(["--control", "ORG-NS-01"])
        .assert()
        .code(1);
}

#[test]
fn severities_and_statuses_are_read_as_people_write_them() {
    let severities = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["--snapshot", DEFAULT, "--level", "2"];
        all.extend_from_slice(args);
        let report = json_report(&all);
        let mut found: Vec<String> = report["workspaces"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["severity"].as_str().unwrap().to_string())
            .collect();
        found.sort();
        found.dedup();
        found
    };
    assert_eq!(severities(&["--severity", "HIGH"]), ["high"]);
    assert_eq!(severities(&["--severity", "medium"]), ["high", "medium"]);
    assert_eq!(
        severities(&["--severity", "high,LOW"]),
        ["high", "low"],
        "several: exactly those"
    );
    amlsec()
        .args(["audit", "--snapshot", DEFAULT, "--status", "FAIL,Error"])
        .assert()
        .code(1);
    amlsec()
        .args(["audit", "--snapshot", DEFAULT, "--fail-on", "High"])
        .assert()
        .code(1);
    // No control is critical today: an answer, not a usage error.
    amlsec()
        .args(["audit", "--snapshot", DEFAULT, "--severity", "critical"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "no control has the severity asked for (critical): nothing to judge",
        ));
}

#[test]
fn an_unreadable_workspace_is_one_error_block_not_one_per_control() {
    let docs: Value = serde_json::from_str(&std::fs::read_to_string(DEFAULT).unwrap()).unwrap();
    let ws_id = "/subscriptions/5b1c8a3e-0d4f-4c7e-9a61-2f3e4d5c6b7a/resourceGroups/rg-ml-sandbox/providers/Microsoft.MachineLearningServices/workspaces/mlw-quickstart";
    let others: Vec<&Value> = docs
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| !d["id"].as_str().unwrap().eq_ignore_ascii_case(ws_id))
        .collect();
    let snapshot = json!({"schema": "amlsec-snapshot/1", "documents": others, "errors": [
        {"path": ws_id, "status": 403, "code": "AuthorizationFailed", "message": "no read access", "requestId": "req-1"}
    ]});
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("unreadable-workspace.json");
    std::fs::write(&file, snapshot.to_string()).unwrap();
    let out = amlsec()
        .args(["audit", "--snapshot", file.to_str().unwrap()])
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        table.matches("req-1").count(),
        1,
        "the cause is said once:\n{table}"
    );
    assert!(table.contains("controls, one cause: the workspace could not be read (above)"));
    assert!(
        table.lines().count() < 120,
        "{} lines",
        table.lines().count()
    );
}

#[test]
fn help_is_wrapped_at_the_terminal_width() {
    let out = cargo_bin_cmd!("amlsec")
        .env("COLUMNS", "80")
        .args(["audit", "--help"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for line in text.lines() {
        assert!(line.chars().count() <= 80, "wider than 80: {line}");
    }
}

#[test]
fn a_hubs_findings_are_shown_once_and_named_for_its_projects() {
    let out = amlsec()
        .args(["audit", "--snapshot", HUB])
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    // The hub's Key Vault fails AML-BR-04 for the hub and its project: one finding.
    assert_eq!(table.matches("  MEDIUM   AML-BR-04").count(), 1, "{table}");
    assert!(table.contains("vaults/kv-hub · shared by 1 more subject"));
    assert!(table.contains("on resources shown above, under the subject they belong to:"));
    // An estate of several subjects ends with one line per failing control.
    let (_, by_control) = table.split_once("By control, across the estate").unwrap();
    assert_eq!(by_control.matches("AML-BR-04").count(), 1);
    assert!(by_control.contains("AML-BR-04 1 resource: vaults/kv-hub"));
    // Markdown too: the shared row once, and the by-control table.
    let out = amlsec()
        .args(["audit", "--snapshot", HUB, "--format", "markdown"])
        .output()
        .unwrap();
    let md = String::from_utf8_lossy(&out.stdout);
    let (per_subject, by_control) = md.split_once("### By control, across the estate").unwrap();
    assert_eq!(per_subject.matches("| **AML-BR-04**").count(), 1, "{md}");
    assert!(per_subject.contains("more failing resources are shared with a workspace above"));
    assert!(by_control.contains("| **AML-BR-04**"));
    let out = amlsec()
        .args(["audit", "--snapshot", HUB, "--format", "html"])
        .output()
        .unwrap();
    let html = String::from_utf8_lossy(&out.stdout);
    assert!(html.contains("<h2>By control, across the estate</h2>"));
    assert!(html.contains("<tr><td><b>AML-BR-04</b>"));
}
