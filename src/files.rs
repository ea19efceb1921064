//! Where a project's files are read from: the disk, or a commit's files
//! held in memory.
//!
//! A range of commits is judged by the policy its base records (see
//! `commit::base`): agent definitions, plans and signers as of a commit,
//! read by the same loaders that read a work tree. Held in memory they
//! cost no file system work, and nothing else on the machine can change
//! them between being read from the repository and being used.
//!
//! A commit's project holds what the commit holds and nothing else: a path
//! under its root that the commit does not have is absent, whatever the
//! disk has there, and so is every path outside the root (a file named by
//! an absolute or `..` path in its configuration or its plans).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ffi::OsStr;
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

/// Where a path is answered from.
enum Place<'a, 'p> {
    Disk,
    /// In the tree, at this path relative to its root.
    Tree(&'a Tree, &'p Path),
    /// Outside an in-memory tree: nowhere.
    Absent,
}

impl Files {
    /// The disk, as `std::fs` reads it.
    pub fn disk() -> Files {
        Files::default()
    }

    /// `files` (paths relative to `root`) held in memory, and nothing else.
    /// `root` need not exist; it names where the files appear to be, and is
    /// what paths shown to the user are relative to.
    pub fn in_memory(root: PathBuf, files: impl IntoIterator<Item = (PathBuf, Vec<u8>)>) -> Files {
        Files {
            tree: Some(Arc::new(Tree {
                root,
                files: files.into_iter().collect(),
            })),
        }
    }

    /// These files with `more` beside them (paths relative to the same
    /// root, replacing any held at the same path). Only files held in
    /// memory are added to; the disk answers for itself.
    pub fn with(&self, more: impl IntoIterator<Item = (PathBuf, Vec<u8>)>) -> Files {
        match self.tree.as_deref() {
            Some(tree) => {
                let mut files = tree.files.clone();
                files.extend(more);
                Files::in_memory(tree.root.clone(), files)
            }
            None => self.clone(),
        }
    }

    /// Whether the files are held in memory rather than read from disk.
    pub fn is_in_memory(&self) -> bool {
        self.tree.is_some()
    }

    fn place<'a, 'p>(&'a self, path: &'p Path) -> Place<'a, 'p> {
        let Some(tree) = self.tree.as_deref() else {
            return Place::Disk;
        };
        match path.strip_prefix(&tree.root) {
            Ok(rel) if !rel.components().any(|c| c == Component::ParentDir) => {
                Place::Tree(tree, rel)
            }
            _ => Place::Absent,
        }
    }

    /// The bytes of the file at `path`.
    pub fn read(&self, path: &Path) -> io::Result<Cow<'_, [u8]>> {
        match self.place(path) {
            Place::Disk => std::fs::read(path).map(Cow::Owned),
            Place::Tree(tree, rel) => tree
                .files
                .get(rel)
                .map(|b| Cow::Borrowed(b.as_slice()))
                .ok_or_else(|| not_found(path)),
            Place::Absent => Err(not_found(path)),
        }
    }

    /// The UTF-8 text of the file at `path`, as `std::fs::read_to_string`.
    pub fn read_string(&self, path: &Path) -> io::Result<String> {
        if !self.is_in_memory() {
            return std::fs::read_to_string(path);
        }
        String::from_utf8(self.read(path)?.into_owned()).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                "stream did not contain valid UTF-8",
            )
        })
    }

    /// [`Files::read_string`], with an error that names the path.
    pub fn read_text(&self, path: &Path) -> Result<String> {
        self.read_string(path)
            .map_err(|e| Error::io("read", path, e))
    }

    /// Whether `path` is a file (or a link to one, on disk).
    pub fn is_file(&self, path: &Path) -> bool {
        match self.place(path) {
            Place::Disk => path.is_file(),
            Place::Tree(tree, rel) => tree.files.contains_key(rel),
            Place::Absent => false,
        }
    }

    /// Whether `path` is a directory (or a link to one, on disk). An
    /// in-memory tree's root always is; another directory is when it holds
    /// a file.
    pub fn is_dir(&self, path: &Path) -> bool {
        match self.place(path) {
            Place::Disk => path.is_dir(),
            Place::Tree(tree, rel) => tree.is_dir(rel),
            Place::Absent => false,
        }
    }

    /// The entries of the directory `dir`, in no set order, links followed.
    /// An error when `dir` is not a directory.
    pub fn entries(&self, dir: &Path) -> io::Result<Vec<(PathBuf, Kind)>> {
        self.entries_named(dir, |_| true)
    }

    /// [`Files::entries`] whose names `keep` accepts: the others cost no
    /// path and, on disk, no `stat` of a link.
    pub fn entries_named(
        &self,
        dir: &Path,
        keep: impl Fn(&OsStr) -> bool,
    ) -> io::Result<Vec<(PathBuf, Kind)>> {
        let (tree, rel) = match self.place(dir) {
            Place::Disk => {
                let mut out = Vec::new();
                for entry in std::fs::read_dir(dir)?.flatten() {
                    if !keep(&entry.file_name()) {
                        continue;
                    }
                    let path = entry.path();
                    // The entry's own type costs nothing; only a link is
                    // followed.
                    let kind = match entry.file_type() {
                        Ok(t) if !t.is_symlink() => kind_of(t),
                        _ => {
                            std::fs::metadata(&path).map_or(Kind::Other, |m| kind_of(m.file_type()))
                        }
                    };
                    out.push((path, kind));
                }
                return Ok(out);
            }
            Place::Tree(tree, rel) if tree.is_dir(rel) => (tree, rel),
            Place::Tree(..) | Place::Absent => return Err(not_found(dir)),
        };
        let mut out: Vec<(PathBuf, Kind)> = Vec::new();
        for key in tree.under(rel) {
            let mut rest = key.strip_prefix(rel).unwrap_or(key).components();
            let Some(first) = rest.next() else { continue };
            if !keep(first.as_os_str()) {
                continue;
            }
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
}

impl Tree {
    /// The files strictly under `rel`, in order.
    fn under<'a>(&'a self, rel: &'a Path) -> impl Iterator<Item = &'a PathBuf> + 'a {
        self.files
            .range::<Path, _>((std::ops::Bound::Excluded(rel), std::ops::Bound::Unbounded))
            .map(|(k, _)| k)
            .take_while(move |k| k.starts_with(rel))
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

fn not_found(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("`{}` is not in the commit", path.display()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILES: [&str; 6] = [
        "agents/dev.md",
        "agents/team/lead.md",
        "agents/teamwork.md",
        "plans/0001-chat.md",
        "plans/0001/approved/abc.md",
        "harness.toml",
    ];

    /// The commit's files under `root`, as in memory.
    fn tree(root: &Path) -> Files {
        Files::in_memory(
            root.to_path_buf(),
            FILES.map(|f| (PathBuf::from(f), f.as_bytes().to_vec())),
        )
    }

    #[test]
    fn files_added_to_a_commit_s_sit_beside_its_own() {
        let root = Path::new("/abc:");
        let files = tree(root);
        let more = files.with([
            (PathBuf::from("plans/0002-x.md"), b"new".to_vec()),
            (PathBuf::from("harness.toml"), b"replaced".to_vec()),
        ]);
        assert_eq!(&*more.read(&root.join("plans/0002-x.md")).unwrap(), b"new");
        assert_eq!(
            &*more.read(&root.join("harness.toml")).unwrap(),
            b"replaced"
        );
        assert_eq!(
            &*more.read(&root.join("agents/dev.md")).unwrap(),
            b"agents/dev.md"
        );
        // The files added to are unchanged.
        assert!(!files.is_file(&root.join("plans/0002-x.md")));
        // The disk is not added to.
        assert!(
            !Files::disk()
                .with([(PathBuf::from("x"), vec![])])
                .is_in_memory()
        );
    }

    #[test]
    fn a_commit_s_files_are_what_it_holds_whatever_the_disk_has() {
        // The root is a real directory, holding other files by the same
        // names and more, and a file beside it: none of them is read.
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("project");
        for f in FILES.iter().chain(&["agents/extra.md", "signers"]) {
            let p = root.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, "on disk").unwrap();
        }
        std::fs::write(dir.path().join("outside.md"), "on disk").unwrap();
        let files = tree(&root);
        assert_eq!(
            &*files.read(&root.join("agents/dev.md")).unwrap(),
            b"agents/dev.md"
        );
        assert_eq!(
            files.read_text(&root.join("harness.toml")).unwrap(),
            "harness.toml"
        );
        for absent in [
            root.join("agents/extra.md"),
            root.join("signers"),
            root.join("../outside.md"),
            dir.path().join("outside.md"),
            PathBuf::from("/etc/hostname"),
        ] {
            let err = files.read(&absent).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::NotFound, "{absent:?}");
            assert!(!files.is_file(&absent), "{absent:?}");
        }
        assert!(files.is_file(&root.join("agents/team/lead.md")));
        assert!(!files.is_file(&root.join("agents/team")));
        assert!(files.is_dir(&root.join("agents/team")));
        assert!(files.is_dir(&root));
        assert!(!files.is_dir(&root.join("agents/dev.md")));
        // `agents/team` is not a prefix of `agents/teamwork.md` as a path.
        assert!(!files.is_dir(&root.join("agents/tea")));
        assert!(!files.is_dir(dir.path()));
        assert!(files.entries(dir.path()).is_err());
        assert!(files.entries(&root.join("../project/agents")).is_err());
        // On disk, the same paths read as the disk has them.
        let disk = Files::disk();
        assert_eq!(
            disk.read_text(&root.join("agents/dev.md")).unwrap(),
            "on disk"
        );
        assert!(disk.is_file(&root.join("../outside.md")));
    }

    #[test]
    fn entries_list_a_directory_as_the_disk_would() {
        let root = Path::new("/base:");
        let files = tree(root);
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
        let named = |files: &Files, dir: &Path| {
            let mut e = files
                .entries_named(dir, |n| n.to_str().is_some_and(|n| n.ends_with(".md")))
                .unwrap();
            e.sort();
            e
        };
        assert_eq!(
            named(&files, &root.join("plans")),
            [(root.join("plans/0001-chat.md"), Kind::File)]
        );

        // The disk gives the same listing, and names a link to nowhere.
        let dir = tempfile::tempdir().unwrap();
        let plans = dir.path().join("plans");
        std::fs::create_dir_all(plans.join("0001/approved")).unwrap();
        std::fs::write(plans.join("0001-chat.md"), "").unwrap();
        std::fs::write(plans.join("0001/approved/abc.md"), "").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(plans.join("gone"), plans.join("0002-gone.md")).unwrap();
        let mut listed = Files::disk().entries(&plans).unwrap();
        listed.sort();
        let mut expected = vec![
            (plans.join("0001"), Kind::Dir),
            (plans.join("0001-chat.md"), Kind::File),
        ];
        if cfg!(unix) {
            expected.push((plans.join("0002-gone.md"), Kind::Other));
        }
        assert_eq!(listed, expected);
        assert_eq!(
            named(&Files::disk(), &plans).len(),
            expected.len() - 1,
            "the directory is left out by its name"
        );
        assert!(!Files::disk().is_in_memory());
        assert!(files.is_in_memory());
    }
}
