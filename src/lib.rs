//! harness: agent definitions compiled into policy, and the tools that
//! enforce it.
//!
//! Layout: [`agent`] reads definitions, [`policy`] compiles them into rules
//! with provenance, [`config`] finds the project and its `harness.toml`.
//! [`plan`] holds plans and their approvals, [`task`] the work they define,
//! [`gate`] runs quality gates and records their evidence, and [`commit`]
//! checks commit messages and history against the policy. [`shell`] splits
//! shell command lines into simple commands, for the guard and the gates.
//! [`scaffold`] generates realtime services from a plan's [`realtime`] block.
//! [`commands`] glue these to the [`cli`]; only [`report`] prints.

pub mod agent;
pub mod ci;
pub mod cli;
pub mod commands;
pub mod commit;
pub mod config;
pub mod diagnostic;
pub mod digest;
pub mod error;
pub mod fsutil;
pub mod gate;
pub mod guard;
pub mod install;
pub(crate) mod markdown;
pub mod plan;
pub mod policy;
pub mod realtime;
pub mod report;
pub mod scaffold;
pub mod shell;
pub mod task;
pub mod textdiff;

pub use error::{Error, Outcome, Result};

/// Runs `harness guard` when that is the whole command line (the form the
/// installed hook uses); `None` for any other command line, which then goes
/// through [`cli::Cli`] as usual.
pub fn run_hook_fast() -> Option<Result<Outcome>> {
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).take(4).collect();
    match args.as_slice() {
        [a] if a == "guard" => Some(commands::run_guard_hook(None)),
        [a, flag, root] if a == "guard" && flag == "--root" => {
            Some(commands::run_guard_hook(Some(root.into())))
        }
        _ => None,
    }
}

/// Runs a parsed command line.
pub fn run(cli: cli::Cli) -> Result<Outcome> {
    let choice = match cli.global.color {
        cli::ColorChoice::Auto => anstream::ColorChoice::Auto,
        cli::ColorChoice::Always => anstream::ColorChoice::Always,
        cli::ColorChoice::Never => anstream::ColorChoice::Never,
    };
    choice.write_global();
    commands::run(cli)
}
