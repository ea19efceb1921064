//! Splitting an agent file into YAML front matter and Markdown body, and
//! loading the YAML: strictly first, then leniently the way Claude Code does.
//!
//! The YAML library is used here and nowhere else, so replacing it touches
//! one file.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use serde_json::{Map, Value};

use crate::diagnostic::{Code, Diagnostic, Span};

/// An agent file cut into its two parts. Text is normalised: no BOM, `\n`
/// line ends. Line numbers are those of the original file.
#[derive(Debug, Clone)]
pub struct Split {
    pub front: String,
    /// File line of the first front-matter line (the one after `---`).
    pub front_line: usize,
    pub body: String,
    /// File line of the first body line.
    pub body_line: usize,
}

/// Removes a BOM and turns every line end into LF: CRLF, and a lone CR
/// too, because CommonMark and YAML both end a line there. Everything that
/// reads the text afterwards (the Markdown reader, the YAML reader, a plan's
/// approval hash) then sees the same lines; a lone CR left in place would be
/// one line to a hash taken over the text and two to the Markdown reader.
/// Line numbers count lines as an editor and Markdown do.
pub fn normalise(text: &str) -> std::borrow::Cow<'_, str> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if memchr::memchr(b'\r', text.as_bytes()).is_some() {
        std::borrow::Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

fn is_delimiter(line: &str) -> bool {
    line.trim_end() == "---"
}

/// Finds the front matter: a first line `---`, then YAML up to the next line
/// that is `---` (or `...`). Everything after belongs to the body, including
/// any further `---` lines.
pub fn split(path: &Path, text: &str) -> Result<Split, Diagnostic> {
    let text = normalise(text);
    let mut lines = text.split_inclusive('\n');
    match lines.next() {
        Some(first) if is_delimiter(first) => {}
        first => {
            return Err(Diagnostic::error(
                Code::NoFrontMatter,
                "the file does not start with YAML front matter",
            )
            .at(first_line_span(path, first))
            .hint("begin the file with `---`, the `name:` and `description:` fields, and `---`"));
        }
    }
    let front_start = text.find('\n').map_or(text.len(), |i| i + 1);
    let mut offset = front_start;
    let mut line_no = 1;
    for line in lines {
        line_no += 1;
        if is_delimiter(line) || line.trim_end() == "..." {
            return Ok(Split {
                front: text[front_start..offset].to_string(),
                front_line: 2,
                body: text[offset + line.len()..].to_string(),
                body_line: line_no + 1,
            });
        }
        offset += line.len();
    }
    Err(Diagnostic::error(
        Code::UnclosedFrontMatter,
        "the front matter is never closed",
    )
    .at(Span::whole_line(path, 1, "---"))
    .hint("end the front matter with a line holding only `---`"))
}

/// The file's first line, when it has one to show.
fn first_line_span(path: &Path, first: Option<&str>) -> Span {
    match first.map(str::trim_end) {
        Some(line) if !line.is_empty() => Span::whole_line(path, 1, line),
        _ => Span::new(path, 1, 1),
    }
}

/// The loaded front matter.
#[derive(Debug, Clone, Default)]
pub struct FrontMatter {
    pub fields: Map<String, Value>,
    /// File line of each top-level key.
    pub key_lines: BTreeMap<String, usize>,
    /// Warnings from loading, e.g. that the lenient path was needed.
    pub warnings: Vec<Diagnostic>,
    /// The YAML text, for finding where keys, values and entries are written.
    pub text: FrontText,
}

impl FrontMatter {
    pub fn line_of(&self, key: &str) -> Option<usize> {
        self.key_lines.get(key).copied()
    }
}

/// Loads the YAML of `split`. Strict YAML first; when that fails on a plain
/// value holding `: ` (common in hand-written descriptions), the value is
/// quoted and loading is retried, with a warning naming the line.
pub fn load(path: &Path, split: &Split) -> Result<FrontMatter, Diagnostic> {
    let key_lines = top_level_keys(&split.front, split.front_line);
    let (value, warnings) = match parse(&split.front) {
        Ok(v) => (v, Vec::new()),
        Err(strict) => {
            let (fixed, fixed_lines) = quote_plain_colons(&split.front);
            match (fixed_lines.is_empty(), parse(&fixed)) {
                (false, Ok(v)) => {
                    let warnings = fixed_lines
                        .iter()
                        .map(|(line, value)| {
                            Diagnostic::warning(
                                Code::UnquotedColon,
                                "unquoted `: ` inside a plain value is not valid YAML; loaded leniently",
                            )
                            .at(Span::on_line(path, split.front_line + line, fixed_text(&split.front, *line), value.clone()))
                            .hint("quote the value (`key: \"...\"`) or use a block scalar (`key: >`)")
                        })
                        .collect();
                    (v, warnings)
                }
                _ => return Err(strict.located(path, split)),
            }
        }
    };
    let fields = match value {
        Value::Object(map) => map,
        Value::Null => Map::new(),
        _ => {
            return Err(Diagnostic::error(
                Code::FrontMatterNotAMapping,
                "the front matter is not a mapping of `key: value` fields",
            )
            .at(first_line_span(path, split.front.lines().next())));
        }
    };
    Ok(FrontMatter {
        fields,
        key_lines,
        warnings,
        text: FrontText::new(&split.front, split.front_line),
    })
}

struct YamlError {
    message: String,
    line: usize,
    col: usize,
    /// Characters from `col` the error is about.
    len: usize,
}

impl YamlError {
    fn located(self, path: &Path, split: &Split) -> Diagnostic {
        let span = Span::at_line_col(path, &split.front, self.line, self.col, self.len)
            .in_file_from(split.front_line);
        Diagnostic::error(Code::InvalidYaml, format!("front matter is not valid YAML: {}", self.message))
            .at(span)
            .hint("check the indentation and quote values that contain `: ` or start with `*`, `&`, `@` or a quote")
    }
}

fn parse(yaml: &str) -> Result<Value, YamlError> {
    if yaml.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_saphyr::from_str::<Value>(yaml).map_err(|e| {
        let location = e.location();
        let (line, col) = location.map_or((1, 1), |l| (l.line() as usize, l.column() as usize));
        let len = location.map_or(1, |l| l.span().len() as usize);
        let message = first_line(&e.to_string());
        YamlError {
            message,
            line,
            col,
            len,
        }
    })
}

/// The error's first line, without the location the library appends.
fn first_line(message: &str) -> String {
    let line = message.lines().next().unwrap_or(message).trim();
    let line = line.strip_prefix("error: ").unwrap_or(line);
    let line = match line.find(" at line ") {
        Some(i) => &line[..i],
        None => line,
    };
    // The location is reported separately, in file lines.
    match line
        .strip_prefix("line ")
        .and_then(|rest| rest.split_once(": "))
    {
        Some((_, message)) => message.to_string(),
        None => line.to_string(),
    }
}

/// Line `index` (0-based) of `front`.
fn fixed_text(front: &str, index: usize) -> &str {
    front.lines().nth(index).unwrap_or("")
}

/// Top-level `key:` lines and their file line numbers.
fn top_level_keys(front: &str, front_line: usize) -> BTreeMap<String, usize> {
    let mut keys = BTreeMap::new();
    for (i, line) in front.lines().enumerate() {
        if let Some(key) = top_level_key(line) {
            keys.entry(key.to_string()).or_insert(front_line + i);
        }
    }
    keys
}

fn top_level_key(line: &str) -> Option<&str> {
    let first = line.chars().next()?;
    if first.is_whitespace() || matches!(first, '#' | '-' | '[' | '{' | '|' | '>') {
        return None;
    }
    let colon = line.find(':')?;
    let key = line[..colon].trim().trim_matches(|c| c == '"' || c == '\'');
    let rest = &line[colon + 1..];
    (rest.is_empty() || rest.starts_with([' ', '\t'])).then_some(key)
}

/// Quotes top-level plain values that hold `: `, as Claude Code's loader
/// tolerates. Returns the new text and, for each value changed, its line
/// (0-based within the front matter) and its bytes within that line.
fn quote_plain_colons(front: &str) -> (String, Vec<(usize, Range<usize>)>) {
    let mut out = String::with_capacity(front.len() + 16);
    let mut fixed = Vec::new();
    let lines: Vec<&str> = front.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if let Some(key) = top_level_key(line) {
            let colon = line.find(':').unwrap_or(0);
            let value = line[colon + 1..].trim();
            let plain = !value.is_empty()
                && !value.starts_with(['"', '\'', '|', '>', '[', '{', '&', '*', '!']);
            // A plain value continues on following indented lines.
            let mut end = i + 1;
            while end < lines.len()
                && (lines[end].starts_with([' ', '\t']) || lines[end].trim().is_empty())
                && top_level_key(lines[end]).is_none()
            {
                end += 1;
            }
            let mut whole = value.to_string();
            for cont in &lines[i + 1..end] {
                let cont = cont.trim();
                if !cont.is_empty() {
                    whole.push(' ');
                    whole.push_str(cont);
                }
            }
            if plain && (whole.contains(": ") || whole.ends_with(':')) {
                let escaped = whole.replace('\\', "\\\\").replace('"', "\\\"");
                out.push_str(&format!("{key}: \"{escaped}\"\n"));
                // Keep line numbers stable for later errors.
                for _ in i + 1..end {
                    out.push('\n');
                }
                let start = line.len() - line[colon + 1..].trim_start().len();
                fixed.push((i, start..line.trim_end().len()));
                i = end;
                continue;
            }
        }
        out.push_str(line);
        out.push('\n');
        i += 1;
    }
    (out, fixed)
}

/// The front matter's text and its place in the file: where a key, its
/// value or a list entry is written, so a diagnostic points at it.
#[derive(Debug, Clone, Default)]
pub struct FrontText {
    text: String,
    /// File line of the text's first line.
    first_line: usize,
}

impl FrontText {
    pub fn new(text: &str, first_line: usize) -> Self {
        FrontText {
            text: text.to_string(),
            first_line,
        }
    }

    /// The text of file line `line`, when the front matter holds it.
    fn line(&self, line: usize) -> Option<&str> {
        self.text.lines().nth(line.checked_sub(self.first_line)?)
    }

    /// The key written at the start of file line `line`; the whole line
    /// when the key is spelt differently (quoted, say).
    pub fn key(&self, path: &Path, line: usize, key: &str) -> Span {
        let Some(text) = self.line(line) else {
            return Span::new(path, line, 1);
        };
        match find_item(text, key, 0) {
            Some(start) => Span::on_line(path, line, text, start..start + key.len()),
            None => Span::whole_line(path, line, text),
        }
    }

    /// The value of the key on file line `line`: `value` where it is written
    /// after the colon, else all that follows the colon, else the key.
    pub fn value(&self, path: &Path, line: usize, key: &str, value: Option<&str>) -> Span {
        let Some(text) = self.line(line) else {
            return Span::new(path, line, 1);
        };
        let after = text.find(':').map_or(0, |i| i + 1);
        if let Some(value) = value.filter(|v| !v.is_empty())
            && let Some(start) = text[after..].find(value)
        {
            let start = after + start;
            return Span::on_line(path, line, text, start..start + value.len());
        }
        let rest = strip_comment(&text[after..]);
        let trimmed = rest.trim();
        if trimmed.is_empty() {
            return self.key(path, line, key);
        }
        let start = after + (rest.len() - rest.trim_start().len());
        Span::on_line(path, line, text, start..start + trimmed.len())
    }

    /// The list entry `entry` on file line `line` (after the colon when the
    /// line is the key's own); the whole line when it is not found whole.
    pub fn entry(&self, path: &Path, line: usize, entry: &str) -> Span {
        let Some(text) = self.line(line) else {
            return Span::new(path, line, 1);
        };
        let from = match top_level_key(text) {
            Some(_) => text.find(':').map_or(0, |i| i + 1),
            None => 0,
        };
        match find_item(text, entry, from) {
            Some(start) => Span::on_line(path, line, text, start..start + entry.len()),
            None => Span::whole_line(path, line, text),
        }
    }

    /// The file line of `entry` in the list under the key on `key_line`:
    /// the key's own line for a flow list or a string, else the `- entry`
    /// line below it.
    pub fn entry_line(&self, key_line: usize, entry: &str) -> Option<usize> {
        let first = self.first_line;
        let start = key_line.checked_sub(first)?;
        // Asked once per list entry, on every guarded call: walk the lines,
        // never collect them.
        let mut lines = self.text.lines().enumerate().skip(start);
        if lines.next()?.1.contains(entry) {
            return Some(key_line);
        }
        lines
            .take_while(|(_, l)| l.starts_with([' ', '\t', '-']) || l.trim().is_empty())
            .find(|(_, l)| l.contains(entry))
            .map(|(i, _)| first + i)
    }
}

/// A YAML value without a trailing `# comment`.
fn strip_comment(value: &str) -> &str {
    match value.find(" #") {
        Some(i) => &value[..i],
        None => value,
    }
}

/// The byte offset of `item` in `line` at or after `from`, standing as a
/// whole item: not part of a longer name (`Bash` in `Bash(git *)` or in
/// `BashOutput`). Falls back to the first occurrence at all.
fn find_item(line: &str, item: &str, from: usize) -> Option<usize> {
    if item.is_empty() {
        return None;
    }
    let part = line.get(from..)?;
    let is_name = |c: char| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '(' | ')');
    let whole = part.match_indices(item).map(|(i, _)| i).find(|&i| {
        let before = part[..i].chars().next_back();
        let after = part[i + item.len()..].chars().next();
        !before.is_some_and(is_name) && !after.is_some_and(is_name)
    });
    whole.or_else(|| part.find(item)).map(|i| from + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path() -> &'static Path {
        Path::new("a.md")
    }

    #[test]
    fn splits_with_bom_crlf_and_a_rule_in_the_body() {
        let text =
            "\u{feff}---\r\nname: a\r\ndescription: b\r\n---\r\n# Title\r\n\r\n---\r\nmore\r\n";
        let s = split(path(), text).unwrap();
        assert_eq!(s.front, "name: a\ndescription: b\n");
        assert_eq!(s.front_line, 2);
        assert_eq!(s.body_line, 5);
        assert_eq!(s.body, "# Title\n\n---\nmore\n");
    }

    #[test]
    fn missing_or_unclosed_front_matter_is_located() {
        let e = split(path(), "# just markdown\n").unwrap_err();
        assert_eq!(e.code, Code::NoFrontMatter);
        let span = e.span.as_ref().unwrap();
        assert_eq!((span.col, span.length()), (1, Some(15)));
        let e = split(path(), "").unwrap_err();
        assert_eq!(e.span.as_ref().unwrap().length(), None);
        let e = split(path(), "---\nname: a\n").unwrap_err();
        assert_eq!(e.code, Code::UnclosedFrontMatter);
    }

    #[test]
    fn loads_strict_yaml_and_records_key_lines() {
        let s = split(
            path(),
            "---\nname: a\ntools:\n  - Read\n  - Write\nmodel: opus\n---\n",
        )
        .unwrap();
        let fm = load(path(), &s).unwrap();
        assert!(fm.warnings.is_empty());
        assert_eq!(fm.fields["tools"], serde_json::json!(["Read", "Write"]));
        assert_eq!(fm.line_of("name"), Some(2));
        assert_eq!(fm.line_of("model"), Some(6));
    }

    #[test]
    fn unquoted_colon_loads_leniently_with_a_located_warning() {
        let text = "---\nname: a\ndescription: Use when: the build fails\nmodel: opus\n---\nbody\n";
        let s = split(path(), text).unwrap();
        let fm = load(path(), &s).unwrap();
        assert_eq!(fm.fields["description"], "Use when: the build fails");
        assert_eq!(fm.fields["model"], "opus");
        assert_eq!(fm.warnings.len(), 1);
        let w = &fm.warnings[0];
        assert_eq!(w.code, Code::UnquotedColon);
        let span = w.span.as_ref().unwrap();
        assert_eq!((span.line, span.col, span.length()), (3, 14, Some(25)));
        assert_eq!(
            span.line_text(),
            Some("description: Use when: the build fails")
        );
    }

    #[test]
    fn broken_yaml_is_a_located_error() {
        let text = "---\nname: a\ntools: [Read\nmodel: opus\n---\n";
        let s = split(path(), text).unwrap();
        let e = load(path(), &s).unwrap_err();
        assert_eq!(e.code, Code::InvalidYaml);
        let span = e.span.as_ref().unwrap();
        assert!((3..=5).contains(&span.line), "line {}", span.line);
        // The library's own column, with the file's line under it.
        assert!(span.line_text().is_some());
    }

    #[test]
    fn a_scalar_front_matter_is_refused() {
        let s = split(path(), "---\njust text\n---\n").unwrap();
        assert_eq!(
            load(path(), &s).unwrap_err().code,
            Code::FrontMatterNotAMapping
        );
    }
}
