//! The integration tests: one binary, one module per area. Set-up they all
//! share (running the binary, temporary repositories) is in `common`.

mod common;

mod baseline;
mod ci;
mod cli;
mod commits;
mod corpus;
mod gate;
mod guard_bash;
mod guard_cli;
mod guard_table;
mod guard_tools;
mod init_ci;
mod install_tools;
mod plans;
mod run;
#[cfg(target_os = "linux")]
mod sandbox;
mod scaffold;
mod signing;
mod skills;
