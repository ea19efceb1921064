//! One module per command: each reads the project, asks the domain modules,
//! and hands the result to the reporter.

mod agents;
mod ci;
mod commits;
mod gate;
mod gate_view;
mod guard;
mod init;
mod install;
mod plan;
mod run;
mod sandbox;
mod scaffold;
mod skills;
mod task;

use std::path::{Path, PathBuf};

use crate::cli::{Cli, Command};
use crate::config::Project;
use crate::error::{Error, Outcome, Result};
use crate::report::Format;

/// What every command gets: where it runs and how to report.
pub struct Context {
    pub cwd: PathBuf,
    pub format: Format,
}

impl Context {
    /// A context in `dir`, or in the working directory.
    pub fn new(dir: Option<&Path>, format: Format) -> Result<Context> {
        let cwd = match dir {
            Some(dir) => dir.to_path_buf(),
            None => std::env::current_dir().map_err(|e| Error::io("read", ".", e))?,
        };
        let cwd = std::fs::canonicalize(&cwd).map_err(|e| Error::io("open directory", &cwd, e))?;
        Ok(Context { cwd, format })
    }

    pub fn project(&self) -> Result<Project> {
        Project::discover(&self.cwd)
    }
}

/// `harness-agents guard` as the installed hook runs it, on every tool call:
/// without building the whole command-line parser, which would cost more
/// than the check itself. Same behaviour as `Cli::parse` would give.
pub fn run_guard_hook(
    root: Option<std::path::PathBuf>,
    from: crate::guard::hook::Tool,
) -> Result<Outcome> {
    let ctx = match Context::new(None, Format::Text) {
        Ok(ctx) => ctx,
        // Copilot and Cursor let a call through when the hook fails.
        Err(err) => return guard::refuse_failed(from, err),
    };
    let args = crate::cli::GuardArgs {
        agent: std::env::var("HARNESS_AGENT")
            .ok()
            .filter(|a| !a.is_empty()),
        root,
        explain: false,
        from,
    };
    guard::run(&ctx, &args)
}

/// `harness-agents commits lint-msg FILE` as the commit-msg hook runs it, on every
/// commit, without the command-line parser; as `Cli::parse` would run it.
pub fn run_lint_msg_hook(file: &Path) -> Result<Outcome> {
    let ctx = Context::new(None, Format::Text)?;
    commits::lint_msg(&ctx, file)
}

pub fn run(cli: Cli) -> Result<Outcome> {
    let ctx = Context::new(cli.global.directory.as_deref(), cli.global.format)?;
    match cli.command {
        Command::Init(args) => init::run(&ctx, &args),
        Command::Agents(cmd) => agents::run(&ctx, cmd),
        Command::Skills(cmd) => skills::run(&ctx, cmd),
        Command::Plan(cmd) => plan::run(&ctx, cmd),
        Command::Scaffold(args) => scaffold::run(&ctx, args),
        Command::Task(cmd) => task::run(&ctx, cmd),
        Command::Guard(args) => guard::run(&ctx, &args),
        Command::Policy(crate::cli::PolicyCommand::Test(args)) => guard::policy_test(&ctx, &args),
        Command::Install(cmd) => {
            let (tool, args) = cmd.split();
            install::run(&ctx, tool, args)
        }
        Command::Commits(cmd) => commits::run(&ctx, cmd),
        Command::Ci(args) => ci::run(&ctx, &args),
        Command::Gate(cmd) => gate::run(&ctx, cmd),
        Command::Run(args) => run::run(&ctx, &args),
        Command::Status => run::status(&ctx),
        Command::Sandbox(args) => sandbox::run(&ctx, args),
        Command::Supervise(args) => sandbox::supervise(&args),
    }
}
