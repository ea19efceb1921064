//! The plan's avatars through the service's routes. HeyGen cannot be called
//! from a test, and without `HEYGEN_API_KEY` every avatar must answer with
//! the fallback the plan chose; the session lifecycle against a server
//! shaped like HeyGen's API is the runtime's tests' business.

mod common;

use common::*;
use harness_realtime::auth::Verifier;
use harness_realtime::avatar::Avatars;
use serde_json::Value;

use chat_service::avatars::AVATARS;

#[tokio::test]
async fn without_heygen_each_avatar_answers_with_its_fallback() {
    let config = config();
    let avatars = Avatars::new(AVATARS, None, Some(Verifier::new(&config)));
    let server = start_with(config, |s| s.merge(avatars.router())).await;
    let addr = server.addr;
    let auth = format!("Bearer {}", token(PUBLISHER, "ada"));
    for avatar in AVATARS {
        let path = format!("/avatars/{}/sessions", avatar.name);
        assert_eq!(http_post(addr, &path, None, "").await.0, 401);
        let (status, body) = http_post(addr, &path, Some(&auth), "").await;
        assert_eq!(status, 200, "{body}");
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["mode"], "fallback");
        assert_eq!(
            body["fallback"],
            serde_json::to_value(avatar.fallback).unwrap()
        );
        assert_eq!(body["reason"], "HEYGEN_API_KEY is not set");
    }
    assert_eq!(
        http_post(addr, "/avatars/undeclared/sessions", Some(&auth), "")
            .await
            .0,
        404
    );
    server.stop().await;
}
