//! Agent definitions: Markdown files with YAML front matter in Claude Code's
//! subagent format, found in the project's agent directories.
//!
//! - [`frontmatter`] cuts a file in two and loads the YAML,
//! - [`markdown`] reads the body's policy facts,
//! - [`definition`] types the fields into an [`AgentDefinition`],
//! - [`validate`] checks a definition, and [`Catalog`] a whole set.

pub mod definition;
pub mod frontmatter;
pub mod markdown;
pub mod tools;
pub mod validate;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use definition::{AgentDefinition, HarnessBlock, Parsed};
pub use tools::ToolSpec;

use crate::config::Project;
use crate::diagnostic::{Diagnostic, Span, suggest};
use crate::error::{Error, Result};
use crate::fsutil;

/// The agents harness embeds as the defaults `harness init` installs.
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
        let mut files = Vec::new();
        for dir in project.agent_dirs() {
            files.extend(agent_files(&dir));
        }
        let files: Vec<PathBuf> = files
            .iter()
            .map(|f| project.relative(f).to_path_buf())
            .collect();
        let ctx = validate::Context {
            skill_dirs: project.skill_dirs(),
            root: project.root.clone(),
        };
        Catalog::from_files(&project.root, &files, &ctx)
    }

    /// Loads the given files (or the `.md` files in given directories).
    /// Paths are shown as given, relative to `root` when they are relative.
    pub fn from_files(root: &Path, paths: &[PathBuf], ctx: &validate::Context) -> Catalog {
        let mut catalog = Catalog::default();
        // Which directory each name was first defined in, and where.
        let mut seen: BTreeMap<String, (PathBuf, usize)> = BTreeMap::new();
        for shown in paths {
            let actual = if shown.is_absolute() {
                shown.clone()
            } else {
                root.join(shown)
            };
            catalog.files += 1;
            let text = match fsutil::read_text(&actual) {
                Ok(t) => t,
                Err(e) => {
                    catalog.diagnostics.push(
                        Diagnostic::error("unreadable", e.to_string()).at(Span::new(shown, 1, 1)),
                    );
                    continue;
                }
            };
            let parsed = match definition::parse(shown, &text) {
                Ok(p) => p,
                Err(d) => {
                    catalog.diagnostics.push(d);
                    continue;
                }
            };
            catalog.diagnostics.extend(parsed.diagnostics);
            let def = parsed.definition;
            catalog.diagnostics.extend(validate::validate(&def, ctx));
            if !def.name.is_empty() {
                let dir = shown.parent().map(Path::to_path_buf).unwrap_or_default();
                if let Some((first_dir, index)) = seen.get(&def.name) {
                    let first = &catalog.agents[*index].source;
                    if *first_dir == dir {
                        catalog.diagnostics.push(
                            Diagnostic::error(
                                "duplicate-name",
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
                None if names.is_empty() => "no agents are defined; run `harness init`".to_string(),
                None => format!("known agents: {}", names.join(", ")),
            };
            Error::from(
                Diagnostic::error("unknown-agent", format!("no agent is called `{name}`"))
                    .hint(hint),
            )
        })
    }
}

/// The `.md` files under `dir`, sorted, skipping READMEs.
pub fn agent_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(agent_files(&path));
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
