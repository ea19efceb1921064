//! The typed realtime spec a plan declares in a ```` ```yaml realtime ````
//! block: what will be built (transport, channels and their events, auth,
//! backplane, LiveKit rooms, avatar sessions). Plans validate it; the
//! scaffolder generates code from exactly this and nothing more.

mod reference;
mod spec;

pub use reference::{FIELDS, Field, find as find_field, text as reference_text};
pub use spec::*;
