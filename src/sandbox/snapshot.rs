//! The work tree before and after a sandboxed command: the exact check
//! that closes what the kernel's per-tree rules leave open.
//!
//! Each file is recorded by what no unprivileged process can forge: its
//! inode, size, modification time and status-change time. `ctime` moves on
//! every write, rename, link or `chmod`, and `utimes` cannot set it back,
//! so a file whose record is unchanged was not changed; reading contents
//! is not needed. Build outputs (`target/` and the like) and the git
//! object store are not recorded: writing them is allowed, and they are
//! the largest part of a tree.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::ruleset::Exact;
use crate::policy::paths::PathRules;

/// What a file looked like.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Stamp {
    File {
        ino: u64,
        len: u64,
        mtime: (i64, i64),
        ctime: (i64, i64),
    },
    Dir,
    Link(PathBuf),
}

/// The work tree at one moment.
#[derive(Debug, Clone)]
pub struct Snapshot {
    root: PathBuf,
    entries: BTreeMap<String, Stamp>,
}

/// How a path changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Added,
    Modified,
    Removed,
}

/// One path that changed, relative to the project root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub path: String,
    pub kind: ChangeKind,
}

impl Snapshot {
    /// Records `root`, skipping build outputs and `.git/objects`.
    pub(crate) fn take(root: &Path, outputs: &PathRules<()>) -> Snapshot {
        let mut entries = BTreeMap::new();
        walk(root, "", outputs, &mut entries);
        Snapshot {
            root: root.to_path_buf(),
            entries,
        }
    }

    /// Every change since `self`.
    pub(crate) fn changes(&self, outputs: &PathRules<()>) -> Vec<Change> {
        let after = Snapshot::take(&self.root, outputs);
        let mut out = Vec::new();
        for (path, before) in &self.entries {
            match after.entries.get(path) {
                None => out.push(Change {
                    path: path.clone(),
                    kind: ChangeKind::Removed,
                }),
                Some(now) if now != before => out.push(Change {
                    path: path.clone(),
                    kind: ChangeKind::Modified,
                }),
                Some(_) => {}
            }
        }
        for path in after.entries.keys() {
            if !self.entries.contains_key(path) {
                out.push(Change {
                    path: path.clone(),
                    kind: ChangeKind::Added,
                });
            }
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        out
    }

    /// The changes since `self` that the policy does not allow.
    pub(crate) fn changes_outside_exact(&self, exact: &Exact) -> Vec<Change> {
        self.changes(&exact.outputs)
            .into_iter()
            .filter(|c| !exact.allows(&c.path))
            .collect()
    }
}

/// Records the entries of `dir`, whose path relative to the root is `rel`
/// (empty for the root). Each entry's type comes with it (`d_type`), so
/// only files and links cost a system call more; file names are joined as
/// the walk goes instead of each path being made relative again.
fn walk(dir: &Path, rel: &str, outputs: &PathRules<()>, out: &mut BTreeMap<String, Stamp>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in rd.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let rel = if rel.is_empty() {
            name.into_owned()
        } else {
            format!("{rel}/{name}")
        };
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let output = if kind.is_dir() {
            outputs.matching_dir(&rel)
        } else {
            outputs.matching(&rel)
        };
        if rel == ".git/objects" || output.is_some() {
            continue;
        }
        let stamp = if kind.is_symlink() {
            Stamp::Link(std::fs::read_link(entry.path()).unwrap_or_default())
        } else if kind.is_dir() {
            walk(&entry.path(), &rel, outputs, out);
            Stamp::Dir
        } else {
            let Ok(meta) = entry.metadata() else {
                continue;
            };
            file_stamp(&meta)
        };
        out.insert(rel, stamp);
    }
}

#[cfg(unix)]
fn file_stamp(meta: &std::fs::Metadata) -> Stamp {
    use std::os::unix::fs::MetadataExt;
    Stamp::File {
        ino: meta.ino(),
        len: meta.len(),
        mtime: (meta.mtime(), meta.mtime_nsec()),
        ctime: (meta.ctime(), meta.ctime_nsec()),
    }
}

#[cfg(not(unix))]
fn file_stamp(meta: &std::fs::Metadata) -> Stamp {
    let nanos = |t: std::io::Result<std::time::SystemTime>| {
        t.ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or((0, 0), |d| {
                (d.as_secs() as i64, i64::from(d.subsec_nanos()))
            })
    };
    Stamp::File {
        ino: 0,
        len: meta.len(),
        mtime: nanos(meta.modified()),
        ctime: nanos(meta.created()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sees_added_modified_removed_and_skips_outputs() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("src")).unwrap();
        std::fs::create_dir_all(root.join("target")).unwrap();
        std::fs::write(root.join("src/a.rs"), "a").unwrap();
        std::fs::write(root.join("src/b.rs"), "b").unwrap();
        let outputs = PathRules::new([("target/".to_string(), ())]).unwrap();
        let before = Snapshot::take(root, &outputs);
        std::fs::write(root.join("src/a.rs"), "A").unwrap();
        std::fs::remove_file(root.join("src/b.rs")).unwrap();
        std::fs::write(root.join("src/c.rs"), "c").unwrap();
        std::fs::write(root.join("target/x"), "x").unwrap();
        let changes = before.changes(&outputs);
        let got: Vec<(&str, ChangeKind)> =
            changes.iter().map(|c| (c.path.as_str(), c.kind)).collect();
        assert_eq!(
            got,
            [
                ("src/a.rs", ChangeKind::Modified),
                ("src/b.rs", ChangeKind::Removed),
                ("src/c.rs", ChangeKind::Added),
            ]
        );
    }
}
