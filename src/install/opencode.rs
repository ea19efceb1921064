//! Installing into OpenCode: each agent as a subagent in
//! `.opencode/agents/NAME.md`, its rules as the agent's `permissions`.
//!
//! OpenCode runs no command before a tool call (its equivalent is a
//! JavaScript plugin), so the permissions are the enforcement there, the
//! closest it has: ordered `{action, resource, effect}` rules where the last
//! match wins and `*` matches any characters, `/` included (OpenCode's
//! agents and permissions references, V2; V1's `permission` map with
//! `bash` and `task` is deprecated). The agent's `tools` become a deny of
//! everything followed by each allowed action; `disallowedTools`, protected
//! paths (the agent's, the project's and harness's control files) and the
//! commands only a person runs become denies after them. What needs a
//! hook (a shell command's writes, an approved plan) is listed as not
//! enforced.

use std::path::Path;

use super::engine::{self, Owned, Plan, Source, Unexpressed};
use super::gemini::markdown;
use crate::agent::AgentDefinition;
use crate::agent::tools::ToolSpec;
use crate::config::Project;
use crate::error::Result;
use crate::guard::hook::Tool;
use crate::policy::{Policy, Rule, RuleKind};

const AGENTS: &str = ".opencode/agents";
const TOOL: Tool = Tool::Opencode;

pub fn plan(project: &Project, defs: &[Source]) -> Result<Plan> {
    let project_rules = crate::guard::project_rules(project)?;
    let mut unexpressed = vec![
        Unexpressed::project(
            "protected paths, for shell commands",
            "OpenCode matches a shell command by its text only: a write through the shell to a protected path is not seen",
        ),
        Unexpressed::project(
            "the primary agents (build, plan)",
            "harness writes the permissions of its own agents only; OpenCode's built-in agents keep their settings",
        ),
    ];
    let wanted = defs
        .iter()
        .map(|(source, text, def)| {
            let mut front = vec![
                format!("description: {}", engine::yaml_str(&def.description)),
                "mode: subagent".to_string(),
            ];
            let provider_model = |m: &str| m.contains('/');
            if let Some(model) = engine::model_for(def, TOOL, provider_model, &mut unexpressed) {
                front.push(format!("model: {}", engine::yaml_str(&model)));
            }
            let rules = permissions(def, &project_rules, &mut unexpressed);
            front.push("permissions:".to_string());
            for (action, resource, effect) in rules {
                front.push(format!(
                    "  - {{ action: {}, resource: {}, effect: {effect} }}",
                    engine::yaml_str(action),
                    engine::yaml_str(&resource)
                ));
            }
            Owned {
                path: Path::new(AGENTS).join(format!("{}.md", def.name)),
                source,
                name: &def.name,
                text: markdown(TOOL, source, &front, &engine::body(source, text)),
            }
        })
        .collect();
    let files = engine::owned_files(project, AGENTS, ".md", wanted)?;
    Ok(Plan { files, unexpressed })
}

type Permission = (&'static str, String, &'static str);

/// The agent's permission rules, in OpenCode's order: the last match wins.
fn permissions(
    def: &AgentDefinition,
    project_rules: &[Rule],
    unexpressed: &mut Vec<Unexpressed>,
) -> Vec<Permission> {
    let mut out: Vec<Permission> = Vec::new();
    let mut rule = |spec: &ToolSpec, effect: &'static str, out: &mut Vec<Permission>| match (
        action(&spec.name),
        resource(spec),
    ) {
        (Some(action), Some(resource)) => out.push((action, resource, effect)),
        _ => unexpressed.push(Unexpressed::agent(
            def,
            format!(
                "{}: {}",
                if effect == "allow" {
                    "tools"
                } else {
                    "disallowedTools"
                },
                spec.raw
            ),
            "OpenCode has no permission for it; left out",
        )),
    };
    if let Some(tools) = &def.tools {
        out.push(("*", "*".to_string(), "deny"));
        for spec in tools {
            rule(spec, "allow", &mut out);
        }
    }
    for spec in &def.disallowed_tools {
        rule(spec, "deny", &mut out);
    }
    let policy = Policy::compile(def);
    if def.permission_mode.as_deref() == Some("plan") {
        out.push(("edit", "*".to_string(), "deny"));
        unexpressed.push(Unexpressed::agent(
            def,
            "permissionMode: plan",
            "every edit is denied, plan files too: OpenCode has no plan mode per agent",
        ));
    }
    for r in &policy.rules {
        match &r.kind {
            RuleKind::WriteOnly { glob } => {
                out.push(("edit", "*".to_string(), "deny"));
                for g in glob_resources(glob) {
                    out.push(("edit", g, "allow"));
                }
            }
            RuleKind::RequireApprovedPlan => unexpressed.push(Unexpressed::agent(
                def,
                format!("{} ({})", r.source_text.trim(), r.provenance),
                "writes that need an approved plan cannot be checked without a hook; not enforced",
            )),
            _ => {}
        }
    }
    for r in policy.rules.iter().chain(project_rules) {
        match &r.kind {
            RuleKind::ProtectPath { glob } => {
                for g in glob_resources(glob) {
                    out.push(("edit", g, "deny"));
                }
            }
            RuleKind::PersonOnly { command } => {
                let words = command.trim_start_matches("harness ");
                out.push(("shell", format!("*{words}*"), "deny"));
            }
            _ => {}
        }
    }
    out.dedup();
    out
}

/// OpenCode's permission action for a Claude Code tool.
fn action(tool: &str) -> Option<&'static str> {
    Some(match tool {
        "Read" | "NotebookRead" => "read",
        "Write" | "Edit" | "MultiEdit" | "NotebookEdit" => "edit",
        "Bash" => "shell",
        "Glob" => "glob",
        "Grep" => "grep",
        "LS" => "list",
        "WebFetch" => "webfetch",
        "WebSearch" => "websearch",
        "Task" | "Agent" => "subagent",
        "Skill" => "skill",
        "TodoWrite" => "todowrite",
        _ => return None,
    })
}

/// The resource a specifier names: Claude Code's `git diff:*` prefix form
/// is OpenCode's `git diff *`; a path loses its `./`. A web domain has no
/// OpenCode form (its resource is the whole URL).
fn resource(spec: &ToolSpec) -> Option<String> {
    let Some(s) = spec.specifier.as_deref().map(str::trim) else {
        return Some("*".to_string());
    };
    if s.starts_with("domain:") {
        return None;
    }
    let s = match s.strip_suffix(":*") {
        Some(prefix) => format!("{prefix} *"),
        None => s.to_string(),
    };
    Some(s.trim_start_matches("./").to_string())
}

/// A protected-path glob as OpenCode resources: anchored globs lose their
/// leading `/` (OpenCode matches paths from the project root), braces are
/// spelt out (OpenCode's wildcards have none), and a name that may be a
/// directory covers what is below it too.
fn glob_resources(glob: &str) -> Vec<String> {
    // As in a `.gitignore`, a glob with no `/` but a trailing one names a
    // file or directory at any depth; OpenCode's patterns are anchored at
    // the project root, so such a glob is also written under `**/`.
    let g = glob.strip_prefix('/').unwrap_or(glob);
    let anywhere =
        !glob.starts_with('/') && !g.trim_end_matches('/').contains('/') && !g.starts_with("**");
    let here = expand(g);
    if !anywhere {
        return here;
    }
    let deeper: Vec<String> = here.iter().map(|r| format!("**/{r}")).collect();
    here.into_iter().chain(deeper).collect()
}

fn expand(g: &str) -> Vec<String> {
    if let (Some(open), Some(close)) = (g.find('{'), g.find('}'))
        && open < close
    {
        return g[open + 1..close]
            .split(',')
            .flat_map(|alt| expand(&format!("{}{alt}{}", &g[..open], &g[close + 1..])))
            .collect();
    }
    let last = g.rsplit('/').next().unwrap_or(g);
    let file_like = last.find('.').is_some_and(|i| i > 0);
    if g.contains('*') || file_like {
        vec![g.to_string()]
    } else {
        let dir = g.trim_end_matches('/');
        vec![dir.to_string(), format!("{dir}/*")]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specifiers_become_resources() {
        for (raw, want) in [
            ("Bash(git diff:*)", Some("git diff *")),
            ("Bash(ls *)", Some("ls *")),
            ("Read(./secrets/**)", Some("secrets/**")),
            ("WebFetch(domain:docs.rs)", None),
            ("Edit", Some("*")),
        ] {
            assert_eq!(resource(&ToolSpec::parse(raw, 1)).as_deref(), want, "{raw}");
        }
        assert_eq!(glob_resources("/.codex"), [".codex", ".codex/*"]);
        assert_eq!(glob_resources("**/tests/**"), ["**/tests/**"]);
        // A name without `/` is found at any depth, as git reads it.
        assert_eq!(
            glob_resources("harness.toml"),
            ["harness.toml", "**/harness.toml"]
        );
        assert_eq!(
            glob_resources("secrets/"),
            ["secrets", "secrets/*", "**/secrets", "**/secrets/*"]
        );
        assert_eq!(
            glob_resources("~/.codex/*.{json,toml}"),
            ["~/.codex/*.json", "~/.codex/*.toml"]
        );
    }
}
