//! Documents the resolver derives rather than reads: a list as one document, facts beside a body.

use serde_json::Value;

/// A derived document with facts under `amlsec`; `Null` facts leave it as it is.
pub(super) fn with_facts(mut doc: Value, facts: Value) -> Value {
    if facts.is_null() {
        return doc;
    }
    if let Some(obj) = doc.as_object_mut() {
        obj.insert("amlsec".into(), facts);
    }
    doc
}

/// `{"id": collection, "value": items}`, the items moved in: `json!` would serialise a copy.
pub(super) fn list_document(collection: &str, items: Vec<Value>) -> Value {
    let mut list = serde_json::Map::new();
    list.insert("id".into(), Value::String(collection.to_string()));
    list.insert("value".into(), Value::Array(items));
    Value::Object(list)
}

/// A location as ARM compares them: no spaces, lower case (`West Europe` is `westeurope`).
pub(super) fn location(l: &str) -> String {
    l.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_normalised() {
        assert_eq!(location("West Europe"), "westeurope");
    }
}
