//! `harness-agents run`: the task runner that drives a plan through the
//! workflow of `[run]` (plan → approve → scaffold → implement → gates →
//! review by default), checked by harness at every step.
//!
//! - [`workflow`] holds the use cases, [`run_plan`] and [`start_plan`]:
//!   each stage in order, stopping at the first that needs a person or that
//!   harness's checks refuse; after an agent stage harness judges the work
//!   itself (scope, protected paths, gates) and writes the commit;
//! - [`agent`] turns an agent's definition into the command line of its
//!   CLI (Claude Code, Codex, Gemini CLI, OpenCode, or a command of the
//!   project's) and builds every agent process in one place,
//!   [`agent::command`];
//! - [`process`] runs that process: output saved and streamed, a timeout
//!   and Ctrl-C that stop its whole process group;
//! - [`report`] is what a run returns, saved under `.harness/runs/NNNN/`;
//! - [`status`] is every plan's stage at a glance (`harness-agents status`);
//! - [`parallel`] runs independent tasks at once, each in a git work tree
//!   of its own, and merges their commits back in task order;
//! - [`github`] writes the plan's tasks as a GitHub Actions workflow.
//!
//! The runner is one more caller of the same use cases a person runs by
//! hand: `plan::Store`, `task::start`/`complete`/`block`, `gate::run`,
//! `scaffold::generate`, `commit::check_message`.

pub mod agent;
mod git;
pub mod github;
mod parallel;
pub mod process;
pub mod report;
pub mod status;
pub mod workflow;

pub use report::{RunReport, StageRecord, Verdict};
pub use status::{PlanProgress, Status, status};
pub use workflow::{Options, commit_message, run_plan, start_plan};
