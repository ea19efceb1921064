//! Writing a new plan from a template: the agent's own (the fenced plan in
//! its definition), else the project's `templates/plan.md.tera`, else the
//! built-in one. Templates are Tera; a render error is located in the file
//! the template came from.

use std::path::PathBuf;

use serde::Serialize;

use super::record::Status;
use super::store::Store;
use super::write::render_front;
use crate::diagnostic::{Code, Diagnostic, Span, display_path};
use crate::error::{Error, Result};
use crate::report::Report;

/// The built-in plan template.
const DEFAULT_TEMPLATE: &str = include_str!("../../templates/plan.md.tera");
const TEMPLATE_FILE: &str = "plan.md.tera";

/// A template and where it came from, for locating render errors.
#[derive(Debug, Clone)]
pub struct Template {
    pub text: String,
    /// The file, relative to the project root.
    pub path: PathBuf,
    /// The line of the file the template starts on.
    pub line: usize,
}

/// A plan `plan new` wrote.
#[derive(Debug, Clone, Serialize)]
pub struct Created {
    pub id: u32,
    /// The plan file, relative to the project root.
    pub path: String,
    pub agent: String,
    /// Where the template came from.
    pub template: String,
}

impl Report for Created {
    fn text(&self) -> String {
        format!("{}\n", self.path)
    }
}

impl Store {
    /// Writes plan `title` by `agent` as a draft with the next id, created
    /// `at`. `agent_template` gives the agent's own template, if it has one
    /// (an error when there is no such agent).
    pub fn new_plan(
        &self,
        title: &str,
        agent: &str,
        at: jiff::Timestamp,
        agent_template: impl FnOnce(&str) -> Result<Option<Template>>,
    ) -> Result<Created> {
        if title.trim().is_empty() {
            return Err(Error::usage(
                "the plan needs a title, e.g. `harness-agents plan new \"Presence channel\" --agent NAME`",
            ));
        }
        let template = match agent_template(agent)? {
            Some(t) => t,
            None => self.project_template()?,
        };
        let (id, path) = self.create(title, |id| {
            let created = at.to_string();
            let body = render_body(&template, title, id, agent, &created)?;
            let front = render_front(id, title, agent, Status::Draft, Some(&created), &[]);
            Ok(front + &body)
        })?;
        Ok(Created {
            id,
            path: display_path(self.project().relative(&path)),
            agent: agent.to_string(),
            template: display_path(&template.path),
        })
    }

    /// The project's plan template, or the built-in one.
    fn project_template(&self) -> Result<Template> {
        let project = self.project();
        let custom = project.templates_dir().join(TEMPLATE_FILE);
        if custom.is_file() {
            return Ok(Template {
                text: crate::fsutil::read_text(&custom)?,
                path: project.relative(&custom).to_path_buf(),
                line: 1,
            });
        }
        Ok(Template {
            text: DEFAULT_TEMPLATE.to_string(),
            path: format!("templates/{TEMPLATE_FILE} (built in)").into(),
            line: 1,
        })
    }
}

/// Tera's `Display` hides the cause; the whole chain says what is wrong.
fn tera_message(e: &tera::Error) -> String {
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !msg.contains(&text) {
            msg.push_str(": ");
            msg.push_str(&text);
        }
        source = cause.source();
    }
    msg.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn render_body(t: &Template, title: &str, id: u32, agent: &str, date: &str) -> Result<String> {
    let mut context = tera::Context::new();
    context.insert("title", title);
    context.insert("id", &format!("{id:04}"));
    context.insert("agent", agent);
    context.insert("date", &date[..date.len().min(10)]);
    let rendered = tera::Tera::one_off(&t.text, &context, false).map_err(|e| {
        Error::from(
            Diagnostic::error(Code::InvalidTemplate, format!("the plan template does not render: {}", tera_message(&e)))
                .at(Span::new(&t.path, t.line, 1))
                .hint("Tera reads `{{ ... }}` and `{% ... %}`; write a literal brace pair as `{{ \"{{\" }}`"),
        )
    })?;
    // Agents' templates name the feature `{Feature}` in their heading.
    let mut out = String::with_capacity(rendered.len());
    let mut done = false;
    for line in rendered.split_inclusive('\n') {
        if !done && line.trim_start().starts_with('#') {
            out.push_str(&line.replace("{Feature}", title));
            done = true;
        } else {
            out.push_str(line);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::decide::tests::{AT, project};
    use super::*;

    #[test]
    fn a_new_plan_takes_the_next_id_and_the_built_in_template() {
        let (_dir, store) = project();
        let created = store
            .new_plan("Presence!", "planner", AT, |_| Ok(None))
            .unwrap();
        assert_eq!(
            (created.id, created.path.as_str()),
            (2, "plans/0002-presence.md")
        );
        assert_eq!(created.template, "templates/plan.md.tera (built in)");
        let p = store.get("2").unwrap();
        assert_eq!(
            (p.title.as_str(), p.agent.as_str()),
            ("Presence!", "planner")
        );
        assert_eq!(created.text(), "plans/0002-presence.md\n");
    }

    #[test]
    fn an_agents_template_is_used_and_located_when_it_does_not_render() {
        let (_dir, store) = project();
        let own = |text: &str| Template {
            text: text.to_string(),
            path: "agents/planner.md".into(),
            line: 12,
        };
        let created = store
            .new_plan("Chat", "planner", AT, |_| Ok(Some(own("# {Feature}\n"))))
            .unwrap();
        let text = std::fs::read_to_string(store.project().root.join(&created.path)).unwrap();
        assert!(text.ends_with("---\n# Chat\n"), "{text}");
        let err = store.new_plan("Chat", "planner", AT, |_| Ok(Some(own("{{ nope"))));
        match err {
            Err(Error::Input(ds)) => {
                assert_eq!(ds[0].code, Code::InvalidTemplate);
                assert_eq!(ds[0].span.as_ref().unwrap().line, 12);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            store.new_plan(" ", "planner", AT, |_| Ok(None)),
            Err(Error::Usage { .. })
        ));
    }
}
