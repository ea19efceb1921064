//! A compiled policy as `agents explain` shows it.

use std::fmt::Write as _;

use super::{Policy, RuleKind};
use crate::diagnostic::display_path;
use crate::report::{BOLD, DIM, Report, WARNING};

/// The policy as text: one group per enforcement point, each rule with its
/// provenance and the words it was read from.
impl Report for Policy {
    fn text(&self) -> String {
        let policy = self;
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
                        RuleKind::CommitReference => {
                            "each commit references its plan or task".into()
                        }
                        RuleKind::Gate { command } => format!("run      {command}"),
                        RuleKind::PersonOnly { command } => format!("person   {command}"),
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
        if !policy.skills.is_empty() {
            let _ = writeln!(s, "\n{BOLD}skills{BOLD:#}");
            let width = policy
                .skills
                .iter()
                .map(|k| k.name.chars().count())
                .max()
                .unwrap_or(0);
            for k in &policy.skills {
                let found = match (&k.file, &k.origin) {
                    (Some(file), Some(origin)) => {
                        format!("{} ({})", display_path(file), origin.label())
                    }
                    _ => format!("{WARNING}not found{WARNING:#}"),
                };
                let pad = width - k.name.chars().count();
                let _ = writeln!(
                    s,
                    "  {}{:pad$}  {found}  {DIM}{}{DIM:#}",
                    k.name, "", k.provenance
                );
            }
        }
        s
    }
}
