//! `init`: a new project's `harness.toml` (every field commented at its
//! default), the default agents, and optionally a CI workflow. A file that
//! exists is kept unless `force` is given.

use std::fmt::Write as _;
use std::path::PathBuf;

use serde::Serialize;

use crate::agent::DEFAULT_AGENTS;
use crate::config::{FILE_NAME, Project};
use crate::diagnostic::{Code, Diagnostic, display_path};
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

/// Warnings for the files harness keeps in the repository that the
/// project's `.gitignore` would ignore: `harness.toml`, the agents `init`
/// writes, plans and their records. An ignored file is never committed, so
/// CI, which reads policy and approvals from the base branch, and the rest
/// of the team never see it.
pub fn ignored_warnings(project: &Project) -> Vec<Diagnostic> {
    let plans = display_path(&project.config.paths.plans);
    let plans = plans.trim_end_matches('/');
    let agents = project
        .agent_dirs()
        .into_iter()
        .next()
        .unwrap_or_else(|| project.root.join("agents"));
    let agent = display_path(project.relative(&agents.join("realtime-dev.md")));
    let candidates = [
        FILE_NAME.to_string(),
        agent,
        format!("{plans}/0001-plan.md"),
        format!("{plans}/0001/tasks/0001-1.toml"),
        format!("{plans}/0001/approved/sha256-0.md"),
    ];
    let refs: Vec<&str> = candidates.iter().map(String::as_str).collect();
    crate::git::ignored(&project.root, &refs)
        .into_iter()
        .map(|path| {
            Diagnostic::warning(
                Code::IgnoredByGit,
                format!("git ignores `{path}`: it would never be committed, so CI and the team would not see it"),
            )
            .hint(format!(
                "`git check-ignore -v {path}` names the pattern; remove it from `.gitignore` or add `!{path}`"
            ))
        })
        .collect()
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
