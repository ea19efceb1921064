//! The pre-tool hook of each agent tool: how it sends a tool call to
//! `harness-agents guard --from TOOL`, and how it takes a refusal.
//!
//! The guard decides in Claude Code's terms (`Bash` with a `command`,
//! `Edit` with a `file_path`, `mcp__server__tool`), so each adapter only
//! renames: a tool's own names and fields become the Claude Code call that
//! does the same thing, and the one decision comes back in the tool's own
//! answer. A call the adapter cannot read is an error, and every tool gets
//! its error in the form that blocks the call there (see [`Tool::blocks_on_exit`]).
//!
//! One call may be several: a Codex `apply_patch` touches every file its
//! patch names, and each is decided; the first refusal answers.
//!
//! Tool names and input fields follow each tool's reference (Gemini CLI's
//! hooks and file-system tools, GitHub Copilot CLI's hooks reference,
//! Cursor's hooks, Codex's hook schemas). Where the references name a field
//! differently across versions (Gemini CLI's `path`, `absolute_path` and
//! `file_path`), every name is read.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde_json::{Map, Value, json};

use crate::diagnostic::{Code, Diagnostic, Span};
use crate::error::{Error, Result};
use crate::policy::{GuardDecision, ToolCall};

use super::STDIN;

/// An agent tool harness installs into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tool {
    Claude,
    Codex,
    Gemini,
    Opencode,
    Copilot,
    Cursor,
}

impl Tool {
    pub const ALL: [Tool; 6] = [
        Tool::Claude,
        Tool::Codex,
        Tool::Gemini,
        Tool::Opencode,
        Tool::Copilot,
        Tool::Cursor,
    ];

    /// The name on the command line: `gemini`.
    pub fn name(self) -> &'static str {
        match self {
            Tool::Claude => "claude",
            Tool::Codex => "codex",
            Tool::Gemini => "gemini",
            Tool::Opencode => "opencode",
            Tool::Copilot => "copilot",
            Tool::Cursor => "cursor",
        }
    }

    /// The product's name, for people: `Gemini CLI`.
    pub fn title(self) -> &'static str {
        match self {
            Tool::Claude => "Claude Code",
            Tool::Codex => "Codex",
            Tool::Gemini => "Gemini CLI",
            Tool::Opencode => "OpenCode",
            Tool::Copilot => "GitHub Copilot",
            Tool::Cursor => "Cursor",
        }
    }

    /// Whether the tool runs a command before each tool call that can
    /// refuse it. OpenCode's equivalent is a JavaScript plugin, not a
    /// command: harness writes its permission rules instead.
    pub fn has_hook(self) -> bool {
        self != Tool::Opencode
    }

    /// Whether a failing hook (exit 2, the reason on stderr) blocks the
    /// call. Copilot CLI logs and skips a failing hook, and Cursor runs the
    /// call unless the hook says `failClosed`: there an error must be
    /// answered as a refusal on stdout.
    pub fn blocks_on_exit(self) -> bool {
        matches!(self, Tool::Claude | Tool::Codex | Tool::Gemini)
    }
}

impl fmt::Display for Tool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Tool {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Tool, String> {
        Tool::ALL
            .into_iter()
            .find(|t| t.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Tool::ALL.iter().map(|t| t.name()).collect();
                format!("unknown tool `{s}`; one of: {}", names.join(", "))
            })
    }
}

/// One hook event in the guard's terms.
#[derive(Debug, Clone)]
pub struct Event {
    /// Where the call runs, when the event says.
    pub cwd: Option<PathBuf>,
    /// The subagent the event names, when the tool sends one.
    pub agent: Option<String>,
    /// The calls to decide; never empty.
    pub calls: Vec<ToolCall>,
}

/// Reads one pre-tool event as `tool` sends it.
pub fn parse(tool: Tool, text: &str) -> Result<Event> {
    if tool == Tool::Claude {
        let event = super::HookEvent::parse(text)?;
        return Ok(Event {
            calls: vec![event.call()],
            cwd: event.cwd,
            agent: event.agent_type,
        });
    }
    let value: Value = serde_json::from_str(text).map_err(|e| {
        invalid(
            tool,
            format!("not a {} hook event: {e}", tool.title()),
            Some((e.line(), e.column())),
        )
    })?;
    let Value::Object(event) = value else {
        return Err(invalid(tool, "the hook event is not a JSON object", None));
    };
    let text_field = |key: &str| event.get(key).and_then(Value::as_str).map(str::to_string);
    let cwd = text_field("cwd").map(PathBuf::from);
    let agent = text_field("agent_type");
    let event_name = text_field("hook_event_name");
    let mut cwd = cwd;
    let calls = match tool {
        Tool::Claude | Tool::Codex => {
            expect_event(tool, event_name.as_deref(), &["PreToolUse"])?;
            let (name, input) = name_and_input(tool, &event, "tool_name", "tool_input")?;
            codex(&name, input)?
        }
        Tool::Gemini => {
            expect_event(tool, event_name.as_deref(), &["BeforeTool"])?;
            let (name, input) = name_and_input(tool, &event, "tool_name", "tool_input")?;
            // A shell command may run in another directory than the session.
            if name == "run_shell_command"
                && let Some(dir) = first_str(&input, &["dir_path", "directory"])
            {
                cwd = Some(cwd.unwrap_or_default().join(dir));
            }
            gemini(&name, input).map_err(|why| invalid(tool, why, None))?
        }
        Tool::Copilot => {
            // The camelCase event (`preToolUse`) has no event name; the
            // VS Code compatible one (`PreToolUse`) is Claude Code's shape.
            expect_event(tool, event_name.as_deref(), &["PreToolUse"])?;
            let (name, input) = if event.contains_key("toolName") {
                name_and_input(tool, &event, "toolName", "toolArgs")?
            } else {
                name_and_input(tool, &event, "tool_name", "tool_input")?
            };
            vec![copilot(&name, input).map_err(|why| invalid(tool, why, None))?]
        }
        Tool::Cursor => {
            cursor(&event, event_name.as_deref()).map_err(|why| invalid(tool, why, None))?
        }
        Tool::Opencode => {
            return Err(Error::usage(
                "OpenCode runs no command before a tool call, so it cannot call `harness-agents guard`; `harness-agents install opencode` writes its permission rules instead",
            ));
        }
    };
    Ok(Event { cwd, agent, calls })
}

fn invalid(tool: Tool, message: impl Into<String>, at: Option<(usize, usize)>) -> Error {
    let mut d = Diagnostic::error(Code::InvalidEvent, message).hint(format!(
        "`harness-agents guard --from {tool}` reads {}'s pre-tool hook JSON on stdin; to try a call by hand use `harness-agents policy test`",
        tool.title()
    ));
    if let Some((line, col)) = at {
        d = d.at(Span::new(STDIN, line, col));
    }
    d.into()
}

fn expect_event(tool: Tool, name: Option<&str>, wanted: &[&str]) -> Result<()> {
    match name {
        Some(n) if !wanted.contains(&n) => Err(invalid(
            tool,
            format!(
                "`harness-agents guard --from {tool}` answers {} events, not `{n}`",
                wanted.join(", ")
            ),
            None,
        )),
        _ => Ok(()),
    }
}

/// The tool's name and its input as an object. Some tools send the input
/// as a JSON string; it is read as the object it holds.
fn name_and_input(
    tool: Tool,
    event: &Map<String, Value>,
    name_key: &str,
    input_key: &str,
) -> Result<(String, Map<String, Value>)> {
    let name = event
        .get(name_key)
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| invalid(tool, format!("the event has no `{name_key}` string"), None))?;
    let input = object(event.get(input_key))
        .ok_or_else(|| invalid(tool, format!("`{input_key}` is not a JSON object"), None))?;
    Ok((name.to_string(), input))
}

/// An object, or a string holding one; a missing input is empty.
fn object(value: Option<&Value>) -> Option<Map<String, Value>> {
    match value {
        None | Some(Value::Null) => Some(Map::new()),
        Some(Value::Object(m)) => Some(m.clone()),
        Some(Value::String(s)) if s.trim().is_empty() => Some(Map::new()),
        Some(Value::String(s)) => match serde_json::from_str(s) {
            Ok(Value::Object(m)) => Some(m),
            _ => None,
        },
        Some(_) => None,
    }
}

fn first_str<'a>(input: &'a Map<String, Value>, keys: &[&str]) -> Option<&'a str> {
    keys.iter()
        .find_map(|k| input.get(*k).and_then(Value::as_str))
}

fn call(name: &str, input: Map<String, Value>) -> ToolCall {
    ToolCall {
        tool_name: name.to_string(),
        tool_input: Value::Object(input),
    }
}

/// A Claude Code call on one path, or the tool's own call when the path
/// is missing (the guard then denies it for want of its input field).
fn on_path(claude: &str, input: &Map<String, Value>, keys: &[&str]) -> ToolCall {
    match first_str(input, keys) {
        Some(path) => call(claude, object_of(json!({ "file_path": path }))),
        None => call(claude, Map::new()),
    }
}

/// A Glob or Grep in Claude Code's fields.
fn search(claude: &str, input: &Map<String, Value>, dir_keys: &[&str], glob_key: &str) -> ToolCall {
    let mut out = Map::new();
    if let Some(p) = first_str(input, &["pattern"]) {
        out.insert("pattern".into(), json!(p));
    }
    if let Some(dir) = first_str(input, dir_keys) {
        out.insert("path".into(), json!(dir));
    }
    if let Some(g) = first_str(input, &[glob_key]) {
        out.insert("glob".into(), json!(g));
    }
    call(claude, out)
}

fn object_of(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn shell(input: &Map<String, Value>) -> ToolCall {
    match first_str(input, &["command"]) {
        Some(c) => call("Bash", object_of(json!({ "command": c }))),
        None => call("Bash", Map::new()),
    }
}

/// Gemini CLI's built-in tools.
fn gemini(name: &str, input: Map<String, Value>) -> std::result::Result<Vec<ToolCall>, String> {
    const FILE: &[&str] = &["file_path", "absolute_path", "path"];
    const DIR: &[&str] = &["dir_path", "path", "directory"];
    Ok(vec![match name {
        "run_shell_command" => shell(&input),
        "write_file" => on_path("Write", &input, FILE),
        "replace" | "edit" => on_path("Edit", &input, FILE),
        "read_file" => on_path("Read", &input, FILE),
        "glob" => search("Glob", &input, DIR, "include"),
        // `search_file_content` before Gemini CLI renamed it `grep_search`.
        "search_file_content" | "grep_search" | "grep" => search("Grep", &input, DIR, "include"),
        "list_directory" | "ls" => match first_str(&input, DIR) {
            Some(dir) => call("LS", object_of(json!({ "path": dir }))),
            None => call("LS", Map::new()),
        },
        "web_fetch" => {
            // The fetch names its pages inside a prompt, and fetches each
            // one: every URL is checked, and a prompt naming none is refused.
            let prompt = first_str(&input, &["prompt", "url"]).unwrap_or("");
            let urls: Vec<ToolCall> = prompt
                .split_whitespace()
                .map(|w| {
                    w.trim_matches(|c: char| matches!(c, '(' | ')' | '<' | '>' | ',' | '"' | '\''))
                })
                .filter(|w| w.starts_with("http://") || w.starts_with("https://"))
                .map(|url| call("WebFetch", object_of(json!({ "url": url }))))
                .collect();
            if urls.is_empty() {
                return Err("the `web_fetch` call names no http(s) URL, so what it fetches cannot be checked".to_string());
            }
            return Ok(urls);
        }
        "google_web_search" => call("WebSearch", input),
        "read_many_files" => {
            // Each path it reads meets the read rules.
            let reads: Vec<ToolCall> = input
                .get("paths")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(|p| call("Read", object_of(json!({ "file_path": p }))))
                .collect();
            if reads.is_empty() {
                return Err("the `read_many_files` call names no path".to_string());
            }
            return Ok(reads);
        }
        // Its to-do list and memory: nothing of the project.
        "write_todos" | "save_memory" => call(name, input),
        _ => known_elsewhere(Tool::Gemini, name, input)?,
    }])
}

/// A tool name the adapter does not map: an MCP tool goes to the guard's
/// MCP checks; anything else is refused, since the guard cannot tell what
/// it writes (Claude Code's own names are the guard's, so only the other
/// tools' adapters meet this).
fn known_elsewhere(
    tool: Tool,
    name: &str,
    input: Map<String, Value>,
) -> std::result::Result<ToolCall, String> {
    if name.starts_with("mcp__") {
        return Ok(call(name, input));
    }
    Err(format!(
        "`{name}` is not a {} tool the guard knows, so what it writes cannot be checked; it is refused",
        tool.title()
    ))
}

/// GitHub Copilot CLI's tools, by the names its hooks reference lists.
fn copilot(name: &str, input: Map<String, Value>) -> std::result::Result<ToolCall, String> {
    const FILE: &[&str] = &["path", "file_path"];
    Ok(match name {
        "bash" | "powershell" => shell(&input),
        "view" => on_path("Read", &input, FILE),
        "create" => on_path("Write", &input, FILE),
        "edit" | "str_replace" | "str_replace_editor" => on_path("Edit", &input, FILE),
        "glob" => search("Glob", &input, &["path"], "glob"),
        "grep" => search("Grep", &input, &["path"], "glob"),
        "web_fetch" => call("WebFetch", input),
        "task" => call("Task", input),
        // Input to a shell it started earlier is a command like any other.
        "write_bash" => match first_str(&input, &["input", "command"]) {
            Some(c) => call("Bash", object_of(json!({ "command": c }))),
            None => call("Bash", Map::new()),
        },
        // Reading, listing and stopping its shells, and its own notes.
        "read_bash" | "list_bash" | "stop_bash" | "report_intent" | "think" | "update_todo" => {
            call(name, input)
        }
        _ => known_elsewhere(Tool::Copilot, name, input)?,
    })
}

/// Cursor's events: the shell, file-read and MCP events each carry one
/// kind of call; `preToolUse` carries any tool by Cursor's names.
fn cursor(
    event: &Map<String, Value>,
    name: Option<&str>,
) -> std::result::Result<Vec<ToolCall>, String> {
    let need = |key: &str| {
        event
            .get(key)
            .and_then(Value::as_str)
            .ok_or_else(|| format!("the event has no `{key}` string"))
    };
    let input_of =
        |key: &str| object(event.get(key)).ok_or_else(|| format!("`{key}` is not a JSON object"));
    Ok(vec![match name {
        Some("beforeShellExecution") => {
            call("Bash", object_of(json!({ "command": need("command")? })))
        }
        Some("beforeReadFile") => call(
            "Read",
            object_of(json!({ "file_path": need("file_path")? })),
        ),
        Some("beforeMCPExecution") => {
            call(&cursor_mcp(need("tool_name")?), input_of("tool_input")?)
        }
        Some("preToolUse") => {
            let tool = need("tool_name")?;
            let input = input_of("tool_input")?;
            const FILE: &[&str] = &["file_path", "path", "target_file"];
            match tool {
                "Shell" | "Terminal" | "run_terminal_cmd" => shell(&input),
                "Read" | "read_file" => on_path("Read", &input, FILE),
                "Write" | "Edit" | "StrReplace" | "MultiEdit" | "Delete" | "edit_file"
                | "delete_file" => on_path("Write", &input, FILE),
                "Grep" | "grep_search" => search("Grep", &input, &["path"], "glob"),
                "Glob" | "file_search" => {
                    search("Glob", &input, &["path", "target_directory"], "glob")
                }
                "LS" | "list_dir" => call("LS", input),
                t if t.starts_with("MCP:") => call(&cursor_mcp(t), input),
                t => known_elsewhere(Tool::Cursor, t, input)?,
            }
        }
        Some(other) => {
            return Err(format!(
                "`harness-agents guard --from cursor` answers preToolUse, beforeShellExecution, beforeReadFile and beforeMCPExecution events, not `{other}`"
            ));
        }
        None => return Err("the event has no `hook_event_name`".to_string()),
    }])
}

/// Cursor names an MCP tool `MCP:server:tool`; the guard's rules name it
/// `mcp__server__tool`.
fn cursor_mcp(name: &str) -> String {
    let bare = name.strip_prefix("MCP:").unwrap_or(name);
    format!("mcp__{}", bare.replace(':', "__"))
}

/// Codex sends Claude Code's shape, with `apply_patch` for its edits: the
/// patch body in `command`, one `*** Add/Update/Delete File: PATH` header
/// per file (and `*** Move to: PATH` for a rename).
fn codex(name: &str, input: Map<String, Value>) -> Result<Vec<ToolCall>> {
    // `apply_patch` also runs as a shell command, its patch in a heredoc:
    // the command is checked as any other, and so is each file it names.
    let shell_patch = (name == "Bash")
        .then(|| first_str(&input, &["command"]))
        .flatten()
        .filter(|c| {
            let program = c.split_whitespace().next().unwrap_or("");
            matches!(
                program.rsplit('/').next(),
                Some("apply_patch" | "applypatch")
            )
        })
        .map(str::to_string);
    let (patch, mut calls) = match (name, shell_patch) {
        ("apply_patch", _) => (
            first_str(&input, &["command", "patch", "input"])
                .unwrap_or("")
                .to_string(),
            Vec::new(),
        ),
        (_, Some(command)) => (command, vec![call(name, input)]),
        _ => return Ok(vec![call(name, input)]),
    };
    // A header counts however it is indented, as Codex's parser reads it.
    let files: Vec<ToolCall> = patch
        .lines()
        .map(str::trim_start)
        .filter_map(|l| {
            [
                "*** Add File: ",
                "*** Update File: ",
                "*** Delete File: ",
                "*** Move to: ",
            ]
            .iter()
            .find_map(|h| l.strip_prefix(h))
        })
        .map(|path| call("Write", object_of(json!({ "file_path": path.trim() }))))
        .collect();
    if files.is_empty() {
        return Err(invalid(
            Tool::Codex,
            "the `apply_patch` call names no file (no `*** Add File:`, `*** Update File:` or `*** Delete File:` line), so what it writes cannot be checked",
            None,
        ));
    }
    calls.extend(files);
    Ok(calls)
}

/// The decision of several calls: the first refusal, else the last
/// decision (each says no rule objects).
pub fn combine(decisions: Vec<GuardDecision>) -> Option<GuardDecision> {
    let deny = decisions.iter().position(GuardDecision::is_deny);
    match deny {
        Some(i) => decisions.into_iter().nth(i),
        None => decisions.into_iter().last(),
    }
}

/// What the hook prints for the decision, to exit 0 after. A call harness
/// does not refuse gets no verdict, so the tool's own permission settings
/// still decide.
pub fn answer(tool: Tool, decision: &GuardDecision) -> String {
    if !decision.is_deny() {
        // Gemini CLI and Cursor parse stdout as JSON: an empty object is
        // "no objection" there; Claude Code, Codex and Copilot take silence.
        return match tool {
            Tool::Gemini | Tool::Cursor => "{}\n".to_string(),
            _ => String::new(),
        };
    }
    refusal(tool, &decision.reason)
}

/// A refusal with `reason`, in `tool`'s answer.
pub fn refusal(tool: Tool, reason: &str) -> String {
    let value = match tool {
        Tool::Claude | Tool::Codex | Tool::Opencode => json!({
            "hookSpecificOutput": {
                "hookEventName": "PreToolUse",
                "permissionDecision": "deny",
                "permissionDecisionReason": reason,
            }
        }),
        Tool::Gemini => json!({ "decision": "deny", "reason": reason }),
        Tool::Copilot => json!({
            "permissionDecision": "deny",
            "permissionDecisionReason": reason,
        }),
        Tool::Cursor => json!({
            "permission": "deny",
            "user_message": reason,
            "agent_message": reason,
        }),
    };
    format!("{value}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn reads(tool: Tool, event: Value, expected: &[(&str, Value)]) {
        let got = parse(tool, &event.to_string()).unwrap();
        let got: Vec<(String, Value)> = got
            .calls
            .into_iter()
            .map(|c| (c.tool_name, c.tool_input))
            .collect();
        let expected: Vec<(String, Value)> = expected
            .iter()
            .map(|(n, v)| (n.to_string(), v.clone()))
            .collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn each_tool_is_read_in_claude_codes_terms() {
        reads(
            Tool::Gemini,
            json!({"hook_event_name": "BeforeTool", "tool_name": "replace", "tool_input": {"file_path": "/r/a.rs", "old_string": "a"}}),
            &[("Edit", json!({"file_path": "/r/a.rs"}))],
        );
        reads(
            Tool::Gemini,
            json!({"hook_event_name": "BeforeTool", "tool_name": "read_file", "tool_input": {"absolute_path": "/r/a"}}),
            &[("Read", json!({"file_path": "/r/a"}))],
        );
        reads(
            Tool::Gemini,
            json!({"hook_event_name": "BeforeTool", "tool_name": "web_fetch", "tool_input": {"prompt": "summarise https://docs.rs/x please"}}),
            &[("WebFetch", json!({"url": "https://docs.rs/x"}))],
        );
        reads(
            Tool::Copilot,
            json!({"toolName": "bash", "toolArgs": "{\"command\": \"ls\"}"}),
            &[("Bash", json!({"command": "ls"}))],
        );
        reads(
            Tool::Copilot,
            json!({"hook_event_name": "PreToolUse", "tool_name": "create", "tool_input": {"path": "a", "file_text": "x"}}),
            &[("Write", json!({"file_path": "a"}))],
        );
        reads(
            Tool::Cursor,
            json!({"hook_event_name": "beforeMCPExecution", "tool_name": "MCP:github:delete_repo", "tool_input": "{\"repo\": \"x\"}"}),
            &[("mcp__github__delete_repo", json!({"repo": "x"}))],
        );
        reads(
            Tool::Cursor,
            json!({"hook_event_name": "preToolUse", "tool_name": "Write", "tool_input": {"file_path": "t/a"}}),
            &[("Write", json!({"file_path": "t/a"}))],
        );
        reads(
            Tool::Codex,
            json!({"hook_event_name": "PreToolUse", "tool_name": "apply_patch", "tool_input": {"command": "*** Begin Patch\n*** Update File: src/a.rs\n@@\n-a\n+b\n*** Add File: tests/b.rs\n+x\n*** End Patch\n"}}),
            &[
                ("Write", json!({"file_path": "src/a.rs"})),
                ("Write", json!({"file_path": "tests/b.rs"})),
            ],
        );
    }

    #[test]
    fn unreadable_events_are_errors() {
        for (tool, event) in [
            (
                Tool::Gemini,
                json!({"hook_event_name": "AfterTool", "tool_name": "x", "tool_input": {}}),
            ),
            (
                Tool::Copilot,
                json!({"toolName": "bash", "toolArgs": "not json"}),
            ),
            (Tool::Cursor, json!({"hook_event_name": "afterFileEdit"})),
            (
                Tool::Codex,
                json!({"tool_name": "apply_patch", "tool_input": {"command": "garbage"}}),
            ),
            (Tool::Opencode, json!({})),
        ] {
            assert!(parse(tool, &event.to_string()).is_err(), "{tool}: {event}");
        }
        assert!(parse(Tool::Gemini, "[1,").is_err());
    }

    #[test]
    fn tool_names_round_trip() {
        for t in Tool::ALL {
            assert_eq!(t.name().parse::<Tool>(), Ok(t));
        }
        assert!(
            "vim"
                .parse::<Tool>()
                .unwrap_err()
                .contains("one of: claude, codex")
        );
    }
}
