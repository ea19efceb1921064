//! Generating a realtime service from a plan's realtime block.
//!
//! `model` turns the spec into template inputs, `engine` renders the
//! embedded (or project-overridden) Tera templates, and `render` decides
//! file by file what to create, update, leave or refuse, so a re-run never
//! loses a user's edit. Commands glue these in `commands/scaffold.rs`.

pub mod engine;
pub mod model;
pub mod render;

use std::path::Path;

use crate::diagnostic::{Diagnostic, Span};
use crate::error::{Error, Result};
use crate::realtime::{RealtimeSpec, Transport};

pub use engine::{Engine, Rendered};
pub use model::{Model, TEMPLATE_VERSION};

/// The plan `harness scaffold new` starts from: one channel with history,
/// presence and one event.
pub const DEFAULT_SPEC: &str = "\
transport: [websocket, sse]
backplane: memory
channels:
  - name: \"room:{id}\"
    events:
      - name: message
        schema: { text: string }
    publish: [member]
    subscribe: [member]
    history: 100
    presence: true
";

/// The default spec, parsed.
pub fn default_spec() -> Result<RealtimeSpec> {
    crate::realtime::parse_block(Path::new("<default plan>"), DEFAULT_SPEC, 1).map_err(Error::Input)
}

/// What to generate from.
pub struct Source<'a> {
    pub spec: &'a RealtimeSpec,
    /// The crate name when the spec has no `service`.
    pub default_name: &'a str,
    /// Recorded in the manifest: which plan, at which hash.
    pub plan: serde_json::Value,
    /// Where the spec is, for errors.
    pub path: &'a Path,
    pub line: usize,
}

/// Renders the source and works out every file change under `out`.
pub fn prepare(engine: &Engine, src: Source<'_>, out: &Path, force: bool) -> Result<render::Plan> {
    let Source {
        spec,
        default_name,
        plan,
        path: spec_path,
        line: spec_line,
    } = src;
    if !spec.transport.to_vec().contains(&Transport::Websocket) {
        return Err(Error::from(
            Diagnostic::error(
                "scaffold-transport",
                "the generated service needs `websocket` in `transport`",
            )
            .at(Span::new(spec_path, spec_line, 1))
            .hint("use `transport: [websocket, sse]` for a service that also streams SSE"),
        ));
    }
    if spec.channels.iter().all(|c| c.events.is_empty()) {
        return Err(Error::from(
            Diagnostic::error(
                "scaffold-no-events",
                "the realtime block declares no events, so there is nothing to generate",
            )
            .at(Span::new(spec_path, spec_line, 1))
            .hint("declare at least one channel with an event (`channels: [{name, events}]`)"),
        ));
    }
    let model = Model::new(spec, default_name);
    let files = engine.render(&model)?;
    let inputs = serde_json::json!({ "plan": plan, "model": model });
    render::plan(out, &files, TEMPLATE_VERSION, inputs, force)
}
