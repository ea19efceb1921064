//! `harness init`.

use super::Context;
use crate::cli::{CiProvider, InitArgs};
use crate::error::{Outcome, Result};
use crate::install;
use crate::report;

pub fn run(ctx: &Context, args: &InitArgs) -> Result<Outcome> {
    let github = args.ci == Some(CiProvider::Github);
    let done = install::project::init(&ctx.project()?, github, args.force)?;
    report::emit(ctx.format, &done)?;
    Ok(Outcome::Success)
}
