//! `harness init`.

use super::Context;
use crate::cli::{CiProvider, InitArgs};
use crate::error::{Outcome, Result};
use crate::install;
use crate::report;

pub fn run(ctx: &Context, args: &InitArgs) -> Result<Outcome> {
    let github = args.ci == Some(CiProvider::Github);
    let project = ctx.project()?;
    let done = install::project::init(&project, github, args.force)?;
    report::emit(ctx.format, &done)?;
    // Warnings go to stderr, so `--format json` keeps one report on stdout.
    let warnings = install::project::ignored_warnings(&project);
    anstream::eprint!("{}", report::diagnostics_text(&warnings));
    Ok(Outcome::Success)
}
