//! What the words of one simple command mean to a shell before the program
//! runs: variable assignments, wrappers that only run the real command
//! (`env`, `timeout`, `sudo`, `xargs`, ...) with their options, and shells
//! or `eval` given a script.

use super::{ParseError, lex};

/// Words that only prefix the real command.
const KEYWORDS: &[&str] = &[
    "{", "}", "!", "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "builtin",
];

/// Keywords that run what follows more than once (or elsewhere: a
/// function body runs where it is called).
const REPEATING: &[&str] = &["for", "select", "while", "until", "do", "function"];

/// Whether a shell word is a variable assignment (`NAME=value`).
pub fn is_assignment(word: &str) -> bool {
    match word.split_once('=') {
        Some((name, _)) => {
            !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !name.starts_with(|c: char| c.is_ascii_digit())
        }
        None => false,
    }
}

/// A simple command with its wrappers taken off.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Stripped {
    pub(super) words: Vec<String>,
    /// The directory a wrapper runs the program in (`env -C`, `sudo -D`).
    pub(super) chdir: Option<String>,
    /// `xargs`: more arguments come from the input.
    pub(super) args_from_input: bool,
    /// Files a wrapper itself writes (`time -o FILE`).
    pub(super) writes: Vec<String>,
}

/// Whether the words open a loop or define a function: the commands inside
/// run more than once, or somewhere else, so their order says nothing of
/// the directory they run in.
pub(super) fn repeats(words: &[String]) -> bool {
    words
        .iter()
        .take_while(|w| KEYWORDS.contains(&w.as_str()) || REPEATING.contains(&w.as_str()))
        .any(|w| REPEATING.contains(&w.as_str()))
}

/// The index after the options of the wrapper at `words[0]`: options in
/// `with_value` take a value (the next word, or the rest of the word), and
/// `--` ends them. Calls `seen` with each option and its value.
fn options(
    words: &[String],
    with_value: &[&str],
    mut seen: impl FnMut(&str, Option<&str>),
) -> usize {
    let mut i = 1;
    while i < words.len() {
        let w = words[i].as_str();
        if w == "--" {
            return i + 1;
        }
        if !w.starts_with('-') || w == "-" {
            break;
        }
        if let Some(long) = w.strip_prefix("--") {
            match long.split_once('=') {
                Some((name, value)) => seen(&format!("--{name}"), Some(value)),
                None if with_value.contains(&w) => {
                    seen(w, words.get(i + 1).map(String::as_str));
                    i += 1;
                }
                None => seen(w, None),
            }
            i += 1;
            continue;
        }
        // A cluster of short options; one taking a value ends it.
        for (k, c) in w[1..].char_indices() {
            let opt = format!("-{c}");
            if with_value.contains(&opt.as_str()) {
                let rest = &w[1 + k + c.len_utf8()..];
                if rest.is_empty() {
                    seen(&opt, words.get(i + 1).map(String::as_str));
                    i += 1;
                } else {
                    seen(&opt, Some(rest));
                }
                break;
            }
            seen(&opt, None);
        }
        i += 1;
    }
    i
}

/// Strips what runs the real command: `X=1`, `env`, `sudo`, `timeout`,
/// `nice`, `ionice`, `chrt`, `stdbuf`, `flock`, `setsid`, `nohup`, `time`,
/// `exec`, `command`, `xargs`, with their options.
pub(super) fn strip_wrappers(mut words: Vec<String>) -> Result<Stripped, ParseError> {
    let mut out = Stripped::default();
    while let Some(first) = words.first() {
        if is_assignment(first) || KEYWORDS.contains(&first.as_str()) {
            words.remove(0);
            continue;
        }
        let mut chdir = None;
        let mut split_string = None;
        let mut no_command = false;
        let mut time_output = None;
        let skip = match basename(first) {
            "env" => {
                let i = options(
                    &words,
                    &["-u", "--unset", "-C", "--chdir", "-S", "--split-string"],
                    |o, v| match o {
                        "-C" | "--chdir" => chdir = v.map(str::to_string),
                        "-S" | "--split-string" => split_string = v.map(str::to_string),
                        _ => {}
                    },
                );
                i + words[i..].iter().take_while(|w| is_assignment(w)).count()
            }
            "sudo" | "doas" => {
                let with_value = [
                    "-u",
                    "-g",
                    "-C",
                    "-D",
                    "-h",
                    "-p",
                    "-r",
                    "-t",
                    "-U",
                    "-T",
                    "-R",
                    "--user",
                    "--group",
                    "--close-from",
                    "--chdir",
                    "--host",
                    "--prompt",
                    "--role",
                    "--type",
                    "--other-user",
                    "--command-timeout",
                    "--chroot",
                ];
                let mut edit = false;
                let i = options(&words, &with_value, |o, v| match o {
                    "-D" | "--chdir" => chdir = v.map(str::to_string),
                    "-e" | "--edit" => edit = true,
                    _ => {}
                });
                if edit {
                    // `sudo -e FILE` is `sudoedit FILE`.
                    words.splice(..i, ["sudoedit".to_string()]);
                    break;
                }
                i
            }
            "nice" => options(&words, &["-n", "--adjustment"], |_, _| {}),
            "stdbuf" => options(
                &words,
                &["-i", "-o", "-e", "--input", "--output", "--error"],
                |_, _| {},
            ),
            "ionice" => options(
                &words,
                &[
                    "-c",
                    "-n",
                    "-p",
                    "-P",
                    "-u",
                    "--class",
                    "--classdata",
                    "--pid",
                    "--pgid",
                    "--uid",
                ],
                |o, _| no_command |= matches!(o, "-p" | "-P" | "-u" | "--pid" | "--pgid" | "--uid"),
            ),
            "chrt" => {
                let with_value = [
                    "-T",
                    "-P",
                    "-D",
                    "--sched-runtime",
                    "--sched-period",
                    "--sched-deadline",
                ];
                let i = options(&words, &with_value, |o, _| {
                    no_command |= matches!(o, "-p" | "--pid");
                });
                i + 1 // the priority
            }
            "timeout" => {
                let i = options(&words, &["-s", "-k", "--signal", "--kill-after"], |_, _| {});
                i + 1 // the duration
            }
            "flock" => {
                let i = options(
                    &words,
                    &["-w", "-E", "--timeout", "--conflict-exit-code"],
                    |_, _| {},
                );
                // `flock FILE -c 'CMD'` runs CMD with `sh -c`.
                if matches!(
                    words.get(i + 1).map(String::as_str),
                    Some("-c" | "--command")
                ) {
                    let script = words.get(i + 2).cloned().unwrap_or_default();
                    words = vec!["sh".into(), "-c".into(), script];
                    continue;
                }
                i + 1 // the lock file or descriptor
            }
            "time" => options(&words, &["-o", "-f", "--output", "--format"], |o, v| {
                if matches!(o, "-o" | "--output") {
                    time_output = v.map(str::to_string);
                }
            }),
            "exec" => options(&words, &["-a"], |_, _| {}),
            "nohup" | "setsid" => options(&words, &[], |_, _| {}),
            "command" => options(&words, &[], |_, _| {}),
            "xargs" => {
                out.args_from_input = true;
                let with_value = [
                    "-a",
                    "-d",
                    "-E",
                    "-I",
                    "-L",
                    "-n",
                    "-P",
                    "-s",
                    "--arg-file",
                    "--delimiter",
                    "--max-lines",
                    "--max-args",
                    "--max-procs",
                    "--max-chars",
                    "--process-slot-var",
                ];
                let i = options(&words, &with_value, |_, _| {});
                if i >= words.len() {
                    // The default command only prints.
                    words = vec!["echo".into()];
                    continue;
                }
                i
            }
            _ => break,
        };
        if chdir.is_some() {
            out.chdir = chdir;
        }
        out.writes.extend(time_output);
        if no_command {
            words.clear();
            break;
        }
        words.drain(..skip.min(words.len()));
        if let Some(script) = split_string {
            let mut inner = lex::words(&script)?;
            inner.append(&mut words);
            words = inner;
        }
    }
    out.words = words;
    Ok(out)
}

pub(super) fn basename(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

/// The script of `sh -c SCRIPT` or `eval WORDS`.
pub(super) fn inline_script(words: &[String]) -> Option<String> {
    let cmd = basename(words.first()?);
    match cmd {
        shell if SHELLS.contains(&shell) => {
            let c = words
                .iter()
                .position(|w| w.starts_with('-') && !w.starts_with("--") && w.contains('c'))?;
            words.get(c + 1).cloned()
        }
        "eval" => Some(words[1..].join(" ")),
        _ => None,
    }
}

/// Whether the command is a shell that reads its script from standard
/// input (`bash`, `sh -s ARGS`), as it does a heredoc's body.
pub(super) fn reads_script_from_stdin(words: &[String]) -> bool {
    let Some(first) = words.first() else {
        return false;
    };
    if !SHELLS.contains(&basename(first)) || inline_script(words).is_some() {
        return false;
    }
    let args = &words[1..];
    args.iter().any(|w| w == "-s") || args.iter().all(|w| w.starts_with('-'))
}

/// The programs that run a shell script.
const SHELLS: &[&str] = &["sh", "bash", "zsh", "dash", "ksh"];

#[cfg(test)]
mod tests {
    use super::*;

    fn owned(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| (*w).to_string()).collect()
    }

    #[track_caller]
    fn stripped(words: &[&str], expected: &[&str]) {
        assert_eq!(
            strip_wrappers(owned(words)).unwrap().words,
            expected,
            "words: {words:?}"
        );
    }

    #[test]
    fn tells_assignments_from_arguments() {
        for word in ["X=1", "_a=", "PATH=/bin:$PATH", "a1=b=c"] {
            assert!(is_assignment(word), "{word}");
        }
        for word in ["=1", "1X=2", "--flag=x", "a-b=c", "plain", "a.b=c"] {
            assert!(!is_assignment(word), "{word}");
        }
    }

    #[test]
    fn strips_nested_wrappers_and_their_options() {
        stripped(&["X=1", "/usr/bin/env", "-u", "HOME", "Y=2", "ls"], &["ls"]);
        stripped(&["timeout", "--kill-after", "5", "10", "make"], &["make"]);
        stripped(&["ionice", "-c", "2", "nice", "make"], &["make"]);
        stripped(&["if", "!", "grep", "x"], &["grep", "x"]);
        stripped(&["timeout"], &[]);
        stripped(&["make", "X=1"], &["make", "X=1"]);
        stripped(&["sudo", "-u", "bob", "-H", "rm", "x"], &["rm", "x"]);
        stripped(&["sudo", "-ubob", "--", "rm", "x"], &["rm", "x"]);
        stripped(
            &["env", "-i", "-S", "rm -f x", "y"],
            &["rm", "-f", "x", "y"],
        );
        stripped(&["env", "--split-string=tee a"], &["tee", "a"]);
        stripped(
            &["setsid", "-f", "flock", "-n", "/tmp/l", "rm", "x"],
            &["rm", "x"],
        );
        stripped(&["flock", "l", "-c", "rm x"], &["sh", "-c", "rm x"]);
        stripped(&["stdbuf", "-o0", "-e", "L", "tee", "x"], &["tee", "x"]);
        stripped(
            &["ionice", "-c3", "chrt", "-f", "1", "nice", "-5", "tee", "x"],
            &["tee", "x"],
        );
        stripped(&["ionice", "-p", "42"], &[]);
        stripped(
            &["time", "-p", "exec", "-a", "n", "tee", "x"],
            &["tee", "x"],
        );
        stripped(
            &["xargs", "-0", "-I", "{}", "-n1", "rm", "{}"],
            &["rm", "{}"],
        );
        stripped(&["xargs"], &["echo"]);
        stripped(&["sudo", "-e", "f"], &["sudoedit", "f"]);
    }

    #[test]
    fn keeps_what_wrappers_say_besides_the_command() {
        let s = strip_wrappers(owned(&["env", "-C", "tests", "rm", "a"])).unwrap();
        assert_eq!(
            (s.chdir.as_deref(), s.words),
            (Some("tests"), owned(&["rm", "a"]))
        );
        let s = strip_wrappers(owned(&["sudo", "--chdir=t", "xargs", "rm"])).unwrap();
        assert_eq!((s.chdir.as_deref(), s.args_from_input), (Some("t"), true));
        let s = strip_wrappers(owned(&["time", "-o", "t/x", "ls"])).unwrap();
        assert_eq!(s.writes, ["t/x"]);
    }

    #[test]
    fn finds_the_script_of_a_shell_or_eval() {
        let script = |words: &[&str]| inline_script(&owned(words));
        assert_eq!(script(&["bash", "-c", "ls"]).as_deref(), Some("ls"));
        assert_eq!(script(&["/bin/sh", "-ec", "ls"]).as_deref(), Some("ls"));
        assert_eq!(script(&["eval", "rm", "x"]).as_deref(), Some("rm x"));
        assert_eq!(script(&["bash", "run.sh"]), None);
        assert_eq!(script(&["bash", "--norc", "run.sh"]), None);
        assert_eq!(script(&["python", "-c", "x"]), None);
    }
}
