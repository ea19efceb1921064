//! The guard's decision table, shared by the table tests: a repository
//! with the two default agents and a scoped one, a plan source in each
//! state, a case type, and [`check`], which decides every case and lists
//! the ones that went wrong.

use std::fs;
use std::path::{Path, PathBuf};

use harness::config::GuardConfig;
use harness::plan::{PlanRef, PlanStatus, Scope};
use harness::policy::decision::plan_records_rule;
use harness::policy::paths::Resolver;
use harness::policy::{Guard, PlanSource, Policy, ToolCall};
use serde_json::{Value, json};

use super::Repo;

const SCOPED: &str = "---
name: scoped
description: Reviews changes and fixes docs.
tools: Read, Grep, Glob, Bash(git diff:*), Bash(npm run test:*), Bash(ls *), Edit(src/**), mcp__github, WebFetch(domain:docs.rs)
disallowedTools: Bash(git push:*), mcp__github__delete_repo, Read(./secrets/**)
---

Reviews.
";

const HARNESS_TOML: &str = "[guard]\nprotected_paths = [\"migrations/**\"]\n";

/// The repository every table runs in: `tests/` (protected for
/// realtime-dev), `src/ws/` (in the approved plan's scope), `migrations/`
/// (protected for everyone), and `src/testlink`, a symlink to `tests/`.
pub fn repo() -> Repo {
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
pub enum Plan {
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
                state: "draft",
            }),
            Plan::Changed => Some(PlanStatus::Changed { plan }),
            Plan::None => None,
        })
    }
}

pub struct Case {
    pub agent: &'static str,
    pub plan: Plan,
    pub tool: &'static str,
    pub input: Value,
    /// `None`: allowed. `Some(text)`: denied, and the reason contains text
    /// (the rule's `file:line` where one decides).
    pub deny: Option<&'static str>,
}

pub fn case(
    agent: &'static str,
    tool: &'static str,
    input: Value,
    deny: Option<&'static str>,
) -> Case {
    Case {
        agent,
        plan: Plan::Approved,
        tool,
        input,
        deny,
    }
}

pub fn bash(agent: &'static str, command: &str, deny: Option<&'static str>) -> Case {
    case(agent, "Bash", json!({ "command": command }), deny)
}

pub fn file(
    agent: &'static str,
    tool: &'static str,
    path: &str,
    deny: Option<&'static str>,
) -> Case {
    case(agent, tool, json!({ "file_path": path }), deny)
}

pub fn with_plan(mut c: Case, plan: Plan) -> Case {
    c.plan = plan;
    c
}

pub const DEV: &str = "realtime-dev";
pub const ENG: &str = "realtime-engineer";
pub const SCOPE: &str = "scoped";
pub const NONE: &str = "";

pub const TESTS_RULE: &str = "agents/realtime-dev.md:60: Do NOT modify test files";
pub const PLAN_RULE: &str = "agents/realtime-dev.md:3: Works only from approved plans";
pub const PLAN_MODE: &str = "agents/realtime-engineer.md:12: permissionMode: plan";
pub const PROJECT_RULE: &str = "harness.toml:2: [guard] protected_paths: migrations/**";

/// Decides every case of `table` in `repo` (made by [`repo`]) and returns
/// a line for each that went wrong.
pub fn check(repo: &Repo, table: &[Case]) -> Vec<String> {
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
    let mut failures = Vec::new();
    for c in table {
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
    failures
}
