//! What harness records about a plan's decisions, shared by reading a plan
//! ([`super::plan`]), writing it ([`super::write`]) and the approval rules
//! ([`super::approval`]): the approval record, the front matter's `status`
//! and the body's `PLAN_APPROVED:` marker.

use serde::{Deserialize, Serialize};

/// The line that records approval in the body, as the agents' templates
/// end: `PLAN_APPROVED: pending`.
pub const MARKER: &str = "PLAN_APPROVED:";

/// What the front matter's `status` says. Harness writes it; it is never
/// trusted on its own (see [`super::Plan::state`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    #[default]
    Draft,
    Approved,
    Rejected,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Approved => "approved",
            Status::Rejected => "rejected",
        }
    }

    /// Parses a status word as the CLI accepts it.
    pub fn parse(s: &str) -> Option<Status> {
        match s {
            "draft" => Some(Status::Draft),
            "approved" => Some(Status::Approved),
            "rejected" => Some(Status::Rejected),
            _ => None,
        }
    }

    /// The word the body's marker carries for this status.
    pub fn marker_word(self) -> &'static str {
        match self {
            Status::Draft => "pending",
            Status::Approved => "approved",
            Status::Rejected => "rejected",
        }
    }
}

/// What a person decided about a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApprovalDecision {
    Approved,
    Rejected,
}

impl ApprovalDecision {
    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalDecision::Approved => "approved",
            ApprovalDecision::Rejected => "rejected",
        }
    }
}

/// One record of the approval chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    pub decision: ApprovalDecision,
    /// The person who decided (never an agent).
    pub by: String,
    /// When, RFC 3339 UTC.
    pub at: jiff::Timestamp,
    /// `sha256:HEX` of the plan's normalised content decided on.
    pub hash: String,
    /// The hash of the previous record; absent on the first.
    #[serde(default)]
    pub prev_hash: Option<String>,
    /// Why, for a rejection.
    #[serde(default)]
    pub reason: Option<String>,
    /// The digest of the previous record's signed statement, on signed
    /// records (see [`super::signature::statement`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev_record: Option<String>,
    /// The SSHSIG signature over the record's statement, armored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

/// The status the chain records: that of its last record.
pub fn recorded_status(chain: &[Approval]) -> Status {
    match chain.last().map(|a| a.decision) {
        None => Status::Draft,
        Some(ApprovalDecision::Approved) => Status::Approved,
        Some(ApprovalDecision::Rejected) => Status::Rejected,
    }
}
