//! Set-up shared by the CLI tests. Each test crate uses part of it.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

/// A temporary repository, removed when dropped.
pub struct Repo {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
}

/// A repository with `dirs` made and this project's shipped agents in
/// `agents/`. `root` is canonical, as the guard resolves paths.
pub fn repo_with_agents(dirs: &[&str]) -> Repo {
    let dir = tempfile::tempdir().unwrap();
    let root = fs::canonicalize(dir.path()).unwrap();
    for d in dirs.iter().copied().chain(["agents", ".git"]) {
        fs::create_dir_all(root.join(d)).unwrap();
    }
    let agents = Path::new(env!("CARGO_MANIFEST_DIR")).join("agents");
    for name in ["realtime-dev.md", "realtime-engineer.md"] {
        fs::copy(agents.join(name), root.join("agents").join(name)).unwrap();
    }
    Repo { _dir: dir, root }
}

/// What a run of the binary wrote to standard output.
pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

/// What a run of the binary wrote to standard error.
pub fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// Standard output parsed as JSON; a test fails with the text if it is not.
pub fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

/// Commits the whole work tree of `repo` on top of HEAD (if any), as the
/// repository's configured identity or a test one.
pub fn commit_all(repo: &git2::Repository, message: &str) -> git2::Oid {
    let mut index = repo.index().unwrap();
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = repo
        .signature()
        .or_else(|_| git2::Signature::now("t", "t@example.com"))
        .unwrap();
    let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    let parents: Vec<&git2::Commit> = parent.iter().collect();
    repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
        .unwrap()
}
