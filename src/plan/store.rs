//! Where plans live on disk and how they are found, numbered and written.
//!
//! ```text
//! plans/0007-presence-channel.md      the plan: front matter, body, approval chain
//! plans/0007/approved/<hash>.md       the normalised text of each approved version
//! plans/0007/tasks/0007-3.toml        one small file per task (see crate::task)
//! ```
//!
//! One file per fact, so two branches rarely touch the same file. Every write
//! goes through a temporary file and a rename, under an exclusive lock on
//! `.harness/lock`, so concurrent harness processes never lose an update.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::approval;
use super::ledger::Ledger;
use super::plan::{self, Plan};
use super::record::{Approval, ApprovalDecision, recorded_status};
use super::signature::Trust;
use crate::config::Project;
use crate::diagnostic::{Code, Diagnostic, display_path};
use crate::digest::sha256_tagged;
use crate::error::{Error, Result};
use crate::files::Kind;
use crate::fsutil;

/// An exclusive lock on the project's plan and task data, released on drop.
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

/// How long [`lock`] waits for another harness process, unless
/// `HARNESS_LOCK_TIMEOUT` (seconds) says otherwise. Every holder does a few
/// file writes, so a wait this long means a process is stuck.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Takes the project lock, waiting for other harness processes up to a
/// timeout; the error names the holder. The holder writes its process id,
/// command line and start time into the lock file, which only ever informs:
/// the lock is the kernel's, released when its process ends, so a holder
/// that died never blocks anyone.
pub fn lock(project: &Project) -> Result<Lock> {
    let dir = project.root.join(".harness");
    std::fs::create_dir_all(&dir).map_err(|e| Error::io("create directory", &dir, e))?;
    // Local run data never belongs in the repository, whatever the
    // project's own .gitignore says.
    let ignore = dir.join(".gitignore");
    if !ignore.exists() {
        fsutil::write_atomic(&ignore, b"*\n")?;
    }
    let path = dir.join("lock");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Error::io("open", &path, e))?;
    let wait = std::env::var("HARNESS_LOCK_TIMEOUT")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map_or(LOCK_WAIT, std::time::Duration::from_secs_f64);
    let start = std::time::Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(std::fs::TryLockError::WouldBlock) if start.elapsed() < wait => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                let holder = std::fs::read_to_string(&path).unwrap_or_default();
                let holder = holder.trim();
                let holder = if holder.is_empty() {
                    "another process".to_string()
                } else {
                    holder.to_string()
                };
                return Err(Diagnostic::error(
                    Code::LockHeld,
                    format!(
                        "`.harness/lock` is held by {holder}; gave up after {}",
                        humantime::format_duration(wait)
                    ),
                )
                .hint("wait for that command to finish, or stop it if it is stuck; `HARNESS_LOCK_TIMEOUT=SECONDS` waits longer")
                .into());
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(Error::io("lock", &path, e)),
        }
    }
    // Informs whoever waits next; a failed write only loses that.
    let command: Vec<String> = std::env::args().collect();
    let holder = format!(
        "pid {} (`{}`, since {})\n",
        std::process::id(),
        command.join(" "),
        crate::clock::now()
    );
    let _ = file.set_len(0);
    let _ = (&file).write_all(holder.as_bytes());
    Ok(Lock { _file: file })
}

/// Plans found on disk, and the files that could not be read as plans.
#[derive(Debug, Default)]
pub struct Listing {
    pub plans: Vec<Plan>,
    pub diagnostics: Vec<Diagnostic>,
}

/// The project's plans.
#[derive(Debug, Clone)]
pub struct Store {
    project: Project,
    dir: PathBuf,
    /// The `[approvals]` rules every plan read is checked against, or why
    /// they cannot be read (then no plan can be read: fail closed).
    trust: std::result::Result<Arc<Trust>, Vec<Diagnostic>>,
    /// The decisions made in this clone, read on first use.
    ledger: std::sync::OnceLock<Ledger>,
}

/// Up to ten ids, then how many more: ids are numbers, so "did you mean"
/// would only guess.
pub fn shortlist(ids: &[String]) -> String {
    let mut out = ids.iter().take(10).cloned().collect::<Vec<_>>().join(", ");
    if ids.len() > 10 {
        out.push_str(&format!(" and {} more", ids.len() - 10));
    }
    out
}

/// Reads a plan id as people write it: `7`, `0007`, `0007-presence-channel`,
/// or a path such as `plans/0007-presence-channel.md`.
pub fn parse_id(text: &str) -> Option<u32> {
    let name = Path::new(text.trim()).file_name()?.to_str()?;
    let (digits, rest) = name.split_at(name.bytes().take_while(u8::is_ascii_digit).count());
    if digits.is_empty() || !(rest.is_empty() || rest.starts_with('-') || rest == ".md") {
        return None;
    }
    digits.parse().ok()
}

impl Store {
    /// The project's plans, checked against `[approvals]` with the signers
    /// file of the work tree.
    pub fn open(project: &Project) -> Store {
        let approvals = &project.config.approvals;
        let trust = match &approvals.signers {
            None => Trust::new(approvals, None),
            Some(rel) => {
                let path = project.root.join(rel);
                match project.files.read_string(&path) {
                    Ok(text) => Trust::new(approvals, Some((rel, &text))),
                    Err(e) => Err(vec![
                        Diagnostic::error(
                            Code::SignersUnreadable,
                            format!(
                                "the signers file `{}` named by `[approvals] signers` cannot be read: {e}",
                                display_path(rel)
                            ),
                        )
                        .hint("create it (git's allowed_signers format) or fix the path in harness.toml"),
                    ]),
                }
            }
        };
        Store::with_trust(project, trust.map(Arc::new))
    }

    /// The project's plans, checked against `trust`: rules and signers read
    /// by the caller, e.g. as of the base branch in CI.
    pub fn with_trust(
        project: &Project,
        trust: std::result::Result<Arc<Trust>, Vec<Diagnostic>>,
    ) -> Store {
        Store {
            project: project.clone(),
            dir: project.plans_dir(),
            trust,
            ledger: std::sync::OnceLock::new(),
        }
    }

    /// The `[approvals]` rules and signers this store judges by, to judge
    /// another store's plans by the same (CI: the tip's plans by the base's
    /// signers).
    pub fn shared_trust(&self) -> std::result::Result<Arc<Trust>, Vec<Diagnostic>> {
        self.trust.clone()
    }

    /// The `[approvals]` rules in force.
    pub fn trust(&self) -> Result<&Trust> {
        self.trust.as_deref().map_err(|d| Error::Input(d.clone()))
    }

    pub fn project(&self) -> &Project {
        &self.project
    }

    /// The plans directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file of task `id` (`0007-3`): `plans/0007/tasks/0007-3.toml`.
    pub fn task_file(&self, id: &str) -> Option<PathBuf> {
        let (plan, number) = super::wanted::parse_task_id(id)?;
        Some(
            self.data_dir(plan)
                .join("tasks")
                .join(format!("{}.toml", super::wanted::task_id(plan, number))),
        )
    }

    /// The directory of a plan's other files: `plans/0007/`.
    pub fn data_dir(&self, id: u32) -> PathBuf {
        self.dir.join(format!("{id:04}"))
    }

    /// The file keeping the normalised text of an approved version;
    /// `None` when `hash` is not one harness writes (`sha256:` and hex
    /// digits): a record edited by hand never names a path to read, such as
    /// one outside the plans or a pipe that would never answer.
    pub fn approved_path(&self, id: u32, hash: &str) -> Option<PathBuf> {
        let short = hash
            .strip_prefix("sha256:")?
            .get(..16)
            .filter(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()))?;
        Some(
            self.data_dir(id)
                .join("approved")
                .join(format!("{short}.md")),
        )
    }

    fn required(&self) -> &[String] {
        &self.project.config.plans.required_sections
    }

    /// Plan files: `NNNN-*.md` directly in the plans directory, by id.
    fn files(&self) -> Vec<(u32, PathBuf)> {
        // The name is looked at before a path is made: half the entries
        // are the plans' directories. The guard lists the plans on every
        // gated call.
        let Ok(entries) = self.project.files.entries_named(&self.dir, |name| {
            name.to_str().is_some_and(|n| n.ends_with(".md"))
        }) else {
            return Vec::new();
        };
        let mut out: Vec<(u32, PathBuf)> = entries
            .into_iter()
            .filter(|(_, kind)| *kind == Kind::File)
            .filter_map(|(path, _)| Some((parse_id(path.file_name()?.to_str()?)?, path)))
            .collect();
        out.sort();
        out
    }

    /// Reads the plan at `path` (absolute), with its approved text.
    pub fn read(&self, path: &Path) -> Result<Plan> {
        let text = self.project.files.read_text(path)?;
        let shown = self.project.relative(path);
        let trust = self.trust.as_ref().map_err(|d| Error::Input(d.clone()))?;
        let mut plan = Plan::parse(shown, &text, self.required()).map_err(Error::Input)?;
        if trust.signers.is_some() {
            plan.attach_trust(Arc::clone(trust));
        }
        let named = path.file_name().and_then(|n| n.to_str()).and_then(parse_id);
        if let Some(named) = named
            && named != plan.id
        {
            // Ids find plans and their task files; two disagreeing ids would
            // make a task belong to the wrong plan.
            return Err(Diagnostic::error(
                Code::IdMismatch,
                format!(
                    "the file is named for plan {named:04} but its front matter says `id: {}`",
                    plan.id
                ),
            )
            .at(crate::diagnostic::Span::new(shown, 2, 1))
            .hint(format!("set `id: {named}` or rename the file"))
            .into());
        }
        if plan.approvals.last().map(|a| a.decision) == Some(ApprovalDecision::Approved) {
            // A commit's plans (in memory) have no clone's decisions.
            let ledger = self.ledger.get_or_init(|| {
                if self.project.files.is_in_memory() {
                    Ledger::default()
                } else {
                    Ledger::load(&self.project.root)
                }
            });
            plan.cut_after = ledger.cut_after(plan.id, &plan.approvals);
        }
        if let Some(last) = approval::last_approval(&plan.approvals)
            && let Some(stored) = self.approved_path(plan.id, &last.hash)
        {
            // The stored text must be what was approved; a mismatch means it
            // was edited and cannot be shown as the approved version.
            plan.approved_text = self
                .project
                .files
                .read_string(&stored)
                .ok()
                .filter(|t| sha256_tagged(t.as_bytes()) == last.hash);
        }
        Ok(plan)
    }

    /// Every plan, by id; files that cannot be read are diagnostics.
    pub fn list(&self) -> Listing {
        let mut listing = Listing::default();
        for (_, path) in self.files() {
            match self.read(&path) {
                Ok(p) => listing.plans.push(p),
                Err(Error::Input(d)) => listing.diagnostics.extend(d),
                Err(e) => listing
                    .diagnostics
                    .push(Diagnostic::error(Code::Unreadable, e.to_string())),
            }
        }
        listing
    }

    /// The file of plan `id`.
    pub fn path_of(&self, id: u32) -> Result<PathBuf> {
        let files = self.files();
        let mut matching = files.iter().filter(|(i, _)| *i == id);
        match (matching.next(), matching.next()) {
            (Some((_, path)), None) => Ok(path.clone()),
            (Some((_, a)), Some((_, b))) => Err(Diagnostic::error(
                Code::DuplicatePlan,
                format!(
                    "plan {id:04} has two files: `{}` and `{}`",
                    display_path(self.project.relative(a)),
                    display_path(self.project.relative(b))
                ),
            )
            .hint("renumber or remove one of them")
            .into()),
            (None, _) => {
                let known: Vec<String> = files.iter().map(|(i, _)| format!("{i:04}")).collect();
                let wanted = format!("{id:04}");
                let hint = if known.is_empty() {
                    "there are no plans yet; create one with `harness-agents plan new TITLE --agent NAME`"
                        .to_string()
                } else {
                    format!("known plans: {}", shortlist(&known))
                };
                Err(
                    Diagnostic::error(Code::UnknownPlan, format!("there is no plan {wanted}"))
                        .hint(hint)
                        .into(),
                )
            }
        }
    }

    /// The plan with id `id` as people write it: `7`, `0007`, a file name.
    pub fn get(&self, id: &str) -> Result<Plan> {
        let n = parse_id(id).ok_or_else(|| {
            Error::from(
                Diagnostic::error(Code::InvalidPlanId, format!("`{id}` is not a plan id"))
                    .hint("plan ids are numbers: `7`, `0007` or `0007-presence-channel`"),
            )
        })?;
        self.get_id(n)
    }

    pub fn get_id(&self, id: u32) -> Result<Plan> {
        let path = self.path_of(id)?;
        self.read(&path)
    }

    /// The id the next new plan gets: one more than the highest.
    pub fn next_id(&self) -> u32 {
        self.files().last().map_or(1, |(id, _)| id + 1)
    }

    /// Writes a new plan file with the next id. `render` gets the id and
    /// returns the whole file. Holds the lock, so two processes never take
    /// the same number.
    pub fn create(
        &self,
        title: &str,
        render: impl FnOnce(u32) -> Result<String>,
    ) -> Result<(u32, PathBuf)> {
        let _lock = lock(&self.project)?;
        let id = self.next_id();
        let path = self.dir.join(format!("{id:04}-{}.md", plan::slug(title)));
        let text = render(id)?;
        fsutil::write_atomic(&path, text.as_bytes())?;
        Ok((id, path))
    }

    /// Records a new approval chain on plan `id`: rewrites the front matter
    /// and marker, and keeps the approved text. `decide` gets the plan read
    /// under the lock and returns the new chain, or refuses.
    pub fn record(
        &self,
        id: u32,
        decide: impl FnOnce(&Plan) -> Result<Vec<Approval>>,
    ) -> Result<Plan> {
        self.record_with(id, decide, |_, _| Ok(()))
            .map(|(plan, ())| plan)
    }

    /// [`Store::record`], then `after` with the plan as written, still under
    /// the same lock (for deriving its tasks in the same step).
    pub fn record_with<T>(
        &self,
        id: u32,
        decide: impl FnOnce(&Plan) -> Result<Vec<Approval>>,
        after: impl FnOnce(&Lock, &Plan) -> Result<T>,
    ) -> Result<(Plan, T)> {
        let lock = lock(&self.project)?;
        let path = self.path_of(id)?;
        let plan = self.read(&path)?;
        let chain = decide(&plan)?;
        let status = recorded_status(&chain);
        if let Some(last) = chain.last()
            && last.decision == ApprovalDecision::Approved
        {
            // The record was just made, with a hash of harness's own.
            if let Some(stored) = self.approved_path(id, &last.hash) {
                fsutil::write_atomic(&stored, plan.normalised().as_bytes())?;
            }
        }
        let text = plan.render_with(status, &chain);
        fsutil::write_atomic(&path, text.as_bytes())?;
        let written = self.read(&path)?;
        let out = after(&lock, &written)?;
        Ok((written, out))
    }

    /// Plan ids in use, for suggestions.
    pub fn ids(&self) -> Vec<u32> {
        self.files().into_iter().map(|(id, _)| id).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_hash_harness_writes_names_an_approved_text() {
        let store = Store::open(&Project::with_defaults("/p"));
        let hex = "0123456789abcdef".repeat(4);
        assert_eq!(
            store.approved_path(7, &format!("sha256:{hex}")),
            Some(PathBuf::from("/p/plans/0007/approved/0123456789abcdef.md"))
        );
        // Edited by hand: a path, a pipe, too short, not hex, cut inside a
        // character. None names a file, and none panics.
        for hash in [
            "/tmp/fifo",
            "sha256:/../../../../etc/passwd",
            "sha256:/tmp/fifo/xxxxxxx",
            "sha256:0",
            "sha256:aéééééééé",
            "0123456789abcdef0123",
            "",
        ] {
            assert_eq!(store.approved_path(7, hash), None, "{hash}");
        }
    }

    #[test]
    fn ids_as_people_write_them() {
        assert_eq!(parse_id("7"), Some(7));
        assert_eq!(parse_id("0007"), Some(7));
        assert_eq!(parse_id("0007-presence"), Some(7));
        assert_eq!(parse_id("plans/0012-x.md"), Some(12));
        assert_eq!(parse_id("x7"), None);
        assert_eq!(parse_id("7x"), None);
        assert_eq!(parse_id(""), None);
    }
}
