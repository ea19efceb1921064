//! The browser client generated next to the service, in `web/`.
//!
//! The client is typed from the same realtime spec as the Rust side: this
//! module turns each channel and event into TypeScript names and types
//! (`room:{id}` → the channel name type `` `room:${string}` ``, `reply_to:
//! "int?"` → `reply_to?: number`), so a change in the plan changes both ends
//! and `tsc --strict` catches a client that no longer fits. The templates
//! live under `templates/scaffold/web/`; the generic parts (the transport)
//! are plain TypeScript, the plan's parts come from [`WebModel`].
//!
//! Two file names depend on the plan, as the realtime engineer's plans name
//! them: `{Name}Context.tsx` and `{name}Service.ts`, where the name is the
//! service's without a `-service` suffix (`chat-service` → `ChatContext.tsx`,
//! `chatService.ts`). Their templates carry the placeholders in their
//! names, which [`name_files`] fills in after rendering.

use serde::Serialize;

use super::engine::Rendered;
use super::model::{Model, pascal};
use crate::realtime::RealtimeSpec;

/// The client's templates: (output path, source). A path may hold the
/// `{Name}` and `{name}` placeholders.
pub const BUILTIN: &[(&str, &str)] = builtin![
    "tests/browser.rs",
    "web/.gitignore",
    "web/README.md",
    "web/e2e/chromium.mjs",
    "web/index.html",
    "web/package-lock.json",
    "web/package.json",
    "web/src/demo.tsx",
    "web/src/protocol.ts",
    "web/src/transport.test.ts",
    "web/src/transport.ts",
    "web/src/useConnection.ts",
    "web/src/useMessages.ts",
    "web/src/usePresence.ts",
    "web/src/useTyping.ts",
    "web/src/{Name}Context.test.ts",
    "web/src/{Name}Context.tsx",
    "web/src/{name}Service.ts",
    "web/tsconfig.json",
    "web/vite.config.ts",
];

/// What every template sees: the service's model, and the client's under
/// `web`.
#[derive(Debug, Serialize)]
pub struct Context<'a> {
    #[serde(flatten)]
    pub model: &'a Model,
    pub web: &'a WebModel,
}

/// What the client's templates see, under `web`.
#[derive(Debug, Clone, Serialize)]
pub struct WebModel {
    /// `Chat`, for `ChatContext` and `ChatProvider`.
    pub name: String,
    /// `chat`, for `chatService`.
    pub name_lower: String,
    /// The npm package name: `chat-service-web`.
    pub package: String,
    pub channels: Vec<WebChannel>,
    /// The channel and event the typing hook uses: the first ephemeral
    /// event called `typing` with a boolean `active`, if any.
    pub typing: Option<WebEventRef>,
    /// The channel and event the demo page shows: the first lasting event
    /// with a string field on a channel with presence, else any lasting one.
    pub demo: Option<WebDemo>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WebChannel {
    pub pattern: String,
    /// `Room`
    pub ident: String,
    /// The TypeScript type of its wire names: `` `room:${string}` ``.
    pub name_type: String,
    /// A wire name that matches the pattern, e.g. `room:1`.
    pub example: String,
    /// The part before `{param}` (the whole name when there is none).
    pub prefix: String,
    pub param: bool,
    pub publish: Vec<String>,
    pub subscribe: Vec<String>,
    /// `["member"]`, ready to paste into TypeScript.
    pub publish_ts: String,
    pub subscribe_ts: String,
    pub history: u32,
    pub presence: bool,
    pub events: Vec<WebEvent>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WebEvent {
    pub name: String,
    pub version: u32,
    pub ephemeral: bool,
    /// `RoomMessage`, the payload's interface.
    pub interface: String,
    pub fields: Vec<WebField>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WebField {
    pub name: String,
    pub ts_type: String,
    pub optional: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct WebEventRef {
    pub channel: String,
    pub event: String,
    pub version: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct WebDemo {
    /// The pattern, e.g. `room:{id}`.
    pub channel: String,
    /// `Room`, whose name type is `RoomChannel`.
    pub ident: String,
    pub example: String,
    pub event: String,
    /// The string field the page types into, if the event has one.
    pub text_field: Option<String>,
    pub presence: bool,
    /// A role that may publish and subscribe, for the demo's tokens.
    pub role: String,
    /// A role that may subscribe but not publish, whose page uses SSE.
    pub reader: Option<String>,
    /// JSX showing a received `event`.
    pub render: String,
    /// A TypeScript payload built from the text typed in, `draft`.
    pub payload: String,
}

impl WebModel {
    pub fn new(spec: &RealtimeSpec, service: &str) -> WebModel {
        let base = service.strip_suffix("-service").unwrap_or(service);
        let name = pascal(base);
        let mut lower = name.clone();
        if let Some(first) = lower.get_mut(..1) {
            first.make_ascii_lowercase();
        }
        let channels: Vec<WebChannel> = spec.channels.iter().map(channel).collect();
        let typing = channels.iter().find_map(|c| {
            c.events
                .iter()
                .find(|e| {
                    e.ephemeral
                        && e.name == "typing"
                        && e.fields
                            .iter()
                            .any(|f| f.name == "active" && f.ts_type == "boolean")
                })
                .map(|e| WebEventRef {
                    channel: c.pattern.clone(),
                    event: e.name.clone(),
                    version: e.version,
                })
        });
        let demo_of = |c: &WebChannel, e: &WebEvent| {
            let text_field = e
                .fields
                .iter()
                .find(|f| f.ts_type == "string" && !f.optional)
                .map(|f| f.name.clone());
            let payload: Vec<String> = e
                .fields
                .iter()
                .filter(|f| !f.optional)
                .map(|f| {
                    let value = match f.ts_type.as_str() {
                        _ if Some(&f.name) == text_field.as_ref() => "draft",
                        "string" => "\"\"",
                        "number" => "0",
                        "boolean" => "false",
                        _ => "null",
                    };
                    format!("{}: {value}", f.name)
                })
                .collect();
            WebDemo {
                channel: c.pattern.clone(),
                ident: c.ident.clone(),
                example: c.example.clone(),
                event: e.name.clone(),
                render: match &text_field {
                    Some(f) => format!("{{event.data.{f}}}"),
                    None => "{JSON.stringify(event.data)}".to_string(),
                },
                payload: format!("{{ {} }}", payload.join(", ")),
                text_field,
                presence: c.presence,
                reader: c.subscribe.iter().find(|r| !c.publish.contains(r)).cloned(),
                role: c
                    .publish
                    .iter()
                    .find(|r| c.subscribe.contains(r))
                    .or(c.subscribe.first())
                    .cloned()
                    .unwrap_or_default(),
            }
        };
        let demo = channels
            .iter()
            .filter(|c| c.presence)
            .chain(channels.iter())
            .find_map(|c| {
                c.events
                    .iter()
                    .find(|e| !e.ephemeral && e.fields.iter().any(|f| f.ts_type == "string"))
                    .map(|e| demo_of(c, e))
            })
            .or_else(|| {
                channels.iter().find_map(|c| {
                    c.events
                        .iter()
                        .find(|e| !e.ephemeral)
                        .map(|e| demo_of(c, e))
                })
            });
        WebModel {
            name,
            name_lower: lower,
            package: format!("{service}-web"),
            channels,
            typing,
            demo,
        }
    }
}

fn channel(ch: &crate::realtime::Channel) -> WebChannel {
    let pattern = ch.name.value.clone();
    let ident = pascal(&pattern);
    // `{param}` segments match any text on the server, so any string here.
    let mut name_type = String::from("`");
    let mut example = String::new();
    let mut rest = pattern.as_str();
    while let Some((before, after)) = rest.split_once('{') {
        name_type.push_str(before);
        name_type.push_str("${string}");
        example.push_str(before);
        example.push('1');
        rest = after.split_once('}').map_or("", |(_, s)| s);
    }
    name_type.push_str(rest);
    name_type.push('`');
    example.push_str(rest);
    let events = ch
        .events
        .iter()
        .map(|ev| WebEvent {
            name: ev.name.value.clone(),
            version: ev.version,
            ephemeral: ev.ephemeral,
            interface: format!("{ident}{}", pascal(&ev.name.value)),
            fields: ev
                .schema
                .iter()
                .map(|(name, ty)| {
                    let (base, optional) = ty
                        .strip_suffix('?')
                        .map_or((ty.as_str(), false), |b| (b, true));
                    WebField {
                        name: name.clone(),
                        ts_type: ts_type(base).to_string(),
                        optional,
                    }
                })
                .collect(),
        })
        .collect();
    let (prefix, param) = match pattern.split_once('{') {
        Some((p, _)) => (p.to_string(), true),
        None => (pattern.clone(), false),
    };
    WebChannel {
        prefix,
        param,
        ident,
        name_type,
        example,
        publish_ts: ts_list(&ch.publish),
        subscribe_ts: ts_list(&ch.subscribe),
        publish: ch.publish.clone(),
        subscribe: ch.subscribe.clone(),
        history: ch.history,
        presence: ch.presence,
        events,
        pattern,
    }
}

/// The TypeScript type of a schema type (see `realtime::FIELD_TYPES`).
fn ts_type(ty: &str) -> &'static str {
    match ty {
        "string" => "string",
        "int" | "float" => "number",
        "bool" => "boolean",
        _ => "unknown",
    }
}

fn ts_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("{s:?}")).collect();
    format!("[{}]", quoted.join(", "))
}

/// Fills the `{Name}` and `{name}` placeholders in the client's file names.
pub fn name_files(files: &mut [Rendered], web: &WebModel) {
    for f in files.iter_mut().filter(|f| f.path.starts_with("web/")) {
        f.path = f
            .path
            .replace("{Name}", &web.name)
            .replace("{name}", &web.name_lower);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_becomes_typescript_names_and_types() {
        let text = "channels:\n  - name: \"room:{id}\"\n    events:\n      - name: message\n        schema: { text: string, reply_to: \"int?\", meta: json }\n      - name: typing\n        ephemeral: true\n        schema: { active: bool }\n    publish: [member]\n    subscribe: [member, guest]\n    history: 10\n    presence: true\n  - name: announcements\n    events:\n      - name: notice\n        schema: { text: string }\n    publish: [admin]\n    subscribe: [member]\n";
        let spec = crate::realtime::parse_block(std::path::Path::new("p.md"), text, 1).unwrap();
        let web = WebModel::new(&spec, "chat-service");
        assert_eq!(
            (web.name.as_str(), web.name_lower.as_str()),
            ("Chat", "chat")
        );
        assert_eq!(web.package, "chat-service-web");
        let room = &web.channels[0];
        assert_eq!(room.name_type, "`room:${string}`");
        assert_eq!(room.example, "room:1");
        assert_eq!(room.subscribe_ts, r#"["member", "guest"]"#);
        let fields: Vec<(&str, &str, bool)> = room.events[0]
            .fields
            .iter()
            .map(|f| (f.name.as_str(), f.ts_type.as_str(), f.optional))
            .collect();
        assert_eq!(
            fields,
            [
                ("meta", "unknown", false),
                ("reply_to", "number", true),
                ("text", "string", false)
            ]
        );
        assert_eq!(room.events[0].interface, "RoomMessage");
        assert_eq!(web.channels[1].name_type, "`announcements`");
        let typing = web.typing.unwrap();
        assert_eq!(
            (typing.channel.as_str(), typing.event.as_str()),
            ("room:{id}", "typing")
        );
        let demo = web.demo.unwrap();
        assert_eq!(demo.event, "message");
        assert_eq!(demo.text_field.as_deref(), Some("text"));
        assert_eq!(demo.role, "member");
        assert_eq!(demo.reader.as_deref(), Some("guest"));
        assert_eq!(demo.render, "{event.data.text}");
        assert_eq!(demo.payload, "{ meta: null, text: draft }");
    }

    #[test]
    fn file_names_take_the_service_name() {
        let spec = super::super::default_spec().unwrap();
        let web = WebModel::new(&spec, "game");
        let mut files = vec![
            Rendered {
                path: "web/src/{Name}Context.tsx".into(),
                contents: String::new(),
            },
            Rendered {
                path: "web/src/{name}Service.ts".into(),
                contents: String::new(),
            },
        ];
        name_files(&mut files, &web);
        assert_eq!(files[0].path, "web/src/GameContext.tsx");
        assert_eq!(files[1].path, "web/src/gameService.ts");
    }
}
