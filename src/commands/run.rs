//! `harness-agents run` and `harness-agents status`.

use std::time::Duration;

use super::Context;
use crate::cli::RunArgs;
use crate::error::{Outcome, Result};
use crate::report;
use crate::run as runner;

pub fn run(ctx: &Context, args: &RunArgs) -> Result<Outcome> {
    let project = ctx.project()?;
    if let (Some(crate::cli::EmitTarget::Github), Some(id)) = (args.emit, &args.plan) {
        report::emit(ctx.format, &runner::github::emit(&project, id, args.force)?)?;
        return Ok(Outcome::Success);
    }
    let progress = |line: &str| {
        let _ = report::progress(line);
    };
    let opts = runner::Options {
        timeout: args.timeout.map(Duration::from_secs),
        agent_context: crate::plan::agent_context(),
        task: args.task.clone(),
        parallel: args.parallel.unwrap_or(1),
        progress: &progress,
    };
    let report = match (&args.plan, &args.title) {
        (Some(id), _) => runner::run_plan(&project, id, &opts)?,
        (None, Some(title)) => runner::start_plan(&project, title, &opts)?,
        (None, None) => unreachable!("clap requires a title or --plan"),
    };
    report::emit(ctx.format, &report)?;
    Ok(Outcome::failed_if(report.failed()))
}

pub fn status(ctx: &Context) -> Result<Outcome> {
    let project = ctx.project()?;
    report::emit(ctx.format, &runner::status(&project)?)?;
    Ok(Outcome::Success)
}
