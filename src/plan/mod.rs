//! Plans: what will be built, approved by a person before work starts, and
//! bound to the content that was approved.
//!
//! - [`plan`] reads a plan file into a [`Plan`]: front matter, sections,
//!   task list, the `yaml realtime` block and the "Files to Change" scope,
//! - [`scope`] matches paths against the Files to Change,
//! - [`approval`] normalises and hashes a plan, keeps the approval chain and
//!   decides its [`PlanState`],
//! - [`signers`] reads the allowed signers file and [`signature`] signs
//!   decisions and checks the chain against `[approvals]`; [`ledger`] keeps
//!   the decisions made in this clone, so a chain cut back is seen,
//! - [`store`] finds plans by id, numbers new ones and writes atomically
//!   under a lock,
//! - the use cases, each returning one report that prints as text or JSON:
//!   [`template`] writes a new plan (`plan new`), [`decide`] approves and
//!   rejects, [`check`] checks plans for CI, and [`view`] lists, shows and
//!   diffs them.
//!
//! Other enforcement points need only this:
//!
//! ```no_run
//! # fn main() -> harness::Result<()> {
//! # let project = harness::config::Project::with_defaults(".");
//! use harness::plan::{self, PlanState};
//! let store = plan::Store::open(&project);
//! let p = store.get("7")?;                       // `7` and `0007` both work
//! match p.state() {
//!     PlanState::Approved(a) => println!("approved by {}", a.by),
//!     PlanState::Changed { diff, .. } => println!("{}", diff.unwrap_or_default()),
//!     // Approved content, but not by enough allowed signers: not approved.
//!     PlanState::Unverified { problem, .. } => println!("{}", problem.message),
//!     PlanState::Draft | PlanState::Rejected(_) => {}
//! }
//! let in_scope = p.scope().contains("src/realtime/presence.rs");
//! // A tool's absolute path: relative to the project, never outside it.
//! let abs = project.root.join("src/realtime/presence.rs");
//! assert_eq!(p.scope().contains_path(&project.root, &abs), in_scope);
//! let spec = p.realtime();                        // Option<&RealtimeSpec>
//! // Or, in one call, the plan only if it is approved and unchanged:
//! let p = plan::require_approved(&project, "7")?;
//! // The plan an agent is working under: its in-progress task's plan.
//! if let Some((task, plan)) = harness::task::Store::open(&project).active("realtime-dev")? {
//!     plan::check_approved(&plan)?;
//! #   let _ = task;
//! }
//! # let _ = (in_scope, spec, p); Ok(()) }
//! ```

pub mod approval;
pub mod check;
pub mod decide;
pub mod ledger;
#[allow(clippy::module_inception)]
// `plan::plan` holds the `Plan` type, as `task::task` holds `Task`.
pub mod plan;
mod record;
pub mod scope;
pub mod signature;
pub mod signers;
pub mod status;
pub mod store;
pub mod template;
pub mod view;
pub mod wanted;
mod write;

pub use crate::config::PlanConfig;
pub use approval::PlanState;
pub use check::{CheckReport, PlanCheck};
pub use decide::{Decided, Decider};
pub use plan::{Plan, Section, TaskItem};
pub use record::{Approval, ApprovalDecision, MARKER, Status};
pub use scope::{Scope, ScopeEntry};
pub use status::{PlanRef, PlanStatus};
pub use store::{Listing, Lock, Store, lock, parse_id};
pub use template::{Created, Template};
pub use view::{PlanDetail, PlanDiff, PlanList, PlanRow, PlanTask};
pub use write::render_front;

use crate::config::Project;
use crate::diagnostic::{Code, Diagnostic, Span, display_path};
use crate::error::{Error, Result};

/// The plan `id` if it is approved and unchanged since approval; otherwise
/// an error located in the plan file that says what to do.
pub fn require_approved(project: &Project, id: &str) -> Result<Plan> {
    let plan = Store::open(project).get(id)?;
    check_approved(&plan)?;
    Ok(plan)
}

/// `Ok` when `plan` is approved and unchanged; else the located reason.
pub fn check_approved(plan: &Plan) -> Result<()> {
    let id = plan.padded_id();
    let path = display_path(&plan.path);
    let d = match plan.state() {
        PlanState::Approved(_) => return Ok(()),
        PlanState::Draft => {
            Diagnostic::error(Code::PlanNotApproved, format!("plan {id} is not approved"))
                .at(Span::new(&plan.path, 1, 1))
                .hint(format!(
                    "a person approves it with `harness-agents plan approve {id} --by NAME`"
                ))
        }
        PlanState::Rejected(r) => Diagnostic::error(
            Code::PlanRejected,
            format!(
                "plan {id} was rejected by {}{}",
                r.by,
                r.reason
                    .as_deref()
                    .map(|x| format!(": {x}"))
                    .unwrap_or_default()
            ),
        )
        .at(Span::new(&plan.path, 1, 1))
        .hint(format!("revise `{path}` and have it approved again")),
        PlanState::Unverified { problem, .. } => Diagnostic::error(
            Code::PlanUnverified,
            format!("plan {id} is not approved: {}", problem.message),
        )
        .at(Span::new(
            &plan.path,
            approval_line(plan, problem.record),
            1,
        ))
        .hint(problem.hint.replace("ID", &id)),
        PlanState::Changed { approval, .. } => {
            let line = plan
                .approved_text
                .as_deref()
                .map_or(1, |old| approval::first_change_line(plan, old));
            Diagnostic::error(
                Code::PlanChanged,
                format!("plan {id} changed since {} approved it at {}", approval.by, approval.at),
            )
            .at(Span::new(&plan.path, line, 1))
            .hint(format!(
                "see the change with `harness-agents plan diff {id}`; a person re-approves it with `harness-agents plan approve {id} --by NAME --accept-changes`"
            ))
        }
    };
    Err(Error::from(d))
}

/// The file line of approval record `record` in the front matter (its
/// `- decision:` line), else the first line.
pub fn approval_line(plan: &Plan, record: Option<usize>) -> usize {
    record
        .and_then(|r| plan.approval_lines.get(r).copied())
        .unwrap_or(1)
}

/// What shows this process runs for an agent, if anything does:
/// `HARNESS_AGENT` (set by harness's runner and hooks) or the variables
/// Claude Code sets for its tools and hooks. Decisions are refused there.
pub fn agent_context() -> Option<String> {
    ["HARNESS_AGENT", "CLAUDECODE", "CLAUDE_CODE_ENTRYPOINT"]
        .iter()
        .find_map(|name| {
            std::env::var(name)
                .ok()
                .filter(|v| !v.is_empty())
                .map(|v| format!("{name}={v}"))
        })
}
