//! The policy an agent definition compiles into: the rules every enforcement
//! point asks (the hook, the commit checker, the gate runner, task states),
//! each with the file and line that made it.
//!
//! How a definition becomes rules is in `compile`; the guard's reading of
//! one tool call against them is in [`decision`].

mod compile;
pub mod control;
pub mod decision;
pub mod matcher;
pub mod paths;
mod report;
mod writes;

use std::path::PathBuf;

use serde::Serialize;

pub use decision::{Guard, GuardDecision, PlanSource, ToolCall, Verdict};

use crate::agent::{Catalog, skill};
use crate::config::Project;
use crate::diagnostic::Provenance;
use crate::error::Result;

/// The test files a test-writing workflow reserves for the test writer:
/// wherever they are (workspace crates, packages, nested modules), in the
/// naming conventions of the common languages.
pub const DEFAULT_TEST_GLOBS: &[&str] = &[
    "**/tests/**",
    "**/test/**",
    "**/__tests__/**",
    "**/testdata/**",
    "**/*_test.*",
    "**/test_*.py",
    "**/*.test.*",
    "**/*.spec.*",
    "**/conftest.py",
];

/// Where a plan-mode agent may write.
pub const PLANS_GLOB: &str = "plans/**";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RuleKind {
    /// The agent may use this tool (and, once any is listed, only these).
    AllowTool { tool: String },
    /// The agent may never use this tool.
    DenyTool { tool: String },
    /// The agent may not write paths matching this glob.
    ProtectPath { glob: String },
    /// The agent may write only paths matching this glob.
    WriteOnly { glob: String },
    /// Writes need an approved plan, unchanged since approval, whose Files
    /// to Change cover the path.
    RequireApprovedPlan,
    /// A Conventional Commit type the agent may use.
    CommitType { commit_type: String },
    /// Each commit must reference the plan or task it implements.
    CommitReference,
    /// A quality gate that must pass before a task is done.
    Gate { command: String },
    /// A harness command that records a person's decision (`harness-agents plan
    /// approve`): no agent may run it.
    PersonOnly { command: String },
    /// A rule in prose that harness reports but cannot check.
    Advisory { category: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rule {
    #[serde(flatten)]
    pub kind: RuleKind,
    pub provenance: Provenance,
    /// The words of the source the rule was read from.
    pub source_text: String,
}

/// An agent's effective policy.
#[derive(Debug, Clone, Serialize)]
pub struct Policy {
    pub agent: String,
    pub source: PathBuf,
    /// False when the definition lists no `tools`: every tool is allowed
    /// unless denied.
    pub tools_restricted: bool,
    pub rules: Vec<Rule>,
    /// The skills the agent loads, each cited to its `skills:` entry and,
    /// once [`Policy::resolve_skills`] has run, to the file it resolves to.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skills: Vec<SkillUse>,
}

/// A skill an agent loads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkillUse {
    pub name: String,
    pub provenance: Provenance,
    /// The `SKILL.md` it resolves to; `None` when not found (or not looked
    /// up).
    pub file: Option<PathBuf>,
    pub origin: Option<skill::Origin>,
}

/// An agent's policy as `agents explain` shows it: compiled from its
/// definition, with its skills looked up where the project finds them.
pub fn explain(project: &Project, name: &str) -> Result<Policy> {
    let catalog = Catalog::load(project);
    let mut policy = Policy::compile(catalog.require(name)?);
    policy.resolve_skills(project, &skill::search_dirs(project));
    Ok(policy)
}

impl Policy {
    /// Looks each skill up in `dirs`, the way Claude Code would.
    pub fn resolve_skills(&mut self, project: &Project, dirs: &[skill::SearchDir]) {
        for s in &mut self.skills {
            if let Some((file, dir)) = skill::resolve(&project.files, dirs, &s.name) {
                s.file = Some(project.relative(&file).to_path_buf());
                s.origin = Some(dir.origin.clone());
            }
        }
    }

    pub fn rules_of<'a>(
        &'a self,
        f: impl Fn(&RuleKind) -> bool + 'a,
    ) -> impl Iterator<Item = &'a Rule> + 'a {
        self.rules.iter().filter(move |r| f(&r.kind))
    }

    pub fn protected_paths(&self) -> impl Iterator<Item = (&str, &Rule)> {
        self.rules.iter().filter_map(|r| match &r.kind {
            RuleKind::ProtectPath { glob } => Some((glob.as_str(), r)),
            _ => None,
        })
    }

    pub fn commit_types(&self) -> Vec<&str> {
        self.rules
            .iter()
            .filter_map(|r| match &r.kind {
                RuleKind::CommitType { commit_type } => Some(commit_type.as_str()),
                _ => None,
            })
            .collect()
    }

    pub fn gates(&self) -> impl Iterator<Item = (&str, &Rule)> {
        self.rules.iter().filter_map(|r| match &r.kind {
            RuleKind::Gate { command } => Some((command.as_str(), r)),
            _ => None,
        })
    }

    pub fn requires_approved_plan(&self) -> Option<&Rule> {
        self.rules
            .iter()
            .find(|r| r.kind == RuleKind::RequireApprovedPlan)
    }

    pub fn requires_reference(&self) -> Option<&Rule> {
        self.rules
            .iter()
            .find(|r| r.kind == RuleKind::CommitReference)
    }
}
