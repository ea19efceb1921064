//! Applying a compiled ruleset with Landlock, and deciding whether the
//! running kernel can.
//!
//! Fork safety. harness may run the sandboxed command from a multi-threaded
//! process (the task runner uses tokio). Between `fork` and `exec` only
//! async-signal-safe calls are sound: no allocation, no lock, since another
//! thread may have held the allocator's lock at the moment of the fork. So
//! everything that allocates happens in the parent, before the fork: the
//! ruleset is created, every path is opened (`O_PATH`) and added as a rule,
//! giving one ruleset file descriptor (close-on-exec). The `pre_exec`
//! closure then makes exactly two system calls, `prctl(PR_SET_NO_NEW_PRIVS)`
//! and `landlock_restrict_self(fd)`, on a captured integer, and returns an
//! error built from `errno` alone (which does not allocate). The child has a
//! single thread after `fork`, so restricting the calling thread restricts
//! the whole child, and everything it starts inherits the domain: it cannot
//! be lifted.
//!
//! The rules are built with the `landlock` crate; only the restriction
//! itself is a raw system call, because the crate's `restrict_self` consumes
//! a value that owns heap state and builds a status report, neither of
//! which belongs after a fork.

use std::path::Path;
use std::process::Command;

use serde::Serialize;

/// The lowest Landlock ABI that can enforce the whole policy: ABI 3 (Linux
/// 6.2) adds `truncate`, without which a protected file could be emptied.
pub const REQUIRED_ABI: i32 = 3;

/// The file-system rights the sandbox handles, by the ABI that brought
/// them, as `--explain` names them.
const RIGHTS: &[(&str, i32)] = &[
    ("execute", 1),
    ("read_file", 1),
    ("read_dir", 1),
    ("write_file", 1),
    ("remove_dir", 1),
    ("remove_file", 1),
    ("make_char", 1),
    ("make_dir", 1),
    ("make_reg", 1),
    ("make_sock", 1),
    ("make_fifo", 1),
    ("make_block", 1),
    ("make_sym", 1),
    ("refer", 2),
    ("truncate", 3),
];

/// What the kernel will enforce.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Support {
    /// The kernel's Landlock ABI; 0 when it has none.
    pub kernel_abi: i32,
    /// The ABI the ruleset is applied with (at most [`REQUIRED_ABI`]); 0
    /// when nothing is enforced.
    pub used_abi: i32,
    /// The rights the kernel enforces.
    pub enforced: Vec<&'static str>,
    /// The rights the policy needs that the kernel lacks.
    pub missing: Vec<&'static str>,
}

impl Support {
    /// Whether the whole policy is enforced by the kernel.
    pub fn is_full(&self) -> bool {
        self.missing.is_empty() && self.used_abi > 0
    }
}

/// Whether the sandbox may run on a kernel with Landlock ABI `kernel_abi`
/// (0: none): with every right the policy needs, or, when `best_effort` is
/// given, with what there is. Otherwise the reason to refuse.
pub fn decide(kernel_abi: i32, best_effort: bool) -> Result<Support, String> {
    let used_abi = kernel_abi.clamp(0, REQUIRED_ABI);
    let (enforced, missing) = RIGHTS
        .iter()
        .partition::<Vec<_>, _>(|(_, abi)| *abi <= used_abi);
    let support = Support {
        kernel_abi,
        used_abi,
        enforced: enforced.into_iter().map(|&(n, _)| n).collect(),
        missing: missing.into_iter().map(|&(n, _)| n).collect(),
    };
    if support.missing.is_empty() || best_effort {
        return Ok(support);
    }
    Err(if kernel_abi <= 0 {
        "this kernel has no Landlock (not built in, or not enabled at boot: add `landlock` to the `lsm=` kernel parameter), so nothing would confine the command".to_string()
    } else {
        format!(
            "this kernel's Landlock ABI {kernel_abi} lacks {} (ABI {REQUIRED_ABI}, Linux 6.2, is needed), so a protected file could still be changed",
            support.missing.join(", ")
        )
    })
}

/// The running kernel's Landlock ABI, 0 when it has none.
pub fn kernel_abi() -> i32 {
    imp::kernel_abi()
}

/// A ruleset ready to apply: the kernel's file descriptor, or nothing when
/// the kernel enforces nothing.
pub struct Prepared {
    #[cfg(target_os = "linux")]
    fd: Option<std::os::fd::OwnedFd>,
}

/// One rule: a path and whether it is granted reading or writing.
pub struct PathRight<'a> {
    pub path: &'a Path,
    pub right: Right,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Right {
    /// Read, list and execute.
    Read,
    /// Every write right: create, change, remove, rename.
    Write,
    /// Write to existing files only (device files such as `/dev/null`).
    WriteExisting,
}

/// Creates the ruleset for `rules` in the parent process, before any fork.
pub fn prepare(support: &Support, rules: &[PathRight<'_>]) -> Result<Prepared, String> {
    imp::prepare(support, rules)
}

/// Makes `cmd` confined by `prepared` when it is spawned.
pub fn confine(cmd: &mut Command, prepared: Prepared) {
    imp::confine(cmd, prepared)
}

/// Makes `cmd` confined by `prepared` when it is spawned, leaving
/// `prepared` to confine more commands.
pub fn confine_shared(cmd: &mut Command, prepared: &std::sync::Arc<Prepared>) {
    imp::confine_shared(cmd, prepared)
}

/// Makes `cmd` (a supervisor, which applies the ruleset to the command it
/// starts) inherit `prepared`'s file descriptor. Returns its number in
/// the child, `None` when the kernel enforces nothing.
pub fn hand_over(cmd: &mut Command, prepared: Prepared) -> Option<i32> {
    imp::hand_over(cmd, prepared)
}

/// The ruleset a supervisor inherited as descriptor `fd`, to [`confine`]
/// the command it starts. Errors when `fd` is not an open descriptor.
pub fn inherited(fd: i32) -> std::io::Result<Prepared> {
    imp::inherited(fd)
}

#[cfg(target_os = "linux")]
mod imp {
    use std::os::fd::{AsRawFd, OwnedFd};
    use std::os::unix::process::CommandExt;
    use std::process::Command;

    use ::landlock::{
        ABI, Access, AccessFs, BitFlags, CompatLevel, Compatible, PathBeneath, PathFd,
        Ruleset as Builder, RulesetAttr, RulesetCreatedAttr, Scope,
    };

    use super::{PathRight, Prepared, Right, Support};

    pub fn kernel_abi() -> i32 {
        // SAFETY: the version query passes no pointer the kernel reads.
        let v = unsafe {
            libc::syscall(
                libc::SYS_landlock_create_ruleset,
                std::ptr::null::<libc::c_void>(),
                0usize,
                1u32, // LANDLOCK_CREATE_RULESET_VERSION
            )
        };
        i32::try_from(v).unwrap_or(0).max(0)
    }

    fn abi(n: i32) -> ABI {
        match n {
            n if n <= 0 => ABI::Unsupported,
            1 => ABI::V1,
            2 => ABI::V2,
            _ => ABI::V3,
        }
    }

    pub fn prepare(support: &Support, rules: &[PathRight<'_>]) -> Result<Prepared, String> {
        if support.used_abi <= 0 {
            return Ok(Prepared { fd: None });
        }
        let abi = abi(support.used_abi);
        let read = AccessFs::from_read(abi);
        let write = AccessFs::from_write(abi);
        let level = if support.is_full() {
            CompatLevel::HardRequirement
        } else {
            CompatLevel::BestEffort
        };
        let fail = |e: &dyn std::fmt::Display| format!("cannot build the Landlock ruleset: {e}");
        let mut ruleset = Builder::default()
            .set_compatibility(level)
            .handle_access(read | write)
            .map_err(|e| fail(&e))?
            // Signals and abstract Unix sockets only within the domain
            // (ABI 6, where the kernel has it): the command cannot stop its
            // supervisor or harness, nor ask a server outside (a terminal
            // multiplexer, a session bus on an abstract socket) to start a
            // process for it.
            .set_compatibility(CompatLevel::BestEffort)
            .scope(Scope::Signal | Scope::AbstractUnixSocket)
            .map_err(|e| fail(&e))?
            .set_compatibility(level)
            .create()
            .map_err(|e| fail(&e))?;
        for rule in rules {
            let Ok(fd) = PathFd::new(rule.path) else {
                // Gone since the ruleset was compiled: nothing to grant.
                continue;
            };
            let is_dir = rule.path.is_dir();
            let mut access: BitFlags<AccessFs> = match rule.right {
                Right::Read => read,
                Right::Write => write,
                Right::WriteExisting => {
                    BitFlags::from(AccessFs::WriteFile)
                        | (AccessFs::from_all(abi) & AccessFs::Truncate)
                }
            };
            if !is_dir {
                access &= AccessFs::from_file(abi);
            }
            ruleset = ruleset
                .add_rule(PathBeneath::new(fd, access))
                .map_err(|e| format!("cannot grant `{}`: {e}", rule.path.display()))?;
        }
        let fd: Option<OwnedFd> = ruleset.into();
        Ok(Prepared { fd })
    }

    pub fn confine(cmd: &mut Command, prepared: Prepared) {
        confine_shared(cmd, &std::sync::Arc::new(prepared));
    }

    pub fn confine_shared(cmd: &mut Command, prepared: &std::sync::Arc<Prepared>) {
        if prepared.fd.is_none() {
            return;
        }
        // The closure holds the descriptor open until the command is
        // dropped; it reads only the integer.
        let prepared = std::sync::Arc::clone(prepared);
        let hook = move || {
            let Some(fd) = &prepared.fd else {
                return Ok(());
            };
            let raw = fd.as_raw_fd();
            // SAFETY: two system calls on integers, no allocation and no
            // lock: sound between fork and exec (see the module doc).
            unsafe {
                if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                if libc::syscall(libc::SYS_landlock_restrict_self, raw, 0u32) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        };
        // SAFETY: the closure is async-signal-safe, as above.
        unsafe {
            cmd.pre_exec(hook);
        }
    }

    pub fn hand_over(cmd: &mut Command, prepared: Prepared) -> Option<i32> {
        let fd = prepared.fd?;
        let raw = fd.as_raw_fd();
        // The descriptor stays close-on-exec in this process (no other
        // child inherits it); only this child clears the flag.
        let hook = move || {
            // SAFETY: one fcntl on an integer the closure keeps open:
            // async-signal-safe.
            if unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFD, 0) } != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        };
        // SAFETY: the closure is async-signal-safe, as above.
        unsafe {
            cmd.pre_exec(hook);
        }
        Some(raw)
    }

    pub fn inherited(fd: i32) -> std::io::Result<Prepared> {
        use std::os::fd::FromRawFd;
        // SAFETY: fcntl on an integer; it fails on a closed descriptor.
        if fd < 3 || unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) } != 0 {
            return Err(std::io::Error::from_raw_os_error(libc::EBADF));
        }
        // SAFETY: the descriptor is open (above) and was handed to this
        // process to own.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(Prepared { fd: Some(fd) })
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use std::process::Command;

    use super::{PathRight, Prepared, Support};

    pub fn kernel_abi() -> i32 {
        0
    }

    pub fn prepare(_: &Support, _: &[PathRight<'_>]) -> Result<Prepared, String> {
        Ok(Prepared {})
    }

    pub fn confine(_: &mut Command, _: Prepared) {}

    pub fn confine_shared(_: &mut Command, _: &std::sync::Arc<Prepared>) {}

    pub fn hand_over(_: &mut Command, _: Prepared) -> Option<i32> {
        None
    }

    pub fn inherited(_: i32) -> std::io::Result<Prepared> {
        Ok(Prepared {})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_without_landlock_or_with_an_old_abi() {
        let none = decide(0, false).unwrap_err();
        assert!(none.starts_with("this kernel has no Landlock"), "{none}");
        let old = decide(2, false).unwrap_err();
        assert_eq!(
            old,
            "this kernel's Landlock ABI 2 lacks truncate (ABI 3, Linux 6.2, is needed), so a protected file could still be changed"
        );
        let old = decide(1, false).unwrap_err();
        assert!(old.contains("lacks refer, truncate"), "{old}");
    }

    #[test]
    fn best_effort_says_what_is_enforced() {
        let s = decide(2, true).unwrap();
        assert_eq!((s.kernel_abi, s.used_abi), (2, 2));
        assert_eq!(s.missing, ["truncate"]);
        assert!(s.enforced.contains(&"refer") && !s.is_full());
        let s = decide(0, true).unwrap();
        assert_eq!(s.used_abi, 0);
        assert!(s.enforced.is_empty() && !s.is_full());
    }

    #[test]
    fn a_newer_kernel_is_used_at_the_needed_abi() {
        let s = decide(7, false).unwrap();
        assert_eq!((s.kernel_abi, s.used_abi), (7, 3));
        assert!(s.is_full() && s.missing.is_empty());
        assert_eq!(s.enforced.len(), RIGHTS.len());
    }
}
