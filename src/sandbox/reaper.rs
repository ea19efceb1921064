//! Containing a command's lifetime, not only its writes: nothing it starts
//! outlives it.
//!
//! A process group is not a boundary: `setsid`, or a double fork into a
//! group of its own, leaves a process that `killpg` never reaches, and such
//! a process, still under the sandbox's rules, could rewrite files in the
//! plan's scope after harness has checked them and before it commits them.
//! A child subreaper (`PR_SET_CHILD_SUBREAPER`) closes that: every orphan
//! among its descendants is re-parented to it, whatever session or group
//! it made, so once the command has exited, its remaining descendants are
//! exactly the subreaper's children, and they are killed until none is
//! left.
//!
//! [`supervise`] is the whole supervisor, run as a process of its own
//! between harness and an agent (`harness __supervise`), so that parallel
//! agents each have theirs. With Landlock's signal scope (ABI 6) the agent
//! cannot signal its supervisor or harness, which stay outside its domain.

use std::process::{Command, ExitStatus};
use std::time::Duration;

/// How long a command gets between SIGTERM and SIGKILL once its supervisor
/// is asked to stop. Shorter than the runner's own grace, so the
/// supervisor has time to kill what is left before it is killed itself.
pub const GRACE: Duration = Duration::from_secs(1);

/// Makes this process the subreaper of everything it starts from now on.
pub fn become_subreaper() -> std::io::Result<()> {
    imp::become_subreaper()
}

/// Kills every child of this process and reaps it, until it has none:
/// after the command it supervised has exited, these are the orphans that
/// command left behind, whatever session or group they made.
pub fn kill_orphans() {
    imp::kill_orphans();
}

/// Runs `cmd` as a subreaper, forwarding SIGTERM, SIGINT and SIGHUP to it
/// (and SIGKILL to everything after [`GRACE`]); when it exits, kills what it
/// left running. Returns how the command ended.
pub fn supervise(cmd: Command) -> std::io::Result<ExitStatus> {
    imp::supervise(cmd)
}

/// Ends this process the way `status` says the command ended: by the same
/// signal, so the caller sees what the command did, not the supervisor.
/// Returns the exit code to exit with when no signal ended it (or the
/// signal does not end a process).
pub fn end_as(status: ExitStatus) -> u8 {
    #[cfg(unix)]
    if let Some(signal) = std::os::unix::process::ExitStatusExt::signal(&status) {
        use nix::sys::signal::{SigHandler, SigSet, Signal, raise, signal as set_handler};
        if let Ok(signal) = Signal::try_from(signal) {
            // No core file of the supervisor's own in the project when the
            // signal is one that dumps core.
            let _ = nix::sys::resource::setrlimit(nix::sys::resource::Resource::RLIMIT_CORE, 0, 0);
            // SAFETY: restores the default action; no handler of ours runs.
            let _ = unsafe { set_handler(signal, SigHandler::SigDfl) };
            let mut set = SigSet::empty();
            set.add(signal);
            let _ = set.thread_unblock();
            let _ = raise(signal);
        }
        return u8::try_from(128 + signal).unwrap_or(1);
    }
    status
        .code()
        .and_then(|c| u8::try_from(c).ok())
        .unwrap_or(1)
}

#[cfg(target_os = "linux")]
mod imp {
    use std::os::unix::process::ExitStatusExt;
    use std::process::{Command, ExitStatus};
    use std::time::Instant;

    use nix::errno::Errno;
    use nix::sys::signal::{SigSet, Signal, kill};
    use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
    use nix::unistd::Pid;

    use super::GRACE;

    pub fn become_subreaper() -> std::io::Result<()> {
        // SAFETY: a plain system call on integers.
        if unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }

    /// This process's children, by the kernel's list for each thread; on a
    /// kernel without those lists, by each process's parent in `/proc`.
    fn children() -> Vec<Pid> {
        let mut pids = Vec::new();
        let mut listed = false;
        if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
            for task in tasks.flatten() {
                if let Ok(list) = std::fs::read_to_string(task.path().join("children")) {
                    listed = true;
                    pids.extend(
                        list.split_whitespace()
                            .filter_map(|p| p.parse().ok())
                            .map(Pid::from_raw),
                    );
                }
            }
        }
        if listed {
            return pids;
        }
        let me = std::process::id().to_string();
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            // `pid (comm) state ppid ...`; comm may hold spaces and parens.
            let parent = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1));
            if parent == Some(me.as_str())
                && let Ok(pid) = entry.file_name().to_string_lossy().parse()
            {
                pids.push(Pid::from_raw(pid));
            }
        }
        pids
    }

    /// Reaps every child that has ended; `Err(ECHILD)` when none is left.
    fn reap_ended() -> Result<Vec<(Pid, WaitStatus)>, Errno> {
        let mut ended = Vec::new();
        loop {
            match waitpid(None, Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::StillAlive) => return Ok(ended),
                Ok(status) => {
                    if let Some(pid) = status.pid() {
                        ended.push((pid, status));
                    }
                }
                Err(Errno::EINTR) => {}
                Err(e) if ended.is_empty() => return Err(e),
                Err(_) => return Ok(ended),
            }
        }
    }

    pub fn kill_orphans() {
        // Each round kills every child; the children of those it killed
        // are re-parented here and are killed in the next. A process
        // forking as fast as it can still ends: SIGKILL is not deferred.
        // Bounded all the same: what is left after that is left to init.
        let deadline = Instant::now() + std::time::Duration::from_secs(10);
        while Instant::now() < deadline {
            let left = children();
            for pid in &left {
                let _ = kill(*pid, Signal::SIGKILL);
            }
            match reap_ended() {
                Err(_) => return,
                Ok(ended) if ended.is_empty() && left.is_empty() => {
                    // Children exist that the kernel has not listed yet
                    // (mid re-parenting): let them arrive.
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
                Ok(_) => {}
            }
        }
    }

    /// The status as `wait` encodes it.
    fn exit_status(status: WaitStatus) -> Option<ExitStatus> {
        match status {
            WaitStatus::Exited(_, code) => Some(ExitStatus::from_raw((code & 0xff) << 8)),
            WaitStatus::Signaled(_, signal, _) => Some(ExitStatus::from_raw(signal as i32)),
            _ => None,
        }
    }

    pub fn supervise(mut cmd: Command) -> std::io::Result<ExitStatus> {
        become_subreaper()?;
        let mut watched = SigSet::empty();
        for s in [
            Signal::SIGCHLD,
            Signal::SIGTERM,
            Signal::SIGINT,
            Signal::SIGHUP,
        ] {
            watched.add(s);
        }
        // Blocked here and taken with sigtimedwait: no handler runs at an
        // arbitrary point. The child starts with an empty mask (std resets
        // it between fork and exec).
        watched.thread_block().map_err(std::io::Error::from)?;
        let child = cmd.spawn()?;
        let agent = Pid::from_raw(child.id() as i32);
        // Not waited through `child`: every child is reaped below.
        drop(child);

        let mut stopping: Option<Instant> = None;
        let mut killed = false;
        let code = 'run: loop {
            let wait = match stopping {
                Some(deadline) if !killed => {
                    Some(deadline.saturating_duration_since(Instant::now()))
                }
                _ => None,
            };
            match take_signal(&watched, wait) {
                Some(Signal::SIGCHLD) | None if stopping.is_none() || killed => {}
                None => {
                    // The grace is over: everything goes.
                    killed = true;
                    let _ = kill(agent, Signal::SIGKILL);
                    let _ = kill(Pid::from_raw(-agent.as_raw()), Signal::SIGKILL);
                    for pid in children() {
                        let _ = kill(pid, Signal::SIGKILL);
                    }
                }
                Some(Signal::SIGCHLD) => {}
                Some(_) => {
                    if stopping.is_none() {
                        stopping = Some(Instant::now() + GRACE);
                        // The agent, its group if it made one, and whatever
                        // it has already orphaned.
                        let _ = kill(agent, Signal::SIGTERM);
                        let _ = kill(Pid::from_raw(-agent.as_raw()), Signal::SIGTERM);
                        for pid in children() {
                            let _ = kill(pid, Signal::SIGTERM);
                        }
                    }
                }
            }
            match reap_ended() {
                Ok(ended) => {
                    for (pid, status) in ended {
                        if pid == agent
                            && let Some(status) = exit_status(status)
                        {
                            break 'run status;
                        }
                    }
                }
                // The agent cannot be gone unreaped; if it is, say so.
                Err(_) => break 'run ExitStatus::from_raw(1 << 8),
            }
        };
        let _ = kill(Pid::from_raw(-agent.as_raw()), Signal::SIGKILL);
        kill_orphans();
        Ok(code)
    }

    /// The next of `set`'s signals, or `None` after `wait` (never, without).
    fn take_signal(set: &SigSet, wait: Option<std::time::Duration>) -> Option<Signal> {
        let timeout = wait.map(|d| libc::timespec {
            tv_sec: libc::time_t::try_from(d.as_secs()).unwrap_or(libc::time_t::MAX),
            tv_nsec: libc::c_long::from(d.subsec_nanos() as i32),
        });
        loop {
            // SAFETY: `set` is a valid signal set and the out-pointers are
            // null or point at live values.
            let n = unsafe {
                libc::sigtimedwait(
                    set.as_ref(),
                    std::ptr::null_mut(),
                    timeout.as_ref().map_or(std::ptr::null(), |t| t as *const _),
                )
            };
            if n >= 0 {
                return Signal::try_from(n).ok();
            }
            match Errno::last() {
                Errno::EINTR => continue,
                _ => return None,
            }
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use std::process::{Command, ExitStatus};

    pub fn become_subreaper() -> std::io::Result<()> {
        Ok(())
    }

    pub fn kill_orphans() {}

    pub fn supervise(mut cmd: Command) -> std::io::Result<ExitStatus> {
        cmd.status()
    }
}
