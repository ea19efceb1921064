//! The plan → approve → task lifecycle, run through the real binary in
//! temporary git repositories.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::common::{
    NOW, Repo, assert_contains, assert_ends_with, assert_starts_with, files_under,
};

/// A git repository with a planner agent, a dev agent whose gates are
/// `gates`, one commit, and nothing else.
fn repo_with_gates(gates: &[&str]) -> Repo {
    let repo = Repo::new();
    let gates: Vec<String> = gates.iter().map(|g| format!("{g:?}")).collect();
    repo.write(
        "agents/dev.md",
        &format!(
            "---\nname: dev\ndescription: Implements approved plans.\ntools: [Read, Write, Edit, Bash]\nharness:\n  gates: [{}]\n---\n# Dev\n",
            gates.join(", ")
        ),
    );
    repo.write(
        "agents/planner.md",
        "---\nname: planner\ndescription: Writes plans.\npermissionMode: plan\n---\n# Planner\n",
    );
    repo.commit_all("init");
    repo
}

/// The usual repository: the dev agent's gates need `src/chat.rs` and
/// exit with `GATE_EXIT`.
fn new_repo() -> Repo {
    repo_with_gates(&[
        "test -f src/chat.rs",
        "echo gate-output; exit ${GATE_EXIT:-0}",
    ])
}

/// Every file under `plans/`, with its contents, to prove nothing changed.
fn snapshot(repo: &Repo) -> BTreeMap<PathBuf, Vec<u8>> {
    files_under(&repo.path("plans"))
}

const PLAN_BODY: &str = "## PLAN: Chat room

### Context
Members chat in a room.

### Realtime Spec
```yaml realtime
transport: websocket
channels:
  - name: \"room:{id}\"
    events:
      - name: message
        schema: { text: string }
    publish: [member]
    subscribe: [member]
```

### Files to Change
- `src/chat.rs`: the service
- `src/chat/`: helpers

### Tasks
- [ ] Chat service @dev
- [ ] Helpers (after 1)

PLAN_APPROVED: pending
";

pub(super) const PLAN_PATH: &str = "plans/0001-chat-room.md";

/// A repository with plan 0001 written by `plan new` and filled in.
pub(super) fn with_plan() -> Repo {
    let repo = new_repo();
    let r = repo
        .harness(["plan", "new", "Chat room", "--agent", "planner"])
        .run();
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, "plans/0001-chat-room.md\n"),
        "{}",
        r.stderr
    );
    let text = repo.read(PLAN_PATH);
    let body_start = text.find("## PLAN").unwrap();
    repo.write(PLAN_PATH, &format!("{}{PLAN_BODY}", &text[..body_start]));
    repo
}

fn approved() -> Repo {
    let repo = with_plan();
    repo.harness(["plan", "approve", "1", "--by", "alice"])
        .assert(0);
    repo.commit_all("plan 1 approved");
    repo
}

#[test]
fn plan_new_numbers_plans_and_renders_the_template() {
    let repo = new_repo();
    let r = repo
        .harness(["plan", "new", "Chat room", "--agent", "planner"])
        .run();
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, "plans/0001-chat-room.md\n")
    );
    let r = repo
        .harness(["plan", "new", "Presence!", "--agent", "planner"])
        .run();
    assert_eq!((r.code, r.stdout.as_str()), (0, "plans/0002-presence.md\n"));
    let text = repo.read("plans/0002-presence.md");
    assert_starts_with(
        &text,
        &format!(
            "---\nid: 2\ntitle: \"Presence!\"\nagent: \"planner\"\nstatus: draft\ncreated: \"{NOW}\"\n---\n## PLAN: Presence!\n"
        ),
    );
    assert!(text.ends_with("PLAN_APPROVED: pending\n"));

    let r = repo.harness(["plan", "list"]).run();
    assert_eq!(
        r.stdout,
        "ID    STATE  TITLE      AGENT    DONE  PATH\n0001  draft  Chat room  planner  0/0   plans/0001-chat-room.md\n0002  draft  Presence!  planner  0/0   plans/0002-presence.md\n"
    );
    let r = repo.harness(["--format", "json", "plan", "list"]).run();
    let v = r.json();
    assert_eq!(v[1]["id"], 2);
    assert_eq!(v[1]["state"], "draft");
    // `7` and `0007` name the same plan.
    let a = repo
        .harness(["--format", "json", "plan", "show", "2"])
        .run();
    let b = repo
        .harness(["--format", "json", "plan", "show", "0002"])
        .run();
    assert_eq!(a.code, 0);
    assert_eq!(a.stdout, b.stdout);
    let v = a.json();
    assert_eq!(v["title"], "Presence!");
    assert_eq!(v["state"], "draft");
    assert_eq!(v["realtime"]["channels"][0]["name"], "room:{id}");
    assert_eq!(v["diagnostics"][0]["code"], "placeholders");
    assert_eq!(v["path"], "plans/0002-presence.md");
}

#[test]
fn an_agents_own_template_makes_a_fresh_plan_approvable_with_a_warning() {
    let repo = new_repo();
    repo.harness(["init"]).assert(0);
    let r = repo
        .harness([
            "plan",
            "new",
            "Presence channel",
            "--agent",
            "realtime-engineer",
        ])
        .run();
    assert_eq!(r.stdout, "plans/0001-presence-channel.md\n");
    let text = repo.read("plans/0001-presence-channel.md");
    assert_contains(&text, "\n## PLAN: Presence channel\n");
    assert_contains(&text, "```yaml realtime\ntransport: websocket\n");
    assert_contains(&text, "### Files to Change\n- `{path}`: {why}\n");
    let r = repo
        .harness(["plan", "approve", "1", "--by", "alice"])
        .assert(0);
    assert_starts_with(
        &r.stdout,
        "plans/0001-presence-channel.md:11:1: warning: the plan still holds 18 template placeholders such as `{The real-time behaviour being added, and why}`\n",
    );
}

#[test]
fn a_template_that_does_not_render_is_located_in_the_agent_file() {
    let repo = new_repo();
    repo.write(
        "agents/broken.md",
        "---\nname: broken\ndescription: Has a broken template.\n---\n# Broken\n\n## Plan\n\n```markdown\n## PLAN: {{ title\n\nPLAN_APPROVED: pending\n```\n",
    );
    let r = repo
        .harness(["plan", "new", "X", "--agent", "broken"])
        .assert(2);
    assert_starts_with(
        &r.stderr,
        "agents/broken.md:10:1: error: the plan template does not render: ",
    );
    assert!(!repo.path("plans").exists());
    let r = repo
        .harness(["plan", "new", "X", "--agent", "nobody"])
        .assert(2);
    assert_starts_with(&r.stderr, "error: no agent is called `nobody`\n");
}

#[test]
fn approval_binds_to_content_and_re_approval_chains() {
    let repo = with_plan();
    let r = repo
        .harness(["plan", "approve", "0001", "--by", "alice"])
        .assert(0);
    let text = repo.read(PLAN_PATH);
    let hash = text
        .lines()
        .find_map(|l| l.strip_prefix("    hash: "))
        .unwrap()
        .trim_matches('"')
        .to_string();
    assert_eq!(
        r.stdout,
        format!(
            "approved plan 0001 by alice ({}); approval chain: 1 record\ntasks: 2 (2 pending); `harness-agents task list --plan 0001` shows them\n",
            &hash[..19]
        )
    );
    assert!(text.contains("\nstatus: approved\n"));
    assert!(text.ends_with("\nPLAN_APPROVED: approved\n"));
    repo.harness(["plan", "check"]).assert(0);
    let r = repo.harness(["plan", "check", "1"]).run();
    assert_eq!(
        r.stdout,
        "ok   0001  approved (unsigned)  plans/0001-chat-room.md\n"
    );

    // One character changed: no longer approved, and the diff shows the line.
    repo.write(
        PLAN_PATH,
        &text.replace("Members chat in a room.", "Members chat in a room!"),
    );
    let r = repo.harness(["plan", "check", "1"]).assert(1);
    let line = text
        .lines()
        .position(|l| l == "Members chat in a room.")
        .unwrap()
        + 1;
    let expected_head = format!(
        "FAIL 0001  changed   plans/0001-chat-room.md\nplans/0001-chat-room.md:{line}:1: error: plan 0001 changed since alice approved it at {NOW}\n"
    );
    assert_starts_with(&r.stdout, &expected_head);
    assert_contains(
        &r.stdout,
        &format!(
            "--- plans/0001-chat-room.md (approved by alice at {NOW}, {})\n",
            &hash[..19]
        ),
    );
    assert_contains(
        &r.stdout,
        "\n ### Context\n-Members chat in a room.\n+Members chat in a room!\n \n",
    );
    let d = repo.harness(["plan", "diff", "1"]).assert(0);
    assert!(r.stdout.ends_with(&d.stdout), "{}\n{}", r.stdout, d.stdout);
    let r = repo
        .harness(["--format", "json", "plan", "check"])
        .assert(1);
    let v = r.json();
    assert_eq!(v["ok"], false);
    assert_eq!(v["plans"][0]["state"], "changed");
    assert_eq!(v["plans"][0]["diff"], d.stdout.as_str());
    assert_eq!(v["plans"][0]["problems"][0]["code"], "plan-changed");

    // Approving the change needs saying so; refusing changes nothing.
    let before = snapshot(&repo);
    let r = repo
        .harness(["plan", "approve", "1", "--by", "bob"])
        .assert(2);
    assert_eq!(
        r.stderr,
        format!(
            "plans/0001-chat-room.md:{line}:1: error: plan 0001 changed since alice approved it at {NOW}\n  = hint: review `harness-agents plan diff 0001`, then approve with --accept-changes\n"
        )
    );
    assert_eq!(snapshot(&repo), before);

    let r = repo
        .harness(["plan", "approve", "1", "--by", "bob", "--accept-changes"])
        .assert(0);
    assert_contains(&r.stdout, "approval chain: 2 records");
    repo.harness(["plan", "check"]).assert(0);
    let v = repo
        .harness(["--format", "json", "plan", "show", "1"])
        .run()
        .json();
    let chain = v["approvals"].as_array().unwrap();
    assert_eq!(chain.len(), 2);
    assert_eq!(chain[0]["by"], "alice");
    assert_eq!(chain[1]["by"], "bob");
    assert_eq!(chain[0]["hash"], hash.as_str());
    assert_eq!(chain[1]["prev_hash"], hash.as_str());
    assert_eq!(chain[1]["hash"], v["hash"]);
    assert_eq!(v["state"], "approved");
}

#[test]
fn bad_decisions_are_refused_and_change_nothing() {
    let repo = with_plan();
    let before = snapshot(&repo);
    let r = repo
        .harness(["plan", "approve", "1", "--by", "dev"])
        .assert(2);
    assert_eq!(
        r.stderr,
        "error: `dev` is an agent; plans are approved and rejected by people\n  = hint: pass your own name: `--by NAME`\n"
    );
    let r = repo
        .harness(["plan", "approve", "1", "--by", "Planner"])
        .assert(2);
    assert_starts_with(&r.stderr, "error: `Planner` is an agent");
    let r = repo
        .harness(["plan", "approve", "9", "--by", "alice"])
        .assert(2);
    assert_eq!(
        r.stderr,
        "error: there is no plan 0009\n  = hint: known plans: 0001\n"
    );
    assert_eq!(snapshot(&repo), before);

    repo.harness(["plan", "approve", "1", "--by", "alice"])
        .assert(0);
    let before = snapshot(&repo);
    let r = repo
        .harness(["plan", "approve", "1", "--by", "alice"])
        .assert(2);
    assert_eq!(
        r.stderr,
        format!(
            "plans/0001-chat-room.md:1:1: error: plan 0001 is already approved, by alice at {NOW}, and has not changed\n  = hint: nothing to do; `harness-agents plan show` shows the approval chain\n"
        )
    );
    assert_eq!(snapshot(&repo), before);

    repo.harness([
        "plan",
        "reject",
        "1",
        "--by",
        "carol",
        "--reason",
        "too broad",
    ])
    .assert(0);
    assert!(
        repo.read(PLAN_PATH)
            .ends_with("\nPLAN_APPROVED: rejected\n")
    );
    let r = repo.harness(["plan", "check", "1"]).assert(1);
    assert_contains(
        &r.stdout,
        "error: plan 0001 was rejected by carol: too broad\n",
    );
}

#[test]
fn the_whole_chain_counts_not_an_older_approved_text() {
    let repo = approved();
    let first = repo.read(PLAN_PATH);
    // Narrowed and approved again, then rolled back to the wider text that
    // was approved first: changed, not approved.
    repo.write(PLAN_PATH, &first.replace("- `src/chat/`: helpers\n", ""));
    repo.harness(["plan", "approve", "1", "--by", "bob", "--accept-changes"])
        .assert(0);
    let second = repo.read(PLAN_PATH);
    let body = |t: &str| t[t.find("## PLAN").unwrap()..].to_string();
    let head = |t: &str| t[..t.find("## PLAN").unwrap()].to_string();
    repo.write(PLAN_PATH, &format!("{}{}", head(&second), body(&first)));
    let r = repo.harness(["plan", "check", "1"]).assert(1);
    assert_starts_with(&r.stdout, "FAIL 0001  changed");
    // Rejected after that: the rejection stands whatever the text says.
    repo.write(PLAN_PATH, &second);
    repo.harness([
        "plan",
        "reject",
        "1",
        "--by",
        "carol",
        "--reason",
        "still too broad",
    ])
    .assert(0);
    let rejected = repo.read(PLAN_PATH);
    repo.write(PLAN_PATH, &format!("{}{}", head(&rejected), body(&first)));
    let r = repo.harness(["plan", "check", "1"]).assert(1);
    assert_contains(&r.stdout, "was rejected by carol: still too broad");
    let r = repo
        .harness(["task", "start", "1-1", "--owner", "dev"])
        .run();
    assert_ne!(r.code, 0, "{}", r.stdout);
    assert_contains(&r.stderr, "rejected");
}

#[test]
fn a_chain_cut_back_to_an_earlier_approval_does_not_count() {
    let repo = approved();
    let when_approved = repo.read(PLAN_PATH);
    repo.harness([
        "plan",
        "reject",
        "1",
        "--by",
        "bob",
        "--reason",
        "too broad",
    ])
    .assert(0);
    // The rejection dropped from the end: what is left is a valid chain
    // ending in alice's approval, of the content as it is.
    repo.write(PLAN_PATH, &when_approved);
    let r = repo.harness(["plan", "check", "1"]).assert(1);
    assert_contains(&r.stdout, "FAIL 0001  unverified");
    assert_contains(&format!("{}{}", r.stdout, r.stderr), "rejected by `bob` at");
    let r = repo
        .harness(["task", "start", "1-1", "--owner", "dev"])
        .run();
    assert_ne!(r.code, 0, "{}", r.stdout);
    assert_contains(&r.stderr, "cut back to an earlier approval");
    // The ledger is in git's own directory, which agents may not write.
    assert!(repo.path(".git/harness/decisions").is_file());
    // A person decides again: that settles it.
    repo.harness(["plan", "approve", "1", "--by", "carol"])
        .assert(0);
    repo.harness(["plan", "check", "1"]).assert(0);
}

#[test]
fn plan_ids_of_any_width_are_one_plan() {
    let repo = with_plan();
    let text = repo.read(PLAN_PATH);
    std::fs::remove_file(repo.path(PLAN_PATH)).unwrap();
    repo.write(
        "plans/12345-wide.md",
        &text.replace("id: 1\n", "id: 12345\n"),
    );
    repo.harness(["plan", "approve", "12345", "--by", "alice"])
        .assert(0);
    let r = repo.harness(["plan", "check", "12345"]).assert(0);
    assert_eq!(
        r.stdout,
        "ok   12345  approved (unsigned)  plans/12345-wide.md\n"
    );
    repo.harness(["task", "start", "12345-1", "--owner", "dev"])
        .assert(0);
    assert!(repo.path("plans/12345/tasks/12345-1.toml").is_file());
}

#[test]
fn invalid_plans_are_located_and_not_approved() {
    let repo = with_plan();
    let text = repo.read(PLAN_PATH);
    let cases = [
        (
            text.replace("        schema:", "        shema:"),
            "realtime block: unknown field `shema`",
        ),
        (
            text.replace(
                "      - name: message\n",
                "      - name: message\n      - name: message\n",
            ),
            "error: event `message` is declared twice in channel `room:{id}`",
        ),
        (
            text.replace("### Files to Change", "### Files"),
            "error: the plan has no `Files to Change` section",
        ),
        (
            text.replace("agent: \"planner\"", "agent: [planner"),
            "error: plan front matter",
        ),
        (text.replace("title:", "titel:"), "unknown field `titel`"),
        (
            text.replace("id: 1\n", "id: 2\n"),
            "error: the file is named for plan 0001 but its front matter says `id: 2`",
        ),
        // Text a person would not see: an entry behind a carriage return,
        // a sentence concealed by an escape sequence.
        (
            text.replace(
                "### Files to Change\n",
                "### Files to Change\n- `tests/**`\r",
            ),
            "error: the plan holds a carriage return not followed by a line feed",
        ),
        (
            text.replace(
                "### Files to Change",
                "\u{1b}[8mand tests/**\u{1b}[0m\n### Files to Change",
            ),
            "error: the plan holds an escape character",
        ),
    ];
    for (broken, message) in cases {
        repo.write(PLAN_PATH, &broken);
        let before = snapshot(&repo);
        let r = repo
            .harness(["plan", "approve", "1", "--by", "alice"])
            .assert(2);
        assert_starts_with(&r.stderr, "plans/0001-chat-room.md:");
        assert!(r.stderr.contains(message), "{message}: {}", r.stderr);
        assert_eq!(snapshot(&repo), before, "{message}");
    }
    // The realtime error points at the misspelt key's line.
    repo.write(
        PLAN_PATH,
        &text.replace("        schema:", "        shema:"),
    );
    let line = text
        .lines()
        .position(|l| l.starts_with("        schema:"))
        .unwrap()
        + 1;
    let r = repo
        .harness(["plan", "approve", "1", "--by", "alice"])
        .run();
    assert_starts_with(&r.stderr, &format!("plans/0001-chat-room.md:{line}:"));
}

#[test]
fn a_status_flipped_by_hand_is_not_an_approval() {
    let repo = with_plan();
    let text = repo.read(PLAN_PATH);
    repo.write(
        PLAN_PATH,
        &text
            .replace("status: draft", "status: approved")
            .replace("PLAN_APPROVED: pending", "PLAN_APPROVED: approved"),
    );
    let r = repo.harness(["plan", "check"]).assert(1);
    assert_starts_with(
        &r.stdout,
        "FAIL 0001  draft     plans/0001-chat-room.md\nplans/0001-chat-room.md:5:1: warning: `status: approved` is not what the approval chain records (`draft`)",
    );
    let r = repo.harness(["task", "list"]).run();
    assert_eq!(
        r.stdout,
        "no tasks; tasks are derived from a plan when it is approved\n"
    );
}

#[test]
fn tasks_complete_only_when_gates_and_scope_pass() {
    let repo = approved();
    let r = repo.harness(["task", "list"]).run();
    assert_eq!(
        r.stdout,
        "ID      STATUS   OWNER  SUBJECT       AFTER\n0001-1  pending  dev    Chat service  -\n0001-2  pending  -      Helpers       0001-1\n"
    );

    // Never started: refused, nothing written.
    let before = snapshot(&repo);
    let r = repo.harness(["task", "done", "0001-1"]).assert(2);
    assert_eq!(
        r.stderr,
        "plans/0001/tasks/0001-1.toml:4:1: error: cannot complete task 0001-1: it was never started\n  = hint: start it first: `harness-agents task start 0001-1 --owner AGENT`\n"
    );
    let r = repo
        .harness(["task", "start", "0001-2", "--owner", "dev"])
        .assert(2);
    assert_contains(&r.stderr, "error: task 0001-2 waits for 0001-1 (pending)");
    let r = repo.harness(["task", "show", "0001-9"]).assert(2);
    assert_eq!(
        r.stderr,
        "error: there is no task 0001-9\n  = hint: tasks of plan 0001: 0001-1, 0001-2; `harness-agents task list` shows every task\n"
    );
    // The plan names `dev` as the owner of task 1.
    let r = repo
        .harness(["task", "start", "1-1", "--owner", "planner"])
        .assert(2);
    assert_contains(
        &r.stderr,
        "plans/0001-chat-room.md:35:1: error: task 0001-1 belongs to `dev`, not `planner`\n",
    );
    assert_eq!(snapshot(&repo), before);

    let r = repo
        .harness(["task", "start", "1-1", "--owner", "dev"])
        .run();
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, "started task 0001-1: Chat service\n"),
        "{}",
        r.stderr
    );

    // A failing gate: the task stays in progress, the gate is named.
    repo.write("src/chat.rs", "// chat\n");
    let r = repo
        .harness(["task", "done", "0001-1"])
        .env("GATE_EXIT", "3")
        .assert(1);
    assert_contains(
        &r.stdout,
        "\ngate failed: echo-gate-output-exit-gate_exit-0 (`echo gate-output; exit ${GATE_EXIT:-0}`)\n",
    );
    assert_contains(
        &r.stdout,
        "\n  | gate-output\nnot done: task 0001-1 stays in_progress (gate failed: echo-gate-output-exit-gate_exit-0)\n",
    );
    let v = repo
        .harness(["--format", "json", "task", "show", "0001-1"])
        .run()
        .json();
    assert_eq!(v["status"], "in_progress");
    let ev = &v["evidence"];
    assert_eq!(ev["passed"], false);
    assert_eq!(ev["gates"][0]["name"], "test-chat.rs");
    assert_eq!(ev["gates"][0]["command"], "test -f src/chat.rs");
    assert_eq!(ev["gates"][0]["exit_code"], 0);
    assert_eq!(ev["gates"][1]["exit_code"], 3);
    let log = ev["gates"][1]["log"].as_str().unwrap();
    assert_starts_with(log, ".harness/gates/");
    assert_eq!(
        std::fs::read_to_string(repo.path(log)).unwrap(),
        "gate-output\n"
    );
    assert_eq!(ev["gates"][1]["passed"], false);
    assert!(
        ev["gates"][1]["output_digest"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    assert_eq!(ev["scope"]["changed"], serde_json::json!(["src/chat.rs"]));
    assert_eq!(ev["dirty"], true);
    let head = repo.head();
    assert_eq!(ev["commit"], head.as_str());

    // A file outside the plan's Files to Change: still not done.
    repo.write("README.md", "hello\n");
    let r = repo.harness(["task", "done", "0001-1"]).assert(1);
    assert_contains(
        &r.stdout,
        "  FAIL  plan scope (2 files changed, 1 outside)\n        outside: README.md\n",
    );
    std::fs::remove_file(repo.path("README.md")).unwrap();

    let r = repo.harness(["task", "done", "0001-1"]).assert(0);
    assert_ends_with(&r.stdout, "completed task 0001-1: Chat service\n");
    let r = repo.harness(["plan", "list"]).run();
    assert_eq!(
        r.stdout,
        "ID    STATE     TITLE      AGENT    DONE  PATH\n0001  approved  Chat room  planner  1/2   plans/0001-chat-room.md\n"
    );
    let r = repo
        .harness(["task", "list", "--status", "completed"])
        .run();
    assert_eq!(
        r.stdout,
        "ID      STATUS     OWNER  SUBJECT       AFTER\n0001-1  completed  dev    Chat service  -\n"
    );
    repo.harness(["task", "done", "0001-1"]).assert(2);
    // The next task may start now.
    repo.harness(["task", "start", "0001-2", "--owner", "dev"])
        .assert(0);
    let r = repo
        .harness(["task", "block", "0001-2", "--reason", "waiting for the API"])
        .run();
    assert_eq!(r.stdout, "blocked task 0001-2: Helpers\n");
}

#[test]
fn work_stops_when_the_plan_changes_and_re_derivation_keeps_state() {
    let repo = approved();
    let text = repo.read(PLAN_PATH);
    repo.write(
        PLAN_PATH,
        &text.replace(
            "- [ ] Helpers (after 1)",
            "- [ ] Helper functions (after 1)\n- [ ] Docs",
        ),
    );
    let before = snapshot(&repo);
    let r = repo
        .harness(["task", "start", "0001-1", "--owner", "dev"])
        .assert(2);
    assert_contains(
        &r.stderr,
        "error: plan 0001 changed since alice approved it",
    );
    assert_eq!(snapshot(&repo), before);

    let r = repo
        .harness(["plan", "approve", "1", "--by", "alice", "--accept-changes"])
        .assert(0);
    assert_contains(&r.stdout, "tasks: 4 (3 pending, 1 stale)");
    let r = repo.harness(["task", "list", "--plan", "1"]).run();
    assert_eq!(
        r.stdout,
        "ID      STATUS   OWNER  SUBJECT           AFTER\n0001-1  pending  dev    Chat service      -\n0001-2  stale    -      Helpers           0001-1\n0001-3  pending  -      Helper functions  0001-1\n0001-4  pending  -      Docs              -\n"
    );
    repo.harness(["task", "start", "0001-1", "--owner", "dev"])
        .assert(0);
    let r = repo
        .harness(["task", "start", "0001-2", "--owner", "dev"])
        .assert(2);
    assert_contains(&r.stderr, "it is stale");
}

#[test]
fn twenty_concurrent_processes_lose_no_update() {
    let repo = repo_with_gates(&["true"]);
    repo.harness(["plan", "new", "Many", "--agent", "planner"])
        .assert(0);
    let path = "plans/0001-many.md";
    let text = repo.read(path);
    let start = text.find("## PLAN").unwrap();
    let tasks: String = (1..=20).map(|i| format!("- [ ] Task {i}\n")).collect();
    repo.write(
        path,
        &format!("{}## PLAN: Many\n\n### Files to Change\n- `src/**`\n\n### Tasks\n{tasks}\nPLAN_APPROVED: pending\n", &text[..start]),
    );
    repo.harness(["plan", "approve", "1", "--by", "alice"])
        .assert(0);
    repo.commit_all("plan");

    let spawn_all = |args: &dyn Fn(usize) -> Vec<String>| {
        let children: Vec<_> = (1..=20).map(|i| repo.harness(args(i)).spawn()).collect();
        children
            .into_iter()
            .map(|c| c.wait().code)
            .collect::<Vec<_>>()
    };
    // Twenty processes race to start the same task: exactly one wins.
    let codes = spawn_all(&|_| {
        vec![
            "task".into(),
            "start".into(),
            "0001-1".into(),
            "--owner".into(),
            "dev".into(),
        ]
    });
    assert_eq!(codes.iter().filter(|&&c| c == 0).count(), 1, "{codes:?}");
    assert_eq!(codes.iter().filter(|&&c| c == 2).count(), 19, "{codes:?}");

    // Twenty processes start the twenty tasks, then complete them.
    let codes = spawn_all(&|i| {
        vec![
            "task".into(),
            "start".into(),
            format!("0001-{i}"),
            "--owner".into(),
            "dev".into(),
        ]
    });
    assert_eq!(codes.iter().filter(|&&c| c == 0).count(), 19, "{codes:?}");
    let codes = spawn_all(&|i| vec!["task".into(), "done".into(), format!("0001-{i}")]);
    assert!(codes.iter().all(|&c| c == 0), "{codes:?}");

    let v = repo
        .harness(["--format", "json", "task", "list"])
        .run()
        .json();
    let tasks = v.as_array().unwrap();
    assert_eq!(tasks.len(), 20);
    for t in tasks {
        assert_eq!(t["status"], "completed", "{t}");
        let history: Vec<&str> = t["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["status"].as_str().unwrap())
            .collect();
        assert_eq!(history, ["pending", "in_progress", "completed"], "{t}");
        assert_eq!(t["evidence"]["gates"][0]["name"], "true");
    }
    // No temporary file was left behind.
    let leftovers: Vec<_> = std::fs::read_dir(repo.path("plans/0001/tasks"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".harness-tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn concurrent_plan_new_never_reuses_a_number() {
    let repo = new_repo();
    let children: Vec<_> = (0..10)
        .map(|i| {
            repo.harness(["plan", "new", &format!("Feature {i}"), "--agent", "planner"])
                .spawn()
        })
        .collect();
    let mut paths: Vec<String> = children
        .into_iter()
        .map(|c| {
            let out = c.wait();
            assert_eq!(out.code, 0, "{}", out.stderr);
            out.stdout.trim().to_string()
        })
        .collect();
    paths.sort();
    let ids: Vec<&str> = paths.iter().map(|p| &p["plans/".len()..][..4]).collect();
    assert_eq!(
        ids,
        [
            "0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008", "0009", "0010"
        ]
    );
}

#[test]
fn a_held_lock_times_out_naming_its_holder() {
    let repo = approved();
    // harness leaves its own name in the lock it took.
    repo.harness(["task", "start", "1-1", "--owner", "dev"])
        .assert(0);
    let left = repo.read(".harness/lock");
    assert_starts_with(&left, "pid ");
    assert_contains(&left, "task start 1-1 --owner dev`, since ");

    // Another process holds it (this test, as a stuck harness would).
    let path = repo.path(".harness/lock");
    let held = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    held.lock().unwrap();
    std::fs::write(
        &path,
        "pid 4242 (`harness-agents plan approve 1`, since then)\n",
    )
    .unwrap();
    let before = snapshot(&repo);
    let r = repo
        .harness(["task", "block", "1-1", "--reason", "a break"])
        .env("HARNESS_LOCK_TIMEOUT", "0.2")
        .assert(2);
    assert_eq!(
        r.stderr,
        "error: `.harness/lock` is held by pid 4242 (`harness-agents plan approve 1`, since then); gave up after 200ms\n  = hint: wait for that command to finish, or stop it if it is stuck; `HARNESS_LOCK_TIMEOUT=SECONDS` waits longer\n"
    );
    assert_eq!(snapshot(&repo), before);
    // Released: the same command goes through.
    drop(held);
    repo.harness(["task", "block", "1-1", "--reason", "a break"])
        .assert(0);
}

#[test]
fn every_command_has_help() {
    let repo = new_repo();
    for sub in [
        ["plan", "new"],
        ["plan", "list"],
        ["plan", "show"],
        ["plan", "approve"],
        ["plan", "reject"],
        ["plan", "check"],
        ["plan", "diff"],
        ["task", "list"],
        ["task", "show"],
        ["task", "start"],
        ["task", "block"],
        ["task", "done"],
    ] {
        let r = repo.harness([sub[0], sub[1], "--help"]).assert(0);
        assert_contains(&r.stdout, "Usage: harness");
        assert!(
            r.stdout.lines().next().is_some_and(|l| l.len() > 20),
            "{sub:?}: {}",
            r.stdout
        );
    }
}

/// `task done --format json`: its exit code and the files charged to the
/// task that lie outside the plan.
fn outside(repo: &Repo, code: i32) -> Vec<String> {
    let v = repo
        .harness(["task", "done", "1-1", "--format", "json"])
        .assert(code)
        .json();
    serde_json::from_value(v["evidence"]["scope"]["outside"].clone()).unwrap()
}

fn started_commit(repo: &Repo) -> String {
    let v = repo
        .harness(["task", "show", "1-1", "--format", "json"])
        .assert(0)
        .json();
    v["started_commit"].as_str().unwrap_or_default().to_string()
}

#[test]
fn block_and_start_keep_the_baseline_and_only_a_person_rebases() {
    let repo = approved();
    repo.harness(["task", "start", "1-1", "--owner", "dev"])
        .assert(0);
    let baseline = started_commit(&repo);
    assert_eq!(baseline, repo.head());
    repo.commit(
        &[
            ("README.md", "out of scope\n"),
            ("src/chat.rs", "// chat\n"),
        ],
        "feat: chat\n\nAgent: dev",
    );
    repo.harness(["task", "block", "1-1", "--reason", "a break"])
        .assert(0);
    repo.harness(["task", "start", "1-1", "--owner", "dev"])
        .assert(0);
    assert_eq!(started_commit(&repo), baseline);
    assert_eq!(outside(&repo, 1), ["README.md"]);

    let r = repo
        .harness(["task", "rebase", "1-1"])
        .env("HARNESS_AGENT", "dev")
        .assert(2);
    assert_eq!(
        r.stderr,
        "error: agent `dev` may not move the scope baseline of task 1-1\n  = hint: re-baselining forgets what a task changed; a person runs it, outside any agent (unset HARNESS_AGENT)\n"
    );
    assert_eq!(started_commit(&repo), baseline);
    // A person moves it; what came before no longer counts.
    repo.harness(["task", "rebase", "1-1"]).assert(0);
    assert_eq!(started_commit(&repo), repo.head());
    assert_eq!(outside(&repo, 0), Vec::<String>::new());
}

#[test]
fn index_flags_and_ignore_rules_hide_no_change() {
    let repo = approved();
    repo.commit(
        &[("Makefile", "test:\n\tcargo test\n"), ("README.md", "hi\n")],
        "chore: a makefile",
    );
    repo.harness(["task", "start", "1-1", "--owner", "dev"])
        .assert(0);
    repo.write("src/chat.rs", "// chat\n");
    // Flags alone change nothing: the twin passes.
    repo.git(&["update-index", "--skip-worktree", "Makefile"]);
    repo.git(&["update-index", "--assume-unchanged", "README.md"]);
    assert_eq!(outside(&repo, 0), Vec::<String>::new());

    let repo = approved();
    repo.commit(
        &[("Makefile", "test:\n\tcargo test\n"), ("README.md", "hi\n")],
        "chore: a makefile",
    );
    repo.harness(["task", "start", "1-1", "--owner", "dev"])
        .assert(0);
    repo.write("src/chat.rs", "// chat\n");
    repo.git(&["update-index", "--skip-worktree", "Makefile"]);
    repo.git(&["update-index", "--assume-unchanged", "README.md"]);
    repo.write("Makefile", "test:\n\ttrue\n");
    repo.write("README.md", "changed\n");
    // An ignored file the gates would read.
    repo.write(".git/info/exclude", "GNUmakefile\n");
    repo.write("GNUmakefile", "test:\n\ttrue\n");
    let status = repo.git(&["status", "--porcelain"]);
    assert!(
        !status.contains("akefile") && !status.contains("README"),
        "{status}"
    );
    assert_eq!(outside(&repo, 1), ["GNUmakefile", "Makefile", "README.md"]);
}

#[test]
fn other_peoples_commits_after_start_are_not_the_tasks() {
    // Other people's commits, after the task started and before its own.
    let started = || {
        let repo = approved();
        repo.harness(["task", "start", "1-1", "--owner", "dev"])
            .assert(0);
        repo.commit(
            &[("src/chat.rs", "// chat\n")],
            "feat: chat\n\nRefs: 0001-1",
        );
        repo.commit(&[("README.md", "by a person\n")], "docs: readme");
        repo.commit(
            &[("Makefile", "test:\n\ttrue\n")],
            "build: a makefile\n\nAgent: planner",
        );
        repo
    };
    assert_eq!(outside(&started(), 0), Vec::<String>::new());
    // Twin: the task's own commits outside the plan are charged, whether
    // they say so by the agent or by the task they name.
    let repo = started();
    repo.commit(&[("NOTES.md", "mine\n")], "docs: notes\n\nAgent: dev");
    repo.commit(&[("TODO.md", "mine\n")], "docs: todo\n\nRefs: 0001-1");
    assert_eq!(outside(&repo, 1), ["NOTES.md", "TODO.md"]);
}
