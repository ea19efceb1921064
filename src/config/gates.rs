//! `[gates.NAME]` in `harness.toml`: the data a gate is configured with,
//! each value checked while it is read so that errors come out located in
//! the file (an empty command, a zero timeout, a bad glob or gate name).
//! Running gates is `crate::gate`'s.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::shell::is_assignment;

/// One `[gates.NAME]` table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateConfig {
    /// A string runs through `sh -c`; an array runs as argv, without a shell.
    pub command: CommandLine,
    /// What the gate checks; inferred from the command when absent.
    #[serde(default)]
    pub kind: Option<GateKind>,
    /// `90s`, `10m`, `1h 30m`; `gate::spec::DEFAULT_TIMEOUT` when absent.
    #[serde(default)]
    pub timeout: Option<Timeout>,
    /// Extra environment variables for the command.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Working directory, relative to the project root.
    #[serde(default)]
    pub cwd: Option<PathBuf>,
    /// Globs: with `--changed-since REV`, the gate runs only when a file
    /// matching one of them changed since REV.
    #[serde(default)]
    pub when: Vec<WhenGlob>,
    /// Treat "no tests were collected" (pytest's exit 5, nextest's exit 4) as a pass.
    #[serde(default)]
    pub allow_no_tests: bool,
    /// The machine-readable findings the command prints, which
    /// `harness-agents gate baseline` records and later runs are compared with.
    #[serde(default)]
    pub findings: Option<FindingsFormat>,
}

/// A linter's machine-readable output, as the gate's command prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FindingsFormat {
    /// `cargo clippy --message-format=json`: one JSON message a line.
    Clippy,
    /// `ruff check --output-format=json`: a JSON array.
    Ruff,
    /// `eslint -f json`: a JSON array of files and their messages.
    Eslint,
    /// `tsc --pretty false`: `file(line,col): error TSnnnn: message` lines.
    Tsc,
}

/// A gate's command: a shell string or an argv array, never empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum CommandLine {
    Shell(String),
    Argv(Vec<String>),
}

impl CommandLine {
    /// The program that runs first: the argv's first element, or the first
    /// word of a shell line that is not a variable assignment.
    pub fn program(&self) -> Option<&str> {
        match self {
            CommandLine::Argv(argv) => argv.first().map(String::as_str),
            CommandLine::Shell(line) => line
                .split_whitespace()
                .find(|w| !is_assignment(w))
                .filter(|w| !w.starts_with(['(', '{', '!', '$', '`', '"', '\''])),
        }
    }
}

impl fmt::Display for CommandLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommandLine::Shell(line) => f.write_str(line),
            CommandLine::Argv(argv) => {
                let words: Vec<String> = argv.iter().map(|a| quote_word(a)).collect();
                f.write_str(&words.join(" "))
            }
        }
    }
}

/// A word as a POSIX shell would need it written.
fn quote_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

impl<'de> Deserialize<'de> for CommandLine {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = CommandLine;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a command: a shell string, or an array of program and arguments")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<CommandLine, E> {
                if s.trim().is_empty() {
                    return Err(E::custom(
                        "the gate's `command` is empty; write e.g. `command = \"cargo test\"`",
                    ));
                }
                Ok(CommandLine::Shell(s.to_string()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<CommandLine, A::Error> {
                let mut argv = Vec::new();
                while let Some(word) = seq.next_element::<String>()? {
                    argv.push(word);
                }
                if argv.first().is_none_or(|p| p.trim().is_empty()) {
                    return Err(de::Error::custom(
                        "the gate's `command` array needs a program first, e.g. `[\"cargo\", \"test\"]`",
                    ));
                }
                Ok(CommandLine::Argv(argv))
            }
        }
        d.deserialize_any(V)
    }
}

/// What a gate checks: it decides the JUnit class and the order of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GateKind {
    Format,
    Lint,
    Typecheck,
    Build,
    Test,
    Other,
}

impl GateKind {
    pub fn as_str(self) -> &'static str {
        match self {
            GateKind::Format => "format",
            GateKind::Lint => "lint",
            GateKind::Typecheck => "typecheck",
            GateKind::Build => "build",
            GateKind::Test => "test",
            GateKind::Other => "other",
        }
    }

    /// A best guess from the words of a command, for gates that do not say.
    pub fn infer(command: &str) -> GateKind {
        let c = command.to_lowercase();
        let has = |w: &str| {
            c.split(|ch: char| !ch.is_ascii_alphanumeric() && ch != '-')
                .any(|x| x == w)
        };
        if has("fmt") || has("format") || has("prettier") || has("black") {
            GateKind::Format
        } else if has("tsc")
            || has("mypy")
            || has("typecheck")
            || has("pyright")
            || (has("ty") && has("check"))
        {
            GateKind::Typecheck
        } else if has("test") || has("pytest") || has("nextest") || has("jest") || has("vitest") {
            GateKind::Test
        } else if has("clippy") || has("lint") || has("ruff") || has("eslint") || has("flake8") {
            GateKind::Lint
        } else if has("build") || has("check") {
            GateKind::Build
        } else {
            GateKind::Other
        }
    }
}

impl fmt::Display for GateKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `timeout` value, read with `humantime` (`90s`, `10m`, `1h 30m`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeout(pub Duration);

impl<'de> Deserialize<'de> for Timeout {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        match humantime::parse_duration(text.trim()) {
            Ok(dur) if dur.is_zero() => Err(de::Error::custom(
                "a timeout of zero would fail every run; write e.g. `90s` or `10m`",
            )),
            Ok(dur) => Ok(Timeout(dur)),
            Err(e) => Err(de::Error::custom(format!(
                "invalid duration `{text}`: {e}; write e.g. `90s`, `10m` or `1h 30m`"
            ))),
        }
    }
}

/// A `when` glob, checked when read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhenGlob(pub String);

impl<'de> Deserialize<'de> for WhenGlob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        globset::Glob::new(&text)
            .map_err(|e| de::Error::custom(format!("invalid glob in `when`: {e}")))?;
        Ok(WhenGlob(text))
    }
}

/// A gate's name: it names its log file and its JUnit test case, so it is
/// kept to letters, digits, `-`, `_` and `.`.
pub fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid gate name `{name}`: use letters, digits, `-`, `_` and `.`"
        ))
    }
}

/// Deserialises the `[gates]` table, checking each name.
pub fn deserialize_gates<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, GateConfig>, D::Error> {
    let map = BTreeMap::<GateName, GateConfig>::deserialize(d)?;
    Ok(map.into_iter().map(|(k, v)| (k.0, v)).collect())
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct GateName(String);

impl<'de> Deserialize<'de> for GateName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        check_name(&name).map_err(de::Error::custom)?;
        Ok(GateName(name))
    }
}
