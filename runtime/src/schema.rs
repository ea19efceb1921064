//! What an app declares and the runtime serves: its channels, who may do
//! what on each, and its typed events.
//!
//! The runtime knows no channel or event by name. A service implements
//! [`Channels`] for its channel kinds (usually an enum, one variant per
//! declared channel, each with a [`ChannelSpec`]) and [`Events`] for its
//! events (an enum of typed payloads). Every endpoint, the hub and the
//! backplane are generic over that `Events` type, so a client can only use
//! the channels and events the service declares: a wire name that matches
//! no declared channel is refused, and a publish is decoded into the app's
//! types before anything else happens.

use std::fmt::Debug;

use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

/// The longest accepted `{param}` value in a channel name.
pub const MAX_PARAM_LEN: usize = 64;

/// What a service says about one kind of channel.
#[derive(Debug)]
pub struct ChannelSpec {
    /// The declared name (`lobby`) or pattern with one `{param}` (`room:{id}`).
    pub pattern: &'static str,
    /// Roles that may publish.
    pub publish: &'static [&'static str],
    /// Roles that may subscribe.
    pub subscribe: &'static [&'static str],
    /// Messages kept for replay after a reconnect (0: none).
    pub history: usize,
    /// Whether subscribers see who else is subscribed.
    pub presence: bool,
}

impl ChannelSpec {
    /// `room:{id}` matches `room:` followed by 1 to 64 of `[A-Za-z0-9_-]`
    /// (and whatever literal text follows the parameter); a pattern without
    /// a parameter matches only itself.
    pub fn matches(&self, name: &str) -> bool {
        let Some((prefix, rest)) = self.pattern.split_once('{') else {
            return self.pattern == name;
        };
        let suffix = rest.split_once('}').map_or("", |(_, s)| s);
        let Some(param) = name
            .strip_prefix(prefix)
            .and_then(|n| n.strip_suffix(suffix))
        else {
            return false;
        };
        !param.is_empty()
            && param.len() <= MAX_PARAM_LEN
            && param
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    }
}

/// A service's channel kinds.
pub trait Channels: Copy + Eq + Debug + Send + Sync + 'static {
    /// Every kind, in the order declared: a name matching two patterns
    /// belongs to the first.
    const ALL: &'static [Self];

    fn spec(self) -> &'static ChannelSpec;

    /// Maps a wire name to its kind; `None` for names the service does not
    /// declare.
    fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.spec().matches(name))
    }

    fn can_publish(self, role: &str) -> bool {
        self.spec().publish.contains(&role)
    }

    fn can_subscribe(self, role: &str) -> bool {
        self.spec().subscribe.contains(&role)
    }
}

/// A service's events: decoded from a client's publish, described for the
/// envelope, and encoded once for every subscriber.
pub trait Events: Sized + Send + Sync + 'static {
    type Channel: Channels;

    /// Decodes a publish of `name` version `v` on a channel of `kind`.
    fn decode(
        kind: Self::Channel,
        name: &str,
        v: u32,
        data: Option<&RawValue>,
    ) -> Result<Self, EventError>;

    /// The event types a channel kind accepts.
    fn names(kind: Self::Channel) -> &'static [&'static str];

    fn name(&self) -> &'static str;

    fn version(&self) -> u32;

    /// Ephemeral events are delivered live only: no `seq`, no history.
    fn ephemeral(&self) -> bool;

    /// The payload as JSON, normalised to the schema.
    fn to_data(&self) -> Box<RawValue>;
}

/// How many messages a channel keeps, by wire name (0 for undeclared ones).
pub(crate) fn history_of<E: Events>(name: &str) -> usize {
    E::Channel::parse(name).map_or(0, |k| k.spec().history)
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

impl std::error::Error for EventError {}

/// Decodes the payload of event `name`; no `data` is an empty object.
pub fn payload<T: DeserializeOwned>(name: &str, data: Option<&RawValue>) -> Result<T, EventError> {
    let text = data.map_or("{}", RawValue::get);
    serde_json::from_str(text).map_err(|e| EventError::InvalidData {
        name: name.to_string(),
        message: e.to_string(),
    })
}

/// Refuses any version but the one the service speaks.
pub fn check_version(name: &str, got: u32, supported: u32) -> Result<(), EventError> {
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

/// Encodes a payload; plain structs of strings, numbers and booleans always
/// serialise, so a failure is answered with an empty object.
pub fn to_data<T: serde::Serialize>(payload: &T) -> Box<RawValue> {
    serde_json::value::to_raw_value(payload).unwrap_or_else(|_| empty_object())
}

fn empty_object() -> Box<RawValue> {
    RawValue::from_string("{}".to_string())
        .unwrap_or_else(|_| unreachable!("an empty object is JSON"))
}

#[cfg(test)]
pub(crate) mod testing {
    //! A small service for the runtime's own tests: `room:{id}` with
    //! history and presence, and `lobby` without.

    use serde::{Deserialize, Serialize};

    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Kind {
        Room,
        Lobby,
    }

    const ROOM: ChannelSpec = ChannelSpec {
        pattern: "room:{id}",
        publish: &["member"],
        subscribe: &["member", "guest"],
        history: 4,
        presence: true,
    };

    const LOBBY: ChannelSpec = ChannelSpec {
        pattern: "lobby",
        publish: &[],
        subscribe: &["member"],
        history: 0,
        presence: false,
    };

    impl Channels for Kind {
        const ALL: &'static [Kind] = &[Kind::Room, Kind::Lobby];

        fn spec(self) -> &'static ChannelSpec {
            match self {
                Kind::Room => &ROOM,
                Kind::Lobby => &LOBBY,
            }
        }
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Message {
        pub text: String,
    }

    #[derive(Debug, Clone, PartialEq)]
    pub enum Event {
        Message(Message),
    }

    impl Events for Event {
        type Channel = Kind;

        fn decode(
            kind: Kind,
            name: &str,
            v: u32,
            data: Option<&RawValue>,
        ) -> Result<Event, EventError> {
            match (kind, name) {
                (Kind::Room, "message") => {
                    check_version(name, v, 1)?;
                    Ok(Event::Message(payload(name, data)?))
                }
                (kind, _) => Err(EventError::UnknownType {
                    name: name.to_string(),
                    known: Event::names(kind),
                }),
            }
        }

        fn names(kind: Kind) -> &'static [&'static str] {
            match kind {
                Kind::Room => &["message"],
                Kind::Lobby => &[],
            }
        }

        fn name(&self) -> &'static str {
            "message"
        }

        fn version(&self) -> u32 {
            1
        }

        fn ephemeral(&self) -> bool {
            false
        }

        fn to_data(&self) -> Box<RawValue> {
            match self {
                Event::Message(m) => to_data(m),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{Event, Kind};
    use super::*;

    #[track_caller]
    fn case(name: &str, expected: Option<Kind>) {
        assert_eq!(Kind::parse(name), expected, "{name}");
    }

    #[test]
    fn names_map_to_declared_channels_only() {
        case("room:1", Some(Kind::Room));
        case("room:a_b-C", Some(Kind::Room));
        case("room:", None);
        case("room:a/b", None);
        case(&format!("room:{}", "x".repeat(65)), None);
        case(&format!("room:{}", "x".repeat(64)), Some(Kind::Room));
        case("lobby", Some(Kind::Lobby));
        case("lobby:1", None);
        case("undeclared", None);
    }

    #[test]
    fn a_suffix_after_the_parameter_must_match() {
        let spec = ChannelSpec {
            pattern: "game:{id}:moves",
            publish: &[],
            subscribe: &[],
            history: 0,
            presence: false,
        };
        assert!(spec.matches("game:7:moves"));
        assert!(!spec.matches("game:7"));
        assert!(!spec.matches("game::moves"));
    }

    #[test]
    fn permissions_are_role_lists() {
        assert!(Kind::Room.can_publish("member"));
        assert!(!Kind::Room.can_publish("guest"));
        assert!(Kind::Room.can_subscribe("guest"));
        assert!(!Kind::Lobby.can_publish("member"));
        assert_eq!(history_of::<Event>("room:9"), 4);
        assert_eq!(history_of::<Event>("nowhere"), 0);
    }

    #[test]
    fn decoding_refuses_unknown_types_versions_and_fields() {
        let raw = |s: &str| RawValue::from_string(s.to_string()).unwrap();
        let e = Event::decode(Kind::Room, "message", 1, Some(&raw(r#"{"text":"hi"}"#))).unwrap();
        assert_eq!(e.to_data().get(), r#"{"text":"hi"}"#);
        let err = Event::decode(Kind::Room, "nope", 1, None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown event type `nope` on this channel; known: message"
        );
        let err = Event::decode(Kind::Room, "message", 2, None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "event `message` version 2 is not supported; this server speaks version 1"
        );
        let err = Event::decode(
            Kind::Room,
            "message",
            1,
            Some(&raw(r#"{"text":"a","x":1}"#)),
        )
        .unwrap_err();
        assert!(err.to_string().contains("unknown field `x`"), "{err}");
    }
}
