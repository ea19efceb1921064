//! The streaming avatars this service offers, as the plan declares them, and
//! the fallback each one falls back to when HeyGen is unavailable.
//!
//! Sessions (create, start, speak, keep alive, stop), the circuit breaker
//! and the fallback are the runtime's ([`harness_realtime::avatar`]); this
//! module only declares.

use harness_realtime::avatar::{AvatarSpec, Fallback};

/// `host`
const HOST: AvatarSpec = AvatarSpec {
    name: "host",
    avatar_id: Some("Wayne_20240711"),
    fallback: Fallback::AudioOnly,
};

/// Every avatar the plan declares.
pub const AVATARS: &[AvatarSpec] = &[HOST];
