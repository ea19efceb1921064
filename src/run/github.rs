//! `harness-agents run --plan ID --emit github`: the plan's tasks as a GitHub
//! Actions workflow instead of on this machine. A matrix job runs each task
//! whose plan lists nothing it waits for (`harness-agents run --task ID`, on a
//! branch of its own); a last job merges those branches in task order and
//! runs `harness-agents ci`. GitHub schedules the jobs; harness adds no scheduler.

use std::fmt::Write as _;
use std::path::PathBuf;

use serde::Serialize;

use crate::config::Project;
use crate::diagnostic::display_path;
use crate::error::{Error, Result};
use crate::install::workflow::{Setup, SourceOverride};
use crate::report::Report;
use crate::task::{self, TaskStatus};

/// The workflow written.
#[derive(Debug, Clone, Serialize)]
pub struct Emitted {
    /// The file, relative to the project root.
    pub path: String,
    /// The tasks of its matrix.
    pub tasks: Vec<String>,
    /// Tasks left out because they wait for another task.
    pub waiting: Vec<String>,
}

impl Report for Emitted {
    fn text(&self) -> String {
        let mut s = format!(
            "wrote {} ({} task(s) in parallel)\n",
            self.path,
            self.tasks.len()
        );
        if !self.waiting.is_empty() {
            let _ = writeln!(
                s,
                "left for a later run, as they wait for others: {}",
                self.waiting.join(", ")
            );
        }
        s
    }
}

/// Writes `.github/workflows/harness-run-NNNN.yml` for plan `id` (approved
/// and unchanged); an existing file is replaced only with `force`.
pub fn emit(project: &Project, id: &str, force: bool) -> Result<Emitted> {
    let p = crate::plan::require_approved(project, id)?;
    let setup = Setup::new(project, &SourceOverride::default())?;
    let padded = p.padded_id();
    let tasks = task::Store::open(project).of_plan(p.id)?;
    let open: Vec<&task::Task> = tasks
        .iter()
        .filter(|t| matches!(t.status, TaskStatus::Pending | TaskStatus::Blocked))
        .collect();
    let (ready, waiting): (Vec<&task::Task>, Vec<&task::Task>) =
        open.into_iter().partition(|t| t.blocked_by.is_empty());
    if ready.is_empty() {
        return Err(Error::usage(format!(
            "plan {padded} has no open task to run; see `harness-agents status`"
        )));
    }
    let rel = PathBuf::from(format!(".github/workflows/harness-run-{padded}.yml"));
    let ids: Vec<String> = ready.iter().map(|t| t.id.clone()).collect();
    let text = workflow(&padded, &ids, &setup);
    let path = project.root.join(&rel);
    if path.exists() && !force {
        return Err(Error::usage(format!(
            "`{}` exists; pass --force to replace it",
            display_path(&rel)
        )));
    }
    crate::fsutil::write_atomic(&path, text.as_bytes())?;
    Ok(Emitted {
        path: display_path(&rel),
        tasks: ids,
        waiting: waiting.iter().map(|t| t.id.clone()).collect(),
    })
}

/// The workflow's text.
pub fn workflow(plan: &str, tasks: &[String], setup: &Setup) -> String {
    let matrix = tasks
        .iter()
        .map(|t| format!("\"{t}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let services = setup.github_job_services();
    let steps = setup.github_steps();
    format!(
        r#"# Runs the open tasks of plan {plan} as parallel jobs, each on a branch of
# its own, then merges them in task order and runs `harness-agents ci`. Written by
# `harness-agents run --plan {plan} --emit github`. The agents' CLIs need their own
# credentials (e.g. an ANTHROPIC_API_KEY secret for Claude Code).
name: harness-agents run {plan}

on:
  workflow_dispatch:

permissions:
  contents: write

jobs:
  task:
    runs-on: ubuntu-latest
{services}    strategy:
      fail-fast: false
      matrix:
        task: [{matrix}]
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
{steps}      - name: harness-agents run --task
        env:
          TASK: ${{{{ matrix.task }}}}
        run: |
          git config user.name "harness"
          git config user.email "harness@users.noreply.github.com"
          git checkout -b "harness/$TASK"
          harness-agents run --plan {plan} --task "$TASK"
          git push origin "harness/$TASK"

  merge:
    needs: task
    runs-on: ubuntu-latest
{services}    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
{steps}      - name: Merge the tasks in order
        run: |
          git config user.name "harness"
          git config user.email "harness@users.noreply.github.com"
          base=$(git rev-parse HEAD)
          git checkout -b "harness/plan-{plan}"
          for task in {list}; do
            git fetch origin "harness/$task"
            git merge --no-ff --no-edit FETCH_HEAD
          done
          harness-agents ci --base "$base"
          git push origin "harness/plan-{plan}"
"#,
        list = tasks.join(" ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_task_is_a_matrix_job_and_the_merge_follows_in_order() {
        let ci: crate::config::CiConfig =
            toml::from_str("harness_version = \"0.3.0\"\nservices = [\"redis\"]\n").unwrap();
        let setup = Setup::from_parts(
            std::path::Path::new("/nonexistent"),
            &ci,
            &SourceOverride::default(),
        )
        .unwrap();
        let text = workflow("0007", &["0007-1".into(), "0007-3".into()], &setup);
        // Both jobs install harness as `init --ci github` does, with the services.
        assert_eq!(text.matches("      - name: Install harness\n").count(), 2);
        assert_eq!(text.matches("    services:\n      redis:\n").count(), 2);
        assert!(text.contains("        task: [\"0007-1\", \"0007-3\"]\n"));
        assert!(text.contains("          TASK: ${{ matrix.task }}\n"));
        assert!(text.contains("harness-agents run --plan 0007 --task \"$TASK\""));
        assert!(text.contains("          for task in 0007-1 0007-3; do\n"));
        assert!(text.contains("    needs: task\n"));
    }
}
