//! One module per command: each reads the project, asks the domain modules,
//! and hands the result to the reporter.

mod agents;
mod ci;
mod commits;
mod gate;
mod init;
mod plan;
mod scaffold;
mod task;

use std::path::PathBuf;

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
    pub fn project(&self) -> Result<Project> {
        Project::discover(&self.cwd)
    }
}

pub fn run(cli: Cli) -> Result<Outcome> {
    let cwd = match &cli.global.directory {
        Some(dir) => dir.clone(),
        None => std::env::current_dir().map_err(|e| Error::io("read", ".", e))?,
    };
    let cwd = std::fs::canonicalize(&cwd).map_err(|e| Error::io("open directory", &cwd, e))?;
    let ctx = Context {
        cwd,
        format: cli.global.format,
    };
    match cli.command {
        Command::Init(args) => init::run(&ctx, &args),
        Command::Agents(cmd) => agents::run(&ctx, cmd),
        Command::Plan(cmd) => plan::run(&ctx, cmd),
        Command::Scaffold(args) => scaffold::run(&ctx, args),
        Command::Task(cmd) => task::run(&ctx, cmd),
        Command::Commits(cmd) => commits::run(&ctx, cmd),
        Command::Ci(args) => ci::run(&ctx, &args),
        Command::Gate(cmd) => gate::run(&ctx, cmd),
    }
}
