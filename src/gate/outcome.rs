//! What running gates found: one [`GateRun`] per gate and the
//! [`GateReport`] of a whole run, both serialisable, since they are the
//! evidence that `task done` and CI read back. [`RunSummary`] is the part
//! of a gate run that a task keeps with its evidence.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::baseline::Compared;
use super::millis;
use super::spec::GateKind;
use crate::diagnostic::display_path;
use crate::error::Outcome;

/// How one gate ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GateStatus {
    /// Exit code 0, or "no tests" where the gate allows it.
    Passed,
    /// A non-zero exit code or a signal.
    Failed,
    /// Killed, with its process group, at its timeout.
    TimedOut,
    /// The command could not be started (not installed, not executable, no
    /// such directory).
    NotStarted,
    /// Stopped or never started because of `--fail-fast` or Ctrl-C.
    Cancelled,
}

impl GateStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            GateStatus::Passed => "passed",
            GateStatus::Failed => "failed",
            GateStatus::TimedOut => "timed out",
            GateStatus::NotStarted => "not started",
            GateStatus::Cancelled => "cancelled",
        }
    }

    pub fn passed(self) -> bool {
        self == GateStatus::Passed
    }
}

/// One gate's run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateRun {
    pub name: String,
    pub kind: GateKind,
    /// The command as a shell would show it.
    pub command: String,
    pub status: GateStatus,
    /// `None` when the process was killed by a signal or never started.
    pub exit_code: Option<i32>,
    /// The signal that ended the process, if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<i32>,
    pub timed_out: bool,
    /// Passed because the tool found no tests and the gate allows that.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_tests: bool,
    #[serde(rename = "duration_ms", with = "millis")]
    pub duration: Duration,
    /// SHA-256 of the combined stdout and stderr, as hex.
    pub output_sha256: String,
    pub output_bytes: u64,
    /// The full output, relative to the project root.
    pub log_path: Option<PathBuf>,
    /// Why the gate did not run or did not finish.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What to do about it (for example how to install a missing tool).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The last lines of output, for the report.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub tail: String,
    /// Its findings set against `harness-agents gate baseline`'s, when the gate
    /// states a findings format and the baseline has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<Compared>,
}

impl GateRun {
    /// One line on how the gate ended: `passed`, `failed (exit 101)`.
    pub fn summary(&self) -> String {
        match (self.status, self.exit_code, self.signal) {
            (GateStatus::Passed, _, _) if self.no_tests => "passed (no tests)".into(),
            (GateStatus::Passed, Some(code), _) if code != 0 => {
                "passed (only baseline findings)".into()
            }
            (GateStatus::Failed, Some(code), _) => format!("failed (exit {code})"),
            (GateStatus::Failed, None, Some(sig)) => format!("failed (signal {sig})"),
            (GateStatus::TimedOut, _, _) => "timed out".into(),
            (status, _, _) => status.as_str().into(),
        }
    }
}

/// What a task's evidence keeps of a [`GateRun`]: enough to show what ran
/// and how it ended, and to find its log. Stored in the task's TOML file
/// (`plans/NNNN/tasks/NNNN-K.toml`), so the field names are a file format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunSummary {
    /// The gate's name, as `harness-agents gate run` shows it.
    pub name: String,
    /// The command it ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// The exit code; absent when the process was killed by a signal or
    /// could not be started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    pub passed: bool,
    pub duration_ms: u64,
    /// `sha256:HEX` of the gate's output (stdout and stderr).
    pub output_digest: String,
    /// The last lines of output (or why it did not run), kept for a failing
    /// gate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_tail: Option<String>,
    /// The full output, relative to the project root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<String>,
}

impl From<&GateRun> for RunSummary {
    fn from(run: &GateRun) -> RunSummary {
        let passed = run.status.passed();
        let tail = match &run.reason {
            Some(reason) if run.tail.is_empty() => format!("{reason}\n"),
            _ => run.tail.clone(),
        };
        RunSummary {
            name: run.name.clone(),
            command: Some(run.command.clone()),
            exit_code: run.exit_code,
            passed,
            duration_ms: u64::try_from(run.duration.as_millis()).unwrap_or(u64::MAX),
            output_digest: format!("{}{}", crate::digest::PREFIX, run.output_sha256),
            output_tail: (!passed && !tail.is_empty()).then_some(tail),
            log: run.log_path.as_ref().map(|p| display_path(p)),
        }
    }
}

/// A whole run: every gate, and the state of the tree it ran on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateReport {
    /// The run's id, also the name of its directory under `.harness/gates/`.
    pub id: String,
    /// RFC 3339, UTC.
    pub started_at: jiff::Timestamp,
    /// `HEAD` when the run started; `None` outside a repository or before
    /// the first commit.
    pub commit: Option<String>,
    /// Whether tracked files differed from `HEAD`, or untracked files existed.
    pub dirty: bool,
    pub passed: bool,
    /// The run was stopped by Ctrl-C (or SIGTERM).
    pub interrupted: bool,
    #[serde(rename = "duration_ms", with = "millis")]
    pub duration: Duration,
    pub gates: Vec<GateRun>,
}

impl GateReport {
    pub fn failed(&self) -> impl Iterator<Item = &GateRun> {
        self.gates.iter().filter(|g| !g.status.passed())
    }

    pub fn get(&self, name: &str) -> Option<&GateRun> {
        self.gates.iter().find(|g| g.name == name)
    }

    /// What the run concluded: interrupted, failed or passed.
    pub fn outcome(&self) -> Outcome {
        if self.interrupted {
            Outcome::Interrupted
        } else {
            Outcome::failed_if(!self.passed)
        }
    }
}

/// A duration as people read it in a table: `412ms`, `3.02s`, `2m05s`.
pub fn human(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        format!("{:.2}s", d.as_secs_f64())
    } else {
        let s = d.as_secs();
        format!("{}m{:02}s", s / 60, s % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_durations() {
        assert_eq!(human(Duration::from_millis(412)), "412ms");
        assert_eq!(human(Duration::from_millis(3020)), "3.02s");
        assert_eq!(human(Duration::from_secs(125)), "2m05s");
    }

    #[test]
    fn runs_round_trip_through_json() {
        let run = failed_run();
        let json = serde_json::to_value(&run).unwrap();
        assert_eq!(json["duration_ms"], 1500);
        assert_eq!(json["status"], "failed");
        assert_eq!(run.summary(), "failed (exit 101)");
        let back: GateRun = serde_json::from_value(json).unwrap();
        assert_eq!(back, run);
    }

    #[test]
    fn an_interrupted_run_is_its_own_outcome() {
        let mut report = GateReport {
            id: "r".into(),
            started_at: jiff::Timestamp::UNIX_EPOCH,
            commit: None,
            dirty: false,
            passed: true,
            interrupted: false,
            duration: Duration::ZERO,
            gates: vec![],
        };
        assert_eq!(report.outcome(), Outcome::Success);
        report.passed = false;
        assert_eq!(report.outcome(), Outcome::CheckFailed);
        report.interrupted = true;
        assert_eq!(report.outcome(), Outcome::Interrupted);
        assert_eq!(report.outcome().code(), 130);
    }

    fn failed_run() -> GateRun {
        GateRun {
            baseline: None,
            name: "test".into(),
            kind: GateKind::Test,
            command: "cargo test".into(),
            status: GateStatus::Failed,
            exit_code: Some(101),
            signal: None,
            timed_out: false,
            no_tests: false,
            duration: Duration::from_millis(1500),
            output_sha256: "ab".into(),
            output_bytes: 2,
            log_path: Some(".harness/gates/r/test.log".into()),
            reason: None,
            hint: None,
            tail: "boom".into(),
        }
    }

    #[test]
    fn a_summary_keeps_the_tail_of_a_failed_gate_only() {
        let run = failed_run();
        assert_eq!(
            RunSummary::from(&run),
            RunSummary {
                name: "test".into(),
                command: Some("cargo test".into()),
                exit_code: Some(101),
                passed: false,
                duration_ms: 1500,
                output_digest: "sha256:ab".into(),
                output_tail: Some("boom".into()),
                log: Some(".harness/gates/r/test.log".into()),
            }
        );
        let passed = GateRun {
            status: GateStatus::Passed,
            exit_code: Some(0),
            ..run
        };
        let summary = RunSummary::from(&passed);
        assert!(summary.passed);
        assert_eq!(summary.output_tail, None);
    }

    #[test]
    fn a_summary_of_a_gate_that_never_ran_says_why() {
        let run = GateRun {
            status: GateStatus::NotStarted,
            exit_code: None,
            tail: String::new(),
            reason: Some("`ruff` is not installed".into()),
            ..failed_run()
        };
        assert_eq!(
            RunSummary::from(&run).output_tail.as_deref(),
            Some("`ruff` is not installed\n")
        );
    }
}
