//! Signed approvals, cross-checked with OpenSSH's own `ssh-keygen`, and the
//! ways an agent might fake one, each with the honest twin that must pass.
//!
//! Keys are throwaway keys made per test in a directory outside the
//! repository (a key inside it is refused).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use harness::plan::signature::{SignatureCheck, check_records, digests, statement};
use harness::plan::{Approval, ApprovalDecision, Plan, Status};

use super::plans::{PLAN_PATH, with_plan};
use crate::common::{Repo, Run, assert_contains};

/// Whether `ssh-keygen` can run. Where it cannot, the test says so and
/// stops; where `HARNESS_REQUIRE_SSH` is set (CI installs OpenSSH and sets
/// it) a missing one is a failure.
fn have_ssh_keygen() -> bool {
    let ok = Command::new("ssh-keygen")
        .arg("-?")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !ok {
        assert!(
            std::env::var_os("HARNESS_REQUIRE_SSH").is_none(),
            "ssh-keygen is missing and HARNESS_REQUIRE_SSH is set: install openssh-client"
        );
        eprintln!("skipped: ssh-keygen is not installed (package openssh-client)");
    }
    ok
}

/// Throwaway keys in their own directory.
struct Keys {
    dir: tempfile::TempDir,
}

impl Keys {
    fn new() -> Keys {
        Keys {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// Makes key `name` of `kind` (`ed25519`, `ecdsa`, `rsa`) with
    /// passphrase `pass`; its private key file.
    fn make(&self, name: &str, kind: &str, pass: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        let out = Command::new("ssh-keygen")
            .args(["-q", "-t", kind, "-N", pass, "-C", name, "-f"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        path
    }

    /// The `.pub` line of key `name`: `TYPE BASE64 COMMENT`.
    fn public(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(format!("{name}.pub")))
            .unwrap()
            .trim()
            .to_string()
    }
}

/// Writes the signers file listing `(principal, key name)` and turns
/// signing on with `extra` more `[approvals]` lines.
fn require_signers(repo: &Repo, keys: &Keys, signers: &[(&str, &str)], extra: &str) {
    let lines: Vec<String> = signers
        .iter()
        .map(|(who, key)| format!("{who} {}", keys.public(key)))
        .collect();
    repo.write(
        "allowed_signers",
        &format!("# team\n{}\n", lines.join("\n")),
    );
    repo.write(
        "harness.toml",
        &format!("[approvals]\nsigners = \"allowed_signers\"\n{extra}"),
    );
}

fn plan(repo: &Repo) -> Plan {
    Plan::parse(Path::new(PLAN_PATH), &repo.read(PLAN_PATH), &[]).unwrap()
}

/// Signs `text` with `ssh-keygen -Y sign`, as a person could by hand.
fn openssh_sign(key: &Path, text: &str) -> String {
    let mut child = Command::new("ssh-keygen")
        .args(["-q", "-Y", "sign", "-n", "harness-plan", "-f"])
        .arg(key)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A record approving the plan as it is now, appended by hand, signed with
/// `key` when given (as an agent writing the file would, or a person with
/// OpenSSH).
fn append_record(repo: &Repo, by: &str, key: Option<&Path>) {
    let p = plan(repo);
    let mut chain = p.approvals.clone();
    chain.push(Approval {
        decision: ApprovalDecision::Approved,
        by: by.to_string(),
        at: "2026-01-02T03:04:05Z".parse().unwrap(),
        hash: p.hash(),
        prev_hash: chain.last().map(|a| a.hash.clone()),
        reason: None,
        prev_record: None,
        signature: None,
    });
    if let Some(key) = key {
        let d = digests(p.id, &chain);
        let last = chain.len() - 1;
        let previous = last.checked_sub(1).map(|i| d[i].clone());
        chain[last].prev_record = previous.clone();
        let text = statement(p.id, &chain[last], previous.as_deref());
        chain[last].signature = Some(openssh_sign(key, &text));
    }
    repo.write(PLAN_PATH, &p.render_with(Status::Approved, &chain));
}

/// `plan check 1`: its exit code and output.
fn check(repo: &Repo) -> (i32, String) {
    let r = repo.harness(["plan", "check", "1"]).run();
    (r.code, format!("{}{}", r.stdout, r.stderr))
}

fn approve(repo: &Repo, by: &str, key: &Path) -> Run {
    repo.harness(["plan", "approve", "1", "--by", by, "--key", s(key)])
        .run()
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn harness_signatures_verify_with_openssh_and_openssh_signatures_in_harness() {
    if !have_ssh_keygen() {
        return;
    }
    for kind in ["ed25519", "ecdsa", "rsa"] {
        let keys = Keys::new();
        let alice = keys.make("alice", kind, "");
        let bob = keys.make("bob", kind, "");
        let repo = with_plan();
        require_signers(&repo, &keys, &[("alice", "alice"), ("bob", "bob")], "");

        let r = approve(&repo, "alice", &alice);
        assert_eq!(r.code, 0, "{kind}: {}", r.stderr);
        let (code, out) = check(&repo);
        assert_eq!(
            (code, out.as_str()),
            (
                0,
                "ok   0001  approved (signed by alice)  plans/0001-chat-room.md\n"
            ),
            "{kind}"
        );

        // OpenSSH verifies what harness signed, over the documented statement.
        let p = plan(&repo);
        let record = &p.approvals[0];
        let text = statement(p.id, record, None);
        let sig = repo.path("../sig");
        std::fs::write(&sig, record.signature.as_deref().unwrap()).unwrap();
        let mut verify = Command::new("ssh-keygen")
            .args(["-Y", "verify", "-n", "harness-plan", "-I", "alice", "-f"])
            .arg(repo.path("allowed_signers"))
            .arg("-s")
            .arg(&sig)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write as _;
        verify
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        let out = verify.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{kind}: ssh-keygen -Y verify refused: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // And refuses it for another name.
        let other = Command::new("ssh-keygen")
            .args(["-Y", "verify", "-n", "harness-plan", "-I", "bob", "-f"])
            .arg(repo.path("allowed_signers"))
            .arg("-s")
            .arg(&sig)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(!other.status.success(), "{kind}");

        // Harness verifies what OpenSSH signed: bob's approval made by hand.
        append_record(&repo, "bob", Some(&bob));
        let r = repo.harness(["plan", "show", "1"]).assert(0);
        assert_contains(&r.stdout, "     signed by bob, key SHA256:");
        let (code, out) = check(&repo);
        assert_eq!(code, 0, "{kind}: {out}");
        assert_contains(&out, "approved (signed by alice, bob)");
    }
}

#[test]
fn an_encrypted_key_signs_through_ssh_agent_as_git_would() {
    if !have_ssh_keygen() {
        return;
    }
    let keys = Keys::new();
    let key = keys.make("alice", "ed25519", "correct horse");
    let sock = keys.dir.path().join("agent.sock");
    let agent = Command::new("ssh-agent")
        .arg("-D")
        .arg("-a")
        .arg(&sock)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let mut agent = match agent {
        Ok(agent) => agent,
        Err(e) => {
            assert!(
                std::env::var_os("HARNESS_REQUIRE_SSH").is_none(),
                "ssh-agent cannot start ({e}) and HARNESS_REQUIRE_SSH is set: install openssh-client"
            );
            eprintln!("skipped: ssh-agent cannot start ({e}; package openssh-client)");
            return;
        }
    };
    // The socket file appears at bind, before the agent listens: wait until
    // it answers a connection, or a loaded machine sees "refused".
    for _ in 0..250 {
        if std::os::unix::net::UnixStream::connect(&sock).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let askpass = keys.dir.path().join("askpass");
    std::fs::write(&askpass, "#!/bin/sh\necho 'correct horse'\n").unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&askpass, std::fs::Permissions::from_mode(0o700)).unwrap();
    let added = Command::new("ssh-add")
        .arg(&key)
        .env("SSH_AUTH_SOCK", &sock)
        .env("SSH_ASKPASS", &askpass)
        .env("SSH_ASKPASS_REQUIRE", "force")
        .env("DISPLAY", ":0")
        .stdin(Stdio::null())
        .output()
        .unwrap();

    let repo = with_plan();
    require_signers(&repo, &keys, &[("alice", "alice")], "");
    // Git's configuration names the public key; the agent holds the private.
    repo.git(&["config", "gpg.format", "ssh"]);
    let public = format!("{}.pub", key.display());
    repo.git(&["config", "user.signingkey", &public]);
    let r = repo
        .harness(["plan", "approve", "1", "--by", "alice"])
        .env("SSH_AUTH_SOCK", &sock)
        .run();
    let _ = agent.kill();
    let _ = agent.wait();
    assert!(added.status.success(), "ssh-add: {added:?}");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(check(&repo).0, 0);
}

#[test]
fn forged_records_do_not_count_and_honest_ones_do() {
    if !have_ssh_keygen() {
        return;
    }
    let keys = Keys::new();
    let alice = keys.make("alice", "ed25519", "");
    let mallory = keys.make("mallory", "ed25519", "");
    let bob = keys.make("bob", "ed25519", "");
    let repo = with_plan();
    require_signers(&repo, &keys, &[("alice", "alice"), ("bob", "bob")], "");
    repo.commit_all("plan with signers");

    // The right hash and no signature: what an agent can write.
    append_record(&repo, "alice", None);
    let (code, out) = check(&repo);
    assert_eq!(code, 1, "{out}");
    assert_contains(
        &out,
        "plans/0001-chat-room.md:8:1: error: plan 0001 is not approved: the approval needs 1 signed approval by distinct allowed signers; signed: none; not counted, because unsigned: `alice`\n",
    );
    // Every enforcement point sees the same.
    let r = repo
        .harness(["plan", "show", "1", "--format", "json"])
        .run();
    assert_eq!(r.json()["state"], "unverified");

    // A signature by a key the file does not list.
    repo.git(&["checkout", "--", "."]);
    append_record(&repo, "alice", Some(&mallory));
    let (code, out) = check(&repo);
    assert_eq!(code, 1);
    assert_contains(
        &out,
        "record 1 (approved by `alice`) does not count: it is signed by key SHA256:",
    );
    assert_contains(
        &out,
        ", which is not in the signers file `allowed_signers`\n",
    );
    // A listed key, but another person's.
    repo.git(&["checkout", "--", "."]);
    append_record(&repo, "alice", Some(&bob));
    let (code, out) = check(&repo);
    assert_eq!(code, 1);
    assert_contains(&out, "it names `alice` but is signed by key SHA256:");
    assert_contains(&out, " of `bob` in `allowed_signers`\n");
    // Harness refuses to write such a record at all.
    repo.git(&["checkout", "--", "."]);
    let r = approve(&repo, "alice", &mallory);
    assert_eq!(r.code, 2);
    assert_contains(
        &r.stderr,
        "the new record would not count: it is signed by key SHA256:",
    );
    assert_contains(
        &r.stderr,
        "which is not in the signers file `allowed_signers`",
    );

    // A real signature, then the record edited: it no longer verifies.
    let r = approve(&repo, "alice", &alice);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(check(&repo).0, 0);
    let text = repo.read(PLAN_PATH);
    repo.write(
        PLAN_PATH,
        &text.replace(
            "at: \"2026-01-02T03:04:05Z\"",
            "at: \"2026-01-03T03:04:05Z\"",
        ),
    );
    let (code, out) = check(&repo);
    assert_eq!(code, 1);
    assert_contains(&out, "its signature does not verify");
}

#[test]
fn signers_are_checked_per_path_and_by_quorum() {
    if !have_ssh_keygen() {
        return;
    }
    let keys = Keys::new();
    let alice = keys.make("alice", "ed25519", "");
    let bob = keys.make("bob", "ecdsa", "");
    let repo = with_plan();
    // The plan's Files to Change hold `src/chat.rs`: alice's area.
    require_signers(
        &repo,
        &keys,
        &[("alice", "alice"), ("bob", "bob")],
        "[approvals.paths]\n\"src/**\" = [\"alice\"]\n\"docs/**\" = [\"bob\"]\n",
    );
    assert_eq!(approve(&repo, "bob", &bob).code, 0);
    let (code, out) = check(&repo);
    assert_eq!(code, 1);
    assert_contains(
        &out,
        "the Files to Change touch `src/chat.rs`, which `[approvals.paths]` gives to `alice`; none of them signed this approval",
    );
    assert_eq!(approve(&repo, "alice", &alice).code, 0);
    assert_eq!(check(&repo).0, 0);

    // Two distinct signers needed: one, even twice, is not enough.
    let repo = with_plan();
    require_signers(
        &repo,
        &keys,
        &[("alice", "alice"), ("bob", "bob")],
        "quorum = 2\n",
    );
    let r = approve(&repo, "alice", &alice);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_contains(
        &r.stdout,
        "\nnot approved yet: the approval needs 2 signed approvals by distinct allowed signers; signed: `alice`\n",
    );
    let (code, out) = check(&repo);
    assert_eq!(code, 1);
    assert_contains(
        &out,
        "needs 2 signed approvals by distinct allowed signers; signed: `alice`",
    );
    assert_eq!(approve(&repo, "alice", &alice).code, 0);
    assert_eq!(check(&repo).0, 1);
    assert_eq!(approve(&repo, "bob", &bob).code, 0);
    let (code, out) = check(&repo);
    assert_eq!(code, 0, "{out}");
    assert_contains(&out, "approved (signed by alice, bob)");
}

#[test]
fn a_chain_with_a_record_removed_is_broken() {
    if !have_ssh_keygen() {
        return;
    }
    let keys = Keys::new();
    let alice = keys.make("alice", "ed25519", "");
    let bob = keys.make("bob", "ed25519", "");
    let repo = with_plan();
    require_signers(&repo, &keys, &[("alice", "alice"), ("bob", "bob")], "");
    assert_eq!(approve(&repo, "alice", &alice).code, 0);
    let r = repo
        .harness([
            "plan",
            "reject",
            "1",
            "--by",
            "bob",
            "--reason",
            "too broad",
            "--key",
            s(&bob),
        ])
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(approve(&repo, "alice", &alice).code, 0);
    assert_eq!(check(&repo).0, 0);

    // Drop bob's rejection from the middle: alice's last approval was
    // signed after it, so the chain shows the gap.
    let p = plan(&repo);
    let chain = vec![p.approvals[0].clone(), p.approvals[2].clone()];
    repo.write(PLAN_PATH, &p.render_with(Status::Approved, &chain));
    let (code, out) = check(&repo);
    assert_eq!(code, 1);
    assert_contains(
        &out,
        "record 2 (approved by `alice`) does not count: it was signed after a record that is not the one before it",
    );
    // Reordered: the same.
    let chain = vec![
        p.approvals[2].clone(),
        p.approvals[1].clone(),
        p.approvals[0].clone(),
    ];
    repo.write(PLAN_PATH, &p.render_with(Status::Approved, &chain));
    assert_eq!(check(&repo).0, 1);
}

#[test]
fn agents_cannot_approve_and_keys_stay_out_of_the_project() {
    if !have_ssh_keygen() {
        return;
    }
    let keys = Keys::new();
    let alice = keys.make("alice", "ed25519", "");
    let repo = with_plan();
    require_signers(&repo, &keys, &[("alice", "alice")], "");
    for (var, value) in [("HARNESS_AGENT", "dev"), ("CLAUDECODE", "1")] {
        let r = repo
            .harness(["plan", "approve", "1", "--by", "alice", "--key", s(&alice)])
            .env(var, value)
            .run();
        assert_eq!(r.code, 2);
        assert_eq!(
            r.stderr,
            format!(
                "error: plans are approved and rejected by people, and this runs for an agent ({var}={value})\n  = hint: a person runs `harness-agents plan approve` in their own terminal\n"
            )
        );
    }
    std::fs::copy(&alice, repo.path("key")).unwrap();
    let r = approve(&repo, "alice", &repo.path("key"));
    assert_eq!(r.code, 2);
    assert_contains(&r.stderr, "is inside the project, where agents can read it");
    // No key at all, with signing required.
    let r = repo
        .harness(["plan", "approve", "1", "--by", "alice"])
        .run();
    assert_eq!(r.code, 2);
    assert_contains(
        &r.stderr,
        "error: approvals here are signed, and no signing key was given",
    );
    // The honest twin.
    assert_eq!(approve(&repo, "alice", &alice).code, 0);
}

#[test]
fn unsigned_approvals_migrate_with_resign_and_bad_signers_are_located() {
    if !have_ssh_keygen() {
        return;
    }
    let keys = Keys::new();
    let alice = keys.make("alice", "ed25519", "");
    let repo = with_plan();
    repo.harness(["plan", "approve", "1", "--by", "alice"])
        .assert(0);
    assert_contains(&check(&repo).1, "approved (unsigned)");
    require_signers(&repo, &keys, &[("alice", "alice")], "");
    assert_eq!(check(&repo).0, 1);
    let r = repo
        .harness([
            "plan",
            "approve",
            "1",
            "--by",
            "alice",
            "--resign",
            "--key",
            s(&alice),
        ])
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_contains(&check(&repo).1, "approved (signed by alice)");

    repo.write(
        "allowed_signers",
        &format!(
            "alice {}\nbob cert-authority {}\n",
            keys.public("alice"),
            keys.public("alice")
        ),
    );
    let r = repo.harness(["plan", "check", "1"]).run();
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "allowed_signers:2:5: error: option `cert-authority` is not supported\n  = hint: harness reads `namespaces=\"...\"`, `valid-after=` and `valid-before=`; list each person's own key (no `cert-authority`)\n"
    );
}

#[test]
fn the_guards_status_question_stays_cheap_with_a_signed_plan() {
    if !have_ssh_keygen() {
        return;
    }
    let keys = Keys::new();
    let alice = keys.make("alice", "ed25519", "");
    let bob = keys.make("bob", "rsa", "");
    let repo = with_plan();
    require_signers(
        &repo,
        &keys,
        &[("alice", "alice"), ("bob", "bob")],
        "quorum = 2\n",
    );
    assert_eq!(approve(&repo, "alice", &alice).code, 0);
    assert_eq!(approve(&repo, "bob", &bob).code, 0);
    let project = harness::config::Project::discover(&repo.root).unwrap();
    let status = harness::plan::Store::open(&project).status("1");
    assert!(status.is_approved(), "{status:?}");
    // What signing adds to the guard's plan gate on every gated write:
    // checking each record of the chain (one Ed25519, one RSA signature).
    let plan = harness::plan::Store::open(&project).get("1").unwrap();
    let signers = plan.trust.as_ref().unwrap().signers.as_ref().unwrap();
    let mut times: Vec<std::time::Duration> = (0..21)
        .map(|_| {
            let start = std::time::Instant::now();
            let checks = check_records(signers, plan.id, &plan.approvals);
            let elapsed = start.elapsed();
            assert!(
                checks
                    .iter()
                    .all(|c| matches!(c, SignatureCheck::Verified { .. })),
                "{checks:?}"
            );
            elapsed
        })
        .collect();
    times.sort();
    let (fastest, median) = (times[0], times[times.len() / 2]);
    // The 3 ms budget holds for the optimised binary the hook runs; a test
    // build (harness itself unoptimised) gets more room, still enough to
    // catch verifying more than once per record. The fastest run is what
    // is asserted: tests share the machine, which only ever adds time.
    let budget = if cfg!(debug_assertions) { 15 } else { 3 };
    eprintln!(
        "signature checks of a 2-record chain: fastest {fastest:?}, median {median:?} (budget {budget} ms)"
    );
    assert!(
        fastest < std::time::Duration::from_millis(budget),
        "fastest {fastest:?}"
    );
}

#[test]
fn the_guard_denies_writes_under_an_unsigned_approval() {
    if !have_ssh_keygen() {
        return;
    }
    let keys = Keys::new();
    let alice = keys.make("alice", "ed25519", "");
    let repo = Repo::with_agents(&["src", "plans"]);
    repo.write(
        "plans/0001-presence.md",
        "---\nid: 1\ntitle: \"Presence\"\nagent: \"realtime-engineer\"\nstatus: draft\n---\n## PLAN: Presence\n\n### Files to Change\n- `src/ws/**`: the handler\n\n### Tasks\n- [ ] Handler @realtime-dev\n\nPLAN_APPROVED: pending\n",
    );
    repo.harness(["plan", "approve", "1", "--by", "alice"])
        .assert(0);
    require_signers(&repo, &keys, &[("alice", "alice")], "");
    let event = serde_json::json!({
        "session_id": "s",
        "transcript_path": "/tmp/t.jsonl",
        "cwd": repo.root,
        "hook_event_name": "PreToolUse",
        "tool_name": "Write",
        "tool_input": {"file_path": "src/ws/presence.rs", "content": "x"},
        "agent_type": "realtime-dev",
        "agent_id": "a1",
    })
    .to_string();
    let guard = || {
        repo.harness(["guard"])
            .env("HARNESS_PLAN", "1")
            .stdin(event.clone())
            .run()
            .stdout
    };
    // Tasks were derived by the unsigned approval; none may start now.
    let r = repo
        .harness(["task", "start", "0001-1", "--owner", "realtime-dev"])
        .run();
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_contains(
        &r.stderr,
        "error: plan 0001 is not approved: the approval needs 1 signed approval",
    );
    let denied = guard();
    assert_contains(&denied, "\"permissionDecision\":\"deny\"");
    assert_contains(
        &denied,
        "plan 0001 (plans/0001-presence.md) is unverified (the approval needs 1 signed approval",
    );
    // The same approval, signed by the person: the write is allowed.
    let r = repo
        .harness([
            "plan",
            "approve",
            "1",
            "--by",
            "alice",
            "--resign",
            "--key",
            s(&alice),
        ])
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let allowed = guard();
    assert!(!allowed.contains("deny"), "{allowed}");
}

#[test]
fn in_ci_a_branch_cannot_approve_with_a_signer_it_added() {
    if !have_ssh_keygen() {
        return;
    }
    let keys = Keys::new();
    let alice = keys.make("alice", "ed25519", "");
    let mallory = keys.make("mallory", "ed25519", "");
    let repo = with_plan();
    require_signers(&repo, &keys, &[("alice", "alice")], "");
    repo.commit_all("chore: plan with signers");
    let base = repo.head();

    // The branch lists its own key, approves with it and commits both: the
    // work tree is satisfied, CI (which reads the base's signers) is not.
    require_signers(
        &repo,
        &keys,
        &[("alice", "alice"), ("mallory", "mallory")],
        "",
    );
    let r = approve(&repo, "mallory", &mallory);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    repo.commit_all("chore: approve the chat plan\n\nRefs: 0001");
    let r = repo.harness(["ci", "--no-gates", "--base", &base]).run();
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert_contains(&r.stdout, "plan `0001` is not approved");

    // The honest twin: a signer the base lists approves on the branch.
    repo.git(&["reset", "--hard", &base]);
    let r = approve(&repo, "alice", &alice);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    repo.commit_all("chore: approve the chat plan\n\nRefs: 0001");
    let r = repo.harness(["ci", "--no-gates", "--base", &base]).run();
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}
