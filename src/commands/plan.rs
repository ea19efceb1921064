//! `harness-agents plan new|list|show|approve|reject|check|diff`.

use super::Context;
use crate::agent::Catalog;
use crate::cli::PlanCommand;
use crate::error::{Error, Outcome, Result};
use crate::plan::{self, Decider, Store, Template};
use crate::report;
use crate::task;

pub fn run(ctx: &Context, cmd: PlanCommand) -> Result<Outcome> {
    let project = ctx.project()?;
    let store = Store::open(&project);
    let tasks = task::Store::open(&project);
    let agents = || Catalog::load(&project);
    match cmd {
        PlanCommand::New { title, agent } => {
            let catalog = agents();
            let created = store.new_plan(&title, &agent, crate::clock::now(), |name| {
                let def = catalog.require(name)?;
                Ok(def.body.plan_template.as_ref().map(|t| Template {
                    text: t.text.clone(),
                    path: def.source.clone(),
                    line: t.line,
                }))
            })?;
            report::emit(ctx.format, &created)?;
        }
        PlanCommand::List => {
            let list = store.overview(|id| tasks.of_plan(id))?;
            report::emit(ctx.format, &list)?;
            if !list.unreadable.is_empty() {
                report::error(&Error::Input(list.unreadable));
            }
        }
        PlanCommand::Show { id } => {
            report::emit(ctx.format, &store.detail(&id, |id| tasks.of_plan(id))?)?
        }
        PlanCommand::Approve {
            id,
            by,
            accept_changes,
            resign,
            key,
        } => {
            let decided = with_decider(&agents(), &by, key.as_deref(), |who| {
                store.approve(&id, who, accept_changes, resign, |lock, p| {
                    tasks.derive_locked(lock, p, who.at)
                })
            })?;
            report::emit(ctx.format, &decided)?;
        }
        PlanCommand::Reject {
            id,
            by,
            reason,
            key,
        } => {
            let decided = with_decider(&agents(), &by, key.as_deref(), |who| {
                store.reject(&id, who, &reason)
            })?;
            report::emit(ctx.format, &decided)?;
        }
        PlanCommand::Check { id } => {
            let checked = store.check(id.as_deref())?;
            report::emit(ctx.format, &checked)?;
            return Ok(Outcome::failed_if(!checked.ok));
        }
        PlanCommand::Diff { id } => report::emit(ctx.format, &store.diff(&id)?)?,
    }
    Ok(Outcome::Success)
}

/// Who decides on a plan: the person named, now, with the project's agent
/// names (none of which may decide) and the signing key.
fn with_decider<T>(
    catalog: &Catalog,
    by: &str,
    key: Option<&std::path::Path>,
    decide: impl FnOnce(&Decider) -> Result<T>,
) -> Result<T> {
    let names: Vec<&str> = catalog.agents.iter().map(|a| a.name.as_str()).collect();
    decide(&Decider {
        by,
        at: crate::clock::now(),
        agents: &names,
        agent_context: plan::agent_context(),
        key,
    })
}
