//! Writing user files safely: atomically, and never over a file without consent.
//!
//! A new file gets the permissions any other program would give it (0666
//! less the umask), not a temporary file's private 0600; a replaced file
//! keeps its own (an executable script stays executable).

use std::fs;
use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};

/// Writes `contents` to `path` through a temporary file in the same directory
/// and a rename, so a reader never sees half a file and a crash never loses the
/// old one. Creates missing parent directories.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    replace(path, contents, true)
}

/// [`write_atomic`] without waiting for the disk: readers still never see
/// half a file, but a crash may lose the write. For what is cheap to make
/// again: harness's own records under `.harness/` (gate runs), and a
/// commit's commitlint files written to a temporary directory for `node`,
/// where an fsync would cost more than the work recorded.
pub fn write_atomic_unsynced(path: &Path, contents: &[u8]) -> Result<()> {
    replace(path, contents, false)
}

fn replace(path: &Path, contents: &[u8], sync: bool) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    fs::create_dir_all(dir).map_err(|e| Error::io("create directory", dir, e))?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".harness-tmp-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        // Asked of open(2), so the umask applies as it does to any new file.
        builder.permissions(fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder
        .tempfile_in(dir)
        .map_err(|e| Error::io("create a temporary file in", dir, e))?;
    if let Ok(meta) = fs::metadata(path) {
        fs::set_permissions(tmp.path(), meta.permissions())
            .map_err(|e| Error::io("set the permissions of", path, e))?;
    }
    tmp.write_all(contents)
        .and_then(|()| {
            if sync {
                tmp.as_file().sync_all()
            } else {
                Ok(())
            }
        })
        .map_err(|e| Error::io("write", path, e))?;
    tmp.persist(path)
        .map_err(|e| Error::io("replace", path, e.error))?;
    Ok(())
}

/// What [`write_new`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    Created,
    Overwritten,
    /// The file existed and `force` was not given: left as it was.
    Kept,
}

/// Writes a file that harness generates for the user: creates it, or replaces
/// an existing one only when `force` is set.
pub fn write_new(path: &Path, contents: &[u8], force: bool) -> Result<Written> {
    let existed = path.exists();
    if existed && !force {
        return Ok(Written::Kept);
    }
    write_atomic(path, contents)?;
    Ok(if existed {
        Written::Overwritten
    } else {
        Written::Created
    })
}

/// Every entry under `dir` that is not a directory, at any depth, sorted.
/// Links are listed, never followed into; an unreadable directory is
/// skipped.
pub fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

/// The first executable file named `program` in the directories of
/// `path` (a `PATH` value), as a shell would find it.
pub fn on_path(program: &str, path: &std::ffi::OsStr) -> Option<std::path::PathBuf> {
    std::env::split_paths(path)
        .map(|dir| dir.join(program))
        .find(|p| is_executable(p))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

/// Reads a UTF-8 text file, naming the path in the error.
pub fn read_text(path: &Path) -> Result<String> {
    fs::read_to_string(path).map_err(|e| Error::io("read", path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_under_lists_every_file_at_any_depth_and_no_directory() {
        let dir = tempfile::tempdir().unwrap();
        for f in ["b.md", "a/x.md", "a/deep/y.md"] {
            let p = dir.path().join(f);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(&p, f).unwrap();
        }
        fs::create_dir_all(dir.path().join("empty")).unwrap();
        let rel: Vec<String> = files_under(dir.path())
            .iter()
            .map(|p| p.strip_prefix(dir.path()).unwrap().display().to_string())
            .collect();
        assert_eq!(rel, ["a/deep/y.md", "a/x.md", "b.md"]);
        assert!(files_under(&dir.path().join("missing")).is_empty());
    }

    #[test]
    fn write_new_never_clobbers_without_force() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/file.txt");
        assert_eq!(write_new(&path, b"one", false).unwrap(), Written::Created);
        assert_eq!(write_new(&path, b"two", false).unwrap(), Written::Kept);
        assert_eq!(fs::read_to_string(&path).unwrap(), "one");
        assert_eq!(
            write_new(&path, b"three", true).unwrap(),
            Written::Overwritten
        );
        assert_eq!(fs::read_to_string(&path).unwrap(), "three");
        // No temporary file is left behind.
        let names: Vec<_> = fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn new_files_honour_the_umask_and_replaced_ones_keep_their_mode() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        // The umask of this process, read back from a file made by open(2).
        let probe = dir.path().join("probe");
        fs::write(&probe, "").unwrap();
        let expected = mode(&probe);
        let new = dir.path().join("new.txt");
        write_atomic(&new, b"x").unwrap();
        assert_eq!(mode(&new), expected);
        assert_ne!(expected, 0o600, "a umask of 077 would hide the difference");
        let script = dir.path().join("run.sh");
        fs::write(&script, "#!/bin/sh\n").unwrap();
        fs::set_permissions(&script, fs::Permissions::from_mode(0o750)).unwrap();
        write_atomic(&script, b"#!/bin/sh\ntrue\n").unwrap();
        assert_eq!(mode(&script), 0o750);
    }
}
