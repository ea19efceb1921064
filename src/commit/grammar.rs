//! The Conventional Commits 1.0.0 grammar, read in one pass over the
//! message's bytes.
//!
//! It reads exactly what `git-conventional` 1.1 reads, looseness included
//! (any white space, line ends too, after the `:`; a footer value running
//! on until the next line that starts like a footer), so that every check
//! built on it keeps its meaning; [`super::conventional`] adds what the
//! specification asks beyond that. A test compares the two on every message
//! of a generated set of ordinary and odd ones. The crate is not used here
//! because, on this repository's history, its combinator parser cost about
//! 7,400 instructions per message, a third of the whole check of a commit,
//! where this costs about 2,400.

/// A message's parts, borrowed from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed<'a> {
    pub commit_type: &'a str,
    pub scope: Option<&'a str>,
    /// A `!` before the `:`, or a `BREAKING CHANGE` (or `BREAKING-CHANGE`)
    /// footer.
    pub breaking: bool,
    pub description: &'a str,
    pub body: Option<&'a str>,
    pub footers: Vec<Footer<'a>>,
}

/// `token separator value`, the value with its continuation lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Footer<'a> {
    pub token: &'a str,
    /// `:` or ` #`.
    pub separator: &'static str,
    pub value: &'a str,
}

/// Why a message is not a Conventional Commit, as coarsely as the grammar
/// tells it (as `git-conventional` does, every fault in the header is one
/// kind; [`super::conventional`] looks at the header to say which).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseError {
    /// The header is not `type(scope)!: description`.
    Header,
    /// The line after the header is not blank.
    InvalidBody,
    /// Anything else.
    InvalidFormat,
}

/// A character that ends a type: a line end, a parenthesis, `:`, `!` or
/// white space.
fn ends_type(c: char) -> bool {
    matches!(c, '\n' | '\r' | '(' | ')' | ':' | '!') || c.is_whitespace()
}

/// The longest prefix of `s` whose characters all satisfy `keep`.
fn take_while(s: &str, keep: impl Fn(char) -> bool) -> (&str, &str) {
    let end = s.find(|c: char| !keep(c)).unwrap_or(s.len());
    s.split_at(end)
}

/// A line end: LF or CRLF.
fn line_ending(s: &str) -> Option<&str> {
    s.strip_prefix('\n').or_else(|| s.strip_prefix("\r\n"))
}

/// `BREAKING CHANGE`, or a type-like word.
fn token(s: &str) -> Option<(&str, &str)> {
    if let Some(rest) = s.strip_prefix("BREAKING CHANGE") {
        return Some((&s[..s.len() - rest.len()], rest));
    }
    let (word, rest) = take_while(s, |c| !ends_type(c));
    (!word.is_empty()).then_some((word, rest))
}

/// `:` or ` #`.
fn separator(s: &str) -> Option<(&'static str, &str)> {
    if let Some(rest) = s.strip_prefix(':') {
        Some((":", rest))
    } else {
        s.strip_prefix(" #").map(|rest| (" #", rest))
    }
}

/// Whether a line (its end trimmed) starts like a footer.
fn starts_footer(line: &str) -> bool {
    token(line.trim_end()).is_some_and(|(_, rest)| separator(rest).is_some())
}

/// `s`'s lines, each with its `\n` (the last may have none).
fn lines_with_ends(s: &str) -> impl Iterator<Item = &str> {
    let mut rest = s;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let end = memchr::memchr(b'\n', rest.as_bytes()).map_or(rest.len(), |i| i + 1);
        let (line, after) = rest.split_at(end);
        rest = after;
        Some(line)
    })
}

/// `type(scope)!: description`; the rest after the description.
fn summary(s: &str) -> Option<(&str, Option<&str>, bool, &str, &str)> {
    let (commit_type, mut rest) = take_while(s, |c| !ends_type(c));
    if commit_type.is_empty() {
        return None;
    }
    let mut scope = None;
    if let Some(inner) = rest.strip_prefix('(') {
        let (words, after) = take_while(inner, |c| !matches!(c, '\n' | '\r' | '(' | ')'));
        if words.is_empty() {
            return None;
        }
        // An unclosed scope is no scope, and then no `:` follows the type.
        if let Some(after) = after.strip_prefix(')') {
            scope = Some(words);
            rest = after;
        }
    }
    let breaking = match rest.strip_prefix('!') {
        Some(after) => {
            rest = after;
            true
        }
        None => false,
    };
    let after = rest.strip_prefix(':')?.trim_start();
    let (description, rest) = take_while(after, |c| c != '\n' && c != '\r');
    if description.is_empty() {
        return None;
    }
    Some((commit_type, scope, breaking, description, rest))
}

/// The body: every line up to the first that starts like a footer after a
/// blank one; `None` when there is no such line before it.
fn body(s: &str) -> Option<(&str, &str)> {
    let mut len = 0;
    let mut prior_blank = true;
    for line in lines_with_ends(s) {
        if prior_blank && starts_footer(line) {
            break;
        }
        prior_blank = line.trim().is_empty();
        len += line.len();
    }
    (len > 0).then(|| (s[..len].trim_end(), &s[len..]))
}

/// One footer; `Err` when a token and separator have no value at all.
fn footer(s: &str) -> Option<Result<(Footer<'_>, &str), ParseError>> {
    let (token, rest) = token(s)?;
    let (separator, rest) = separator(rest)?;
    let rest = rest.trim_start();
    if rest.is_empty() {
        return Some(Err(ParseError::InvalidFormat));
    }
    let mut len = 0;
    for (i, line) in lines_with_ends(rest).enumerate() {
        if i > 0 && starts_footer(line) {
            break;
        }
        len += line.len();
    }
    let value = rest[..len].trim_end();
    Some(Ok((
        Footer {
            token,
            separator,
            value,
        },
        &rest[len..],
    )))
}

/// Parses a whole message.
pub fn parse(message: &str) -> Result<Parsed<'_>, ParseError> {
    let (commit_type, scope, bang, description, rest) =
        summary(message).ok_or(ParseError::Header)?;
    // The header ends at a line end or the end of the message, and the
    // line after it is blank.
    let rest = match line_ending(rest) {
        Some(after) => after,
        None if rest.is_empty() => rest,
        None => return Err(ParseError::InvalidFormat),
    };
    let mut rest = match line_ending(rest) {
        Some(after) => after,
        None if rest.is_empty() => rest,
        None => return Err(ParseError::InvalidBody),
    };
    while let Some(after) = line_ending(rest) {
        rest = after;
    }
    let body = match body(rest) {
        Some((text, after)) => {
            rest = after;
            Some(text)
        }
        None => None,
    };
    let mut footers = Vec::new();
    while let Some(found) = footer(rest) {
        let (f, after) = found?;
        footers.push(f);
        rest = after;
    }
    while let Some(after) = line_ending(rest) {
        rest = after;
    }
    if !rest.is_empty() {
        return Err(ParseError::InvalidFormat);
    }
    let breaking = bang
        || footers
            .iter()
            .any(|f| f.token == "BREAKING CHANGE" || f.token == "BREAKING-CHANGE");
    Ok(Parsed {
        commit_type,
        scope,
        breaking,
        description,
        body,
        footers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `git-conventional`'s reading of `message`, in this module's terms.
    fn reference(message: &str) -> Result<Parsed<'_>, ParseError> {
        use git_conventional::ErrorKind as K;
        match git_conventional::Commit::parse(message) {
            Ok(c) => Ok(Parsed {
                commit_type: c.type_().as_str(),
                scope: c.scope().map(|s| s.as_str()),
                breaking: c.breaking(),
                description: c.description(),
                body: c.body(),
                footers: c
                    .footers()
                    .iter()
                    .map(|f| Footer {
                        token: f.token().as_str(),
                        separator: f.separator().as_str(),
                        value: f.value(),
                    })
                    .collect(),
            }),
            Err(e) => Err(match e.kind() {
                K::MissingType => ParseError::Header,
                K::InvalidBody => ParseError::InvalidBody,
                K::InvalidFormat => ParseError::InvalidFormat,
                other => panic!("a kind the grammar does not give: {other:?}"),
            }),
        }
    }

    /// Messages built from every combination of odd pieces: headers with
    /// and without scopes, `!`, white space and line ends in every place
    /// the grammar cares about, bodies, footers of both separators,
    /// continuation lines, breaking-change tokens in several spellings.
    fn generated() -> Vec<String> {
        let headers = [
            "feat: add x",
            "feat(api): add x",
            "feat(api)!: add x",
            "feat!: add x",
            "feat:add x",
            "feat:  add x",
            "feat:\tadd x",
            "feat:",
            "feat: ",
            "feat:\u{a0}x",
            "feat():x",
            "feat( ): x",
            "feat(a(b): x",
            "feat(a: x",
            "feat)a: x",
            "feat (api): x",
            "feat x: y",
            "fix(é): ünïcode",
            "Feat: X.",
            " feat: x",
            "feat : x",
            ": x",
            "(a): x",
            "!: x",
            "feat!!: x",
            "feat\u{2003}x: y",
            "BREAKING CHANGE: x",
            "feat: a\rb",
            "feat: x\r",
            "feat",
            "",
            "feat(a:b): x",
            "feat(a!b): x",
            "feat(#1): x",
            "feat\u{3000}x: y",
            "feat:\u{85}x",
            "feat:\u{feff}x",
            "😀(é): ü",
        ];
        let seconds = [
            "",
            "\n",
            "\n\n",
            "\nnot blank",
            "\n \n",
            "\r\n\r\n",
            "\n\n\n",
        ];
        let bodies = [
            "",
            "A body line.",
            "A body.\nSecond line.",
            "Refs: 1",
            "Para one.\n\nPara two.",
            "task::Store is prose",
            "Body\nRefs: not a footer, no blank line before",
            "  indented body",
            "body\r\nwith crlf",
            "body\rwith cr",
            "#hash start",
            "ünïcödé bödy 😀\nsecond ü line",
            "body\u{2028}line",
            "\u{b}vt\u{c}ff",
        ];
        let footers = [
            "",
            "\n\nRefs: #22",
            "\n\nRefs #22",
            "\n\nRefs: 1\nAgent: dev",
            "\n\nBREAKING CHANGE: gone",
            "\n\nBREAKING-CHANGE: gone",
            "\n\nbreaking change: gone",
            "\n\nBREAKING CHANGE #1",
            "\n\nBREAKING CHANGES: x",
            "\n\nRefs: a\n  continued\nAgent: dev",
            "\n\nRefs:",
            "\n\nRefs:\n",
            "\n\nRefs:\n\nlater",
            "\n\nToken #",
            "\n\nA: b\nToken #",
            "\n\nReviewed-by: Z\n\n\n",
            "\n\nfoo bar: baz",
            "\n\nRefs:x",
            "\n\n\u{a0}Refs: x",
            "\n\nRefs: x\r\nAgent: y\r\n",
            "\n\nRefs: x\n\nTrailing prose.",
            "\n\nRéf: ü\nÄgent: é",
            "\n\nRefs: a\nBREAKING CHANGES: not a footer\nAgent: x",
            "\n\nTok#en: x",
            "\n\nRefs:\u{3000}x",
            "\n\n😀: x\n  ü",
        ];
        let ends = ["", "\n", "\n\n", "\r\n", " ", "\n \n"];
        let mut out = Vec::new();
        for (hi, h) in headers.iter().enumerate() {
            for (si, s) in seconds.iter().enumerate() {
                for (bi, b) in bodies.iter().enumerate() {
                    for (fi, f) in footers.iter().enumerate() {
                        // Each ending in turn, so every one meets every
                        // piece without multiplying the count.
                        let e = ends[(hi + si + bi + fi) % ends.len()];
                        out.push(format!("{h}{s}{b}{f}{e}"));
                    }
                }
            }
        }
        out
    }

    /// Messages of up to a dozen pieces drawn at random (a fixed seed, so
    /// a failure repeats), for the pairs the lists above never put side
    /// by side.
    fn drawn(count: usize) -> Vec<String> {
        const PIECES: &[&str] = &[
            "feat",
            "fix(",
            "api",
            ")",
            "!",
            ":",
            ": ",
            " ",
            "\t",
            "\n",
            "\n\n",
            "\r",
            "\r\n",
            "(",
            "#",
            " #",
            "BREAKING CHANGE",
            "BREAKING-CHANGE",
            "Refs",
            "Agent: x",
            "é",
            "😀",
            "\u{a0}",
            "\u{2028}",
            "\u{feff}",
            "body text",
            "Refs: 1",
            "x",
        ];
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move |n: usize| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((state >> 33) as usize) % n
        };
        (0..count)
            .map(|_| {
                let mut m = String::from(["feat: x", "fix(a)!: y", "", "chore"][next(4)]);
                for _ in 0..next(12) {
                    m.push_str(PIECES[next(PIECES.len())]);
                }
                m
            })
            .collect()
    }

    #[test]
    fn reads_every_generated_message_as_git_conventional_does() {
        let mut messages = generated();
        messages.extend(drawn(50_000));
        assert!(messages.len() > 100_000, "{}", messages.len());
        let mut differ = Vec::new();
        for m in &messages {
            let (ours, theirs) = (parse(m), reference(m));
            if ours != theirs {
                differ.push(format!("{m:?}\n  ours:   {ours:?}\n  theirs: {theirs:?}"));
            }
        }
        assert!(
            differ.is_empty(),
            "{} of {} differ, e.g.:\n{}",
            differ.len(),
            messages.len(),
            differ[..differ.len().min(8)].join("\n")
        );
    }

    #[test]
    fn reads_the_parts_of_a_message() {
        let p = parse("feat(api)!: add x\n\nWhy.\n\nRefs: 0007\nAgent #dev\n").unwrap();
        assert_eq!(p.commit_type, "feat");
        assert_eq!(p.scope, Some("api"));
        assert!(p.breaking);
        assert_eq!(p.description, "add x");
        assert_eq!(p.body, Some("Why."));
        assert_eq!(
            p.footers,
            [
                Footer {
                    token: "Refs",
                    separator: ":",
                    value: "0007"
                },
                Footer {
                    token: "Agent",
                    separator: " #",
                    value: "dev"
                }
            ]
        );
        assert_eq!(parse("feat(): x"), Err(ParseError::Header));
        assert_eq!(parse("feat: x\nnext"), Err(ParseError::InvalidBody));
        assert_eq!(parse("feat: "), Err(ParseError::Header));
        assert_eq!(parse("just words"), Err(ParseError::Header));
        assert_eq!(parse("feat: x\n\nRefs:"), Err(ParseError::InvalidFormat));
    }
}
