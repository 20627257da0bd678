//! The contract, recorded: every kind of request the link graph makes has a reply Microsoft
//! published for it (`examples/arm-shapes/requests.json`, provenance in PROVENANCE.md), of the
//! shape that kind of request returns, and nothing is listed there that amlsec does not ask.

use std::path::Path;

use serde_json::Value;

fn shapes() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/arm-shapes")
}

fn recorded() -> Vec<(String, bool, String)> {
    let index: Value =
        serde_json::from_str(&std::fs::read_to_string(shapes().join("requests.json")).unwrap())
            .unwrap();
    index["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["type"].as_str().unwrap().to_string(),
                r["list"].as_bool().unwrap(),
                r["reply"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn every_request_kind_has_a_recorded_reply_of_its_shape() {
    let recorded = recorded();
    let mut missing = Vec::new();
    for r in amlsec::graph::requests() {
        let found = recorded
            .iter()
            .find(|(t, list, _)| t.eq_ignore_ascii_case(r.resource_type) && *list == r.list);
        match found {
            None => missing.push(format!(
                "{} {} ({})",
                if r.list { "list of" } else { "GET of" },
                r.resource_type,
                r.api_version
            )),
            Some((_, list, reply)) => {
                let text = std::fs::read_to_string(shapes().join(reply))
                    .unwrap_or_else(|e| panic!("{reply}: {e}"));
                let body: Value =
                    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{reply}: {e}"));
                match list {
                    true => assert!(
                        body["value"].as_array().is_some_and(|v| !v.is_empty()),
                        "{reply}: a list reply is a `value` array"
                    ),
                    false => assert!(
                        body["id"].is_string() && body.get("value").is_none(),
                        "{reply}: a GET reply is one resource with an `id`"
                    ),
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "requests amlsec makes without a recorded reply (add one from Azure/azure-rest-api-specs to examples/arm-shapes, with its provenance):\n{}",
        missing.join("\n")
    );
}

#[test]
fn every_recorded_reply_is_for_a_request_amlsec_makes() {
    let made = amlsec::graph::requests();
    for (kind, list, reply) in recorded() {
        assert!(
            made.iter()
                .any(|r| r.resource_type.eq_ignore_ascii_case(&kind) && r.list == list),
            "{reply}: amlsec makes no {} request of {kind}",
            if list { "list" } else { "GET" }
        );
    }
}
