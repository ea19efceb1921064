//! `plan approve` and `plan reject` as use cases: who may decide (a person,
//! never an agent), which plans may be decided on (valid ones, not already
//! decided as they are), and the record written under the project lock.
//!
//! Approving also lets the caller derive the plan's tasks in the same
//! locked step, so tasks always follow the content that was approved.

use std::fmt::Write as _;

use serde::Serialize;

use super::approval::{self, PlanState, Refusal};
use super::plan::Plan;
use super::record::Approval;
use super::signature::{self, SignatureCheck, SigningKey};
use super::signers::Signers;
use super::store::{Lock, Store};
use super::view::{PlanTask, state_style};
use crate::diagnostic::{Code, Diagnostic, Span};
use crate::error::{Error, Result};
use crate::report::{Report, diagnostics_text};

/// The decision recorded on a plan.
#[derive(Debug, Clone, Serialize)]
pub struct Decided {
    pub id: u32,
    pub state: &'static str,
    pub hash: String,
    pub chain: Vec<Approval>,
    /// The plan's tasks after approval (none for a rejection).
    pub tasks: Vec<String>,
    /// What is worth a look in the plan, though it did not stop the decision.
    pub warnings: Vec<Diagnostic>,
    /// Why the approval does not count yet (e.g. more signers are needed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending: Option<String>,
    #[serde(skip)]
    by: String,
    #[serde(skip)]
    padded_id: String,
    #[serde(skip)]
    style: anstyle::Style,
    #[serde(skip)]
    pending_tasks: usize,
    #[serde(skip)]
    stale: usize,
}

/// The tasks an approval derived, as the report counts them.
#[derive(Default)]
struct Derived {
    ids: Vec<String>,
    pending: usize,
    stale: usize,
}

impl Derived {
    fn of<T: PlanTask>(tasks: &[T]) -> Derived {
        Derived {
            ids: tasks.iter().map(|t| t.id().to_string()).collect(),
            pending: tasks.iter().filter(|t| t.is_pending()).count(),
            stale: tasks.iter().filter(|t| t.is_stale()).count(),
        }
    }
}

/// Who decides, and how their decision is signed.
#[derive(Debug, Clone, Default)]
pub struct Decider<'a> {
    /// The person deciding (`--by`).
    pub by: &'a str,
    /// When, RFC 3339 UTC.
    pub at: jiff::Timestamp,
    /// The agents' names, which may not decide.
    pub agents: &'a [&'a str],
    /// What shows harness runs for an agent (`HARNESS_AGENT`, or a
    /// Claude Code tool environment), when it does: then nobody decides.
    pub agent_context: Option<String>,
    /// `--key`: the signing key; else git's `user.signingkey`.
    pub key: Option<&'a std::path::Path>,
}

impl Store {
    /// Approves plan `id` as `who.by`, then `derive`s its tasks under the
    /// same lock. A plan changed since its last approval needs
    /// `accept_changes`; `resign` approves an approved plan again, to sign
    /// an approval made before approvals were signed.
    pub fn approve<T: PlanTask>(
        &self,
        id: &str,
        who: &Decider,
        accept_changes: bool,
        resign: bool,
        derive: impl FnOnce(&Lock, &Plan) -> Result<Vec<T>>,
    ) -> Result<Decided> {
        check_approver(who)?;
        let by = who.by.trim();
        self.decide(
            id,
            who,
            |p| approval::approve(p, by, who.at, accept_changes, resign),
            |lock, p| derive(lock, p).map(|tasks| Derived::of(&tasks)),
        )
    }

    /// Rejects plan `id` as `who.by`, saying why.
    pub fn reject(&self, id: &str, who: &Decider, reason: &str) -> Result<Decided> {
        check_approver(who)?;
        if reason.trim().is_empty() {
            return Err(Error::usage(
                "--reason needs to say why the plan is rejected",
            ));
        }
        let by = who.by.trim();
        self.decide(
            id,
            who,
            |p| approval::reject(p, by, who.at, reason),
            |_, _| Ok(Derived::default()),
        )
    }

    fn decide(
        &self,
        id: &str,
        who: &Decider,
        chain: impl FnOnce(&Plan) -> Result<Vec<Approval>, Refusal>,
        after: impl FnOnce(&Lock, &Plan) -> Result<Derived>,
    ) -> Result<Decided> {
        let n = self.get(id)?.id;
        let signers = self.trust()?.signers.clone();
        // Sign when the project checks signatures, or when the person asked
        // to (a key given before a signers file exists).
        let key = if signers.is_some() || who.key.is_some() {
            Some(signature::signing_key(&self.project().root, who.key)?)
        } else {
            None
        };
        let mut warnings = Vec::new();
        let (p, tasks) = self.record_with(
            n,
            |p| {
                let errors: Vec<Diagnostic> = p.errors().cloned().collect();
                if !errors.is_empty() {
                    return Err(Error::Input(errors));
                }
                warnings = p
                    .diagnostics
                    .iter()
                    .filter(|d| !d.is_error())
                    .cloned()
                    .collect();
                let mut chain = chain(p).map_err(|r| refusal(p, r))?;
                if let Some(key) = &key {
                    sign_last(p, &mut chain, key, signers.as_ref())?;
                }
                Ok(chain)
            },
            after,
        )?;
        // Warnings about the status are settled by the record just written.
        warnings.retain(|d| d.code != Code::StatusNotRecorded);
        if let Err(e) = super::ledger::Ledger::append(&self.project().root, p.id, &p.approvals) {
            warnings.push(
                Diagnostic::warning(
                    Code::LedgerNotWritten,
                    format!("the decision is recorded in the plan, but not in this clone's ledger of decisions: {e}"),
                )
                .hint("a later cut of the plan's records back to this decision cannot be seen here; CI still compares with the base branch"),
            );
        }
        let state = p.state();
        Ok(Decided {
            id: p.id,
            state: state.name(),
            hash: p.hash(),
            tasks: tasks.ids,
            pending_tasks: tasks.pending,
            stale: tasks.stale,
            pending: match &state {
                PlanState::Unverified { problem, .. } => Some(problem.message.clone()),
                _ => None,
            },
            style: state_style(&state),
            chain: p.approvals.clone(),
            warnings,
            by: who.by.trim().to_string(),
            padded_id: p.padded_id(),
        })
    }
}

/// Signs the record just appended to `chain`, and checks the signature as
/// every reader will, so a key the signers file does not allow is refused
/// now rather than written as an approval that never counts.
fn sign_last(
    p: &Plan,
    chain: &mut [Approval],
    key: &SigningKey,
    signers: Option<&Signers>,
) -> Result<()> {
    let digests = signature::digests(p.id, chain);
    let Some(last) = chain.len().checked_sub(1) else {
        return Ok(());
    };
    let previous = last.checked_sub(1).map(|i| digests[i].clone());
    let record = &mut chain[last];
    record.prev_record = previous.clone();
    let text = signature::statement(p.id, record, previous.as_deref());
    record.signature = Some(signature::sign(key, &text)?);
    if let Some(signers) = signers {
        let checks = signature::check_records(signers, p.id, chain);
        if let Some(SignatureCheck::Invalid { code, problem, .. }) = checks.last() {
            return Err(Diagnostic::error(
                *code,
                format!("the new record would not count: {problem}"),
            )
            .at(Span::new(&signers.path, 1, 1))
            .hint("sign with a key listed for your name in the signers file")
            .into());
        }
    }
    Ok(())
}

impl Report for Decided {
    fn text(&self) -> String {
        let mut s = diagnostics_text(&self.warnings);
        let style = self.style;
        let records = self.chain.len();
        let _ = writeln!(
            s,
            "{style}{}{style:#} plan {} by {} ({}); approval chain: {records} record{}",
            self.state,
            self.padded_id,
            self.by,
            approval::short(&self.hash),
            if records == 1 { "" } else { "s" }
        );
        if let Some(why) = &self.pending {
            let _ = writeln!(s, "not approved yet: {why}");
        }
        if !self.tasks.is_empty() {
            let _ = write!(
                s,
                "tasks: {} ({} pending",
                self.tasks.len(),
                self.pending_tasks
            );
            if self.stale > 0 {
                let _ = write!(s, ", {} stale", self.stale);
            }
            s.push_str("); `harness-agents task list --plan ");
            let _ = writeln!(s, "{}` shows them", self.padded_id);
        }
        s
    }
}

/// An approver must be a person: not running as an agent, and with a name
/// that no agent has.
fn check_approver(who: &Decider) -> Result<()> {
    if let Some(context) = &who.agent_context {
        return Err(Diagnostic::error(
            Code::AgentContext,
            format!(
                "plans are approved and rejected by people, and this runs for an agent ({context})"
            ),
        )
        .hint("a person runs `harness-agents plan approve` in their own terminal")
        .into());
    }
    let (agents, by) = (who.agents, who.by);
    if by.trim().is_empty() {
        return Err(Error::usage("--by needs the name of the person deciding"));
    }
    let by = by.trim();
    if agents.iter().any(|a| a.eq_ignore_ascii_case(by)) {
        return Err(Diagnostic::error(
            Code::AgentApprover,
            format!("`{by}` is an agent; plans are approved and rejected by people"),
        )
        .hint("pass your own name: `--by NAME`")
        .into());
    }
    Ok(())
}

fn refusal(p: &Plan, r: Refusal) -> Error {
    let id = p.padded_id();
    let at = Span::new(&p.path, 1, 1);
    let d = match r {
        Refusal::AlreadyApproved(a) => Diagnostic::error(
            Code::AlreadyApproved,
            format!(
                "plan {id} is already approved, by {} at {}, and has not changed",
                a.by, a.at
            ),
        )
        .at(at)
        .hint("nothing to do; `harness-agents plan show` shows the approval chain"),
        Refusal::ChangedSinceApproval(a) => {
            let line = p
                .approved_text
                .as_deref()
                .map_or(1, |old| approval::first_change_line(p, old));
            Diagnostic::error(
                Code::ChangedSinceApproval,
                format!("plan {id} changed since {} approved it at {}", a.by, a.at),
            )
            .at(Span::new(&p.path, line, 1))
            .hint(format!(
                "review `harness-agents plan diff {id}`, then approve with --accept-changes"
            ))
        }
        Refusal::AlreadyRejected(a) => Diagnostic::error(
            Code::AlreadyRejected,
            format!(
                "plan {id} is already rejected, by {} at {}, and has not changed",
                a.by, a.at
            ),
        )
        .at(at)
        .hint("revise the plan before deciding on it again"),
    };
    d.into()
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::config::Project;

    pub(in crate::plan) const AT: jiff::Timestamp = jiff::Timestamp::constant(1767323045, 0);
    const PLAN: &str = "---\nid: 1\ntitle: \"Chat room\"\nagent: \"planner\"\nstatus: draft\n---\n## PLAN: Chat room\n\n### Files to Change\n- `src/chat.rs`: the service\n\n### Tasks\n- [ ] Chat service\n- [ ] Helpers (after 1)\n\nPLAN_APPROVED: pending\n";

    /// A task as the plan reports see it, without the task module.
    #[derive(Serialize)]
    pub(in crate::plan) struct FakeTask(pub &'static str, pub &'static str);

    impl PlanTask for FakeTask {
        fn id(&self) -> &str {
            self.0
        }
        fn subject(&self) -> &str {
            "subject"
        }
        fn status(&self) -> &str {
            self.1
        }
        fn is_pending(&self) -> bool {
            self.1 == "pending"
        }
        fn is_completed(&self) -> bool {
            self.1 == "completed"
        }
        fn is_stale(&self) -> bool {
            self.1 == "stale"
        }
    }

    /// A project whose plan 1 is a valid draft.
    pub(in crate::plan) fn project() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::create_dir_all(root.join("plans")).unwrap();
        std::fs::write(root.join("plans/0001-chat-room.md"), PLAN).unwrap();
        (dir, Store::open(&Project::with_defaults(root)))
    }

    pub(in crate::plan) fn who(by: &'static str) -> Decider<'static> {
        Decider {
            by,
            at: AT,
            agents: &["dev"],
            ..Decider::default()
        }
    }

    pub(in crate::plan) fn approve(store: &Store, tasks: Vec<FakeTask>) -> Result<Decided> {
        store.approve("1", &who(" alice "), false, false, |_, _| Ok(tasks))
    }

    #[track_caller]
    pub(in crate::plan) fn code<T: std::fmt::Debug>(result: Result<T>) -> &'static str {
        match result {
            Err(Error::Input(ds)) if ds.len() == 1 => ds[0].code.as_str(),
            other => panic!("expected one diagnostic, got {other:?}"),
        }
    }

    #[test]
    fn approving_records_the_chain_and_counts_the_derived_tasks() {
        let (_dir, store) = project();
        let tasks = vec![FakeTask("0001-1", "pending"), FakeTask("0001-2", "stale")];
        let d = approve(&store, tasks).unwrap();
        assert_eq!(
            (d.state, d.chain.len(), d.by.as_str()),
            ("approved", 1, "alice")
        );
        assert_eq!(d.tasks, ["0001-1", "0001-2"]);
        assert_eq!((d.pending_tasks, d.stale), (1, 1));
        assert!(store.get("1").unwrap().state().is_approved());
        let text = d.text();
        assert!(text.contains("tasks: 2 (1 pending, 1 stale)"), "{text}");
        assert_eq!(code(approve(&store, Vec::new())), "already-approved");
    }

    #[test]
    fn agents_cannot_decide_and_a_rejection_needs_a_reason() {
        let (_dir, store) = project();
        let none = |_: &Lock, _: &Plan| Ok(Vec::<FakeTask>::new());
        assert_eq!(
            code(store.approve("1", &who("Dev"), false, false, none)),
            "agent-approver"
        );
        let in_agent = Decider {
            agent_context: Some("HARNESS_AGENT=dev".to_string()),
            ..who("alice")
        };
        assert_eq!(
            code(store.approve("1", &in_agent, false, false, none)),
            "agent-context"
        );
        assert_eq!(code(store.reject("1", &in_agent, "no")), "agent-context");
        assert!(matches!(
            store.reject("1", &who("alice"), " "),
            Err(Error::Usage { .. })
        ));
        let d = store.reject("1", &who("alice"), "too big").unwrap();
        assert_eq!((d.state, d.tasks.len()), ("rejected", 0));
        assert_eq!(
            code(store.reject("1", &who("bob"), "still")),
            "already-rejected"
        );
    }
}
