//! commitlint's rules, by its names and with its meaning: the two presets
//! (`config-conventional`, `spec`), a project's settings over them, and
//! each rule's check on a message.
//!
//! The rules read the header as commitlint's conventional-commits parser
//! does (`type(scope)!: subject`, the type a run of word characters), not
//! through [`super::conventional`], so a message that is not a Conventional
//! Commit still gets the verdicts a commitlint user expects (`type-empty`,
//! `subject-empty`). Lengths count UTF-16 units and the case rules drop
//! quoted text first, as commitlint's do.

use std::collections::BTreeMap;

use heck::{ToKebabCase, ToLowerCamelCase, ToSnakeCase, ToTitleCase, ToUpperCamelCase};
use serde_json::{Value, json};

use super::{Level, Violation};
use crate::config::{CommitsConfig, DEFAULT_TYPES, Preset, RuleSetting};

/// The rules in force: each rule's level, `always`/`never` and value.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSet {
    rules: BTreeMap<String, RuleSetting>,
}

fn set(level: u8, always: bool, value: Option<Value>) -> RuleSetting {
    RuleSetting::new(level, always, value)
}

impl RuleSet {
    /// A preset's rules alone.
    pub fn preset(preset: Preset) -> RuleSet {
        let mut rules = BTreeMap::new();
        let mut put = |name: &str, s: RuleSetting| {
            rules.insert(name.to_string(), s);
        };
        match preset {
            Preset::ConfigConventional => {
                // @commitlint/config-conventional 20.x, rule for rule.
                put("body-leading-blank", set(1, true, None));
                put("body-max-line-length", set(2, true, Some(json!(100))));
                put("footer-leading-blank", set(1, true, None));
                put("footer-max-line-length", set(2, true, Some(json!(100))));
                put("header-max-length", set(2, true, Some(json!(100))));
                put("header-trim", set(2, true, None));
                put(
                    "subject-case",
                    set(
                        2,
                        false,
                        Some(json!([
                            "sentence-case",
                            "start-case",
                            "pascal-case",
                            "upper-case"
                        ])),
                    ),
                );
                put("subject-empty", set(2, false, None));
                put("subject-full-stop", set(2, false, Some(json!("."))));
                put("type-case", set(2, true, Some(json!("lower-case"))));
                put("type-empty", set(2, false, None));
                put("type-enum", set(2, true, Some(json!(DEFAULT_TYPES))));
            }
            Preset::Spec => {
                // What Conventional Commits 1.0.0 requires and commitlint
                // can name: a type, a description, and the blank lines.
                put("body-leading-blank", set(2, true, None));
                put("footer-leading-blank", set(2, true, None));
                put("header-trim", set(2, true, None));
                put("subject-empty", set(2, false, None));
                put("type-empty", set(2, false, None));
            }
        }
        RuleSet { rules }
    }

    /// The project's rules: its preset, its shorthands, then `[commits.rules]`.
    pub fn of(config: &CommitsConfig) -> RuleSet {
        let mut out = RuleSet::preset(config.preset);
        let mut value = |name: &str, v: Value| {
            let s = out
                .rules
                .entry(name.to_string())
                .or_insert_with(|| set(2, true, None));
            s.value = Some(v);
        };
        if let Some(types) = &config.types {
            value("type-enum", json!(types));
        }
        if let Some(n) = config.header_max_length {
            value("header-max-length", json!(n));
        }
        if config.subject_full_stop == Some(true) {
            out.rules.remove("subject-full-stop");
        }
        for (name, s) in &config.rules {
            out.rules.insert(name.clone(), s.clone());
        }
        out.rules.retain(|_, s| s.level > 0);
        out
    }

    pub fn get(&self, name: &str) -> Option<&RuleSetting> {
        self.rules.get(name)
    }

    /// The level a finding of `rule` has: its setting's, `None` when the
    /// rule is off; a check with no setting (the specification's own) is
    /// an error.
    pub fn level(&self, rule: &str) -> Option<Level> {
        if !crate::config::RULE_NAMES.contains(&rule) {
            return Some(Level::Error);
        }
        self.rules.get(rule).map(|s| level(s.level))
    }

    /// The longest header `header-max-length` allows, when it is on.
    pub fn header_max_length(&self) -> Option<usize> {
        let s = self.rules.get("header-max-length").filter(|s| s.always)?;
        s.value.as_ref()?.as_u64().map(|n| n as usize)
    }

    /// The allowed types, when `type-enum` is on as `always`.
    pub fn types(&self) -> Option<Vec<String>> {
        let s = self.rules.get("type-enum").filter(|s| s.always)?;
        Some(strings(s.value.as_ref()).map(str::to_string).collect())
    }

    /// Every rule's finding on a message (LF line endings).
    pub fn check(&self, message: &str, out: &mut Vec<Violation>) {
        let parsed = Parsed::new(message);
        for (name, s) in &self.rules {
            if let Some(v) = check_rule(name, s, &parsed) {
                let v = if s.level == 1 { v.warning() } else { v };
                out.push(v);
            }
        }
    }
}

fn level(n: u8) -> Level {
    if n == 1 { Level::Warning } else { Level::Error }
}

/// A rule's value as a list of strings, borrowed and not collected: asked
/// of every commit.
fn strings(v: Option<&Value>) -> impl Iterator<Item = &str> {
    let (one, many) = match v {
        Some(Value::String(s)) => (Some(s.as_str()), &[][..]),
        Some(Value::Array(a)) => (None, &a[..]),
        _ => (None, &[][..]),
    };
    one.into_iter().chain(many.iter().filter_map(|x| match x {
        Value::String(s) => Some(s.as_str()),
        // commitlint's `{ when, case }` form.
        Value::Object(o) => o.get("case").and_then(Value::as_str),
        _ => None,
    }))
}

/// A message as commitlint's parser splits it.
struct Parsed<'a> {
    header: &'a str,
    ty: Option<&'a str>,
    scope: Option<&'a str>,
    subject: Option<&'a str>,
    /// The second line of the message, when there is one.
    second: Option<&'a str>,
    body: Vec<&'a str>,
    footer: Vec<&'a str>,
}

impl<'a> Parsed<'a> {
    fn new(message: &'a str) -> Parsed<'a> {
        let message = message.trim_end_matches('\n');
        let mut lines = super::conventional::split_lf(message);
        let header = lines.next().unwrap_or("");
        let rest: Vec<&str> = lines.collect();
        let (ty, scope, subject) = match header_parts(header) {
            Some((t, sc, su)) => (Some(t), sc, Some(su)),
            None => (None, None, None),
        };
        // Footers: the last paragraph when it opens with a footer line.
        let start = rest.iter().position(|l| !l.trim().is_empty());
        let text = start.map_or(&rest[..0], |s| &rest[s..]);
        let last_para = text
            .iter()
            .rposition(|l| l.trim().is_empty())
            .map_or(0, |i| i + 1);
        let (body, footer) = if text
            .get(last_para)
            .is_some_and(|l| super::conventional::footer_line(l).is_some())
        {
            (&text[..last_para], &text[last_para..])
        } else {
            (text, &text[..0])
        };
        Parsed {
            header,
            ty,
            scope,
            subject,
            second: rest.first().copied(),
            body: body.to_vec(),
            footer: footer.to_vec(),
        }
    }
}

/// `^(\w*)(?:\((.*)\))?!?: (.*)$` by hand: a greedy scope, so the last `)`
/// that is followed by `: ` closes it.
fn header_parts(h: &str) -> Option<(&str, Option<&str>, &str)> {
    let ty_end = h
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(h.len());
    let (ty, rest) = h.split_at(ty_end);
    fn subject(after: &str) -> Option<&str> {
        after.strip_prefix('!').unwrap_or(after).strip_prefix(": ")
    }
    if let Some(inner) = rest.strip_prefix('(') {
        for (i, _) in inner.rmatch_indices(')') {
            if let Some(s) = subject(&inner[i + 1..]) {
                return Some((ty, Some(&inner[..i]), s));
            }
        }
    }
    subject(rest).map(|s| (ty, None, s))
}

fn utf16_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.encode_utf16().count()
    }
}

fn is_url_line(line: &str) -> bool {
    ["http://", "https://"].iter().any(|p| {
        line.match_indices(p).any(|(i, _)| {
            let word_start = line[..i]
                .chars()
                .last()
                .is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
            word_start && line[i + p.len()..].starts_with(|c: char| !c.is_whitespace())
        })
    })
}

/// The first line of `lines` longer than `max` UTF-16 units that is not a URL.
fn long_line<'a>(lines: &[&'a str], max: usize) -> Option<&'a str> {
    lines
        .iter()
        .find(|l| utf16_len(l) > max && !is_url_line(l))
        .copied()
}

/// Drops quoted text (`` `x` ``, `"x"`, `'x'`), as commitlint does before a
/// case check, so names keep their case.
fn unquoted(s: &str) -> std::borrow::Cow<'_, str> {
    // A byte search: asked of every subject, and the quotes are ASCII.
    if memchr::memchr3(b'`', b'"', b'\'', s.as_bytes()).is_none() {
        return std::borrow::Cow::Borrowed(s.trim());
    }
    let mut out = String::new();
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if matches!(c, '`' | '"' | '\'')
            && let Some(end) = rest[1..].find(c)
        {
            rest = &rest[end + 2..];
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    std::borrow::Cow::Owned(out.trim().to_string())
}

fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Whether `raw` is in `case` (`lower-case`, `sentence-case`, ...); an
/// unknown case is never matched.
#[cfg(test)]
fn is_case(raw: &str, case: &str) -> bool {
    in_case(&unquoted(raw), case)
}

/// [`is_case`] of text already [`unquoted`].
///
/// The cases whose text starts upper case cannot hold for text that starts
/// with a lower-case letter, and building them (word splitting, a string
/// each) was most of the time a history check took: config-conventional
/// asks four of them of every subject.
fn in_case(input: &str, case: &str) -> bool {
    let starts_lower = input
        .chars()
        .next()
        .is_some_and(|c| c.is_lowercase() && c.to_uppercase().next() != Some(c));
    if starts_lower
        && matches!(
            case,
            "upper-case"
                | "uppercase"
                | "sentence-case"
                | "sentencecase"
                | "pascal-case"
                | "start-case"
        )
    {
        return false;
    }
    transformed_matches(input, case)
}

fn transformed_matches(input: &str, case: &str) -> bool {
    // Lower and upper case map each character on its own (a final sigma
    // aside, which differs from `Σ` either way), so the text is in the case
    // when every character maps to itself: no string need be built.
    let unchanged = |map: fn(char) -> bool| {
        input.starts_with(|c: char| c.is_ascii_digit()) || input.chars().all(map)
    };
    match case {
        "lower-case" | "lowercase" | "lowerCase" => {
            return unchanged(|c| {
                let mut l = c.to_lowercase();
                l.next() == Some(c) && l.next().is_none()
            });
        }
        "upper-case" | "uppercase" => {
            return unchanged(|c| {
                let mut u = c.to_uppercase();
                u.next() == Some(c) && u.next().is_none()
            });
        }
        _ => {}
    }
    let to = match case {
        "lower-case" | "lowercase" | "lowerCase" => input.to_lowercase(),
        "upper-case" | "uppercase" => input.to_uppercase(),
        "sentence-case" | "sentencecase" => upper_first(input),
        "camel-case" => input.to_lower_camel_case(),
        "kebab-case" => input.to_kebab_case(),
        "snake-case" => input.to_snake_case(),
        "pascal-case" => input.to_upper_camel_case(),
        "start-case" => input.to_title_case(),
        _ => return false,
    };
    to.is_empty() || to.starts_with(|c: char| c.is_ascii_digit()) || to == input
}

/// commitlint's case rules: `always` one of the cases, or `never` any.
fn case_ok(text: &str, s: &RuleSetting) -> bool {
    let input = unquoted(text);
    let any = strings(s.value.as_ref()).any(|case| in_case(&input, case));
    any == s.always
}

fn cases(s: &RuleSetting) -> String {
    strings(s.value.as_ref()).collect::<Vec<_>>().join(", ")
}

fn must(s: &RuleSetting) -> &'static str {
    if s.always { "must" } else { "must not" }
}

/// `f`'s finding, when `failed`.
fn when(failed: bool, f: impl FnOnce() -> Option<Violation>) -> Option<Violation> {
    if failed { f() } else { None }
}

fn check_rule(name: &str, s: &RuleSetting, p: &Parsed) -> Option<Violation> {
    let ty = p.ty.filter(|t| !t.is_empty());
    let number = || s.value.as_ref().and_then(Value::as_u64).unwrap_or(0) as usize;
    let fail = |message: String, part: Option<&str>| {
        let rule: &'static str = crate::config::RULE_NAMES
            .iter()
            .find(|n| **n == name)
            .copied()
            .unwrap_or("rule");
        Some(Violation::new(rule, message, part))
    };
    match name {
        "type-empty" => (ty.is_none() != s.always).then_some(())?,
        "subject-empty" => {
            let empty = p.subject.is_none_or(|x| x.trim().is_empty());
            (empty != s.always).then_some(())?
        }
        "scope-empty" => {
            let empty = p.scope.is_none_or(str::is_empty);
            (empty != s.always).then_some(())?
        }
        _ => {}
    }
    match name {
        "type-empty" => fail(format!("the type {} be empty", must(s)), Some(p.header)),
        "subject-empty" => fail(format!("the subject {} be empty", must(s)), Some(p.header)),
        "scope-empty" => fail(format!("the scope {} be empty", must(s)), Some(p.header)),
        "type-enum" => {
            let ty = ty?;
            let listed = strings(s.value.as_ref()).any(|t| t == ty);
            if listed == s.always {
                return None;
            }
            let types: Vec<&str> = strings(s.value.as_ref()).collect();
            let v = Violation::new(
                "type-enum",
                format!("`{ty}` is not an allowed type ({})", types.join(", ")),
                Some(ty),
            );
            let v = v.with_hint(crate::diagnostic::suggest(
                &ty.to_lowercase(),
                types.iter().copied(),
            ));
            Some(v)
        }
        "type-case" => {
            let ty = ty?;
            when(!case_ok(ty, s), || {
                fail(format!("the type {} be {}", must(s), cases(s)), Some(ty))
            })
        }
        "scope-case" => {
            let scope = p.scope.filter(|x| !x.is_empty())?;
            // Several scopes are split on `/`, `\` and `,`, as commitlint does.
            let ok = scope
                .split(['/', '\\', ','])
                .all(|part| case_ok(part.trim(), s));
            when(!ok, || {
                fail(
                    format!("the scope {} be {}", must(s), cases(s)),
                    Some(scope),
                )
            })
        }
        "subject-case" => {
            let subject = p.subject?;
            if !subject.starts_with(|c: char| c.is_ascii_alphabetic()) || case_ok(subject, s) {
                return None;
            }
            fail(
                format!("the subject {} be {}", must(s), cases(s)),
                Some(subject),
            )
        }
        "subject-full-stop" => {
            let stop = s.value.as_ref().and_then(Value::as_str).unwrap_or(".");
            let h = p.header;
            // A header that ends at its colon has nothing to stop.
            if h.find(':').is_some_and(|i| i > 0 && i == h.len() - 1) {
                return None;
            }
            let has = h.ends_with(stop) && !h.ends_with("...");
            when(has != s.always, || {
                let message = if s.always {
                    format!("the description must end with `{stop}`")
                } else {
                    "the description must not end with a full stop".to_string()
                };
                let tail: String = {
                    let n = h.chars().count();
                    let t: String = h.chars().skip(n.saturating_sub(20)).collect();
                    if n > 20 { format!("…{t}") } else { t }
                };
                Some(Violation::new("subject-full-stop", message, Some(tail)))
            })
        }
        "header-max-length" => {
            let (len, max) = (utf16_len(p.header), number());
            when(len > max, || {
                let shown: String = p.header.chars().take(40).collect();
                let shown = if p.header.chars().count() > 40 {
                    format!("{shown}…")
                } else {
                    shown
                };
                fail(
                    format!("the header is {len} characters; at most {max} are allowed"),
                    Some(&shown),
                )
            })
        }
        "header-trim" => when(p.header != p.header.trim(), || {
            fail(
                "the header starts or ends with white space".to_string(),
                Some(&format!("{:?}", p.header)),
            )
        }),
        "body-leading-blank" => {
            let has_body = !p.body.is_empty() || !p.footer.is_empty();
            let blank = p.second.is_none_or(|l| l.is_empty());
            when(has_body && blank != s.always, || {
                fail(
                    format!("the body {} follow a blank line", must(s)),
                    p.second,
                )
            })
        }
        "footer-leading-blank" => None,
        "body-max-line-length" => long_line(&p.body, number()).and_then(|l| {
            fail(
                format!(
                    "a body line is {} characters; at most {} are allowed",
                    utf16_len(l),
                    number()
                ),
                Some(&l.chars().take(40).collect::<String>()),
            )
        }),
        "footer-max-line-length" => long_line(&p.footer, number()).and_then(|l| {
            fail(
                format!(
                    "a footer line is {} characters; at most {} are allowed",
                    utf16_len(l),
                    number()
                ),
                Some(&l.chars().take(40).collect::<String>()),
            )
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_count_utf16_units_and_quotes_are_dropped() {
        assert_eq!(utf16_len("abc"), 3);
        assert_eq!(utf16_len("caf\u{e9}"), 4);
        // Outside the basic plane a character is two units, as in JavaScript.
        assert_eq!(utf16_len("a\u{1d11e}"), 3);
        assert_eq!(unquoted("  Add the thing "), "Add the thing");
        assert_eq!(unquoted("add `Foo` and \"Bar\" here"), "add  and  here");
    }

    #[test]
    fn headers_split_as_commitlint_splits_them() {
        assert_eq!(header_parts("feat: x"), Some(("feat", None, "x")));
        assert_eq!(header_parts("feat(a)!: x"), Some(("feat", Some("a"), "x")));
        assert_eq!(header_parts("fix(): x"), Some(("fix", Some(""), "x")));
        assert_eq!(
            header_parts("fix(a): b (c): d"),
            Some(("fix", Some("a): b (c"), "d"))
        );
        assert_eq!(header_parts(": x"), Some(("", None, "x")));
        assert_eq!(header_parts("fix:x"), None);
        assert_eq!(header_parts("update readme"), None);
    }

    #[test]
    fn cases_drop_quoted_text() {
        assert!(is_case("Some message", "sentence-case"));
        // The shortcut for text starting lower case answers as the cases
        // built in full do.
        let cases = [
            "upper-case",
            "uppercase",
            "sentence-case",
            "sentencecase",
            "pascal-case",
            "start-case",
            "lower-case",
            "camel-case",
            "kebab-case",
            "snake-case",
        ];
        for text in [
            "some message",
            "a",
            "élan vital",
            "ßtraße",
            "ǆemal",
            "ﬁx the ligature",
            "x-ray",
            "i18n strings",
            "someMessage",
            "some_message",
            "some-message",
        ] {
            for case in cases {
                assert_eq!(
                    in_case(text, case),
                    transformed_matches(text, case),
                    "{text:?} {case}"
                );
            }
        }
        assert!(!is_case("some message", "sentence-case"));
        assert!(is_case("Some Message", "start-case"));
        assert!(is_case("SomeMessage", "pascal-case"));
        assert!(is_case("SOMEMESSAGE", "upper-case"));
        assert!(is_case("`Eslint` config", "lower-case"));
        assert!(!is_case("Eslint config", "lower-case"));
    }

    #[test]
    fn lower_and_upper_case_agree_with_the_strings_they_would_build() {
        for input in [
            "", "1Foo", "foo bar", "Foo", "FOO", "ΣΑΣ", "σας", "ß", "SS", "İ", "ǅ", "ǆ", "ﬁ",
            "a-b_c", "ÉTÉ",
        ] {
            for (case, built) in [
                ("lower-case", input.to_lowercase()),
                ("upper-case", input.to_uppercase()),
            ] {
                let expected = built.is_empty()
                    || built.starts_with(|c: char| c.is_ascii_digit())
                    || built == input;
                assert_eq!(
                    transformed_matches(input, case),
                    expected,
                    "{input:?} {case}"
                );
            }
        }
    }

    #[test]
    fn settings_layer_preset_shorthands_and_rules() {
        let mut config = CommitsConfig {
            types: Some(vec!["feat".into()]),
            subject_full_stop: Some(true),
            ..CommitsConfig::default()
        };
        config
            .rules
            .insert("header-max-length".into(), set(0, true, None));
        let rules = RuleSet::of(&config);
        assert_eq!(rules.types(), Some(vec!["feat".to_string()]));
        assert_eq!(rules.level("subject-full-stop"), None);
        assert_eq!(rules.level("header-max-length"), None);
        assert_eq!(rules.level("body-leading-blank"), Some(Level::Warning));
        assert_eq!(rules.level("header-format"), Some(Level::Error));
        let spec = RuleSet::preset(Preset::Spec);
        assert_eq!(spec.types(), None);
        assert_eq!(spec.level("body-leading-blank"), Some(Level::Error));
    }
}
