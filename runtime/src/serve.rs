//! The HTTP server's accept loop, with the deadlines a public server needs.
//!
//! `axum::serve` sets no timer on hyper, so hyper's header-read timeout
//! never fires, and its graceful shutdown waits for every connection with
//! no bound: a client that sends half a request line, or an SSE client
//! that never reads, holds its socket (and the process) open for as long
//! as it likes. This loop serves the same router with hyper-util, and:
//!
//! - closes a connection whose request headers do not arrive within
//!   `HEADER_TIMEOUT_SECONDS` (slowloris);
//! - fails any write the peer leaves pending for longer than the idle
//!   timeout ([`WriteDeadline`]), so a stream nobody reads is dropped and
//!   its resources released;
//! - runs every connection in the server's task tracker, so shutdown waits
//!   for all of them, HTTP and SSE included, but no longer than
//!   `SHUTDOWN_GRACE_SECONDS` (see `app.rs`).
//!
//! Each request carries the peer's address as
//! `ConnectInfo<SocketAddr>`, as `into_make_service_with_connect_info`
//! would give it.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Sleep;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower_service::Service;

/// The deadlines of every connection.
#[derive(Debug, Clone, Copy)]
pub struct Deadlines {
    /// For a request's headers, from the moment the server waits for them.
    pub headers: Duration,
    /// For a write the peer leaves pending.
    pub write: Duration,
}

/// Serves `router` on `listener` until `stop` is cancelled; each
/// connection runs in `tracker`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    deadlines: Deadlines,
    stop: CancellationToken,
    tracker: TaskTracker,
) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = stop.cancelled() => return,
        };
        let (tcp, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of descriptors, most likely: let some close first
                // rather than spin.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        // Frames are already gathered into one write per burst; Nagle's
        // algorithm would only hold the last one back for an ACK.
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!(error = %e, "TCP_NODELAY not set");
        }
        let io = TokioIo::new(WriteDeadline::new(tcp, deadlines.write));
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            let mut router = router.clone();
            async move { router.call(req).await }
        });
        let stop = stop.clone();
        tracker.spawn(async move {
            // HTTP/1 only: the header deadline is HTTP/1's, and an h2c
            // client that sends its preface and then nothing would hold
            // its socket for ever.
            let mut builder = Builder::new(TokioExecutor::new()).http1_only();
            builder
                .http1()
                .timer(TokioTimer::new())
                .header_read_timeout(deadlines.headers);
            let conn = builder.serve_connection_with_upgrades(io, service);
            let mut conn = std::pin::pin!(conn);
            let served = tokio::select! {
                served = conn.as_mut() => served,
                () = stop.cancelled() => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = served {
                tracing::debug!(%peer, error = %e, "connection ended");
            }
        });
    }
}

/// A TCP stream whose writes fail once the peer has left one pending for
/// longer than the deadline: a reader that stopped reading cannot hold a
/// connection open by leaving its window shut.
pub struct WriteDeadline {
    inner: TcpStream,
    limit: Duration,
    /// Armed when a write is first left pending; disarmed when one goes.
    stalled: Option<Pin<Box<Sleep>>>,
}

impl WriteDeadline {
    pub fn new(inner: TcpStream, limit: Duration) -> WriteDeadline {
        WriteDeadline {
            inner,
            limit,
            stalled: None,
        }
    }

    /// What a pending write becomes: still pending, or an error once the
    /// deadline has passed.
    fn pending<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        let limit = self.limit;
        let stalled = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        match stalled.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the peer stopped reading",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn settle<T>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        match polled {
            Poll::Pending => self.pending(cx),
            ready => {
                self.stalled = None;
                ready
            }
        }
    }
}

impl AsyncRead for WriteDeadline {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for WriteDeadline {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.settle(cx, polled)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.settle(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_flush(cx);
        this.settle(cx, polled)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_shutdown(cx);
        this.settle(cx, polled)
    }
}
