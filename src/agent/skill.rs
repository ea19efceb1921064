//! Agent Skills: a directory holding `SKILL.md` (front matter with `name`
//! and `description`, then instructions) and the files it refers to, most
//! often under `references/`. An agent's `skills:` names the skills it
//! loads; this module finds them where Claude Code does (the project's
//! skill directories, the user's `~/.claude/skills`, and the `skills/`
//! directory of each installed plugin) and checks each one.
//!
//! Resolving a name only looks for `DIR/NAME/SKILL.md`, so the guard, which
//! loads one agent per tool call, pays for a few `stat`s, never for reading
//! every skill.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use std::fmt::Write as _;

use super::{Catalog, Validation, frontmatter};
use crate::config::Project;
use crate::diagnostic::{Code, Diagnostic, Span, display_path};
use crate::error::{Error, Result};
use crate::files::Files;
use crate::fsutil;
use crate::markdown;
use crate::report::{self, BOLD, DIM, Report};

/// The longest name and description the Agent Skills format allows.
const MAX_NAME: usize = 64;
const MAX_DESCRIPTION: usize = 1024;

/// Where a skill comes from, which decides who may change it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "name")]
pub enum Origin {
    /// One of the project's skill directories (`[paths] skills`).
    Project,
    /// The user's own `~/.claude/skills`.
    User,
    /// The `skills/` directory of an installed plugin, by the plugin's name.
    Plugin(String),
}

impl Origin {
    pub fn label(&self) -> String {
        match self {
            Origin::Project => "project".into(),
            Origin::User => "user".into(),
            Origin::Plugin(p) => format!("plugin {p}"),
        }
    }
}

/// A directory searched for skills.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchDir {
    pub path: PathBuf,
    pub origin: Origin,
}

/// Where the skills of a project are looked for, in the order a name is
/// resolved: the project's directories first, so a project pins what its
/// agents load; then the user's; then plugins'.
pub fn search_dirs(project: &Project) -> Vec<SearchDir> {
    let mut dirs: Vec<SearchDir> = project
        .skill_dirs()
        .into_iter()
        .map(|path| SearchDir {
            path,
            origin: Origin::Project,
        })
        .collect();
    let home = std::env::var_os("HOME").map(PathBuf::from);
    if let Some(home) = home.filter(|_| project.config.skills.user) {
        dirs.push(SearchDir {
            path: home.join(".claude/skills"),
            origin: Origin::User,
        });
        if project.config.skills.plugins {
            dirs.extend(plugin_skill_dirs(&home.join(".claude/plugins")));
        }
    }
    dirs
}

/// Every `skills/` directory under the plugins directory, named after the
/// plugin that holds it. Plugins are installed a few levels down (by
/// marketplace and version), so the walk is bounded rather than exact.
fn plugin_skill_dirs(root: &Path) -> Vec<SearchDir> {
    const DEPTH: usize = 6;
    let mut out = Vec::new();
    let mut stack = vec![(root.to_path_buf(), 0)];
    while let Some((dir, depth)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut children: Vec<PathBuf> = entries
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| e.path())
            .filter(|p| {
                !p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            })
            .collect();
        children.sort();
        for child in children {
            if child.file_name().is_some_and(|n| n == "skills") {
                // A cached plugin sits in a directory named by its version
                // (`rt-kit/1.0.0/skills`): the plugin is the one above it.
                let name = |d: &Path| d.file_name().map(|n| n.to_string_lossy().into_owned());
                let here = name(&dir).unwrap_or_default();
                let plugin = if here.starts_with(|c: char| c.is_ascii_digit()) {
                    dir.parent().and_then(name).unwrap_or(here)
                } else {
                    here
                };
                out.push(SearchDir {
                    path: child,
                    origin: Origin::Plugin(plugin),
                });
            } else if depth + 1 < DEPTH {
                stack.push((child, depth + 1));
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// Finds the `SKILL.md` a name refers to: `NAME` in any directory, or
/// `PLUGIN:NAME` in that plugin's, which is how Claude Code names a
/// plugin's skills.
pub fn resolve<'a>(
    files: &Files,
    dirs: &'a [SearchDir],
    name: &str,
) -> Option<(PathBuf, &'a SearchDir)> {
    let (plugin, skill) = match name.split_once(':') {
        Some((p, s)) => (Some(p), s),
        None => (None, name),
    };
    if !super::validate::is_loadable_name(skill) {
        return None;
    }
    dirs.iter()
        .filter(|d| plugin.is_none_or(|p| d.origin == Origin::Plugin(p.to_string())))
        .map(|d| (d.path.join(skill).join("SKILL.md"), d))
        .find(|(file, _)| files.is_file(file))
}

/// One skill, read and checked.
#[derive(Debug, Clone, Serialize)]
pub struct Skill {
    pub name: String,
    pub description: String,
    /// The `SKILL.md` file.
    pub path: PathBuf,
    pub origin: Origin,
    /// Files under the skill's directory other than `SKILL.md`, relative
    /// to it, sorted.
    pub files: Vec<PathBuf>,
    /// Relative links in `SKILL.md` to files of the skill.
    pub links: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_tools: Option<String>,
}

/// Reads `SKILL.md` at `path`; problems come back as diagnostics beside
/// the skill, `Err` only when the file has no usable front matter.
pub fn load(path: &Path, shown: &Path, origin: Origin) -> Result<(Skill, Vec<Diagnostic>)> {
    let text = fsutil::read_text(path)?;
    let split = frontmatter::split(shown, &text)?;
    let fm = frontmatter::load(shown, &split)?;
    let mut out = fm.warnings.clone();
    let string = |key: &str| match fm.fields.get(key) {
        Some(Value::String(s)) => Some(s.trim().to_string()),
        Some(Value::Null) | None => None,
        Some(other) => Some(other.to_string()),
    };
    let key_span = |key: &str| match fm.line_of(key) {
        Some(line) => fm.text.key(shown, line, key),
        None => Span::new(shown, split.front_line.saturating_sub(1).max(1), 1),
    };
    let dir_name = path
        .parent()
        .and_then(Path::file_name)
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();

    let name = string("name").unwrap_or_default();
    if name.is_empty() {
        out.push(
            Diagnostic::error(Code::SkillField, "the skill has no `name`")
                .at(key_span("name"))
                .hint(format!("add `name: {dir_name}` to the front matter")),
        );
    } else {
        let span = fm
            .line_of("name")
            .map(|l| fm.text.value(shown, l, "name", Some(&name)))
            .unwrap_or_else(|| key_span("name"));
        if !valid_name(&name) {
            out.push(
                Diagnostic::error(Code::SkillField, format!("`{name}` is not a valid skill name"))
                    .at(span.clone())
                    .hint("use at most 64 lowercase letters, digits and single hyphens, e.g. `observability-and-slos`"),
            );
        } else if name != dir_name {
            out.push(
                Diagnostic::error(
                    Code::SkillField,
                    format!("the skill is named `{name}` but its directory is `{dir_name}`"),
                )
                .at(span)
                .hint("rename the directory or the skill: agents find a skill by its directory"),
            );
        }
    }
    let description = string("description").unwrap_or_default();
    if description.is_empty() {
        out.push(
            Diagnostic::error(Code::SkillField, "the skill has no `description`")
                .at(key_span("description"))
                .hint("add `description:` saying what the skill does and when to use it"),
        );
    } else if description.chars().count() > MAX_DESCRIPTION {
        out.push(
            Diagnostic::error(
                Code::SkillField,
                format!(
                    "the description is {} characters; at most {MAX_DESCRIPTION} are read",
                    description.chars().count()
                ),
            )
            .at(key_span("description"))
            .hint("shorten it and move detail into the body"),
        );
    }

    let dir = path.parent().unwrap_or(Path::new("."));
    let files = skill_files(dir);
    let links = relative_links(&split.body);
    for (link, line) in &links.1 {
        let target = link.split('#').next().unwrap_or(link);
        let escapes = Path::new(target)
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir));
        if escapes || !dir.join(target).exists() {
            out.push(
                Diagnostic::error(Code::SkillField, format!("`{target}` is not in the skill"))
                    .at(link_span(shown, &text, split.body_line + line - 1, target))
                    .hint(format!(
                        "add `{}` or fix the link",
                        display_path(&shown.parent().unwrap_or(Path::new(".")).join(target))
                    )),
            );
        }
    }
    let skill = Skill {
        name: if name.is_empty() { dir_name } else { name },
        description,
        path: shown.to_path_buf(),
        origin,
        files,
        links: links.0,
        allowed_tools: string("allowed-tools"),
    };
    Ok((skill, out))
}

/// Where `target` is written on file line `line`.
fn link_span(shown: &Path, text: &str, line: usize, target: &str) -> Span {
    let line_text = text.lines().nth(line - 1).unwrap_or("");
    let start = line_text.find(target).unwrap_or(0);
    Span::on_line(shown, line, line_text, start..start + target.len())
}

/// The Agent Skills name rule: lowercase letters, digits and single
/// hyphens, not at either end, at most 64 characters.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--")
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn skill_files(dir: &Path) -> Vec<PathBuf> {
    let skill_md = dir.join("SKILL.md");
    fsutil::files_under(dir)
        .into_iter()
        .filter(|p| *p != skill_md)
        .filter_map(|p| p.strip_prefix(dir).ok().map(Path::to_path_buf))
        .collect()
}

/// Relative link targets in the body (no scheme, no anchor-only links),
/// each with the body line it is on (1-based), and the distinct targets.
fn relative_links(body: &str) -> (Vec<String>, Vec<(String, usize)>) {
    let mut located = Vec::new();
    for (dest, offset) in markdown::links(body) {
        let local = !dest.is_empty()
            && !dest.starts_with('#')
            && !dest.starts_with('/')
            && !dest.contains("://")
            && !dest.starts_with("mailto:");
        if local {
            let line = body[..offset.min(body.len())].matches('\n').count() + 1;
            located.push((dest, line));
        }
    }
    let mut distinct: Vec<String> = located.iter().map(|(d, _)| d.clone()).collect();
    distinct.sort();
    distinct.dedup();
    (distinct, located)
}

/// Every skill found in `dirs`, first occurrence of a name winning as in
/// [`resolve`], with the problems found reading them.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Library {
    pub skills: Vec<Skill>,
    /// Skills of the same name that an earlier directory hides.
    pub shadowed: Vec<Skill>,
    #[serde(skip)]
    pub diagnostics: Vec<Diagnostic>,
}

impl Library {
    /// Reads every `NAME/SKILL.md` of every directory.
    pub fn load(project: &Project, dirs: &[SearchDir]) -> Library {
        let mut lib = Library::default();
        for dir in dirs {
            let Ok(entries) = std::fs::read_dir(&dir.path) else {
                continue;
            };
            let mut files: Vec<PathBuf> = entries
                .flatten()
                .map(|e| e.path().join("SKILL.md"))
                .filter(|p| p.is_file())
                .collect();
            files.sort();
            for file in files {
                lib.add(project, &file, dir.origin.clone());
            }
        }
        lib
    }

    /// Reads the skills at the given `SKILL.md` files or skill directories.
    pub fn from_paths(project: &Project, paths: &[PathBuf]) -> Library {
        let mut lib = Library::default();
        for p in paths {
            let file = if p.is_dir() {
                p.join("SKILL.md")
            } else {
                p.clone()
            };
            lib.add(project, &file, Origin::Project);
        }
        lib
    }

    fn add(&mut self, project: &Project, file: &Path, origin: Origin) {
        let shown = project.relative(file).to_path_buf();
        match load(file, &shown, origin) {
            Ok((skill, diags)) => {
                self.diagnostics.extend(diags);
                if self.skills.iter().any(|s| s.name == skill.name) {
                    self.shadowed.push(skill);
                } else {
                    self.skills.push(skill);
                }
            }
            Err(Error::Input(diags)) => self.diagnostics.extend(diags),
            Err(e) => self.diagnostics.push(
                Diagnostic::error(Code::SkillField, e.to_string()).at(Span::new(&shown, 1, 1)),
            ),
        }
    }

    /// The skill `name` resolves to; `PLUGIN:NAME` only among that
    /// plugin's skills, hidden ones included.
    pub fn get(&self, name: &str) -> Option<&Skill> {
        match name.split_once(':') {
            Some((plugin, bare)) => self
                .skills
                .iter()
                .chain(&self.shadowed)
                .find(|s| s.name == bare && s.origin == Origin::Plugin(plugin.to_string())),
            None => self.skills.iter().find(|s| s.name == name),
        }
    }

    pub fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }
}

/// `harness-agents skills list`: where skills are looked for, and each skill
/// found with the agents that load it.
#[derive(Debug, Clone, Serialize)]
pub struct SkillList {
    pub searched: Vec<Searched>,
    pub skills: Vec<Listed>,
    /// Problems reading the skills; `skills validate` shows them located.
    pub errors: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Searched {
    pub path: PathBuf,
    pub origin: Origin,
    pub exists: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    #[serde(flatten)]
    pub skill: Skill,
    pub used_by: Vec<String>,
}

pub fn list(project: &Project) -> SkillList {
    let dirs = search_dirs(project);
    let library = Library::load(project, &dirs);
    let catalog = Catalog::load(project);
    SkillList {
        searched: dirs
            .iter()
            .map(|d| Searched {
                path: project.relative(&d.path).to_path_buf(),
                origin: d.origin.clone(),
                exists: d.path.is_dir(),
            })
            .collect(),
        skills: library
            .skills
            .iter()
            .map(|skill| Listed {
                used_by: users(project, &catalog, &dirs, skill),
                skill: skill.clone(),
            })
            .collect(),
        errors: library.errors(),
    }
}

/// The agents whose `skills:` resolve to `skill`.
fn users(project: &Project, catalog: &Catalog, dirs: &[SearchDir], skill: &Skill) -> Vec<String> {
    catalog
        .agents
        .iter()
        .filter(|a| {
            a.skills.iter().any(|n| {
                resolve(&project.files, dirs, n)
                    .is_some_and(|(file, _)| project.relative(&file) == skill.path)
            })
        })
        .map(|a| a.name.clone())
        .collect()
}

impl Report for SkillList {
    fn text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "{BOLD}searched{BOLD:#}");
        for d in &self.searched {
            let missing = if d.exists { "" } else { "  (absent)" };
            let _ = writeln!(
                s,
                "  {}  {DIM}{}{missing}{DIM:#}",
                display_path(&d.path),
                d.origin.label()
            );
        }
        if self.skills.is_empty() {
            let _ = writeln!(s, "\nno skills found");
            return s;
        }
        let _ = writeln!(s, "\n{BOLD}skills{BOLD:#}");
        let width = self
            .skills
            .iter()
            .map(|l| l.skill.name.len())
            .max()
            .unwrap_or(0);
        for l in &self.skills {
            let used = if l.used_by.is_empty() {
                "no agent".to_string()
            } else {
                l.used_by.join(", ")
            };
            let _ = writeln!(
                s,
                "  {:width$}  {}  {DIM}{}; used by {used}{DIM:#}",
                l.skill.name,
                display_path(&l.skill.path),
                l.skill.origin.label()
            );
        }
        s
    }
}

/// `harness-agents skills show NAME`.
#[derive(Debug, Clone, Serialize)]
pub struct SkillDetail {
    #[serde(flatten)]
    pub skill: Skill,
    pub used_by: Vec<String>,
    /// Skills of the same name that this one hides.
    pub shadows: Vec<PathBuf>,
    #[serde(skip)]
    pub diagnostics: Vec<Diagnostic>,
}

pub fn show(project: &Project, name: &str) -> Result<SkillDetail> {
    let dirs = search_dirs(project);
    let library = Library::load(project, &dirs);
    let Some(skill) = library.get(name) else {
        let known: Vec<&str> = library.skills.iter().map(|s| s.name.as_str()).collect();
        let mut d = Diagnostic::error(Code::UnresolvedSkill, format!("no skill named `{name}`"));
        d = d.hint(
            match crate::diagnostic::suggest(name, known.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => {
                    "`harness-agents skills list` shows the skills found and where they were looked for"
                        .to_string()
                }
            },
        );
        return Err(d.into());
    };
    let catalog = Catalog::load(project);
    Ok(SkillDetail {
        used_by: users(project, &catalog, &dirs, skill),
        shadows: library
            .shadowed
            .iter()
            .filter(|s| s.name == skill.name)
            .map(|s| s.path.clone())
            .collect(),
        diagnostics: library
            .diagnostics
            .iter()
            .filter(|d| d.span.as_ref().is_some_and(|sp| sp.path == skill.path))
            .cloned()
            .collect(),
        skill: skill.clone(),
    })
}

impl Report for SkillDetail {
    fn text(&self) -> String {
        let k = &self.skill;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{BOLD}{}{BOLD:#}  {DIM}{} ({}){DIM:#}",
            k.name,
            display_path(&k.path),
            k.origin.label()
        );
        let _ = writeln!(
            s,
            "description  {}",
            k.description
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        );
        if let Some(tools) = &k.allowed_tools {
            let _ = writeln!(s, "tools        {tools}");
        }
        let used = if self.used_by.is_empty() {
            "-".to_string()
        } else {
            self.used_by.join(", ")
        };
        let _ = writeln!(s, "used by      {used}");
        let files: Vec<String> = k.files.iter().map(|f| display_path(f)).collect();
        let _ = writeln!(
            s,
            "files        {}",
            if files.is_empty() {
                "-".to_string()
            } else {
                files.join(", ")
            }
        );
        for p in &self.shadows {
            let _ = writeln!(s, "hides        {}", display_path(p));
        }
        s.push_str(&report::diagnostics_text(&self.diagnostics));
        s
    }
}

/// `harness-agents skills validate [PATH...]`: every skill found, or the given
/// skill directories and `SKILL.md` files.
pub fn validate(project: &Project, paths: &[PathBuf]) -> Result<Validation> {
    if let Some(missing) = paths.iter().find(|p| !p.exists()) {
        return Err(Diagnostic::error(
            Code::NoSuchPath,
            format!(
                "`{}` does not exist",
                display_path(project.relative(missing))
            ),
        )
        .hint("give skill directories or their `SKILL.md` files")
        .into());
    }
    let library = if paths.is_empty() {
        Library::load(project, &search_dirs(project))
    } else {
        Library::from_paths(project, paths)
    };
    Ok(Validation {
        files: library.skills.len() + library.shadowed.len(),
        errors: library.errors(),
        diagnostics: library.diagnostics,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_agent_skills_rule() {
        for ok in ["a", "observability-and-slos", "x1-2"] {
            assert!(valid_name(ok), "{ok}");
        }
        for bad in ["", "-a", "a-", "a--b", "A", "a_b", "a.b", &"a".repeat(65)] {
            assert!(!valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn relative_links_skip_urls_and_anchors() {
        let body = "See [p](references/patterns.md) and [s](references/sharp_edges.md#top).\n\n[web](https://x.y) [a](#here)\n[again](references/patterns.md)\n";
        let (distinct, located) = relative_links(body);
        assert_eq!(
            distinct,
            ["references/patterns.md", "references/sharp_edges.md#top"]
        );
        assert_eq!(located.len(), 3);
        assert_eq!(located[2], ("references/patterns.md".to_string(), 4));
    }

    #[test]
    fn plugin_skill_dirs_are_found_a_few_levels_down_and_named_by_plugin() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        std::fs::create_dir_all(root.join("cache/market/rt-kit/1.0.0/skills/presence")).unwrap();
        std::fs::create_dir_all(root.join("marketplaces/m/plugins/ops/skills")).unwrap();
        std::fs::create_dir_all(root.join(".hidden/x/skills")).unwrap();
        let found = plugin_skill_dirs(root);
        let named: Vec<String> = found.iter().map(|d| d.origin.label()).collect();
        assert_eq!(named, ["plugin rt-kit", "plugin ops"]);
    }

    #[test]
    fn resolve_prefers_the_first_directory_and_reads_plugin_prefixes() {
        let tmp = tempfile::tempdir().unwrap();
        let mk = |dir: &str, name: &str| {
            let d = tmp.path().join(dir).join(name);
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join("SKILL.md"), "---\nname: x\n---\n").unwrap();
        };
        mk("project", "shared");
        mk("plugin", "shared");
        mk("plugin", "only-plugin");
        let dirs = vec![
            SearchDir {
                path: tmp.path().join("project"),
                origin: Origin::Project,
            },
            SearchDir {
                path: tmp.path().join("plugin"),
                origin: Origin::Plugin("kit".into()),
            },
        ];
        assert_eq!(
            resolve(&Files::disk(), &dirs, "shared").unwrap().1.origin,
            Origin::Project
        );
        assert_eq!(
            resolve(&Files::disk(), &dirs, "kit:shared")
                .unwrap()
                .1
                .origin,
            Origin::Plugin("kit".into())
        );
        assert!(resolve(&Files::disk(), &dirs, "only-plugin").is_some());
        assert!(resolve(&Files::disk(), &dirs, "other:only-plugin").is_none());
        assert!(resolve(&Files::disk(), &dirs, "../project/shared").is_none());
        assert!(resolve(&Files::disk(), &dirs, "gone").is_none());
    }
}
