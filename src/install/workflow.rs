//! The CI files `harness-agents init --ci github|gitlab` writes, and the steps
//! `harness-agents run --emit github` shares with them: install harness pinned
//! (a registry version, or a git repository at a commit resolved when the
//! job starts) and cached by that pin, install the project's own toolchain
//! when `rust-toolchain.toml` pins one, start the services `[ci] services`
//! declares, then run `harness-agents ci` on the pushed or proposed commits.
//!
//! harness is built outside the project's directory, so a toolchain the
//! project pins (maybe older than harness needs) applies to the project's
//! gates only. Every expression the provider evaluates reaches the shell
//! through an environment variable, never spliced into a script.

use std::fmt::Write as _;
use std::path::Path;

use crate::config::Project;
use crate::config::ci::{CiConfig, GitUrl, Service, Word};
use crate::error::{Error, Result};
use crate::{BIN, PACKAGE};

/// The CI services `init --ci` writes a file for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    Github,
    Gitlab,
}

impl Provider {
    /// The file, relative to the project root.
    pub fn path(self) -> &'static str {
        match self {
            Provider::Github => ".github/workflows/harness.yml",
            Provider::Gitlab => ".gitlab-ci.yml",
        }
    }
}

/// Where CI installs harness from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `cargo install --git URL --rev REV`; without a rev, the default
    /// branch's tip when the job starts.
    Git { url: String, rev: Option<String> },
    /// `cargo install --version =VERSION` from the crates registry.
    Registry { version: String },
}

/// The install source given on the command line, over `[ci]`.
#[derive(Debug, Clone, Default)]
pub struct SourceOverride {
    pub git: Option<GitUrl>,
    pub rev: Option<Word>,
    pub version: Option<Word>,
}

/// What a CI file needs to know about the project.
#[derive(Debug, Clone)]
pub struct Setup {
    pub source: Source,
    pub services: Vec<Service>,
    /// `rust-toolchain.toml` or `rust-toolchain` at the root, if any.
    pub toolchain_file: Option<&'static str>,
    /// Whether the root has a `Cargo.toml` (the gates then need clippy
    /// and rustfmt).
    pub rust: bool,
}

const TOOLCHAIN_FILES: &[&str] = &["rust-toolchain.toml", "rust-toolchain"];

/// The all-zero SHA a push of a new branch reports as its `before`.
const ZERO_SHA: &str = "0000000000000000000000000000000000000000";

impl Setup {
    /// The setup for `project`: the install source from `over`, else from
    /// `[ci]`; an error naming both when neither says.
    pub fn new(project: &Project, over: &SourceOverride) -> Result<Setup> {
        Self::from_parts(&project.root, &project.config.ci, over)
    }

    pub fn from_parts(root: &Path, ci: &CiConfig, over: &SourceOverride) -> Result<Setup> {
        let (git, rev, version) = if over.git.is_some() || over.version.is_some() {
            (&over.git, &over.rev, &over.version)
        } else {
            let rev = if over.rev.is_some() {
                &over.rev
            } else {
                &ci.harness_rev
            };
            (&ci.harness_git, rev, &ci.harness_version)
        };
        let source = match (git, version) {
            (Some(_), Some(_)) => {
                return Err(Error::usage(
                    "harness is installed either from git or from the registry: give `harness_git` or `harness_version`, not both",
                ));
            }
            (Some(url), None) => Source::Git {
                url: url.0.clone(),
                rev: rev.as_ref().map(|r| r.0.clone()),
            },
            (None, Some(v)) => {
                if rev.is_some() {
                    return Err(Error::usage(
                        "`harness_rev` pins a git source: give it with `harness_git`, or drop it",
                    ));
                }
                Source::Registry {
                    version: v.0.clone(),
                }
            }
            (None, None) => {
                return Err(Error::usage(format!(
                    "the CI file needs to know where to install {BIN} from: pass `--harness-git URL` \
                     (with `--harness-rev REV` to pin a tag or commit) or `--harness-version VERSION`, \
                     or set `harness_git` or `harness_version` under `[ci]` in harness.toml"
                )));
            }
        };
        Ok(Setup {
            source,
            services: ci.services.clone(),
            toolchain_file: TOOLCHAIN_FILES
                .iter()
                .copied()
                .find(|f| root.join(f).is_file()),
            rust: root.join("Cargo.toml").is_file(),
        })
    }

    /// Shell lines that leave the pin (commit or version) in `$rev`.
    fn resolve_lines(&self) -> Vec<String> {
        match &self.source {
            Source::Git { url, rev: None } => vec![
                format!("rev=$(git ls-remote '{url}' HEAD | cut -f1)"),
                format!(
                    "test -n \"$rev\" || {{ echo \"no default branch at {url}\" >&2; exit 1; }}"
                ),
            ],
            Source::Git { rev: Some(r), .. } => vec![format!("rev='{r}'")],
            Source::Registry { version } => vec![format!("rev='{version}'")],
        }
    }

    /// The `cargo install` line for the pin in `$rev`, run outside the
    /// project so that its toolchain file does not apply.
    fn install_line(&self, root: Option<&str>) -> String {
        let root = root.map(|r| format!(" --root \"{r}\"")).unwrap_or_default();
        let what = match &self.source {
            Source::Git { url, .. } => format!("--git '{url}' --rev \"$rev\" {PACKAGE}"),
            Source::Registry { .. } => format!("{PACKAGE} --version \"=$rev\""),
        };
        format!("(cd \"${{TMPDIR:-/tmp}}\" && cargo install --locked{root} {what})")
    }

    /// The shell lines that check the commits: from the base of a pull
    /// (or merge) request, else from the commit before a push, else as
    /// `harness-agents ci` finds the range itself (a new branch).
    fn check_lines(target_branch: &str, before: &str, fetch_base: bool) -> String {
        let base = if fetch_base {
            format!("  git fetch origin \"${target_branch}\"\n  {BIN} ci --base FETCH_HEAD\n")
        } else {
            format!("  {BIN} ci --base \"origin/${target_branch}\"\n")
        };
        format!(
            "if [ -n \"${{{target_branch}:-}}\" ]; then\n{base}elif [ -n \"${{{before}:-}}\" ] && [ \"${before}\" != {ZERO_SHA} ]; then\n  {BIN} ci --base \"${before}\"\nelse\n  {BIN} ci\nfi\n"
        )
    }

    /// The job-level `services:` and `env:` of a GitHub Actions job,
    /// indented for a job.
    pub fn github_job_services(&self) -> String {
        if self.services.is_empty() {
            return String::new();
        }
        let mut s = String::from("    services:\n");
        for svc in &self.services {
            let _ = write!(
                s,
                "      {}:\n        image: {}\n        ports:\n          - {p}:{p}\n",
                svc.name,
                svc.image,
                p = svc.port
            );
            if !svc.env.is_empty() {
                s.push_str("        env:\n");
                for (k, v) in svc.env {
                    let _ = writeln!(s, "          {k}: {v}");
                }
            }
            let _ = writeln!(
                s,
                "        options: >-\n          --health-cmd \"{}\" --health-interval 5s --health-timeout 5s --health-retries 20",
                svc.health
            );
        }
        s.push_str("    env:\n");
        for svc in &self.services {
            let _ = writeln!(s, "      {}: {}", svc.url_var, svc.url_at("localhost"));
        }
        s
    }

    /// The steps after the checkout that leave harness on `PATH` and the
    /// project's toolchain installed, indented for a job's `steps:`.
    pub fn github_steps(&self) -> String {
        let mut s = String::from("      - uses: dtolnay/rust-toolchain@stable\n");
        if self.rust && self.toolchain_file.is_none() {
            s.push_str("        with:\n          components: clippy, rustfmt\n");
        }
        s.push_str("      - name: Pin harness\n        id: harness\n        run: |\n");
        for line in self.resolve_lines() {
            let _ = writeln!(s, "          {line}");
        }
        s.push_str("          echo \"rev=$rev\" >> \"$GITHUB_OUTPUT\"\n");
        // Restored now and saved right after the install, before any of
        // the project's code runs: a cache saved at the end of the job would
        // keep whatever a build script of the branch under test wrote over
        // the binary, for the next run to restore.
        let key = format!("{BIN}-${{{{ runner.os }}}}-${{{{ steps.harness.outputs.rev }}}}");
        let _ = write!(
            s,
            "      - uses: actions/cache/restore@v4\n        id: harness-cache\n        with:\n          path: ~/.cargo/bin/{BIN}\n          key: {key}\n"
        );
        let _ = write!(
            s,
            "      - name: Install harness\n        if: steps.harness-cache.outputs.cache-hit != 'true'\n        env:\n          HARNESS_REV: ${{{{ steps.harness.outputs.rev }}}}\n        run: |\n          rev=\"$HARNESS_REV\"\n          {}\n",
            self.install_line(None)
        );
        let _ = write!(
            s,
            "      - uses: actions/cache/save@v4\n        if: steps.harness-cache.outputs.cache-hit != 'true'\n        with:\n          path: ~/.cargo/bin/{BIN}\n          key: {key}\n"
        );
        if let Some(file) = self.toolchain_file {
            let _ = write!(
                s,
                "      - name: The project's toolchain ({file})\n        run: rustup toolchain install\n"
            );
        }
        s
    }

    /// The CI file for `provider`.
    pub fn file(&self, provider: Provider) -> String {
        match provider {
            Provider::Github => self.github_workflow(),
            Provider::Gitlab => self.gitlab_ci(),
        }
    }

    /// `config` (a new harness.toml) with `over` recorded at the end of
    /// its `[ci]` table, after the commented defaults.
    pub fn record(over: &SourceOverride, config: &str) -> String {
        let pairs = [
            ("harness_git", over.git.as_ref().map(|g| g.0.as_str())),
            ("harness_rev", over.rev.as_ref().map(|r| r.0.as_str())),
            (
                "harness_version",
                over.version.as_ref().map(|v| v.0.as_str()),
            ),
        ];
        let mut lines = String::new();
        for (key, value) in pairs {
            if let Some(value) = value {
                let quoted = toml::Value::String(value.to_string()).to_string();
                let _ = writeln!(lines, "{key} = {quoted}");
            }
        }
        let Some(table) = config.find("\n[ci]\n") else {
            return format!("{config}\n[ci]\n{lines}");
        };
        let end = config[table + 1..]
            .find("\n\n[")
            .map_or(config.len(), |i| table + 2 + i);
        format!("{}{lines}{}", &config[..end], &config[end..])
    }

    /// `.github/workflows/harness.yml`.
    pub fn github_workflow(&self) -> String {
        let mut s = String::from(
            "# Runs `harness-agents ci` on every pull request and push to main: agent
# definitions valid, the plans the commits reference approved and unchanged,
# every commit a Conventional Commit that names its plan, agents within their
# scope, and the quality gates. Written by `harness-agents init --ci github` from
# `[ci]` in harness.toml; edit freely.
name: harness

on:
  pull_request:
  push:
    branches: [main]

permissions:
  contents: read

jobs:
  harness:
    runs-on: ubuntu-latest
",
        );
        s.push_str(&self.github_job_services());
        s.push_str(
            "    steps:
      - uses: actions/checkout@v4
        with:
          # The whole history, so that the range and its merge base exist.
          fetch-depth: 0
",
        );
        s.push_str(&self.github_steps());
        s.push_str(
            "      - name: harness-agents ci
        env:
          BASE_REF: ${{ github.base_ref }}
          BEFORE: ${{ github.event.before }}
        run: |
",
        );
        for line in Self::check_lines("BASE_REF", "BEFORE", false).lines() {
            let _ = writeln!(s, "          {line}");
        }
        s
    }

    /// `.gitlab-ci.yml`: one job in a `check` stage, on merge requests and
    /// pushes to the default branch. harness is installed under
    /// `.harness-ci/` in the project directory (GitLab caches only paths
    /// inside it), reinstalled when the pin changes; the job refuses to run
    /// when the branch commits that directory. Only the default branch's
    /// jobs save the cache (GitLab 16.1 reads `policy` from a variable), so
    /// a merge request's job cannot leave a binary for any other job.
    pub fn gitlab_ci(&self) -> String {
        let mut s = String::from(
            "# Runs `harness-agents ci` on every merge request and push to the default branch:
# agent definitions valid, the plans the commits reference approved and
# unchanged, every commit a Conventional Commit that names its plan, agents
# within their scope, and the quality gates. Written by
# `harness-agents init --ci gitlab` from `[ci]` in harness.toml; edit freely.
stages:
  - check

harness:
  stage: check
  image: rust:latest
  # Only the default branch's jobs save the cache: a merge request's code
  # (a build script) could write over the binary before the job ends.
  rules:
    - if: $CI_PIPELINE_SOURCE == \"merge_request_event\"
      variables:
        HARNESS_CACHE_POLICY: pull
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
      variables:
        HARNESS_CACHE_POLICY: pull-push
  variables:
    # The whole history, so that the range and its merge base exist.
    GIT_DEPTH: \"0\"
",
        );
        for svc in &self.services {
            let _ = writeln!(s, "    {}: \"{}\"", svc.url_var, svc.url_at(svc.name));
        }
        if !self.services.is_empty() {
            s.push_str("  services:\n");
            for svc in &self.services {
                let _ = writeln!(s, "    - name: {}\n      alias: {}", svc.image, svc.name);
                if !svc.env.is_empty() {
                    s.push_str("      variables:\n");
                    for (k, v) in svc.env {
                        let _ = writeln!(s, "        {k}: \"{v}\"");
                    }
                }
            }
        }
        s.push_str(
            "  cache:\n    key: harness-install\n    policy: $HARNESS_CACHE_POLICY\n    paths:\n      - .harness-ci/\n",
        );
        s.push_str("  before_script:\n");
        if let Some(file) = self.toolchain_file {
            let _ = writeln!(s, "    # The project's toolchain ({file}).");
            s.push_str("    - rustup toolchain install\n");
        } else if self.rust {
            s.push_str("    - rustup component add clippy rustfmt\n");
        }
        s.push_str("    - |\n");
        // The cached binary is under the checkout: a branch that commits
        // one there would have CI run its own harness.
        s.push_str(
            "      if [ -n \"$(git ls-files -- .harness-ci)\" ]; then\n        echo \"refusing to run: .harness-ci/ is committed, where CI keeps its harness\" >&2\n        exit 1\n      fi\n",
        );
        for line in self.resolve_lines() {
            let _ = writeln!(s, "      {line}");
        }
        let _ = write!(
            s,
            "      if [ \"$(cat .harness-ci/rev 2>/dev/null)\" != \"$rev\" ] || [ ! -x .harness-ci/bin/{BIN} ]; then\n        {}\n        echo \"$rev\" > .harness-ci/rev\n      fi\n",
            self.install_line(Some("$CI_PROJECT_DIR/.harness-ci"))
        );
        s.push_str("    - export PATH=\"$CI_PROJECT_DIR/.harness-ci/bin:$PATH\"\n");
        s.push_str("  script:\n    - |\n");
        for line in Self::check_lines(
            "CI_MERGE_REQUEST_TARGET_BRANCH_NAME",
            "CI_COMMIT_BEFORE_SHA",
            true,
        )
        .lines()
        {
            let _ = writeln!(s, "      {line}");
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup(ci: &str, files: &[&str]) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        for f in files {
            std::fs::write(dir.path().join(f), "").unwrap();
        }
        let ci: CiConfig = toml::from_str(ci).unwrap();
        Setup::from_parts(dir.path(), &ci, &SourceOverride::default()).unwrap()
    }

    #[test]
    fn a_git_source_is_resolved_to_a_commit_and_installed_at_it() {
        let s = setup(
            "harness_git = \"https://example.com/h.git\"\n",
            &["Cargo.toml"],
        );
        let wf = s.github_workflow();
        assert!(wf.contains(
            "          rev=$(git ls-remote 'https://example.com/h.git' HEAD | cut -f1)\n"
        ));
        assert!(wf.contains(&format!(
            "          (cd \"${{TMPDIR:-/tmp}}\" && cargo install --locked --git 'https://example.com/h.git' --rev \"$rev\" {PACKAGE})\n"
        )));
        assert!(wf.contains(
            "          key: harness-agents-${{ runner.os }}-${{ steps.harness.outputs.rev }}\n"
        ));
        assert!(wf.contains("          components: clippy, rustfmt\n"));
        assert!(!wf.contains("services:"));
    }

    #[test]
    fn a_pinned_toolchain_and_services_shape_the_job() {
        let s = setup(
            "harness_version = \"0.3.1\"\nservices = [\"redis\", \"postgres\"]\n",
            &["Cargo.toml", "rust-toolchain.toml"],
        );
        let wf = s.github_workflow();
        assert!(wf.contains("          rev='0.3.1'\n"));
        assert!(wf.contains(&format!(
            "cargo install --locked {PACKAGE} --version \"=$rev\")"
        )));
        assert!(wf.contains("      - name: The project's toolchain (rust-toolchain.toml)\n        run: rustup toolchain install\n"));
        assert!(!wf.contains("components:"));
        assert!(wf.contains("    services:\n      redis:\n        image: redis:7\n"));
        assert!(wf.contains("    env:\n      REDIS_URL: redis://localhost:6379\n      DATABASE_URL: postgres://postgres:postgres@localhost:5432/postgres\n"));
        let gl = s.gitlab_ci();
        assert!(gl.contains("    REDIS_URL: \"redis://redis:6379\"\n"));
        assert!(gl.contains("    - name: postgres:17\n      alias: postgres\n      variables:\n        POSTGRES_PASSWORD: \"postgres\"\n"));
    }

    #[test]
    fn the_source_must_be_said_once() {
        let dir = tempfile::tempdir().unwrap();
        let none = Setup::from_parts(dir.path(), &CiConfig::default(), &SourceOverride::default());
        assert!(
            none.unwrap_err()
                .to_string()
                .contains("pass `--harness-git URL`")
        );
        let both: CiConfig =
            toml::from_str("harness_git = \"https://e.com/h\"\nharness_version = \"1.0.0\"\n")
                .unwrap();
        let err = Setup::from_parts(dir.path(), &both, &SourceOverride::default()).unwrap_err();
        assert!(err.to_string().contains("not both"));
        // The command line wins over the file.
        let over = SourceOverride {
            version: Some(Word("2.0.0".into())),
            ..SourceOverride::default()
        };
        let git: CiConfig = toml::from_str("harness_git = \"https://e.com/h\"\n").unwrap();
        let s = Setup::from_parts(dir.path(), &git, &over).unwrap();
        assert_eq!(
            s.source,
            Source::Registry {
                version: "2.0.0".into()
            }
        );
    }
}
