//! The guard's decisions on a table of tool calls: tools and specifiers,
//! MCP patterns, every path spelling, every Bash write form, plan mode,
//! project rules and the plan gate in each state of the plan.

use std::path::Path;

use serde_json::json;

use crate::common::guard::{
    Case, DEV, ENG, NONE, PLAN_MODE, PLAN_RULE, PROJECT_RULE, Plan, SCOPE, TESTS_RULE, bash, case,
    check, file, repo, with_plan,
};

fn cases(root: &Path) -> Vec<Case> {
    let abs = |p: &str| root.join(p).to_string_lossy().into_owned();
    vec![
        // Tools: the allow list and disallowedTools of realtime-dev.
        file(DEV, "Read", "src/lib.rs", None),
        file(DEV, "Read", "tests/ws.rs", None),
        case(DEV, "TaskList", json!({}), None),
        case(
            DEV,
            "WebFetch",
            json!({"url": "https://docs.rs"}),
            Some("agents/realtime-dev.md:22: disallowedTools: WebFetch"),
        ),
        case(
            DEV,
            "WebSearch",
            json!({"query": "x"}),
            Some("agents/realtime-dev.md:21: disallowedTools: WebSearch"),
        ),
        case(
            DEV,
            "mcp__github__create_issue",
            json!({}),
            Some("not in the tools of `realtime-dev`"),
        ),
        case(
            DEV,
            "Agent",
            json!({"subagent_type": "x"}),
            Some("not in the tools of `realtime-dev`"),
        ),
        case(
            DEV,
            "NotebookEdit",
            json!({"notebook_path": "src/ws/n.ipynb"}),
            Some("not in the tools"),
        ),
        // Protected test files, in every spelling.
        file(DEV, "Edit", "tests/ws.rs", Some(TESTS_RULE)),
        file(DEV, "Write", "./tests/new.rs", Some(TESTS_RULE)),
        file(DEV, "Edit", "src/../tests/ws.rs", Some(TESTS_RULE)),
        file(DEV, "Edit", "tests//deep///ws.rs", Some(TESTS_RULE)),
        file(DEV, "Edit", &abs("tests/ws.rs"), Some(TESTS_RULE)),
        file(DEV, "Write", "src/testlink/sneaky.rs", Some(TESTS_RULE)),
        file(DEV, "Edit", "src/ws/server_test.go", Some(TESTS_RULE)),
        file(DEV, "Edit", "web/app.test.ts", Some(TESTS_RULE)),
        file(DEV, "Edit", "web/app.spec.js", Some(TESTS_RULE)),
        file(DEV, "Write", "py/test_api.py", Some(TESTS_RULE)),
        file(DEV, "Write", "conftest.py", Some(TESTS_RULE)),
        file(DEV, "Write", "py/pkg/conftest.py", Some(TESTS_RULE)),
        file(DEV, "Edit", "migrations/0001.sql", Some(PROJECT_RULE)),
        // The plan gate: approved, in scope.
        file(DEV, "Edit", "src/ws/server.rs", None),
        file(DEV, "Write", "src/lib.rs", None),
        file(DEV, "Write", "plans/0008-draft.md", None),
        file(
            DEV,
            "Write",
            "plans/0007/tasks/0007-1.toml",
            Some("harness.toml:1: plan records under `plans/NNNN/`"),
        ),
        bash(
            DEV,
            "echo 'status = \"completed\"' >> plans/0007/tasks/0007-1.toml",
            Some("plan records"),
        ),
        file(
            ENG,
            "Edit",
            "plans/0007/approved/x.md",
            Some("plan records"),
        ),
        file(
            DEV,
            "Edit",
            "src/other.rs",
            Some("not in the Files to Change of plan 0007"),
        ),
        file(
            DEV,
            "Edit",
            "src/lib.rs.bak",
            Some("not in the Files to Change"),
        ),
        file(
            DEV,
            "Write",
            "../outside.rs",
            Some("not in the Files to Change"),
        ),
        file(
            DEV,
            "Edit",
            "plans/../src/other.rs",
            Some("not in the Files to Change"),
        ),
        // ... before approval, after a change, with no plan.
        with_plan(
            file(
                DEV,
                "Edit",
                "src/ws/server.rs",
                Some("plan 0007 (plans/0007-presence.md) is draft, not approved"),
            ),
            Plan::Draft,
        ),
        with_plan(
            file(
                DEV,
                "Edit",
                "src/ws/server.rs",
                Some("changed since it was approved"),
            ),
            Plan::Changed,
        ),
        with_plan(
            file(DEV, "Edit", "src/ws/server.rs", Some(PLAN_RULE)),
            Plan::None,
        ),
        with_plan(file(DEV, "Write", "plans/0009.md", None), Plan::None),
        with_plan(bash(DEV, "cargo build", None), Plan::None),
        // Bash: what runs is fine, writes to protected paths are not.
        bash(DEV, "cargo test", None),
        bash(DEV, "sed 's/a/b/' tests/a.rs", None),
        bash(DEV, "echo 'rm tests/a.rs; > tests/b.rs'", None),
        bash(DEV, "git diff > /dev/null 2>&1", None),
        bash(DEV, "rm -rf src/ws/gen", None),
        bash(DEV, "echo x > tests/a.rs", Some(TESTS_RULE)),
        bash(DEV, "echo x >>tests/a.rs", Some(TESTS_RULE)),
        bash(DEV, "make &> tests/log.txt", Some(TESTS_RULE)),
        bash(DEV, "cat a | tee -a tests/a.rs", Some(TESTS_RULE)),
        bash(DEV, "sed -i 's/a/b/' tests/a.rs", Some(TESTS_RULE)),
        bash(DEV, "perl -pi -e 's/a/b/' web/x.spec.ts", Some(TESTS_RULE)),
        bash(DEV, "cp src/lib.rs tests/", Some(TESTS_RULE)),
        bash(DEV, "mv tests/a.rs /tmp/a.rs", Some(TESTS_RULE)),
        bash(DEV, "rm -rf tests", Some(TESTS_RULE)),
        bash(DEV, "rm -r src/ws", Some(TESTS_RULE)),
        bash(DEV, "touch tests/new.rs", Some(TESTS_RULE)),
        bash(DEV, "truncate -s 0 tests/a.rs", Some(TESTS_RULE)),
        bash(DEV, "git checkout -- tests/a.rs", Some(TESTS_RULE)),
        bash(
            DEV,
            "git restore --staged --worktree tests/a.rs",
            Some(TESTS_RULE),
        ),
        bash(DEV, "timeout 5 sed -i s/x/y/ tests/a.rs", Some(TESTS_RULE)),
        bash(DEV, "nice -n 10 env X=1 tee tests/a.rs", Some(TESTS_RULE)),
        bash(DEV, "cargo build && echo ok > tests/log", Some(TESTS_RULE)),
        bash(DEV, "ls; rm tests/a.rs", Some(TESTS_RULE)),
        bash(DEV, "ls\nrm src/testlink/a.rs", Some(TESTS_RULE)),
        bash(DEV, "echo $(rm tests/a.rs)", Some(TESTS_RULE)),
        bash(DEV, "bash -c 'rm tests/a.rs'", Some(TESTS_RULE)),
        bash(DEV, "echo 'unclosed", Some("cannot check the command")),
        // Seen through by nobody: documented, left to the CI scope check.
        bash(DEV, "python -c \"open('tests/a.rs', 'w')\"", None),
        // Plan mode: writes only under plans/.
        file(ENG, "Write", "plans/0002-presence.md", None),
        file(ENG, "Read", "src/lib.rs", None),
        file(ENG, "Write", "src/a.rs", Some(PLAN_MODE)),
        file(ENG, "Edit", "plans/../src/a.rs", Some(PLAN_MODE)),
        file(ENG, "Write", "/tmp/notes.md", Some(PLAN_MODE)),
        bash(ENG, "git status", None),
        bash(ENG, "ls > /dev/null", None),
        bash(ENG, "echo x > src/a.rs", Some(PLAN_MODE)),
        bash(ENG, "cat draft.md > plans/0003-chat.md", None),
        bash(ENG, "rm -rf plans/../src", Some(PLAN_MODE)),
        case(
            ENG,
            "WebFetch",
            json!({"url": "https://x.io"}),
            Some("not in the tools of `realtime-engineer`"),
        ),
        // Specifiers: Bash patterns with word boundaries, every part checked.
        bash(SCOPE, "git diff --stat", None),
        bash(SCOPE, "git diff", None),
        bash(SCOPE, "timeout 10 git diff HEAD", None),
        bash(SCOPE, "git difftool", Some("allow Bash only as")),
        bash(SCOPE, "npm run test -- --watch", None),
        bash(SCOPE, "npm run testing", Some("allow Bash only as")),
        bash(SCOPE, "ls -la", None),
        bash(SCOPE, "lsof", Some("allow Bash only as")),
        bash(
            SCOPE,
            "git diff && rm -rf src",
            Some("running `rm -rf src`"),
        ),
        bash(
            SCOPE,
            "git push origin main",
            Some("agents/scoped.md:5: disallowedTools: Bash(git push:*)"),
        ),
        // Path specifiers: Edit(...) covers every editing tool.
        file(SCOPE, "Edit", "src/a.rs", None),
        file(SCOPE, "Write", "src/new/b.rs", None),
        file(
            SCOPE,
            "Edit",
            "docs/a.md",
            Some("not in the tools of `scoped`"),
        ),
        file(SCOPE, "Read", "src/a.rs", None),
        file(
            SCOPE,
            "Read",
            "secrets/key.pem",
            Some("disallowedTools: Read(./secrets/**)"),
        ),
        case(
            SCOPE,
            "Grep",
            json!({"pattern": "x", "path": "secrets"}),
            Some("Read(./secrets/**)"),
        ),
        case(
            SCOPE,
            "Glob",
            json!({"pattern": "secrets/**/*.pem"}),
            Some("Read(./secrets/**)"),
        ),
        case(SCOPE, "Glob", json!({"pattern": "src/**/*.rs"}), None),
        // MCP patterns and WebFetch domains.
        case(SCOPE, "mcp__github__create_issue", json!({}), None),
        case(
            SCOPE,
            "mcp__github__delete_repo",
            json!({}),
            Some("disallowedTools: mcp__github__delete_repo"),
        ),
        case(
            SCOPE,
            "mcp__githubx__list",
            json!({}),
            Some("not in the tools"),
        ),
        case(
            SCOPE,
            "mcp__slack__post",
            json!({}),
            Some("not in the tools"),
        ),
        case(
            SCOPE,
            "WebFetch",
            json!({"url": "https://docs.rs/serde"}),
            None,
        ),
        case(
            SCOPE,
            "WebFetch",
            json!({"url": "https://example.com/docs.rs"}),
            Some("not in the tools"),
        ),
        // No agent: only the project's rules.
        file(NONE, "Edit", "migrations/0001.sql", Some(PROJECT_RULE)),
        file(NONE, "Edit", "tests/a.rs", None),
        bash(NONE, "rm -rf migrations", Some(PROJECT_RULE)),
        case(NONE, "WebFetch", json!({"url": "https://x.io"}), None),
        // Malformed input denies.
        case(
            DEV,
            "Edit",
            json!({"path": "src/a.rs"}),
            Some("no `file_path`"),
        ),
    ]
}

#[test]
fn decisions_follow_the_policy() {
    let repo = repo();
    let table = cases(&repo.root);
    assert!(table.len() >= 60, "the table has {} cases", table.len());
    let failures = check(&repo, &table);
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
