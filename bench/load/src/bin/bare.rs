//! The ceiling: a bare axum WebSocket server that rebroadcasts every text
//! frame to every connection through one `tokio::sync::broadcast` channel.
//! No auth, no envelope, no history: what is left is the cost of fan-out.
//! It writes what is already queued in one flush, as the service does, so
//! the comparison measures the service's extra work and not a write
//! strategy.
//!
//! Usage: `bare PORT`

use axum::Router;
use axum::extract::State;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use axum::routing::get;
use axum::serve::ListenerExt;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

/// Frames a connection may fall behind by: the service's `QUEUE` default,
/// so both servers tolerate the same lag.
const QUEUE: usize = 256;

#[tokio::main]
async fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(9002);
    let (tx, _) = broadcast::channel::<Utf8Bytes>(QUEUE);
    let app = Router::new().route("/ws", get(upgrade)).with_state(tx);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("bind");
    // As the service does: no Nagle delay on small frames.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app).await.expect("serve");
}

async fn upgrade(ws: WebSocketUpgrade, State(tx): State<broadcast::Sender<Utf8Bytes>>) -> Response {
    // The service's read buffer, so that only fan-out differs.
    ws.read_buffer_size(4096)
        .on_upgrade(move |socket| run(socket, tx))
}

async fn run(socket: WebSocket, tx: broadcast::Sender<Utf8Bytes>) {
    let (mut sink, mut stream) = socket.split();
    let mut rx = tx.subscribe();
    let writer = tokio::spawn(async move {
        loop {
            let first = match rx.recv().await {
                Ok(text) => text,
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return,
            };
            if sink.feed(Message::Text(first)).await.is_err() {
                return;
            }
            // Whatever is already queued goes out in the same write.
            loop {
                match rx.try_recv() {
                    Ok(text) => {
                        if sink.feed(Message::Text(text)).await.is_err() {
                            return;
                        }
                    }
                    Err(TryRecvError::Lagged(_)) => continue,
                    Err(_) => break,
                }
            }
            if sink.flush().await.is_err() {
                return;
            }
        }
    });
    while let Some(Ok(msg)) = stream.next().await {
        if let Message::Text(text) = msg {
            let _ = tx.send(text);
        }
    }
    writer.abort();
}
