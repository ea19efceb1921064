//! A service generated inside a Cargo workspace joins it.
//!
//! Cargo refuses to build a package that sits under a workspace's root
//! without being one of its members (or excluded). So when the output
//! directory is inside a workspace that does not list it, its path is added
//! to `[workspace] members`, with `toml_edit` so that the rest of the file,
//! comments and layout included, stays as the user wrote it. A directory a
//! member pattern already covers, or one the workspace excludes, is left as
//! it is.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::diagnostic::{Code, Diagnostic, Span};
use crate::error::{Error, Result};
use crate::fsutil;

/// A workspace the service is to join.
#[derive(Debug, Clone, Serialize)]
pub struct Join {
    /// The workspace's `Cargo.toml`.
    pub manifest: PathBuf,
    /// The service's path relative to the workspace root, as added.
    pub member: String,
    #[serde(skip)]
    old: String,
    #[serde(skip)]
    new: String,
}

impl Join {
    /// The change to the workspace's manifest, as a unified diff.
    pub fn diff(&self) -> String {
        let label = crate::diagnostic::display_path(&self.manifest);
        crate::textdiff::unified_diff(&self.old, &self.new, &label, &label)
    }

    pub fn apply(&self) -> Result<()> {
        fsutil::write_atomic(&self.manifest, self.new.as_bytes())
    }
}

/// What joining the workspace that `out` is in takes, if `out` is inside
/// one that does not have it as a member yet.
pub fn join(out: &Path) -> Result<Option<Join>> {
    let out = super::runtime::normalise(
        &std::path::absolute(out).map_err(|e| Error::io("resolve", out, e))?,
    );
    for root in out.ancestors().skip(1) {
        let manifest = root.join("Cargo.toml");
        if !manifest.is_file() {
            continue;
        }
        let text = fsutil::read_text(&manifest)?;
        let mut doc: toml_edit::DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
            Error::from(
                Diagnostic::error(
                    Code::InvalidManifest,
                    format!("cannot read the Cargo manifest: {}", e.message()),
                )
                .at(Span::new(&manifest, 1, 1)),
            )
        })?;
        let Some(workspace) = doc.get_mut("workspace").and_then(|w| w.as_table_like_mut()) else {
            // A package's manifest: the workspace, if any, is further up.
            continue;
        };
        let Ok(rel) = out.strip_prefix(root) else {
            return Ok(None);
        };
        let member = rel.to_string_lossy().replace('\\', "/");
        let listed = |key: &str, workspace: &dyn toml_edit::TableLike| {
            workspace
                .get(key)
                .and_then(|v| v.as_array())
                .is_some_and(|a| {
                    a.iter().filter_map(|v| v.as_str()).any(|p| {
                        let p = p.trim_end_matches('/');
                        p == member || glob::Pattern::new(p).is_ok_and(|g| g.matches(&member))
                    })
                })
        };
        if listed("members", &*workspace) || listed("exclude", &*workspace) {
            return Ok(None);
        }
        match workspace.get_mut("members").and_then(|m| m.as_array_mut()) {
            Some(members) => members.push(member.as_str()),
            None => {
                let mut members = toml_edit::Array::new();
                members.push(member.as_str());
                workspace.insert("members", toml_edit::value(members));
            }
        }
        return Ok(Some(Join {
            manifest,
            member,
            new: doc.to_string(),
            old: text,
        }));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_joins_the_workspace_it_is_in_once() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(
            root.join("Cargo.toml"),
            "# ours\n[workspace]\nmembers = [\"crates/*\"]  # the crates\nresolver = \"3\"\n",
        )
        .unwrap();
        assert!(
            join(&root.join("crates/svc")).unwrap().is_none(),
            "covered by `crates/*`"
        );

        let j = join(&root.join("services/./svc")).unwrap().unwrap();
        assert_eq!(j.member, "services/svc");
        assert!(
            j.diff()
                .contains("+members = [\"crates/*\", \"services/svc\"]  # the crates\n")
        );
        j.apply().unwrap();
        assert_eq!(
            std::fs::read_to_string(root.join("Cargo.toml")).unwrap(),
            "# ours\n[workspace]\nmembers = [\"crates/*\", \"services/svc\"]  # the crates\nresolver = \"3\"\n"
        );
        assert!(join(&root.join("services/svc")).unwrap().is_none());
    }

    #[test]
    fn excluded_directories_and_plain_packages_are_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(
            root.join("Cargo.toml"),
            "[workspace]\nexclude = [\"scratch\"]\n",
        )
        .unwrap();
        assert!(join(&root.join("scratch")).unwrap().is_none());
        std::fs::create_dir_all(root.join("app")).unwrap();
        std::fs::write(root.join("app/Cargo.toml"), "[package]\nname = \"app\"\n").unwrap();
        // The package is not a workspace: the root is, and gets the member.
        let j = join(&root.join("app/svc")).unwrap().unwrap();
        assert_eq!(j.member, "app/svc");
        assert_eq!(j.manifest, root.join("Cargo.toml"));
    }
}
