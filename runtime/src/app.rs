//! The server: shared state, routes, background tasks and graceful shutdown.
//!
//! [`Server::bind`] does everything that can fail at start-up (binding the
//! port and, with Redis, connecting and agreeing on the epoch) before any
//! request is served, so a misconfigured node exits at once instead of
//! half-working. [`Server::run`] serves until its shutdown future resolves;
//! then it stops accepting, tells every WebSocket to close with 1001, ends
//! SSE streams and background tasks, and waits up to
//! `SHUTDOWN_GRACE_SECONDS` for every connection (HTTP, WebSocket and SSE
//! alike, see `serve.rs`) to finish releasing its resources; then it
//! returns, whatever is still open.
//!
//! Routes: `GET /ws` (WebSocket), `GET /sse` (Server-Sent Events, when the
//! configuration serves it), `GET /healthz` (200, or 503 when the Redis
//! backplane is unreachable) and `GET /metrics` (Prometheus text; behind
//! `METRICS_TOKEN`, or for loopback peers only when none is set and the
//! plan does not require one).
//!
//! Refusals say little to the client (`401 invalid token`, `403
//! forbidden`, `429 too many connections`) and everything to the log, as
//! structured `tracing` events, with a counter each in `/metrics`.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::{ConnectInfo, State};
use axum::http::header::{AUTHORIZATION, ORIGIN};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::auth::{Claims, Verifier};
use crate::config::{Config, MetricsAccess};
use crate::hub::Hub;
use crate::metrics::Metrics;
use crate::presence::Pseudonyms;
use crate::quota::{Admission, Quotas};
#[cfg(feature = "redis")]
use crate::redis::RedisBackplane;
use crate::schema::Events;
use crate::serve::Deadlines;

/// State shared by every connection of a service whose events are `E`.
pub struct App<E> {
    pub config: Config,
    pub verifier: Verifier,
    pub hub: Arc<Hub<E>>,
    pub metrics: Arc<Metrics>,
    /// Connections and frame rates per user and per address.
    pub quotas: Arc<Quotas>,
    /// Cancelled when the server starts shutting down.
    pub shutdown: CancellationToken,
    /// Connection tasks, awaited on shutdown.
    pub tracker: TaskTracker,
    /// This process's id, the prefix of its client ids.
    pub node: String,
    pub next_client: AtomicU64,
    #[cfg(feature = "redis")]
    redis: Option<Arc<RedisBackplane>>,
}

impl<E> App<E> {
    /// A new connection's client id: this node's id and a counter.
    pub fn client_id(&self) -> String {
        let n = self.next_client.fetch_add(1, Ordering::Relaxed);
        format!("{}-{n}", self.node)
    }

    /// The caller's claims, or the 401 to answer with (counted as an
    /// authentication failure): the one check every endpoint starts with.
    pub fn authenticate(
        &self,
        headers: &HeaderMap,
        query_token: Option<&str>,
    ) -> Result<Claims, (StatusCode, String)> {
        self.verifier
            .authenticate(headers, query_token)
            .map_err(|e| {
                Metrics::add(&self.metrics.auth_failures, 1);
                tracing::info!(reason = e.detail(), "unauthenticated request refused");
                (StatusCode::UNAUTHORIZED, e.to_string())
            })
    }

    /// Who opens a connection (`/ws` or `/sse`): a browser's `Origin`
    /// checked against `ALLOWED_ORIGINS`, then the token, from the headers
    /// or, where allowed, `query_token`. Else the 403 or 401 to answer
    /// with, counted and logged.
    pub fn connecting(
        &self,
        headers: &HeaderMap,
        query_token: Option<&str>,
    ) -> Result<Claims, (StatusCode, String)> {
        self.check_origin(headers)
            .map_err(|(status, body)| (status, body.to_string()))?;
        self.authenticate(headers, query_token)
    }

    /// Whether a browser's `Origin` may connect, or the 403 to answer with
    /// (counted and logged). Requests without `Origin` are not browsers'.
    fn check_origin(&self, headers: &HeaderMap) -> Result<(), (StatusCode, &'static str)> {
        let allowed = &self.config.allowed_origins;
        let Some(origin) = headers.get(ORIGIN) else {
            return Ok(());
        };
        let origin = origin.to_str().unwrap_or_default();
        if allowed.is_empty() || allowed.iter().any(|a| a == origin) {
            return Ok(());
        }
        self.forbid(&format_args!("origin {origin:?} is not allowed"));
        Err((StatusCode::FORBIDDEN, "forbidden"))
    }

    /// Counts and logs a request refused for what it asked for.
    pub fn forbid(&self, why: &dyn std::fmt::Display) {
        Metrics::add(&self.metrics.forbidden, 1);
        tracing::info!(reason = %why, "forbidden");
    }

    /// The right to one more connection for `claims.sub` from `peer` (or
    /// the client a trusted proxy names, see [`client_address`]), or the
    /// 429 to answer with (counted and logged).
    pub fn admit(
        &self,
        claims: &Claims,
        peer: SocketAddr,
        headers: &HeaderMap,
    ) -> Result<Admission, (StatusCode, &'static str)> {
        let client = client_address(&self.config.trusted_proxies, peer.ip(), headers);
        self.quotas.admit(&claims.sub, client).map_err(|why| {
            Metrics::add(&self.metrics.connections_refused, 1);
            tracing::info!(user = %claims.sub, %peer, %client, reason = %why, "connection refused");
            (StatusCode::TOO_MANY_REQUESTS, "too many connections")
        })
    }
}

/// The address a request comes from, as far as it can be believed: the
/// socket's peer, unless the peer is one of the `trusted` proxies; then
/// the right-most address of `X-Forwarded-For` that is not a trusted
/// proxy, each proxy having appended the address it was reached from.
/// Whatever a client writes in the header itself is to the left of that,
/// so it cannot choose the address it counts against. A malformed entry
/// where a client address should be leaves the last trusted hop.
pub fn client_address(trusted: &[ipnet::IpNet], peer: IpAddr, headers: &HeaderMap) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut client = peer.to_canonical();
    if !is_trusted(&client) {
        return client;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    for hop in hops.iter().rev() {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) => {
                client = ip.to_canonical();
                if !is_trusted(&client) {
                    return client;
                }
            }
            Err(_) => return client,
        }
    }
    client
}

pub struct Server<E> {
    listener: TcpListener,
    app: Arc<App<E>>,
    /// Routes of optional parts (LiveKit rooms, avatars), served beside
    /// the service's own.
    extra: Router,
}

impl<E: Events> Server<E> {
    pub async fn bind(config: Config) -> Result<Server<E>, String> {
        let listener = TcpListener::bind(config.bind)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", config.bind))?;
        // Entries live three heartbeats: one missed refresh is not a leave.
        let presence_ttl = config.heartbeat * 3;
        let shutdown = CancellationToken::new();
        // Every node keys the pseudonyms guests see alike.
        let names = Pseudonyms::new(config.jwt_secret.as_bytes());
        #[cfg(feature = "redis")]
        let (hub, redis) = match &config.redis_url {
            None => (
                Arc::new(
                    Hub::memory(config.queue, presence_ttl)
                        .bounded(config.limits)
                        .pseudonymous(names),
                ),
                None,
            ),
            Some(url) => {
                let redis = Arc::new(
                    RedisBackplane::connect(url, &config.redis_prefix)
                        .await
                        .map_err(|e| format!("cannot connect to Redis at {url}: {e}"))?,
                );
                let epoch = redis.epoch().await?;
                let hub = Arc::new(
                    Hub::redis(Arc::clone(&redis), epoch, config.queue, presence_ttl)
                        .bounded(config.limits)
                        .pseudonymous(names),
                );
                Arc::clone(&redis).spawn_reader(Arc::downgrade(&hub), shutdown.clone());
                (hub, Some(redis))
            }
        };
        #[cfg(not(feature = "redis"))]
        let hub = Arc::new(
            Hub::memory(config.queue, presence_ttl)
                .bounded(config.limits)
                .pseudonymous(names),
        );

        let maintained = Arc::clone(&hub);
        spawn_every(
            config.heartbeat,
            MissedTickBehavior::Burst,
            shutdown.clone(),
            move || {
                let hub = Arc::clone(&maintained);
                async move { hub.maintain().await }
            },
        );
        // Sends the presence diffs that waited their channel's interval.
        let flushed = Arc::clone(&hub);
        spawn_every(
            config.limits.presence_interval(),
            MissedTickBehavior::Delay,
            shutdown.clone(),
            move || {
                let hub = Arc::clone(&flushed);
                async move { hub.flush_presence().await }
            },
        );
        let quotas = Arc::new(
            Quotas::new(
                config.limits.max_connections_per_user,
                config.limits.max_connections_per_address,
                config.rate_per_second,
            )
            .with_replay_budget(config.limits.max_replay_bytes_per_user),
        );
        let app = Arc::new(App {
            verifier: Verifier::new(&config),
            config,
            hub,
            metrics: Arc::default(),
            quotas,
            shutdown,
            tracker: TaskTracker::new(),
            node: crate::hub::random_id(),
            next_client: AtomicU64::new(1),
            #[cfg(feature = "redis")]
            redis,
        });
        Ok(Server {
            listener,
            app,
            extra: Router::new(),
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| self.app.config.bind)
    }

    /// The shared state, e.g. to publish from server-side code.
    pub fn app(&self) -> Arc<App<E>> {
        Arc::clone(&self.app)
    }

    /// Serves `routes` too; they carry their own state.
    pub fn merge(mut self, routes: Router) -> Server<E> {
        self.extra = self.extra.merge(routes);
        self
    }

    pub async fn run(
        self,
        signal: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let app = self.app;
        let token = app.shutdown.clone();
        tokio::spawn(async move {
            signal.await;
            token.cancel();
        });
        let router = router(Arc::clone(&app)).merge(self.extra);
        tracing::info!(addr = %self.listener.local_addr()?, epoch = %app.hub.epoch(), "listening");
        let deadlines = Deadlines {
            headers: app.config.limits.header_timeout(),
            write: app.config.idle_timeout,
        };
        crate::serve::serve(
            self.listener,
            router,
            deadlines,
            app.shutdown.clone(),
            app.tracker.clone(),
        )
        .await;
        app.shutdown.cancel();
        app.tracker.close();
        if tokio::time::timeout(app.config.shutdown_grace, app.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                open = app.tracker.len(),
                "shutdown grace period over; dropping connections"
            );
        }
        tracing::info!("stopped");
        Ok(())
    }
}

/// Every route of the service, on `app`.
pub fn router<E: Events>(app: Arc<App<E>>) -> Router {
    let mut router = Router::new().route("/ws", get(crate::ws::upgrade::<E>));
    if app.config.sse {
        router = router.route("/sse", get(crate::sse::stream::<E>));
    }
    router
        .route("/healthz", get(healthz::<E>))
        .route("/metrics", get(metrics::<E>))
        .with_state(app)
}

#[cfg(feature = "redis")]
async fn healthz<E>(State(app): State<Arc<App<E>>>) -> impl IntoResponse {
    match &app.redis {
        Some(redis) => match redis.ping().await {
            Ok(()) => (StatusCode::OK, "ok".to_string()),
            Err(e) => (StatusCode::SERVICE_UNAVAILABLE, format!("redis: {e}")),
        },
        None => (StatusCode::OK, "ok".to_string()),
    }
}

#[cfg(not(feature = "redis"))]
async fn healthz<E>(State(_): State<Arc<App<E>>>) -> impl IntoResponse {
    (StatusCode::OK, "ok")
}

/// `GET /metrics`: with `METRICS_TOKEN` set, for requests that bear it;
/// without, for loopback peers only (a scraper on the same host or pod).
async fn metrics<E: Events>(
    State(app): State<Arc<App<E>>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    // Behind a trusted proxy on this host, the peer is loopback for every
    // request: the client it forwards for is what counts.
    let client = client_address(&app.config.trusted_proxies, peer.ip(), &headers);
    let allowed = match &app.config.metrics_token {
        Some(token) => headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|given| same(given.as_bytes(), token.as_bytes())),
        None => app.config.metrics == MetricsAccess::Loopback && client.is_loopback(),
    };
    if !allowed {
        app.forbid(&format_args!("metrics asked for by {peer}"));
        return (StatusCode::FORBIDDEN, "forbidden").into_response();
    }
    let mut text = app.metrics.render();
    Metrics::gauge(&mut text, "channels", app.hub.channel_count() as u64);
    Metrics::gauge(&mut text, "history_bytes", app.hub.history_bytes() as u64);
    ([("content-type", "text/plain; version=0.0.4")], text).into_response()
}

/// Compares in time that depends only on the lengths, so the token cannot
/// be guessed a byte at a time.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Runs `work` every `every` until `stop`, ticks it missed handled as
/// `missed` says.
fn spawn_every<F, Fut>(
    every: std::time::Duration,
    missed: MissedTickBehavior,
    stop: CancellationToken,
    mut work: F,
) where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(missed);
        loop {
            tokio::select! {
                _ = tick.tick() => work().await,
                () = stop.cancelled() => return,
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(trusted: &[&str], peer: &str, forwarded: &[&str]) -> String {
        let trusted: Vec<ipnet::IpNet> = trusted.iter().map(|n| n.parse().unwrap()).collect();
        let mut headers = HeaderMap::new();
        for value in forwarded {
            headers.append("x-forwarded-for", value.parse().unwrap());
        }
        client_address(&trusted, peer.parse().unwrap(), &headers).to_string()
    }

    #[test]
    fn forwarded_addresses_count_only_through_trusted_proxies() {
        // No trusted proxy: the header is a client's say-so, ignored.
        assert_eq!(from(&[], "203.0.113.9", &["198.51.100.1"]), "203.0.113.9");
        let proxy = &["10.0.0.0/8"];
        // An untrusted peer's header is ignored too.
        assert_eq!(from(proxy, "203.0.113.9", &["198.51.100.1"]), "203.0.113.9");
        // Through the proxy: the address it appended.
        assert_eq!(from(proxy, "10.0.0.2", &["198.51.100.1"]), "198.51.100.1");
        // What the client wrote itself is to the left, and does not count.
        let forged = &["1.2.3.4, 5.6.7.8, 198.51.100.1"];
        assert_eq!(from(proxy, "10.0.0.2", forged), "198.51.100.1");
        // Several trusted hops, in one header or several.
        let hops = &["1.2.3.4, 198.51.100.1", "10.0.0.7"];
        assert_eq!(from(proxy, "10.0.0.2", hops), "198.51.100.1");
        // Nothing forwarded, or garbage where the client should be: the
        // last trusted hop.
        assert_eq!(from(proxy, "10.0.0.2", &[]), "10.0.0.2");
        assert_eq!(from(proxy, "10.0.0.2", &["1.2.3.4, junk"]), "10.0.0.2");
        assert_eq!(from(proxy, "10.0.0.2", &["junk, 10.0.0.7"]), "10.0.0.7");
        // IPv4 peers of a dual-stack socket are matched as IPv4.
        assert_eq!(
            from(&["127.0.0.1/32"], "::ffff:127.0.0.1", &["198.51.100.1"]),
            "198.51.100.1"
        );
    }
}
