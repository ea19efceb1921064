//! `harness scaffold --plan ID --out DIR`, `scaffold list`, `scaffold new`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::Context;
use crate::cli::{ScaffoldArgs, ScaffoldCommand};
use crate::diagnostic::{Diagnostic, Span, display_path};
use crate::error::{Error, Outcome, Result};
use crate::report::{self, Format};
use crate::scaffold::engine::Origin;
use crate::scaffold::render::{self, Action};
use crate::scaffold::{self, Engine, Source};

pub fn run(ctx: &Context, args: ScaffoldArgs) -> Result<Outcome> {
    match args.command {
        Some(ScaffoldCommand::List) => list(ctx),
        Some(ScaffoldCommand::New { name, out }) => new(ctx, &name, &out, args.force, args.dry_run),
        None => {
            let (Some(id), Some(out)) = (args.plan, args.out) else {
                return Err(Error::usage(
                    "`harness scaffold` needs `--plan ID --out DIR` (or `scaffold list`, `scaffold new NAME --out DIR`)",
                ));
            };
            from_plan(ctx, &id, &out, args.force, args.dry_run)
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

fn new(ctx: &Context, name: &str, out: &Path, force: bool, dry_run: bool) -> Result<Outcome> {
    if !crate::realtime::is_crate_name(name) {
        return Err(Error::usage(format!(
            "`{name}` is not a crate name: use lowercase letters, digits and `-`, e.g. `chat-service`"
        )));
    }
    let spec = scaffold::default_spec()?;
    let plan = serde_json::json!({ "default": true });
    let engine = engine(ctx)?;
    let out = ctx.cwd.join(out);
    let src = Source {
        spec: &spec,
        default_name: name,
        plan,
        path: Path::new("<default plan>"),
        line: 1,
    };
    let p = scaffold::prepare(&engine, src, &out, force)?;
    finish(ctx, &p, dry_run)
}

fn from_plan(ctx: &Context, id: &str, out: &Path, force: bool, dry_run: bool) -> Result<Outcome> {
    let project = ctx.project()?;
    let plan = crate::plan::require_approved(&project, id)?;
    let Some(spec) = plan.realtime() else {
        return Err(Error::from(
            Diagnostic::error(
                "no-realtime-block",
                format!("plan {} has no realtime block", plan.padded_id()),
            )
            .at(Span::new(&plan.path, 1, 1))
            .hint("add a ```yaml realtime block (see `harness plan new`), then have the plan approved again"),
        ));
    };
    let engine = engine(ctx)?;
    let out: PathBuf = ctx.cwd.join(out);
    let inputs = serde_json::json!({ "id": plan.padded_id(), "hash": plan.hash() });
    let name = crate::plan::plan::slug(&plan.title);
    let src = Source {
        spec,
        default_name: &name,
        plan: inputs,
        path: &plan.path,
        line: plan.realtime_line.unwrap_or(1),
    };
    let p = scaffold::prepare(&engine, src, &out, force)?;
    finish(ctx, &p, dry_run)
}

fn finish(ctx: &Context, p: &render::Plan, dry_run: bool) -> Result<Outcome> {
    let conflicts: Vec<Diagnostic> = p
        .conflicts()
        .map(|c| {
            Diagnostic::error(
                "scaffold-conflict",
                format!(
                    "`{}` was edited since it was generated; not overwriting it",
                    c.path
                ),
            )
            .at(Span::new(p.out.join(&c.path), 1, 1))
            .hint("see the change with --dry-run; keep your edit, or regenerate it with --force")
        })
        .collect();
    if dry_run {
        if ctx.format == Format::Json {
            report::json(&p.changes)?;
        } else {
            report::text(&p.diff())?;
        }
        report::diagnostics(&conflicts, ctx.format)?;
        return Ok(Outcome::failed_if(!conflicts.is_empty()));
    }
    if !conflicts.is_empty() {
        report::diagnostics(&conflicts, ctx.format)?;
        return Ok(Outcome::CheckFailed);
    }
    render::apply(p)?;
    if ctx.format == Format::Json {
        report::json(&p.changes)?;
        return Ok(Outcome::Success);
    }
    let mut text = String::new();
    let mut counts = [0usize; 4];
    for c in &p.changes {
        let (word, slot) = match c.action {
            Action::Create => ("create", 0),
            Action::Update | Action::Overwrite => ("update", 1),
            Action::Remove => ("remove", 2),
            Action::Unchanged | Action::Conflict => ("", 3),
        };
        counts[slot] += 1;
        if !word.is_empty() {
            let _ = writeln!(text, "{word:<7} {}", c.path);
        }
    }
    let _ = writeln!(
        text,
        "{}: {} created, {} updated, {} removed, {} unchanged",
        display_path(&p.out),
        counts[0],
        counts[1],
        counts[2],
        counts[3]
    );
    report::text(&text)?;
    Ok(Outcome::Success)
}
