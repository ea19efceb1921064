//! The commit use cases: a range of history checked as CI checks it, and
//! one message checked as the commit-msg hook does.
//!
//! Plans are read as of the state the commits are judged against: for a
//! range, the plans directory as committed at its tip (exported to a
//! temporary directory, so what an uncommitted edit says never counts); for
//! a single message, the working tree, where the commit is being made.

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use super::{Checker, CommitInput, CommitVerdict, PlanLookup, StorePlans};
use crate::agent::Catalog;
use crate::config::Project;
use crate::error::{Error, Result};
use crate::git;
use crate::report::{BOLD, DIM, ERROR, HINT, OK, Report};

/// Which commits to check.
#[derive(Debug, Clone, Default)]
pub struct RangeSpec {
    /// `BASE..TIP`, or a tip alone (default `HEAD`).
    pub range: Option<String>,
    /// Check the commits after this revision.
    pub base: Option<String>,
    /// Follow only the first parent of merges.
    pub first_parent: bool,
}

/// The verdicts on a range of commits.
#[derive(Debug, Serialize)]
pub struct RangeReport {
    /// How the range was chosen, e.g. `merge base with origin/main..HEAD`.
    pub range: String,
    pub checked: usize,
    pub failed: usize,
    pub ignored: usize,
    pub commits: Vec<CommitVerdict>,
}

/// The plans as of one state of the repository.
pub struct Plans {
    pub lookup: Box<dyn PlanLookup>,
    /// Keeps an exported tree alive as long as the lookup reads it.
    _dir: Option<tempfile::TempDir>,
}

/// The plans in the working tree.
pub fn working_plans(project: &Project) -> Plans {
    Plans {
        lookup: Box::new(StorePlans::new(project)),
        _dir: None,
    }
}

/// The plans as committed at `tip`: the plans directory is exported from
/// the commit and read as a working tree would be.
pub fn plans_at(project: &Project, repo: &git2::Repository, tip: git2::Oid) -> Result<Plans> {
    let dir = tempfile::tempdir().map_err(|e| Error::io("create a temporary directory", ".", e))?;
    let rel = project.config.paths.plans.clone();
    // The plans directory relative to the repository, when the project is
    // a sub-directory of it.
    let repo_root = repo.workdir().unwrap_or(&project.root);
    let prefix = project
        .root
        .strip_prefix(repo_root)
        .unwrap_or(Path::new(""));
    git::export_dir(repo, tip, &prefix.join(&rel), dir.path())?;
    let at_tip = Project {
        root: dir.path().join(prefix),
        config_path: project.config_path.clone(),
        config: project.config.clone(),
    };
    Ok(Plans {
        lookup: Box::new(StorePlans::new(&at_tip)),
        _dir: Some(dir),
    })
}

/// Checks every commit of a range, with the plans as of its tip.
pub fn check_range(project: &Project, catalog: &Catalog, spec: &RangeSpec) -> Result<RangeReport> {
    let repo = git::open(&project.root)?;
    let range = git::range(&repo, spec.range.as_deref(), spec.base.as_deref())?;
    let plans = plans_at(project, &repo, range.tip)?;
    let checker = Checker::new(&project.config.commits, plans.lookup.as_ref(), catalog);
    let mut commits = Vec::new();
    git::walk(&repo, &range, spec.first_parent, |c| {
        let sha = c.id.to_string();
        let input = CommitInput {
            sha: &sha,
            message: &c.message,
            parents: c.parents,
        };
        commits.push(checker.check(&input, &mut || git::changed_paths(&repo, c.id))?);
        Ok(())
    })?;
    let tip = spec.range.as_deref().unwrap_or("HEAD");
    let tip = tip.split_once("..").map_or(tip, |(_, t)| t);
    Ok(RangeReport {
        range: format!(
            "{}..{}",
            range.base_from,
            if tip.is_empty() { "HEAD" } else { tip }
        ),
        checked: commits.len(),
        failed: commits.iter().filter(|c| !c.ok).count(),
        ignored: commits.iter().filter(|c| c.ignored.is_some()).count(),
        commits,
    })
}

/// Checks one commit message (`raw`, as git left it in the message file)
/// about to be committed in `project`: comments and everything below the
/// scissors line are dropped, plans come from the working tree, and the
/// paths an agent's commit changes are the staged ones.
pub fn check_message(project: &Project, catalog: &Catalog, raw: &str) -> Result<CommitVerdict> {
    let repo = git::open(&project.root).ok();
    let message = git::strip_comments(raw, git::comment_char(repo.as_ref()));
    let plans = working_plans(project);
    let checker = Checker::new(&project.config.commits, plans.lookup.as_ref(), catalog);
    let input = CommitInput {
        sha: "",
        message: &message,
        parents: 1,
    };
    checker.check(&input, &mut || match &repo {
        Some(r) => git::staged_paths(r),
        None => Ok(Vec::new()),
    })
}

impl CommitVerdict {
    /// The violations, one block each, as text.
    pub fn violations_text(&self, out: &mut String) {
        for x in &self.violations {
            let _ = writeln!(out, "  {ERROR}error[{}]{ERROR:#}: {}", x.rule, x.message);
            if let Some(part) = &x.part {
                let _ = writeln!(out, "    {DIM}|{DIM:#} {part}");
            }
            if let Some(hint) = &x.hint {
                let _ = writeln!(out, "    {HINT}= hint{HINT:#}: {hint}");
            }
        }
    }

    /// A failing commit and its violations, as text.
    pub fn text(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "{BOLD}{}{BOLD:#} {}",
            self.short_sha(),
            self.subject.trim_end()
        );
        self.violations_text(out);
    }
}

impl Report for RangeReport {
    /// The failing commits, then the summary line.
    fn text(&self) -> String {
        let mut s = String::new();
        for v in self.commits.iter().filter(|c| !c.ok) {
            v.text(&mut s);
        }
        let _ = writeln!(s, "{}", self.summary());
        s
    }
}

impl RangeReport {
    pub fn summary(&self) -> String {
        let (style, word) = if self.failed > 0 {
            (ERROR, "failed")
        } else {
            (OK, "ok")
        };
        format!(
            "{style}{word}{style:#}: {} commit(s) in {}: {} failed, {} ignored",
            self.checked, self.range, self.failed, self.ignored
        )
    }
}
