//! Conformance over real agent definitions from public collections
//! (`../shared/corpus/agents/`, beside the repository in CI): every file
//! loads, problems are located diagnostics, and nothing panics.
//!
//! A checkout without the corpus cannot run these, so they are ignored by
//! default and CI runs them with `--include-ignored`; run there, a missing
//! corpus fails rather than passing unseen.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use harness::agent::{self, definition, validate};
use harness::diagnostic::{Code, Severity};

use crate::common::manifest_dir;

/// The corpus directory; the test fails when it is missing.
#[track_caller]
fn corpus_dir() -> PathBuf {
    let dir = manifest_dir().join("../shared/corpus/agents");
    assert!(
        dir.is_dir(),
        "{} is missing: these tests need the agent corpus beside the repository (CI has it)",
        dir.display()
    );
    dir
}

#[test]
#[ignore = "needs ../shared/corpus/agents: run with `cargo test -- --include-ignored` where it exists (CI does)"]
fn every_corpus_agent_loads_with_located_diagnostics() {
    let dir = corpus_dir();
    let files: Vec<PathBuf> = agent::agent_files(&harness::files::Files::disk(), &dir)
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n != "SOURCES.md"))
        .collect();
    let ctx = validate::Context::default();
    let mut loaded = 0;
    let mut lenient = 0;
    let mut codes: BTreeMap<&str, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut in_order = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        match definition::parse(path, &text) {
            Ok(parsed) => {
                loaded += 1;
                // Validation asks only for the gates, and skips reading a
                // body that cannot name one: it must find what a full
                // reading of the body finds.
                let body = &parsed.definition.body;
                assert_eq!(body.gates(), body.gates.as_slice(), "{}", path.display());
                if parsed
                    .diagnostics
                    .iter()
                    .any(|d| d.code == Code::UnquotedColon)
                {
                    lenient += 1;
                }
                let mut all = parsed.diagnostics.clone();
                all.extend(validate::validate(&parsed.definition, &ctx));
                in_order.extend(all.iter().cloned());
                for d in &all {
                    let span = d.span.as_ref().unwrap_or_else(|| panic!("unlocated: {d}"));
                    assert!(span.line >= 1 && span.path == *path, "{d}");
                    *codes.entry(d.code.as_str()).or_default() += 1;
                }
                assert!(
                    !parsed.definition.name.is_empty(),
                    "{}: no name",
                    path.display()
                );
            }
            Err(d) => failures.push(d.to_string()),
        }
    }
    eprintln!(
        "corpus: {} files, {loaded} loaded ({lenient} through the lenient path), {} failed; diagnostics: {codes:?}",
        files.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "failed to load:\n{}",
        failures.join("\n")
    );
    assert_eq!(files.len(), 388);
    assert_eq!(loaded, 388);
    assert_eq!(lenient, 9);

    // The catalog loads large sets on several threads; what it reports is
    // the same, in the same order, as reading the files one by one.
    let catalog = agent::Catalog::from_files(Path::new("/"), &files, &ctx);
    assert_eq!(catalog.files, 388);
    let reported: Vec<_> = catalog
        .diagnostics
        .iter()
        .filter(|d| d.code != Code::DuplicateName)
        .cloned()
        .collect();
    assert_eq!(reported, in_order);

    // Claude Code loads every file of the corpus, so none of them is an
    // error here (duplicate names across collections aside: the corpus is
    // many teams' agents in one directory, never one project's).
    let errors: Vec<String> = in_order
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.to_string())
        .collect();
    assert!(
        errors.is_empty(),
        "errors in the corpus:\n{}",
        errors.join("\n")
    );
}
