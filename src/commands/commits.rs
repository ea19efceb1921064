//! `harness-agents commits check|lint-msg|hook install`.

use std::path::Path;

use super::Context;
use crate::cli::{CommitsCommand, HookCommand, RangeArgs};
use crate::commit;
use crate::error::{Error, Outcome, Result};
use crate::fsutil;
use crate::report::{self, BOLD, Format};

pub fn run(ctx: &Context, cmd: CommitsCommand) -> Result<Outcome> {
    match cmd {
        CommitsCommand::Check(args) => check(ctx, &args),
        CommitsCommand::LintMsg { file } => lint_msg(ctx, &file),
        CommitsCommand::Hook(HookCommand::Install { force }) => hook_install(ctx, force),
    }
}

fn check(ctx: &Context, args: &RangeArgs) -> Result<Outcome> {
    let project = ctx.project()?;
    let report = commit::check_range(&project, &args.spec())?;
    report::emit(ctx.format, &report)?;
    Ok(Outcome::failed_if(report.failed > 0))
}

pub fn lint_msg(ctx: &Context, file: &Path) -> Result<Outcome> {
    let project = ctx.project()?;
    let raw = if file == Path::new("-") {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
            .map_err(|e| Error::io("read", "stdin", e))?;
        s
    } else {
        let path = if file.is_absolute() {
            file.to_path_buf()
        } else {
            ctx.cwd.join(file)
        };
        fsutil::read_text(&path)?
    };
    let verdict = commit::check_message(&project, None, &raw)?;
    match ctx.format {
        Format::Json => report::json(&verdict)?,
        Format::Text if !verdict.violations.is_empty() => {
            let mut s = format!("{BOLD}commit message{BOLD:#}: {}\n", verdict.subject);
            verdict.violations_text(&mut s);
            report::text(&s)?;
        }
        Format::Text => {}
    }
    Ok(Outcome::failed_if(!verdict.ok))
}

fn hook_install(ctx: &Context, force: bool) -> Result<Outcome> {
    let project = ctx.project()?;
    let installed = commit::install_hook(&project, force)?;
    report::emit(ctx.format, &installed)?;
    Ok(Outcome::Success)
}
