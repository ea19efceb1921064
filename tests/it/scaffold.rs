//! `harness-agents scaffold` end to end: the real binary on real files.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::common::{Repo, assert_contains, assert_ends_with, files_under, harness, manifest_dir};

/// The golden example is exactly what the approved plan generates. It is
/// generated where the example sits relative to the runtime crate, so that
/// it depends on the runtime by the same relative path.
#[test]
fn the_example_is_what_the_chat_room_plan_generates() {
    let repo = manifest_dir();
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("runtime")).unwrap();
    std::fs::copy(
        repo.join("runtime/Cargo.toml"),
        tmp.path().join("runtime/Cargo.toml"),
    )
    .unwrap();
    let out = tmp.path().join("examples/chat-service");
    harness(["scaffold", "--plan", "1", "--out", out.to_str().unwrap()])
        .current_dir(repo)
        .assert(0);
    // What the client's `npm ci`, build and tests leave in the example is
    // git-ignored (web/.gitignore), not generated.
    let local = ["web/node_modules", "web/dist", "web/test-results"];
    let mut expected = files_under(&repo.join("examples/chat-service"));
    expected.retain(|path, _| !local.iter().any(|dir| path.starts_with(dir)));
    let generated = files_under(&out);
    let names = |t: &BTreeMap<PathBuf, Vec<u8>>| t.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(&generated), names(&expected), "the same files");
    for (path, contents) in &generated {
        assert!(
            expected[path] == *contents,
            "examples/chat-service/{} differs from what `harness-agents scaffold --plan 1` generates; \
             regenerate it with `cargo run -- scaffold --plan 1 --out examples/chat-service`",
            path.display()
        );
    }
}

fn project() -> Repo {
    let repo = Repo::new();
    repo.write("harness.toml", "");
    repo
}

#[test]
fn reruns_update_untouched_files_and_refuse_edited_ones() {
    let p = project();
    let dir = &p.root;
    let overrides = dir.join("templates/scaffold");
    std::fs::create_dir_all(&overrides).unwrap();
    std::fs::write(overrides.join("README.md.tera"), "# {{ service }}\n").unwrap();

    let listed = p.harness(["scaffold", "list"]).run().stdout;
    assert!(
        listed.contains(
            "README.md            README.md.tera            templates/scaffold/README.md.tera"
        ) || listed.contains(&format!("{}", overrides.join("README.md.tera").display())),
        "{listed}"
    );
    let row = |name: &str| {
        listed
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .find(|cells| cells.first() == Some(&name))
            .unwrap_or_else(|| panic!("no row for {name} in\n{listed}"))
    };
    assert_eq!(
        row("src/events.rs"),
        ["src/events.rs", "src/events.rs.tera", "built-in"]
    );
    assert_eq!(
        row("web/src/{Name}Context.tsx"),
        [
            "web/src/{Name}Context.tsx",
            "web/src/{Name}Context.tsx.tera",
            "built-in"
        ]
    );

    p.harness(["scaffold", "new", "demo", "--out", "svc"])
        .assert(0);
    let svc = dir.join("svc");
    assert_eq!(
        std::fs::read_to_string(svc.join("README.md")).unwrap(),
        "# demo\n"
    );
    let cargo_toml = std::fs::read_to_string(svc.join("Cargo.toml")).unwrap();
    assert_contains(
        &cargo_toml,
        "harness-realtime = { path = \"vendor/harness-realtime\" }\n",
    );
    assert_eq!(
        std::fs::read_to_string(svc.join("vendor/harness-realtime/src/hub.rs")).unwrap(),
        std::fs::read_to_string(manifest_dir().join("runtime/src/hub.rs")).unwrap(),
        "outside this repository the runtime is vendored"
    );
    let manifest = std::fs::read_to_string(svc.join(".harness-scaffold.json")).unwrap();
    let readme_hash = harness::scaffold::render::sha256(b"# demo\n");
    assert_contains(&manifest, &format!("\"README.md\": \"{readme_hash}\""));

    // The template changes and the user edits another file, which the
    // template leaves as it was: the edit stays, the template's change lands.
    std::fs::write(overrides.join("README.md.tera"), "# {{ service }} v2\n").unwrap();
    let lib = svc.join("src/lib.rs");
    let edited = format!("{}// mine\n", std::fs::read_to_string(&lib).unwrap());
    std::fs::write(&lib, &edited).unwrap();

    let diff = p
        .harness(["scaffold", "new", "demo", "--out", "svc", "--dry-run"])
        .run()
        .stdout;
    assert_eq!(
        diff, "--- a/README.md\n+++ b/README.md\n@@ -1 +1 @@\n-# demo\n+# demo v2\n",
        "a dry run shows the template's change, not the kept edit"
    );
    assert_eq!(
        std::fs::read_to_string(svc.join("README.md")).unwrap(),
        "# demo\n",
        "dry run writes nothing"
    );

    let run = p
        .harness(["scaffold", "new", "demo", "--out", "svc"])
        .assert(0);
    assert!(
        run.stdout.starts_with("update  README.md\n"),
        "{}",
        run.stdout
    );
    assert_ends_with(
        &run.stdout,
        "svc: 0 created, 1 updated, 0 removed, 56 unchanged\n",
    );
    assert_eq!(
        std::fs::read_to_string(svc.join("README.md")).unwrap(),
        "# demo v2\n"
    );
    assert_eq!(std::fs::read_to_string(&lib).unwrap(), edited);

    p.harness(["scaffold", "new", "demo", "--out", "svc", "--force"])
        .assert(0);
    assert!(!std::fs::read_to_string(&lib).unwrap().contains("// mine"));

    let run = p.harness(["scaffold", "new", "demo", "--out", "svc"]).run();
    assert_ends_with(
        &run.stdout,
        "0 created, 0 updated, 0 removed, 57 unchanged\n",
    );
}

/// A plan change re-run over a user's edits: a three-way merge with what
/// harness generated last as the base. An edit away from the change is kept
/// along with it; one on the same line is a conflict, written between
/// markers and reported (exit 1); the rest is written.
#[test]
fn a_plan_change_is_merged_into_edited_files() {
    let p = project();
    std::fs::create_dir_all(p.path("plans")).unwrap();
    std::fs::write(p.path("plans/0001-chat.md"), DRAFT).unwrap();
    p.harness(["plan", "approve", "1", "--by", "alice"])
        .assert(0);
    p.harness(["scaffold", "--plan", "1", "--out", "svc"])
        .assert(0);

    // The user documents the events module and edits the README's table row.
    let events = p.path("svc/src/events.rs");
    let generated = std::fs::read_to_string(&events).unwrap();
    let first = generated.lines().next().unwrap();
    std::fs::write(
        &events,
        generated.replacen(
            first,
            &format!("{first}\n//! (Ours: keep payloads small.)"),
            1,
        ),
    )
    .unwrap();
    let row = "| `lobby` | `message` v1 {text} | member | member | 10 | no |";
    let readme = std::fs::read_to_string(p.path("svc/README.md")).unwrap();
    assert_contains(&readme, row);
    let ours = "| `lobby` | `message` v1 {text}: chat lines | member | member | 10 | no |";
    std::fs::write(p.path("svc/README.md"), readme.replace(row, ours)).unwrap();

    // The plan gains an optional field, and is approved again.
    let plan = DRAFT.replace(
        "schema: { text: string }",
        "schema: { text: string, mood: \"string?\" }",
    );
    std::fs::write(p.path("plans/0001-chat.md"), plan).unwrap();
    p.harness(["plan", "approve", "1", "--by", "alice"])
        .assert(0);
    let run = p
        .harness(["scaffold", "--plan", "1", "--out", "svc"])
        .assert(1);
    assert_contains(&run.stdout, "merge   src/events.rs\n");
    assert_contains(&run.stdout, "conflict README.md\n");
    // The client's types follow the plan too.
    assert_contains(&run.stdout, "update  web/src/protocol.ts\n");
    assert_contains(
        &run.stdout,
        "svc: 0 created, 1 updated, 1 merged, 0 removed, 52 unchanged, 1 in conflict\n",
    );
    let readme = std::fs::read_to_string(p.path("svc/README.md")).unwrap();
    let line = readme.lines().position(|l| l == "<<<<<<< ours").unwrap() + 1;
    assert_ends_with(
        &run.stdout,
        &format!(
            "{}:{line}:1: error: `README.md`: your edit and the template's change overlap; the file \
             holds both between conflict markers\n  = hint: keep what you want between `<<<<<<< ours` \
             and `>>>>>>> theirs`, delete the markers, and re-run; or take the template's version \
             with --force\n",
            p.path("svc/README.md").display()
        ),
    );
    assert_contains(
        &readme,
        &format!(
            "<<<<<<< ours\n{ours}\n||||||| original\n{row}\n=======\n\
             | `lobby` | `message` v1 {{mood?, text}} | member | member | 10 | no |\n>>>>>>> theirs\n"
        ),
    );
    let events = std::fs::read_to_string(&events).unwrap();
    assert_contains(&events, "//! (Ours: keep payloads small.)\n");
    assert_contains(
        &events,
        "    #[serde(default, skip_serializing_if = \"Option::is_none\")]\n    pub mood: Option<String>,\n",
    );

    // Until the markers are gone the file is left alone and still reported.
    let run = p
        .harness(["scaffold", "--plan", "1", "--out", "svc"])
        .assert(1);
    assert_contains(&run.stdout, "`README.md` was edited since it was generated");
    let resolved = readme
        .lines()
        .filter(|l| {
            !l.starts_with("<<<<<<<")
                && !l.starts_with("|||||||")
                && !l.starts_with("=======")
                && !l.starts_with(">>>>>>>")
        })
        .filter(|l| *l != row && *l != ours)
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(p.path("svc/README.md"), format!("{resolved}\n")).unwrap();
    let run = p
        .harness(["scaffold", "--plan", "1", "--out", "svc"])
        .assert(0);
    assert_ends_with(&run.stdout, "0 removed, 55 unchanged\n");
}

const DRAFT: &str = "---\nid: 1\ntitle: \"Chat\"\nagent: \"realtime-dev\"\nstatus: draft\ncreated: \"2026-01-01T00:00:00Z\"\n---\n## PLAN: Chat\n\n### Realtime Spec\n\n```yaml realtime\nchannels:\n  - name: lobby\n    events:\n      - name: message\n        schema: { text: string }\n    publish: [member]\n    subscribe: [member]\n    history: 10\n```\n\n### Files to Change\n- `svc/**`: the service\n\nPLAN_APPROVED: pending\n";

/// The realtime engineer's plan names its front-end files: the client goes
/// there, its modules import each other across those directories, and the
/// names follow the files.
const FRONT_END: &str = "---\nid: 1\ntitle: \"Call\"\nagent: \"realtime-engineer\"\nstatus: draft\ncreated: \"2026-01-01T00:00:00Z\"\n---\n## PLAN: Call\n\n### Realtime Spec\n\n```yaml realtime\nservice: call-service\nchannels:\n  - name: \"room:{id}\"\n    events:\n      - name: message\n        schema: { text: string }\n    publish: [member]\n    subscribe: [member]\n    history: 10\n    presence: true\nlivekit:\n  rooms:\n    - name: \"call:{id}\"\n      tracks: [audio, video]\n      grants:\n        member: { publish: true, subscribe: true }\navatars:\n  - name: host\n    provider: heygen\n    fallback: text\n```\n\n### Files to Change\n- `services/call/**`: the service\n- `app/src/contexts/VideoContext.tsx`: state\n- `app/src/hooks/useVideoCall.ts`: hook\n- `app/src/services/videoService.ts`: API\n\nPLAN_APPROVED: pending\n";

#[test]
fn the_client_goes_where_the_plans_front_end_files_are() {
    let p = project();
    std::fs::create_dir_all(p.path("plans")).unwrap();
    std::fs::write(p.path("plans/0001-call.md"), FRONT_END).unwrap();
    p.harness(["plan", "approve", "1", "--by", "alice"])
        .assert(0);
    let run = p
        .harness(["scaffold", "--plan", "1", "--out", "services/call"])
        .assert(0);
    for file in [
        "app/package.json",
        "app/tsconfig.json",
        "app/src/contexts/VideoContext.tsx",
        "app/src/contexts/VideoContext.test.ts",
        "app/src/hooks/useMessages.ts",
        "app/src/hooks/useRoom.ts",
        "app/src/hooks/useAvatar.ts",
        "app/src/services/videoService.ts",
        "app/src/transport.ts",
        "app/src/livekit.ts",
        "app/src/demo.tsx",
    ] {
        assert!(p.path(file).is_file(), "{file} generated:\n{}", run.stdout);
        assert_contains(&run.stdout, &format!("create  ../../{file}\n"));
    }
    assert!(!p.path("services/call/web").exists());
    let read = |f: &str| std::fs::read_to_string(p.path(f)).unwrap();
    let hook = read("app/src/hooks/useRoom.ts");
    assert_contains(
        &hook,
        "import { LiveRoom, ROOM_IDLE, type RoomSnapshot } from \"../livekit\";\n",
    );
    assert_contains(
        &hook,
        "import { useVideo } from \"../contexts/VideoContext\";\n",
    );
    assert_contains(
        &hook,
        "import { roomToken } from \"../services/videoService\";\n",
    );
    let context = read("app/src/contexts/VideoContext.tsx");
    assert_contains(&context, "from \"../services/videoService\";\n");
    assert_contains(&context, "export function VideoProvider(");
    let demo = read("app/src/demo.tsx");
    assert_contains(
        &demo,
        "import { useConnection } from \"./hooks/useConnection\";\n",
    );
    let browser = read("services/call/tests/browser.rs");
    assert_contains(&browser, ".join(\"../../app\");");

    // A re-run finds every file where it put it.
    let again = p
        .harness(["scaffold", "--plan", "1", "--out", "services/call"])
        .assert(0);
    assert_contains(&again.stdout, " 0 created, 0 updated, 0 removed, ");
}

/// The relocated client, with its LiveKit and avatar parts, type-checks
/// under `tsc --strict` against the real `livekit-client` package.
#[test]
#[ignore = "needs Node.js and `npm ci` in examples/chat-service/web (.ci/run does both)"]
fn the_relocated_client_type_checks_under_strict() {
    let modules = manifest_dir().join("examples/chat-service/web/node_modules");
    assert!(
        modules.is_dir(),
        "run `npm ci` in examples/chat-service/web first"
    );
    let p = project();
    std::fs::create_dir_all(p.path("plans")).unwrap();
    std::fs::write(p.path("plans/0001-call.md"), FRONT_END).unwrap();
    p.harness(["plan", "approve", "1", "--by", "alice"])
        .assert(0);
    p.harness(["scaffold", "--plan", "1", "--out", "services/call"])
        .assert(0);
    std::os::unix::fs::symlink(&modules, p.path("app/node_modules")).unwrap();
    let ok = tsc(&p.path("app"));
    assert!(
        ok.status.success(),
        "{}{}",
        String::from_utf8_lossy(&ok.stdout),
        String::from_utf8_lossy(&ok.stderr)
    );
}

#[test]
fn front_end_files_under_no_src_or_two_roots_are_refused() {
    let p = project();
    std::fs::create_dir_all(p.path("plans")).unwrap();
    let cases = [
        (
            "- `app/hooks/useVideoCall.ts`: hook\n",
            "`app/hooks/useVideoCall.ts`",
            "error: `app/hooks/useVideoCall.ts` in Files to Change is a front-end file under no \
             `src/` directory\n  = hint: put the client's files under its `src/`",
        ),
        (
            "- `app/src/hooks/useVideoCall.ts`: hook\n- `web/src/services/videoService.ts`: API\n",
            "`web/src/services/videoService.ts`",
            "error: `web/src/services/videoService.ts` puts the client in `web/`, but line {prev} \
             put it in `app/`\n",
        ),
    ];
    for (entries, entry, error) in cases {
        let plan = FRONT_END.replace(
            "- `app/src/contexts/VideoContext.tsx`: state\n- `app/src/hooks/useVideoCall.ts`: hook\n- `app/src/services/videoService.ts`: API\n",
            entries,
        );
        std::fs::write(p.path("plans/0001-call.md"), plan).unwrap();
        p.harness(["plan", "approve", "1", "--by", "alice"])
            .assert(0);
        let approved = std::fs::read_to_string(p.path("plans/0001-call.md")).unwrap();
        let line = approved.lines().position(|l| l.contains(entry)).unwrap() + 1;
        let run = p
            .harness(["scaffold", "--plan", "1", "--out", "services/call"])
            .assert(2);
        let error = error.replace("{prev}", &(line - 1).to_string());
        assert_contains(
            &run.stderr,
            &format!("plans/0001-call.md:{line}:1: {error}"),
        );
        assert!(!p.path("services/call").exists());
    }
}

#[test]
fn a_plan_that_is_not_approved_is_refused_and_nothing_written() {
    let p = project();
    let dir = &p.root;
    std::fs::create_dir_all(dir.join("plans")).unwrap();
    std::fs::write(dir.join("plans/0001-chat.md"), DRAFT).unwrap();
    let run = p
        .harness(["scaffold", "--plan", "1", "--out", "svc"])
        .assert(2);
    assert_contains(&run.stderr, "error: plan 0001 is not approved");
    assert!(!dir.join("svc").exists());
}

#[test]
fn usage_errors_exit_2() {
    let p = project();
    let run = p.harness(["scaffold", "--plan", "1"]).assert(2);
    assert_contains(&run.stderr, "needs `--plan ID --out DIR`");
    let run = p
        .harness(["scaffold", "new", "Bad_Name", "--out", "x"])
        .assert(2);
    assert!(run.stderr.contains("`Bad_Name` is not a crate name"));
    assert!(!p.path("x").exists());
}

/// A plan unlike the example's: a parameterised channel without a string
/// field or typing, and a plain one.
fn game_spec(x: &str) -> String {
    format!(
        "channels:\n  - name: \"match:{{id}}\"\n    events:\n      - name: move\n        version: 2\n        schema: {{ {x}: int, y: int, note: \"string?\", meta: json }}\n    publish: [player]\n    subscribe: [player, viewer]\n    history: 50\n    presence: true\n  - name: scores\n    events:\n      - name: score\n        schema: {{ points: float, final: bool }}\n    publish: [referee]\n    subscribe: [player]\n"
    )
}

fn generate_game(out: &std::path::Path, x: &str) {
    use harness::scaffold::{Engine, Options, Source, generate};
    let text = game_spec(x);
    let spec = harness::realtime::parse_block(std::path::Path::new("game.md"), &text, 1).unwrap();
    let src = Source::new_service(&spec, "game").unwrap();
    let done = generate(&Engine::load(None).unwrap(), src, out, Options::default()).unwrap();
    assert!(done.written, "{:?}", done.conflicts());
}

/// The plan's `security` block reaches the generated service's defaults:
/// its origins and whether `/metrics` needs a token (never the token).
#[test]
fn the_plans_origins_and_metrics_access_reach_the_generated_config() {
    use harness::scaffold::{Engine, Options, Source, generate};
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{}security:\n  allowed_origins: [\"https://chat.example\", \"http://localhost:5173\"]\n  metrics: token\n",
        game_spec("x")
    );
    let spec = harness::realtime::parse_block(std::path::Path::new("game.md"), &text, 1).unwrap();
    let src = Source::new_service(&spec, "game").unwrap();
    let out = dir.path().join("game");
    generate(&Engine::load(None).unwrap(), src, &out, Options::default()).unwrap();
    let config = std::fs::read_to_string(out.join("src/config.rs")).unwrap();
    assert!(
        config.contains(r#"allowed_origins: &["https://chat.example", "http://localhost:5173"],"#),
        "{config}"
    );
    assert!(
        config.contains("metrics: MetricsAccess::Token,"),
        "{config}"
    );
    assert!(config.contains("| `METRICS_TOKEN` | required"), "{config}");
    // Without the block: any origin, loopback scrapers.
    generate_game(&dir.path().join("plain"), "x");
    let plain = std::fs::read_to_string(dir.path().join("plain/src/config.rs")).unwrap();
    assert!(plain.contains("allowed_origins: &[],"), "{plain}");
    assert!(
        plain.contains("metrics: MetricsAccess::Loopback,"),
        "{plain}"
    );
}

fn tsc(web: &std::path::Path) -> std::process::Output {
    std::process::Command::new(web.join("node_modules/.bin/tsc"))
        .args(["--strict", "--noEmit", "-p", "."])
        .current_dir(web)
        .output()
        .unwrap()
}

/// The client is typed from the plan: code written against it type-checks,
/// and a change in the plan makes `tsc --strict` flag the code it breaks.
#[test]
#[ignore = "needs Node.js and `npm ci` in examples/chat-service/web (.ci/run does both)"]
fn a_change_in_the_plan_is_caught_by_tsc_in_the_client() {
    let modules = manifest_dir().join("examples/chat-service/web/node_modules");
    assert!(
        modules.is_dir(),
        "run `npm ci` in examples/chat-service/web first"
    );
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("game");
    generate_game(&out, "x");
    let web = out.join("web");
    assert!(web.join("src/GameContext.tsx").is_file());
    assert!(web.join("src/gameService.ts").is_file());
    assert!(
        !web.join("src/useTyping.ts").exists(),
        "no typing event, no typing hook"
    );
    std::os::unix::fs::symlink(&modules, web.join("node_modules")).unwrap();
    std::fs::write(
        web.join("src/app.ts"),
        "import { useMessages } from \"./useMessages\";\n\n\
         export function useMoves(): number[] {\n\
         \x20 const { messages, send } = useMessages(\"match:7\", \"move\");\n\
         \x20 void send(\"move\", { x: 1, y: 2, meta: null });\n\
         \x20 return messages.map((m) => m.event.data.x);\n\
         }\n",
    )
    .unwrap();
    let ok = tsc(&web);
    assert!(
        ok.status.success(),
        "{}{}",
        String::from_utf8_lossy(&ok.stdout),
        String::from_utf8_lossy(&ok.stderr)
    );

    // The plan renames `x`: the service and the client change together,
    // and the app's code no longer fits.
    generate_game(&out, "column");
    let broken = tsc(&web);
    let text = String::from_utf8_lossy(&broken.stdout);
    assert!(!broken.status.success(), "{text}");
    assert_contains(&text, "src/app.ts(5,");
    assert_contains(&text, "'x' does not exist");
    assert_contains(&text, "src/app.ts(6,");
}

/// A service generated outside this repository resolves with nothing but
/// crates.io: its runtime is the vendored copy. Resolution only, as
/// building the service would compile the whole dependency tree again; and
/// offline, from the registry cache the workspace's build filled, so it
/// starts from the workspace's lock file and this machine's platform.
#[test]
fn a_service_outside_the_repository_resolves_against_its_vendored_runtime() {
    let p = project();
    p.harness(["scaffold", "new", "demo", "--out", "svc"])
        .assert(0);
    std::fs::copy(manifest_dir().join("Cargo.lock"), p.path("svc/Cargo.lock")).unwrap();
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let version = std::process::Command::new(rustc)
        .arg("-vV")
        .output()
        .unwrap();
    let version = String::from_utf8(version.stdout).unwrap();
    let host = version
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .expect("rustc names its host");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args(["metadata", "--offline", "--format-version", "1"])
        .args(["--filter-platform", host, "--manifest-path"])
        .arg(p.path("svc/Cargo.toml"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "cargo metadata failed:\n{stderr}");
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let runtime = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|pkg| pkg["name"] == "harness-realtime")
        .expect("the runtime is a package of the service's build");
    let manifest = PathBuf::from(runtime["manifest_path"].as_str().unwrap());
    assert!(
        manifest.ends_with("svc/vendor/harness-realtime/Cargo.toml"),
        "{}",
        manifest.display()
    );
    let resolved = meta["resolve"]["nodes"].as_array().unwrap();
    assert!(
        resolved
            .iter()
            .any(|n| n["id"].as_str().unwrap().contains("axum")),
        "the runtime's own dependencies resolve"
    );
}

/// The realtime block's reference, and an error that quotes it: the field,
/// what it takes and where, instead of the parser's internals.
#[test]
fn the_realtime_block_is_documented_and_its_errors_name_the_field() {
    let p = project();
    let spec = p.harness(["scaffold", "--help-spec"]).assert(0).stdout;
    assert_contains(
        &spec,
        "\nlimits.queue: integer (default: 256)\n    frames queued for one subscriber before `slow_client` applies\n",
    );
    assert_contains(
        &spec,
        "\nchannels[].name: string: a name, or a pattern with one `{param}` (required)\n",
    );
    let json = p
        .harness(["--format", "json", "scaffold", "--help-spec"])
        .assert(0)
        .stdout;
    let fields: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(fields[2]["path"], "transport");
    assert_eq!(fields[2]["default"], "websocket");

    std::fs::create_dir_all(p.path("plans")).unwrap();
    std::fs::write(
        p.path("plans/0001-chat.md"),
        DRAFT.replace(
            "```yaml realtime\n",
            "```yaml realtime\ntransport: livekit\n",
        ),
    )
    .unwrap();
    let run = p
        .harness(["plan", "approve", "1", "--by", "alice"])
        .assert(2);
    assert_eq!(
        run.stderr,
        "plans/0001-chat.md:13:12: error: realtime block: `transport` takes `websocket`, `sse`, \
         or a list of them: unknown variant `livekit`, expected one of websocket, sse\n   \
         |\n13 | transport: livekit\n   |            ^^^^^^^\n   = hint: `transport`: the \
         endpoints; the generated service needs `websocket` (default: websocket); \
         `harness-agents scaffold --help-spec` lists every field\n"
    );
}

/// Generated inside a Cargo workspace, a service joins its members, with
/// the rest of the workspace's manifest left as it was, and cargo sees it.
#[test]
fn a_service_generated_in_a_workspace_joins_it() {
    let p = project();
    let root = "# the team's crates\n[workspace]\nmembers = [\"crates/*\"]\nresolver = \"3\"\n";
    p.write("Cargo.toml", root);
    p.write(
        "crates/util/Cargo.toml",
        "[package]\nname = \"util\"\nversion = \"0.1.0\"\nedition = \"2024\"\n",
    );
    p.write("crates/util/src/lib.rs", "");
    let dry = p
        .harness([
            "scaffold",
            "new",
            "demo",
            "--out",
            "services/demo",
            "--dry-run",
        ])
        .assert(0)
        .stdout;
    assert_contains(
        &dry,
        "-members = [\"crates/*\"]\n+members = [\"crates/*\", \"services/demo\"]\n",
    );
    assert_eq!(std::fs::read_to_string(p.path("Cargo.toml")).unwrap(), root);

    let run = p
        .harness(["scaffold", "new", "demo", "--out", "services/demo"])
        .assert(0);
    assert_ends_with(
        &run.stdout,
        &format!(
            "{}: added `services/demo` to the workspace members\n",
            p.path("Cargo.toml").display()
        ),
    );
    assert_eq!(
        std::fs::read_to_string(p.path("Cargo.toml")).unwrap(),
        root.replace("[\"crates/*\"]", "[\"crates/*\", \"services/demo\"]")
    );
    let run = p
        .harness(["scaffold", "new", "demo", "--out", "services/demo"])
        .assert(0);
    assert!(!run.stdout.contains("workspace members"), "{}", run.stdout);

    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args([
            "metadata",
            "--offline",
            "--no-deps",
            "--format-version",
            "1",
        ])
        .current_dir(&p.root)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "cargo metadata failed:\n{stderr}");
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|pkg| pkg["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"demo") && names.contains(&"util"),
        "{names:?}"
    );
}
