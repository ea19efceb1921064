//! The character-level pass: cuts a command line into segments at control
//! operators, pulls out the files of output redirections, collects the
//! command substitutions, and skips comments and heredoc bodies. Quotes are
//! kept as written, for `shlex` to split the words afterwards.

use super::ParseError;

/// Cuts `src` into its segments and substitutions.
pub(super) fn split(src: &str) -> Result<Split, ParseError> {
    Splitter::new(src).run()
}

/// One simple command's text, quotes as written, and the files its output
/// is redirected to.
pub(super) struct Segment {
    pub(super) text: String,
    pub(super) redirects: Vec<String>,
}

pub(super) struct Split {
    pub(super) segments: Vec<Segment>,
    /// The inner text of `$(...)`, `<(...)` and backticks.
    pub(super) substitutions: Vec<String>,
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
