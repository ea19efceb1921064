//! Installing into Codex: each agent as a custom agent in
//! `.codex/agents/NAME.toml`, and the guard as a `PreToolUse` hook in
//! `.codex/hooks.json`.
//!
//! A custom agent is `name`, `description` and `developer_instructions`,
//! with an optional `model` and `sandbox_mode` (Codex's subagents
//! reference); it has no tool list, so `tools` stays with the guard, and an
//! agent that may not write runs in the `read-only` sandbox. Codex's hook
//! event is Claude Code's shape (its published hook schemas), with file
//! edits as `apply_patch` calls; `hooks.json` takes only `description` and
//! `hooks` at its top, so nothing else is written there.

use std::path::Path;

use serde_json::json;

use super::engine::{self, Owned, Plan, Source, Unexpressed};
use crate::agent::AgentDefinition;
use crate::config::Project;
use crate::error::Result;
use crate::guard::hook::Tool;

const AGENTS: &str = ".codex/agents";
const HOOKS: &str = ".codex/hooks.json";
const TOOL: Tool = Tool::Codex;

/// Tools that change files, directly or through a shell.
const WRITING: &[&str] = &["Write", "Edit", "MultiEdit", "NotebookEdit", "Bash"];

pub fn plan(project: &Project, defs: &[Source]) -> Result<Plan> {
    let mut unexpressed = vec![
        engine::unnamed_agent(TOOL, "PreToolUse"),
        Unexpressed::project(
            "the guard's hook",
            "Codex runs a project's hooks only once the person has trusted them: accept it when Codex asks",
        ),
    ];
    let wanted = defs
        .iter()
        .map(|(source, text, def)| {
            let text = toml_agent(source, text, def, &mut unexpressed);
            Owned {
                path: Path::new(AGENTS).join(format!("{}.toml", def.name)),
                source,
                name: &def.name,
                text,
            }
        })
        .collect();
    let mut files = engine::owned_files(project, AGENTS, ".toml", wanted)?;
    let hook = json!({ "type": "command", "command": engine::guard_command(project, TOOL) });
    files.push(engine::json_file(
        project,
        HOOKS,
        "Codex expects `{\"hooks\": {\"PreToolUse\": [{\"hooks\": [...]}]}}`",
        |v| engine::merge_grouped_hook(v, "PreToolUse", None, hook),
    )?);
    Ok(Plan { files, unexpressed })
}

fn toml_agent(
    source: &Path,
    text: &str,
    def: &AgentDefinition,
    unexpressed: &mut Vec<Unexpressed>,
) -> String {
    let s = |v: &str| toml::Value::String(v.to_string()).to_string();
    let mut out = engine::marker_line(TOOL, source);
    out.push_str(&format!("name = {}\n", s(&def.name)));
    out.push_str(&format!("description = {}\n", s(def.description.trim())));
    // OpenAI's names: `gpt-5`, `codex-mini-latest`, `o3`, `o4-mini`.
    let openai = |m: &str| {
        let mut chars = m.chars();
        m.starts_with("gpt-")
            || m.starts_with("codex-")
            || (chars.next() == Some('o') && chars.next().is_some_and(|c| c.is_ascii_digit()))
    };
    if let Some(model) = engine::model_for(def, TOOL, openai, unexpressed) {
        out.push_str(&format!("model = {}\n", s(&model)));
    }
    let plan_mode = def.permission_mode.as_deref() == Some("plan");
    let writes = def
        .tools
        .as_ref()
        .is_none_or(|tools| tools.iter().any(|t| WRITING.contains(&t.name.as_str())));
    if plan_mode || !writes {
        out.push_str("sandbox_mode = \"read-only\"\n");
    }
    if let Some(tools) = &def.tools {
        let raw: Vec<&str> = tools.iter().map(|t| t.raw.as_str()).collect();
        unexpressed.push(Unexpressed::agent(
            def,
            format!("tools: {}", raw.join(", ")),
            "a Codex custom agent has no tool list; only the guard refuses the others",
        ));
    }
    for spec in &def.disallowed_tools {
        unexpressed.push(Unexpressed::agent(
            def,
            format!("disallowedTools: {}", spec.raw),
            "a Codex custom agent has no deny list; only the guard refuses it",
        ));
    }
    out.push_str(&format!(
        "developer_instructions = {}\n",
        s(&engine::body(source, text))
    ));
    out
}
