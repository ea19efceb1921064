//! The allowed signers file: who may sign plan approvals, with which key.
//!
//! The format is git's and OpenSSH's `allowed_signers` (see `ssh-keygen(1)`,
//! "ALLOWED SIGNERS"), so one file serves `git log --show-signature`,
//! `ssh-keygen -Y verify` and harness alike:
//!
//! ```text
//! # comment
//! alice@example.com,alice namespaces="harness-plan,git" ssh-ed25519 AAAA... laptop
//! bob ssh-rsa AAAA...
//! ```
//!
//! Principals are exact names (patterns are not honoured: an approval names
//! one person). Options other than `namespaces` and the validity window are
//! refused rather than ignored, so a file never means less than it says:
//! `cert-authority` in particular would trust every key a CA signs, which
//! harness does not check. The text is an input, not a path, so a caller
//! may pass the copy from another revision (CI reads the base branch's).

use std::path::{Path, PathBuf};

use ssh_key::{HashAlg, PublicKey};

use crate::diagnostic::{Code, Diagnostic, Span};

/// One line of the file.
#[derive(Debug, Clone)]
pub struct Signer {
    pub principals: Vec<String>,
    /// The namespaces the key may sign in; `None` means any.
    pub namespaces: Option<Vec<String>>,
    /// `valid-after` / `valid-before`, as `YYYYMMDD[HHMM[SS]]` compared as
    /// UTC timestamps.
    pub valid_after: Option<jiff::Timestamp>,
    pub valid_before: Option<jiff::Timestamp>,
    pub key: PublicKey,
    pub line: usize,
}

impl Signer {
    /// `SHA256:...`, as `ssh-keygen -l` prints it.
    pub fn fingerprint(&self) -> String {
        self.key.fingerprint(HashAlg::Sha256).to_string()
    }
}

/// The parsed file.
#[derive(Debug, Clone)]
pub struct Signers {
    pub path: PathBuf,
    pub entries: Vec<Signer>,
}

impl Signers {
    /// Reads `text` as the file at `path` (for locating errors).
    pub fn parse(path: &Path, text: &str) -> Result<Signers, Vec<Diagnostic>> {
        let mut entries = Vec::new();
        let mut errors = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let trimmed = line.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let indent = line.len() - trimmed.len();
            match parse_line(trimmed) {
                Ok(mut s) => {
                    s.line = i + 1;
                    entries.push(s);
                }
                Err((offset, message, hint)) => errors.push(
                    Diagnostic::error(Code::BadSignersLine, message)
                        .at(Span::new(path, i + 1, indent + offset + 1))
                        .hint(hint),
                ),
            }
        }
        if errors.is_empty() {
            Ok(Signers {
                path: path.to_path_buf(),
                entries,
            })
        } else {
            Err(errors)
        }
    }

    /// The entries naming `principal` whose key is `key` and that may sign
    /// in `namespace` at `at`.
    pub fn allows(
        &self,
        principal: &str,
        key: &ssh_key::public::KeyData,
        namespace: &str,
        at: Option<jiff::Timestamp>,
    ) -> Option<&Signer> {
        self.entries.iter().find(|s| {
            s.principals.iter().any(|p| p == principal)
                && s.key.key_data() == key
                && s.namespaces
                    .as_ref()
                    .is_none_or(|ns| ns.iter().any(|n| n == namespace))
                && at.is_none_or(|t| {
                    s.valid_after.is_none_or(|a| t >= a) && s.valid_before.is_none_or(|b| t < b)
                })
        })
    }

    /// The principals listed with `key`, whatever their options.
    pub fn principals_of(&self, key: &ssh_key::public::KeyData) -> Vec<&str> {
        self.entries
            .iter()
            .filter(|s| s.key.key_data() == key)
            .flat_map(|s| s.principals.iter().map(String::as_str))
            .collect()
    }
}

type LineError = (usize, String, String);

/// Splits on spaces outside double quotes, keeping each field's offset.
fn fields(line: &str) -> Result<Vec<(usize, &str)>, LineError> {
    let mut out = Vec::new();
    let mut start = None;
    let mut quoted = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => {
                quoted = !quoted;
                start.get_or_insert(i);
            }
            c if c.is_whitespace() && !quoted => {
                if let Some(s) = start.take() {
                    out.push((s, &line[s..i]));
                }
            }
            _ => {
                start.get_or_insert(i);
            }
        }
    }
    if quoted {
        return Err((
            line.len(),
            "unterminated quote".to_string(),
            "close the option's value with `\"`".to_string(),
        ));
    }
    if let Some(s) = start {
        out.push((s, &line[s..]));
    }
    Ok(out)
}

fn is_key_type(word: &str) -> bool {
    ["ssh-", "ecdsa-", "sk-", "rsa-"]
        .iter()
        .any(|p| word.starts_with(p))
}

fn parse_line(line: &str) -> Result<Signer, LineError> {
    let fields = fields(line)?;
    let expected =
        "write `PRINCIPALS [OPTIONS] KEYTYPE BASE64-KEY`, as `ssh-keygen -Y verify` reads it";
    let Some(&(_, principals)) = fields.first() else {
        return Err((0, "empty line".into(), expected.into()));
    };
    let principals: Vec<String> = principals.split(',').map(str::to_string).collect();
    if principals
        .iter()
        .any(|p| p.is_empty() || p.contains(['*', '?']))
    {
        return Err((
            0,
            format!("`{}` is not a list of names", principals.join(",")),
            "principals are exact names separated by commas; patterns are not supported".into(),
        ));
    }
    let mut rest = &fields[1..];
    let mut opts = Options::default();
    if let Some(&(at, options)) = rest.first()
        && !is_key_type(options)
    {
        opts = parse_options(options).map_err(|(o, m, h)| (at + o, m, h))?;
        rest = &rest[1..];
    }
    let (Some(&(at, kind)), Some(&(_, data))) = (rest.first(), rest.get(1)) else {
        let at = rest.first().map_or(line.len(), |f| f.0);
        return Err((at, "missing key".into(), expected.into()));
    };
    if !is_key_type(kind) {
        return Err((at, format!("`{kind}` is not a key type"), expected.into()));
    }
    let key = PublicKey::from_openssh(&format!("{kind} {data}")).map_err(|e| {
        (
            at,
            format!("the `{kind}` key cannot be read: {e}"),
            "copy the key from the person's `.pub` file".to_string(),
        )
    })?;
    Ok(Signer {
        principals,
        namespaces: opts.namespaces,
        valid_after: opts.valid_after,
        valid_before: opts.valid_before,
        key,
        line: 0,
    })
}

#[derive(Default)]
struct Options {
    namespaces: Option<Vec<String>>,
    valid_after: Option<jiff::Timestamp>,
    valid_before: Option<jiff::Timestamp>,
}

fn parse_options(options: &str) -> Result<Options, LineError> {
    let mut signer = Options::default();
    let mut offset = 0;
    for option in split_options(options) {
        let (name, value) = match option.split_once('=') {
            Some((n, v)) => (n, Some(v.trim_matches('"'))),
            None => (option, None),
        };
        match (name.to_ascii_lowercase().as_str(), value) {
            ("namespaces", Some(v)) => {
                signer.namespaces = Some(v.split(',').map(str::to_string).collect());
            }
            ("valid-after", Some(v)) => signer.valid_after = Some(time(v, offset)?),
            ("valid-before", Some(v)) => signer.valid_before = Some(time(v, offset)?),
            _ => {
                return Err((
                    offset,
                    format!("option `{option}` is not supported"),
                    "harness reads `namespaces=\"...\"`, `valid-after=` and `valid-before=`; list each person's own key (no `cert-authority`)".into(),
                ));
            }
        }
        offset += option.len() + 1;
    }
    Ok(signer)
}

/// Splits `a="x,y",b` on commas outside quotes.
fn split_options(options: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut quoted = false;
    let mut start = 0;
    for (i, c) in options.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                out.push(&options[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&options[start..]);
    out
}

/// `YYYYMMDD[HHMM[SS]]`, UTC (a trailing `Z` is accepted).
fn time(v: &str, offset: usize) -> Result<jiff::Timestamp, LineError> {
    let digits = v.trim_end_matches(['Z', 'z']);
    let bad = || {
        (
            offset,
            format!("`{v}` is not a time"),
            "write YYYYMMDD or YYYYMMDDHHMM[SS], in UTC".to_string(),
        )
    };
    if !digits.chars().all(|c| c.is_ascii_digit()) || ![8, 12, 14].contains(&digits.len()) {
        return Err(bad());
    }
    let n = |r: std::ops::Range<usize>| digits.get(r).map_or(Ok(0), str::parse::<i16>);
    let parts = (|| -> Result<_, std::num::ParseIntError> {
        Ok((
            n(0..4)?,
            n(4..6)?,
            n(6..8)?,
            n(8..10)?,
            n(10..12)?,
            n(12..14)?,
        ))
    })()
    .map_err(|_| bad())?;
    jiff::civil::date(parts.0, parts.1 as i8, parts.2 as i8)
        .at(parts.3 as i8, parts.4 as i8, parts.5 as i8, 0)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .map(|z| z.timestamp())
        .map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBdZ2pNPBeR5qvE5vWQE8JZH1sdZDkfq0wgcv6gHuz3k";

    #[track_caller]
    fn error(text: &str) -> String {
        let e = Signers::parse(Path::new("allowed_signers"), text).unwrap_err();
        let s = e[0].span.as_ref().unwrap();
        format!("{}:{}: {}", s.line, s.col, e[0].message)
    }

    #[test]
    fn reads_git_allowed_signers_lines() {
        let text = format!(
            "# team\n\nalice,alice@example.com {KEY} laptop\nbob namespaces=\"git,harness-plan\",valid-after=20260101 {KEY}\n"
        );
        let s = Signers::parse(Path::new("allowed_signers"), &text).unwrap();
        assert_eq!(s.entries.len(), 2);
        assert_eq!(s.entries[0].principals, ["alice", "alice@example.com"]);
        assert_eq!(s.entries[0].line, 3);
        assert_eq!(
            s.entries[1].namespaces.as_deref(),
            Some(&["git".to_string(), "harness-plan".to_string()][..])
        );
        let key = s.entries[0].key.key_data();
        assert!(s.allows("alice", key, "harness-plan", None).is_some());
        assert!(s.allows("mallory", key, "harness-plan", None).is_none());
        let early = "2025-06-01T00:00:00Z".parse().ok();
        assert_eq!(
            s.allows("bob", key, "harness-plan", early).map(|e| e.line),
            None
        );
        assert!(s.allows("bob", key, "other", None).is_none());
        assert!(s.entries[0].fingerprint().starts_with("SHA256:"));
    }

    #[test]
    fn bad_lines_are_located() {
        assert_eq!(error("alice\n"), "1:6: missing key");
        assert_eq!(
            error(&format!("# x\n  alice cert-authority {KEY}\n")),
            "2:9: option `cert-authority` is not supported"
        );
        assert_eq!(
            error("alice ssh-ed25519 AAAAnotakey\n")[..24].to_string(),
            "1:7: the `ssh-ed25519` k"
        );
        assert_eq!(
            error(&format!("a* {KEY}\n")),
            "1:1: `a*` is not a list of names"
        );
        assert_eq!(
            error(&format!("bob valid-after=2026 {KEY}\n")),
            "1:5: `2026` is not a time"
        );
    }
}
