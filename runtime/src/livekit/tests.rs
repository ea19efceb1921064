//! The `/livekit` routes end to end, with RoomService and Egress served by
//! a contract server: no LiveKit server can run where these tests run, so
//! the contract server stands in for one. It checks what a LiveKit server
//! would: the Twirp path, a protobuf body that decodes as the method's
//! request, and a bearer token signed with the API secret whose grants
//! cover the call (`roomCreate`, `roomList`, `roomRecord`, or `roomAdmin`
//! for that very room); it answers as LiveKit does, in protobuf, or with a
//! Twirp JSON error.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use livekit_api::access_token::{Claims as LkClaims, TokenVerifier};
use livekit_protocol as proto;
use prost::Message;
use tower::ServiceExt;

use super::*;
use crate::auth::{Claims, issue};
use crate::livekit::spec::tests::ROOMS;
use crate::livekit::webhook::tests::{event, sign};

const SECRET: &str = "a-secret-of-at-least-32-characters!!";
const JWT: &str = "service-jwt-secret";

/// One call the contract server accepted.
#[derive(Debug, Clone)]
struct Call {
    method: String,
    body: Vec<u8>,
    claims: LkClaims,
}

#[derive(Default)]
struct Contract {
    calls: Mutex<Vec<Call>>,
    /// Delay every answer by this much (for the timeout test).
    delay: Mutex<Duration>,
}

fn twirp_error(status: StatusCode, code: &str, msg: &str) -> Response {
    (
        status,
        [("content-type", "application/json")],
        serde_json::json!({ "code": code, "msg": msg }).to_string(),
    )
        .into_response()
}

async fn serve_twirp(
    State(contract): State<Arc<Contract>>,
    Path((service, method)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let delay = *contract.delay.lock().unwrap();
    tokio::time::sleep(delay).await;
    if headers.get("content-type").and_then(|v| v.to_str().ok()) != Some("application/protobuf") {
        return twirp_error(StatusCode::BAD_REQUEST, "malformed", "not protobuf");
    }
    let Some(token) = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return twirp_error(StatusCode::UNAUTHORIZED, "unauthenticated", "no token");
    };
    let Ok(claims) = TokenVerifier::with_api_key("APIkey", SECRET).verify(token) else {
        return twirp_error(StatusCode::UNAUTHORIZED, "unauthenticated", "bad token");
    };
    let v = &claims.video;
    let admin_of = |room: &str| v.room_admin && v.room == room;
    let denied = || twirp_error(StatusCode::FORBIDDEN, "permission_denied", "grant missing");
    let bad = || twirp_error(StatusCode::BAD_REQUEST, "malformed", "body does not decode");
    let answer: Vec<u8> = match (service.as_str(), method.as_str()) {
        ("livekit.RoomService", "CreateRoom") => {
            let Ok(r) = proto::CreateRoomRequest::decode(body.clone()) else {
                return bad();
            };
            if !v.room_create {
                return denied();
            }
            proto::Room {
                name: r.name,
                sid: "RM_1".into(),
                max_participants: r.max_participants,
                empty_timeout: r.empty_timeout,
                ..Default::default()
            }
            .encode_to_vec()
        }
        ("livekit.RoomService", "ListRooms") => {
            if proto::ListRoomsRequest::decode(body.clone()).is_err() {
                return bad();
            }
            if !v.room_list {
                return denied();
            }
            let room = |name: &str| proto::Room {
                name: name.into(),
                num_participants: 2,
                ..Default::default()
            };
            proto::ListRoomsResponse {
                rooms: vec![room("interview:1"), room("lobby")],
            }
            .encode_to_vec()
        }
        ("livekit.RoomService", "DeleteRoom") => {
            let Ok(r) = proto::DeleteRoomRequest::decode(body.clone()) else {
                return bad();
            };
            if !v.room_create {
                return denied();
            }
            if r.room != "interview:1" {
                return twirp_error(StatusCode::NOT_FOUND, "not_found", "room not found");
            }
            proto::DeleteRoomResponse::default().encode_to_vec()
        }
        ("livekit.RoomService", "ListParticipants") => {
            let Ok(r) = proto::ListParticipantsRequest::decode(body.clone()) else {
                return bad();
            };
            if !admin_of(&r.room) {
                return denied();
            }
            proto::ListParticipantsResponse {
                participants: vec![proto::ParticipantInfo {
                    identity: "ada".into(),
                    name: "Ada".into(),
                    tracks: vec![proto::TrackInfo {
                        sid: "TR_a".into(),
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
            }
            .encode_to_vec()
        }
        ("livekit.RoomService", "RemoveParticipant") => {
            let Ok(r) = proto::RoomParticipantIdentity::decode(body.clone()) else {
                return bad();
            };
            if !admin_of(&r.room) {
                return denied();
            }
            proto::RemoveParticipantResponse::default().encode_to_vec()
        }
        ("livekit.RoomService", "MutePublishedTrack") => {
            let Ok(r) = proto::MuteRoomTrackRequest::decode(body.clone()) else {
                return bad();
            };
            if !admin_of(&r.room) {
                return denied();
            }
            proto::MuteRoomTrackResponse {
                track: Some(proto::TrackInfo {
                    sid: r.track_sid,
                    muted: r.muted,
                    ..Default::default()
                }),
            }
            .encode_to_vec()
        }
        ("livekit.RoomService", "UpdateParticipant") => {
            let Ok(r) = proto::UpdateParticipantRequest::decode(body.clone()) else {
                return bad();
            };
            if !admin_of(&r.room) {
                return denied();
            }
            proto::ParticipantInfo {
                identity: r.identity,
                permission: r.permission,
                ..Default::default()
            }
            .encode_to_vec()
        }
        ("livekit.Egress", "StartRoomCompositeEgress") => {
            let Ok(r) = proto::RoomCompositeEgressRequest::decode(body.clone()) else {
                return bad();
            };
            if !v.room_record {
                return denied();
            }
            proto::EgressInfo {
                egress_id: "EG_1".into(),
                room_name: r.room_name,
                ..Default::default()
            }
            .encode_to_vec()
        }
        ("livekit.Egress", "StopEgress") => {
            if proto::StopEgressRequest::decode(body.clone()).is_err() {
                return bad();
            }
            if !v.room_record {
                return denied();
            }
            proto::EgressInfo::default().encode_to_vec()
        }
        _ => return twirp_error(StatusCode::NOT_FOUND, "bad_route", "no such method"),
    };
    contract.calls.lock().unwrap().push(Call {
        method,
        body: body.to_vec(),
        claims,
    });
    ([("content-type", "application/protobuf")], answer).into_response()
}

/// Starts the contract server; its URL and what it saw.
async fn contract_server() -> (String, Arc<Contract>) {
    let contract = Arc::new(Contract::default());
    let app = axum::Router::new()
        .route(
            "/twirp/{service}/{method}",
            axum::routing::post(serve_twirp),
        )
        .with_state(Arc::clone(&contract));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), contract)
}

fn livekit(url: &str) -> Arc<LiveKit> {
    let config = crate::config::Config::new(&crate::config::tests::DEFAULTS, JWT);
    let mut lk = LiveKitConfig::new(url, Keys::new("APIkey", SECRET));
    lk.timeout = Duration::from_secs(1);
    LiveKit::new(ROOMS, Verifier::new(&config), Some(lk))
}

fn bearer(sub: &str, role: &str) -> String {
    let claims = Claims {
        sub: sub.into(),
        role: role.into(),
        exp: now_ms() / 1000 + 3600,
        iss: Some("example".into()),
        aud: None,
        nbf: None,
        iat: None,
        channels: None,
    };
    format!("Bearer {}", issue(JWT, &claims))
}

/// Sends one request to the routes; the status and body.
async fn send(
    lk: &Arc<LiveKit>,
    method: &str,
    uri: &str,
    auth: Option<&str>,
    body: &str,
) -> (StatusCode, String) {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json");
    if let Some(auth) = auth {
        req = req.header("authorization", auth);
    }
    let res = lk
        .router()
        .oneshot(req.body(Body::from(body.to_string())).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

#[tokio::test]
async fn the_token_endpoint_authenticates_then_authorises() {
    let lk = livekit("http://127.0.0.1:9");
    let body = r#"{"room":"interview:5"}"#;
    let (status, text) = send(&lk, "POST", "/livekit/token", None, body).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{text}");
    let (status, _) = send(&lk, "POST", "/livekit/token", Some("Bearer forged"), body).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let ada = bearer("ada", "candidate");
    let (status, text) = send(&lk, "POST", "/livekit/token", Some(&ada), r#"{"room":"x"}"#).await;
    assert_eq!(
        (status, text.as_str()),
        (StatusCode::NOT_FOUND, "no room `x` is declared")
    );
    let guest = bearer("gus", "guest");
    let (status, text) = send(&lk, "POST", "/livekit/token", Some(&guest), body).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{text}");
    let (status, text) = send(&lk, "POST", "/livekit/token", Some(&ada), body).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["url"], "http://127.0.0.1:9");
    assert_eq!(json["expires_in"], 600);
    let claims = TokenVerifier::with_api_key("APIkey", SECRET)
        .verify(json["token"].as_str().unwrap())
        .unwrap();
    assert_eq!(
        (claims.sub.as_str(), claims.video.room.as_str()),
        ("ada", "interview:5")
    );
    assert!(claims.video.room_join && !claims.video.room_admin);
}

#[tokio::test]
async fn routes_say_what_to_set_when_livekit_is_off() {
    let config = crate::config::Config::new(&crate::config::tests::DEFAULTS, JWT);
    let lk = LiveKit::new(ROOMS, Verifier::new(&config), None);
    let ada = bearer("ada", "candidate");
    let (status, text) = send(
        &lk,
        "POST",
        "/livekit/token",
        Some(&ada),
        r#"{"room":"lobby"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(text.contains("LIVEKIT_URL"), "{text}");
}

#[tokio::test]
async fn room_service_calls_carry_the_right_path_body_and_grants() {
    let (url, contract) = contract_server().await;
    let lk = livekit(&url);
    let coach = bearer("cora", "coach");
    let candidate = bearer("ada", "candidate");

    let (status, text) = send(
        &lk,
        "POST",
        "/livekit/rooms",
        Some(&coach),
        r#"{"room":"interview:1"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{text}");
    let room: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        (
            room["max_participants"].as_u64(),
            room["empty_timeout"].as_u64()
        ),
        (Some(3), Some(300))
    );
    // A participant role does not manage rooms, and reaches no RoomService.
    let (status, _) = send(
        &lk,
        "POST",
        "/livekit/rooms",
        Some(&candidate),
        r#"{"room":"interview:1"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, text) = send(&lk, "GET", "/livekit/rooms", Some(&coach), "").await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<String> = serde_json::from_str::<Vec<serde_json::Value>>(&text)
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect();
    // `lobby` is not the coach's to manage.
    assert_eq!(names, ["interview:1"]);

    let (status, text) = send(
        &lk,
        "GET",
        "/livekit/rooms/interview:1/participants",
        Some(&coach),
        "",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        text.contains(r#""identity":"ada""#) && text.contains("TR_a"),
        "{text}"
    );
    let uri = "/livekit/rooms/interview:1/participants/ada";
    assert_eq!(
        send(
            &lk,
            "POST",
            &format!("{uri}/mute"),
            Some(&coach),
            r#"{"track":"TR_a"}"#
        )
        .await
        .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        send(
            &lk,
            "POST",
            &format!("{uri}/permissions"),
            Some(&coach),
            r#"{"role":"viewer"}"#
        )
        .await
        .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        send(&lk, "DELETE", uri, Some(&coach), "").await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        send(
            &lk,
            "DELETE",
            "/livekit/rooms/interview:1",
            Some(&coach),
            ""
        )
        .await
        .0,
        StatusCode::NO_CONTENT
    );
    let (status, text) = send(
        &lk,
        "DELETE",
        "/livekit/rooms/interview:2",
        Some(&coach),
        "",
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        text,
        "LiveKit refused `DeleteRoom`: not_found: room not found"
    );

    let calls = contract.calls.lock().unwrap().clone();
    let methods: Vec<&str> = calls.iter().map(|c| c.method.as_str()).collect();
    assert_eq!(
        methods,
        [
            "CreateRoom",
            "ListRooms",
            "ListParticipants",
            "MutePublishedTrack",
            "UpdateParticipant",
            "RemoveParticipant",
            "DeleteRoom"
        ]
    );
    let create = proto::CreateRoomRequest::decode(calls[0].body.as_slice()).unwrap();
    assert_eq!(
        (
            create.name.as_str(),
            create.max_participants,
            create.empty_timeout
        ),
        ("interview:1", 3, 300)
    );
    let mute = proto::MuteRoomTrackRequest::decode(calls[3].body.as_slice()).unwrap();
    assert_eq!(
        (mute.identity.as_str(), mute.track_sid.as_str(), mute.muted),
        ("ada", "TR_a", true)
    );
    let update = proto::UpdateParticipantRequest::decode(calls[4].body.as_slice()).unwrap();
    let p = update.permission.unwrap();
    assert!(p.can_subscribe && !p.can_publish && p.can_publish_sources.is_empty());
    // Each call was signed with the one grant it needs.
    assert!(calls[0].claims.video.room_create && !calls[0].claims.video.room_admin);
    assert!(calls[2].claims.video.room_admin && calls[2].claims.video.room == "interview:1");
}

#[tokio::test]
async fn a_slow_livekit_is_a_timeout_not_a_hang() {
    let (url, contract) = contract_server().await;
    *contract.delay.lock().unwrap() = Duration::from_secs(3);
    let lk = livekit(&url);
    let started = std::time::Instant::now();
    let (status, text) = send(
        &lk,
        "GET",
        "/livekit/rooms",
        Some(&bearer("cora", "coach")),
        "",
    )
    .await;
    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT, "{text}");
    assert!(text.contains("timed out after 1s"), "{text}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn webhooks_drive_rooms_and_recording_needs_everyones_consent() {
    let (url, contract) = contract_server().await;
    let lk = livekit(&url);
    let mut events = lk.subscribe();
    let keys = Keys::new("APIkey", SECRET);
    let secs = now_ms() / 1000;
    let hook = |body: String| {
        let lk = Arc::clone(&lk);
        let auth = sign(&keys, &body);
        async move {
            send(&lk, "POST", "/livekit/webhook", Some(&auth), &body)
                .await
                .0
        }
    };
    let joined = |id: &str, who: &str| {
        event(
            id,
            "participant_joined",
            secs,
            &format!(r#","participant":{{"identity":"{who}"}}"#),
        )
    };
    assert_eq!(hook(joined("EV_1", "ada")).await, StatusCode::OK);
    assert_eq!(hook(joined("EV_1", "ada")).await, StatusCode::CONFLICT);
    assert_eq!(hook(joined("EV_2", "cora")).await, StatusCode::OK);
    let forged = joined("EV_3", "eve");
    let (status, _) = send(
        &lk,
        "POST",
        "/livekit/webhook",
        Some(&sign(&keys, "{}")),
        &forged,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let stale = event(
        "EV_4",
        "participant_joined",
        secs - 3600,
        r#","participant":{"identity":"eve"}"#,
    );
    assert_eq!(hook(stale).await, StatusCode::BAD_REQUEST);
    assert_eq!(
        lk.state()
            .get("interview:1")
            .unwrap()
            .participants
            .into_iter()
            .collect::<Vec<_>>(),
        ["ada", "cora"]
    );

    let coach = bearer("cora", "coach");
    let ada = bearer("ada", "candidate");
    let rec = "/livekit/rooms/interview:1/recording";
    let (status, text) = send(&lk, "POST", rec, Some(&coach), "").await;
    assert_eq!(
        (status, text.as_str()),
        (StatusCode::CONFLICT, "no recording consent from: ada, cora")
    );
    let (status, text) = send(
        &lk,
        "POST",
        "/livekit/rooms/interview:1/consent",
        Some(&ada),
        "",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        text.contains(r#""identity":"ada""#) && text.contains("at_ms"),
        "{text}"
    );
    send(
        &lk,
        "POST",
        "/livekit/rooms/interview:1/consent",
        Some(&coach),
        "",
    )
    .await;
    // Consent alone does not let a participant role record.
    assert_eq!(
        send(&lk, "POST", rec, Some(&ada), "").await.0,
        StatusCode::FORBIDDEN
    );
    let (status, text) = send(&lk, "POST", rec, Some(&coach), "").await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(text.contains("EG_1"), "{text}");

    // Someone joins without consent: the recording stops by itself.
    assert_eq!(hook(joined("EV_5", "bob")).await, StatusCode::OK);
    assert!(lk.state().get("interview:1").unwrap().recording.is_none());
    let left = event(
        "EV_6",
        "participant_left",
        secs,
        r#","participant":{"identity":"ada"}"#,
    );
    assert_eq!(hook(left).await, StatusCode::OK);
    assert_eq!(
        hook(event("EV_7", "room_finished", secs, "")).await,
        StatusCode::OK
    );
    assert!(lk.state().get("interview:1").is_none());

    let methods: Vec<String> = contract
        .calls
        .lock()
        .unwrap()
        .iter()
        .map(|c| c.method.clone())
        .collect();
    assert_eq!(methods, ["StartRoomCompositeEgress", "StopEgress"]);
    let start = proto::RoomCompositeEgressRequest::decode(
        contract.calls.lock().unwrap()[0].body.as_slice(),
    )
    .unwrap();
    assert_eq!(start.room_name, "interview:1");
    assert!(start.file_outputs[0].filepath.starts_with("interview-1/"));
    let mut seen = Vec::new();
    while let Ok(e) = events.try_recv() {
        seen.push(e);
    }
    assert!(
        seen.contains(&Effect::Left {
            room: "interview:1".into(),
            identity: "ada".into()
        }),
        "{seen:?}"
    );
    assert!(
        matches!(seen.last(), Some(Effect::Finished { room, .. }) if room == "interview:1"),
        "{seen:?}"
    );
}

#[tokio::test]
async fn an_authorizer_narrows_a_role_to_its_own_rooms() {
    let config = crate::config::Config::new(&crate::config::tests::DEFAULTS, JWT);
    let lk = LiveKit::with_authorizer(
        ROOMS,
        Verifier::new(&config),
        Some(LiveKitConfig::new(
            "http://127.0.0.1:9",
            Keys::new("APIkey", SECRET),
        )),
        |claims, room| room == format!("interview:{}", claims.sub),
    );
    let ada = bearer("ada", "candidate");
    let token = |room: &str| format!(r#"{{"room":"{room}"}}"#);
    let (status, _) = send(
        &lk,
        "POST",
        "/livekit/token",
        Some(&ada),
        &token("interview:ada"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, text) = send(
        &lk,
        "POST",
        "/livekit/token",
        Some(&ada),
        &token("interview:bob"),
    )
    .await;
    assert_eq!(
        (status, text.as_str()),
        (
            StatusCode::FORBIDDEN,
            "`ada` may not enter room `interview:bob`"
        )
    );
    let consent = "/livekit/rooms/interview:bob/consent";
    assert_eq!(
        send(&lk, "POST", consent, Some(&ada), "").await.0,
        StatusCode::FORBIDDEN
    );
    assert!(lk.state().get("interview:bob").is_none());
}

#[tokio::test]
async fn the_room_list_is_narrowed_by_the_authorizer_too() {
    // The contract server lists `interview:1` and `lobby`; the coach manages
    // interview rooms by its role, but this service lets it into none.
    let (url, _contract) = contract_server().await;
    let config = crate::config::Config::new(&crate::config::tests::DEFAULTS, JWT);
    let lk = LiveKit::with_authorizer(
        ROOMS,
        Verifier::new(&config),
        Some(LiveKitConfig::new(&url, Keys::new("APIkey", SECRET))),
        |_, room| room == "interview:2",
    );
    let coach = bearer("cora", "coach");
    let (status, text) = send(&lk, "GET", "/livekit/rooms", Some(&coach), "").await;
    assert_eq!((status, text.as_str()), (StatusCode::OK, "[]"));
}
