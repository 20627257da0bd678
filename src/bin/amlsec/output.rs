//! Where the binary writes: standard output (the report) and standard error (notes).

use std::io::Write;
use std::path::PathBuf;

use amlsec::error::{Error, Result};
use amlsec::report::Format;

/// Writes to standard output. A reader that went away (`| head`) is not an error: what it
/// read was complete, and the exit code stays the command's own. Any other failure (a full
/// disk) is, since the output is cut short.
pub fn emit(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match write(&mut out).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(source) => Err(Error::Write {
            path: PathBuf::from("<stdout>"),
            source,
        }),
        Ok(()) => Ok(()),
    }
}

/// A line on standard error, its control characters escaped (messages carry ARM's error text
/// and names from the estate); a closed or full stderr is ignored, there is nowhere left to
/// say it.
pub fn note(message: &str) {
    let message = amlsec::terminal::printable(message);
    let _ = writeln!(std::io::stderr(), "amlsec: {message}");
}

pub fn parse_output(spec: &str, given: Option<&str>) -> Result<(Format, PathBuf)> {
    if let Some((prefix, path)) = spec.split_once(':')
        && Format::NAMES.contains(&prefix.to_ascii_lowercase().as_str())
        && !path.is_empty()
    {
        return Ok((Format::parse(prefix)?, PathBuf::from(path)));
    }
    let path = PathBuf::from(spec);
    match (Format::from_extension(&path), given) {
        (Some(f), _) => Ok((f, path)),
        (None, Some(format)) => Ok((Format::parse(format)?, path)),
        (None, None) => Err(Error::Usage(format!(
            "--output {spec}: cannot tell the format; write FORMAT:PATH (formats: {}), give --format, or end the name in .json, .sarif, .xml, .junit, .md, .markdown, .csv or .txt",
            Format::NAMES.join(", ")
        ))),
    }
}

/// `--markdown-limit`: a size, and enough for the header and the "n more" lines.
pub fn markdown_limit(text: &str) -> std::result::Result<usize, String> {
    let bytes = amlsec::input::parse_size(text).map_err(|e| e.to_string())?;
    match usize::try_from(bytes) {
        Ok(b) if b >= 2048 => Ok(b),
        _ => Err(format!(
            "{text} is too small for a summary; give at least 2KiB"
        )),
    }
}

/// `COLUMNS` when set, else the terminal's width when standard output is one, else 100.
pub fn terminal_width() -> usize {
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok());
    let detected = || {
        use std::io::IsTerminal;
        std::io::stdout()
            .is_terminal()
            .then(|| comfy_table::Table::new().width().map(usize::from))
            .flatten()
    };
    columns.or_else(detected).unwrap_or(100).clamp(40, 240)
}
