//! `init`: a new project's `harness.toml` (every field commented at its
//! default), the default agents, and optionally a CI workflow. A file that
//! exists is kept unless `force` is given.

use std::fmt::Write as _;
use std::path::PathBuf;

use serde::Serialize;

use crate::agent::DEFAULT_AGENTS;
use crate::config::{FILE_NAME, Project};
use crate::diagnostic::display_path;
use crate::error::Result;
use crate::fsutil::{self, Written};
use crate::report::{DIM, OK, Report};

/// The `harness.toml` that `init` writes: every field, commented, at its default.
pub const DEFAULT_CONFIG: &str = include_str!("../../templates/harness.toml");

/// The GitHub Actions workflow `init --ci github` writes.
const GITHUB_WORKFLOW: &str = include_str!("../../templates/github-workflow.yml");

/// One file `init` wrote or kept.
#[derive(Debug, Serialize)]
pub struct InitFile {
    pub path: String,
    /// `created`, `overwritten` or `kept`.
    pub result: String,
    #[serde(skip)]
    written: Written,
}

/// What `init` did, file by file (JSON: an array).
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct Init(pub Vec<InitFile>);

/// Writes the starting files of a project: `harness.toml`, the default
/// agents in the first agent directory, and with `github_workflow` the
/// workflow that runs `harness ci` on pull requests.
pub fn init(project: &Project, github_workflow: bool, force: bool) -> Result<Init> {
    let root = &project.root;
    let workflow = GITHUB_WORKFLOW.replace("HARNESS_VERSION", env!("CARGO_PKG_VERSION"));
    let mut files: Vec<(PathBuf, &str)> = vec![(root.join(FILE_NAME), DEFAULT_CONFIG)];
    if github_workflow {
        files.push((root.join(".github/workflows/harness.yml"), &workflow));
    }
    let agents_dir = project
        .agent_dirs()
        .into_iter()
        .next()
        .unwrap_or_else(|| root.join("agents"));
    for (name, text) in DEFAULT_AGENTS {
        files.push((agents_dir.join(name), text));
    }
    let mut out = Vec::new();
    for (path, text) in &files {
        let written = fsutil::write_new(path, text.as_bytes(), force)?;
        out.push(InitFile {
            path: display_path(project.relative(path)),
            result: format!("{written:?}").to_lowercase(),
            written,
        });
    }
    Ok(Init(out))
}

impl Report for Init {
    fn text(&self) -> String {
        let mut s = String::new();
        for f in &self.0 {
            let path = &f.path;
            let _ = match f.written {
                Written::Created => writeln!(s, "{OK}created{OK:#}     {path}"),
                Written::Overwritten => writeln!(s, "{OK}overwrote{OK:#}   {path}"),
                Written::Kept => writeln!(
                    s,
                    "{DIM}kept{DIM:#}        {path} (exists; --force to overwrite)"
                ),
            };
        }
        s.push_str(
            "\nnext: `harness agents validate`, then `harness agents explain realtime-dev`\n",
        );
        s
    }
}
