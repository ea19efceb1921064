//! A realtime service for a chat room with presence and typing events.
//!
//! # Layout
//!
//! - `protocol`: the JSON envelope and control frames.
//! - `channels`, `events`: the plan's channels, permissions and typed events.
//! - `auth`: JWT verification at upgrade time.
//! - `hub`: ordered pub/sub, bounded fan-out and history with recovery.
//! - `presence`: who is subscribed, with expiry so crashes leave no ghosts.
//! - `redis`: the Redis Streams backplane for running several nodes.
//! - `ws`, `sse`: the two endpoints.
//! - `app`: routes, start-up, background tasks and graceful shutdown.
//! - `config`, `metrics`: environment settings and counters.
//!
//! Start a server with [`Server::bind`] and [`Server::run`]; `src/main.rs`
//! is the same with `tracing` and Ctrl-C wired in.

pub mod app;
pub mod auth;
pub mod channels;
pub mod config;
pub mod events;
pub mod hub;
pub mod metrics;
pub mod presence;
pub mod protocol;
pub mod redis;
pub mod sse;
pub mod ws;

pub use app::{App, Server};
pub use config::Config;
