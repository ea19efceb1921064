//! The reference of the realtime block: every field with its type, its
//! default and what it means, in one table that `harness-agents scaffold
//! --help-spec` prints and that parse errors quote, so a message about
//! `limits.queue` says what `limits.queue` takes.
//!
//! A field is named by its path: `channels[].history` is the `history` of
//! any channel, `livekit.rooms[].grants.ROLE.publish` the `publish` of any
//! role's grant. A test checks the table against the parser both ways:
//! every path here is accepted, and every field the parser knows is here.

use serde::Serialize;

/// One field of the block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Field {
    pub path: &'static str,
    /// What it takes, with the allowed values when they are a fixed set.
    #[serde(rename = "type")]
    pub ty: &'static str,
    /// What an absent field means; `required` when it may not be absent.
    pub default: &'static str,
    pub about: &'static str,
    /// A valid value, as YAML; the test writes it at `path` and parses.
    #[serde(skip)]
    pub example: &'static str,
}

const fn field(
    path: &'static str,
    ty: &'static str,
    default: &'static str,
    about: &'static str,
    example: &'static str,
) -> Field {
    Field {
        path,
        ty,
        default,
        about,
        example,
    }
}

/// Every field, parents before their children.
pub const FIELDS: &[Field] = &[
    field(
        "service",
        "crate name: a-z, 0-9, `-`",
        "the plan's title, as a crate name",
        "the generated crate's name",
        "chat-service",
    ),
    field(
        "description",
        "string",
        "\"the `SERVICE` channels\"",
        "one line saying what the service is for, used in its docs",
        "a chat room",
    ),
    field(
        "transport",
        "`websocket`, `sse`, or a list of them",
        "websocket",
        "the endpoints; the generated service needs `websocket`",
        "[websocket, sse]",
    ),
    field(
        "backplane",
        "`memory` or `redis`",
        "memory",
        "where history and presence live: one process, or Redis shared by several",
        "redis",
    ),
    field(
        "slow_client",
        "`drop_and_resync` or `disconnect`",
        "drop_and_resync",
        "what happens to a subscriber that cannot keep up",
        "disconnect",
    ),
    field(
        "auth",
        "mapping",
        "JWT, nothing else checked",
        "how clients prove who they are",
        "{}",
    ),
    field(
        "auth.kind",
        "`jwt`",
        "jwt",
        "HS256 tokens with `sub`, `role` and `exp`",
        "jwt",
    ),
    field(
        "auth.query_token",
        "boolean",
        "false",
        "accept the token as `?token=` (URLs end up in logs)",
        "true",
    ),
    field(
        "auth.issuer",
        "string",
        "none: not checked",
        "the `iss` tokens must carry",
        "chat.example",
    ),
    field(
        "auth.audience",
        "string",
        "none: not checked",
        "the `aud` tokens must carry",
        "chat",
    ),
    field(
        "limits",
        "mapping",
        "every limit at its default",
        "per-connection and per-node limits",
        "{}",
    ),
    field(
        "limits.max_message_bytes",
        "integer",
        "65536",
        "the largest frame a client may send",
        "16384",
    ),
    field(
        "limits.rate_per_second",
        "integer",
        "50",
        "frames a user may send each second, all its connections together",
        "20",
    ),
    field(
        "limits.queue",
        "integer",
        "256",
        "frames queued for one subscriber before `slow_client` applies",
        "512",
    ),
    field(
        "limits.heartbeat_seconds",
        "integer",
        "15",
        "how often the server pings",
        "10",
    ),
    field(
        "limits.idle_timeout_seconds",
        "integer",
        "45",
        "a connection silent this long is closed; more than the heartbeat",
        "30",
    ),
    field(
        "limits.max_channels",
        "integer",
        "10000",
        "channels one node holds; new ones are refused past it",
        "5000",
    ),
    field(
        "limits.max_channels_per_user",
        "integer",
        "1000",
        "channels one user may bring into being on one node, so no user fills `max_channels` alone",
        "100",
    ),
    field(
        "limits.max_history_bytes",
        "integer",
        "67108864",
        "bytes of history one node keeps; publishes that would pass it are refused",
        "16777216",
    ),
    field(
        "limits.history_ttl_seconds",
        "integer",
        "300",
        "how long a channel nobody uses keeps its state and history",
        "600",
    ),
    field(
        "limits.max_replay_bytes",
        "integer",
        "1048576",
        "history one subscribe or resume may replay; past it the client is told to resync",
        "262144",
    ),
    field(
        "limits.max_replay_bytes_per_user",
        "integer",
        "8388608",
        "history one user may have replayed per 10 seconds, all its connections together",
        "2097152",
    ),
    field(
        "limits.max_connections_per_user",
        "integer",
        "16",
        "WebSocket and SSE connections one user (`sub`) may hold at once",
        "8",
    ),
    field(
        "limits.max_connections_per_address",
        "integer",
        "256",
        "WebSocket and SSE connections one IP address may hold at once",
        "1000",
    ),
    field(
        "limits.header_timeout_seconds",
        "integer",
        "10",
        "how long a request's headers may take to arrive before the connection is closed",
        "5",
    ),
    field(
        "limits.presence_interval_ms",
        "integer",
        "250",
        "the least time between two presence diffs of one channel; joins and leaves in between go out together",
        "500",
    ),
    field(
        "security",
        "mapping",
        "any origin; `/metrics` for loopback peers",
        "who may reach the service beyond what tokens decide",
        "{}",
    ),
    field(
        "security.allowed_origins",
        "list of origins (`scheme://host[:port]`)",
        "none: any origin",
        "origins browsers may connect from; others get 403 (`ALLOWED_ORIGINS` overrides)",
        "[\"https://chat.example\"]",
    ),
    field(
        "security.metrics",
        "`loopback` or `token`",
        "loopback",
        "who may read `/metrics`: loopback peers (or `METRICS_TOKEN` bearers when set), or `METRICS_TOKEN` bearers only, the token then required at start-up and never in the plan",
        "token",
    ),
    field(
        "channels",
        "list of channels",
        "none",
        "what clients subscribe and publish to",
        "[]",
    ),
    field(
        "channels[].name",
        "string: a name, or a pattern with one `{param}`",
        "required",
        "`lobby`, or `room:{id}` for `room:1`, `room:2`...",
        "\"room:{id}\"",
    ),
    field(
        "channels[].events",
        "list of events",
        "none",
        "what may be published on it",
        "[]",
    ),
    field(
        "channels[].events[].name",
        "string: a-z first, then a-z, 0-9, `_`, `-`",
        "required",
        "the frame's `type`; not one the protocol reserves",
        "message",
    ),
    field(
        "channels[].events[].version",
        "integer, from 1",
        "1",
        "the payload's version; clients send it as `v`",
        "2",
    ),
    field(
        "channels[].events[].schema",
        "mapping of field name to `string`, `int`, `float`, `bool` or `json` (`?` for optional)",
        "{} (no fields)",
        "the payload's fields",
        "{ text: string, reply_to: \"int?\" }",
    ),
    field(
        "channels[].events[].ephemeral",
        "boolean",
        "false",
        "delivered live only: no `seq`, never in history",
        "true",
    ),
    field(
        "channels[].publish",
        "list of roles",
        "none: nobody",
        "roles that may publish",
        "[member]",
    ),
    field(
        "channels[].subscribe",
        "list of roles",
        "none: nobody",
        "roles that may subscribe",
        "[member, guest]",
    ),
    field(
        "channels[].history",
        "integer",
        "0",
        "messages kept for replay after a reconnect",
        "100",
    ),
    field(
        "channels[].presence",
        "boolean",
        "false",
        "whether subscribers see who else is subscribed",
        "true",
    ),
    field("livekit", "mapping", "none", "LiveKit video rooms", "{}"),
    field("livekit.rooms", "list of rooms", "none", "the rooms", "[]"),
    field(
        "livekit.rooms[].name",
        "string",
        "required",
        "the room's name",
        "interview",
    ),
    field(
        "livekit.rooms[].max_participants",
        "integer",
        "none: no limit",
        "how many may join at once",
        "2",
    ),
    field(
        "livekit.rooms[].tracks",
        "list of `audio`, `video`, `screen`, `data`",
        "none",
        "what participants may publish",
        "[audio, video]",
    ),
    field(
        "livekit.rooms[].recording",
        "boolean",
        "false",
        "whether the room may be recorded",
        "true",
    ),
    field(
        "livekit.rooms[].grants",
        "mapping of role to grant",
        "none",
        "what each role may do in the room",
        "{}",
    ),
    field(
        "livekit.rooms[].grants.ROLE.publish",
        "boolean",
        "false",
        "publish tracks",
        "true",
    ),
    field(
        "livekit.rooms[].grants.ROLE.subscribe",
        "boolean",
        "false",
        "subscribe to tracks",
        "true",
    ),
    field(
        "livekit.rooms[].grants.ROLE.publish_data",
        "boolean",
        "false",
        "send data messages",
        "true",
    ),
    field(
        "livekit.rooms[].grants.ROLE.admin",
        "boolean",
        "false",
        "administer the room",
        "true",
    ),
    field(
        "avatars",
        "list of avatars",
        "none",
        "streaming avatar sessions",
        "[]",
    ),
    field(
        "avatars[].name",
        "string",
        "required",
        "the avatar's name",
        "coach",
    ),
    field(
        "avatars[].provider",
        "`heygen`",
        "required",
        "who renders the avatar",
        "heygen",
    ),
    field(
        "avatars[].avatar_id",
        "string",
        "none",
        "the provider's avatar id",
        "Wayne_20240711",
    ),
    field(
        "avatars[].fallback",
        "`audio_only` or `text`",
        "`text`",
        "what a caller gets when the avatar is unavailable (down, slow, or no `HEYGEN_API_KEY`)",
        "audio_only",
    ),
];

/// The reference as text: one entry per field, its path, type and default,
/// then what it means.
pub fn text() -> String {
    let mut out = String::from(
        "The ```yaml realtime block of a plan: every field, its type and its default.\n\
         `[]` is any item of a list, `ROLE` any role.\n",
    );
    for f in FIELDS {
        let default = if f.default == "required" {
            "required".to_string()
        } else {
            format!("default: {}", f.default)
        };
        out.push_str(&format!(
            "\n{}: {} ({default})\n    {}\n",
            f.path, f.ty, f.about
        ));
    }
    out
}

/// The field at `path` as a deserialiser reports it (`channels[2].history`,
/// `livekit.rooms[0].grants.member.admin`).
pub fn find(path: &str) -> Option<&'static Field> {
    let wanted = generic(path);
    // An item of a list of plain values (`transport[1]`) is the list's field.
    let list = wanted.strip_suffix("[]");
    FIELDS
        .iter()
        .find(|f| f.path == wanted || Some(f.path) == list)
}

/// `channels[2].events[0].name` → `channels[].events[].name`; the segment
/// after `grants` → `ROLE`.
fn generic(path: &str) -> String {
    let mut out = Vec::new();
    let mut after_grants = false;
    for segment in path.split('.') {
        let mut s = String::new();
        let mut in_index = false;
        for c in segment.chars() {
            match c {
                '[' => {
                    in_index = true;
                    s.push('[');
                }
                ']' => {
                    in_index = false;
                    s.push(']');
                }
                _ if in_index => {}
                _ => s.push(c),
            }
        }
        if after_grants {
            s = "ROLE".to_string();
        }
        after_grants = s == "grants";
        out.push(s);
    }
    out.join(".")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::*;
    use crate::realtime::parse_block;

    /// A block setting `path` to `value`, with whatever parents need: a
    /// list item gets a `name` (and an avatar its `provider`) unless that
    /// is the field being set.
    fn block(path: &str, value: &str) -> String {
        let parts: Vec<&str> = path.split('.').collect();
        let mut yaml = String::new();
        let mut pad = String::new();
        for (i, part) in parts.iter().enumerate() {
            let leaf = parts.get(i + 1).filter(|_| i + 2 == parts.len()).copied();
            if i + 1 == parts.len() {
                yaml.push_str(&format!("{pad}{part}: {value}\n"));
            } else if let Some(key) = part.strip_suffix("[]") {
                let name = if leaf == Some("name") { value } else { "x" };
                yaml.push_str(&format!("{pad}{key}:\n{pad}  - name: {name}\n"));
                pad.push_str("    ");
                if key == "avatars" && leaf != Some("provider") {
                    yaml.push_str(&format!("{pad}provider: heygen\n"));
                }
                if leaf == Some("name") {
                    break;
                }
            } else {
                let key = if *part == "ROLE" { "member" } else { part };
                yaml.push_str(&format!("{pad}{key}:\n"));
                pad.push_str("  ");
            }
        }
        yaml
    }

    #[test]
    fn every_documented_field_is_accepted_with_its_example() {
        for f in FIELDS {
            let text = block(f.path, f.example);
            if let Err(e) = parse_block(Path::new("p.md"), &text, 1) {
                panic!("`{}` with `{}`:\n{text}\n{:?}", f.path, f.example, e);
            }
        }
    }

    /// The fields a level has, as the parser lists them for an unknown one.
    fn parser_fields(parent: &str) -> BTreeSet<String> {
        let path = if parent.is_empty() {
            "zz_unknown".to_string()
        } else {
            format!("{parent}.zz_unknown")
        };
        let errors = parse_block(Path::new("p.md"), &block(&path, "1"), 1).unwrap_err();
        let message = &errors[0].message;
        let (_, list) = message
            .split_once("expected one of ")
            .or_else(|| message.split_once("expected "))
            .unwrap_or_else(|| panic!("{message}"));
        list.split(", ")
            .map(|f| f.trim_matches('`').to_string())
            .collect()
    }

    #[test]
    fn every_field_the_parser_knows_is_documented() {
        for parent in [
            "",
            "auth",
            "limits",
            "security",
            "channels[]",
            "channels[].events[]",
            "livekit",
            "livekit.rooms[]",
            "livekit.rooms[].grants.ROLE",
            "avatars[]",
        ] {
            let documented: BTreeSet<String> = FIELDS
                .iter()
                .filter_map(|f| {
                    let rest = if parent.is_empty() {
                        f.path
                    } else {
                        f.path.strip_prefix(parent)?.strip_prefix('.')?
                    };
                    (!rest.contains('.')).then(|| rest.trim_end_matches("[]").to_string())
                })
                .collect();
            assert_eq!(parser_fields(parent), documented, "under `{parent}`");
        }
    }

    #[test]
    fn reported_paths_find_their_field() {
        assert_eq!(find("limits.queue").unwrap().default, "256");
        assert_eq!(
            find("channels[3].events[0].version").unwrap().path,
            "channels[].events[].version"
        );
        assert_eq!(
            find("livekit.rooms[0].grants.member.admin").unwrap().path,
            "livekit.rooms[].grants.ROLE.admin"
        );
        assert_eq!(find("transport[1]").unwrap().path, "transport");
        assert_eq!(find("nowhere"), None);
    }
}
