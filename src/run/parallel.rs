//! `harness-agents run --parallel N`: the implement stage with up to N tasks at
//! once. Each task that waits for no unfinished task (the plan's
//! `(after N)`) runs in a git work tree of its own,
//! `.harness/worktrees/ID` on branch `harness/ID`, where the same
//! `implement_task` as a sequential run starts it, runs its agent (the
//! sandbox compiled against that work tree), judges it and writes the
//! commit. Then, one task at a time in task order, harness cherry-picks
//! each commit into the main work tree; a task whose commit conflicts with
//! the ones before it is blocked and its work tree kept for a person.
//!
//! The work tree starts from HEAD, so the plan's text and its records
//! (`plans/NNNN/`: approval, task files) are copied in from the main work
//! tree first: both stores then agree on the plan and the task's state,
//! and the task file the commit carries is the main tree's with the task's
//! start and completion added.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::git;
use super::report::{StageRecord, Verdict, shown};
use super::workflow::{Ctx, gates_stage, implement_task, or_all_done, reason, work_changes};
use crate::agent::Catalog;
use crate::config::{Project, StageConfig, StageKind};
use crate::diagnostic::display_path;
use crate::error::{Error, Result};
use crate::plan::Plan;
use crate::task::{self, Task, TaskStatus};

/// A task's run in its work tree, before it is merged.
struct Outcome {
    task: Task,
    tree: PathBuf,
    branch: String,
    result: Result<StageRecord>,
}

/// The implement stage of plan `p` in batches of independent tasks.
pub(super) fn implement(ctx: &Ctx, p: &Plan, stage: &StageConfig) -> Result<Vec<StageRecord>> {
    let mut records = Vec::new();
    loop {
        let tasks = ctx.store.of_plan(p.id)?;
        let done: HashSet<&str> = tasks
            .iter()
            .filter(|t| t.status == TaskStatus::Completed)
            .map(|t| t.id.as_str())
            .collect();
        let open: Vec<&Task> = tasks
            .iter()
            .filter(|t| !matches!(t.status, TaskStatus::Completed | TaskStatus::Stale))
            .collect();
        if open.is_empty() {
            break;
        }
        let batch: Vec<Task> = open
            .iter()
            .filter(|t| t.blocked_by.iter().all(|b| done.contains(b.as_str())))
            .take(ctx.opts.parallel)
            .map(|t| (*t).clone())
            .collect();
        if batch.is_empty() {
            let ids: Vec<&str> = open.iter().map(|t| t.id.as_str()).collect();
            records.push(StageRecord::new(
                StageKind::Implement,
                Verdict::Failed,
                format!(
                    "task(s) {} wait for tasks that are not completed",
                    ids.join(", ")
                ),
            ));
            break;
        }
        let head = crate::git::tree_state(&ctx.project.root).commit;
        let dirty = work_changes(ctx, head.as_deref(), false)?;
        if !dirty.is_empty() {
            records.push(StageRecord::new(
                StageKind::Implement,
                Verdict::Failed,
                format!(
                    "the work tree has uncommitted changes ({}); commit or stash them, so the tasks' commits merge onto what is committed",
                    dirty.join(", ")
                ),
            ));
            break;
        }
        (ctx.opts.progress)(&format!(
            "implement: {} task(s) at once: {}",
            batch.len(),
            batch
                .iter()
                .map(|t| t.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        let outcomes: Vec<Outcome> = std::thread::scope(|scope| {
            let handles: Vec<_> = batch
                .into_iter()
                .map(|t| scope.spawn(move || in_worktree(ctx, p, stage, t)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a task's thread does not panic"))
                .collect()
        });
        let mut stops = false;
        let mut owners: Vec<String> = Vec::new();
        let mut merged = Vec::new();
        // In task order: each commit lands on the ones before it.
        for outcome in outcomes {
            let r = merge(ctx, outcome)?;
            stops |= r.verdict.stops();
            if r.verdict == Verdict::Passed {
                merged.extend(r.task.clone());
                owners.extend(r.agent.clone().filter(|a| !owners.contains(a)));
            }
            records.push(r);
        }
        // Each task passed its gates alone; together they may not.
        if merged.len() > 1 {
            let together = merged_gates(ctx, &merged, &owners)?;
            stops |= together.verdict.stops();
            records.push(together);
        }
        if stops || merged.is_empty() {
            break;
        }
    }
    Ok(or_all_done(records))
}

/// The gates of every agent whose task was merged, run on the merged
/// work tree: the record of a batch's integration.
fn merged_gates(ctx: &Ctx, tasks: &[String], owners: &[String]) -> Result<StageRecord> {
    let mut record = StageRecord::new(StageKind::Implement, Verdict::Passed, String::new());
    record.notes.clear();
    let mut failed = Vec::new();
    for owner in owners {
        let stage = StageConfig {
            kind: StageKind::Gates,
            agent: Some(owner.clone()),
        };
        let r = gates_stage(ctx, &stage)?;
        if r.verdict == Verdict::Failed {
            failed.extend(r.gates.iter().filter(|g| !g.passed).map(|g| g.name.clone()));
        }
        record.gates.extend(r.gates);
    }
    if failed.is_empty() {
        record.notes.push(format!(
            "tasks {} merged; their gates pass together",
            tasks.join(", ")
        ));
    } else {
        record.verdict = Verdict::Failed;
        record.notes.push(format!(
            "tasks {} each passed their gates, but merged together gate(s) fail: {}; fix it by hand before the run goes on",
            tasks.join(", "),
            failed.join(", ")
        ));
    }
    Ok(record)
}

/// Where task `id` works, and its branch.
pub(super) fn worktree_of(root: &Path, id: &str) -> (PathBuf, String) {
    (
        root.join(".harness").join("worktrees").join(id),
        format!("harness/{id}"),
    )
}

/// Runs task `t` in a new work tree: the whole of `implement_task` there.
fn in_worktree(ctx: &Ctx, p: &Plan, stage: &StageConfig, t: Task) -> Outcome {
    let (tree, branch) = worktree_of(&ctx.project.root, &t.id);
    let result = prepare(ctx, p, &tree, &branch).and_then(|project| {
        let wt = Ctx {
            project: &project,
            store: task::Store::open(&project),
            catalog: Catalog::load(&project),
            opts: ctx.opts,
            dir: ctx.dir.clone(),
            commits: ctx.commits.clone(),
        };
        let plan = wt.store.plans().get_id(p.id)?;
        let mut record = implement_task(&wt, &plan, &t, stage)?;
        if record.log.is_some() {
            let log = ctx.dir.join(format!("implement-{}.log", t.id));
            record.log = Some(shown(&ctx.project.root, &log));
        }
        Ok(record)
    });
    Outcome {
        task: t,
        tree,
        branch,
        result,
    }
}

/// Adds the work tree, with the main tree's plan text and records, and
/// returns the project rooted there.
fn prepare(ctx: &Ctx, p: &Plan, tree: &Path, branch: &str) -> Result<Project> {
    if tree.exists() {
        return Err(Error::usage(format!(
            "the work tree `{}` is left from an earlier run; merge its branch `{branch}` by hand or remove both (`git worktree remove {0}`, `git branch -D {branch}`)",
            shown(&ctx.project.root, tree)
        )));
    }
    {
        // Tasks start on their own threads; git takes the same ref and
        // config locks for each `worktree add`, so one at a time.
        static ADDING: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _one = ADDING.lock().unwrap_or_else(|e| e.into_inner());
        git::worktree_add(&ctx.project.root, tree, branch)?;
    }
    let main = ctx.project;
    let text = main.relative(&p.path);
    copy(&main.root.join(text), &tree.join(text))?;
    let data = ctx.store.plans().data_dir(p.id);
    copy_dir(&data, &tree.join(main.relative(&data)))?;
    Ok(Project {
        root: tree.to_path_buf(),
        ..main.clone()
    })
}

fn copy(from: &Path, to: &Path) -> Result<()> {
    let bytes = std::fs::read(from).map_err(|e| Error::io("read", from, e))?;
    crate::fsutil::write_atomic(to, &bytes)
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    let entries = match std::fs::read_dir(from) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io("read", from, e)),
    };
    std::fs::create_dir_all(to).map_err(|e| Error::io("create", to, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("read", from, e))?;
        let path = entry.path();
        let target = to.join(entry.file_name());
        // Records are plain files: a link among them is skipped, so that
        // nothing outside the tree is copied in for the agent to read.
        match entry.file_type() {
            Ok(t) if t.is_dir() => copy_dir(&path, &target)?,
            Ok(t) if t.is_file() => copy(&path, &target)?,
            _ => {}
        }
    }
    Ok(())
}

/// Brings a task's outcome into the main work tree: its commit
/// cherry-picked, or its state (blocked, with the reasons) copied back; a
/// conflict blocks the task. The work tree is removed once merged, and
/// kept otherwise.
fn merge(ctx: &Ctx, o: Outcome) -> Result<StageRecord> {
    let root = &ctx.project.root;
    let kept = format!(
        "its work tree is kept at `{}` (branch `{}`) for a person",
        shown(root, &o.tree),
        o.branch
    );
    let main_file = ctx.store.path_of(&o.task.id);
    let rel = main_file
        .as_ref()
        .map(|f| display_path(ctx.project.relative(f)));
    let mut record = match o.result {
        Ok(record) => record,
        Err(e) => {
            let mut record = StageRecord::new(StageKind::Implement, Verdict::Failed, String::new());
            record.notes.clear();
            record.task = Some(o.task.id.clone());
            let why = format!(
                "the task could not run in its own work tree: {}",
                reason(&e)
            );
            block(ctx, &o.task.id, &why, &mut record);
            record.notes.push(why);
            return Ok(record);
        }
    };
    if record.verdict.stops() {
        // The task's state (blocked, and why) is in the work tree's copy.
        if let (Some(main_file), Some(rel)) = (&main_file, &rel) {
            let theirs = o.tree.join(rel);
            if theirs.exists() {
                copy(&theirs, main_file)?;
            }
        }
        if o.tree.exists() {
            record.notes.push(kept);
        }
        return Ok(record);
    }
    let Some(commit) = record.commit.clone() else {
        git::worktree_remove(root, &o.tree, &o.branch)?;
        return Ok(record);
    };
    // The commit carries the task file as the main tree had it plus the
    // task's start and completion; the main tree's copy gives way to it.
    let saved = match &main_file {
        Some(f) => std::fs::read(f).ok(),
        None => None,
    };
    if let Some(rel) = &rel {
        git::restore(root, rel)?;
    }
    match git::cherry_pick(root, &commit)? {
        Ok(merged) => {
            record.commit = Some(merged);
            git::worktree_remove(root, &o.tree, &o.branch)?;
            Ok(record)
        }
        Err(said) => {
            if let (Some(f), Some(bytes)) = (&main_file, saved) {
                crate::fsutil::write_atomic(f, &bytes)?;
            }
            record.verdict = Verdict::Failed;
            record.commit = None;
            let why = format!(
                "its commit {} conflicts with the tasks merged before it ({}); {kept}: merge it by hand (`git cherry-pick {commit}`), or remove it and run the task again",
                &commit[..commit.len().min(12)],
                said.lines().last().unwrap_or_default().trim()
            );
            block(ctx, &o.task.id, &why, &mut record);
            record.notes.push(why);
            Ok(record)
        }
    }
}

/// Blocks task `id` in the main tree with `why`; a task that cannot be
/// blocked (it already is) says so in the record.
fn block(ctx: &Ctx, id: &str, why: &str, record: &mut StageRecord) {
    if let Err(e) = task::block(&ctx.store, id, why, crate::clock::now()) {
        record
            .notes
            .push(format!("task {id} is left as it was: {}", reason(&e)));
    }
}
