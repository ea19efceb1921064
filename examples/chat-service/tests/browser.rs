//! The browser client in `web/`: its types, its transport's unit tests and
//! the demo page end to end in headless Chromium against this service.
//!
//! They need Node.js, the client's npm packages (`npm ci` in `web/`) and,
//! for the end-to-end test, the system's Chromium (`apt-get install
//! chromium`); they are ignored by default and run with `--ignored`.

mod common;

use std::path::PathBuf;
use std::process::Command;

fn web() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("web");
    assert!(
        dir.join("node_modules").is_dir(),
        "run `npm ci` in {} first",
        dir.display()
    );
    dir
}

#[track_caller]
fn run(command: &mut Command) {
    let status = command.status().expect("node is on PATH");
    assert!(status.success(), "{command:?} failed: {status}");
}

fn node_bin(name: &str) -> PathBuf {
    web().join("node_modules/.bin").join(name)
}

#[test]
#[ignore = "needs Node.js and `npm ci` in web/"]
fn the_client_type_checks_under_strict() {
    run(Command::new(node_bin("tsc"))
        .args(["--strict", "--noEmit", "-p", "."])
        .current_dir(web()));
}

#[test]
#[ignore = "needs Node.js and `npm ci` in web/"]
fn the_transport_passes_its_unit_tests() {
    run(Command::new(node_bin("vitest"))
        .args(["run", "--reporter=dot"])
        .current_dir(web()));
}

#[test]
#[ignore = "needs Node.js, `npm ci` in web/ and chromium (apt)"]
fn two_pages_chat_and_resume_after_a_restart_in_chromium() {
    let artefacts = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser");
    run(Command::new("node")
        .arg("e2e/chromium.mjs")
        .env("SERVICE_BIN", env!("CARGO_BIN_EXE_chat-service"))
        .env("ARTEFACTS", &artefacts)
        .current_dir(web()));
    let shot = artefacts.join("demo.png");
    let png = std::fs::read(&shot).expect("the test leaves a screenshot");
    assert!(png.starts_with(b"\x89PNG"), "{} is a PNG", shot.display());
}

/// The client's room-token request (`roomToken` in `src/chatService.ts`)
/// against this service's own LiveKit token route: no LiveKit server is
/// needed, as the service signs room tokens itself.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Node.js and `npm ci` in web/"]
async fn the_clients_room_token_request_reaches_the_services_route() {
    use harness_realtime::auth::Verifier;
    use harness_realtime::livekit::{Keys, LiveKit, LiveKitConfig};

    let config = common::config();
    let keys = Keys::new("APItest", "a-test-secret-of-at-least-32-characters");
    let livekit = LiveKit::new(
        chat_service::rooms::ROOMS,
        Verifier::new(&config),
        Some(LiveKitConfig::new("http://127.0.0.1:9", keys)),
    );
    let server = common::start_with(config, |s| s.merge(livekit.router())).await;
    let user = "ada";
    let mut vitest = Command::new(node_bin("vitest"));
    vitest
        .args(["run", "src/livekit.test.ts", "-t", "against the service"])
        // Plain text to read the summary from: vitest colours its output
        // even into a pipe when `CI` is set.
        .env("NO_COLOR", "1")
        .env("FORCE_COLOR", "0")
        .env("SERVICE_URL", format!("http://{}", server.addr))
        .env("SERVICE_TOKEN", common::token("admin", user))
        .env("SERVICE_USER", user)
        .current_dir(web());
    let out = tokio::task::spawn_blocking(move || vitest.output().expect("node is on PATH"))
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains(" 1 passed"),
        "the test against the service ran:\n{text}"
    );
    server.stop().await;
}
