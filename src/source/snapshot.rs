//! Offline input (DESIGN §6): a JSON array of ARM documents (list envelopes flattened), a
//! bare list envelope, or the `amlsec-snapshot/1` object that `amlsec collect` writes.

use std::io::Read;
use std::path::Path;

use serde_json::Value;

use super::scan::{self, Step};
use super::{Documents, ReadFailure};
use crate::error::{Diagnostic, Error, Position, Result};

pub const SCHEMA: &str = "amlsec-snapshot/1";

/// Reads a snapshot from a file, or from standard input when `path` is `-`.
pub fn load(path: &Path) -> Result<Documents> {
    let io_err = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let text = if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf).map_err(io_err)?;
        buf
    } else {
        std::fs::read(path).map_err(io_err)?
    };
    let name = if path.as_os_str() == "-" {
        "<stdin>".to_string()
    } else {
        path.display().to_string()
    };
    parse(&name, &text)
}

/// Parses snapshot text; `name` is what diagnostics call the file.
pub fn parse(name: &str, text: &[u8]) -> Result<Documents> {
    let fail = |position: Option<(u64, u64)>, message: String| {
        Error::Snapshot(Diagnostic {
            file: name.to_string(),
            position: position.map(|(line, column)| Position { line, column }),
            message,
        })
    };
    if text.iter().all(u8::is_ascii_whitespace) {
        return Err(fail(None, "the snapshot is empty".into()));
    }
    let root: Value = serde_json::from_slice(text).map_err(|e| {
        let message = e.to_string();
        let message = message
            .rsplit_once(" at line ")
            .map_or(message.as_str(), |(m, _)| m);
        fail(
            Some((e.line() as u64, e.column() as u64)),
            format!("not valid JSON: {message}"),
        )
    })?;

    let mut docs = Documents::default();
    let at = |path: &[Step<'_>]| scan::position(text, path);
    match root {
        Value::Array(items) => {
            add_documents(&mut docs, items, &[], text).map_err(|(p, m)| fail(p, m))?
        }
        Value::Object(mut obj) if obj.contains_key("schema") => {
            let schema = obj
                .get("schema")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if schema != SCHEMA {
                return Err(fail(
                    at(&[Step::Key("schema")]),
                    format!(
                        "unsupported snapshot schema {:?}; this amlsec reads {SCHEMA:?}",
                        obj["schema"]
                    ),
                ));
            }
            if let Some(unknown) = obj.keys().find(|k| {
                !matches!(
                    k.as_str(),
                    "schema" | "collectedAt" | "documents" | "errors" | "source"
                )
            }) {
                return Err(fail(
                    at(&[Step::Key(unknown)]),
                    format!(
                        "unknown key `{unknown}`, expected one of schema, collectedAt, source, documents, errors"
                    ),
                ));
            }
            let Some(Value::Array(items)) = obj.remove("documents") else {
                return Err(fail(
                    None,
                    "`documents` must be an array of ARM documents".into(),
                ));
            };
            add_documents(&mut docs, items, &[Step::Key("documents")], text)
                .map_err(|(p, m)| fail(p, m))?;
            match obj.remove("errors") {
                None | Some(Value::Null) => {}
                Some(Value::Array(errors)) => {
                    for (i, e) in errors.into_iter().enumerate() {
                        let failure: ReadFailure = serde_json::from_value(e).map_err(|e| {
                            fail(
                                at(&[Step::Key("errors"), Step::Index(i)]),
                                format!("invalid entry in `errors`: {e}"),
                            )
                        })?;
                        docs.record_failure(failure);
                    }
                }
                Some(_) => {
                    return Err(fail(
                        at(&[Step::Key("errors")]),
                        "`errors` must be an array".into(),
                    ));
                }
            }
        }
        Value::Object(mut obj)
            if obj.get("value").is_some_and(Value::is_array) && !obj.contains_key("id") =>
        {
            let Some(Value::Array(items)) = obj.remove("value") else {
                unreachable!()
            };
            add_documents(&mut docs, items, &[Step::Key("value")], text)
                .map_err(|(p, m)| fail(p, m))?;
        }
        other => {
            return Err(fail(
                Some((1, 1)),
                format!(
                    "a JSON {}; expected an array of ARM documents or an {SCHEMA} object",
                    kind(&other)
                ),
            ));
        }
    }
    if docs.is_empty() && docs.failures().next().is_none() {
        return Err(fail(None, "the snapshot holds no ARM documents".into()));
    }
    Ok(docs)
}

type Located = (Option<(u64, u64)>, String);

fn add_documents(
    docs: &mut Documents,
    items: Vec<Value>,
    parent: &[Step<'_>],
    text: &[u8],
) -> Result<(), Located> {
    for (i, item) in items.into_iter().enumerate() {
        let mut path = parent.to_vec();
        path.push(Step::Index(i));
        let has_id = item.get("id").is_some();
        match item {
            Value::Object(mut obj) if !has_id && obj.get("value").is_some_and(Value::is_array) => {
                let Some(Value::Array(inner)) = obj.remove("value") else {
                    unreachable!()
                };
                path.push(Step::Key("value"));
                add_documents(docs, inner, &path, text)?;
            }
            Value::Object(_) => match item.get("id").and_then(Value::as_str) {
                Some(id) if !id.trim().is_empty() => docs.insert(item),
                _ => {
                    return Err((
                        scan::position(text, &path),
                        "document has no `id` (every ARM document needs its resource id)".into(),
                    ));
                }
            },
            other => {
                return Err((
                    scan::position(text, &path),
                    format!(
                        "expected an ARM document (a JSON object), found a {}",
                        kind(&other)
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse("s.json", text.as_bytes()).unwrap_err().to_string()
    }

    #[test]
    fn flattens_envelopes_and_derives_types() {
        let docs = parse(
            "s.json",
            br#"[{"value": [{"id": "/subscriptions/s/resourceGroups/r/providers/A.B/c/d"}], "nextLink": null}]"#,
        )
        .unwrap();
        assert_eq!(docs.len(), 1);
        assert_eq!(docs.of_type("a.b/c").len(), 1);
    }

    #[test]
    fn reads_the_collect_format_with_failures() {
        let docs = parse(
            "s.json",
            br#"{"schema": "amlsec-snapshot/1", "collectedAt": "2026-01-01T00:00:00Z",
                "documents": [{"id": "/x/y"}],
                "errors": [{"path": "/x/y/z", "status": 403, "code": "AuthorizationFailed", "message": "no"}]}"#,
        )
        .unwrap();
        assert_eq!(docs.get("/X/Y/Z").unwrap_err().status, Some(403));
    }

    #[test]
    fn bad_input_is_located() {
        assert_eq!(err("  \n"), "s.json: the snapshot is empty");
        assert!(err("[{\"id\": 1,}]").starts_with("s.json:1:11: not valid JSON: trailing comma"));
        assert_eq!(
            err("42"),
            "s.json:1:1: a JSON number; expected an array of ARM documents or an amlsec-snapshot/1 object"
        );
        assert_eq!(
            err("[\n {\"id\": \"/a\"},\n {\"name\": \"x\"}\n]"),
            "s.json:3:2: document has no `id` (every ARM document needs its resource id)"
        );
        assert_eq!(err("[]"), "s.json: the snapshot holds no ARM documents");
        assert!(
            err(r#"{"schema": "amlsec-snapshot/9", "documents": []}"#)
                .starts_with("s.json:1:12: unsupported snapshot schema")
        );
        assert!(
            err(r#"{"schema": "amlsec-snapshot/1", "document": []}"#)
                .contains("unknown key `document`")
        );
    }
}
