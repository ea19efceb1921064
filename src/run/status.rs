//! `harness-agents status`: every plan's stage and tasks at a glance, read from
//! the plan's state and its task files (nothing of a run is needed).

use std::fmt::Write as _;

use serde::Serialize;

use crate::config::Project;
use crate::diagnostic::Diagnostic;
use crate::error::Result;
use crate::plan::PlanState;
use crate::report::{BOLD, Report, table};
use crate::task::{self, TaskStatus};

/// One task's line.
#[derive(Debug, Clone, Serialize)]
pub struct TaskLine {
    pub id: String,
    pub status: TaskStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    pub subject: String,
    /// Why it is blocked, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The work tree it runs in (or was left in) under `--parallel`; its
    /// status and reason are then that work tree's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worktree: Option<String>,
}

/// Where one plan stands.
#[derive(Debug, Clone, Serialize)]
pub struct PlanProgress {
    pub id: String,
    pub title: String,
    /// `draft`, `approved`, `changed`, `unverified`, `rejected`.
    pub state: &'static str,
    /// The stage it is at: `approve`, `implement`, `done`, `rejected`.
    pub stage: &'static str,
    pub tasks: Vec<TaskLine>,
}

/// Every plan of the project.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub plans: Vec<PlanProgress>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub diagnostics: Vec<Diagnostic>,
}

/// Every plan's stage and tasks.
pub fn status(project: &Project) -> Result<Status> {
    let store = task::Store::open(project);
    let listing = store.plans().list();
    let mut plans = Vec::new();
    for p in &listing.plans {
        let tasks = store.of_plan(p.id)?;
        let state = p.state();
        let open = tasks
            .iter()
            .any(|t| !matches!(t.status, TaskStatus::Completed | TaskStatus::Stale));
        let stage = match &state {
            PlanState::Rejected(_) => "rejected",
            s if !s.is_approved() => "approve",
            _ if open || tasks.is_empty() => "implement",
            _ => "done",
        };
        plans.push(PlanProgress {
            id: p.padded_id(),
            title: p.title.clone(),
            state: state.name(),
            stage,
            tasks: tasks.into_iter().map(|t| in_worktree(project, t)).collect(),
        });
    }
    Ok(Status {
        plans,
        diagnostics: listing.diagnostics,
    })
}

/// Task `t`'s line, with the work tree a parallel run gave it while that
/// is still there: running (its live state is the work tree's, until it
/// is merged), or kept for a person (the main tree's record says why).
fn in_worktree(project: &Project, t: task::Task) -> TaskLine {
    let (tree, _) = super::parallel::worktree_of(&project.root, &t.id);
    let there = tree.is_dir().then(|| {
        let wt = Project {
            root: tree.clone(),
            ..project.clone()
        };
        task::Store::open(&wt).get(&t.id).ok()
    });
    let shown = crate::diagnostic::display_path(project.relative(&tree));
    let settled = matches!(
        t.status,
        TaskStatus::Completed | TaskStatus::Blocked | TaskStatus::Stale
    );
    match there {
        Some(_) if settled => TaskLine {
            id: t.id,
            status: t.status,
            owner: t.owner,
            subject: t.subject,
            reason: t.reason,
            worktree: Some(shown),
        },
        Some(Some(w)) => TaskLine {
            id: t.id,
            status: w.status,
            owner: w.owner,
            subject: t.subject,
            reason: w.reason,
            worktree: Some(shown),
        },
        _ => TaskLine {
            id: t.id,
            status: t.status,
            owner: t.owner,
            subject: t.subject,
            reason: t.reason,
            worktree: None,
        },
    }
}

impl Report for Status {
    fn text(&self) -> String {
        if self.plans.is_empty() {
            return "no plans; start one with `harness-agents run \"TITLE\"` or `harness-agents plan new`\n"
                .to_string();
        }
        let mut s = String::new();
        for p in &self.plans {
            let _ = writeln!(
                s,
                "{BOLD}{}{BOLD:#} {}  [{}, stage: {}]",
                p.id, p.title, p.state, p.stage
            );
            if p.tasks.is_empty() {
                continue;
            }
            let rows: Vec<Vec<String>> = p
                .tasks
                .iter()
                .map(|t| {
                    vec![
                        t.id.clone(),
                        t.status.to_string(),
                        t.owner.clone().unwrap_or_else(|| "-".into()),
                        {
                            let mut subject = match &t.reason {
                                Some(r) => format!("{} ({r})", t.subject),
                                None => t.subject.clone(),
                            };
                            if let Some(w) = &t.worktree {
                                let _ = write!(subject, " [in {w}]");
                            }
                            subject
                        },
                    ]
                })
                .collect();
            for line in table(&["ID", "STATUS", "OWNER", "SUBJECT"], &rows).lines() {
                let _ = writeln!(s, "  {line}");
            }
        }
        if !self.diagnostics.is_empty() {
            s.push_str(&crate::report::diagnostics_text(&self.diagnostics));
        }
        s
    }
}
