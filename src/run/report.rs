//! What `harness-agents run` reports: each stage that ran, with its agent and
//! command line, duration, tool calls, scope verdict, gates and commit,
//! and where the run stopped. Saved per plan as JSON and Markdown under
//! `.harness/runs/NNNN/`, and printed as text.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::config::StageKind;
use crate::diagnostic::display_path;
use crate::error::Result;
use crate::gate::RunSummary;
use crate::report::{BOLD, DIM, ERROR, OK, Report, WARNING};

/// How a stage ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Passed,
    /// Nothing to do (a plan that exists, no realtime block, a task done).
    Skipped,
    /// A person has to act; the run stops.
    NeedsPerson,
    /// harness's checks refused the stage; the run stops.
    Failed,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Passed => "passed",
            Verdict::Skipped => "skipped",
            Verdict::NeedsPerson => "needs a person",
            Verdict::Failed => "failed",
        }
    }

    pub fn stops(self) -> bool {
        matches!(self, Verdict::NeedsPerson | Verdict::Failed)
    }
}

/// One stage (for `implement`, one task) as it ran.
#[derive(Debug, Clone, Serialize)]
pub struct StageRecord {
    pub stage: StageKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// The agent's command line, the prompt elided.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    pub verdict: Verdict,
    /// What harness found: one line each.
    pub notes: Vec<String>,
    pub duration_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<usize>,
    /// What the agent's CLI reported it cost, in US dollars.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
    /// Files the stage changed, as harness saw them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changed: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub gates: Vec<RunSummary>,
    /// The commit harness wrote for the stage.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// The agent's saved output, relative to the project root.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log: Option<String>,
}

impl StageRecord {
    pub fn new(stage: StageKind, verdict: Verdict, note: impl Into<String>) -> StageRecord {
        StageRecord {
            stage,
            task: None,
            agent: None,
            command: None,
            verdict,
            notes: vec![note.into()],
            duration_ms: 0,
            tool_calls: None,
            cost_usd: None,
            changed: Vec::new(),
            gates: Vec::new(),
            commit: None,
            log: None,
        }
    }
}

/// One `harness-agents run` of a plan.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    /// The plan, padded (`0007`).
    pub plan: String,
    pub title: String,
    pub stages: Vec<StageRecord>,
    /// The stage the run stopped at, if it did not reach the end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped_at: Option<StageKind>,
    /// The command a person runs next, when one is needed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// The saved report (Markdown), relative to the project root.
    pub report: String,
}

impl RunReport {
    /// Whether a check of harness's refused a stage.
    pub fn failed(&self) -> bool {
        self.stages.iter().any(|s| s.verdict == Verdict::Failed)
    }

    /// Writes `run.json` and `run.md` into `dir`.
    pub fn save(&self, dir: &Path) -> Result<()> {
        let json = serde_json::to_string_pretty(self).expect("reports serialise") + "\n";
        crate::fsutil::write_atomic(&dir.join("run.json"), json.as_bytes())?;
        crate::fsutil::write_atomic(&dir.join("run.md"), self.markdown().as_bytes())?;
        Ok(())
    }

    /// The report as Markdown, for a pull request or a person.
    pub fn markdown(&self) -> String {
        let mut s = format!("# Run of plan {}: {}\n\n", self.plan, self.title);
        s.push_str("| stage | task | agent | verdict | tool calls | duration | commit |\n");
        s.push_str("|---|---|---|---|---|---|---|\n");
        for r in &self.stages {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {:.1}s | {} |",
                r.stage.as_str(),
                r.task.as_deref().unwrap_or("-"),
                r.agent.as_deref().unwrap_or("-"),
                r.verdict.as_str(),
                r.tool_calls.map_or("-".to_string(), |n| n.to_string()),
                r.duration_ms as f64 / 1000.0,
                r.commit.as_deref().map_or("-", short),
            );
        }
        for r in &self.stages {
            let _ = write!(s, "\n## {}", r.stage.as_str());
            if let Some(t) = &r.task {
                let _ = write!(s, " {t}");
            }
            s.push_str("\n\n");
            if let Some(c) = &r.command {
                let _ = writeln!(s, "- command: `{c}`");
            }
            if let Some(usd) = r.cost_usd {
                let _ = writeln!(s, "- cost: ${usd:.2}");
            }
            for n in &r.notes {
                let _ = writeln!(s, "- {n}");
            }
            if !r.changed.is_empty() {
                let _ = writeln!(s, "- changed: {}", r.changed.join(", "));
            }
            for g in &r.gates {
                let _ = writeln!(
                    s,
                    "- gate `{}`: {}",
                    g.name,
                    if g.passed { "passed" } else { "failed" }
                );
            }
            if let Some(l) = &r.log {
                let _ = writeln!(s, "- output: `{l}`");
            }
        }
        if let Some(next) = &self.next {
            let _ = writeln!(s, "\n**Next**: `{next}`");
        }
        s
    }
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(7)]
}

impl Report for RunReport {
    fn text(&self) -> String {
        let mut s = format!("{BOLD}plan {}{BOLD:#}: {}\n", self.plan, self.title);
        for r in &self.stages {
            let style = match r.verdict {
                Verdict::Passed => OK,
                Verdict::Skipped => DIM,
                Verdict::NeedsPerson => WARNING,
                Verdict::Failed => ERROR,
            };
            let what = match (&r.task, &r.agent) {
                (Some(t), Some(a)) => format!("{t} {a}"),
                (None, Some(a)) => a.clone(),
                (Some(t), None) => t.clone(),
                (None, None) => String::new(),
            };
            let verdict = r.verdict.as_str();
            let _ = write!(s, "  {:<10} {style}{verdict}{style:#}", r.stage.as_str());
            if what.is_empty() {
                s.push('\n');
            } else {
                let pad = 14usize.saturating_sub(verdict.len());
                let _ = writeln!(s, "{:pad$} {what}", "");
            }
            for n in &r.notes {
                let _ = writeln!(s, "    {n}");
            }
            if let Some(c) = &r.commit {
                let _ = writeln!(s, "    commit {}", short(c));
            }
        }
        if let Some(stage) = self.stopped_at {
            let _ = writeln!(s, "stopped at {}", stage.as_str());
        }
        if let Some(next) = &self.next {
            let _ = writeln!(s, "next: {next}");
        }
        let _ = writeln!(s, "{DIM}report: {}{DIM:#}", self.report);
        s
    }
}

/// `dir` relative to `root`, as people read it.
pub(super) fn shown(root: &Path, path: &Path) -> String {
    display_path(path.strip_prefix(root).unwrap_or(path))
}

/// Where the runs of plan `padded` are kept.
pub fn runs_dir(root: &Path, padded: &str) -> PathBuf {
    root.join(".harness").join("runs").join(padded)
}
