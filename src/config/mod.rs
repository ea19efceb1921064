//! `harness.toml`: where it is found, what it may say, and the defaults.
//!
//! The file is optional and so is every field in it. It is found by walking
//! up from the working directory, stopping at the repository root (the first
//! directory holding `.git`), so running harness in a sub-directory of a
//! project behaves as at its top.

pub mod ci;
pub mod gates;
pub mod run;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::diagnostic::{Code, Diagnostic, Span};
use crate::error::Result;
use crate::files::Files;
use crate::fsutil;
pub use ci::CiConfig;
pub use gates::GateConfig;
pub use run::{AgentCommand, RunConfig, SandboxMode, StageConfig, StageKind};

pub const FILE_NAME: &str = "harness.toml";

/// The whole configuration. Unknown keys are errors: a typo in a policy file
/// must not silently turn a rule off.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub paths: Paths,
    pub policy: PolicyConfig,
    pub commits: CommitsConfig,
    /// `[plans]`: what a plan must hold to be approved.
    pub plans: PlanConfig,
    /// Quality gates, `[gates.NAME]`.
    #[serde(deserialize_with = "gates::deserialize_gates")]
    pub gates: BTreeMap<String, GateConfig>,
    pub guard: GuardConfig,
    /// `[approvals]`: who may approve plans, and how many must.
    pub approvals: ApprovalsConfig,
    /// `[skills]`: where agents' skills are looked for, and whether they
    /// must resolve.
    pub skills: SkillsConfig,
    /// `[run]`: the workflow `harness-agents run` drives.
    pub run: RunConfig,
    /// `[sandbox]`: what `harness-agents sandbox` adds to the policy.
    pub sandbox: SandboxConfig,
    /// `[ci]`: what the CI files `init --ci` writes install and start.
    pub ci: CiConfig,
    /// Whether the file has a `[commits]` section; without one, a
    /// commitlint config in the project gives the commit rules.
    #[serde(skip)]
    pub commits_declared: bool,
}

/// `[skills]` in `harness.toml`. The project's own skill directories are
/// `[paths] skills`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SkillsConfig {
    /// An agent whose `skills:` names a skill that is not found is an
    /// error, not a warning.
    pub require: bool,
    /// Also look in the user's `~/.claude/skills`.
    pub user: bool,
    /// Also look in installed plugins' `skills/` (under `~/.claude/plugins`).
    pub plugins: bool,
}

impl Default for SkillsConfig {
    fn default() -> Self {
        SkillsConfig {
            require: false,
            user: true,
            plugins: true,
        }
    }
}

/// `[sandbox]` in `harness.toml`. Plain data: `sandbox` compiles it with
/// the agent's policy into a Landlock ruleset.
///
/// Paths are written as the guard's are: relative to the project root (a
/// name without `/`, like `__pycache__`, at any depth), `~/` for the home
/// directory, or absolute; `$TMPDIR` stands for the temporary directory.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SandboxConfig {
    /// Writable besides the plan's Files to Change: build and cache outputs.
    pub writable: Vec<String>,
    /// Unreadable, besides `~/.ssh` and `~/.gnupg`, which always are.
    pub deny_read: Vec<String>,
    /// Environment variables dropped from the command's environment,
    /// besides `SSH_AUTH_SOCK` and `GPG_AGENT_INFO`, which always are.
    pub secrets: Vec<String>,
}

/// The build and cache outputs writable by default.
pub const DEFAULT_SANDBOX_WRITABLE: &[&str] = &[
    "target/",
    "node_modules/",
    ".venv/",
    "__pycache__",
    "$TMPDIR",
];

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            writable: DEFAULT_SANDBOX_WRITABLE
                .iter()
                .map(|p| (*p).to_string())
                .collect(),
            deny_read: Vec::new(),
            secrets: Vec::new(),
        }
    }
}

/// `[approvals]` in `harness.toml`. Plain data: `plan::signers` reads the
/// signers file and `plan::signature` applies the rules.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApprovalsConfig {
    /// The allowed signers file (git's `allowed_signers` format), relative
    /// to the project root. Unset: approvals are not signed.
    pub signers: Option<PathBuf>,
    /// Whether an approval counts only when signed; defaults to true once
    /// `signers` is set.
    pub require_signature: Option<bool>,
    /// How many distinct signers must approve a plan; default 1.
    pub quorum: Option<usize>,
    /// CODEOWNERS-style approvers: a plan whose Files to Change touch the
    /// glob needs an approval by one of the names.
    pub paths: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Paths {
    /// Directories searched for agent definitions, in order.
    pub agents: Vec<PathBuf>,
    pub plans: PathBuf,
    pub templates: PathBuf,
    /// Directories searched for skills (`NAME/SKILL.md`).
    pub skills: Vec<PathBuf>,
}

impl Default for Paths {
    fn default() -> Self {
        Paths {
            agents: vec![PathBuf::from("agents"), PathBuf::from(".claude/agents")],
            plans: PathBuf::from("plans"),
            templates: PathBuf::from("templates"),
            skills: vec![PathBuf::from(".claude/skills"), PathBuf::from("skills")],
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyConfig {
    /// The agent whose policy applies when a tool call names none.
    pub default: Option<String>,
    /// `[policy.agents.NAME]`: what this project changes in an agent's
    /// policy without editing its definition.
    pub agents: BTreeMap<String, AgentOverride>,
}

/// `[policy.agents.NAME]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AgentOverride {
    /// The agent's gates in this project, each a `[gates.NAME]` or a
    /// command, instead of the ones its definition lists: a shared agent
    /// written for another stack keeps its prose and gets this project's
    /// checks.
    pub gates: Option<Vec<String>>,
}

/// config-conventional's types.
pub const DEFAULT_TYPES: &[&str] = &[
    "build", "chore", "ci", "docs", "feat", "fix", "perf", "refactor", "revert", "style", "test",
];

/// A base set of commit rules, `[commits] preset`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Preset {
    /// commitlint's `@commitlint/config-conventional`, its rules and levels.
    #[default]
    ConfigConventional,
    /// Conventional Commits 1.0.0 alone: any type, no length or case rules.
    Spec,
}

/// The commit rules harness implements, by commitlint's names.
pub const RULE_NAMES: &[&str] = &[
    "body-leading-blank",
    "body-max-line-length",
    "footer-leading-blank",
    "footer-max-line-length",
    "header-max-length",
    "header-trim",
    "scope-case",
    "scope-empty",
    "subject-case",
    "subject-empty",
    "subject-full-stop",
    "type-case",
    "type-empty",
    "type-enum",
];

/// One rule as commitlint writes it: `[level, "always"|"never", value]`,
/// level 0 (off), 1 (warning) or 2 (error).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleSetting {
    pub level: u8,
    /// `false` for `"never"`.
    pub always: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<serde_json::Value>,
}

impl RuleSetting {
    pub fn new(level: u8, always: bool, value: Option<serde_json::Value>) -> Self {
        RuleSetting {
            level,
            always,
            value,
        }
    }
}

impl<'de> Deserialize<'de> for RuleSetting {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        use serde::de::Error;
        let items = Vec::<serde_json::Value>::deserialize(d)?;
        let level = match items.first().and_then(serde_json::Value::as_u64) {
            Some(l @ 0..=2) => l as u8,
            _ => {
                return Err(D::Error::custom(
                    "a rule is `[level, \"always\"|\"never\", value]` with level 0 (off), 1 (warning) or 2 (error)",
                ));
            }
        };
        let always = match items.get(1).map(|w| w.as_str()) {
            None | Some(Some("always")) => true,
            Some(Some("never")) => false,
            _ => {
                return Err(D::Error::custom(
                    "the second item of a rule is \"always\" or \"never\"",
                ));
            }
        };
        if items.len() > 3 {
            return Err(D::Error::custom(
                "a rule has at most three items: level, \"always\"|\"never\", value",
            ));
        }
        Ok(RuleSetting::new(level, always, items.get(2).cloned()))
    }
}

fn known_rules<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<BTreeMap<String, RuleSetting>, D::Error> {
    use serde::de::Error;
    let rules = BTreeMap::<String, RuleSetting>::deserialize(d)?;
    if let Some(name) = rules.keys().find(|n| !RULE_NAMES.contains(&n.as_str())) {
        return Err(D::Error::custom(format!(
            "unknown commit rule `{name}`; harness knows {}",
            RULE_NAMES.join(", ")
        )));
    }
    Ok(rules)
}

/// `[commits]` in `harness.toml`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct CommitsConfig {
    /// The base rules; `[commits.rules]` changes them one by one.
    pub preset: Preset,
    /// commitlint-style rules over the preset's: `"type-enum" = [2, "always", [...]]`,
    /// `[0]` to turn one off.
    #[serde(deserialize_with = "known_rules")]
    pub rules: BTreeMap<String, RuleSetting>,
    /// Allowed types: short for `type-enum`'s value.
    pub types: Option<Vec<String>>,
    /// The longest header allowed: short for `header-max-length`'s value.
    pub header_max_length: Option<usize>,
    /// Whether a description may end with a full stop: `true` turns
    /// `subject-full-stop` off.
    pub subject_full_stop: Option<bool>,
    /// Whether each commit must name a plan or task (`Refs: 0007-3`).
    pub require_reference: bool,
    /// Whether `#123` issue references count as references.
    pub issue_references: bool,
    /// Commits that are not checked at all.
    pub ignore: IgnoreConfig,
    /// `Co-authored-by` identities (an e-mail address or a name) and the
    /// agent each stands for, e.g. `"rt-bot@example.com" = "realtime-dev"`.
    pub co_authors: BTreeMap<String, String>,
}

/// commitlint's default ignores, each switchable.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct IgnoreConfig {
    /// Merge commits, and `Merge branch ...` headers.
    pub merges: bool,
    /// git's own `Revert "..."` and `Reapply "..."`.
    pub reverts: bool,
    /// `fixup!`, `squash!` and `amend!`, which an autosquash rebase removes.
    pub fixups: bool,
    /// A bare version number as the header (`1.2.3`, `v2.0.0-rc.1`).
    pub versions: bool,
}

impl Default for IgnoreConfig {
    fn default() -> Self {
        IgnoreConfig {
            merges: true,
            reverts: true,
            fixups: true,
            versions: true,
        }
    }
}

/// `[plans]` in `harness.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PlanConfig {
    /// Sections every plan must have before it can be approved.
    pub required_sections: Vec<String>,
}

impl Default for PlanConfig {
    fn default() -> Self {
        PlanConfig {
            required_sections: vec!["Files to Change".to_string()],
        }
    }
}

/// Project-wide guard rules, under `[guard]` in `harness.toml`. They apply
/// to every agent, and alone when a call names no agent.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GuardConfig {
    /// Paths (gitignore-style globs) no agent may write.
    pub protected_paths: Vec<String>,
}

/// A project: its root directory and its configuration.
#[derive(Debug, Clone)]
pub struct Project {
    pub root: PathBuf,
    /// The `harness.toml` that was read, if any.
    pub config_path: Option<PathBuf>,
    pub config: Config,
    /// Where its files are read: the disk, or a commit's tree in memory
    /// when the project is a commit's (the policy a range is judged by).
    pub files: Files,
}

impl Project {
    /// Finds the project that contains `start`.
    pub fn discover(start: &Path) -> Result<Project> {
        let (root, config_path) = find_root(start);
        let config = match &config_path {
            // Errors name the file as the user would: relative to where they are.
            Some(path) => Config::parse(
                path.strip_prefix(start).unwrap_or(path),
                &fsutil::read_text(path)?,
            )?,
            None => Config::default(),
        };
        Ok(Project {
            root,
            config_path,
            config,
            files: Files::disk(),
        })
    }

    /// The project whose root is `root`, fixed by the caller (a hook's
    /// `--root`, `CLAUDE_PROJECT_DIR`): its `harness.toml` is the one in
    /// `root` itself, never one found by walking up or down.
    pub fn open(root: &Path) -> Result<Project> {
        let candidate = root.join(FILE_NAME);
        let config_path = candidate.is_file().then_some(candidate);
        let config = match &config_path {
            Some(path) => Config::parse(Path::new(FILE_NAME), &fsutil::read_text(path)?)?,
            None => Config::default(),
        };
        Ok(Project {
            root: root.to_path_buf(),
            config_path,
            config,
            files: Files::disk(),
        })
    }

    /// A project at `root` with the default configuration.
    pub fn with_defaults(root: impl Into<PathBuf>) -> Project {
        Project {
            root: root.into(),
            config_path: None,
            config: Config::default(),
            files: Files::disk(),
        }
    }

    /// A path from the configuration, relative to the project root.
    pub fn path(&self, p: &Path) -> PathBuf {
        self.root.join(p)
    }

    pub fn agent_dirs(&self) -> Vec<PathBuf> {
        self.config
            .paths
            .agents
            .iter()
            .map(|p| self.path(p))
            .collect()
    }

    pub fn plans_dir(&self) -> PathBuf {
        self.path(&self.config.paths.plans)
    }

    pub fn templates_dir(&self) -> PathBuf {
        self.path(&self.config.paths.templates)
    }

    pub fn skill_dirs(&self) -> Vec<PathBuf> {
        self.config
            .paths
            .skills
            .iter()
            .map(|p| self.path(p))
            .collect()
    }

    /// `path` relative to the project root when it lies inside it.
    pub fn relative<'a>(&self, path: &'a Path) -> &'a Path {
        path.strip_prefix(&self.root).unwrap_or(path)
    }
}

/// The project root and its `harness.toml`: the nearest ancestor holding
/// `harness.toml`, never above the repository root; else the repository root;
/// else `start` itself.
fn find_root(start: &Path) -> (PathBuf, Option<PathBuf>) {
    for dir in start.ancestors() {
        let candidate = dir.join(FILE_NAME);
        if candidate.is_file() {
            return (dir.to_path_buf(), Some(candidate));
        }
        if dir.join(".git").exists() {
            return (dir.to_path_buf(), None);
        }
    }
    (start.to_path_buf(), None)
}

impl Config {
    /// Parses `harness.toml` text; errors point at the offending key.
    pub fn parse(path: &Path, text: &str) -> Result<Config> {
        let mut config: Config = toml::from_str(text).map_err(|e| {
            let span = match e.span() {
                Some(range) => Span::in_text(path, text, range),
                None => Span::new(path, 1, 1),
            };
            Diagnostic::error(Code::InvalidConfig, e.message().trim_end().to_string())
                .at(span)
                .hint("see `harness-agents init` for a commented `harness.toml` with every field")
        })?;
        config.commits_declared =
            toml::from_str::<toml::Table>(text).is_ok_and(|t| t.contains_key("commits"));
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_is_optional() {
        let c = Config::parse(Path::new("harness.toml"), "").unwrap();
        assert_eq!(c.paths.plans, PathBuf::from("plans"));
        assert_eq!(c.paths.agents.len(), 2);
        assert!(c.policy.default.is_none());
    }

    #[test]
    fn unknown_key_is_a_located_error() {
        let err = Config::parse(Path::new("harness.toml"), "[paths]\nplns = \"p\"\n").unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("harness.toml:2:1: error: unknown field `plns`"),
            "{text}"
        );
    }

    #[test]
    fn commit_rules_are_commitlint_settings_checked_where_written() {
        let c = Config::parse(
            Path::new("harness.toml"),
            "[commits]\npreset = \"spec\"\n[commits.rules]\n\"type-enum\" = [2, \"always\", [\"feat\"]]\n\"subject-case\" = [0]\n",
        )
        .unwrap();
        assert_eq!(c.commits.preset, Preset::Spec);
        assert_eq!(c.commits.rules["subject-case"].level, 0);
        assert!(c.commits.rules["type-enum"].always);
        for (text, at, what) in [
            (
                "[commits.rules]\n\"type-enum\" = [3]\n",
                "harness.toml:2:15",
                "a rule is `[level",
            ),
            (
                "[commits.rules]\n\"type-enum\" = [2, \"sometimes\"]\n",
                "harness.toml:2:15",
                "the second item",
            ),
            (
                "[commits.rules]\n\"no-such-rule\" = [2]\n",
                "harness.toml:1:1",
                "unknown commit rule `no-such-rule`",
            ),
        ] {
            let err = Config::parse(Path::new("harness.toml"), text)
                .unwrap_err()
                .to_string();
            assert!(err.starts_with(at) && err.contains(what), "{err}");
        }
    }

    #[test]
    fn discovery_stops_at_the_repository_root() {
        let dir = tempfile::tempdir().unwrap();
        // A harness.toml above the repository must not be used.
        std::fs::write(dir.path().join(FILE_NAME), "[policy]\ndefault = \"x\"\n").unwrap();
        let repo = dir.path().join("repo");
        std::fs::create_dir_all(repo.join(".git")).unwrap();
        std::fs::create_dir_all(repo.join("src/deep")).unwrap();
        let p = Project::discover(&repo.join("src/deep")).unwrap();
        assert_eq!(p.root, repo);
        assert!(p.config_path.is_none());

        std::fs::write(
            repo.join(FILE_NAME),
            "[policy]\ndefault = \"realtime-dev\"\n",
        )
        .unwrap();
        let p = Project::discover(&repo.join("src/deep")).unwrap();
        assert_eq!(p.config.policy.default.as_deref(), Some("realtime-dev"));

        // A fixed root reads its own file, not one below it.
        std::fs::write(
            repo.join("src").join(FILE_NAME),
            "[policy]\ndefault = \"x\"\n",
        )
        .unwrap();
        let p = Project::open(&repo).unwrap();
        assert_eq!(p.config.policy.default.as_deref(), Some("realtime-dev"));
        assert_eq!(p.config_path, Some(repo.join(FILE_NAME)));
    }
}
