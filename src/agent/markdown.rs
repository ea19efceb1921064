//! The Markdown body of an agent definition, read as a tree of sections, and
//! the policy facts found in it: constraints, quality-gate commands, commit
//! conventions, checklists, scope, tooling, deliverables and plan template.
//!
//! Agent bodies are prose written for a model, not a schema, so facts are
//! recognised by the section they sit in (a heading containing "constraint",
//! "commit", "deliverable"...) and by labels such as `**OUT OF SCOPE:**`.
//! Every fact keeps the file line it came from.

use std::sync::OnceLock;

use serde::Serialize;

use crate::markdown::{self, Element, Table};

/// A line of text from the body, with the file line it starts on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    pub text: String,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Section {
    pub level: u8,
    pub title: String,
    pub line: usize,
    pub sections: Vec<Section>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckItem {
    pub text: String,
    pub checked: bool,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Checklist {
    pub title: String,
    pub line: usize,
    pub items: Vec<CheckItem>,
}

/// What the body says about commit messages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CommitConventions {
    /// Allowed Conventional Commit types, e.g. `feat`, `fix`, `refactor`.
    pub types: Vec<Item>,
    /// The sentence requiring a plan or task reference, if there is one.
    pub reference_required: Option<Item>,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deliverable {
    pub name: String,
    pub path: Option<String>,
    pub acceptance: Option<String>,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanTemplate {
    pub text: String,
    /// File line of the template's first line.
    pub line: usize,
}

/// Everything harness reads from an agent's body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Body {
    pub sections: Vec<Section>,
    pub responsibilities: Vec<Item>,
    pub constraints: Vec<Item>,
    pub anti_patterns: Vec<Item>,
    pub gates: Vec<Item>,
    pub commit: Option<CommitConventions>,
    pub checklists: Vec<Checklist>,
    pub scope_in: Vec<Item>,
    pub scope_out: Vec<Item>,
    pub tooling_allowed: Vec<Item>,
    pub tooling_forbidden: Vec<Item>,
    pub deliverables: Vec<Deliverable>,
    pub plan_template: Option<PlanTemplate>,
}

/// An agent's body as written, read into a [`Body`] the first time one of
/// its facts is asked for. Most commands ask about a few agents (the guard,
/// `agents show`) or about none of their prose (`agents list`), and reading
/// Markdown is most of the cost of loading an agent.
#[derive(Debug, Clone, Default)]
pub struct LazyBody {
    text: String,
    first_line: usize,
    read: OnceLock<Body>,
}

impl LazyBody {
    /// `first_line` is the file line of the body's first line.
    pub fn new(text: String, first_line: usize) -> Self {
        LazyBody {
            text,
            first_line,
            read: OnceLock::new(),
        }
    }

    /// The quality-gate commands. A body without a code block has none
    /// (see [`may_hold_code`]), and is then not read at all.
    pub fn gates(&self) -> &[Item] {
        if may_hold_code(&self.text) {
            &self.gates
        } else {
            &[]
        }
    }
}

impl std::ops::Deref for LazyBody {
    type Target = Body;

    fn deref(&self) -> &Body {
        self.read.get_or_init(|| parse(&self.text, self.first_line))
    }
}

/// Two bodies are the same when their text is: whether either has been
/// read yet does not matter.
impl PartialEq for LazyBody {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text && self.first_line == other.first_line
    }
}

impl Eq for LazyBody {}

impl Serialize for LazyBody {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Body::serialize(self, serializer)
    }
}

/// Whether `text` can hold a code block, where every quality gate is
/// written. A fenced block needs a fence (three backticks or tildes); an
/// indented one needs four columns of white space past its containers,
/// which are four spaces in a row or a tab somewhere on its line.
fn may_hold_code(text: &str) -> bool {
    let bytes = text.as_bytes();
    memchr::memchr(b'\t', bytes).is_some()
        || ["```", "~~~", "    "]
            .iter()
            .any(|needle| memchr::memmem::find(bytes, needle.as_bytes()).is_some())
}

/// Where in the document a piece of text sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bucket {
    Responsibilities,
    Constraints,
    AntiPatterns,
    ScopeIn,
    ScopeOut,
    ToolingAllowed,
    ToolingForbidden,
    Other,
}

/// What a label such as `**OUT OF SCOPE:**` says the following list is.
fn label_bucket(tooling: bool, label: &str) -> Option<Bucket> {
    if label.is_empty() {
        return None;
    }
    if contains(label, "out of scope") || contains(label, "scope out") {
        return Some(Bucket::ScopeOut);
    }
    if contains(label, "in scope") || contains(label, "scope in") {
        return Some(Bucket::ScopeIn);
    }
    if tooling && (contains(label, "forbidden") || contains(label, "not allowed")) {
        return Some(Bucket::ToolingForbidden);
    }
    if tooling && contains(label, "allowed") {
        return Some(Bucket::ToolingAllowed);
    }
    None
}

/// What one heading's title says, read once when the heading opens: the
/// words a section is recognised by.
#[derive(Debug, Clone, Copy)]
struct HeadingWords {
    level: u8,
    commit: bool,
    gates: bool,
    deliverable: bool,
    tool: bool,
    /// What this heading alone says a list is.
    bucket: Bucket,
}

impl HeadingWords {
    fn new(level: u8, title: &str) -> Self {
        let found = words_in(&title.to_lowercase());
        let has = |word: u32| found & word != 0;
        HeadingWords {
            level,
            commit: has(COMMIT),
            gates: has(QUALITY_GATE | GATES),
            deliverable: has(DELIVERABLE),
            tool: has(TOOL),
            bucket: heading_bucket(found),
        }
    }
}

/// The words a heading is recognised by, lowercase: bit `i` of a set found
/// by [`words_in`] stands for `WORDS[i]`.
const WORDS: [&str; 15] = [
    "commit",
    "quality gate",
    "gates",
    "deliverable",
    "tool",
    "anti-pattern",
    "antipattern",
    "never do",
    "out of scope",
    "in scope",
    "constraint",
    "guardrail",
    "rules",
    "boundaries",
    "responsibilit",
];
const COMMIT: u32 = 1 << 0;
const QUALITY_GATE: u32 = 1 << 1;
const GATES: u32 = 1 << 2;
const DELIVERABLE: u32 = 1 << 3;
const TOOL: u32 = 1 << 4;
const ANTI_PATTERN: u32 = 1 << 5 | 1 << 6 | 1 << 7;
const OUT_OF_SCOPE: u32 = 1 << 8;
const IN_SCOPE: u32 = 1 << 9;
const CONSTRAINT: u32 = 1 << 10 | 1 << 11 | 1 << 12 | 1 << 13;
const RESPONSIBILITY: u32 = 1 << 14;

/// For each byte, the words of [`WORDS`] that start with it.
const STARTING: [u32; 256] = {
    let mut table = [0; 256];
    let mut i = 0;
    while i < WORDS.len() {
        table[WORDS[i].as_bytes()[0] as usize] |= 1 << i;
        i += 1;
    }
    table
};

/// Which of [`WORDS`] occur in `lower`, in one pass over its bytes: a
/// heading is a few words, and most hold none of these.
fn words_in(lower: &str) -> u32 {
    let bytes = lower.as_bytes();
    let mut found = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let mut candidates = STARTING[usize::from(b)] & !found;
        while candidates != 0 {
            let word = candidates.trailing_zeros();
            candidates &= candidates - 1;
            if bytes[i..].starts_with(WORDS[word as usize].as_bytes()) {
                found |= 1 << word;
            }
        }
    }
    found
}

/// What a heading's words say a list is.
fn heading_bucket(found: u32) -> Bucket {
    let has = |word: u32| found & word != 0;
    if has(ANTI_PATTERN) {
        return Bucket::AntiPatterns;
    }
    if has(OUT_OF_SCOPE) {
        return Bucket::ScopeOut;
    }
    if has(IN_SCOPE) {
        return Bucket::ScopeIn;
    }
    if has(CONSTRAINT) {
        return Bucket::Constraints;
    }
    if has(RESPONSIBILITY) {
        return Bucket::Responsibilities;
    }
    Bucket::Other
}

/// `haystack.contains(needle)`, for the short texts labels are: the
/// library's search prepares each needle first, which costs more than a
/// label's few bytes.
fn contains(haystack: &str, needle: &str) -> bool {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    let Some((&first, rest)) = n.split_first() else {
        return true;
    };
    h.len() >= n.len()
        && (0..=h.len() - n.len()).any(|i| h[i] == first && &h[i + 1..i + n.len()] == rest)
}

/// Reads the body. `first_line` is the file line of the body's first line.
pub fn parse(body: &str, first_line: usize) -> Body {
    let mut out = Body::default();
    let mut flat: Vec<(u8, String, usize)> = Vec::new();
    // Open headings, outermost first.
    let mut heading_stack: Vec<HeadingWords> = Vec::new();
    let mut label = String::new();
    let mut last_paragraph = String::new();
    let mut commit = CommitConventions::default();
    let mut in_commit_section = false;
    // Recomputed only when a heading or label changes: items are many.
    let mut headings_gates = false;
    let mut in_deliverables = false;
    let mut in_tooling = false;
    let mut by_heading = Bucket::Other;
    let mut current = Bucket::Other;

    markdown::walk_each(body, first_line, |element| {
        match element {
            Element::Heading(h) => {
                let level = h.level;
                while heading_stack.last().is_some_and(|w| w.level >= level) {
                    heading_stack.pop();
                }
                heading_stack.push(HeadingWords::new(level, &h.title));
                let any = |word: fn(&HeadingWords) -> bool| heading_stack.iter().any(word);
                in_commit_section = any(|w| w.commit);
                label.clear();
                headings_gates = any(|w| w.gates);
                in_deliverables = any(|w| w.deliverable);
                in_tooling = any(|w| w.tool);
                // The nearest heading that says anything decides.
                by_heading = heading_stack
                    .iter()
                    .rev()
                    .map(|w| w.bucket)
                    .find(|b| *b != Bucket::Other)
                    .unwrap_or(Bucket::Other);
                current = by_heading;
                flat.push((level, h.title, h.line));
            }
            Element::Paragraph(p) => {
                if p.depth == 0 && p.text.ends_with(':') && p.text.chars().count() <= 40 {
                    label = p.text.to_lowercase();
                    current = label_bucket(in_tooling, &label).unwrap_or(by_heading);
                }
                if in_commit_section {
                    note_commit_text(&mut commit, &p.text, p.line);
                }
                // Read only if a code block follows: most paragraphs are not.
                last_paragraph = p.text;
            }
            Element::Item(open) => {
                if current == Bucket::Other && open.task.is_none() && !in_commit_section {
                    return;
                }
                let text = markdown::collapse(&open.text);
                if text.is_empty() {
                    return;
                }
                if let Some(checked) = open.task {
                    let (title, title_line) = flat
                        .last()
                        .map_or((String::new(), first_line), |(_, t, l)| (t.clone(), *l));
                    match out.checklists.last_mut() {
                        Some(list) if list.line == title_line => {}
                        _ => out.checklists.push(Checklist {
                            title,
                            line: title_line,
                            items: Vec::new(),
                        }),
                    }
                    if let Some(list) = out.checklists.last_mut() {
                        list.items.push(CheckItem {
                            text,
                            checked,
                            line: open.line,
                        });
                    }
                    return;
                }
                if in_commit_section {
                    note_commit_text(&mut commit, &text, open.line);
                }
                let item = Item {
                    text,
                    line: open.line,
                };
                match current {
                    Bucket::Responsibilities => out.responsibilities.push(item),
                    Bucket::Constraints => out.constraints.push(item),
                    Bucket::AntiPatterns => out.anti_patterns.push(item),
                    Bucket::ScopeIn => out.scope_in.push(item),
                    Bucket::ScopeOut => out.scope_out.push(item),
                    Bucket::ToolingAllowed => out.tooling_allowed.push(item),
                    Bucket::ToolingForbidden => out.tooling_forbidden.push(item),
                    Bucket::Other => {}
                }
            }
            Element::Code(block) => {
                let lang = block
                    .info
                    .as_deref()
                    .and_then(|info| info.split_whitespace().next())
                    .unwrap_or("")
                    .to_lowercase();
                let near = || {
                    mentions_gates(
                        &block
                            .lead
                            .as_ref()
                            .unwrap_or(&last_paragraph)
                            .to_lowercase(),
                    )
                };
                if is_shell(&lang) && (headings_gates || near()) {
                    // Fenced content starts on the line after the fence.
                    out.gates.extend(gate_commands(&block.text, block.line + 1));
                }
            }
            Element::Table(table) => {
                if in_deliverables {
                    out.deliverables.extend(deliverables(&table));
                }
            }
        }
    });
    if !commit.types.is_empty() || commit.reference_required.is_some() {
        commit.line = commit
            .types
            .first()
            .map(|t| t.line)
            .or(commit.reference_required.as_ref().map(|r| r.line))
            .unwrap_or(first_line);
        out.commit = Some(commit);
    }
    out.sections = tree(&flat);
    out.plan_template = plan_template(body, first_line);
    out
}

fn is_shell(lang: &str) -> bool {
    matches!(lang, "" | "bash" | "sh" | "shell" | "console" | "zsh")
}

fn mentions_gates(text: &str) -> bool {
    text.contains("quality gate") || text.contains("gates")
}

/// One command a line; comments and prompts removed.
fn gate_commands(text: &str, start: usize) -> Vec<Item> {
    text.lines()
        .enumerate()
        .filter_map(|(i, raw)| {
            let line = raw.trim();
            let line = line.strip_prefix("$ ").unwrap_or(line);
            let command = match line.find(" #") {
                Some(i) => line[..i].trim_end(),
                None => line,
            };
            (!command.is_empty() && !command.starts_with('#')).then(|| Item {
                text: command.to_string(),
                line: start + i,
            })
        })
        .collect()
}

/// Records commit types written as `feat: ...` / `fix(scope): ...`, and a
/// sentence that requires a plan or task reference.
fn note_commit_text(commit: &mut CommitConventions, text: &str, line: usize) {
    if let Some(ty) = leading_type(text)
        && !commit.types.iter().any(|t| t.text == ty)
    {
        commit.types.push(Item { text: ty, line });
    }
    let lower = text.to_lowercase();
    if commit.reference_required.is_none()
        && lower.contains("reference")
        && (lower.contains("must") || lower.contains("every") || lower.contains("always"))
    {
        commit.reference_required = Some(Item {
            text: text.to_string(),
            line,
        });
    }
}

fn leading_type(text: &str) -> Option<String> {
    let colon = text.find(':')?;
    let head = &text[..colon];
    let head = head.strip_suffix('!').unwrap_or(head);
    let ty = match head.find('(') {
        Some(open) if head.ends_with(')') => &head[..open],
        _ => head,
    };
    let ok = !ty.is_empty() && ty.len() <= 12 && ty.chars().all(|c| c.is_ascii_lowercase());
    ok.then(|| ty.to_string())
}

fn deliverables(t: &Table) -> Vec<Deliverable> {
    let find = |keys: &[&str]| {
        t.header
            .iter()
            .position(|h| keys.iter().any(|k| h.to_lowercase().contains(k)))
    };
    let path_col = find(&["path", "location", "file"]);
    let accept_col = find(&["accept", "criteria", "done"]);
    t.rows
        .iter()
        .filter_map(|r| {
            let row = &r.cells;
            let name = row.first()?.clone();
            let cell = |c: Option<usize>| {
                c.and_then(|c| row.get(c))
                    .filter(|s| !s.is_empty())
                    .cloned()
            };
            Some(Deliverable {
                name,
                path: cell(path_col).map(|p| p.trim_matches('`').to_string()),
                acceptance: cell(accept_col),
                line: r.line,
            })
        })
        .collect()
}

fn tree(flat: &[(u8, String, usize)]) -> Vec<Section> {
    fn build(flat: &[(u8, String, usize)], i: &mut usize, parent_level: u8) -> Vec<Section> {
        let mut out = Vec::new();
        while *i < flat.len() && flat[*i].0 > parent_level {
            let (level, title, line) = flat[*i].clone();
            *i += 1;
            let sections = build(flat, i, level);
            out.push(Section {
                level,
                title,
                line,
                sections,
            });
        }
        out
    }
    build(flat, &mut 0, 0)
}

/// The plan template: the fenced block that holds the `PLAN_APPROVED:`
/// marker. Read from the raw lines rather than the Markdown tree, because
/// templates often nest a fence inside (an architecture sketch) with the same
/// backtick count, which CommonMark would end early.
fn plan_template(body: &str, first_line: usize) -> Option<PlanTemplate> {
    if !body.contains("PLAN_APPROVED:") {
        return None;
    }
    let lines: Vec<&str> = body.lines().collect();
    let marker = lines.iter().position(|l| l.contains("PLAN_APPROVED:"))?;
    let fence_of = |l: &str| {
        let t = l.trim_start();
        let ticks = t.chars().take_while(|&c| c == '`' || c == '~').count();
        (ticks >= 3).then(|| (ticks, t[ticks..].trim().to_string()))
    };
    // The opening fence: the nearest fence above the marker that opens a
    // Markdown block (a bare fence above the marker usually closes a block
    // nested inside the template, and a `yaml` one opens a nested block).
    let markdownish = |info: &str| matches!(info, "markdown" | "md" | "text" | "plan");
    let open = (0..marker)
        .rev()
        .find(|&i| fence_of(lines[i]).is_some_and(|(_, info)| markdownish(&info)))
        .or_else(|| {
            (0..marker)
                .rev()
                .find(|&i| fence_of(lines[i]).is_some_and(|(_, info)| !info.is_empty()))
        })?;
    let (open_ticks, _) = fence_of(lines[open])?;
    // Inside the template, inner blocks open with an info string and close
    // bare; the template's own close is the first bare fence after the
    // marker, or the end of the body.
    let close = (marker + 1..lines.len())
        .find(|&i| fence_of(lines[i]).is_some_and(|(t, info)| info.is_empty() && t >= open_ticks))
        .unwrap_or(lines.len());
    let text = lines[open + 1..close].join("\n") + "\n";
    Some(PlanTemplate {
        text,
        line: first_line + open + 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = r#"# Dev Agent

## Responsibilities

1. **Read the plan** -- first.
2. **Run quality gates** -- Before marking any task complete:
   ```bash
   cargo clippy -- -D warnings   # lint
   cargo test
   ```

## Constraints

- Do NOT modify test files under any circumstances.
- Never block the event loop.

## Commit Conventions

Use conventional commits:
- `feat: [description]` -- new feature
- `fix(ws): [description]` -- bug fix

Every commit message must reference the task or plan it implements.

## Scope

**IN SCOPE:**
- Rooms

**OUT OF SCOPE:**
- Billing

## Tooling Policy

**ALLOWED:**
- `Read`: reading

**FORBIDDEN:**
- Database operations

## Checklist

### Security
- [ ] Tokens expire
- [x] Rooms authenticated

## Deliverables

| Deliverable | Path | Acceptance Criteria |
|---|---|---|
| Hook | `src/hooks/use.ts` | API abstraction |

## Anti-patterns (never do these)

- Unbounded queues

## Plan

```markdown
## PLAN: {Feature}

### Architecture
```
[A] -> [B]
```

### Spec
```yaml realtime
transport: sse
```

PLAN_APPROVED: pending
```
"#;

    #[test]
    fn reads_every_kind_of_fact_with_its_line() {
        let b = parse(BODY, 10);
        assert_eq!(b.responsibilities.len(), 2);
        assert_eq!(b.responsibilities[0].line, 14);
        assert_eq!(
            b.gates,
            vec![
                Item {
                    text: "cargo clippy -- -D warnings".into(),
                    line: 17
                },
                Item {
                    text: "cargo test".into(),
                    line: 18
                },
            ]
        );
        assert_eq!(
            b.constraints[0].text,
            "Do NOT modify test files under any circumstances."
        );
        assert_eq!(b.constraints[0].line, 23);
        let commit = b.commit.unwrap();
        let types: Vec<_> = commit.types.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(types, ["feat", "fix"]);
        assert_eq!(commit.reference_required.unwrap().line, 32);
        assert_eq!(b.scope_in[0].text, "Rooms");
        assert_eq!(b.scope_out[0].text, "Billing");
        assert_eq!(b.tooling_allowed[0].text, "Read: reading");
        assert_eq!(b.tooling_forbidden[0].text, "Database operations");
        assert_eq!(b.checklists.len(), 1);
        assert_eq!(b.checklists[0].title, "Security");
        assert!(b.checklists[0].items[1].checked);
        assert_eq!(b.deliverables[0].path.as_deref(), Some("src/hooks/use.ts"));
        assert_eq!(b.anti_patterns[0].text, "Unbounded queues");
    }

    #[test]
    fn plan_template_survives_a_nested_fence() {
        let b = parse(BODY, 10);
        let t = b.plan_template.unwrap();
        assert!(t.text.starts_with("## PLAN: {Feature}\n"), "{}", t.text);
        assert!(t.text.contains("[A] -> [B]"));
        assert!(t.text.contains("```yaml realtime\ntransport: sse\n```"));
        assert!(t.text.trim_end().ends_with("PLAN_APPROVED: pending"));
    }

    #[test]
    fn plan_template_in_a_long_fence_keeps_its_inner_blocks() {
        let body = "## Plan\n\n````markdown\n## PLAN: {Feature}\n\n```\n[A] -> [B]\n```\n\n```yaml realtime\ntransport: sse\n```\n\nPLAN_APPROVED: pending\n````\n\n## After\n";
        let t = parse(body, 1).plan_template.unwrap();
        assert_eq!(t.line, 4);
        assert!(t.text.starts_with("## PLAN: {Feature}\n"), "{}", t.text);
        assert!(t.text.contains("```yaml realtime\ntransport: sse\n```\n"));
        assert!(t.text.ends_with("PLAN_APPROVED: pending\n"), "{}", t.text);
    }

    #[test]
    fn sections_form_a_tree() {
        let b = parse(BODY, 1);
        assert_eq!(b.sections.len(), 1);
        let top = &b.sections[0];
        assert_eq!(top.title, "Dev Agent");
        let checklist = top
            .sections
            .iter()
            .find(|s| s.title == "Checklist")
            .unwrap();
        assert_eq!(checklist.sections[0].title, "Security");
    }

    #[test]
    fn code_outside_gate_sections_is_not_a_gate() {
        let b = parse("## Examples\n\n```bash\nrm -rf /\n```\n", 1);
        assert!(b.gates.is_empty());
    }

    #[test]
    fn heading_words_are_what_contains_finds() {
        for title in [
            "Quality Gates",
            "Commit Rules & Tooling",
            "Anti-Patterns (never do these)",
            "Out of Scope / In Scope",
            "Key Responsibilities",
            "Guardrails and Boundaries",
            "Deliverables",
            "Überblick",
            "rules rules gates",
            "",
        ] {
            let lower = title.to_lowercase();
            let expected = WORDS
                .iter()
                .enumerate()
                .filter(|(_, w)| lower.contains(*w))
                .fold(0, |set, (i, _)| set | 1 << i);
            assert_eq!(words_in(&lower), expected, "{title}");
            let w = HeadingWords::new(2, title);
            assert_eq!(w.commit, lower.contains("commit"), "{title}");
            assert_eq!(
                w.gates,
                lower.contains("quality gate") || lower.contains("gates"),
                "{title}"
            );
            assert_eq!(w.deliverable, lower.contains("deliverable"), "{title}");
            assert_eq!(w.tool, lower.contains("tool"), "{title}");
        }
        let bucket = |title| HeadingWords::new(2, title).bucket;
        assert_eq!(bucket("Quality Gates"), Bucket::Other);
        assert_eq!(bucket("Anti-Patterns & Rules"), Bucket::AntiPatterns);
        assert_eq!(bucket("Never do"), Bucket::AntiPatterns);
        assert_eq!(bucket("Out of scope"), Bucket::ScopeOut);
        assert_eq!(bucket("In Scope"), Bucket::ScopeIn);
        assert_eq!(bucket("Hard constraints"), Bucket::Constraints);
        assert_eq!(bucket("Guardrails"), Bucket::Constraints);
        assert_eq!(bucket("Boundaries"), Bucket::Constraints);
        assert_eq!(bucket("Responsibilities"), Bucket::Responsibilities);
        assert_eq!(bucket("Overview"), Bucket::Other);
    }

    #[test]
    fn leading_types() {
        assert_eq!(leading_type("feat: x"), Some("feat".into()));
        assert_eq!(leading_type("fix(ws)!: x"), Some("fix".into()));
        assert_eq!(leading_type("Use conventional commits:"), None);
        assert_eq!(leading_type("no colon"), None);
    }

    #[test]
    fn a_lazy_body_is_read_once_and_only_when_asked() {
        let body = LazyBody::new(BODY.to_string(), 7);
        assert!(body.read.get().is_none());
        assert_eq!(body.gates(), parse(BODY, 7).gates.as_slice());
        assert!(!body.gates().is_empty());
        assert!(body.read.get().is_some());
        // What it reads is what `parse` reads, lines included.
        assert_eq!(*body, parse(BODY, 7));

        // No gate can be named, so asking for the gates reads nothing.
        let prose = LazyBody::new("# Reviewer\n\n## Rules\n\n- be kind\n".into(), 3);
        assert!(prose.gates().is_empty());
        assert!(prose.read.get().is_none());
        assert_eq!(prose.constraints.len(), 1);
        assert!(prose.read.get().is_some());
    }

    #[test]
    fn every_kind_of_code_block_is_read_for_gates() {
        let fenced = "## Quality gates\n\n~~~sh\ncargo test\n~~~\n";
        let indented = "## Quality gates\n\n    cargo test\n";
        let tabbed = "## Quality gates\n\n\tcargo test\n";
        let in_item = "## Quality gates\n\n-     cargo test\n";
        let quoted = "## Quality gates\n\n>     cargo test\n";
        let spelt = "## Quality G&#65;T*es*\n\n```bash\ncargo test\n```\n";
        for text in [fenced, indented, tabbed, in_item, quoted, spelt] {
            assert!(may_hold_code(text), "{text:?}");
            let gates = LazyBody::new(text.to_string(), 1);
            let gates: Vec<&str> = gates.gates().iter().map(|g| g.text.as_str()).collect();
            assert_eq!(gates, ["cargo test"], "{text:?}");
        }
        // Without a code block there is nothing to read.
        let prose = "## Quality gates\n\nRun `cargo test`; then\n   `cargo clippy`.\n";
        assert!(!may_hold_code(prose));
        assert!(parse(prose, 1).gates.is_empty());
    }
}
