//! The policy a range of commits is judged by, read as of its base.
//!
//! A branch under test must not decide its own policy: agent definitions,
//! `harness.toml` (commit rules, gates, the `[policy] default` agent, the
//! `[guard]` protected paths) and the plans' approval records are taken
//! from the base commit (the range's `BASE`, or its merge base with the
//! default branch) into memory, and loaded from there as a project. A range
//! with no base (the whole history) has nothing trusted to read, so the
//! defaults apply, and the report says so.
//!
//! Plans are read twice: their text as of the tip (the work the branch
//! does), their approvals as of the base. [`BranchPlans`] counts a plan as
//! approved only when the tip's approval chain extends the base's and the
//! record that approves it was made on the base, or a [`BranchApprovals`]
//! rule vouches for a record made on the branch. Today no rule does; once
//! approvals are signed, one that checks the signature against the signers
//! file read from this same base project plugs in here.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use git2::{Oid, Repository};
use serde::Serialize;

use super::{Assignment, PlanLookup, StorePlans};
use crate::agent::Catalog;
use crate::agent::validate::Context;
use crate::config::{self, Config, Project};
use crate::error::Result;
use crate::files::Files;
use crate::git;
use crate::plan::{Approval, Plan, PlanStatus};
use crate::policy::Rule;

/// The state of a plan approved only by a record the branch added.
pub const BRANCH_APPROVAL: &str =
    "approved on this branch; needs approval recorded on the base branch";
/// The state of a plan whose approval chain the branch rewrote.
pub const CHAIN_REWRITTEN: &str =
    "its approval chain does not extend the base branch's; records were changed or dropped";

/// Where the policy of a check came from, for the report.
#[derive(Debug, Clone, Serialize)]
pub struct PolicySource {
    /// The base commit, when the range has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
    /// Whether the base has a `harness.toml` (else the defaults apply).
    pub config: bool,
    /// How many agents the base defines.
    pub agents: usize,
    /// The commitlint config the commit rules came from, when
    /// `harness.toml` has no `[commits]` section.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commitlint: Option<String>,
    /// What of that config harness could not follow.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl PolicySource {
    /// One line: where the policy was read, and what it holds.
    pub fn describe(&self) -> String {
        let Some(base) = &self.base else {
            return "no base commit: the default policy applies, with no agents".to_string();
        };
        let base = &base[..base.len().min(7)];
        let config = if self.config {
            "harness.toml"
        } else {
            "no harness.toml (defaults apply)"
        };
        let rules = match &self.commitlint {
            Some(file) if self.warnings.is_empty() => format!(", commit rules from {file}"),
            Some(file) => format!(
                ", commit rules from {file} (not followed: {})",
                self.warnings.join("; ")
            ),
            None => String::new(),
        };
        format!(
            "read from base {base}: {config}{rules}, {} agent(s)",
            self.agents
        )
    }
}

/// The project as the base commit records it.
pub struct BasePolicy {
    /// The base's files, held in memory (see [`in_memory`]).
    pub project: Project,
    pub catalog: Catalog,
    pub source: PolicySource,
    /// The `[guard]` rules, cited to the base's `harness.toml`.
    pub project_rules: Vec<Rule>,
    /// The project's directory in the repository (empty at its top).
    pub prefix: PathBuf,
    base: Option<Oid>,
}

/// The files under each of `dirs` (relative to the project) as of `commit`,
/// added to `files` by their path relative to the repository.
fn read_dirs<'a>(
    commit: &git::CommitFiles<'_>,
    prefix: &Path,
    dirs: impl IntoIterator<Item = &'a PathBuf>,
    files: &mut BTreeMap<PathBuf, Vec<u8>>,
) -> Result<()> {
    for rel in dirs {
        // Only what the repository holds can be read from a commit.
        if contained(rel) {
            files.extend(commit.files_under(&prefix.join(rel))?);
        }
    }
    Ok(())
}

/// Whether `rel` names a path inside the project.
fn contained(rel: &Path) -> bool {
    rel.is_relative()
        && !rel
            .components()
            .any(|c| c == std::path::Component::ParentDir)
}

/// The project as of `commit`, its `files` (relative to the repository)
/// held in memory. Its root is a path no file system is asked about,
/// named after the commit as git names a commit's files (`COMMIT:`), so
/// nothing on the disk is read in its place, and nothing that changes
/// the disk changes what was read.
fn in_memory(
    commit: Option<Oid>,
    prefix: &Path,
    config_path: Option<&str>,
    config: Config,
    files: BTreeMap<PathBuf, Vec<u8>>,
) -> Project {
    let top = Path::new("/").join(format!(
        "{}:",
        commit.map(|c| c.to_string()).unwrap_or_default()
    ));
    let root = top.join(prefix);
    Project {
        config_path: config_path.map(|name| root.join(name)),
        root,
        config,
        files: Files::in_memory(top, files),
    }
}

/// Reads the policy of `project` as of `base` (the defaults, with no
/// agents, when `None`). The base's files are read into memory: nothing
/// written to the disk, so nothing another process could change before
/// they are read.
pub fn policy_at(project: &Project, repo: &Repository, base: Option<Oid>) -> Result<BasePolicy> {
    let prefix = git::prefix(&project.root, repo);
    let at_base = base.map(|base| git::CommitFiles::new(repo, base));
    let mut text = None;
    if let Some(at_base) = &at_base {
        text = at_base.read(&prefix.join(config::FILE_NAME))?;
    }
    let (config, text) = match (base, text) {
        (Some(base), Some(bytes)) => {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let short = base.to_string()[..7].to_string();
            // Named as git names a file of a commit, so an error says the
            // base is at fault, not the work tree.
            let shown = PathBuf::from(format!("{short}:{}", config::FILE_NAME));
            let config = Config::parse(&shown, &text)?;
            (config, Some((shown, text)))
        }
        _ => (Config::default(), None),
    };
    let mut files = BTreeMap::new();
    if let Some(at_base) = &at_base {
        // Skills are not read: no verdict depends on them (see the catalog
        // below). Nor are the plans, until a commit names one.
        read_dirs(at_base, &prefix, &config.paths.agents, &mut files)?;
        if let Some((_, text)) = &text {
            files.insert(prefix.join(config::FILE_NAME), text.as_bytes().to_vec());
        }
        // The signers file, as the base has it: approvals are verified
        // against it, so the branch under test cannot list its own key.
        if let Some(rel) = config.approvals.signers.as_deref().filter(|r| contained(r))
            && let Some(bytes) = at_base.read(&prefix.join(rel))?
        {
            files.insert(prefix.join(rel), bytes);
        }
        if !config.commits_declared {
            // The commitlint config is policy too: read as of the base.
            for name in super::commitlint::FILES {
                if let Some(bytes) = at_base.read(&prefix.join(name))? {
                    files.insert(prefix.join(name), bytes);
                }
            }
        }
    }
    let project_rules = match &text {
        Some((shown, text)) => config.guard.rules(shown, text),
        None => Vec::new(),
    };
    let commits_declared = config.commits_declared;
    let mut project = in_memory(
        base,
        &prefix,
        text.is_some().then_some(config::FILE_NAME),
        config,
        files,
    );
    let mut commitlint = None;
    if let Some(base) = base.filter(|_| !commits_declared) {
        let short = base.to_string()[..7].to_string();
        if let Some(found) = super::commitlint::read(&project, &|n| format!("{short}:{n}"))? {
            project.config.commits = found.commits.clone();
            commitlint = Some(found);
        }
    }
    // The base's agents judge commits by their definitions, which are the
    // same however they are validated. Their diagnostics are not this
    // check's to report (`agents validate` and `ci`'s agents step read the
    // work tree's), so nothing outside the agent files is looked up: not
    // their skills, nor the stacks their gates belong to.
    let catalog = if base.is_some() {
        let ctx = Context {
            root: project.root.clone(),
            files: project.files.clone(),
            ..Context::default()
        };
        Catalog::load_with(&project, &ctx)
    } else {
        Catalog::default()
    };
    let source = PolicySource {
        base: base.map(|b| b.to_string()),
        config: text.is_some(),
        agents: catalog.agents.len(),
        commitlint: commitlint.as_ref().map(|c| c.file.clone()),
        warnings: commitlint.map(|c| c.warnings).unwrap_or_default(),
    };
    Ok(BasePolicy {
        project,
        catalog,
        source,
        project_rules,
        prefix,
        base,
    })
}

/// Whether an approval a branch added counts. The base decides who may
/// approve: an implementation reads what it trusts (a signers file) from
/// [`BasePolicy::project`], never from the branch.
pub trait BranchApprovals {
    /// Whether `record`, which the branch added to `plan`'s approval chain,
    /// counts as a person's approval.
    fn counts(&self, plan: &Plan, record: &Approval) -> bool;
}

/// Until approvals are signed, nothing shows who made a record on a
/// branch, so none counts.
pub struct UnsignedApprovals;

impl BranchApprovals for UnsignedApprovals {
    fn counts(&self, _plan: &Plan, _record: &Approval) -> bool {
        false
    }
}

/// With a signers file on the base, a record the branch added counts when
/// it is signed: the tip's plans are verified against the base's signers
/// (see [`BasePolicy::plans`]), so a signed record on a plan that is still
/// approved was made by a signer the base lists, never one the branch added.
pub struct SignedApprovals;

impl BranchApprovals for SignedApprovals {
    fn counts(&self, _plan: &Plan, record: &Approval) -> bool {
        record.signature.is_some()
    }
}

impl BasePolicy {
    /// Which records added on the branch count: signed ones where the base
    /// requires signatures, none otherwise.
    pub fn branch_approvals(&self) -> Box<dyn BranchApprovals> {
        let approvals = &self.project.config.approvals;
        if approvals.signers.is_some() && approvals.require_signature != Some(false) {
            Box::new(SignedApprovals)
        } else {
            Box::new(UnsignedApprovals)
        }
    }
}

/// The plans of a range: the text as of its tip, approved as the base
/// records it.
pub struct BranchPlans {
    tip: StorePlans,
    base: Option<StorePlans>,
    approvals: Box<dyn BranchApprovals>,
    cache: RefCell<BTreeMap<String, PlanStatus>>,
}

impl BasePolicy {
    /// The plans as of `tip` (read from where the base keeps them), judged
    /// against this base's approval records and `approvals`.
    pub fn plans(
        &self,
        repo: &Repository,
        tip: Oid,
        approvals: Box<dyn BranchApprovals>,
    ) -> Result<BranchPlans> {
        let plans_dir = [&self.project.config.paths.plans];
        let mut files = BTreeMap::new();
        read_dirs(
            &git::CommitFiles::new(repo, tip),
            &self.prefix,
            plans_dir,
            &mut files,
        )?;
        let at_tip = in_memory(
            Some(tip),
            &self.prefix,
            None,
            self.project.config.clone(),
            files,
        );
        // The base's approval records, beside the base's other files.
        let mut at_base = BTreeMap::new();
        if let Some(base) = self.base {
            read_dirs(
                &git::CommitFiles::new(repo, base),
                &self.prefix,
                plans_dir,
                &mut at_base,
            )?;
        }
        let base_project = Project {
            files: self.project.files.with(at_base),
            ..self.project.clone()
        };
        // The tip's approvals are verified with the base's signers: a branch
        // cannot add its own signer.
        let base_store = crate::plan::Store::open(&base_project);
        let tip_store = crate::plan::Store::with_trust(&at_tip, base_store.shared_trust());
        Ok(BranchPlans {
            tip: StorePlans::with_store(tip_store),
            base: self.base.map(|_| StorePlans::with_store(base_store)),
            approvals,
            cache: RefCell::new(BTreeMap::new()),
        })
    }

    /// What reading the tip's plans would refuse, found without reading
    /// them (see [`git::CommitFiles::check_under`]): plans that no commit
    /// named are still held to the bounds, and must be in the clone, so a
    /// branch cannot land a plans directory that only later ranges would
    /// fail on.
    pub fn check_plans(&self, repo: &Repository, tip: Oid) -> Result<()> {
        let dir = &self.project.config.paths.plans;
        if !contained(dir) {
            return Ok(());
        }
        git::CommitFiles::new(repo, tip).check_under(&self.prefix.join(dir))
    }
}

/// A range's plans, read when a commit first names one: a history that
/// names none reads no plan. A read that fails ends the check with its
/// error once the walk is done ([`LazyPlans::finish`]).
pub struct LazyPlans<'a> {
    read: Box<dyn Fn() -> Result<BranchPlans> + 'a>,
    plans: std::cell::OnceCell<Result<BranchPlans>>,
}

impl<'a> LazyPlans<'a> {
    pub fn new(read: impl Fn() -> Result<BranchPlans> + 'a) -> Self {
        LazyPlans {
            read: Box::new(read),
            plans: std::cell::OnceCell::new(),
        }
    }

    fn get(&self) -> Option<&BranchPlans> {
        self.plans.get_or_init(|| (self.read)()).as_ref().ok()
    }

    /// The error of a read that failed, if one did; when no commit asked,
    /// what `unread` finds wrong with the plans left unread.
    pub fn finish(self, unread: impl FnOnce() -> Result<()>) -> Result<()> {
        match self.plans.into_inner() {
            Some(Err(e)) => Err(e),
            Some(Ok(_)) => Ok(()),
            None => unread(),
        }
    }
}

impl PlanLookup for LazyPlans<'_> {
    fn status(&self, plan: &str) -> PlanStatus {
        match self.get() {
            Some(plans) => plans.status(plan),
            // Never a verdict: the check ends with the read's error.
            None => PlanStatus::Unreadable {
                id: plan.to_string(),
                problem: "the plans could not be read".to_string(),
            },
        }
    }

    fn has_task(&self, task: &str) -> bool {
        self.get().is_some_and(|plans| plans.has_task(task))
    }

    fn assignment(&self, plan: &str) -> Option<Assignment> {
        self.get()?.assignment(plan)
    }
}

impl BranchPlans {
    fn decide(&self, id: &str) -> PlanStatus {
        let status = self.tip.status(id);
        let PlanStatus::Approved { plan: plan_ref, .. } = &status else {
            return status;
        };
        let Some(plan) = self.tip.plan(id) else {
            return status;
        };
        let base_chain = self
            .base
            .as_ref()
            .and_then(|b| b.plan(id))
            .map(|p| p.approvals)
            .unwrap_or_default();
        let extends = plan.approvals.len() >= base_chain.len()
            && plan.approvals[..base_chain.len()] == base_chain[..];
        let not = |state| PlanStatus::NotApproved {
            plan: plan_ref.clone(),
            state,
        };
        if !extends {
            return not(CHAIN_REWRITTEN.into());
        }
        // The tip approves with its last record (the state says so).
        let last = plan.approvals.len() - 1;
        if last < base_chain.len() || self.approvals.counts(&plan, &plan.approvals[last]) {
            status
        } else {
            not(BRANCH_APPROVAL.into())
        }
    }
}

impl PlanLookup for BranchPlans {
    fn status(&self, plan: &str) -> PlanStatus {
        if let Some(s) = self.cache.borrow().get(plan) {
            return s.clone();
        }
        let status = self.decide(plan);
        self.cache
            .borrow_mut()
            .insert(plan.to_string(), status.clone());
        status
    }

    fn has_task(&self, task: &str) -> bool {
        self.tip.has_task(task)
    }

    fn assignment(&self, plan: &str) -> Option<Assignment> {
        self.tip.assignment(plan)
    }
}
