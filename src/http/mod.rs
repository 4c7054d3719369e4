//! The web plane: REST API v1 and the WebSocket stream on `http-port`
//! (docs/API.md is the reference).
//!
//! # Threads
//! tiny_http accepts connections and reads requests on its own threads;
//! [`WORKERS`] threads of ours take requests from its queue and answer
//! them. A WebSocket upgrade moves to a thread of its own (ws.rs), so a
//! long-lived stream never holds a worker.
//!
//! # One path for data
//! Every route that reads or changes data runs commands through
//! `exec::execute_internal` with an internal `Client` (session.rs): the
//! same command table, checks, rate limit, WAL logging and stats as RESP.
//! The HTTP layer adds only what HTTP needs: routing, the JSON envelope,
//! authentication, CORS, body limits, request ids.
//!
//! # What lives where
//! - this file: start-up, the request loop, routing, envelope, errors,
//!   auth ([`http_auth`]), CORS, body limits, per-route counters;
//! - session.rs: the internal client a request runs commands with;
//! - api.rs: the REST routes; metrics.rs: Prometheus text;
//! - ws.rs: the WebSocket endpoint and its event streams;
//! - jsonmap.rs: RESP ↔ JSON; codec.rs: base64, SHA-1, percent-decoding;
//! - sock.rs: finding the socket behind a tiny_http request;
//! - static_files.rs: the dashboard (`frontend/`, embedded) at `/`.

pub mod api;
pub mod codec;
pub mod jsonmap;
pub mod key;
pub mod metrics;
pub mod session;
pub mod sock;
pub mod static_files;
pub mod ws;

use crate::server::Server;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Read;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use tiny_http::{Header, Method, Request};

/// Threads answering REST requests.
pub const WORKERS: usize = 4;

/// A body announced larger than this is never drained: tiny_http would
/// allocate its announced size to skip it (see sock.rs), so the
/// connection is cut instead.
const DRAIN_MAX: usize = 1 << 30;

const SERVER: &str = concat!("FlashDB/", env!("CARGO_PKG_VERSION"));

/// The running web plane.
pub struct Http {
    pub srv: Arc<Server>,
    server: tiny_http::Server,
    /// The port actually bound (tests start with a chosen port).
    pub port: u16,
    stopping: AtomicBool,
    /// Requests answered, by (route, status) — `flashdb_http_requests_total`.
    counters: Mutex<BTreeMap<(&'static str, u16), u64>>,
    /// Rate-limit buckets of HTTP callers, by IP address (session.rs).
    pub buckets: session::Buckets,
    /// The WebSocket clients and their event sources.
    pub ws: ws::Hub,
}

/// Binds `http-bind` (default: the first `bind` address) on `http-port`
/// and starts the workers. Ok(None) when `http-port` is 0.
pub fn start(srv: &Arc<Server>) -> Result<Option<Arc<Http>>, String> {
    let (port, addr) = {
        let c = srv.config();
        let addr = if c.http_bind.is_empty() {
            c.bind
                .first()
                .cloned()
                .unwrap_or_else(|| "127.0.0.1".into())
        } else {
            c.http_bind.clone()
        };
        (c.http_port, addr)
    };
    if port == 0 {
        return Ok(None);
    }
    let listener = crate::net::listener::bind_all(&[addr], port)
        .map_err(|e| format!("{e} (HTTP API; http-port 0 turns it off)"))?
        .pop()
        .ok_or_else(|| "HTTP: the bind address is unavailable".to_string())?;
    let bound = listener.local_addr().map_err(|e| e.to_string())?;
    let server = tiny_http::Server::from_listener(listener, None)
        .map_err(|e| format!("HTTP listener on {bound}: {e}"))?;
    let http = Arc::new(Http {
        srv: srv.clone(),
        server,
        port: bound.port(),
        stopping: AtomicBool::new(false),
        counters: Mutex::new(BTreeMap::new()),
        buckets: session::Buckets::default(),
        ws: ws::Hub::default(),
    });
    for i in 0..WORKERS {
        let h = http.clone();
        std::thread::Builder::new()
            .name(format!("http-{i}"))
            .spawn(move || h.serve())
            .map_err(|e| format!("HTTP worker thread: {e}"))?;
    }
    ws::start_feed(&http).map_err(|e| format!("WebSocket feed thread: {e}"))?;
    crate::notice!("HTTP API listening on http://{}/api/v1/", bound);
    Ok(Some(http))
}

impl Http {
    /// Stops answering: workers exit, WebSocket clients are closed.
    pub fn stop(&self) {
        self.stopping.store(true, Relaxed);
        for _ in 0..WORKERS {
            self.server.unblock();
        }
        self.ws.close_all();
    }

    fn serve(self: Arc<Self>) {
        while !self.stopping.load(Relaxed) {
            let Ok(rq) = self.server.recv() else {
                continue;
            };
            if self.stopping.load(Relaxed) {
                break;
            }
            let me = self.clone();
            // A panic while answering must not take the worker down.
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| me.handle(rq)));
            if r.is_err() {
                crate::warning!("HTTP: a request handler panicked");
            }
        }
    }

    /// Counts one answered request.
    fn count(&self, route: &'static str, status: u16) {
        *self
            .counters
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry((route, status))
            .or_insert(0) += 1;
    }

    /// (route, status, count) of every answered request kind.
    pub fn counts(&self) -> Vec<(&'static str, u16, u64)> {
        let m = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        m.iter().map(|(&(r, s), &n)| (r, s, n)).collect()
    }

    fn handle(self: &Arc<Self>, mut rq: Request) {
        let rid = request_id(rq.headers());
        let cors = cors_headers(&self.srv, rq.headers());
        let path = rq.url().split('?').next().unwrap_or("").to_string();
        let method = rq.method().clone();
        let (route, allowed) = route(&path);
        let out = Out { rid, cors, route };
        if rq.body_length().is_some_and(|n| n > DRAIN_MAX) {
            let e = ApiError::new(413, "PAYLOAD_TOO_LARGE", "request body too large");
            return self.cut(rq, out, e);
        }
        if static_files::is_static(&path) && method != Method::Options {
            let out = Out {
                route: "static",
                ..out
            };
            return static_files::serve(self, rq, out);
        }
        if method == Method::Options {
            return self.preflight(rq, out, allowed);
        }
        if route == "unknown" {
            let e = ApiError::new(404, "NOT_FOUND", &format!("no route for {path}"));
            return self.reply(rq, out, Err(e));
        }
        let allowed_here = allowed.contains(&method.as_str())
            || (method == Method::Head && allowed.contains(&"GET"));
        if !allowed_here {
            let e = ApiError::new(
                405,
                "METHOD_NOT_ALLOWED",
                &format!("{} is not allowed on {}", method, route),
            )
            .header("Allow", &allow_list(allowed));
            return self.reply(rq, out, Err(e));
        }
        if self.srv.is_shutting_down() {
            let e = ApiError::new(503, "SHUTTING_DOWN", "the server is shutting down");
            return self.reply(rq, out, Err(e));
        }
        let open = matches!(route, "/api/v1/healthz" | "/api/v1/readyz");
        if route == "/api/v1/ws" {
            return ws::upgrade(self, rq, out);
        }
        let mut user = None;
        if !open {
            match http_auth(&self.srv, rq.headers()) {
                Ok(u) => user = u,
                Err(e) => {
                    audit_auth_failure(&rq);
                    return self.reply(rq, out, Err(e));
                }
            }
        }
        let body = match read_body(&self.srv, &mut rq) {
            Ok(b) => b,
            // tiny_http then skips the rest of the body (at most DRAIN_MAX)
            // and keeps the connection.
            Err(e) => return self.reply(rq, out, Err(e)),
        };
        let peer = rq
            .remote_addr()
            .copied()
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
        let call = api::Call {
            http: self,
            method: method.as_str(),
            path: &path,
            query: codec::query_pairs(rq.url().split_once('?').map_or("", |x| x.1)),
            body,
            peer,
            user,
        };
        let result = api::dispatch(route, &call);
        self.reply(rq, out, result)
    }

    /// Answers an OPTIONS request: a CORS preflight (from an allowed
    /// origin) or a plain `Allow` list.
    fn preflight(&self, rq: Request, out: Out, allowed: &[&str]) {
        let mut h: Vec<(String, String)> = vec![("Server".into(), SERVER.into())];
        h.extend(out.cors.iter().cloned());
        if !out.cors.is_empty() {
            h.push((
                "Access-Control-Allow-Methods".into(),
                "GET, HEAD, PUT, POST, DELETE, OPTIONS".into(),
            ));
            h.push((
                "Access-Control-Allow-Headers".into(),
                "Authorization, Content-Type, X-Request-Id".into(),
            ));
            h.push(("Access-Control-Max-Age".into(), "600".into()));
        }
        if out.route != "unknown" {
            h.push(("Allow".into(), allow_list(allowed)));
        }
        h.push(("X-Request-Id".into(), out.rid.clone()));
        self.count(out.route, 204);
        let h: Vec<(&str, &str)> = h.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        static_files::respond_close(rq, 204, &h, b"", true);
    }

    /// Writes the envelope (or, for metrics, the text) with the common
    /// headers, and counts the request.
    fn reply(&self, rq: Request, out: Out, result: Result<Answer, ApiError>) {
        let (status, body, ctype, headers) = match result {
            Ok(Answer::Json(status, data)) => (
                status,
                envelope(true, "data", &data, &out.rid),
                "application/json",
                Vec::new(),
            ),
            Ok(Answer::Text(text, ctype)) => (200, text, ctype, Vec::new()),
            Err(e) => {
                let err = json!({"code": e.code, "message": e.message, "details": e.details});
                let body = envelope(false, "error", &err, &out.rid);
                (e.status, body, "application/json", e.headers)
            }
        };
        let mut h: Vec<(&str, &str)> = vec![
            ("Content-Type", ctype),
            ("Server", SERVER),
            ("Cache-Control", "no-store"),
            ("X-Request-Id", &out.rid),
        ];
        for (k, v) in out.cors.iter().chain(headers.iter()) {
            h.push((k, v));
        }
        self.count(out.route, status);
        // Connection: close on every answer (see static_files::respond_close).
        let head_only = *rq.method() == Method::Head;
        static_files::respond_close(rq, status, &h, body.as_bytes(), head_only);
    }

    /// Answers a request whose announced body is too large to drain: the
    /// 413 goes straight to the socket, the connection is shut, and the
    /// request is never dropped (dropping it would make tiny_http allocate
    /// the announced size to skip the body; see sock.rs). That parks one
    /// tiny_http connection thread instead of risking the process.
    fn cut(&self, rq: Request, out: Out, e: ApiError) {
        use std::io::Write;
        let err = json!({"code": e.code, "message": e.message, "details": {}});
        let body = envelope(false, "error", &err, &out.rid);
        let head = format!(
            "HTTP/1.1 {} Payload Too Large\r\nContent-Type: application/json\r\nContent-Length: {}\r\nX-Request-Id: {}\r\nConnection: close\r\n\r\n",
            e.status,
            body.len(),
            out.rid
        );
        let peer = rq.remote_addr().copied();
        if let Some(mut s) = peer.and_then(|p| sock::find(p, self.port)) {
            let _ = s.write_all(head.as_bytes());
            let _ = s.write_all(body.as_bytes());
            let _ = s.shutdown(std::net::Shutdown::Both);
        }
        self.count(out.route, e.status);
        crate::verbose!(
            "HTTP: cut a connection announcing a {} byte body",
            rq.body_length().unwrap_or(0)
        );
        std::mem::forget(rq);
    }
}

/// `{"success": .., "<field>": .., "request_id": ..}` in that order (a
/// JSON object built with serde_json would sort its keys).
fn envelope(success: bool, field: &str, v: &Value, rid: &str) -> String {
    format!(
        "{{\"success\":{},\"{}\":{},\"request_id\":{}}}",
        success,
        field,
        v,
        Value::String(rid.to_string())
    )
}

/// What a route answers with on success.
pub enum Answer {
    /// The envelope's `data`, with this status.
    Json(u16, Value),
    /// Plain text (Prometheus metrics) and its content type.
    Text(String, &'static str),
}

/// A failed request: status, the envelope's error code and message,
/// optional details and extra headers (`Allow`, `WWW-Authenticate`, ...).
#[derive(Debug)]
pub struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    pub details: Value,
    pub headers: Vec<(String, String)>,
}

impl ApiError {
    pub fn new(status: u16, code: &'static str, message: &str) -> ApiError {
        ApiError {
            status,
            code,
            message: message.to_string(),
            details: json!({}),
            headers: Vec::new(),
        }
    }
    pub fn bad(message: &str) -> ApiError {
        ApiError::new(400, "BAD_REQUEST", message)
    }
    pub fn header(mut self, k: &str, v: &str) -> ApiError {
        self.headers.push((k.to_string(), v.to_string()));
        self
    }
    pub fn details(mut self, d: Value) -> ApiError {
        self.details = d;
        self
    }
}

/// The per-request parts every answer shares.
pub struct Out {
    rid: String,
    cors: Vec<(String, String)>,
    route: &'static str,
}

impl Out {
    pub fn request_id(&self) -> &str {
        &self.rid
    }
}

/// Every REST/WebSocket route: its label (the path; `:key` stands for
/// the rest of the path) and its methods (HEAD and OPTIONS go with them).
/// docs/openapi.json lists exactly these (tests/openapi.rs checks it).
pub const ROUTES: &[(&str, &[&str])] = &[
    ("/api/v1/healthz", &["GET"]),
    ("/api/v1/readyz", &["GET"]),
    ("/api/v1/stats", &["GET"]),
    ("/api/v1/keys", &["GET"]),
    ("/api/v1/key/:key", &["GET", "PUT", "DELETE"]),
    ("/api/v1/execute", &["POST"]),
    ("/api/v1/clients", &["GET"]),
    ("/api/v1/slowlog", &["GET"]),
    ("/api/v1/metrics", &["GET"]),
    ("/api/v1/config", &["GET", "PUT"]),
    ("/api/v1/snapshot", &["POST"]),
    ("/api/v1/snapshots", &["GET"]),
    ("/api/v1/ws", &["GET"]),
];

/// The route a path belongs to (its label in metrics) and its methods.
fn route(path: &str) -> (&'static str, &'static [&'static str]) {
    let label = if path.starts_with("/api/v1/key/") {
        "/api/v1/key/:key"
    } else if path == "/ws" {
        "/api/v1/ws"
    } else {
        path
    };
    ROUTES
        .iter()
        .find(|(r, _)| *r == label)
        .map_or(("unknown", &[]), |&(r, m)| (r, m))
}

fn allow_list(allowed: &[&str]) -> String {
    let mut v: Vec<&str> = allowed.to_vec();
    if v.contains(&"GET") {
        v.push("HEAD");
    }
    v.push("OPTIONS");
    v.join(", ")
}

fn header(k: &str, v: &str) -> Header {
    Header::from_bytes(k.as_bytes(), v.as_bytes())
        .unwrap_or_else(|_| Header::from_bytes(&b"X-Invalid-Header"[..], &b"1"[..]).expect("ascii"))
}

/// The value of request header `name` (case-insensitive).
pub fn header_value<'a>(headers: &'a [Header], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str())
}

/// The client's `X-Request-Id` when it is sane (1–64 of `[A-Za-z0-9._:-]`),
/// else a fresh `req_<16 hex digits>`.
fn request_id(headers: &[Header]) -> String {
    match header_value(headers, "X-Request-Id") {
        Some(v)
            if !v.is_empty()
                && v.len() <= 64
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b)) =>
        {
            v.to_string()
        }
        _ => format!("req_{:016x}", crate::store::rand_u64()),
    }
}

/// CORS response headers for the request's `Origin`, if `http-cors-origins`
/// allows it: the origin itself (with credentials allowed), or `*` when
/// the list says `*` (then never with credentials).
fn cors_headers(srv: &Server, headers: &[Header]) -> Vec<(String, String)> {
    let Some(origin) = header_value(headers, "Origin") else {
        return Vec::new();
    };
    let c = srv.config();
    let list: Vec<&str> = c.http_cors_origins.split_whitespace().collect();
    let mut out = Vec::new();
    if list.contains(&origin) {
        out.push(("Access-Control-Allow-Origin".into(), origin.to_string()));
        out.push(("Access-Control-Allow-Credentials".into(), "true".into()));
        out.push(("Vary".into(), "Origin".into()));
    } else if list.contains(&"*") {
        out.push(("Access-Control-Allow-Origin".into(), "*".into()));
    } else {
        return out;
    }
    out.push((
        "Access-Control-Expose-Headers".into(),
        "X-Request-Id".into(),
    ));
    out
}

/// Checks a request's credentials. With neither `requirepass` nor
/// `http-token` set, everyone is let in. Otherwise the request needs
/// `Authorization: Bearer <token>` (the `http-token`, or the password) or
/// `Authorization: Basic <default:password>`. Err is the 401 to send.
///
/// One place to extend for ACL users: map the Basic user name to its user.
pub fn http_auth(
    srv: &Server,
    headers: &[Header],
) -> Result<Option<Arc<crate::acl::User>>, ApiError> {
    let token = srv.config().http_token.clone();
    if token.is_empty() && srv.acl.default_open() {
        return Ok(None);
    }
    let unauthorized = |msg: &str| {
        ApiError::new(401, "UNAUTHORIZED", msg)
            .header("WWW-Authenticate", "Bearer realm=\"flashdb\"")
            .header(
                "WWW-Authenticate",
                "Basic realm=\"flashdb\", charset=\"UTF-8\"",
            )
    };
    let Some(auth) = header_value(headers, "Authorization") else {
        return Err(unauthorized("authentication required"));
    };
    let (scheme, cred) = auth.trim().split_once(' ').unwrap_or((auth, ""));
    let user = if scheme.eq_ignore_ascii_case("bearer") {
        bearer_user(srv, &token, cred.trim().as_bytes())
    } else if scheme.eq_ignore_ascii_case("basic") {
        codec::base64_decode(cred.trim()).and_then(|raw| {
            let i = raw.iter().position(|&b| b == b':')?;
            let (user, p) = (&raw[..i], &raw[i + 1..]);
            let user: &[u8] = if user.is_empty() { b"default" } else { user };
            password_user(srv, user, p).map(Some)
        })
    } else {
        None
    };
    user.ok_or_else(|| unauthorized("invalid credentials"))
}

/// A bearer token: the `http-token` (the request runs as the default
/// user: `Some(None)`), or the default user's password.
pub fn bearer_user(srv: &Server, token: &str, t: &[u8]) -> Option<Option<Arc<crate::acl::User>>> {
    if !token.is_empty() && codec::secret_eq(t, token.as_bytes()) {
        return Some(None);
    }
    password_user(srv, b"default", t).map(Some)
}

/// The ACL user `name` if `password` is one of its passwords. A `nopass`
/// user (which AUTH accepts with any password) cannot sign in over HTTP:
/// with `http-token` set, that would make the token pointless.
fn password_user(srv: &Server, name: &[u8], password: &[u8]) -> Option<Arc<crate::acl::User>> {
    srv.acl.authenticate(name, password).filter(|u| !u.nopass())
}

/// The audit log's line for refused HTTP credentials (src/audit.rs).
fn audit_auth_failure(rq: &Request) {
    if !crate::audit::enabled() || header_value(rq.headers(), "Authorization").is_none() {
        return;
    }
    let who = crate::audit::Who {
        client_id: 0,
        addr: rq.remote_addr().map(|a| a.to_string()).unwrap_or_default(),
        user: "default",
    };
    crate::audit::record("auth_failure", &who, &[("command", "http")]);
}

/// The body of a PUT/POST, at most `http-max-body` bytes (413 beyond).
fn read_body(srv: &Server, rq: &mut Request) -> Result<Vec<u8>, ApiError> {
    let cap = srv.config().http_max_body as usize;
    let too_large = || {
        ApiError::new(
            413,
            "PAYLOAD_TOO_LARGE",
            &format!("request body larger than http-max-body ({cap} bytes)"),
        )
    };
    if rq.body_length().is_some_and(|n| n > cap) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    rq.as_reader()
        .take(cap as u64 + 1)
        .read_to_end(&mut body)
        .map_err(|e| ApiError::bad(&format!("could not read the body: {e}")))?;
    if body.len() > cap {
        return Err(too_large());
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn get(port: u16, path: &str, body: Option<&str>) -> (u16, String) {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        let req = match body {
            None => format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
            Some(b) => format!(
                "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{b}",
                b.len()
            ),
        };
        s.write_all(req.as_bytes()).unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        let status = out[9..12].parse().unwrap();
        (status, out)
    }

    #[test]
    fn readyz_and_commands_wait_for_recovery() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let c = crate::config::Config {
            http_port: port,
            ..Default::default()
        };
        let srv = Arc::new(Server::new(c));
        srv.persist.loading.store(true, Relaxed);
        let h = start(&srv).unwrap().expect("listening");
        let (status, body) = get(port, "/api/v1/readyz", None);
        assert_eq!(status, 503, "{body}");
        assert!(body.contains("\"NOT_READY\""));
        assert_eq!(get(port, "/api/v1/healthz", None).0, 200);
        let (status, body) = get(port, "/api/v1/execute", Some(r#"{"command":["GET","k"]}"#));
        assert_eq!(status, 503, "{body}");
        assert!(body.contains("\"LOADING\""));
        srv.persist.loading.store(false, Relaxed);
        assert_eq!(get(port, "/api/v1/readyz", None).0, 200);
        assert_eq!(
            get(port, "/api/v1/execute", Some(r#"{"command":["GET","k"]}"#)).0,
            200
        );
        // Once shutdown has begun, every route answers 503 SHUTTING_DOWN.
        srv.shutting_down.store(true, Relaxed);
        for route in ["/api/v1/healthz", "/api/v1/stats"] {
            let (status, body) = get(port, route, None);
            assert_eq!(status, 503, "{route}: {body}");
            assert!(body.contains("\"SHUTTING_DOWN\""), "{body}");
        }
        h.stop();
    }
}
