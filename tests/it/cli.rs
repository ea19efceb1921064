//! Command-line tests: the real binary on real files, output compared
//! exactly. Each case is `tests/cmd/NAME.toml`, run in the `.in` directory it
//! names. Refresh expected output with `TRYCMD=overwrite cargo test --test it cli`.

use crate::common::{Repo, clean_wrapper, harness, manifest_dir};

#[test]
fn cli_cases() {
    let bin = tempfile::tempdir().unwrap();
    trycmd::TestCases::new()
        .register_bin("harness", clean_wrapper(bin.path()))
        .case(manifest_dir().join("tests/cmd/*.toml"))
        .run();
}

#[test]
fn init_installs_the_shipped_agents_and_never_clobbers() {
    let repo = Repo::new();
    repo.harness(["init"]).assert(0);
    let shipped = manifest_dir().join("agents/realtime-dev.md");
    let installed = repo.path("agents/realtime-dev.md");
    assert_eq!(
        std::fs::read(&installed).unwrap(),
        std::fs::read(&shipped).unwrap()
    );
    assert!(repo.path("harness.toml").is_file());

    // A user's edit survives a second `init`, and `--force` replaces it.
    std::fs::write(&installed, "mine").unwrap();
    repo.harness(["init"]).assert(0);
    assert_eq!(std::fs::read_to_string(&installed).unwrap(), "mine");
    repo.harness(["init", "--force"]).assert(0);
    assert_eq!(
        std::fs::read(&installed).unwrap(),
        std::fs::read(&shipped).unwrap()
    );

    // What init installs validates cleanly, skills included, and lists both
    // agents.
    let list = repo
        .harness(["agents", "list", "--format", "json"])
        .assert(0)
        .json();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["realtime-dev", "realtime-engineer"]);
    let run = repo.harness(["agents", "validate"]).assert(0);
    assert!(!run.stdout.contains("skill"), "{}", run.stdout);
    repo.harness(["skills", "validate"]).assert(0);
}

#[test]
fn validate_reads_named_files_directories_and_refuses_missing_paths() {
    let repo = Repo::new();
    let agent =
        |name: &str| format!("---\nname: {name}\ndescription: Reviews code.\n---\n\n# {name}\n");
    repo.write("a.md", &agent("alpha"));
    // A directory whose name ends in `.md` is a directory all the same.
    repo.write("more.md/b.md", &agent("beta"));
    repo.write("more.md/c.md", &agent("gamma"));

    let run = repo.harness(["agents", "validate", "a.md"]).assert(0);
    assert_eq!(run.stdout, "ok: 1 file checked, 0 errors\n");
    let run = repo
        .harness(["agents", "validate", "a.md", "more.md"])
        .assert(0);
    assert_eq!(run.stdout, "ok: 3 files checked, 0 errors\n");

    // A missing file stops the check before anything is reported, wherever
    // it stands in the list.
    for args in [["a.md", "nope.md"], ["nope.md", "a.md"]] {
        let run = repo
            .harness(["agents", "validate", args[0], args[1]])
            .assert(2);
        assert_eq!(run.stdout, "");
        assert!(
            run.stderr.contains("error: `nope.md` does not exist"),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn validate_colours_its_diagnostics_only_when_asked() {
    let repo = Repo::new();
    repo.write(
        "a.md",
        "---\nname: alpha\ndescription: Reviews code.\ncolor: magenta\n---\n\n# alpha\n",
    );
    let plain = repo.harness(["agents", "validate", "a.md"]).assert(0);
    assert!(
        plain.stdout.starts_with(
            "a.md:4:8: warning: `magenta` is not one of Claude Code's agent colours\n"
        ),
        "{}",
        plain.stdout
    );
    assert!(!plain.stdout.contains('\u{1b}'), "{}", plain.stdout);
    let coloured = repo
        .harness(["--color", "always", "agents", "validate", "a.md"])
        .assert(0);
    assert!(coloured.stdout.contains("\u{1b}["), "{}", coloured.stdout);
    // The same text once the colour is taken out.
    let stripped = anstream::adapter::strip_str(&coloured.stdout).to_string();
    assert_eq!(stripped, plain.stdout);
}

#[test]
fn init_fits_the_shipped_agents_gates_to_the_stack_it_finds() {
    // A Rust workspace: the developer agent's Python and Node gates give way
    // to cargo's, with the line of harness.toml that says so.
    let repo = Repo::new();
    repo.write("Cargo.toml", "[workspace]\nmembers = [\"crates/*\"]\n");
    let run = repo.harness(["init", "--format", "json"]).assert(0).json();
    let gates: Vec<&str> = run["stack"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["gate"].as_str().unwrap())
        .collect();
    assert_eq!(gates, ["cargo-fmt", "cargo-clippy", "cargo-test"]);
    let config = repo.read("harness.toml");
    let line = config
        .lines()
        .position(|l| l == "[policy.agents.realtime-dev]")
        .unwrap()
        + 1;
    let list = repo
        .harness([
            "gate",
            "list",
            "--agent",
            "realtime-dev",
            "--format",
            "json",
        ])
        .assert(0)
        .json();
    let listed: Vec<(&str, &str)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["name"].as_str().unwrap(), g["command"].as_str().unwrap()))
        .collect();
    assert_eq!(
        listed,
        [
            ("cargo-fmt", "cargo fmt --check"),
            ("cargo-clippy", "cargo clippy --all-targets -- -D warnings"),
            ("cargo-test", "cargo test"),
        ]
    );
    assert_eq!(
        list[0]["origin"]["provenance"]["line"].as_u64(),
        Some(line as u64),
        "{list}"
    );

    // A Go module gets go's gates; a directory with no stack gets none, and
    // the agents keep the gates their definitions list.
    let go = Repo::new();
    go.write("go.mod", "module example.com/x\n\ngo 1.22\n");
    go.harness(["init"]).assert(0);
    assert!(
        go.read("harness.toml")
            .contains("[gates.go-test]\ncommand = \"go test ./...\"")
    );
    let bare = Repo::new();
    bare.harness(["init"]).assert(0);
    // Where init found no stack, validate names the gates that cannot fit.
    let run = bare.harness(["agents", "validate"]).assert(0);
    assert!(run.stdout.contains(
        "agents/realtime-dev.md:45:1: warning: gate `ruff check .` runs `ruff`, a Python tool, but the project has no pyproject.toml"
    ), "{}", run.stdout);
    assert!(!bare.read("harness.toml").contains("\n[policy.agents."));
    let list = bare
        .harness([
            "gate",
            "list",
            "--agent",
            "realtime-dev",
            "--format",
            "json",
        ])
        .assert(0)
        .json();
    assert_eq!(list[0]["name"], "ruff-check");
}

#[test]
fn init_warns_when_git_would_ignore_what_it_keeps() {
    let repo = Repo::new();
    // Twin: an ordinary .gitignore says nothing.
    repo.write(".gitignore", "target/\n*.log\n");
    let r = repo.harness(["init"]).assert(0);
    assert_eq!(r.stderr, "");

    // Patterns that catch harness.toml and plan records.
    repo.write(".gitignore", "*.toml\nplans/*/\n");
    let r = repo.harness(["init", "--format", "json"]).assert(0);
    assert!(r.json()["files"].is_array());
    let warning = |path: &str| {
        format!(
            "warning: git ignores `{path}`: it would never be committed, so CI and the team would not see it\n  = hint: `git check-ignore -v {path}` names the pattern; remove it from `.gitignore` or add `!{path}`\n"
        )
    };
    assert_eq!(
        r.stderr,
        [
            warning("harness.toml"),
            warning("plans/0001/tasks/0001-1.toml"),
            warning("plans/0001/approved/sha256-0.md"),
        ]
        .concat()
    );
}

#[test]
fn the_shipped_developer_agent_carries_the_seed_policy() {
    let policy = harness(["agents", "explain", "realtime-dev", "--format", "json"])
        .current_dir(manifest_dir())
        .assert(0)
        .json();
    let rules = policy["rules"].as_array().unwrap();
    let of = |kind: &str, key: &str| -> Vec<String> {
        rules
            .iter()
            .filter(|r| r["kind"] == kind)
            .map(|r| r[key].as_str().unwrap_or_default().to_string())
            .collect()
    };
    assert_eq!(of("deny_tool", "tool"), ["WebSearch", "WebFetch"]);
    assert_eq!(of("allow_tool", "tool").len(), 10);
    assert_eq!(
        of("commit_type", "commit_type"),
        ["feat", "fix", "refactor"]
    );
    assert!(of("protect_path", "glob").contains(&"**/tests/**".to_string()));
    assert_eq!(of("require_approved_plan", "source_text").len(), 1);
    assert_eq!(of("commit_reference", "source_text").len(), 1);
    assert_eq!(
        of("gate", "command"),
        [
            "ruff check .",
            "ty check .",
            "pytest",
            "npm run lint && npm test"
        ]
    );

    let def = harness(["agents", "show", "realtime-engineer", "--format", "json"])
        .current_dir(manifest_dir())
        .run()
        .json();
    assert_eq!(def["permission_mode"], "plan");
    assert_eq!(def["model"], "inherit");
    assert_eq!(def["skills"].as_array().unwrap().len(), 3);
    let template = def["body"]["plan_template"]["text"].as_str().unwrap();
    assert!(template.contains("PLAN_APPROVED: pending"));
    assert!(template.contains("### Files to Change"));
    assert!(template.contains("```yaml realtime"));
}

/// What the process's start guarantees, whichever entry point it has:
/// closed standard descriptors are opened on `/dev/null` (so no file the
/// command opens takes their place), and a write to a closed pipe is an
/// error (exit 2), not death by `SIGPIPE`.
#[cfg(target_os = "linux")]
#[test]
fn the_process_starts_with_its_standard_descriptors_and_survives_a_closed_pipe() {
    use std::io::Write as _;
    use std::os::unix::process::ExitStatusExt as _;
    let repo = Repo::new();
    repo.harness(["init"]).assert(0);

    // Standard output closed: while the guard waits for its event, its
    // descriptor 1 is `/dev/null`.
    let mut guard = std::process::Command::new("sh")
        .args(["-c", "exec \"$0\" guard >&-", crate::common::BIN])
        .current_dir(repo.path(""))
        .env("CLAUDE_PROJECT_DIR", repo.path(""))
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let fd1 = format!("/proc/{}/fd/1", guard.id());
    let exe = format!("/proc/{}/exe", guard.id());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let seen = loop {
        let started = std::fs::read_link(&exe)
            .is_ok_and(|p| p.file_name() == std::path::Path::new(crate::common::BIN).file_name());
        let target = std::fs::read_link(&fd1).ok();
        if started && target.as_deref() == Some(std::path::Path::new("/dev/null")) {
            break target;
        }
        if std::time::Instant::now() > deadline {
            break target;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    let mut stdin = guard.stdin.take().unwrap();
    stdin.write_all(b"{}").unwrap();
    drop(stdin);
    assert_eq!(guard.wait().unwrap().code(), Some(2));
    assert_eq!(seen.as_deref(), Some(std::path::Path::new("/dev/null")));

    // A reader that has gone: the write fails, and the process exits.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let status = std::process::Command::new(crate::common::BIN)
        .args(["agents", "list"])
        .current_dir(repo.path(""))
        .stdout(writer)
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.signal(), None, "killed by a signal: {status:?}");
    assert_eq!(status.code(), Some(2));
}
