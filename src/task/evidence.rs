//! Evidence for `task done`, gathered by harness itself: the owner agent's
//! quality gates run and timed, and the files changed since the task started
//! checked against the plan's Files to Change.
//!
//! [`run_gates`] is the one entry point for running gates; it hands them to
//! the parallel gate runner and keeps what a task's evidence needs.

use std::path::Path;

use super::task::{GateRun, ScopeCheck};
use crate::config::Project;
use crate::diagnostic::display_path;
use crate::error::Result;
use crate::gate;
use crate::plan::Scope;
use crate::policy::Policy;

/// The outcome of running a set of gates.
#[derive(Debug, Clone, Default)]
pub struct GateEvidence {
    pub runs: Vec<GateRun>,
}

impl GateEvidence {
    pub fn passed(&self) -> bool {
        self.runs.iter().all(|r| r.passed)
    }
}

/// Runs the quality gates of `policy` (the task owner's) for `project`,
/// through the gate runner (`crate::gate`): in parallel, with timeouts, each
/// run recorded under `.harness/gates/`. An agent that lists no gates gets
/// the project's configured or detected ones, as `harness gate run` does.
///
/// This is the one place `task done` runs gates.
pub fn run_gates(project: &Project, policy: &Policy) -> Result<GateEvidence> {
    let specs = gate::select(project, Some(policy), &[], None)?;
    if specs.is_empty() {
        return Ok(GateEvidence::default());
    }
    let report = gate::run_blocking(
        specs,
        &gate::RunOptions::new(&project.root),
        gate::Progress::Silent,
    )?;
    let runs = report
        .gates
        .iter()
        .map(|g| {
            let passed = g.status.passed();
            let mut tail = g.tail.clone();
            if tail.is_empty()
                && let Some(reason) = &g.reason
            {
                tail = format!("{reason}\n");
            }
            GateRun {
                name: g.name.clone(),
                command: Some(g.command.clone()),
                exit_code: g.exit_code,
                passed,
                duration_ms: u64::try_from(g.duration.as_millis()).unwrap_or(u64::MAX),
                output_digest: format!("sha256:{}", g.output_sha256),
                output_tail: (!passed && !tail.is_empty()).then_some(tail),
                log: g.log_path.as_ref().map(|p| display_path(p)),
            }
        })
        .collect();
    Ok(GateEvidence { runs })
}

fn repo(root: &Path) -> Option<git2::Repository> {
    git2::Repository::discover(root).ok()
}

/// Files changed since commit `since` (or since the empty tree), counting
/// staged, unstaged and untracked changes, as paths relative to the project
/// root. An error when `root` is not in a git repository.
pub fn changed_since(root: &Path, since: Option<&str>) -> Result<Vec<String>, String> {
    let repo = repo(root).ok_or("the project is not in a git repository")?;
    let tree = match since {
        Some(sha) => {
            let oid = git2::Oid::from_str(sha).map_err(|e| e.message().to_string())?;
            let commit = repo
                .find_commit(oid)
                .map_err(|e| format!("commit {sha}: {}", e.message()))?;
            Some(commit.tree().map_err(|e| e.message().to_string())?)
        }
        None => None,
    };
    let mut opts = git2::DiffOptions::new();
    opts.include_untracked(true).recurse_untracked_dirs(true);
    let diff = repo
        .diff_tree_to_workdir_with_index(tree.as_ref(), Some(&mut opts))
        .map_err(|e| e.message().to_string())?;
    let workdir = repo.workdir().map(Path::to_path_buf).unwrap_or_default();
    let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let workdir = std::fs::canonicalize(&workdir).unwrap_or(workdir);
    let mut out = Vec::new();
    for delta in diff.deltas() {
        for file in [delta.old_file(), delta.new_file()] {
            let Some(p) = file.path() else { continue };
            let abs = workdir.join(p);
            let Ok(rel) = abs.strip_prefix(&root) else {
                continue;
            };
            let rel = display_path(rel);
            if !out.contains(&rel) {
                out.push(rel);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Checks `changed` against `scope`, ignoring harness's own files under
/// `ignored` prefixes (the plans directory, `.harness/`).
pub fn check_scope(changed: &[String], scope: &Scope, ignored: &[String]) -> ScopeCheck {
    let changed: Vec<String> = changed
        .iter()
        .filter(|p| !ignored.iter().any(|i| p.starts_with(i.as_str())))
        .cloned()
        .collect();
    let outside = changed
        .iter()
        .filter(|p| !scope.contains(p))
        .cloned()
        .collect();
    ScopeCheck { changed, outside }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_check_ignores_harness_files() {
        let (scope, _) = Scope::build(Path::new("p.md"), &[("src/**".to_string(), 1)]);
        let changed = vec![
            "plans/0001/tasks/0001-1.toml".to_string(),
            "src/a.rs".into(),
            "README.md".into(),
        ];
        let c = check_scope(&changed, &scope, &["plans/".to_string()]);
        assert_eq!(c.changed, ["src/a.rs", "README.md"]);
        assert_eq!(c.outside, ["README.md"]);
        assert!(!c.passed());
    }
}
