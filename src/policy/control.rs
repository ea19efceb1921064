//! The rules that keep harness's own control out of every agent's reach.
//!
//! An agent under harness is treated as an adversary that wants its task
//! marked done, so nothing it can write may decide its own policy or
//! approval: the agent definitions, `harness.toml`, Claude Code's settings
//! (which hold the guard's hook), `.git/` (hooks run as the person; config
//! chooses them), `.harness/`, the plan records and the signers file are
//! protected for every agent, and with no agent at all. Likewise the harness
//! commands that record a person's decision (`plan approve`, `plan reject`,
//! `task rebase`, ...) are refused to every agent through Bash.
//!
//! These rules are the project's, not an agent's: no definition can drop
//! them. Each is cited to the configuration that places the files (line 1
//! of `harness.toml`, or its name when the project has none), since that is
//! where a person would move them.
//!
//! Recognising a decision command reads only the words of a command line,
//! so a renamed copy of the binary is still caught (`plan approve` is
//! looked for after any program), while a script or an interpreter that
//! runs harness is not: signed approvals close that, since an agent holds
//! no signing key.

use std::path::Path;

use super::{Rule, RuleKind};
use crate::config::Paths;
use crate::diagnostic::{Provenance, display_path};

/// The harness commands that record a person's decision, by their words
/// after the program. A command line running any of them is refused to
/// every agent.
pub const PERSON_COMMANDS: &[&str] = &[
    "plan approve",
    "plan reject",
    "task rebase",
    "gate baseline",
    "commits hook",
    "install",
    "init",
];

/// The other agent tools' files that run the guard or hold what harness
/// installed (`harness-agents install TOOL`): their hooks, settings, agents and
/// rules. A tool's settings can switch its hooks off, so they are as much
/// the guard's as the hook itself.
const OTHER_TOOLS: &[(&str, &str)] = &[
    (
        "/.gemini",
        "`.gemini/` holds Gemini CLI's settings (with the guard's hook), agents and skills",
    ),
    (
        "~/.gemini/settings*.json",
        "Gemini CLI's user settings can switch its hooks off",
    ),
    (
        "/.codex",
        "`.codex/` holds Codex's hooks (with the guard's), settings and agents",
    ),
    (
        "~/.codex/*.{json,toml}",
        "Codex's user hooks and settings can switch the guard off",
    ),
    (
        "/.github/hooks",
        "`.github/hooks/` holds GitHub Copilot's hooks, with the guard's",
    ),
    (
        "/.github/agents",
        "`.github/agents/` holds GitHub Copilot's agents",
    ),
    (
        "/.cursor/hooks.json",
        "`.cursor/hooks.json` holds Cursor's hooks, with the guard's",
    ),
    (
        "~/.cursor/hooks.json",
        "Cursor's user hooks run for every project",
    ),
    (
        "/.cursor/rules",
        "`.cursor/rules/` holds Cursor's rules for each agent",
    ),
    (
        "/.opencode",
        "`.opencode/` holds OpenCode's agents and skills",
    ),
    (
        "/.cursor/skills",
        "`.cursor/skills/` holds the skills harness installs for Cursor",
    ),
    (
        "/.agents/skills",
        "`.agents/skills/` holds the skills harness installs for Codex",
    ),
    (
        "/opencode.json*",
        "`opencode.json` holds OpenCode's permission rules",
    ),
    (
        "~/.config/opencode",
        "OpenCode's user settings hold its permission rules",
    ),
];

/// Options of harness that take a value as the next word, so that value is
/// not mistaken for a subcommand.
const VALUE_OPTIONS: &[&str] = &[
    "--format",
    "--color",
    "-C",
    "--directory",
    "--by",
    "--reason",
    "--owner",
    "--agent",
    "--root",
];

/// The rules that keep plan records (`plans/NNNN/`: approved texts, task
/// files and their evidence) for harness's own commands. A task marked done
/// by an agent's pen would be the agent's word, not evidence. `config` is
/// where the plans directory is configured, cited as the rules' source.
pub fn plan_records_rules(plans_dir: &str, config: &Path) -> Vec<Rule> {
    let dir = plans_dir.trim_matches('/');
    // A plan's data directory is its id, of any width (`7`, `0007`,
    // `12345`): a directory whose name starts and ends with a digit. Plan
    // texts (`0007-slug.md`) end otherwise, so they stay writable.
    [format!("/{dir}/[0-9]/"), format!("/{dir}/[0-9]*[0-9]/")]
        .into_iter()
        .map(|glob| Rule {
            kind: RuleKind::ProtectPath { glob },
            provenance: Provenance::new(config, 1),
            source_text: format!(
                "plan records under `{dir}/NNNN/` are written only by harness commands (`harness-agents plan`, `harness-agents task`)"
            ),
        })
        .collect()
}

/// Every control-file rule of a project: `config` is `harness.toml` as
/// cited, `paths` its `[paths]`, `signers` the approvals signers file when
/// one is configured (relative to the root).
pub fn control_rules(config: &Path, paths: &Paths, signers: Option<&Path>) -> Vec<Rule> {
    let rule = |glob: String, source_text: String| Rule {
        kind: RuleKind::ProtectPath { glob },
        provenance: Provenance::new(config, 1),
        source_text,
    };
    let mut out = Vec::new();
    let mut agent_dirs: Vec<String> = paths.agents.iter().filter_map(|d| relative(d)).collect();
    // Claude Code reads `.claude/agents/` whatever harness.toml says.
    if !agent_dirs.iter().any(|d| d == ".claude/agents") {
        agent_dirs.push(".claude/agents".to_string());
    }
    for dir in agent_dirs {
        let glob = if dir.is_empty() {
            "/*.md".to_string()
        } else {
            format!("/{dir}")
        };
        out.push(rule(
            glob,
            format!(
                "agent definitions (`{}/`) are harness's control files: only a person changes them",
                if dir.is_empty() { "." } else { &dir }
            ),
        ));
    }
    out.push(rule(
        // At any depth: a `harness.toml` in a subdirectory could become a
        // project of its own where the root is discovered.
        crate::config::FILE_NAME.to_string(),
        "`harness.toml` is harness's control file: only a person changes it".to_string(),
    ));
    out.push(rule(
        "/.claude/settings*.json".to_string(),
        "Claude Code's settings hold the guard's hook: only a person changes them".to_string(),
    ));
    out.push(rule(
        // The user's settings apply to every project (`disableAllHooks`
        // there turns the guard off), and its agents are Claude Code's too.
        "~/.claude/settings*.json".to_string(),
        "Claude Code's settings hold the guard's hook: only a person changes them".to_string(),
    ));
    for (glob, what) in OTHER_TOOLS {
        out.push(rule(
            glob.to_string(),
            format!("{what}: only a person changes it"),
        ));
    }
    out.push(rule(
        "~/.claude/agents".to_string(),
        "agent definitions (`~/.claude/agents/`) are harness's control files: only a person changes them"
            .to_string(),
    ));
    out.push(rule(
        // At any depth: a nested repository's hooks run for the person too.
        ".git".to_string(),
        "`.git/` (hooks, config, info) is git's and the person's: agents change it only through git commands"
            .to_string(),
    ));
    out.push(rule(
        "/.harness".to_string(),
        "`.harness/` holds harness's own records: only harness writes it".to_string(),
    ));
    // All of CI, not only the job harness wrote: another workflow (or a job
    // of the same name) could stand in for the check a branch must pass.
    out.push(rule(
        "/.github/workflows".to_string(),
        "CI workflows decide what checks a branch (`harness-agents ci`): only a person changes them"
            .to_string(),
    ));
    out.push(rule(
        "/.gitlab-ci.yml".to_string(),
        "the GitLab pipeline decides what checks a branch (`harness-agents ci`): only a person changes it"
            .to_string(),
    ));
    for glob in ["/.commitlintrc*", "/commitlint.config.*"] {
        out.push(rule(
            glob.to_string(),
            "a commitlint config sets the commit rules where harness.toml has no `[commits]`: only a person changes it"
                .to_string(),
        ));
    }
    if let Some(file) = signers.and_then(relative).filter(|f| !f.is_empty()) {
        out.push(rule(
            format!("/{file}"),
            format!("the approvals signers file (`{file}`) says who may approve: only a person changes it"),
        ));
    }
    out.extend(plan_records_rules(&display_path(&paths.plans), config));
    out
}

/// The rules refusing [`PERSON_COMMANDS`] to agents, cited to `config`.
pub fn person_rules(config: &Path) -> Vec<Rule> {
    PERSON_COMMANDS
        .iter()
        .map(|c| Rule {
            kind: RuleKind::PersonOnly {
                command: format!("harness {c}"),
            },
            provenance: Provenance::new(config, 1),
            source_text: format!(
                "`{} {c}` records a person's decision: only a person runs it, outside the agent's session",
                crate::BIN
            ),
        })
        .collect()
}

/// A relative path inside the project, `/`-separated, without `./` and
/// trailing slashes; `None` for one that lies outside it.
fn relative(p: &Path) -> Option<String> {
    if p.is_absolute() {
        return None;
    }
    let shown = display_path(&super::paths::normalize(p));
    if shown == ".." || shown.starts_with("../") {
        return None;
    }
    Some(shown.trim_matches('/').trim_start_matches("./").to_string())
        .map(|s| if s == "." { String::new() } else { s })
}

/// The decision command (one of [`PERSON_COMMANDS`]) the words of a simple
/// command run, if any.
///
/// A two-word command (`plan approve`) is recognised after any program, so
/// `cargo run -- plan approve`, `./target/debug/harness-agents plan approve`, a
/// copy under another name and `xargs harness-agents plan approve` are all caught;
/// `echo plan approve` is refused too, which costs nothing. A one-word
/// command (`init`, `install`) is common to other tools, so it counts only
/// right after a program named `harness*` or cargo's `--`.
pub fn person_command(words: &[String]) -> Option<&'static str> {
    for (i, word) in words.iter().enumerate() {
        for command in PERSON_COMMANDS {
            let mut parts = command.split(' ');
            if parts.next() != Some(word.as_str()) {
                continue;
            }
            let rest: Vec<&str> = parts.collect();
            if rest.is_empty() {
                if invoked_as_harness(&words[..i]) {
                    return Some(command);
                }
                continue;
            }
            let following = subcommand_words(&words[i + 1..], rest.len());
            if following == rest {
                return Some(command);
            }
        }
    }
    None
}

/// The first `n` words that are not options or option values.
fn subcommand_words(words: &[String], n: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut skip = false;
    for w in words {
        if out.len() == n {
            break;
        }
        if skip {
            skip = false;
            continue;
        }
        if w.starts_with('-') {
            skip = VALUE_OPTIONS.contains(&w.as_str());
            continue;
        }
        out.push(w.as_str());
    }
    out
}

/// Whether the words before a subcommand end with harness itself: a
/// program named `harness*` (by any path) or cargo's `--`, then options.
fn invoked_as_harness(before: &[String]) -> bool {
    let mut i = before.len();
    while i > 0 {
        let w = &before[i - 1];
        let value_of_option = i >= 2 && VALUE_OPTIONS.contains(&before[i - 2].as_str());
        if w == "--" {
            return before[..i - 1].iter().any(|w| program_name(w) == "cargo");
        }
        if w.starts_with('-') || value_of_option {
            i -= if value_of_option && !w.starts_with('-') {
                2
            } else {
                1
            };
            continue;
        }
        return program_name(w).starts_with("harness");
    }
    false
}

fn program_name(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn case(command: &str, expected: Option<&str>) {
        let words = shlex::split(command).unwrap();
        assert_eq!(person_command(&words), expected, "{command}");
    }

    #[test]
    fn finds_decision_commands_however_harness_is_run() {
        case(
            "harness-agents plan approve 7 --by me",
            Some("plan approve"),
        );
        case(
            "./target/debug/harness-agents plan approve 7",
            Some("plan approve"),
        );
        case(
            "cargo run -q -p harness-agents -- --format json plan approve 7",
            Some("plan approve"),
        );
        case(
            "harness-agents plan --format json reject 7",
            Some("plan reject"),
        );
        case("/tmp/h plan approve 7", Some("plan approve"));
        case(
            "xargs -I{} harness-agents task rebase {}",
            Some("task rebase"),
        );
        case("harness --color never init --force", Some("init"));
        case("cargo run -- init --force", Some("init"));
        case("harness -C . install claude", Some("install"));
        case("harness-agents commits hook install", Some("commits hook"));
        // Harmless twins.
        case("harness-agents plan show 7", None);
        case("harness-agents plan list", None);
        case("harness-agents task start 0007-1", None);
        case("git init", None);
        case("cargo install ripgrep", None);
        case("npm install", None);
        case("grep -r 'plan approve' README.md", None);
        case("harness-agents plan new --agent init x", None);
    }

    #[test]
    fn control_rules_cover_the_configured_paths() {
        let paths = Paths {
            agents: vec!["./defs/".into(), "/abs/elsewhere".into()],
            ..Paths::default()
        };
        let rules = control_rules(
            Path::new("harness.toml"),
            &paths,
            Some(Path::new("keys/signers")),
        );
        let globs: Vec<&str> = rules
            .iter()
            .filter_map(|r| match &r.kind {
                RuleKind::ProtectPath { glob } => Some(glob.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(
            globs,
            [
                "/defs",
                "/.claude/agents",
                "harness.toml",
                "/.claude/settings*.json",
                "~/.claude/settings*.json",
                "/.gemini",
                "~/.gemini/settings*.json",
                "/.codex",
                "~/.codex/*.{json,toml}",
                "/.github/hooks",
                "/.github/agents",
                "/.cursor/hooks.json",
                "~/.cursor/hooks.json",
                "/.cursor/rules",
                "/.opencode",
                "/.cursor/skills",
                "/.agents/skills",
                "/opencode.json*",
                "~/.config/opencode",
                "~/.claude/agents",
                ".git",
                "/.harness",
                "/.github/workflows",
                "/.gitlab-ci.yml",
                "/.commitlintrc*",
                "/commitlint.config.*",
                "/keys/signers",
                "/plans/[0-9]/",
                "/plans/[0-9]*[0-9]/",
            ]
        );
    }
}
