//! Words as bash reads them: quote removal (`'...'`, `"..."`, `\x`, ANSI-C
//! `$'...'` with its escapes, `$"..."`), then brace expansion of the
//! unquoted braces (`a{b,c}d`, `{1..3}`, nested). Parameter expansion,
//! globs and tildes are left as written: `$X` stays `$X`, for callers to
//! treat as unknown.

use super::ParseError;

/// A character and whether it was quoted; only unquoted braces expand.
type Chars = Vec<(char, bool)>;

/// How many words one word may expand to: more is refused rather than
/// read in part, since `{a,b}{c,d}...` grows exponentially.
const MAX_EXPANSION: usize = 4096;

/// The words of `text` (a command as written), unquoted and expanded.
pub(super) fn words(text: &str) -> Result<Vec<String>, ParseError> {
    let mut out = Vec::new();
    for word in split(text)? {
        let mut budget = MAX_EXPANSION;
        let mut expanded = Vec::new();
        expand(word, &mut expanded, &mut budget).map_err(|()| {
            ParseError(format!(
                "braces expand to more than {MAX_EXPANSION} words in `{}`",
                text.trim()
            ))
        })?;
        out.extend(
            expanded
                .into_iter()
                .map(|w| w.into_iter().map(|(c, _)| c).collect()),
        );
    }
    Ok(out)
}

/// One word unquoted, without brace expansion, and whether any part of it
/// was quoted (a quoted heredoc delimiter turns expansion off in the body).
pub(super) fn unquote(word: &str) -> Result<(String, bool), ParseError> {
    let chars: Chars = split(word)?.into_iter().flatten().collect();
    let quoted = chars.iter().any(|&(_, q)| q) || word.contains(['\'', '"', '\\']);
    Ok((chars.into_iter().map(|(c, _)| c).collect(), quoted))
}

/// Splits at unquoted blanks, removing quotes.
fn split(text: &str) -> Result<Vec<Chars>, ParseError> {
    let src: Vec<char> = text.chars().collect();
    let unclosed = |q: &str| ParseError(format!("unclosed `{q}` in `{}`", text.trim()));
    let mut out = Vec::new();
    let mut word: Chars = Vec::new();
    let mut started = false;
    let mut i = 0;
    while i < src.len() {
        let c = src[i];
        match c {
            c if c.is_whitespace() => {
                if started {
                    out.push(std::mem::take(&mut word));
                    started = false;
                }
                i += 1;
                continue;
            }
            '\\' => {
                if let Some(&n) = src.get(i + 1) {
                    word.push((n, true));
                }
                i += 2;
            }
            '\'' => {
                let end = find(&src, i + 1, '\'').ok_or_else(|| unclosed("'"))?;
                word.extend(src[i + 1..end].iter().map(|&c| (c, true)));
                i = end + 1;
            }
            '$' if src.get(i + 1) == Some(&'\'') => {
                i = ansi_c(&src, i + 2, &mut word).ok_or_else(|| unclosed("$'"))?;
            }
            '$' if src.get(i + 1) == Some(&'"') => {
                i = double_quoted(&src, i + 2, &mut word).ok_or_else(|| unclosed("$\""))?;
            }
            '"' => {
                i = double_quoted(&src, i + 1, &mut word).ok_or_else(|| unclosed("\""))?;
            }
            _ => {
                word.push((c, false));
                i += 1;
            }
        }
        started = true;
    }
    if started {
        out.push(word);
    }
    Ok(out)
}

fn find(src: &[char], from: usize, target: char) -> Option<usize> {
    (from..src.len()).find(|&j| src[j] == target)
}

/// The inside of `"..."` from `i`; returns the index after the closing quote.
fn double_quoted(src: &[char], mut i: usize, word: &mut Chars) -> Option<usize> {
    loop {
        match *src.get(i)? {
            '"' => return Some(i + 1),
            '\\' if matches!(src.get(i + 1), Some('$' | '`' | '"' | '\\' | '\n')) => {
                word.push((src[i + 1], true));
                i += 2;
            }
            c => {
                word.push((c, true));
                i += 1;
            }
        }
    }
}

/// The inside of `$'...'` from `i`, escapes decoded as bash decodes them;
/// returns the index after the closing quote.
fn ansi_c(src: &[char], mut i: usize, word: &mut Chars) -> Option<usize> {
    let digits = |from: usize, max: usize, radix: u32| -> (u32, usize) {
        let mut value = 0;
        let mut n = 0;
        while n < max {
            match src.get(from + n).and_then(|c| c.to_digit(radix)) {
                Some(d) => value = value * radix + d,
                None => break,
            }
            n += 1;
        }
        (value, n)
    };
    loop {
        match *src.get(i)? {
            '\'' => return Some(i + 1),
            '\\' => {
                let e = *src.get(i + 1)?;
                i += 2;
                let decoded = match e {
                    'a' => Some('\x07'),
                    'b' => Some('\x08'),
                    'e' | 'E' => Some('\x1b'),
                    'f' => Some('\x0c'),
                    'n' => Some('\n'),
                    'r' => Some('\r'),
                    't' => Some('\t'),
                    'v' => Some('\x0b'),
                    '\\' | '\'' | '"' | '?' => Some(e),
                    'c' => {
                        let ctl = *src.get(i)?;
                        i += 1;
                        char::from_u32(ctl.to_ascii_uppercase() as u32 ^ 0x40)
                    }
                    '0'..='7' => {
                        let (v, n) = digits(i - 1, 3, 8);
                        i += n - 1;
                        char::from_u32(v & 0xff)
                    }
                    'x' | 'u' | 'U' => {
                        let max = match e {
                            'x' => 2,
                            'u' => 4,
                            _ => 8,
                        };
                        let (v, n) = digits(i, max, 16);
                        if n == 0 {
                            word.push(('\\', true));
                            Some(e)
                        } else {
                            i += n;
                            char::from_u32(v)
                        }
                    }
                    other => {
                        word.push(('\\', true));
                        Some(other)
                    }
                };
                if let Some(c) = decoded {
                    word.push((c, true));
                }
            }
            c => {
                word.push((c, true));
                i += 1;
            }
        }
    }
}

/// Brace-expands `word` into `out`, left to right as bash does.
fn expand(word: Chars, out: &mut Vec<Chars>, budget: &mut usize) -> Result<(), ()> {
    match find_brace(&word) {
        Some((open, close, parts)) => {
            for part in parts {
                let mut w = word[..open].to_vec();
                w.extend(part);
                w.extend_from_slice(&word[close + 1..]);
                expand(w, out, budget)?;
            }
            Ok(())
        }
        None => {
            if *budget == 0 {
                return Err(());
            }
            *budget -= 1;
            out.push(word);
            Ok(())
        }
    }
}

/// The first unquoted `{...}` that expands: its bounds and alternatives.
fn find_brace(word: &Chars) -> Option<(usize, usize, Vec<Chars>)> {
    let unquoted = |i: usize, c: char| word.get(i) == Some(&(c, false));
    for open in 0..word.len() {
        // `${...}` is a parameter expansion, not a brace expansion.
        if !unquoted(open, '{') || (open > 0 && unquoted(open - 1, '$')) {
            continue;
        }
        let mut depth = 0;
        let mut commas = Vec::new();
        let mut close = None;
        for j in open + 1..word.len() {
            if unquoted(j, '{') {
                depth += 1;
            } else if unquoted(j, '}') {
                if depth == 0 {
                    close = Some(j);
                    break;
                }
                depth -= 1;
            } else if unquoted(j, ',') && depth == 0 {
                commas.push(j);
            }
        }
        let Some(close) = close else { continue };
        if !commas.is_empty() {
            let mut parts = Vec::new();
            let mut start = open + 1;
            for &c in commas.iter().chain(std::iter::once(&close)) {
                parts.push(word[start..c].to_vec());
                start = c + 1;
            }
            return Some((open, close, parts));
        }
        if let Some(parts) = sequence(&word[open + 1..close]) {
            return Some((open, close, parts));
        }
    }
    None
}

/// `{1..5}`, `{a..e}`, `{10..1..3}`: the terms of a sequence expression.
fn sequence(inner: &[(char, bool)]) -> Option<Vec<Chars>> {
    if inner.iter().any(|&(_, q)| q) {
        return None;
    }
    let text: String = inner.iter().map(|&(c, _)| c).collect();
    let parts: Vec<&str> = text.split("..").collect();
    if !(2..=3).contains(&parts.len()) {
        return None;
    }
    let step: i64 = match parts.get(2) {
        Some(s) => s.parse::<i64>().ok()?.checked_abs()?.max(1),
        None => 1,
    };
    let to_chars = |s: String| s.chars().map(|c| (c, false)).collect::<Chars>();
    let (terms, render): (Vec<i64>, Box<dyn Fn(i64) -> String>) =
        match (parts[0].parse::<i64>(), parts[1].parse::<i64>()) {
            (Ok(a), Ok(b)) => (range(a, b, step)?, Box::new(|n: i64| n.to_string())),
            _ => {
                let (a, b) = (single(parts[0])?, single(parts[1])?);
                (
                    range(a as i64, b as i64, step)?,
                    Box::new(|n: i64| {
                        char::from_u32(n as u32).map_or_else(String::new, |c| c.to_string())
                    }),
                )
            }
        };
    Some(terms.into_iter().map(|n| to_chars(render(n))).collect())
}

fn single(s: &str) -> Option<char> {
    let mut it = s.chars();
    let c = it.next()?;
    (it.next().is_none() && c.is_ascii_alphabetic()).then_some(c)
}

fn range(a: i64, b: i64, step: i64) -> Option<Vec<i64>> {
    // One term past the limit is enough for the expansion to be refused.
    let count = ((a.abs_diff(b) / step.unsigned_abs()) as usize + 1).min(MAX_EXPANSION + 1);
    let dir = if b >= a { step } else { -step };
    Some((0..count as i64).map(|k| a + k * dir).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn case(text: &str, expected: &[&str]) {
        assert_eq!(words(text).unwrap(), expected, "text: {text:?}");
    }

    #[test]
    fn removes_quotes_as_bash_does() {
        case("a 'b c' \"d e\" f\\ g", &["a", "b c", "d e", "f g"]);
        case("'' x", &["", "x"]);
        case("\"a\\$b\\q\"", &["a$b\\q"]);
        case("$'tests/a\\x2ers'", &["tests/a.rs"]);
        case("$'\\164ests/\\u0061'", &["tests/a"]);
        case("$'a\\'b' $\"c\"", &["a'b", "c"]);
        case("pre$'\\n'post", &["pre\npost"]);
        case("$X \"$Y\"", &["$X", "$Y"]);
        assert!(words("'open").is_err());
        assert!(words("$'open").is_err());
    }

    #[test]
    fn expands_unquoted_braces() {
        case("tests/{a,b}.rs", &["tests/a.rs", "tests/b.rs"]);
        case("{x,y}/z", &["x/z", "y/z"]);
        case("{a,{b,c}}d", &["ad", "bd", "cd"]);
        case("{a,b}{1,2}", &["a1", "a2", "b1", "b2"]);
        case("f{1..3}", &["f1", "f2", "f3"]);
        case("{c..a}", &["c", "b", "a"]);
        case("{0..6..3}", &["0", "3", "6"]);
        case("'{a,b}' \"{a,b}\" \\{a,b}", &["{a,b}", "{a,b}", "{a,b}"]);
        case(
            "${X:-a,b} {a} {} {a..}",
            &["${X:-a,b}", "{a}", "{}", "{a..}"],
        );
        case("x{,.bak}", &["x", "x.bak"]);
        assert!(words("{0..99999}").is_err());
        assert!(words(&"{a,b}".repeat(13)).is_err());
    }

    #[test]
    fn unquotes_a_single_word() {
        assert_eq!(unquote("EOF").unwrap(), ("EOF".into(), false));
        assert_eq!(unquote("$'EOF'").unwrap(), ("EOF".into(), true));
        assert_eq!(unquote("\"E\"OF").unwrap(), ("EOF".into(), true));
        assert_eq!(unquote("E\\OF").unwrap(), ("EOF".into(), true));
    }
}
