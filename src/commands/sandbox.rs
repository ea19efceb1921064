//! `harness-agents sandbox`: parse, compile the ruleset, explain it or run the
//! command under it, and report.

use super::Context;
use crate::cli::{SandboxArgs, SuperviseArgs};
use crate::error::{Error, Outcome, Result};
use crate::report;
use crate::sandbox::{self, Request};

pub fn run(ctx: &Context, args: SandboxArgs) -> Result<Outcome> {
    let project = ctx.project()?;
    let request = Request {
        agent: args.agent,
        plan: args.plan,
        task: args.task,
        best_effort: args.best_effort,
        no_commits: false,
        read_only: args.read_only,
    };
    if args.explain {
        let ruleset = sandbox::compile(&project, &request)?;
        report::emit(ctx.format, &ruleset)?;
        return Ok(Outcome::Success);
    }
    if args.command.is_empty() {
        return Err(Error::usage(
            "no command to run: `harness-agents sandbox --agent NAME -- COMMAND...` (or --explain)",
        ));
    }
    let run = sandbox::run(&project, &request, &args.command)?;
    report::emit(ctx.format, &run)?;
    Ok(run.outcome())
}

/// `harness __supervise`: the agent's supervisor ends as the agent did.
pub fn supervise(args: &SuperviseArgs) -> Result<Outcome> {
    let status = sandbox::supervise(args.landlock_fd, &args.command)?;
    Ok(Outcome::Passed(sandbox::reaper::end_as(status)))
}
