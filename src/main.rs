//! The `harness-agents` command. On Linux with glibc the process starts in
//! the C runtime's `main` below rather than in the standard library's,
//! which costs every start, the guard's before each tool call included,
//! work that harness does not need. (glibc hands the standard library the
//! arguments by itself; musl does not, so a musl build keeps std's start.)
#![cfg_attr(all(target_os = "linux", target_env = "gnu"), no_main)]

use clap::Parser;

/// Runs the command line; the exit code.
fn run() -> u8 {
    let result = match harness::run_hook_fast() {
        Some(result) => result,
        None => harness::run(harness::cli::Cli::parse()),
    };
    match result {
        Ok(outcome) => outcome.code(),
        Err(err) => {
            harness::report::error(&err);
            err.exit_code()
        }
    }
}

/// Where the C runtime starts the process. The standard library's start
/// would also find the main thread's stack bounds (by reading and parsing
/// `/proc/self/maps`) and map an alternate signal stack, so that a stack
/// overflow is reported by name: 15 of the 36 system calls of
/// `harness-agents --version`, for the message of a bug. What of that start
/// harness relies on is done here:
/// - descriptors 0 to 2 are open, on `/dev/null` if they were closed, so
///   that no file harness opens becomes its standard output;
/// - a write to a closed pipe fails with `EPIPE`, reported as an error,
///   instead of killing the process with `SIGPIPE`;
/// - a panic prints its message (the panic hook) and exits 101;
/// - standard output is flushed on the way out (`std::process::exit`).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[unsafe(no_mangle)]
extern "C" fn main(_argc: libc::c_int, _argv: *const *const libc::c_char) -> libc::c_int {
    // SAFETY: before any other code runs: `fcntl` and `open` on integers
    // and a static C string, and `signal` with a constant disposition.
    unsafe {
        for fd in 0..3 {
            if libc::fcntl(fd, libc::F_GETFD) == -1
                && libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) != fd
            {
                // The lowest free descriptor is `fd`: only a failed open
                // leaves it closed.
                libc::abort();
            }
        }
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
    let code = std::panic::catch_unwind(run).unwrap_or(101);
    std::process::exit(i32::from(code))
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(run())
}
