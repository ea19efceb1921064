use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use crate::diagnostic::{Code, Diagnostic, Span};

/// The info string that marks the block in a plan: ```` ```yaml realtime ````.
pub const BLOCK_INFO: &str = "yaml realtime";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    Websocket,
    Sse,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backplane {
    #[default]
    Memory,
    Redis,
}

/// What the server does with a client that cannot keep up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlowClientPolicy {
    /// Drop its queued messages and tell it to resync from history.
    #[default]
    DropAndResync,
    /// Close the connection (1008 policy violation / 1013 try again later).
    Disconnect,
}

/// Who may reach the service beyond what tokens decide.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Security {
    /// Origins browsers may connect from (`https://chat.example`); empty
    /// allows any. `ALLOWED_ORIGINS` overrides them at start-up.
    pub allowed_origins: Vec<Spanned<String>>,
    /// Who may read `/metrics`.
    pub metrics: MetricsAccess,
}

/// Who may read `/metrics`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricsAccess {
    /// Peers on the loopback interface, or bearers of `METRICS_TOKEN`
    /// when it is set.
    #[default]
    Loopback,
    /// Bearers of `METRICS_TOKEN` only, which the service then requires at
    /// start-up: the token itself never sits in the plan.
    Token,
}

/// Why `origin` cannot be matched against a browser's `Origin` header, if
/// it cannot: it must be `scheme://host[:port]`, as browsers send it.
pub fn origin_problem(origin: &str) -> Option<String> {
    let Some((scheme, rest)) = origin.split_once("://") else {
        return Some("is not an origin: it has no `scheme://`".to_string());
    };
    if scheme != "http" && scheme != "https" {
        return Some(format!(
            "has scheme `{scheme}`; browsers connect from `http` or `https`"
        ));
    }
    if rest.contains('*') {
        return Some("has a wildcard; list each origin".to_string());
    }
    if rest.contains(['/', '?', '#']) {
        return Some("has a path; an origin is only `scheme://host[:port]`".to_string());
    }
    let (host, port) = match rest.strip_prefix('[') {
        // An IPv6 address: `[::1]` or `[::1]:8080`.
        Some(v6) => match v6.split_once(']') {
            Some((addr, after)) if !addr.is_empty() => (addr, after.strip_prefix(':')),
            _ => return Some("has an unclosed `[`".to_string()),
        },
        None => match rest.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (rest, None),
        },
    };
    if let Some(port) = port
        && port.parse::<u16>().is_err()
    {
        return Some(format!("has port `{port}`, which is not a port number"));
    }
    let valid = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-');
    let v6 = rest.starts_with('[');
    if host.is_empty() || !host.chars().all(|c| valid(c) || (v6 && c == ':')) {
        return Some(format!(
            "has host `{host}`; browsers send hosts in lowercase ASCII (punycode)"
        ));
    }
    None
}

fn one() -> u32 {
    1
}

fn default_transport() -> OneOrMany<Transport> {
    OneOrMany::One(Transport::Websocket)
}

/// One value or a list of them (`transport: sse`, `transport: [websocket,
/// sse]`). Deserialised by hand: serde's untagged enums answer a wrong value
/// with "did not match any variant", where this passes on the value's own
/// error, which names what is allowed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Visit<T> {
            type Value = OneOrMany<T>;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("one value or a list of them")
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                use serde::de::IntoDeserializer as _;
                T::deserialize(v.into_deserializer()).map(OneOrMany::One)
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                seq: A,
            ) -> Result<Self::Value, A::Error> {
                Vec::<T>::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))
                    .map(OneOrMany::Many)
            }
        }
        d.deserialize_any(Visit(std::marker::PhantomData))
    }
}

impl<T: Clone> OneOrMany<T> {
    pub fn to_vec(&self) -> Vec<T> {
        match self {
            OneOrMany::One(t) => vec![t.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

/// The whole block.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RealtimeSpec {
    /// The generated crate's name (kebab-case); defaults to the plan's name.
    #[serde(default)]
    pub service: Option<Spanned<String>>,
    /// One line saying what the service is for, e.g. "a chat room with
    /// presence and typing events"; used in the generated docs.
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default = "default_transport")]
    pub transport: OneOrMany<Transport>,
    #[serde(default)]
    pub backplane: Backplane,
    #[serde(default)]
    pub auth: Auth,
    #[serde(default)]
    pub limits: Limits,
    #[serde(default)]
    pub slow_client: SlowClientPolicy,
    #[serde(default)]
    pub security: Security,
    #[serde(default)]
    pub channels: Vec<Channel>,
    #[serde(default)]
    pub livekit: Option<LiveKit>,
    #[serde(default)]
    pub avatars: Vec<Avatar>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Auth {
    /// Only `jwt` today: HS256 tokens with an expiry.
    #[serde(default)]
    pub kind: AuthKind,
    /// Accept the token in the query string (`?token=`); off by default,
    /// since URLs end up in logs.
    #[serde(default)]
    pub query_token: bool,
    pub issuer: Option<String>,
    pub audience: Option<String>,
}

/// How clients authenticate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthKind {
    #[default]
    Jwt,
}

impl Default for Auth {
    fn default() -> Self {
        Auth {
            kind: AuthKind::Jwt,
            query_token: false,
            issuer: None,
            audience: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    pub max_message_bytes: u32,
    /// Messages a connection may send each second.
    pub rate_per_second: u32,
    /// Messages queued for one subscriber before the slow-client policy applies.
    pub queue: u32,
    pub heartbeat_seconds: u32,
    pub idle_timeout_seconds: u32,
    /// Channels one node holds in memory.
    pub max_channels: u32,
    /// Channels one user may bring into being on one node (its share of
    /// `max_channels`).
    pub max_channels_per_user: u32,
    /// Bytes of history one node keeps, all channels together.
    pub max_history_bytes: u64,
    /// How long a channel nobody uses keeps its state and history.
    pub history_ttl_seconds: u32,
    /// Bytes of history one subscribe or resume may replay.
    pub max_replay_bytes: u64,
    /// Bytes of history one user may have replayed per 10 seconds.
    pub max_replay_bytes_per_user: u64,
    /// Open connections of one user, WebSocket and SSE together.
    pub max_connections_per_user: u32,
    /// Open connections from one IP address, WebSocket and SSE together.
    pub max_connections_per_address: u32,
    /// How long a request's headers may take to arrive.
    pub header_timeout_seconds: u32,
    /// The least time between two presence diffs of one channel.
    pub presence_interval_ms: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_bytes: 64 * 1024,
            rate_per_second: 50,
            queue: 256,
            heartbeat_seconds: 15,
            idle_timeout_seconds: 45,
            max_channels: 10_000,
            max_channels_per_user: 1_000,
            max_history_bytes: 64 * 1024 * 1024,
            history_ttl_seconds: 300,
            max_replay_bytes: 1024 * 1024,
            max_replay_bytes_per_user: 8 * 1024 * 1024,
            max_connections_per_user: 16,
            max_connections_per_address: 256,
            header_timeout_seconds: 10,
            presence_interval_ms: 250,
        }
    }
}

impl Limits {
    /// The limits that make no sense as written: (field, why).
    fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let at_least_one = [
            ("rate_per_second", u64::from(self.rate_per_second)),
            ("queue", u64::from(self.queue)),
            ("heartbeat_seconds", u64::from(self.heartbeat_seconds)),
            ("max_channels", u64::from(self.max_channels)),
            (
                "max_channels_per_user",
                u64::from(self.max_channels_per_user),
            ),
            ("history_ttl_seconds", u64::from(self.history_ttl_seconds)),
            (
                "max_connections_per_user",
                u64::from(self.max_connections_per_user),
            ),
            (
                "max_connections_per_address",
                u64::from(self.max_connections_per_address),
            ),
            (
                "header_timeout_seconds",
                u64::from(self.header_timeout_seconds),
            ),
            ("presence_interval_ms", u64::from(self.presence_interval_ms)),
        ];
        for (field, value) in at_least_one {
            if value == 0 {
                out.push((field, "must be at least 1".to_string()));
            }
        }
        if self.idle_timeout_seconds <= self.heartbeat_seconds {
            out.push((
                "idle_timeout_seconds",
                format!(
                    "must be longer than `limits.heartbeat_seconds` ({})",
                    self.heartbeat_seconds
                ),
            ));
        }
        out
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Channel {
    /// A name or a pattern with one `{param}`, e.g. `room:{id}`.
    pub name: Spanned<String>,
    #[serde(default)]
    pub events: Vec<Event>,
    /// Roles that may publish; empty means none may.
    #[serde(default)]
    pub publish: Vec<String>,
    /// Roles that may subscribe; empty means none may.
    #[serde(default)]
    pub subscribe: Vec<String>,
    /// Messages kept for replay after a reconnect.
    #[serde(default)]
    pub history: u32,
    #[serde(default)]
    pub presence: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    pub name: Spanned<String>,
    #[serde(default = "one")]
    pub version: u32,
    /// Payload fields and their types: `string`, `int`, `float`, `bool`,
    /// `json`; a trailing `?` makes a field optional.
    #[serde(default)]
    pub schema: BTreeMap<String, String>,
    /// Delivered live only: no `seq`, never kept in history (e.g. typing).
    #[serde(default)]
    pub ephemeral: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiveKit {
    #[serde(default)]
    pub rooms: Vec<Room>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Room {
    pub name: Spanned<String>,
    pub max_participants: Option<u32>,
    /// `audio`, `video`, `screen`, `data`.
    #[serde(default)]
    pub tracks: Vec<String>,
    #[serde(default)]
    pub recording: bool,
    /// Grants per role.
    #[serde(default)]
    pub grants: BTreeMap<String, Grant>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Grant {
    pub publish: bool,
    pub subscribe: bool,
    pub publish_data: bool,
    pub admin: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Avatar {
    pub name: Spanned<String>,
    /// Only `heygen` today.
    pub provider: String,
    pub avatar_id: Option<String>,
    /// What to offer when the avatar is unavailable; `text` when unset.
    pub fallback: Option<AvatarFallback>,
}

/// What a caller gets instead of an avatar that is unavailable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AvatarFallback {
    /// The avatar's lines as speech, without video.
    AudioOnly,
    /// The avatar's lines as text.
    Text,
}

pub const FIELD_TYPES: &[&str] = &["string", "int", "float", "bool", "json"];

/// Frame types the generated protocol reserves for itself.
pub const RESERVED_EVENTS: &[&str] = &[
    "subscribe",
    "unsubscribe",
    "subscribed",
    "unsubscribed",
    "resync",
    "presence",
    "ack",
    "error",
    "refresh",
    "refreshed",
];

/// A crate name: lowercase letters, digits and `-`, starting with a letter.
pub fn is_crate_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-')
}
pub const TRACKS: &[&str] = &["audio", "video", "screen", "data"];

/// Parses and checks a realtime block. `first_line` is the file line of the
/// block's first line; every error is located in the plan file.
pub fn parse_block(
    path: &Path,
    text: &str,
    first_line: usize,
) -> Result<RealtimeSpec, Vec<Diagnostic>> {
    let mut field = None;
    let parsed = serde_saphyr::with_deserializer_from_str(text, |de| {
        serde_path_to_error::deserialize(de).map_err(|e| {
            field = Some(e.path().to_string());
            e.into_inner()
        })
    });
    let spec: RealtimeSpec = parsed.map_err(|e| {
        let (line, col, len) = e.location().map_or((1, 1, 1), |l| {
            (
                l.line() as usize,
                l.column() as usize,
                l.span().len() as usize,
            )
        });
        let msg = e.to_string();
        let msg = clean_message(msg.lines().next().unwrap_or(""));
        let field = field.filter(|f| f != ".");
        let unknown = msg.starts_with("unknown field");
        let (col, len) = match &field {
            Some(f) if !unknown => past_the_key(text, line, col, f).unwrap_or((col, len)),
            _ => (col, len),
        };
        let documented = field.as_deref().and_then(super::find_field);
        let message = match (&field, documented) {
            // An unknown key is reported at its parent: the message names
            // the key and lists the parent's fields.
            (Some(_), _) if unknown => msg,
            (Some(_), Some(doc)) => format!("`{}` takes {}: {msg}", doc.path, doc.ty),
            (Some(path), None) => format!("`{path}`: {msg}"),
            (None, _) => msg,
        };
        let hint = match documented {
            Some(doc) if !unknown => format!(
                "`{}`: {} (default: {}); `harness-agents scaffold --help-spec` lists every field",
                doc.path, doc.about, doc.default
            ),
            _ => "`harness-agents scaffold --help-spec` lists every field, its type and default"
                .to_string(),
        };
        vec![
            Diagnostic::error(Code::InvalidRealtime, format!("realtime block: {message}"))
                .at(Span::at_line_col(path, text, line, col, len).in_file_from(first_line))
                .hint(hint),
        ]
    })?;
    let block = Block {
        path,
        text,
        first_line,
    };
    let errors = check(&spec, &block);
    if errors.is_empty() {
        Ok(spec)
    } else {
        Err(errors)
    }
}

/// Some errors about a value are located at its key (`transport: livekit`
/// at `transport`): the value instead, after the key's colon, as a column
/// and a length.
fn past_the_key(text: &str, line: usize, col: usize, field: &str) -> Option<(usize, usize)> {
    let key = field.rsplit('.').next().unwrap_or(field);
    let key = key.split('[').next().unwrap_or(key);
    let line_text = text.lines().nth(line.checked_sub(1)?)?;
    let from = line_text.char_indices().nth(col.checked_sub(1)?)?.0;
    let rest = line_text[from..].strip_prefix(key)?.strip_prefix(':')?;
    let value = rest.trim();
    if value.is_empty() {
        return None;
    }
    let value_at = from + key.len() + 1 + (rest.len() - rest.trim_start().len());
    Some((
        line_text[..value_at].chars().count() + 1,
        value.chars().count(),
    ))
}

/// The library's message without the location it repeats (`error: line 6
/// column 9: ...`): the diagnostic carries the location itself.
fn clean_message(line: &str) -> String {
    let mut msg = line.trim();
    msg = msg.strip_prefix("error: ").unwrap_or(msg);
    if let Some(rest) = msg.strip_prefix("line ")
        && let Some((_, after)) = rest.split_once(": ")
        && rest
            .split(':')
            .next()
            .is_some_and(|loc| loc.contains("column"))
    {
        msg = after;
    }
    msg.to_string()
}

/// The block's text and where it sits in the plan, to locate its values.
struct Block<'a> {
    path: &'a Path,
    text: &'a str,
    /// File line of the block's first line.
    first_line: usize,
}

impl Block<'_> {
    /// Where a value of the block is written, in the plan file.
    fn at(&self, s: &Spanned<String>) -> Span {
        let at = &s.referenced;
        Span::at_line_col(
            self.path,
            self.text,
            at.line() as usize,
            at.column() as usize,
            at.span().len() as usize,
        )
        .in_file_from(self.first_line)
    }

    /// Where `key` is written inside the mapping `section` (the section
    /// itself if the key is not written, i.e. it has its default).
    fn key(&self, section: &str, key: &str) -> Span {
        let start = self.text.find(&format!("{section}:")).unwrap_or(0);
        let (at, len) = match self.text[start..].find(&format!("{key}:")) {
            Some(i) => (start + i, key.len()),
            None => (start, section.len()),
        };
        let line = self.text[..at].matches('\n').count() + 1;
        let col = at - self.text[..at].rfind('\n').map_or(0, |n| n + 1) + 1;
        Span::at_line_col(self.path, self.text, line, col, len).in_file_from(self.first_line)
    }
}

/// A name usable as an identifier in generated code.
fn is_ident(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

fn check(spec: &RealtimeSpec, block: &Block) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if let Some(service) = &spec.service
        && !is_crate_name(&service.value)
    {
        out.push(
            Diagnostic::error(
                Code::InvalidService,
                format!("service name `{}` is not a crate name", service.value),
            )
            .at(block.at(service))
            .hint("use lowercase letters, digits and `-`, e.g. `chat-service`"),
        );
    }
    for (field, why) in spec.limits.problems() {
        out.push(
            Diagnostic::error(Code::InvalidRealtime, format!("`limits.{field}` {why}"))
                .at(block.key("limits", field))
                .hint(format!(
                    "`harness-agents scaffold --help-spec` says what `limits.{field}` takes"
                )),
        );
    }
    for origin in &spec.security.allowed_origins {
        if let Some(why) = origin_problem(&origin.value) {
            out.push(
                Diagnostic::error(
                    Code::InvalidRealtime,
                    format!("`security.allowed_origins`: `{}` {why}", origin.value),
                )
                .at(block.at(origin))
                .hint("write origins as browsers send them, e.g. `https://chat.example` or `http://localhost:5173`"),
            );
        }
    }
    let mut channels: BTreeMap<&str, ()> = BTreeMap::new();
    for ch in &spec.channels {
        let name = ch.name.value.as_str();
        if channels.insert(name, ()).is_some() {
            out.push(
                Diagnostic::error(
                    Code::DuplicateChannel,
                    format!("channel `{name}` is declared twice"),
                )
                .at(block.at(&ch.name)),
            );
        }
        if name.matches('{').count() > 1 || name.matches('{').count() != name.matches('}').count() {
            out.push(
                Diagnostic::error(
                    Code::InvalidChannel,
                    format!("channel `{name}` may have at most one `{{param}}`"),
                )
                .at(block.at(&ch.name)),
            );
        }
        let mut events: BTreeMap<&str, ()> = BTreeMap::new();
        for ev in &ch.events {
            let ev_name = ev.name.value.as_str();
            if events.insert(ev_name, ()).is_some() {
                out.push(
                    Diagnostic::error(
                        Code::DuplicateEvent,
                        format!("event `{ev_name}` is declared twice in channel `{name}`"),
                    )
                    .at(block.at(&ev.name))
                    .hint("give each event its own name, or raise `version` on the existing one"),
                );
            }
            if !is_ident(ev_name) {
                out.push(
                    Diagnostic::error(Code::InvalidEvent, format!("event name `{ev_name}` must start with a lowercase letter and hold only a-z, 0-9, `_` or `-`"))
                        .at(block.at(&ev.name)),
                );
            }
            if RESERVED_EVENTS.contains(&ev_name) {
                out.push(
                    Diagnostic::error(
                        Code::InvalidEvent,
                        format!("event name `{ev_name}` is reserved by the protocol"),
                    )
                    .at(block.at(&ev.name))
                    .hint(format!("reserved: {}", RESERVED_EVENTS.join(", "))),
                );
            }
            if ev.version == 0 {
                out.push(
                    Diagnostic::error(
                        Code::InvalidEvent,
                        format!("event `{ev_name}`: versions start at 1"),
                    )
                    .at(block.at(&ev.name)),
                );
            }
            for (field, ty) in &ev.schema {
                let base = ty.strip_suffix('?').unwrap_or(ty);
                if !FIELD_TYPES.contains(&base) {
                    out.push(
                        Diagnostic::error(
                            Code::InvalidSchema,
                            format!("event `{ev_name}` field `{field}`: unknown type `{ty}`"),
                        )
                        .at(block.at(&ev.name))
                        .hint(format!(
                            "use one of: {} (with `?` for optional)",
                            FIELD_TYPES.join(", ")
                        )),
                    );
                }
                if !is_ident(field) || field.contains('-') {
                    out.push(
                        Diagnostic::error(
                            Code::InvalidSchema,
                            format!("event `{ev_name}`: field name `{field}` must be snake_case"),
                        )
                        .at(block.at(&ev.name)),
                    );
                }
            }
        }
    }
    if let Some(lk) = &spec.livekit {
        let mut rooms: BTreeMap<&str, ()> = BTreeMap::new();
        for room in &lk.rooms {
            if rooms.insert(room.name.value.as_str(), ()).is_some() {
                out.push(
                    Diagnostic::error(
                        Code::DuplicateRoom,
                        format!("room `{}` is declared twice", room.name.value),
                    )
                    .at(block.at(&room.name)),
                );
            }
            for t in &room.tracks {
                if !TRACKS.contains(&t.as_str()) {
                    out.push(
                        Diagnostic::error(
                            Code::InvalidRoom,
                            format!("room `{}`: unknown track `{t}`", room.name.value),
                        )
                        .at(block.at(&room.name))
                        .hint(format!("use one of: {}", TRACKS.join(", "))),
                    );
                }
            }
        }
    }
    for a in &spec.avatars {
        if a.provider != "heygen" {
            out.push(
                Diagnostic::error(
                    Code::InvalidAvatar,
                    format!(
                        "avatar `{}`: unknown provider `{}`",
                        a.name.value, a.provider
                    ),
                )
                .at(block.at(&a.name))
                .hint("the only provider is `heygen`"),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names a plan may not give its events are the runtime's control
    /// frames: the two lists (this crate cannot depend on the runtime's)
    /// say the same.
    #[test]
    fn reserved_events_are_the_runtimes_control_frames() {
        let runtime = include_str!("../../runtime/src/protocol.rs");
        let start = runtime
            .find("pub const RESERVED_TYPES")
            .expect("the runtime's list");
        let list = &runtime[start..start + runtime[start..].find("];").unwrap()];
        let theirs: Vec<&str> = list.split('"').skip(1).step_by(2).collect();
        assert_eq!(theirs, RESERVED_EVENTS);
    }

    const OK: &str = "transport: [websocket, sse]\nbackplane: redis\nchannels:\n  - name: \"room:{id}\"\n    events:\n      - name: message\n        version: 2\n        schema: { text: string, reply_to: \"int?\" }\n      - name: typing\n    publish: [member]\n    subscribe: [member]\n    history: 100\n    presence: true\n";

    #[test]
    fn parses_a_full_block() {
        let s = parse_block(Path::new("p.md"), OK, 10).unwrap();
        assert_eq!(s.transport.to_vec(), [Transport::Websocket, Transport::Sse]);
        assert_eq!(s.backplane, Backplane::Redis);
        assert_eq!(s.channels[0].events[0].version, 2);
        assert_eq!(s.channels[0].events[1].version, 1);
        assert_eq!(s.limits.queue, 256);
    }

    #[test]
    fn unknown_field_is_located_in_the_plan() {
        let e = parse_block(
            Path::new("p.md"),
            "channels:\n  - name: a\n    histroy: 3\n",
            20,
        )
        .unwrap_err();
        let d = &e[0];
        assert!(
            d.message
                .starts_with("realtime block: unknown field `histroy`"),
            "{}",
            d.message
        );
        let span = d.span.as_ref().unwrap();
        assert_eq!((span.line, span.col, span.length()), (22, 5, Some(7)));
        assert_eq!(span.line_text(), Some("    histroy: 3"));
    }

    #[track_caller]
    fn error(text: &str) -> (String, (usize, usize, Option<usize>), String) {
        let e = parse_block(Path::new("p.md"), text, 1).unwrap_err();
        let span = e[0].span.as_ref().unwrap();
        let hint = e[0].hint.clone().unwrap_or_default();
        (
            e[0].message.clone(),
            (span.line, span.col, span.length()),
            hint,
        )
    }

    #[test]
    fn wrong_values_name_the_field_and_what_it_takes() {
        let (message, at, hint) = error("transport: livekit\n");
        assert_eq!(
            message,
            "realtime block: `transport` takes `websocket`, `sse`, or a list of them: \
             unknown variant `livekit`, expected one of websocket, sse"
        );
        assert_eq!(at, (1, 12, Some(7)));
        assert!(hint.starts_with("`transport`: the endpoints"), "{hint}");
        let (message, at, _) = error("transport: [websocket, livekit]\n");
        assert!(
            message.starts_with("realtime block: `transport` takes"),
            "{message}"
        );
        assert_eq!(at.0, 1);
        assert_eq!(at.1, 24);
        let (message, at, hint) = error("channels:\n  - name: a\n    history: -1\n");
        assert_eq!(
            message,
            "realtime block: `channels[].history` takes integer: invalid u32"
        );
        assert_eq!(at, (3, 14, Some(2)));
        assert!(hint.contains("(default: 0)"), "{hint}");
        let (message, _, _) = error("auth: { kind: oauth }\n");
        assert_eq!(
            message,
            "realtime block: `auth.kind` takes `jwt`: unknown variant `oauth`, expected one of jwt"
        );
        let (message, _, _) =
            error("livekit: { rooms: [ { name: r, grants: { m: { admin: 3 } } } ] }\n");
        assert_eq!(
            message,
            "realtime block: `livekit.rooms[].grants.ROLE.admin` takes boolean: invalid boolean"
        );
    }

    #[test]
    fn an_avatars_fallback_is_one_of_the_runtimes() {
        let ok = "avatars:\n  - name: host\n    provider: heygen\n    fallback: audio_only\n";
        let spec = parse_block(Path::new("p.md"), ok, 1).unwrap();
        assert_eq!(spec.avatars[0].fallback, Some(AvatarFallback::AudioOnly));
        let (message, at, _) = error(&ok.replace("audio_only", "video"));
        assert_eq!(
            message,
            "realtime block: `avatars[].fallback` takes `audio_only` or `text`: \
             unknown variant `video`, expected one of audio_only, text"
        );
        assert_eq!(at, (4, 15, Some(5)));
    }

    #[test]
    fn duplicate_event_is_located() {
        let text = "channels:\n  - name: a\n    events:\n      - name: x\n      - name: \"x\"\n";
        let e = parse_block(Path::new("p.md"), text, 1).unwrap_err();
        assert_eq!(e[0].code, Code::DuplicateEvent);
        let span = e[0].span.as_ref().unwrap();
        assert_eq!((span.line, span.col, span.length()), (5, 15, Some(3)));
    }

    #[test]
    fn reserved_events_and_bad_service_names_are_located() {
        let text = "service: Chat_Service\nchannels:\n  - name: a\n    events:\n      - name: presence\n        ephemeral: true\n";
        let e = parse_block(Path::new("p.md"), text, 1).unwrap_err();
        let got: Vec<_> = e
            .iter()
            .map(|d| {
                let s = d.span.as_ref().unwrap();
                (d.code.as_str(), s.line, s.col, s.length())
            })
            .collect();
        assert_eq!(
            got,
            [
                ("invalid-service", 1, 10, Some(12)),
                ("invalid-event", 5, 15, Some(8))
            ]
        );
    }

    /// Each diagnostic's message, line and column.
    fn messages_at(e: &[Diagnostic]) -> Vec<(&str, usize, usize)> {
        e.iter()
            .map(|d| {
                let s = d.span.as_ref().unwrap();
                (d.message.as_str(), s.line, s.col)
            })
            .collect()
    }

    #[test]
    fn limits_that_make_no_sense_are_located() {
        let text = "channels: []\nlimits:\n  heartbeat_seconds: 60\n  max_channels: 0\n";
        let e = parse_block(Path::new("p.md"), text, 1).unwrap_err();
        let got = messages_at(&e);
        assert_eq!(
            got,
            [
                ("`limits.max_channels` must be at least 1", 4, 3),
                (
                    "`limits.idle_timeout_seconds` must be longer than `limits.heartbeat_seconds` (60)",
                    2,
                    1
                ),
            ]
        );
    }

    #[test]
    fn origins_that_browsers_never_send_are_located() {
        let text = "security:\n  allowed_origins:\n    - https://chat.example\n    - http://[::1]:5173\n    - https://chat.example/\n    - \"*.example\"\n  metrics: token\n";
        let e = parse_block(Path::new("p.md"), text, 1).unwrap_err();
        let got = messages_at(&e);
        assert_eq!(
            got,
            [
                (
                    "`security.allowed_origins`: `https://chat.example/` has a path; an origin is only `scheme://host[:port]`",
                    5,
                    7
                ),
                (
                    "`security.allowed_origins`: `*.example` is not an origin: it has no `scheme://`",
                    6,
                    7
                ),
            ]
        );
        let ok = "security:\n  allowed_origins: [\"https://chat.example\"]\n  metrics: token\n";
        let s = parse_block(Path::new("p.md"), ok, 1).unwrap();
        assert_eq!(s.security.metrics, MetricsAccess::Token);
        let (message, _, _) = error("security: { metrics: open }\n");
        assert!(
            message.contains("expected one of loopback, token"),
            "{message}"
        );
    }

    #[test]
    fn origins_are_checked_as_browsers_send_them() {
        for ok in [
            "https://a.example",
            "http://localhost:5173",
            "http://[::1]:8080",
            "http://127.0.0.1",
        ] {
            assert_eq!(origin_problem(ok), None, "{ok}");
        }
        for bad in [
            "a.example",
            "ftp://a.example",
            "https://*.example",
            "https://A.example",
            "https://a.example:99999",
            "https://",
            "http://[::1",
        ] {
            assert!(origin_problem(bad).is_some(), "{bad}");
        }
    }
}
