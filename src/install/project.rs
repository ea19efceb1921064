//! `init`: a new project's `harness.toml` (every field commented at its
//! default, then the gates found for the project's stack), the default
//! agents and the skills they load, and optionally a CI workflow. A file
//! that exists is kept unless `force` is given.

use std::fmt::Write as _;
use std::path::PathBuf;

use serde::Serialize;

use crate::agent::{DEFAULT_AGENTS, DEFAULT_SKILLS};
use crate::config::{FILE_NAME, Project};
use crate::diagnostic::{Code, Diagnostic, display_path};
use crate::error::Result;
use crate::fsutil::{self, Written};
use crate::gate;
use crate::install::workflow::{Provider, Setup, SourceOverride};
use crate::report::{DIM, OK, Report};

/// The `harness.toml` that `init` writes: every field, commented, at its default.
pub const DEFAULT_CONFIG: &str = include_str!("../../templates/harness.toml");

/// One file `init` wrote or kept.
#[derive(Debug, Serialize)]
pub struct InitFile {
    pub path: String,
    /// `created`, `overwritten` or `kept`.
    pub result: String,
    #[serde(skip)]
    written: Written,
}

/// What `init` did: the stack it found and each file it wrote or kept.
#[derive(Debug, Serialize)]
pub struct Init {
    /// The marker files of the stacks found, with the gates written for
    /// them (`[gates.*]` in the new `harness.toml`).
    pub stack: Vec<StackGate>,
    pub files: Vec<InitFile>,
}

#[derive(Debug, Serialize)]
pub struct StackGate {
    pub gate: String,
    pub command: String,
    pub reason: String,
}

/// The shipped agents whose gates `init` fits to the project's stack.
const FITTED_AGENTS: &[&str] = &["realtime-dev"];

/// `harness.toml` for the project at `root`: the commented defaults, then
/// the gates found for its stack and the shipped agents pointed at them, so
/// an agent written for a Python and Node stack runs this project's checks.
fn config_for(root: &std::path::Path) -> (String, Vec<StackGate>) {
    let detected = gate::detect::detect(root);
    let mut text = DEFAULT_CONFIG.to_string();
    if detected.is_empty() {
        return (text, Vec::new());
    }
    let quote = |s: &str| toml::Value::String(s.to_string()).to_string();
    let mut reasons: Vec<String> = Vec::new();
    let mut stack = Vec::new();
    for spec in &detected {
        let gate::Origin::Detected { reason, .. } = &spec.origin else {
            continue;
        };
        if !reasons.contains(reason) {
            reasons.push(reason.clone());
        }
        stack.push(StackGate {
            gate: spec.name.clone(),
            command: spec.command.to_string(),
            reason: reason.clone(),
        });
    }
    let _ = writeln!(
        text,
        "\n# Written by `harness-agents init` for what it found: {}.",
        reasons.join("; ")
    );
    for (spec, found) in detected.iter().zip(&stack) {
        let _ = writeln!(
            text,
            "[gates.{}]\ncommand = {}\nkind = {}\n",
            spec.name,
            quote(&found.command),
            quote(spec.kind.as_str())
        );
    }
    let names: Vec<String> = stack.iter().map(|g| quote(&g.gate)).collect();
    for agent in FITTED_AGENTS {
        let _ = writeln!(
            text,
            "# {agent}'s definition lists its own gates; in this project it runs these.\n[policy.agents.{agent}]\ngates = [{}]",
            names.join(", ")
        );
    }
    (text, stack)
}

/// Writes the starting files of a project: `harness.toml`, the default
/// agents in the first agent directory, and with `ci` the CI file that
/// runs `harness-agents ci` on pull requests, installing harness from `source` or
/// `[ci]`.
pub fn init(
    project: &Project,
    ci: Option<Provider>,
    source: &SourceOverride,
    force: bool,
) -> Result<Init> {
    let root = &project.root;
    // Before anything is written: a CI file without an install source
    // would not run.
    let workflow = match ci {
        Some(provider) => Some((provider, Setup::new(project, source)?.file(provider))),
        None => None,
    };
    let (mut config, stack) = config_for(root);
    if ci.is_some() {
        config = Setup::record(source, &config);
    }
    let mut files: Vec<(PathBuf, &str)> = vec![(root.join(FILE_NAME), &config)];
    if let Some((provider, text)) = &workflow {
        files.push((root.join(provider.path()), text));
    }
    let agents_dir = project
        .agent_dirs()
        .into_iter()
        .next()
        .unwrap_or_else(|| root.join("agents"));
    for (name, text) in DEFAULT_AGENTS {
        files.push((agents_dir.join(name), text));
    }
    let skills_dir = project
        .skill_dirs()
        .into_iter()
        .next()
        .unwrap_or_else(|| root.join(".claude/skills"));
    for (path, text) in DEFAULT_SKILLS {
        files.push((skills_dir.join(path), text));
    }
    let mut out = Vec::new();
    for (path, text) in &files {
        let written = fsutil::write_new(path, text.as_bytes(), force)?;
        out.push(InitFile {
            path: display_path(project.relative(path)),
            result: format!("{written:?}").to_lowercase(),
            written,
        });
    }
    // A kept harness.toml did not get the gates: say nothing about them.
    let stack = if out
        .first()
        .is_some_and(|f| matches!(f.written, Written::Kept))
    {
        Vec::new()
    } else {
        stack
    };
    Ok(Init { stack, files: out })
}

/// Warnings for the files harness keeps in the repository that the
/// project's `.gitignore` would ignore: `harness.toml`, the agents `init`
/// writes, plans and their records. An ignored file is never committed, so
/// CI, which reads policy and approvals from the base branch, and the rest
/// of the team never see it.
pub fn ignored_warnings(project: &Project) -> Vec<Diagnostic> {
    let plans = display_path(&project.config.paths.plans);
    let plans = plans.trim_end_matches('/');
    let agents = project
        .agent_dirs()
        .into_iter()
        .next()
        .unwrap_or_else(|| project.root.join("agents"));
    let agent = display_path(project.relative(&agents.join("realtime-dev.md")));
    let candidates = [
        FILE_NAME.to_string(),
        agent,
        format!("{plans}/0001-plan.md"),
        format!("{plans}/0001/tasks/0001-1.toml"),
        format!("{plans}/0001/approved/sha256-0.md"),
    ];
    let refs: Vec<&str> = candidates.iter().map(String::as_str).collect();
    crate::git::ignored(&project.root, &refs)
        .into_iter()
        .map(|path| {
            Diagnostic::warning(
                Code::IgnoredByGit,
                format!("git ignores `{path}`: it would never be committed, so CI and the team would not see it"),
            )
            .hint(format!(
                "`git check-ignore -v {path}` names the pattern; remove it from `.gitignore` or add `!{path}`"
            ))
        })
        .collect()
}

impl Report for Init {
    fn text(&self) -> String {
        let mut s = String::new();
        for g in &self.stack {
            let _ = writeln!(
                s,
                "{DIM}gate{DIM:#}        {}: {}  {DIM}({}){DIM:#}",
                g.gate, g.command, g.reason
            );
        }
        for f in &self.files {
            let path = &f.path;
            let _ = match f.written {
                Written::Created => writeln!(s, "{OK}created{OK:#}     {path}"),
                Written::Overwritten => writeln!(s, "{OK}overwrote{OK:#}   {path}"),
                Written::Kept => writeln!(
                    s,
                    "{DIM}kept{DIM:#}        {path} (exists; --force to overwrite)"
                ),
            };
        }
        s.push_str(
            "\nnext: `harness-agents agents validate`, then `harness-agents agents explain realtime-dev`\n",
        );
        s
    }
}
