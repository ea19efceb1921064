//! Quality gates: lint, type check, tests and the like, run by harness
//! itself, in parallel, with timeouts, and recorded as evidence.
//!
//! - [`spec`]: `[gates.NAME]` in `harness.toml` ([`GateConfig`]) and the
//!   resolved gate ([`GateSpec`]),
//! - [`detect`]: the gates of a project that configures none (Cargo, Python, Node),
//! - [`runner`]: processes, process groups, timeouts, Ctrl-C; [`run`] is
//!   the use case,
//! - [`Progress`]: the sink a caller passes to hear about a run as it goes,
//! - [`outcome`]: [`GateRun`] and [`GateReport`],
//! - [`evidence`]: the record under `.harness/gates/`,
//! - [`findings`] and [`baseline`]: linters' findings, and the recorded
//!   ones a gate may still report (`harness-agents gate baseline`),
//! - [`junit`] and [`github`]: output for CI systems.
//!
//! # Library use
//!
//! Other commands (`task done`, `harness-agents ci`) run gates through two calls:
//!
//! ```no_run
//! # fn main() -> harness::Result<()> {
//! use harness::gate::{self, RunOptions, Silent};
//! let project = harness::config::Project::discover(std::path::Path::new("."))?;
//! // Which gates: an agent's, the named ones, or the project's.
//! let specs = gate::select(&project, None, &[], None)?;
//! // Run them (a tokio runtime of its own) and record the evidence.
//! let report = gate::run(specs, &RunOptions::new(&project.root), &Silent)?;
//! if !report.passed {
//!     for failed in report.failed() {
//!         eprintln!("{}: {} (log: {:?})", failed.name, failed.summary(), failed.log_path);
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! [`GateReport`] (serialisable to JSON) holds the commit and dirty flag of
//! the tree the run saw and a [`GateRun`] per gate: name, kind, command,
//! exit code, timed out, duration, SHA-256 of the output, log path.
//! [`evidence::latest`] and [`evidence::last_clean_pass`] read runs back.
//!
//! # Which gates run
//!
//! With an agent, the gates its policy lists ([`Policy::gates`]): an entry
//! that names a `[gates.NAME]` table is that gate, any other entry is a
//! shell command. An agent that lists none, or no agent, gets the gates of
//! `harness.toml`, and a project with none gets the detected ones. Names
//! given on the command line pick among those (or any configured or
//! detected gate). With `--changed-since REV`, a gate with `when` globs runs
//! only when a matching file changed since REV.

pub mod baseline;
pub mod detect;
pub mod evidence;
pub mod findings;
pub mod github;
pub mod junit;
mod millis;
pub mod outcome;
mod progress;
pub mod runner;
pub mod spec;

use std::collections::BTreeSet;

use globset::{Glob, GlobSetBuilder};
use serde::Serialize;

pub use outcome::{GateReport, GateRun, GateStatus, RunSummary};
pub use progress::{Progress, Silent};
pub use runner::{Confine, RunOptions, run, run_async};
pub use spec::{CommandLine, GateConfig, GateKind, GateSpec, Origin};

use crate::config::Project;
use crate::diagnostic::{Code, Diagnostic, Provenance, suggest};
use crate::error::Result;
use crate::policy::Policy;

/// A gate that was considered, and whether it runs.
#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    #[serde(flatten)]
    pub spec: GateSpec,
    /// Why it does not run, when it does not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip: Option<String>,
}

/// The gates to run, in order.
pub fn select(
    project: &Project,
    agent: Option<&Policy>,
    names: &[String],
    changed_since: Option<&str>,
) -> Result<Vec<GateSpec>> {
    Ok(candidates(project, agent, names, changed_since)?
        .into_iter()
        .filter(|c| c.skip.is_none())
        .map(|c| c.spec)
        .collect())
}

/// Every gate [`select`] considers, with the reason it would be skipped:
/// what `harness-agents gate list` shows.
pub fn candidates(
    project: &Project,
    agent: Option<&Policy>,
    names: &[String],
    changed_since: Option<&str>,
) -> Result<Vec<Candidate>> {
    let base = base_gates(project, agent);
    let specs = if names.is_empty() {
        base
    } else {
        let mut picked: Vec<GateSpec> = Vec::new();
        for name in names {
            if picked.iter().any(|s| &s.name == name) {
                continue;
            }
            let found = base
                .iter()
                .find(|s| &s.name == name)
                .cloned()
                .or_else(|| configured(project).into_iter().find(|s| &s.name == name))
                .or_else(|| {
                    detect::detect(&project.root)
                        .into_iter()
                        .find(|s| &s.name == name)
                });
            match found {
                Some(spec) => picked.push(spec),
                None => return Err(unknown_gate(project, &base, name).into()),
            }
        }
        picked
    };
    let changed = match changed_since {
        Some(rev) if specs.iter().any(|s| !s.when.is_empty()) => {
            Some((rev, crate::git::changed_since(&project.root, Some(rev))?))
        }
        _ => None,
    };
    Ok(specs
        .into_iter()
        .map(|spec| {
            let skip = changed.as_ref().and_then(|(rev, files)| {
                let mut set = GlobSetBuilder::new();
                for g in &spec.when {
                    // Checked when harness.toml was read.
                    set.add(Glob::new(g).ok()?);
                }
                let set = set.build().ok()?;
                (!spec.when.is_empty() && !files.iter().any(|f| set.is_match(f)))
                    .then(|| format!("no file matching `when` changed since `{rev}`"))
            });
            Candidate { spec, skip }
        })
        .collect())
}

/// The agent's gates, else the configured ones, else the detected ones.
fn base_gates(project: &Project, agent: Option<&Policy>) -> Vec<GateSpec> {
    if let Some(policy) = agent {
        let gates = agent_gates(project, policy);
        if !gates.is_empty() {
            return gates;
        }
    }
    let configured = configured(project);
    if !configured.is_empty() {
        return configured;
    }
    detect::detect(&project.root)
}

fn configured(project: &Project) -> Vec<GateSpec> {
    project
        .config
        .gates
        .iter()
        .map(|(name, config)| {
            GateSpec::from_config(name, config, &project.root, config_origin(project, name))
        })
        .collect()
}

/// The line of `[gates.NAME]` in `harness.toml`, for provenance.
fn config_origin(project: &Project, name: &str) -> Origin {
    let quoted = format!("[gates.\"{name}\"]");
    let mut provenance = config_line(project, &format!("[gates.{name}]"));
    if provenance.line == 1 {
        provenance = config_line(project, &quoted);
    }
    Origin::Config { provenance }
}

/// Where the table `header` starts in `harness.toml` (line 1 when absent).
fn config_line(project: &Project, header: &str) -> Provenance {
    let path = project
        .config_path
        .clone()
        .unwrap_or_else(|| project.root.join(crate::config::FILE_NAME));
    let line = std::fs::read_to_string(&path)
        .ok()
        .and_then(|text| {
            text.lines()
                .position(|l| l.trim_start().starts_with(header))
        })
        .map_or(1, |i| i + 1);
    Provenance::new(project.relative(&path), line)
}

/// The gates an agent's policy lists, each a configured gate or a command;
/// `[policy.agents.NAME] gates` in `harness.toml` replaces the list.
fn agent_gates(project: &Project, policy: &Policy) -> Vec<GateSpec> {
    let overridden = project
        .config
        .policy
        .agents
        .get(&policy.agent)
        .and_then(|o| o.gates.as_ref());
    let entries: Vec<(String, Origin)> = match overridden {
        Some(list) => {
            let line = config_line(project, &format!("[policy.agents.{}]", policy.agent));
            list.iter()
                .map(|e| {
                    (
                        e.clone(),
                        Origin::Config {
                            provenance: line.clone(),
                        },
                    )
                })
                .collect()
        }
        None => policy
            .gates()
            .map(|(entry, rule)| {
                let origin = Origin::Agent {
                    agent: policy.agent.clone(),
                    provenance: Provenance::new(
                        project.relative(&rule.provenance.path),
                        rule.provenance.line,
                    ),
                };
                (entry.to_string(), origin)
            })
            .collect(),
    };
    let mut gates: Vec<GateSpec> = Vec::new();
    let mut names = BTreeSet::new();
    for (entry, origin) in entries {
        let entry = entry.trim();
        let spec = match project.config.gates.get(entry) {
            Some(config) => GateSpec::from_config(entry, config, &project.root, origin),
            None => {
                let base = spec::name_from_command(entry);
                let mut name = base.clone();
                let mut n = 2;
                while names.contains(&name) || project.config.gates.contains_key(&name) {
                    name = format!("{base}-{n}");
                    n += 1;
                }
                GateSpec::shell(name, entry, project.root.clone(), origin)
            }
        };
        if names.insert(spec.name.clone()) {
            gates.push(spec);
        }
    }
    gates
}

fn unknown_gate(project: &Project, base: &[GateSpec], name: &str) -> Diagnostic {
    let mut known: Vec<String> = base.iter().map(|s| s.name.clone()).collect();
    known.extend(project.config.gates.keys().cloned());
    known.extend(detect::detect(&project.root).into_iter().map(|s| s.name));
    known.sort();
    known.dedup();
    let mut d = Diagnostic::error(Code::UnknownGate, format!("no gate named `{name}`"));
    d = match suggest(name, known.iter().map(String::as_str)) {
        Some(s) => d.hint(format!(
            "did you mean `{s}`? `harness-agents gate list` shows every gate"
        )),
        None if known.is_empty() => d.hint("add a `[gates.NAME]` table to harness.toml"),
        None => d.hint(format!("known gates: {}", known.join(", "))),
    };
    d
}
