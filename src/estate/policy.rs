//! Policy assignments in effect for a workspace, with each one's member definitions and their
//! effective effects (baseline.md §1.3), so rules can ask "is X enforced with Deny?".

use std::collections::HashMap;

use serde_json::{Value, json};

use super::derived::{list_document, with_facts};
use super::{Instance, InstanceState, Target};
use crate::arm_id;
use crate::documents::Documents;
use crate::documents::text;
use crate::documents::{Doc, ReadFailure, Step, Unread, member};

/// The `policy-assignment` target: one list document of the assignments in force at the
/// workspace, each with the definitions it assigns and their effects.
pub fn assignments(docs: &Documents, ws: &str) -> Target {
    let rg = arm_id::resource_group(ws).unwrap_or_default();
    let collection = format!("{rg}/providers/Microsoft.Authorization/policyAssignments");
    if let Some(f) = docs.failure(&collection) {
        return Target::Failed(f);
    }
    // An initiative is read once however many assignments name it: built-in ones are large.
    let mut sets: HashMap<String, Result<Value, ReadFailure>> = HashMap::new();
    let mut items = Vec::new();
    let mut unread = Vec::new();
    for a in docs.scoped(&rg, "Microsoft.Authorization/policyAssignments") {
        let scope = text(&a, "properties.scope");
        let in_scope = !scope.is_empty()
            && (arm_id::is_self_or_ancestor(scope, &rg)
                || scope
                    .to_ascii_lowercase()
                    .starts_with("/providers/microsoft.management/managementgroups/"));
        let excluded = member(&a, "properties")
            .and_then(|p| member(p, "notScopes"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .any(|not| arm_id::is_self_or_ancestor(not, ws));
        if !in_scope || excluded {
            continue;
        }
        let definition = text(&a, "properties.policyDefinitionId");
        let members = if definition
            .to_ascii_lowercase()
            .contains("/policysetdefinitions/")
        {
            let set = sets
                .entry(arm_id::key(definition))
                .or_insert_with(|| docs.get(definition));
            match set {
                Ok(set) => initiative_members(&a, set),
                // The initiative's members are unknown: an unread place, not an empty list.
                Err(failure) => {
                    unread.push(Unread {
                        at: ["value", "", "amlsec", "definitions"]
                            .iter()
                            .map(|k| match *k {
                                "" => Step::Index(items.len()),
                                key => Step::Key(key.into()),
                            })
                            .collect(),
                        failure: failure.clone(),
                    });
                    Value::Null
                }
            }
        } else {
            json!([member_fact(
                definition,
                effect_value(
                    member(&a, "properties").and_then(|p| member(p, "parameters")),
                    "effect"
                )
            )])
        };
        let enforced = !text(&a, "properties.enforcementMode").eq_ignore_ascii_case("DoNotEnforce");
        // Built by hand: `json!` would serialise a copy of a large initiative's members.
        let mut facts = serde_json::Map::new();
        facts.insert("enforced".into(), Value::Bool(enforced));
        facts.insert("definitions".into(), members);
        items.push(with_facts(a, Value::Object(facts)));
    }
    Target::Present(vec![Instance {
        id: collection.as_str().into(),
        state: InstanceState::Doc(Doc {
            value: list_document(&collection, items),
            unread,
        }),
    }])
}

fn member_fact(definition_id: &str, effect: Option<String>) -> Value {
    json!({
        "policyDefinitionId": definition_id,
        "guid": arm_id::last_segment(definition_id).to_ascii_lowercase(),
        "effect": effect,
    })
}

/// `parameters.<name>.value` as a string.
fn effect_value(params: Option<&Value>, name: &str) -> Option<String> {
    params
        .and_then(|p| member(p, name))
        .and_then(|p| member(p, "value"))
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// Each member of an initiative with its effect: the member's `effect` parameter, where
/// `[parameters('p')]` takes `p` from the assignment, else the set's default.
fn initiative_members(assignment: &Value, set: &Value) -> Value {
    let assignment_params = member(assignment, "properties").and_then(|p| member(p, "parameters"));
    let set_params = member(set, "properties").and_then(|p| member(p, "parameters"));
    let members = member(set, "properties")
        .and_then(|p| member(p, "policyDefinitions"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    Value::Array(
        members
            .iter()
            .map(|m| {
                let raw = effect_value(member(m, "parameters"), "effect");
                let effect = match raw.as_deref().and_then(parameter_reference) {
                    Some(p) => effect_value(assignment_params, p).or_else(|| {
                        set_params
                            .and_then(|sp| member(sp, p))
                            .and_then(|d| member(d, "defaultValue"))
                            .and_then(Value::as_str)
                            .map(str::to_string)
                    }),
                    None => raw,
                };
                member_fact(text(m, "policyDefinitionId"), effect)
            })
            .collect(),
    )
}

/// `p` of `[parameters('p')]`.
fn parameter_reference(value: &str) -> Option<&str> {
    let inner = value
        .trim()
        .strip_prefix("[parameters(")?
        .strip_suffix(")]")?;
    Some(inner.trim().trim_matches(|c| c == '\'' || c == '"'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const WS: &str = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws";

    fn assignment(name: &str, scope: &str, definition: &str, extra: Value) -> Value {
        let mut a = json!({
            "id": format!("{scope}/providers/Microsoft.Authorization/policyAssignments/{name}"),
            "properties": {"scope": scope, "policyDefinitionId": definition}
        });
        if let (Some(p), Some(e)) = (a["properties"].as_object_mut(), extra.as_object()) {
            p.extend(e.clone());
        }
        a
    }

    #[test]
    fn resolves_scope_notscopes_enforcement_and_initiative_effects() {
        let set_id = "/providers/Microsoft.Authorization/policySetDefinitions/set1";
        let mut docs = Documents::default();
        docs.insert(assignment("direct", "/subscriptions/s1", "/providers/Microsoft.Authorization/policyDefinitions/A08EC900-254a-4555-9bf5-e42af04b5c5c",
            json!({"parameters": {"effect": {"value": "Deny"}}, "enforcementMode": "DoNotEnforce"})));
        docs.insert(assignment(
            "excluded",
            "/subscriptions/s1",
            "/providers/x/policyDefinitions/d",
            json!({"notScopes": ["/subscriptions/S1/resourceGroups/RG"]}),
        ));
        docs.insert(assignment(
            "elsewhere",
            "/subscriptions/s1/resourceGroups/rg-other",
            "/providers/x/policyDefinitions/d",
            json!({}),
        ));
        docs.insert(assignment(
            "initiative",
            "/subscriptions/s1/resourceGroups/rg",
            set_id,
            json!({"parameters": {"fx": {"value": "Deny"}}}),
        ));
        docs.insert(json!({"id": set_id, "properties": {
            "parameters": {"fy": {"defaultValue": "Audit"}},
            "policyDefinitions": [
                {"policyDefinitionId": "/p/policyDefinitions/m1", "parameters": {"effect": {"value": "[parameters('fx')]"}}},
                {"policyDefinitionId": "/p/policyDefinitions/m2", "parameters": {"effect": {"value": "[parameters('fy')]"}}},
                {"policyDefinitionId": "/p/policyDefinitions/m3"}]}}));
        let Target::Present(list) = assignments(&docs, WS) else {
            panic!()
        };
        let InstanceState::Doc(doc) = &list[0].state else {
            panic!()
        };
        let value = doc.value["value"].as_array().unwrap();
        assert_eq!(
            value.len(),
            2,
            "excluded and out-of-scope assignments are dropped"
        );
        let direct = &value[0]["amlsec"];
        assert_eq!(direct["enforced"], false);
        assert_eq!(
            direct["definitions"][0]["guid"],
            "a08ec900-254a-4555-9bf5-e42af04b5c5c"
        );
        assert_eq!(direct["definitions"][0]["effect"], "Deny");
        let members = &value[1]["amlsec"]["definitions"];
        assert_eq!(members[0]["effect"], "Deny");
        assert_eq!(members[1]["effect"], "Audit");
        assert_eq!(members[2]["effect"], Value::Null);
    }

    #[test]
    fn an_unreadable_initiative_leaves_its_members_unread() {
        let mut docs = Documents::default();
        docs.insert(assignment(
            "i",
            "/subscriptions/s1",
            "/providers/Microsoft.Authorization/policySetDefinitions/gone",
            json!({}),
        ));
        let Target::Present(list) = assignments(&docs, WS) else {
            panic!()
        };
        let InstanceState::Doc(doc) = &list[0].state else {
            panic!()
        };
        assert_eq!(doc.value["value"][0]["amlsec"]["definitions"], Value::Null);
        let at = [
            Step::Key("value".into()),
            Step::Index(0),
            Step::Key("amlsec".into()),
            Step::Key("definitions".into()),
        ];
        assert!(doc.unread_at(&at).is_some());
    }
}
