//! The LiveKit rooms this service serves, exactly as the plan declares them,
//! and what each role may do in them.
//!
//! A role is authorised for a room when the room lists a grant for it; its
//! room token carries exactly that grant (publish the room's tracks,
//! subscribe, publish data). `admin` lets the role manage the room through
//! this service (create, remove, mute, record); it is never put in a
//! participant's token. Token issuing, the webhook receiver, RoomService
//! calls and recording consent are the runtime's
//! ([`harness_realtime::livekit`]); this module only declares.

use harness_realtime::livekit::{RoleGrant, RoomSpec, Track};

/// `call:{id}`
const CALL: RoomSpec = RoomSpec {
    name: "call:{id}",
    max_participants: 8,
    tracks: &[Track::Audio, Track::Video, Track::Screen, Track::Data],
    recording: true,
    grants: &[
        (
            "admin",
            RoleGrant {
                publish: true,
                subscribe: true,
                publish_data: true,
                admin: true,
            },
        ),
        (
            "guest",
            RoleGrant {
                publish: false,
                subscribe: true,
                publish_data: false,
                admin: false,
            },
        ),
        (
            "member",
            RoleGrant {
                publish: true,
                subscribe: true,
                publish_data: true,
                admin: false,
            },
        ),
    ],
};

/// Every room the plan declares.
pub const ROOMS: &[RoomSpec] = &[CALL];

#[cfg(test)]
mod tests {
    use super::*;
    use harness_realtime::livekit::spec::find;

    #[test]
    fn rooms_and_grants_follow_the_plan() {
        let room = find(ROOMS, "call:1").expect("declared");
        assert_eq!(room.name, "call:{id}");
        assert_eq!(room.grant("admin").map(|g| g.admin), Some(true));
        assert_eq!(room.grant("guest").map(|g| g.admin), Some(false));
        assert_eq!(room.grant("member").map(|g| g.admin), Some(false));
        assert_eq!(room.grant("not-a-role"), None);
        assert!(find(ROOMS, "undeclared").is_none());
    }
}
