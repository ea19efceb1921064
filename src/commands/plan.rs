//! `harness plan new|list|show|approve|reject|check|diff`.

use std::fmt::Write as _;

use serde::Serialize;

use super::Context;
use crate::agent::{AgentDefinition, Catalog};
use crate::cli::PlanCommand;
use crate::config::Project;
use crate::diagnostic::{Diagnostic, Span, display_path};
use crate::error::{Error, Outcome, Result};
use crate::plan::approval::{self, Refusal};
use crate::plan::{self, Plan, PlanState, Status, Store};
use crate::report::{self, BOLD, DIM, ERROR, Format, OK};
use crate::task;

/// The built-in plan template.
pub const DEFAULT_TEMPLATE: &str = include_str!("../../templates/plan.md.tera");
const TEMPLATE_FILE: &str = "plan.md.tera";

pub fn run(ctx: &Context, cmd: PlanCommand) -> Result<Outcome> {
    let project = ctx.project()?;
    match cmd {
        PlanCommand::New { title, agent } => new(ctx, &project, &title, &agent),
        PlanCommand::List => list(ctx, &project),
        PlanCommand::Show { id } => show(ctx, &project, &id),
        PlanCommand::Approve {
            id,
            by,
            accept_changes,
        } => decide(
            ctx,
            &project,
            &id,
            &by,
            Decision::Approve { accept_changes },
        ),
        PlanCommand::Reject { id, by, reason } => {
            decide(ctx, &project, &id, &by, Decision::Reject { reason })
        }
        PlanCommand::Check { id } => check(ctx, &project, id.as_deref()),
        PlanCommand::Diff { id } => diff(ctx, &project, &id),
    }
}

/// A template and where it came from, for locating render errors.
struct Template {
    text: String,
    path: std::path::PathBuf,
    line: usize,
}

fn template_for(project: &Project, def: &AgentDefinition) -> Result<Template> {
    if let Some(t) = &def.body.plan_template {
        return Ok(Template {
            text: t.text.clone(),
            path: def.source.clone(),
            line: t.line,
        });
    }
    let custom = project.templates_dir().join(TEMPLATE_FILE);
    if custom.is_file() {
        return Ok(Template {
            text: crate::fsutil::read_text(&custom)?,
            path: project.relative(&custom).to_path_buf(),
            line: 1,
        });
    }
    Ok(Template {
        text: DEFAULT_TEMPLATE.to_string(),
        path: format!("templates/{TEMPLATE_FILE} (built in)").into(),
        line: 1,
    })
}

/// Tera's `Display` hides the cause; the whole chain says what is wrong.
fn tera_message(e: &tera::Error) -> String {
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !msg.contains(&text) {
            msg.push_str(": ");
            msg.push_str(&text);
        }
        source = cause.source();
    }
    msg.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn render_body(t: &Template, title: &str, id: u32, agent: &str, date: &str) -> Result<String> {
    let mut context = tera::Context::new();
    context.insert("title", title);
    context.insert("id", &format!("{id:04}"));
    context.insert("agent", agent);
    context.insert("date", &date[..date.len().min(10)]);
    let rendered = tera::Tera::one_off(&t.text, &context, false).map_err(|e| {
        Error::from(
            Diagnostic::error("invalid-template", format!("the plan template does not render: {}", tera_message(&e)))
                .at(Span::new(&t.path, t.line, 1))
                .hint("Tera reads `{{ ... }}` and `{% ... %}`; write a literal brace pair as `{{ \"{{\" }}`"),
        )
    })?;
    // Agents' templates name the feature `{Feature}` in their heading.
    let mut out = String::with_capacity(rendered.len());
    let mut done = false;
    for line in rendered.split_inclusive('\n') {
        if !done && line.trim_start().starts_with('#') {
            out.push_str(&line.replace("{Feature}", title));
            done = true;
        } else {
            out.push_str(line);
        }
    }
    Ok(out)
}

#[derive(Serialize)]
struct Created {
    id: u32,
    path: String,
    agent: String,
    template: String,
}

fn new(ctx: &Context, project: &Project, title: &str, agent: &str) -> Result<Outcome> {
    if title.trim().is_empty() {
        return Err(Error::usage(
            "the plan needs a title, e.g. `harness plan new \"Presence channel\" --agent NAME`",
        ));
    }
    let catalog = Catalog::load(project);
    let def = catalog.require(agent)?;
    let template = template_for(project, def)?;
    let store = Store::open(project);
    let created = plan::now();
    let (id, path) = store.create(title, |id| {
        let body = render_body(&template, title, id, agent, &created)?;
        let front = plan::render_front(id, title, agent, Status::Draft, Some(&created), &[]);
        Ok(front + &body)
    })?;
    let shown = display_path(project.relative(&path));
    match ctx.format {
        Format::Json => report::json(&Created {
            id,
            path: shown,
            agent: agent.to_string(),
            template: display_path(&template.path),
        })?,
        Format::Text => report::text(&format!("{shown}\n"))?,
    }
    Ok(Outcome::Success)
}

#[derive(Serialize)]
struct Row<'a> {
    id: u32,
    state: &'static str,
    title: &'a str,
    agent: &'a str,
    path: String,
    approvals: usize,
    errors: usize,
    /// Tasks completed, of those not stale.
    tasks_completed: usize,
    tasks: usize,
}

fn list(ctx: &Context, project: &Project) -> Result<Outcome> {
    let listing = Store::open(project).list();
    let tasks = task::Store::open(project);
    let mut rows: Vec<Row> = Vec::new();
    for p in &listing.plans {
        let of_plan = tasks.of_plan(p.id)?;
        let live = of_plan
            .iter()
            .filter(|t| t.status != task::TaskStatus::Stale);
        let (done, total) = live.fold((0, 0), |(d, n), t| {
            (
                d + usize::from(t.status == task::TaskStatus::Completed),
                n + 1,
            )
        });
        rows.push(Row {
            id: p.id,
            state: p.state().name(),
            title: &p.title,
            agent: &p.agent,
            path: display_path(&p.path),
            approvals: p.approvals.len(),
            errors: p.errors().count(),
            tasks_completed: done,
            tasks: total,
        });
    }
    match ctx.format {
        Format::Json => report::json(&rows)?,
        Format::Text if rows.is_empty() => {
            report::text("no plans yet; write one with `harness plan new TITLE --agent NAME`\n")?
        }
        Format::Text => {
            let table: Vec<Vec<String>> = rows
                .iter()
                .map(|r| {
                    vec![
                        format!("{:04}", r.id),
                        r.state.to_string(),
                        r.title.to_string(),
                        r.agent.to_string(),
                        format!("{}/{}", r.tasks_completed, r.tasks),
                        r.path.clone(),
                    ]
                })
                .collect();
            report::text(&report::table(
                &["ID", "STATE", "TITLE", "AGENT", "DONE", "PATH"],
                &table,
            ))?;
        }
    }
    if !listing.diagnostics.is_empty() {
        report::error(&Error::Input(listing.diagnostics));
    }
    Ok(Outcome::Success)
}

#[derive(Serialize)]
struct Shown<'a> {
    state: &'static str,
    hash: String,
    #[serde(flatten)]
    plan: &'a Plan,
    #[serde(skip_serializing_if = "Option::is_none")]
    diff: Option<String>,
    task_list: Vec<task::Task>,
}

fn state_style(state: &PlanState) -> anstyle::Style {
    match state {
        PlanState::Approved(_) => OK,
        PlanState::Draft => DIM,
        PlanState::Changed { .. } | PlanState::Rejected(_) => ERROR,
    }
}

fn show(ctx: &Context, project: &Project, id: &str) -> Result<Outcome> {
    let store = Store::open(project);
    let p = store.get(id)?;
    let tasks = task::Store::open(project).of_plan(p.id)?;
    let state = p.state();
    match ctx.format {
        Format::Json => {
            let diff = match &state {
                PlanState::Changed { diff, .. } => diff.clone(),
                _ => None,
            };
            report::json(&Shown {
                state: state.name(),
                hash: p.hash(),
                plan: &p,
                diff,
                task_list: tasks,
            })?;
        }
        Format::Text => {
            let mut s = String::new();
            let style = state_style(&state);
            let _ = writeln!(s, "{BOLD}plan {}{BOLD:#}: {}", p.padded_id(), p.title);
            let _ = writeln!(s, "  state:    {style}{}{style:#}", state.name());
            let _ = writeln!(s, "  agent:    {}", p.agent);
            let _ = writeln!(s, "  file:     {}", display_path(&p.path));
            if let Some(c) = &p.created {
                let _ = writeln!(s, "  created:  {c}");
            }
            let _ = writeln!(s, "  hash:     {}", p.hash());
            if !p.approvals.is_empty() {
                let _ = writeln!(s, "\n{BOLD}approval chain{BOLD:#}");
                for (i, a) in p.approvals.iter().enumerate() {
                    let _ = write!(
                        s,
                        "  {}. {} by {} at {} ({})",
                        i + 1,
                        a.decision.as_str(),
                        a.by,
                        a.at,
                        approval::short(&a.hash)
                    );
                    if let Some(r) = &a.reason {
                        let _ = write!(s, ": {r}");
                    }
                    s.push('\n');
                }
            }
            let _ = writeln!(s, "\n{BOLD}files to change{BOLD:#}");
            if p.scope().is_empty() {
                let _ = writeln!(s, "  {DIM}(none){DIM:#}");
            }
            for e in p.scope().entries() {
                let _ = writeln!(s, "  {}", e.pattern);
            }
            if !tasks.is_empty() {
                let _ = writeln!(s, "\n{BOLD}tasks{BOLD:#}");
                let rows: Vec<Vec<String>> = tasks
                    .iter()
                    .map(|t| vec![t.id.clone(), t.status.to_string(), t.subject.clone()])
                    .collect();
                for line in report::table(&["", "", ""], &rows).lines().skip(1) {
                    let _ = writeln!(s, "  {line}");
                }
            }
            if let Some(spec) = p.realtime() {
                let _ = writeln!(s, "\n{BOLD}realtime{BOLD:#}");
                let transports: Vec<String> = spec
                    .transport
                    .to_vec()
                    .iter()
                    .map(|t| format!("{t:?}").to_lowercase())
                    .collect();
                let _ = writeln!(s, "  transport: {}", transports.join(", "));
                let _ = writeln!(
                    s,
                    "  backplane: {}",
                    format!("{:?}", spec.backplane).to_lowercase()
                );
                for ch in &spec.channels {
                    let events: Vec<String> = ch
                        .events
                        .iter()
                        .map(|e| format!("{}@v{}", e.name.value, e.version))
                        .collect();
                    let _ = writeln!(s, "  channel {}: {}", ch.name.value, events.join(", "));
                }
                if let Some(lk) = &spec.livekit {
                    for room in &lk.rooms {
                        let _ = writeln!(s, "  livekit room {}", room.name.value);
                    }
                }
                for a in &spec.avatars {
                    let _ = writeln!(s, "  avatar {} ({})", a.name.value, a.provider);
                }
            }
            report::text(&s)?;
            if !p.diagnostics.is_empty() {
                report::text("\n")?;
                report::diagnostics(&p.diagnostics, Format::Text)?;
            }
        }
    }
    Ok(Outcome::Success)
}

enum Decision {
    Approve { accept_changes: bool },
    Reject { reason: String },
}

/// An approver must be a person: a name that no agent has.
fn check_approver(catalog: &Catalog, by: &str) -> Result<()> {
    if by.trim().is_empty() {
        return Err(Error::usage("--by needs the name of the person deciding"));
    }
    let by = by.trim();
    if catalog
        .agents
        .iter()
        .any(|a| a.name.eq_ignore_ascii_case(by))
    {
        return Err(Diagnostic::error(
            "agent-approver",
            format!("`{by}` is an agent; plans are approved and rejected by people"),
        )
        .hint("pass your own name: `--by NAME`")
        .into());
    }
    Ok(())
}

fn refusal(p: &Plan, r: Refusal) -> Error {
    let id = p.padded_id();
    let at = Span::new(&p.path, 1, 1);
    let d = match r {
        Refusal::AlreadyApproved(a) => Diagnostic::error(
            "already-approved",
            format!(
                "plan {id} is already approved, by {} at {}, and has not changed",
                a.by, a.at
            ),
        )
        .at(at)
        .hint("nothing to do; `harness plan show` shows the approval chain"),
        Refusal::ChangedSinceApproval(a) => {
            let line = p
                .approved_text
                .as_deref()
                .map_or(1, |old| approval::first_change_line(p, old));
            Diagnostic::error(
                "changed-since-approval",
                format!("plan {id} changed since {} approved it at {}", a.by, a.at),
            )
            .at(Span::new(&p.path, line, 1))
            .hint(format!(
                "review `harness plan diff {id}`, then approve with --accept-changes"
            ))
        }
        Refusal::AlreadyRejected(a) => Diagnostic::error(
            "already-rejected",
            format!(
                "plan {id} is already rejected, by {} at {}, and has not changed",
                a.by, a.at
            ),
        )
        .at(at)
        .hint("revise the plan before deciding on it again"),
    };
    d.into()
}

#[derive(Serialize)]
struct Decided<'a> {
    id: u32,
    state: &'static str,
    hash: String,
    chain: &'a [plan::Approval],
    tasks: Vec<String>,
    warnings: Vec<Diagnostic>,
}

fn decide(
    ctx: &Context,
    project: &Project,
    id: &str,
    by: &str,
    decision: Decision,
) -> Result<Outcome> {
    let catalog = Catalog::load(project);
    check_approver(&catalog, by)?;
    if let Decision::Reject { reason } = &decision
        && reason.trim().is_empty()
    {
        return Err(Error::usage(
            "--reason needs to say why the plan is rejected",
        ));
    }
    let by = by.trim();
    let store = Store::open(project);
    let n = store.get(id)?.id;
    let at = plan::now();
    let mut warnings = Vec::new();
    let approving = matches!(decision, Decision::Approve { .. });
    let tasks_store = task::Store::open(project);
    let (p, tasks) = store.record_with(
        n,
        |p| {
            let errors: Vec<Diagnostic> = p.errors().cloned().collect();
            if !errors.is_empty() {
                return Err(Error::Input(errors));
            }
            warnings = p
                .diagnostics
                .iter()
                .filter(|d| !d.is_error())
                .cloned()
                .collect();
            match &decision {
                Decision::Approve { accept_changes } => {
                    approval::approve(p, by, &at, *accept_changes)
                }
                Decision::Reject { reason } => approval::reject(p, by, &at, reason),
            }
            .map_err(|r| refusal(p, r))
        },
        // Tasks follow the approved content in the same locked step.
        |lock, p| {
            if approving {
                tasks_store.derive_locked(lock, p, &at)
            } else {
                Ok(Vec::new())
            }
        },
    )?;
    // Warnings about the status are settled by the record just written.
    warnings.retain(|d| d.code != "status-not-recorded");
    let state = p.state();
    match ctx.format {
        Format::Json => report::json(&Decided {
            id: p.id,
            state: state.name(),
            hash: p.hash(),
            chain: &p.approvals,
            tasks: tasks.iter().map(|t| t.id.clone()).collect(),
            warnings,
        })?,
        Format::Text => {
            report::diagnostics(&warnings, Format::Text)?;
            let style = state_style(&state);
            let mut s = format!(
                "{style}{}{style:#} plan {} by {by} ({}); approval chain: {} record{}\n",
                state.name(),
                p.padded_id(),
                approval::short(&p.hash()),
                p.approvals.len(),
                if p.approvals.len() == 1 { "" } else { "s" }
            );
            if !tasks.is_empty() {
                let pending = tasks
                    .iter()
                    .filter(|t| t.status == task::TaskStatus::Pending)
                    .count();
                let stale = tasks
                    .iter()
                    .filter(|t| t.status == task::TaskStatus::Stale)
                    .count();
                let _ = write!(s, "tasks: {} ({pending} pending", tasks.len());
                if stale > 0 {
                    let _ = write!(s, ", {stale} stale");
                }
                s.push_str("); `harness task list --plan ");
                let _ = writeln!(s, "{}` shows them", p.padded_id());
            }
            report::text(&s)?;
        }
    }
    Ok(Outcome::Success)
}

#[derive(Serialize)]
struct Checked {
    id: u32,
    path: String,
    state: &'static str,
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    diff: Option<String>,
    problems: Vec<Diagnostic>,
}

fn check_one(p: &Plan, required: bool) -> Checked {
    let state = p.state();
    let mut problems: Vec<Diagnostic> = p
        .diagnostics
        .iter()
        .filter(|d| d.is_error() || d.code == "status-not-recorded")
        .cloned()
        .collect();
    let mut diff = None;
    match &state {
        PlanState::Approved(_) => {}
        PlanState::Changed { diff: d, .. } => {
            if let Err(Error::Input(ds)) = plan::check_approved(p) {
                problems.extend(ds);
            }
            diff = d.clone();
        }
        PlanState::Draft | PlanState::Rejected(_) if required => {
            if let Err(Error::Input(ds)) = plan::check_approved(p) {
                problems.extend(ds);
            }
        }
        PlanState::Draft | PlanState::Rejected(_) => {}
    }
    Checked {
        id: p.id,
        path: display_path(&p.path),
        state: state.name(),
        ok: problems.iter().all(|d| !d.is_error())
            && !problems.iter().any(|d| d.code == "status-not-recorded"),
        diff,
        problems,
    }
}

fn check(ctx: &Context, project: &Project, id: Option<&str>) -> Result<Outcome> {
    let store = Store::open(project);
    let (results, mut unreadable) = match id {
        Some(id) => (vec![check_one(&store.get(id)?, true)], Vec::new()),
        None => {
            let listing = store.list();
            let results = listing.plans.iter().map(|p| check_one(p, false)).collect();
            (results, listing.diagnostics)
        }
    };
    let failed = results.iter().any(|r| !r.ok) || !unreadable.is_empty();
    match ctx.format {
        Format::Json => report::json(&serde_json::json!({
            "ok": !failed,
            "plans": results,
            "unreadable": unreadable,
        }))?,
        Format::Text => {
            for r in &results {
                let (style, word) = if r.ok { (OK, "ok") } else { (ERROR, "FAIL") };
                report::text(&format!(
                    "{style}{word:<4}{style:#} {:04}  {:<8}  {}\n",
                    r.id, r.state, r.path
                ))?;
                report::diagnostics(&r.problems, Format::Text)?;
                if let Some(d) = &r.diff {
                    report::text(d)?;
                }
            }
            if results.is_empty() && unreadable.is_empty() {
                report::text("no plans to check\n")?;
            }
            report::diagnostics(&std::mem::take(&mut unreadable), Format::Text)?;
        }
    }
    Ok(Outcome::failed_if(failed))
}

fn diff(ctx: &Context, project: &Project, id: &str) -> Result<Outcome> {
    let p = Store::open(project).get(id)?;
    let (approval, diff) = match p.state() {
        PlanState::Changed { approval, diff } => (Some(approval), diff),
        PlanState::Approved(a) => (Some(a), None),
        PlanState::Draft | PlanState::Rejected(_) => match approval::last_approval(&p.approvals) {
            Some(a) if p.approved_text.is_some() => {
                let old = p.approved_text.as_deref().unwrap_or_default();
                let now = p.normalised();
                let d = (old != now)
                    .then(|| approval::unified_diff(old, &now, a, &display_path(&p.path)));
                (Some(a.clone()), d)
            }
            _ => (None, None),
        },
    };
    let Some(approval) = approval else {
        return Err(Diagnostic::error(
            "never-approved",
            format!(
                "plan {} has never been approved: there is nothing to compare",
                p.padded_id()
            ),
        )
        .at(Span::new(&p.path, 1, 1))
        .hint(format!(
            "`harness plan approve {} --by NAME` records a version to compare against",
            p.padded_id()
        ))
        .into());
    };
    let changed = p.hash() != approval.hash;
    if changed && diff.is_none() {
        let stored = Store::open(project).approved_path(p.id, &approval.hash);
        return Err(Diagnostic::error(
            "approved-text-missing",
            format!(
                "plan {} changed since approval, but the approved text is missing or altered",
                p.padded_id()
            ),
        )
        .at(Span::new(project.relative(&stored), 1, 1))
        .hint("restore it from git; the hash in the approval chain still proves the plan changed")
        .into());
    }
    match ctx.format {
        Format::Json => report::json(&serde_json::json!({
            "id": p.id,
            "changed": changed,
            "approved_hash": approval.hash,
            "hash": p.hash(),
            "diff": diff,
        }))?,
        Format::Text => match &diff {
            Some(d) => report::text(d)?,
            None => report::text(&format!(
                "plan {} is unchanged since {} approved it ({})\n",
                p.padded_id(),
                approval.by,
                approval::short(&approval.hash)
            ))?,
        },
    }
    Ok(Outcome::Success)
}
