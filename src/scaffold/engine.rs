//! The templates and their rendering.
//!
//! The built-in templates live in `templates/scaffold/` and are compiled
//! into the binary, so `harness-agents scaffold` works anywhere. A project
//! overrides any of them by putting a file with the same relative name in
//! its own templates directory (`templates/scaffold/src/events.rs.tera`); the
//! override replaces the built-in wholesale. A template whose output is
//! empty produces no file (e.g. `tests/redis.rs` for a plan without Redis).

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::diagnostic::{Code, Diagnostic, Span};
use crate::error::{Error, Result};

/// Where the built-in templates sit, relative to a templates directory.
pub const SCAFFOLD_DIR: &str = "scaffold";

macro_rules! builtin {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../templates/scaffold/", $name, ".tera")))),*]
    };
}

/// Every built-in template: (output path, source).
pub const BUILTIN: &[(&str, &str)] = builtin![
    "Cargo.toml",
    "README.md",
    "src/avatars.rs",
    "src/channels.rs",
    "src/config.rs",
    "src/events.rs",
    "src/lib.rs",
    "src/main.rs",
    "src/rooms.rs",
    "tests/abuse.rs",
    "tests/avatars.rs",
    "tests/common/mod.rs",
    "tests/livekit.rs",
    "tests/python.rs",
    "tests/redis.rs",
    "tests/service.rs",
];

/// Where a template came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "path")]
pub enum Origin {
    Builtin,
    Project(PathBuf),
}

#[derive(Debug, Clone, Serialize)]
pub struct Template {
    /// The path of the file it generates, relative to the output directory.
    pub name: &'static str,
    pub origin: Origin,
    #[serde(skip)]
    pub source: Cow<'static, str>,
}

impl Template {
    /// The template's own file name: `src/events.rs.tera`.
    pub fn file_name(&self) -> String {
        format!("{}.tera", self.name)
    }
}

/// The templates in effect for a project.
#[derive(Debug)]
pub struct Engine {
    templates: Vec<Template>,
}

/// One rendered file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub path: String,
    pub contents: String,
}

impl Engine {
    /// The built-ins, each replaced by `templates_dir/scaffold/NAME.tera`
    /// when that file exists.
    pub fn load(templates_dir: Option<&Path>) -> Result<Engine> {
        let mut templates = Vec::with_capacity(BUILTIN.len() + super::web::BUILTIN.len());
        for (name, source) in BUILTIN.iter().chain(super::web::BUILTIN) {
            let mut t = Template {
                name,
                origin: Origin::Builtin,
                source: Cow::Borrowed(*source),
            };
            if let Some(dir) = templates_dir {
                let path = dir.join(SCAFFOLD_DIR).join(t.file_name());
                if path.is_file() {
                    let text = crate::fsutil::read_text(&path)?;
                    // A copy identical to the built-in is not an override.
                    if text != *source {
                        t.source = Cow::Owned(text);
                        t.origin = Origin::Project(path);
                    }
                }
            }
            templates.push(t);
        }
        Ok(Engine { templates })
    }

    pub fn templates(&self) -> &[Template] {
        &self.templates
    }

    /// Renders every template with `model` as the context (a [`Model`](super::Model),
    /// or one that includes it); empty output means "no such file".
    pub fn render(&self, model: &impl Serialize) -> Result<Vec<Rendered>> {
        let mut tera = tera::Tera::default();
        // Generated code is not HTML: never escape.
        tera.autoescape_on(Vec::<&str>::new());
        for t in &self.templates {
            tera.add_raw_template(&t.file_name(), &t.source)
                .map_err(|e| template_error(t, &e))?;
        }
        let context = tera::Context::from_serialize(model).map_err(|e| {
            Error::from(Diagnostic::error(
                Code::TemplateContext,
                format!("cannot build the template context: {}", chain(&e)),
            ))
        })?;
        let mut out = Vec::new();
        for t in &self.templates {
            let text = tera
                .render(&t.file_name(), &context)
                .map_err(|e| template_error(t, &e))?;
            if !text.trim().is_empty() {
                out.push(Rendered {
                    path: t.name.to_string(),
                    contents: text,
                });
            }
        }
        Ok(out)
    }
}

/// Tera's `Display` shows only the outermost error; the cause is below it.
fn chain(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    msg
}

fn template_error(t: &Template, e: &tera::Error) -> Error {
    let path = match &t.origin {
        Origin::Builtin => PathBuf::from(format!("<built-in>/{SCAFFOLD_DIR}/{}", t.file_name())),
        Origin::Project(p) => p.clone(),
    };
    Error::from(
        Diagnostic::error(
            Code::TemplateError,
            format!("template `{}`: {}", t.file_name(), chain(e)),
        )
        .at(Span::new(path, 1, 1))
        .hint("fix the template, or delete the project's copy to use the built-in one"),
    )
}
