//! LiveKit settings, read from the environment at start-up.
//!
//! | variable | meaning |
//! |---|---|
//! | `LIVEKIT_URL` | the LiveKit server, e.g. `https://my.livekit.cloud`; unset turns rooms off |
//! | `LIVEKIT_API_KEY`, `LIVEKIT_API_SECRET` | required with `LIVEKIT_URL` |
//! | `LIVEKIT_TOKEN_TTL_SECONDS` | lifetime of a participant's room token, `600` |
//! | `LIVEKIT_WEBHOOK_MAX_AGE_SECONDS` | older webhook events are refused, `300` |
//! | `LIVEKIT_TIMEOUT_SECONDS` | each RoomService or Egress call, `5` |
//! | `LIVEKIT_EMPTY_TIMEOUT_SECONDS` | an empty room closes after, `300` |
//!
//! The secret is never printed: [`Keys`]' `Debug` leaves it out.

use std::time::Duration;

/// The API key and secret the service signs with.
#[derive(Clone)]
pub struct Keys {
    pub api_key: String,
    api_secret: String,
}

impl Keys {
    pub fn new(api_key: impl Into<String>, api_secret: impl Into<String>) -> Keys {
        Keys {
            api_key: api_key.into(),
            api_secret: api_secret.into(),
        }
    }

    pub fn secret(&self) -> &str {
        &self.api_secret
    }
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("api_key", &self.api_key)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
pub struct LiveKitConfig {
    /// The server's HTTP(S) address.
    pub url: String,
    pub keys: Keys,
    pub token_ttl: Duration,
    pub webhook_max_age: Duration,
    pub timeout: Duration,
    pub empty_timeout: Duration,
}

impl LiveKitConfig {
    pub fn new(url: impl Into<String>, keys: Keys) -> LiveKitConfig {
        LiveKitConfig {
            url: url.into(),
            keys,
            token_ttl: Duration::from_secs(600),
            webhook_max_age: Duration::from_secs(300),
            timeout: Duration::from_secs(5),
            empty_timeout: Duration::from_secs(300),
        }
    }

    /// The settings from the environment; `None` when `LIVEKIT_URL` is not
    /// set (rooms are then off and their endpoints answer 503).
    pub fn from_env() -> Result<Option<LiveKitConfig>, String> {
        LiveKitConfig::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<LiveKitConfig>, String> {
        let get = |name: &str| get(name).filter(|v| !v.is_empty());
        let Some(url) = get("LIVEKIT_URL") else {
            return Ok(None);
        };
        let (Some(key), Some(secret)) = (get("LIVEKIT_API_KEY"), get("LIVEKIT_API_SECRET")) else {
            return Err(
                "LIVEKIT_URL is set: set LIVEKIT_API_KEY and LIVEKIT_API_SECRET too".to_string(),
            );
        };
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(format!(
                "LIVEKIT_URL=`{url}`: give the server's http:// or https:// address"
            ));
        }
        let mut c = LiveKitConfig::new(url, Keys::new(key, secret));
        for (name, slot) in [
            ("LIVEKIT_TOKEN_TTL_SECONDS", &mut c.token_ttl),
            ("LIVEKIT_WEBHOOK_MAX_AGE_SECONDS", &mut c.webhook_max_age),
            ("LIVEKIT_TIMEOUT_SECONDS", &mut c.timeout),
            ("LIVEKIT_EMPTY_TIMEOUT_SECONDS", &mut c.empty_timeout),
        ] {
            if let Some(v) = get(name) {
                let secs: u64 = v.trim().parse().ok().filter(|s| *s > 0).ok_or_else(|| {
                    format!("{name}=`{v}`: expected a number of seconds, at least 1")
                })?;
                *slot = Duration::from_secs(secs);
            }
        }
        Ok(Some(c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn from(vars: &[(&str, &str)]) -> Result<Option<LiveKitConfig>, String> {
        let map: HashMap<&str, &str> = vars.iter().copied().collect();
        LiveKitConfig::from_lookup(|k| map.get(k).map(|v| v.to_string()))
    }

    #[test]
    fn rooms_are_off_without_a_url_and_need_keys_with_one() {
        assert!(from(&[]).unwrap().is_none());
        let e = from(&[("LIVEKIT_URL", "https://lk")]).unwrap_err();
        assert!(e.contains("LIVEKIT_API_SECRET"), "{e}");
        let full = [
            ("LIVEKIT_URL", "https://lk"),
            ("LIVEKIT_API_KEY", "k"),
            ("LIVEKIT_API_SECRET", "hidden-value"),
            ("LIVEKIT_TOKEN_TTL_SECONDS", "60"),
        ];
        let c = from(&full).unwrap().unwrap();
        assert_eq!(c.token_ttl, Duration::from_secs(60));
        assert!(!format!("{c:?}").contains("hidden-value"));
        let e = from(&[full[0], full[1], full[2], ("LIVEKIT_TIMEOUT_SECONDS", "0")]).unwrap_err();
        assert!(e.starts_with("LIVEKIT_TIMEOUT_SECONDS=`0`"), "{e}");
        let e = from(&[("LIVEKIT_URL", "wss://lk"), full[1], full[2]]).unwrap_err();
        assert!(e.contains("https://"), "{e}");
    }
}
