//! A plan's scope: the paths and globs of its "Files to Change" section, and
//! the matcher that says whether a path lies within them.
//!
//! Patterns are gitignore-like globs relative to the project root: `*` stays
//! inside one path component, `**` crosses them, and an entry ending in `/`
//! covers everything below that directory.

use std::path::Path;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::{Serialize, Serializer};

use crate::diagnostic::{Code, Diagnostic, Span};

/// One Files to Change entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScopeEntry {
    pub pattern: String,
    /// File line of the entry.
    pub line: usize,
}

/// The Files to Change of a plan.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    entries: Vec<ScopeEntry>,
    set: GlobSet,
}

impl Serialize for Scope {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.entries.serialize(s)
    }
}

/// Reduces a path to the form patterns are written in: forward slashes, no
/// leading `./`.
pub fn normalise_path(path: &str) -> String {
    let p = path.replace('\\', "/");
    let mut p = p.as_str();
    while let Some(rest) = p.strip_prefix("./") {
        p = rest;
    }
    p.to_string()
}

fn glob(pattern: &str) -> Result<globset::Glob, globset::Error> {
    GlobBuilder::new(pattern)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
}

impl Scope {
    /// Builds the scope from raw entries `(text, file line)`. Entries that
    /// are template placeholders (`{path}`) are skipped; entries that are not
    /// valid globs are errors located at their line.
    pub fn build(path: &Path, raw: &[(String, usize)]) -> (Scope, Vec<Diagnostic>) {
        let mut problems = Vec::new();
        let mut entries = Vec::new();
        let mut builder = GlobSetBuilder::new();
        for (text, line) in raw {
            let mut pattern = normalise_path(text.trim().trim_matches('`'));
            if pattern.is_empty()
                || (pattern.contains('{') && pattern.contains('}') && !pattern.contains(','))
            {
                continue;
            }
            if pattern.ends_with('/') {
                pattern.push_str("**");
            }
            match glob(&pattern) {
                Ok(g) => {
                    builder.add(g);
                    entries.push(ScopeEntry {
                        pattern,
                        line: *line,
                    });
                }
                Err(e) => problems.push(
                    Diagnostic::error(
                        Code::InvalidScope,
                        format!("`{pattern}` in Files to Change is not a valid glob: {}", e.kind()),
                    )
                    .at(Span::new(path, *line, 1))
                    .hint("write a path relative to the project root, or a glob such as `src/realtime/**`"),
                ),
            }
        }
        let set = builder.build().unwrap_or_default();
        (Scope { entries, set }, problems)
    }

    /// Whether `path` (relative to the project root) lies within the scope.
    pub fn contains(&self, path: impl AsRef<str>) -> bool {
        self.set.is_match(normalise_path(path.as_ref()))
    }

    /// Whether `path` lies within the scope, for a path as tools give it:
    /// absolute, or relative to the project `root`. An absolute path outside
    /// the project never does.
    pub fn contains_path(&self, root: &Path, path: &Path) -> bool {
        let rel = if path.is_absolute() {
            match path.strip_prefix(root) {
                Ok(rel) => rel,
                Err(_) => return false,
            }
        } else {
            path
        };
        // `..` could climb out of a covered directory.
        if rel
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir))
        {
            return false;
        }
        self.contains(rel.to_string_lossy())
    }

    /// The first entry that covers `path`.
    pub fn matching_entry(&self, path: impl AsRef<str>) -> Option<&ScopeEntry> {
        let p = normalise_path(path.as_ref());
        self.set
            .matches(&p)
            .into_iter()
            .min()
            .map(|i| &self.entries[i])
    }

    pub fn entries(&self) -> &[ScopeEntry] {
        &self.entries
    }

    pub fn patterns(&self) -> Vec<&str> {
        self.entries.iter().map(|e| e.pattern.as_str()).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(patterns: &[&str]) -> (Scope, Vec<Diagnostic>) {
        let raw: Vec<_> = patterns
            .iter()
            .enumerate()
            .map(|(i, p)| (p.to_string(), i + 1))
            .collect();
        Scope::build(Path::new("p.md"), &raw)
    }

    #[test]
    fn matches_paths_globs_and_directories() {
        let (s, problems) = scope(&["src/a.rs", "web/*.ts", "docs/", "./tests/**/*.rs", "{path}"]);
        assert!(problems.is_empty());
        assert_eq!(
            s.patterns(),
            ["src/a.rs", "web/*.ts", "docs/**", "tests/**/*.rs"]
        );
        assert!(s.contains("src/a.rs"));
        assert!(s.contains("./src/a.rs"));
        assert!(!s.contains("src/b.rs"));
        assert!(s.contains("web/x.ts"));
        assert!(!s.contains("web/deep/x.ts"));
        assert!(s.contains("docs/a/b.md"));
        assert!(s.contains("tests/x/y.rs"));
        assert_eq!(s.matching_entry("docs/x").unwrap().line, 3);
        let root = Path::new("/repo");
        assert!(s.contains_path(root, Path::new("/repo/src/a.rs")));
        assert!(s.contains_path(root, Path::new("docs/x.md")));
        assert!(!s.contains_path(root, Path::new("/elsewhere/src/a.rs")));
        assert!(!s.contains_path(root, Path::new("docs/../secrets.txt")));
    }

    #[test]
    fn invalid_globs_are_located() {
        let (s, problems) = scope(&["ok.rs", "src/[a.rs"]);
        assert_eq!(s.patterns(), ["ok.rs"]);
        assert_eq!(problems[0].code, Code::InvalidScope);
        assert_eq!(problems[0].span.as_ref().unwrap().line, 2);
    }
}
