//! How a document enters the store, from any source: parsed in full (a number out of range or
//! nesting past the limit is refused, never dropped later), and its resource ids normalised
//! once (trimmed, no trailing `/`, baseline.md §1.6), so no later code path can forget it.

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::arm_id;

/// Deepest nesting of arrays and objects accepted in any JSON input. ARM documents nest a
/// dozen levels; serde_json's own recursion limit is 128.
pub const MAX_DEPTH: usize = 100;

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

/// Parses one document's JSON text in full without building it; says whether a resource id
/// in it needs normalising.
pub fn check(raw: &str) -> Result<bool, serde_json::Error> {
    let mut needs_normalising = false;
    let mut de = serde_json::Deserializer::from_str(raw);
    Check {
        needs_normalising: &mut needs_normalising,
    }
    .deserialize(&mut de)?;
    de.end()?;
    Ok(needs_normalising)
}

/// Whether a string is a resource id written with surrounding blanks or a trailing `/`.
fn needs_normalising(s: &str) -> bool {
    let t = s.trim();
    let lower = t.get(..15).unwrap_or(t).to_ascii_lowercase();
    (lower.starts_with("/subscriptions/") || lower.starts_with("/providers/"))
        && (t.len() != s.len() || t.ends_with('/'))
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

struct Check<'a> {
    needs_normalising: &'a mut bool,
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
            })?
            .is_some()
        {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_key::<IgnoredAny>()?.is_some() {
            map.next_value_seed(Check {
                needs_normalising: &mut *self.needs_normalising,
            })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn depth_is_measured_outside_strings() {
        assert_eq!(too_deep(b"[[1]]", 2), None);
        assert_eq!(too_deep(b"[[[1]]]", 2), Some(2));
        assert_eq!(too_deep(br#"["[[[[\"[[["]"#, 1), None);
        assert_eq!(too_deep(br#"{"a": {"b": []}}"#, 2), Some(12));
    }

    #[test]
    fn documents_are_checked_in_full() {
        assert!(!check(r#"{"id": "/a", "x": [1, 2.5, null, true]}"#).unwrap());
        let e = check(r#"{"id": "/a", "x": 1e400}"#).unwrap_err();
        assert!(e.to_string().starts_with("number out of range"), "{e}");
        assert!(check(r#"{"id": "/a"} x"#).is_err());
    }

    #[test]
    fn ids_are_normalised_once() {
        assert!(check(r#"{"id": "/subscriptions/s/x/ "}"#).unwrap());
        assert!(check(r#"{"p": {"storageAccount": " /Subscriptions/s/x"}}"#).unwrap());
        assert!(!check(r#"{"target": "https://x/", "id": "/subscriptions/s"}"#).unwrap());
        let mut doc = json!({"id": "/subscriptions/s/ws/", "properties": {"ids": [" /providers/m/x/ ", "plain/"]}});
        assert!(normalise_ids(&mut doc));
        assert_eq!(
            doc,
            json!({"id": "/subscriptions/s/ws", "properties": {"ids": ["/providers/m/x", "plain/"]}})
        );
        assert!(!normalise_ids(&mut doc));
    }
}
