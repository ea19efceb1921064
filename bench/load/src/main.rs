//! Load client for `bench/realtime.sh`: many subscribers on one channel, one
//! publisher, and the figures that matter.
//!
//! The subscribers connect once and stay connected; the client then runs
//! *trials* over the same connections. A trial publishes `rate × seconds`
//! messages, each carrying its trial number, its index and its send time (so
//! latency is measured on one clock), and waits until every subscriber has
//! them all or delivery stops. Messages of an earlier trial that arrive late
//! are not counted.
//!
//! Modes:
//! - `search`: throughput as RFC 2544 defines it for network devices, the
//!   highest offered rate at which nothing is lost. A rate *passes* when
//!   every subscriber got every message, in order, with no `resync`, and the
//!   server kept pace: deliveries per second at least 95% of what was
//!   offered. The rate doubles until a trial fails, then is bisected; a
//!   failed trial is retried `--retries` times before the rate fails.
//! - `run`: one trial at `--rate` (0: unpaced, `--messages` as fast as the
//!   publisher can send), reporting how many subscribers got everything, how
//!   many were told to `resync`, and how many lost messages silently.
//!
//! With `--stall K`, K more subscribers connect and subscribe but never read.
//! With `--pid PID`, the server's resident memory is sampled every
//! `--sample-ms` during each trial, and the processor time the server spent
//! during the trial is reported per delivered message (`server_ns`): unlike
//! a rate, which a latency spike on a shared machine can fail, it is steady
//! from run to run. `client_ns` is the same for this load client.
//!
//! Protocols: `chat` speaks the generated service's envelope (token in the
//! subprotocol, `subscribe`, `message` events); `raw` sends bare text to a
//! broadcast server (the Node `ws` and bare axum baselines).
//!
//! Output: one line of `key=value` pairs per result, on standard output.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

static START: OnceLock<Instant> = OnceLock::new();

fn now_us() -> u64 {
    START.get_or_init(Instant::now).elapsed().as_micros() as u64
}

const USAGE: &str = "usage: realtime-load search|run --proto chat|raw --url ws://HOST:PORT/ws
  [--subscribers 200] [--size 100] [--stall 0] [--secret bench] [--pid SERVER_PID]
  search: [--seconds 3] [--start 500] [--steps 5] [--retries 1]
  run:    [--rate 0] [--seconds 3] [--messages 5000] [--sample-ms 1000]";

#[derive(Clone)]
struct Opts {
    search: bool,
    chat: bool,
    url: String,
    subscribers: usize,
    size: usize,
    stall: usize,
    secret: String,
    pid: Option<u32>,
    seconds: f64,
    start: u64,
    steps: u32,
    retries: u32,
    rate: u64,
    messages: u64,
    sample_ms: u64,
}

fn opts() -> Result<Opts, String> {
    let mut args = std::env::args().skip(1);
    let mode = args.next().ok_or(USAGE)?;
    let rest: Vec<String> = args.collect();
    let mut map = HashMap::new();
    for pair in rest.chunks(2) {
        let key = pair[0]
            .strip_prefix("--")
            .ok_or_else(|| format!("unexpected `{}`\n{USAGE}", pair[0]))?;
        let value = pair
            .get(1)
            .ok_or_else(|| format!("--{key} needs a value"))?;
        map.insert(key.to_string(), value.clone());
    }
    let text = |k: &str, d: &str| map.get(k).cloned().unwrap_or_else(|| d.to_string());
    let num = |k: &str, d: &str| -> Result<u64, String> {
        text(k, d)
            .parse()
            .map_err(|_| format!("--{k} needs a whole number"))
    };
    Ok(Opts {
        search: match mode.as_str() {
            "search" => true,
            "run" => false,
            _ => return Err(USAGE.to_string()),
        },
        chat: text("proto", "chat") == "chat",
        url: text("url", "ws://127.0.0.1:9000/ws"),
        subscribers: num("subscribers", "200")? as usize,
        size: num("size", "100")? as usize,
        stall: num("stall", "0")? as usize,
        secret: text("secret", "bench"),
        pid: map.get("pid").and_then(|p| p.parse().ok()),
        seconds: text("seconds", "3")
            .parse()
            .map_err(|_| "--seconds needs a number")?,
        start: num("start", "500")?,
        steps: num("steps", "5")? as u32,
        retries: num("retries", "1")? as u32,
        rate: num("rate", "0")?,
        messages: num("messages", "5000")?,
        sample_ms: num("sample-ms", "1000")?,
    })
}

type Ws = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// Connects and subscribes. A `stalled` client asks for a small receive
/// buffer, so the kernel holds little for it and the server's own bounded
/// queues are what a stall fills.
async fn connect(o: &Opts, user: &str, stalled: bool) -> Ws {
    let mut req = o.url.as_str().into_client_request().expect("a ws:// URL");
    if o.chat {
        let exp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            + 3600;
        let token = chat_service::auth::issue(
            &o.secret,
            &chat_service::auth::Claims {
                iss: Some("chat.example".into()),
                ..chat_service::auth::Claims::new(user, "member", exp)
            },
        );
        let proto = format!("realtime.v1, bearer.{token}");
        req.headers_mut().insert(
            "sec-websocket-protocol",
            HeaderValue::from_str(&proto).unwrap(),
        );
    }
    let host = req.uri().host().unwrap_or("127.0.0.1").to_string();
    let port = req.uri().port_u16().unwrap_or(80);
    let addr = tokio::net::lookup_host((host.as_str(), port))
        .await
        .ok()
        .and_then(|mut a| a.next())
        .unwrap_or_else(|| panic!("resolving {}", o.url));
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()
    } else {
        tokio::net::TcpSocket::new_v6()
    }
    .expect("a socket");
    if stalled {
        socket.set_recv_buffer_size(4096).expect("SO_RCVBUF");
    }
    let stream = socket
        .connect(addr)
        .await
        .unwrap_or_else(|e| panic!("connecting to {}: {e}", o.url));
    stream.set_nodelay(true).expect("TCP_NODELAY");
    let (mut ws, _) = tokio_tungstenite::client_async(req, stream)
        .await
        .unwrap_or_else(|e| panic!("upgrading {}: {e}", o.url));
    if o.chat {
        let sub = r#"{"v":1,"type":"subscribe","channel":"room:bench"}"#;
        ws.send(Message::text(sub)).await.unwrap();
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(t))) if t.contains("\"subscribed\"") => break,
                Some(Ok(_)) => {}
                other => panic!("subscribing: {other:?}"),
            }
        }
    }
    ws
}

/// A payload: `<trial>|<index>|<send time in µs>|<padding>`, bare or as the
/// `text` of a chat message.
fn parse(text: &str) -> Option<(u32, u64, u64)> {
    let body = match text.find("\"text\":\"") {
        Some(i) => &text[i + 8..],
        None => text,
    };
    let mut parts = body.splitn(4, '|');
    let trial = parts.next()?.parse().ok()?;
    let index = parts.next()?.parse().ok()?;
    let sent = parts.next()?.parse().ok()?;
    Some((trial, index, sent))
}

/// One subscriber's view of the current trial.
#[derive(Default)]
struct Tally {
    trial: AtomicU32,
    got: AtomicU64,
    /// The index expected next; a smaller one is out of order.
    next: AtomicU64,
    out_of_order: AtomicU64,
    resyncs: AtomicU64,
    last_us: AtomicU64,
    latencies: Mutex<Vec<u32>>,
}

impl Tally {
    fn reset(&self, trial: u32) {
        self.latencies.lock().unwrap().clear();
        self.got.store(0, Ordering::SeqCst);
        self.next.store(0, Ordering::SeqCst);
        self.out_of_order.store(0, Ordering::SeqCst);
        self.resyncs.store(0, Ordering::SeqCst);
        self.last_us.store(0, Ordering::SeqCst);
        self.trial.store(trial, Ordering::SeqCst);
    }
}

/// Reads one subscriber's socket until it closes.
async fn subscriber(mut ws: Ws, tally: Arc<Tally>, any: Arc<AtomicU64>) {
    while let Some(Ok(msg)) = ws.next().await {
        let Message::Text(text) = msg else { continue };
        let now = now_us();
        any.store(now, Ordering::Relaxed);
        match parse(&text) {
            Some((trial, index, sent)) => {
                if trial != tally.trial.load(Ordering::Acquire) {
                    continue;
                }
                tally.got.fetch_add(1, Ordering::AcqRel);
                if index < tally.next.swap(index + 1, Ordering::AcqRel) {
                    tally.out_of_order.fetch_add(1, Ordering::Relaxed);
                }
                tally
                    .latencies
                    .lock()
                    .unwrap()
                    .push(now.saturating_sub(sent) as u32);
                tally.last_us.store(now, Ordering::Release);
            }
            None if text.contains("\"resync\"") => {
                tally.resyncs.fetch_add(1, Ordering::Relaxed);
            }
            None => {}
        }
    }
}

/// Processor time (user and system) a process has used so far, in seconds.
fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name, in parentheses, may hold spaces: count from after it.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // USER_HZ, the unit of these fields, is 100 on every Linux architecture.
    Some(ticks as f64 / 100.0)
}

/// Processor time used by the server (`Some(pid)`) or this client.
struct CpuClock {
    server: Option<String>,
    start: (Option<f64>, Option<f64>),
}

impl CpuClock {
    fn start(server: Option<u32>) -> CpuClock {
        let server = server.map(|p| p.to_string());
        let start = (server.as_deref().and_then(cpu_seconds), cpu_seconds("self"));
        CpuClock { server, start }
    }

    /// Seconds used since `start`: (server, client).
    fn stop(&self) -> (Option<f64>, Option<f64>) {
        let since = |now: Option<f64>, then: Option<f64>| Some(now? - then?);
        (
            since(self.server.as_deref().and_then(cpu_seconds), self.start.0),
            since(cpu_seconds("self"), self.start.1),
        )
    }
}

fn rss_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

struct Outcome {
    rate: u64,
    sent: u64,
    delivered: u64,
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    complete: usize,
    resynced: usize,
    silent_loss: usize,
    out_of_order: u64,
    rss: Vec<f64>,
    /// Processor seconds used during the trial: (server, client).
    cpu: (Option<f64>, Option<f64>),
}

impl Outcome {
    fn passed(&self, subscribers: usize) -> bool {
        self.complete == subscribers
            && self.resynced == 0
            && self.out_of_order == 0
            && self.per_second >= 0.95 * (self.rate as f64) * subscribers as f64
    }

    fn line(&self, subscribers: usize) -> String {
        let rss: Vec<String> = self.rss.iter().map(|m| format!("{m:.1}")).collect();
        let per_delivery = |seconds: Option<f64>| match seconds {
            Some(s) if self.delivered > 0 => format!("{:.0}", s * 1e9 / self.delivered as f64),
            _ => "-".to_string(),
        };
        format!(
            "rate={} sent={} delivered={} msgs_per_s={:.0} p50_ms={:.2} p99_ms={:.2} \
             complete={}/{} resynced={} silent_loss={} out_of_order={} server_ns={} \
             client_ns={} rss_mb={}",
            self.rate,
            self.sent,
            self.delivered,
            self.per_second,
            self.p50_ms,
            self.p99_ms,
            self.complete,
            subscribers,
            self.resynced,
            self.silent_loss,
            self.out_of_order,
            per_delivery(self.cpu.0),
            per_delivery(self.cpu.1),
            if rss.is_empty() {
                "-".to_string()
            } else {
                rss.join(",")
            },
        )
    }
}

struct Bench {
    o: Opts,
    tallies: Vec<Arc<Tally>>,
    any: Arc<AtomicU64>,
    publisher: SplitSink<Ws, Message>,
    pad: String,
    trial: u32,
}

impl Bench {
    async fn connect(o: Opts) -> (Bench, Vec<Ws>) {
        now_us();
        let any = Arc::new(AtomicU64::new(0));
        let mut tallies = Vec::new();
        let mut connecting = Vec::new();
        for n in 0..o.subscribers {
            let o = o.clone();
            connecting.push(tokio::spawn(async move {
                connect(&o, &format!("sub{n}"), false).await
            }));
        }
        for c in connecting {
            let ws = c.await.expect("a subscriber connected");
            let tally = Arc::new(Tally::default());
            tokio::spawn(subscriber(ws, Arc::clone(&tally), Arc::clone(&any)));
            tallies.push(tally);
        }
        let mut stalled = Vec::new();
        for n in 0..o.stall {
            stalled.push(connect(&o, &format!("stalled{n}"), true).await);
        }
        let (publisher, mut echoes) = connect(&o, "publisher", false).await.split();
        // Broadcast servers echo to the publisher too: keep reading it.
        tokio::spawn(async move { while let Some(Ok(_)) = echoes.next().await {} });
        // The header, `{:04}|{:08}|{:012}|`, is 27 bytes.
        let pad = "x".repeat(o.size.saturating_sub(27));
        let bench = Bench {
            o,
            tallies,
            any,
            publisher,
            pad,
            trial: 0,
        };
        (bench, stalled)
    }

    /// Waits until nothing has arrived for `quiet`, at most `limit`.
    async fn drain(&self, quiet: Duration, limit: Duration) {
        let until = Instant::now() + limit;
        loop {
            let idle = now_us().saturating_sub(self.any.load(Ordering::Relaxed));
            if idle >= quiet.as_micros() as u64 || Instant::now() >= until {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn trial(&mut self, rate: u64, messages: u64) -> Outcome {
        self.drain(Duration::from_millis(300), Duration::from_secs(30))
            .await;
        self.trial += 1;
        for t in &self.tallies {
            t.reset(self.trial);
        }
        let sampling = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let sampler = self.o.pid.map(|pid| {
            let every = Duration::from_millis(self.o.sample_ms.max(10));
            let sampling = Arc::clone(&sampling);
            tokio::spawn(async move {
                let mut series = Vec::new();
                let mut tick = tokio::time::interval(every);
                while sampling.load(Ordering::Relaxed) {
                    tick.tick().await;
                    match rss_mb(pid) {
                        Some(mb) => series.push(mb),
                        None => break,
                    }
                }
                series
            })
        });
        let cpu = CpuClock::start(self.o.pid);
        let t0 = now_us();
        for i in 0..messages {
            if let Some(offset) = (i * 1_000_000).checked_div(rate) {
                let due = t0 + offset;
                let now = now_us();
                if due > now {
                    tokio::time::sleep(Duration::from_micros(due - now)).await;
                }
            }
            let body = format!("{:04}|{i:08}|{:012}|{}", self.trial, now_us(), self.pad);
            let text = if self.o.chat {
                format!(
                    r#"{{"v":1,"type":"message","channel":"room:bench","data":{{"text":"{body}"}}}}"#
                )
            } else {
                body
            };
            self.publisher
                .send(Message::text(text))
                .await
                .expect("the server accepts the publisher's messages");
        }
        let sent_at = now_us();
        // Done when everyone has everything, or when delivery stalls.
        let want = messages * self.tallies.len() as u64;
        let limit = Duration::from_secs_f64((messages as f64 / rate.max(1) as f64).max(2.0) * 3.0);
        let mut last_total = 0;
        let mut last_change = Instant::now();
        let end = Instant::now() + limit;
        loop {
            let total: u64 = self
                .tallies
                .iter()
                .map(|t| t.got.load(Ordering::Acquire))
                .sum();
            if total >= want || Instant::now() >= end {
                break;
            }
            if total != last_total {
                last_total = total;
                last_change = Instant::now();
            } else if last_change.elapsed() > Duration::from_secs(1) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let cpu = cpu.stop();
        sampling.store(false, Ordering::Relaxed);
        let rss = match sampler {
            Some(s) => s.await.unwrap_or_default(),
            None => Vec::new(),
        };
        self.outcome(rate, messages, (t0, sent_at), rss, cpu)
    }

    fn outcome(
        &self,
        rate: u64,
        messages: u64,
        (t0, sent_at): (u64, u64),
        rss: Vec<f64>,
        cpu: (Option<f64>, Option<f64>),
    ) -> Outcome {
        let mut latencies = Vec::new();
        let (mut delivered, mut complete, mut resynced, mut silent, mut disorder, mut last) =
            (0, 0, 0, 0, 0, sent_at);
        for t in &self.tallies {
            let got = t.got.load(Ordering::Acquire);
            delivered += got;
            disorder += t.out_of_order.load(Ordering::Acquire);
            last = last.max(t.last_us.load(Ordering::Acquire));
            if got == messages {
                complete += 1;
            } else if t.resyncs.load(Ordering::Acquire) > 0 {
                resynced += 1;
            } else {
                silent += 1;
            }
            latencies.extend_from_slice(&t.latencies.lock().unwrap());
        }
        latencies.sort_unstable();
        let pct = |p: f64| {
            let i = ((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1));
            latencies.get(i).map_or(0.0, |us| *us as f64 / 1000.0)
        };
        let secs = last.saturating_sub(t0).max(1) as f64 / 1e6;
        Outcome {
            rate,
            sent: messages,
            delivered,
            per_second: delivered as f64 / secs,
            p50_ms: pct(0.50),
            p99_ms: pct(0.99),
            complete,
            resynced,
            silent_loss: silent,
            out_of_order: disorder,
            rss,
            cpu,
        }
    }

    fn messages_for(&self, rate: u64) -> u64 {
        ((rate as f64 * self.o.seconds) as u64).max(1)
    }

    /// Trials at `rate` until one passes, `--retries` more times at most:
    /// on a shared machine one bad second must not decide the figure.
    async fn attempt(&mut self, rate: u64) -> Outcome {
        let n = self.o.subscribers;
        let mut tries = 0;
        loop {
            let out = self.trial(rate, self.messages_for(rate)).await;
            eprintln!("  try {rate:>6}/s: {}", out.line(n));
            tries += 1;
            if out.passed(n) || tries > self.o.retries {
                return out;
            }
        }
    }

    /// The highest rate that passes: doubling, then bisecting.
    async fn search(&mut self) -> Option<Outcome> {
        let n = self.o.subscribers;
        let mut best: Option<Outcome> = None;
        let mut rate = self.o.start.max(1);
        let failed = loop {
            let out = self.attempt(rate).await;
            if !out.passed(n) {
                break rate;
            }
            best = Some(out);
            rate *= 2;
        };
        let (mut lo, mut hi) = (best.as_ref().map_or(0, |b| b.rate), failed);
        for _ in 0..self.o.steps {
            let mid = (lo + hi) / 2;
            if mid == lo {
                break;
            }
            let out = self.attempt(mid).await;
            if out.passed(n) {
                lo = mid;
                best = Some(out);
            } else {
                hi = mid;
            }
        }
        best
    }
}

#[tokio::main]
async fn main() {
    let o = match opts() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let n = o.subscribers;
    let (mut bench, _stalled) = Bench::connect(o.clone()).await;
    if o.search {
        match bench.search().await {
            Some(best) => println!("{}", best.line(n)),
            None => {
                println!("rate=0 msgs_per_s=0 (not even --start {} passed)", o.start);
            }
        }
    } else {
        let messages = if o.rate == 0 {
            o.messages
        } else {
            bench.messages_for(o.rate)
        };
        let out = bench.trial(o.rate, messages).await;
        println!("{}", out.line(n));
    }
}
