//! The server: shared state, routes, background tasks and graceful shutdown.
//!
//! [`Server::bind`] does everything that can fail at start-up (binding the
//! port and, with Redis, connecting and agreeing on the epoch) before any
//! request is served, so a misconfigured node exits at once instead of
//! half-working. [`Server::run`] serves until its shutdown future resolves;
//! then it stops accepting, tells every WebSocket to close with 1001, ends
//! SSE streams and background tasks, and waits up to
//! `SHUTDOWN_GRACE_SECONDS` for connection tasks to finish releasing their
//! resources.
//!
//! Routes: `GET /ws` (WebSocket), `GET /sse` (Server-Sent Events, when the
//! configuration serves it), `GET /healthz` (200, or 503 when the Redis
//! backplane is unreachable) and `GET /metrics` (Prometheus text).

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
#[cfg(feature = "redis")]
use crate::redis::RedisBackplane;
use crate::schema::Events;

/// State shared by every connection of a service whose events are `E`.
pub struct App<E> {
    pub config: Config,
    pub verifier: Verifier,
    pub hub: Arc<Hub<E>>,
    pub metrics: Arc<Metrics>,
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
        #[cfg(feature = "redis")]
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
        #[cfg(not(feature = "redis"))]
        let hub = Arc::new(Hub::memory(config.queue, presence_ttl));
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

async fn metrics<E>(State(app): State<Arc<App<E>>>) -> impl IntoResponse {
    (
        [("content-type", "text/plain; version=0.0.4")],
        app.metrics.render(),
    )
}

fn spawn_maintenance<E: Events>(
    hub: Arc<Hub<E>>,
    every: std::time::Duration,
    stop: CancellationToken,
) {
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
