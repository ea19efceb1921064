//! The guard's reading of Bash: each way of writing a file that a shell
//! offers, tried against realtime-dev (test files protected, plan gate on),
//! each beside a harmless twin that must still be allowed. The table is
//! the one of `guard_table`, in the same repository.

use std::fs;

use crate::common::guard::{
    Case, DEV, NONE, OPEN_AGENT, PLAN_RULE, PROJECT_RULE, Plan, TESTS_RULE, bash, check, file,
    repo, with_plan,
};

/// A write to the whole work tree: denied by the first protected path in
/// it (plan records, tests or harness's own files, whichever comes first).
const WHOLE_TREE: &str = "harness denies `Bash` writing `.`";

/// A write whose target the reading cannot name.
const UNSEEN: &str = "writing a file it cannot name";
const SCOPE: &str = "not in the Files to Change of plan 0007";

fn cases() -> Vec<Case> {
    vec![
        // The working directory, through cd, pushd/popd, git -C, env -C.
        bash(DEV, "cd tests && echo x > a.rs", Some(TESTS_RULE)),
        bash(DEV, "cd src && cargo test", None),
        bash(DEV, "cd src/ws && echo x > gen.rs", None),
        bash(DEV, "cd src; echo x > ws/a.rs", Some(SCOPE)),
        bash(DEV, "cd nowhere; rm tests/a.rs", Some(TESTS_RULE)),
        bash(DEV, "false && cd src/ws; rm tests/a.rs", Some(TESTS_RULE)),
        bash(
            DEV,
            "cd src/ws && rm old.rs || rm tests/a.rs",
            Some(TESTS_RULE),
        ),
        bash(DEV, "(cd src/ws); rm tests/a.rs", Some(TESTS_RULE)),
        bash(DEV, "(cd tests); echo x > src/lib.rs", None),
        bash(DEV, "cd tests | cat; echo x > src/lib.rs", None),
        bash(DEV, "true | cd tests; rm a.rs", Some(TESTS_RULE)),
        bash(DEV, "pushd tests && rm a.rs; popd", Some(TESTS_RULE)),
        bash(DEV, "pushd src/ws && rm old.rs && popd", None),
        bash(
            DEV,
            "pushd src/ws && popd && rm tests/a.rs",
            Some(TESTS_RULE),
        ),
        bash(DEV, "git -C tests checkout -- a.rs", Some(TESTS_RULE)),
        bash(DEV, "git -C src/ws checkout -- a.rs", None),
        bash(DEV, "env -C tests rm a.rs", Some(TESTS_RULE)),
        bash(DEV, "sudo -D tests rm a.rs", Some(TESTS_RULE)),
        bash(DEV, "cd \"$X\" && echo x > a.rs", Some(UNSEEN)),
        bash(DEV, "cd \"$X\" && cargo test", None),
        bash(DEV, "cd - && rm a.rs", Some(UNSEEN)),
        bash(DEV, "cd && rm a.rs", Some(UNSEEN)),
        bash(DEV, "CDPATH=. cd ws && rm a.rs", Some(UNSEEN)),
        bash(DEV, "eval 'cd tests'; rm a.rs", Some(TESTS_RULE)),
        bash(DEV, "bash -c 'cd tests'; echo x > src/lib.rs", None),
        bash(DEV, "for d in a; do cd tests; done; rm a.rs", Some(UNSEEN)),
        bash(DEV, "for d in a b; do cargo test; done", None),
        bash(DEV, "f() { cd tests; }; f; rm a.rs", Some(UNSEEN)),
        bash(DEV, "cd tests && echo $(rm a.rs); cd ..", Some(TESTS_RULE)),
        // Braces, ANSI-C quoting, the read-write redirection.
        bash(DEV, "rm {tests,src/ws}/a.rs", Some(TESTS_RULE)),
        bash(DEV, "echo x > {src/ws,tests}/a.rs", Some(TESTS_RULE)),
        bash(DEV, "touch src/ws/{a,b}.rs", None),
        bash(DEV, "rm $'\\x74ests/a.rs'", Some(TESTS_RULE)),
        bash(DEV, "rm $'tests/a\\x2ers'", Some(TESTS_RULE)),
        bash(DEV, "echo $'a\\tb'", None),
        bash(DEV, "cat <>tests/a.rs", Some(TESTS_RULE)),
        bash(DEV, "cat <src/lib.rs", None),
        // Heredocs end where bash ends them; expanding bodies run.
        bash(
            DEV,
            "cat <<$'EOF'\nEOF\nrm tests/a.rs\n$'EOF'",
            Some(TESTS_RULE),
        ),
        bash(
            DEV,
            "cat <<EOF\nEO\\\nF\nrm tests/a.rs\nEOF",
            Some(TESTS_RULE),
        ),
        bash(DEV, "cat <<EOF\n$(rm tests/a.rs)\nEOF", Some(TESTS_RULE)),
        bash(DEV, "cat <<'EOF'\n$(rm tests/a.rs)\nEOF", None),
        bash(DEV, "cat <<-EOF\n\trm tests/a.rs\n\tEOF", None),
        bash(DEV, "bash <<'EOF'\nrm tests/a.rs\nEOF", Some(TESTS_RULE)),
        bash(DEV, "bash <<'EOF'\ncargo test\nEOF", None),
        // Wrappers and their options.
        bash(DEV, "sudo -u root rm tests/a.rs", Some(TESTS_RULE)),
        bash(DEV, "sudo -u root cargo test", None),
        bash(DEV, "env -S 'rm tests/a.rs'", Some(TESTS_RULE)),
        bash(DEV, "env -i PATH=/bin rm tests/a.rs", Some(TESTS_RULE)),
        bash(DEV, "setsid -f rm tests/a.rs", Some(TESTS_RULE)),
        bash(DEV, "flock /tmp/l rm tests/a.rs", Some(TESTS_RULE)),
        bash(DEV, "flock -n /tmp/l -c 'rm tests/a.rs'", Some(TESTS_RULE)),
        bash(DEV, "flock /tmp/l cargo test", None),
        bash(DEV, "nohup tee tests/a.rs", Some(TESTS_RULE)),
        bash(DEV, "stdbuf -o0 tee tests/a.rs", Some(TESTS_RULE)),
        bash(DEV, "ionice -c3 tee tests/a.rs", Some(TESTS_RULE)),
        bash(DEV, "chrt 1 tee tests/a.rs", Some(TESTS_RULE)),
        bash(DEV, "nice -n 5 tee tests/a.rs", Some(TESTS_RULE)),
        bash(DEV, "timeout 5 tee tests/a.rs", Some(TESTS_RULE)),
        bash(DEV, "timeout 60 cargo test", None),
        bash(DEV, "time -o tests/t.txt ls", Some(TESTS_RULE)),
        bash(DEV, "ls | xargs rm", Some(UNSEEN)),
        bash(DEV, "ls tests | xargs -I{} sed -i s/a/b/ {}", Some(UNSEEN)),
        bash(DEV, "ls | xargs grep x", None),
        // Writers by their output option.
        bash(DEV, "sort -o tests/a.rs in.txt", Some(TESTS_RULE)),
        bash(DEV, "sort -o src/ws/out.txt in.txt", None),
        bash(OPEN_AGENT, "sort -o out.txt in.txt", None),
        bash(DEV, "tar -xf a.tar", Some(WHOLE_TREE)),
        bash(DEV, "tar -xf a.tar -C tests", Some(TESTS_RULE)),
        bash(DEV, "tar -tf a.tar", None),
        bash(OPEN_AGENT, "tar -xf a.tar -C build/", None),
        bash(NONE, "tar -xf a.tar -C migrations", Some(PROJECT_RULE)),
        bash(DEV, "curl -sSo tests/a.rs https://x.io/a", Some(TESTS_RULE)),
        bash(
            DEV,
            "cd tests && curl -O https://x.io/a.rs",
            Some(TESTS_RULE),
        ),
        bash(DEV, "curl --output=src/ws/a.json https://x.io/a", None),
        bash(DEV, "wget -O tests/a.rs https://x.io/a", Some(TESTS_RULE)),
        bash(DEV, "wget -P tests https://x.io/a.rs", Some(TESTS_RULE)),
        bash(DEV, "wget -qO- https://x.io/a", None),
        bash(DEV, "ex -sc '%s/a/b/|x' tests/a.rs", Some(TESTS_RULE)),
        bash(
            DEV,
            "vim -c 'w tests/b.rs' -c q src/lib.rs",
            Some(TESTS_RULE),
        ),
        bash(DEV, "vi -c '!rm tests/a.rs' -c q src/lib.rs", Some(UNSEEN)),
        bash(DEV, "vim -c '%s/a/b/' -c wq src/lib.rs", None),
        bash(DEV, "install src/lib.rs tests/x.rs", Some(TESTS_RULE)),
        bash(DEV, "install -m 644 a src/ws/b", None),
        bash(DEV, "git checkout main tests/a.rs", Some(TESTS_RULE)),
        bash(DEV, "git checkout HEAD~1 -- tests", Some(TESTS_RULE)),
        bash(
            DEV,
            "git restore --source=HEAD~3 tests/a.rs",
            Some(TESTS_RULE),
        ),
        bash(DEV, "git checkout .", Some(WHOLE_TREE)),
        bash(DEV, "git clean -fdx", Some(WHOLE_TREE)),
        bash(DEV, "git checkout -b feature", None),
        bash(DEV, "git checkout main -- src/lib.rs", None),
        bash(DEV, "find tests -name '*.rs' -delete", Some(TESTS_RULE)),
        bash(
            DEV,
            "find . -name '*.rs' -exec sed -i s/a/b/ {} +",
            Some(WHOLE_TREE),
        ),
        bash(DEV, "find . -exec sh -c 'rm \"$1\"' _ {} ;", Some(UNSEEN)),
        bash(DEV, "find tests -name '*.rs'", None),
        bash(DEV, "find tests -exec cat {} ;", None),
        bash(DEV, "truncate -s0 tests/a.rs", Some(TESTS_RULE)),
        bash(DEV, "dd if=/dev/zero of=tests/a.rs", Some(TESTS_RULE)),
        bash(DEV, "rsync -a x/ tests/", Some(TESTS_RULE)),
        bash(DEV, "patch -o tests/a.rs < x.diff", Some(TESTS_RULE)),
        // Links: the target counts as written.
        bash(DEV, "ln -s tests/a.rs y && echo x > y", Some(TESTS_RULE)),
        bash(DEV, "ln tests/a.rs src/ws/h.rs", Some(TESTS_RULE)),
        bash(DEV, "ln -s ../../tests/a.rs src/ws/l.rs", Some(TESTS_RULE)),
        bash(DEV, "cp -l tests/a.rs src/ws/h.rs", Some(TESTS_RULE)),
        bash(OPEN_AGENT, "ln -s ../src/lib.rs build/lib.rs", None),
        bash(DEV, "echo x > src/dangling", Some(TESTS_RULE)),
        file(DEV, "Write", "src/dangling", Some(TESTS_RULE)),
        // A walk that gives up denies.
        bash(NONE, "rm -rf big", Some(PROJECT_RULE)),
        bash(OPEN_AGENT, "rm -rf small", None),
        // The plan gate covers Bash writes; commands that write nothing pass.
        bash(DEV, "echo x > src/other.rs", Some(SCOPE)),
        bash(DEV, "echo x > src/ws/a.rs", None),
        bash(DEV, "mkdir -p build", Some(SCOPE)),
        bash(DEV, "cat draft.md > plans/0009-new.md", None),
        with_plan(
            bash(DEV, "echo x > src/ws/a.rs", Some("is draft, not approved")),
            Plan::Draft,
        ),
        with_plan(
            bash(DEV, "sed -i s/a/b/ src/lib.rs", Some("changed since")),
            Plan::Changed,
        ),
        with_plan(
            bash(DEV, "echo x > src/ws/a.rs", Some(PLAN_RULE)),
            Plan::None,
        ),
        with_plan(bash(DEV, "cargo build 2>/dev/null", None), Plan::None),
        // Blind spots, closed by the sandbox and the CI scope check.
        bash(DEV, "python3 -c \"open('tests/a.rs', 'w')\"", None),
        bash(DEV, "git apply fix.diff", None),
        bash(DEV, "patch -p1 < fix.diff", None),
        bash(DEV, "sh ./script.sh", None),
        bash(DEV, "echo 'rm tests/a.rs' | sh", None),
    ]
}

#[test]
fn bash_writes_meet_the_same_rules_as_edits() {
    let repo = repo();
    #[cfg(unix)]
    std::os::unix::fs::symlink("../tests/new.rs", repo.path("src/dangling")).unwrap();
    fs::create_dir_all(repo.path("big")).unwrap();
    // More entries than the walk looks at, the protected one last.
    for i in 0..20_001 {
        fs::write(repo.path(&format!("big/{i:05}")), "").unwrap();
    }
    fs::create_dir_all(repo.path("small/a")).unwrap();
    fs::write(repo.path("small/a/x"), "").unwrap();
    let table = cases();
    assert!(table.len() >= 100, "the table has {} cases", table.len());
    let failures = check(&repo, &table);
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
