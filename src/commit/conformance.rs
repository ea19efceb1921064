//! The conformance table: messages and the rules each must break (none for
//! a valid message). It holds the specification's own examples, each way
//! the common checkers disagree with the specification, and the awkward
//! cases: unicode, CRLF, long bodies, footers that are not footers.

use super::*;
use crate::agent::Catalog;

struct Plans;

impl PlanLookup for Plans {
    fn status(&self, plan: &str) -> PlanStatus {
        let plan_ref = || crate::plan::PlanRef {
            id: plan.to_string(),
            path: format!("plans/{plan}-x.md").into(),
        };
        match plan {
            "0007" => PlanStatus::Approved {
                plan: plan_ref(),
                scope: Scope::default(),
            },
            "0008" => PlanStatus::NotApproved {
                plan: plan_ref(),
                state: "draft".into(),
            },
            "0009" => PlanStatus::Changed { plan: plan_ref() },
            _ => PlanStatus::Unknown {
                id: plan.to_string(),
            },
        }
    }

    fn has_task(&self, task: &str) -> bool {
        task == "0007-3" || !task.starts_with("0007-")
    }
}

/// The rules a message breaks, a warning marked `(warning)`.
fn verdict(message: &str, config: &CommitsConfig) -> Vec<String> {
    let catalog = Catalog::default();
    let checker = Checker::new(config, &Plans, &catalog);
    let input = CommitInput {
        sha: "0000000000000000000000000000000000000000",
        message,
        parents: 1,
    };
    let v = checker.check(&input, &mut || Ok(Vec::new())).unwrap();
    assert_eq!(v.ok, !v.violations.iter().any(Violation::is_error));
    let mut rules: Vec<String> = v
        .violations
        .iter()
        .map(|v| match v.level {
            Level::Error => v.rule.to_string(),
            Level::Warning => format!("{} (warning)", v.rule),
        })
        .collect();
    if let Some(reason) = v.ignored {
        rules.push(
            match reason {
                "merge" => "ignored:merge",
                "revert" => "ignored:revert",
                "fixup" => "ignored:fixup",
                _ => "ignored:version",
            }
            .to_string(),
        );
    }
    rules.sort_unstable();
    rules.dedup();
    rules
}

#[track_caller]
fn table(config: &CommitsConfig, cases: &[(&str, &[&str])]) {
    let mut failures = Vec::new();
    for (message, expected) in cases {
        let mut expected: Vec<String> = expected.iter().map(|e| e.to_string()).collect();
        expected.sort_unstable();
        let got = verdict(message, config);
        if got != expected {
            failures.push(format!(
                "{message:?}\n  expected {expected:?}\n  got      {got:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

const OK: &[&str] = &[];

/// Syntax and the default (config-conventional) rules.
#[test]
fn syntax_and_default_rules() {
    let long_body = format!("feat: long body\n\n{}\n", "word ".repeat(4000));
    let long_header = format!("feat: {}", "x".repeat(95));
    let exact_header = format!("feat: {}", "x".repeat(94));
    let unicode_header = format!("feat: {}", "é".repeat(94));
    let cases: &[(&str, &[&str])] = &[
        // The specification's examples.
        (
            "feat: allow provided config object to extend other configs\n\nBREAKING CHANGE: `extends` key in config file is now used for extending other config files",
            OK,
        ),
        (
            "feat!: send an email to the customer when a product is shipped",
            OK,
        ),
        (
            "feat(api)!: send an email to the customer when a product is shipped",
            OK,
        ),
        (
            "chore!: drop support for Node 6\n\nBREAKING CHANGE: use JavaScript features not available in Node 6.",
            OK,
        ),
        ("docs: correct spelling of CHANGELOG", OK),
        ("feat(lang): add Polish language", OK),
        (
            "fix: prevent racing of requests\n\nIntroduce a request id and a reference to latest request. Dismiss\nincoming responses other than from latest request.\n\nRemove timeouts which were used to mitigate the racing issue but are\nobsolete now.\n\nReviewed-by: Z\nRefs: #123",
            OK,
        ),
        // Where the common checkers are looser than the specification.
        ("fix():  empty scope", &["scope-format"]),
        ("fix(): empty scope", &["scope-format"]),
        ("fix( ): blank scope", &["scope-format"]),
        (
            "fix:no-space",
            &["subject-empty", "subject-separator", "type-empty"],
        ),
        ("fix:  two spaces", &["subject-separator"]),
        (
            "fix:\ttab",
            &["subject-empty", "subject-separator", "type-empty"],
        ),
        (
            "fix: a header wrapped\nonto a second line",
            &["body-leading-blank (warning)"],
        ),
        (
            "feat: header\nbody without a blank line",
            &["body-leading-blank (warning)"],
        ),
        ("fix: ", &["header-trim", "subject-empty"]),
        ("fix:", &["subject-empty", "type-empty"]),
        ("feat(x)!:", &["subject-empty", "type-empty"]),
        (
            "fix: x\n\nbody\nRefs: #6",
            &["footer-leading-blank (warning)"],
        ),
        (
            "fix: x\n\nbody text\nReviewed-by: Z\nRefs: #6",
            &["footer-leading-blank (warning)"],
        ),
        (
            "feat: x\n\nbreaking change: lower case is not a breaking change",
            &["breaking-change-uppercase (warning)"],
        ),
        (
            "feat: x\n\nBreaking-Change: mixed case",
            &["breaking-change-uppercase (warning)"],
        ),
        ("feat: x\n\nBREAKING-CHANGE: the hyphenated form", OK),
        (
            "feat: x\n\nBREAKING CHANGE #12",
            &["breaking-change-format"],
        ),
        // Types are case-insensitive.
        ("FEAT: upper-case type", &["type-case", "type-enum"]),
        ("Fix: title-case type", &["type-case", "type-enum"]),
        ("feat(Parser): scope case is free", OK),
        // Unknown types and near misses.
        ("feature: not a type", &["type-enum"]),
        ("fixed: not a type", &["type-enum"]),
        ("wip: work in progress", &["type-enum"]),
        (
            "update readme",
            &["header-format", "subject-empty", "type-empty"],
        ),
        (
            "Update README.md",
            &["header-format", "subject-empty", "type-empty"],
        ),
        (
            "fix bug in parser",
            &["header-format", "subject-empty", "type-empty"],
        ),
        ("(scope): no type", &["header-format", "type-empty"]),
        (
            "fix(scope: unclosed",
            &["scope-format", "subject-empty", "type-empty"],
        ),
        ("fix(a)(b): two scopes", &["header-format"]),
        (
            "feat !: space before bang",
            &["header-format", "subject-empty", "type-empty"],
        ),
        (
            "feat (scope): space before scope",
            &["header-format", "subject-empty", "type-empty"],
        ),
        ("", &["header-format", "subject-empty", "type-empty"]),
        ("\n\n", &["header-format", "subject-empty", "type-empty"]),
        // Header rules.
        (
            " feat: leading space",
            &["header-trim", "subject-empty", "type-empty"],
        ),
        ("feat: trailing space ", &["header-trim"]),
        ("feat: ends with a full stop.", &["subject-full-stop"]),
        ("feat: ends with an ellipsis...", OK),
        ("feat: ends with a question?", OK),
        (&long_header, &["header-max-length"]),
        (&exact_header, OK),
        (&unicode_header, OK),
        // Unicode.
        ("feat(i18n): traduction française", OK),
        ("fix(日本語): 修正する", OK),
        ("feat: emoji 🚀 in the description", OK),
        ("docs(ü): ümlaut scope", OK),
        (
            "feat：fullwidth colon",
            &["header-format", "subject-empty", "type-empty"],
        ),
        // Line endings and white space around the message.
        ("feat: crlf\r\n\r\nbody line\r\n\r\nRefs: #6\r\n", OK),
        ("feat: crlf header only\r\n", OK),
        ("fix: trailing newlines\n\n\n", OK),
        ("fix: body\n\n\n\nafter many blank lines", OK),
        (&long_body, &["body-max-line-length"]),
        // Bodies and footers.
        (
            "fix: x\n\nfirst paragraph\n\nsecond paragraph\n\nRefs: #6",
            OK,
        ),
        ("fix: x\n\nRefs: #6", OK),
        ("fix: x\n\nRefs #6", OK),
        ("fix: x\n\nSigned-off-by: A <a@b.c>\nRefs: #6", OK),
        (
            "fix: x\n\nBREAKING CHANGE: a description\n  that continues",
            OK,
        ),
        ("fix: x\n\nNote: body prose that looks like a footer", OK),
        (
            "feat: x\n\ntask::Store::active(agent) is prose, not a footer\n\nRefs: #3",
            OK,
        ),
        ("fix: x\n\nA body that mentions Refs: #6 in passing.", OK),
        (
            "revert: let us never again speak of the noodle incident\n\nRefs: 676104e, a215868",
            OK,
        ),
        // Ignored, as commitlint ignores them.
        ("Merge branch 'main' into feature", &["ignored:merge"]),
        ("Merge pull request #12 from a/b", &["ignored:merge"]),
        (
            "Merge remote-tracking branch 'origin/main'",
            &["ignored:merge"],
        ),
        ("Merge tag 'v1.2.0'", &["ignored:merge"]),
        (
            "Revert \"feat: add a thing\"\n\nThis reverts commit abc.",
            &["ignored:revert"],
        ),
        ("Reapply \"feat: add a thing\"", &["ignored:revert"]),
        ("fixup! feat: add a thing", &["ignored:fixup"]),
        ("squash! feat: add a thing", &["ignored:fixup"]),
        ("amend! feat: add a thing", &["ignored:fixup"]),
        ("1.2.3", &["ignored:version"]),
        ("v2.0.0-rc.1", &["ignored:version"]),
        (
            "Release 1.2.3",
            &["header-format", "subject-empty", "type-empty"],
        ),
        (
            "Mergeable changes",
            &["header-format", "subject-empty", "type-empty"],
        ),
        (
            "revert \"lower-case revert\"",
            &["header-format", "subject-empty", "type-empty"],
        ),
    ];
    assert!(cases.len() >= 70, "{} cases", cases.len());
    table(&CommitsConfig::default(), cases);
}

/// Each ignore can be switched off, and then the commit is checked.
#[test]
fn ignores_are_switchable() {
    let config = CommitsConfig {
        ignore: IgnoreConfig {
            merges: false,
            reverts: false,
            fixups: false,
            versions: false,
        },
        ..CommitsConfig::default()
    };
    table(
        &config,
        &[
            (
                "Merge branch 'main' into feature",
                &["header-format", "subject-empty", "type-empty"],
            ),
            (
                "Revert \"feat: add a thing\"",
                &["header-format", "subject-empty", "type-empty"],
            ),
            (
                "fixup! feat: add a thing",
                &["header-format", "subject-empty", "type-empty"],
            ),
            ("1.2.3", &["header-format", "subject-empty", "type-empty"]),
        ],
    );
}

/// References, when required: to plans, tasks and (when allowed) issues.
#[test]
fn references() {
    let mut config = CommitsConfig {
        require_reference: true,
        ..CommitsConfig::default()
    };
    table(
        &config,
        &[
            ("feat: no reference", &["references-empty"]),
            ("feat: x\n\nRefs: 0007", OK),
            ("feat: x\n\nPlan: 0007", OK),
            ("feat: x\n\nTask: 0007-3", OK),
            ("feat: x\n\nrefs: 0007-3", OK),
            ("feat: x\n\nRefs: 0007-4", &["reference-unknown"]),
            ("feat: x\n\nRefs: 0001", &["reference-unknown"]),
            ("feat: x\n\nRefs: 0008", &["reference-unapproved"]),
            ("feat: x\n\nRefs: 0009-1", &["reference-changed"]),
            ("feat: x\n\nRefs: 0007, 0009", &["reference-changed"]),
            ("feat: x\n\nRefs: #12", &["reference-issue"]),
            (
                "feat: x\n\nRefs: plan seven",
                &["reference-invalid", "references-empty"],
            ),
            (
                "feat: x\n\nbody\nRefs: 0007",
                &["footer-leading-blank (warning)", "references-empty"],
            ),
            ("feat: x\n\nCloses: 0007", &["references-empty"]),
            ("feat: x\n\nTask:0007", &["references-empty"]),
            ("feat: x\n\ntask::Store is prose\n\nRefs: 0007", OK),
            ("Merge branch 'x'", &["ignored:merge"]),
        ],
    );
    config.issue_references = true;
    table(
        &config,
        &[
            ("feat: x\n\nRefs: #12", OK),
            ("feat: x\n\nRefs #12", OK),
            ("feat: x\n\nRefs: #12, 0007-3", OK),
            ("feat: x\n\nRefs: #12, 0008", &["reference-unapproved"]),
            ("feat: x", &["references-empty"]),
        ],
    );
}

/// `preset = "spec"`: Conventional Commits 1.0.0 alone. Any type, any
/// case, any length; the blank lines the specification asks for are errors.
#[test]
fn spec_preset() {
    let config = CommitsConfig {
        preset: crate::config::Preset::Spec,
        ..CommitsConfig::default()
    };
    let long = format!("wip: {}\n\n{}", "x".repeat(120), "y ".repeat(200));
    table(
        &config,
        &[
            ("wip: any type", OK),
            ("FIX: Some Message.", OK),
            (&long, OK),
            (
                "feat: header\nbody without a blank line",
                &["body-leading-blank"],
            ),
            ("fix: x\n\nbody\nRefs: #6", &["footer-leading-blank"]),
            (
                "fix:no-space",
                &["subject-empty", "subject-separator", "type-empty"],
            ),
            ("fix(): empty scope", &["scope-format"]),
        ],
    );
}

/// `[commits.rules]` sets, adds and turns off rules by commitlint's names.
#[test]
fn rules_over_the_preset() {
    use crate::config::RuleSetting;
    use serde_json::json;
    let mut config = CommitsConfig::default();
    let rules = &mut config.rules;
    rules.insert("subject-case".into(), RuleSetting::new(0, true, None));
    rules.insert(
        "header-max-length".into(),
        RuleSetting::new(1, true, Some(json!(30))),
    );
    rules.insert(
        "scope-case".into(),
        RuleSetting::new(2, true, Some(json!("kebab-case"))),
    );
    rules.insert(
        "type-enum".into(),
        RuleSetting::new(2, true, Some(json!(["feat", "fix", "wip"]))),
    );
    rules.insert("body-leading-blank".into(), RuleSetting::new(2, true, None));
    table(
        &config,
        &[
            ("feat: Some Message", OK),
            ("wip: allowed now", OK),
            ("docs: not any more", &["type-enum"]),
            (
                "feat: a header longer than thirty characters",
                &["header-max-length (warning)"],
            ),
            ("feat(my-scope): kebab", OK),
            ("feat(myScope): camel", &["scope-case"]),
            ("feat: header\nbody", &["body-leading-blank"]),
        ],
    );
}

/// The messages of commitlint's own config-conventional tests
/// (`@commitlint/config-conventional/src/index.test.ts`), with its verdicts.
#[test]
fn commitlint_config_conventional_messages() {
    let long = "a".repeat(101);
    let body = format!(
        "fix: some message\n\nbody with multiple lines\nhas a message that is > 100 characters {long}"
    );
    let footer = format!(
        "fix: some message\n\nbody\n\nBREAKING CHANGE: footer with multiple lines\nhas a message that is > 100 characters {long}"
    );
    let header = format!("fix: {}", "a".repeat(100));
    table(
        &CommitsConfig::default(),
        &[
            ("foo: some message", &["type-enum"]),
            ("FIX: some message", &["type-case", "type-enum"]),
            (": some message", &["header-format", "type-empty"]),
            ("fix: Some message", &["subject-case"]),
            ("fix: Some Message", &["subject-case"]),
            ("fix: SomeMessage", &["subject-case"]),
            ("fix: SOMEMESSAGE", &["subject-case"]),
            ("fix:", &["subject-empty", "type-empty"]),
            ("fix: some message.", &["subject-full-stop"]),
            (&header, &["header-max-length"]),
            ("fix: some message\nbody", &["body-leading-blank (warning)"]),
            (&body, &["body-max-line-length"]),
            (
                "fix: some message\n\nbody\nBREAKING CHANGE: It will be significant",
                &["footer-leading-blank (warning)"],
            ),
            (&footer, &["footer-max-line-length"]),
            ("fix: some message", OK),
            ("fix(scope): some message", OK),
            ("fix(scope)!: some message", OK),
            ("fix: some Message", OK),
            (
                "fix: some message\n\nbody\n\nBREAKING CHANGE: It will be significant",
                OK,
            ),
        ],
    );
}
