//! What one user and one address may hold: connections and a frame rate.
//!
//! Limits per connection are no limit at all when a client can open more
//! connections, so they are kept per user (the token's `sub`) and per
//! address (the peer's IP) instead, WebSocket and SSE together:
//!
//! - at most `MAX_CONNECTIONS_PER_USER` and `MAX_CONNECTIONS_PER_ADDRESS`
//!   open at once; the next upgrade is answered 429;
//! - one token bucket per user, shared by all its connections, which every
//!   frame it sends draws from (text, binary, ping and pong alike): ten
//!   sockets with one token get the rate of one.
//!
//! An [`Admission`] is the right to one connection; dropping it gives the
//! right back, however the connection ends. A user's bucket outlives its
//! last connection by [`BUCKET_KEPT`], so that closing and opening a
//! socket does not hand out a full bucket: after that long the bucket
//! would have refilled anyway, and the entry is dropped (swept as users
//! are admitted), so idle users cost nothing.
//!
//! The user's entry also keeps what history it had replayed in the current
//! [`REPLAY_WINDOW`], against `MAX_REPLAY_BYTES_PER_USER`: resuming is
//! cheap to ask for and may be costly to answer, so a user cannot have
//! history replayed faster than that, however many sockets it opens.
//!
//! Behind a proxy every client has the proxy's address: raise
//! `MAX_CONNECTIONS_PER_ADDRESS` there (the per-user limit still holds).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use std::time::Duration;

use tokio::time::Instant;

pub use crate::limits::REPLAY_WINDOW;

/// How long a user's bucket is kept after its last connection closes: past
/// the time an empty bucket takes to refill (one second), with room for a
/// slow reconnect.
pub const BUCKET_KEPT: Duration = Duration::from_secs(5);

/// Refills `rate` tokens per second up to `rate`.
#[derive(Debug)]
pub struct TokenBucket {
    rate: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    pub fn new(rate: u32) -> Self {
        TokenBucket {
            rate: f64::from(rate),
            tokens: f64::from(rate),
            last: Instant::now(),
        }
    }

    /// Takes a token if there is one.
    pub fn take(&mut self) -> bool {
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

/// Why a connection was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    User,
    Address,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Refusal::User => "too many connections for this user",
            Refusal::Address => "too many connections from this address",
        })
    }
}

/// Bytes of history replayed to a user in the current window.
#[derive(Debug)]
struct ReplayWindow {
    started: Instant,
    bytes: usize,
}

struct User {
    connections: usize,
    bucket: Arc<Mutex<TokenBucket>>,
    replay: Arc<Mutex<ReplayWindow>>,
    /// When its last connection closed, while it has none.
    idle_since: Option<Instant>,
}

#[derive(Default)]
struct Tables {
    users: HashMap<String, User>,
    addresses: HashMap<IpAddr, usize>,
    /// When idle users were last swept.
    swept: Option<Instant>,
}

impl Tables {
    /// Forgets users idle for longer than [`BUCKET_KEPT`], at most once per
    /// that period, so the sweep costs O(1) per admission on average.
    fn sweep(&mut self, now: Instant) {
        if self
            .swept
            .is_some_and(|at| now.duration_since(at) < BUCKET_KEPT)
        {
            return;
        }
        self.swept = Some(now);
        self.users.retain(|_, u| {
            u.idle_since
                .is_none_or(|at| now.duration_since(at) < BUCKET_KEPT)
        });
    }
}

/// The connections and buckets of every user and address on this node.
pub struct Quotas {
    per_user: usize,
    per_address: usize,
    rate: u32,
    /// Bytes of history one user may have replayed per window.
    replay_budget: usize,
    tables: Mutex<Tables>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every update leaves the tables consistent; a panic elsewhere must not
    // turn every later connection away.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Quotas {
    pub fn new(per_user: usize, per_address: usize, rate: u32) -> Quotas {
        Quotas {
            per_user,
            per_address,
            rate,
            replay_budget: usize::MAX,
            tables: Mutex::default(),
        }
    }

    /// Lets each user have `bytes` of history replayed per [`REPLAY_WINDOW`].
    pub fn with_replay_budget(mut self, bytes: usize) -> Quotas {
        self.replay_budget = bytes;
        self
    }

    /// The right to one more connection for `user` from `address`.
    pub fn admit(self: &Arc<Self>, user: &str, address: IpAddr) -> Result<Admission, Refusal> {
        let mut t = lock(&self.tables);
        t.sweep(Instant::now());
        let Tables {
            users, addresses, ..
        } = &mut *t;
        if users
            .get(user)
            .is_some_and(|u| u.connections >= self.per_user)
        {
            return Err(Refusal::User);
        }
        let from_address = addresses.entry(address).or_default();
        if *from_address >= self.per_address {
            return Err(Refusal::Address);
        }
        *from_address += 1;
        let entry = users.entry(user.to_string()).or_insert_with(|| User {
            connections: 0,
            bucket: Arc::new(Mutex::new(TokenBucket::new(self.rate))),
            replay: Arc::new(Mutex::new(ReplayWindow {
                started: Instant::now(),
                bytes: 0,
            })),
            idle_since: None,
        });
        entry.connections += 1;
        entry.idle_since = None;
        Ok(Admission {
            quotas: Arc::clone(self),
            user: user.to_string(),
            address,
            bucket: Arc::clone(&entry.bucket),
            replay: Arc::clone(&entry.replay),
            replay_budget: self.replay_budget,
        })
    }

    /// Open connections of `user`.
    pub fn connections_of(&self, user: &str) -> usize {
        lock(&self.tables)
            .users
            .get(user)
            .map_or(0, |u| u.connections)
    }
}

/// One admitted connection; dropping it frees its place.
pub struct Admission {
    quotas: Arc<Quotas>,
    user: String,
    address: IpAddr,
    bucket: Arc<Mutex<TokenBucket>>,
    replay: Arc<Mutex<ReplayWindow>>,
    replay_budget: usize,
}

impl Admission {
    /// Takes a token from the user's bucket, shared by its connections.
    pub fn take(&self) -> bool {
        lock(&self.bucket).take()
    }

    /// Counts `bytes` of history about to be replayed to the user: `false`
    /// (and nothing counted) when that would pass its budget for the
    /// current window.
    pub fn take_replay(&self, bytes: usize) -> bool {
        let mut w = lock(&self.replay);
        let now = Instant::now();
        if now.duration_since(w.started) >= REPLAY_WINDOW {
            w.started = now;
            w.bytes = 0;
        }
        match w.bytes.checked_add(bytes) {
            Some(total) if total <= self.replay_budget => {
                w.bytes = total;
                true
            }
            _ => false,
        }
    }
}

impl Drop for Admission {
    fn drop(&mut self) {
        let mut t = lock(&self.quotas.tables);
        if let Some(n) = t.addresses.get_mut(&self.address) {
            *n -= 1;
            if *n == 0 {
                t.addresses.remove(&self.address);
            }
        }
        if let Some(u) = t.users.get_mut(&self.user) {
            u.connections -= 1;
            if u.connections == 0 {
                // Kept for a while: a reconnect gets this bucket, not a full one.
                u.idle_since = Some(Instant::now());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, last])
    }

    #[test]
    fn connections_are_capped_per_user_and_per_address() {
        let q = Arc::new(Quotas::new(2, 3, 10));
        let a1 = q.admit("ada", ip(1)).unwrap();
        let a2 = q.admit("ada", ip(2)).unwrap();
        assert_eq!(q.admit("ada", ip(3)).err(), Some(Refusal::User));
        let b1 = q.admit("bob", ip(1)).unwrap();
        let _c1 = q.admit("cy", ip(1)).unwrap();
        assert_eq!(q.admit("dee", ip(1)).err(), Some(Refusal::Address));
        drop((a1, b1));
        assert_eq!(q.connections_of("ada"), 1);
        assert!(q.admit("dee", ip(1)).is_ok());
        drop(a2);
        assert_eq!(q.connections_of("ada"), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_reconnect_gets_the_users_bucket_until_it_would_have_refilled() {
        let q = Arc::new(Quotas::new(10, 10, 4));
        let first = q.admit("ada", ip(1)).unwrap();
        assert_eq!((0..4).filter(|_| first.take()).count(), 4);
        drop(first);
        let again = q.admit("ada", ip(1)).unwrap();
        assert!(!again.take(), "closing a socket does not refill the bucket");
        drop(again);
        tokio::time::advance(BUCKET_KEPT).await;
        // The next admission sweeps the idle user away; a fresh bucket is
        // what the old one would hold by now.
        let _bob = q.admit("bob", ip(2)).unwrap();
        assert!(!lock(&q.tables).users.contains_key("ada"));
        assert_eq!(lock(&q.tables).users.len(), 1);
    }

    #[tokio::test]
    async fn a_users_connections_share_one_bucket() {
        let q = Arc::new(Quotas::new(10, 10, 4));
        let one = q.admit("ada", ip(1)).unwrap();
        let two = q.admit("ada", ip(2)).unwrap();
        let other = q.admit("bob", ip(1)).unwrap();
        let taken = (0..3).filter(|_| one.take()).count() + (0..3).filter(|_| two.take()).count();
        assert_eq!(taken, 4);
        assert!(other.take(), "another user has a bucket of its own");
        // Half a second refills half the rate, for the user as a whole.
        tokio::time::sleep(std::time::Duration::from_millis(520)).await;
        assert_eq!((0..4).filter(|_| two.take()).count(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_users_replays_share_one_budget_per_window() {
        let q = Arc::new(Quotas::new(10, 10, 4).with_replay_budget(1000));
        let one = q.admit("ada", ip(1)).unwrap();
        let two = q.admit("ada", ip(2)).unwrap();
        assert!(one.take_replay(600));
        assert!(!two.take_replay(600), "the budget is the user's");
        assert!(two.take_replay(400));
        assert!(q.admit("bob", ip(3)).unwrap().take_replay(1000));
        tokio::time::advance(REPLAY_WINDOW).await;
        assert!(one.take_replay(1000), "a new window, a new budget");
    }
}
