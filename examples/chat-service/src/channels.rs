//! The channels this service serves, exactly as the plan declares them, and
//! who may do what on each.
//!
//! A channel name on the wire is either a fixed name (`lobby`) or a pattern
//! instance (`room:42` for `room:{id}`). [`ChannelKind::parse`] maps a
//! wire name to its declaration; a name that matches nothing is refused, so a
//! client cannot create channels the plan did not ask for. Permissions are
//! role lists checked against the `role` claim of the client's token.
//! Matching and the checks themselves are the runtime's
//! ([`harness_realtime::Channels`]); this module only declares.

use harness_realtime::{ChannelSpec, Channels};

/// One kind of channel declared by the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChannelKind {
    /// `room:{id}`
    Room,
    /// `announcements`
    Announcements,
}

const ROOM: ChannelSpec = ChannelSpec {
    pattern: "room:{id}",
    publish: &["member"],
    subscribe: &["member", "guest"],
    history: 100,
    presence: true,
};

const ANNOUNCEMENTS: ChannelSpec = ChannelSpec {
    pattern: "announcements",
    publish: &["admin"],
    subscribe: &["member", "guest", "admin"],
    history: 20,
    presence: false,
};

impl Channels for ChannelKind {
    const ALL: &'static [ChannelKind] = &[ChannelKind::Room, ChannelKind::Announcements];

    fn spec(self) -> &'static ChannelSpec {
        match self {
            ChannelKind::Room => &ROOM,
            ChannelKind::Announcements => &ANNOUNCEMENTS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn case(name: &str, expected: Option<ChannelKind>) {
        assert_eq!(ChannelKind::parse(name), expected, "{name}");
    }

    #[test]
    fn names_map_to_declared_channels_only() {
        case("room:1", Some(ChannelKind::Room));
        case("room:", None);
        case("room:a/b", None);
        case(&format!("room:{}", "x".repeat(65)), None);
        case("announcements", Some(ChannelKind::Announcements));
        case("announcements:1", None);
        case("undeclared", None);
    }

    #[test]
    fn permissions_follow_the_plan() {
        assert!(ChannelKind::Room.can_publish("member"));
        assert!(ChannelKind::Room.can_subscribe("member"));
        assert!(ChannelKind::Room.can_subscribe("guest"));
        assert!(!ChannelKind::Room.can_publish("no-such-role"));
        assert!(!ChannelKind::Room.can_subscribe("no-such-role"));
        assert!(ChannelKind::Announcements.can_publish("admin"));
        assert!(ChannelKind::Announcements.can_subscribe("member"));
        assert!(ChannelKind::Announcements.can_subscribe("guest"));
        assert!(ChannelKind::Announcements.can_subscribe("admin"));
        assert!(!ChannelKind::Announcements.can_publish("no-such-role"));
        assert!(!ChannelKind::Announcements.can_subscribe("no-such-role"));
    }
}
