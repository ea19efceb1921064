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
    #[command(subcommand)]
    Agents(AgentsCommand),
    /// Run quality gates (format, lint, type check, tests) in parallel, with
    /// timeouts, and record the evidence under `.harness/gates/`.
    #[command(subcommand)]
    Gate(GateCommand),
}

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

#[derive(Debug, Subcommand)]
pub enum GateCommand {
    /// Run gates and report: exits 0 when all pass, 1 when any fails.
    ///
    /// Which gates: NAMEs if given; else the agent's (--agent); else the
    /// `[gates.NAME]` tables of harness.toml; else those detected from
    /// Cargo.toml, pyproject.toml/setup.py or package.json. Each gate runs in
    /// its own process group and is killed with all its children at its
    /// timeout or on Ctrl-C (which exits 130). Full output goes to
    /// `.harness/gates/RUN/NAME.log`, beside the run's `report.json`.
    ///
    /// Under GitHub Actions (GITHUB_ACTIONS=true) failed gates also become
    /// `::error` annotations and a table is added to the job summary.
    Run(GateRunArgs),
    /// Show the gates that would run, their commands and why each was chosen
    /// or skipped.
    List(GateSelectArgs),
}

#[derive(Debug, Args)]
pub struct GateSelectArgs {
    /// Gates to run, by name (see `harness gate list`); all when omitted.
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
    /// Use the gates this agent's definition lists (its quality-gate
    /// commands or its `harness: gates:` block).
    #[arg(long, value_name = "AGENT")]
    pub agent: Option<String>,
    /// Skip gates whose `when` globs match no file changed since REV
    /// (a commit, branch or tag, e.g. `origin/main`).
    #[arg(long, value_name = "REV")]
    pub changed_since: Option<String>,
}

#[derive(Debug, Args)]
pub struct GateRunArgs {
    #[command(flatten)]
    pub select: GateSelectArgs,
    /// How many gates run at once [default: the number of CPUs].
    #[arg(short, long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Stop the other gates as soon as one fails.
    #[arg(long)]
    pub fail_fast: bool,
    /// Also write the results as JUnit XML to FILE, for CI test reports.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// No live progress on stderr.
    #[arg(short, long)]
    pub quiet: bool,
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
