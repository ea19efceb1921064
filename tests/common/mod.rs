//! Set-up shared by the guard tests.

use std::fs;
use std::path::{Path, PathBuf};

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
