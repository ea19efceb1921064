//! Counters for `/metrics`, in the Prometheus text format.
//!
//! Plain atomics, updated with relaxed ordering: they are statistics, not
//! synchronisation, and cost one uncontended instruction on the hot path.

use std::fmt::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct Metrics {
    /// Open WebSocket and SSE connections.
    pub connections: AtomicU64,
    pub connections_total: AtomicU64,
    pub auth_failures: AtomicU64,
    /// Events accepted from clients.
    pub messages_in: AtomicU64,
    /// Frames queued to clients.
    pub messages_out: AtomicU64,
    /// Frames a slow subscriber never received.
    pub drops: AtomicU64,
    pub resyncs: AtomicU64,
    /// Connections closed for being too slow.
    pub slow_disconnects: AtomicU64,
    /// Frames refused with an `error` frame.
    pub errors: AtomicU64,
    /// Connections refused for a per-user or per-address limit.
    pub connections_refused: AtomicU64,
    /// Frames over a user's rate.
    pub rate_limited: AtomicU64,
    /// Requests refused for their origin or role.
    pub forbidden: AtomicU64,
}

impl Metrics {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    pub fn render(&self) -> String {
        let rows: [(&str, &str, &AtomicU64); 12] = [
            ("connections", "gauge", &self.connections),
            ("connections_total", "counter", &self.connections_total),
            ("auth_failures_total", "counter", &self.auth_failures),
            ("messages_in_total", "counter", &self.messages_in),
            ("messages_out_total", "counter", &self.messages_out),
            ("drops_total", "counter", &self.drops),
            ("resyncs_total", "counter", &self.resyncs),
            ("slow_disconnects_total", "counter", &self.slow_disconnects),
            ("errors_total", "counter", &self.errors),
            (
                "connections_refused_total",
                "counter",
                &self.connections_refused,
            ),
            ("rate_limited_total", "counter", &self.rate_limited),
            ("forbidden_total", "counter", &self.forbidden),
        ];
        let mut out = String::new();
        for (name, kind, value) in rows {
            row(&mut out, name, kind, Metrics::get(value));
        }
        out
    }

    /// Appends a gauge kept elsewhere (e.g. by the hub) to `render`'s text.
    pub fn gauge(out: &mut String, name: &str, value: u64) {
        row(out, name, "gauge", value);
    }
}

fn row(out: &mut String, name: &str, kind: &str, value: u64) {
    let _ = writeln!(out, "# TYPE realtime_{name} {kind}");
    let _ = writeln!(out, "realtime_{name} {value}");
}

/// Decrements the open-connections gauge when a connection ends, however it ends.
pub struct ConnectionGuard(Arc<Metrics>);

impl ConnectionGuard {
    pub fn new(metrics: Arc<Metrics>) -> Self {
        Metrics::add(&metrics.connections, 1);
        Metrics::add(&metrics.connections_total, 1);
        ConnectionGuard(metrics)
    }
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.0.connections.fetch_sub(1, Ordering::Relaxed);
    }
}
