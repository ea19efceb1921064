//! `harness task list|show|start|block|done`.

use std::fmt::Write as _;

use super::Context;
use crate::agent::Catalog;
use crate::cli::TaskCommand;
use crate::config::Project;
use crate::diagnostic::{Diagnostic, Span, display_path};
use crate::error::{Error, Outcome, Result};
use crate::gate;
use crate::plan;
use crate::policy::Policy;
use crate::report::{self, BOLD, DIM, ERROR, Format, OK};
use crate::task::{self, Evidence, Store, Task, TaskStatus, evidence};

pub fn run(ctx: &Context, cmd: TaskCommand) -> Result<Outcome> {
    let project = ctx.project()?;
    let store = Store::open(&project);
    match cmd {
        TaskCommand::List { plan, status } => list(ctx, &store, plan.as_deref(), status),
        TaskCommand::Show { id } => show(ctx, &store, &id),
        TaskCommand::Start { id, owner } => start(ctx, &project, &store, &id, &owner),
        TaskCommand::Block { id, reason } => block(ctx, &store, &id, &reason),
        TaskCommand::Done { id } => done(ctx, &project, &store, &id),
    }
}

fn list(
    ctx: &Context,
    store: &Store,
    plan: Option<&str>,
    status: Option<TaskStatus>,
) -> Result<Outcome> {
    let mut tasks = match plan {
        Some(id) => {
            let p = store.plans().get(id)?;
            store.of_plan(p.id)?
        }
        None => store.all()?,
    };
    tasks.retain(|t| status.is_none_or(|s| t.status == s));
    match ctx.format {
        Format::Json => report::json(&tasks)?,
        Format::Text if tasks.is_empty() => {
            report::text("no tasks; tasks are derived from a plan when it is approved\n")?
        }
        Format::Text => {
            let rows: Vec<Vec<String>> = tasks
                .iter()
                .map(|t| {
                    vec![
                        t.id.clone(),
                        t.status.to_string(),
                        t.owner.clone().unwrap_or_else(|| "-".into()),
                        t.subject.clone(),
                        if t.blocked_by.is_empty() {
                            "-".into()
                        } else {
                            t.blocked_by.join(",")
                        },
                    ]
                })
                .collect();
            report::text(&report::table(
                &["ID", "STATUS", "OWNER", "SUBJECT", "AFTER"],
                &rows,
            ))?;
        }
    }
    Ok(Outcome::Success)
}

fn evidence_text(e: &Evidence) -> String {
    let mut s = String::new();
    let (style, word) = if e.passed {
        (OK, "passed")
    } else {
        (ERROR, "failed")
    };
    let _ = writeln!(
        s,
        "{BOLD}evidence{BOLD:#} {style}{word}{style:#} at {} (commit {}{})",
        e.at,
        e.commit
            .as_deref()
            .map_or("none", |c| &c[..c.len().min(12)]),
        if e.dirty { ", uncommitted changes" } else { "" }
    );
    for g in &e.gates {
        let (style, word) = if g.passed {
            (OK, "pass")
        } else {
            (ERROR, "FAIL")
        };
        let code = g
            .exit_code
            .map_or("killed".to_string(), |c| format!("exit {c}"));
        let _ = writeln!(
            s,
            "  {style}{word}{style:#}  {}  {DIM}({code}, {} ms, {}){DIM:#}",
            g.name,
            g.duration_ms,
            plan::approval::short(&g.output_digest)
        );
    }
    let (style, word) = if e.scope.passed() {
        (OK, "pass")
    } else {
        (ERROR, "FAIL")
    };
    let _ = writeln!(
        s,
        "  {style}{word}{style:#}  plan scope ({} file{} changed, {} outside)",
        e.scope.changed.len(),
        if e.scope.changed.len() == 1 { "" } else { "s" },
        e.scope.outside.len()
    );
    for path in &e.scope.outside {
        let _ = writeln!(s, "        outside: {path}");
    }
    s
}

fn show(ctx: &Context, store: &Store, id: &str) -> Result<Outcome> {
    let t = store.get(id)?;
    match ctx.format {
        Format::Json => report::json(&t)?,
        Format::Text => {
            let mut s = String::new();
            let _ = writeln!(s, "{BOLD}task {}{BOLD:#}: {}", t.id, t.subject);
            let _ = writeln!(s, "  status:     {}", t.status);
            let _ = writeln!(s, "  owner:      {}", t.owner.as_deref().unwrap_or("-"));
            let _ = writeln!(s, "  plan:       {:04} (line {})", t.plan, t.line);
            if !t.blocked_by.is_empty() {
                let _ = writeln!(s, "  after:      {}", t.blocked_by.join(", "));
            }
            if let Some(r) = &t.reason {
                let _ = writeln!(s, "  reason:     {r}");
            }
            if let Some(c) = &t.started_commit {
                let _ = writeln!(s, "  started at: {}", &c[..c.len().min(12)]);
            }
            let _ = writeln!(s, "  file:       {}", store.shown_path(&t.id));
            if !t.history.is_empty() {
                let _ = writeln!(s, "\n{BOLD}history{BOLD:#}");
                for c in &t.history {
                    let _ = write!(s, "  {}  {}", c.at, c.status);
                    if let Some(n) = &c.note {
                        let _ = write!(s, ": {n}");
                    }
                    s.push('\n');
                }
            }
            if let Some(e) = &t.evidence {
                s.push('\n');
                s.push_str(&evidence_text(e));
            }
            report::text(&s)?;
        }
    }
    Ok(Outcome::Success)
}

fn wrong_status(store: &Store, t: &Task, doing: &str, hint: &str) -> Error {
    Diagnostic::error(
        "task-status",
        format!("cannot {doing} task {}: it is {}", t.id, t.status),
    )
    .at(store.span_of(&t.id, "status"))
    .hint(hint.to_string())
    .into()
}

fn changed(ctx: &Context, t: &Task, verb: &str) -> Result<Outcome> {
    match ctx.format {
        Format::Json => report::json(t)?,
        Format::Text => report::text(&format!("{verb} task {}: {}\n", t.id, t.subject))?,
    }
    Ok(Outcome::Success)
}

fn start(
    ctx: &Context,
    project: &Project,
    store: &Store,
    id: &str,
    owner: &str,
) -> Result<Outcome> {
    let catalog = Catalog::load(project);
    catalog.require(owner)?;
    let at = plan::now();
    let head = gate::git::tree_state(&project.root).commit;
    let (t, ()) = store.update(id, |t| {
        let p = store.plans().get_id(t.plan)?;
        plan::check_approved(&p)?;
        match t.status {
            TaskStatus::Pending | TaskStatus::Blocked => {}
            TaskStatus::InProgress => {
                return Err(wrong_status(
                    store,
                    t,
                    "start",
                    &format!(
                        "{} is working on it",
                        t.owner.as_deref().unwrap_or("someone")
                    ),
                ));
            }
            TaskStatus::Completed => {
                return Err(wrong_status(
                    store,
                    t,
                    "start",
                    "it is done; see `harness task show`",
                ));
            }
            TaskStatus::Stale => {
                return Err(wrong_status(
                    store,
                    t,
                    "start",
                    "its plan no longer lists it; see `harness task list --plan`",
                ));
            }
        }
        let mut waiting = Vec::new();
        for b in &t.blocked_by {
            let other = store.get(b)?;
            if other.status != TaskStatus::Completed {
                waiting.push(format!("{} ({})", other.id, other.status));
            }
        }
        if !waiting.is_empty() {
            return Err(Diagnostic::error(
                "task-waiting",
                format!("task {} waits for {}", t.id, waiting.join(", ")),
            )
            .at(Span::new(&p.path, t.line, 1))
            .hint("finish those first")
            .into());
        }
        if let Some(planned) = t.owner.as_deref()
            && planned != owner
        {
            return Err(Diagnostic::error(
                "task-owner",
                format!("task {} belongs to `{planned}`, not `{owner}`", t.id),
            )
            .at(Span::new(&p.path, t.line, 1))
            .hint(format!("start it with `--owner {planned}`, or change the owner in the plan and have it re-approved"))
            .into());
        }
        t.owner = Some(owner.to_string());
        t.started_at = Some(at.clone());
        t.started_commit = head.clone();
        t.reason = None;
        t.set_status(
            TaskStatus::InProgress,
            &at,
            Some(format!("started by {owner}")),
        );
        Ok(())
    })?;
    changed(ctx, &t, "started")
}

fn block(ctx: &Context, store: &Store, id: &str, reason: &str) -> Result<Outcome> {
    if reason.trim().is_empty() {
        return Err(Error::usage(
            "--reason needs to say what the task is waiting for",
        ));
    }
    let at = plan::now();
    let (t, ()) = store.update(id, |t| {
        if !matches!(t.status, TaskStatus::Pending | TaskStatus::InProgress) {
            return Err(wrong_status(
                store,
                t,
                "block",
                "only pending and in-progress tasks can be blocked",
            ));
        }
        t.reason = Some(reason.to_string());
        t.set_status(TaskStatus::Blocked, &at, Some(reason.to_string()));
        Ok(())
    })?;
    changed(ctx, &t, "blocked")
}

fn done(ctx: &Context, project: &Project, store: &Store, id: &str) -> Result<Outcome> {
    let t = store.get(id)?;
    if t.status != TaskStatus::InProgress {
        let hint = match t.status {
            TaskStatus::Pending | TaskStatus::Blocked => format!(
                "start it first: `harness task start {} --owner AGENT`",
                t.id
            ),
            _ => "see `harness task show`".to_string(),
        };
        let doing = "complete";
        return Err(match t.status {
            TaskStatus::Pending => Diagnostic::error(
                "task-not-started",
                format!("cannot complete task {}: it was never started", t.id),
            )
            .at(store.span_of(&t.id, "status"))
            .hint(hint)
            .into(),
            _ => wrong_status(store, &t, doing, &hint),
        });
    }
    let p = store.plans().get_id(t.plan)?;
    plan::check_approved(&p)?;
    let owner = t.owner.clone().unwrap_or_default();
    let catalog = Catalog::load(project);
    let policy = Policy::compile(catalog.require(&owner)?);

    // The scope check needs git; find out before running anything.
    let changed =
        evidence::changed_since(&project.root, t.started_commit.as_deref()).map_err(|e| {
            Error::from(
                Diagnostic::error(
                    "scope-unchecked",
                    format!("cannot check the plan scope of task {}: {e}", t.id),
                )
                .hint("run harness inside the project's git repository"),
            )
        })?;
    // Harness's own files are not the task's work: plan files change when
    // any plan is approved, and task files when any task moves. An edit to
    // the task's own plan is caught above, as the plan is no longer approved.
    let mut ignored = vec![".harness/".to_string()];
    let plans_dir = display_path(project.relative(store.plans().dir()));
    ignored.push(format!("{}/", plans_dir.trim_end_matches('/')));
    let scope = evidence::check_scope(&changed, p.scope(), &ignored);
    let gate_evidence = task::run_gates(project, &policy)?;
    let state = gate::git::tree_state(&project.root);
    let at = plan::now();
    let passed = gate_evidence.passed() && scope.passed();
    let ev = Evidence {
        at: at.clone(),
        commit: state.commit,
        dirty: state.dirty,
        passed,
        scope,
        gates: gate_evidence.runs,
    };
    let started = t.started_at.clone();
    let (t, ()) = store.update(id, |t| {
        // Another process may have moved the task while the gates ran.
        if t.status != TaskStatus::InProgress || t.started_at != started {
            return Err(wrong_status(
                store,
                t,
                "complete",
                "it changed while the checks ran; run `task done` again",
            ));
        }
        t.evidence = Some(ev.clone());
        if passed {
            t.completed_at = Some(at.clone());
            t.set_status(
                TaskStatus::Completed,
                &at,
                Some("gates and plan scope passed".to_string()),
            );
        }
        Ok(())
    })?;
    match ctx.format {
        Format::Json => report::json(&t)?,
        Format::Text => {
            let mut s = evidence_text(&ev);
            if ev.gates.is_empty() {
                let _ = writeln!(
                    s,
                    "  {DIM}(agent `{owner}` defines no quality gates){DIM:#}"
                );
            }
            for g in ev.failed_gates() {
                let _ = write!(s, "\n{ERROR}gate failed{ERROR:#}: {}", g.name);
                match &g.command {
                    Some(c) if *c != g.name => {
                        let _ = writeln!(s, " (`{c}`)");
                    }
                    _ => s.push('\n'),
                }
                if let Some(log) = &g.log {
                    let _ = writeln!(s, "  {DIM}log: {log}{DIM:#}");
                }
                if let Some(tail) = &g.output_tail {
                    for line in tail.lines() {
                        let _ = writeln!(s, "  | {line}");
                    }
                }
            }
            if passed {
                let _ = writeln!(s, "{OK}completed{OK:#} task {}: {}", t.id, t.subject);
            } else {
                let failed: Vec<&str> = ev.failed_gates().map(|g| g.name.as_str()).collect();
                let mut why = Vec::new();
                if !failed.is_empty() {
                    why.push(format!(
                        "gate{} failed: {}",
                        if failed.len() == 1 { "" } else { "s" },
                        failed.join(", ")
                    ));
                }
                if !ev.scope.passed() {
                    why.push(format!(
                        "{} file(s) outside the plan's Files to Change",
                        ev.scope.outside.len()
                    ));
                }
                let _ = writeln!(
                    s,
                    "{ERROR}not done{ERROR:#}: task {} stays in_progress ({})",
                    t.id,
                    why.join("; ")
                );
            }
            report::text(&s)?;
        }
    }
    Ok(Outcome::failed_if(!passed))
}
