//! Writing generated files without ever losing a user's edit.
//!
//! The output directory holds a manifest, `.harness-scaffold.json`: the
//! template version, the inputs (plan id, plan hash and the realtime spec)
//! and the SHA-256 of every file as generated. On the next run each file is
//! classified before anything is written:
//!
//! - missing → created;
//! - unchanged since generation (its hash is in the manifest) → updated;
//! - edited by the user (hash differs, or not in the manifest) and the new
//!   output differs → a **conflict**;
//! - generated last time but no longer (the plan dropped it) and untouched
//!   → removed.
//!
//! Any conflict stops the run with the list, and nothing is written, unless
//! `--force`. `--dry-run` prints a unified diff of every change instead.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::engine::Rendered;
use crate::diagnostic::Code;
pub use crate::digest::sha256_hex as sha256;
use crate::error::{Error, Result};
use crate::fsutil;
use crate::textdiff;

pub const MANIFEST: &str = ".harness-scaffold.json";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub template_version: u32,
    pub inputs: serde_json::Value,
    /// Output path → SHA-256 (hex) of the file as generated.
    pub files: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Update,
    Unchanged,
    /// The user edited it and the new output differs.
    Conflict,
    /// Overwriting an edited file, with `--force`.
    Overwrite,
    Remove,
}

#[derive(Debug, Clone, Serialize)]
pub struct Change {
    pub path: String,
    pub action: Action,
    #[serde(skip)]
    old: Option<String>,
    #[serde(skip)]
    new: Option<String>,
}

/// Everything a run would do, decided before anything is written.
#[derive(Debug)]
pub struct Plan {
    pub out: PathBuf,
    pub changes: Vec<Change>,
    manifest: Manifest,
}

impl Plan {
    pub fn conflicts(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| c.action == Action::Conflict)
    }

    /// Unified diffs of every change, paths relative to the output directory.
    pub fn diff(&self) -> String {
        let mut out = String::new();
        for c in &self.changes {
            if matches!(c.action, Action::Unchanged) {
                continue;
            }
            let old = c.old.as_deref().unwrap_or("");
            let new = c.new.as_deref().unwrap_or("");
            let (a, b) = match c.action {
                Action::Create => ("/dev/null".to_string(), format!("b/{}", c.path)),
                Action::Remove => (format!("a/{}", c.path), "/dev/null".to_string()),
                _ => (format!("a/{}", c.path), format!("b/{}", c.path)),
            };
            out.push_str(&textdiff::unified_diff(old, new, &a, &b));
        }
        out
    }
}

fn read_manifest(out: &Path) -> Result<Option<Manifest>> {
    let path = out.join(MANIFEST);
    if !path.exists() {
        return Ok(None);
    }
    let text = fsutil::read_text(&path)?;
    serde_json::from_str(&text).map(Some).map_err(|e| {
        Error::from(
            crate::diagnostic::Diagnostic::error(
                Code::InvalidManifest,
                format!("cannot read the scaffold manifest: {e}"),
            )
            .at(crate::diagnostic::Span::new(&path, e.line(), e.column()))
            .hint("restore it from version control, or delete it and re-run with --force"),
        )
    })
}

/// Decides what to do with each file; `force` turns conflicts into overwrites.
pub fn plan(
    out: &Path,
    files: &[Rendered],
    template_version: u32,
    inputs: serde_json::Value,
    force: bool,
) -> Result<Plan> {
    let previous = read_manifest(out)?;
    let known = previous.as_ref().map(|m| &m.files);
    let mut changes = Vec::new();
    let mut hashes = BTreeMap::new();
    for f in files {
        let path = out.join(&f.path);
        let new_hash = sha256(f.contents.as_bytes());
        hashes.insert(f.path.clone(), new_hash.clone());
        let old = if path.exists() {
            Some(fsutil::read_text(&path)?)
        } else {
            None
        };
        let action = match &old {
            None => Action::Create,
            Some(text) if *text == f.contents => Action::Unchanged,
            Some(text) => {
                let untouched = known
                    .and_then(|k| k.get(&f.path))
                    .is_some_and(|h| *h == sha256(text.as_bytes()));
                match (untouched, force) {
                    (true, _) => Action::Update,
                    (false, true) => Action::Overwrite,
                    (false, false) => Action::Conflict,
                }
            }
        };
        changes.push(Change {
            path: f.path.clone(),
            action,
            old,
            new: Some(f.contents.clone()),
        });
    }
    if let Some(prev) = &previous {
        for (name, hash) in &prev.files {
            if hashes.contains_key(name) {
                continue;
            }
            let path = out.join(name);
            if !path.exists() {
                continue;
            }
            let text = fsutil::read_text(&path)?;
            // An edited leftover is the user's now: leave it alone.
            if sha256(text.as_bytes()) == *hash {
                changes.push(Change {
                    path: name.clone(),
                    action: Action::Remove,
                    old: Some(text),
                    new: None,
                });
            }
        }
    }
    Ok(Plan {
        out: out.to_path_buf(),
        changes,
        manifest: Manifest {
            template_version,
            inputs,
            files: hashes,
        },
    })
}

/// Carries out a plan with no conflicts; the manifest is written last, so
/// an interrupted run is finished by running again.
pub fn apply(plan: &Plan) -> Result<()> {
    debug_assert!(plan.conflicts().next().is_none());
    for c in &plan.changes {
        let path = plan.out.join(&c.path);
        match (c.action, &c.new) {
            (Action::Create | Action::Update | Action::Overwrite, Some(text)) => {
                fsutil::write_atomic(&path, text.as_bytes())?;
            }
            (Action::Remove, _) => {
                std::fs::remove_file(&path).map_err(|e| Error::io("remove", &path, e))?;
            }
            _ => {}
        }
    }
    let mut json = serde_json::to_string_pretty(&plan.manifest).unwrap_or_default();
    json.push('\n');
    let path = plan.out.join(MANIFEST);
    let current = std::fs::read_to_string(&path).ok();
    if current.as_deref() != Some(json.as_str()) {
        fsutil::write_atomic(&path, json.as_bytes())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, contents: &str) -> Rendered {
        Rendered {
            path: path.into(),
            contents: contents.into(),
        }
    }

    fn actions(p: &Plan) -> Vec<(&str, Action)> {
        p.changes
            .iter()
            .map(|c| (c.path.as_str(), c.action))
            .collect()
    }

    #[test]
    fn untouched_files_update_and_edited_ones_conflict() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        let v1 = [
            file("a.rs", "a1\n"),
            file("b.rs", "b1\n"),
            file("gone.rs", "g\n"),
        ];
        let p = plan(out, &v1, 1, serde_json::json!({}), false).unwrap();
        assert!(actions(&p).iter().all(|(_, a)| *a == Action::Create));
        apply(&p).unwrap();
        std::fs::write(out.join("b.rs"), "b1 edited\n").unwrap();
        let v2 = [file("a.rs", "a2\n"), file("b.rs", "b2\n")];
        let p = plan(out, &v2, 1, serde_json::json!({}), false).unwrap();
        assert_eq!(
            actions(&p),
            [
                ("a.rs", Action::Update),
                ("b.rs", Action::Conflict),
                ("gone.rs", Action::Remove)
            ]
        );
        assert!(
            p.diff()
                .contains("--- a/a.rs\n+++ b/a.rs\n@@ -1 +1 @@\n-a1\n+a2\n")
        );
        let p = plan(out, &v2, 1, serde_json::json!({}), true).unwrap();
        assert_eq!(p.changes[1].action, Action::Overwrite);
        apply(&p).unwrap();
        assert_eq!(std::fs::read_to_string(out.join("b.rs")).unwrap(), "b2\n");
        assert!(!out.join("gone.rs").exists());
        let p = plan(out, &v2, 1, serde_json::json!({}), false).unwrap();
        assert!(p.changes.iter().all(|c| c.action == Action::Unchanged));
    }
}
