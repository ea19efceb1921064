//! Load client for `bench/realtime.sh`: many subscribers on one channel,
//! one publisher, and the figures that matter: delivered messages per
//! second, end-to-end latency percentiles, and whether every subscriber
//! that keeps up got every message.
//!
//! Protocols: `chat` speaks the generated service's envelope (token in the
//! subprotocol, `subscribe`, `message` events); `raw` sends bare text to a
//! broadcast server (the Node `ws` and bare axum baselines). Each payload
//! starts with its send time, so latency is measured on one clock.
//!
//! Usage: `realtime-load --proto chat|raw --url ws://127.0.0.1:9000/ws
//!         [--subscribers 200] [--messages 20000] [--rate 0] [--size 100]
//!         [--stall 0] [--secret bench]`

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

static START: OnceLock<Instant> = OnceLock::new();

fn now_us() -> u64 {
    START.get_or_init(Instant::now).elapsed().as_micros() as u64
}

#[derive(Clone)]
struct Opts {
    chat: bool,
    url: String,
    subscribers: usize,
    messages: usize,
    rate: u64,
    size: usize,
    stall: usize,
    secret: String,
}

fn opts() -> Opts {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let map: HashMap<&str, &str> = args
        .chunks(2)
        .filter_map(|c| Some((c[0].trim_start_matches("--"), c.get(1)?.as_str())))
        .collect();
    let get = |k: &str, d: &str| map.get(k).copied().unwrap_or(d).to_string();
    let num = |k: &str, d: &str| get(k, d).parse::<u64>().expect("a number");
    Opts {
        chat: get("proto", "chat") == "chat",
        url: get("url", "ws://127.0.0.1:9000/ws"),
        subscribers: num("subscribers", "200") as usize,
        messages: num("messages", "20000") as usize,
        rate: num("rate", "0"),
        size: num("size", "100") as usize,
        stall: num("stall", "0") as usize,
        secret: get("secret", "bench"),
    }
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(o: &Opts, user: &str) -> Ws {
    let mut req = o.url.as_str().into_client_request().unwrap();
    if o.chat {
        let exp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            + 3600;
        let token = chat_service::auth::issue(
            &o.secret,
            &chat_service::auth::Claims {
                sub: user.into(),
                role: "member".into(),
                exp,
                iss: Some("chat.example".into()),
                aud: None,
            },
        );
        let proto = format!("realtime.v1, bearer.{token}");
        req.headers_mut().insert(
            "sec-websocket-protocol",
            HeaderValue::from_str(&proto).unwrap(),
        );
    }
    let (mut ws, _) = tokio_tungstenite::connect_async(req)
        .await
        .expect("connect");
    if o.chat {
        let sub = r#"{"v":1,"type":"subscribe","channel":"room:bench"}"#;
        ws.send(Message::text(sub)).await.unwrap();
        loop {
            if let Some(Ok(Message::Text(t))) = ws.next().await
                && t.contains("\"subscribed\"")
            {
                break;
            }
        }
    }
    ws
}

/// The send time at the start of a payload: `"text":"<us>|…` or `<us>|…`.
fn sent_at(text: &str) -> Option<u64> {
    let body = match text.find("\"text\":\"") {
        Some(i) => &text[i + 8..],
        None => text,
    };
    body.split('|').next()?.parse().ok()
}

#[derive(Default)]
struct Totals {
    latencies: Vec<u32>,
    counts: Vec<usize>,
    resyncs: usize,
    last_us: u64,
}

#[tokio::main]
async fn main() {
    let o = opts();
    now_us();
    let totals = Arc::new(Mutex::new(Totals::default()));
    let ready = Arc::new(AtomicUsize::new(0));
    let mut handles = Vec::new();
    for n in 0..o.subscribers {
        let (o, totals, ready) = (o.clone(), totals.clone(), ready.clone());
        handles.push(tokio::spawn(async move {
            let mut ws = connect(&o, &format!("sub{n}")).await;
            ready.fetch_add(1, Ordering::SeqCst);
            let mut lat = Vec::with_capacity(o.messages);
            let (mut got, mut resyncs, mut last) = (0usize, 0usize, 0u64);
            while got < o.messages {
                let next = tokio::time::timeout(Duration::from_secs(5), ws.next()).await;
                let Ok(Some(Ok(msg))) = next else { break };
                if let Message::Text(t) = msg {
                    if let Some(sent) = sent_at(&t) {
                        last = now_us();
                        lat.push((last - sent) as u32);
                        got += 1;
                    } else if t.contains("\"resync\"") {
                        resyncs += 1;
                    }
                }
            }
            let mut t = totals.lock().await;
            t.latencies.extend(lat);
            t.counts.push(got);
            t.resyncs += resyncs;
            t.last_us = t.last_us.max(last);
        }));
    }
    let mut stalled = Vec::new();
    for n in 0..o.stall {
        stalled.push(connect(&o, &format!("stalled{n}")).await);
    }
    while ready.load(Ordering::SeqCst) < o.subscribers {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let publisher = connect(&o, "publisher").await;
    let (mut tx, mut rx) = publisher.split();
    // Broadcast servers echo to the publisher too: keep reading it.
    tokio::spawn(async move { while let Some(Ok(_)) = rx.next().await {} });
    let pad = "x".repeat(o.size.saturating_sub(21));
    let t0 = now_us();
    for i in 0..o.messages as u64 {
        // Rate 0 means full speed: no pacing.
        if let Some(offset) = (i * 1_000_000).checked_div(o.rate) {
            let due = t0 + offset;
            let now = now_us();
            if due > now {
                tokio::time::sleep(Duration::from_micros(due - now)).await;
            }
        }
        let body = format!("{:020}|{pad}", now_us());
        let text = if o.chat {
            format!(
                r#"{{"v":1,"type":"message","channel":"room:bench","data":{{"text":"{body}"}}}}"#
            )
        } else {
            body
        };
        tx.send(Message::text(text)).await.expect("publish");
    }
    let sent_for = now_us() - t0;
    for h in handles {
        let _ = h.await;
    }
    drop(stalled);
    let mut t = totals.lock().await;
    t.latencies.sort_unstable();
    let pct = |p: f64| {
        t.latencies
            .get(((t.latencies.len() as f64 * p) as usize).min(t.latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0)
    };
    let delivered: usize = t.counts.iter().sum();
    let complete = t.counts.iter().filter(|c| **c == o.messages).count();
    let secs = (t.last_us.saturating_sub(t0)) as f64 / 1e6;
    println!(
        "delivered={} msgs/s={:.0} p50_ms={:.2} p99_ms={:.2} complete={}/{} resyncs={} publish_s={:.2}",
        delivered,
        delivered as f64 / secs.max(1e-9),
        pct(0.50) as f64 / 1000.0,
        pct(0.99) as f64 / 1000.0,
        complete,
        o.subscribers,
        t.resyncs,
        sent_for as f64 / 1e6,
    );
}
