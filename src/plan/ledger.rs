//! The decisions this clone has seen a person make, kept where no agent
//! writes: `harness/decisions` in the repository's common git directory.
//!
//! A plan's records form a chain, each record naming the digest of the one
//! before it, so a record removed from the middle or reordered is caught by
//! the chain itself. What the chain cannot show is its own end cut off: drop
//! the newest rejection and the chain is a valid, shorter one that ends in
//! the approval before it. `plan approve` and `plan reject` append each
//! record they write here, with the branch it was made on; a plan whose last
//! record is followed, in this ledger and on the branch checked out now, by
//! a record its file no longer holds has been rolled back, and its approval
//! does not count until a person decides again. A decision made on another
//! branch (or in another worktree on its own branch) says nothing about
//! this one: switching back to `main` after rejecting a plan on a feature
//! branch is not a rollback.
//!
//! The ledger is only as safe as `.git/` itself: the guard refuses agents'
//! writes there and the sandbox grants none. In CI, where a clone has no
//! ledger, the tip's chain must extend the base branch's instead.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::record::{Approval, ApprovalDecision};
use super::signature::{TrustProblem, digests};
use crate::diagnostic::Code;

/// One decision as the ledger keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub plan: u32,
    /// The digest of the record before it, `None` for a plan's first.
    pub previous: Option<String>,
    /// The digest of the record's statement (see [`digests`]).
    pub record: String,
    pub decision: ApprovalDecision,
    pub by: String,
    pub at: String,
    /// The branch checked out when it was made; `None` on a detached `HEAD`.
    #[serde(default)]
    pub branch: Option<String>,
}

/// The decisions recorded in one repository.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    /// The file's lines, read when a plan's are asked for: the guard asks
    /// about one plan, and the ledger holds every decision ever made.
    text: String,
    /// The branch checked out in the work tree it was loaded for.
    branch: Option<String>,
}

/// Where the ledger of the work tree at `root` lives; `None` outside git.
pub fn path(root: &Path) -> Option<PathBuf> {
    crate::git::dirs_above(root).map(|d| file(&d))
}

fn file(dirs: &crate::git::Dirs) -> PathBuf {
    dirs.common.join("harness").join("decisions")
}

impl Ledger {
    /// The ledger of the work tree at `root`; empty when there is none yet.
    /// A line that does not read is skipped: the ledger only ever adds a
    /// reason to refuse, so a damaged line loses that reason, nothing more.
    pub fn load(root: &Path) -> Ledger {
        let Some(dirs) = crate::git::dirs_above(root) else {
            return Ledger::default();
        };
        let Ok(text) = std::fs::read_to_string(file(&dirs)) else {
            return Ledger::default();
        };
        Ledger {
            text,
            branch: crate::git::branch(&dirs),
        }
    }

    /// Appends the last record of `chain` (plan `plan`'s records, as just
    /// written) to the ledger of `root`.
    pub fn append(root: &Path, plan: u32, chain: &[Approval]) -> std::io::Result<()> {
        let Some(dirs) = crate::git::dirs_above(root) else {
            return Ok(());
        };
        let file = file(&dirs);
        let digests = digests(plan, chain);
        let (Some(record), Some(last)) = (digests.last(), chain.last()) else {
            return Ok(());
        };
        let entry = Entry {
            plan,
            previous: digests.len().checked_sub(2).map(|i| digests[i].clone()),
            record: record.clone(),
            decision: last.decision,
            by: last.by.clone(),
            at: last.at.to_string(),
            branch: crate::git::branch(&dirs),
        };
        let mut line = serde_json::to_string(&entry).map_err(std::io::Error::other)?;
        line.push('\n');
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir)?;
        }
        // One short write in append mode: lines from two people deciding at
        // once do not interleave.
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&file)?
            .write_all(line.as_bytes())
    }

    /// The decision this ledger saw follow the last of `chain`'s records
    /// and the chain no longer holds, if any: the chain was cut back.
    pub fn cut_after(&self, plan: u32, chain: &[Approval]) -> Option<Entry> {
        // Lines are written by `append`, so each starts with its plan.
        let prefix = format!("{{\"plan\":{plan},");
        let mine: Vec<Entry> = self
            .text
            .lines()
            .filter(|l| l.starts_with(&prefix))
            .filter_map(|l| serde_json::from_str::<Entry>(l).ok())
            .filter(|e| e.plan == plan && e.branch == self.branch)
            .collect();
        if mine.is_empty() {
            return None;
        }
        let digests = digests(plan, chain);
        let tip = digests.last();
        mine.into_iter()
            .rev()
            .find(|e| e.previous.as_ref() == tip && !digests.contains(&e.record))
    }
}

/// Why a cut-back chain's approval does not count.
pub fn rolled_back(plan: u32, later: &Entry) -> TrustProblem {
    TrustProblem {
        code: Code::RolledBack,
        record: None,
        message: format!(
            "the plan's records end before a decision this clone recorded: {} by `{}` at {} is missing, so the records were cut back to an earlier approval",
            later.decision.as_str(),
            later.by,
            later.at
        ),
        hint: format!(
            "restore the plan's records from git history, or a person decides again with `harness-agents plan approve {plan} --by NAME`"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(decision: ApprovalDecision, by: &str, hash: &str) -> Approval {
        Approval {
            decision,
            by: by.to_string(),
            at: "2026-01-02T03:04:05Z".parse().unwrap(),
            hash: hash.to_string(),
            prev_hash: None,
            reason: (decision == ApprovalDecision::Rejected).then(|| "no".to_string()),
            prev_record: None,
            signature: None,
        }
    }

    fn repo() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".git")).unwrap();
        dir
    }

    #[test]
    fn a_chain_cut_back_to_an_earlier_approval_is_seen_and_a_new_decision_settles_it() {
        let dir = repo();
        let approved = record(ApprovalDecision::Approved, "alice", "sha256:aa");
        let rejected = record(ApprovalDecision::Rejected, "bob", "sha256:aa");
        let mut chain = vec![approved.clone()];
        Ledger::append(dir.path(), 7, &chain).unwrap();
        chain.push(rejected);
        Ledger::append(dir.path(), 7, &chain).unwrap();

        let ledger = Ledger::load(dir.path());
        assert_eq!(ledger.cut_after(7, &chain), None, "the whole chain");
        let cut = ledger.cut_after(7, &chain[..1]).expect("cut back");
        assert_eq!(
            (cut.by.as_str(), cut.decision),
            ("bob", ApprovalDecision::Rejected)
        );
        assert!(rolled_back(7, &cut).message.contains("rejected by `bob`"));
        assert_eq!(ledger.cut_after(8, &chain[..1]), None, "another plan");

        // A person approves again on the shorter chain: a new end, which the
        // ledger has no successor for.
        let again = vec![
            approved,
            record(ApprovalDecision::Approved, "carol", "sha256:aa"),
        ];
        Ledger::append(dir.path(), 7, &again).unwrap();
        assert_eq!(Ledger::load(dir.path()).cut_after(7, &again), None);
    }

    #[test]
    fn a_decision_on_another_branch_is_no_rollback_of_this_one() {
        let dir = repo();
        let head = |b: &str| {
            std::fs::write(
                dir.path().join(".git/HEAD"),
                format!("ref: refs/heads/{b}\n"),
            )
            .unwrap()
        };
        let approved = record(ApprovalDecision::Approved, "alice", "sha256:aa");
        let mut chain = vec![approved];
        head("main");
        Ledger::append(dir.path(), 7, &chain).unwrap();
        head("feature");
        chain.push(record(ApprovalDecision::Rejected, "bob", "sha256:aa"));
        Ledger::append(dir.path(), 7, &chain).unwrap();
        assert!(Ledger::load(dir.path()).cut_after(7, &chain[..1]).is_some());
        head("main");
        assert_eq!(Ledger::load(dir.path()).cut_after(7, &chain[..1]), None);
        // A project in a subdirectory of its repository has the same ledger.
        let sub = dir.path().join("services/chat");
        std::fs::create_dir_all(&sub).unwrap();
        head("feature");
        assert!(Ledger::load(&sub).cut_after(7, &chain[..1]).is_some());
    }

    #[test]
    fn a_linked_worktree_shares_the_ledger_and_no_git_means_none() {
        let dir = repo();
        let wt = dir.path().join(".git/worktrees/wt");
        std::fs::create_dir_all(&wt).unwrap();
        std::fs::write(wt.join("commondir"), "../..\n").unwrap();
        let tree = dir.path().join("tree");
        std::fs::create_dir(&tree).unwrap();
        std::fs::write(tree.join(".git"), format!("gitdir: {}\n", wt.display())).unwrap();
        let chain = vec![record(ApprovalDecision::Approved, "alice", "sha256:aa")];
        Ledger::append(&tree, 1, &chain).unwrap();
        assert!(dir.path().join(".git/harness/decisions").is_file());

        let plain = tempfile::tempdir().unwrap();
        assert_eq!(path(plain.path()), None);
        Ledger::append(plain.path(), 1, &chain).unwrap();
        assert_eq!(Ledger::load(plain.path()).cut_after(1, &[]), None);
    }
}
