//! Reading ARM JSON by property name, as ARM spells names inconsistently.

use serde_json::Value;

/// An object member by name: exact match first, then case-insensitive (ARM is not consistent:
/// App Insights returns `WorkspaceResourceId`, old Key Vault payloads `Properties`).
pub fn member<'v>(value: &'v Value, name: &str) -> Option<&'v Value> {
    let map = value.as_object()?;
    map.get(name).or_else(|| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

/// The trimmed string at a plain dotted path ("" when missing or not a string): how the estate
/// and the collector read the ids and names that link documents.
pub fn text<'v>(doc: &'v Value, path: &str) -> &'v str {
    let mut v = Some(doc);
    for seg in path.split('.') {
        v = v.and_then(|x| member(x, seg));
    }
    v.and_then(Value::as_str).map(str::trim).unwrap_or_default()
}

/// The values at a dotted path whose segments may end in `[*]` (every element of an array):
/// how the link graph finds the ids one document references.
pub fn elements<'v>(doc: &'v Value, path: &str) -> Vec<&'v Value> {
    let mut current = vec![doc];
    for seg in path.split('.') {
        let (name, wildcards) = match seg.strip_suffix("[*]") {
            Some(name) => (name, true),
            None => (seg, false),
        };
        current = current
            .into_iter()
            .filter_map(|v| member(v, name))
            .flat_map(|v| match (wildcards, v) {
                (true, Value::Array(items)) => items.iter().collect(),
                (true, _) => vec![],
                (false, v) => vec![v],
            })
            .collect();
    }
    current.retain(|v| !v.is_null());
    current
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn elements_follow_wildcards() {
        let doc = json!({"a": [{"b": {"c": 1}}, {"b": {"c": 2}}, {"x": 0}], "S": "y"});
        assert_eq!(elements(&doc, "a[*].b.c"), [&json!(1), &json!(2)]);
        assert_eq!(elements(&doc, "s"), [&json!("y")]);
        assert!(elements(&doc, "missing[*].b").is_empty());
    }
}
