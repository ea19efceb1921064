//! Live progress while gates run, on stderr so that stdout carries only the
//! report (text, JSON or annotations).
//!
//! On a terminal, `indicatif` draws one line per gate: a spinner and the
//! time elapsed while it runs, its result when done. Elsewhere (CI logs,
//! pipes, tests) each start and end is one plain line, which reads well in a
//! log that is never redrawn.

use std::io::{IsTerminal, Write as _};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::outcome::{GateRun, Status, human};
use super::spec::GateSpec;
use crate::report::{DIM, ERROR, OK, WARNING};

/// How to show progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Nothing: the caller reports when the run is over.
    Silent,
    /// One plain line when a gate starts and one when it ends.
    Lines,
    /// A live line per gate with a spinner and the time elapsed.
    Bars,
}

impl Progress {
    /// Bars on a terminal, lines otherwise.
    pub fn auto() -> Progress {
        if std::io::stderr().is_terminal() {
            Progress::Bars
        } else {
            Progress::Lines
        }
    }
}

/// Draws progress for one run; shared by the gates' tasks.
pub(crate) struct Reporter {
    mode: Progress,
    names: Vec<String>,
    commands: Vec<String>,
    width: usize,
    multi: Option<MultiProgress>,
    bars: Vec<ProgressBar>,
}

impl Reporter {
    pub(crate) fn new(mode: Progress, specs: &[GateSpec]) -> Reporter {
        let names: Vec<String> = specs.iter().map(|s| s.name.clone()).collect();
        let commands = specs.iter().map(|s| s.command.to_string()).collect();
        let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
        let mut reporter = Reporter {
            mode,
            names,
            commands,
            width,
            multi: None,
            bars: Vec::new(),
        };
        if mode == Progress::Bars {
            let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
            let queued =
                ProgressStyle::with_template("  {prefix} {msg:.dim}").expect("valid template");
            for name in &reporter.names {
                let bar = multi.add(ProgressBar::new_spinner());
                bar.set_style(queued.clone());
                bar.set_prefix(format!("{name:<width$}"));
                bar.set_message("queued");
                reporter.bars.push(bar);
            }
            reporter.multi = Some(multi);
        }
        reporter
    }

    pub(crate) fn started(&self, i: usize) {
        match self.mode {
            Progress::Silent => {}
            Progress::Lines => self.line(format_args!(
                "{DIM}started{DIM:#}  {:<w$}  {}",
                self.names[i],
                self.commands[i],
                w = self.width
            )),
            Progress::Bars => {
                let bar = &self.bars[i];
                bar.set_style(
                    ProgressStyle::with_template(
                        "{spinner:.cyan} {prefix:.bold} {elapsed:>4} {msg:.dim}",
                    )
                    .expect("valid template"),
                );
                bar.reset_elapsed();
                bar.set_message(self.commands[i].clone());
                bar.enable_steady_tick(Duration::from_millis(100));
            }
        }
    }

    pub(crate) fn finished(&self, i: usize, run: &GateRun) {
        let style = match run.status {
            Status::Passed => OK,
            Status::Cancelled => WARNING,
            _ => ERROR,
        };
        let took = human(run.duration);
        match self.mode {
            Progress::Silent => {}
            Progress::Lines => self.line(format_args!(
                "{style}{:<7}{style:#}  {:<w$}  {took}",
                short(run.status),
                self.names[i],
                w = self.width
            )),
            Progress::Bars => {
                let bar = &self.bars[i];
                bar.set_style(ProgressStyle::with_template("{msg}").expect("valid template"));
                let mark = if run.status.passed() { "✓" } else { "✗" };
                bar.finish_with_message(format!(
                    "{style}{mark}{style:#} {:<w$} {took:>7} {}",
                    self.names[i],
                    run.summary(),
                    w = self.width
                ));
            }
        }
    }

    /// Ends drawing, leaving each gate's final line on screen.
    pub(crate) fn done(&self) {
        if let Some(multi) = &self.multi {
            for bar in &self.bars {
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

    fn line(&self, args: std::fmt::Arguments<'_>) {
        let mut err = anstream::stderr().lock();
        let _ = writeln!(err, "{args}");
    }
}

fn short(status: Status) -> &'static str {
    match status {
        Status::Passed => "passed",
        Status::Failed => "failed",
        Status::TimedOut => "timeout",
        Status::NotStarted => "error",
        Status::Cancelled => "stopped",
    }
}
