//! What a gate is: the `[gates.NAME]` table of `harness.toml` as written
//! ([`GateConfig`]) and the resolved gate the runner executes ([`GateSpec`]).
//!
//! Every check that can be made on the text is made while deserialising, so
//! that `toml` attaches the span of the offending value and the error comes
//! out located (`harness.toml:7:11`): an empty command, a duration that
//! `humantime` cannot read, a `when` glob that does not compile, a gate name
//! that could not be a file name.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

pub use crate::config::gates::{
    CommandLine, FindingsFormat, GateConfig, GateKind, Timeout, WhenGlob, check_name,
    deserialize_gates,
};
use crate::diagnostic::Provenance;
use crate::shell::is_assignment;

/// How long a gate may run when its table sets no `timeout`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// Why a gate is in the selection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "from", rename_all = "snake_case")]
pub enum Origin {
    /// A `[gates.NAME]` table.
    Config { provenance: Provenance },
    /// A gate command in an agent's definition (a configured gate's name or
    /// a command of its own).
    Agent {
        agent: String,
        provenance: Provenance,
    },
    /// Found by looking at the project's files (`Cargo.toml`, ...).
    Detected { marker: PathBuf, reason: String },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Config { provenance } => write!(f, "configured at {provenance}"),
            Origin::Agent { agent, provenance } => {
                write!(f, "agent `{agent}` at {provenance}")
            }
            Origin::Detected { reason, .. } => write!(f, "detected: {reason}"),
        }
    }
}

/// A gate ready to run: every default filled in, every path absolute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GateSpec {
    pub name: String,
    pub kind: GateKind,
    pub command: CommandLine,
    #[serde(rename = "timeout_ms", serialize_with = "super::millis::serialize")]
    pub timeout: Duration,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    pub cwd: PathBuf,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub when: Vec<String>,
    pub allow_no_tests: bool,
    /// The findings format of its output, for baselines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub findings: Option<FindingsFormat>,
    pub origin: Origin,
}

impl GateSpec {
    /// A gate for a shell command with every default.
    pub fn shell(
        name: impl Into<String>,
        command: impl Into<String>,
        cwd: PathBuf,
        origin: Origin,
    ) -> GateSpec {
        let command = command.into();
        GateSpec {
            name: name.into(),
            kind: GateKind::infer(&command),
            command: CommandLine::Shell(command),
            timeout: DEFAULT_TIMEOUT,
            env: BTreeMap::new(),
            cwd,
            when: Vec::new(),
            allow_no_tests: false,
            findings: None,
            origin,
        }
    }

    /// The gate a `[gates.NAME]` table describes, in a project at `root`.
    pub fn from_config(
        name: &str,
        config: &GateConfig,
        root: &std::path::Path,
        origin: Origin,
    ) -> GateSpec {
        GateSpec {
            name: name.to_string(),
            kind: config
                .kind
                .unwrap_or_else(|| GateKind::infer(&config.command.to_string())),
            command: config.command.clone(),
            timeout: config.timeout.map_or(DEFAULT_TIMEOUT, |t| t.0),
            env: config.env.clone(),
            cwd: match &config.cwd {
                Some(dir) => root.join(dir),
                None => root.to_path_buf(),
            },
            when: config.when.iter().map(|g| g.0.clone()).collect(),
            allow_no_tests: config.allow_no_tests,
            findings: config.findings,
            origin,
        }
    }

    /// The exit codes that mean "no tests were found" for this gate's tool.
    pub fn no_tests_exit_code(&self) -> Option<i32> {
        let text = self.command.to_string();
        let has = |w: &str| {
            text.split_whitespace()
                .any(|x| x == w || x.ends_with(&format!("/{w}")))
        };
        if has("pytest") {
            Some(5)
        } else if has("nextest") {
            Some(4)
        } else {
            None
        }
    }
}

/// A gate name made from a command written in an agent's body: the first
/// two words of each command in a chain, flags and `run` left out, so
/// `npm run lint && npm test` becomes `npm-lint-test`.
pub fn name_from_command(command: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    for segment in command.split(['&', '|', ';']) {
        let segment_words = segment
            .split_whitespace()
            .filter(|w| !is_assignment(w) && !w.starts_with('-') && *w != "run")
            .map(|w| {
                w.rsplit('/')
                    .next()
                    .unwrap_or(w)
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                    .collect::<String>()
                    .trim_matches('.')
                    .to_lowercase()
            })
            .filter(|w| !w.is_empty())
            .take(2);
        for w in segment_words {
            if !words.contains(&w) {
                words.push(w);
            }
        }
    }
    words.truncate(4);
    if words.is_empty() {
        "gate".to_string()
    } else {
        words.join("-")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn kind(command: &str, expected: GateKind) {
        assert_eq!(GateKind::infer(command), expected, "{command}");
    }

    #[test]
    fn infers_kinds_from_commands() {
        kind("cargo fmt --check", GateKind::Format);
        kind("cargo clippy --all-targets -- -D warnings", GateKind::Lint);
        kind("cargo test", GateKind::Test);
        kind("ruff check .", GateKind::Lint);
        kind("ty check .", GateKind::Typecheck);
        kind("npx tsc --noEmit", GateKind::Typecheck);
        kind("pytest", GateKind::Test);
        kind("npm run lint && npm test", GateKind::Test);
        kind("cargo build --release", GateKind::Build);
        kind("make", GateKind::Other);
    }

    #[test]
    fn names_commands() {
        assert_eq!(name_from_command("ruff check ."), "ruff-check");
        assert_eq!(
            name_from_command("npm run lint && npm test"),
            "npm-lint-test"
        );
        assert_eq!(
            name_from_command("cargo clippy --all-targets -- -D warnings"),
            "cargo-clippy"
        );
        assert_eq!(
            name_from_command("RUST_LOG=1 ./scripts/check.sh --all"),
            "check.sh"
        );
        assert_eq!(name_from_command("pytest"), "pytest");
    }

    #[test]
    fn program_skips_assignments() {
        let c = CommandLine::Shell("FOO=1 ruff check .".into());
        assert_eq!(c.program(), Some("ruff"));
        let c = CommandLine::Argv(vec!["cargo".into(), "a b".into()]);
        assert_eq!(c.program(), Some("cargo"));
        assert_eq!(c.to_string(), "cargo 'a b'");
    }

    #[test]
    fn reads_a_full_gate_table() {
        let text = "[gates.clippy]\ncommand = [\"cargo\", \"clippy\"]\ntimeout = \"1h 30m\"\nenv = { RUSTFLAGS = \"-D warnings\" }\ncwd = \"crates/core\"\nwhen = [\"**/*.rs\"]\n\n[gates.unit]\ncommand = \"pytest\"\nallow_no_tests = true\n";
        let config =
            crate::config::Config::parse(std::path::Path::new("harness.toml"), text).unwrap();
        let clippy = &config.gates["clippy"];
        assert_eq!(
            clippy.command,
            CommandLine::Argv(vec!["cargo".into(), "clippy".into()])
        );
        assert_eq!(clippy.timeout, Some(Timeout(Duration::from_secs(90 * 60))));
        assert_eq!(clippy.env["RUSTFLAGS"], "-D warnings");
        let root = std::path::Path::new("/p");
        let spec = GateSpec::from_config(
            "clippy",
            clippy,
            root,
            Origin::Detected {
                marker: "x".into(),
                reason: "r".into(),
            },
        );
        assert_eq!(spec.kind, GateKind::Lint);
        assert_eq!(spec.cwd, root.join("crates/core"));
        assert_eq!(spec.when, ["**/*.rs"]);
        let unit = GateSpec::from_config("unit", &config.gates["unit"], root, spec.origin.clone());
        assert_eq!(unit.timeout, DEFAULT_TIMEOUT);
        assert!(unit.allow_no_tests);
        assert_eq!(unit.no_tests_exit_code(), Some(5));
    }

    #[test]
    fn the_template_example_parses_once_uncommented() {
        let template = include_str!("../../templates/harness.toml");
        let start = template
            .find("# [gates.")
            .expect("the template shows a gate");
        // The example runs to the first blank line; other sections follow it.
        let example: String = template[start..]
            .lines()
            .take_while(|l| !l.trim().is_empty())
            .filter(|l| !l.starts_with("# #"))
            .map(|l| format!("{}\n", l.strip_prefix("# ").unwrap_or(l)))
            .collect();
        let config = crate::config::Config::parse(std::path::Path::new("harness.toml"), &example)
            .unwrap_or_else(|e| panic!("{e}\n{example}"));
        let gate = &config.gates["clippy"];
        assert_eq!(gate.kind, Some(GateKind::Lint));
        assert_eq!(gate.when.len(), 3);
    }

    #[test]
    fn names_are_file_safe() {
        assert!(check_name("cargo-test.unit_1").is_ok());
        assert!(check_name("a/b").is_err());
        assert!(check_name(".hidden").is_err());
        assert!(check_name("").is_err());
    }
}
