//! Installing a team's policy into the agent tools that run it: each tool's
//! own agent format, and a hook that asks `harness guard` before each tool
//! call. Every install merges with what the user has and never replaces a
//! file it did not write.

pub mod claude;
pub mod project;
