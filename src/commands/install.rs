//! `harness-agents install TOOL`.

use super::Context;
use crate::cli::InstallArgs;
use crate::error::{Outcome, Result};
use crate::install::{self, Tool};
use crate::report;

pub fn run(ctx: &Context, tool: Tool, args: &InstallArgs) -> Result<Outcome> {
    let installed = install::install(&ctx.project()?, tool, args.dry_run, args.check)?;
    report::emit(ctx.format, &installed)?;
    Ok(Outcome::failed_if(installed.failed()))
}
