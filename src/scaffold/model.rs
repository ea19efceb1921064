//! What the templates see: the realtime spec turned into names and types
//! ready for Rust code (`room:{id}` → `Room`, `reply_to: "int?"` →
//! `Option<i64>`), computed once here so that templates stay free of logic.
//!
//! Only what the plan declares is in the model, so templates can generate
//! nothing else: no channel, event or message type the plan did not name.

use serde::Serialize;

use super::runtime::Runtime;
use crate::realtime::{
    AvatarFallback, Backplane, MetricsAccess, RealtimeSpec, SlowClientPolicy, Transport,
};

/// Bumped when the templates change in a way that changes generated code.
pub const TEMPLATE_VERSION: u32 = 2;

#[derive(Debug, Clone, Serialize)]
pub struct Model {
    pub template_version: u32,
    /// The crate name, kebab-case.
    pub service: String,
    /// The crate name as a Rust identifier.
    pub crate_ident: String,
    pub description: String,
    pub sse: bool,
    pub redis: bool,
    pub max_message_bytes: u32,
    pub rate_per_second: u32,
    pub queue: u32,
    pub heartbeat_seconds: u32,
    pub idle_timeout_seconds: u32,
    pub max_channels: u32,
    pub max_channels_per_user: u32,
    pub max_history_bytes: u64,
    pub history_ttl_seconds: u32,
    pub max_replay_bytes: u64,
    pub max_replay_bytes_per_user: u64,
    pub max_connections_per_user: u32,
    pub max_connections_per_address: u32,
    pub header_timeout_seconds: u32,
    pub presence_interval_ms: u32,
    pub slow_client: &'static str,
    pub issuer: Option<String>,
    pub audience: Option<String>,
    pub query_token: bool,
    /// Origins browsers may connect from (checked when the plan was read:
    /// `scheme://host[:port]`, nothing to escape); empty allows any.
    pub allowed_origins: Vec<String>,
    /// `/metrics` for `METRICS_TOKEN` bearers only.
    pub metrics_token: bool,
    pub channels: Vec<ChannelModel>,
    /// How the service depends on the runtime crate.
    pub runtime: Runtime,
    /// `, features = ["redis", "livekit"]` for the runtime dependency, or
    /// nothing.
    pub runtime_features: String,
    /// The plan declares LiveKit rooms.
    pub livekit: bool,
    pub rooms: Vec<RoomModel>,
    /// The plan declares avatars.
    pub avatar: bool,
    pub avatars: Vec<AvatarModel>,
    /// What the generated tests exercise; `None` when no channel has both
    /// a publisher and a subscriber role and a lasting event.
    pub test: Option<TestModel>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChannelModel {
    pub pattern: String,
    /// A wire name that matches the pattern, e.g. `room:1`.
    pub example: String,
    /// The part before `{param}` (the whole name when there is none).
    pub prefix: String,
    pub param: bool,
    /// `Room` for `room:{id}`.
    pub variant: String,
    /// `ROOM`, for the spec constant.
    pub konst: String,
    pub publish: Vec<String>,
    pub subscribe: Vec<String>,
    /// `&["member"]`, ready to paste into Rust.
    pub publish_rs: String,
    pub subscribe_rs: String,
    pub history: u32,
    pub presence: bool,
    pub events: Vec<EventModel>,
    /// `&["message", "typing"]`
    pub event_names_rs: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RoomModel {
    pub name: String,
    /// `CALL`, for the room's constant.
    pub konst: String,
    /// A room name that matches the declaration, e.g. `interview:1`.
    pub example: String,
    pub max_participants: u32,
    /// `&[Track::Audio, Track::Video]`
    pub tracks_rs: String,
    /// `audio, video`, for docs.
    pub tracks: String,
    pub recording: bool,
    pub grants: Vec<GrantModel>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GrantModel {
    pub role: String,
    pub publish: bool,
    pub subscribe: bool,
    pub publish_data: bool,
    pub admin: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct AvatarModel {
    pub name: String,
    /// `HOST`, for the avatar's constant.
    pub konst: String,
    /// HeyGen's avatar id, for docs; `None` for HeyGen's default.
    pub avatar_id: Option<String>,
    /// `Some("Wayne_20240711")` or `None`.
    pub avatar_id_rs: String,
    /// `AudioOnly`
    pub fallback: &'static str,
    /// `audio_only`, for docs.
    pub fallback_name: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct EventModel {
    pub name: String,
    pub version: u32,
    pub ephemeral: bool,
    /// `RoomMessage`
    pub struct_name: String,
    /// `Message`
    pub variant: String,
    pub fields: Vec<FieldModel>,
    /// `{text, reply_to?}`, for docs.
    pub summary: String,
    /// A valid payload, as JSON.
    pub sample: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct FieldModel {
    pub name: String,
    /// The Rust type, `Option<...>` when optional.
    pub rust_type: String,
    pub optional: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct TestModel {
    pub channel: String,
    pub publisher: String,
    /// A role that may subscribe to `channel` but not publish to it.
    pub read_only: Option<String>,
    pub event: String,
    pub version: u32,
    pub history: u32,
    pub presence: bool,
    /// Rust expression building a distinct payload from `i: u64`.
    pub data_expr: String,
    /// `i`, or `_i` when the payload has no field to vary.
    pub data_arg: &'static str,
    /// Rust expression building a payload padded to about `bytes`; `None`
    /// when the event has no required string field to pad.
    pub big_expr: Option<String>,
    /// Rust expression naming the `i`-th channel of `channel`'s pattern
    /// (`format!("room:{i}")`); `None` when `channel` is a fixed name.
    pub channel_n: Option<String>,
}

/// `room:{id}` → `Room`; `game-events` → `GameEvents`.
pub fn pascal(name: &str) -> String {
    let literal = name.split('{').next().unwrap_or(name);
    let mut out = String::new();
    for word in literal.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'C');
    }
    out
}

fn rust_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("{s:?}")).collect();
    format!("&[{}]", quoted.join(", "))
}

fn rust_type(ty: &str) -> (String, bool) {
    let (base, optional) = match ty.strip_suffix('?') {
        Some(b) => (b, true),
        None => (ty, false),
    };
    let t = match base {
        "string" => "String",
        "int" => "i64",
        "float" => "f64",
        "bool" => "bool",
        _ => "serde_json::Value",
    };
    if optional {
        (format!("Option<{t}>"), true)
    } else {
        (t.to_string(), false)
    }
}

fn sample_value(ty: &str) -> &'static str {
    match ty {
        "string" => "\"s\"",
        "int" => "1",
        "float" => "1.5",
        "bool" => "true",
        _ => "[1]",
    }
}

impl Model {
    /// Builds the model; `default_name` names the crate when the spec does
    /// not.
    pub fn new(spec: &RealtimeSpec, default_name: &str, runtime: Runtime) -> Model {
        let service = spec
            .service
            .as_ref()
            .map_or_else(|| default_name.to_string(), |s| s.value.clone());
        let channels: Vec<ChannelModel> = spec.channels.iter().map(channel_model).collect();
        let test = test_model(spec, &channels);
        let limits = &spec.limits;
        let rooms: Vec<RoomModel> = spec
            .livekit
            .iter()
            .flat_map(|lk| &lk.rooms)
            .map(room_model)
            .collect();
        let avatars: Vec<AvatarModel> = spec.avatars.iter().map(avatar_model).collect();
        let redis = spec.backplane == Backplane::Redis;
        let features: Vec<String> = [
            ("redis", redis),
            ("livekit", !rooms.is_empty()),
            ("avatar", !avatars.is_empty()),
        ]
        .iter()
        .filter(|(_, on)| *on)
        .map(|(f, _)| format!("{f:?}"))
        .collect();
        Model {
            template_version: TEMPLATE_VERSION,
            crate_ident: service.replace('-', "_"),
            description: spec
                .description
                .clone()
                .unwrap_or_else(|| format!("the `{service}` channels")),
            service,
            sse: spec.transport.to_vec().contains(&Transport::Sse),
            redis,
            max_message_bytes: limits.max_message_bytes,
            rate_per_second: limits.rate_per_second,
            queue: limits.queue,
            heartbeat_seconds: limits.heartbeat_seconds,
            idle_timeout_seconds: limits.idle_timeout_seconds,
            max_channels: limits.max_channels,
            max_channels_per_user: limits.max_channels_per_user,
            max_history_bytes: limits.max_history_bytes,
            history_ttl_seconds: limits.history_ttl_seconds,
            max_replay_bytes: limits.max_replay_bytes,
            max_replay_bytes_per_user: limits.max_replay_bytes_per_user,
            max_connections_per_user: limits.max_connections_per_user,
            max_connections_per_address: limits.max_connections_per_address,
            header_timeout_seconds: limits.header_timeout_seconds,
            presence_interval_ms: limits.presence_interval_ms,
            slow_client: match spec.slow_client {
                SlowClientPolicy::DropAndResync => "DropAndResync",
                SlowClientPolicy::Disconnect => "Disconnect",
            },
            issuer: spec.auth.issuer.clone(),
            audience: spec.auth.audience.clone(),
            query_token: spec.auth.query_token,
            allowed_origins: spec
                .security
                .allowed_origins
                .iter()
                .map(|o| o.value.clone())
                .collect(),
            metrics_token: spec.security.metrics == MetricsAccess::Token,
            channels,
            runtime,
            runtime_features: if features.is_empty() {
                String::new()
            } else {
                format!(", features = [{}]", features.join(", "))
            },
            livekit: !rooms.is_empty(),
            rooms,
            avatar: !avatars.is_empty(),
            avatars,
            test,
        }
    }
}

fn room_model(room: &crate::realtime::Room) -> RoomModel {
    let name = room.name.value.clone();
    let example = match name.split_once('{') {
        Some((p, rest)) => format!("{p}1{}", rest.split_once('}').map_or("", |(_, s)| s)),
        None => name.clone(),
    };
    let tracks: Vec<String> = room
        .tracks
        .iter()
        .map(|t| format!("Track::{}", pascal(t)))
        .collect();
    RoomModel {
        konst: variant_to_const(&pascal(&name)),
        name,
        example,
        max_participants: room.max_participants.unwrap_or(0),
        tracks_rs: format!("&[{}]", tracks.join(", ")),
        tracks: room.tracks.join(", "),
        recording: room.recording,
        grants: room
            .grants
            .iter()
            .map(|(role, g)| GrantModel {
                role: role.clone(),
                publish: g.publish,
                subscribe: g.subscribe,
                publish_data: g.publish_data,
                admin: g.admin,
            })
            .collect(),
    }
}

fn avatar_model(a: &crate::realtime::Avatar) -> AvatarModel {
    let (fallback, fallback_name) = match a.fallback.unwrap_or(AvatarFallback::Text) {
        AvatarFallback::AudioOnly => ("AudioOnly", "audio_only"),
        AvatarFallback::Text => ("Text", "text"),
    };
    AvatarModel {
        konst: variant_to_const(&pascal(&a.name.value)),
        name: a.name.value.clone(),
        avatar_id: a.avatar_id.clone(),
        avatar_id_rs: a
            .avatar_id
            .as_ref()
            .map_or_else(|| "None".to_string(), |id| format!("Some({id:?})")),
        fallback,
        fallback_name,
    }
}

fn channel_model(ch: &crate::realtime::Channel) -> ChannelModel {
    let pattern = ch.name.value.clone();
    let variant = pascal(&pattern);
    let (prefix, param) = match pattern.split_once('{') {
        Some((p, _)) => (p.to_string(), true),
        None => (pattern.clone(), false),
    };
    let example = match pattern.split_once('{') {
        Some((p, rest)) => format!("{p}1{}", rest.split_once('}').map_or("", |(_, s)| s)),
        None => pattern.clone(),
    };
    let events: Vec<EventModel> = ch
        .events
        .iter()
        .map(|ev| {
            let name = ev.name.value.clone();
            let fields: Vec<FieldModel> = ev
                .schema
                .iter()
                .map(|(f, ty)| {
                    let (rust_type, optional) = rust_type(ty);
                    FieldModel {
                        name: f.clone(),
                        rust_type,
                        optional,
                    }
                })
                .collect();
            let summary = format!(
                "{{{}}}",
                ev.schema
                    .iter()
                    .map(|(f, ty)| if ty.ends_with('?') {
                        format!("{f}?")
                    } else {
                        f.clone()
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let sample = format!(
                "{{{}}}",
                ev.schema
                    .iter()
                    .filter(|(_, ty)| !ty.ends_with('?'))
                    .map(|(f, ty)| format!("\"{f}\":{}", sample_value(ty)))
                    .collect::<Vec<_>>()
                    .join(",")
            );
            EventModel {
                struct_name: format!("{variant}{}", pascal(&name)),
                variant: pascal(&name),
                name,
                version: ev.version,
                ephemeral: ev.ephemeral,
                fields,
                summary,
                sample,
            }
        })
        .collect();
    ChannelModel {
        konst: variant_to_const(&variant),
        example,
        prefix,
        param,
        publish_rs: rust_list(&ch.publish),
        subscribe_rs: rust_list(&ch.subscribe),
        publish: ch.publish.clone(),
        subscribe: ch.subscribe.clone(),
        history: ch.history,
        presence: ch.presence,
        event_names_rs: rust_list(&events.iter().map(|e| e.name.clone()).collect::<Vec<_>>()),
        events,
        variant,
        pattern,
    }
}

fn variant_to_const(variant: &str) -> String {
    let mut out = String::new();
    for (i, c) in variant.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

fn test_model(spec: &RealtimeSpec, channels: &[ChannelModel]) -> Option<TestModel> {
    spec.channels.iter().zip(channels).find_map(|(ch, model)| {
        let publisher = ch.publish.iter().find(|r| ch.subscribe.contains(r))?;
        let event = ch.events.iter().find(|e| !e.ephemeral)?;
        if ch.history == 0 {
            return None;
        }
        let required: Vec<(&String, &String)> = event
            .schema
            .iter()
            .filter(|(_, t)| !t.ends_with('?'))
            .collect();
        let data = |string_value: &str| {
            let fields: Vec<String> = required
                .iter()
                .map(|(f, ty)| {
                    let v = match ty.as_str() {
                        "string" => string_value.to_string(),
                        "int" => "i".to_string(),
                        "float" => "i as f64".to_string(),
                        "bool" => "i % 2 == 0".to_string(),
                        _ => "[i]".to_string(),
                    };
                    format!("{f:?}: {v}")
                })
                .collect();
            if fields.is_empty() {
                "json!({})".to_string()
            } else {
                format!("json!({{ {} }})", fields.join(", "))
            }
        };
        let big = required
            .iter()
            .find(|(_, t)| t.as_str() == "string")
            .map(|(f, _)| *f);
        Some(TestModel {
            channel: model.example.clone(),
            publisher: publisher.clone(),
            read_only: ch
                .subscribe
                .iter()
                .find(|r| !ch.publish.contains(r))
                .cloned(),
            event: event.name.value.clone(),
            version: event.version,
            history: ch.history,
            presence: ch.presence,
            data_expr: data("format!(\"m{i}\")"),
            data_arg: if required.is_empty() { "_i" } else { "i" },
            channel_n: model.pattern.split_once('{').map(|(prefix, rest)| {
                let suffix = rest.split_once('}').map_or("", |(_, s)| s);
                format!("format!(\"{prefix}{{i}}{suffix}\")")
            }),
            big_expr: big.map(|target| {
                let fields: Vec<String> = required
                    .iter()
                    .map(|(f, ty)| {
                        let v = if *f == target {
                            "\"x\".repeat(bytes)"
                        } else {
                            match ty.as_str() {
                                "string" => "\"s\"",
                                "int" => "0",
                                "float" => "0.0",
                                "bool" => "false",
                                _ => "null",
                            }
                        };
                        format!("{f:?}: {v}")
                    })
                    .collect();
                format!("json!({{ {} }})", fields.join(", "))
            }),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_rust_identifiers() {
        assert_eq!(pascal("room:{id}"), "Room");
        assert_eq!(pascal("game-events"), "GameEvents");
        assert_eq!(pascal("reply_to"), "ReplyTo");
        assert_eq!(variant_to_const("GameEvents"), "GAME_EVENTS");
        assert_eq!(rust_type("int?"), ("Option<i64>".to_string(), true));
    }

    #[test]
    fn the_model_holds_exactly_the_declared_channels_and_events() {
        let text = "channels:\n  - name: \"room:{id}\"\n    events:\n      - name: message\n        schema: { text: string, reply_to: \"int?\" }\n      - name: typing\n        ephemeral: true\n    publish: [member]\n    subscribe: [member, guest]\n    history: 10\n";
        let spec = crate::realtime::parse_block(std::path::Path::new("p.md"), text, 1).unwrap();
        let m = Model::new(
            &spec,
            "demo",
            Runtime::for_output(std::path::Path::new("/nowhere/demo")),
        );
        assert_eq!(m.service, "demo");
        assert_eq!(m.channels.len(), 1);
        let ch = &m.channels[0];
        assert_eq!(
            (ch.example.as_str(), ch.prefix.as_str()),
            ("room:1", "room:")
        );
        let names: Vec<&str> = ch.events.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["message", "typing"]);
        assert_eq!(ch.events[0].summary, "{reply_to?, text}");
        assert_eq!(ch.events[0].sample, r#"{"text":"s"}"#);
        assert_eq!(
            (m.livekit, m.avatar, m.runtime_features.as_str()),
            (false, false, "")
        );
        let t = m.test.unwrap();
        assert_eq!(t.read_only.as_deref(), Some("guest"));
        assert_eq!(t.data_expr, r#"json!({ "text": format!("m{i}") })"#);
    }

    #[test]
    fn rooms_and_avatars_become_constants_and_runtime_features() {
        let text = "backplane: redis\nlivekit:\n  rooms:\n    - name: \"call:{id}\"\n      tracks: [audio, screen]\n      grants:\n        member: { publish: true }\navatars:\n  - name: host-bot\n    provider: heygen\n";
        let spec = crate::realtime::parse_block(std::path::Path::new("p.md"), text, 1).unwrap();
        let m = Model::new(
            &spec,
            "demo",
            Runtime::for_output(std::path::Path::new("/nowhere/demo")),
        );
        assert_eq!(
            m.runtime_features,
            r#", features = ["redis", "livekit", "avatar"]"#
        );
        let room = &m.rooms[0];
        assert_eq!(
            (
                room.konst.as_str(),
                room.example.as_str(),
                room.tracks_rs.as_str()
            ),
            ("CALL", "call:1", "&[Track::Audio, Track::Screen]")
        );
        assert_eq!(room.max_participants, 0);
        assert!(room.grants[0].publish && !room.grants[0].admin);
        let a = &m.avatars[0];
        assert_eq!(
            (a.konst.as_str(), a.avatar_id_rs.as_str(), a.fallback),
            ("HOST_BOT", "None", "Text")
        );
    }
}
