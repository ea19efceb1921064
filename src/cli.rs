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
    /// Check one tool call against policy: a Claude Code PreToolUse hook.
    ///
    /// Reads the hook's JSON event on stdin. When a rule denies the call,
    /// prints Claude Code's deny answer with the rule and its `file:line`,
    /// and exits 0; otherwise prints nothing (harness never answers
    /// `allow`, so your own permission settings still apply). Malformed
    /// input or an invalid agent file denies with exit 2 and the reason on
    /// stderr.
    ///
    /// The acting agent is the event's `agent_type`, else --agent, else
    /// HARNESS_AGENT, else `[policy] default` of harness.toml, else none
    /// (only the `[guard]` rules of harness.toml apply). Set up the hook with
    /// `harness install claude`.
    Guard(GuardArgs),
    /// Try the policy on a tool call before an agent makes it.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Make a tool enforce harness's policy.
    #[command(subcommand)]
    Install(InstallCommand),
}

#[derive(Debug, Args)]
pub struct GuardArgs {
    /// The agent whose policy applies when the event names none.
    #[arg(long, env = "HARNESS_AGENT", value_name = "NAME")]
    pub agent: Option<String>,
    /// Print the decision and the rule as a report instead of the hook's
    /// answer; exits 1 when the call is denied.
    #[arg(long)]
    pub explain: bool,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Show what the guard decides for a tool call, and the rule that
    /// decides it; exits 1 when the call is denied.
    ///
    /// Examples:
    ///   harness policy test --agent realtime-dev Edit tests/ws.rs
    ///   harness policy test --agent realtime-dev Bash 'timeout 5 sed -i s/a/b/ tests/x.py'
    ///   harness policy test WebFetch https://docs.rs
    ///
    /// The argument fills the tool's main input field: `file_path` for
    /// Read/Edit/Write/MultiEdit, `notebook_path` for NotebookEdit, the
    /// command for Bash (all words), `pattern` then `path` for Glob and
    /// Grep, `url` for WebFetch, `subagent_type` for Agent. Use --input for
    /// anything else.
    #[command(verbatim_doc_comment)]
    Test(PolicyTestArgs),
}

#[derive(Debug, Args)]
pub struct PolicyTestArgs {
    /// The acting agent; without it (and without HARNESS_AGENT or
    /// `[policy] default`), only the project's rules apply.
    #[arg(long, env = "HARNESS_AGENT", value_name = "NAME")]
    pub agent: Option<String>,
    /// The tool input as a JSON object, instead of ARGS.
    #[arg(long, value_name = "JSON")]
    pub input: Option<String>,
    /// The tool: `Edit`, `Bash`, `mcp__github__create_issue`, ...
    pub tool: String,
    /// The tool's main argument (for Bash, the command's words).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum InstallCommand {
    /// Make Claude Code enforce the policy in this repository.
    ///
    /// Writes `.claude/agents/NAME.md` for each agent of `agents/` (the
    /// definition in the form Claude Code reads, without harness's own
    /// `harness:` block) and adds a PreToolUse hook running `harness guard`
    /// to `.claude/settings.json`, keeping every other setting and hook.
    /// Running it again changes nothing.
    Claude(InstallClaudeArgs),
}

#[derive(Debug, Args)]
pub struct InstallClaudeArgs {
    /// Show what would change, as a unified diff, and write nothing.
    #[arg(long, conflicts_with = "check")]
    pub dry_run: bool,
    /// Write nothing; exit 1 when the installed files differ from what
    /// `harness install claude` would write (for CI).
    #[arg(long)]
    pub check: bool,
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }
}
