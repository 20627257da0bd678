//! Pre-deployment audits of ARM templates (issue 12): Microsoft's quickstart templates expand
//! into the documents they would deploy and are judged like a live workspace; what they do not
//! deploy is `unknown`; bad templates are one clear error with file:line:column, exit 2.

use std::path::Path;

use assert_cmd::Command;
use assert_cmd::cargo::cargo_bin_cmd;
use predicates::prelude::*;
use serde_json::{Value, json};

use crate::common::avm::avm_estate;
use crate::common::report::status_in;

const VNET: &str = "tests/data/templates/machine-learning-create-vnet/azuredeploy.json";
const VNET_PARAMS: &str =
    "tests/data/templates/machine-learning-create-vnet/azuredeploy.parameters.json";
const CI: &str =
    "tests/data/templates/machine-learning-compute-create-computeinstance/azuredeploy.json";
const CI_PARAMS: &str = "tests/data/templates/machine-learning-compute-create-computeinstance/azuredeploy.parameters.json";
const SYNTHETIC: &str = "tests/data/templates/synthetic/private-workspace.json";
const RG: &str = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/template-rg";
const STORAGE: &str = "existingStorageId=/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/data/providers/Microsoft.Storage/storageAccounts/stdata";

fn amlsec() -> Command {
    let mut cmd = cargo_bin_cmd!("amlsec");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("COLUMNS", "200");
    cmd
}

fn report(args: &[&str]) -> (Value, std::process::Output) {
    let out = amlsec()
        .args(["audit", "--level", "2", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (json, out)
}

fn result<'a>(report: &'a Value, control: &str) -> &'a Value {
    report["workspaces"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["control"] == control)
        .unwrap_or_else(|| panic!("{control} not in the report"))
}

fn status(report: &Value, control: &str) -> String {
    result(report, control)["status"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn the_vnet_quickstart_expands_into_the_documents_it_deploys() {
    let t = amlsec::source::template::load(
        Path::new(&format!("{}/{VNET}", env!("CARGO_MANIFEST_DIR"))),
        Some(Path::new(&format!(
            "{}/{VNET_PARAMS}",
            env!("CARGO_MANIFEST_DIR")
        ))),
        &[],
        None,
        amlsec::cloud::Cloud::Public,
    )
    .unwrap();
    let docs = &t.documents;
    let ws = docs
        .get(&format!(
            "{RG}/providers/Microsoft.MachineLearningServices/workspaces/mlws"
        ))
        .unwrap();
    let storage = ws["properties"]["storageAccount"].as_str().unwrap();
    assert!(storage.starts_with(&format!(
        "{RG}/providers/Microsoft.Storage/storageAccounts/sa"
    )));
    assert_eq!(
        docs.get(storage).unwrap()["properties"]["supportsHttpsTrafficOnly"],
        true
    );
    assert_eq!(
        ws["location"], "westus2",
        "the parameters file wins over the default"
    );
    let computes = docs
        .list(&format!(
            "{RG}/providers/Microsoft.MachineLearningServices/workspaces/mlws/computes"
        ))
        .unwrap();
    let names: Vec<&str> = computes
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["cpu-cluster", "GEN-UNIQUE", "gpu-cluster"]);
    assert_eq!(
        computes[0]["properties"]["properties"]["subnet"]["id"],
        format!("{RG}/providers/Microsoft.Network/virtualNetworks/skynet/subnets/default")
    );
    // A subnet declared inside its VNet is a resource of its own, with its NSG.
    let subnet = docs
        .get(&format!(
            "{RG}/providers/Microsoft.Network/virtualNetworks/skynet/subnets/default"
        ))
        .unwrap();
    assert!(
        subnet["properties"]["networkSecurityGroup"]["id"]
            .as_str()
            .unwrap()
            .ends_with("/networkSecurityGroups/mlnetsg")
    );
    // The quickstart's `location` placeholder is outside its allowedValues? No: westus2 is in.
    assert!(t.notices.is_empty(), "{:?}", t.notices);
}

#[test]
fn the_vnet_quickstart_is_judged_with_its_lines() {
    let (r, out) = report(&["--template", VNET, "--parameters", VNET_PARAMS]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(r["source"]["kind"], "template");
    for (control, want) in [
        ("AML-NS-01", "fail"),    // public network access not set: Enabled
        ("AML-NS-14", "fail"),    // SSH (22) open to * on the compute subnet's NSG
        ("AML-NS-13", "pass"),    // the subnet has an NSG
        ("AML-NS-24", "pass"),    // every compute in a subnet
        ("AML-IM-05", "fail"),    // ACR admin user enabled
        ("AML-DP-06", "fail"),    // minimumTlsVersion missing
        ("AML-LT-01", "fail"),    // a new workspace has no diagnostic settings
        ("AML-BR-02", "unknown"), // blobServices/default is not in the template
        ("AML-PA-02", "unknown"), // subscription owners are outside any template
        ("AML-IM-08", "not_applicable"),
    ] {
        assert_eq!(status(&r, control), want, "{control}");
    }
    let ns01 = &result(&r, "AML-NS-01")["resources"][0];
    assert_eq!(ns01["location"]["file"], VNET);
    assert_eq!(ns01["location"]["line"], 165);
    assert!(r["summary"]["unknown"].as_u64().unwrap() > 0);
    // SARIF points code scanning at the template line.
    let sarif: Value = serde_json::from_slice(
        &amlsec()
            .args([
                "audit",
                "--template",
                VNET,
                "--parameters",
                VNET_PARAMS,
                "--format",
                "sarif",
            ])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let ns01 = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["ruleId"] == "AML-NS-01")
        .unwrap();
    let physical = &ns01["locations"][0]["physicalLocation"];
    assert_eq!(physical["artifactLocation"]["uri"], VNET);
    assert_eq!(physical["region"]["startLine"], 165);
}

#[test]
fn unknown_counts_for_the_exit_code_only_when_asked() {
    // Only unknowns and passes: the compute controls on a compute that is hardened.
    let args = [
        "audit",
        "--template",
        SYNTHETIC,
        "--parameter",
        STORAGE,
        "--level",
        "2",
    ];
    amlsec()
        .args(args)
        .args(["--control", "AML-NS-15"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "1 unknown (the template cannot tell",
        ));
    amlsec()
        .args(args)
        .args(["--control", "AML-NS-15", "--fail-on-unknown"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("1 control failed or unknown"));
}

#[test]
fn children_of_an_existing_workspace_are_judged_and_the_rest_is_unknown() {
    let (r, out) = report(&["--template", CI, "--parameters", CI_PARAMS]);
    assert_eq!(out.status.code(), Some(1));
    let ws = &r["workspaces"][0];
    assert!(
        ws["id"]
            .as_str()
            .unwrap()
            .ends_with("/workspaces/GET-PREREQ-workspaceName")
    );
    assert_eq!(
        status(&r, "AML-NS-01"),
        "unknown",
        "the workspace is not deployed"
    );
    assert_eq!(status(&r, "AML-AM-03"), "unknown", "nor are its tags");
    // The compute the template adds fails; other computes may exist: one unknown instance.
    let im01 = result(&r, "AML-IM-01");
    assert_eq!(im01["status"], "fail");
    let statuses: Vec<&str> = im01["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["unknown", "fail"]);
    assert_eq!(
        r["summary"]["error"], 0,
        "nothing the template cannot tell is an error"
    );
}

#[test]
fn symbolic_names_copy_loops_private_endpoints_and_nested_deployments() {
    let (r, _) = report(&["--template", SYNTHETIC, "--parameter", STORAGE]);
    for (control, want) in [
        ("AML-NS-01", "pass"),
        ("AML-NS-02", "pass"),    // the template's private endpoint: Approved
        ("AML-NS-36", "fail"),    // a manual connection: Pending
        ("AML-NS-15", "unknown"), // an existing storage account passed by id
        ("AML-IM-01", "pass"),    // both computes of the copy loop
        ("AML-LT-01", "pass"),    // diagnostic settings scoped by symbolic name
        ("AML-IM-08", "fail"),    // the nested deployment's key-auth endpoint
    ] {
        assert_eq!(status(&r, control), want, "{control}");
    }
    assert_eq!(
        result(&r, "AML-IM-01")["resources"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let t = amlsec::source::template::load(
        Path::new(&format!("{}/{SYNTHETIC}", env!("CARGO_MANIFEST_DIR"))),
        None,
        &[STORAGE.to_string(), "prefix=\"[not an expression\"".into()],
        None,
        amlsec::cloud::Cloud::Public,
    )
    .unwrap();
    // A parameter value is data: a leading `[` is not evaluated.
    assert!(
        t.documents
            .find(&format!(
                "{RG}/providers/Microsoft.KeyVault/vaults/kv-[not an expression"
            ))
            .is_some()
    );
}

fn bad(name: &str, text: &str, args: &[&str], message: &str, position: &str) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("templates");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(name);
    std::fs::write(&file, text).unwrap();
    // Bounded work is asserted by the error the budget gives, not by a clock.
    let out = amlsec()
        .args(["audit", "--template", file.to_str().unwrap()])
        .args(args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{name}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(message), "{name}: {stderr}");
    assert!(
        stderr.contains(&format!("{}{position}", file.display())),
        "{name}: no {position} in {stderr}"
    );
    assert!(out.stdout.is_empty(), "nothing audited");
}

const SCHEMA: &str = r#""$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#""#;

#[test]
fn bad_templates_are_one_clear_error_each() {
    bad(
        "not-json.json",
        "{\n  \"resources\": [,]\n}",
        &[],
        "not valid JSON",
        ":2:",
    );
    bad(
        "no-resources.json",
        "{\"parameters\": {}}",
        &[],
        "not an ARM template",
        ":1:1",
    );
    bad(
        "no-value.json",
        &format!(
            "{{{SCHEMA},\n \"parameters\": {{\n  \"name\": {{\"type\": \"string\"}}}},\n \"resources\": []}}"
        ),
        &[],
        "parameter name has no value",
        ":3:11",
    );
    bad(
        "cycle.json",
        &format!(
            "{{{SCHEMA},\n \"variables\": {{\"a\": \"[variables('b')]\",\n  \"b\": \"[variables('a')]\"}},\n \"resources\": [{{\"type\": \"Microsoft.Storage/storageAccounts\", \"apiVersion\": \"2023-01-01\", \"name\": \"[variables('a')]\"}}]}}"
        ),
        &[],
        "refers to itself",
        ":",
    );
    let copy = |count: &str| {
        format!(
            "{{{SCHEMA},\n \"resources\": [{{\"type\": \"Microsoft.Storage/storageAccounts\", \"apiVersion\": \"2023-01-01\",\n  \"name\": \"[concat('st', copyIndex())]\", \"copy\": {{\"name\": \"c\", \"count\": {count}}}}}]}}"
        )
    };
    bad(
        "copy-text.json",
        &copy("\"many\""),
        &[],
        "a copy count that is not a number",
        ":3:",
    );
    bad(
        "copy-huge.json",
        &copy("1000000000"),
        &[],
        "a copy count of 1000000000",
        ":3:",
    );
    bad(
        "bad-expression.json",
        &format!(
            "{{{SCHEMA},\n \"resources\": [{{\"type\": \"Microsoft.Storage/storageAccounts\", \"apiVersion\": \"2023-01-01\",\n  \"name\": \"[concat('a',]\"}}]}}"
        ),
        &[],
        "an expression ends too early",
        ":3:",
    );
    bad(
        "subscription-scope.json",
        r#"{"$schema": "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#", "resources": []}"#,
        &[],
        "only resource-group deployment templates",
        ":1:",
    );
    bad(
        "nothing-aml.json",
        &format!("{{{SCHEMA}, \"resources\": []}}"),
        &[],
        "the template deploys no Azure ML workspace, AML registry or Foundry account",
        "",
    );
    amlsec()
        .args([
            "audit",
            "--template",
            VNET,
            "--snapshot",
            "examples/default-workspace.json",
        ])
        .assert()
        .code(2);
    amlsec()
        .args(["audit", "--template", VNET, "--parameter", "novalue"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("expected NAME=VALUE"));
}

#[test]
fn a_parameter_outside_its_constraints_is_a_warning_not_a_stop() {
    amlsec()
        .args(["audit", "--template", VNET, "--parameters", VNET_PARAMS])
        .args(["--parameter", "location=mars"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "warning: parameter location: \"mars\" is not one of its allowedValues",
        ));
}

#[test]
fn a_pull_request_is_judged_against_the_estate_it_changes() {
    // The compute-instance quickstart adds a compute to the hardened example's workspace.
    let (r, out) = report(&[
        "--template",
        CI,
        "--parameters",
        CI_PARAMS,
        "--parameter",
        "workspaceName=mlw-hardened",
        "--snapshot",
        "examples/hardened-workspace.json",
        "--deployment-scope",
        "/subscriptions/5b1c8a3e-0d4f-4c7e-9a61-2f3e4d5c6b7a/resourceGroups/rg-ml-prod",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        r["workspaces"].as_array().unwrap().len(),
        1,
        "only what the template touches"
    );
    assert_eq!(r["registries"], serde_json::json!([]));
    assert_eq!(
        status(&r, "AML-NS-01"),
        "pass",
        "the workspace is read from the estate"
    );
    let im01 = result(&r, "AML-IM-01");
    assert_eq!(im01["status"], "fail");
    let failing: Vec<&str> = im01["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["status"] == "fail")
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        failing.len(),
        1,
        "the estate's computes pass, the new one fails"
    );
    assert!(failing[0].ends_with("/computes/GEN-UNIQUE-8"));
    assert_eq!(
        r["summary"]["unknown"],
        Value::Null,
        "nothing is unknown against an estate"
    );
}

#[test]
fn what_if_after_payloads_are_audited() {
    let (r, out) = report(&[
        "--what-if",
        "tests/data/templates/what-if/workspace-what-if.json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(status(&r, "AML-NS-01"), "fail");
    assert_eq!(
        status(&r, "AML-DP-06"),
        "pass",
        "the storage the change creates"
    );
    assert_eq!(
        status(&r, "AML-NS-17"),
        "unknown",
        "the key vault what-if ignores"
    );
    assert_eq!(
        result(&r, "AML-NS-01")["resources"][0]["location"]["line"],
        8
    );
    amlsec()
        .args(["audit", "--what-if", VNET])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a what-if result"));
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("what-if");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, text, message) in [
        (
            "kind.json",
            "{\"changes\": [\n {\"changeType\": \"Bogus\"}]}",
            "unknown changeType `Bogus`",
        ),
        (
            "no-id.json",
            "{\"changes\": [\n {\"changeType\": \"Create\", \"after\": {\"name\": \"x\"}}]}",
            "a change without a resource id",
        ),
        ("not-json.json", "{\"changes\": [", "not valid JSON"),
    ] {
        let file = dir.join(name);
        std::fs::write(&file, text).unwrap();
        amlsec()
            .args(["audit", "--what-if", file.to_str().unwrap()])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(message))
            .stderr(predicate::str::contains(format!("{}:", file.display())));
    }
}

/// Bicep modules compile to nested deployments whose outputs the next module reads with
/// `reference(...).outputs.x.value`: known when the output is.
#[test]
fn the_hub_quickstart_links_its_modules_through_their_outputs() {
    let (r, out) = report(&[
        "--template",
        "tests/data/templates/aistudio-entraid-passthrough/azuredeploy.json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    for (control, want) in [
        ("AML-NS-17", "pass"), // the key vault from the dependencies module denies by default
        ("AML-BR-04", "pass"), // with purge protection
        ("AML-DP-07", "pass"), // storage: no anonymous blob access
        ("AML-NS-18", "pass"), // registry: public access disabled
        ("AML-IM-05", "fail"), // registry admin user enabled
        ("AML-IM-04", "pass"), // the hub's Azure OpenAI connection uses Entra
        ("AML-NS-01", "fail"), // the hub is public
    ] {
        assert_eq!(status(&r, control), want, "{control}");
    }
}

/// A template whose storage account is named by `name` (an expression), with `variables`.
fn named_by(name: &str, variables: &str) -> String {
    format!(
        "{{{SCHEMA},\n \"variables\": {{{variables}}},\n \"resources\": [{{\"type\": \"Microsoft.Storage/storageAccounts\", \"apiVersion\": \"2023-01-01\", \"name\": \"{name}\"}}]}}"
    )
}

#[test]
fn hostile_expressions_are_errors_not_panics_or_aborts() {
    for f in [
        "toLower", "toUpper", "trim", "length", "string", "json", "base64", "int", "not",
    ] {
        bad(
            &format!("{f}-no-args.json"),
            &named_by(&format!("[{f}()]"), ""),
            &[],
            &format!("{f}() "),
            ":",
        );
    }
    let chain = format!("[json('{{}}'){}]", ".a".repeat(50_000));
    bad(
        "member-chain.json",
        &named_by(&chain, ""),
        &[],
        "nested deeper than",
        ":",
    );
    let index_chain = format!("[createArray(1){}]", "[0]".repeat(50_000));
    bad(
        "index-chain.json",
        &named_by(&index_chain, ""),
        &[],
        "nested deeper than",
        ":",
    );
    let variables: Vec<String> = (0..3_000)
        .map(|i| format!("\"v{i}\": \"[variables('v{}')]\"", i + 1))
        .chain(std::iter::once("\"v3000\": \"x\"".to_string()))
        .collect();
    bad(
        "variable-chain.json",
        &named_by("[variables('v0')]", &variables.join(",\n")),
        &[],
        "is defined through more than",
        ":",
    );
    bad(
        "replace-blowup.json",
        &named_by(
            "[replace(padLeft('a', 60000, 'b'), 'b', padLeft('c', 60000, 'c'))]",
            "",
        ),
        &[],
        "replace() would build a string longer than",
        ":",
    );
    bad(
        "range-overflow.json",
        &named_by("[string(range(9223372036854775807, 2))]", ""),
        &[],
        "range() past the largest integer",
        ":",
    );
    // The total work of all expressions is bounded: nested lambdas over ranges would compute
    // 10^8 values, and copy loops of unions 10^9 comparisons.
    bad(
        "lambda-blowup.json",
        &named_by(
            "[string(length(map(range(0, 10000), lambda('x', map(range(0, 10000), lambda('y', lambdaVariables('y')))))))]",
            "",
        ),
        &[],
        "amlsec's evaluation budget",
        ":",
    );
    bad(
        "union-blowup.json",
        &named_by(
            "[string(length(reduce(range(0, 3000), createArray(), lambda('acc', 'i', union(lambdaVariables('acc'), range(lambdaVariables('i'), 10000))))))]",
            "",
        ),
        &[],
        "amlsec's evaluation budget",
        ":",
    );
}

#[test]
fn template_property_names_are_read_case_insensitively_as_arm_reads_them() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("templates");
    std::fs::create_dir_all(&dir).unwrap();
    let workspace = |properties: &str| {
        format!(
            "{{{SCHEMA},\n \"Resources\": [{{\"Type\": \"Microsoft.MachineLearningServices/workspaces\", \"ApiVersion\": \"2024-04-01\", \"Name\": \"mlw-case\", \"Location\": \"westeurope\",\n  \"{properties}\": {{\"hbiWorkspace\": true, \"publicNetworkAccess\": \"Disabled\", \"description\": \"TLS1_0\"}}}}]}}"
        )
    };
    let mut verdicts = Vec::new();
    for spelling in ["properties", "Properties", "PROPERTIES"] {
        let file = dir.join(format!("case-{spelling}.json"));
        std::fs::write(&file, workspace(spelling)).unwrap();
        let out = amlsec()
            .args([
                "audit",
                "--template",
                file.to_str().unwrap(),
                "--format",
                "json",
                "--level",
                "2",
            ])
            .output()
            .unwrap();
        let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!("{spelling}: {e}: {}", String::from_utf8_lossy(&out.stderr))
        });
        assert_eq!(
            status(&report, "AML-DP-02"),
            "pass",
            "{spelling}: the properties are read"
        );
        let text = report["workspaces"].to_string();
        verdicts.push(text.replace(&format!("case-{spelling}.json"), "case.json"));
    }
    assert!(
        verdicts[0] == verdicts[1],
        "Properties is read as properties"
    );
    assert!(
        verdicts[0] == verdicts[2],
        "PROPERTIES is read as properties"
    );
}

#[test]
fn a_misspelt_parameter_is_an_error_with_the_closest_name() {
    amlsec()
        .args(["audit", "--template", VNET, "--parameters", VNET_PARAMS])
        .args(["--parameter", "workspaceNam=mlw-typo"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--parameter workspaceNam: the template has no parameter workspaceNam; did you mean workspaceName?",
        ));
    amlsec()
        .args(["audit", "--template", VNET, "--parameters", VNET_PARAMS])
        .args(["--parameter", "zzzz=1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("; it declares "));
}

#[test]
fn a_workspace_what_if_cannot_describe_is_unknown_not_gone() {
    let fixture: Value = serde_json::from_str(
        &std::fs::read_to_string("tests/data/templates/what-if/workspace-what-if.json").unwrap(),
    )
    .unwrap();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("what-if");
    std::fs::create_dir_all(&dir).unwrap();
    let is_workspace = |c: &Value| {
        c["resourceId"]
            .as_str()
            .is_some_and(|id| id.ends_with("/workspaces/mlw-pr"))
    };
    for (name, edit) in [
        ("ignore", json!({"changeType": "Ignore"})),
        ("unsupported", json!({"changeType": "Unsupported"})),
        (
            "modify-without-after",
            json!({"changeType": "Modify", "after": null}),
        ),
        ("create-without-after", json!({"changeType": "Create"})),
    ] {
        let mut changed = fixture.clone();
        let pointer = match changed.get("changes") {
            Some(_) => "/changes",
            None => "/properties/changes",
        };
        let changes = changed
            .pointer_mut(pointer)
            .and_then(Value::as_array_mut)
            .unwrap();
        let ws = changes.iter_mut().find(|c| is_workspace(c)).unwrap();
        let obj = ws.as_object_mut().unwrap();
        obj.remove("after");
        for (k, v) in edit.as_object().unwrap() {
            obj.insert(k.clone(), v.clone());
        }
        let file = dir.join(format!("{name}.json"));
        std::fs::write(&file, changed.to_string()).unwrap();
        let (r, _) = report(&["--what-if", file.to_str().unwrap()]);
        assert_eq!(
            r["workspaces"].as_array().unwrap().len(),
            1,
            "{name}: the workspace is reported"
        );
        assert_eq!(status(&r, "AML-NS-01"), "unknown", "{name}");
        assert_eq!(status(&r, "AML-DP-02"), "unknown", "{name}");
    }
}

#[test]
fn secure_parameters_are_never_printed() {
    const SECRET: &str = "Sup3rS3cret-9f2";
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("templates");
    std::fs::create_dir_all(&dir).unwrap();
    let template = |owner: &str| {
        format!(
            "{{{SCHEMA},\n \"parameters\": {{\"adminPassword\": {{\"type\": \"securestring\"}}, \"settings\": {{\"type\": \"secureObject\", \"defaultValue\": {{\"token\": \"obj-{SECRET}\"}}}}}},\n \"resources\": [{{\"type\": \"Microsoft.MachineLearningServices/workspaces\", \"apiVersion\": \"2024-04-01\", \"name\": \"mlw-secure\", \"location\": \"westeurope\",\n  \"tags\": {{\"owner\": \"{owner}\", \"note\": \"[concat('pw:', parameters('adminPassword'))]\", \"other\": \"[parameters('settings').token]\"}}, \"properties\": {{}}}}]}}"
        )
    };
    let file = dir.join("secure.json");
    std::fs::write(&file, template("team")).unwrap();
    let password = format!("adminPassword={SECRET}");
    let reports = dir.join("secure-reports");
    std::fs::create_dir_all(&reports).unwrap();
    let mut args = vec![
        "audit".to_string(),
        "--template".into(),
        file.display().to_string(),
        "--parameter".into(),
        password.clone(),
        "--level".into(),
        "2".into(),
    ];
    for ext in ["json", "sarif", "xml", "md", "csv", "html"] {
        args.push("--output".into());
        args.push(reports.join(format!("report.{ext}")).display().to_string());
    }
    let out = amlsec().args(&args).output().unwrap();
    assert!(out.status.code().is_some_and(|c| c <= 1), "{out:?}");
    let mut everything = String::from_utf8_lossy(&out.stdout).to_string();
    everything.push_str(&String::from_utf8_lossy(&out.stderr));
    for entry in std::fs::read_dir(&reports).unwrap() {
        everything.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    assert!(everything.contains("<secure>"), "shown as <secure>");
    assert!(!everything.contains(SECRET), "a secure value is printed");
    // In an error too: int() of the password.
    std::fs::write(
        &file,
        template("[string(int(parameters('adminPassword')))]"),
    )
    .unwrap();
    let out = amlsec()
        .args([
            "audit",
            "--template",
            file.to_str().unwrap(),
            "--parameter",
            &password,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("int()") && !stderr.contains(SECRET),
        "{stderr}"
    );
}

#[test]
fn bicep_module_parameters_and_environment_are_evaluated() {
    // A module parameter as Bicep compiles an optional one: one expression whose value is the
    // `{"value": ...}` object; and a zone named from environment(), as the AVM modules do.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("templates");
    std::fs::create_dir_all(&dir).unwrap();
    let text = format!(
        r#"{{{SCHEMA},
 "parameters": {{"hbi": {{"type": "bool", "defaultValue": true}}, "zones": {{"type": "object", "defaultValue": {{"azurecloud": "privatelink.api.azureml.ms"}}}}}},
 "resources": [
  {{"type": "Microsoft.Network/privateDnsZones", "apiVersion": "2020-06-01", "name": "[parameters('zones')[toLower(environment().name)]]", "location": "global"}},
  {{"type": "Microsoft.Network/privateDnsZones", "apiVersion": "2020-06-01", "name": "[format('privatelink.blob.{{0}}', environment().suffixes.storage)]", "location": "global"}},
  {{"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "workspace",
   "properties": {{"mode": "Incremental", "expressionEvaluationOptions": {{"scope": "inner"}},
    "parameters": {{"hbiWorkspace": "[if(empty(parameters('hbi')), createObject('value', false()), createObject('value', parameters('hbi')))]"}},
    "template": {{{SCHEMA}, "parameters": {{"hbiWorkspace": {{"type": "bool"}}}},
     "resources": [{{"type": "Microsoft.MachineLearningServices/workspaces", "apiVersion": "2024-04-01", "name": "mlw-module", "location": "westeurope",
       "properties": {{"hbiWorkspace": "[parameters('hbiWorkspace')]", "publicNetworkAccess": "Disabled"}}}}]}}}}}}
 ]}}"#
    );
    let file = dir.join("bicep-module.json");
    std::fs::write(&file, text).unwrap();
    let (r, out) = report(&["--template", file.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("known only at deployment"), "{stderr}");
    assert_eq!(
        status(&r, "AML-DP-02"),
        "pass",
        "the module parameter is applied"
    );
}

#[test]
fn azure_verified_modules_audit_without_refusal_or_silent_skips() {
    let file = Path::new(env!("CARGO_TARGET_TMPDIR")).join("avm-estate.json");
    std::fs::write(&file, serde_json::to_string(&avm_estate()).unwrap()).unwrap();
    let (report, out) = report(&["--template", file.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("warning:"), "nothing is skipped: {stderr}");
    // One subject of each kind: the workspace, the AML registry and the Foundry account.
    for section in ["workspaces", "registries", "foundryAccounts"] {
        assert_eq!(report[section].as_array().unwrap().len(), 1, "{section}");
    }
    // What the template cannot tell is only what depends on the deployment or lies outside it.
    let allowed = [
        "outside the template",
        "referenced by the template, not deployed by it",
        "which the template does not deploy",
    ];
    for section in ["workspaces", "registries", "foundryAccounts"] {
        for r in report[section][0]["results"].as_array().unwrap() {
            let message = r["message"].as_str().unwrap_or_default();
            match r["status"].as_str().unwrap() {
                "error" => panic!("{}: {message}", r["control"]),
                "unknown" => assert!(
                    allowed.iter().any(|a| message.contains(a)),
                    "{}: {message}",
                    r["control"]
                ),
                _ => {}
            }
        }
    }
    // The modules' secure defaults are read as deployed: local auth off, public access off.
    let foundry = |control: &str| status_in(&report, "foundryAccounts", control);
    assert_eq!(foundry("AML-IM-16"), "pass");
    assert_eq!(
        foundry("AML-IM-18"),
        "pass",
        "the identity Bicep builds with lambdas"
    );
}

#[test]
fn each_module_that_deploys_a_subject_audits_alone() {
    for module in [
        "cognitive-services-account",
        "machine-learning-services-workspace",
        "machine-learning-services-registry",
    ] {
        let dir = format!("tests/data/templates/avm/{module}");
        let (_, out) = report(&[
            "--template",
            &format!("{dir}/main.json"),
            "--parameters",
            &format!("{dir}/main.parameters.json"),
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_ne!(out.status.code(), Some(2), "{module}: {stderr}");
        assert!(!stderr.contains("warning:"), "{module}: {stderr}");
    }
}

/// A what-if result that creates a Foundry account and a deployment judges them before they
/// exist; a created account has only the children the result creates.
#[test]
fn a_foundry_account_in_a_what_if_result_is_audited() {
    let docs: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/foundry-exposed.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let change = |suffix: &str| {
        let doc = docs
            .iter()
            .find(|d| d["id"].as_str().unwrap().ends_with(suffix))
            .unwrap();
        let mut after = doc.clone();
        after["apiVersion"] = json!("2025-12-01");
        json!({"resourceId": doc["id"], "changeType": "Create", "after": after})
    };
    let what_if = json!({"status": "Succeeded", "changes": [
        change("accounts/myAccount"),
        change("deployments/deploymentName"),
    ]});
    let file = Path::new(env!("CARGO_TARGET_TMPDIR")).join("foundry-what-if.json");
    std::fs::write(&file, what_if.to_string()).unwrap();
    let (report, out) = report(&["--what-if", file.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let status = |control: &str| status_in(&report, "foundryAccounts", control);
    assert_eq!(status("AML-IM-16"), "fail", "local auth is on");
    assert_eq!(
        status("AML-PV-14"),
        "fail",
        "the deployment upgrades on its own"
    );
    assert_eq!(
        status("AML-IM-19"),
        "not_applicable",
        "a new account has no connections"
    );
}

/// A private endpoint in a nested deployment, its connections chosen by
/// `if(equals(parameters('type'), 'AutoApproval'), ...)`: the parameters file's choice decides
/// AML-NS-02, and a --parameter overrides it.
#[test]
fn a_nested_private_endpoint_chosen_by_a_parameter_approves_the_workspace() {
    let template = "tests/data/templates/synthetic/nested-private-endpoint.json";
    let parameters = "tests/data/templates/synthetic/nested-private-endpoint.parameters.json";
    let (auto, _) = report(&["--template", template, "--parameters", parameters]);
    assert_eq!(status(&auto, "AML-NS-02"), "pass");
    let (manual, _) = report(&[
        "--template",
        template,
        "--parameters",
        parameters,
        "--parameter",
        "approval=ManualApproval",
    ]);
    assert_eq!(
        status(&manual, "AML-NS-02"),
        "fail",
        "a manual connection is Pending"
    );
}
