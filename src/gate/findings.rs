//! A linter's findings, read from the machine-readable output its gate
//! prints (`[gates.NAME] findings = "clippy" | "ruff" | "eslint" | "tsc"`),
//! each named by rule, file and a fingerprint that survives line moves.
//!
//! The fingerprint is a hash of the rule, the file and the text of the
//! finding's line with one line either side, white space collapsed: code
//! moved up or down by an edit elsewhere keeps its fingerprint, while an
//! edit of the line or its neighbours makes the finding a new one. The
//! line number is kept only to show where a finding is.
//!
//! A gate's log holds stdout and stderr together (cargo's progress on
//! stderr among clippy's JSON on stdout), so each parser picks its own
//! lines out of the whole and ignores the rest.
//!
//! The output is also where the code a gate runs can write: a build script
//! or a proc macro could print a forged finding that the baseline holds.
//! cargo indents what a build script prints, and clippy's parser reads only
//! unindented lines; a run that cargo says ended for another reason (its
//! `Caused by:` chain: a failed build script, a compiler that died without
//! diagnostics) is [`abnormal`] and never accepted by a baseline. The
//! other tools run no project code while they lint.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::spec::FindingsFormat;

/// One finding of a linter.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Finding {
    /// The rule or code: `clippy::needless_return`, `F401`, `eqeqeq`, `TS2322`.
    pub rule: String,
    /// The file, relative to the project root, with `/` separators.
    pub file: String,
    /// Where it was when found; not part of the match.
    pub line: u32,
    /// Hex SHA-256 (first 16 digits) of rule, file and the text around the line.
    pub fingerprint: String,
    pub message: String,
}

impl Finding {
    /// What two findings must share to be the same one.
    pub fn key(&self) -> (&str, &str, &str) {
        (&self.rule, &self.file, &self.fingerprint)
    }
}

/// A finding as a parser reads it, before its file is read for the fingerprint.
struct Raw {
    rule: String,
    path: PathBuf,
    line: u32,
    message: String,
}

/// The findings in `output` of a gate whose command ran in `cwd`, in a
/// project at `root`, sorted. Files are read (once each) for fingerprints.
pub fn parse(format: FindingsFormat, output: &str, root: &Path, cwd: &Path) -> Vec<Finding> {
    let raw = match format {
        FindingsFormat::Clippy => clippy(output),
        FindingsFormat::Ruff => ruff(output),
        FindingsFormat::Eslint => eslint(output),
        FindingsFormat::Tsc => tsc(output),
    };
    let mut sources: BTreeMap<PathBuf, Vec<String>> = BTreeMap::new();
    let mut out: Vec<Finding> = raw
        .into_iter()
        .map(|r| {
            let abs = cwd.join(&r.path);
            let file = abs
                .strip_prefix(root)
                .unwrap_or(&r.path)
                .to_string_lossy()
                .replace('\\', "/");
            let lines = sources.entry(abs.clone()).or_insert_with(|| {
                std::fs::read_to_string(&abs)
                    .map(|t| t.lines().map(normalise).collect())
                    .unwrap_or_default()
            });
            let fingerprint = fingerprint(&r.rule, &file, lines, r.line);
            Finding {
                rule: r.rule,
                file,
                line: r.line,
                fingerprint,
                message: r.message,
            }
        })
        .collect();
    // The same message twice at one place is one finding: cargo reports a
    // lint once per target that compiles the line (`--all-targets`).
    out.sort();
    out.dedup();
    out
}

/// Whether `output` shows the tool failed for a reason other than its
/// findings, which then cannot stand for the failure.
///
/// An error the parser cannot place is such a reason: rustc's errors with
/// no primary span (a missing `#[panic_handler]`, a crate it cannot find)
/// and tsc's errors with no `file(line,col)` (a file outside `rootDir`)
/// would otherwise leave only the baseline's known findings in sight, and
/// the failed gate would pass.
pub fn abnormal(format: FindingsFormat, output: &str) -> bool {
    match format {
        FindingsFormat::Clippy => {
            output.lines().any(|l| l.trim_end() == "Caused by:") || unplaced_rust_error(output)
        }
        FindingsFormat::Tsc => output.lines().any(|l| {
            let l = l.trim_start();
            (l.starts_with("error TS") || l.contains(": error TS")) && tsc(l).is_empty()
        }),
        FindingsFormat::Ruff | FindingsFormat::Eslint => false,
    }
}

/// Whether a `compiler-message` of level error has no primary span, other
/// than the closing "aborting due to" summary.
fn unplaced_rust_error(output: &str) -> bool {
    compiler_messages(output).any(|m| {
        m.level.starts_with("error")
            && !m.spans.iter().any(|s| s.is_primary)
            && !m.message.starts_with("aborting due to")
    })
}

fn normalise(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn fingerprint(rule: &str, file: &str, lines: &[String], line: u32) -> String {
    let at = |n: i64| -> &str {
        usize::try_from(n - 1)
            .ok()
            .and_then(|i| lines.get(i))
            .map_or("", String::as_str)
    };
    let n = i64::from(line);
    let mut h = Sha256::new();
    for part in [rule, file, at(n - 1), at(n), at(n + 1)] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    let digest = h.finalize();
    crate::digest::hex(&digest[..8])
}

/// `cargo clippy --message-format=json`: a `compiler-message` a line; the
/// primary span locates it; messages without a span (the "aborting due
/// to" summary) are not findings.
fn clippy(output: &str) -> Vec<Raw> {
    compiler_messages(output)
        .filter_map(|m| {
            let span = m.spans.iter().find(|s| s.is_primary)?;
            Some(Raw {
                rule: m.code.map_or_else(|| m.level.clone(), |c| c.code),
                path: PathBuf::from(&span.file_name),
                line: span.line_start,
                message: m.message,
            })
        })
        .collect()
}

/// A `compiler-message` line of cargo's JSON output, the parts read here.
#[derive(Deserialize)]
struct CargoLine {
    reason: String,
    message: Option<CompilerMessage>,
}

#[derive(Deserialize)]
struct CompilerMessage {
    message: String,
    level: String,
    code: Option<CompilerCode>,
    spans: Vec<CompilerSpan>,
}

#[derive(Deserialize)]
struct CompilerCode {
    code: String,
}

#[derive(Deserialize)]
struct CompilerSpan {
    file_name: String,
    line_start: u32,
    is_primary: bool,
}

/// The compiler's messages in cargo's `--message-format=json` output; other
/// lines (progress, build-script output, text) are skipped.
fn compiler_messages(output: &str) -> impl Iterator<Item = CompilerMessage> + '_ {
    output
        .lines()
        .filter(|l| l.starts_with('{'))
        .filter_map(|l| serde_json::from_str::<CargoLine>(l).ok())
        .filter(|l| l.reason == "compiler-message")
        .filter_map(|l| l.message)
}

/// The JSON value that starts on the first line beginning with `open`
/// and ends on the last line beginning with `close`.
fn json_block(output: &str, open: char, close: char) -> Option<serde_json::Value> {
    let start = output
        .lines()
        .position(|l| l.trim_start().starts_with(open))?;
    let lines: Vec<&str> = output.lines().skip(start).collect();
    (1..=lines.len()).rev().find_map(|end| {
        let last = lines[end - 1].trim_end();
        if !last.ends_with(close) {
            return None;
        }
        serde_json::from_str(&lines[..end].join("\n")).ok()
    })
}

/// `ruff check --output-format=json`: an array of `{code, filename,
/// location: {row}, message}`.
fn ruff(output: &str) -> Vec<Raw> {
    let Some(serde_json::Value::Array(items)) = json_block(output, '[', ']') else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|i| {
            Some(Raw {
                rule: i["code"].as_str().unwrap_or("syntax-error").to_string(),
                path: PathBuf::from(i["filename"].as_str()?),
                line: u32::try_from(i["location"]["row"].as_u64()?).ok()?,
                message: i["message"].as_str().unwrap_or_default().to_string(),
            })
        })
        .collect()
}

/// `eslint -f json`: an array of `{filePath, messages: [{ruleId, line,
/// message}]}`; a message with no rule is a parse error.
fn eslint(output: &str) -> Vec<Raw> {
    let Some(serde_json::Value::Array(files)) = json_block(output, '[', ']') else {
        return Vec::new();
    };
    files
        .iter()
        .filter_map(|f| Some((f["filePath"].as_str()?, f["messages"].as_array()?)))
        .flat_map(|(path, messages)| {
            messages.iter().map(move |m| Raw {
                rule: m["ruleId"].as_str().unwrap_or("parse-error").to_string(),
                path: PathBuf::from(path),
                line: m["line"]
                    .as_u64()
                    .and_then(|l| u32::try_from(l).ok())
                    .unwrap_or(0),
                message: m["message"].as_str().unwrap_or_default().to_string(),
            })
        })
        .collect()
}

/// `tsc --pretty false`: `file(line,col): error TSnnnn: message`.
fn tsc(output: &str) -> Vec<Raw> {
    output
        .lines()
        .filter_map(|l| {
            let (loc, rest) = l.split_once("): ")?;
            let (path, pos) = loc.rsplit_once('(')?;
            let line = pos.split(',').next()?.parse().ok()?;
            let rest = rest
                .strip_prefix("error ")
                .or_else(|| rest.strip_prefix("warning "))?;
            let (code, message) = rest.split_once(": ")?;
            code.starts_with("TS").then(|| Raw {
                rule: code.to_string(),
                path: PathBuf::from(path),
                line,
                message: message.to_string(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A directory holding the sources and a recorded output of each tool,
    /// with `@ROOT@` (the directory the tools ran in when it was recorded)
    /// standing for it. Recorded from ruff 0.17.5, eslint 9.39.5,
    /// TypeScript 5.9.3 and clippy 0.1.95 (`src/gate/testdata/findings/`).
    fn recorded(name: &str) -> (tempfile::TempDir, String) {
        let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/gate/testdata/findings");
        let dir = tempfile::tempdir().unwrap();
        for f in ["app.py", "app.js", "app.ts"] {
            std::fs::copy(data.join(f), dir.path().join(f)).unwrap();
        }
        std::fs::create_dir(dir.path().join("src")).unwrap();
        std::fs::copy(data.join("src/lib.rs"), dir.path().join("src/lib.rs")).unwrap();
        let text = std::fs::read_to_string(data.join(name))
            .unwrap()
            .replace("@ROOT@", dir.path().to_str().unwrap());
        (dir, text)
    }

    fn summary(found: &[Finding]) -> Vec<String> {
        found
            .iter()
            .map(|f| format!("{} {}:{} {}", f.rule, f.file, f.line, f.message))
            .collect()
    }

    #[test]
    fn clippy_json_messages_among_cargo_progress() {
        let (dir, text) = recorded("clippy.json");
        let noisy = format!("    Checking app_crate v0.1.0\n{text}error: could not compile\n");
        let found = parse(FindingsFormat::Clippy, &noisy, dir.path(), dir.path());
        assert_eq!(
            summary(&found),
            ["clippy::needless_return src/lib.rs:2 unneeded `return` statement"]
        );
    }

    #[test]
    fn a_failed_build_script_that_prints_a_finding_is_no_finding() {
        // Recorded from a build script that prints a clippy message for
        // `src/lib.rs:2` and panics.
        let (dir, text) = recorded("clippy-build-script-failed.txt");
        assert!(text.contains("  {\"reason\":\"compiler-message\""));
        assert!(parse(FindingsFormat::Clippy, &text, dir.path(), dir.path()).is_empty());
        assert!(abnormal(FindingsFormat::Clippy, &text));
        let (_, lint) = recorded("clippy.json");
        assert!(!abnormal(FindingsFormat::Clippy, &lint));
        // An error rustc cannot place, beside a known finding: abnormal.
        let unplaced = format!(
            "{lint}\n{}\n",
            r#"{"reason":"compiler-message","message":{"message":"`#[panic_handler]` function required, but not found","level":"error","code":null,"spans":[]}}"#
        );
        assert!(abnormal(FindingsFormat::Clippy, &unplaced));
        let summary = format!(
            "{lint}\n{}\n",
            r#"{"reason":"compiler-message","message":{"message":"aborting due to 1 previous error","level":"error","code":null,"spans":[]}}"#
        );
        assert!(!abnormal(FindingsFormat::Clippy, &summary));
        // tsc: an error with no file(line,col) is abnormal, a placed one not.
        let placed =
            "src/a.ts(3,5): error TS2322: Type 'string' is not assignable to type 'number'.";
        assert!(!abnormal(FindingsFormat::Tsc, placed));
        let rootdir = "error TS6059: File '/x/b.ts' is not under 'rootDir' '/x/src'.";
        assert!(abnormal(
            FindingsFormat::Tsc,
            &format!("{placed}\n{rootdir}\n")
        ));
    }

    #[test]
    fn ruff_json() {
        let (dir, text) = recorded("ruff.json");
        let found = parse(FindingsFormat::Ruff, &text, dir.path(), dir.path());
        assert_eq!(
            summary(&found),
            [
                "E711 app.py:6 Comparison to `None` should be `cond is None`",
                "F401 app.py:1 `os` imported but unused",
            ]
        );
    }

    #[test]
    fn eslint_json() {
        let (dir, text) = recorded("eslint.json");
        let found = parse(FindingsFormat::Eslint, &text, dir.path(), dir.path());
        assert_eq!(
            summary(&found),
            [
                "eqeqeq app.js:3 Expected '===' and instead saw '=='.",
                "no-undef app.js:3 'undefined_var' is not defined.",
                "no-unused-vars app.js:1 'unused' is assigned a value but never used.",
            ]
        );
    }

    #[test]
    fn tsc_lines() {
        let (dir, text) = recorded("tsc.txt");
        assert!(!abnormal(FindingsFormat::Tsc, &text), "every error placed");
        let found = parse(FindingsFormat::Tsc, &text, dir.path(), dir.path());
        assert_eq!(
            summary(&found),
            [
                "TS2322 app.ts:1 Type 'string' is not assignable to type 'number'.",
                "TS2322 app.ts:3 Type 'string' is not assignable to type 'number'.",
                "TS2345 app.ts:5 Argument of type 'number' is not assignable to parameter of type 'string'.",
            ]
        );
    }

    #[test]
    fn a_fingerprint_survives_a_move_but_not_an_edit_of_its_lines() {
        let (dir, text) = recorded("tsc.txt");
        let before = parse(FindingsFormat::Tsc, &text, dir.path(), dir.path());
        let path = dir.path().join("app.ts");
        let source = std::fs::read_to_string(&path).unwrap();
        // Two lines added above: the same findings, two lines down.
        std::fs::write(&path, format!("// a\n\n{source}")).unwrap();
        let moved = text
            .replace("app.ts(1,", "app.ts(3,")
            .replace("app.ts(3,3)", "app.ts(5,3)");
        let moved = moved.replace("app.ts(5,3): error TS2345", "app.ts(7,3): error TS2345");
        let after = parse(FindingsFormat::Tsc, &moved, dir.path(), dir.path());
        let keys = |f: &[Finding]| f.iter().map(|f| f.fingerprint.clone()).collect::<Vec<_>>();
        assert_eq!(keys(&before), keys(&after));
        assert_eq!(after[0].line, 3);
        // The line itself edited: a new fingerprint.
        std::fs::write(&path, source.replace("\"one\"", "\"two\"")).unwrap();
        let edited = parse(FindingsFormat::Tsc, &text, dir.path(), dir.path());
        assert_ne!(edited[0].fingerprint, before[0].fingerprint);
        assert_eq!(edited[1].fingerprint, before[1].fingerprint);
    }
}
