//! [`PlanStatus`]: the one answer every enforcement point gets to "is this
//! plan approved, unchanged since, and what may work on it touch?".
//!
//! The guard asks it for the plan an agent works under, the commit checker
//! for each plan or task a commit references, tasks before they start or
//! complete, and CI for the plans as of the tip of the range. They differ
//! only in which store they ask (the working tree, or a commit's tree), so
//! the answer is decided once, here, from the approval chain and the content
//! hash alone: never from the plan's `status` field or its marker.

use std::borrow::Cow;
use std::path::PathBuf;

use serde::Serialize;

use super::approval::PlanState;
use super::plan::Plan;
use super::scope::Scope;
use super::store::{Store, parse_id};
use crate::diagnostic::Code;
use crate::error::Error;

/// A plan as a status names it: its id as file names write it and its file,
/// relative to the project root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanRef {
    pub id: String,
    pub path: PathBuf,
}

/// Where a referenced plan stands.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum PlanStatus {
    /// Approved, and its content still hashes to what was approved; work
    /// may touch what its Files to Change list.
    Approved { plan: PlanRef, scope: Scope },
    /// Never approved (`draft`), rejected last (`rejected`), or approved
    /// by records that do not count under `[approvals]`
    /// (`unverified: WHY`, naming the record and the reason).
    NotApproved {
        plan: PlanRef,
        state: Cow<'static, str>,
    },
    /// Approved once, then edited: no longer approved.
    Changed { plan: PlanRef },
    /// No plan has this id (or the text names no plan id at all).
    Unknown { id: String },
    /// The plan's file cannot be read as a plan; the first line of why.
    Unreadable { id: String, problem: String },
}

impl PlanStatus {
    /// The status of a plan already read.
    pub fn of(plan: &Plan) -> PlanStatus {
        let plan_ref = PlanRef {
            id: plan.padded_id(),
            path: plan.path.clone(),
        };
        match plan.state() {
            PlanState::Approved(_) => PlanStatus::Approved {
                plan: plan_ref,
                scope: plan.scope().clone(),
            },
            PlanState::Changed { .. } => PlanStatus::Changed { plan: plan_ref },
            PlanState::Unverified { problem, .. } => PlanStatus::NotApproved {
                plan: plan_ref,
                state: Cow::Owned(format!("unverified ({})", problem.message)),
            },
            other => PlanStatus::NotApproved {
                plan: plan_ref,
                state: Cow::Borrowed(other.name()),
            },
        }
    }

    /// Approved and unchanged: work may start.
    pub fn is_approved(&self) -> bool {
        matches!(self, PlanStatus::Approved { .. })
    }

    /// The plan, when one was found.
    pub fn plan(&self) -> Option<&PlanRef> {
        match self {
            PlanStatus::Approved { plan, .. }
            | PlanStatus::NotApproved { plan, .. }
            | PlanStatus::Changed { plan } => Some(plan),
            PlanStatus::Unknown { .. } | PlanStatus::Unreadable { .. } => None,
        }
    }

    /// The Files to Change, when work may proceed.
    pub fn scope(&self) -> Option<&Scope> {
        match self {
            PlanStatus::Approved { scope, .. } => Some(scope),
            _ => None,
        }
    }
}

impl Store {
    /// The status of the plan `id` as people write it (`7`, `0007`,
    /// `0007-slug`, `plans/0007-slug.md`). Never an error: a missing or
    /// unreadable plan is a status, so that every caller decides what that
    /// means for it (the guard denies, the commit checker reports).
    pub fn status(&self, id: &str) -> PlanStatus {
        let Some(number) = parse_id(id) else {
            return PlanStatus::Unknown { id: id.to_string() };
        };
        match self.get_id(number) {
            Ok(plan) => PlanStatus::of(&plan),
            Err(Error::Input(d)) if d.iter().any(|d| d.code == Code::UnknownPlan) => {
                PlanStatus::Unknown {
                    id: format!("{number:04}"),
                }
            }
            Err(e) => PlanStatus::Unreadable {
                id: format!("{number:04}"),
                problem: e.to_string().lines().next().unwrap_or("").to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Project;

    fn store_with(files: &[(&str, &str)]) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("plans")).unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join("plans").join(name), text).unwrap();
        }
        let project = Project::with_defaults(dir.path());
        let store = Store::open(&project);
        (dir, store)
    }

    const DRAFT: &str = "---\nid: 3\ntitle: Chat\nagent: realtime-engineer\nstatus: draft\n---\n\n## Files to Change\n\n- `src/chat.rs`\n";

    #[test]
    fn a_draft_is_not_approved_and_names_its_file() {
        let (_dir, store) = store_with(&[("0003-chat.md", DRAFT)]);
        let status = store.status("3");
        assert!(!status.is_approved());
        assert!(status.scope().is_none());
        match status {
            PlanStatus::NotApproved { plan, state } => {
                assert_eq!(state, "draft");
                assert_eq!(plan.id, "0003");
                assert_eq!(plan.path, PathBuf::from("plans/0003-chat.md"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_missing_or_unreadable_plan_is_a_status_not_an_error() {
        let (_dir, store) = store_with(&[("0004-broken.md", "no front matter\n")]);
        assert!(matches!(store.status("9"), PlanStatus::Unknown { id } if id == "0009"));
        assert!(matches!(store.status("x9"), PlanStatus::Unknown { id } if id == "x9"));
        match store.status("0004") {
            PlanStatus::Unreadable { id, problem } => {
                assert_eq!(id, "0004");
                assert!(problem.contains("0004-broken.md"), "{problem}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_approved_plan_edited_since_is_changed() {
        let (_dir, store) = store_with(&[("0003-chat.md", DRAFT)]);
        store
            .record(3, |p| {
                super::super::approval::approve(
                    p,
                    "alice",
                    jiff::Timestamp::constant(1767323046, 0),
                    false,
                    false,
                )
                .map_err(|r| Error::usage(format!("{r:?}")))
            })
            .unwrap();
        let status = store.status("3");
        assert!(status.is_approved(), "{status:?}");
        assert!(status.scope().unwrap().contains("src/chat.rs"));
        let path = store.dir().join("0003-chat.md");
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace("src/chat.rs", "src/all.rs")).unwrap();
        assert!(matches!(store.status("3"), PlanStatus::Changed { .. }));
    }
}
