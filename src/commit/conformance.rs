//! The conformance table: messages and the rules each must break (none for
//! a valid message). It holds the specification's own examples, each way
//! the common checkers disagree with the specification, and the awkward
//! cases: unicode, CRLF, long bodies, footers that are not footers.

use std::cell::RefCell;

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

thread_local! {
    /// The messages the tables check, kept when [`recorded`] asks.
    static RECORD: RefCell<Option<Vec<String>>> = const { RefCell::new(None) };
}

/// The messages `tables` check under the default rules.
fn recorded(tables: &[fn()]) -> Vec<String> {
    RECORD.with(|r| *r.borrow_mut() = Some(Vec::new()));
    for t in tables {
        t();
    }
    RECORD.with(|r| r.borrow_mut().take().unwrap_or_default())
}

/// The rules a message breaks, a warning marked `(warning)`.
fn verdict(message: &str, config: &CommitsConfig) -> Vec<String> {
    if config.preset == crate::config::Preset::ConfigConventional && config.rules.is_empty() {
        RECORD.with(|r| {
            if let Some(all) = r.borrow_mut().as_mut() {
                all.push(message.to_string());
            }
        });
    }
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

/// Messages built from the parts where checkers differ: type case, scope,
/// subject case and full stop, header length, blank lines, long lines,
/// URLs and footers.
fn generated() -> Vec<String> {
    let headers = [
        "feat: add a thing",
        "Fix: add a thing",
        "feat(api): Add a thing",
        "feat(api)!: add a thing.",
        "foo: add a thing",
        "docs(): add a thing",
        "fix:  two spaces",
        "feat: add `Eslint` config",
        "feat: SHOUT",
        "chore: bump 1.2.3...",
    ];
    let long = "a".repeat(101);
    let bodies = [
        String::new(),
        "\n\nA body line.".to_string(),
        "\nno blank line before this body".to_string(),
        format!("\n\nA long line {long}"),
        format!("\n\nSee https://example.com/{long}"),
    ];
    let footers = [
        "",
        "\n\nRefs: #12",
        "\nRefs: #12",
        "\n\nBREAKING CHANGE: the thing changed",
    ];
    let mut out = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        for (j, b) in bodies.iter().enumerate() {
            let f = footers[(i + j) % footers.len()];
            out.push(format!("{h}{b}{f}"));
        }
    }
    out.push(format!("feat: {}", "x".repeat(95)));
    out.push(format!("feat: {}", "é".repeat(94)));
    out
}

/// Where harness and commitlint (with config-conventional) disagree by
/// design, each with the reason, and a test for it on harness's findings,
/// commitlint's verdict and the findings that differ.
type Difference = fn(&str, &[String], bool) -> bool;

const DIFFERENCES: &[(&str, Difference)] = &[
    // commitlint ignores any header starting `revert `; harness only git's
    // own `Revert "..."`.
    ("lower-case revert", |m, _, their_ok| {
        their_ok && m.starts_with("revert ")
    }),
    // commitlint's parser starts the footer at a reference (`#12`) or a
    // note; harness at the last paragraph of footer lines, as the
    // specification does. Only these warnings differ.
    ("where the footer starts", |_, _, _| false),
    // `fix(): x`, `fix:  x`, `fix(a)(b): x`, `BREAKING CHANGE #12`: not
    // Conventional Commits 1.0.0, which commitlint's parser does not check.
    ("specification syntax", |_, ours, their_ok| {
        their_ok
            && ours.iter().any(|r| {
                [
                    "scope-format",
                    "subject-separator",
                    "header-format",
                    "breaking-change-format",
                ]
                .contains(&r.as_str())
            })
    }),
];

/// One commitlint verdict: whether it passed, and its findings as the
/// tables write them.
fn commitlint(bin: &std::path::Path, message: &str) -> (bool, Vec<String>) {
    use std::io::Write;
    // `-x` resolves the preset from the directory holding node_modules.
    let root = bin
        .ancestors()
        .find(|d| d.ends_with("node_modules"))
        .and_then(|d| d.parent())
        .expect("COMMITLINT is inside node_modules");
    let mut child = std::process::Command::new(bin)
        .args(["-x", "@commitlint/config-conventional", "--cwd"])
        .arg(root)
        // Under `CI=true` its colour library colours even a pipe, and the
        // findings would no longer start with their marks.
        .env("FORCE_COLOR", "0")
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("commitlint runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(message.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    // A failure that names no rule is commitlint itself failing (a Node.js
    // it does not support, a preset it cannot find), not a verdict.
    assert!(
        out.status.success()
            || text
                .lines()
                .any(|l| l.starts_with('✖') && l.trim_end().ends_with(']')),
        "commitlint failed without a finding (exit {:?}):\n{}{}",
        out.status.code(),
        text,
        String::from_utf8_lossy(&out.stderr)
    );
    let mut found: Vec<String> = text
        .lines()
        .filter_map(|l| {
            let rule = l.trim_end().strip_suffix(']')?.rsplit_once('[')?.1;
            if l.starts_with('✖') {
                Some(rule.to_string())
            } else if l.starts_with('⚠') {
                Some(format!("{rule} (warning)"))
            } else {
                None
            }
        })
        .collect();
    found.sort_unstable();
    (out.status.success(), found)
}

/// commitlint itself (`@commitlint/cli` with `@commitlint/config-conventional`)
/// and harness over the same messages: commitlint's own config-conventional
/// test messages, the default conformance table and a generated set. They
/// agree on the verdict and on every finding commitlint can name, except
/// the [`DIFFERENCES`].
#[test]
#[ignore = "needs COMMITLINT=path/to/node_modules/.bin/commitlint (.ci/run installs it)"]
fn agrees_with_commitlint() {
    let Some(bin) = std::env::var_os("COMMITLINT") else {
        panic!(
            "set COMMITLINT to the commitlint of an npm install of @commitlint/cli and @commitlint/config-conventional"
        );
    };
    let bin = std::path::PathBuf::from(bin);
    let mut messages = recorded(&[
        syntax_and_default_rules,
        commitlint_config_conventional_messages,
    ]);
    messages.extend(generated());
    // commitlint refuses an empty message outright; harness names it.
    messages.retain(|m| !m.trim().is_empty());
    messages.sort();
    messages.dedup();
    let config = CommitsConfig::default();
    let mut disagree = Vec::new();
    let mut seen = [0; DIFFERENCES.len()];
    // commitlint starts a node process per message; a few at a time.
    let mut answers = Vec::new();
    for chunk in messages.chunks(4) {
        answers.extend(std::thread::scope(|s| {
            let running: Vec<_> = chunk
                .iter()
                .map(|m| s.spawn(|| commitlint(&bin, m)))
                .collect();
            running
                .into_iter()
                .map(|h| h.join().unwrap())
                .collect::<Vec<_>>()
        }));
    }
    for (i, m) in messages.iter().enumerate() {
        let ours = verdict(m, &config);
        let ours_ok = !ours
            .iter()
            .any(|r| !r.ends_with("(warning)") && !r.starts_with("ignored:"));
        let named: Vec<String> = ours
            .iter()
            .filter(|r| {
                let name = r.trim_end_matches(" (warning)");
                crate::config::RULE_NAMES.contains(&name)
            })
            .cloned()
            .collect();
        let (their_ok, theirs) = &answers[i];
        let errors = |v: &[String]| -> Vec<String> {
            v.iter()
                .filter(|r| !r.ends_with("(warning)"))
                .cloned()
                .collect()
        };
        let blank = |v: &[String]| -> Vec<String> {
            v.iter()
                .filter(|r| !r.ends_with("-leading-blank (warning)"))
                .cloned()
                .collect()
        };
        let class = if ours_ok == *their_ok && named == *theirs {
            None
        } else if ours_ok == *their_ok
            && errors(&named) == errors(theirs)
            && blank(&named) == blank(theirs)
        {
            Some(1)
        } else {
            DIFFERENCES.iter().position(|(_, f)| f(m, &ours, *their_ok))
        };
        match class {
            Some(k) => seen[k] += 1,
            None if ours_ok != *their_ok || named != *theirs => disagree.push(format!(
                "{m:?}\n  harness    {ours_ok} {ours:?}\n  commitlint {their_ok} {theirs:?}"
            )),
            None => {}
        }
    }
    let expected: usize = seen.iter().sum();
    eprintln!(
        "{} messages: {} agree, {expected} differ by design",
        messages.len(),
        messages.len() - expected - disagree.len()
    );
    for ((why, _), n) in DIFFERENCES.iter().zip(seen) {
        eprintln!("  {why}: {n}");
        assert!(n > 0, "no message shows the difference `{why}`");
    }
    assert!(messages.len() > 100, "{} messages", messages.len());
    assert!(disagree.is_empty(), "\n{}", disagree.join("\n"));
}
