//! Runs gates: concurrently, each in a process group of its own, each with a
//! timeout, and all of them stopped on Ctrl-C.
//!
//! Why process groups: a gate is rarely one process (`npm test` starts
//! node, `sh -c 'a & b'` starts two). Signalling only the process harness
//! started would leave the rest running, holding the output pipe open and
//! the CPU busy. So each gate starts as the leader of a new group, and every
//! kill is a `killpg`: at the timeout (SIGTERM, then SIGKILL after a grace
//! period), on Ctrl-C or SIGTERM to harness, on `--fail-fast`, and, once the
//! leader has exited, for whatever it left behind in its group.
//!
//! A gate's stdout and stderr share one pipe, so its log reads in the order
//! a terminal would have shown it. The output streams to the log file while
//! it is hashed (SHA-256) and its last lines are kept for the report.
//!
//! A command that cannot start (a tool that is not installed, a missing
//! directory) fails that gate with the reason and a hint; the others run on.

use std::collections::VecDeque;
use std::io::Write as _;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::io::AsyncReadExt;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinSet;

use super::baseline::Baseline;
use super::evidence::{self, RunDir};
use super::findings;
use super::millis;
use super::outcome::{GateReport, GateRun, GateStatus};
use super::progress::Progress;
use super::spec::{CommandLine, GateSpec};
use crate::digest::{self, sha256_hex};
use crate::error::{Error, Result};
use crate::git;

/// How to run a set of gates.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The project root: logs and the report go under its `.harness/gates/`.
    pub root: PathBuf,
    /// How many gates run at once; 0 means one per CPU.
    pub jobs: usize,
    /// Stop every other gate as soon as one fails.
    pub fail_fast: bool,
    /// How many lines of output a report keeps of each gate.
    pub tail_lines: usize,
    /// How long a gate has to exit after SIGTERM before SIGKILL.
    pub kill_grace: Duration,
    /// Applied to every gate's command before it starts: `harness-agents run`
    /// confines the gates of an agent's task with the agent's sandbox,
    /// since they run the agent's code.
    pub confine: Option<Confine>,
    /// Findings recorded by `harness-agents gate baseline`: a gate that states its
    /// `findings` format and fails only on recorded findings passes.
    pub baseline: Option<Arc<Baseline>>,
}

/// A change made to each gate's command before it is spawned.
#[derive(Clone)]
pub struct Confine(pub Arc<dyn Fn(&mut std::process::Command) + Send + Sync>);

impl std::fmt::Debug for Confine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Confine")
    }
}

impl RunOptions {
    pub fn new(root: impl Into<PathBuf>) -> RunOptions {
        RunOptions {
            root: root.into(),
            jobs: 0,
            fail_fast: false,
            tail_lines: 20,
            kill_grace: Duration::from_secs(2),
            confine: None,
            baseline: None,
        }
    }

    /// The number of gates that run at once.
    pub fn effective_jobs(&self) -> usize {
        match self.jobs {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
    }
}

/// Runs `specs` to the end, telling `progress` as gates start and end, and
/// records the run under `.harness/gates/`: the use case behind `harness
/// gate run`, `task done` and `harness-agents ci`.
///
/// A run stopped by Ctrl-C (or SIGTERM, SIGHUP) is not an error: the report
/// says `interrupted`, and its [`GateReport::outcome`] is
/// [`Outcome::Interrupted`](crate::error::Outcome::Interrupted).
///
/// Builds its own single-threaded tokio runtime, so it must not be called
/// from inside one; async callers use [`run_async`]. The run's SIGINT and
/// SIGTERM handling stays installed in the process afterwards, as tokio's
/// signal handlers do.
pub fn run(specs: Vec<GateSpec>, opts: &RunOptions, progress: &dyn Progress) -> Result<GateReport> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("start", "the async runtime", e))?;
    runtime.block_on(run_async(specs, opts, progress))
}

/// [`run`], for callers already inside a tokio runtime.
pub async fn run_async(
    specs: Vec<GateSpec>,
    opts: &RunOptions,
    progress: &dyn Progress,
) -> Result<GateReport> {
    // Reading the tree's state can take a while in a large repository; it
    // runs beside the gates instead of before them.
    let root = opts.root.clone();
    let tree = std::thread::spawn(move || git::tree_state(&root));
    let dir = RunDir::create(&opts.root)?;
    let started = Instant::now();
    let formats: Vec<_> = specs.iter().map(|s| (s.findings, s.cwd.clone())).collect();
    let (mut gates, interrupted) = run_all(specs, opts, &dir, progress).await?;
    if let Some(baseline) = &opts.baseline {
        for (run, (format, cwd)) in gates.iter_mut().zip(formats) {
            if let Some(format) = format {
                judge(run, format, &cwd, baseline, &opts.root);
            }
        }
    }
    let tree = tree
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    let report = GateReport {
        id: dir.id.clone(),
        started_at: jiff::Timestamp::try_from(dir.started)
            .and_then(|t| t.round(jiff::Unit::Millisecond))
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH),
        commit: tree.commit,
        dirty: tree.dirty,
        passed: !interrupted && gates.iter().all(|g| g.status.passed()),
        interrupted,
        duration: millis::whole(started.elapsed()),
        gates,
    };
    evidence::record(&opts.root, &report)?;
    Ok(report)
}

/// Why running gates were told to stop.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Cancel {
    FailFast(String),
    Interrupted,
}

impl Cancel {
    fn reason(&self) -> String {
        match self {
            Cancel::FailFast(gate) => format!("stopped by --fail-fast after `{gate}` failed"),
            Cancel::Interrupted => "interrupted".to_string(),
        }
    }
}

async fn run_all(
    specs: Vec<GateSpec>,
    opts: &RunOptions,
    dir: &RunDir,
    progress: &dyn Progress,
) -> Result<(Vec<GateRun>, bool)> {
    // Listen before any child exists: a Ctrl-C that killed harness with its
    // default action would leave the gates (in their own groups) running.
    let signal_err = |e| Error::io("listen for", "signals", e);
    let mut sigint = signal(SignalKind::interrupt()).map_err(signal_err)?;
    let mut sigterm = signal(SignalKind::terminate()).map_err(signal_err)?;
    let mut sighup = signal(SignalKind::hangup()).map_err(signal_err)?;

    progress.queued(&specs);
    // Gates report to this loop through a channel, so that the sink is only
    // ever called from here and need not outlive the run. A gate reports
    // its end before it frees its slot, so the next gate's start comes after.
    let (events_tx, mut events) = mpsc::unbounded_channel::<Event>();
    let slots = Arc::new(Semaphore::new(opts.effective_jobs()));
    let (cancel_tx, cancel_rx) = watch::channel(None::<Cancel>);
    let mut tasks = JoinSet::new();
    let count = specs.len();
    for (i, spec) in specs.iter().cloned().enumerate() {
        let events = events_tx.clone();
        let slots = Arc::clone(&slots);
        let mut cancel = cancel_rx.clone();
        let log = dir.log_path(&spec.name);
        let opts = opts.clone();
        tasks.spawn(async move {
            let permit = tokio::select! {
                biased;
                why = cancelled(&mut cancel) => Err(why),
                permit = slots.acquire_owned() => Ok(permit),
            };
            match permit {
                Err(why) => {
                    let run = never_ran(&spec, GateStatus::Cancelled, why.reason(), None);
                    let _ = events.send(Event::Finished(i, Box::new(run)));
                }
                Ok(permit) => {
                    let _ = events.send(Event::Started(i));
                    let run = run_one(&spec, &log, &opts, cancel).await;
                    let _ = events.send(Event::Finished(i, Box::new(run)));
                    drop(permit);
                }
            }
        });
    }
    drop(events_tx);

    let mut runs: Vec<Option<GateRun>> = vec![None; count];
    let mut interrupted = false;
    loop {
        tokio::select! {
            _ = sigint.recv() => interrupted = true,
            _ = sigterm.recv() => interrupted = true,
            _ = sighup.recv() => interrupted = true,
            event = events.recv() => match event {
                // Every gate's task has ended.
                None => break,
                Some(Event::Started(i)) => progress.started(i, &specs[i]),
                Some(Event::Finished(i, run)) => {
                    progress.finished(i, &run);
                    let failed = matches!(run.status, GateStatus::Failed | GateStatus::TimedOut | GateStatus::NotStarted);
                    if failed && opts.fail_fast && cancel_tx.borrow().is_none() {
                        let _ = cancel_tx.send(Some(Cancel::FailFast(run.name.clone())));
                    }
                    runs[i] = Some(*run);
                }
            },
        }
        if interrupted && cancel_tx.borrow().as_ref() != Some(&Cancel::Interrupted) {
            let _ = cancel_tx.send(Some(Cancel::Interrupted));
        }
    }
    // A task that panicked sent no end: pass its panic on.
    while let Some(joined) = tasks.join_next().await {
        if let Err(e) = joined
            && e.is_panic()
        {
            std::panic::resume_unwind(e.into_panic());
        }
    }
    progress.done();
    let runs = runs
        .into_iter()
        .map(|r| r.expect("every gate task reports its run"))
        .map(|mut r| {
            if let Some(log) = &r.log_path {
                r.log_path = Some(log.strip_prefix(&opts.root).unwrap_or(log).to_path_buf());
            }
            r
        })
        .collect();
    Ok((runs, interrupted))
}

/// Sets a gate's run against its baseline: a gate that failed only on
/// findings the baseline holds passes. A failure with no finding to show
/// for it (a crash, output in another format) stays a failure.
fn judge(
    run: &mut GateRun,
    format: super::spec::FindingsFormat,
    cwd: &Path,
    baseline: &Baseline,
    root: &Path,
) {
    if !matches!(run.status, GateStatus::Passed | GateStatus::Failed) {
        return;
    }
    let output = run
        .log_path
        .as_ref()
        .and_then(|log| std::fs::read(root.join(log)).ok())
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let found = findings::parse(format, &output, root, cwd);
    let Some(compared) = baseline.compare(&run.name, &found) else {
        return;
    };
    if run.status == GateStatus::Failed
        && compared.new.is_empty()
        && compared.known > 0
        && !findings::abnormal(format, &output)
    {
        run.status = GateStatus::Passed;
    }
    if !compared.new.is_empty() {
        let mut reason = format!(
            "{} finding(s) not in the baseline (.harness/baseline.json):",
            compared.new.len()
        );
        for f in &compared.new {
            reason.push_str(&format!(
                "\n  {}:{}: {} {}",
                f.file, f.line, f.rule, f.message
            ));
        }
        run.reason = Some(reason);
    }
    run.baseline = Some(compared);
}

/// What a gate's task tells the run loop.
enum Event {
    Started(usize),
    Finished(usize, Box<GateRun>),
}

/// Resolves when the run is told to stop, with the reason.
async fn cancelled(rx: &mut watch::Receiver<Option<Cancel>>) -> Cancel {
    let why = match rx.wait_for(Option::is_some).await {
        Ok(why) => why.clone(),
        Err(_) => None,
    };
    match why {
        Some(why) => why,
        // The sender is gone only once every gate has finished.
        None => std::future::pending().await,
    }
}

/// How a gate's leader process ended.
enum Ended {
    Exited(ExitStatus),
    TimedOut(Option<ExitStatus>),
    Cancelled(Cancel, Option<ExitStatus>),
}

async fn run_one(
    spec: &GateSpec,
    log: &Path,
    opts: &RunOptions,
    mut cancel: watch::Receiver<Option<Cancel>>,
) -> GateRun {
    let started = Instant::now();
    if let Some((reason, hint)) = unstartable(spec) {
        let mut run = never_ran(spec, GateStatus::NotStarted, reason, Some(hint));
        write_reason_log(&mut run, log);
        return run;
    }
    // One pipe for stdout and stderr, so the log keeps their interleaving.
    let pipe = std::io::pipe().and_then(|(reader, writer)| {
        let stderr = writer.try_clone()?;
        Ok((reader, writer, stderr))
    });
    let (reader, writer, stderr) = match pipe {
        Ok(p) => p,
        Err(e) => {
            return never_ran(
                spec,
                GateStatus::NotStarted,
                format!("cannot create a pipe: {e}"),
                None,
            );
        }
    };
    let mut cmd = command(spec, opts.confine.as_ref());
    cmd.stdout(Stdio::from(writer)).stderr(Stdio::from(stderr));
    let spawned = cmd.spawn();
    // The command holds the pipe's write ends; drop them so that the read
    // end sees end-of-file when the gate's processes are gone.
    drop(cmd);
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) => {
            let (reason, hint) = spawn_error(spec, &e);
            let mut run = never_ran(spec, GateStatus::NotStarted, reason, hint);
            write_reason_log(&mut run, log);
            return run;
        }
    };
    let group = child.id().map(|id| Pid::from_raw(id as i32));
    let file = std::fs::File::create(log).ok();
    let logged = file.is_some();
    let (stop_tx, stop_rx) = watch::channel(false);
    let capture = match tokio::net::unix::pipe::Receiver::from_owned_fd(reader.into()) {
        Ok(rx) => tokio::spawn(capture(rx, file, stop_rx, opts.tail_lines)),
        Err(_) => tokio::spawn(async { Captured::default() }),
    };

    let ended = tokio::select! {
        status = child.wait() => match status {
            Ok(s) => Ended::Exited(s),
            Err(_) => Ended::Cancelled(Cancel::Interrupted, None),
        },
        _ = tokio::time::sleep(spec.timeout) => {
            Ended::TimedOut(terminate(&mut child, group, opts.kill_grace).await)
        }
        why = cancelled(&mut cancel) => {
            let status = terminate(&mut child, group, opts.kill_grace).await;
            Ended::Cancelled(why, status)
        }
    };
    // The leader is gone; anything it left in its group goes too. (A group
    // id stays reserved while any member lives, so this cannot reach an
    // unrelated process unless the group emptied and its id was reused as a
    // new group's within these few instructions.)
    if let Some(g) = group {
        let _ = killpg(g, Signal::SIGKILL);
    }
    // A process that moved to a group of its own may still hold the pipe:
    // stop reading after the grace period rather than wait for it.
    let mut capture = capture;
    let output = match tokio::time::timeout(opts.kill_grace, &mut capture).await {
        Ok(out) => out.unwrap_or_default(),
        Err(_) => {
            let _ = stop_tx.send(true);
            capture.await.unwrap_or_default()
        }
    };

    let mut run = never_ran(spec, GateStatus::Failed, String::new(), None);
    run.reason = None;
    run.duration = millis::whole(started.elapsed());
    run.output_sha256 = output.sha256;
    run.output_bytes = output.bytes;
    run.tail = output.tail;
    run.log_path = logged.then(|| log.to_path_buf());
    let record_status = |run: &mut GateRun, status: Option<ExitStatus>| {
        if let Some(s) = status {
            run.exit_code = s.code();
            run.signal = s.signal();
        }
    };
    match ended {
        Ended::Exited(status) => {
            record_status(&mut run, Some(status));
            match status.code() {
                Some(0) => run.status = GateStatus::Passed,
                Some(code) if spec.allow_no_tests && spec.no_tests_exit_code() == Some(code) => {
                    run.status = GateStatus::Passed;
                    run.no_tests = true;
                }
                Some(127) => {
                    run.hint = Some(
                        "a command was not found (exit 127): is it installed and on PATH?".into(),
                    );
                }
                Some(126) => {
                    run.hint = Some(
                        "a command could not be executed (exit 126): check its permissions".into(),
                    );
                }
                _ => {}
            }
        }
        Ended::TimedOut(status) => {
            record_status(&mut run, status);
            run.status = GateStatus::TimedOut;
            run.timed_out = true;
            run.reason = Some(format!(
                "killed after its timeout of {}",
                humantime::format_duration(spec.timeout)
            ));
            run.hint = Some(format!(
                "raise `timeout` in `[gates.{}]` if the gate needs longer",
                spec.name
            ));
        }
        Ended::Cancelled(why, status) => {
            record_status(&mut run, status);
            run.status = GateStatus::Cancelled;
            run.reason = Some(why.reason());
        }
    }
    run
}

/// SIGTERM to the whole group, then SIGKILL if the leader has not exited
/// within `grace`. Returns the leader's exit status.
async fn terminate(
    child: &mut tokio::process::Child,
    group: Option<Pid>,
    grace: Duration,
) -> Option<ExitStatus> {
    let Some(group) = group else {
        let _ = child.start_kill();
        return child.wait().await.ok();
    };
    let _ = killpg(group, Signal::SIGTERM);
    match tokio::time::timeout(grace, child.wait()).await {
        Ok(status) => status.ok(),
        Err(_) => {
            let _ = killpg(group, Signal::SIGKILL);
            child.wait().await.ok()
        }
    }
}

fn command(spec: &GateSpec, confine: Option<&Confine>) -> tokio::process::Command {
    let mut cmd = match &spec.command {
        CommandLine::Shell(line) => {
            let mut c = tokio::process::Command::new(shell());
            c.arg("-c").arg(line);
            c
        }
        CommandLine::Argv(argv) => {
            let mut c = tokio::process::Command::new(&argv[0]);
            c.args(&argv[1..]);
            c
        }
    };
    // Setting no variable when none is configured spares std a copy of the
    // whole environment at every spawn.
    if !spec.env.is_empty() {
        cmd.envs(&spec.env);
    }
    cmd.current_dir(&spec.cwd)
        .stdin(Stdio::null())
        .process_group(0)
        .kill_on_drop(true);
    if let Some(Confine(confine)) = confine {
        confine(cmd.as_std_mut());
    }
    cmd
}

/// The POSIX shell, by absolute path where it is in the usual place, so
/// that each spawn skips the PATH search.
fn shell() -> &'static str {
    static SHELL: std::sync::OnceLock<&'static str> = std::sync::OnceLock::new();
    SHELL.get_or_init(|| {
        if Path::new("/bin/sh").is_file() {
            "/bin/sh"
        } else {
            "sh"
        }
    })
}

#[derive(Default)]
struct Captured {
    sha256: String,
    bytes: u64,
    tail: String,
}

/// Bytes of output kept in memory for the tail; the log has the rest.
const TAIL_BYTES: usize = 64 * 1024;

async fn capture(
    mut rx: tokio::net::unix::pipe::Receiver,
    mut file: Option<std::fs::File>,
    mut stop: watch::Receiver<bool>,
    tail_lines: usize,
) -> Captured {
    let mut hasher = digest::Hasher::new();
    let mut bytes = 0u64;
    let mut tail: VecDeque<u8> = VecDeque::with_capacity(TAIL_BYTES);
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = tokio::select! {
            read = rx.read(&mut buf) => match read {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            },
            _ = stop.wait_for(|s| *s) => break,
        };
        let chunk = &buf[..n];
        hasher.update(chunk);
        bytes += n as u64;
        if let Some(f) = file.as_mut()
            && f.write_all(chunk).is_err()
        {
            file = None;
        }
        tail.extend(chunk);
        let excess = tail.len().saturating_sub(TAIL_BYTES);
        tail.drain(..excess);
    }
    if let Some(f) = file.as_mut() {
        let _ = f.flush();
    }
    let tail: Vec<u8> = tail.into();
    Captured {
        sha256: hasher.hex(),
        bytes,
        tail: last_lines(&String::from_utf8_lossy(&tail), tail_lines),
    }
}

/// The last `n` lines of `text`, without colour codes.
fn last_lines(text: &str, n: usize) -> String {
    let text = strip_ansi(text);
    let lines: Vec<&str> = text.trim_end().lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Removes ANSI escape sequences, which tools print even into pipes when
/// told to (CI sets `FORCE_COLOR`), and which XML and JSON readers choke on.
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        match chars.peek() {
            Some('[') => {
                chars.next();
                // Parameters and intermediates, then one final byte in @..~.
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            Some(']') => {
                // OSC: up to BEL or ESC \.
                for c in chars.by_ref() {
                    if c == '\u{7}' || c == '\\' {
                        break;
                    }
                }
            }
            Some(_) => {
                chars.next();
            }
            None => {}
        }
    }
    out
}

/// A run for a gate that never got a process.
fn never_ran(spec: &GateSpec, status: GateStatus, reason: String, hint: Option<String>) -> GateRun {
    GateRun {
        baseline: None,
        name: spec.name.clone(),
        kind: spec.kind,
        command: spec.command.to_string(),
        status,
        exit_code: None,
        signal: None,
        timed_out: false,
        no_tests: false,
        duration: Duration::ZERO,
        output_sha256: sha256_hex(b""),
        output_bytes: 0,
        log_path: None,
        reason: (!reason.is_empty()).then_some(reason),
        hint,
        tail: String::new(),
    }
}

/// A gate that never started still gets a log, saying why.
fn write_reason_log(run: &mut GateRun, log: &Path) {
    let mut text = format!(
        "harness: {}\n",
        run.reason.as_deref().unwrap_or("not started")
    );
    if let Some(h) = &run.hint {
        text.push_str(&format!("harness: hint: {h}\n"));
    }
    if std::fs::write(log, &text).is_ok() {
        run.log_path = Some(log.to_path_buf());
    }
}

/// Why a gate cannot start, found before trying: its directory or its
/// program is missing. Only the first program of a shell line is checked;
/// the shell reports the others (exit 127).
fn unstartable(spec: &GateSpec) -> Option<(String, String)> {
    if !spec.cwd.is_dir() {
        return Some((
            format!(
                "its working directory `{}` does not exist",
                spec.cwd.display()
            ),
            format!("fix `cwd` in `[gates.{}]`", spec.name),
        ));
    }
    let program = spec.command.program()?;
    if let CommandLine::Shell(_) = spec.command
        && is_shell_word(program)
    {
        return None;
    }
    if program.contains('/') {
        let path = spec.cwd.join(program);
        return (!path.exists()).then(|| {
            (
                format!("`{program}` does not exist"),
                "check the path in the gate's command".to_string(),
            )
        });
    }
    let path = spec
        .env
        .get("PATH")
        .map(std::ffi::OsString::from)
        .or_else(|| std::env::var_os("PATH"))
        .unwrap_or_default();
    let found = crate::fsutil::on_path(program, &path).is_some();
    (!found).then(|| {
        (
            format!("`{program}` is not installed (not found on PATH)"),
            install_hint(program),
        )
    })
}

/// Shell builtins and keywords: a shell line may start with them, and they
/// are never on PATH.
fn is_shell_word(word: &str) -> bool {
    matches!(
        word,
        "cd" | "export"
            | "set"
            | "unset"
            | "exec"
            | "eval"
            | "exit"
            | "test"
            | "["
            | "true"
            | "false"
            | ":"
            | "."
            | "source"
            | "echo"
            | "printf"
            | "read"
            | "command"
            | "if"
            | "for"
            | "while"
            | "until"
            | "case"
            | "trap"
            | "wait"
            | "umask"
            | "ulimit"
    )
}

fn spawn_error(spec: &GateSpec, e: &std::io::Error) -> (String, Option<String>) {
    let program = spec.command.program().unwrap_or("the command");
    match e.kind() {
        std::io::ErrorKind::NotFound => (
            format!("`{program}` is not installed (not found on PATH)"),
            Some(install_hint(program)),
        ),
        std::io::ErrorKind::PermissionDenied => (
            format!("`{program}` cannot be executed: permission denied"),
            Some(format!("make it executable: `chmod +x {program}`")),
        ),
        _ => (format!("cannot start `{program}`: {e}"), None),
    }
}

/// How to install the tools gates commonly run.
pub fn install_hint(program: &str) -> String {
    let hint = match program {
        "cargo" | "rustc" | "rustup" => "install Rust with rustup: https://rustup.rs",
        "cargo-clippy" | "clippy-driver" => "run `rustup component add clippy`",
        "rustfmt" | "cargo-fmt" => "run `rustup component add rustfmt`",
        "cargo-nextest" => "run `cargo install cargo-nextest --locked`",
        "ruff" => "install it with `uv tool install ruff` or `pipx install ruff`",
        "ty" => "install it with `uv tool install ty` or `pipx install ty`",
        "mypy" => "install it with `uv tool install mypy` or `pip install mypy`",
        "pytest" => {
            "install it in the project's environment: `uv add --dev pytest` or `pip install pytest`"
        }
        "python" | "python3" => "install Python 3: https://www.python.org/downloads/",
        "npm" | "npx" | "node" => "install Node.js, which brings npm and npx: https://nodejs.org",
        "pnpm" => "run `corepack enable` or `npm install -g pnpm`",
        "yarn" => "run `corepack enable` or `npm install -g yarn`",
        "bun" => "install Bun: https://bun.sh",
        "tsc" => "run `npm install --save-dev typescript`, or use `npx tsc`",
        "eslint" => "run `npm install --save-dev eslint`, or use `npx eslint`",
        "make" => "install make with your system's package manager",
        other => {
            return format!("install `{other}` or put it on PATH, or change the gate's `command`");
        }
    };
    hint.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_colour_codes() {
        assert_eq!(strip_ansi("\u{1b}[31;1merror\u{1b}[0m: x"), "error: x");
        assert_eq!(strip_ansi("\u{1b}]8;;http://x\u{7}link"), "link");
        assert_eq!(strip_ansi("plain"), "plain");
    }

    #[test]
    fn keeps_the_last_lines() {
        assert_eq!(last_lines("a\nb\nc\n", 2), "b\nc");
        assert_eq!(last_lines("a", 5), "a");
    }
}

#[cfg(test)]
mod run_tests {
    use std::sync::Mutex;

    use super::*;
    use crate::error::Outcome;
    use crate::gate::Origin;

    /// Writes each event down, as `queued 2`, `started 0`, `finished 0 passed`.
    #[derive(Default)]
    struct Recorder(Mutex<Vec<String>>);

    impl Recorder {
        fn push(&self, event: String) {
            self.0.lock().unwrap().push(event);
        }
    }

    impl Progress for Recorder {
        fn queued(&self, specs: &[GateSpec]) {
            self.push(format!("queued {}", specs.len()));
        }
        fn started(&self, index: usize, spec: &GateSpec) {
            self.push(format!("started {index} {}", spec.name));
        }
        fn finished(&self, index: usize, run: &GateRun) {
            self.push(format!("finished {index} {}", run.status.as_str()));
        }
        fn done(&self) {
            self.push("done".into());
        }
    }

    fn spec(root: &Path, name: &str, command: &str) -> GateSpec {
        let origin = Origin::Detected {
            marker: "test".into(),
            reason: "test".into(),
        };
        GateSpec::shell(name, command, root.to_path_buf(), origin)
    }

    #[test]
    fn run_reports_each_gate_start_before_its_end_and_returns_the_report() {
        let dir = tempfile::tempdir().unwrap();
        let specs = vec![
            spec(dir.path(), "fine", "echo ok"),
            spec(dir.path(), "broken", "exit 3"),
        ];
        let mut opts = RunOptions::new(dir.path());
        opts.jobs = 1;
        let recorder = Recorder::default();
        let report = run(specs, &opts, &recorder).unwrap();

        assert!(!report.passed);
        assert!(!report.interrupted);
        assert_eq!(report.outcome(), Outcome::CheckFailed);
        assert_eq!(report.get("broken").unwrap().exit_code, Some(3));
        assert_eq!(report.get("fine").unwrap().tail, "ok");
        // One gate at a time: the order is fixed.
        assert_eq!(
            *recorder.0.lock().unwrap(),
            [
                "queued 2",
                "started 0 fine",
                "finished 0 passed",
                "started 1 broken",
                "finished 1 failed",
                "done",
            ]
        );
    }
}
