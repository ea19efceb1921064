//! Tasks: the units of work of an approved plan, and "done" as a fact
//! harness checked itself.
//!
//! - [`task`] is the [`Task`] type, its states and its [`Evidence`],
//! - [`derive`] turns a plan's task list (or its Files to Change) into tasks
//!   and reconciles them when the plan is approved again,
//! - [`store`] keeps one small file per task beside its plan, written under
//!   the project lock,
//! - [`evidence`] runs the quality gates and the plan-scope check,
//! - [`lifecycle`] holds the use cases that move a task: [`start`],
//!   [`block`], [`rebase`] and [`complete`],
//! - [`report`] holds what they return, and how each reads as text.
//!
//! For other enforcement points: `task::Store::open(&project).active(agent)`
//! gives the task an agent has in progress and its plan, and
//! `store.get("0007-3")` any task.

pub mod derive;
pub mod evidence;
mod lifecycle;
pub mod report;
pub mod store;
#[allow(clippy::module_inception)]
// `task::task` holds the `Task` type, as `plan::plan` holds `Plan`.
pub mod task;

pub use evidence::{GateEvidence, run_gates};
pub use lifecycle::{block, complete, complete_confined, rebase, start};
pub use report::{Completion, TaskDetail, TaskList, Transition};
pub use store::Store;
pub use task::{Evidence, ScopeCheck, Task, TaskStatus, parse_id, task_id};
