//! Driving a plan through the workflow's stages, stopping at the first
//! that needs a person or that harness's checks refuse.
//!
//! After every agent stage harness judges the work itself, never trusting
//! the agent's exit code: for a task, the files it changed are checked
//! against the plan's Files to Change and the agent's protected paths
//! (the commit checker, on the commit harness is about to write), then the
//! task's gates and scope evidence (`task::complete`); only then does
//! harness write the commit, with an `Agent:` trailer of its own. A task
//! that changed nothing fails. A refused task is blocked with the reasons,
//! so its state says why it is open.

use std::path::Path;
use std::time::Duration;

use super::agent::{self, Adapter, Identity};
use super::git;
use super::process::{self, AgentRun, Ending};
use super::report::{RunReport, StageRecord, Verdict, runs_dir, shown};
use crate::agent::Catalog;
use crate::config::{Project, StageConfig, StageKind};
use crate::diagnostic::{Code, Diagnostic, display_path};
use crate::error::{Error, Result};
use crate::plan::{self, Plan, PlanState};
use crate::policy::Policy;
use crate::sandbox;
use crate::task::{self, Task, TaskStatus};

/// What a run is given besides the project.
pub struct Options<'a> {
    /// Overrides `[run] timeout_seconds` (and each agent's own).
    pub timeout: Option<Duration>,
    /// What shows this process runs for an agent (`plan::agent_context`):
    /// then the run is refused, as a person's commands are.
    pub agent_context: Option<String>,
    /// Work only this task of the plan (`0007-3`).
    pub task: Option<String>,
    /// Run up to this many independent tasks at once, each in a git
    /// work tree of its own (`--parallel`); 0 or 1 runs them one by one.
    pub parallel: usize,
    /// Called with one line of progress at a time, from any thread.
    pub progress: &'a (dyn Fn(&str) + Sync),
}

/// Refuses a run inside an agent: a run starts agents and commits their
/// work, which no agent may do for itself.
fn refuse_agent(opts: &Options) -> Result<()> {
    match &opts.agent_context {
        Some(context) => Err(Diagnostic::error(
            Code::AgentContext,
            format!("`harness-agents run` is refused to an agent ({context})"),
        )
        .hint("a person starts runs; an agent works only inside the stage harness gives it")
        .into()),
        None => Ok(()),
    }
}

/// `harness-agents run "title"`: a new plan by the workflow's plan agent, then
/// the stages from there.
pub fn start_plan(project: &Project, title: &str, opts: &Options) -> Result<RunReport> {
    refuse_agent(opts)?;
    let stages = &project.config.run.stages;
    let planner = stages
        .iter()
        .find(|s| s.kind == StageKind::Plan)
        .and_then(|s| s.agent.clone())
        .ok_or_else(|| {
            Error::usage("the workflow has no `plan` stage with an agent, so it cannot start a plan; use `harness-agents plan new`, then `harness-agents run --plan ID`")
        })?;
    let catalog = Catalog::load(project);
    let store = plan::Store::open(project);
    let created = store.new_plan(title, &planner, crate::clock::now(), |name| {
        let def = catalog.require(name)?;
        Ok(def.body.plan_template.as_ref().map(|t| plan::Template {
            text: t.text.clone(),
            path: def.source.clone(),
            line: t.line,
        }))
    })?;
    drive(project, &created.id.to_string(), true, opts)
}

/// `harness-agents run --plan ID`: the plan through the workflow's stages.
pub fn run_plan(project: &Project, id: &str, opts: &Options) -> Result<RunReport> {
    refuse_agent(opts)?;
    drive(project, id, false, opts)
}

pub(super) struct Ctx<'a> {
    pub(super) project: &'a Project,
    pub(super) store: task::Store,
    pub(super) catalog: Catalog,
    pub(super) opts: &'a Options<'a>,
    /// The run's directory, in the main work tree.
    pub(super) dir: std::path::PathBuf,
    /// The commit rules, read before any agent ran: what an agent writes
    /// cannot relax the rules its task's commit is checked by.
    pub(super) commits: (
        crate::config::CommitsConfig,
        Option<crate::commit::commitlint::Imported>,
    ),
}

fn drive(project: &Project, id: &str, new: bool, opts: &Options) -> Result<RunReport> {
    let store = task::Store::open(project);
    let p = store.plans().get(id)?;
    let padded = p.padded_id();
    let dir = runs_dir(&project.root, &padded);
    let ctx = Ctx {
        project,
        store,
        catalog: Catalog::load(project),
        opts,
        dir,
        commits: crate::commit::commitlint::working(project)?,
    };
    let mut report = RunReport {
        plan: padded.clone(),
        title: p.title.clone(),
        stages: Vec::new(),
        stopped_at: None,
        next: None,
        report: shown(&project.root, &ctx.dir.join("run.md")),
    };
    for stage in &project.config.run.stages {
        (opts.progress)(&format!("{padded} {}", stage.kind.as_str()));
        let records = match stage.kind {
            StageKind::Plan => vec![plan_stage(&ctx, id, stage, new)?],
            StageKind::Approve => {
                let (record, next) = approve_stage(&ctx, id)?;
                report.next = next;
                vec![record]
            }
            StageKind::Scaffold => vec![scaffold_stage(&ctx, id)?],
            StageKind::Implement => implement_stage(&ctx, id, stage)?,
            StageKind::Gates => vec![gates_stage(&ctx, stage)?],
            StageKind::Review => vec![review_stage(&ctx, id, stage)?],
        };
        let stops = records.iter().any(|r| r.verdict.stops());
        report.stages.extend(records);
        if stops {
            report.stopped_at = Some(stage.kind);
            break;
        }
    }
    report.save(&ctx.dir)?;
    Ok(report)
}

/// The stage's agent, or an error naming the stage.
fn stage_agent(stage: &StageConfig) -> Result<&str> {
    stage.agent.as_deref().ok_or_else(|| {
        Error::usage(format!(
            "the `{}` stage of `[run]` names no agent; add `agent = \"NAME\"`",
            stage.kind.as_str()
        ))
    })
}

/// The first line of an error's message and its hint, for a stage's notes.
pub(super) fn reason(e: &Error) -> String {
    match e {
        Error::Input(ds) => ds
            .iter()
            .map(|d| match &d.hint {
                Some(h) => format!("{} ({h})", d.message),
                None => d.message.clone(),
            })
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

/// Files changed since `since` that are the work of a stage: harness's
/// own records (`.harness/`, the plan records under `plans/NNNN/`) are
/// not, and neither are plan texts unless `plan_texts`. A plan text edited
/// in a task's stage is caught all the same: the plan is then no longer
/// approved, and `task::complete` refuses the task.
pub(super) fn work_changes(
    ctx: &Ctx,
    since: Option<&str>,
    plan_texts: bool,
) -> Result<Vec<String>> {
    let changed = task::evidence::changed_since(&ctx.project.root, since)
        .map_err(|e| Error::usage(format!("cannot see what changed: {e}")))?;
    let plans = format!(
        "{}/",
        display_path(ctx.project.relative(ctx.store.plans().dir())).trim_end_matches('/')
    );
    let harness_own = |p: &str| match p.strip_prefix(&plans) {
        Some(rest) => !plan_texts || is_record(rest),
        None => p.starts_with(".harness/"),
    };
    Ok(changed.into_iter().filter(|p| !harness_own(p)).collect())
}

/// Whether `rest` (a path under the plans directory) is a plan record
/// (`0007/...`) rather than a plan's text.
fn is_record(rest: &str) -> bool {
    rest.split_once('/')
        .is_some_and(|(d, _)| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
}

/// Runs `agent_name` with `prompt` for the stage, its output saved as
/// `log_name` in the run's directory. With the sandbox, also what the
/// after-run check found changed outside what the agent may write.
/// The paths changed since `before` that `ruleset` does not allow, but
/// for `.harness/`: harness's own (this run's log is written there), and
/// the kernel kept the agent out of it.
fn changed_outside(ruleset: &sandbox::Ruleset, before: &sandbox::Snapshot) -> Result<Vec<String>> {
    Ok(before
        .changes_outside(ruleset)?
        .into_iter()
        .map(|c| c.path)
        .filter(|p| p != ".harness" && !p.starts_with(".harness/"))
        .collect())
}

fn run_agent(
    ctx: &Ctx,
    agent_name: &str,
    prompt: &str,
    who: Identity,
    log_name: &str,
    record: &mut StageRecord,
) -> Result<(AgentRun, Vec<String>, Option<crate::gate::Confine>)> {
    let def = ctx.catalog.require(agent_name)?;
    let config = &ctx.project.config.run;
    let adapter = Adapter::for_agent(config, agent_name)?;
    let system = agent::system_prompt(def, &ctx.project.root);
    let budget = cost_budget(ctx, agent_name);
    let inv = agent::invocation(&adapter, def, &system, prompt, budget);
    let timeout = stage_timeout(ctx, agent_name);
    let (cmd, ruleset) = agent::command(ctx.project, &inv, who)?;
    // The gates' rules are built now, before the agent runs: it could
    // otherwise swap a granted directory for a link to somewhere else.
    let confine = match who.task {
        Some(_) => ruleset.as_ref().map(|r| r.confiner()).transpose()?,
        None => None,
    };
    let before = ruleset.as_ref().map(|r| r.snapshot()).transpose()?;
    let log = ctx.dir.join(log_name);
    record.agent = Some(agent_name.to_string());
    record.command = Some(inv.display());
    record.log = Some(shown(&ctx.project.root, &log));
    let label = match who.task {
        Some(t) => format!("{} {t} {agent_name}", record.stage.as_str()),
        None => format!("{} {agent_name}", record.stage.as_str()),
    };
    (ctx.opts.progress)(&format!("{label}: running {}", inv.display()));
    let progress = |n: usize| (ctx.opts.progress)(&format!("{label}: {n} tool call(s)"));
    let run = process::run(cmd, &inv.stdin, timeout, &log, inv.stream_json, &progress)?;
    let outside = match (&ruleset, &before) {
        (Some(ruleset), Some(before)) => changed_outside(ruleset, before)?,
        _ => Vec::new(),
    };
    if ruleset.is_some() {
        record
            .notes
            .push(format!("sandboxed: {agent_name} ran under Landlock"));
    }
    record.duration_ms = run.duration_ms;
    record.tool_calls = run.tool_calls;
    record.cost_usd = run.reported.cost_usd;
    let mut run = run;
    // The CLI stops itself at its budget where it can; harness judges the
    // figure it reported either way.
    if let (Some(budget), Some(spent)) = (budget, run.reported.cost_usd)
        && spent > budget
        && run.ending == Ending::Exited(0)
    {
        run.ending = Ending::OverBudget;
        record.notes.push(format!(
            "the agent reported a cost of ${spent:.2}, over its budget of ${budget:.2}"
        ));
    } else if budget.is_some() && run.reported.cost_usd.is_none() {
        record.notes.push(format!(
            "{agent_name}'s CLI reported no cost: its budget could not be checked"
        ));
    }
    (ctx.opts.progress)(&format!(
        "{label}: {} after {:.1}s",
        ending_text(run.ending, timeout),
        run.duration_ms as f64 / 1000.0
    ));
    Ok((run, outside, confine))
}

/// The most `agent_name`'s stage may cost: the agent's own
/// `max_cost_usd`, else `[run] max_cost_usd`.
fn cost_budget(ctx: &Ctx, agent_name: &str) -> Option<f64> {
    let config = &ctx.project.config.run;
    config
        .agents
        .get(agent_name)
        .and_then(|a| a.max_cost_usd)
        .or(config.max_cost_usd)
}

/// How long `agent_name`'s stage may run: `--timeout`, else the agent's
/// own `timeout_seconds`, else `[run] timeout_seconds`.
fn stage_timeout(ctx: &Ctx, agent_name: &str) -> Duration {
    let config = &ctx.project.config.run;
    ctx.opts.timeout.unwrap_or_else(|| {
        Duration::from_secs(
            config
                .agents
                .get(agent_name)
                .and_then(|a| a.timeout_seconds)
                .unwrap_or(config.timeout_seconds),
        )
    })
}

fn ending_text(ending: Ending, timeout: Duration) -> String {
    match ending {
        Ending::Exited(0) => "exited 0".to_string(),
        Ending::Exited(n) => format!("the agent exited with status {n}"),
        Ending::Signalled => "the agent was killed by a signal".to_string(),
        Ending::TimedOut => format!(
            "the agent ran past the stage timeout ({}s) and was stopped with its process group",
            timeout.as_secs()
        ),
        Ending::Interrupted => {
            "interrupted (Ctrl-C): the agent was stopped with its process group".to_string()
        }
        Ending::OverBudget => "the agent went over its cost budget".to_string(),
    }
}

fn plan_stage(ctx: &Ctx, id: &str, stage: &StageConfig, new: bool) -> Result<StageRecord> {
    if !new {
        return Ok(StageRecord::new(
            StageKind::Plan,
            Verdict::Skipped,
            "the plan exists",
        ));
    }
    let agent_name = stage_agent(stage)?;
    let p = ctx.store.plans().get(id)?;
    let path = display_path(&p.path);
    let mut record = StageRecord::new(StageKind::Plan, Verdict::Passed, format!("wrote {path}"));
    record.notes.clear();
    let head = crate::git::tree_state(&ctx.project.root).commit;
    let before = work_changes(ctx, head.as_deref(), true)?;
    let records_before = records_of(ctx, &p);
    let prompt = format!(
        "Write plan {} (\"{}\") in `{path}`: fill in every section of its template, the Files to Change and the task list. Change no other file. A person approves the plan; you do not.\n",
        p.padded_id(),
        p.title
    );
    let who = Identity {
        agent: agent_name,
        plan: &p.padded_id(),
        task: None,
        read_only: false,
    };
    let (run, _, _) = run_agent(ctx, agent_name, &prompt, who, "plan.log", &mut record)?;
    let timeout = stage_timeout(ctx, agent_name);
    if run.ending != Ending::Exited(0) {
        record.verdict = Verdict::Failed;
        record.notes.push(ending_text(run.ending, timeout));
        return Ok(record);
    }
    let others: Vec<String> = work_changes(ctx, head.as_deref(), true)?
        .into_iter()
        .filter(|f| *f != path && !before.contains(f))
        .collect();
    record.changed = vec![path.clone()];
    if !others.is_empty() {
        record.verdict = Verdict::Failed;
        record.notes.push(format!(
            "the plan agent changed files besides its plan: {}",
            others.join(", ")
        ));
        return Ok(record);
    }
    let p = ctx.store.plans().get(id)?;
    // Its records and its decisions are a person's: a plan agent that
    // writes an approval into the plan or a task record under it is
    // refused, whatever the checks on file names say.
    if !p.approvals.is_empty() || records_of(ctx, &p) != records_before {
        record.verdict = Verdict::Failed;
        record.notes.push(
            "the plan agent wrote a decision or a record (approvals, tasks): only a person approves, and harness keeps the records".to_string(),
        );
        return Ok(record);
    }
    let errors: Vec<String> = p.errors().map(|d| d.message.clone()).collect();
    if !errors.is_empty() {
        record.verdict = Verdict::Failed;
        record
            .notes
            .push(format!("the plan is not valid: {}", errors.join("; ")));
        return Ok(record);
    }
    record.notes.push(format!("wrote {path}"));
    Ok(record)
}

/// Every file under the plan's record directory (`plans/NNNN/`) with its
/// content, to tell whether a stage's agent touched them.
fn records_of(ctx: &Ctx, p: &Plan) -> std::collections::BTreeMap<std::path::PathBuf, Vec<u8>> {
    let dir = ctx.project.plans_dir().join(p.padded_id());
    crate::fsutil::files_under(&dir)
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).unwrap_or_default();
            (path, bytes)
        })
        .collect()
}

/// Passes an approved, unchanged plan; otherwise stops with the command a
/// person runs.
fn approve_stage(ctx: &Ctx, id: &str) -> Result<(StageRecord, Option<String>)> {
    let p = ctx.store.plans().get(id)?;
    let padded = p.padded_id();
    let record = |verdict, note: String| StageRecord::new(StageKind::Approve, verdict, note);
    Ok(match p.state() {
        PlanState::Approved(a) => (
            record(Verdict::Passed, format!("approved by {}", a.by)),
            None,
        ),
        PlanState::Draft => (
            record(
                Verdict::NeedsPerson,
                format!("plan {padded} waits for a person's approval"),
            ),
            Some(format!("harness-agents plan approve {padded} --by NAME")),
        ),
        PlanState::Changed { approval, .. } => (
            record(
                Verdict::NeedsPerson,
                format!(
                    "plan {padded} changed since {} approved it; see `harness-agents plan diff {padded}`",
                    approval.by
                ),
            ),
            Some(format!(
                "harness-agents plan approve {padded} --by NAME --accept-changes"
            )),
        ),
        PlanState::Unverified { problem, .. } => (
            record(
                Verdict::NeedsPerson,
                format!("plan {padded} is not approved: {}", problem.message),
            ),
            Some(problem.hint.replace("ID", &padded)),
        ),
        PlanState::Rejected(r) => (
            record(
                Verdict::Failed,
                format!("plan {padded} was rejected by {}", r.by),
            ),
            None,
        ),
    })
}

fn scaffold_stage(ctx: &Ctx, id: &str) -> Result<StageRecord> {
    let p = plan::require_approved(ctx.project, id)?;
    let Some(spec) = p.realtime() else {
        return Ok(StageRecord::new(
            StageKind::Scaffold,
            Verdict::Skipped,
            "the plan has no realtime block",
        ));
    };
    let service = spec
        .service
        .as_ref()
        .map_or_else(|| plan::plan::slug(&p.title), |s| s.value.clone());
    let out = ctx
        .project
        .config
        .run
        .scaffold_out
        .clone()
        .unwrap_or_else(|| Path::new("services").join(&service));
    let engine = crate::scaffold::Engine::load(Some(&ctx.project.templates_dir()))?;
    let generated = crate::scaffold::generate(
        &engine,
        crate::scaffold::Source::from_plan(&p, &ctx.project.root)?,
        &ctx.project.root.join(&out),
        crate::scaffold::Options {
            force: false,
            dry_run: false,
        },
    )?;
    let conflicts = generated.conflicts();
    if !conflicts.is_empty() {
        let mut r = StageRecord::new(
            StageKind::Scaffold,
            Verdict::NeedsPerson,
            format!(
                "{} file(s) edited since they were generated",
                conflicts.len()
            ),
        );
        r.notes.extend(conflicts.iter().map(|d| d.message.clone()));
        return Ok(r);
    }
    let out_shown = display_path(&out);
    let mut r = StageRecord::new(
        StageKind::Scaffold,
        Verdict::Passed,
        format!("generated {service} in {out_shown}"),
    );
    let message = format!(
        "feat: scaffold {service} from plan {}\n\nRefs: {}\n",
        p.padded_id(),
        p.padded_id()
    );
    r.commit = git::commit_paths(&ctx.project.root, &[out_shown], &message)?;
    Ok(r)
}

fn implement_stage(ctx: &Ctx, id: &str, stage: &StageConfig) -> Result<Vec<StageRecord>> {
    let p = plan::require_approved(ctx.project, id)?;
    let mut records = Vec::new();
    let tasks = ctx.store.of_plan(p.id)?;
    if tasks.is_empty() {
        records.push(StageRecord::new(
            StageKind::Implement,
            Verdict::Failed,
            format!("plan {} has no tasks", p.padded_id()),
        ));
    }
    let only = match &ctx.opts.task {
        Some(wanted) => {
            let t = ctx.store.get(wanted)?;
            if t.plan != p.id {
                return Err(Error::usage(format!(
                    "task {} belongs to plan {:04}, not {}",
                    t.id,
                    t.plan,
                    p.padded_id()
                )));
            }
            Some(t.id)
        }
        None => None,
    };
    if only.is_none() && ctx.opts.parallel > 1 && !tasks.is_empty() {
        return super::parallel::implement(ctx, &p, stage);
    }
    for t in tasks {
        if matches!(t.status, TaskStatus::Completed | TaskStatus::Stale)
            || only.as_ref().is_some_and(|o| *o != t.id)
        {
            continue;
        }
        let r = implement_task(ctx, &p, &t, stage)?;
        let stops = r.verdict.stops();
        records.push(r);
        if stops {
            break;
        }
    }
    Ok(or_all_done(records))
}

/// An implement stage's records, or the one that says there was nothing
/// left to do.
pub(super) fn or_all_done(mut records: Vec<StageRecord>) -> Vec<StageRecord> {
    if records.is_empty() {
        records.push(StageRecord::new(
            StageKind::Implement,
            Verdict::Skipped,
            "every task is completed",
        ));
    }
    records
}

/// Blocks task `id` with `why`, and returns `record` failed with it.
fn refuse(ctx: &Ctx, id: &str, mut record: StageRecord, why: String) -> Result<StageRecord> {
    task::block(&ctx.store, id, &why, crate::clock::now())?;
    record.verdict = Verdict::Failed;
    record.notes.push(why);
    Ok(record)
}

pub(super) fn implement_task(
    ctx: &Ctx,
    p: &Plan,
    t: &Task,
    stage: &StageConfig,
) -> Result<StageRecord> {
    let owner = match (&t.owner, &stage.agent) {
        (Some(o), _) => o.clone(),
        (None, Some(a)) => a.clone(),
        (None, None) => stage_agent(stage)?.to_string(),
    };
    let mut record = StageRecord::new(StageKind::Implement, Verdict::Passed, String::new());
    record.notes.clear();
    record.task = Some(t.id.clone());
    record.agent = Some(owner.clone());
    if t.status == TaskStatus::InProgress {
        record.verdict = Verdict::Failed;
        record.notes.push(format!(
            "task {} is already in progress by {}; finish or block it first",
            t.id,
            t.owner.as_deref().unwrap_or("someone")
        ));
        return Ok(record);
    }
    let dirty = work_changes(
        ctx,
        crate::git::tree_state(&ctx.project.root).commit.as_deref(),
        false,
    )?;
    if !dirty.is_empty() {
        record.verdict = Verdict::Failed;
        record.notes.push(format!(
            "the work tree has uncommitted changes ({}); commit or stash them, so what the agent changes is its own",
            dirty.join(", ")
        ));
        return Ok(record);
    }
    let started = match task::start(&ctx.store, &t.id, &owner, crate::clock::now()) {
        Ok(s) => s.task,
        Err(e) => {
            record.verdict = Verdict::Failed;
            record.notes.push(reason(&e));
            return Ok(record);
        }
    };
    let scope: Vec<String> = p
        .scope()
        .patterns()
        .iter()
        .map(|s| format!("- `{s}`"))
        .collect();
    let prompt = format!(
        "Work on task {} of plan {} (\"{}\"): {}\n\nThe plan is `{}`. Change only these files (its Files to Change):\n{}\n\nDo not commit: harness checks your changes, runs the quality gates and writes the commit.\n",
        t.id,
        p.padded_id(),
        p.title,
        t.subject,
        display_path(&p.path),
        scope.join("\n")
    );
    let who = Identity {
        agent: &owner,
        plan: &p.padded_id(),
        task: Some(&t.id),
        read_only: false,
    };
    if ctx.project.config.run.sandbox != crate::config::SandboxMode::Off {
        crate::sandbox::create_scope_dirs(&ctx.project.root, &p.scope().patterns())?;
    }
    // harness writes the task's commits; an agent that commits, resets or
    // checks out itself would move what the checks below compare against.
    let head_before = crate::git::tree_state(&ctx.project.root).commit;
    let (run, outside, confine) = match run_agent(
        ctx,
        &owner,
        &prompt,
        who,
        &format!("implement-{}.log", t.id),
        &mut record,
    ) {
        Ok(ran) => ran,
        Err(e) => {
            return refuse(
                ctx,
                &t.id,
                record,
                format!("the agent could not run: {}", reason(&e)),
            );
        }
    };
    let timeout = stage_timeout(ctx, &owner);
    if !outside.is_empty() {
        return refuse(
            ctx,
            &t.id,
            record,
            format!(
                "the sandbox's check after the run found changes outside what {owner} may write: {}",
                outside.join(", ")
            ),
        );
    }
    let head_after = crate::git::tree_state(&ctx.project.root).commit;
    if head_after != head_before {
        return refuse(
            ctx,
            &t.id,
            record,
            format!(
                "the agent moved HEAD ({} to {}): harness writes a task's commits, the agent only changes files",
                head_before
                    .as_deref()
                    .map_or("none", |c| &c[..c.len().min(7)]),
                head_after
                    .as_deref()
                    .map_or("none", |c| &c[..c.len().min(7)])
            ),
        );
    }
    if run.ending != Ending::Exited(0) {
        return refuse(ctx, &t.id, record, ending_text(run.ending, timeout));
    }
    let changed = work_changes(ctx, started.started_commit.as_deref(), false)?;
    record.changed = changed.clone();
    if changed.is_empty() {
        return refuse(
            ctx,
            &t.id,
            record,
            "the agent exited 0 but changed nothing: a task is done only on a change harness can check".to_string(),
        );
    }
    let policy = Policy::compile(ctx.catalog.require(&owner)?);
    let message = commit_message(
        t,
        &owner,
        &policy,
        crate::commit::RuleSet::of(&ctx.commits.0)
            .header_max_length()
            .unwrap_or(100),
    );
    // The commit checker judges what would be committed: the agent's
    // protected paths and the plan's scope, on the task's own files.
    git::stage(&ctx.project.root, &changed)?;
    let verdict = crate::commit::check_message_under(
        ctx.project,
        Some(&ctx.catalog),
        &message,
        &ctx.commits.0,
        ctx.commits.1.as_ref(),
    )?;
    if !verdict.ok {
        git::unstage(&ctx.project.root)?;
        let why: Vec<String> = verdict
            .violations
            .iter()
            .map(|v| match &v.part {
                Some(part) => format!("{}: {part}", v.message),
                None => v.message.clone(),
            })
            .collect();
        return refuse(
            ctx,
            &t.id,
            record,
            format!("refused by the commit check: {}", why.join("; ")),
        );
    }
    // The gates run the agent's code: under the agent's sandbox, so
    // nothing they run can change a test before it is read (and
    // `task::complete` judges the scope on what changed by their end).
    let done = match task::complete_confined(&ctx.store, &t.id, crate::clock::now(), confine) {
        Ok(done) => done,
        Err(e) => {
            git::unstage(&ctx.project.root)?;
            return refuse(
                ctx,
                &t.id,
                record,
                format!("the gates could not run: {}", reason(&e)),
            );
        }
    };
    record.gates = done.evidence.gates.clone();
    if !done.passed() {
        git::unstage(&ctx.project.root)?;
        return refuse(
            ctx,
            &t.id,
            record,
            format!("not done: {}", done.reasons().join("; ")),
        );
    }
    let task_file = ctx
        .store
        .path_of(&t.id)
        .map(|f| display_path(ctx.project.relative(&f)));
    // The commit holds the task's files as they were staged before the
    // gates, which is what the gates judged; only the task file is added.
    git::stage(
        &ctx.project.root,
        &task_file.into_iter().collect::<Vec<_>>(),
    )?;
    record.commit = git::commit_index(&ctx.project.root, &message)?;
    record.notes.push(format!(
        "{} file(s) changed, within the plan; gates passed; task completed",
        record.changed.len()
    ));
    // Anything that changed them since (the gates' code, or a process it
    // left) is put back to what was judged and committed.
    let later: Vec<String> = work_changes(ctx, Some("HEAD"), false)?
        .into_iter()
        .filter(|p| changed.contains(p))
        .collect();
    for path in &later {
        git::restore(&ctx.project.root, path)?;
    }
    if !later.is_empty() {
        record.notes.push(format!(
            "changed after they were staged and gated, put back as committed: {}",
            later.join(", ")
        ));
    }
    Ok(record)
}

/// The commit harness writes for task `t`: a Conventional type from the
/// task (its subject's own `type:` prefix, else the agent's first allowed
/// type), references to the plan and the task, and the `Agent:` trailer.
pub fn commit_message(t: &Task, agent: &str, policy: &Policy, max: usize) -> String {
    let subject = t.subject.trim();
    let (kind, rest) = match subject.split_once(':') {
        Some((k, rest)) if crate::config::DEFAULT_TYPES.contains(&k.trim()) && !k.contains(' ') => {
            (k.trim().to_string(), rest.trim())
        }
        _ => (
            policy
                .commit_types()
                .first()
                .map_or("feat".to_string(), |k| (*k).to_string()),
            subject,
        ),
    };
    let mut description: String = rest.replace('`', "").trim_end_matches('.').to_string();
    if let Some(first) = description.chars().next() {
        description = first.to_lowercase().collect::<String>() + &description[first.len_utf8()..];
    }
    let mut header = format!("{kind}: {description}");
    let limit = max.min(72);
    if header.chars().count() > limit {
        header = header
            .chars()
            .take(limit)
            .collect::<String>()
            .trim_end()
            .to_string();
    }
    format!(
        "{header}\n\nRefs: {:04}, {}\nAgent: {agent}\n",
        t.plan, t.id
    )
}

pub(super) fn gates_stage(ctx: &Ctx, stage: &StageConfig) -> Result<StageRecord> {
    let policy = match &stage.agent {
        Some(a) => Some(Policy::compile(ctx.catalog.require(a)?)),
        None => None,
    };
    let specs = crate::gate::select(ctx.project, policy.as_ref(), &[], None)?;
    if specs.is_empty() {
        return Ok(StageRecord::new(
            StageKind::Gates,
            Verdict::Skipped,
            "no gates to run",
        ));
    }
    let mut opts = crate::gate::RunOptions::new(&ctx.project.root);
    // The gates run the agents' code: with the stage's agent's sandbox (a
    // stage that names none: the workflow's implementing agent's) and
    // nothing of the project writable, only build outputs.
    let confined_as = stage.agent.clone().or_else(|| {
        ctx.project
            .config
            .run
            .stages
            .iter()
            .find(|s| s.kind == StageKind::Implement)
            .and_then(|s| s.agent.clone())
    });
    if let Some(agent) = &confined_as
        && ctx.project.config.run.sandbox != crate::config::SandboxMode::Off
    {
        sandbox::create_outputs(ctx.project)?;
        let ruleset = sandbox::compile(
            ctx.project,
            &sandbox::Request {
                agent: agent.clone(),
                best_effort: ctx.project.config.run.sandbox
                    == crate::config::SandboxMode::BestEffort,
                no_commits: true,
                read_only: true,
                ..sandbox::Request::default()
            },
        )?;
        opts.confine = Some(ruleset.confiner()?);
    }
    let report = crate::gate::run(specs, &opts, &crate::gate::Silent)?;
    let gates: Vec<crate::gate::RunSummary> = report
        .gates
        .iter()
        .map(crate::gate::RunSummary::from)
        .collect();
    let failed: Vec<&str> = gates
        .iter()
        .filter(|g| !g.passed)
        .map(|g| g.name.as_str())
        .collect();
    let mut r = if failed.is_empty() {
        StageRecord::new(
            StageKind::Gates,
            Verdict::Passed,
            format!("{} gate(s) passed", gates.len()),
        )
    } else {
        StageRecord::new(
            StageKind::Gates,
            Verdict::Failed,
            format!("gate(s) failed: {}", failed.join(", ")),
        )
    };
    r.gates = gates;
    Ok(r)
}

/// The review checklist of the stage's agent, each item answered: checked
/// in the definition, or left for a person.
/// The review agent answers its definition's checklist, one line an item
/// (`N. yes|no|n/a: evidence`); each answer goes into the report. Every
/// item answered yes or n/a passes; a `no` fails; an item left unanswered
/// leaves the stage to a person. The agent must change nothing.
fn review_stage(ctx: &Ctx, id: &str, stage: &StageConfig) -> Result<StageRecord> {
    let Some(name) = &stage.agent else {
        return Ok(StageRecord::new(
            StageKind::Review,
            Verdict::Skipped,
            "no review agent",
        ));
    };
    let def = ctx.catalog.require(name)?;
    let items: Vec<String> = def
        .body
        .checklists
        .iter()
        .flat_map(|c| &c.items)
        .map(|i| i.text.clone())
        .collect();
    if items.is_empty() {
        return Ok(StageRecord::new(
            StageKind::Review,
            Verdict::Skipped,
            format!("`{name}` has no checklist"),
        ));
    }
    let p = ctx.store.plans().get(id)?;
    let numbered: Vec<String> = items
        .iter()
        .enumerate()
        .map(|(i, t)| format!("{}. {t}", i + 1))
        .collect();
    let prompt = format!(
        "Review the work done for plan {} (\"{}\", `{}`) against your checklist. Change no file. Answer every item on a line of its own, as `N. yes: evidence`, `N. no: what is wrong` or `N. n/a: why`:\n\n{}\n",
        p.padded_id(),
        p.title,
        display_path(&p.path),
        numbered.join("\n")
    );
    let mut record = StageRecord::new(StageKind::Review, Verdict::Passed, String::new());
    record.notes.clear();
    let head = crate::git::tree_state(&ctx.project.root).commit;
    let before = work_changes(ctx, head.as_deref(), true)?;
    let who = Identity {
        agent: name,
        plan: &p.padded_id(),
        task: None,
        read_only: true,
    };
    let (run, outside, _) = run_agent(ctx, name, &prompt, who, "review.log", &mut record)?;
    let timeout = stage_timeout(ctx, name);
    if run.ending != Ending::Exited(0) {
        record.verdict = Verdict::Failed;
        record.notes.push(ending_text(run.ending, timeout));
        return Ok(record);
    }
    // The sandbox's exact check, and what git sees (without the sandbox).
    let mut changed: Vec<String> = work_changes(ctx, head.as_deref(), true)?
        .into_iter()
        .filter(|f| !before.contains(f))
        .chain(outside)
        .collect();
    changed.sort();
    changed.dedup();
    if !changed.is_empty() {
        record.verdict = Verdict::Failed;
        record.notes.push(format!(
            "the review agent changed files: {}",
            changed.join(", ")
        ));
        return Ok(record);
    }
    let output = std::fs::read_to_string(&run.log).unwrap_or_default();
    let answers = review_answers(&output, items.len());
    let (mut no, mut open) = (0, 0);
    for (item, answer) in items.iter().zip(&answers) {
        record.notes.push(match answer {
            Some((Answer::Yes, why)) => format!("[x] {item}: {why}"),
            Some((Answer::NotApplicable, why)) => format!("[-] {item}: n/a, {why}"),
            Some((Answer::No, why)) => {
                no += 1;
                format!("[ ] {item}: no, {why}")
            }
            None => {
                open += 1;
                format!("[?] {item}: not answered")
            }
        });
    }
    record.verdict = if no > 0 {
        Verdict::Failed
    } else if open > 0 {
        Verdict::NeedsPerson
    } else {
        Verdict::Passed
    };
    Ok(record)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    Yes,
    No,
    NotApplicable,
}

/// The answer to each of `count` checklist items in an agent's output:
/// lines `N. yes|no|n/a: text`, read from the plain output and from the
/// `result` text of stream-json events. The last answer to an item counts.
fn review_answers(output: &str, count: usize) -> Vec<Option<(Answer, String)>> {
    let mut answers = vec![None; count];
    let mut texts: Vec<String> = Vec::new();
    for line in output.lines() {
        match serde_json::from_str::<serde_json::Value>(line) {
            Ok(v) => {
                if let Some(r) = v.get("result").and_then(|r| r.as_str()) {
                    texts.extend(r.lines().map(str::to_string));
                }
            }
            Err(_) => texts.push(line.to_string()),
        }
    }
    for line in texts {
        let line = line.trim().trim_start_matches(['-', '*', ' ']);
        let Some((n, rest)) = line.split_once('.') else {
            continue;
        };
        let Ok(n) = n.trim().parse::<usize>() else {
            continue;
        };
        let rest = rest.trim();
        let (word, why) = rest.split_once(':').unwrap_or((rest, ""));
        let answer = match word.trim().to_ascii_lowercase().as_str() {
            "yes" => Answer::Yes,
            "no" => Answer::No,
            "n/a" | "na" => Answer::NotApplicable,
            _ => continue,
        };
        if (1..=count).contains(&n) {
            answers[n - 1] = Some((answer, why.trim().to_string()));
        }
    }
    answers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn review_answers_are_read_from_plain_and_stream_json_output() {
        let out = "thinking...\n1. yes: tests cover reconnect\n- 2. NO: no backpressure test\n7. yes: out of range\n{\"type\":\"result\",\"result\":\"3. n/a: no HeyGen here\\n1. yes: seen again\"}\n";
        let got = review_answers(out, 4);
        assert_eq!(
            got,
            vec![
                Some((Answer::Yes, "seen again".to_string())),
                Some((Answer::No, "no backpressure test".to_string())),
                Some((Answer::NotApplicable, "no HeyGen here".to_string())),
                None,
            ]
        );
    }

    fn task(subject: &str) -> Task {
        Task {
            id: "0007-3".into(),
            plan: 7,
            subject: subject.into(),
            status: TaskStatus::InProgress,
            owner: Some("dev".into()),
            blocked_by: Vec::new(),
            line: 1,
            plan_hash: String::new(),
            started_at: None,
            started_commit: None,
            reason: None,
            completed_at: None,
            history: Vec::new(),
            evidence: None,
        }
    }

    fn policy(types: &str) -> Policy {
        let text = format!(
            "---\nname: dev\ndescription: Builds.\nharness:\n  commit_types: [{types}]\n---\n# Dev\n"
        );
        let def = crate::agent::definition::parse(Path::new("agents/dev.md"), &text)
            .unwrap()
            .definition;
        Policy::compile(&def)
    }

    #[track_caller]
    fn case(subject: &str, types: &str, max: usize, header: &str) {
        assert_eq!(
            commit_message(&task(subject), "dev", &policy(types), max),
            format!("{header}\n\nRefs: 0007, 0007-3\nAgent: dev\n")
        );
    }

    #[test]
    fn the_type_comes_from_the_task_else_the_agents_first_type() {
        case(
            "Presence channel.",
            "feat, fix",
            100,
            "feat: presence channel",
        );
        case(
            "fix: Reconnect with back-off",
            "feat",
            100,
            "fix: reconnect with back-off",
        );
        case(
            "Run `cargo test`",
            "refactor",
            100,
            "refactor: run cargo test",
        );
        case("Chat room service", "feat", 14, "feat: chat roo");
    }
}
