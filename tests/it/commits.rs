//! `harness-agents commits` and `harness-agents ci` on real repositories in temporary
//! directories; branches, merges and hooks go through the `git` command line.

use std::fs;
use std::path::PathBuf;

use crate::common::{Repo, assert_contains, assert_starts_with};

/// The rule ids of each commit, newest first.
fn rules(v: &serde_json::Value) -> Vec<(String, Vec<String>)> {
    v["commits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["subject"].as_str().unwrap().to_string(),
                c["violations"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x["rule"].as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect()
}

pub const DEV_AGENT: &str = "---\nname: realtime-dev\ndescription: Builds real-time features from approved plans.\ntools: Read, Edit, Write\n---\n\n## Constraints\n\n- Do NOT modify test files under any circumstances.\n\n## Commit Conventions\n\n- `feat: x`\n- `fix: y`\n- `refactor: z`\n\nEvery commit message must reference the task or plan it implements.\n";

#[test]
fn check_reports_each_failing_commit_with_rule_and_part() {
    let repo = Repo::new();
    let base = repo.commit(&[("a", "1")], "chore: start");
    let bad = repo.commit(&[("b", "1")], "feature: add b.");
    repo.commit(&[("c", "1")], "fix(c): add c");
    let out = repo
        .harness(["commits", "check", "--base", &base])
        .assert(1);
    assert_eq!(
        out.stdout,
        format!(
            "{bad} feature: add b.\n  error[subject-full-stop]: the description must not end with a full stop\n    | feature: add b.\n  error[type-enum]: `feature` is not an allowed type (build, chore, ci, docs, feat, fix, perf, refactor, revert, style, test)\n    | feature\n    = hint: did you mean `feat`?\nfailed: 2 commit(s) in {base}..HEAD: 1 failed, 0 ignored\n"
        )
    );
    let out = repo
        .harness([
            "commits",
            "check",
            &format!("{bad}..HEAD"),
            "--format",
            "json",
        ])
        .assert(0);
    let v = out.json();
    assert_eq!(v["checked"], 1);
    assert_eq!(v["commits"][0]["ok"], true);
}

#[test]
fn default_base_is_the_merge_base_with_the_default_branch() {
    let repo = Repo::new();
    repo.commit(&[("a", "1")], "not conventional on main");
    repo.git(&["checkout", "-q", "-b", "topic"]);
    repo.commit(&[("b", "1")], "feat: on the topic branch");
    let out = repo
        .harness(["commits", "check", "--format", "json"])
        .assert(0);
    let v = out.json();
    assert_eq!(v["range"], "merge base with main..HEAD");
    assert_eq!(v["checked"], 1);
}

#[test]
fn merges_are_ignored_and_first_parent_skips_the_branch() {
    let repo = Repo::new();
    let base = repo.commit(&[("a", "1")], "chore: start");
    repo.git(&["checkout", "-q", "-b", "side"]);
    repo.commit(&[("s", "1")], "bad side commit");
    repo.git(&["checkout", "-q", "main"]);
    repo.commit(&[("m", "1")], "feat: on main");
    repo.git(&[
        "merge",
        "-q",
        "--no-ff",
        "-m",
        "Merge branch 'side'",
        "side",
    ]);
    let all = repo
        .harness(["commits", "check", "--base", &base, "--format", "json"])
        .run()
        .json();
    assert_eq!(all["checked"], 3);
    assert_eq!(all["ignored"], 1);
    assert_eq!(all["failed"], 1);
    assert_eq!(all["commits"][0]["ignored"], "merge");
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
        .assert(0);
    assert_eq!(out.json()["checked"], 2);
}

#[test]
fn references_required_by_config_and_issue_references() {
    let repo = Repo::new();
    repo.write(
        "harness.toml",
        "[commits]\nrequire_reference = true\nissue_references = true\n",
    );
    let base = repo.commit(&[], "chore: start");
    repo.commit(&[("a", "1")], "feat: no reference");
    repo.commit(&[("b", "1")], "feat: an issue\n\nRefs: #12");
    repo.commit(&[("c", "1")], "feat: an unknown plan\n\nRefs: 0042-1");
    repo.commit(&[("d", "1")], "feat: not a reference\n\nRefs: soon");
    let out = repo
        .harness(["commits", "check", "--base", &base, "--format", "json"])
        .assert(1);
    assert_eq!(
        rules(&out.json()),
        [
            (
                "feat: not a reference".to_string(),
                vec!["reference-invalid".to_string(), "references-empty".into()]
            ),
            (
                "feat: an unknown plan".into(),
                vec!["reference-unknown".into()]
            ),
            ("feat: an issue".into(), vec![]),
            ("feat: no reference".into(), vec!["references-empty".into()]),
        ]
    );
}

#[test]
fn an_agent_is_held_to_its_types_and_protected_paths() {
    let repo = Repo::new();
    repo.write("agents/realtime-dev.md", DEV_AGENT);
    repo.write("harness.toml", "[commits]\nissue_references = true\n");
    let base = repo.commit(
        &[
            ("agents/realtime-dev.md", DEV_AGENT),
            ("harness.toml", "[commits]\nissue_references = true\n"),
        ],
        "chore: add the agent",
    );
    repo.commit(
        &[("src/ws.rs", "fn main() {}")],
        "feat: socket handler\n\nRefs: #1\nAgent: realtime-dev",
    );
    let touched = repo.commit(
        &[("tests/ws.rs", "#[test] fn t() {}")],
        "fix: adjust a test\n\nRefs: #1\nAgent: realtime-dev",
    );
    repo.commit(&[], "docs: notes\n\nRefs: #1\nAgent: realtime-dev");
    repo.commit(&[], "feat: no reference\n\nAgent: realtime-dev");
    repo.commit(&[], "feat: who\n\nRefs: #1\nAgent: realtime-devv");
    let out = repo
        .harness(["commits", "check", "--base", &base, "--format", "json"])
        .assert(1);
    let v = out.json();
    assert_eq!(
        rules(&v),
        [
            ("feat: who".to_string(), vec!["agent-unknown".to_string()]),
            ("feat: no reference".into(), vec!["references-empty".into()]),
            ("docs: notes".into(), vec!["agent-type".into()]),
            (
                "fix: adjust a test".into(),
                vec!["agent-protected-path".into()]
            ),
            ("feat: socket handler".into(), vec![]),
        ]
    );
    assert_eq!(v["commits"][4]["agent"], "realtime-dev");
    assert_eq!(
        v["commits"][0]["violations"][0]["hint"],
        "did you mean `realtime-dev`?"
    );
    let text = repo
        .harness(["commits", "check", "--base", &base])
        .run()
        .stdout;
    assert_contains(
        &text,
        &format!(
            "{touched} fix: adjust a test\n  error[agent-protected-path]: agent `realtime-dev` may not change `**/tests/**` (agents/realtime-dev.md:9)\n    | tests/ws.rs\n"
        ),
    );
}

#[test]
fn lint_msg_strips_comments_and_reads_stdin() {
    let repo = Repo::new();
    repo.write(
        "MSG",
        "feat: a message\n# Please enter the commit message\n\nbody\n# ------------------------ >8 ------------------------\ndiff --git a b\n",
    );
    let out = repo.harness(["commits", "lint-msg", "MSG"]).assert(0);
    assert_eq!(out.stdout, "");
    repo.write("BAD", "fix:no space\n");
    let out = repo.harness(["commits", "lint-msg", "BAD"]).assert(1);
    assert_eq!(
        out.stdout,
        "commit message: fix:no space\n  error[subject-separator]: the type must be followed by `: ` (a colon and one space)\n    | fix:no \n  error[subject-empty]: the subject must not be empty\n    | fix:no space\n  error[type-empty]: the type must not be empty\n    | fix:no space\n"
    );
    repo.harness(["commits", "lint-msg", "missing-file"])
        .assert(2);
}

/// Warnings are shown and do not fail, in a message and in a range.
#[test]
fn warnings_print_but_do_not_fail() {
    let repo = Repo::new();
    repo.write(
        "MSG",
        "feat: x\n\nbreaking change: lower case is body text\n",
    );
    let out = repo.harness(["commits", "lint-msg", "MSG"]).assert(0);
    assert_eq!(
        out.stdout,
        "commit message: feat: x\n  warning[breaking-change-uppercase]: `BREAKING CHANGE` is upper case; in any other case it is not a breaking change\n    | breaking change: lower case is body text\n"
    );
    let base = repo.commit(&[("a", "1")], "chore: start");
    let warned = repo.commit(
        &[("b", "1")],
        "feat: x\n\nbreaking change: lower case is body text",
    );
    let out = repo
        .harness(["commits", "check", "--base", &base])
        .assert(0);
    assert_eq!(
        out.stdout,
        format!(
            "{} feat: x\n  warning[breaking-change-uppercase]: `BREAKING CHANGE` is upper case; in any other case it is not a breaking change\n    | breaking change: lower case is body text\nok: 1 commit(s) in {base}..HEAD: 0 failed, 1 with warnings, 0 ignored\n",
            &warned[..7]
        )
    );
    let v = repo
        .harness(["commits", "check", "--base", &base, "--format", "json"])
        .assert(0)
        .json();
    assert_eq!(v["warned"], 1);
    assert_eq!(v["commits"][0]["violations"][0]["level"], "warning");
}

#[test]
fn hook_install_is_idempotent_never_clobbers_and_guards_commits() {
    let repo = Repo::new();
    let hook: PathBuf = repo.path(".git/hooks/commit-msg");
    std::fs::create_dir_all(hook.parent().unwrap()).unwrap();
    std::fs::write(&hook, "#!/bin/sh\necho mine\n").unwrap();
    repo.harness(["commits", "hook", "install"]).assert(2);
    assert_eq!(
        std::fs::read_to_string(&hook).unwrap(),
        "#!/bin/sh\necho mine\n"
    );
    let out = repo
        .harness(["commits", "hook", "install", "--force"])
        .assert(0);
    assert_eq!(out.stdout, "updated .git/hooks/commit-msg\n");
    let out = repo.harness(["commits", "hook", "install"]).run();
    assert_starts_with(&out.stdout, "unchanged ");
    std::fs::remove_file(&hook).unwrap();
    let out = repo.harness(["commits", "hook", "install"]).run();
    assert_starts_with(&out.stdout, "created ");

    // The hook runs harness: a bad message is refused, a good one passes.
    let bad = repo.git_output(&["commit", "-q", "--allow-empty", "-m", "bad message"]);
    assert!(!bad.status.success());
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&bad.stdout),
        String::from_utf8_lossy(&bad.stderr)
    );
    assert_contains(&said, "error[header-format]");
    repo.git(&[
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "feat: a good message",
    ]);
    assert_eq!(repo.git(&["log", "--format=%s"]), "feat: a good message");
}

#[test]
fn ci_reports_every_step_and_github_annotations() {
    let repo = Repo::new();
    let base = repo.commit(&[("a", "1")], "chore: start");
    let bad = repo.commit(&[("b", "1")], "oops");
    repo.write("agents/broken.md", "---\nname: broken\n---\n");
    let summary = repo.path("summary.md");
    let out = repo
        .harness(["ci", "--no-gates", "--base", &base])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .assert(1);
    let text = out.stdout;
    assert_contains(
        &text,
        "failed  agents   1 agent(s) in 1 file(s), 1 error(s)\n",
    );
    assert_contains(&text, "failed  commits  1 commit(s) in");
    assert_contains(&text, "skipped gates    skipped (--no-gates)\n");
    assert_contains(&text, "::error file=agents/broken.md,line=");
    assert_contains(
        &text,
        &format!(
            "::error title=commit {bad} (header-format)::oops%0Athe header is not `type(scope): description`: oops\n"
        ),
    );
    let md = std::fs::read_to_string(&summary).unwrap();
    assert_starts_with(&md, "## harness-agents ci\n\n| step | status | summary |\n");
    assert_contains(&md, &format!("| `{bad}` | oops | `header-format` |"));
}

#[test]
fn init_ci_github_writes_a_workflow_once() {
    let repo = Repo::new();
    repo.harness(["init", "--ci", "github", "--harness-version", "0.1.0"])
        .assert(0);
    let wf = std::fs::read_to_string(repo.path(".github/workflows/harness.yml")).unwrap();
    assert_contains(&wf, "harness-agents ci");
    assert_contains(&wf, "fetch-depth: 0");
    std::fs::write(repo.path(".github/workflows/harness.yml"), "mine").unwrap();
    repo.harness(["init", "--ci", "github"]).assert(0);
    assert_eq!(
        std::fs::read_to_string(repo.path(".github/workflows/harness.yml")).unwrap(),
        "mine"
    );
}

fn plan_text(id: u32, title: &str) -> String {
    format!(
        "---\nid: {id}\ntitle: \"{title}\"\nagent: \"realtime-engineer\"\nstatus: draft\n---\n## PLAN: {title}\n\n### Context\nWhy.\n\n### Files to Change\n- `src/realtime/presence.rs`: the service\n- `web/src/hooks/` the hook\n\n### Tasks\n- [ ] Presence service\n- [ ] Client hook\n\nPLAN_APPROVED: pending\n"
    )
}

/// Approves plan `id` in the working tree, as a person would.
fn approve(repo: &Repo, id: u32) {
    repo.harness(["plan", "approve", &id.to_string(), "--by", "Ana"])
        .assert(0);
}

#[test]
fn the_plans_are_read_only_when_a_commit_names_one() {
    let repo = Repo::new();
    repo.write("plans/0007-presence.md", &plan_text(7, "Presence"));
    approve(&repo, 7);
    repo.git(&["add", "."]);
    let base = repo.commit(&[], "chore: plans");
    repo.commit(
        &[("plans/0008-typing.md", &plan_text(8, "Typing"))],
        "docs: plan typing",
    );
    let unnamed = repo.commit(&[], "feat: presence");
    let named = repo.commit(&[], "feat: presence\n\nRefs: 0007");
    let loose = |id: &str| repo.path(&format!(".git/objects/{}/{}", &id[..2], &id[2..]));
    let blob = repo.git(&["rev-parse", "HEAD:plans/0008-typing.md"]);

    // The text of the plan the branch added is edited in the object store:
    // what no commit names is not read, and what one names is refused.
    repo.write("other.txt", "other bytes\n");
    let other = repo.git(&["hash-object", "-w", "other.txt"]);
    let mut perms = fs::metadata(loose(&blob)).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    fs::set_permissions(loose(&blob), perms).unwrap();
    fs::copy(loose(&other), loose(&blob)).unwrap();
    repo.harness(["commits", "check", &format!("{base}..{unnamed}")])
        .assert(0);
    let out = repo
        .harness(["commits", "check", &format!("{base}..{named}")])
        .assert(2);
    assert_contains(&out.stderr, "does not match its id");

    // Plans no commit names are still held to what a read would refuse:
    // a file the clone lacks fails the range either way.
    fs::remove_file(loose(&blob)).unwrap();
    for tip in [&unnamed, &named] {
        let out = repo
            .harness(["commits", "check", &format!("{base}..{tip}")])
            .assert(2);
        assert_contains(&out.stderr, "is not in this clone");
    }
}

#[test]
fn the_base_s_plans_are_read_when_a_commit_names_one_and_must_be_whole() {
    let repo = Repo::new();
    repo.write("plans/0007-presence.md", &plan_text(7, "Presence"));
    repo.write("plans/0008-typing.md", &plan_text(8, "Typing"));
    approve(&repo, 7);
    repo.git(&["add", "."]);
    let base = repo.commit(&[], "chore: plans");
    let at_base = repo.git(&["rev-parse", "HEAD:plans/0008-typing.md"]);
    // The branch rewrites the draft, so its tip no longer holds the base's
    // text of it, which is then lost from the clone.
    repo.commit(
        &[("plans/0008-typing.md", &plan_text(8, "Typing indicators"))],
        "docs: retitle 0008",
    );
    let unnamed = repo.commit(&[], "feat: presence");
    let named = repo.commit(&[], "feat: presence\n\nRefs: 0007");
    repo.harness(["commits", "check", &format!("{base}..{named}")])
        .assert(0);
    fs::remove_file(repo.path(&format!(".git/objects/{}/{}", &at_base[..2], &at_base[2..])))
        .unwrap();
    // The base's approval records decide whether 0007 is approved: a
    // range that names it cannot be judged without them, and says why.
    let out = repo
        .harness(["commits", "check", &format!("{base}..{named}")])
        .assert(2);
    assert_contains(&out.stderr, "plans/0008-typing.md");
    assert_contains(&out.stderr, "is not in this clone");
    assert!(
        !out.stdout.contains("reference"),
        "no verdict: {}",
        out.stdout
    );
    // A range that names no plan does not need them.
    repo.harness(["commits", "check", &format!("{base}..{unnamed}")])
        .assert(0);
}

#[test]
fn references_must_name_approved_unchanged_plans_as_of_the_tip() {
    let repo = Repo::new();
    repo.write("harness.toml", "[commits]\nrequire_reference = true\n");
    repo.write("plans/0007-presence.md", &plan_text(7, "Presence"));
    repo.write("plans/0008-typing.md", &plan_text(8, "Typing"));
    repo.write("plans/0009-cursors.md", &plan_text(9, "Cursors"));
    approve(&repo, 7);
    approve(&repo, 9);
    repo.git(&["add", "."]);
    let base = repo.commit(&[], "chore: plans");
    // Plan 0009 is edited after its approval.
    let edited = std::fs::read_to_string(repo.path("plans/0009-cursors.md"))
        .unwrap()
        .replace("Why.", "Why, and more.");
    repo.commit(
        &[("plans/0009-cursors.md", &edited)],
        "docs: widen 0009\n\nRefs: 0007",
    );
    repo.commit(&[], "feat: presence\n\nRefs: 0007");
    repo.commit(&[], "feat: a task\n\nTask: 0007-2");
    repo.commit(&[], "feat: no such task\n\nTask: 0007-3");
    repo.commit(&[], "feat: a draft\n\nPlan: 0008");
    repo.commit(&[], "feat: changed\n\nRefs: 0009");
    repo.commit(&[], "feat: unknown\n\nRefs: 0042");
    repo.commit(&[], "feat: missing");
    let out = repo
        .harness(["commits", "check", "--base", &base, "--format", "json"])
        .assert(1);
    let expected: Vec<(String, Vec<String>)> = [
        ("feat: missing", "references-empty"),
        ("feat: unknown", "reference-unknown"),
        ("feat: changed", "reference-changed"),
        ("feat: a draft", "reference-unapproved"),
        ("feat: no such task", "reference-unknown"),
        ("feat: a task", ""),
        ("feat: presence", ""),
        ("docs: widen 0009", ""),
    ]
    .iter()
    .map(|(s, r)| {
        let rules = if r.is_empty() {
            vec![]
        } else {
            vec![r.to_string()]
        };
        (s.to_string(), rules)
    })
    .collect();
    assert_eq!(rules(&out.json()), expected);

    // The tip's plans count, not the working tree's: an uncommitted edit
    // of plan 0007 does not fail `check`, but the hook reads the working
    // tree and refuses a message naming it.
    let path = repo.path("plans/0007-presence.md");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("Why.", "Why not.")).unwrap();
    repo.harness(["commits", "check", "HEAD~6..HEAD~5", "--format", "json"])
        .assert(0);
    repo.write("MSG", "feat: presence\n\nRefs: 0007\n");
    let out = repo.harness(["commits", "lint-msg", "MSG"]).assert(1);
    assert_contains(
        &out.stdout,
        "error[reference-changed]: plan `0007` changed after it was approved",
    );

    // ci lists the referenced plans and fails the plans step.
    std::fs::write(&path, text).unwrap();
    let out = repo
        .harness(["ci", "--no-gates", "--base", &base])
        .assert(1);
    assert_contains(
        &out.stdout,
        "failed  plans    4 plan(s) referenced (0007, 0008, 0009, 0042); 4 commit(s) name a plan that is not approved and unchanged\n",
    );
}

/// A repository whose first commit (returned) holds the developer agent
/// and plan 0007, approved.
fn agent_and_approved_plan() -> (Repo, String) {
    let repo = Repo::new();
    let base = commit_agent_and_plan(&repo, ".", DEV_AGENT);
    (repo, base)
}

/// Writes `agent` as the developer agent and plan 0007 into the project
/// at `dir` of `repo` (`.` for its top), approves the plan, and commits
/// all the work tree holds; returns the commit.
fn commit_agent_and_plan(repo: &Repo, dir: &str, agent: &str) -> String {
    repo.write(&format!("{dir}/agents/realtime-dev.md"), agent);
    repo.write(
        &format!("{dir}/plans/0007-presence.md"),
        &plan_text(7, "Presence"),
    );
    repo.harness(["-C", dir, "plan", "approve", "7", "--by", "Ana"])
        .assert(0);
    repo.git(&["add", "."]);
    repo.commit(&[], "chore: agent and plan")
}

#[test]
fn an_agent_may_change_only_its_plans_files() {
    let (repo, base) = agent_and_approved_plan();
    repo.commit(
        &[
            ("src/realtime/presence.rs", "// in scope"),
            ("web/src/hooks/usePresence.ts", "// in scope"),
        ],
        "feat: presence\n\nRefs: 0007-1\nAgent: realtime-dev",
    );
    repo.commit(
        &[("src/other.rs", "// out of scope")],
        "fix: elsewhere\n\nRefs: 0007\nAgent: realtime-dev",
    );
    // A commit with no trailer that names the plan is held to its scope
    // too; one that names no plan is not.
    repo.commit(
        &[("src/other2.rs", "// no trailer")],
        "fix: no trailer\n\nRefs: 0007",
    );
    repo.commit(&[("src/other3.rs", "// no plan")], "fix: no plan named");
    let out = repo
        .harness(["commits", "check", "--base", &base, "--format", "json"])
        .assert(1);
    let v = out.json();
    assert_eq!(
        rules(&v),
        [
            ("fix: no plan named".to_string(), vec![]),
            ("fix: no trailer".into(), vec!["agent-outside-plan".into()]),
            (
                "fix: elsewhere".into(),
                vec!["agent-outside-plan".to_string()]
            ),
            ("feat: presence".into(), vec![]),
        ]
    );
    assert_eq!(v["commits"][2]["violations"][0]["part"], "src/other.rs");
    assert_eq!(
        v["commits"][1]["violations"][0]["message"],
        "this commit changed a file outside the plan's Files to Change"
    );
    let out = repo.harness(["ci", "--no-gates", "--base", &base]).run();
    assert_contains(
        &out.stdout,
        "failed  scope    4 commit(s), 2 by agents, 2 out of scope\n",
    );
}

/// A project in a sub-directory of its repository reads its base's
/// policy and its tip's plans from that directory of each commit.
#[test]
fn a_project_in_a_subdirectory_is_judged_by_its_own_base_policy() {
    let repo = Repo::new();
    repo.write("svc/harness.toml", "[commits]\nrequire_reference = true\n");
    // Elsewhere in the repository, files by the same names that are no
    // part of the project.
    repo.write("agents/other.md", "---\nname: other\ndescription: d\n---\n");
    repo.write("plans/0008-other.md", &plan_text(8, "Other"));
    let base = commit_agent_and_plan(&repo, "svc", DEV_AGENT);
    repo.commit(
        &[("svc/src/realtime/presence.rs", "// in scope")],
        "feat: presence\n\nRefs: 0007-1\nAgent: realtime-dev",
    );
    repo.commit(
        &[("svc/src/other.rs", "// out of scope")],
        "fix: elsewhere\n\nRefs: 0007\nAgent: realtime-dev",
    );
    repo.commit(&[], "feat: other\n\nRefs: 0008");
    // An agent's commit stays in its project; a person's need not.
    repo.commit(
        &[("web/x.ts", "// another project")],
        "fix: web\n\nAgent: realtime-dev",
    );
    repo.commit(
        &[("web/z.ts", "// another project")],
        "fix: web for the plan\n\nRefs: 0007\nAgent: realtime-dev",
    );
    repo.commit(&[("web/y.ts", "// another project")], "fix: web by hand");
    let v = repo
        .harness([
            "-C", "svc", "commits", "check", "--base", &base, "--format", "json",
        ])
        .assert(1)
        .json();
    assert_eq!(v["policy"]["config"], true);
    assert_eq!(v["policy"]["agents"], 1);
    assert_eq!(
        rules(&v),
        [
            (
                "fix: web by hand".to_string(),
                vec!["references-empty".to_string()]
            ),
            (
                "fix: web for the plan".into(),
                vec!["agent-outside-project".into()]
            ),
            (
                "fix: web".into(),
                vec!["references-empty".into(), "agent-outside-project".into()]
            ),
            ("feat: other".into(), vec!["reference-unknown".into()]),
            ("fix: elsewhere".into(), vec!["agent-outside-plan".into()]),
            ("feat: presence".into(), vec![]),
        ]
    );
    // The commit-msg hook reads the staged paths the same way.
    repo.write("svc/src/realtime/presence.rs", "// in scope, again");
    repo.git(&["add", "svc/src/realtime/presence.rs"]);
    repo.write(
        "svc/MSG",
        "feat: more presence\n\nRefs: 0007-1\nAgent: realtime-dev\n",
    );
    repo.harness(["-C", "svc", "commits", "lint-msg", "MSG"])
        .assert(0);
    repo.write("svc/src/other.rs", "// out of scope, again");
    repo.git(&["add", "svc/src/other.rs"]);
    let out = repo
        .harness(["-C", "svc", "commits", "lint-msg", "MSG"])
        .assert(1);
    assert_contains(&out.stdout, "agent-outside-plan");
}

/// The base's agents judge commits by their definitions, however they
/// validate: one whose skills the base requires but does not have is
/// still the agent its commits are held to, never an unknown one.
#[test]
fn a_base_agent_with_unresolved_skills_still_holds_its_commits() {
    let repo = Repo::new();
    repo.write("harness.toml", "[skills]\nrequire = true\n");
    let agent = DEV_AGENT.replacen("tools:", "skills: [gone]\ntools:", 1);
    let base = commit_agent_and_plan(&repo, ".", &agent);
    let out = repo.harness(["agents", "validate"]).assert(1);
    assert_contains(&out.stdout, "is not found");
    repo.commit(
        &[("src/other.rs", "// out of scope")],
        "fix: elsewhere\n\nRefs: 0007\nAgent: realtime-dev",
    );
    let v = repo
        .harness(["commits", "check", "--base", &base, "--format", "json"])
        .assert(1)
        .json();
    assert_eq!(v["policy"]["agents"], 1);
    assert_eq!(
        rules(&v),
        [(
            "fix: elsewhere".to_string(),
            vec!["agent-outside-plan".to_string()]
        )]
    );
}

/// The base's policy and the tip's plans are read into memory, never
/// written out: with nowhere to write a temporary file the range is
/// judged all the same, by the agent and the approval the base records,
/// and nothing a process could change on the disk between the read and
/// the check takes part.
#[test]
fn the_base_policy_is_read_without_writing_anything() {
    let (repo, base) = agent_and_approved_plan();
    repo.commit(
        &[("src/realtime/presence.rs", "// in scope")],
        "feat: presence\n\nRefs: 0007-1\nAgent: realtime-dev",
    );
    repo.commit(
        &[("src/other.rs", "// out of scope")],
        "fix: elsewhere\n\nRefs: 0007\nAgent: realtime-dev",
    );
    // A file where the temporary directory should be: nothing can be
    // created under it.
    let nowhere = repo.path("not-a-directory");
    std::fs::write(&nowhere, "").unwrap();
    let v = repo
        .harness(["commits", "check", "--base", &base, "--format", "json"])
        .env("TMPDIR", &nowhere)
        .assert(1)
        .json();
    assert_eq!(v["policy"]["agents"], 1);
    assert_eq!(
        rules(&v),
        [
            (
                "fix: elsewhere".to_string(),
                vec!["agent-outside-plan".to_string()]
            ),
            ("feat: presence".into(), vec![]),
        ]
    );
}

#[test]
fn ci_runs_the_quality_gates_unless_told_not_to() {
    let repo = Repo::new();
    let config = "[gates.ok]\ncommand = \"true\"\n\n[gates.broken]\ncommand = \"exit 3\"\n";
    repo.write("harness.toml", config);
    let base = repo.commit(&[("harness.toml", config)], "chore: gates");
    repo.commit(&[("a", "1")], "feat: a");
    let out = repo.harness(["ci", "--base", &base]).assert(1);
    let text = out.stdout;
    assert_contains(&text, "gate broken: `exit 3` failed (exit 3)\n");
    assert_contains(&text, "failed  gates    1 of 2 gate(s) failed: broken\n");
    assert_contains(&text, "ok      commits  1 commit(s) in");
    let out = repo
        .harness(["ci", "--base", &base, "--no-gates", "--format", "json"])
        .assert(0);
    let v = out.json();
    assert_eq!(v["ok"], true);
    assert_eq!(v["gates"], serde_json::Value::Null);
    assert_eq!(v["steps"][5]["name"], "gates");
    assert_eq!(v["steps"][5]["status"], "skipped");
}

#[test]
fn the_walk_lists_what_git_rev_list_lists() {
    let repo = Repo::new();
    let base = repo.commit(&[("a", "0")], "chore: root");
    // Two branches merged twice, with commits dated out of order.
    for i in 0..3 {
        repo.git(&["checkout", "-q", "-b", &format!("side{i}")]);
        repo.commit(&[(&format!("s{i}"), "1")], &format!("feat: side {i}"));
        repo.commit(&[(&format!("t{i}"), "1")], &format!("fix: side {i}"));
        repo.git(&["checkout", "-q", "main"]);
        repo.commit(&[(&format!("m{i}"), "1")], &format!("feat: main {i}"));
        repo.git(&[
            "-c",
            "user.name=A",
            "-c",
            "user.email=a@example.com",
            "merge",
            "-q",
            "--no-ff",
            "-m",
            &format!("Merge branch 'side{i}'"),
            &format!("side{i}"),
        ]);
    }
    let shas = |args: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = repo.harness(args).run().json()["commits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["sha"].as_str().unwrap().to_string())
            .collect();
        v.sort();
        v
    };
    let git = |args: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = repo.git(args).lines().map(str::to_string).collect();
        v.sort();
        v
    };
    let mid = repo.git(&["rev-parse", "HEAD~1"]);
    for (harness_args, git_args) in [
        (
            vec![
                "commits",
                "check",
                "--base",
                base.as_str(),
                "--format",
                "json",
            ],
            vec!["rev-list", &format!("{base}..HEAD")],
        ),
        (
            vec![
                "commits",
                "check",
                "--base",
                &base,
                "--first-parent",
                "--format",
                "json",
            ],
            vec!["rev-list", "--first-parent", &format!("{base}..HEAD")],
        ),
        (
            vec!["commits", "check", "--base", &mid, "--format", "json"],
            vec!["rev-list", &format!("{mid}..HEAD")],
        ),
    ]
    .iter()
    .map(|(h, g)| {
        (
            h.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            g.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        )
    })
    .collect::<Vec<_>>()
    {
        let h: Vec<&str> = harness_args.iter().map(String::as_str).collect();
        let g: Vec<&str> = git_args.iter().map(String::as_str).collect();
        let expected = git(&g);
        assert!(!expected.is_empty());
        assert_eq!(shas(&h), expected, "{h:?}");
    }
}

#[test]
fn a_mapped_co_author_stands_for_its_agent() {
    let repo = Repo::new();
    let config = "[commits]\nissue_references = true\nco_authors = { \"rt@agents.example\" = \"realtime-dev\" }\n";
    let base = repo.commit(
        &[
            ("agents/realtime-dev.md", DEV_AGENT),
            ("harness.toml", config),
        ],
        "chore: agent",
    );
    repo.commit(
        &[("tests/t.rs", "// a test")],
        "fix: touch a test\n\nRefs: #1\nCo-authored-by: RT <rt@agents.example>",
    );
    repo.commit(
        &[("tests/u.rs", "// a test")],
        "test: by a person\n\nRefs: #1\nCo-authored-by: Bo <bo@example.com>",
    );
    let v = repo
        .harness(["commits", "check", "--base", &base, "--format", "json"])
        .run()
        .json();
    assert_eq!(
        rules(&v),
        [
            ("test: by a person".to_string(), vec![]),
            (
                "fix: touch a test".into(),
                vec!["agent-protected-path".to_string()]
            ),
        ]
    );
    assert_eq!(v["commits"][1]["agent"], "realtime-dev");
}

/// Lints `message` in `repo` and returns (exit code, stdout, stderr).
fn lint(repo: &Repo, message: &str) -> (i32, String, String) {
    let out = repo
        .harness(["commits", "lint-msg", "-"])
        .stdin(message)
        .run();
    (out.code, out.stdout, out.stderr)
}

#[test]
fn commitlint_config_in_each_form_gives_the_rules() {
    // Each form allows only `wip`: `wip:` passes and `feat:` fails, the
    // opposite of the defaults.
    let json = r#"{"rules": {"type-enum": [2, "always", ["wip"]]}}"#;
    let yaml = "rules:\n  type-enum: [2, always, [wip]]\n";
    for (file, text) in [
        (
            "package.json",
            format!(r#"{{"name": "x", "commitlint": {json}}}"#),
        ),
        (".commitlintrc", yaml.to_string()),
        (".commitlintrc", json.to_string()),
        (".commitlintrc.json", json.to_string()),
        (".commitlintrc.yaml", yaml.to_string()),
        (".commitlintrc.yml", yaml.to_string()),
    ] {
        let repo = Repo::new();
        repo.write(file, &text);
        let (code, out, _) = lint(&repo, "wip: start\n");
        assert_eq!((code, out.as_str()), (0, ""), "{file}");
        let (code, out, _) = lint(&repo, "feat: start\n");
        assert_eq!(code, 1, "{file}");
        assert_contains(
            &out,
            "error[type-enum]: `feat` is not an allowed type (wip)",
        );
    }
    // A package.json without the key is not a config: the defaults apply.
    let repo = Repo::new();
    repo.write("package.json", r#"{"name": "x"}"#);
    assert_eq!(lint(&repo, "feat: start\n").0, 0);
    // A `[commits]` section in harness.toml takes the config's place.
    let repo = Repo::new();
    repo.write(".commitlintrc.json", json);
    repo.write("harness.toml", "[commits]\npreset = \"spec\"\n");
    assert_eq!(lint(&repo, "feat: start\n").0, 0);
}

#[test]
fn commitlint_extends_config_conventional_and_warns_about_others() {
    let repo = Repo::new();
    // Without `extends`, commitlint has no rules beyond the specification.
    repo.write(".commitlintrc.json", "{}");
    assert_eq!(lint(&repo, "feat: add thing.\n").0, 0);
    repo.write(
        ".commitlintrc.json",
        r#"{"extends": ["@commitlint/config-conventional"]}"#,
    );
    let (code, out, _) = lint(&repo, "feat: add thing.\n");
    assert_eq!(code, 1);
    assert_contains(&out, "error[subject-full-stop]");
    repo.write(
        ".commitlintrc.json",
        "{\n  \"extends\": [\n    \"@commitlint/config-angular\"\n  ]\n}\n",
    );
    let (code, out, _) = lint(&repo, "feat: add thing.\n");
    assert_eq!(code, 0);
    assert_contains(
        &out,
        "warning[commitlint-config]: .commitlintrc.json:3: `extends: @commitlint/config-angular` is not supported",
    );
}

#[test]
fn commitlint_config_is_read_from_the_base_and_a_rule_off_changes_the_verdict() {
    let repo = Repo::new();
    repo.write(
        ".commitlintrc.yml",
        "extends:\n  - '@commitlint/config-conventional'\nrules:\n  subject-full-stop: [0]\n  scope-enum: [2, always, [api]]\n",
    );
    let base = repo.commit(&[("a", "1")], "chore: start");
    repo.commit(&[("b", "1")], "feat: add thing.");
    let out = repo
        .harness(["commits", "check", "--base", &base])
        .assert(0);
    assert_starts_with(
        &out.stdout,
        &format!(
            "warning: {base}:.commitlintrc.yml:5: rule `scope-enum` is not implemented by harness and is not checked\n"
        ),
    );
    let v = repo
        .harness(["commits", "check", "--base", &base, "--format", "json"])
        .assert(0)
        .json();
    assert_eq!(
        v["policy"]["commitlint"],
        format!("{base}:.commitlintrc.yml")
    );
    // A branch's own change to the config does not judge it: the base's does.
    repo.write(
        ".commitlintrc.yml",
        "extends:\n  - '@commitlint/config-conventional'\n",
    );
    repo.commit(&[("c", "1")], "feat: add more.");
    let out = repo
        .harness(["commits", "check", "--base", &base])
        .assert(0);
    assert_contains(&out.stdout, "ok: 2 commit(s)");
    let tip = repo.commit(&[("d", "1")], "chore: x");
    repo.commit(&[("e", "1")], "feat: add more.");
    let out = repo.harness(["commits", "check", "--base", &tip]).assert(1);
    assert_contains(&out.stdout, "error[subject-full-stop]");
}

fn has_node() -> bool {
    std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn commitlint_javascript_config_is_evaluated_with_node() {
    let repo = Repo::new();
    repo.write(
        "commitlint.config.js",
        "module.exports = {\n  extends: ['@commitlint/config-conventional'],\n  rules: { 'type-enum': [2, 'always', ['wip']] },\n};\n",
    );
    if !has_node() {
        // Without node the config cannot be read, and harness says why.
        let (code, _, err) = lint(&repo, "wip: start\n");
        assert_eq!(code, 2);
        assert_contains(&err, "`node` is not on PATH");
        eprintln!("node is not installed: the evaluation itself is not tested");
        return;
    }
    assert_eq!(lint(&repo, "wip: start\n").0, 0);
    assert_eq!(lint(&repo, "feat: start\n").0, 1);
    let repo = Repo::new();
    repo.write(
        "commitlint.config.mjs",
        "export default { rules: { 'header-max-length': [2, 'always', 10] } };\n",
    );
    assert_eq!(lint(&repo, "wip: start\n").0, 0);
    let (code, out, _) = lint(&repo, "feat: a longer header\n");
    assert_eq!(code, 1);
    assert_contains(&out, "error[header-max-length]");
    // A config that throws is named, with node's own reason.
    repo.write("commitlint.config.mjs", "throw new Error('boom');\n");
    let (code, _, err) = lint(&repo, "wip: start\n");
    assert_eq!(code, 2);
    assert_contains(&err, "`node` could not load `commitlint.config.mjs`");
    assert_contains(&err, "boom");

    // A base's JavaScript config is evaluated as the base has it, with the
    // base's `package.json` saying that `.js` is a module.
    let repo = Repo::new();
    repo.write("package.json", "{\"type\": \"module\"}\n");
    repo.write(
        "commitlint.config.js",
        "export default { rules: { 'type-enum': [2, 'always', ['wip']] } };\n",
    );
    repo.git(&["add", "."]);
    let base = repo.commit(&[], "wip: config");
    repo.write(
        "commitlint.config.js",
        "export default { rules: { 'type-enum': [2, 'always', ['feat']] } };\n",
    );
    repo.commit(&[("a", "1")], "feat: start");
    let v = repo
        .harness(["commits", "check", "--base", &base, "--format", "json"])
        .assert(1)
        .json();
    assert_eq!(
        v["policy"]["commitlint"],
        format!("{}:commitlint.config.js", &base[..7])
    );
    assert_eq!(
        rules(&v),
        [("feat: start".to_string(), vec!["type-enum".to_string()])]
    );
}

#[test]
fn a_commit_s_javascript_config_loads_nothing_from_above_its_private_directory() {
    if !has_node() {
        eprintln!("node is not installed: the evaluation itself is not tested");
        return;
    }
    a_commit_s_javascript_config_is_confined(None);
}

/// The same under a node that takes `--permission` (Node.js 22.13 and
/// later), which the machine's Node.js 20 refuses: `.ci/run` installs one
/// from the npm registry and names it in `HARNESS_NODE22`.
#[test]
#[ignore = "needs a node binary of Node.js 22.13 or newer named by HARNESS_NODE22 (.ci/run installs one)"]
fn a_commit_s_javascript_config_is_confined_under_node_22_s_permission_flag() {
    let node = std::env::var_os("HARNESS_NODE22")
        .map(std::path::PathBuf::from)
        .expect("HARNESS_NODE22 names a Node.js 22.13 or newer binary");
    let takes_the_flag = std::process::Command::new(&node)
        .args(["--permission", "-e", "0"])
        .output()
        .unwrap();
    assert!(
        takes_the_flag.status.success(),
        "{} takes --permission: {}",
        node.display(),
        String::from_utf8_lossy(&takes_the_flag.stderr)
    );
    let bin = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(&node, bin.path().join("node")).unwrap();
    a_commit_s_javascript_config_is_confined(Some(bin.path()));
}

/// A base's JavaScript config, evaluated by the `node` first on PATH
/// (`node_dir` put in front when given), can neither load a package
/// planted above its private directory, nor see the environment, read a
/// file, or reach anything over a socket.
fn a_commit_s_javascript_config_is_confined(node_dir: Option<&std::path::Path>) {
    let path = match node_dir {
        Some(dir) => format!("{}:{}", dir.display(), std::env::var("PATH").unwrap()),
        None => std::env::var("PATH").unwrap(),
    };
    // Another local user plants a package where node looks when a config
    // in a temporary directory asks for it: `node_modules` one level up.
    let tmp = tempfile::tempdir().unwrap();
    let planted = tmp.path().join("node_modules/planted");
    fs::create_dir_all(&planted).unwrap();
    fs::write(
        planted.join("index.js"),
        "module.exports = { rules: { 'type-enum': [2, 'always', ['feat']] } };\n",
    )
    .unwrap();
    let below = tmp.path().join("private");
    fs::create_dir(&below).unwrap();
    let found = std::process::Command::new("node")
        .args(["-e", "process.stdout.write(require.resolve('planted'))"])
        .env("PATH", &path)
        .current_dir(&below)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&found.stdout),
        planted.join("index.js").to_string_lossy(),
        "the plant is where node looks"
    );

    let repo = Repo::new();
    let check = |base: &str| {
        repo.harness(["commits", "check", "--base", base, "--format", "json"])
            .env("TMPDIR", tmp.path())
            .env("PATH", &path)
    };
    // A base holding `config`, and a `feat: start` after it; its base.
    let base_with = |config: &str, file: &str| {
        repo.write("commitlint.config.js", config);
        repo.git(&["add", "."]);
        let base = repo.commit(&[], "wip: config");
        repo.commit(&[(file, "1")], "feat: start");
        base
    };
    // The base's config allows `wip` alone, so `feat: start` fails it.
    let held_to_the_base = |v: &serde_json::Value, why: &str| {
        assert_eq!(
            rules(v),
            [("feat: start".to_string(), vec!["type-enum".to_string()])],
            "the base's own rules hold ({why})"
        );
    };
    let base = base_with(
        "let rules = { 'type-enum': [2, 'always', ['wip']] };\n\
         try { rules = require('planted').rules; } catch (e) { if (e.code !== 'ERR_ACCESS_DENIED') throw e; }\n\
         module.exports = { rules };\n",
        "a",
    );
    // Options in the environment that would let node read anything, or
    // look for packages in the plant's directory, are not passed on.
    let planted_dir = tmp.path().join("node_modules");
    for env in [
        None,
        Some(("NODE_OPTIONS", "--allow-fs-read=*".to_string())),
        Some(("NODE_PATH", planted_dir.to_string_lossy().into_owned())),
    ] {
        let mut run = check(&base);
        if let Some((key, value)) = &env {
            run = run.env(key, value);
        }
        held_to_the_base(&run.assert(1).json(), &format!("not the plant's, {env:?}"));
    }

    // The config sees no environment (in CI it holds tokens).
    let base = base_with(
        "module.exports = { rules: { 'type-enum': [2, 'always', [process.env.HARNESS_TEST_SECRET ? 'feat' : 'wip']] } };\n",
        "c",
    );
    held_to_the_base(
        &check(&base)
            .env("HARNESS_TEST_SECRET", "1")
            .assert(1)
            .json(),
        "no environment",
    );

    // A `node` the branch plants in the checkout is not the one that reads
    // the base's config, even where PATH names the working directory (`.`,
    // or an empty entry): it would answer with a config of no rules.
    let planted_node = repo.path("node");
    fs::write(&planted_node, "#!/bin/sh\necho '{\"rules\":{}}'\n").unwrap();
    fs::set_permissions(
        &planted_node,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    for dirs in [format!(".:{path}"), format!(":{path}")] {
        held_to_the_base(
            &check(&base).env("PATH", &dirs).assert(1).json(),
            &format!("not the checkout's node, PATH={dirs}"),
        );
    }
    fs::remove_file(&planted_node).unwrap();

    // Nor does it reach anything over the network (in CI, a cloud's
    // metadata service hands out credentials): a TCP connection and a
    // datagram to listeners this test holds would let `feat` in.
    let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    tcp.set_nonblocking(true).unwrap();
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.set_nonblocking(true).unwrap();
    let reached = "const reached = { rules: { 'type-enum': [2, 'always', ['feat']] } };\n\
         const refused = { rules: { 'type-enum': [2, 'always', ['wip']] } };\n";
    for (config, file) in [
        (
            format!(
                "{reached}module.exports = new Promise(done => {{\n\
                 try {{ const s = require('net').connect({}, '127.0.0.1', () => {{ s.write('x', () => {{ s.destroy(); done(reached); }}); }});\n\
                 s.on('error', () => done(refused)); }} catch (e) {{ done(refused); }} }});\n",
                tcp.local_addr().unwrap().port()
            ),
            "d",
        ),
        (
            format!(
                "{reached}module.exports = new Promise(done => {{\n\
                 try {{ const s = require('dgram').createSocket('udp4');\n\
                 s.on('error', () => done(refused));\n\
                 s.send('x', {}, '127.0.0.1', e => {{ done(e ? refused : reached); }}); }} catch (e) {{ done(refused); }} }});\n",
                udp.local_addr().unwrap().port()
            ),
            "e",
        ),
        (
            // Nor signal the check that waits on it (a stop would hang it).
            format!(
                "{reached}let signalled = false;\n\
                 try {{ signalled = process.kill(process.ppid, 0); }} catch (e) {{}}\n\
                 module.exports = signalled ? reached : refused;\n"
            ),
            "g",
        ),
    ] {
        let base = base_with(&config, file);
        held_to_the_base(
            &check(&base).assert(1).json(),
            &format!("no network, no signal, {file}"),
        );
    }
    assert!(tcp.accept().is_err(), "the config connected over TCP");
    assert!(udp.recv(&mut [0; 8]).is_err(), "the config sent a datagram");

    // A config that reads a file or starts a process is refused, and the
    // error says what a commit's config may not do.
    let base = base_with(
        "require('fs').readFileSync('/etc/hostname');\nmodule.exports = {};\n",
        "b",
    );
    let out = check(&base).assert(2);
    assert_contains(&out.stderr, "`node` could not load");
    assert_contains(
        &out.stderr,
        "may not load packages, read or write other files",
    );

    // A config that prints without end is stopped at 16 MiB, not held in
    // memory whole.
    let base = base_with(
        "process.stdout.write('x'.repeat(20 << 20));\nmodule.exports = {};\n",
        "h",
    );
    let out = check(&base).assert(2);
    assert_contains(&out.stderr, "it printed more than 16 MiB");

    // A config that says what a node without the permission model says is
    // reported as the config's failure, not as the machine's node.
    let base = base_with(
        "process.stderr.write('node: bad option: --permission\\n');\nprocess.exit(9);\n",
        "f",
    );
    let out = check(&base).assert(2);
    assert_contains(
        &out.stderr,
        &format!(
            "`node` could not load `{}:commitlint.config.js`: node: bad option: --permission",
            &base[..7]
        ),
    );
    assert!(!out.stderr.contains("install Node.js 20"), "{}", out.stderr);
}

#[test]
fn a_commit_s_javascript_config_needs_a_node_with_the_permission_model() {
    // A stand-in for a node older than 20, which knows neither permission
    // flag (none is installed here): it refuses them as node does.
    let bin = tempfile::tempdir().unwrap();
    let node = bin.path().join("node");
    fs::write(
        &node,
        "#!/bin/sh\nfor a; do case $a in *permission) echo \"node: bad option: $a\" >&2; exit 9;; esac; done\necho '{}'\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    fs::set_permissions(&node, fs::Permissions::from_mode(0o755)).unwrap();
    let repo = Repo::new();
    repo.write("commitlint.config.js", "module.exports = {};\n");
    repo.git(&["add", "."]);
    let base = repo.commit(&[], "chore: config");
    repo.commit(&[("a", "1")], "feat: start");
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap()
    );
    let out = repo
        .harness(["commits", "check", "--base", &base])
        .env("PATH", &path)
        .assert(2);
    assert_contains(
        &out.stderr,
        "this `node` has none; install Node.js 20 or newer",
    );
    // The working tree's own config needs no permission model.
    let out = repo
        .harness(["commits", "lint-msg", "-"])
        .env("PATH", &path)
        .stdin("feat: x\n")
        .assert(0);
    assert_eq!(out.stderr, "");
}

#[test]
fn a_javascript_config_that_never_finishes_is_stopped() {
    if !has_node() {
        eprintln!("node is not installed: the evaluation itself is not tested");
        return;
    }
    // One that loops would hold up every check that reads it (the working
    // tree's config runs through the same call).
    let repo = Repo::new();
    repo.write("commitlint.config.js", "for (;;) {}\n");
    repo.git(&["add", "."]);
    let base = repo.commit(&[], "chore: config");
    repo.commit(&[("a", "1")], "feat: start");
    let started = std::time::Instant::now();
    let out = repo
        .harness(["commits", "check", "--base", &base])
        .assert(2);
    assert_contains(&out.stderr, "did not finish reading");
    assert_contains(&out.stderr, "within 20 s, and was stopped");
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
}

#[test]
fn commitlint_javascript_config_without_node_is_an_error_that_says_why() {
    let repo = Repo::new();
    repo.write("commitlint.config.js", "module.exports = {};\n");
    let empty = tempfile::tempdir().unwrap();
    let out = repo
        .harness(["commits", "lint-msg", "-"])
        .env("PATH", empty.path())
        .stdin("feat: x\n")
        .assert(2);
    assert_contains(
        &out.stderr,
        "`commitlint.config.js` is JavaScript, which only `node` can read, and `node` is not on PATH",
    );
}

#[test]
fn broken_commitlint_json_is_a_located_error() {
    let repo = Repo::new();
    repo.write(".commitlintrc.json", "{\n  \"rules\": {,\n}\n");
    let (code, _, err) = lint(&repo, "feat: x\n");
    assert_eq!(code, 2);
    assert_starts_with(&err, ".commitlintrc.json:2:");
    assert_contains(&err, "invalid JSON");
    repo.write(".commitlintrc.json", "{\"rules\": {\"type-enum\": [7]}}");
    let (code, _, err) = lint(&repo, "feat: x\n");
    assert_eq!(code, 2);
    assert_contains(&err, "rule `type-enum`");
}

#[test]
fn commitlint_typescript_config_is_named_as_unreadable() {
    let repo = Repo::new();
    repo.write("commitlint.config.ts", "export default {};\n");
    let (code, _, err) = lint(&repo, "feat: x\n");
    assert_eq!(code, 2);
    assert_contains(
        &err,
        "`commitlint.config.ts` is TypeScript, which harness cannot evaluate",
    );
}

#[test]
fn ci_says_the_commit_rules_came_from_the_commitlint_config() {
    let repo = Repo::new();
    repo.write(
        ".commitlintrc.json",
        "{\n  \"rules\": {\n    \"scope-enum\": [2, \"always\", [\"api\"]]\n  }\n}\n",
    );
    let base = repo.commit(&[("a", "1")], "chore: start");
    repo.commit(&[("b", "1")], "feat: add b");
    let out = repo.harness(["ci", "--base", &base]).run();
    assert_contains(
        &out.stdout,
        &format!(
            "policy   read from base {base}: no harness.toml (defaults apply), commit rules from {base}:.commitlintrc.json (not followed: {base}:.commitlintrc.json:3: rule `scope-enum` is not implemented by harness and is not checked), 0 agent(s)\n"
        ),
    );
}

/// The commit-msg hook's command line (`commits lint-msg FILE`) skips the
/// command-line parser; any other spelling goes through it. Both must give
/// the same verdict, output and exit code, whether or not the message needs
/// the agent definitions or the staged paths.
#[test]
fn lint_msg_as_the_hook_runs_it_agrees_with_the_parsed_command() {
    let repo = Repo::new();
    repo.commit(
        &[
            ("agents/realtime-dev.md", DEV_AGENT),
            ("harness.toml", "[commits]\nissue_references = true\n"),
        ],
        "chore: add the agent",
    );
    repo.write("tests/ws.rs", "#[test] fn t() {}");
    repo.git(&["add", "tests/ws.rs"]);
    let messages = [
        ("ok", "feat: presence\n\nRefs: #1\n"),
        ("bad", "fix:no space\n"),
        ("no-ref", "feat: presence\n"),
        (
            "agent",
            "fix: adjust a test\n\nRefs: #1\nAgent: realtime-dev\n",
        ),
        ("unknown", "feat: who\n\nRefs: #1\nAgent: realtime-devv\n"),
        ("plan", "feat: presence\n\nRefs: 0007\n"),
    ];
    for (file, text) in messages {
        repo.write(file, text);
    }
    let cases = messages
        .iter()
        .map(|(file, text)| (*file, Some(*text)))
        .chain([("missing-file", None), ("-", None)]);
    let mut codes = Vec::new();
    for (file, text) in cases {
        let run = |args: &[&str]| {
            let mut h = repo.harness(args);
            if file == "-" {
                h = h.stdin(messages[3].1);
            }
            h.run()
        };
        let hook = run(&["commits", "lint-msg", file]);
        let parsed = run(&["commits", "lint-msg", "--format", "text", file]);
        assert_eq!(
            (hook.code, &hook.stdout, &hook.stderr),
            (parsed.code, &parsed.stdout, &parsed.stderr),
            "{file}: {text:?}"
        );
        codes.push((file, hook.code));
    }
    assert_eq!(
        codes,
        [
            ("ok", 0),
            ("bad", 1),
            ("no-ref", 0),
            ("agent", 1),
            ("unknown", 1),
            ("plan", 1),
            ("missing-file", 2),
            ("-", 1),
        ]
    );
}

#[test]
fn a_commit_read_before_the_base_reaches_it_is_not_checked() {
    let repo = Repo::new();
    repo.commit(&[("a", "0")], "chore: root");
    let g = repo.git2();
    let root = g.head().unwrap().peel_to_commit().unwrap();
    let tree = root.tree().unwrap();
    let commit = |parents: &[&git2::Commit], secs: i64, message: &str| {
        let who = git2::Signature::new("A", "a@example.com", &git2::Time::new(secs, 0)).unwrap();
        let id = g.commit(None, &who, &who, message, &tree, parents).unwrap();
        g.find_commit(id).unwrap()
    };
    // `x` is dated after both its children (a skewed clock): the walk from
    // the tip reads it, as a commit of the range, before the walk from the
    // base gets to it. It belongs to the base, so it is not checked.
    let x = commit(&[&root], 1_900_000_000, "not a conventional message");
    let base = commit(&[&x], 1_600_000_000, "chore: base");
    let tip = commit(&[&x], 1_700_000_000, "feat: tip");
    let range = format!("{}..{}", base.id(), tip.id());
    assert_eq!(repo.git(&["rev-list", &range]), tip.id().to_string());
    let out = repo
        .harness(["commits", "check", &range, "--format", "json"])
        .assert(0);
    let json = out.json();
    let shas: Vec<&str> = json["commits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["sha"].as_str().unwrap())
        .collect();
    assert_eq!(shas, [tip.id().to_string()]);
    // Without the base, `x` is in the range and fails.
    let out = repo
        .harness([
            "commits",
            "check",
            &tip.id().to_string(),
            "--base",
            &root.id().to_string(),
        ])
        .assert(1);
    assert_contains(&out.stdout, "not a conventional message");
}
