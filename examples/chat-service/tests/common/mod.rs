//! Test support: a real server on a free port, real WebSocket clients, and
//! the few facts about the plan the tests need.
#![allow(dead_code)] // each test binary uses a different subset

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chat_service::auth::{Claims, issue};
use chat_service::channels::ChannelKind;
use chat_service::events::Event;
use chat_service::{App, Config, Server};
use futures_util::{SinkExt, StreamExt};
use harness_realtime::{Channels, Events};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

// ---- what the plan declares -------------------------------------------------

/// A channel clients may publish to and subscribe to, with history.
pub const CHANNEL: &str = "room:1";
/// A role that may publish to and subscribe to `CHANNEL`.
pub const PUBLISHER: &str = "member";
/// A role that may subscribe to `CHANNEL` but not publish to it.
pub const READ_ONLY: &str = "guest";
/// An event of `CHANNEL` kept in history.
pub const EVENT: &str = "message";
pub const EVENT_VERSION: u32 = 1;
/// Messages `CHANNEL` keeps for replay.
pub const HISTORY: u64 = 100;
/// Whether `CHANNEL` tracks presence.
pub const PRESENCE: bool = true;
pub const ISSUER: Option<&str> = Some("chat.example");

/// A valid payload for `EVENT`, distinct for each `i`.
pub fn event_data(i: u64) -> Value {
    json!({ "text": format!("m{i}") })
}

/// A payload with every field of `EVENT` present, padded to about `bytes`.
pub fn big_event_data(bytes: usize) -> Value {
    json!({ "text": "x".repeat(bytes) })
}

// ---- servers ---------------------------------------------------------------

pub const SECRET: &str = "test-secret";

pub struct TestServer {
    pub addr: SocketAddr,
    pub app: Arc<App>,
    stop: Option<oneshot::Sender<()>>,
    handle: JoinHandle<std::io::Result<()>>,
}

pub fn config() -> Config {
    let mut c = chat_service::config::new(SECRET);
    c.bind = SocketAddr::from(([127, 0, 0, 1], 0));
    c.rate_per_second = 10_000;
    c.shutdown_grace = Duration::from_secs(2);
    c
}

pub async fn start(config: Config) -> TestServer {
    start_with(config, |server| server).await
}

/// Starts the server with routes added the way `main` adds them, e.g.
/// `|s| s.merge(livekit.router())`.
pub async fn start_with(config: Config, routes: impl FnOnce(Server) -> Server) -> TestServer {
    let server = routes(Server::bind(config).await.expect("server starts"));
    let addr = server.local_addr();
    let app = server.app();
    let (tx, rx) = oneshot::channel::<()>();
    let handle = tokio::spawn(server.run(async {
        let _ = rx.await;
    }));
    TestServer {
        addr,
        app,
        stop: Some(tx),
        handle,
    }
}

impl TestServer {
    /// Stops the server gracefully and waits for it.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        let done = tokio::time::timeout(Duration::from_secs(10), &mut self.handle).await;
        done.expect("server stops within 10s")
            .expect("server task")
            .expect("server exits cleanly");
    }

    /// Publishes straight into the hub, as server-side code would.
    pub async fn publish(&self, i: u64) -> u64 {
        self.publish_data(event_data(i)).await
    }

    pub async fn publish_data(&self, data: Value) -> u64 {
        let kind = ChannelKind::parse(CHANNEL).expect("declared channel");
        let raw = serde_json::value::to_raw_value(&data).unwrap();
        let event = Event::decode(kind, EVENT, EVENT_VERSION, Some(&raw)).expect("valid event");
        self.app
            .hub
            .publish(CHANNEL, &event)
            .await
            .expect("publish")
    }

    pub fn metric(&self, name: &str) -> u64 {
        let text = self.app.metrics.render();
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("realtime_{name} ")))
            .unwrap_or_else(|| panic!("no metric {name} in\n{text}"));
        line.rsplit(' ').next().unwrap().parse().unwrap()
    }
}

/// `GET path` on a fresh connection: the status code and the body.
pub async fn http_get(addr: SocketAddr, path: &str) -> (u16, String) {
    http(addr, "GET", path, None, None).await
}

/// `POST path` with `authorization` and a JSON `body`: the status and body.
pub async fn http_post(
    addr: SocketAddr,
    path: &str,
    authorization: Option<&str>,
    body: &str,
) -> (u16, String) {
    http(addr, "POST", path, authorization, Some(body)).await
}

/// One request on a fresh connection: the status code and the body.
pub async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    authorization: Option<&str>,
    body: Option<&str>,
) -> (u16, String) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let auth = authorization.map_or(String::new(), |a| format!("Authorization: {a}\r\n"));
    let content = body.map_or(String::new(), |b| {
        format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            b.len()
        )
    });
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n{auth}{content}\r\n{}",
        body.unwrap_or("")
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    tokio::time::timeout(WAIT, s.read_to_end(&mut buf))
        .await
        .expect("a response within 10s")
        .unwrap();
    let text = String::from_utf8_lossy(&buf);
    let status = text.split(' ').nth(1).and_then(|c| c.parse().ok());
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status.expect("an HTTP status line"), body.to_string())
}

// ---- tokens ----------------------------------------------------------------

pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

pub fn token(role: &str, user: &str) -> String {
    token_expiring(role, user, now() + 600)
}

pub fn token_expiring(role: &str, user: &str, exp: u64) -> String {
    issue(
        SECRET,
        &Claims {
            iss: ISSUER.map(str::to_string),
            ..Claims::new(user, role, exp)
        },
    )
}

// ---- clients ---------------------------------------------------------------

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Connects with the token in `Sec-WebSocket-Protocol`, as a browser would.
pub async fn connect(addr: SocketAddr, token: &str) -> Client {
    try_connect(addr, token).await.expect("upgrade accepted")
}

pub async fn try_connect(
    addr: SocketAddr,
    token: &str,
) -> Result<Client, tokio_tungstenite::tungstenite::Error> {
    let mut req = format!("ws://{addr}/ws").into_client_request().unwrap();
    req.headers_mut().insert(
        "sec-websocket-protocol",
        HeaderValue::from_str(&format!("realtime.v1, bearer.{token}")).unwrap(),
    );
    let (ws, resp) = tokio_tungstenite::connect_async(req).await?;
    assert_eq!(
        resp.headers().get("sec-websocket-protocol").unwrap(),
        "realtime.v1"
    );
    Ok(Client { ws })
}

pub struct Client {
    pub ws: Ws,
}

pub const WAIT: Duration = Duration::from_secs(10);

impl Client {
    pub async fn send(&mut self, v: Value) {
        self.ws.send(Message::text(v.to_string())).await.unwrap();
    }

    pub async fn send_raw(&mut self, msg: Message) {
        self.ws.send(msg).await.unwrap();
    }

    /// The next JSON frame, skipping pings; panics on close or timeout.
    pub async fn recv(&mut self) -> Value {
        loop {
            let msg = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("a frame within 10s")
                .expect("connection open")
                .expect("valid frame");
            match msg {
                Message::Text(t) => return serde_json::from_str(&t).unwrap(),
                Message::Ping(_) | Message::Pong(_) => {}
                other => panic!("expected a text frame, got {other:?}"),
            }
        }
    }

    /// The next frame of `type`, skipping others (e.g. presence diffs).
    pub async fn recv_type(&mut self, kind: &str) -> Value {
        loop {
            let v = self.recv().await;
            if v["type"] == kind {
                return v;
            }
        }
    }

    /// Reads until the server closes; returns the close code and reason.
    pub async fn closed(&mut self) -> (u16, String) {
        self.until_closed().await.1
    }

    /// Reads until the server closes; returns the JSON frames that came
    /// first, then the close code and reason.
    pub async fn until_closed(&mut self) -> (Vec<Value>, (u16, String)) {
        let mut frames = Vec::new();
        loop {
            let msg = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("a frame or the close within 10s");
            match msg {
                Some(Ok(Message::Text(t))) => frames.push(serde_json::from_str(&t).unwrap()),
                Some(Ok(Message::Close(f))) => {
                    // Reading on sends our reply, completing the handshake
                    // the server waits for, until it hangs up.
                    let _ = tokio::time::timeout(WAIT, self.ws.next()).await;
                    let (code, reason) = f.map_or((1005, String::new()), |f| {
                        (f.code.into(), f.reason.to_string())
                    });
                    return (frames, (code, reason));
                }
                None => return (frames, (1005, String::new())),
                Some(Ok(_)) => {}
                Some(Err(e)) => panic!("connection failed instead of closing: {e}"),
            }
        }
    }

    pub async fn subscribe(&mut self, channel: &str) -> Value {
        self.send(json!({"v": 1, "type": "subscribe", "channel": channel}))
            .await;
        self.recv_type("subscribed").await
    }

    pub async fn publish(&mut self, channel: &str, data: Value, id: &str) -> Value {
        self.send(
            json!({"v": EVENT_VERSION, "type": EVENT, "channel": channel, "data": data, "id": id}),
        )
        .await;
        self.recv_type("ack").await
    }
}
