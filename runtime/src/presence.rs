//! Who is subscribed to a channel, kept so that crashes leave no ghosts.
//!
//! Subscribing to a channel with presence sends the full member list in the
//! `subscribed` frame; after that, `presence` events carry diffs
//! (`{"joined": [...]}` or `{"left": [...]}`), which clients apply as set
//! operations, so a diff that overlaps the initial list is harmless.
//!
//! Every entry has an expiry, pushed forward every heartbeat by the node
//! that holds the connection. A connection that vanishes without a close is
//! dropped by its idle timeout, which removes its entries and sends `left`.
//! A node that crashes stops refreshing its entries, and the next sweep by
//! any surviving node (see `redis.rs`) removes them and sends `left`.
//!
//! Guests (roles that may read a channel but not publish to it) know users
//! only by [`Pseudonyms`]: in the member list, in diffs, and in the `from`
//! of events, live or replayed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Sha256;

/// One subscriber as others see it: one per user on each node, however
/// many connections it has there (see `Hub::join`).
///
/// A *guest* (a role that may read a channel but not publish to it) sees
/// members, and the publishers of events, under [`Pseudonyms`]: never
/// their `sub` nor their client id, which are none of a reader's business.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// The connection that made the user a member here; empty, and left out
    /// on the wire, in what guests are sent.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub client: String,
    /// The `sub` claim of the client's token; a pseudonym in what guests
    /// are sent.
    pub user: String,
}

/// The start of every presence diff frame (see `Hub::presence_diff`).
const PRESENCE_FRAME: &str = r#"{"v":1,"type":"presence","#;

/// What a frame's `from` looks like when the server stamped one.
const FROM: &str = r#","from":""#;

/// The names guests know users by: per channel, a keyed hash of the
/// user's `sub`. Within a channel one user keeps one pseudonym (a guest can
/// tell who said what and match it with presence); across channels they
/// differ, so a guest cannot follow a user from room to room, nor learn the
/// `sub` by hashing guesses without the key. Every node derives the key
/// from the JWT secret, so behind one Redis all agree.
#[derive(Clone)]
pub struct Pseudonyms {
    key: Arc<Hmac<Sha256>>,
}

impl std::fmt::Debug for Pseudonyms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pseudonyms(..)")
    }
}

impl Pseudonyms {
    /// Pseudonyms keyed by `secret` (the JWT secret: shared by the nodes
    /// of a service, never shown to clients).
    pub fn new(secret: &[u8]) -> Pseudonyms {
        let mut key = <Hmac<Sha256>>::new_from_slice(secret).expect("HMAC takes any key length");
        // Domain separation: these hashes are never valid token signatures.
        key.update(b"harness-realtime guest pseudonym\0");
        Pseudonyms { key: Arc::new(key) }
    }

    /// `user`'s pseudonym in `channel`: `guest-` and 20 hex digits.
    pub fn of(&self, channel: &str, user: &str) -> String {
        let mut mac = (*self.key).clone();
        mac.update(channel.as_bytes());
        mac.update(b"\0");
        mac.update(user.as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut name = String::with_capacity(26);
        name.push_str("guest-");
        for byte in &digest[..10] {
            use std::fmt::Write;
            let _ = write!(name, "{byte:02x}");
        }
        name
    }

    /// A member of `channel` as a guest sees it: a pseudonym, no client id.
    pub fn member(&self, channel: &str, member: Member) -> Member {
        Member {
            client: String::new(),
            user: self.of(channel, &member.user),
        }
    }

    /// A delivered frame as a guest is sent it: its `from`, and the
    /// members of a presence diff, under their pseudonyms; `None` for a
    /// frame that names nobody, which goes as it is.
    pub fn frame(&self, text: &str) -> Option<String> {
        let presence = text.starts_with(PRESENCE_FRAME);
        if !presence && !text.contains(FROM) {
            return None;
        }
        let mut frame: Value = serde_json::from_str(text).ok()?;
        let channel = frame.get("channel")?.as_str()?.to_string();
        if let Some(from) = frame.get_mut("from")
            && let Some(user) = from.as_str()
        {
            *from = Value::String(self.of(&channel, user));
        }
        if presence {
            let mut joined = Vec::new();
            for change in ["joined", "left"] {
                let members = frame
                    .get_mut("data")
                    .and_then(|d| d.get_mut(change))
                    .and_then(|m| m.as_array_mut());
                for m in members.into_iter().flatten() {
                    if let Some(m) = m.as_object_mut() {
                        m.remove("client");
                        if let Some(user) = m.get("user").and_then(Value::as_str) {
                            let name = self.of(&channel, user);
                            if change == "joined" {
                                joined.push(name.clone());
                            }
                            m.insert("user".into(), Value::String(name));
                        }
                    }
                }
            }
            // A user whose connection left as another joined is still
            // there: guests know members by user alone, so it must not
            // also be in `left`, which clients apply after `joined`.
            if let Some(left) = frame
                .get_mut("data")
                .and_then(|d| d.get_mut("left"))
                .and_then(|m| m.as_array_mut())
            {
                left.retain(|m| {
                    !m["user"]
                        .as_str()
                        .is_some_and(|u| joined.iter().any(|j| j == u))
                });
            }
        }
        Some(frame.to_string())
    }
}

/// Client id → (member, expiry in ms since the Unix epoch).
type Members = HashMap<String, (Member, u64)>;

/// The in-process presence table, by channel.
#[derive(Debug, Default)]
pub struct MemoryPresence {
    channels: Mutex<HashMap<String, Members>>,
}

impl MemoryPresence {
    fn table(&self) -> std::sync::MutexGuard<'_, HashMap<String, Members>> {
        // A panic while holding the lock cannot leave the map half-updated
        // (every update is a single insert or remove), so poison is ignored.
        self.channels.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn join(&self, channel: &str, member: &Member, ttl: Duration) {
        let expires = crate::protocol::now_ms() + ttl.as_millis() as u64;
        self.table()
            .entry(channel.to_string())
            .or_default()
            .insert(member.client.clone(), (member.clone(), expires));
    }

    /// Removes a member; `Some` if it was there (so `left` is sent once).
    pub fn leave(&self, channel: &str, client: &str) -> Option<Member> {
        let mut table = self.table();
        let members = table.get_mut(channel)?;
        let removed = members.remove(client).map(|(m, _)| m);
        if members.is_empty() {
            table.remove(channel);
        }
        removed
    }

    pub fn list(&self, channel: &str) -> Vec<Member> {
        let now = crate::protocol::now_ms();
        let mut out: Vec<Member> = self
            .table()
            .get(channel)
            .map(|m| {
                m.values()
                    .filter(|(_, exp)| *exp > now)
                    .map(|(m, _)| m.clone())
                    .collect()
            })
            .unwrap_or_default();
        out.sort_by(|a, b| a.client.cmp(&b.client));
        out
    }

    /// Removes expired entries, returning them per channel.
    pub fn sweep(&self) -> Vec<(String, Member)> {
        let now = crate::protocol::now_ms();
        let mut gone = Vec::new();
        let mut table = self.table();
        for (channel, members) in table.iter_mut() {
            members.retain(|_, (m, exp)| {
                let keep = *exp > now;
                if !keep {
                    gone.push((channel.clone(), m.clone()));
                }
                keep
            });
        }
        table.retain(|_, m| !m.is_empty());
        gone
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(c: &str) -> Member {
        Member {
            client: c.into(),
            user: "u".into(),
        }
    }

    #[test]
    fn join_list_leave() {
        let p = MemoryPresence::default();
        p.join("room:1", &m("b"), Duration::from_secs(60));
        p.join("room:1", &m("a"), Duration::from_secs(60));
        assert_eq!(p.list("room:1"), [m("a"), m("b")]);
        assert_eq!(p.leave("room:1", "a"), Some(m("a")));
        assert_eq!(p.leave("room:1", "a"), None);
        assert_eq!(p.list("room:1"), [m("b")]);
    }

    #[test]
    fn expired_entries_are_swept() {
        let p = MemoryPresence::default();
        p.join("room:1", &m("a"), Duration::ZERO);
        assert!(p.list("room:1").is_empty());
        assert_eq!(p.sweep(), [("room:1".to_string(), m("a"))]);
        assert!(p.sweep().is_empty());
    }

    #[test]
    fn guests_get_pseudonyms_instead_of_subs_and_client_ids() {
        let names = Pseudonyms::new(b"secret");
        let ada = names.of("room:1", "ada");
        assert!(ada.starts_with("guest-") && ada.len() == 26, "{ada}");
        assert_eq!(ada, Pseudonyms::new(b"secret").of("room:1", "ada"));
        assert_ne!(ada, names.of("room:2", "ada"), "differs across channels");
        assert_ne!(ada, names.of("room:1", "bob"));
        assert_ne!(ada, Pseudonyms::new(b"other").of("room:1", "ada"));
        let diff = r#"{"v":1,"type":"presence","channel":"room:1","seq":0,"ts":5,"data":{"joined":[{"client":"n1-7","user":"ada"}]}}"#;
        let seen: serde_json::Value = serde_json::from_str(&names.frame(diff).unwrap()).unwrap();
        assert_eq!(
            seen["data"],
            serde_json::json!({ "joined": [{ "user": ada }] })
        );
        assert_eq!(
            (seen["channel"].as_str(), seen["ts"].as_u64()),
            (Some("room:1"), Some(5))
        );
        let event = r#"{"v":1,"type":"message","channel":"room:1","seq":3,"ts":5,"from":"ada","data":{"text":"{\"v\":1,\"type\":\"presence\","}}"#;
        let seen: serde_json::Value = serde_json::from_str(&names.frame(event).unwrap()).unwrap();
        assert_eq!(seen["from"], ada.as_str());
        assert_eq!(seen["data"]["text"], r#"{"v":1,"type":"presence","#);
        // One user's connection leaving as another joins: still there.
        let swap = r#"{"v":1,"type":"presence","channel":"room:1","seq":0,"ts":5,"data":{"joined":[{"client":"n1-8","user":"ada"}],"left":[{"client":"n1-7","user":"ada"},{"client":"n1-2","user":"bob"}]}}"#;
        let seen: serde_json::Value = serde_json::from_str(&names.frame(swap).unwrap()).unwrap();
        let bob = names.of("room:1", "bob");
        assert_eq!(
            seen["data"],
            serde_json::json!({ "joined": [{ "user": ada }], "left": [{ "user": bob }] })
        );
        // The server's own events name nobody and go as they are.
        let server = r#"{"v":1,"type":"message","channel":"room:1","seq":3,"ts":5,"data":{}}"#;
        assert_eq!(names.frame(server), None);
        let member = Member {
            client: "n1-7".into(),
            user: "ada".into(),
        };
        assert_eq!(
            serde_json::to_string(&names.member("room:1", member)).unwrap(),
            format!(r#"{{"user":"{ada}"}}"#)
        );
    }
}
