//! `harness-agents install TOOL` for Codex, Gemini CLI, OpenCode, GitHub Copilot
//! and Cursor, run as the real binary on a real project: each tool's files
//! exactly as written (their documented formats), the report of what the
//! tool cannot express, and the engine they share with `install claude`
//! (`--dry-run`, `--check`, idempotence, never replacing a user's file).

use std::fs;

use serde_json::{Value, json};

use crate::common::{BIN, Repo, assert_contains};

/// One agent that uses every kind of rule a tool may or may not express.
const REVIEWER: &str = "---
name: reviewer
description: Reviews changes; fixes docs only.
model: sonnet
tools: Read, Grep, Bash(git diff:*), Edit, AskUserQuestion
disallowedTools: WebFetch
skills:
  - style
harness:
  protected_paths:
    - secrets/**
---

Review the diff.
";

fn repo() -> Repo {
    let r = Repo::new();
    r.write("agents/reviewer.md", REVIEWER);
    r
}

fn guard(r: &Repo, tool: &str) -> String {
    format!(
        "{} guard --from {tool} --root {}",
        fs::canonicalize(BIN).unwrap().display(),
        r.root.display()
    )
}

const MARK: &str = "from agents/reviewer.md; edit that file instead.";

#[test]
fn gemini_gets_a_subagent_and_a_before_tool_hook() {
    let r = repo();
    let out = r.harness(["install", "gemini"]).assert(0);
    assert_eq!(
        out.stdout,
        "create     .gemini/agents/reviewer.md
create     .gemini/settings.json

Gemini CLI cannot express 6 thing(s) of the definitions:
  project: each agent's own rules in the guard: Gemini CLI's BeforeTool event does not name the acting agent, so the guard applies HARNESS_AGENT or `[policy] default` (and the project's rules) to every call
  reviewer: tools: Bash(git diff:*): Gemini CLI allows `run_shell_command` whole; only the guard checks `Bash(git diff:*)`
  reviewer: tools: AskUserQuestion: Gemini CLI has no such tool; left out of the list
  reviewer: model: sonnet: not a model name Gemini CLI knows; the agent uses the session's model
  reviewer: disallowedTools: WebFetch: Gemini CLI's agent file has no deny list; only the guard refuses it
  reviewer: skills: style: no SKILL.md is found for it (`harness-agents skills list`); nothing installed
"
    );
    assert_eq!(
        r.read(".gemini/agents/reviewer.md"),
        format!(
            "---
# Installed by `harness-agents install gemini` {MARK}
name: \"reviewer\"
description: \"Reviews changes; fixes docs only.\"
kind: local
tools: [\"read_file\", \"grep_search\", \"run_shell_command\", \"replace\"]
---

Review the diff.
"
        )
    );
    // The same report as JSON, for scripts.
    let out = r
        .harness(["--format", "json", "install", "gemini", "--check"])
        .assert(0);
    let report = out.json();
    assert_eq!(report["tool"], "gemini");
    assert_eq!(
        report["files"],
        json!([
            {"path": ".gemini/agents/reviewer.md", "action": "unchanged"},
            {"path": ".gemini/settings.json", "action": "unchanged"},
        ])
    );
    assert_eq!(
        report["unexpressed"][2],
        json!({"agent": "reviewer", "what": "tools: AskUserQuestion", "why": "Gemini CLI has no such tool; left out of the list"})
    );
    let settings: Value = serde_json::from_str(&r.read(".gemini/settings.json")).unwrap();
    assert_eq!(
        settings,
        json!({"hooks": {"BeforeTool": [{"hooks": [{
            "name": "harness-guard",
            "type": "command",
            "command": guard(&r, "gemini"),
            "description": "Asks harness's policy before each tool call",
        }]}]}})
    );
}

#[test]
fn copilot_gets_a_custom_agent_and_a_pre_tool_use_hook() {
    let r = repo();
    r.harness(["install", "copilot"]).assert(0);
    assert_eq!(
        r.read(".github/agents/reviewer.agent.md"),
        format!(
            "---
# Installed by `harness-agents install copilot` {MARK}
name: \"reviewer\"
description: \"Reviews changes; fixes docs only.\"
tools: [\"read\", \"search\", \"execute\", \"edit\"]
---

Review the diff.
"
        )
    );
    let hooks: Value = serde_json::from_str(&r.read(".github/hooks/harness.json")).unwrap();
    assert_eq!(
        hooks,
        json!({"version": 1, "hooks": {"preToolUse": [
            {"type": "command", "bash": guard(&r, "copilot"), "timeoutSec": 30}
        ]}})
    );
}

#[test]
fn cursor_gets_a_rule_and_fail_closed_hooks() {
    let r = repo();
    let out = r.harness(["install", "cursor"]).assert(0);
    assert_contains(
        &out.stdout,
        "  reviewer: tools: Read, Grep, Bash(git diff:*), Edit, AskUserQuestion: a Cursor rule cannot limit tools; only the guard refuses the others\n",
    );
    assert_eq!(
        r.read(".cursor/rules/reviewer.mdc"),
        format!(
            "---
# Installed by `harness-agents install cursor` {MARK}
description: \"Reviews changes; fixes docs only.\"
alwaysApply: false
---
# Agent `reviewer`

Review the diff.
"
        )
    );
    let hooks: Value = serde_json::from_str(&r.read(".cursor/hooks.json")).unwrap();
    let ours = json!([{"command": guard(&r, "cursor"), "failClosed": true}]);
    assert_eq!(
        hooks,
        json!({"version": 1, "hooks": {
            "preToolUse": ours, "beforeShellExecution": ours,
            "beforeMCPExecution": ours, "beforeReadFile": ours,
        }})
    );
}

#[test]
fn codex_gets_a_custom_agent_and_a_pre_tool_use_hook() {
    let r = repo();
    let out = r.harness(["install", "codex"]).assert(0);
    assert_contains(
        &out.stdout,
        "  project: the guard's hook: Codex runs a project's hooks only once the person has trusted them: accept it when Codex asks\n",
    );
    let agent = r.read(".codex/agents/reviewer.toml");
    assert_eq!(
        agent,
        format!(
            "# Installed by `harness-agents install codex` {MARK}
name = \"reviewer\"
description = \"Reviews changes; fixes docs only.\"
developer_instructions = \"\"\"

Review the diff.
\"\"\"
"
        )
    );
    // What Codex reads back is the definition.
    let parsed: toml::Table = toml::from_str(&agent).unwrap();
    assert_eq!(
        parsed["developer_instructions"].as_str(),
        Some("\nReview the diff.\n")
    );
    let hooks: Value = serde_json::from_str(&r.read(".codex/hooks.json")).unwrap();
    assert_eq!(
        hooks,
        json!({"hooks": {"PreToolUse": [{"hooks": [{"type": "command", "command": guard(&r, "codex")}]}]}})
    );
}

#[test]
fn opencode_gets_a_subagent_whose_permissions_hold_the_rules() {
    let r = repo();
    let out = r.harness(["install", "opencode"]).assert(0);
    assert_contains(
        &out.stdout,
        "  reviewer: tools: AskUserQuestion: OpenCode has no permission for it; left out\n",
    );
    let text = r.read(".opencode/agents/reviewer.md");
    assert!(
        text.starts_with(&format!(
            "---
# Installed by `harness-agents install opencode` {MARK}
description: \"Reviews changes; fixes docs only.\"
mode: subagent
permissions:
  - {{ action: \"*\", resource: \"*\", effect: deny }}
  - {{ action: \"read\", resource: \"*\", effect: allow }}
  - {{ action: \"grep\", resource: \"*\", effect: allow }}
  - {{ action: \"shell\", resource: \"git diff *\", effect: allow }}
  - {{ action: \"edit\", resource: \"*\", effect: allow }}
  - {{ action: \"webfetch\", resource: \"*\", effect: deny }}
  - {{ action: \"edit\", resource: \"secrets/**\", effect: deny }}
  - {{ action: \"edit\", resource: \"agents\", effect: deny }}
  - {{ action: \"edit\", resource: \"agents/*\", effect: deny }}
"
        )),
        "{text}"
    );
    assert_contains(
        &text,
        "  - { action: \"shell\", resource: \"*plan approve*\", effect: deny }\n",
    );
    assert!(text.ends_with("---\n\nReview the diff.\n"), "{text}");
    assert!(!r.root.join("opencode.json").exists());
}

#[test]
fn every_tool_shares_dry_run_check_and_idempotence() {
    for tool in ["codex", "gemini", "opencode", "copilot", "cursor"] {
        let r = repo();
        let out = r.harness(["install", tool, "--check"]).assert(1);
        assert_contains(
            &out.stdout,
            &format!(
                "file(s) differ from what `harness-agents install {tool}` writes; run it to update them\n"
            ),
        );
        let out = r.harness(["install", tool, "--dry-run"]).assert(0);
        assert_contains(&out.stdout, "--- /dev/null\n+++ b/");
        assert_eq!(
            crate::common::files_under(&r.root).len(),
            1 + crate::common::files_under(&r.root.join(".git")).len(),
            "{tool}: --dry-run wrote nothing"
        );
        r.harness(["install", tool]).assert(0);
        let out = r.harness(["install", tool]).assert(0);
        assert!(
            out.stdout
                .lines()
                .take_while(|l| !l.is_empty())
                .all(|l| l.starts_with("unchanged")),
            "{tool}: {}",
            out.stdout
        );
        let out = r.harness(["install", tool, "--check"]).assert(0);
        assert_contains(&out.stdout, " files are up to date\n");
        // The installed copies are no sources of their own.
        r.harness(["agents", "validate"]).assert(0);

        // An edited source is drift; a removed agent's file goes.
        r.write(
            "agents/reviewer.md",
            &REVIEWER.replace("Review the diff.", "Review it."),
        );
        let out = r.harness(["install", tool, "--check"]).assert(1);
        assert_contains(&out.stdout, "-Review the diff.\n+Review it.\n");
        r.write(
            "agents/other.md",
            "---\nname: other\ndescription: Other.\n---\nBody.\n",
        );
        r.harness(["install", tool]).assert(0);
        fs::remove_file(r.root.join("agents/other.md")).unwrap();
        let out = r.harness(["install", tool]).assert(0);
        assert_contains(&out.stdout, "remove     ");
    }
}

#[test]
fn no_tool_replaces_a_users_file_or_unreadable_settings() {
    for (tool, mine, settings) in [
        (
            "gemini",
            ".gemini/agents/reviewer.md",
            ".gemini/settings.json",
        ),
        (
            "copilot",
            ".github/agents/reviewer.agent.md",
            ".github/hooks/harness.json",
        ),
        ("cursor", ".cursor/rules/reviewer.mdc", ".cursor/hooks.json"),
        ("codex", ".codex/agents/reviewer.toml", ".codex/hooks.json"),
    ] {
        let r = repo();
        r.write(mine, "my own\n");
        let out = r.harness(["install", tool]).assert(2);
        assert!(
            out.stderr.starts_with(&format!(
                "{mine}:1:1: error: `{mine}` exists and was not written by harness"
            )),
            "{tool}: {}",
            out.stderr
        );
        assert_eq!(r.read(mine), "my own\n");
        fs::remove_file(r.path(mine)).unwrap();
        r.write(settings, "{\"hooks\": [}");
        let out = r.harness(["install", tool]).assert(2);
        assert!(
            out.stderr
                .starts_with(&format!("{settings}:1:12: error: not valid JSON")),
            "{tool}: {}",
            out.stderr
        );
        assert!(!r.path(mine).exists());
    }
}

#[test]
fn a_users_other_hooks_and_settings_stay() {
    let r = repo();
    r.write(
        ".gemini/settings.json",
        "{\"model\": {\"name\": \"gemini-2.5-pro\"}, \"hooks\": {\"BeforeTool\": [{\"matcher\": \"write_file\", \"hooks\": [{\"type\": \"command\", \"command\": \"./lint.sh\"}]}]}}\n",
    );
    r.harness(["install", "gemini"]).assert(0);
    let v: Value = serde_json::from_str(&r.read(".gemini/settings.json")).unwrap();
    assert_eq!(v["model"]["name"], "gemini-2.5-pro");
    let groups = v["hooks"]["BeforeTool"].as_array().unwrap();
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0]["hooks"][0]["command"], "./lint.sh");
    assert_eq!(groups[1]["hooks"][0]["command"], guard(&r, "gemini"));
}

#[test]
fn the_installed_hooks_run_the_guard_in_each_tools_convention() {
    let r = repo();
    r.write("secrets/key", "k");
    for tool in ["gemini", "copilot", "cursor", "codex"] {
        r.harness(["install", tool]).assert(0);
    }
    let gemini: Value = serde_json::from_str(&r.read(".gemini/settings.json")).unwrap();
    let copilot: Value = serde_json::from_str(&r.read(".github/hooks/harness.json")).unwrap();
    let cursor: Value = serde_json::from_str(&r.read(".cursor/hooks.json")).unwrap();
    let codex: Value = serde_json::from_str(&r.read(".codex/hooks.json")).unwrap();
    let root = r.root.to_str().unwrap();
    let secret = format!("{root}/secrets/key");
    let reason = "harness denies `Write` writing `secrets/key`: agents/reviewer.md:9: harness.protected_paths (protected path `secrets/**`)";
    let edit_reason = reason.replace("`Write`", "`Edit`");
    for (command, event, answer) in [
        (
            &gemini["hooks"]["BeforeTool"][0]["hooks"][0]["command"],
            json!({"hook_event_name": "BeforeTool", "cwd": root, "tool_name": "write_file", "tool_input": {"file_path": secret, "content": ""}}),
            json!({"decision": "deny", "reason": reason}),
        ),
        (
            &copilot["hooks"]["preToolUse"][0]["bash"],
            json!({"cwd": root, "toolName": "edit", "toolArgs": {"path": secret}}),
            json!({"permissionDecision": "deny", "permissionDecisionReason": edit_reason}),
        ),
        (
            &cursor["hooks"]["preToolUse"][0]["command"],
            json!({"hook_event_name": "preToolUse", "workspace_roots": [root], "tool_name": "Write", "tool_input": {"file_path": secret}}),
            json!({"permission": "deny", "user_message": reason, "agent_message": reason}),
        ),
        (
            &codex["hooks"]["PreToolUse"][0]["hooks"][0]["command"],
            json!({"hook_event_name": "PreToolUse", "cwd": root, "tool_name": "apply_patch", "tool_input": {"command": "*** Begin Patch\n*** Add File: secrets/key\n+x\n*** End Patch\n"}}),
            json!({"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "deny", "permissionDecisionReason": reason}}),
        ),
    ] {
        // As the tool runs it: through a shell, no harness on PATH.
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(command.as_str().unwrap())
            .current_dir(&r.root)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HARNESS_AGENT", "reviewer")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write as _;
                child
                    .stdin
                    .take()
                    .unwrap()
                    .write_all(event.to_string().as_bytes())?;
                child.wait_with_output()
            })
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{command}");
        let got: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(got, answer, "{command}");
    }
}

/// Checks `instance` against a vendored schema (`tests/fixtures/schemas/`)
/// with Python's `jsonschema`, the reference validator: `Err` holds its
/// complaint.
fn validate(schema: &str, instance: &Value) -> Result<(), String> {
    use std::io::Write as _;
    let python = std::env::var("HARNESS_JSONSCHEMA_PYTHON").unwrap_or_else(|_| "python3".into());
    let schema = crate::common::manifest_dir()
        .join("tests/fixtures/schemas")
        .join(schema);
    let mut child = std::process::Command::new(python)
        .args([
            "-c",
            "import json, sys, jsonschema\nschema = json.load(open(sys.argv[1]))\njsonschema.validators.validator_for(schema).check_schema(schema)\njsonschema.validate(json.load(sys.stdin), schema)",
        ])
        .arg(&schema)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(instance.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[test]
#[ignore = "needs Python 3 with jsonschema 4 (.ci/run installs it)"]
fn codex_files_and_answers_follow_codexs_published_schemas() {
    let r = repo();
    r.write("secrets/key", "k");
    r.harness(["install", "codex"]).assert(0);
    let hooks: Value = serde_json::from_str(&r.read(".codex/hooks.json")).unwrap();
    validate("codex-hooks.schema.json", &hooks).unwrap();
    // The validator is live: a root key Codex refuses fails it.
    let mut extra = hooks.clone();
    extra["$schema"] = json!("x");
    assert!(validate("codex-hooks.schema.json", &extra).is_err());

    let root = r.root.to_str().unwrap();
    let event = json!({
        "cwd": root,
        "hook_event_name": "PreToolUse",
        "model": "gpt-5",
        "permission_mode": "default",
        "session_id": "s1",
        "tool_input": {"command": "echo k > secrets/key"},
        "tool_name": "Bash",
        "tool_use_id": "call_1",
        "transcript_path": null,
    });
    validate("codex-pre-tool-use.command.input.schema.json", &event).unwrap();
    let out = r
        .harness(["guard", "--from", "codex", "--root", root])
        .env("HARNESS_AGENT", "reviewer")
        .stdin(event.to_string())
        .assert(0);
    let answer: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(answer["hookSpecificOutput"]["permissionDecision"], "deny");
    validate("codex-pre-tool-use.command.output.schema.json", &answer).unwrap();
    assert!(
        validate(
            "codex-pre-tool-use.command.output.schema.json",
            &json!({"decision": "deny"})
        )
        .is_err()
    );
}

#[test]
fn skills_go_where_each_tool_reads_them() {
    let r = repo();
    let skill = "---\nname: style\ndescription: House style.\n---\n\nSee [the rules](references/rules.md).\n";
    r.write(".claude/skills/style/SKILL.md", skill);
    r.write(".claude/skills/style/references/rules.md", "Be brief.\n");
    // Copilot and OpenCode read `.claude/skills/` themselves.
    for tool in ["copilot", "opencode"] {
        let out = r.harness(["install", tool]).assert(0);
        assert!(!out.stdout.contains("skills"), "{tool}: {}", out.stdout);
    }
    // Gemini CLI, Codex and Cursor get a copy in their own directory.
    for (tool, dir) in [
        ("gemini", ".gemini/skills"),
        ("codex", ".agents/skills"),
        ("cursor", ".cursor/skills"),
    ] {
        let out = r.harness(["install", tool]).assert(0);
        assert_contains(&out.stdout, &format!("create     {dir}/style/SKILL.md\n"));
        assert_contains(
            &out.stdout,
            &format!("create     {dir}/style/references/rules.md\n"),
        );
        assert_eq!(
            r.read(&format!("{dir}/style/SKILL.md")),
            skill.replacen(
                "---\n",
                &format!("---\n# Installed by `harness-agents install {tool}` from .claude/skills/style/SKILL.md; edit that file instead.\n"),
                1
            )
        );
        assert_eq!(
            r.read(&format!("{dir}/style/references/rules.md")),
            "Be brief.\n"
        );
    }
    // The copies do not count as skills of their own, and an agent that
    // stops loading the skill takes its copy away.
    r.harness(["skills", "validate"]).assert(0);
    r.write(
        "agents/reviewer.md",
        &REVIEWER.replace("skills:\n  - style\n", ""),
    );
    let out = r.harness(["install", "gemini"]).assert(0);
    assert_contains(
        &out.stdout,
        "remove     .gemini/skills/style/SKILL.md\nremove     .gemini/skills/style/references/rules.md\n",
    );
    assert!(!r.path(".gemini/skills/style/SKILL.md").exists());
    // A skill of the user's by that name is never replaced.
    r.write("agents/reviewer.md", REVIEWER);
    r.write(".cursor/skills/style/SKILL.md", "mine\n");
    fs::remove_file(r.path(".cursor/skills/style/references/rules.md")).unwrap();
    let out = r.harness(["install", "cursor"]).assert(2);
    assert_contains(
        &out.stderr,
        ".cursor/skills/style/SKILL.md:1:1: error: `.cursor/skills/style/SKILL.md` exists and was not written by harness",
    );
    assert_eq!(r.read(".cursor/skills/style/SKILL.md"), "mine\n");
}
