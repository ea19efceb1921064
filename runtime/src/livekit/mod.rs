//! LiveKit rooms (feature `livekit`), on LiveKit's own server SDK
//! (`livekit-api`; not the `livekit` client crate, which downloads WebRTC
//! at build time).
//!
//! The service declares its rooms ([`RoomSpec`], from the plan) and this
//! module serves them under `/livekit`:
//!
//! | route | who | what |
//! |---|---|---|
//! | `POST /livekit/token` `{room}` | a role the room grants | a short-lived room token ([`token`]) |
//! | `POST /livekit/webhook` | LiveKit | signed room events ([`webhook`], [`rooms`]) |
//! | `POST`/`DELETE /livekit/rooms/{room}/consent` | a participant | give or withdraw recording consent |
//! | `POST`/`DELETE /livekit/rooms/{room}/recording` | an `admin` role | start or stop recording |
//! | `POST /livekit/rooms` `{room}`, `GET /livekit/rooms` | an `admin` role | create, list |
//! | `DELETE /livekit/rooms/{room}` | an `admin` role | delete the room |
//! | `GET /livekit/rooms/{room}/participants` | an `admin` role | list participants |
//! | `DELETE /livekit/rooms/{room}/participants/{identity}` | an `admin` role | remove one |
//! | `POST .../participants/{identity}/mute` `{track, muted}` | an `admin` role | mute a track |
//! | `POST .../participants/{identity}/permissions` `{role}` | an `admin` role | apply a role's grant |
//!
//! Every route but the webhook authenticates the caller with the service's
//! own JWT (`Authorization: Bearer`), exactly as the channels do, and lets
//! the caller into a room when its role has a grant there and, with
//! [`LiveKit::with_authorizer`], when the service's own rule agrees (which
//! `interview:{id}` is this candidate's). Without
//! `LIVEKIT_URL` the routes answer 503 and say what to set.
//!
//! Room events are also published on [`LiveKit::subscribe`], so the rest
//! of the service (avatar sessions, say) can release what a participant
//! held when it leaves or its room finishes.

pub mod admin;
pub mod config;
pub mod rooms;
pub mod spec;
pub mod token;
pub mod webhook;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, post};
use serde::Deserialize;
use tokio::sync::broadcast;

use crate::auth::{Claims, Verifier};
use crate::protocol::now_ms;

pub use admin::{AdminError, RoomAdmin};
pub use config::{Keys, LiveKitConfig};
/// LiveKit's token types, to check a room token's grants.
pub use livekit_api::access_token;
pub use rooms::{Consent, ConsentRefused, Effect, RoomState};
pub use spec::{RoleGrant, RoomSpec, Track};

/// LiveKit rooms for one service.
pub struct LiveKit {
    rooms: &'static [RoomSpec],
    verifier: Verifier,
    authorize: Option<Box<Authorize>>,
    live: Option<Live>,
    state: RoomState,
    events: broadcast::Sender<Effect>,
}

/// What exists only when LiveKit is configured.
struct Live {
    config: LiveKitConfig,
    admin: RoomAdmin,
    gate: webhook::WebhookGate,
}

type Reply = Result<Response, (StatusCode, String)>;

/// Whether a caller may enter one room instance, beyond what its role
/// allows: a role grant says a `candidate` may join `interview:{id}` rooms,
/// this says which one (say, only the interview it is booked for).
pub type Authorize = dyn Fn(&Claims, &str) -> bool + Send + Sync;

impl LiveKit {
    /// Rooms `rooms`, callers checked by `verifier`; `config` `None`
    /// leaves them off.
    pub fn new(
        rooms: &'static [RoomSpec],
        verifier: Verifier,
        config: Option<LiveKitConfig>,
    ) -> Arc<LiveKit> {
        LiveKit::build(rooms, verifier, config, None)
    }

    /// As [`LiveKit::new`], and a caller is let into a room only when
    /// `authorize` agrees too (for every route, tokens included).
    pub fn with_authorizer(
        rooms: &'static [RoomSpec],
        verifier: Verifier,
        config: Option<LiveKitConfig>,
        authorize: impl Fn(&Claims, &str) -> bool + Send + Sync + 'static,
    ) -> Arc<LiveKit> {
        LiveKit::build(rooms, verifier, config, Some(Box::new(authorize)))
    }

    fn build(
        rooms: &'static [RoomSpec],
        verifier: Verifier,
        config: Option<LiveKitConfig>,
        authorize: Option<Box<Authorize>>,
    ) -> Arc<LiveKit> {
        let live = config.map(|config| Live {
            admin: RoomAdmin::new(&config),
            gate: webhook::WebhookGate::new(&config.keys, config.webhook_max_age),
            config,
        });
        Arc::new(LiveKit {
            rooms,
            verifier,
            authorize,
            live,
            state: RoomState::default(),
            events: broadcast::channel(256).0,
        })
    }

    /// As [`LiveKit::new`], configured from the environment.
    pub fn from_env(
        rooms: &'static [RoomSpec],
        verifier: Verifier,
    ) -> Result<Arc<LiveKit>, String> {
        let config = LiveKitConfig::from_env()?;
        if config.is_none() {
            tracing::warn!("LIVEKIT_URL is not set: LiveKit rooms are off");
        }
        Ok(LiveKit::new(rooms, verifier, config))
    }

    pub fn state(&self) -> &RoomState {
        &self.state
    }

    /// Room events after they were applied: who left, which room finished.
    pub fn subscribe(&self) -> broadcast::Receiver<Effect> {
        self.events.subscribe()
    }

    /// The routes, under `/livekit`.
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new()
            .route("/livekit/token", post(issue_token))
            .route("/livekit/webhook", post(receive_webhook))
            .route("/livekit/rooms", post(create_room).get(list_rooms))
            .route("/livekit/rooms/{room}", delete(delete_room))
            .route(
                "/livekit/rooms/{room}/consent",
                post(give_consent).delete(withdraw_consent),
            )
            .route(
                "/livekit/rooms/{room}/recording",
                post(start_recording).delete(stop_recording),
            )
            .route(
                "/livekit/rooms/{room}/participants",
                axum::routing::get(list_participants),
            )
            .route(
                "/livekit/rooms/{room}/participants/{identity}",
                delete(remove_participant),
            )
            .route(
                "/livekit/rooms/{room}/participants/{identity}/mute",
                post(mute_track),
            )
            .route(
                "/livekit/rooms/{room}/participants/{identity}/permissions",
                post(update_permissions),
            )
            .with_state(Arc::clone(self))
    }

    fn live(&self) -> Result<&Live, (StatusCode, String)> {
        self.live.as_ref().ok_or((
            StatusCode::SERVICE_UNAVAILABLE,
            "LiveKit is not configured: set LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET"
                .to_string(),
        ))
    }

    fn caller(&self, headers: &HeaderMap) -> Result<Claims, (StatusCode, String)> {
        self.verifier
            .authenticate(headers, None)
            .map_err(|e| (StatusCode::UNAUTHORIZED, e.to_string()))
    }

    /// The room's declaration and the caller's grant in it.
    fn grant(
        &self,
        claims: &Claims,
        room: &str,
    ) -> Result<(&'static RoomSpec, RoleGrant), (StatusCode, String)> {
        let spec = spec::find(self.rooms, room).ok_or((
            StatusCode::NOT_FOUND,
            format!("no room `{room}` is declared"),
        ))?;
        let grant = spec.grant(&claims.role).ok_or((
            StatusCode::FORBIDDEN,
            format!("role `{}` may not join room `{room}`", claims.role),
        ))?;
        self.authorized(claims, room)?;
        Ok((spec, grant))
    }

    fn authorized(&self, claims: &Claims, room: &str) -> Result<(), (StatusCode, String)> {
        match &self.authorize {
            Some(allows) if !allows(claims, room) => Err((
                StatusCode::FORBIDDEN,
                format!("`{}` may not enter room `{room}`", claims.sub),
            )),
            _ => Ok(()),
        }
    }

    /// Like [`Self::grant`], for calls only an `admin` role may make.
    fn admin(
        &self,
        headers: &HeaderMap,
        room: &str,
    ) -> Result<(&'static RoomSpec, &Live), (StatusCode, String)> {
        let live = self.live()?;
        let claims = self.caller(headers)?;
        let (spec, grant) = self.grant(&claims, room)?;
        if !grant.admin {
            return Err((
                StatusCode::FORBIDDEN,
                format!("role `{}` may not manage room `{room}`", claims.role),
            ));
        }
        Ok((spec, live))
    }

    /// Acts on what an event or a withdrawal requires.
    async fn follow(&self, effects: Vec<Effect>) {
        for effect in effects {
            let egress = match &effect {
                Effect::StopRecording { egress, .. } => Some(egress.clone()),
                Effect::Finished { recording, .. } => recording.clone(),
                Effect::Left { .. } => None,
            };
            if let (Some(egress), Some(live)) = (egress, &self.live)
                && let Err(e) = live.admin.stop_recording(&egress).await
            {
                tracing::warn!(%egress, error = %e, "recording not stopped");
            }
            // No receiver is not an error: nothing holds room resources.
            let _ = self.events.send(effect);
        }
    }
}

fn bad_gateway(e: AdminError) -> (StatusCode, String) {
    let status = match &e {
        AdminError::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
        e if e.is_not_found() => StatusCode::NOT_FOUND,
        _ => StatusCode::BAD_GATEWAY,
    };
    (status, e.to_string())
}

#[derive(Deserialize)]
struct RoomBody {
    room: String,
}

async fn issue_token(
    State(lk): State<Arc<LiveKit>>,
    headers: HeaderMap,
    Json(body): Json<RoomBody>,
) -> Reply {
    let live = lk.live()?;
    let claims = lk.caller(&headers)?;
    if spec::find(lk.rooms, &body.room).is_some() {
        lk.authorized(&claims, &body.room)?;
    }
    let issued = token::issue(
        &live.config.keys,
        lk.rooms,
        &body.room,
        &claims,
        live.config.token_ttl,
    )
    .map_err(|e| {
        let status = match e {
            token::Refusal::UnknownRoom(_) => StatusCode::NOT_FOUND,
            token::Refusal::Forbidden { .. } => StatusCode::FORBIDDEN,
            token::Refusal::Expired => StatusCode::UNAUTHORIZED,
            token::Refusal::Signing(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        (status, e.to_string())
    })?;
    Ok(Json(serde_json::json!({
        "url": live.config.url,
        "token": issued.token,
        "room": issued.room,
        "identity": issued.identity,
        "expires_in": issued.expires_in,
    }))
    .into_response())
}

async fn receive_webhook(
    State(lk): State<Arc<LiveKit>>,
    headers: HeaderMap,
    body: String,
) -> Reply {
    let live = lk.live()?;
    let auth = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let event = live.gate.admit(&body, auth, now_ms()).map_err(|e| {
        let status = match e {
            webhook::Rejected::Forged(_) => StatusCode::UNAUTHORIZED,
            webhook::Rejected::Replayed(_) => StatusCode::CONFLICT,
            webhook::Rejected::Stale { .. } | webhook::Rejected::Malformed(_) => {
                StatusCode::BAD_REQUEST
            }
        };
        tracing::warn!(error = %e, "webhook refused");
        (status, e.to_string())
    })?;
    let effects = lk.state.apply(&event);
    lk.follow(effects).await;
    Ok(StatusCode::OK.into_response())
}

async fn give_consent(
    State(lk): State<Arc<LiveKit>>,
    headers: HeaderMap,
    Path(room): Path<String>,
) -> Reply {
    let claims = lk.caller(&headers)?;
    lk.grant(&claims, &room)?;
    let consent = lk
        .state
        .consent(&room, &claims.sub, now_ms())
        .map_err(|e| (StatusCode::TOO_MANY_REQUESTS, e.to_string()))?;
    tracing::info!(%room, identity = %consent.identity, at_ms = consent.at_ms, "recording consent");
    Ok(Json(consent).into_response())
}

async fn withdraw_consent(
    State(lk): State<Arc<LiveKit>>,
    headers: HeaderMap,
    Path(room): Path<String>,
) -> Reply {
    let claims = lk.caller(&headers)?;
    lk.grant(&claims, &room)?;
    let effects = lk.state.withdraw(&room, &claims.sub);
    tracing::info!(%room, identity = %claims.sub, "recording consent withdrawn");
    lk.follow(effects).await;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn start_recording(
    State(lk): State<Arc<LiveKit>>,
    headers: HeaderMap,
    Path(room): Path<String>,
) -> Reply {
    let (spec, live) = lk.admin(&headers, &room)?;
    if !spec.recording {
        return Err((
            StatusCode::FORBIDDEN,
            format!("room `{}` is not declared for recording", spec.name),
        ));
    }
    lk.state.may_record(&room).map_err(|missing| {
        let why = if missing.is_empty() {
            "nobody is in the room".to_string()
        } else {
            format!("no recording consent from: {}", missing.join(", "))
        };
        (StatusCode::CONFLICT, why)
    })?;
    let file = format!("{}/{}.mp4", room.replace([':', '/'], "-"), now_ms());
    let egress = live
        .admin
        .start_recording(&room, &file)
        .await
        .map_err(bad_gateway)?;
    lk.state.set_recording(&room, Some(egress.clone()));
    Ok(Json(serde_json::json!({ "egress": egress, "file": file })).into_response())
}

async fn stop_recording(
    State(lk): State<Arc<LiveKit>>,
    headers: HeaderMap,
    Path(room): Path<String>,
) -> Reply {
    let (_, live) = lk.admin(&headers, &room)?;
    let Some(egress) = lk.state.get(&room).and_then(|r| r.recording) else {
        return Err((
            StatusCode::NOT_FOUND,
            format!("room `{room}` is not being recorded"),
        ));
    };
    live.admin
        .stop_recording(&egress)
        .await
        .map_err(bad_gateway)?;
    lk.state.set_recording(&room, None);
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn create_room(
    State(lk): State<Arc<LiveKit>>,
    headers: HeaderMap,
    Json(body): Json<RoomBody>,
) -> Reply {
    let (spec, live) = lk.admin(&headers, &body.room)?;
    let room = live
        .admin
        .create(spec, &body.room)
        .await
        .map_err(bad_gateway)?;
    Ok((StatusCode::CREATED, Json(room)).into_response())
}

async fn list_rooms(State(lk): State<Arc<LiveKit>>, headers: HeaderMap) -> Reply {
    let live = lk.live()?;
    let claims = lk.caller(&headers)?;
    let rooms = live.admin.list().await.map_err(bad_gateway)?;
    // Only the rooms this caller manages, narrowed as every other call is.
    let mine: Vec<_> = rooms
        .into_iter()
        .filter(|r| {
            spec::find(lk.rooms, &r.name)
                .and_then(|s| s.grant(&claims.role))
                .is_some_and(|g| g.admin)
                && lk.authorized(&claims, &r.name).is_ok()
        })
        .collect();
    Ok(Json(mine).into_response())
}

async fn delete_room(
    State(lk): State<Arc<LiveKit>>,
    headers: HeaderMap,
    Path(room): Path<String>,
) -> Reply {
    let (_, live) = lk.admin(&headers, &room)?;
    live.admin.delete(&room).await.map_err(bad_gateway)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list_participants(
    State(lk): State<Arc<LiveKit>>,
    headers: HeaderMap,
    Path(room): Path<String>,
) -> Reply {
    let (_, live) = lk.admin(&headers, &room)?;
    let list = live.admin.participants(&room).await.map_err(bad_gateway)?;
    Ok(Json(list).into_response())
}

async fn remove_participant(
    State(lk): State<Arc<LiveKit>>,
    headers: HeaderMap,
    Path((room, identity)): Path<(String, String)>,
) -> Reply {
    let (_, live) = lk.admin(&headers, &room)?;
    live.admin
        .remove(&room, &identity)
        .await
        .map_err(bad_gateway)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
struct MuteBody {
    track: String,
    #[serde(default = "yes")]
    muted: bool,
}

fn yes() -> bool {
    true
}

async fn mute_track(
    State(lk): State<Arc<LiveKit>>,
    headers: HeaderMap,
    Path((room, identity)): Path<(String, String)>,
    Json(body): Json<MuteBody>,
) -> Reply {
    let (_, live) = lk.admin(&headers, &room)?;
    live.admin
        .mute(&room, &identity, &body.track, body.muted)
        .await
        .map_err(bad_gateway)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
struct RoleBody {
    role: String,
}

async fn update_permissions(
    State(lk): State<Arc<LiveKit>>,
    headers: HeaderMap,
    Path((room, identity)): Path<(String, String)>,
    Json(body): Json<RoleBody>,
) -> Reply {
    let (spec, live) = lk.admin(&headers, &room)?;
    let grant = spec.grant(&body.role).ok_or((
        StatusCode::BAD_REQUEST,
        format!("room `{room}` declares no role `{}`", body.role),
    ))?;
    live.admin
        .set_permissions(spec, &room, &identity, grant)
        .await
        .map_err(bad_gateway)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
