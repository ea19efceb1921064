//! Two nodes sharing one real `redis-server`, started here on a free port.
//! Skipped, with a message, when `redis-server` is not installed.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::*;
use serde_json::json;

struct RedisServer {
    child: Child,
    url: String,
}

impl RedisServer {
    fn start() -> Option<RedisServer> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let server = RedisServer {
            child,
            url: format!("redis://127.0.0.1:{port}"),
        };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(server);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("redis-server did not start on port {port}");
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn node_config(redis: &RedisServer) -> chat_service::Config {
    let mut c = config();
    c.redis_url = Some(redis.url.clone());
    c.redis_prefix = "test".to_string();
    c
}

#[tokio::test]
async fn two_nodes_share_order_history_and_presence_through_redis() {
    let Some(redis) = RedisServer::start() else {
        eprintln!("skipped: redis-server is not installed (apt-get install redis-server)");
        return;
    };
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
