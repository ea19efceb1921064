//! Installing into Gemini CLI: each agent as a local subagent in
//! `.gemini/agents/NAME.md`, and the guard as a `BeforeTool` hook in
//! `.gemini/settings.json`.
//!
//! A subagent's front matter is `name`, `description`, `kind: local`,
//! `tools` (Gemini CLI's tool names), `model` and `max_turns`, its body the
//! system prompt (Gemini CLI's subagents reference). The hook has no
//! matcher, so every tool call, MCP ones included, reaches the guard; the
//! hooks reference makes exit code 2 a refusal, which is how the guard
//! fails closed there.
//!
//! MCP tools: the hooks reference names them `mcp__SERVER__TOOL`, the
//! subagents reference's `tools` wildcards `mcp_SERVER_*`; each file follows
//! its own reference.

use std::path::Path;

use serde_json::json;

use super::engine::{self, Owned, Plan, Source};
use crate::agent::tools::ToolSpec;
use crate::config::Project;
use crate::error::Result;
use crate::guard::hook::Tool;

const AGENTS: &str = ".gemini/agents";
const SETTINGS: &str = ".gemini/settings.json";
const TOOL: Tool = Tool::Gemini;

pub fn plan(project: &Project, defs: &[Source]) -> Result<Plan> {
    let mut unexpressed = vec![engine::unnamed_agent(TOOL, "BeforeTool")];
    let wanted = defs
        .iter()
        .map(|(source, text, def)| {
            let mut front = vec![
                format!("name: {}", engine::yaml_str(&def.name)),
                format!("description: {}", engine::yaml_str(&def.description)),
                "kind: local".to_string(),
            ];
            if let Some(tools) = engine::map_tools(def, TOOL, tool_name, &mut unexpressed) {
                front.push(format!("tools: {}", engine::yaml_list(&tools)));
            }
            let model =
                engine::model_for(def, TOOL, |m| m.starts_with("gemini-"), &mut unexpressed);
            if let Some(model) = model {
                front.push(format!("model: {}", engine::yaml_str(&model)));
            }
            if let Some(turns) = def.max_turns {
                front.push(format!("max_turns: {turns}"));
            }
            engine::guard_only_rules(def, TOOL, &mut unexpressed);
            Owned {
                path: Path::new(AGENTS).join(format!("{}.md", def.name)),
                source,
                name: &def.name,
                text: markdown(TOOL, source, &front, &engine::body(source, text)),
            }
        })
        .collect();
    let mut files = engine::owned_files(project, AGENTS, ".md", wanted)?;
    let hook = json!({
        "name": "harness-guard",
        "type": "command",
        "command": engine::guard_command(project, TOOL),
        "description": "Asks harness's policy before each tool call",
    });
    files.push(engine::json_file(
        project,
        SETTINGS,
        "Gemini CLI expects `hooks.BeforeTool` to be a list of {matcher, hooks} entries",
        |v| engine::merge_grouped_hook(v, "BeforeTool", None, hook),
    )?);
    Ok(Plan { files, unexpressed })
}

/// A Markdown agent file: the marker, the front matter lines, the body.
pub fn markdown(tool: Tool, source: &Path, front: &[String], body: &str) -> String {
    let mut out = format!("---\n{}", engine::marker_line(tool, source));
    for line in front {
        out.push_str(line);
        out.push('\n');
    }
    out.push_str("---\n");
    out.push_str(body);
    out
}

/// Gemini CLI's name for a Claude Code tool.
fn tool_name(spec: &ToolSpec) -> Option<String> {
    let name = match spec.name.as_str() {
        "Read" | "NotebookRead" => "read_file",
        "Write" => "write_file",
        "Edit" | "MultiEdit" | "NotebookEdit" => "replace",
        "Bash" => "run_shell_command",
        "Glob" => "glob",
        "Grep" => "grep_search",
        "LS" => "list_directory",
        "WebFetch" => "web_fetch",
        "WebSearch" => "google_web_search",
        "TodoWrite" => "write_todos",
        "mcp__*" => "mcp_*",
        mcp if mcp.starts_with("mcp__") => {
            let mut parts = mcp.trim_start_matches("mcp__").splitn(2, "__");
            let server = parts.next().unwrap_or_default();
            return Some(match parts.next() {
                Some(tool) => format!("mcp_{server}_{tool}"),
                None => format!("mcp_{server}_*"),
            });
        }
        _ => return None,
    };
    Some(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claude_code_tools_get_gemini_names() {
        for (claude, gemini) in [
            ("Bash(git diff:*)", Some("run_shell_command")),
            ("MultiEdit", Some("replace")),
            ("mcp__github", Some("mcp_github_*")),
            ("mcp__github__create_issue", Some("mcp_github_create_issue")),
            ("AskUserQuestion", None),
        ] {
            let spec = ToolSpec::parse(claude, 1);
            assert_eq!(tool_name(&spec).as_deref(), gemini, "{claude}");
        }
    }
}
