//! Installing into GitHub Copilot: each agent as a custom agent in
//! `.github/agents/NAME.agent.md`, and the guard as a `preToolUse` hook in
//! `.github/hooks/harness.json`.
//!
//! A custom agent's front matter is `name`, `description`, `tools` (Copilot's
//! tool aliases: `read`, `edit`, `execute`, `search`, `agent`, `web`,
//! `todo`, `SERVER/TOOL`) and `model` (GitHub's custom agents reference).
//! Hook files are `{version: 1, hooks: {preToolUse: [{type, bash,
//! timeoutSec}]}}` (Copilot CLI's hooks reference). Copilot CLI skips a
//! hook that fails, so `harness-agents guard --from copilot` answers its own
//! errors with a refusal rather than an exit code.

use std::path::Path;

use serde_json::json;

use super::engine::{self, Owned, Plan, Source};
use super::gemini::markdown;
use crate::agent::tools::ToolSpec;
use crate::config::Project;
use crate::error::Result;
use crate::guard::hook::Tool;

const AGENTS: &str = ".github/agents";
const HOOKS: &str = ".github/hooks/harness.json";
const TOOL: Tool = Tool::Copilot;

/// Claude Code's model aliases, which name no model Copilot offers.
const CLAUDE_ALIASES: &[&str] = &["sonnet", "opus", "haiku", "opusplan"];

pub fn plan(project: &Project, defs: &[Source]) -> Result<Plan> {
    let mut unexpressed = vec![engine::unnamed_agent(TOOL, "preToolUse")];
    let wanted = defs
        .iter()
        .map(|(source, text, def)| {
            let mut front = vec![
                format!("name: {}", engine::yaml_str(&def.name)),
                format!("description: {}", engine::yaml_str(&def.description)),
            ];
            if let Some(tools) = engine::map_tools(def, TOOL, tool_name, &mut unexpressed) {
                front.push(format!("tools: {}", engine::yaml_list(&tools)));
            }
            let known = |m: &str| !CLAUDE_ALIASES.contains(&m);
            if let Some(model) = engine::model_for(def, TOOL, known, &mut unexpressed) {
                front.push(format!("model: {}", engine::yaml_str(&model)));
            }
            engine::guard_only_rules(def, TOOL, &mut unexpressed);
            Owned {
                path: Path::new(AGENTS).join(format!("{}.agent.md", def.name)),
                source,
                name: &def.name,
                text: markdown(TOOL, source, &front, &engine::body(source, text)),
            }
        })
        .collect();
    let mut files = engine::owned_files(project, AGENTS, ".agent.md", wanted)?;
    let hook = json!({
        "type": "command",
        "bash": engine::guard_command(project, TOOL),
        "timeoutSec": 30,
    });
    files.push(engine::json_file(
        project,
        HOOKS,
        "Copilot CLI expects `{\"version\": 1, \"hooks\": {\"preToolUse\": [...]}}`",
        |v| {
            engine::ensure_key(v, "version", json!(1))?;
            engine::merge_flat_hook(v, "preToolUse", "bash", hook)
        },
    )?);
    Ok(Plan { files, unexpressed })
}

/// Copilot's alias for a Claude Code tool (Copilot takes Claude Code's
/// names as aliases too; its own primary aliases are written).
fn tool_name(spec: &ToolSpec) -> Option<String> {
    let name = match spec.name.as_str() {
        "Read" | "NotebookRead" => "read",
        "Edit" | "MultiEdit" | "Write" | "NotebookEdit" => "edit",
        "Bash" => "execute",
        "Grep" | "Glob" | "LS" => "search",
        "Task" | "Agent" => "agent",
        "WebFetch" | "WebSearch" => "web",
        "TodoWrite" => "todo",
        mcp if mcp.starts_with("mcp__") && mcp != "mcp__*" => {
            let mut parts = mcp.trim_start_matches("mcp__").splitn(2, "__");
            let server = parts.next().unwrap_or_default();
            return Some(format!("{server}/{}", parts.next().unwrap_or("*")));
        }
        _ => return None,
    };
    Some(name.to_string())
}
