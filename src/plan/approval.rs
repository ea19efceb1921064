//! Approval bound to content: the normalised text of a plan, its SHA-256,
//! the approval chain, and the state a plan is in.
//!
//! Approval records the hash of the plan's normalised content. The status
//! field, the body's `PLAN_APPROVED:` marker and the approval records are
//! left out of that content, so recording a decision does not change what
//! was decided on; any other edit does, and the plan is no longer approved.
//! Each record carries the hash of the record before it, so the chain shows
//! who approved which version, in order.

use std::fmt::Write as _;

use super::plan::Plan;
use super::record::{Approval, ApprovalDecision, MARKER};
use super::signature::{self, TrustProblem};
use crate::digest::sha256_tagged;
use crate::textdiff;

/// Where a plan stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanState {
    /// Never decided on.
    Draft,
    /// Approved, and the content is what was approved.
    Approved(Approval),
    /// Approved once, but edited since: no longer approved. `diff` is a
    /// unified diff from the approved text to the current one, when the
    /// approved text is at hand.
    Changed {
        approval: Approval,
        diff: Option<String>,
    },
    /// The last decision was a rejection.
    Rejected(Approval),
    /// The content is what was approved, but the approval does not count
    /// under the project's `[approvals]` rules: a signature that does not
    /// verify, a signer not allowed, a broken chain, too few signers.
    Unverified {
        approval: Approval,
        problem: TrustProblem,
    },
}

impl PlanState {
    pub fn name(&self) -> &'static str {
        match self {
            PlanState::Draft => "draft",
            PlanState::Approved(_) => "approved",
            PlanState::Changed { .. } => "changed",
            PlanState::Rejected(_) => "rejected",
            PlanState::Unverified { .. } => "unverified",
        }
    }

    /// Approved and unchanged: work may start.
    pub fn is_approved(&self) -> bool {
        matches!(self, PlanState::Approved(_))
    }
}

impl std::fmt::Display for PlanState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The plan's content as approval sees it: the identity fields, then the
/// body with the marker's value removed, line ends normalised, trailing
/// spaces and tabs and trailing blank lines dropped.
///
/// What is dropped must not change how the Markdown reader sees the plan,
/// or an edit could widen the scope with the hash unchanged: line ends are
/// those CommonMark reads (see [`crate::agent::frontmatter::normalise`]),
/// only spaces and tabs are trimmed (a line of other white space, such as a
/// no-break space, is not blank to CommonMark), and a marker line keeps its
/// indentation, which decides whether it is a paragraph, code or part of a
/// list item.
pub fn normalise(plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "id: {}", plan.id);
    let _ = writeln!(out, "title: {}", plan.title);
    let _ = writeln!(out, "agent: {}", plan.agent);
    out.push_str("---\n");
    let body = crate::agent::frontmatter::normalise(&plan.body);
    let mut lines: Vec<&str> = body
        .split('\n')
        .map(|l| {
            let indent = l.len() - l.trim_start_matches([' ', '\t']).len();
            if l[indent..].starts_with(MARKER) {
                &l[..indent + MARKER.len()]
            } else {
                l.trim_end_matches([' ', '\t'])
            }
        })
        .collect();
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    for l in lines {
        out.push_str(l);
        out.push('\n');
    }
    out
}

/// The hash shortened for people: `sha256:1a2b3c4d5e6f`.
pub fn short(hash: &str) -> &str {
    &hash[..hash.len().min(19)]
}

/// The last approval in the chain.
pub fn last_approval(chain: &[Approval]) -> Option<&Approval> {
    chain
        .iter()
        .rev()
        .find(|a| a.decision == ApprovalDecision::Approved)
}

impl Plan {
    /// The plan's content as approval sees it (see [`normalise`]).
    pub fn normalised(&self) -> String {
        normalise(self)
    }

    /// The SHA-256 of [`Plan::normalised`], as `sha256:HEX`.
    pub fn hash(&self) -> String {
        sha256_tagged(self.normalised().as_bytes())
    }

    /// Where the plan stands, decided by the approval chain and the content
    /// hash alone: never by the `status` field or the marker.
    pub fn state(&self) -> PlanState {
        state(self)
    }
}

fn state(plan: &Plan) -> PlanState {
    let Some(last) = plan.approvals.last() else {
        return PlanState::Draft;
    };
    match last.decision {
        ApprovalDecision::Rejected => PlanState::Rejected(last.clone()),
        ApprovalDecision::Approved => {
            let current = plan.normalised();
            if sha256_tagged(current.as_bytes()) == last.hash {
                let verdict = match &plan.cut_after {
                    Some(later) => Some(Err(super::ledger::rolled_back(plan.id, later))),
                    None => plan.trust.as_deref().map(|t| {
                        signature::verdict(t, &plan.approvals, &plan.signatures, &plan.scope)
                    }),
                };
                match verdict {
                    Some(Err(problem)) => PlanState::Unverified {
                        approval: last.clone(),
                        problem,
                    },
                    _ => PlanState::Approved(last.clone()),
                }
            } else {
                let diff = plan
                    .approved_text
                    .as_deref()
                    .map(|old| unified_diff(old, &current, last, &plan.path.to_string_lossy()));
                PlanState::Changed {
                    approval: last.clone(),
                    diff,
                }
            }
        }
    }
}

/// The file line of the first line that differs between the approved
/// normalised text and the plan now, for locating a "changed" error.
pub fn first_change_line(plan: &Plan, approved: &str) -> usize {
    let current = plan.normalised();
    let index = current
        .lines()
        .zip(approved.lines())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| current.lines().count().min(approved.lines().count()));
    // The normalised text starts with id, title, agent and a `---` line.
    match index {
        0..=2 => index + 2,
        3 => plan.body_line,
        i => plan.body_line + i - 4,
    }
}

/// A unified diff from the approved text to the current one.
pub fn unified_diff(approved: &str, current: &str, approval: &Approval, path: &str) -> String {
    let path = path.replace('\\', "/");
    let old = format!(
        "{path} (approved by {} at {}, {})",
        approval.by,
        approval.at,
        short(&approval.hash)
    );
    let new = format!(
        "{path} (now, {})",
        short(&sha256_tagged(current.as_bytes()))
    );
    textdiff::unified_diff(approved, current, &old, &new)
}

/// Why a decision cannot be recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    AlreadyApproved(Box<Approval>),
    /// The plan changed since its last approval and the approver did not
    /// say they reviewed the change.
    ChangedSinceApproval(Box<Approval>),
    AlreadyRejected(Box<Approval>),
}

/// The record approving `plan` as it is now, appended to its chain.
/// `accept_changes` must be set to re-approve a plan edited since its last
/// approval, so nobody approves a change without knowing it is one.
///
/// `resign` records a new approval of an approved plan, for a person to
/// sign an approval made before approvals were signed.
pub fn approve(
    plan: &Plan,
    by: &str,
    at: jiff::Timestamp,
    accept_changes: bool,
    resign: bool,
) -> Result<Vec<Approval>, Refusal> {
    match plan.state() {
        PlanState::Approved(a) if !resign => return Err(Refusal::AlreadyApproved(Box::new(a))),
        PlanState::Changed { approval, .. } if !accept_changes => {
            return Err(Refusal::ChangedSinceApproval(Box::new(approval)));
        }
        _ => {}
    }
    Ok(append(plan, ApprovalDecision::Approved, by, at, None))
}

/// The record rejecting `plan` as it is now.
pub fn reject(
    plan: &Plan,
    by: &str,
    at: jiff::Timestamp,
    reason: &str,
) -> Result<Vec<Approval>, Refusal> {
    if let PlanState::Rejected(r) = plan.state()
        && r.hash == plan.hash()
    {
        return Err(Refusal::AlreadyRejected(Box::new(r)));
    }
    Ok(append(
        plan,
        ApprovalDecision::Rejected,
        by,
        at,
        Some(reason.to_string()),
    ))
}

fn append(
    plan: &Plan,
    decision: ApprovalDecision,
    by: &str,
    at: jiff::Timestamp,
    reason: Option<String>,
) -> Vec<Approval> {
    let mut chain = plan.approvals.clone();
    chain.push(Approval {
        decision,
        by: by.to_string(),
        at,
        hash: plan.hash(),
        prev_hash: plan.approvals.last().map(|a| a.hash.clone()),
        reason,
        prev_record: None,
        signature: None,
    });
    chain
}

impl Plan {
    /// Checks the plan's records under `trust`, once: every question about
    /// its state reuses the result.
    pub fn attach_trust(&mut self, trust: std::sync::Arc<signature::Trust>) {
        self.signatures = match &trust.signers {
            Some(signers) => signature::check_records(signers, self.id, &self.approvals),
            None => Vec::new(),
        };
        self.trust = Some(trust);
    }

    /// The signers whose approvals count, when approvals here are signed
    /// and they do; `None` for unsigned approvals.
    pub fn signed_by(&self) -> Option<Vec<String>> {
        let trust = self.trust.as_deref()?;
        trust.signers.as_ref()?;
        let counted =
            signature::verdict(trust, &self.approvals, &self.signatures, &self.scope).ok()?;
        let signed: Vec<&str> = self
            .signatures
            .iter()
            .filter_map(|c| match c {
                signature::SignatureCheck::Verified { principal, .. } => Some(principal.as_str()),
                _ => None,
            })
            .collect();
        Some(
            counted
                .into_iter()
                .filter(|c| signed.contains(&c.as_str()))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    const EARLIER: jiff::Timestamp = jiff::Timestamp::constant(1767225600, 0);
    const T1: jiff::Timestamp = jiff::Timestamp::constant(1767323046, 0);
    const T2: jiff::Timestamp = jiff::Timestamp::constant(1767323047, 0);
    const T3: jiff::Timestamp = jiff::Timestamp::constant(1767323048, 0);
    use crate::plan::record::{Status, recorded_status};

    const PLAN: &str = "---\nid: 3\ntitle: \"Chat\"\nagent: \"a\"\nstatus: draft\n---\n## PLAN: Chat\n\n### Files to Change\n- `src/chat.rs`\n\nPLAN_APPROVED: pending\n";

    fn parse(text: &str) -> Plan {
        Plan::parse(Path::new("plans/0003-chat.md"), text, &[]).unwrap()
    }

    /// The plan after recording `chain`, read back from its new text.
    fn recorded(plan: &Plan, chain: &[Approval]) -> Plan {
        let mut p = parse(&plan.render_with(recorded_status(chain), chain));
        p.approved_text = Some(plan.normalised());
        p
    }

    #[test]
    fn the_hash_sees_the_lines_the_markdown_reader_sees() {
        let p = parse(PLAN);
        // A lone CR behind the marker: one line to a hash over the text,
        // a new Files to Change entry to CommonMark.
        let hidden = parse(&PLAN.replace(
            "PLAN_APPROVED: pending",
            "PLAN_APPROVED: pending\r- `src/evil.rs`",
        ));
        assert!(
            hidden.scope().contains("src/evil.rs"),
            "{:?}",
            hidden.scope()
        );
        assert_ne!(hidden.hash(), p.hash());
        // CRLF is only a line end, and the marker's value stays out.
        let crlf = parse(&PLAN.replace('\n', "\r\n").replace("pending", "sha256:1"));
        assert_eq!(crlf.hash(), p.hash());
        // Indenting the marker makes it code: not the text approved.
        let indented = parse(&PLAN.replace("PLAN_APPROVED:", "    PLAN_APPROVED:"));
        assert_ne!(indented.hash(), p.hash());
        // A line of no-break spaces is not blank to CommonMark.
        let nbsp = parse(&PLAN.replace("\n\nPLAN_APPROVED", "\n\u{a0}\nPLAN_APPROVED"));
        assert_ne!(nbsp.hash(), p.hash());
        // Trailing spaces and tabs change nothing a reader sees.
        let trailing = parse(&PLAN.replace("`src/chat.rs`\n", "`src/chat.rs` \t\n"));
        assert_eq!(trailing.hash(), p.hash());
    }

    #[test]
    fn recording_a_decision_does_not_change_the_hash() {
        let p = parse(PLAN);
        let chain = approve(&p, "alice", EARLIER, false, false).unwrap();
        let approved = recorded(&p, &chain);
        assert_eq!(approved.hash(), p.hash());
        assert!(approved.state().is_approved());
        assert!(approved.body.contains("PLAN_APPROVED: approved"));
        assert!(
            approved.diagnostics.is_empty(),
            "{:?}",
            approved.diagnostics
        );
        assert_eq!(chain[0].prev_hash, None);
        assert!(chain[0].hash.starts_with("sha256:") && chain[0].hash.len() == 71);
    }

    #[test]
    fn an_edit_unapproves_and_shows_the_line() {
        let p = parse(PLAN);
        let chain = approve(&p, "alice", T1, false, false).unwrap();
        let approved = recorded(&p, &chain);
        let mut edited = parse(
            &approved
                .render_with(Status::Approved, &chain)
                .replace("chat.rs", "chat.r"),
        );
        edited.approved_text = approved.approved_text.clone();
        let PlanState::Changed {
            diff: Some(diff), ..
        } = edited.state()
        else {
            panic!("not changed: {:?}", edited.state());
        };
        assert!(
            diff.contains("\n-- `src/chat.rs`\n+- `src/chat.r`\n"),
            "{diff}"
        );
        assert!(
            diff.starts_with(
                "--- plans/0003-chat.md (approved by alice at 2026-01-02T03:04:06Z, sha256:"
            ),
            "{diff}"
        );
        // Approving it again needs saying so, and then chains.
        assert!(matches!(
            approve(&edited, "bob", T2, false, false),
            Err(Refusal::ChangedSinceApproval(_))
        ));
        let chain2 = approve(&edited, "bob", T2, true, false).unwrap();
        assert_eq!(chain2.len(), 2);
        assert_eq!(chain2[1].prev_hash.as_deref(), Some(chain[0].hash.as_str()));
        assert_ne!(chain2[1].hash, chain[0].hash);
    }

    #[test]
    fn approving_twice_and_rejecting_twice_are_refused() {
        let p = parse(PLAN);
        let chain = approve(&p, "alice", T1, false, false).unwrap();
        let approved = recorded(&p, &chain);
        assert!(matches!(
            approve(&approved, "bob", T2, false, false),
            Err(Refusal::AlreadyApproved(_))
        ));
        let chain = reject(&approved, "bob", T2, "too broad").unwrap();
        let rejected = recorded(&approved, &chain);
        assert_eq!(rejected.state().name(), "rejected");
        assert!(matches!(
            reject(&rejected, "bob", T3, "again"),
            Err(Refusal::AlreadyRejected(_))
        ));
        // A rejected plan may be approved.
        assert!(approve(&rejected, "carol", T3, false, false).is_ok());
    }

    #[test]
    fn whitespace_at_line_ends_and_the_marker_do_not_count() {
        let a = parse(PLAN);
        let edited = PLAN
            .replace("## PLAN: Chat\n", "## PLAN: Chat   \r\n")
            .replace("pending", "approved")
            + "\n\n";
        let b = parse(&edited);
        assert_eq!(a.hash(), b.hash());
        let c = parse(&PLAN.replace("title: \"Chat\"", "title: \"Chats\""));
        assert_ne!(a.hash(), c.hash());
    }
}
