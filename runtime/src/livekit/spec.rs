//! What a service declares about its LiveKit rooms: a `const` list of
//! [`RoomSpec`]s generated from the plan's `livekit.rooms`.
//!
//! A room's name is a literal (`lobby`) or a pattern with one `{param}`
//! (`interview:{id}`), as channel names are. A role is authorised for a
//! room exactly when the room lists a grant for it; there is no default
//! role, so a role the plan did not name gets nothing.

/// A kind of track a room carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Track {
    Audio,
    Video,
    Screen,
    Data,
}

impl Track {
    /// The LiveKit track sources this track kind allows to be published
    /// (names as `canPublishSources` spells them); data has none, being
    /// governed by `canPublishData`.
    pub fn sources(self) -> &'static [&'static str] {
        match self {
            Track::Audio => &["microphone"],
            Track::Video => &["camera"],
            Track::Screen => &["screen_share", "screen_share_audio"],
            Track::Data => &[],
        }
    }
}

/// What one role may do in a room.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoleGrant {
    /// Publish the room's media tracks.
    pub publish: bool,
    pub subscribe: bool,
    /// Send data messages, when the room carries `data`.
    pub publish_data: bool,
    /// Manage the room through this service (create, remove, mute, record).
    /// Never turned into LiveKit's `roomAdmin`: a participant's token does
    /// not carry admin rights; the service acts on its behalf.
    pub admin: bool,
}

/// One room the service declares.
#[derive(Debug, Clone, Copy)]
pub struct RoomSpec {
    /// `lobby`, or a pattern with one `{param}` such as `interview:{id}`.
    pub name: &'static str,
    /// Participants LiveKit admits; `0` means no limit.
    pub max_participants: u32,
    pub tracks: &'static [Track],
    /// Whether the room may be recorded (still only with every
    /// participant's consent).
    pub recording: bool,
    pub grants: &'static [(&'static str, RoleGrant)],
}

impl RoomSpec {
    /// Whether `room` is an instance of this declaration.
    pub fn matches(&self, room: &str) -> bool {
        match self.name.split_once('{') {
            None => room == self.name,
            Some((prefix, rest)) => {
                let suffix = rest.split_once('}').map_or("", |(_, s)| s);
                room.len() > prefix.len() + suffix.len()
                    && room.starts_with(prefix)
                    && room.ends_with(suffix)
            }
        }
    }

    /// The grant of `role`, if the room names it.
    pub fn grant(&self, role: &str) -> Option<RoleGrant> {
        self.grants
            .iter()
            .find(|(r, _)| *r == role)
            .map(|(_, g)| *g)
    }

    /// The sources a publisher may publish here.
    pub fn sources(&self) -> Vec<String> {
        self.tracks
            .iter()
            .flat_map(|t| t.sources())
            .map(|s| (*s).to_string())
            .collect()
    }

    pub fn carries(&self, track: Track) -> bool {
        self.tracks.contains(&track)
    }
}

/// The declaration `room` is an instance of.
pub fn find<'a>(rooms: &'a [RoomSpec], room: &str) -> Option<&'a RoomSpec> {
    rooms.iter().find(|r| r.matches(room))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) const ROOMS: &[RoomSpec] = &[
        RoomSpec {
            name: "interview:{id}",
            max_participants: 3,
            tracks: &[Track::Audio, Track::Video, Track::Data],
            recording: true,
            grants: &[
                (
                    "candidate",
                    RoleGrant {
                        publish: true,
                        subscribe: true,
                        publish_data: true,
                        admin: false,
                    },
                ),
                (
                    "coach",
                    RoleGrant {
                        publish: true,
                        subscribe: true,
                        publish_data: true,
                        admin: true,
                    },
                ),
                (
                    "viewer",
                    RoleGrant {
                        publish: false,
                        subscribe: true,
                        publish_data: false,
                        admin: false,
                    },
                ),
            ],
        },
        RoomSpec {
            name: "lobby",
            max_participants: 0,
            tracks: &[Track::Audio],
            recording: false,
            grants: &[(
                "candidate",
                RoleGrant {
                    publish: false,
                    subscribe: true,
                    publish_data: false,
                    admin: false,
                },
            )],
        },
    ];

    #[track_caller]
    fn case(room: &str, expected: Option<&str>) {
        assert_eq!(find(ROOMS, room).map(|r| r.name), expected, "{room}");
    }

    #[test]
    fn rooms_match_their_declaration() {
        case("interview:42", Some("interview:{id}"));
        case("interview:", None);
        case("lobby", Some("lobby"));
        case("lobby2", None);
        case("other", None);
    }

    #[test]
    fn only_named_roles_are_granted() {
        let room = find(ROOMS, "interview:1").unwrap();
        assert!(room.grant("coach").unwrap().admin);
        assert_eq!(room.grant("admin"), None);
        assert_eq!(room.sources(), ["microphone", "camera"]);
    }
}
