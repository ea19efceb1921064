//! A realtime service for a chat room with presence and typing events.
//!
//! # Layout
//!
//! - `channels`, `events`: the plan's channels, permissions and typed events.
//! - `config`: the plan's defaults, which the environment overrides.
//! - `rooms`: the plan's LiveKit rooms and each role's grants.
//! - `avatars`: the plan's streaming avatars and their fallbacks.
//!
//! Everything else (connections, fan-out, history and replay, presence,
//! SSE, the Redis backplane, authentication, metrics) is the `harness_realtime` runtime,
//! generic over this crate's [`events::Event`]; its modules are re-exported
//! here so the service reads as one crate.
//!
//! Start a server with [`Server::bind`] and [`Server::run`]; `src/main.rs`
//! is the same with `tracing` and Ctrl-C wired in.

pub mod avatars;
pub mod channels;
pub mod config;
pub mod events;
pub mod rooms;

pub use config::Config;
pub use harness_realtime::{auth, hub, metrics, presence, protocol};

/// The state every connection shares.
pub type App = harness_realtime::App<events::Event>;
/// The server for this service's channels and events.
pub type Server = harness_realtime::Server<events::Event>;
