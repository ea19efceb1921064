//! The Server-Sent Events endpoint, for clients that only listen.
//!
//! `GET /sse?channel=NAME` streams a channel's envelopes as SSE `data:`
//! lines. Events kept in history carry `id: epoch:seq`, so a browser's
//! `EventSource` reconnects with `Last-Event-ID` and is replayed what it
//! missed, or sent a `resync` event when history no longer covers the gap.
//! A comment line every heartbeat keeps proxies from closing an idle stream.
//! Authentication and permissions are the same as for WebSockets
//! (`Authorization: Bearer`; `?token=` only when `ALLOW_QUERY_TOKEN` is set,
//! which `EventSource` needs since it cannot set headers). A slow reader is
//! handled like a slow WebSocket client, a new epoch gets a `resync` event
//! as it does there, and the stream ends on shutdown. It also ends when
//! its token expires, with an `expired` event: SSE has no way to hand the
//! server a fresh token in-band, so the client reconnects with one.
//!
//! On a channel with presence, a stream makes its user a member as a
//! WebSocket subscription does (one entry per user, whatever mix of
//! streams and sockets it holds), until the stream ends however it ends:
//! a client that goes away is noticed at the next write, a heartbeat at
//! most.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::{Stream, StreamExt, stream};
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;
use tokio::time::{Instant, sleep_until};

use crate::app::App;
use crate::config::SlowClient;
use crate::hub::Subscription;
use crate::metrics::{ConnectionGuard, Metrics};
use crate::presence::Member;
use crate::protocol::{PROTOCOL_VERSION, Position, ServerFrame};
use crate::quota::Admission;
use crate::schema::{Channels, Events};

#[derive(Debug, Deserialize)]
pub struct SseQuery {
    channel: String,
    token: Option<String>,
}

/// `GET /sse?channel=NAME`
pub async fn stream<E: Events>(
    State(app): State<Arc<App<E>>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(query): Query<SseQuery>,
) -> Response {
    let claims = match app.connecting(&headers, query.token.as_deref()) {
        Ok(c) => c,
        Err(refused) => return refused.into_response(),
    };
    let channel = query.channel;
    let Some(kind) = E::Channel::parse(&channel) else {
        return (
            StatusCode::NOT_FOUND,
            format!("no channel `{channel}` on this server"),
        )
            .into_response();
    };
    if !kind.can_subscribe(&claims.role) {
        app.forbid(&format_args!(
            "role `{}` of `{}` may not subscribe to `{channel}`",
            claims.role, claims.sub
        ));
        return (StatusCode::FORBIDDEN, "forbidden").into_response();
    }
    if !claims.allows(&channel) {
        app.forbid(&format_args!(
            "the token of `{}` does not include `{channel}` in its `channels`",
            claims.sub
        ));
        return (StatusCode::FORBIDDEN, "forbidden").into_response();
    }
    let since = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(Position::from_event_id);
    let guest = !kind.can_publish(&claims.role);
    let admission = match app.admit(&claims, peer, &headers) {
        Ok(a) => a,
        Err(refused) => return refused.into_response(),
    };
    let mut sub = match app
        .hub
        .subscribe_as(&channel, since.as_ref(), Some(&claims.sub), guest)
        .await
    {
        Ok(s) => s,
        Err(e @ crate::hub::HubError::Full(_)) => {
            tracing::info!(user = %claims.sub, %channel, error = %e, "subscribe refused");
            return (StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response();
        }
        Err(e) => return (StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response(),
    };
    let refused = crate::hub::replay_refusal(
        sub.replay_bytes(),
        app.config.limits.max_replay_bytes,
        |b| admission.take_replay(b),
    );
    if let Some(why) = refused {
        tracing::info!(user = %claims.sub, %channel, why, "replay refused");
        sub.refuse_replay();
    }
    let present = if kind.spec().presence {
        let me = Member {
            client: app.client_id(),
            user: claims.sub.clone(),
        };
        if let Err(e) = app.hub.join(&channel, &me).await {
            tracing::error!(error = %e, "presence join failed");
            return (StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response();
        }
        Some(Present {
            app: Arc::clone(&app),
            channel: channel.clone(),
            user: claims.sub.clone(),
        })
    } else {
        None
    };
    let keep_alive = KeepAlive::new().interval(app.config.heartbeat);
    let shutdown = app.shutdown.clone().cancelled_owned();
    let expires = app.verifier.expiry(&claims);
    let held = Held {
        _admission: admission,
        _present: present,
    };
    Sse::new(events(app, channel, sub, expires, refused, held).take_until(shutdown))
        .keep_alive(keep_alive)
        .into_response()
}

struct State_<E: Events> {
    app: Arc<App<E>>,
    channel: String,
    sub: Subscription,
    replay: std::vec::IntoIter<crate::hub::Frame>,
    /// An event to send before reading on (a `resync` at the start).
    pending: Option<SseEvent>,
    last: u64,
    done: bool,
    /// When the token stops being valid.
    expires: Instant,
    _guard: ConnectionGuard,
    _held: Held<E>,
}

/// What a stream holds until it ends.
struct Held<E: Events> {
    /// The stream's place in its user's and address's quotas.
    _admission: Admission,
    _present: Option<Present<E>>,
}

/// A stream's user as a member of its channel's presence; it leaves when
/// the stream is dropped.
struct Present<E: Events> {
    app: Arc<App<E>>,
    channel: String,
    user: String,
}

impl<E: Events> Drop for Present<E> {
    fn drop(&mut self) {
        let app = Arc::clone(&self.app);
        let channel = std::mem::take(&mut self.channel);
        let user = std::mem::take(&mut self.user);
        // Dropped by the server's runtime; without one (the process is
        // ending) there is nobody left to tell.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(e) = app.hub.leave(&channel, &user).await {
                    tracing::warn!(error = %e, "presence leave failed");
                }
            });
        }
    }
}

fn resync_event(channel: &str, epoch: &str, seq: u64, reason: &str) -> SseEvent {
    let frame = ServerFrame::Resync {
        v: PROTOCOL_VERSION,
        channel,
        epoch,
        seq,
        reason,
    };
    SseEvent::default().event("resync").data(frame.to_json())
}

fn events<E: Events>(
    app: Arc<App<E>>,
    channel: String,
    mut sub: Subscription,
    expires: Instant,
    why: Option<&'static str>,
    held: Held<E>,
) -> impl Stream<Item = Result<SseEvent, Infallible>> {
    let replay = std::mem::take(&mut sub.replay).into_iter();
    let resync = sub.resync.then(|| {
        resync_event(
            &channel,
            &sub.epoch.name,
            sub.seq,
            why.unwrap_or("history does not reach back that far"),
        )
    });
    let state = State_ {
        _guard: ConnectionGuard::new(Arc::clone(&app.metrics)),
        app,
        channel,
        replay,
        pending: resync,
        last: 0,
        done: false,
        expires,
        sub,
        _held: held,
    };
    stream::unfold(state, |mut st| async move {
        if st.done {
            return None;
        }
        if let Some(ev) = st.pending.take() {
            return Some((Ok(ev), st));
        }
        loop {
            let frame = match st.replay.next() {
                Some(f) => f,
                None => match tokio::select! {
                    received = st.sub.rx.recv() => received,
                    () = sleep_until(st.expires) => {
                        st.done = true;
                        let data = r#"{"type":"expired","v":1,"reason":"token expired"}"#;
                        return Some((Ok(SseEvent::default().event("expired").data(data)), st));
                    }
                } {
                    Ok(f) => f,
                    Err(RecvError::Lagged(missed)) => {
                        Metrics::add(&st.app.metrics.drops, missed);
                        if st.app.config.slow_client == SlowClient::Disconnect {
                            Metrics::add(&st.app.metrics.slow_disconnects, 1);
                            return None;
                        }
                        Metrics::add(&st.app.metrics.resyncs, 1);
                        let ev = resync_event(
                            &st.channel,
                            &st.sub.epoch.name,
                            st.last,
                            "too slow: messages were dropped",
                        );
                        return Some((Ok(ev), st));
                    }
                    Err(RecvError::Closed) => return None,
                },
            };
            let mut resync = None;
            if frame.epoch < st.sub.epoch.number {
                // Sent before the epoch this subscription started in.
                continue;
            }
            if frame.epoch > st.sub.epoch.number {
                // Redis lost its data: `seq` starts again in a new epoch.
                Metrics::add(&st.app.metrics.resyncs, 1);
                let hub = &st.app.hub;
                st.sub.epoch = crate::hub::Epoch {
                    name: hub.epoch_name(frame.epoch).unwrap_or_else(|| hub.epoch()),
                    number: frame.epoch,
                };
                st.last = 0;
                let reason = "history was lost: a new epoch began";
                resync = Some(resync_event(&st.channel, &st.sub.epoch.name, 0, reason));
            }
            if frame.seq != 0 && frame.seq <= st.last {
                continue;
            }
            let seq = frame.seq;
            // A guest's stream holds a seat in `sub`: the users frames
            // name reach it under their pseudonyms.
            let text = match st.sub.seat {
                Some(_) => frame.for_guest(st.app.hub.pseudonyms()),
                None => frame.text,
            };
            let mut ev = SseEvent::default().data(text.as_str());
            if seq != 0 {
                st.last = seq;
                let pos = Position {
                    epoch: st.sub.epoch.name.to_string(),
                    seq,
                };
                ev = ev.id(pos.to_event_id());
            }
            Metrics::add(&st.app.metrics.messages_out, 1);
            if let Some(resync) = resync {
                st.pending = Some(ev);
                return Some((Ok(resync), st));
            }
            return Some((Ok(ev), st));
        }
    })
}
