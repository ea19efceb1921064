//! Agent definitions and catalogs as the reporter shows them.

use std::fmt::Write as _;

use serde::Serialize;

use super::{AgentDefinition, Catalog, ToolSpec};
use crate::diagnostic::{Diagnostic, display_path};
use crate::report::{self, BOLD, DIM, ERROR, OK, Report, WARNING};

/// One agent in `agents list`.
#[derive(Debug, Serialize)]
pub struct ListEntry {
    pub name: String,
    pub model: Option<String>,
    pub permission_mode: Option<String>,
    /// Number of allowed tools; null when every tool is allowed.
    pub tools: Option<usize>,
    pub disallowed_tools: usize,
    pub source: String,
    #[serde(skip)]
    tool_summary: String,
}

/// The agents of a catalog, one entry each (JSON: an array).
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct AgentList(pub Vec<ListEntry>);

impl Catalog {
    /// The catalog as `agents list` shows it.
    pub fn list(&self) -> AgentList {
        AgentList(
            self.agents
                .iter()
                .map(|a| ListEntry {
                    name: a.name.clone(),
                    model: a.model.clone(),
                    permission_mode: a.permission_mode.clone(),
                    tools: a.tools.as_ref().map(Vec::len),
                    disallowed_tools: a.disallowed_tools.len(),
                    source: display_path(&a.source),
                    tool_summary: tool_summary(a),
                })
                .collect(),
        )
    }

    /// The catalog's problems, in file order, with a verdict.
    pub fn validation(&self) -> Validation {
        let mut diagnostics = self.diagnostics.clone();
        fn key(d: &Diagnostic) -> Option<(&std::path::Path, usize, usize)> {
            d.span.as_ref().map(|s| (s.path.as_path(), s.line, s.col))
        }
        diagnostics.sort_by(|a, b| key(a).cmp(&key(b)));
        Validation {
            files: self.files,
            errors: self.errors(),
            diagnostics,
        }
    }
}

impl Report for AgentList {
    fn text(&self) -> String {
        if self.0.is_empty() {
            return "no agents found; run `harness-agents init` to add the default agents\n".into();
        }
        let rows: Vec<Vec<String>> = self
            .0
            .iter()
            .map(|a| {
                vec![
                    a.name.clone(),
                    a.model.clone().unwrap_or_else(|| "-".into()),
                    a.permission_mode.clone().unwrap_or_else(|| "-".into()),
                    a.tool_summary.clone(),
                    a.source.clone(),
                ]
            })
            .collect();
        report::table(&["NAME", "MODEL", "MODE", "TOOLS", "SOURCE"], &rows)
    }
}

/// What `agents validate` found. JSON is the diagnostics, one a line.
#[derive(Debug)]
pub struct Validation {
    pub files: usize,
    pub errors: usize,
    pub diagnostics: Vec<Diagnostic>,
}

impl Validation {
    /// The closing line: the verdict and the counts.
    pub fn summary(&self) -> String {
        let warnings = self.diagnostics.len() - self.errors;
        let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
        let (style, verdict) = if self.errors > 0 {
            (ERROR, "failed")
        } else {
            (OK, "ok")
        };
        let warn = if warnings > 0 {
            format!(", {WARNING}{}{WARNING:#}", plural(warnings, "warning"))
        } else {
            String::new()
        };
        format!(
            "{style}{verdict}{style:#}: {} checked, {}{warn}\n",
            plural(self.files, "file"),
            plural(self.errors, "error")
        )
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

fn join_tools(tools: &[ToolSpec]) -> String {
    tools
        .iter()
        .map(|t| t.raw.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

impl Report for AgentDefinition {
    /// The definition at a glance: front matter, then what the body holds.
    fn text(&self) -> String {
        let def = self;
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
}
