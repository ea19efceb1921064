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
/// the project's configured or detected ones, as `harness-agents gate run` does.
///
/// The gate baseline is read as committed at `started` (the commit the
/// task started from), never from the work tree the agent writes.
///
/// This is the one place `task done` runs gates.
pub fn run_gates(
    project: &Project,
    policy: &Policy,
    confine: Option<gate::Confine>,
    started: Option<&str>,
) -> Result<GateEvidence> {
    let specs = gate::select(project, Some(policy), &[], None)?;
    if specs.is_empty() {
        return Ok(GateEvidence::default());
    }
    let mut opts = gate::RunOptions::new(&project.root);
    opts.confine = confine;
    if let Some(rev) = started {
        opts.baseline =
            gate::baseline::Baseline::at_commit(&project.root, rev)?.map(std::sync::Arc::new);
    }
    let report = gate::run(specs, &opts, &gate::Silent)?;
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

/// The files a task changed since commit `since`, as harness can tell by
/// itself: the work tree against `HEAD` (staged, unstaged and untracked),
/// the paths of the task's own commits since `since` (`own` says which,
/// from a commit's message), and the gate inputs (`gate_inputs`) and files
/// the index hides (`skip-worktree`, `assume-unchanged`) whose content
/// differs from `since`'s, compared byte for byte. Other people's commits
/// are not the task's: a file only they changed, and left as they left it,
/// is not charged to it. Sorted paths relative to `root`.
pub fn task_changes(
    root: &Path,
    since: Option<&str>,
    own: &dyn Fn(&str) -> bool,
    gate_inputs: &[String],
) -> Result<Vec<String>, String> {
    let Some(since) = since else {
        return changed_since(root, None);
    };
    let text = |e: crate::error::Error| e.to_string();
    let mut out = changed_since(root, Some("HEAD"))?;
    let (mut mine, mut theirs) = (Vec::new(), Vec::new());
    for c in crate::git::commits_since(root, since).map_err(text)? {
        if own(&c.message) {
            mine.extend(c.paths);
        } else {
            theirs.extend(c.paths);
        }
    }
    let hidden = crate::git::differs_from(root, since, gate_inputs).map_err(text)?;
    let at_head = crate::git::differs_from(root, "HEAD", &hidden).map_err(text)?;
    for p in hidden {
        let only_theirs = theirs.contains(&p) && !mine.contains(&p) && !at_head.contains(&p);
        if !only_theirs {
            out.push(p);
        }
    }
    out.extend(mine);
    out.sort();
    out.dedup();
    Ok(out)
}

/// The files a task's gates read that a change could weaken: the project's
/// `harness.toml` and Makefiles, and every file a gate command names (a
/// script it runs, a config it passes), relative to `project`'s root.
pub fn gate_inputs(project: &Project, policy: &Policy) -> Vec<String> {
    let mut inputs: Vec<String> = [
        crate::config::FILE_NAME,
        "Makefile",
        "makefile",
        "GNUmakefile",
    ]
    .map(str::to_string)
    .to_vec();
    let specs = gate::select(project, Some(policy), &[], None).unwrap_or_default();
    for spec in specs {
        let words: Vec<String> = match &spec.command {
            gate::CommandLine::Argv(argv) => argv.clone(),
            gate::CommandLine::Shell(line) => line
                .split(|c: char| c.is_whitespace() || ";&|()<>'\"`=".contains(c))
                .map(str::to_string)
                .collect(),
        };
        let dir = project.relative(&spec.cwd).to_path_buf();
        for w in words {
            let rel = dir.join(w.trim_start_matches("./"));
            let safe = rel
                .components()
                .all(|c| matches!(c, std::path::Component::Normal(_)));
            if safe && !w.is_empty() && project.root.join(&rel).is_file() {
                inputs.push(display_path(&rel));
            }
        }
    }
    inputs.sort();
    inputs.dedup();
    inputs
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
