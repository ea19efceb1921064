//! The commit use cases: a range of history checked as CI checks it, and
//! one message checked as the commit-msg hook does.
//!
//! A range is judged by the policy of its base and the plans as of its tip
//! (read from the repository into memory, so neither the branch under test
//! nor an uncommitted edit decides; see [`super::base`]); a single message
//! by the working tree, where the commit is being made.

use std::fmt::Write as _;

use serde::Serialize;

use super::base::{BasePolicy, LazyPlans, PolicySource, policy_at};
use super::{Agents, Checker, CommitInput, CommitVerdict, StorePlans};
use crate::agent::Catalog;
use crate::config::{CommitsConfig, Project};
use crate::error::{Error, Result};
use crate::git;
use crate::report::{BOLD, DIM, ERROR, HINT, OK, Report, WARNING};

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
    /// Where the policy the commits were judged by was read.
    pub policy: PolicySource,
    /// What to do when the range held nothing to check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub checked: usize,
    pub failed: usize,
    /// Commits that pass with warnings.
    pub warned: usize,
    pub ignored: usize,
    pub commits: Vec<CommitVerdict>,
}

/// A range resolved, and the policy of its base: what [`check_range`]
/// judges by, and what `harness-agents ci` takes its gates from.
pub struct Judging {
    repo: git2::Repository,
    range: git::Range,
    pub policy: BasePolicy,
}

impl Judging {
    /// Whether the range has a base to read policy from (a range from the
    /// first commit has none).
    pub fn has_base(&self) -> bool {
        self.range.hide.is_some()
    }

    /// Reads the project's files as of the range's base with `read`, a
    /// function of a path relative to the project root giving its bytes
    /// (`None` when the base has no such file, or there is no base).
    ///
    /// A file that cannot be read (an object missing, or one that does not
    /// match its id) is an error, not an absent file: the gates it would
    /// name must not quietly go unrun.
    pub fn with_base_files<T>(
        &self,
        read: impl FnOnce(&dyn Fn(&str) -> Option<Vec<u8>>) -> T,
    ) -> Result<T> {
        let at_base = self
            .range
            .hide
            .map(|base| git::CommitFiles::new(&self.repo, base));
        let failed: std::cell::RefCell<Option<Error>> = std::cell::RefCell::new(None);
        let file = |rel: &str| match at_base.as_ref()?.read(&self.policy.prefix.join(rel)) {
            Ok(bytes) => bytes,
            Err(e) => {
                failed.borrow_mut().get_or_insert(e);
                None
            }
        };
        let out = read(&file);
        match failed.into_inner() {
            Some(e) => Err(e),
            None => Ok(out),
        }
    }
}

/// Resolves the range `spec` of `project` and reads its base's policy.
pub fn judging(project: &Project, spec: &RangeSpec) -> Result<Judging> {
    let (repo, range) = resolve(project, spec)?;
    let policy = policy_at(project, &repo, range.hide)?;
    Ok(Judging {
        repo,
        range,
        policy,
    })
}

fn resolve(project: &Project, spec: &RangeSpec) -> Result<(git2::Repository, git::Range)> {
    let repo = git::open(&project.root)?;
    let range = git::range(&repo, spec.range.as_deref(), spec.base.as_deref())?;
    Ok((repo, range))
}

/// Checks every commit of a range with the policy as of its base and the
/// plans as of its tip (see [`super::base`]). The history is read while
/// the policy is: neither waits for the other.
pub fn check_range(project: &Project, spec: &RangeSpec) -> Result<RangeReport> {
    let (repo, range) = resolve(project, spec)?;
    // The walk takes the repository already open and starts reading at
    // once; the policy is read through a second one meanwhile.
    let walk = git::Walk::start_with(repo, &range, spec.first_parent);
    let repo = git::open(&project.root)?;
    let policy = policy_at(project, &repo, range.hide)?;
    Judging {
        repo,
        range,
        policy,
    }
    .check_walk(spec, walk)
}

impl Judging {
    /// Checks every commit of the range.
    pub fn check(&self, spec: &RangeSpec) -> Result<RangeReport> {
        let walk = git::Walk::start(&self.repo, &self.range, spec.first_parent);
        self.check_walk(spec, walk)
    }

    /// Checks the commits of `walk`, a walk of this range.
    fn check_walk(&self, spec: &RangeSpec, walk: git::Walk) -> Result<RangeReport> {
        let (repo, range, policy) = (&self.repo, &self.range, &self.policy);
        let plans = LazyPlans::new(|| policy.plans(repo, range.tip, policy.branch_approvals()));
        let prefix = &policy.prefix;
        let checker = Checker::new(&policy.project.config.commits, &plans, &policy.catalog)
            .held_to(&policy.project.config, policy.project_rules.clone())
            .in_subdirectory(!prefix.as_os_str().is_empty());
        let commits = walk.each(|c| {
            let sha = c.id.to_string();
            let input = CommitInput {
                sha: &sha,
                message: &c.message,
                parents: c.parents,
            };
            checker.check(&input, &mut || {
                git::changed_paths(repo, c.id, spec.first_parent)
                    .map(|paths| git::relative_to(prefix, paths))
            })
        })?;
        plans.finish(|| policy.check_plans(repo, range.tip))?;
        let tip = spec.range.as_deref().unwrap_or("HEAD");
        let tip = tip.split_once("..").map_or(tip, |(_, t)| t);
        let tip = if tip.is_empty() { "HEAD" } else { tip };
        let note = (commits.is_empty() && Some(range.tip) == range.hide).then(|| {
            format!(
                "nothing to check: `{tip}` is where the range starts ({}); name the commits, e.g. `harness-agents commits check main~3..{tip}` or `--base REV`",
                range.base_from
            )
        });
        Ok(RangeReport {
            range: format!("{}..{tip}", range.base_from),
            policy: policy.source.clone(),
            note,
            checked: commits.len(),
            failed: commits.iter().filter(|c| !c.ok).count(),
            warned: commits.iter().filter(|c| c.ok && c.warned()).count(),
            ignored: commits.iter().filter(|c| c.ignored.is_some()).count(),
            commits,
        })
    }
}

/// Checks one commit message (`raw`, as git left it in the message file)
/// about to be committed in `project`: comments and everything below the
/// scissors line are dropped, plans come from the working tree, and the
/// paths an agent's commit changes are the staged ones. Without a
/// `catalog`, agent definitions are read only if the message needs them.
pub fn check_message(
    project: &Project,
    catalog: Option<&Catalog>,
    raw: &str,
) -> Result<CommitVerdict> {
    let (commits, imported) = super::commitlint::working(project)?;
    check_message_under(project, catalog, raw, &commits, imported.as_ref())
}

/// [`check_message`] under commit rules read earlier (`commits`, and the
/// commitlint config they came from): `harness-agents run` reads them before any
/// agent runs, so nothing an agent writes (a `commitlint` key in
/// `package.json`) relaxes the rules its own commit is checked by.
pub fn check_message_under(
    project: &Project,
    catalog: Option<&Catalog>,
    raw: &str,
    commits: &CommitsConfig,
    imported: Option<&super::commitlint::Imported>,
) -> Result<CommitVerdict> {
    let repo = git::open(&project.root).ok();
    let message = git::strip_comments(raw, git::comment_char(repo.as_ref()));
    let plans = StorePlans::new(project);
    let agents = match catalog {
        Some(catalog) => Agents::Given(catalog),
        None => Agents::on_demand(project),
    };
    let prefix = repo.as_ref().map(|r| git::prefix(&project.root, r));
    let checker = Checker::with_agents(commits, &plans, agents)
        .in_subdirectory(prefix.as_ref().is_some_and(|p| !p.as_os_str().is_empty()));
    let input = CommitInput {
        sha: "",
        message: &message,
        parents: 1,
    };
    let mut verdict = checker.check(&input, &mut || match (&repo, &prefix) {
        (Some(r), Some(prefix)) => {
            git::staged_paths(r).map(|paths| git::relative_to(prefix, paths))
        }
        _ => Ok(Vec::new()),
    })?;
    // What the commitlint config asked for and harness cannot check is
    // shown with the verdict, never dropped.
    for w in imported.iter().flat_map(|c| &c.warnings) {
        verdict
            .violations
            .push(super::Violation::new("commitlint-config", w.clone(), None::<String>).warning());
    }
    Ok(verdict)
}

impl CommitVerdict {
    /// The violations, one block each, as text.
    pub fn violations_text(&self, out: &mut String) {
        for x in &self.violations {
            let style = if x.is_error() { ERROR } else { WARNING };
            let _ = writeln!(
                out,
                "  {style}{}[{}]{style:#}: {}",
                x.level.as_str(),
                x.rule,
                x.message
            );
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
    /// The failing commits and those with warnings, then the summary line.
    fn text(&self) -> String {
        let mut s = String::new();
        for w in &self.policy.warnings {
            let _ = writeln!(s, "{WARNING}warning{WARNING:#}: {w}");
        }
        for v in self.commits.iter().filter(|c| !c.violations.is_empty()) {
            v.text(&mut s);
        }
        if let Some(note) = &self.note {
            let _ = writeln!(s, "{HINT}note{HINT:#}: {note}");
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
            "{style}{word}{style:#}: {} commit(s) in {}: {} failed, {}{} ignored",
            self.checked,
            self.range,
            self.failed,
            if self.warned > 0 {
                format!("{} with warnings, ", self.warned)
            } else {
                String::new()
            },
            self.ignored
        )
    }
}
