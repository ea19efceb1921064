//! Avatar sessions against a local server that answers as HeyGen's
//! streaming API documents (`POST /v1/streaming.*`, `x-api-key`, answers
//! `{code: 100, data, message}`), and fails on demand: HeyGen itself cannot
//! be called from a test.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::*;

const KEY: &str = "hg-test-key";

#[derive(Default)]
struct Fake {
    calls: Mutex<Vec<(String, Value)>>,
    open: Mutex<BTreeSet<String>>,
    /// Calls that answer HTTP 500.
    failing: Mutex<BTreeSet<&'static str>>,
    /// Answer `streaming.new` with HeyGen's "avatar not found" refusal.
    unknown_avatar: Mutex<bool>,
    delay: Mutex<Duration>,
}

impl Fake {
    fn calls(&self) -> Vec<String> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .map(|(c, _)| c.clone())
            .collect()
    }

    fn body(&self, call: &str) -> Value {
        let calls = self.calls.lock().unwrap();
        calls
            .iter()
            .find(|(c, _)| c == call)
            .map(|(_, b)| b.clone())
            .unwrap()
    }

    fn fail(&self, call: &'static str) {
        self.failing.lock().unwrap().insert(call);
    }
}

async fn heygen(
    State(fake): State<Arc<Fake>>,
    Path(call): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let delay = *fake.delay.lock().unwrap();
    tokio::time::sleep(delay).await;
    if headers.get("x-api-key").and_then(|v| v.to_str().ok()) != Some(KEY) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"code": 401, "message": "Unauthorized"})),
        )
            .into_response();
    }
    let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    fake.calls
        .lock()
        .unwrap()
        .push((call.clone(), body.clone()));
    if fake.failing.lock().unwrap().contains(call.as_str()) {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"code": 10001, "message": "internal error"})),
        )
            .into_response();
    }
    let session = body["session_id"].as_str().unwrap_or("").to_string();
    let known = fake.open.lock().unwrap().contains(&session);
    let data = match call.as_str() {
        "streaming.new" => {
            if *fake.unknown_avatar.lock().unwrap() {
                return Json(json!({"code": 10013, "message": "avatar not found"})).into_response();
            }
            let id = format!("sess-{}", fake.calls().len());
            fake.open.lock().unwrap().insert(id.clone());
            json!({
                "session_id": id,
                "url": "wss://heygen-feapbkvq.livekit.cloud",
                "access_token": "lk-access-token",
                "session_duration_limit": 600,
                "is_paid": true,
                "realtime_endpoint": "wss://webrtc-signaling.heygen.io/v2-alpha/interactive-avatar/session/x"
            })
        }
        "streaming.start" | "streaming.keep_alive" if known => Value::Null,
        "streaming.task" if known => json!({"duration_ms": 1200, "task_id": "task-1"}),
        "streaming.stop" if known => {
            fake.open.lock().unwrap().remove(&session);
            Value::Null
        }
        _ => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"code": 10005, "message": "session not found"})),
            )
                .into_response();
        }
    };
    Json(json!({"code": 100, "data": data, "message": "success"})).into_response()
}

async fn fake_heygen() -> (String, Arc<Fake>) {
    let fake = Arc::new(Fake::default());
    let app = Router::new()
        .route("/v1/{call}", axum::routing::post(heygen))
        .with_state(Arc::clone(&fake));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), fake)
}

const SPECS: &[AvatarSpec] = &[
    AvatarSpec {
        name: "coach",
        avatar_id: Some("Wayne_20240711"),
        fallback: Fallback::AudioOnly,
    },
    AvatarSpec {
        name: "narrator",
        avatar_id: None,
        fallback: Fallback::Text,
    },
];

fn avatars(url: &str) -> Arc<Avatars> {
    let mut config = HeyGenConfig::new(url, KEY);
    config.timeout = Duration::from_secs(1);
    config.keep_alive = Duration::from_millis(300);
    Avatars::new(SPECS, Some(config), None)
}

fn session(started: Started) -> String {
    match started {
        Started::Avatar { stream } => stream.session_id,
        other => panic!("expected an avatar, got {other:?}"),
    }
}

#[tokio::test]
async fn a_session_goes_through_heygens_lifecycle() {
    let (url, fake) = fake_heygen().await;
    let a = avatars(&url);
    let started = a.start("ada", "coach").await.unwrap();
    let Started::Avatar { stream } = &started else {
        panic!("{started:?}")
    };
    assert_eq!(stream.url, "wss://heygen-feapbkvq.livekit.cloud");
    assert_eq!(stream.access_token, "lk-access-token");
    let id = stream.session_id.clone();
    assert_eq!(
        a.speak("ada", &id, "Tell me about yourself.")
            .await
            .unwrap(),
        Ok("task-1".into())
    );
    // Someone else's session is not theirs to drive.
    assert_eq!(
        a.speak("bob", &id, "hi").await,
        Err(Refused::UnknownSession(id.clone()))
    );
    tokio::time::sleep(Duration::from_millis(700)).await;
    a.stop("ada", &id).await.unwrap();
    let calls = fake.calls();
    assert_eq!(
        &calls[..3],
        ["streaming.new", "streaming.start", "streaming.task"]
    );
    assert!(
        calls
            .iter()
            .filter(|c| *c == "streaming.keep_alive")
            .count()
            >= 1,
        "{calls:?}"
    );
    assert_eq!(calls.last().unwrap(), "streaming.stop");
    let new = fake.body("streaming.new");
    assert_eq!(
        (new["avatar_id"].as_str(), new["version"].as_str()),
        (Some("Wayne_20240711"), Some("v2"))
    );
    let task = fake.body("streaming.task");
    assert_eq!(
        task,
        json!({"session_id": id, "text": "Tell me about yourself.", "task_type": "repeat"})
    );
    assert!(fake.open.lock().unwrap().is_empty());
    assert!(a.open().is_empty());
    // No keep-alive after the stop.
    let count = fake.calls().len();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(fake.calls().len(), count);
}

#[tokio::test]
async fn failures_fall_back_and_open_the_breaker() {
    let (url, fake) = fake_heygen().await;
    let a = avatars(&url);
    *fake.unknown_avatar.lock().unwrap() = true;
    assert_eq!(
        a.start("ada", "coach").await.unwrap(),
        Started::Fallback {
            fallback: Fallback::AudioOnly,
            reason: "HeyGen `streaming.new` failed: code 10013: avatar not found".into()
        }
    );
    *fake.unknown_avatar.lock().unwrap() = false;
    // Created but not started: the session is stopped, not leaked.
    fake.fail("streaming.start");
    let started = a.start("ada", "narrator").await.unwrap();
    assert!(
        matches!(&started, Started::Fallback { fallback: Fallback::Text, reason } if reason.contains("HTTP 500")),
        "{started:?}"
    );
    assert!(fake.open.lock().unwrap().is_empty());
    assert_eq!(fake.calls().last().unwrap(), "streaming.stop");
    // The third failure in a row opens the circuit: no more calls go out.
    fake.fail("streaming.new");
    a.start("ada", "coach").await.unwrap();
    a.start("ada", "coach").await.unwrap();
    let before = fake.calls().len();
    let started = a.start("ada", "coach").await.unwrap();
    assert!(
        matches!(&started, Started::Fallback { reason, .. } if reason.contains("circuit open")),
        "{started:?}"
    );
    assert_eq!(fake.calls().len(), before);
}

#[tokio::test]
async fn a_failed_line_is_delivered_by_the_fallback() {
    let (url, fake) = fake_heygen().await;
    let a = avatars(&url);
    let id = session(a.start("ada", "coach").await.unwrap());
    fake.fail("streaming.task");
    let (fallback, reason) = a.speak("ada", &id, "Hello").await.unwrap().unwrap_err();
    assert_eq!(fallback, Fallback::AudioOnly);
    assert!(
        reason.starts_with("HeyGen `streaming.task` failed: HTTP 500"),
        "{reason}"
    );
    a.shutdown().await;
}

#[tokio::test]
async fn a_slow_heygen_times_out_into_the_fallback() {
    let (url, fake) = fake_heygen().await;
    *fake.delay.lock().unwrap() = Duration::from_secs(3);
    let a = avatars(&url);
    let started = std::time::Instant::now();
    let result = a.start("ada", "narrator").await.unwrap();
    assert_eq!(
        result,
        Started::Fallback {
            fallback: Fallback::Text,
            reason: "HeyGen `streaming.new` failed: no answer in 1s".into()
        }
    );
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn sessions_close_on_disconnect_and_at_shutdown() {
    let (url, fake) = fake_heygen().await;
    let a = avatars(&url);
    let ada = session(a.start("ada", "coach").await.unwrap());
    let bob = session(a.start("bob", "coach").await.unwrap());
    a.disconnect("ada").await;
    assert_eq!(a.open(), [("bob".to_string(), bob.clone())]);
    assert_eq!(fake.open.lock().unwrap().iter().collect::<Vec<_>>(), [&bob]);
    assert_eq!(fake.body("streaming.stop")["session_id"], ada.as_str());
    a.shutdown().await;
    assert!(a.open().is_empty());
    assert!(fake.open.lock().unwrap().is_empty());
}

#[cfg(feature = "livekit")]
#[tokio::test]
async fn leaving_the_livekit_room_closes_the_participants_sessions() {
    use crate::livekit::Effect;
    let (url, fake) = fake_heygen().await;
    let a = avatars(&url);
    let (tx, rx) = tokio::sync::broadcast::channel(8);
    a.follow(rx);
    session(a.start("ada", "coach").await.unwrap());
    tx.send(Effect::Left {
        room: "interview:1".into(),
        identity: "ada".into(),
    })
    .unwrap();
    for _ in 0..50 {
        if fake.open.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(fake.open.lock().unwrap().is_empty());
    assert!(a.open().is_empty());
}

#[tokio::test]
async fn without_a_key_every_avatar_falls_back_and_the_key_is_never_printed() {
    let a = Avatars::new(SPECS, None, None);
    assert_eq!(
        a.start("ada", "narrator").await.unwrap(),
        Started::Fallback {
            fallback: Fallback::Text,
            reason: "HEYGEN_API_KEY is not set".into()
        }
    );
    assert_eq!(
        a.start("ada", "ghost").await,
        Err(Refused::UnknownAvatar("ghost".into()))
    );
    let lookup = |k: &str| match k {
        "HEYGEN_API_KEY" => Some("super-secret-key".to_string()),
        "HEYGEN_TIMEOUT_SECONDS" => Some("3".to_string()),
        _ => None,
    };
    let c = HeyGenConfig::from_lookup(lookup).unwrap().unwrap();
    assert_eq!(
        (c.base_url.as_str(), c.timeout),
        ("https://api.heygen.com", Duration::from_secs(3))
    );
    assert!(!format!("{c:?}").contains("super-secret-key"));
    assert!(HeyGenConfig::from_lookup(|_| None).unwrap().is_none());
}

#[tokio::test]
async fn the_routes_serve_authenticated_callers_only() {
    let (url, _fake) = fake_heygen().await;
    let config = crate::config::Config::new(&crate::config::tests::DEFAULTS, "jwt");
    let mut hg = HeyGenConfig::new(url, KEY);
    hg.timeout = Duration::from_secs(1);
    let a = Avatars::new(SPECS, Some(hg), Some(Verifier::new(&config)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = a.router();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let http = client(Duration::from_secs(5)).unwrap();
    let res = http
        .post(format!("http://{addr}/avatars/coach/sessions"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let claims = crate::auth::Claims {
        sub: "ada".into(),
        role: "member".into(),
        exp: crate::protocol::now_ms() / 1000 + 60,
        iss: Some("example".into()),
        aud: None,
        nbf: None,
        iat: None,
        channels: None,
    };
    let token = crate::auth::issue("jwt", &claims);
    let res = http
        .post(format!("http://{addr}/avatars/coach/sessions"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["mode"], "avatar", "{body}");
    let id = body["session_id"].as_str().unwrap();
    let res = http
        .post(format!("http://{addr}/avatars/sessions/{id}/task"))
        .bearer_auth(&token)
        .json(&json!({"text": "hi"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"mode": "avatar", "task_id": "task-1"})
    );
    let res = http
        .delete(format!("http://{addr}/avatars/sessions/{id}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(a.open().is_empty());
}

#[tokio::test]
async fn a_user_holds_a_bounded_number_of_sessions_for_a_bounded_time() {
    let (url, fake) = fake_heygen().await;
    let mut config = HeyGenConfig::new(&url, KEY);
    config.sessions_per_user = 2;
    config.max_session = Duration::from_millis(400);
    let a = Avatars::new(SPECS, Some(config), None);
    // A burst of starts: only the cap's worth get a session.
    let starts = futures_util::future::join_all((0..4).map(|_| a.start("ada", "coach"))).await;
    let refused = starts
        .iter()
        .filter(|s| matches!(s, Err(Refused::TooMany(2))))
        .count();
    assert_eq!(refused, 2, "{starts:?}");
    assert_eq!(a.open().len(), 2);
    // Another user is not held back by ada's sessions.
    session(a.start("bob", "coach").await.unwrap());
    // Past the maximum lifetime every session is closed, at HeyGen too.
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(a.open(), Vec::<(String, String)>::new());
    assert!(fake.open.lock().unwrap().is_empty());
    session(a.start("ada", "coach").await.unwrap());
}

#[test]
fn session_limits_come_from_the_environment() {
    let get = |vars: &'static [(&'static str, &'static str)]| {
        move |k: &str| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    };
    let c = HeyGenConfig::from_lookup(get(&[
        ("HEYGEN_API_KEY", "k"),
        ("HEYGEN_SESSIONS_PER_USER", "1"),
        ("HEYGEN_MAX_SESSION_SECONDS", "90"),
    ]))
    .unwrap()
    .unwrap();
    assert_eq!(
        (c.sessions_per_user, c.max_session),
        (1, Duration::from_secs(90))
    );
    let e = HeyGenConfig::from_lookup(get(&[
        ("HEYGEN_API_KEY", "k"),
        ("HEYGEN_SESSIONS_PER_USER", "0"),
    ]))
    .unwrap_err();
    assert!(e.starts_with("HEYGEN_SESSIONS_PER_USER=`0`"), "{e}");
}
