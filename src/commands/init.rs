//! `harness init`: a commented `harness.toml` and the default agents.

use std::fmt::Write as _;

use super::Context;
use crate::agent::DEFAULT_AGENTS;
use crate::config::FILE_NAME;
use crate::diagnostic::display_path;
use crate::error::{Outcome, Result};
use crate::fsutil::{self, Written};
use crate::report::{self, DIM, Format, OK};

/// The `harness.toml` that `init` writes: every field, commented, at its default.
pub const DEFAULT_CONFIG: &str = include_str!("../../templates/harness.toml");

/// The GitHub Actions workflow `init --ci github` writes.
const GITHUB_WORKFLOW: &str = include_str!("../../templates/github-workflow.yml");

pub fn run(ctx: &Context, args: &crate::cli::InitArgs) -> Result<Outcome> {
    let project = ctx.project()?;
    let root = &project.root;
    let workflow = GITHUB_WORKFLOW.replace("HARNESS_VERSION", env!("CARGO_PKG_VERSION"));
    let mut files: Vec<(std::path::PathBuf, &str)> = vec![(root.join(FILE_NAME), DEFAULT_CONFIG)];
    if args.ci == Some(crate::cli::CiProvider::Github) {
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
    let mut results = Vec::new();
    for (path, text) in &files {
        let written = fsutil::write_new(path, text.as_bytes(), args.force)?;
        results.push((display_path(project.relative(path)), written));
    }
    match ctx.format {
        Format::Json => {
            let v: Vec<_> = results
                .iter()
                .map(|(p, w)| serde_json::json!({"path": p, "result": format!("{w:?}").to_lowercase()}))
                .collect();
            report::json(&v)?;
        }
        Format::Text => {
            let mut s = String::new();
            for (path, w) in &results {
                let _ = match w {
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
            report::text(&s)?;
        }
    }
    Ok(Outcome::Success)
}
