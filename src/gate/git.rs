//! What gates need from git: the commit and cleanliness of the tree a run
//! saw (for the evidence), and the files changed since a base revision (for
//! `when`). Read with `git2`, so no `git` binary is needed.

use std::path::{Path, PathBuf};

use git2::{DiffOptions, Repository, StatusOptions};

use crate::diagnostic::Diagnostic;
use crate::error::Result;

/// `HEAD` and whether the working tree differs from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeState {
    pub commit: Option<String>,
    pub dirty: bool,
}

/// The tree state of the repository holding `root`; outside a repository,
/// no commit and clean. harness's own `.harness/` directory never counts as
/// a change, or recording evidence would dirty the tree it describes.
pub fn tree_state(root: &Path) -> TreeState {
    let Ok(repo) = Repository::discover(root) else {
        return TreeState {
            commit: None,
            dirty: false,
        };
    };
    let commit = repo
        .head()
        .ok()
        .and_then(|h| h.peel_to_commit().ok())
        .map(|c| c.id().to_string());
    let mut opts = StatusOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false);
    let dirty = repo.statuses(Some(&mut opts)).is_ok_and(|statuses| {
        statuses
            .iter()
            .any(|s| !s.path().is_ok_and(|p| p.starts_with(".harness/")))
    });
    TreeState { commit, dirty }
}

/// Files that differ between `rev` (every file, when `None`) and the working
/// tree, staged, unstaged or untracked, relative to `root`.
pub fn changed_since(root: &Path, rev: Option<&str>) -> Result<Vec<PathBuf>> {
    let shown = rev.unwrap_or("the empty tree");
    let repo = Repository::discover(root).map_err(|e| {
        Diagnostic::error(
            "not-a-repository",
            format!(
                "comparing with {shown} needs a git repository: {}",
                e.message()
            ),
        )
    })?;
    let tree = match rev {
        None => None,
        Some(rev) => Some(
            repo.revparse_single(rev)
                .and_then(|o| o.peel_to_tree())
                .map_err(|e| {
                    Diagnostic::error(
                        "unknown-revision",
                        format!("cannot read revision `{rev}`: {}", e.message()),
                    )
                    .hint("name a commit, branch or tag, e.g. `origin/main`")
                })?,
        ),
    };
    let mut opts = DiffOptions::new();
    opts.include_untracked(true).recurse_untracked_dirs(true);
    let diff = repo
        .diff_tree_to_workdir_with_index(tree.as_ref(), Some(&mut opts))
        .map_err(|e| {
            Diagnostic::error(
                "git-diff",
                format!("cannot diff against {shown}: {}", e.message()),
            )
        })?;
    let workdir = repo.workdir().unwrap_or(root).to_path_buf();
    let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let workdir = std::fs::canonicalize(&workdir).unwrap_or(workdir);
    let mut files = Vec::new();
    for delta in diff.deltas() {
        for file in [delta.new_file(), delta.old_file()] {
            if let Some(p) = file.path() {
                let abs = workdir.join(p);
                if let Ok(rel) = abs.strip_prefix(&root)
                    && !files.iter().any(|f: &PathBuf| f == rel)
                {
                    files.push(rel.to_path_buf());
                }
            }
        }
    }
    Ok(files)
}
