//! History, read with libgit2: which commits a range holds, what each one
//! changed, and the files of a directory as of a commit.
//!
//! A range is `BASE..TIP`, or a tip alone, whose base is then `--base`, or
//! the merge base with the default branch (`origin/HEAD`, else `main` or
//! `master`), or nothing (the whole history).

use std::path::{Path, PathBuf};

use git2::{Commit, DiffOptions, ObjectType, Oid, Repository, Sort, TreeWalkMode, TreeWalkResult};

use crate::diagnostic::Diagnostic;
use crate::error::{Error, Result};
use crate::fsutil;

fn git_error(what: String, e: &git2::Error) -> Error {
    Diagnostic::error("git", format!("{what}: {}", e.message()))
        .hint("run inside a git repository, and name revisions `git rev-parse` knows")
        .into()
}

pub fn open(dir: &Path) -> Result<Repository> {
    Repository::discover(dir).map_err(|e| {
        git_error(
            format!("cannot open a git repository at `{}`", dir.display()),
            &e,
        )
    })
}

/// The commits to check: everything reachable from `tip` and not from `hide`.
#[derive(Debug, Clone)]
pub struct Range {
    pub tip: Oid,
    pub hide: Option<Oid>,
    /// How the base was chosen, for the report.
    pub base_from: String,
}

fn resolve(repo: &Repository, rev: &str) -> Result<Oid> {
    repo.revparse_single(rev)
        .and_then(|o| o.peel_to_commit())
        .map(|c| c.id())
        .map_err(|e| git_error(format!("unknown revision `{rev}`"), &e))
}

/// The default branch, if this repository has one other than the tip.
fn default_branch(repo: &Repository) -> Option<(String, Oid)> {
    let mut names = Vec::new();
    if let Ok(r) = repo.find_reference("refs/remotes/origin/HEAD")
        && let Ok(Some(target)) = r.symbolic_target()
    {
        names.push(target.to_string());
    }
    for n in [
        "refs/remotes/origin/main",
        "refs/remotes/origin/master",
        "refs/heads/main",
        "refs/heads/master",
    ] {
        names.push(n.to_string());
    }
    names.into_iter().find_map(|n| {
        let oid = repo.refname_to_id(&n).ok()?;
        let short = n
            .strip_prefix("refs/remotes/")
            .or_else(|| n.strip_prefix("refs/heads/"))
            .unwrap_or(&n)
            .to_string();
        Some((short, oid))
    })
}

/// Resolves `RANGE` (`A..B` or `B`, default `HEAD`) and `--base`.
pub fn range(repo: &Repository, spec: Option<&str>, base: Option<&str>) -> Result<Range> {
    let spec = spec.unwrap_or("HEAD");
    if let Some((from, to)) = spec.split_once("..") {
        if from.is_empty() || to.starts_with('.') {
            return Err(Error::usage(format!(
                "`{spec}`: give a range as `BASE..TIP` (the three-dot form is not supported)"
            )));
        }
        let to = if to.is_empty() { "HEAD" } else { to };
        return Ok(Range {
            tip: resolve(repo, to)?,
            hide: Some(resolve(repo, from)?),
            base_from: from.to_string(),
        });
    }
    let tip = resolve(repo, spec)?;
    if let Some(base) = base {
        return Ok(Range {
            tip,
            hide: Some(resolve(repo, base)?),
            base_from: base.to_string(),
        });
    }
    if let Some((name, branch)) = default_branch(repo) {
        let merge_base = repo
            .merge_base(tip, branch)
            .map_err(|e| git_error(format!("no merge base of `{spec}` and `{name}`"), &e))?;
        return Ok(Range {
            tip,
            hide: Some(merge_base),
            base_from: format!("merge base with {name}"),
        });
    }
    Ok(Range {
        tip,
        hide: None,
        base_from: "the first commit".to_string(),
    })
}

/// A commit's id, message and parent count, in the walk's order (newest
/// first, like `git log`).
pub fn walk(
    repo: &Repository,
    range: &Range,
    first_parent: bool,
    mut each: impl FnMut(&Commit) -> Result<()>,
) -> Result<usize> {
    let fail = |e: git2::Error| git_error("cannot walk the history".to_string(), &e);
    let mut walk = repo.revwalk().map_err(fail)?;
    walk.set_sorting(Sort::NONE).map_err(fail)?;
    if first_parent {
        walk.simplify_first_parent().map_err(fail)?;
    }
    walk.push(range.tip).map_err(fail)?;
    if let Some(hide) = range.hide {
        walk.hide(hide).map_err(fail)?;
    }
    let mut n = 0;
    for oid in walk {
        let commit = repo.find_commit(oid.map_err(fail)?).map_err(fail)?;
        each(&commit)?;
        n += 1;
    }
    Ok(n)
}

/// The paths a commit changed, against its first parent (or nothing, for a
/// root commit).
pub fn changed_paths(repo: &Repository, commit: &Commit) -> Result<Vec<String>> {
    let fail = |e: git2::Error| git_error(format!("cannot diff commit {}", commit.id()), &e);
    let tree = commit.tree().map_err(fail)?;
    let parent = match commit.parent(0) {
        Ok(p) => Some(p.tree().map_err(fail)?),
        Err(_) => None,
    };
    let mut opts = DiffOptions::new();
    opts.skip_binary_check(true);
    let diff = repo
        .diff_tree_to_tree(parent.as_ref(), Some(&tree), Some(&mut opts))
        .map_err(fail)?;
    let mut paths = Vec::new();
    for delta in diff.deltas() {
        for f in [delta.old_file(), delta.new_file()] {
            if let Some(p) = f.path().and_then(Path::to_str)
                && !paths.iter().any(|q| q == p)
            {
                paths.push(p.to_string());
            }
        }
    }
    Ok(paths)
}

/// Writes the files under `dir` (relative to the repository root) as of
/// `commit` into `dest/dir`, so that code reading a working tree can read
/// that commit's state. Returns how many files were written.
pub fn export_dir(repo: &Repository, commit: Oid, dir: &Path, dest: &Path) -> Result<usize> {
    let fail = |e: git2::Error| git_error(format!("cannot read `{}`", dir.display()), &e);
    let tree = repo
        .find_commit(commit)
        .and_then(|c| c.tree())
        .map_err(fail)?;
    let sub = match tree.get_path(dir) {
        Ok(entry) => entry.to_object(repo).map_err(fail)?,
        Err(_) => return Ok(0),
    };
    let Some(sub) = sub.as_tree() else {
        return Ok(0);
    };
    let mut blobs = Vec::new();
    sub.walk(TreeWalkMode::PreOrder, |root, entry| {
        if entry.kind() == Some(ObjectType::Blob) {
            blobs.push((format!("{root}{}", entry.name().unwrap_or("")), entry.id()));
        }
        TreeWalkResult::Ok
    })
    .map_err(fail)?;
    for (rel, id) in &blobs {
        let blob = repo.find_blob(*id).map_err(fail)?;
        fsutil::write_atomic(&dest.join(dir).join(rel), blob.content())?;
    }
    Ok(blobs.len())
}

/// The paths staged for the next commit: the index against `HEAD`.
pub fn staged_paths(repo: &Repository) -> Result<Vec<String>> {
    let fail = |e: git2::Error| git_error("cannot read the index".to_string(), &e);
    let head = repo.head().ok().and_then(|h| h.peel_to_tree().ok());
    let index = repo.index().map_err(fail)?;
    let diff = repo
        .diff_tree_to_index(head.as_ref(), Some(&index), None)
        .map_err(fail)?;
    let mut paths = Vec::new();
    for delta in diff.deltas() {
        for f in [delta.old_file(), delta.new_file()] {
            if let Some(p) = f.path().and_then(Path::to_str)
                && !paths.iter().any(|q| q == p)
            {
                paths.push(p.to_string());
            }
        }
    }
    Ok(paths)
}

/// Where git looks for hooks: `core.hooksPath`, else `hooks` in the common
/// git directory (shared by every worktree).
pub fn hooks_dir(repo: &Repository) -> PathBuf {
    let configured = repo
        .config()
        .ok()
        .and_then(|c| c.get_string("core.hooksPath").ok());
    match configured {
        Some(p) => {
            let p = PathBuf::from(p);
            if p.is_absolute() {
                p
            } else {
                repo.workdir().unwrap_or(repo.commondir()).join(p)
            }
        }
        None => repo.commondir().join("hooks"),
    }
}

/// git's comment character (`core.commentChar`), `#` by default.
pub fn comment_char(repo: Option<&Repository>) -> char {
    repo.and_then(|r| r.config().ok())
        .and_then(|c| c.get_string("core.commentChar").ok())
        .and_then(|s| s.chars().next().filter(|_| s != "auto"))
        .unwrap_or('#')
}

/// A message as git will store it: comment lines dropped, and everything
/// from the scissors line of `commit --verbose` on.
pub fn strip_comments(message: &str, comment: char) -> String {
    let mut out = String::with_capacity(message.len());
    for line in message.split_inclusive('\n') {
        let bare = line.trim_end_matches(['\n', '\r']);
        if bare.starts_with(comment) && bare.contains(" >8 ") {
            break;
        }
        if bare.starts_with(comment) {
            continue;
        }
        out.push_str(line);
    }
    out
}
