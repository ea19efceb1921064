//! The WebSocket endpoint: one task per connection, plus one forwarding task
//! per subscription.
//!
//! The connection task owns the socket and waits on five things at once:
//! a frame from the client, a frame queued for the client, the ping timer,
//! the idle deadline and server shutdown. Every write has a deadline (the
//! idle timeout), so a client whose TCP window stays shut cannot pin the
//! task forever. Queued frames are written in bursts with one flush, so a
//! busy channel costs one system call per burst, not one per frame.
//!
//! Each subscription's forwarder moves frames from the channel's broadcast
//! receiver into the connection's bounded outgoing queue. When the client is
//! slow, the queue fills, the forwarder waits, and the broadcast receiver
//! lags behind the channel. The plan's policy then applies: with
//! `drop_and_resync` the missed frames are gone and the client gets a
//! `resync` frame carrying the last `seq` it did receive (it may resubscribe
//! with that as `since` and be replayed from history); with `disconnect` the
//! connection is closed with 1013 (try again later). Either way the
//! publisher and every other subscriber carry on at full speed, and memory
//! per client is capped at two queues.
//!
//! A frame from a new epoch (Redis lost its data, so `seq` starts again)
//! is preceded by a `resync` at `seq` 0 of that epoch: the client's
//! position means nothing any more, and the frames that follow are the new
//! numbering from its start.
//!
//! Limits: frames over `MAX_MESSAGE_BYTES` close the connection with 1009;
//! frames over `RATE_PER_SECOND` (a token bucket) get a `rate_limited`
//! error; anything undecodable gets an `error` frame and the connection
//! stays up. Close codes: 1000 normal, 1001 shutdown or idle timeout, 1009 too big, 1013 too slow. On any exit the
//! forwarders are aborted and presence entries removed, so nothing
//! outlives the connection.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep_until, timeout};
use tokio_util::sync::CancellationToken;

use crate::app::App;
use crate::auth::Claims;
use crate::channels::ChannelKind;
use crate::config::SlowClient;
use crate::events::{Event, EventError};
use crate::hub::{Frame, Subscription};
use crate::metrics::{ConnectionGuard, Metrics};
use crate::presence::Member;
use crate::protocol::{
    ClientFrame, ErrorCode, PROTOCOL_VERSION, RESERVED_TYPES, SUBPROTOCOL, ServerFrame,
};

/// Subscriptions one connection may hold; each costs a task and a receiver.
pub const MAX_SUBSCRIPTIONS: usize = 64;

pub const CLOSE_NORMAL: u16 = 1000;
pub const CLOSE_GOING_AWAY: u16 = 1001;
pub const CLOSE_TOO_BIG: u16 = 1009;
pub const CLOSE_TRY_LATER: u16 = 1013;

#[derive(Debug, Deserialize)]
pub struct UpgradeQuery {
    token: Option<String>,
}

/// `GET /ws`: authenticates, then upgrades.
pub async fn upgrade(
    ws: WebSocketUpgrade,
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Query(query): Query<UpgradeQuery>,
) -> Response {
    let claims = match app.authenticate(&headers, query.token.as_deref()) {
        Ok(c) => c,
        Err(unauthorized) => return unauthorized.into_response(),
    };
    // Frames up to twice the limit are read and refused with a clean 1009;
    // beyond that tungstenite drops the connection without reading them.
    let max = app.config.max_message_bytes.saturating_mul(2);
    ws.protocols([SUBPROTOCOL])
        .max_message_size(max)
        .max_frame_size(max)
        .on_upgrade(move |socket| {
            let tracker = app.tracker.clone();
            tracker.track_future(Connection::new(app, claims).run(socket))
        })
}

/// A frame for the connection task to write.
enum Outbound {
    Text(Utf8Bytes),
}

/// Aborts the forwarding task when the subscription ends.
struct SubscriptionTask {
    handle: JoinHandle<()>,
    presence: bool,
}

impl Drop for SubscriptionTask {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

/// Refills `rate` tokens per second up to `rate`.
struct TokenBucket {
    rate: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    fn new(rate: u32) -> Self {
        TokenBucket {
            rate: f64::from(rate),
            tokens: f64::from(rate),
            last: Instant::now(),
        }
    }

    fn take(&mut self) -> bool {
        let now = Instant::now();
        let refill = now.duration_since(self.last).as_secs_f64() * self.rate;
        self.tokens = (self.tokens + refill).min(self.rate);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Why the connection task stopped: a close frame to send, if any.
type Close = Option<(u16, &'static str)>;

struct Connection {
    app: Arc<App>,
    claims: Claims,
    client: String,
    subs: HashMap<String, SubscriptionTask>,
    out_tx: mpsc::Sender<Outbound>,
    out_rx: mpsc::Receiver<Outbound>,
    /// Cancelled by a forwarder when the client is too slow (policy `disconnect`).
    kick: CancellationToken,
    bucket: TokenBucket,
}

type Sink = SplitSink<WebSocket, Message>;

impl Connection {
    fn new(app: Arc<App>, claims: Claims) -> Connection {
        let (out_tx, out_rx) = mpsc::channel(app.config.queue);
        let n = app.next_client.fetch_add(1, Ordering::Relaxed);
        Connection {
            client: format!("{}-{n}", app.node),
            bucket: TokenBucket::new(app.config.rate_per_second),
            app,
            claims,
            subs: HashMap::new(),
            out_tx,
            out_rx,
            kick: CancellationToken::new(),
        }
    }

    async fn run(mut self, socket: WebSocket) {
        let _guard = ConnectionGuard::new(Arc::clone(&self.app.metrics));
        tracing::debug!(client = %self.client, user = %self.claims.sub, "connected");
        let (mut sink, mut stream) = socket.split();
        let heartbeat = self.app.config.heartbeat;
        let idle = self.app.config.idle_timeout;
        let mut ping = tokio::time::interval_at(Instant::now() + heartbeat, heartbeat);
        let mut last_seen = Instant::now();
        let shutdown = self.app.shutdown.clone();
        let kick = self.kick.clone();
        let close: Close = loop {
            tokio::select! {
                () = shutdown.cancelled() => break Some((CLOSE_GOING_AWAY, "server shutting down")),
                () = kick.cancelled() => break Some((CLOSE_TRY_LATER, "too slow: reconnect and resume")),
                () = sleep_until(last_seen + idle) => break Some((CLOSE_GOING_AWAY, "idle timeout")),
                _ = ping.tick() => {
                    if !send(&mut sink, Message::Ping(Default::default()), idle).await {
                        break None;
                    }
                }
                Some(Outbound::Text(text)) = self.out_rx.recv() => {
                    if !send_queued(&mut sink, text, &mut self.out_rx, idle).await {
                        break None;
                    }
                }
                inbound = stream.next() => {
                    let Some(Ok(msg)) = inbound else { break None };
                    last_seen = Instant::now();
                    match msg {
                        Message::Text(text) => {
                            if let Some(close) = self.on_text(&mut sink, &text).await {
                                break Some(close);
                            }
                        }
                        Message::Binary(_) => {
                            Metrics::add(&self.app.metrics.errors, 1);
                            let f = error(ErrorCode::Unsupported, "binary frames are not part of the protocol; send JSON text".into(), None, None);
                            if !send(&mut sink, Message::Text(f.into()), idle).await {
                                break None;
                            }
                        }
                        Message::Close(_) => break Some((CLOSE_NORMAL, "")),
                        Message::Ping(_) | Message::Pong(_) => {}
                    }
                }
            }
        };
        self.release().await;
        if let Some((code, reason)) = close {
            let frame = CloseFrame {
                code,
                reason: reason.into(),
            };
            // Complete the closing handshake: wait (briefly) for the
            // client's close, so it reads our code instead of a reset.
            let handshake = async {
                if sink.send(Message::Close(Some(frame))).await.is_ok() {
                    while let Some(Ok(msg)) = stream.next().await {
                        if matches!(msg, Message::Close(_)) {
                            break;
                        }
                    }
                }
            };
            let _ = timeout(Duration::from_secs(1), handshake).await;
        }
        tracing::debug!(client = %self.client, ?close, "disconnected");
    }

    /// Stops every forwarder and removes this client from presence.
    async fn release(&mut self) {
        // Dropping a `SubscriptionTask` aborts its forwarder.
        for (channel, sub) in self.subs.drain() {
            if sub.presence
                && let Err(e) = self.app.hub.leave(&channel, &self.client).await
            {
                tracing::warn!(error = %e, "presence leave failed");
            }
        }
    }

    /// Handles one text frame; `Some` closes the connection.
    async fn on_text(&mut self, sink: &mut Sink, text: &str) -> Option<(u16, &'static str)> {
        let idle = self.app.config.idle_timeout;
        if text.len() > self.app.config.max_message_bytes {
            return Some((CLOSE_TOO_BIG, "message too big"));
        }
        let reply = if self.bucket.take() {
            match serde_json::from_str::<ClientFrame>(text) {
                Ok(frame) => self.on_frame(frame).await,
                Err(e) => Some(error(
                    ErrorCode::Malformed,
                    format!("not a valid envelope: {e}"),
                    None,
                    None,
                )),
            }
        } else {
            Some(error(
                ErrorCode::RateLimited,
                format!(
                    "more than {} frames per second; this one was dropped",
                    self.app.config.rate_per_second
                ),
                None,
                None,
            ))
        };
        if let Some(reply) = reply {
            if reply.contains(r#""type":"error""#) {
                Metrics::add(&self.app.metrics.errors, 1);
            }
            if !send(sink, Message::Text(reply.into()), idle).await {
                return Some((CLOSE_GOING_AWAY, "write timeout"));
            }
        }
        None
    }

    /// Returns the frame to answer with, if any.
    async fn on_frame(&mut self, frame: ClientFrame) -> Option<String> {
        let id = frame.id.as_deref();
        let Some(channel) = frame.channel.as_deref() else {
            return Some(error(
                ErrorCode::Malformed,
                format!("`{}` needs a `channel`", frame.kind),
                id,
                None,
            ));
        };
        let Some(kind) = ChannelKind::parse(channel) else {
            return Some(error(
                ErrorCode::UnknownChannel,
                format!("no channel `{channel}` on this server"),
                id,
                Some(channel),
            ));
        };
        let control = matches!(frame.kind.as_str(), "subscribe" | "unsubscribe");
        if control && frame.v != PROTOCOL_VERSION {
            return Some(error(
                ErrorCode::UnsupportedVersion,
                format!(
                    "`{}` version {} is not supported; this server speaks version {PROTOCOL_VERSION}",
                    frame.kind, frame.v
                ),
                id,
                Some(channel),
            ));
        }
        match frame.kind.as_str() {
            "subscribe" => self.subscribe(kind, channel, &frame).await,
            "unsubscribe" => {
                let Some(sub) = self.subs.remove(channel) else {
                    return Some(error(
                        ErrorCode::NotSubscribed,
                        format!("not subscribed to `{channel}`"),
                        id,
                        Some(channel),
                    ));
                };
                if sub.presence
                    && let Err(e) = self.app.hub.leave(channel, &self.client).await
                {
                    tracing::warn!(error = %e, "presence leave failed");
                }
                Some(
                    ServerFrame::Unsubscribed {
                        v: PROTOCOL_VERSION,
                        channel,
                    }
                    .to_json(),
                )
            }
            reserved if RESERVED_TYPES.contains(&reserved) => Some(error(
                ErrorCode::UnknownType,
                format!("`{reserved}` is sent by the server, not by clients"),
                id,
                Some(channel),
            )),
            _ => self.publish(kind, channel, &frame).await,
        }
    }

    async fn subscribe(
        &mut self,
        kind: ChannelKind,
        channel: &str,
        frame: &ClientFrame,
    ) -> Option<String> {
        let id = frame.id.as_deref();
        if !kind.can_subscribe(&self.claims.role) {
            return Some(error(
                ErrorCode::Forbidden,
                format!(
                    "role `{}` may not subscribe to `{channel}`",
                    self.claims.role
                ),
                id,
                Some(channel),
            ));
        }
        if !self.subs.contains_key(channel) && self.subs.len() >= MAX_SUBSCRIPTIONS {
            return Some(error(
                ErrorCode::Forbidden,
                format!("at most {MAX_SUBSCRIPTIONS} subscriptions per connection"),
                id,
                Some(channel),
            ));
        }
        // Resubscribing (e.g. to recover after a resync) replaces the old one.
        self.subs.remove(channel);
        let hub = &self.app.hub;
        let presence = kind.spec().presence;
        let result = async {
            let sub = hub.subscribe(channel, frame.since.as_ref()).await?;
            let members = if presence {
                let me = Member {
                    client: self.client.clone(),
                    user: self.claims.sub.clone(),
                };
                hub.join(channel, &me).await?;
                Some(hub.presence(channel).await?)
            } else {
                None
            };
            Ok::<_, crate::hub::HubError>((sub, members))
        }
        .await;
        let (sub, members) = match result {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(error = %e, "subscribe failed");
                return Some(error(ErrorCode::Internal, e.to_string(), id, Some(channel)));
            }
        };
        let forwarder = Forwarder {
            channel: channel.to_string(),
            out: self.out_tx.clone(),
            policy: self.app.config.slow_client,
            metrics: Arc::clone(&self.app.metrics),
            kick: self.kick.clone(),
        };
        let handle = tokio::spawn(forwarder.run(sub, members));
        self.subs
            .insert(channel.to_string(), SubscriptionTask { handle, presence });
        None
    }

    async fn publish(
        &mut self,
        kind: ChannelKind,
        channel: &str,
        frame: &ClientFrame,
    ) -> Option<String> {
        let id = frame.id.as_deref();
        if !kind.can_publish(&self.claims.role) {
            return Some(error(
                ErrorCode::Forbidden,
                format!("role `{}` may not publish to `{channel}`", self.claims.role),
                id,
                Some(channel),
            ));
        }
        let event = match Event::decode(kind, &frame.kind, frame.v, frame.data.as_deref()) {
            Ok(e) => e,
            Err(e) => {
                let code = match e {
                    EventError::UnknownType { .. } => ErrorCode::UnknownType,
                    EventError::UnsupportedVersion { .. } => ErrorCode::UnsupportedVersion,
                    EventError::InvalidData { .. } => ErrorCode::InvalidData,
                };
                return Some(error(code, e.to_string(), id, Some(channel)));
            }
        };
        match self.app.hub.publish(channel, &event).await {
            Ok(seq) => {
                Metrics::add(&self.app.metrics.messages_in, 1);
                id.map(|id| {
                    ServerFrame::Ack {
                        v: PROTOCOL_VERSION,
                        id: Some(id),
                        channel,
                        seq,
                    }
                    .to_json()
                })
            }
            Err(e) => {
                tracing::error!(error = %e, "publish failed");
                Some(error(ErrorCode::Internal, e.to_string(), id, Some(channel)))
            }
        }
    }
}

fn error(code: ErrorCode, message: String, id: Option<&str>, channel: Option<&str>) -> String {
    ServerFrame::Error {
        v: PROTOCOL_VERSION,
        code,
        message,
        id,
        channel,
    }
    .to_json()
}

/// Writes one message, giving up after `deadline`.
async fn send(sink: &mut Sink, msg: Message, deadline: Duration) -> bool {
    matches!(timeout(deadline, sink.send(msg)).await, Ok(Ok(())))
}

/// Frames written per flush: one system call for a burst instead of one each.
const WRITE_BATCH: usize = 64;

/// Writes `first` and whatever else is already queued (up to
/// `WRITE_BATCH`), then flushes once; gives up after `deadline`.
async fn send_queued(
    sink: &mut Sink,
    first: Utf8Bytes,
    queue: &mut mpsc::Receiver<Outbound>,
    deadline: Duration,
) -> bool {
    let write = async {
        sink.feed(Message::Text(first)).await?;
        for _ in 1..WRITE_BATCH {
            match queue.try_recv() {
                Ok(Outbound::Text(text)) => sink.feed(Message::Text(text)).await?,
                Err(_) => break,
            }
        }
        sink.flush().await
    };
    matches!(timeout(deadline, write).await, Ok(Ok(())))
}

/// Moves one subscription's frames into the connection's queue.
struct Forwarder {
    channel: String,
    out: mpsc::Sender<Outbound>,
    policy: SlowClient,
    metrics: Arc<Metrics>,
    kick: CancellationToken,
}

impl Forwarder {
    async fn run(self, mut sub: Subscription, members: Option<Vec<Member>>) {
        let subscribed = ServerFrame::Subscribed {
            v: PROTOCOL_VERSION,
            channel: &self.channel,
            epoch: &sub.epoch,
            seq: sub.seq,
            presence: members,
        }
        .to_json();
        if !self.push(subscribed.into()).await {
            return;
        }
        if sub.resync {
            let frame = self.resync(&sub.epoch, sub.seq, "history does not reach back that far");
            if !self.push(frame.into()).await {
                return;
            }
        }
        let mut last = 0;
        for frame in std::mem::take(&mut sub.replay) {
            last = frame.seq;
            if !self.push(frame.text).await {
                return;
            }
        }
        loop {
            match sub.rx.recv().await {
                Ok(Frame { epoch, seq, text }) => {
                    if epoch != sub.epoch {
                        Metrics::add(&self.metrics.resyncs, 1);
                        sub.epoch = epoch;
                        last = 0;
                        let frame =
                            self.resync(&sub.epoch, 0, "history was lost: a new epoch began");
                        if !self.push(frame.into()).await {
                            return;
                        }
                    }
                    // Already replayed, or a duplicate across replay and live.
                    if seq != 0 && seq <= last {
                        continue;
                    }
                    if seq != 0 {
                        last = seq;
                    }
                    if !self.push(text).await {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    Metrics::add(&self.metrics.drops, missed);
                    match self.policy {
                        SlowClient::DropAndResync => {
                            Metrics::add(&self.metrics.resyncs, 1);
                            let frame =
                                self.resync(&sub.epoch, last, "too slow: messages were dropped");
                            if !self.push(frame.into()).await {
                                return;
                            }
                        }
                        SlowClient::Disconnect => {
                            Metrics::add(&self.metrics.slow_disconnects, 1);
                            self.kick.cancel();
                            return;
                        }
                    }
                }
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    }

    fn resync(&self, epoch: &str, seq: u64, reason: &str) -> String {
        ServerFrame::Resync {
            v: PROTOCOL_VERSION,
            channel: &self.channel,
            epoch,
            seq,
            reason,
        }
        .to_json()
    }

    async fn push(&self, text: Utf8Bytes) -> bool {
        let ok = self.out.send(Outbound::Text(text)).await.is_ok();
        if ok {
            Metrics::add(&self.metrics.messages_out, 1);
        }
        ok
    }
}
