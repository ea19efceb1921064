//! This service's configuration: the plan's defaults, which the environment
//! overrides at start-up (see [`harness_realtime::config`] for how values
//! are read and checked).
//!
//! | variable | default |
//! |---|---|
//! | `BIND_ADDR` | `0.0.0.0:8080` |
//! | `JWT_SECRET` | required (HS256 key) |
//! | `JWT_ISSUER` | `chat.example` |
//! | `JWT_AUDIENCE` | none (not checked) |
//! | `ALLOW_QUERY_TOKEN` | `false` |
//! | `MAX_MESSAGE_BYTES` | `16384` |
//! | `RATE_PER_SECOND` | `20` |
//! | `QUEUE` | `256` |
//! | `HEARTBEAT_SECONDS` | `15` |
//! | `IDLE_TIMEOUT_SECONDS` | `45` |
//! | `SLOW_CLIENT` | `drop_and_resync` (or `disconnect`) |
//! | `SHUTDOWN_GRACE_SECONDS` | `10` |
//! | `MAX_CHANNELS` | `10000` |
//! | `MAX_HISTORY_BYTES` | `67108864` |
//! | `HISTORY_TTL_SECONDS` | `300` |
//! | `MAX_CONNECTIONS_PER_USER` | `16` |
//! | `MAX_CONNECTIONS_PER_ADDRESS` | `256` |
//! | `HEADER_TIMEOUT_SECONDS` | `10` |
//! | `PRESENCE_INTERVAL_MS` | `250` |
//! | `ALLOWED_ORIGINS` | none: any origin |
//! | `METRICS_TOKEN` | none: `/metrics` answers loopback peers only |
//! | `REDIS_URL` | none: the in-memory backplane (one process) |
//! | `REDIS_PREFIX` | `chat-service` |

pub use harness_realtime::Limits;
pub use harness_realtime::config::{Config, Defaults, MetricsAccess, SlowClient};

/// What the plan declares.
pub const DEFAULTS: Defaults = Defaults {
    jwt_issuer: Some("chat.example"),
    jwt_audience: None,
    allow_query_token: false,
    max_message_bytes: 16384,
    rate_per_second: 20,
    queue: 256,
    heartbeat_seconds: 15,
    idle_timeout_seconds: 45,
    slow_client: SlowClient::DropAndResync,
    sse: true,
    redis_prefix: "chat-service",
    allowed_origins: &[],
    metrics: MetricsAccess::Loopback,
    limits: Limits {
        max_channels: 10000,
        max_channels_per_user: 1000,
        max_history_bytes: 67108864,
        history_ttl_seconds: 300,
        max_replay_bytes: 1048576,
        max_replay_bytes_per_user: 8388608,
        max_connections_per_user: 16,
        max_connections_per_address: 256,
        header_timeout_seconds: 10,
        presence_interval_ms: 250,
    },
};

/// The plan's defaults, with the given JWT secret.
pub fn new(jwt_secret: impl Into<String>) -> Config {
    Config::new(&DEFAULTS, jwt_secret)
}

/// The plan's defaults, overridden by the environment.
pub fn from_env() -> Result<Config, String> {
    Config::from_env(&DEFAULTS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_come_from_the_plan() {
        let secrets =
            |k: &str| matches!(k, "JWT_SECRET" | "METRICS_TOKEN").then(|| "s".to_string());
        let c = Config::from_lookup(&DEFAULTS, secrets).unwrap();
        assert_eq!(c.max_message_bytes, 16384);
        assert_eq!(c.slow_client, SlowClient::DropAndResync);
        assert_eq!((c.queue, c.sse), (256, true));
        assert!(c.redis_url.is_none());
        assert_eq!(c.allowed_origins, DEFAULTS.allowed_origins);
        assert_eq!(c.metrics, MetricsAccess::Loopback);
    }
}
