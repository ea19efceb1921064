//! [`Plan`]: one plan file read into its parts (front matter, sections,
//! Files to Change, task list, realtime block, approval marker), with every
//! problem that would stop it being approved.
//!
//! A plan file is `plans/NNNN-slug.md`: YAML front matter that harness
//! writes (`id`, `title`, `agent`, `status`, `created`, `approvals`) and a
//! Markdown body that people write. The body is read by its headings, so any
//! template works as long as it has the required sections.

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::record::{Approval, MARKER, Status, recorded_status};
use super::scope::Scope;
use crate::agent::frontmatter;
use crate::diagnostic::{Code, Diagnostic, Span};
use crate::markdown::{self, CodeBlock, Element, Heading, ListItem};
use crate::realtime::{self, RealtimeSpec};

/// The front matter, as harness writes it. Unknown keys are errors, so a
/// misspelt field never goes unnoticed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Front {
    id: u32,
    title: String,
    agent: String,
    #[serde(default)]
    status: Status,
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    approvals: Vec<Approval>,
}

/// A heading of the body and the text under it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Section {
    pub level: u8,
    pub title: String,
    /// File line of the heading.
    pub line: usize,
    /// Byte range of the section's content in [`Plan::body`], up to the next
    /// heading of the same or a higher level.
    #[serde(skip)]
    pub content: Range<usize>,
}

/// One `- [ ] ...` item of the plan's task list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskItem {
    pub text: String,
    pub checked: bool,
    pub line: usize,
}

/// A `{placeholder}` a template left in, e.g. `{Feature}` or `{n}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Placeholder {
    pub text: String,
    pub line: usize,
    pub col: usize,
}

/// The `PLAN_APPROVED:` line of the body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Marker {
    pub value: String,
    pub line: usize,
}

/// A plan, parsed.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub id: u32,
    pub title: String,
    /// The agent that wrote the plan (its template was used).
    pub agent: String,
    /// The front matter's `status` (what the file claims).
    pub status: Status,
    pub created: Option<String>,
    /// The approval chain, oldest first: approvals and rejections.
    pub approvals: Vec<Approval>,
    /// The file, relative to the project root.
    pub path: PathBuf,
    #[serde(skip)]
    pub body: String,
    /// File line of the body's first line.
    #[serde(skip)]
    pub body_line: usize,
    pub sections: Vec<Section>,
    /// The Files to Change: the only paths work on this plan may touch.
    pub scope: Scope,
    pub tasks: Vec<TaskItem>,
    pub realtime: Option<RealtimeSpec>,
    /// File line of the realtime block's first line.
    pub realtime_line: Option<usize>,
    pub marker: Option<Marker>,
    pub placeholders: Vec<Placeholder>,
    /// Problems that make the plan invalid (errors) or worth a look (warnings).
    pub diagnostics: Vec<Diagnostic>,
    /// File line of the front matter's `status` key.
    #[serde(skip)]
    pub status_line: usize,
    /// File line of each approval record's first line.
    #[serde(skip)]
    pub approval_lines: Vec<usize>,
    /// The text approved last, when there is an approval (loaded by the store).
    #[serde(skip)]
    pub approved_text: Option<String>,
    /// The `[approvals]` rules the chain is checked against (set by the
    /// store); `None` checks content only, as without a signers file.
    #[serde(skip)]
    pub trust: Option<std::sync::Arc<super::signature::Trust>>,
    /// Each approval record's signature checked under `trust` (see
    /// [`Plan::attach_trust`]); empty without a signers file.
    #[serde(skip)]
    pub signatures: Vec<super::signature::SignatureCheck>,
    /// A decision this clone recorded after the chain's last record, which
    /// the chain no longer holds (set by the store, see [`super::ledger`]).
    #[serde(skip)]
    pub cut_after: Option<super::ledger::Entry>,
}

/// The path or glob a Files to Change item names: its first code span,
/// else its first word when that looks like a path (holds `/`, `.` or `*`),
/// so a grouping item such as `- Frontend:` names nothing.
fn item_path(item: &ListItem) -> Option<String> {
    if let Some(code) = &item.code {
        return Some(code.clone());
    }
    let word = item
        .text
        .split_whitespace()
        .next()?
        .trim_end_matches([':', ',']);
    word.contains(['/', '.', '*']).then(|| word.to_string())
}

/// The slug of a title, for file names: `Presence channel!` → `presence-channel`.
pub fn slug(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
        if out.len() >= 48 {
            break;
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() {
        "plan".to_string()
    } else {
        out
    }
}

/// A heading title reduced for comparison: lowercase letters and digits only.
fn key(title: &str) -> String {
    title
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

impl Plan {
    /// Parses a plan file's text. `path` is shown in diagnostics and kept as
    /// the plan's path. `Err` only when the front matter cannot be read (the
    /// plan cannot even be named); problems in the body are kept in
    /// [`Plan::diagnostics`].
    pub fn parse(path: &Path, text: &str, required: &[String]) -> Result<Plan, Vec<Diagnostic>> {
        let split = frontmatter::split(path, text).map_err(|d| {
            vec![d.hint("a plan starts with `---`, `id`, `title`, `agent` and `status` lines, then `---`; `harness-agents plan new` writes one")]
        })?;
        let front: Front = serde_saphyr::from_str(&split.front).map_err(|e| {
            let (line, col) = e
                .location()
                .map_or((1, 1), |l| (l.line() as usize, l.column() as usize));
            let msg = e.to_string();
            let msg = msg.lines().next().unwrap_or("").trim();
            let msg = msg.strip_prefix("error: ").unwrap_or(msg);
            let msg = msg.find(" at line ").map_or(msg, |i| &msg[..i]);
            vec![
                Diagnostic::error(Code::InvalidPlan, format!("plan front matter: {msg}"))
                    .at(Span::new(path, split.front_line + line.saturating_sub(1), col))
                    .hint("the fields are id, title, agent, status (draft, approved, rejected), created and approvals"),
            ]
        })?;
        let status_line = split
            .front
            .lines()
            .position(|l| l.starts_with("status:"))
            .map_or(1, |i| split.front_line + i);
        let approval_lines = split
            .front
            .lines()
            .enumerate()
            .filter(|(_, l)| l.trim_start().starts_with("- decision:"))
            .map(|(i, _)| split.front_line + i)
            .collect();
        let mut plan = Plan {
            approval_lines,
            status_line,
            id: front.id,
            title: front.title,
            agent: front.agent,
            status: front.status,
            created: front.created,
            approvals: front.approvals,
            path: path.to_path_buf(),
            body: split.body,
            body_line: split.body_line,
            sections: Vec::new(),
            scope: Scope::default(),
            tasks: Vec::new(),
            realtime: None,
            realtime_line: None,
            marker: None,
            placeholders: Vec::new(),
            diagnostics: Vec::new(),
            approved_text: None,
            trust: None,
            signatures: Vec::new(),
            cut_after: None,
        };
        plan.read_body(required);
        plan.diagnostics.extend(hidden_characters(path, text));
        Ok(plan)
    }

    fn span(&self, line: usize, col: usize) -> Span {
        Span::new(&self.path, line, col)
    }

    fn read_body(&mut self, required: &[String]) {
        let mut headings: Vec<Heading> = Vec::new();
        let mut realtime: Vec<CodeBlock> = Vec::new();
        let mut items: Vec<ListItem> = Vec::new();
        for element in markdown::walk(&self.body, self.body_line) {
            match element {
                Element::Heading(h) => headings.push(h),
                Element::Code(c)
                    if c.info.as_deref().map(str::trim) == Some(realtime::BLOCK_INFO) =>
                {
                    realtime.push(c);
                }
                Element::Item(item) => items.push(item),
                _ => {}
            }
        }

        // Sections: each runs to the next heading of the same or a higher level.
        self.sections = headings
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let stop = headings[i + 1..]
                    .iter()
                    .find(|next| next.level <= h.level)
                    .map_or(self.body.len(), |next| next.range.start);
                Section {
                    level: h.level,
                    title: h.title.clone(),
                    line: h.line,
                    content: h.range.end..stop,
                }
            })
            .collect();

        self.read_realtime(&realtime);
        self.read_marker();
        self.read_placeholders(&realtime);

        let within =
            |s: Option<&Section>, offset: usize| s.is_some_and(|s| s.content.contains(&offset));
        let files = self.section("Files to Change").cloned();
        let tasks = self
            .sections
            .iter()
            .find(|s| key(&s.title).contains("task"))
            .cloned();
        items.sort_by_key(|i| i.offset);
        let mut entries = Vec::new();
        for item in &items {
            let line = item.line;
            if within(files.as_ref(), item.offset)
                && let Some(pattern) = item_path(item)
            {
                entries.push((pattern, line));
            }
            if let Some(checked) = item.task
                && within(tasks.as_ref(), item.offset)
            {
                self.tasks.push(TaskItem {
                    text: collapse(&item.text),
                    checked,
                    line,
                });
            }
        }
        let (scope, problems) = Scope::build(&self.path, &entries);
        self.scope = scope;
        self.diagnostics.extend(problems);

        for name in required {
            if self.section(name).is_none() {
                let line = self.sections.first().map_or(self.body_line, |s| s.line);
                self.diagnostics.push(
                    Diagnostic::error(
                        Code::MissingSection,
                        format!("the plan has no `{name}` section"),
                    )
                    .at(self.span(line, 1))
                    .hint(format!(
                        "add a `### {name}` heading; required sections are set by `plans.required_sections` in harness.toml"
                    )),
                );
            }
        }
        if files.is_some() && self.scope.is_empty() && self.placeholders.is_empty() {
            let line = files.as_ref().map_or(1, |s| s.line);
            self.diagnostics.push(
                Diagnostic::warning(
                    Code::EmptyScope,
                    "`Files to Change` lists no paths, so nothing may be changed under this plan",
                )
                .at(self.span(line, 1))
                .hint("list each path or glob as a bullet, e.g. - `src/realtime/**`: the service"),
            );
        }
        self.check_status();
    }

    fn read_realtime(&mut self, blocks: &[CodeBlock]) {
        for (i, block) in blocks.iter().enumerate() {
            let fence_line = block.line;
            if i > 0 {
                self.diagnostics.push(
                    Diagnostic::error(
                        Code::DuplicateRealtime,
                        "the plan has more than one `yaml realtime` block",
                    )
                    .at(self.span(fence_line, 1))
                    .hint("declare everything the feature builds in one block"),
                );
                continue;
            }
            self.realtime_line = Some(fence_line + 1);
            match realtime::parse_block(&self.path, &block.text, fence_line + 1) {
                Ok(spec) => self.realtime = Some(spec),
                Err(errors) => self.diagnostics.extend(errors),
            }
        }
    }

    fn read_marker(&mut self) {
        let mut found = Vec::new();
        for (i, line) in self.body.lines().enumerate() {
            if let Some(rest) = line.trim_start().strip_prefix(MARKER) {
                found.push(Marker {
                    value: rest.trim().to_string(),
                    line: self.body_line + i,
                });
            }
        }
        if found.is_empty() {
            let line = self.body_line + self.body.lines().count().saturating_sub(1);
            self.diagnostics.push(
                Diagnostic::error(
                    Code::MissingMarker,
                    format!("the plan has no `{MARKER}` line"),
                )
                .at(self.span(line, 1))
                .hint(format!(
                    "end the plan with `{MARKER} pending`; harness updates it on approval"
                )),
            );
        }
        for extra in found.iter().skip(1) {
            self.diagnostics.push(
                Diagnostic::error(
                    Code::DuplicateMarker,
                    format!("the plan has more than one `{MARKER}` line"),
                )
                .at(self.span(extra.line, 1))
                .hint("keep one, at the end of the plan"),
            );
        }
        self.marker = found.into_iter().next();
    }

    fn read_placeholders(&mut self, realtime: &[CodeBlock]) {
        let skip: Vec<&Range<usize>> = realtime.iter().map(|c| &c.range).collect();
        let mut offset = 0;
        for (i, line) in self.body.split_inclusive('\n').enumerate() {
            let in_block = skip.iter().any(|r| r.contains(&offset));
            offset += line.len();
            if in_block {
                continue;
            }
            for (col, text) in placeholders_in(line) {
                self.placeholders.push(Placeholder {
                    text,
                    line: self.body_line + i,
                    col,
                });
            }
        }
        if let Some(first) = self.placeholders.first() {
            let n = self.placeholders.len();
            self.diagnostics.push(
                Diagnostic::warning(
                    Code::Placeholders,
                    format!(
                        "the plan still holds {n} template placeholder{} such as `{}`",
                        if n == 1 { "" } else { "s" },
                        first.text
                    ),
                )
                .at(self.span(first.line, first.col))
                .hint("replace each `{...}` with what will be built before work starts"),
            );
        }
    }

    /// The front matter and the marker must agree with the approval chain;
    /// a status flipped by hand is reported, never believed.
    fn check_status(&mut self) {
        let recorded = recorded_status(&self.approvals);
        if self.status != recorded {
            self.diagnostics.push(
                Diagnostic::warning(
                    Code::StatusNotRecorded,
                    format!(
                        "`status: {}` is not what the approval chain records (`{}`); harness goes by the chain",
                        self.status.as_str(),
                        recorded.as_str()
                    ),
                )
                .at(self.span(self.status_line, 1))
                .hint("use `harness-agents plan approve` or `harness-agents plan reject`; do not edit the status by hand"),
            );
        }
        if let Some(m) = &self.marker
            && m.value != recorded.marker_word()
            && !(recorded == Status::Draft && m.value.is_empty())
        {
            self.diagnostics.push(
                Diagnostic::warning(
                    Code::StatusNotRecorded,
                    format!(
                        "`{MARKER} {}` is not what the approval chain records (`{}`); harness goes by the chain",
                        m.value,
                        recorded.marker_word()
                    ),
                )
                .at(self.span(m.line, 1))
                .hint("use `harness-agents plan approve` or `harness-agents plan reject`; do not edit the marker by hand"),
            );
        }
    }

    /// The section whose title matches `name` (ignoring case, spaces and
    /// punctuation), e.g. `Files to Change`.
    pub fn section(&self, name: &str) -> Option<&Section> {
        let want = key(name);
        self.sections.iter().find(|s| key(&s.title) == want)
    }

    /// The text of a section, without its heading.
    pub fn section_text(&self, name: &str) -> Option<&str> {
        self.section(name).map(|s| &self.body[s.content.clone()])
    }

    /// The Files to Change: the paths and globs this plan may change.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// The typed realtime block, when the plan has a valid one.
    pub fn realtime(&self) -> Option<&RealtimeSpec> {
        self.realtime.as_ref()
    }

    /// Errors that make the plan unfit for approval.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }

    pub fn is_valid(&self) -> bool {
        self.errors().next().is_none()
    }

    /// Whether a template's placeholders are still in.
    pub fn is_fresh(&self) -> bool {
        !self.placeholders.is_empty()
    }

    /// `0007`, the id as file names write it.
    pub fn padded_id(&self) -> String {
        format!("{:04}", self.id)
    }
}

/// `{Feature}`-style placeholders in a line: `{` + a letter + up to 80
/// characters without braces + `}`. Returns (column, text).
fn placeholders_in(line: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '{'
            && chars.get(i + 1).is_some_and(|c| c.is_alphabetic())
            && (i == 0 || chars[i - 1] != '{')
            && let Some(len) = chars[i + 1..]
                .iter()
                .take(81)
                .position(|&c| c == '}' || c == '{' || c == '\n')
            && chars[i + 1 + len] == '}'
        {
            let text: String = chars[i..=i + 1 + len].iter().collect();
            out.push((i + 1, text));
            i += len + 2;
            continue;
        }
        i += 1;
    }
    out
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A character that changes what a terminal or an editor shows without
/// showing itself: control characters other than tab and line ends (an
/// escape sequence can conceal text or move the cursor), a carriage return
/// not followed by a line feed (what follows it overwrites the line), and
/// the bidirectional overrides and isolates that reorder text. A person
/// approves what they see, so a plan holding one cannot be approved.
fn is_hiding(c: char, next: Option<char>) -> bool {
    match c {
        '\t' | '\n' => false,
        '\r' => next != Some('\n'),
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => true,
        c => c.is_control(),
    }
}

/// Errors for the characters of `text` that [`is_hiding`], located; the
/// first few only, since one is enough to refuse the plan.
fn hidden_characters(path: &Path, text: &str) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let (mut line, mut col) = (1, 0);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\n' {
            (line, col) = (line + 1, 0);
            continue;
        }
        col += 1;
        if !is_hiding(c, chars.peek().copied()) {
            continue;
        }
        out.push(
            Diagnostic::error(
                Code::InvalidPlan,
                format!(
                    "the plan holds {}, which can hide or reorder text where a person reads it",
                    describe(c)
                ),
            )
            .at(Span::new(path, line, col))
            .hint("remove it: a plan is approved as it is seen, so it holds printable text only"),
        );
        if out.len() == 3 {
            break;
        }
    }
    out
}

fn describe(c: char) -> String {
    match c {
        '\r' => "a carriage return not followed by a line feed".to_string(),
        '\u{1b}' => "an escape character (U+001B, terminal escape sequences)".to_string(),
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {
            format!("a bidirectional control character (U+{:04X})", c as u32)
        }
        c => format!("a control character (U+{:04X})", c as u32),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::plan::PlanState;

    pub(crate) const PLAN: &str = "---\nid: 7\ntitle: \"Presence channel\"\nagent: \"realtime-engineer\"\nstatus: draft\ncreated: \"2026-01-02T03:04:05Z\"\n---\n## PLAN: Presence channel\n\n### Context\nWho is in a room.\n\n### Realtime Spec\n```yaml realtime\ntransport: websocket\nchannels:\n  - name: \"room:{id}\"\n    presence: true\n```\n\n### Files to Change\n- `src/realtime/presence.rs`: the service\n- `web/src/hooks/` the hook\n- tests/presence.rs\n- Frontend:\n  - `web/x.ts`\n\n### Tasks\n- [ ] Presence service\n- [x] Client hook (after 1)\n\nPLAN_APPROVED: pending\n";

    fn parse(text: &str) -> Plan {
        Plan::parse(
            Path::new("plans/0007-presence-channel.md"),
            text,
            &["Files to Change".to_string()],
        )
        .unwrap()
    }

    #[test]
    fn characters_that_hide_text_are_located_errors_and_crlf_is_not() {
        // A scope entry hidden from a terminal behind a carriage return, an
        // escape sequence that conceals text, a bidirectional override.
        let hidden = PLAN
            .replace(
                "- tests/presence.rs\n",
                "- tests/presence.rs\r- `src/ok.rs`: harmless\n",
            )
            .replace(
                "Who is in a room.",
                "Who is \u{1b}[8min\u{1b}[0m a room \u{202e}x.",
            );
        let p = parse(&hidden);
        let found: Vec<(usize, usize, &str)> = p
            .errors()
            .map(|d| {
                let s = d.span.as_ref().unwrap();
                (s.line, s.col, d.message.as_str())
            })
            .collect();
        assert_eq!(found.len(), 3, "{found:?}");
        assert_eq!(found[0].0, 11);
        assert_eq!(found[0].1, 8);
        assert!(found[0].2.contains("escape character"), "{}", found[0].2);
        assert_eq!(found[2].0, 11);
        assert!(found[2].2.contains("U+202E"), "{}", found[2].2);
        // The carriage return is the fourth: only the first three are kept.
        let cr_only = PLAN.replace(
            "- tests/presence.rs\n",
            "- tests/presence.rs\r- `src/ok.rs`: harmless\n",
        );
        let p = parse(&cr_only);
        let e: Vec<&Diagnostic> = p.errors().collect();
        assert_eq!(e.len(), 1);
        assert_eq!(
            (
                e[0].span.as_ref().unwrap().line,
                e[0].span.as_ref().unwrap().col
            ),
            (24, 20)
        );
        assert!(e[0].message.contains("carriage return"), "{}", e[0].message);
        // Windows line ends and tabs are ordinary text.
        let p = parse(&PLAN.replace('\n', "\r\n").replace("Who is", "Who\tis"));
        assert!(p.errors().next().is_none(), "{:?}", p.diagnostics);
    }

    #[test]
    fn reads_every_part_with_its_line() {
        let p = parse(PLAN);
        assert_eq!(p.id, 7);
        assert_eq!(p.title, "Presence channel");
        assert_eq!(p.status, Status::Draft);
        assert!(p.is_valid(), "{:?}", p.diagnostics);
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
        let files = p.section("files to change").unwrap();
        assert_eq!(files.line, 21);
        assert_eq!(
            p.scope.patterns(),
            [
                "src/realtime/presence.rs",
                "web/src/hooks/**",
                "tests/presence.rs",
                "web/x.ts"
            ]
        );
        assert_eq!(p.scope.entries()[1].line, 23);
        assert!(p.scope.contains("web/src/hooks/usePresence.ts"));
        assert!(!p.scope.contains("src/main.rs"));
        assert_eq!(p.tasks.len(), 2);
        assert_eq!(p.tasks[1].text, "Client hook (after 1)");
        assert!(p.tasks[1].checked);
        assert_eq!(p.tasks[0].line, 29);
        assert_eq!(p.realtime_line, Some(15));
        assert!(p.realtime().unwrap().channels[0].presence);
        assert_eq!(p.marker.as_ref().unwrap().line, 32);
        assert!(p.placeholders.is_empty());
    }

    #[test]
    fn broken_front_matter_is_located() {
        let text = PLAN.replace("agent: \"realtime-engineer\"\n", "agnet: x\n");
        let e = Plan::parse(Path::new("p.md"), &text, &[]).unwrap_err();
        assert!(e[0].message.contains("agnet"), "{}", e[0].message);
        assert_eq!(e[0].span.as_ref().unwrap().line, 4);
    }

    #[test]
    fn problems_in_the_body_are_located_errors() {
        let text = PLAN
            .replace("    presence: true\n", "    presense: true\n")
            .replace("### Files to Change", "### Files")
            .replace("PLAN_APPROVED: pending\n", "");
        let p = parse(&text);
        let codes: Vec<_> = p
            .errors()
            .map(|d| (d.code.as_str(), d.span.as_ref().unwrap().line))
            .collect();
        assert_eq!(
            codes,
            [
                ("invalid-realtime", 18),
                ("missing-marker", 31),
                ("missing-section", 8)
            ]
        );
    }

    #[test]
    fn placeholders_are_found_outside_the_realtime_block() {
        assert_eq!(
            placeholders_in("- Max: {n} and {audio/video}"),
            [(8, "{n}".to_string()), (16, "{audio/video}".to_string())]
        );
        assert!(placeholders_in("{{ title }} and {} and { x }").is_empty());
        let p = parse(&PLAN.replace("Who is in a room.", "{What is added}"));
        assert_eq!(p.placeholders.len(), 1);
        assert!(p.is_fresh() && p.is_valid());
        assert_eq!(p.diagnostics[0].code, Code::Placeholders);
    }

    #[test]
    fn a_status_flipped_by_hand_is_reported_and_ignored() {
        let p = parse(&PLAN.replace("status: draft", "status: approved"));
        assert_eq!(p.diagnostics[0].code, Code::StatusNotRecorded);
        assert!(matches!(p.state(), PlanState::Draft));
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("Presence channel!"), "presence-channel");
        assert_eq!(slug("  --  "), "plan");
        assert_eq!(slug("Über Chat 2"), "ber-chat-2");
    }
}
