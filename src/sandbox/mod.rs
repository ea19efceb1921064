//! `harness-agents sandbox`: a command, and everything it starts, confined by the
//! Linux kernel (Landlock) to what the agent's policy and its plan allow,
//! then checked exactly against the work tree as it was before.
//!
//! The guard reads each tool call before it runs and cannot see what an
//! interpreter, a patch or a variable will write. The kernel sees every
//! write system call, whatever made it. The rules it is given are compiled
//! here ([`compile`]) from the same sources the guard asks: the agent's
//! protected paths and `write only` globs, the project's `[guard]` rules,
//! harness's control files ([`crate::policy::control`]), the approved
//! plan's Files to Change and `[sandbox]` in `harness.toml`, each grant
//! and each hole cited to its rule. How the rules reach the kernel, and
//! why that is safe after `fork`, is in `landlock`; how per-tree rules
//! approximate globs, and what that leaves open, in `ruleset`; the exact
//! after-run comparison in `snapshot`.
//!
//! A caller (the CLI, the task runner) compiles once, then either calls
//! [`run`], or takes [`Ruleset::command`] and [`Ruleset::snapshot`] to
//! spawn and check the command itself.

mod landlock;
pub mod reaper;
mod report;
mod ruleset;
mod script;
mod snapshot;

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Serialize;

pub use self::landlock::{REQUIRED_ABI, Support, decide};
pub use ruleset::{Access, Grant, Hole};
pub use script::{Confinement, confine_script, installation};
pub use snapshot::{Change, ChangeKind, Snapshot};

use self::landlock::kernel_abi;
use ruleset::{Exact, Finder, Places, Writes, canonical, split, tree_of};

use crate::config::{self, Project};
use crate::diagnostic::{Code, Diagnostic, Provenance, display_path};
use crate::error::{Error, Outcome, Result};
use crate::fsutil;
use crate::plan::{self, PlanStatus};
use crate::policy::paths::PathRules;
use crate::policy::{Policy, Rule, RuleKind, control};
use crate::task;

/// Environment variables that reach an agent's signing keys: never passed.
pub const ALWAYS_DROPPED: &[&str] = &["SSH_AUTH_SOCK", "GPG_AGENT_INFO"];

/// Always unreadable: the keys an approval is signed with live here.
pub const ALWAYS_UNREADABLE: &[&str] = &["~/.ssh", "~/.gnupg"];

/// What to confine, and how strictly.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// The agent whose policy applies.
    pub agent: String,
    /// The plan whose Files to Change may be written; without it, the plan
    /// of the agent's task in progress, if any.
    pub plan: Option<String>,
    /// The task being worked on (`0007-3`); names its plan when `plan`
    /// does not.
    pub task: Option<String>,
    /// Run with what the kernel supports instead of refusing when it
    /// cannot enforce the whole policy.
    pub best_effort: bool,
    /// Grant no git directory even when the agent's policy commits: for a
    /// caller that writes the commits itself (`harness-agents run`), so the agent
    /// cannot plant hooks or config that the caller's own git would run.
    pub no_commits: bool,
    /// Grant nothing of the plan's scope, only build outputs: for an agent
    /// that reviews and must change no file.
    pub read_only: bool,
}

/// The compiled ruleset: what the kernel is told, why, and what is left to
/// the guard and the post-run check. `--explain` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct Ruleset {
    pub agent: String,
    /// The plan whose scope is writable, as its id is written (`0001`).
    pub plan: Option<String>,
    pub task: Option<String>,
    /// What the kernel enforces.
    pub support: Support,
    /// What may be written, rule by rule.
    pub writable: Vec<Grant>,
    /// Protected paths split out of writable trees.
    pub protected: Vec<Hole>,
    /// Paths the command may not read.
    pub unreadable: Vec<Hole>,
    /// Variables removed from the command's environment.
    pub env_removed: Vec<String>,
    /// Variables set in it, `NAME=value`.
    pub env_set: Vec<String>,
    /// What the kernel does not enforce exactly, and what does.
    pub residuals: Vec<String>,
    #[serde(skip)]
    readable: Vec<PathBuf>,
    #[serde(skip)]
    exact: Exact,
    #[serde(skip)]
    root: PathBuf,
}

/// Compiles the ruleset for `request` in `project`. Errors (exit 2): an
/// unknown or invalid agent, a named plan that is not approved, a kernel
/// that cannot enforce the policy without `best_effort`.
pub fn compile(project: &Project, request: &Request) -> Result<Ruleset> {
    let support = decide(kernel_abi(), request.best_effort).map_err(|reason| {
        Error::from(
            Diagnostic::error(Code::SandboxUnavailable, format!("cannot sandbox: {reason}"))
                .hint("run on Linux 6.2 or later with Landlock enabled, or pass --best-effort to run with what this kernel enforces (the post-run check still applies)"),
        )
    })?;
    let root = canonical(&project.root);
    let places = Places {
        root: root.clone(),
        home: std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(|h| canonical(Path::new(&h))),
    };
    let def = crate::guard::load_agent(project, &request.agent)?;
    let policy = Policy::compile(&def);
    let config_shown = project
        .config_path
        .as_deref()
        .map_or(PathBuf::from(config::FILE_NAME), |p| {
            project.relative(p).to_path_buf()
        });
    let config_text = match &project.config_path {
        Some(p) => fsutil::read_text(p)?,
        None => String::new(),
    };
    let rules = protect_rules(project, &policy, &config_shown, &config_text);
    let (protect, home_protect) = protect_sets(&rules)?;

    let (plan, (writes, write_rules)) = if request.read_only {
        (None, (Writes::Nowhere, Vec::new()))
    } else {
        let plan = active_plan(project, request)?;
        let rules = write_rules(&policy, plan.as_ref());
        (plan, rules)
    };

    let cite_config = |entry: &str| {
        let quoted = [format!("\"{entry}\""), format!("'{entry}'")];
        let line = config_text
            .lines()
            .position(|l| quoted.iter().any(|q| l.contains(q.as_str())))
            .map_or(1, |i| i + 1);
        Provenance::new(&config_shown, line)
    };
    let sandbox = &project.config.sandbox;
    let (outputs, outside_outputs) = output_rules(&places, &sandbox.writable)?;
    let finder = Finder {
        places: &places,
        protect: &protect,
        home_protect: &home_protect,
        outputs: &outputs,
        rules: &rules,
    };
    let home_holes = home_holes(&finder);

    let mut writable = Vec::new();
    let mut protected: Vec<Hole> = Vec::new();
    for (rule, provenance, source_text) in write_rules {
        // Resolved first: a Files to Change entry that is a symbolic link
        // is granted where it leads, which must be judged there.
        let tree = canonical(&tree_of(&root, &rule));
        let mut holes = Vec::new();
        let mut paths = Vec::new();
        if tree.starts_with(&root) {
            finder.holes(&tree, &mut holes);
            split(
                &tree,
                &holes.iter().map(|h| h.abs.as_path()).collect::<Vec<_>>(),
                false,
                &mut paths,
            );
        }
        for h in holes {
            if !protected.iter().any(|p| p.abs == h.abs) {
                protected.push(h);
            }
        }
        writable.push(grant(
            &places,
            rule,
            Access::Write,
            provenance,
            source_text,
            paths,
        ));
    }
    // Build outputs inside the project: every existing directory their
    // globs name, at any depth.
    let found = find_outputs(&root, &outputs, &sandbox.writable);
    for (i, entry) in sandbox.writable.iter().enumerate() {
        let provenance = cite_config(entry);
        let source_text = if project.config_path.is_some() && provenance.line > 1 {
            "[sandbox] writable".to_string()
        } else {
            "[sandbox] writable (default): build and cache output".to_string()
        };
        let paths = match outside_outputs.iter().find(|(j, _)| *j == i) {
            Some((_, tree)) => {
                let mut holes: Vec<&Path> = vec![root.as_path()];
                holes.extend(home_holes.iter().map(|h| h.abs.as_path()));
                let mut paths = Vec::new();
                if tree.exists() {
                    split(tree, &holes, false, &mut paths);
                }
                paths
            }
            None => found
                .iter()
                .filter(|(j, _)| *j == i)
                .map(|(_, p)| p.clone())
                .collect(),
        };
        writable.push(grant(
            &places,
            entry.clone(),
            Access::Write,
            provenance,
            source_text,
            paths,
        ));
    }
    let commit = if request.no_commits {
        None
    } else {
        commit_grant(&policy, &writes, &root)
    };
    if let Some((provenance, source_text, git_dirs)) = &commit {
        writable.push(grant(
            &places,
            ".git/".to_string(),
            Access::Commit,
            provenance.clone(),
            source_text.clone(),
            git_dirs.clone(),
        ));
    }
    let devices: Vec<PathBuf> = DEVICES
        .iter()
        .map(PathBuf::from)
        .filter(|p| p.exists())
        .collect();
    writable.push(grant(
        &places,
        "/dev/null, /dev/tty, /dev/pts, ...".to_string(),
        Access::Device,
        Provenance::new(&config_shown, 1),
        "device files every program writes: the null device and the terminal".to_string(),
        devices,
    ));

    let mut unreadable = Vec::new();
    let denied = ALWAYS_UNREADABLE
        .iter()
        .map(|p| {
            (
                (*p).to_string(),
                Provenance::new(&config_shown, 1),
                "private keys (an approval's signing key among them) are never the agent's to read"
                    .to_string(),
            )
        })
        .chain(
            sandbox
                .deny_read
                .iter()
                .map(|p| (p.clone(), cite_config(p), "[sandbox] deny_read".to_string())),
        );
    for (written, provenance, source_text) in denied {
        let abs = canonical(&places.expand(&written));
        if abs.exists() && !unreadable.iter().any(|h: &Hole| h.abs == abs) {
            unreadable.push(Hole {
                path: places.show(&abs),
                provenance,
                source_text,
                abs,
            });
        }
    }
    let mut readable = Vec::new();
    split(
        Path::new("/"),
        &unreadable
            .iter()
            .map(|h| h.abs.as_path())
            .collect::<Vec<_>>(),
        true,
        &mut readable,
    );

    let mut env_removed: Vec<String> = ALWAYS_DROPPED.iter().map(|s| s.to_string()).collect();
    env_removed.extend(sandbox.secrets.iter().cloned());
    let task = request.task.clone();
    let plan_id = plan.as_ref().map(|p| p.id.clone());
    let mut env_set = vec![format!("HARNESS_AGENT={}", request.agent)];
    if let Some(p) = &plan_id {
        env_set.push(format!("HARNESS_PLAN={p}"));
    }
    if let Some(t) = &task {
        env_set.push(format!("HARNESS_TASK={t}"));
    }
    let residuals = ruleset::residuals(&support, commit.is_some());
    Ok(Ruleset {
        agent: request.agent.clone(),
        plan: plan_id,
        task,
        support,
        writable,
        protected,
        unreadable,
        env_removed,
        env_set,
        residuals,
        readable,
        exact: Exact {
            writes,
            protect,
            outputs,
            commit: commit.is_some(),
        },
        root,
    })
}

/// Device files every program may write; `/dev/shm` is shared memory.
const DEVICES: &[&str] = &[
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/tty",
    "/dev/ptmx",
    "/dev/pts",
    "/dev/shm",
];

fn grant(
    places: &Places,
    rule: String,
    access: Access,
    provenance: Provenance,
    source_text: String,
    paths: Vec<PathBuf>,
) -> Grant {
    Grant {
        rule,
        access,
        provenance,
        source_text,
        kernel: paths.iter().map(|p| places.show(p)).collect(),
        paths,
    }
}

/// Every rule protecting a path: the agent's, the project's `[guard]`
/// rules and harness's control files, as the guard asks them.
fn protect_rules(project: &Project, policy: &Policy, config: &Path, text: &str) -> Vec<Rule> {
    let mut rules: Vec<Rule> = policy.protected_paths().map(|(_, r)| r.clone()).collect();
    if project.config_path.is_some() {
        rules.extend(project.config.guard.rules(config, text));
    }
    rules.extend(control::control_rules(
        config,
        &project.config.paths,
        project.config.approvals.signers.as_deref(),
    ));
    rules
}

/// The protecting globs, split into those of the project and those of the
/// home directory (`~/...`), each tagged with its rule's index.
fn protect_sets(rules: &[Rule]) -> Result<(PathRules<usize>, PathRules<usize>)> {
    let mut project = Vec::new();
    let mut home = Vec::new();
    for (i, r) in rules.iter().enumerate() {
        if let RuleKind::ProtectPath { glob } = &r.kind {
            match glob.strip_prefix("~/") {
                Some(rest) => home.push((format!("/{rest}"), i)),
                None => project.push((glob.clone(), i)),
            }
        }
    }
    let bad = |e: crate::policy::paths::BadGlob| {
        Error::from(Diagnostic::error(
            Code::BadGlob,
            format!("`{}` is not a valid glob: {}", e.glob, e.message),
        ))
    };
    Ok((
        PathRules::new(project).map_err(bad)?,
        PathRules::new(home).map_err(bad)?,
    ))
}

/// A plan the sandbox works from: its id and its Files to Change.
struct ActivePlan {
    id: String,
    path: PathBuf,
    scope: plan::scope::Scope,
}

/// The plan named by the request (or by its task), else the plan of the
/// agent's task in progress. A named plan must be approved and unchanged.
fn active_plan(project: &Project, request: &Request) -> Result<Option<ActivePlan>> {
    let named = request.plan.clone().or_else(|| {
        request
            .task
            .as_deref()
            .and_then(|t| t.split_once('-'))
            .map(|(plan, _)| plan.to_string())
    });
    let status = match named {
        Some(id) => plan::Store::open(project).status(&id),
        None => match task::Store::open(project).active(&request.agent)? {
            Some((_, plan)) => PlanStatus::of(&plan),
            None => return Ok(None),
        },
    };
    match status {
        PlanStatus::Approved { plan, scope } => Ok(Some(ActivePlan {
            id: plan.id,
            path: plan.path,
            scope,
        })),
        other => {
            let what = match &other {
                PlanStatus::NotApproved { plan, state } => {
                    format!("plan {} is not approved ({state})", plan.id)
                }
                PlanStatus::Changed { plan } => {
                    format!("plan {} changed since it was approved", plan.id)
                }
                PlanStatus::Unknown { id } => format!("no plan has the id `{id}`"),
                PlanStatus::Unreadable { id, problem } => {
                    format!("plan {id} cannot be read: {problem}")
                }
                PlanStatus::Approved { .. } => unreachable!("handled above"),
            };
            Err(Diagnostic::error(
                Code::PlanNotApproved,
                format!("cannot sandbox with this plan: {what}"),
            )
            .hint("the sandbox grants a plan's Files to Change only once a person approved it: `harness-agents plan approve ID`")
            .into())
        }
    }
}

/// How writes are decided exactly, and the rules that make trees writable
/// (the rule, its provenance, its words).
fn write_rules(
    policy: &Policy,
    plan: Option<&ActivePlan>,
) -> (Writes, Vec<(String, Provenance, String)>) {
    let only: Vec<&Rule> = policy
        .rules_of(|k| matches!(k, RuleKind::WriteOnly { .. }))
        .collect();
    if !only.is_empty() {
        let globs: Vec<(String, Provenance, String)> = only
            .iter()
            .filter_map(|r| match &r.kind {
                RuleKind::WriteOnly { glob } => {
                    Some((glob.clone(), r.provenance.clone(), r.source_text.clone()))
                }
                _ => None,
            })
            .collect();
        let rules = PathRules::new(globs.iter().map(|(g, _, _)| (g.clone(), ())))
            .unwrap_or_else(|_| PathRules::new(Vec::new()).expect("no globs compile"));
        return (Writes::Only(rules), globs);
    }
    if let Some(plan) = plan {
        let entries = plan
            .scope
            .entries()
            .iter()
            .map(|e| {
                (
                    e.pattern.clone(),
                    Provenance::new(&plan.path, e.line),
                    format!("Files to Change: {}", e.pattern),
                )
            })
            .collect();
        return (Writes::Scope(plan.scope.clone()), entries);
    }
    if policy.requires_approved_plan().is_some() {
        return (Writes::Nowhere, Vec::new());
    }
    (
        Writes::Anywhere,
        vec![(
            ".".to_string(),
            Provenance::new(&policy.source, 1),
            "the agent's definition limits writes only by its protected paths".to_string(),
        )],
    )
}

/// Project-relative outputs as globs; the others as trees, by index.
type OutputRules = (PathRules<()>, Vec<(usize, PathBuf)>);

/// `[sandbox] writable` compiled: the project-relative entries as globs,
/// and the others (`$TMPDIR`, `~/...`, absolute) as trees, by index.
fn output_rules(places: &Places, entries: &[String]) -> Result<OutputRules> {
    let mut globs = Vec::new();
    let mut outside = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        if e == "$TMPDIR" || e.starts_with("~/") || Path::new(e).is_absolute() {
            outside.push((i, canonical(&places.expand(e))));
        } else {
            globs.push((e.clone(), ()));
        }
    }
    let rules = PathRules::new(globs).map_err(|e| {
        Error::from(
            Diagnostic::error(
                Code::InvalidConfig,
                format!(
                    "`{}` in `[sandbox] writable` is not a valid glob: {}",
                    e.glob, e.message
                ),
            )
            .hint("write a directory such as `target/` or a name such as `__pycache__`"),
        )
    })?;
    Ok((rules, outside))
}

/// The existing directories of the project that the project-relative
/// `[sandbox] writable` entries name, each with the index of the first
/// entry naming it.
fn find_outputs(root: &Path, outputs: &PathRules<()>, entries: &[String]) -> Vec<(usize, PathBuf)> {
    let mut found = Vec::new();
    if outputs.is_empty() {
        return found;
    }
    let each: Vec<Option<PathRules<()>>> = entries
        .iter()
        .map(|e| PathRules::new([(e.clone(), ())]).ok())
        .collect();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in rd.flatten() {
            let path = entry.path();
            if !entry.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            let rel = display_path(path.strip_prefix(root).unwrap_or(&path));
            // git's and harness's own: an output glob such as `target/`
            // matches at any depth, and `.harness/gates/target` is where
            // the gates build, out of the agent's reach.
            if rel == ".git" || rel == ".harness" {
                continue;
            }
            if outputs.matching_dir(&rel).is_some() {
                let index = each
                    .iter()
                    .position(|r| r.as_ref().is_some_and(|r| r.matching_dir(&rel).is_some()));
                found.push((index.unwrap_or(usize::MAX), path));
            } else {
                stack.push(path);
            }
        }
    }
    found.sort_by(|a, b| a.1.cmp(&b.1));
    found
}

/// The protected paths of the home directory that exist, found where the
/// home rules point (`~/.claude/...`), to split out of a writable tree
/// that holds the home directory (the temporary directory may).
fn home_holes(finder: &Finder<'_>) -> Vec<Hole> {
    let mut out = Vec::new();
    if let Some(home) = &finder.places.home {
        // The home rules of `policy::control` all lie in `~/.claude`.
        finder.holes(&home.join(".claude"), &mut out);
    }
    out
}

/// The git directories a commit writes, when the agent may commit: its
/// policy names commit types and it is not limited to `write only` paths.
fn commit_grant(
    policy: &Policy,
    writes: &Writes,
    root: &Path,
) -> Option<(Provenance, String, Vec<PathBuf>)> {
    if matches!(writes, Writes::Only(_) | Writes::Nowhere) {
        return None;
    }
    let rule = policy
        .rules_of(|k| matches!(k, RuleKind::CommitType { .. }))
        .next()?;
    // A linked worktree has its own git directory and the common one that
    // holds the objects and refs: both.
    let found = crate::git::dirs(root)?;
    let mut dirs = vec![canonical(&found.common)];
    if found.own != found.common {
        dirs.push(canonical(&found.own));
    }
    Some((
        rule.provenance.clone(),
        "the agent commits (its commit conventions): git writes objects, refs, logs, the index and HEAD".to_string(),
        dirs,
    ))
}

impl Ruleset {
    /// `program` with `args`, confined by this ruleset when spawned: the
    /// kernel's rules are built now, in this process, and applied in the
    /// child between `fork` and `exec`. The environment loses
    /// [`ALWAYS_DROPPED`] and `[sandbox] secrets`, and gains
    /// `HARNESS_AGENT`, `HARNESS_PLAN` and `HARNESS_TASK`.
    pub fn command(&self, program: &OsStr, args: &[OsString]) -> Result<Command> {
        let prepared = self.prepare()?;
        let mut cmd = Command::new(program);
        cmd.args(args);
        self.environment(&mut cmd);
        landlock::confine(&mut cmd, prepared);
        Ok(cmd)
    }

    /// `program` with `args` confined by this ruleset as [`command`] does,
    /// started by a supervisor (`supervisor`, harness's own executable) that
    /// stays outside the sandbox and, when it ends, kills everything it
    /// left running ([`reaper`]). The kernel's rules are built now and
    /// handed to the supervisor as an inherited file descriptor.
    ///
    /// [`command`]: Ruleset::command
    pub fn supervised(
        &self,
        supervisor: &Path,
        program: &OsStr,
        args: &[OsString],
    ) -> Result<Command> {
        let prepared = self.prepare()?;
        let mut cmd = Command::new(supervisor);
        let fd = landlock::hand_over(&mut cmd, prepared);
        supervisor_args(&mut cmd, fd, program, args);
        self.environment(&mut cmd);
        Ok(cmd)
    }

    /// Confines each command it is given by this ruleset, environment
    /// included, from one set of kernel rules built now: for the gates of
    /// an agent's task, which run the agent's code.
    ///
    /// The gates build into [`GATE_TARGET`], not the agent's `target/`:
    /// a build cache the agent can write is a verdict it can forge (a test
    /// binary planted with a fresh fingerprint is run as is), and no agent
    /// is granted anything under `.harness/`. The directory is created now,
    /// since the kernel grants only paths that exist.
    pub fn confiner(&self) -> Result<crate::gate::Confine> {
        let target = self.root.join(GATE_TARGET);
        std::fs::create_dir_all(&target).map_err(|e| Error::io("create", target.clone(), e))?;
        let mut rules = ruleset::kernel_rules(&self.writable, &self.readable);
        rules.push(landlock::PathRight {
            path: &target,
            right: landlock::Right::Write,
        });
        let prepared = landlock::prepare(&self.support, &rules)
            .map_err(|e| Error::from(Diagnostic::error(Code::SandboxUnavailable, e)))?;
        let prepared = std::sync::Arc::new(prepared);
        let env_removed = self.env_removed.clone();
        let env_set = self.env_set.clone();
        Ok(crate::gate::Confine(std::sync::Arc::new(
            move |cmd: &mut Command| {
                set_environment(cmd, &env_removed, &env_set);
                cmd.env("CARGO_TARGET_DIR", &target);
                landlock::confine_shared(cmd, &prepared);
            },
        )))
    }

    fn prepare(&self) -> Result<landlock::Prepared> {
        let rules = ruleset::kernel_rules(&self.writable, &self.readable);
        landlock::prepare(&self.support, &rules)
            .map_err(|e| Error::from(Diagnostic::error(Code::SandboxUnavailable, e)))
    }

    /// What the command's environment loses and gains.
    fn environment(&self, cmd: &mut Command) {
        set_environment(cmd, &self.env_removed, &self.env_set);
    }

    /// The work tree as it is now, to compare after the command.
    pub fn snapshot(&self) -> Result<Snapshot> {
        Ok(Snapshot::take(&self.root, &self.exact.outputs))
    }

    /// Whether a change to `rel` (relative to the project root) is allowed
    /// by the policy exactly.
    pub fn allows(&self, rel: &str) -> bool {
        self.exact.allows(rel)
    }
}

impl Snapshot {
    /// The changes since this snapshot that `ruleset` does not allow: the
    /// exact check after the command.
    pub fn changes_outside(&self, ruleset: &Ruleset) -> Result<Vec<Change>> {
        Ok(self.changes_outside_exact(&ruleset.exact))
    }
}

/// Removes `removed` from `cmd`'s environment and sets each `NAME=value`
/// of `set`.
fn set_environment(cmd: &mut Command, removed: &[String], set: &[String]) {
    for var in removed {
        cmd.env_remove(var);
    }
    for pair in set {
        if let Some((k, v)) = pair.split_once('=') {
            cmd.env(k, v);
        }
    }
}

/// Where the gates that [`Ruleset::confiner`] confines build (Cargo's
/// `CARGO_TARGET_DIR`), relative to the project root: harness's own, out
/// of every agent's reach.
pub const GATE_TARGET: &str = ".harness/gates/target";

/// The hidden subcommand that runs a supervisor: `harness __supervise
/// [--landlock-fd N] -- PROGRAM ARGS...`.
pub const SUPERVISE: &str = "__supervise";

/// `program` with `args`, unconfined, started by a supervisor (`supervisor`,
/// harness's own executable) that kills everything it left running when
/// it ends: for agents that run outside the sandbox.
pub fn supervised(supervisor: &Path, program: &OsStr, args: &[OsString]) -> Command {
    let mut cmd = Command::new(supervisor);
    supervisor_args(&mut cmd, None, program, args);
    cmd
}

/// The supervisor's command line: [`SUPERVISE`], the inherited ruleset's
/// descriptor when there is one, and the command after `--`.
fn supervisor_args(
    cmd: &mut Command,
    landlock_fd: Option<i32>,
    program: &OsStr,
    args: &[OsString],
) {
    cmd.arg(SUPERVISE);
    if let Some(fd) = landlock_fd {
        cmd.arg("--landlock-fd").arg(fd.to_string());
    }
    cmd.arg("--").arg(program).args(args);
}

/// The supervisor itself: runs `argv`, confined by the ruleset inherited as
/// descriptor `landlock_fd` when there is one, as a subreaper, and returns
/// how it ended once nothing it started is left.
pub fn supervise(landlock_fd: Option<i32>, argv: &[OsString]) -> Result<std::process::ExitStatus> {
    let Some((program, args)) = argv.split_first() else {
        return Err(Error::usage("no command to supervise"));
    };
    let mut cmd = Command::new(program);
    cmd.args(args);
    if let Some(fd) = landlock_fd {
        let prepared = landlock::inherited(fd).map_err(|e| {
            Error::from(Diagnostic::error(
                Code::SandboxUnavailable,
                format!("no Landlock ruleset at descriptor {fd}: {e}"),
            ))
        })?;
        landlock::confine(&mut cmd, prepared);
    }
    reaper::supervise(cmd).map_err(|e| Error::io("run", PathBuf::from(program), e))
}

/// The build output directories a project's manifests imply, by the
/// manifest at the project root: `target/` for `Cargo.toml`,
/// `node_modules/` for `package.json`.
const IMPLIED_OUTPUTS: &[(&str, &str)] =
    &[("Cargo.toml", "target"), ("package.json", "node_modules")];

/// Creates, empty, the build output directories the project's manifests
/// imply when they are absent and `[sandbox] writable` lists them: the
/// kernel grants only paths that exist, and a first build must be able to
/// write its output. Call it before [`compile`]; [`run`] does. Returns
/// the directories it created.
pub fn create_outputs(project: &Project) -> Result<Vec<PathBuf>> {
    let listed = &project.config.sandbox.writable;
    let mut made = Vec::new();
    for (manifest, dir) in IMPLIED_OUTPUTS {
        let path = project.root.join(dir);
        let wanted = listed.iter().any(|w| w.trim_matches('/') == *dir);
        if wanted && project.root.join(manifest).is_file() && !path.exists() {
            std::fs::create_dir(&path).map_err(|e| Error::io("create directory", &path, e))?;
            made.push(path);
        }
    }
    Ok(made)
}

/// Creates, empty, the missing directories that a plan's Files to Change
/// lead into (`src/chat/` for `src/chat/room.rs`, the fixed prefix of a
/// glob), so the kernel can grant them: a new file whose nearest existing
/// directory is one Landlock must split (the project root, beside
/// `harness.toml`) could otherwise never be created. Returns the
/// directories it created.
pub fn create_scope_dirs(root: &Path, patterns: &[&str]) -> Result<Vec<PathBuf>> {
    let mut made = Vec::new();
    for pattern in patterns {
        let pattern = pattern.trim_start_matches("./").trim_start_matches('/');
        let parts: Vec<&str> = pattern.split('/').filter(|c| !c.is_empty()).collect();
        let glob = parts.iter().position(|c| c.contains(['*', '?', '[', '{']));
        // A file's directory, or a glob's fixed directories.
        let dirs = match glob {
            Some(i) => &parts[..i],
            None => &parts[..parts.len().saturating_sub(1)],
        };
        if dirs.is_empty() || dirs.iter().any(|c| matches!(*c, ".." | ".git")) {
            continue;
        }
        // A committed link on the way (`g -> .git`) would lead the new
        // directories, and then the grant, somewhere else: skip the entry.
        let mut prefix = root.to_path_buf();
        let through_link = dirs.iter().any(|c| {
            prefix.push(c);
            std::fs::symlink_metadata(&prefix).is_ok_and(|m| m.file_type().is_symlink())
        });
        if through_link {
            continue;
        }
        let dir = root.join(dirs.join("/"));
        if !dir.exists() {
            std::fs::create_dir_all(&dir).map_err(|e| Error::io("create directory", &dir, e))?;
            made.push(dir);
        }
    }
    Ok(made)
}

/// What a sandboxed run did.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub agent: String,
    pub plan: Option<String>,
    pub support: Support,
    /// The command's exit code; none when a signal ended it.
    pub exit_code: Option<i32>,
    /// The signal that ended it.
    pub signal: Option<i32>,
    /// Changes outside what the policy allows.
    pub violations: Vec<Change>,
}

impl RunReport {
    /// Exit 1 on a violation; else the command's own code (128 + the
    /// signal, as shells report it).
    pub fn outcome(&self) -> Outcome {
        if !self.violations.is_empty() {
            return Outcome::CheckFailed;
        }
        let code = match (self.exit_code, self.signal) {
            (Some(c), _) => c,
            (None, Some(s)) => 128 + s,
            (None, None) => 1,
        };
        Outcome::Passed(u8::try_from(code).unwrap_or(1))
    }
}

/// Runs `argv` confined by the ruleset compiled for `request`, and checks
/// the work tree after it.
pub fn run(project: &Project, request: &Request, argv: &[OsString]) -> Result<RunReport> {
    let Some((program, args)) = argv.split_first() else {
        return Err(Error::usage(
            "no command to run: `harness-agents sandbox --agent NAME -- COMMAND...`",
        ));
    };
    create_outputs(project)?;
    let ruleset = compile(project, request)?;
    let before = ruleset.snapshot()?;
    let mut cmd = ruleset.command(program, args)?;
    // What the command leaves running is killed before the check: it
    // could otherwise write after it.
    let subreaper = reaper::become_subreaper().is_ok();
    let status = {
        let _quiet = signals::Deferred::install();
        cmd.status()
            .map_err(|e| Error::io("run", PathBuf::from(program), e))?
    };
    if subreaper {
        reaper::kill_orphans();
    }
    let violations = before.changes_outside(&ruleset)?;
    #[cfg(unix)]
    let signal = std::os::unix::process::ExitStatusExt::signal(&status);
    #[cfg(not(unix))]
    let signal = None;
    Ok(RunReport {
        agent: ruleset.agent.clone(),
        plan: ruleset.plan.clone(),
        support: ruleset.support.clone(),
        exit_code: status.code(),
        signal,
        violations,
    })
}

/// While the command runs, Ctrl-C and Ctrl-\ are the command's: the
/// terminal sends them to the whole foreground group, and harness must
/// live to check the work tree after. A handler that does nothing (not
/// `SIG_IGN`, which `exec` would pass on) lets the child keep the default.
mod signals {
    #[cfg(unix)]
    use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};

    pub struct Deferred {
        #[cfg(unix)]
        old: Vec<(Signal, SigAction)>,
    }

    #[cfg(unix)]
    extern "C" fn ignore(_: std::os::raw::c_int) {}

    impl Deferred {
        pub fn install() -> Deferred {
            #[cfg(unix)]
            {
                let action = SigAction::new(
                    SigHandler::Handler(ignore),
                    SaFlags::empty(),
                    SigSet::empty(),
                );
                let old = [Signal::SIGINT, Signal::SIGQUIT]
                    .into_iter()
                    // SAFETY: the handler does nothing, so it is async-signal-safe.
                    .filter_map(|s| unsafe { sigaction(s, &action) }.ok().map(|o| (s, o)))
                    .collect();
                Deferred { old }
            }
            #[cfg(not(unix))]
            Deferred {}
        }
    }

    impl Drop for Deferred {
        fn drop(&mut self) {
            #[cfg(unix)]
            for (s, old) in &self.old {
                // SAFETY: restores the action that was in place.
                let _ = unsafe { sigaction(*s, old) };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_dirs_are_made_for_new_files_and_never_inside_git_or_above_the_root() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("repo");
        std::fs::create_dir_all(root.join("src")).unwrap();
        let made = create_scope_dirs(
            &root,
            &[
                "src/chat/room.rs",
                "web/**/*.ts",
                ".github/workflows/ci.yml",
                "README.md",
                "src/lib.rs",
                ".git/hooks/pre-commit",
                "../outside/x.rs",
            ],
        )
        .unwrap();
        let made: Vec<String> = made
            .iter()
            .map(|p| p.strip_prefix(&root).unwrap().display().to_string())
            .collect();
        assert_eq!(made, ["src/chat", "web", ".github/workflows"]);
        assert!(!root.join(".git").exists());
        assert!(!tmp.path().join("outside").exists());

        // Not through a link, wherever it leads.
        std::fs::create_dir_all(root.join(".git")).unwrap();
        std::os::unix::fs::symlink(root.join(".git"), root.join("g")).unwrap();
        let made = create_scope_dirs(&root, &["g/hooks/pre-commit"]).unwrap();
        assert!(made.is_empty());
        assert!(!root.join(".git/hooks").exists());
    }
}
