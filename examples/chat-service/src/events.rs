//! The events the plan declares, as typed Rust values.
//!
//! Each channel kind has one enum whose variants are its events, and each
//! event has a payload struct whose fields are the plan's schema. Incoming
//! publishes are decoded into these types before anything else happens, so
//! an unknown `type`, an unsupported `v` or a payload with a missing, extra
//! or mistyped field is answered with a precise `error` frame and never
//! reaches other clients. Decoding then re-encoding also normalises the
//! payload: subscribers only ever see data that matches the schema.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::channels::ChannelKind;

/// Payload of `message` (v1) on `room:{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoomMessage {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<i64>,
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

/// Why a publish was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventError {
    UnknownType {
        name: String,
        known: &'static [&'static str],
    },
    UnsupportedVersion {
        name: String,
        got: u32,
        supported: u32,
    },
    InvalidData {
        name: String,
        message: String,
    },
}

impl std::fmt::Display for EventError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EventError::UnknownType { name, known } => write!(
                f,
                "unknown event type `{name}` on this channel; known: {}",
                known.join(", ")
            ),
            EventError::UnsupportedVersion {
                name,
                got,
                supported,
            } => write!(
                f,
                "event `{name}` version {got} is not supported; this server speaks version {supported}"
            ),
            EventError::InvalidData { name, message } => {
                write!(f, "event `{name}`: invalid data: {message}")
            }
        }
    }
}

fn payload<T: DeserializeOwned>(name: &str, data: Option<&RawValue>) -> Result<T, EventError> {
    let text = data.map_or("{}", RawValue::get);
    serde_json::from_str(text).map_err(|e| EventError::InvalidData {
        name: name.to_string(),
        message: e.to_string(),
    })
}

fn check_version(name: &str, got: u32, supported: u32) -> Result<(), EventError> {
    if got == supported {
        Ok(())
    } else {
        Err(EventError::UnsupportedVersion {
            name: name.to_string(),
            got,
            supported,
        })
    }
}

impl Event {
    /// Decodes a publish of `name` version `v` on a channel of `kind`.
    pub fn decode(
        kind: ChannelKind,
        name: &str,
        v: u32,
        data: Option<&RawValue>,
    ) -> Result<Event, EventError> {
        match (kind, name) {
            (ChannelKind::Room, "message") => {
                check_version(name, v, 1)?;
                Ok(Event::Room(RoomEvent::Message(payload(name, data)?)))
            }
            (ChannelKind::Room, "typing") => {
                check_version(name, v, 1)?;
                Ok(Event::Room(RoomEvent::Typing(payload(name, data)?)))
            }
            (ChannelKind::Announcements, "notice") => {
                check_version(name, v, 1)?;
                Ok(Event::Announcements(AnnouncementsEvent::Notice(payload(
                    name, data,
                )?)))
            }
            (kind, _) => Err(EventError::UnknownType {
                name: name.to_string(),
                known: Event::names(kind),
            }),
        }
    }

    /// The event types a channel kind accepts.
    pub fn names(kind: ChannelKind) -> &'static [&'static str] {
        match kind {
            ChannelKind::Room => &["message", "typing"],
            ChannelKind::Announcements => &["notice"],
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Event::Room(RoomEvent::Message(_)) => "message",
            Event::Room(RoomEvent::Typing(_)) => "typing",
            Event::Announcements(AnnouncementsEvent::Notice(_)) => "notice",
        }
    }

    pub fn version(&self) -> u32 {
        match self {
            Event::Room(RoomEvent::Message(_)) => 1,
            Event::Room(RoomEvent::Typing(_)) => 1,
            Event::Announcements(AnnouncementsEvent::Notice(_)) => 1,
        }
    }

    /// Ephemeral events are delivered live only: no `seq`, no history.
    pub fn ephemeral(&self) -> bool {
        match self {
            Event::Room(RoomEvent::Message(_)) => false,
            Event::Room(RoomEvent::Typing(_)) => true,
            Event::Announcements(AnnouncementsEvent::Notice(_)) => false,
        }
    }

    /// The payload as JSON, normalised to the schema.
    pub fn to_data(&self) -> Box<RawValue> {
        let json = match self {
            Event::Room(RoomEvent::Message(p)) => serde_json::value::to_raw_value(p),
            Event::Room(RoomEvent::Typing(p)) => serde_json::value::to_raw_value(p),
            Event::Announcements(AnnouncementsEvent::Notice(p)) => {
                serde_json::value::to_raw_value(p)
            }
        };
        // Plain structs of strings, numbers and booleans always serialise.
        json.unwrap_or_else(|_| empty_object())
    }
}

fn empty_object() -> Box<RawValue> {
    RawValue::from_string("{}".to_string()).unwrap_or_else(|_| unreachable!("`{{}}` is JSON"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(s: &str) -> Box<RawValue> {
        RawValue::from_string(s.to_string()).unwrap()
    }

    #[test]
    fn decodes_declared_events() {
        let e = Event::decode(
            ChannelKind::Room,
            "message",
            1,
            Some(&raw(r#"{"text":"hi"}"#)),
        )
        .unwrap();
        assert_eq!(
            e,
            Event::Room(RoomEvent::Message(RoomMessage {
                text: "hi".into(),
                reply_to: None
            }))
        );
        assert_eq!(e.to_data().get(), r#"{"text":"hi"}"#);
        assert!(!e.ephemeral());
    }

    #[test]
    fn refuses_what_the_plan_does_not_declare() {
        let e = Event::decode(ChannelKind::Announcements, "message", 1, None).unwrap_err();
        assert!(matches!(e, EventError::UnknownType { .. }), "{e:?}");
        let e = Event::decode(ChannelKind::Room, "typing", 2, None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "event `typing` version 2 is not supported; this server speaks version 1"
        );
        let e = Event::decode(
            ChannelKind::Room,
            "message",
            1,
            Some(&raw(r#"{"text":"hi","extra":1}"#)),
        )
        .unwrap_err();
        assert!(e.to_string().contains("unknown field `extra`"), "{e}");
    }
}
