//! Offline input (DESIGN §6): a JSON array of ARM documents (list envelopes flattened), a
//! bare list envelope, or the `amlsec-snapshot/1` object that `amlsec collect` writes.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::scan::{self, Step};
use crate::documents::{Documents, Merge, ReadFailure, entry};
use crate::error::{Diagnostic, Error, Position, Result};

pub const SCHEMA: &str = "amlsec-snapshot/1";

/// Reads a snapshot of at most `limit` bytes from a file, or from standard input when `path`
/// is `-`.
pub fn load(path: &Path, limit: u64) -> Result<Documents> {
    let name = if path.as_os_str() == "-" {
        "<stdin>".to_string()
    } else {
        path.display().to_string()
    };
    let text = crate::input::read(path, limit).map_err(|e| match e {
        Error::TooLarge { limit, .. } => Error::Snapshot(Diagnostic {
            file: name.clone(),
            position: None,
            message: format!(
                "larger than {limit} bytes; raise the limit with --max-snapshot-size if this is right"
            ),
        }),
        other => other,
    })?;
    parse(&name, &text)
}

/// JSON's white space; Unicode spaces (U+00A0, U+2028, `\v`) are not.
fn is_json_space(b: &u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Parses snapshot text; `name` is what diagnostics call the file. Documents are kept as their
/// JSON text (see [`Documents`]), so memory stays near twice the file's size.
pub fn parse(name: &str, text: &[u8]) -> Result<Documents> {
    let fail = |position: Option<(u64, u64)>, message: String| {
        Error::Snapshot(Diagnostic {
            file: name.to_string(),
            position: position.map(|(line, column)| Position { line, column }),
            message,
        })
    };
    let json_error = |e: serde_json::Error| {
        let message = e.to_string();
        let message = message
            .rsplit_once(" at line ")
            .map_or(message.as_str(), |(m, _)| m);
        fail(
            Some((e.line() as u64, e.column() as u64)),
            format!("not valid JSON: {message}"),
        )
    };
    let text = text.strip_prefix(b"\xef\xbb\xbf").unwrap_or(text);
    let Some(first) = text.iter().position(|b| !is_json_space(b)) else {
        return Err(fail(None, "the snapshot is empty".into()));
    };
    let text = std::str::from_utf8(text).map_err(|e| {
        fail(
            Some(scan::line_column(text, e.valid_up_to())),
            "not valid JSON: the file is not UTF-8".into(),
        )
    })?;
    let bytes = text.as_bytes();
    let at = |path: &[Step<'_>]| scan::position(bytes, path);
    let mut docs = Documents::default();
    let mut adder = Adder {
        docs: &mut docs,
        text,
    };
    match bytes[first] {
        b'[' => {
            let items: Vec<&RawValue> = serde_json::from_str(text).map_err(json_error)?;
            adder.add(items).map_err(|(p, m)| fail(p, m))?;
        }
        b'{' => {
            let obj: BTreeMap<&str, &RawValue> = serde_json::from_str(text).map_err(json_error)?;
            if let Some(schema) = obj.get("schema") {
                if serde_json::from_str::<String>(schema.get()).ok().as_deref() != Some(SCHEMA) {
                    return Err(fail(
                        at(&[Step::Key("schema")]),
                        format!(
                            "unsupported snapshot schema {}; this amlsec reads {SCHEMA:?}",
                            schema.get()
                        ),
                    ));
                }
                if let Some(unknown) = obj.keys().find(|k| {
                    !matches!(
                        **k,
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
                let items: Vec<&RawValue> = obj
                    .get("documents")
                    .and_then(|d| serde_json::from_str(d.get()).ok())
                    .ok_or_else(|| {
                        fail(
                            at(&[Step::Key("documents")]),
                            "`documents` must be an array of ARM documents".into(),
                        )
                    })?;
                adder.add(items).map_err(|(p, m)| fail(p, m))?;
                let errors: Vec<&RawValue> = match obj.get("errors") {
                    None => vec![],
                    Some(e) => serde_json::from_str::<Option<Vec<&RawValue>>>(e.get())
                        .map_err(|_| {
                            fail(
                                at(&[Step::Key("errors")]),
                                "`errors` must be an array".into(),
                            )
                        })?
                        .unwrap_or_default(),
                };
                for (i, e) in errors.into_iter().enumerate() {
                    let failure: ReadFailure = serde_json::from_str(e.get()).map_err(|e| {
                        fail(
                            at(&[Step::Key("errors"), Step::Index(i)]),
                            format!("invalid entry in `errors`: {}", without_position(&e)),
                        )
                    })?;
                    docs.record_failure(failure);
                }
            } else if let (Some(value), None) = (obj.get("value"), obj.get("id")) {
                let items: Vec<&RawValue> = serde_json::from_str(value.get()).map_err(|_| {
                    fail(
                        at(&[Step::Key("value")]),
                        "`value` must be an array of ARM documents".into(),
                    )
                })?;
                adder.add(items).map_err(|(p, m)| fail(p, m))?;
            } else {
                return Err(fail(
                    Some((1, 1)),
                    format!(
                        "a single JSON object; expected an array of ARM documents, a list envelope {{\"value\": [...]}} or an {SCHEMA} object"
                    ),
                ));
            }
        }
        _ => {
            let scalar: Value = serde_json::from_str(text).map_err(json_error)?;
            return Err(fail(
                Some((1, 1)),
                format!(
                    "a JSON {}; expected an array of ARM documents or an {SCHEMA} object",
                    kind(&scalar)
                ),
            ));
        }
    }
    if docs.is_empty() && docs.failures().next().is_none() {
        return Err(fail(None, "the snapshot holds no ARM documents".into()));
    }
    Ok(docs)
}

/// Writes `docs` as an `amlsec-snapshot/1` file: documents sorted by id, failed reads by path.
pub fn write(
    docs: &Documents,
    collected_at: &str,
    source: &Value,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    // Written piece by piece: the schema first, and documents copied as the text they came in.
    write!(
        out,
        "{{\"schema\":{},\"collectedAt\":{},\"source\":{},\n\"documents\": [",
        serde_json::to_string(SCHEMA)?,
        serde_json::to_string(collected_at)?,
        serde_json::to_string(source)?
    )?;
    for (i, raw) in docs.raw_documents().into_iter().enumerate() {
        out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        out.write_all(raw.get().as_bytes())?;
    }
    let mut failures: Vec<&ReadFailure> = docs.failures().collect();
    failures.sort_by(|a, b| a.path.cmp(&b.path));
    out.write_all(b"\n],\n\"errors\": ")?;
    serde_json::to_writer_pretty(&mut *out, &failures)?;
    out.write_all(b"}\n")
}

type Located = (Option<(u64, u64)>, String);

/// serde_json's message without its " at line L column C" (reported as file:line:column).
fn without_position(e: &serde_json::Error) -> String {
    let message = e.to_string();
    message
        .rsplit_once(" at line ")
        .map_or(message.clone(), |(m, _)| m.to_string())
}

/// The two members that decide what an element is: a document (with `id`) or a list envelope.
#[derive(Deserialize)]
struct Probe<'a> {
    #[serde(default)]
    id: Option<Value>,
    #[serde(default, borrow)]
    value: Option<&'a RawValue>,
}

/// Adds the documents of a snapshot; a bad or conflicting document is reported at its line
/// and column.
struct Adder<'d, 't> {
    docs: &'d mut Documents,
    text: &'t str,
}

impl Adder<'_, '_> {
    /// The byte offset of a value borrowed from the snapshot text.
    fn offset(&self, raw: &RawValue) -> usize {
        raw.get().as_ptr() as usize - self.text.as_ptr() as usize
    }

    fn at(&self, offset: usize) -> Option<(u64, u64)> {
        Some(scan::line_column(self.text.as_bytes(), offset))
    }

    /// Adds array elements: documents, or list envelopes whose `value` is flattened. Every
    /// element is parsed in full first, so nesting (envelopes included) is bounded by
    /// serde_json's recursion limit before anything recurses here.
    fn add(&mut self, items: Vec<&RawValue>) -> Result<(), Located> {
        for item in items {
            let at = self.offset(item);
            let raw = item.get();
            if !raw.starts_with('{') {
                let found = match raw.as_bytes()[0] {
                    b'[' => "an array",
                    b'"' => "a string",
                    b't' | b'f' => "a boolean",
                    b'n' => "null",
                    _ => "a number",
                };
                return Err((
                    self.at(at),
                    format!("expected an ARM document (a JSON object), found {found}"),
                ));
            }
            let checked = entry::check(raw).map_err(|e| {
                // serde_json counts lines and columns from the element's start.
                let within = offset_of(raw, e.line(), e.column());
                (
                    self.at(at + within),
                    format!(
                        "{} (the document cannot be read in full)",
                        entry::describe(&e)
                    ),
                )
            })?;
            if let Some(id) = checked.id.as_deref().filter(|id| !id.trim().is_empty()) {
                self.document(id, item, checked.needs_normalising)?;
                continue;
            }
            let probe: Probe<'_> =
                serde_json::from_str(raw).map_err(|e| (self.at(at), without_position(&e)))?;
            match (probe.id, probe.value) {
                (None, Some(value)) if value.get().starts_with('[') => {
                    let inner: Vec<&RawValue> = serde_json::from_str(value.get())
                        .map_err(|e| (self.at(at), without_position(&e)))?;
                    self.add(inner)?;
                }
                _ => {
                    return Err((
                        self.at(at),
                        "document has no `id` (every ARM document needs its resource id)".into(),
                    ));
                }
            }
        }
        Ok(())
    }

    fn document(&mut self, id: &str, item: &RawValue, normalise: bool) -> Result<(), Located> {
        let at = self.offset(item);
        let merge = self
            .docs
            .insert_checked(id, item, normalise)
            .map_err(|e| (self.at(at), entry::describe(&e)))?;
        if merge != Merge::Conflict {
            return Ok(());
        }
        // The held document is the first occurrence of its text, unless entry rewrote it.
        // `str::find` is linear in the worst case, so a hostile file cannot make this slow.
        let first = self
            .docs
            .text_of(id)
            .and_then(|held| self.text.find(held))
            .map(|offset| {
                let (line, column) = scan::line_column(self.text.as_bytes(), offset);
                format!(" (the first is at {line}:{column})")
            })
            .unwrap_or_default();
        Err((
            self.at(at),
            format!(
                "a second, different document with id {id}{first}; \
                 identical copies are allowed, and a compute list item gives way to the full compute"
            ),
        ))
    }
}

/// The byte offset of serde_json's 1-based line and column inside `text`.
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let line_start = if line <= 1 {
        0
    } else {
        text.match_indices('\n')
            .nth(line - 2)
            .map_or(text.len(), |(i, _)| i + 1)
    };
    (line_start + column.saturating_sub(1)).min(text.len())
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
        assert_eq!(
            docs.ids_of_type("a.b/c"),
            ["/subscriptions/s/resourceGroups/r/providers/A.B/c/d"]
        );
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
    fn written_snapshots_read_back() {
        let mut docs = parse("s.json", br#"[{"id": "/b", "x": 1}, {"id": "/a"}]"#).unwrap();
        docs.record_failure(ReadFailure {
            path: "/c".into(),
            status: Some(403),
            code: None,
            message: "no".into(),
            request_id: None,
            unknown: false,
        });
        let mut out = Vec::new();
        write(
            &docs,
            "2026-11-26T00:00:00Z",
            &serde_json::json!({"kind": "live"}),
            &mut out,
        )
        .unwrap();
        let again = parse("again.json", &out).unwrap();
        assert_eq!(again.len(), 2);
        assert_eq!(again.get("/c").unwrap_err().status, Some(403));
        assert_eq!(again.find("/b").unwrap()["x"], 1);
    }

    #[test]
    fn bad_input_is_located() {
        assert_eq!(err("  \n"), "s.json: the snapshot is empty");
        assert!(err("[{\"id\": 1,}]").starts_with("s.json:1:11: not valid JSON: "));
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
