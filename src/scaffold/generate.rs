//! The scaffold use case: from a realtime spec to files on disk, as one
//! call ([`generate`]) that returns what it did ([`Generated`]).
//!
//! A [`Source`] says what to generate from: an approved plan's realtime
//! block ([`Source::from_plan`]) or the default one-channel plan
//! ([`Source::new_service`]). A dry run writes nothing and reports the
//! diff; otherwise every file is written as [`render`] decides, and each
//! conflict is reported.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Serialize, Serializer};

use super::engine::Engine;
use super::model::{Model, TEMPLATE_VERSION};
use super::render::{self, Action};
use super::runtime::Runtime;
use super::web::Layout;
use super::workspace::{self, Join};
use crate::diagnostic::{Code, Diagnostic, Span, display_path};
use crate::error::{Error, Result};
use crate::plan::Plan;
use crate::realtime::{RealtimeSpec, Transport};

/// What to generate from.
pub struct Source<'a> {
    spec: &'a RealtimeSpec,
    /// The crate name when the spec has no `service`.
    default_name: String,
    /// Recorded in the manifest: which plan, at which hash.
    plan: serde_json::Value,
    /// Where the spec is, for errors.
    path: &'a Path,
    line: usize,
    /// Where the plan puts the browser client, and the directory its
    /// paths are relative to.
    layout: Layout,
    project: PathBuf,
}

impl<'a> Source<'a> {
    /// The realtime block of an approved `plan`, for a crate named after
    /// its title unless the block names the service; its Files to Change,
    /// relative to `project`, say where the browser client goes.
    pub fn from_plan(plan: &'a Plan, project: &Path) -> Result<Source<'a>> {
        let Some(spec) = plan.realtime() else {
            return Err(Error::from(
                Diagnostic::error(
                    Code::NoRealtimeBlock,
                    format!("plan {} has no realtime block", plan.padded_id()),
                )
                .at(Span::new(&plan.path, 1, 1))
                .hint("add a ```yaml realtime block (see `harness-agents plan new`), then have the plan approved again"),
            ));
        };
        Ok(Source {
            spec,
            default_name: crate::plan::plan::slug(&plan.title),
            plan: serde_json::json!({ "id": plan.padded_id(), "hash": plan.hash() }),
            path: &plan.path,
            line: plan.realtime_line.unwrap_or(1),
            layout: Layout::from_scope(plan.scope(), &plan.path)?,
            project: project.to_path_buf(),
        })
    }

    /// The default plan (`spec`, from [`super::default_spec`]) for a crate
    /// called `name`: what `harness-agents scaffold new` generates.
    pub fn new_service(spec: &'a RealtimeSpec, name: &str) -> Result<Source<'a>> {
        if !crate::realtime::is_crate_name(name) {
            return Err(Error::usage(format!(
                "`{name}` is not a crate name: use lowercase letters, digits and `-`, e.g. `chat-service`"
            )));
        }
        Ok(Source {
            spec,
            default_name: name.to_string(),
            plan: serde_json::json!({ "default": true }),
            path: Path::new("<default plan>"),
            line: 1,
            layout: Layout::default(),
            project: PathBuf::new(),
        })
    }
}

/// How to write.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Overwrite files edited since they were generated.
    pub force: bool,
    /// Decide every change, write nothing.
    pub dry_run: bool,
}

/// What a run did, or would do: every file's change. Serialises as the
/// list of changes (`path` and `action`).
#[derive(Debug)]
pub struct Generated {
    /// Every file's change, decided before anything was written.
    pub plan: render::Plan,
    pub dry_run: bool,
    /// Whether the files were written: not on a dry run.
    pub written: bool,
    /// The Cargo workspace the service joined (or would join).
    pub join: Option<Join>,
}

impl Serialize for Generated {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.plan.changes.serialize(s)
    }
}

impl Generated {
    /// One error per file whose edit and the template's change could not
    /// both be kept: written with conflict markers, or left alone.
    pub fn conflicts(&self) -> Vec<Diagnostic> {
        self.plan
            .conflicts()
            .map(|c| {
                let path = self.plan.out.join(&c.path);
                let marked = c.writes() && !self.dry_run;
                let at = match (marked, c.new_text()) {
                    (true, Some(text)) => text
                        .lines()
                        .position(|l| l.starts_with("<<<<<<< "))
                        .map_or(1, |i| i + 1),
                    _ => 1,
                };
                let (message, hint) = if c.writes() {
                    (
                        format!(
                            "`{}`: your edit and the template's change overlap; {}",
                            c.path,
                            if marked {
                                "the file holds both between conflict markers"
                            } else {
                                "a run would write both between conflict markers"
                            }
                        ),
                        "keep what you want between `<<<<<<< ours` and `>>>>>>> theirs`, \
                         delete the markers, and re-run; or take the template's version with --force",
                    )
                } else {
                    (
                        format!(
                            "`{}` was edited since it was generated; not overwriting it",
                            c.path
                        ),
                        "resolve any conflict markers and re-run; or see the change with \
                         --dry-run and regenerate it with --force",
                    )
                };
                Diagnostic::error(Code::ScaffoldConflict, message)
                    .at(Span::new(path, at, 1))
                    .hint(hint)
            })
            .collect()
    }

    /// The text report: the diff of a dry run, else one line per file
    /// written and the counts (merges and conflicts only when there are).
    pub fn text(&self) -> String {
        if self.dry_run {
            let mut diff = self.plan.diff();
            if let Some(join) = &self.join {
                diff.push_str(&join.diff());
            }
            return diff;
        }
        let mut text = String::new();
        let mut counts = [0usize; 6];
        for c in &self.plan.changes {
            let (word, slot) = match c.action {
                Action::Create => ("create", 0),
                Action::Update | Action::Overwrite => ("update", 1),
                Action::Remove => ("remove", 2),
                Action::Unchanged => ("", 3),
                Action::Merge => ("merge", 4),
                Action::Conflict if c.writes() => ("conflict", 5),
                Action::Conflict => ("", 5),
            };
            counts[slot] += 1;
            if !word.is_empty() {
                let _ = writeln!(text, "{word:<7} {}", c.path);
            }
        }
        let mut summary = format!(
            "{}: {} created, {} updated",
            display_path(&self.plan.out),
            counts[0],
            counts[1]
        );
        if counts[4] > 0 {
            let _ = write!(summary, ", {} merged", counts[4]);
        }
        let _ = write!(summary, ", {} removed, {} unchanged", counts[2], counts[3]);
        if counts[5] > 0 {
            let _ = write!(summary, ", {} in conflict", counts[5]);
        }
        let _ = writeln!(text, "{summary}");
        if let Some(join) = &self.join {
            let _ = writeln!(
                text,
                "{}: added `{}` to the workspace members",
                display_path(&join.manifest),
                join.member
            );
        }
        text
    }
}

/// Renders `src` with `engine` and brings `out` up to date: every file
/// created, updated or removed as [`render`] decides, unless a file
/// conflicts or `opts.dry_run`.
pub fn generate(engine: &Engine, src: Source<'_>, out: &Path, opts: Options) -> Result<Generated> {
    let plan = prepare(engine, src, out, opts.force)?;
    let join = workspace::join(out)?;
    let written = !opts.dry_run;
    if written {
        render::apply(&plan)?;
        if let Some(join) = &join {
            join.apply()?;
        }
    }
    Ok(Generated {
        plan,
        dry_run: opts.dry_run,
        written,
        join,
    })
}

/// Renders the source and works out every file change under `out`.
fn prepare(engine: &Engine, src: Source<'_>, out: &Path, force: bool) -> Result<render::Plan> {
    let Source {
        spec,
        default_name,
        plan,
        path: spec_path,
        line: spec_line,
        layout,
        project,
    } = src;
    if !spec.transport.to_vec().contains(&Transport::Websocket) {
        return Err(Error::from(
            Diagnostic::error(
                Code::ScaffoldTransport,
                "the generated service needs `websocket` in `transport`",
            )
            .at(Span::new(spec_path, spec_line, 1))
            .hint("use `transport: [websocket, sse]` for a service that also streams SSE"),
        ));
    }
    if spec.channels.iter().all(|c| c.events.is_empty()) {
        return Err(Error::from(
            Diagnostic::error(
                Code::ScaffoldNoEvents,
                "the realtime block declares no events, so there is nothing to generate",
            )
            .at(Span::new(spec_path, spec_line, 1))
            .hint("declare at least one channel with an event (`channels: [{name, events}]`)"),
        ));
    }
    let model = Model::new(spec, &default_name, Runtime::for_output(out));
    let web = super::web::WebModel::laid_out(spec, &model.service, &layout, out, &project);
    let mut files = engine.render(&super::web::Context {
        model: &model,
        web: &web,
    })?;
    super::web::name_files(&mut files, &web);
    files.extend(model.runtime.files());
    let inputs = serde_json::json!({ "plan": plan, "model": model });
    render::plan(out, &files, TEMPLATE_VERSION, inputs, force)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(out: &Path, opts: Options) -> Generated {
        let spec = super::super::default_spec().unwrap();
        let src = Source::new_service(&spec, "chat-service").unwrap();
        generate(&Engine::load(None).unwrap(), src, out, opts).unwrap()
    }

    #[test]
    fn generates_then_keeps_an_edit_the_template_does_not_touch() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("svc");

        let dry = run(
            &out,
            Options {
                dry_run: true,
                ..Options::default()
            },
        );
        assert!(!dry.written);
        assert!(!out.exists(), "a dry run writes nothing");
        assert!(dry.text().contains("+++ b/Cargo.toml\n"), "{}", dry.text());

        let first = run(&out, Options::default());
        assert!(first.written);
        assert!(first.conflicts().is_empty());
        let created = first.plan.changes.len();
        assert!(first.text().ends_with(&format!(
            "{}: {created} created, 0 updated, 0 removed, 0 unchanged\n",
            display_path(&out)
        )));
        let json = serde_json::to_value(&first).unwrap();
        assert_eq!(json[0]["action"], "create");

        // The template's output is the same: the edit is kept, no conflict.
        std::fs::write(out.join("README.md"), "mine\n").unwrap();
        let again = run(&out, Options::default());
        assert!(again.conflicts().is_empty());
        assert!(again.text().ends_with(&format!(
            "{}: 0 created, 0 updated, 0 removed, {created} unchanged\n",
            display_path(&out)
        )));
        assert_eq!(
            std::fs::read_to_string(out.join("README.md")).unwrap(),
            "mine\n"
        );
    }

    #[test]
    fn a_service_needs_a_crate_name() {
        let spec = super::super::default_spec().unwrap();
        let err = Source::new_service(&spec, "Chat Service").err().unwrap();
        assert!(err.to_string().contains("is not a crate name"), "{err}");
    }
}
