//! JSON text read a piece at a time: a snapshot's documents are handed over one by one, so
//! the file never sits in memory whole beside the documents taken from it (DESIGN §11:
//! memory under twice the snapshot's size). Only the extent of each value is found here;
//! whoever takes a value parses it, which checks the rest of its syntax.

use std::io::Read;

use crate::documents::entry::MAX_DEPTH;

/// How much is read at a time.
const PIECE: usize = 1 << 20;

/// Why reading stopped.
#[derive(Debug)]
pub enum Stop {
    Io(std::io::Error),
    /// The text is longer than the limit.
    TooLarge,
    /// Not JSON: what was expected, at a byte offset of the text.
    Syntax(u64, String),
    /// Nesting deeper than [`MAX_DEPTH`], at a byte offset of the text.
    TooDeep(u64),
}

/// A value taken: its offset in the whole text, and where it is held until the next read.
#[derive(Debug, Clone)]
pub struct Span {
    pub offset: u64,
    held: std::ops::Range<usize>,
}

/// A 1-based line and column (in characters), as diagnostics show them.
pub type LineColumn = (u64, u64);

enum Source<'a> {
    /// Text already in memory: nothing is copied.
    Whole(&'a [u8]),
    Reader {
        reader: Box<dyn Read + 'a>,
        /// What may still be read: the limit, plus one byte to tell "longer".
        left: u64,
        buf: Vec<u8>,
        ended: bool,
        /// How much is read at a time.
        piece: usize,
    },
}

pub struct Pieces<'a> {
    source: Source<'a>,
    /// Where reading is, in what is held.
    at: usize,
    /// The offset in the whole text of the first byte held, and its line and column.
    base: u64,
    base_position: LineColumn,
}

impl<'a> Pieces<'a> {
    /// Text in memory; `position` is where it starts in a larger text.
    pub fn whole(text: &'a [u8], offset: u64, position: LineColumn) -> Pieces<'a> {
        Pieces {
            source: Source::Whole(text),
            at: 0,
            base: offset,
            base_position: position,
        }
    }

    /// Text from a reader, of at most `limit` bytes; a leading byte-order mark is skipped.
    pub fn reader(reader: impl Read + 'a, limit: u64) -> Result<Pieces<'a>, Stop> {
        Self::reader_in(reader, limit, PIECE)
    }

    /// As [`Self::reader`], `piece` bytes at a time (tests make every value cross pieces).
    pub(crate) fn reader_in(
        reader: impl Read + 'a,
        limit: u64,
        piece: usize,
    ) -> Result<Pieces<'a>, Stop> {
        let mut pieces = Pieces {
            source: Source::Reader {
                reader: Box::new(reader),
                left: limit.saturating_add(1),
                buf: Vec::new(),
                ended: false,
                piece,
            },
            at: 0,
            base: 0,
            base_position: (1, 1),
        };
        while pieces.text().len() < BOM.len() && pieces.fill()?.is_some() {}
        if let Source::Reader { buf, .. } = &mut pieces.source
            && buf.starts_with(BOM)
        {
            buf.drain(..BOM.len());
        }
        Ok(pieces)
    }

    /// What is held.
    fn text(&self) -> &[u8] {
        match &self.source {
            Source::Whole(text) => text,
            Source::Reader { buf, .. } => buf,
        }
    }

    /// Reads another piece, then drops what is held before `at`: `None` at the end of the text
    /// (nothing dropped), else how many bytes were dropped (positions held by the caller move
    /// back by that much).
    fn fill(&mut self) -> Result<Option<usize>, Stop> {
        let Source::Reader {
            reader,
            left,
            buf,
            ended,
            piece,
        } = &mut self.source
        else {
            return Ok(None);
        };
        if *ended {
            return Ok(None);
        }
        let want = (*piece).min(usize::try_from(*left).unwrap_or(*piece));
        // Grown by doubling: a value longer than many pieces is copied a few times, not once
        // per piece.
        buf.reserve(want);
        let read = reader
            .take(want as u64)
            .read_to_end(buf)
            .map_err(Stop::Io)?;
        *left -= read as u64;
        if *left == 0 {
            return Err(Stop::TooLarge);
        }
        if read == 0 {
            *ended = true;
            return Ok(None);
        }
        let dropped = self.at;
        self.base_position = advance(self.base_position, &buf[..dropped]);
        self.base += dropped as u64;
        buf.drain(..dropped);
        self.at = 0;
        Ok(Some(dropped))
    }

    /// The offset in the whole text of where reading is.
    pub fn offset(&self) -> u64 {
        self.base + self.at as u64
    }

    /// The line and column of an offset not yet passed over by a read of the next piece: one
    /// in the value last returned, or after it.
    pub fn position(&self, offset: u64) -> LineColumn {
        let held = usize::try_from(offset.saturating_sub(self.base)).unwrap_or(usize::MAX);
        let text = self.text();
        advance(self.base_position, &text[..held.min(text.len())])
    }

    /// Skips JSON white space: the next byte, not taken, or `None` at the end.
    pub fn peek(&mut self) -> Result<Option<u8>, Stop> {
        loop {
            let text = self.text();
            if let Some(skip) = text[self.at..].iter().position(|b| !is_json_space(*b)) {
                self.at += skip;
                return Ok(Some(self.text()[self.at]));
            }
            self.at = text.len();
            if self.fill()?.is_none() {
                return Ok(None);
            }
        }
    }

    /// Takes the byte `peek` returned.
    pub fn bump(&mut self) {
        self.at += 1;
    }

    /// Takes `expected` after white space, or says what was expected.
    pub fn expect(&mut self, expected: u8, what: &str) -> Result<(), Stop> {
        match self.peek()? {
            Some(b) if b == expected => {
                self.bump();
                Ok(())
            }
            Some(_) => Err(Stop::Syntax(self.offset(), format!("expected {what}"))),
            None => Err(Stop::Syntax(
                self.offset(),
                format!("EOF while expecting {what}"),
            )),
        }
    }

    /// The text of the value last taken.
    pub fn get(&self, span: &Span) -> &[u8] {
        &self.text()[span.held.clone()]
    }

    /// Takes the JSON value that starts here (after white space); its text ([`Self::get`]) is
    /// cut short at the end of the text if the value is. A value nested deeper than
    /// [`MAX_DEPTH`] is refused where it goes too deep, before any more of it is held.
    pub fn value(&mut self) -> Result<Span, Stop> {
        if matches!(self.peek()?, None | Some(b']' | b'}' | b',' | b':')) {
            return Err(Stop::Syntax(self.offset(), "expected value".into()));
        }
        let mut start = self.at;
        let mut i = start;
        let (mut depth, mut in_string) = (0usize, false);
        let end = 'scan: loop {
            let text = self.text();
            while i < text.len() {
                if in_string {
                    match memchr::memchr2(b'"', b'\\', &text[i..]) {
                        None => i = text.len(),
                        Some(j) if text[i + j] == b'\\' => i += j + 2,
                        Some(j) => {
                            in_string = false;
                            i += j + 1;
                            if depth == 0 {
                                break 'scan i;
                            }
                        }
                    }
                    continue;
                }
                match text[i] {
                    b'"' => in_string = true,
                    b'[' | b'{' => {
                        depth += 1;
                        if depth > MAX_DEPTH {
                            return Err(Stop::TooDeep(self.base + i as u64));
                        }
                    }
                    b']' | b'}' if depth <= 1 => break 'scan i + usize::from(depth == 1),
                    b']' | b'}' => depth -= 1,
                    b',' | b':' | b' ' | b'\t' | b'\n' | b'\r' if depth == 0 => break 'scan i,
                    _ => {}
                }
                i += 1;
            }
            self.at = start;
            match self.fill()? {
                Some(dropped) => {
                    start -= dropped;
                    i -= dropped;
                }
                // Cut short: the caller's parse says what is missing.
                None => break self.text().len(),
            }
        };
        let end = end.min(self.text().len());
        self.at = end;
        Ok(Span {
            offset: self.base + start as u64,
            held: start..end,
        })
    }
}

/// The UTF-8 byte-order mark, which Windows editors write first and is not JSON.
pub const BOM: &[u8] = b"\xef\xbb\xbf";

/// JSON's white space; Unicode spaces (U+00A0, U+2028, `\v`) are not.
pub fn is_json_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// The position after `text`, from the position before it.
fn advance((line, column): LineColumn, text: &[u8]) -> LineColumn {
    // A character is a byte that does not continue a UTF-8 sequence; ASCII is checked a word
    // at a time, as this runs over every byte of a snapshot.
    let characters = |t: &[u8]| {
        if t.is_ascii() {
            t.len() as u64
        } else {
            t.iter().filter(|&&b| (b as i8) >= -0x40).count() as u64
        }
    };
    match memchr::memrchr(b'\n', text) {
        None => (line, column + characters(text)),
        Some(last) => (
            line + memchr::memchr_iter(b'\n', text).count() as u64,
            1 + characters(&text[last + 1..]),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Text read a few bytes at a time, so every value crosses pieces.
    fn trickle(text: &[u8], piece: usize, limit: u64) -> Result<Pieces<'_>, Stop> {
        Pieces::reader_in(text, limit, piece)
    }

    /// The values of a top-level array, with their positions.
    fn elements(mut p: Pieces<'_>) -> Result<Vec<(LineColumn, String)>, Stop> {
        let mut found = Vec::new();
        p.expect(b'[', "`[`")?;
        loop {
            let span = p.value()?;
            let text = String::from_utf8(p.get(&span).to_vec()).unwrap();
            found.push((p.position(span.offset), text));
            match p.peek()? {
                Some(b',') => p.bump(),
                _ => break,
            }
        }
        Ok(found)
    }

    const TEXT: &str = "\u{feff}[ {\"a\": \"]}\\\"[\"},\n  \"é\\\\\" , [1, [2]],\n\t-1.5e3 ,true]";

    #[test]
    fn values_are_found_whole_across_pieces_with_their_positions() {
        let expected = vec![
            ((1, 3), "{\"a\": \"]}\\\"[\"}".to_string()),
            ((2, 3), "\"é\\\\\"".to_string()),
            ((2, 11), "[1, [2]]".to_string()),
            ((3, 2), "-1.5e3".to_string()),
            ((3, 10), "true".to_string()),
        ];
        let bytes = TEXT.as_bytes();
        let whole = Pieces::whole(&bytes[3..], 0, (1, 1));
        assert_eq!(elements(whole).unwrap(), expected);
        for step in 1..8 {
            let pieces = trickle(bytes, step, 1000).unwrap();
            assert_eq!(
                elements(pieces).unwrap(),
                expected,
                "{step} bytes at a time"
            );
        }
    }

    #[test]
    fn a_value_cut_short_is_returned_for_its_parser_to_refuse() {
        let mut p = trickle(b"[{\"a\": [1,", 3, 100).unwrap();
        p.bump();
        let span = p.value().unwrap();
        assert_eq!(p.get(&span), b"{\"a\": [1,");
    }

    #[test]
    fn too_deep_too_long_and_misplaced_are_refused() {
        let deep = format!("[{}", "[".repeat(MAX_DEPTH + 1));
        let mut p = Pieces::whole(deep.as_bytes(), 0, (1, 1));
        p.bump();
        assert!(matches!(p.value(), Err(Stop::TooDeep(129))));
        let long = trickle(b"[1, 2, 3]", 2, 8);
        assert!(matches!(long.and_then(elements), Err(Stop::TooLarge)));
        let mut p = Pieces::whole(b"[ ]", 0, (1, 1));
        p.bump();
        assert!(matches!(p.value(), Err(Stop::Syntax(2, m)) if m == "expected value"));
    }
}
