//! `SERVICE dev-token`: a short-lived token for trying a service locally,
//! without an identity provider.
//!
//! The token is signed with the configured `JWT_SECRET` and carries the
//! configured issuer and audience, so the server it is meant for accepts
//! it; its role must be one the service's channels name, so a typo is
//! caught here rather than as a puzzling `forbidden` later. It expires
//! after 15 minutes unless asked otherwise, and never lasts more than a
//! day: it is for a developer's terminal, not for deployments.

use std::time::Duration;

use crate::auth::{Claims, issue};
use crate::config::Config;
use crate::protocol::now_ms;
use crate::schema::Channels;

/// The usage line, for errors.
pub const USAGE: &str =
    "usage: dev-token --sub USER --role ROLE [--minutes N (1-1440, default 15)]";

/// The longest a development token lives.
pub const MAX_MINUTES: u64 = 24 * 60;

/// Every role the service's channels name, sorted.
pub fn roles<C: Channels>() -> Vec<&'static str> {
    let mut roles: Vec<&'static str> = C::ALL
        .iter()
        .flat_map(|k| k.spec().publish.iter().chain(k.spec().subscribe))
        .copied()
        .collect();
    roles.sort_unstable();
    roles.dedup();
    roles
}

/// Parses `args` (after `dev-token`) and mints the token; the error is the
/// message to print, with exit code 2.
pub fn mint<C: Channels>(config: &Config, args: &[String]) -> Result<String, String> {
    let mut sub = None;
    let mut role = None;
    let mut minutes = 15;
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .ok_or_else(|| format!("`{flag}` needs a value\n{USAGE}"))?;
        match flag.as_str() {
            "--sub" => sub = Some(value.clone()),
            "--role" => role = Some(value.clone()),
            "--minutes" => {
                minutes = value
                    .parse()
                    .ok()
                    .filter(|m| (1..=MAX_MINUTES).contains(m))
                    .ok_or_else(|| format!("--minutes `{value}`: from 1 to {MAX_MINUTES}"))?;
            }
            other => return Err(format!("unknown option `{other}`\n{USAGE}")),
        }
    }
    let (Some(sub), Some(role)) = (sub, role) else {
        return Err(USAGE.to_string());
    };
    let known = roles::<C>();
    if !known.contains(&role.as_str()) {
        return Err(format!(
            "role `{role}` is not one this service's channels name: {}",
            known.join(", ")
        ));
    }
    Ok(token(
        config,
        &sub,
        &role,
        Duration::from_secs(minutes * 60),
    ))
}

/// A token for `sub` as `role`, valid for `ttl`, that `config`'s server accepts.
pub fn token(config: &Config, sub: &str, role: &str, ttl: Duration) -> String {
    let claims = Claims {
        iss: config.jwt_issuer.clone(),
        aud: config.jwt_audience.clone(),
        ..Claims::new(sub, role, now_ms() / 1000 + ttl.as_secs())
    };
    issue(&config.jwt_secret, &claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Verifier;
    use crate::config::tests::DEFAULTS;
    use crate::schema::testing::Kind;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_token_is_accepted_by_the_server_it_is_for() {
        let mut config = Config::new(&DEFAULTS, "k");
        config.jwt_audience = Some("chat".into());
        let t = mint::<Kind>(&config, &args(&["--sub", "ada", "--role", "guest"])).unwrap();
        let claims = Verifier::new(&config).verify(&t).unwrap();
        assert_eq!(
            (claims.sub.as_str(), claims.role.as_str()),
            ("ada", "guest")
        );
        assert_eq!(claims.iss.as_deref(), Some("example"));
        let left = claims.exp - now_ms() / 1000;
        assert!((14 * 60..=15 * 60).contains(&left), "{left}");
        let other = Config::new(&DEFAULTS, "another key");
        assert!(Verifier::new(&other).verify(&t).is_err());
    }

    #[test]
    fn bad_arguments_say_what_is_expected() {
        let config = Config::new(&DEFAULTS, "k");
        let err = |a: &[&str]| mint::<Kind>(&config, &args(a)).unwrap_err();
        assert_eq!(err(&["--sub", "ada"]), USAGE);
        assert_eq!(
            err(&["--sub", "ada", "--role", "admin"]),
            "role `admin` is not one this service's channels name: guest, member"
        );
        assert_eq!(
            err(&["--sub", "ada", "--role", "member", "--minutes", "0"]),
            "--minutes `0`: from 1 to 1440"
        );
        assert!(err(&["--user", "ada"]).starts_with("unknown option `--user`"));
        assert!(err(&["--sub"]).starts_with("`--sub` needs a value"));
    }
}
