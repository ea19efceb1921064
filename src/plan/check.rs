//! `plan check`: whether plans are valid, their status recorded, and (for
//! a plan asked for by id) approved and unchanged. CI runs it over every
//! plan, where drafts are allowed but broken or silently changed plans are
//! not.

use serde::Serialize;

use super::approval::PlanState;
use super::plan::Plan;
use super::store::Store;
use crate::diagnostic::{Code, Diagnostic, display_path};
use crate::error::{Error, Result};
use crate::report::{ERROR, OK, Report, diagnostics_text};

/// One plan checked.
#[derive(Debug, Clone, Serialize)]
pub struct PlanCheck {
    pub id: u32,
    pub path: String,
    pub state: &'static str,
    /// For an approved plan: who signed the approval that counts, or
    /// `None` when approvals here are unsigned (no signers file).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signed_by: Option<Vec<String>>,
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    pub problems: Vec<Diagnostic>,
}

/// Every plan checked, and the files that could not be read as plans.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub ok: bool,
    pub plans: Vec<PlanCheck>,
    pub unreadable: Vec<Diagnostic>,
}

impl PlanCheck {
    /// Checks `p`; a plan that is `required` must also be approved.
    pub fn of(p: &Plan, required: bool) -> PlanCheck {
        let state = p.state();
        let mut problems: Vec<Diagnostic> = p
            .diagnostics
            .iter()
            .filter(|d| d.is_error() || d.code == Code::StatusNotRecorded)
            .cloned()
            .collect();
        let mut diff = None;
        let unapproved = match &state {
            PlanState::Approved(_) => false,
            PlanState::Changed { diff: d, .. } => {
                diff = d.clone();
                true
            }
            PlanState::Draft | PlanState::Rejected(_) => required,
            PlanState::Unverified { .. } => true,
        };
        if unapproved && let Err(Error::Input(ds)) = super::check_approved(p) {
            problems.extend(ds);
        }
        PlanCheck {
            id: p.id,
            path: display_path(&p.path),
            state: state.name(),
            signed_by: state.is_approved().then(|| p.signed_by()).flatten(),
            ok: problems.iter().all(|d| !d.is_error())
                && !problems.iter().any(|d| d.code == Code::StatusNotRecorded),
            diff,
            problems,
        }
    }
}

impl Store {
    /// Checks plan `id`, which must be approved, or every plan.
    pub fn check(&self, id: Option<&str>) -> Result<CheckReport> {
        let (plans, unreadable) = match id {
            Some(id) => (vec![PlanCheck::of(&self.get(id)?, true)], Vec::new()),
            None => {
                let listing = self.list();
                let plans = listing
                    .plans
                    .iter()
                    .map(|p| PlanCheck::of(p, false))
                    .collect();
                (plans, listing.diagnostics)
            }
        };
        let ok = plans.iter().all(|r| r.ok) && unreadable.is_empty();
        Ok(CheckReport {
            ok,
            plans,
            unreadable,
        })
    }
}

impl Report for CheckReport {
    fn text(&self) -> String {
        let mut s = String::new();
        for r in &self.plans {
            let (style, word) = if r.ok { (OK, "ok") } else { (ERROR, "FAIL") };
            let state = match (&r.signed_by, r.state) {
                (None, "approved") => "approved (unsigned)".to_string(),
                (Some(by), _) => format!("{} (signed by {})", r.state, by.join(", ")),
                (None, other) => other.to_string(),
            };
            s.push_str(&format!(
                "{style}{word:<4}{style:#} {:04}  {:<8}  {}\n",
                r.id, state, r.path
            ));
            s.push_str(&diagnostics_text(&r.problems));
            if let Some(d) = &r.diff {
                s.push_str(d);
            }
        }
        if self.plans.is_empty() && self.unreadable.is_empty() {
            s.push_str("no plans to check\n");
        }
        s.push_str(&diagnostics_text(&self.unreadable));
        s
    }
}

#[cfg(test)]
mod tests {
    use super::super::decide::tests::{approve, project};
    use crate::diagnostic::Code;

    #[test]
    fn a_draft_passes_unless_required_and_a_changed_plan_fails() {
        let (_dir, store) = project();
        let all = store.check(None).unwrap();
        assert!(all.ok);
        assert_eq!((all.plans.len(), all.plans[0].state), (1, "draft"));
        let one = store.check(Some("1")).unwrap();
        assert!(!one.ok);
        assert_eq!(one.plans[0].problems[0].code, Code::PlanNotApproved);

        approve(&store, Vec::new()).unwrap();
        assert!(store.check(Some("1")).unwrap().ok);
        let path = store.project().root.join("plans/0001-chat-room.md");
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace("the service", "the server")).unwrap();
        let all = store.check(None).unwrap();
        assert!(!all.ok);
        assert_eq!(all.plans[0].state, "changed");
        assert!(
            all.plans[0]
                .diff
                .as_deref()
                .unwrap()
                .contains("+- `src/chat.rs`: the server")
        );
    }
}
