//! Compiling what an agent may touch into the paths the kernel is told:
//! the trees it may write, the paths split out of them, and the paths it
//! may not read, each with the rule it comes from.
//!
//! Landlock grants rights on a path and everything beneath it, and has no
//! "except". The policy has exceptions: a protected `tests/` inside a
//! writable `src/`, `.git/` and `harness.toml` inside a writable root. So a
//! writable tree that holds a protected path is split: it is not granted
//! itself; its children are, each split the same way, and the protected
//! path is granted nothing. The same split keeps `~/.ssh` unreadable while
//! everything else can be read. What this costs, and what it cannot see
//! (a new file matching a protected glob), is listed as residuals: the
//! post-run check, which compares the work tree exactly, closes them.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::landlock::{PathRight, Right, Support};
use crate::diagnostic::{Provenance, display_path};
use crate::plan::scope::Scope;
use crate::policy::Rule;
use crate::policy::paths::PathRules;

/// What a grant lets the command do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// Create, change, rename and remove files beneath the path.
    Write,
    /// What `git commit` needs in the git directory.
    Commit,
    /// Write to an existing device file (`/dev/null`, a terminal).
    Device,
}

/// One rule of the policy that makes something writable, and what the
/// kernel grants for it.
#[derive(Debug, Clone, Serialize)]
pub struct Grant {
    /// The rule as written: a Files to Change entry, a `[sandbox]` path.
    pub rule: String,
    pub access: Access,
    pub provenance: Provenance,
    pub source_text: String,
    /// The paths the kernel grants for it, as shown: the rule's tree, or
    /// its unprotected parts once split. Empty when nothing exists there.
    pub kernel: Vec<String>,
    #[serde(skip)]
    pub(crate) paths: Vec<PathBuf>,
}

/// A path the kernel grants nothing on, with the rule that says so.
#[derive(Debug, Clone, Serialize)]
pub struct Hole {
    pub path: String,
    pub provenance: Provenance,
    pub source_text: String,
    #[serde(skip)]
    pub(crate) abs: PathBuf,
}

/// How the exact post-run check decides a changed path.
#[derive(Debug, Clone)]
pub(crate) enum Writes {
    /// Anywhere the agent's protected paths allow.
    Anywhere,
    /// Only where the agent's `write only` globs say.
    Only(PathRules<()>),
    /// Only within the plan's Files to Change.
    Scope(Scope),
    /// Nowhere in the work tree (no approved plan to work from).
    Nowhere,
}

/// Everything the exact check needs, kept beside the kernel's rules.
#[derive(Debug, Clone)]
pub(crate) struct Exact {
    pub writes: Writes,
    pub protect: PathRules<usize>,
    pub outputs: PathRules<()>,
    /// Repository-relative paths under the git directory that a commit
    /// may change, when the agent may commit.
    pub commit: bool,
}

/// Where a `.git` path lies that a commit changes: the object store, refs,
/// logs, and the files git replaces directly in the git directory.
pub(crate) fn commit_changes(rel: &str) -> bool {
    let Some(inner) = rel.strip_prefix(".git/") else {
        return false;
    };
    [
        "objects/",
        "refs/",
        "logs/",
        "index",
        "HEAD",
        "ORIG_HEAD",
        "COMMIT_EDITMSG",
    ]
    .iter()
    .any(|p| {
        if p.ends_with('/') {
            inner.starts_with(p)
        } else {
            inner == *p || inner == format!("{p}.lock")
        }
    })
}

impl Exact {
    /// Whether a change to `rel` (repository-relative) is allowed.
    pub fn allows(&self, rel: &str) -> bool {
        if self.outputs.matching(rel).is_some() {
            return true;
        }
        if self.commit && commit_changes(rel) {
            return true;
        }
        if self.protect.matching(rel).is_some() {
            return false;
        }
        match &self.writes {
            Writes::Anywhere => true,
            Writes::Only(rules) => rules.matching(rel).is_some(),
            Writes::Scope(scope) => scope.contains(rel),
            Writes::Nowhere => false,
        }
    }
}

/// Paths for display: inside the project relative to it, inside the home
/// directory as `~/...`, else absolute.
#[derive(Debug, Clone)]
pub(crate) struct Places {
    pub root: PathBuf,
    pub home: Option<PathBuf>,
}

impl Places {
    pub fn show(&self, p: &Path) -> String {
        if let Ok(rel) = p.strip_prefix(&self.root) {
            let s = display_path(rel);
            return if s.is_empty() { ".".to_string() } else { s };
        }
        if let Some(home) = &self.home
            && let Ok(rel) = p.strip_prefix(home)
        {
            return format!("~/{}", display_path(rel));
        }
        display_path(p)
    }

    /// `~/x`, `$TMPDIR`, an absolute path, or a project-relative one.
    pub fn expand(&self, written: &str) -> PathBuf {
        if written == "$TMPDIR" {
            return canonical(&std::env::temp_dir());
        }
        if let (Some(rest), Some(home)) = (written.strip_prefix("~/"), &self.home) {
            return home.join(rest);
        }
        let p = Path::new(written);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.root.join(written.trim_start_matches('/'))
        }
    }

    pub fn relative(&self, p: &Path) -> Option<String> {
        p.strip_prefix(&self.root).ok().map(display_path)
    }
}

pub(crate) fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

/// The directory a Files to Change entry (or a `write only` glob) names
/// for the kernel: an existing file or directory itself, else the fixed
/// directory prefix of a glob, else the nearest existing directory above a
/// file not yet created.
pub(crate) fn tree_of(root: &Path, pattern: &str) -> PathBuf {
    let pattern = pattern.trim_start_matches("./").trim_start_matches('/');
    let fixed: Vec<&str> = pattern
        .split('/')
        .take_while(|c| !c.contains(['*', '?', '[', '{']))
        .filter(|c| !c.is_empty())
        .collect();
    let mut p = root.join(fixed.join("/"));
    while !p.exists() && p != root {
        match p.parent() {
            Some(parent) => p = parent.to_path_buf(),
            None => break,
        }
    }
    p
}

/// A file name that no protected glob names, to ask whether everything
/// inside a directory is protected.
const PROBE: &str = "\u{1}";

/// Protected paths found in a writable tree, and what protects them.
pub(crate) struct Finder<'a> {
    pub places: &'a Places,
    pub protect: &'a PathRules<usize>,
    pub home_protect: &'a PathRules<usize>,
    pub outputs: &'a PathRules<()>,
    pub rules: &'a [Rule],
}

impl Finder<'_> {
    fn cite(&self, i: usize, abs: &Path) -> Hole {
        let rule = &self.rules[i];
        Hole {
            path: self.places.show(abs),
            provenance: rule.provenance.clone(),
            source_text: rule.source_text.clone(),
            abs: abs.to_path_buf(),
        }
    }

    /// The rule protecting `abs` (a directory when `is_dir`), if any.
    fn protected(&self, abs: &Path, is_dir: bool) -> Option<usize> {
        let (rules, rel) = if let Some(rel) = self.places.relative(abs) {
            (self.protect, rel)
        } else {
            let home = self.places.home.as_deref()?;
            (
                self.home_protect,
                display_path(abs.strip_prefix(home).ok()?),
            )
        };
        let hit = if is_dir {
            let inside = if rel.is_empty() {
                PROBE.to_string()
            } else {
                format!("{rel}/{PROBE}")
            };
            rules.matching(&inside)
        } else {
            rules.matching(&rel)
        };
        hit.map(|(_, i)| *i)
    }

    /// Every protected path at or beneath `tree`. Build outputs are not
    /// looked into (they are writable whatever they hold) and symbolic
    /// links are not followed: writing through one is checked where it
    /// leads.
    pub fn holes(&self, tree: &Path, out: &mut Vec<Hole>) {
        if let Ok(meta) = tree.symlink_metadata() {
            self.holes_in(tree, meta.is_dir(), out);
        }
    }

    /// [`Finder::holes`] for a path whose type is known: a directory's
    /// entries carry theirs, so the tree is walked without a `stat` each.
    fn holes_in(&self, tree: &Path, is_dir: bool, out: &mut Vec<Hole>) {
        if let Some(i) = self.protected(tree, is_dir) {
            out.push(self.cite(i, tree));
            return;
        }
        if !is_dir {
            return;
        }
        if let Some(rel) = self.places.relative(tree)
            && !rel.is_empty()
            && self.outputs.matching_dir(&rel).is_some()
        {
            return;
        }
        for (child, kind) in children(tree) {
            if !kind.is_symlink() {
                self.holes_in(&child, kind.is_dir(), out);
            }
        }
    }
}

/// A directory's entries with their types, sorted; none when it cannot be
/// read. The type comes with the entry (`d_type`), without a `stat`; an
/// entry whose type cannot be had is left out, as one that vanished.
fn children(dir: &Path) -> Vec<(PathBuf, std::fs::FileType)> {
    let mut out: Vec<(PathBuf, std::fs::FileType)> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| {
                let e = e.ok()?;
                Some((e.path(), e.file_type().ok()?))
            })
            .collect()
        })
        .unwrap_or_default();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// `tree` split around `holes`: the largest paths beneath it that hold no
/// hole. Only the directories on the way to a hole are listed, so splitting
/// `/` around `~/.ssh` reads a handful of directories.
///
/// A symbolic link met on the way is granted only when `links` is true
/// (reading): the kernel would grant where it leads, and a link in a
/// writable directory may lead into a protected one.
pub(crate) fn split(tree: &Path, holes: &[&Path], links: bool, out: &mut Vec<PathBuf>) {
    if holes.contains(&tree) {
        return;
    }
    let inside: Vec<&Path> = holes
        .iter()
        .copied()
        .filter(|h| h.starts_with(tree))
        .collect();
    if inside.is_empty() {
        out.push(tree.to_path_buf());
        return;
    }
    for (child, kind) in children(tree) {
        if !links && kind.is_symlink() {
            continue;
        }
        split(&child, &inside, links, out);
    }
}

/// The kernel's rules: every grant's paths with its right, and reading
/// everywhere but the unreadable paths.
pub(crate) fn kernel_rules<'a>(grants: &'a [Grant], readable: &'a [PathBuf]) -> Vec<PathRight<'a>> {
    let mut out: Vec<PathRight<'a>> = readable
        .iter()
        .map(|p| PathRight {
            path: p,
            right: Right::Read,
        })
        .collect();
    for g in grants {
        let right = match g.access {
            Access::Write | Access::Commit => Right::Write,
            Access::Device => Right::WriteExisting,
        };
        out.extend(g.paths.iter().map(|p| PathRight { path: p, right }));
    }
    out
}

/// The residuals `--explain` lists: what the kernel cannot do exactly, and
/// what closes it.
pub(crate) fn residuals(support: &Support, commit: bool) -> Vec<String> {
    let mut out = vec![
        "a new file matching a protected glob (`**/*_test.*`) in a writable directory: the kernel cannot name files that do not exist yet; the post-run check fails the run on it".to_string(),
        "a new file inside a writable glob's directory but outside the glob (`src/*.rs` grants `src/`): the post-run check fails the run on it".to_string(),
        "a split directory (one holding a protected path) gets no new entries of its own, and a directory on the way to an unreadable path cannot list entries created after the start: over-strict, never too lax".to_string(),
        "network, processes and paths outside the project that are not listed here are the guard's: Landlock here confines the file system".to_string(),
    ];
    if commit {
        out.push("commits need `.git/` itself writable (git replaces `index`, `HEAD` and their `.lock` files there) and the kernel's rights reach everything beneath it: a change to `.git/config` or `.git/hooks/` is caught by the guard before and the post-run check after, which allows only objects/, refs/, logs/, index, HEAD, ORIG_HEAD and COMMIT_EDITMSG".to_string());
    }
    if !support.is_full() {
        out.push(format!(
            "not enforced by this kernel: {}; the post-run check is all that stands for them",
            if support.used_abi == 0 {
                "everything".to_string()
            } else {
                support.missing.join(", ")
            }
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pattern_names_its_fixed_tree() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("src/chat")).unwrap();
        std::fs::write(root.join("src/a.rs"), "").unwrap();
        assert_eq!(tree_of(root, "src/a.rs"), root.join("src/a.rs"));
        assert_eq!(tree_of(root, "src/chat/**"), root.join("src/chat"));
        assert_eq!(tree_of(root, "src/*.rs"), root.join("src"));
        assert_eq!(tree_of(root, "src/chat/new/x.rs"), root.join("src/chat"));
        assert_eq!(tree_of(root, "**/*.rs"), root.to_path_buf());
        assert_eq!(tree_of(root, "web/x.ts"), root.to_path_buf());
    }

    #[test]
    fn split_grants_the_largest_trees_without_holes() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for d in ["a/tests", "a/src/deep", "b"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        std::fs::write(root.join("a/x.rs"), "").unwrap();
        let hole = root.join("a/tests");
        // A link beside the hole would grant where it leads.
        std::os::unix::fs::symlink(&hole, root.join("a/t")).unwrap();
        let mut out = Vec::new();
        split(root, &[hole.as_path()], false, &mut out);
        assert_eq!(
            out,
            [root.join("a/src"), root.join("a/x.rs"), root.join("b")]
        );
        let mut out = Vec::new();
        split(root, &[hole.as_path()], true, &mut out);
        assert!(out.contains(&root.join("a/t")));
        let mut out = Vec::new();
        split(&root.join("b"), &[hole.as_path()], false, &mut out);
        assert_eq!(out, [root.join("b")]);
        let mut out = Vec::new();
        split(&hole, &[hole.as_path()], false, &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn commit_changes_are_the_object_store_refs_and_index() {
        for ok in [
            ".git/objects/ab/cd",
            ".git/refs/heads/main",
            ".git/index",
            ".git/index.lock",
            ".git/HEAD",
            ".git/logs/HEAD",
        ] {
            assert!(commit_changes(ok), "{ok}");
        }
        for no in [
            ".git/config",
            ".git/hooks/pre-commit",
            ".git/info/exclude",
            "src/.git/index",
            ".gitignore",
        ] {
            assert!(!commit_changes(no), "{no}");
        }
    }
}
