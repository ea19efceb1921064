//! The plan's avatars through the service's routes. HeyGen cannot be called
//! from a test, and without `HEYGEN_API_KEY` every avatar must answer with
//! the fallback the plan chose; the session lifecycle against a server
//! shaped like HeyGen's API is the runtime's tests' business.

mod common;

use std::net::SocketAddr;

use common::*;
use harness_realtime::auth::Verifier;
use harness_realtime::avatar::Avatars;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use chat_service::Server;
use chat_service::avatars::AVATARS;

async fn post(addr: SocketAddr, path: &str, authorization: Option<&str>) -> (u16, String) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let auth = authorization.map_or(String::new(), |a| format!("Authorization: {a}\r\n"));
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n{auth}Content-Length: 0\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    tokio::time::timeout(WAIT, s.read_to_end(&mut buf))
        .await
        .expect("a response within 10s")
        .unwrap();
    let text = String::from_utf8_lossy(&buf);
    let status = text.split(' ').nth(1).and_then(|c| c.parse().ok());
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status.expect("an HTTP status line"), body.to_string())
}

#[tokio::test]
async fn without_heygen_each_avatar_answers_with_its_fallback() {
    let config = config();
    let avatars = Avatars::new(AVATARS, None, Some(Verifier::new(&config)));
    let server = Server::bind(config).await.expect("server starts");
    let server = server.merge(avatars.router());
    let addr = server.local_addr();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let run = tokio::spawn(server.run(async {
        let _ = rx.await;
    }));
    let auth = format!("Bearer {}", token(PUBLISHER, "ada"));
    for avatar in AVATARS {
        let path = format!("/avatars/{}/sessions", avatar.name);
        assert_eq!(post(addr, &path, None).await.0, 401);
        let (status, body) = post(addr, &path, Some(&auth)).await;
        assert_eq!(status, 200, "{body}");
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["mode"], "fallback");
        assert_eq!(
            body["fallback"],
            serde_json::to_value(avatar.fallback).unwrap()
        );
        assert_eq!(body["reason"], "HEYGEN_API_KEY is not set");
    }
    assert_eq!(
        post(addr, "/avatars/undeclared/sessions", Some(&auth))
            .await
            .0,
        404
    );
    let _ = tx.send(());
    run.await.unwrap().unwrap();
}
