//! The guard's decisions on a table of tool calls: tools and specifiers,
//! MCP patterns, every path spelling, every Bash write form, plan mode,
//! project rules and the plan gate in each state of the plan.

use std::fs;
use std::path::{Path, PathBuf};

use harness::config::GuardConfig;
use harness::plan::{PlanRef, PlanStatus, Scope};
use harness::policy::decision::plan_records_rule;
use harness::policy::paths::Resolver;
use harness::policy::{Guard, PlanSource, Policy, ToolCall};
use serde_json::{Value, json};

use crate::common::Repo;

const SCOPED: &str = "---
name: scoped
description: Reviews changes and fixes docs.
tools: Read, Grep, Glob, Bash(git diff:*), Bash(npm run test:*), Bash(ls *), Edit(src/**), mcp__github, WebFetch(domain:docs.rs)
disallowedTools: Bash(git push:*), mcp__github__delete_repo, Read(./secrets/**)
---

Reviews.
";

const HARNESS_TOML: &str = "[guard]\nprotected_paths = [\"migrations/**\"]\n";

fn repo() -> Repo {
    let repo = Repo::with_agents(&["tests", "src/ws", "plans", "secrets", "migrations"]);
    let root = &repo.root;
    fs::write(root.join("agents/scoped.md"), SCOPED).unwrap();
    fs::write(root.join("harness.toml"), HARNESS_TOML).unwrap();
    fs::write(root.join("src/ws/handler_test.go"), "package ws\n").unwrap();
    fs::write(root.join("src/lib.rs"), "").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(root.join("tests"), root.join("src/testlink")).unwrap();
    repo
}

/// Which plan state a case runs under.
#[derive(Clone, Copy)]
enum Plan {
    Approved,
    Draft,
    Changed,
    None,
}

struct Plans(Plan);

impl PlanSource for Plans {
    fn active_plan(&self, _agent: &str) -> Result<Option<PlanStatus>, String> {
        let path = PathBuf::from("plans/0007-presence.md");
        let files = [
            ("src/ws/**".to_string(), 12),
            ("src/lib.rs".to_string(), 13),
        ];
        let (scope, problems) = Scope::build(&path, &files);
        assert!(problems.is_empty());
        let plan = PlanRef {
            id: "0007".into(),
            path,
        };
        Ok(match self.0 {
            Plan::Approved => Some(PlanStatus::Approved { plan, scope }),
            Plan::Draft => Some(PlanStatus::NotApproved {
                plan,
                state: "draft".into(),
            }),
            Plan::Changed => Some(PlanStatus::Changed { plan }),
            Plan::None => None,
        })
    }
}

struct Case {
    agent: &'static str,
    plan: Plan,
    tool: &'static str,
    input: Value,
    /// `None`: allowed. `Some(text)`: denied, and the reason contains text
    /// (the rule's `file:line` where one decides).
    deny: Option<&'static str>,
}

fn case(agent: &'static str, tool: &'static str, input: Value, deny: Option<&'static str>) -> Case {
    Case {
        agent,
        plan: Plan::Approved,
        tool,
        input,
        deny,
    }
}

fn bash(agent: &'static str, command: &str, deny: Option<&'static str>) -> Case {
    case(agent, "Bash", json!({ "command": command }), deny)
}

fn file(agent: &'static str, tool: &'static str, path: &str, deny: Option<&'static str>) -> Case {
    case(agent, tool, json!({ "file_path": path }), deny)
}

fn with_plan(mut c: Case, plan: Plan) -> Case {
    c.plan = plan;
    c
}

const DEV: &str = "realtime-dev";
const ENG: &str = "realtime-engineer";
const SCOPE: &str = "scoped";
const NONE: &str = "";

const TESTS_RULE: &str = "agents/realtime-dev.md:60: Do NOT modify test files";
const PLAN_RULE: &str = "agents/realtime-dev.md:3: Works only from approved plans";
const PLAN_MODE: &str = "agents/realtime-engineer.md:12: permissionMode: plan";
const PROJECT_RULE: &str = "harness.toml:2: [guard] protected_paths: migrations/**";

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
        bash(DEV, "rm -rf target", None),
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
    let root = &repo.root;
    let toml_path = Path::new("harness.toml");
    let mut project_rules = GuardConfig {
        protected_paths: vec!["migrations/**".into()],
    }
    .rules(toml_path, HARNESS_TOML);
    project_rules.push(plan_records_rule("plans", toml_path));
    let policy = |name: &str| {
        let path = PathBuf::from(format!("agents/{name}.md"));
        let text = fs::read_to_string(root.join(&path)).unwrap();
        let parsed = harness::agent::definition::parse(&path, &text).unwrap();
        Policy::compile(&parsed.definition)
    };
    let policies = [policy(DEV), policy(ENG), policy(SCOPE)];
    let resolver = Resolver::new(root, root);
    let table = cases(root);
    assert!(table.len() >= 60, "the table has {} cases", table.len());
    let mut failures = Vec::new();
    for c in &table {
        let p = policies.iter().find(|p| p.agent == c.agent);
        let guard = Guard::new(p, &project_rules, resolver.root(), "plans").unwrap();
        let call = ToolCall {
            tool_name: c.tool.to_string(),
            tool_input: c.input.clone(),
        };
        let d = guard.decide(&call, &resolver, &Plans(c.plan));
        let ok = match c.deny {
            None => !d.is_deny(),
            Some(text) => d.is_deny() && d.reason.contains(text),
        };
        if !ok {
            failures.push(format!(
                "{} {} {}: expected {}, got {:?}: {}",
                if c.agent.is_empty() { "-" } else { c.agent },
                c.tool,
                c.input,
                c.deny
                    .map_or("allow".to_string(), |t| format!("deny citing {t:?}")),
                d.verdict,
                d.reason
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
