//! `harness-agents guard --from TOOL`: each agent tool's own pre-tool event on
//! stdin, the same decision as Claude Code's, and the answer in the form
//! that tool reads. One table: the events as each tool's reference
//! documents them, the exact answer expected.

use serde_json::{Value, json};

use crate::common::Repo;

const TESTS_RULE: &str = "agents/realtime-dev.md:60: Do NOT modify test files under any circumstances. (protected path `**/tests/**`)";

struct Case {
    tool: &'static str,
    event: Value,
    stdout: String,
    code: i32,
}

fn case(tool: &'static str, event: Value, stdout: impl Into<String>) -> Case {
    Case {
        tool,
        event,
        stdout: stdout.into(),
        code: 0,
    }
}

fn line(v: Value) -> String {
    format!("{v}\n")
}

fn claude_deny(reason: &str) -> String {
    line(json!({"hookSpecificOutput": {
        "hookEventName": "PreToolUse",
        "permissionDecision": "deny",
        "permissionDecisionReason": reason,
    }}))
}

fn gemini_deny(reason: &str) -> String {
    line(json!({"decision": "deny", "reason": reason}))
}

fn copilot_deny(reason: &str) -> String {
    line(json!({"permissionDecision": "deny", "permissionDecisionReason": reason}))
}

fn cursor_deny(reason: &str) -> String {
    line(json!({"permission": "deny", "user_message": reason, "agent_message": reason}))
}

fn table(root: &str) -> Vec<Case> {
    let test_file = format!("{root}/tests/ws.rs");
    let edit_reason = format!("harness denies `Edit` writing `tests/ws.rs`: {TESTS_RULE}");
    let write_reason = format!("harness denies `Write` writing `tests/ws.rs`: {TESTS_RULE}");
    let bash_reason = format!("harness denies `Bash` writing `tests/a.rs`: {TESTS_RULE}");
    let read_settings = "harness denies `Bash` writing `.gemini/settings.json`: harness.toml:1: `.gemini/` holds Gemini CLI's settings (with the guard's hook), agents and skills: only a person changes it (protected path `/.gemini`)";
    vec![
        // Claude Code, the default, for comparison.
        case(
            "claude",
            json!({"hook_event_name": "PreToolUse", "cwd": root, "tool_name": "Edit", "tool_input": {"file_path": test_file}}),
            claude_deny(&edit_reason),
        ),
        // Codex: Claude Code's shape; its edits are `apply_patch` calls.
        case(
            "codex",
            json!({"hook_event_name": "PreToolUse", "cwd": root, "session_id": "s", "turn_id": "t", "model": "gpt-5", "permission_mode": "default", "tool_use_id": "c1", "transcript_path": null,
                   "tool_name": "apply_patch", "tool_input": {"command": "*** Begin Patch\n*** Update File: plans/0001-presence.md\n@@\n-a\n+b\n*** Add File: tests/ws.rs\n+x\n*** End Patch\n"}}),
            claude_deny(&write_reason),
        ),
        case(
            "codex",
            json!({"hook_event_name": "PreToolUse", "cwd": root, "tool_name": "apply_patch", "tool_input": {"command": "*** Begin Patch\n*** Update File: plans/0001-presence.md\n@@\n-a\n+b\n*** End Patch\n"}}),
            "",
        ),
        case(
            "codex",
            json!({"hook_event_name": "PreToolUse", "cwd": root, "tool_name": "Bash", "tool_input": {"command": "echo x > tests/a.rs"}}),
            claude_deny(&bash_reason),
        ),
        // A header indented in the patch still names a file, and a patch
        // applied from the shell is checked file by file.
        case(
            "codex",
            json!({"hook_event_name": "PreToolUse", "cwd": root, "tool_name": "apply_patch", "tool_input": {"command": "*** Begin Patch\n*** Update File: plans/0001-presence.md\n@@\n-a\n+b\n   *** Add File: tests/ws.rs\n+x\n*** End Patch\n"}}),
            claude_deny(&write_reason),
        ),
        case(
            "codex",
            json!({"hook_event_name": "PreToolUse", "cwd": root, "tool_name": "Bash", "tool_input": {"command": "apply_patch <<'EOF'\n*** Begin Patch\n*** Add File: tests/ws.rs\n+x\n*** End Patch\nEOF"}}),
            claude_deny(&write_reason),
        ),
        // Gemini CLI: BeforeTool, its own tool names, `decision: deny`.
        case(
            "gemini",
            json!({"hook_event_name": "BeforeTool", "cwd": root, "session_id": "s", "transcript_path": "/t", "timestamp": "2026-01-02T03:04:05Z",
                   "tool_name": "replace", "tool_input": {"file_path": test_file, "old_string": "a", "new_string": "b"}}),
            gemini_deny(&edit_reason),
        ),
        case(
            "gemini",
            json!({"hook_event_name": "BeforeTool", "cwd": root, "tool_name": "run_shell_command", "tool_input": {"command": "echo x > tests/a.rs"}}),
            gemini_deny(&bash_reason),
        ),
        case(
            "gemini",
            json!({"hook_event_name": "BeforeTool", "cwd": root, "tool_name": "run_shell_command", "tool_input": {"command": "echo {} > .gemini/settings.json"}}),
            gemini_deny(read_settings),
        ),
        case(
            "gemini",
            json!({"hook_event_name": "BeforeTool", "cwd": root, "tool_name": "read_file", "tool_input": {"file_path": test_file}}),
            "{}\n",
        ),
        // Every page a fetch names is checked; a tool the adapter does not
        // know is refused, since what it writes cannot be told.
        case(
            "gemini",
            json!({"hook_event_name": "BeforeTool", "cwd": root, "tool_name": "web_fetch", "tool_input": {"prompt": "summarise https://docs.rs/x and https://example.com/y"}}),
            gemini_deny(
                "harness denies `WebFetch`: agents/realtime-dev.md:22: disallowedTools: WebFetch (`WebFetch` is in disallowedTools of `realtime-dev`)",
            ),
        ),
        Case {
            code: 2,
            ..case(
                "gemini",
                json!({"hook_event_name": "BeforeTool", "cwd": root, "tool_name": "web_fetch", "tool_input": {"prompt": "summarise the docs"}}),
                "",
            )
        },
        Case {
            code: 2,
            ..case(
                "gemini",
                json!({"hook_event_name": "BeforeTool", "cwd": root, "tool_name": "fs_write_raw", "tool_input": {"paths": ["tests/ws.rs"]}}),
                "",
            )
        },
        case(
            "gemini",
            json!({"hook_event_name": "BeforeTool", "cwd": root, "tool_name": "read_many_files", "tool_input": {"paths": ["src/lib.rs", "tests/ws.rs"]}}),
            "{}\n",
        ),
        case(
            "copilot",
            json!({"sessionId": "s", "cwd": root, "toolName": "fs_write_raw", "toolArgs": {"input": "x"}}),
            copilot_deny(
                "harness-agents guard could not check this call, so it is denied: `fs_write_raw` is not a GitHub Copilot tool the guard knows, so what it writes cannot be checked; it is refused",
            ),
        ),
        // Input typed into a running shell is a shell command.
        case(
            "copilot",
            json!({"sessionId": "s", "cwd": root, "toolName": "write_bash", "toolArgs": {"shellId": "1", "input": "echo x > tests/a.rs\n"}}),
            copilot_deny(&bash_reason),
        ),
        case(
            "copilot",
            json!({"sessionId": "s", "cwd": root, "toolName": "report_intent", "toolArgs": {"intent": "Reading the code"}}),
            // Known, so it meets the agent's own tool list like any call.
            copilot_deny(
                "harness denies `report_intent`: it is not in the tools of `realtime-dev` (agents/realtime-dev.md:10: tools: Read, Write, Edit, Glob, Grep, Bash, TaskList, TaskGet, TaskUpdate, AskUserQuestion)",
            ),
        ),
        // GitHub Copilot CLI: camelCase `preToolUse`, arguments as a JSON string.
        case(
            "copilot",
            json!({"sessionId": "s", "timestamp": 1_767_323_045_000_u64, "cwd": root, "toolName": "edit",
                   "toolArgs": json!({"path": test_file, "old_str": "a", "new_str": "b"}).to_string()}),
            copilot_deny(&edit_reason),
        ),
        case(
            "copilot",
            json!({"hook_event_name": "PreToolUse", "cwd": root, "tool_name": "bash", "tool_input": {"command": "echo x > tests/a.rs"}}),
            copilot_deny(&bash_reason),
        ),
        case(
            "copilot",
            json!({"sessionId": "s", "cwd": root, "toolName": "view", "toolArgs": {"path": test_file}}),
            "",
        ),
        // A Copilot hook that fails does not block, so an event harness
        // cannot read is refused on stdout.
        case(
            "copilot",
            json!({"sessionId": "s", "cwd": root, "toolName": "bash", "toolArgs": "{not json"}),
            copilot_deny(
                "harness-agents guard could not check this call, so it is denied: `toolArgs` is not a JSON object",
            ),
        ),
        // Cursor: one event per kind of call, `permission: deny`.
        case(
            "cursor",
            json!({"hook_event_name": "beforeShellExecution", "conversation_id": "c", "generation_id": "g", "workspace_roots": [root], "cwd": root, "command": "echo x > tests/a.rs"}),
            cursor_deny(&bash_reason),
        ),
        case(
            "cursor",
            json!({"hook_event_name": "preToolUse", "workspace_roots": [root], "tool_name": "Write", "tool_input": {"file_path": test_file, "contents": "x"}}),
            cursor_deny(&write_reason),
        ),
        case(
            "cursor",
            json!({"hook_event_name": "beforeReadFile", "workspace_roots": [root], "file_path": test_file, "content": "x"}),
            "{}\n",
        ),
    ]
}

#[test]
fn each_tools_hook_gets_the_same_decision_in_its_own_answer() {
    let r = Repo::with_agents(&["tests", "plans"]);
    let root = r.root.to_str().unwrap().to_string();
    let mut failures = Vec::new();
    for c in table(&root) {
        let out = r
            .harness(["guard", "--from", c.tool, "--root", &root])
            .env("HARNESS_AGENT", "realtime-dev")
            .stdin(c.event.to_string())
            .run();
        if out.code != c.code || out.stdout != c.stdout {
            failures.push(format!(
                "{} {}:\n  expected exit {} {:?}\n  got      exit {} {:?}\n  stderr {:?}",
                c.tool, c.event, c.code, c.stdout, out.code, out.stdout, out.stderr
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_tool_whose_failing_hook_blocks_gets_exit_2() {
    let r = Repo::with_agents(&["tests"]);
    for tool in ["claude", "codex", "gemini"] {
        let out = r
            .harness(["guard", "--from", tool])
            .stdin("{\"tool_name\": 1")
            .assert(2);
        assert_eq!(out.stdout, "", "{tool}");
        assert!(out.stderr.contains("<stdin>:1:"), "{tool}: {}", out.stderr);
    }
    let out = r
        .harness(["guard", "--from", "opencode"])
        .stdin("{}")
        .assert(2);
    assert!(
        out.stderr
            .contains("OpenCode runs no command before a tool call")
    );
    let out = r.harness(["guard", "--from", "vim"]).stdin("{}").assert(2);
    assert!(
        out.stderr.contains(
            "unknown tool `vim`; one of: claude, codex, gemini, opencode, copilot, cursor"
        )
    );
}

#[test]
fn explain_shows_the_rule_for_any_tool() {
    let r = Repo::with_agents(&["tests"]);
    let root = r.root.to_str().unwrap().to_string();
    let event = json!({"hook_event_name": "BeforeTool", "cwd": root, "tool_name": "write_file", "tool_input": {"file_path": "tests/x.rs", "content": ""}});
    let out = r
        .harness([
            "guard",
            "--from",
            "gemini",
            "--explain",
            "--agent",
            "realtime-dev",
        ])
        .stdin(event.to_string())
        .assert(1);
    assert!(
        out.stdout.starts_with(&format!(
            "deny: harness denies `Write` writing `tests/x.rs`: {TESTS_RULE}\n  agent: realtime-dev\n"
        )),
        "{}",
        out.stdout
    );
}

#[test]
fn a_guard_that_cannot_start_still_refuses_where_failing_hooks_do_not_block() {
    // The hook starts in a directory that is gone: harness cannot even
    // tell where it is. Copilot would let the call through on a bare
    // error, so the refusal is on stdout.
    let r = Repo::with_agents(&["tests"]);
    let root = r.root.to_str().unwrap();
    let gone = tempfile::tempdir().unwrap();
    let dir = gone.path().join("cwd");
    std::fs::create_dir(&dir).unwrap();
    let event = json!({"sessionId": "s", "cwd": root, "toolName": "view", "toolArgs": {"path": "README.md"}});
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "cd \"$1\" && rmdir \"$1\" && printf '%s' '{event}' | \"{}\" guard --from copilot --root \"{root}\"",
            crate::common::BIN
        ))
        .arg("sh")
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.starts_with(
            "{\"permissionDecision\":\"deny\",\"permissionDecisionReason\":\"harness-agents guard could not check this call, so it is denied: cannot read `.`"
        ),
        "{stdout}"
    );
}
