//! A client written by someone else: Python's `websockets` library connects,
//! authenticates with the subprotocol token, subscribes and receives.
//!
//! Uses `$REALTIME_PYTHON` (default `python3`). Ignored by default, with
//! the reason, since it needs an interpreter that can `import websockets`
//! (`python3 -m venv .venv && .venv/bin/pip install websockets`);
//! `cargo test -- --ignored` runs it and fails without one.

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::*;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

const CLIENT: &str = r#"
import asyncio, json, sys
import websockets

async def main(url, token, channel, event):
    async with websockets.connect(url, subprotocols=["realtime.v1", "bearer." + token]) as ws:
        assert ws.subprotocol == "realtime.v1", ws.subprotocol
        await ws.send(json.dumps({"v": 1, "type": "subscribe", "channel": channel}))
        while json.loads(await ws.recv())["type"] != "subscribed":
            pass
        print("subscribed", flush=True)
        while True:
            frame = json.loads(await ws.recv())
            if frame["type"] == event:
                print(json.dumps(frame), flush=True)
                return

asyncio.run(main(*sys.argv[1:]))
"#;

fn python() -> String {
    std::env::var("REALTIME_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

#[tokio::test]
#[ignore = "needs a Python with websockets (REALTIME_PYTHON): cargo test -- --ignored"]
async fn a_python_websockets_client_subscribes_and_receives() {
    let has_websockets = std::process::Command::new(python())
        .args(["-c", "import websockets"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        has_websockets,
        "`{}` cannot import websockets: set REALTIME_PYTHON to one that can",
        python()
    );
    let server = start(config()).await;
    let mut child = Command::new(python())
        .args(["-c", CLIENT])
        .arg(format!("ws://{}/ws", server.addr))
        .arg(token(PUBLISHER, "py"))
        .args([CHANNEL, EVENT])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("python starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(WAIT, lines.next_line()).await;
    assert_eq!(first.unwrap().unwrap().as_deref(), Some("subscribed"));
    let seq = server.publish(7).await;
    let line = tokio::time::timeout(WAIT, lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .expect("the client prints the event");
    let frame: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(frame["seq"], seq);
    assert_eq!(frame["channel"], CHANNEL);
    assert_eq!(frame["data"], event_data(7));
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait()).await;
    assert!(status.unwrap().unwrap().success());
    server.stop().await;
}
