//! `harness agents list|show|validate|explain`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::Context;
use crate::agent::{self, AgentDefinition, Catalog, validate};
use crate::cli::AgentsCommand;
use crate::diagnostic::{Diagnostic, display_path};
use crate::error::{Outcome, Result};
use crate::policy::{Policy, RuleKind};
use crate::report::{self, BOLD, DIM, ERROR, Format, OK, WARNING};

pub fn run(ctx: &Context, cmd: AgentsCommand) -> Result<Outcome> {
    match cmd {
        AgentsCommand::List => list(ctx),
        AgentsCommand::Show { name } => show(ctx, &name),
        AgentsCommand::Validate { paths } => validate_cmd(ctx, &paths),
        AgentsCommand::Explain { name } => explain(ctx, &name),
    }
}

fn tool_summary(def: &AgentDefinition) -> String {
    let allowed = match &def.tools {
        Some(t) => t.len().to_string(),
        None => "all".to_string(),
    };
    if def.disallowed_tools.is_empty() {
        allowed
    } else {
        format!("{allowed} -{}", def.disallowed_tools.len())
    }
}

#[derive(Serialize)]
struct ListEntry<'a> {
    name: &'a str,
    model: Option<&'a str>,
    permission_mode: Option<&'a str>,
    /// Number of allowed tools; null when every tool is allowed.
    tools: Option<usize>,
    disallowed_tools: usize,
    source: String,
}

fn list(ctx: &Context) -> Result<Outcome> {
    let project = ctx.project()?;
    let catalog = Catalog::load(&project);
    match ctx.format {
        Format::Json => {
            let entries: Vec<_> = catalog
                .agents
                .iter()
                .map(|a| ListEntry {
                    name: &a.name,
                    model: a.model.as_deref(),
                    permission_mode: a.permission_mode.as_deref(),
                    tools: a.tools.as_ref().map(Vec::len),
                    disallowed_tools: a.disallowed_tools.len(),
                    source: display_path(&a.source),
                })
                .collect();
            report::json(&entries)?;
        }
        Format::Text => {
            if catalog.agents.is_empty() {
                report::text("no agents found; run `harness init` to add the default agents\n")?;
            } else {
                let rows: Vec<Vec<String>> = catalog
                    .agents
                    .iter()
                    .map(|a| {
                        vec![
                            a.name.clone(),
                            a.model.clone().unwrap_or_else(|| "-".into()),
                            a.permission_mode.clone().unwrap_or_else(|| "-".into()),
                            tool_summary(a),
                            display_path(&a.source),
                        ]
                    })
                    .collect();
                report::text(&report::table(
                    &["NAME", "MODEL", "MODE", "TOOLS", "SOURCE"],
                    &rows,
                ))?;
            }
        }
    }
    let errors = catalog.errors();
    if errors > 0 {
        eprintln!("note: agent files have {errors} error(s); run `harness agents validate`");
    }
    Ok(Outcome::Success)
}

fn show(ctx: &Context, name: &str) -> Result<Outcome> {
    let project = ctx.project()?;
    let catalog = Catalog::load(&project);
    let def = catalog.require(name)?;
    match ctx.format {
        Format::Json => report::json(def)?,
        Format::Text => report::text(&show_text(def))?,
    }
    Ok(Outcome::Success)
}

fn join_tools(tools: &[agent::ToolSpec]) -> String {
    tools
        .iter()
        .map(|t| t.raw.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn show_text(def: &AgentDefinition) -> String {
    let mut s = String::new();
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    let _ = writeln!(
        s,
        "{BOLD}{}{BOLD:#}  {DIM}{}{DIM:#}",
        def.name,
        display_path(&def.source)
    );
    let _ = writeln!(
        s,
        "description      {}",
        def.description
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    );
    let _ = writeln!(s, "model            {}", opt(&def.model));
    let _ = writeln!(s, "permission mode  {}", opt(&def.permission_mode));
    let tools = match &def.tools {
        Some(t) => join_tools(t),
        None => "all (not restricted)".into(),
    };
    let _ = writeln!(s, "tools            {tools}");
    if !def.disallowed_tools.is_empty() {
        let _ = writeln!(s, "disallowed tools {}", join_tools(&def.disallowed_tools));
    }
    if !def.skills.is_empty() {
        let _ = writeln!(s, "skills           {}", def.skills.join(", "));
    }
    let b = &def.body;
    let counts = [
        ("responsibilities", b.responsibilities.len()),
        ("constraints", b.constraints.len()),
        ("anti-patterns", b.anti_patterns.len()),
        ("gate commands", b.gates.len()),
        ("checklists", b.checklists.len()),
        ("deliverables", b.deliverables.len()),
    ];
    let body: Vec<String> = counts
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(k, n)| format!("{n} {k}"))
        .collect();
    let _ = writeln!(
        s,
        "body             {}",
        if body.is_empty() {
            "-".into()
        } else {
            body.join(", ")
        }
    );
    if let Some(c) = &b.commit {
        let types: Vec<&str> = c.types.iter().map(|t| t.text.as_str()).collect();
        let reference = if c.reference_required.is_some() {
            ", reference required"
        } else {
            ""
        };
        let _ = writeln!(s, "commits          {}{reference}", types.join(", "));
    }
    if let Some(t) = &b.plan_template {
        let _ = writeln!(s, "plan template    line {}", t.line);
    }
    s
}

fn validate_cmd(ctx: &Context, paths: &[PathBuf]) -> Result<Outcome> {
    let project = ctx.project()?;
    let catalog = if paths.is_empty() {
        Catalog::load(&project)
    } else {
        let mut files = Vec::new();
        for p in paths {
            let actual = ctx.cwd.join(p);
            if !actual.exists() {
                return Err(Diagnostic::error(
                    "no-such-path",
                    format!("`{}` does not exist", display_path(p)),
                )
                .hint("give agent files or directories that hold them")
                .into());
            }
            if actual.is_dir() {
                files.extend(
                    agent::agent_files(&actual)
                        .into_iter()
                        .map(|f| shown(ctx, &f)),
                );
            } else {
                files.push(p.clone());
            }
        }
        let vctx = validate::Context {
            skill_dirs: project.skill_dirs(),
            root: project.root.clone(),
        };
        Catalog::from_files(&ctx.cwd, &files, &vctx)
    };
    let mut diags: Vec<Diagnostic> = catalog.diagnostics.clone();
    diags.sort_by(|a, b| {
        let key = |d: &Diagnostic| d.span.as_ref().map(|s| (s.path.clone(), s.line, s.col));
        key(a).cmp(&key(b))
    });
    let errors = catalog.errors();
    let warnings = diags.len() - errors;
    report::diagnostics(&diags, ctx.format)?;
    if ctx.format == Format::Text {
        let files = catalog.files;
        let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
        let (style, verdict) = if errors > 0 {
            (ERROR, "failed")
        } else {
            (OK, "ok")
        };
        let warn = if warnings > 0 {
            format!(", {WARNING}{}{WARNING:#}", plural(warnings, "warning"))
        } else {
            String::new()
        };
        report::text(&format!(
            "{style}{verdict}{style:#}: {} checked, {}{warn}\n",
            plural(files, "file"),
            plural(errors, "error")
        ))?;
    }
    Ok(Outcome::failed_if(errors > 0))
}

/// A path as the user would write it: relative to the working directory.
fn shown(ctx: &Context, path: &Path) -> PathBuf {
    path.strip_prefix(&ctx.cwd).unwrap_or(path).to_path_buf()
}

fn explain(ctx: &Context, name: &str) -> Result<Outcome> {
    let project = ctx.project()?;
    let catalog = Catalog::load(&project);
    let def = catalog.require(name)?;
    let policy = Policy::compile(def);
    match ctx.format {
        Format::Json => report::json(&policy)?,
        Format::Text => report::text(&explain_text(&policy))?,
    }
    Ok(Outcome::Success)
}

/// The policy as text: one group per enforcement point, each rule with its
/// provenance and the words it was read from.
pub fn explain_text(policy: &Policy) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{BOLD}{}{BOLD:#}  {DIM}{}{DIM:#}",
        policy.agent,
        display_path(&policy.source)
    );
    type Pick = fn(&RuleKind) -> bool;
    let groups: [(&str, Pick); 6] = [
        ("tools", |k| {
            matches!(k, RuleKind::AllowTool { .. } | RuleKind::DenyTool { .. })
        }),
        ("paths", |k| {
            matches!(k, RuleKind::ProtectPath { .. } | RuleKind::WriteOnly { .. })
        }),
        ("plan", |k| matches!(k, RuleKind::RequireApprovedPlan)),
        ("commits", |k| {
            matches!(k, RuleKind::CommitType { .. } | RuleKind::CommitReference)
        }),
        ("gates", |k| matches!(k, RuleKind::Gate { .. })),
        ("advisory (shown to reviewers, not enforced)", |k| {
            matches!(k, RuleKind::Advisory { .. })
        }),
    ];
    for (title, pick) in groups {
        let rules: Vec<_> = policy.rules_of(pick).collect();
        let extra = (title == "tools" && !policy.tools_restricted)
            .then_some("every tool is allowed unless denied");
        if rules.is_empty() && extra.is_none() {
            continue;
        }
        let _ = writeln!(s, "\n{BOLD}{title}{BOLD:#}");
        if let Some(e) = extra {
            let _ = writeln!(s, "  {e}");
        }
        let lines: Vec<(String, String)> = rules
            .iter()
            .map(|r| {
                let what = match &r.kind {
                    RuleKind::AllowTool { tool } => format!("allow    {tool}"),
                    RuleKind::DenyTool { tool } => format!("deny     {tool}"),
                    RuleKind::ProtectPath { glob } => format!("protect  {glob}"),
                    RuleKind::WriteOnly { glob } => format!("write only {glob}"),
                    RuleKind::RequireApprovedPlan => {
                        "writes need an approved, unchanged plan covering the path".into()
                    }
                    RuleKind::CommitType { commit_type } => format!("type     {commit_type}"),
                    RuleKind::CommitReference => "each commit references its plan or task".into(),
                    RuleKind::Gate { command } => format!("run      {command}"),
                    RuleKind::Advisory { category } => format!("{category}: {}", r.source_text),
                };
                let cite = match &r.kind {
                    RuleKind::ProtectPath { .. }
                    | RuleKind::WriteOnly { .. }
                    | RuleKind::RequireApprovedPlan
                    | RuleKind::CommitReference => {
                        format!("  \"{}\"", r.source_text)
                    }
                    _ => String::new(),
                };
                (what, format!("{}{cite}", r.provenance))
            })
            .collect();
        let width = lines
            .iter()
            .map(|(w, _)| w.chars().count())
            .max()
            .unwrap_or(0);
        for (what, whence) in lines {
            let pad = width - what.chars().count();
            let _ = writeln!(s, "  {what}{:pad$}  {DIM}{whence}{DIM:#}", "");
        }
    }
    s
}
