//! Room management through LiveKit's RoomService and Egress APIs (Twirp
//! over HTTP, signed per call by `livekit-api` with only the grant that
//! call needs).
//!
//! Every call has a deadline (`LIVEKIT_TIMEOUT_SECONDS`): the SDK's own
//! request timeout, and an outer one in case a call hangs elsewhere. Region
//! failover is off, so a call goes to `LIVEKIT_URL` and nowhere else.
//! Failures come back as an [`AdminError`] that names the call and says
//! whether LiveKit refused it, could not be reached, or took too long.

use std::future::Future;
use std::time::Duration;

use livekit_api::services::ServiceError;
use livekit_api::services::egress::{EgressClient, EgressOutput, RoomCompositeOptions};
use livekit_api::services::room::{CreateRoomOptions, RoomClient, UpdateParticipantOptions};
use livekit_protocol as proto;
use serde::Serialize;

use super::config::LiveKitConfig;
use super::spec::{RoleGrant, RoomSpec};

/// A RoomService or Egress call that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminError {
    /// No answer within the deadline.
    Timeout { call: &'static str, after: Duration },
    /// LiveKit answered with an error (its Twirp code and message).
    Refused {
        call: &'static str,
        code: String,
        message: String,
    },
    /// LiveKit could not be reached, or answered with something unreadable.
    Unreachable { call: &'static str, why: String },
}

impl std::fmt::Display for AdminError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AdminError::Timeout { call, after } => write!(
                f,
                "LiveKit `{call}` timed out after {}s (LIVEKIT_TIMEOUT_SECONDS)",
                after.as_secs()
            ),
            AdminError::Refused {
                call,
                code,
                message,
            } => write!(f, "LiveKit refused `{call}`: {code}: {message}"),
            AdminError::Unreachable { call, why } => {
                write!(f, "LiveKit `{call}` failed: {why} (check LIVEKIT_URL)")
            }
        }
    }
}

impl AdminError {
    /// Whether LiveKit says the room or participant does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, AdminError::Refused { code, .. } if code == "not_found")
    }
}

/// A room, as LiveKit reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoomInfo {
    pub name: String,
    pub sid: String,
    pub max_participants: u32,
    pub empty_timeout: u32,
    pub participants: u32,
}

/// A participant, as LiveKit reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParticipantInfo {
    pub identity: String,
    pub name: String,
    /// The sids of its published tracks.
    pub tracks: Vec<String>,
}

pub struct RoomAdmin {
    rooms: RoomClient,
    egress: EgressClient,
    timeout: Duration,
    empty_timeout: Duration,
}

impl RoomAdmin {
    pub fn new(config: &LiveKitConfig) -> RoomAdmin {
        let key = &config.keys.api_key;
        let secret = config.keys.secret();
        RoomAdmin {
            rooms: RoomClient::with_api_key(&config.url, key, secret)
                .with_failover(false)
                .with_request_timeout(config.timeout),
            egress: EgressClient::with_api_key(&config.url, key, secret)
                .with_failover(false)
                .with_request_timeout(config.timeout),
            timeout: config.timeout,
            empty_timeout: config.empty_timeout,
        }
    }

    async fn call<T>(
        &self,
        call: &'static str,
        fut: impl Future<Output = Result<T, ServiceError>>,
    ) -> Result<T, AdminError> {
        // A little over the SDK's own deadline, so its error wins when it
        // has one to give.
        match tokio::time::timeout(self.timeout + Duration::from_millis(500), fut).await {
            Err(_) => Err(AdminError::Timeout {
                call,
                after: self.timeout,
            }),
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(classify(call, e, self.timeout)),
        }
    }

    /// Creates `room` (an instance of `spec`) with the plan's participant
    /// limit and the configured empty timeout.
    pub async fn create(&self, spec: &RoomSpec, room: &str) -> Result<RoomInfo, AdminError> {
        let options = CreateRoomOptions {
            max_participants: spec.max_participants,
            empty_timeout: self.empty_timeout.as_secs() as u32,
            ..CreateRoomOptions::default()
        };
        let r = self
            .call("CreateRoom", self.rooms.create_room(room, options))
            .await?;
        Ok(room_info(r))
    }

    pub async fn list(&self) -> Result<Vec<RoomInfo>, AdminError> {
        let rooms = self
            .call("ListRooms", self.rooms.list_rooms(vec![]))
            .await?;
        Ok(rooms.into_iter().map(room_info).collect())
    }

    pub async fn delete(&self, room: &str) -> Result<(), AdminError> {
        self.call("DeleteRoom", self.rooms.delete_room(room)).await
    }

    pub async fn participants(&self, room: &str) -> Result<Vec<ParticipantInfo>, AdminError> {
        let list = self
            .call("ListParticipants", self.rooms.list_participants(room))
            .await?;
        Ok(list
            .into_iter()
            .map(|p| ParticipantInfo {
                tracks: p.tracks.iter().map(|t| t.sid.clone()).collect(),
                identity: p.identity,
                name: p.name,
            })
            .collect())
    }

    pub async fn remove(&self, room: &str, identity: &str) -> Result<(), AdminError> {
        self.call(
            "RemoveParticipant",
            self.rooms.remove_participant(room, identity),
        )
        .await
    }

    pub async fn mute(
        &self,
        room: &str,
        identity: &str,
        track_sid: &str,
        muted: bool,
    ) -> Result<(), AdminError> {
        self.call(
            "MutePublishedTrack",
            self.rooms
                .mute_published_track(room, identity, track_sid, muted),
        )
        .await
        .map(drop)
    }

    /// Gives `identity` the permissions of `grant` in `room`, as a token
    /// for that grant would carry them.
    pub async fn set_permissions(
        &self,
        spec: &RoomSpec,
        room: &str,
        identity: &str,
        grant: RoleGrant,
    ) -> Result<(), AdminError> {
        let options = UpdateParticipantOptions {
            permission: Some(permission(spec, grant)),
            ..UpdateParticipantOptions::default()
        };
        self.call(
            "UpdateParticipant",
            self.rooms.update_participant(room, identity, options),
        )
        .await
        .map(drop)
    }

    /// Starts a composite recording of `room` to `filepath` (on the egress
    /// service's configured storage); the egress id.
    pub async fn start_recording(&self, room: &str, filepath: &str) -> Result<String, AdminError> {
        let output = EgressOutput::File(proto::EncodedFileOutput {
            file_type: proto::EncodedFileType::Mp4 as i32,
            filepath: filepath.to_string(),
            ..Default::default()
        });
        let info = self
            .call(
                "StartRoomCompositeEgress",
                self.egress.start_room_composite_egress(
                    room,
                    vec![output],
                    RoomCompositeOptions::default(),
                ),
            )
            .await?;
        Ok(info.egress_id)
    }

    pub async fn stop_recording(&self, egress: &str) -> Result<(), AdminError> {
        self.call("StopEgress", self.egress.stop_egress(egress))
            .await
            .map(drop)
    }
}

/// LiveKit's permission record for `grant` in a room of `spec`.
pub fn permission(spec: &RoomSpec, grant: RoleGrant) -> proto::ParticipantPermission {
    let token = super::token::video_grants(spec, "", grant);
    proto::ParticipantPermission {
        can_subscribe: token.can_subscribe.unwrap_or(false),
        can_publish: token.can_publish.unwrap_or(false),
        can_publish_data: token.can_publish_data.unwrap_or(false),
        can_publish_sources: token
            .can_publish_sources
            .iter()
            .filter_map(|s| proto::TrackSource::from_str_name(&s.to_uppercase()))
            .map(|s| s as i32)
            .collect(),
        ..Default::default()
    }
}

fn room_info(r: proto::Room) -> RoomInfo {
    RoomInfo {
        name: r.name,
        sid: r.sid,
        max_participants: r.max_participants,
        empty_timeout: r.empty_timeout,
        participants: r.num_participants,
    }
}

fn classify(call: &'static str, e: ServiceError, after: Duration) -> AdminError {
    use livekit_api::services::ServerError;
    match e {
        ServiceError::Twirp(ServerError::Twirp(code)) => AdminError::Refused {
            call,
            code: code.code,
            message: code.msg,
        },
        ServiceError::Twirp(ServerError::Request(e)) if e.is_timeout() => {
            AdminError::Timeout { call, after }
        }
        other => AdminError::Unreachable {
            call,
            why: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::livekit::spec::tests::ROOMS;

    #[test]
    fn permissions_match_the_roles_token() {
        let p = permission(&ROOMS[0], ROOMS[0].grant("candidate").unwrap());
        assert!(p.can_publish && p.can_subscribe && p.can_publish_data);
        assert_eq!(
            p.can_publish_sources,
            [
                proto::TrackSource::Microphone as i32,
                proto::TrackSource::Camera as i32
            ]
        );
        let p = permission(&ROOMS[0], ROOMS[0].grant("viewer").unwrap());
        assert!(!p.can_publish && p.can_publish_sources.is_empty() && !p.can_publish_data);
    }
}
