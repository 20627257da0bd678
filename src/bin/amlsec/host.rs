//! What the binary gives a live read: the async runtime, built when first needed, and a
//! progress line on stderr. Best effort: a closed stderr must not stop the audit.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use amlsec::source::arm::{Host, Progress, Status};

#[derive(Debug)]
pub struct Terminal {
    /// `--quiet`: no progress lines.
    pub quiet: bool,
    /// `--verbose`: which credential signed in, what Resource Graph gave.
    pub verbose: bool,
    /// On a terminal the line is redrawn in place; in a CI log a plain line every 10 s.
    redraw: bool,
    last_line: Mutex<Instant>,
    #[cfg(feature = "live")]
    runtime: std::sync::OnceLock<tokio::runtime::Runtime>,
}

impl Terminal {
    pub fn new(quiet: bool, verbose: bool) -> Terminal {
        Terminal {
            quiet,
            verbose,
            redraw: std::io::stderr().is_terminal(),
            last_line: Mutex::new(Instant::now()),
            #[cfg(feature = "live")]
            runtime: std::sync::OnceLock::new(),
        }
    }

    /// Whether a progress line is due: every time on a terminal, every 10 s otherwise.
    fn due(&self) -> bool {
        if self.redraw {
            return true;
        }
        let mut last = self.last_line.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let due = now.duration_since(*last) >= Duration::from_secs(10);
        if due {
            *last = now;
        }
        due
    }
}

impl Host for Terminal {
    #[cfg(feature = "live")]
    fn runtime(&self) -> std::io::Result<tokio::runtime::Handle> {
        if let Some(runtime) = self.runtime.get() {
            return Ok(runtime.handle().clone());
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        Ok(self.runtime.get_or_init(|| runtime).handle().clone())
    }

    fn progress(&self, event: Progress<'_>) {
        let mut stderr = std::io::stderr();
        let _ = match event {
            Progress::SignedIn { credential } if self.verbose => {
                writeln!(stderr, "amlsec: signed in with {credential}")
            }
            Progress::GraphRead { documents } if self.verbose => {
                writeln!(stderr, "amlsec: Resource Graph gave {documents} documents")
            }
            Progress::GraphUnreadable { reason } => writeln!(
                stderr,
                "amlsec: warning: Resource Graph could not be read ({}); those documents are read by GET",
                amlsec::terminal::printable(reason)
            ),
            Progress::Reading(status) if !self.quiet && self.due() => {
                let line = reading(&status);
                match self.redraw {
                    true => write!(stderr, "\r{line}"),
                    false => writeln!(stderr, "{line}"),
                }
            }
            Progress::Read(status) if !self.quiet => writeln!(
                stderr,
                "{}amlsec: {}/{} workspaces and registries read, {} requests, {} throttling waits",
                if self.redraw { "\r" } else { "" },
                status.subjects_read,
                status.subjects_found,
                status.requests,
                status.throttled
            ),
            _ => Ok(()),
        };
    }
}

fn reading(s: &Status) -> String {
    format!(
        "amlsec: {} subscriptions, {}/{} workspaces and registries read, {} requests ({} pending), {} throttling waits",
        s.subscriptions, s.subjects_read, s.subjects_found, s.requests, s.pending, s.throttled
    )
}
