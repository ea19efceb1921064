use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = harness::cli::Cli::parse();
    match harness::run(cli) {
        Ok(outcome) => ExitCode::from(outcome.code()),
        Err(err) => {
            harness::report::error(&err);
            ExitCode::from(err.exit_code())
        }
    }
}
