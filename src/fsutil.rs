//! Writing user files safely: atomically, and never over a file without consent.

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
/// half a file, but a crash may lose the write. For harness's own records
/// under `.harness/` that are cheap to make again (gate runs), where an
/// fsync would cost more than the work recorded.
pub fn write_atomic_unsynced(path: &Path, contents: &[u8]) -> Result<()> {
    replace(path, contents, false)
}

fn replace(path: &Path, contents: &[u8], sync: bool) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    fs::create_dir_all(dir).map_err(|e| Error::io("create directory", dir, e))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".harness-tmp-")
        .tempfile_in(dir)
        .map_err(|e| Error::io("create a temporary file in", dir, e))?;
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

/// Reads a UTF-8 text file, naming the path in the error.
pub fn read_text(path: &Path) -> Result<String> {
    fs::read_to_string(path).map_err(|e| Error::io("read", path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
