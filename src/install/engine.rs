//! What every `harness-agents install TOOL` shares: reading the definitions,
//! working out each file the tool should have, showing the difference
//! (`--dry-run`), failing on it (`--check`) or writing it atomically, and
//! the report of what the tool cannot express.
//!
//! A tool module only says what its files hold ([`Plan`]); how they are
//! compared, merged and written is here, once. Files harness owns carry a
//! marker naming their source, so a user's file of the same name is never
//! replaced and a file whose agent is gone is removed. Settings files are
//! merged: every key and hook of the user's stays as it was.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Value, json};

use crate::agent::tools::ToolSpec;
use crate::agent::{self, AgentDefinition};
use crate::config::Project;
use crate::diagnostic::{Code, Diagnostic, Span, display_path};
use crate::error::{Error, Result};
use crate::fsutil;
use crate::guard::hook::Tool;
use crate::report::Report;

/// One agent definition to install: where it was read, its text, and the
/// definition parsed from it.
pub type Source = (PathBuf, String, AgentDefinition);

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

/// Something of the definitions a tool has no place for: listed in the
/// report, never dropped in silence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unexpressed {
    /// The agent it belongs to; `None` for the whole project.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// What is left out, as the definition writes it: `model: sonnet`.
    pub what: String,
    /// What becomes of it instead.
    pub why: String,
}

impl Unexpressed {
    pub fn agent(def: &AgentDefinition, what: impl Into<String>, why: impl Into<String>) -> Self {
        Unexpressed {
            agent: Some(def.name.clone()),
            what: what.into(),
            why: why.into(),
        }
    }

    pub fn project(what: impl Into<String>, why: impl Into<String>) -> Self {
        Unexpressed {
            agent: None,
            what: what.into(),
            why: why.into(),
        }
    }
}

/// What a tool module works out: the files, and what it cannot express.
#[derive(Debug, Default)]
pub struct Plan {
    pub files: Vec<Planned>,
    pub unexpressed: Vec<Unexpressed>,
}

/// What `install TOOL` does or would do: every file it manages, each with
/// its action, what the tool cannot express, and how it was asked.
#[derive(Debug, Clone)]
pub struct Install {
    pub tool: Tool,
    pub files: Vec<Planned>,
    pub unexpressed: Vec<Unexpressed>,
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

#[derive(Serialize)]
struct Shown<'a> {
    tool: &'static str,
    files: Vec<Entry>,
    unexpressed: &'a [Unexpressed],
}

impl Serialize for Install {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let files = self
            .files
            .iter()
            .map(|p| Entry {
                path: display_path(&p.path),
                action: p.action(),
            })
            .collect();
        Shown {
            tool: self.tool.name(),
            files,
            unexpressed: &self.unexpressed,
        }
        .serialize(s)
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
        } else {
            let changed: Vec<&Planned> = self.changed().collect();
            for p in &changed {
                out.push_str(&diff(p));
            }
            if changed.is_empty() {
                out.push_str(&format!("{} files are up to date\n", self.tool.title()));
            } else if self.check {
                out.push_str(&format!(
                    "{} file(s) differ from what `harness-agents install {}` writes; run it to update them\n",
                    changed.len(),
                    self.tool
                ));
            }
        }
        if !self.unexpressed.is_empty() {
            out.push_str(&format!(
                "\n{} cannot express {} thing(s) of the definitions:\n",
                self.tool.title(),
                self.unexpressed.len()
            ));
            for u in &self.unexpressed {
                let whose = u.agent.as_deref().unwrap_or("project");
                out.push_str(&format!("  {whose}: {}: {}\n", u.what, u.why));
            }
        }
        out
    }
}

/// Writes what changed in `plan`, unless only previewing; `check` makes a
/// difference a failed check (and implies a preview).
pub fn apply(
    project: &Project,
    tool: Tool,
    plan: Plan,
    preview: bool,
    check: bool,
) -> Result<Install> {
    let preview = preview || check;
    if !preview {
        for p in plan.files.iter().filter(|p| p.changed()) {
            let abs = project.root.join(&p.path);
            match &p.new {
                Some(text) => fsutil::write_atomic(&abs, text.as_bytes())?,
                None => std::fs::remove_file(&abs).map_err(|e| Error::io("remove", &abs, e))?,
            }
        }
    }
    Ok(Install {
        tool,
        files: plan.files,
        unexpressed: plan.unexpressed,
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

/// The line that marks a file as written by `install TOOL`, up to the
/// source's name.
pub fn marker(tool: Tool) -> String {
    format!("# Installed by `harness-agents install {tool}` from")
}

/// Whether `text` was written by any `harness-agents install` (or by one
/// from before the binary had that name).
fn is_installed(text: &str) -> bool {
    text.contains("# Installed by `harness-agents install ")
        || text.contains("# Installed by `harness install ")
}

/// The marker line for a file made from `source`.
pub fn marker_line(tool: Tool, source: &Path) -> String {
    format!(
        "{} {}; edit that file instead.\n",
        marker(tool),
        display_path(source)
    )
}

/// The definitions to install: every agent directory but `.claude/agents`
/// (where `install claude` writes), parsed; a file that does not parse
/// stops the install, and a copy any install wrote is not a source.
pub fn source_agents(project: &Project) -> Result<Vec<Source>> {
    let target = project.root.join(".claude/agents");
    let mut out: Vec<Source> = Vec::new();
    let mut problems = Vec::new();
    for dir in project.agent_dirs() {
        if dir == target {
            continue;
        }
        for file in agent::agent_files(&project.files, &dir) {
            let shown = project.relative(&file).to_path_buf();
            let text = project.files.read_text(&file)?;
            if is_installed(&text) {
                continue;
            }
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

pub fn read_optional(path: &Path) -> Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io("read", path, e)),
    }
}

/// One file of a tool's agent directory: where it goes, which definition
/// it comes from, and what it holds.
pub struct Owned<'a> {
    pub path: PathBuf,
    pub source: &'a Path,
    pub name: &'a str,
    pub text: String,
}

/// The files harness owns in `dir` (those whose names end in `suffix`):
/// each wanted file, refusing to replace one harness did not write, and
/// the removal of any it wrote before whose agent is gone.
pub fn owned_files(
    project: &Project,
    dir: &str,
    suffix: &str,
    wanted: Vec<Owned<'_>>,
) -> Result<Vec<Planned>> {
    let mut plan = Vec::new();
    for w in wanted {
        let abs = project.root.join(&w.path);
        let old = read_optional(&abs)?;
        if let Some(old_text) = &old
            && !is_installed(old_text)
        {
            return Err(Diagnostic::error(
                Code::WouldOverwrite,
                format!(
                    "`{}` exists and was not written by harness",
                    display_path(&w.path)
                ),
            )
            .at(Span::new(&w.path, 1, 1))
            .hint(format!(
                "move it into `{}` (or delete it) so harness can install `{}`",
                display_path(w.source.parent().unwrap_or(Path::new("agents"))),
                w.name
            ))
            .into());
        }
        plan.push(Planned {
            path: w.path,
            old,
            new: Some(w.text),
        });
    }
    let mut stale = Vec::new();
    if let Ok(entries) = std::fs::read_dir(project.root.join(dir)) {
        for entry in entries.flatten() {
            let file = entry.path();
            let named = file
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(suffix));
            if !named || !file.is_file() {
                continue;
            }
            let rel = project.relative(&file).to_path_buf();
            if plan.iter().any(|p| p.path == rel) {
                continue;
            }
            let text = read_optional(&file)?.unwrap_or_default();
            if is_installed(&text) {
                stale.push(Planned {
                    path: rel,
                    old: Some(text),
                    new: None,
                });
            }
        }
    }
    stale.sort_by(|a, b| a.path.cmp(&b.path));
    plan.extend(stale);
    Ok(plan)
}

/// The definition's body: everything after its front matter.
pub fn body(source: &Path, text: &str) -> String {
    agent::frontmatter::split(source, text).map_or_else(|_| String::new(), |s| s.body)
}

/// A YAML scalar that reads back as `s` whatever it holds: a JSON string
/// is a YAML double-quoted scalar.
pub fn yaml_str(s: &str) -> String {
    Value::String(s.trim().to_string()).to_string()
}

/// A YAML flow list of strings.
pub fn yaml_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| yaml_str(i)).collect();
    format!("[{}]", quoted.join(", "))
}

/// The hook's command: this harness binary by its absolute path (a bare
/// `harness` missing from the hook's PATH would not run), the tool whose
/// answer it gives, and the project root, fixed here so the policy never
/// depends on where the agent's session has moved to.
pub fn guard_command(project: &Project, tool: Tool) -> String {
    let exe = std::env::current_exe()
        .and_then(std::fs::canonicalize)
        .map_or_else(
            |_| crate::BIN.to_string(),
            |p| p.to_string_lossy().into_owned(),
        );
    let root = std::fs::canonicalize(&project.root).unwrap_or_else(|_| project.root.clone());
    let from = match tool {
        Tool::Claude => String::new(),
        other => format!(" --from {other}"),
    };
    format!(
        "{} guard{from} --root {}",
        quote(&exe),
        quote(&root.to_string_lossy())
    )
}

fn quote(word: &str) -> String {
    shlex::try_quote(word).map_or_else(|_| word.to_string(), |q| q.into_owned())
}

/// Whether a hook runs harness's guard (its command under `key`), by any
/// path to the binary: an earlier install's hook is updated, not added
/// twice.
pub fn is_guard_hook(hook: &Value, key: &str) -> bool {
    let Some(words) = hook.get(key).and_then(Value::as_str).and_then(shlex::split) else {
        return false;
    };
    let program = words
        .first()
        .map(|w| w.rsplit('/').next().unwrap_or(w))
        .unwrap_or_default();
    program.starts_with("harness") && words.get(1).map(String::as_str) == Some("guard")
}

/// A JSON settings file merged by `merge`: every other key stays, and an
/// unchanged file keeps its formatting. `shape` says what the tool expects,
/// for the error when the file holds something else.
pub fn json_file(
    project: &Project,
    rel: &str,
    shape: &str,
    merge: impl FnOnce(&mut Value) -> std::result::Result<(), String>,
) -> Result<Planned> {
    let rel = PathBuf::from(rel);
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
    merge(&mut value).map_err(|why| {
        Error::from(
            Diagnostic::error(Code::InvalidSettings, why)
                .at(Span::new(&rel, 1, 1))
                .hint(shape.to_string()),
        )
    })?;
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

/// The list of hook entries under `hooks.EVENT`, made if missing.
fn event_list<'v>(
    settings: &'v mut Value,
    event: &str,
) -> std::result::Result<&'v mut Vec<Value>, String> {
    let root = settings
        .as_object_mut()
        .ok_or("the settings are not a JSON object")?;
    let hooks = root
        .entry("hooks")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .ok_or("`hooks` is not an object")?;
    hooks
        .entry(event)
        .or_insert_with(|| json!([]))
        .as_array_mut()
        .ok_or_else(|| format!("`hooks.{event}` is not a list"))
}

/// Adds (or updates) the guard in `hooks.EVENT` where that list holds
/// `{matcher, hooks: [...]}` groups (Claude Code, Codex, Gemini CLI),
/// touching nothing else. `matcher: None` leaves the group unfiltered.
pub fn merge_grouped_hook(
    settings: &mut Value,
    event: &str,
    matcher: Option<&str>,
    hook: Value,
) -> std::result::Result<(), String> {
    let groups = event_list(settings, event)?;
    for group in groups.iter_mut() {
        let Some(list) = group.get_mut("hooks").and_then(Value::as_array_mut) else {
            continue;
        };
        if let Some(existing) = list.iter_mut().find(|h| is_guard_hook(h, "command")) {
            update(existing, &hook);
            match matcher {
                Some(m) if group.get("matcher").and_then(Value::as_str) != Some(m) => {
                    group["matcher"] = json!(m);
                }
                None if group.get("matcher").is_some() => {
                    group.as_object_mut().map(|g| g.remove("matcher"));
                }
                _ => {}
            }
            return Ok(());
        }
    }
    let mut group = serde_json::Map::new();
    if let Some(m) = matcher {
        group.insert("matcher".into(), json!(m));
    }
    group.insert("hooks".into(), json!([hook]));
    groups.push(Value::Object(group));
    Ok(())
}

/// Adds (or updates) the guard in `hooks.EVENT` where that list holds the
/// hooks themselves (Copilot CLI, Cursor), the command under `key`.
pub fn merge_flat_hook(
    settings: &mut Value,
    event: &str,
    key: &str,
    hook: Value,
) -> std::result::Result<(), String> {
    let list = event_list(settings, event)?;
    match list.iter_mut().find(|h| is_guard_hook(h, key)) {
        Some(existing) => update(existing, &hook),
        None => list.push(hook),
    }
    Ok(())
}

/// Sets each field of `wanted` on `hook`, keeping fields the user added.
fn update(hook: &mut Value, wanted: &Value) {
    let (Some(hook), Some(wanted)) = (hook.as_object_mut(), wanted.as_object()) else {
        return;
    };
    for (k, v) in wanted {
        if hook.get(k) != Some(v) {
            hook.insert(k.clone(), v.clone());
        }
    }
}

/// Sets `key` at the top of the settings when it is missing (a version
/// field the tool requires).
pub fn ensure_key(
    settings: &mut Value,
    key: &str,
    value: Value,
) -> std::result::Result<(), String> {
    let root = settings
        .as_object_mut()
        .ok_or("the settings are not a JSON object")?;
    root.entry(key).or_insert(value);
    Ok(())
}

/// The model a tool can take from a definition: `None` for one the tool
/// does not know (Claude Code's `sonnet`, `opus`, `haiku`), listed as
/// unexpressed; `inherit` and no model need nothing.
pub fn model_for(
    def: &AgentDefinition,
    tool: Tool,
    known: impl Fn(&str) -> bool,
    out: &mut Vec<Unexpressed>,
) -> Option<String> {
    let model = def
        .model
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty() && *m != "inherit")?;
    if known(model) {
        return Some(model.to_string());
    }
    out.push(Unexpressed::agent(
        def,
        format!("model: {model}"),
        format!(
            "not a model name {} knows; the agent uses the session's model",
            tool.title()
        ),
    ));
    None
}

/// An agent's `tools` in the tool's names (`map` gives the tool's name of
/// one entry, `None` when it has none); what has no equivalent, or loses
/// its specifier, is listed. `None` when the definition lists no tools.
pub fn map_tools(
    def: &AgentDefinition,
    tool: Tool,
    map: impl Fn(&ToolSpec) -> Option<String>,
    out: &mut Vec<Unexpressed>,
) -> Option<Vec<String>> {
    let tools = def.tools.as_ref()?;
    let mut names: Vec<String> = Vec::new();
    for spec in tools {
        match map(spec) {
            Some(name) => {
                if spec.specifier.is_some() {
                    out.push(Unexpressed::agent(
                        def,
                        format!("tools: {}", spec.raw),
                        format!(
                            "{} allows `{name}` whole; only the guard checks `{}`",
                            tool.title(),
                            spec.raw
                        ),
                    ));
                }
                if !names.contains(&name) {
                    names.push(name);
                }
            }
            None => out.push(Unexpressed::agent(
                def,
                format!("tools: {}", spec.raw),
                format!("{} has no such tool; left out of the list", tool.title()),
            )),
        }
    }
    Some(names)
}

/// The rules a tool's agent file has no place for (`disallowedTools`,
/// `permissionMode`): with a hook, the guard still enforces them for the
/// agent it applies.
pub fn guard_only_rules(def: &AgentDefinition, tool: Tool, out: &mut Vec<Unexpressed>) {
    for spec in &def.disallowed_tools {
        out.push(Unexpressed::agent(
            def,
            format!("disallowedTools: {}", spec.raw),
            format!(
                "{}'s agent file has no deny list; only the guard refuses it",
                tool.title()
            ),
        ));
    }
    if let Some(mode) = &def.permission_mode {
        out.push(Unexpressed::agent(
            def,
            format!("permissionMode: {mode}"),
            format!(
                "{}'s agent file has no permission mode; only the guard enforces it",
                tool.title()
            ),
        ));
    }
}

/// Where a tool reads a project's skills (each tool's skills reference):
/// a skill already in one of them needs nothing.
fn skill_dirs_read(tool: Tool) -> &'static [&'static str] {
    match tool {
        Tool::Claude => &[".claude/skills"],
        Tool::Copilot => &[".github/skills", ".claude/skills", ".agents/skills"],
        Tool::Opencode => &[".opencode/skills", ".claude/skills", ".agents/skills"],
        Tool::Gemini => &[".gemini/skills", ".agents/skills"],
        Tool::Codex => &[".agents/skills"],
        Tool::Cursor => &[".cursor/skills"],
    }
}

/// Where `install TOOL` copies the skills the tool would not find: a
/// directory of the tool's own, so two installs never own one file.
fn skill_target(tool: Tool) -> Option<&'static str> {
    match tool {
        Tool::Gemini => Some(".gemini/skills"),
        Tool::Codex => Some(".agents/skills"),
        Tool::Cursor => Some(".cursor/skills"),
        Tool::Claude | Tool::Copilot | Tool::Opencode => None,
    }
}

/// The skills the agents load, where `tool` reads them: nothing for a
/// skill already in a directory it reads; otherwise a copy of the skill's
/// directory (its `SKILL.md` marked as installed) in the tool's own skills
/// directory, and the removal of a copy no agent loads any more. A skill
/// that cannot be copied is listed.
pub fn skills(project: &Project, tool: Tool, defs: &[Source], plan: &mut Plan) -> Result<()> {
    let dirs = agent::skill::search_dirs(project);
    let mut wanted: Vec<(&str, &AgentDefinition)> = Vec::new();
    for (_, _, def) in defs {
        for name in &def.skills {
            if !wanted.iter().any(|(n, _)| n == name) {
                wanted.push((name, def));
            }
        }
    }
    let target = skill_target(tool);
    let mut copied: Vec<String> = Vec::new();
    for (name, def) in wanted {
        let Some((file, dir)) = agent::skill::resolve(&project.files, &dirs, name) else {
            plan.unexpressed.push(Unexpressed::agent(
                def,
                format!("skills: {name}"),
                "no SKILL.md is found for it (`harness-agents skills list`); nothing installed",
            ));
            continue;
        };
        let skill_dir = file.parent().unwrap_or(Path::new(".")).to_path_buf();
        let rel = project.relative(&skill_dir).to_path_buf();
        // Claude Code reads every origin harness resolves from; Copilot and
        // OpenCode read the user's `~/.claude/skills` as well.
        let read = match &dir.origin {
            agent::skill::Origin::Project => rel
                .parent()
                .is_some_and(|p| skill_dirs_read(tool).contains(&display_path(p).as_str())),
            agent::skill::Origin::User => {
                matches!(tool, Tool::Claude | Tool::Copilot | Tool::Opencode)
            }
            agent::skill::Origin::Plugin(_) => tool == Tool::Claude,
        };
        if read {
            continue;
        }
        let Some(target) = target else {
            plan.unexpressed.push(Unexpressed::agent(
                def,
                format!("skills: {name}"),
                format!(
                    "{} does not read `{}`; copy it into `{}` to share it",
                    tool.title(),
                    display_path(&rel),
                    skill_dirs_read(tool)[0]
                ),
            ));
            continue;
        };
        let base = Path::new(target).join(name.rsplit(':').next().unwrap_or(name));
        let marker_file = project.root.join(&base).join("SKILL.md");
        if let Some(old) = read_optional(&marker_file)?
            && !is_installed(&old)
        {
            let shown = base.join("SKILL.md");
            return Err(Diagnostic::error(
                Code::WouldOverwrite,
                format!(
                    "`{}` exists and was not written by harness",
                    display_path(&shown)
                ),
            )
            .at(Span::new(&shown, 1, 1))
            .hint(format!(
                "move it into `{}` (or delete it) so harness can install the skill `{name}`",
                project
                    .skill_dirs()
                    .first()
                    .map_or(".claude/skills".to_string(), |d| display_path(
                        project.relative(d)
                    ))
            ))
            .into());
        }
        for source in files_below(&skill_dir) {
            let inner = source
                .strip_prefix(&skill_dir)
                .unwrap_or(&source)
                .to_path_buf();
            let Ok(text) = String::from_utf8(
                std::fs::read(&source).map_err(|e| Error::io("read", &source, e))?,
            ) else {
                plan.unexpressed.push(Unexpressed::agent(
                    def,
                    format!("skills: {name}: {}", display_path(&inner)),
                    "not text, so not copied",
                ));
                continue;
            };
            let new = if inner == Path::new("SKILL.md") {
                let shown = project.relative(&source).to_path_buf();
                match text.split_once('\n') {
                    Some((first, rest)) => {
                        format!("{first}\n{}{rest}", marker_line(tool, &shown))
                    }
                    None => text,
                }
            } else {
                text
            };
            let path = base.join(&inner);
            plan.files.push(Planned {
                old: read_optional(&project.root.join(&path))?,
                path,
                new: Some(new),
            });
        }
        copied.push(display_path(&base));
    }
    // Copies of skills no agent loads any more.
    if let Some(target) = target
        && let Ok(entries) = std::fs::read_dir(project.root.join(target))
    {
        let mut stale: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|d| !copied.contains(&display_path(project.relative(d))))
            .filter(|d| {
                read_optional(&d.join("SKILL.md"))
                    .ok()
                    .flatten()
                    .is_some_and(|t| is_installed(&t))
            })
            .flat_map(|d| files_below(&d))
            .collect();
        stale.sort();
        for file in stale {
            plan.files.push(Planned {
                path: project.relative(&file).to_path_buf(),
                old: read_optional(&file)?,
                new: None,
            });
        }
    }
    Ok(())
}

/// Every file below `dir`, sorted.
fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The note for a tool whose hook event does not say which agent acts.
pub fn unnamed_agent(tool: Tool, event: &str) -> Unexpressed {
    Unexpressed::project(
        "each agent's own rules in the guard",
        format!(
            "{}'s {event} event does not name the acting agent, so the guard applies HARNESS_AGENT or `[policy] default` (and the project's rules) to every call",
            tool.title()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const GUARD: &str = "/usr/local/bin/harness guard --root /repo";

    #[test]
    fn grouped_merge_keeps_other_hooks_and_is_idempotent() {
        let mut v = json!({
            "permissions": {"allow": ["Bash(ls:*)"]},
            "hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "lint"}]},
                                     {"matcher": "Bash", "hooks": [{"type": "command", "command": "harness-agents guard"}]}],
                      "Stop": []}
        });
        let hook = |c: &str| json!({"type": "command", "command": c});
        merge_grouped_hook(&mut v, "PreToolUse", Some("Bash|Edit"), hook(GUARD)).unwrap();
        let once = v.clone();
        merge_grouped_hook(&mut v, "PreToolUse", Some("Bash|Edit"), hook(GUARD)).unwrap();
        assert_eq!(v, once);
        let pre = v["hooks"]["PreToolUse"].as_array().unwrap();
        assert_eq!(pre.len(), 2);
        assert_eq!(pre[0]["hooks"][0]["command"], "lint");
        assert_eq!(pre[1]["hooks"][0]["command"], GUARD);
        assert_eq!(v["permissions"]["allow"][0], "Bash(ls:*)");
        // A changed matcher is updated in place, not added twice.
        merge_grouped_hook(&mut v, "PreToolUse", Some("Bash"), hook(GUARD)).unwrap();
        assert_eq!(v["hooks"]["PreToolUse"].as_array().unwrap().len(), 2);
        assert_eq!(v["hooks"]["PreToolUse"][1]["matcher"], "Bash");
        // An older hook (a bare `harness-agents guard`, another binary) is updated.
        let moved = "'/opt/my tools/harness' guard --root /repo";
        merge_grouped_hook(&mut v, "PreToolUse", Some("Bash"), hook(moved)).unwrap();
        assert_eq!(v["hooks"]["PreToolUse"].as_array().unwrap().len(), 2);
        assert_eq!(v["hooks"]["PreToolUse"][1]["hooks"][0]["command"], moved);
        assert!(merge_grouped_hook(&mut json!([]), "PreToolUse", None, hook(GUARD)).is_err());
        assert!(
            merge_grouped_hook(
                &mut json!({"hooks": {"PreToolUse": {}}}),
                "PreToolUse",
                None,
                hook(GUARD)
            )
            .is_err()
        );
    }

    #[test]
    fn flat_merge_updates_the_guard_and_keeps_the_users_fields() {
        let mut v = json!({"version": 1, "hooks": {"preToolUse": [
            {"type": "command", "bash": "./audit.sh"},
            {"type": "command", "bash": "harness-agents guard --from copilot", "timeoutSec": 10, "env": {"A": "1"}},
        ]}});
        let ours = json!({"type": "command", "bash": GUARD, "timeoutSec": 30});
        merge_flat_hook(&mut v, "preToolUse", "bash", ours.clone()).unwrap();
        merge_flat_hook(&mut v, "preToolUse", "bash", ours).unwrap();
        assert_eq!(
            v["hooks"]["preToolUse"],
            json!([
                {"type": "command", "bash": "./audit.sh"},
                {"type": "command", "bash": GUARD, "timeoutSec": 30, "env": {"A": "1"}},
            ])
        );
    }
}
