//! What every integration test shares: the one way to run the binary
//! ([`Harness`], from a clean environment with a fixed clock), the one
//! temporary git repository ([`Repo`]), and reading what a run wrote
//! ([`Run`]).
//!
//! A run never sees the caller's environment: CI machines set `CI`,
//! `GITHUB_ACTIONS` and `GITHUB_STEP_SUMMARY`, and a developer's shell may
//! set `HARNESS_AGENT` or `HARNESS_PLAN`, each of which changes what harness
//! prints. A test that wants one of them sets it with [`Harness::env`].

pub mod guard;

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

/// The time every run sees unless a test says otherwise (`HARNESS_NOW`).
pub const NOW: &str = "2026-01-02T03:04:05Z";

/// The harness binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_harness-agents");

/// The root of this repository, for tests that read its own agents,
/// plans and example.
pub fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The environment of every run, besides `PATH` and `HOME`: no colour, a
/// fixed clock, and a git that reads no configuration of the machine's and
/// commits as a test identity.
pub fn base_env(home: &Path) -> Vec<(&'static str, std::ffi::OsString)> {
    let mut vars = vec![
        ("HOME", home.as_os_str().to_owned()),
        ("NO_COLOR", "1".into()),
        ("HARNESS_NOW", NOW.into()),
        ("GIT_CONFIG_NOSYSTEM", "1".into()),
        (
            "GIT_CONFIG_GLOBAL",
            home.join(".gitconfig").into_os_string(),
        ),
        ("GIT_AUTHOR_NAME", "Test".into()),
        ("GIT_AUTHOR_EMAIL", "test@example.com".into()),
        ("GIT_COMMITTER_NAME", "Test".into()),
        ("GIT_COMMITTER_EMAIL", "test@example.com".into()),
    ];
    if let Some(path) = std::env::var_os("PATH") {
        vars.push(("PATH", path));
    }
    vars
}

/// An empty home directory with an empty global git configuration.
pub fn empty_home() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join(".gitconfig"), "").unwrap();
    home
}

/// `cmd` with the caller's environment replaced by [`base_env`]; the home
/// directory lives as long as the returned guard.
fn clean(cmd: &mut Command) -> tempfile::TempDir {
    let home = empty_home();
    cmd.env_clear().envs(base_env(home.path()));
    home
}

/// One run of the binary, built up and then run once.
#[must_use = "a Harness does nothing until it is run"]
pub struct Harness {
    cmd: Command,
    stdin: Vec<u8>,
    home: tempfile::TempDir,
}

/// Runs the binary with `args` in the current directory of the test; most
/// tests use [`Repo::harness`] instead.
pub fn harness<I, S>(args: I) -> Harness
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut cmd = Command::new(BIN);
    cmd.args(args);
    let home = clean(&mut cmd);
    Harness {
        cmd,
        stdin: Vec::new(),
        home,
    }
}

impl Harness {
    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Harness {
        self.cmd.current_dir(dir);
        self
    }

    /// Sets one variable on top of the clean environment.
    pub fn env(mut self, key: &str, value: impl AsRef<OsStr>) -> Harness {
        self.cmd.env(key, value);
        self
    }

    /// What the run reads on standard input (nothing by default).
    pub fn stdin(mut self, text: impl Into<Vec<u8>>) -> Harness {
        self.stdin = text.into();
        self
    }

    /// Runs to the end, whatever the exit status.
    pub fn run(self) -> Run {
        self.spawn().wait()
    }

    /// Runs to the end; the test fails, showing both streams, unless the
    /// exit code is `code`.
    #[track_caller]
    pub fn assert(self, code: i32) -> Run {
        let args = format!("{:?}", self.cmd.get_args().collect::<Vec<_>>());
        let run = self.run();
        assert_eq!(
            run.code, code,
            "harness {args} exited {} instead of {code}\n--- stdout\n{}--- stderr\n{}",
            run.code, run.stdout, run.stderr
        );
        run
    }

    /// Starts the run and returns at once, for tests that race or signal it.
    pub fn spawn(mut self) -> Running {
        let mut child = self
            .cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the harness binary runs");
        let mut stdin = child.stdin.take().unwrap();
        // A run that ends without reading its input (a usage error, say)
        // may close the pipe before this writes: what it did is in its
        // exit code and output, which the test asserts.
        if let Err(e) = stdin.write_all(&self.stdin) {
            assert_eq!(
                e.kind(),
                std::io::ErrorKind::BrokenPipe,
                "writing the run's input: {e}"
            );
        }
        drop(stdin);
        Running {
            child,
            _home: self.home,
        }
    }
}

/// A run that has started and not yet been waited for.
pub struct Running {
    child: Child,
    _home: tempfile::TempDir,
}

impl Running {
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    pub fn wait(self) -> Run {
        Run::from(self.child.wait_with_output().unwrap())
    }
}

/// What a finished run exited with and wrote.
#[derive(Debug)]
pub struct Run {
    /// The exit code, or -1 when a signal ended the process.
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8(o.stdout).unwrap(),
            stderr: String::from_utf8(o.stderr).unwrap(),
        }
    }
}

impl Run {
    /// Standard output parsed as JSON; the test fails with the text if it
    /// is not.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {}", self.stdout))
    }
}

/// A temporary git repository, removed when dropped. `root` is canonical,
/// as the guard resolves paths; the default branch is `main` and commits
/// are made by a test identity.
pub struct Repo {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
}

impl Repo {
    pub fn new() -> Repo {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let mut opts = git2::RepositoryInitOptions::new();
        opts.initial_head("main");
        let git = git2::Repository::init_opts(&root, &opts).unwrap();
        let mut cfg = git.config().unwrap();
        cfg.set_str("user.name", "Test").unwrap();
        cfg.set_str("user.email", "test@example.com").unwrap();
        Repo { _dir: dir, root }
    }

    /// A repository with `dirs` made and this project's shipped agents in
    /// `agents/`, nothing committed.
    pub fn with_agents(dirs: &[&str]) -> Repo {
        let repo = Repo::new();
        for d in dirs {
            std::fs::create_dir_all(repo.path(d)).unwrap();
        }
        for name in ["realtime-dev.md", "realtime-engineer.md"] {
            repo.write(
                &format!("agents/{name}"),
                &std::fs::read_to_string(manifest_dir().join("agents").join(name)).unwrap(),
            );
        }
        repo
    }

    /// `rel` under the root.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// Writes `rel`, making its directories.
    pub fn write(&self, rel: &str, text: &str) {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap()
    }

    pub fn git2(&self) -> git2::Repository {
        git2::Repository::open(&self.root).unwrap()
    }

    /// Commits the whole work tree on top of HEAD (if any).
    pub fn commit_all(&self, message: &str) -> git2::Oid {
        // A fresh handle reads the index from disk, where the git command
        // line may have changed it since the last commit.
        let repo = self.git2();
        let mut index = repo.index().unwrap();
        index
            .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
            .unwrap();
        index.update_all(["*"], None).unwrap();
        index.write().unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let sig = repo.signature().unwrap();
        let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
            .unwrap()
    }

    /// Writes `files`, commits the work tree with `message` and returns the
    /// short sha, as harness prints it.
    pub fn commit(&self, files: &[(&str, &str)], message: &str) -> String {
        for (rel, text) in files {
            self.write(rel, text);
        }
        self.commit_all(message).to_string()[..7].to_string()
    }

    /// The full id of HEAD.
    pub fn head(&self) -> String {
        self.git2()
            .head()
            .unwrap()
            .peel_to_commit()
            .unwrap()
            .id()
            .to_string()
    }

    /// Runs the binary in the root.
    pub fn harness<I, S>(&self, args: I) -> Harness
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        harness(args).current_dir(&self.root)
    }

    /// The git command line in the root, in the same clean environment, for
    /// what git2 makes laborious (branches, merges, hooks) and for checking
    /// harness against git itself.
    pub fn git_output(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new("git");
        cmd.args(args).current_dir(&self.root);
        let _home = clean(&mut cmd);
        cmd.output().unwrap()
    }

    /// [`Repo::git_output`] that must succeed; its trimmed standard output.
    #[track_caller]
    pub fn git(&self, args: &[&str]) -> String {
        let out = self.git_output(args);
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }
}

/// Every file under `dir`, relative path → contents; empty when `dir` does
/// not exist.
pub fn files_under(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap().to_path_buf();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

/// A shell script that runs the binary in the clean environment; trycmd
/// runs its cases through it, as trycmd can add variables but not clear
/// the ones the test process inherited.
pub fn clean_wrapper(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let quote = |s: &OsStr| {
        let s = s.to_str().expect("a UTF-8 path");
        format!("'{}'", s.replace('\'', r"'\''"))
    };
    let home = dir.join("home");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(home.join(".gitconfig"), "").unwrap();
    let vars: Vec<String> = base_env(&home)
        .into_iter()
        .map(|(k, v)| {
            quote(&std::ffi::OsString::from(format!(
                "{k}={}",
                v.to_str().unwrap()
            )))
        })
        .collect();
    let script = format!(
        "#!/bin/sh\nexec /usr/bin/env -i {} {} \"$@\"\n",
        vars.join(" "),
        quote(OsStr::new(BIN))
    );
    let path = dir.join(Path::new(BIN).file_name().unwrap());
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// Fails, showing `text`, unless it contains `part`.
#[track_caller]
pub fn assert_contains(text: &str, part: &str) {
    assert!(text.contains(part), "expected {part:?} in:\n{text}");
}

/// Fails, showing `text`, unless it starts with `head`.
#[track_caller]
pub fn assert_starts_with(text: &str, head: &str) {
    assert!(
        text.starts_with(head),
        "expected {head:?} at the start of:\n{text}"
    );
}

/// Fails, showing `text`, unless it ends with `tail`.
#[track_caller]
pub fn assert_ends_with(text: &str, tail: &str) {
    assert!(
        text.ends_with(tail),
        "expected {tail:?} at the end of:\n{text}"
    );
}
