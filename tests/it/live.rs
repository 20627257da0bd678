//! The live path end to end against a fake ARM on 127.0.0.1: the same results as offline,
//! paging, retries, failed reads, the token and what is sent, and refused endpoints.

#[path = "../../benches/support/mod.rs"]
#[allow(dead_code)]
mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::fake_arm::{FakeArm, Fault};
use amlsec::source::snapshot;
use assert_cmd::Command;
use assert_cmd::cargo::cargo_bin_cmd;
use predicates::prelude::*;
use serde_json::{Value, json};

const TOKEN: &str = "secret-token-4f1c2a";
const HARDENED_WS: &str = "/subscriptions/5b1c8a3e-0d4f-4c7e-9a61-2f3e4d5c6b7a/resourceGroups/rg-ml-prod/providers/Microsoft.MachineLearningServices/workspaces/mlw-hardened";
const PROD: &str = "/subscriptions/5b1c8a3e-0d4f-4c7e-9a61-2f3e4d5c6b7a/resourceGroups/rg-ml-prod";
/// The hardened example's resource group, as discovery flags.
const PROD_GROUP: [&str; 4] = [
    "--resource-group",
    "rg-ml-prod",
    "--subscription",
    "5b1c8a3e-0d4f-4c7e-9a61-2f3e4d5c6b7a",
];
const HARDENED_REGISTRY: &str = "/subscriptions/5b1c8a3e-0d4f-4c7e-9a61-2f3e4d5c6b7a/resourceGroups/rg-ml-prod/providers/Microsoft.MachineLearningServices/registries/mlreg-shared";

fn example(name: &str) -> String {
    format!("{}/examples/{name}.json", env!("CARGO_MANIFEST_DIR"))
}

fn server(example_name: &str, page_size: usize, faults: Vec<Fault>) -> FakeArm {
    let docs = snapshot::load(
        Path::new(&example(example_name)),
        amlsec::input::SNAPSHOT_LIMIT,
    )
    .unwrap();
    FakeArm::start(docs, page_size, Duration::ZERO, faults)
}

fn amlsec() -> Command {
    let mut cmd = cargo_bin_cmd!("amlsec");
    // A wide table keeps long ids on one line for the assertions below.
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("AMLSEC_ACCESS_TOKEN", TOKEN)
        .env("COLUMNS", "240")
        .env_remove("AZURE_SUBSCRIPTION_ID");
    cmd
}

fn live(fake: &FakeArm, extra: &[&str]) -> std::process::Output {
    amlsec()
        .args([
            "audit",
            "--arm-endpoint",
            &fake.endpoint(),
            "--auth",
            "token",
            "--level",
            "2",
            "--format",
            "json",
        ])
        .args(extra)
        .output()
        .unwrap()
}

/// The parts of a report that must not depend on where the documents came from.
fn results(stdout: &[u8]) -> Value {
    let mut r: Value = serde_json::from_slice(stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(stdout)));
    for key in ["generatedAt", "stats", "source"] {
        r.as_object_mut().unwrap().remove(key);
    }
    r
}

fn offline(example_name: &str, extra: &[&str]) -> Value {
    audit_snapshot(Path::new(&example(example_name)), extra)
}

/// The results of auditing a snapshot file at level 2.
fn audit_snapshot(file: &Path, extra: &[&str]) -> Value {
    let out = amlsec()
        .args(["audit", "--snapshot"])
        .arg(file)
        .args(["--level", "2", "--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    results(&out.stdout)
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

fn message(report: &Value, control: &str) -> String {
    report["workspaces"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["control"] == control)
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn a_live_audit_equals_the_offline_audit_and_reads_only() {
    let fake = server("hardened-workspace", 2, vec![]);
    let out = live(
        &fake,
        &["--workspace", HARDENED_WS, "--registry", HARDENED_REGISTRY],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(results(&out.stdout), offline("hardened-workspace", &[]));
    let seen = fake.seen();
    assert!(seen.iter().all(|s| s.method == "GET"), "only GET is sent");
    assert!(
        seen.iter()
            .all(|s| s.authorization.as_deref() == Some(&format!("Bearer {TOKEN}") as &str))
    );
    assert!(seen.iter().all(|s| {
        s.user_agent
            .as_deref()
            .is_some_and(|u| u.starts_with("amlsec/"))
    }));
    assert!(
        seen.iter().any(|s| s.path_and_query.contains("skiptoken")),
        "lists were paged"
    );
    assert!(
        seen.iter()
            .all(|s| s.path_and_query.contains("api-version="))
    );
    for text in [&out.stdout, &out.stderr] {
        assert!(
            !String::from_utf8_lossy(text).contains(TOKEN),
            "the token never appears in output"
        );
    }
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["source"]["kind"], "live");
    assert_eq!(
        report["stats"]["requests"].as_u64().unwrap() as usize,
        seen.len()
    );
}

#[test]
fn only_the_targets_the_selected_controls_need_are_read() {
    let fake = server("hardened-workspace", 2, vec![]);
    let out = live(
        &fake,
        &["--workspace", HARDENED_WS, "--control", "AML-NS-01"],
    );
    assert_eq!(out.status.code(), Some(0));
    let paths: Vec<String> = fake
        .seen()
        .iter()
        .map(|s| s.path_and_query.split('?').next().unwrap().to_string())
        .collect();
    assert_eq!(paths, [HARDENED_WS], "the workspace and nothing else");

    // A storage control reads the workspace, then the storage account it names.
    let fake = server("hardened-workspace", 2, vec![]);
    let out = live(
        &fake,
        &["--workspace", HARDENED_WS, "--control", "AML-NS-15"],
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(fake.seen().len(), 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("signed in with"), "{stderr}");
}

#[test]
fn verbose_says_which_credential_signed_in() {
    let fake = server("hardened-workspace", 2, vec![]);
    let out = live(
        &fake,
        &["--workspace", HARDENED_WS, "--control", "AML-NS-01", "-v"],
    );
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("amlsec: signed in with token (AMLSEC_ACCESS_TOKEN)"),
        "{stderr}"
    );
}

#[test]
fn collect_writes_a_snapshot_that_audits_identically() {
    let fake = server("hub-and-project", 3, vec![]);
    let file = Path::new(env!("CARGO_TARGET_TMPDIR")).join("collected-hub.json");
    amlsec()
        .args([
            "collect",
            "--resource-group",
            "rg-ml-hub",
            "--subscription",
            "5b1c8a3e-0d4f-4c7e-9a61-2f3e4d5c6b7a",
        ])
        .args([
            "--arm-endpoint",
            &fake.endpoint(),
            "--auth",
            "token",
            "--output",
            file.to_str().unwrap(),
        ])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("2 workspaces"));
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.starts_with("{\"schema\":\"amlsec-snapshot/1\""));
    assert!(!text.contains(TOKEN), "no token in the snapshot");
    let from_file = audit_snapshot(&file, &[]);
    let direct = live(
        &fake,
        &[
            "--resource-group",
            "rg-ml-hub",
            "--subscription",
            "/subscriptions/5b1c8a3e-0d4f-4c7e-9a61-2f3e4d5c6b7a",
        ],
    );
    assert_eq!(from_file, results(&direct.stdout));
    assert_eq!(results(&direct.stdout), offline("hub-and-project", &[]));
}

#[test]
fn throttling_and_server_errors_are_retried() {
    let fake = server(
        "hardened-workspace",
        50,
        vec![
            Fault::new("/computes", 429)
                .times(1)
                .header("Retry-After", "1"),
            Fault::new("/providers/microsoft.security/pricings", 500).times(1),
        ],
    );
    let started = Instant::now();
    let out = live(
        &fake,
        &["--workspace", HARDENED_WS, "--registry", HARDENED_REGISTRY],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After was honoured"
    );
    assert_eq!(results(&out.stdout), offline("hardened-workspace", &[]));
    let seen = fake.seen();
    assert_eq!(
        seen.iter()
            .filter(|s| s.path_and_query.contains("/computes?"))
            .count(),
        2
    );
    assert_eq!(
        seen.iter()
            .filter(|s| s.path_and_query.contains("/pricings?"))
            .count(),
        2
    );
}

#[test]
fn a_read_throttled_many_times_is_retried_until_it_is_answered() {
    // Six 429s in a row for one read (more than any fixed number of attempts allowed
    // before), with ARM's documented headers: the read still succeeds and nothing errors.
    let fake = server(
        "hardened-workspace",
        50,
        vec![
            Fault::new(
                &format!("{PROD}/providers/Microsoft.KeyVault/vaults/kv-hardened"),
                429,
            )
            .exact()
                .times(6)
                .header("Retry-After", "0")
                .header("x-ms-ratelimit-remaining-subscription-reads", "0")
                .body(r#"{"error": {"code": "SubscriptionRequestsThrottled", "message": "Number of read requests for subscription exceeded the limit"}}"#),
        ],
    );
    let out = live(
        &fake,
        &["--workspace", HARDENED_WS, "--registry", HARDENED_REGISTRY],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(results(&out.stdout), offline("hardened-workspace", &[]));
}

#[test]
fn a_forbidden_role_assignment_list_errors_only_the_controls_that_need_it() {
    let fake = server(
        "hardened-workspace",
        50,
        vec![Fault::new(
            "/providers/microsoft.authorization/roleassignments",
            403,
        )],
    );
    let out = live(&fake, &["--workspace", HARDENED_WS]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "nothing failed, the audit is incomplete"
    );
    let report = results(&out.stdout);
    for control in ["AML-PA-01", "AML-PA-02", "AML-PA-03"] {
        assert_eq!(status(&report, control), "error", "{control}");
    }
    assert!(
        message(&report, "AML-PA-01")
            .contains("HTTP 403 AuthorizationFailed injected 403 (x-ms-request-id req-403-")
    );
    assert_eq!(status(&report, "AML-PA-04"), "pass");
    assert_eq!(report["summary"]["error"], 3);
}

#[test]
fn an_unreadable_workspace_is_reported() {
    let fake = server(
        "hardened-workspace",
        50,
        vec![Fault::new(HARDENED_WS, 403).exact()],
    );
    let out = live(&fake, &["--workspace", HARDENED_WS]);
    assert_eq!(out.status.code(), Some(3));
    let report = results(&out.stdout);
    assert_eq!(report["workspaces"][0]["error"]["status"], 403);
    assert_eq!(
        report["workspaces"][0]["error"]["code"],
        "AuthorizationFailed"
    );
    let table = amlsec()
        .args([
            "audit",
            "--arm-endpoint",
            &fake.endpoint(),
            "--auth",
            "token",
            "--workspace",
            HARDENED_WS,
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&table.stdout).contains("could not be read: GET /subscriptions/5b1c8a3e-0d4f-4c7e-9a61-2f3e4d5c6b7a/resourceGroups/rg-ml-prod/providers/Microsoft.MachineLearningServices/workspaces/mlw-hardened failed: HTTP 403 AuthorizationFailed"));
}

#[test]
fn a_workspace_that_does_not_exist_is_one_line_naming_the_ones_that_do() {
    let fake = server("hardened-workspace", 50, vec![]);
    let typo = format!("{PROD}/providers/Microsoft.MachineLearningServices/workspaces/mlw-hardend");
    let out = live(&fake, &["--workspace", &typo]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "no report of failed reads");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.contains("error")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(
        errors[0].contains("workspace mlw-hardend does not exist in /subscriptions/5b1c8a3e-0d4f-4c7e-9a61-2f3e4d5c6b7a/resourceGroups/rg-ml-prod")
            && errors[0].contains("its workspaces: mlw-hardened"),
        "{stderr}"
    );
    // A malformed id is refused before anything is sent.
    let fake = server("hardened-workspace", 50, vec![]);
    let out = live(
        &fake,
        &["--workspace", "/subscriptions/s/resourceGroups/rg/mlw"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a workspace id"));
    assert!(fake.seen().is_empty());
}

#[test]
fn a_missing_storage_account_errors_its_controls_and_not_its_services() {
    let storage = format!("{PROD}/providers/Microsoft.Storage/storageAccounts/sthardened");
    let fake = server(
        "hardened-workspace",
        50,
        vec![Fault::new(&storage, 404).exact()],
    );
    let out = live(&fake, &["--workspace", HARDENED_WS]);
    assert_eq!(out.status.code(), Some(3));
    let report = results(&out.stdout);
    assert_eq!(status(&report, "AML-DP-07"), "error");
    assert_eq!(
        status(&report, "AML-BR-02"),
        "pass",
        "blobServices/default is read on its own"
    );
}

#[test]
fn a_timeout_and_garbage_json_are_failed_reads() {
    let kv = format!("{PROD}/providers/Microsoft.KeyVault/vaults/kv-hardened");
    let acr = format!("{PROD}/providers/Microsoft.ContainerRegistry/registries/crhardened");
    let fake = server(
        "hardened-workspace",
        50,
        vec![
            Fault::new(&kv, 200).exact().delay(Duration::from_secs(3)),
            Fault::new(&acr, 200).exact().body("{not json"),
        ],
    );
    let out = live(&fake, &["--workspace", HARDENED_WS, "--timeout", "1"]);
    assert_eq!(out.status.code(), Some(3));
    let report = results(&out.stdout);
    assert_eq!(status(&report, "AML-PA-04"), "error");
    assert!(
        message(&report, "AML-PA-04").contains("Timeout no answer within 1 s"),
        "{}",
        message(&report, "AML-PA-04")
    );
    assert_eq!(status(&report, "AML-IM-05"), "error");
    assert!(message(&report, "AML-IM-05").contains("InvalidResponse"));
}

#[test]
fn clear_text_endpoints_other_than_loopback_are_refused() {
    amlsec()
        .args([
            "audit",
            "--workspace",
            HARDENED_WS,
            "--auth",
            "token",
            "--arm-endpoint",
            "http://management.example.com",
        ])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(
            "only https is allowed, or http to a loopback address",
        ));
}

#[test]
fn without_any_credential_each_mode_says_why() {
    let empty = Path::new(env!("CARGO_TARGET_TMPDIR")).join("no-tools");
    std::fs::create_dir_all(&empty).unwrap();
    let mut cmd = amlsec();
    for var in [
        "AMLSEC_ACCESS_TOKEN",
        "AZURE_CLIENT_ID",
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_SECRET",
        "AZURE_CLIENT_CERTIFICATE_PATH",
        "AZURE_FEDERATED_TOKEN_FILE",
        "SYSTEM_OIDCREQUESTURI",
        "MSI_ENDPOINT",
    ] {
        cmd.env_remove(var);
    }
    // Managed identity goes to a closed loopback port rather than the instance metadata service.
    cmd.env("IDENTITY_ENDPOINT", "http://127.0.0.1:9/msi/token")
        .env("IDENTITY_HEADER", "x")
        .env("PATH", &empty);
    let started = Instant::now();
    cmd.args([
        "audit",
        "--workspace",
        HARDENED_WS,
        "--arm-endpoint",
        "http://127.0.0.1:9",
    ])
    .assert()
    .code(2)
    .stderr(predicate::str::contains("no credential worked"))
    .stderr(predicate::str::contains(
        "service principal (secret or certificate): AZURE_TENANT_ID is not set",
    ))
    .stderr(predicate::str::contains(
        "workload identity (federated token): AZURE_FEDERATED_TOKEN_FILE is not set",
    ))
    .stderr(predicate::str::contains(
        "Azure Pipelines (service connection): SYSTEM_OIDCREQUESTURI is not set",
    ))
    .stderr(predicate::str::contains("managed identity: "))
    .stderr(predicate::str::contains(
        "Azure CLI / Azure Developer CLI: ",
    ));
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "no credential hangs"
    );
    amlsec()
        .env_remove("AMLSEC_ACCESS_TOKEN")
        .args(["audit", "--workspace", HARDENED_WS, "--auth", "token"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "token (AMLSEC_ACCESS_TOKEN): AMLSEC_ACCESS_TOKEN is not set",
        ));
}

#[test]
fn workspaces_are_discovered_by_resource_group_and_named_in_a_group() {
    let fake = server("hub-and-project", 50, vec![]);
    let out = live(
        &fake,
        &[
            "--resource-group",
            "rg-ml-hub",
            "--subscription",
            "5b1c8a3e-0d4f-4c7e-9a61-2f3e4d5c6b7a",
        ],
    );
    let report = results(&out.stdout);
    let names: Vec<&str> = report["workspaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["mlw-hub", "proj-fraud"]);
    let out = amlsec()
        .env(
            "AZURE_SUBSCRIPTION_ID",
            "5b1c8a3e-0d4f-4c7e-9a61-2f3e4d5c6b7a",
        )
        .args([
            "audit",
            "--arm-endpoint",
            &fake.endpoint(),
            "--auth",
            "token",
            "--format",
            "json",
            "--workspace",
            "proj-fraud",
            "--resource-group",
            "rg-ml-hub",
        ])
        .output()
        .unwrap();
    assert_eq!(
        results(&out.stdout)["workspaces"].as_array().unwrap().len(),
        1
    );
    amlsec()
        .args(["audit", "--workspace", "proj-fraud", "--auth", "token"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("add --resource-group"));
}

/// Online deployments' environment variables come back from ARM in clear text: no value may
/// reach the snapshot `collect` writes, or any report (Annex A §1.6).
#[test]
fn deployment_environment_values_never_reach_a_snapshot_or_a_report() {
    const SECRET: &str = "live-secret-7f3a9c";
    let ws = "/subscriptions/5b1c8a3e-0d4f-4c7e-9a61-2f3e4d5c6b7a/resourceGroups/rg-ml-sandbox/providers/Microsoft.MachineLearningServices/workspaces/mlw-quickstart";
    let deployments = format!("{ws}/onlineEndpoints/ep-demo/deployments");
    let fake_first = server("default-workspace", 50, vec![]);
    let mut served = fake_first.document(&format!("{deployments}/blue")).unwrap();
    served["properties"]["environmentVariables"] = serde_json::json!({"AZURE_STORAGE_KEY": SECRET});
    let reply = serde_json::json!({ "value": [served] }).to_string();
    // A cluster's administrator password and a compute instance's custom-service environment
    // (secret in the type definitions, and declared secret): redacted like the deployment's.
    let computes = format!("{ws}/computes");
    let mut cluster = fake_first
        .document(&format!("{computes}/gpu-cluster"))
        .unwrap();
    cluster["properties"]["properties"]["userAccountCredentials"] =
        serde_json::json!({"adminUserName": "azureuser", "adminUserPassword": SECRET});
    let mut instance = fake_first.document(&format!("{computes}/ci-bob")).unwrap();
    instance["properties"]["properties"]["customServices"] = serde_json::json!([
        {"name": "app", "environmentVariables": {"TOKEN": {"type": "local", "value": SECRET}}}
    ]);
    let aks = fake_first
        .document(&format!("{computes}/aks-inference"))
        .unwrap();
    let computes_reply =
        serde_json::json!({ "value": [instance.clone(), cluster.clone(), aks] }).to_string();
    let fake = server(
        "default-workspace",
        50,
        vec![
            Fault::new(&deployments, 200).body(&reply).exact(),
            Fault::new(&computes, 200).body(&computes_reply).exact(),
            Fault::new(&format!("{computes}/gpu-cluster"), 200)
                .body(&cluster.to_string())
                .exact(),
            Fault::new(&format!("{computes}/ci-bob"), 200)
                .body(&instance.to_string())
                .exact(),
        ],
    );
    let file = Path::new(env!("CARGO_TARGET_TMPDIR")).join("collected-secret.json");
    amlsec()
        .args([
            "collect",
            "--workspace",
            ws,
            "--arm-endpoint",
            &fake.endpoint(),
        ])
        .args(["--auth", "token", "--output", file.to_str().unwrap()])
        .assert()
        .code(0);
    let snapshot = std::fs::read_to_string(&file).unwrap();
    assert!(snapshot.contains("AZURE_STORAGE_KEY"), "the key is kept");
    assert!(!snapshot.contains(SECRET), "the value is not");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("secret-reports");
    std::fs::create_dir_all(&dir).unwrap();
    let outputs: Vec<String> = ["json", "sarif", "junit", "md", "csv", "html"]
        .iter()
        .map(|ext| dir.join(format!("report.{ext}")).display().to_string())
        .collect();
    for source in [
        vec!["--snapshot", file.to_str().unwrap()],
        vec![
            "--workspace",
            ws,
            "--arm-endpoint",
            &fake.endpoint(),
            "--auth",
            "token",
        ],
    ] {
        let mut cmd = amlsec();
        cmd.arg("audit").args(&source).args([
            "--level",
            "2",
            "--status",
            "fail,pass,error,manual,not_applicable",
        ]);
        for o in &outputs {
            cmd.args(["--output", o]);
        }
        let out = cmd.output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!String::from_utf8_lossy(&out.stdout).contains(SECRET));
        assert!(!String::from_utf8_lossy(&out.stderr).contains(SECRET));
        for o in &outputs {
            let text = std::fs::read_to_string(o).unwrap();
            assert!(!text.contains(SECRET), "{o} holds the secret");
        }
    }
}

/// Registries are discovered with the workspaces of a resource group, read from their list
/// (not again by GET), and audit as they do offline (Annex A §1.7).
#[test]
fn registries_are_discovered_with_the_workspaces_and_read_once() {
    let fake = server("hardened-workspace", 2, vec![]);
    let args = PROD_GROUP;
    let out = live(&fake, &args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(results(&out.stdout), offline("hardened-workspace", &[]));
    let gets_of_the_body = fake
        .seen()
        .iter()
        .filter(|s| {
            s.path_and_query
                .to_ascii_lowercase()
                .starts_with(&format!("{}?", HARDENED_REGISTRY.to_ascii_lowercase()))
        })
        .count();
    assert_eq!(gets_of_the_body, 0, "a listed registry is complete");

    // `collect` writes the registry, its storage, ACR and settings: the snapshot audits alike.
    let file = Path::new(env!("CARGO_TARGET_TMPDIR")).join("collected-registry.json");
    amlsec()
        .arg("collect")
        .args(args)
        .args(["--arm-endpoint", &fake.endpoint(), "--auth", "token"])
        .args(["--output", file.to_str().unwrap()])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("1 workspace, 1 registry"));
    assert_eq!(
        audit_snapshot(&file, &[]),
        offline("hardened-workspace", &[])
    );

    // --no-registries: no registry list is read and none is audited.
    let fake = server("hardened-workspace", 50, vec![]);
    let out = live(&fake, &[&args[..], &["--no-registries"]].concat());
    assert_eq!(results(&out.stdout)["registries"], serde_json::json!([]));
    assert!(fake.seen().iter().all(|s| {
        !s.path_and_query
            .to_ascii_lowercase()
            .contains("/registries?")
    }));
}

/// A registry list that cannot be read is recorded and makes the audit incomplete; the
/// workspaces are still audited (Annex A §1.6).
#[test]
fn an_unreadable_registry_list_is_an_incomplete_audit_not_an_empty_one() {
    let list = format!("{PROD}/providers/Microsoft.MachineLearningServices/registries");
    let fake = server(
        "hardened-workspace",
        50,
        vec![Fault::new(&list, 403).exact()],
    );
    let out = live(&fake, &PROD_GROUP);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["workspaces"].as_array().unwrap().len(), 1);
    assert_eq!(report["registries"], serde_json::json!([]));
    assert_eq!(report["errors"][0]["status"], 403);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("1 list of subjects could not be read"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A template laid over a live resource group reads what it touches from Azure and judges it
/// as the same template laid over a snapshot of that group.
#[test]
fn a_template_overlays_a_live_resource_group_as_it_overlays_a_snapshot() {
    let fake = server("hardened-workspace", 50, vec![]);
    let template = [
        "--template",
        "tests/data/templates/machine-learning-compute-create-computeinstance/azuredeploy.json",
        "--parameters",
        "tests/data/templates/machine-learning-compute-create-computeinstance/azuredeploy.parameters.json",
        "--parameter",
        "workspaceName=mlw-hardened",
    ];
    let live = live(&fake, &[&template[..], &PROD_GROUP[..]].concat());
    assert_eq!(
        live.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&live.stderr)
    );
    let offline = amlsec()
        .args(["audit", "--level", "2", "--format", "json"])
        .args(template)
        .args(["--snapshot", &example("hardened-workspace")])
        .args([
            "--deployment-scope",
            "/subscriptions/5b1c8a3e-0d4f-4c7e-9a61-2f3e4d5c6b7a/resourceGroups/rg-ml-prod",
        ])
        .output()
        .unwrap();
    assert_eq!(results(&live.stdout), results(&offline.stdout));
    assert!(fake.seen().iter().all(|s| s.method == "GET"));
}

/// A tenant-wide audit discovers its subscriptions (every one the identity reads, or those
/// below a management group) with paging; one that cannot be listed is reported and makes the
/// audit incomplete, and the others are audited (issue 11).
#[test]
fn subscriptions_are_discovered_and_an_unreadable_one_is_reported() {
    const PROD: &str = "5b1c8a3e-0d4f-4c7e-9a61-2f3e4d5c6b7a";
    const LOCKED: &str = "0f0f0f0f-1111-4222-8333-444444444444";
    let locked =
        format!("/subscriptions/{LOCKED}/providers/Microsoft.MachineLearningServices/workspaces");
    // Descendants as Microsoft's example answers (subscriptions typed
    // `.../managementGroups/subscriptions`) and as its schema describes them (`/subscriptions`).
    for subscription_type in [
        "Microsoft.Management/managementGroups/subscriptions",
        "/subscriptions",
    ] {
        let mut docs = snapshot::load(
            Path::new(&example("hardened-workspace")),
            amlsec::input::SNAPSHOT_LIMIT,
        )
        .unwrap();
        for sub in [PROD, LOCKED] {
            docs.insert(json!({"id": format!("/subscriptions/{sub}"), "subscriptionId": sub, "state": "Enabled"}));
        }
        let fake = FakeArm::start(
            docs,
            1,
            Duration::ZERO,
            vec![
                Fault::new(&locked, 403).exact(),
                Fault::new(
                    "/providers/Microsoft.Management/managementGroups/mg-ml/descendants",
                    200,
                )
                .exact()
                .body(&descendants(&[PROD, LOCKED], subscription_type)),
            ],
        );
        for scope in [
            vec!["--all-subscriptions"],
            vec!["--management-group", "mg-ml"],
        ] {
            let out = live(&fake, &scope);
            let context = format!("{scope:?}, subscriptions typed {subscription_type}");
            assert_eq!(
                out.status.code(),
                Some(3),
                "{context}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let report: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(report["workspaces"].as_array().unwrap().len(), 1);
            assert_eq!(report["registries"].as_array().unwrap().len(), 1);
            assert_eq!(report["errors"].as_array().unwrap().len(), 1, "{context}");
            assert!(
                report["errors"][0]["path"]
                    .as_str()
                    .unwrap()
                    .contains(LOCKED)
            );
            let mut without = report.clone();
            for key in ["generatedAt", "stats", "source", "errors"] {
                without.as_object_mut().unwrap().remove(key);
            }
            assert_eq!(without, offline("hardened-workspace", &[]), "{context}");
        }
        let seen = fake.seen();
        assert!(
            seen.iter()
                .any(|s| s.path_and_query.starts_with("/subscriptions?"))
        );
        assert!(
            seen.iter()
                .any(|s| s.path_and_query.contains("/descendants?"))
        );
    }
    amlsec()
        .args([
            "audit",
            "--all-subscriptions",
            "--snapshot",
            &example("default-workspace"),
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--all-subscriptions reads from Azure",
        ));
}

/// The recorded descendants reply (examples/arm-shapes), its subscription item repeated for
/// each of `subscriptions` typed `subscription_type`, its management-group item kept.
fn descendants(subscriptions: &[&str], subscription_type: &str) -> String {
    let mut body: Value = serde_json::from_str(
        &std::fs::read_to_string(format!(
            "{}/examples/arm-shapes/managementgroups/descendants-list.body.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap(),
    )
    .unwrap();
    let items = body["value"].as_array().unwrap().clone();
    let (mut value, subs): (Vec<Value>, Vec<Value>) = items
        .into_iter()
        .partition(|i| i["id"].as_str().unwrap().starts_with("/providers/"));
    for sub in subscriptions {
        let mut item = subs[0].clone();
        item["id"] = json!(format!("/subscriptions/{sub}"));
        item["name"] = json!(sub);
        item["type"] = json!(subscription_type);
        value.push(item);
    }
    body["value"] = json!(value);
    body.to_string()
}

/// The subscriptions of an example's workspaces, as `--subscription` takes them.
fn subscriptions_of(example_name: &str) -> Vec<String> {
    let docs: Value =
        serde_json::from_str(&std::fs::read_to_string(example(example_name)).unwrap()).unwrap();
    let docs = docs
        .get("documents")
        .unwrap_or(&docs)
        .as_array()
        .unwrap()
        .clone();
    let mut subs: Vec<String> = docs
        .iter()
        .filter_map(|d| d["id"].as_str())
        .filter(|id| id.contains("/providers/Microsoft.MachineLearningServices/workspaces/"))
        .map(|id| id.split('/').nth(2).unwrap().to_string())
        .collect();
    subs.sort();
    subs.dedup();
    subs
}

#[test]
fn resource_graph_gives_the_same_verdicts_with_fewer_reads() {
    for name in ["hardened-workspace", "default-workspace", "hub-and-project"] {
        let subs = subscriptions_of(name).join(",");
        let through = |mode: &str| {
            let fake = server(name, 2, vec![]);
            let out = live(&fake, &["--subscription", &subs, "--resource-graph", mode]);
            assert!(
                matches!(out.status.code(), Some(0 | 1)),
                "{name} {mode}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            (results(&out.stdout), fake.seen())
        };
        let (by_get, get_seen) = through("never");
        let (by_graph, graph_seen) = through("always");
        assert_eq!(by_graph, by_get, "{name}");
        assert_eq!(by_get, offline(name, &[]), "{name}");
        assert!(get_seen.iter().all(|s| s.method == "GET"));
        let posts: Vec<_> = graph_seen.iter().filter(|s| s.method != "GET").collect();
        assert!(!posts.is_empty(), "{name}: the graph was queried");
        for post in &posts {
            assert_eq!(post.method, "POST");
            assert!(
                post.path_and_query.starts_with(
                    "/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01"
                ),
                "{}",
                post.path_and_query
            );
            let body: Value = serde_json::from_str(&post.body).unwrap();
            assert!(
                body["query"]
                    .as_str()
                    .unwrap()
                    .ends_with("| order by id asc")
            );
        }
        assert!(
            graph_seen.len() < get_seen.len(),
            "{name}: {} requests through the graph, {} by GET",
            graph_seen.len(),
            get_seen.len()
        );
        // The storage accounts came from the graph, not from a GET each.
        assert!(
            !graph_seen.iter().any(|s| s.method == "GET"
                && s.path_and_query
                    .split('?')
                    .next()
                    .unwrap()
                    .to_ascii_lowercase()
                    .contains("/microsoft.storage/storageaccounts/")
                && !s.path_and_query.to_ascii_lowercase().contains("services")
                && !s
                    .path_and_query
                    .to_ascii_lowercase()
                    .contains("diagnosticsettings")),
            "{name}"
        );
    }
}

#[test]
fn what_the_graph_does_not_return_or_cannot_answer_is_read_by_get() {
    let subs = subscriptions_of("hardened-workspace").join(",");
    let expected = offline("hardened-workspace", &[]);
    // Indexing lag: the workspace's storage account is not in the graph yet.
    let fake = server("hardened-workspace", 2, vec![]);
    let storage = fake.document(HARDENED_WS).unwrap()["properties"]["storageAccount"]
        .as_str()
        .unwrap()
        .to_string();
    fake.state
        .graph_hidden
        .lock()
        .unwrap()
        .push(storage.clone());
    let out = live(
        &fake,
        &["--subscription", &subs, "--resource-graph", "always"],
    );
    assert_eq!(results(&out.stdout), expected);
    assert!(
        fake.seen()
            .iter()
            .any(|s| s.method == "GET" && s.path_and_query.starts_with(&format!("{storage}?"))),
        "read by GET"
    );

    // Two different rows for one id (a stale copy beside the current one, the stale one
    // first): neither is taken, and the document is read by GET.
    let default_subs = subscriptions_of("default-workspace").join(",");
    let fake = server("default-workspace", 2, vec![]);
    let quickstart = "/subscriptions/5b1c8a3e-0d4f-4c7e-9a61-2f3e4d5c6b7a/resourceGroups/rg-ml-sandbox/providers/Microsoft.MachineLearningServices/workspaces/mlw-quickstart";
    let storage = fake.document(quickstart).unwrap()["properties"]["storageAccount"]
        .as_str()
        .unwrap()
        .to_string();
    let mut stale = fake.document(&storage).unwrap();
    let hardened = server("hardened-workspace", 2, vec![]);
    let secure = hardened.document(HARDENED_WS).unwrap()["properties"]["storageAccount"].clone();
    let hardened_storage = hardened.document(secure.as_str().unwrap()).unwrap();
    stale["properties"] = hardened_storage["properties"].clone();
    fake.state.graph_stale.lock().unwrap().push(stale);
    let out = live(
        &fake,
        &[
            "--subscription",
            &default_subs,
            "--resource-graph",
            "always",
        ],
    );
    assert_eq!(results(&out.stdout), offline("default-workspace", &[]));
    assert!(
        fake.seen()
            .iter()
            .any(|s| s.method == "GET" && s.path_and_query.starts_with(&format!("{storage}?"))),
        "read by GET"
    );

    // A graph that fails, answers garbage, or truncates without a $skipToken: every document
    // is read by GET and the audit is the same; stderr says why.
    let truncated = r#"{"totalRecords": 9, "count": 0, "resultTruncated": "true", "data": []}"#;
    let no_id = r#"{"count": 1, "data": [{"name": "x"}]}"#;
    for fault in [
        Fault::new("microsoft.resourcegraph", 403),
        Fault::new("microsoft.resourcegraph", 200).body("not json"),
        Fault::new("microsoft.resourcegraph", 200).body(truncated),
        Fault::new("microsoft.resourcegraph", 200).body(no_id),
    ] {
        let fake = server("hardened-workspace", 2, vec![fault.clone()]);
        let out = live(
            &fake,
            &["--subscription", &subs, "--resource-graph", "always"],
        );
        assert_eq!(results(&out.stdout), expected, "{fault:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("Resource Graph could not be read"),
            "{fault:?}: {stderr}"
        );
    }

    // Throttled once: retried, and then used.
    let fake = server(
        "hardened-workspace",
        2,
        vec![
            Fault::new("microsoft.resourcegraph", 429)
                .header("retry-after", "0")
                .times(1),
        ],
    );
    let out = live(
        &fake,
        &["--subscription", &subs, "--resource-graph", "always"],
    );
    assert_eq!(results(&out.stdout), expected);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("could not be read"));
    let posts = |fake: &FakeArm| fake.seen().iter().filter(|s| s.method == "POST").count();
    let clean = server("hardened-workspace", 2, vec![]);
    let _ = live(
        &clean,
        &["--subscription", &subs, "--resource-graph", "always"],
    );
    assert_eq!(
        posts(&fake),
        posts(&clean) + 1,
        "the throttled query was sent again"
    );
}

#[test]
fn resource_graph_pages_on_skip_tokens_and_waits_for_its_quota() {
    let subs = subscriptions_of("hardened-workspace").join(",");
    let fake = server("hardened-workspace", 2, vec![]);
    *fake.state.graph_page_size.lock().unwrap() = 1;
    *fake.state.graph_quota.lock().unwrap() = 20;
    let out = live(
        &fake,
        &["--subscription", &subs, "--resource-graph", "always"],
    );
    assert_eq!(results(&out.stdout), offline("hardened-workspace", &[]));
    let posts: Vec<_> = fake
        .seen()
        .into_iter()
        .filter(|s| s.method == "POST")
        .collect();
    assert!(posts.len() > 20, "one row per page: {} pages", posts.len());
    // Tables are queried side by side: each query's own pages follow its tokens in order.
    let mut by_query: std::collections::BTreeMap<String, Vec<Value>> = Default::default();
    for post in &posts {
        let body: Value = serde_json::from_str(&post.body).unwrap();
        by_query
            .entry(body["query"].as_str().unwrap().to_string())
            .or_default()
            .push(body["options"]["$skipToken"].clone());
    }
    for tokens in by_query.values() {
        let expected: Vec<Value> = (0..tokens.len())
            .map(|i| match i {
                0 => Value::Null,
                i => Value::String(format!("offset-{i}")),
            })
            .collect();
        assert_eq!(*tokens, expected);
    }
    assert!(by_query.values().any(|t| t.len() > 2), "{by_query:?}");
    // The quota was spent after 20 pages: the next waited for its window to reset.
    let stats: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(stats["stats"]["durationMs"].as_u64().unwrap() >= 1000);
}

/// Six workspaces in three subscriptions: the graph is used by default (more than one
/// subscription), verdicts equal the GET-only ones, and a 403 on one workspace's residual
/// read (its computes) errors only that workspace's compute controls.
#[test]
fn across_subscriptions_the_graph_is_used_and_a_residual_403_stays_local() {
    let subs: Vec<String> = (0..3).map(support::subscription).collect();
    let subs = subs.join(",");
    let computes = format!(
        "/subscriptions/{}/resourceGroups/rg-ml-1/providers/Microsoft.MachineLearningServices/workspaces/mlw-1/computes",
        support::subscription(1)
    );
    let run = |mode: Option<&str>| {
        let docs = snapshot::parse("tenant", support::estate_in(6, 3).as_bytes()).unwrap();
        let fake = FakeArm::start(
            docs,
            50,
            Duration::ZERO,
            vec![Fault::new(&computes, 403).exact()],
        );
        let mut args = vec!["--subscription", subs.as_str()];
        if let Some(m) = mode {
            args.extend(["--resource-graph", m]);
        }
        let out = live(&fake, &args);
        (results(&out.stdout), fake.seen())
    };
    let (by_graph, seen) = run(None);
    assert!(
        seen.iter().any(|s| s.method == "POST"),
        "auto: on for 3 subscriptions"
    );
    let (by_get, _) = run(Some("never"));
    assert_eq!(by_graph, by_get);
    let workspaces = by_graph["workspaces"].as_array().unwrap();
    assert_eq!(workspaces.len(), 6);
    for w in workspaces {
        let compute = w["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["control"] == "AML-IM-01")
            .unwrap();
        let errored = compute["status"] == "error";
        assert_eq!(
            errored,
            w["name"] == "mlw-1",
            "{}: {}",
            w["name"],
            compute["status"]
        );
    }
}

/// Reads that do not depend on Resource Graph's answer start at once; those it may answer wait
/// for it. The graph's first answer here is a 503 after a second, so its documents arrive
/// only with the retry.
#[test]
fn reads_the_graph_cannot_answer_start_before_it_answers() {
    let subs: Vec<String> = (0..3).map(support::subscription).collect();
    let subs = subs.join(",");
    let docs = snapshot::parse("tenant", support::estate_in(6, 3).as_bytes()).unwrap();
    let slow_graph = Fault::new("/providers/Microsoft.ResourceGraph/resources", 503)
        .delay(Duration::from_secs(1))
        .times(1);
    let fake = FakeArm::start(docs, 50, Duration::ZERO, vec![slow_graph]);
    let out = live(
        &fake,
        &["--subscription", &subs, "--resource-graph", "always"],
    );
    assert!(matches!(out.status.code(), Some(0 | 1)), "{out:?}");
    let seen = fake.seen();
    let last_query = seen.iter().rposition(|s| s.method == "POST").unwrap();
    let before: Vec<&str> = seen[..last_query]
        .iter()
        .filter(|s| s.method == "GET")
        .map(|s| s.path_and_query.split('?').next().unwrap())
        .collect();
    assert!(
        before.iter().any(|p| p.ends_with("/workspaces")),
        "the workspace lists went first: {before:?}"
    );
    for path in &before {
        assert!(
            !amlsec::graph::indexed::may_answer(path, false),
            "{path} was read before the graph could answer it"
        );
    }
    let by_get = {
        let docs = snapshot::parse("tenant", support::estate_in(6, 3).as_bytes()).unwrap();
        let fake = FakeArm::start(docs, 50, Duration::ZERO, vec![]);
        results(
            &live(
                &fake,
                &["--subscription", &subs, "--resource-graph", "never"],
            )
            .stdout,
        )
    };
    assert_eq!(results(&out.stdout), by_get);
}

/// A snapshot collected through Resource Graph says which documents came from it, and audits
/// as the live read through the graph does.
#[test]
fn a_snapshot_records_what_resource_graph_provided() {
    let fake = server("hardened-workspace", 3, vec![]);
    let file = Path::new(env!("CARGO_TARGET_TMPDIR")).join("collected-graph.json");
    let flags = [
        "--subscription",
        "5b1c8a3e-0d4f-4c7e-9a61-2f3e4d5c6b7a",
        "--resource-graph",
        "always",
    ];
    amlsec()
        .arg("collect")
        .args(flags)
        .args([
            "--arm-endpoint",
            &fake.endpoint(),
            "--auth",
            "token",
            "--output",
        ])
        .arg(&file)
        .assert()
        .code(0);
    let snapshot: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let graph = &snapshot["source"]["resourceGraph"];
    assert_eq!(graph["apiVersion"], "2024-04-01");
    assert!(graph["readAt"].as_str().unwrap().ends_with('Z'));
    let from_graph: Vec<&str> = graph["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    assert!(from_graph.contains(&HARDENED_WS), "{from_graph:?}");
    let ids: Vec<&str> = snapshot["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert!(
        from_graph.iter().all(|g| ids.contains(g)),
        "every one is in the snapshot"
    );
    assert!(ids.len() > from_graph.len(), "the others were read by GET");
    let from_file = amlsec()
        .args(["audit", "--level", "2", "--format", "json", "--snapshot"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(
        results(&from_file.stdout),
        results(&live(&fake, &flags).stdout)
    );
}

/// ARM's read throttling per subscription (a small bucket here): reads are paced on
/// `x-ms-ratelimit-remaining-subscription-reads` and a 429 holds only its subscription, so
/// the audit completes with the same verdicts, no read in error, and few 429s.
#[test]
fn reads_are_paced_per_subscription_under_throttling() {
    let subs: Vec<String> = (0..3).map(support::subscription).collect();
    let subs = subs.join(",");
    let run = |throttle: Option<crate::common::fake_arm::Throttle>| {
        let docs = snapshot::parse("tenant", support::estate_in(9, 3).as_bytes()).unwrap();
        let fake = FakeArm::start(docs, 50, Duration::ZERO, vec![]);
        *fake.state.throttle.lock().unwrap() = throttle;
        let out = live(
            &fake,
            &["--subscription", &subs, "--resource-graph", "never"],
        );
        let throttled = fake
            .state
            .throttled
            .load(std::sync::atomic::Ordering::Relaxed);
        (results(&out.stdout), fake.seen().len(), throttled)
    };
    let (free, _, _) = run(None);
    let (paced, requests, throttled) =
        run(Some(crate::common::fake_arm::Throttle::new(40.0, 100.0)));
    assert_eq!(paced, free);
    assert_eq!(paced["summary"]["error"], 0);
    assert!(
        throttled * 10 < requests,
        "{throttled} of {requests} requests were throttled"
    );
}

#[test]
fn the_azure_clis_default_subscription_is_used_when_none_is_given() {
    // A stand-in `az` answering `az account show --query id -o tsv` as the real one does.
    let bin = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fake-az");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::write(
        bin.join("az"),
        "#!/bin/sh\n[ \"$1 $2\" = \"account show\" ] && echo 5b1c8a3e-0d4f-4c7e-9a61-2f3e4d5c6b7a\n",
    )
    .unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(bin.join("az"))
        .status()
        .unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let fake = server("hub-and-project", 50, vec![]);
    let out = amlsec()
        .env("PATH", &path)
        .args([
            "audit",
            "--arm-endpoint",
            &fake.endpoint(),
            "--auth",
            "token",
        ])
        .args(["--format", "json", "--resource-group", "rg-ml-hub"])
        .output()
        .unwrap();
    let report = results(&out.stdout);
    assert_eq!(
        report["workspaces"].as_array().unwrap().len(),
        2,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Without az (or signed out), the error says all three ways.
    let empty = Path::new(env!("CARGO_TARGET_TMPDIR")).join("no-az");
    std::fs::create_dir_all(&empty).unwrap();
    amlsec()
        .env("PATH", &empty)
        .args([
            "audit",
            "--arm-endpoint",
            &fake.endpoint(),
            "--auth",
            "token",
        ])
        .args(["--resource-group", "rg-ml-hub"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("az account show"));
}

// ---- AI Foundry accounts (baseline.md Annex B) ---------------------------------------------

const FOUNDRY_SUB: &str = "00000000-1111-2222-3333-444444444444";
const FOUNDRY_ACCOUNT: &str = "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/myResourceGroup/providers/Microsoft.CognitiveServices/accounts/myAccount";

/// A fake serving these documents (Microsoft's example bodies, as the examples hold them).
fn serving(docs: Vec<Value>) -> FakeArm {
    let mut store = amlsec::documents::Documents::default();
    docs.into_iter().for_each(|d| store.insert(d));
    FakeArm::start(store, 2, Duration::ZERO, vec![])
}

fn example_documents(name: &str) -> Vec<Value> {
    serde_json::from_str(&std::fs::read_to_string(example(name)).unwrap()).unwrap()
}

/// The accounts of Microsoft's "list accounts by subscription" example: Bing.Search, CRIS,
/// Face and Emotion, none a Foundry kind.
fn other_kinds_of_account() -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/arm-shapes/cognitiveservices/account-list-by-subscription.body.json");
    let list: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    list["value"].as_array().unwrap().clone()
}

fn foundry_status(report: &Value, control: &str) -> String {
    crate::common::report::status_in(report, "foundryAccounts", control)
}

#[test]
fn a_foundry_account_is_audited_live_as_offline_and_other_kinds_are_not() {
    let mut docs = example_documents("foundry-hardened");
    docs.extend(other_kinds_of_account());
    let fake = serving(docs);
    // Named: the account and every child list of Annex B §B.2, read with GET only.
    let out = live(&fake, &["--foundry", FOUNDRY_ACCOUNT]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(results(&out.stdout), offline("foundry-hardened", &[]));
    assert!(fake.seen().iter().all(|s| s.method == "GET"));
    for child in [
        "deployments",
        "raiPolicies",
        "projects",
        "connections",
        "capabilityHosts",
        "managedNetworks",
        "defenderForAISettings",
    ] {
        assert!(
            fake.seen()
                .iter()
                .any(|s| s.path_and_query.contains(&format!("myAccount/{child}?"))),
            "{child} is read"
        );
    }
    assert!(
        fake.seen()
            .iter()
            .any(|s| s.path_and_query.contains("myProject/connections?")),
        "a project's connections are read"
    );

    // Discovered: the subscription's list holds five accounts, one of a Foundry kind.
    let fake = serving({
        let mut d = example_documents("foundry-hardened");
        d.extend(other_kinds_of_account());
        d
    });
    let out = live(&fake, &["--subscription", FOUNDRY_SUB]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = results(&out.stdout);
    let audited: Vec<&str> = report["foundryAccounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(audited, ["myAccount"]);
    assert_eq!(report["foundryAccounts"][0]["kind"], "AIServices");
    assert_eq!(report, offline("foundry-hardened", &[]));

    // --no-foundry: no account list is read.
    let out = live(
        &fake,
        &[
            "--subscription",
            FOUNDRY_SUB,
            "--no-foundry",
            "--foundry",
            FOUNDRY_ACCOUNT,
        ],
    );
    assert_eq!(
        results(&out.stdout)["foundryAccounts"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "a named account is still audited"
    );

    // A named account of another kind is no subject, and the audit is incomplete.
    let face = other_kinds_of_account()[2]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let out = live(&fake, &["--foundry", &face]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = results(&out.stdout);
    assert_eq!(report["foundryAccounts"], json!([]));
    assert!(
        report.to_string().contains("NotAFoundryAccount"),
        "{report}"
    );
}

#[test]
fn a_hub_connection_to_an_ai_services_account_audits_the_account_too() {
    let mut docs = example_documents("hardened-workspace");
    docs.extend(example_documents("foundry-hardened"));
    // The recorded connection list example's item, made the hub's AI-services connection as
    // public code writes it (R-18): category AIServices, Entra auth, metadata.ResourceId.
    let recorded: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("examples/arm-shapes/machinelearning/connection-list.body.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let mut connection = recorded["value"][0].clone();
    connection["id"] = json!(format!("{HARDENED_WS}/connections/ai-services"));
    connection["name"] = json!("ai-services");
    connection["properties"]["category"] = json!("AIServices");
    connection["properties"]["authType"] = json!("AAD");
    connection["properties"]["target"] = json!("https://myaccount.cognitiveservices.azure.com/");
    connection["properties"]["metadata"] =
        json!({"ApiType": "Azure", "resourceid": FOUNDRY_ACCOUNT});
    docs.push(connection);
    let fake = serving(docs.clone());
    let out = live(&fake, &["--workspace", HARDENED_WS]);
    let report = results(&out.stdout);
    assert_eq!(
        report["foundryAccounts"][0]["id"],
        FOUNDRY_ACCOUNT,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(report["workspaces"].as_array().unwrap().len(), 1);
    assert_eq!(foundry_status(&report, "AML-NS-40"), "pass");
    // The same link offline, from a snapshot that holds both.
    let file = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hub-with-account.json");
    std::fs::write(&file, serde_json::to_string(&docs).unwrap()).unwrap();
    assert_eq!(
        audit_snapshot(&file, &["--workspace", "mlw-hardened"])["foundryAccounts"],
        report["foundryAccounts"]
    );
    // --no-foundry leaves the link alone.
    let out = live(&fake, &["--workspace", HARDENED_WS, "--no-foundry"]);
    assert_eq!(results(&out.stdout)["foundryAccounts"], json!([]));
}

/// Each Annex B case file served by the fake gives, live, the verdict its name says.
#[test]
fn every_annex_b_case_gives_its_named_verdict_live() {
    let mut wrong = Vec::new();
    for case in crate::common::foundry::annex_b_cases() {
        let fake = serving(case.documents());
        let mut args = vec![
            "--foundry".to_string(),
            FOUNDRY_ACCOUNT.to_string(),
            "--control".into(),
            case.control.clone(),
        ];
        for (k, v) in &case.params {
            args.extend(["--param".to_string(), format!("{k}={v}")]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = live(&fake, &args);
        let got = foundry_status(&results(&out.stdout), &case.control);
        if got != case.expect {
            wrong.push(format!(
                "{}: {got}: {}",
                case.name,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// A policy the `raiPolicies` list leaves out (a system one) is read once by GET before a
/// deployment naming it is an error (Annex B §B.2, R-16).
#[test]
fn a_content_filter_policy_missing_from_the_list_is_read_once_by_get() {
    let docs: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(crate::common::foundry::dir().join("AML-PV-09.pass.json"))
            .unwrap(),
    )
    .unwrap();
    let list = format!("{FOUNDRY_ACCOUNT}/raiPolicies");
    let policy = format!("{list}/raiPolicyName");
    let run = |faults: Vec<Fault>| {
        let fake = serving(docs.clone());
        for f in faults {
            fake.add_fault(f);
        }
        let out = live(
            &fake,
            &["--foundry", FOUNDRY_ACCOUNT, "--control", "AML-PV-09"],
        );
        let gets = fake
            .seen()
            .iter()
            .filter(|s| {
                s.path_and_query
                    .to_ascii_lowercase()
                    .starts_with(&format!("{}?", policy.to_ascii_lowercase()))
            })
            .count();
        (foundry_status(&results(&out.stdout), "AML-PV-09"), gets)
    };
    let empty_list = Fault::new(&list, 200).exact().body(r#"{"value": []}"#);
    assert_eq!(
        run(vec![]),
        ("pass".to_string(), 0),
        "a listed policy is not read again"
    );
    assert_eq!(run(vec![empty_list.clone()]), ("pass".to_string(), 1));
    assert_eq!(
        run(vec![empty_list, Fault::new(&policy, 404).exact()]),
        ("error".to_string(), 1)
    );
}

/// Connection credentials are write-only, but a Foundry connection body that carries one
/// anyway (account or project) is redacted where it enters: never in a snapshot or a report.
#[test]
fn foundry_connection_credentials_never_reach_a_snapshot_or_a_report() {
    const SECRET: &str = "foundry-secret-91c2e";
    let mut docs = example_documents("foundry-hardened");
    for d in docs.iter_mut() {
        if d["type"]
            .as_str()
            .unwrap_or_default()
            .ends_with("/connections")
        {
            d["properties"]["credentials"] =
                json!({"key": SECRET, "pat": SECRET, "clientSecret": SECRET});
        }
    }
    let fake = serving(docs);
    let file = Path::new(env!("CARGO_TARGET_TMPDIR")).join("collected-foundry-secret.json");
    amlsec()
        .args([
            "collect",
            "--foundry",
            FOUNDRY_ACCOUNT,
            "--arm-endpoint",
            &fake.endpoint(),
        ])
        .args(["--auth", "token", "--output", file.to_str().unwrap()])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("1 Foundry account"));
    let snapshot = std::fs::read_to_string(&file).unwrap();
    assert!(
        snapshot.contains("<redacted>"),
        "the credentials were there"
    );
    assert!(!snapshot.contains(SECRET));
    for source in [
        vec!["--snapshot", file.to_str().unwrap()],
        vec![
            "--foundry",
            FOUNDRY_ACCOUNT,
            "--arm-endpoint",
            &fake.endpoint(),
            "--auth",
            "token",
        ],
    ] {
        for format in ["json", "sarif", "junit", "markdown", "csv", "html", "table"] {
            let out = amlsec()
                .arg("audit")
                .args(&source)
                .args([
                    "--level",
                    "2",
                    "--format",
                    format,
                    "--status",
                    "fail,pass,error,manual,not_applicable",
                ])
                .output()
                .unwrap();
            assert_eq!(
                out.status.code(),
                Some(0),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(
                !String::from_utf8_lossy(&out.stdout).contains(SECRET),
                "{format}"
            );
            assert!(!String::from_utf8_lossy(&out.stderr).contains(SECRET));
        }
    }
    // And the collected snapshot audits as the example does.
    assert_eq!(audit_snapshot(&file, &[]), offline("foundry-hardened", &[]));
}
