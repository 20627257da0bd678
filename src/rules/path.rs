//! Dotted JSON paths into ARM documents (baseline.md §1.3): `properties.x[*].y`, `tags{*}`,
//! property names matched case-insensitively. A path may start at a context document
//! (`$workspace.properties.x`) or, inside a `count`'s `where`, at the current element (`.`).

use serde_json::Value;

use crate::documents::{ReadFailure, Step, Unread, unread_at};
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

/// Why a rule's path cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PathError(pub String);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path {
    text: String,
    root: Root,
    segments: Vec<Segment>,
    /// Where the rule file writes it, for diagnostics about it after loading.
    pub(crate) at: Option<crate::error::Position>,
}

/// One step of a path, as the catalogue check walks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathStep<'p> {
    Key(&'p str),
    Elements,
    Values,
}

/// What a path found: one value (or nothing) for a plain path, every value for a wildcard path.
#[derive(Debug, PartialEq)]
pub enum Found<'v> {
    One(Option<&'v Value>),
    Many(Vec<Option<&'v Value>>),
}

/// A value a path reached, with where it is in the document it started from (tracked only
/// when that document has unread places).
pub type Located<'v> = (Option<&'v Value>, Vec<Step>);

impl Path {
    pub fn parse(text: &str) -> Result<Path, PathError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(PathError("empty path".into()));
        }
        if trimmed == "." {
            return Ok(Path {
                text: trimmed.into(),
                root: Root::Current,
                segments: vec![],
                at: None,
            });
        }
        let mut parts = trimmed.split('.').peekable();
        let root = match parts.peek() {
            Some(first) if first.starts_with('$') => {
                let name = &first[1..];
                if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                    return Err(PathError(format!(
                        "invalid context name `{first}` in path `{trimmed}`"
                    )));
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
                return Err(PathError(format!("empty segment in path `{trimmed}`")));
            }
            if rest
                .chars()
                .any(|c| matches!(c, '[' | ']' | '{' | '}' | '$') || c.is_whitespace())
            {
                return Err(PathError(format!(
                    "invalid segment `{part}` in path `{trimmed}` (use `name`, `name[*]` or `name{{*}}`)"
                )));
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
            at: None,
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

    pub fn steps(&self) -> impl Iterator<Item = PathStep<'_>> {
        self.segments.iter().map(|s| match s {
            Segment::Key(k) => PathStep::Key(k),
            Segment::Elements => PathStep::Elements,
            Segment::Values => PathStep::Values,
        })
    }

    pub fn has_wildcard(&self) -> bool {
        self.segments.iter().any(|s| !matches!(s, Segment::Key(_)))
    }

    /// Follows the path from `start` (the document its root names, with no unread places).
    pub fn resolve<'v>(&self, start: Option<&'v Value>) -> Result<Found<'v>, ReadFailure> {
        self.resolve_in(start, &[], &[])
    }

    /// Follows the path from `start`, which sits at `at` in a document whose `unread` places
    /// make a path that reaches or crosses one unreadable.
    pub fn resolve_in<'v>(
        &self,
        start: Option<&'v Value>,
        at: &[Step],
        unread: &[Unread],
    ) -> Result<Found<'v>, ReadFailure> {
        let mut values: Vec<Option<&'v Value>> = self
            .walk(start, at, unread)?
            .into_iter()
            .map(|(v, _)| v)
            .collect();
        Ok(if self.has_wildcard() {
            Found::Many(values)
        } else {
            Found::One(values.drain(..).next().flatten())
        })
    }

    /// The value a plain path (no wildcard) reaches, by name only.
    pub fn follow<'v>(&self, start: Option<&'v Value>) -> Option<&'v Value> {
        self.segments.iter().try_fold(start?, |v, s| match s {
            Segment::Key(k) => member(v, k),
            _ => None,
        })
    }

    /// Every value the path reaches, located.
    pub fn walk<'v>(
        &self,
        start: Option<&'v Value>,
        at: &[Step],
        unread: &[Unread],
    ) -> Result<Vec<Located<'v>>, ReadFailure> {
        let track = !unread.is_empty();
        let check = |place: &[Step]| match unread_at(unread, place) {
            Some(f) => Err(f.clone()),
            None => Ok(()),
        };
        let here = if track { at.to_vec() } else { Vec::new() };
        if track {
            check(&here)?;
        }
        let mut current: Vec<Located<'v>> = vec![(start, here)];
        for segment in &self.segments {
            let mut next = Vec::with_capacity(current.len());
            for (value, place) in current {
                // Where a step leads, checked against the unread places (when there are any).
                let enter = |step: &dyn Fn() -> Step| -> Result<Vec<Step>, ReadFailure> {
                    if !track {
                        return Ok(Vec::new());
                    }
                    let mut next_place = place.clone();
                    next_place.push(step());
                    check(&next_place)?;
                    Ok(next_place)
                };
                let value = value.filter(|v| !v.is_null());
                match segment {
                    Segment::Key(k) => {
                        let place = enter(&|| Step::Key(k.clone()))?;
                        next.push((value.and_then(|v| member(v, k)), place));
                    }
                    Segment::Elements => {
                        if let Some(Value::Array(items)) = value {
                            for (i, item) in items.iter().enumerate() {
                                next.push((Some(item), enter(&|| Step::Index(i))?));
                            }
                        }
                    }
                    Segment::Values => {
                        if let Some(Value::Object(map)) = value {
                            for (k, item) in map {
                                next.push((Some(item), enter(&|| Step::Key(k.clone()))?));
                            }
                        }
                    }
                }
            }
            current = next;
        }
        Ok(current)
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
    fn unread_places_are_unreadable_where_a_path_reaches_or_crosses_them() {
        let failure = ReadFailure::not_in_source("/x");
        let doc = json!({"a": null, "list": [{"b": 1}, {"b": null}], "c": 2});
        let unread = [
            Unread {
                at: vec![Step::Key("a".into())],
                failure: failure.clone(),
            },
            Unread {
                at: vec![
                    Step::Key("list".into()),
                    Step::Index(1),
                    Step::Key("b".into()),
                ],
                failure: failure.clone(),
            },
        ];
        let at = |p: &str| Path::parse(p).unwrap().resolve_in(Some(&doc), &[], &unread);
        assert_eq!(at("a.b").unwrap_err(), failure);
        assert_eq!(at("A").unwrap_err(), failure, "names are case-insensitive");
        assert_eq!(at("list[*].b").unwrap_err(), failure);
        assert_eq!(
            at("list[*]").unwrap(),
            Found::Many(vec![Some(&doc["list"][0]), Some(&doc["list"][1])])
        );
        assert_eq!(at("c").unwrap(), Found::One(Some(&json!(2))));
        // The same JSON from a document is just data: no key inside it can fake a failure.
        let forged = json!({"a": {"$amlsecUnreadable": {"path": "/x"}}});
        assert!(Path::parse("a").unwrap().resolve(Some(&forged)).is_ok());
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
