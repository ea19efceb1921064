//! `harness-agents gate run|list|baseline`.

use super::Context;
use super::gate_view::{self, GateProgress};
use crate::agent::Catalog;
use crate::cli::{GateCommand, GateRunArgs, GateSelectArgs};
use crate::config::Project;
use crate::error::{Error, Outcome, Result};
use crate::fsutil;
use crate::gate::{self, RunOptions, github, junit};
use crate::policy::Policy;
use crate::report::{self, Format};

pub fn run(ctx: &Context, cmd: GateCommand) -> Result<Outcome> {
    match cmd {
        GateCommand::Run(args) => run_gates(ctx, &args),
        GateCommand::List(args) => list(ctx, &args),
        GateCommand::Baseline(args) => baseline(ctx, &args),
    }
}

fn baseline(ctx: &Context, args: &GateSelectArgs) -> Result<Outcome> {
    if args.agent.is_some() || args.changed_since.is_some() {
        return Err(Error::usage(
            "`gate baseline` takes gate names only: it records every finding of the project's gates",
        ));
    }
    let project = ctx.project()?;
    let recorded = gate::baseline::record(
        &project,
        &args.names,
        crate::plan::agent_context(),
        &GateProgress::auto(),
    )?;
    report::emit(ctx.format, &recorded)?;
    Ok(Outcome::Success)
}

fn agent_policy(project: &Project, agent: Option<&str>) -> Result<Option<Policy>> {
    let Some(name) = agent else {
        return Ok(None);
    };
    let catalog = Catalog::load(project);
    Ok(Some(Policy::compile(catalog.require(name)?)))
}

fn run_gates(ctx: &Context, args: &GateRunArgs) -> Result<Outcome> {
    if args.jobs == Some(0) {
        return Err(Error::usage("`--jobs` must be at least 1"));
    }
    let project = ctx.project()?;
    let sel = &args.select;
    let policy = agent_policy(&project, sel.agent.as_deref())?;
    let specs = gate::select(
        &project,
        policy.as_ref(),
        &sel.names,
        sel.changed_since.as_deref(),
    )?;
    let opts = RunOptions {
        baseline: gate::baseline::Baseline::load(&project.root)?.map(std::sync::Arc::new),
        jobs: args.jobs.unwrap_or(0),
        fail_fast: args.fail_fast,
        ..RunOptions::new(&project.root)
    };
    let progress = if args.quiet {
        GateProgress::silent()
    } else {
        GateProgress::auto()
    };
    let report = gate::run(specs, &opts, &progress)?;

    if let Some(path) = &args.junit {
        fsutil::write_atomic(&ctx.cwd.join(path), junit::render(&report).as_bytes())?;
    }
    if github::active() {
        // Annotations go where the runner reads them, stdout, unless stdout
        // is JSON.
        let annotations = github::annotations(&report);
        match ctx.format {
            Format::Text => report::text(&annotations)?,
            Format::Json => eprint!("{annotations}"),
        }
        github::append_summary(&github::summary(&report))?;
    }
    match ctx.format {
        Format::Json => report::json(&report)?,
        Format::Text => report::text(&gate_view::text(&report))?,
    }
    Ok(report.outcome())
}

fn list(ctx: &Context, args: &GateSelectArgs) -> Result<Outcome> {
    let project = ctx.project()?;
    let policy = agent_policy(&project, args.agent.as_deref())?;
    let candidates = gate::candidates(
        &project,
        policy.as_ref(),
        &args.names,
        args.changed_since.as_deref(),
    )?;
    match ctx.format {
        Format::Json => report::json(&candidates)?,
        Format::Text => report::text(&gate_view::list(&candidates))?,
    }
    Ok(Outcome::Success)
}
