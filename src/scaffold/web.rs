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
//!
//! Where the files go is the plan's too ([`Layout`]): by default the client
//! is `web/` in the service's directory, every module in `web/src/`. When
//! the plan's Files to Change name front-end files as that engineer's plan
//! template does (`app/src/contexts/ChatContext.tsx`,
//! `app/src/hooks/useCall.ts`, `app/src/services/chatService.ts`), the
//! client is generated there: its root is the directory above `src/`, the
//! context, the hooks and the service each go to the directory named for
//! them, the names follow the named files, and the modules import each
//! other by the matching relative paths.

use std::path::{Component, Path, PathBuf};

use serde::Serialize;

use super::engine::Rendered;
use super::model::{Model, pascal};
use crate::diagnostic::{Code, Diagnostic, Span};
use crate::plan::Scope;
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
    "web/src/livekit.test.ts",
    "web/src/livekit.ts",
    "web/src/protocol.ts",
    "web/src/transport.test.ts",
    "web/src/transport.ts",
    "web/src/useConnection.ts",
    "web/src/useAvatar.ts",
    "web/src/useMessages.ts",
    "web/src/usePresence.ts",
    "web/src/useRoom.ts",
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
    /// The LiveKit rooms, typed like the channels.
    pub rooms: Vec<WebRoom>,
    /// The client's root, relative to the service's directory: `web`.
    pub root: String,
    /// Module paths from `src/`: `to.context` is `ChatContext` or
    /// `contexts/ChatContext`, `to.hooks` a directory (`""` or `hooks/`).
    pub to: Modules,
    /// From each module's directory back to `src/`: `./` or `../`.
    pub up: Modules,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Modules {
    pub context: String,
    pub hooks: String,
    pub service: String,
}

/// Where the plan puts the client's front-end files, as its Files to
/// Change name them; every part is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layout {
    /// The client's root (the directory above `src/`), relative to the
    /// project root; `None`: `web/` in the service's directory.
    pub root: Option<PathBuf>,
    /// Directories under `src/`, each `""` or ending in `/`.
    pub context_dir: String,
    pub hooks_dir: String,
    pub service_dir: String,
    /// `Chat`, from a named `ChatContext.tsx`.
    pub name: Option<String>,
    /// `chat`, from a named `chatService.ts`.
    pub service_name: Option<String>,
}

impl Layout {
    /// The layout the Files to Change of the plan at `plan_path` ask for:
    /// entries whose file names are `{Name}Context.tsx`, `use{Feature}.ts`
    /// or `{name}Service.ts`. An error when they lie under no `src/`, in
    /// different client roots, or outside the project.
    pub fn from_scope(scope: &Scope, plan_path: &Path) -> Result<Layout, Diagnostic> {
        let mut layout = Layout::default();
        let mut root_line: Option<(PathBuf, usize)> = None;
        for entry in scope.entries() {
            let pattern = entry.pattern.as_str();
            if pattern.contains(['*', '?', '[']) {
                continue;
            }
            let path = Path::new(pattern);
            let Some(file) = path.file_name().and_then(|f| f.to_str()) else {
                continue;
            };
            let kind = if let Some(name) = ident_with(file, "", "Context.tsx") {
                Kind::Context(name)
            } else if let Some(name) = ident_with(file, "", "Service.ts") {
                Kind::Service(name)
            } else if ident_with(file, "use", ".ts").is_some()
                || ident_with(file, "use", ".tsx").is_some()
            {
                Kind::Hook
            } else {
                continue;
            };
            let wrong = |message: String, hint: &str| {
                Diagnostic::error(Code::ScaffoldFrontEnd, message)
                    .at(Span::new(plan_path, entry.line, 1))
                    .hint(hint.to_string())
            };
            let parts: Vec<Component> = path.components().collect();
            if parts.iter().any(|c| !matches!(c, Component::Normal(_))) {
                return Err(wrong(
                    format!("`{pattern}` in Files to Change leaves the project"),
                    "name the client's files by paths inside the project, e.g. `web/src/hooks/useChat.ts`",
                ));
            }
            let Some(src) = parts.iter().rposition(|c| c.as_os_str() == "src") else {
                return Err(wrong(
                    format!(
                        "`{pattern}` in Files to Change is a front-end file under no `src/` directory"
                    ),
                    "put the client's files under its `src/`, e.g. `web/src/hooks/useChat.ts`; \
                     the directory above `src/` gets `package.json`",
                ));
            };
            let root: PathBuf = parts[..src].iter().collect();
            let dir: String = parts[src + 1..parts.len() - 1]
                .iter()
                .map(|c| format!("{}/", c.as_os_str().to_string_lossy()))
                .collect();
            match &root_line {
                Some((first, line)) if *first != root => {
                    return Err(wrong(
                        format!(
                            "`{pattern}` puts the client in `{}/`, but line {line} put it in `{}/`",
                            root.display(),
                            first.display()
                        ),
                        "name the context, hooks and service under one client root",
                    ));
                }
                Some(_) => {}
                None => root_line = Some((root.clone(), entry.line)),
            }
            match kind {
                Kind::Context(name) => {
                    layout.context_dir = dir;
                    layout.name = Some(name);
                }
                Kind::Service(name) => {
                    layout.service_dir = dir;
                    layout.service_name = Some(name);
                }
                Kind::Hook => layout.hooks_dir = dir,
            }
        }
        layout.root = root_line.map(|(root, _)| root);
        Ok(layout)
    }

    /// The client's root relative to `out`, the service's directory, with
    /// `project` the directory the plan's paths are relative to.
    fn root_from(&self, out: &Path, project: &Path) -> String {
        let Some(root) = &self.root else {
            return "web".to_string();
        };
        let to = crate::policy::paths::normalize(&project.join(root));
        let from = crate::policy::paths::normalize(out);
        let common = from
            .components()
            .zip(to.components())
            .take_while(|(a, b)| a == b)
            .count();
        let mut rel = PathBuf::new();
        for _ in from.components().skip(common) {
            rel.push("..");
        }
        rel.extend(to.components().skip(common));
        let rel = rel.to_string_lossy().replace('\\', "/");
        if rel.is_empty() { ".".to_string() } else { rel }
    }
}

enum Kind {
    Context(String),
    Service(String),
    Hook,
}

/// The identifier in `file` between `prefix` and `suffix`, when it is one
/// (`ChatContext.tsx` → `Chat`); after a `use` prefix it must start upper
/// case, as a hook's name does.
fn ident_with(file: &str, prefix: &str, suffix: &str) -> Option<String> {
    let name = file.strip_prefix(prefix)?.strip_suffix(suffix)?;
    let mut chars = name.chars();
    let first = chars.next()?;
    let ok = first.is_ascii_alphabetic()
        && (prefix.is_empty() || first.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_alphanumeric());
    ok.then(|| name.to_string())
}

fn up(dir: &str) -> String {
    match dir.matches('/').count() {
        0 => "./".to_string(),
        n => "../".repeat(n),
    }
}

/// A LiveKit room declaration, for the client.
#[derive(Debug, Clone, Serialize)]
pub struct WebRoom {
    pub pattern: String,
    /// `Call`, whose name type is `CallRoom`.
    pub ident: String,
    pub name_type: String,
    pub example: String,
    pub prefix: String,
    pub param: bool,
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
    /// The client of `service` in `web/`, every module in `web/src/`.
    pub fn new(spec: &RealtimeSpec, service: &str) -> WebModel {
        WebModel::laid_out(
            spec,
            service,
            &Layout::default(),
            Path::new(""),
            Path::new(""),
        )
    }

    /// The client as `layout` places it, for a service generated in `out`
    /// of the project at `project`.
    pub fn laid_out(
        spec: &RealtimeSpec,
        service: &str,
        layout: &Layout,
        out: &Path,
        project: &Path,
    ) -> WebModel {
        let base = service.strip_suffix("-service").unwrap_or(service);
        let name = layout.name.clone().unwrap_or_else(|| pascal(base));
        let lower = layout.service_name.clone().unwrap_or_else(|| {
            let mut lower = name.clone();
            if let Some(first) = lower.get_mut(..1) {
                first.make_ascii_lowercase();
            }
            lower
        });
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
            name_lower: lower.clone(),
            package: format!("{service}-web"),
            channels,
            typing,
            demo,
            rooms: spec
                .livekit
                .iter()
                .flat_map(|lk| &lk.rooms)
                .map(|r| room(&r.name.value))
                .collect(),
            root: layout.root_from(out, project),
            to: Modules {
                context: format!("{}{}Context", layout.context_dir, name),
                hooks: layout.hooks_dir.clone(),
                service: format!("{}{}Service", layout.service_dir, lower),
            },
            up: Modules {
                context: up(&layout.context_dir),
                hooks: up(&layout.hooks_dir),
                service: up(&layout.service_dir),
            },
            name,
        }
    }
}

/// The TypeScript type of the wire names a pattern matches
/// (`` `room:${string}` ``) and one such name (`room:1`).
fn name_type(pattern: &str) -> (String, String) {
    // `{param}` segments match any text on the server, so any string here.
    let mut name_type = String::from("`");
    let mut example = String::new();
    let mut rest = pattern;
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
    (name_type, example)
}

/// The part of a pattern before its `{param}`, and whether it has one.
fn prefix(pattern: &str) -> (String, bool) {
    match pattern.split_once('{') {
        Some((p, _)) => (p.to_string(), true),
        None => (pattern.to_string(), false),
    }
}

fn room(pattern: &str) -> WebRoom {
    let (name_type, example) = name_type(pattern);
    let (prefix, param) = prefix(pattern);
    WebRoom {
        pattern: pattern.to_string(),
        ident: pascal(pattern),
        name_type,
        example,
        prefix,
        param,
    }
}

fn channel(ch: &crate::realtime::Channel) -> WebChannel {
    let pattern = ch.name.value.clone();
    let ident = pascal(&pattern);
    let (name_type, example) = name_type(&pattern);
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
    let (prefix, param) = prefix(&pattern);
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

/// Fills the `{Name}` and `{name}` placeholders in the client's file names
/// and moves each file where the layout puts it: the context, the hooks
/// and the service into their directories under `src/`, everything under
/// the client's root.
pub fn name_files(files: &mut [Rendered], web: &WebModel) {
    for f in files.iter_mut() {
        let Some(rest) = f.path.strip_prefix("web/") else {
            continue;
        };
        let rest = match rest.strip_prefix("src/") {
            Some(module) => {
                let dir = if module.starts_with("{Name}Context") {
                    dir_of(&web.to.context)
                } else if module.starts_with("{name}Service") {
                    dir_of(&web.to.service)
                } else if module.starts_with("use") {
                    web.to.hooks.as_str()
                } else {
                    ""
                };
                format!("src/{dir}{module}")
            }
            None => rest.to_string(),
        };
        let path = match web.root.as_str() {
            "." => rest,
            root => format!("{root}/{rest}"),
        };
        f.path = path
            .replace("{Name}", &web.name)
            .replace("{name}", &web.name_lower);
    }
}

/// `contexts/` of `contexts/ChatContext`.
fn dir_of(module: &str) -> &str {
    module.rfind('/').map_or("", |i| &module[..=i])
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

    fn layout(entries: &[&str]) -> Result<Layout, Diagnostic> {
        let raw: Vec<(String, usize)> = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (format!("`{e}`"), i + 10))
            .collect();
        let (scope, problems) = Scope::build(Path::new("p.md"), &raw);
        assert!(problems.is_empty());
        Layout::from_scope(&scope, Path::new("p.md"))
    }

    #[test]
    fn the_plans_front_end_files_place_the_client() {
        let l = layout(&[
            "services/chat/**",
            "CareerSU/src/contexts/CallContext.tsx",
            "CareerSU/src/hooks/useVideoCall.ts",
            "CareerSU/src/services/callService.ts",
            "CareerSU/src/other.ts",
        ])
        .unwrap();
        assert_eq!(l.root.as_deref(), Some(Path::new("CareerSU")));
        assert_eq!(
            (
                l.context_dir.as_str(),
                l.hooks_dir.as_str(),
                l.service_dir.as_str()
            ),
            ("contexts/", "hooks/", "services/")
        );
        assert_eq!(
            (l.name.as_deref(), l.service_name.as_deref()),
            (Some("Call"), Some("call"))
        );
        assert_eq!(layout(&["src/**", "README.md"]).unwrap(), Layout::default());

        let spec = super::super::default_spec().unwrap();
        let web = WebModel::laid_out(
            &spec,
            "chat-service",
            &l,
            Path::new("/p/services/chat"),
            Path::new("/p"),
        );
        assert_eq!(web.root, "../../CareerSU");
        assert_eq!(web.to.context, "contexts/CallContext");
        assert_eq!(web.up.hooks, "../");
        let mut files: Vec<Rendered> = [
            "web/package.json",
            "web/src/{Name}Context.test.ts",
            "web/src/useRoom.ts",
            "web/src/{name}Service.ts",
            "web/src/protocol.ts",
            "src/main.rs",
        ]
        .iter()
        .map(|p| Rendered {
            path: p.to_string(),
            contents: String::new(),
        })
        .collect();
        name_files(&mut files, &web);
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "../../CareerSU/package.json",
                "../../CareerSU/src/contexts/CallContext.test.ts",
                "../../CareerSU/src/hooks/useRoom.ts",
                "../../CareerSU/src/services/callService.ts",
                "../../CareerSU/src/protocol.ts",
                "src/main.rs",
            ]
        );
    }

    #[test]
    fn front_end_files_must_sit_under_one_src_inside_the_project() {
        let err = |entries: &[&str]| layout(entries).unwrap_err().to_string();
        assert!(err(&["app/hooks/useCall.ts"]).contains("under no `src/` directory"));
        assert!(err(&["../app/src/useCall.ts"]).contains("leaves the project"));
        assert!(err(&["a/src/useCall.ts", "b/src/chatService.ts"]).contains(
            "`b/src/chatService.ts` puts the client in `b/`, but line 10 put it in `a/`"
        ));
    }
}
