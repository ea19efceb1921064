//! The top-level error and how it maps to an exit code.
//!
//! Exit codes are the same for every command: 0 success, 1 a check failed
//! (see [`Outcome`]), 2 a usage, configuration, input or internal error,
//! and 130 for a run stopped by Ctrl-C, as shells report SIGINT.

use std::io;
use std::path::PathBuf;

use crate::diagnostic::{Diagnostic, display_path};

/// What a command that ran to the end concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// A check ran and found a problem: exit code 1.
    CheckFailed,
    /// The run was stopped by Ctrl-C (or SIGTERM) before it finished: exit
    /// code 130, as shells report SIGINT.
    Interrupted,
    /// A command harness ran on the user's behalf ended with this exit
    /// code, passed through as its own (`harness-agents sandbox -- COMMAND`).
    Passed(u8),
}

impl Outcome {
    pub fn code(self) -> u8 {
        match self {
            Outcome::Success => 0,
            Outcome::CheckFailed => 1,
            Outcome::Interrupted => 130,
            Outcome::Passed(code) => code,
        }
    }

    pub fn failed_if(failed: bool) -> Self {
        if failed {
            Outcome::CheckFailed
        } else {
            Outcome::Success
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input that harness cannot use, each problem located in its file.
    #[error("{}", render_all(.0))]
    Input(Vec<Diagnostic>),
    #[error("{message}")]
    Usage { message: String },
    #[error("cannot {action} `{}`: {source}", display_path(.path))]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot write to the terminal: {0}")]
    Output(#[source] io::Error),
}

fn render_all(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

impl Error {
    pub fn usage(message: impl Into<String>) -> Self {
        Error::Usage {
            message: message.into(),
        }
    }

    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }

    pub fn exit_code(&self) -> u8 {
        2
    }
}

impl From<Diagnostic> for Error {
    fn from(d: Diagnostic) -> Self {
        Error::Input(vec![d])
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
