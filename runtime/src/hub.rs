//! Pub/sub with per-channel ordering, bounded fan-out and history.
//!
//! Each channel that has been used on this node has a `tokio::sync::broadcast`
//! sender and, with the in-memory backplane, a ring buffer of its last
//! `history` messages. Publishing takes the channel's lock, assigns the next
//! `seq`, serialises the envelope **once** into a reference-counted
//! [`Utf8Bytes`] and sends it to the broadcast channel; every subscriber gets
//! a cheap clone of the same bytes. Holding the lock while sending is what
//! gives per-channel ordering, and it never waits on a subscriber.
//!
//! A broadcast channel has a fixed capacity (`QUEUE`), so a subscriber that
//! falls behind cannot grow memory or slow anyone else down: it *lags*, the
//! oldest messages are overwritten, and its next receive reports how many it
//! missed. The connection then applies the configured slow-client policy (see
//! `ws.rs`).
//!
//! Recovery: a client that reconnects sends the `epoch` and last `seq` it
//! saw. If the epoch matches and the ring still holds everything after that
//! `seq`, the missed messages are replayed before live ones; otherwise it is
//! told to `resync`. The epoch is random per process with the in-memory
//! backplane (a restart loses history, and the epoch says so) and shared
//! through Redis with the Redis backplane. The receiver is created *before*
//! history is read, and the connection skips any `seq` it has already sent,
//! so nothing falls between replay and live delivery.
//!
//! With the Redis backplane (`redis.rs`), `seq` and history live in Redis
//! and a reader task feeds every node's broadcast channels from one Redis
//! Stream, in order; this module then only fans out. Every frame carries the
//! epoch its `seq` counts in: if Redis loses its data, the nodes move to a
//! new epoch and each subscriber is sent a `resync` before the first frame
//! of the new one (see `ws.rs`), since `seq` starts again from 1.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, RandomState};
use std::marker::PhantomData;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::ws::Utf8Bytes;
use serde_json::value::RawValue;
use tokio::sync::broadcast;

use crate::limits::Limits;
use crate::presence::{Member, MemoryPresence, Pseudonyms};
use crate::protocol::{Envelope, Position, now_ms};
#[cfg(feature = "redis")]
use crate::redis::{RedisBackplane, Stored};
use crate::schema::{Events, history_of};

/// One serialised message, shared by all its subscribers.
#[derive(Debug, Clone)]
pub struct Frame {
    /// The epoch `seq` counts in, by number ([`Epoch::number`]): every
    /// subscriber gets a copy, so it must not cost a reference count.
    pub epoch: u64,
    /// 0 for frames not kept in history (ephemeral events, presence).
    pub seq: u64,
    pub text: Utf8Bytes,
    /// The text guests are sent instead, with the users it names under
    /// their pseudonyms: made once per frame, and only while a guest
    /// listens to the channel. `None` for a frame made when none did, which
    /// a guest's connection then rewrites itself ([`Frame::for_guest`]).
    pub guest: Option<Utf8Bytes>,
}

impl Frame {
    /// The text to send a guest.
    pub fn for_guest(self, names: &Pseudonyms) -> Utf8Bytes {
        match self.guest {
            Some(text) => text,
            None => names
                .frame(self.text.as_str())
                .map_or(self.text, Utf8Bytes::from),
        }
    }
}

/// A guest's place among a channel's listeners, held as long as its
/// subscription: while any is held, frames naming users are also made for
/// guests, once each.
pub struct GuestSeat(Arc<Channel>);

impl Drop for GuestSeat {
    fn drop(&mut self) {
        self.0.guests.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A new subscriber's starting point.
pub struct Subscription {
    pub rx: broadcast::Receiver<Frame>,
    pub epoch: Epoch,
    /// The newest `seq` of the channel when the subscription started.
    pub seq: u64,
    /// Messages after the client's `since`, oldest first.
    pub replay: Vec<Frame>,
    /// The gap since `since` cannot be filled.
    pub resync: bool,
    /// Held for a guest's subscription.
    pub seat: Option<GuestSeat>,
}

impl Subscription {
    /// Bytes the replay would send.
    pub fn replay_bytes(&self) -> usize {
        self.replay.iter().map(|f| f.text.len()).sum()
    }

    /// Drops the replay: the client is told to `resync` instead.
    pub fn refuse_replay(&mut self) {
        self.replay.clear();
        self.resync = true;
    }
}

/// Why a replay may not be sent, if it may not: too much for one request
/// (`max` bytes) or for the user's budget (`take` says no).
pub fn replay_refusal(
    bytes: usize,
    max: usize,
    take: impl FnOnce(usize) -> bool,
) -> Option<&'static str> {
    if bytes == 0 {
        None
    } else if bytes > max {
        Some("too much history to replay at once: reload the channel")
    } else if !take(bytes) {
        Some("too much history replayed lately: reload the channel")
    } else {
        None
    }
}

#[derive(Debug)]
pub enum HubError {
    /// The backplane (Redis) failed; the text says how.
    Backplane(String),
    /// A node limit (`MAX_CHANNELS`, `MAX_HISTORY_BYTES`) refused the
    /// request; the text names the limit.
    Full(String),
}

impl std::fmt::Display for HubError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HubError::Backplane(why) => write!(f, "backplane unavailable: {why}"),
            HubError::Full(why) => f.write_str(why),
        }
    }
}

enum Backplane {
    Memory(MemoryPresence),
    #[cfg(feature = "redis")]
    Redis(Arc<RedisBackplane>),
}

struct Channel {
    /// Made for the first subscriber: a channel only published to (or only
    /// remembered for its history) costs no queue.
    tx: OnceLock<broadcast::Sender<Frame>>,
    /// The user whose subscribe or publish brought it into being; `None`
    /// for the server's own publishes.
    creator: Option<Arc<str>>,
    history: Mutex<History>,
    /// Guests subscribed (see [`GuestSeat`]); changed only under `history`,
    /// under which frames are made, so none is made without its guest text
    /// after a guest's receiver exists.
    guests: AtomicUsize,
}

impl Channel {
    fn receivers(&self) -> usize {
        self.tx.get().map_or(0, broadcast::Sender::receiver_count)
    }
}

struct History {
    last_seq: u64,
    frames: VecDeque<Frame>,
    cap: usize,
    /// What `frames` holds, as counted against `MAX_HISTORY_BYTES`.
    bytes: usize,
    /// When the channel was last published to or subscribed to; it is
    /// forgotten `HISTORY_TTL_SECONDS` after that once nobody here listens.
    touched: Instant,
    /// Set when the hub forgets the channel: a publisher that found it just
    /// before must look it up again, or its frame would count against
    /// `MAX_HISTORY_BYTES` forever.
    forgotten: bool,
}

/// What one frame of history costs, as counted against `MAX_HISTORY_BYTES`:
/// its text and the bookkeeping around it.
fn history_cost(frame: &Frame) -> usize {
    frame.text.len() + frame.guest.as_ref().map_or(0, |g| g.len()) + std::mem::size_of::<Frame>()
}

/// A channel's presence changes since its last diff.
#[derive(Default)]
struct PresenceBatch {
    /// When its last diff went out.
    sent: Option<Instant>,
    /// By client id.
    changes: HashMap<String, PresenceChange>,
}

/// One member's change between two diffs.
struct PresenceChange {
    /// A member when the last diff went out.
    was: bool,
    member: Member,
    /// A member now.
    now: bool,
}

/// A new listener of a channel: the channel, its receiver, and its seat
/// if a guest.
type Listener = (Arc<Channel>, broadcast::Receiver<Frame>, Option<GuestSeat>);

/// An epoch: its name, as clients see it, and its number on this node.
#[derive(Debug, Clone)]
pub struct Epoch {
    pub name: Arc<str>,
    /// Its place among the epochs this node has seen, oldest first; frames
    /// carry it. A later epoch has a larger number.
    pub number: u64,
}

/// The pub/sub of one node, for a service whose events are `E`.
pub struct Hub<E> {
    /// Every epoch seen, oldest first: one with the in-memory backplane; with
    /// Redis, one more each time Redis lost its data. The last is current.
    epochs: Mutex<Vec<Arc<str>>>,
    queue: usize,
    presence_ttl: Duration,
    channels: Mutex<HashMap<String, Arc<Channel>>>,
    /// Channels each user brought into being and the hub still holds,
    /// against `MAX_CHANNELS_PER_USER`; locked only under `channels`.
    created: Mutex<HashMap<Arc<str>, usize>>,
    limits: Limits,
    /// Bytes of history held, all channels together.
    history_bytes: AtomicUsize,
    backplane: Backplane,
    /// Presence entries held by this node's connections, refreshed every heartbeat.
    /// By (channel, user): the entry registered for the user's first
    /// connection there, and how many of its connections are subscribed.
    /// One entry per user, not per socket: ten tabs are one member, and
    /// joining or leaving with the others sends nobody a diff.
    local_members: Mutex<HashMap<(String, String), (Member, usize)>>,
    /// Presence changes by channel, sent at most once per
    /// `PRESENCE_INTERVAL_MS` (see [`Hub::presence_change`]).
    presence_batches: Mutex<HashMap<String, PresenceBatch>>,
    /// What guests call users.
    pseudonyms: Pseudonyms,
    events: PhantomData<fn() -> E>,
}

/// Names of epochs, for a subscription that meets a new one; the one part
/// of the hub a connection's writer needs, whatever the service's events.
pub trait EpochNames: Send + Sync {
    /// The current epoch's name.
    fn epoch(&self) -> Arc<str>;
    /// The name of the epoch numbered `number`.
    fn epoch_name(&self, number: u64) -> Option<Arc<str>>;
    /// What guests call users.
    fn pseudonyms(&self) -> &Pseudonyms;
}

impl<E: Events> EpochNames for Hub<E> {
    fn epoch(&self) -> Arc<str> {
        Hub::epoch(self)
    }

    fn epoch_name(&self, number: u64) -> Option<Arc<str>> {
        Hub::epoch_name(self, number)
    }

    fn pseudonyms(&self) -> &Pseudonyms {
        Hub::pseudonyms(self)
    }
}

/// A random id, without a random-number crate: `RandomState` is seeded
/// from the OS once per process.
pub fn random_id() -> String {
    format!("{:016x}", RandomState::new().hash_one(now_ms()))
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section here leaves its data consistent, so a panic
    // elsewhere must not take the whole hub down with a poisoned lock.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl<E: Events> Hub<E> {
    /// The in-process backplane: one node, history in memory.
    pub fn memory(queue: usize, presence_ttl: Duration) -> Hub<E> {
        Hub::new(
            random_id().into(),
            queue,
            presence_ttl,
            Backplane::Memory(MemoryPresence::default()),
        )
    }

    /// The Redis backplane: the epoch, `seq`, history and presence are shared.
    #[cfg(feature = "redis")]
    pub fn redis(
        backplane: Arc<RedisBackplane>,
        epoch: String,
        queue: usize,
        ttl: Duration,
    ) -> Hub<E> {
        Hub::new(epoch.into(), queue, ttl, Backplane::Redis(backplane))
    }

    fn new(epoch: Arc<str>, queue: usize, presence_ttl: Duration, backplane: Backplane) -> Hub<E> {
        Hub {
            epochs: Mutex::new(vec![epoch]),
            queue,
            presence_ttl,
            channels: Mutex::default(),
            created: Mutex::default(),
            limits: Limits::DEFAULT,
            history_bytes: AtomicUsize::new(0),
            backplane,
            local_members: Mutex::default(),
            presence_batches: Mutex::default(),
            pseudonyms: Pseudonyms::new(random_id().as_bytes()),
            events: PhantomData,
        }
    }

    /// The hub, bounded by `limits` rather than the defaults.
    pub fn bounded(mut self, limits: Limits) -> Hub<E> {
        self.limits = limits;
        self
    }

    /// The hub, naming users to guests with `pseudonyms` rather than with
    /// a key of its own (which other nodes would not share).
    pub fn pseudonymous(mut self, pseudonyms: Pseudonyms) -> Hub<E> {
        self.pseudonyms = pseudonyms;
        self
    }

    /// What guests call users.
    pub fn pseudonyms(&self) -> &Pseudonyms {
        &self.pseudonyms
    }

    /// Channels held on this node.
    pub fn channel_count(&self) -> usize {
        lock(&self.channels).len()
    }

    /// Bytes of history held on this node, as counted against
    /// `MAX_HISTORY_BYTES`.
    pub fn history_bytes(&self) -> usize {
        self.history_bytes.load(Ordering::Relaxed)
    }

    /// The current epoch's name.
    pub fn epoch(&self) -> Arc<str> {
        self.current_epoch().name
    }

    fn current_epoch(&self) -> Epoch {
        let epochs = lock(&self.epochs);
        let number = epochs.len().saturating_sub(1);
        Epoch {
            name: epochs.get(number).cloned().unwrap_or_else(|| "".into()),
            number: number as u64,
        }
    }

    /// The name of the epoch numbered `number`.
    pub fn epoch_name(&self, number: u64) -> Option<Arc<str>> {
        let index = usize::try_from(number).ok()?;
        lock(&self.epochs).get(index).cloned()
    }

    #[cfg(feature = "redis")]
    /// Takes note of an epoch Redis reports, and returns it with its number:
    /// a name seen before keeps its number (a late frame of an old epoch
    /// stays old); a new one is the new current epoch.
    fn observe_epoch(&self, epoch: &str) -> Epoch {
        let mut epochs = lock(&self.epochs);
        let number = match epochs.iter().rposition(|e| **e == *epoch) {
            Some(number) => number,
            None => {
                let old = epochs.last().cloned().unwrap_or_else(|| "".into());
                tracing::warn!(%old, new = epoch, "new epoch: Redis lost its data");
                epochs.push(epoch.into());
                epochs.len() - 1
            }
        };
        Epoch {
            name: Arc::clone(&epochs[number]),
            number: number as u64,
        }
    }

    /// The channel, and a new receiver of it. The receiver is made under
    /// the lock that `maintain` takes to forget unused channels, so the
    /// channel cannot be forgotten between the two.
    fn receive(&self, name: &str, user: Option<&str>, guest: bool) -> Result<Listener, HubError> {
        let mut channels = lock(&self.channels);
        let ch = self.channel_locked(&mut channels, name, user)?;
        let mut history = lock(&ch.history);
        // The sender exists before history is read (in `subscribe`), so a
        // publisher either sees it and sends, or records what it published
        // in history first: nothing falls between the two.
        let rx = ch
            .tx
            .get_or_init(|| broadcast::channel(self.queue).0)
            .subscribe();
        let seat = guest.then(|| {
            ch.guests.fetch_add(1, Ordering::Relaxed);
            GuestSeat(Arc::clone(&ch))
        });
        history.touched = Instant::now();
        drop(history);
        Ok((ch, rx, seat))
    }

    fn channel(&self, name: &str, user: Option<&str>) -> Result<Arc<Channel>, HubError> {
        self.channel_locked(&mut lock(&self.channels), name, user)
    }

    /// The channel `name`, made for `user` if need be, unless the node
    /// holds `MAX_CHANNELS` already or `user` its `MAX_CHANNELS_PER_USER`.
    fn channel_locked(
        &self,
        channels: &mut HashMap<String, Arc<Channel>>,
        name: &str,
        user: Option<&str>,
    ) -> Result<Arc<Channel>, HubError> {
        if let Some(ch) = channels.get(name) {
            return Ok(Arc::clone(ch));
        }
        if channels.len() >= self.limits.max_channels {
            return Err(HubError::Full(format!(
                "this node holds its limit of {} channels; try again later",
                self.limits.max_channels
            )));
        }
        let creator: Option<Arc<str>> = user.map(Arc::from);
        if let Some(user) = &creator {
            let mut created = lock(&self.created);
            let mine = created.entry(Arc::clone(user)).or_default();
            if *mine >= self.limits.max_channels_per_user {
                return Err(HubError::Full(format!(
                    "you hold your share of {} channels on this node; \
                     try again once some are unused",
                    self.limits.max_channels_per_user
                )));
            }
            *mine += 1;
        }
        let ch = Arc::new(Channel {
            tx: OnceLock::new(),
            creator,
            guests: AtomicUsize::new(0),
            history: Mutex::new(History {
                last_seq: 0,
                // Grown as messages come: a channel used once costs little.
                frames: VecDeque::new(),
                cap: history_of::<E>(name),
                bytes: 0,
                touched: Instant::now(),
                forgotten: false,
            }),
        });
        channels.insert(name.to_string(), Arc::clone(&ch));
        Ok(ch)
    }

    /// Starts a subscription, replaying from `since` when history allows.
    pub async fn subscribe(
        &self,
        name: &str,
        since: Option<&Position>,
    ) -> Result<Subscription, HubError> {
        self.subscribe_as(name, since, None, false).await
    }

    /// As [`Hub::subscribe`], for `user`: a channel it brings into being
    /// counts against its `MAX_CHANNELS_PER_USER`. A `guest` subscription
    /// holds a [`GuestSeat`].
    pub async fn subscribe_as(
        &self,
        name: &str,
        since: Option<&Position>,
        user: Option<&str>,
        guest: bool,
    ) -> Result<Subscription, HubError> {
        let (ch, rx, seat) = self.receive(name, user, guest)?;
        match &self.backplane {
            Backplane::Memory(_) => {
                let epoch = self.current_epoch();
                // A frame published between `receive` and here is in both
                // history and `rx`; the connection skips the repeat by `seq`.
                let history = lock(&ch.history);
                let (replay, resync) =
                    recover(since, &epoch.name, history.last_seq, history.frames.iter());
                Ok(Subscription {
                    rx,
                    epoch,
                    seq: history.last_seq,
                    replay,
                    resync,
                    seat,
                })
            }
            #[cfg(feature = "redis")]
            Backplane::Redis(redis) => {
                let (epoch, last_seq, stored) =
                    redis.history(name).await.map_err(HubError::Backplane)?;
                let epoch = self.observe_epoch(&epoch);
                let frames: Vec<Frame> = stored
                    .iter()
                    .map(|s| serialise(name, epoch.number, s.seq, s.ts, &s.message()))
                    .collect();
                let (replay, resync) = recover(since, &epoch.name, last_seq, frames.iter());
                Ok(Subscription {
                    rx,
                    epoch,
                    seq: last_seq,
                    replay,
                    resync,
                    seat,
                })
            }
        }
    }

    /// Publishes a validated event from the server itself; returns its
    /// `seq` (0 when ephemeral).
    pub async fn publish(&self, name: &str, event: &E) -> Result<u64, HubError> {
        self.publish_from(name, event, None).await
    }

    /// Publishes a validated event with its publisher's `sub` stamped on
    /// it as `from`, so nobody can pose as someone else.
    pub async fn publish_from(
        &self,
        name: &str,
        event: &E,
        from: Option<&str>,
    ) -> Result<u64, HubError> {
        let data = event.to_data();
        let message = Message {
            kind: event.name(),
            v: event.version(),
            from,
            data: &data,
        };
        self.publish_raw(name, &message, event.ephemeral()).await
    }

    async fn publish_raw(
        &self,
        name: &str,
        message: &Message<'_>,
        ephemeral: bool,
    ) -> Result<u64, HubError> {
        let ts = now_ms();
        match &self.backplane {
            Backplane::Memory(_) => {
                // `maintain` forgets a channel under the channels lock and
                // marks it under its own: look again if it did so between
                // `channel` and `record`.
                loop {
                    let ch = self.channel(name, message.from)?;
                    if let Some(seq) = self.record(&ch, name, message, ephemeral, ts)? {
                        return Ok(seq);
                    }
                }
            }
            #[cfg(feature = "redis")]
            Backplane::Redis(redis) => {
                let cap = history_of::<E>(name);
                let stored = Stored {
                    seq: 0,
                    kind: message.kind.to_string(),
                    v: message.v,
                    ts,
                    from: message.from.map(str::to_string),
                    data: message.data.to_owned(),
                };
                let (epoch, seq) = redis
                    .publish(
                        name,
                        &stored,
                        ephemeral,
                        cap,
                        self.limits.history_ttl_seconds,
                    )
                    .await
                    .map_err(HubError::Backplane)?;
                self.observe_epoch(&epoch);
                Ok(seq)
            }
        }
    }

    /// Publishes to a channel of the in-memory backplane: its `seq`, or
    /// `None` if the channel was forgotten meanwhile.
    fn record(
        &self,
        ch: &Channel,
        name: &str,
        message: &Message<'_>,
        ephemeral: bool,
        ts: u64,
    ) -> Result<Option<u64>, HubError> {
        let mut history = lock(&ch.history);
        if history.forgotten {
            return Ok(None);
        }
        let keep = !ephemeral && history.cap > 0;
        let seq = if ephemeral { 0 } else { history.last_seq + 1 };
        let mut frame = serialise(name, 0, seq, ts, message);
        if ch.guests.load(Ordering::Relaxed) > 0 {
            frame.guest = self
                .pseudonyms
                .frame(frame.text.as_str())
                .map(Utf8Bytes::from);
        }
        if keep {
            let cost = history_cost(&frame);
            let freed = if history.frames.len() == history.cap {
                history.frames.front().map_or(0, history_cost)
            } else {
                0
            };
            if self.history_bytes() + cost > self.limits.max_history_bytes + freed {
                return Err(HubError::Full(format!(
                    "this node holds its limit of {} bytes of history; try again later",
                    self.limits.max_history_bytes
                )));
            }
            if freed > 0 {
                history.frames.pop_front();
            }
            history.frames.push_back(frame.clone());
            history.bytes = history.bytes + cost - freed;
            self.history_bytes.fetch_add(cost, Ordering::Relaxed);
            self.history_bytes.fetch_sub(freed, Ordering::Relaxed);
        }
        if seq > 0 {
            history.last_seq = seq;
        }
        history.touched = Instant::now();
        // No receivers is not an error: history still records it.
        if let Some(tx) = ch.tx.get() {
            let _ = tx.send(frame);
        }
        Ok(Some(seq))
    }

    #[cfg(feature = "redis")]
    /// Fans out a message read from the Redis backplane to this node's subscribers.
    pub fn deliver(&self, name: &str, epoch: &str, stored: &Stored) {
        let epoch = self.observe_epoch(epoch);
        let Some((tx, guests)) = lock(&self.channels).get(name).and_then(|ch| {
            let guests = ch.guests.load(Ordering::Relaxed) > 0;
            ch.tx.get().cloned().map(|tx| (tx, guests))
        }) else {
            return; // nobody here listens to this channel
        };
        let mut frame = serialise(name, epoch.number, stored.seq, stored.ts, &stored.message());
        // A guest that subscribes meanwhile rewrites the frame itself.
        if guests {
            frame.guest = self
                .pseudonyms
                .frame(frame.text.as_str())
                .map(Utf8Bytes::from);
        }
        let _ = tx.send(frame);
    }

    /// Adds a member and tells the channel, unless the user is a member
    /// already through another connection on this node.
    pub async fn join(&self, name: &str, member: &Member) -> Result<(), HubError> {
        {
            let mut local = lock(&self.local_members);
            let key = (name.to_string(), member.user.clone());
            let (_, count) = local.entry(key).or_insert_with(|| (member.clone(), 0));
            *count += 1;
            if *count > 1 {
                return Ok(());
            }
        }
        // With Redis, the user may be a member through another node
        // already: only its first entry anywhere is announced.
        let joined = match &self.backplane {
            Backplane::Memory(p) => {
                p.join(name, member, self.presence_ttl);
                Some(member.clone())
            }
            #[cfg(feature = "redis")]
            Backplane::Redis(r) => r
                .presence_join(name, member, self.presence_ttl)
                .await
                .map_err(HubError::Backplane)?,
        };
        match joined {
            Some(member) => self.presence_change(name, &member, true).await,
            None => Ok(()),
        }
    }

    /// Removes one of `user`'s connections; when it was the last on this
    /// node, removes the member and tells the channel, once.
    pub async fn leave(&self, name: &str, user: &str) -> Result<(), HubError> {
        let gone = {
            let mut local = lock(&self.local_members);
            let key = (name.to_string(), user.to_string());
            match local.get_mut(&key) {
                Some((_, count)) if *count > 1 => {
                    *count -= 1;
                    None
                }
                Some(_) => local.remove(&key).map(|(m, _)| m),
                None => None,
            }
        };
        let Some(gone) = gone else {
            return Ok(());
        };
        let client = gone.client.as_str();
        let removed = match &self.backplane {
            Backplane::Memory(p) => p.leave(name, client),
            #[cfg(feature = "redis")]
            Backplane::Redis(r) => r
                .presence_leave(name, client)
                .await
                .map_err(HubError::Backplane)?,
        };
        match removed {
            Some(member) => self.presence_change(name, &member, false).await,
            None => Ok(()),
        }
    }

    pub async fn presence(&self, name: &str) -> Result<Vec<Member>, HubError> {
        match &self.backplane {
            Backplane::Memory(p) => Ok(p.list(name)),
            #[cfg(feature = "redis")]
            Backplane::Redis(r) => r.presence_list(name).await.map_err(HubError::Backplane),
        }
    }

    /// Notes that `member` joined or left `name`, and sends the channel's
    /// diff now if its last went out at least `PRESENCE_INTERVAL_MS` ago;
    /// otherwise [`Hub::flush_presence`] sends it when that much has passed.
    /// A join storm thus costs each subscriber a few frames, not one per
    /// newcomer.
    async fn presence_change(
        &self,
        name: &str,
        member: &Member,
        joined: bool,
    ) -> Result<(), HubError> {
        let now = Instant::now();
        let interval = self.limits.presence_interval();
        let due = {
            let mut batches = lock(&self.presence_batches);
            let batch = batches.entry(name.to_string()).or_default();
            batch
                .changes
                .entry(member.client.clone())
                .and_modify(|c| {
                    c.member = member.clone();
                    c.now = joined;
                })
                .or_insert_with(|| PresenceChange {
                    was: !joined,
                    member: member.clone(),
                    now: joined,
                });
            if batch
                .sent
                .is_none_or(|sent| now.duration_since(sent) >= interval)
            {
                batch.sent = Some(now);
                std::mem::take(&mut batch.changes)
            } else {
                HashMap::new()
            }
        };
        self.presence_diff(name, due).await
    }

    /// Sends the diffs that waited their channel's interval; run every
    /// `PRESENCE_INTERVAL_MS`. Channels quiet for an interval are dropped
    /// from the books, so their next change goes out at once.
    pub async fn flush_presence(&self) {
        let now = Instant::now();
        let interval = self.limits.presence_interval();
        let mut due = Vec::new();
        lock(&self.presence_batches).retain(|name, batch| {
            let waited = batch
                .sent
                .is_none_or(|sent| now.duration_since(sent) >= interval);
            if !waited {
                return true;
            }
            if batch.changes.is_empty() {
                return false;
            }
            batch.sent = Some(now);
            due.push((name.clone(), std::mem::take(&mut batch.changes)));
            true
        });
        for (name, changes) in due {
            if let Err(e) = self.presence_diff(&name, changes).await {
                tracing::warn!(error = %e, "presence diff failed");
            }
        }
    }

    /// Sends one diff for `changes`: who is there now and was not, and who
    /// was and is not (a member that came and went between two diffs is
    /// in neither).
    async fn presence_diff(
        &self,
        name: &str,
        changes: HashMap<String, PresenceChange>,
    ) -> Result<(), HubError> {
        let mut joined = Vec::new();
        let mut left = Vec::new();
        for change in changes.into_values() {
            match (change.was, change.now) {
                (false, true) => joined.push(change.member),
                (true, false) => left.push(change.member),
                _ => {}
            }
        }
        if joined.is_empty() && left.is_empty() {
            return Ok(());
        }
        joined.sort_by(|a, b| a.client.cmp(&b.client));
        left.sort_by(|a, b| a.client.cmp(&b.client));
        let mut data = serde_json::Map::new();
        if !joined.is_empty() {
            data.insert("joined".into(), serde_json::json!(joined));
        }
        if !left.is_empty() {
            data.insert("left".into(), serde_json::json!(left));
        }
        let data = serde_json::value::to_raw_value(&data)
            .map_err(|e| HubError::Backplane(e.to_string()))?;
        let message = Message {
            kind: "presence",
            v: 1,
            from: None,
            data: &data,
        };
        self.publish_raw(name, &message, true).await.map(drop)
    }

    /// Periodic upkeep, run every heartbeat: refreshes this node's presence
    /// entries, expires everyone else's stale ones, and forgets channels
    /// nobody here has used for `HISTORY_TTL_SECONDS`.
    pub async fn maintain(&self) {
        let members: Vec<(String, Member)> = lock(&self.local_members)
            .iter()
            .map(|((ch, _), (m, _))| (ch.clone(), m.clone()))
            .collect();
        let (back, expired): (Vec<(String, Member)>, _) = match &self.backplane {
            Backplane::Memory(p) => {
                for (ch, m) in &members {
                    p.join(ch, m, self.presence_ttl);
                }
                (Vec::new(), p.sweep())
            }
            #[cfg(feature = "redis")]
            Backplane::Redis(r) => {
                // Entries Redis lost (or a sweep took) are written again,
                // and their users announced again if that made them members.
                let back = r
                    .presence_refresh(&members, self.presence_ttl)
                    .await
                    .unwrap_or_else(|e| {
                        tracing::warn!(error = %e, "presence refresh failed");
                        Vec::new()
                    });
                let expired = r.presence_sweep().await.unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "presence sweep failed");
                    Vec::new()
                });
                (back, expired)
            }
        };
        for (ch, m) in back {
            if let Err(e) = self.presence_change(&ch, &m, true).await {
                tracing::warn!(error = %e, "presence diff failed");
            }
        }
        for (ch, m) in expired {
            tracing::info!(channel = %ch, client = %m.client, "presence expired");
            if let Err(e) = self.presence_change(&ch, &m, false).await {
                tracing::warn!(error = %e, "presence diff failed");
            }
        }
        // With Redis, history lives there: a channel without subscribers
        // here has nothing left to keep.
        #[cfg(feature = "redis")]
        let redis = matches!(self.backplane, Backplane::Redis(_));
        #[cfg(not(feature = "redis"))]
        let redis = false;
        self.forget_unused(redis, Instant::now());
    }

    /// Forgets the channels nobody here has used for `HISTORY_TTL_SECONDS`
    /// as of `now` (with Redis, those nobody here listens to).
    fn forget_unused(&self, redis: bool, now: Instant) {
        let ttl = self.limits.history_ttl();
        lock(&self.channels).retain(|_, ch| {
            let mut history = lock(&ch.history);
            if ch.receivers() > 0 {
                // The TTL counts from when the last subscriber left.
                history.touched = now;
                return true;
            }
            let keep = !redis && history.last_seq > 0 && now.duration_since(history.touched) < ttl;
            if !keep {
                history.forgotten = true;
                self.history_bytes
                    .fetch_sub(history.bytes, Ordering::Relaxed);
                if let Some(user) = &ch.creator {
                    let mut created = lock(&self.created);
                    if let Some(n) = created.get_mut(user) {
                        *n -= 1;
                        if *n == 0 {
                            created.remove(user);
                        }
                    }
                }
            }
            keep
        });
    }
}

/// What a publisher says, before the hub gives it a `seq` and a `ts`.
pub struct Message<'a> {
    pub kind: &'a str,
    pub v: u32,
    /// The publisher's `sub`; `None` when the server publishes.
    pub from: Option<&'a str>,
    pub data: &'a RawValue,
}

/// Serialises an envelope once; the result is shared by every subscriber.
fn serialise(name: &str, epoch: u64, seq: u64, ts: u64, message: &Message<'_>) -> Frame {
    let env = Envelope {
        v: message.v,
        kind: message.kind,
        channel: name,
        seq,
        ts,
        from: message.from,
        data: message.data,
    };
    // An envelope of strings, numbers and already-valid JSON always serialises.
    let text = serde_json::to_string(&env).unwrap_or_default();
    Frame {
        epoch,
        seq,
        text: Utf8Bytes::from(text),
        guest: None,
    }
}

/// What to send a client resuming from `since`: the frames it missed, or
/// `resync` when they are gone (history too short, or another epoch).
fn recover<'a>(
    since: Option<&Position>,
    epoch: &str,
    last_seq: u64,
    history: impl Iterator<Item = &'a Frame>,
) -> (Vec<Frame>, bool) {
    let Some(since) = since else {
        return (Vec::new(), false);
    };
    if since.epoch != epoch || since.seq > last_seq {
        return (Vec::new(), true);
    }
    if since.seq == last_seq {
        return (Vec::new(), false);
    }
    let missed: Vec<Frame> = history.filter(|f| f.seq > since.seq).cloned().collect();
    // Complete only if it starts right after `since` (seqs are dense).
    if missed.first().map(|f| f.seq) == Some(since.seq + 1) {
        (missed, false)
    } else {
        (Vec::new(), true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::testing::Event;

    fn frames(seqs: &[u64]) -> Vec<Frame> {
        seqs.iter()
            .map(|&seq| Frame {
                epoch: 0,
                seq,
                text: Utf8Bytes::from(seq.to_string()),
                guest: None,
            })
            .collect()
    }

    #[track_caller]
    fn case(since: Option<(&str, u64)>, last: u64, history: &[u64], replay: &[u64], resync: bool) {
        let since = since.map(|(e, s)| Position {
            epoch: e.into(),
            seq: s,
        });
        let h = frames(history);
        let (got, r) = recover(since.as_ref(), "E", last, h.iter());
        assert_eq!(got.iter().map(|f| f.seq).collect::<Vec<_>>(), replay);
        assert_eq!(r, resync);
    }

    #[test]
    fn recovery_replays_or_resyncs() {
        case(None, 5, &[3, 4, 5], &[], false);
        case(Some(("E", 5)), 5, &[3, 4, 5], &[], false);
        case(Some(("E", 3)), 5, &[3, 4, 5], &[4, 5], false);
        case(Some(("E", 2)), 5, &[3, 4, 5], &[3, 4, 5], false);
        case(Some(("E", 1)), 5, &[3, 4, 5], &[], true);
        case(Some(("old", 5)), 5, &[3, 4, 5], &[], true);
        case(Some(("E", 9)), 5, &[3, 4, 5], &[], true);
        case(Some(("E", 0)), 2, &[], &[], true);
    }

    #[cfg(feature = "redis")]
    #[test]
    fn an_epoch_seen_again_keeps_its_number() {
        let hub = Hub::<Event>::memory(8, Duration::from_secs(1));
        let first = hub.epoch();
        let second = hub.observe_epoch("second");
        assert_eq!((second.number, &*hub.epoch()), (1, "second"));
        // A late frame of the first epoch is still of the first epoch, and
        // does not make it current again.
        let late = hub.observe_epoch(&first);
        assert_eq!((late.number, &*late.name), (0, &*first));
        assert_eq!(&*hub.epoch(), "second");
        assert_eq!(hub.epoch_name(1).as_deref(), Some("second"));
        assert_eq!(hub.epoch_name(7), None);
        assert_eq!(hub.observe_epoch("third").number, 2);
    }

    async fn put(
        hub: &Hub<Event>,
        name: &str,
        ephemeral: bool,
        data: &RawValue,
    ) -> Result<u64, HubError> {
        let message = Message {
            kind: "test",
            v: 1,
            from: Some("ada"),
            data,
        };
        hub.publish_raw(name, &message, ephemeral).await
    }

    #[tokio::test]
    async fn history_is_a_bounded_ring() {
        const CHANNEL: &str = "room:1";
        const HISTORY: u64 = 4;
        let hub = Hub::<Event>::memory(8, Duration::from_secs(1));
        let data = RawValue::from_string("{}".to_string()).unwrap();
        for i in 0..HISTORY + 5 {
            let seq = put(&hub, CHANNEL, false, &data).await;
            assert_eq!(seq.unwrap(), i + 1);
        }
        let since = Position {
            epoch: hub.epoch().to_string(),
            seq: 5,
        };
        let sub = hub.subscribe(CHANNEL, Some(&since)).await.unwrap();
        assert_eq!(sub.replay.len() as u64, HISTORY);
        assert_eq!(sub.replay[0].seq, 6);
        assert!(sub.replay[0].text.as_str().contains(r#""type":"test""#));
        let since = Position { seq: 4, ..since };
        assert!(hub.subscribe(CHANNEL, Some(&since)).await.unwrap().resync);
    }

    #[tokio::test]
    async fn guests_get_publishers_under_pseudonyms_live_and_replayed() {
        let hub = Hub::<Event>::memory(8, Duration::from_secs(1));
        let ada = hub.pseudonyms().of("room:1", "ada");
        let data = RawValue::from_string("{}".to_string()).unwrap();
        // Made while no guest listened: the guest's connection rewrites it.
        put(&hub, "room:1", false, &data).await.unwrap();
        let since = Position {
            epoch: hub.epoch().to_string(),
            seq: 0,
        };
        let mut sub = hub
            .subscribe_as("room:1", Some(&since), Some("gus"), true)
            .await
            .unwrap();
        let replayed = sub.replay.remove(0);
        assert!(replayed.guest.is_none());
        let text = replayed.for_guest(hub.pseudonyms());
        assert!(text.contains(&format!(r#""from":"{ada}""#)), "{text}");
        // Made while a guest listens: its guest text is made once, with it.
        put(&hub, "room:1", false, &data).await.unwrap();
        let live = sub.rx.recv().await.unwrap();
        assert!(live.text.contains(r#""from":"ada""#), "members see the sub");
        let guest = live.guest.clone().expect("a guest text");
        assert!(guest.contains(&format!(r#""from":"{ada}""#)), "{guest}");
        assert_eq!(live.for_guest(hub.pseudonyms()), guest);
        // Once the guest is gone, frames cost no guest text again.
        drop(sub);
        let mut member = hub.subscribe("room:1", None).await.unwrap();
        put(&hub, "room:1", false, &data).await.unwrap();
        assert!(member.rx.recv().await.unwrap().guest.is_none());
    }

    #[tokio::test]
    async fn presence_diffs_go_out_at_most_once_per_interval() {
        let hub = Hub::<Event>::memory(1024, Duration::from_secs(60)).bounded(Limits {
            presence_interval_ms: 50,
            ..Limits::DEFAULT
        });
        let mut watcher = hub.subscribe("room:1", None).await.unwrap();
        let member = |name: &str| Member {
            client: name.to_string(),
            user: name.to_string(),
        };
        let diff = |frame: Frame| {
            let v: serde_json::Value = serde_json::from_str(frame.text.as_str()).unwrap();
            let users = |change: &str| -> Vec<String> {
                v["data"][change]
                    .as_array()
                    .map(|m| {
                        m.iter()
                            .map(|m| m["user"].as_str().unwrap().into())
                            .collect()
                    })
                    .unwrap_or_default()
            };
            (users("joined"), users("left"))
        };
        // A quiet channel's first change goes out at once.
        hub.join("room:1", &member("a")).await.unwrap();
        let first = diff(watcher.rx.try_recv().unwrap());
        assert_eq!(first, (vec!["a".to_string()], vec![]));
        // A storm within the interval waits, and goes out as one diff.
        for i in 0..100 {
            hub.join("room:1", &member(&format!("n{i:02}")))
                .await
                .unwrap();
        }
        hub.leave("room:1", "n05").await.unwrap(); // came and went: in neither
        hub.leave("room:1", "a").await.unwrap();
        hub.flush_presence().await;
        assert!(
            watcher.rx.try_recv().is_err(),
            "nothing before the interval"
        );
        tokio::time::sleep(Duration::from_millis(60)).await;
        hub.flush_presence().await;
        let (joined, left) = diff(watcher.rx.try_recv().unwrap());
        assert_eq!(joined.len(), 99);
        assert!(!joined.contains(&"n05".to_string()));
        assert_eq!(left, ["a"]);
        assert!(watcher.rx.try_recv().is_err(), "one diff for the storm");
        // Once the channel has been quiet for an interval, it is forgotten
        // and its next change goes out at once again.
        tokio::time::sleep(Duration::from_millis(60)).await;
        hub.flush_presence().await;
        assert!(lock(&hub.presence_batches).is_empty());
        hub.join("room:1", &member("b")).await.unwrap();
        assert_eq!(diff(watcher.rx.try_recv().unwrap()).0, ["b"]);
    }

    fn small(max_channels: usize, max_history_bytes: usize) -> Hub<Event> {
        Hub::<Event>::memory(8, Duration::from_secs(1)).bounded(Limits {
            max_channels,
            max_history_bytes,
            history_ttl_seconds: 1,
            ..Limits::DEFAULT
        })
    }

    #[tokio::test]
    async fn channels_past_the_cap_are_refused_until_unused_ones_expire() {
        let hub = small(3, 1 << 20);
        let data = RawValue::from_string("{}".to_string()).unwrap();
        for i in 0..3 {
            put(&hub, &format!("room:{i}"), false, &data).await.unwrap();
        }
        let full = put(&hub, "room:9", false, &data).await;
        assert!(matches!(full, Err(HubError::Full(_))), "{full:?}");
        assert!(matches!(
            hub.subscribe("room:9", None).await,
            Err(HubError::Full(_))
        ));
        // Known channels still take messages.
        assert_eq!(put(&hub, "room:0", false, &data).await.unwrap(), 2);
        assert!(hub.history_bytes() > 0);
        // One is listened to: it stays; the others go with their history.
        let sub = hub.subscribe("room:1", None).await.unwrap();
        hub.forget_unused(false, Instant::now() + Duration::from_secs(2));
        assert_eq!(hub.channel_count(), 1);
        let one = hub.history_bytes();
        assert!(one > 0 && one < 200, "{one}");
        // The TTL counts from when the last subscriber left.
        drop(sub);
        hub.forget_unused(false, Instant::now() + Duration::from_secs(2));
        assert_eq!(hub.channel_count(), 1);
        hub.forget_unused(false, Instant::now() + Duration::from_secs(4));
        assert_eq!((hub.channel_count(), hub.history_bytes()), (0, 0));
        assert_eq!(put(&hub, "room:9", false, &data).await.unwrap(), 1);
    }

    #[tokio::test]
    async fn one_user_cannot_take_every_channel() {
        let hub = Hub::<Event>::memory(8, Duration::from_secs(1)).bounded(Limits {
            max_channels: 10,
            max_channels_per_user: 3,
            history_ttl_seconds: 1,
            ..Limits::DEFAULT
        });
        for i in 0..3 {
            hub.subscribe_as(&format!("room:m{i}"), None, Some("mallory"), false)
                .await
                .unwrap();
        }
        let refused = hub
            .subscribe_as("room:m9", None, Some("mallory"), false)
            .await;
        assert!(
            matches!(&refused, Err(HubError::Full(why)) if why.contains("your share of 3 channels")),
            "{:?}",
            refused.err()
        );
        // Publishing counts as much as subscribing.
        let data = RawValue::from_string("{}".to_string()).unwrap();
        let message = Message {
            kind: "test",
            v: 1,
            from: Some("mallory"),
            data: &data,
        };
        assert!(matches!(
            hub.publish_raw("room:m8", &message, false).await,
            Err(HubError::Full(_))
        ));
        // Channels that exist are open to all; others still get new ones.
        hub.subscribe_as("room:m0", None, Some("mallory"), false)
            .await
            .unwrap();
        hub.subscribe_as("room:a", None, Some("ada"), false)
            .await
            .unwrap();
        // The share comes back as the user's channels are forgotten.
        hub.forget_unused(false, Instant::now() + Duration::from_secs(2));
        assert_eq!(hub.channel_count(), 0);
        hub.subscribe_as("room:m9", None, Some("mallory"), false)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn history_past_the_byte_cap_is_refused() {
        let data = RawValue::from_string(format!("\"{}\"", "x".repeat(450))).unwrap();
        let hub = small(100, 2000);
        let mut kept = 0;
        let refused = loop {
            match put(&hub, &format!("room:{kept}"), false, &data).await {
                Ok(_) => kept += 1,
                Err(e) => break e,
            }
        };
        assert_eq!(kept, 3, "three frames of about 600 bytes fit in 2000");
        assert!(
            refused.to_string().contains("2000 bytes of history"),
            "{refused}"
        );
        assert!(hub.history_bytes() <= 2000);
        // Ephemeral events keep nothing, so they still go through.
        assert_eq!(put(&hub, "room:0", true, &data).await.unwrap(), 0);
    }
}
