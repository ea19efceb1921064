//! Evidence for `task done`, gathered by harness itself: the owner agent's
//! quality gates run and timed, and the files changed since the task started
//! checked against the plan's Files to Change.
//!
//! [`run_gates`] is the one entry point for running gates; it hands them to
//! the parallel gate runner and keeps what a task's evidence needs.

use std::path::Path;

use super::task::ScopeCheck;
use crate::config::Project;
use crate::diagnostic::display_path;
use crate::error::Result;
use crate::gate;
use crate::plan::Scope;
use crate::policy::Policy;

/// The outcome of running a set of gates.
#[derive(Debug, Clone, Default)]
pub struct GateEvidence {
    pub runs: Vec<gate::RunSummary>,
}

impl GateEvidence {
    pub fn passed(&self) -> bool {
        self.runs.iter().all(|r| r.passed)
    }
}

/// Runs the quality gates of `policy` (the task owner's) for `project`,
/// through the gate runner (`crate::gate`): in parallel, with timeouts, each
/// run recorded under `.harness/gates/`. An agent that lists no gates gets
/// the project's configured or detected ones, as `harness gate run` does.
///
/// This is the one place `task done` runs gates.
pub fn run_gates(project: &Project, policy: &Policy) -> Result<GateEvidence> {
    let specs = gate::select(project, Some(policy), &[], None)?;
    if specs.is_empty() {
        return Ok(GateEvidence::default());
    }
    let report = gate::run(specs, &gate::RunOptions::new(&project.root), &gate::Silent)?;
    let runs = report.gates.iter().map(gate::RunSummary::from).collect();
    Ok(GateEvidence { runs })
}

/// Files changed since commit `since` (or since the empty tree), counting
/// staged, unstaged and untracked changes, as sorted paths relative to the
/// project root. An error when `root` is not in a git repository.
pub fn changed_since(root: &Path, since: Option<&str>) -> Result<Vec<String>, String> {
    let files = crate::git::changed_since(root, since).map_err(|e| e.to_string())?;
    let mut out: Vec<String> = files.iter().map(|f| display_path(f)).collect();
    out.sort();
    Ok(out)
}

/// Checks `changed` against `scope`, ignoring harness's own files under
/// `ignored` prefixes (the plans directory, `.harness/`).
pub fn check_scope(changed: &[String], scope: &Scope, ignored: &[String]) -> ScopeCheck {
    let changed: Vec<String> = changed
        .iter()
        .filter(|p| !ignored.iter().any(|i| p.starts_with(i.as_str())))
        .cloned()
        .collect();
    let outside = changed
        .iter()
        .filter(|p| !scope.contains(p))
        .cloned()
        .collect();
    ScopeCheck { changed, outside }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_check_ignores_harness_files() {
        let (scope, _) = Scope::build(Path::new("p.md"), &[("src/**".to_string(), 1)]);
        let changed = vec![
            "plans/0001/tasks/0001-1.toml".to_string(),
            "src/a.rs".into(),
            "README.md".into(),
        ];
        let c = check_scope(&changed, &scope, &["plans/".to_string()]);
        assert_eq!(c.changed, ["src/a.rs", "README.md"]);
        assert_eq!(c.outside, ["README.md"]);
        assert!(!c.passed());
    }
}
