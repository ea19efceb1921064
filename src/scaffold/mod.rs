//! Generating a realtime service from a plan's realtime block.
//!
//! `model` turns the spec into template inputs, `engine` renders the
//! embedded (or project-overridden) Tera templates, and `render` decides
//! file by file what to create, update, leave or refuse, so a re-run never
//! loses a user's edit; `runtime` says where the service gets its runtime,
//! `workspace` makes it a member of the Cargo workspace it is in, and
//! `web` shapes the plan for the typed browser client.
//! [`generate`] is the use case that runs them in order and reports what it
//! did.

// `engine`'s `builtin!` also lists the client's templates in `web`.
#[macro_use]
pub mod engine;
mod generate;
pub mod model;
pub mod render;
pub mod runtime;
pub mod web;
pub mod workspace;

use std::path::Path;

use crate::error::{Error, Result};
use crate::realtime::RealtimeSpec;

pub use engine::{Engine, Rendered};
pub use generate::{Generated, Options, Source, generate};
pub use model::{Model, TEMPLATE_VERSION};

/// The plan `harness-agents scaffold new` starts from: one channel with history,
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
