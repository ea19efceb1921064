//! Commits checked against the specification, the project's rules, the plans
//! they implement and the policy of the agent that made them.
//!
//! - [`conventional`]: is a message a Conventional Commit, and what are its parts,
//! - [`rules`]: the project's `[commits]` rules, references and agent trailers,
//! - [`git`]: which commits a range holds, and what each one changed,
//! - [`Checker`]: all of it for one commit, giving a [`CommitVerdict`].
//!
//! Plans are asked through [`PlanLookup`], so the checker neither parses
//! plans nor cares whether they come from the working tree (the commit-msg
//! hook) or from the tip of the range (CI).

pub mod conventional;
mod hook;
mod range;
pub mod rules;

use std::cell::RefCell;
use std::collections::BTreeMap;

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Serialize;

pub use crate::config::{CommitsConfig, IgnoreConfig};
pub use hook::{HookInstall, install_hook};
pub use range::{
    Plans, RangeReport, RangeSpec, check_message, check_range, plans_at, working_plans,
};
pub use rules::{Reference, Rules};

use crate::agent::Catalog;
use crate::error::Result;
use crate::plan::{PlanStatus, Scope, Store};
use crate::policy::Policy;

/// One way a commit breaks a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// A stable id, commitlint's where one exists (`type-enum`).
    pub rule: &'static str,
    pub message: String,
    /// The offending part of the message or the commit, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Violation {
    pub fn new(
        rule: &'static str,
        message: impl Into<String>,
        part: Option<impl Into<String>>,
    ) -> Self {
        Violation {
            rule,
            message: message.into(),
            part: part.map(Into::into),
            hint: None,
        }
    }

    fn with_hint(mut self, suggestion: Option<&str>) -> Self {
        self.hint = suggestion.map(|s| format!("did you mean `{s}`?"));
        self
    }

    fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// The verdict on one commit.
#[derive(Debug, Clone, Serialize)]
pub struct CommitVerdict {
    pub sha: String,
    pub subject: String,
    pub ok: bool,
    /// Why the commit was not checked (`merge`, `revert`, `fixup`, `version`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignored: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    pub violations: Vec<Violation>,
}

impl CommitVerdict {
    pub fn short_sha(&self) -> &str {
        &self.sha[..self.sha.len().min(7)]
    }
}

/// Where the checker learns about plans: the working tree's store (the
/// commit-msg hook) or the store as of the tip of a range (CI).
pub trait PlanLookup {
    /// The status of the plan a reference names (`0007`).
    fn status(&self, plan: &str) -> PlanStatus;
    /// Whether the task `0007-3` exists (tasks are files derived when the
    /// plan was approved).
    fn has_task(&self, task: &str) -> bool;
}

/// The project's plan store as the checker asks it. Each plan is read once.
pub struct StorePlans {
    store: Store,
    tasks: crate::task::Store,
    cache: RefCell<BTreeMap<String, PlanStatus>>,
}

impl StorePlans {
    pub fn new(project: &crate::config::Project) -> Self {
        StorePlans {
            store: Store::open(project),
            tasks: crate::task::Store::open(project),
            cache: RefCell::new(BTreeMap::new()),
        }
    }
}

impl PlanLookup for StorePlans {
    fn status(&self, plan: &str) -> PlanStatus {
        self.cache
            .borrow_mut()
            .entry(plan.to_string())
            .or_insert_with(|| self.store.status(plan))
            .clone()
    }

    fn has_task(&self, task: &str) -> bool {
        self.tasks.get(task).is_ok()
    }
}

/// A commit as the checker sees it.
pub struct CommitInput<'a> {
    pub sha: &'a str,
    pub message: &'a str,
    pub parents: usize,
}

/// An agent's compiled policy and its protected paths as one matcher.
struct AgentScope {
    policy: Policy,
    protected: GlobSet,
    globs: Vec<String>,
}

/// Checks commits against the rules, plans and agents of one project.
pub struct Checker<'a> {
    pub config: &'a CommitsConfig,
    pub plans: &'a dyn PlanLookup,
    pub agents: &'a Catalog,
    scopes: RefCell<BTreeMap<String, Option<std::rc::Rc<AgentScope>>>>,
}

impl<'a> Checker<'a> {
    pub fn new(config: &'a CommitsConfig, plans: &'a dyn PlanLookup, agents: &'a Catalog) -> Self {
        Checker {
            config,
            plans,
            agents,
            scopes: RefCell::new(BTreeMap::new()),
        }
    }

    fn scope(&self, name: &str) -> Option<std::rc::Rc<AgentScope>> {
        self.scopes
            .borrow_mut()
            .entry(name.to_string())
            .or_insert_with(|| {
                let def = self.agents.get(name)?;
                let policy = Policy::compile(def);
                let globs: Vec<String> = policy
                    .protected_paths()
                    .map(|(g, _)| g.to_string())
                    .collect();
                Some(std::rc::Rc::new(AgentScope {
                    protected: glob_set(&globs),
                    globs,
                    policy,
                }))
            })
            .clone()
    }

    /// The verdict on one commit. `changed` lists the paths the commit
    /// touched; it is called only for commits made by an agent.
    pub fn check(
        &self,
        commit: &CommitInput,
        changed: &mut dyn FnMut() -> Result<Vec<String>>,
    ) -> Result<CommitVerdict> {
        let message = conventional::normalize(commit.message);
        let header = conventional::first_line(&message);
        let mut verdict = CommitVerdict {
            sha: commit.sha.to_string(),
            subject: header.to_string(),
            ok: true,
            ignored: None,
            agent: None,
            references: Vec::new(),
            violations: Vec::new(),
        };
        if let Some(reason) = self.config.ignore.reason(header, commit.parents) {
            verdict.ignored = Some(reason);
            return Ok(verdict);
        }
        let syntax = conventional::check(&message);
        let agent = rules::agent(&syntax.footers, self.config);
        let scope = agent.as_deref().and_then(|a| self.scope(a));
        let rules = match &scope {
            Some(s) => Rules::for_agent(self.config, &s.policy),
            None => Rules::new(self.config),
        };
        let mut v = syntax.violations.clone();
        rules.check_header(header, &syntax, &mut v);
        let plan_scopes = self.references(&syntax, &rules, &mut verdict.references, &mut v);
        if let Some(name) = &agent {
            match &scope {
                None => v.push(
                    Violation::new(
                        "agent-unknown",
                        format!("no agent is called `{name}`"),
                        Some(format!("{}: {name}", rules::AGENT_TOKEN)),
                    )
                    .with_hint(crate::diagnostic::suggest(
                        name,
                        self.agents.agents.iter().map(|a| a.name.as_str()),
                    )),
                ),
                Some(s) => agent_scope(s, plan_scopes.as_deref(), &changed()?, &mut v),
            }
        }
        verdict.agent = agent;
        verdict.ok = v.is_empty();
        verdict.violations = v;
        Ok(verdict)
    }

    /// Checks the reference footers; returns the Files to Change of the
    /// referenced plans, when every one is approved.
    fn references(
        &self,
        syntax: &conventional::Syntax,
        rules: &Rules,
        found: &mut Vec<Reference>,
        v: &mut Vec<Violation>,
    ) -> Option<Vec<Scope>> {
        let (refs, bad) = rules::references(&syntax.footers);
        found.extend(refs.iter().cloned());
        // Other kinds of reference (`Refs: 676104e`) are fine where none is
        // required.
        for item in bad.into_iter().filter(|_| rules.requires_reference()) {
            v.push(
                Violation::new(
                    "reference-invalid",
                    "a reference names a plan (`0007`), a task (`0007-3`) or an issue (`#12`)",
                    Some(item),
                )
                .hint("write e.g. `Refs: 0007-3`"),
            );
        }
        let mut scopes: Vec<Scope> = Vec::new();
        let mut usable = 0;
        for r in &refs {
            let Some(plan) = r.plan_id() else {
                if self.config.issue_references {
                    usable += 1;
                } else if rules.requires_reference() {
                    v.push(
                        Violation::new(
                            "reference-issue",
                            "issue references do not count here; name the plan or task",
                            Some(r.to_string()),
                        )
                        .hint("set `issue_references = true` under `[commits]` to accept them"),
                    );
                }
                continue;
            };
            let status = self.plans.status(plan);
            let unknown_task = match (&status, r) {
                (PlanStatus::Unknown { .. } | PlanStatus::Unreadable { .. }, _) => false,
                (_, Reference::Task { plan: p, task }) => {
                    !self.plans.has_task(&format!("{p}-{task}"))
                }
                _ => false,
            };
            let (rule, message) = match status {
                _ if unknown_task => (
                    "reference-unknown",
                    format!("plan `{plan}` has no such task"),
                ),
                PlanStatus::Approved { scope, .. } => {
                    usable += 1;
                    scopes.push(scope);
                    continue;
                }
                PlanStatus::Unknown { .. } => {
                    ("reference-unknown", format!("no plan `{plan}` exists"))
                }
                PlanStatus::NotApproved { state, .. } => (
                    "reference-unapproved",
                    format!("plan `{plan}` is not approved (status: {state})"),
                ),
                PlanStatus::Changed { .. } => (
                    "reference-changed",
                    format!("plan `{plan}` changed after it was approved"),
                ),
                PlanStatus::Unreadable { problem, .. } => (
                    "reference-unreadable",
                    format!("plan `{plan}` cannot be read: {problem}"),
                ),
            };
            v.push(Violation::new(rule, message, Some(r.to_string())));
        }
        if rules.requires_reference() && usable == 0 && refs.is_empty() {
            let why = match &rules.agent_requires_reference {
                Some(agent) => format!("agent `{agent}` must name the plan or task it implements"),
                None => "each commit must name the plan or task it implements".to_string(),
            };
            let example = if self.config.issue_references {
                "`Refs: 0007-3` or `Refs: #12`"
            } else {
                "`Refs: 0007-3`"
            };
            v.push(
                Violation::new("references-empty", why, None::<String>)
                    .hint(format!("add a footer after a blank line, e.g. {example}")),
            );
        }
        // Scope is checked only against plans that are all in good standing
        // and state their Files to Change.
        let planned = refs.iter().filter(|r| r.plan_id().is_some()).count();
        (planned > 0 && scopes.len() == planned && scopes.iter().all(|s| !s.is_empty()))
            .then_some(scopes)
    }
}

/// Gitignore-like, as plan scopes are: `*` stays within one component.
fn glob(pattern: &str) -> std::result::Result<Glob, globset::Error> {
    GlobBuilder::new(pattern).literal_separator(true).build()
}

fn glob_set(globs: &[String]) -> GlobSet {
    let mut b = GlobSetBuilder::new();
    for g in globs {
        let g = g.trim_start_matches("./");
        let pattern = if g.ends_with('/') {
            format!("{g}**")
        } else {
            g.to_string()
        };
        if let Ok(glob) = glob(&pattern) {
            b.add(glob);
        }
        // `src/ws` also covers what is inside it.
        if !g.contains('*')
            && !g.ends_with('/')
            && let Ok(glob) = glob(&format!("{g}/**"))
        {
            b.add(glob);
        }
    }
    b.build().unwrap_or_else(|_| GlobSet::empty())
}

/// An agent's commit may touch neither its protected paths nor anything
/// outside the Files to Change of the plans it implements.
fn agent_scope(
    scope: &AgentScope,
    plans: Option<&[Scope]>,
    changed: &[String],
    v: &mut Vec<Violation>,
) {
    let agent = &scope.policy.agent;
    for path in changed {
        if scope.protected.is_match(path) {
            let glob = scope
                .globs
                .iter()
                .find(|g| glob_set(std::slice::from_ref(*g)).is_match(path))
                .cloned()
                .unwrap_or_default();
            let rule = scope
                .policy
                .protected_paths()
                .find(|(g, _)| *g == glob)
                .map(|(_, r)| r.provenance.to_string())
                .unwrap_or_default();
            v.push(
                Violation::new(
                    "agent-protected-path",
                    format!("agent `{agent}` may not change `{glob}` ({rule})"),
                    Some(path.clone()),
                )
                .hint("move this change to a commit by an agent allowed to make it"),
            );
        }
    }
    if let Some(plans) = plans {
        for path in changed {
            if !plans.iter().any(|p| p.contains(path)) && !scope.protected.is_match(path) {
                v.push(
                    Violation::new(
                        "agent-outside-plan",
                        format!(
                            "agent `{agent}` changed a file outside the plan's Files to Change"
                        ),
                        Some(path.clone()),
                    )
                    .hint("add the file to the plan (and approve it again), or leave it alone"),
                );
            }
        }
    }
}

#[cfg(test)]
mod conformance;
