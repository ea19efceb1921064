//! Splitting an agent file into YAML front matter and Markdown body, and
//! loading the YAML: strictly first, then leniently the way Claude Code does.
//!
//! The YAML library is used here and nowhere else, so replacing it touches
//! one file.

use std::collections::HashMap;
use std::path::Path;

use serde_json::{Map, Value};

use crate::diagnostic::{Diagnostic, Span};

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

/// Removes a BOM and turns CRLF into LF; line numbers are unchanged.
pub fn normalise(text: &str) -> std::borrow::Cow<'_, str> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.contains('\r') {
        std::borrow::Cow::Owned(text.replace("\r\n", "\n"))
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
        _ => {
            return Err(Diagnostic::error(
                "no-front-matter",
                "the file does not start with YAML front matter",
            )
            .at(Span::new(path, 1, 1))
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
    Err(
        Diagnostic::error("unclosed-front-matter", "the front matter is never closed")
            .at(Span::new(path, 1, 1))
            .hint("end the front matter with a line holding only `---`"),
    )
}

/// The loaded front matter.
#[derive(Debug, Clone, Default)]
pub struct FrontMatter {
    pub fields: Map<String, Value>,
    /// File line of each top-level key.
    pub key_lines: HashMap<String, usize>,
    /// Warnings from loading, e.g. that the lenient path was needed.
    pub warnings: Vec<Diagnostic>,
    /// The YAML text, for finding where list entries are written.
    pub source: Option<String>,
    /// File line of the YAML's first line.
    pub first_line: usize,
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
                        .map(|&(line, col)| {
                            Diagnostic::warning(
                                "unquoted-colon",
                                "unquoted `: ` inside a plain value is not valid YAML; loaded leniently",
                            )
                            .at(Span::new(path, split.front_line + line - 1, col))
                            .hint("quote the value (`key: \"...\"`) or use a block scalar (`key: >`)")
                        })
                        .collect();
                    (v, warnings)
                }
                _ => return Err(strict.located(path, split.front_line)),
            }
        }
    };
    let fields = match value {
        Value::Object(map) => map,
        Value::Null => Map::new(),
        _ => {
            return Err(Diagnostic::error(
                "front-matter-not-a-mapping",
                "the front matter is not a mapping of `key: value` fields",
            )
            .at(Span::new(path, split.front_line, 1)));
        }
    };
    Ok(FrontMatter {
        fields,
        key_lines,
        warnings,
        source: Some(split.front.clone()),
        first_line: split.front_line,
    })
}

struct YamlError {
    message: String,
    line: usize,
    col: usize,
}

impl YamlError {
    fn located(self, path: &Path, front_line: usize) -> Diagnostic {
        Diagnostic::error("invalid-yaml", format!("front matter is not valid YAML: {}", self.message))
            .at(Span::new(path, front_line + self.line.saturating_sub(1), self.col))
            .hint("check the indentation and quote values that contain `: ` or start with `*`, `&`, `@` or a quote")
    }
}

fn parse(yaml: &str) -> Result<Value, YamlError> {
    if yaml.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_saphyr::from_str::<Value>(yaml).map_err(|e| {
        let (line, col) = e
            .location()
            .map_or((1, 1), |l| (l.line() as usize, l.column() as usize));
        let message = first_line(&e.to_string());
        YamlError { message, line, col }
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

/// Top-level `key:` lines and their file line numbers.
fn top_level_keys(front: &str, front_line: usize) -> HashMap<String, usize> {
    let mut keys = HashMap::new();
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
/// tolerates. Returns the new text and the (line, column) of each value
/// changed, 1-based within the front matter.
fn quote_plain_colons(front: &str) -> (String, Vec<(usize, usize)>) {
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
                fixed.push((i + 1, colon + 3));
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
        assert_eq!(e.code, "no-front-matter");
        let e = split(path(), "---\nname: a\n").unwrap_err();
        assert_eq!(e.code, "unclosed-front-matter");
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
        assert_eq!(w.code, "unquoted-colon");
        assert_eq!(w.span.as_ref().unwrap().line, 3);
        assert_eq!(w.span.as_ref().unwrap().col, 14);
    }

    #[test]
    fn broken_yaml_is_a_located_error() {
        let text = "---\nname: a\ntools: [Read\nmodel: opus\n---\n";
        let s = split(path(), text).unwrap();
        let e = load(path(), &s).unwrap_err();
        assert_eq!(e.code, "invalid-yaml");
        let line = e.span.as_ref().unwrap().line;
        assert!((3..=5).contains(&line), "line {line}");
    }

    #[test]
    fn a_scalar_front_matter_is_refused() {
        let s = split(path(), "---\njust text\n---\n").unwrap();
        assert_eq!(
            load(path(), &s).unwrap_err().code,
            "front-matter-not-a-mapping"
        );
    }
}
