//! GitHub Actions output: an `::error` workflow command per failed gate
//! (shown on the run and the pull request) and a Markdown table for the
//! job summary (`$GITHUB_STEP_SUMMARY`). Used when `GITHUB_ACTIONS=true`.

use std::fmt::Write as _;
use std::io::Write as _;

use super::outcome::{GateReport, GateRun, GateStatus, human};
use crate::error::{Error, Result};

/// Whether harness runs inside GitHub Actions.
pub fn active() -> bool {
    std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true")
}

/// One `::error` line per gate that did not pass (cancelled gates get a
/// `::warning`).
pub fn annotations(report: &GateReport) -> String {
    let mut out = String::new();
    for gate in report.failed() {
        let level = if gate.status == GateStatus::Cancelled {
            "warning"
        } else {
            "error"
        };
        let mut message = format!("`{}` {}", gate.command, gate.summary());
        for extra in [&gate.reason, &gate.hint].into_iter().flatten() {
            message.push('\n');
            message.push_str(extra);
        }
        if !gate.tail.is_empty() {
            message.push_str("\n\n");
            message.push_str(&gate.tail);
        }
        let _ = writeln!(
            out,
            "::{level} title={}::{}",
            property(&format!("gate {} {}", gate.name, gate.summary())),
            data(&message)
        );
    }
    out
}

/// The job summary: a headline and a table of every gate.
pub fn summary(report: &GateReport) -> String {
    let passed = report.gates.iter().filter(|g| g.status.passed()).count();
    let mut md = format!(
        "### harness gates: {passed} of {} passed\n\n",
        report.gates.len()
    );
    md.push_str("| Gate | Kind | Result | Duration | Command |\n|---|---|---|---|---|\n");
    for gate in &report.gates {
        let _ = writeln!(
            md,
            "| {} | {} | {} {} | {} | `{}` |",
            cell(&gate.name),
            gate.kind,
            icon(gate),
            gate.summary(),
            human(gate.duration),
            cell(&gate.command).replace('`', "'")
        );
    }
    if let Some(commit) = &report.commit {
        let dirty = if report.dirty {
            " (with local changes)"
        } else {
            ""
        };
        let _ = writeln!(md, "\nCommit `{commit}`{dirty}, run `{}`.", report.id);
    }
    md
}

/// Appends `markdown` to the job summary, when the runner gives one
/// (`$GITHUB_STEP_SUMMARY`).
pub fn append_summary(markdown: &str) -> Result<()> {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY") else {
        return Ok(());
    };
    // The summary file is shared by every step of the job: append.
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| Error::io("open", &path, e))?;
    writeln!(file, "{markdown}").map_err(|e| Error::io("write", &path, e))
}

fn icon(gate: &GateRun) -> &'static str {
    match gate.status {
        GateStatus::Passed => "✅",
        GateStatus::Cancelled => "⏹️",
        _ => "❌",
    }
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Escapes a workflow command's message, as the runner expects.
pub fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property value.
pub fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_workflow_commands() {
        assert_eq!(data("50% done\nnext"), "50%25 done%0Anext");
        assert_eq!(property("a: b, c"), "a%3A b%2C c");
    }
}
