//! Where a generated service gets its runtime, the `harness-realtime` crate.
//!
//! Inside this repository (an ancestor of the output directory holds
//! `runtime/Cargo.toml` of `harness-realtime`) the service depends on that
//! crate by a relative path, so the golden example builds against the
//! runtime as it is being changed. Anywhere else the generator writes a
//! copy of the runtime, embedded in the harness binary like the templates,
//! under `vendor/harness-realtime/` and depends on it by path: the service
//! then builds on a fresh machine with nothing but crates.io, and, since
//! the copy is listed in the scaffold manifest like every generated file,
//! a re-run with a newer harness brings the runtime's fixes (an edited copy
//! is a conflict, as any edited file is).

use std::path::{Component, Path, PathBuf};

use serde::Serialize;

use super::engine::Rendered;

/// Where the vendored copy goes, relative to the service.
pub const VENDOR_DIR: &str = "vendor/harness-realtime";

/// The runtime package's name, as its `Cargo.toml` declares it.
const PACKAGE: &str = "harness-realtime";

macro_rules! runtime_files {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../runtime/", $name)))),*]
    };
}

/// Every file of the runtime crate: (path in the crate, contents).
pub const FILES: &[(&str, &str)] = runtime_files![
    "Cargo.toml",
    "src/app.rs",
    "src/auth.rs",
    "src/avatar.rs",
    "src/avatar/tests.rs",
    "src/config.rs",
    "src/dev_token.rs",
    "src/hub.rs",
    "src/lib.rs",
    "src/limits.rs",
    "src/livekit/admin.rs",
    "src/livekit/config.rs",
    "src/livekit/mod.rs",
    "src/livekit/rooms.rs",
    "src/livekit/spec.rs",
    "src/livekit/tests.rs",
    "src/livekit/token.rs",
    "src/livekit/webhook.rs",
    "src/metrics.rs",
    "src/presence.rs",
    "src/protocol.rs",
    "src/quota.rs",
    "src/redis.rs",
    "src/schema.rs",
    "src/serve.rs",
    "src/sse.rs",
    "src/ws.rs",
];

/// How the service depends on the runtime; the templates see it as `runtime`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Runtime {
    /// The dependency's `path`, relative to the service.
    pub path: String,
    /// Whether the generator writes the runtime under [`VENDOR_DIR`].
    pub vendored: bool,
}

impl Runtime {
    /// The runtime for a service generated in `out`: this repository's
    /// crate when `out` is inside the repository, else a vendored copy.
    pub fn for_output(out: &Path) -> Runtime {
        match in_repository(out) {
            Some(path) => Runtime {
                path,
                vendored: false,
            },
            None => Runtime {
                path: VENDOR_DIR.to_string(),
                vendored: true,
            },
        }
    }

    /// The vendored copy's files, when there is one.
    pub fn files(&self) -> Vec<Rendered> {
        if !self.vendored {
            return Vec::new();
        }
        FILES
            .iter()
            .map(|(name, contents)| Rendered {
                path: format!("{VENDOR_DIR}/{name}"),
                contents: (*contents).to_string(),
            })
            .collect()
    }
}

/// The relative path from `out` to the runtime crate of an enclosing
/// checkout of this repository, if any.
fn in_repository(out: &Path) -> Option<String> {
    let out = normalise(&std::path::absolute(out).ok()?);
    let mut up = 0;
    for dir in out.ancestors().skip(1) {
        up += 1;
        let manifest = dir.join("runtime/Cargo.toml");
        if let Ok(text) = std::fs::read_to_string(&manifest)
            && declares_package(&text)
        {
            return Some(format!("{}runtime", "../".repeat(up)));
        }
    }
    None
}

/// `a/./b/../c` → `a/c`, without touching the file system (the output
/// directory may not exist yet).
pub(super) fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn declares_package(manifest: &str) -> bool {
    toml::from_str::<toml::Table>(manifest)
        .ok()
        .and_then(|t| {
            t.get("package")?
                .get("name")?
                .as_str()
                .map(|n| n == PACKAGE)
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inside_the_repository_the_service_uses_its_runtime_by_path() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("runtime")).unwrap();
        std::fs::write(dir.path().join("runtime/Cargo.toml"), FILES[0].1).unwrap();
        let rt = Runtime::for_output(&dir.path().join("examples/./svc"));
        assert_eq!(
            rt,
            Runtime {
                path: "../../runtime".into(),
                vendored: false
            }
        );
        assert!(rt.files().is_empty());
    }

    #[test]
    fn elsewhere_the_service_gets_a_vendored_copy() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("runtime")).unwrap();
        std::fs::write(
            dir.path().join("runtime/Cargo.toml"),
            "[package]\nname = \"other\"\n",
        )
        .unwrap();
        let rt = Runtime::for_output(&dir.path().join("svc"));
        assert_eq!(rt.path, VENDOR_DIR);
        let files = rt.files();
        assert_eq!(files.len(), FILES.len());
        assert_eq!(files[0].path, "vendor/harness-realtime/Cargo.toml");
        assert!(declares_package(&files[0].contents));
    }

    #[test]
    fn every_file_of_the_runtime_is_embedded() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("runtime");
        let mut on_disk = vec!["Cargo.toml".to_string()];
        let mut dirs = vec![root.join("src")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else {
                    let rel = path.strip_prefix(&root).unwrap();
                    on_disk.push(rel.to_string_lossy().replace('\\', "/"));
                }
            }
        }
        on_disk.sort();
        let mut embedded: Vec<String> = FILES.iter().map(|(n, _)| n.to_string()).collect();
        embedded.sort();
        assert_eq!(embedded, on_disk, "list every runtime file in `FILES`");
    }
}
