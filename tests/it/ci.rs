//! `harness-agents ci` and `harness-agents commits check` judge a branch by the policy of
//! its base: each attack a branch could make on its own policy, next to a
//! harmless twin that must still pass.

use crate::commits::DEV_AGENT;
use crate::common::{Repo, assert_contains};

const OTHER_AGENT: &str = "---\nname: other-dev\ndescription: Builds what its tasks say.\ntools: Read, Edit, Write\n---\n\n# Other\n";

/// The rule ids each commit broke, newest first.
fn rules(v: &serde_json::Value) -> Vec<(String, Vec<String>)> {
    v["commits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let rules = c["violations"].as_array().unwrap().iter();
            (
                c["subject"].as_str().unwrap().to_string(),
                rules
                    .map(|x| x["rule"].as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect()
}

/// `commits check --base BASE --format json`, with its exit code.
fn check(repo: &Repo, base: &str, code: i32) -> serde_json::Value {
    repo.harness(["commits", "check", "--base", base, "--format", "json"])
        .assert(code)
        .json()
}

fn owned(list: &[(&str, &[&str])]) -> Vec<(String, Vec<String>)> {
    list.iter()
        .map(|(s, r)| (s.to_string(), r.iter().map(|x| x.to_string()).collect()))
        .collect()
}

/// A repository whose main branch holds `realtime-dev` (tests protected),
/// `other-dev`, and `config` as harness.toml; a branch `topic` checked out.
fn project(config: &str) -> (Repo, String) {
    let repo = Repo::new();
    let base = repo.commit(
        &[
            ("agents/realtime-dev.md", DEV_AGENT),
            ("agents/other-dev.md", OTHER_AGENT),
            ("harness.toml", config),
            ("tests/t.rs", "#[test] fn t() {}\n"),
        ],
        "chore: agents",
    );
    repo.git(&["checkout", "-q", "-b", "topic"]);
    (repo, base)
}

#[test]
fn gates_come_from_the_base_not_the_branch() {
    let strict = "[gates.strict]\ncommand = \"exit 3\"\n";
    let (repo, base) = project(strict);
    // The branch weakens the gate; the base's still runs.
    repo.commit(
        &[("harness.toml", "[gates.strict]\ncommand = \"true\"\n")],
        "chore: relax the gate",
    );
    let out = repo.harness(["ci", "--base", &base]).assert(1);
    assert_contains(&out.stdout, "gate strict: `exit 3` failed (exit 3)\n");
    assert_contains(
        &out.stdout,
        &format!("ok      policy   read from base {base}: harness.toml, 2 agent(s)\n"),
    );

    // Twin: the base's gate passes, and a branch that breaks its own copy
    // of it does not matter either.
    let (repo, base) = project("[gates.fine]\ncommand = \"true\"\n");
    repo.commit(
        &[("harness.toml", "[gates.fine]\ncommand = \"exit 3\"\n")],
        "chore: touch the gate",
    );
    let out = repo.harness(["ci", "--base", &base]).assert(0);
    assert_contains(&out.stdout, "ok      gates    1 gate(s) passed\n");
}

/// The names of the gates `harness-agents ci --base BASE` ran.
fn gates_run(repo: &Repo, base: &str) -> Vec<String> {
    let v = repo
        .harness(["ci", "--base", base, "--format", "json"])
        .run()
        .json();
    v["gates"]["gates"]
        .as_array()
        .map(|g| {
            g.iter()
                .map(|g| g["name"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn with_no_gates_configured_the_base_files_choose_them() {
    let (repo, _) = project("");
    // The base is a Python project; harness.toml names no gates.
    let base = repo.commit(
        &[("pyproject.toml", "[project]\nname = \"x\"\n")],
        "chore: python",
    );
    let python = ["ruff", "ty", "pytest"];
    // Twin: a branch that leaves the project files alone runs the same.
    repo.commit(&[("src/lib.py", "x = 1\n")], "feat: code");
    assert_eq!(gates_run(&repo, &base), python);
    // The branch removes the file detection reads and adds a project with
    // a script that always passes: the base's gates still run, the
    // branch's do not.
    repo.git(&["rm", "-q", "pyproject.toml"]);
    repo.commit(
        &[("package.json", "{\"scripts\": {\"test\": \"true\"}}\n")],
        "chore: switch to node",
    );
    assert_eq!(gates_run(&repo, &base), python);
}

#[test]
fn a_damaged_base_file_stops_ci_instead_of_dropping_its_gates() {
    let (repo, _) = project("");
    let base = repo.commit(
        &[("pyproject.toml", "[project]\nname = \"x\"\n")],
        "chore: python",
    );
    repo.commit(&[("src/lib.py", "x = 1\n")], "feat: code");
    // The object store is edited so that the base's pyproject.toml reads
    // as another file, one that names no project detection knows.
    let id = repo.git(&["rev-parse", &format!("{base}:pyproject.toml")]);
    std::fs::write(repo.path("other.txt"), "not a project\n").unwrap();
    let other = repo.git(&["hash-object", "-w", "other.txt"]);
    std::fs::remove_file(repo.path("other.txt")).unwrap();
    let object = |id: &str| {
        let id = id.trim();
        repo.path(&format!(".git/objects/{}/{}", &id[..2], &id[2..]))
    };
    let target = object(&id);
    let mut perms = std::fs::metadata(&target).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&target, perms).unwrap();
    std::fs::copy(object(&other), &target).unwrap();
    let out = repo.harness(["ci", "--base", &base]).assert(2);
    assert_contains(&out.stderr, "does not match its id");
    assert_contains(&out.stderr, "pyproject.toml");
    // Missing altogether (a clone made without it), it stops ci too.
    std::fs::remove_file(&target).unwrap();
    let out = repo.harness(["ci", "--base", &base]).assert(2);
    assert_contains(&out.stderr, "`pyproject.toml` (");
    assert_contains(&out.stderr, "is not in this clone");
}

#[test]
fn a_branch_cannot_unprotect_paths_or_rewrite_its_agent() {
    let config = "[policy]\ndefault = \"realtime-dev\"\n\n[guard]\nprotected_paths = [\"migrations/**\"]\n\n[commits]\nissue_references = true\n";
    let (repo, base) = project(config);
    repo.commit(
        &[
            ("harness.toml", "[guard]\nprotected_paths = []\n"),
            (
                "agents/realtime-dev.md",
                &DEV_AGENT.replace("Do NOT modify test files", "Modify anything"),
            ),
        ],
        "chore: loosen the rules\n\nRefs: #1\nAgent: other-dev",
    );
    repo.commit(
        &[("migrations/1.sql", "drop table users;")],
        "fix: a migration\n\nRefs: #1\nAgent: other-dev",
    );
    repo.commit(
        &[("tests/t.rs", "#[test] fn t() { assert!(true) }\n")],
        "fix: a test\n\nRefs: #1\nAgent: realtime-dev",
    );
    // Twin: the same agent's ordinary work.
    repo.commit(
        &[("src/ws.rs", "fn main() {}\n")],
        "feat: the socket\n\nRefs: #1\nAgent: realtime-dev",
    );
    let v = check(&repo, &base, 1);
    assert_eq!(
        rules(&v),
        owned(&[
            ("feat: the socket", &[]),
            ("fix: a test", &["agent-protected-path"]),
            ("fix: a migration", &["agent-protected-path"]),
            ("chore: loosen the rules", &[]),
        ])
    );
    assert_eq!(
        v["commits"][2]["violations"][0]["message"],
        format!("agent `other-dev` may not change `migrations/**` ({base}:harness.toml:5)")
    );
    assert_eq!(v["policy"]["config"], true);
}

#[test]
fn a_commit_without_a_trailer_is_held_to_the_default_agent() {
    let config = "[policy]\ndefault = \"realtime-dev\"\n\n[commits]\nissue_references = true\n";
    let (repo, base) = project(config);
    let tests = repo.commit(
        &[("tests/t.rs", "#[test] fn t() { assert!(true) }\n")],
        "fix: tidy a test\n\nRefs: #1",
    );
    // A header that skips the lint does not skip the scope check.
    repo.commit(
        &[("tests/u.rs", "#[test] fn u() {}\n")],
        "fixup! fix: tidy a test",
    );
    repo.commit(&[("src/a.rs", "// a\n")], "feat: a\n\nRefs: #1");
    repo.commit(&[("src/b.rs", "// b\n")], "fixup! feat: a");
    let v = check(&repo, &base, 1);
    assert_eq!(
        rules(&v),
        owned(&[
            ("fixup! feat: a", &[]),
            ("feat: a", &[]),
            ("fixup! fix: tidy a test", &["agent-protected-path"]),
            ("fix: tidy a test", &["agent-protected-path"]),
        ])
    );
    assert_eq!(v["commits"][3]["agent"], "realtime-dev");
    assert_eq!(v["commits"][3]["default_agent"], true);
    let text = repo
        .harness(["commits", "check", "--base", &base])
        .run()
        .stdout;
    assert_contains(
        &text,
        &format!(
            "{tests} fix: tidy a test\n  error[agent-protected-path]: agent `realtime-dev` may not change `**/tests/**` (agents/realtime-dev.md:9)\n"
        ),
    );

    // With no default agent, a commit without a trailer answers only to
    // the project's rules.
    let (repo, base) = project("");
    repo.commit(&[("tests/t.rs", "// edited\n")], "test: by a person");
    check(&repo, &base, 0);
}

#[test]
fn one_agent_per_commit_and_only_its_own_tasks() {
    let (repo, _) = project("[commits]\nissue_references = true\n");
    repo.git(&["checkout", "-q", "main"]);
    repo.write(
        "plans/0007-presence.md",
        "---\nid: 7\ntitle: \"Presence\"\nagent: \"realtime-engineer\"\nstatus: draft\n---\n## PLAN: Presence\n\n### Files to Change\n- `src/presence.rs`: the service\n\n### Tasks\n- [ ] Presence service @other-dev\n\nPLAN_APPROVED: pending\n",
    );
    repo.harness(["plan", "approve", "7", "--by", "Ana"])
        .assert(0);
    repo.git(&["add", "."]);
    let base = repo.commit(&[], "chore: plan 7");
    repo.git(&["checkout", "-q", "topic"]);
    repo.git(&["reset", "-q", "--hard", "main"]);
    repo.commit(
        &[("src/presence.rs", "// 1\n")],
        "feat: two names\n\nRefs: #1\nAgent: other-dev\nAgent: realtime-dev",
    );
    repo.commit(
        &[("src/presence.rs", "// 2\n")],
        "feat: not mine\n\nRefs: 0007-1\nAgent: realtime-dev",
    );
    repo.commit(
        &[("src/presence.rs", "// 3\n")],
        "feat: a plan not mine\n\nRefs: 0007\nAgent: realtime-dev",
    );
    // Twins: the owner, with one trailer.
    repo.commit(
        &[("src/presence.rs", "// 4\n")],
        "feat: mine\n\nRefs: 0007-1\nAgent: other-dev",
    );
    let v = check(&repo, &base, 1);
    assert_eq!(
        rules(&v),
        owned(&[
            ("feat: mine", &[]),
            ("feat: a plan not mine", &["agent-impersonation"]),
            ("feat: not mine", &["agent-impersonation"]),
            ("feat: two names", &["agent-multiple"]),
        ])
    );
    assert_eq!(
        v["commits"][2]["violations"][0]["message"],
        "task 0007-1 is `other-dev`'s work, not `realtime-dev`'s"
    );
}

const PLAN: &str = "---\nid: 7\ntitle: \"Presence\"\nagent: \"realtime-engineer\"\nstatus: draft\n---\n## PLAN: Presence\n\n### Files to Change\n- `src/presence.rs`: the service\n\n### Tasks\n- [ ] Presence service\n\nPLAN_APPROVED: pending\n";

#[test]
fn a_branch_cannot_approve_its_own_plan() {
    let repo = Repo::new();
    repo.write("plans/0007-presence.md", PLAN);
    let base = repo.commit(&[], "chore: a draft plan");
    repo.git(&["checkout", "-q", "-b", "topic"]);
    repo.harness(["plan", "approve", "7", "--by", "Ana"])
        .assert(0);
    repo.git(&["add", "."]);
    repo.commit(&[], "chore: approve it here");
    repo.commit(
        &[("src/presence.rs", "// p\n")],
        "feat: presence\n\nRefs: 0007",
    );
    let v = check(&repo, &base, 1);
    assert_eq!(
        v["commits"][0]["violations"][0]["message"],
        "plan `0007` is not approved: approved on this branch; needs approval recorded on the base branch"
    );
    // The same approval, once the base records it, counts.
    let approved = repo.head();
    let v = check(&repo, &format!("{approved}~1"), 0);
    assert_eq!(v["checked"], 1);
}

#[test]
fn a_branch_cannot_roll_its_plan_back_past_a_rejection() {
    let repo = Repo::new();
    repo.write("plans/0007-presence.md", PLAN);
    repo.harness(["plan", "approve", "7", "--by", "Ana"])
        .assert(0);
    repo.git(&["add", "."]);
    let approved = repo.commit(&[], "chore: approve");
    let text = repo.read("plans/0007-presence.md");
    repo.harness(["plan", "reject", "7", "--by", "Ana", "--reason", "no"])
        .assert(0);
    repo.git(&["add", "."]);
    let base = repo.commit(&[], "chore: reject");
    repo.git(&["checkout", "-q", "-b", "topic"]);
    repo.commit(&[("plans/0007-presence.md", &text)], "chore: bring it back");
    repo.commit(
        &[("src/presence.rs", "// p\n")],
        "feat: presence\n\nRefs: 0007",
    );
    let v = check(&repo, &base, 1);
    assert_eq!(
        v["commits"][0]["violations"][0]["message"],
        "plan `0007` is not approved: its approval chain does not extend the base branch's; records were changed or dropped"
    );
    // Twin: on a branch from the approval itself, the plan is approved.
    repo.git(&["checkout", "-q", "-b", "early", &approved]);
    repo.commit(
        &[("src/presence.rs", "// p\n")],
        "feat: presence\n\nRefs: 0007",
    );
    check(&repo, &approved, 0);
}

/// A topic branch with a side branch merged into it; `evil` is written in
/// the merge itself.
fn merged(evil: Option<(&str, &str)>) -> (Repo, String) {
    let config = "[policy]\ndefault = \"realtime-dev\"\n\n[commits]\nissue_references = true\n";
    let (repo, base) = project(config);
    repo.commit(&[("src/a.rs", "// a\n")], "feat: a\n\nRefs: #1");
    repo.git(&["checkout", "-q", "-b", "side"]);
    repo.commit(&[("src/b.rs", "// b\n")], "feat: b\n\nRefs: #1");
    repo.git(&["checkout", "-q", "topic"]);
    repo.commit(&[("src/c.rs", "// c\n")], "feat: c\n\nRefs: #1");
    repo.git(&["merge", "-q", "--no-ff", "--no-commit", "side"]);
    if let Some((path, text)) = evil {
        repo.write(path, text);
        repo.git(&["add", path]);
    }
    repo.git(&["commit", "-q", "-m", "Merge branch 'side' into topic"]);
    (repo, base)
}

#[test]
fn a_merge_is_checked_by_its_resolution() {
    let (repo, base) = merged(Some(("tests/t.rs", "// no more tests\n")));
    let v = check(&repo, &base, 1);
    assert_eq!(v["commits"][0]["ignored"], "merge");
    assert_eq!(
        v["commits"][0]["violations"][0]["rule"],
        "agent-protected-path"
    );
    assert_eq!(v["commits"][0]["violations"][0]["part"], "tests/t.rs");
    // First parent only: the merge answers for all it brought.
    let out = repo
        .harness([
            "commits",
            "check",
            "--base",
            &base,
            "--first-parent",
            "--format",
            "json",
        ])
        .assert(1);
    assert_eq!(out.json()["checked"], 3);

    // Twin: a clean merge; what the side branch brought is its own
    // commits' business.
    let (repo, base) = merged(None);
    let v = check(&repo, &base, 0);
    assert_eq!(v["checked"], 4);
}

#[test]
fn bare_check_on_the_default_branch_says_how_to_give_a_range() {
    let repo = Repo::new();
    repo.commit(&[("a", "1")], "chore: start");
    let out = repo.harness(["commits", "check"]).assert(0);
    assert_eq!(
        out.stdout,
        "note: nothing to check: `HEAD` is where the range starts (merge base with main); name the commits, e.g. `harness-agents commits check main~3..HEAD` or `--base REV`\nok: 0 commit(s) in merge base with main..HEAD: 0 failed, 0 ignored\n"
    );
}
