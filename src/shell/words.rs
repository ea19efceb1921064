//! What the words of one simple command mean to a shell before the program
//! runs: variable assignments, wrappers that only run the real command
//! (`env`, `timeout`, `sudo`, ...), and shells or `eval` given a script.

/// Words that only prefix the real command.
const KEYWORDS: &[&str] = &[
    "{", "}", "!", "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "time",
    "exec", "builtin", "nohup", "sudo", "doas",
];

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

/// Strips what runs the real command: `X=1`, `env`, `timeout`, `nice`,
/// `command`, `nohup`, `stdbuf`, `ionice`, `time`, `sudo`, `exec`.
pub(super) fn strip_wrappers(mut words: Vec<String>) -> Vec<String> {
    loop {
        let Some(first) = words.first() else {
            return words;
        };
        let skip = if is_assignment(first) || KEYWORDS.contains(&first.as_str()) {
            1
        } else {
            match basename(first) {
                "env" => {
                    let mut j = 1;
                    while j < words.len() {
                        let w = &words[j];
                        if w == "-u" || w == "-C" || w == "--unset" || w == "--chdir" {
                            j += 2;
                        } else if w.starts_with('-') || is_assignment(w) {
                            j += 1;
                        } else {
                            break;
                        }
                    }
                    j
                }
                "command" => 1 + words[1..].iter().take_while(|w| w.starts_with('-')).count(),
                "nice" | "ionice" | "stdbuf" => {
                    let mut j = 1;
                    while j < words.len() && words[j].starts_with('-') {
                        let w = &words[j];
                        // `-n 5`, `-c 2`: an option with a separate value.
                        j += if w.len() == 2 && !w.starts_with("--") {
                            2
                        } else {
                            1
                        };
                    }
                    j
                }
                "timeout" => {
                    let mut j = 1;
                    while j < words.len() && words[j].starts_with('-') {
                        let w = &words[j];
                        j += if w == "-s" || w == "-k" || w == "--signal" || w == "--kill-after" {
                            2
                        } else {
                            1
                        };
                    }
                    j + 1 // the duration
                }
                _ => 0,
            }
        };
        if skip == 0 {
            return words;
        }
        words.drain(..skip.min(words.len()));
    }
}

pub(super) fn basename(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

/// The script of `sh -c SCRIPT` or `eval WORDS`.
pub(super) fn inline_script(words: &[String]) -> Option<String> {
    let cmd = basename(words.first()?);
    match cmd {
        "sh" | "bash" | "zsh" | "dash" | "ksh" => {
            let c = words
                .iter()
                .position(|w| w.starts_with('-') && !w.starts_with("--") && w.contains('c'))?;
            words.get(c + 1).cloned()
        }
        "eval" => Some(words[1..].join(" ")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owned(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| (*w).to_string()).collect()
    }

    #[track_caller]
    fn stripped(words: &[&str], expected: &[&str]) {
        assert_eq!(strip_wrappers(owned(words)), expected, "words: {words:?}");
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
