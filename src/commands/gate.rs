//! `harness gate run|list`.

use std::fmt::Write as _;
use std::io::Write as _;

use super::Context;
use crate::agent::Catalog;
use crate::cli::{GateCommand, GateRunArgs, GateSelectArgs};
use crate::config::Project;
use crate::diagnostic::display_path;
use crate::error::{Error, Outcome, Result};
use crate::fsutil;
use crate::gate::{self, GateReport, Progress, RunOptions, github, junit, outcome::human};
use crate::policy::Policy;
use crate::report::{self, BOLD, DIM, ERROR, Format, HINT, OK};

/// The exit code of a run stopped by Ctrl-C, as shells report SIGINT.
const INTERRUPTED: i32 = 130;

pub fn run(ctx: &Context, cmd: GateCommand) -> Result<Outcome> {
    match cmd {
        GateCommand::Run(args) => run_gates(ctx, &args),
        GateCommand::List(args) => list(ctx, &args),
    }
}

fn agent_policy(project: &Project, agent: Option<&str>) -> Result<Option<Policy>> {
    let Some(name) = agent else {
        return Ok(None);
    };
    let catalog = Catalog::load(project);
    Ok(Some(Policy::compile(catalog.require(name)?)))
}

fn run_gates(ctx: &Context, args: &GateRunArgs) -> Result<Outcome> {
    if args.jobs == Some(0) {
        return Err(Error::usage("`--jobs` must be at least 1"));
    }
    let project = ctx.project()?;
    let sel = &args.select;
    let policy = agent_policy(&project, sel.agent.as_deref())?;
    let specs = gate::select(
        &project,
        policy.as_ref(),
        &sel.names,
        sel.changed_since.as_deref(),
    )?;
    let mut opts = RunOptions::new(&project.root);
    opts.jobs = args.jobs.unwrap_or(0);
    opts.fail_fast = args.fail_fast;
    let progress = if args.quiet {
        Progress::Silent
    } else {
        Progress::auto()
    };
    let report = gate::run_blocking(specs, &opts, progress)?;

    if let Some(path) = &args.junit {
        fsutil::write_atomic(&ctx.cwd.join(path), junit::render(&report).as_bytes())?;
    }
    if github::active() {
        github_output(ctx, &report)?;
    }
    match ctx.format {
        Format::Json => report::json(&report)?,
        Format::Text => report::text(&text(&report))?,
    }
    if report.interrupted {
        std::process::exit(INTERRUPTED);
    }
    Ok(Outcome::failed_if(!report.passed))
}

/// Annotations (on stdout, where the runner reads them, unless stdout is
/// JSON) and the job summary.
fn github_output(ctx: &Context, report: &GateReport) -> Result<()> {
    let annotations = github::annotations(report);
    match ctx.format {
        Format::Text => report::text(&annotations)?,
        Format::Json => eprint!("{annotations}"),
    }
    if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY") {
        // The summary file is shared by every step of the job: append.
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| Error::io("open", &path, e))?;
        writeln!(file, "{}", github::summary(report)).map_err(|e| Error::io("write", &path, e))?;
    }
    Ok(())
}

/// The final table, the tail of each failed gate, and a verdict.
fn text(report: &GateReport) -> String {
    let mut s = String::new();
    if report.gates.is_empty() {
        s.push_str("no gates to run: add `[gates.NAME]` tables to harness.toml, or see `harness gate list`\n");
        return s;
    }
    let rows: Vec<Vec<String>> = report
        .gates
        .iter()
        .map(|g| {
            vec![
                g.name.clone(),
                g.kind.to_string(),
                g.summary(),
                human(g.duration),
            ]
        })
        .collect();
    s.push_str(&report::table(
        &["GATE", "KIND", "RESULT", "DURATION"],
        &rows,
    ));
    for g in report.failed() {
        let _ = writeln!(
            s,
            "\n{ERROR}{}{ERROR:#} {}: {BOLD}{}{BOLD:#}",
            g.name,
            g.summary(),
            g.command
        );
        if let Some(reason) = &g.reason {
            let _ = writeln!(s, "  {reason}");
        }
        for line in g.tail.lines() {
            let _ = writeln!(s, "  {DIM}|{DIM:#} {line}");
        }
        if let Some(hint) = &g.hint {
            let _ = writeln!(s, "  {HINT}= hint{HINT:#}: {hint}");
        }
        if let Some(log) = &g.log_path
            && g.output_bytes > 0
        {
            let _ = writeln!(s, "  {DIM}full output: {}{DIM:#}", display_path(log));
        }
    }
    let failed: Vec<&str> = report.failed().map(|g| g.name.as_str()).collect();
    let total = report.gates.len();
    let took = human(report.duration);
    s.push('\n');
    if report.interrupted {
        let _ = writeln!(s, "{ERROR}interrupted{ERROR:#}: gates stopped after {took}");
    } else if failed.is_empty() {
        let _ = writeln!(s, "{OK}ok{OK:#}: {total} of {total} gates passed in {took}");
    } else {
        let _ = writeln!(
            s,
            "{ERROR}failed{ERROR:#}: {} of {total} gates did not pass ({}) in {took}",
            failed.len(),
            failed.join(", ")
        );
    }
    let tree = match (&report.commit, report.dirty) {
        (Some(c), false) => format!("commit {}", &c[..c.len().min(12)]),
        (Some(c), true) => format!("commit {} with local changes", &c[..c.len().min(12)]),
        (None, _) => "no commit".to_string(),
    };
    let _ = writeln!(
        s,
        "{DIM}evidence: {}/{}/ ({tree}){DIM:#}",
        gate::evidence::DIR,
        report.id
    );
    s
}

fn list(ctx: &Context, args: &GateSelectArgs) -> Result<Outcome> {
    let project = ctx.project()?;
    let policy = agent_policy(&project, args.agent.as_deref())?;
    let candidates = gate::candidates(
        &project,
        policy.as_ref(),
        &args.names,
        args.changed_since.as_deref(),
    )?;
    match ctx.format {
        Format::Json => report::json(&candidates)?,
        Format::Text if candidates.is_empty() => report::text(
            "no gates: add `[gates.NAME]` tables to harness.toml, or a Cargo.toml, pyproject.toml or package.json\n",
        )?,
        Format::Text => {
            let rows: Vec<Vec<String>> = candidates
                .iter()
                .map(|c| {
                    let why = match &c.skip {
                        Some(skip) => format!("skipped: {skip}"),
                        None => c.spec.origin.to_string(),
                    };
                    vec![
                        c.spec.name.clone(),
                        c.spec.kind.to_string(),
                        humantime::format_duration(c.spec.timeout).to_string(),
                        c.spec.command.to_string(),
                        why,
                    ]
                })
                .collect();
            report::text(&report::table(
                &["GATE", "KIND", "TIMEOUT", "COMMAND", "WHY"],
                &rows,
            ))?;
        }
    }
    Ok(Outcome::Success)
}
