//! The guard as a use case: one tool call, as Claude Code's PreToolUse hook
//! sends it or as `harness-agents policy test` builds it, decided against the
//! acting agent's policy, the project's rules and the active plan.
//!
//! This module gathers the inputs ([`crate::policy::Guard`] decides): which
//! agent acts, its definition (any error in it denies: the guard fails
//! closed), the project's `[guard]` rules, the control-file and
//! decision-command rules ([`crate::policy::control`]), and the active
//! plan, asked only when the plan gate needs it. The hook runs before every
//! tool call, so the common case reads one agent file and no plan.
//!
//! Identity fails closed: an event naming no agent, or one with no
//! definition (Claude Code's built-in `general-purpose`, a misspelt
//! `Realtime-Dev`), gets `[policy] default`; with no default either, every
//! write is refused and the reason says how to set one.
//!
//! Other agent tools' hooks reach the same decision through [`hook`], which
//! reads their events into Claude Code's terms and answers in theirs.

pub mod hook;

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use crate::agent::{self, AgentDefinition, Catalog, validate};
use crate::config::{self, Project};
use crate::diagnostic::{Code, Diagnostic, Span, display_path};
use crate::error::{Error, Result};
use crate::fsutil;
use crate::plan::{self, PlanStatus};
use crate::policy::control;
use crate::policy::paths::Resolver;
use crate::policy::{Guard, GuardDecision, PlanSource, Policy, Rule, ToolCall};
use crate::task;

/// Where hook events are read from, as errors name it.
pub const STDIN: &str = "<stdin>";

/// One PreToolUse event, as Claude Code sends it. Fields harness does not
/// use are accepted and ignored, so a newer Claude Code does not break it.
#[derive(Debug, Deserialize)]
pub struct HookEvent {
    pub cwd: Option<PathBuf>,
    pub hook_event_name: Option<String>,
    pub tool_name: String,
    pub tool_input: serde_json::Map<String, Value>,
    pub agent_type: Option<String>,
}

impl HookEvent {
    /// Reads an event; errors are located in the JSON text.
    pub fn parse(text: &str) -> Result<HookEvent> {
        let event: HookEvent = serde_json::from_str(text).map_err(|e| {
            let span = Span::new(STDIN, e.line(), e.column());
            Error::from(
                Diagnostic::error(Code::InvalidEvent, format!("not a PreToolUse event: {e}"))
                    .at(span)
                    .hint("`harness-agents guard` reads Claude Code's PreToolUse hook JSON on stdin; to try a call by hand use `harness-agents policy test`"),
            )
        })?;
        if let Some(name) = event.hook_event_name.as_deref()
            && name != "PreToolUse"
        {
            return Err(Diagnostic::error(
                Code::InvalidEvent,
                format!("`harness-agents guard` answers PreToolUse events, not `{name}`"),
            )
            .hint(
                "register `harness-agents guard` under `hooks.PreToolUse` in .claude/settings.json",
            )
            .into());
        }
        Ok(event)
    }

    /// The call the event asks about.
    pub fn call(&self) -> ToolCall {
        ToolCall {
            tool_name: self.tool_name.clone(),
            tool_input: Value::Object(self.tool_input.clone()),
        }
    }
}

/// The inputs of one decision.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The subagent the event names (`agent_type`), if any.
    pub event_agent: Option<&'a str>,
    /// The agent named by `--agent` or `HARNESS_AGENT`.
    pub agent: Option<&'a str>,
    /// The directory the tool call runs in; relative paths start there.
    pub cwd: &'a Path,
    /// The plan named by `HARNESS_PLAN`, which overrides the agent's task.
    pub plan: Option<&'a str>,
}

/// A decision and the agent whose policy made it.
#[derive(Debug, Clone)]
pub struct Ruling {
    pub agent: Option<String>,
    pub decision: GuardDecision,
}

/// Decides `call` in `project`.
pub fn decide(project: &Project, request: &Request<'_>, call: &ToolCall) -> Result<Ruling> {
    let name = acting_agent(project, request.event_agent, request.agent);
    let def = match &name {
        Some(n) => Some(load_agent(project, n)?),
        None => None,
    };
    let decision = decide_for(project, def.as_ref(), name.is_none(), request, call)?;
    Ok(Ruling {
        agent: name,
        decision,
    })
}

/// The agent whose policy applies: the event's subagent when a definition
/// of it exists (Claude Code's built-in subagents have none), else the
/// flag or HARNESS_AGENT, else the configured default.
fn acting_agent(
    project: &Project,
    event_agent: Option<&str>,
    flag: Option<&str>,
) -> Option<String> {
    if let Some(name) = event_agent.filter(|n| validate::is_loadable_name(n))
        && agent_is_defined(project, name)
    {
        return Some(name.to_string());
    }
    flag.filter(|n| !n.is_empty())
        .map(str::to_string)
        .or_else(|| project.config.policy.default.clone())
}

fn agent_is_defined(project: &Project, name: &str) -> bool {
    let file = format!("{name}.md");
    if project.agent_dirs().iter().any(|d| d.join(&file).is_file()) {
        return true;
    }
    Catalog::load(project).get(name).is_some()
}

/// Loads one agent. Looks first at `DIR/NAME.md` in each agent directory,
/// in order, so the common case reads one file; falls back to reading
/// every definition. Any error in the agent's file is an error here: the
/// guard fails closed.
pub(crate) fn load_agent(project: &Project, name: &str) -> Result<AgentDefinition> {
    let ctx = validate::Context::errors_only(project);
    let file = format!("{name}.md");
    // A name is never a path: `../x` must not reach a file outside the
    // agent directories.
    let direct = if validate::is_loadable_name(name) {
        project.agent_dirs()
    } else {
        Vec::new()
    };
    for dir in direct {
        let path = dir.join(&file);
        if !path.is_file() {
            continue;
        }
        let shown = project.relative(&path).to_path_buf();
        let text = fsutil::read_text(&path)?;
        let parsed = agent::definition::parse(&shown, &text)?;
        if parsed.definition.name != name {
            break;
        }
        let mut problems: Vec<Diagnostic> = parsed
            .diagnostics
            .into_iter()
            .chain(validate::validate(&parsed.definition, &ctx))
            .filter(Diagnostic::is_error)
            .collect();
        if !problems.is_empty() {
            problems.truncate(5);
            return Err(Error::Input(problems));
        }
        return Ok(parsed.definition);
    }
    let catalog = Catalog::load(project);
    let def = catalog.require(name)?;
    let problems: Vec<Diagnostic> = catalog
        .diagnostics
        .iter()
        .filter(|d| d.is_error() && d.span.as_ref().is_some_and(|s| s.path == def.source))
        .cloned()
        .collect();
    if !problems.is_empty() {
        return Err(Error::Input(problems));
    }
    Ok(def.clone())
}

fn decide_for(
    project: &Project,
    def: Option<&AgentDefinition>,
    unnamed: bool,
    request: &Request<'_>,
    call: &ToolCall,
) -> Result<GuardDecision> {
    let policy = def.map(Policy::compile);
    let project_rules = project_rules(project)?;
    let plans_dir = display_path(&project.config.paths.plans);
    let resolver = Resolver::new(&project.root, request.cwd);
    let mut guard = Guard::new(policy.as_ref(), &project_rules, resolver.root(), &plans_dir)?;
    if unnamed {
        guard = guard.deny_writes(NO_AGENT);
    }
    let plans = ActivePlans {
        project,
        named: request.plan.map(str::trim).filter(|p| !p.is_empty()),
    };
    Ok(guard.decide(call, &resolver, &plans))
}

/// The project's own rules, whichever agent acts: `[guard]
/// protected_paths`, harness's control files and the commands only a
/// person runs.
pub fn project_rules(project: &Project) -> Result<Vec<Rule>> {
    let mut rules = match &project.config_path {
        Some(path) if !project.config.guard.protected_paths.is_empty() => {
            let text = fsutil::read_text(path)?;
            project.config.guard.rules(project.relative(path), &text)
        }
        _ => Vec::new(),
    };
    let config = project
        .config_path
        .as_deref()
        .map_or(Path::new(config::FILE_NAME), |p| project.relative(p));
    rules.extend(control::control_rules(
        config,
        &project.config.paths,
        project.config.approvals.signers.as_deref(),
    ));
    rules.extend(control::person_rules(config));
    Ok(rules)
}

/// Why a write is refused when no agent can be named.
const NO_AGENT: &str = "no agent is named for this call (no known `agent_type`, no --agent or HARNESS_AGENT) and harness.toml sets no `[policy] default`, so its policy is unknown; set one in harness.toml: `[policy]` `default = \"realtime-dev\"`";

/// The plan an agent works under: the one `HARNESS_PLAN` names, else the
/// plan of the task the agent has in progress.
struct ActivePlans<'a> {
    project: &'a Project,
    named: Option<&'a str>,
}

impl PlanSource for ActivePlans<'_> {
    fn active_plan(&self, agent: &str) -> std::result::Result<Option<PlanStatus>, String> {
        if let Some(id) = self.named {
            return Ok(Some(plan::Store::open(self.project).status(id)));
        }
        Ok(task::Store::open(self.project)
            .active(agent)
            .map_err(|e| e.to_string())?
            .map(|(_, plan)| PlanStatus::of(&plan)))
    }
}
