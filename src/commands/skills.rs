//! `harness-agents skills list|show|validate`.

use std::path::PathBuf;

use super::Context;
use crate::agent::skill;
use crate::cli::SkillsCommand;
use crate::error::{Outcome, Result};
use crate::report::{self, Format};

pub fn run(ctx: &Context, cmd: SkillsCommand) -> Result<Outcome> {
    let project = ctx.project()?;
    match cmd {
        SkillsCommand::List => {
            let list = skill::list(&project);
            report::emit(ctx.format, &list)?;
            if list.errors > 0 {
                report::note(&format!(
                    "skills have {} error(s); run `harness-agents skills validate`",
                    list.errors
                ))?;
            }
            Ok(Outcome::Success)
        }
        SkillsCommand::Show { name } => {
            report::emit(ctx.format, &skill::show(&project, &name)?)?;
            Ok(Outcome::Success)
        }
        SkillsCommand::Validate { paths } => {
            let paths: Vec<PathBuf> = paths.iter().map(|p| ctx.cwd.join(p)).collect();
            let validation = skill::validate(&project, &paths)?;
            report::diagnostics(&validation.diagnostics, ctx.format)?;
            if ctx.format == Format::Text {
                report::text(&validation.summary())?;
            }
            Ok(Outcome::failed_if(validation.errors > 0))
        }
    }
}
