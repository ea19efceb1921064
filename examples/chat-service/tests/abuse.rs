//! The service under abuse: clients that try to make the server hold more
//! than its limits allow. Each test runs the real service (the binary,
//! when what it measures is the process, such as its memory) with small
//! limits, so that reaching them takes a moment.

mod common;

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use common::*;
use futures_util::SinkExt;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, Command};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

/// The service's binary on a free port of 127.0.0.1, configured by `env`
/// on top of the plan's defaults, with the in-memory backplane.
struct Process {
    child: Child,
    addr: SocketAddr,
}

impl Process {
    async fn start(env: &[(&str, &str)]) -> Process {
        Process::start_logging(env, Stdio::null()).await
    }

    /// As `start`, with the service's stderr going to `stderr`.
    async fn start_logging(env: &[(&str, &str)], stderr: Stdio) -> Process {
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port");
        let child = Command::new(env!("CARGO_BIN_EXE_chat-service"))
            .env_remove("REDIS_URL")
            .env("JWT_SECRET", SECRET)
            .env("BIND_ADDR", addr.to_string())
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(stderr)
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

/// One user may bring only its share of the node's channels into being:
/// the rest of `MAX_CHANNELS` (and of the history those channels keep)
/// stays for everyone else, and the share comes back as its channels expire.
#[tokio::test]
async fn one_user_cannot_take_the_nodes_channels_from_the_others() {
    let server = Process::start(&[
        ("MAX_CHANNELS", "20"),
        ("MAX_CHANNELS_PER_USER", "5"),
        ("HISTORY_TTL_SECONDS", "1"),
        ("HEARTBEAT_SECONDS", "1"),
        ("IDLE_TIMEOUT_SECONDS", "30"),
        ("RATE_PER_SECOND", "100000"),
    ])
    .await;
    let mut mallory = connect(server.addr, &token(PUBLISHER, "mallory")).await;
    assert_eq!(publish_to_fresh_channels(&mut mallory, 0, 12).await, (5, 7));
    // A second socket, or subscribing instead of publishing, is no way round.
    let mut again = connect(server.addr, &token(PUBLISHER, "mallory")).await;
    again
        .send(json!({"v": 1, "type": "subscribe", "channel": channel_n(100), "id": "s"}))
        .await;
    let reply = again.recv().await;
    assert_eq!(reply["code"], "limit_exceeded", "{reply}");
    assert_eq!(server.metric("channels").await, 5);
    // Everyone else still gets channels of their own.
    let mut ada = connect(server.addr, &token(PUBLISHER, "ada")).await;
    assert_eq!(publish_to_fresh_channels(&mut ada, 1000, 5).await, (5, 0));
    // Once unused, mallory's channels expire and its share comes back.
    let deadline = tokio::time::Instant::now() + WAIT;
    while server.metric("channels").await > 0 {
        assert!(tokio::time::Instant::now() < deadline, "channels expire");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        publish_to_fresh_channels(&mut mallory, 200, 1).await,
        (1, 0)
    );
}

/// A token's `channels` claim narrows what its role allows: outside it,
/// subscribing and publishing are refused as forbidden, a refresh cannot
/// widen it, and an entry ending in `*` takes in the channels it starts.
#[tokio::test]
async fn a_channels_claim_confines_a_token_to_its_channels() {
    use chat_service::auth::{Claims, issue};
    let server = start(config()).await;
    let (allowed, other) = (channel_n(1), channel_n(2));
    let scoped = |channels: &[&str]| {
        let claims = Claims {
            iss: ISSUER.map(str::to_string),
            channels: Some(channels.iter().map(|c| c.to_string()).collect()),
            ..Claims::new("ada", PUBLISHER, now() + 600)
        };
        issue(SECRET, &claims)
    };
    let mut ada = connect(server.addr, &scoped(&[&allowed])).await;
    ada.subscribe(&allowed).await;
    ada.publish(&allowed, event_data(1), "1").await;
    let outside = [
        json!({"v": 1, "type": "subscribe", "channel": other, "id": "s"}),
        json!({"v": EVENT_VERSION, "type": EVENT, "channel": other, "data": event_data(2), "id": "p"}),
        // A refresh to a token with more channels.
        json!({"v": 1, "type": "refresh", "data": {"token": scoped(&[&allowed, &other])}, "id": "r"}),
    ];
    for frame in outside {
        ada.send(frame.clone()).await;
        let reply = ada.recv_type("error").await;
        assert_eq!(reply["code"], "forbidden", "{frame}: {reply}");
    }
    let common: String = allowed
        .chars()
        .zip(other.chars())
        .take_while(|(a, b)| a == b)
        .map(|(a, _)| a)
        .collect();
    let mut wide = connect(server.addr, &scoped(&[&format!("{common}*")])).await;
    assert_eq!(wide.subscribe(&other).await["channel"], other.as_str());
    let sse = format!("/sse?channel={other}");
    let status = get_with_token(server.addr, &sse, &scoped(&[&allowed])).await;
    assert_eq!(status, 403);
    server.stop().await;
}

/// A config whose tokens get no leeway, so they expire when they say.
fn strict() -> chat_service::Config {
    let mut c = config();
    c.jwt_leeway_seconds = 0;
    c
}

/// An open WebSocket keeps its privileges only as long as its token: it is
/// closed with 4001 at expiry, unless the client hands over a fresh token
/// in-band first.
#[tokio::test]
async fn a_token_expiring_on_an_open_websocket_closes_it_unless_refreshed() {
    let server = start(strict()).await;
    let mut lapsing = connect(server.addr, &token_expiring(PUBLISHER, "ada", now() + 2)).await;
    let mut refreshed = connect(server.addr, &token_expiring(PUBLISHER, "bob", now() + 2)).await;
    refreshed
        .send(json!({"v": 1, "type": "refresh", "data": {"token": token(PUBLISHER, "bob")}}))
        .await;
    let answer = refreshed.recv_type("refreshed").await;
    assert!(answer["exp"].as_u64().unwrap() > now() + 60, "{answer}");
    // Another user's token does not pass as a refresh.
    refreshed
        .send(json!({"v": 1, "type": "refresh", "data": {"token": token(PUBLISHER, "eve")}}))
        .await;
    assert_eq!(refreshed.recv_type("error").await["code"], "forbidden");
    assert_eq!(lapsing.closed().await, (4001, "token expired".to_string()));
    // The refreshed connection outlives the first token.
    let subscribed = refreshed.subscribe(CHANNEL).await;
    assert_eq!(subscribed["type"], "subscribed");
    server.stop().await;
}

/// The issuer is required when one is configured; `nbf` and `iat` in the
/// future are refused; and the 401 says no more than what kind of failure.
#[tokio::test]
async fn tokens_without_the_issuer_or_not_yet_valid_are_refused() {
    use chat_service::auth::{Claims, issue};
    let mut cfg = strict();
    cfg.jwt_issuer = Some("issuer.test".to_string());
    let server = start(cfg).await;
    let claims = |iss: Option<&str>| Claims {
        iss: iss.map(str::to_string),
        ..Claims::new("ada", PUBLISHER, now() + 600)
    };
    let cases = [
        claims(None),
        claims(Some("other.test")),
        Claims {
            nbf: Some(now() + 60),
            ..claims(Some("issuer.test"))
        },
        Claims {
            iat: Some(now() + 60),
            ..claims(Some("issuer.test"))
        },
    ];
    for claims in cases {
        match try_connect(server.addr, &issue(SECRET, &claims)).await {
            Err(WsError::Http(resp)) => {
                assert_eq!(resp.status(), 401, "{claims:?}");
                let body = String::from_utf8(resp.body().clone().unwrap_or_default()).unwrap();
                assert_eq!(body, "invalid token", "{claims:?}");
            }
            other => panic!("{claims:?}: expected 401, got {:?}", other.map(drop)),
        }
    }
    let good = issue(SECRET, &claims(Some("issuer.test")));
    assert!(try_connect(server.addr, &good).await.is_ok());
    server.stop().await;
}

/// Every published event carries its publisher's `sub`, stamped by the
/// server: nobody can pose as somebody else.
#[tokio::test]
async fn published_events_carry_the_publishers_sub() {
    let server = start(config()).await;
    let mut reader = connect(server.addr, &token(PUBLISHER, "bob")).await;
    reader.subscribe(CHANNEL).await;
    let mut writer = connect(server.addr, &token(PUBLISHER, "ada")).await;
    writer.publish(CHANNEL, event_data(1), "p1").await;
    let event = reader.recv_type(EVENT).await;
    assert_eq!(event["from"], "ada", "{event}");
    // What the server publishes itself names nobody.
    server.publish(2).await;
    let event = reader.recv_type(EVENT).await;
    assert!(event.get("from").is_none(), "{event}");
    server.stop().await;
}

/// An SSE stream cannot be handed a fresh token, so it ends with an
/// `expired` event when its token expires; the client reconnects.
#[tokio::test]
async fn a_token_expiring_on_an_open_sse_stream_ends_it() {
    let server = start(strict()).await;
    let mut s = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let token = token_expiring(PUBLISHER, "ada", now() + 2);
    let req = format!(
        "GET /sse?channel={CHANNEL} HTTP/1.1\r\nHost: t\r\nConnection: close\r\nAuthorization: Bearer {token}\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut body = Vec::new();
    tokio::time::timeout(WAIT, s.read_to_end(&mut body))
        .await
        .expect("the stream ends within 10s")
        .unwrap();
    let body = String::from_utf8_lossy(&body);
    assert!(body.starts_with("HTTP/1.1 200"), "{body}");
    assert!(
        body.contains("event: expired\ndata: {\"type\":\"expired\""),
        "{body}"
    );
    server.stop().await;
}

/// One user may hold `MAX_CONNECTIONS_PER_USER` connections and one
/// address `MAX_CONNECTIONS_PER_ADDRESS`, WebSocket and SSE together; a
/// closed one frees its place.
#[tokio::test]
async fn connections_are_capped_per_user_and_per_address() {
    let mut cfg = config();
    cfg.limits.max_connections_per_user = 3;
    cfg.limits.max_connections_per_address = 5;
    let server = start(cfg).await;
    let ada = token(PUBLISHER, "ada");
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(connect(server.addr, &ada).await);
    }
    let refused = |result: Result<Client, WsError>| match result {
        Err(WsError::Http(resp)) => {
            assert_eq!(resp.status(), 429);
            let body = String::from_utf8(resp.body().clone().unwrap_or_default()).unwrap();
            assert_eq!(body, "too many connections");
        }
        other => panic!("expected 429, got {:?}", other.map(drop)),
    };
    refused(try_connect(server.addr, &ada).await);
    let sse = format!("/sse?channel={CHANNEL}");
    assert_eq!(get_with_token(server.addr, &sse, &ada).await, 429);
    // Others from the same address fill it up to its own limit.
    held.push(connect(server.addr, &token(PUBLISHER, "bob")).await);
    held.push(connect(server.addr, &token(PUBLISHER, "cy")).await);
    refused(try_connect(server.addr, &token(PUBLISHER, "dee")).await);
    assert_eq!(server.metric("connections_refused_total"), 3);
    // A closed connection frees its place for its user and its address.
    drop(held.remove(0));
    let deadline = tokio::time::Instant::now() + WAIT;
    while server.metric("connections") > 4 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the connection ends"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    held.push(connect(server.addr, &ada).await);
    server.stop().await;
}

/// Opens a WebSocket for `user` whose request says it was forwarded for
/// `forwarded`; the status of a refusal.
async fn connect_forwarded(addr: SocketAddr, user: &str, forwarded: &str) -> Result<Client, u16> {
    let mut req = format!("ws://{addr}/ws").into_client_request().unwrap();
    let proto = format!("realtime.v1, bearer.{}", token(PUBLISHER, user));
    let headers = req.headers_mut();
    headers.insert("sec-websocket-protocol", proto.parse().unwrap());
    headers.insert("x-forwarded-for", forwarded.parse().unwrap());
    match tokio_tungstenite::connect_async(req).await {
        Ok((ws, _)) => Ok(Client { ws }),
        Err(WsError::Http(resp)) => Err(resp.status().as_u16()),
        Err(e) => panic!("connecting failed: {e}"),
    }
}

/// `X-Forwarded-For` is a client's say-so unless a trusted proxy wrote it:
/// by default it is ignored, so forging it does not dodge the per-address
/// cap; with the peer in `TRUSTED_PROXIES`, the right-most address not a
/// proxy's counts, whatever the client put to its left.
#[tokio::test]
async fn a_forged_forwarded_for_does_not_dodge_the_address_cap() {
    let cap = ("MAX_CONNECTIONS_PER_ADDRESS", "3");
    let direct = Process::start(&[cap]).await;
    let mut held = Vec::new();
    for i in 0..3 {
        let forged = format!("198.51.100.{i}");
        let ws = connect_forwarded(direct.addr, &format!("u{i}"), &forged).await;
        held.push(ws.expect("admitted"));
    }
    let dodge = connect_forwarded(direct.addr, "u9", "198.51.100.9").await;
    assert_eq!(dodge.err(), Some(429), "the socket's address counts");
    drop(held);

    let proxied = Process::start(&[cap, ("TRUSTED_PROXIES", "127.0.0.1, ::1")]).await;
    let mut held = Vec::new();
    // Each client behind the proxy has a cap of its own...
    for i in 0..4 {
        let client = format!("198.51.100.{i}");
        let ws = connect_forwarded(proxied.addr, &format!("u{i}"), &client).await;
        held.push(ws.expect("admitted"));
    }
    // ...which it cannot dodge by writing other addresses to the left of
    // the one the proxy appended.
    for i in 4..7 {
        let forwarded = format!("203.0.113.{i}, 198.51.100.7");
        let ws = connect_forwarded(proxied.addr, &format!("u{i}"), &forwarded).await;
        held.push(ws.expect("admitted"));
    }
    let forged = connect_forwarded(proxied.addr, "u7", "203.0.113.99, 198.51.100.7").await;
    assert_eq!(forged.err(), Some(429));
}

/// `GET path` with a bearer token; the status code.
async fn get_with_token(addr: SocketAddr, path: &str, token: &str) -> u16 {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\nAuthorization: Bearer {token}\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut head = [0u8; 12];
    tokio::time::timeout(WAIT, s.read_exact(&mut head))
        .await
        .expect("a status line within 10s")
        .unwrap();
    String::from_utf8_lossy(&head[9..12]).parse().unwrap()
}

/// The rate limit is the user's, not the connection's: four sockets with
/// one token share one bucket, and pings and binary frames draw from it too.
#[tokio::test]
async fn a_users_rate_is_shared_by_its_sockets_and_every_frame_type() {
    const RATE: u64 = 10;
    let mut cfg = config();
    cfg.rate_per_second = RATE as u32;
    let server = start(cfg).await;
    let ada = token(PUBLISHER, "ada");
    let mut sockets = Vec::new();
    for _ in 0..4 {
        sockets.push(connect(server.addr, &ada).await);
    }
    for (n, c) in sockets.iter_mut().enumerate() {
        for i in 0..RATE {
            let id = format!("{n}-{i}");
            c.send(json!({"v": EVENT_VERSION, "type": EVENT, "channel": CHANNEL, "data": event_data(i), "id": id}))
                .await;
        }
    }
    let (mut acked, mut limited) = (0, 0);
    for c in &mut sockets {
        for _ in 0..RATE {
            let reply = c.recv().await;
            match (reply["type"].as_str(), reply["code"].as_str()) {
                (Some("ack"), _) => acked += 1,
                (Some("error"), Some("rate_limited")) => limited += 1,
                _ => panic!("expected an ack or `rate_limited`, got {reply}"),
            }
        }
    }
    // One burst of RATE for the user; a slow machine may refill a few.
    assert!(
        (RATE..=RATE + 4).contains(&acked),
        "{acked} acked, {limited} limited"
    );
    assert_eq!(acked + limited, 4 * RATE);
    // Pings past the rate close the connection: they have no answer to refuse.
    let mut pinger = sockets.pop().unwrap();
    for _ in 0..3 * RATE {
        let ping = Message::Ping(Default::default());
        if pinger.ws.send(ping).await.is_err() {
            break;
        }
    }
    let closed = pinger.closed().await;
    assert_eq!(closed, (1008, "rate limit exceeded".to_string()));
    assert!(server.metric("rate_limited_total") > limited);
    server.stop().await;
}

/// Closing a socket and opening another does not refill the user's
/// bucket: it is kept for a while after the user's last connection.
#[tokio::test]
async fn reconnecting_does_not_refill_a_users_rate() {
    const RATE: u64 = 10;
    let service = Process::start(&[("RATE_PER_SECOND", "10")]).await;
    let ada = token(PUBLISHER, "ada");
    let mut acked = 0;
    for round in 0..5 {
        let mut c = connect(service.addr, &ada).await;
        for i in 0..RATE {
            let id = format!("{round}-{i}");
            c.send(json!({"v": EVENT_VERSION, "type": EVENT, "channel": CHANNEL, "data": event_data(i), "id": id}))
                .await;
        }
        for _ in 0..RATE {
            let reply = c.recv().await;
            match (reply["type"].as_str(), reply["code"].as_str()) {
                (Some("ack"), _) => acked += 1,
                (Some("error"), Some("rate_limited")) => {}
                _ => panic!("expected an ack or `rate_limited`, got {reply}"),
            }
        }
        c.ws.close(None).await.unwrap();
    }
    // Five fresh buckets would have let 5 * RATE through; one bucket lets
    // RATE through plus what it refills meanwhile (a slow machine, more).
    assert!(acked <= 2 * RATE, "{acked} acked over five reconnects");
}

/// A client that sends half a request and then nothing (slowloris) is
/// closed after `HEADER_TIMEOUT_SECONDS`; others are served meanwhile.
#[tokio::test]
async fn slow_headers_are_cut_off_after_the_header_timeout() {
    const SOCKETS: usize = 50;
    let mut cfg = config();
    cfg.limits.header_timeout_seconds = 1;
    let server = start(cfg).await;
    let mut slow = Vec::new();
    for _ in 0..SOCKETS {
        let mut s = tokio::net::TcpStream::connect(server.addr).await.unwrap();
        let half = b"GET /healthz HTTP/1.1\r\nHost: t\r\n";
        s.write_all(half).await.unwrap();
        slow.push(s);
    }
    assert_eq!(http_get(server.addr, "/healthz").await.0, 200);
    let started = tokio::time::Instant::now();
    for mut s in slow {
        let mut buf = [0u8; 256];
        let read = tokio::time::timeout(WAIT, s.read(&mut buf))
            .await
            .expect("the server hangs up within 10s");
        // Closed, with hyper's 408 or without a word.
        match read {
            Ok(0) | Err(_) => {}
            Ok(n) => assert!(
                String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 408"),
                "{}",
                String::from_utf8_lossy(&buf[..n])
            ),
        }
    }
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "{took:?}");
    server.stop().await;
}

/// Opens an SSE stream on a socket with a small receive buffer and never
/// reads it.
async fn never_reading_sse(addr: SocketAddr) -> tokio::net::TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut s = socket.connect(addr).await.unwrap();
    let token = token(PUBLISHER, "lurker");
    let req = format!(
        "GET /sse?channel={CHANNEL} HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {token}\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await.unwrap();
    s
}

/// Publishes enough to fill every socket buffer on the way to a client
/// that does not read.
async fn flood(server: &TestServer) {
    for i in 0..200 {
        server.publish_data(big_event_data(64 * 1024)).await;
        let _ = i;
    }
}

async fn wait_for_connections(server: &TestServer, n: u64, within: Duration) {
    let deadline = tokio::time::Instant::now() + within;
    while server.metric("connections") != n {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} connections, not {n}, after {within:?}",
            server.metric("connections")
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// An SSE client that stops reading is dropped once a write has waited for
/// it for the idle timeout, releasing its place and its subscription.
#[tokio::test]
async fn an_sse_client_that_never_reads_is_dropped_after_the_idle_timeout() {
    let mut cfg = config();
    cfg.heartbeat = Duration::from_secs(1);
    cfg.idle_timeout = Duration::from_secs(2);
    let server = start(cfg).await;
    let _lurkers = [
        never_reading_sse(server.addr).await,
        never_reading_sse(server.addr).await,
    ];
    wait_for_connections(&server, 2, WAIT).await;
    flood(&server).await;
    wait_for_connections(&server, 0, Duration::from_secs(8)).await;
    server.stop().await;
}

/// Shutdown waits for every connection, but no longer than the grace
/// period, even for SSE clients that never read what they were sent.
#[tokio::test]
async fn shutdown_ends_within_the_grace_period_despite_sse_clients_that_never_read() {
    let server = start(config()).await;
    let grace = server.app.config.shutdown_grace;
    let _lurkers = [
        never_reading_sse(server.addr).await,
        never_reading_sse(server.addr).await,
    ];
    wait_for_connections(&server, 2, WAIT).await;
    flood(&server).await;
    let started = tokio::time::Instant::now();
    server.stop().await;
    let took = started.elapsed();
    let within = grace + Duration::from_secs(1);
    assert!(took < within, "stopped after {took:?}");
}

/// A plan that puts `/metrics` behind a token (`security.metrics: token`)
/// and lists the origins browsers may connect from: `/metrics` then asks
/// for `METRICS_TOKEN`, which the service requires, even from loopback;
/// browsers connect only from those origins; each refusal is counted, and
/// the body says only "forbidden".
#[tokio::test]
async fn metrics_need_their_token_and_browsers_an_allowed_origin() {
    use chat_service::config::{DEFAULTS, Defaults, MetricsAccess};
    let plan = Defaults {
        allowed_origins: &["https://app.example"],
        metrics: MetricsAccess::Token,
        ..DEFAULTS
    };
    let env = |with_token: bool| {
        move |k: &str| match k {
            "JWT_SECRET" => Some(SECRET.to_string()),
            "METRICS_TOKEN" if with_token => Some("scrape-me".to_string()),
            _ => None,
        }
    };
    let refused = chat_service::Config::from_lookup(&plan, env(false)).unwrap_err();
    assert!(
        refused.starts_with("METRICS_TOKEN is required"),
        "{refused}"
    );
    let mut cfg = chat_service::Config::from_lookup(&plan, env(true)).unwrap();
    cfg.bind = config().bind;
    let server = start(cfg).await;
    let scrape = |auth: &'static str| async move {
        let mut s = tokio::net::TcpStream::connect(server.addr).await.unwrap();
        let req = format!("GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n{auth}\r\n");
        s.write_all(req.as_bytes()).await.unwrap();
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).await.unwrap();
        String::from_utf8_lossy(&buf).to_string()
    };
    let refused = scrape("").await;
    assert!(refused.starts_with("HTTP/1.1 403"), "{refused}");
    assert!(refused.ends_with("\r\n\r\nforbidden"), "{refused}");
    let wrong = scrape("Authorization: Bearer guess\r\n").await;
    assert!(wrong.starts_with("HTTP/1.1 403"), "{wrong}");
    let right = scrape("Authorization: Bearer scrape-me\r\n").await;
    assert!(right.starts_with("HTTP/1.1 200"), "{right}");
    assert!(right.contains("realtime_forbidden_total 2"), "{right}");

    let from = |origin: &str| {
        let url = format!("ws://{}/ws", server.addr);
        let mut req = url.into_client_request().unwrap();
        let proto = format!("realtime.v1, bearer.{}", token(PUBLISHER, "ada"));
        let headers = req.headers_mut();
        headers.insert("sec-websocket-protocol", proto.parse().unwrap());
        headers.insert("origin", origin.parse().unwrap());
        req
    };
    match tokio_tungstenite::connect_async(from("https://evil.example")).await {
        Err(WsError::Http(resp)) => assert_eq!(resp.status(), 403),
        other => panic!("expected 403, got {:?}", other.map(drop)),
    }
    let allowed = tokio_tungstenite::connect_async(from("https://app.example")).await;
    assert!(allowed.is_ok());
    // Clients that are not browsers send no `Origin`.
    connect(server.addr, &token(PUBLISHER, "bob")).await;
    assert_eq!(server.metric("forbidden_total"), 3);
    server.stop().await;
}

/// Refusals are logged as structured events on stderr (stdout stays
/// empty), with the reason a client is not told.
#[tokio::test]
async fn refusals_are_logged_to_stderr_with_their_reason() {
    let mut server =
        Process::start_logging(&[("RUST_LOG", "info"), ("NO_COLOR", "1")], Stdio::piped()).await;
    let forged = chat_service::auth::issue(
        "not-the-secret",
        &chat_service::auth::Claims::new("mallory", PUBLISHER, now() + 60),
    );
    match try_connect(server.addr, &forged).await {
        Err(WsError::Http(resp)) => assert_eq!(resp.status(), 401),
        other => panic!("expected 401, got {:?}", other.map(drop)),
    }
    assert_eq!(server.metric("auth_failures_total").await, 1);
    server.child.start_kill().unwrap();
    let out = server.child.wait_with_output().await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.is_empty(), "{stdout}");
    let line = stderr
        .lines()
        .find(|l| l.contains("unauthenticated request refused"))
        .unwrap_or_else(|| panic!("no refusal logged in\n{stderr}"));
    assert!(line.contains(r#"reason="InvalidSignature""#), "{line}");
}

/// Presence is per user, not per socket: a user's second connection adds
/// no member and sends no diff, and only its last one leaving does.
#[tokio::test]
async fn presence_has_one_entry_per_user_however_many_sockets() {
    let server = start(config()).await;
    let mut watcher = connect(server.addr, &token(PUBLISHER, "wendy")).await;
    watcher.subscribe(CHANNEL).await;
    let ada = token(PUBLISHER, "ada");
    let mut first = connect(server.addr, &ada).await;
    first.subscribe(CHANNEL).await;
    assert_eq!(next_diff_about(&mut watcher, "ada").await, "joined");
    let mut second = connect(server.addr, &ada).await;
    let subscribed = second.subscribe(CHANNEL).await;
    let users: Vec<&str> = subscribed["presence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["user"].as_str().unwrap())
        .collect();
    let adas = users.iter().filter(|u| **u == "ada").count();
    assert_eq!(adas, 1, "{subscribed}");
    // Neither the second join nor the first leave says anything; the last
    // leave does, and it is the next presence frame the watcher gets.
    drop(first);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let unsubscribe = json!({"v": 1, "type": "unsubscribe", "channel": CHANNEL});
    second.send(unsubscribe).await;
    assert_eq!(next_diff_about(&mut watcher, "ada").await, "left");
    server.stop().await;
}

/// Presence fan-out is throttled: when N clients join a channel at once,
/// each gets a few coalesced diffs (at most one per `PRESENCE_INTERVAL_MS`),
/// not one per newcomer, and what it builds from them is who is there.
#[tokio::test]
async fn a_join_storm_sends_each_member_a_few_coalesced_diffs() {
    const N: usize = 40;
    let server = start(config()).await;
    let mut clients = Vec::new();
    for i in 0..N {
        clients.push(connect(server.addr, &token(PUBLISHER, &format!("u{i}"))).await);
    }
    // All at once: every subscribe is sent before any answer is read.
    let subscribe = json!({"v": 1, "type": "subscribe", "channel": CHANNEL});
    futures_util::future::join_all(clients.iter_mut().map(|c| c.send(subscribe.clone()))).await;
    let mut views = Vec::new();
    for c in &mut clients {
        let subscribed = c.recv_type("subscribed").await;
        let users: std::collections::BTreeSet<String> = subscribed["presence"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["user"].as_str().unwrap().to_string())
            .collect();
        views.push(users);
    }
    // Two intervals on, everything has gone out; a marker ends each read.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let marker = server.publish(1).await;
    let everyone: std::collections::BTreeSet<String> = (0..N).map(|i| format!("u{i}")).collect();
    for (c, view) in clients.iter_mut().zip(&mut views) {
        let mut diffs = 0;
        loop {
            let frame = c.recv().await;
            if frame["type"] == EVENT && frame["seq"] == marker {
                break;
            }
            if frame["type"] != "presence" {
                continue;
            }
            diffs += 1;
            let users = |change: &str| -> Vec<String> {
                let list = frame["data"][change]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                list.iter()
                    .map(|m| m["user"].as_str().unwrap().to_string())
                    .collect()
            };
            view.extend(users("joined"));
            for gone in users("left") {
                view.remove(&gone);
            }
        }
        assert!(diffs <= N / 5, "{diffs} presence frames for {N} joins");
        assert_eq!(*view, everyone);
    }
    server.stop().await;
}

/// An SSE stream on `CHANNEL` for `user`, once the server has answered.
async fn listen(addr: SocketAddr, user: &str) -> tokio::net::TcpStream {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let token = token(PUBLISHER, user);
    let req = format!(
        "GET /sse?channel={CHANNEL} HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {token}\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut head = [0u8; 12];
    s.read_exact(&mut head).await.unwrap();
    assert_eq!(&head, b"HTTP/1.1 200");
    s
}

/// An SSE listener is in presence like a WebSocket subscriber, once per
/// user whatever mix of streams and sockets it holds; it leaves when its
/// last one goes, a stream that vanishes being noticed within a heartbeat
/// or two.
#[tokio::test]
async fn sse_listeners_are_in_presence_once_per_user() {
    let mut cfg = config();
    cfg.heartbeat = Duration::from_secs(1);
    cfg.idle_timeout = Duration::from_secs(30);
    let server = start(cfg).await;
    let mut watcher = connect(server.addr, &token(PUBLISHER, "wendy")).await;
    watcher.subscribe(CHANNEL).await;
    let first = listen(server.addr, "sam").await;
    assert_eq!(next_diff_about(&mut watcher, "sam").await, "joined");
    let second = listen(server.addr, "sam").await;
    let mut socket = connect(server.addr, &token(PUBLISHER, "sam")).await;
    let subscribed = socket.subscribe(CHANNEL).await;
    let sams = subscribed["presence"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["user"] == "sam")
        .count();
    assert_eq!(sams, 1, "{subscribed}");
    // The first stream and the socket go: sam is still there.
    drop(first);
    drop(socket);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let marker = server.publish(1).await;
    loop {
        let frame = watcher.recv().await;
        assert!(
            !(frame["type"] == "presence" && frame.to_string().contains("sam")),
            "sam left too soon: {frame}"
        );
        if frame["type"] == EVENT && frame["seq"] == marker {
            break;
        }
    }
    drop(second);
    assert_eq!(next_diff_about(&mut watcher, "sam").await, "left");
    server.stop().await;
}

/// `joined` or `left`: the next presence diff that names `user`.
async fn next_diff_about(c: &mut Client, user: &str) -> &'static str {
    loop {
        let diff = c.recv_type("presence").await;
        for change in ["joined", "left"] {
            let names = diff["data"][change].as_array().cloned().unwrap_or_default();
            if names.iter().any(|m| m["user"] == user) {
                return change;
            }
        }
    }
}

/// Resumes `CHANNEL` from `since` on `c`: how many events up to `last`
/// were replayed, and the `resync` if one came; read up to the ack of a
/// marker publish sent right after (which adds one event).
async fn resume(
    c: &mut Client,
    epoch: &serde_json::Value,
    since: u64,
    last: u64,
) -> (u64, Option<serde_json::Value>) {
    c.send(json!({"v": 1, "type": "subscribe", "channel": CHANNEL, "since": {"epoch": epoch, "seq": since}}))
        .await;
    c.send(json!({"v": EVENT_VERSION, "type": EVENT, "channel": CHANNEL, "data": event_data(0), "id": "marker"}))
        .await;
    let (mut replayed, mut resync) = (0, None);
    loop {
        let frame = c.recv().await;
        match frame["type"].as_str() {
            Some("ack") => return (replayed, resync),
            Some("resync") => resync = Some(frame),
            Some(t) if t == EVENT && frame["seq"].as_u64().is_some_and(|s| s <= last) => {
                replayed += 1
            }
            _ => {}
        }
    }
}

/// A resume is a few bytes to ask and up to the whole history to answer:
/// one resume may replay at most `MAX_REPLAY_BYTES`, one user at most
/// `MAX_REPLAY_BYTES_PER_USER` per window; past either it gets `resync`.
#[tokio::test]
async fn one_resume_and_one_user_can_only_have_so_much_replayed() {
    let service = Process::start(&[
        ("MAX_REPLAY_BYTES", "3000"),
        ("MAX_REPLAY_BYTES_PER_USER", "6000"),
        ("RATE_PER_SECOND", "100000"),
    ])
    .await;
    let mut ada = connect(service.addr, &token(PUBLISHER, "ada")).await;
    for i in 0..50 {
        ada.publish(CHANNEL, event_data(i), &i.to_string()).await;
    }
    let mut mallory = connect(service.addr, &token(PUBLISHER, "mallory")).await;
    let subscribed = mallory.subscribe(CHANNEL).await;
    let epoch = subscribed["epoch"].clone();
    let mut last = subscribed["seq"].as_u64().unwrap();
    // Fifty events are more than one resume may replay: none go.
    let (replayed, resync) = resume(&mut mallory, &epoch, 0, last).await;
    last += 1;
    assert_eq!(replayed, 0);
    let resync = resync.expect("a resync instead");
    assert!(
        resync["reason"].as_str().unwrap().contains("at once"),
        "{resync}"
    );
    // Small resumes go through until the user's budget for the window is spent.
    let mut served = 0;
    let refused = loop {
        let (replayed, resync) = resume(&mut mallory, &epoch, last - 5, last).await;
        last += 1;
        if let Some(resync) = resync {
            break resync;
        }
        assert_eq!(replayed, 5);
        served += 1;
        assert!(served < 100, "the budget runs out");
    };
    assert!(served >= 1, "one small resume fits");
    assert!(
        refused["reason"].as_str().unwrap().contains("lately"),
        "{refused}"
    );
}

/// A guest (a role that may read the channel but not publish to it) sees
/// who is there and who said what, under per-channel pseudonyms: never a
/// member's `sub` nor its connections' client ids. Members still see both.
#[tokio::test]
async fn guests_see_pseudonyms_not_subs_or_client_ids() {
    // Names with letters that are not hex digits, so no pseudonym holds one.
    let service = Process::start(&[]).await;
    let mut ivy = connect(service.addr, &token(PUBLISHER, "ivy")).await;
    ivy.subscribe(CHANNEL).await;
    // Published while no guest listens: kept without a guest's version.
    ivy.publish(CHANNEL, event_data(0), "0").await;
    let mut guest = connect(service.addr, &token(READ_ONLY, "gus")).await;
    let subscribed = guest.subscribe(CHANNEL).await;
    let members = subscribed["presence"].as_array().expect("a member list");
    assert_eq!(members.len(), 2, "ivy and the guest: {subscribed}");
    for m in members {
        let user = m["user"].as_str().unwrap();
        let hidden = user.starts_with("guest-") && m.get("client").is_none();
        assert!(hidden, "{subscribed}");
    }
    let mut tom = connect(service.addr, &token(PUBLISHER, "tom")).await;
    tom.subscribe(CHANNEL).await;
    tom.publish(CHANNEL, event_data(1), "1").await;
    // Tom's join may come before or after his event, in a diff of its own
    // or with the guest's: read until both are in.
    let known: Vec<&serde_json::Value> = members.iter().map(|m| &m["user"]).collect();
    let mut seen = Vec::new();
    let mut newcomers = std::collections::BTreeSet::new();
    let mut event = None;
    while event.is_none() || newcomers.is_empty() {
        let frame = guest.recv().await;
        let joined = frame["data"]["joined"].as_array().cloned();
        for m in joined.into_iter().flatten() {
            assert!(m.get("client").is_none(), "{frame}");
            if !known.contains(&&m["user"]) {
                newcomers.insert(m["user"].to_string());
            }
        }
        if frame["type"] == EVENT {
            event = Some(frame.clone());
        }
        seen.push(frame);
    }
    let from = event.unwrap()["from"].to_string();
    assert_eq!(
        newcomers.into_iter().collect::<Vec<_>>(),
        [from],
        "the publisher's pseudonym is the newcomer's: {seen:?}"
    );
    let guests_view = format!("{subscribed}{}", json!(seen));
    for sub in ["ivy", "tom"] {
        assert!(!guests_view.contains(sub), "{sub} in {guests_view}");
    }
    // A member sees subs and the newcomer's client id.
    let (mut tom_joined, mut tom_said) = (None, None);
    while tom_joined.is_none() || tom_said.is_none() {
        let frame = ivy.recv().await;
        let joined = frame["data"]["joined"].as_array().cloned();
        if let Some(tom) = joined.into_iter().flatten().find(|m| m["user"] == "tom") {
            tom_joined = Some(tom);
        }
        if frame["type"] == EVENT {
            tom_said = Some(frame);
        }
    }
    let tom = tom_joined.unwrap();
    assert!(tom["client"].is_string(), "{tom}");
    assert_eq!(tom_said.unwrap()["from"], "tom");

    // A guest's SSE stream, replayed both events from history, and live.
    let mut s = tokio::net::TcpStream::connect(service.addr).await.unwrap();
    let req = format!(
        "GET /sse?channel={CHANNEL} HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {}\r\nLast-Event-ID: {}:0\r\n\r\n",
        token(READ_ONLY, "gus"),
        subscribed["epoch"].as_str().unwrap()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut body = String::new();
    let events = format!(r#""type":"{EVENT}""#);
    while body.matches(&events).count() < 2 {
        let mut chunk = [0u8; 4096];
        let read = tokio::time::timeout(WAIT, s.read(&mut chunk)).await;
        let n = read.expect("events within 10s").unwrap();
        assert!(n > 0, "the stream ended: {body}");
        body.push_str(&String::from_utf8_lossy(&chunk[..n]));
    }
    assert_eq!(body.matches(r#""from":"guest-"#).count(), 2, "{body}");
    for sub in ["ivy", "tom"] {
        assert!(!body.contains(sub), "{sub} in {body}");
    }
}

/// A stand-in for HeyGen's streaming API on a free port (HeyGen itself
/// cannot be called from a test): every call succeeds; it answers
/// `streaming.new` with a fresh session and records the sessions stopped.
async fn fake_heygen() -> (SocketAddr, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stopped = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = std::sync::Arc::clone(&stopped);
    tokio::spawn(async move {
        let mut n = 0;
        while let Ok((mut s, _)) = listener.accept().await {
            n += 1;
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            // The request line, headers and a small JSON body.
            while let Ok(read) = s.read(&mut chunk).await {
                buf.extend_from_slice(&chunk[..read]);
                if read == 0 || request_complete(&buf) {
                    break;
                }
            }
            let text = String::from_utf8_lossy(&buf).to_string();
            let body: serde_json::Value = text
                .split_once("\r\n\r\n")
                .and_then(|(_, b)| serde_json::from_str(b).ok())
                .unwrap_or_default();
            let data = if text.starts_with("POST /v1/streaming.new ") {
                json!({"session_id": format!("s{n}"), "url": "wss://avatar.test", "access_token": "t"})
            } else {
                if text.starts_with("POST /v1/streaming.stop ") {
                    let id = body["session_id"].as_str().unwrap_or_default().to_string();
                    seen.lock().unwrap().push(id);
                }
                serde_json::Value::Null
            };
            let answer = json!({"code": 100, "data": data, "message": "success"}).to_string();
            let reply = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                answer.len()
            );
            let _ = s.write_all(reply.as_bytes()).await;
        }
    });
    (addr, stopped)
}

/// Whether `buf` holds a request's headers and all of its body.
fn request_complete(buf: &[u8]) -> bool {
    let text = String::from_utf8_lossy(buf);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return false;
    };
    let len = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
        })
        .unwrap_or(0);
    body.len() >= len
}

/// Avatar sessions bill by the minute: one user holds at most
/// `HEYGEN_SESSIONS_PER_USER` at once (a burst of starts included), and
/// every session ends `HEYGEN_MAX_SESSION_SECONDS` after it started.
#[tokio::test]
async fn avatar_sessions_are_capped_per_user_and_in_time() {
    let (heygen, stopped) = fake_heygen().await;
    let base = format!("http://{heygen}");
    let service = Process::start(&[
        ("HEYGEN_API_KEY", "test-key"),
        ("HEYGEN_BASE_URL", base.as_str()),
        ("HEYGEN_SESSIONS_PER_USER", "2"),
        ("HEYGEN_MAX_SESSION_SECONDS", "1"),
    ])
    .await;
    let path = "/avatars/host/sessions";
    let ada = format!("Bearer {}", token(PUBLISHER, "ada"));
    let burst = futures_util::future::join_all(
        (0..4).map(|_| http_post(service.addr, path, Some(&ada), "")),
    )
    .await;
    let mut statuses: Vec<u16> = burst.iter().map(|(status, _)| *status).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 200, 429, 429], "{burst:?}");
    let bob = format!("Bearer {}", token(PUBLISHER, "bob"));
    let (status, body) = http_post(service.addr, path, Some(&bob), "").await;
    assert_eq!(status, 200, "another user is not held back: {body}");
    assert!(body.contains(r#""mode":"avatar""#), "{body}");
    // Past the lifetime every session is stopped at HeyGen, and ada may
    // start again.
    let deadline = tokio::time::Instant::now() + WAIT;
    while stopped.lock().unwrap().len() < 3 {
        assert!(tokio::time::Instant::now() < deadline, "sessions end");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(http_post(service.addr, path, Some(&ada), "").await.0, 200);
}

/// Recording consent may come before a room exists, but consents to rooms
/// that never start cannot pile up: one identity holds a few such rooms,
/// the node a bounded number, and they expire.
#[tokio::test]
async fn consents_to_rooms_that_do_not_exist_are_bounded() {
    let service = Process::start(&[
        ("LIVEKIT_URL", "http://127.0.0.1:9"),
        ("LIVEKIT_API_KEY", "APItest"),
        (
            "LIVEKIT_API_SECRET",
            "a-test-secret-of-at-least-32-characters",
        ),
    ])
    .await;
    let role = "admin";
    let mallory = format!("Bearer {}", token(role, "mallory"));
    let consent = |room: String, auth: String| async move {
        let path = format!("/livekit/rooms/{room}/consent");
        http_post(service.addr, &path, Some(&auth), "").await
    };
    let mut statuses = Vec::new();
    for i in 0..12 {
        let (status, body) = consent(format!("call:ghost-{i}"), mallory.clone()).await;
        statuses.push(status);
        if status == 429 {
            assert!(body.contains("rooms that have not started"), "{body}");
        }
    }
    assert_eq!(statuses, [[200; 8].as_slice(), &[429; 4]].concat());
    let ada = format!("Bearer {}", token(role, "ada"));
    assert_eq!(consent("call:ghost-99".into(), ada).await.0, 200);
}
