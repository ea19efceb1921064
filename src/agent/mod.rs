//! Agent definitions: Markdown files with YAML front matter in Claude Code's
//! subagent format, found in the project's agent directories.
//!
//! - [`frontmatter`] cuts a file in two and loads the YAML,
//! - [`markdown`] reads the body's policy facts,
//! - [`definition`] types the fields into an [`AgentDefinition`],
//! - [`validate`] checks a definition, and [`Catalog`] a whole set.

mod report;
pub use report::{AgentList, ListEntry, Validation};
pub mod definition;
pub mod frontmatter;
pub mod markdown;
pub mod skill;
pub mod tools;
pub mod validate;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use definition::{AgentDefinition, HarnessBlock, Parsed};
pub use tools::ToolSpec;

use crate::config::Project;
use crate::diagnostic::{Code, Diagnostic, Span, suggest};
use crate::error::{Error, Result};
use crate::files::{Files, Kind};
use crate::fsutil;

/// The agents harness embeds as the defaults `harness-agents init` installs.
pub const DEFAULT_AGENTS: &[(&str, &str)] = &[
    (
        "realtime-dev.md",
        include_str!("../../agents/realtime-dev.md"),
    ),
    (
        "realtime-engineer.md",
        include_str!("../../agents/realtime-engineer.md"),
    ),
];

/// The skills the default agents load, as `harness-agents init` installs them
/// under the project's first skill directory: `(path inside it, text)`.
pub const DEFAULT_SKILLS: &[(&str, &str)] = &[
    (
        "industrial-codebase-standards/SKILL.md",
        include_str!("../../.claude/skills/industrial-codebase-standards/SKILL.md"),
    ),
    (
        "industrial-codebase-standards/references/review-checklist.md",
        include_str!(
            "../../.claude/skills/industrial-codebase-standards/references/review-checklist.md"
        ),
    ),
    (
        "security-and-privacy-baseline/SKILL.md",
        include_str!("../../.claude/skills/security-and-privacy-baseline/SKILL.md"),
    ),
    (
        "security-and-privacy-baseline/references/threats.md",
        include_str!("../../.claude/skills/security-and-privacy-baseline/references/threats.md"),
    ),
    (
        "observability-and-slos/SKILL.md",
        include_str!("../../.claude/skills/observability-and-slos/SKILL.md"),
    ),
    (
        "observability-and-slos/references/metrics.md",
        include_str!("../../.claude/skills/observability-and-slos/references/metrics.md"),
    ),
];

/// Reads and parses one agent file.
pub fn load_file(path: &Path) -> Result<Parsed> {
    let text = fsutil::read_text(path)?;
    Ok(definition::parse(path, &text)?)
}

/// Every agent of a project, with every problem found loading them.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub agents: Vec<AgentDefinition>,
    pub diagnostics: Vec<Diagnostic>,
    /// How many files were read.
    pub files: usize,
}

impl Catalog {
    /// Loads the agents in the project's agent directories.
    pub fn load(project: &Project) -> Catalog {
        Catalog::load_with(project, &validate::Context::for_project(project))
    }

    /// Loads the agents in the project's agent directories, validated
    /// with `ctx`. The definitions are the same whatever it asks; only
    /// the diagnostics differ.
    pub fn load_with(project: &Project, ctx: &validate::Context) -> Catalog {
        let mut files = Vec::new();
        for dir in project.agent_dirs() {
            files.extend(agent_files(&project.files, &dir));
        }
        let files: Vec<PathBuf> = files
            .iter()
            .map(|f| project.relative(f).to_path_buf())
            .collect();
        Catalog::from_files(&project.root, &files, ctx)
    }

    /// Loads the given files (or the `.md` files in given directories).
    /// Paths are shown as given, relative to `root` when they are relative.
    pub fn from_files(root: &Path, paths: &[PathBuf], ctx: &validate::Context) -> Catalog {
        let mut catalog = Catalog {
            files: paths.len(),
            ..Catalog::default()
        };
        // Which directory each name was first defined in, and where.
        let mut seen: BTreeMap<String, (PathBuf, usize)> = BTreeMap::new();
        for (shown, (def, diagnostics)) in paths.iter().zip(load_all(root, paths, ctx)) {
            catalog.diagnostics.extend(diagnostics);
            let Some(def) = def else { continue };
            if !def.name.is_empty() {
                let dir = shown.parent().map(Path::to_path_buf).unwrap_or_default();
                if let Some((first_dir, index)) = seen.get(&def.name) {
                    let first = &catalog.agents[*index].source;
                    if *first_dir == dir {
                        catalog.diagnostics.push(
                            Diagnostic::error(
                                Code::DuplicateName,
                                format!(
                                    "agent `{}` is also defined in `{}`",
                                    def.name,
                                    first.display()
                                ),
                            )
                            .at(def.span_of("name"))
                            .hint("give each agent its own name"),
                        );
                    }
                    // A later directory never overrides an earlier one.
                    continue;
                }
                seen.insert(def.name.clone(), (dir, catalog.agents.len()));
            }
            catalog.agents.push(def);
        }
        catalog
    }

    pub fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    pub fn get(&self, name: &str) -> Option<&AgentDefinition> {
        self.agents.iter().find(|a| a.name == name)
    }

    /// The agent called `name`, or an error that suggests a close name.
    pub fn require(&self, name: &str) -> Result<&AgentDefinition> {
        self.get(name).ok_or_else(|| {
            let names: Vec<&str> = self.agents.iter().map(|a| a.name.as_str()).collect();
            let hint = match suggest(name, names.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None if names.is_empty() => {
                    "no agents are defined; run `harness-agents init`".to_string()
                }
                None => format!("known agents: {}", names.join(", ")),
            };
            Error::from(
                Diagnostic::error(Code::UnknownAgent, format!("no agent is called `{name}`"))
                    .hint(hint),
            )
        })
    }
}

/// One file read, parsed and validated: its definition, if it has one, and
/// every problem found.
type Loaded = (Option<AgentDefinition>, Vec<Diagnostic>);

fn load_one(root: &Path, shown: &Path, ctx: &validate::Context) -> Loaded {
    let actual = if shown.is_absolute() {
        shown.to_path_buf()
    } else {
        root.join(shown)
    };
    let text = match ctx.files.read_text(&actual) {
        Ok(t) => t,
        Err(e) => {
            let d = Diagnostic::error(Code::Unreadable, e.to_string()).at(Span::new(shown, 1, 1));
            return (None, vec![d]);
        }
    };
    match definition::parse(shown, &text) {
        Ok(parsed) => {
            let mut diagnostics = parsed.diagnostics;
            diagnostics.extend(validate::validate(&parsed.definition, ctx));
            (Some(parsed.definition), diagnostics)
        }
        Err(d) => (None, vec![d]),
    }
}

/// Loads files in order, on every core when there are enough of them to
/// repay starting threads (a large collection of agents, say). Threads take
/// the next few files as they finish the last, so one thread's longer files
/// do not leave the others idle.
fn load_all(root: &Path, paths: &[PathBuf], ctx: &validate::Context) -> Vec<Loaded> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    const PER_THREAD: usize = 32;
    const TAKE: usize = 4;
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    if threads < 2 || paths.len() < 2 * PER_THREAD {
        return paths.iter().map(|p| load_one(root, p, ctx)).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let start = next.fetch_add(TAKE, Ordering::Relaxed);
            if start >= paths.len() {
                return done;
            }
            for (i, p) in paths.iter().enumerate().skip(start).take(TAKE) {
                done.push((i, load_one(root, p, ctx)));
            }
        }
    };
    let mut loaded: Vec<(usize, Loaded)> = std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads.min(paths.len() / PER_THREAD))
            .map(|_| scope.spawn(work))
            .collect();
        // This thread works too, rather than wait.
        let mut all = work();
        for h in helpers {
            all.extend(
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            );
        }
        all
    });
    loaded.sort_unstable_by_key(|(i, _)| *i);
    loaded.into_iter().map(|(_, l)| l).collect()
}

/// The `.md` files under `dir`, sorted, skipping READMEs.
pub fn agent_files(files: &Files, dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = files.entries(dir) else {
        return out;
    };
    for (path, kind) in entries {
        // Anything else that looks like an agent file is listed, so one
        // that cannot be read (a link to nowhere) is reported, not skipped.
        if kind == Kind::Dir {
            out.extend(agent_files(files, &path));
        } else if path.extension().is_some_and(|e| e == "md")
            && !path
                .file_stem()
                .is_some_and(|s| s.eq_ignore_ascii_case("readme"))
        {
            out.push(path);
        }
    }
    out.sort();
    out
}
