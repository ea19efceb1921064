//! [`AgentDefinition`]: one agent file, its front-matter fields typed, its
//! body read, and the line of everything that policy may cite.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::frontmatter::{self, FrontMatter, FrontText};
use super::markdown::LazyBody;
use super::tools::{ToolSpec, split_tool_string};
use crate::diagnostic::{Code, Diagnostic, Span};

/// The front-matter fields Claude Code reads, in its spelling.
pub const KNOWN_FIELDS: &[&str] = &[
    "name",
    "description",
    "tools",
    "disallowedTools",
    "model",
    "permissionMode",
    "maxTurns",
    "skills",
    "mcpServers",
    "hooks",
    "memory",
    "background",
    "effort",
    "isolation",
    "color",
    "initialPrompt",
    "harness",
];

/// Explicit policy in the front matter, under `harness:`. Each field, when
/// present, replaces what would otherwise be derived from the body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HarnessBlock {
    /// Paths (gitignore-style globs) the agent must never write.
    pub protected_paths: Option<Vec<String>>,
    /// Quality-gate commands, or names of `[gates.NAME]` in `harness.toml`.
    pub gates: Option<Vec<String>>,
    /// Allowed Conventional Commit types.
    pub commit_types: Option<Vec<String>>,
    /// Whether each commit must reference a plan or task.
    pub require_reference: Option<bool>,
    /// Whether writes need an approved, unchanged plan.
    pub require_approved_plan: Option<bool>,
}

/// A parsed agent definition.
#[derive(Debug, Clone, Serialize)]
pub struct AgentDefinition {
    pub name: String,
    pub description: String,
    pub model: Option<String>,
    pub permission_mode: Option<String>,
    /// `None` when the agent may use every tool.
    pub tools: Option<Vec<ToolSpec>>,
    pub disallowed_tools: Vec<ToolSpec>,
    pub skills: Vec<String>,
    pub max_turns: Option<u64>,
    pub mcp_servers: Option<Value>,
    pub hooks: Option<Value>,
    pub memory: Option<Value>,
    pub background: Option<bool>,
    pub effort: Option<String>,
    pub isolation: Option<String>,
    pub color: Option<String>,
    pub initial_prompt: Option<String>,
    pub harness: Option<HarnessBlock>,
    /// Keys Claude Code does not know, kept as written.
    pub unknown_fields: BTreeMap<String, Value>,
    pub body: LazyBody,
    pub source: PathBuf,
    /// File line of each front-matter key.
    #[serde(skip)]
    pub key_lines: BTreeMap<String, usize>,
    /// The front matter's text, to point diagnostics at what they are about.
    #[serde(skip)]
    front: FrontText,
}

impl AgentDefinition {
    /// The file line of a front-matter key, or 1.
    pub fn line_of(&self, key: &str) -> usize {
        self.key_lines.get(key).copied().unwrap_or(1)
    }

    /// Where the value of a front-matter key is written (the key itself
    /// when its value is on later lines); line 1 when the key is absent.
    pub fn span_of(&self, key: &str) -> Span {
        match self.key_lines.get(key) {
            Some(&line) => self.front.value(&self.source, line, key, None),
            None => Span::new(&self.source, 1, 1),
        }
    }

    /// Where `value`, the value of `key`, is written.
    pub fn value_span(&self, key: &str, value: &str) -> Span {
        match self.key_lines.get(key) {
            Some(&line) => self.front.value(&self.source, line, key, Some(value)),
            None => Span::new(&self.source, 1, 1),
        }
    }

    /// Where a front-matter key itself is written.
    pub fn key_span(&self, key: &str) -> Span {
        match self.key_lines.get(key) {
            Some(&line) => self.front.key(&self.source, line, key),
            None => Span::new(&self.source, 1, 1),
        }
    }

    /// Where `entry` of the list under `key` is written.
    pub fn entry_span(&self, key: &str, entry: &str) -> Span {
        let key_line = self.line_of(key);
        let line = self.front.entry_line(key_line, entry).unwrap_or(key_line);
        self.front.entry(&self.source, line, entry)
    }
}

/// A definition and what was noticed while reading it.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub definition: AgentDefinition,
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses an agent file's text. `Err` only when nothing usable can be read
/// (no front matter, YAML that does not load even leniently); problems with
/// single fields are diagnostics beside a definition.
pub fn parse(path: &Path, text: &str) -> Result<Parsed, Diagnostic> {
    let split = frontmatter::split(path, text)?;
    let mut fm = frontmatter::load(path, &split)?;
    let warnings = std::mem::take(&mut fm.warnings);
    let mut reader = Reader {
        path,
        fm: &fm,
        diagnostics: warnings,
    };
    let name = reader.string("name");
    let description = reader.string("description");
    let tools = reader.tools("tools");
    let disallowed_tools = reader.tools("disallowedTools").unwrap_or_default();
    let skills = reader.list("skills");
    let model = reader.string("model");
    let permission_mode = reader.string("permissionMode");
    let max_turns = reader.integer("maxTurns");
    let background = reader.boolean("background");
    let effort = reader.string("effort");
    let isolation = reader.string("isolation");
    let color = reader.string("color");
    let initial_prompt = reader.string("initialPrompt");
    let harness = reader.harness();
    let diagnostics = reader.diagnostics;
    // Everything typed has been read: the rest moves out of the front matter.
    let mcp_servers = fm.fields.remove("mcpServers");
    let hooks = fm.fields.remove("hooks");
    let memory = fm.fields.remove("memory");
    let definition = AgentDefinition {
        name: name.unwrap_or_default(),
        description: description.unwrap_or_default(),
        model,
        permission_mode,
        tools,
        disallowed_tools,
        skills,
        max_turns,
        mcp_servers,
        hooks,
        memory,
        background,
        effort,
        isolation,
        color,
        initial_prompt,
        harness,
        unknown_fields: fm
            .fields
            .into_iter()
            .filter(|(k, _)| !KNOWN_FIELDS.contains(&k.as_str()))
            .collect(),
        body: LazyBody::new(split.body, split.body_line),
        source: path.to_path_buf(),
        key_lines: fm.key_lines,
        front: fm.text,
    };
    Ok(Parsed {
        definition,
        diagnostics,
    })
}

struct Reader<'a> {
    path: &'a Path,
    fm: &'a FrontMatter,
    diagnostics: Vec<Diagnostic>,
}

impl Reader<'_> {
    /// Where the value of `key` is written.
    fn value_span(&self, key: &str) -> Span {
        match self.fm.line_of(key) {
            Some(line) => self.fm.text.value(self.path, line, key, None),
            None => Span::new(self.path, 1, 1),
        }
    }

    fn wrong_type(&mut self, key: &str, expected: &str, found: &Value) {
        let d = Diagnostic::error(
            Code::WrongType,
            format!("`{key}` should be {expected}, found {}", describe(found)),
        )
        .at(self.value_span(key));
        self.diagnostics.push(d);
    }

    fn string(&mut self, key: &str) -> Option<String> {
        match self.fm.fields.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            // Numbers and booleans read as their text, as YAML users expect.
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            other => {
                self.wrong_type(key, "a string", other);
                None
            }
        }
    }

    fn integer(&mut self, key: &str) -> Option<u64> {
        match self.fm.fields.get(key)? {
            Value::Number(n) if n.as_u64().is_some() => n.as_u64(),
            Value::Null => None,
            other => {
                self.wrong_type(key, "a whole number", other);
                None
            }
        }
    }

    fn boolean(&mut self, key: &str) -> Option<bool> {
        match self.fm.fields.get(key)? {
            Value::Bool(b) => Some(*b),
            Value::Null => None,
            other => {
                self.wrong_type(key, "`true` or `false`", other);
                None
            }
        }
    }

    /// A list written as a YAML list or as a comma/space separated string.
    fn raw_list(&mut self, key: &str) -> Option<Vec<String>> {
        match self.fm.fields.get(key)? {
            Value::String(s) => Some(split_tool_string(s)),
            Value::Array(items) => {
                let mut out = Vec::new();
                for item in items {
                    match item {
                        Value::String(s) => out.extend(split_tool_string(s)),
                        other => {
                            self.wrong_type(key, "a list of names", other);
                            return None;
                        }
                    }
                }
                Some(out)
            }
            Value::Null => None,
            other => {
                self.wrong_type(key, "a list or a comma-separated string", other);
                None
            }
        }
    }

    fn list(&mut self, key: &str) -> Vec<String> {
        self.raw_list(key).unwrap_or_default()
    }

    fn tools(&mut self, key: &str) -> Option<Vec<ToolSpec>> {
        let names = self.raw_list(key)?;
        let key_line = self.fm.line_of(key).unwrap_or(1);
        Some(
            names
                .iter()
                .map(|n| ToolSpec::parse(n, self.line_of_entry(key_line, n)))
                .collect(),
        )
    }

    /// The line an entry of a list is written on: the key's line for a flow
    /// list or string, else the `- entry` line below it.
    fn line_of_entry(&self, key_line: usize, entry: &str) -> usize {
        self.fm.text.entry_line(key_line, entry).unwrap_or(key_line)
    }

    fn harness(&mut self) -> Option<HarnessBlock> {
        let value = self.fm.fields.get("harness")?.clone();
        match serde_json::from_value::<HarnessBlock>(value) {
            Ok(block) => Some(block),
            Err(e) => {
                let d = Diagnostic::error(Code::InvalidHarnessBlock, format!("`harness` block: {e}"))
                    .at(match self.fm.line_of("harness") {
                        Some(line) => self.fm.text.key(self.path, line, "harness"),
                        None => Span::new(self.path, 1, 1),
                    })
                    .hint("known fields: protected_paths, gates, commit_types, require_reference, require_approved_plan");
                self.diagnostics.push(d);
                None
            }
        }
    }
}

fn describe(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}
