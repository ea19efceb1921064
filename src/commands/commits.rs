//! `harness commits check|lint-msg|hook install`.

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use super::Context;
use crate::agent::Catalog;
use crate::cli::{CommitsCommand, HookCommand, RangeArgs};
use crate::commit::{Checker, CommitInput, CommitVerdict, PlanLookup, StorePlans, git};
use crate::config::Project;
use crate::diagnostic::{Diagnostic, display_path};
use crate::error::{Error, Outcome, Result};
use crate::fsutil;
use crate::report::{self, BOLD, DIM, ERROR, Format, HINT, OK};

pub fn run(ctx: &Context, cmd: CommitsCommand) -> Result<Outcome> {
    match cmd {
        CommitsCommand::Check(args) => check(ctx, &args),
        CommitsCommand::LintMsg { file } => lint_msg(ctx, &file),
        CommitsCommand::Hook(HookCommand::Install { force }) => hook_install(ctx, force),
    }
}

/// The plans as of one state of the repository.
pub struct Plans {
    pub lookup: Box<dyn PlanLookup>,
    /// Keeps an exported tree alive as long as the lookup reads it.
    _dir: Option<tempfile::TempDir>,
}

/// The plans in the working tree.
pub fn working_plans(project: &Project) -> Result<Plans> {
    Ok(Plans {
        lookup: plan_store(project)?,
        _dir: None,
    })
}

/// The plans as committed at `tip`: the plans directory is exported from
/// the commit and read as a working tree would be.
pub fn plans_at(project: &Project, repo: &git2::Repository, tip: git2::Oid) -> Result<Plans> {
    let dir = tempfile::tempdir().map_err(|e| Error::io("create a temporary directory", ".", e))?;
    let rel = project.config.paths.plans.clone();
    // The plans directory relative to the repository, when the project is
    // a sub-directory of it.
    let repo_root = repo.workdir().unwrap_or(&project.root);
    let prefix = project
        .root
        .strip_prefix(repo_root)
        .unwrap_or(Path::new(""));
    git::export_dir(repo, tip, &prefix.join(&rel), dir.path())?;
    let at_tip = Project {
        root: dir.path().join(prefix),
        config_path: project.config_path.clone(),
        config: project.config.clone(),
    };
    Ok(Plans {
        lookup: plan_store(&at_tip)?,
        _dir: Some(dir),
    })
}

/// The project's plan store, as the checker asks it.
fn plan_store(project: &Project) -> Result<Box<dyn PlanLookup>> {
    Ok(Box::new(StorePlans::new(crate::plan::Store::open(project))))
}

/// The verdicts on a range of commits.
#[derive(Debug, Serialize)]
pub struct RangeReport {
    /// How the range was chosen, e.g. `merge base with origin/main..HEAD`.
    pub range: String,
    pub checked: usize,
    pub failed: usize,
    pub ignored: usize,
    pub commits: Vec<CommitVerdict>,
}

/// Checks every commit of a range.
pub fn check_range(project: &Project, catalog: &Catalog, args: &RangeArgs) -> Result<RangeReport> {
    let repo = git::open(&project.root)?;
    let range = git::range(&repo, args.range.as_deref(), args.base.as_deref())?;
    let plans = plans_at(project, &repo, range.tip)?;
    let checker = Checker::new(&project.config.commits, plans.lookup.as_ref(), catalog);
    let mut commits = Vec::new();
    git::walk(&repo, &range, args.first_parent, |c| {
        let message = String::from_utf8_lossy(c.message_bytes());
        let sha = c.id().to_string();
        let input = CommitInput {
            sha: &sha,
            message: &message,
            parents: c.parent_count(),
        };
        commits.push(checker.check(&input, &mut || git::changed_paths(&repo, c))?);
        Ok(())
    })?;
    let tip = args.range.as_deref().unwrap_or("HEAD");
    let tip = tip.split_once("..").map_or(tip, |(_, t)| t);
    Ok(RangeReport {
        range: format!(
            "{}..{}",
            range.base_from,
            if tip.is_empty() { "HEAD" } else { tip }
        ),
        checked: commits.len(),
        failed: commits.iter().filter(|c| !c.ok).count(),
        ignored: commits.iter().filter(|c| c.ignored.is_some()).count(),
        commits,
    })
}

/// A failing commit and its violations, as text.
pub fn verdict_text(out: &mut String, v: &CommitVerdict) {
    let _ = writeln!(
        out,
        "{BOLD}{}{BOLD:#} {}",
        v.short_sha(),
        v.subject.trim_end()
    );
    for x in &v.violations {
        let _ = writeln!(out, "  {ERROR}error[{}]{ERROR:#}: {}", x.rule, x.message);
        if let Some(part) = &x.part {
            let _ = writeln!(out, "    {DIM}|{DIM:#} {part}");
        }
        if let Some(hint) = &x.hint {
            let _ = writeln!(out, "    {HINT}= hint{HINT:#}: {hint}");
        }
    }
}

fn check(ctx: &Context, args: &RangeArgs) -> Result<Outcome> {
    let project = ctx.project()?;
    let catalog = Catalog::load(&project);
    let report = check_range(&project, &catalog, args)?;
    match ctx.format {
        Format::Json => report::json(&report)?,
        Format::Text => {
            let mut s = String::new();
            for v in report.commits.iter().filter(|c| !c.ok) {
                verdict_text(&mut s, v);
            }
            let _ = writeln!(s, "{}", summary(&report));
            report::text(&s)?;
        }
    }
    Ok(Outcome::failed_if(report.failed > 0))
}

pub fn summary(r: &RangeReport) -> String {
    let (style, word) = if r.failed > 0 {
        (ERROR, "failed")
    } else {
        (OK, "ok")
    };
    format!(
        "{style}{word}{style:#}: {} commit(s) in {}: {} failed, {} ignored",
        r.checked, r.range, r.failed, r.ignored
    )
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
    let repo = git::open(&project.root).ok();
    let message = git::strip_comments(&raw, git::comment_char(repo.as_ref()));
    let catalog = Catalog::load(&project);
    let plans = working_plans(&project)?;
    let checker = Checker::new(&project.config.commits, plans.lookup.as_ref(), &catalog);
    let input = CommitInput {
        sha: "",
        message: &message,
        parents: 1,
    };
    let verdict = checker.check(&input, &mut || match &repo {
        Some(r) => git::staged_paths(r),
        None => Ok(Vec::new()),
    })?;
    match ctx.format {
        Format::Json => report::json(&verdict)?,
        Format::Text if !verdict.ok => {
            let mut s = String::new();
            let _ = writeln!(s, "{BOLD}commit message{BOLD:#}: {}", verdict.subject);
            for x in &verdict.violations {
                let _ = writeln!(s, "  {ERROR}error[{}]{ERROR:#}: {}", x.rule, x.message);
                if let Some(part) = &x.part {
                    let _ = writeln!(s, "    {DIM}|{DIM:#} {part}");
                }
                if let Some(hint) = &x.hint {
                    let _ = writeln!(s, "    {HINT}= hint{HINT:#}: {hint}");
                }
            }
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
