//! Checks on one agent definition beyond what parsing already reports.

use std::path::{Path, PathBuf};

use super::definition::{AgentDefinition, KNOWN_FIELDS};
use super::skill::{self, SearchDir};
use super::tools::{KNOWN_TOOLS, ToolKind};
use crate::config::Project;
use crate::diagnostic::{Code, Diagnostic, Span, display_path, suggest};
use crate::files::Files;

pub const PERMISSION_MODES: &[&str] = &[
    "default",
    "acceptEdits",
    "plan",
    "bypassPermissions",
    "dontAsk",
];
pub const MODEL_ALIASES: &[&str] = &["sonnet", "opus", "haiku", "inherit", "opusplan"];
pub const COLORS: &[&str] = &[
    "red", "blue", "green", "yellow", "purple", "orange", "pink", "cyan",
];

/// What validation may look at outside the file itself.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Directories holding skills as `NAME/SKILL.md`; empty: skills are
    /// not looked up.
    pub skill_dirs: Vec<SearchDir>,
    /// Whether a skill that is not found is an error.
    pub require_skills: bool,
    /// The project root, to show skill directories relative to it.
    pub root: PathBuf,
    /// Whether to check that each gate's program belongs to a stack the
    /// project has; off for agents whose gates `harness.toml` replaces.
    pub gate_stacks: bool,
    /// Agents whose gates `[policy.agents.NAME] gates` replaces.
    pub gates_replaced: Vec<String>,
    /// Where the project's files are read (its agents, skills and stack
    /// markers).
    pub files: Files,
}

impl Context {
    /// Validation as the project configures it.
    pub fn for_project(project: &Project) -> Context {
        Context {
            skill_dirs: skill::search_dirs(project),
            require_skills: project.config.skills.require,
            root: project.root.clone(),
            files: project.files.clone(),
            gate_stacks: true,
            gates_replaced: project
                .config
                .policy
                .agents
                .iter()
                .filter(|(_, o)| o.gates.is_some())
                .map(|(name, _)| name.clone())
                .collect(),
        }
    }

    /// Only what makes a definition unusable: skills are looked up only
    /// when the project requires them. For the guard, which loads an agent
    /// on every call and acts on errors alone.
    pub fn errors_only(project: &Project) -> Context {
        if project.config.skills.require {
            Context::for_project(project)
        } else {
            Context {
                root: project.root.clone(),
                files: project.files.clone(),
                ..Context::default()
            }
        }
    }
}

/// A name as Claude Code documents it: lowercase letters, digits and
/// hyphens.
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.split('-').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

/// The tools of each stack, and the files at the root that show a project
/// has that stack.
const STACKS: &[(&str, &[&str], &[&str])] = &[
    (
        "Python",
        &[
            "ruff", "ty", "mypy", "pytest", "black", "pyright", "flake8", "uv", "poetry",
        ],
        &[
            "pyproject.toml",
            "setup.py",
            "setup.cfg",
            "requirements.txt",
        ],
    ),
    (
        "Node",
        &[
            "npm", "npx", "pnpm", "yarn", "tsc", "eslint", "vitest", "jest", "bun",
        ],
        &["package.json"],
    ),
    ("Rust", &["cargo", "rustfmt"], &["Cargo.toml"]),
    ("Go", &["go", "gofmt", "golangci-lint"], &["go.mod"]),
];

/// The first program in `command` that belongs to a stack the project at
/// `root` does not have: `(program, stack, marker files)`.
fn foreign_program(
    files: &Files,
    root: &Path,
    command: &str,
) -> Option<(String, &'static str, &'static [&'static str])> {
    let commands = crate::shell::parse(command).ok()?;
    commands
        .iter()
        .filter_map(|c| c.program())
        .find_map(|program| {
            let name = program.rsplit('/').next().unwrap_or(program);
            let (stack, _, markers) = STACKS.iter().find(|(_, tools, _)| tools.contains(&name))?;
            (!markers.iter().any(|m| files.is_file(&root.join(m))))
                .then(|| (name.to_string(), *stack, *markers))
        })
}

/// A name Claude Code loads although its documentation asks for less:
/// dots and underscores between the parts (`dotnet-framework-4.8-expert`).
/// It is never a path: no leading dot, no `..`, no separator.
pub fn is_loadable_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && !name.contains("..")
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '.' | '_'))
}

pub fn validate(def: &AgentDefinition, ctx: &Context) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let stem = def
        .source
        .file_stem()
        .map(|s| s.to_string_lossy().to_lowercase().replace([' ', '_'], "-"))
        .unwrap_or_default();

    if def.name.trim().is_empty() {
        out.push(
            Diagnostic::error(Code::MissingName, "the agent has no `name`")
                .at(Span::new(&def.source, 2, 1))
                .hint(format!("add `name: {stem}` to the front matter")),
        );
    } else if !is_valid_name(&def.name) {
        // Claude Code loads a name with dots or underscores, so only what it
        // would refuse is an error here.
        let message = format!("`{}` is not a valid agent name", def.name);
        let d = if is_loadable_name(&def.name) {
            Diagnostic::warning(Code::InvalidName, message)
        } else {
            Diagnostic::error(Code::InvalidName, message)
        };
        out.push(
            d.at(def.value_span("name", &def.name))
                .hint("use lowercase letters, digits and hyphens, e.g. `realtime-dev`"),
        );
    }
    if def.description.trim().is_empty() {
        out.push(
            Diagnostic::error(Code::MissingDescription, "the agent has no `description`")
                .at(def.key_span(if def.key_lines.contains_key("description") {
                    "description"
                } else {
                    "name"
                }))
                .hint("add `description:` saying when this agent should be used"),
        );
    }
    if let Some(mode) = &def.permission_mode
        && !PERMISSION_MODES.contains(&mode.as_str())
    {
        let mut d = Diagnostic::error(
            Code::InvalidPermissionMode,
            format!("`{mode}` is not a permission mode"),
        )
        .at(def.value_span("permissionMode", mode));
        d = d.hint(match suggest(mode, PERMISSION_MODES.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("use one of: {}", PERMISSION_MODES.join(", ")),
        });
        out.push(d);
    }
    if let Some(model) = &def.model
        && !MODEL_ALIASES.contains(&model.as_str())
        && !model.starts_with("claude-")
    {
        let hint = match suggest(model, MODEL_ALIASES.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!(
                "use one of {} or a full model id such as `claude-sonnet-4-5`",
                MODEL_ALIASES.join(", ")
            ),
        };
        out.push(
            // New aliases appear before any checker knows them: unknown is
            // a warning, and Claude Code decides at start-up.
            Diagnostic::warning(
                Code::InvalidModel,
                format!("`{model}` is not a model alias harness knows"),
            )
            .at(def.value_span("model", model))
            .hint(hint),
        );
    }
    if let Some(tools) = &def.tools {
        for t in tools {
            if let Some(d) = def.disallowed_tools.iter().find(|d| d.raw == t.raw) {
                out.push(
                    Diagnostic::error(
                        Code::ToolAllowedAndDisallowed,
                        format!("`{}` is both allowed and disallowed", t.raw),
                    )
                    .at(def.entry_span("disallowedTools", &d.raw))
                    .hint(format!(
                        "remove it from `tools` (line {}) or from `disallowedTools`",
                        t.line
                    )),
                );
            }
        }
    }
    let listed = def.tools.iter().flatten().map(|t| ("tools", t));
    for (key, t) in listed.chain(def.disallowed_tools.iter().map(|t| ("disallowedTools", t))) {
        // The span is looked up only for a finding: the guard validates
        // the acting agent on every call, and most tools are fine.
        let span = || def.entry_span(key, &t.raw);
        match t.kind() {
            ToolKind::Known | ToolKind::Mcp => {}
            ToolKind::Legacy(new) => out.push(
                Diagnostic::warning(
                    Code::LegacyTool,
                    format!("`{}` is an old tool name", t.name),
                )
                .at(span())
                .hint(format!("use `{new}`")),
            ),
            ToolKind::Unknown => {
                let mut d = Diagnostic::warning(
                    Code::UnknownTool,
                    format!("`{}` is not a Claude Code tool", t.name),
                )
                .at(span());
                if let Some(s) = suggest(&t.name, KNOWN_TOOLS.iter().copied()) {
                    d = d.hint(format!("did you mean `{s}`?"));
                } else {
                    d = d.hint("MCP tools are written `mcp__server__tool`");
                }
                out.push(d);
            }
        }
    }
    if let Some(color) = &def.color
        && !COLORS.contains(&color.as_str())
    {
        out.push(
            Diagnostic::warning(
                Code::UnknownColor,
                format!("`{color}` is not one of Claude Code's agent colours"),
            )
            .at(def.value_span("color", color))
            .hint(format!("use one of: {}", COLORS.join(", "))),
        );
    }
    for key in def.unknown_fields.keys() {
        let mut d = Diagnostic::warning(
            Code::UnknownField,
            format!("unknown field `{key}` is kept but not used"),
        )
        .at(def.key_span(key));
        if let Some(s) = suggest(key, KNOWN_FIELDS.iter().copied()) {
            d = d.hint(format!("did you mean `{s}`?"));
        }
        out.push(d);
    }
    if ctx.gate_stacks && !ctx.gates_replaced.contains(&def.name) {
        for gate in def.body.gates() {
            if let Some((program, stack, markers)) =
                foreign_program(&ctx.files, &ctx.root, &gate.text)
            {
                out.push(
                    Diagnostic::warning(
                        Code::GateStack,
                        format!("gate `{}` runs `{program}`, a {stack} tool, but the project has no {}", gate.text, markers.join(" or ")),
                    )
                    .at(Span::new(&def.source, gate.line, 1))
                    .hint(format!(
                        "give this project's gates in harness.toml: `[policy.agents.{}] gates = [...]` (`harness-agents init` writes them for the stack it finds)",
                        def.name
                    )),
                );
            }
        }
    }
    if let Some(first) = ctx.skill_dirs.first() {
        for name in &def.skills {
            if skill::resolve(&ctx.files, &ctx.skill_dirs, name).is_some() {
                continue;
            }
            let message = format!("skill `{name}` is not found");
            let d = if ctx.require_skills {
                Diagnostic::error(Code::UnresolvedSkill, message)
            } else {
                Diagnostic::warning(Code::UnresolvedSkill, message)
            };
            out.push(d.at(def.entry_span("skills", name)).hint(format!(
                "add `{}/{name}/SKILL.md`, or remove it from `skills` (`harness-agents skills list` shows where skills are looked for)",
                display_path(first.path.strip_prefix(&ctx.root).unwrap_or(&first.path)),
            )));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::definition::parse;
    use crate::diagnostic::Severity;
    use std::path::Path;

    fn codes(text: &str) -> Vec<&'static str> {
        let parsed = parse(Path::new("a.md"), text).unwrap();
        let mut all = parsed.diagnostics;
        all.extend(validate(&parsed.definition, &Context::default()));
        all.iter().map(|d| d.code.as_str()).collect()
    }

    #[test]
    fn names_claude_code_loads_are_warnings_and_paths_are_errors() {
        for name in [
            "dotnet-framework-4.8-expert",
            "powershell-5.1-expert",
            "a_b",
        ] {
            assert!(!is_valid_name(name) && is_loadable_name(name), "{name}");
        }
        for name in ["../x", ".hidden", "a/b", "Upper", "a..b", "a b", ""] {
            assert!(!is_loadable_name(name), "{name}");
        }
        let text = "---\nname: tool-4.8-expert\ndescription: d\nmodel: fable\n---\n";
        let parsed = parse(Path::new("a.md"), text).unwrap();
        let found = validate(&parsed.definition, &Context::default());
        let severities: Vec<_> = found
            .iter()
            .map(|d| (d.code.as_str(), d.severity))
            .collect();
        assert_eq!(
            severities,
            [
                ("invalid-name", Severity::Warning),
                ("invalid-model", Severity::Warning)
            ]
        );
    }

    #[test]
    fn a_gate_from_a_stack_the_project_lacks_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("Cargo.toml"), "").unwrap();
        assert_eq!(foreign_program(&Files::disk(), root, "cargo test"), None);
        let (program, stack, _) =
            foreign_program(&Files::disk(), root, "cd web && npm run lint").unwrap();
        assert_eq!((program.as_str(), stack), ("npm", "Node"));
        let (program, stack, _) =
            foreign_program(&Files::disk(), root, "/usr/bin/ruff check .").unwrap();
        assert_eq!((program.as_str(), stack), ("ruff", "Python"));
        assert_eq!(foreign_program(&Files::disk(), root, "make check"), None);
        std::fs::write(root.join("package.json"), "{}").unwrap();
        assert_eq!(foreign_program(&Files::disk(), root, "npm test"), None);
    }

    #[test]
    fn a_clean_definition_has_no_diagnostics() {
        assert!(codes("---\nname: ok-agent\ndescription: d\ntools: Read, Bash(git diff *)\nmodel: sonnet\n---\n").is_empty());
    }

    #[test]
    fn each_error_and_warning() {
        assert_eq!(codes("---\ndescription: d\n---\n"), ["missing-name"]);
        assert_eq!(codes("---\nname: a\n---\n"), ["missing-description"]);
        assert_eq!(
            codes("---\nname: Bad_Name\ndescription: d\n---\n"),
            ["invalid-name"]
        );
        assert_eq!(
            codes("---\nname: a\ndescription: d\npermissionMode: plans\n---\n"),
            ["invalid-permission-mode"]
        );
        assert_eq!(
            codes("---\nname: a\ndescription: d\nmodel: gpt-4\n---\n"),
            ["invalid-model"]
        );
        assert_eq!(
            codes("---\nname: a\ndescription: d\ntools: Read\ndisallowedTools: Read\n---\n"),
            ["tool-allowed-and-disallowed"]
        );
        assert_eq!(
            codes("---\nname: a\ndescription: d\ntools: Raed, LS\n---\n"),
            ["unknown-tool", "legacy-tool"]
        );
        assert_eq!(
            codes("---\nname: a\ndescription: d\ncolor: teal\n---\n"),
            ["unknown-color"]
        );
        assert_eq!(
            codes("---\nname: a\ndescription: d\nmodle: opus\n---\n"),
            ["unknown-field"]
        );
        assert_eq!(
            codes("---\nname: a\ndescription: d\nmaxTurns: many\n---\n"),
            ["wrong-type"]
        );
    }

    /// The line, column and length of the first diagnostic with `code`.
    #[track_caller]
    fn located(text: &str, code: &str, expected: (usize, usize, usize)) {
        let parsed = parse(Path::new("a.md"), text).unwrap();
        let mut all = parsed.diagnostics;
        all.extend(validate(&parsed.definition, &Context::default()));
        let d = all.iter().find(|d| d.code.as_str() == code).expect(code);
        let s = d.span.as_ref().unwrap();
        let (line, col, len) = expected;
        assert_eq!((s.line, s.col, s.length()), (line, col, Some(len)));
    }

    #[test]
    fn diagnostics_point_at_the_value_or_entry_at_fault() {
        let head = "---\nname: a\ndescription: d\n";
        let case = |fields: &str, code, expected| {
            located(&format!("{head}{fields}---\n"), code, expected);
        };
        case(
            "permissionMode: plans\n",
            "invalid-permission-mode",
            (4, 17, 5),
        );
        case(
            "permissionMode: \"plans\"  # quoted\n",
            "invalid-permission-mode",
            (4, 18, 5),
        );
        case("model: gpt-4\n", "invalid-model", (4, 8, 5));
        case("color: teal\n", "unknown-color", (4, 8, 4));
        case("modle: opus\n", "unknown-field", (4, 1, 5));
        case("maxTurns: many\n", "wrong-type", (4, 11, 4));
        // The tool at fault, not an earlier name it starts with.
        case("tools: BashOutput, Bsh\n", "unknown-tool", (4, 20, 3));
        case("tools:\n  - Read\n  - Raed\n", "unknown-tool", (6, 5, 4));
        case(
            "tools: [Bash(git diff *), Bash]\ndisallowedTools: Bash\n",
            "tool-allowed-and-disallowed",
            (5, 18, 4),
        );
        located(
            "---\nname: Bad_Name\ndescription: d\n---\n",
            "invalid-name",
            (2, 7, 8),
        );
        // Only a line is known: the key that lacks its value.
        located("---\nname: a\n---\n", "missing-description", (2, 1, 4));
    }

    #[test]
    fn names() {
        assert!(is_valid_name("realtime-dev"));
        assert!(is_valid_name("a1"));
        assert!(!is_valid_name("Realtime"));
        assert!(!is_valid_name("a--b"));
        assert!(!is_valid_name("-a"));
        assert!(!is_valid_name(""));
    }

    #[test]
    fn unresolved_skills_warn_unless_required() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("skills/here")).unwrap();
        std::fs::write(dir.path().join("skills/here/SKILL.md"), "x").unwrap();
        let parsed = parse(
            Path::new("a.md"),
            "---\nname: a\ndescription: d\nskills: [here, gone]\n---\n",
        )
        .unwrap();
        let mut ctx = Context {
            skill_dirs: vec![SearchDir {
                path: dir.path().join("skills"),
                origin: skill::Origin::Project,
            }],
            require_skills: false,
            root: dir.path().to_path_buf(),
            ..Context::default()
        };
        let diags = validate(&parsed.definition, &ctx);
        assert_eq!(diags.len(), 1);
        assert!(diags[0].message.contains("`gone`"));
        let span = diags[0].span.as_ref().unwrap();
        assert_eq!((span.line, span.col, span.length()), (4, 16, Some(4)));
        let hint = diags[0].hint.as_deref().unwrap();
        assert_eq!(
            hint,
            "add `skills/gone/SKILL.md`, or remove it from `skills` (`harness-agents skills list` shows where skills are looked for)"
        );
        assert_eq!(diags[0].severity, Severity::Warning);

        ctx.require_skills = true;
        let diags = validate(&parsed.definition, &ctx);
        assert_eq!(diags[0].severity, Severity::Error);
    }
}
