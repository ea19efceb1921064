//! The service end to end: a real server on a free port and real
//! WebSocket/HTTP clients.

mod common;

use std::time::Duration;

use common::*;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

#[tokio::test]
async fn auth_is_required_and_expiry_enforced() {
    let server = start(config()).await;
    let cases = [
        (None, "missing token"),
        (
            Some(token_expiring(PUBLISHER, "ada", now() - 120)),
            "token expired",
        ),
        (Some("not-a-jwt".to_string()), "invalid token"),
    ];
    for (token, why) in cases {
        let result = match &token {
            None => tokio_tungstenite::connect_async(format!("ws://{}/ws", server.addr))
                .await
                .map(drop),
            Some(t) => try_connect(server.addr, t).await.map(drop),
        };
        match result {
            Err(WsError::Http(resp)) => {
                assert_eq!(resp.status(), 401, "{why}");
                let body = String::from_utf8(resp.body().clone().unwrap_or_default()).unwrap();
                assert!(body.starts_with(why), "{why}: {body}");
            }
            other => panic!("{why}: expected 401, got {other:?}"),
        }
    }
    // A query-string token is refused too, since the plan leaves it off.
    let url = format!("ws://{}/ws?token={}", server.addr, token(PUBLISHER, "ada"));
    assert!(
        matches!(tokio_tungstenite::connect_async(url).await, Err(WsError::Http(r)) if r.status() == 401)
    );
    assert_eq!(server.metric("auth_failures_total"), 4);
    server.stop().await;
}

/// `dev-token` prints a short-lived token the server accepts.
#[tokio::test]
async fn dev_token_mints_a_token_the_server_accepts() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_chat-service"))
        .args(["dev-token", "--sub", "dev", "--role", PUBLISHER])
        .env("JWT_SECRET", SECRET)
        .output()
        .expect("the service's binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let token = String::from_utf8(out.stdout).unwrap();
    let server = start(config()).await;
    let mut client = connect(server.addr, token.trim()).await;
    let subscribed = client.subscribe(CHANNEL).await;
    assert_eq!(subscribed["type"], "subscribed", "{subscribed}");
    server.stop().await;

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_chat-service"))
        .args(["dev-token", "--sub", "dev", "--role", "no-such-role"])
        .env("JWT_SECRET", SECRET)
        .output()
        .expect("the service's binary runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let refused = "role `no-such-role` is not one";
    assert!(stderr.contains(refused), "{stderr}");
}

#[tokio::test]
async fn subscribers_receive_in_order_with_a_full_envelope() {
    let server = start(config()).await;
    let mut reader = connect(server.addr, &token(PUBLISHER, "ada")).await;
    let sub = reader.subscribe(CHANNEL).await;
    assert_eq!(sub["seq"], 0);
    let mut writer = connect(server.addr, &token(PUBLISHER, "bob")).await;
    for i in 1..=5 {
        let ack = writer
            .publish(CHANNEL, event_data(i), &format!("p{i}"))
            .await;
        assert_eq!(
            ack,
            json!({"type": "ack", "v": 1, "id": format!("p{i}"), "channel": CHANNEL, "seq": i})
        );
    }
    for i in 1..=5 {
        let msg = reader.recv_type(EVENT).await;
        assert_eq!(msg["v"], EVENT_VERSION);
        assert_eq!(msg["channel"], CHANNEL);
        assert_eq!(msg["seq"], i);
        assert_eq!(msg["data"], event_data(i));
        assert!(msg["ts"].as_u64().unwrap() > 1_600_000_000_000);
    }
    server.stop().await;
}

#[tokio::test]
async fn permissions_and_unknown_channels_are_refused() {
    let server = start(config()).await;
    let mut guest = connect(server.addr, &token(READ_ONLY, "gus")).await;
    guest.subscribe(CHANNEL).await;
    guest
        .send(json!({"v": EVENT_VERSION, "type": EVENT, "channel": CHANNEL, "data": event_data(1), "id": "x"}))
        .await;
    let err = guest.recv_type("error").await;
    assert_eq!(err["code"], "forbidden");
    assert_eq!(err["id"], "x");
    assert_eq!(
        err["message"],
        format!("role `{READ_ONLY}` may not publish to `{CHANNEL}`")
    );
    let mut nobody = connect(server.addr, &token("no-such-role", "vic")).await;
    nobody
        .send(json!({"v": 1, "type": "subscribe", "channel": CHANNEL}))
        .await;
    let err = nobody.recv_type("error").await;
    assert_eq!(err["code"], "forbidden");
    nobody
        .send(json!({"v": 1, "type": "subscribe", "channel": "undeclared:1"}))
        .await;
    let err = nobody.recv_type("error").await;
    assert_eq!(err["code"], "unknown_channel");
    assert_eq!(err["message"], "no channel `undeclared:1` on this server");
    server.stop().await;
}

#[tokio::test]
async fn a_reconnecting_client_is_replayed_what_it_missed() {
    let server = start(config()).await;
    let mut c = connect(server.addr, &token(PUBLISHER, "ada")).await;
    let sub = c.subscribe(CHANNEL).await;
    let epoch = sub["epoch"].as_str().unwrap().to_string();
    for i in 1..=3 {
        server.publish(i).await;
        assert_eq!(c.recv_type(EVENT).await["seq"], i);
    }
    drop(c);
    for i in 4..=6 {
        server.publish(i).await;
    }
    let mut c = connect(server.addr, &token(PUBLISHER, "ada")).await;
    c.send(json!({"v": 1, "type": "subscribe", "channel": CHANNEL, "since": {"epoch": epoch, "seq": 3}}))
        .await;
    let sub = c.recv_type("subscribed").await;
    assert_eq!(sub["seq"], 6);
    for i in 4..=6 {
        let m = c.recv_type(EVENT).await;
        assert_eq!((m["seq"].as_u64(), &m["data"]), (Some(i), &event_data(i)));
    }
    server.publish(7).await;
    assert_eq!(c.recv_type(EVENT).await["seq"], 7);
    server.stop().await;
}

#[tokio::test]
async fn a_gap_older_than_history_or_another_epoch_means_resync() {
    let server = start(config()).await;
    for i in 1..=HISTORY + 20 {
        server.publish(i).await;
    }
    let epoch = server.app.hub.epoch().to_string();
    let mut c = connect(server.addr, &token(PUBLISHER, "ada")).await;
    c.send(json!({"v": 1, "type": "subscribe", "channel": CHANNEL, "since": {"epoch": epoch, "seq": 5}}))
        .await;
    c.recv_type("subscribed").await;
    let r = c.recv().await;
    assert_eq!(r["type"], "resync");
    assert_eq!(r["seq"], HISTORY + 20);
    assert_eq!(r["epoch"], epoch.as_str());
    // A client from before a restart has another epoch: it must resync too.
    c.send(json!({"v": 1, "type": "subscribe", "channel": CHANNEL, "since": {"epoch": "gone", "seq": HISTORY + 20}}))
        .await;
    c.recv_type("subscribed").await;
    assert_eq!(c.recv().await["type"], "resync");
    // The oldest message still in history is replayed without a resync.
    c.send(json!({"v": 1, "type": "subscribe", "channel": CHANNEL, "since": {"epoch": epoch, "seq": 20}}))
        .await;
    c.recv_type("subscribed").await;
    assert_eq!(c.recv().await["seq"], 21);
    server.stop().await;
}

/// Publishes `n` large messages while a fast client reads every one of them
/// in order and any other subscriber reads nothing: enough data to fill a
/// stalled client's socket buffers many times over.
async fn flood_past_a_stalled_client(server: &TestServer, n: u64) {
    let mut fast = connect(server.addr, &token(PUBLISHER, "fay")).await;
    fast.subscribe(CHANNEL).await;
    let payload = big_event_data(8 * 1024);
    let received = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let seen = received.clone();
    let reader = tokio::spawn(async move {
        for i in 1..=n {
            let m = fast.recv_type(EVENT).await;
            assert_eq!(m["seq"], i, "the fast client gets every message in order");
            seen.store(i, std::sync::atomic::Ordering::Release);
        }
    });
    for i in 1..=n {
        // Closed loop: the fast client is never more than 32 behind, so any
        // drop would be the server's fault, whatever the machine's load.
        while received.load(std::sync::atomic::Ordering::Acquire) + 32 < i {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        server.publish_data(payload.clone()).await;
    }
    tokio::time::timeout(Duration::from_secs(60), reader)
        .await
        .expect("fast client done within 60s")
        .unwrap();
}

#[tokio::test]
async fn a_stalled_client_is_dropped_and_told_to_resync_while_others_keep_up() {
    let mut cfg = config();
    cfg.queue = 64;
    let server = start(cfg).await;
    let mut stalled = connect(server.addr, &token(PUBLISHER, "sam")).await;
    stalled.subscribe(CHANNEL).await;
    const N: u64 = 3000;
    flood_past_a_stalled_client(&server, N).await;
    // The stalled client wakes up: after what was buffered, a resync.
    loop {
        let m = stalled.recv().await;
        if m["type"] == "resync" {
            assert!(m["reason"].as_str().unwrap().starts_with("too slow"));
            assert!(m["seq"].as_u64().unwrap() < N);
            break;
        }
        assert!(m["type"] == EVENT || m["type"] == "presence", "{m}");
    }
    assert!(server.metric("drops_total") > 0);
    assert_eq!(server.metric("resyncs_total"), 1);
    server.stop().await;
}

#[tokio::test]
async fn a_stalled_client_is_closed_with_1013_under_the_disconnect_policy() {
    let mut cfg = config();
    cfg.queue = 64;
    cfg.slow_client = chat_service::config::SlowClient::Disconnect;
    let server = start(cfg).await;
    let mut stalled = connect(server.addr, &token(PUBLISHER, "sam")).await;
    stalled.subscribe(CHANNEL).await;
    const N: u64 = 3000;
    flood_past_a_stalled_client(&server, N).await;
    // The stalled client wakes up: what was buffered, in order and without
    // a gap, then the close; never a resync.
    let (frames, (code, reason)) = stalled.until_closed().await;
    assert_eq!(code, 1013, "{reason}");
    assert!(reason.starts_with("too slow"), "{reason}");
    let mut seqs = Vec::new();
    for m in &frames {
        match m["type"].as_str() {
            Some(EVENT) => seqs.push(m["seq"].as_u64().unwrap()),
            Some("presence") => {}
            _ => panic!("only messages before the close, got {m}"),
        }
    }
    assert!(
        (seqs.len() as u64) < N,
        "the stalled client missed messages"
    );
    assert!(
        seqs.iter().copied().eq(1..=seqs.len() as u64),
        "what it did get is gap-free: {seqs:?}"
    );
    assert!(server.metric("drops_total") > 0);
    assert_eq!(server.metric("slow_disconnects_total"), 1);
    assert_eq!(server.metric("resyncs_total"), 0);
    server.stop().await;
}

#[tokio::test]
async fn an_oversize_frame_closes_with_1009() {
    let mut cfg = config();
    cfg.max_message_bytes = 1024;
    let server = start(cfg).await;
    let mut c = connect(server.addr, &token(PUBLISHER, "ada")).await;
    c.send_raw(Message::text("x".repeat(1025))).await;
    assert_eq!(c.closed().await, (1009, "message too big".to_string()));
    server.stop().await;
}

#[tokio::test]
async fn a_silent_client_is_closed_after_the_idle_timeout() {
    let mut cfg = config();
    cfg.heartbeat = Duration::from_millis(200);
    cfg.idle_timeout = Duration::from_millis(700);
    let server = start(cfg).await;
    let mut c = connect(server.addr, &token(PUBLISHER, "ada")).await;
    // Not reading means not answering pings.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(c.closed().await, (1001, "idle timeout".to_string()));
    // A client that keeps reading answers pings and stays.
    let mut live = connect(server.addr, &token(PUBLISHER, "bob")).await;
    let deadline = tokio::time::Instant::now() + Duration::from_millis(1500);
    while tokio::time::Instant::now() < deadline {
        let _ = tokio::time::timeout(
            Duration::from_millis(100),
            futures_util::StreamExt::next(&mut live.ws),
        )
        .await;
    }
    assert_eq!(live.subscribe(CHANNEL).await["type"], "subscribed");
    server.stop().await;
}

#[tokio::test]
async fn presence_shows_members_and_forgets_a_vanished_one() {
    let mut cfg = config();
    cfg.heartbeat = Duration::from_millis(200);
    cfg.idle_timeout = Duration::from_millis(700);
    let server = start(cfg).await;
    let mut ada = connect(server.addr, &token(PUBLISHER, "ada")).await;
    let sub = ada.subscribe(CHANNEL).await;
    let members = sub["presence"].as_array().unwrap().clone();
    assert_eq!(members.len(), 1);
    assert_eq!(members[0]["user"], "ada");
    let mut bob = connect(server.addr, &token(PUBLISHER, "bob")).await;
    let sub = bob.subscribe(CHANNEL).await;
    let users: Vec<&str> = sub["presence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["user"].as_str().unwrap())
        .collect();
    assert_eq!(users.len(), 2);
    assert!(users.contains(&"ada") && users.contains(&"bob"));
    // Ada first sees her own join, then Bob's.
    let diff = loop {
        let d = ada.recv_type("presence").await;
        if d["data"]["joined"][0]["user"] == "bob" {
            break d;
        }
    };
    let bob_client = diff["data"]["joined"][0]["client"].clone();
    // Bob's machine freezes: no close, no pongs. Ada keeps reading.
    let left = ada.recv_type("presence").await;
    assert_eq!(left["data"]["left"][0]["client"], bob_client);
    assert_eq!(left["seq"], 0, "presence diffs are not kept in history");
    drop(bob);
    // A fresh subscriber sees only Ada.
    let mut cy = connect(server.addr, &token(PUBLISHER, "cy")).await;
    let sub = cy.subscribe(CHANNEL).await;
    let users: Vec<&str> = sub["presence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["user"].as_str().unwrap())
        .collect();
    assert_eq!(
        users.iter().filter(|u| **u == "bob").count(),
        0,
        "{users:?}"
    );
    server.stop().await;
}

/// A minimal HTTP/1.1 client for the SSE stream: the request, then the
/// response read until `want` events have arrived.
async fn sse(
    server: &TestServer,
    headers: &str,
    want: usize,
) -> (String, Vec<(String, serde_json::Value)>) {
    let mut s = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let req = format!(
        "GET /sse?channel={CHANNEL} HTTP/1.1\r\nHost: t\r\nAccept: text/event-stream\r\n{headers}\r\n"
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let mut events = Vec::new();
    let mut chunk = [0u8; 8192];
    while events.len() < want {
        let Ok(n) = tokio::time::timeout(WAIT, s.read(&mut chunk)).await else {
            panic!(
                "no more SSE data; so far:\n{}",
                String::from_utf8_lossy(&buf)
            );
        };
        let n = n.unwrap();
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf);
        if text.contains("\r\n\r\n") && !text.starts_with("HTTP/1.1 200 ") {
            break; // an error response has no events
        }
        events = text
            .split("\n\n")
            .filter_map(|block| {
                let id = block
                    .lines()
                    .find_map(|l| l.strip_prefix("id: "))
                    .unwrap_or("")
                    .to_string();
                let data = block.lines().find_map(|l| l.strip_prefix("data: "))?;
                Some((id, serde_json::from_str(data).ok()?))
            })
            .collect();
    }
    let head = String::from_utf8_lossy(&buf)
        .lines()
        .next()
        .unwrap_or("")
        .to_string();
    (head, events)
}

#[tokio::test]
async fn sse_resumes_from_last_event_id() {
    let server = start(config()).await;
    for i in 1..=5 {
        server.publish(i).await;
    }
    let epoch = server.app.hub.epoch().to_string();
    let auth = format!("Authorization: Bearer {}\r\n", token(PUBLISHER, "ada"));
    let (head, events) = sse(&server, &format!("{auth}Last-Event-ID: {epoch}:3\r\n"), 2).await;
    assert_eq!(head, "HTTP/1.1 200 OK");
    // The replay; on a channel with presence, the stream's own join follows.
    let got: Vec<(String, u64)> = events
        .iter()
        .filter(|(_, v)| v["type"] != "presence")
        .map(|(id, v)| (id.clone(), v["seq"].as_u64().unwrap()))
        .collect();
    assert_eq!(got, [(format!("{epoch}:4"), 4), (format!("{epoch}:5"), 5)]);
    assert_eq!(events[0].1["data"], event_data(4));
    // Too old: a resync event instead.
    let (_, events) = sse(&server, &format!("{auth}Last-Event-ID: other:1\r\n"), 1).await;
    assert_eq!(events[0].1["type"], "resync");
    // No token: 401.
    let (head, _) = sse(&server, "", 1).await;
    assert_eq!(head, "HTTP/1.1 401 Unauthorized");
    server.stop().await;
}

#[tokio::test]
async fn malformed_frames_get_error_frames_and_the_connection_survives() {
    let server = start(config()).await;
    let mut c = connect(server.addr, &token(PUBLISHER, "ada")).await;
    let cases = [
        (Message::text("{not json"), "malformed"),
        (Message::text(r#"{"v":1,"type":"subscribe"}"#), "malformed"),
        (Message::text(r#"{"v":1,"type":"subscribe","channel":"x","bogus":1}"#), "malformed"),
        (Message::binary(vec![1, 2, 3]), "unsupported"),
        (Message::text(json!({"v": 1, "type": "shout", "channel": CHANNEL, "data": {}}).to_string()), "unknown_type"),
        (Message::text(json!({"v": 99, "type": EVENT, "channel": CHANNEL, "data": event_data(1)}).to_string()), "unsupported_version"),
        (Message::text(json!({"v": 2, "type": "subscribe", "channel": CHANNEL}).to_string()), "unsupported_version"),
        (Message::text(json!({"v": EVENT_VERSION, "type": EVENT, "channel": CHANNEL, "data": {"nope": true}}).to_string()), "invalid_data"),
        (Message::text(json!({"v": 1, "type": "resync", "channel": CHANNEL}).to_string()), "unknown_type"),
        (Message::text(json!({"v": 1, "type": "unsubscribe", "channel": CHANNEL}).to_string()), "not_subscribed"),
    ];
    for (msg, code) in cases {
        let shown = format!("{msg:?}");
        c.send_raw(msg).await;
        let err = c.recv().await;
        assert_eq!(err["type"], "error", "{shown}");
        assert_eq!(err["code"], code, "{shown}: {err}");
        assert!(!err["message"].as_str().unwrap().is_empty());
    }
    assert_eq!(c.subscribe(CHANNEL).await["type"], "subscribed");
    assert_eq!(server.metric("errors_total"), 10);
    server.stop().await;
}

#[tokio::test]
async fn frames_over_the_rate_limit_are_refused() {
    let mut cfg = config();
    cfg.rate_per_second = 5;
    let server = start(cfg).await;
    let mut c = connect(server.addr, &token(PUBLISHER, "ada")).await;
    for i in 0..8 {
        c.send(json!({"v": EVENT_VERSION, "type": EVENT, "channel": CHANNEL, "data": event_data(i), "id": i.to_string()}))
            .await;
    }
    let mut acks = 0;
    let mut limited = 0;
    for _ in 0..8 {
        match c.recv().await["type"].as_str().unwrap() {
            "ack" => acks += 1,
            "error" => limited += 1,
            other => panic!("unexpected {other}"),
        }
    }
    // A burst of 5 passes; a slow machine may refill a token mid-burst.
    assert!(acks >= 5 && limited >= 2, "{acks} acks, {limited} limited");
    server.stop().await;
}

#[tokio::test]
async fn shutdown_closes_connections_with_1001() {
    let server = start(config()).await;
    let mut c = connect(server.addr, &token(PUBLISHER, "ada")).await;
    c.subscribe(CHANNEL).await;
    assert_eq!(server.metric("connections"), 1);
    let app = server.app.clone();
    let stopping = tokio::spawn(server.stop());
    assert_eq!(c.closed().await, (1001, "server shutting down".to_string()));
    stopping.await.unwrap();
    assert_eq!(
        app.metrics.render().lines().nth(1),
        Some("realtime_connections 0")
    );
}
