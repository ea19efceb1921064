//! The one reading of Markdown that every body harness parses shares (agent
//! definitions, plans): a body becomes a flat list of located [`Element`]s,
//! headings, paragraphs, list items, code blocks and tables, each with the
//! file line it starts on.
//!
//! Callers give meaning to the elements (which section is a constraint,
//! which list is a plan's Files to Change); this module only says what is
//! where. Elements come in the order they end, so a list item follows the
//! items and blocks nested in it, and a caller sees everything inside an
//! element before the element itself.
//!
//! The dialect is CommonMark with GitHub's task lists, tables and
//! strikethrough. Text is the inline text, code spans included and line
//! breaks read as spaces: a list item's text is its own, not that of the
//! items, code blocks, headings or tables nested in it.

use std::ops::Range;

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// A heading, ATX (`## Title`) or setext.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    pub level: u8,
    /// Trimmed.
    pub title: String,
    pub line: usize,
    /// Byte range of the heading in the body.
    pub range: Range<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paragraph {
    /// Trimmed.
    pub text: String,
    pub line: usize,
    /// How many list items it sits in.
    pub depth: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListItem {
    /// Untrimmed: callers decide how to space it.
    pub text: String,
    /// The first inline code span, e.g. the path of `- \`src/x.rs\`: why`.
    pub code: Option<String>,
    /// `Some(checked)` for a `- [ ]` / `- [x]` item.
    pub task: Option<bool>,
    /// How many list items it sits in: 0 for a top-level item.
    pub depth: usize,
    pub line: usize,
    /// Byte offset of the item's marker in the body.
    pub offset: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeBlock {
    /// The info string of a fenced block (`yaml realtime`); `None` for an
    /// indented block.
    pub info: Option<String>,
    pub text: String,
    /// File line of the opening fence (of the first line when indented).
    pub line: usize,
    /// Byte range of the whole block, fences included.
    pub range: Range<usize>,
    /// The text so far of the list item the block sits in, which usually
    /// says what the block is for (`Run the gates:`); `None` outside lists.
    pub lead: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Cell texts, whitespace collapsed.
    pub cells: Vec<String>,
    pub line: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Row>,
    pub line: usize,
}

/// One located piece of a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Element {
    Heading(Heading),
    Paragraph(Paragraph),
    Item(ListItem),
    Code(CodeBlock),
    Table(Table),
}

/// File lines of byte offsets. Offsets are asked for in document order, so
/// the newlines are counted once, from the last offset asked to the next;
/// an earlier offset counts again from the start.
struct LineIndex<'a> {
    body: &'a [u8],
    first_line: usize,
    /// The last offset asked for and the newlines before it.
    offset: usize,
    newlines: usize,
}

impl<'a> LineIndex<'a> {
    fn new(text: &'a str, first_line: usize) -> Self {
        LineIndex {
            body: text.as_bytes(),
            first_line,
            offset: 0,
            newlines: 0,
        }
    }

    fn line(&mut self, offset: usize) -> usize {
        let offset = offset.min(self.body.len());
        if offset < self.offset {
            self.offset = 0;
            self.newlines = 0;
        }
        let between = &self.body[self.offset..offset];
        self.newlines += memchr::memchr_iter(b'\n', between).count();
        self.offset = offset;
        self.first_line + self.newlines
    }
}

/// A table while it is read: cells arrive one event at a time.
#[derive(Default)]
struct OpenTable {
    table: Table,
    row: Vec<String>,
    cell: String,
}

/// The destination of every link and image in `body`, with the byte
/// offset where the link starts, in document order.
pub fn links(body: &str) -> Vec<(String, usize)> {
    Parser::new_ext(body, OPTIONS)
        .into_offset_iter()
        .filter_map(|(event, range)| match event {
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => {
                Some((dest_url.into_string(), range.start))
            }
            _ => None,
        })
        .collect()
}

const OPTIONS: Options = Options::ENABLE_TASKLISTS
    .union(Options::ENABLE_TABLES)
    .union(Options::ENABLE_STRIKETHROUGH);

/// Reads `body` into its elements. `first_line` is the file line of the
/// body's first line, so every element's line is a file line.
pub fn walk(body: &str, first_line: usize) -> Vec<Element> {
    let mut out = Vec::new();
    walk_each(body, first_line, |e| out.push(e));
    out
}

/// [`walk`], handing each element to `visit` as it ends instead of
/// collecting them: a caller that reads the elements once keeps none.
pub fn walk_each(body: &str, first_line: usize, mut visit: impl FnMut(Element)) {
    let mut index = LineIndex::new(body, first_line);
    let mut heading: Option<Heading> = None;
    let mut paragraph: Option<Paragraph> = None;
    let mut items: Vec<ListItem> = Vec::new();
    let mut code: Option<CodeBlock> = None;
    let mut table: Option<OpenTable> = None;

    for (event, range) in Parser::new_ext(body, OPTIONS).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                heading = Some(Heading {
                    level: level_number(level),
                    title: String::new(),
                    line: index.line(range.start),
                    range,
                });
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some(mut h) = heading.take() {
                    trim_in_place(&mut h.title);
                    visit(Element::Heading(h));
                }
            }
            Event::Start(Tag::Paragraph) => {
                paragraph = Some(Paragraph {
                    text: String::new(),
                    line: index.line(range.start),
                    depth: items.len(),
                });
            }
            Event::End(TagEnd::Paragraph) => {
                if let Some(mut p) = paragraph.take() {
                    trim_in_place(&mut p.text);
                    visit(Element::Paragraph(p));
                }
            }
            Event::Start(Tag::Item) => items.push(ListItem {
                text: String::new(),
                code: None,
                task: None,
                depth: items.len(),
                line: index.line(range.start),
                offset: range.start,
            }),
            Event::TaskListMarker(checked) => {
                if let Some(item) = items.last_mut() {
                    item.task = Some(checked);
                }
            }
            Event::End(TagEnd::Item) => {
                if let Some(item) = items.pop() {
                    visit(Element::Item(item));
                }
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                code = Some(CodeBlock {
                    info: match kind {
                        CodeBlockKind::Fenced(info) => Some(info.to_string()),
                        CodeBlockKind::Indented => None,
                    },
                    text: String::new(),
                    line: index.line(range.start),
                    range,
                    lead: None,
                });
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some(mut c) = code.take() {
                    c.lead = items.last().map(|item| item.text.clone());
                    visit(Element::Code(c));
                }
            }
            Event::Start(Tag::Table(_)) => {
                table = Some(OpenTable {
                    table: Table {
                        line: index.line(range.start),
                        ..Table::default()
                    },
                    ..OpenTable::default()
                });
            }
            Event::End(TagEnd::TableHead) => {
                if let Some(t) = table.as_mut() {
                    t.table.header = std::mem::take(&mut t.row);
                }
            }
            Event::End(TagEnd::TableCell) => {
                if let Some(t) = table.as_mut() {
                    let cell = collapse(&std::mem::take(&mut t.cell));
                    t.row.push(cell);
                }
            }
            Event::End(TagEnd::TableRow) => {
                if let Some(t) = table.as_mut() {
                    let cells = std::mem::take(&mut t.row);
                    t.table.rows.push(Row {
                        cells,
                        line: index.line(range.start),
                    });
                }
            }
            Event::End(TagEnd::Table) => {
                if let Some(t) = table.take() {
                    visit(Element::Table(t.table));
                }
            }
            Event::Text(text) | Event::Code(text) if code.is_some() || heading.is_some() => {
                if let Some(c) = code.as_mut() {
                    c.text.push_str(&text);
                } else if let Some(h) = heading.as_mut() {
                    h.title.push_str(&text);
                }
            }
            Event::Text(text) | Event::Code(text) if table.is_some() => {
                if let Some(t) = table.as_mut() {
                    t.cell.push_str(&text);
                }
            }
            Event::Text(text) => inline(&mut items, &mut paragraph, &text),
            Event::Code(text) => {
                if let Some(item) = items.last_mut()
                    && item.code.is_none()
                {
                    item.code = Some(text.to_string());
                }
                inline(&mut items, &mut paragraph, &text);
            }
            Event::SoftBreak | Event::HardBreak => match heading.as_mut() {
                Some(h) => h.title.push(' '),
                None => inline(&mut items, &mut paragraph, " "),
            },
            _ => {}
        }
    }
}

/// `text.trim()`, without a new string.
fn trim_in_place(text: &mut String) {
    text.truncate(text.trim_end().len());
    let start = text.len() - text.trim_start().len();
    text.drain(..start);
}

/// Inline text outside headings, code blocks and tables belongs to the
/// innermost list item and the open paragraph alike.
fn inline(items: &mut [ListItem], paragraph: &mut Option<Paragraph>, text: &str) {
    if let Some(item) = items.last_mut() {
        item.text.push_str(text);
    }
    if let Some(p) = paragraph.as_mut() {
        p.text.push_str(text);
    }
}

fn level_number(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// Words separated by one space: `split_whitespace` joined, in one string.
pub(crate) fn collapse(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headings(elements: &[Element]) -> Vec<(u8, &str, usize)> {
        elements
            .iter()
            .filter_map(|e| match e {
                Element::Heading(h) => Some((h.level, h.title.as_str(), h.line)),
                _ => None,
            })
            .collect()
    }

    fn items(elements: &[Element]) -> Vec<&ListItem> {
        elements
            .iter()
            .filter_map(|e| match e {
                Element::Item(i) => Some(i),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn headings_carry_level_title_and_file_line() {
        let e = walk(
            "# Top\n\ntext\n\n## `code` title ##\n\nSetext\nheading\n---\n",
            10,
        );
        assert_eq!(
            headings(&e),
            [
                (1, "Top", 10),
                (2, "code title", 14),
                (2, "Setext heading", 16)
            ]
        );
        let Element::Heading(h) = &e[0] else {
            panic!("{e:?}")
        };
        assert_eq!(h.range, 0..6);
    }

    #[test]
    fn list_items_keep_their_own_text_code_span_and_task_state() {
        let body =
            "- [ ] Write `src/a.rs` and `src/b.rs`\n- [x] Done\n  - nested `x`\n- plain\n  soft\n";
        let e = walk(body, 1);
        let got: Vec<_> = items(&e)
            .iter()
            .map(|i| (i.text.as_str(), i.code.as_deref(), i.task, i.depth, i.line))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "Write src/a.rs and src/b.rs",
                    Some("src/a.rs"),
                    Some(false),
                    0,
                    1
                ),
                ("nested x", Some("x"), None, 1, 3),
                ("Done", None, Some(true), 0, 2),
                ("plain soft", None, None, 0, 4),
            ]
        );
        assert_eq!(items(&e)[2].offset, body.find("- [x]").unwrap());
    }

    #[test]
    fn code_blocks_keep_info_text_range_and_the_item_that_leads_in() {
        let body = "Intro:\n\n```yaml realtime\na: 1\n```\n\n1. Run the gates:\n   ```bash\n   cargo test\n   ```\n\n## End\n\n    indented\n";
        let e = walk(body, 5);
        let blocks: Vec<_> = e
            .iter()
            .filter_map(|e| match e {
                Element::Code(c) => Some(c),
                _ => None,
            })
            .collect();
        assert_eq!(blocks.len(), 3);
        assert_eq!(blocks[0].info.as_deref(), Some("yaml realtime"));
        assert_eq!(blocks[0].text, "a: 1\n");
        assert_eq!((blocks[0].line, blocks[0].lead.as_deref()), (7, None));
        assert_eq!(
            &body[blocks[0].range.clone()],
            "```yaml realtime\na: 1\n```"
        );
        assert_eq!(blocks[1].info.as_deref(), Some("bash"));
        assert_eq!(blocks[1].text, "cargo test\n");
        assert_eq!(blocks[1].lead.as_deref(), Some("Run the gates:"));
        assert_eq!(blocks[2].info, None);
        // The item's text does not take in the block nested in it.
        assert_eq!(items(&e)[0].text, "Run the gates:");
    }

    #[test]
    fn paragraphs_know_whether_they_sit_in_a_list() {
        let e = walk("**ALLOWED:**\n\n- item\n\n  more\n", 1);
        let got: Vec<_> = e
            .iter()
            .filter_map(|e| match e {
                Element::Paragraph(p) => Some((p.text.as_str(), p.line, p.depth)),
                _ => None,
            })
            .collect();
        assert_eq!(got, [("ALLOWED:", 1, 0), ("item", 3, 1), ("more", 5, 1)]);
    }

    #[test]
    fn tables_have_a_header_and_located_rows() {
        let e = walk(
            "| Name | Path |\n|---|---|\n| Hook | `src/a.ts` |\n| Two  words |  |\n",
            3,
        );
        let [Element::Table(t)] = e.as_slice() else {
            panic!("{e:?}")
        };
        assert_eq!(t.header, ["Name", "Path"]);
        assert_eq!(t.line, 3);
        let rows: Vec<_> = t.rows.iter().map(|r| (r.cells.clone(), r.line)).collect();
        assert_eq!(
            rows,
            [
                (vec!["Hook".to_string(), "src/a.ts".to_string()], 5),
                (vec!["Two words".to_string(), String::new()], 6)
            ]
        );
    }

    #[test]
    fn elements_come_in_the_order_they_end() {
        let e = walk("- outer\n  - inner\n", 1);
        let texts: Vec<_> = items(&e).iter().map(|i| i.text.as_str()).collect();
        assert_eq!(texts, ["inner", "outer"]);
    }
}
