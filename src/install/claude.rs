//! Installing the policy into Claude Code: the enforcement point there.
//!
//! Two things are written: `.claude/agents/NAME.md`, each definition in
//! the form Claude Code reads, and a PreToolUse hook entry in
//! `.claude/settings.json` that runs `harness guard`. The settings file is
//! merged, never replaced: every other key and hook stays as it was, and a
//! second run finds nothing to do.
//!
//! The hook names the harness binary by its absolute path (a bare
//! `harness` missing from the hook's PATH exits 127, which Claude Code does
//! not take as a refusal) and fixes the project root with `--root`, so the
//! policy never depends on where the agent's session has moved to. Both are
//! this machine's paths: run `install claude` again after moving either.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Value, json};

use crate::agent::{self, AgentDefinition};
use crate::config::Project;
use crate::diagnostic::{Code, Diagnostic, Span, display_path};
use crate::error::{Error, Result};
use crate::fsutil;
use crate::report::Report;

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
/// Marks a file `install` wrote, so it can tell its own files from a user's.
const MARKER: &str = "# Installed by `harness install claude` from";

const CLAUDE_AGENTS: &str = ".claude/agents";
const SETTINGS: &str = ".claude/settings.json";

/// One file `install` would write.
#[derive(Debug, Clone)]
pub struct Planned {
    /// Relative to the project root.
    pub path: PathBuf,
    pub old: Option<String>,
    /// `None`: the file should be removed.
    pub new: Option<String>,
}

impl Planned {
    pub fn changed(&self) -> bool {
        self.old != self.new
    }

    pub fn action(&self) -> &'static str {
        match (&self.old, &self.new) {
            (None, Some(_)) => "create",
            (Some(_), None) => "remove",
            (Some(a), Some(b)) if a != b => "update",
            _ => "unchanged",
        }
    }
}

/// What `install claude` does or would do: every file it manages, each
/// with its action, and how it was asked.
#[derive(Debug, Clone)]
pub struct Install {
    pub files: Vec<Planned>,
    /// Only shown (`--dry-run`, `--check`): nothing was written.
    pub preview: bool,
    /// `--check`: a difference is a failed check.
    pub check: bool,
}

#[derive(Serialize)]
struct Entry {
    path: String,
    action: &'static str,
}

impl Serialize for Install {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let entries: Vec<Entry> = self
            .files
            .iter()
            .map(|p| Entry {
                path: display_path(&p.path),
                action: p.action(),
            })
            .collect();
        entries.serialize(s)
    }
}

impl Install {
    /// The files that differ from what harness would write.
    pub fn changed(&self) -> impl Iterator<Item = &Planned> {
        self.files.iter().filter(|p| p.changed())
    }

    /// A `--check` that found a difference.
    pub fn failed(&self) -> bool {
        self.check && self.changed().next().is_some()
    }
}

impl Report for Install {
    fn text(&self) -> String {
        let mut out = String::new();
        if !self.preview {
            for p in &self.files {
                out.push_str(&format!("{:<9}  {}\n", p.action(), display_path(&p.path)));
            }
            return out;
        }
        let changed: Vec<&Planned> = self.changed().collect();
        for p in &changed {
            out.push_str(&diff(p));
        }
        if changed.is_empty() {
            out.push_str("Claude Code files are up to date\n");
        } else if self.check {
            out.push_str(&format!(
                "{} file(s) differ from what `harness install claude` writes; run it to update them\n",
                changed.len()
            ));
        }
        out
    }
}

/// Installs the project's agents and the guard hook for Claude Code; with
/// `preview`, only works out what would change. `check` makes a difference
/// a failed check (and implies `preview`).
pub fn claude(project: &Project, preview: bool, check: bool) -> Result<Install> {
    let defs = source_agents(project)?;
    let mut files = agent_files(project, &defs)?;
    files.push(settings_file(project, &defs, &guard_command(project))?);
    let preview = preview || check;
    if !preview {
        for p in files.iter().filter(|p| p.changed()) {
            let abs = project.root.join(&p.path);
            match &p.new {
                Some(text) => fsutil::write_atomic(&abs, text.as_bytes())?,
                None => std::fs::remove_file(&abs).map_err(|e| Error::io("remove", &abs, e))?,
            }
        }
    }
    Ok(Install {
        files,
        preview,
        check,
    })
}

fn diff(p: &Planned) -> String {
    let old = p.old.as_deref().unwrap_or("");
    let new = p.new.as_deref().unwrap_or("");
    let shown = display_path(&p.path);
    let a = if p.old.is_some() {
        format!("a/{shown}")
    } else {
        "/dev/null".to_string()
    };
    let b = if p.new.is_some() {
        format!("b/{shown}")
    } else {
        "/dev/null".to_string()
    };
    crate::textdiff::unified_diff(old, new, &a, &b)
}

/// The definitions to install: every agent directory but `.claude/agents`
/// itself, parsed; a file that does not parse stops the install.
fn source_agents(project: &Project) -> Result<Vec<(PathBuf, String, AgentDefinition)>> {
    let target = project.root.join(CLAUDE_AGENTS);
    let mut out: Vec<(PathBuf, String, AgentDefinition)> = Vec::new();
    let mut problems = Vec::new();
    for dir in project.agent_dirs() {
        if dir == target {
            continue;
        }
        for file in agent::agent_files(&dir) {
            let shown = project.relative(&file).to_path_buf();
            let text = fsutil::read_text(&file)?;
            match agent::definition::parse(&shown, &text) {
                Ok(parsed) => {
                    problems.extend(parsed.diagnostics.into_iter().filter(Diagnostic::is_error));
                    let def = parsed.definition;
                    if def.name.is_empty() {
                        continue;
                    }
                    // The first directory defining a name wins, as in the catalog.
                    if !out.iter().any(|(_, _, d)| d.name == def.name) {
                        out.push((shown, text, def));
                    }
                }
                Err(d) => problems.push(d),
            }
        }
    }
    if !problems.is_empty() {
        return Err(Error::Input(problems));
    }
    Ok(out)
}

fn read_optional(path: &Path) -> Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io("read", path, e)),
    }
}

fn agent_files(
    project: &Project,
    defs: &[(PathBuf, String, AgentDefinition)],
) -> Result<Vec<Planned>> {
    let mut plan = Vec::new();
    for (source, text, def) in defs {
        let rel = Path::new(CLAUDE_AGENTS).join(format!("{}.md", def.name));
        let abs = project.root.join(&rel);
        let old = read_optional(&abs)?;
        if let Some(old_text) = &old
            && !old_text.contains(MARKER)
        {
            return Err(Diagnostic::error(
                Code::WouldOverwrite,
                format!(
                    "`{}` exists and was not written by harness",
                    display_path(&rel)
                ),
            )
            .at(Span::new(&rel, 1, 1))
            .hint(format!(
                "move it into `{}` (or delete it) so harness can install `{}`",
                display_path(source.parent().unwrap_or(Path::new("agents"))),
                def.name
            ))
            .into());
        }
        plan.push(Planned {
            path: rel,
            old,
            new: Some(claude_form(source, text, def)),
        });
    }
    // Files harness installed before whose agent is gone.
    let dir = project.root.join(CLAUDE_AGENTS);
    for file in agent::agent_files(&dir) {
        let rel = project.relative(&file).to_path_buf();
        if plan.iter().any(|p| p.path == rel) {
            continue;
        }
        let text = read_optional(&file)?.unwrap_or_default();
        if text.contains(MARKER) {
            plan.push(Planned {
                path: rel,
                old: Some(text),
                new: None,
            });
        }
    }
    Ok(plan)
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
    let marker = format!(
        "{MARKER} {}; edit that file instead.\n",
        display_path(source)
    );
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
fn matcher(defs: &[(PathBuf, String, AgentDefinition)]) -> String {
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

/// The hook's command: this harness binary by its absolute path, and the
/// project root.
pub fn guard_command(project: &Project) -> String {
    let exe = std::env::current_exe()
        .and_then(std::fs::canonicalize)
        .map_or_else(
            |_| "harness".to_string(),
            |p| p.to_string_lossy().into_owned(),
        );
    let root = std::fs::canonicalize(&project.root).unwrap_or_else(|_| project.root.clone());
    format!(
        "{} guard --root {}",
        quote(&exe),
        quote(&root.to_string_lossy())
    )
}

fn quote(word: &str) -> String {
    shlex::try_quote(word).map_or_else(|_| word.to_string(), |q| q.into_owned())
}

/// Whether a hook runs harness's guard, by any path to the binary: an
/// earlier install's hook is updated, not added twice.
fn is_guard_hook(hook: &Value) -> bool {
    let Some(words) = hook
        .get("command")
        .and_then(Value::as_str)
        .and_then(shlex::split)
    else {
        return false;
    };
    let program = words
        .first()
        .map(|w| w.rsplit('/').next().unwrap_or(w))
        .unwrap_or_default();
    program.starts_with("harness") && words.get(1).map(String::as_str) == Some("guard")
}

fn settings_file(
    project: &Project,
    defs: &[(PathBuf, String, AgentDefinition)],
    command: &str,
) -> Result<Planned> {
    let rel = PathBuf::from(SETTINGS);
    let abs = project.root.join(&rel);
    let old = read_optional(&abs)?;
    let mut value: Value = match &old {
        Some(text) if !text.trim().is_empty() => serde_json::from_str(text).map_err(|e| {
            Error::from(
                Diagnostic::error(Code::InvalidSettings, format!("not valid JSON: {e}"))
                    .at(Span::new(&rel, e.line(), e.column()))
                    .hint("fix the file by hand; harness changes settings only when it can keep all of them"),
            )
        })?,
        _ => json!({}),
    };
    let original = value.clone();
    merge_hook(&mut value, &matcher(defs), command).map_err(|why| {
        Error::from(
            Diagnostic::error(Code::InvalidSettings, why)
                .at(Span::new(&rel, 1, 1))
                .hint("Claude Code expects `hooks.PreToolUse` to be a list of {matcher, hooks} entries"),
        )
    })?;
    // Unchanged settings keep their formatting: nothing to write.
    let new = if old.is_some() && value == original {
        old.clone()
    } else {
        let mut text = serde_json::to_string_pretty(&value).expect("JSON values serialise");
        text.push('\n');
        Some(text)
    };
    Ok(Planned {
        path: rel,
        old,
        new,
    })
}

/// Adds (or updates) the guard's PreToolUse entry, touching nothing else.
fn merge_hook(
    settings: &mut Value,
    matcher: &str,
    command: &str,
) -> std::result::Result<(), String> {
    let root = settings
        .as_object_mut()
        .ok_or("the settings are not a JSON object")?;
    let hooks = root
        .entry("hooks")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .ok_or("`hooks` is not an object")?;
    let pre = hooks
        .entry("PreToolUse")
        .or_insert_with(|| json!([]))
        .as_array_mut()
        .ok_or("`hooks.PreToolUse` is not a list")?;
    let ours = json!({ "type": "command", "command": command });
    for entry in pre.iter_mut() {
        let Some(list) = entry.get_mut("hooks").and_then(Value::as_array_mut) else {
            continue;
        };
        if let Some(hook) = list.iter_mut().find(|h| is_guard_hook(h)) {
            if hook.get("type").and_then(Value::as_str) != Some("command") {
                hook["type"] = json!("command");
            }
            if hook.get("command").and_then(Value::as_str) != Some(command) {
                hook["command"] = json!(command);
            }
            if entry.get("matcher").and_then(Value::as_str) != Some(matcher) {
                entry["matcher"] = json!(matcher);
            }
            return Ok(());
        }
    }
    pre.push(json!({ "matcher": matcher, "hooks": [ours] }));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GUARD: &str = "/usr/local/bin/harness guard --root /repo";

    #[test]
    fn merge_keeps_other_hooks_and_is_idempotent() {
        let mut v = json!({
            "permissions": {"allow": ["Bash(ls:*)"]},
            "hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "lint"}]},
                                     {"matcher": "Bash", "hooks": [{"type": "command", "command": "harness guard"}]}],
                      "Stop": []}
        });
        merge_hook(&mut v, "Bash|Edit", GUARD).unwrap();
        let once = v.clone();
        merge_hook(&mut v, "Bash|Edit", GUARD).unwrap();
        assert_eq!(v, once);
        let pre = v["hooks"]["PreToolUse"].as_array().unwrap();
        assert_eq!(pre.len(), 2);
        assert_eq!(pre[0]["hooks"][0]["command"], "lint");
        assert_eq!(pre[1]["hooks"][0]["command"], GUARD);
        assert_eq!(v["permissions"]["allow"][0], "Bash(ls:*)");
        // A changed matcher is updated in place, not added twice.
        merge_hook(&mut v, "Bash", GUARD).unwrap();
        assert_eq!(v["hooks"]["PreToolUse"].as_array().unwrap().len(), 2);
        assert_eq!(v["hooks"]["PreToolUse"][1]["matcher"], "Bash");
        // An older hook (a bare `harness guard`, another binary) is updated.
        let moved = "'/opt/my tools/harness' guard --root /repo";
        merge_hook(&mut v, "Bash", moved).unwrap();
        assert_eq!(v["hooks"]["PreToolUse"].as_array().unwrap().len(), 2);
        assert_eq!(v["hooks"]["PreToolUse"][1]["hooks"][0]["command"], moved);
        assert!(merge_hook(&mut json!([]), "Bash", GUARD).is_err());
        assert!(merge_hook(&mut json!({"hooks": {"PreToolUse": {}}}), "Bash", GUARD).is_err());
    }

    #[test]
    fn claude_form_drops_the_harness_block() {
        let text = "---\nname: a\ndescription: d\nharness:\n  protected_paths:\n    - x/**\n  require_reference: true\ntools: Read\n---\nbody\n";
        let def = agent::definition::parse(Path::new("agents/a.md"), text)
            .unwrap()
            .definition;
        let out = claude_form(Path::new("agents/a.md"), text, &def);
        assert_eq!(
            out,
            "---\n# Installed by `harness install claude` from agents/a.md; edit that file instead.\nname: a\ndescription: d\ntools: Read\n---\nbody\n"
        );
    }
}
