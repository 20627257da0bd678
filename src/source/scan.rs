//! Finds where an element sits in JSON text, to point a diagnostic at it. Parsing into
//! `serde_json::Value` forgets positions; this re-reads the text only on the error path.

/// One step into a JSON value: an array index or an object key.
#[derive(Debug, Clone)]
pub enum Step<'a> {
    Index(usize),
    Key(&'a str),
}

/// The 1-based line and column of the value at `path` in valid JSON `text`.
pub fn position(text: &[u8], path: &[Step<'_>]) -> Option<(u64, u64)> {
    let mut at = skip_ws(text, 0);
    for step in path {
        at = match step {
            Step::Index(n) => nth_element(text, at, *n)?,
            Step::Key(k) => member(text, at, k)?,
        };
    }
    Some(line_column(text, at))
}

pub fn line_column(text: &[u8], offset: usize) -> (u64, u64) {
    let before = &text[..offset.min(text.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count() as u64
        + 1;
    (line, column)
}

fn skip_ws(text: &[u8], mut at: usize) -> usize {
    while at < text.len() && text[at].is_ascii_whitespace() {
        at += 1;
    }
    at
}

fn nth_element(text: &[u8], at: usize, n: usize) -> Option<usize> {
    if text.get(at) != Some(&b'[') {
        return None;
    }
    let mut at = skip_ws(text, at + 1);
    for _ in 0..n {
        at = skip_ws(text, skip_value(text, at)?);
        if text.get(at) != Some(&b',') {
            return None;
        }
        at = skip_ws(text, at + 1);
    }
    Some(at)
}

fn member(text: &[u8], at: usize, key: &str) -> Option<usize> {
    if text.get(at) != Some(&b'{') {
        return None;
    }
    let mut at = skip_ws(text, at + 1);
    loop {
        let key_end = skip_value(text, at)?;
        let found: String = serde_json::from_slice(&text[at..key_end]).ok()?;
        at = skip_ws(text, key_end);
        if text.get(at) != Some(&b':') {
            return None;
        }
        at = skip_ws(text, at + 1);
        if found == key {
            return Some(at);
        }
        at = skip_ws(text, skip_value(text, at)?);
        if text.get(at) != Some(&b',') {
            return None;
        }
        at = skip_ws(text, at + 1);
    }
}

/// The offset just past the value starting at `at`.
fn skip_value(text: &[u8], at: usize) -> Option<usize> {
    match text.get(at)? {
        b'"' => {
            let mut i = at + 1;
            while i < text.len() {
                match text[i] {
                    b'\\' => i += 2,
                    b'"' => return Some(i + 1),
                    _ => i += 1,
                }
            }
            None
        }
        b'[' | b'{' => {
            let mut depth = 0usize;
            let mut i = at;
            while i < text.len() {
                match text[i] {
                    b'"' => {
                        i = skip_value(text, i)?;
                        continue;
                    }
                    b'[' | b'{' => depth += 1,
                    b']' | b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            None
        }
        _ => {
            let mut i = at;
            while i < text.len()
                && !matches!(text[i], b',' | b']' | b'}')
                && !text[i].is_ascii_whitespace()
            {
                i += 1;
            }
            Some(i)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_elements() {
        let text = b"[\n  {\"id\": \"a\"},\n  {\"value\": [1, {\"x\": \"]\"}, 3]}\n]";
        assert_eq!(position(text, &[Step::Index(0)]), Some((2, 3)));
        assert_eq!(
            position(text, &[Step::Index(1), Step::Key("value"), Step::Index(2)]),
            Some((3, 29))
        );
        let obj = b"{\"schema\": \"x\", \"documents\": [ 7 ]}";
        assert_eq!(
            position(obj, &[Step::Key("documents"), Step::Index(0)]),
            Some((1, 32))
        );
    }
}
