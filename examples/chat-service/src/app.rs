//! The server: shared state, routes, background tasks and graceful shutdown.
//!
//! [`Server::bind`] does everything that can fail at start-up (binding the
//! port, connecting to Redis, agreeing on the epoch) before any request is
//! served, so a misconfigured node exits at once instead of half-working.
//! [`Server::run`] serves until its shutdown future resolves; then it stops
//! accepting, tells every WebSocket to close with 1001, ends SSE streams,
//! and waits up to `SHUTDOWN_GRACE_SECONDS` for connection tasks to finish
//! releasing their resources.
//!
//! Routes: `GET /ws` (WebSocket), `GET /sse` (Server-Sent Events),
//! `GET /healthz` (200, or 503 when the backplane is unreachable) and
//! `GET /metrics` (Prometheus text).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::auth::{Claims, Verifier};
use crate::config::Config;
use crate::hub::Hub;
use crate::metrics::Metrics;
use crate::redis::RedisBackplane;

/// State shared by every connection.
pub struct App {
    pub config: Config,
    pub verifier: Verifier,
    pub hub: Arc<Hub>,
    pub metrics: Arc<Metrics>,
    /// Cancelled when the server starts shutting down.
    pub shutdown: CancellationToken,
    /// Connection tasks, awaited on shutdown.
    pub tracker: TaskTracker,
    /// This process's id, the prefix of its client ids.
    pub node: String,
    pub next_client: AtomicU64,
    redis: Option<Arc<RedisBackplane>>,
}

impl App {
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
                (StatusCode::UNAUTHORIZED, e.to_string())
            })
    }
}

pub struct Server {
    listener: TcpListener,
    app: Arc<App>,
}

impl Server {
    pub async fn bind(config: Config) -> Result<Server, String> {
        let listener = TcpListener::bind(config.bind)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", config.bind))?;
        // Entries live three heartbeats: one missed refresh is not a leave.
        let presence_ttl = config.heartbeat * 3;
        let shutdown = CancellationToken::new();
        let (hub, redis) = match &config.redis_url {
            None => (Arc::new(Hub::memory(config.queue, presence_ttl)), None),
            Some(url) => {
                let redis = Arc::new(
                    RedisBackplane::connect(url, &config.redis_prefix)
                        .await
                        .map_err(|e| format!("cannot connect to Redis at {url}: {e}"))?,
                );
                let epoch = redis.epoch().await?;
                let hub = Arc::new(Hub::redis(
                    Arc::clone(&redis),
                    epoch,
                    config.queue,
                    presence_ttl,
                ));
                Arc::clone(&redis).spawn_reader(Arc::downgrade(&hub), shutdown.clone());
                (hub, Some(redis))
            }
        };
        spawn_maintenance(Arc::clone(&hub), config.heartbeat, shutdown.clone());
        let app = Arc::new(App {
            verifier: Verifier::new(&config),
            config,
            hub,
            metrics: Arc::default(),
            shutdown,
            tracker: TaskTracker::new(),
            node: crate::hub::random_id(),
            next_client: AtomicU64::new(1),
            redis,
        });
        Ok(Server { listener, app })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| self.app.config.bind)
    }

    /// The shared state, e.g. to publish from server-side code.
    pub fn app(&self) -> Arc<App> {
        Arc::clone(&self.app)
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
        let router = router(Arc::clone(&app));
        tracing::info!(addr = %self.listener.local_addr()?, epoch = %app.hub.epoch(), "listening");
        // Frames are already gathered into one write per burst; Nagle's
        // algorithm would only hold the last one back for an ACK.
        let listener = self.listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::warn!(error = %e, "TCP_NODELAY not set");
            }
        });
        axum::serve(listener, router)
            .with_graceful_shutdown(app.shutdown.clone().cancelled_owned())
            .await?;
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

pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/ws", get(crate::ws::upgrade))
        .route("/sse", get(crate::sse::stream))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .with_state(app)
}

async fn healthz(State(app): State<Arc<App>>) -> impl IntoResponse {
    match &app.redis {
        Some(redis) => match redis.ping().await {
            Ok(()) => (StatusCode::OK, "ok".to_string()),
            Err(e) => (StatusCode::SERVICE_UNAVAILABLE, format!("redis: {e}")),
        },
        None => (StatusCode::OK, "ok".to_string()),
    }
}

async fn metrics(State(app): State<Arc<App>>) -> impl IntoResponse {
    (
        [("content-type", "text/plain; version=0.0.4")],
        app.metrics.render(),
    )
}

fn spawn_maintenance(hub: Arc<Hub>, every: std::time::Duration, stop: CancellationToken) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tokio::select! {
                _ = tick.tick() => hub.maintain().await,
                () = stop.cancelled() => return,
            }
        }
    });
}
