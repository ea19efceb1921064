//! `harness-agents gate run|list` on real projects in temporary directories.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{Repo, assert_contains, manifest_dir};

/// A temporary repository holding `files`, nothing committed.
fn project(files: &[(&str, &str)]) -> Repo {
    let repo = Repo::new();
    for (name, text) in files {
        repo.write(name, text);
    }
    repo
}

/// A line with its durations replaced by `T` and its spacing collapsed, so
/// that tables compare exactly whatever the timing.
fn norm(line: &str) -> String {
    line.split_whitespace()
        .map(|w| {
            let digits = w.trim_end_matches("ms").trim_end_matches('s');
            let is_time = (w.ends_with('s') || w.ends_with("ms"))
                && !digits.is_empty()
                && digits
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '.' || c == 'm');
            if is_time { "T" } else { w }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn norm_all(text: &str) -> Vec<String> {
    text.lines().map(norm).collect()
}

/// Whether a process is gone (or a zombie waiting for a reaper, which runs
/// nothing).
fn gone(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

fn read_pid(path: &Path) -> i32 {
    std::fs::read_to_string(path)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

fn wait_for(path: &Path, limit: Duration) {
    let start = Instant::now();
    while !path.exists() || std::fs::read_to_string(path).unwrap().trim().is_empty() {
        assert!(start.elapsed() < limit, "{} never appeared", path.display());
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn three_one_second_gates_take_about_one_second() {
    let dir = project(&[(
        "harness.toml",
        "[gates.a]\ncommand = \"sleep 1\"\n[gates.b]\ncommand = \"sleep 1\"\n[gates.c]\ncommand = [\"sleep\", \"1\"]\n",
    )]);
    let start = Instant::now();
    let out = dir
        .harness(["gate", "run", "--jobs", "3", "--format", "json"])
        .run();
    let wall = start.elapsed();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(wall >= Duration::from_secs(1), "{wall:?}");
    // One after another would take three seconds; the margin absorbs a busy machine.
    assert!(
        wall < Duration::from_millis(2500),
        "ran one after another: {wall:?}"
    );
    let report = out.json();
    assert_eq!(report["passed"], true);
    let gates = report["gates"].as_array().unwrap();
    let names: Vec<&str> = gates.iter().map(|g| g["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["a", "b", "c"]);
    for g in gates {
        assert_eq!(g["status"], "passed");
        assert_eq!(g["exit_code"], 0);
        assert!(g["duration_ms"].as_u64().unwrap() >= 1000);
    }
    assert_eq!(gates[2]["command"], "sleep 1");
}

#[test]
fn a_failing_gate_exits_1_and_is_named_with_its_output() {
    let dir = project(&[(
        "harness.toml",
        "[gates.ok]\ncommand = \"true\"\nkind = \"lint\"\n\n[gates.bad]\ncommand = \"echo first; echo boom >&2; exit 3\"\nkind = \"test\"\n",
    )]);
    let out = dir.harness(["gate", "run"]).assert(1);
    let text = out.stdout;
    let lines = norm_all(&text);
    let id = std::fs::read_dir(dir.path(".harness/gates"))
        .unwrap()
        .filter_map(|e| e.ok())
        .find(|e| e.path().is_dir())
        .unwrap()
        .file_name()
        .into_string()
        .unwrap();
    let expected = [
        "GATE KIND RESULT DURATION".to_string(),
        "bad test failed (exit 3) T".into(),
        "ok lint passed T".into(),
        "".into(),
        "bad failed (exit 3): echo first; echo boom >&2; exit 3".into(),
        "| first".into(),
        "| boom".into(),
        format!("full output: .harness/gates/{id}/bad.log"),
        "".into(),
        "failed: 1 of 2 gates did not pass (bad) in T".into(),
        format!("evidence: .harness/gates/{id}/ (no commit)"),
    ];
    assert_eq!(lines, expected, "{text}");
    // Progress went to stderr, one line per start and end.
    let err = norm_all(&out.stderr);
    assert!(err.contains(&"failed bad T".to_string()), "{err:?}");
    assert!(err.contains(&"passed ok T".to_string()), "{err:?}");
}

#[test]
fn evidence_records_commit_state_digest_and_full_log() {
    let dir = project(&[(
        "harness.toml",
        "[gates.say]\ncommand = \"printf 'hello\\\\n'; printf 'oops\\\\n' >&2\"\n",
    )]);
    let out = dir.harness(["gate", "run", "--format", "json"]).assert(0);
    let report = out.json();
    let gate = &report["gates"][0];
    let log = dir.path(gate["log_path"].as_str().unwrap());
    let content = std::fs::read(&log).unwrap();
    assert_eq!(content, b"hello\noops\n");
    use sha2::Digest;
    let digest: String = sha2::Sha256::digest(&content)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(gate["output_sha256"], digest);
    assert_eq!(gate["output_bytes"], 11);
    let id = report["id"].as_str().unwrap();
    let recorded: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path(".harness/gates").join(id).join("report.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(recorded["gates"][0]["output_sha256"], digest);
    // `.harness/` ignores itself, all but the gate baseline.
    assert_eq!(
        std::fs::read_to_string(dir.path(".harness/.gitignore")).unwrap(),
        "*\n!baseline.json\n"
    );
}

#[test]
fn a_hanging_gate_is_killed_at_its_timeout_with_its_children() {
    let dir = project(&[(
        "harness.toml",
        "[gates.hang]\ncommand = \"sh -c 'echo $$ > leader.pid; sleep 100 & echo $! > child.pid; sleep 100'\"\ntimeout = \"1s\"\n\n[gates.quick]\ncommand = \"true\"\n",
    )]);
    let start = Instant::now();
    let out = dir.harness(["gate", "run", "--format", "json"]).run();
    let wall = start.elapsed();
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(wall < Duration::from_secs(5), "{wall:?}");
    let report = out.json();
    let hang = &report["gates"][0];
    assert_eq!(hang["name"], "hang");
    assert_eq!(hang["status"], "timed_out");
    assert_eq!(hang["timed_out"], true);
    assert_eq!(hang["exit_code"], Value::Null);
    assert_eq!(hang["signal"], 15);
    assert_eq!(report["gates"][1]["status"], "passed");
    for file in ["leader.pid", "child.pid"] {
        let pid = read_pid(&dir.path(file));
        assert!(gone(pid), "{file}: process {pid} is still running");
    }
}

#[test]
fn ctrl_c_stops_every_gate_and_leaves_no_process() {
    let dir = project(&[(
        "harness.toml",
        "[gates.g1]\ncommand = \"echo $$ > one.pid; sleep 100 & echo $! > one-child.pid; wait\"\n\n[gates.g2]\ncommand = \"echo $$ > two.pid; exec sleep 100\"\n\n[gates.g3-queued]\ncommand = \"sleep 100\"\n",
    )]);
    let child = dir
        .harness(["gate", "run", "--jobs", "2", "--format", "json"])
        .spawn();
    for f in ["one.pid", "one-child.pid", "two.pid"] {
        wait_for(&dir.path(f), Duration::from_secs(10));
    }
    let start = Instant::now();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let out = child.wait();
    assert!(start.elapsed() < Duration::from_secs(5));
    assert_eq!(out.code, 130, "{}", out.stderr);
    let report = out.json();
    assert_eq!(report["interrupted"], true);
    assert_eq!(report["passed"], false);
    let statuses: Vec<&str> = report["gates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["cancelled", "cancelled", "cancelled"]);
    assert_eq!(report["gates"][2]["reason"], "interrupted");
    for f in ["one.pid", "one-child.pid", "two.pid"] {
        let pid = read_pid(&dir.path(f));
        assert!(gone(pid), "{f}: process {pid} is still running");
    }
}

#[test]
fn fail_fast_stops_the_others() {
    let dir = project(&[(
        "harness.toml",
        "[gates.a-fails]\ncommand = \"exit 1\"\n\n[gates.b-slow]\ncommand = \"sleep 30\"\n\n[gates.c-queued]\ncommand = \"sleep 30\"\n",
    )]);
    let start = Instant::now();
    let out = dir
        .harness([
            "gate",
            "run",
            "--jobs",
            "2",
            "--fail-fast",
            "--format",
            "json",
        ])
        .run();
    assert!(start.elapsed() < Duration::from_secs(10));
    assert_eq!(out.code, 1);
    let report = out.json();
    let gates = report["gates"].as_array().unwrap();
    assert_eq!(gates[0]["status"], "failed");
    assert_eq!(gates[1]["status"], "cancelled");
    assert_eq!(gates[2]["status"], "cancelled");
    assert_eq!(
        gates[2]["reason"],
        "stopped by --fail-fast after `a-fails` failed"
    );
}

#[test]
fn a_missing_tool_fails_its_gate_with_an_install_hint_and_others_run() {
    let dir = project(&[
        (
            "harness.toml",
            "[gates.lint]\ncommand = \"ruff-not-installed-here check .\"\n\n[gates.argv]\ncommand = [\"pytest-not-installed-here\"]\n\n[gates.ok]\ncommand = \"true\"\n\n[gates.shell127]\ncommand = \"true && no-such-command-xyz\"\n\n[gates.noexec]\ncommand = [\"./tool.sh\"]\n",
        ),
        ("tool.sh", "#!/bin/sh\n"),
    ]);
    let out = dir.harness(["gate", "run", "--format", "json"]).assert(1);
    let report = out.json();
    let by = |name: &str| {
        report["gates"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["name"] == name)
            .unwrap()
            .clone()
    };
    let lint = by("lint");
    assert_eq!(lint["status"], "not_started");
    assert_eq!(
        lint["reason"],
        "`ruff-not-installed-here` is not installed (not found on PATH)"
    );
    assert_eq!(
        lint["hint"],
        "install `ruff-not-installed-here` or put it on PATH, or change the gate's `command`"
    );
    assert_eq!(by("argv")["status"], "not_started");
    assert_eq!(by("ok")["status"], "passed");
    let noexec = by("noexec");
    assert_eq!(noexec["status"], "not_started");
    assert_eq!(
        noexec["reason"],
        "`./tool.sh` cannot be executed: permission denied"
    );
    assert_eq!(noexec["hint"], "make it executable: `chmod +x ./tool.sh`");
    let sh = by("shell127");
    assert_eq!(sh["exit_code"], 127);
    assert_eq!(
        sh["hint"],
        "a command was not found (exit 127): is it installed and on PATH?"
    );
}

#[test]
fn allow_no_tests_accepts_pytest_exit_5() {
    let dir = project(&[
        (
            "harness.toml",
            "[gates.tests]\ncommand = \"./bin/pytest\"\nallow_no_tests = true\n\n[gates.strict]\ncommand = \"./bin/pytest\"\n",
        ),
        ("bin/pytest", "#!/bin/sh\necho 'no tests ran'\nexit 5\n"),
    ]);
    use std::os::unix::fs::PermissionsExt;
    let script = dir.path("bin/pytest");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = dir.harness(["gate", "run", "--format", "json"]).run();
    let report = out.json();
    assert_eq!(report["gates"][0]["name"], "strict");
    assert_eq!(report["gates"][0]["status"], "failed");
    assert_eq!(report["gates"][1]["status"], "passed");
    assert_eq!(report["gates"][1]["no_tests"], true);
    assert_eq!(out.code, 1);
}

/// Attributes of an element, as owned strings.
fn attrs(e: &quick_xml::events::BytesStart) -> std::collections::BTreeMap<String, String> {
    e.attributes()
        .map(|a| {
            let a = a.unwrap();
            (
                a.key.as_ref().to_string(),
                a.normalized_value(quick_xml::XmlVersion::Explicit1_0)
                    .unwrap()
                    .into_owned(),
            )
        })
        .collect()
}

#[test]
fn junit_output_has_the_shape_ci_tools_read() {
    let dir = project(&[(
        "harness.toml",
        "[gates.pass]\ncommand = \"echo fine\"\nkind = \"lint\"\n\n[gates.fail]\ncommand = \"printf '<bad> & \\\\033[31mred\\\\033[0m\\\\n'; exit 2\"\nkind = \"test\"\n\n[gates.missing]\ncommand = \"no-such-tool-xyz --check\"\n",
    )]);
    dir.harness(["gate", "run", "--junit", "out/junit.xml"])
        .assert(1);
    let xml = std::fs::read_to_string(dir.path("out/junit.xml")).unwrap();

    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut stack: Vec<String> = Vec::new();
    let mut suites = Vec::new();
    let mut cases: Vec<(
        String,
        std::collections::BTreeMap<String, String>,
        Vec<String>,
    )> = Vec::new();
    let mut texts = String::new();
    loop {
        match reader.read_event().unwrap() {
            Event::Eof => break,
            Event::Decl(_) => {}
            Event::Start(e) => {
                let name = e.name().as_ref().to_string();
                handle(&name, &e, &stack, &mut suites, &mut cases);
                stack.push(name);
            }
            Event::Empty(e) => {
                let name = e.name().as_ref().to_string();
                handle(&name, &e, &stack, &mut suites, &mut cases);
            }
            Event::End(e) => {
                let name = e.name().as_ref().to_string();
                assert_eq!(stack.pop().as_deref(), Some(name.as_str()));
            }
            Event::Text(t) => texts.push_str(&t.into_inner()),
            Event::GeneralRef(r) => texts.push_str(&format!("&{};", r.into_inner())),
            other => panic!("unexpected {other:?}"),
        }
    }
    fn handle(
        name: &str,
        e: &quick_xml::events::BytesStart,
        stack: &[String],
        suites: &mut Vec<std::collections::BTreeMap<String, String>>,
        cases: &mut Vec<(
            String,
            std::collections::BTreeMap<String, String>,
            Vec<String>,
        )>,
    ) {
        let parent = stack.last().map(String::as_str);
        match name {
            "testsuites" => assert_eq!(parent, None),
            "testsuite" => {
                assert_eq!(parent, Some("testsuites"));
                suites.push(attrs(e));
            }
            "properties" => assert_eq!(parent, Some("testsuite")),
            "property" => assert_eq!(parent, Some("properties")),
            "testcase" => {
                assert_eq!(parent, Some("testsuite"));
                let a = attrs(e);
                cases.push((a["name"].clone(), a, Vec::new()));
            }
            "failure" | "error" | "skipped" | "system-out" => {
                assert_eq!(parent, Some("testcase"));
                let a = attrs(e);
                if name != "system-out" {
                    assert!(a.contains_key("message"), "{name} without message");
                }
                cases.last_mut().unwrap().2.push(name.to_string());
            }
            other => panic!("element `{other}` is not in the JUnit schema"),
        }
    }
    assert!(stack.is_empty());
    assert_eq!(suites.len(), 1);
    let suite = &suites[0];
    assert_eq!(suite["name"], "harness gates");
    assert_eq!(suite["tests"], "3");
    assert_eq!(suite["failures"], "1");
    assert_eq!(suite["errors"], "1");
    assert_eq!(suite["skipped"], "0");
    assert!(suite["time"].parse::<f64>().is_ok());
    let ts = &suite["timestamp"];
    assert_eq!(ts.len(), 19, "{ts}");
    assert_eq!(&ts[10..11], "T");
    let summary: Vec<(&str, &str, Vec<&str>)> = cases
        .iter()
        .map(|(n, a, children)| {
            assert!(a["time"].parse::<f64>().is_ok());
            (
                n.as_str(),
                a["classname"].as_str(),
                children.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("fail", "gates.test", vec!["failure", "system-out"]),
            ("missing", "gates.other", vec!["error"]),
            ("pass", "gates.lint", vec!["system-out"]),
        ]
    );
    // Output is escaped and stripped of colour codes.
    assert_contains(&texts, "&lt;bad&gt; &amp; red");
    assert!(!xml.contains('\u{1b}'));
}

#[test]
fn github_actions_gets_annotations_and_a_step_summary() {
    let dir = project(&[(
        "harness.toml",
        "[gates.bad]\ncommand = \"echo 'line one'; exit 4\"\n\n[gates.good]\ncommand = \"true\"\n",
    )]);
    let summary = dir.path("summary.md");
    std::fs::write(&summary, "# earlier step\n").unwrap();
    let out = dir
        .harness(["gate", "run"])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .assert(1);
    let text = out.stdout;
    let first = text.lines().next().unwrap();
    assert_eq!(
        first,
        "::error title=gate bad failed (exit 4)::`echo 'line one'; exit 4` failed (exit 4)%0A%0Aline one"
    );
    let md = std::fs::read_to_string(&summary).unwrap();
    let md: Vec<String> = md.lines().map(norm).collect();
    assert_eq!(
        md[..6],
        [
            "# earlier step",
            "### harness gates: 1 of 2 passed",
            "",
            "| Gate | Kind | Result | Duration | Command |",
            "|---|---|---|---|---|",
            "| bad | other | ❌ failed (exit 4) | T | `echo 'line one'; exit 4` |",
        ]
    );
    assert_eq!(md[6], "| good | other | ✅ passed | T | `true` |");
}

#[track_caller]
fn config_error(toml: &str, expected: &str) {
    let dir = project(&[("harness.toml", toml)]);
    let out = dir.harness(["gate", "list"]).assert(2);
    let shown = out.stderr.replace(&format!("{}/", &dir.root.display()), "");
    assert_eq!(shown, expected);
    assert!(!dir.path(".harness").exists());
}

#[test]
fn bad_gate_configuration_is_a_located_error() {
    let hint =
        "  = hint: see `harness-agents init` for a commented `harness.toml` with every field\n";
    config_error(
        "[gates.test]\ncommand = \"cargo test\"\ntimeout = \"10x\"\n",
        &format!(
            "harness.toml:3:11: error: invalid duration `10x`: unknown time unit \"x\", supported units: ns, us/µs, ms, sec, min, hours, days, weeks, months, years (and few variations); write e.g. `90s`, `10m` or `1h 30m`
  |
3 | timeout = \"10x\"
  |           ^^^^^
{hint}"
        ),
    );
    config_error(
        "[gates.test]\ncommand = \"cargo test\"\ntimeot = \"1m\"\n",
        &format!(
            "harness.toml:3:1: error: unknown field `timeot`, expected one of `command`, `kind`, `timeout`, `env`, `cwd`, `when`, `allow_no_tests`, `findings`
  |
3 | timeot = \"1m\"
  | ^^^^^^
{hint}"
        ),
    );
    config_error(
        "[gates.\"a b\"]\ncommand = \"x\"\n",
        &format!(
            "harness.toml:1:8: error: invalid gate name `a b`: use letters, digits, `-`, `_` and `.`
  |
1 | [gates.\"a b\"]
  |        ^^^^^
{hint}"
        ),
    );
    // The table's span runs over several lines: the carets stop at the first.
    config_error(
        "[gates.test]\nkind = \"test\"\n",
        &format!(
            "harness.toml:1:1: error: missing field `command`
  |
1 | [gates.test]
  | ^^^^^^^^^^^^
{hint}"
        ),
    );
    config_error(
        "[gates.test]\ncommand = \"  \"\n",
        &format!(
            "harness.toml:2:11: error: the gate's `command` is empty; write e.g. `command = \"cargo test\"`
  |
2 | command = \"  \"
  |           ^^^^
{hint}"
        ),
    );
    config_error(
        "[gates.test]\ncommand = \"x\"\nkind = \"unit\"\n",
        &format!(
            "harness.toml:3:8: error: unknown variant `unit`, expected one of `format`, `lint`, `typecheck`, `build`, `test`, `other`
  |
3 | kind = \"unit\"
  |        ^^^^^^
{hint}"
        ),
    );
    config_error(
        "[gates.test]\ncommand = \"x\"\nwhen = [\"src/[a\"]\n",
        &format!(
            "harness.toml:3:8: error: invalid glob in `when`: error parsing glob 'src/[a': unclosed character class; missing ']'
  |
3 | when = [\"src/[a\"]
  |        ^^^^^^^^^^
{hint}"
        ),
    );
}

#[test]
fn unknown_gate_names_suggest_the_close_one() {
    let dir = project(&[("harness.toml", "[gates.clippy]\ncommand = \"true\"\n")]);
    let out = dir.harness(["gate", "run", "clipy"]).assert(2);
    assert_eq!(
        out.stderr,
        "error: no gate named `clipy`\n  = hint: did you mean `clippy`? `harness-agents gate list` shows every gate\n"
    );
}

fn listed(dir: &Repo, args: &[&str]) -> Vec<(String, String, String)> {
    let mut all = vec!["gate", "list", "--format", "json"];
    all.extend(args);
    let out = dir.harness(&all).assert(0);
    out.json()
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["name"].as_str().unwrap().to_string(),
                g["kind"].as_str().unwrap().to_string(),
                g["command"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn triples(v: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    v.iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect()
}

#[test]
fn detects_the_gates_of_a_rust_project() {
    let dir = project(&[
        (
            "Cargo.toml",
            "[package]\nname = \"fixture\"\nversion = \"0.1.0\"\nedition = \"2024\"\n",
        ),
        ("src/lib.rs", "pub fn f() {}\n"),
    ]);
    assert_eq!(
        listed(&dir, &[]),
        triples(&[
            ("cargo-fmt", "format", "cargo fmt --check"),
            (
                "cargo-clippy",
                "lint",
                "cargo clippy --all-targets -- -D warnings"
            ),
            ("cargo-test", "test", "cargo test"),
        ])
    );
}

#[test]
fn detects_the_gates_of_a_python_project() {
    let dir = project(&[(
        "pyproject.toml",
        "[project]\nname = \"fixture\"\nversion = \"0.1.0\"\n",
    )]);
    assert_eq!(
        listed(&dir, &[]),
        triples(&[
            ("ruff", "lint", "ruff check ."),
            ("ty", "typecheck", "ty check ."),
            ("pytest", "test", "pytest"),
        ])
    );
    std::fs::write(
        dir.path("pyproject.toml"),
        "[project]\nname = \"fixture\"\n\n[tool.mypy]\nstrict = true\n",
    )
    .unwrap();
    assert_eq!(listed(&dir, &[])[1].2, "mypy .");
}

#[test]
fn detects_the_gates_of_a_node_project() {
    let dir = project(&[(
        "package.json",
        r#"{"name":"fixture","scripts":{"lint":"eslint .","typecheck":"tsc --noEmit","test":"vitest run","build":"vite build"}}"#,
    )]);
    assert_eq!(
        listed(&dir, &[]),
        triples(&[
            ("npm-lint", "lint", "npm run lint"),
            ("npm-typecheck", "typecheck", "npm run typecheck"),
            ("npm-test", "test", "npm test"),
        ])
    );
}

const AGENT: &str = "---\nname: dev\ndescription: Builds things.\n---\n\n## Responsibilities\n\n1. **Run quality gates** -- Before marking any task complete:\n   ```bash\n   ruff check .          # Linting (Python)\n   unit                  # the configured gate\n   npm run lint && npm test  # (Node.js)\n   ```\n";

#[test]
fn an_agents_gates_are_its_commands_or_configured_gates() {
    let dir = project(&[
        ("agents/dev.md", AGENT),
        (
            "harness.toml",
            "[gates.unit]\ncommand = \"pytest -q\"\nkind = \"test\"\ntimeout = \"2m\"\n\n[gates.other]\ncommand = \"true\"\n",
        ),
    ]);
    assert_eq!(
        listed(&dir, &["--agent", "dev"]),
        triples(&[
            ("ruff-check", "lint", "ruff check ."),
            ("unit", "test", "pytest -q"),
            ("npm-lint-test", "test", "npm run lint && npm test"),
        ])
    );
    let out = dir.harness(["gate", "list", "--agent", "dev"]).run();
    let lines = norm_all(&out.stdout);
    assert_eq!(
        lines,
        [
            "GATE KIND TIMEOUT COMMAND WHY",
            "ruff-check lint 10m ruff check . agent `dev` at agents/dev.md:10",
            "unit test 2m pytest -q agent `dev` at agents/dev.md:11",
            "npm-lint-test test 10m npm run lint && npm test agent `dev` at agents/dev.md:12",
        ]
    );
    // Without the agent: the configured gates, with their provenance.
    let out = dir.harness(["gate", "list"]).run();
    assert_eq!(
        norm_all(&out.stdout),
        [
            "GATE KIND TIMEOUT COMMAND WHY",
            "other other 10m true configured at harness.toml:6",
            "unit test 2m pytest -q configured at harness.toml:1",
        ]
    );
    dir.harness(["gate", "list", "--agent", "nobody"]).assert(2);
}

#[test]
fn when_globs_skip_gates_with_no_matching_change() {
    let dir = project(&[
        (
            "harness.toml",
            "[gates.rust]\ncommand = \"true\"\nwhen = [\"**/*.rs\"]\n\n[gates.docs]\ncommand = \"true\"\nwhen = [\"*.md\"]\n\n[gates.always]\ncommand = \"true\"\n",
        ),
        ("README.md", "a\n"),
    ]);
    dir.commit_all("init");
    std::fs::write(dir.path("README.md"), "b\n").unwrap();

    let out = dir
        .harness(["gate", "list", "--changed-since", "HEAD"])
        .run();
    assert_eq!(
        norm_all(&out.stdout),
        [
            "GATE KIND TIMEOUT COMMAND WHY",
            "always other 10m true configured at harness.toml:9",
            "docs other 10m true configured at harness.toml:5",
            "rust other 10m true skipped: no file matching `when` changed since `HEAD`",
        ]
    );
    let out = dir
        .harness(["gate", "run", "--changed-since", "HEAD", "--format", "json"])
        .run();
    let report = out.json();
    let names: Vec<&str> = report["gates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["always", "docs"]);
    assert_eq!(report["dirty"], true);
    assert_eq!(report["commit"], dir.head());

    let out = dir
        .harness(["gate", "list", "--changed-since", "nope"])
        .assert(2);
    assert!(out.stderr.starts_with("error: cannot read revision `nope`"));
}

#[test]
fn gate_list_reads_the_realtime_dev_agent_of_this_repository() {
    let dir = project(&[(
        "agents/realtime-dev.md",
        &std::fs::read_to_string(manifest_dir().join("agents/realtime-dev.md")).unwrap(),
    )]);
    let commands: Vec<String> = listed(&dir, &["--agent", "realtime-dev"])
        .into_iter()
        .map(|(_, _, c)| c)
        .collect();
    assert_eq!(
        commands,
        [
            "ruff check .",
            "ty check .",
            "pytest",
            "npm run lint && npm test"
        ]
    );
}

#[test]
fn the_library_api_selects_runs_and_reads_back_evidence() {
    use harness::gate::{self, GateStatus, RunOptions, Silent, evidence};
    let dir = project(&[
        (
            "harness.toml",
            "[gates.fine]\ncommand = \"echo ok\"\n\n[gates.broken]\ncommand = \"exit 9\"\n",
        ),
        (".gitignore", "/.harness/\n"),
    ]);
    let head = dir.commit_all("init").to_string();

    let project = harness::config::Project::discover(&dir.root).unwrap();
    let specs = gate::select(&project, None, &["fine".to_string()], None).unwrap();
    assert_eq!(specs.len(), 1);
    let report = gate::run(specs, &RunOptions::new(&project.root), &Silent).unwrap();
    assert!(report.passed);
    assert_eq!(report.commit.as_deref(), Some(head.as_str()));
    assert!(!report.dirty, "recording evidence must not dirty the tree");
    assert_eq!(report.gates[0].status, GateStatus::Passed);
    assert_eq!(report.gates[0].tail, "ok");
    assert_eq!(
        evidence::latest(&project.root).unwrap().as_ref(),
        Some(&report)
    );
    assert_eq!(
        evidence::last_clean_pass(&project.root, "fine", &head).map(|r| r.id),
        Some(report.id.clone())
    );
    assert!(evidence::last_clean_pass(&project.root, "broken", &head).is_none());

    let all = gate::select(&project, None, &[], None).unwrap();
    let second = gate::run(all, &RunOptions::new(&project.root), &Silent).unwrap();
    assert!(!second.passed);
    assert_eq!(second.get("broken").unwrap().exit_code, Some(9));
    assert_eq!(evidence::run_ids(&project.root), [report.id, second.id]);
}
