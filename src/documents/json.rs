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
