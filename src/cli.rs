//! The command line: every subcommand, its flags and its help.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::report::Format;

/// Keeps teams of AI coding agents honest.
///
/// harness compiles your agent definitions (Markdown with YAML front matter,
/// in Claude Code's subagent format) into policy, and enforces it: plans that
/// must be approved before work starts, quality gates that must pass before a
/// task is done, tool rules checked on every call, and commits checked against
/// the plan they implement.
///
/// Exit codes: 0 success, 1 a check failed, 2 a usage, configuration or input error.
#[derive(Debug, Parser)]
#[command(
    name = "harness",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Output format for commands that report.
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// When to colour output; `auto` honours NO_COLOR and a non-terminal.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Run as if started in DIR.
    #[arg(short = 'C', long = "directory", global = true, value_name = "DIR")]
    pub directory: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Set up harness in this repository: a commented `harness.toml` and the
    /// default agents. Existing files are never overwritten without --force.
    Init(InitArgs),
    /// Read, validate and explain agent definitions.
    #[command(subcommand, after_help = AGENTS_EXAMPLES)]
    Agents(AgentsCommand),
}

const AGENTS_EXAMPLES: &str = "Examples:
  harness agents list                          every agent, its model, mode and tools
  harness agents validate                      check the project's agents (exit 1 on an error)
  harness agents validate path/to/agents/      check other files or directories
  harness agents explain realtime-dev          the rules harness enforces, with their source lines
  harness agents show realtime-dev --format json";

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Overwrite files that already exist.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Subcommand)]
pub enum AgentsCommand {
    /// List the agents: name, model, permission mode, tools and source file.
    List,
    /// Show one agent's parsed definition.
    Show {
        /// The agent's `name`.
        name: String,
    },
    /// Check agent files; exits 1 when any has an error.
    ///
    /// Prints `path:line:col: error|warning: message` with a hint. Without
    /// paths, checks every agent of the project.
    Validate {
        /// Agent files or directories of them.
        paths: Vec<PathBuf>,
    },
    /// Show the policy harness enforces for an agent, each rule with the file
    /// and line it comes from.
    Explain {
        /// The agent's `name`.
        name: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }
}
