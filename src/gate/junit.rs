//! A run as JUnit XML, the format CI systems (GitHub, GitLab, Jenkins,
//! Buildkite) display as test results.
//!
//! The shape follows the schema those tools read (Jenkins' `junit-10.xsd`,
//! which GitLab and the GitHub reporters accept): `<testsuites>` holding one
//! `<testsuite>` with `name`, `tests`, `failures`, `errors`, `skipped`,
//! `time` and `timestamp`; one `<testcase>` per gate with `name`,
//! `classname` (`gates.<kind>`) and `time` in seconds. A failed or timed-out
//! gate has a `<failure>`, a gate that could not start an `<error>`, a
//! cancelled one `<skipped>`; the tail of the output goes in `<system-out>`.

use std::fmt::Write as _;

use quick_xml::escape::escape;

use super::outcome::{GateReport, GateRun, GateStatus};

/// The JUnit XML document for `report`.
pub fn render(report: &GateReport) -> String {
    let count = |s: &[GateStatus]| {
        report
            .gates
            .iter()
            .filter(|g| s.contains(&g.status))
            .count()
    };
    let tests = report.gates.len();
    let failures = count(&[GateStatus::Failed, GateStatus::TimedOut]);
    let errors = count(&[GateStatus::NotStarted]);
    let skipped = count(&[GateStatus::Cancelled]);
    let time = secs(report.duration.as_secs_f64());
    // xs:dateTime without a zone: the schema's pattern allows none.
    let timestamp: String = report.started_at.to_string().chars().take(19).collect();

    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let counts = format!(
        "tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"{time}\""
    );
    let _ = writeln!(x, "<testsuites name=\"harness gates\" {counts}>");
    let _ = writeln!(
        x,
        "  <testsuite name=\"harness gates\" {counts} timestamp=\"{timestamp}\" id=\"0\" hostname=\"localhost\" package=\"gates\">"
    );
    x.push_str("    <properties>\n");
    property(&mut x, "run", &report.id);
    if let Some(commit) = &report.commit {
        property(&mut x, "commit", commit);
    }
    property(&mut x, "dirty", if report.dirty { "true" } else { "false" });
    x.push_str("    </properties>\n");
    for gate in &report.gates {
        testcase(&mut x, gate);
    }
    x.push_str("  </testsuite>\n</testsuites>\n");
    x
}

fn property(x: &mut String, name: &str, value: &str) {
    let _ = writeln!(
        x,
        "      <property name=\"{}\" value=\"{}\"/>",
        attr(name),
        attr(value)
    );
}

fn testcase(x: &mut String, gate: &GateRun) {
    let _ = write!(
        x,
        "    <testcase name=\"{}\" classname=\"gates.{}\" time=\"{}\"",
        attr(&gate.name),
        gate.kind,
        secs(gate.duration.as_secs_f64())
    );
    let message = attr(&message(gate));
    let detail = text(&detail(gate));
    match gate.status {
        GateStatus::Passed if gate.tail.is_empty() => {
            x.push_str("/>\n");
            return;
        }
        GateStatus::Passed => x.push_str(">\n"),
        GateStatus::Failed | GateStatus::TimedOut => {
            let kind = if gate.timed_out { "timeout" } else { "failed" };
            let _ = writeln!(
                x,
                ">\n      <failure message=\"{message}\" type=\"{kind}\">{detail}</failure>"
            );
        }
        GateStatus::NotStarted => {
            let _ = writeln!(
                x,
                ">\n      <error message=\"{message}\" type=\"not-started\">{detail}</error>"
            );
        }
        GateStatus::Cancelled => {
            let _ = writeln!(x, ">\n      <skipped message=\"{message}\"/>");
        }
    }
    if !gate.tail.is_empty() {
        let _ = writeln!(x, "      <system-out>{}</system-out>", text(&gate.tail));
    }
    x.push_str("    </testcase>\n");
}

/// One line for the `message` attribute.
fn message(gate: &GateRun) -> String {
    let mut m = format!("`{}` {}", gate.command, gate.summary());
    if let Some(reason) = &gate.reason {
        m.push_str(": ");
        m.push_str(reason);
    }
    m
}

/// The body of a failure: the command, the reason and hint, where the log is.
fn detail(gate: &GateRun) -> String {
    let mut d = format!("$ {}\n{}", gate.command, gate.summary());
    if let Some(reason) = &gate.reason {
        d.push_str(&format!("\n{reason}"));
    }
    if let Some(hint) = &gate.hint {
        d.push_str(&format!("\nhint: {hint}"));
    }
    if let Some(log) = &gate.log_path {
        d.push_str(&format!("\nfull output: {}", log.display()));
    }
    d
}

fn secs(s: f64) -> String {
    format!("{s:.3}")
}

/// Text that XML 1.0 can hold: escaped, and without the control characters
/// it forbids (tools' output may contain any byte).
fn text(s: &str) -> String {
    let clean: String = s
        .chars()
        .filter(|&c| {
            matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{fffe}' && c != '\u{ffff}')
        })
        .collect();
    escape(clean.as_str()).into_owned()
}

fn attr(s: &str) -> String {
    // Newlines in attributes are normalised away by readers; keep them.
    text(s)
        .replace('\n', "&#10;")
        .replace('\r', "&#13;")
        .replace('\t', "&#9;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_drops_forbidden_characters_and_escapes() {
        assert_eq!(text("a\u{1b}<b>&\u{0}c\n"), "a&lt;b&gt;&amp;c\n");
        assert_eq!(attr("x\"y\nz"), "x&quot;y&#10;z");
    }
}
