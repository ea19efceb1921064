//! Evidence for `task done`, gathered by harness itself: the owner agent's
//! quality gates run and timed, and the files changed since the task started
//! checked against the plan's Files to Change.
//!
//! [`run_gates`] is the one entry point for running gates, so a parallel
//! runner can replace the sequential one here without touching callers.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use super::task::{GateRun, ScopeCheck};
use crate::diagnostic::display_path;
use crate::plan::{Scope, approval::digest_bytes};

/// Lines of output kept for a failing gate.
const TAIL_LINES: usize = 20;

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

/// Runs each gate command with `sh -c` in `root`, in order, and records its
/// exit code, duration and output digest. Every gate runs even after one
/// fails, so the evidence is complete.
pub fn run_gates(root: &Path, commands: &[String]) -> GateEvidence {
    let mut runs = Vec::new();
    for command in commands {
        let start = Instant::now();
        let output = Command::new("sh")
            .arg("-c")
            .arg(command)
            .current_dir(root)
            .stdin(std::process::Stdio::null())
            .output();
        let duration_ms = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
        let run = match output {
            Ok(out) => {
                let mut all = out.stdout;
                all.extend_from_slice(&out.stderr);
                let passed = out.status.success();
                GateRun {
                    name: command.clone(),
                    exit_code: out.status.code(),
                    passed,
                    duration_ms,
                    output_digest: digest_bytes(&all),
                    output_tail: (!passed).then(|| tail(&String::from_utf8_lossy(&all))),
                }
            }
            Err(e) => GateRun {
                name: command.clone(),
                exit_code: None,
                passed: false,
                duration_ms,
                output_digest: digest_bytes(b""),
                output_tail: Some(format!("cannot start `sh`: {e}\n")),
            },
        };
        runs.push(run);
    }
    GateEvidence { runs }
}

fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(TAIL_LINES);
    let mut out = lines[start..].join("\n");
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

/// The state of the repository: HEAD and whether the work tree is dirty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepoState {
    pub commit: Option<String>,
    pub dirty: bool,
}

fn repo(root: &Path) -> Option<git2::Repository> {
    git2::Repository::discover(root).ok()
}

/// HEAD and the dirty flag; `None` when `root` is not in a git repository.
pub fn repo_state(root: &Path) -> Option<RepoState> {
    let repo = repo(root)?;
    let commit = repo
        .head()
        .ok()
        .and_then(|h| h.peel_to_commit().ok())
        .map(|c| c.id().to_string());
    let mut opts = git2::StatusOptions::new();
    opts.include_untracked(true).recurse_untracked_dirs(true);
    let dirty = repo
        .statuses(Some(&mut opts))
        .map(|s| {
            s.iter().any(|e| {
                e.status() != git2::Status::CURRENT && !e.status().contains(git2::Status::IGNORED)
            })
        })
        .unwrap_or(false);
    Some(RepoState { commit, dirty })
}

/// Files changed since commit `since` (or since the empty tree), counting
/// staged, unstaged and untracked changes, as paths relative to the project
/// root. `None` when `root` is not in a git repository.
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
    fn gates_record_exit_codes_and_output() {
        let dir = tempfile::tempdir().unwrap();
        let ev = run_gates(
            dir.path(),
            &["echo ok".to_string(), "echo bad >&2; exit 3".to_string()],
        );
        assert!(!ev.passed());
        assert_eq!(ev.runs[0].exit_code, Some(0));
        assert!(ev.runs[0].passed && ev.runs[0].output_tail.is_none());
        assert_eq!(ev.runs[0].output_digest, digest_bytes(b"ok\n"));
        assert_eq!(ev.runs[1].exit_code, Some(3));
        assert_eq!(ev.runs[1].output_tail.as_deref(), Some("bad\n"));
    }

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
