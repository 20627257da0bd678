//! The property names of every ARM type amlsec reads, at its pinned api-version
//! (`catalogue.json`, generated from Microsoft's type definitions: see CATALOGUE.md), shaped
//! the way a target's documents are: list documents wrap their items in `value`, and included
//! lists sit at their member.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use serde_json::{Value, json};

use super::{Find, Link, Shape, TargetKind};

fn catalogue() -> &'static Value {
    static CATALOGUE: OnceLock<Value> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        serde_json::from_str(include_str!("catalogue.json")).expect("the catalogue is JSON")
    })
}

/// The property tree of `Type@api-version`, if the catalogue has it.
pub fn type_tree(resource_type: &str, api_version: &str) -> Option<&'static Value> {
    catalogue().get(format!("{resource_type}@{api_version}"))
}

/// What a target's documents look like: the type's tree, its included lists, and for a list
/// read as one document `{id, value: [items]}`. Built once per target kind and kept: every
/// rule path is checked against it, at each load of the rules.
pub fn document_tree(kind: &TargetKind) -> Option<&'static Value> {
    static TREES: OnceLock<Mutex<HashMap<&'static str, Option<&'static Value>>>> = OnceLock::new();
    let link = kind.link();
    let mut trees = TREES
        .get_or_init(Default::default)
        .lock()
        .expect("catalogue lock");
    *trees
        .entry(link.name)
        // One tree per declared link, so at most LINKS.len() are kept.
        .or_insert_with(|| build_document_tree(kind).map(|t| &*Box::leak(Box::new(t))))
}

/// The tree of a list of `kind`'s documents (`[*]` over its document tree): what a fact that
/// gathers them holds. Kept like [`document_tree`].
pub fn list_tree(kind: &TargetKind) -> Option<&'static Value> {
    static TREES: OnceLock<Mutex<HashMap<&'static str, Option<&'static Value>>>> = OnceLock::new();
    let mut trees = TREES
        .get_or_init(Default::default)
        .lock()
        .expect("catalogue lock");
    *trees
        .entry(kind.link().name)
        .or_insert_with(|| document_tree(kind).map(|t| &*Box::leak(Box::new(json!({"[*]": t})))))
}

fn build_document_tree(kind: &TargetKind) -> Option<Value> {
    let link = kind.link();
    let mut tree = type_tree(link.resource_type, link.api_version)?.clone();
    for include in link.includes {
        let items = type_tree(include.resource_type, include.api_version)?;
        if let Some(obj) = tree.as_object_mut() {
            obj.insert(include.member.to_string(), json!({"[*]": items}));
        }
    }
    Some(if is_list_document(link) {
        json!({"id": {}, "value": {"[*]": tree}})
    } else {
        tree
    })
}

fn is_list_document(link: &Link) -> bool {
    match link.find {
        Find::ListDocument { .. } => true,
        Find::ScopeList { shape, .. } => shape != Shape::PricingPlan,
        _ => false,
    }
}

/// A place whose shape the type definitions leave open: anything below it is accepted.
pub fn is_open(node: &Value) -> bool {
    node.get("*").is_some()
}

/// A member of a node, by name, case-insensitively (ARM names are not consistent).
pub fn member<'a>(node: &'a Value, name: &str) -> Option<&'a Value> {
    crate::documents::member(node, name).filter(|_| !name.starts_with(['[', '{', '*']))
}

/// The member names of a node closest to `name`, for "did you mean".
pub fn suggest(node: &Value, name: &str) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    node.as_object()?
        .keys()
        .filter(|k| !k.starts_with(['[', '{', '*']))
        .map(|k| (distance(&lower, &k.to_ascii_lowercase()), k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4))
        .min()
        .map(|(_, k)| k.clone())
}

/// Levenshtein distance, for short names.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            let next = (row[j + 1] + 1).min(row[j] + 1).min(prev + cost);
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{LINKS, every_kind};

    #[test]
    fn every_target_and_include_has_its_type_in_the_catalogue() {
        for link in LINKS {
            assert!(
                type_tree(link.resource_type, link.api_version).is_some(),
                "{}: {}@{} is not in catalogue.json (rerun tools/arm_catalogue.py)",
                link.name,
                link.resource_type,
                link.api_version
            );
            for include in link.includes {
                assert!(type_tree(include.resource_type, include.api_version).is_some());
            }
        }
        assert!(
            every_kind("Containers")
                .iter()
                .all(|k| document_tree(k).is_some())
        );
    }

    #[test]
    fn documents_are_shaped_as_targets_see_them() {
        let ws = document_tree(&TargetKind::named("workspace")).unwrap();
        assert!(member(&ws["properties"], "PUBLICNETWORKACCESS").is_some());
        assert_eq!(
            suggest(&ws["properties"], "publicNetworkAcess").as_deref(),
            Some("publicNetworkAccess")
        );
        let roles = document_tree(&TargetKind::named("role-assignment")).unwrap();
        assert!(member(&roles["value"]["[*]"]["properties"], "scope").is_some());
        let pe = document_tree(&TargetKind::named("workspace-private-endpoint")).unwrap();
        assert!(pe["privateDnsZoneGroups"]["[*]"]["properties"].is_object());
    }
}
