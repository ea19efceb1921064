//! Shell command lines read as a shell would split them: into simple
//! commands, each with its words and the files it redirects output to, with
//! wrappers stripped. This module knows shell syntax only; what a command
//! means (which files it writes, which rule it matches) is for its callers.
//!
//! Claude Code matches a `Bash(...)` rule against each part of a compound
//! command and strips wrappers such as `timeout 10` first; the guard does
//! the same, so `timeout 5 git push` is caught by `Bash(git push:*)`.
//! Splitting is done here, quote-aware, on `&&`, `||`, `;`, `|`, `&`,
//! newlines, subshells, `$(...)` and backticks (whose inner commands become
//! commands of their own); heredoc bodies are skipped. Words are then split
//! with `shlex` (POSIX quoting rules). `sh -c`/`bash -c` and `eval` with a
//! literal argument are read as command lines too.
//!
//! The character-level splitting is in `split`; what the words of one
//! simple command mean to a shell (assignments, wrappers, inline scripts)
//! is in `words`.

mod split;
mod words;

use std::fmt;

pub use words::is_assignment;

/// One simple command of a command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimpleCommand {
    /// The words after wrappers and assignments are stripped.
    pub words: Vec<String>,
    /// Files this command writes through redirections (`>`, `>>`, `&>`).
    pub redirects: Vec<String>,
}

impl SimpleCommand {
    /// The command as rules see it: its words joined by single spaces.
    pub fn text(&self) -> String {
        self.words.join(" ")
    }

    /// The program run, without its directory (`rm` for `/bin/rm`); `None`
    /// for a command that is only redirections.
    pub fn program(&self) -> Option<&str> {
        self.words.first().map(|w| words::basename(w))
    }

    /// The words after the program.
    pub fn args(&self) -> &[String] {
        self.words.get(1..).unwrap_or_default()
    }
}

/// A command line that cannot be split (unbalanced quotes or brackets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub String);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How deep `$(...)`, `bash -c` and `eval` may nest before we give up.
const MAX_DEPTH: usize = 8;

/// Splits a command line into its simple commands.
pub fn parse(command: &str) -> Result<Vec<SimpleCommand>, ParseError> {
    let mut commands = Vec::new();
    parse_into(command, 0, &mut commands)?;
    Ok(commands)
}

fn parse_into(command: &str, depth: usize, out: &mut Vec<SimpleCommand>) -> Result<(), ParseError> {
    if depth > MAX_DEPTH {
        return Err(ParseError("commands nest too deeply to check".into()));
    }
    let raw = split::split(command)?;
    for seg in raw.segments {
        let Some(words) = shlex::split(&seg.text) else {
            return Err(ParseError(format!("unbalanced quotes in `{}`", seg.text)));
        };
        let words = words::strip_wrappers(words);
        if words.is_empty() && seg.redirects.is_empty() {
            continue;
        }
        // `bash -c '...'` and `eval '...'` run their argument as a command.
        if let Some(inner) = words::inline_script(&words) {
            parse_into(&inner, depth + 1, out)?;
        }
        out.push(SimpleCommand {
            words,
            redirects: seg.redirects,
        });
    }
    for inner in raw.substitutions {
        parse_into(&inner, depth + 1, out)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn texts(cmd: &str, expected: &[&str]) {
        let commands = parse(cmd).unwrap();
        let got: Vec<String> = commands.iter().map(SimpleCommand::text).collect();
        assert_eq!(got, expected, "command: {cmd:?}");
    }

    #[track_caller]
    fn redirects(cmd: &str, expected: &[&str]) {
        let commands = parse(cmd).unwrap();
        let got: Vec<&String> = commands.iter().flat_map(|c| &c.redirects).collect();
        assert_eq!(got, expected, "command: {cmd:?}");
    }

    #[test]
    fn splits_compound_commands() {
        texts("git status && git diff", &["git status", "git diff"]);
        texts("a || b; c | d & e", &["a", "b", "c", "d", "e"]);
        texts("a\nb\n", &["a", "b"]);
        texts("echo 'a && b' \"c; d\"", &["echo a && b c; d"]);
        texts(
            "echo $(git rev-parse HEAD)",
            &["echo __harness_substitution__", "git rev-parse HEAD"],
        );
        texts(
            "echo `whoami`",
            &["echo __harness_substitution__", "whoami"],
        );
        texts("(cd src && make)", &["cd src", "make"]);
        texts("# just a comment\nls # trailing", &["ls"]);
        texts("cat <<EOF\nrm -rf /\nEOF\nls", &["cat", "ls"]);
        texts("bash -c 'rm x; ls'", &["rm x", "ls", "bash -c rm x; ls"]);
    }

    #[test]
    fn strips_wrappers() {
        texts("timeout 10 npm test", &["npm test"]);
        texts("timeout -s KILL 5s git push", &["git push"]);
        texts("nice -n 5 cargo build", &["cargo build"]);
        texts("env X=1 Y=2 make", &["make"]);
        texts("X=1 command -p ls", &["ls"]);
        texts("sudo nohup stdbuf -oL ./run", &["./run"]);
    }

    #[test]
    fn reads_output_redirections_and_not_input_ones() {
        redirects("echo x > a >>b", &["a", "b"]);
        redirects("make 2> err.log 2>&1 >&2", &["err.log"]);
        redirects("cmd &> 'out file'", &["out file"]);
        redirects("cmd >&log", &["log"]);
        redirects("sort < in.txt <<< word", &[]);
        redirects("cat <<EOF > out\nbody > not-a-file\nEOF", &["out"]);
        redirects("> only.txt", &["only.txt"]);
    }

    #[test]
    fn names_the_program_without_its_directory() {
        let commands = parse("/usr/bin/sed -i x f; > out").unwrap();
        assert_eq!(commands[0].program(), Some("sed"));
        assert_eq!(commands[0].args(), ["-i", "x", "f"]);
        assert_eq!(commands[1].program(), None);
        assert!(commands[1].args().is_empty());
    }

    #[test]
    fn unbalanced_input_is_an_error() {
        assert!(parse("echo 'oops").is_err());
        assert!(parse("echo $(ls").is_err());
        assert!(parse("echo \"a").is_err());
        assert!(parse("echo >").is_err());
    }

    #[test]
    fn nesting_too_deep_is_an_error() {
        let mut cmd = "ls".to_string();
        for _ in 0..=MAX_DEPTH {
            cmd = format!("echo $({cmd})");
        }
        assert_eq!(
            parse(&cmd).unwrap_err().to_string(),
            "commands nest too deeply to check"
        );
    }
}
