//! Running one agent process: its output streamed to a log file (and to a
//! progress callback), a timeout, and Ctrl-C. Both stop the whole process
//! group the agent started (SIGTERM, then SIGKILL after a grace period),
//! and the group is killed once the agent exits too, so nothing it left
//! running in the background outlives its stage.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use serde::Serialize;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::signal::unix::{SignalKind, signal};

use crate::error::{Error, Result};

/// How long a stopped agent gets between SIGTERM and SIGKILL.
const GRACE: Duration = Duration::from_secs(2);

/// How an agent process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Ending {
    /// It exited with this code.
    Exited(i32),
    /// A signal ended it.
    Signalled,
    /// It ran past the stage's timeout and was killed.
    TimedOut,
    /// Ctrl-C (or SIGTERM/SIGHUP to harness) stopped it.
    Interrupted,
    /// It exited, reporting a cost over its budget (`max_cost_usd`).
    OverBudget,
}

/// What an agent's CLI reported of its own run at the end (Claude Code's
/// stream-json `result` event).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Reported {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub turns: Option<u64>,
}

/// One agent process, run to its end.
#[derive(Debug, Clone, Serialize)]
pub struct AgentRun {
    pub ending: Ending,
    /// Tool calls seen in its stream-json output (Claude Code only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<usize>,
    /// Its cost and turns, as it reported them (Claude Code only).
    pub reported: Reported,
    pub duration_ms: u64,
    /// Its standard output and error, as it ran.
    pub log: PathBuf,
}

/// Runs `cmd` (already in a process group of its own) with `stdin`, its
/// output appended to `log`, for at most `timeout`. `stream_json`: count
/// Claude Code's tool calls, calling `progress` with the count as it grows.
pub fn run(
    cmd: std::process::Command,
    stdin: &str,
    timeout: Duration,
    log: &Path,
    stream_json: bool,
    progress: &dyn Fn(usize),
) -> Result<AgentRun> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("start", "the async runtime", e))?;
    runtime.block_on(run_async(cmd, stdin, timeout, log, stream_json, progress))
}

async fn run_async(
    cmd: std::process::Command,
    stdin: &str,
    timeout: Duration,
    log: &Path,
    stream_json: bool,
    progress: &dyn Fn(usize),
) -> Result<AgentRun> {
    if let Some(dir) = log.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
    }
    let mut file = std::fs::File::create(log).map_err(|e| Error::io("create", log, e))?;
    let program = cmd.get_program().to_string_lossy().into_owned();
    let mut cmd = tokio::process::Command::from(cmd);
    cmd.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let signal_err = |e| Error::io("listen for", "signals", e);
    let mut sigint = signal(SignalKind::interrupt()).map_err(signal_err)?;
    let mut sigterm = signal(SignalKind::terminate()).map_err(signal_err)?;
    let mut sighup = signal(SignalKind::hangup()).map_err(signal_err)?;
    let started = Instant::now();
    let mut child = cmd.spawn().map_err(|e| Error::io("start", program, e))?;
    let group = child.id().map(|id| Pid::from_raw(id as i32));

    // An agent that does not read its prompt must not block harness.
    let mut input = child.stdin.take();
    let prompt = stdin.as_bytes().to_vec();
    let writer = tokio::spawn(async move {
        if let Some(mut input) = input.take() {
            let _ = input.write_all(&prompt).await;
        }
    });

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(bool, String)>();
    let mut readers = Vec::new();
    if let Some(out) = child.stdout.take() {
        let tx = tx.clone();
        readers.push(tokio::spawn(async move {
            let mut lines = BufReader::new(out).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let _ = tx.send((true, line));
            }
        }));
    }
    if let Some(err) = child.stderr.take() {
        let tx = tx.clone();
        readers.push(tokio::spawn(async move {
            let mut lines = BufReader::new(err).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let _ = tx.send((false, line));
            }
        }));
    }
    drop(tx);

    let mut tool_calls = 0usize;
    let mut reported = Reported::default();
    // The log is a record, not the run: a write that fails loses lines of
    // it, never the stage.
    let mut record = |file: &mut std::fs::File, is_out: bool, line: String| {
        let _ = writeln!(file, "{line}");
        if stream_json && is_out {
            let n = count_tool_calls(&line);
            if n > 0 {
                tool_calls += n;
                progress(tool_calls);
            }
            if let Some(r) = result_of(&line) {
                reported = r;
            }
        }
    };

    let deadline = tokio::time::sleep(timeout);
    tokio::pin!(deadline);
    let mut stopped = None;
    let status = loop {
        tokio::select! {
            status = child.wait() => break status.ok(),
            Some((is_out, line)) = rx.recv() => record(&mut file, is_out, line),
            () = &mut deadline, if stopped.is_none() => {
                stopped = Some(Ending::TimedOut);
                stop(group, &mut child).await;
            }
            _ = sigint.recv(), if stopped.is_none() => {
                stopped = Some(Ending::Interrupted);
                stop(group, &mut child).await;
            }
            _ = sigterm.recv(), if stopped.is_none() => {
                stopped = Some(Ending::Interrupted);
                stop(group, &mut child).await;
            }
            _ = sighup.recv(), if stopped.is_none() => {
                stopped = Some(Ending::Interrupted);
                stop(group, &mut child).await;
            }
        }
    };
    // What the agent left running in its group goes with it; and only then
    // can the pipes it held reach their end.
    if let Some(g) = group {
        let _ = killpg(g, Signal::SIGKILL);
    }
    writer.abort();
    // What is left in the pipes, for a grace period: a process that got
    // away with a copy of them (its supervisor killed first) must not keep
    // harness waiting.
    let drained = tokio::time::timeout(GRACE, async {
        while let Some((is_out, line)) = rx.recv().await {
            record(&mut file, is_out, line);
        }
    })
    .await;
    if drained.is_err() {
        let _ = writeln!(
            file,
            "[harness: the output was still open {GRACE:?} after the agent ended; the rest is not kept]"
        );
    }
    for r in readers {
        r.abort();
    }
    let _ = file.flush();
    let ending = stopped.unwrap_or(match status.and_then(|s| s.code()) {
        Some(code) => Ending::Exited(code),
        None => Ending::Signalled,
    });
    Ok(AgentRun {
        ending,
        tool_calls: stream_json.then_some(tool_calls),
        reported,
        duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        log: log.to_path_buf(),
    })
}

/// SIGTERM to the group, SIGKILL after the grace period.
async fn stop(group: Option<Pid>, child: &mut tokio::process::Child) {
    let Some(g) = group else { return };
    let _ = killpg(g, Signal::SIGTERM);
    if tokio::time::timeout(GRACE, child.wait()).await.is_err() {
        let _ = killpg(g, Signal::SIGKILL);
    }
}

/// The tool calls in one line of Claude Code's stream-json: the
/// `tool_use` blocks of an `assistant` message.
pub fn count_tool_calls(line: &str) -> usize {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(line) else {
        return 0;
    };
    if value.get("type").and_then(|t| t.as_str()) != Some("assistant") {
        return 0;
    }
    value
        .pointer("/message/content")
        .and_then(|c| c.as_array())
        .map_or(0, |blocks| {
            blocks
                .iter()
                .filter(|b| b.get("type").and_then(|t| t.as_str()) == Some("tool_use"))
                .count()
        })
}

/// The cost and turns of a stream-json `result` event; `None` for any
/// other line.
pub fn result_of(line: &str) -> Option<Reported> {
    if !line.contains("\"result\"") {
        return None;
    }
    let value = serde_json::from_str::<serde_json::Value>(line).ok()?;
    if value.get("type").and_then(|t| t.as_str()) != Some("result") {
        return None;
    }
    Some(Reported {
        cost_usd: value.get("total_cost_usd").and_then(|c| c.as_f64()),
        turns: value.get("num_turns").and_then(|n| n.as_u64()),
    })
}

#[cfg(test)]
mod tests {
    use std::os::unix::process::CommandExt;

    use super::*;

    #[test]
    fn tool_calls_are_the_tool_use_blocks_of_assistant_messages() {
        let line = r#"{"type":"assistant","message":{"content":[{"type":"text","text":"hi"},{"type":"tool_use","name":"Edit"},{"type":"tool_use","name":"Bash"}]}}"#;
        assert_eq!(count_tool_calls(line), 2);
        assert_eq!(
            count_tool_calls(r#"{"type":"user","message":{"content":[{"type":"tool_use"}]}}"#),
            0
        );
        assert_eq!(count_tool_calls("not json"), 0);
    }

    #[test]
    fn cost_and_turns_come_from_the_result_event() {
        let line = r#"{"type":"result","subtype":"success","total_cost_usd":0.4213,"num_turns":7,"result":"done"}"#;
        assert_eq!(
            result_of(line),
            Some(Reported {
                cost_usd: Some(0.4213),
                turns: Some(7)
            })
        );
        // An assistant message quoting the word is not the result.
        assert_eq!(
            result_of(
                r#"{"type":"assistant","message":{"content":[{"type":"text","text":"\"result\""}]}}"#
            ),
            None
        );
        assert_eq!(result_of("not json \"result\""), None);
    }

    #[test]
    fn a_process_past_its_timeout_is_killed_with_its_group() {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = std::process::Command::new("sh");
        cmd.args(["-c", "echo started; sleep 30 & echo $! > bg; wait"])
            .current_dir(dir.path())
            .process_group(0);
        let log = dir.path().join("log");
        let run = run(cmd, "", Duration::from_millis(500), &log, false, &|_| {}).unwrap();
        assert_eq!(run.ending, Ending::TimedOut);
        assert_eq!(std::fs::read_to_string(&log).unwrap(), "started\n");
        let bg: i32 = std::fs::read_to_string(dir.path().join("bg"))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        // Reaped by init or not, a killed process no longer runs.
        std::thread::sleep(Duration::from_millis(200));
        let state = std::fs::read_to_string(format!("/proc/{bg}/stat")).unwrap_or_default();
        assert!(state.is_empty() || state.contains(") Z "), "{state}");
    }

    #[test]
    fn output_held_open_by_an_escaped_process_does_not_hold_harness() {
        // No supervisor here: the process in a session of its own keeps a
        // copy of the pipes after its group is killed.
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = std::process::Command::new("sh");
        cmd.args([
            "-c",
            "echo before; setsid sh -c 'echo $$ > bg; exec sleep 30' & while [ ! -s bg ]; do sleep 0.01; done",
        ])
            .current_dir(dir.path())
            .process_group(0);
        let log = dir.path().join("log");
        let started = std::time::Instant::now();
        let run = run(cmd, "", Duration::from_secs(20), &log, false, &|_| {}).unwrap();
        assert_eq!(run.ending, Ending::Exited(0));
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(text.starts_with("before\n"), "{text}");
        assert!(text.contains("the rest is not kept"), "{text}");
        let bg = std::fs::read_to_string(dir.path().join("bg")).unwrap();
        let _ = nix::sys::signal::kill(Pid::from_raw(bg.trim().parse().unwrap()), Signal::SIGKILL);
    }

    #[test]
    fn exit_codes_and_output_are_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = std::process::Command::new("sh");
        cmd.args(["-c", "cat; echo oops >&2; exit 3"])
            .process_group(0);
        let log = dir.path().join("runs/log");
        let run = run(
            cmd,
            "prompt\n",
            Duration::from_secs(10),
            &log,
            false,
            &|_| {},
        )
        .unwrap();
        assert_eq!(run.ending, Ending::Exited(3));
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(
            text.contains("prompt\n") && text.contains("oops\n"),
            "{text}"
        );
    }
}
