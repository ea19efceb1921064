//! Who a client is: HS256 JSON Web Tokens with an expiry.
//!
//! Browsers cannot set headers on a WebSocket upgrade, so the token may come
//! in `Sec-WebSocket-Protocol` as `bearer.<token>`, next to the protocol
//! name `realtime.v1` (which the server echoes back; it never echoes the
//! token). Other clients send `Authorization: Bearer <token>`. The query
//! string (`?token=`) is accepted only when `ALLOW_QUERY_TOKEN` is set, since
//! URLs end up in access logs.
//!
//! A token must carry `sub` (the user), `role` (matched against the service's
//! channel permissions) and `exp`; `iss` and `aud` are required and checked
//! when configured. `exp`, `nbf` and `iat` are all checked with the same
//! leeway (`JWT_LEEWAY_SECONDS`, for clock skew between the issuer and this
//! server): a token not yet valid, or issued in the future, is refused.
//!
//! A token's expiry binds the connection it opened, not only the upgrade:
//! a WebSocket is closed with [`CLOSE_TOKEN_EXPIRED`] when its token
//! expires, unless the client sent a fresh one in-band before (a `refresh`
//! frame, see `ws.rs`); an SSE stream ends with an `expired` event.
//!
//! A token may also narrow what its role allows to some channels: a
//! `channels` claim (or `rooms`) lists channel ids, or prefixes ending in
//! `*` (`["room:42", "team-7:*"]`); a subscribe or publish outside the
//! list is refused as forbidden, and a refresh may not change it.
//!
//! The reason a token was refused goes to the log, not to the client: the
//! 401 body says only which of three things went wrong.

use axum::http::HeaderMap;
use axum::http::header::{AUTHORIZATION, SEC_WEBSOCKET_PROTOCOL};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::config::Config;

/// The claims the service reads from a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: String,
    /// Expiry, seconds since the Unix epoch.
    pub exp: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    /// Not valid before, seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    /// Issued at, seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    /// The channels the token is good for: ids, or prefixes ending in `*`;
    /// `None` (no claim) leaves them to the role alone.
    #[serde(default, alias = "rooms", skip_serializing_if = "Option::is_none")]
    pub channels: Option<Vec<String>>,
}

/// The close code a WebSocket gets when its token expires; the client gets
/// a fresh token and reconnects.
pub const CLOSE_TOKEN_EXPIRED: u16 = 4001;

impl Claims {
    /// Claims for `sub` as `role`, expiring at `exp`, issued now.
    pub fn new(sub: &str, role: &str, exp: u64) -> Claims {
        Claims {
            sub: sub.to_string(),
            role: role.to_string(),
            exp,
            iss: None,
            aud: None,
            nbf: None,
            iat: Some(crate::protocol::now_ms() / 1000),
            channels: None,
        }
    }

    /// Whether the token's `channels` claim, if any, takes in `channel`.
    pub fn allows(&self, channel: &str) -> bool {
        let Some(allowed) = &self.channels else {
            return true;
        };
        allowed.iter().any(|a| match a.strip_suffix('*') {
            Some(prefix) => channel.starts_with(prefix),
            None => a == channel,
        })
    }
}

/// Why a client was refused. `Display` is the 401 body, the same for
/// every invalid token; [`AuthError::detail`] is for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthError {
    Missing,
    Expired,
    Invalid(String),
}

impl AuthError {
    /// What exactly was wrong, for the log only.
    pub fn detail(&self) -> &str {
        match self {
            AuthError::Missing => "missing",
            AuthError::Expired => "expired",
            AuthError::Invalid(why) => why,
        }
    }
}

impl std::fmt::Display for AuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuthError::Missing => f.write_str(
                "missing token: send `Authorization: Bearer <token>` or the subprotocol `bearer.<token>`",
            ),
            AuthError::Expired => f.write_str("token expired: get a new one and reconnect"),
            AuthError::Invalid(_) => f.write_str("invalid token"),
        }
    }
}

/// Checks tokens against the configured key, issuer and audience.
#[derive(Clone)]
pub struct Verifier {
    key: DecodingKey,
    validation: Validation,
    allow_query_token: bool,
    leeway: u64,
}

impl Verifier {
    pub fn new(config: &Config) -> Verifier {
        let mut validation = Validation::new(Algorithm::HS256);
        let mut required = vec!["exp", "sub"];
        validation.leeway = config.jwt_leeway_seconds;
        validation.validate_nbf = true;
        if let Some(iss) = &config.jwt_issuer {
            validation.set_issuer(&[iss]);
            required.push("iss");
        }
        match &config.jwt_audience {
            Some(aud) => {
                validation.set_audience(&[aud]);
                required.push("aud");
            }
            None => validation.validate_aud = false,
        }
        validation.set_required_spec_claims(&required);
        Verifier {
            key: DecodingKey::from_secret(config.jwt_secret.as_bytes()),
            validation,
            allow_query_token: config.allow_query_token,
            leeway: config.jwt_leeway_seconds,
        }
    }

    /// Finds the token in the request and verifies it.
    pub fn authenticate(
        &self,
        headers: &HeaderMap,
        query_token: Option<&str>,
    ) -> Result<Claims, AuthError> {
        let token = token_from_headers(headers)
            .or_else(|| query_token.filter(|_| self.allow_query_token))
            .ok_or(AuthError::Missing)?;
        self.verify(token)
    }

    pub fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        use jsonwebtoken::errors::ErrorKind;
        let claims = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => AuthError::Expired,
                _ => AuthError::Invalid(e.to_string()),
            })?;
        // jsonwebtoken does not look at `iat`.
        let now = crate::protocol::now_ms() / 1000;
        if claims.iat.is_some_and(|iat| iat > now + self.leeway) {
            return Err(AuthError::Invalid("issued in the future".to_string()));
        }
        Ok(claims)
    }

    /// The moment a verified token stops being accepted, as an `Instant`:
    /// its `exp` plus the leeway.
    pub fn expiry(&self, claims: &Claims) -> tokio::time::Instant {
        let now_ms = crate::protocol::now_ms();
        let until_ms = (claims.exp + self.leeway).saturating_mul(1000);
        tokio::time::Instant::now()
            + std::time::Duration::from_millis(until_ms.saturating_sub(now_ms))
    }
}

fn token_from_headers(headers: &HeaderMap) -> Option<&str> {
    let bearer = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    bearer.or_else(|| {
        headers
            .get_all(SEC_WEBSOCKET_PROTOCOL)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .find_map(|p| p.trim().strip_prefix("bearer."))
    })
}

/// Signs a token; for tests, tools and local development.
pub fn issue(secret: &str, claims: &Claims) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn claims(exp: u64) -> Claims {
        Claims {
            iss: Some("example".into()),
            ..Claims::new("ada", "member", exp)
        }
    }

    fn now() -> u64 {
        crate::protocol::now_ms() / 1000
    }

    #[test]
    fn accepts_a_token_from_either_header() {
        let v = Verifier::new(&Config::new(&crate::config::tests::DEFAULTS, "k"));
        let t = issue("k", &claims(now() + 60));
        let mut h = HeaderMap::new();
        h.insert(
            SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_str(&format!("realtime.v1, bearer.{t}")).unwrap(),
        );
        assert_eq!(v.authenticate(&h, None).unwrap().sub, "ada");
        let mut h = HeaderMap::new();
        h.insert(
            AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {t}")).unwrap(),
        );
        assert_eq!(v.authenticate(&h, None).unwrap().role, "member");
    }

    #[test]
    fn refuses_missing_expired_forged_and_query_tokens() {
        let v = Verifier::new(&Config::new(&crate::config::tests::DEFAULTS, "k"));
        let h = HeaderMap::new();
        assert_eq!(v.authenticate(&h, None), Err(AuthError::Missing));
        let ok = issue("k", &claims(now() + 60));
        assert_eq!(v.authenticate(&h, Some(&ok)), Err(AuthError::Missing));
        assert_eq!(
            v.verify(&issue("k", &claims(now() - 60))),
            Err(AuthError::Expired)
        );
        assert!(matches!(
            v.verify(&issue("other", &claims(now() + 60))),
            Err(AuthError::Invalid(_))
        ));
    }

    #[test]
    fn refuses_tokens_without_the_issuer_or_not_yet_valid() {
        let v = Verifier::new(&Config::new(&crate::config::tests::DEFAULTS, "k"));
        let no_iss = Claims {
            iss: None,
            ..claims(now() + 60)
        };
        assert_eq!(
            v.verify(&issue("k", &no_iss)).unwrap_err().detail(),
            "Missing required claim: iss"
        );
        let later = Claims {
            nbf: Some(now() + 60),
            ..claims(now() + 600)
        };
        assert_eq!(
            v.verify(&issue("k", &later)).unwrap_err().detail(),
            "ImmatureSignature"
        );
        let future = Claims {
            iat: Some(now() + 60),
            ..claims(now() + 600)
        };
        assert_eq!(
            v.verify(&issue("k", &future)).unwrap_err().detail(),
            "issued in the future"
        );
        // Within the leeway, skew is forgiven.
        let skewed = Claims {
            nbf: Some(now() + 2),
            iat: Some(now() + 2),
            ..claims(now() + 600)
        };
        assert!(v.verify(&issue("k", &skewed)).is_ok());
        // The body says what kind of failure, never the library's words.
        let forged = v.verify(&issue("other", &claims(now() + 60))).unwrap_err();
        assert_eq!(forged.to_string(), "invalid token");
    }

    #[test]
    fn a_channels_claim_narrows_the_channels() {
        let open = claims(now() + 60);
        assert!(open.allows("room:1"));
        let narrow = Claims {
            channels: Some(vec!["room:42".into(), "team-7:*".into()]),
            ..open
        };
        assert!(narrow.allows("room:42") && narrow.allows("team-7:general"));
        assert!(!narrow.allows("room:4") && !narrow.allows("room:420"));
        assert!(!narrow.allows("team-70:x"), "the prefix includes the `:`");
        let none = Claims {
            channels: Some(Vec::new()),
            ..narrow.clone()
        };
        assert!(!none.allows("room:42"));
        // `rooms` is the same claim by another name.
        let json = r#"{"sub":"ada","role":"member","exp":1,"rooms":["room:42"]}"#;
        let read: Claims = serde_json::from_str(json).unwrap();
        assert_eq!(read.channels, Some(vec!["room:42".to_string()]));
    }
}
