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

mod base;
pub mod commitlint;
pub mod conventional;
mod grammar;
mod hook;
pub mod preset;
mod range;
pub mod rules;

use std::cell::{OnceCell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Serialize;

pub use crate::config::{CommitsConfig, IgnoreConfig};
pub use base::{
    BRANCH_APPROVAL, BasePolicy, BranchApprovals, BranchPlans, CHAIN_REWRITTEN, PolicySource,
    SignedApprovals, UnsignedApprovals, policy_at,
};
pub use hook::{HookInstall, install_hook};
pub use preset::RuleSet;
pub use range::{
    Judging, RangeReport, RangeSpec, check_message, check_message_under, check_range, judging,
};
pub use rules::{Reference, Rules};

use crate::agent::Catalog;
use crate::config::Project;
use crate::error::Result;
use crate::plan::{PlanStatus, Scope, Store};
use crate::policy::{Policy, Rule, RuleKind};

/// How much a finding counts, as commitlint's levels 2 and 1: an error
/// fails the commit, a warning is shown and does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Warning,
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }
}

/// One way a commit breaks a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// A stable id, commitlint's where one exists (`type-enum`).
    pub rule: &'static str,
    pub level: Level,
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
            level: Level::Error,
            message: message.into(),
            part: part.map(Into::into),
            hint: None,
        }
    }

    /// This finding as a warning: shown, never failing the commit.
    pub fn warning(mut self) -> Self {
        self.level = Level::Warning;
        self
    }

    pub fn is_error(&self) -> bool {
        self.level == Level::Error
    }

    pub(crate) fn with_hint(mut self, suggestion: Option<&str>) -> Self {
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
    /// No violation is an error; warnings may remain.
    pub ok: bool,
    /// Why the message was not linted (`merge`, `revert`, `fixup`,
    /// `version`); what the commit changed is checked all the same.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignored: Option<&'static str>,
    /// The agent the commit answers to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// Whether that is the `[policy] default` agent, the commit naming none.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub default_agent: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    pub violations: Vec<Violation>,
}

impl CommitVerdict {
    pub fn short_sha(&self) -> &str {
        &self.sha[..self.sha.len().min(7)]
    }

    /// Whether the commit has warnings (it may still be ok).
    pub fn warned(&self) -> bool {
        self.violations.iter().any(|v| !v.is_error())
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
    /// Who the plan gives its work to, when it can be read.
    fn assignment(&self, _plan: &str) -> Option<Assignment> {
        None
    }
}

/// Who a plan's work belongs to, as its approved text says.
#[derive(Debug, Clone, Default)]
pub struct Assignment {
    /// The agent that wrote the plan (`agent:` in its front matter).
    pub author: String,
    /// The owner each task item names (`@realtime-dev`), in task order.
    pub owners: Vec<Option<String>>,
}

/// The project's plan store as the checker asks it. Each plan is read once.
pub struct StorePlans {
    store: Store,
    cache: RefCell<BTreeMap<String, PlanStatus>>,
}

impl StorePlans {
    pub fn new(project: &crate::config::Project) -> Self {
        StorePlans::with_store(Store::open(project))
    }

    /// The plans as `store` reads them (e.g. checked against another
    /// project's signers).
    pub fn with_store(store: Store) -> Self {
        StorePlans {
            store,
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
        self.store
            .task_file(task)
            .is_some_and(|f| self.store.project().files.is_file(&f))
    }

    fn assignment(&self, plan: &str) -> Option<Assignment> {
        let plan = self.plan(plan)?;
        Some(Assignment {
            owners: crate::plan::wanted::wanted(&plan)
                .into_iter()
                .map(|w| w.owner)
                .collect(),
            author: plan.agent,
        })
    }
}

impl StorePlans {
    /// The plan `id` names, when it can be read.
    pub fn plan(&self, id: &str) -> Option<crate::plan::Plan> {
        self.store.get_id(crate::plan::parse_id(id)?).ok()
    }
}

/// A commit as the checker sees it.
pub struct CommitInput<'a> {
    pub sha: &'a str,
    pub message: &'a str,
    pub parents: usize,
}

/// Whom a commit answers to: an agent's compiled policy (none for a
/// commit held to the project's rules alone), and every path it may not
/// change, each with the rule that protects it.
struct Holder {
    policy: Option<Policy>,
    /// The glob and where its rule comes from (`agents/dev.md:9`).
    protected: Vec<(String, String)>,
    set: GlobSet,
}

impl Holder {
    fn new(policy: Option<Policy>, project_rules: &[Rule]) -> Holder {
        let mut protected: Vec<(String, String)> = policy
            .iter()
            .flat_map(|p| p.protected_paths())
            .map(|(g, r)| (g.to_string(), r.provenance.to_string()))
            .collect();
        for r in project_rules {
            if let RuleKind::ProtectPath { glob } = &r.kind {
                protected.push((glob.clone(), r.provenance.to_string()));
            }
        }
        let globs: Vec<String> = protected.iter().map(|(g, _)| g.clone()).collect();
        Holder {
            set: glob_set(&globs),
            protected,
            policy,
        }
    }
}

/// The agent definitions a [`Checker`] reads: given, or read from the
/// project the first time a commit names an agent. The commit-msg hook
/// checks one message, which most often names none, and reading every
/// definition would cost it more than the check itself.
pub enum Agents<'a> {
    Given(&'a Catalog),
    OnDemand(&'a Project, OnceCell<Catalog>),
}

impl<'a> Agents<'a> {
    /// The definitions of `project`, read when first asked for.
    pub fn on_demand(project: &'a Project) -> Agents<'a> {
        Agents::OnDemand(project, OnceCell::new())
    }

    pub fn catalog(&self) -> &Catalog {
        match self {
            Agents::Given(catalog) => catalog,
            Agents::OnDemand(project, loaded) => loaded.get_or_init(|| Catalog::load(project)),
        }
    }
}

/// Checks commits against the rules, plans and agents of one project.
pub struct Checker<'a> {
    pub config: &'a CommitsConfig,
    pub plans: &'a dyn PlanLookup,
    pub agents: Agents<'a>,
    /// The commitlint rules `config` puts in force.
    rule_set: RuleSet,
    /// The agent a commit naming none is held to (`[policy] default`).
    default_agent: Option<String>,
    /// Rules every commit is held to, whoever made it (`[guard]`).
    project_rules: Vec<Rule>,
    /// The plans directory (`plans/`): editing a plan is how its scope
    /// changes, and the edit voids its approval, so it is never outside it.
    plans_dir: Option<String>,
    /// Whether the project is a directory inside its repository, so that
    /// a commit can change files outside it (named `../...`).
    in_subdirectory: bool,
    holders: RefCell<BTreeMap<Option<String>, Option<Rc<Holder>>>>,
}

impl<'a> Checker<'a> {
    pub fn new(config: &'a CommitsConfig, plans: &'a dyn PlanLookup, agents: &'a Catalog) -> Self {
        Checker::with_agents(config, plans, Agents::Given(agents))
    }

    pub fn with_agents(
        config: &'a CommitsConfig,
        plans: &'a dyn PlanLookup,
        agents: Agents<'a>,
    ) -> Self {
        Checker {
            config,
            plans,
            agents,
            rule_set: RuleSet::of(config),
            default_agent: None,
            project_rules: Vec::new(),
            plans_dir: None,
            in_subdirectory: false,
            holders: RefCell::new(BTreeMap::new()),
        }
    }

    /// Says whether the project is a directory inside its repository:
    /// then an agent's commit that changes anything outside it fails
    /// (changed paths are given relative to the project, see
    /// [`crate::git::relative_to`]).
    pub fn in_subdirectory(mut self, yes: bool) -> Self {
        self.in_subdirectory = yes;
        self
    }

    /// Holds every commit, trailer or not, to a policy: one that names no
    /// agent to the `[policy] default` agent (when set), and all of them to
    /// the project's `[guard]` rules (`project_rules`).
    pub fn held_to(mut self, config: &crate::config::Config, project_rules: Vec<Rule>) -> Self {
        self.default_agent = config.policy.default.clone();
        self.project_rules = project_rules;
        let dir = crate::diagnostic::display_path(&config.paths.plans);
        self.plans_dir = Some(format!("{}/", dir.trim_end_matches('/')));
        self
    }

    /// What an agent (or, for `None`, nobody in particular) answers to;
    /// `None` for an agent no definition names.
    fn holder(&self, name: Option<&str>) -> Option<Rc<Holder>> {
        self.holders
            .borrow_mut()
            .entry(name.map(str::to_string))
            .or_insert_with(|| {
                let policy = match name {
                    Some(name) => Some(Policy::compile(self.agents.catalog().get(name)?)),
                    None => None,
                };
                Some(Rc::new(Holder::new(policy, &self.project_rules)))
            })
            .clone()
    }

    /// The verdict on one commit. `changed` lists the paths the commit
    /// touched (for a merge, what its resolution changed).
    ///
    /// A header the project ignores (`Merge`, `Revert`, `fixup!`, a
    /// version) skips the message lint only: what the commit changed is
    /// checked all the same, against the agent it names, else the default
    /// agent, and the project's own protected paths.
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
            ignored: self.config.ignore.reason(header, commit.parents),
            agent: None,
            default_agent: false,
            references: Vec::new(),
            violations: Vec::new(),
        };
        let syntax = conventional::check(&message);
        let mut v = Vec::new();
        // Trailers are read whether or not the header parses, so that an
        // ignored or malformed header cannot shed the agent it names.
        let named = rules::agents(&message, &syntax.footers, self.config);
        if named.len() > 1 {
            v.push(
                Violation::new(
                    "agent-multiple",
                    format!(
                        "a commit is made by one agent; this one names {}",
                        named.len()
                    ),
                    Some(named.join(", ")),
                )
                .hint("keep the one `Agent:` trailer harness's runner wrote"),
            );
        }
        let agent = named
            .first()
            .cloned()
            .or_else(|| self.default_agent.clone());
        verdict.default_agent = named.is_empty() && agent.is_some();
        let holder = self.holder(agent.as_deref());
        let rules = match holder.as_ref().and_then(|h| h.policy.as_ref()) {
            Some(p) => Rules::for_agent(self.config, &self.rule_set, p),
            None => Rules::new(self.config, &self.rule_set),
        };
        // An ignored commit's references still give its plan scope, but
        // the message lint's findings are dropped.
        let mut lint = Vec::new();
        let plan_scopes = self.references(&syntax, &rules, &mut verdict.references, &mut lint);
        if verdict.ignored.is_none() {
            rules.check_message(&message, &syntax, &mut v);
            v.append(&mut lint);
        }
        if let Some(name) = &agent {
            self.owners(name, &verdict.references, &mut v);
        }
        match (&agent, &holder) {
            (Some(name), None) => {
                let what = if verdict.default_agent {
                    format!("the default agent `{name}` (`[policy] default`) is not defined")
                } else {
                    format!("no agent is called `{name}`")
                };
                v.push(
                    Violation::new(
                        "agent-unknown",
                        what,
                        Some(format!("{}: {name}", rules::AGENT_TOKEN)),
                    )
                    .with_hint(crate::diagnostic::suggest(
                        name,
                        self.agents.catalog().agents.iter().map(|a| a.name.as_str()),
                    )),
                )
            }
            // Nothing protected and no plan scope: no path can fail, so the
            // changed paths (a diff of the index or of the commit) are not read.
            (_, Some(h))
                if h.set.is_empty()
                    && plan_scopes.is_none()
                    && !(self.in_subdirectory && h.policy.is_some()) => {}
            (_, Some(h)) => {
                let mut changed = changed()?;
                let plans = plan_scopes.as_deref();
                if let (Some(dir), Some(_)) = (&self.plans_dir, plans) {
                    let (records, work): (Vec<String>, Vec<String>) = changed
                        .into_iter()
                        .partition(|p| p.starts_with(dir.as_str()));
                    // Plan files still answer to protected paths.
                    agent_scope(h, None, &records, &mut v);
                    changed = work;
                }
                agent_scope(h, plans, &changed, &mut v);
            }
            (None, None) => {}
        }
        verdict.agent = agent;
        verdict.ok = !v.iter().any(Violation::is_error);
        verdict.violations = v;
        Ok(verdict)
    }

    /// An agent may name only the work its approved plans give it: a task
    /// whose plan names another owner, or a plan whose every task is
    /// another agent's, is impersonation.
    fn owners(&self, agent: &str, refs: &[Reference], v: &mut Vec<Violation>) {
        for r in refs {
            let Some(plan) = r.plan_id() else { continue };
            if !self.plans.status(plan).is_approved() {
                continue;
            }
            let Some(work) = self.plans.assignment(plan) else {
                continue;
            };
            let owner = match r {
                Reference::Task { task, .. } => task
                    .parse::<usize>()
                    .ok()
                    .and_then(|k| work.owners.get(k.wrapping_sub(1)))
                    .and_then(|o| o.clone())
                    .filter(|o| o != agent),
                _ => {
                    let all: Option<Vec<&String>> =
                        work.owners.iter().map(Option::as_ref).collect();
                    match all {
                        Some(all)
                            if !all.is_empty()
                                && work.author != agent
                                && !all.iter().any(|o| *o == agent) =>
                        {
                            Some(
                                all.iter()
                                    .map(|o| o.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", "),
                            )
                        }
                        _ => None,
                    }
                }
            };
            if let Some(owner) = owner {
                v.push(
                    Violation::new(
                        "agent-impersonation",
                        format!("{r} is `{owner}`'s work, not `{agent}`'s"),
                        Some(format!("{}: {agent}", rules::AGENT_TOKEN)),
                    )
                    .hint("an agent commits only the tasks its approved plan gives it"),
                );
            }
        }
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
                // A state that is a sentence says why by itself.
                PlanStatus::NotApproved { state, .. } if state.contains(' ') => (
                    "reference-unapproved",
                    format!("plan `{plan}` is not approved: {state}"),
                ),
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

/// A commit may touch neither the paths its agent (or the project)
/// protects nor anything outside the Files to Change of the plans it
/// implements.
fn agent_scope(
    holder: &Holder,
    plans: Option<&[Scope]>,
    changed: &[String],
    v: &mut Vec<Violation>,
) {
    let who = match &holder.policy {
        Some(p) => format!("agent `{}`", p.agent),
        None => "this commit".to_string(),
    };
    // An agent's file outside the project (a sub-directory of its
    // repository) is reported once, here, and not judged further.
    let outside = |path: &str| holder.policy.is_some() && path.starts_with("../");
    for path in changed {
        if outside(path) {
            v.push(
                Violation::new(
                    "agent-outside-project",
                    format!("{who} changed a file outside the project"),
                    Some(path.clone()),
                )
                .hint("an agent works in its project's directory; leave files outside it to their own project"),
            );
            continue;
        }
        if holder.set.is_match(path) {
            let (glob, rule) = holder
                .protected
                .iter()
                .find(|(g, _)| glob_set(std::slice::from_ref(g)).is_match(path))
                .cloned()
                .unwrap_or_default();
            v.push(
                Violation::new(
                    "agent-protected-path",
                    format!("{who} may not change `{glob}` ({rule})"),
                    Some(path.clone()),
                )
                .hint("move this change to a commit by an agent allowed to make it"),
            );
        }
    }
    if let Some(plans) = plans {
        for path in changed.iter().filter(|p| !outside(p)) {
            if !plans.iter().any(|p| p.contains(path)) && !holder.set.is_match(path) {
                v.push(
                    Violation::new(
                        "agent-outside-plan",
                        format!("{who} changed a file outside the plan's Files to Change"),
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
