//! The one place that prints: diagnostics, errors and command results, as
//! text (coloured when the terminal allows it) or JSON.
//!
//! Colour goes through `anstream`, which drops the escape codes when the
//! output is not a terminal, when `NO_COLOR` is set, or under `--color never`.

use std::io::Write;

use anstyle::{AnsiColor, Style};
use serde::Serialize;

use crate::diagnostic::{Diagnostic, Palette};
use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Human-readable text.
    #[default]
    Text,
    /// JSON, for tools and scripts.
    Json,
}

pub const ERROR: Style = AnsiColor::Red.on_default().bold();
pub const WARNING: Style = AnsiColor::Yellow.on_default().bold();
pub const OK: Style = AnsiColor::Green.on_default().bold();
pub const DIM: Style = Style::new().dimmed();
pub const BOLD: Style = Style::new().bold();
pub const HINT: Style = AnsiColor::Cyan.on_default().bold();

/// The colours of a diagnostic: carets in its severity's colour, the
/// gutter dim.
const PALETTE: Palette = Palette {
    location: BOLD,
    error: ERROR,
    warning: WARNING,
    gutter: DIM,
    hint: HINT,
};

/// Writes one diagnostic as text, coloured where allowed: the same text as
/// its `Display`, which is the same renderer without colour.
pub fn write_diagnostic(out: &mut impl Write, d: &Diagnostic) -> std::io::Result<()> {
    writeln!(out, "{}", d.render(&PALETTE))
}

/// What a use case returns for a person or a program to read: JSON from
/// its `Serialize`, text from [`Report::text`], so the two never drift.
pub trait Report: Serialize {
    /// The report as a person reads it; may hold colour styles, which the
    /// terminal writer drops where colour is not wanted.
    fn text(&self) -> String;
}

/// Prints `report` on stdout in `format`: the one way a command ends.
pub fn emit(format: Format, report: &impl Report) -> Result<()> {
    match format {
        Format::Json => json(report),
        Format::Text => text(&report.text()),
    }
}

/// Prints diagnostics to stdout in the chosen format (JSON: one object a line).
pub fn diagnostics(diagnostics: &[Diagnostic], format: Format) -> Result<()> {
    if diagnostics.is_empty() {
        return Ok(());
    }
    match format {
        Format::Text => text(&diagnostics_text(diagnostics)),
        Format::Json => {
            let lines: String = diagnostics.iter().map(|d| to_json(d) + "\n").collect();
            text(&lines)
        }
    }
}

/// Prints a value as pretty JSON on stdout.
pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", pretty_json(value)).map_err(Error::Output)
}

/// Prints text as it is on stdout (colour codes stripped where not wanted),
/// in one write: stripped on its way to the terminal, a report's text would
/// go out a system call for each line between colour codes.
pub fn text(s: &str) -> Result<()> {
    let stdout = std::io::stdout();
    let choice = anstream::AutoStream::choice(&stdout);
    let mut out = anstream::AutoStream::new(Vec::with_capacity(s.len()), choice);
    out.write_all(s.as_bytes()).map_err(Error::Output)?;
    stdout
        .lock()
        .write_all(&out.into_inner())
        .map_err(Error::Output)
}

/// Prints a note for people on stderr, leaving stdout to the report.
pub fn note(s: &str) -> Result<()> {
    let mut out = anstream::stderr().lock();
    writeln!(out, "note: {s}").map_err(Error::Output)
}

/// Prints a line of progress on stderr (dimmed), leaving stdout to the report.
pub fn progress(s: &str) -> Result<()> {
    let mut out = anstream::stderr().lock();
    writeln!(out, "{DIM}{s}{DIM:#}").map_err(Error::Output)
}

/// Diagnostics as [`write_diagnostic`] writes them, for a report's text.
pub fn diagnostics_text(diagnostics: &[Diagnostic]) -> String {
    let mut out = Vec::new();
    for d in diagnostics {
        write_diagnostic(&mut out, d).expect("writing to memory does not fail");
    }
    String::from_utf8(out).expect("diagnostics are UTF-8")
}

fn to_json<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).expect("report types serialise to JSON")
}

fn pretty_json<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string_pretty(value).expect("report types serialise to JSON")
}

/// Prints a command's error on stderr.
pub fn error(err: &Error) {
    // A reader that went away (`harness ... | head`) is not an error to report.
    if let Error::Output(e) = err
        && e.kind() == std::io::ErrorKind::BrokenPipe
    {
        return;
    }
    let mut out = anstream::stderr().lock();
    let _ = match err {
        Error::Input(diags) => diags.iter().try_for_each(|d| write_diagnostic(&mut out, d)),
        other => {
            let mut msg = other.to_string();
            let mut source = std::error::Error::source(other);
            while let Some(cause) = source {
                let cause = cause.to_string();
                if !msg.contains(&cause) {
                    msg.push_str(": ");
                    msg.push_str(&cause);
                }
                source = cause_of(source);
            }
            writeln!(out, "{ERROR}error{ERROR:#}: {msg}")
        }
    };
}

fn cause_of<'a>(
    e: Option<&'a (dyn std::error::Error + 'static)>,
) -> Option<&'a (dyn std::error::Error + 'static)> {
    e.and_then(std::error::Error::source)
}

/// A plain table: columns padded to the widest cell, no trailing spaces.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if i < widths.len() {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
    }
    let mut out = String::new();
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut s = String::new();
        for (i, cell) in cells.enumerate() {
            if i > 0 {
                s.push_str("  ");
            }
            s.push_str(cell);
            let pad = widths[i].saturating_sub(cell.chars().count());
            s.extend(std::iter::repeat_n(' ', pad));
        }
        out.push_str(s.trim_end());
        out.push('\n');
    };
    line(&mut header.iter().copied());
    for row in rows {
        line(&mut row.iter().map(String::as_str));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coloured_diagnostics_are_their_display_plus_colour() {
        use crate::diagnostic::{Code, Span};
        let d = Diagnostic::warning(Code::UnknownTool, "`Raed` is not a Claude Code tool")
            .at(Span::on_line("a.md", 4, "tools: Read, Raed", 13..17))
            .hint("did you mean `Read`?");
        let mut out = Vec::new();
        write_diagnostic(&mut out, &d).unwrap();
        let coloured = String::from_utf8(out).unwrap();
        assert!(coloured.contains(&format!("{WARNING}^^^^{WARNING:#}")));
        assert!(coloured.contains(&format!("{DIM}4 |{DIM:#}")));
        let plain = anstream::adapter::strip_str(&coloured).to_string();
        assert_eq!(plain, format!("{d}\n"));
    }

    #[test]
    fn table_pads_columns_and_trims_line_ends() {
        let t = table(
            &["NAME", "MODEL"],
            &[
                vec!["a".into(), "sonnet".into()],
                vec!["long-name".into(), "".into()],
            ],
        );
        assert_eq!(t, "NAME       MODEL\na          sonnet\nlong-name\n");
    }
}
