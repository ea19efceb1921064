//! The task state machine as use cases: [`start`], [`block`], [`rebase`]
//! and [`complete`], each reading and writing the task under the project lock
//! and refusing a move its state does not allow with an error located in
//! the task file.
//!
//! "Done" is never an agent's word: [`complete`] gathers its own evidence
//! (the owner's quality gates, and the files the task changed since it
//! started checked against the plan's Files to Change) and completes the
//! task only when both pass. The evidence is stored either way. What "the
//! task changed" means is harness's reading, not git's view: the work tree,
//! the task's own commits (not other people's), and the gates' inputs
//! compared byte for byte, whatever the index flags or ignore rules say.
//! The baseline is set by the first `start` and moved only by [`rebase`].

use super::evidence::{self, run_gates};
use super::report::{Completion, Transition};
use super::store::Store;
use super::task::{Evidence, Task, TaskStatus};
use crate::agent::Catalog;
use crate::diagnostic::{Code, Diagnostic, Span, display_path};
use crate::error::{Error, Result};
use crate::plan;
use crate::policy::Policy;

fn wrong_status(store: &Store, t: &Task, doing: &str, hint: &str) -> Error {
    Diagnostic::error(
        Code::TaskStatus,
        format!("cannot {doing} task {}: it is {}", t.id, t.status),
    )
    .at(store.span_of(&t.id, "status"))
    .hint(hint.to_string())
    .into()
}

/// Starts task `id` for agent `owner` at time `at`: the plan must be
/// approved and unchanged, the tasks it waits for completed, and `owner`
/// the agent the plan names (when it names one). Records HEAD, against
/// which [`complete`] checks the plan scope.
pub fn start(store: &Store, id: &str, owner: &str, at: jiff::Timestamp) -> Result<Transition> {
    let project = store.project();
    Catalog::load(project).require(owner)?;
    let head = crate::git::tree_state(&project.root).commit;
    let (task, ()) = store.update(id, |t| {
        let p = store.plans().get_id(t.plan)?;
        plan::check_approved(&p)?;
        let hint = match t.status {
            TaskStatus::Pending | TaskStatus::Blocked => None,
            TaskStatus::InProgress => Some(format!(
                "{} is working on it",
                t.owner.as_deref().unwrap_or("someone")
            )),
            TaskStatus::Completed => Some("it is done; see `harness-agents task show`".to_string()),
            TaskStatus::Stale => Some(
                "its plan no longer lists it; see `harness-agents task list --plan`".to_string(),
            ),
        };
        if let Some(hint) = hint {
            return Err(wrong_status(store, t, "start", &hint));
        }
        let mut waiting = Vec::new();
        for b in &t.blocked_by {
            let other = store.get(b)?;
            if other.status != TaskStatus::Completed {
                waiting.push(format!("{} ({})", other.id, other.status));
            }
        }
        if !waiting.is_empty() {
            return Err(Diagnostic::error(
                Code::TaskWaiting,
                format!("task {} waits for {}", t.id, waiting.join(", ")),
            )
            .at(Span::new(&p.path, t.line, 1))
            .hint("finish those first")
            .into());
        }
        if let Some(planned) = t.owner.as_deref()
            && planned != owner
        {
            return Err(Diagnostic::error(
                Code::TaskOwner,
                format!("task {} belongs to `{planned}`, not `{owner}`", t.id),
            )
            .at(Span::new(&p.path, t.line, 1))
            .hint(format!("start it with `--owner {planned}`, or change the owner in the plan and have it re-approved"))
            .into());
        }
        t.owner = Some(owner.to_string());
        t.started_at = Some(at);
        // The scope baseline is set once: a task blocked and started again
        // keeps it, or an agent could block, commit and restart to have its
        // work so far forgotten. Moving it is `rebase`, a person's command.
        if t.started_commit.is_none() {
            t.started_commit = head.clone();
        }
        t.reason = None;
        t.set_status(
            TaskStatus::InProgress,
            at,
            Some(format!("started by {owner}")),
        );
        Ok(())
    })?;
    Ok(Transition::new(task, "started"))
}

/// Blocks task `id` (pending or in progress) at time `at`, saying why.
pub fn block(store: &Store, id: &str, reason: &str, at: jiff::Timestamp) -> Result<Transition> {
    if reason.trim().is_empty() {
        return Err(Error::usage(
            "--reason needs to say what the task is waiting for",
        ));
    }
    let (task, ()) = store.update(id, |t| {
        if !matches!(t.status, TaskStatus::Pending | TaskStatus::InProgress) {
            return Err(wrong_status(
                store,
                t,
                "block",
                "only pending and in-progress tasks can be blocked",
            ));
        }
        t.reason = Some(reason.to_string());
        t.set_status(TaskStatus::Blocked, at, Some(reason.to_string()));
        Ok(())
    })?;
    Ok(Transition::new(task, "blocked"))
}

/// Moves the scope baseline of task `id` (in progress or blocked) to the
/// current `HEAD` at time `at`: what was changed before no longer counts
/// at `task done`. A person's decision, so refused in an agent's context
/// (`agent`, from `HARNESS_AGENT`).
pub fn rebase(
    store: &Store,
    id: &str,
    at: jiff::Timestamp,
    agent: Option<&str>,
) -> Result<Transition> {
    if let Some(agent) = agent {
        return Err(Diagnostic::error(
            Code::TaskRebaseAgent,
            format!("agent `{agent}` may not move the scope baseline of task {id}"),
        )
        .hint("re-baselining forgets what a task changed; a person runs it, outside any agent (unset HARNESS_AGENT)")
        .into());
    }
    let project = store.project();
    let head = crate::git::tree_state(&project.root).commit;
    if head.is_none() {
        return Err(Diagnostic::error(
            Code::TaskRebaseHead,
            format!("cannot rebase task {id}: the project has no commit to start from"),
        )
        .hint("commit first, then rebase")
        .into());
    }
    let (task, ()) = store.update(id, |t| {
        if !matches!(t.status, TaskStatus::InProgress | TaskStatus::Blocked) {
            return Err(wrong_status(
                store,
                t,
                "rebase",
                "only a started task has a baseline to move",
            ));
        }
        let from = t
            .started_commit
            .as_deref()
            .map_or("none", |c| &c[..c.len().min(7)]);
        let note = format!(
            "scope baseline moved from {from} to {}",
            head.as_deref().map_or("", |c| &c[..c.len().min(7)])
        );
        t.started_commit = head.clone();
        t.set_status(t.status, at, Some(note));
        Ok(())
    })?;
    Ok(Transition::new(task, "rebased"))
}

/// Whether a commit (by its message) is the task's own: made by its owner
/// (`Agent:`), or naming the task or its plan.
fn is_own(t: &Task, config: &crate::config::CommitsConfig, message: &str) -> bool {
    let (agents, refs) = crate::commit::rules::attribution(message, config);
    let owner = t.owner.as_deref().unwrap_or_default();
    agents.iter().any(|a| a == owner)
        || refs.iter().any(|r| match r {
            crate::commit::Reference::Task { plan, task } => {
                plan::parse_id(plan) == Some(t.plan)
                    && crate::task::task_id(t.plan, task.parse().unwrap_or(0)) == t.id
            }
            crate::commit::Reference::Plan { plan } => plan::parse_id(plan) == Some(t.plan),
            crate::commit::Reference::Issue { .. } => false,
        })
}

/// Completes task `id` if its evidence passes: runs the owner agent's
/// quality gates and checks the files changed since the task started
/// against its plan's Files to Change. The evidence, stamped `at`, is
/// stored with the task whether it passed or not; the task moves to
/// `completed` only when it passed.
///
/// An error, and nothing run, when the task is not in progress, its plan is
/// no longer approved, its owner is unknown, or the project is not in git.
pub fn complete(store: &Store, id: &str, at: jiff::Timestamp) -> Result<Completion> {
    complete_confined(store, id, at, None)
}

/// [`complete`], with each gate's command confined by `confine` first:
/// `harness-agents run` runs a task's gates in the agent's sandbox, since they
/// run the agent's code.
pub fn complete_confined(
    store: &Store,
    id: &str,
    at: jiff::Timestamp,
    confine: Option<crate::gate::Confine>,
) -> Result<Completion> {
    let project = store.project();
    let t = store.get(id)?;
    if t.status != TaskStatus::InProgress {
        return Err(not_in_progress(store, &t));
    }
    let p = store.plans().get_id(t.plan)?;
    plan::check_approved(&p)?;
    let owner = t.owner.clone().unwrap_or_default();
    let catalog = Catalog::load(project);
    let policy = Policy::compile(catalog.require(&owner)?);

    // The scope check needs git; find out before running anything.
    let own = |message: &str| is_own(&t, &project.config.commits, message);
    let inputs = evidence::gate_inputs(project, &policy);
    let changed = evidence::task_changes(&project.root, t.started_commit.as_deref(), &own, &inputs)
        .map_err(|e| {
            Error::from(
                Diagnostic::error(
                    Code::ScopeUnchecked,
                    format!("cannot check the plan scope of task {}: {e}", t.id),
                )
                .hint("run harness inside the project's git repository"),
            )
        })?;
    // Harness's own files are not the task's work: plan files change when
    // any plan is approved, and task files when any task moves. An edit to
    // the task's own plan is caught above, as the plan is no longer approved.
    let mut ignored = vec![".harness/".to_string()];
    let plans_dir = display_path(project.relative(store.plans().dir()));
    ignored.push(format!("{}/", plans_dir.trim_end_matches('/')));
    let gates = run_gates(project, &policy, confine, t.started_commit.as_deref())?;
    // The gates run the task's code, which can write too: the scope is
    // judged on what changed by the time they have finished.
    let mut changed = changed;
    if let Ok(after) =
        evidence::task_changes(&project.root, t.started_commit.as_deref(), &own, &inputs)
    {
        changed.extend(after);
        changed.sort();
        changed.dedup();
    }
    let scope = evidence::check_scope(&changed, p.scope(), &ignored);
    let state = crate::git::tree_state(&project.root);
    let passed = gates.passed() && scope.passed();
    let ev = Evidence {
        at,
        commit: state.commit,
        dirty: state.dirty,
        passed,
        scope,
        gates: gates.runs,
    };
    let started = t.started_at;
    let (task, ()) = store.update(id, |t| {
        // Another process may have moved the task while the gates ran.
        if t.status != TaskStatus::InProgress || t.started_at != started {
            return Err(wrong_status(
                store,
                t,
                "complete",
                "it changed while the checks ran; run `task done` again",
            ));
        }
        t.evidence = Some(ev.clone());
        if passed {
            t.completed_at = Some(at);
            t.set_status(
                TaskStatus::Completed,
                at,
                Some("gates and plan scope passed".to_string()),
            );
        }
        Ok(())
    })?;
    Ok(Completion::new(task, ev))
}

/// Why a task that is not in progress cannot be completed.
fn not_in_progress(store: &Store, t: &Task) -> Error {
    let hint = match t.status {
        TaskStatus::Pending | TaskStatus::Blocked => format!(
            "start it first: `harness-agents task start {} --owner AGENT`",
            t.id
        ),
        _ => "see `harness-agents task show`".to_string(),
    };
    match t.status {
        TaskStatus::Pending => Diagnostic::error(
            Code::TaskNotStarted,
            format!("cannot complete task {}: it was never started", t.id),
        )
        .at(store.span_of(&t.id, "status"))
        .hint(hint)
        .into(),
        _ => wrong_status(store, t, "complete", &hint),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::Project;
    use crate::plan::approval;

    const AT: jiff::Timestamp = jiff::Timestamp::constant(1767323045, 0);
    const LATER: jiff::Timestamp = jiff::Timestamp::constant(1767326400, 0);

    const PLAN: &str = "---\nid: 1\ntitle: \"Chat room\"\nagent: \"planner\"\nstatus: draft\n---\n## PLAN: Chat room\n\n### Files to Change\n- `src/chat.rs`: the service\n\n### Tasks\n- [ ] Chat service @dev\n- [ ] Helpers (after 1)\n\nPLAN_APPROVED: pending\n";

    /// A git repository with agent `dev` (whose one gate needs
    /// `src/chat.rs`), plan 1 approved, its tasks derived, and all of it
    /// committed.
    struct Repo {
        _dir: tempfile::TempDir,
        store: Store,
    }

    impl Repo {
        fn new() -> Repo {
            let dir = tempfile::tempdir().unwrap();
            let root = std::fs::canonicalize(dir.path()).unwrap();
            write(
                &root,
                "agents/dev.md",
                "---\nname: dev\ndescription: Implements approved plans.\nharness:\n  gates: [\"test -f src/chat.rs\"]\n---\n# Dev\n",
            );
            write(&root, "plans/0001-chat-room.md", PLAN);
            let store = Store::open(&Project::with_defaults(&root));
            store
                .plans()
                .record_with(
                    1,
                    |p| {
                        approval::approve(p, "alice", AT, false, false)
                            .map_err(|r| Error::usage(format!("{r:?}")))
                    },
                    |lock, p| store.derive_locked(lock, p, AT),
                )
                .unwrap();
            let git = git2::Repository::init(&root).unwrap();
            commit_all(&git);
            Repo { _dir: dir, store }
        }

        fn write(&self, rel: &str, text: &str) {
            write(&self.store.project().root, rel, text);
        }
    }

    fn write(root: &Path, rel: &str, text: &str) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn commit_all(git: &git2::Repository) {
        let mut index = git.index().unwrap();
        index
            .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
            .unwrap();
        index.write().unwrap();
        let tree = git.find_tree(index.write_tree().unwrap()).unwrap();
        let sig = git2::Signature::now("t", "t@example.com").unwrap();
        git.commit(Some("HEAD"), &sig, &sig, "init", &tree, &[])
            .unwrap();
    }

    /// The code of the one diagnostic `result` failed with.
    #[track_caller]
    fn code<T: std::fmt::Debug>(result: Result<T>) -> &'static str {
        match result {
            Err(Error::Input(ds)) if ds.len() == 1 => ds[0].code.as_str(),
            other => panic!("expected one diagnostic, got {other:?}"),
        }
    }

    #[test]
    fn start_records_owner_and_head_and_refuses_a_second_start() {
        let repo = Repo::new();
        let head = crate::git::tree_state(&repo.store.project().root).commit;
        let started = start(&repo.store, "1-1", "dev", AT).unwrap();
        let t = &started.task;
        assert_eq!(
            (t.status, t.owner.as_deref(), t.started_at),
            (TaskStatus::InProgress, Some("dev"), Some(AT))
        );
        assert!(head.is_some());
        assert_eq!(t.started_commit, head);
        assert_eq!(repo.store.get("0001-1").unwrap(), *t);
        assert_eq!(code(start(&repo.store, "1-1", "dev", LATER)), "task-status");
    }

    #[test]
    fn start_waits_for_earlier_tasks_and_the_planned_owner() {
        let repo = Repo::new();
        assert_eq!(code(start(&repo.store, "1-2", "dev", AT)), "task-waiting");
        write_agent(&repo, "other");
        assert_eq!(code(start(&repo.store, "1-1", "other", AT)), "task-owner");
        assert_eq!(repo.store.get("1-1").unwrap().status, TaskStatus::Pending);
    }

    fn write_agent(repo: &Repo, name: &str) {
        repo.write(
            &format!("agents/{name}.md"),
            &format!("---\nname: {name}\ndescription: Another agent.\n---\n# {name}\n"),
        );
    }

    #[test]
    fn block_needs_a_reason_and_a_task_not_yet_done() {
        let repo = Repo::new();
        assert!(matches!(
            block(&repo.store, "1-1", " ", AT),
            Err(Error::Usage { .. })
        ));
        let blocked = block(&repo.store, "1-1", "waiting for the API", AT).unwrap();
        assert_eq!(blocked.task.status, TaskStatus::Blocked);
        assert_eq!(blocked.task.reason.as_deref(), Some("waiting for the API"));
        assert_eq!(
            code(block(&repo.store, "1-1", "again", LATER)),
            "task-status"
        );
        // A blocked task can be started again.
        let started = start(&repo.store, "1-1", "dev", LATER).unwrap();
        assert_eq!(started.task.reason, None);
    }

    #[test]
    fn complete_needs_a_started_task() {
        let repo = Repo::new();
        assert_eq!(code(complete(&repo.store, "1-1", AT)), "task-not-started");
    }

    #[test]
    fn complete_passes_with_gates_and_scope_and_stores_the_evidence() {
        let repo = Repo::new();
        start(&repo.store, "1-1", "dev", AT).unwrap();
        repo.write("src/chat.rs", "// chat\n");
        let done = complete(&repo.store, "1-1", LATER).unwrap();
        assert!(done.passed(), "{:?}", done.reasons());
        assert!(done.reasons().is_empty());
        assert_eq!(done.evidence.scope.changed, ["src/chat.rs"]);
        assert_eq!(done.evidence.gates.len(), 1);
        assert!(done.evidence.dirty);
        let stored = repo.store.get("1-1").unwrap();
        assert_eq!(stored.status, TaskStatus::Completed);
        assert_eq!(stored.completed_at, Some(LATER));
        assert_eq!(stored.evidence.as_ref(), Some(&done.evidence));
        // The next task's wait is over.
        start(&repo.store, "1-2", "dev", LATER).unwrap();
    }

    #[test]
    fn complete_fails_on_a_failing_gate_or_a_file_out_of_scope() {
        let repo = Repo::new();
        start(&repo.store, "1-1", "dev", AT).unwrap();
        repo.write("README.md", "not in the plan\n");
        let done = complete(&repo.store, "1-1", LATER).unwrap();
        assert!(!done.passed());
        assert_eq!(
            done.reasons(),
            [
                "gate failed: test-chat.rs",
                "1 file(s) outside the plan's Files to Change"
            ]
        );
        assert_eq!(done.evidence.scope.outside, ["README.md"]);
        let stored = repo.store.get("1-1").unwrap();
        assert_eq!(stored.status, TaskStatus::InProgress);
        assert_eq!(stored.evidence.as_ref(), Some(&done.evidence));
    }
}
