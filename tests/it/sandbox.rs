//! `harness-agents sandbox`: real commands under the kernel's Landlock rules.
//!
//! Every test runs real processes against real files: the writes the guard
//! cannot see (interpreters, patches, globs, here-strings), direct system
//! calls from a small C program, and their harmless twins, which must
//! still work. Tests need a kernel with Landlock ABI 3 or later; on one
//! without, they are skipped with a note (the refusal itself is unit-tested
//! in `sandbox::landlock`).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{Harness, Repo, manifest_dir};

const TEST_FILE: &str = "src/tests/ws.rs";
const ORIGINAL: &str = "#[test] fn ws() { assert!(false) }\n";

/// An agent that may write anywhere its protected paths allow, and never
/// test files.
const DEV: &str = "---\nname: dev\ndescription: Writes code and never tests.\ntools: [Read, Write, Bash]\n---\n\n## Constraints\n\n- Do NOT modify test files under any circumstances.\n";

pub fn landlock_abi() -> i32 {
    // SAFETY: the version query passes no pointer the kernel reads.
    let v = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<libc::c_void>(),
            0usize,
            1u32,
        )
    };
    i32::try_from(v).unwrap_or(0).max(0)
}

/// A repository with the `dev` agent, a protected test file, a home with a
/// test key and a temporary directory of its own.
struct Setup {
    repo: Repo,
    home: tempfile::TempDir,
    tmp: tempfile::TempDir,
}

impl Setup {
    fn new() -> Option<Setup> {
        if landlock_abi() < 3 {
            eprintln!("skipped: this kernel has no Landlock ABI 3");
            return None;
        }
        let repo = Repo::new();
        repo.write("agents/dev.md", DEV);
        repo.write(TEST_FILE, ORIGINAL);
        repo.write("src/lib.rs", "pub fn a() {}\n");
        repo.write("src/chat/mod.rs", "pub fn chat() {}\n");
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(home.path().join(".ssh")).unwrap();
        std::fs::write(home.path().join(".ssh/id_ed25519"), "PRIVATE KEY\n").unwrap();
        std::fs::write(home.path().join(".gitconfig"), "").unwrap();
        let tmp = tempfile::tempdir().unwrap();
        Some(Setup { repo, home, tmp })
    }

    fn sandbox(&self, agent: &str, extra: &[&str], command: &[&str]) -> Harness {
        let mut args = vec!["sandbox", "--agent", agent];
        args.extend(extra);
        args.push("--");
        args.extend(command);
        self.repo
            .harness(args)
            .env("HOME", self.home.path())
            .env("GIT_CONFIG_GLOBAL", self.home.path().join(".gitconfig"))
            .env("TMPDIR", self.tmp.path())
    }

    fn sh(&self, script: &str) -> crate::common::Run {
        self.sandbox("dev", &[], &["bash", "-c", script]).run()
    }

    #[track_caller]
    fn assert_untouched(&self) {
        assert_eq!(self.repo.read(TEST_FILE), ORIGINAL);
    }
}

fn python() -> &'static str {
    if Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    }
}

#[test]
fn the_guards_blind_spots_cannot_change_a_protected_file() {
    let Some(s) = Setup::new() else { return };
    let patch = s.tmp.path().join("p.diff");
    std::fs::write(
        &patch,
        "--- a/src/tests/ws.rs\n+++ b/src/tests/ws.rs\n@@ -1 +1 @@\n-#[test] fn ws() { assert!(false) }\n+#[test] fn ws() {}\n",
    )
    .unwrap();
    s.repo.git(&["add", "-A"]);
    s.repo.git(&["commit", "-qm", "chore: start"]);
    let p = patch.display();
    let py = python();
    let forms = [
        format!("{py} -c 'open(\"src/tests/ws.rs\", \"w\").write(\"pass\")'"),
        format!("git apply {p}"),
        format!("patch -p1 < {p}"),
        "echo src/tests/ws.rs | xargs sed -i 's/false/true/'".to_string(),
        "for f in src/t*s/*.rs; do echo '' > \"$f\"; done".to_string(),
        "bash <<< 'echo gone > src/tests/ws.rs'".to_string(),
        "F=src/tests/ws.rs; cp /dev/null \"$F\"".to_string(),
        "mv src/lib.rs src/tests/ws.rs".to_string(),
    ];
    for form in &forms {
        let run = s.sh(form);
        assert_ne!(
            run.code, 0,
            "`{form}` succeeded\n{}{}",
            run.stdout, run.stderr
        );
        s.assert_untouched();
    }
    // `git stash pop` restores a stashed change to the test file.
    std::fs::write(s.repo.path(TEST_FILE), "stashed\n").unwrap();
    s.repo.git(&["add", "-A"]);
    s.repo.git(&["stash"]);
    s.repo.write(TEST_FILE, ORIGINAL);
    let run = s.sh("git stash pop");
    assert_ne!(run.code, 0, "{}{}", run.stdout, run.stderr);
    s.assert_untouched();
}

/// A small C program making each write system call on the path it is
/// given and printing the errno of each.
const SYSCALLS: &str = r#"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
static const char *name(int e) {
    switch (e) {
    case EACCES: return "EACCES";
    case EXDEV: return "EXDEV";
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EEXIST: return "EEXIST";
    default: return "other";
    }
}
static void report(const char *what, int rc) {
    printf("%s %s\n", what, rc < 0 ? name(errno) : "ok");
}
int main(int argc, char **argv) {
    const char *p = argv[1], *other = argv[2];
    int fd = open(p, O_WRONLY | O_CREAT, 0644);
    report("open", fd);
    if (fd >= 0) close(fd);
    report("truncate", truncate(p, 0));
    report("rename", rename(other, p));
    /* The rename may have moved `other`: put it back for the next calls. */
    int again = open(other, O_WRONLY | O_CREAT, 0644);
    if (again >= 0) close(again);
    char linked[4096], lnk[4096], abs[4096];
    snprintf(linked, sizeof linked, "%s.linked", p);
    report("link", link(other, linked));
    snprintf(lnk, sizeof lnk, "%s.lnk", other);
    if (!realpath(p, abs)) snprintf(abs, sizeof abs, "%s", p);
    int rc = symlink(abs, lnk);
    if (rc == 0) {
        int fd2 = open(lnk, O_WRONLY);
        report("symlink+write", fd2);
        if (fd2 >= 0) close(fd2);
    } else {
        report("symlink+write", rc);
    }
    report("unlink", unlink(p));
    return 0;
}
"#;

fn compile_helper(dir: &Path) -> Option<PathBuf> {
    let src = dir.join("syscalls.c");
    std::fs::write(&src, SYSCALLS).unwrap();
    let bin = dir.join("syscalls");
    let ok = Command::new("cc")
        .arg("-o")
        .arg(&bin)
        .arg(&src)
        .status()
        .is_ok_and(|s| s.success());
    ok.then_some(bin)
}

#[test]
fn direct_system_calls_on_a_protected_file_get_eacces() {
    let Some(s) = Setup::new() else { return };
    let build = tempfile::tempdir().unwrap();
    let Some(bin) = compile_helper(build.path()) else {
        eprintln!("skipped: no C compiler (`cc`) to build the system-call helper");
        return;
    };
    s.repo.write("src/chat/other.rs", "other\n");
    let run = s
        .sandbox(
            "dev",
            &[],
            &[bin.to_str().unwrap(), TEST_FILE, "src/chat/other.rs"],
        )
        .assert(0);
    assert_eq!(
        run.stdout,
        "open EACCES\ntruncate EACCES\nrename EACCES\nlink EACCES\nsymlink+write EACCES\nunlink EACCES\n"
    );
    s.assert_untouched();
    // The harmless twin: the same calls on an in-scope file succeed.
    s.repo.write("src/chat/mine.rs", "mine\n");
    std::fs::remove_file(s.repo.path("src/chat/other.rs.lnk")).unwrap();
    let run = s
        .sandbox(
            "dev",
            &[],
            &[
                bin.to_str().unwrap(),
                "src/chat/mine.rs",
                "src/chat/other.rs",
            ],
        )
        .assert(0);
    assert_eq!(
        run.stdout,
        "open ok\ntruncate ok\nrename ok\nlink ok\nsymlink+write ok\nunlink ok\n"
    );
}

#[test]
fn harmless_twins_still_work() {
    let Some(s) = Setup::new() else { return };
    std::fs::create_dir_all(s.repo.path("target")).unwrap();
    let run = s.sh(
        "echo 'pub fn b() {}' >> src/lib.rs && echo new > src/chat/new.rs && mkdir -p target/debug && echo o > target/debug/out && echo t > \"$TMPDIR/t\" && cat \"$TMPDIR/t\"",
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.stdout, "t\n");
    assert_eq!(s.repo.read("src/lib.rs"), "pub fn a() {}\npub fn b() {}\n");
    assert_eq!(s.repo.read("src/chat/new.rs"), "new\n");
    assert_eq!(s.repo.read("target/debug/out"), "o\n");
}

#[test]
fn grandchildren_and_exec_chains_are_confined_and_keys_unreadable() {
    let Some(s) = Setup::new() else { return };
    let run = s.sh("(sh -c 'echo x > src/tests/ws.rs' &) ; sleep 0.2; wait");
    assert!(run.stderr.contains("Permission denied"), "{}", run.stderr);
    s.assert_untouched();
    let run = s.sh(&format!(
        "exec env {} -c 'open(\"src/tests/ws.rs\", \"a\").write(\"x\")'",
        python()
    ));
    assert_ne!(run.code, 0);
    s.assert_untouched();
    let run = s.sh("cat ~/.ssh/id_ed25519");
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stderr.contains("Permission denied"), "{}", run.stderr);
    assert!(!run.stdout.contains("PRIVATE KEY"));
}

#[test]
fn exit_codes_pass_through_and_the_environment_is_scrubbed() {
    let Some(s) = Setup::new() else { return };
    s.sandbox("dev", &[], &["sh", "-c", "exit 7"]).assert(7);
    let run = s
        .sandbox(
            "dev",
            &["--task", "0001-1"],
            &["sh", "-c", "echo \"${SSH_AUTH_SOCK:-none} $HARNESS_AGENT\""],
        )
        .env("SSH_AUTH_SOCK", "/tmp/agent.sock")
        .run();
    // A task names its plan, which must exist and be approved.
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stderr.contains("no plan has the id `0001`"),
        "{}",
        run.stderr
    );
    let run = s
        .sandbox(
            "dev",
            &[],
            &["sh", "-c", "echo \"${SSH_AUTH_SOCK:-none} $HARNESS_AGENT\""],
        )
        .env("SSH_AUTH_SOCK", "/tmp/agent.sock")
        .assert(0);
    assert_eq!(run.stdout, "none dev\n");
}

#[test]
fn a_change_the_kernel_cannot_name_fails_the_run_after() {
    let Some(s) = Setup::new() else { return };
    // A new file matching a protected glob, in a writable directory.
    let run = s.sh("echo x > src/chat/chat_test.py");
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        run.stdout,
        "harness-agents sandbox: 1 change outside what dev may change:\n  added     src/chat/chat_test.py\n"
    );
}

/// A copy of this repository's agents and example plan, with the plan's
/// service reduced to one source file and one test.
fn shipped() -> Option<Setup> {
    let s = Setup::new()?;
    let root = manifest_dir();
    for dir in ["agents", "plans"] {
        copy_dir(&root.join(dir), &s.repo.path(dir));
    }
    std::fs::copy(root.join("harness.toml"), s.repo.path("harness.toml")).unwrap();
    s.repo
        .write("examples/chat-service/src/lib.rs", "pub fn chat() {}\n");
    s.repo
        .write("examples/chat-service/tests/ws.rs", "#[test] fn t() {}\n");
    Some(s)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

#[test]
fn git_commit_works_when_the_agent_commits() {
    let Some(s) = shipped() else { return };
    s.repo.git(&["add", "-A"]);
    s.repo.git(&["commit", "-qm", "chore: start"]);
    let run = s
        .sandbox(
            "realtime-dev",
            &["--plan", "1"],
            &[
                "sh",
                "-c",
                "echo 'pub fn more() {}' >> examples/chat-service/src/lib.rs && git add -A && git commit -qm 'feat: more'",
            ],
        )
        .run();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        s.repo.git(&["log", "-1", "--format=%s"]).trim(),
        "feat: more"
    );
}

#[test]
fn a_plan_scoped_agent_builds_into_the_root_target_directory() {
    // The plan grants only its Files to Change; `target/` beside the root
    // manifest is granted by `[sandbox] writable`, made if missing.
    let Some(s) = shipped() else { return };
    s.repo.write("Cargo.toml", "[workspace]\n");
    let run = s
        .sandbox(
            "realtime-dev",
            &["--plan", "1"],
            &[
                "sh",
                "-c",
                "mkdir -p target/debug && echo o > target/debug/out",
            ],
        )
        .run();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(s.repo.read("target/debug/out"), "o\n");
}

#[test]
fn the_gates_build_directory_is_not_an_output_the_agent_may_write() {
    // `target/` matches at any depth; the gates' own build directory under
    // `.harness/` must not be granted by it.
    let Some(s) = Setup::new() else { return };
    std::fs::create_dir_all(s.repo.path(".harness/gates/target/debug")).unwrap();
    std::fs::create_dir_all(s.repo.path("target")).unwrap();
    let run = s.sh("echo 'exit 0' > .harness/gates/target/debug/verdict");
    assert_ne!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("Permission denied"), "{}", run.stderr);
    assert!(!s.repo.path(".harness/gates/target/debug/verdict").exists());
    // The agent's own `target/` stays writable.
    assert_eq!(s.sh("echo o > target/out").code, 0);
    // Nor is the gate baseline, which would accept the agent's findings.
    s.repo.write(".harness/baseline.json", "{\"gates\": {}}\n");
    let run = s.sh("echo '{\"gates\": {\"clippy\": []}}' > .harness/baseline.json");
    assert_ne!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(s.repo.read(".harness/baseline.json"), "{\"gates\": {}}\n");
}

#[test]
fn explain_shows_each_path_with_its_rule() {
    let Some(s) = shipped() else { return };
    let tmp = std::fs::canonicalize(s.tmp.path()).unwrap();
    let abi = landlock_abi();
    let explain = |agent: &str, extra: &[&str]| {
        let mut args = vec!["sandbox", "--agent", agent, "--explain"];
        args.extend(extra);
        let run = s
            .repo
            .harness(args)
            .env("HOME", s.home.path())
            .env("TMPDIR", s.tmp.path())
            .assert(0);
        run.stdout
            .replace(tmp.to_str().unwrap(), "$TMP")
            .replace(&format!("kernel ABI {abi},"), "kernel ABI N,")
    };
    let rights = "execute, read_file, read_dir, write_file, remove_dir, remove_file, make_char, make_dir, make_reg, make_sock, make_fifo, make_block, make_sym, refer, truncate";
    let outputs = "  write   target/                             harness.toml:1  \"[sandbox] writable (default): build and cache output\"
      kernel: nothing (no such path)
  write   node_modules/                       harness.toml:1  \"[sandbox] writable (default): build and cache output\"
      kernel: nothing (no such path)
  write   .venv/                              harness.toml:1  \"[sandbox] writable (default): build and cache output\"
      kernel: nothing (no such path)
  write   __pycache__                         harness.toml:1  \"[sandbox] writable (default): build and cache output\"
      kernel: nothing (no such path)
  write   $TMPDIR                             harness.toml:1  \"[sandbox] writable (default): build and cache output\"
      kernel: $TMP
";
    let residuals = "left to the guard and the post-run check
  - a new file matching a protected glob (`**/*_test.*`) in a writable directory: the kernel cannot name files that do not exist yet; the post-run check fails the run on it
  - a new file inside a writable glob's directory but outside the glob (`src/*.rs` grants `src/`): the post-run check fails the run on it
  - a split directory (one holding a protected path) gets no new entries of its own, and a directory on the way to an unreadable path cannot list entries created after the start: over-strict, never too lax
  - network, processes and paths outside the project that are not listed here are the guard's: Landlock here confines the file system
";
    let unreadable = "unreadable
  ~/.ssh  harness.toml:1  \"private keys (an approval's signing key among them) are never the agent's to read\"
";
    assert_eq!(
        explain("realtime-dev", &["--plan", "1"]),
        format!("sandbox for realtime-dev, plan 0001
Landlock: kernel ABI N, applied at ABI 3 (ABI 3 needed); enforced: {rights}

writable
  write   examples/chat-service/**            plans/0001-chat-room.md:87  \"Files to Change: examples/chat-service/**\"
      kernel: examples/chat-service/src
{outputs}  commit  .git/                               agents/realtime-dev.md:69  \"the agent commits (its commit conventions): git writes objects, refs, logs, the index and HEAD\"
  device  /dev/null, /dev/tty, /dev/pts, ...  harness.toml:1  \"device files every program writes: the null device and the terminal\"

protected (split out of writable trees)
  examples/chat-service/tests  agents/realtime-dev.md:60  \"Do NOT modify test files under any circumstances.\"

{unreadable}
environment
  removed  SSH_AUTH_SOCK GPG_AGENT_INFO
  set      HARNESS_AGENT=realtime-dev HARNESS_PLAN=0001

{residuals}  - commits need `.git/` itself writable (git replaces `index`, `HEAD` and their `.lock` files there) and the kernel's rights reach everything beneath it: a change to `.git/config` or `.git/hooks/` is caught by the guard before and the post-run check after, which allows only objects/, refs/, logs/, index, HEAD, ORIG_HEAD and COMMIT_EDITMSG
")
    );
    assert_eq!(
        explain("realtime-engineer", &[]),
        format!("sandbox for realtime-engineer
Landlock: kernel ABI N, applied at ABI 3 (ABI 3 needed); enforced: {rights}

writable
  write   plans/**                            agents/realtime-engineer.md:12  \"permissionMode: plan\"
      kernel: plans/0001-chat-room.md
{outputs}  device  /dev/null, /dev/tty, /dev/pts, ...  harness.toml:1  \"device files every program writes: the null device and the terminal\"

protected (split out of writable trees)
  plans/0001  harness.toml:1  \"plan records under `plans/NNNN/` are written only by harness commands (`harness-agents plan`, `harness-agents task`)\"

{unreadable}
environment
  removed  SSH_AUTH_SOCK GPG_AGENT_INFO
  set      HARNESS_AGENT=realtime-engineer

{residuals}")
    );
}

#[test]
fn a_plan_that_is_not_approved_is_refused() {
    let Some(s) = shipped() else { return };
    let run = s
        .sandbox("realtime-dev", &["--plan", "9"], &["true"])
        .assert(2);
    assert!(
        run.stderr
            .contains("cannot sandbox with this plan: no plan has the id `0009`"),
        "{}",
        run.stderr
    );
}

#[test]
fn cargo_build_writes_target() {
    let Some(s) = Setup::new() else { return };
    let Ok(cargo) = std::env::var("CARGO") else {
        eprintln!("skipped: not run by cargo, so no cargo to build with");
        return;
    };
    s.repo.write(
        "tiny/Cargo.toml",
        "[package]\nname = \"tiny\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    s.repo.write("tiny/src/main.rs", "fn main() {}\n");
    // A project of its own (a `harness.toml` at its root), with no
    // `target/` yet: the sandbox creates it for the first build.
    s.repo.write("tiny/harness.toml", "");
    copy_dir(&s.repo.path("agents"), &s.repo.path("tiny/agents"));
    // The root holds protected files, so it gets no new entries under the
    // kernel: the lock file is committed, as a project's would be.
    s.repo.write(
        "tiny/Cargo.lock",
        "# This file is automatically @generated by Cargo.\n# It is not intended for manual editing.\nversion = 4\n\n[[package]]\nname = \"tiny\"\nversion = \"0.1.0\"\n",
    );
    // The toolchain is the one running this test: rustup finds it from
    // its own home, which the test's home directory is not.
    let rustup_home = std::env::var_os("RUSTUP_HOME").unwrap_or_else(|| {
        PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
            .join(".rustup")
            .into_os_string()
    });
    let mut h = s
        .sandbox("dev", &[], &[&cargo, "build", "--offline", "--quiet"])
        .current_dir(s.repo.path("tiny"))
        .env("RUSTUP_HOME", rustup_home)
        .env("CARGO_HOME", s.tmp.path().join("cargo"));
    if let Some(t) = std::env::var_os("RUSTUP_TOOLCHAIN") {
        h = h.env("RUSTUP_TOOLCHAIN", t);
    }
    let run = h.run();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(s.repo.path("tiny/target/debug/tiny").is_file());
}

#[test]
fn a_symbolic_link_beside_a_protected_path_grants_nothing() {
    let Some(s) = Setup::new() else { return };
    // `src/` holds `tests/`, so it is split into its children: a link
    // among them must not grant the protected file it points to.
    std::os::unix::fs::symlink("tests/ws.rs", s.repo.path("src/evil")).unwrap();
    let run = s.sh("echo x > src/evil");
    assert_ne!(run.code, 0, "{}{}", run.stdout, run.stderr);
    s.assert_untouched();
}

/// Whether process `pid` runs (a zombie waiting for its parent does not).
fn running(pid: &str) -> bool {
    let stat = Path::new("/proc").join(pid.trim()).join("stat");
    std::fs::read_to_string(stat).is_ok_and(|s| !s.contains(") Z "))
}

#[test]
fn nothing_the_command_starts_outlives_it_in_any_session() {
    let Some(s) = Setup::new() else { return };
    // The command may write its temporary directory, nothing else outside.
    let pids = s.tmp.path();
    let dir = pids.display().to_string();
    // A new session and a double fork: neither is in the command's group,
    // and both would write a file in scope after the check.
    let script = format!(
        "setsid sh -c 'echo $$ > {dir}/session; sleep 300; echo late > src/lib.rs' &
         ( sh -c 'echo $$ > {dir}/orphan; sleep 300; echo late > src/lib.rs' & ) 
         while [ ! -s {dir}/session ] || [ ! -s {dir}/orphan ]; do sleep 0.05; done"
    );
    let started = std::time::Instant::now();
    s.sandbox("dev", &[], &["sh", "-c", &script]).assert(0);
    assert!(started.elapsed().as_secs() < 60);
    for name in ["session", "orphan"] {
        let pid = std::fs::read_to_string(pids.join(name)).unwrap();
        assert!(!running(&pid), "{name} {pid} outlived the command");
    }
    assert_eq!(s.repo.read("src/lib.rs"), "pub fn a() {}\n");
}

#[test]
fn the_command_cannot_signal_processes_outside_the_sandbox() {
    let Some(s) = Setup::new() else { return };
    if landlock_abi() < 6 {
        eprintln!("skipped: this kernel has no Landlock ABI 6 (signal scoping)");
        return;
    }
    // Its parent is harness, outside the domain: the kernel refuses.
    let run = s.sh("kill -0 $PPID && echo reached || echo refused");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.trim(), "refused", "{}", run.stderr);
    // Within the domain, signals work as ever.
    let run = s.sh("sleep 300 & kill $! && wait $!; echo $?");
    assert_eq!(run.stdout.trim(), "143");
}
