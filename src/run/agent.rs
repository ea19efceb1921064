//! How an agent is started: the adapter for its CLI (Claude Code, Codex,
//! Gemini CLI, OpenCode, or a command of the project's own) turns its
//! definition and a prompt into a command line, and [`command`] builds the
//! one process every agent stage runs.

use std::os::unix::process::CommandExt;
use std::path::Path;

use serde::Serialize;

use crate::agent::definition::AgentDefinition;
use std::ffi::{OsStr, OsString};

use crate::config::{Project, RunConfig, SandboxMode};
use crate::error::{Error, Result};
use crate::sandbox;

/// The CLI an agent runs under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Adapter {
    /// `claude -p`, streaming JSON (tool calls are counted from it).
    Claude,
    /// `codex exec --json`.
    Codex,
    /// `gemini -p`.
    Gemini,
    /// `opencode run`.
    OpenCode,
    /// The project's own command line, run by `sh -c`, the prompt on stdin.
    Command(String),
}

impl Adapter {
    /// The adapter `[run.agents.NAME]` gives agent `name`: its `command`,
    /// else its `adapter`, else Claude Code.
    pub fn for_agent(config: &RunConfig, name: &str) -> Result<Adapter> {
        let Some(entry) = config.agents.get(name) else {
            return Ok(Adapter::Claude);
        };
        if let Some(command) = &entry.command {
            return Ok(Adapter::Command(command.clone()));
        }
        match entry.adapter.as_deref() {
            None | Some("claude") => Ok(Adapter::Claude),
            Some("codex") => Ok(Adapter::Codex),
            Some("gemini") => Ok(Adapter::Gemini),
            Some("opencode") => Ok(Adapter::OpenCode),
            Some(other) => Err(Error::usage(format!(
                "`[run.agents.{name}] adapter = \"{other}\"` names no adapter; use claude, codex, gemini or opencode, or set `command`"
            ))),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Adapter::Claude => "claude",
            Adapter::Codex => "codex",
            Adapter::Gemini => "gemini",
            Adapter::OpenCode => "opencode",
            Adapter::Command(_) => "command",
        }
    }
}

/// A command line and what it reads on stdin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Invocation {
    pub program: String,
    pub args: Vec<String>,
    #[serde(skip)]
    pub stdin: String,
    /// Whether stdout is Claude Code's stream-json, whose tool calls count.
    pub stream_json: bool,
}

impl Invocation {
    /// The command line as a person would type it (the prompt elided).
    pub fn display(&self) -> String {
        let mut words = vec![self.program.clone()];
        words.extend(self.args.iter().map(|a| {
            if a.len() > 60 {
                "'...'".to_string()
            } else {
                shlex::try_quote(a).map_or_else(|_| a.clone(), |q| q.into_owned())
            }
        }));
        words.join(" ")
    }
}

/// The command line of `adapter` for agent `def`: `system` is the agent's
/// own prompt (its definition's body), `prompt` the stage's instructions.
pub fn invocation(
    adapter: &Adapter,
    def: &AgentDefinition,
    system: &str,
    prompt: &str,
    max_cost_usd: Option<f64>,
) -> Invocation {
    let model = def.model.as_deref().filter(|m| *m != "inherit");
    let full = || format!("{system}\n\n{prompt}");
    let mut args: Vec<String> = Vec::new();
    let push = |args: &mut Vec<String>, flag: &str, value: &str| {
        args.push(flag.to_string());
        args.push(value.to_string());
    };
    match adapter {
        Adapter::Claude => {
            // The prompt goes on stdin, so the variadic tool lists cannot
            // swallow it.
            args.push("-p".into());
            push(&mut args, "--append-system-prompt", system);
            if let Some(m) = model {
                push(&mut args, "--model", m);
            }
            if let Some(tools) = &def.tools
                && !tools.is_empty()
            {
                args.push("--allowedTools".into());
                args.extend(tools.iter().map(|t| t.raw.clone()));
            }
            if !def.disallowed_tools.is_empty() {
                args.push("--disallowedTools".into());
                args.extend(def.disallowed_tools.iter().map(|t| t.raw.clone()));
            }
            if let Some(mode) = &def.permission_mode {
                push(&mut args, "--permission-mode", mode);
            }
            if let Some(turns) = def.max_turns {
                push(&mut args, "--max-turns", &turns.to_string());
            }
            if let Some(usd) = max_cost_usd {
                push(&mut args, "--max-budget-usd", &usd.to_string());
            }
            args.extend(["--output-format", "stream-json", "--verbose"].map(String::from));
            Invocation {
                program: "claude".into(),
                args,
                stdin: prompt.to_string(),
                stream_json: true,
            }
        }
        Adapter::Codex => {
            args.extend(["exec", "--json"].map(String::from));
            if let Some(m) = model {
                push(&mut args, "--model", m);
            }
            push(&mut args, "--sandbox", "workspace-write");
            // `-` reads the prompt from stdin.
            args.push("-".into());
            Invocation {
                program: "codex".into(),
                args,
                stdin: full(),
                stream_json: false,
            }
        }
        Adapter::Gemini => {
            if let Some(m) = model {
                push(&mut args, "--model", m);
            }
            push(&mut args, "-p", &full());
            Invocation {
                program: "gemini".into(),
                args,
                stdin: String::new(),
                stream_json: false,
            }
        }
        Adapter::OpenCode => {
            args.extend(["run", "--format", "json"].map(String::from));
            if let Some(m) = model {
                push(&mut args, "--model", m);
            }
            args.push(full());
            Invocation {
                program: "opencode".into(),
                args,
                stdin: String::new(),
                stream_json: false,
            }
        }
        Adapter::Command(line) => Invocation {
            program: "sh".into(),
            args: vec!["-c".into(), line.clone()],
            stdin: full(),
            stream_json: false,
        },
    }
}

/// Who a process runs for: the environment harness sets on it.
#[derive(Debug, Clone, Copy)]
pub struct Identity<'a> {
    pub agent: &'a str,
    /// The plan, padded (`0007`).
    pub plan: &'a str,
    pub task: Option<&'a str>,
    /// A reviewer: sandboxed with nothing of the project writable.
    pub read_only: bool,
}

/// The process of one agent stage, in the project root, in a process group
/// of its own (so a timeout or Ctrl-C stops everything it started), with
/// `HARNESS_AGENT`, `HARNESS_PLAN` and `HARNESS_TASK` set.
///
/// Every agent process is built here and nowhere else. A task's agent runs
/// under the sandbox (`[run] sandbox`, required by default): the kernel
/// confines its writes to the plan's scope, and the returned ruleset checks
/// the work tree after it. The plan stage's agent has no approved plan to
/// compile a ruleset from; the guard and the stage's own check hold it.
pub fn command(
    project: &Project,
    inv: &Invocation,
    who: Identity,
) -> Result<(std::process::Command, Option<sandbox::Ruleset>)> {
    let mode = project.config.run.sandbox;
    // Every agent runs under a supervisor of its own that outlives it and
    // kills whatever it left running, in any session or group.
    let supervisor =
        std::env::current_exe().map_err(|e| Error::io("locate", "harness's executable", e))?;
    let args: Vec<OsString> = inv.args.iter().map(OsString::from).collect();
    let (mut cmd, ruleset) = match who.task {
        _ if mode != SandboxMode::Off && (who.task.is_some() || who.read_only) => {
            sandbox::create_outputs(project)?;
            let request = sandbox::Request {
                agent: who.agent.to_string(),
                plan: Some(who.plan.to_string()),
                task: who.task.map(str::to_string),
                best_effort: mode == SandboxMode::BestEffort,
                // harness writes a task's commits: the agent gets no part
                // of `.git/`, so nothing it writes there runs later.
                no_commits: true,
                read_only: who.read_only,
            };
            let ruleset = sandbox::compile(project, &request)?;
            let cmd = ruleset.supervised(&supervisor, OsStr::new(&inv.program), &args)?;
            (cmd, Some(ruleset))
        }
        _ => (
            sandbox::supervised(&supervisor, OsStr::new(&inv.program), &args),
            None,
        ),
    };
    cmd.current_dir(&project.root)
        .env("HARNESS_AGENT", who.agent)
        .env("HARNESS_PLAN", who.plan)
        .process_group(0);
    match who.task {
        Some(task) => cmd.env("HARNESS_TASK", task),
        None => cmd.env_remove("HARNESS_TASK"),
    };
    Ok((cmd, ruleset))
}

/// The agent's own prompt: its definition's body, after the front matter.
pub fn system_prompt(def: &AgentDefinition, root: &Path) -> String {
    let path = root.join(&def.source);
    std::fs::read_to_string(&path)
        .ok()
        .and_then(|text| crate::agent::frontmatter::split(&def.source, &text).ok())
        .map(|s| s.body.trim().to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(front: &str) -> AgentDefinition {
        let text = format!("---\nname: dev\ndescription: Builds things.\n{front}---\n# Dev\n");
        crate::agent::definition::parse(Path::new("agents/dev.md"), &text)
            .unwrap()
            .definition
    }

    #[track_caller]
    fn case(adapter: Adapter, front: &str, expected: &[&str]) {
        let inv = invocation(&adapter, &def(front), "SYSTEM", "PROMPT", Some(2.5));
        let mut line = vec![inv.program.as_str()];
        line.extend(inv.args.iter().map(String::as_str));
        assert_eq!(line, expected);
    }

    #[test]
    fn claude_gets_the_agents_prompt_model_tools_and_stream_json() {
        case(
            Adapter::Claude,
            "model: sonnet\ntools: Read, Edit, Bash(git diff *)\ndisallowedTools: WebFetch\npermissionMode: acceptEdits\nmaxTurns: 30\n",
            &[
                "claude",
                "-p",
                "--append-system-prompt",
                "SYSTEM",
                "--model",
                "sonnet",
                "--allowedTools",
                "Read",
                "Edit",
                "Bash(git diff *)",
                "--disallowedTools",
                "WebFetch",
                "--permission-mode",
                "acceptEdits",
                "--max-turns",
                "30",
                "--max-budget-usd",
                "2.5",
                "--output-format",
                "stream-json",
                "--verbose",
            ],
        );
        // `inherit` is Claude Code's own default: no flag.
        case(
            Adapter::Claude,
            "model: inherit\n",
            &[
                "claude",
                "-p",
                "--append-system-prompt",
                "SYSTEM",
                "--max-budget-usd",
                "2.5",
                "--output-format",
                "stream-json",
                "--verbose",
            ],
        );
    }

    #[test]
    fn codex_gemini_and_opencode_use_their_headless_modes() {
        case(
            Adapter::Codex,
            "model: o3\n",
            &[
                "codex",
                "exec",
                "--json",
                "--model",
                "o3",
                "--sandbox",
                "workspace-write",
                "-",
            ],
        );
        case(Adapter::Gemini, "", &["gemini", "-p", "SYSTEM\n\nPROMPT"]);
        case(
            Adapter::OpenCode,
            "model: anthropic/claude-sonnet\n",
            &[
                "opencode",
                "run",
                "--format",
                "json",
                "--model",
                "anthropic/claude-sonnet",
                "SYSTEM\n\nPROMPT",
            ],
        );
        case(
            Adapter::Command("./agent.sh --fast".into()),
            "",
            &["sh", "-c", "./agent.sh --fast"],
        );
    }

    #[test]
    fn the_process_carries_who_it_runs_for() {
        let inv = invocation(&Adapter::Command("true".into()), &def(""), "", "", None);
        // Unconfined: the sandbox's own tests run it under Landlock.
        let mut config = crate::config::Config::default();
        config.run.sandbox = SandboxMode::Off;
        let project = Project {
            root: Path::new("/").to_path_buf(),
            config_path: None,
            config,
            files: crate::files::Files::disk(),
        };
        let (cmd, ruleset) = command(
            &project,
            &inv,
            Identity {
                agent: "dev",
                plan: "0007",
                task: Some("0007-2"),
                read_only: false,
            },
        )
        .unwrap();
        assert!(ruleset.is_none());
        let env: Vec<(String, Option<String>)> = cmd
            .get_envs()
            .map(|(k, v)| {
                (
                    k.to_string_lossy().into_owned(),
                    v.map(|v| v.to_string_lossy().into_owned()),
                )
            })
            .collect();
        assert!(env.contains(&("HARNESS_AGENT".into(), Some("dev".into()))));
        assert!(env.contains(&("HARNESS_PLAN".into(), Some("0007".into()))));
        assert!(env.contains(&("HARNESS_TASK".into(), Some("0007-2".into()))));
    }
}
