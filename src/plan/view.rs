//! Reading plans for people and tools: `plan list`, `plan show` and
//! `plan diff` as use cases on the [`Store`], each returning one report that
//! prints as text or JSON.
//!
//! Plans do not depend on tasks (tasks are derived from plans), so the
//! reports that show a plan's tasks take any [`PlanTask`]; the task module's
//! `Task` is the one there is, and the caller passes how to read them.

use std::fmt::Write as _;

use serde::Serialize;

use super::approval::{self, PlanState};
use super::plan::Plan;
use super::record::Approval;
use super::signature::{SignatureCheck, TrustProblem};
use super::store::Store;
use crate::diagnostic::{Code, Diagnostic, Span, display_path};
use crate::error::Result;
use crate::report::{BOLD, DIM, ERROR, OK, Report, diagnostics_text, table};

/// A plan's task, as far as the plan reports show it.
pub trait PlanTask: Serialize {
    fn id(&self) -> &str;
    fn subject(&self) -> &str;
    /// The status as people read it: `pending`, `in_progress`, ...
    fn status(&self) -> &str;
    fn is_pending(&self) -> bool;
    fn is_completed(&self) -> bool;
    /// No longer listed by its plan: kept, but not counted as work.
    fn is_stale(&self) -> bool;
}

/// The colour a plan state is shown in.
pub(super) fn state_style(state: &PlanState) -> anstyle::Style {
    match state {
        PlanState::Approved(_) => OK,
        PlanState::Draft => DIM,
        PlanState::Changed { .. } | PlanState::Rejected(_) | PlanState::Unverified { .. } => ERROR,
    }
}

/// One plan in `plan list`.
#[derive(Debug, Clone, Serialize)]
pub struct PlanRow {
    pub id: u32,
    pub state: &'static str,
    pub title: String,
    pub agent: String,
    pub path: String,
    pub approvals: usize,
    pub errors: usize,
    /// Tasks completed, of those not stale.
    pub tasks_completed: usize,
    pub tasks: usize,
}

/// `plan list`: every plan, and the files that could not be read as plans
/// (which go to the error stream, so they are not part of the JSON).
#[derive(Debug, Clone, Serialize)]
#[serde(transparent)]
pub struct PlanList {
    pub plans: Vec<PlanRow>,
    #[serde(skip)]
    pub unreadable: Vec<Diagnostic>,
}

impl Report for PlanList {
    fn text(&self) -> String {
        if self.plans.is_empty() {
            return "no plans yet; write one with `harness-agents plan new TITLE --agent NAME`\n"
                .to_string();
        }
        let rows: Vec<Vec<String>> = self
            .plans
            .iter()
            .map(|r| {
                vec![
                    format!("{:04}", r.id),
                    r.state.to_string(),
                    r.title.clone(),
                    r.agent.clone(),
                    format!("{}/{}", r.tasks_completed, r.tasks),
                    r.path.clone(),
                ]
            })
            .collect();
        table(&["ID", "STATE", "TITLE", "AGENT", "DONE", "PATH"], &rows)
    }
}

/// `plan show`: the plan, its state and its tasks.
#[derive(Debug, Clone, Serialize)]
pub struct PlanDetail<T> {
    pub state: &'static str,
    pub hash: String,
    #[serde(flatten)]
    pub plan: Plan,
    /// What changed since the last approval, for a changed plan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    /// Each approval record's signature as checked against the signers
    /// file; empty when approvals are not signed here.
    pub signatures: Vec<SignatureCheck>,
    /// Why the approval does not count, for an unverified plan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<TrustProblem>,
    pub task_list: Vec<T>,
}

/// `plan diff`: the plan against the version approved last.
#[derive(Debug, Clone, Serialize)]
pub struct PlanDiff {
    pub id: u32,
    pub changed: bool,
    pub approved_hash: String,
    pub hash: String,
    pub diff: Option<String>,
    #[serde(skip)]
    padded_id: String,
    #[serde(skip)]
    approved_by: String,
}

impl Store {
    /// Every plan with its task progress, read by `tasks_of`.
    pub fn overview<T: PlanTask>(
        &self,
        mut tasks_of: impl FnMut(u32) -> Result<Vec<T>>,
    ) -> Result<PlanList> {
        let listing = self.list();
        let mut plans = Vec::new();
        for p in &listing.plans {
            let tasks = tasks_of(p.id)?;
            let live = tasks.iter().filter(|t| !t.is_stale());
            let (done, total) = live.fold((0, 0), |(d, n), t| {
                (d + usize::from(t.is_completed()), n + 1)
            });
            plans.push(PlanRow {
                id: p.id,
                state: p.state().name(),
                title: p.title.clone(),
                agent: p.agent.clone(),
                path: display_path(&p.path),
                approvals: p.approvals.len(),
                errors: p.errors().count(),
                tasks_completed: done,
                tasks: total,
            });
        }
        Ok(PlanList {
            plans,
            unreadable: listing.diagnostics,
        })
    }

    /// Plan `id` with its tasks, read by `tasks_of`.
    pub fn detail<T: PlanTask>(
        &self,
        id: &str,
        tasks_of: impl FnOnce(u32) -> Result<Vec<T>>,
    ) -> Result<PlanDetail<T>> {
        let plan = self.get(id)?;
        let task_list = tasks_of(plan.id)?;
        let state = plan.state();
        let diff = match &state {
            PlanState::Changed { diff, .. } => diff.clone(),
            _ => None,
        };
        let problem = match &state {
            PlanState::Unverified { problem, .. } => Some(problem.clone()),
            _ => None,
        };
        Ok(PlanDetail {
            state: state.name(),
            hash: plan.hash(),
            signatures: plan.signatures.clone(),
            problem,
            plan,
            diff,
            task_list,
        })
    }

    /// Plan `id` against the version approved last; an error when it was
    /// never approved, or when it changed and the approved text is lost.
    pub fn diff(&self, id: &str) -> Result<PlanDiff> {
        let p = self.get(id)?;
        let (approval, diff) = match p.state() {
            PlanState::Changed { approval, diff } => (Some(approval), diff),
            PlanState::Approved(a) | PlanState::Unverified { approval: a, .. } => (Some(a), None),
            PlanState::Draft | PlanState::Rejected(_) => last_approved_diff(&p),
        };
        let Some(approval) = approval else {
            return Err(crate::diagnostic::Diagnostic::error(
                Code::NeverApproved,
                format!(
                    "plan {} has never been approved: there is nothing to compare",
                    p.padded_id()
                ),
            )
            .at(Span::new(&p.path, 1, 1))
            .hint(format!(
                "`harness-agents plan approve {} --by NAME` records a version to compare against",
                p.padded_id()
            ))
            .into());
        };
        let changed = p.hash() != approval.hash;
        if changed && diff.is_none() {
            let stored = self
                .approved_path(p.id, &approval.hash)
                .unwrap_or_else(|| self.data_dir(p.id).join("approved"));
            return Err(Diagnostic::error(
                Code::ApprovedTextMissing,
                format!(
                    "plan {} changed since approval, but the approved text is missing or altered",
                    p.padded_id()
                ),
            )
            .at(Span::new(self.project().relative(&stored), 1, 1))
            .hint(
                "restore it from git; the hash in the approval chain still proves the plan changed",
            )
            .into());
        }
        Ok(PlanDiff {
            id: p.id,
            changed,
            hash: p.hash(),
            approved_hash: approval.hash,
            diff,
            padded_id: p.padded_id(),
            approved_by: approval.by,
        })
    }
}

/// For a draft or rejected plan: its last approval, if its text was kept,
/// and the change since.
fn last_approved_diff(p: &Plan) -> (Option<Approval>, Option<String>) {
    match approval::last_approval(&p.approvals) {
        Some(a) if p.approved_text.is_some() => {
            let old = p.approved_text.as_deref().unwrap_or_default();
            let now = p.normalised();
            let d =
                (old != now).then(|| approval::unified_diff(old, &now, a, &display_path(&p.path)));
            (Some(a.clone()), d)
        }
        _ => (None, None),
    }
}

impl Report for PlanDiff {
    fn text(&self) -> String {
        match &self.diff {
            Some(d) => d.clone(),
            None => format!(
                "plan {} is unchanged since {} approved it ({})\n",
                self.padded_id,
                self.approved_by,
                approval::short(&self.approved_hash)
            ),
        }
    }
}

impl<T: PlanTask> Report for PlanDetail<T> {
    fn text(&self) -> String {
        let p = &self.plan;
        let mut s = String::new();
        let style = state_style(&p.state());
        let _ = writeln!(s, "{BOLD}plan {}{BOLD:#}: {}", p.padded_id(), p.title);
        let _ = writeln!(s, "  state:    {style}{}{style:#}", self.state);
        let _ = writeln!(s, "  agent:    {}", p.agent);
        let _ = writeln!(s, "  file:     {}", display_path(&p.path));
        if let Some(c) = &p.created {
            let _ = writeln!(s, "  created:  {c}");
        }
        let _ = writeln!(s, "  hash:     {}", self.hash);
        if let Some(problem) = &self.problem {
            let _ = writeln!(s, "  {ERROR}why:{ERROR:#}      {}", problem.message);
        }
        if !p.approvals.is_empty() {
            let _ = writeln!(s, "\n{BOLD}approval chain{BOLD:#}");
            for (i, a) in p.approvals.iter().enumerate() {
                let _ = write!(
                    s,
                    "  {}. {} by {} at {} ({})",
                    i + 1,
                    a.decision.as_str(),
                    a.by,
                    a.at,
                    approval::short(&a.hash)
                );
                if let Some(r) = &a.reason {
                    let _ = write!(s, ": {r}");
                }
                s.push('\n');
                match self.signatures.get(i) {
                    Some(SignatureCheck::Verified {
                        principal,
                        fingerprint,
                    }) => {
                        let _ = writeln!(
                            s,
                            "     {OK}signed{OK:#} by {principal}, key {fingerprint}: verifies"
                        );
                    }
                    Some(SignatureCheck::Invalid {
                        fingerprint,
                        problem,
                        ..
                    }) => {
                        let key = fingerprint
                            .as_deref()
                            .map(|f| format!(", key {f}"))
                            .unwrap_or_default();
                        let _ = writeln!(s, "     {ERROR}not verified{ERROR:#}{key}: {problem}");
                    }
                    Some(SignatureCheck::Unsigned) => {
                        let _ = writeln!(s, "     {DIM}unsigned{DIM:#}");
                    }
                    None => {}
                }
            }
        }
        let _ = writeln!(s, "\n{BOLD}files to change{BOLD:#}");
        if p.scope().is_empty() {
            let _ = writeln!(s, "  {DIM}(none){DIM:#}");
        }
        for e in p.scope().entries() {
            let _ = writeln!(s, "  {}", e.pattern);
        }
        if !self.task_list.is_empty() {
            let _ = writeln!(s, "\n{BOLD}tasks{BOLD:#}");
            let rows: Vec<Vec<String>> = self
                .task_list
                .iter()
                .map(|t| {
                    vec![
                        t.id().to_string(),
                        t.status().to_string(),
                        t.subject().to_string(),
                    ]
                })
                .collect();
            for line in table(&["", "", ""], &rows).lines().skip(1) {
                let _ = writeln!(s, "  {line}");
            }
        }
        realtime_text(&mut s, p);
        if !p.diagnostics.is_empty() {
            s.push('\n');
            s.push_str(&diagnostics_text(&p.diagnostics));
        }
        s
    }
}

fn realtime_text(s: &mut String, p: &Plan) {
    let Some(spec) = p.realtime() else {
        return;
    };
    let _ = writeln!(s, "\n{BOLD}realtime{BOLD:#}");
    let transports: Vec<String> = spec
        .transport
        .to_vec()
        .iter()
        .map(|t| format!("{t:?}").to_lowercase())
        .collect();
    let _ = writeln!(s, "  transport: {}", transports.join(", "));
    let _ = writeln!(
        s,
        "  backplane: {}",
        format!("{:?}", spec.backplane).to_lowercase()
    );
    for ch in &spec.channels {
        let events: Vec<String> = ch
            .events
            .iter()
            .map(|e| format!("{}@v{}", e.name.value, e.version))
            .collect();
        let _ = writeln!(s, "  channel {}: {}", ch.name.value, events.join(", "));
    }
    if let Some(lk) = &spec.livekit {
        for room in &lk.rooms {
            let _ = writeln!(s, "  livekit room {}", room.name.value);
        }
    }
    for a in &spec.avatars {
        let _ = writeln!(s, "  avatar {} ({})", a.name.value, a.provider);
    }
}

#[cfg(test)]
mod tests {
    use super::super::decide::tests::{FakeTask, approve, code, project};
    use super::*;

    #[test]
    fn overview_counts_completed_tasks_of_those_not_stale() {
        let (_dir, store) = project();
        let list = store
            .overview(|_| {
                Ok(vec![
                    FakeTask("0001-1", "completed"),
                    FakeTask("0001-2", "pending"),
                    FakeTask("0001-3", "stale"),
                ])
            })
            .unwrap();
        let row = &list.plans[0];
        assert_eq!((row.id, row.tasks_completed, row.tasks), (1, 1, 2));
        assert!(list.text().contains("draft  Chat room  planner  1/2"));
    }

    #[test]
    fn detail_shows_the_plan_with_its_tasks() {
        let (_dir, store) = project();
        let d = store
            .detail("0001", |_| Ok(vec![FakeTask("0001-1", "pending")]))
            .unwrap();
        assert_eq!((d.state, d.plan.id, d.diff.as_deref()), ("draft", 1, None));
        assert!(
            d.text().contains("  0001-1  pending  subject\n"),
            "{}",
            d.text()
        );
    }

    #[test]
    fn diff_needs_an_approval_and_shows_no_change_after_one() {
        let (_dir, store) = project();
        assert_eq!(code(store.diff("1")), "never-approved");
        approve(&store, Vec::new()).unwrap();
        let d = store.diff("1").unwrap();
        assert!(!d.changed);
        assert_eq!(d.diff, None);
        assert!(
            d.text()
                .starts_with("plan 0001 is unchanged since alice approved it")
        );
    }
}
