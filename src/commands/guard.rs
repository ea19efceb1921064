//! `harness guard` (the PreToolUse hook) and `harness policy test`.
//!
//! Claude Code runs the hook before every tool call, so this path does as
//! little as it can: it reads only the acting agent's file when that file
//! is named after the agent, starts no runtime, and looks at plans only
//! when a decision needs one.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::Context;
use crate::agent::{self, AgentDefinition, Catalog, validate};
use crate::cli::{GuardArgs, PolicyTestArgs};
use crate::config::Project;
use crate::diagnostic::{Diagnostic, Span, display_path};
use crate::error::{Error, Outcome, Result};
use crate::fsutil;
use crate::plan;
use crate::policy::decision::plan_records_rule;
use crate::policy::paths::Resolver;
use crate::policy::{
    ActivePlan, Guard, GuardDecision, PlanLookup, PlanSource, PlanStatus, Policy, RuleKind,
    ToolCall,
};
use crate::report::{self, Format};
use crate::task;

/// One PreToolUse event, as Claude Code sends it. Fields harness does not
/// use are accepted and ignored, so a newer Claude Code does not break it.
#[derive(Debug, Deserialize)]
struct HookEvent {
    cwd: Option<PathBuf>,
    hook_event_name: Option<String>,
    tool_name: String,
    tool_input: serde_json::Map<String, Value>,
    agent_type: Option<String>,
}

const STDIN: &str = "<stdin>";

pub fn run(ctx: &Context, args: &GuardArgs) -> Result<Outcome> {
    // A panicking hook would exit 101, which Claude Code takes as "no
    // objection": fail closed instead, with exit 2.
    std::panic::catch_unwind(|| hook(ctx, args)).unwrap_or_else(|_| {
        Err(Error::usage(
            "harness guard failed with an internal error; the tool call is denied",
        ))
    })
}

fn hook(ctx: &Context, args: &GuardArgs) -> Result<Outcome> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| Error::io("read", STDIN, e))?;
    let event = parse_event(&text)?;
    let cwd = event
        .cwd
        .as_ref()
        .filter(|c| c.is_dir())
        .cloned()
        .unwrap_or_else(|| ctx.cwd.clone());
    let project = Project::discover(&cwd)?;
    let name = acting_agent(event.agent_type.as_deref(), args.agent.as_deref(), &project)?;
    let def = match &name {
        Some(n) => Some(load_agent(&project, n)?),
        None => None,
    };
    let call = ToolCall {
        tool_name: event.tool_name,
        tool_input: Value::Object(event.tool_input),
    };
    let decision = decide(&project, def.as_ref(), &cwd, &call)?;
    if args.explain {
        return explain(ctx.format, name.as_deref(), &call, &decision);
    }
    if decision.is_deny() {
        let answer = json!({
            "hookSpecificOutput": {
                "hookEventName": "PreToolUse",
                "permissionDecision": "deny",
                "permissionDecisionReason": decision.reason,
            }
        });
        report::text(&format!("{answer}\n"))?;
    }
    Ok(Outcome::Success)
}

pub fn policy_test(ctx: &Context, args: &PolicyTestArgs) -> Result<Outcome> {
    let project = ctx.project()?;
    let input = match &args.input {
        Some(raw) => match serde_json::from_str::<Value>(raw) {
            Ok(v @ Value::Object(_)) => v,
            Ok(_) => return Err(Error::usage("--input must be a JSON object")),
            Err(e) => return Err(Error::usage(format!("--input is not valid JSON: {e}"))),
        },
        None => input_from_args(&args.tool, &args.args)?,
    };
    let name = acting_agent(None, args.agent.as_deref(), &project)?;
    let def = match &name {
        Some(n) => Some(load_agent(&project, n)?),
        None => None,
    };
    let call = ToolCall {
        tool_name: args.tool.clone(),
        tool_input: input,
    };
    let decision = decide(&project, def.as_ref(), &ctx.cwd, &call)?;
    explain(ctx.format, name.as_deref(), &call, &decision)
}

fn parse_event(text: &str) -> Result<HookEvent> {
    let event: HookEvent = serde_json::from_str(text).map_err(|e| {
        let span = Span::new(STDIN, e.line(), e.column());
        Error::from(
            Diagnostic::error("invalid-event", format!("not a PreToolUse event: {e}"))
                .at(span)
                .hint("`harness guard` reads Claude Code's PreToolUse hook JSON on stdin; to try a call by hand use `harness policy test`"),
        )
    })?;
    if let Some(name) = event.hook_event_name.as_deref()
        && name != "PreToolUse"
    {
        return Err(Diagnostic::error(
            "invalid-event",
            format!("`harness guard` answers PreToolUse events, not `{name}`"),
        )
        .hint("register `harness guard` under `hooks.PreToolUse` in .claude/settings.json")
        .into());
    }
    Ok(event)
}

/// The agent whose policy applies: the event's subagent when a definition
/// of it exists (Claude Code's built-in subagents have none), else the
/// flag or HARNESS_AGENT, else the configured default.
fn acting_agent(
    agent_type: Option<&str>,
    flag: Option<&str>,
    project: &Project,
) -> Result<Option<String>> {
    if let Some(name) = agent_type.filter(|n| !n.is_empty())
        && agent_is_defined(project, name)
    {
        return Ok(Some(name.to_string()));
    }
    Ok(flag
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .or_else(|| project.config.policy.default.clone()))
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
fn load_agent(project: &Project, name: &str) -> Result<AgentDefinition> {
    let ctx = validate::Context {
        skill_dirs: project.skill_dirs(),
        root: project.root.clone(),
    };
    let file = format!("{name}.md");
    for dir in project.agent_dirs() {
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

fn decide(
    project: &Project,
    def: Option<&AgentDefinition>,
    cwd: &Path,
    call: &ToolCall,
) -> Result<GuardDecision> {
    let policy = def.map(Policy::compile);
    let mut project_rules = match &project.config_path {
        Some(path) if !project.config.guard.protected_paths.is_empty() => {
            let text = fsutil::read_text(path)?;
            project.config.guard.rules(project.relative(path), &text)
        }
        _ => Vec::new(),
    };
    let plans_dir = display_path(&project.config.paths.plans);
    let config = project
        .config_path
        .as_deref()
        .map_or(Path::new(crate::config::FILE_NAME), |p| project.relative(p));
    project_rules.push(plan_records_rule(&plans_dir, config));
    let resolver = Resolver::new(&project.root, cwd);
    let guard = Guard::new(policy.as_ref(), &project_rules, resolver.root(), &plans_dir)?;
    let plans = ProjectPlans { project };
    Ok(guard.decide(call, &resolver, &plans))
}

/// The project's plans and tasks, asked for the active plan only when the
/// plan gate needs it: `HARNESS_PLAN` names it, else the plan of the task
/// the agent has in progress.
struct ProjectPlans<'a> {
    project: &'a Project,
}

impl PlanSource for ProjectPlans<'_> {
    fn active_plan(&self, agent: &str) -> std::result::Result<PlanLookup, String> {
        let found = match std::env::var("HARNESS_PLAN") {
            Ok(id) if !id.trim().is_empty() => Some(
                plan::Store::open(self.project)
                    .get(id.trim())
                    .map_err(|e| e.to_string())?,
            ),
            _ => task::Store::open(self.project)
                .active(agent)
                .map_err(|e| e.to_string())?
                .map(|(_, plan)| plan),
        };
        let Some(plan) = found else {
            return Ok(PlanLookup::NoPlan);
        };
        let status = match plan.state() {
            plan::PlanState::Approved(_) => PlanStatus::Approved,
            plan::PlanState::Changed { .. } => PlanStatus::ChangedSinceApproval,
            other => PlanStatus::NotApproved(other.name().to_string()),
        };
        Ok(PlanLookup::Active(ActivePlan {
            id: plan.padded_id(),
            path: self.project.relative(&plan.path).to_path_buf(),
            status,
            scope: plan.scope().clone(),
        }))
    }
}

/// Builds a tool input from `policy test` arguments.
fn input_from_args(tool: &str, args: &[String]) -> Result<Value> {
    let first = || {
        args.first().cloned().ok_or_else(|| {
            Error::usage(format!(
                "`{tool}` needs an argument (or give the whole input with --input)"
            ))
        })
    };
    let second = args.get(1).cloned();
    Ok(match tool {
        "Bash" => {
            first()?;
            json!({ "command": args.join(" ") })
        }
        "Read" | "Edit" | "Write" | "MultiEdit" => json!({ "file_path": first()? }),
        "NotebookEdit" | "NotebookRead" => json!({ "notebook_path": first()? }),
        "Glob" | "Grep" => match second {
            Some(path) => json!({ "pattern": first()?, "path": path }),
            None => json!({ "pattern": first()? }),
        },
        "WebFetch" => json!({ "url": first()? }),
        "WebSearch" => json!({ "query": args.join(" ") }),
        "Agent" | "Task" => json!({ "subagent_type": first()? }),
        "Skill" => json!({ "skill": first()? }),
        _ => match args.first() {
            Some(a) => json!({ "input": a }),
            None => json!({}),
        },
    })
}

#[derive(Serialize)]
struct Explained<'a> {
    agent: Option<&'a str>,
    tool: &'a str,
    input: &'a Value,
    #[serde(flatten)]
    decision: &'a GuardDecision,
}

fn explain(
    format: Format,
    agent: Option<&str>,
    call: &ToolCall,
    decision: &GuardDecision,
) -> Result<Outcome> {
    match format {
        Format::Json => report::json(&Explained {
            agent,
            tool: &call.tool_name,
            input: &call.tool_input,
            decision,
        })?,
        Format::Text => report::text(&explain_text(agent, decision))?,
    }
    Ok(Outcome::failed_if(decision.is_deny()))
}

fn explain_text(agent: Option<&str>, d: &GuardDecision) -> String {
    let (style, word) = if d.is_deny() {
        (report::ERROR, "deny")
    } else {
        (report::OK, "allow")
    };
    let mut s = format!("{style}{word}{style:#}: {}\n", d.reason);
    s.push_str(&format!(
        "  {}agent{:#}: {}\n",
        report::DIM,
        report::DIM,
        agent.unwrap_or("none (project rules only)")
    ));
    if let Some(rule) = &d.rule {
        let kind = match &rule.kind {
            RuleKind::AllowTool { tool } => format!("allow tool `{tool}`"),
            RuleKind::DenyTool { tool } => format!("deny tool `{tool}`"),
            RuleKind::ProtectPath { glob } => format!("protected path `{glob}`"),
            RuleKind::WriteOnly { glob } => format!("writes only `{glob}`"),
            RuleKind::RequireApprovedPlan => "requires an approved plan".to_string(),
            other => format!("{other:?}"),
        };
        s.push_str(&format!(
            "  {}rule{:#}: {kind}, from {}: {}\n",
            report::DIM,
            report::DIM,
            rule.provenance,
            rule.source_text
        ));
    }
    s
}
