//! Confinement for a script harness runs only to read what it prints: a
//! commit's JavaScript commitlint config, evaluated by `node` during a
//! check that may run in CI, beside tokens and a cloud's metadata service.
//! (A config in the working tree is the user's own file, run as commitlint
//! would run it, and is not confined.)
//!
//! The script may open no socket of any kind (no network, no local server
//! such as a container daemon's), write or create no file, signal or trace
//! no other process, and use no descriptor it did not open itself. Two
//! kernel mechanisms apply, each on its own:
//!
//! - **seccomp**: these system calls fail with `EACCES`: `socket`, whatever
//!   the address family (UDP and Unix sockets included, which Landlock
//!   does not cover), and `io_uring_setup`, whose rings can open sockets
//!   without a `socket` call (on x86-64 also under their x32 numbers);
//!   every call that sends a signal (`kill`, `tkill`, `tgkill`,
//!   `rt_sigqueueinfo`, `rt_tgsigqueueinfo`, `pidfd_send_signal`,
//!   `pidfd_open`), which would otherwise let the script stop the check
//!   that waits on it, or kill every process of its user; and those that
//!   reach into another process (`ptrace`, `process_vm_readv`,
//!   `process_vm_writev`, `pidfd_getfd`, `prlimit64` on another process),
//!   or send a signal on I/O to an owner the script names
//!   (`fcntl(F_SETOWN)`, `F_SETOWN_EX`, `ioctl(FIOSETOWN)`, `SIOCSPGRP`);
//!   those that change a file's metadata, which Landlock does not cover
//!   (`chmod`, `chown`, `utimensat`, extended attributes, and `truncate`,
//!   which Landlock covers only from ABI 3); and `unshare` and `setns`.
//!   Required on Linux: a check that cannot install it refuses to run the
//!   script.
//!   It also starts no process: `fork` and `vfork` fail with `EACCES`,
//!   and so does `clone` unless it makes a thread (`CLONE_THREAD`); `clone3`,
//!   whose flags sit in memory a filter cannot read, fails with `ENOSYS`,
//!   on which the C library makes its threads with `clone`. So a script
//!   that runs too long is stopped by stopping the one process.
//! - **Landlock**, as far as the kernel has it: no file-system write right
//!   anywhere and reads only beneath the paths the caller names (the
//!   script's directory and its interpreter's [`installation`]) and the
//!   system's own ([`SYSTEM_READABLE`]: programs, libraries, the loader's
//!   cache, TLS roots; no home directory, no `/etc` or `/usr/local` at
//!   large, no `/proc`) (ABI 1-5), no TCP bind or connect (ABI 4), and
//!   signals and abstract Unix sockets only within the script (ABI 6).
//!   Without Landlock, reads are the interpreter's rules alone.
//!
//! Descriptors above 2 that the process inherited without close-on-exec
//! (a job server's, a socket passed down by whatever started harness) are
//! closed by the `exec`. The interpreter's own rules (node's permission
//! model, which names the one directory the script may read) apply on top:
//! what the script prints is all that leaves it.
//!
//! Both are prepared in the parent; between `fork` and `exec` the child
//! makes only system calls, on data built before the fork, as in
//! [`super::landlock`].

use std::path::Path;
use std::process::Command;

/// What a confined script may read besides the paths its caller names,
/// where they exist: what an interpreter needs to start (its shared
/// libraries and their loader's cache, OpenSSL's configuration and the
/// system's certificates, which node reads at start, and the package
/// stores of Nix and Homebrew, where a node's libraries are other
/// packages'), and harmless device files. Nothing under a home directory,
/// the rest of `/etc` or `/usr` (no `/usr/local/etc/npmrc` and its
/// tokens), or `/proc`.
pub const SYSTEM_READABLE: &[&str] = &[
    // The system's programs: the interpreter a `#!` script names, and the
    // loader. Running one replaces the script's process, confined alike.
    "/bin",
    "/usr/bin",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/usr/lib",
    "/usr/lib32",
    "/usr/lib64",
    "/usr/libx32",
    "/usr/local/lib",
    "/usr/share/zoneinfo",
    "/etc/ld.so.cache",
    "/etc/ssl/openssl.cnf",
    "/etc/ssl/certs",
    "/etc/localtime",
    "/dev/null",
    "/dev/zero",
    "/dev/random",
    "/dev/urandom",
    // Package stores whose programs' libraries lie beside other packages'
    // (node's own OpenSSL, ICU, libuv): public by design.
    "/nix/store",
    "/home/linuxbrew/.linuxbrew",
];

/// What of the program at `program`'s installation a caller should name
/// as readable: its real file, and the `lib` directory beside the `bin`
/// one that holds it (`/opt/node/bin/node` gives that file and
/// `/opt/node/lib`), unless that would be `/` or hold the home directory.
/// Nothing else of the installation (an nvm prefix's `etc/npmrc` may hold
/// tokens). Empty when the program cannot be resolved.
pub fn installation(program: &Path) -> Vec<std::path::PathBuf> {
    let home = std::env::var_os("HOME")
        .map(std::path::PathBuf::from)
        .and_then(|h| std::fs::canonicalize(h).ok());
    installation_under(program, home.as_deref())
}

fn installation_under(program: &Path, home: Option<&Path>) -> Vec<std::path::PathBuf> {
    let Ok(real) = std::fs::canonicalize(program) else {
        return Vec::new();
    };
    let lib = real
        .parent()
        .filter(|bin| bin.file_name().is_some_and(|n| n == "bin"))
        .and_then(Path::parent)
        .filter(|prefix| prefix.parent().is_some() && !home.is_some_and(|h| h.starts_with(prefix)))
        .map(|prefix| prefix.join("lib"))
        .filter(|lib| lib.is_dir());
    std::iter::once(real).chain(lib).collect()
}

/// What confines the script, for an error message or a test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confinement {
    /// Whether the seccomp filter is installed.
    pub seccomp: bool,
    /// The Landlock ABI applied (0: the kernel has none).
    pub landlock_abi: i32,
}

/// Makes `cmd` confined as the module says when it is spawned, with
/// `readable` (and [`SYSTEM_READABLE`]) the only paths it may read where
/// Landlock is enabled: name the program's own installation
/// ([`installation`]) and the script's directory. Errors (with the reason)
/// where the system-call filter cannot be built: on Linux only for an
/// architecture the filter does not know.
pub fn confine_script(cmd: &mut Command, readable: &[&Path]) -> Result<Confinement, String> {
    imp::confine_script(cmd, readable)
}

#[cfg(target_os = "linux")]
mod imp {
    use std::collections::BTreeMap;
    use std::os::fd::{AsRawFd, OwnedFd};
    use std::os::unix::process::CommandExt;
    use std::path::Path;
    use std::process::Command;

    use ::landlock::{
        ABI, Access, AccessFs, AccessNet, CompatLevel, Compatible, PathBeneath, PathFd,
        Ruleset as Builder, RulesetAttr, RulesetCreatedAttr, Scope,
    };
    use seccompiler::{
        BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
        SeccompRule, TargetArch,
    };

    use super::{Confinement, SYSTEM_READABLE};

    pub fn confine_script(cmd: &mut Command, readable: &[&Path]) -> Result<Confinement, String> {
        let arch = TargetArch::try_from(std::env::consts::ARCH).map_err(|_| {
            format!(
                "no system-call filter is known for {}",
                std::env::consts::ARCH
            )
        })?;
        let filter = refusals(arch)?;
        let no_clone3 = clone3_unknown(arch)?;
        let ruleset = reads_only_within(readable)?;
        let landlock_abi = if ruleset.is_some() {
            super::super::landlock::kernel_abi()
        } else {
            0
        };
        let hook = move || {
            // SAFETY: system calls on memory built before the fork (the
            // filter's instructions, a descriptor the closure owns): no
            // allocation and no lock, so sound between fork and exec.
            unsafe {
                if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                if let Some(fd) = &ruleset
                    && libc::syscall(libc::SYS_landlock_restrict_self, fd.as_raw_fd(), 0u32) != 0
                {
                    return Err(std::io::Error::last_os_error());
                }
                close_inherited_on_exec();
            }
            // `prctl` again and `seccomp`, twice. Their error holds only
            // an OS error code, and `errno` still says which: nothing is
            // formatted here. Of two filters that refuse a call, the one
            // installed last says how: `clone3`'s `ENOSYS`.
            seccompiler::apply_filter(&filter).map_err(|_| std::io::Error::last_os_error())?;
            seccompiler::apply_filter(&no_clone3).map_err(|_| std::io::Error::last_os_error())
        };
        // SAFETY: the closure is async-signal-safe, as above.
        unsafe {
            cmd.pre_exec(hook);
        }
        Ok(Confinement {
            seccomp: true,
            landlock_abi,
        })
    }

    /// Marks every descriptor above 2 close-on-exec: `close_range` where
    /// the kernel has its flag (Linux 5.11), else one `fcntl` each up to
    /// the descriptor limit. Only system calls: called between fork and
    /// exec.
    unsafe fn close_inherited_on_exec() {
        // SAFETY: system calls on integers and a local struct.
        unsafe {
            if libc::syscall(
                libc::SYS_close_range,
                3u32,
                u32::MAX,
                libc::CLOSE_RANGE_CLOEXEC,
            ) == 0
            {
                return;
            }
            let mut limit = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            let top = if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 {
                limit.rlim_cur.min(1 << 16) as libc::c_int
            } else {
                1024
            };
            for fd in 3..top {
                let flags = libc::fcntl(fd, libc::F_GETFD);
                if flags >= 0 && flags & libc::FD_CLOEXEC == 0 {
                    libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC);
                }
            }
        }
    }

    /// The system calls the script may not make (see the module doc).
    const REFUSED: &[libc::c_long] = &[
        libc::SYS_socket,
        libc::SYS_io_uring_setup,
        libc::SYS_kill,
        libc::SYS_tkill,
        libc::SYS_tgkill,
        libc::SYS_rt_sigqueueinfo,
        libc::SYS_rt_tgsigqueueinfo,
        libc::SYS_pidfd_send_signal,
        libc::SYS_pidfd_open,
        libc::SYS_ptrace,
        libc::SYS_process_vm_readv,
        libc::SYS_process_vm_writev,
        libc::SYS_pidfd_getfd,
        // What Landlock does not cover of a file's metadata, and
        // `truncate` before its ABI 3.
        libc::SYS_fchmod,
        libc::SYS_fchmodat,
        SYS_FCHMODAT2,
        libc::SYS_fchown,
        libc::SYS_fchownat,
        libc::SYS_utimensat,
        libc::SYS_setxattr,
        libc::SYS_lsetxattr,
        libc::SYS_fsetxattr,
        libc::SYS_removexattr,
        libc::SYS_lremovexattr,
        libc::SYS_fremovexattr,
        libc::SYS_truncate,
        // New namespaces: kernel surface no script needs.
        libc::SYS_unshare,
        libc::SYS_setns,
        #[cfg(target_arch = "x86_64")]
        libc::SYS_fork,
        #[cfg(target_arch = "x86_64")]
        libc::SYS_vfork,
        #[cfg(target_arch = "x86_64")]
        libc::SYS_chmod,
        #[cfg(target_arch = "x86_64")]
        libc::SYS_chown,
        #[cfg(target_arch = "x86_64")]
        libc::SYS_lchown,
        #[cfg(target_arch = "x86_64")]
        libc::SYS_utime,
        #[cfg(target_arch = "x86_64")]
        libc::SYS_utimes,
        #[cfg(target_arch = "x86_64")]
        libc::SYS_futimesat,
    ];

    /// Calls refused only with some arguments, each `(call, argument,
    /// value)`: a signal sent on I/O to an owner the script names
    /// (`fcntl(F_SETOWN)`, `F_SETOWN_EX`; `ioctl(FIOSETOWN)`,
    /// `SIOCSPGRP`), which could stop the check that waits on it where
    /// Landlock cannot scope signals.
    const REFUSED_WITH: &[(libc::c_long, u8, u64)] = &[
        (libc::SYS_fcntl, 1, libc::F_SETOWN as u64),
        (libc::SYS_fcntl, 1, F_SETOWN_EX),
        (libc::SYS_ioctl, 1, FIOSETOWN),
        (libc::SYS_ioctl, 1, SIOCSPGRP),
    ];

    // The kernel's numbers (`fcntl.h`, `sockios.h`, and a system call
    // numbered alike on every architecture since Linux 5.1), the same on
    // every architecture this runs on, which `libc` does not name on all.
    const SYS_FCHMODAT2: libc::c_long = 452;
    const F_SETOWN_EX: u64 = 15;
    const FIOSETOWN: u64 = 0x8901;
    const SIOCSPGRP: u64 = 0x8902;

    /// On x86-64 a kernel built with x32 takes x32 system calls under the
    /// same architecture: their numbers have this bit set, and a few have
    /// numbers of their own (`X32_OWN`: `ioctl`, `ptrace`,
    /// `rt_sigqueueinfo`, `rt_tgsigqueueinfo`, `process_vm_readv`,
    /// `process_vm_writev`; the first refused whole, as its x32 form is
    /// not filtered by argument here).
    const X32: libc::c_long = 0x4000_0000;
    const X32_OWN: &[libc::c_long] = &[514, 521, 524, 536, 539, 540];

    /// [`REFUSED`] and [`REFUSED_WITH`] refused with `EACCES`, `clone`
    /// unless it makes a thread, and `prlimit64` on another process;
    /// everything else allowed.
    fn refusals(arch: TargetArch) -> Result<BpfProgram, String> {
        let rule = |arg: u8, len: SeccompCmpArgLen, op: SeccompCmpOp, value: u64| {
            SeccompCondition::new(arg, len, op, value)
                .and_then(|c| SeccompRule::new(vec![c]))
                .map_err(|e| format!("cannot build the system-call filter: {e}"))
        };
        // `clone`'s flags are its first argument on every architecture.
        let no_thread = rule(
            0,
            SeccompCmpArgLen::Qword,
            SeccompCmpOp::MaskedEq(libc::CLONE_THREAD as u64),
            0,
        )?;
        let mut rules: BTreeMap<i64, Vec<SeccompRule>> =
            REFUSED.iter().map(|&nr| (nr, Vec::new())).collect();
        rules.insert(libc::SYS_clone, vec![no_thread]);
        rules.insert(
            libc::SYS_prlimit64,
            vec![rule(0, SeccompCmpArgLen::Dword, SeccompCmpOp::Ne, 0)?],
        );
        for &(nr, arg, value) in REFUSED_WITH {
            // `fcntl`'s and `ioctl`'s commands are 32-bit to the kernel.
            let r = rule(arg, SeccompCmpArgLen::Dword, SeccompCmpOp::Eq, value)?;
            rules.entry(nr).or_default().push(r);
        }
        if arch == TargetArch::x86_64 {
            for &nr in X32_OWN {
                rules.insert(X32 | nr, Vec::new());
            }
        }
        program(rules, libc::EACCES, arch)
    }

    /// A filter that fails the calls of `rules` (each when one of its
    /// rules matches, or always when it has none) with `errno`, under
    /// their x32 numbers too on x86-64, and allows everything else.
    fn program(
        mut rules: BTreeMap<i64, Vec<SeccompRule>>,
        errno: i32,
        arch: TargetArch,
    ) -> Result<BpfProgram, String> {
        if arch == TargetArch::x86_64 {
            let native: Vec<(i64, Vec<SeccompRule>)> = rules
                .iter()
                .filter(|&(&nr, _)| nr & X32 == 0)
                .map(|(&nr, r)| (X32 | nr, r.clone()))
                .collect();
            rules.extend(native);
        }
        SeccompFilter::new(
            rules,
            SeccompAction::Allow,
            SeccompAction::Errno(errno as u32),
            arch,
        )
        .and_then(BpfProgram::try_from)
        .map_err(|e| format!("cannot build the system-call filter: {e}"))
    }

    /// `clone3` refused with `ENOSYS`, as if the kernel were older than
    /// 5.3: the C library then makes its threads with `clone`, whose
    /// flags [`refusals`] can read.
    fn clone3_unknown(arch: TargetArch) -> Result<BpfProgram, String> {
        program(
            BTreeMap::from([(libc::SYS_clone3, Vec::new())]),
            libc::ENOSYS,
            arch,
        )
    }

    /// A Landlock domain with every file-system right, TCP and the scopes
    /// handled, granting only reading (and running) beneath `readable` and
    /// [`SYSTEM_READABLE`], on as much of it as the kernel has; `None`
    /// without Landlock.
    fn reads_only_within(readable: &[&Path]) -> Result<Option<OwnedFd>, String> {
        let fail = |e: &dyn std::fmt::Display| format!("cannot build the Landlock ruleset: {e}");
        let abi = ABI::V5;
        let mut ruleset = Builder::default()
            .set_compatibility(CompatLevel::BestEffort)
            .handle_access(AccessFs::from_all(abi))
            .map_err(|e| fail(&e))?
            .handle_access(AccessNet::from_all(abi))
            .map_err(|e| fail(&e))?
            .scope(Scope::from_all(ABI::V6))
            .map_err(|e| fail(&e))?
            .create()
            .map_err(|e| fail(&e))?;
        let system = SYSTEM_READABLE.iter().map(Path::new);
        for path in readable.iter().copied().chain(system) {
            let Ok(fd) = PathFd::new(path) else {
                continue;
            };
            let mut access = AccessFs::from_read(abi);
            if !path.is_dir() {
                access &= AccessFs::from_file(abi);
            }
            ruleset = ruleset
                .add_rule(PathBeneath::new(fd, access))
                .map_err(|e| format!("cannot grant reading `{}`: {e}", path.display()))?;
        }
        Ok(ruleset.into())
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use std::path::Path;
    use std::process::Command;

    use super::Confinement;

    pub fn confine_script(_: &mut Command, _: &[&Path]) -> Result<Confinement, String> {
        Ok(Confinement {
            seccomp: false,
            landlock_abi: 0,
        })
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use std::io::Read;
    use std::os::fd::AsRawFd;
    use std::process::{Command, Stdio};

    use super::*;

    /// Runs `program` under the confinement: whether it succeeded, its
    /// output and what confined it.
    fn confined(program: &Path, args: &[&str], readable: &[&Path]) -> (bool, String, Confinement) {
        let mut cmd = Command::new(program);
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let confinement = confine_script(&mut cmd, readable).expect("confinement");
        assert!(confinement.seccomp);
        let out = cmd.output().expect("spawn");
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.success(), text, confinement)
    }

    #[test]
    fn an_installation_is_the_real_file_and_its_lib_but_never_the_home_directory() {
        let dir = tempfile::tempdir().expect("tempdir");
        let base = std::fs::canonicalize(dir.path()).expect("canonical");
        let prefix = base.join("tools/node-22");
        let bin = prefix.join("bin");
        std::fs::create_dir_all(&bin).expect("mkdir");
        std::fs::create_dir_all(prefix.join("etc")).expect("mkdir");
        std::fs::write(bin.join("node"), "").expect("write");
        let link = base.join("node-link");
        std::os::unix::fs::symlink(bin.join("node"), &link).expect("symlink");
        let node = bin.join("node");
        let of = |program: &Path, home: Option<&Path>| installation_under(program, home);
        // Without a `lib` directory, the file alone, through a link too.
        assert_eq!(of(&node, None), vec![node.clone()]);
        assert_eq!(of(&link, None), vec![node.clone()]);
        std::fs::create_dir_all(prefix.join("lib")).expect("mkdir");
        assert_eq!(of(&node, None), vec![node.clone(), prefix.join("lib")]);
        // Never a `lib` whose prefix holds the home directory.
        assert_eq!(of(&node, Some(&prefix)), vec![node.clone()]);
        assert_eq!(of(&node, Some(&prefix.join("home"))), vec![node.clone()]);
        // Only beside a `bin` directory.
        let loose = prefix.join("node");
        std::fs::write(&loose, "").expect("write");
        assert_eq!(of(&loose, None), vec![loose.clone()]);
        assert!(of(&base.join("missing"), None).is_empty());
    }

    /// The interpreter `python3` on PATH runs (not a shim that starts it,
    /// which the confinement would stop), and where it is installed.
    fn python() -> (std::path::PathBuf, Vec<std::path::PathBuf>) {
        let out = Command::new("python3")
            .args(["-c", "import sys; print(sys.executable)"])
            .output()
            .expect("python3 runs");
        let exe = std::path::PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        let installed = installation(&exe);
        assert!(!installed.is_empty(), "python3's installation");
        (exe, installed)
    }

    #[test]
    fn a_confined_script_opens_no_socket_starts_no_process_and_touches_no_other_file() {
        // A listener this test holds: unconfined, the same probe reaches it.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("addr").port().to_string();
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("written");
        // A file outside what the probe may read, and one inside.
        let secret = dir.path().join("secret");
        std::fs::write(&secret, "token").expect("write");
        let shared = tempfile::tempdir().expect("tempdir");
        let open = shared.path().join("open");
        std::fs::write(&open, "rules").expect("write");
        let (python, installed) = python();
        let probe = "import os, socket, sys\n\
            kind, arg = sys.argv[1], sys.argv[2]\n\
            try:\n\
            \x20   if kind == 'tcp':\n\
            \x20       socket.create_connection(('127.0.0.1', int(arg)), timeout=5).sendall(b'x')\n\
            \x20   elif kind == 'udp':\n\
            \x20       socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('127.0.0.1', int(arg)))\n\
            \x20   elif kind == 'unix':\n\
            \x20       socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\n\
            \x20   elif kind == 'kill':\n\
            \x20       os.kill(os.getppid(), 0)\n\
            \x20   elif kind == 'fd':\n\
            \x20       socket.socket(fileno=int(arg)).getsockname()\n\
            \x20   elif kind == 'read':\n\
            \x20       open(arg).read()\n\
            \x20   elif kind == 'fork':\n\
            \x20       pid = os.fork()\n\
            \x20       if pid == 0:\n\
            \x20           os._exit(0)\n\
            \x20       os.waitpid(pid, 0)\n\
            \x20   elif kind == 'spawn':\n\
            \x20       import subprocess; subprocess.run(['true'])\n\
            \x20   elif kind == 'chmod':\n\
            \x20       os.chmod(arg, 0o600)\n\
            \x20   elif kind == 'owner':\n\
            \x20       import fcntl; r, w = os.pipe(); fcntl.fcntl(r, fcntl.F_SETOWN, os.getppid())\n\
            \x20   elif kind == 'prlimit':\n\
            \x20       import resource; resource.prlimit(os.getppid(), resource.RLIMIT_NOFILE)\n\
            \x20   elif kind == 'thread':\n\
            \x20       import threading; t = threading.Thread(target=print); t.start(); t.join()\n\
            \x20   else:\n\
            \x20       open(arg, 'w').write('x')\n\
            \x20   print('done')\n\
            except OSError as e:\n\
            \x20   print('refused', e.errno)\n";

        let unconfined = Command::new(&python)
            .args(["-c", probe, "tcp", &port])
            .output()
            .expect("python3 runs the probe");
        assert_eq!(String::from_utf8_lossy(&unconfined.stdout).trim(), "done");
        let (mut accepted, _) = listener.accept().expect("the unconfined probe connected");
        let mut byte = [0u8; 1];
        accepted.read_exact(&mut byte).expect("read");
        assert_eq!(&byte, b"x");

        let udp = std::net::UdpSocket::bind("127.0.0.1:0").expect("udp");
        udp.set_nonblocking(true).expect("nonblocking");
        let udp_port = udp.local_addr().expect("addr").port().to_string();
        let target_text = target.to_string_lossy().into_owned();
        // A descriptor this process holds without close-on-exec, as one
        // inherited from whatever started harness would be.
        let inherited = listener.as_raw_fd();
        // SAFETY: fcntl on a descriptor the listener owns.
        unsafe { libc::fcntl(inherited, libc::F_SETFD, 0) };
        let unconfined = Command::new(&python)
            .args(["-c", probe, "fd", &inherited.to_string()])
            .output()
            .expect("python3 runs the probe");
        assert_eq!(String::from_utf8_lossy(&unconfined.stdout).trim(), "done");
        let inherited_text = inherited.to_string();
        let (secret_text, open_text) = (secret.to_string_lossy(), open.to_string_lossy());
        for kind in ["fork", "spawn", "read", "chmod", "owner", "prlimit"] {
            let arg = &open_text;
            let unconfined = Command::new(&python)
                .args(["-c", probe, kind, arg])
                .output()
                .expect("python3 runs the probe");
            assert_eq!(
                String::from_utf8_lossy(&unconfined.stdout).trim(),
                "done",
                "{kind}"
            );
        }
        let readable: Vec<&Path> = installed
            .iter()
            .map(|p| p.as_path())
            .chain([shared.path()])
            .collect();
        for (kind, arg, errno) in [
            ("tcp", port.as_str(), 13),
            ("udp", udp_port.as_str(), 13),
            ("unix", "-", 13),
            ("kill", "-", 13),
            ("fd", inherited_text.as_str(), libc::EBADF),
            ("fork", "-", 13),
            ("spawn", "-", 13),
            ("chmod", &open_text, 13),
            ("owner", "-", 13),
            ("prlimit", "-", 13),
            ("file", target_text.as_str(), 13),
            ("read", &secret_text, 13),
        ] {
            let (ok, text, confinement) = confined(&python, &["-c", probe, kind, arg], &readable);
            assert!(ok, "{kind}: {text}");
            if ["file", "read"].contains(&kind) && confinement.landlock_abi == 0 {
                // Reads and writes are Landlock's, and this kernel has none.
                continue;
            }
            assert!(
                text.starts_with(&format!("refused {errno}\n")),
                "{kind}: {text}"
            );
        }
        // SAFETY: as above.
        unsafe { libc::fcntl(inherited, libc::F_SETFD, libc::FD_CLOEXEC) };
        assert!(
            listener.accept().is_err(),
            "a confined probe reached the listener"
        );
        assert!(udp.recv(&mut byte).is_err(), "a confined datagram arrived");
        assert!(
            !target.exists() || landlock_abi() == 0,
            "a confined probe created a file"
        );
        // What it may read it reads, and it makes threads.
        let (ok, text, _) = confined(&python, &["-c", probe, "read", &open_text], &readable);
        assert!(ok && text == "done\n", "{text}");
        let (ok, text, _) = confined(&python, &["-c", probe, "thread", "-"], &readable);
        assert!(ok && text == "\ndone\n", "{text}");
        // Output still reaches the caller through the pipes it was given.
        let sh = installation(Path::new("/bin/sh"));
        let sh: Vec<&Path> = sh.iter().map(|p| p.as_path()).collect();
        let (ok, text, _) = confined(Path::new("/bin/sh"), &["-c", "echo out; echo err >&2"], &sh);
        assert!(ok);
        assert_eq!(text, "out\nerr\n");
    }

    fn landlock_abi() -> i32 {
        super::super::landlock::kernel_abi()
    }
}
