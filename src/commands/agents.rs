//! `harness-agents agents list|show|validate|explain`.

use std::path::{Path, PathBuf};

use super::Context;
use crate::agent::{self, Catalog, validate};
use crate::cli::AgentsCommand;
use crate::diagnostic::{Code, Diagnostic, display_path};
use crate::error::{Outcome, Result};
use crate::policy;
use crate::report::{self, Format};

pub fn run(ctx: &Context, cmd: AgentsCommand) -> Result<Outcome> {
    match cmd {
        AgentsCommand::List => list(ctx),
        AgentsCommand::Show { name } => show(ctx, &name),
        AgentsCommand::Validate { paths } => validate_cmd(ctx, &paths),
        AgentsCommand::Explain { name } => explain(ctx, &name),
    }
}

fn list(ctx: &Context) -> Result<Outcome> {
    let catalog = Catalog::load(&ctx.project()?);
    report::emit(ctx.format, &catalog.list())?;
    let errors = catalog.errors();
    if errors > 0 {
        report::note(&format!(
            "agent files have {errors} error(s); run `harness-agents agents validate`"
        ))?;
    }
    Ok(Outcome::Success)
}

fn show(ctx: &Context, name: &str) -> Result<Outcome> {
    let catalog = Catalog::load(&ctx.project()?);
    report::emit(ctx.format, catalog.require(name)?)?;
    Ok(Outcome::Success)
}

fn validate_cmd(ctx: &Context, paths: &[PathBuf]) -> Result<Outcome> {
    let project = ctx.project()?;
    let catalog = if paths.is_empty() {
        Catalog::load(&project)
    } else {
        let vctx = validate::Context::for_project(&project);
        // Paths named as agent files are read without a look at each first
        // (a shell's `agents/*.md` can be hundreds); if one then cannot be
        // read, every path is looked at and the list read again, so a
        // missing path or a directory is told apart as below.
        let quick = paths
            .iter()
            .all(|p| p.extension().is_some_and(|e| e == "md"))
            .then(|| Catalog::from_files(&ctx.cwd, paths, &vctx))
            .filter(|c| !c.diagnostics.iter().any(|d| d.code == Code::Unreadable));
        match quick {
            Some(catalog) => catalog,
            None => Catalog::from_files(&ctx.cwd, &agent_paths(ctx, paths)?, &vctx),
        }
    };
    let validation = catalog.validation();
    // The process ends next: freeing every parsed definition one by one
    // would be the slowest step of the report.
    std::mem::forget(catalog);
    report::diagnostics(&validation.diagnostics, ctx.format)?;
    if ctx.format == Format::Text {
        report::text(&validation.summary())?;
    }
    Ok(Outcome::failed_if(validation.errors > 0))
}

/// The agent files `paths` name: files as given, directories as the
/// agent files under them. A path that does not exist is an error.
fn agent_paths(ctx: &Context, paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for p in paths {
        let actual = ctx.cwd.join(p);
        let Ok(meta) = std::fs::metadata(&actual) else {
            return Err(Diagnostic::error(
                Code::NoSuchPath,
                format!("`{}` does not exist", display_path(p)),
            )
            .hint("give agent files or directories that hold them")
            .into());
        };
        if meta.is_dir() {
            files.extend(
                agent::agent_files(&crate::files::Files::disk(), &actual)
                    .into_iter()
                    .map(|f| shown(ctx, &f)),
            );
        } else {
            files.push(p.clone());
        }
    }
    Ok(files)
}

/// A path as the user would write it: relative to the working directory.
fn shown(ctx: &Context, path: &Path) -> PathBuf {
    path.strip_prefix(&ctx.cwd).unwrap_or(path).to_path_buf()
}

fn explain(ctx: &Context, name: &str) -> Result<Outcome> {
    report::emit(ctx.format, &policy::explain(&ctx.project()?, name)?)?;
    Ok(Outcome::Success)
}
