//! `harness-agents scaffold --plan ID --out DIR`, `scaffold list`, `scaffold new`.

use super::Context;
use crate::cli::{ScaffoldArgs, ScaffoldCommand};
use crate::diagnostic::display_path;
use crate::error::{Error, Outcome, Result};
use crate::report::{self, Format};
use crate::scaffold::engine::Origin;
use crate::scaffold::{self, Engine, Generated, Options, Source};

pub fn run(ctx: &Context, args: ScaffoldArgs) -> Result<Outcome> {
    let opts = Options {
        force: args.force,
        dry_run: args.dry_run,
    };
    if args.help_spec {
        match ctx.format {
            Format::Json => report::json(crate::realtime::FIELDS)?,
            Format::Text => report::text(&crate::realtime::reference_text())?,
        }
        return Ok(Outcome::Success);
    }
    match args.command {
        Some(ScaffoldCommand::List) => list(ctx),
        Some(ScaffoldCommand::New { name, out }) => {
            let spec = scaffold::default_spec()?;
            let src = Source::new_service(&spec, &name)?;
            emit(
                ctx,
                &scaffold::generate(&engine(ctx)?, src, &ctx.cwd.join(out), opts)?,
            )
        }
        None => {
            let (Some(id), Some(out)) = (args.plan, args.out) else {
                return Err(Error::usage(
                    "`harness-agents scaffold` needs `--plan ID --out DIR` (or `scaffold list`, `scaffold new NAME --out DIR`)",
                ));
            };
            let project = ctx.project()?;
            let plan = crate::plan::require_approved(&project, &id)?;
            let src = Source::from_plan(&plan, &project.root)?;
            emit(
                ctx,
                &scaffold::generate(&engine(ctx)?, src, &ctx.cwd.join(out), opts)?,
            )
        }
    }
}

/// Project templates override the built-ins; outside a project, built-ins only.
fn engine(ctx: &Context) -> Result<Engine> {
    match ctx.project() {
        Ok(project) => Engine::load(Some(&project.templates_dir())),
        Err(_) => Engine::load(None),
    }
}

/// The changes (or the diff of a dry run), then any conflict.
fn emit(ctx: &Context, generated: &Generated) -> Result<Outcome> {
    if generated.dry_run || generated.written {
        match ctx.format {
            Format::Json => report::json(generated)?,
            Format::Text => report::text(&generated.text())?,
        }
    }
    let conflicts = generated.conflicts();
    report::diagnostics(&conflicts, ctx.format)?;
    Ok(Outcome::failed_if(!conflicts.is_empty()))
}

fn list(ctx: &Context) -> Result<Outcome> {
    let engine = engine(ctx)?;
    if ctx.format == Format::Json {
        report::json(engine.templates())?;
        return Ok(Outcome::Success);
    }
    let rows: Vec<Vec<String>> = engine
        .templates()
        .iter()
        .map(|t| {
            let origin = match &t.origin {
                Origin::Builtin => "built-in".to_string(),
                Origin::Project(p) => display_path(p),
            };
            vec![t.name.to_string(), t.file_name(), origin]
        })
        .collect();
    report::text(&report::table(&["GENERATES", "TEMPLATE", "SOURCE"], &rows))?;
    Ok(Outcome::Success)
}
