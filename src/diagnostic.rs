//! One type for every problem harness reports about a user's input.
//!
//! A [`Diagnostic`] points at a place in a file ([`Span`]), says what is wrong
//! and, where it can, what to do about it. Domain modules return diagnostics;
//! only the reporter (`crate::report`) prints them, as text or JSON.
//!
//! The text is rendered here, once, in the shape of rustc's and just's
//! errors: the `path:line:col: severity: message` line that editors and CI
//! parse, then the source line with carets under the span when the span was
//! made from the text. `Display` renders it plain; the reporter passes a
//! [`Palette`] to colour the same text, so the two cannot drift.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use anstyle::Style;
use serde::Serialize;

/// A place in a user's file. Lines and columns count from 1, columns and
/// lengths in characters.
///
/// A span made from the file's text also carries the line it points into and
/// the length of what it covers, so it renders with the line and carets under
/// the span; one made from a line and column alone renders as the location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Span {
    pub path: PathBuf,
    pub line: usize,
    pub col: usize,
    /// Boxed to keep results that carry a [`Diagnostic`] small.
    #[serde(flatten)]
    source: Option<Box<SourceLine>>,
}

/// What a span made from the text knows beyond its location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct SourceLine {
    /// How many characters the span covers, at least 1.
    len: usize,
    /// The text of the span's line, without its line end.
    line_text: String,
}

impl Span {
    /// A location without its text, for callers that only know where.
    pub fn new(path: impl Into<PathBuf>, line: usize, col: usize) -> Self {
        Span {
            path: path.into(),
            line: line.max(1),
            col: col.max(1),
            source: None,
        }
    }

    /// The character at a byte offset of `text`, the contents of `path`.
    pub fn at_offset(path: impl Into<PathBuf>, text: &str, offset: usize) -> Self {
        Span::in_text(path, text, offset..offset)
    }

    /// The bytes `range` of `text`, the contents of `path`. A range that runs
    /// past its first line is cut at the line's end; an empty one covers one
    /// character.
    pub fn in_text(path: impl Into<PathBuf>, text: &str, range: Range<usize>) -> Self {
        let start = floor_char_boundary(text, range.start);
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let end = floor_char_boundary(text, range.end.clamp(start, line_end));
        let line = text[..start].matches('\n').count() + 1;
        Span::on_line(
            path,
            line,
            &text[line_start..line_end],
            start - line_start..end - line_start,
        )
    }

    /// `len` characters from 1-based `line` and `col` (in characters) of
    /// `text`, as parsers that count characters report them. The column is
    /// kept as given, even past the line's end.
    pub fn at_line_col(
        path: impl Into<PathBuf>,
        text: &str,
        line: usize,
        col: usize,
        len: usize,
    ) -> Self {
        let mut span = Span::new(path, line, col);
        if let Some(line_text) = text.lines().nth(span.line - 1) {
            span.source = Some(Box::new(SourceLine {
                len: len.max(1),
                line_text: line_text.trim_end_matches('\r').to_string(),
            }));
        }
        span
    }

    /// The bytes `range` of `line_text`, the text of file line `line`.
    pub fn on_line(
        path: impl Into<PathBuf>,
        line: usize,
        line_text: &str,
        range: Range<usize>,
    ) -> Self {
        let line_text = line_text.trim_end_matches(['\n', '\r']);
        let start = floor_char_boundary(line_text, range.start);
        let end = floor_char_boundary(line_text, range.end.clamp(start, line_text.len()));
        Span {
            col: line_text[..start].chars().count() + 1,
            source: Some(Box::new(SourceLine {
                len: line_text[start..end].chars().count().max(1),
                line_text: line_text.to_string(),
            })),
            ..Span::new(path, line, 1)
        }
    }

    /// A whole line, for a problem known only by its line: from the first
    /// non-blank character to the last.
    pub fn whole_line(path: impl Into<PathBuf>, line: usize, line_text: &str) -> Self {
        let trimmed = line_text.trim_start();
        let start = line_text.len() - trimmed.len();
        Span::on_line(
            path,
            line,
            line_text,
            start..start + trimmed.trim_end().len(),
        )
    }

    /// How many characters the span covers, when it was made from the text.
    pub fn length(&self) -> Option<usize> {
        self.source.as_ref().map(|s| s.len)
    }

    /// The text of the span's line, when it was made from the text.
    pub fn line_text(&self) -> Option<&str> {
        self.source.as_ref().map(|s| s.line_text.as_str())
    }

    /// The same place in the whole file, for a span found in a part of it
    /// whose first line is file line `first_line`.
    pub fn in_file_from(mut self, first_line: usize) -> Self {
        self.line += first_line.saturating_sub(1);
        self
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", display_path(&self.path), self.line, self.col)
    }
}

/// Where a rule or a fact came from: a file and a line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Provenance {
    pub path: PathBuf,
    pub line: usize,
}

impl Provenance {
    pub fn new(path: impl Into<PathBuf>, line: usize) -> Self {
        Provenance {
            path: path.into(),
            line,
        }
    }
}

impl fmt::Display for Provenance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", display_path(&self.path), self.line)
    }
}

/// Paths are shown with forward slashes and without a leading `./`.
pub fn display_path(path: &Path) -> String {
    let s = path.to_string_lossy().replace('\\', "/");
    match s.strip_prefix("./") {
        Some(rest) => rest.to_string(),
        None => s,
    }
}

/// The nearest char boundary at or before `offset`, within `text`.
fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// What kind of problem a diagnostic reports: a stable identifier, shown in
/// JSON as its kebab-case name (`unknown-tool`) and compared as a value, so
/// a misspelt code is a compile error rather than a silently missed match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Code {
    AgentApprover,
    AgentContext,
    AlreadyApproved,
    AlreadyRejected,
    ApprovalsWithoutSigners,
    ApprovedTextMissing,
    BadApprovalsPath,
    BadGlob,
    BadSignature,
    BadSignersLine,
    BrokenChain,
    C,
    ChangedSinceApproval,
    DuplicateChannel,
    DuplicateEvent,
    DuplicateMarker,
    DuplicateName,
    DuplicatePlan,
    DuplicateRealtime,
    DuplicateRoom,
    EmptyScope,
    FrontMatterNotAMapping,
    Git,
    GitDiff,
    HookExists,
    IdMismatch,
    InvalidAvatar,
    InvalidChannel,
    InvalidConfig,
    InvalidEvent,
    InvalidEvidence,
    InvalidHarnessBlock,
    InvalidManifest,
    InvalidModel,
    InvalidName,
    InvalidPermissionMode,
    IgnoredByGit,
    InvalidPlan,
    InvalidPlanId,
    InvalidRealtime,
    InvalidRoom,
    InvalidSchema,
    InvalidScope,
    InvalidService,
    InvalidSettings,
    InvalidTask,
    InvalidTaskId,
    InvalidTemplate,
    InvalidYaml,
    KeyInProject,
    LegacyTool,
    LockHeld,
    MissingDescription,
    MissingMarker,
    MissingName,
    MissingSection,
    NeverApproved,
    NoFrontMatter,
    NoRealtimeBlock,
    NoSigningKey,
    NoSuchPath,
    NotARepository,
    PathApproverMissing,
    Placeholders,
    PlanChanged,
    PlanNotApproved,
    LedgerNotWritten,
    PlanRejected,
    PlanUnverified,
    QuorumNotMet,
    RolledBack,
    ScaffoldConflict,
    ScaffoldFrontEnd,
    ScaffoldNoEvents,
    SandboxUnavailable,
    ScaffoldTransport,
    ScopeUnchecked,
    SignerNotAllowed,
    SignersUnreadable,
    SigningFailed,
    StatusNotRecorded,
    TaskNotStarted,
    TaskOwner,
    TaskRebaseAgent,
    TaskRebaseHead,
    TaskStatus,
    TaskWaiting,
    TemplateContext,
    TemplateError,
    ToolAllowedAndDisallowed,
    UnclosedFrontMatter,
    UnknownAgent,
    UnknownColor,
    UnknownField,
    UnknownGate,
    UnknownPlan,
    UnknownRevision,
    UnknownTask,
    UnknownTool,
    UnquotedColon,
    Unreadable,
    UnresolvedSkill,
    SkillField,
    GateStack,
    UnsignedApproval,
    WouldOverwrite,
    WrongType,
}

impl Code {
    /// The code as JSON and GitHub annotations write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::AgentApprover => "agent-approver",
            Code::AgentContext => "agent-context",
            Code::AlreadyApproved => "already-approved",
            Code::AlreadyRejected => "already-rejected",
            Code::ApprovalsWithoutSigners => "approvals-without-signers",
            Code::ApprovedTextMissing => "approved-text-missing",
            Code::BadApprovalsPath => "bad-approvals-path",
            Code::BadGlob => "bad-glob",
            Code::BadSignature => "bad-signature",
            Code::BadSignersLine => "bad-signers-line",
            Code::BrokenChain => "broken-chain",
            Code::C => "c",
            Code::ChangedSinceApproval => "changed-since-approval",
            Code::DuplicateChannel => "duplicate-channel",
            Code::DuplicateEvent => "duplicate-event",
            Code::DuplicateMarker => "duplicate-marker",
            Code::DuplicateName => "duplicate-name",
            Code::DuplicatePlan => "duplicate-plan",
            Code::DuplicateRealtime => "duplicate-realtime",
            Code::DuplicateRoom => "duplicate-room",
            Code::EmptyScope => "empty-scope",
            Code::FrontMatterNotAMapping => "front-matter-not-a-mapping",
            Code::Git => "git",
            Code::GitDiff => "git-diff",
            Code::HookExists => "hook-exists",
            Code::IdMismatch => "id-mismatch",
            Code::InvalidAvatar => "invalid-avatar",
            Code::InvalidChannel => "invalid-channel",
            Code::InvalidConfig => "invalid-config",
            Code::InvalidEvent => "invalid-event",
            Code::InvalidEvidence => "invalid-evidence",
            Code::InvalidHarnessBlock => "invalid-harness-block",
            Code::InvalidManifest => "invalid-manifest",
            Code::InvalidModel => "invalid-model",
            Code::InvalidName => "invalid-name",
            Code::InvalidPermissionMode => "invalid-permission-mode",
            Code::IgnoredByGit => "ignored-by-git",
            Code::InvalidPlan => "invalid-plan",
            Code::InvalidPlanId => "invalid-plan-id",
            Code::InvalidRealtime => "invalid-realtime",
            Code::InvalidRoom => "invalid-room",
            Code::InvalidSchema => "invalid-schema",
            Code::InvalidScope => "invalid-scope",
            Code::InvalidService => "invalid-service",
            Code::InvalidSettings => "invalid-settings",
            Code::InvalidTask => "invalid-task",
            Code::InvalidTaskId => "invalid-task-id",
            Code::InvalidTemplate => "invalid-template",
            Code::InvalidYaml => "invalid-yaml",
            Code::KeyInProject => "key-in-project",
            Code::LegacyTool => "legacy-tool",
            Code::LockHeld => "lock-held",
            Code::MissingDescription => "missing-description",
            Code::MissingMarker => "missing-marker",
            Code::MissingName => "missing-name",
            Code::MissingSection => "missing-section",
            Code::NeverApproved => "never-approved",
            Code::NoFrontMatter => "no-front-matter",
            Code::NoRealtimeBlock => "no-realtime-block",
            Code::NoSigningKey => "no-signing-key",
            Code::NoSuchPath => "no-such-path",
            Code::NotARepository => "not-a-repository",
            Code::PathApproverMissing => "path-approver-missing",
            Code::Placeholders => "placeholders",
            Code::PlanChanged => "plan-changed",
            Code::PlanNotApproved => "plan-not-approved",
            Code::PlanRejected => "plan-rejected",
            Code::PlanUnverified => "plan-unverified",
            Code::QuorumNotMet => "quorum-not-met",
            Code::RolledBack => "rolled-back",
            Code::LedgerNotWritten => "ledger-not-written",
            Code::ScaffoldConflict => "scaffold-conflict",
            Code::ScaffoldFrontEnd => "scaffold-front-end",
            Code::ScaffoldNoEvents => "scaffold-no-events",
            Code::ScaffoldTransport => "scaffold-transport",
            Code::ScopeUnchecked => "scope-unchecked",
            Code::SandboxUnavailable => "sandbox-unavailable",
            Code::SignerNotAllowed => "signer-not-allowed",
            Code::SignersUnreadable => "signers-unreadable",
            Code::SigningFailed => "signing-failed",
            Code::StatusNotRecorded => "status-not-recorded",
            Code::TaskNotStarted => "task-not-started",
            Code::TaskOwner => "task-owner",
            Code::TaskRebaseAgent => "task-rebase-agent",
            Code::TaskRebaseHead => "task-rebase-head",
            Code::TaskStatus => "task-status",
            Code::TaskWaiting => "task-waiting",
            Code::TemplateContext => "template-context",
            Code::TemplateError => "template-error",
            Code::ToolAllowedAndDisallowed => "tool-allowed-and-disallowed",
            Code::UnclosedFrontMatter => "unclosed-front-matter",
            Code::UnknownAgent => "unknown-agent",
            Code::UnknownColor => "unknown-color",
            Code::UnknownField => "unknown-field",
            Code::UnknownGate => "unknown-gate",
            Code::UnknownPlan => "unknown-plan",
            Code::UnknownRevision => "unknown-revision",
            Code::UnknownTask => "unknown-task",
            Code::UnknownTool => "unknown-tool",
            Code::UnquotedColon => "unquoted-colon",
            Code::Unreadable => "unreadable",
            Code::UnresolvedSkill => "unresolved-skill",
            Code::SkillField => "skill-field",
            Code::GateStack => "gate-stack",
            Code::UnsignedApproval => "unsigned-approval",
            Code::WouldOverwrite => "would-overwrite",
            Code::WrongType => "wrong-type",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A problem in a user's input, located where possible.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// A short stable identifier, e.g. `unknown-tool`.
    pub code: Code,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub span: Option<Span>,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn error(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            span: None,
            message: message.into(),
            hint: None,
        }
    }

    pub fn warning(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    pub fn at(mut self, span: Span) -> Self {
        self.span = Some(span);
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    /// [`Diagnostic::render`] without colour.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(&Palette::default()))
    }
}

/// The styles of each part of a rendered diagnostic. The default is plain
/// text; the reporter passes colours where the terminal wants them, so text
/// and colour come from one renderer.
#[derive(Debug, Clone, Copy, Default)]
pub struct Palette {
    pub location: Style,
    pub error: Style,
    pub warning: Style,
    pub gutter: Style,
    pub hint: Style,
}

impl Palette {
    fn severity(&self, severity: Severity) -> Style {
        match severity {
            Severity::Error => self.error,
            Severity::Warning => self.warning,
        }
    }
}

impl Diagnostic {
    /// The diagnostic as text, without a final line end:
    /// `path:line:col: severity: message` (the line editors and CI parse),
    /// then, when the span knows its line, that line under a numbered gutter
    /// with carets under the span, then `= hint: ...`.
    pub fn render(&self, palette: &Palette) -> String {
        let Palette {
            location,
            gutter,
            hint,
            ..
        } = *palette;
        let severity = palette.severity(self.severity);
        let mut out = String::new();
        if let Some(span) = &self.span {
            out.push_str(&format!("{location}{span}{location:#}: "));
        }
        out.push_str(&format!(
            "{severity}{}{severity:#}: {}",
            self.severity, self.message
        ));
        // The gutter is as wide as the line number; without an excerpt the
        // hint keeps its two-space indent.
        let mut indent = " ".to_string();
        if let Some(span) = &self.span
            && let Some(source) = &span.source
        {
            let number = span.line.to_string();
            indent = " ".repeat(number.len());
            let excerpt = Excerpt::new(&source.line_text, span.col, source.len);
            out.push_str(&format!("\n{gutter}{indent} |{gutter:#}"));
            out.push_str(&format!("\n{gutter}{number} |{gutter:#} {}", excerpt.shown));
            out.push_str(&format!(
                "\n{gutter}{indent} |{gutter:#} {}{severity}{}{severity:#}",
                " ".repeat(excerpt.pad),
                "^".repeat(excerpt.carets)
            ));
        }
        if let Some(text) = &self.hint {
            out.push_str(&format!("\n{indent} {hint}= hint{hint:#}: {text}"));
        }
        out
    }
}

/// Columns a tab advances to the next multiple of, in the shown line.
const TAB_WIDTH: usize = 4;
/// Longest line shown whole; a longer one is cut around the span.
const MAX_SHOWN: usize = 100;
/// Columns kept before the span when a long line is cut.
const CONTEXT: usize = 30;
const ELLIPSIS: &str = "...";

/// A source line as shown under the gutter: tabs expanded to spaces (so the
/// carets line up whatever the terminal's tab stops), long lines cut around
/// the span, and where the carets go. Each character counts one column.
#[derive(Debug, PartialEq, Eq)]
struct Excerpt {
    shown: String,
    /// Columns before the first caret.
    pad: usize,
    carets: usize,
}

impl Excerpt {
    fn new(line: &str, col: usize, len: usize) -> Self {
        // The column each character starts at, once tabs are expanded.
        let mut expanded = String::with_capacity(line.len());
        let mut starts = Vec::with_capacity(line.len());
        let mut width = 0;
        for c in line.chars() {
            starts.push(width);
            if c == '\t' {
                let n = TAB_WIDTH - width % TAB_WIDTH;
                expanded.extend(std::iter::repeat_n(' ', n));
                width += n;
            } else {
                expanded.push(c);
                width += 1;
            }
        }
        // Past the line's end, each character counts one column, so a span
        // at the end of a line points just after it.
        let column = |i: usize| {
            starts
                .get(i)
                .copied()
                .unwrap_or(width + i.saturating_sub(starts.len()))
        };
        let first = col.saturating_sub(1);
        let start = column(first);
        let mut carets = column(first + len.max(1)).saturating_sub(start).max(1);
        if width <= MAX_SHOWN {
            return Excerpt {
                shown: expanded,
                pad: start,
                carets,
            };
        }
        let from = start.saturating_sub(CONTEXT).min(width - MAX_SHOWN);
        let to = from + MAX_SHOWN;
        let mut shown = String::new();
        let mut pad = start - from;
        if from > 0 {
            shown.push_str(ELLIPSIS);
            pad += ELLIPSIS.len();
        }
        shown.extend(expanded.chars().skip(from).take(MAX_SHOWN));
        if to < width {
            shown.push_str(ELLIPSIS);
            if start < to {
                carets = carets.min(to - start);
            }
        }
        Excerpt { shown, pad, carets }
    }
}

/// "Did you mean" for a misspelt name, when one candidate is close enough.
pub fn suggest<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = input.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&lower, &c.to_lowercase()), c))
        .filter(|(score, _)| *score > 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn span_case(text: &str, range: Range<usize>, expected: (usize, usize, usize, &str)) {
        let s = Span::in_text("f", text, range);
        let (line, col, len, line_text) = expected;
        assert_eq!(
            (s.line, s.col, s.length(), s.line_text()),
            (line, col, Some(len), Some(line_text))
        );
    }

    #[test]
    fn spans_count_lines_columns_and_lengths_in_characters() {
        let text = "ab\ncé d\r\nlast";
        span_case(text, 0..2, (1, 1, 2, "ab"));
        span_case(text, 3..4, (2, 1, 1, "cé d"));
        // `é` is two bytes; the space after it is the third character.
        span_case(text, 6..8, (2, 3, 2, "cé d"));
        // Inside `é`: moved back to its start.
        span_case(text, 5..6, (2, 2, 1, "cé d"));
        // A range past its line is cut at the line's end.
        span_case(text, 7..100, (2, 4, 1, "cé d"));
        // An empty range, and one at the end of the text, cover one character.
        span_case(text, 10..10, (3, 1, 1, "last"));
        span_case(text, 999..999, (3, 5, 1, "last"));
        let at = Span::at_offset("f", text, 3);
        assert_eq!((at.line, at.col, at.length()), (2, 1, Some(1)));
    }

    #[test]
    fn line_and_column_from_a_parser() {
        let s = Span::at_line_col("f", "a: 1\nbé: [x\n", 2, 3, 0);
        assert_eq!(
            (s.line, s.col, s.length(), s.line_text()),
            (2, 3, Some(1), Some("bé: [x"))
        );
        // A line the text does not hold: the location alone.
        let s = Span::at_line_col("f", "a: 1\n", 2, 1, 1);
        assert_eq!((s.line, s.col, s.length()), (2, 1, None));
    }

    #[test]
    fn whole_line_and_file_offset() {
        let s = Span::whole_line("f", 4, "  - Bash  ").in_file_from(10);
        assert_eq!((s.line, s.col, s.length()), (13, 3, Some(6)));
        let s = Span::whole_line("f", 1, "");
        assert_eq!((s.col, s.length()), (1, Some(1)));
    }

    #[test]
    fn json_has_the_new_fields_only_when_known() {
        let plain = serde_json::to_string(&Span::new("a.md", 2, 3)).unwrap();
        assert_eq!(plain, r#"{"path":"a.md","line":2,"col":3}"#);
        let known = serde_json::to_string(&Span::on_line("a.md", 2, "x: y", 3..4)).unwrap();
        assert_eq!(
            known,
            r#"{"path":"a.md","line":2,"col":4,"len":1,"line_text":"x: y"}"#
        );
    }

    #[track_caller]
    fn render_case(line: usize, line_text: &str, range: Range<usize>, expected: &str) {
        let d = Diagnostic::error(Code::C, "m")
            .at(Span::on_line("a.md", line, line_text, range))
            .hint("h");
        let expected = expected.strip_prefix('\n').unwrap();
        assert_eq!(d.to_string(), expected);
    }

    #[test]
    fn renders_the_line_and_carets_under_the_span() {
        render_case(
            4,
            "permissionMode: plans",
            16..21,
            "
a.md:4:17: error: m
  |
4 | permissionMode: plans
  |                 ^^^^^
  = hint: h",
        );
        // Tabs are expanded so the carets stay under the span.
        render_case(
            12,
            "\tx:\tbad",
            4..7,
            "
a.md:12:5: error: m
   |
12 |     x:  bad
   |         ^^^
   = hint: h",
        );
        // Columns count characters, not bytes.
        render_case(
            1,
            "é: ünknown",
            4..12,
            "
a.md:1:4: error: m
  |
1 | é: ünknown
  |    ^^^^^^^
  = hint: h",
        );
        // At the end of the line: one caret just after it.
        render_case(
            2,
            "tools: [Read",
            12..12,
            "
a.md:2:13: error: m
  |
2 | tools: [Read
  |             ^
  = hint: h",
        );
    }

    #[test]
    fn a_long_line_is_cut_around_the_span() {
        let line = format!("{}needle{}", "a".repeat(150), "b".repeat(150));
        let d = Diagnostic::error(Code::C, "m").at(Span::on_line("a.md", 1, &line, 150..156));
        let shown = format!("...{}needle{}...", "a".repeat(30), "b".repeat(64));
        let carets = format!("{}^^^^^^", " ".repeat(33));
        assert_eq!(
            d.to_string(),
            format!("a.md:1:151: error: m\n  |\n1 | {shown}\n  | {carets}")
        );
        // A span running past the cut gets carets up to it only.
        let e = Excerpt::new(&"x".repeat(300), 90, 100);
        assert_eq!((e.pad, e.carets), (33, 70));
        // A span near the end shows the end of the line.
        let e = Excerpt::new(&"x".repeat(300), 300, 1);
        assert_eq!((e.shown.len(), e.pad, e.carets), (103, 102, 1));
    }

    #[test]
    fn without_its_line_a_span_renders_as_the_location() {
        let d = Diagnostic::warning(Code::C, "m").at(Span::new("a.md", 3, 5));
        assert_eq!(d.to_string(), "a.md:3:5: warning: m");
        assert_eq!(
            Diagnostic::error(Code::C, "m").hint("h").to_string(),
            "error: m\n  = hint: h"
        );
    }

    #[test]
    fn renders_location_severity_and_hint() {
        let d = Diagnostic::error(Code::MissingName, "`name` is missing")
            .at(Span::new("./agents/a.md", 2, 1))
            .hint("add `name: my-agent`");
        assert_eq!(
            d.to_string(),
            "agents/a.md:2:1: error: `name` is missing\n  = hint: add `name: my-agent`"
        );
    }

    #[test]
    fn suggests_close_names_only() {
        let tools = ["Read", "Write", "WebFetch"];
        assert_eq!(suggest("Wirte", tools), Some("Write"));
        assert_eq!(suggest("read", tools), Some("Read"));
        assert_eq!(suggest("Deploy", tools), None);
    }
}
