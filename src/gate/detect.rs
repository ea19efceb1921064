//! The gates a project gets when neither `harness.toml` nor an agent names
//! any: found from the files at the project root.
//!
//! - `Cargo.toml`: `cargo fmt --check`, `cargo clippy --all-targets -- -D
//!   warnings`, `cargo test`.
//! - `pyproject.toml`, `setup.py` or `setup.cfg`: `ruff check`, then `mypy`
//!   when the project configures it or else `ty check`, then `pytest`.
//! - `package.json`: its `lint`, `typecheck` and `test` scripts, run with the
//!   package manager its lock file names; `tsc --noEmit` when it has no
//!   type-check script but a `tsconfig.json`.
//!
//! - `go.mod`: `go vet ./...` and `go test ./...`.
//!
//! Each gate says why it was chosen, which `harness-agents gate list` shows.

use std::path::Path;

use super::spec::{GateKind, GateSpec, Origin};

/// npm writes this `test` script into every new `package.json`.
const NPM_PLACEHOLDER_TEST: &str = "no test specified";

/// The gates detected for the project at `root`, from its work tree, in a
/// stable order.
pub fn detect(root: &Path) -> Vec<GateSpec> {
    detect_in(root, &|rel| std::fs::read(root.join(rel)).ok())
}

/// The gates detected from the project files `read` returns (a path
/// relative to the project root to its bytes; `None` when there is no such
/// file), each run at `root`. CI reads them as of the base commit, so the
/// branch under test cannot choose its own gates.
pub fn detect_in(root: &Path, read: &dyn Fn(&str) -> Option<Vec<u8>>) -> Vec<GateSpec> {
    let files = Files { root, read };
    let mut gates = Vec::new();
    rust(&files, &mut gates);
    python(&files, &mut gates);
    node(&files, &mut gates);
    go(&files, &mut gates);
    gates
}

fn go(files: &Files, out: &mut Vec<GateSpec>) {
    let root = files.root;
    if !files.has("go.mod") {
        return;
    }
    let why = || "go.mod: a Go module".to_string();
    out.push(gate(
        root,
        "go-vet",
        GateKind::Lint,
        "go vet ./...",
        "go.mod",
        why(),
    ));
    out.push(gate(
        root,
        "go-test",
        GateKind::Test,
        "go test ./...",
        "go.mod",
        why(),
    ));
}

/// The project's files as detection reads them.
struct Files<'a> {
    root: &'a Path,
    read: &'a dyn Fn(&str) -> Option<Vec<u8>>,
}

impl Files<'_> {
    fn has(&self, file: &str) -> bool {
        (self.read)(file).is_some()
    }

    fn text(&self, file: &str) -> Option<String> {
        String::from_utf8((self.read)(file)?).ok()
    }
}

fn gate(
    root: &Path,
    name: &str,
    kind: GateKind,
    command: &str,
    marker: &str,
    reason: String,
) -> GateSpec {
    let mut spec = GateSpec::shell(
        name,
        command,
        root.to_path_buf(),
        Origin::Detected {
            marker: marker.into(),
            reason,
        },
    );
    spec.kind = kind;
    spec
}

fn rust(files: &Files, out: &mut Vec<GateSpec>) {
    let root = files.root;
    if !files.has("Cargo.toml") {
        return;
    }
    let why = || "Cargo.toml: a Rust project".to_string();
    out.push(gate(
        root,
        "cargo-fmt",
        GateKind::Format,
        "cargo fmt --check",
        "Cargo.toml",
        why(),
    ));
    out.push(gate(
        root,
        "cargo-clippy",
        GateKind::Lint,
        "cargo clippy --all-targets -- -D warnings",
        "Cargo.toml",
        why(),
    ));
    out.push(gate(
        root,
        "cargo-test",
        GateKind::Test,
        "cargo test",
        "Cargo.toml",
        why(),
    ));
}

fn python(files: &Files, out: &mut Vec<GateSpec>) {
    let root = files.root;
    let Some(marker) = ["pyproject.toml", "setup.py", "setup.cfg"]
        .into_iter()
        .find(|m| files.has(m))
    else {
        return;
    };
    let why = || format!("{marker}: a Python project");
    out.push(gate(
        root,
        "ruff",
        GateKind::Lint,
        "ruff check .",
        marker,
        why(),
    ));
    match mypy_config(files) {
        Some(config) => out.push(gate(
            root,
            "mypy",
            GateKind::Typecheck,
            "mypy .",
            marker,
            format!("mypy is configured in {config}"),
        )),
        None => out.push(gate(
            root,
            "ty",
            GateKind::Typecheck,
            "ty check .",
            marker,
            why(),
        )),
    }
    out.push(gate(
        root,
        "pytest",
        GateKind::Test,
        "pytest",
        marker,
        why(),
    ));
}

/// The file that configures mypy, if one does.
fn mypy_config(files: &Files) -> Option<&'static str> {
    if files.has("mypy.ini") {
        return Some("mypy.ini");
    }
    if files.has(".mypy.ini") {
        return Some(".mypy.ini");
    }
    if files
        .text("pyproject.toml")
        .is_some_and(|t| t.contains("[tool.mypy"))
    {
        return Some("pyproject.toml");
    }
    if files.text("setup.cfg").is_some_and(|t| t.contains("[mypy")) {
        return Some("setup.cfg");
    }
    None
}

fn node(files: &Files, out: &mut Vec<GateSpec>) {
    let root = files.root;
    let Some(text) = files.text("package.json") else {
        return;
    };
    // A package.json that does not parse gets no script gates: the package
    // manager will report it better than a guess would.
    let scripts: serde_json::Map<String, serde_json::Value> =
        match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(serde_json::Value::Object(mut o)) => match o.remove("scripts") {
                Some(serde_json::Value::Object(s)) => s,
                _ => serde_json::Map::new(),
            },
            _ => return,
        };
    let script = |name: &str| scripts.get(name).and_then(|v| v.as_str());
    let pm = package_manager(files);
    let run = |s: &str| match pm {
        "yarn" => format!("yarn {s}"),
        _ => format!("{pm} run {s}"),
    };
    let has = |s: &str| format!("package.json has a `{s}` script");
    if script("lint").is_some() {
        out.push(gate(
            root,
            &format!("{pm}-lint"),
            GateKind::Lint,
            &run("lint"),
            "package.json",
            has("lint"),
        ));
    }
    if let Some(s) = ["typecheck", "type-check", "tsc"]
        .into_iter()
        .find(|s| script(s).is_some())
    {
        out.push(gate(
            root,
            &format!("{pm}-typecheck"),
            GateKind::Typecheck,
            &run(s),
            "package.json",
            has(s),
        ));
    } else if files.has("tsconfig.json") {
        out.push(gate(
            root,
            "tsc",
            GateKind::Typecheck,
            "npx tsc --noEmit",
            "tsconfig.json",
            "tsconfig.json and no type-check script".into(),
        ));
    }
    if script("test").is_some_and(|s| !s.contains(NPM_PLACEHOLDER_TEST)) {
        let command = match pm {
            "npm" | "pnpm" | "yarn" => format!("{pm} test"),
            _ => run("test"),
        };
        out.push(gate(
            root,
            &format!("{pm}-test"),
            GateKind::Test,
            &command,
            "package.json",
            has("test"),
        ));
    }
}

/// The package manager a Node project uses, from its lock file.
fn package_manager(files: &Files) -> &'static str {
    [
        ("pnpm-lock.yaml", "pnpm"),
        ("yarn.lock", "yarn"),
        ("bun.lockb", "bun"),
        ("bun.lock", "bun"),
    ]
    .into_iter()
    .find(|(lock, _)| files.has(lock))
    .map_or("npm", |(_, pm)| pm)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names_and_commands(root: &Path) -> Vec<(String, String)> {
        detect(root)
            .into_iter()
            .map(|g| (g.name, g.command.to_string()))
            .collect()
    }

    fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        dir
    }

    #[test]
    fn node_uses_scripts_lock_file_and_tsconfig() {
        let dir = project(&[
            (
                "package.json",
                r#"{"scripts":{"lint":"eslint .","test":"vitest run"}}"#,
            ),
            ("pnpm-lock.yaml", ""),
            ("tsconfig.json", "{}"),
        ]);
        assert_eq!(
            names_and_commands(dir.path()),
            [
                ("pnpm-lint".to_string(), "pnpm run lint".to_string()),
                ("tsc".into(), "npx tsc --noEmit".into()),
                ("pnpm-test".into(), "pnpm test".into()),
            ]
        );
    }

    #[test]
    fn npm_placeholder_test_script_is_not_a_gate() {
        let dir = project(&[(
            "package.json",
            r#"{"scripts":{"test":"echo \"Error: no test specified\" && exit 1"}}"#,
        )]);
        assert!(detect(dir.path()).is_empty());
    }

    #[test]
    fn python_prefers_mypy_when_configured() {
        let dir = project(&[("setup.cfg", "[mypy]\nstrict = True\n")]);
        let gates = detect(dir.path());
        assert_eq!(gates[1].name, "mypy");
        assert_eq!(
            gates[1].origin.to_string(),
            "detected: mypy is configured in setup.cfg"
        );
    }
}
