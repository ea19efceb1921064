//! Gate baselines: the findings a project's linters report at one commit,
//! recorded by a person (`harness-agents gate baseline`) so that a team can adopt
//! harness before it has fixed its lint backlog. A later run of a gate
//! with a baseline fails only on findings that are new relative to it,
//! matched by rule, file and fingerprint ([`super::findings`]), and says
//! how many recorded findings are gone.
//!
//! The file is `.harness/baseline.json`, committed (the `.gitignore`
//! harness keeps in `.harness/` lets it through). Like the other control
//! files it is the person's: the guard and the sandbox keep every agent out
//! of `.harness/`, the command refuses to record in an agent's environment,
//! `task done` reads the file as committed at the task's start, and
//! `harness-agents ci` reads it from the base of the range, so a branch cannot
//! add its own findings to the baseline it is judged by.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::findings::{self, Finding};
use super::outcome::GateStatus;
use super::progress::Progress;
use super::runner::RunOptions;
use crate::config::Project;
use crate::error::{Error, Result};
use crate::report::Report;

/// Where the baseline is, relative to the project root.
pub const PATH: &str = ".harness/baseline.json";

/// `.harness/.gitignore`: the run records (and this file) stay out of git,
/// the baseline not.
pub const GITIGNORE: &str = "*\n!baseline.json\n";

/// The recorded findings, by gate.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// The commit the findings were recorded at.
    pub commit: Option<String>,
    pub recorded_at: Option<jiff::Timestamp>,
    pub gates: BTreeMap<String, Vec<Finding>>,
}

/// A gate's findings set against its baseline.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Compared {
    /// Findings in the baseline.
    pub recorded: usize,
    /// Findings found now that the baseline holds.
    pub known: usize,
    /// Recorded findings not found now: fixed, or changed into new ones.
    pub gone: usize,
    /// Findings found now that the baseline does not hold.
    pub new: Vec<Finding>,
}

impl Baseline {
    /// Reads `text`, naming `path` in an error.
    pub fn parse(path: &Path, text: &str) -> Result<Baseline> {
        serde_json::from_str(text).map_err(|e| {
            Error::usage(format!(
                "`{}` is not a gate baseline ({e}); record it again with `harness-agents gate baseline`",
                path.display()
            ))
        })
    }

    /// The baseline in the work tree at `root`, if there is one.
    pub fn load(root: &Path) -> Result<Option<Baseline>> {
        let path = root.join(PATH);
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::parse(Path::new(PATH), &text).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io("read", path, e)),
        }
    }

    /// The baseline as committed at `rev`, if it was.
    pub fn at_commit(root: &Path, rev: &str) -> Result<Option<Baseline>> {
        let repo = crate::git::open(root)?;
        let commit = repo
            .revparse_single(rev)
            .and_then(|o| o.peel_to_commit())
            .map_err(|e| Error::usage(format!("no commit `{rev}`: {}", e.message())))?;
        // The project may sit in a subdirectory of its repository.
        let path = crate::git::prefix(root, &repo).join(PATH);
        match crate::git::read_at(&repo, commit.id(), &path)? {
            Some(bytes) => Self::parse(
                Path::new(&format!("{rev}:{PATH}")),
                &String::from_utf8_lossy(&bytes),
            )
            .map(Some),
            None => Ok(None),
        }
    }

    /// `found` (a gate's findings now) against the gate's recorded ones,
    /// each recorded finding matching at most one found now.
    pub fn compare(&self, gate: &str, found: &[Finding]) -> Option<Compared> {
        let recorded = self.gates.get(gate)?;
        let mut left: BTreeMap<(&str, &str, &str), usize> = BTreeMap::new();
        for f in recorded {
            *left.entry(f.key()).or_default() += 1;
        }
        let mut new = Vec::new();
        let mut known = 0;
        for f in found {
            match left.get_mut(&f.key()) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    known += 1;
                }
                _ => new.push(f.clone()),
            }
        }
        Some(Compared {
            recorded: recorded.len(),
            known,
            gone: left.values().sum(),
            new,
        })
    }
}

/// What `harness-agents gate baseline` recorded.
#[derive(Debug, Clone, Serialize)]
pub struct Recorded {
    pub path: String,
    pub commit: Option<String>,
    /// Whether the work tree had changes the commit does not hold.
    pub dirty: bool,
    pub gates: Vec<RecordedGate>,
    /// Findings in the baseline replaced, if there was one.
    pub previous: Option<usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RecordedGate {
    pub name: String,
    pub findings: usize,
}

impl Report for Recorded {
    fn text(&self) -> String {
        let total: usize = self.gates.iter().map(|g| g.findings).sum();
        let at = self
            .commit
            .as_deref()
            .map_or("no commit".to_string(), |c| c[..c.len().min(7)].to_string());
        let mut s = format!("recorded {total} finding(s) at {at} in {}", self.path);
        if let Some(n) = self.previous {
            let _ = write!(s, " (was {n})");
        }
        s.push('\n');
        for g in &self.gates {
            let _ = writeln!(s, "  {:<12} {} finding(s)", g.name, g.findings);
        }
        if self.dirty {
            s.push_str("note: the work tree has uncommitted changes; the findings are of the files as they are\n");
        }
        let _ = writeln!(
            s,
            "commit it, so that `task done` and `harness-agents ci` read it: git add {}",
            self.path
        );
        s
    }
}

/// Runs the selected gates that state a `findings` format and records
/// their findings as the baseline. Refused where an agent runs
/// (`agent_context`): the baseline says which failures are accepted, a
/// person's decision.
pub fn record(
    project: &Project,
    names: &[String],
    agent_context: Option<String>,
    progress: &dyn Progress,
) -> Result<Recorded> {
    if let Some(context) = agent_context {
        return Err(Error::usage(format!(
            "`gate baseline` records which findings are accepted, a person's decision: \
             it is refused where an agent runs ({context})"
        )));
    }
    let specs: Vec<_> = super::select(project, None, names, None)?
        .into_iter()
        .filter(|s| s.findings.is_some())
        .collect();
    if specs.is_empty() {
        return Err(Error::usage(
            "no gate states its findings format: add `findings = \"clippy\"` (or \"ruff\", \
             \"eslint\", \"tsc\") to a `[gates.NAME]` whose command prints them, e.g. \
             `cargo clippy --all-targets --message-format=json -- -D warnings`",
        ));
    }
    let formats: Vec<_> = specs.iter().map(|s| (s.findings, s.cwd.clone())).collect();
    let report = super::run(specs, &RunOptions::new(&project.root), progress)?;
    if report.interrupted {
        return Err(Error::usage("interrupted: no baseline recorded"));
    }
    let mut baseline = Baseline {
        commit: report.commit.clone(),
        recorded_at: Some(report.started_at),
        gates: BTreeMap::new(),
    };
    for (run, (format, cwd)) in report.gates.iter().zip(formats) {
        let Some(format) = format else { continue };
        let output = run
            .log_path
            .as_ref()
            .and_then(|log| std::fs::read(project.root.join(log)).ok())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        let found = findings::parse(format, &output, &project.root, &cwd);
        let unexplained = match run.status {
            GateStatus::Passed => false,
            GateStatus::Failed => found.is_empty() || findings::abnormal(format, &output),
            _ => true,
        };
        if unexplained {
            let log = run
                .log_path
                .as_ref()
                .map(|l| format!(" (see {})", crate::diagnostic::display_path(l)))
                .unwrap_or_default();
            return Err(Error::usage(format!(
                "gate `{}` {} with no {} findings to record{log}: a baseline holds findings, \
                 not a failing build; fix that first, or check the command prints {}",
                run.name,
                run.summary(),
                format_name(format),
                format_name(format)
            )));
        }
        baseline.gates.insert(run.name.clone(), found);
    }
    let previous = Baseline::load(&project.root)
        .ok()
        .flatten()
        .map(|b| b.gates.values().map(Vec::len).sum());
    let mut text = serde_json::to_string_pretty(&baseline)
        .map_err(|e| Error::usage(format!("cannot write the baseline: {e}")))?;
    text.push('\n');
    crate::fsutil::write_atomic(&project.root.join(PATH), text.as_bytes())?;
    unignore(&project.root)?;
    Ok(Recorded {
        path: PATH.to_string(),
        commit: baseline.commit,
        dirty: report.dirty,
        gates: baseline
            .gates
            .iter()
            .map(|(name, f)| RecordedGate {
                name: name.clone(),
                findings: f.len(),
            })
            .collect(),
        previous,
    })
}

fn format_name(format: super::spec::FindingsFormat) -> &'static str {
    use super::spec::FindingsFormat as F;
    match format {
        F::Clippy => "clippy JSON",
        F::Ruff => "ruff JSON",
        F::Eslint => "eslint JSON",
        F::Tsc => "tsc",
    }
}

/// `.harness/.gitignore` as [`GITIGNORE`], where it is harness's own `*`
/// of before baselines (a file a person wrote is left alone).
fn unignore(root: &Path) -> Result<()> {
    let path = root.join(".harness/.gitignore");
    match std::fs::read_to_string(&path) {
        Ok(text) if text != "*\n" => Ok(()),
        _ => crate::fsutil::write_atomic(&path, GITIGNORE.as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(rule: &str, print: &str, line: u32) -> Finding {
        Finding {
            rule: rule.into(),
            file: "src/lib.rs".into(),
            line,
            fingerprint: print.into(),
            message: String::new(),
        }
    }

    #[test]
    fn a_finding_matches_by_rule_file_and_fingerprint_once() {
        let base = Baseline {
            gates: BTreeMap::from([(
                "clippy".to_string(),
                vec![f("a", "1", 3), f("a", "1", 9), f("b", "2", 5)],
            )]),
            ..Baseline::default()
        };
        // One of two identical findings left, one moved, one new rule.
        let c = base
            .compare("clippy", &[f("a", "1", 30), f("c", "2", 5)])
            .unwrap();
        assert_eq!((c.recorded, c.known, c.gone), (3, 1, 2));
        assert_eq!(c.new, [f("c", "2", 5)]);
        // Twice the same finding where the baseline has it twice: known.
        let c = base
            .compare("clippy", &[f("a", "1", 1), f("a", "1", 2), f("a", "1", 4)])
            .unwrap();
        assert_eq!((c.known, c.new.len()), (2, 1));
        assert!(base.compare("ruff", &[]).is_none());
    }

    #[test]
    fn a_project_in_a_subdirectory_reads_its_own_committed_baseline() {
        let dir = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init(dir.path()).unwrap();
        let base = Baseline {
            gates: BTreeMap::from([("clippy".to_string(), vec![f("a", "1", 3)])]),
            ..Baseline::default()
        };
        let text = serde_json::to_string(&base).unwrap();
        let project = dir.path().join("services/chat");
        std::fs::create_dir_all(project.join(".harness")).unwrap();
        std::fs::write(project.join(PATH), &text).unwrap();
        let mut index = repo.index().unwrap();
        index
            .add_path(Path::new("services/chat/.harness/baseline.json"))
            .unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let who = git2::Signature::now("p", "p@example.com").unwrap();
        repo.commit(Some("HEAD"), &who, &who, "chore: baseline", &tree, &[])
            .unwrap();
        let read = Baseline::at_commit(&project, "HEAD")
            .unwrap()
            .expect("found");
        assert_eq!(read.gates["clippy"], [f("a", "1", 3)]);
        // The repository's top has none of its own.
        assert!(Baseline::at_commit(dir.path(), "HEAD").unwrap().is_none());
    }
}
