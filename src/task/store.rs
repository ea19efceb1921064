//! Task files: one small TOML file per task beside its plan
//! (`plans/0007/tasks/0007-3.toml`), so branches that work on different
//! tasks never conflict. Every change is read, modified and written under
//! the project lock, through a temporary file and a rename.

use std::path::{Path, PathBuf};

use super::report::{TaskDetail, TaskList};
use super::task::{Task, TaskStatus, parse_id};
use crate::config::Project;
use crate::diagnostic::{Code, Diagnostic, Span, display_path};
use crate::error::{Error, Result};
use crate::fsutil;
use crate::plan::{self, Plan};

/// The project's tasks.
#[derive(Debug, Clone)]
pub struct Store {
    plans: plan::Store,
}

impl Store {
    pub fn open(project: &Project) -> Store {
        Store {
            plans: plan::Store::open(project),
        }
    }

    pub fn project(&self) -> &Project {
        self.plans.project()
    }

    pub fn plans(&self) -> &plan::Store {
        &self.plans
    }

    fn dir(&self, plan: u32) -> PathBuf {
        self.plans.data_dir(plan).join("tasks")
    }

    /// The file of task `id`.
    pub fn path_of(&self, id: &str) -> Option<PathBuf> {
        self.plans.task_file(id)
    }

    fn read(&self, path: &Path) -> Result<Task> {
        let text = fsutil::read_text(path)?;
        self.parse(path, &text)
    }

    fn parse(&self, path: &Path, text: &str) -> Result<Task> {
        let shown = self.project().relative(path).to_path_buf();
        toml::from_str(text).map_err(|e| {
            let span = match e.span() {
                Some(r) => Span::at_offset(&shown, text, r.start),
                None => Span::new(&shown, 1, 1),
            };
            Error::from(
                Diagnostic::error(Code::InvalidTask, e.message().trim_end().to_string())
                    .at(span)
                    .hint("task files are written by harness; restore it with `git checkout` or re-approve the plan"),
            )
        })
    }

    /// The task files of plan `plan`, in no particular order.
    fn files_of(&self, plan: u32) -> Vec<PathBuf> {
        let Ok(entries) = std::fs::read_dir(self.dir(plan)) else {
            return Vec::new();
        };
        entries
            .flatten()
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|e| e == "toml"))
            .collect()
    }

    /// The tasks of plan `plan`, by number.
    pub fn of_plan(&self, plan: u32) -> Result<Vec<Task>> {
        let mut out = self
            .files_of(plan)
            .iter()
            .map(|path| self.read(path))
            .collect::<Result<Vec<_>>>()?;
        out.sort_by_key(Task::number);
        Ok(out)
    }

    /// Every task of every plan, by plan and number.
    pub fn all(&self) -> Result<Vec<Task>> {
        let mut out = Vec::new();
        for id in self.plans.ids() {
            out.extend(self.of_plan(id)?);
        }
        Ok(out)
    }

    /// The tasks of plan `plan` (as people write its id), or of every
    /// plan, with `status` if one is given: `task list`.
    pub fn listing(&self, plan: Option<&str>, status: Option<TaskStatus>) -> Result<TaskList> {
        let mut tasks = match plan {
            Some(id) => self.of_plan(self.plans.get(id)?.id)?,
            None => self.all()?,
        };
        tasks.retain(|t| status.is_none_or(|s| t.status == s));
        Ok(TaskList { tasks })
    }

    /// Task `id` and its file: `task show`.
    pub fn detail(&self, id: &str) -> Result<TaskDetail> {
        let task = self.get(id)?;
        let file = self.shown_path(&task.id);
        Ok(TaskDetail { task, file })
    }

    /// Task `id` (`0007-3` or `7-3`), or an error that says which exist.
    pub fn get(&self, id: &str) -> Result<Task> {
        let path = self.path_of(id).ok_or_else(|| {
            Error::from(
                Diagnostic::error(Code::InvalidTaskId, format!("`{id}` is not a task id"))
                    .hint("task ids are the plan id, a dash and a number: `0007-3`"),
            )
        })?;
        if path.is_file() {
            return self.read(&path);
        }
        let plan = parse_id(id).map_or(0, |(p, _)| p);
        let known: Vec<String> = self.of_plan(plan)?.into_iter().map(|t| t.id).collect();
        let hint = if known.is_empty() {
            format!("plan {plan:04} has no tasks; tasks are derived when a plan is approved")
        } else {
            format!(
                "tasks of plan {plan:04}: {}; `harness-agents task list` shows every task",
                plan::store::shortlist(&known)
            )
        };
        Err(
            Diagnostic::error(Code::UnknownTask, format!("there is no task {id}"))
                .hint(hint)
                .into(),
        )
    }

    /// Writes a task (the caller holds the lock), and notes in the
    /// in-progress index whether it is in progress and for whom.
    pub fn write(&self, task: &Task) -> Result<()> {
        let path = self
            .path_of(&task.id)
            .ok_or_else(|| Error::usage(format!("bad task id `{}`", task.id)))?;
        let text = toml::to_string(task)
            .map_err(|e| Error::usage(format!("cannot store task `{}`: {e}", task.id)))?;
        fsutil::write_atomic(&path, text.as_bytes())?;
        self.note_in_progress(task);
        Ok(())
    }

    /// The in-progress index: `.harness/in-progress`, one `agent<TAB>task`
    /// line for each task in progress, as harness last wrote the task
    /// files. Only a hint for [`Store::active`], which reads each task it
    /// names and checks it; it saves reading every task file of every plan
    /// on each guarded call.
    fn index_path(&self) -> PathBuf {
        self.project().root.join(".harness").join("in-progress")
    }

    /// Brings the index up to date with `task`, just written. A missing
    /// index is built from every task file, so it starts complete. If it
    /// cannot be written it is removed: no index means reading every task.
    fn note_in_progress(&self, task: &Task) {
        let path = self.index_path();
        let entry = match (&task.status, &task.owner) {
            (TaskStatus::InProgress, Some(owner)) => Some(format!("{owner}\t{}", task.id)),
            _ => None,
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(old) => {
                let mut lines: Vec<&str> = old
                    .lines()
                    .filter(|l| l.split('\t').nth(1) != Some(task.id.as_str()))
                    .collect();
                lines.extend(entry.as_deref());
                let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
                if text == old {
                    return;
                }
                text
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                match self.in_progress(|_| true) {
                    Ok(tasks) => tasks
                        .iter()
                        .filter_map(|t| Some(format!("{}\t{}\n", t.owner.as_deref()?, t.id)))
                        .collect(),
                    Err(_) => return,
                }
            }
            Err(_) => {
                let _ = std::fs::remove_file(&path);
                return;
            }
        };
        if fsutil::write_atomic(&path, text.as_bytes()).is_err() {
            let _ = std::fs::remove_file(&path);
        }
    }

    /// The tasks the index says `agent` has in progress, read from their
    /// files and checked; `None` when there is no index, or a named task
    /// cannot be read (the full scan then reports it).
    fn hinted(&self, agent: &str) -> Option<Vec<Task>> {
        let index = std::fs::read_to_string(self.index_path()).ok()?;
        let mut out = Vec::new();
        for line in index.lines() {
            let Some((owner, id)) = line.split_once('\t') else {
                continue;
            };
            if owner != agent {
                continue;
            }
            let task = self.get(id).ok()?;
            if task.status == TaskStatus::InProgress && task.owner.as_deref() == Some(agent) {
                out.push(task);
            }
        }
        Some(out)
    }

    /// Reads task `id` under the lock, lets `change` modify it (or refuse),
    /// and writes it back. Concurrent processes are serialised, so no update
    /// is lost.
    pub fn update<T>(
        &self,
        id: &str,
        change: impl FnOnce(&mut Task) -> Result<T>,
    ) -> Result<(Task, T)> {
        let _lock = plan::lock(self.project())?;
        let mut task = self.get(id)?;
        let out = change(&mut task)?;
        self.write(&task)?;
        Ok((task, out))
    }

    /// Re-derives plan `plan`'s tasks from its approved content (see
    /// [`super::derive::reconcile`]) and writes those that changed.
    pub fn derive(&self, plan: &Plan, at: jiff::Timestamp) -> Result<Vec<Task>> {
        let lock = plan::lock(self.project())?;
        self.derive_locked(&lock, plan, at)
    }

    /// [`Store::derive`] for a caller that already holds the project lock.
    pub fn derive_locked(
        &self,
        _lock: &plan::Lock,
        plan: &Plan,
        at: jiff::Timestamp,
    ) -> Result<Vec<Task>> {
        let existing = self.of_plan(plan.id)?;
        let tasks = super::derive::reconcile(plan, &plan.hash(), &existing, at);
        for t in &tasks {
            if existing.iter().find(|e| e.id == t.id) != Some(t) {
                self.write(t)?;
            }
        }
        Ok(tasks)
    }

    /// The tasks `agent` has in progress.
    ///
    /// The guard asks this before every tool call, so only files that can
    /// hold such a task are parsed: the top-level keys of one in progress
    /// (those before the `[[history]]` tables) name that status. A file
    /// whose do not is skipped, even if it is broken (`task list` reports
    /// that); one whose do must parse.
    pub fn in_progress_for(&self, agent: &str) -> Result<Vec<Task>> {
        self.in_progress(|t| t.owner.as_deref() == Some(agent))
    }

    /// The tasks in progress that `keep` keeps, read from every task file.
    fn in_progress(&self, keep: impl Fn(&Task) -> bool) -> Result<Vec<Task>> {
        let status = TaskStatus::InProgress.as_str();
        let mut out = Vec::new();
        for plan in self.plans.ids() {
            for path in self.files_of(plan) {
                let text = fsutil::read_text(&path)?;
                if !top_level(&text).contains(status) {
                    continue;
                }
                let task = self.parse(&path, &text)?;
                if task.status == TaskStatus::InProgress && keep(&task) {
                    out.push(task);
                }
            }
        }
        // As `all` orders them, so that ties elsewhere fall the same way.
        out.sort_by_key(|t| (t.plan, t.number()));
        Ok(out)
    }

    /// The task `agent` is working on and its plan: the guard's "active
    /// plan". `None` when the agent has nothing in progress; the most
    /// recently started task when it has several.
    ///
    /// The in-progress index is asked first; each task it names is read
    /// and must be in progress for `agent`. When it names none that is,
    /// every task file is read, so a task put in progress by other means
    /// (a checkout, an edit) is still found, and a stale or forged index
    /// can neither deny a write nor grant one that the task files do not.
    /// What it can miss is such a task started after one it names.
    pub fn active(&self, agent: &str) -> Result<Option<(Task, Plan)>> {
        let mut tasks = match self.hinted(agent) {
            Some(tasks) if !tasks.is_empty() => tasks,
            _ => self.in_progress_for(agent)?,
        };
        tasks.sort_by_key(|t| t.started_at);
        match tasks.pop() {
            None => Ok(None),
            Some(t) => {
                let p = self.plans.get_id(t.plan)?;
                Ok(Some((t, p)))
            }
        }
    }

    /// Where a task's `key` is written in its file, for locating errors
    /// about it (line 1 when the key is absent).
    pub fn span_of(&self, id: &str, key: &str) -> Span {
        let Some(path) = self.path_of(id) else {
            return Span::new(id, 1, 1);
        };
        let line = std::fs::read_to_string(&path)
            .ok()
            .and_then(|text| {
                text.lines()
                    .position(|l| l.starts_with(&format!("{key} =")))
                    .map(|i| i + 1)
            })
            .unwrap_or(1);
        Span::new(self.project().relative(&path), line, 1)
    }

    /// The path of a task file as shown to people.
    pub fn shown_path(&self, id: &str) -> String {
        self.path_of(id)
            .map(|p| display_path(self.project().relative(&p)))
            .unwrap_or_default()
    }
}

/// The top-level key/value pairs of a TOML document: everything before its
/// first table header, where TOML requires them to be. A line inside a
/// multi-line value that starts with `[` ends it early, which can only hide
/// a key, never add one.
fn top_level(text: &str) -> &str {
    let mut end = 0;
    for line in text.split_inclusive('\n') {
        if line.trim_start().starts_with('[') {
            break;
        }
        end += line.len();
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::task::Change;

    #[test]
    fn top_level_stops_at_the_first_table() {
        let text = "id = \"0007-1\"\nstatus = \"completed\"\nblocked_by = []\n\n[[history]]\nstatus = \"in_progress\"\n";
        let head = top_level(text);
        assert!(head.contains("blocked_by = []"));
        assert!(!head.contains(TaskStatus::InProgress.as_str()));
        assert_eq!(
            top_level("status = \"in_progress\""),
            "status = \"in_progress\""
        );
        assert_eq!(top_level("[[history]]\n"), "");
    }

    #[test]
    fn a_written_task_names_its_status_before_its_history() {
        let mut task: Task = toml::from_str(
            "id = \"0007-1\"\nplan = 7\nsubject = \"s\"\nstatus = \"pending\"\nline = 1\nplan_hash = \"h\"\n",
        )
        .unwrap();
        task.status = TaskStatus::InProgress;
        task.history.push(Change {
            at: jiff::Timestamp::constant(1767225600, 0),
            status: TaskStatus::InProgress,
            note: None,
        });
        let text = toml::to_string(&task).unwrap();
        assert!(
            top_level(&text).contains(TaskStatus::InProgress.as_str()),
            "{text}"
        );
        task.status = TaskStatus::Completed;
        let text = toml::to_string(&task).unwrap();
        assert!(text.contains("[[history]]"), "{text}");
        assert!(
            !top_level(&text).contains(TaskStatus::InProgress.as_str()),
            "{text}"
        );
    }
}
