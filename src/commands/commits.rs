//! `harness commits check|lint-msg|hook install`.

use std::path::Path;

use super::Context;
use crate::agent::Catalog;
use crate::cli::{CommitsCommand, HookCommand, RangeArgs};
use crate::commit::{self, git};
use crate::diagnostic::{Diagnostic, display_path};
use crate::error::{Error, Outcome, Result};
use crate::fsutil;
use crate::report::{self, BOLD, Format, OK};

pub fn run(ctx: &Context, cmd: CommitsCommand) -> Result<Outcome> {
    match cmd {
        CommitsCommand::Check(args) => check(ctx, &args),
        CommitsCommand::LintMsg { file } => lint_msg(ctx, &file),
        CommitsCommand::Hook(HookCommand::Install { force }) => hook_install(ctx, force),
    }
}

fn check(ctx: &Context, args: &RangeArgs) -> Result<Outcome> {
    let project = ctx.project()?;
    let catalog = Catalog::load(&project);
    let report = commit::check_range(&project, &catalog, &args.spec())?;
    match ctx.format {
        Format::Json => report::json(&report)?,
        Format::Text => report::text(&report.text())?,
    }
    Ok(Outcome::failed_if(report.failed > 0))
}

fn lint_msg(ctx: &Context, file: &Path) -> Result<Outcome> {
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
    let catalog = Catalog::load(&project);
    let verdict = commit::check_message(&project, &catalog, &raw)?;
    match ctx.format {
        Format::Json => report::json(&verdict)?,
        Format::Text if !verdict.ok => {
            let mut s = format!("{BOLD}commit message{BOLD:#}: {}\n", verdict.subject);
            verdict.violations_text(&mut s);
            report::text(&s)?;
        }
        Format::Text => {}
    }
    Ok(Outcome::failed_if(!verdict.ok))
}

/// The line that marks a hook as harness's own.
const HOOK_MARK: &str = "# harness commit-msg hook";

fn hook_script() -> String {
    let exe = std::env::current_exe()
        .ok()
        .map(|p| p.to_string_lossy().replace('\'', "'\\''"))
        .unwrap_or_else(|| "harness".to_string());
    format!(
        "#!/bin/sh\n{HOOK_MARK}: checks each message against the project's commit rules.\n\
         # Written by `harness commits hook install`; skip once with `git commit --no-verify`.\n\
         harness=$(command -v harness || echo '{exe}')\n\
         exec \"$harness\" commits lint-msg \"$1\"\n"
    )
}

fn hook_install(ctx: &Context, force: bool) -> Result<Outcome> {
    let project = ctx.project()?;
    let repo = git::open(&project.root)?;
    let path = git::hooks_dir(&repo).join("commit-msg");
    let script = hook_script();
    let existing = std::fs::read_to_string(&path).ok();
    let result = match &existing {
        Some(text) if *text == script => "unchanged",
        Some(text) if !force && !text.contains(HOOK_MARK) => {
            return Err(Diagnostic::error(
                "hook-exists",
                format!(
                    "`{}` exists and was not written by harness; it was left as it is",
                    display_path(&path)
                ),
            )
            .hint("run `harness commits lint-msg \"$1\"` from it, or replace it with --force")
            .into());
        }
        Some(_) => "updated",
        None => "created",
    };
    if result != "unchanged" {
        fsutil::write_atomic(&path, script.as_bytes())?;
        make_executable(&path)?;
    }
    let shown = display_path(project.relative(&path));
    match ctx.format {
        Format::Json => report::json(&serde_json::json!({"path": shown, "result": result}))?,
        Format::Text => report::text(&format!("{OK}{result}{OK:#} {shown}\n"))?,
    }
    Ok(Outcome::Success)
}

#[cfg(unix)]
fn make_executable(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| Error::io("make executable", path, e))
}

#[cfg(not(unix))]
fn make_executable(_: &Path) -> Result<()> {
    Ok(())
}
