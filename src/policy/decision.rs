//! The guard's decision on one tool call: deny, or no objection, with the
//! rule that decided and where that rule comes from.
//!
//! Rules are asked in Claude Code's order, deny first: the agent's
//! `disallowedTools`, the protected paths (the agent's and the project's,
//! harness's control files among them, in the repository and in the home
//! directory), the commands only a person runs, the refusal of every write
//! when no agent can be named, the plan-mode write limit, then the `tools`
//! allow list (when present, anything not on it is denied), and last the
//! plan gate. The first rule that denies decides; a call no rule denies is
//! allowed, which for the hook means "no objection": the user's own
//! permission settings still apply.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use super::control;
use super::matcher::{self, EDIT_TOOLS, SpecMatch, Subject};
use super::paths::{Located, PathRules, Resolver};
use super::writes;
use super::{Policy, Rule, RuleKind};
use crate::diagnostic::{Code, Diagnostic, Provenance, Span, display_path};
use crate::plan::PlanStatus;
use crate::shell;

use crate::config::GuardConfig;

impl GuardConfig {
    /// The rules, each cited to its line of `harness.toml` (`text`).
    pub fn rules(&self, path: &Path, text: &str) -> Vec<Rule> {
        self.protected_paths
            .iter()
            .map(|glob| {
                let quoted = [format!("\"{glob}\""), format!("'{glob}'")];
                let line = text
                    .lines()
                    .position(|l| quoted.iter().any(|q| l.contains(q.as_str())))
                    .map_or(1, |i| i + 1);
                Rule {
                    kind: RuleKind::ProtectPath { glob: glob.clone() },
                    provenance: Provenance::new(path, line),
                    source_text: format!("[guard] protected_paths: {glob}"),
                }
            })
            .collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// No rule objects. The hook stays silent, so Claude Code's own
    /// permission settings still decide.
    Allow,
    Deny,
}

/// What the guard concluded about one call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GuardDecision {
    pub verdict: Verdict,
    /// The rule that decided, when one did.
    pub rule: Option<Rule>,
    /// One sentence for the agent: what was refused and why, citing the
    /// rule's file and line.
    pub reason: String,
}

impl GuardDecision {
    fn allow(rule: Option<&Rule>, reason: impl Into<String>) -> GuardDecision {
        GuardDecision {
            verdict: Verdict::Allow,
            rule: rule.cloned(),
            reason: reason.into(),
        }
    }

    fn deny(rule: Option<&Rule>, reason: impl Into<String>) -> GuardDecision {
        GuardDecision {
            verdict: Verdict::Deny,
            rule: rule.cloned(),
            reason: reason.into(),
        }
    }

    pub fn is_deny(&self) -> bool {
        self.verdict == Verdict::Deny
    }
}

/// A tool call as Claude Code describes it in a PreToolUse event.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall {
    pub tool_name: String,
    pub tool_input: Value,
}

/// Finds the active plan, asked only when a decision needs it.
///
/// `Ok(None)` when no plan is active (none named by `HARNESS_PLAN`, no task
/// of the agent in progress); `Err` when finding out failed.
pub trait PlanSource {
    fn active_plan(&self, agent: &str) -> Result<Option<PlanStatus>, String>;
}

/// The facts of a call the rules look at.
#[derive(Debug, Default)]
struct Facts {
    /// Bash: the command text of each part.
    commands: Vec<String>,
    /// Every path the call reads or writes.
    paths: Vec<Located>,
    /// Paths written, each with whether it may be a directory whose whole
    /// tree is written (`rm -r`, `cp x dir/`).
    writes: Vec<(Located, bool)>,
    url: Option<String>,
    text: Option<String>,
    /// Bash: a write whose target cannot be known, and why.
    unknown_write: Option<String>,
    /// Bash: each part that runs a decision command, with the command.
    person: Vec<(String, &'static str)>,
}

/// The guard for one agent (or none) in one project.
pub struct Guard<'a> {
    policy: Option<&'a Policy>,
    /// The agent's and the project's protected paths, each with its rule.
    protected: PathRules<&'a Rule>,
    /// Protected paths in the home directory (globs written `~/...`).
    home_protected: PathRules<&'a Rule>,
    write_only: Option<(PathRules<()>, &'a Rule)>,
    /// The project's rules refusing decision commands to agents.
    person_only: Vec<&'a Rule>,
    /// Why every write is refused, when no agent can be named.
    writes_denied: Option<String>,
    /// `plans/` relative to the root, whose writes the plan gate lets by.
    plans_dir: String,
    root: PathBuf,
}

impl<'a> Guard<'a> {
    /// Compiles the path rules of `policy` (if any) and the project's.
    pub fn new(
        policy: Option<&'a Policy>,
        project_rules: &'a [Rule],
        root: &Path,
        plans_dir: &str,
    ) -> Result<Guard<'a>, Diagnostic> {
        let mut protected = Vec::new();
        let mut home_protected = Vec::new();
        for rule in policy
            .map(|p| p.rules.as_slice())
            .unwrap_or_default()
            .iter()
            .chain(project_rules)
        {
            if let RuleKind::ProtectPath { glob } = &rule.kind {
                match glob.strip_prefix('~') {
                    Some(in_home) => home_protected.push((in_home.to_string(), rule)),
                    None => protected.push((glob.clone(), rule)),
                }
            }
        }
        let protected =
            PathRules::new(protected).map_err(|e| bad_glob(&e, policy, project_rules))?;
        let home_protected =
            PathRules::new(home_protected).map_err(|e| bad_glob(&e, policy, project_rules))?;
        let write_only = match policy.and_then(|p| {
            p.rules
                .iter()
                .find(|r| matches!(r.kind, RuleKind::WriteOnly { .. }))
        }) {
            Some(rule) => {
                let RuleKind::WriteOnly { glob } = &rule.kind else {
                    unreachable!("filtered on WriteOnly above")
                };
                let rules = PathRules::new([(glob.clone(), ())])
                    .map_err(|e| bad_glob(&e, policy, project_rules))?;
                Some((rules, rule))
            }
            None => None,
        };
        let person_only = project_rules
            .iter()
            .filter(|r| matches!(r.kind, RuleKind::PersonOnly { .. }))
            .collect();
        Ok(Guard {
            policy,
            protected,
            home_protected,
            write_only,
            person_only,
            writes_denied: None,
            plans_dir: plans_dir.trim_matches('/').to_string(),
            root: root.to_path_buf(),
        })
    }

    /// A guard that refuses every write, saying `why`: for a call that no
    /// agent can be named for, whose policy is therefore unknown.
    pub fn deny_writes(mut self, why: impl Into<String>) -> Guard<'a> {
        self.writes_denied = Some(why.into());
        self
    }

    /// Decides one call.
    pub fn decide(
        &self,
        call: &ToolCall,
        resolver: &Resolver,
        plans: &dyn PlanSource,
    ) -> GuardDecision {
        let tool = call.tool_name.as_str();
        let facts = match facts(call, resolver) {
            Ok(f) => f,
            Err(why) => {
                return GuardDecision::deny(None, format!("harness denies `{tool}`: {why}"));
            }
        };
        if let Some(d) = self
            .policy
            .and_then(|policy| self.denied_tool(policy, tool, &facts))
        {
            return d;
        }
        if let Some(d) = self.protected_write(tool, &facts, resolver) {
            return d;
        }
        if let Some(d) = self.person_command(tool, &facts) {
            return d;
        }
        if let Some(d) = self.unseen_write(tool, &facts) {
            return d;
        }
        if let (Some(why), Some((at, _))) = (&self.writes_denied, facts.writes.first()) {
            return GuardDecision::deny(
                None,
                format!("harness denies `{tool}` writing `{}`: {why}", at.display()),
            );
        }
        if let Some(d) = self.outside_write_only(tool, &facts) {
            return d;
        }
        let mut allowed_by = None;
        if let Some(policy) = self.policy {
            match self.allow_list(policy, tool, &facts) {
                Ok(rule) => allowed_by = rule,
                Err(d) => return d,
            }
            if let Some(d) = self.plan_gate(policy, tool, &facts, plans) {
                return d;
            }
        }
        let reason = match (self.policy, allowed_by) {
            (_, Some(rule)) => format!("`{tool}` is allowed by {}", cite(rule)),
            (Some(p), None) => {
                format!("no rule of `{}` or of the project denies `{tool}`", p.agent)
            }
            (None, None) => format!("no project rule denies `{tool}`"),
        };
        GuardDecision::allow(allowed_by, reason)
    }

    fn denied_tool(&self, policy: &Policy, tool: &str, facts: &Facts) -> Option<GuardDecision> {
        for rule in &policy.rules {
            let RuleKind::DenyTool { tool: raw } = &rule.kind else {
                continue;
            };
            let spec = crate::agent::ToolSpec::parse(raw, rule.provenance.line);
            let hit = match &spec.specifier {
                None => matcher::names_tool(&spec.name, tool),
                Some(s) => {
                    matcher::family_covers(&spec.name, tool)
                        && matcher::specifier_matches(&spec, s, &subject(facts)) != SpecMatch::None
                }
            };
            if hit {
                return Some(GuardDecision::deny(
                    Some(rule),
                    format!(
                        "harness denies `{tool}`{}: {} (`{}` is in disallowedTools of `{}`)",
                        what(facts),
                        cite(rule),
                        raw,
                        policy.agent
                    ),
                ));
            }
        }
        None
    }

    fn person_command(&self, tool: &str, facts: &Facts) -> Option<GuardDecision> {
        for (text, command) in &facts.person {
            let wanted = format!("harness {command}");
            let Some(rule) = self.person_only.iter().find(|r| match &r.kind {
                RuleKind::PersonOnly { command } => *command == wanted,
                _ => false,
            }) else {
                continue;
            };
            return Some(GuardDecision::deny(
                Some(rule),
                format!("harness denies `{tool}` running `{text}`: {}", cite(rule)),
            ));
        }
        None
    }

    fn protected_write(
        &self,
        tool: &str,
        facts: &Facts,
        resolver: &Resolver,
    ) -> Option<GuardDecision> {
        for (at, tree) in &facts.writes {
            let hit = if let Some(home) =
                resolver.home().filter(|_| !self.home_protected.is_empty())
                && let Some(in_home) = resolver.in_home(at)
            {
                self.matching_write(&self.home_protected, &in_home, *tree, home)
            } else if self.protected.is_empty() {
                None
            } else {
                self.matching_write(&self.protected, at, *tree, &self.root)
            };
            if let Some((glob, &rule)) = hit {
                // Home rules are matched without their `~`; cite them with it.
                let glob = match &rule.kind {
                    RuleKind::ProtectPath { glob } => glob.as_str(),
                    _ => glob,
                };
                return Some(GuardDecision::deny(
                    Some(rule),
                    format!(
                        "harness denies `{tool}` writing `{}`: {} (protected path `{glob}`)",
                        at.display(),
                        cite(rule)
                    ),
                ));
            }
        }
        None
    }

    /// A Bash write whose target cannot be known is denied by any rule that
    /// limits writes: it could be anywhere.
    fn unseen_write(&self, tool: &str, facts: &Facts) -> Option<GuardDecision> {
        let why = facts.unknown_write.as_ref()?;
        let rule = self
            .protected
            .first()
            .map(|(_, rule)| *rule)
            .or(self.write_only.as_ref().map(|(_, rule)| *rule))
            .or(self.policy.and_then(Policy::requires_approved_plan))?;
        Some(GuardDecision::deny(
            Some(rule),
            format!(
                "harness denies `{tool}` writing a file it cannot name: {why}; {}",
                cite(rule)
            ),
        ))
    }

    /// A rule matching a written path, or, when the path may be a directory
    /// written as a whole, any path inside it.
    fn matching_write<'r, T>(
        &self,
        rules: &'r PathRules<T>,
        at: &Located,
        tree: bool,
        base: &Path,
    ) -> Option<(&'r str, &'r T)>
    where
        T: Clone,
    {
        if let Some(hit) = rules.matching_located(at) {
            return Some(hit);
        }
        if !tree {
            return None;
        }
        for form in at.forms() {
            // Anything that may be created inside it.
            let probe = if form.is_empty() {
                PROBE.to_string()
            } else {
                format!("{form}/{PROBE}")
            };
            if let Some(hit) = rules.matching(&probe) {
                return Some(hit);
            }
            // Anything already inside it; a walk that gives up denies.
            match first_match_below(rules, base, form, &mut 20_000) {
                Ok(Some(hit)) => return Some(hit),
                Ok(None) => {}
                Err(GaveUp) => return rules.first(),
            }
        }
        None
    }

    fn outside_write_only(&self, tool: &str, facts: &Facts) -> Option<GuardDecision> {
        let (rules, rule) = self.write_only.as_ref()?;
        for (at, _) in &facts.writes {
            if rules.matching_located(at).is_none() {
                let RuleKind::WriteOnly { glob } = &rule.kind else {
                    continue;
                };
                return Some(GuardDecision::deny(
                    Some(rule),
                    format!(
                        "harness denies `{tool}` writing `{}`: {} (this agent may write only `{glob}`)",
                        at.display(),
                        cite(rule)
                    ),
                ));
            }
        }
        None
    }

    /// `Ok(Some(rule))` when an allow rule lets the call through, `Ok(None)`
    /// when the agent's tools are not restricted.
    fn allow_list<'p>(
        &self,
        policy: &'p Policy,
        tool: &str,
        facts: &Facts,
    ) -> Result<Option<&'p Rule>, GuardDecision> {
        if !policy.tools_restricted {
            return Ok(None);
        }
        let allows: Vec<(crate::agent::ToolSpec, &Rule)> = policy
            .rules
            .iter()
            .filter_map(|r| match &r.kind {
                RuleKind::AllowTool { tool } => {
                    Some((crate::agent::ToolSpec::parse(tool, r.provenance.line), r))
                }
                _ => None,
            })
            .collect();
        if let Some((_, rule)) = allows
            .iter()
            .find(|(s, _)| s.specifier.is_none() && matcher::names_tool(&s.name, tool))
        {
            return Ok(Some(rule));
        }
        let scoped: Vec<_> = allows
            .iter()
            .filter(|(s, _)| s.specifier.is_some() && matcher::family_covers(&s.name, tool))
            .collect();
        if tool == "Bash" && !scoped.is_empty() {
            // Every part of the command needs a rule of its own.
            let mut first = None;
            for command in &facts.commands {
                let hit = scoped.iter().find(|(s, _)| {
                    matcher::command_matches(s.specifier.as_deref().unwrap_or_default(), command)
                });
                match hit {
                    Some((_, rule)) => {
                        first.get_or_insert(*rule);
                    }
                    None => {
                        let allowed: Vec<&str> =
                            scoped.iter().map(|(s, _)| s.raw.as_str()).collect();
                        return Err(GuardDecision::deny(
                            Some(scoped[0].1),
                            format!(
                                "harness denies `Bash` running `{command}`: the tools of `{}` allow Bash only as {} ({})",
                                policy.agent,
                                allowed.join(", "),
                                scoped[0].1.provenance
                            ),
                        ));
                    }
                }
            }
            if let Some(rule) = first {
                return Ok(Some(rule));
            }
        } else {
            let subject = subject(facts);
            if let Some((_, rule)) = scoped.iter().find(|(s, _)| {
                matcher::specifier_matches(s, s.specifier.as_deref().unwrap_or_default(), &subject)
                    == SpecMatch::All
            }) {
                return Ok(Some(rule));
            }
        }
        let listed: Vec<&str> = allows.iter().map(|(s, _)| s.raw.as_str()).collect();
        let at = allows
            .first()
            .map(|(_, r)| r.provenance.to_string())
            .unwrap_or_else(|| display_path(&policy.source));
        Err(GuardDecision::deny(
            None,
            format!(
                "harness denies `{tool}`{}: it is not in the tools of `{}` ({at}: tools: {})",
                what(facts),
                policy.agent,
                if listed.is_empty() {
                    "none".to_string()
                } else {
                    listed.join(", ")
                }
            ),
        ))
    }

    fn plan_gate(
        &self,
        policy: &Policy,
        tool: &str,
        facts: &Facts,
        plans: &dyn PlanSource,
    ) -> Option<GuardDecision> {
        let rule = policy.requires_approved_plan()?;
        if !EDIT_TOOLS.contains(&tool) && tool != "Bash" {
            return None;
        }
        let plans_prefix = format!("{}/", self.plans_dir);
        let gated: Vec<&Located> = facts
            .writes
            .iter()
            .map(|(at, _)| at)
            .filter(|at| {
                !at.forms().iter().all(|f| f.starts_with(&plans_prefix)) || at.forms().is_empty()
            })
            .collect();
        let first = gated.first()?;
        let deny = |why: String| {
            Some(GuardDecision::deny(
                Some(rule),
                format!(
                    "harness denies `{tool}` writing `{}`: {} ({why})",
                    first.display(),
                    cite(rule)
                ),
            ))
        };
        let status = match plans.active_plan(&policy.agent) {
            Err(e) => return deny(format!("the active plan cannot be read: {e}")),
            Ok(None) => {
                return deny(
                    "no plan is active: set HARNESS_PLAN or start a task of an approved plan with `harness-agents task start`"
                        .to_string(),
                );
            }
            Ok(Some(status)) => status,
        };
        let (plan, scope) = match &status {
            PlanStatus::Approved { plan, scope } => (plan, scope),
            PlanStatus::NotApproved { plan, state } => {
                return deny(format!(
                    "plan {} ({}) is {state}, not approved; ask a person to approve it (`harness-agents plan approve {} --by NAME`)",
                    plan.id,
                    display_path(&plan.path),
                    plan.id
                ));
            }
            PlanStatus::Changed { plan } => {
                return deny(format!(
                    "plan {} ({}) changed since it was approved; see `harness-agents plan diff {}`, and ask a person to approve it again",
                    plan.id,
                    display_path(&plan.path),
                    plan.id
                ));
            }
            PlanStatus::Unknown { id } => {
                return deny(format!(
                    "the active plan cannot be read: no plan has id `{id}`"
                ));
            }
            PlanStatus::Unreadable { problem, .. } => {
                return deny(format!("the active plan cannot be read: {problem}"));
            }
        };
        let shown = display_path(&plan.path);
        for at in gated {
            if !at.forms().iter().any(|f| scope.contains(f)) {
                return Some(GuardDecision::deny(
                    Some(rule),
                    format!(
                        "harness denies `{tool}` writing `{}`: it is not in the Files to Change of plan {} ({shown}); {}",
                        at.display(),
                        plan.id,
                        cite(rule)
                    ),
                ));
            }
        }
        None
    }
}

fn bad_glob(e: &super::paths::BadGlob, policy: Option<&Policy>, project: &[Rule]) -> Diagnostic {
    let cited = policy
        .map(|p| p.rules.as_slice())
        .unwrap_or_default()
        .iter()
        .chain(project)
        .find(|r| match &r.kind {
            RuleKind::ProtectPath { glob } | RuleKind::WriteOnly { glob } => *glob == e.glob,
            _ => false,
        });
    let d = Diagnostic::error(
        Code::BadGlob,
        format!("invalid path pattern `{}`: {}", e.glob, e.message),
    )
    .hint("path patterns use gitignore syntax, e.g. `tests/**` or `**/*.spec.*`");
    match cited {
        Some(r) => d.at(Span::new(&r.provenance.path, r.provenance.line, 1)),
        None => d,
    }
}

/// `path:line: words` for a reason.
pub fn cite(rule: &Rule) -> String {
    format!("{}: {}", rule.provenance, rule.source_text)
}

fn what(facts: &Facts) -> String {
    if let Some(c) = facts.commands.first() {
        return format!(" running `{c}`");
    }
    match facts.paths.first() {
        Some(p) => {
            let shown = p.display();
            let shown = shown
                .strip_suffix(PROBE)
                .map_or(shown.as_str(), |dir| dir.trim_end_matches('/'));
            format!(" on `{}`", if shown.is_empty() { "." } else { shown })
        }
        None => String::new(),
    }
}

fn subject(facts: &Facts) -> Subject<'_> {
    Subject {
        commands: &facts.commands,
        paths: &facts.paths,
        url: facts.url.as_deref(),
        text: facts.text.as_deref(),
    }
}

fn str_field<'v>(input: &'v Value, key: &str) -> Option<&'v str> {
    input.get(key).and_then(Value::as_str)
}

/// What a call touches, read from its input.
fn facts(call: &ToolCall, resolver: &Resolver) -> Result<Facts, String> {
    let input = &call.tool_input;
    let mut f = Facts::default();
    let tool = call.tool_name.as_str();
    let need =
        |key: &str| str_field(input, key).ok_or_else(|| format!("its input has no `{key}` string"));
    match tool {
        "Edit" | "MultiEdit" | "Write" => {
            let at = resolver.locate(need("file_path")?);
            f.writes.push((at.clone(), false));
            f.paths.push(at);
        }
        "NotebookEdit" => {
            let at = resolver.locate(need("notebook_path")?);
            f.writes.push((at.clone(), false));
            f.paths.push(at);
        }
        "Read" => f.paths.push(resolver.locate(need("file_path")?)),
        "NotebookRead" => f.paths.push(resolver.locate(need("notebook_path")?)),
        "Glob" | "Grep" | "LS" => {
            let base = str_field(input, "path").unwrap_or(".");
            let pattern = str_field(input, "pattern").filter(|_| tool == "Glob");
            let glob = str_field(input, "glob");
            let prefix = literal_prefix(pattern.or(glob).unwrap_or(""));
            // A search reads anything below its directory: rules see a
            // name inside it, which also matches a rule on the directory
            // (or file) itself, as gitignore matches parents.
            let mut joined = base.trim_end_matches('/').to_string();
            if !prefix.is_empty() {
                joined = format!("{joined}/{prefix}");
            }
            f.paths.push(resolver.locate(&format!("{joined}/{PROBE}")));
        }
        "Bash" => {
            let command = need("command")?;
            let commands =
                shell::parse(command).map_err(|e| format!("cannot check the command: {e}"))?;
            for simple in &commands {
                f.commands.push(simple.text());
                if let Some(person) = control::person_command(&simple.words) {
                    f.person.push((simple.text(), person));
                }
                for written in writes::files_written(simple) {
                    let target = match written {
                        writes::Written::Path(p) => p,
                        writes::Written::Unknown(why) => {
                            f.unknown_write
                                .get_or_insert(format!("`{}`: {why}", simple.text()));
                            continue;
                        }
                    };
                    if is_device(&target) {
                        continue;
                    }
                    let at = resolver.locate(&target);
                    f.writes.push((at.clone(), true));
                    f.paths.push(at);
                }
            }
        }
        "WebFetch" => f.url = str_field(input, "url").map(str::to_string),
        _ if tool.starts_with("mcp__") => {
            let writes = mcp_may_write(tool);
            let mut raw = Vec::new();
            path_arguments(input, 0, &mut raw);
            for p in raw {
                let at = resolver.locate(p);
                if writes {
                    f.writes.push((at.clone(), false));
                }
                f.paths.push(at);
            }
        }
        _ => {
            f.text = [
                "subagent_type",
                "skill",
                "query",
                "command",
                "url",
                "prompt",
            ]
            .iter()
            .find_map(|k| str_field(input, k))
            .map(str::to_string);
        }
    }
    Ok(f)
}

/// Whether an MCP tool may write what its path arguments name. Its name is
/// all there is to go by: a tool whose action starts with a reading verb
/// (`read_file`, `list_directory`, `get_file_contents`) and names no
/// writing one reads; anything else may write.
fn mcp_may_write(tool: &str) -> bool {
    const READS: &[&str] = &[
        "read", "get", "list", "search", "find", "view", "show", "stat", "info", "glob", "grep",
        "fetch", "query", "describe", "tree", "ls", "cat", "head", "tail", "diff", "status",
        "count", "lookup",
    ];
    const WRITES: &[&str] = &[
        "write", "edit", "create", "delete", "remove", "rm", "move", "mv", "rename", "update",
        "set", "put", "patch", "append", "save", "upload", "copy", "cp", "replace", "insert",
        "modify", "apply", "push", "commit", "mkdir", "touch", "chmod", "truncate", "clear",
        "reset", "restore", "checkout",
    ];
    let action = tool.rsplit("__").next().unwrap_or(tool).to_lowercase();
    let words: Vec<&str> = action
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let reads = words.first().is_some_and(|w| READS.contains(w));
    !reads || words.iter().any(|w| WRITES.contains(w))
}

/// The strings of an MCP tool's input under keys that name paths (`path`,
/// `file_path`, `paths`, `source`, `destination`, ...), at any depth.
fn path_arguments<'v>(value: &'v Value, depth: usize, out: &mut Vec<&'v str>) {
    if depth > 8 {
        return;
    }
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                if is_path_key(key) {
                    collect_strings(v, depth, out);
                } else {
                    path_arguments(v, depth + 1, out);
                }
            }
        }
        Value::Array(items) => {
            for v in items {
                path_arguments(v, depth + 1, out);
            }
        }
        _ => {}
    }
}

fn collect_strings<'v>(value: &'v Value, depth: usize, out: &mut Vec<&'v str>) {
    match value {
        Value::String(s) => out.push(s),
        Value::Array(items) => items.iter().for_each(|v| collect_strings(v, depth, out)),
        other => path_arguments(other, depth + 1, out),
    }
}

fn is_path_key(key: &str) -> bool {
    let k = key.to_lowercase().replace(['_', '-'], "");
    k.ends_with("path")
        || k.ends_with("paths")
        || k.ends_with("file")
        || k.ends_with("files")
        || k.ends_with("filename")
        || k.ends_with("dir")
        || k.ends_with("directory")
        || matches!(
            k.as_str(),
            "source" | "destination" | "target" | "src" | "dest" | "dst"
        )
}

/// A name standing for "any file inside" a directory.
const PROBE: &str = "harness-probe";

/// The directories of a glob pattern before its first wildcard.
fn literal_prefix(pattern: &str) -> String {
    let mut out = Vec::new();
    let parts: Vec<&str> = pattern.split('/').collect();
    for (i, part) in parts.iter().enumerate() {
        if part.contains(['*', '?', '[', '{']) || i + 1 == parts.len() {
            break;
        }
        out.push(*part);
    }
    out.join("/")
}

fn is_device(path: &str) -> bool {
    path.starts_with("/dev/")
}

/// A directory walk that looked at its budget of entries without an answer.
struct GaveUp;

/// A file below `dir` (repository-relative) that matches, if any, looking
/// at no more than `budget` entries. Only reached for Bash writes to an
/// existing directory (`rm -r dir`), so the walk is rare.
fn first_match_below<'r, T: Clone>(
    rules: &'r PathRules<T>,
    root: &Path,
    dir: &str,
    budget: &mut usize,
) -> Result<Option<(&'r str, &'r T)>, GaveUp> {
    let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
        return Ok(None);
    };
    for entry in entries.flatten() {
        if *budget == 0 {
            return Err(GaveUp);
        }
        *budget -= 1;
        let name = entry.file_name();
        let rel = if dir.is_empty() {
            name.to_string_lossy().into_owned()
        } else {
            format!("{dir}/{}", name.to_string_lossy())
        };
        if let Some(hit) = rules.matching(&rel) {
            return Ok(Some(hit));
        }
        // `file_type` does not follow symlinks, so a link cycle is no loop.
        if entry.file_type().is_ok_and(|t| t.is_dir())
            && let Some(hit) = first_match_below(rules, root, &rel, budget)?
        {
            return Ok(Some(hit));
        }
    }
    Ok(None)
}
