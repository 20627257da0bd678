//! Dotted JSON paths into ARM documents (baseline.md §1.3): `properties.x[*].y`, `tags{*}`,
//! property names matched case-insensitively. A path may start at a context document
//! (`$workspace.properties.x`) or, inside a `count`'s `where`, at the current element (`.`).

use serde_json::Value;

use crate::documents::ReadFailure;
pub use crate::documents::{member, text};

/// Where a path starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Root {
    /// The document being evaluated (the target instance, or the current `count` element).
    Current,
    /// A named context document, `$name`: another target of the same workspace, or `$root`.
    Context(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    /// `[*]`: every element of an array.
    Elements,
    /// `{*}`: every value of an object used as a map.
    Values,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path {
    text: String,
    root: Root,
    segments: Vec<Segment>,
}

/// What a path found: one value (or nothing) for a plain path, every value for a wildcard path.
#[derive(Debug, PartialEq)]
pub enum Found<'v> {
    One(Option<&'v Value>),
    Many(Vec<Option<&'v Value>>),
}

/// The key that marks a hole in derived data: a read the value depends on failed. Reaching
/// it makes the evaluation unreadable (`error`), never a pass or a fail.
pub const UNREADABLE_KEY: &str = "$amlsecUnreadable";

/// A value that stands for a failed read inside derived data.
pub fn hole(failure: &ReadFailure) -> Value {
    serde_json::json!({ UNREADABLE_KEY: failure })
}

fn as_hole(v: &Value) -> Option<ReadFailure> {
    v.get(UNREADABLE_KEY)
        .and_then(|f| serde_json::from_value(f.clone()).ok())
}

impl Path {
    pub fn parse(text: &str) -> Result<Path, String> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err("empty path".into());
        }
        if trimmed == "." {
            return Ok(Path {
                text: trimmed.into(),
                root: Root::Current,
                segments: vec![],
            });
        }
        let mut parts = trimmed.split('.').peekable();
        let root = match parts.peek() {
            Some(first) if first.starts_with('$') => {
                let name = &first[1..];
                if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
                    return Err(format!(
                        "invalid context name `{first}` in path `{trimmed}`"
                    ));
                }
                let root = Root::Context(name.to_string());
                parts.next();
                root
            }
            _ => Root::Current,
        };
        let mut segments = Vec::new();
        for part in parts {
            let mut rest = part;
            let mut wildcards = Vec::new();
            loop {
                if let Some(r) = rest.strip_suffix("[*]") {
                    wildcards.push(Segment::Elements);
                    rest = r;
                } else if let Some(r) = rest.strip_suffix("{*}") {
                    wildcards.push(Segment::Values);
                    rest = r;
                } else {
                    break;
                }
            }
            if rest.is_empty() && wildcards.is_empty() {
                return Err(format!("empty segment in path `{trimmed}`"));
            }
            if rest
                .chars()
                .any(|c| matches!(c, '[' | ']' | '{' | '}' | '$') || c.is_whitespace())
            {
                return Err(format!(
                    "invalid segment `{part}` in path `{trimmed}` (use `name`, `name[*]` or `name{{*}}`)"
                ));
            }
            if !rest.is_empty() {
                segments.push(Segment::Key(rest.to_string()));
            }
            segments.extend(wildcards.into_iter().rev());
        }
        Ok(Path {
            text: trimmed.to_string(),
            root,
            segments,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn root(&self) -> &Root {
        &self.root
    }

    /// The names of derived facts the path reads (`amlsec.<name>` anywhere along it).
    pub fn facts(&self) -> impl Iterator<Item = &str> {
        self.segments.windows(2).filter_map(|w| match w {
            [Segment::Key(a), Segment::Key(name)] if a.eq_ignore_ascii_case("amlsec") => {
                Some(name.as_str())
            }
            _ => None,
        })
    }

    pub fn has_wildcard(&self) -> bool {
        self.segments.iter().any(|s| !matches!(s, Segment::Key(_)))
    }

    /// Follows the path from `start` (the document its root names).
    pub fn resolve<'v>(&self, start: Option<&'v Value>) -> Result<Found<'v>, ReadFailure> {
        let mut current: Vec<Option<&'v Value>> = vec![start];
        for segment in &self.segments {
            let mut next = Vec::with_capacity(current.len());
            for value in current {
                let Some(value) = value.filter(|v| !v.is_null()) else {
                    if matches!(segment, Segment::Key(_)) {
                        next.push(None);
                    }
                    continue;
                };
                if let Some(failure) = as_hole(value) {
                    return Err(failure);
                }
                match segment {
                    Segment::Key(k) => next.push(member(value, k)),
                    Segment::Elements => {
                        if let Value::Array(items) = value {
                            next.extend(items.iter().map(Some));
                        }
                    }
                    Segment::Values => {
                        if let Value::Object(map) = value {
                            next.extend(map.values().map(Some));
                        }
                    }
                }
            }
            current = next;
        }
        for v in current.iter().flatten() {
            if let Some(failure) = as_hole(v) {
                return Err(failure);
            }
        }
        Ok(if self.has_wildcard() {
            Found::Many(current)
        } else {
            Found::One(current.into_iter().next().flatten())
        })
    }
}

impl std::fmt::Display for Path {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn found(path: &str, doc: &Value) -> Found<'static> {
        let doc: &'static Value = Box::leak(Box::new(doc.clone()));
        Path::parse(path).unwrap().resolve(Some(doc)).unwrap()
    }

    #[test]
    fn names_match_case_insensitively() {
        let doc = json!({"Properties": {"WorkspaceResourceId": "x"}});
        assert_eq!(
            found("properties.workspaceResourceId", &doc),
            Found::One(Some(&json!("x")))
        );
        assert_eq!(found("properties.missing.deeper", &doc), Found::One(None));
    }

    #[test]
    fn wildcards_walk_arrays_and_maps() {
        let doc = json!({"a": [{"b": 1}, {"c": 2}], "m": {"x": {"t": "FQDN"}, "y": {"t": "PE"}}});
        assert_eq!(
            found("a[*].b", &doc),
            Found::Many(vec![Some(&json!(1)), None])
        );
        assert_eq!(
            found("m{*}.t", &doc),
            Found::Many(vec![Some(&json!("FQDN")), Some(&json!("PE"))])
        );
        assert_eq!(found("missing[*].b", &doc), Found::Many(vec![]));
    }

    #[test]
    fn holes_are_unreadable() {
        let failure = ReadFailure::not_in_source("/x");
        let doc = json!({"a": hole(&failure)});
        let path = Path::parse("a.b").unwrap();
        assert_eq!(path.resolve(Some(&doc)).unwrap_err(), failure);
    }

    #[test]
    fn bad_paths_are_rejected() {
        assert!(Path::parse("a..b").is_err());
        assert!(Path::parse("a[0]").is_err());
        assert!(Path::parse("$").is_err());
        assert!(Path::parse("a b").is_err());
        assert_eq!(
            Path::parse("$workspace.properties").unwrap().root(),
            &Root::Context("workspace".into())
        );
        assert_eq!(
            Path::parse("value[*]").unwrap().segments,
            vec![Segment::Key("value".into()), Segment::Elements]
        );
    }
}
