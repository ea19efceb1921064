//! The guard's decision table, shared by the table tests: a repository
//! with the two default agents and a scoped one, a plan source in each
//! state, a case type, and [`check`], which decides every case and lists
//! the ones that went wrong.

use std::fs;
use std::path::{Path, PathBuf};

use harness::config::{GuardConfig, Paths};
use harness::plan::{PlanRef, PlanStatus, Scope};
use harness::policy::control::{control_rules, person_rules};
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

const OPEN: &str = "---
name: open
description: May use any tool.
---

Does what it is asked.
";

const HARNESS_TOML: &str = "[guard]\nprotected_paths = [\"migrations/**\"]\n";

pub fn repo() -> Repo {
    let repo = Repo::with_agents(&["tests", "src/ws", "plans", "secrets", "migrations"]);
    let root = &repo.root;
    fs::write(root.join("agents/scoped.md"), SCOPED).unwrap();
    fs::write(root.join("agents/open.md"), OPEN).unwrap();
    fs::create_dir_all(root.join("plans/0007/tasks")).unwrap();
    fs::write(root.join("plans/0007/tasks/0007-1.toml"), "").unwrap();
    fs::create_dir_all(root.join(".claude/agents")).unwrap();
    fs::write(root.join(".claude/settings.json"), "{}").unwrap();
    fs::write(root.join("harness.toml"), HARNESS_TOML).unwrap();
    fs::write(root.join("src/ws/handler_test.go"), "package ws\n").unwrap();
    fs::write(root.join("src/lib.rs"), "").unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(root.join("tests"), root.join("src/testlink")).unwrap();
        std::os::unix::fs::symlink(root.join("agents"), root.join("src/agentlink")).unwrap();
    }
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

pub struct Plans(Plan);

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
pub const OPEN_AGENT: &str = "open";
/// No agent can be named: project rules, and every write refused.
pub const NONE: &str = "";

pub const TESTS_RULE: &str = "agents/realtime-dev.md:60: Do NOT modify test files";
pub const PLAN_RULE: &str = "agents/realtime-dev.md:3: Works only from approved plans";
pub const PLAN_MODE: &str = "agents/realtime-engineer.md:12: permissionMode: plan";
pub const PROJECT_RULE: &str = "harness.toml:2: [guard] protected_paths: migrations/**";
pub const AGENTS: &str = "harness.toml:1: agent definitions (`agents/`)";
pub const CLAUDE_AGENTS: &str = "harness.toml:1: agent definitions (`.claude/agents/`)";
pub const CONFIG: &str = "harness.toml:1: `harness.toml` is harness's control file";
pub const SETTINGS: &str = "harness.toml:1: Claude Code's settings hold the guard's hook";
pub const GIT: &str = "harness.toml:1: `.git/` (hooks, config, info)";
pub const HARNESS_DIR: &str = "harness.toml:1: `.harness/` holds harness's own records";
pub const RECORDS: &str = "harness.toml:1: plan records under `plans/NNNN/`";
pub const SIGNERS: &str = "harness.toml:1: the approvals signers file (`.keys/signers`)";
pub const WORKFLOW: &str = "harness.toml:1: CI workflows decide what checks a branch";
pub const GITLAB_CI: &str = "harness.toml:1: the GitLab pipeline decides what checks a branch";
pub const COMMITLINT: &str = "harness.toml:1: a commitlint config sets the commit rules";
pub const PERSON: &str = "records a person's decision: only a person runs it";
pub const NO_AGENT: &str = "no agent is named";

/// Decides every case of `table` in `repo` with the project's rules
/// (`[guard]`, harness's control files, a person's commands) and each
/// agent's policy; returns a line for each case that went wrong.
pub fn check(repo: &Repo, table: &[Case]) -> Vec<String> {
    let root = &repo.root;
    let toml_path = Path::new("harness.toml");
    let mut project_rules = GuardConfig {
        protected_paths: vec!["migrations/**".into()],
    }
    .rules(toml_path, HARNESS_TOML);
    project_rules.extend(control_rules(
        toml_path,
        &Paths::default(),
        Some(Path::new(".keys/signers")),
    ));
    project_rules.extend(person_rules(toml_path));
    let policy = |name: &str| {
        let path = PathBuf::from(format!("agents/{name}.md"));
        let text = fs::read_to_string(root.join(&path)).unwrap();
        let parsed = harness::agent::definition::parse(&path, &text).unwrap();
        Policy::compile(&parsed.definition)
    };
    let policies = [policy(DEV), policy(ENG), policy(SCOPE), policy(OPEN_AGENT)];
    let resolver = Resolver::new(root, root);
    let mut failures = Vec::new();
    for c in table {
        let p = policies.iter().find(|p| p.agent == c.agent);
        let mut guard = Guard::new(p, &project_rules, resolver.root(), "plans").unwrap();
        if c.agent.is_empty() {
            guard = guard.deny_writes("no agent is named for this call");
        }
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
