//! Paths as the guard sees them: every spelling of a file a tool names is
//! brought to one repository-relative form before any rule is asked, and
//! path rules match with gitignore semantics.
//!
//! An agent can name `tests/ws.rs` as `./tests/ws.rs`, `src/../tests/ws.rs`,
//! `tests//ws.rs`, `/abs/repo/tests/ws.rs`, or through a symlink that points
//! into `tests/`. [`Resolver::locate`] returns both the lexical form and the
//! form with symlinks resolved, and a rule that matches either one matches.

use std::path::{Component, Path, PathBuf};

use glob::{MatchOptions, Pattern};

/// Where a path a tool names lies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Located {
    /// Inside the repository: its relative forms, `/`-separated, lexical
    /// first and then the symlink-resolved one when it differs. An empty
    /// string is the repository root itself.
    Inside(Vec<String>),
    /// Outside the repository, normalised.
    Outside(PathBuf),
}

impl Located {
    /// The form to show in messages.
    pub fn display(&self) -> String {
        match self {
            Located::Inside(forms) => {
                let first = &forms[0];
                if first.is_empty() {
                    ".".to_string()
                } else {
                    first.clone()
                }
            }
            Located::Outside(p) => p.to_string_lossy().into_owned(),
        }
    }

    pub fn forms(&self) -> &[String] {
        match self {
            Located::Inside(forms) => forms,
            Located::Outside(_) => &[],
        }
    }
}

/// Turns the paths a tool call names into [`Located`] paths.
#[derive(Debug, Clone)]
pub struct Resolver {
    /// The repository root, symlinks resolved.
    root: PathBuf,
    /// The directory relative paths are relative to (the call's `cwd`).
    cwd: PathBuf,
    home: Option<PathBuf>,
}

impl Resolver {
    pub fn new(root: &Path, cwd: &Path) -> Resolver {
        let root = std::fs::canonicalize(root).unwrap_or_else(|_| normalize(root));
        let cwd = if cwd.is_absolute() {
            normalize(cwd)
        } else {
            normalize(&root.join(cwd))
        };
        Resolver {
            root,
            cwd,
            home: std::env::var_os("HOME").map(PathBuf::from),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The home directory, when known.
    pub fn home(&self) -> Option<&Path> {
        self.home.as_deref()
    }

    /// A path outside the repository as a path relative to the home
    /// directory, if it lies there (the home directory itself is `""`).
    pub fn in_home(&self, located: &Located) -> Option<Located> {
        let Located::Outside(p) = located else {
            return None;
        };
        let home = self.home.as_deref()?;
        let rel = match p.strip_prefix(home) {
            Ok(rel) => rel.to_path_buf(),
            // `p` has its symlinks resolved; the home directory may not.
            Err(_) => p
                .strip_prefix(std::fs::canonicalize(home).ok()?)
                .ok()?
                .to_path_buf(),
        };
        let parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        Some(Located::Inside(vec![parts.join("/")]))
    }

    /// Locates `raw` as a tool would see it.
    pub fn locate(&self, raw: &str) -> Located {
        let expanded = match (raw.strip_prefix("~/"), &self.home) {
            (Some(rest), Some(home)) => home.join(rest),
            _ if raw == "~" && self.home.is_some() => self.home.clone().unwrap_or_default(),
            _ => PathBuf::from(raw),
        };
        let lexical = normalize(&self.cwd.join(expanded));
        let resolved = resolve_symlinks(&lexical);
        let mut forms = Vec::new();
        for p in [&lexical, &resolved] {
            if let Some(rel) = self.relative(p)
                && !forms.contains(&rel)
            {
                forms.push(rel);
            }
        }
        if forms.is_empty() {
            Located::Outside(resolved)
        } else {
            Located::Inside(forms)
        }
    }

    fn relative(&self, p: &Path) -> Option<String> {
        let rel = p.strip_prefix(&self.root).ok()?;
        let parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        Some(parts.join("/"))
    }
}

/// Removes `.`, `..` and repeated separators without touching the disk.
/// `..` above the filesystem root stays at the root, as the kernel does.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() && !path.is_absolute() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The path with every symlink in it resolved: the longest prefix that
/// exists is canonicalised and the rest appended, so files not yet created
/// under a symlinked directory are still caught. A dangling symlink is
/// followed too: writing through it creates its target.
fn resolve_symlinks(path: &Path) -> PathBuf {
    resolve_within(path, 40)
}

fn resolve_within(path: &Path, hops: usize) -> PathBuf {
    let mut existing = path.to_path_buf();
    let mut rest = Vec::new();
    loop {
        if hops > 0
            && existing
                .symlink_metadata()
                .is_ok_and(|m| m.file_type().is_symlink())
            && std::fs::canonicalize(&existing).is_err()
            && let (Ok(target), Some(parent)) = (std::fs::read_link(&existing), existing.parent())
        {
            let mut out = normalize(&parent.join(target));
            for part in rest.iter().rev() {
                out.push(part);
            }
            return resolve_within(&out, hops - 1);
        }
        if let Ok(canon) = std::fs::canonicalize(&existing) {
            let mut out = canon;
            for part in rest.iter().rev() {
                out.push(part);
            }
            return normalize(&out);
        }
        match (existing.file_name(), existing.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name.to_os_string());
                existing = parent.to_path_buf();
            }
            _ => return path.to_path_buf(),
        }
    }
}

/// A set of gitignore-style globs, each tagged with what it stands for.
///
/// Matching follows gitignore: a pattern without a slash matches a name at
/// any depth, a leading `/` (or any inner slash) anchors it at the root,
/// `dir/` matches a directory and so everything in it, `!` re-includes,
/// and the last matching pattern decides. Patterns are compiled with the
/// `glob` crate rather than regular expressions: the hook compiles them on
/// every tool call, and a regex engine's set-up cost would dominate it.
#[derive(Debug, Clone)]
pub struct PathRules<T> {
    rules: Vec<PathRule<T>>,
}

#[derive(Debug, Clone)]
struct PathRule<T> {
    /// The glob as written, with its tag.
    original: String,
    tag: T,
    pattern: Pattern,
    negated: bool,
    dir_only: bool,
}

/// A glob that cannot be compiled, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadGlob {
    pub glob: String,
    pub message: String,
}

const OPTIONS: MatchOptions = MatchOptions {
    case_sensitive: true,
    require_literal_separator: true,
    require_literal_leading_dot: false,
};

impl<T: Clone> PathRules<T> {
    /// Compiles `globs`; blank lines and `#` comments are skipped.
    pub fn new(globs: impl IntoIterator<Item = (String, T)>) -> Result<PathRules<T>, BadGlob> {
        let mut rules = Vec::new();
        for (original, tag) in globs {
            let mut g = original.trim();
            if g.is_empty() || g.starts_with('#') {
                continue;
            }
            let negated = g.starts_with('!');
            if negated {
                g = &g[1..];
            }
            let dir_only = g.ends_with('/');
            let g = g.trim_end_matches('/');
            let anchored = g.contains('/');
            let g = g.trim_start_matches('/');
            let text = if anchored || g.starts_with("**") {
                g.to_string()
            } else {
                format!("**/{g}")
            };
            let pattern = Pattern::new(&text).map_err(|e| BadGlob {
                glob: original.clone(),
                message: e.msg.to_string(),
            })?;
            rules.push(PathRule {
                original,
                tag,
                pattern,
                negated,
                dir_only,
            });
        }
        Ok(PathRules { rules })
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The first rule that excludes, to cite when a whole tree could not be
    /// looked through.
    pub fn first(&self) -> Option<(&str, &T)> {
        self.rules
            .iter()
            .find(|r| !r.negated)
            .map(|r| (r.original.as_str(), &r.tag))
    }

    /// The rule deciding `path`, taken as a directory or not: the last one
    /// that matches, if it does not re-include.
    fn decide(&self, path: &str, is_dir: bool) -> Option<&PathRule<T>> {
        let last = self
            .rules
            .iter()
            .rev()
            .find(|r| (is_dir || !r.dir_only) && r.pattern.matches_with(path, OPTIONS))?;
        (!last.negated).then_some(last)
    }

    /// The glob and tag that match `rel` (a repository-relative path) or
    /// one of its parent directories, if any. As in git, nothing inside an
    /// excluded directory can be re-included.
    pub fn matching(&self, rel: &str) -> Option<(&str, &T)> {
        self.matching_as(rel, false)
    }

    /// [`matching`](Self::matching) for `rel` known to be a directory, so
    /// that directory-only globs (`target/`) match it too.
    pub fn matching_dir(&self, rel: &str) -> Option<(&str, &T)> {
        self.matching_as(rel, true)
    }

    fn matching_as(&self, rel: &str, is_dir: bool) -> Option<(&str, &T)> {
        if rel.is_empty() || self.rules.is_empty() {
            return None;
        }
        let mut end = 0;
        let hit = loop {
            match rel[end..].find('/') {
                Some(i) => {
                    end += i;
                    if let Some(r) = self.decide(&rel[..end], true) {
                        break Some(r);
                    }
                    end += 1;
                }
                None => break self.decide(rel, is_dir),
            }
        };
        hit.map(|r| (r.original.as_str(), &r.tag))
    }

    /// The first match among every form of a located path.
    pub fn matching_located(&self, located: &Located) -> Option<(&str, &T)> {
        located.forms().iter().find_map(|f| self.matching(f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn rules(globs: &[&str]) -> PathRules<usize> {
        PathRules::new(globs.iter().enumerate().map(|(i, g)| (g.to_string(), i))).unwrap()
    }

    #[test]
    fn gitignore_semantics() {
        let r = rules(&[
            "tests/**",
            "**/*_test.*",
            "conftest.py",
            "/build/",
            "!tests/keep.rs",
        ]);
        assert_eq!(r.matching("tests/ws.rs").map(|m| *m.1), Some(0));
        assert_eq!(r.matching("tests/deep/a.rs").map(|m| *m.1), Some(0));
        assert!(r.matching("src/tests.rs").is_none());
        assert_eq!(r.matching("src/ws_test.go").map(|m| *m.1), Some(1));
        assert_eq!(r.matching("a/b/conftest.py").map(|m| *m.1), Some(2));
        assert_eq!(r.matching("build/out/x").map(|m| *m.1), Some(3));
        assert!(r.matching("src/build/x").is_none());
        assert!(r.matching("tests/keep.rs").is_none());
        // A directory-only glob matches the directory itself only when the
        // caller knows it is one.
        assert!(r.matching("build").is_none());
        assert_eq!(r.matching_dir("build").map(|m| *m.1), Some(3));
        assert!(
            r.matching("build").is_none(),
            "`build/` matches a directory only"
        );
        assert!(
            r.matching("tests").is_none(),
            "`tests/**` matches what is inside"
        );
        let r = rules(&["*.log", "!keep.log", "/docs", "a/**/z.txt", "[ab].rs"]);
        assert!(r.matching("x/y.log").is_some());
        assert!(r.matching("x/keep.log").is_none());
        assert!(r.matching("docs/api/x.md").is_some());
        assert!(r.matching("src/docs/x.md").is_none());
        assert!(r.matching("a/z.txt").is_some());
        assert!(r.matching("a/b/c/z.txt").is_some());
        assert!(r.matching("src/b.rs").is_some());
        assert!(r.matching("src/c.rs").is_none());
        assert!(PathRules::new([("a/***".to_string(), ())]).is_err());
    }

    #[test]
    fn locates_every_spelling_inside_and_outside() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::create_dir_all(root.join("tests")).unwrap();
        std::fs::create_dir_all(root.join("src")).unwrap();
        let r = Resolver::new(&root, &root.join("src"));
        let inside = |s: &str| Located::Inside(vec![s.to_string()]);
        assert_eq!(r.locate("../tests/ws.rs"), inside("tests/ws.rs"));
        assert_eq!(r.locate("./lib.rs"), inside("src/lib.rs"));
        assert_eq!(r.locate(".//..//tests//./a.rs"), inside("tests/a.rs"));
        let abs = root.join("tests/x.rs");
        assert_eq!(r.locate(abs.to_str().unwrap()), inside("tests/x.rs"));
        assert!(matches!(r.locate("../../elsewhere"), Located::Outside(_)));
        assert!(matches!(r.locate("/etc/passwd"), Located::Outside(_)));
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(root.join("tests"), root.join("src/t")).unwrap();
            assert_eq!(
                r.locate("t/new.rs"),
                Located::Inside(vec!["src/t/new.rs".into(), "tests/new.rs".into()])
            );
            // A dangling link leads where writing through it creates a file.
            std::os::unix::fs::symlink("../tests/none/x.rs", root.join("src/d")).unwrap();
            assert_eq!(
                r.locate("d"),
                Located::Inside(vec!["src/d".into(), "tests/none/x.rs".into()])
            );
        }
    }
}
