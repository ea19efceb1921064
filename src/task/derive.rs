//! Deriving a plan's tasks: one per item of its task list, or, when it has
//! none, one per Files to Change entry; and reconciling them with the tasks
//! already stored when the plan is approved again.
//!
//! An item may name its owner and what it waits for:
//! `- [ ] Client hook @realtime-dev (after 1, 2)`; the numbers are positions
//! in the task list.

use super::task::{Task, TaskStatus, task_id};
use crate::plan::Plan;
pub use crate::plan::wanted::{Wanted, annotations, wanted};

/// The plan's tasks after (re-)deriving them from `plan` (approved with
/// hash `hash`) against the tasks already stored for it. Unchanged tasks
/// keep their id and state; tasks the plan no longer lists become `stale`
/// (never dropped); new ones are `pending` with fresh numbers.
pub fn reconcile(plan: &Plan, hash: &str, existing: &[Task], at: jiff::Timestamp) -> Vec<Task> {
    let wanted = wanted(plan);
    let mut out: Vec<Task> = Vec::new();
    let mut next = existing.iter().map(Task::number).max().unwrap_or(0) + 1;
    // The id each wanted item gets, by position.
    let mut ids: Vec<String> = Vec::new();
    let mut used = vec![false; existing.len()];
    for w in &wanted {
        let found = existing
            .iter()
            .enumerate()
            .find(|(i, t)| !used[*i] && t.subject == w.subject && t.status != TaskStatus::Stale);
        let task = match found {
            Some((i, t)) => {
                used[i] = true;
                let mut t = t.clone();
                t.line = w.line;
                t.plan_hash = hash.to_string();
                if t.owner.is_none() {
                    t.owner = w.owner.clone();
                }
                t
            }
            None => {
                let id = task_id(plan.id, next);
                next += 1;
                Task {
                    id,
                    plan: plan.id,
                    subject: w.subject.clone(),
                    status: TaskStatus::Pending,
                    owner: w.owner.clone(),
                    blocked_by: Vec::new(),
                    line: w.line,
                    plan_hash: hash.to_string(),
                    started_at: None,
                    started_commit: None,
                    reason: None,
                    completed_at: None,
                    history: vec![super::task::Change {
                        at,
                        status: TaskStatus::Pending,
                        note: None,
                    }],
                    evidence: None,
                }
            }
        };
        ids.push(task.id.clone());
        out.push(task);
    }
    for (task, w) in out.iter_mut().zip(&wanted) {
        task.blocked_by = w
            .after
            .iter()
            .filter_map(|n| ids.get(n.wrapping_sub(1)).cloned())
            .filter(|id| *id != task.id)
            .collect();
    }
    for (i, t) in existing.iter().enumerate() {
        if used[i] {
            continue;
        }
        let mut t = t.clone();
        if t.status != TaskStatus::Stale {
            t.set_status(
                TaskStatus::Stale,
                at,
                Some("the re-approved plan no longer lists this task as it was".to_string()),
            );
        }
        out.push(t);
    }
    out.sort_by_key(Task::number);
    out
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    const AT: jiff::Timestamp = jiff::Timestamp::constant(1767323045, 0);
    const T1: jiff::Timestamp = jiff::Timestamp::constant(1767323046, 0);
    const T2: jiff::Timestamp = jiff::Timestamp::constant(1767323047, 0);
    const T3: jiff::Timestamp = jiff::Timestamp::constant(1767323048, 0);

    fn plan(tasks: &str) -> Plan {
        let text = format!(
            "---\nid: 7\ntitle: \"P\"\nagent: \"a\"\n---\n## PLAN\n\n### Files to Change\n- `src/a.rs`\n- `src/b/`\n\n### Tasks\n{tasks}\nPLAN_APPROVED: pending\n"
        );
        Plan::parse(Path::new("p.md"), &text, &[]).unwrap()
    }

    #[test]
    fn annotations_are_split_off() {
        let w = annotations("Client hook @realtime-dev (after 1, 2)");
        assert_eq!(w.subject, "Client hook");
        assert_eq!(w.owner.as_deref(), Some("realtime-dev"));
        assert_eq!(w.after, [1, 2]);
        assert_eq!(annotations("Plain (see docs)").subject, "Plain (see docs)");
    }

    #[test]
    fn without_a_task_list_each_file_entry_is_a_task() {
        let tasks = reconcile(&plan("- [ ] {task}\n"), "h", &[], AT);
        let subjects: Vec<_> = tasks.iter().map(|t| t.subject.as_str()).collect();
        assert_eq!(subjects, ["Change `src/a.rs`", "Change `src/b/**`"]);
        assert_eq!(tasks[1].id, "0007-2");
    }

    #[test]
    fn re_deriving_keeps_unchanged_and_marks_changed_stale() {
        let first = reconcile(
            &plan("- [ ] One\n- [ ] Two (after 1)\n- [ ] Three\n"),
            "h1",
            &[],
            T1,
        );
        assert_eq!(first[1].blocked_by, ["0007-1"]);
        let mut first = first;
        first[0].set_status(TaskStatus::Completed, T2, None);
        let second = reconcile(
            &plan("- [ ] One\n- [ ] Two, changed (after 1)\n- [ ] Three\n"),
            "h2",
            &first,
            T3,
        );
        let view: Vec<_> = second
            .iter()
            .map(|t| (t.id.as_str(), t.subject.as_str(), t.status))
            .collect();
        assert_eq!(
            view,
            [
                ("0007-1", "One", TaskStatus::Completed),
                ("0007-2", "Two", TaskStatus::Stale),
                ("0007-3", "Three", TaskStatus::Pending),
                ("0007-4", "Two, changed", TaskStatus::Pending),
            ]
        );
        assert_eq!(second[3].blocked_by, ["0007-1"]);
        assert_eq!(second[2].plan_hash, "h2");
    }
}
