//! Installing into Cursor: each agent as a rule in `.cursor/rules/NAME.mdc`
//! (its description, so the agent applies it when the task fits, and the
//! definition's body), and the guard in `.cursor/hooks.json` for the
//! events that can refuse a call: `preToolUse` (any tool, edits included),
//! `beforeShellExecution`, `beforeMCPExecution` and `beforeReadFile`.
//!
//! A rule's front matter is `description`, `globs` and `alwaysApply`; a
//! rule has no tools, model or permission mode, so those stay with the
//! guard. Each hook is `failClosed`, so a guard that cannot run blocks the
//! call, and `harness-agents guard --from cursor` answers its own errors with a
//! refusal as well.

use std::path::Path;

use serde_json::json;

use super::engine::{self, Owned, Plan, Source, Unexpressed};
use super::gemini::markdown;
use crate::config::Project;
use crate::error::Result;
use crate::guard::hook::Tool;

const RULES: &str = ".cursor/rules";
const HOOKS: &str = ".cursor/hooks.json";
const TOOL: Tool = Tool::Cursor;

/// The events whose answer can refuse the call.
pub const EVENTS: &[&str] = &[
    "preToolUse",
    "beforeShellExecution",
    "beforeMCPExecution",
    "beforeReadFile",
];

pub fn plan(project: &Project, defs: &[Source]) -> Result<Plan> {
    let mut unexpressed = vec![engine::unnamed_agent(TOOL, "hook")];
    let wanted = defs
        .iter()
        .map(|(source, text, def)| {
            let front = vec![
                format!("description: {}", engine::yaml_str(&def.description)),
                "alwaysApply: false".to_string(),
            ];
            if let Some(tools) = &def.tools {
                let raw: Vec<&str> = tools.iter().map(|t| t.raw.as_str()).collect();
                unexpressed.push(Unexpressed::agent(
                    def,
                    format!("tools: {}", raw.join(", ")),
                    "a Cursor rule cannot limit tools; only the guard refuses the others",
                ));
            }
            if let Some(model) = def.model.as_deref().filter(|m| *m != "inherit") {
                unexpressed.push(Unexpressed::agent(
                    def,
                    format!("model: {model}"),
                    "a Cursor rule cannot choose a model",
                ));
            }
            engine::guard_only_rules(def, TOOL, &mut unexpressed);
            let body = format!("# Agent `{}`\n{}", def.name, engine::body(source, text));
            Owned {
                path: Path::new(RULES).join(format!("{}.mdc", def.name)),
                source,
                name: &def.name,
                text: markdown(TOOL, source, &front, &body),
            }
        })
        .collect();
    let mut files = engine::owned_files(project, RULES, ".mdc", wanted)?;
    let command = engine::guard_command(project, TOOL);
    files.push(engine::json_file(
        project,
        HOOKS,
        "Cursor expects `{\"version\": 1, \"hooks\": {EVENT: [{command}]}}`",
        |v| {
            engine::ensure_key(v, "version", json!(1))?;
            for event in EVENTS {
                let hook = json!({ "command": command, "failClosed": true });
                engine::merge_flat_hook(v, event, "command", hook)?;
            }
            Ok(())
        },
    )?);
    Ok(Plan { files, unexpressed })
}
