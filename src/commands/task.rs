//! `harness-agents task list|show|start|block|rebase|done`.

use super::Context;
use crate::cli::TaskCommand;
use crate::error::{Outcome, Result};
use crate::report;
use crate::task::{self, Store};

pub fn run(ctx: &Context, cmd: TaskCommand) -> Result<Outcome> {
    let project = ctx.project()?;
    let store = Store::open(&project);
    match cmd {
        TaskCommand::List { plan, status } => {
            report::emit(ctx.format, &store.listing(plan.as_deref(), status)?)?
        }
        TaskCommand::Show { id } => report::emit(ctx.format, &store.detail(&id)?)?,
        TaskCommand::Start { id, owner } => report::emit(
            ctx.format,
            &task::start(&store, &id, &owner, crate::clock::now())?,
        )?,
        TaskCommand::Rebase { id } => {
            let agent = std::env::var("HARNESS_AGENT")
                .ok()
                .filter(|a| !a.is_empty());
            report::emit(
                ctx.format,
                &task::rebase(&store, &id, crate::clock::now(), agent.as_deref())?,
            )?
        }
        TaskCommand::Block { id, reason } => report::emit(
            ctx.format,
            &task::block(&store, &id, &reason, crate::clock::now())?,
        )?,
        TaskCommand::Done { id } => {
            let done = task::complete(&store, &id, crate::clock::now())?;
            report::emit(ctx.format, &done)?;
            return Ok(Outcome::failed_if(!done.passed()));
        }
    }
    Ok(Outcome::Success)
}
