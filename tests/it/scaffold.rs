//! `harness scaffold` end to end: the real binary on real files.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::common::{Repo, assert_contains, assert_ends_with, files_under, harness, manifest_dir};

/// The golden example is exactly what the approved plan generates.
#[test]
fn the_example_is_what_the_chat_room_plan_generates() {
    let repo = manifest_dir();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("chat-service");
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
            "examples/chat-service/{} differs from what `harness scaffold --plan 1` generates; \
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
        row("src/hub.rs"),
        ["src/hub.rs", "src/hub.rs.tera", "built-in"]
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
    assert!(
        !svc.join("src/redis.rs").exists(),
        "the default plan has no Redis"
    );
    let manifest = std::fs::read_to_string(svc.join(".harness-scaffold.json")).unwrap();
    let readme_hash = harness::scaffold::render::sha256(b"# demo\n");
    assert_contains(&manifest, &format!("\"README.md\": \"{readme_hash}\""));

    // The template changes and the user edits another file.
    std::fs::write(overrides.join("README.md.tera"), "# {{ service }} v2\n").unwrap();
    let lib = svc.join("src/lib.rs");
    let edited = format!("{}// mine\n", std::fs::read_to_string(&lib).unwrap());
    std::fs::write(&lib, &edited).unwrap();

    let run = p
        .harness(["scaffold", "new", "demo", "--out", "svc"])
        .assert(1);
    assert_eq!(
        run.stdout,
        format!(
            "{}:1:1: error: `src/lib.rs` was edited since it was generated; not overwriting it\n  = hint: see the change with --dry-run; keep your edit, or regenerate it with --force\n",
            lib.display()
        )
    );
    assert_eq!(
        std::fs::read_to_string(svc.join("README.md")).unwrap(),
        "# demo\n",
        "nothing written"
    );

    let diff = p
        .harness(["scaffold", "new", "demo", "--out", "svc", "--dry-run"])
        .run()
        .stdout;
    assert_contains(
        &diff,
        "--- a/README.md\n+++ b/README.md\n@@ -1 +1 @@\n-# demo\n+# demo v2\n",
    );
    assert_contains(&diff, "-// mine\n");
    assert_eq!(
        std::fs::read_to_string(svc.join("README.md")).unwrap(),
        "# demo\n",
        "dry run writes nothing"
    );

    p.harness(["scaffold", "new", "demo", "--out", "svc", "--force"])
        .assert(0);
    assert_eq!(
        std::fs::read_to_string(svc.join("README.md")).unwrap(),
        "# demo v2\n"
    );
    assert!(!std::fs::read_to_string(&lib).unwrap().contains("// mine"));

    let run = p.harness(["scaffold", "new", "demo", "--out", "svc"]).run();
    assert_ends_with(
        &run.stdout,
        "0 created, 0 updated, 0 removed, 37 unchanged\n",
    );
}

const DRAFT: &str = "---\nid: 1\ntitle: \"Chat\"\nagent: \"realtime-dev\"\nstatus: draft\ncreated: \"2026-01-01T00:00:00Z\"\n---\n## PLAN: Chat\n\n### Realtime Spec\n\n```yaml realtime\nchannels:\n  - name: lobby\n    events:\n      - name: message\n        schema: { text: string }\n    publish: [member]\n    subscribe: [member]\n    history: 10\n```\n\n### Files to Change\n- `svc/**`: the service\n\nPLAN_APPROVED: pending\n";

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
