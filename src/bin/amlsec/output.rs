//! Where the binary writes: standard output (the report) and standard error (notes).

use std::io::Write;
use std::path::PathBuf;

use amlsec::error::{Error, Result};

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
