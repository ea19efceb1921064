//! HeyGen streaming-avatar sessions (feature `avatar`), with the plan's
//! fallback when the avatar is unavailable.
//!
//! A session follows HeyGen's streaming lifecycle over HTTP:
//! `streaming.new` (HeyGen answers with a LiveKit URL and token for the
//! avatar's stream), `streaming.start`, `streaming.task` for each line the
//! avatar speaks, `streaming.keep_alive` every `HEYGEN_KEEP_ALIVE_SECONDS`
//! while the session is open, and `streaming.stop`. Each call has a
//! deadline (`HEYGEN_TIMEOUT_SECONDS`).
//!
//! Failures feed a circuit breaker: after `FAILURES_TO_OPEN` in a row the
//! service stops calling HeyGen for `OPEN_FOR`, then lets one call through
//! to find out whether it is back. While HeyGen is unavailable (down,
//! refusing, slow, breaker open, or no `HEYGEN_API_KEY`) a caller gets the
//! plan's fallback instead of an error: `audio_only` (play the line as
//! speech) or `text` (show it). A session is always closed: by its owner,
//! when its owner disconnects ([`Avatars::disconnect`], e.g. on leaving
//! the LiveKit room), when a start half-succeeded, at shutdown
//! ([`Avatars::shutdown`]), and at the latest
//! `HEYGEN_MAX_SESSION_SECONDS` after it started. Sessions bill by the
//! minute, so one user holds at most `HEYGEN_SESSIONS_PER_USER` at once;
//! the next start is refused (429) until one closes.
//!
//! The API key comes from `HEYGEN_API_KEY`, travels in a header marked
//! sensitive, and is never printed: [`HeyGenConfig`]'s `Debug` leaves it
//! out.
//!
//! Routes, for callers authenticated with the service's JWT:
//! `POST /avatars/{name}/sessions` (start; the session, or the fallback),
//! `POST /avatars/sessions/{id}/task` `{text}` (speak), and
//! `DELETE /avatars/sessions/{id}` (stop).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, post};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::auth::Verifier;

/// Failures in a row that open the breaker.
pub const FAILURES_TO_OPEN: u32 = 3;
/// How long an open breaker keeps calls away from HeyGen.
pub const OPEN_FOR: Duration = Duration::from_secs(30);

/// What to offer when the avatar is unavailable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fallback {
    /// Speech without video.
    AudioOnly,
    /// The words, as text.
    Text,
}

/// One avatar the service declares.
#[derive(Debug, Clone, Copy)]
pub struct AvatarSpec {
    pub name: &'static str,
    /// HeyGen's avatar id; HeyGen's default avatar when `None`.
    pub avatar_id: Option<&'static str>,
    pub fallback: Fallback,
}

#[derive(Clone)]
pub struct HeyGenConfig {
    /// `HEYGEN_BASE_URL`, `https://api.heygen.com`.
    pub base_url: String,
    api_key: String,
    /// `HEYGEN_TIMEOUT_SECONDS`, `10`.
    pub timeout: Duration,
    /// `HEYGEN_KEEP_ALIVE_SECONDS`, `60`.
    pub keep_alive: Duration,
    /// `HEYGEN_MAX_SESSION_SECONDS`, `600`: a session is closed this long
    /// after it started, whatever its owner does.
    pub max_session: Duration,
    /// `HEYGEN_SESSIONS_PER_USER`, `2`: sessions one user holds at once.
    pub sessions_per_user: usize,
}

impl std::fmt::Debug for HeyGenConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeyGenConfig")
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("keep_alive", &self.keep_alive)
            .field("max_session", &self.max_session)
            .field("sessions_per_user", &self.sessions_per_user)
            .finish_non_exhaustive()
    }
}

impl HeyGenConfig {
    pub fn new(base_url: impl Into<String>, api_key: impl Into<String>) -> HeyGenConfig {
        HeyGenConfig {
            base_url: base_url.into(),
            api_key: api_key.into(),
            timeout: Duration::from_secs(10),
            keep_alive: Duration::from_secs(60),
            max_session: Duration::from_secs(600),
            sessions_per_user: 2,
        }
    }

    /// The settings from the environment; `None` without `HEYGEN_API_KEY`
    /// (every session then falls back).
    pub fn from_env() -> Result<Option<HeyGenConfig>, String> {
        HeyGenConfig::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<HeyGenConfig>, String> {
        let get = |name: &str| get(name).filter(|v| !v.is_empty());
        let Some(key) = get("HEYGEN_API_KEY") else {
            return Ok(None);
        };
        let base = get("HEYGEN_BASE_URL").unwrap_or_else(|| "https://api.heygen.com".into());
        let mut c = HeyGenConfig::new(base.trim_end_matches('/'), key);
        for (name, slot) in [
            ("HEYGEN_TIMEOUT_SECONDS", &mut c.timeout),
            ("HEYGEN_KEEP_ALIVE_SECONDS", &mut c.keep_alive),
            ("HEYGEN_MAX_SESSION_SECONDS", &mut c.max_session),
        ] {
            if let Some(v) = get(name) {
                let secs: u64 = v.trim().parse().ok().filter(|s| *s > 0).ok_or_else(|| {
                    format!("{name}=`{v}`: expected a number of seconds, at least 1")
                })?;
                *slot = Duration::from_secs(secs);
            }
        }
        if let Some(v) = get("HEYGEN_SESSIONS_PER_USER") {
            c.sessions_per_user = v.trim().parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                format!("HEYGEN_SESSIONS_PER_USER=`{v}`: expected a number of sessions, at least 1")
            })?;
        }
        Ok(Some(c))
    }
}

/// A HeyGen call that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallError {
    pub call: &'static str,
    pub why: String,
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HeyGen `{}` failed: {}", self.call, self.why)
    }
}

/// HeyGen's streaming API.
pub struct HeyGen {
    http: reqwest::Client,
    config: HeyGenConfig,
}

/// What `streaming.new` hands back: where the avatar's stream is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamInfo {
    pub session_id: String,
    /// The LiveKit server carrying the avatar's stream.
    pub url: String,
    /// A LiveKit token to watch it.
    pub access_token: String,
}

impl HeyGen {
    pub fn new(config: HeyGenConfig) -> Result<HeyGen, String> {
        Ok(HeyGen {
            http: client(config.timeout)?,
            config,
        })
    }

    async fn call(&self, call: &'static str, body: Value) -> Result<Value, CallError> {
        let fail = |why: String| CallError { call, why };
        let mut key = HeaderValue::from_str(&self.config.api_key)
            .map_err(|_| fail("HEYGEN_API_KEY is not a valid header value".into()))?;
        key.set_sensitive(true);
        let res = self
            .http
            .post(format!("{}/v1/{call}", self.config.base_url))
            .header("x-api-key", key)
            .json(&body)
            .send()
            .await
            .map_err(|e| {
                fail(if e.is_timeout() {
                    format!("no answer in {}s", self.config.timeout.as_secs())
                } else {
                    "cannot reach HeyGen".to_string()
                })
            })?;
        let status = res.status();
        let text = res.text().await.map_err(|e| fail(e.to_string()))?;
        let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let message = json["message"].as_str().unwrap_or("").to_string();
        if !status.is_success() {
            return Err(fail(format!("HTTP {status} {message}").trim().to_string()));
        }
        // HeyGen answers `{code: 100, data, message}`; another code is a
        // refusal even under HTTP 200.
        match json["code"].as_i64() {
            Some(100) | None => Ok(json["data"].clone()),
            Some(code) => Err(fail(format!("code {code}: {message}"))),
        }
    }

    /// `streaming.new`: a session of `avatar_id` (LiveKit-based, `v2`).
    pub async fn create(&self, avatar_id: Option<&str>) -> Result<StreamInfo, CallError> {
        let mut body = json!({ "quality": "medium", "version": "v2", "video_encoding": "VP8" });
        if let Some(id) = avatar_id {
            body["avatar_id"] = json!(id);
        }
        let data = self.call("streaming.new", body).await?;
        serde_json::from_value(data).map_err(|e| CallError {
            call: "streaming.new",
            why: format!("unexpected answer: {e}"),
        })
    }

    pub async fn start(&self, session_id: &str) -> Result<(), CallError> {
        self.call("streaming.start", json!({ "session_id": session_id }))
            .await
            .map(drop)
    }

    /// `streaming.task`: the avatar repeats `text`; HeyGen's task id.
    pub async fn speak(&self, session_id: &str, text: &str) -> Result<String, CallError> {
        let body = json!({ "session_id": session_id, "text": text, "task_type": "repeat" });
        let data = self.call("streaming.task", body).await?;
        Ok(data["task_id"].as_str().unwrap_or_default().to_string())
    }

    pub async fn keep_alive(&self, session_id: &str) -> Result<(), CallError> {
        self.call("streaming.keep_alive", json!({ "session_id": session_id }))
            .await
            .map(drop)
    }

    pub async fn stop(&self, session_id: &str) -> Result<(), CallError> {
        self.call("streaming.stop", json!({ "session_id": session_id }))
            .await
            .map(drop)
    }
}

/// An HTTP client with `timeout` per request, on rustls with ring (the
/// provider `livekit-api` uses: two providers and no installed default
/// would fail every TLS handshake) and the webpki roots.
fn client(timeout: Duration) -> Result<reqwest::Client, String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = reqwest::Client::builder().timeout(timeout);
    let builder = match rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
    {
        Ok(tls) => builder
            .tls_backend_preconfigured(tls.with_root_certificates(roots).with_no_client_auth()),
        Err(_) => builder,
    };
    builder
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))
}

/// Closed, open until an instant, or half-open (one trial call allowed).
#[derive(Debug, Default)]
struct Breaker {
    failures: u32,
    open_until: Option<Instant>,
    trial: bool,
}

impl Breaker {
    /// Whether a call may go to HeyGen now.
    fn allow(&mut self, now: Instant) -> bool {
        match self.open_until {
            None => true,
            Some(until) if now >= until && !self.trial => {
                self.trial = true;
                true
            }
            Some(_) => false,
        }
    }

    fn record(&mut self, ok: bool, now: Instant) {
        if ok {
            *self = Breaker::default();
        } else {
            self.failures += 1;
            self.trial = false;
            if self.failures >= FAILURES_TO_OPEN || self.open_until.is_some() {
                self.open_until = Some(now + OPEN_FOR);
            }
        }
    }
}

/// What a caller gets when it asks for an avatar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum Started {
    Avatar {
        #[serde(flatten)]
        stream: StreamInfo,
    },
    /// No avatar: use `fallback`, for `reason`.
    Fallback { fallback: Fallback, reason: String },
}

/// Why a request about a session was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    UnknownAvatar(String),
    /// No such session, or not the caller's.
    UnknownSession(String),
    /// The caller holds `HEYGEN_SESSIONS_PER_USER` sessions already.
    TooMany(usize),
}

struct Session {
    owner: String,
    avatar: &'static AvatarSpec,
    /// Stops its keep-alive loop.
    stop: CancellationToken,
}

/// The avatar sessions of one service.
pub struct Avatars {
    specs: &'static [AvatarSpec],
    heygen: Option<Arc<HeyGen>>,
    breaker: Mutex<Breaker>,
    sessions: Mutex<HashMap<String, Session>>,
    /// Starts in flight, by owner, counted against the per-user cap.
    starting: Mutex<HashMap<String, usize>>,
    verifier: Option<Verifier>,
}

enum Reserved {
    Yes(Starting),
    /// No HeyGen: every start falls back, and holds nothing.
    NoHeyGen,
    Full(usize),
}

/// One start in flight; dropping it frees its place.
struct Starting {
    avatars: Arc<Avatars>,
    owner: String,
}

impl Drop for Starting {
    fn drop(&mut self) {
        let mut starting = lock(&self.avatars.starting);
        if let Some(n) = starting.get_mut(&self.owner) {
            *n -= 1;
            if *n == 0 {
                starting.remove(&self.owner);
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Avatars {
    /// Avatars `specs` on HeyGen configured by `config` (`None`: always
    /// the fallback); `verifier` authenticates the routes' callers.
    pub fn new(
        specs: &'static [AvatarSpec],
        config: Option<HeyGenConfig>,
        verifier: Option<Verifier>,
    ) -> Arc<Avatars> {
        Arc::new(Avatars {
            specs,
            heygen: config.and_then(|c| match HeyGen::new(c) {
                Ok(h) => Some(Arc::new(h)),
                Err(e) => {
                    tracing::error!(error = %e, "avatars use their fallback");
                    None
                }
            }),
            breaker: Mutex::default(),
            sessions: Mutex::default(),
            starting: Mutex::default(),
            verifier,
        })
    }

    /// As [`Avatars::new`], configured from the environment.
    pub fn from_env(
        specs: &'static [AvatarSpec],
        verifier: Verifier,
    ) -> Result<Arc<Avatars>, String> {
        let config = HeyGenConfig::from_env()?;
        if config.is_none() {
            tracing::warn!("HEYGEN_API_KEY is not set: avatars use their fallback");
        }
        Ok(Avatars::new(specs, config, Some(verifier)))
    }

    /// Runs `f` against HeyGen through the breaker.
    async fn guarded<T, F, Fut>(&self, f: F) -> Result<T, String>
    where
        F: FnOnce(Arc<HeyGen>) -> Fut,
        Fut: std::future::Future<Output = Result<T, CallError>>,
    {
        let Some(heygen) = self.heygen.clone() else {
            return Err("HEYGEN_API_KEY is not set".to_string());
        };
        if !lock(&self.breaker).allow(Instant::now()) {
            return Err("HeyGen is unavailable (circuit open)".to_string());
        }
        let result = f(heygen).await;
        lock(&self.breaker).record(result.is_ok(), Instant::now());
        result.map_err(|e| {
            tracing::warn!(error = %e, "avatar call failed");
            e.to_string()
        })
    }

    /// Starts a session of avatar `name` for `owner`, or says which
    /// fallback to use.
    pub async fn start(self: &Arc<Self>, owner: &str, name: &str) -> Result<Started, Refused> {
        let spec = self
            .specs
            .iter()
            .find(|a| a.name == name)
            .ok_or_else(|| Refused::UnknownAvatar(name.to_string()))?;
        let fallback = |reason: String| Started::Fallback {
            fallback: spec.fallback,
            reason,
        };
        // Counted with the starts still in flight, so that a burst of
        // requests cannot pass the cap before any of them is recorded.
        let _starting = match self.reserve(owner) {
            Reserved::Yes(starting) => Some(starting),
            Reserved::NoHeyGen => None,
            Reserved::Full(cap) => return Err(Refused::TooMany(cap)),
        };
        let stream = match self
            .guarded(|h| async move { h.create(spec.avatar_id).await })
            .await
        {
            Ok(s) => s,
            Err(why) => return Ok(fallback(why)),
        };
        let id = stream.session_id.clone();
        if let Err(why) = self.guarded(|h| async move { h.start(&id).await }).await {
            // Created but not started: close it, or it runs (and is billed)
            // until HeyGen's idle timeout.
            self.close(&stream.session_id).await;
            return Ok(fallback(why));
        }
        let stop = CancellationToken::new();
        lock(&self.sessions).insert(
            stream.session_id.clone(),
            Session {
                owner: owner.to_string(),
                avatar: spec,
                stop: stop.clone(),
            },
        );
        self.spawn_keep_alive(stream.session_id.clone(), stop);
        tracing::info!(avatar = name, session = %stream.session_id, %owner, "avatar session started");
        Ok(Started::Avatar { stream })
    }

    /// A place for one more session of `owner`, held while it starts.
    fn reserve(self: &Arc<Self>, owner: &str) -> Reserved {
        let Some(cap) = self.heygen.as_ref().map(|h| h.config.sessions_per_user) else {
            return Reserved::NoHeyGen;
        };
        let open = lock(&self.sessions)
            .values()
            .filter(|s| s.owner == owner)
            .count();
        let mut starting = lock(&self.starting);
        let pending = starting.entry(owner.to_string()).or_default();
        if open + *pending >= cap {
            return Reserved::Full(cap);
        }
        *pending += 1;
        Reserved::Yes(Starting {
            avatars: Arc::clone(self),
            owner: owner.to_string(),
        })
    }

    fn spawn_keep_alive(self: &Arc<Self>, session: String, stop: CancellationToken) {
        let Some((every, lifetime)) = self
            .heygen
            .as_ref()
            .map(|h| (h.config.keep_alive, h.config.max_session))
        else {
            return;
        };
        let avatars = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.tick().await;
            let end = tokio::time::sleep(lifetime);
            tokio::pin!(end);
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    () = stop.cancelled() => return,
                    () = &mut end => {
                        if let Some(avatars) = avatars.upgrade() {
                            tracing::info!(%session, "avatar session reached its maximum lifetime");
                            avatars.close(&session).await;
                        }
                        return;
                    }
                }
                let Some(avatars) = avatars.upgrade() else {
                    return;
                };
                let id = session.clone();
                let _ = avatars
                    .guarded(|h| async move { h.keep_alive(&id).await })
                    .await;
            }
        });
    }

    /// Has the avatar of `owner`'s session speak `text`; on failure, the
    /// fallback to deliver `text` with instead.
    pub async fn speak(
        &self,
        owner: &str,
        session: &str,
        text: &str,
    ) -> Result<Result<String, (Fallback, String)>, Refused> {
        let spec = {
            let sessions = lock(&self.sessions);
            match sessions.get(session) {
                Some(s) if s.owner == owner => s.avatar,
                _ => return Err(Refused::UnknownSession(session.to_string())),
            }
        };
        let result = self
            .guarded(|h| async move { h.speak(session, text).await })
            .await;
        Ok(result.map_err(|why| (spec.fallback, why)))
    }

    /// Stops `owner`'s session `session`.
    pub async fn stop(&self, owner: &str, session: &str) -> Result<(), Refused> {
        let mine = lock(&self.sessions)
            .get(session)
            .is_some_and(|s| s.owner == owner);
        if !mine {
            return Err(Refused::UnknownSession(session.to_string()));
        }
        self.close(session).await;
        Ok(())
    }

    /// Closes every session of `owner`: it disconnected.
    pub async fn disconnect(&self, owner: &str) {
        let ids: Vec<String> = lock(&self.sessions)
            .iter()
            .filter(|(_, s)| s.owner == owner)
            .map(|(id, _)| id.clone())
            .collect();
        for id in ids {
            self.close(&id).await;
        }
    }

    /// Closes every session; for shutdown.
    pub async fn shutdown(&self) {
        let ids: Vec<String> = lock(&self.sessions).keys().cloned().collect();
        for id in ids {
            self.close(&id).await;
        }
    }

    /// Sessions open now, by owner.
    pub fn open(&self) -> Vec<(String, String)> {
        let mut open: Vec<(String, String)> = lock(&self.sessions)
            .iter()
            .map(|(id, s)| (s.owner.clone(), id.clone()))
            .collect();
        open.sort();
        open
    }

    /// Forgets `session` and tells HeyGen to stop it. Not through the
    /// breaker: a stop is worth trying even when HeyGen looks down.
    async fn close(&self, session: &str) {
        if let Some(s) = lock(&self.sessions).remove(session) {
            s.stop.cancel();
        }
        if let Some(heygen) = &self.heygen
            && let Err(e) = heygen.stop(session).await
        {
            tracing::warn!(%session, error = %e, "avatar session not stopped");
        }
    }

    /// Closes a participant's sessions when it leaves its LiveKit room or
    /// the room finishes.
    #[cfg(feature = "livekit")]
    pub fn follow(
        self: &Arc<Self>,
        mut events: tokio::sync::broadcast::Receiver<crate::livekit::Effect>,
    ) {
        use crate::livekit::Effect;
        let avatars = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                let owners = match events.recv().await {
                    Ok(Effect::Left { identity, .. }) => vec![identity],
                    Ok(Effect::Finished { participants, .. }) => participants,
                    Ok(Effect::StopRecording { .. }) => continue,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                };
                let Some(avatars) = avatars.upgrade() else {
                    return;
                };
                for owner in owners {
                    avatars.disconnect(&owner).await;
                }
            }
        });
    }

    /// The routes, under `/avatars`.
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new()
            .route("/avatars/{name}/sessions", post(start_session))
            .route("/avatars/sessions/{id}/task", post(send_task))
            .route("/avatars/sessions/{id}", delete(stop_session))
            .with_state(Arc::clone(self))
    }

    fn caller(&self, headers: &HeaderMap) -> Result<String, (StatusCode, String)> {
        let verifier = self.verifier.as_ref().ok_or((
            StatusCode::SERVICE_UNAVAILABLE,
            "avatars are not served over HTTP here".to_string(),
        ))?;
        verifier
            .authenticate(headers, None)
            .map(|c| c.sub)
            .map_err(|e| (StatusCode::UNAUTHORIZED, e.to_string()))
    }
}

fn refused(e: Refused) -> (StatusCode, String) {
    match e {
        Refused::UnknownAvatar(name) => (
            StatusCode::NOT_FOUND,
            format!("no avatar `{name}` is declared"),
        ),
        Refused::UnknownSession(id) => {
            (StatusCode::NOT_FOUND, format!("no session `{id}` of yours"))
        }
        Refused::TooMany(cap) => (
            StatusCode::TOO_MANY_REQUESTS,
            format!("you hold {cap} avatar session(s) already; stop one first"),
        ),
    }
}

type Reply = Result<Response, (StatusCode, String)>;

async fn start_session(
    State(avatars): State<Arc<Avatars>>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Reply {
    let owner = avatars.caller(&headers)?;
    let started = avatars.start(&owner, &name).await.map_err(refused)?;
    Ok(Json(started).into_response())
}

#[derive(Deserialize)]
struct TaskBody {
    text: String,
}

async fn send_task(
    State(avatars): State<Arc<Avatars>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(body): Json<TaskBody>,
) -> Reply {
    let owner = avatars.caller(&headers)?;
    let answer = match avatars
        .speak(&owner, &id, &body.text)
        .await
        .map_err(refused)?
    {
        Ok(task_id) => json!({ "mode": "avatar", "task_id": task_id }),
        Err((fallback, reason)) => {
            json!({ "mode": "fallback", "fallback": fallback, "text": body.text, "reason": reason })
        }
    };
    Ok(Json(answer).into_response())
}

async fn stop_session(
    State(avatars): State<Arc<Avatars>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Reply {
    let owner = avatars.caller(&headers)?;
    avatars.stop(&owner, &id).await.map_err(refused)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[cfg(test)]
mod tests;
