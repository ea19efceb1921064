//! What the task use cases report, and how each report reads as text. The
//! JSON form of each is the task (or tasks) as stored, so scripts read one
//! shape whichever command wrote it.

use std::fmt::Write as _;

use serde::Serialize;

use super::task::{Evidence, Task};
use crate::gate::RunSummary;
use crate::plan;
use crate::report::{BOLD, DIM, ERROR, OK, Report, table};

/// Tasks, for `task list`.
#[derive(Debug, Clone, Serialize)]
#[serde(transparent)]
pub struct TaskList {
    pub tasks: Vec<Task>,
}

impl Report for TaskList {
    fn text(&self) -> String {
        if self.tasks.is_empty() {
            return "no tasks; tasks are derived from a plan when it is approved\n".to_string();
        }
        let rows: Vec<Vec<String>> = self
            .tasks
            .iter()
            .map(|t| {
                vec![
                    t.id.clone(),
                    t.status.to_string(),
                    t.owner.clone().unwrap_or_else(|| "-".into()),
                    t.subject.clone(),
                    if t.blocked_by.is_empty() {
                        "-".into()
                    } else {
                        t.blocked_by.join(",")
                    },
                ]
            })
            .collect();
        table(&["ID", "STATUS", "OWNER", "SUBJECT", "AFTER"], &rows)
    }
}

/// One task and where it is stored, for `task show`.
#[derive(Debug, Clone, Serialize)]
#[serde(transparent)]
pub struct TaskDetail {
    pub task: Task,
    /// The task file as shown to people.
    #[serde(skip)]
    pub file: String,
}

impl Report for TaskDetail {
    fn text(&self) -> String {
        let t = &self.task;
        let mut s = String::new();
        let _ = writeln!(s, "{BOLD}task {}{BOLD:#}: {}", t.id, t.subject);
        let _ = writeln!(s, "  status:     {}", t.status);
        let _ = writeln!(s, "  owner:      {}", t.owner.as_deref().unwrap_or("-"));
        let _ = writeln!(s, "  plan:       {:04} (line {})", t.plan, t.line);
        if !t.blocked_by.is_empty() {
            let _ = writeln!(s, "  after:      {}", t.blocked_by.join(", "));
        }
        if let Some(r) = &t.reason {
            let _ = writeln!(s, "  reason:     {r}");
        }
        if let Some(c) = &t.started_commit {
            let _ = writeln!(s, "  started at: {}", &c[..c.len().min(12)]);
        }
        let _ = writeln!(s, "  file:       {}", self.file);
        if !t.history.is_empty() {
            let _ = writeln!(s, "\n{BOLD}history{BOLD:#}");
            for c in &t.history {
                let _ = write!(s, "  {}  {}", c.at, c.status);
                if let Some(n) = &c.note {
                    let _ = write!(s, ": {n}");
                }
                s.push('\n');
            }
        }
        if let Some(e) = &t.evidence {
            s.push('\n');
            s.push_str(&evidence_text(e));
        }
        s
    }
}

/// A task after `task start` or `task block`.
#[derive(Debug, Clone, Serialize)]
#[serde(transparent)]
pub struct Transition {
    pub task: Task,
    /// What happened to it: `started`, `blocked`.
    #[serde(skip)]
    pub verb: &'static str,
}

impl Transition {
    pub(super) fn new(task: Task, verb: &'static str) -> Transition {
        Transition { task, verb }
    }
}

impl Report for Transition {
    fn text(&self) -> String {
        format!(
            "{} task {}: {}\n",
            self.verb, self.task.id, self.task.subject
        )
    }
}

/// What `task done` found: the task as stored after the checks, and the
/// evidence they produced (also stored in the task).
#[derive(Debug, Clone, Serialize)]
#[serde(transparent)]
pub struct Completion {
    pub task: Task,
    #[serde(skip)]
    pub evidence: Evidence,
}

impl Completion {
    pub(super) fn new(task: Task, evidence: Evidence) -> Completion {
        Completion { task, evidence }
    }

    /// Whether the task is now completed.
    pub fn passed(&self) -> bool {
        self.evidence.passed
    }

    /// Why it did not pass, one reason a check; empty when it passed.
    pub fn reasons(&self) -> Vec<String> {
        let ev = &self.evidence;
        let failed: Vec<&str> = ev.failed_gates().map(|g| g.name.as_str()).collect();
        let mut why = Vec::new();
        if !failed.is_empty() {
            why.push(format!(
                "gate{} failed: {}",
                if failed.len() == 1 { "" } else { "s" },
                failed.join(", ")
            ));
        }
        if !ev.scope.passed() {
            why.push(format!(
                "{} file(s) outside the plan's Files to Change",
                ev.scope.outside.len()
            ));
        }
        why
    }
}

impl Report for Completion {
    fn text(&self) -> String {
        let (t, ev) = (&self.task, &self.evidence);
        let mut s = evidence_text(ev);
        if ev.gates.is_empty() {
            let owner = t.owner.as_deref().unwrap_or_default();
            let _ = writeln!(
                s,
                "  {DIM}(agent `{owner}` defines no quality gates){DIM:#}"
            );
        }
        for g in ev.failed_gates() {
            failed_gate_text(&mut s, g);
        }
        if self.passed() {
            let _ = writeln!(s, "{OK}completed{OK:#} task {}: {}", t.id, t.subject);
        } else {
            let _ = writeln!(
                s,
                "{ERROR}not done{ERROR:#}: task {} stays in_progress ({})",
                t.id,
                self.reasons().join("; ")
            );
        }
        s
    }
}

fn failed_gate_text(s: &mut String, g: &RunSummary) {
    let _ = write!(s, "\n{ERROR}gate failed{ERROR:#}: {}", g.name);
    match &g.command {
        Some(c) if *c != g.name => {
            let _ = writeln!(s, " (`{c}`)");
        }
        _ => s.push('\n'),
    }
    if let Some(log) = &g.log {
        let _ = writeln!(s, "  {DIM}log: {log}{DIM:#}");
    }
    if let Some(tail) = &g.output_tail {
        for line in tail.lines() {
            let _ = writeln!(s, "  | {line}");
        }
    }
}

/// The evidence summary `task done` prints and `task show` repeats.
fn evidence_text(e: &Evidence) -> String {
    let mut s = String::new();
    let (style, word) = if e.passed {
        (OK, "passed")
    } else {
        (ERROR, "failed")
    };
    let _ = writeln!(
        s,
        "{BOLD}evidence{BOLD:#} {style}{word}{style:#} at {} (commit {}{})",
        e.at,
        e.commit
            .as_deref()
            .map_or("none", |c| &c[..c.len().min(12)]),
        if e.dirty { ", uncommitted changes" } else { "" }
    );
    for g in &e.gates {
        let (style, word) = if g.passed {
            (OK, "pass")
        } else {
            (ERROR, "FAIL")
        };
        let code = g
            .exit_code
            .map_or("killed".to_string(), |c| format!("exit {c}"));
        let _ = writeln!(
            s,
            "  {style}{word}{style:#}  {}  {DIM}({code}, {} ms, {}){DIM:#}",
            g.name,
            g.duration_ms,
            plan::approval::short(&g.output_digest)
        );
    }
    let (style, word) = if e.scope.passed() {
        (OK, "pass")
    } else {
        (ERROR, "FAIL")
    };
    let _ = writeln!(
        s,
        "  {style}{word}{style:#}  plan scope ({} file{} changed, {} outside)",
        e.scope.changed.len(),
        if e.scope.changed.len() == 1 { "" } else { "s" },
        e.scope.outside.len()
    );
    for path in &e.scope.outside {
        let _ = writeln!(s, "        outside: {path}");
    }
    s
}
