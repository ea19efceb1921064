//! Writing generated files without ever losing a user's edit.
//!
//! The output directory holds a manifest, `.harness-scaffold.json`: the
//! template version, the inputs (plan id, plan hash and the realtime spec)
//! and the SHA-256 of every file as generated; and next to it the *base*,
//! `.harness-scaffold-base.json`: every file's text as generated last, the
//! common ancestor of the user's edits and the template's changes. On the
//! next run each file is classified before anything is written:
//!
//! - missing → created;
//! - unchanged since generation (its hash is in the manifest) → updated;
//! - edited by the user, and the new output is the base → left as it is;
//! - edited by the user, and the new output differs from the base → a
//!   three-way merge of base, the user's file and the new output (diffy):
//!   changes that do not overlap are **merged**; overlapping ones make a
//!   **conflict**, written into the file between `<<<<<<<`/`>>>>>>>`
//!   markers for the user to resolve;
//! - edited, with no base to merge from (a manifest older than the base, or
//!   a file not generated before) → a conflict, and the file is left alone;
//! - still holding unresolved markers → a conflict, left alone;
//! - generated last time but no longer (the plan dropped it) and untouched
//!   → removed.
//!
//! Everything but a conflict left alone is written; any conflict makes the
//! run fail so that it is seen. `--force` overwrites edited files with the
//! new output instead. `--dry-run` prints a unified diff of every change.

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

/// Every file as generated last, for three-way merges: output path → text.
pub const BASE: &str = ".harness-scaffold-base.json";

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
    /// The user edited it and the template changed the same lines: the
    /// file gets both between conflict markers, or is left alone when there
    /// is no base to merge from or it still holds unresolved markers.
    Conflict,
    /// The user edited it and the template changed other lines: both kept.
    Merge,
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

impl Change {
    /// The text the run writes, if any.
    pub fn new_text(&self) -> Option<&str> {
        self.new.as_deref()
    }

    /// Whether the run writes this file.
    pub fn writes(&self) -> bool {
        self.new.is_some()
            && matches!(
                self.action,
                Action::Create
                    | Action::Update
                    | Action::Overwrite
                    | Action::Merge
                    | Action::Conflict
            )
    }
}

/// Everything a run would do, decided before anything is written.
#[derive(Debug)]
pub struct Plan {
    pub out: PathBuf,
    pub changes: Vec<Change>,
    manifest: Manifest,
    base: BTreeMap<String, String>,
}

impl Plan {
    pub fn conflicts(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| c.action == Action::Conflict)
    }

    /// Unified diffs of every change, paths relative to the output directory.
    pub fn diff(&self) -> String {
        let mut out = String::new();
        for c in &self.changes {
            if matches!(c.action, Action::Unchanged) || !c.writes() && c.action != Action::Remove {
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
    read_json(&out.join(MANIFEST))
}

/// The base, empty when there is none yet.
fn read_base(out: &Path) -> Result<BTreeMap<String, String>> {
    Ok(read_json(&out.join(BASE))?.unwrap_or_default())
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Option<T>> {
    if !path.exists() {
        return Ok(None);
    }
    let text = fsutil::read_text(path)?;
    serde_json::from_str(&text).map(Some).map_err(|e| {
        Error::from(
            crate::diagnostic::Diagnostic::error(
                Code::InvalidManifest,
                format!("cannot read the scaffold manifest: {e}"),
            )
            .at(crate::diagnostic::Span::new(path, e.line(), e.column()))
            .hint("restore it from version control, or delete it and re-run with --force"),
        )
    })
}

/// Whether `text` still holds a conflict this module wrote and the user has
/// not resolved: a start marker line and an end marker line.
fn has_markers(text: &str) -> bool {
    text.lines().any(|l| l.starts_with("<<<<<<< "))
        && text.lines().any(|l| l.starts_with(">>>>>>> "))
}

/// What to do with a file the user edited (`ours`) when the new output
/// (`theirs`) differs from it: merge against `base`, the text generated
/// last; the action, and the text to write (none: leave the file alone).
fn reconcile(base: Option<&str>, ours: &str, theirs: &str) -> (Action, Option<String>) {
    let Some(base) = base else {
        return (Action::Conflict, None);
    };
    if has_markers(ours) {
        return (Action::Conflict, None);
    }
    if base == theirs {
        // The template's output did not change: the edit is all there is.
        return (Action::Unchanged, None);
    }
    match diffy::merge(base, ours, theirs) {
        Ok(merged) if merged == ours => (Action::Unchanged, None),
        Ok(merged) => (Action::Merge, Some(merged)),
        Err(with_markers) => (Action::Conflict, Some(with_markers)),
    }
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
    let previous_base = read_base(out)?;
    let known = previous.as_ref().map(|m| &m.files);
    let mut changes = Vec::new();
    let mut hashes = BTreeMap::new();
    let mut base = BTreeMap::new();
    for f in files {
        let path = out.join(&f.path);
        hashes.insert(f.path.clone(), sha256(f.contents.as_bytes()));
        base.insert(f.path.clone(), f.contents.clone());
        let old = if path.exists() {
            Some(fsutil::read_text(&path)?)
        } else {
            None
        };
        let (action, new) = match &old {
            None => (Action::Create, Some(f.contents.clone())),
            Some(text) if *text == f.contents => (Action::Unchanged, None),
            Some(text) => {
                let recorded = known.and_then(|k| k.get(&f.path));
                let untouched = recorded.is_some_and(|h| *h == sha256(text.as_bytes()));
                // The base counts only if it is what the manifest recorded.
                let last = previous_base
                    .get(&f.path)
                    .filter(|b| recorded.is_some_and(|h| *h == sha256(b.as_bytes())));
                match (untouched, force) {
                    (true, _) => (Action::Update, Some(f.contents.clone())),
                    (false, true) => (Action::Overwrite, Some(f.contents.clone())),
                    (false, false) => reconcile(last.map(String::as_str), text, &f.contents),
                }
            }
        };
        if action == Action::Conflict && new.is_none() {
            // Left alone: remember what was generated before, so that the
            // template's change is still merged in once the file is resolved.
            match known.and_then(|k| k.get(&f.path)) {
                Some(h) => hashes.insert(f.path.clone(), h.clone()),
                None => hashes.remove(&f.path),
            };
            match previous_base.get(&f.path) {
                Some(b) => base.insert(f.path.clone(), b.clone()),
                None => base.remove(&f.path),
            };
        }
        changes.push(Change {
            path: f.path.clone(),
            action,
            old,
            new,
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
        base,
    })
}

/// Carries out a plan: every file written or removed, then the base, then
/// the manifest last, so an interrupted run is finished by running again.
pub fn apply(plan: &Plan) -> Result<()> {
    for c in &plan.changes {
        let path = plan.out.join(&c.path);
        match (&c.new, c.action) {
            (Some(text), _) if c.writes() => fsutil::write_atomic(&path, text.as_bytes())?,
            (_, Action::Remove) => {
                std::fs::remove_file(&path).map_err(|e| Error::io("remove", &path, e))?;
            }
            _ => {}
        }
    }
    write_json(&plan.out.join(BASE), &plan.base)?;
    write_json(&plan.out.join(MANIFEST), &plan.manifest)
}

/// Writes `value` as pretty JSON, unless the file already holds exactly that.
fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let mut json = serde_json::to_string_pretty(value).unwrap_or_default();
    json.push('\n');
    let current = std::fs::read_to_string(path).ok();
    if current.as_deref() != Some(json.as_str()) {
        fsutil::write_atomic(path, json.as_bytes())?;
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

    fn read(out: &Path, name: &str) -> String {
        std::fs::read_to_string(out.join(name)).unwrap()
    }

    #[test]
    fn an_edit_and_a_template_change_on_other_lines_are_both_kept() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        let v1 = [file("a.rs", "one\ntwo\nthree\nfour\nfive\n")];
        apply(&plan(out, &v1, 1, serde_json::json!({}), false).unwrap()).unwrap();
        std::fs::write(out.join("a.rs"), "one, mine\ntwo\nthree\nfour\nfive\n").unwrap();

        // The template's output is what it was: the edit stays, untouched.
        let p = plan(out, &v1, 1, serde_json::json!({}), false).unwrap();
        assert_eq!(actions(&p), [("a.rs", Action::Unchanged)]);
        assert_eq!(p.diff(), "");

        let v2 = [file("a.rs", "one\ntwo\nthree\nfour\nfive, theirs\n")];
        let p = plan(out, &v2, 1, serde_json::json!({}), false).unwrap();
        assert_eq!(actions(&p), [("a.rs", Action::Merge)]);
        apply(&p).unwrap();
        assert_eq!(
            read(out, "a.rs"),
            "one, mine\ntwo\nthree\nfour\nfive, theirs\n"
        );
        // The merge is the new starting point: the same run again is a no-op.
        let p = plan(out, &v2, 1, serde_json::json!({}), false).unwrap();
        assert_eq!(actions(&p), [("a.rs", Action::Unchanged)]);
    }

    #[test]
    fn overlapping_changes_are_written_between_markers_until_resolved() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        let v = |x: u32| [file("a.rs", &format!("x = {x}\n\n\n\nend\n"))];
        apply(&plan(out, &v(1), 1, serde_json::json!({}), false).unwrap()).unwrap();
        std::fs::write(out.join("a.rs"), "x = 2\n\n\n\nend\n").unwrap();
        let p = plan(out, &v(3), 1, serde_json::json!({}), false).unwrap();
        assert_eq!(actions(&p), [("a.rs", Action::Conflict)]);
        apply(&p).unwrap();
        assert_eq!(
            read(out, "a.rs"),
            "<<<<<<< ours\nx = 2\n||||||| original\nx = 1\n=======\nx = 3\n>>>>>>> theirs\n\n\n\nend\n"
        );

        // Unresolved, it stays a conflict and is not written again.
        let p = plan(out, &v(4), 1, serde_json::json!({}), false).unwrap();
        assert_eq!(actions(&p), [("a.rs", Action::Conflict)]);
        assert!(!p.changes[0].writes());
        apply(&p).unwrap();
        assert!(read(out, "a.rs").starts_with("<<<<<<< ours\n"));

        // Resolved, the template's later change still reaches it: `x = 3`
        // was the base, so `x = 4` is the template's change to take.
        std::fs::write(out.join("a.rs"), "x = 3\n\n\n\nend\n// mine\n").unwrap();
        let p = plan(out, &v(4), 1, serde_json::json!({}), false).unwrap();
        assert_eq!(actions(&p), [("a.rs", Action::Merge)]);
        apply(&p).unwrap();
        assert_eq!(read(out, "a.rs"), "x = 4\n\n\n\nend\n// mine\n");
    }

    #[test]
    fn without_a_base_an_edited_file_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        apply(
            &plan(
                out,
                &[file("a.rs", "a1\n")],
                1,
                serde_json::json!({}),
                false,
            )
            .unwrap(),
        )
        .unwrap();
        std::fs::remove_file(out.join(BASE)).unwrap();
        std::fs::write(out.join("a.rs"), "a1 edited\n").unwrap();
        let p = plan(
            out,
            &[file("a.rs", "a2\n")],
            1,
            serde_json::json!({}),
            false,
        )
        .unwrap();
        assert_eq!(actions(&p), [("a.rs", Action::Conflict)]);
        apply(&p).unwrap();
        assert_eq!(read(out, "a.rs"), "a1 edited\n");
    }
}
