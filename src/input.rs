//! Reading the user's files with a bound on their size, so that a huge file or an endless
//! device (`/dev/zero`) is an input error rather than a memory exhaustion.

use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};

/// Default largest snapshot (`--max-snapshot-size`): about 25,000 workspaces.
pub const SNAPSHOT_LIMIT: u64 = 1 << 30;
/// Largest rule, exceptions or parameter file: hand-written text, never this large.
pub const TEXT_FILE_LIMIT: u64 = 16 << 20;

/// `path` opened for reading (standard input for `-`), with its size when it is a regular
/// file; one larger than `limit` is refused before it is read.
pub fn open(path: &Path, limit: u64) -> Result<(Box<dyn Read>, Option<u64>)> {
    if path.as_os_str() == "-" {
        return Ok((Box::new(std::io::stdin().lock()), None));
    }
    let file = std::fs::File::open(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let size = file
        .metadata()
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.len());
    if size.is_some_and(|len| len > limit) {
        return Err(Error::TooLarge {
            path: path.to_path_buf(),
            limit,
        });
    }
    Ok((Box::new(file), size))
}

/// The bytes of `path` (standard input for `-`), refusing more than `limit` bytes.
pub fn read(path: &Path, limit: u64) -> Result<Vec<u8>> {
    let (reader, size) = open(path, limit)?;
    let mut buf = Vec::new();
    // A regular file says its size up front, so the buffer is allocated once rather than
    // grown (and copied) a few dozen times; a device or pipe is read up to the limit.
    buf.reserve_exact(size.map_or(0, |len| len as usize + 1));
    reader
        .take(limit + 1)
        .read_to_end(&mut buf)
        .map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
    if buf.len() as u64 > limit {
        return Err(Error::TooLarge {
            path: path.to_path_buf(),
            limit,
        });
    }
    Ok(buf)
}

/// A text file: UTF-8, a leading byte-order mark ignored (Windows editors write one).
pub fn read_text(path: &Path, limit: u64) -> Result<String> {
    let bytes = read(path, limit)?;
    let text = String::from_utf8(bytes).map_err(|e| Error::Io {
        path: path.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e.utf8_error()),
    })?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

/// A size that is not one, as given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}`: write a size such as 64MiB, 2GiB or 1048576")]
pub struct SizeError(pub String);

/// A size such as `1048576`, `512K`, `64MiB` or `2G` (binary multiples), in bytes.
pub fn parse_size(text: &str) -> std::result::Result<u64, SizeError> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => return Err(SizeError(text.to_string())),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(1 << shift))
        .filter(|n| *n > 0)
        .ok_or_else(|| SizeError(text.to_string()))
}

/// A text field of a user's YAML file that must be written as text: YAML would turn `5`,
/// `true` or `1.0` into a number or a boolean, and taking those as text would accept an entry
/// its author did not write as one (a `reason: 5`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Text(pub String);

impl<'de> serde::Deserialize<'de> for Text {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Text, D::Error> {
        struct Strict;
        impl serde::de::Visitor<'_> for Strict {
            type Value = Text;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("text (quote a number or a boolean meant as text)")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<Text, E> {
                Ok(Text(v.to_string()))
            }
        }
        d.deserialize_any(Strict)
    }
}

/// serde-saphyr's message without its own location prefix and snippet.
pub fn yaml_message(e: &serde_saphyr::Error) -> String {
    let text = e.without_snippet().to_string();
    let first = text.lines().next().unwrap_or_default();
    let message = match first
        .strip_prefix("line ")
        .and_then(|rest| rest.split_once(": "))
    {
        Some((_, message)) => message,
        None => first.trim_start_matches("error: "),
    };
    // serde-saphyr names a breached limit by its Debug form (`budget breached: Depth { depth: 65 }`).
    if let Some(breach) = message.strip_prefix("budget breached: ") {
        return match breach.split_whitespace().next() {
            Some("Depth") => "nesting deeper than the 64 levels a rule file may have".into(),
            _ => format!("the file exceeds a parser limit ({breach})"),
        };
    }
    // The location is reported separately, as file:line:column.
    match message.rfind(" at line ") {
        Some(i) if message[i..].contains("column") => message[..i].to_string(),
        _ => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_fields_take_text_and_nothing_else() {
        let ok: Vec<Text> = serde_saphyr::from_str("[abc, \"5\", 'true']").unwrap();
        assert_eq!(ok, ["abc", "5", "true"].map(|s| Text(s.into())));
        for bad in ["[5]", "[true]", "[1.5]", "[[a]]", "[{a: b}]"] {
            assert!(serde_saphyr::from_str::<Vec<Text>>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("2g"), Ok(2 << 30));
        assert_eq!(parse_size("512 K"), Ok(512 << 10));
        for bad in ["", "0", "-1", "1T", "MiB", "99999999999999999999G"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn reads_are_bounded_for_files_and_devices() {
        let dir = std::env::temp_dir().join(format!("amlsec-input-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("f.json");
        std::fs::write(&file, b"\xef\xbb\xbf[1]").unwrap();
        assert_eq!(read_text(&file, 100).unwrap(), "[1]");
        assert!(matches!(
            read(&file, 3),
            Err(Error::TooLarge { limit: 3, .. })
        ));
        if Path::new("/dev/zero").exists() {
            let err = read(Path::new("/dev/zero"), 1 << 16).unwrap_err();
            assert!(err.to_string().contains("larger than 65536 bytes"), "{err}");
        }
        std::fs::remove_dir_all(dir).unwrap();
    }
}
