//! `harness install claude`.

use super::Context;
use crate::cli::InstallClaudeArgs;
use crate::error::{Outcome, Result};
use crate::install;
use crate::report;

pub fn claude(ctx: &Context, args: &InstallClaudeArgs) -> Result<Outcome> {
    let installed = install::claude::claude(&ctx.project()?, args.dry_run, args.check)?;
    report::emit(ctx.format, &installed)?;
    Ok(Outcome::failed_if(installed.failed()))
}
