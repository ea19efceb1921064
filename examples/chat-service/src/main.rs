//! Runs the service: configuration from the environment, logs to stderr
//! (`RUST_LOG`, default `info`), and a graceful stop on Ctrl-C or SIGTERM.
//!
//! `dev-token --sub USER --role ROLE [--minutes N]` prints a short-lived
//! token the server accepts instead, for trying it locally.
//!
//! LiveKit rooms are served under `/livekit` when `LIVEKIT_URL` is set.
//! Avatar sessions are served under `/avatars`; every open one is stopped
//! when the server stops.

use std::process::ExitCode;

use chat_service::channels::ChannelKind;
use chat_service::{Server, avatars, config, rooms};
use harness_realtime::auth::Verifier;
use harness_realtime::avatar::Avatars;
use harness_realtime::dev_token;
use harness_realtime::livekit::LiveKit;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let config = match config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == "dev-token") {
        return match dev_token::mint::<ChannelKind>(&config, &args[1..]) {
            Ok(token) => {
                println!("{token}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
        };
    }
    let livekit = match LiveKit::from_env(rooms::ROOMS, Verifier::new(&config)) {
        Ok(lk) => lk,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let avatars = match Avatars::from_env(avatars::AVATARS, Verifier::new(&config)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    // A participant who leaves its room leaves its avatar sessions too.
    avatars.follow(livekit.subscribe());
    let server = match Server::bind(config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let server = server.merge(livekit.router());
    let server = server.merge(avatars.router());
    let result = server.run(shutdown_signal()).await;
    avatars.shutdown().await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
