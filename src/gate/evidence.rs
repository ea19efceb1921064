//! The record of gate runs under `.harness/gates/`: harness's own evidence
//! of what passed, on which commit, when.
//!
//! ```text
//! .harness/gates/
//!   20261122T002843.123Z-4711/   one directory per run, named by its id
//!     report.json                the GateReport
//!     cargo-test.log             each gate's full output (stdout and stderr)
//! ```
//!
//! Ids sort by time, so the newest run is the last id. `.harness/` gets a
//! `.gitignore` of `*` (all but the gate baseline) so the record never
//! shows up as a change in the project. Reports are replaced atomically but not synced to disk: a run
//! lost in a crash is one to run again, and an fsync would cost more than
//! harness's whole overhead on a run of quick gates.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::outcome::GateReport;
use crate::diagnostic::{Code, Diagnostic, display_path};
use crate::error::{Error, Result};
use crate::fsutil;

/// Where runs are recorded, relative to the project root.
pub const DIR: &str = ".harness/gates";
pub const REPORT_FILE: &str = "report.json";

/// A run's directory, created before its gates start so logs stream into it.
#[derive(Debug, Clone)]
pub struct RunDir {
    pub id: String,
    pub path: PathBuf,
    pub started: SystemTime,
}

impl RunDir {
    /// Creates a fresh directory for a run of the project at `root`.
    pub fn create(root: &Path) -> Result<RunDir> {
        let base = root.join(DIR);
        std::fs::create_dir_all(&base).map_err(|e| Error::io("create directory", &base, e))?;
        let ignore = root.join(".harness/.gitignore");
        fsutil::write_new(&ignore, super::baseline::GITIGNORE.as_bytes(), false)?;
        let started = SystemTime::now();
        let stamp: String = humantime::format_rfc3339_millis(started)
            .to_string()
            .chars()
            .filter(|c| !matches!(c, '-' | ':'))
            .collect();
        let pid = std::process::id();
        for n in 0.. {
            let id = match n {
                0 => format!("{stamp}-{pid}"),
                _ => format!("{stamp}-{pid}-{n}"),
            };
            let path = base.join(&id);
            match std::fs::create_dir(&path) {
                Ok(()) => return Ok(RunDir { id, path, started }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(Error::io("create directory", &path, e)),
            }
        }
        unreachable!("some run id is free")
    }

    /// The log file of a gate.
    pub fn log_path(&self, gate: &str) -> PathBuf {
        self.path.join(format!("{gate}.log"))
    }
}

/// Writes a run's report beside its logs.
pub fn record(root: &Path, report: &GateReport) -> Result<PathBuf> {
    let json = serde_json::to_vec_pretty(report).expect("reports serialise to JSON");
    let path = root.join(DIR).join(&report.id).join(REPORT_FILE);
    fsutil::write_atomic_unsynced(&path, &json)?;
    Ok(path)
}

/// The newest recorded run, if any.
pub fn latest(root: &Path) -> Result<Option<GateReport>> {
    match run_ids(root).last() {
        Some(id) => load(root, id).map(Some),
        None => Ok(None),
    }
}

/// The ids of every recorded run, oldest first.
pub fn run_ids(root: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(root.join(DIR)) else {
        return Vec::new();
    };
    let mut ids: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join(REPORT_FILE).is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    ids.sort();
    ids
}

/// A recorded run by id.
pub fn load(root: &Path, id: &str) -> Result<GateReport> {
    read_report(&root.join(DIR).join(id).join(REPORT_FILE))
}

/// The newest run in which gate `name` passed on `commit` with a clean
/// tree: what `task done` can accept as proof without running it again.
pub fn last_clean_pass(root: &Path, name: &str, commit: &str) -> Option<GateReport> {
    run_ids(root).iter().rev().find_map(|id| {
        let report = load(root, id).ok()?;
        let ok = report.commit.as_deref() == Some(commit)
            && !report.dirty
            && report.get(name).is_some_and(|g| g.status.passed());
        ok.then_some(report)
    })
}

fn read_report(path: &Path) -> Result<GateReport> {
    let text = fsutil::read_text(path)?;
    serde_json::from_str(&text).map_err(|e| {
        Diagnostic::error(
            Code::InvalidEvidence,
            format!("cannot read the gate record `{}`: {e}", display_path(path)),
        )
        .hint("delete it; the next `harness-agents gate run` records a new one")
        .into()
    })
}
