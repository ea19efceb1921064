//! Installing the policy into Claude Code: the enforcement point there.
//!
//! Two things are written: `.claude/agents/NAME.md`, each definition in
//! the form Claude Code reads, and a PreToolUse hook entry in
//! `.claude/settings.json` that runs `harness-agents guard`. The settings file is
//! merged, never replaced: every other key and hook stays as it was, and a
//! second run finds nothing to do.
//!
//! The hook names the harness binary by its absolute path (a bare
//! `harness` missing from the hook's PATH exits 127, which Claude Code does
//! not take as a refusal) and fixes the project root with `--root`, so the
//! policy never depends on where the agent's session has moved to. Both are
//! this machine's paths: run `install claude` again after moving either.

use std::path::Path;

use serde_json::json;

use super::engine::{self, Owned, Plan, Source};
use crate::agent::AgentDefinition;
use crate::config::Project;
use crate::error::Result;
use crate::guard::hook::Tool;

/// The tools the hook is asked about: those that touch files, Bash, and
/// every MCP tool (project-wide protected paths apply to their path
/// arguments). Claude Code itself enforces bare tool names in a subagent's
/// `tools`; what it cannot (specifiers, paths, plans) is in these tools.
pub const BASE_MATCHER: &[&str] = &[
    "Bash",
    "Edit",
    "MultiEdit",
    "Write",
    "NotebookEdit",
    "Read",
    "Glob",
    "Grep",
    "mcp__.*",
];

const CLAUDE_AGENTS: &str = ".claude/agents";
const SETTINGS: &str = ".claude/settings.json";

/// The agents as Claude Code reads them, and the guard as its PreToolUse
/// hook. Claude Code can express every rule: its hook names the acting
/// subagent, so nothing is left out.
pub fn plan(project: &Project, defs: &[Source]) -> Result<Plan> {
    let wanted = defs
        .iter()
        .map(|(source, text, def)| Owned {
            path: Path::new(CLAUDE_AGENTS).join(format!("{}.md", def.name)),
            source,
            name: &def.name,
            text: claude_form(source, text, def),
        })
        .collect();
    let mut files = engine::owned_files(project, CLAUDE_AGENTS, ".md", wanted)?;
    let hook =
        json!({ "type": "command", "command": engine::guard_command(project, Tool::Claude) });
    files.push(engine::json_file(
        project,
        SETTINGS,
        "Claude Code expects `hooks.PreToolUse` to be a list of {matcher, hooks} entries",
        |v| engine::merge_grouped_hook(v, "PreToolUse", Some(&matcher(defs)), hook),
    )?);
    Ok(Plan {
        files,
        unexpressed: Vec::new(),
    })
}

/// The definition as Claude Code reads it: a marker naming the source,
/// and the front matter without harness's own `harness:` block (Claude
/// Code does not know it); the body as written.
pub fn claude_form(source: &Path, text: &str, def: &AgentDefinition) -> String {
    let text = text.replace("\r\n", "\n");
    let mut lines: Vec<&str> = text.split_inclusive('\n').collect();
    if def.key_lines.contains_key("harness") {
        let start = def.line_of("harness") - 1;
        let mut end = start + 1;
        while end < lines.len() {
            let l = lines[end];
            let top_level = !l.starts_with([' ', '\t', '\n', '#']);
            if top_level {
                break;
            }
            end += 1;
        }
        if start < lines.len() && lines[start].starts_with("harness") {
            lines.drain(start..end);
        }
    }
    let marker = engine::marker_line(Tool::Claude, source);
    let mut out = String::new();
    for (i, l) in lines.iter().enumerate() {
        out.push_str(l);
        if i == 0 {
            out.push_str(&marker);
        }
    }
    out
}

/// The hook matcher: file tools and Bash, and every tool an agent names
/// with a specifier (Claude Code drops specifiers in a subagent's tools).
fn matcher(defs: &[Source]) -> String {
    let mut tools: Vec<String> = BASE_MATCHER.iter().map(|s| s.to_string()).collect();
    let mut extra: Vec<String> = defs
        .iter()
        .flat_map(|(_, _, d)| d.tools.iter().flatten().chain(&d.disallowed_tools))
        .filter(|t| t.specifier.is_some() && !t.name.contains('*'))
        .map(|t| t.name.clone())
        .filter(|n| !tools.contains(n))
        .collect();
    extra.sort();
    extra.dedup();
    tools.extend(extra);
    tools.join("|")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claude_form_drops_the_harness_block() {
        let text = "---\nname: a\ndescription: d\nharness:\n  protected_paths:\n    - x/**\n  require_reference: true\ntools: Read\n---\nbody\n";
        let def = crate::agent::definition::parse(Path::new("agents/a.md"), text)
            .unwrap()
            .definition;
        let out = claude_form(Path::new("agents/a.md"), text, &def);
        assert_eq!(
            out,
            "---\n# Installed by `harness-agents install claude` from agents/a.md; edit that file instead.\nname: a\ndescription: d\ntools: Read\n---\nbody\n"
        );
    }
}
