//! How an agent definition becomes a [`Policy`].
//!
//! A rule comes from the `harness:` block when the definition states it, and
//! is otherwise derived from the standard fields and the body. Prose that no
//! machine can check (for example "FORBIDDEN: database operations") is kept
//! as an advisory rule, so `agents explain` shows it and reviewers can see it.

use super::{DEFAULT_TEST_GLOBS, PLANS_GLOB, Policy, Rule, RuleKind, SkillUse};
use crate::agent::AgentDefinition;
use crate::agent::markdown::Item;
use crate::diagnostic::Provenance;

impl Policy {
    /// The rules of `def`, each cited to the line it was read from.
    pub fn compile(def: &AgentDefinition) -> Policy {
        let mut b = Builder {
            def,
            rules: Vec::new(),
        };
        b.tools();
        b.paths();
        b.plan();
        b.commits();
        b.gates();
        b.advisory();
        Policy {
            agent: def.name.clone(),
            source: def.source.clone(),
            tools_restricted: def.tools.is_some(),
            rules: b.rules,
            skills: def
                .skills
                .iter()
                .map(|name| SkillUse {
                    name: name.clone(),
                    provenance: Provenance::new(&def.source, def.entry_span("skills", name).line),
                    file: None,
                    origin: None,
                })
                .collect(),
        }
    }
}

struct Builder<'a> {
    def: &'a AgentDefinition,
    rules: Vec<Rule>,
}

impl Builder<'_> {
    fn push(&mut self, kind: RuleKind, line: usize, source_text: impl Into<String>) {
        self.rules.push(Rule {
            kind,
            provenance: Provenance::new(&self.def.source, line),
            source_text: source_text.into(),
        });
    }

    fn harness_line(&self) -> usize {
        self.def.line_of("harness")
    }

    fn tools(&mut self) {
        let def = self.def;
        for t in &def.disallowed_tools {
            self.push(
                RuleKind::DenyTool {
                    tool: t.raw.clone(),
                },
                t.line,
                format!("disallowedTools: {}", t.raw),
            );
        }
        for t in def.tools.iter().flatten() {
            self.push(
                RuleKind::AllowTool {
                    tool: t.raw.clone(),
                },
                t.line,
                format!("tools: {}", t.raw),
            );
        }
    }

    fn paths(&mut self) {
        let def = self.def;
        if let Some(globs) = def
            .harness
            .as_ref()
            .and_then(|h| h.protected_paths.as_ref())
        {
            let line = self.harness_line();
            for g in globs {
                self.push(
                    RuleKind::ProtectPath { glob: g.clone() },
                    line,
                    "harness.protected_paths",
                );
            }
        } else if let Some(item) = test_rule(def) {
            for g in DEFAULT_TEST_GLOBS {
                self.push(
                    RuleKind::ProtectPath {
                        glob: (*g).to_string(),
                    },
                    item.line,
                    item.text.clone(),
                );
            }
        }
        if def.permission_mode.as_deref() == Some("plan") {
            let line = def.line_of("permissionMode");
            self.push(
                RuleKind::WriteOnly {
                    glob: PLANS_GLOB.to_string(),
                },
                line,
                "permissionMode: plan",
            );
        }
    }

    fn plan(&mut self) {
        let def = self.def;
        match def.harness.as_ref().and_then(|h| h.require_approved_plan) {
            Some(true) => {
                let line = self.harness_line();
                self.push(
                    RuleKind::RequireApprovedPlan,
                    line,
                    "harness.require_approved_plan: true",
                );
            }
            Some(false) => {}
            None => {
                if let Some((line, text)) = approved_plan_mention(def) {
                    self.push(RuleKind::RequireApprovedPlan, line, text);
                }
            }
        }
    }

    fn commits(&mut self) {
        let def = self.def;
        let block = def.harness.as_ref();
        if let Some(types) = block.and_then(|h| h.commit_types.as_ref()) {
            let line = self.harness_line();
            for t in types {
                self.push(
                    RuleKind::CommitType {
                        commit_type: t.clone(),
                    },
                    line,
                    "harness.commit_types",
                );
            }
        } else if let Some(conv) = &def.body.commit {
            for t in &conv.types {
                self.push(
                    RuleKind::CommitType {
                        commit_type: t.text.clone(),
                    },
                    t.line,
                    format!("{}:", t.text),
                );
            }
        }
        match block.and_then(|h| h.require_reference) {
            Some(true) => {
                let line = self.harness_line();
                self.push(
                    RuleKind::CommitReference,
                    line,
                    "harness.require_reference: true",
                );
            }
            Some(false) => {}
            None => {
                if let Some(r) = def
                    .body
                    .commit
                    .as_ref()
                    .and_then(|c| c.reference_required.as_ref())
                {
                    self.push(RuleKind::CommitReference, r.line, r.text.clone());
                }
            }
        }
    }

    fn gates(&mut self) {
        let def = self.def;
        if let Some(gates) = def.harness.as_ref().and_then(|h| h.gates.as_ref()) {
            let line = self.harness_line();
            for g in gates {
                self.push(RuleKind::Gate { command: g.clone() }, line, "harness.gates");
            }
        } else {
            for g in def.body.gates() {
                self.push(
                    RuleKind::Gate {
                        command: g.text.clone(),
                    },
                    g.line,
                    g.text.clone(),
                );
            }
        }
    }

    fn advisory(&mut self) {
        let def = self.def;
        let enforced: Vec<usize> = self.rules.iter().map(|r| r.provenance.line).collect();
        let groups: [(&str, &[Item]); 4] = [
            ("constraint", &def.body.constraints),
            ("anti-pattern", &def.body.anti_patterns),
            ("forbidden tooling", &def.body.tooling_forbidden),
            ("out of scope", &def.body.scope_out),
        ];
        for (category, items) in groups {
            for item in items {
                if !enforced.contains(&item.line) {
                    self.push(
                        RuleKind::Advisory {
                            category: category.to_string(),
                        },
                        item.line,
                        item.text.clone(),
                    );
                }
            }
        }
    }
}

/// The constraint that reserves test files for someone else, if any: the one
/// about modifying test files first, else one about writing tests.
fn test_rule(def: &AgentDefinition) -> Option<&Item> {
    let items = || def.body.constraints.iter().chain(&def.body.anti_patterns);
    let negated = |t: &str| t.contains("not ") || t.contains("never") || t.contains("n't");
    items()
        .find(|i| {
            let t = i.text.to_lowercase();
            negated(&t) && (t.contains("test file") || t.contains("modify test"))
        })
        .or_else(|| {
            items().find(|i| {
                let t = i.text.to_lowercase();
                negated(&t) && t.contains("write tests")
            })
        })
}

/// Where the definition says the agent follows approved plans.
fn approved_plan_mention(def: &AgentDefinition) -> Option<(usize, String)> {
    let says = |t: &str| {
        let t = t.to_lowercase();
        t.contains("approved plan")
    };
    if says(&def.description) {
        let sentence = def
            .description
            .split(['.', '\n'])
            .find(|s| says(s))
            .unwrap_or(&def.description)
            .trim()
            .to_string();
        return Some((def.line_of("description"), sentence));
    }
    def.body
        .responsibilities
        .iter()
        .chain(&def.body.constraints)
        .find(|i| says(&i.text))
        .map(|i| (i.line, i.text.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::definition::parse;
    use std::path::Path;

    const DEV: &str = "---\nname: dev\ndescription: Builds things. Follows approved plans.\ntools: Read, Edit\ndisallowedTools: [WebFetch]\n---\n\n## Constraints\n\n- Do NOT write tests.\n- Do NOT modify test files under any circumstances.\n\n## Commit Conventions\n\n- `feat: x`\n- `fix: y`\n\nEvery commit must reference the plan.\n";

    fn policy(text: &str) -> Policy {
        Policy::compile(&parse(Path::new("agents/dev.md"), text).unwrap().definition)
    }

    #[test]
    fn derives_rules_from_fields_and_body_with_provenance() {
        let p = policy(DEV);
        assert!(p.tools_restricted);
        let deny: Vec<_> = p
            .rules_of(|k| matches!(k, RuleKind::DenyTool { .. }))
            .collect();
        assert_eq!(deny.len(), 1);
        assert_eq!(deny[0].provenance.to_string(), "agents/dev.md:5");
        let (glob, rule) = p.protected_paths().next().unwrap();
        assert_eq!(glob, "**/tests/**");
        assert_eq!(rule.provenance.line, 11);
        assert_eq!(
            rule.source_text,
            "Do NOT modify test files under any circumstances."
        );
        let plan = p.requires_approved_plan().unwrap();
        assert_eq!(plan.provenance.line, 3);
        assert_eq!(plan.source_text, "Follows approved plans");
        assert_eq!(p.commit_types(), ["feat", "fix"]);
        assert_eq!(p.requires_reference().unwrap().provenance.line, 18);
        // "Do NOT write tests" is not enforced by a rule of its own: advisory.
        assert!(
            p.rules
                .iter()
                .any(|r| matches!(r.kind, RuleKind::Advisory { .. }) && r.provenance.line == 10)
        );
    }

    #[test]
    fn test_files_are_protected_everywhere() {
        let p = policy(DEV);
        let rules = crate::policy::paths::PathRules::new(
            p.protected_paths().map(|(g, _)| (g.to_string(), ())),
        )
        .unwrap();
        for path in [
            "tests/ws.rs",
            "crates/api/tests/it.rs",
            "src/test/java/AppTest.java",
            "web/src/__tests__/app.js",
            "pkg/parser/testdata/case.txt",
            "src/ws/handler_test.go",
            "py/pkg/test_api.py",
            "web/app.test.ts",
            "web/app.spec.js",
            "py/conftest.py",
        ] {
            assert!(rules.matching(path).is_some(), "{path} should be protected");
        }
        for path in [
            "src/tests.rs",
            "src/testing/mod.rs",
            "src/latest/x.rs",
            "py/contest.py",
            "docs/test-plan.md",
            "src/attest.rs",
        ] {
            assert!(rules.matching(path).is_none(), "{path} should be writable");
        }
    }

    #[test]
    fn the_harness_block_overrides_derivation() {
        let text = DEV.replacen(
            "---\n\n",
            "harness:\n  protected_paths: [\"spec/**\"]\n  require_approved_plan: false\n  commit_types: [docs]\n---\n\n",
            1,
        );
        let p = policy(&text);
        let globs: Vec<_> = p.protected_paths().map(|(g, _)| g).collect();
        assert_eq!(globs, ["spec/**"]);
        assert!(p.requires_approved_plan().is_none());
        assert_eq!(p.commit_types(), ["docs"]);
    }

    #[test]
    fn plan_mode_writes_only_plans_and_unrestricted_tools() {
        let p = policy("---\nname: eng\ndescription: d\npermissionMode: plan\n---\n");
        assert!(!p.tools_restricted);
        assert!(p.rules.iter().any(|r| r.kind
            == RuleKind::WriteOnly {
                glob: PLANS_GLOB.into()
            }
            && r.provenance.line == 4));
    }
}
