//! The command line: every subcommand, its flags and its help.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::ci::{GitUrl, Word};
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
    name = "harness-agents",
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
#[command(defer = true)]
pub enum Command {
    /// Set up harness in this repository: a commented `harness.toml` and the
    /// default agents. Existing files are never overwritten without --force.
    Init(InitArgs),
    /// Read, validate and explain agent definitions.
    #[command(subcommand, after_help = AGENTS_EXAMPLES)]
    Agents(AgentsCommand),
    /// Find, show and check the Agent Skills agents load (`SKILL.md`).
    ///
    /// Skills are looked for where Claude Code looks: the project's
    /// `[paths] skills` (`.claude/skills`, `skills`), then `~/.claude/skills`,
    /// then installed plugins' `skills/`. A skill an agent names that is not
    /// found is a warning, or an error with `[skills] require = true`.
    #[command(subcommand, after_help = SKILLS_EXAMPLES)]
    Skills(SkillsCommand),
    /// Write, approve and check plans: work starts only from a plan a person
    /// approved, and an approved plan that is edited is no longer approved.
    ///
    /// A plan is `plans/NNNN-slug.md`: front matter harness maintains, and a
    /// Markdown body with a "Files to Change" section (the plan's scope), an
    /// optional task list (`- [ ] ...`) and an optional fenced block tagged
    /// `yaml realtime`. Approval records the SHA-256 of the plan's content;
    /// any later edit makes it "changed" until a person approves it again.
    #[command(subcommand, after_long_help = PLAN_EXAMPLES)]
    Plan(PlanCommand),
    /// Work through the tasks of approved plans: start, block, and mark done
    /// only when the quality gates and the plan-scope check pass.
    ///
    /// Tasks are derived when a plan is approved: one per task-list item
    /// (`- [ ] Client hook @realtime-dev (after 1)` names the owner and what
    /// it waits for), or one per Files to Change entry. Each task is a small
    /// file beside its plan: `plans/0007/tasks/0007-3.toml`.
    #[command(subcommand, after_long_help = TASK_EXAMPLES)]
    Task(TaskCommand),
    /// Generate a realtime service (an axum crate) from an approved plan.
    ///
    /// `harness-agents scaffold --plan 7 --out services/chat` renders the plan's
    /// `yaml realtime` block through the templates; the plan must be approved
    /// and unchanged. Re-running is safe: files you have not touched are
    /// updated, files you edited are listed as conflicts and nothing is
    /// written (`--force` overwrites them). `--dry-run` prints the diff.
    /// A project's `templates/scaffold/NAME.tera` overrides the built-in one.
    Scaffold(ScaffoldArgs),
    /// Check commit messages: Conventional Commits 1.0.0, the project's
    /// `[commits]` rules, references to approved plans and agent scope.
    #[command(subcommand)]
    Commits(CommitsCommand),
    /// Everything a pull request must pass, in one report: agents valid,
    /// referenced plans approved and unchanged, commits, agent scope and the
    /// quality gates. Exits 1 when anything fails.
    ///
    /// Under GitHub Actions (`GITHUB_ACTIONS=true`) it also writes `::error`
    /// annotations and appends a Markdown summary to `$GITHUB_STEP_SUMMARY`.
    Ci(CiArgs),
    /// Run quality gates (format, lint, type check, tests) in parallel, with
    /// timeouts, and record the evidence under `.harness/gates/`.
    #[command(subcommand)]
    Gate(GateCommand),
    /// Check one tool call against policy: a Claude Code PreToolUse hook.
    ///
    /// Reads the hook's JSON event on stdin. When a rule denies the call,
    /// prints Claude Code's deny answer with the rule and its `file:line`,
    /// and exits 0; otherwise prints nothing (harness never answers
    /// `allow`, so your own permission settings still apply). Malformed
    /// input or an invalid agent file denies with exit 2 and the reason on
    /// stderr.
    ///
    /// The acting agent is the event's `agent_type` when it has a
    /// definition, else --agent, else HARNESS_AGENT, else `[policy] default`
    /// of harness.toml, else none: then every write is refused. The project
    /// root is --root, else CLAUDE_PROJECT_DIR, else found from the working
    /// directory; never the event's `cwd`. Set up the hook with `harness
    /// install claude`.
    ///
    /// With `--from codex|gemini|copilot|cursor` it reads that tool's
    /// pre-tool event and answers in its form, with the same decision;
    /// where a failing hook would not block the call (Copilot, Cursor), an
    /// error is answered as a refusal. `harness-agents install TOOL` sets it up.
    Guard(GuardArgs),
    /// Try the policy on a tool call before an agent makes it.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Make a tool enforce harness's policy.
    #[command(subcommand)]
    Install(InstallCommand),
    /// Drive a plan through the workflow: plan, approve, scaffold,
    /// implement (one agent run per task), gates, review.
    ///
    /// `harness-agents run --plan ID` advances the plan and stops at the first
    /// stage that needs a person (printing the command to run) or that
    /// harness's checks refuse; `harness-agents run "TITLE"` starts a new plan from
    /// the workflow's plan agent. After each agent stage harness checks the
    /// files changed against the plan's scope and the agent's protected
    /// paths, runs the gates, and writes the commit itself (with an `Agent:`
    /// trailer). The workflow and each agent's command are `[run]` in
    /// harness.toml. Output of each stage is saved, with a report, under
    /// `.harness/runs/NNNN/`. Refused to an agent (HARNESS_AGENT set).
    Run(RunArgs),
    /// Every plan's stage and tasks at a glance.
    Status,
    /// Run a command confined by the Linux kernel (Landlock) to what an
    /// agent may touch, then check the work tree exactly.
    ///
    /// The command and every process it starts (subagents, shells,
    /// interpreters, `git apply`, `patch`) can write only the plan's Files
    /// to Change, build and cache outputs (`[sandbox] writable`: target/,
    /// node_modules/, .venv/, __pycache__, the temp directory) and, when the
    /// agent commits, `.git/`; never the agent's protected paths nor
    /// harness's control files (agent definitions, harness.toml, .claude/,
    /// plan records, the signers file). It cannot read ~/.ssh, ~/.gnupg or
    /// `[sandbox] deny_read`, and its environment loses SSH_AUTH_SOCK,
    /// GPG_AGENT_INFO and `[sandbox] secrets`. The kernel's restriction is
    /// inherited and cannot be lifted.
    ///
    /// Landlock grants whole directory trees, so afterwards harness compares
    /// the work tree with its state before: any change outside what the
    /// policy allows exactly fails the run (exit 1) with the paths.
    /// Otherwise the command's exit code is harness's. A kernel without
    /// Landlock ABI 3 (Linux 6.2) is refused with exit 2, unless
    /// --best-effort. `--explain` prints every rule and where it comes from.
    #[command(after_long_help = SANDBOX_EXAMPLES)]
    Sandbox(SandboxArgs),
    /// Internal: the supervisor `harness-agents run` starts each agent under.
    #[command(name = "__supervise", hide = true)]
    Supervise(SuperviseArgs),
}

#[derive(Debug, Args)]
pub struct SuperviseArgs {
    /// The inherited Landlock ruleset to confine the command with.
    #[arg(long, value_name = "FD")]
    pub landlock_fd: Option<i32>,
    /// The command and its arguments, after `--`.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub command: Vec<std::ffi::OsString>,
}

const SANDBOX_EXAMPLES: &str = "\
Examples:
  harness-agents sandbox --agent realtime-dev --plan 1 --explain
  harness-agents sandbox --agent realtime-dev --plan 1 -- claude
  harness-agents sandbox --agent realtime-dev --plan 1 -- codex
  harness-agents sandbox --agent realtime-dev --task 0001-2 -- cargo test";

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// The agent whose policy confines the command.
    #[arg(long, env = "HARNESS_AGENT", value_name = "NAME")]
    pub agent: String,
    /// The approved plan whose Files to Change may be written; without it,
    /// the plan of the agent's task in progress.
    #[arg(long, value_name = "ID")]
    pub plan: Option<String>,
    /// The task being worked on; names its plan when --plan does not.
    #[arg(long, value_name = "ID")]
    pub task: Option<String>,
    /// On a kernel that cannot enforce the whole policy, run with what it
    /// can (the report says what was enforced) instead of refusing.
    #[arg(long)]
    pub best_effort: bool,
    /// Grant nothing of the plan's scope: only build outputs are writable
    /// (for a reviewer, which must change no file).
    #[arg(long)]
    pub read_only: bool,
    /// Print the ruleset, each path with its rule's file:line, and run
    /// nothing.
    #[arg(long)]
    pub explain: bool,
    /// The command and its arguments, after `--`.
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<std::ffi::OsString>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The title of a new plan, written by the workflow's plan agent.
    #[arg(conflicts_with = "plan", required_unless_present = "plan")]
    pub title: Option<String>,
    /// The plan to advance: `7` or `0007`.
    #[arg(long, value_name = "ID")]
    pub plan: Option<String>,
    /// The longest an agent stage may run, in seconds (default: `[run]
    /// timeout_seconds`, 1800).
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
    /// Work only this task of the plan (`0007-3`), e.g. in a CI job.
    #[arg(long, value_name = "ID", requires = "plan")]
    pub task: Option<String>,
    /// Run up to N tasks that wait for no other at once, each in a git
    /// work tree of its own under `.harness/worktrees/`, their commits
    /// merged back in task order.
    #[arg(long, value_name = "N", requires = "plan", conflicts_with = "task")]
    pub parallel: Option<usize>,
    /// Write the plan's open tasks as a workflow instead of running them:
    /// `github` writes `.github/workflows/harness-run-NNNN.yml`.
    #[arg(long, value_enum, requires = "plan")]
    pub emit: Option<EmitTarget>,
    /// Replace an emitted workflow that exists.
    #[arg(long, requires = "emit")]
    pub force: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EmitTarget {
    /// A GitHub Actions workflow.
    Github,
}

#[derive(Debug, Args)]
pub struct GuardArgs {
    /// The agent whose policy applies when the event names none.
    #[arg(long, env = "HARNESS_AGENT", value_name = "NAME")]
    pub agent: Option<String>,
    /// The project root, fixed when the hook is installed. Without it the
    /// root is CLAUDE_PROJECT_DIR, else found from harness's own working
    /// directory; never from the event's `cwd`.
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Print the decision and the rule as a report instead of the hook's
    /// answer; exits 1 when the call is denied.
    #[arg(long)]
    pub explain: bool,
    /// The agent tool whose hook runs the guard: claude (the default),
    /// codex, gemini, copilot or cursor. Each sends its own event and
    /// takes the refusal in its own form; the decision is the same.
    #[arg(long, value_name = "TOOL", default_value = "claude")]
    pub from: crate::guard::hook::Tool,
}

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum PolicyCommand {
    /// Show what the guard decides for a tool call, and the rule that
    /// decides it; exits 1 when the call is denied.
    ///
    /// Examples:
    ///   harness-agents policy test --agent realtime-dev Edit tests/ws.rs
    ///   harness-agents policy test --agent realtime-dev Bash 'timeout 5 sed -i s/a/b/ tests/x.py'
    ///   harness-agents policy test WebFetch https://docs.rs
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
    /// `[policy] default`), only the project's rules apply and every write
    /// is refused.
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
#[command(defer = true)]
pub enum InstallCommand {
    /// Make Claude Code enforce the policy in this repository.
    ///
    /// Writes `.claude/agents/NAME.md` for each agent of `agents/` (the
    /// definition in the form Claude Code reads, without harness's own
    /// `harness:` block) and adds a PreToolUse hook running `harness-agents guard`
    /// to `.claude/settings.json`, keeping every other setting and hook.
    /// Running it again changes nothing.
    Claude(InstallArgs),
    /// Install into Codex: `.codex/agents/NAME.toml` custom agents and a
    /// PreToolUse hook in `.codex/hooks.json` running `harness-agents guard --from
    /// codex`.
    Codex(InstallArgs),
    /// Install into Gemini CLI: `.gemini/agents/NAME.md` subagents and a
    /// BeforeTool hook in `.gemini/settings.json` running `harness-agents guard
    /// --from gemini`.
    Gemini(InstallArgs),
    /// Install into OpenCode: `.opencode/agents/NAME.md` subagents with
    /// their permission rules (OpenCode runs no command hook, so the rules
    /// are the enforcement there).
    Opencode(InstallArgs),
    /// Install into GitHub Copilot: `.github/agents/NAME.agent.md` custom
    /// agents and a preToolUse hook in `.github/hooks/harness.json` running
    /// `harness-agents guard --from copilot`.
    Copilot(InstallArgs),
    /// Install into Cursor: `.cursor/rules/NAME.mdc` rules and hooks in
    /// `.cursor/hooks.json` running `harness-agents guard --from cursor`.
    Cursor(InstallArgs),
}

impl InstallCommand {
    /// The tool to install into, and how.
    pub fn split(&self) -> (crate::guard::hook::Tool, &InstallArgs) {
        use crate::guard::hook::Tool;
        match self {
            InstallCommand::Claude(a) => (Tool::Claude, a),
            InstallCommand::Codex(a) => (Tool::Codex, a),
            InstallCommand::Gemini(a) => (Tool::Gemini, a),
            InstallCommand::Opencode(a) => (Tool::Opencode, a),
            InstallCommand::Copilot(a) => (Tool::Copilot, a),
            InstallCommand::Cursor(a) => (Tool::Cursor, a),
        }
    }
}

// How `harness-agents install TOOL` runs. What the tool cannot express of the
// definitions is listed after the files. (A plain comment: with the
// subcommands built when used (`defer`), a doc comment here would become
// the help text of every subcommand that takes these arguments.)
#[derive(Debug, Args)]
pub struct InstallArgs {
    /// Show what would change, as a unified diff, and write nothing.
    #[arg(long, conflicts_with = "check")]
    pub dry_run: bool,
    /// Write nothing; exit 1 when the installed files differ from what
    /// `harness-agents install TOOL` would write (for CI).
    #[arg(long)]
    pub check: bool,
}

const AGENTS_EXAMPLES: &str = "Examples:
  harness-agents agents list                          every agent, its model, mode and tools
  harness-agents agents validate                      check the project's agents (exit 1 on an error)
  harness-agents agents validate path/to/agents/      check other files or directories
  harness-agents agents explain realtime-dev          the rules harness enforces, with their source lines
  harness-agents agents show realtime-dev --format json";

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Overwrite files that already exist.
    #[arg(long)]
    pub force: bool,
    /// Also write a CI file that runs `harness-agents ci` on pull requests and
    /// pushes: `.github/workflows/harness.yml` or `.gitlab-ci.yml`. It needs
    /// where CI installs harness from: these flags, or `[ci]` in harness.toml.
    #[arg(long, value_enum, value_name = "PROVIDER")]
    pub ci: Option<CiProvider>,
    /// The git repository CI installs harness from (`cargo install --git`);
    /// written to `[ci] harness_git` in the new harness.toml.
    #[arg(long, value_name = "URL", requires = "ci", value_parser = parse_toml_value::<GitUrl>)]
    pub harness_git: Option<GitUrl>,
    /// The tag, branch or commit of `--harness-git` (default: the default
    /// branch's tip when the job starts).
    #[arg(long, value_name = "REV", requires = "harness_git", value_parser = parse_toml_value::<Word>)]
    pub harness_rev: Option<Word>,
    /// A version from the crates registry instead of git.
    #[arg(long, value_name = "VERSION", requires = "ci", conflicts_with = "harness_git", value_parser = parse_toml_value::<Word>)]
    pub harness_version: Option<Word>,
}

/// A flag's value checked as the same value in harness.toml would be.
fn parse_toml_value<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, String> {
    T::deserialize(serde::de::value::StrDeserializer::<serde::de::value::Error>::new(s))
        .map_err(|e| e.to_string())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CiProvider {
    /// `.github/workflows/harness.yml` for GitHub Actions.
    Github,
    /// `.gitlab-ci.yml` for GitLab CI/CD.
    Gitlab,
}

// Which commits to check. (A plain comment, as for `InstallArgs`.)
#[derive(Debug, Clone, Args)]
pub struct RangeArgs {
    /// `BASE..TIP`, or a tip alone (default `HEAD`) checked from `--base`,
    /// else from its merge base with the default branch (`origin/HEAD`,
    /// `main` or `master`), else from the first commit.
    #[arg(value_name = "RANGE")]
    pub range: Option<String>,
    /// Check the commits after REV (REV itself excluded).
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,
    /// Follow only the first parent of merges, as a branch's own history.
    #[arg(long)]
    pub first_parent: bool,
}

impl RangeArgs {
    /// The range as the commit checker takes it.
    pub fn spec(&self) -> crate::commit::RangeSpec {
        crate::commit::RangeSpec {
            range: self.range.clone(),
            base: self.base.clone(),
            first_parent: self.first_parent,
        }
    }
}

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum CommitsCommand {
    /// Check the commits of a range; exits 1 when any fails.
    ///
    /// Each failing commit is shown with its short sha and subject, and each
    /// violation with its rule id, a message and the offending part. Plans are
    /// read as of the range's tip.
    Check(RangeArgs),
    /// Check one commit message in FILE (the commit-msg hook's argument).
    ///
    /// Comment lines and everything below git's scissors line are ignored, as
    /// git ignores them. Plans are read from the working tree.
    LintMsg {
        /// The message file, e.g. `.git/COMMIT_EDITMSG`; `-` reads stdin.
        file: PathBuf,
    },
    /// Manage the git hook that runs `harness-agents commits lint-msg`.
    #[command(subcommand)]
    Hook(HookCommand),
}

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum HookCommand {
    /// Write `.git/hooks/commit-msg`. Running it twice changes nothing; an
    /// existing hook of another origin is kept unless --force is given.
    Install {
        /// Replace an existing hook.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Args)]
pub struct CiArgs {
    #[command(flatten)]
    pub range: RangeArgs,
    /// Skip the quality gates.
    #[arg(long)]
    pub no_gates: bool,
}

#[derive(Debug, Subcommand)]
#[command(defer = true)]
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
#[command(defer = true)]
pub enum SkillsCommand {
    /// List where skills are looked for and every skill found, with the
    /// agents that load it.
    List,
    /// Show one skill: its file, description, files and the agents that
    /// load it.
    Show {
        /// The skill's `name` (or `PLUGIN:NAME`).
        name: String,
    },
    /// Check skills; exits 1 when any has an error.
    ///
    /// Checks the front matter (`name` matching its directory, a
    /// `description`) and that every relative link in `SKILL.md` points at
    /// a file of the skill. Without paths, checks every skill found.
    Validate {
        /// Skill directories or `SKILL.md` files.
        paths: Vec<PathBuf>,
    },
}

const SKILLS_EXAMPLES: &str = "\
Examples:
  harness-agents skills list
  harness-agents skills show observability-and-slos
  harness-agents skills validate .claude/skills/observability-and-slos";

const PLAN_EXAMPLES: &str = "\
Examples:
  harness-agents plan new \"Presence channel\" --agent realtime-engineer
  $EDITOR plans/0007-presence-channel.md
  harness-agents plan approve 7 --by alice
  harness-agents plan check        # exits 1, with a diff, when an approved plan changed
  harness-agents plan approve 7 --by alice --accept-changes";

const TASK_EXAMPLES: &str = "\
Examples:
  harness-agents task list --plan 7
  harness-agents task start 0007-1 --owner realtime-dev
  harness-agents task done 0007-1  # runs the gates and the scope check";

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum PlanCommand {
    /// Write a new plan from an agent's plan template and print its path.
    ///
    /// The template is the fenced block holding `PLAN_APPROVED:` in the
    /// agent's definition, or the built-in `plan.md.tera` (overridden by
    /// `templates/plan.md.tera` in the project). Templates are rendered with
    /// Tera (`{{ title }}`, `{{ id }}`, `{{ agent }}`, `{{ date }}`); a
    /// `{Feature}` in the first heading becomes the title. Plans are numbered
    /// in order: `plans/0007-presence-channel.md`.
    New {
        /// The plan's title, e.g. "Presence channel".
        title: String,
        /// The agent whose template to use and who owns the plan.
        #[arg(long, value_name = "NAME")]
        agent: String,
    },
    /// List the plans: id, state, title, agent and file.
    ///
    /// The state comes from the approval chain and the content hash, never
    /// from the `status` field: draft, approved, changed (edited since
    /// approval) or rejected.
    List,
    /// Show a plan: its state, approval chain, scope, tasks and realtime spec.
    Show {
        /// The plan id: `7`, `0007` or `0007-presence-channel`.
        id: String,
    },
    /// Approve a plan as it is now, recording who, when and the SHA-256 of
    /// its content.
    ///
    /// Refuses an invalid plan (broken front matter or realtime block, a
    /// missing required section), an approver who is an agent, a plan
    /// already approved, and a plan edited since its last approval unless
    /// --accept-changes says the change was reviewed (see `plan diff`).
    /// A plan still holding template placeholders is approved with a
    /// warning. Approval derives the plan's tasks.
    Approve {
        /// The plan id.
        id: String,
        /// The person approving (not an agent).
        #[arg(long, value_name = "NAME")]
        by: String,
        /// Re-approve a plan that changed since its last approval.
        #[arg(long)]
        accept_changes: bool,
        /// Approve an approved plan again, signed: for an approval made
        /// before the project had a signers file.
        #[arg(long)]
        resign: bool,
        /// The SSH key to sign with (a private key, or a public key whose
        /// private key is in ssh-agent); default: git's `user.signingkey`
        /// when `gpg.format = ssh`. Never a file inside the project.
        #[arg(long, value_name = "FILE")]
        key: Option<PathBuf>,
    },
    /// Reject a plan, recording who, when, why and the content's hash.
    Reject {
        /// The plan id.
        id: String,
        /// The person rejecting (not an agent).
        #[arg(long, value_name = "NAME")]
        by: String,
        /// Why the plan is rejected.
        #[arg(long)]
        reason: String,
        /// The SSH key to sign with, as for `plan approve`.
        #[arg(long, value_name = "FILE")]
        key: Option<PathBuf>,
    },
    /// Check that plans are approved and unchanged; exits 1 when one is not.
    ///
    /// With an id, that plan must be approved and unchanged. Without, every
    /// plan is checked: a plan edited since approval, an invalid plan or a
    /// status set by hand fails; drafts are listed. A changed plan's diff
    /// since approval is printed.
    Check {
        /// Check only this plan.
        id: Option<String>,
    },
    /// Show what changed in a plan since it was last approved, as a unified
    /// diff of its normalised content.
    Diff {
        /// The plan id.
        id: String,
    },
}

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum TaskCommand {
    /// List tasks: id, status, owner, subject and what each waits for.
    List {
        /// Only the tasks of this plan.
        #[arg(long, value_name = "ID")]
        plan: Option<String>,
        /// Only tasks in this status.
        #[arg(long, value_parser = task_status())]
        status: Option<crate::task::TaskStatus>,
    },
    /// Show a task, its history and the evidence of its last `task done`.
    Show {
        /// The task id, e.g. `0007-3`.
        id: String,
    },
    /// Start a task: it becomes `in_progress`, owned by AGENT.
    ///
    /// Refused unless the task's plan is approved and unchanged, the task is
    /// pending or blocked, and the tasks it waits for are completed. Records
    /// HEAD, so `task done` can check the files changed since.
    Start {
        /// The task id.
        id: String,
        /// The agent that works on it; its quality gates apply at `task done`.
        #[arg(long, value_name = "AGENT")]
        owner: String,
    },
    /// Move a started task's scope baseline to HEAD (a person's command).
    ///
    /// `task done` checks what changed since the baseline, which `task
    /// start` sets once. Refused when HARNESS_AGENT is set.
    Rebase {
        /// The task id.
        id: String,
    },
    /// Mark a task blocked, with the reason.
    Block {
        /// The task id.
        id: String,
        /// What it is waiting for.
        #[arg(long)]
        reason: String,
    },
    /// Complete a task, if harness can confirm it is done.
    ///
    /// Runs the owner agent's quality gates (when it lists none, the
    /// project's, as `harness-agents gate run` does; in parallel, with timeouts)
    /// and checks that every file changed since the task started lies
    /// within the plan's Files to Change. The task is completed only when both pass; the evidence (gate
    /// names, exit codes, durations, output digests, commit) is stored either
    /// way. Exits 1 when a check fails and the task stays `in_progress`.
    Done {
        /// The task id.
        id: String,
    },
}

#[derive(Debug, Subcommand)]
#[command(defer = true)]
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
    /// Record the findings the gates report now as accepted, so that later
    /// runs fail only on new ones: adopt harness before fixing a backlog.
    ///
    /// Runs the gates (NAMEs, or all) whose `[gates.NAME]` states a
    /// `findings` format (`clippy`, `ruff`, `eslint`, `tsc`) and whose
    /// command prints it, e.g. `cargo clippy --all-targets
    /// --message-format=json -- -D warnings`, `ruff check
    /// --output-format=json`, `eslint -f json .`, `tsc --noEmit --pretty
    /// false`. Each finding is kept as rule, file and a fingerprint of its
    /// line and the lines beside it, so moved code still matches. Writes
    /// `.harness/baseline.json`, to commit. `gate run` reads it from the
    /// work tree, `task done` as committed when the task started, `harness
    /// ci` from the range's base; each reports the findings still there and
    /// those gone. Refused where an agent runs (HARNESS_AGENT, Claude Code).
    Baseline(GateSelectArgs),
}

#[derive(Debug, Args)]
pub struct GateSelectArgs {
    /// Gates to run, by name (see `harness-agents gate list`); all when omitted.
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

    /// Subcommands are built when used (`defer`), after their own help is
    /// set, so an argument struct's doc comment would replace the help of
    /// every subcommand taking it. Each says what it does, and no two say
    /// the same.
    #[test]
    fn every_subcommand_has_its_own_help() {
        let mut cli = Cli::command();
        cli.build();
        let mut seen: std::collections::BTreeMap<String, String> = Default::default();
        let mut todo: Vec<(String, &clap::Command)> = vec![(String::new(), &cli)];
        while let Some((path, cmd)) = todo.pop() {
            for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
                let name = format!("{path} {}", sub.get_name());
                let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
                assert!(!about.is_empty(), "`{name}` has no help");
                if let Some(other) = seen.insert(about.clone(), name.clone()) {
                    panic!("`{name}` and `{other}` have the same help: {about}");
                }
                todo.push((name, sub));
            }
        }
        let about = |path: &[&str]| {
            let mut cmd = &cli;
            for p in path {
                cmd = cmd.find_subcommand(p).unwrap();
            }
            cmd.get_about().unwrap().to_string()
        };
        assert!(about(&["commits", "check"]).starts_with("Check the commits of a range"));
        assert!(about(&["ci"]).starts_with("Everything a pull request must pass"));
        assert!(about(&["install", "claude"]).starts_with("Make Claude Code enforce"));
    }
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ScaffoldArgs {
    #[command(subcommand)]
    pub command: Option<ScaffoldCommand>,
    /// The approved plan whose realtime block to generate from.
    #[arg(long, value_name = "ID")]
    pub plan: Option<String>,
    /// The directory of the generated crate.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Overwrite files edited since they were generated.
    #[arg(long, global = true)]
    pub force: bool,
    /// Print the unified diff of every change and write nothing.
    #[arg(long, global = true)]
    pub dry_run: bool,
    /// Print every field of a plan's ```yaml realtime block: its type, its
    /// default and what it means.
    #[arg(long, conflicts_with_all = ["plan", "out"])]
    pub help_spec: bool,
}

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum ScaffoldCommand {
    /// List the templates, and which ones the project overrides.
    List,
    /// Generate a service from the default one-channel plan.
    New {
        /// The crate name, e.g. `chat-service`.
        name: String,
        /// The directory of the generated crate.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
}

/// `--status`: the task statuses by name, shown in `--help`.
fn task_status() -> impl clap::builder::TypedValueParser<Value = crate::task::TaskStatus> {
    use crate::task::TaskStatus;
    use clap::builder::TypedValueParser as _;
    clap::builder::PossibleValuesParser::new(TaskStatus::ALL.map(TaskStatus::as_str))
        .map(|name: String| TaskStatus::from_name(&name).unwrap_or(TaskStatus::Pending))
}
