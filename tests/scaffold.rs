//! `harness scaffold` end to end: the real binary on real files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn harness(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_harness"))
        .arg("-C")
        .arg(dir)
        .args(["--color", "never"])
        .args(args)
        .env("HARNESS_NOW", "2026-01-02T03:04:05Z")
        .output()
        .expect("harness runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Every file under `dir`, relative path → contents.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap().to_path_buf();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

/// The golden example is exactly what the approved plan generates.
#[test]
fn the_example_is_what_the_chat_room_plan_generates() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("chat-service");
    let run = harness(
        repo,
        &["scaffold", "--plan", "1", "--out", out.to_str().unwrap()],
    );
    assert!(run.status.success(), "{}", text(&run.stderr));
    let expected = tree(&repo.join("examples/chat-service"));
    let generated = tree(&out);
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

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("harness.toml"), "").unwrap();
    dir
}

#[test]
fn reruns_update_untouched_files_and_refuse_edited_ones() {
    let p = project();
    let dir = p.path();
    let overrides = dir.join("templates/scaffold");
    std::fs::create_dir_all(&overrides).unwrap();
    std::fs::write(overrides.join("README.md.tera"), "# {{ service }}\n").unwrap();

    let list = harness(dir, &["scaffold", "list"]);
    let listed = text(&list.stdout);
    assert!(
        listed.contains(
            "README.md            README.md.tera            templates/scaffold/README.md.tera"
        ) || listed.contains(&format!("{}", overrides.join("README.md.tera").display())),
        "{listed}"
    );
    assert!(
        listed.contains("src/hub.rs           src/hub.rs.tera           built-in"),
        "{listed}"
    );

    let run = harness(dir, &["scaffold", "new", "demo", "--out", "svc"]);
    assert!(run.status.success(), "{}", text(&run.stderr));
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
    assert!(
        manifest.contains(&format!("\"README.md\": \"{readme_hash}\"")),
        "{manifest}"
    );

    // The template changes and the user edits another file.
    std::fs::write(overrides.join("README.md.tera"), "# {{ service }} v2\n").unwrap();
    let lib = svc.join("src/lib.rs");
    let edited = format!("{}// mine\n", std::fs::read_to_string(&lib).unwrap());
    std::fs::write(&lib, &edited).unwrap();

    let run = harness(dir, &["scaffold", "new", "demo", "--out", "svc"]);
    assert_eq!(run.status.code(), Some(1));
    assert_eq!(
        text(&run.stdout),
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

    let run = harness(
        dir,
        &["scaffold", "new", "demo", "--out", "svc", "--dry-run"],
    );
    let diff = text(&run.stdout);
    assert!(
        diff.contains("--- a/README.md\n+++ b/README.md\n@@ -1 +1 @@\n-# demo\n+# demo v2\n"),
        "{diff}"
    );
    assert!(diff.contains("-// mine\n"), "{diff}");
    assert_eq!(
        std::fs::read_to_string(svc.join("README.md")).unwrap(),
        "# demo\n",
        "dry run writes nothing"
    );

    let run = harness(dir, &["scaffold", "new", "demo", "--out", "svc", "--force"]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert_eq!(
        std::fs::read_to_string(svc.join("README.md")).unwrap(),
        "# demo v2\n"
    );
    assert!(!std::fs::read_to_string(&lib).unwrap().contains("// mine"));

    let run = harness(dir, &["scaffold", "new", "demo", "--out", "svc"]);
    assert!(
        text(&run.stdout).ends_with("0 created, 0 updated, 0 removed, 18 unchanged\n"),
        "{}",
        text(&run.stdout)
    );
}

const DRAFT: &str = "---\nid: 1\ntitle: \"Chat\"\nagent: \"realtime-dev\"\nstatus: draft\ncreated: \"2026-01-01T00:00:00Z\"\n---\n## PLAN: Chat\n\n### Realtime Spec\n\n```yaml realtime\nchannels:\n  - name: lobby\n    events:\n      - name: message\n        schema: { text: string }\n    publish: [member]\n    subscribe: [member]\n    history: 10\n```\n\n### Files to Change\n- `svc/**`: the service\n\nPLAN_APPROVED: pending\n";

#[test]
fn a_plan_that_is_not_approved_is_refused_and_nothing_written() {
    let p = project();
    let dir = p.path();
    std::fs::create_dir_all(dir.join("plans")).unwrap();
    std::fs::write(dir.join("plans/0001-chat.md"), DRAFT).unwrap();
    let run = harness(dir, &["scaffold", "--plan", "1", "--out", "svc"]);
    assert_eq!(run.status.code(), Some(2), "{}", text(&run.stdout));
    assert!(
        text(&run.stderr).contains("error: plan 0001 is not approved"),
        "{}",
        text(&run.stderr)
    );
    assert!(!dir.join("svc").exists());
}

#[test]
fn usage_errors_exit_2() {
    let p = project();
    let run = harness(p.path(), &["scaffold", "--plan", "1"]);
    assert_eq!(run.status.code(), Some(2));
    assert!(
        text(&run.stderr).contains("needs `--plan ID --out DIR`"),
        "{}",
        text(&run.stderr)
    );
    let run = harness(p.path(), &["scaffold", "new", "Bad_Name", "--out", "x"]);
    assert_eq!(run.status.code(), Some(2));
    assert!(text(&run.stderr).contains("`Bad_Name` is not a crate name"));
    assert!(!p.path().join("x").exists());
}
