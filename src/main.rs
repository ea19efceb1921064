use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let result = match harness::run_hook_fast() {
        Some(result) => result,
        None => harness::run(harness::cli::Cli::parse()),
    };
    match result {
        Ok(outcome) => ExitCode::from(outcome.code()),
        Err(err) => {
            harness::report::error(&err);
            ExitCode::from(err.exit_code())
        }
    }
}
