//! Tool names as agent definitions write them: `Read`, `Bash(git add *)`,
//! `Agent(worker, qa)`, `mcp__github__create_issue`, `mcp__*`.

use std::fmt;

use serde::{Serialize, Serializer};

/// The tools Claude Code offers today.
pub const KNOWN_TOOLS: &[&str] = &[
    "Agent",
    "AskUserQuestion",
    "Bash",
    "BashOutput",
    "Edit",
    "EnterPlanMode",
    "ExitPlanMode",
    "Glob",
    "Grep",
    "KillShell",
    "ListMcpResourcesTool",
    "LSP",
    "MultiEdit",
    "NotebookEdit",
    "Read",
    "ReadMcpResourceTool",
    "Skill",
    "SendMessage",
    "SlashCommand",
    "Task",
    "TaskCreate",
    "TaskGet",
    "TaskList",
    "TaskOutput",
    "TaskStop",
    "TaskUpdate",
    "TeamCreate",
    "TeamDelete",
    "TodoRead",
    "TodoWrite",
    "ToolSearch",
    "WebFetch",
    "WebSearch",
    "Write",
];

/// Names older definitions use, with what replaced them.
pub const LEGACY_TOOLS: &[(&str, &str)] = &[("LS", "Glob"), ("NotebookRead", "Read")];

/// One entry of a `tools` or `disallowedTools` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolSpec {
    /// As written, trimmed: `Bash(git add *)`.
    pub raw: String,
    /// The tool: `Bash`.
    pub name: String,
    /// What is inside the parentheses: `git add *`.
    pub specifier: Option<String>,
    /// The line of the file it was written on.
    pub line: usize,
}

impl ToolSpec {
    pub fn parse(raw: &str, line: usize) -> ToolSpec {
        let raw = raw.trim().to_string();
        let (name, specifier) = match raw.find('(') {
            Some(open) if raw.ends_with(')') => (
                raw[..open].trim().to_string(),
                Some(raw[open + 1..raw.len() - 1].trim().to_string()),
            ),
            _ => (raw.clone(), None),
        };
        ToolSpec {
            raw,
            name,
            specifier,
            line,
        }
    }

    pub fn is_mcp(&self) -> bool {
        self.name.starts_with("mcp__")
    }

    /// What kind of name this is, for validation.
    pub fn kind(&self) -> ToolKind {
        if self.is_mcp() {
            return ToolKind::Mcp;
        }
        if KNOWN_TOOLS.contains(&self.name.as_str()) {
            return ToolKind::Known;
        }
        if let Some((_, new)) = LEGACY_TOOLS.iter().find(|(old, _)| *old == self.name) {
            return ToolKind::Legacy(new);
        }
        ToolKind::Unknown
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolKind {
    Known,
    Mcp,
    /// An old name, and the tool that replaced it.
    Legacy(&'static str),
    Unknown,
}

impl fmt::Display for ToolSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl Serialize for ToolSpec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.raw)
    }
}

/// Splits a tools string written as `Read, Grep`, `Read Grep` or a mix,
/// keeping parenthesised specifiers whole: `Bash(git add *), Agent(a, b)`.
pub fn split_tool_string(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut current = String::new();
    for c in s.chars() {
        match c {
            '(' => {
                depth += 1;
                current.push(c);
            }
            ')' => {
                depth = depth.saturating_sub(1);
                current.push(c);
            }
            ',' | ' ' | '\t' | '\n' if depth == 0 => {
                // A space between a name and its `(` belongs to the entry.
                if c != ',' && current.trim().is_empty() {
                    continue;
                }
                if c == ' ' || c == '\t' || c == '\n' {
                    // Look-ahead is not needed: `Bash (x)` is rare; treat a
                    // space as a separator only once the name has started.
                    let trimmed = current.trim().to_string();
                    if !trimmed.is_empty() {
                        out.push(trimmed);
                    }
                    current.clear();
                    continue;
                }
                let trimmed = current.trim().to_string();
                if !trimmed.is_empty() {
                    out.push(trimmed);
                }
                current.clear();
            }
            _ => current.push(c),
        }
    }
    let trimmed = current.trim().to_string();
    if !trimmed.is_empty() {
        out.push(trimmed);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn split(input: &str, expected: &[&str]) {
        assert_eq!(split_tool_string(input), expected, "input: {input:?}");
    }

    #[test]
    fn splits_every_string_form() {
        split("Read, Write, Edit", &["Read", "Write", "Edit"]);
        split("Read Write  Edit", &["Read", "Write", "Edit"]);
        split("Read,Write", &["Read", "Write"]);
        split(
            "Read, Bash(git add *), Grep",
            &["Read", "Bash(git add *)", "Grep"],
        );
        split("Agent(worker, qa) Read", &["Agent(worker, qa)", "Read"]);
        split("Bash(npm run test:*)", &["Bash(npm run test:*)"]);
        split(
            "mcp__github__create_issue, mcp__*",
            &["mcp__github__create_issue", "mcp__*"],
        );
        split("  ", &[]);
        split("Read,, Write,", &["Read", "Write"]);
    }

    #[test]
    fn parses_specifiers_and_kinds() {
        let t = ToolSpec::parse(" Bash(git diff:*) ", 4);
        assert_eq!(t.name, "Bash");
        assert_eq!(t.specifier.as_deref(), Some("git diff:*"));
        assert_eq!(t.raw, "Bash(git diff:*)");
        assert_eq!(t.kind(), ToolKind::Known);
        assert_eq!(ToolSpec::parse("mcp__server", 1).kind(), ToolKind::Mcp);
        assert_eq!(ToolSpec::parse("LS", 1).kind(), ToolKind::Legacy("Glob"));
        assert_eq!(ToolSpec::parse("Deploy", 1).kind(), ToolKind::Unknown);
        // An unbalanced parenthesis is kept as a name, to be reported.
        assert_eq!(ToolSpec::parse("Bash(oops", 1).name, "Bash(oops");
    }
}
