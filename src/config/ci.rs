//! `[ci]` in `harness.toml`: what the CI files `harness-agents init --ci` writes
//! need to know that the repository does not say: where CI installs
//! harness from, pinned, and the services the gates talk to. Each value is
//! checked while it is read, so a bad one is an error located in the file
//! rather than a workflow that fails on its first run. Writing the files is
//! `install::workflow`'s.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer};

/// `[ci]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CiConfig {
    /// A git repository CI builds harness from (`cargo install --git`).
    pub harness_git: Option<GitUrl>,
    /// The commit, tag or branch of `harness_git`; its default branch's
    /// tip, resolved when the workflow runs, when absent.
    pub harness_rev: Option<Word>,
    /// A version from the crates registry instead (`cargo install --version`).
    pub harness_version: Option<Word>,
    /// Services the gates need, each started beside the job.
    pub services: Vec<Service>,
}

/// A git URL: no white space or quotes, so it is one shell word as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitUrl(pub String);

/// A version or git revision: letters, digits and `.+-_/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word(pub String);

impl<'de> Deserialize<'de> for GitUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let plain = !s.is_empty()
            && !s.starts_with('-')
            && s.chars()
                .all(|c| !c.is_whitespace() && !c.is_control() && !"'\"`$\\".contains(c));
        if !plain || !(s.contains("://") || s.contains('@') || s.starts_with('/')) {
            return Err(de::Error::custom(format!(
                "`{s}` is not a git URL CI can clone: write it as `https://host/owner/repo` \
                 (or `file:///path`, `git@host:owner/repo`), without quotes or spaces"
            )));
        }
        Ok(GitUrl(s))
    }
}

impl<'de> Deserialize<'de> for Word {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s.is_empty()
            || s.starts_with('-')
            || !s
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".+-_/".contains(c))
        {
            return Err(de::Error::custom(format!(
                "`{s}` is not a version or git revision: letters, digits and `.+-_/` only"
            )));
        }
        Ok(Word(s))
    }
}

impl fmt::Display for GitUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for Word {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A service harness knows how to start in CI: a container image, its port,
/// a readiness check, and the variable that tells the gates where it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Service {
    pub name: &'static str,
    pub image: &'static str,
    pub port: u16,
    /// The container's own environment.
    pub env: &'static [(&'static str, &'static str)],
    /// A command run inside the container until it succeeds.
    pub health: &'static str,
    /// The variable the gates read, and its value with `HOST` for the
    /// service's host name (`localhost` on GitHub, the alias on GitLab).
    pub url_var: &'static str,
    pub url: &'static str,
}

/// The services `[ci] services` may name.
pub const SERVICES: &[Service] = &[
    Service {
        name: "redis",
        image: "redis:7",
        port: 6379,
        env: &[],
        health: "redis-cli ping",
        url_var: "REDIS_URL",
        url: "redis://HOST:6379",
    },
    Service {
        name: "postgres",
        image: "postgres:17",
        port: 5432,
        env: &[("POSTGRES_PASSWORD", "postgres")],
        health: "pg_isready -U postgres",
        url_var: "DATABASE_URL",
        url: "postgres://postgres:postgres@HOST:5432/postgres",
    },
];

impl<'de> Deserialize<'de> for Service {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        SERVICES.iter().find(|k| k.name == s).copied().ok_or_else(|| {
            let known: Vec<String> = SERVICES.iter().map(|k| format!("`{}`", k.name)).collect();
            de::Error::custom(format!(
                "unknown service `{s}`: harness starts {} in CI; start others in a step of your own",
                known.join(" and ")
            ))
        })
    }
}

impl Service {
    /// The service's URL as the job sees it at `host`.
    pub fn url_at(&self, host: &str) -> String {
        self.url.replace("HOST", host)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<CiConfig, String> {
        toml::from_str::<CiConfig>(text).map_err(|e| e.to_string())
    }

    #[test]
    fn values_are_checked_where_written() {
        let ok = parse(
            "harness_git = \"https://github.com/acme/harness\"\nharness_rev = \"v0.2.0\"\nservices = [\"redis\"]\n",
        )
        .unwrap();
        assert_eq!(ok.harness_git.unwrap().0, "https://github.com/acme/harness");
        assert_eq!(ok.services[0].url_at("localhost"), "redis://localhost:6379");
        let err = parse("harness_git = \"it's here\"\n").unwrap_err();
        assert!(err.contains("line 1, column 15"), "{err}");
        assert!(err.contains("is not a git URL CI can clone"), "{err}");
        let err = parse("harness_rev = \"$(id)\"\n").unwrap_err();
        assert!(err.contains("not a version or git revision"), "{err}");
        let err = parse("services = [\"mongo\"]\n").unwrap_err();
        assert!(
            err.contains("unknown service `mongo`: harness starts `redis` and `postgres`"),
            "{err}"
        );
    }
}
