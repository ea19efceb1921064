//! Where a project's files are read from: the disk, or, under one root, a
//! commit's files held in memory.
//!
//! A range of commits is judged by the policy its base records (see
//! `commit::base`): agent definitions, skills, plans and signers as of a
//! commit, read by the same loaders that read a work tree. Held in memory
//! they cost no file system work, and nothing else on the machine can
//! change them between being read from the repository and being used.
//!
//! Everything under an in-memory tree's root is answered from memory only:
//! a path the commit does not hold is absent, whatever the disk has there.
//! Paths outside the root (a user's skills in `~/.claude`) are read from
//! the disk as usual.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, Result};

/// A project's files: the disk (the default), or a commit's tree in memory.
#[derive(Debug, Clone, Default)]
pub struct Files {
    tree: Option<Arc<Tree>>,
}

#[derive(Debug)]
struct Tree {
    root: PathBuf,
    /// File contents by path relative to `root`.
    files: BTreeMap<PathBuf, Vec<u8>>,
}

/// What a directory entry is, links followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    File,
    Dir,
    /// Neither: a link that leads nowhere, a socket, a device.
    Other,
}

impl Files {
    /// The disk, as `std::fs` reads it.
    pub fn disk() -> Files {
        Files::default()
    }

    /// `files` (paths relative to `root`) held in memory, and nothing else
    /// under `root`. `root` need not exist; it names where the files
    /// appear to be, and is what paths shown to the user are relative to.
    pub fn in_memory(root: PathBuf, files: impl IntoIterator<Item = (PathBuf, Vec<u8>)>) -> Files {
        Files {
            tree: Some(Arc::new(Tree {
                root,
                files: files.into_iter().collect(),
            })),
        }
    }

    /// Whether the files are held in memory rather than read from disk.
    pub fn is_in_memory(&self) -> bool {
        self.tree.is_some()
    }

    /// The tree and the path relative to its root, when `path` is under it.
    fn inside<'a, 'p>(&'a self, path: &'p Path) -> Option<(&'a Tree, &'p Path)> {
        let tree = self.tree.as_deref()?;
        path.strip_prefix(&tree.root).ok().map(|rel| (tree, rel))
    }

    /// The bytes of the file at `path`.
    pub fn read(&self, path: &Path) -> io::Result<Cow<'_, [u8]>> {
        match self.inside(path) {
            Some((tree, rel)) => tree
                .files
                .get(rel)
                .map(|b| Cow::Borrowed(b.as_slice()))
                .ok_or_else(|| not_found(rel)),
            None => std::fs::read(path).map(Cow::Owned),
        }
    }

    /// The UTF-8 text of the file at `path`, as `std::fs::read_to_string`.
    pub fn read_string(&self, path: &Path) -> io::Result<String> {
        match self.inside(path) {
            Some(_) => {
                let bytes = self.read(path)?.into_owned();
                String::from_utf8(bytes).map_err(|_| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        "stream did not contain valid UTF-8",
                    )
                })
            }
            None => std::fs::read_to_string(path),
        }
    }

    /// [`Files::read_string`], with an error that names the path.
    pub fn read_text(&self, path: &Path) -> Result<String> {
        self.read_string(path)
            .map_err(|e| Error::io("read", path, e))
    }

    /// Whether `path` is a file (or a link to one, on disk).
    pub fn is_file(&self, path: &Path) -> bool {
        match self.inside(path) {
            Some((tree, rel)) => tree.files.contains_key(rel),
            None => path.is_file(),
        }
    }

    /// Whether `path` is a directory (or a link to one, on disk). An
    /// in-memory tree's root always is; another directory is when it holds
    /// a file.
    pub fn is_dir(&self, path: &Path) -> bool {
        match self.inside(path) {
            Some((tree, rel)) => tree.is_dir(rel),
            None => path.is_dir(),
        }
    }

    pub fn exists(&self, path: &Path) -> bool {
        self.is_file(path) || self.is_dir(path)
    }

    /// The entries of the directory `dir`, in no set order, links followed.
    /// An error when `dir` is not a directory.
    pub fn entries(&self, dir: &Path) -> io::Result<Vec<(PathBuf, Kind)>> {
        let Some((tree, rel)) = self.inside(dir) else {
            let mut out = Vec::new();
            for entry in std::fs::read_dir(dir)?.flatten() {
                let path = entry.path();
                // The entry's own type costs nothing; only a link is followed.
                let kind = match entry.file_type() {
                    Ok(t) if !t.is_symlink() => kind_of(t),
                    _ => std::fs::metadata(&path).map_or(Kind::Other, |m| kind_of(m.file_type())),
                };
                out.push((path, kind));
            }
            return Ok(out);
        };
        if !tree.is_dir(rel) {
            return Err(not_found(rel));
        }
        let mut out: Vec<(PathBuf, Kind)> = Vec::new();
        for key in tree.under(rel) {
            let mut rest = key.strip_prefix(rel).unwrap_or(key).components();
            let Some(first) = rest.next() else { continue };
            let kind = if rest.next().is_some() {
                Kind::Dir
            } else {
                Kind::File
            };
            let path = dir.join(first);
            // Files under one directory are listed together: only the last
            // entry can name it again.
            if out.last().is_none_or(|(p, _)| *p != path) {
                out.push((path, kind));
            }
        }
        Ok(out)
    }

    /// Every file under `dir` at any depth, sorted. On disk, links are
    /// listed and never followed into, and an unreadable directory is
    /// skipped.
    pub fn files_under(&self, dir: &Path) -> Vec<PathBuf> {
        let Some((tree, rel)) = self.inside(dir) else {
            return crate::fsutil::files_under(dir);
        };
        tree.under(rel).map(|key| tree.root.join(key)).collect()
    }
}

impl Tree {
    /// The files strictly under `rel`, in order.
    fn under<'a>(&'a self, rel: &'a Path) -> impl Iterator<Item = &'a PathBuf> + 'a {
        // A path with `..` names nothing the commit holds.
        let plain = !rel.components().any(|c| c == Component::ParentDir);
        self.files
            .range::<Path, _>((std::ops::Bound::Excluded(rel), std::ops::Bound::Unbounded))
            .map(|(k, _)| k)
            .take_while(move |k| plain && k.starts_with(rel))
            .filter(move |k| k.as_path() != rel)
    }

    fn is_dir(&self, rel: &Path) -> bool {
        rel.as_os_str().is_empty() || self.under(rel).next().is_some()
    }
}

fn kind_of(t: std::fs::FileType) -> Kind {
    if t.is_dir() {
        Kind::Dir
    } else if t.is_file() {
        Kind::File
    } else {
        Kind::Other
    }
}

fn not_found(rel: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("`{}` is not in the commit", rel.display()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> Files {
        let files = [
            "agents/dev.md",
            "agents/team/lead.md",
            "agents/teamwork.md",
            "plans/0001-chat.md",
            "plans/0001/approved/abc.md",
            "harness.toml",
        ];
        Files::in_memory(
            PathBuf::from("/base:"),
            files.map(|f| (PathBuf::from(f), f.as_bytes().to_vec())),
        )
    }

    #[test]
    fn an_in_memory_tree_answers_for_everything_under_its_root() {
        let files = tree();
        let root = Path::new("/base:");
        assert_eq!(
            &*files.read(&root.join("agents/dev.md")).unwrap(),
            b"agents/dev.md"
        );
        assert_eq!(
            files.read_text(&root.join("harness.toml")).unwrap(),
            "harness.toml"
        );
        let missing = files.read(&root.join("agents/gone.md")).unwrap_err();
        assert_eq!(missing.kind(), io::ErrorKind::NotFound);
        assert!(files.is_file(&root.join("agents/team/lead.md")));
        assert!(!files.is_file(&root.join("agents/team")));
        assert!(files.is_dir(&root.join("agents/team")));
        assert!(files.is_dir(root));
        assert!(!files.is_dir(&root.join("agents/dev.md")));
        // `agents/team` is not a prefix of `agents/teamwork.md` as a path.
        assert!(!files.is_dir(&root.join("agents/tea")));
        assert!(!files.exists(&root.join("nothing")));
        // `..` never leads out of the tree to the disk.
        assert!(!files.exists(&root.join("../etc/passwd")));
        assert!(files.entries(&root.join("../etc")).is_err());
    }

    #[test]
    fn entries_and_files_under_list_a_directory_as_the_disk_would() {
        let files = tree();
        let root = Path::new("/base:");
        let mut entries = files.entries(&root.join("agents")).unwrap();
        entries.sort();
        assert_eq!(
            entries,
            [
                (root.join("agents/dev.md"), Kind::File),
                (root.join("agents/team"), Kind::Dir),
                (root.join("agents/teamwork.md"), Kind::File),
            ]
        );
        let mut top = files.entries(root).unwrap();
        top.sort();
        assert_eq!(
            top,
            [
                (root.join("agents"), Kind::Dir),
                (root.join("harness.toml"), Kind::File),
                (root.join("plans"), Kind::Dir),
            ]
        );
        assert!(files.entries(&root.join("skills")).is_err());
        assert_eq!(
            files.files_under(&root.join("plans")),
            // Sorted by component, as `fsutil::files_under` sorts.
            [
                root.join("plans/0001/approved/abc.md"),
                root.join("plans/0001-chat.md"),
            ]
        );
    }

    #[test]
    fn paths_outside_the_root_are_read_from_disk() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/a.md"), "on disk").unwrap();
        for files in [Files::disk(), tree()] {
            assert_eq!(
                files.read_text(&dir.path().join("sub/a.md")).unwrap(),
                "on disk"
            );
            assert!(files.is_dir(&dir.path().join("sub")));
            assert_eq!(
                files.entries(&dir.path().join("sub")).unwrap(),
                [(dir.path().join("sub/a.md"), Kind::File)]
            );
            assert_eq!(files.files_under(dir.path()), [dir.path().join("sub/a.md")]);
        }
        assert!(!Files::disk().is_in_memory());
        assert!(tree().is_in_memory());
    }
}
