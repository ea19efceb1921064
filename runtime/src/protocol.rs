//! The wire protocol: one JSON envelope for everything that crosses a socket.
//!
//! Every frame, in both directions, is an object with the same keys:
//! `v` (the version of `type`), `type`, `channel`, `seq`, `ts` and `data`.
//! Events declared by the service use their own name as `type`; the control
//! frames below use reserved names that a service may not declare. Because the
//! version travels with the type, an old client talking to a new server (or
//! the reverse) gets an `error` frame naming the version it sent, never a
//! crash or a silently misread payload.
//!
//! Client to server: `subscribe` (with an optional `since` position for
//! recovery), `unsubscribe`, `refresh` (a fresh token for the open
//! connection, as `data: {"token": "..."}`), or a publish, which is an event
//! envelope. Server to client: event envelopes (with `seq` > 0 when kept in
//! history, and `from`, the publisher's `sub`, stamped by the server),
//! `subscribed`, `unsubscribed`, `resync`, `presence`, `ack`, `refreshed`
//! and `error`.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// The version of the control frames, and of the protocol as a whole.
pub const PROTOCOL_VERSION: u32 = 1;

/// The subprotocol a client offers in `Sec-WebSocket-Protocol`.
pub const SUBPROTOCOL: &str = "realtime.v1";

/// Type names the protocol reserves for control frames.
pub const RESERVED_TYPES: &[&str] = &[
    "subscribe",
    "unsubscribe",
    "subscribed",
    "unsubscribed",
    "resync",
    "presence",
    "ack",
    "error",
    "refresh",
    "refreshed",
];

/// Where a client is in a channel's history: the server's `epoch` (which
/// changes when history is lost, e.g. a restarted single node) and the last
/// `seq` it has seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Position {
    pub epoch: String,
    pub seq: u64,
}

impl Position {
    /// The form used as an SSE event id: `epoch:seq`.
    pub fn to_event_id(&self) -> String {
        format!("{}:{}", self.epoch, self.seq)
    }

    /// Parses an SSE `Last-Event-ID`.
    pub fn from_event_id(id: &str) -> Option<Position> {
        let (epoch, seq) = id.rsplit_once(':')?;
        Some(Position {
            epoch: epoch.to_string(),
            seq: seq.parse().ok()?,
        })
    }
}

/// A frame as a client sends it, before it is known to be valid.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientFrame {
    pub v: u32,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    pub data: Option<Box<RawValue>>,
    /// Only for `subscribe`: resume after this position.
    #[serde(default)]
    pub since: Option<Position>,
    /// Echoed in the `ack` or `error` that answers this frame.
    #[serde(default)]
    pub id: Option<String>,
}

/// An event as delivered to subscribers. Serialised once per message and
/// shared by every subscriber.
#[derive(Debug, Serialize)]
pub struct Envelope<'a> {
    pub v: u32,
    #[serde(rename = "type")]
    pub kind: &'a str,
    pub channel: &'a str,
    pub seq: u64,
    pub ts: u64,
    /// The publisher's `sub`, stamped by the server; absent for events the
    /// server itself publishes (presence, server-side code).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<&'a str>,
    pub data: &'a RawValue,
}

/// Control frames the server sends.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame<'a> {
    Subscribed {
        v: u32,
        channel: &'a str,
        epoch: &'a str,
        /// The newest `seq` in the channel when the subscription started.
        seq: u64,
        /// The full presence state, for channels with presence.
        #[serde(skip_serializing_if = "Option::is_none")]
        presence: Option<Vec<crate::presence::Member>>,
    },
    Unsubscribed {
        v: u32,
        channel: &'a str,
    },
    /// The server cannot fill the gap: the client must reload the channel's
    /// state (e.g. over HTTP) and continue from `seq`.
    Resync {
        v: u32,
        channel: &'a str,
        epoch: &'a str,
        seq: u64,
        reason: &'a str,
    },
    Ack {
        v: u32,
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<&'a str>,
        channel: &'a str,
        seq: u64,
    },
    /// The connection's token was replaced; it now expires at `exp`.
    Refreshed {
        v: u32,
        exp: u64,
    },
    Error {
        v: u32,
        code: ErrorCode,
        message: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        channel: Option<&'a str>,
    },
}

impl ServerFrame<'_> {
    pub fn to_json(&self) -> String {
        // Serialising these types cannot fail: no maps with non-string keys.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Machine-readable reasons in `error` frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Not JSON, or not an envelope.
    Malformed,
    /// Binary frames are not part of the protocol.
    Unsupported,
    UnknownType,
    UnsupportedVersion,
    InvalidData,
    UnknownChannel,
    Forbidden,
    NotSubscribed,
    RateLimited,
    /// A node limit (channels, history bytes, connections) is reached.
    LimitExceeded,
    Internal,
}

/// Milliseconds since the Unix epoch, for `ts`.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_ids_round_trip() {
        let p = Position {
            epoch: "a1b2".into(),
            seq: 42,
        };
        assert_eq!(p.to_event_id(), "a1b2:42");
        assert_eq!(Position::from_event_id("a1b2:42"), Some(p));
        assert_eq!(Position::from_event_id("nonsense"), None);
    }

    #[test]
    fn control_frames_are_self_describing() {
        let f = ServerFrame::Resync {
            v: 1,
            channel: "room:1",
            epoch: "e",
            seq: 9,
            reason: "gap",
        };
        assert_eq!(
            f.to_json(),
            r#"{"type":"resync","v":1,"channel":"room:1","epoch":"e","seq":9,"reason":"gap"}"#
        );
    }
}
