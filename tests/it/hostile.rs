//! Fail closed: each class of hostile or careless input, live and offline, ends as `error` or
//! as an input error (exit 2 with file:line:column), never as a pass, an empty list, a panic,
//! or an unbounded read.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use assert_cmd::Command;
use assert_cmd::cargo::cargo_bin_cmd;
use predicates::prelude::*;
use serde_json::{Value, json};

const SUB: &str = "/subscriptions/5b1c8a3e-0d4f-4c7e-9a61-2f3e4d5c6b7a";
const DEFAULT_WS: &str = "/subscriptions/5b1c8a3e-0d4f-4c7e-9a61-2f3e4d5c6b7a/resourceGroups/rg-ml-sandbox/providers/Microsoft.MachineLearningServices/workspaces/mlw-quickstart";
const HARDENED_WS: &str = "/subscriptions/5b1c8a3e-0d4f-4c7e-9a61-2f3e4d5c6b7a/resourceGroups/rg-ml-prod/providers/Microsoft.MachineLearningServices/workspaces/mlw-hardened";
const DEFAULT: &str = "examples/default-workspace.json";
const HARDENED: &str = "examples/hardened-workspace.json";

fn amlsec() -> Command {
    let mut cmd = cargo_bin_cmd!("amlsec");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("AMLSEC_ACCESS_TOKEN", "token-for-tests")
        .env_remove("AZURE_SUBSCRIPTION_ID")
        .env_remove("NO_COLOR")
        .env("COLUMNS", "100");
    cmd
}

fn manifest(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn scratch(name: &str, content: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hostile");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

fn offline(snapshot: &Path, extra: &[&str]) -> (Option<i32>, Value) {
    let out = amlsec()
        .args(["audit", "--snapshot"])
        .arg(snapshot)
        .args(["--level", "2", "--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code(), report)
}

fn result<'r>(report: &'r Value, control: &str) -> &'r Value {
    report["workspaces"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["control"] == control)
        .unwrap_or_else(|| panic!("no {control}"))
}

fn status(report: &Value, control: &str) -> String {
    result(report, control)["status"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Every control's status, in report order.
fn statuses(report: &Value) -> Vec<(String, String)> {
    report["workspaces"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|w| w["results"].as_array().unwrap())
        .map(|r| (r["control"].to_string(), r["status"].to_string()))
        .collect()
}

/// An input error: exit 2, nothing on stdout, the message on stderr.
fn rejected(cmd: &mut Command, expected: &str) {
    cmd.assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(expected))
        .stderr(predicate::str::contains("panicked").not());
}

// 1 and 2. Live replies that are not ARM replies, redirects, endless bodies, credentials.
#[cfg(feature = "live")]
mod live_replies {
    use super::*;
    use crate::common::fake_arm::{FakeArm, Fault};
    use amlsec::source::snapshot;
    use std::time::Duration;

    fn server(example: &str, faults: Vec<Fault>) -> FakeArm {
        let docs = snapshot::load(&manifest(example), amlsec::input::SNAPSHOT_LIMIT).unwrap();
        FakeArm::start(docs, 50, Duration::ZERO, faults)
    }

    fn live(fake: &FakeArm, ws: &str, extra: &[&str]) -> (Option<i32>, Value) {
        let out = amlsec()
            .args([
                "audit",
                "--arm-endpoint",
                &fake.endpoint(),
                "--auth",
                "token",
            ])
            .args(["--workspace", ws, "--level", "2", "--format", "json"])
            .args(extra)
            .output()
            .unwrap();
        let report = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
        (out.status.code(), report)
    }

    #[test]
    fn list_replies_that_are_not_arm_lists_are_failed_reads() {
        let roles = format!("{DEFAULT_WS}/providers/Microsoft.Authorization/roleAssignments");
        let computes = format!("{DEFAULT_WS}/computes");
        for body in [
            "{}",
            r#"{"value": 5}"#,
            "[]",
            "null",
            r#"{"value": [{"name": "no id"}]}"#,
            r#"{"value": [{"id": ""}]}"#,
            // The list's end is unknown: a nextLink that is not a string, or an error beside it.
            r#"{"value": [], "nextLink": 5}"#,
            r#"{"value": [], "nextLink": {"href": "x"}}"#,
            r#"{"value": [], "error": {"code": "InternalServerError", "message": "partial"}}"#,
        ] {
            let fake = server(
                DEFAULT,
                vec![
                    Fault::new(&roles, 200).exact().body(body),
                    Fault::new(&computes, 200).exact().body(body),
                ],
            );
            let (_, report) = live(&fake, DEFAULT_WS, &[]);
            for control in ["AML-PA-01", "AML-NS-25", "AML-IM-01"] {
                assert_eq!(status(&report, control), "error", "{control} with {body}");
                let message = result(&report, control)["message"].as_str().unwrap();
                assert!(message.contains("InvalidResponse"), "{body}: {message}");
            }
        }
    }

    #[test]
    fn get_replies_that_are_not_the_resource_asked_for_are_failed_reads() {
        let storage = format!(
            "{SUB}/resourceGroups/rg-ml-sandbox/providers/Microsoft.Storage/storageAccounts/stquickstart"
        );
        for body in [
            r#"[{"id": "x"}]"#.to_string(),
            "42".into(),
            json!({"name": "no id"}).to_string(),
            json!({"id": format!("{SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/other")}).to_string(),
        ] {
            let fake = server(DEFAULT, vec![Fault::new(&storage, 200).exact().body(&body)]);
            let (_, report) = live(&fake, DEFAULT_WS, &[]);
            assert_eq!(status(&report, "AML-NS-15"), "error", "{body}");
            assert!(
                result(&report, "AML-NS-15")["message"]
                    .as_str()
                    .unwrap()
                    .contains("InvalidResponse")
            );
        }
    }

    // 2. Redirects.

    #[test]
    fn redirects_are_followed_only_to_the_same_origin() {
        let roles = format!("{DEFAULT_WS}/providers/Microsoft.Authorization/roleAssignments");
        // Another origin on loopback (another port) answering as if no role were assigned.
        let elsewhere = FakeArm::start(
            amlsec::documents::Documents::default(),
            50,
            Duration::ZERO,
            vec![Fault::new("/", 200).body(r#"{"value": []}"#)],
        );
        let target = format!("{}{roles}?api-version=2022-04-01", elsewhere.endpoint());
        let fake = server(
            DEFAULT,
            vec![Fault::new(&roles, 302).exact().header("location", &target)],
        );
        let (_, report) = live(&fake, DEFAULT_WS, &[]);
        assert_eq!(status(&report, "AML-PA-01"), "error");
        let message = result(&report, "AML-PA-01")["message"].as_str().unwrap();
        assert!(
            message.contains("redirect to another origin refused"),
            "{message}"
        );
        assert!(elsewhere.seen().is_empty(), "no request left the origin");
    }

    #[test]
    fn same_origin_redirects_are_followed() {
        let roles = format!("{DEFAULT_WS}/providers/Microsoft.Authorization/roleAssignments");
        // A relative Location stays on the endpoint's origin.
        let fake = server(
            DEFAULT,
            vec![
                Fault::new(&roles, 307)
                    .exact()
                    .times(1)
                    .header("location", &format!("{roles}?api-version=2022-04-01")),
            ],
        );
        let (_, report) = live(&fake, DEFAULT_WS, &[]);
        assert_eq!(status(&report, "AML-PA-01"), "fail");
    }

    // 5 and 12. Bounded replies; Retry-After within the timeout; no credentials in the endpoint.

    #[test]
    fn reply_bodies_past_the_limit_are_failed_reads() {
        let computes = format!("{DEFAULT_WS}/computes");
        let huge = format!(r#"{{"value": [], "pad": "{}"}}"#, "x".repeat(2 << 20));
        let fake = server(
            DEFAULT,
            vec![Fault::new(&computes, 200).exact().body(&huge)],
        );
        let (_, report) = live(&fake, DEFAULT_WS, &["--max-reply-size", "1MiB"]);
        assert_eq!(status(&report, "AML-NS-25"), "error");
        let message = result(&report, "AML-NS-25")["message"].as_str().unwrap();
        assert!(message.contains("larger than 1048576 bytes"), "{message}");
    }

    #[test]
    fn endless_pages_stop_at_the_runs_reply_budget() {
        // Every page of the compute list links to another: 300 KB each, for ever.
        let computes = format!("{DEFAULT_WS}/computes");
        let fake = server(DEFAULT, vec![]);
        let next = format!(
            "{}{computes}?api-version=2025-12-01&$skiptoken=more",
            fake.endpoint()
        );
        let item = json!({"id": format!("{computes}/c"), "name": "c", "properties": {"computeType": "AmlCompute", "description": "x".repeat(300_000)}});
        let page = json!({"value": [item], "nextLink": next}).to_string();
        fake.add_fault(Fault::new(&computes, 200).exact().body(&page));
        let (_, report) = live(&fake, DEFAULT_WS, &["--max-run-reply-size", "4MiB"]);
        assert_eq!(status(&report, "AML-IM-01"), "error");
        let message = result(&report, "AML-IM-01")["message"].as_str().unwrap();
        assert!(message.contains("--max-run-reply-size"), "{message}");
        let pages = fake
            .seen()
            .iter()
            .filter(|s| s.path_and_query.contains("/computes?"))
            .count();
        assert!(pages < 20, "stopped after {pages} pages, not 1,000");
    }

    #[test]
    fn a_retry_after_past_the_runs_deadline_fails_the_read_at_once() {
        let kv = format!(
            "{SUB}/resourceGroups/rg-ml-prod/providers/Microsoft.KeyVault/vaults/kv-hardened"
        );
        let fake = server(
            HARDENED,
            vec![Fault::new(&kv, 429).exact().header("retry-after", "120")],
        );
        let (_, report) = live(&fake, HARDENED_WS, &["--max-duration", "5"]);
        assert_eq!(status(&report, "AML-PA-04"), "error");
        let message = result(&report, "AML-PA-04")["message"].as_str().unwrap();
        assert!(
            message.contains("after the run's deadline (--max-duration)"),
            "{message}"
        );
    }

    #[test]
    fn credentials_in_the_endpoint_are_refused_and_never_echoed() {
        let out = amlsec()
            .args(["audit", "--workspace", DEFAULT_WS, "--auth", "token"])
            .args(["--arm-endpoint", "http://admin:hunter2@127.0.0.1:9/"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("remove the user name and password"),
            "{stderr}"
        );
        assert!(!stderr.contains("hunter2") && out.stdout.is_empty());
    }
}

// 3 and 4. Offline documents that cannot be read in full; inputs that used to panic or abort.

#[test]
fn documents_that_cannot_be_read_in_full_are_input_errors() {
    let ra = format!("{DEFAULT_WS}/providers/Microsoft.Authorization/roleAssignments/r1");
    let number = scratch(
        "number.json",
        format!("[\n{{\"id\": \"{DEFAULT_WS}\"}},\n{{\"id\": \"{ra}\",\n \"properties\": {{\"x\": 1e400}}}}\n]")
            .as_bytes(),
    );
    rejected(
        amlsec().args(["audit", "--snapshot"]).arg(&number),
        "number.json:4:26: number out of range",
    );
    let deep = scratch(
        "deep.json",
        format!(
            "[{{\"id\": \"{ra}\", \"properties\": {}1{}}}]",
            "[".repeat(150),
            "]".repeat(150)
        )
        .as_bytes(),
    );
    rejected(
        amlsec().args(["audit", "--snapshot"]).arg(&deep),
        "deep.json:1:",
    );
    rejected(
        amlsec().args(["audit", "--snapshot"]).arg(&deep),
        "nesting deeper than 128 levels",
    );
    // 20,000 nested list envelopes used to overflow the stack after a minute.
    let envelopes = scratch(
        "envelopes.json",
        format!(
            "[{}{{\"id\": \"{ra}\"}}{}]",
            "{\"value\": [".repeat(20_000),
            "]}".repeat(20_000)
        )
        .as_bytes(),
    );
    rejected(
        amlsec().args(["audit", "--snapshot"]).arg(&envelopes),
        "nesting deeper than 128 levels",
    );
}

#[test]
fn unicode_white_space_is_not_a_snapshot_and_a_byte_order_mark_is_allowed() {
    for (name, text) in [
        ("nbsp.json", "\u{a0}"),
        ("line-separator.json", "\u{2028}\n"),
        ("vtab.json", "\x0b"),
        ("mixed.json", " \u{a0}[]"),
    ] {
        rejected(
            amlsec()
                .args(["audit", "--snapshot"])
                .arg(scratch(name, text.as_bytes())),
            name,
        );
    }
    let mut with_bom = b"\xef\xbb\xbf".to_vec();
    with_bom.extend(std::fs::read(manifest(DEFAULT)).unwrap());
    let (code, report) = offline(&scratch("bom.json", &with_bom), &[]);
    let (plain_code, plain) = offline(&manifest(DEFAULT), &[]);
    assert_eq!((code, statuses(&report)), (plain_code, statuses(&plain)));
}

#[test]
fn closed_and_full_output_streams_do_not_panic() {
    let snapshot = manifest(DEFAULT);
    let runs: [(&[&str], i32); 4] = [
        (&["audit", "--snapshot", snapshot.to_str().unwrap()], 1),
        (&["rules", "list"], 0),
        (&["completions", "bash"], 0),
        (&["man"], 0),
    ];
    for (args, code) in runs {
        // The reader goes away before anything is written: the command's own exit code stands.
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_amlsec"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(code), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    if Path::new("/dev/full").exists() {
        let full = || {
            std::fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .unwrap()
        };
        // A full stderr is ignored; a full stdout cuts the report short: exit 2.
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_amlsec"))
            .args(["audit", "--snapshot", snapshot.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(full())
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(1));
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_amlsec"))
            .args(["audit", "--snapshot", snapshot.to_str().unwrap()])
            .stdout(full())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("cannot write <stdout>"));
    }
}

#[test]
fn endless_and_oversized_files_are_refused() {
    if Path::new("/dev/zero").exists() {
        // Refused at its first byte, which cannot start JSON, not after reading the limit.
        rejected(
            amlsec().args(["audit", "--snapshot", "/dev/zero"]),
            "/dev/zero:1:1: not valid JSON: it starts with the byte 0x00",
        );
        rejected(
            amlsec().args(["rules", "validate", "/dev/zero"]),
            "/dev/zero is larger than 16777216 bytes",
        );
        rejected(
            amlsec().args(["audit", "--snapshot", DEFAULT, "--exceptions", "/dev/zero"]),
            "/dev/zero is larger than 16777216 bytes",
        );
    }
    rejected(
        amlsec().args([
            "audit",
            "--snapshot",
            DEFAULT,
            "--max-snapshot-size",
            "1KiB",
        ]),
        "larger than 1024 bytes; raise the limit with --max-snapshot-size",
    );
}

#[test]
fn snapshots_are_read_in_pieces_from_files_and_standard_input() {
    // A document three times longer than the piece a snapshot is read in (1 MiB), of a kind
    // no control reads, before the default estate: it audits as the plain file does.
    let big = format!(
        "{{\"id\": \"{SUB}/resourceGroups/rg-other/providers/Microsoft.Web/sites/big\", \"notes\": \"{}\"}}",
        "é".repeat(1_500_000)
    );
    let plain = std::fs::read_to_string(manifest(DEFAULT)).unwrap();
    let text = format!("[{big},\n{}", plain.trim_start().strip_prefix('[').unwrap());
    let (plain_code, plain_report) = offline(&manifest(DEFAULT), &[]);
    let (code, report) = offline(&scratch("pieces.json", text.as_bytes()), &[]);
    assert_eq!(
        (code, statuses(&report)),
        (plain_code, statuses(&plain_report))
    );
    let out = amlsec()
        .args([
            "audit",
            "--snapshot",
            "-",
            "--level",
            "2",
            "--format",
            "json",
        ])
        .write_stdin(text.clone())
        .output()
        .unwrap();
    let from_stdin: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (out.status.code(), statuses(&from_stdin)),
        (plain_code, statuses(&plain_report))
    );
    // A problem after it is located in characters, not bytes, across the pieces.
    let bad = format!("[{big}, {{\"name\": \"x\"}}]");
    let column = bad.find(", {").unwrap() + 3;
    let column = bad[..column].chars().count();
    rejected(
        amlsec()
            .args(["audit", "--snapshot"])
            .arg(scratch("pieces-bad.json", bad.as_bytes())),
        &format!("pieces-bad.json:1:{column}: document has no `id`"),
    );
    rejected(
        amlsec()
            .args(["audit", "--snapshot", "-"])
            .write_stdin(bad.clone()),
        &format!("<stdin>:1:{column}: document has no `id`"),
    );
    // Standard input has no size to check up front: it is refused once past the limit.
    rejected(
        amlsec()
            .args(["audit", "--snapshot", "-", "--max-snapshot-size", "1MiB"])
            .write_stdin(bad),
        "<stdin>: larger than 1048576 bytes",
    );
}

// 6. Ids with a trailing `/` or blanks.

#[test]
fn trailing_slashes_and_blanks_on_ids_change_no_verdict() {
    for example in [DEFAULT, HARDENED, "examples/hub-and-project.json"] {
        let mut docs: Value =
            serde_json::from_str(&std::fs::read_to_string(manifest(example)).unwrap()).unwrap();
        let mut n = 0;
        mangle_ids(&mut docs, &mut n);
        assert!(n > 30, "{example}: {n} ids mangled");
        let mangled = scratch("mangled.json", docs.to_string().as_bytes());
        let (code, report) = offline(&mangled, &[]);
        let (plain_code, plain) = offline(&manifest(example), &[]);
        assert_eq!(code, plain_code, "{example}");
        assert_eq!(statuses(&report), statuses(&plain), "{example}");
    }
}

/// Gives every resource id a trailing `/`, and every third one surrounding blanks too.
fn mangle_ids(v: &mut Value, n: &mut usize) {
    match v {
        Value::String(s) if s.starts_with("/subscriptions/") || s.starts_with("/providers/") => {
            *n += 1;
            *s = if (*n).is_multiple_of(3) {
                format!("  {s}/ ")
            } else {
                format!("{s}/")
            };
        }
        Value::Array(items) => items.iter_mut().for_each(|i| mangle_ids(i, n)),
        Value::Object(map) => map.values_mut().for_each(|i| mangle_ids(i, n)),
        _ => {}
    }
}

// 7. Two documents with one id.

#[test]
fn duplicate_documents_follow_the_ruling_whatever_their_order() {
    let docs: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(manifest(DEFAULT)).unwrap()).unwrap();
    let full = docs
        .iter()
        .find(|d| {
            d["id"]
                .as_str()
                .is_some_and(|i| i.ends_with("/computes/ci-bob"))
        })
        .unwrap()
        .clone();
    let mut list_item = full.clone();
    list_item["properties"]
        .as_object_mut()
        .unwrap()
        .remove("properties");
    let (_, plain) = offline(&manifest(DEFAULT), &[]);
    for (name, first, second) in [
        ("item-first.json", &list_item, &full),
        ("full-first.json", &full, &list_item),
        ("twice.json", &full, &full),
    ] {
        let mut edited: Vec<Value> = docs
            .iter()
            .filter(|d| d["id"] != full["id"])
            .cloned()
            .collect();
        edited.push(first.clone());
        edited.push(second.clone());
        let (_, report) = offline(
            &scratch(name, Value::from(edited).to_string().as_bytes()),
            &[],
        );
        assert_eq!(statuses(&report), statuses(&plain), "{name}");
    }
    let mut conflicting = full.clone();
    conflicting["location"] = json!("elsewhere");
    let text = format!(
        "[\n{},\n{}\n]",
        serde_json::to_string(&docs)
            .unwrap()
            .trim_start_matches('[')
            .trim_end_matches(']'),
        conflicting
    );
    rejected(
        amlsec()
            .args(["audit", "--snapshot"])
            .arg(scratch("conflict.json", text.as_bytes())),
        "a second, different document with id",
    );
    rejected(
        amlsec()
            .args(["audit", "--snapshot"])
            .arg(scratch("conflict.json", text.as_bytes())),
        "conflict.json:3:1:",
    );
    rejected(
        amlsec()
            .args(["audit", "--snapshot"])
            .arg(scratch("conflict.json", text.as_bytes())),
        "(the first is at 2:",
    );

    // A document and a failed read of its id (baseline.md §1.6, v0.3): an input error naming
    // both places, unless the document is a list item whose own read failed (what `collect`
    // writes then), which makes that compute `error`.
    let storage = docs
        .iter()
        .find(|d| {
            d["id"]
                .as_str()
                .is_some_and(|i| i.ends_with("/storageAccounts/stquickstart"))
        })
        .unwrap();
    let failure = |id: &Value| json!([{"path": id, "status": 403, "code": "AuthorizationFailed"}]);
    let both = format!(
        "{{\"schema\": \"amlsec-snapshot/1\", \"documents\": {},\n\"errors\": {}}}",
        serde_json::to_string(&docs).unwrap(),
        failure(&storage["id"])
    );
    rejected(
        amlsec()
            .args(["audit", "--snapshot"])
            .arg(scratch("read-and-failed.json", both.as_bytes())),
        "read-and-failed.json:2:12: a failed read of",
    );
    rejected(
        amlsec()
            .args(["audit", "--snapshot"])
            .arg(scratch("read-and-failed.json", both.as_bytes())),
        "and a document with that id (the document is at 1:",
    );
    let mut with_item: Vec<Value> = docs
        .iter()
        .filter(|d| d["id"] != full["id"])
        .cloned()
        .collect();
    with_item.push(list_item.clone());
    let collected = json!({"schema": "amlsec-snapshot/1", "documents": with_item, "errors": failure(&full["id"])});
    let (_, report) = offline(
        &scratch("item-and-failed.json", collected.to_string().as_bytes()),
        &[],
    );
    assert_eq!(status(&report, "AML-PV-04"), "error");
}

// 11 and 12. Slow paths; smaller holes.

#[test]
fn huge_names_and_messages_are_clipped_in_the_table() {
    let name = "n".repeat(200_000);
    let ws = format!(
        "{SUB}/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/{name}"
    );
    let snapshot = scratch(
        "huge-name.json",
        json!([{"id": ws, "name": name, "properties": {}}])
            .to_string()
            .as_bytes(),
    );
    let out = amlsec()
        .args(["audit", "--snapshot"])
        .arg(&snapshot)
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("more characters)"), "clipped");
    assert!(table.len() < 400_000, "{} bytes", table.len());
}

#[test]
fn long_patterns_dates_and_empty_rule_sets_are_input_errors() {
    let long = scratch(
        "long-regex.yaml",
        format!(
            "category: network\ncontrols:\n  - id: X-01\n    title: t\n    severity: low\n    level: 1\n    mode: automated\n    target: workspace\n    remediation: r\n    pass: {{field: name, match: '{}'}}\n",
            ".*".repeat(1000)
        )
        .as_bytes(),
    );
    rejected(
        amlsec().args(["rules", "validate"]).arg(&long),
        "long-regex.yaml:10:",
    );
    let exceptions = scratch(
        "signed-date.yaml",
        b"- control: AML-NS-01\n  resource: '*'\n  reason: r\n  expires: 2027-+1-01\n",
    );
    rejected(
        amlsec()
            .args(["audit", "--snapshot", DEFAULT, "--exceptions"])
            .arg(&exceptions),
        "signed-date.yaml:4:",
    );
    let mut deep = String::from("{field: name, exists: true}");
    for _ in 0..200 {
        deep = format!("{{not: {deep}}}");
    }
    let deep = scratch(
        "deep-rule.yaml",
        format!(
            "category: network\ncontrols:\n  - id: X-01\n    title: t\n    severity: low\n    level: 1\n    mode: automated\n    target: workspace\n    remediation: r\n    pass: {deep}\n"
        )
        .as_bytes(),
    );
    rejected(
        amlsec().args(["rules", "validate"]).arg(&deep),
        "nesting deeper than the 64 levels a rule file may have",
    );
    let empty = scratch("empty-rules.yaml", b"category: network\ncontrols: []\n");
    rejected(
        amlsec()
            .args([
                "audit",
                "--snapshot",
                DEFAULT,
                "--no-builtin-rules",
                "--rules",
            ])
            .arg(&empty),
        "the rule files hold no controls",
    );
    rejected(
        amlsec().args(["audit", "--snapshot", DEFAULT, "--control", "AML-DP-01"]),
        "level-2 controls need --level 2",
    );
}

// Failed reads are kept beside documents, never as keys in them.

#[test]
fn no_key_in_a_snapshot_can_pass_itself_off_as_a_failed_read() {
    let mut docs: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(manifest(HARDENED)).unwrap()).unwrap();
    let ws = docs.iter_mut().find(|d| d["id"] == HARDENED_WS).unwrap();
    ws["properties"]["publicNetworkAccess"] =
        json!({"$amlsecUnreadable": {"path": "/forged", "message": "not really"}});
    let (_, report) = offline(
        &scratch("forged.json", Value::from(docs).to_string().as_bytes()),
        &[],
    );
    assert_eq!(
        status(&report, "AML-NS-01"),
        "fail",
        "an object is not Disabled"
    );
}
