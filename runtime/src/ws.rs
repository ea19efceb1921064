//! The WebSocket endpoint: two tasks per connection, a reader and a writer.
//!
//! The reader handles what the client sends (subscribe, unsubscribe,
//! publish), keeps the idle deadline, the ping timer and the presence
//! bookkeeping, and watches for server shutdown; it never writes. The
//! writer owns the socket's sending half and the receivers of the channels
//! subscribed to, and does two things: what the reader asks (replies,
//! subscriptions, pings, the close frame), in order, and deliver channel
//! frames. Those come straight from each channel's broadcast receiver, with
//! no queue or task in between: a published frame is serialised once, and
//! every writer writes the same shared bytes. What is already waiting is
//! taken without waiting (`try_recv`) and written in a burst with one
//! flush, so a busy channel costs one system call per burst, not one per
//! frame. Deliveries go first; the reader's commands are taken whenever
//! deliveries pause, and ahead of them after `BURSTS_BEFORE_COMMANDS`
//! bursts in a row, so neither side starves the other. Every write has a
//! deadline (the idle timeout), so a client whose TCP window stays shut
//! cannot pin the writer forever.
//!
//! A slow client's writer spends its time waiting on the socket, and its
//! receivers fall behind their channels. A broadcast channel holds at most
//! `QUEUE` frames, so a receiver that falls further behind *lags*: the
//! oldest frames are gone for it, and its next receive says how many. The
//! configured policy then applies: with `drop_and_resync` the client gets a
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
//! text frames over `RATE_PER_SECOND` (a token bucket shared by all the
//! user's connections, see `quota.rs`) get a `rate_limited` error, and
//! binary frames, pings and pongs over it close the connection with 1008;
//! anything undecodable gets an `error` frame and the connection stays up.
//! Close codes: 1000 normal, 1001 shutdown or idle timeout, 1008 rate limit,
//! 1009 too big, 1013 too slow, 4001 token expired (see `auth.rs`; a `refresh`
//! frame with a fresh token before then keeps the connection open). On any exit the receivers are dropped and
//! presence entries removed, so nothing outlives the connection.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use futures_util::stream::SplitSink;
use futures_util::{FutureExt, SinkExt, StreamExt};
use serde::Deserialize;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::sync::{broadcast, mpsc};
use tokio::time::{Instant, sleep, sleep_until, timeout};
use tokio_util::sync::ReusableBoxFuture;

use crate::app::App;
use crate::auth::{CLOSE_TOKEN_EXPIRED, Claims};
use crate::config::SlowClient;
use crate::hub::Epoch;
use crate::hub::{EpochNames, Frame, GuestSeat, HubError, Subscription};
use crate::metrics::{ConnectionGuard, Metrics};
use crate::presence::Member;
use crate::protocol::{
    ClientFrame, ErrorCode, PROTOCOL_VERSION, RESERVED_TYPES, SUBPROTOCOL, ServerFrame,
};
use crate::quota::Admission;
use crate::schema::{Channels, EventError, Events};

/// Subscriptions one connection may hold; each costs a receiver.
pub const MAX_SUBSCRIPTIONS: usize = 64;

/// Bytes read from a socket at a time. tungstenite clears this much of its
/// buffer before every read attempt, even one that finds nothing; at its
/// 128 KiB default that clearing was most of a busy server's work, and the
/// buffer cost 128 KiB per connection. Client frames are small; bigger ones
/// take several reads.
const READ_BUFFER: usize = 4096;

pub const CLOSE_NORMAL: u16 = 1000;
pub const CLOSE_GOING_AWAY: u16 = 1001;
pub const CLOSE_POLICY: u16 = 1008;
pub const CLOSE_TOO_BIG: u16 = 1009;
pub const CLOSE_TRY_LATER: u16 = 1013;

#[derive(Debug, Deserialize)]
pub struct UpgradeQuery {
    token: Option<String>,
}

/// `GET /ws`: authenticates, then upgrades.
pub async fn upgrade<E: Events>(
    ws: WebSocketUpgrade,
    State(app): State<Arc<App<E>>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(query): Query<UpgradeQuery>,
) -> Response {
    let claims = match app.connecting(&headers, query.token.as_deref()) {
        Ok(c) => c,
        Err(refused) => return refused.into_response(),
    };
    let admission = match app.admit(&claims, peer, &headers) {
        Ok(a) => a,
        Err(refused) => return refused.into_response(),
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
            tracker.track_future(Connection::run(app, claims, admission, socket))
        })
}

/// What a subscription hands the writer.
enum Delivery {
    /// A frame to write, shared with every other subscriber.
    Frame(Utf8Bytes),
    /// The first frame of a new epoch: history was lost, `seq` starts again.
    NewEpoch {
        channel: String,
        epoch: Arc<str>,
        text: Utf8Bytes,
    },
    /// The receiver fell more than a queue behind: `missed` frames are gone
    /// for this client, the last one it got being `last`.
    Lagged {
        channel: String,
        missed: u64,
        epoch: Arc<str>,
        last: u64,
    },
}

/// A receive in progress, handing the receiver back with its result.
type Received = (Result<Frame, RecvError>, broadcast::Receiver<Frame>);

async fn receive(mut rx: broadcast::Receiver<Frame>) -> Received {
    let result = rx.recv().await;
    (result, rx)
}

/// One subscription's live frames, minus those already sent from history
/// (the receiver was created before history was read, so they may repeat).
///
/// Frames already in the channel are taken with `try_recv`; only when there
/// are none does it wait, in a future boxed once and reused. A burst thus
/// costs one wake-up and no allocation, and a channel found empty is not
/// asked again before the wait that follows.
struct Live {
    channel: String,
    /// Here while no wait is in progress.
    rx: Option<broadcast::Receiver<Frame>>,
    waiting: Option<ReusableBoxFuture<'static, Received>>,
    /// The last `try_recv` found the channel empty.
    drained: bool,
    /// Where the names of new epochs come from.
    hub: Arc<dyn EpochNames>,
    epoch: Epoch,
    last: u64,
    /// Held when the client reads but may not publish here: the users that
    /// frames name reach it under their pseudonyms.
    seat: Option<GuestSeat>,
}

impl Live {
    fn new(
        channel: String,
        rx: broadcast::Receiver<Frame>,
        hub: Arc<dyn EpochNames>,
        epoch: Epoch,
        last: u64,
        seat: Option<GuestSeat>,
    ) -> Live {
        Live {
            channel,
            rx: Some(rx),
            waiting: None,
            drained: false,
            hub,
            epoch,
            last,
            seat,
        }
    }

    /// The text of `frame` for this client.
    fn text(&self, frame: Frame) -> Utf8Bytes {
        if self.seat.is_some() {
            frame.for_guest(self.hub.pseudonyms())
        } else {
            frame.text
        }
    }

    /// The next delivery already in the channel, without waiting: `Pending`
    /// when there is none (or a wait is in progress, which wakes the writer
    /// when it ends); `Ready(None)` once the channel is gone.
    fn take(&mut self) -> Poll<Option<Delivery>> {
        loop {
            let Some(rx) = self.rx.as_mut() else {
                return Poll::Pending;
            };
            let received = match rx.try_recv() {
                Ok(frame) => Ok(frame),
                Err(TryRecvError::Lagged(missed)) => Err(RecvError::Lagged(missed)),
                Err(TryRecvError::Closed) => Err(RecvError::Closed),
                Err(TryRecvError::Empty) => {
                    self.drained = true;
                    return Poll::Pending;
                }
            };
            if let Some(next) = self.settle(received) {
                return Poll::Ready(next);
            }
        }
    }

    /// The next delivery, waiting for one if need be.
    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Delivery>> {
        loop {
            if !self.drained
                && let Poll::Ready(next) = self.take()
            {
                return Poll::Ready(next);
            }
            if let Some(rx) = self.rx.take() {
                match self.waiting.as_mut() {
                    Some(waiting) => waiting.set(receive(rx)),
                    None => self.waiting = Some(ReusableBoxFuture::new(receive(rx))),
                }
            }
            let Some(waiting) = self.waiting.as_mut() else {
                return Poll::Ready(None);
            };
            let (received, rx) = std::task::ready!(waiting.poll(cx));
            self.rx = Some(rx);
            self.drained = false;
            if let Some(next) = self.settle(received) {
                return Poll::Ready(next);
            }
        }
    }

    /// What a receive means for the client: `None` when the frame is not
    /// for it, `Some(None)` when the channel is gone.
    fn settle(&mut self, received: Result<Frame, RecvError>) -> Option<Option<Delivery>> {
        match received {
            Ok(frame) => self.accept(frame).map(Some),
            Err(RecvError::Lagged(missed)) => Some(Some(Delivery::Lagged {
                channel: self.channel.clone(),
                missed,
                epoch: Arc::clone(&self.epoch.name),
                last: self.last,
            })),
            Err(RecvError::Closed) => Some(None),
        }
    }

    fn accept(&mut self, frame: Frame) -> Option<Delivery> {
        if frame.epoch < self.epoch.number {
            // Sent before the epoch this subscription started in.
            return None;
        }
        if frame.epoch > self.epoch.number {
            self.epoch = Epoch {
                name: self
                    .hub
                    .epoch_name(frame.epoch)
                    .unwrap_or_else(|| self.hub.epoch()),
                number: frame.epoch,
            };
            self.last = frame.seq;
            return Some(Delivery::NewEpoch {
                channel: self.channel.clone(),
                epoch: Arc::clone(&self.epoch.name),
                text: self.text(frame),
            });
        }
        if frame.seq != 0 && frame.seq <= self.last {
            return None;
        }
        if frame.seq != 0 {
            self.last = frame.seq;
        }
        Some(Delivery::Frame(self.text(frame)))
    }
}

/// A connection's subscriptions, polled in turn so that a busy channel
/// cannot starve a quiet one.
#[derive(Default)]
struct Subscriptions {
    live: Vec<Live>,
    turn: usize,
}

impl Subscriptions {
    fn insert(&mut self, live: Live) {
        self.remove(&live.channel);
        self.live.push(live);
    }

    fn remove(&mut self, channel: &str) {
        self.live.retain(|l| l.channel != channel);
    }

    /// The first delivery `next` has for a subscription, starting after
    /// the one that gave the last.
    fn each(
        &mut self,
        mut next: impl FnMut(&mut Live) -> Poll<Option<Delivery>>,
    ) -> Poll<Delivery> {
        let mut i = 0;
        while i < self.live.len() {
            let at = (self.turn + i) % self.live.len();
            match next(&mut self.live[at]) {
                Poll::Ready(Some(delivery)) => {
                    self.turn = at + 1;
                    return Poll::Ready(delivery);
                }
                // The channel is gone: so is the subscription. The rest
                // are polled again from the start, so none is skipped.
                Poll::Ready(None) => {
                    self.live.remove(at);
                    i = 0;
                }
                Poll::Pending => i += 1,
            }
        }
        Poll::Pending
    }

    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Delivery> {
        self.each(|live| live.poll_next(cx))
    }

    /// A delivery that is ready now, if any; nothing is waited for.
    fn ready(&mut self) -> Option<Delivery> {
        match self.each(Live::take) {
            Poll::Ready(delivery) => Some(delivery),
            Poll::Pending => None,
        }
    }
}

/// A close frame the reader wants sent, if any.
type Close = Option<(u16, &'static str)>;

/// What the reader asks the writer to do, in order.
enum Command {
    /// Frames answering the client.
    Reply(Vec<Utf8Bytes>),
    /// Send `frames` (`subscribed`, then a `resync` or the replay), then
    /// deliver the channel's live frames.
    Subscribe {
        frames: Vec<Utf8Bytes>,
        live: Live,
    },
    /// Stop delivering a channel.
    Unsubscribe(String),
    Ping,
    /// Send a close frame and stop.
    Close(u16, &'static str),
}

/// How the writer stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ended {
    /// It sent a close frame: the reader waits for the client's.
    SentClose,
    /// A write failed or timed out, or the reader went away.
    Gone,
}

/// Commands queued for the writer; the reader waits when it is behind.
const COMMANDS: usize = 16;

/// The reading half of a connection: it handles what the client sends,
/// keeps the idle deadline and the subscriptions' bookkeeping, and tells
/// the writer what to send.
struct Connection<E> {
    app: Arc<App<E>>,
    claims: Claims,
    client: String,
    /// The channels subscribed to (the writer holds their receivers).
    subscribed: HashSet<String>,
    /// The channels where this client is a presence member.
    member_of: HashSet<String>,
    /// This connection's place in its user's and address's quotas, and the
    /// user's rate bucket.
    admission: Admission,
    commands: mpsc::Sender<Command>,
    /// When the token stops being valid: the connection closes then with
    /// `CLOSE_TOKEN_EXPIRED`, unless a `refresh` moved it.
    expires: Instant,
}

type Sink = SplitSink<WebSocket, Message>;

impl<E: Events> Connection<E> {
    async fn run(app: Arc<App<E>>, claims: Claims, admission: Admission, socket: WebSocket) {
        let _guard = ConnectionGuard::new(Arc::clone(&app.metrics));
        let client = app.client_id();
        tracing::debug!(client = %client, user = %claims.sub, "connected");
        let (sink, mut stream) = socket.split();
        let (commands, queue) = mpsc::channel(COMMANDS);
        let writer = Writer {
            app: Arc::clone(&app),
            sink,
            subs: Subscriptions::default(),
            commands: queue,
            bursts: 0,
        };
        let mut writer = tokio::spawn(writer.run());
        let mut this = Connection {
            admission,
            expires: app.verifier.expiry(&claims),
            app,
            claims,
            client,
            subscribed: HashSet::new(),
            member_of: HashSet::new(),
            commands,
        };
        let heartbeat = this.app.config.heartbeat;
        let idle = this.app.config.idle_timeout;
        let mut ping = tokio::time::interval_at(Instant::now() + heartbeat, heartbeat);
        let mut idle_deadline = std::pin::pin!(sleep(idle));
        let mut expiry = std::pin::pin!(sleep_until(this.expires));
        let shutdown = this.app.shutdown.clone();
        let mut shutdown = std::pin::pin!(shutdown.cancelled());
        let mut ended = None;
        let close: Close = loop {
            tokio::select! {
                () = &mut shutdown => break Some((CLOSE_GOING_AWAY, "server shutting down")),
                () = &mut idle_deadline => break Some((CLOSE_GOING_AWAY, "idle timeout")),
                () = &mut expiry => break Some((CLOSE_TOKEN_EXPIRED, "token expired")),
                _ = ping.tick() => {
                    // A writer with a backlog is busy enough to skip a ping.
                    let _ = this.commands.try_send(Command::Ping);
                }
                result = &mut writer => {
                    ended = Some(result.unwrap_or(Ended::Gone));
                    break None;
                }
                inbound = stream.next() => {
                    let Some(Ok(msg)) = inbound else { break None };
                    idle_deadline.as_mut().reset(Instant::now() + idle);
                    match msg {
                        Message::Text(text) => {
                            if let Some(close) = this.on_text(&text).await {
                                break Some(close);
                            }
                            if expiry.deadline() != this.expires {
                                expiry.as_mut().reset(this.expires);
                            }
                        }
                        Message::Close(_) => break Some((CLOSE_NORMAL, "")),
                        // Every frame draws from the user's bucket; past it,
                        // frames with no answer to refuse them close the
                        // connection.
                        _ if !this.admission.take() => {
                            this.rate_limited();
                            break Some((CLOSE_POLICY, "rate limit exceeded"));
                        }
                        Message::Binary(_) => {
                            let f = this.refuse(ErrorCode::Unsupported, "binary frames are not part of the protocol; send JSON text".into(), None, None);
                            this.reply(vec![f]).await;
                        }
                        Message::Ping(_) | Message::Pong(_) => {}
                    }
                }
            }
        };
        this.release().await;
        let ended = match (ended, close) {
            (Some(ended), _) => ended,
            (None, Some((code, reason))) => {
                let _ = this.commands.send(Command::Close(code, reason)).await;
                writer.await.unwrap_or(Ended::Gone)
            }
            (None, None) => {
                writer.abort();
                Ended::Gone
            }
        };
        if ended == Ended::SentClose {
            // Complete the closing handshake: wait (briefly) for the
            // client's close, so it reads our code instead of a reset.
            let handshake = async {
                while let Some(Ok(msg)) = stream.next().await {
                    if matches!(msg, Message::Close(_)) {
                        break;
                    }
                }
            };
            let _ = timeout(Duration::from_secs(1), handshake).await;
        }
        tracing::debug!(client = %this.client, ?close, ?ended, "disconnected");
    }

    /// Queues frames for the client. If the writer has stopped, the loop
    /// in `run` notices on its next turn.
    async fn reply(&self, frames: Vec<Utf8Bytes>) {
        if !frames.is_empty() {
            let _ = self.commands.send(Command::Reply(frames)).await;
        }
    }

    /// Forgets every subscription and removes this client from presence.
    async fn release(&mut self) {
        self.subscribed.clear();
        for channel in std::mem::take(&mut self.member_of) {
            if let Err(e) = self.app.hub.leave(&channel, &self.claims.sub).await {
                tracing::warn!(error = %e, "presence leave failed");
            }
        }
    }

    /// Handles one text frame; `Some` closes the connection.
    async fn on_text(&mut self, text: &str) -> Close {
        if text.len() > self.app.config.max_message_bytes {
            return Some((CLOSE_TOO_BIG, "message too big"));
        }
        let replies = if self.admission.take() {
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
            self.rate_limited();
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
        self.reply(replies).await;
        None
    }

    fn rate_limited(&self) {
        Metrics::add(&self.app.metrics.rate_limited, 1);
        tracing::debug!(user = %self.claims.sub, client = %self.client, "rate limited");
    }

    /// Returns the frames to answer with, if any.
    async fn on_frame(&mut self, frame: ClientFrame) -> Vec<Utf8Bytes> {
        let id = frame.id.as_deref();
        if frame.kind == "refresh" {
            return vec![self.refresh(&frame)];
        }
        let Some(channel) = frame.channel.as_deref() else {
            return vec![self.refuse(
                ErrorCode::Malformed,
                format!("`{}` needs a `channel`", frame.kind),
                id,
                None,
            )];
        };
        let Some(kind) = E::Channel::parse(channel) else {
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
                if !self.subscribed.remove(channel) {
                    return vec![self.refuse(
                        ErrorCode::NotSubscribed,
                        format!("not subscribed to `{channel}`"),
                        id,
                        Some(channel),
                    )];
                }
                let _ = self
                    .commands
                    .send(Command::Unsubscribe(channel.to_string()))
                    .await;
                if self.member_of.remove(channel)
                    && let Err(e) = self.app.hub.leave(channel, &self.claims.sub).await
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

    /// Replaces the connection's token with a fresh one for the same user
    /// and role, moving its expiry; `refreshed` or an `error` answers.
    fn refresh(&mut self, frame: &ClientFrame) -> Utf8Bytes {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Refresh {
            token: String,
        }
        let id = frame.id.as_deref();
        if frame.v != PROTOCOL_VERSION {
            let message = format!(
                "`refresh` version {} is not supported; this server speaks version {PROTOCOL_VERSION}",
                frame.v
            );
            return self.refuse(ErrorCode::UnsupportedVersion, message, id, None);
        }
        let data = frame
            .data
            .as_deref()
            .map(|d| serde_json::from_str::<Refresh>(d.get()));
        let Some(Ok(Refresh { token })) = data else {
            let message = r#"`refresh` needs `data: {"token": "<token>"}`"#.to_string();
            return self.refuse(ErrorCode::Malformed, message, id, None);
        };
        let claims = match self.app.verifier.verify(&token) {
            Ok(claims) => claims,
            Err(e) => {
                Metrics::add(&self.app.metrics.auth_failures, 1);
                tracing::info!(user = %self.claims.sub, reason = e.detail(), "refresh refused");
                return self.refuse(ErrorCode::Forbidden, e.to_string(), id, None);
            }
        };
        if claims.sub != self.claims.sub
            || claims.role != self.claims.role
            || claims.channels != self.claims.channels
        {
            tracing::info!(user = %self.claims.sub, to = %claims.sub, "refresh to another identity refused");
            let message = "a refreshed token must name the same `sub`, `role` and `channels`; \
                           reconnect to change them"
                .to_string();
            return self.refuse(ErrorCode::Forbidden, message, id, None);
        }
        self.expires = self.app.verifier.expiry(&claims);
        let exp = claims.exp;
        self.claims = claims;
        ServerFrame::Refreshed {
            v: PROTOCOL_VERSION,
            exp,
        }
        .to_json()
        .into()
    }

    /// Subscribes; the writer sends `subscribed`, then a `resync` or the
    /// frames missed since `since`, before any live frame.
    async fn subscribe(
        &mut self,
        kind: E::Channel,
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
        if !self.claims.allows(channel) {
            let message = format!("your token's `channels` do not include `{channel}`");
            return vec![self.refuse(ErrorCode::Forbidden, message, id, Some(channel))];
        }
        if !self.subscribed.contains(channel) && self.subscribed.len() >= MAX_SUBSCRIPTIONS {
            return vec![self.refuse(
                ErrorCode::Forbidden,
                format!("at most {MAX_SUBSCRIPTIONS} subscriptions per connection"),
                id,
                Some(channel),
            )];
        }
        // Resubscribing (e.g. to recover after a resync) replaces the old
        // one: the writer swaps the receivers when it gets there.
        let hub = &self.app.hub;
        let presence = kind.spec().presence;
        let guest = !kind.can_publish(&self.claims.role);
        let result = async {
            let sub = hub
                .subscribe_as(channel, frame.since.as_ref(), Some(&self.claims.sub), guest)
                .await?;
            let members = if presence {
                let me = Member {
                    client: self.client.clone(),
                    user: self.claims.sub.clone(),
                };
                hub.join(channel, &me).await?;
                let members = hub.presence(channel).await?;
                Some(if guest {
                    let names = hub.pseudonyms();
                    members
                        .into_iter()
                        .map(|m| names.member(channel, m))
                        .collect()
                } else {
                    members
                })
            } else {
                None
            };
            Ok::<_, crate::hub::HubError>((sub, members))
        }
        .await;
        let (mut sub, members) = match result {
            Ok(r) => r,
            Err(e) => return vec![self.hub_refusal("subscribe", &e, id, channel)],
        };
        if presence {
            self.member_of.insert(channel.to_string());
        }
        let limits = &self.app.config.limits;
        let refused =
            crate::hub::replay_refusal(sub.replay_bytes(), limits.max_replay_bytes, |b| {
                self.admission.take_replay(b)
            });
        if let Some(why) = refused {
            tracing::info!(user = %self.claims.sub, %channel, why, "replay refused");
            sub.refuse_replay();
        }
        let Subscription {
            rx,
            epoch,
            seq,
            replay,
            resync: gap,
            seat,
        } = sub;
        let mut frames = vec![
            ServerFrame::Subscribed {
                v: PROTOCOL_VERSION,
                channel,
                epoch: &epoch.name,
                seq,
                presence: members,
            }
            .to_json()
            .into(),
        ];
        if gap {
            let reason = refused.unwrap_or("history does not reach back that far");
            frames.push(resync(channel, &epoch.name, seq, reason).into());
        }
        let last = replay.last().map_or(0, |f| f.seq);
        frames.extend(replay.into_iter().map(|f| match seat {
            Some(_) => f.for_guest(hub.pseudonyms()),
            None => f.text,
        }));
        self.subscribed.insert(channel.to_string());
        let subscribe = Command::Subscribe {
            frames,
            live: Live::new(
                channel.to_string(),
                rx,
                Arc::clone(hub) as _,
                epoch,
                last,
                seat,
            ),
        };
        let _ = self.commands.send(subscribe).await;
        Vec::new()
    }

    async fn publish(
        &mut self,
        kind: E::Channel,
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
        if !self.claims.allows(channel) {
            let message = format!("your token's `channels` do not include `{channel}`");
            return Some(self.refuse(ErrorCode::Forbidden, message, id, Some(channel)));
        }
        let event = match E::decode(kind, &frame.kind, frame.v, frame.data.as_deref()) {
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
        let from = Some(self.claims.sub.as_str());
        match self.app.hub.publish_from(channel, &event, from).await {
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
            Err(e) => Some(self.hub_refusal("publish", &e, id, channel)),
        }
    }
}

impl<E> Connection<E> {
    /// An `error` frame, counted.
    fn refuse(
        &self,
        code: ErrorCode,
        message: String,
        id: Option<&str>,
        channel: Option<&str>,
    ) -> Utf8Bytes {
        Metrics::add(&self.app.metrics.errors, 1);
        if code == ErrorCode::Forbidden {
            self.app
                .forbid(&format_args!("{message} (user `{}`)", self.claims.sub));
        }
        error(code, message, id, channel).into()
    }

    /// The `error` frame for a request the hub could not serve: a node
    /// limit the client may retry later, or a backplane failure.
    fn hub_refusal(&self, what: &str, e: &HubError, id: Option<&str>, channel: &str) -> Utf8Bytes {
        let code = match e {
            HubError::Full(_) => {
                tracing::info!(user = %self.claims.sub, channel, error = %e, "{what} refused");
                ErrorCode::LimitExceeded
            }
            HubError::Backplane(_) => {
                tracing::error!(error = %e, "{what} failed");
                ErrorCode::Internal
            }
        };
        self.refuse(code, e.to_string(), id, Some(channel))
    }
}

/// The writing half of a connection: it owns the socket's sink and the
/// subscriptions' receivers, and does what the reader asks in order.
struct Writer<E> {
    app: Arc<App<E>>,
    sink: Sink,
    subs: Subscriptions,
    commands: mpsc::Receiver<Command>,
    /// Bursts delivered since the commands were last looked at.
    bursts: u32,
}

/// What the writer does next.
enum Work {
    Command(Option<Command>),
    Deliver(Delivery),
}

/// Bursts a writer delivers in a row before it looks at the reader's
/// commands, which would otherwise wait for as long as frames keep coming.
const BURSTS_BEFORE_COMMANDS: u32 = 8;

impl<E> Writer<E> {
    async fn run(mut self) -> Ended {
        let idle = self.app.config.idle_timeout;
        loop {
            match std::future::poll_fn(|cx| self.poll_work(cx)).await {
                Work::Command(None) => return Ended::Gone,
                Work::Command(Some(command)) => {
                    let written = match command {
                        Command::Reply(frames) => {
                            send_all(&mut self.sink, frames.into_iter().map(Message::Text), idle)
                                .await
                        }
                        Command::Subscribe { frames, live } => {
                            self.subs.remove(&live.channel);
                            let sent = send_all(
                                &mut self.sink,
                                frames.into_iter().map(Message::Text),
                                idle,
                            )
                            .await;
                            self.subs.insert(live);
                            sent
                        }
                        Command::Unsubscribe(channel) => {
                            self.subs.remove(&channel);
                            true
                        }
                        Command::Ping => {
                            let ping = Message::Ping(Default::default());
                            send_all(&mut self.sink, [ping], idle).await
                        }
                        Command::Close(code, reason) => return self.close(code, reason).await,
                    };
                    if !written {
                        return Ended::Gone;
                    }
                }
                Work::Deliver(delivery) => {
                    if let Err(ended) = self.deliver(delivery).await {
                        return ended;
                    }
                }
            }
        }
    }

    /// Deliveries come first, and the commands are looked at on the way to
    /// sleep: a busy writer does not check an empty queue once per frame.
    /// After `BURSTS_BEFORE_COMMANDS` bursts in a row, commands go first.
    fn poll_work(&mut self, cx: &mut Context<'_>) -> Poll<Work> {
        let commands_first = self.bursts >= BURSTS_BEFORE_COMMANDS;
        if commands_first {
            self.bursts = 0;
            if let Poll::Ready(command) = self.commands.poll_recv(cx) {
                return Poll::Ready(Work::Command(command));
            }
        }
        if let Poll::Ready(delivery) = self.subs.poll_next(cx) {
            self.bursts += 1;
            return Poll::Ready(Work::Deliver(delivery));
        }
        if commands_first {
            // Already asked, with this waker.
            return Poll::Pending;
        }
        self.bursts = 0;
        self.commands.poll_recv(cx).map(Work::Command)
    }

    async fn close(&mut self, code: u16, reason: &'static str) -> Ended {
        let frame = CloseFrame {
            code,
            reason: reason.into(),
        };
        let close = self.sink.send(Message::Close(Some(frame)));
        match within(Duration::from_secs(1), close).await {
            Some(()) => Ended::SentClose,
            None => Ended::Gone,
        }
    }

    /// Writes `first` and whatever else the subscriptions already hold (up
    /// to `WRITE_BATCH` frames) with one flush, applying the slow-client
    /// policy to any receiver that lagged. `Err` closes the connection.
    async fn deliver(&mut self, first: Delivery) -> Result<(), Ended> {
        let Writer {
            app, sink, subs, ..
        } = self;
        let metrics = &app.metrics;
        let slow_client = app.config.slow_client;
        let burst = async {
            let mut written = 0;
            let mut next = Some(first);
            let outcome = loop {
                let Some(delivery) = next.take() else {
                    break Burst::Written;
                };
                match delivery {
                    Delivery::Frame(text) => {
                        sink.feed(Message::Text(text)).await?;
                        written += 1;
                    }
                    Delivery::NewEpoch {
                        channel,
                        epoch,
                        text,
                    } => {
                        Metrics::add(&metrics.resyncs, 1);
                        let reason = "history was lost: a new epoch began";
                        let frame = resync(&channel, &epoch, 0, reason);
                        sink.feed(Message::Text(frame.into())).await?;
                        sink.feed(Message::Text(text)).await?;
                        written += 2;
                    }
                    Delivery::Lagged {
                        channel,
                        missed,
                        epoch,
                        last,
                    } => {
                        Metrics::add(&metrics.drops, missed);
                        match slow_client {
                            SlowClient::DropAndResync => {
                                Metrics::add(&metrics.resyncs, 1);
                                let reason = "too slow: messages were dropped";
                                let frame = resync(&channel, &epoch, last, reason);
                                sink.feed(Message::Text(frame.into())).await?;
                                written += 1;
                            }
                            SlowClient::Disconnect => {
                                Metrics::add(&metrics.slow_disconnects, 1);
                                break Burst::TooSlow;
                            }
                        }
                    }
                }
                if written < WRITE_BATCH {
                    next = subs.ready();
                }
            };
            Metrics::add(&metrics.messages_out, written as u64);
            // What was gathered goes out even before a close: the client
            // then has a gap-free run to resume from.
            sink.flush().await?;
            Ok(outcome)
        };
        match within(app.config.idle_timeout, burst).await {
            Some(Burst::Written) => Ok(()),
            Some(Burst::TooSlow) => {
                let reason = "too slow: reconnect and resume";
                Err(self.close(CLOSE_TRY_LATER, reason).await)
            }
            None => Err(Ended::Gone),
        }
    }
}

/// How a burst of deliveries ended.
enum Burst {
    Written,
    /// A receiver lagged under the `disconnect` policy.
    TooSlow,
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

/// Frames written per flush: one system call for a burst instead of one each.
const WRITE_BATCH: usize = 64;

/// Writes `messages` with one flush, giving up after `deadline`.
async fn send_all(
    sink: &mut Sink,
    messages: impl IntoIterator<Item = Message>,
    deadline: Duration,
) -> bool {
    let write = async {
        for message in messages {
            sink.feed(message).await?;
        }
        sink.flush().await
    };
    within(deadline, write).await.is_some()
}

/// Runs `write`, giving up after `deadline`: `None` if it failed or took
/// longer. Most writes complete at once, so the deadline's timer is set
/// only for one that has to wait for the socket.
async fn within<T>(
    deadline: Duration,
    write: impl Future<Output = Result<T, axum::Error>>,
) -> Option<T> {
    let mut write = std::pin::pin!(write);
    if let Some(done) = write.as_mut().now_or_never() {
        return done.ok();
    }
    timeout(deadline, write).await.ok()?.ok()
}
