//! `harness-agents ci` as a use case: every check a pull request must pass, in
//! one report.
//!
//! The policy step says where the policy was read: the range's base, never
//! the branch under test (see `commit::policy_at`). The steps share one
//! history walk: the commit verdicts are split into
//! the plans step (referenced plans approved and unchanged), the commits
//! step (messages and references) and the scope step (what agents changed).
//! The gates step runs the project's quality gates with `crate::gate`,
//! after the cheap checks, so a bad commit is reported even when the gates
//! take minutes.

use std::fmt::Write as _;

use serde::Serialize;

use crate::agent::Catalog;
use crate::commit::{self, CommitVerdict, RangeReport, RangeSpec};
use crate::config::Project;
use crate::diagnostic::{Diagnostic, display_path};
use crate::error::Result;
use crate::gate::{self, GateReport, Progress, RunOptions, github};
use crate::report::{BOLD, DIM, ERROR, OK, Report, WARNING};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StepStatus {
    Ok,
    Failed,
    Skipped,
}

#[derive(Debug, Serialize)]
pub struct Step {
    pub name: &'static str,
    pub status: StepStatus,
    pub summary: String,
}

/// Every check a pull request must pass, in one report.
#[derive(Debug, Serialize)]
pub struct CiReport {
    pub ok: bool,
    pub steps: Vec<Step>,
    /// Problems in the agent definitions.
    pub agents: Vec<Diagnostic>,
    pub commits: RangeReport,
    /// The gate run, when gates ran.
    pub gates: Option<GateReport>,
    /// The `harness-agents run` reports of the plans the commits reference, where
    /// this work tree holds them.
    pub runs: Vec<RunLink>,
}

/// A plan's run report (`.harness/runs/NNNN/run.md`).
#[derive(Debug, Serialize)]
pub struct RunLink {
    pub plan: String,
    pub path: String,
    #[serde(skip)]
    markdown: String,
}

/// The run reports of `plans` found under the project's `.harness/runs/`.
fn run_links(project: &Project, plans: &[String]) -> Vec<RunLink> {
    plans
        .iter()
        .filter_map(|id| {
            let padded = format!("{:04}", id.parse::<u64>().ok()?);
            let path = crate::run::report::runs_dir(&project.root, &padded).join("run.md");
            let markdown = std::fs::read_to_string(&path).ok()?;
            Some(RunLink {
                plan: padded,
                path: display_path(project.relative(&path)),
                markdown,
            })
        })
        .collect()
}

/// Which step a violation belongs to.
fn step_of(rule: &str) -> &'static str {
    match rule {
        "reference-unknown"
        | "reference-unapproved"
        | "reference-changed"
        | "reference-unreadable" => "plans",
        r if r.starts_with("agent-") => "scope",
        _ => "commits",
    }
}

fn failing<'a>(r: &'a RangeReport, step: &'a str) -> impl Iterator<Item = &'a CommitVerdict> {
    r.commits.iter().filter(move |c| {
        c.violations
            .iter()
            .any(|v| v.is_error() && step_of(v.rule) == step)
    })
}

/// Runs every check on the range `spec` of `project`: the agent
/// definitions of the branch (`catalog`, linted), the plans and commits the
/// history holds, what each commit changed, and (unless `gates` is `None`)
/// the quality gates, shown through the progress sink given.
///
/// Everything that decides is read as of the range's base, never from the
/// branch under test: the agents and `harness.toml` the commits are held
/// to, the approvals that count, and which gates run (in the work tree).
pub fn check(
    project: &Project,
    catalog: &Catalog,
    spec: &RangeSpec,
    gates: Option<&dyn Progress>,
) -> Result<CiReport> {
    let judging = commit::judging(project, spec)?;
    let range = judging.check(spec)?;
    let no_gates = gates.is_none();
    let mut steps = vec![Step {
        name: "policy",
        status: StepStatus::Ok,
        summary: range.policy.describe(),
    }];

    let errors = catalog.errors();
    steps.push(Step {
        name: "agents",
        status: if errors > 0 {
            StepStatus::Failed
        } else {
            StepStatus::Ok
        },
        summary: format!(
            "{} agent(s) in {} file(s), {errors} error(s)",
            catalog.agents.len(),
            catalog.files
        ),
    });

    let mut plans: Vec<String> = range
        .commits
        .iter()
        .flat_map(|c| c.references.iter().filter_map(|r| r.plan_id()))
        .map(str::to_string)
        .collect();
    plans.sort();
    plans.dedup();
    let bad_plans = failing(&range, "plans").count();
    steps.push(Step {
        name: "plans",
        status: if bad_plans > 0 {
            StepStatus::Failed
        } else {
            StepStatus::Ok
        },
        summary: if plans.is_empty() {
            "no plan referenced".to_string()
        } else {
            format!(
                "{} plan(s) referenced ({}); {bad_plans} commit(s) name a plan that is not approved and unchanged",
                plans.len(),
                plans.join(", ")
            )
        },
    });

    let bad_commits = failing(&range, "commits").count();
    steps.push(Step {
        name: "commits",
        status: if bad_commits > 0 {
            StepStatus::Failed
        } else {
            StepStatus::Ok
        },
        summary: format!(
            "{} commit(s) in {}: {bad_commits} failed, {} ignored",
            range.checked, range.range, range.ignored
        ),
    });

    let by_agents = range
        .commits
        .iter()
        .filter(|c| c.agent.is_some() && !c.default_agent)
        .count();
    let bad_scope = failing(&range, "scope").count();
    steps.push(Step {
        name: "scope",
        status: if bad_scope > 0 {
            StepStatus::Failed
        } else {
            StepStatus::Ok
        },
        summary: format!(
            "{} commit(s), {by_agents} by agents, {bad_scope} out of scope",
            range.checked
        ),
    });

    let gates = match gates {
        None => None,
        Some(progress) => {
            // The base's gates, run on the branch's work tree.
            let at_base = Project {
                root: project.root.clone(),
                config_path: project.config_path.clone(),
                config: judging.policy.project.config.clone(),
                files: project.files.clone(),
            };
            // With no gates configured at the base, they are detected from
            // the base's files too: a branch that rewrites its package.json
            // scripts or removes its Cargo.toml does not pick its own gates.
            let specs = if at_base.config.gates.is_empty() && judging.has_base() {
                judging.with_base_files(|read| gate::detect::detect_in(&project.root, read))?
            } else {
                gate::select(&at_base, None, &[], None)?
            };
            // The baseline too is the base's: a branch cannot accept its
            // own findings by recording them.
            let baseline = judging
                .with_base_files(|read| read(gate::baseline::PATH))?
                .map(|bytes| {
                    gate::baseline::Baseline::parse(
                        std::path::Path::new(gate::baseline::PATH),
                        &String::from_utf8_lossy(&bytes),
                    )
                })
                .transpose()?;
            if specs.is_empty() {
                None
            } else {
                let opts = RunOptions {
                    baseline: baseline.map(std::sync::Arc::new),
                    ..RunOptions::new(&project.root)
                };
                Some(gate::run(specs, &opts, progress)?)
            }
        }
    };
    steps.push(match &gates {
        None => Step {
            name: "gates",
            status: StepStatus::Skipped,
            summary: if no_gates {
                "skipped (--no-gates)".to_string()
            } else {
                "no gates configured or detected".to_string()
            },
        },
        Some(r) => {
            let failed: Vec<&str> = r.failed().map(|g| g.name.as_str()).collect();
            let (recorded, gone) = r
                .gates
                .iter()
                .filter_map(|g| g.baseline.as_ref())
                .fold((0, 0), |(n, g), b| (n + b.recorded, g + b.gone));
            let baselined = r.gates.iter().any(|g| g.baseline.is_some());
            let tail = if baselined {
                format!(" (baseline: {recorded} finding(s) recorded, {gone} gone)")
            } else {
                String::new()
            };
            Step {
                name: "gates",
                status: if r.passed {
                    StepStatus::Ok
                } else {
                    StepStatus::Failed
                },
                summary: if failed.is_empty() {
                    format!("{} gate(s) passed{tail}", r.gates.len())
                } else {
                    format!(
                        "{} of {} gate(s) failed: {}{tail}",
                        failed.len(),
                        r.gates.len(),
                        failed.join(", ")
                    )
                },
            }
        }
    });

    let ok = steps.iter().all(|s| s.status != StepStatus::Failed);
    Ok(CiReport {
        ok,
        steps,
        agents: catalog.diagnostics.clone(),
        commits: range,
        gates,
        runs: run_links(project, &plans),
    })
}

impl Report for CiReport {
    /// The problems found, then one line a step.
    fn text(&self) -> String {
        let (steps, agents, range, gates) = (
            &self.steps,
            &self.agents,
            &self.commits,
            self.gates.as_ref(),
        );
        let mut s = String::new();
        for d in agents {
            let _ = writeln!(s, "{d}");
        }
        for c in range.commits.iter().filter(|c| !c.violations.is_empty()) {
            c.text(&mut s);
        }
        for g in gates.iter().flat_map(|r| r.failed()) {
            let _ = writeln!(
                s,
                "{BOLD}gate {}{BOLD:#}: `{}` {}",
                g.name,
                g.command,
                g.summary()
            );
            for extra in [&g.reason, &g.hint].into_iter().flatten() {
                let _ = writeln!(s, "  {extra}");
            }
            if let Some(log) = &g.log_path {
                let _ = writeln!(s, "  {DIM}log: {}{DIM:#}", display_path(log));
            }
        }
        if !s.is_empty() {
            s.push('\n');
        }
        for step in steps {
            let (style, word) = match step.status {
                StepStatus::Ok => (OK, "ok"),
                StepStatus::Failed => (ERROR, "failed"),
                StepStatus::Skipped => (WARNING, "skipped"),
            };
            let _ = writeln!(
                s,
                "{style}{word:<8}{style:#}{BOLD}{:<9}{BOLD:#}{DIM}{}{DIM:#}",
                step.name, step.summary
            );
        }
        for run in &self.runs {
            let _ = writeln!(
                s,
                "{DIM}run report for plan {}: {}{DIM:#}",
                run.plan, run.path
            );
        }
        s
    }
}

impl CiReport {
    /// GitHub workflow commands that annotate the pull request.
    pub fn annotations(&self) -> String {
        let (agents, range) = (&self.agents, &self.commits);
        let mut s = String::new();
        for d in agents {
            let level = if d.is_error() { "error" } else { "warning" };
            let mut props = Vec::new();
            if let Some(span) = &d.span {
                props.push(format!(
                    "file={}",
                    github::property(&display_path(&span.path))
                ));
                props.push(format!("line={}", span.line));
                props.push(format!("col={}", span.col));
            }
            props.push(format!("title={}", github::property(d.code.as_str())));
            let mut msg = d.message.clone();
            if let Some(h) = &d.hint {
                msg.push_str("\nhint: ");
                msg.push_str(h);
            }
            let _ = writeln!(s, "::{level} {}::{}", props.join(","), github::data(&msg));
        }
        for c in &range.commits {
            for v in &c.violations {
                let title = format!("commit {} ({})", c.short_sha(), v.rule);
                let mut msg = format!("{}\n{}", c.subject, v.message);
                if let Some(p) = &v.part {
                    let _ = write!(msg, ": {p}");
                }
                let _ = writeln!(
                    s,
                    "::{} title={}::{}",
                    v.level.as_str(),
                    github::property(&title),
                    github::data(&msg)
                );
            }
        }
        s
    }

    /// The job summary, as Markdown.
    pub fn markdown(&self) -> String {
        let (steps, range) = (&self.steps, &self.commits);
        let mut s =
            String::from("## harness-agents ci\n\n| step | status | summary |\n|---|---|---|\n");
        for step in steps {
            let mark = match step.status {
                StepStatus::Ok => "✅ ok",
                StepStatus::Failed => "❌ failed",
                StepStatus::Skipped => "⏭️ skipped",
            };
            let _ = writeln!(
                s,
                "| {} | {mark} | {} |",
                step.name,
                markdown_cell(&step.summary)
            );
        }
        let failed: Vec<_> = range.commits.iter().filter(|c| !c.ok).collect();
        if !failed.is_empty() {
            s.push_str(
            "\n### Failing commits\n\n| commit | subject | rule | problem |\n|---|---|---|---|\n",
        );
            for c in failed {
                for v in &c.violations {
                    let problem = match &v.part {
                        Some(p) => format!("{}: `{}`", v.message, p.replace('`', "'")),
                        None => v.message.clone(),
                    };
                    let _ = writeln!(
                        s,
                        "| `{}` | {} | `{}` | {} |",
                        c.short_sha(),
                        markdown_cell(&c.subject),
                        v.rule,
                        markdown_cell(&problem)
                    );
                }
            }
        }
        for run in &self.runs {
            // The report's own headings sit below this summary's.
            let body: Vec<String> = run
                .markdown
                .lines()
                .map(
                    |l| match l.strip_prefix("# ").or_else(|| l.strip_prefix("## ")) {
                        Some(title) => format!("#### {title}"),
                        None => l.to_string(),
                    },
                )
                .collect();
            let body = body.join("\n");
            let _ = write!(
                s,
                "\n<details><summary>harness-agents run: plan {} ({})</summary>\n\n{}\n</details>\n",
                run.plan,
                run.path,
                body.trim_end()
            );
        }
        s.push('\n');
        s
    }
}

fn markdown_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_commands_are_escaped() {
        assert_eq!(github::data("a%b\nc"), "a%25b%0Ac");
        assert_eq!(github::property("a:b,c"), "a%3Ab%2Cc");
    }
}
