//! Offline input (DESIGN §6): a JSON array of ARM documents (list envelopes flattened), a
//! bare list envelope, or the `amlsec-snapshot/1` object that `amlsec collect` writes.

use std::path::Path;

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::Value;
use serde_json::value::RawValue;

use super::pieces::{BOM, LineColumn, Pieces, Span, Stop};
use super::scan;
use crate::documents::entry::MAX_DEPTH;
use crate::documents::{Documents, Merge, ReadFailure, entry};
use crate::error::{Diagnostic, Error, Position, Result};

pub const SCHEMA: &str = "amlsec-snapshot/1";

/// Reads a snapshot of at most `limit` bytes from a file, or from standard input when `path`
/// is `-`, a piece at a time: the documents are taken from it one by one, so the file's text
/// is never held whole beside them.
pub fn load(path: &Path, limit: u64) -> Result<Documents> {
    let stdin = path.as_os_str() == "-";
    let name = if stdin {
        "<stdin>".to_string()
    } else {
        path.display().to_string()
    };
    let input = Input {
        name: &name,
        path,
        limit,
        // Read again only to point at the first of two conflicting documents.
        again: &|| {
            if stdin {
                return None;
            }
            let text = crate::input::read(path, limit).ok()?;
            Some(text.strip_prefix(BOM).map(<[u8]>::to_vec).unwrap_or(text))
        },
    };
    let reader = match crate::input::open(path, limit) {
        Err(Error::TooLarge { .. }) => return Err(input.too_large()),
        other => other?.0,
    };
    // Before the first value, only reading can fail: an I/O error, or too much.
    let pieces = Pieces::reader(reader, limit).map_err(|stop| match stop {
        Stop::Io(source) => Error::Io {
            path: path.to_path_buf(),
            source,
        },
        _ => input.too_large(),
    })?;
    input.read(pieces)
}

/// Parses snapshot text; `name` is what diagnostics call the file.
pub fn parse(name: &str, text: &[u8]) -> Result<Documents> {
    let text = text.strip_prefix(BOM).unwrap_or(text);
    Input {
        name,
        path: Path::new(name),
        limit: u64::MAX,
        again: &|| Some(text.to_vec()),
    }
    .read(Pieces::whole(text, 0, (1, 1)))
}

/// Where a snapshot comes from, for its diagnostics.
struct Input<'a> {
    name: &'a str,
    path: &'a Path,
    limit: u64,
    /// The whole text again, if it can be read again (not standard input).
    again: &'a dyn Fn() -> Option<Vec<u8>>,
}

/// Why reading a snapshot stopped.
enum Failure {
    Stop(Stop),
    At(Option<LineColumn>, String),
}

impl From<Stop> for Failure {
    fn from(stop: Stop) -> Failure {
        Failure::Stop(stop)
    }
}

impl Input<'_> {
    fn read(&self, mut pieces: Pieces<'_>) -> Result<Documents> {
        let mut docs = Documents::default();
        let mut adder = Adder {
            docs: &mut docs,
            again: self.again,
            failed_at: Vec::new(),
        };
        adder
            .snapshot(&mut pieces)
            .and_then(|()| adder.read_and_failed())
            .map_err(|failure| self.stopped(&pieces, failure))?;
        if docs.is_empty() && docs.failures().next().is_none() {
            return Err(self.fail(None, "the snapshot holds no ARM documents".into()));
        }
        Ok(docs)
    }

    fn fail(&self, position: Option<LineColumn>, message: String) -> Error {
        Error::Snapshot(Diagnostic {
            file: self.name.to_string(),
            position: position.map(|(line, column)| Position { line, column }),
            message,
        })
    }

    fn too_large(&self) -> Error {
        self.fail(
            None,
            format!(
                "larger than {} bytes; raise the limit with --max-snapshot-size if this is right",
                self.limit
            ),
        )
    }

    fn stopped(&self, pieces: &Pieces<'_>, failure: Failure) -> Error {
        match failure {
            Failure::At(position, message) => self.fail(position, message),
            Failure::Stop(Stop::Io(source)) => Error::Io {
                path: self.path.to_path_buf(),
                source,
            },
            Failure::Stop(Stop::TooLarge) => self.too_large(),
            Failure::Stop(Stop::Syntax(offset, message)) => self.fail(
                Some(pieces.position(offset)),
                format!("not valid JSON: {message}"),
            ),
            Failure::Stop(Stop::TooDeep(offset)) => self.fail(
                Some(pieces.position(offset)),
                format!("nesting deeper than {MAX_DEPTH} levels of arrays and objects"),
            ),
        }
    }
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
        out.write_all(raw.as_bytes())?;
    }
    let mut failures: Vec<&ReadFailure> = docs.failures().collect();
    failures.sort_by(|a, b| a.path.cmp(&b.path));
    out.write_all(b"\n],\n\"errors\": ")?;
    serde_json::to_writer_pretty(&mut *out, &failures)?;
    out.write_all(b"}\n")
}

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

/// The members of an `amlsec-snapshot/1` object.
const SNAPSHOT_KEYS: [&str; 5] = ["schema", "collectedAt", "source", "documents", "errors"];

/// The members that decide what a top-level object is: each may be given once.
const NOTED_KEYS: [&str; 7] = [
    "schema",
    "collectedAt",
    "source",
    "documents",
    "errors",
    "value",
    "id",
];

/// Adds the documents of a snapshot as they are read; a bad or conflicting document is
/// reported at its line and column.
struct Adder<'d> {
    docs: &'d mut Documents,
    again: &'d dyn Fn() -> Option<Vec<u8>>,
    /// Where each failed read of `errors` is written, by its path's key.
    failed_at: Vec<(String, LineColumn)>,
}

/// What the members of a top-level object said so far.
#[derive(Default)]
struct TopLevel {
    seen: Vec<String>,
    schema: bool,
    first_unknown: Option<(String, LineColumn)>,
    documents_at: Option<LineColumn>,
    held_documents: Option<(Vec<u8>, u64, LineColumn)>,
    errors: Option<(Vec<u8>, u64, LineColumn)>,
    value_at: Option<(bool, LineColumn)>,
    id: bool,
}

impl Adder<'_> {
    /// The whole snapshot: an array of documents, a list envelope or an `amlsec-snapshot/1`
    /// object.
    fn snapshot(&mut self, p: &mut Pieces<'_>) -> Result<(), Failure> {
        match p.peek()? {
            None => return Err(Failure::At(None, "the snapshot is empty".into())),
            Some(b'[') => {
                p.bump();
                self.array(p)?;
            }
            Some(b'{') => self.object(p)?,
            // A byte that cannot start JSON ends the read here, before an endless or huge
            // file of something else (`/dev/zero`, a binary) is read to its limit.
            Some(c) if !matches!(c, b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n') => {
                return Err(Failure::Stop(Stop::Syntax(
                    p.offset(),
                    format!(
                        "it starts with {}; expected an array of ARM documents or an {SCHEMA} object",
                        match c {
                            0x20..=0x7e => format!("{:?}", c as char),
                            _ => format!("the byte 0x{c:02x}"),
                        }
                    ),
                )));
            }
            Some(_) => {
                let span = p.value()?;
                json::<IgnoredAny>(p, &span)?;
                return Err(Failure::At(
                    Some((1, 1)),
                    format!(
                        "a JSON {}; expected an array of ARM documents or an {SCHEMA} object",
                        kind(p.get(&span))
                    ),
                ));
            }
        }
        match p.peek()? {
            None => Ok(()),
            Some(_) => Err(Stop::Syntax(p.offset(), "trailing characters".into()).into()),
        }
    }

    /// The elements of an array whose `[` is taken, each added as soon as it is read.
    fn array(&mut self, p: &mut Pieces<'_>) -> Result<(), Failure> {
        if p.peek()? == Some(b']') {
            p.bump();
            return Ok(());
        }
        loop {
            let span = p.value()?;
            let text = utf8(p, &span)?;
            self.add(p, span.offset, text)?;
            match p.peek()? {
                Some(b',') => p.bump(),
                Some(b']') => {
                    p.bump();
                    return Ok(());
                }
                Some(_) => {
                    return Err(Stop::Syntax(p.offset(), "expected `,` or `]`".into()).into());
                }
                None => {
                    return Err(Stop::Syntax(p.offset(), "EOF while parsing a list".into()).into());
                }
            }
        }
    }

    /// A top-level object, read member by member: an `amlsec-snapshot/1` object (its
    /// `documents` added as they are read once `schema` is known; before it, they are held
    /// until it comes) or a list envelope (its `value` added as read). Either way the first
    /// problem in the file is the one reported, and a member given twice is one.
    fn object(&mut self, p: &mut Pieces<'_>) -> Result<(), Failure> {
        p.bump();
        let mut top = TopLevel::default();
        if p.peek()? == Some(b'}') {
            p.bump();
        } else {
            loop {
                self.member(p, &mut top)?;
                match p.peek()? {
                    Some(b',') => p.bump(),
                    Some(b'}') => {
                        p.bump();
                        break;
                    }
                    Some(_) => {
                        return Err(Stop::Syntax(p.offset(), "expected `,` or `}`".into()).into());
                    }
                    None => {
                        return Err(
                            Stop::Syntax(p.offset(), "EOF while parsing an object".into()).into(),
                        );
                    }
                }
            }
        }
        if top.schema {
            if top.documents_at.is_none() {
                return Err(Failure::At(
                    None,
                    "`documents` must be an array of ARM documents".into(),
                ));
            }
            if let Some((text, offset, at)) = top.errors {
                self.failures(&text, offset, at)?;
            }
            return Ok(());
        }
        match top.value_at {
            Some((true, _)) if !top.id => Ok(()),
            Some((false, at)) if !top.id => Err(Failure::At(
                Some(at),
                "`value` must be an array of ARM documents".into(),
            )),
            _ => Err(Failure::At(
                Some((1, 1)),
                format!(
                    "a single JSON object; expected an array of ARM documents, a list envelope {{\"value\": [...]}} or an {SCHEMA} object"
                ),
            )),
        }
    }

    /// One member of the top-level object, from its key to the end of its value.
    fn member(&mut self, p: &mut Pieces<'_>, top: &mut TopLevel) -> Result<(), Failure> {
        if p.peek()? != Some(b'"') {
            return Err(Stop::Syntax(p.offset(), "key must be a string".into()).into());
        }
        let key_span = p.value()?;
        let key: String = json(p, &key_span)?;
        // Positions are found only for the members that may need one, each at most
        // once: finding one costs a scan of what is held.
        let noted = NOTED_KEYS.contains(&key.as_str());
        let key_at = if noted || top.schema || top.first_unknown.is_none() {
            p.position(key_span.offset)
        } else {
            (0, 0) // never shown
        };
        p.expect(b':', "`:`")?;
        if p.peek()?.is_none() {
            return Err(Stop::Syntax(p.offset(), "EOF while parsing a value".into()).into());
        }
        let at = if noted {
            p.position(p.offset())
        } else {
            key_at
        };
        if noted && top.seen.contains(&key) {
            return Err(Failure::At(Some(key_at), format!("`{key}` is given twice")));
        }
        let is_array = p.peek()? == Some(b'[');
        if !SNAPSHOT_KEYS.contains(&key.as_str()) {
            if top.schema {
                return Err(unknown_key(&key, key_at));
            }
            if top.first_unknown.is_none() {
                top.first_unknown = Some((key.clone(), key_at));
            }
        }
        match key.as_str() {
            "schema" => {
                let span = p.value()?;
                let text = utf8(p, &span)?;
                if serde_json::from_str::<String>(text).ok().as_deref() != Some(SCHEMA) {
                    json::<IgnoredAny>(p, &span)?;
                    return Err(Failure::At(
                        Some(at),
                        format!("unsupported snapshot schema {text}; this amlsec reads {SCHEMA:?}"),
                    ));
                }
                if let Some((key, key_at)) = top.first_unknown.take() {
                    return Err(unknown_key(&key, key_at));
                }
                top.schema = true;
                if let Some((text, offset, at)) = top.held_documents.take() {
                    let mut again = Pieces::whole(&text, offset, at);
                    self.documents(&mut again, at)?;
                }
            }
            "documents" if top.schema => {
                top.documents_at = Some(at);
                self.documents(p, at)?;
            }
            "documents" => {
                top.documents_at = Some(at);
                let span = p.value()?;
                top.held_documents = Some((p.get(&span).to_vec(), span.offset, at));
            }
            "errors" => {
                let span = p.value()?;
                top.errors = Some((p.get(&span).to_vec(), span.offset, at));
            }
            "value" if !top.schema && !top.id && is_array => {
                top.value_at = Some((true, at));
                p.bump();
                self.array(p)?;
            }
            "value" => {
                top.value_at = Some((is_array, at));
                let span = p.value()?;
                json::<IgnoredAny>(p, &span)?;
            }
            _ => {
                top.id |= key == "id";
                let span = p.value()?;
                json::<IgnoredAny>(p, &span)?;
            }
        }
        if noted {
            top.seen.push(key);
        }
        Ok(())
    }

    /// The `documents` of an `amlsec-snapshot/1` object, at `at`.
    fn documents(&mut self, p: &mut Pieces<'_>, at: LineColumn) -> Result<(), Failure> {
        if p.peek()? != Some(b'[') {
            return Err(Failure::At(
                Some(at),
                "`documents` must be an array of ARM documents".into(),
            ));
        }
        p.bump();
        self.array(p)
    }

    /// The `errors` of an `amlsec-snapshot/1` object: the reads that failed.
    fn failures(&mut self, text: &[u8], offset: u64, at: LineColumn) -> Result<(), Failure> {
        let errors: Vec<&RawValue> = match serde_json::from_slice::<Option<Vec<&RawValue>>>(text) {
            Ok(errors) => errors.unwrap_or_default(),
            Err(_) => {
                return Err(Failure::At(Some(at), "`errors` must be an array".into()));
            }
        };
        let p = Pieces::whole(text, offset, at);
        for e in errors {
            let failure: ReadFailure = serde_json::from_str(e.get()).map_err(|err| {
                let within = e.get().as_ptr() as usize - text.as_ptr() as usize;
                Failure::At(
                    Some(p.position(offset + within as u64)),
                    format!("invalid entry in `errors`: {}", without_position(&err)),
                )
            })?;
            let within = e.get().as_ptr() as usize - text.as_ptr() as usize;
            self.failed_at
                .push((failure.path.clone(), p.position(offset + within as u64)));
            self.docs.record_failure(failure);
        }
        Ok(())
    }

    /// A document and a failed read for one id contradict each other (baseline.md §1.6,
    /// v0.3), except a list item whose own read failed, which is what `collect` writes then.
    fn read_and_failed(&self) -> Result<(), Failure> {
        for (path, at) in &self.failed_at {
            let Some(held) = self.docs.text_of(path) else {
                continue;
            };
            let list_item = serde_json::from_str::<Value>(held)
                .is_ok_and(|doc| crate::graph::awaits_its_own_read(&doc));
            if list_item {
                continue;
            }
            let document = (self.again)()
                .and_then(|text| {
                    let text = std::str::from_utf8(&text).ok()?;
                    let found = text.find(held)?;
                    let (line, column) = scan::line_column(text.as_bytes(), found);
                    Some(format!(" (the document is at {line}:{column})"))
                })
                .unwrap_or_default();
            return Err(Failure::At(
                Some(*at),
                format!(
                    "a failed read of {path} and a document with that id{document}: a snapshot holds one or the other"
                ),
            ));
        }
        Ok(())
    }

    /// Adds an array element at `offset`: a document, or a list envelope whose `value` is
    /// flattened. Every element is parsed in full first, so nesting (envelopes included) is
    /// bounded by serde_json's recursion limit before anything recurses here.
    fn add(&mut self, p: &Pieces<'_>, offset: u64, raw: &str) -> Result<(), Failure> {
        let at = |within: usize| Some(p.position(offset + within as u64));
        if !raw.starts_with('{') {
            // Not an object: say what it is, or why it is not JSON, without building it.
            json_at::<IgnoredAny>(p, offset, raw)?;
            let found = match kind(raw.as_bytes()) {
                "null" => "null".to_string(),
                "array" => "an array".to_string(),
                other => format!("a {other}"),
            };
            return Err(Failure::At(
                at(0),
                format!("expected an ARM document (a JSON object), found {found}"),
            ));
        }
        let checked = entry::check(raw).map_err(|e| {
            // serde_json counts lines and columns from the element's start.
            Failure::At(at(offset_of(raw, e.line(), e.column())), unreadable(&e))
        })?;
        if let Some(id) = checked.id.as_deref().filter(|id| !id.trim().is_empty()) {
            return self.document(p, offset, id, raw, checked.needs_normalising);
        }
        let probe: Probe<'_> =
            serde_json::from_str(raw).map_err(|e| Failure::At(at(0), without_position(&e)))?;
        match (probe.id, probe.value) {
            (None, Some(value)) if value.get().starts_with('[') => {
                let inner: Vec<&RawValue> = serde_json::from_str(value.get())
                    .map_err(|e| Failure::At(at(0), without_position(&e)))?;
                for item in inner {
                    let within = item.get().as_ptr() as usize - raw.as_ptr() as usize;
                    self.add(p, offset + within as u64, item.get())?;
                }
                Ok(())
            }
            _ => Err(Failure::At(
                at(0),
                "document has no `id` (every ARM document needs its resource id)".into(),
            )),
        }
    }

    fn document(
        &mut self,
        p: &Pieces<'_>,
        offset: u64,
        id: &str,
        raw: &str,
        normalise: bool,
    ) -> Result<(), Failure> {
        let at = || Some(p.position(offset));
        let merge = self
            .docs
            .insert_checked(id, raw, normalise)
            .map_err(|e| Failure::At(at(), entry::describe(&e)))?;
        if merge != Merge::Conflict {
            return Ok(());
        }
        // The held document is the first occurrence of its text, unless entry rewrote it; the
        // text is read again to find it, as it is not kept. `str::find` is linear in the
        // worst case, so a hostile file cannot make this slow.
        let first = (self.again)()
            .zip(self.docs.text_of(id))
            .and_then(|(text, held)| {
                let text = std::str::from_utf8(&text).ok()?;
                let found = text.find(held)?;
                let (line, column) = scan::line_column(text.as_bytes(), found);
                Some(format!(" (the first is at {line}:{column})"))
            })
            .unwrap_or_default();
        Err(Failure::At(
            at(),
            format!(
                "a second, different document with id {id}{first}; \
                 identical copies are allowed, and a compute list item gives way to the full compute"
            ),
        ))
    }
}

fn unknown_key(key: &str, at: LineColumn) -> Failure {
    Failure::At(
        Some(at),
        format!(
            "unknown key `{key}`, expected one of schema, collectedAt, source, documents, errors"
        ),
    )
}

/// Why an element cannot be read: not JSON, or JSON that cannot be held in full (a number out
/// of range, nesting too deep), which serde_json also calls a syntax error.
fn unreadable(e: &serde_json::Error) -> String {
    let message = entry::describe(e);
    let beyond_limits =
        message.starts_with("nesting deeper") || message.starts_with("number out of range");
    if (e.is_syntax() || e.is_eof()) && !beyond_limits {
        format!("not valid JSON: {message}")
    } else {
        format!("{message} (the document cannot be read in full)")
    }
}

/// A value's text, which must be UTF-8.
fn utf8<'p>(p: &'p Pieces<'_>, span: &Span) -> Result<&'p str, Failure> {
    std::str::from_utf8(p.get(span)).map_err(|e| {
        Failure::At(
            Some(p.position(span.offset + e.valid_up_to() as u64)),
            "not valid JSON: the file is not UTF-8".into(),
        )
    })
}

/// A value parsed, or why it is not JSON, at its place in the file.
fn json<'p, T: Deserialize<'p>>(p: &'p Pieces<'_>, span: &Span) -> Result<T, Failure> {
    json_at(p, span.offset, utf8(p, span)?)
}

/// `text`, found at `offset`, parsed, or why it is not JSON at its place in the file.
fn json_at<'t, T: Deserialize<'t>>(
    p: &Pieces<'_>,
    offset: u64,
    text: &'t str,
) -> Result<T, Failure> {
    serde_json::from_str(text).map_err(|e| {
        let within = offset_of(text, e.line(), e.column());
        Failure::At(
            Some(p.position(offset + within as u64)),
            format!("not valid JSON: {}", without_position(&e)),
        )
    })
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
    // Column 0 is serde_json's way of pointing at the newline that ends the line before (a
    // string broken across lines).
    match column {
        0 => line_start.saturating_sub(1),
        _ => (line_start + column - 1).min(text.len()),
    }
}

/// What a valid JSON text is, from its first byte.
fn kind(json: &[u8]) -> &'static str {
    match json.first() {
        Some(b'n') => "null",
        Some(b't' | b'f') => "boolean",
        Some(b'"') => "string",
        Some(b'[') => "array",
        Some(b'{') => "object",
        _ => "number",
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

    #[test]
    fn snapshot_objects_are_read_member_by_member_in_any_order() {
        let docs = parse(
            "s.json",
            br#"{"documents": [{"id": "/a"}], "schema": "amlsec-snapshot/1"}"#,
        )
        .unwrap();
        assert!(docs.find("/a").is_some());
        assert_eq!(
            err(r#"{"x": 1, "schema": "amlsec-snapshot/1", "documents": []}"#),
            "s.json:1:2: unknown key `x`, expected one of schema, collectedAt, source, documents, errors"
        );
        assert_eq!(
            err(r#"{"schema": "amlsec-snapshot/1", "documents": [{"id": "/a"}], "documents": []}"#),
            "s.json:1:62: `documents` is given twice"
        );
        assert_eq!(
            err(r#"{"schema": "amlsec-snapshot/1"}"#),
            "s.json: `documents` must be an array of ARM documents"
        );
        assert!(err(r#"{"value": [{"id": "/a"}], "id": "/b"}"#).contains("a single JSON object"));
        assert_eq!(
            err(r#"{"value": 3}"#),
            "s.json:1:11: `value` must be an array of ARM documents"
        );
        assert_eq!(
            err(r#"{"schema": 5, "documents": []}"#),
            "s.json:1:12: unsupported snapshot schema 5; this amlsec reads \"amlsec-snapshot/1\""
        );
    }

    /// The outcome of reading `text` a few bytes at a time, as `parse` reports it.
    fn in_pieces(text: &[u8], piece: usize) -> std::result::Result<Vec<String>, String> {
        let input = Input {
            name: "s.json",
            path: Path::new("s.json"),
            limit: u64::MAX,
            again: &|| Some(text.strip_prefix(BOM).unwrap_or(text).to_vec()),
        };
        let pieces = Pieces::reader_in(text, u64::MAX, piece).map_err(|_| "unreadable")?;
        let docs = input.read(pieces).map_err(|e| e.to_string())?;
        Ok(docs
            .raw_documents()
            .into_iter()
            .map(str::to_string)
            .collect())
    }

    #[test]
    fn read_in_pieces_or_whole_a_snapshot_reads_the_same() {
        // The examples, and each cut short or with a byte changed at a few places: documents
        // and diagnostics alike must not depend on where the pieces end.
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples");
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let text = std::fs::read(&path).unwrap();
            let mut variants = vec![text.clone()];
            for at in [1, 7, text.len() / 3, text.len() / 2, text.len() - 2] {
                variants.push(text[..at].to_vec());
                for byte in [b'"', b'}', b',', b'\\', 0xc3] {
                    let mut changed = text.clone();
                    changed[at] = byte;
                    variants.push(changed);
                }
            }
            for variant in variants {
                let whole = parse("s.json", &variant)
                    .map(|d| d.raw_documents().into_iter().map(str::to_string).collect())
                    .map_err(|e| e.to_string());
                for piece in [3, 64, 4096] {
                    assert_eq!(
                        in_pieces(&variant, piece),
                        whole,
                        "{path:?}, {piece}-byte pieces"
                    );
                }
            }
        }
    }

    #[test]
    fn many_members_cost_no_more_than_their_text() {
        // Were each member's position found by a scan from the start, 200,000 members (2 MB)
        // would take hours.
        let members: String = (0..200_000).map(|i| format!(",\"k{i}\":0")).collect();
        let text = format!("{{\"value\": [{{\"id\": \"/a\"}}]{members}}}");
        assert_eq!(parse("s.json", text.as_bytes()).unwrap().len(), 1);
        let text = format!("{{\"schema\": \"amlsec-snapshot/1\", \"documents\": []{members}}}");
        assert!(
            parse("s.json", text.as_bytes())
                .unwrap_err()
                .to_string()
                .contains("unknown key `k0`")
        );
    }

    #[test]
    fn elements_that_are_not_documents_say_what_they_are() {
        for (element, found) in [
            ("1", "a number"),
            ("null", "null"),
            ("[{}]", "an array"),
            ("\"x\"", "a string"),
            ("false", "a boolean"),
        ] {
            assert_eq!(
                err(&format!("[{{\"id\": \"/a\"}}, {element}]")),
                format!("s.json:1:16: expected an ARM document (a JSON object), found {found}")
            );
        }
        assert_eq!(
            err("[tru]"),
            "s.json:1:4: not valid JSON: EOF while parsing a value"
        );
    }

    #[test]
    fn what_lies_between_documents_is_checked() {
        assert_eq!(
            err(r#"[{"id": "/a"}] x"#),
            "s.json:1:16: not valid JSON: trailing characters"
        );
        assert_eq!(
            err(r#"[{"id": "/a"} {"id": "/b"}]"#),
            "s.json:1:15: not valid JSON: expected `,` or `]`"
        );
        assert_eq!(
            err("[{\"id\": \"/a\"},"),
            "s.json:1:15: not valid JSON: expected value"
        );
        assert_eq!(
            err("[{\"id\": \"/a\"}"),
            "s.json:1:14: not valid JSON: EOF while parsing a list"
        );
        assert!(err("[{\"id\": \"/a\", \"x\": [1,").contains("not valid JSON: EOF while parsing"));
        assert_eq!(
            err("[{\"id\": \"/a\",\n \"x\": \"broken\nstring\"}]"),
            "s.json:2:14: not valid JSON: control character (\\u0000-\\u001F) found while parsing a string"
        );
    }
}
