//! Command-line tests: the real binary on real files, output compared
//! exactly. Each case is `tests/cmd/NAME.toml`, run in the `.in` directory it
//! names. Refresh expected output with `TRYCMD=overwrite cargo test --test cli`.

#[test]
fn cli_cases() {
    trycmd::TestCases::new().case("tests/cmd/*.toml");
}

use std::path::Path;
use std::process::Command;

fn harness(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_harness"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("the harness binary runs")
}

#[test]
fn init_installs_the_shipped_agents_and_never_clobbers() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    let out = harness(dir.path(), &["init"]);
    assert_eq!(out.status.code(), Some(0));
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("agents/realtime-dev.md");
    let installed = dir.path().join("agents/realtime-dev.md");
    assert_eq!(
        std::fs::read(&installed).unwrap(),
        std::fs::read(&shipped).unwrap()
    );
    assert!(dir.path().join("harness.toml").is_file());

    // A user's edit survives a second `init`, and `--force` replaces it.
    std::fs::write(&installed, "mine").unwrap();
    let out = harness(dir.path(), &["init"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&installed).unwrap(), "mine");
    let out = harness(dir.path(), &["init", "--force"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        std::fs::read(&installed).unwrap(),
        std::fs::read(&shipped).unwrap()
    );

    // What init installs validates cleanly (skills aside) and lists both agents.
    let out = harness(dir.path(), &["agents", "list", "--format", "json"]);
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["realtime-dev", "realtime-engineer"]);
    let out = harness(dir.path(), &["agents", "validate"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn the_shipped_developer_agent_carries_the_seed_policy() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = harness(
        root,
        &["agents", "explain", "realtime-dev", "--format", "json"],
    );
    assert_eq!(out.status.code(), Some(0));
    let policy: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
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
    assert!(of("protect_path", "glob").contains(&"tests/**".to_string()));
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

    let out = harness(
        root,
        &["agents", "show", "realtime-engineer", "--format", "json"],
    );
    let def: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(def["permission_mode"], "plan");
    assert_eq!(def["model"], "inherit");
    assert_eq!(def["skills"].as_array().unwrap().len(), 3);
    let template = def["body"]["plan_template"]["text"].as_str().unwrap();
    assert!(template.contains("PLAN_APPROVED: pending"));
    assert!(template.contains("### Files to Change"));
    assert!(template.contains("```yaml realtime"));
}
