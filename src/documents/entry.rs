//! How a document enters the store, from any source: parsed in full (a number out of range or
//! nesting past the limit is refused, never dropped later), and its resource ids normalised
//! once (trimmed, no trailing `/`, baseline.md §1.6), and secrets ARM returns in clear text
//! redacted, so no later code path can forget either.

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::arm_id;

/// Deepest nesting of arrays and objects accepted in any JSON input: serde_json's recursion
/// limit, which every full parse enforces. ARM documents nest a dozen levels.
pub const MAX_DEPTH: usize = 128;

/// The byte offset where `text` nests deeper than `max`, if it does. Strings are skipped, so
/// brackets inside them do not count; the text need not be valid JSON.
pub fn too_deep(text: &[u8], max: usize) -> Option<usize> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (i, &b) in text.iter().enumerate() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return Some(i);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// What a full parse of one document found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Checked {
    /// The document's top-level `id`, when it is a string.
    pub id: Option<String>,
    /// A resource id in it is written with blanks or a trailing `/`.
    pub needs_normalising: bool,
}

/// Parses one document's JSON text in full without building it (numbers in range, nesting
/// within serde_json's limit), picking up its `id` on the way.
pub fn check(raw: &str) -> Result<Checked, serde_json::Error> {
    let mut checked = Checked::default();
    let mut de = serde_json::Deserializer::from_str(raw);
    Check {
        needs_normalising: &mut checked.needs_normalising,
        id: Some(&mut checked.id),
    }
    .deserialize(&mut de)?;
    de.end()?;
    Ok(checked)
}

/// A parse error in words: serde_json's recursion limit is the nesting limit.
pub fn describe(e: &serde_json::Error) -> String {
    let message = e.to_string();
    let message = message
        .rsplit_once(" at line ")
        .map_or(message.as_str(), |(m, _)| m);
    if message == "recursion limit exceeded" {
        format!("nesting deeper than {MAX_DEPTH} levels of arrays and objects")
    } else {
        message.to_string()
    }
}

/// Whether a string is a resource id written with surrounding blanks or a trailing `/`.
fn needs_normalising(s: &str) -> bool {
    let t = s.trim();
    // Called on every string of every document: the cheap test first, and no allocation.
    let starts = |prefix: &str| {
        t.get(..prefix.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
    };
    (t.len() != s.len() || t.ends_with('/')) && (starts("/subscriptions/") || starts("/providers/"))
}

/// Rewrites every resource-id string of `doc` to its normal form; true if anything changed.
pub fn normalise_ids(doc: &mut Value) -> bool {
    match doc {
        Value::String(s) if needs_normalising(s) => {
            *s = arm_id::normalise(s).to_string();
            true
        }
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |changed, v| normalise_ids(v) | changed),
        Value::Object(map) => map
            .values_mut()
            .fold(false, |changed, v| normalise_ids(v) | changed),
        _ => false,
    }
}

/// Maps whose values are secrets ARM returns in clear text, by resource type: an online
/// deployment's `environmentVariables` (baseline.md Annex A §1.6). The keys stay; no control
/// reads the values.
const SECRET_MAPS: &[(&str, &[&str])] = &[(
    "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments",
    &["properties", "environmentVariables"],
)];

/// What a secret value becomes.
pub const REDACTED: &str = "<redacted>";

/// Where the document of this id holds secrets, if its type has any.
pub fn secret_map(id: &str) -> Option<&'static [&'static str]> {
    let t = arm_id::derive_type(id)?;
    SECRET_MAPS
        .iter()
        .find(|(kind, _)| kind.eq_ignore_ascii_case(&t))
        .map(|(_, path)| *path)
}

/// Replaces every value of the document's secret map (found by its id's type) with
/// [`REDACTED`]; true if the type has one.
pub fn redact_secrets(doc: &mut Value) -> bool {
    let Some(path) = doc.get("id").and_then(Value::as_str).and_then(secret_map) else {
        return false;
    };
    let mut at = Some(doc);
    for name in path {
        at = at
            .and_then(Value::as_object_mut)
            .and_then(|o| o.iter_mut().find(|(k, _)| k.eq_ignore_ascii_case(name)))
            .map(|(_, v)| v);
    }
    match at {
        Some(Value::Object(map)) => map
            .values_mut()
            .for_each(|v| *v = Value::String(REDACTED.into())),
        // Not a map: nothing in it may be kept.
        Some(other) if !other.is_null() => *other = Value::String(REDACTED.into()),
        _ => {}
    }
    true
}

struct Check<'a> {
    needs_normalising: &'a mut bool,
    /// At the top level only: where the document's `id` goes.
    id: Option<&'a mut Option<String>>,
}

impl<'de> DeserializeSeed<'de> for Check<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Check<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, s: &str) -> Result<(), E> {
        if needs_normalising(s) {
            *self.needs_normalising = true;
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(Check {
                needs_normalising: &mut *self.needs_normalising,
                id: None,
            })?
            .is_some()
        {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Some(id) = self.id else {
            while map.next_key::<IgnoredAny>()?.is_some() {
                map.next_value_seed(Check {
                    needs_normalising: &mut *self.needs_normalising,
                    id: None,
                })?;
            }
            return Ok(());
        };
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == "id" {
                if let Value::String(s) = map.next_value()? {
                    *self.needs_normalising |= needs_normalising(&s);
                    *id = Some(s);
                }
            } else {
                map.next_value_seed(Check {
                    needs_normalising: &mut *self.needs_normalising,
                    id: None,
                })?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn deployment_environment_values_are_redacted() {
        let id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/w/onlineEndpoints/e/deployments/blue";
        let mut doc =
            json!({"id": id, "properties": {"EnvironmentVariables": {"TOKEN": "s3cret", "N": 1}}});
        assert!(redact_secrets(&mut doc));
        assert_eq!(
            doc["properties"]["EnvironmentVariables"],
            json!({"TOKEN": REDACTED, "N": REDACTED})
        );
        let mut odd = json!({"id": id, "properties": {"environmentVariables": "TOKEN=s3cret"}});
        redact_secrets(&mut odd);
        assert_eq!(odd["properties"]["environmentVariables"], REDACTED);
        let mut endpoint = json!({"id": id.replace("/deployments/blue", ""), "properties": {"environmentVariables": {"A": "b"}}});
        assert!(!redact_secrets(&mut endpoint));
        assert_eq!(endpoint["properties"]["environmentVariables"]["A"], "b");
    }

    #[test]
    fn depth_is_measured_outside_strings() {
        assert_eq!(too_deep(b"[[1]]", 2), None);
        assert_eq!(too_deep(b"[[[1]]]", 2), Some(2));
        assert_eq!(too_deep(br#"["[[[[\"[[["]"#, 1), None);
        assert_eq!(too_deep(br#"{"a": {"b": []}}"#, 2), Some(12));
    }

    #[test]
    fn documents_are_checked_in_full() {
        let checked = check(r#"{"id": "/a", "x": [1, 2.5, null, true]}"#).unwrap();
        assert_eq!(checked.id.as_deref(), Some("/a"));
        assert!(!checked.needs_normalising);
        assert_eq!(check(r#"{"id": 5}"#).unwrap().id, None);
        let deep = format!(
            "{{\"id\": \"/a\", \"x\": {}{}}}",
            "[".repeat(200),
            "]".repeat(200)
        );
        assert_eq!(
            describe(&check(&deep).unwrap_err()),
            "nesting deeper than 128 levels of arrays and objects"
        );
        let e = check(r#"{"id": "/a", "x": 1e400}"#).unwrap_err();
        assert!(e.to_string().starts_with("number out of range"), "{e}");
        assert!(check(r#"{"id": "/a"} x"#).is_err());
    }

    #[test]
    fn ids_are_normalised_once() {
        let needs = |t: &str| check(t).unwrap().needs_normalising;
        assert!(needs(r#"{"id": "/subscriptions/s/x/ "}"#));
        assert!(needs(r#"{"p": {"storageAccount": " /Subscriptions/s/x"}}"#));
        assert!(!needs(
            r#"{"target": "https://x/", "id": "/subscriptions/s"}"#
        ));
        let mut doc = json!({"id": "/subscriptions/s/ws/", "properties": {"ids": [" /providers/m/x/ ", "plain/"]}});
        assert!(normalise_ids(&mut doc));
        assert_eq!(
            doc,
            json!({"id": "/subscriptions/s/ws", "properties": {"ids": ["/providers/m/x", "plain/"]}})
        );
        assert!(!normalise_ids(&mut doc));
    }
}
