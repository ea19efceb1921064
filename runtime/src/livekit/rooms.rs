//! What the service knows of its rooms, driven by admitted webhook events,
//! and the recording consent of their participants.
//!
//! A room appears when LiveKit reports it started (or a participant
//! joins), and is forgotten, consents and all, when it finishes: a new
//! room of the same name starts with nobody's consent. Consent is per
//! participant and per room instance, recorded with who gave it and when,
//! and a participant who leaves takes their consent with them.
//!
//! Recording needs every current participant's consent. The invariant is
//! kept both ways: [`RoomState::may_record`] refuses to start a recording
//! otherwise, and an event that breaks it while a recording runs (someone
//! joins without consent, or withdraws it) returns
//! [`Effect::StopRecording`] for the caller to act on.
//!
//! Consent may come before the room exists (a participant agrees, then
//! joins). Such a room is *pending* until a webhook event reports it: it
//! is forgotten [`PENDING_TTL_MS`] after it was made if none does, and
//! there are at most [`MAX_PENDING_ROOMS`] of them, at most
//! [`MAX_PENDING_PER_IDENTITY`] consented to by one identity, so consents
//! to rooms that never start cannot pile up.
//!
//! The state lives in this process, not in the Redis backplane: with
//! several nodes, LiveKit's webhooks and the `/livekit` routes must reach
//! the same one (the webhook replay check is per process too).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

/// How long a room made by a consent alone waits for LiveKit to report it.
pub const PENDING_TTL_MS: u64 = 10 * 60 * 1000;
/// Rooms made by consents alone, all identities together.
pub const MAX_PENDING_ROOMS: usize = 1024;
/// Rooms made by consents alone that one identity consented to.
pub const MAX_PENDING_PER_IDENTITY: usize = 8;

use livekit_protocol::WebhookEvent;
use serde::Serialize;

/// A participant's consent to be recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Consent {
    pub identity: String,
    /// Milliseconds since the Unix epoch.
    pub at_ms: u64,
}

/// One room as the service sees it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Room {
    pub participants: BTreeSet<String>,
    /// Track sid → publishing participant's identity.
    pub tracks: BTreeMap<String, String>,
    pub consents: BTreeMap<String, Consent>,
    /// The running egress's id.
    pub recording: Option<String>,
    /// Made by a consent, at this time (ms), and not reported by LiveKit
    /// yet.
    #[serde(skip)]
    pub pending_since: Option<u64>,
}

/// Why a consent was not recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentRefused {
    /// [`MAX_PENDING_ROOMS`] rooms wait for LiveKit already.
    TooManyPending,
    /// The identity consented to [`MAX_PENDING_PER_IDENTITY`] of them.
    TooManyOfYours,
}

impl std::fmt::Display for ConsentRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConsentRefused::TooManyPending => write!(
                f,
                "{MAX_PENDING_ROOMS} rooms that have not started hold consents already; try again later"
            ),
            ConsentRefused::TooManyOfYours => write!(
                f,
                "you consented to {MAX_PENDING_PER_IDENTITY} rooms that have not started; \
                 join one first"
            ),
        }
    }
}

/// What the caller must do after an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// A participant left: release what it held (e.g. avatar sessions).
    Left { room: String, identity: String },
    /// The room finished and was forgotten; `recording` was running in it.
    Finished {
        room: String,
        participants: Vec<String>,
        recording: Option<String>,
    },
    /// Consent no longer covers everyone: stop this egress.
    StopRecording { room: String, egress: String },
}

#[derive(Default)]
pub struct RoomState {
    rooms: Mutex<BTreeMap<String, Room>>,
}

impl RoomState {
    fn rooms(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Room>> {
        self.rooms.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn get(&self, room: &str) -> Option<Room> {
        self.rooms().get(room).cloned()
    }

    /// Applies an admitted event.
    pub fn apply(&self, event: &WebhookEvent) -> Vec<Effect> {
        let Some(name) = event.room.as_ref().map(|r| r.name.clone()) else {
            return vec![];
        };
        let identity = event
            .participant
            .as_ref()
            .map(|p| p.identity.clone())
            .unwrap_or_default();
        let mut rooms = self.rooms();
        match event.event.as_str() {
            "room_started" => {
                rooms.entry(name).or_default().pending_since = None;
                vec![]
            }
            "participant_joined" if !identity.is_empty() => {
                let room = rooms.entry(name.clone()).or_default();
                room.pending_since = None;
                room.participants.insert(identity.clone());
                stop_unless_consented(&name, room)
            }
            "participant_left" if !identity.is_empty() => {
                let out = vec![Effect::Left {
                    room: name.clone(),
                    identity: identity.clone(),
                }];
                if let Some(room) = rooms.get_mut(&name) {
                    room.participants.remove(&identity);
                    room.consents.remove(&identity);
                    room.tracks.retain(|_, owner| *owner != identity);
                }
                out
            }
            "track_published" => {
                if let Some(track) = &event.track {
                    let room = rooms.entry(name).or_default();
                    room.pending_since = None;
                    room.tracks.insert(track.sid.clone(), identity);
                }
                vec![]
            }
            "track_unpublished" => {
                if let (Some(track), Some(room)) = (&event.track, rooms.get_mut(&name)) {
                    room.tracks.remove(&track.sid);
                }
                vec![]
            }
            "egress_ended" => {
                if let (Some(info), Some(room)) = (&event.egress_info, rooms.get_mut(&name))
                    && room.recording.as_deref() == Some(info.egress_id.as_str())
                {
                    room.recording = None;
                }
                vec![]
            }
            "room_finished" => match rooms.remove(&name) {
                Some(room) => vec![Effect::Finished {
                    room: name,
                    participants: room.participants.into_iter().collect(),
                    recording: room.recording,
                }],
                None => vec![Effect::Finished {
                    room: name,
                    participants: vec![],
                    recording: None,
                }],
            },
            _ => vec![],
        }
    }

    /// Records `identity`'s consent to be recorded in `room`, at `at_ms`;
    /// a room LiveKit has not reported yet is made pending, within bounds.
    pub fn consent(
        &self,
        room: &str,
        identity: &str,
        at_ms: u64,
    ) -> Result<Consent, ConsentRefused> {
        let consent = Consent {
            identity: identity.to_string(),
            at_ms,
        };
        let mut rooms = self.rooms();
        rooms.retain(|_, r| {
            r.pending_since
                .is_none_or(|since| at_ms.saturating_sub(since) < PENDING_TTL_MS)
        });
        let known = rooms.get(room).is_some_and(|r| r.pending_since.is_none());
        let mine = rooms
            .get(room)
            .is_some_and(|r| r.consents.contains_key(identity));
        if !known && !mine {
            let pending = rooms.values().filter(|r| r.pending_since.is_some());
            let (all, yours) = pending.fold((0, 0), |(all, yours), r| {
                (
                    all + 1,
                    yours + usize::from(r.consents.contains_key(identity)),
                )
            });
            if yours >= MAX_PENDING_PER_IDENTITY {
                return Err(ConsentRefused::TooManyOfYours);
            }
            if !rooms.contains_key(room) && all >= MAX_PENDING_ROOMS {
                return Err(ConsentRefused::TooManyPending);
            }
        }
        let r = rooms.entry(room.to_string()).or_insert_with(|| Room {
            pending_since: Some(at_ms),
            ..Room::default()
        });
        r.consents.insert(identity.to_string(), consent.clone());
        Ok(consent)
    }

    /// Rooms made by consents alone, waiting for LiveKit to report them.
    pub fn pending(&self) -> usize {
        self.rooms()
            .values()
            .filter(|r| r.pending_since.is_some())
            .count()
    }

    /// Withdraws `identity`'s consent; a running recording must then stop.
    pub fn withdraw(&self, room: &str, identity: &str) -> Vec<Effect> {
        let mut rooms = self.rooms();
        let Some(r) = rooms.get_mut(room) else {
            return vec![];
        };
        r.consents.remove(identity);
        stop_unless_consented(room, r)
    }

    /// `Ok` when `room` has participants and all of them consented; else
    /// the participants who have not.
    pub fn may_record(&self, room: &str) -> Result<(), Vec<String>> {
        let rooms = self.rooms();
        let Some(r) = rooms.get(room).filter(|r| !r.participants.is_empty()) else {
            return Err(vec![]);
        };
        let missing: Vec<String> = r
            .participants
            .iter()
            .filter(|p| !r.consents.contains_key(*p))
            .cloned()
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(missing)
        }
    }

    pub fn set_recording(&self, room: &str, egress: Option<String>) {
        if let Some(r) = self.rooms().get_mut(room) {
            r.recording = egress;
        }
    }
}

fn stop_unless_consented(name: &str, room: &mut Room) -> Vec<Effect> {
    let everyone = room
        .participants
        .iter()
        .all(|p| room.consents.contains_key(p));
    match (&room.recording, everyone) {
        (Some(egress), false) => {
            let egress = egress.clone();
            room.recording = None;
            vec![Effect::StopRecording {
                room: name.to_string(),
                egress,
            }]
        }
        _ => vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use livekit_protocol::{ParticipantInfo, Room as LkRoom, TrackInfo};

    fn ev(kind: &str, who: &str) -> WebhookEvent {
        WebhookEvent {
            event: kind.into(),
            room: Some(LkRoom {
                name: "r".into(),
                ..Default::default()
            }),
            participant: (!who.is_empty()).then(|| ParticipantInfo {
                identity: who.into(),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn events_drive_the_room_and_finishing_forgets_it() {
        let s = RoomState::default();
        s.apply(&ev("room_started", ""));
        s.apply(&ev("participant_joined", "ada"));
        s.apply(&ev("participant_joined", "bob"));
        let mut track = ev("track_published", "ada");
        track.track = Some(TrackInfo {
            sid: "TR_1".into(),
            ..Default::default()
        });
        s.apply(&track);
        assert_eq!(s.get("r").unwrap().tracks["TR_1"], "ada");
        assert_eq!(
            s.apply(&ev("participant_left", "ada")),
            [Effect::Left {
                room: "r".into(),
                identity: "ada".into()
            }]
        );
        let r = s.get("r").unwrap();
        assert!(r.tracks.is_empty());
        assert_eq!(r.participants.iter().collect::<Vec<_>>(), ["bob"]);
        assert_eq!(
            s.apply(&ev("room_finished", "")),
            [Effect::Finished {
                room: "r".into(),
                participants: vec!["bob".into()],
                recording: None
            }]
        );
        assert!(s.get("r").is_none());
    }

    #[test]
    fn recording_needs_everyones_consent_and_stops_without_it() {
        let s = RoomState::default();
        assert_eq!(s.may_record("r"), Err(vec![]));
        s.apply(&ev("participant_joined", "ada"));
        s.apply(&ev("participant_joined", "bob"));
        let c = s.consent("r", "ada", 1_000).unwrap();
        assert_eq!(
            c,
            Consent {
                identity: "ada".into(),
                at_ms: 1_000
            }
        );
        assert_eq!(s.may_record("r"), Err(vec!["bob".into()]));
        s.consent("r", "bob", 2_000).unwrap();
        assert_eq!(s.may_record("r"), Ok(()));
        s.set_recording("r", Some("EG_1".into()));
        // Someone joins who has not consented: the recording must stop.
        assert_eq!(
            s.apply(&ev("participant_joined", "cyd")),
            [Effect::StopRecording {
                room: "r".into(),
                egress: "EG_1".into()
            }]
        );
        s.consent("r", "cyd", 3_000).unwrap();
        s.set_recording("r", Some("EG_2".into()));
        assert_eq!(
            s.withdraw("r", "bob"),
            [Effect::StopRecording {
                room: "r".into(),
                egress: "EG_2".into()
            }]
        );
        // Leaving takes the consent along.
        s.apply(&ev("participant_left", "ada"));
        s.apply(&ev("participant_joined", "ada"));
        assert_eq!(s.may_record("r"), Err(vec!["ada".into(), "bob".into()]));
    }

    #[test]
    fn consents_to_rooms_that_never_start_are_bounded_and_expire() {
        let s = RoomState::default();
        for i in 0..MAX_PENDING_PER_IDENTITY {
            s.consent(&format!("call:{i}"), "mallory", 1_000).unwrap();
        }
        assert_eq!(
            s.consent("call:x", "mallory", 1_000),
            Err(ConsentRefused::TooManyOfYours)
        );
        // Consenting again where it already did costs nothing new.
        s.consent("call:0", "mallory", 2_000).unwrap();
        // Others are not held back, up to the total.
        for i in 0..MAX_PENDING_ROOMS - MAX_PENDING_PER_IDENTITY {
            s.consent(&format!("other:{i}"), &format!("u{}", i % 100_000), 1_000)
                .unwrap();
        }
        assert_eq!(s.pending(), MAX_PENDING_ROOMS);
        assert_eq!(
            s.consent("call:new", "ada", 1_000),
            Err(ConsentRefused::TooManyPending)
        );
        // A room LiveKit reports is no longer pending, and takes consents.
        s.apply(&ev("participant_joined", "ada"));
        s.consent("r", "ada", 1_000).unwrap();
        assert_eq!(s.get("r").unwrap().pending_since, None);
        // Pending rooms go after the TTL; the live one stays.
        s.consent("call:late", "ada", 1_000 + PENDING_TTL_MS)
            .unwrap();
        assert_eq!(s.pending(), 1);
        assert!(s.get("r").is_some());
        assert!(s.get("call:0").is_none());
    }
}
