//! Two nodes sharing one real `redis-server`, started here on a free port.
//! Ignored by default, with the reason, since they need `redis-server` on
//! `PATH`; `cargo test -- --ignored` runs them and fails without it.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};

/// A `redis-server` without persistence: stopping it loses everything.
struct RedisServer {
    child: Option<Child>,
    port: u16,
    url: String,
}

impl RedisServer {
    /// Fails the test, saying what to install, when `redis-server` cannot
    /// be run.
    fn start() -> RedisServer {
        Self::try_start()
            .expect("these tests need `redis-server` on PATH (apt-get install redis-server)")
    }

    fn try_start() -> Option<RedisServer> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let mut server = RedisServer {
            child: None,
            port,
            url: format!("redis://127.0.0.1:{port}"),
        };
        server.child = Some(server.spawn().ok()?);
        server.wait_until_up();
        Some(server)
    }

    fn spawn(&self) -> std::io::Result<Child> {
        Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
    }

    fn wait_until_up(&self) {
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("redis-server did not start on port {}", self.port);
    }

    /// Kills the server, as a crash would.
    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts a fresh, empty server on the same port.
    fn restart(&mut self) {
        self.stop();
        self.child = Some(self.spawn().expect("redis-server restarts"));
        self.wait_until_up();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn node_config(redis: &RedisServer) -> chat_service::Config {
    let mut c = config();
    c.redis_url = Some(redis.url.clone());
    c.redis_prefix = "test".to_string();
    c
}

#[tokio::test]
#[ignore = "needs redis-server (apt-get install redis-server): cargo test -- --ignored"]
async fn two_nodes_share_order_history_and_presence_through_redis() {
    let redis = RedisServer::start();
    let one = start(node_config(&redis)).await;
    let two = start(node_config(&redis)).await;
    assert_eq!(one.app.hub.epoch(), two.app.hub.epoch(), "one shared epoch");

    let mut ada = connect(one.addr, &token(PUBLISHER, "ada")).await;
    ada.subscribe(CHANNEL).await;
    let mut bob = connect(two.addr, &token(PUBLISHER, "bob")).await;
    let sub = bob.subscribe(CHANNEL).await;
    if PRESENCE {
        let users: Vec<&str> = sub["presence"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["user"].as_str().unwrap())
            .collect();
        assert!(
            users.contains(&"ada") && users.contains(&"bob"),
            "{users:?}"
        );
    }

    let send = |i: u64| json!({"v": EVENT_VERSION, "type": EVENT, "channel": CHANNEL, "data": event_data(i)});
    for i in 1..=20 {
        ada.send(send(i)).await;
    }
    for i in 1..=20 {
        let m = bob.recv_type(EVENT).await;
        assert_eq!((m["seq"].as_u64(), &m["data"]), (Some(i), &event_data(i)));
    }
    for i in 21..=25 {
        bob.send(send(i)).await;
    }
    for i in 21..=25 {
        assert_eq!(bob.recv_type(EVENT).await["seq"], i);
    }
    for i in 1..=25 {
        let m = ada.recv_type(EVENT).await;
        assert_eq!((m["seq"].as_u64(), &m["data"]), (Some(i), &event_data(i)));
    }

    // Node one goes away; a new node finds the history in Redis.
    let epoch = one.app.hub.epoch().to_string();
    drop(ada);
    one.stop().await;
    let three = start(node_config(&redis)).await;
    assert_eq!(&*three.app.hub.epoch(), epoch);
    let mut cy = connect(three.addr, &token(PUBLISHER, "cy")).await;
    cy.send(json!({"v": 1, "type": "subscribe", "channel": CHANNEL, "since": {"epoch": epoch, "seq": 10}}))
        .await;
    assert_eq!(cy.recv_type("subscribed").await["seq"], 25);
    for i in 11..=25 {
        assert_eq!(cy.recv_type(EVENT).await["seq"], i);
    }
    // And live traffic from the surviving node reaches it.
    assert_eq!(bob.publish(CHANNEL, event_data(26), "26").await["seq"], 26);
    assert_eq!(cy.recv_type(EVENT).await["seq"], 26);
    two.stop().await;
    three.stop().await;
}

/// `joined` or `left`, and the user, of each member a presence diff names.
fn changes(diff: &Value) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for change in ["joined", "left"] {
        for m in diff["data"][change].as_array().into_iter().flatten() {
            out.push((change, m["user"].as_str().unwrap_or_default().to_string()));
        }
    }
    out
}

/// Presence is per user across nodes too: a user with connections on two
/// nodes is one member, announced once when it first joins anywhere and
/// once when its last connection anywhere leaves.
#[tokio::test]
#[ignore = "needs redis-server (apt-get install redis-server): cargo test -- --ignored"]
async fn a_user_on_two_nodes_is_one_member() {
    let redis = RedisServer::start();
    let one = start(node_config(&redis)).await;
    let two = start(node_config(&redis)).await;
    let mut wendy = connect(one.addr, &token(PUBLISHER, "wendy")).await;
    wendy.subscribe(CHANNEL).await;
    let mut ada_here = connect(one.addr, &token(PUBLISHER, "ada")).await;
    ada_here.subscribe(CHANNEL).await;
    let mut ada_there = connect(two.addr, &token(PUBLISHER, "ada")).await;
    let sub = ada_there.subscribe(CHANNEL).await;
    let adas = sub["presence"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["user"] == "ada")
        .count();
    assert_eq!(adas, 1, "{sub}");
    // Ada leaves node one but is still on node two: nothing is said.
    drop(ada_here);
    // Long enough for a leave to go out, presence diffs waiting their
    // interval included.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let marker = ada_there.publish(CHANNEL, event_data(1), "1").await["seq"].clone();
    let mut said = Vec::new();
    loop {
        let m = wendy.recv().await;
        if m["type"] == "presence" {
            said.extend(changes(&m).into_iter().filter(|(_, u)| u == "ada"));
        } else if m["type"] == EVENT && m["seq"] == marker {
            break;
        }
    }
    let once = [("joined", "ada".to_string())];
    assert_eq!(said, once, "one join, no leave yet");
    // Her last connection goes: now she leaves, once.
    ada_there
        .send(json!({"v": 1, "type": "unsubscribe", "channel": CHANNEL}))
        .await;
    let left = loop {
        let m = wendy.recv_type("presence").await;
        let mut about = changes(&m);
        about.retain(|(_, u)| u == "ada");
        if !about.is_empty() {
            break about;
        }
    };
    assert_eq!(left, [("left", "ada".to_string())]);
    one.stop().await;
    two.stop().await;
}

/// The answer to a publish: its `ack` or `error`, skipping deliveries.
async fn answer(c: &mut Client) -> Value {
    loop {
        let m = c.recv().await;
        if m["type"] == "ack" || m["type"] == "error" {
            return m;
        }
    }
}

/// The next frame that is not a presence diff.
async fn next_news(c: &mut Client) -> Value {
    loop {
        let m = c.recv().await;
        if m["type"] != "presence" {
            return m;
        }
    }
}

#[tokio::test]
#[ignore = "needs redis-server (apt-get install redis-server): cargo test -- --ignored"]
async fn the_nodes_ride_out_a_redis_restart_and_move_to_a_new_epoch() {
    let mut redis = RedisServer::start();
    let one = start(node_config(&redis)).await;
    let two = start(node_config(&redis)).await;
    let mut ada = connect(one.addr, &token(PUBLISHER, "ada")).await;
    let sub = ada.subscribe(CHANNEL).await;
    let old_epoch = sub["epoch"].as_str().unwrap().to_string();
    let mut bob = connect(two.addr, &token(PUBLISHER, "bob")).await;
    bob.subscribe(CHANNEL).await;
    let publish = |i: u64| json!({"v": EVENT_VERSION, "type": EVENT, "channel": CHANNEL, "data": event_data(i), "id": format!("p{i}")});
    for i in 1..=3 {
        ada.send(publish(i)).await;
        assert_eq!(answer(&mut ada).await["seq"], i);
        assert_eq!(next_news(&mut bob).await["seq"], i);
    }

    // Redis dies, and everything it held with it. Publishing fails with an
    // error frame, and both nodes stay up and say they are unhealthy.
    redis.stop();
    ada.send(publish(100)).await;
    let err = answer(&mut ada).await;
    assert_eq!(err["type"], "error", "{err}");
    assert_eq!(
        (&err["code"], &err["id"]),
        (&json!("internal"), &json!("p100"))
    );
    let message = err["message"].as_str().unwrap();
    assert!(message.starts_with("backplane unavailable: "), "{message}");
    for node in [&one, &two] {
        let asked = Instant::now();
        let (status, body) = http_get(node.addr, "/healthz").await;
        assert_eq!(status, 503, "{body}");
        assert!(body.starts_with("redis: "), "{body}");
        assert!(
            asked.elapsed() < Duration::from_secs(3),
            "a health check must not hang while Redis is down: {:?}",
            asked.elapsed()
        );
    }

    // It comes back empty on the same port. The nodes reconnect by
    // themselves: publishing works again within a bounded time.
    redis.restart();
    let up = Instant::now();
    let ack = loop {
        ada.send(publish(101)).await;
        let a = answer(&mut ada).await;
        if a["type"] == "ack" {
            break a;
        }
        assert!(
            up.elapsed() < Duration::from_secs(15),
            "publishing still fails 15s after Redis came back: {a}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(ack["seq"], 1, "the counters were lost with the data");
    // Bob, still on the same connection, is told that what he has no longer
    // lines up, then receives the message from the other node.
    let resync = next_news(&mut bob).await;
    assert_eq!(resync["type"], "resync", "{resync}");
    let new_epoch = resync["epoch"].as_str().unwrap().to_string();
    assert_ne!(new_epoch, old_epoch);
    assert_eq!(resync["seq"], 0);
    let reason = resync["reason"].as_str().unwrap();
    assert!(reason.starts_with("history was lost"), "{reason}");
    let m = next_news(&mut bob).await;
    assert_eq!((m["seq"].as_u64(), &m["data"]), (Some(1), &event_data(101)));
    for i in 2..=3 {
        ada.send(publish(100 + i)).await;
        assert_eq!(answer(&mut ada).await["seq"], i);
        assert_eq!(next_news(&mut bob).await["seq"], i);
    }
    assert_eq!(&*one.app.hub.epoch(), new_epoch);
    assert_eq!(&*two.app.hub.epoch(), new_epoch);

    // A client resuming from before the outage, at a `seq` the new epoch has
    // reached again, must not take it for the same position.
    let mut cy = connect(two.addr, &token(PUBLISHER, "cy")).await;
    cy.send(json!({"v": 1, "type": "subscribe", "channel": CHANNEL, "since": {"epoch": old_epoch, "seq": 3}}))
        .await;
    let sub = cy.recv_type("subscribed").await;
    assert_eq!(
        (sub["epoch"].as_str(), sub["seq"].as_u64()),
        (Some(new_epoch.as_str()), Some(3))
    );
    assert_eq!(next_news(&mut cy).await["type"], "resync");
    for node in [&one, &two] {
        assert_eq!(
            http_get(node.addr, "/healthz").await,
            (200, "ok".to_string())
        );
    }
    drop((ada, bob, cy));
    one.stop().await;
    two.stop().await;
}
