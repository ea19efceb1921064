//! `harness-agents init --ci github|gitlab`: the CI file installs harness from
//! where `[ci]` says, pinned and cached, and its steps run as written.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use crate::common::{BIN, Repo, assert_contains, base_env, empty_home};

/// A YAML file as JSON values, read as the CI service would read it.
fn yaml(text: &str) -> serde_json::Value {
    serde_saphyr::from_str(text).unwrap_or_else(|e| panic!("not YAML: {e}\n{text}"))
}

/// A git repository with one commit, standing for harness's own, and its
/// `file://` URL.
fn harness_source() -> (Repo, String) {
    let src = Repo::new();
    src.commit(&[("README.md", "# harness\n")], "chore: start");
    let url = format!("file://{}", src.root.display());
    (src, url)
}

#[test]
fn init_ci_needs_to_know_where_ci_installs_harness_from() {
    let repo = Repo::new();
    let run = repo.harness(["init", "--ci", "github"]).assert(2);
    assert_contains(
        &run.stderr,
        "the CI file needs to know where to install harness-agents from: pass `--harness-git URL`",
    );
    // Nothing was written.
    assert!(!repo.path("harness.toml").exists());
    assert!(!repo.path(".github").exists());
    // A value that could not be one shell word is refused where it is given.
    let bad = repo
        .harness(["init", "--ci", "github", "--harness-git", "x'; rm -rf ~"])
        .assert(2);
    assert_contains(&bad.stderr, "is not a git URL CI can clone");
    // And one in harness.toml is an error located in the file.
    repo.write("harness.toml", "[ci]\nharness_version = \"1.0 && id\"\n");
    let located = repo.harness(["init", "--ci", "github"]).assert(2);
    assert_contains(&located.stderr, "harness.toml:2:19");
    assert_contains(&located.stderr, "is not a version or git revision");
}

#[test]
fn init_ci_records_the_source_in_harness_toml_and_pins_it_in_the_workflow() {
    let repo = Repo::new();
    repo.write(
        "Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\n",
    );
    repo.write("rust-toolchain.toml", "[toolchain]\nchannel = \"1.95.0\"\n");
    let run = repo
        .harness([
            "init",
            "--ci",
            "github",
            "--harness-git",
            "https://example.com/acme/harness",
            "--harness-rev",
            "v0.2.0",
        ])
        .assert(0);
    assert_contains(&run.stdout, "created     .github/workflows/harness.yml\n");
    let config = repo.read("harness.toml");
    assert_contains(
        &config,
        "# services = [\"redis\"]\nharness_git = \"https://example.com/acme/harness\"\nharness_rev = \"v0.2.0\"\n\n[guard]\n",
    );
    let wf = yaml(&repo.read(".github/workflows/harness.yml"));
    let steps = wf["jobs"]["harness"]["steps"].as_array().unwrap();
    let named = |name: &str| {
        steps
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("no step {name}"))
            .clone()
    };
    assert_eq!(
        named("Pin harness")["run"],
        "rev='v0.2.0'\necho \"rev=$rev\" >> \"$GITHUB_OUTPUT\"\n"
    );
    assert_eq!(
        named("Install harness")["run"],
        "rev=\"$HARNESS_REV\"\n(cd \"${TMPDIR:-/tmp}\" && cargo install --locked --git 'https://example.com/acme/harness' --rev \"$rev\" harness-agents)\n"
    );
    assert_eq!(
        named("Install harness")["if"],
        "steps.harness-cache.outputs.cache-hit != 'true'"
    );
    assert_eq!(
        named("The project's toolchain (rust-toolchain.toml)")["run"],
        "rustup toolchain install"
    );
    // The cache is restored before the install and saved right after it,
    // before any of the project's code (a build script) runs in the job.
    let at = |uses: &str| {
        steps
            .iter()
            .position(|s| s["uses"] == uses)
            .unwrap_or_else(|| panic!("no step {uses}"))
    };
    let install = steps
        .iter()
        .position(|s| s["name"] == "Install harness")
        .unwrap();
    let (restore, save) = (at("actions/cache/restore@v4"), at("actions/cache/save@v4"));
    assert_eq!((restore + 1, install + 1), (install, save));
    assert!(!steps.iter().any(|s| s["uses"] == "actions/cache@v4"));
    for step in [restore, save] {
        let cache = &steps[step];
        assert_eq!(cache["with"]["path"], "~/.cargo/bin/harness-agents");
        assert_eq!(
            cache["with"]["key"],
            "harness-agents-${{ runner.os }}-${{ steps.harness.outputs.rev }}"
        );
    }
    // A second init keeps harness.toml, and reads `[ci]` from it.
    std::fs::remove_file(repo.path(".github/workflows/harness.yml")).unwrap();
    repo.harness(["init", "--ci", "github"]).assert(0);
    assert_contains(
        &repo.read(".github/workflows/harness.yml"),
        "--git 'https://example.com/acme/harness'",
    );
}

#[test]
fn init_ci_gitlab_writes_a_stage_a_job_its_services_and_scripts() {
    let repo = Repo::new();
    repo.write(
        "harness.toml",
        "[ci]\nharness_version = \"0.3.0\"\nservices = [\"redis\"]\n",
    );
    repo.harness(["init", "--ci", "gitlab"]).assert(0);
    let ci = yaml(&repo.read(".gitlab-ci.yml"));
    assert_eq!(ci["stages"], serde_json::json!(["check"]));
    let job = &ci["harness"];
    assert_eq!(job["stage"], "check");
    assert_eq!(job["variables"]["GIT_DEPTH"], "0");
    assert_eq!(job["variables"]["REDIS_URL"], "redis://redis:6379");
    assert_eq!(
        job["services"],
        serde_json::json!([{"name": "redis:7", "alias": "redis"}])
    );
    assert_eq!(job["cache"]["paths"], serde_json::json!([".harness-ci/"]));
    // Only the default branch's jobs save the cache: a merge request's build
    // script could write over the binary before its job ends.
    assert_eq!(job["cache"]["policy"], "$HARNESS_CACHE_POLICY");
    let policy = |i: usize| job["rules"][i]["variables"]["HARNESS_CACHE_POLICY"].clone();
    assert_eq!(
        (policy(0), policy(1)),
        (serde_json::json!("pull"), serde_json::json!("pull-push"))
    );
    assert_eq!(
        job["rules"][1]["if"],
        "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"
    );
    let before: Vec<&str> = job["before_script"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(before.len(), 2, "{before:?}");
    assert_contains(before[0], "rev='0.3.0'\n");
    // A branch cannot plant the binary CI runs.
    assert_contains(
        before[0],
        "if [ -n \"$(git ls-files -- .harness-ci)\" ]; then\n",
    );
    assert_contains(
        before[0],
        "cargo install --locked --root \"$CI_PROJECT_DIR/.harness-ci\" harness-agents --version \"=$rev\")",
    );
    assert_eq!(
        before[1],
        "export PATH=\"$CI_PROJECT_DIR/.harness-ci/bin:$PATH\""
    );
    let script = job["script"][0].as_str().unwrap();
    assert_contains(script, "  harness-agents ci --base FETCH_HEAD\n");
    assert_contains(
        script,
        "  harness-agents ci --base \"$CI_COMMIT_BEFORE_SHA\"\n",
    );
    // Every script is shell bash reads.
    for text in before.iter().chain([&script]) {
        let out = Command::new("bash")
            .args(["-n", "-c", text])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{text}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// `${{ EXPR }}` in `value` replaced from `exprs`; an expression the test
/// does not know fails it, so a new one in the workflow is seen here.
fn evaluate(value: &str, exprs: &BTreeMap<&str, String>) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").expect("a closed expression") + start;
        let expr = rest[start + 3..end].trim();
        out.push_str(
            exprs
                .get(expr)
                .unwrap_or_else(|| panic!("the test does not evaluate `{expr}`")),
        );
        rest = &rest[end + 2..];
    }
    out + rest
}

/// Stands in for `cargo install` in the workflow's install step (a real
/// build of harness from git takes minutes on this machine): it checks
/// the arguments and that the revision is one the repository has, records
/// them and where it ran, then installs the binary under test where cargo
/// would. Any other cargo command is the real one.
const CARGO_INSTALL_STAND_IN: &str = r#"#!/bin/bash
set -euo pipefail
if [ "${1:-}" != install ]; then exec "$REAL_CARGO" "$@"; fi
printf '%s\n' "$*" > "$HOME/cargo-install-args"
pwd > "$HOME/cargo-install-cwd"
shift
url= rev= locked= pkg=
while [ $# -gt 0 ]; do
  case "$1" in
    --git) url=$2; shift 2 ;;
    --rev) rev=$2; shift 2 ;;
    --locked) locked=1; shift ;;
    -*) echo "cargo stand-in: unexpected $1" >&2; exit 2 ;;
    *) pkg=$1; shift ;;
  esac
done
[ -n "$locked" ] || { echo "cargo stand-in: not --locked" >&2; exit 2; }
[ "$pkg" = "$PACKAGE" ] || { echo "cargo stand-in: package $pkg" >&2; exit 2; }
git ls-remote "$url" | cut -f1 | grep -qx "$rev" || { echo "cargo stand-in: no commit $rev at $url" >&2; exit 101; }
mkdir -p "$HOME/.cargo/bin"
cp "$HARNESS_UNDER_TEST" "$HOME/.cargo/bin/harness-agents"
"#;

/// Runs `script` as GitHub runs a `run:` step (`bash -e -o pipefail`).
fn run_step(script: &str, clone: &Path, env: &[(String, String)]) -> std::process::Output {
    Command::new("bash")
        .args([
            "--noprofile",
            "--norc",
            "-e",
            "-o",
            "pipefail",
            "-c",
            script,
        ])
        .current_dir(clone)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap()
}

#[test]
fn the_workflow_installs_and_checks_as_written_in_a_clone() {
    let (src, url) = harness_source();
    let repo = Repo::new();
    repo.write("README.md", "# app\n");
    repo.commit_all("chore: start");
    let before = repo.head();
    repo.harness(["init", "--ci", "github", "--harness-git", &url])
        .assert(0);
    let mut config = repo.read("harness.toml");
    config.push_str("\n[gates.readme]\ncommand = \"test -f README.md\"\nkind = \"other\"\n");
    repo.write("harness.toml", &config);
    repo.commit_all("chore: adopt harness");
    let text = repo.read(".github/workflows/harness.yml");

    // What actions/checkout with fetch-depth 0 leaves: a clone.
    let work = tempfile::tempdir().unwrap();
    let clone = work.path().join("clone");
    let status = Command::new("git")
        .args(["clone", "-q"])
        .arg(&repo.root)
        .arg(&clone)
        .status()
        .unwrap();
    assert!(status.success());
    let home = empty_home();
    let tmp = work.path().join("tmp");
    let shims = work.path().join("shims");
    std::fs::create_dir_all(&tmp).unwrap();
    std::fs::create_dir_all(&shims).unwrap();
    let cargo = shims.join("cargo");
    std::fs::write(&cargo, CARGO_INSTALL_STAND_IN).unwrap();
    std::fs::set_permissions(&cargo, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let output = work.path().join("github-output");
    std::fs::write(&output, "").unwrap();
    let real_cargo = which("cargo");
    let mut env: Vec<(String, String)> = base_env(home.path())
        .into_iter()
        .filter(|(k, _)| *k != "PATH")
        .map(|(k, v)| (k.to_string(), v.into_string().unwrap()))
        .collect();
    env.extend([
        (
            "PATH".to_string(),
            format!(
                "{}:{}:{}",
                shims.display(),
                home.path().join(".cargo/bin").display(),
                std::env::var("PATH").unwrap()
            ),
        ),
        ("TMPDIR".into(), tmp.display().to_string()),
        ("GITHUB_OUTPUT".into(), output.display().to_string()),
        ("REAL_CARGO".into(), real_cargo),
        ("HARNESS_UNDER_TEST".into(), BIN.to_string()),
        ("PACKAGE".into(), "harness-agents".into()),
    ]);

    // Each step in order: `uses:` steps are the runner's (checkout is the
    // clone above, the toolchain is this machine's, the cache misses);
    // every `run:` step runs its exact text.
    let wf = yaml(&text);
    let mut ran = Vec::new();
    let mut last = None;
    for step in wf["jobs"]["harness"]["steps"].as_array().unwrap() {
        let Some(script) = step["run"].as_str() else {
            continue;
        };
        let outputs: BTreeMap<String, String> = std::fs::read_to_string(&output)
            .unwrap()
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let exprs: BTreeMap<&str, String> = BTreeMap::from([
            (
                "steps.harness.outputs.rev",
                outputs.get("rev").cloned().unwrap_or_default(),
            ),
            ("github.base_ref", String::new()),
            ("github.event.before", before.clone()),
        ]);
        let mut step_env = env.clone();
        if let Some(vars) = step["env"].as_object() {
            for (k, v) in vars {
                step_env.push((k.clone(), evaluate(v.as_str().unwrap(), &exprs)));
            }
        }
        let out = run_step(script, &clone, &step_env);
        let name = step["name"].as_str().unwrap().to_string();
        assert!(
            out.status.success(),
            "step `{name}` failed\n--- stdout\n{}--- stderr\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        ran.push(name);
        last = Some((script.to_string(), step_env));
    }
    assert_eq!(ran, ["Pin harness", "Install harness", "harness-agents ci"]);
    // The install named the commit the source's default branch is at, and
    // ran outside the project, where its toolchain file does not apply.
    let src_head = src.head();
    assert_eq!(
        std::fs::read_to_string(home.path().join("cargo-install-args")).unwrap(),
        format!("install --locked --git {url} --rev {src_head} harness-agents\n")
    );
    assert_eq!(
        std::fs::read_to_string(home.path().join("cargo-install-cwd")).unwrap(),
        format!("{}\n", tmp.display())
    );

    // The check step fails on a commit that breaks the rules.
    let (check, check_env) = last.unwrap();
    std::fs::write(clone.join("notes.txt"), "x\n").unwrap();
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(args)
            .current_dir(&clone)
            .env_clear()
            .envs(check_env.iter().map(|(k, v)| (k, v)))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    git(&["add", "notes.txt"]);
    git(&["commit", "-q", "-m", "notes"]);
    let out = run_step(&check, &clone, &check_env);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_contains(
        &String::from_utf8_lossy(&out.stdout),
        "failed  commits  2 commit(s)",
    );
}

fn which(program: &str) -> String {
    let out = Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn the_gitlab_job_refuses_a_branch_that_commits_the_binary_ci_runs() {
    let repo = Repo::new();
    repo.write("harness.toml", "[ci]\nharness_version = \"0.3.0\"\n");
    repo.harness(["init", "--ci", "gitlab"]).assert(0);
    let ci = yaml(&repo.read(".gitlab-ci.yml"));
    let install = ci["harness"]["before_script"][0]
        .as_str()
        .unwrap()
        .to_string();
    // The pin matches and the binary is there: without the check, the job
    // would skip the install and run this script as harness.
    repo.write(".harness-ci/rev", "0.3.0\n");
    repo.write(".harness-ci/bin/harness-agents", "#!/bin/sh\nexit 0\n");
    repo.commit_all("feat: bring my own harness");
    let out = Command::new("bash")
        .args(["-e", "-c", &install])
        .current_dir(&repo.root)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "refusing to run: .harness-ci/ is committed, where CI keeps its harness\n"
    );
}
