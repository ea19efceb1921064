//! Room tokens: what a participant presents to LiveKit to join a room.
//!
//! A token is issued only to a caller the service has already
//! authenticated (its own JWT) and whose role the room's declaration
//! grants; its grants are exactly that role's (publish the room's track
//! sources, subscribe, publish data), joined to that one room. It never
//! carries `roomAdmin`, `roomCreate`, `roomList` or `roomRecord`: those
//! stay with the service, which acts on a participant's behalf. It lives
//! `LIVEKIT_TOKEN_TTL_SECONDS`, and never longer than the caller's own
//! token, so a session cannot outlive the login it came from.

use std::time::Duration;

use livekit_api::access_token::{AccessToken, VideoGrants};

use super::config::Keys;
use super::spec::{RoleGrant, RoomSpec, Track};
use crate::auth::Claims;
use crate::protocol::now_ms;

/// A token handed to a participant.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Issued {
    pub token: String,
    pub room: String,
    pub identity: String,
    /// Seconds until the token expires.
    pub expires_in: u64,
}

/// Why no token was issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No room of that name is declared.
    UnknownRoom(String),
    /// The caller's role has no grant in the room.
    Forbidden {
        role: String,
        room: String,
    },
    /// The caller's own token has (about) expired.
    Expired,
    Signing(String),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::UnknownRoom(room) => write!(f, "no room `{room}` is declared"),
            Refusal::Forbidden { role, room } => {
                write!(f, "role `{role}` may not join room `{room}`")
            }
            Refusal::Expired => f.write_str("your token is about to expire: get a new one"),
            Refusal::Signing(e) => write!(f, "cannot sign the room token: {e}"),
        }
    }
}

/// The LiveKit grants of `grant` in `room`, an instance of `spec`.
pub fn video_grants(spec: &RoomSpec, room: &str, grant: RoleGrant) -> VideoGrants {
    let sources = if grant.publish {
        spec.sources()
    } else {
        Vec::new()
    };
    VideoGrants {
        room_join: true,
        room: room.to_string(),
        // An empty source list means "any source" to LiveKit, so a role
        // that may not publish media says so with `canPublish: false`.
        can_publish: Some(grant.publish && !sources.is_empty()),
        can_publish_sources: sources,
        can_subscribe: Some(grant.subscribe),
        can_publish_data: Some(grant.publish_data && spec.carries(Track::Data)),
        can_update_own_metadata: Some(false),
        ..VideoGrants::default()
    }
}

/// Issues `claims`' holder a token for `room`, valid for at most `ttl`.
pub fn issue(
    keys: &Keys,
    rooms: &[RoomSpec],
    room: &str,
    claims: &Claims,
    ttl: Duration,
) -> Result<Issued, Refusal> {
    let spec = super::spec::find(rooms, room).ok_or_else(|| Refusal::UnknownRoom(room.into()))?;
    let grant = spec.grant(&claims.role).ok_or_else(|| Refusal::Forbidden {
        role: claims.role.clone(),
        room: room.to_string(),
    })?;
    let left = claims.exp.saturating_sub(now_ms() / 1000);
    let secs = ttl.as_secs().min(left);
    if secs == 0 {
        return Err(Refusal::Expired);
    }
    let token = AccessToken::with_api_key(&keys.api_key, keys.secret())
        .with_identity(&claims.sub)
        .with_name(&claims.sub)
        .with_ttl(Duration::from_secs(secs))
        .with_grants(video_grants(spec, room, grant))
        .to_jwt()
        .map_err(|e| Refusal::Signing(e.to_string()))?;
    Ok(Issued {
        token,
        room: room.to_string(),
        identity: claims.sub.clone(),
        expires_in: secs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::livekit::spec::tests::ROOMS;
    use livekit_api::access_token::TokenVerifier;

    fn keys() -> Keys {
        Keys::new("APIkey", "a-secret-of-at-least-32-characters!!")
    }

    fn claims(role: &str, exp_in: u64) -> Claims {
        Claims {
            sub: "ada".into(),
            role: role.into(),
            exp: now_ms() / 1000 + exp_in,
            iss: None,
            aud: None,
            nbf: None,
            iat: None,
            channels: None,
        }
    }

    #[test]
    fn a_token_carries_exactly_the_roles_grants() {
        let k = keys();
        let issued = issue(
            &k,
            ROOMS,
            "interview:7",
            &claims("coach", 3600),
            Duration::from_secs(600),
        )
        .unwrap();
        assert_eq!(issued.expires_in, 600);
        let c = TokenVerifier::with_api_key(&k.api_key, k.secret())
            .verify(&issued.token)
            .unwrap();
        assert_eq!((c.sub.as_str(), c.iss.as_str()), ("ada", "APIkey"));
        assert_eq!(c.exp - c.nbf, 600);
        let v = c.video;
        assert!(v.room_join && v.room == "interview:7");
        assert_eq!(v.can_publish_sources, ["microphone", "camera"]);
        assert_eq!(
            (v.can_publish, v.can_subscribe, v.can_publish_data),
            (Some(true), Some(true), Some(true))
        );
        // The plan's `admin` stays with the service.
        assert!(!v.room_admin && !v.room_create && !v.room_list && !v.room_record);

        let viewer = issue(
            &k,
            ROOMS,
            "interview:7",
            &claims("viewer", 3600),
            Duration::from_secs(600),
        )
        .unwrap();
        let v = TokenVerifier::with_api_key(&k.api_key, k.secret())
            .verify(&viewer.token)
            .unwrap()
            .video;
        assert_eq!(v.can_publish, Some(false));
        assert!(v.can_publish_sources.is_empty());
        assert_eq!(v.can_publish_data, Some(false));
    }

    #[test]
    fn refuses_undeclared_rooms_unnamed_roles_and_dying_logins() {
        let k = keys();
        let ttl = Duration::from_secs(600);
        let err = |room: &str, c: &Claims| issue(&k, ROOMS, room, c, ttl).unwrap_err();
        assert_eq!(
            err("nowhere", &claims("coach", 60)),
            Refusal::UnknownRoom("nowhere".into())
        );
        assert!(matches!(
            err("lobby", &claims("coach", 60)),
            Refusal::Forbidden { .. }
        ));
        assert_eq!(err("lobby", &claims("candidate", 0)), Refusal::Expired);
        // Never longer than the login it came from.
        let short = issue(&k, ROOMS, "lobby", &claims("candidate", 30), ttl).unwrap();
        assert!(short.expires_in <= 30, "{}", short.expires_in);
    }
}
