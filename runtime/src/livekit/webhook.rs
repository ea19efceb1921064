//! The LiveKit webhook receiver's checks, before an event may change any
//! room state.
//!
//! LiveKit signs each delivery: the `Authorization` header is a JWT signed
//! with the API secret, issued by the API key, whose `sha256` claim is the
//! body's hash. [`WebhookGate::admit`] has `livekit-api` verify both (a
//! forged or tampered delivery fails here), then refuses what a valid
//! signature alone does not rule out: an event without an id, an event
//! older than `LIVEKIT_WEBHOOK_MAX_AGE_SECONDS` (or dated in the future
//! beyond a little clock skew), and an event id already admitted. Since
//! stale events are refused anyway, ids need remembering only for the
//! maximum age, which bounds the memory the replay check takes.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use livekit_api::access_token::TokenVerifier;
use livekit_api::webhooks::WebhookReceiver;
use livekit_protocol::WebhookEvent;

use super::config::Keys;

/// Clock skew tolerated between LiveKit and this server.
const SKEW: Duration = Duration::from_secs(30);

/// Why a delivery was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejected {
    /// Bad or missing signature, or a body that does not match it.
    Forged(String),
    /// The event is older than the maximum age (or from the future).
    Stale {
        age_seconds: i64,
    },
    /// This event id was already admitted.
    Replayed(String),
    Malformed(String),
}

impl std::fmt::Display for Rejected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rejected::Forged(why) => write!(f, "webhook signature refused: {why}"),
            Rejected::Stale { age_seconds } => {
                write!(f, "webhook event refused: created {age_seconds}s ago")
            }
            Rejected::Replayed(id) => write!(f, "webhook event `{id}` was already received"),
            Rejected::Malformed(why) => write!(f, "webhook event refused: {why}"),
        }
    }
}

pub struct WebhookGate {
    receiver: WebhookReceiver,
    max_age: Duration,
    /// Admitted ids and when (ms since the epoch).
    seen: Mutex<HashMap<String, u64>>,
}

impl WebhookGate {
    pub fn new(keys: &Keys, max_age: Duration) -> WebhookGate {
        WebhookGate {
            receiver: WebhookReceiver::new(TokenVerifier::with_api_key(
                &keys.api_key,
                keys.secret(),
            )),
            max_age,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// The event, if the delivery is authentic, fresh and new; `now_ms` is
    /// the current time in milliseconds since the epoch.
    pub fn admit(
        &self,
        body: &str,
        authorization: &str,
        now_ms: u64,
    ) -> Result<WebhookEvent, Rejected> {
        let token = authorization
            .strip_prefix("Bearer ")
            .unwrap_or(authorization)
            .trim();
        if token.is_empty() {
            return Err(Rejected::Forged("no Authorization header".to_string()));
        }
        let event = self.receiver.receive(body, token).map_err(|e| {
            use livekit_api::webhooks::WebhookError;
            match e {
                WebhookError::InvalidData(e) => Rejected::Malformed(e.to_string()),
                other => Rejected::Forged(other.to_string()),
            }
        })?;
        if event.id.is_empty() {
            return Err(Rejected::Malformed("the event has no id".to_string()));
        }
        let age = (now_ms / 1000) as i64 - event.created_at;
        if age > self.max_age.as_secs() as i64 || -age > SKEW.as_secs() as i64 {
            return Err(Rejected::Stale { age_seconds: age });
        }
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let keep = (self.max_age + SKEW * 2).as_millis() as u64;
        seen.retain(|_, at| now_ms.saturating_sub(*at) <= keep);
        if seen.insert(event.id.clone(), now_ms).is_some() {
            return Err(Rejected::Replayed(event.id));
        }
        Ok(event)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use livekit_api::access_token::AccessToken;
    use sha2::{Digest, Sha256};

    pub(crate) fn sign(keys: &Keys, body: &str) -> String {
        use base64::Engine as _;
        let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(body));
        AccessToken::with_api_key(&keys.api_key, keys.secret())
            .with_sha256(&hash)
            .to_jwt()
            .unwrap()
    }

    pub(crate) fn event(id: &str, kind: &str, created_at: u64, extra: &str) -> String {
        format!(
            r#"{{"id":"{id}","event":"{kind}","createdAt":"{created_at}","room":{{"name":"interview:1"}}{extra}}}"#
        )
    }

    #[test]
    fn admits_signed_fresh_new_events_only() {
        let keys = Keys::new("APIkey", "a-secret-of-at-least-32-characters!!");
        let gate = WebhookGate::new(&keys, Duration::from_secs(300));
        let now = crate::protocol::now_ms();
        let secs = now / 1000;
        let body = event("EV_1", "room_started", secs, "");
        let auth = sign(&keys, &body);
        let e = gate.admit(&body, &auth, now).unwrap();
        assert_eq!(
            (e.event.as_str(), e.room.unwrap().name.as_str()),
            ("room_started", "interview:1")
        );
        assert_eq!(
            gate.admit(&body, &auth, now),
            Err(Rejected::Replayed("EV_1".into()))
        );
        // The body changed after signing.
        let tampered = body.replace("interview:1", "interview:2");
        assert!(matches!(
            gate.admit(&tampered, &auth, now),
            Err(Rejected::Forged(_))
        ));
        // Signed with another secret.
        let other = Keys::new("APIkey", "another-secret-of-32-characters-or-more");
        let body = event("EV_2", "room_started", secs, "");
        assert!(matches!(
            gate.admit(&body, &sign(&other, &body), now),
            Err(Rejected::Forged(_))
        ));
        assert!(matches!(
            gate.admit(&body, "", now),
            Err(Rejected::Forged(_))
        ));
        let old = event("EV_3", "room_started", secs - 301, "");
        assert!(matches!(
            gate.admit(&old, &sign(&keys, &old), now),
            Err(Rejected::Stale { .. })
        ));
        let future = event("EV_4", "room_started", secs + 120, "");
        assert!(matches!(
            gate.admit(&future, &sign(&keys, &future), now),
            Err(Rejected::Stale { .. })
        ));
        let no_id = event("", "room_started", secs, "");
        assert!(matches!(
            gate.admit(&no_id, &sign(&keys, &no_id), now),
            Err(Rejected::Malformed(_))
        ));
        // An id is forgotten only once its event would be stale anyway.
        let later = now + 400_000;
        let fresh = event("EV_1", "room_started", later / 1000, "");
        assert!(gate.admit(&fresh, &sign(&keys, &fresh), later).is_ok());
    }
}
