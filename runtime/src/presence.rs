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

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// One subscriber as others see it: one per user on each node, however
/// many connections it has there (see `Hub::join`).
///
/// A *guest* (a role that may read a channel but not publish to it) sees
/// members without their client ids ([`for_guests`], [`Member::for_guests`]):
/// those name other users' connections, which is none of a reader's business.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// The connection that made the user a member here; empty, and left out
    /// on the wire, in what guests are sent.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub client: String,
    /// The `sub` claim of the client's token.
    pub user: String,
}

impl Member {
    /// The member as a guest sees it: without its client id.
    pub fn for_guests(self) -> Member {
        Member {
            client: String::new(),
            ..self
        }
    }
}

/// The start of every presence diff frame (see `Hub::presence_diff`).
const PRESENCE_FRAME: &str = r#"{"v":1,"type":"presence","#;

/// A delivered frame as a guest is sent it: a presence diff without the
/// members' client ids; `None` for any other frame, which goes as it is.
pub fn for_guests(text: &str) -> Option<String> {
    if !text.starts_with(PRESENCE_FRAME) {
        return None;
    }
    let mut frame: serde_json::Value = serde_json::from_str(text).ok()?;
    for change in ["joined", "left"] {
        if let Some(members) = frame
            .get_mut("data")
            .and_then(|d| d.get_mut(change))
            .and_then(|m| m.as_array_mut())
        {
            for m in members.iter_mut().filter_map(|m| m.as_object_mut()) {
                m.remove("client");
            }
        }
    }
    Some(frame.to_string())
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
    fn guests_get_presence_without_client_ids() {
        let diff = r#"{"v":1,"type":"presence","channel":"room:1","seq":0,"ts":5,"data":{"joined":[{"client":"n1-7","user":"ada"}]}}"#;
        let seen: serde_json::Value = serde_json::from_str(&for_guests(diff).unwrap()).unwrap();
        assert_eq!(
            seen["data"],
            serde_json::json!({ "joined": [{ "user": "ada" }] })
        );
        assert_eq!(
            (seen["channel"].as_str(), seen["ts"].as_u64()),
            (Some("room:1"), Some(5))
        );
        // Other frames go as they are, whatever their data says.
        let event = r#"{"v":1,"type":"message","channel":"room:1","seq":3,"ts":5,"data":{"text":"{\"v\":1,\"type\":\"presence\","}}"#;
        assert_eq!(for_guests(event), None);
        let member = Member {
            client: "n1-7".into(),
            user: "ada".into(),
        };
        assert_eq!(
            serde_json::to_string(&member.for_guests()).unwrap(),
            r#"{"user":"ada"}"#
        );
    }
}
