//! `GET /api/v1/ws` (also `/ws`): the WebSocket event stream.
//!
//! # Shape
//! tiny_http answers the opening handshake (`upgrade`); tungstenite speaks
//! the frames on the upgraded connection, one thread per client. One
//! *feed* thread produces the events for everyone:
//! - `stats`, once a second (only while someone listens);
//! - `keyspace`, from keyspace notifications: while a client wants them,
//!   the feed holds an internal Pub/Sub subscription to
//!   `__keyspace@*__:*` and `__keyevent@*__:*` (its mailbox wakes it);
//! - `alert`: snapshot done/failed, WAL failing/recovered, memory above
//!   90% of maxmemory, refused connections.
//!
//! - `command`, what MONITOR shows (opt-in: `{"subscribe": ["command"]}`):
//!   while a client wants it, the feed is an internal MONITOR client (its
//!   mailbox wakes it; src/obs/monitor.rs) and forwards each line as
//!   `{"time", "db", "client", "command"}`, the command text cut at 256
//!   bytes, at most `COMMAND_RATE` events a second (the rest are counted
//!   and reported as `{"skipped": N}` in the next event). A monitor that
//!   falls behind is dropped by the server like any slow monitor; the feed
//!   then starts a new one and tells the clients (`command_overflow`).
//!
//! # A slow client never slows anyone
//! Producers only ever `offer` a message to a client's bounded queue
//! (`QUEUE_MAX`); a full queue drops the message and counts it, and the
//! client's own thread tells it `{"type": "dropped", "data": {"count": N}}`
//! before the next message it does deliver. Only that thread ever blocks
//! on the client's socket (and gives up after a write timeout).
//!
//! The keyspace feed is itself a Pub/Sub subscriber under
//! `client-output-buffer-limit pubsub`: if writes outpace it past that
//! limit, the server drops its subscription (as it would any slow
//! subscriber's), the feed subscribes again, and every keyspace client is
//! told `{"type": "dropped", "data": {"count": N, "overflow": true}}`.
//!
//! # Auth
//! When the server requires credentials (mod.rs `http_auth`), a client
//! proves them with any of: an `Authorization` header; a
//! `Sec-WebSocket-Protocol` offer `bearer.<token>` (browsers cannot set
//! headers; offer `["flashdb", "bearer.<token>"]` and the server selects
//! `flashdb`); or a first message `{"auth": "<token>"}` within 10 s.
//! Until then it receives nothing but the answer to that message.

use super::{api, codec, header, header_value, jsonmap, ApiError, Http, Out};
use crate::pubsub::{self, Kind, Subscriptions};
use crate::server::{ClientInfo, Server};
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::io::ErrorKind;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering::Relaxed};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};
use tiny_http::{Request, Response};
use tungstenite::protocol::{frame::coding::CloseCode, CloseFrame, Role, WebSocketConfig};
use tungstenite::{Message, WebSocket};

pub const STATS: u8 = 1;
pub const KEYSPACE: u8 = 2;
pub const ALERT: u8 = 4;
pub const COMMAND: u8 = 8;
const STREAMS: &[(&str, u8)] = &[
    ("stats", STATS),
    ("keyspace", KEYSPACE),
    ("alert", ALERT),
    ("command", COMMAND),
];
/// `command` events forwarded per second at most (sampled beyond).
const COMMAND_RATE: u32 = 200;

/// Messages waiting per client before new ones are dropped.
pub const QUEUE_MAX: usize = 256;
/// How often a client's thread looks at its queue while the client is silent.
const POLL: Duration = Duration::from_millis(50);
/// A client that accepts nothing for this long is disconnected.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
const AUTH_DEADLINE: Duration = Duration::from_secs(10);

/// One connected client, as producers see it.
struct Peer {
    queue: Mutex<VecDeque<Arc<str>>>,
    dropped: AtomicU64,
    /// The keyspace feed itself overflowed: events were lost upstream of
    /// the queue, how many is unknown.
    overflow: AtomicBool,
    streams: AtomicU8,
    authed: AtomicBool,
}

impl Peer {
    /// Queues `msg` if the client listens to `stream`; never blocks for
    /// longer than a push. Returns false if it had to drop it.
    fn offer(&self, stream: u8, msg: &Arc<str>) -> bool {
        if !self.authed.load(Relaxed) || self.streams.load(Relaxed) & stream == 0 {
            return true;
        }
        let mut q = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        if q.len() >= QUEUE_MAX {
            self.dropped.fetch_add(1, Relaxed);
            return false;
        }
        q.push_back(msg.clone());
        true
    }
    fn wants(&self, stream: u8) -> bool {
        self.authed.load(Relaxed) && self.streams.load(Relaxed) & stream != 0
    }
}

/// The connected clients and the feed's wake-up.
#[derive(Default)]
pub struct Hub {
    peers: Mutex<Vec<Arc<Peer>>>,
    dropped_total: AtomicU64,
    closing: AtomicBool,
    wake: (Mutex<bool>, Condvar),
}

impl Hub {
    /// (clients connected, messages dropped since start).
    pub fn totals(&self) -> (usize, u64) {
        (self.list().len(), self.dropped_total.load(Relaxed))
    }
    pub fn close_all(&self) {
        self.closing.store(true, Relaxed);
        self.notify();
    }
    fn list(&self) -> Vec<Arc<Peer>> {
        self.peers.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
    fn wants(&self, stream: u8) -> bool {
        self.list().iter().any(|p| p.wants(stream))
    }
    fn broadcast(&self, stream: u8, kind: &str, data: Value) {
        let msg: Arc<str> = json!({ "type": kind, "data": data }).to_string().into();
        for p in self.list() {
            if !p.offer(stream, &msg) {
                self.dropped_total.fetch_add(1, Relaxed);
            }
        }
    }
    fn notify(&self) {
        let (m, cv) = &self.wake;
        *m.lock().unwrap_or_else(|e| e.into_inner()) = true;
        cv.notify_one();
    }
    /// Waits up to `d` for a notification.
    fn sleep(&self, d: Duration) {
        let (m, cv) = &self.wake;
        let g = m.lock().unwrap_or_else(|e| e.into_inner());
        let (mut g, _) = cv
            .wait_timeout_while(g, d, |woken| !*woken)
            .unwrap_or_else(|e| e.into_inner());
        *g = false;
    }
}

// ---------------------------------------------------------------- handshake

/// Answers the upgrade request and starts the client's thread; a request
/// that is not a proper WebSocket opening gets 400 (or 426, 401).
pub fn upgrade(http: &Arc<Http>, rq: Request, out: Out) {
    let h = rq.headers();
    let has = |name: &str, word: &str| {
        header_value(h, name)
            .is_some_and(|v| v.split(',').any(|p| p.trim().eq_ignore_ascii_case(word)))
    };
    let key = header_value(h, "Sec-WebSocket-Key").map(str::to_string);
    if !has("Upgrade", "websocket") || !has("Connection", "upgrade") || key.is_none() {
        let e = ApiError::new(
            400,
            "BAD_REQUEST",
            "this endpoint speaks WebSocket: send Upgrade: websocket",
        );
        return http.reply(rq, out, Err(e));
    }
    if header_value(h, "Sec-WebSocket-Version") != Some("13") {
        let e = ApiError::new(426, "UPGRADE_REQUIRED", "WebSocket version 13 only")
            .header("Sec-WebSocket-Version", "13");
        return http.reply(rq, out, Err(e));
    }
    let offered: Vec<String> = header_value(h, "Sec-WebSocket-Protocol")
        .map(|v| v.split(',').map(|p| p.trim().to_string()).collect())
        .unwrap_or_default();
    let bearer = offered.iter().find_map(|p| p.strip_prefix("bearer."));
    let authed = if let Some(t) = bearer {
        if !token_ok(&http.srv, t.as_bytes()) {
            let e = ApiError::new(401, "UNAUTHORIZED", "invalid credentials");
            return http.reply(rq, out, Err(e));
        }
        true
    } else if header_value(h, "Authorization").is_some() {
        if let Err(e) = super::http_auth(&http.srv, h) {
            return http.reply(rq, out, Err(e));
        }
        true
    } else {
        !auth_required(&http.srv)
    };
    let mut resp = Response::empty(101)
        .with_header(header(
            "Sec-WebSocket-Accept",
            &codec::websocket_accept(key.as_deref().unwrap_or("")),
        ))
        .with_header(header("X-Request-Id", out.request_id()));
    if let Some(p) = offered
        .iter()
        .find(|p| *p == "flashdb")
        .or_else(|| offered.iter().find(|p| p.starts_with("bearer.")))
    {
        resp.add_header(header("Sec-WebSocket-Protocol", p));
    }
    let peer = rq
        .remote_addr()
        .copied()
        .unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0)));
    http.count(out.route, 101);
    let stream = rq.upgrade("websocket", resp);
    let h2 = http.clone();
    let spawned = std::thread::Builder::new()
        .name("http-ws".into())
        .spawn(move || serve(h2, stream, peer, authed));
    if let Err(e) = spawned {
        crate::warning!("WebSocket: could not start a client thread: {}", e);
    }
}

fn auth_required(srv: &Server) -> bool {
    !(srv.config().http_token.is_empty() && srv.acl.default_open())
}

/// Whether `t` is the `http-token` or the default user's password.
fn token_ok(srv: &Server, t: &[u8]) -> bool {
    let token = srv.config().http_token.clone();
    super::bearer_user(srv, &token, t).is_some()
}

// ---------------------------------------------------------------- a client

type Ws = WebSocket<Box<dyn tiny_http::ReadWrite + Send>>;

fn send(ws: &mut Ws, kind: &str, data: Value) -> tungstenite::Result<()> {
    ws.write(Message::text(
        json!({ "type": kind, "data": data }).to_string(),
    ))
}

fn error(ws: &mut Ws, code: &str, message: &str) -> tungstenite::Result<()> {
    send(ws, "error", json!({ "code": code, "message": message }))
}

/// The client's thread: reads its messages, delivers its queue.
fn serve(
    http: Arc<Http>,
    stream: Box<dyn tiny_http::ReadWrite + Send>,
    peer: SocketAddr,
    authed: bool,
) {
    // Without the socket (non-Unix), reads block: events then only go out
    // after the client's own messages.
    match super::sock::find(peer, http.port) {
        Some(s) => {
            let _ = s.set_read_timeout(Some(POLL));
            let _ = s.set_write_timeout(Some(WRITE_TIMEOUT));
            let _ = s.set_nodelay(true);
        }
        None => crate::verbose!("WebSocket {}: no socket timeouts on this platform", peer),
    }
    let cfg = WebSocketConfig::default()
        .read_buffer_size(8 * 1024)
        .max_message_size(Some(64 * 1024))
        .max_frame_size(Some(64 * 1024));
    let mut ws = WebSocket::from_raw_socket(stream, Role::Server, Some(cfg));
    let me = Arc::new(Peer {
        queue: Mutex::new(VecDeque::new()),
        dropped: AtomicU64::new(0),
        overflow: AtomicBool::new(false),
        streams: AtomicU8::new(STATS | KEYSPACE | ALERT),
        authed: AtomicBool::new(authed),
    });
    http.ws
        .peers
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(me.clone());
    http.ws.notify();
    if let Err(e) = run(&http, &mut ws, &me) {
        crate::verbose!("WebSocket {} closed: {}", peer, e);
    }
    http.ws
        .peers
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .retain(|p| !Arc::ptr_eq(p, &me));
    http.ws.notify();
}

fn welcome(srv: &Server, me: &Peer) -> Value {
    let c = srv.config();
    json!({
        "server": "flashdb",
        "version": env!("CARGO_PKG_VERSION"),
        "authenticated": me.authed.load(Relaxed),
        "streams": stream_names(me.streams.load(Relaxed)),
        "available": ["stats", "keyspace", "alert", "command"],
        "notify_keyspace_events": c.notify_keyspace_events,
    })
}

fn stream_names(mask: u8) -> Vec<&'static str> {
    STREAMS
        .iter()
        .filter(|(_, b)| mask & b != 0)
        .map(|(n, _)| *n)
        .collect()
}

fn run(http: &Http, ws: &mut Ws, me: &Peer) -> tungstenite::Result<()> {
    let srv = &http.srv;
    let started = Instant::now();
    send(ws, "welcome", welcome(srv, me))?;
    ws.flush()?;
    loop {
        if http.ws.closing.load(Relaxed) || srv.is_shutting_down() {
            let _ = ws.close(Some(CloseFrame {
                code: CloseCode::Away,
                reason: "server shutting down".into(),
            }));
            let _ = ws.flush();
            return Ok(());
        }
        match ws.read() {
            Ok(Message::Text(t)) => on_message(http, ws, me, t.as_str())?,
            Ok(Message::Binary(_)) => error(ws, "BAD_REQUEST", "send JSON text messages")?,
            Ok(_) => {}
            Err(tungstenite::Error::Io(e))
                if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => return Err(e),
        }
        if !me.authed.load(Relaxed) && started.elapsed() > AUTH_DEADLINE {
            error(ws, "UNAUTHORIZED", "no credentials within 10 s")?;
            ws.close(Some(CloseFrame {
                code: CloseCode::Policy,
                reason: "authentication required".into(),
            }))?;
            ws.flush()?;
            return Ok(());
        }
        let n = me.dropped.swap(0, Relaxed);
        let overflow = me.overflow.swap(false, Relaxed);
        if n > 0 || overflow {
            send(ws, "dropped", json!({ "count": n, "overflow": overflow }))?;
        }
        let batch: Vec<Arc<str>> = me
            .queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
            .collect();
        for m in batch {
            ws.write(Message::text(m.to_string()))?;
        }
        ws.flush()?;
    }
}

/// A message from the client: `{"auth": ...}`, `{"subscribe": [...]}`,
/// `{"unsubscribe": [...]}`, `{"type": "ping"}`.
fn on_message(http: &Http, ws: &mut Ws, me: &Peer, text: &str) -> tungstenite::Result<()> {
    let Ok(v) = serde_json::from_str::<Value>(text) else {
        return error(ws, "INVALID_JSON", "messages are JSON objects");
    };
    if let Some(t) = v.get("auth") {
        let ok = t
            .as_str()
            .is_some_and(|t| token_ok(&http.srv, t.as_bytes()))
            || !auth_required(&http.srv);
        if !ok {
            error(ws, "UNAUTHORIZED", "invalid credentials")?;
            return ws.close(Some(CloseFrame {
                code: CloseCode::Policy,
                reason: "invalid credentials".into(),
            }));
        }
        me.authed.store(true, Relaxed);
        http.ws.notify();
        return send(ws, "auth", json!({ "ok": true }));
    }
    if !me.authed.load(Relaxed) {
        return error(ws, "UNAUTHORIZED", "send {\"auth\": \"<token>\"} first");
    }
    for (field, add) in [("subscribe", true), ("unsubscribe", false)] {
        let Some(list) = v.get(field) else { continue };
        let names: Vec<&str> = list
            .as_array()
            .map(|a| a.iter().filter_map(|x| x.as_str()).collect())
            .unwrap_or_default();
        let mut mask = 0u8;
        let mut unknown = Vec::new();
        for n in names {
            match STREAMS.iter().find(|(s, _)| *s == n) {
                Some((_, b)) => mask |= b,
                None => unknown.push(n),
            }
        }
        if !unknown.is_empty() {
            error(
                ws,
                "UNKNOWN_STREAM",
                &format!(
                    "no such stream: {} (available: stats, keyspace, alert, command)",
                    unknown.join(", ")
                ),
            )?;
        }
        let cur = me.streams.load(Relaxed);
        let new = if add { mask } else { cur & !mask };
        me.streams.store(new, Relaxed);
        http.ws.notify();
        return send(ws, "subscribed", json!({ "streams": stream_names(new) }));
    }
    if v.get("type").and_then(|t| t.as_str()) == Some("ping") {
        return send(ws, "pong", json!({}));
    }
    error(
        ws,
        "BAD_REQUEST",
        "expected auth, subscribe, unsubscribe or ping",
    )
}

// ---------------------------------------------------------------- the feed

/// Starts the thread that produces every client's events.
pub fn start_feed(http: &Arc<Http>) -> std::io::Result<()> {
    let h = http.clone();
    std::thread::Builder::new()
        .name("http-ws-feed".into())
        .spawn(move || Feed::default().run(&h))
        .map(|_| ())
}

#[derive(Default)]
struct Feed {
    /// The internal Pub/Sub client behind the keyspace stream.
    sub: Option<(Arc<ClientInfo>, Subscriptions)>,
    /// The internal MONITOR client behind the command stream.
    monitor: Option<Arc<ClientInfo>>,
    /// Command events sent in the current second, and skipped since the
    /// last one sent.
    cmd_window: Option<(Instant, u32)>,
    cmd_skipped: u64,
    last_stats: Option<Instant>,
    /// Per command (calls, usec) at the last stats message.
    prev_cmds: Vec<(u64, u64)>,
    /// All commands' latency histogram at the last stats message.
    prev_hist: Option<crate::obs::hist::Snapshot>,
    prev_total: u64,
    /// Alert state.
    snapshots: Option<u64>,
    bgsave_ok: bool,
    wal_error: bool,
    memory_high: bool,
    rejected: Option<u64>,
}

impl Feed {
    fn run(mut self, http: &Arc<Http>) {
        let hub = &http.ws;
        self.bgsave_ok = true;
        while !hub.closing.load(Relaxed) && !http.srv.is_shutting_down() {
            hub.sleep(Duration::from_millis(100));
            if hub.list().is_empty() {
                self.keyspace(http, false);
                self.commands(http, false);
                continue;
            }
            self.keyspace(http, hub.wants(KEYSPACE));
            self.commands(http, hub.wants(COMMAND));
            self.alerts(http);
            let due = self
                .last_stats
                .is_none_or(|t| t.elapsed() >= Duration::from_secs(1));
            if due && hub.wants(STATS) {
                self.stats(http);
            }
        }
        self.keyspace(http, false);
        self.commands(http, false);
    }

    /// Keeps the internal MONITOR client while `want`, and forwards its
    /// lines as `command` events (rate-capped).
    fn commands(&mut self, http: &Arc<Http>, want: bool) {
        let hub = &http.ws;
        if let Some(info) = self.monitor.clone() {
            let mut raw = Vec::new();
            info.mail.take_into(&mut raw);
            for line in raw.split(|&b| b == b'\n') {
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                if let Some(ev) = monitor_event(line) {
                    self.offer_command(http, ev);
                }
            }
            let killed = info.killed.load(Relaxed);
            if !want || killed {
                if killed {
                    hub.broadcast(
                        ALERT,
                        "alert",
                        json!({"level": "warning", "kind": "command_overflow",
                               "message": "command events were lost (too many too fast)"}),
                    );
                }
                crate::obs::monitor::stop(&info);
                self.monitor = None;
            }
            return;
        }
        if !want {
            return;
        }
        let info = feed_client(http);
        crate::obs::monitor::start(&info);
        self.monitor = Some(info);
    }

    /// Sends one `command` event unless this second's quota is used up.
    fn offer_command(&mut self, http: &Http, mut ev: Value) {
        let now = Instant::now();
        let (start, sent) = self.cmd_window.get_or_insert((now, 0));
        if now.duration_since(*start) >= Duration::from_secs(1) {
            *start = now;
            *sent = 0;
        }
        if *sent >= COMMAND_RATE {
            self.cmd_skipped += 1;
            return;
        }
        *sent += 1;
        if self.cmd_skipped > 0 {
            ev["skipped"] = json!(std::mem::take(&mut self.cmd_skipped));
        }
        http.ws.broadcast(COMMAND, "command", ev);
    }

    /// Keeps the internal subscription while `want`, and forwards what
    /// arrived in its mailbox.
    fn keyspace(&mut self, http: &Arc<Http>, want: bool) {
        let hub = &http.ws;
        if let Some((info, subs)) = &mut self.sub {
            let mut raw = Vec::new();
            info.mail.take_into(&mut raw);
            if !raw.is_empty() {
                forward(http, &raw);
            }
            // Killed = it overran the Pub/Sub output limit: start over.
            if !want || info.killed.load(Relaxed) {
                if info.killed.load(Relaxed) {
                    for p in hub.list().iter().filter(|p| p.wants(KEYSPACE)) {
                        p.overflow.store(true, Relaxed);
                    }
                    hub.broadcast(
                        ALERT,
                        "alert",
                        json!({"level": "warning", "kind": "keyspace_overflow",
                               "message": "keyspace events were lost (too many too fast)"}),
                    );
                }
                pubsub::unsubscribe_all(info, subs);
                self.sub = None;
            }
            return;
        }
        if !want {
            return;
        }
        let info = feed_client(http);
        let mut subs = Subscriptions::default();
        let pats = vec![b"__keyspace@*__:*".to_vec(), b"__keyevent@*__:*".to_vec()];
        pubsub::subscribe(&info, &mut subs, Kind::Pattern, &pats, 2);
        self.sub = Some((info, subs));
    }

    fn stats(&mut self, http: &Http) {
        let srv = &http.srv;
        let now = Instant::now();
        let dt = self
            .last_stats
            .map_or(1.0, |t| now.duration_since(t).as_secs_f64().max(0.001));
        self.last_stats = Some(now);
        let text = crate::command::info::generate(
            srv,
            &[
                "server",
                "clients",
                "memory",
                "persistence",
                "stats",
                "keyspace",
            ],
        );
        let mut data = api::summary(&api::parse_info(&text));
        let t = crate::command::table::table();
        let mut cmds = serde_json::Map::new();
        let (mut calls_all, mut usec_all) = (0u64, 0u64);
        let fresh = self.prev_cmds.len() != srv.stats.cmd.len();
        if fresh {
            self.prev_cmds = vec![(0, 0); srv.stats.cmd.len()];
        }
        for (id, st) in srv.stats.cmd.iter().enumerate() {
            let cur = (st.calls.load(Relaxed), st.usec.load(Relaxed));
            let (pc, pu) = std::mem::replace(&mut self.prev_cmds[id], cur);
            let (dc, du) = (cur.0.saturating_sub(pc), cur.1.saturating_sub(pu));
            if dc > 0 && !fresh {
                calls_all += dc;
                usec_all += du;
                cmds.insert(
                    t.full_name(id),
                    json!({ "ops_per_sec": dc as f64 / dt, "avg_usec": du as f64 / dc as f64 }),
                );
            }
        }
        let total = srv.stats.commands_processed.load(Relaxed);
        let ops = if fresh {
            0.0
        } else {
            total.saturating_sub(self.prev_total) as f64 / dt
        };
        self.prev_total = total;
        let wal = crate::persist::wal().map(|w| {
            let s = w.stats();
            json!({
                "bytes_written": s.bytes_written,
                "total_bytes": s.total_bytes,
                "segments": s.segments,
                "fsyncs": s.fsyncs,
                "last_fsync": s.last_fsync,
                "last_fsync_usec": s.last_fsync_usec,
                "write_errors": s.write_errors,
                "failing": w.error().is_some(),
            })
        });
        if let Value::Object(m) = &mut data {
            m.insert("time".into(), json!(crate::store::now_ms()));
            m.insert("ops_per_sec".into(), json!(ops));
            m.insert(
                "avg_latency_usec".into(),
                json!(if calls_all > 0 {
                    usec_all as f64 / calls_all as f64
                } else {
                    0.0
                }),
            );
            m.insert("commands".into(), Value::Object(cmds));
            // p50/p99 over the commands of the last interval, from the
            // per-command histograms (src/obs/hist.rs) merged.
            let cur = crate::obs::all_commands(srv);
            let window = cur
                .as_ref()
                .zip(self.prev_hist.as_ref())
                .and_then(|(c, p)| c.since(p));
            let pct = |p: f64| {
                window
                    .as_ref()
                    .map(|w| w.value_at_percentile(p) as f64 / 1000.0)
            };
            m.insert(
                "latency_usec".into(),
                json!({ "p50": pct(50.0), "p99": pct(99.0), "p99.9": pct(99.9) }),
            );
            self.prev_hist = cur;
            m.insert("wal".into(), wal.unwrap_or(Value::Null));
            m.insert("websocket_clients".into(), json!(http.ws.list().len()));
        }
        http.ws.broadcast(STATS, "stats", data);
    }

    fn alerts(&mut self, http: &Http) {
        let srv = &http.srv;
        let p = &srv.persist;
        let alert = |level: &str, kind: &str, message: String| {
            http.ws.broadcast(
                ALERT,
                "alert",
                json!({"level": level, "kind": kind, "message": message, "time": crate::store::now_ms()}),
            );
        };
        let taken = p.snapshots_taken.load(Relaxed);
        if self.snapshots.is_some_and(|n| taken > n) {
            alert("info", "snapshot_done", "snapshot written".into());
        }
        self.snapshots = Some(taken);
        let ok = p.last_bgsave_ok.load(Relaxed);
        if self.bgsave_ok && !ok {
            alert(
                "error",
                "snapshot_failed",
                "the last snapshot failed (see the log)".into(),
            );
        }
        self.bgsave_ok = ok;
        let wal_err = crate::persist::wal().and_then(|w| w.error());
        match (&wal_err, self.wal_error) {
            (Some(e), false) => alert("error", "wal_error", format!("WAL writes failing: {e}")),
            (None, true) => alert("info", "wal_recovered", "WAL writes work again".into()),
            _ => {}
        }
        self.wal_error = wal_err.is_some();
        let max = srv.config().maxmemory;
        if max > 0 {
            let used = crate::command::info::used_memory(srv);
            if !self.memory_high && used * 10 > max * 9 {
                self.memory_high = true;
                alert(
                    "warning",
                    "memory_high",
                    format!("used memory {used} is above 90% of maxmemory {max}"),
                );
            } else if self.memory_high && used * 100 < max * 85 {
                self.memory_high = false;
            }
        }
        let rejected = srv.stats.rejected_connections.load(Relaxed);
        if let Some(prev) = self.rejected.filter(|&p| rejected > p) {
            alert(
                "warning",
                "rejected_connections",
                format!("{} connection(s) refused", rejected - prev),
            );
        }
        self.rejected = Some(rejected);
    }
}

/// An internal client whose mailbox (Pub/Sub messages, MONITOR lines)
/// wakes the feed thread.
fn feed_client(http: &Arc<Http>) -> Arc<ClientInfo> {
    let info = Arc::new(ClientInfo::internal(http.srv.clients.next_id()));
    let h = Arc::downgrade(http);
    info.mail.set_waker(Box::new(move || {
        if let Some(h) = h.upgrade() {
            h.ws.notify();
        }
    }));
    info
}

/// One MONITOR line (`+1700000000.123456 [0 127.0.0.1:5555] "SET" "k"`)
/// as a `command` event, the command text cut at 256 bytes.
fn monitor_event(line: &[u8]) -> Option<Value> {
    let line = line.strip_prefix(b"+")?;
    let sp = line.iter().position(|&b| b == b' ')?;
    let time: f64 = std::str::from_utf8(&line[..sp]).ok()?.parse().ok()?;
    let rest = line[sp + 1..].strip_prefix(b"[")?;
    let close = rest.iter().position(|&b| b == b']')?;
    let who = String::from_utf8_lossy(&rest[..close]).into_owned();
    let (db, client) = who.split_once(' ')?;
    let cmd = rest.get(close + 2..).unwrap_or_default();
    let cut = cmd.len().min(256);
    let mut text = String::from_utf8_lossy(&cmd[..cut]).into_owned();
    if cmd.len() > cut {
        text.push_str("...");
    }
    Some(json!({
        "time": time,
        "db": db.parse::<u64>().ok()?,
        "client": client,
        "command": text,
    }))
}

/// Turns mailbox bytes (pmessage pushes) into `keyspace` events. With both
/// K and E notifications on, each event arrives twice; the keyevent copy
/// is the one kept.
fn forward(http: &Http, raw: &[u8]) {
    let flags = pubsub::parse_notify_flags(&http.srv.config().notify_keyspace_events).unwrap_or(0);
    let both = flags & pubsub::NOTIFY_KEYEVENT != 0;
    let Some(msgs) = jsonmap::decode_all(raw) else {
        return;
    };
    for m in msgs {
        let parts = match m {
            crate::resp::Reply::Array(v) | crate::resp::Reply::Push(v) => v,
            _ => continue,
        };
        let bulk = |i: usize| match parts.get(i) {
            Some(crate::resp::Reply::Bulk(b)) => Some(b.clone()),
            _ => None,
        };
        let (Some(channel), Some(message)) = (bulk(2), bulk(3)) else {
            continue;
        };
        let Some((kind, db, rest)) = split_channel(&channel) else {
            continue;
        };
        let (key, event) = match kind {
            "keyevent" => (message, rest),
            _ if both => continue,
            _ => (rest, message),
        };
        http.ws.broadcast(
            KEYSPACE,
            "keyspace",
            json!({
                "db": db,
                "key": jsonmap::bytes(&key),
                "event": String::from_utf8_lossy(&event),
            }),
        );
    }
}

/// `__keyspace@3__:rest` → ("keyspace", 3, rest).
fn split_channel(ch: &[u8]) -> Option<(&'static str, usize, Vec<u8>)> {
    let (kind, tail) = if let Some(t) = ch.strip_prefix(b"__keyspace@") {
        ("keyspace", t)
    } else {
        ("keyevent", ch.strip_prefix(b"__keyevent@")?)
    };
    let end = tail.windows(3).position(|w| w == b"__:")?;
    let db = std::str::from_utf8(&tail[..end]).ok()?.parse().ok()?;
    Some((kind, db, tail[end + 3..].to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monitor_lines_become_command_events() {
        let ev = monitor_event(br#"+1700000000.123456 [3 127.0.0.1:5555] "SET" "k" "v""#).unwrap();
        assert_eq!(ev["db"], 3);
        assert_eq!(ev["client"], "127.0.0.1:5555");
        assert_eq!(ev["command"], r#""SET" "k" "v""#);
        assert!((ev["time"].as_f64().unwrap() - 1_700_000_000.123456).abs() < 1e-3);
        let long = format!("+1.5 [0 a:1] \"{}\"", "x".repeat(1000));
        let ev = monitor_event(long.as_bytes()).unwrap();
        assert!(ev["command"].as_str().unwrap().ends_with("..."));
        assert!(monitor_event(b"+OK").is_none());
    }

    #[test]
    fn channels() {
        assert_eq!(
            split_channel(b"__keyspace@3__:a:b"),
            Some(("keyspace", 3, b"a:b".to_vec()))
        );
        assert_eq!(
            split_channel(b"__keyevent@0__:set"),
            Some(("keyevent", 0, b"set".to_vec()))
        );
        assert!(split_channel(b"news").is_none());
    }

    #[test]
    fn full_queue_drops_and_counts() {
        let p = Peer {
            queue: Mutex::new(VecDeque::new()),
            dropped: AtomicU64::new(0),
            overflow: AtomicBool::new(false),
            streams: AtomicU8::new(STATS),
            authed: AtomicBool::new(true),
        };
        let m: Arc<str> = "x".into();
        for _ in 0..QUEUE_MAX + 5 {
            p.offer(STATS, &m);
        }
        assert!(p.offer(KEYSPACE, &m), "not subscribed: nothing to drop");
        assert_eq!(p.queue.lock().unwrap().len(), QUEUE_MAX);
        assert_eq!(p.dropped.load(Relaxed), 5);
    }
}
