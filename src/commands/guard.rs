//! `harness-agents guard` (the PreToolUse hook) and `harness-agents policy test`.
//!
//! Claude Code runs the hook before every tool call, so this path does as
//! little as it can: it reads only the acting agent's file when that file
//! is named after the agent, starts no runtime, and looks at plans only
//! when a decision needs one.

use std::io::Read as _;
use std::path::PathBuf;

use serde::Serialize;
use serde_json::{Value, json};

use super::Context;
use crate::cli::{GuardArgs, PolicyTestArgs};
use crate::config::Project;
use crate::error::{Error, Outcome, Result};
use crate::guard::{self, Request, STDIN, hook};
use crate::policy::{GuardDecision, RuleKind, ToolCall};
use crate::report::{self, Format};

pub fn run(ctx: &Context, args: &GuardArgs) -> Result<Outcome> {
    // A panicking hook would exit 101, which Claude Code takes as "no
    // objection": fail closed instead, with exit 2.
    let result = std::panic::catch_unwind(|| hook(ctx, args)).unwrap_or_else(|_| {
        Err(Error::usage(
            "harness-agents guard failed with an internal error; the tool call is denied",
        ))
    });
    match result {
        Err(err) if !args.explain => refuse_failed(args.from, err),
        other => other,
    }
}

/// A guard that failed, answered so the call is refused: where a failing
/// hook does not block the call (Copilot, Cursor), as a refusal on stdout,
/// the error itself still going to stderr; elsewhere as the error (exit 2).
pub fn refuse_failed(from: hook::Tool, err: Error) -> Result<Outcome> {
    if from.blocks_on_exit() || !from.has_hook() {
        return Err(err);
    }
    report::error(&err);
    let why = match &err {
        Error::Input(diags) => diags
            .iter()
            .map(|d| d.message.as_str())
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    };
    let reason = format!("harness-agents guard could not check this call, so it is denied: {why}");
    report::text(&hook::refusal(from, &reason))?;
    Ok(Outcome::Success)
}

fn hook(ctx: &Context, args: &GuardArgs) -> Result<Outcome> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| Error::io("read", STDIN, e))?;
    let event = hook::parse(args.from, &text)?;
    let (project, root) = project(ctx, args)?;
    // Relative paths in the call start where the session is; the project
    // (and so the policy) never does.
    let cwd = event
        .cwd
        .as_ref()
        .filter(|c| c.is_dir())
        .cloned()
        .unwrap_or_else(|| ctx.cwd.clone());
    let plan = std::env::var("HARNESS_PLAN").ok();
    let request = Request {
        event_agent: event.agent.as_deref(),
        agent: args.agent.as_deref(),
        cwd: &cwd,
        plan: plan.as_deref(),
    };
    let mut agent = None;
    let mut decisions = Vec::new();
    let mut decided = None;
    for call in &event.calls {
        let verdict = guard::decide(&project, &request, call)?;
        agent = verdict.agent;
        let deny = verdict.decision.is_deny();
        decisions.push(verdict.decision);
        decided = Some(call);
        if deny {
            break;
        }
    }
    let (Some(call), Some(decision)) = (decided, hook::combine(decisions)) else {
        return Err(Error::usage("the hook event holds no tool call"));
    };
    if args.explain {
        return explain(ctx.format, agent.as_deref(), Some(&root), call, &decision);
    }
    report::text(&hook::answer(args.from, &decision))?;
    Ok(Outcome::Success)
}

/// The project the hook guards, and where its root came from: `--root`
/// (baked into the installed hook), else `CLAUDE_PROJECT_DIR` (set by Claude
/// Code for hooks), else discovery from harness's own working directory.
/// The event's `cwd` is the agent's to move, so it never chooses the policy.
fn project(ctx: &Context, args: &GuardArgs) -> Result<(Project, String)> {
    let fixed = match &args.root {
        Some(root) => Some((root.clone(), "--root")),
        None => std::env::var_os("CLAUDE_PROJECT_DIR")
            .filter(|d| !d.is_empty())
            .map(|d| (PathBuf::from(d), "CLAUDE_PROJECT_DIR")),
    };
    match fixed {
        Some((root, source)) => {
            let root = ctx.cwd.join(root);
            if !root.is_dir() {
                return Err(Error::usage(format!(
                    "the project root `{}` (from {source}) is not a directory; the tool call is denied",
                    root.display()
                )));
            }
            let shown = format!("{} (from {source})", root.display());
            Ok((Project::open(&root)?, shown))
        }
        None => {
            let project = Project::discover(&ctx.cwd)?;
            let shown = format!(
                "{} (found from the working directory: no --root, no CLAUDE_PROJECT_DIR)",
                project.root.display()
            );
            Ok((project, shown))
        }
    }
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
    let plan = std::env::var("HARNESS_PLAN").ok();
    let request = Request {
        event_agent: None,
        agent: args.agent.as_deref(),
        cwd: &ctx.cwd,
        plan: plan.as_deref(),
    };
    let call = ToolCall {
        tool_name: args.tool.clone(),
        tool_input: input,
    };
    let verdict = guard::decide(&project, &request, &call)?;
    explain(
        ctx.format,
        verdict.agent.as_deref(),
        None,
        &call,
        &verdict.decision,
    )
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
    #[serde(skip_serializing_if = "Option::is_none")]
    root: Option<&'a str>,
    tool: &'a str,
    input: &'a Value,
    #[serde(flatten)]
    decision: &'a GuardDecision,
}

fn explain(
    format: Format,
    agent: Option<&str>,
    root: Option<&str>,
    call: &ToolCall,
    decision: &GuardDecision,
) -> Result<Outcome> {
    match format {
        Format::Json => report::json(&Explained {
            agent,
            root,
            tool: &call.tool_name,
            input: &call.tool_input,
            decision,
        })?,
        Format::Text => report::text(&explain_text(agent, root, decision))?,
    }
    Ok(Outcome::failed_if(decision.is_deny()))
}

fn explain_text(agent: Option<&str>, root: Option<&str>, d: &GuardDecision) -> String {
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
        agent.unwrap_or("none (project rules only; writes refused)")
    ));
    if let Some(root) = root {
        s.push_str(&format!("  {}root{:#}: {root}\n", report::DIM, report::DIM));
    }
    if let Some(rule) = &d.rule {
        let kind = match &rule.kind {
            RuleKind::AllowTool { tool } => format!("allow tool `{tool}`"),
            RuleKind::DenyTool { tool } => format!("deny tool `{tool}`"),
            RuleKind::ProtectPath { glob } => format!("protected path `{glob}`"),
            RuleKind::WriteOnly { glob } => format!("writes only `{glob}`"),
            RuleKind::RequireApprovedPlan => "requires an approved plan".to_string(),
            RuleKind::PersonOnly { command } => format!("only a person runs `{command}`"),
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
