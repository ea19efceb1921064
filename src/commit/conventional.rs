//! The syntax of one commit message, per Conventional Commits 1.0.0.
//!
//! Parsing is [`super::grammar`]'s, which reads what `git-conventional` reads.
//! That is looser than the specification in a few places, so this module
//! adds the checks it leaves out: the space after
//! `:`, a blank line before footers, a scope that is not blank, the exact
//! spelling of `BREAKING CHANGE` footers. Everything that is a matter of
//! project taste (allowed types, header length, a full stop) is in
//! [`super::rules`]; this module only says whether a message is a
//! Conventional Commit at all and what its parts are.

use std::borrow::Cow;

use super::grammar::{self, ParseError};

use super::Violation;

/// A message's parts, owned so verdicts outlive the text they came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// As written; compare case-insensitively.
    pub commit_type: String,
    pub scope: Option<String>,
    pub breaking: bool,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Footer {
    pub token: String,
    /// `:` or ` #`.
    pub separator: &'static str,
    pub value: String,
}

impl Footer {
    pub fn is(&self, token: &str) -> bool {
        self.token.eq_ignore_ascii_case(token)
    }
}

/// What the syntax check found: the parts when the message parsed, and every
/// way it departs from the specification.
#[derive(Debug, Clone, Default)]
pub struct Syntax {
    pub header: Option<Header>,
    pub footers: Vec<Footer>,
    pub violations: Vec<Violation>,
}

/// The first line of a message.
pub fn first_line(message: &str) -> &str {
    let line = split_lf(message).next().unwrap_or("");
    line.strip_suffix('\r').unwrap_or(line)
}

/// `text.split('\n')`, each line end found by a byte search: a message's
/// lines are short, and the general splitter's set-up costs more than
/// finding the end of one.
pub fn split_lf(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let r = rest?;
        match memchr::memchr(b'\n', r.as_bytes()) {
            Some(i) => {
                rest = Some(&r[i + 1..]);
                Some(&r[..i])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// Where each line of `text` starts (the first at 0), found by byte.
pub fn line_starts(text: &str) -> impl Iterator<Item = usize> {
    std::iter::once(0).chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1))
}

/// CRLF is a valid line ending (the specification's newline is `[CR] LF`);
/// the checks below see LF only.
pub fn normalize(message: &str) -> Cow<'_, str> {
    if message.contains('\r') {
        Cow::Owned(message.replace("\r\n", "\n"))
    } else {
        Cow::Borrowed(message)
    }
}

/// Checks `message` (LF line endings, see [`normalize`]) against the
/// specification.
pub fn check(message: &str) -> Syntax {
    let mut out = Syntax::default();
    let header_line = first_line(message);
    let message = message.trim_end_matches('\n');
    if message.trim().is_empty() {
        out.violations.push(Violation::new(
            "header-format",
            "the message is empty",
            None::<String>,
        ));
        return out;
    }
    let mut text = Cow::Borrowed(message);
    if header_line != header_line.trim() {
        out.violations.push(Violation::new(
            "header-trim",
            "the header starts or ends with white space",
            Some(format!("{header_line:?}")),
        ));
        // Parse the trimmed header too, to report what else is wrong.
        let rest = &message[header_line.len()..];
        text = Cow::Owned(format!("{}{rest}", header_line.trim()));
    }
    let commit = match grammar::parse(&text) {
        Ok(c) => c,
        Err(kind) => {
            out.violations.push(parse_error(kind, first_line(&text)));
            return out;
        }
    };
    let header = Header {
        commit_type: commit.commit_type.to_string(),
        scope: commit.scope.map(str::to_string),
        breaking: commit.breaking,
        description: commit.description.to_string(),
    };
    separator(first_line(&text), &header, &mut out.violations);
    if let Some(scope) = &header.scope
        && scope.trim().is_empty()
    {
        out.violations.push(Violation::new(
            "scope-format",
            "the scope is blank",
            Some(format!("({scope})")),
        ));
    }
    for f in &commit.footers {
        // The parser takes `token:value` for a footer; the specification
        // asks for `token: value` or `token #value`, so `task::Store` in a
        // body is prose, not a `task` footer. (Neither pair holds a line
        // end, so what follows a line's start is read past its end.)
        let token = f.token;
        let spec_form = line_starts(&text).any(|start| {
            text[start..]
                .strip_prefix(token)
                .is_some_and(|rest| rest.starts_with(": ") || rest.starts_with(" #"))
        });
        if !spec_form {
            continue;
        }
        out.footers.push(Footer {
            token: token.to_string(),
            separator: f.separator,
            value: f.value.to_string(),
        });
    }
    breaking_footers(&out.footers, &mut out.violations);
    if let Some(body) = commit.body {
        body_footers(body, &mut out.violations);
    }
    out.header = Some(header);
    out
}

/// The grammar reports what it could not parse; say it in the
/// specification's words.
fn parse_error(kind: ParseError, header: &str) -> Violation {
    let part = Some(header.to_string());
    // The parser's error kinds are coarse; look at the header itself.
    let prefix_end = header
        .find(|c: char| c == '(' || c == ':' || c == '!' || c.is_whitespace())
        .unwrap_or(header.len());
    let rest = &header[prefix_end..];
    if prefix_end > 0 && rest.starts_with('(') {
        let close = rest.find(')');
        let colon = rest.find(':');
        let unclosed = close.is_none() || colon.is_some_and(|c| c < close.unwrap_or(0));
        if unclosed || rest[1..close.unwrap_or(1)].trim().is_empty() {
            return Violation::new(
                "scope-format",
                "the scope in parentheses is empty or not closed",
                part,
            );
        }
    }
    let after_scope = match rest.strip_prefix('(').and_then(|r| r.split_once(')')) {
        Some((_, after)) => after,
        None => rest,
    };
    let after_bang = after_scope.strip_prefix('!').unwrap_or(after_scope);
    if prefix_end > 0
        && let Some(desc) = after_bang.strip_prefix(':')
        && desc.trim().is_empty()
    {
        return Violation::new(
            "subject-empty",
            "the description after `type: ` is empty",
            part,
        );
    }
    match kind {
        ParseError::InvalidBody => Violation::new(
            "body-leading-blank",
            "the line after the header must be blank (is the header wrapped onto two lines?)",
            part,
        ),
        ParseError::Header | ParseError::InvalidFormat => Violation::new(
            "header-format",
            "the header is not `type(scope): description`",
            part,
        ),
    }
}

/// The specification asks for a colon *and a space*; the parser takes any
/// amount of white space, including none.
fn separator(header: &str, parsed: &Header, violations: &mut Vec<Violation>) {
    let Some(colon) = header.find(':') else {
        return;
    };
    let after = &header[colon + 1..];
    let ok = after.starts_with(' ')
        && !after[1..].starts_with(char::is_whitespace)
        && !parsed.description.is_empty();
    if !ok {
        let shown: String = header[..(colon + 1 + after.len().min(3))].to_string();
        violations.push(Violation::new(
            "subject-separator",
            "the type must be followed by `: ` (a colon and one space)",
            Some(shown),
        ));
    }
}

fn breaking_footers(footers: &[Footer], violations: &mut Vec<Violation>) {
    for f in footers {
        let upper = f.token.to_ascii_uppercase();
        let breaking = upper == "BREAKING CHANGE" || upper == "BREAKING-CHANGE";
        if !breaking {
            continue;
        }
        // The specification reads any other case as an ordinary footer or
        // body text, so the commit is valid; it is likely a mistake all the same.
        if f.token != upper {
            violations.push(
                Violation::new(
                    "breaking-change-uppercase",
                    "`BREAKING CHANGE` is upper case; in any other case it is not a breaking change",
                    Some(f.token.clone()),
                )
                .warning(),
            );
        }
        if f.separator != ":" || f.value.trim().is_empty() {
            violations.push(Violation::new(
                "breaking-change-format",
                "a breaking change footer is `BREAKING CHANGE: description`",
                Some(format!("{}{}{}", f.token, f.separator, f.value)),
            ));
        }
    }
}

/// Whether a line reads as a footer: `Token: value` or `Token #value`, where
/// a token is a word with `-` for spaces, or `BREAKING CHANGE`.
pub fn footer_line(line: &str) -> Option<(&str, &str)> {
    let (token, value) = if let Some(i) = find_pair(line, *b": ") {
        (&line[..i], &line[i + 2..])
    } else if let Some(i) = find_pair(line, *b" #") {
        (&line[..i], &line[i + 2..])
    } else {
        return None;
    };
    let word = !token.is_empty()
        && token
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_');
    (word || token.eq_ignore_ascii_case("BREAKING CHANGE")).then_some((token, value))
}

/// Where `pair` first occurs in `line`: `line.find(pair)` without the
/// general search's set-up, which costs more than a message's line. The
/// byte looked for is the one that is not a space.
fn find_pair(line: &str, pair: [u8; 2]) -> Option<usize> {
    let bytes = line.as_bytes();
    if pair[0] == b' ' {
        memchr::memchr_iter(pair[1], bytes)
            .find(|&i| i > 0 && bytes[i - 1] == b' ')
            .map(|i| i - 1)
    } else {
        memchr::memchr_iter(pair[0], bytes).find(|&i| bytes.get(i + 1) == Some(&pair[1]))
    }
}

/// Footers run together with the body's last paragraph are not footers to
/// the specification (nor to the parser): a blank line must come first.
fn body_footers(body: &str, violations: &mut Vec<Violation>) {
    let last = last_paragraph(body);
    let lines: Vec<&str> = last.lines().collect();
    if let Some(line) = lines.iter().find(|l| {
        let t = l.trim_start();
        footer_line(t).is_some_and(|(tok, _)| tok.eq_ignore_ascii_case("BREAKING CHANGE"))
            && !t.starts_with("BREAKING CHANGE")
    }) {
        violations.push(
            Violation::new(
                "breaking-change-uppercase",
                "`BREAKING CHANGE` is upper case; in any other case it is not a breaking change",
                Some(line.to_string()),
            )
            .warning(),
        );
    }
    // The paragraph ends in footer lines but does not start with one.
    let mut first_footer = lines.len();
    for (i, line) in lines.iter().enumerate().rev() {
        if footer_line(line).is_some() {
            first_footer = i;
        } else if !line.starts_with([' ', '\t']) {
            break;
        }
    }
    if first_footer > 0 && first_footer < lines.len() {
        violations.push(Violation::new(
            "footer-leading-blank",
            "footers must follow a blank line; without one they are part of the body",
            Some(lines[first_footer].to_string()),
        ));
    }
}

/// What follows the last blank line of `text` (`"\n\n"`), or all of it:
/// `text.rsplit("\n\n").next()` without the general search's set-up.
fn last_paragraph(text: &str) -> &str {
    let bytes = text.as_bytes();
    memchr::memrchr_iter(b'\n', bytes)
        .find(|&i| i > 0 && bytes[i - 1] == b'\n')
        .map_or(text, |i| &text[i + 1..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_split_where_the_standard_splitters_split_them() {
        for text in [
            "",
            "a",
            "\n",
            "a\n",
            "a\nb",
            "a\r\nb\r\n",
            "\n\na\n\n",
            "é\nü\n",
        ] {
            assert_eq!(
                split_lf(text).collect::<Vec<_>>(),
                text.split('\n').collect::<Vec<_>>(),
                "{text:?}"
            );
            let starts: Vec<usize> = line_starts(text).collect();
            let expected: Vec<usize> = std::iter::once(0)
                .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                .collect();
            assert_eq!(starts, expected, "{text:?}");
        }
        assert_eq!(first_line("feat: x\r\nbody"), "feat: x");
        assert_eq!(first_line(""), "");
    }

    #[test]
    fn the_last_paragraph_is_what_rsplit_finds() {
        for text in [
            "",
            "a",
            "a\n\nb",
            "a\n\n\nb",
            "a\n\n",
            "\n\n",
            "\n",
            "a\nb\n\nc\nd\n\n\n\ne",
            "é\n\nü",
        ] {
            assert_eq!(
                last_paragraph(text),
                text.rsplit("\n\n").next().unwrap_or(text),
                "{text:?}"
            );
        }
    }

    #[test]
    fn pairs_are_found_where_find_finds_them() {
        for line in [
            "",
            ":",
            " #",
            "a: b: c",
            "Refs #1 #2",
            "x:y: z",
            "#1 a #2",
            "  # a",
            "é: ü #",
        ] {
            for pair in [*b": ", *b" #"] {
                let needle = std::str::from_utf8(&pair).unwrap();
                assert_eq!(
                    find_pair(line, pair),
                    line.find(needle),
                    "{line:?} {needle:?}"
                );
            }
        }
    }
}
