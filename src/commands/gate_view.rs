//! Gate runs for people (shared by `gate run`, `gate list` and `ci`): live progress on stderr while gates run
//! ([`GateProgress`]), the final table of a run ([`text`]) and the list of
//! candidate gates ([`list`]). JUnit and GitHub output are formats of
//! their own, in `crate::gate`.
//!
//! On a terminal, `indicatif` draws one line per gate: a spinner and the
//! time elapsed while it runs, its result when done. Elsewhere (CI logs,
//! pipes, tests) each start and end is one plain line, which reads well in a
//! log that is never redrawn.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write as _};
use std::sync::OnceLock;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::diagnostic::display_path;
use crate::gate::outcome::human;
use crate::gate::{self, Candidate, GateReport, GateRun, GateSpec, GateStatus, Progress};
use crate::report::{BOLD, DIM, ERROR, HINT, OK, WARNING, table};

/// How [`GateProgress`] shows a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Silent,
    /// One plain line when a gate starts and one when it ends.
    Lines,
    /// A live line per gate with a spinner and the time elapsed.
    Bars,
}

/// Draws a run's progress on stderr, so that stdout carries only the report
/// (text, JSON or annotations).
pub struct GateProgress {
    mode: Mode,
    /// Set when the run tells which gates it has.
    run: OnceLock<Drawing>,
}

struct Drawing {
    names: Vec<String>,
    commands: Vec<String>,
    width: usize,
    multi: Option<MultiProgress>,
    bars: Vec<ProgressBar>,
}

impl GateProgress {
    /// Bars on a terminal, lines otherwise.
    pub fn auto() -> GateProgress {
        GateProgress::new(if std::io::stderr().is_terminal() {
            Mode::Bars
        } else {
            Mode::Lines
        })
    }

    /// Nothing at all (`--quiet`, or JSON on stdout).
    pub fn silent() -> GateProgress {
        GateProgress::new(Mode::Silent)
    }

    fn new(mode: Mode) -> GateProgress {
        GateProgress {
            mode,
            run: OnceLock::new(),
        }
    }

    fn line(&self, args: std::fmt::Arguments<'_>) {
        let mut err = anstream::stderr().lock();
        let _ = writeln!(err, "{args}");
    }
}

impl Progress for GateProgress {
    fn queued(&self, specs: &[GateSpec]) {
        if self.mode == Mode::Silent {
            return;
        }
        let names: Vec<String> = specs.iter().map(|s| s.name.clone()).collect();
        let commands = specs.iter().map(|s| s.command.to_string()).collect();
        let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
        let mut drawing = Drawing {
            names,
            commands,
            width,
            multi: None,
            bars: Vec::new(),
        };
        if self.mode == Mode::Bars {
            let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
            let queued =
                ProgressStyle::with_template("  {prefix} {msg:.dim}").expect("valid template");
            for name in &drawing.names {
                let bar = multi.add(ProgressBar::new_spinner());
                bar.set_style(queued.clone());
                bar.set_prefix(format!("{name:<width$}"));
                bar.set_message("queued");
                drawing.bars.push(bar);
            }
            drawing.multi = Some(multi);
        }
        let _ = self.run.set(drawing);
    }

    fn started(&self, i: usize, _spec: &GateSpec) {
        let Some(d) = self.run.get() else { return };
        match self.mode {
            Mode::Silent => {}
            Mode::Lines => self.line(format_args!(
                "{DIM}started{DIM:#}  {:<w$}  {}",
                d.names[i],
                d.commands[i],
                w = d.width
            )),
            Mode::Bars => {
                let bar = &d.bars[i];
                bar.set_style(
                    ProgressStyle::with_template(
                        "{spinner:.cyan} {prefix:.bold} {elapsed:>4} {msg:.dim}",
                    )
                    .expect("valid template"),
                );
                bar.reset_elapsed();
                bar.set_message(d.commands[i].clone());
                bar.enable_steady_tick(Duration::from_millis(100));
            }
        }
    }

    fn finished(&self, i: usize, run: &GateRun) {
        let Some(d) = self.run.get() else { return };
        let style = match run.status {
            GateStatus::Passed => OK,
            GateStatus::Cancelled => WARNING,
            _ => ERROR,
        };
        let took = human(run.duration);
        match self.mode {
            Mode::Silent => {}
            Mode::Lines => self.line(format_args!(
                "{style}{:<7}{style:#}  {:<w$}  {took}",
                short(run.status),
                d.names[i],
                w = d.width
            )),
            Mode::Bars => {
                let bar = &d.bars[i];
                bar.set_style(ProgressStyle::with_template("{msg}").expect("valid template"));
                let mark = if run.status.passed() { "✓" } else { "✗" };
                bar.finish_with_message(format!(
                    "{style}{mark}{style:#} {:<w$} {took:>7} {}",
                    d.names[i],
                    run.summary(),
                    w = d.width
                ));
            }
        }
    }

    /// Ends drawing, leaving each gate's final line on screen.
    fn done(&self) {
        let Some(d) = self.run.get() else { return };
        if let Some(multi) = &d.multi {
            for bar in &d.bars {
                if !bar.is_finished() {
                    bar.abandon();
                }
            }
            // indicatif leaves the cursor at the end of its last line; what
            // is printed next starts on a line of its own.
            if !multi.is_hidden() {
                let _ = writeln!(anstream::stderr());
            }
        }
    }
}

fn short(status: GateStatus) -> &'static str {
    match status {
        GateStatus::Passed => "passed",
        GateStatus::Failed => "failed",
        GateStatus::TimedOut => "timeout",
        GateStatus::NotStarted => "error",
        GateStatus::Cancelled => "stopped",
    }
}

/// The final table, the tail of each failed gate, and a verdict.
/// One line a gate compared with the baseline: what is still found, what
/// is gone, what is new.
pub fn baseline_lines(report: &GateReport) -> String {
    let mut s = String::new();
    for g in &report.gates {
        if let Some(b) = &g.baseline {
            let _ = writeln!(
                s,
                "baseline {}: {} recorded, {} still found, {} gone, {} new",
                g.name,
                b.recorded,
                b.known,
                b.gone,
                b.new.len()
            );
        }
    }
    s
}

pub fn text(report: &GateReport) -> String {
    let mut s = String::new();
    if report.gates.is_empty() {
        s.push_str("no gates to run: add `[gates.NAME]` tables to harness.toml, or see `harness-agents gate list`\n");
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
    s.push_str(&table(&["GATE", "KIND", "RESULT", "DURATION"], &rows));
    s.push_str(&baseline_lines(report));
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

/// `harness-agents gate list`: each candidate gate and why it runs or not.
pub fn list(candidates: &[Candidate]) -> String {
    if candidates.is_empty() {
        return "no gates: add `[gates.NAME]` tables to harness.toml, or a Cargo.toml, pyproject.toml or package.json\n".to_string();
    }
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
    table(&["GATE", "KIND", "TIMEOUT", "COMMAND", "WHY"], &rows)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::gate::GateKind;

    fn gate_run(name: &str, status: GateStatus, exit_code: Option<i32>) -> GateRun {
        GateRun {
            baseline: None,
            name: name.into(),
            kind: GateKind::Test,
            command: format!("run {name}"),
            status,
            exit_code,
            signal: None,
            timed_out: false,
            no_tests: false,
            duration: Duration::from_millis(20),
            output_sha256: "00".into(),
            output_bytes: 4,
            log_path: Some(PathBuf::from(format!(".harness/gates/r1/{name}.log"))),
            reason: None,
            hint: Some("look closer".into()),
            tail: "boom".into(),
        }
    }

    fn report(gates: Vec<GateRun>, interrupted: bool) -> GateReport {
        GateReport {
            id: "r1".into(),
            started_at: "2024-01-01T00:00:00Z".parse().unwrap(),
            commit: Some("0123456789abcdef".into()),
            dirty: true,
            passed: !interrupted && gates.iter().all(|g| g.status.passed()),
            interrupted,
            duration: Duration::from_millis(1500),
            gates,
        }
    }

    #[test]
    fn text_shows_the_table_each_failure_and_the_verdict() {
        let r = report(
            vec![
                gate_run("lint", GateStatus::Passed, Some(0)),
                gate_run("test", GateStatus::Failed, Some(101)),
            ],
            false,
        );
        let shown = anstream::adapter::strip_str(&text(&r)).to_string();
        assert_eq!(
            shown,
            "GATE  KIND  RESULT             DURATION\n\
             lint  test  passed             20ms\n\
             test  test  failed (exit 101)  20ms\n\
             \n\
             test failed (exit 101): run test\n  \
             | boom\n  \
             = hint: look closer\n  \
             full output: .harness/gates/r1/test.log\n\
             \n\
             failed: 1 of 2 gates did not pass (test) in 1.50s\n\
             evidence: .harness/gates/r1/ (commit 0123456789ab with local changes)\n"
        );
    }

    #[test]
    fn text_says_when_a_run_was_interrupted_or_had_no_gates() {
        let r = report(vec![gate_run("test", GateStatus::Cancelled, None)], true);
        let shown = anstream::adapter::strip_str(&text(&r)).to_string();
        assert!(
            shown.contains("\ninterrupted: gates stopped after 1.50s\n"),
            "{shown}"
        );
        assert_eq!(
            text(&report(vec![], false)),
            "no gates to run: add `[gates.NAME]` tables to harness.toml, or see `harness-agents gate list`\n"
        );
    }
}
