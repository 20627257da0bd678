//! What-if results (`az deployment group what-if --result-format FullResourcePayloads
//! --no-pretty-print`, or the REST body): the `after` payload of every resource a deployment
//! creates, modifies or redeploys is a document; a resource it deletes is gone; one it ignores
//! exists but is outside the deployment, so unknown. A value what-if could not evaluate stays
//! an expression string (`[reference(...)]`): an unknown place, never a value.

use std::path::Path;

use serde_json::Value;

use super::{Here, Own, Template, parse_json, with};
use crate::arm_id;
use crate::documents::{Deployment, Documents, Step};
use crate::error::Result;

/// The members of a resource body whose values a change without a payload leaves unknown.
const UNKNOWN_MEMBERS: [&str; 8] = [
    "properties",
    "identity",
    "sku",
    "kind",
    "tags",
    "location",
    "zones",
    "plan",
];

pub fn load(path: &Path) -> Result<Template> {
    let file = path.display().to_string();
    let text = crate::input::read_text(path, super::FILE_LIMIT)?;
    let root = parse_json(&file, &text)?;
    let here = Here {
        file: &file,
        text: text.as_bytes(),
        outputs: Default::default(),
        environment: serde_json::Value::Null,
        work: Default::default(),
    };
    // The CLI prints the result's properties at the top; the REST body nests them.
    let (changes, at) = match (root.get("changes"), root.pointer("/properties/changes")) {
        (Some(Value::Array(c)), _) => (c, vec![Own::Key("changes".into())]),
        (_, Some(Value::Array(c))) => (
            c,
            vec![Own::Key("properties".into()), Own::Key("changes".into())],
        ),
        _ => {
            return Err(here.error(
                &[],
                "not a what-if result: it has no `changes` (run what-if with --result-format FullResourcePayloads --no-pretty-print)",
            ));
        }
    };
    let mut docs = Documents::default();
    let mut deployment = Deployment::default();
    let mut notices = Vec::new();
    for (i, change) in changes.iter().enumerate() {
        let change_at = with(&at, Own::Index(i));
        let kind = change["changeType"].as_str().unwrap_or_default();
        let ignored = match kind.to_ascii_lowercase().as_str() {
            "create" | "modify" | "deploy" | "nochange" => false,
            // A deleted resource is gone.
            "delete" => continue,
            // Ignored or unsupported: it exists, but what-if says nothing of its body.
            "ignore" | "unsupported" => true,
            _ => return Err(here.error(&change_at, &format!("unknown changeType `{kind}`"))),
        };
        let after = change.get("after").filter(|a| a.is_object());
        let Some(after) = after.filter(|_| !ignored) else {
            // The resource is there (or will be) and its body is unknown: it is audited as
            // unknown, never dropped from the report.
            let why = match ignored {
                true => format!("what-if marks this resource {kind}: its settings are not known"),
                false => format!(
                    "the {kind} change has no `after` payload (use --result-format FullResourcePayloads)"
                ),
            };
            let id = change["resourceId"].as_str().unwrap_or_default();
            if id.trim().is_empty() {
                return Err(here.error(&change_at, "a change without a resource id"));
            }
            notices.push(format!("warning: {}: {why}", here.location(&change_at)));
            let key = arm_id::key(id);
            deployment
                .declared_at
                .insert(key.clone(), here.location(&change_at));
            deployment.unknown.insert(
                key,
                UNKNOWN_MEMBERS
                    .iter()
                    .map(|m| (vec![Step::Key(m.to_string())], why.clone()))
                    .collect(),
            );
            docs.insert(serde_json::json!({
                "id": id,
                "name": arm_id::last_segment(id),
                "type": arm_id::derive_type(id).unwrap_or_default(),
            }));
            continue;
        };
        let mut doc = after.clone();
        if let Some(obj) = doc.as_object_mut() {
            obj.remove("apiVersion");
            if !obj.contains_key("id") {
                obj.insert("id".into(), change["resourceId"].clone());
            }
        }
        let id = doc["id"].as_str().unwrap_or_default().to_string();
        if id.is_empty() {
            return Err(here.error(&change_at, "a change without a resource id"));
        }
        let key = arm_id::key(&id);
        let mut unknown = Vec::new();
        expressions(&doc, &mut Vec::new(), &mut unknown);
        deployment.deployed.insert(key.clone());
        deployment.declared_at.insert(
            key.clone(),
            here.location(&with(&change_at, Own::Key("after".into()))),
        );
        if !unknown.is_empty() {
            deployment.unknown.insert(key, unknown);
        }
        docs.insert(doc);
    }
    docs.set_deployment(deployment);
    Ok(Template {
        documents: docs,
        notices,
    })
}

/// The places holding an expression what-if left unevaluated.
fn expressions(v: &Value, path: &mut Vec<Step>, out: &mut Vec<(Vec<Step>, String)>) {
    match v {
        Value::String(s) if s.starts_with('[') && s.ends_with(']') && !s.starts_with("[[") => {
            out.push((path.clone(), format!("what-if could not evaluate {s}")));
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(Step::Index(i));
                expressions(item, path, out);
                path.pop();
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                path.push(Step::Key(k.clone()));
                expressions(item, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_payloads_are_the_documents() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/templates/what-if/post-deployment-what-if-on-resource-group.json");
        let t = load(&path).unwrap();
        let created = t
            .documents
            .get("/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/my-resource-group/providers/Microsoft.ManagedIdentity/userAssignedIdentities/myNewIdentity")
            .unwrap();
        assert_eq!(created["tags"]["myOtherNewTag"], "another new tag value");
        assert!(created.get("apiVersion").is_none());
        assert_eq!(t.documents.len(), 2);
    }
}
