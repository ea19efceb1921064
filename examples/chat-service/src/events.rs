//! The events the plan declares, as typed Rust values.
//!
//! Each channel kind has one enum whose variants are its events, and each
//! event has a payload struct whose fields are the plan's schema. Incoming
//! publishes are decoded into these types before anything else happens, so
//! an unknown `type`, an unsupported `v` or a payload with a missing, extra
//! or mistyped field is answered with a precise `error` frame and never
//! reaches other clients. Decoding then re-encoding also normalises the
//! payload: subscribers only ever see data that matches the schema. The
//! runtime calls these through [`harness_realtime::Events`].

use harness_realtime::schema::{check_version, payload, to_data};
use harness_realtime::{EventError, Events};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::channels::ChannelKind;

/// Payload of `message` (v1) on `room:{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoomMessage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<i64>,
    pub text: String,
}

/// Payload of `typing` (v1) on `room:{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoomTyping {
    pub active: bool,
}

/// Payload of `notice` (v1) on `announcements`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnnouncementsNotice {
    pub text: String,
}

/// Events of `room:{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum RoomEvent {
    #[serde(rename = "message")]
    Message(RoomMessage),
    /// Ephemeral: delivered live, never kept in history.
    #[serde(rename = "typing")]
    Typing(RoomTyping),
}

/// Events of `announcements`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum AnnouncementsEvent {
    #[serde(rename = "notice")]
    Notice(AnnouncementsNotice),
}

/// Any event of any channel.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Room(RoomEvent),
    Announcements(AnnouncementsEvent),
}

impl Events for Event {
    type Channel = ChannelKind;

    fn decode(
        kind: ChannelKind,
        name: &str,
        v: u32,
        data: Option<&RawValue>,
    ) -> Result<Event, EventError> {
        match (kind, name) {
            (ChannelKind::Room, "message") => {
                check_version(name, v, 1)?;
                let payload = payload(name, data)?;
                Ok(Event::Room(RoomEvent::Message(payload)))
            }
            (ChannelKind::Room, "typing") => {
                check_version(name, v, 1)?;
                let payload = payload(name, data)?;
                Ok(Event::Room(RoomEvent::Typing(payload)))
            }
            (ChannelKind::Announcements, "notice") => {
                check_version(name, v, 1)?;
                let payload = payload(name, data)?;
                Ok(Event::Announcements(AnnouncementsEvent::Notice(payload)))
            }
            (kind, _) => Err(EventError::UnknownType {
                name: name.to_string(),
                known: Event::names(kind),
            }),
        }
    }

    fn names(kind: ChannelKind) -> &'static [&'static str] {
        match kind {
            ChannelKind::Room => &["message", "typing"],
            ChannelKind::Announcements => &["notice"],
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Event::Room(RoomEvent::Message(_)) => "message",
            Event::Room(RoomEvent::Typing(_)) => "typing",
            Event::Announcements(AnnouncementsEvent::Notice(_)) => "notice",
        }
    }

    fn version(&self) -> u32 {
        match self {
            Event::Room(RoomEvent::Message(_)) => 1,
            Event::Room(RoomEvent::Typing(_)) => 1,
            Event::Announcements(AnnouncementsEvent::Notice(_)) => 1,
        }
    }

    fn ephemeral(&self) -> bool {
        match self {
            Event::Room(RoomEvent::Message(_)) => false,
            Event::Room(RoomEvent::Typing(_)) => true,
            Event::Announcements(AnnouncementsEvent::Notice(_)) => false,
        }
    }

    fn to_data(&self) -> Box<RawValue> {
        match self {
            Event::Room(RoomEvent::Message(p)) => to_data(p),
            Event::Room(RoomEvent::Typing(p)) => to_data(p),
            Event::Announcements(AnnouncementsEvent::Notice(p)) => to_data(p),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every declared event with a valid payload: kind, type, version,
    /// ephemeral, data.
    #[rustfmt::skip]
    const CASES: &[(ChannelKind, &str, u32, bool, &str)] = &[
        (ChannelKind::Room, "message", 1, false, r#"{"text":"s"}"#),
        (ChannelKind::Room, "typing", 1, true, r#"{"active":true}"#),
        (ChannelKind::Announcements, "notice", 1, false, r#"{"text":"s"}"#),
    ];

    fn raw(s: &str) -> Box<RawValue> {
        RawValue::from_string(s.to_string()).unwrap()
    }

    #[test]
    fn decodes_every_declared_event() {
        for (kind, name, v, ephemeral, data) in CASES {
            let e = Event::decode(*kind, name, *v, Some(&raw(data))).unwrap();
            assert_eq!(
                (e.name(), e.version(), e.ephemeral()),
                (*name, *v, *ephemeral)
            );
            assert_eq!(e.to_data().get(), *data);
        }
    }

    #[test]
    fn refuses_what_the_plan_does_not_declare() {
        for (kind, name, v, _, data) in CASES {
            let e = Event::decode(*kind, "undeclared", 1, Some(&raw(data))).unwrap_err();
            assert!(matches!(e, EventError::UnknownType { .. }), "{e:?}");
            let e = Event::decode(*kind, name, v + 1, Some(&raw(data))).unwrap_err();
            let want = format!(
                "event `{name}` version {} is not supported; this server speaks version {v}",
                v + 1
            );
            assert_eq!(e.to_string(), want);
            let inner = &data[1..data.len() - 1];
            let sep = if inner.is_empty() { "" } else { "," };
            let extra = format!("{}{inner}{sep}\"zz_extra\":1{}", '{', '}');
            let e = Event::decode(*kind, name, *v, Some(&raw(&extra))).unwrap_err();
            assert!(e.to_string().contains("unknown field `zz_extra`"), "{e}");
        }
    }
}
