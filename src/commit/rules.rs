//! The project's commit rules: the `[commits]` section of `harness.toml`,
//! commitlint's config-conventional as the defaults, and an agent's own
//! commit conventions on top when a commit names its agent.

use serde::Serialize;

use super::conventional::{self, Footer, Syntax};
use super::preset::RuleSet;
use super::{Level, Violation};
pub use crate::config::DEFAULT_TYPES;
use crate::config::{CommitsConfig, IgnoreConfig};
use crate::policy::Policy;

/// The footer tokens that name the plan or task a commit implements.
pub const REFERENCE_TOKENS: &[&str] = &["Refs", "Plan", "Task"];

/// The trailer that names the agent a commit was made by.
pub const AGENT_TOKEN: &str = "Agent";

impl IgnoreConfig {
    /// Why a commit is not checked, if it is not.
    pub fn reason(&self, header: &str, parents: usize) -> Option<&'static str> {
        if self.merges && (parents > 1 || is_merge_header(header)) {
            return Some("merge");
        }
        if self.reverts && (header.starts_with("Revert \"") || header.starts_with("Reapply \"")) {
            return Some("revert");
        }
        if self.fixups
            && ["fixup! ", "squash! ", "amend! "]
                .iter()
                .any(|p| header.starts_with(p))
        {
            return Some("fixup");
        }
        if self.versions && is_version(header) {
            return Some("version");
        }
        None
    }
}

fn is_merge_header(h: &str) -> bool {
    [
        "Merge pull request ",
        "Merge branch ",
        "Merge remote-tracking branch ",
        "Merge tag ",
        "Automatic merge",
        "Auto-merged ",
    ]
    .iter()
    .any(|p| h.starts_with(p))
        || (h.starts_with("Merge ") && h.contains(" into "))
}

/// `1.2.3`, `v1.2.3`, `1.2.3-rc.1`, `1.2.3+build`.
fn is_version(h: &str) -> bool {
    let h = h.trim_end();
    let h = h.strip_prefix('v').unwrap_or(h);
    // Most headers are not versions: say so before splitting them.
    if !h.starts_with(|c: char| c.is_ascii_digit()) {
        return false;
    }
    let core_end = h.find(['-', '+']).unwrap_or(h.len());
    let parts: Vec<&str> = h[..core_end].split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        && (core_end == h.len() || h.len() > core_end + 1)
}

/// The rules one commit is held to: the project's, narrowed by its agent's.
#[derive(Debug, Clone)]
pub struct Rules<'a> {
    pub config: &'a CommitsConfig,
    /// The commitlint rules in force (see [`RuleSet::of`]).
    pub set: &'a RuleSet,
    /// The agent's allowed types, when it names any.
    pub agent_types: Option<(String, Vec<String>)>,
    /// The agent whose policy requires a reference, if one does.
    pub agent_requires_reference: Option<String>,
}

impl<'a> Rules<'a> {
    pub fn new(config: &'a CommitsConfig, set: &'a RuleSet) -> Self {
        Rules {
            config,
            set,
            agent_types: None,
            agent_requires_reference: None,
        }
    }

    /// These rules with an agent's commit conventions on top.
    pub fn for_agent(config: &'a CommitsConfig, set: &'a RuleSet, policy: &Policy) -> Self {
        let types = policy.commit_types();
        Rules {
            agent_types: (!types.is_empty()).then(|| {
                (
                    policy.agent.clone(),
                    types.iter().map(|t| t.to_string()).collect(),
                )
            }),
            agent_requires_reference: policy.requires_reference().map(|_| policy.agent.clone()),
            ..Rules::new(config, set)
        }
    }

    pub fn requires_reference(&self) -> bool {
        self.config.require_reference || self.agent_requires_reference.is_some()
    }

    /// The message's findings: the specification's (at the level of the
    /// rule of the same name, when the project sets one), the project's
    /// rules, and the agent's types. One finding per rule.
    pub fn check_message(&self, message: &str, syntax: &Syntax, out: &mut Vec<Violation>) {
        let mut found: Vec<Violation> = Vec::new();
        for v in &syntax.violations {
            match self.set.level(v.rule) {
                Some(Level::Error) => found.push(v.clone()),
                Some(Level::Warning) => found.push(v.clone().warning()),
                None => {}
            }
        }
        self.set.check(message, &mut found);
        let mut seen = std::collections::BTreeSet::new();
        found.retain(|v| seen.insert(v.rule));
        out.append(&mut found);
        let Some(h) = &syntax.header else {
            return;
        };
        let ty = h.commit_type.as_str();
        if let Some((agent, types)) = &self.agent_types
            && !types.iter().any(|t| t.eq_ignore_ascii_case(ty))
        {
            out.push(Violation::new(
                "agent-type",
                format!(
                    "agent `{agent}` may commit only {}",
                    types
                        .iter()
                        .map(|t| format!("`{t}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                Some(ty.to_string()),
            ));
        }
    }
}

/// What a reference footer names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reference {
    Plan { plan: String },
    Task { plan: String, task: String },
    Issue { number: u64 },
}

impl Reference {
    pub fn plan_id(&self) -> Option<&str> {
        match self {
            Reference::Plan { plan } | Reference::Task { plan, .. } => Some(plan),
            Reference::Issue { .. } => None,
        }
    }
}

impl std::fmt::Display for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reference::Plan { plan } => write!(f, "plan {plan}"),
            Reference::Task { plan, task } => write!(f, "task {plan}-{task}"),
            Reference::Issue { number } => write!(f, "#{number}"),
        }
    }
}

/// The references in a message's footers, and the items that are none.
pub fn references(footers: &[Footer]) -> (Vec<Reference>, Vec<String>) {
    let mut refs = Vec::new();
    let mut bad = Vec::new();
    for f in footers {
        if !REFERENCE_TOKENS.iter().any(|t| f.is(t)) {
            continue;
        }
        // `Refs #12` puts the `#` in the separator.
        let value = if f.separator == " #" {
            format!("#{}", f.value)
        } else {
            f.value.clone()
        };
        for item in value
            .split([',', ' ', '\n', '\t'])
            .filter(|s| !s.is_empty())
        {
            match parse_reference(item) {
                Some(r) => refs.push(r),
                None => bad.push(item.to_string()),
            }
        }
    }
    (refs, bad)
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

pub fn parse_reference(item: &str) -> Option<Reference> {
    if let Some(n) = item.strip_prefix('#') {
        return digits(n)
            .then(|| n.parse().ok().map(|number| Reference::Issue { number }))
            .flatten();
    }
    match item.split_once('-') {
        Some((p, t)) if digits(p) && digits(t) => Some(Reference::Task {
            plan: p.to_string(),
            task: t.to_string(),
        }),
        None if digits(item) => Some(Reference::Plan {
            plan: item.to_string(),
        }),
        _ => None,
    }
}

/// Every agent a message names: each `Agent:` line after the header
/// (read leniently, so a message that is not a Conventional Commit, or
/// whose header the project ignores, names its agent all the same), else a
/// mapped `Co-authored-by`. More than one is an error the caller reports.
pub fn agents(message: &str, footers: &[Footer], config: &CommitsConfig) -> Vec<String> {
    let mut named: Vec<String> = Vec::new();
    let bytes = message.as_bytes();
    // The lines after the first, found by byte: most do not start with the
    // token, and are skipped without being split out.
    for start in super::conventional::line_starts(message).skip(1) {
        if !bytes[start..]
            .get(..AGENT_TOKEN.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(AGENT_TOKEN.as_bytes()))
        {
            continue;
        }
        let line = super::conventional::split_lf(&message[start..])
            .next()
            .unwrap_or("");
        let line = line.strip_suffix('\r').unwrap_or(line);
        if let Some((token, value)) = line.split_once(':')
            && token.trim_end().eq_ignore_ascii_case(AGENT_TOKEN)
            && token.len() == token.trim_start().len()
        {
            named.push(value.trim().to_string());
        }
    }
    if named.is_empty() {
        named.extend(agent(footers, config));
    }
    named
}

/// Who a message says made it and what work it names: its agents (see
/// [`agents`]) and its plan, task and issue references.
pub fn attribution(message: &str, config: &CommitsConfig) -> (Vec<String>, Vec<Reference>) {
    let message = super::conventional::normalize(message);
    let syntax = super::conventional::check(&message);
    let (refs, _) = references(&syntax.footers);
    (agents(&message, &syntax.footers, config), refs)
}

/// The agent a message names: an `Agent:` trailer, else a mapped
/// `Co-authored-by`.
pub fn agent(footers: &[Footer], config: &CommitsConfig) -> Option<String> {
    if let Some(f) = footers.iter().find(|f| f.is(AGENT_TOKEN)) {
        return Some(f.value.trim().to_string());
    }
    footers
        .iter()
        .filter(|f| f.is("Co-authored-by"))
        .find_map(|f| {
            let value = f.value.trim();
            let (name, email) = match value.rsplit_once('<') {
                Some((n, e)) => (n.trim(), e.trim_end_matches('>').trim()),
                None => (value, ""),
            };
            config
                .co_authors
                .iter()
                .find(|(who, _)| {
                    who.eq_ignore_ascii_case(email) || who.as_str() == name || *who == value
                })
                .map(|(_, agent)| agent.clone())
        })
}

/// Syntax and the project's rules, for a message already known not to be
/// ignored.
pub fn lint(message: &str, rules: &Rules) -> (Syntax, Vec<Violation>) {
    let syntax = conventional::check(message);
    let mut violations = Vec::new();
    rules.check_message(message, &syntax, &mut violations);
    (syntax, violations)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_parse_plans_tasks_and_issues() {
        let f = |token: &str, sep: &'static str, value: &str| Footer {
            token: token.into(),
            separator: sep,
            value: value.into(),
        };
        let (refs, bad) = references(&[
            f("Refs", ":", "0007-3, #12"),
            f("refs", " #", "4"),
            f("Plan", ":", "0009"),
            f("Task", ":", "oops"),
            f("Reviewed-by", ":", "0001"),
        ]);
        assert_eq!(
            refs,
            [
                Reference::Task {
                    plan: "0007".into(),
                    task: "3".into()
                },
                Reference::Issue { number: 12 },
                Reference::Issue { number: 4 },
                Reference::Plan {
                    plan: "0009".into()
                },
            ]
        );
        assert_eq!(bad, ["oops"]);
    }

    #[test]
    fn the_init_template_parses_and_requires_references() {
        let text = include_str!("../../templates/harness.toml");
        let config = crate::config::Config::parse(std::path::Path::new("harness.toml"), text)
            .unwrap()
            .commits;
        assert!(config.require_reference);
        assert_eq!(RuleSet::of(&config).types().unwrap(), DEFAULT_TYPES);
        assert!(!CommitsConfig::default().require_reference);
        let err = crate::config::Config::parse(
            std::path::Path::new("harness.toml"),
            "[commits]\nrequire_refs = true\n",
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("harness.toml:2:1: error: unknown field `require_refs`"),
            "{err}"
        );
    }

    #[test]
    fn versions_are_recognised() {
        for v in ["1.2.3", "v1.2.3", "10.0.0-rc.1", "1.0.0+build.5"] {
            assert!(is_version(v), "{v}");
        }
        for v in ["1.2", "v1.2.3.4", "1.2.x", "release 1.2.3", "1.2.3-"] {
            assert!(!is_version(v), "{v}");
        }
    }

    #[test]
    fn co_authors_map_to_agents() {
        let mut config = CommitsConfig::default();
        config
            .co_authors
            .insert("rt@agents.example".into(), "realtime-dev".into());
        let footers = [Footer {
            token: "Co-authored-by".into(),
            separator: ":",
            value: "RT Bot <rt@agents.example>".into(),
        }];
        assert_eq!(agent(&footers, &config).as_deref(), Some("realtime-dev"));
        assert_eq!(agent(&footers, &CommitsConfig::default()), None);
    }
}
