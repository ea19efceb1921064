//! [`Task`]: one unit of work from an approved plan, its state, and the
//! evidence harness gathered when it was marked done.

use serde::{Deserialize, Serialize};

use crate::gate::RunSummary;

/// Where a task stands. `pending → in_progress → completed`, with `blocked`
/// on the way and `stale` for a task its plan no longer lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// Not started.
    Pending,
    /// Started by its owner (`task start`).
    InProgress,
    /// Waiting on something (`task block`).
    Blocked,
    /// Done, with the evidence harness gathered (`task done`).
    Completed,
    /// The plan was re-approved without this task (or with it changed): kept,
    /// never dropped, but no longer to be worked on.
    Stale,
}

impl TaskStatus {
    /// Every status, in the order a task moves through them.
    pub const ALL: [TaskStatus; 5] = [
        TaskStatus::Pending,
        TaskStatus::InProgress,
        TaskStatus::Blocked,
        TaskStatus::Completed,
        TaskStatus::Stale,
    ];

    /// The status a name (as [`TaskStatus::as_str`] writes it) stands for.
    pub fn from_name(name: &str) -> Option<TaskStatus> {
        TaskStatus::ALL.into_iter().find(|s| s.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Pending => "pending",
            TaskStatus::InProgress => "in_progress",
            TaskStatus::Blocked => "blocked",
            TaskStatus::Completed => "completed",
            TaskStatus::Stale => "stale",
        }
    }
}

impl std::fmt::Display for TaskStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One state change, for the task's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Change {
    pub at: jiff::Timestamp,
    pub status: TaskStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The result of the plan-scope check: files changed since the task
/// started, and those outside the plan's Files to Change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeCheck {
    pub changed: Vec<String>,
    pub outside: Vec<String>,
}

impl ScopeCheck {
    pub fn passed(&self) -> bool {
        self.outside.is_empty()
    }
}

/// What `task done` found, stored with the task whatever the outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    pub at: jiff::Timestamp,
    /// HEAD when the checks ran; absent outside git or before a first commit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// Whether the work tree had uncommitted changes.
    pub dirty: bool,
    pub passed: bool,
    pub scope: ScopeCheck,
    /// Each gate run, as the gate runner summarises it.
    pub gates: Vec<RunSummary>,
}

impl Evidence {
    /// The gates that failed.
    pub fn failed_gates(&self) -> impl Iterator<Item = &RunSummary> {
        self.gates.iter().filter(|g| !g.passed)
    }
}

/// A task. Stored as `plans/NNNN/tasks/NNNN-K.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Task {
    /// `0007-3`: plan 7, task 3.
    pub id: String,
    pub plan: u32,
    pub subject: String,
    pub status: TaskStatus,
    /// The agent working on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Tasks that must be completed before this one starts.
    #[serde(default)]
    pub blocked_by: Vec<String>,
    /// The line of the plan the task came from.
    pub line: usize,
    /// The plan content hash the task was derived from.
    pub plan_hash: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<jiff::Timestamp>,
    /// HEAD when the task started: the scope check compares against it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_commit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<jiff::Timestamp>,
    #[serde(default)]
    pub history: Vec<Change>,
    /// The evidence of the last `task done`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
}

impl Task {
    /// The task's number within its plan: `3` of `0007-3`.
    pub fn number(&self) -> u32 {
        parse_id(&self.id).map_or(0, |(_, n)| n)
    }

    /// Moves to `status`, recording the change.
    pub fn set_status(&mut self, status: TaskStatus, at: jiff::Timestamp, note: Option<String>) {
        self.status = status;
        self.history.push(Change { at, status, note });
    }
}

impl crate::plan::PlanTask for Task {
    fn id(&self) -> &str {
        &self.id
    }

    fn subject(&self) -> &str {
        &self.subject
    }

    fn status(&self) -> &str {
        self.status.as_str()
    }

    fn is_pending(&self) -> bool {
        self.status == TaskStatus::Pending
    }

    fn is_completed(&self) -> bool {
        self.status == TaskStatus::Completed
    }

    fn is_stale(&self) -> bool {
        self.status == TaskStatus::Stale
    }
}

pub use crate::plan::wanted::{parse_task_id as parse_id, task_id};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert_eq!(task_id(7, 3), "0007-3");
        assert_eq!(parse_id("0007-3"), Some((7, 3)));
        assert_eq!(parse_id("7-12"), Some((7, 12)));
        assert_eq!(parse_id("0007"), None);
        assert_eq!(parse_id("a-1"), None);
        assert_eq!(parse_id("7-"), None);
    }

    #[test]
    fn round_trips_through_toml() {
        let mut t = Task {
            id: "0007-1".into(),
            plan: 7,
            subject: "Presence service".into(),
            status: TaskStatus::Pending,
            owner: None,
            blocked_by: vec![],
            line: 20,
            plan_hash: "sha256:00".into(),
            started_at: None,
            started_commit: None,
            reason: None,
            completed_at: None,
            history: vec![],
            evidence: None,
        };
        t.set_status(
            TaskStatus::InProgress,
            jiff::Timestamp::constant(1767323046, 0),
            None,
        );
        t.evidence = Some(Evidence {
            at: jiff::Timestamp::constant(1767323047, 0),
            commit: Some("abc".into()),
            dirty: true,
            passed: false,
            scope: ScopeCheck {
                changed: vec!["a".into()],
                outside: vec![],
            },
            gates: vec![RunSummary {
                name: "cargo test".into(),
                command: Some("cargo test".into()),
                log: None,
                exit_code: Some(101),
                passed: false,
                duration_ms: 5,
                output_digest: "sha256:11".into(),
                output_tail: Some("boom\n".into()),
            }],
        });
        let text = toml::to_string(&t).unwrap();
        let back: Task = toml::from_str(&text).unwrap();
        assert_eq!(back, t);
        assert!(text.starts_with("id = \"0007-1\"\nplan = 7\n"), "{text}");
    }

    #[test]
    fn reads_the_gate_runs_of_a_stored_task() {
        let text = "id = \"0007-1\"\nplan = 7\nsubject = \"s\"\nstatus = \"completed\"\nline = 3\nplan_hash = \"sha256:00\"\n\n[evidence]\nat = \"2026-01-02T03:04:05Z\"\ndirty = false\npassed = false\n\n[evidence.scope]\nchanged = []\noutside = []\n\n[[evidence.gates]]\nname = \"test\"\ncommand = \"cargo test\"\nexit_code = 101\npassed = false\nduration_ms = 5\noutput_digest = \"sha256:11\"\noutput_tail = \"boom\\n\"\nlog = \".harness/gates/r/test.log\"\n";
        let task: Task = toml::from_str(text).unwrap();
        let evidence = task.evidence.unwrap();
        let failed: Vec<&RunSummary> = evidence.failed_gates().collect();
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].exit_code, Some(101));
        assert_eq!(failed[0].output_digest, "sha256:11");
        assert_eq!(failed[0].output_tail.as_deref(), Some("boom\n"));
        assert_eq!(failed[0].log.as_deref(), Some(".harness/gates/r/test.log"));
    }
}
