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
//! channel permissions) and `exp`; `iss` and `aud` are checked when
//! configured. Expiry is checked at upgrade time; an open connection is not
//! cut when its token expires (clients reconnect with a fresh one).

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
}

/// Why a client was refused; the text goes into the 401 body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthError {
    Missing,
    Expired,
    Invalid(String),
}

impl std::fmt::Display for AuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuthError::Missing => f.write_str(
                "missing token: send `Authorization: Bearer <token>` or the subprotocol `bearer.<token>`",
            ),
            AuthError::Expired => f.write_str("token expired: get a new one and reconnect"),
            AuthError::Invalid(why) => write!(f, "invalid token: {why}"),
        }
    }
}

/// Checks tokens against the configured key, issuer and audience.
#[derive(Clone)]
pub struct Verifier {
    key: DecodingKey,
    validation: Validation,
    allow_query_token: bool,
}

impl Verifier {
    pub fn new(config: &Config) -> Verifier {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "sub"]);
        // A few seconds for clock skew between the issuer and this server.
        validation.leeway = 5;
        if let Some(iss) = &config.jwt_issuer {
            validation.set_issuer(&[iss]);
        }
        match &config.jwt_audience {
            Some(aud) => validation.set_audience(&[aud]),
            None => validation.validate_aud = false,
        }
        Verifier {
            key: DecodingKey::from_secret(config.jwt_secret.as_bytes()),
            validation,
            allow_query_token: config.allow_query_token,
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
        jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => AuthError::Expired,
                _ => AuthError::Invalid(e.to_string()),
            })
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
            sub: "ada".into(),
            role: "member".into(),
            exp,
            iss: Some("example".into()),
            aud: None,
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
}
