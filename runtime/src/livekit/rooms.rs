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
//! The state lives in this process, not in the Redis backplane: with
//! several nodes, LiveKit's webhooks and the `/livekit` routes must reach
//! the same one (the webhook replay check is per process too).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

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
                rooms.entry(name).or_default();
                vec![]
            }
            "participant_joined" if !identity.is_empty() => {
                let room = rooms.entry(name.clone()).or_default();
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

    /// Records `identity`'s consent to be recorded in `room`, at `at_ms`.
    pub fn consent(&self, room: &str, identity: &str, at_ms: u64) -> Consent {
        let consent = Consent {
            identity: identity.to_string(),
            at_ms,
        };
        self.rooms()
            .entry(room.to_string())
            .or_default()
            .consents
            .insert(identity.to_string(), consent.clone());
        consent
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
        let c = s.consent("r", "ada", 1_000);
        assert_eq!(
            c,
            Consent {
                identity: "ada".into(),
                at_ms: 1_000
            }
        );
        assert_eq!(s.may_record("r"), Err(vec!["bob".into()]));
        s.consent("r", "bob", 2_000);
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
        s.consent("r", "cyd", 3_000);
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
}
