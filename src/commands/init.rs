//! `harness-agents init`.

use super::Context;
use crate::cli::{CiProvider, InitArgs};
use crate::error::{Outcome, Result};
use crate::install;
use crate::install::workflow::{Provider, SourceOverride};
use crate::report;

pub fn run(ctx: &Context, args: &InitArgs) -> Result<Outcome> {
    let project = ctx.project()?;
    let ci = args.ci.map(|p| match p {
        CiProvider::Github => Provider::Github,
        CiProvider::Gitlab => Provider::Gitlab,
    });
    let source = SourceOverride {
        git: args.harness_git.clone(),
        rev: args.harness_rev.clone(),
        version: args.harness_version.clone(),
    };
    let done = install::project::init(&project, ci, &source, args.force)?;
    report::emit(ctx.format, &done)?;
    // Warnings go to stderr, so `--format json` keeps one report on stdout.
    let warnings = install::project::ignored_warnings(&project);
    anstream::eprint!("{}", report::diagnostics_text(&warnings));
    Ok(Outcome::Success)
}
