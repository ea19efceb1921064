//! The Redis backplane: several nodes share `seq`, history and presence, and
//! see each other's messages in order.
//!
//! Redis is the broker; this module only maps the hub's needs onto it:
//!
//! | key | type | holds |
//! |---|---|---|
//! | `{prefix}:epoch` | string | the history epoch, set by whoever finds it missing |
//! | `{prefix}:seq` | hash | channel → last `seq` |
//! | `{prefix}:history:{channel}` | stream | the last `history` messages (`MAXLEN`) |
//! | `{prefix}:fanout` | stream | every message, for every node |
//! | `{prefix}:presence:{channel}` | hash | client → member and expiry |
//! | `{prefix}:presence-users:{channel}` | hash | user → its entries, all nodes together |
//! | `{prefix}:presence-reps:{channel}` | hash | user → the client it is shown as |
//! | `{prefix}:presence` | set | channels with presence entries |
//!
//! Presence is per user across nodes, as it is per user on one node: a
//! user with connections on several nodes has an entry from each, but is
//! one member, shown under the client of its first entry. The scripts that
//! add and remove entries count them per user atomically, so exactly one
//! node announces the user's `joined` (its first entry anywhere) and one
//! its `left` (its last), with the same client id.
//!
//! Publishing runs one Lua script, so assigning the `seq`, appending to the
//! channel's history and appending to the fan-out stream happen atomically:
//! the fan-out stream's order is the `seq` order. Each node runs one reader
//! task that follows the fan-out stream with `XREAD BLOCK` from the last id
//! it saw and hands each entry to the hub. On an error it reconnects with
//! back-off and continues from that id, so a short Redis outage delays
//! messages but loses none still in the stream (capped at about
//! `FANOUT_MAXLEN` entries).
//!
//! The epoch names the numbering the `seq` counters are in. A Redis that
//! restarts without persistence (or is flushed) loses the counters with the
//! epoch key, and every `seq` starts again from 1. So the epoch is read in
//! the same atomic step as the counters: the publish script and the history
//! snapshot each create a new epoch when the key is missing, every fan-out
//! entry carries the epoch of its `seq`, and the hub moves subscribers to
//! the new epoch with a `resync`. A client resuming from a position before
//! the loss then has an unknown epoch, and resyncs instead of being told
//! that a reused `seq` is where it stopped. The keys must therefore not be
//! evicted one by one (`maxmemory-policy` must stay `noeviction`, the
//! default).
//!
//! Commands go through a `ConnectionManager`, which reconnects by itself.
//! It retries a lost connection only `COMMAND_RETRIES` times, so during an
//! outage a publish or `/healthz` fails within a second rather than after
//! the manager's default six attempts, several seconds later. The reader
//! has its own connection, because a blocking `XREAD` would hold up every
//! other command on a shared one.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig, MultiplexedConnection};
use redis::streams::{StreamId, StreamReadOptions, StreamReadReply};
use redis::{AsyncCommands, AsyncConnectionConfig, Client, Script};
use serde_json::value::RawValue;
use tokio_util::sync::CancellationToken;

use crate::hub::Hub;
use crate::presence::Member;
use crate::protocol::now_ms;
use crate::schema::Events;

/// Entries kept in the fan-out stream: enough for a reader to catch up after
/// a pause of a few seconds at high load.
const FANOUT_MAXLEN: usize = 100_000;

/// Entries read per `XREAD`.
const READ_BATCH: usize = 512;

/// Reconnection attempts (after 0.1 s, then 0.2 s, with jitter) before a
/// command fails; the next command starts another round.
const COMMAND_RETRIES: usize = 2;

/// The reader's first pause after an error; it doubles up to `MAX_BACKOFF`.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Returns `{epoch, seq}`. A missing epoch key means Redis lost its data,
/// counters included: the candidate in `ARGV[9]` becomes the new epoch. A
/// channel's history expires `ARGV[11]` seconds after its last message
/// (`HISTORY_TTL_SECONDS`), so unused channels do not fill Redis.
const PUBLISH: &str = r"
local epoch = redis.call('GET', KEYS[4])
if not epoch then
  epoch = ARGV[9]
  redis.call('SET', KEYS[4], epoch)
end
local seq = 0
if ARGV[6] == '0' then
  seq = redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
  if tonumber(ARGV[7]) > 0 then
    redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[7], '*',
      'seq', seq, 'type', ARGV[2], 'v', ARGV[3], 'ts', ARGV[4], 'data', ARGV[5], 'from', ARGV[10])
    redis.call('EXPIRE', KEYS[2], ARGV[11])
  end
end
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[8], '*', 'channel', ARGV[1], 'epoch', epoch,
  'seq', seq, 'type', ARGV[2], 'v', ARGV[3], 'ts', ARGV[4], 'data', ARGV[5], 'from', ARGV[10])
return {epoch, seq}
";

/// A message as stored in a stream.
#[derive(Debug, Clone)]
pub struct Stored {
    pub seq: u64,
    pub kind: String,
    pub v: u32,
    pub ts: u64,
    /// The publisher's `sub`, if a client published it.
    pub from: Option<String>,
    pub data: Box<RawValue>,
}

impl Stored {
    fn from_entry(entry: &StreamId) -> Option<Stored> {
        let data: String = entry.get("data")?;
        Some(Stored {
            seq: entry.get::<String>("seq")?.parse().ok()?,
            kind: entry.get("type")?,
            v: entry.get::<String>("v")?.parse().ok()?,
            ts: entry.get::<String>("ts")?.parse().ok()?,
            from: entry.get::<String>("from").filter(|f| !f.is_empty()),
            data: RawValue::from_string(data).ok()?,
        })
    }

    /// The message, to serialise for subscribers.
    pub fn message(&self) -> crate::hub::Message<'_> {
        crate::hub::Message {
            kind: &self.kind,
            v: self.v,
            from: self.from.as_deref(),
            data: &self.data,
        }
    }
}

/// Writes an entry (KEYS: entries, users, reps, channels; ARGV: client,
/// entry, user, channel). A new entry counts for its user; the user's
/// first makes it a member, shown as this client, which is returned.
const PRESENCE_ADD: &str = r"
if redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) == 0 then
  return false
end
redis.call('SADD', KEYS[4], ARGV[4])
if redis.call('HINCRBY', KEYS[2], ARGV[3], 1) == 1 then
  redis.call('HSET', KEYS[3], ARGV[3], ARGV[1])
  return ARGV[1]
end
return false
";

/// Removes an entry (KEYS: entries, users, reps; ARGV: client, and the
/// time before which it must have expired, or 0 for any). The user's last
/// entry ends its membership: returns the user and the client it was
/// shown as.
const PRESENCE_REMOVE: &str = r"
local entry = redis.call('HGET', KEYS[1], ARGV[1])
if not entry then
  return false
end
local e = cjson.decode(entry)
if tonumber(ARGV[2]) > 0 and tonumber(e['expires']) > tonumber(ARGV[2]) then
  return false
end
redis.call('HDEL', KEYS[1], ARGV[1])
if redis.call('HINCRBY', KEYS[2], e['user'], -1) > 0 then
  return false
end
redis.call('HDEL', KEYS[2], e['user'])
local shown = redis.call('HGET', KEYS[3], e['user']) or ARGV[1]
redis.call('HDEL', KEYS[3], e['user'])
return {e['user'], shown}
";

pub struct RedisBackplane {
    client: Client,
    conn: ConnectionManager,
    prefix: String,
    publish: Script,
    presence_add: Script,
    presence_remove: Script,
}

fn err(e: redis::RedisError) -> String {
    e.to_string()
}

impl RedisBackplane {
    pub async fn connect(url: &str, prefix: &str) -> Result<RedisBackplane, String> {
        let client = Client::open(url).map_err(err)?;
        let config = ConnectionManagerConfig::new().set_number_of_retries(COMMAND_RETRIES);
        let conn = client
            .get_connection_manager_with_config(config)
            .await
            .map_err(err)?;
        Ok(RedisBackplane {
            client,
            conn,
            prefix: prefix.to_string(),
            publish: Script::new(PUBLISH),
            presence_add: Script::new(PRESENCE_ADD),
            presence_remove: Script::new(PRESENCE_REMOVE),
        })
    }

    fn key(&self, parts: &[&str]) -> String {
        let mut k = self.prefix.clone();
        for p in parts {
            k.push(':');
            k.push_str(p);
        }
        k
    }

    /// The shared epoch: the first node to start picks it.
    pub async fn epoch(&self) -> Result<String, String> {
        let mut c = self.conn.clone();
        let key = self.key(&["epoch"]);
        let (epoch,): (String,) = redis::pipe()
            .atomic()
            .set_nx(&key, crate::hub::random_id())
            .ignore()
            .get(&key)
            .query_async(&mut c)
            .await
            .map_err(err)?;
        Ok(epoch)
    }

    pub async fn ping(&self) -> Result<(), String> {
        let mut c = self.conn.clone();
        redis::cmd("PING")
            .query_async::<String>(&mut c)
            .await
            .map(drop)
            .map_err(err)
    }

    /// Assigns the next `seq` and fans the message out; returns the epoch
    /// the `seq` belongs to, and the `seq` (0 when ephemeral).
    pub async fn publish(
        &self,
        channel: &str,
        msg: &Stored,
        ephemeral: bool,
        history: usize,
        history_ttl_seconds: u64,
    ) -> Result<(String, u64), String> {
        let mut c = self.conn.clone();
        self.publish
            .key(self.key(&["seq"]))
            .key(self.key(&["history", channel]))
            .key(self.key(&["fanout"]))
            .key(self.key(&["epoch"]))
            .arg(channel)
            .arg(&msg.kind)
            .arg(msg.v)
            .arg(msg.ts)
            .arg(msg.data.get())
            .arg(if ephemeral { "1" } else { "0" })
            .arg(history)
            .arg(FANOUT_MAXLEN)
            .arg(crate::hub::random_id())
            .arg(msg.from.as_deref().unwrap_or(""))
            .arg(history_ttl_seconds)
            .invoke_async(&mut c)
            .await
            .map_err(err)
    }

    /// One snapshot of the epoch, the channel's last `seq` and its stored
    /// history, oldest first.
    pub async fn history(&self, channel: &str) -> Result<(String, u64, Vec<Stored>), String> {
        let mut c = self.conn.clone();
        let epoch_key = self.key(&["epoch"]);
        let (epoch, last, range): (String, Option<u64>, redis::streams::StreamRangeReply) =
            redis::pipe()
                .atomic()
                .set_nx(&epoch_key, crate::hub::random_id())
                .ignore()
                .get(&epoch_key)
                .hget(self.key(&["seq"]), channel)
                .xrange_all(self.key(&["history", channel]))
                .query_async(&mut c)
                .await
                .map_err(err)?;
        let stored = range.ids.iter().filter_map(Stored::from_entry).collect();
        Ok((epoch, last.unwrap_or(0), stored))
    }

    /// Follows the fan-out stream until `stop`, delivering to `hub`.
    pub fn spawn_reader<E: Events>(
        self: Arc<Self>,
        hub: std::sync::Weak<Hub<E>>,
        stop: CancellationToken,
    ) {
        tokio::spawn(async move {
            let mut last_id: Option<String> = None;
            let mut backoff = FIRST_BACKOFF;
            while !stop.is_cancelled() {
                let result = tokio::select! {
                    r = self.follow(&hub, &mut last_id, &mut backoff) => r,
                    () = stop.cancelled() => return,
                };
                if let Err(e) = result {
                    tracing::warn!(error = %e, ?backoff, "redis reader failed; reconnecting");
                    tokio::select! {
                        () = tokio::time::sleep(backoff) => {}
                        () = stop.cancelled() => return,
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                } else {
                    return; // the hub is gone
                }
            }
        });
    }

    async fn reader_connection(&self) -> Result<MultiplexedConnection, String> {
        let config =
            AsyncConnectionConfig::new().set_response_timeout(Some(Duration::from_secs(10)));
        self.client
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map_err(err)
    }

    /// Delivers fan-out entries until an error; resets `backoff` once Redis
    /// answers again, so the next outage starts with short pauses too.
    async fn follow<E: Events>(
        &self,
        hub: &std::sync::Weak<Hub<E>>,
        last_id: &mut Option<String>,
        backoff: &mut Duration,
    ) -> Result<(), String> {
        let mut c = self.reader_connection().await?;
        let key = self.key(&["fanout"]);
        if last_id.is_none() {
            // Start at the current end: older entries are history, not news.
            let newest: redis::streams::StreamRangeReply =
                c.xrevrange_count(&key, "+", "-", 1).await.map_err(err)?;
            *last_id = Some(
                newest
                    .ids
                    .first()
                    .map_or("0-0".to_string(), |e| e.id.clone()),
            );
        }
        let options = StreamReadOptions::default().block(1000).count(READ_BATCH);
        loop {
            let from = last_id.clone().unwrap_or_else(|| "0-0".to_string());
            let reply: Option<StreamReadReply> = c
                .xread_options(&[&key], &[&from], &options)
                .await
                .map_err(err)?;
            *backoff = FIRST_BACKOFF;
            let Some(hub) = hub.upgrade() else {
                return Ok(());
            };
            for entry in reply.iter().flat_map(|r| &r.keys).flat_map(|k| &k.ids) {
                *last_id = Some(entry.id.clone());
                let channel: Option<String> = entry.get("channel");
                let epoch: Option<String> = entry.get("epoch");
                match (channel, epoch, Stored::from_entry(entry)) {
                    (Some(channel), Some(epoch), Some(msg)) => hub.deliver(&channel, &epoch, &msg),
                    _ => tracing::warn!(id = %entry.id, "skipping a malformed fan-out entry"),
                }
            }
        }
    }

    /// Adds `m`'s entry; the member to announce as `joined` if it is the
    /// user's first entry on any node.
    pub async fn presence_join(
        &self,
        channel: &str,
        m: &Member,
        ttl: Duration,
    ) -> Result<Option<Member>, String> {
        let mut joined = self
            .presence_refresh(&[(channel.to_string(), m.clone())], ttl)
            .await?;
        Ok(joined.pop().map(|(_, m)| m))
    }

    /// Writes the entries with a new expiry; returns those that were gone
    /// (Redis lost them, or a sweep took them) and made their user a member
    /// again, to announce as `joined`.
    pub async fn presence_refresh(
        &self,
        members: &[(String, Member)],
        ttl: Duration,
    ) -> Result<Vec<(String, Member)>, String> {
        if members.is_empty() {
            return Ok(Vec::new());
        }
        let expires = now_ms() + ttl.as_millis() as u64;
        let mut pipe = redis::pipe();
        for (channel, m) in members {
            let value = serde_json::json!({ "user": m.user, "expires": expires }).to_string();
            let [entries, users, reps] = self.presence_keys(channel);
            pipe.invoke_script(
                self.presence_add
                    .key(entries)
                    .key(users)
                    .key(reps)
                    .key(self.key(&["presence"]))
                    .arg(&m.client)
                    .arg(value)
                    .arg(&m.user)
                    .arg(channel),
            );
        }
        let mut c = self.conn.clone();
        let shown: Vec<Option<String>> = self
            .load_and_query(&mut c, &pipe, &self.presence_add)
            .await?;
        Ok(members
            .iter()
            .zip(shown)
            .filter_map(|((channel, m), shown)| {
                shown.map(|client| {
                    let member = Member {
                        client,
                        user: m.user.clone(),
                    };
                    (channel.clone(), member)
                })
            })
            .collect())
    }

    /// Runs `pipe`, whose commands are invocations of `script`, loading the
    /// script first if Redis does not have it (it restarted, say).
    async fn load_and_query<T: redis::FromRedisValue>(
        &self,
        c: &mut ConnectionManager,
        pipe: &redis::Pipeline,
        script: &Script,
    ) -> Result<T, String> {
        match pipe.query_async(c).await {
            Err(e) if e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript) => {
                script.prepare_invoke().load_async(c).await.map_err(err)?;
                pipe.query_async(c).await.map_err(err)
            }
            other => other.map_err(err),
        }
    }

    /// The keys of `channel`'s entries, user counts and shown clients.
    fn presence_keys(&self, channel: &str) -> [String; 3] {
        [
            self.key(&["presence", channel]),
            self.key(&["presence-users", channel]),
            self.key(&["presence-reps", channel]),
        ]
    }

    /// Removes an entry (if `expired_by` is not 0, only one that expired
    /// by then); `Some` with the member to announce as `left` only for the
    /// caller that removed the user's last entry on any node.
    async fn presence_remove(
        &self,
        channel: &str,
        client: &str,
        expired_by: u64,
    ) -> Result<Option<Member>, String> {
        let [entries, users, reps] = self.presence_keys(channel);
        let mut c = self.conn.clone();
        let gone: Option<(String, String)> = self
            .presence_remove
            .key(entries)
            .key(users)
            .key(reps)
            .arg(client)
            .arg(expired_by)
            .invoke_async(&mut c)
            .await
            .map_err(err)?;
        Ok(gone.map(|(user, client)| Member { client, user }))
    }

    /// Removes an entry; `Some` only for the caller that removed its
    /// user's last entry, with the member as it was announced.
    pub async fn presence_leave(
        &self,
        channel: &str,
        client: &str,
    ) -> Result<Option<Member>, String> {
        self.presence_remove(channel, client, 0).await
    }

    /// The channel's members: one per user, shown as its first client.
    pub async fn presence_list(&self, channel: &str) -> Result<Vec<Member>, String> {
        let mut c = self.conn.clone();
        let [entries, _, reps] = self.presence_keys(channel);
        let (all, shown): (HashMap<String, String>, HashMap<String, String>) = redis::pipe()
            .hgetall(entries)
            .hgetall(reps)
            .query_async(&mut c)
            .await
            .map_err(err)?;
        let now = now_ms();
        let mut users: HashMap<String, String> = HashMap::new();
        for (m, _) in all
            .iter()
            .filter_map(|(client, v)| parse_entry(client, v))
            .filter(|(_, exp)| *exp > now)
        {
            let client = shown.get(&m.user).cloned().unwrap_or(m.client);
            users.entry(m.user).or_insert(client);
        }
        let mut out: Vec<Member> = users
            .into_iter()
            .map(|(user, client)| Member { client, user })
            .collect();
        out.sort_by(|a, b| a.client.cmp(&b.client));
        Ok(out)
    }

    /// Removes entries whose node stopped refreshing them (it crashed, or
    /// lost Redis). Any node may sweep; the script decides who reports a
    /// user's leave, once its last entry is gone.
    pub async fn presence_sweep(&self) -> Result<Vec<(String, Member)>, String> {
        let mut c = self.conn.clone();
        let channels: Vec<String> = c.smembers(self.key(&["presence"])).await.map_err(err)?;
        let now = now_ms();
        let mut gone = Vec::new();
        for channel in channels {
            let key = self.key(&["presence", &channel]);
            let all: HashMap<String, String> = c.hgetall(&key).await.map_err(err)?;
            if all.is_empty() {
                let _: usize = c
                    .srem(self.key(&["presence"]), &channel)
                    .await
                    .map_err(err)?;
            }
            for (client, v) in all {
                let Some((_, expires)) = parse_entry(&client, &v) else {
                    continue;
                };
                if expires <= now
                    && let Some(member) = self.presence_remove(&channel, &client, now).await?
                {
                    gone.push((channel.clone(), member));
                }
            }
        }
        Ok(gone)
    }
}

fn parse_entry(client: &str, value: &str) -> Option<(Member, u64)> {
    let v: serde_json::Value = serde_json::from_str(value).ok()?;
    Some((
        Member {
            client: client.to_string(),
            user: v.get("user")?.as_str()?.to_string(),
        },
        v.get("expires")?.as_u64()?,
    ))
}
