//! The channels this service serves, exactly as the plan declares them, and
//! who may do what on each.
//!
//! A channel name on the wire is either a fixed name (`lobby`) or a pattern
//! instance (`room:42` for `room:{id}`). [`ChannelKind::parse`] maps a
//! wire name to its declaration; a name that matches nothing is refused, so a
//! client cannot create channels the plan did not ask for. Permissions are
//! role lists checked against the `role` claim of the client's token.

/// One kind of channel declared by the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChannelKind {
    /// `room:{id}`
    Room,
    /// `announcements`
    Announcements,
}

/// What the plan says about one channel kind.
#[derive(Debug)]
pub struct ChannelSpec {
    /// The declared name or pattern.
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

/// Every channel kind, in the plan's order.
pub const ALL: &[ChannelKind] = &[ChannelKind::Room, ChannelKind::Announcements];

/// The longest accepted `{param}` value.
const MAX_PARAM_LEN: usize = 64;

impl ChannelKind {
    pub fn spec(self) -> &'static ChannelSpec {
        match self {
            ChannelKind::Room => &ROOM,
            ChannelKind::Announcements => &ANNOUNCEMENTS,
        }
    }

    /// Maps a wire name to its kind; `None` for names the plan does not declare.
    pub fn parse(name: &str) -> Option<ChannelKind> {
        ALL.iter()
            .copied()
            .find(|kind| matches_pattern(kind.spec().pattern, name))
    }

    pub fn can_publish(self, role: &str) -> bool {
        self.spec().publish.contains(&role)
    }

    pub fn can_subscribe(self, role: &str) -> bool {
        self.spec().subscribe.contains(&role)
    }
}

/// `room:{id}` matches `room:` followed by 1 to 64 of `[A-Za-z0-9_-]` (and
/// whatever literal text follows the parameter); a pattern without a
/// parameter matches only itself.
fn matches_pattern(pattern: &str, name: &str) -> bool {
    let Some((prefix, rest)) = pattern.split_once('{') else {
        return pattern == name;
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
