//! The commits harness writes for a run, through the git command line so
//! the person's own git configuration (identity, signing, hooks) applies.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::error::{Error, Result};

fn git(root: &Path, args: &[&str], stdin: Option<&str>) -> Result<String> {
    let mut cmd = Command::new("git");
    cmd.arg("-C").arg(root).args(args);
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| Error::io("run", "git", e))?;
    if let (Some(text), Some(mut input)) = (stdin, child.stdin.take()) {
        use std::io::Write as _;
        input
            .write_all(text.as_bytes())
            .map_err(|e| Error::io("write to", "git", e))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| Error::io("run", "git", e))?;
    if !out.status.success() {
        return Err(Error::usage(format!(
            "`git {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Stages `paths` (new, changed or deleted) and nothing else.
pub fn stage(root: &Path, paths: &[String]) -> Result<()> {
    let mut args = vec!["add", "-A", "--"];
    args.extend(paths.iter().map(String::as_str));
    git(root, &args, None).map(drop)
}

/// Empties the index back to HEAD, leaving the work tree as it is.
pub fn unstage(root: &Path) -> Result<()> {
    git(root, &["reset", "-q"], None).map(drop)
}

/// Commits `paths` with `message`; the new commit's id, or `None` when
/// there was nothing to commit.
pub fn commit_paths(root: &Path, paths: &[String], message: &str) -> Result<Option<String>> {
    stage(root, paths)?;
    commit_index(root, message)
}

/// Commits the index as it stands with `message`; the new commit's id, or
/// `None` when it holds no change. harness has checked the message by its
/// own rules, read before any agent ran: the repository's hooks, which
/// may read files an agent wrote, are not run (`--no-verify`).
pub fn commit_index(root: &Path, message: &str) -> Result<Option<String>> {
    if git(root, &["diff", "--cached", "--name-only"], None)?.is_empty() {
        return Ok(None);
    }
    git(
        root,
        &["commit", "-q", "--no-verify", "-F", "-"],
        Some(message),
    )?;
    git(root, &["rev-parse", "HEAD"], None).map(Some)
}

/// Adds a work tree at `path` on a new branch `branch` from HEAD.
pub fn worktree_add(root: &Path, path: &Path, branch: &str) -> Result<()> {
    let shown = path.to_string_lossy();
    git(
        root,
        &["worktree", "add", "-q", "-b", branch, &shown, "HEAD"],
        None,
    )
    .map(drop)
}

/// Removes the work tree at `path` and its branch `branch`.
pub fn worktree_remove(root: &Path, path: &Path, branch: &str) -> Result<()> {
    let shown = path.to_string_lossy();
    git(root, &["worktree", "remove", "--force", &shown], None)?;
    git(root, &["branch", "-q", "-D", branch], None).map(drop)
}

/// Puts `path` back as HEAD has it, or removes it when HEAD has none.
pub fn restore(root: &Path, path: &str) -> Result<()> {
    if git(root, &["cat-file", "-e", &format!("HEAD:{path}")], None).is_ok() {
        git(root, &["checkout", "-q", "HEAD", "--", path], None).map(drop)
    } else {
        let file = root.join(path);
        match std::fs::remove_file(&file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(Error::io("remove", &file, e))
            }
            _ => Ok(()),
        }
    }
}

/// Applies `commit` on HEAD: the new commit's id, or, on a conflict, what
/// git said, with the cherry-pick undone so the work tree is as it was.
pub fn cherry_pick(root: &Path, commit: &str) -> Result<std::result::Result<String, String>> {
    match git(root, &["cherry-pick", "--allow-empty", commit], None) {
        Ok(_) => git(root, &["rev-parse", "HEAD"], None).map(Ok),
        Err(e) => {
            let _ = git(root, &["cherry-pick", "--abort"], None);
            Ok(Err(e.to_string()))
        }
    }
}
