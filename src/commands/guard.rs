//! `harness guard` (the PreToolUse hook) and `harness policy test`.
//!
//! Claude Code runs the hook before every tool call, so this path does as
//! little as it can: it reads only the acting agent's file when that file
//! is named after the agent, starts no runtime, and looks at plans only
//! when a decision needs one.

use std::io::Read as _;

use serde::Serialize;
use serde_json::{Value, json};

use super::Context;
use crate::cli::{GuardArgs, PolicyTestArgs};
use crate::error::{Error, Outcome, Result};
use crate::guard::{self, HookEvent, Request, STDIN};
use crate::policy::{GuardDecision, RuleKind, ToolCall};
use crate::report::{self, Format};

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
    let event = HookEvent::parse(&text)?;
    let cwd = event
        .cwd
        .as_ref()
        .filter(|c| c.is_dir())
        .cloned()
        .unwrap_or_else(|| ctx.cwd.clone());
    let project = crate::config::Project::discover(&cwd)?;
    let plan = std::env::var("HARNESS_PLAN").ok();
    let request = Request {
        event_agent: event.agent_type.as_deref(),
        agent: args.agent.as_deref(),
        cwd: &cwd,
        plan: plan.as_deref(),
    };
    let call = event.call();
    let verdict = guard::decide(&project, &request, &call)?;
    if args.explain {
        return explain(
            ctx.format,
            verdict.agent.as_deref(),
            &call,
            &verdict.decision,
        );
    }
    if verdict.decision.is_deny() {
        let answer = json!({
            "hookSpecificOutput": {
                "hookEventName": "PreToolUse",
                "permissionDecision": "deny",
                "permissionDecisionReason": verdict.decision.reason,
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
