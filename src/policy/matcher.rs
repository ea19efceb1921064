//! Claude Code's permission-rule syntax, matched against one tool call.
//!
//! A rule is `Tool` (every use of the tool), `Tool(specifier)`, or an MCP
//! name: `mcp__server` and `mcp__server__*` (every tool of a server),
//! `mcp__server__tool`, `mcp__*`. What a specifier means depends on the
//! tool:
//! - `Bash(npm run test:*)`, `Bash(git diff *)`: a command pattern where
//!   `*` matches any text, and a trailing ` *` (or the older `:*`) also
//!   matches the bare command but only at a word boundary, so
//!   `Bash(ls *)` matches `ls -la` and `ls` but not `lsof`;
//! - `Edit(src/**)`, `Read(./docs/*.md)`: a gitignore-style path pattern,
//!   relative to the repository root (`//abs` for an absolute path); `Edit`
//!   rules cover every tool that edits files, `Read` rules every tool that
//!   reads them;
//! - `WebFetch(domain:example.com)`: the host of the URL;
//! - `Agent(worker, qa)` / `Task(...)`: the subagent type;
//! - anything else: a `*` pattern over the call's main string argument.

use super::paths::{Located, PathRules};
use crate::agent::ToolSpec;

/// Tools whose calls write a file, and the input field naming it.
pub const EDIT_TOOLS: &[&str] = &["Edit", "MultiEdit", "Write", "NotebookEdit"];
/// Tools whose calls read files.
pub const READ_TOOLS: &[&str] = &["Read", "Glob", "Grep", "NotebookRead", "LS"];

/// Whether a rule's tool name covers `tool`, ignoring any specifier.
pub fn names_tool(rule: &str, tool: &str) -> bool {
    if rule == tool {
        return true;
    }
    let (Some(rest), Some(_)) = (rule.strip_prefix("mcp__"), tool.strip_prefix("mcp__")) else {
        return false;
    };
    if rest == "*" {
        return true;
    }
    let server = rest.strip_suffix("__*").unwrap_or(rest);
    if server.contains("__") || server.contains('*') {
        return wildcard(rule, tool);
    }
    tool.strip_prefix("mcp__")
        .and_then(|t| t.strip_prefix(server))
        .is_some_and(|t| t.starts_with("__"))
}

/// Whether a rule with a specifier applies to `tool` at all: `Edit(...)`
/// rules apply to every editing tool, `Read(...)` to every reading one.
pub fn family_covers(rule: &str, tool: &str) -> bool {
    match rule {
        "Edit" => EDIT_TOOLS.contains(&tool),
        "Read" => READ_TOOLS.contains(&tool),
        "Agent" | "Task" => tool == "Agent" || tool == "Task",
        _ => names_tool(rule, tool),
    }
}

/// What a call offers a specifier to match against.
#[derive(Debug, Clone, Default)]
pub struct Subject<'a> {
    /// Bash: the parts' command texts.
    pub commands: &'a [String],
    /// File tools: every path the call names.
    pub paths: &'a [Located],
    /// The URL of a WebFetch.
    pub url: Option<&'a str>,
    /// Anything else: the main string argument (subagent type, skill, query).
    pub text: Option<&'a str>,
}

/// How a specifier relates to a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecMatch {
    /// Every part of the call matches (for Bash: every command).
    All,
    /// Some part matches, not all.
    Some,
    None,
}

/// Matches a rule's specifier against what the call offers.
pub fn specifier_matches(rule: &ToolSpec, spec: &str, subject: &Subject<'_>) -> SpecMatch {
    match rule.name.as_str() {
        "Bash" => {
            let hits = subject
                .commands
                .iter()
                .filter(|c| command_matches(spec, c))
                .count();
            count_match(hits, subject.commands.len())
        }
        name if name == "Edit"
            || name == "Read"
            || EDIT_TOOLS.contains(&name)
            || READ_TOOLS.contains(&name) =>
        {
            let Ok(rules) = PathRules::new([(path_pattern(spec), ())]) else {
                return SpecMatch::None;
            };
            let hits = subject
                .paths
                .iter()
                .filter(|p| match p {
                    Located::Outside(abs) => {
                        // `//abs/**` patterns match absolute paths.
                        spec.starts_with("//")
                            && PathRules::new([(spec[1..].trim_start_matches('/').to_string(), ())])
                                .ok()
                                .and_then(|r| {
                                    r.matching(abs.to_string_lossy().trim_start_matches('/'))
                                        .map(|_| ())
                                })
                                .is_some()
                    }
                    inside => rules.matching_located(inside).is_some(),
                })
                .count();
            count_match(hits, subject.paths.len())
        }
        "WebFetch" => {
            let host = subject.url.and_then(url_host);
            let ok = match (spec.strip_prefix("domain:"), host) {
                (Some(domain), Some(host)) => {
                    host == domain
                        || domain
                            .strip_prefix("*.")
                            .is_some_and(|d| host.ends_with(&format!(".{d}")))
                }
                (None, _) => subject.url.is_some_and(|u| wildcard(spec, u)),
                _ => false,
            };
            bool_match(ok)
        }
        "Agent" | "Task" => {
            let ok = subject
                .text
                .is_some_and(|t| spec.split(',').any(|s| s.trim() == t));
            bool_match(ok)
        }
        _ => bool_match(subject.text.is_some_and(|t| wildcard(spec, t))),
    }
}

fn count_match(hits: usize, total: usize) -> SpecMatch {
    if total > 0 && hits == total {
        SpecMatch::All
    } else if hits > 0 {
        SpecMatch::Some
    } else {
        SpecMatch::None
    }
}

fn bool_match(ok: bool) -> SpecMatch {
    if ok { SpecMatch::All } else { SpecMatch::None }
}

/// A path specifier in gitignore form relative to the repository root:
/// `./x` and `x` are relative, `/x` is anchored at the root.
fn path_pattern(spec: &str) -> String {
    let spec = spec.strip_prefix("./").unwrap_or(spec);
    spec.to_string()
}

fn url_host(url: &str) -> Option<&str> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split(['/', '?', '#']).next()?;
    let host = host.rsplit('@').next()?;
    let host = host.split(':').next()?;
    (!host.is_empty()).then_some(host)
}

/// Claude Code's Bash command pattern. A trailing `:*` is the older
/// spelling of ` *`; a trailing ` *` also matches the bare command.
pub fn command_matches(spec: &str, command: &str) -> bool {
    let spec = spec.trim();
    let spec = match spec.strip_suffix(":*") {
        Some(prefix) => format!("{prefix} *"),
        None => spec.to_string(),
    };
    if let Some(prefix) = spec.strip_suffix(" *")
        && !prefix.contains('*')
    {
        return command == prefix
            || command
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with(char::is_whitespace));
    }
    wildcard(&spec, command)
}

/// `*` matches any text (including none); everything else is literal.
pub fn wildcard(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_names_and_mcp_patterns() {
        assert!(names_tool("Read", "Read"));
        assert!(!names_tool("Read", "ReadX"));
        assert!(names_tool("mcp__github", "mcp__github__create_issue"));
        assert!(names_tool("mcp__github__*", "mcp__github__create_issue"));
        assert!(!names_tool("mcp__github", "mcp__githubx__a"));
        assert!(names_tool("mcp__*", "mcp__x__y"));
        assert!(names_tool(
            "mcp__github__create_issue",
            "mcp__github__create_issue"
        ));
        assert!(!names_tool(
            "mcp__github__create_issue",
            "mcp__github__close"
        ));
        assert!(names_tool("mcp__github__get_*", "mcp__github__get_issue"));
        assert!(!names_tool("mcp__*", "Read"));
    }

    #[test]
    fn bash_patterns_respect_word_boundaries() {
        assert!(command_matches("git diff:*", "git diff"));
        assert!(command_matches("git diff:*", "git diff --stat"));
        assert!(!command_matches("git diff:*", "git difftool"));
        assert!(command_matches("ls *", "ls -la"));
        assert!(!command_matches("ls *", "lsof"));
        assert!(command_matches("ls*", "lsof"));
        assert!(command_matches("npm run test:*", "npm run test -- --watch"));
        assert!(!command_matches("npm run test:*", "npm run testing"));
        assert!(command_matches("git * main", "git push origin main"));
        assert!(command_matches("make", "make"));
        assert!(!command_matches("make", "make install"));
    }

    #[test]
    fn web_fetch_domains() {
        let rule = ToolSpec::parse("WebFetch(domain:docs.rs)", 1);
        let s = |url| Subject {
            url: Some(url),
            ..Subject::default()
        };
        assert_eq!(
            specifier_matches(&rule, "domain:docs.rs", &s("https://docs.rs/x")),
            SpecMatch::All
        );
        assert_eq!(
            specifier_matches(&rule, "domain:docs.rs", &s("https://evil.com/docs.rs")),
            SpecMatch::None
        );
    }
}
