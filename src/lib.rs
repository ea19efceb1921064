//! harness: agent definitions compiled into policy, and the tools that
//! enforce it.
//!
//! Layout. [`config`] is plain data: `harness.toml` and where the project
//! is; it imports no domain module. The domains, each owning its rules and
//! its use cases (library functions with explicit inputs that return one
//! typed report):
//! - [`agent`] reads definitions; [`policy`] compiles them into rules with
//!   provenance and decides tool calls; [`guard`] gathers a call's inputs
//!   (acting agent, project rules, active plan) and asks the policy;
//! - [`plan`] holds plans, their approval chain and the one
//!   [`plan::PlanStatus`] every enforcement point asks; [`task`] the work a
//!   plan defines, completed only on evidence;
//! - [`gate`] runs quality gates; [`commit`] checks messages and history;
//!   [`ci`] puts every check of a pull request in one report;
//! - [`sandbox`] runs a command under the Linux kernel's Landlock, confined
//!   to what the agent's policy and plan allow;
//! - [`scaffold`] generates realtime services from a plan's [`realtime`]
//!   block; [`install`] writes the policy into the agent tools;
//! - [`run`] drives a plan through its workflow, one more caller of the
//!   use cases above.
//!
//! Leaves every module may use: [`diagnostic`] (located problems),
//! [`error`], [`digest`], [`files`] (a project's files, on disk or as of
//! a commit), [`git`], [`shell`] (command lines split into
//! simple commands). [`report`] turns reports into text or JSON; the
//! commands (private) parse the [`cli`], call one use case and emit its
//! report, and only they, `cli`, `report` and `main.rs` print.

pub mod agent;
pub mod ci;
pub mod cli;
pub mod clock;
mod commands;
pub mod commit;
pub mod config;
pub mod diagnostic;
pub mod digest;
pub mod error;
pub mod files;
pub(crate) mod fsutil;
pub mod gate;
pub mod git;
pub mod guard;
pub mod install;
pub(crate) mod markdown;
pub mod plan;
pub mod policy;
pub mod realtime;
pub mod report;
pub mod run;
pub mod sandbox;
pub mod scaffold;
pub mod shell;
pub mod task;
pub(crate) mod textdiff;

pub use error::{Error, Outcome, Result};

/// The command harness is installed as, in every command line it writes.
pub const BIN: &str = "harness-agents";

/// The package `cargo install` names.
pub const PACKAGE: &str = env!("CARGO_PKG_NAME");

/// Runs the two commands that hooks run, on every tool call and every
/// commit, when the command line is the one the installed hook uses:
/// `harness-agents guard [--root DIR]` and `harness-agents commits lint-msg FILE`.
/// Building the whole command-line parser would cost them more than their
/// own work. `None` for any other command line, which then goes through
/// [`cli::Cli`] as usual; the two give the same result.
pub fn run_hook_fast() -> Option<Result<Outcome>> {
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).take(6).collect();
    let claude = guard::hook::Tool::Claude;
    match args.as_slice() {
        [a] if a == "guard" => Some(commands::run_guard_hook(None, claude)),
        [a, flag, root] if a == "guard" && flag == "--root" && is_value(root) => {
            Some(commands::run_guard_hook(Some(root.into()), claude))
        }
        // As `harness-agents install TOOL` writes the hook of the other tools.
        [a, from, tool, flag, root]
            if a == "guard" && from == "--from" && flag == "--root" && is_value(root) =>
        {
            let tool = tool.to_str()?.parse().ok()?;
            Some(commands::run_guard_hook(Some(root.into()), tool))
        }
        [a, b, file] if a == "commits" && b == "lint-msg" && (file == "-" || is_value(file)) => {
            Some(commands::run_lint_msg_hook(std::path::Path::new(file)))
        }
        _ => None,
    }
}

/// An argument clap would take as a value, not as a flag.
fn is_value(arg: &std::ffi::OsStr) -> bool {
    !arg.is_empty() && !arg.as_encoded_bytes().starts_with(b"-")
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
