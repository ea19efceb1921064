//! The character-level pass: cuts a command line into segments at control
//! operators (remembering which operator joins each to the next, and where
//! subshells open and close), pulls out the files of output redirections,
//! collects the command substitutions, skips comments, and reads heredoc
//! bodies with their delimiters as bash reads them. Quotes are kept as
//! written, for [`super::lex`] to split the words afterwards.

use super::{ParseError, lex};

/// Cuts `src` into its segments and substitutions.
pub(super) fn split(src: &str) -> Result<Split, ParseError> {
    Splitter::new(src).run()
}

/// One simple command's text, quotes as written, and the files its output
/// is redirected to.
pub(super) struct Segment {
    pub(super) text: String,
    pub(super) redirects: Vec<String>,
    /// The operator before this command, and the one after it.
    pub(super) follows: Op,
    pub(super) then: Op,
    /// The bodies of its heredocs, as the program reads them on stdin.
    pub(super) heredocs: Vec<String>,
}

/// How a command is joined to the next one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    /// `;`, a newline, or the start of the line.
    Seq,
    And,
    Or,
    /// `|` or `|&`: the commands run in subshells of their own.
    Pipe,
    /// `&`: the command runs in a subshell, in the background.
    Background,
}

pub(super) enum Item {
    Command(Segment),
    /// `(`: a subshell starts.
    Open,
    /// `)`: it ends; what it changed (its directory) is forgotten.
    Close,
}

pub(super) struct Split {
    pub(super) items: Vec<Item>,
    /// The inner text of `$(...)`, `<(...)` and backticks.
    pub(super) substitutions: Vec<String>,
    /// Whether the line defines a shell function (`f() ...`), whose body
    /// runs wherever it is called.
    pub(super) defines_function: bool,
}

/// A heredoc whose body starts after the current line.
struct Heredoc {
    delim: String,
    /// `<<-`: leading tabs are stripped from the body and delimiter lines.
    strip_tabs: bool,
    /// An unquoted delimiter: the body is expanded, so `$(...)` in it runs.
    expands: bool,
    /// The index in `items` of the command that reads it.
    item: usize,
}

use super::SUBSTITUTION as SUBST;

struct Splitter<'a> {
    chars: Vec<char>,
    i: usize,
    src: &'a str,
    current: String,
    redirects: Vec<String>,
    follows: Op,
    out: Split,
    heredocs: Vec<Heredoc>,
}

impl<'a> Splitter<'a> {
    fn new(src: &'a str) -> Self {
        Splitter {
            chars: src.chars().collect(),
            i: 0,
            src,
            current: String::new(),
            redirects: Vec::new(),
            follows: Op::Seq,
            out: Split {
                items: Vec::new(),
                substitutions: Vec::new(),
                defines_function: false,
            },
            heredocs: Vec::new(),
        }
    }

    fn peek(&self, n: usize) -> Option<char> {
        self.chars.get(self.i + n).copied()
    }

    /// Ends the current command at the operator `then`; `None` for a
    /// parenthesis, which leaves the operator before the next command as it
    /// was.
    fn end_segment(&mut self, then: Option<Op>) {
        let text = std::mem::take(&mut self.current);
        let redirects = std::mem::take(&mut self.redirects);
        if !text.trim().is_empty() || !redirects.is_empty() {
            self.out.items.push(Item::Command(Segment {
                text,
                redirects,
                follows: self.follows,
                then: then.unwrap_or(Op::Seq),
                heredocs: Vec::new(),
            }));
        }
        if let Some(op) = then {
            self.follows = op;
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
                '$' if self.peek(1) == Some('\'') => {
                    let end = self.ansi_c_end(self.i + 2)?;
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
                    self.end_segment(Some(Op::Seq));
                    self.read_heredocs()?;
                }
                ';' => {
                    self.i += 1;
                    self.end_segment(Some(Op::Seq));
                }
                '(' => {
                    self.i += 1;
                    let mut j = self.i;
                    while self.chars.get(j).is_some_and(|c| *c == ' ' || *c == '\t') {
                        j += 1;
                    }
                    if !self.current.trim().is_empty() && self.chars.get(j) == Some(&')') {
                        self.out.defines_function = true;
                    }
                    self.end_segment(None);
                    self.out.items.push(Item::Open);
                }
                ')' => {
                    self.i += 1;
                    self.end_segment(None);
                    self.out.items.push(Item::Close);
                }
                '|' => {
                    self.i += 1;
                    let op = match self.peek(0) {
                        Some('|') => {
                            self.i += 1;
                            Op::Or
                        }
                        Some('&') => {
                            self.i += 1;
                            Op::Pipe
                        }
                        _ => Op::Pipe,
                    };
                    self.end_segment(Some(op));
                }
                '&' => {
                    if self.peek(1) == Some('>') {
                        // `&>file` / `&>>file`: stdout and stderr to a file.
                        self.i += 1;
                        self.redirect_out()?;
                    } else {
                        self.i += 1;
                        let op = if self.peek(0) == Some('&') {
                            self.i += 1;
                            Op::And
                        } else {
                            Op::Background
                        };
                        self.end_segment(Some(op));
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
        self.end_segment(Some(Op::Seq));
        Ok(self.out)
    }

    fn find_from(&self, from: usize, target: char) -> Option<usize> {
        (from..self.chars.len()).find(|&j| self.chars[j] == target)
    }

    /// The closing quote of `$'...'` whose text starts at `from`, where a
    /// backslash escapes a quote.
    fn ansi_c_end(&self, from: usize) -> Result<usize, ParseError> {
        self.escaped_end(from, '\'', "`$'`")
    }

    /// The first unescaped `close` from `from` on; a backslash escapes the
    /// character after it. `what` names the opening mark in the error.
    fn escaped_end(&self, from: usize, close: char, what: &str) -> Result<usize, ParseError> {
        let mut j = from;
        while j < self.chars.len() {
            match self.chars[j] {
                '\\' => j += 2,
                c if c == close => return Ok(j),
                _ => j += 1,
            }
        }
        Err(ParseError(format!(
            "unclosed {what} in `{}`",
            self.src.trim()
        )))
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
        self.escaped_end(from, '`', "``` ` ```")
    }

    /// The index of the `)` closing a `(` just before `from`, skipping quotes
    /// and nested parentheses.
    fn find_close(&self, from: usize) -> Result<usize, ParseError> {
        let mut depth = 1usize;
        let mut j = from;
        while j < self.chars.len() {
            match self.chars[j] {
                '\\' => j += 1,
                '$' if self.chars.get(j + 1) == Some(&'\'') => j = self.ansi_c_end(j + 2)?,
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
            let raw = self.word()?;
            if !raw.is_empty() && !raw.chars().all(|c| c.is_ascii_digit() || c == '-') {
                self.target(&raw)?;
            }
            return Ok(());
        }
        let raw = self.word()?;
        self.target(&raw)
    }

    /// Records the file a redirection writes. Braces are expanded although
    /// bash refuses a redirection to several files: the reading errs on the
    /// side of seeing more.
    fn target(&mut self, raw: &str) -> Result<(), ParseError> {
        let words = lex::words(raw)?;
        if words.is_empty() {
            return Err(ParseError(format!(
                "a redirection without a target in `{}`",
                self.src.trim()
            )));
        }
        self.redirects.extend(words);
        Ok(())
    }

    /// At `<`: input redirections and heredocs read; only `<>`, which
    /// opens its file for reading and writing (creating it), writes.
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
                let strip_tabs = self.peek(0) == Some('-');
                if strip_tabs {
                    self.i += 1;
                }
                // bash ends the body at the delimiter with its quotes
                // removed (`$'EOF'` ends at `EOF`); any quoting turns
                // expansion in the body off.
                let (delim, quoted) = lex::unquote(&self.word()?)?;
                let item = self.out.items.len();
                self.heredocs.push(Heredoc {
                    delim,
                    strip_tabs,
                    expands: !quoted,
                    item,
                });
            }
            Some('>') => {
                self.i += 1;
                let raw = self.word()?;
                self.target(&raw)?;
            }
            Some('&') => {
                self.i += 1;
                self.word()?;
            }
            _ => {
                self.word()?;
            }
        }
        Ok(())
    }

    /// Reads the bodies of pending heredocs, which follow the line that
    /// opened them, line by line as bash does: in an expanding body a
    /// backslash-newline joins lines before the delimiter is looked for,
    /// and `$(...)` and backticks in it run.
    fn read_heredocs(&mut self) -> Result<(), ParseError> {
        for doc in std::mem::take(&mut self.heredocs) {
            let mut body = String::new();
            while self.i < self.chars.len() {
                let mut line = String::new();
                while let Some(c) = self.peek(0) {
                    self.i += 1;
                    if c != '\n' {
                        line.push(c);
                        continue;
                    }
                    let escapes = line.chars().rev().take_while(|&c| c == '\\').count();
                    if doc.expands && escapes % 2 == 1 {
                        line.pop();
                        continue;
                    }
                    break;
                }
                let line = if doc.strip_tabs {
                    line.trim_start_matches('\t').to_string()
                } else {
                    line
                };
                if line == doc.delim {
                    break;
                }
                body.push_str(&line);
                body.push('\n');
            }
            if doc.expands {
                let inner = Splitter::new(&body).substitutions_in_text()?;
                self.out.substitutions.extend(inner);
            }
            if let Some(Item::Command(seg)) = self.out.items.get_mut(doc.item) {
                seg.heredocs.push(body);
            }
        }
        Ok(())
    }

    /// The command substitutions in text that is otherwise data (an
    /// expanding heredoc body): quotes there are literal.
    fn substitutions_in_text(mut self) -> Result<Vec<String>, ParseError> {
        while let Some(c) = self.peek(0) {
            match c {
                '\\' => self.i += 2,
                '`' => {
                    let end = self.find_backtick(self.i + 1)?;
                    self.substitution(self.i + 1, end);
                }
                '$' if self.peek(1) == Some('(') => {
                    let end = self.find_close(self.i + 2)?;
                    self.substitution(self.i + 2, end);
                }
                _ => self.i += 1,
            }
        }
        Ok(self.out.substitutions)
    }

    /// One shell word as written (quotes kept), after optional blanks.
    fn word(&mut self) -> Result<String, ParseError> {
        while self.peek(0).is_some_and(|c| c == ' ' || c == '\t') {
            self.i += 1;
        }
        let mut raw = String::new();
        while let Some(c) = self.peek(0) {
            match c {
                c if c.is_whitespace() => break,
                ';' | '|' | '&' | '<' | '>' | '(' | ')' => break,
                '$' if self.peek(1) == Some('\'') => {
                    let end = self.ansi_c_end(self.i + 2)?;
                    raw.extend(&self.chars[self.i..=end]);
                    self.i = end + 1;
                }
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
        Ok(raw)
    }
}
