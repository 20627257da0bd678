//! SARIF 2.1.0 for code-scanning tools: one rule per control, one result per failing resource
//! however many workspaces share it (waived ones as suppressions), the ARM id as the logical
//! location.

use serde_json::{Value, json};

use super::Report;
use crate::audit::{ControlResult, ResourceResult, Status};
use crate::rules::{Control, Severity};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// GitHub's `security-severity` scale (critical ≥ 9.0, high ≥ 7.0, medium ≥ 4.0, low > 0).
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

/// A stable fingerprint (FNV-1a 64) so code scanning tracks a finding across runs.
fn fingerprint(control: &str, resource: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in control
        .bytes()
        .chain([0])
        .chain(crate::arm_id::key(resource).bytes())
    {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

fn rule(c: &Control) -> Value {
    let help = match (&c.remediation, &c.guidance) {
        (Some(r), _) => r.clone(),
        (None, Some(g)) => g.clone(),
        (None, None) => String::new(),
    };
    let mut tags = vec![
        "security".to_string(),
        c.category.clone(),
        format!("level-{}", c.level),
    ];
    tags.extend(c.references.mcsb.iter().map(|m| format!("mcsb/{m}")));
    let mut rule = json!({
        "id": c.id,
        "name": c.id.replace('-', ""),
        "shortDescription": {"text": c.title},
        "fullDescription": {"text": format!("{} ({} control of the amlsec Azure ML baseline, target {})", c.title, c.category_title, c.target)},
        "help": {"text": help, "markdown": format!("**Fix:** {help}")},
        "defaultConfiguration": {"level": level(c.severity)},
        "properties": {"security-severity": security_severity(c.severity), "tags": tags, "precision": "very-high"},
    });
    if let Some(docs) = &c.docs {
        rule["helpUri"] = json!(docs);
    }
    rule
}

fn message(r: &ControlResult<'_>, res: &ResourceResult) -> String {
    let evidence: Vec<String> = res.evidence.iter().map(|e| e.to_string()).collect();
    format!(
        "{}: {} fails. {}",
        r.control.id,
        r.control.title,
        evidence.join("; ")
    )
}

fn result(r: &ControlResult<'_>, res: &ResourceResult, rule_index: usize) -> Value {
    // Code scanning wants a file location: the template line that declares the resource, or
    // else the ARM id standing in as a repository-relative URI.
    let physical = match &res.location {
        Some(l) => json!({
            "artifactLocation": {"uri": l.file.replace('\\', "/")},
            "region": {"startLine": l.line, "startColumn": l.column},
        }),
        None => json!({
            "artifactLocation": {"uri": format!("azure{}", res.id.to_ascii_lowercase())},
            "region": {"startLine": 1},
        }),
    };
    let mut out = json!({
        "ruleId": r.control.id,
        "ruleIndex": rule_index,
        "level": level(r.control.severity),
        "message": {"text": message(r, res)},
        "locations": [{
            "physicalLocation": physical,
            "logicalLocations": [{"fullyQualifiedName": res.id, "kind": "resource"}],
        }],
        "partialFingerprints": {"amlsecFinding/v1": fingerprint(&r.control.id, &res.id)},
        // The subjects whose audit found it, added by kind below.
        "properties": {},
    });
    // SARIF's own comparison with a previous run, when a --baseline was given.
    if let Some(seen) = res.baseline {
        out["baselineState"] = json!(match seen {
            crate::audit::baseline::Seen::New => "new",
            crate::audit::baseline::Seen::Known => "unchanged",
        });
    }
    if let Some(w) = &res.waiver {
        out["suppressions"] = json!([{
            "kind": "external",
            "status": "accepted",
            "justification": format!("{} (expires {}{})", w.reason, w.expires, w.approved_by.as_deref().map(|a| format!(", approved by {a}")).unwrap_or_default()),
        }]);
    }
    out
}

/// Generic over the writer: the pretty printer writes each token on its own, which through a
/// `dyn Write` was a virtual call apiece (a tenth of a 2,000-workspace audit).
pub fn write_sarif<W: std::io::Write>(report: &Report<'_>, mut out: W) -> std::io::Result<()> {
    let mut controls: Vec<&Control> = Vec::new();
    for r in report.subjects.iter().flat_map(|w| &w.results) {
        if !controls.iter().any(|c| c.id == r.control.id) {
            controls.push(r.control);
        }
    }
    controls.sort_by(|a, b| a.id.cmp(&b.id));
    let index = |id: &str| controls.iter().position(|c| c.id == id).unwrap_or(0);
    let mut results: Vec<Value> = Vec::new();
    let mut seen = std::collections::HashMap::new();
    let mut notifications = Vec::new();
    for e in &report.errors {
        notifications.push(json!({"level": "error", "message": {"text": format!("a list of subjects could not be read: {e}")}}));
    }
    for w in &report.subjects {
        if let Some(e) = &w.error {
            notifications.push(json!({"level": "error", "message": {"text": format!("{} {} could not be read: {e}", w.subject.noun.0, w.id)}}));
        }
        for r in &w.results {
            // An instance that could not be judged stays a result (kind `review`, with the
            // fingerprint its failure had), so code scanning keeps its alert open: a lost
            // Reader role must not mark every finding fixed.
            for res in r
                .resources
                .iter()
                .filter(|x| matches!(x.status, Status::Fail | Status::Waived | Status::Error))
            {
                // A hub's resource fails once, not once more for each of its projects.
                let key = (
                    r.control.id.as_str(),
                    crate::arm_id::key(&res.id),
                    res.waiver.is_some(),
                );
                let at = *seen.entry(key).or_insert_with(|| {
                    let mut found = result(r, res, index(&r.control.id));
                    if res.status == Status::Error {
                        found["kind"] = json!("review");
                        found["level"] = json!("none");
                        found["message"] = json!({"text": format!(
                            "{}: {} could not be judged: {}",
                            r.control.id, r.control.title, r.message
                        )});
                    }
                    results.push(found);
                    results.len() - 1
                });
                // The subjects that share it: `workspaces` (a hub and its projects), `registries`.
                let subjects = &mut results[at]["properties"][w.subject.section];
                match subjects.as_array_mut() {
                    Some(list) => list.push(json!(w.id)),
                    None => *subjects = json!([w.id]),
                }
            }
            if matches!(r.status, Status::Error | Status::Unknown) {
                notifications.push(json!({
                    "level": if r.status == Status::Error { "error" } else { "note" },
                    "message": {"text": format!("{} on {}: {}", r.control.id, w.name, r.message)},
                    "associatedRule": {"id": r.control.id, "index": index(&r.control.id)},
                }));
            }
        }
    }
    let mut sarif = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "amlsec",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": controls.iter().map(|c| rule(c)).collect::<Vec<_>>(),
            }},
            "invocations": [{
                // Unknowns (a template cannot tell) are notes, not a failed execution.
                "executionSuccessful": notifications.iter().all(|n| n["level"] == "note"),
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }],
    });
    // `--compliance`: the verdicts by framework item, in the run's property bag (SARIF has
    // no place of its own for them).
    if let Some(c) = &report.compliance {
        sarif["runs"][0]["properties"] = json!({"compliance": c});
    }
    serde_json::to_writer_pretty(&mut out, &sarif)?;
    out.write_all(b"\n")
}
