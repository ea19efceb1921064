//! Configuration, read once from the environment at start-up.
//!
//! A service states its defaults ([`Defaults`], from its plan) and the
//! environment overrides them, so the service starts with only `JWT_SECRET`
//! set. Values are parsed up front and a bad one stops the process with a
//! message naming the variable: a typo must not turn into a limit silently
//! falling back to its default in production.
//!
//! | variable | meaning |
//! |---|---|
//! | `BIND_ADDR` | listen address, `0.0.0.0:8080` |
//! | `JWT_SECRET` | required: the HS256 key that signs client tokens |
//! | `JWT_ISSUER`, `JWT_AUDIENCE` | required and checked when set; empty turns the check off |
//! | `JWT_LEEWAY_SECONDS` | clock skew forgiven on `exp`, `nbf` and `iat`, `5` |
//! | `ALLOW_QUERY_TOKEN` | accept `?token=` on the upgrade URL |
//! | `MAX_MESSAGE_BYTES`, `RATE_PER_SECOND`, `QUEUE` | per-connection limits |
//! | `HEARTBEAT_SECONDS`, `IDLE_TIMEOUT_SECONDS` | ping interval, idle cut-off |
//! | `SLOW_CLIENT` | `drop_and_resync` or `disconnect` |
//! | `SHUTDOWN_GRACE_SECONDS` | how long shutdown waits, `10` |
//! | `METRICS_TOKEN` | bearer token `/metrics` asks for; unset, it answers loopback peers only, unless the plan puts `/metrics` behind a token ([`MetricsAccess::Token`]), which then requires it |
//! | `TRUSTED_PROXIES` | comma-separated addresses or CIDRs of proxies whose `X-Forwarded-For` names the client; unset, none (the header is ignored) |
//! | `ALLOWED_ORIGINS` | comma-separated origins browsers may connect from, replacing the plan's; empty or unset without a list in the plan, any |
//! | `MAX_CHANNELS`, `MAX_HISTORY_BYTES`, ... | the node's [`Limits`] |
//! | `REDIS_URL`, `REDIS_PREFIX` | the Redis backplane (feature `redis`) |

use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use crate::limits::Limits;

/// What the server does with a subscriber whose queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlowClient {
    /// Drop what it missed and send it a `resync` frame.
    DropAndResync,
    /// Close the connection with 1013 (try again later).
    Disconnect,
}

impl FromStr for SlowClient {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "drop_and_resync" => Ok(SlowClient::DropAndResync),
            "disconnect" => Ok(SlowClient::Disconnect),
            _ => Err("expected `drop_and_resync` or `disconnect`".to_string()),
        }
    }
}

/// Who may read `/metrics`, as the plan says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsAccess {
    /// Loopback peers; bearers of `METRICS_TOKEN` instead when it is set.
    Loopback,
    /// Bearers of `METRICS_TOKEN` only: the service does not start without it.
    Token,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub bind: SocketAddr,
    pub jwt_secret: String,
    pub jwt_issuer: Option<String>,
    pub jwt_audience: Option<String>,
    /// Clock skew forgiven on `exp`, `nbf` and `iat`, in seconds.
    pub jwt_leeway_seconds: u64,
    /// Accept `?token=` on the upgrade URL. Off by default: URLs are logged
    /// by proxies.
    pub allow_query_token: bool,
    /// Largest text frame a client may send.
    pub max_message_bytes: usize,
    /// Frames a connection may send each second (burst: the same number).
    pub rate_per_second: u32,
    /// Frames queued for one subscriber before the slow-client policy applies.
    pub queue: usize,
    /// How often the server pings.
    pub heartbeat: Duration,
    /// A connection that sends nothing (not even a pong) for this long is closed.
    pub idle_timeout: Duration,
    pub slow_client: SlowClient,
    /// How long shutdown waits for connections to close.
    pub shutdown_grace: Duration,
    /// Serve `GET /sse`.
    pub sse: bool,
    /// The Redis backplane's address; `None` keeps everything in this
    /// process. Needs the `redis` feature.
    pub redis_url: Option<String>,
    pub redis_prefix: String,
    /// The bearer token `/metrics` asks for; `None` serves it to loopback
    /// peers only, or to nobody under [`MetricsAccess::Token`].
    pub metrics_token: Option<String>,
    /// Whether `/metrics` may fall back to loopback peers without a token.
    pub metrics: MetricsAccess,
    /// Origins a browser may connect from (`Origin` header); empty allows
    /// any. Clients that send no `Origin` (not browsers) are not affected.
    pub allowed_origins: Vec<String>,
    /// Proxies whose `X-Forwarded-For` is believed: a connection through
    /// one counts against the address it names (see
    /// [`crate::app::client_address`]). Empty: the socket's peer, always.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// What keeps the node bounded under abuse.
    pub limits: Limits,
}

/// What a service's plan says, before the environment has its say: a
/// `const` in the generated `config.rs`.
#[derive(Debug, Clone, Copy)]
pub struct Defaults {
    pub jwt_issuer: Option<&'static str>,
    pub jwt_audience: Option<&'static str>,
    pub allow_query_token: bool,
    pub max_message_bytes: usize,
    pub rate_per_second: u32,
    pub queue: usize,
    pub heartbeat_seconds: u64,
    pub idle_timeout_seconds: u64,
    pub slow_client: SlowClient,
    /// Serve `GET /sse` besides `GET /ws`.
    pub sse: bool,
    /// Prefix of every Redis key, so services can share one Redis.
    pub redis_prefix: &'static str,
    /// Origins browsers may connect from; empty allows any.
    pub allowed_origins: &'static [&'static str],
    pub metrics: MetricsAccess,
    pub limits: Limits,
}

impl Config {
    /// `defaults`, with the given JWT secret.
    pub fn new(defaults: &Defaults, jwt_secret: impl Into<String>) -> Config {
        Config {
            bind: SocketAddr::from(([0, 0, 0, 0], 8080)),
            jwt_secret: jwt_secret.into(),
            jwt_issuer: defaults.jwt_issuer.map(str::to_string),
            jwt_audience: defaults.jwt_audience.map(str::to_string),
            jwt_leeway_seconds: 5,
            allow_query_token: defaults.allow_query_token,
            max_message_bytes: defaults.max_message_bytes,
            rate_per_second: defaults.rate_per_second,
            queue: defaults.queue,
            heartbeat: Duration::from_secs(defaults.heartbeat_seconds),
            idle_timeout: Duration::from_secs(defaults.idle_timeout_seconds),
            slow_client: defaults.slow_client,
            shutdown_grace: Duration::from_secs(10),
            sse: defaults.sse,
            redis_url: None,
            redis_prefix: defaults.redis_prefix.to_string(),
            metrics_token: None,
            metrics: defaults.metrics,
            allowed_origins: defaults
                .allowed_origins
                .iter()
                .map(|o| o.to_string())
                .collect(),
            trusted_proxies: Vec::new(),
            limits: defaults.limits,
        }
    }

    /// `defaults`, overridden by the environment; see the module doc for
    /// the variables.
    pub fn from_env(defaults: &Defaults) -> Result<Config, String> {
        Config::from_lookup(defaults, |name| std::env::var(name).ok())
    }

    /// As [`Config::from_env`], reading variables through `get`.
    pub fn from_lookup(
        defaults: &Defaults,
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, String> {
        let secret = get("JWT_SECRET")
            .filter(|s| !s.is_empty())
            .ok_or("JWT_SECRET is required: the HS256 key that signs client tokens")?;
        let mut c = Config::new(defaults, secret);
        parse(&get, "BIND_ADDR", &mut c.bind)?;
        if let Some(v) = get("JWT_ISSUER") {
            c.jwt_issuer = Some(v).filter(|v| !v.is_empty());
        }
        if let Some(v) = get("JWT_AUDIENCE") {
            c.jwt_audience = Some(v).filter(|v| !v.is_empty());
        }
        parse(&get, "JWT_LEEWAY_SECONDS", &mut c.jwt_leeway_seconds)?;
        parse(&get, "ALLOW_QUERY_TOKEN", &mut c.allow_query_token)?;
        parse(&get, "MAX_MESSAGE_BYTES", &mut c.max_message_bytes)?;
        parse(&get, "RATE_PER_SECOND", &mut c.rate_per_second)?;
        parse(&get, "QUEUE", &mut c.queue)?;
        seconds(&get, "HEARTBEAT_SECONDS", &mut c.heartbeat)?;
        seconds(&get, "IDLE_TIMEOUT_SECONDS", &mut c.idle_timeout)?;
        parse(&get, "SLOW_CLIENT", &mut c.slow_client)?;
        seconds(&get, "SHUTDOWN_GRACE_SECONDS", &mut c.shutdown_grace)?;
        c.redis_url = get("REDIS_URL").filter(|v| !v.is_empty());
        if c.redis_url.is_some() && !cfg!(feature = "redis") {
            return Err("REDIS_URL is set, but this build has no Redis backplane: \
                 enable the `redis` feature of harness-realtime"
                .to_string());
        }
        if let Some(v) = get("REDIS_PREFIX") {
            c.redis_prefix = v;
        }
        c.metrics_token = get("METRICS_TOKEN").filter(|v| !v.is_empty());
        if c.metrics == MetricsAccess::Token && c.metrics_token.is_none() {
            return Err(
                "METRICS_TOKEN is required: the plan puts /metrics behind a token \
                 (`security.metrics: token`); set it to the bearer token scrapers send"
                    .to_string(),
            );
        }
        if let Some(v) = get("ALLOWED_ORIGINS") {
            c.allowed_origins = v
                .split(',')
                .map(|o| o.trim().trim_end_matches('/').to_string())
                .filter(|o| !o.is_empty())
                .collect();
        }
        if let Some(v) = get("TRUSTED_PROXIES") {
            c.trusted_proxies = proxies(&v).map_err(|e| format!("TRUSTED_PROXIES=`{v}`: {e}"))?;
        }
        c.limits = c.limits.overridden(&get)?;
        if c.queue == 0 || c.rate_per_second == 0 {
            return Err("QUEUE and RATE_PER_SECOND must be at least 1".to_string());
        }
        if c.idle_timeout <= c.heartbeat {
            return Err("IDLE_TIMEOUT_SECONDS must be longer than HEARTBEAT_SECONDS".to_string());
        }
        Ok(c)
    }
}

/// `10.0.0.0/8, 192.168.1.7`: networks, or addresses taken as networks of
/// one address.
fn proxies(list: &str) -> Result<Vec<ipnet::IpNet>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.parse::<ipnet::IpNet>()
                .or_else(|_| p.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map(|net| net.trunc())
                .map_err(|_| {
                    format!("`{p}` is neither an IP address nor a CIDR such as 10.0.0.0/8")
                })
        })
        .collect()
}

pub(crate) fn parse<T: FromStr>(
    get: &impl Fn(&str) -> Option<String>,
    name: &str,
    slot: &mut T,
) -> Result<(), String>
where
    T::Err: std::fmt::Display,
{
    if let Some(v) = get(name) {
        *slot = v.trim().parse().map_err(|e| format!("{name}=`{v}`: {e}"))?;
    }
    Ok(())
}

fn seconds(
    get: &impl Fn(&str) -> Option<String>,
    name: &str,
    slot: &mut Duration,
) -> Result<(), String> {
    let mut secs = slot.as_secs();
    parse(get, name, &mut secs)?;
    *slot = Duration::from_secs(secs);
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::collections::HashMap;

    pub(crate) const DEFAULTS: Defaults = Defaults {
        jwt_issuer: Some("example"),
        jwt_audience: None,
        allow_query_token: false,
        max_message_bytes: 1000,
        rate_per_second: 5,
        queue: 8,
        heartbeat_seconds: 15,
        idle_timeout_seconds: 45,
        slow_client: SlowClient::Disconnect,
        sse: true,
        redis_prefix: "svc",
        allowed_origins: &[],
        metrics: MetricsAccess::Loopback,
        limits: Limits::DEFAULT,
    };

    fn from(vars: &[(&str, &str)]) -> Result<Config, String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(&DEFAULTS, |k| map.get(k).cloned())
    }

    #[test]
    fn defaults_come_from_the_service() {
        let c = from(&[("JWT_SECRET", "s")]).unwrap();
        assert_eq!((c.max_message_bytes, c.queue), (1000, 8));
        assert_eq!(c.slow_client, SlowClient::Disconnect);
        assert_eq!(c.jwt_issuer.as_deref(), Some("example"));
        assert_eq!(c.redis_prefix, "svc");
        assert!(c.redis_url.is_none() && c.sse);
        let c = from(&[("JWT_SECRET", "s"), ("QUEUE", "9"), ("JWT_ISSUER", "")]).unwrap();
        assert_eq!((c.queue, c.jwt_issuer), (9, None));
    }

    #[test]
    fn bad_values_name_the_variable() {
        assert!(from(&[]).unwrap_err().contains("JWT_SECRET"));
        let e = from(&[("JWT_SECRET", "s"), ("QUEUE", "lots")]).unwrap_err();
        assert!(e.starts_with("QUEUE=`lots`"), "{e}");
        let e = from(&[("JWT_SECRET", "s"), ("SLOW_CLIENT", "ignore")]).unwrap_err();
        assert!(e.contains("drop_and_resync"), "{e}");
        let e = from(&[("JWT_SECRET", "s"), ("HEARTBEAT_SECONDS", "60")]).unwrap_err();
        assert!(e.starts_with("IDLE_TIMEOUT_SECONDS"), "{e}");
    }

    #[test]
    fn trusted_proxies_are_addresses_or_cidrs() {
        let c = from(&[("JWT_SECRET", "s")]).unwrap();
        assert!(c.trusted_proxies.is_empty());
        let c = from(&[
            ("JWT_SECRET", "s"),
            ("TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.7,::1"),
        ])
        .unwrap();
        let nets: Vec<String> = c.trusted_proxies.iter().map(|n| n.to_string()).collect();
        assert_eq!(nets, ["10.0.0.0/8", "192.168.1.7/32", "::1/128"]);
        let e = from(&[("JWT_SECRET", "s"), ("TRUSTED_PROXIES", "10.0.0.0/8,proxy")]).unwrap_err();
        assert!(
            e.starts_with("TRUSTED_PROXIES=`10.0.0.0/8,proxy`: `proxy`"),
            "{e}"
        );
    }

    #[test]
    fn operations_settings_are_read() {
        let c = from(&[("JWT_SECRET", "s")]).unwrap();
        assert_eq!((c.metrics_token, c.allowed_origins.len()), (None, 0));
        let c = from(&[
            ("JWT_SECRET", "s"),
            ("METRICS_TOKEN", "m"),
            ("ALLOWED_ORIGINS", "https://a.example/, https://b.example"),
        ])
        .unwrap();
        assert_eq!(c.metrics_token.as_deref(), Some("m"));
        assert_eq!(
            c.allowed_origins,
            ["https://a.example", "https://b.example"]
        );
    }

    #[test]
    fn the_plan_sets_origins_and_metrics_access_and_the_environment_overrides() {
        let plan = Defaults {
            allowed_origins: &["https://chat.example"],
            metrics: MetricsAccess::Token,
            ..DEFAULTS
        };
        let get = |vars: &'static [(&str, &str)]| {
            move |k: &str| {
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let e = Config::from_lookup(&plan, get(&[("JWT_SECRET", "s")])).unwrap_err();
        assert!(e.starts_with("METRICS_TOKEN is required"), "{e}");
        let c = Config::from_lookup(&plan, get(&[("JWT_SECRET", "s"), ("METRICS_TOKEN", "m")]))
            .unwrap();
        assert_eq!(c.allowed_origins, ["https://chat.example"]);
        assert_eq!(
            (c.metrics, c.metrics_token.as_deref()),
            (MetricsAccess::Token, Some("m"))
        );
        let vars = &[
            ("JWT_SECRET", "s"),
            ("METRICS_TOKEN", "m"),
            ("ALLOWED_ORIGINS", "http://localhost:5173"),
        ];
        let c = Config::from_lookup(&plan, get(vars)).unwrap();
        assert_eq!(c.allowed_origins, ["http://localhost:5173"]);
        let vars = &[
            ("JWT_SECRET", "s"),
            ("METRICS_TOKEN", "m"),
            ("ALLOWED_ORIGINS", ""),
        ];
        let c = Config::from_lookup(&plan, get(vars)).unwrap();
        assert!(c.allowed_origins.is_empty(), "empty: any origin");
    }
}
