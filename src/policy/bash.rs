//! Bash commands as the guard sees them: split into simple commands, with
//! wrappers stripped, and the files each one would write.
//!
//! Claude Code matches a `Bash(...)` rule against each part of a compound
//! command and strips wrappers such as `timeout 10` first; the guard does
//! the same, so `timeout 5 git push` is caught by `Bash(git push:*)`.
//! Splitting is done here, quote-aware, on `&&`, `||`, `;`, `|`, `&`,
//! newlines, subshells, `$(...)` and backticks (whose inner commands become
//! parts of their own); heredoc bodies are skipped. Words are then split
//! with `shlex` (POSIX quoting rules).
//!
//! What cannot be seen through: code run by an interpreter (`python -c`,
//! `node -e`, `perl -e` without `-i`), scripts and Makefiles, variables and
//! globs expanded at run time, commands read from files or stdin (`xargs`
//! targets, `source`), and tools that rewrite many files at once (`git
//! reset --hard`, `git stash`, `patch`). `sh -c`/`bash -c` and `eval` with a
//! literal argument are analysed as commands. For everything else the CI
//! scope check (every changed file against the plan) is the backstop.

use std::fmt;

/// One simple command of a Bash command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The words after wrappers and assignments are stripped.
    pub words: Vec<String>,
    /// Files this command writes through redirections (`>`, `>>`, `&>`).
    pub redirects: Vec<String>,
}

impl Part {
    /// The command as rules see it: its words joined by single spaces.
    pub fn text(&self) -> String {
        self.words.join(" ")
    }

    /// Every file this command would write, as far as can be seen.
    pub fn writes(&self) -> Vec<String> {
        let mut out = self.redirects.clone();
        out.extend(command_writes(&self.words));
        out
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
pub fn parse(command: &str) -> Result<Vec<Part>, ParseError> {
    let mut parts = Vec::new();
    parse_into(command, 0, &mut parts)?;
    Ok(parts)
}

fn parse_into(command: &str, depth: usize, out: &mut Vec<Part>) -> Result<(), ParseError> {
    if depth > MAX_DEPTH {
        return Err(ParseError("commands nest too deeply to check".into()));
    }
    let raw = Splitter::new(command).run()?;
    for seg in raw.segments {
        let Some(words) = shlex::split(&seg.text) else {
            return Err(ParseError(format!("unbalanced quotes in `{}`", seg.text)));
        };
        let words = strip_wrappers(words);
        if words.is_empty() && seg.redirects.is_empty() {
            continue;
        }
        // `bash -c '...'` and `eval '...'` run their argument as a command.
        if let Some(inner) = inline_script(&words) {
            parse_into(&inner, depth + 1, out)?;
        }
        out.push(Part {
            words,
            redirects: seg.redirects,
        });
    }
    for inner in raw.substitutions {
        parse_into(&inner, depth + 1, out)?;
    }
    Ok(())
}

struct Segment {
    text: String,
    redirects: Vec<String>,
}

struct Split {
    segments: Vec<Segment>,
    /// The inner text of `$(...)`, `<(...)` and backticks.
    substitutions: Vec<String>,
}

/// Stands in for a substitution's output in the outer command's words.
const SUBST: &str = "__harness_substitution__";

struct Splitter<'a> {
    chars: Vec<char>,
    i: usize,
    src: &'a str,
    current: String,
    redirects: Vec<String>,
    out: Split,
    heredocs: Vec<String>,
}

impl<'a> Splitter<'a> {
    fn new(src: &'a str) -> Self {
        Splitter {
            chars: src.chars().collect(),
            i: 0,
            src,
            current: String::new(),
            redirects: Vec::new(),
            out: Split {
                segments: Vec::new(),
                substitutions: Vec::new(),
            },
            heredocs: Vec::new(),
        }
    }

    fn peek(&self, n: usize) -> Option<char> {
        self.chars.get(self.i + n).copied()
    }

    fn end_segment(&mut self) {
        let text = std::mem::take(&mut self.current);
        let redirects = std::mem::take(&mut self.redirects);
        if !text.trim().is_empty() || !redirects.is_empty() {
            self.out.segments.push(Segment { text, redirects });
        }
    }

    /// Whether the next character starts a new word.
    fn at_word_start(&self) -> bool {
        self.current
            .chars()
            .last()
            .is_none_or(|c| c.is_whitespace())
    }

    fn run(mut self) -> Result<Split, ParseError> {
        while let Some(c) = self.peek(0) {
            match c {
                '\\' => {
                    if self.peek(1) == Some('\n') {
                        self.i += 2;
                        continue;
                    }
                    self.current.push(c);
                    if let Some(n) = self.peek(1) {
                        self.current.push(n);
                    }
                    self.i += 2;
                }
                '\'' => {
                    let end = self.find_from(self.i + 1, '\'').ok_or_else(|| {
                        ParseError(format!("unclosed `'` in `{}`", self.src.trim()))
                    })?;
                    self.current.extend(&self.chars[self.i..=end]);
                    self.i = end + 1;
                }
                '"' => self.double_quoted()?,
                '`' => {
                    let end = self.find_backtick(self.i + 1)?;
                    self.substitution(self.i + 1, end);
                }
                '$' if self.peek(1) == Some('(') => {
                    let end = self.find_close(self.i + 2)?;
                    self.substitution(self.i + 2, end);
                }
                '<' | '>' if self.peek(1) == Some('(') => {
                    // Process substitution: its command runs too.
                    let end = self.find_close(self.i + 2)?;
                    self.substitution(self.i + 2, end);
                }
                '#' if self.at_word_start() => {
                    while self.peek(0).is_some_and(|c| c != '\n') {
                        self.i += 1;
                    }
                }
                '\n' => {
                    self.i += 1;
                    self.end_segment();
                    self.skip_heredocs();
                }
                ';' | '(' | ')' => {
                    self.i += 1;
                    self.end_segment();
                }
                '|' => {
                    // `|`, `||` and `|&` all end the command.
                    self.i += 1;
                    if matches!(self.peek(0), Some('|' | '&')) {
                        self.i += 1;
                    }
                    self.end_segment();
                }
                '&' => {
                    if self.peek(1) == Some('>') {
                        // `&>file` / `&>>file`: stdout and stderr to a file.
                        self.i += 1;
                        self.redirect_out()?;
                    } else {
                        self.i += 1;
                        if self.peek(0) == Some('&') {
                            self.i += 1;
                        }
                        self.end_segment();
                    }
                }
                '>' => {
                    self.drop_fd_number();
                    self.redirect_out()?;
                }
                '<' => {
                    self.drop_fd_number();
                    self.redirect_in()?;
                }
                _ => {
                    self.current.push(c);
                    self.i += 1;
                }
            }
        }
        self.end_segment();
        Ok(self.out)
    }

    fn find_from(&self, from: usize, target: char) -> Option<usize> {
        (from..self.chars.len()).find(|&j| self.chars[j] == target)
    }

    /// Records the command substitution `chars[start..end]` (its command
    /// runs too, so it is checked as one) and moves past its closing mark.
    fn substitution(&mut self, start: usize, end: usize) {
        let inner: String = self.chars[start..end].iter().collect();
        self.out.substitutions.push(inner);
        self.current.push_str(SUBST);
        self.i = end + 1;
    }

    fn find_backtick(&self, from: usize) -> Result<usize, ParseError> {
        let mut j = from;
        while j < self.chars.len() {
            match self.chars[j] {
                '\\' => j += 2,
                '`' => return Ok(j),
                _ => j += 1,
            }
        }
        Err(ParseError(format!(
            "unclosed ``` ` ``` in `{}`",
            self.src.trim()
        )))
    }

    /// The index of the `)` closing a `(` just before `from`, skipping quotes
    /// and nested parentheses.
    fn find_close(&self, from: usize) -> Result<usize, ParseError> {
        let mut depth = 1usize;
        let mut j = from;
        while j < self.chars.len() {
            match self.chars[j] {
                '\\' => j += 1,
                '\'' => {
                    j = self
                        .find_from(j + 1, '\'')
                        .ok_or_else(|| ParseError(format!("unclosed `'` in `{}`", self.src)))?;
                }
                '"' => {
                    let mut k = j + 1;
                    while k < self.chars.len() && self.chars[k] != '"' {
                        if self.chars[k] == '\\' {
                            k += 1;
                        }
                        k += 1;
                    }
                    j = k;
                }
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(j);
                    }
                }
                _ => {}
            }
            j += 1;
        }
        Err(ParseError(format!("unclosed `(` in `{}`", self.src.trim())))
    }

    /// A double-quoted string: copied as written, but the commands of any
    /// `$(...)` or backticks inside it still run, so they are collected.
    fn double_quoted(&mut self) -> Result<(), ParseError> {
        self.current.push('"');
        self.i += 1;
        loop {
            let Some(c) = self.peek(0) else {
                return Err(ParseError(format!(
                    "unclosed `\"` in `{}`",
                    self.src.trim()
                )));
            };
            match c {
                '"' => {
                    self.current.push('"');
                    self.i += 1;
                    return Ok(());
                }
                '\\' => {
                    self.current.push(c);
                    if let Some(n) = self.peek(1) {
                        self.current.push(n);
                    }
                    self.i += 2;
                }
                '$' if self.peek(1) == Some('(') => {
                    let end = self.find_close(self.i + 2)?;
                    self.substitution(self.i + 2, end);
                }
                '`' => {
                    let end = self.find_backtick(self.i + 1)?;
                    self.substitution(self.i + 1, end);
                }
                _ => {
                    self.current.push(c);
                    self.i += 1;
                }
            }
        }
    }

    /// `2>file`: the `2` is a file descriptor, not a word of the command.
    fn drop_fd_number(&mut self) {
        let trimmed_len = self
            .current
            .trim_end_matches(|c: char| c.is_ascii_digit())
            .len();
        if trimmed_len < self.current.len() {
            let before = &self.current[..trimmed_len];
            if before.is_empty() || before.ends_with(char::is_whitespace) {
                self.current.truncate(trimmed_len);
            }
        }
    }

    /// At `>`: reads the operator and the target word.
    fn redirect_out(&mut self) -> Result<(), ParseError> {
        self.i += 1; // '>'
        if matches!(self.peek(0), Some('>' | '|')) {
            self.i += 1;
        }
        if self.peek(0) == Some('&') {
            // `>&2`, `2>&1`: duplicates a descriptor, names no file. `>&file`
            // is bash's spelling of `&>file`.
            self.i += 1;
            let word = self.word()?;
            if !word.is_empty() && !word.chars().all(|c| c.is_ascii_digit() || c == '-') {
                self.redirects.push(word);
            }
            return Ok(());
        }
        let word = self.word()?;
        if word.is_empty() {
            return Err(ParseError(format!(
                "a redirection without a target in `{}`",
                self.src.trim()
            )));
        }
        self.redirects.push(word);
        Ok(())
    }

    /// At `<`: input redirections and heredocs read, they do not write.
    fn redirect_in(&mut self) -> Result<(), ParseError> {
        self.i += 1;
        match self.peek(0) {
            Some('<') => {
                self.i += 1;
                if self.peek(0) == Some('<') {
                    // Here-string: the word is data.
                    self.i += 1;
                    self.word()?;
                    return Ok(());
                }
                if self.peek(0) == Some('-') {
                    self.i += 1;
                }
                let delim = self.word()?;
                self.heredocs.push(delim);
            }
            Some('&' | '>') => {
                self.i += 1;
                self.word()?;
            }
            _ => {
                self.word()?;
            }
        }
        Ok(())
    }

    /// Skips the bodies of pending heredocs, which follow the line that
    /// opened them.
    fn skip_heredocs(&mut self) {
        for delim in std::mem::take(&mut self.heredocs) {
            loop {
                if self.i >= self.chars.len() {
                    return;
                }
                let start = self.i;
                while self.peek(0).is_some_and(|c| c != '\n') {
                    self.i += 1;
                }
                let line: String = self.chars[start..self.i].iter().collect();
                self.i += 1;
                if line.trim() == delim {
                    break;
                }
            }
        }
    }

    /// One shell word, unquoted, after optional blanks.
    fn word(&mut self) -> Result<String, ParseError> {
        while self.peek(0).is_some_and(|c| c == ' ' || c == '\t') {
            self.i += 1;
        }
        let mut raw = String::new();
        while let Some(c) = self.peek(0) {
            match c {
                c if c.is_whitespace() => break,
                ';' | '|' | '&' | '<' | '>' | '(' | ')' => break,
                '\'' => {
                    let end = self
                        .find_from(self.i + 1, '\'')
                        .ok_or_else(|| ParseError(format!("unclosed `'` in `{}`", self.src)))?;
                    raw.extend(&self.chars[self.i..=end]);
                    self.i = end + 1;
                }
                '"' => {
                    let mut k = self.i + 1;
                    while k < self.chars.len() && self.chars[k] != '"' {
                        if self.chars[k] == '\\' {
                            k += 1;
                        }
                        k += 1;
                    }
                    if k >= self.chars.len() {
                        return Err(ParseError(format!("unclosed `\"` in `{}`", self.src)));
                    }
                    raw.extend(&self.chars[self.i..=k]);
                    self.i = k + 1;
                }
                '\\' => {
                    raw.push(c);
                    if let Some(n) = self.peek(1) {
                        raw.push(n);
                    }
                    self.i += 2;
                }
                _ => {
                    raw.push(c);
                    self.i += 1;
                }
            }
        }
        Ok(shlex::split(&raw)
            .and_then(|w| w.into_iter().next())
            .unwrap_or_default())
    }
}

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
pub fn strip_wrappers(mut words: Vec<String>) -> Vec<String> {
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

fn basename(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

/// The script of `sh -c SCRIPT` or `eval WORDS`.
fn inline_script(words: &[String]) -> Option<String> {
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

/// Operands: the arguments that are not options (everything after `--`).
fn operands(args: &[String], with_value: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    let mut rest = false;
    while i < args.len() {
        let a = &args[i];
        if rest || !a.starts_with('-') || a == "-" {
            out.push(a.clone());
        } else if a == "--" {
            rest = true;
        } else if with_value.contains(&a.as_str()) {
            i += 1;
        }
        i += 1;
    }
    out
}

/// Files a simple command writes, from its words.
fn command_writes(words: &[String]) -> Vec<String> {
    let Some(first) = words.first() else {
        return Vec::new();
    };
    let args = &words[1..];
    match basename(first) {
        "tee" => operands(args, &[]),
        "rm" | "rmdir" | "touch" | "shred" | "unlink" | "mkdir" => operands(args, &["-m"]),
        "truncate" => operands(args, &["-s", "-r", "--size", "--reference"]),
        "mv" => {
            // A move writes its target and removes its sources.
            let mut out = operands(args, &["-t", "-S", "--suffix"]);
            out.extend(target_dir(args));
            out
        }
        "cp" | "ln" | "install" | "rsync" => {
            let ops = operands(args, &["-t", "-S", "--suffix", "-m", "-o", "-g"]);
            match target_dir(args) {
                Some(dir) => vec![dir],
                None if ops.len() >= 2 => ops.last().cloned().into_iter().collect(),
                None => Vec::new(),
            }
        }
        "chmod" | "chown" | "chgrp" => operands(args, &["--reference"])
            .into_iter()
            .skip(1)
            .collect(),
        "dd" => args
            .iter()
            .filter_map(|a| a.strip_prefix("of="))
            .map(str::to_string)
            .collect(),
        "sed" => in_place_files(
            args,
            'i',
            "--in-place",
            &["-e", "-f", "--expression", "--file"],
        ),
        "perl" => in_place_files(args, 'i', "--in-place", &["-e", "-E", "-f"]),
        "git" => git_writes(args),
        _ => Vec::new(),
    }
}

/// `-t DIR` or `--target-directory=DIR`.
fn target_dir(args: &[String]) -> Option<String> {
    args.iter().enumerate().find_map(|(i, a)| {
        if a == "-t" || a == "--target-directory" {
            args.get(i + 1).cloned()
        } else {
            a.strip_prefix("--target-directory=").map(str::to_string)
        }
    })
}

/// The files of `sed -i` / `perl -pi -e`: operands after the script.
fn in_place_files(args: &[String], flag: char, long: &str, script_opts: &[&str]) -> Vec<String> {
    let in_place = args.iter().any(|a| {
        a.starts_with(long) || (a.starts_with('-') && !a.starts_with("--") && a[1..].contains(flag))
    });
    if !in_place {
        return Vec::new();
    }
    let has_script_opt = args.iter().any(|a| {
        script_opts.contains(&a.as_str())
            || script_opts
                .iter()
                .any(|o| o.starts_with("--") && a.starts_with(&format!("{o}=")))
    });
    let ops = operands(args, script_opts);
    if has_script_opt {
        ops
    } else {
        ops.into_iter().skip(1).collect()
    }
}

/// Files git rewrites in the working tree for named paths.
fn git_writes(args: &[String]) -> Vec<String> {
    // Skip global options such as `-C dir` and `-c k=v`.
    let mut i = 0;
    while i < args.len() && args[i].starts_with('-') {
        i += if args[i] == "-C" || args[i] == "-c" {
            2
        } else {
            1
        };
    }
    let Some(sub) = args.get(i) else {
        return Vec::new();
    };
    let rest = &args[i + 1..];
    match sub.as_str() {
        "checkout" => match rest.iter().position(|a| a == "--") {
            Some(dd) => rest[dd + 1..].to_vec(),
            None => Vec::new(),
        },
        "restore" => operands(rest, &["-s", "--source"]),
        "rm" | "mv" => operands(rest, &[]),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn texts(cmd: &str, expected: &[&str]) {
        let parts = parse(cmd).unwrap();
        let got: Vec<String> = parts.iter().map(Part::text).collect();
        assert_eq!(got, expected, "command: {cmd:?}");
    }

    #[track_caller]
    fn writes(cmd: &str, expected: &[&str]) {
        let parts = parse(cmd).unwrap();
        let got: Vec<String> = parts.iter().flat_map(Part::writes).collect();
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
    fn finds_every_write_form() {
        writes("echo x > tests/a.rs", &["tests/a.rs"]);
        writes("echo x >>tests/a.rs", &["tests/a.rs"]);
        writes("make 2> err.log 2>&1", &["err.log"]);
        writes("cmd &> 'out file'", &["out file"]);
        writes("echo x | tee -a t/1 t/2", &["t/1", "t/2"]);
        writes("sed -i 's/a/b/' tests/x.py", &["tests/x.py"]);
        writes("sed -i.bak -e 's/a/b/' f g", &["f", "g"]);
        writes("sed 's/a/b/' tests/x.py", &[]);
        writes("perl -pi -e 's/a/b/' t.rs", &["t.rs"]);
        writes("cp src/a tests/", &["tests/"]);
        writes("cp -t dest a b", &["dest"]);
        writes("mv tests/a.rs b.rs", &["tests/a.rs", "b.rs"]);
        writes("rm -rf -- tests", &["tests"]);
        writes("touch a b", &["a", "b"]);
        writes("truncate -s 0 tests/x", &["tests/x"]);
        writes("dd if=/dev/zero of=tests/x", &["tests/x"]);
        writes("git checkout -- tests/a.rs", &["tests/a.rs"]);
        writes("git checkout main -- tests/a.rs", &["tests/a.rs"]);
        writes("git checkout main", &[]);
        writes("git restore --source HEAD tests/a.rs", &["tests/a.rs"]);
        writes("git -C . rm tests/a.rs", &["tests/a.rs"]);
        writes(
            "ls > /dev/null; echo $(rm tests/x)",
            &["/dev/null", "tests/x"],
        );
    }

    #[test]
    fn unbalanced_input_is_an_error() {
        assert!(parse("echo 'oops").is_err());
        assert!(parse("echo $(ls").is_err());
        assert!(parse("echo \"a").is_err());
        assert!(parse("echo >").is_err());
    }
}
