//! The limits that keep one node standing when clients misbehave.
//!
//! A service's plan declares them (its `limits` block, rendered into the
//! service's [`crate::config::Defaults`]); the environment overrides them at
//! start-up like every other setting. Each has a safe default, so a plan
//! that says nothing is still bounded:
//!
//! | variable | default | what it bounds |
//! |---|---|---|
//! | `MAX_CHANNELS` | `10000` | channels one node holds in memory |
//! | `MAX_CHANNELS_PER_USER` | `1000` | channels one user may bring into being on one node |
//! | `MAX_HISTORY_BYTES` | `67108864` | bytes of history one node keeps, all channels together |
//! | `HISTORY_TTL_SECONDS` | `300` | how long an unused channel and its history are kept |
//! | `MAX_REPLAY_BYTES` | `1048576` | history one subscribe (or SSE resume) may replay |
//! | `MAX_REPLAY_BYTES_PER_USER` | `8388608` | history one user may have replayed each `REPLAY_WINDOW` (10 s) |
//! | `MAX_CONNECTIONS_PER_USER` | `16` | WebSocket and SSE connections of one `sub` |
//! | `MAX_CONNECTIONS_PER_ADDRESS` | `256` | WebSocket and SSE connections from one IP |
//! | `HEADER_TIMEOUT_SECONDS` | `10` | how long a request's headers may take to arrive |
//! | `PRESENCE_INTERVAL_MS` | `250` | the least time between two presence diffs of one channel |
//!
//! A channel is *unused* when nobody on this node subscribes to it and
//! nothing was published to it for `HISTORY_TTL_SECONDS`; it is then
//! forgotten with its history (a client resuming from it is told to
//! `resync`). A node that holds `MAX_CHANNELS` channels, or whose history
//! reaches `MAX_HISTORY_BYTES`, refuses new ones with a `limit_exceeded`
//! error frame instead of growing: memory is bounded by the limits, not by
//! what clients ask for. A channel counts against the share of the user
//! whose subscribe or publish brought it into being until it is forgotten,
//! and a user past `MAX_CHANNELS_PER_USER` is refused new ones the same
//! way, so one user cannot take the node's whole budget from the others.

use std::time::Duration;

use crate::config::parse;

/// The window `MAX_REPLAY_BYTES_PER_USER` counts in.
pub const REPLAY_WINDOW: Duration = Duration::from_secs(10);

/// Every limit, as plain numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Channels one node holds, with or without subscribers.
    pub max_channels: usize,
    /// Channels one user (`sub`) may bring into being on one node, by
    /// subscribing or publishing: no user fills `max_channels` (nor, with
    /// its channels' history, `max_history_bytes`) alone.
    pub max_channels_per_user: usize,
    /// Bytes of history one node keeps, all channels together.
    pub max_history_bytes: usize,
    /// Seconds an unused channel and its history are kept.
    pub history_ttl_seconds: u64,
    /// Bytes of history one subscribe (or SSE resume) may replay; past it
    /// the client is told to `resync` instead.
    pub max_replay_bytes: usize,
    /// Bytes of history one user may have replayed per [`REPLAY_WINDOW`],
    /// all its connections together; past it, `resync` instead.
    pub max_replay_bytes_per_user: usize,
    /// Open connections of one user (`sub`), WebSocket and SSE together.
    pub max_connections_per_user: usize,
    /// Open connections from one IP address, WebSocket and SSE together.
    pub max_connections_per_address: usize,
    /// Seconds a request's headers may take to arrive (slowloris).
    pub header_timeout_seconds: u64,
    /// Milliseconds between two presence diffs of one channel at least:
    /// joins and leaves in between go out together, so a join storm does
    /// not send every subscriber a frame per newcomer.
    pub presence_interval_ms: u64,
}

impl Limits {
    /// What a plan that declares no limits gets.
    pub const DEFAULT: Limits = Limits {
        max_channels: 10_000,
        max_channels_per_user: 1_000,
        max_history_bytes: 64 * 1024 * 1024,
        history_ttl_seconds: 300,
        max_replay_bytes: 1024 * 1024,
        max_replay_bytes_per_user: 8 * 1024 * 1024,
        max_connections_per_user: 16,
        max_connections_per_address: 256,
        header_timeout_seconds: 10,
        presence_interval_ms: 250,
    };

    pub fn history_ttl(&self) -> Duration {
        Duration::from_secs(self.history_ttl_seconds)
    }

    pub fn header_timeout(&self) -> Duration {
        Duration::from_secs(self.header_timeout_seconds)
    }

    pub fn presence_interval(&self) -> Duration {
        Duration::from_millis(self.presence_interval_ms)
    }

    /// `self`, overridden by the variables `get` finds; a bad value is an
    /// error naming its variable.
    pub fn overridden(mut self, get: &impl Fn(&str) -> Option<String>) -> Result<Limits, String> {
        parse(get, "MAX_CHANNELS", &mut self.max_channels)?;
        parse(
            get,
            "MAX_CHANNELS_PER_USER",
            &mut self.max_channels_per_user,
        )?;
        parse(get, "MAX_HISTORY_BYTES", &mut self.max_history_bytes)?;
        parse(get, "HISTORY_TTL_SECONDS", &mut self.history_ttl_seconds)?;
        parse(get, "MAX_REPLAY_BYTES", &mut self.max_replay_bytes)?;
        parse(
            get,
            "MAX_REPLAY_BYTES_PER_USER",
            &mut self.max_replay_bytes_per_user,
        )?;
        parse(
            get,
            "MAX_CONNECTIONS_PER_USER",
            &mut self.max_connections_per_user,
        )?;
        parse(
            get,
            "MAX_CONNECTIONS_PER_ADDRESS",
            &mut self.max_connections_per_address,
        )?;
        parse(
            get,
            "HEADER_TIMEOUT_SECONDS",
            &mut self.header_timeout_seconds,
        )?;
        parse(get, "PRESENCE_INTERVAL_MS", &mut self.presence_interval_ms)?;
        let at_least_one = [
            ("MAX_CHANNELS", self.max_channels as u64),
            ("MAX_CHANNELS_PER_USER", self.max_channels_per_user as u64),
            ("HISTORY_TTL_SECONDS", self.history_ttl_seconds),
            (
                "MAX_CONNECTIONS_PER_USER",
                self.max_connections_per_user as u64,
            ),
            (
                "MAX_CONNECTIONS_PER_ADDRESS",
                self.max_connections_per_address as u64,
            ),
            ("HEADER_TIMEOUT_SECONDS", self.header_timeout_seconds),
            ("PRESENCE_INTERVAL_MS", self.presence_interval_ms),
        ];
        if let Some((name, _)) = at_least_one.iter().find(|(_, v)| *v == 0) {
            return Err(format!("{name} must be at least 1"));
        }
        Ok(self)
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(vars: &[(&str, &str)]) -> Result<Limits, String> {
        let get = |k: &str| {
            vars.iter()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| v.to_string())
        };
        Limits::DEFAULT.overridden(&get)
    }

    #[test]
    fn the_environment_overrides_the_plan() {
        assert_eq!(with(&[]).unwrap(), Limits::DEFAULT);
        let l = with(&[("MAX_CHANNELS", "7"), ("HISTORY_TTL_SECONDS", "2")]).unwrap();
        assert_eq!(
            (l.max_channels, l.history_ttl()),
            (7, Duration::from_secs(2))
        );
    }

    #[test]
    fn bad_values_name_the_variable() {
        let e = with(&[("MAX_HISTORY_BYTES", "lots")]).unwrap_err();
        assert!(e.starts_with("MAX_HISTORY_BYTES=`lots`"), "{e}");
        let e = with(&[("MAX_CHANNELS", "0")]).unwrap_err();
        assert_eq!(e, "MAX_CHANNELS must be at least 1");
    }
}
