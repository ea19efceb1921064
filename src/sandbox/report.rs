//! The sandbox's reports as text: the ruleset (`--explain`) and a run.

use std::fmt::Write as _;

use super::{Access, Ruleset, RunReport};
use crate::report::{BOLD, DIM, Report};

impl Report for Ruleset {
    fn text(&self) -> String {
        let mut s = String::new();
        let _ = write!(s, "{BOLD}sandbox{BOLD:#} for {}", self.agent);
        if let Some(p) = &self.plan {
            let _ = write!(s, ", plan {p}");
        }
        if let Some(t) = &self.task {
            let _ = write!(s, ", task {t}");
        }
        let _ = writeln!(s);
        let sup = &self.support;
        let _ = writeln!(
            s,
            "{DIM}Landlock: kernel ABI {}, applied at ABI {} (ABI {} needed); enforced: {}{DIM:#}",
            sup.kernel_abi,
            sup.used_abi,
            super::REQUIRED_ABI,
            if sup.enforced.is_empty() {
                "nothing".to_string()
            } else {
                sup.enforced.join(", ")
            }
        );

        let _ = writeln!(s, "\n{BOLD}writable{BOLD:#}");
        let rows: Vec<(String, String)> = self
            .writable
            .iter()
            .map(|g| {
                let access = match g.access {
                    Access::Write => "write ",
                    Access::Commit => "commit",
                    Access::Device => "device",
                };
                (
                    format!("{access}  {}", g.rule),
                    format!("{}  \"{}\"", g.provenance, g.source_text),
                )
            })
            .collect();
        let width = rows
            .iter()
            .map(|(w, _)| w.chars().count())
            .max()
            .unwrap_or(0);
        for ((what, whence), g) in rows.iter().zip(&self.writable) {
            let pad = width - what.chars().count();
            let _ = writeln!(s, "  {what}{:pad$}  {DIM}{whence}{DIM:#}", "");
            if g.kernel.is_empty() {
                let _ = writeln!(s, "      kernel: nothing (no such path)");
            } else if g.access != Access::Device
                && !(g.kernel.len() == 1 && g.kernel[0] == g.rule.trim_end_matches('/'))
            {
                let _ = writeln!(s, "      kernel: {}", g.kernel.join(", "));
            }
        }

        for (title, holes) in [
            ("protected (split out of writable trees)", &self.protected),
            ("unreadable", &self.unreadable),
        ] {
            if holes.is_empty() {
                continue;
            }
            let _ = writeln!(s, "\n{BOLD}{title}{BOLD:#}");
            let width = holes
                .iter()
                .map(|h| h.path.chars().count())
                .max()
                .unwrap_or(0);
            for h in holes {
                let pad = width - h.path.chars().count();
                let _ = writeln!(
                    s,
                    "  {}{:pad$}  {DIM}{}  \"{}\"{DIM:#}",
                    h.path, "", h.provenance, h.source_text
                );
            }
        }

        let _ = writeln!(s, "\n{BOLD}environment{BOLD:#}");
        let _ = writeln!(s, "  removed  {}", self.env_removed.join(" "));
        let _ = writeln!(s, "  set      {}", self.env_set.join(" "));

        let _ = writeln!(
            s,
            "\n{BOLD}left to the guard and the post-run check{BOLD:#}"
        );
        for r in &self.residuals {
            let _ = writeln!(s, "  - {r}");
        }
        s
    }
}

impl Report for RunReport {
    /// Silent when the run kept to the policy and the kernel enforced all
    /// of it: the command's own output is the output.
    fn text(&self) -> String {
        let mut s = String::new();
        if !self.support.is_full() {
            let _ = writeln!(
                s,
                "harness-agents sandbox: best effort: Landlock ABI {} enforced {}; not enforced: {}",
                self.support.used_abi,
                if self.support.enforced.is_empty() {
                    "nothing".to_string()
                } else {
                    self.support.enforced.join(", ")
                },
                self.support.missing.join(", ")
            );
        }
        if !self.violations.is_empty() {
            let _ = writeln!(
                s,
                "harness-agents sandbox: {} outside what {} may change:",
                if self.violations.len() == 1 {
                    "1 change".to_string()
                } else {
                    format!("{} changes", self.violations.len())
                },
                self.agent
            );
            for v in &self.violations {
                let kind = match v.kind {
                    super::ChangeKind::Added => "added   ",
                    super::ChangeKind::Modified => "modified",
                    super::ChangeKind::Removed => "removed ",
                };
                let _ = writeln!(s, "  {kind}  {}", v.path);
            }
        }
        s
    }
}
