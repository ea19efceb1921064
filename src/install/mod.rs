//! Installing a team's policy into the agent tools that run it: each tool's
//! own agent format, and a hook that asks `harness-agents guard` before each tool
//! call (or, for a tool with no such hook, its closest permission rules).
//! Every install merges with what the user has and never replaces a file
//! it did not write.
//!
//! [`engine`] does the work every tool shares; each tool's module says only
//! what its files hold and what it cannot express.

pub mod claude;
pub mod codex;
pub mod copilot;
pub mod cursor;
pub mod engine;
pub mod gemini;
pub mod opencode;
pub mod project;
pub mod workflow;

pub use crate::guard::hook::Tool;
pub use engine::{Install, Planned, Unexpressed};

use crate::config::Project;
use crate::error::Result;

/// Installs the project's agents and the guard into `tool`; with
/// `preview`, only works out what would change. `check` makes a difference
/// a failed check (and implies `preview`).
pub fn install(project: &Project, tool: Tool, preview: bool, check: bool) -> Result<Install> {
    let defs = engine::source_agents(project)?;
    let mut plan = match tool {
        Tool::Claude => claude::plan(project, &defs)?,
        Tool::Codex => codex::plan(project, &defs)?,
        Tool::Gemini => gemini::plan(project, &defs)?,
        Tool::Opencode => opencode::plan(project, &defs)?,
        Tool::Copilot => copilot::plan(project, &defs)?,
        Tool::Cursor => cursor::plan(project, &defs)?,
    };
    // Claude Code reads skills where harness resolves them; a missing one
    // is `agents validate`'s to report.
    if tool != Tool::Claude {
        engine::skills(project, tool, &defs, &mut plan)?;
    }
    engine::apply(project, tool, plan, preview, check)
}
