//! `harness ci`: every check a pull request must pass, in one report.

use std::io::Write as _;

use super::Context;
use crate::agent::Catalog;
use crate::ci;
use crate::cli::CiArgs;
use crate::error::{Error, Outcome, Result};
use crate::gate::{Progress, github};
use crate::report::{self, Format};

pub fn run(ctx: &Context, args: &CiArgs) -> Result<Outcome> {
    let project = ctx.project()?;
    let catalog = Catalog::load(&project);
    let progress = match ctx.format {
        Format::Text => Progress::auto(),
        Format::Json => Progress::Silent,
    };
    let gates = (!args.no_gates).then_some(progress);
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
        if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY") {
            let path = std::path::PathBuf::from(path);
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(|e| Error::io("open", &path, e))?;
            f.write_all(md.as_bytes())
                .map_err(|e| Error::io("append to", &path, e))?;
        }
    }
    Ok(Outcome::failed_if(!report.ok))
}
