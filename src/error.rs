//! Errors of the library. Every variant renders as one readable line that names the file
//! (and line:column where there is one), so the CLI can print it as is.

use std::path::PathBuf;

/// A position in a user's file, 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: u64,
    pub column: u64,
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// An input problem anchored in a file: `file:line:column: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: String,
    pub position: Option<Position>,
    pub message: String,
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.position {
            Some(p) => write!(f, "{}:{}: {}", self.file, p, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is larger than {limit} bytes, the limit for this input", path.display())]
    TooLarge { path: PathBuf, limit: u64 },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}", join_lines(.0))]
    Rules(Vec<Diagnostic>),
    #[error("{0}")]
    Snapshot(Diagnostic),
    /// An ARM template or parameters file that cannot be expanded.
    #[error("{0}")]
    Template(Diagnostic),
    #[error("{}", join_lines(.0))]
    Exceptions(Vec<Diagnostic>),
    #[error("{}", join_lines(.0))]
    Answers(Vec<Diagnostic>),
    /// The config file (`amlsec.yaml`) is not valid.
    #[error("{0}")]
    Config(Diagnostic),
    /// The `--baseline` report cannot be read.
    #[error("{0}")]
    Baseline(Diagnostic),
    #[error("{0}")]
    Usage(String),
    /// No credential could get a token; the message lists each mode tried and why.
    #[error("{0}")]
    Auth(String),
    /// What a live read runs on (the async runtime, the HTTP client) could not be started.
    #[error("cannot start {what}: {source}")]
    Start {
        what: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A read that decides which workspaces exist failed (exit 3).
    #[error("{0}")]
    Unreadable(crate::documents::ReadFailure),
}

impl Error {
    /// The exit code of DESIGN §4: a failed read is an incomplete audit, all else bad input.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Unreadable(_) => 3,
            _ => 2,
        }
    }
}

fn join_lines(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
