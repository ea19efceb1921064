//! `harness-agents ci`: every check a pull request must pass, in one report.

use super::Context;
use super::gate_view::GateProgress;
use crate::agent::Catalog;
use crate::ci;
use crate::cli::CiArgs;
use crate::error::{Outcome, Result};
use crate::gate::{Progress, github};
use crate::report::{self, Format};

pub fn run(ctx: &Context, args: &CiArgs) -> Result<Outcome> {
    let project = ctx.project()?;
    let catalog = Catalog::load(&project);
    let progress = match ctx.format {
        Format::Text => GateProgress::auto(),
        Format::Json => GateProgress::silent(),
    };
    let gates = (!args.no_gates).then_some(&progress as &dyn Progress);
    let report = ci::check(&project, &catalog, &args.range.spec(), gates)?;
    report::emit(ctx.format, &report)?;
    if github::active() {
        let mut notes = report.annotations();
        let mut md = report.markdown();
        if let Some(r) = &report.gates {
            notes.push_str(&github::annotations(r));
            md.push_str(&github::summary(r));
            md.push('\n');
        }
        report::text(&notes)?;
        // The summary file gets the text as written, one line end at its end.
        github::append_summary(md.strip_suffix('\n').unwrap_or(&md))?;
    }
    Ok(Outcome::failed_if(!report.ok))
}
