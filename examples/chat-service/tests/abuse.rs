//! The service under abuse: clients that try to make the server hold more
//! than its limits allow. Each test runs the real service (the binary,
//! when what it measures is the process, such as its memory) with small
//! limits, so that reaching them takes a moment.

mod common;

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use common::*;
use serde_json::json;
use tokio::process::{Child, Command};

/// The service's binary on a free port of 127.0.0.1, configured by `env`
/// on top of the plan's defaults, with the in-memory backplane.
struct Process {
    child: Child,
    addr: SocketAddr,
}

impl Process {
    async fn start(env: &[(&str, &str)]) -> Process {
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port");
        let child = Command::new(env!("CARGO_BIN_EXE_chat-service"))
            .env_remove("REDIS_URL")
            .env("JWT_SECRET", SECRET)
            .env("BIND_ADDR", addr.to_string())
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("the service's binary runs");
        let deadline = tokio::time::Instant::now() + WAIT;
        while tokio::net::TcpStream::connect(addr).await.is_err() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the service listens within 10s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Process { child, addr }
    }

    /// The process's resident memory, in KiB.
    fn rss_kib(&self) -> u64 {
        let pid = self.child.id().expect("still running");
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        let line = status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .expect("VmRSS in /proc/PID/status");
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    async fn metric(&self, name: &str) -> u64 {
        let (status, text) = http_get(self.addr, "/metrics").await;
        assert_eq!(status, 200, "{text}");
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("realtime_{name} ")))
            .unwrap_or_else(|| panic!("no metric {name} in\n{text}"));
        line.rsplit(' ').next().unwrap().parse().unwrap()
    }
}

/// The `i`-th channel of `CHANNEL`'s pattern: as many as a client asks for.
fn channel_n(i: u64) -> String {
    format!("room:{i}")
}

/// Publishes one event to each of `count` fresh channels from `first`;
/// returns how many were acknowledged and how many refused for a limit.
async fn publish_to_fresh_channels(c: &mut Client, first: u64, count: u64) -> (u64, u64) {
    for i in first..first + count {
        c.send(json!({"v": EVENT_VERSION, "type": EVENT, "channel": channel_n(i), "data": event_data(i), "id": i.to_string()}))
            .await;
    }
    let (mut acked, mut refused) = (0, 0);
    for _ in 0..count {
        let reply = c.recv().await;
        match reply["type"].as_str() {
            Some("ack") => acked += 1,
            Some("error") if reply["code"] == "limit_exceeded" => refused += 1,
            _ => panic!("expected an ack or `limit_exceeded`, got {reply}"),
        }
    }
    (acked, refused)
}

/// A member publishing to ever new channels once grew the server by about
/// 18 KiB a channel, for good. Now the node holds at most `MAX_CHANNELS`,
/// refuses the rest with `limit_exceeded`, and forgets unused ones after
/// `HISTORY_TTL_SECONDS`: memory stays within a bound however long it goes on.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn channels_past_the_cap_are_refused_and_memory_returns_after_inactivity() {
    const CAP: u64 = 1000;
    /// Far below what 3,000 channels a wave cost before they were bounded.
    const BOUND_KIB: u64 = 16 * 1024;
    let server = Process::start(&[
        ("MAX_CHANNELS", "1000"),
        ("HISTORY_TTL_SECONDS", "1"),
        ("HEARTBEAT_SECONDS", "1"),
        ("IDLE_TIMEOUT_SECONDS", "30"),
        ("RATE_PER_SECOND", "100000"),
    ])
    .await;
    let mut c = connect(server.addr, &token(PUBLISHER, "mallory")).await;
    let baseline = server.rss_kib();
    for wave in 0..3 {
        let got = publish_to_fresh_channels(&mut c, wave * 3 * CAP, 3 * CAP).await;
        assert_eq!(got, (CAP, 2 * CAP), "wave {wave}: acked, refused");
        assert_eq!(server.metric("channels").await, CAP);
        let grown = server.rss_kib();
        assert!(
            grown < baseline + BOUND_KIB,
            "wave {wave}: {grown} KiB, from {baseline} KiB"
        );
        // Nobody uses them: within a TTL and a heartbeat or two, they are gone.
        let deadline = tokio::time::Instant::now() + WAIT;
        while server.metric("channels").await > 0 {
            assert!(tokio::time::Instant::now() < deadline, "channels expire");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert_eq!(server.metric("history_bytes").await, 0);
    }
    let after = server.rss_kib();
    assert!(
        after < baseline + BOUND_KIB,
        "{after} KiB after three waves, from {baseline} KiB"
    );
}
