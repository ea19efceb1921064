//! The WebSocket endpoint: one task per connection.
//!
//! The connection task owns the socket and waits on five things at once:
//! a frame from the client, a frame on any channel it subscribes to, the
//! ping timer, the idle deadline and server shutdown. Channel frames come
//! straight from each channel's broadcast receiver (merged in a
//! `StreamMap`), with no queue or task in between: a published frame is
//! serialised once, and each subscriber's task writes the shared bytes. What
//! is already waiting is written in a burst with one flush, so a busy
//! channel costs one system call per burst, not one per frame. Every write
//! has a deadline (the idle timeout), so a client whose TCP window stays
//! shut cannot pin the task forever.
//!
//! A slow client's task spends its time waiting on the socket, and its
//! receivers fall behind their channels. A broadcast channel holds at most
//! `QUEUE` frames, so a receiver that falls further behind *lags*: the
//! oldest frames are gone for it, and its next receive says how many. The
//! plan's policy then applies: with `drop_and_resync` the client gets a
//! `resync` frame carrying the last `seq` it did receive (it may resubscribe
//! with that as `since` and be replayed from history); with `disconnect` the
//! connection is closed with 1013 (try again later). Either way the
//! publisher and every other subscriber carry on at full speed, and a
//! client's memory is capped by the channel's queue, which everyone shares.
//!
//! A frame from a new epoch (Redis lost its data, so `seq` starts again)
//! is preceded by a `resync` at `seq` 0 of that epoch: the client's
//! position means nothing any more, and the frames that follow are the new
//! numbering from its start.
//!
//! Limits: frames over `MAX_MESSAGE_BYTES` close the connection with 1009;
//! frames over `RATE_PER_SECOND` (a token bucket) get a `rate_limited`
//! error; anything undecodable gets an `error` frame and the connection
//! stays up. Close codes: 1000 normal, 1001 shutdown or idle timeout, 1009
//! too big, 1013 too slow. On any exit the receivers are dropped and
//! presence entries removed, so nothing outlives the connection.

use std::collections::HashSet;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use futures_util::stream::SplitSink;
use futures_util::{FutureExt, SinkExt, Stream, StreamExt};
use serde::Deserialize;
use tokio::sync::broadcast;
use tokio::time::{Instant, sleep, timeout};
use tokio_stream::StreamMap;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

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

/// Bytes read from a socket at a time. tungstenite clears this much of its
/// buffer before every read attempt, even one that finds nothing, and the
/// connection task attempts one each time it wakes; its 128 KiB default
/// made that clearing most of a busy server's work, and cost 128 KiB per
/// connection. Client frames are small; bigger ones take several reads.
const READ_BUFFER: usize = 4096;

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
        .read_buffer_size(READ_BUFFER)
        .on_upgrade(move |socket| {
            let tracker = app.tracker.clone();
            tracker.track_future(Connection::new(app, claims).run(socket))
        })
}

/// What a subscription hands the connection task.
enum Delivery {
    /// A frame to write, shared with every other subscriber.
    Frame(Utf8Bytes),
    /// The first frame of a new epoch: history was lost, `seq` starts again.
    NewEpoch { epoch: Arc<str>, text: Utf8Bytes },
    /// The receiver fell more than a queue behind: `missed` frames are gone
    /// for this client, the last one it got being `last`.
    Lagged {
        missed: u64,
        epoch: Arc<str>,
        last: u64,
    },
}

type Deliveries = Pin<Box<dyn Stream<Item = Delivery> + Send>>;

/// A subscription's live frames, minus those already sent from history
/// (the receiver was created before history was read, so they may repeat).
fn deliveries(rx: broadcast::Receiver<Frame>, mut epoch: Arc<str>, mut last: u64) -> Deliveries {
    Box::pin(tokio_stream::StreamExt::filter_map(
        BroadcastStream::new(rx),
        move |item| match item {
            Ok(frame) => {
                if !Arc::ptr_eq(&frame.epoch, &epoch) && frame.epoch != epoch {
                    epoch = frame.epoch;
                    last = frame.seq;
                    return Some(Delivery::NewEpoch {
                        epoch: Arc::clone(&epoch),
                        text: frame.text,
                    });
                }
                if frame.seq != 0 && frame.seq <= last {
                    return None;
                }
                if frame.seq != 0 {
                    last = frame.seq;
                }
                Some(Delivery::Frame(frame.text))
            }
            Err(BroadcastStreamRecvError::Lagged(missed)) => Some(Delivery::Lagged {
                missed,
                epoch: Arc::clone(&epoch),
                last,
            }),
        },
    ))
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
    /// The live frames of every channel subscribed to, by channel.
    subs: StreamMap<String, Deliveries>,
    /// The channels where this client is a presence member.
    member_of: HashSet<String>,
    bucket: TokenBucket,
    /// Frames gathered for the next write, reused from burst to burst.
    burst: Vec<Utf8Bytes>,
}

type Sink = SplitSink<WebSocket, Message>;

impl Connection {
    fn new(app: Arc<App>, claims: Claims) -> Connection {
        let n = app.next_client.fetch_add(1, Ordering::Relaxed);
        Connection {
            client: format!("{}-{n}", app.node),
            bucket: TokenBucket::new(app.config.rate_per_second),
            app,
            claims,
            subs: StreamMap::new(),
            member_of: HashSet::new(),
            burst: Vec::with_capacity(WRITE_BATCH),
        }
    }

    async fn run(mut self, socket: WebSocket) {
        let _guard = ConnectionGuard::new(Arc::clone(&self.app.metrics));
        tracing::debug!(client = %self.client, user = %self.claims.sub, "connected");
        let (mut sink, mut stream) = socket.split();
        let heartbeat = self.app.config.heartbeat;
        let idle = self.app.config.idle_timeout;
        let mut ping = tokio::time::interval_at(Instant::now() + heartbeat, heartbeat);
        // Both futures live across iterations: making them anew each time
        // round would register a timer and a waiter per burst.
        let mut idle_deadline = std::pin::pin!(sleep(idle));
        let shutdown = self.app.shutdown.clone();
        let mut shutdown = std::pin::pin!(shutdown.cancelled());
        let close: Close = loop {
            tokio::select! {
                () = &mut shutdown => break Some((CLOSE_GOING_AWAY, "server shutting down")),
                () = &mut idle_deadline => break Some((CLOSE_GOING_AWAY, "idle timeout")),
                _ = ping.tick() => {
                    if !send(&mut sink, Message::Ping(Default::default()), idle).await {
                        break None;
                    }
                }
                Some((channel, delivery)) = self.subs.next(), if !self.subs.is_empty() => {
                    if let Err(close) = self.deliver(&mut sink, channel, delivery).await {
                        break close;
                    }
                }
                inbound = stream.next() => {
                    let Some(Ok(msg)) = inbound else { break None };
                    idle_deadline.as_mut().reset(Instant::now() + idle);
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

    /// Writes `first` and whatever else the subscriptions already hold (up
    /// to `WRITE_BATCH` frames) with one flush, applying the slow-client
    /// policy to any receiver that lagged. `Err` closes the connection.
    async fn deliver(
        &mut self,
        sink: &mut Sink,
        channel: String,
        first: Delivery,
    ) -> Result<(), Close> {
        let mut next = Some((channel, first));
        while let Some((channel, delivery)) = next.take() {
            match delivery {
                Delivery::Frame(text) => self.burst.push(text),
                Delivery::NewEpoch { epoch, text } => {
                    Metrics::add(&self.app.metrics.resyncs, 1);
                    let reason = "history was lost: a new epoch began";
                    self.burst.push(resync(&channel, &epoch, 0, reason).into());
                    self.burst.push(text);
                }
                Delivery::Lagged {
                    missed,
                    epoch,
                    last,
                } => {
                    Metrics::add(&self.app.metrics.drops, missed);
                    match self.app.config.slow_client {
                        SlowClient::DropAndResync => {
                            Metrics::add(&self.app.metrics.resyncs, 1);
                            let reason = "too slow: messages were dropped";
                            let frame = resync(&channel, &epoch, last, reason);
                            self.burst.push(frame.into());
                        }
                        SlowClient::Disconnect => {
                            Metrics::add(&self.app.metrics.slow_disconnects, 1);
                            self.burst.clear();
                            return Err(Some((CLOSE_TRY_LATER, "too slow: reconnect and resume")));
                        }
                    }
                }
            }
            if self.burst.len() < WRITE_BATCH {
                next = self.subs.next().now_or_never().flatten();
            }
        }
        Metrics::add(&self.app.metrics.messages_out, self.burst.len() as u64);
        let idle = self.app.config.idle_timeout;
        if send_all(sink, self.burst.drain(..), idle).await {
            Ok(())
        } else {
            Err(None)
        }
    }

    /// Drops every subscription and removes this client from presence.
    async fn release(&mut self) {
        self.subs.clear();
        for channel in std::mem::take(&mut self.member_of) {
            if let Err(e) = self.app.hub.leave(&channel, &self.client).await {
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
        let replies = if self.bucket.take() {
            match serde_json::from_str::<ClientFrame>(text) {
                Ok(frame) => self.on_frame(frame).await,
                Err(e) => vec![self.refuse(
                    ErrorCode::Malformed,
                    format!("not a valid envelope: {e}"),
                    None,
                    None,
                )],
            }
        } else {
            vec![self.refuse(
                ErrorCode::RateLimited,
                format!(
                    "more than {} frames per second; this one was dropped",
                    self.app.config.rate_per_second
                ),
                None,
                None,
            )]
        };
        if replies.is_empty() {
            return None;
        }
        if !send_all(sink, replies, idle).await {
            return Some((CLOSE_GOING_AWAY, "write timeout"));
        }
        None
    }

    /// Returns the frames to answer with, if any.
    async fn on_frame(&mut self, frame: ClientFrame) -> Vec<Utf8Bytes> {
        let id = frame.id.as_deref();
        let Some(channel) = frame.channel.as_deref() else {
            return vec![self.refuse(
                ErrorCode::Malformed,
                format!("`{}` needs a `channel`", frame.kind),
                id,
                None,
            )];
        };
        let Some(kind) = ChannelKind::parse(channel) else {
            return vec![self.refuse(
                ErrorCode::UnknownChannel,
                format!("no channel `{channel}` on this server"),
                id,
                Some(channel),
            )];
        };
        let control = matches!(frame.kind.as_str(), "subscribe" | "unsubscribe");
        if control && frame.v != PROTOCOL_VERSION {
            return vec![self.refuse(
                ErrorCode::UnsupportedVersion,
                format!(
                    "`{}` version {} is not supported; this server speaks version {PROTOCOL_VERSION}",
                    frame.kind, frame.v
                ),
                id,
                Some(channel),
            )];
        }
        match frame.kind.as_str() {
            "subscribe" => self.subscribe(kind, channel, &frame).await,
            "unsubscribe" => {
                if self.subs.remove(channel).is_none() {
                    return vec![self.refuse(
                        ErrorCode::NotSubscribed,
                        format!("not subscribed to `{channel}`"),
                        id,
                        Some(channel),
                    )];
                }
                if self.member_of.remove(channel)
                    && let Err(e) = self.app.hub.leave(channel, &self.client).await
                {
                    tracing::warn!(error = %e, "presence leave failed");
                }
                vec![
                    ServerFrame::Unsubscribed {
                        v: PROTOCOL_VERSION,
                        channel,
                    }
                    .to_json()
                    .into(),
                ]
            }
            reserved if RESERVED_TYPES.contains(&reserved) => vec![self.refuse(
                ErrorCode::UnknownType,
                format!("`{reserved}` is sent by the server, not by clients"),
                id,
                Some(channel),
            )],
            _ => self
                .publish(kind, channel, &frame)
                .await
                .into_iter()
                .collect(),
        }
    }

    /// Subscribes; answers with `subscribed`, then a `resync` or the
    /// frames missed since `since`, before any live frame.
    async fn subscribe(
        &mut self,
        kind: ChannelKind,
        channel: &str,
        frame: &ClientFrame,
    ) -> Vec<Utf8Bytes> {
        let id = frame.id.as_deref();
        if !kind.can_subscribe(&self.claims.role) {
            return vec![self.refuse(
                ErrorCode::Forbidden,
                format!(
                    "role `{}` may not subscribe to `{channel}`",
                    self.claims.role
                ),
                id,
                Some(channel),
            )];
        }
        if !self.subs.contains_key(channel) && self.subs.len() >= MAX_SUBSCRIPTIONS {
            return vec![self.refuse(
                ErrorCode::Forbidden,
                format!("at most {MAX_SUBSCRIPTIONS} subscriptions per connection"),
                id,
                Some(channel),
            )];
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
                return vec![self.refuse(ErrorCode::Internal, e.to_string(), id, Some(channel))];
            }
        };
        if presence {
            self.member_of.insert(channel.to_string());
        }
        let Subscription {
            rx,
            epoch,
            seq,
            replay,
            resync: gap,
        } = sub;
        let mut replies = vec![
            ServerFrame::Subscribed {
                v: PROTOCOL_VERSION,
                channel,
                epoch: &epoch,
                seq,
                presence: members,
            }
            .to_json()
            .into(),
        ];
        if gap {
            let reason = "history does not reach back that far";
            replies.push(resync(channel, &epoch, seq, reason).into());
        }
        let last = replay.last().map_or(0, |f| f.seq);
        replies.extend(replay.into_iter().map(|f| f.text));
        self.subs
            .insert(channel.to_string(), deliveries(rx, epoch, last));
        replies
    }

    async fn publish(
        &mut self,
        kind: ChannelKind,
        channel: &str,
        frame: &ClientFrame,
    ) -> Option<Utf8Bytes> {
        let id = frame.id.as_deref();
        if !kind.can_publish(&self.claims.role) {
            return Some(self.refuse(
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
                return Some(self.refuse(code, e.to_string(), id, Some(channel)));
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
                    .into()
                })
            }
            Err(e) => {
                tracing::error!(error = %e, "publish failed");
                Some(self.refuse(ErrorCode::Internal, e.to_string(), id, Some(channel)))
            }
        }
    }
}

impl Connection {
    /// An `error` frame, counted.
    fn refuse(
        &self,
        code: ErrorCode,
        message: String,
        id: Option<&str>,
        channel: Option<&str>,
    ) -> Utf8Bytes {
        Metrics::add(&self.app.metrics.errors, 1);
        error(code, message, id, channel).into()
    }
}

fn resync(channel: &str, epoch: &str, seq: u64, reason: &str) -> String {
    ServerFrame::Resync {
        v: PROTOCOL_VERSION,
        channel,
        epoch,
        seq,
        reason,
    }
    .to_json()
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

/// Writes `frames` with one flush, giving up after `deadline`.
async fn send_all(
    sink: &mut Sink,
    frames: impl IntoIterator<Item = Utf8Bytes>,
    deadline: Duration,
) -> bool {
    let write = async {
        for text in frames {
            sink.feed(Message::Text(text)).await?;
        }
        sink.flush().await
    };
    matches!(timeout(deadline, write).await, Ok(Ok(())))
}
