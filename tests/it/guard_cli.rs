//! `harness-agents guard`, `harness-agents policy test` and `harness-agents install claude`, run
//! as the real binary on real files, with real PreToolUse JSON on stdin.

use std::fs;
use std::path::Path;

use serde_json::{Value, json};

use crate::common::{BIN, Repo, assert_contains, assert_starts_with};

fn repo() -> Repo {
    Repo::with_agents(&["tests", "src", "plans"])
}

fn event(root: &Path, tool: &str, input: Value, agent: Option<&str>) -> String {
    let mut e = json!({
        "session_id": "abc123",
        "transcript_path": "/tmp/transcript.jsonl",
        "cwd": root,
        "permission_mode": "default",
        "hook_event_name": "PreToolUse",
        "tool_name": tool,
        "tool_input": input,
        "tool_use_id": "toolu_01",
    });
    if let Some(a) = agent {
        e["agent_type"] = json!(a);
        e["agent_id"] = json!("agent-1");
    }
    e.to_string()
}

fn deny_answer(reason: &str) -> String {
    format!(
        "{}\n",
        json!({"hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": "deny",
            "permissionDecisionReason": reason,
        }})
    )
}

#[test]
fn denies_a_protected_write_with_the_rule_and_its_line() {
    let r = repo();
    let input =
        json!({"file_path": r.root.join("tests/ws.rs"), "old_string": "a", "new_string": "b"});
    let out = r
        .harness(["guard"])
        .stdin(event(&r.root, "Edit", input, Some("realtime-dev")))
        .assert(0);
    assert_eq!(
        out.stdout,
        deny_answer(
            "harness denies `Edit` writing `tests/ws.rs`: agents/realtime-dev.md:60: Do NOT modify test files under any circumstances. (protected path `**/tests/**`)"
        )
    );
    assert_eq!(out.stderr, "");
}

#[test]
fn says_nothing_when_no_rule_objects() {
    let r = repo();
    for (tool, input) in [
        ("Read", json!({"file_path": "tests/ws.rs"})),
        (
            "Bash",
            json!({"command": "cargo test && git diff", "description": "run"}),
        ),
        (
            "Write",
            json!({"file_path": "plans/0001-presence.md", "content": "x"}),
        ),
    ] {
        let out = r
            .harness(["guard"])
            .stdin(event(&r.root, tool, input, Some("realtime-dev")))
            .assert(0);
        assert_eq!(out.stdout, "", "{tool}");
    }
}

#[test]
fn fails_closed_on_bad_input_and_bad_agent_files() {
    let r = repo();
    let out = r.harness(["guard"]).stdin("{\"tool_name\": ").assert(2);
    assert_eq!(out.stdout, "");
    assert_starts_with(&out.stderr, "<stdin>:1:14: error: not a PreToolUse event");

    let out = r
        .harness(["guard"])
        .stdin("{\"tool_name\": \"Edit\"}")
        .assert(2);
    assert_contains(&out.stderr, "missing field `tool_input`");

    let post = event(&r.root, "Edit", json!({"file_path": "a"}), None)
        .replace("\"PreToolUse\"", "\"PostToolUse\"");
    let out = r.harness(["guard"]).stdin(post).assert(2);
    assert!(
        out.stderr
            .contains("answers PreToolUse events, not `PostToolUse`")
    );

    fs::write(
        r.root.join("agents/broken.md"),
        "---\nname: broken\ndescription: [unclosed\n---\n",
    )
    .unwrap();
    let e = event(
        &r.root,
        "Read",
        json!({"file_path": "src/a.rs"}),
        Some("broken"),
    );
    let out = r.harness(["guard"]).stdin(e).assert(2);
    assert_starts_with(&out.stderr, "agents/broken.md:");
    assert_eq!(out.stdout, "");

    // A named agent that does not exist is a configuration error.
    let e = event(&r.root, "Read", json!({"file_path": "src/a.rs"}), None);
    let out = r
        .harness(["guard", "--agent", "realtime-dve"])
        .stdin(e)
        .assert(2);
    assert_contains(&out.stderr, "did you mean `realtime-dev`?");
}

#[test]
fn the_acting_agent_follows_the_documented_precedence() {
    let r = repo();
    let write = |agent: Option<&str>| {
        event(
            &r.root,
            "Write",
            json!({"file_path": "src/a.rs", "content": ""}),
            agent,
        )
    };
    let plan_mode = "agents/realtime-engineer.md:12: permissionMode: plan";
    let gated = "agents/realtime-dev.md:3:";

    // agent_type beats the flag and the environment.
    let out = r
        .harness(["guard", "--agent", "realtime-dev"])
        .stdin(write(Some("realtime-engineer")))
        .env("HARNESS_AGENT", "realtime-dev")
        .run();
    assert_contains(&out.stdout, plan_mode);
    // The flag beats the environment.
    let out = r
        .harness(["guard", "--agent", "realtime-engineer"])
        .stdin(write(None))
        .env("HARNESS_AGENT", "realtime-dev")
        .run();
    assert_contains(&out.stdout, plan_mode);
    // The environment alone.
    let out = r
        .harness(["guard"])
        .stdin(write(None))
        .env("HARNESS_AGENT", "realtime-dev")
        .run();
    assert_contains(&out.stdout, gated);
    // A built-in subagent with no definition falls through to the default.
    fs::write(
        r.root.join("harness.toml"),
        "[policy]\ndefault = \"realtime-engineer\"\n",
    )
    .unwrap();
    let out = r
        .harness(["guard"])
        .stdin(write(Some("general-purpose")))
        .run();
    assert_contains(&out.stdout, plan_mode);
    // So does a misspelt one, and no agent_type at all.
    for agent in [
        Some("Realtime-Dev"),
        Some(""),
        Some("../agents/realtime-dev"),
        None,
    ] {
        let out = r.harness(["guard"]).stdin(write(agent)).run();
        assert_contains(&out.stdout, plan_mode);
    }
    // No agent and no default: reads pass, writes are refused, saying how
    // to set a default.
    fs::write(
        r.root.join("harness.toml"),
        "[guard]\nprotected_paths = [\"src/generated/**\"]\n",
    )
    .unwrap();
    for agent in [None, Some("general-purpose")] {
        let out = r.harness(["guard"]).stdin(write(agent)).run();
        assert_eq!(
            out.stdout,
            deny_answer(
                "harness denies `Write` writing `src/a.rs`: no agent is named for this call (no known `agent_type`, no --agent or HARNESS_AGENT) and harness.toml sets no `[policy] default`, so its policy is unknown; set one in harness.toml: `[policy]` `default = \"realtime-dev\"`"
            )
        );
    }
    let read = event(&r.root, "Read", json!({"file_path": "src/a.rs"}), None);
    let out = r.harness(["guard"]).stdin(read).run();
    assert_eq!(out.stdout, "");
    let generated = event(
        &r.root,
        "Write",
        json!({"file_path": "src/generated/x.rs", "content": ""}),
        None,
    );
    let out = r.harness(["guard"]).stdin(generated).run();
    assert_eq!(
        out.stdout,
        deny_answer(
            "harness denies `Write` writing `src/generated/x.rs`: harness.toml:2: [guard] protected_paths: src/generated/** (protected path `src/generated/**`)"
        )
    );
}

#[test]
fn guard_explain_and_policy_test_print_the_decision() {
    let r = repo();
    let out = r
        .harness([
            "policy",
            "test",
            "--agent",
            "realtime-dev",
            "Edit",
            "tests/ws.rs",
        ])
        .assert(1);
    assert_eq!(
        out.stdout,
        "deny: harness denies `Edit` writing `tests/ws.rs`: agents/realtime-dev.md:60: Do NOT modify test files under any circumstances. (protected path `**/tests/**`)\n  agent: realtime-dev\n  rule: protected path `**/tests/**`, from agents/realtime-dev.md:60: Do NOT modify test files under any circumstances.\n"
    );
    let out = r
        .harness([
            "policy",
            "test",
            "--agent",
            "realtime-dev",
            "Bash",
            "git",
            "diff",
            "--stat",
        ])
        .assert(0);
    assert_eq!(
        out.stdout,
        "allow: `Bash` is allowed by agents/realtime-dev.md:15: tools: Bash\n  agent: realtime-dev\n  rule: allow tool `Bash`, from agents/realtime-dev.md:15: tools: Bash\n"
    );
    let out = r
        .harness([
            "--format",
            "json",
            "policy",
            "test",
            "--agent",
            "realtime-dev",
            "WebFetch",
            "https://docs.rs",
        ])
        .assert(1);
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["verdict"], "deny");
    assert_eq!(v["rule"]["kind"], "deny_tool");
    assert_eq!(v["rule"]["provenance"]["line"], 22);

    let e = event(
        &r.root,
        "Bash",
        json!({"command": "echo x > tests/a.rs"}),
        Some("realtime-dev"),
    );
    let out = r.harness(["guard", "--explain"]).stdin(e).assert(1);
    assert_starts_with(
        &out.stdout,
        "deny: harness denies `Bash` writing `tests/a.rs`",
    );
}

#[test]
fn install_claude_writes_merges_and_detects_drift() {
    let r = repo();
    let settings = r.root.join(".claude/settings.json");
    fs::create_dir_all(settings.parent().unwrap()).unwrap();
    let before = "{\n    \"permissions\": {\"allow\": [\"Bash(ls:*)\"]},\n    \"hooks\": {\"PreToolUse\": [{\"matcher\": \"Bash\", \"hooks\": [{\"type\": \"command\", \"command\": \"./lint.sh\"}]}]}\n}\n";
    fs::write(&settings, before).unwrap();

    // --check before installing: drift, exit 1, nothing written.
    let out = r.harness(["install", "claude", "--check"]).assert(1);
    assert!(out.stdout.ends_with(
        "3 file(s) differ from what `harness-agents install claude` writes; run it to update them\n"
    ));

    // --dry-run shows a diff and writes nothing.
    let out = r.harness(["install", "claude", "--dry-run"]).assert(0);
    let diff = out.stdout;
    assert_contains(
        &diff,
        "--- /dev/null\n+++ b/.claude/agents/realtime-dev.md\n",
    );
    assert_contains(
        &diff,
        "--- a/.claude/settings.json\n+++ b/.claude/settings.json\n",
    );
    let command = format!(
        "{} guard --root {}",
        fs::canonicalize(BIN).unwrap().display(),
        r.root.display()
    );
    assert_contains(&diff, &format!("+            \"command\": \"{command}\""));
    assert!(!r.root.join(".claude/agents").exists());
    assert_eq!(fs::read_to_string(&settings).unwrap(), before);

    let out = r.harness(["install", "claude"]).assert(0);
    assert_eq!(
        out.stdout,
        "create     .claude/agents/realtime-dev.md\ncreate     .claude/agents/realtime-engineer.md\nupdate     .claude/settings.json\n"
    );
    let v: Value = serde_json::from_str(&fs::read_to_string(&settings).unwrap()).unwrap();
    assert_eq!(v["permissions"]["allow"][0], "Bash(ls:*)");
    let pre = v["hooks"]["PreToolUse"].as_array().unwrap();
    assert_eq!(pre.len(), 2);
    assert_eq!(pre[0]["hooks"][0]["command"], "./lint.sh");
    assert_eq!(
        pre[1]["matcher"],
        "Bash|Edit|MultiEdit|Write|NotebookEdit|Read|Glob|Grep|mcp__.*"
    );
    assert_eq!(
        pre[1]["hooks"][0],
        json!({"type": "command", "command": command})
    );
    let installed = fs::read_to_string(r.root.join(".claude/agents/realtime-dev.md")).unwrap();
    let source = fs::read_to_string(r.root.join("agents/realtime-dev.md")).unwrap();
    assert_eq!(
        installed,
        source.replacen(
            "---\n",
            "---\n# Installed by `harness-agents install claude` from agents/realtime-dev.md; edit that file instead.\n",
            1
        )
    );

    // Idempotent, and the installed copies do not upset the catalog.
    let after = fs::read_to_string(&settings).unwrap();
    let out = r.harness(["install", "claude"]).run();
    assert_eq!(
        out.stdout,
        "unchanged  .claude/agents/realtime-dev.md\nunchanged  .claude/agents/realtime-engineer.md\nunchanged  .claude/settings.json\n"
    );
    assert_eq!(fs::read_to_string(&settings).unwrap(), after);
    let out = r.harness(["install", "claude", "--check"]).assert(0);
    assert_eq!(out.stdout, "Claude Code files are up to date\n");
    r.harness(["agents", "validate"]).assert(0);

    // An edited source is drift.
    fs::write(
        r.root.join("agents/realtime-dev.md"),
        source.replace("model: sonnet", "model: opus"),
    )
    .unwrap();
    let out = r.harness(["install", "claude", "--check"]).assert(1);
    assert_contains(&out.stdout, "-model: sonnet\n+model: opus\n");
}

#[test]
fn install_claude_never_clobbers_a_users_files() {
    let r = repo();
    fs::create_dir_all(r.root.join(".claude/agents")).unwrap();
    let mine = "---\nname: realtime-dev\ndescription: mine\n---\n";
    fs::write(r.root.join(".claude/agents/realtime-dev.md"), mine).unwrap();
    let out = r.harness(["install", "claude"]).assert(2);
    assert_starts_with(
        &out.stderr,
        ".claude/agents/realtime-dev.md:1:1: error: `.claude/agents/realtime-dev.md` exists and was not written by harness",
    );
    assert_eq!(
        fs::read_to_string(r.root.join(".claude/agents/realtime-dev.md")).unwrap(),
        mine
    );
    assert!(!r.root.join(".claude/settings.json").exists());

    fs::remove_file(r.root.join(".claude/agents/realtime-dev.md")).unwrap();
    fs::write(r.root.join(".claude/settings.json"), "{\"hooks\": [}").unwrap();
    let out = r.harness(["install", "claude"]).assert(2);
    assert_starts_with(
        &out.stderr,
        ".claude/settings.json:1:12: error: not valid JSON",
    );
    assert!(!r.root.join(".claude/agents/realtime-dev.md").exists());
}

const PLAN: &str = "---
id: 1
title: \"Presence channel\"
agent: \"realtime-dev\"
status: draft
created: \"2026-11-22T01:06:12Z\"
---
## PLAN: Presence channel

### Context
Presence for rooms.

### Files to Change
- `src/ws/**`: the presence handler
- `src/lib.rs`: wire it in

### Tasks
- [ ] Presence handler @realtime-dev

### Verification Steps
1. pytest

PLAN_APPROVED: pending
";

#[test]
fn the_plan_gate_follows_the_real_plan_store() {
    let r = repo();
    let plan = r.root.join("plans/0001-presence-channel.md");
    fs::write(&plan, PLAN).unwrap();
    let edit = |path: &str| {
        event(
            &r.root,
            "Edit",
            json!({"file_path": path, "old_string": "a", "new_string": "b"}),
            Some("realtime-dev"),
        )
    };
    let guard = |path: &str, plan: Option<&str>| {
        let mut run = r.harness(["guard"]).stdin(edit(path));
        if let Some(plan) = plan {
            run = run.env("HARNESS_PLAN", plan);
        }
        run.run().stdout
    };
    let gate = "agents/realtime-dev.md:3: Works only from approved plans, and turns the test writer's failing tests green";

    let no_plan = deny_answer(&format!(
        "harness denies `Edit` writing `src/ws/presence.rs`: {gate} (no plan is active: set HARNESS_PLAN or start a task of an approved plan with `harness-agents task start`)"
    ));

    // No plan is active yet.
    assert_eq!(guard("src/ws/presence.rs", None), no_plan);
    // Named, but still a draft.
    assert_eq!(
        guard("src/ws/presence.rs", Some("1")),
        deny_answer(&format!(
            "harness denies `Edit` writing `src/ws/presence.rs`: {gate} (plan 0001 (plans/0001-presence-channel.md) is draft, not approved; ask a person to approve it (`harness-agents plan approve 0001 --by NAME`))"
        ))
    );

    // Named, but no such plan (or not a plan id at all): denied, never waved through.
    assert_eq!(
        guard("src/ws/presence.rs", Some("9")),
        deny_answer(&format!(
            "harness denies `Edit` writing `src/ws/presence.rs`: {gate} (the active plan cannot be read: no plan has id `0009`)"
        ))
    );
    assert!(guard("src/ws/presence.rs", Some("x9")).contains("no plan has id `x9`"));

    // Approved, and the agent's task is in progress: in scope is allowed.
    r.harness(["plan", "approve", "1", "--by", "alice"])
        .assert(0);
    r.harness(["task", "start", "0001-1", "--owner", "realtime-dev"])
        .assert(0);
    assert_eq!(guard("src/ws/presence.rs", None), "");
    assert_eq!(guard("src/lib.rs", None), "");
    assert_eq!(
        guard("src/other.rs", None),
        deny_answer(&format!(
            "harness denies `Edit` writing `src/other.rs`: it is not in the Files to Change of plan 0001 (plans/0001-presence-channel.md); {gate}"
        ))
    );
    // Test files stay protected whatever the plan says.
    assert!(guard("tests/presence.rs", None).contains("agents/realtime-dev.md:60:"));

    // The plan changes after approval: no longer approved.
    let approved = fs::read_to_string(&plan).unwrap();
    assert!(approved.contains("Presence for rooms."));
    fs::write(
        &plan,
        approved.replace(
            "Presence for rooms.",
            "Presence for rooms, and typing indicators.",
        ),
    )
    .unwrap();
    assert_eq!(
        guard("src/ws/presence.rs", None),
        deny_answer(&format!(
            "harness denies `Edit` writing `src/ws/presence.rs`: {gate} (plan 0001 (plans/0001-presence-channel.md) changed since it was approved; see `harness-agents plan diff 0001`, and ask a person to approve it again)"
        ))
    );

    // A task that was in progress and is not any more leaves no plan
    // active, though its history still says it once was.
    fs::write(&plan, &approved).unwrap();
    assert_eq!(guard("src/ws/presence.rs", None), "");
    r.harness(["task", "block", "0001-1", "--reason", "waiting on design"])
        .assert(0);
    let task = fs::read_to_string(r.root.join("plans/0001/tasks/0001-1.toml")).unwrap();
    assert_contains(&task, "status = \"in_progress\"");
    assert_eq!(guard("src/ws/presence.rs", None), no_plan);
}

#[test]
fn the_in_progress_index_only_points_the_guard_at_task_files() {
    let r = repo();
    let plan = r.root.join("plans/0001-presence-channel.md");
    fs::write(
        &plan,
        PLAN.replace(
            "- [ ] Presence handler @realtime-dev\n",
            "- [ ] Presence handler @realtime-dev\n- [ ] Review it @realtime-engineer\n",
        ),
    )
    .unwrap();
    let guard = || {
        let edit = event(
            &r.root,
            "Edit",
            json!({"file_path": "src/ws/presence.rs", "old_string": "a", "new_string": "b"}),
            Some("realtime-dev"),
        );
        r.harness(["guard"]).stdin(edit).run().stdout
    };
    let index = r.root.join(".harness/in-progress");
    let task = r.root.join("plans/0001/tasks/0001-1.toml");
    let set_status = |from: &str, to: &str| {
        let text = fs::read_to_string(&task).unwrap();
        let line = format!("status = \"{from}\"\n");
        assert_contains(&text, &line);
        fs::write(
            &task,
            text.replacen(&line, &format!("status = \"{to}\"\n"), 1),
        )
        .unwrap();
    };

    r.harness(["plan", "approve", "1", "--by", "alice"])
        .assert(0);
    r.harness(["task", "start", "0001-1", "--owner", "realtime-dev"])
        .assert(0);
    r.harness(["task", "start", "0001-2", "--owner", "realtime-engineer"])
        .assert(0);
    assert_eq!(
        fs::read_to_string(&index).unwrap(),
        "realtime-dev\t0001-1\nrealtime-engineer\t0001-2\n"
    );
    assert_eq!(guard(), "");

    // Taken out of progress through harness: out of the index too.
    r.harness(["task", "block", "0001-1", "--reason", "a break"])
        .assert(0);
    assert_eq!(
        fs::read_to_string(&index).unwrap(),
        "realtime-engineer\t0001-2\n"
    );
    assert_contains(&guard(), "no plan is active");

    // An index that names another agent's task, or one that does not
    // exist, as this agent's grants nothing: each is read and checked.
    fs::write(&index, "realtime-dev\t0001-2\nrealtime-dev\t0001-9\n").unwrap();
    assert_contains(&guard(), "no plan is active");

    // Put in progress behind harness's back (a checkout, an edit): found
    // in the task files though the index does not name it.
    set_status("blocked", "in_progress");
    assert_eq!(guard(), "");
    // Out of progress behind its back: not used though the index names it.
    fs::write(&index, "realtime-dev\t0001-1\n").unwrap();
    set_status("in_progress", "completed");
    assert_contains(&guard(), "no plan is active");

    // With no index, the next write builds it from every task file.
    set_status("completed", "in_progress");
    fs::remove_file(&index).unwrap();
    r.harness(["task", "block", "0001-2", "--reason", "a break"])
        .assert(0);
    assert_eq!(
        fs::read_to_string(&index).unwrap(),
        "realtime-dev\t0001-1\n"
    );
    assert_eq!(guard(), "");
}

#[test]
fn a_lone_cr_cannot_widen_an_approved_plan() {
    let r = repo();
    let plan = r.root.join("plans/0001-presence-channel.md");
    // The marker right below Files to Change: a line hidden behind it would
    // be read as one more file.
    let text = PLAN.replace("\nPLAN_APPROVED: pending\n", "").replace(
        "- `src/lib.rs`: wire it in\n",
        "- `src/lib.rs`: wire it in\n\nPLAN_APPROVED: pending\n",
    );
    fs::write(&plan, text).unwrap();
    r.harness(["plan", "approve", "1", "--by", "alice"])
        .assert(0);
    r.harness(["task", "start", "0001-1", "--owner", "realtime-dev"])
        .assert(0);
    let guard = |path: &str| {
        let edit = event(
            &r.root,
            "Edit",
            json!({"file_path": path, "old_string": "a", "new_string": "b"}),
            Some("realtime-dev"),
        );
        r.harness(["guard"]).stdin(edit).run().stdout
    };
    assert_eq!(guard("src/lib.rs"), "");
    assert_contains(&guard("src/evil.rs"), "is not in the Files to Change");

    let approved = fs::read_to_string(&plan).unwrap();
    let marker = approved
        .lines()
        .find(|l| l.starts_with("PLAN_APPROVED:"))
        .unwrap();
    fs::write(
        &plan,
        approved.replace(marker, &format!("{marker}\r- `src/evil.rs`: hidden")),
    )
    .unwrap();
    let check = r.harness(["plan", "check", "1"]).assert(1);
    assert_starts_with(&check.stdout, "FAIL 0001  changed");
    assert_contains(&check.stdout, "+- `src/evil.rs`: hidden\n");
    let gate = "agents/realtime-dev.md:3: Works only from approved plans, and turns the test writer's failing tests green";
    assert_eq!(
        guard("src/evil.rs"),
        deny_answer(&format!(
            "harness denies `Edit` writing `src/evil.rs`: {gate} (plan 0001 (plans/0001-presence-channel.md) changed since it was approved; see `harness-agents plan diff 0001`, and ask a person to approve it again)"
        ))
    );
    r.harness(["task", "block", "0001-1", "--reason", "a break"])
        .assert(0);
    let start = r
        .harness(["task", "start", "0001-1", "--owner", "realtime-dev"])
        .run();
    assert_ne!(start.code, 0, "{}", start.stdout);
    assert_contains(&start.stderr, "plan 0001");
    assert_contains(&start.stderr, "changed");
}

#[test]
fn the_project_root_is_fixed_not_taken_from_the_event() {
    let r = repo();
    r.write("harness.toml", "[policy]\ndefault = \"realtime-dev\"\n");
    // An agent writes a project of its own below the root, then moves its
    // session there: that harness.toml (no agents, no rules) must not count.
    r.write("src/harness.toml", "[paths]\nagents = [\"nowhere\"]\n");
    let sub = r.root.join("src");
    let edit = event(
        &sub,
        "Edit",
        json!({"file_path": "../tests/ws.rs", "old_string": "a", "new_string": "b"}),
        None,
    );
    let tests_rule = "agents/realtime-dev.md:60: Do NOT modify test files";
    let root = r.root.to_str().unwrap();

    // Baked into the hook: --root, even when harness runs elsewhere.
    let out = r
        .harness(["guard", "--root", root])
        .current_dir(&sub)
        .stdin(edit.clone())
        .run();
    assert_contains(&out.stdout, tests_rule);
    // Set by Claude Code for hooks.
    let out = r
        .harness(["guard"])
        .current_dir(&sub)
        .env("CLAUDE_PROJECT_DIR", root)
        .stdin(edit.clone())
        .run();
    assert_contains(&out.stdout, tests_rule);
    // Neither: found from harness's own working directory, never the
    // event's, and --explain says so.
    let out = r
        .harness(["guard", "--explain"])
        .stdin(edit.clone())
        .assert(1);
    assert_contains(&out.stdout, tests_rule);
    assert_contains(
        &out.stdout,
        &format!(
            "  root: {root} (found from the working directory: no --root, no CLAUDE_PROJECT_DIR)\n"
        ),
    );
    let out = r
        .harness(["guard", "--explain", "--root", root])
        .stdin(edit)
        .assert(1);
    assert_contains(&out.stdout, &format!("  root: {root} (from --root)\n"));

    // A root that is not a directory denies (exit 2), it does not allow.
    let out = r
        .harness(["guard", "--root", "/nonexistent/project"])
        .stdin(event(&r.root, "Read", json!({"file_path": "a"}), None))
        .assert(2);
    assert_contains(
        &out.stderr,
        "the project root `/nonexistent/project` (from --root) is not a directory",
    );
}

#[test]
fn the_installed_hook_runs_by_absolute_path_and_refuses_the_attacks() {
    let r = repo();
    r.harness(["init"]).assert(0);
    r.harness(["install", "claude"]).assert(0);
    let settings: Value = serde_json::from_str(&r.read(".claude/settings.json")).unwrap();
    let command = settings["hooks"]["PreToolUse"][0]["hooks"][0]["command"]
        .as_str()
        .unwrap()
        .to_string();
    // Run the hook as Claude Code does: through a shell, with no harness on
    // PATH, from a subdirectory the session moved to.
    let hook = |tool: &str, input: Value, agent: Option<&str>| {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(&command)
            .current_dir(r.root.join("src"))
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write as _;
                child
                    .stdin
                    .take()
                    .unwrap()
                    .write_all(event(&r.root.join("src"), tool, input, agent).as_bytes())?;
                child.wait_with_output()
            })
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{command}");
        String::from_utf8(out.stdout).unwrap()
    };
    let bash =
        |command: &str, agent: Option<&str>| hook("Bash", json!({"command": command}), agent);
    let denied = |answer: String, cites: &str| {
        assert_contains(&answer, "\"permissionDecision\":\"deny\"");
        assert_contains(&answer, cites);
    };
    for agent in [Some("realtime-dev"), Some("general-purpose"), None] {
        denied(
            bash(
                "sed -i 's/^tools:/harness: {protected_paths: []}\\ntools:/' ../agents/realtime-dev.md",
                agent,
            ),
            "harness.toml:1: agent definitions (`agents/`)",
        );
        denied(
            bash("rm ../agents/realtime-dev.md", agent),
            "(protected path `/agents`)",
        );
        denied(
            bash("echo {} > ../.claude/settings.json", agent),
            "Claude Code's settings hold the guard's hook",
        );
        denied(
            hook(
                "Edit",
                json!({"file_path": r.root.join("harness.toml"), "old_string": "a", "new_string": "b"}),
                agent,
            ),
            "`harness.toml` is harness's control file",
        );
        denied(
            bash("echo 'exit 0' > ../.git/hooks/post-checkout", agent),
            "`.git/` (hooks, config, info)",
        );
        denied(
            bash("cd .. && cargo run -- plan approve 1 --by me", agent),
            "`harness-agents plan approve` records a person's decision",
        );
        // Twins: reading the same files says nothing.
        assert_eq!(
            bash("cat ../agents/realtime-dev.md ../harness.toml", agent),
            ""
        );
        assert_eq!(
            hook(
                "Read",
                json!({"file_path": "../.claude/settings.json"}),
                agent
            ),
            ""
        );
    }
    // init set a default, so an unknown agent is realtime-dev, not "no policy".
    denied(
        hook(
            "Write",
            json!({"file_path": "../tests/ws.rs", "content": ""}),
            Some("general-purpose"),
        ),
        "agents/realtime-dev.md:60:",
    );
    // MCP tools reach the hook, and their paths are checked.
    denied(
        hook(
            "mcp__fs__write_file",
            json!({"path": "../agents/realtime-dev.md"}),
            None,
        ),
        "agent definitions (`agents/`)",
    );
}

/// The hook's command lines (`guard`, `guard --root DIR`) skip the
/// command-line parser; any other spelling goes through it. Both must give
/// the same answer, output and exit code: a deny, an allow, bad input, a
/// root that is no directory.
#[test]
fn the_hook_command_line_agrees_with_the_parsed_command() {
    let r = repo();
    let root = r.root.to_str().unwrap();
    let deny = event(
        &r.root,
        "Edit",
        json!({"file_path": r.root.join("tests/ws.rs"), "old_string": "a", "new_string": "b"}),
        Some("realtime-dev"),
    );
    let allow = event(
        &r.root,
        "Bash",
        json!({"command": "cargo test"}),
        Some("realtime-dev"),
    );
    let root_eq = format!("--root={root}");
    let forms: [(&[&str], &[&str]); 3] = [
        (&["guard"], &["guard", "--color", "never"]),
        (&["guard", "--root", root], &["guard", &root_eq]),
        (
            &["guard", "--root", "/nonexistent/project"],
            &["guard", "--root=/nonexistent/project"],
        ),
    ];
    let mut codes = Vec::new();
    for (hook, parsed) in forms {
        for input in [deny.as_str(), allow.as_str(), "not json"] {
            let hook = r.harness(hook).stdin(input).run();
            let parsed = r.harness(parsed).stdin(input).run();
            assert_eq!(
                (hook.code, &hook.stdout, &hook.stderr),
                (parsed.code, &parsed.stdout, &parsed.stderr),
                "{input}"
            );
            codes.push((hook.code, hook.stdout.contains("\"deny\"")));
        }
    }
    assert_eq!(
        codes,
        [
            (0, true),
            (0, false),
            (2, false),
            (0, true),
            (0, false),
            (2, false),
            (2, false),
            (2, false),
            (2, false),
        ]
    );
}
