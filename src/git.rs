//! The one place harness reads git, with libgit2 (no `git` binary needed):
//! which commits a range holds, what each one changed, the files of a
//! directory as of a commit, what is staged, the state of the work tree a
//! gate run saw, and the files changed since a revision.
//!
//! A range is `BASE..TIP`, or a tip alone, whose base is then `--base`, or
//! the merge base with the default branch (`origin/HEAD`, else `main` or
//! `master`), or nothing (the whole history).

use std::path::{Path, PathBuf};

use git2::{DiffOptions, ObjectType, Oid, Repository, StatusOptions};

use crate::diagnostic::{Code, Diagnostic};
use crate::error::{Error, Result};

fn git_error(what: String, e: &git2::Error) -> Error {
    Diagnostic::error(Code::Git, format!("{what}: {}", e.message()))
        .hint("run inside a git repository, and name revisions `git rev-parse` knows")
        .into()
}

pub fn open(dir: &Path) -> Result<Repository> {
    Repository::discover(dir).map_err(|e| {
        git_error(
            format!("cannot open a git repository at `{}`", dir.display()),
            &e,
        )
    })
}

/// The git directories of the work tree at `root`, found without opening
/// the repository: its own (`.git`, or a linked worktree's directory named
/// by the `.git` file) and the common one holding objects, refs and config
/// (the same directory for a main work tree).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dirs {
    pub own: PathBuf,
    pub common: PathBuf,
}

/// [`dirs`] of the repository `dir` lies in: `dir` or the nearest of its
/// parents that holds a `.git` (a project in a subdirectory of its
/// repository).
pub fn dirs_above(dir: &Path) -> Option<Dirs> {
    // A relative `.` has no parents to walk up to.
    let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    dir.ancestors().find_map(dirs)
}

/// The branch checked out in the work tree of `dirs` (`main` for
/// `refs/heads/main`), or `None` when `HEAD` is detached or unreadable.
pub fn branch(dirs: &Dirs) -> Option<String> {
    let head = std::fs::read_to_string(dirs.own.join("HEAD")).ok()?;
    head.trim()
        .strip_prefix("ref: refs/heads/")
        .map(str::to_string)
}

/// See [`Dirs`]; `None` when `root` holds no `.git`.
pub fn dirs(root: &Path) -> Option<Dirs> {
    let dot_git = root.join(".git");
    if dot_git.is_dir() {
        return Some(Dirs {
            common: dot_git.clone(),
            own: dot_git,
        });
    }
    let text = std::fs::read_to_string(&dot_git).ok()?;
    let own = root.join(text.trim().strip_prefix("gitdir:")?.trim());
    let common = match std::fs::read_to_string(own.join("commondir")) {
        Ok(c) => own.join(c.trim()),
        Err(_) => own.clone(),
    };
    Some(Dirs { own, common })
}

/// Where the directory `dir` lies inside `repo`'s work tree: empty at its
/// top, `services/chat` for a project in that subdirectory. Paths read from
/// a commit are joined to it.
pub fn prefix(dir: &Path, repo: &Repository) -> PathBuf {
    let top = repo.workdir().unwrap_or(dir);
    let top = std::fs::canonicalize(top).unwrap_or_else(|_| top.to_path_buf());
    let here = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    here.strip_prefix(&top)
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// `paths` as git gives them (relative to the repository's top, `/`
/// between parts) made relative to `prefix`, a project's directory in the
/// repository (see [`prefix`]), as the project's plans and rules name
/// files. A path outside the project climbs out of it with `..`, so no
/// rule of the project matches it by accident.
pub fn relative_to(prefix: &Path, paths: Vec<String>) -> Vec<String> {
    let prefix: Vec<String> = prefix
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if prefix.is_empty() {
        return paths;
    }
    paths
        .into_iter()
        .map(|path| {
            let parts: Vec<&str> = path.split('/').collect();
            let mut shared = prefix
                .iter()
                .zip(&parts)
                .take_while(|(a, b)| a.as_str() == **b)
                .count();
            // The project's directory itself, or one above it (as a file,
            // in a diff that changed its kind): named from outside it.
            if shared == parts.len() {
                shared -= 1;
            }
            let mut out: Vec<&str> = vec![".."; prefix.len() - shared];
            out.extend(&parts[shared..]);
            out.join("/")
        })
        .collect()
}

/// The commits to check: everything reachable from `tip` and not from `hide`.
#[derive(Debug, Clone)]
pub struct Range {
    pub tip: Oid,
    pub hide: Option<Oid>,
    /// How the base was chosen, for the report.
    pub base_from: String,
}

fn resolve(repo: &Repository, rev: &str) -> Result<Oid> {
    repo.revparse_single(rev)
        .and_then(|o| o.peel_to_commit())
        .map(|c| c.id())
        .map_err(|e| git_error(format!("unknown revision `{rev}`"), &e))
}

/// The default branch, if this repository has one other than the tip.
fn default_branch(repo: &Repository) -> Option<(String, Oid)> {
    let mut names = Vec::new();
    if let Ok(r) = repo.find_reference("refs/remotes/origin/HEAD")
        && let Ok(Some(target)) = r.symbolic_target()
    {
        names.push(target.to_string());
    }
    for n in [
        "refs/remotes/origin/main",
        "refs/remotes/origin/master",
        "refs/heads/main",
        "refs/heads/master",
    ] {
        names.push(n.to_string());
    }
    names.into_iter().find_map(|n| {
        let oid = repo.refname_to_id(&n).ok()?;
        let short = n
            .strip_prefix("refs/remotes/")
            .or_else(|| n.strip_prefix("refs/heads/"))
            .unwrap_or(&n)
            .to_string();
        Some((short, oid))
    })
}

/// Resolves `RANGE` (`A..B` or `B`, default `HEAD`) and `--base`.
pub fn range(repo: &Repository, spec: Option<&str>, base: Option<&str>) -> Result<Range> {
    let spec = spec.unwrap_or("HEAD");
    if let Some((from, to)) = spec.split_once("..") {
        if from.is_empty() || to.starts_with('.') {
            return Err(Error::usage(format!(
                "`{spec}`: give a range as `BASE..TIP` (the three-dot form is not supported)"
            )));
        }
        let to = if to.is_empty() { "HEAD" } else { to };
        return Ok(Range {
            tip: resolve(repo, to)?,
            hide: Some(resolve(repo, from)?),
            base_from: from.to_string(),
        });
    }
    let tip = resolve(repo, spec)?;
    if let Some(base) = base {
        return Ok(Range {
            tip,
            hide: Some(resolve(repo, base)?),
            base_from: base.to_string(),
        });
    }
    if let Some((name, branch)) = default_branch(repo) {
        let merge_base = repo
            .merge_base(tip, branch)
            .map_err(|e| git_error(format!("no merge base of `{spec}` and `{name}`"), &e))?;
        return Ok(Range {
            tip,
            hide: Some(merge_base),
            base_from: format!("merge base with {name}"),
        });
    }
    Ok(Range {
        tip,
        hide: None,
        base_from: "the first commit".to_string(),
    })
}

/// What the checker needs of a commit, owned so it can cross threads.
#[derive(Debug, Clone)]
pub struct CommitData {
    pub id: Oid,
    pub message: String,
    pub parents: usize,
}

/// Commits travel between the walk's stages in batches, to keep the
/// channels' locking and the checker's wake-ups off the hot path. A batch
/// is sent when it is full, or earlier when the checker has nothing left
/// to check and the batch holds [`MIN_BATCH`] commits or a quarter of
/// those sent so far: a short history is then checked as it is read, not
/// mostly after, while a long one is sent in few batches. Each batch
/// wakes the checker, which costs tens of microseconds on a virtual
/// machine: a sixteenth made the check of a 400-commit history 5% slower.
const BATCH: usize = 256;
const MIN_BATCH: usize = 8;
/// How many batches may wait to be checked. One in unit tests, so that a
/// short history fills it.
const QUEUE: usize = if cfg!(test) { 1 } else { 64 };

/// What the reading thread sends: commits as it reads them and, at the
/// end, those of them that turned out to be reachable from the base.
enum Found {
    Commits(Batch),
    Retract(Vec<Oid>),
    /// All was sent: the checker need not wait for the reading thread to
    /// close the repository (unmapping its packs can take a millisecond).
    End,
}

/// The reading side of the channel to the checker, with a count of the
/// batches sent that the checker has not finished: at none, it is idle.
struct Outbox {
    tx: std::sync::mpsc::SyncSender<Result<Found>>,
    unchecked: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    /// Commits sent so far.
    commits: usize,
}

impl Outbox {
    /// `false` once nobody receives.
    fn send(&self, found: Result<Found>) -> bool {
        self.unchecked
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.tx.send(found).is_ok()
    }

    /// Sends `batch` when it is ready (see [`BATCH`]); `false` when the
    /// receiver has gone and the walk should stop.
    fn send_ready(&mut self, batch: &mut Batch) -> bool {
        let idle = self.unchecked.load(std::sync::atomic::Ordering::Relaxed) == 0;
        if !batch_ready(batch.len(), idle, self.commits) {
            return true;
        }
        self.commits += batch.len();
        let full = std::mem::replace(batch, Batch::with_capacity(BATCH));
        self.send(Ok(Found::Commits(full)))
    }
}

/// Whether a batch of `len` commits goes now, `sent` having gone before
/// (see [`BATCH`]).
fn batch_ready(len: usize, checker_idle: bool, sent: usize) -> bool {
    len >= BATCH || (checker_idle && len >= MIN_BATCH.max(sent / 4))
}

/// Commits read, their messages in one buffer: each message is then
/// allocated and freed on the checking thread, not allocated on one and
/// freed on the other, which makes the allocator take locks. Messages are
/// made text (invalid UTF-8 replaced) as they are read, which leaves the
/// checking thread, the busier one, less to do.
#[derive(Default)]
struct Batch {
    messages: String,
    /// Id, where its message lies in `messages`, number of parents.
    commits: Vec<(Oid, std::ops::Range<usize>, usize)>,
}

impl Batch {
    fn with_capacity(commits: usize) -> Batch {
        Batch {
            messages: String::with_capacity(commits * 256),
            commits: Vec::with_capacity(commits),
        }
    }

    fn len(&self) -> usize {
        self.commits.len()
    }

    fn push(&mut self, id: Oid, message: &[u8], parents: usize) {
        let start = self.messages.len();
        // Most messages are valid UTF-8, which the plain check confirms
        // fastest; only the rest go through the replacing one.
        match std::str::from_utf8(message) {
            Ok(text) => self.messages.push_str(text),
            Err(_) => self.messages.push_str(&String::from_utf8_lossy(message)),
        }
        self.commits.push((id, start..self.messages.len(), parents));
    }
}

/// Calls `each` on every commit of the range, newest first (by committer
/// date, as `git log` lists them), and returns what it returned, in that
/// order; an error `each` returned for a commit of the range ends it.
/// [`Walk::start`] and [`Walk::each`] in one.
pub fn walk<T>(
    repo: &Repository,
    range: &Range,
    first_parent: bool,
    each: impl FnMut(CommitData) -> Result<T>,
) -> Result<Vec<T>> {
    Walk::start(repo, range, first_parent).each(each)
}

/// A walk of a range, reading on its own thread from the moment it starts,
/// so that whatever the caller prepares meanwhile (the policy the commits
/// are judged by) overlaps the reading.
///
/// The walk reads each commit once, straight from the object database:
/// libgit2's revwalk followed by a commit lookup inflates every commit
/// twice, and inflating is most of the cost of reading a history. A commit
/// is handed on as soon as it is read, before the walk knows whether the
/// base reaches it by a path not yet seen. Those the base turns out to
/// reach are dropped from the result, errors included, so the answer is
/// the same as checking after the walk.
pub struct Walk {
    found: Option<std::sync::mpsc::Receiver<Result<Found>>>,
    /// [`Outbox::unchecked`], counted down as each batch is checked.
    unchecked: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Walk {
    pub fn start(repo: &Repository, range: &Range, first_parent: bool) -> Walk {
        let path = repo.path().to_path_buf();
        Walk::spawn(
            move || {
                Repository::open(&path)
                    .map_err(|e| git_error("cannot open the repository".into(), &e))
            },
            range,
            first_parent,
        )
    }

    /// [`Walk::start`] with a repository the walk takes, so that it starts
    /// reading at once instead of opening its own first.
    pub fn start_with(repo: Repository, range: &Range, first_parent: bool) -> Walk {
        Walk::spawn(move || Ok(repo), range, first_parent)
    }

    fn spawn(
        open: impl FnOnce() -> Result<Repository> + Send + 'static,
        range: &Range,
        first_parent: bool,
    ) -> Walk {
        // libgit2 hashes every object it reads to verify it; git log does
        // not, and on a long history that check costs as much as the walk
        // itself. Integrity is `git fsck`'s business, not a commit
        // checker's; what harness reads as policy it verifies itself
        // ([`CommitFiles`]). Each commit is read once, so
        // caching what was read only costs time.
        git2::opts::strict_hash_verification(false);
        git2::opts::enable_caching(false);
        let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Found>>(QUEUE);
        let unchecked = std::sync::Arc::default();
        let mut out = Outbox {
            tx,
            unchecked: std::sync::Arc::clone(&unchecked),
            commits: 0,
        };
        let range = range.clone();
        let reader = spawn_apart(move || {
            let result = open().and_then(|repo| {
                let mut walker = Walker::new(&repo, first_parent)?;
                walker.run(&range, &mut out)?;
                out.send(Ok(Found::End));
                Ok(())
            });
            if let Err(e) = result {
                out.send(Err(e));
            }
        });
        Walk {
            found: Some(rx),
            unchecked,
            reader: Some(reader),
        }
    }

    /// Calls `each` on every commit of the range as it is read, newest
    /// first, and returns what it returned, in that order.
    pub fn each<T>(mut self, mut each: impl FnMut(CommitData) -> Result<T>) -> Result<Vec<T>> {
        let Some(found) = self.found.take() else {
            return Ok(Vec::new());
        };
        let mut out: Vec<(Oid, Result<T>)> = Vec::new();
        let mut ended = false;
        for item in found {
            match item? {
                Found::End => {
                    ended = true;
                    break;
                }
                Found::Commits(batch) => {
                    for (id, message, parents) in batch.commits {
                        let message = batch.messages[message].to_owned();
                        let commit = CommitData {
                            id,
                            message,
                            parents,
                        };
                        out.push((id, each(commit)));
                    }
                }
                Found::Retract(ids) => {
                    let ids: std::collections::HashSet<Oid> = ids.into_iter().collect();
                    out.retain(|(id, _)| !ids.contains(id));
                }
            }
            self.unchecked
                .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
        }
        // A reading thread that ended cleanly is left to finish on its
        // own; one that did not is waited for, so that its panic is not
        // lost.
        if let Some(reader) = self.reader.take().filter(|_| !ended) {
            reader
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        }
        out.into_iter().map(|(_, r)| r).collect()
    }
}

/// Starts `f` on a new thread moved off the CPU its creator runs on,
/// where the process may use another (see [`apart`]).
fn spawn_apart<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> std::thread::JoinHandle<T> {
    /// Holds a thread, until it has been moved, from ending, even by a
    /// panic: an ended thread's id is 0, which the affinity call would
    /// take for its caller's own.
    struct Unmoved(std::sync::mpsc::Receiver<()>);
    impl Drop for Unmoved {
        fn drop(&mut self) {
            let _ = self.0.recv();
        }
    }
    let (placed, wait) = std::sync::mpsc::sync_channel::<()>(0);
    let thread = std::thread::spawn(move || {
        let _unmoved = Unmoved(wait);
        f()
    });
    let _ = apart(&thread);
    drop(placed);
    thread
}

/// Moves a thread just started, and not ended, off the CPU its creator
/// runs on, where the process may use another, and says which CPU that
/// was. The scheduler leaves a new thread on its creator's CPU until the
/// creator blocks: on a two-CPU virtual machine the reading thread waited
/// there while the policy was read (about a millisecond of a 6 ms check)
/// with the other CPU idle, in most runs. The thread stays off that CPU
/// until it ends, which the creator, free to move, does not mind; in a
/// process allowed one CPU nothing changes.
#[cfg(target_os = "linux")]
fn apart<T>(thread: &std::thread::JoinHandle<T>) -> Option<usize> {
    use std::os::unix::thread::JoinHandleExt;
    let size = std::mem::size_of::<libc::cpu_set_t>();
    // SAFETY: `sched_getcpu`, and the affinity calls on a zeroed set of
    // the size they are given and a thread that has neither ended nor
    // been joined.
    unsafe {
        let here = usize::try_from(libc::sched_getcpu())
            .ok()
            .filter(|&cpu| cpu < 8 * size)?;
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, size, &mut set) != 0 || libc::CPU_COUNT(&set) < 2 {
            return None;
        }
        libc::CPU_CLR(here, &mut set);
        // A refusal leaves the thread where the scheduler put it.
        (libc::pthread_setaffinity_np(thread.as_pthread_t(), size, &set) == 0).then_some(here)
    }
}

#[cfg(not(target_os = "linux"))]
fn apart<T>(_: &std::thread::JoinHandle<T>) -> Option<usize> {
    None
}

impl Drop for Walk {
    /// A walk given up (its caller failed before reading it) stops at its
    /// next send, which fails once nobody receives.
    fn drop(&mut self) {
        drop(self.found.take());
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }
}

const QUEUED: u8 = 1;
const UNINTERESTING: u8 = 2;
const DONE: u8 = 4;

/// Extra commits read once only excluded ones are left, in case of clock
/// skew (git's `SLOP`).
const SLOP: usize = 5;

struct Node {
    time: i64,
    parents: Vec<Oid>,
    /// The raw message, until the commit is sent.
    message: Vec<u8>,
    flags: u8,
}

/// git's date-ordered walk with exclusion (`limit_list`): commits come off a
/// queue newest first; those reachable from the base are marked excluded,
/// and the walk stops once only excluded commits are queued.
struct Walker<'r> {
    odb: git2::Odb<'r>,
    first_parent: bool,
    nodes: std::collections::HashMap<Oid, Node, OidHash>,
    queue: std::collections::BinaryHeap<(i64, std::cmp::Reverse<u64>, Oid)>,
    seq: u64,
    interesting_queued: usize,
}

impl<'r> Walker<'r> {
    fn new(repo: &'r Repository, first_parent: bool) -> Result<Self> {
        Ok(Walker {
            odb: repo
                .odb()
                .map_err(|e| git_error("cannot open the object database".into(), &e))?,
            first_parent,
            nodes: std::collections::HashMap::default(),
            queue: std::collections::BinaryHeap::new(),
            seq: 0,
            interesting_queued: 0,
        })
    }

    /// Reads and parses a commit; `None` when it is missing (the edge of a
    /// shallow clone).
    fn load(&self, id: Oid) -> Result<Option<Node>> {
        let obj = match self.odb.read(id) {
            Ok(o) => o,
            Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(None),
            Err(e) => return Err(git_error(format!("cannot read commit {id}"), &e)),
        };
        if obj.kind() != ObjectType::Commit {
            return Err(Diagnostic::error(Code::Git, format!("`{id}` is not a commit")).into());
        }
        Ok(Some(parse_commit(obj.data())))
    }

    fn push(&mut self, id: Oid, uninteresting: bool) -> Result<()> {
        if self.nodes.contains_key(&id) {
            if uninteresting {
                self.mark(id);
            }
            return Ok(());
        }
        let Some(mut node) = self.load(id)? else {
            return Ok(());
        };
        node.flags = QUEUED | if uninteresting { UNINTERESTING } else { 0 };
        if !uninteresting {
            self.interesting_queued += 1;
        }
        self.seq += 1;
        self.queue
            .push((node.time, std::cmp::Reverse(self.seq), id));
        self.nodes.insert(id, node);
        Ok(())
    }

    /// Marks a commit and everything already known below it excluded.
    fn mark(&mut self, id: Oid) {
        let mut stack = vec![id];
        while let Some(id) = stack.pop() {
            let Some(node) = self.nodes.get_mut(&id) else {
                continue;
            };
            if node.flags & UNINTERESTING != 0 {
                continue;
            }
            node.flags |= UNINTERESTING;
            if node.flags & QUEUED != 0 {
                self.interesting_queued -= 1;
            }
            if node.flags & DONE != 0 {
                stack.extend(node.parents.iter().copied());
            }
        }
    }

    fn run(&mut self, range: &Range, out: &mut Outbox) -> Result<()> {
        if self.load(range.tip)?.is_none() {
            return Err(
                Diagnostic::error(Code::Git, format!("commit {} is missing", range.tip)).into(),
            );
        }
        if let Some(hide) = range.hide {
            self.push(hide, true)?;
        }
        self.push(range.tip, false)?;
        // Every commit is sent when it is read. With a base, one sent may
        // be reached from it later, by a path read after; those are named
        // at the end.
        let mut sent: Vec<Oid> = Vec::new();
        let mut batch = Batch::with_capacity(BATCH);
        let mut slop = SLOP;
        while let Some((_, _, id)) = self.queue.pop() {
            let node = self.nodes.get_mut(&id).expect("queued commits are known");
            node.flags = (node.flags & !QUEUED) | DONE;
            let excluded = node.flags & UNINTERESTING != 0;
            // Lent out while the parents are queued, and put back: `mark`
            // follows them later.
            let parents = std::mem::take(&mut node.parents);
            let follow = if self.first_parent && !excluded {
                parents.len().min(1)
            } else {
                parents.len()
            };
            if !excluded {
                self.interesting_queued -= 1;
                if range.hide.is_some() {
                    sent.push(id);
                }
                batch.push(id, &std::mem::take(&mut node.message), parents.len());
                if !out.send_ready(&mut batch) {
                    return Ok(());
                }
            }
            for &p in &parents[..follow] {
                self.push(p, excluded)?;
            }
            self.nodes
                .get_mut(&id)
                .expect("queued commits are known")
                .parents = parents;
            if self.interesting_queued == 0 {
                if slop == 0 {
                    break;
                }
                slop -= 1;
            } else {
                slop = SLOP;
            }
        }
        if batch.len() > 0 && !out.send(Ok(Found::Commits(batch))) {
            return Ok(());
        }
        let reached: Vec<Oid> = sent
            .into_iter()
            .filter(|id| self.nodes[id].flags & UNINTERESTING != 0)
            .collect();
        if !reached.is_empty() {
            out.send(Ok(Found::Retract(reached)));
        }
        Ok(())
    }
}

/// Object ids are SHA-1 digests, already uniformly distributed: their first
/// eight bytes are as good a hash as any, at no cost.
type OidHash = std::hash::BuildHasherDefault<OidHasher>;

#[derive(Default)]
struct OidHasher(u64);

impl std::hash::Hasher for OidHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes.iter().take(8) {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
}

/// A raw commit: `parent` headers, the committer's time, and the message
/// after the first blank line (leading newlines dropped, as libgit2 does).
fn parse_commit(data: &[u8]) -> Node {
    let mut parents = Vec::new();
    let mut time = 0;
    // The header ends at the first empty line; the message follows.
    let mut rest = data;
    while !rest.is_empty() {
        let (line, after) = match memchr::memchr(b'\n', rest) {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &[][..]),
        };
        rest = after;
        if line.is_empty() {
            break;
        }
        if let Some(hex) = line.strip_prefix(b"parent ") {
            if let Some(oid) = parent_id(hex) {
                parents.push(oid);
            }
        } else if let Some(who) = line.strip_prefix(b"committer ") {
            // `NAME <EMAIL> TIME ZONE`
            time = who
                .rsplit(|&b| b == b' ')
                .nth(1)
                .and_then(|t| std::str::from_utf8(t).ok())
                .and_then(|t| t.parse().ok())
                .unwrap_or(0);
        }
    }
    let start = rest.iter().position(|&b| b != b'\n').unwrap_or(rest.len());
    Node {
        time,
        parents,
        message: rest[start..].to_vec(),
        flags: 0,
    }
}

/// A `parent` line's id. Git writes 40 lower-case hex digits, decoded
/// here directly; anything else goes through libgit2's parser, which
/// takes what it did before (surrounding space, upper case).
fn parent_id(hex: &[u8]) -> Option<Oid> {
    let mut raw = [0u8; 20];
    if hex.len() == 40
        && let Ok(bytes) = base16ct::lower::decode(hex, &mut raw)
    {
        return Oid::from_bytes(bytes).ok();
    }
    std::str::from_utf8(hex)
        .ok()
        .and_then(|h| Oid::from_str(h.trim()).ok())
}

/// The paths a commit changed, against its first parent (or nothing, for a
/// root commit). A merge is judged by its resolution: the paths where the
/// result differs from the first parent and from every other parent, so
/// what a merged branch brought (checked as its own commits) is left out,
/// and what the merge itself rewrote is not. With `whole_merge`, a merge
/// answers for everything it brought over its first parent, as it must when
/// the merged commits are not walked (`--first-parent`).
pub fn changed_paths(repo: &Repository, id: Oid, whole_merge: bool) -> Result<Vec<String>> {
    let fail = |e: git2::Error| git_error(format!("cannot diff commit {id}"), &e);
    let commit = repo.find_commit(id).map_err(fail)?;
    let tree = commit.tree().map_err(fail)?;
    let parent = match commit.parent(0) {
        Ok(p) => Some(p.tree().map_err(fail)?),
        Err(_) => None,
    };
    let mut opts = DiffOptions::new();
    opts.skip_binary_check(true);
    let diff = repo
        .diff_tree_to_tree(parent.as_ref(), Some(&tree), Some(&mut opts))
        .map_err(fail)?;
    let paths = delta_paths(&diff);
    if whole_merge || commit.parent_count() < 2 {
        return Ok(paths);
    }
    let others: Vec<git2::Tree> = commit
        .parents()
        .skip(1)
        .map(|p| p.tree())
        .collect::<std::result::Result<_, _>>()
        .map_err(fail)?;
    let entry = |t: &git2::Tree, p: &str| {
        t.get_path(Path::new(p))
            .ok()
            .map(|e| (e.id(), e.filemode()))
    };
    Ok(paths
        .into_iter()
        .filter(|p| {
            let result = entry(&tree, p);
            others.iter().all(|o| entry(o, p) != result)
        })
        .collect())
}

/// Reads one file as of `commit`; `None` when the commit has no such file.
pub fn read_at(repo: &Repository, commit: Oid, path: &Path) -> Result<Option<Vec<u8>>> {
    CommitFiles::new(repo, commit).read(path)
}

/// A commit's files, read from the object database as they are asked for.
/// Every object is hashed and checked against its id before use (an
/// edited object store cannot swap a file), and each tree is read once
/// however many paths go through it.
pub struct CommitFiles<'r> {
    repo: &'r Repository,
    commit: Oid,
    /// The verified trees read so far, by id.
    trees: std::cell::RefCell<std::collections::HashMap<Oid, std::rc::Rc<[u8]>>>,
    root: std::cell::OnceCell<Oid>,
}

impl<'r> CommitFiles<'r> {
    /// Nothing is read until a path is asked for.
    pub fn new(repo: &'r Repository, commit: Oid) -> Self {
        CommitFiles {
            repo,
            commit,
            trees: Default::default(),
            root: std::cell::OnceCell::new(),
        }
    }

    /// The file at `path` (relative to the repository root); `None` when
    /// the commit has no such file.
    pub fn read(&self, path: &Path) -> Result<Option<Vec<u8>>> {
        match self.entry(path)? {
            Some((Entry::File, id)) => Ok(Some(verified(self.repo, id, ObjectType::Blob, path)?)),
            _ => Ok(None),
        }
    }

    /// The files under `dir` (relative to the repository root), each with
    /// its path relative to the repository root, so that code reading a
    /// working tree can read the commit's state (see
    /// [`crate::files::Files::in_memory`]). A link is a file whose bytes
    /// are its target; a submodule is skipped.
    ///
    /// The commit is the branch under test's as often as not, so its trees
    /// are not trusted to be ones git would write: an entry named `..`, or
    /// with a `/` in its name, would make a path that leads out of `dir`,
    /// and is refused, as is a directory holding more than a bound.
    pub fn files_under(&self, dir: &Path) -> Result<Vec<(PathBuf, Vec<u8>)>> {
        self.walk_under(dir, true)
    }

    /// What [`CommitFiles::files_under`] would refuse in `dir` (a name
    /// that leads out of it, more than the bounds hold, a file the clone
    /// lacks), found from the trees and the files' object headers alone:
    /// no file is inflated.
    pub fn check_under(&self, dir: &Path) -> Result<()> {
        self.walk_under(dir, false).map(drop)
    }

    fn walk_under(&self, dir: &Path, read: bool) -> Result<Vec<(PathBuf, Vec<u8>)>> {
        let Some((Entry::Dir, id)) = self.entry(dir)? else {
            return Ok(Vec::new());
        };
        let commit = self.commit;
        let mut out = Vec::new();
        let mut bytes_read = 0;
        // Every entry visited counts, not only files: empty trees named
        // many times over, level after level, are no files but could ask
        // for a walk of billions of paths.
        let mut visited = 0;
        let odb = self.repo.odb().ok();
        // `./plans` names `plans`: paths are given as the tree has them.
        let dir: PathBuf = dir
            .components()
            .filter(|c| *c != std::path::Component::CurDir)
            .collect();
        let mut trees = vec![(dir.clone(), id)];
        while let Some((at, id)) = trees.pop() {
            let bytes = self.tree(id, &at)?;
            for (kind, name, id) in tree_entries(&bytes, &at)? {
                let path = at.join(safe_name(name, &at)?);
                visited += 1;
                if kind == Entry::File {
                    // Its size is known before it is inflated: one huge
                    // file is refused without being held in memory.
                    let header = odb.as_ref().map(|odb| odb.read_header(id));
                    bytes_read += match header {
                        Some(Ok((size, _))) => size,
                        Some(Err(e)) if !read => return Err(unreadable(id, &path, &e)),
                        _ => 0,
                    };
                    if read && bytes_read <= EXPORT_BYTES {
                        let bytes = verified(self.repo, id, ObjectType::Blob, &path)?;
                        out.push((path, bytes));
                    }
                } else if kind == Entry::Dir {
                    trees.push((path, id));
                }
                if visited > EXPORT_FILES || bytes_read > EXPORT_BYTES {
                    return Err(Diagnostic::error(
                        Code::Git,
                        format!(
                            "`{}` holds more than {EXPORT_FILES} entries or {} MiB as of commit {commit}",
                            dir.display(),
                            EXPORT_BYTES >> 20
                        ),
                    )
                    .hint("policy, skills and plans are read from these directories; keep other files out of them")
                    .into());
                }
            }
        }
        Ok(out)
    }

    /// The tree `id`, verified, read once.
    fn tree(&self, id: Oid, at: &Path) -> Result<std::rc::Rc<[u8]>> {
        if let Some(bytes) = self.trees.borrow().get(&id) {
            return Ok(bytes.clone());
        }
        let bytes: std::rc::Rc<[u8]> = verified(self.repo, id, ObjectType::Tree, at)?.into();
        self.trees.borrow_mut().insert(id, bytes.clone());
        Ok(bytes)
    }

    /// The commit's root tree.
    fn root(&self, path: &Path) -> Result<Oid> {
        if let Some(id) = self.root.get() {
            return Ok(*id);
        }
        let commit = self.commit;
        let bytes = verified(self.repo, commit, ObjectType::Commit, path)?;
        let id = bytes
            .strip_prefix(b"tree ")
            .and_then(|rest| rest.get(..40))
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| Oid::from_str(hex).ok())
            .ok_or_else(|| {
                Error::from(
                    Diagnostic::error(Code::Git, format!("commit {commit} cannot be read"))
                        .hint("the repository is damaged; run `git fsck`"),
                )
            })?;
        Ok(*self.root.get_or_init(|| id))
    }

    /// What `path` names in the commit, and its id; `None` when nothing,
    /// or when the path is empty or leaves the tree.
    fn entry(&self, path: &Path) -> Result<Option<(Entry, Oid)>> {
        use std::path::Component;
        let mut parts = Vec::new();
        for part in path.components() {
            match part {
                Component::Normal(name) => parts.push(name),
                Component::CurDir => {}
                _ => return Ok(None),
            }
        }
        if parts.is_empty() {
            return Ok(None);
        }
        let mut id = self.root(path)?;
        let mut at = PathBuf::new();
        for (i, part) in parts.iter().enumerate() {
            let tree = self.tree(id, &at)?;
            let Some((kind, _, found)) = tree_entries(&tree, &at)?
                .into_iter()
                .find(|(_, name, _)| *name == part.as_encoded_bytes())
            else {
                return Ok(None);
            };
            if i + 1 == parts.len() {
                return Ok(Some((kind, found)));
            }
            if kind != Entry::Dir {
                return Ok(None);
            }
            at.push(part);
            id = found;
        }
        Ok(None)
    }
}

/// Bounds on one read of a directory, in entries visited and bytes read:
/// a few objects can name one subtree under many names, level after
/// level, and ask for more files than a disk holds.
const EXPORT_FILES: usize = 100_000;
/// (1 MiB in unit tests, so that a test can pass it.)
const EXPORT_BYTES: usize = if cfg!(test) { 1 << 20 } else { 256 << 20 };

/// What a tree entry is, by its mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entry {
    Dir,
    /// A file or a symbolic link (whose bytes are its target).
    File,
    /// A submodule's commit.
    Other,
}

/// The entries of a tree object's bytes (`MODE SP NAME NUL ID`, repeated),
/// each kind told by its mode's type bits as git tells it.
fn tree_entries<'a>(bytes: &'a [u8], at: &Path) -> Result<Vec<(Entry, &'a [u8], Oid)>> {
    let bad = || {
        Error::from(
            Diagnostic::error(
                Code::Git,
                format!("the tree of `{}` cannot be read", at.display()),
            )
            .hint("the repository is damaged; run `git fsck`"),
        )
    };
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let nul = memchr::memchr(0, rest).ok_or_else(bad)?;
        let space = memchr::memchr(b' ', &rest[..nul]).ok_or_else(bad)?;
        let mode = std::str::from_utf8(&rest[..space])
            .ok()
            .and_then(|m| u32::from_str_radix(m, 8).ok())
            .ok_or_else(bad)?;
        let kind = match mode & 0o170_000 {
            0o040_000 => Entry::Dir,
            0o100_000 | 0o120_000 => Entry::File,
            0o160_000 => Entry::Other,
            _ => return Err(bad()),
        };
        let id = rest.get(nul + 1..nul + 21).ok_or_else(bad)?;
        out.push((
            kind,
            &rest[space + 1..nul],
            Oid::from_bytes(id).map_err(|_| bad())?,
        ));
        rest = &rest[nul + 21..];
    }
    // git writes each name once (`git fsck` calls a repeat an error); a
    // tree made by hand could name a file twice, and readers that take
    // the first and the last would disagree.
    let mut names: Vec<&[u8]> = out.iter().map(|(_, name, _)| *name).collect();
    names.sort_unstable();
    if names.windows(2).any(|w| w[0] == w[1]) {
        return Err(bad());
    }
    Ok(out)
}

/// A tree entry's name as one path component, refused when it would be
/// anything else: empty, `.`, `..`, or holding a separator (on Windows
/// also `\\`, a drive or a stream).
fn safe_name<'a>(name: &'a [u8], at: &Path) -> Result<&'a std::ffi::OsStr> {
    use std::path::Component;
    #[cfg(unix)]
    let os = Some(<std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(name));
    #[cfg(not(unix))]
    let os = std::str::from_utf8(name)
        .ok()
        .filter(|n| !n.contains(['\\', ':']))
        .map(std::ffi::OsStr::new);
    if let Some(os) = os {
        let mut parts = Path::new(os).components();
        if let (Some(Component::Normal(part)), None) = (parts.next(), parts.next())
            && part == os
        {
            return Ok(os);
        }
    }
    Err(Diagnostic::error(
        Code::Git,
        format!(
            "the tree of `{}` has an entry named {:?}, which would lead outside its directory",
            at.display(),
            String::from_utf8_lossy(name)
        ),
    )
    .hint(
        "git itself never writes such a name: the commit was made by other means, and is not read",
    )
    .into())
}

/// Why object `id`, the file or tree at `path`, could not be read.
fn unreadable(id: Oid, path: &Path, e: &git2::Error) -> Error {
    if e.code() == git2::ErrorCode::NotFound {
        Diagnostic::error(
            Code::Git,
            format!("`{}` ({id}) is not in this clone", path.display()),
        )
        .hint("fetch the whole history (in CI: `fetch-depth: 0`, and no `--filter`)")
        .into()
    } else {
        git_error(format!("cannot read `{}`", path.display()), e)
    }
}

/// Object `id`'s bytes, once they are known to hash to `id`. What harness
/// reads as policy is checked here, and only the bytes checked are used,
/// whatever libgit2's own check is set to ([`Walk`] turns it off, for
/// commits): a damaged or edited object store cannot change the policy a
/// commit is judged by.
fn verified(repo: &Repository, id: Oid, kind: ObjectType, path: &Path) -> Result<Vec<u8>> {
    let fail = |e: git2::Error| git_error(format!("cannot read `{}`", path.display()), &e);
    let odb = repo.odb().map_err(fail)?;
    let object = odb.read(id).map_err(|e| unreadable(id, path, &e))?;
    match Oid::hash_object(object.kind(), object.data()) {
        Ok(actual) if actual == id && object.kind() == kind => Ok(object.data().to_vec()),
        _ => Err(Diagnostic::error(
            Code::Git,
            format!(
                "the object for `{}` ({id}) does not match its id",
                path.display()
            ),
        )
        .hint("the repository is damaged; run `git fsck`")
        .into()),
    }
}

/// Every path a diff touches, old and new names, each once, in order.
fn delta_paths(diff: &git2::Diff<'_>) -> Vec<String> {
    let mut paths: Vec<String> = Vec::new();
    for delta in diff.deltas() {
        for f in [delta.old_file(), delta.new_file()] {
            if let Some(p) = f.path().and_then(Path::to_str)
                && !paths.iter().any(|q| q == p)
            {
                paths.push(p.to_string());
            }
        }
    }
    paths
}

/// The paths staged for the next commit: the index against `HEAD`.
pub fn staged_paths(repo: &Repository) -> Result<Vec<String>> {
    let fail = |e: git2::Error| git_error("cannot read the index".to_string(), &e);
    let head = repo.head().ok().and_then(|h| h.peel_to_tree().ok());
    let index = repo.index().map_err(fail)?;
    let diff = repo
        .diff_tree_to_index(head.as_ref(), Some(&index), None)
        .map_err(fail)?;
    Ok(delta_paths(&diff))
}

/// Where git looks for hooks: `core.hooksPath`, else `hooks` in the common
/// git directory (shared by every worktree).
pub fn hooks_dir(repo: &Repository) -> PathBuf {
    let configured = repo
        .config()
        .ok()
        .and_then(|c| c.get_string("core.hooksPath").ok());
    match configured {
        Some(p) => {
            let p = PathBuf::from(p);
            if p.is_absolute() {
                p
            } else {
                repo.workdir().unwrap_or(repo.commondir()).join(p)
            }
        }
        None => repo.commondir().join("hooks"),
    }
}

/// git's comment character (`core.commentChar`), `#` by default.
pub fn comment_char(repo: Option<&Repository>) -> char {
    repo.and_then(|r| r.config().ok())
        .and_then(|c| c.get_string("core.commentChar").ok())
        .and_then(|s| s.chars().next().filter(|_| s != "auto"))
        .unwrap_or('#')
}

/// A message as git will store it: comment lines dropped, and everything
/// from the scissors line of `commit --verbose` on.
pub fn strip_comments(message: &str, comment: char) -> String {
    let mut out = String::with_capacity(message.len());
    for line in message.split_inclusive('\n') {
        let bare = line.trim_end_matches(['\n', '\r']);
        if bare.starts_with(comment) && bare.contains(" >8 ") {
            break;
        }
        if bare.starts_with(comment) {
            continue;
        }
        out.push_str(line);
    }
    out
}
/// `HEAD` and whether the working tree differs from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeState {
    pub commit: Option<String>,
    pub dirty: bool,
}

/// The tree state of the repository holding `root`; outside a repository,
/// no commit and clean. harness's own `.harness/` directory never counts as
/// a change, or recording evidence would dirty the tree it describes.
pub fn tree_state(root: &Path) -> TreeState {
    let Ok(repo) = Repository::discover(root) else {
        return TreeState {
            commit: None,
            dirty: false,
        };
    };
    let commit = repo
        .head()
        .ok()
        .and_then(|h| h.peel_to_commit().ok())
        .map(|c| c.id().to_string());
    let mut opts = StatusOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false);
    let dirty = repo.statuses(Some(&mut opts)).is_ok_and(|statuses| {
        statuses
            .iter()
            .any(|s| !s.path().is_ok_and(|p| p.starts_with(".harness/")))
    });
    TreeState { commit, dirty }
}

/// Which of `paths` (relative to `root`, `/`-separated) git would ignore;
/// none when `root` is not in a repository.
pub fn ignored(root: &Path, paths: &[&str]) -> Vec<String> {
    let Ok(repo) = Repository::discover(root) else {
        return Vec::new();
    };
    let Some(workdir) = repo.workdir() else {
        return Vec::new();
    };
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let here = canonical(root);
    let prefix = here
        .strip_prefix(canonical(workdir))
        .map(Path::to_path_buf)
        .unwrap_or_default();
    paths
        .iter()
        .filter(|p| repo.is_path_ignored(prefix.join(p)).unwrap_or(false))
        .map(|p| p.to_string())
        .collect()
}

/// Files that differ between `rev` (every file, when `None`) and the working
/// tree, staged, unstaged or untracked, relative to `root`.
pub fn changed_since(root: &Path, rev: Option<&str>) -> Result<Vec<PathBuf>> {
    let shown = rev.unwrap_or("the empty tree");
    let repo = Repository::discover(root).map_err(|e| {
        Diagnostic::error(
            Code::NotARepository,
            format!(
                "comparing with {shown} needs a git repository: {}",
                e.message()
            ),
        )
    })?;
    let tree = match rev {
        None => None,
        Some(rev) => Some(
            repo.revparse_single(rev)
                .and_then(|o| o.peel_to_tree())
                .map_err(|e| {
                    Diagnostic::error(
                        Code::UnknownRevision,
                        format!("cannot read revision `{rev}`: {}", e.message()),
                    )
                    .hint("name a commit, branch or tag, e.g. `origin/main`")
                })?,
        ),
    };
    let mut opts = DiffOptions::new();
    opts.include_untracked(true).recurse_untracked_dirs(true);
    let diff = repo
        .diff_tree_to_workdir_with_index(tree.as_ref(), Some(&mut opts))
        .map_err(|e| {
            Diagnostic::error(
                Code::GitDiff,
                format!("cannot diff against {shown}: {}", e.message()),
            )
        })?;
    let workdir = repo.workdir().unwrap_or(root).to_path_buf();
    let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let workdir = std::fs::canonicalize(&workdir).unwrap_or(workdir);
    let mut files = Vec::new();
    for delta in diff.deltas() {
        for file in [delta.new_file(), delta.old_file()] {
            if let Some(p) = file.path() {
                let abs = workdir.join(p);
                if let Ok(rel) = abs.strip_prefix(&root)
                    && !files.iter().any(|f: &PathBuf| f == rel)
                {
                    files.push(rel.to_path_buf());
                }
            }
        }
    }
    Ok(files)
}

/// What a task's scope check needs of the history since `since`: each
/// commit's message and the paths it changed, relative to `root`.
pub struct CommitChange {
    pub message: String,
    pub paths: Vec<String>,
}

/// The commits after `since` up to `HEAD`, each with what it changed
/// (merges by their resolution), relative to `root`.
pub fn commits_since(root: &Path, since: &str) -> Result<Vec<CommitChange>> {
    let repo = open(root)?;
    if repo.head().is_err() {
        return Ok(Vec::new());
    }
    let range = range(&repo, Some(&format!("{since}..HEAD")), None)?;
    let prefix = project_prefix(&repo, root);
    walk(&repo, &range, false, |c| {
        let paths = changed_paths(&repo, c.id, false)?
            .into_iter()
            .filter_map(|p| {
                Path::new(&p)
                    .strip_prefix(&prefix)
                    .ok()
                    .map(|r| r.to_string_lossy().replace('\\', "/"))
            })
            .collect();
        Ok(CommitChange {
            message: c.message,
            paths,
        })
    })
}

/// `root` relative to the repository's work tree.
fn project_prefix(repo: &Repository, root: &Path) -> PathBuf {
    let workdir = repo.workdir().unwrap_or(root);
    let workdir = std::fs::canonicalize(workdir).unwrap_or_else(|_| workdir.to_path_buf());
    let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    root.strip_prefix(&workdir)
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// `assume-unchanged` in an index entry's flags, `skip-worktree` in its
/// extended flags: git stops looking at the file in the work tree.
const ASSUME_VALID: u16 = 0x8000;
const SKIP_WORKTREE: u16 = 0x4000;

/// Files whose content on disk differs from `rev`'s (`None` when the file
/// is absent), compared byte for byte rather than through the index, so
/// that neither `skip-worktree` nor `assume-unchanged` nor an ignore rule
/// hides a change: the files in `paths` (relative to `root`), and every
/// file the index flags so. Sorted, relative to `root`.
pub fn differs_from(root: &Path, rev: &str, paths: &[String]) -> Result<Vec<String>> {
    let repo = open(root)?;
    let commit = resolve(&repo, rev)?;
    let prefix = project_prefix(&repo, root);
    let mut candidates: Vec<String> = paths.to_vec();
    let index = repo
        .index()
        .map_err(|e| git_error("cannot read the index".to_string(), &e))?;
    for entry in index.iter() {
        let hidden = entry.flags & ASSUME_VALID != 0 || entry.flags_extended & SKIP_WORKTREE != 0;
        let path = String::from_utf8_lossy(&entry.path).into_owned();
        if hidden && let Ok(rel) = Path::new(&path).strip_prefix(&prefix) {
            candidates.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    candidates.sort();
    candidates.dedup();
    let mut out = Vec::new();
    for rel in candidates {
        let then = read_at(&repo, commit, &prefix.join(&rel))?;
        let now = std::fs::read(root.join(&rel)).ok();
        if then != now {
            out.push(rel);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn a_thread_set_apart_runs_off_its_creator_s_cpu_and_only_there() {
        use std::os::unix::thread::JoinHandleExt;
        let size = std::mem::size_of::<libc::cpu_set_t>();
        // SAFETY: affinity queries into zeroed sets of the size given.
        let allowed = |thread: Option<libc::pthread_t>| unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            let rc = match thread {
                Some(t) => libc::pthread_getaffinity_np(t, size, &mut set),
                None => libc::sched_getaffinity(0, size, &mut set),
            };
            assert_eq!(rc, 0);
            (0..8 * size)
                .filter(|&cpu| libc::CPU_ISSET(cpu, &set))
                .collect::<Vec<_>>()
        };
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            let _ = rx.recv();
        });
        let mine = allowed(None);
        let moved = apart(&thread);
        let its = allowed(Some(thread.as_pthread_t()));
        drop(tx);
        thread.join().unwrap();
        match moved {
            Some(cpu) => {
                assert!(mine.contains(&cpu), "{cpu} is not one of {mine:?}");
                let expected: Vec<usize> = mine.iter().copied().filter(|&c| c != cpu).collect();
                assert_eq!(its, expected);
            }
            // Only where this process may use a single CPU.
            None => {
                assert_eq!(mine.len(), 1);
                assert_eq!(its, mine);
            }
        }
        // The creator itself keeps every CPU, also when the thread it
        // starts ends at once, before it could be moved.
        assert_eq!(allowed(None), mine);
        for i in 0..50 {
            let ended = spawn_apart(move || assert!(i % 2 == 0, "ends by a panic")).join();
            assert_eq!(ended.is_ok(), i % 2 == 0);
            assert_eq!(allowed(None), mine);
        }
    }

    #[test]
    fn a_parent_id_is_read_as_libgit2_reads_it() {
        let libgit2 = |hex: &[u8]| {
            std::str::from_utf8(hex)
                .ok()
                .and_then(|h| Oid::from_str(h.trim()).ok())
        };
        let id = "0123456789abcdef0123456789abcdef01234567";
        for hex in [
            id.to_string(),
            id.to_uppercase(),
            format!(" {id} "),
            id[..39].to_string(),
            id[..7].to_string(),
            format!("{}g", &id[..39]),
            format!("{id}0"),
            String::new(),
        ] {
            assert_eq!(
                parent_id(hex.as_bytes()),
                libgit2(hex.as_bytes()),
                "{hex:?}"
            );
        }
        assert_eq!(parent_id(id.as_bytes()), Oid::from_str(id).ok());
        assert_eq!(parent_id(b"\xff\xfe"), None);
    }

    #[test]
    fn a_batch_goes_when_full_or_early_to_an_idle_checker() {
        // A busy checker gets full batches only.
        assert!(batch_ready(BATCH, false, 10_000));
        assert!(!batch_ready(BATCH - 1, false, 0));
        // An idle one gets a few commits at first...
        assert!(batch_ready(MIN_BATCH, true, 0));
        assert!(!batch_ready(MIN_BATCH - 1, true, 0));
        // ...and ever larger batches as the history goes on, so that a long
        // one wakes it seldom.
        assert!(!batch_ready(MIN_BATCH, true, 400));
        assert!(!batch_ready(99, true, 400));
        assert!(batch_ready(100, true, 400));
        assert!(!batch_ready(BATCH - 1, true, 1_000_000));
    }

    #[test]
    fn a_batch_keeps_each_message_as_text_with_invalid_bytes_replaced() {
        let mut batch = Batch::with_capacity(2);
        let id = Oid::from_str("1111111111111111111111111111111111111111").unwrap();
        batch.push(id, "fix: caf\u{e9}\n".as_bytes(), 1);
        batch.push(id, b"feat: \xff\xfe x\n", 2);
        let texts: Vec<&str> = batch
            .commits
            .iter()
            .map(|(_, range, _)| &batch.messages[range.clone()])
            .collect();
        assert_eq!(texts, ["fix: caf\u{e9}\n", "feat: \u{fffd}\u{fffd} x\n"]);
        assert_eq!(batch.len(), 2);
    }

    #[test]
    fn a_commit_reads_as_its_parents_time_and_message() {
        let a = "1111111111111111111111111111111111111111";
        let b = "2222222222222222222222222222222222222222";
        let raw = format!(
            "tree 3333333333333333333333333333333333333333\nparent {a}\nparent {b}\nauthor A <a@x> 1 +0000\ncommitter C D <c@x> 1700000123 +0100\n\n\nfeat: x\n\nbody\n"
        );
        let node = parse_commit(raw.as_bytes());
        assert_eq!(
            node.parents,
            [Oid::from_str(a).unwrap(), Oid::from_str(b).unwrap()]
        );
        assert_eq!(node.time, 1_700_000_123);
        assert_eq!(node.message, b"feat: x\n\nbody\n");

        // A root commit with no message; a header that never ends.
        let node = parse_commit(
            b"tree 3333333333333333333333333333333333333333\ncommitter C <c@x> 5 +0000\n\n",
        );
        assert!(node.parents.is_empty());
        assert_eq!(node.time, 5);
        assert!(node.message.is_empty());
        let node = parse_commit(
            b"tree 3333333333333333333333333333333333333333\ncommitter C <c@x> 7 +0000",
        );
        assert_eq!((node.time, node.message.len()), (7, 0));
    }

    /// A repository of `n` commits, each adding one line to `harness.toml`
    /// and to `agents/a.md` (the same bytes).
    fn history(n: usize) -> (tempfile::TempDir, Repository, Vec<Oid>) {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let sig = git2::Signature::new("A", "a@x", &git2::Time::new(1_700_000_000, 0)).unwrap();
        let mut ids = Vec::new();
        let mut text = String::new();
        for i in 0..n {
            text.push_str(&format!("# {i}\n"));
            let blob = repo.blob(text.as_bytes()).unwrap();
            let mut sub = repo.treebuilder(None).unwrap();
            sub.insert("a.md", blob, 0o100644).unwrap();
            let mut tree = repo.treebuilder(None).unwrap();
            tree.insert("harness.toml", blob, 0o100644).unwrap();
            tree.insert("agents", sub.write().unwrap(), 0o040000)
                .unwrap();
            let tree = repo.find_tree(tree.write().unwrap()).unwrap();
            let parents: Vec<git2::Commit<'_>> = ids
                .last()
                .map(|id| repo.find_commit(*id).unwrap())
                .into_iter()
                .collect();
            let parents: Vec<&git2::Commit<'_>> = parents.iter().collect();
            let id = repo
                .commit(
                    Some("HEAD"),
                    &sig,
                    &sig,
                    &format!("feat: change {i}\n"),
                    &tree,
                    &parents,
                )
                .unwrap();
            ids.push(id);
        }
        (dir, repo, ids)
    }

    /// The path of a loose object in `repo`.
    fn loose(repo: &Repository, id: Oid) -> PathBuf {
        let hex = id.to_string();
        repo.path().join("objects").join(&hex[..2]).join(&hex[2..])
    }

    #[test]
    fn policy_read_from_a_damaged_object_is_refused() {
        let (_dir, repo, ids) = history(1);
        let path = Path::new("harness.toml");
        assert_eq!(
            read_at(&repo, ids[0], path).unwrap().as_deref(),
            Some(&b"# 0\n"[..])
        );
        // The object stored under the file's id now holds other bytes, as
        // if the object store were edited. libgit2's own check is off, as
        // a walk leaves it.
        let blob = repo.find_commit(ids[0]).unwrap().tree().unwrap();
        let id = blob.get_path(path).unwrap().id();
        let other = repo.blob(b"[policy]\ndefault = \"anyone\"\n").unwrap();
        let target = loose(&repo, id);
        let mut perms = std::fs::metadata(&target).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        std::fs::set_permissions(&target, perms).unwrap();
        std::fs::copy(loose(&repo, other), &target).unwrap();
        git2::opts::strict_hash_verification(false);
        let repo = Repository::open(repo.path()).unwrap();
        let err = read_at(&repo, ids[0], path).unwrap_err().to_string();
        assert!(err.contains("does not match its id"), "{err}");
        let err = CommitFiles::new(&repo, ids[0])
            .files_under(Path::new("agents"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("does not match its id"), "{err}");

        // A tree on the way holding another tree's entries is refused too:
        // the second commit's `agents` tree, put in place of the first's.
        let (_dir, repo, ids) = history(2);
        let tree_of = |commit: Oid| {
            let root = repo.find_commit(commit).unwrap().tree().unwrap();
            root.get_name("agents").unwrap().id()
        };
        let target = loose(&repo, tree_of(ids[0]));
        let mut perms = std::fs::metadata(&target).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        std::fs::set_permissions(&target, perms).unwrap();
        std::fs::copy(loose(&repo, tree_of(ids[1])), &target).unwrap();
        let repo = Repository::open(repo.path()).unwrap();
        let err = read_at(&repo, ids[0], Path::new("agents/a.md"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("does not match its id"), "{err}");
        // Files that do not exist, directories asked for as files, and
        // paths that leave the tree are none; `./` parts are skipped.
        let (_dir, repo, ids) = history(1);
        for none in [
            "agents/b.md",
            "agents",
            "harness.toml/x",
            ".",
            "",
            "../x",
            "/agents/a.md",
        ] {
            assert_eq!(
                read_at(&repo, ids[0], Path::new(none)).unwrap(),
                None,
                "{none}"
            );
        }
        assert!(
            read_at(&repo, ids[0], Path::new("./agents/a.md"))
                .unwrap()
                .is_some()
        );
        assert_eq!(
            CommitFiles::new(&repo, ids[0])
                .files_under(Path::new("agents"))
                .unwrap(),
            [(PathBuf::from("agents/a.md"), b"# 0\n".to_vec())]
        );
    }

    #[test]
    fn a_directory_read_is_bounded_by_the_entries_it_visits() {
        let (_dir, repo, _) = history(1);
        // Ten names for one tree, seven levels deep: ten million paths,
        // from eight objects, none of them a file.
        let mut tree = repo.treebuilder(None).unwrap().write().unwrap();
        for _ in 0..7 {
            let mut level = repo.treebuilder(None).unwrap();
            for i in 0..10 {
                level.insert(format!("d{i}"), tree, 0o040000).unwrap();
            }
            tree = level.write().unwrap();
        }
        let mut root = repo.treebuilder(None).unwrap();
        root.insert("plans", tree, 0o040000).unwrap();
        let root = repo.find_tree(root.write().unwrap()).unwrap();
        let sig = git2::Signature::new("A", "a@x", &git2::Time::new(1_700_000_000, 0)).unwrap();
        let commit = repo.commit(None, &sig, &sig, "x\n", &root, &[]).unwrap();
        let files = CommitFiles::new(&repo, commit);
        let err = files.files_under(Path::new("plans")).unwrap_err();
        assert!(
            err.to_string().contains("more than 100000 entries"),
            "{err}"
        );
        // Checked without reading, it is refused alike.
        let err = files.check_under(Path::new("plans")).unwrap_err();
        assert!(
            err.to_string().contains("more than 100000 entries"),
            "{err}"
        );
    }

    #[test]
    fn a_directory_read_is_bounded_by_the_bytes_its_files_hold() {
        let (_dir, repo, _) = history(1);
        let build = |sizes: &[usize]| {
            let mut plans = repo.treebuilder(None).unwrap();
            for (i, size) in sizes.iter().enumerate() {
                let blob = repo.blob(&vec![b'x'; *size]).unwrap();
                plans.insert(format!("f{i}"), blob, 0o100644).unwrap();
            }
            let mut root = repo.treebuilder(None).unwrap();
            root.insert("plans", plans.write().unwrap(), 0o040000)
                .unwrap();
            let root = repo.find_tree(root.write().unwrap()).unwrap();
            let sig = git2::Signature::new("A", "a@x", &git2::Time::new(1_700_000_000, 0)).unwrap();
            repo.commit(None, &sig, &sig, "x\n", &root, &[]).unwrap()
        };
        let fits = build(&[EXPORT_BYTES / 2, EXPORT_BYTES / 2]);
        assert_eq!(
            CommitFiles::new(&repo, fits)
                .files_under(Path::new("plans"))
                .unwrap()
                .len(),
            2
        );
        for sizes in [
            &[EXPORT_BYTES + 1][..],
            &[EXPORT_BYTES / 2, EXPORT_BYTES / 2 + 1],
        ] {
            let files = CommitFiles::new(&repo, build(sizes));
            let err = files.files_under(Path::new("plans")).unwrap_err();
            assert!(err.to_string().contains("1 MiB as of commit"), "{err}");
            let err = files.check_under(Path::new("plans")).unwrap_err();
            assert!(err.to_string().contains("1 MiB as of commit"), "{err}");
        }
        CommitFiles::new(&repo, fits)
            .check_under(Path::new("plans"))
            .unwrap();
    }

    #[test]
    fn a_tree_naming_a_file_twice_is_refused() {
        let (_dir, repo, _) = history(1);
        let commit = crafted(&repo, &[("100644", b"0007-a.md"), ("100644", b"0007-a.md")]);
        let files = CommitFiles::new(&repo, commit);
        let err = files.files_under(Path::new("plans")).unwrap_err();
        assert!(err.to_string().contains("cannot be read"), "{err}");
        let err = files.check_under(Path::new("plans")).unwrap_err();
        assert!(err.to_string().contains("cannot be read"), "{err}");
        let err = read_at(&repo, commit, Path::new("plans/0007-a.md")).unwrap_err();
        assert!(err.to_string().contains("cannot be read"), "{err}");
    }

    #[test]
    fn paths_are_made_relative_to_the_project() {
        let paths = || {
            [
                "svc/src/a.rs",
                "svc/tests/t.rs",
                "web/x.ts",
                "svcx/y",
                "svc",
            ]
            .map(String::from)
            .to_vec()
        };
        assert_eq!(relative_to(Path::new(""), paths()), paths());
        assert_eq!(
            relative_to(Path::new("svc"), paths()),
            [
                "src/a.rs",
                "tests/t.rs",
                "../web/x.ts",
                "../svcx/y",
                "../svc"
            ]
        );
        assert_eq!(
            relative_to(
                Path::new("a/b"),
                vec!["a/c/d".into(), "a/b/e".into(), "a".into()]
            ),
            ["../c/d", "e", "../../a"]
        );
    }

    #[test]
    fn a_commit_s_files_read_each_tree_once() {
        let (_dir, repo, ids) = history(3);
        let files = CommitFiles::new(&repo, ids[1]);
        assert_eq!(files.trees.borrow().len(), 0, "nothing is read up front");
        let toml = files.read(Path::new("harness.toml")).unwrap();
        let agents = files.files_under(Path::new("agents")).unwrap();
        let again = files.read(Path::new("agents/a.md")).unwrap();
        // The root tree and `agents`, each read once for three paths.
        assert_eq!(files.trees.borrow().len(), 2);
        assert_eq!(toml.as_deref(), Some(&b"# 0\n# 1\n"[..]));
        assert_eq!(
            agents,
            [(PathBuf::from("agents/a.md"), toml.clone().unwrap())]
        );
        assert_eq!(again, toml);
        assert_eq!(
            read_at(&repo, ids[1], Path::new("harness.toml")).unwrap(),
            toml
        );
        assert_eq!(
            CommitFiles::new(&repo, ids[1])
                .files_under(Path::new("agents"))
                .unwrap(),
            agents
        );
    }

    /// A commit whose `plans` tree has the entries `(mode, name)`, each the
    /// same file, made by hand as git itself never would.
    fn crafted(repo: &Repository, entries: &[(&str, &[u8])]) -> Oid {
        let blob = repo.blob(b"outside\n").unwrap();
        let mut raw = Vec::new();
        for (mode, name) in entries {
            raw.extend_from_slice(mode.as_bytes());
            raw.push(b' ');
            raw.extend_from_slice(name);
            raw.push(0);
            raw.extend_from_slice(blob.as_bytes());
        }
        let odb = repo.odb().unwrap();
        let plans = odb.write(ObjectType::Tree, &raw).unwrap();
        let mut root = repo.treebuilder(None).unwrap();
        root.insert("plans", plans, 0o040000).unwrap();
        let root = repo.find_tree(root.write().unwrap()).unwrap();
        let sig = git2::Signature::new("A", "a@x", &git2::Time::new(1_700_000_000, 0)).unwrap();
        repo.commit(None, &sig, &sig, "feat: plans\n", &root, &[])
            .unwrap()
    }

    #[test]
    fn a_directory_read_refuses_entries_that_lead_out_of_it() {
        let (dir, repo, _) = history(1);
        let absolute = dir.path().join("absolute");
        let names: Vec<Vec<u8>> = vec![
            b"..".to_vec(),
            b".".to_vec(),
            Vec::new(),
            b"../../escaped".to_vec(),
            b"a/../../../escaped".to_vec(),
            absolute.to_str().unwrap().as_bytes().to_vec(),
        ];
        for name in &names {
            let commit = crafted(&repo, &[("100644", b"ok.md"), ("100644", name)]);
            let err = CommitFiles::new(&repo, commit)
                .files_under(Path::new("plans"))
                .unwrap_err()
                .to_string();
            assert!(err.contains("would lead outside its directory"), "{err}");
        }
        // An entry that says it is a directory must be a tree.
        let commit = crafted(&repo, &[("100644", b"0001-a.md"), ("40000", b"0001")]);
        let err = CommitFiles::new(&repo, commit)
            .files_under(Path::new("plans"))
            .unwrap_err();
        assert!(err.to_string().contains("does not match its id"), "{err}");
        // A mode git cannot read is a damaged tree.
        let commit = crafted(&repo, &[("10x644", b"0001-a.md")]);
        let err = CommitFiles::new(&repo, commit)
            .files_under(Path::new("plans"))
            .unwrap_err();
        assert!(err.to_string().contains("cannot be read"), "{err}");
        // A sound tree is read, whatever the permission bits of its files
        // and whatever bytes (a `\\`, not UTF-8) name them on this system;
        // a link is its target's bytes, and `./plans` is `plans`.
        let mut entries: Vec<(&str, &[u8])> = vec![
            ("100644", b"0001-a.md"),
            ("100755", b"run.sh"),
            ("100600", b"private.md"),
            ("120000", b"link"),
            ("160000", b"submodule"),
        ];
        if cfg!(target_os = "linux") {
            entries.extend([("100644", &b"back\\slash"[..]), ("100644", b"caf\xe9")]);
        }
        let commit = crafted(&repo, &entries);
        let read = CommitFiles::new(&repo, commit)
            .files_under(Path::new("plans"))
            .unwrap();
        assert_eq!(read.len(), entries.len() - 1, "the submodule is skipped");
        assert!(read.iter().all(|(_, bytes)| bytes == b"outside\n"));
        assert!(read.iter().any(|(p, _)| p == Path::new("plans/link")));
        assert!(!read.iter().any(|(p, _)| p == Path::new("plans/submodule")));
        assert_eq!(
            CommitFiles::new(&repo, commit)
                .files_under(Path::new("./plans"))
                .unwrap(),
            read
        );
    }

    #[test]
    fn a_walk_given_up_does_not_wait_for_its_reader() {
        let (_dir, repo, ids) = history(600);
        let range = Range {
            tip: *ids.last().unwrap(),
            hide: None,
            base_from: "the first commit".into(),
        };
        // Read in full, it lists every commit, newest first.
        let all = walk(&repo, &range, false, |c| Ok(c.id)).unwrap();
        assert_eq!(all.len(), 600);
        assert_eq!(all[0], *ids.last().unwrap());
        // Dropped unread, with the queue full (one batch in unit tests), it
        // ends instead of waiting for a reader that will never come.
        let (tx, rx) = std::sync::mpsc::channel();
        let path = repo.path().to_path_buf();
        std::thread::spawn(move || {
            let repo = Repository::open(path).unwrap();
            drop(Walk::start(&repo, &range, false));
            tx.send(()).unwrap();
        });
        assert!(
            rx.recv_timeout(std::time::Duration::from_secs(30)).is_ok(),
            "a dropped walk kept its reader waiting"
        );
    }
}
