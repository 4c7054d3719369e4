//! The internal client an HTTP request runs its commands with.
//!
//! A [`Session`] is a `Client` that no socket backs and CLIENT LIST does
//! not show, already authenticated (HTTP checked the credentials), in the
//! request's DB. Its commands go through `exec::execute_internal` — the
//! same checks, rate limit, WAL logging and stats as a RESP connection —
//! and when the session ends, its writes are as durable as `appendfsync`
//! promises before the response leaves (as a RESP reply would be).
//!
//! Rate limiting: RESP buckets are per connection; an HTTP caller often
//! opens a connection per request, so HTTP buckets are per client IP
//! address, kept between requests in [`Buckets`].

use super::{jsonmap, ApiError};
use crate::exec::{execute_internal, resolve};
use crate::ratelimit::Bucket;
use crate::resp::Reply;
use crate::server::{Client, ClientInfo};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

/// Rate-limit buckets by caller IP. Bounded: past `MAX_BUCKETS` callers
/// the table starts over (buckets start full, so that only forgives).
#[derive(Default)]
pub struct Buckets(Mutex<HashMap<IpAddr, Bucket>>);

const MAX_BUCKETS: usize = 65536;

impl Buckets {
    fn take(&self, ip: IpAddr) -> Bucket {
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        m.remove(&ip).unwrap_or_default()
    }
    fn put(&self, ip: IpAddr, b: Bucket) {
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if m.len() >= MAX_BUCKETS {
            m.clear();
        }
        m.insert(ip, b);
    }
}

/// Commands that make no sense on a connection that ends with the
/// request: they would subscribe or stream forever.
const NOT_OVER_HTTP: &[&str] = &[
    "subscribe",
    "psubscribe",
    "ssubscribe",
    "unsubscribe",
    "punsubscribe",
    "sunsubscribe",
    "monitor",
    "sync",
    "psync",
];

pub struct Session<'a> {
    http: &'a super::Http,
    pub client: Client,
    ip: IpAddr,
    /// This thread's WAL position before the session's first command.
    ticket: u64,
}

impl<'a> Session<'a> {
    /// A session for a caller at `peer`.
    pub fn new(http: &'a super::Http, peer: SocketAddr) -> Session<'a> {
        let mut info = ClientInfo::internal(http.srv.clients.next_id());
        info.addr = peer;
        let mut client = Client::new(Arc::new(info));
        client.authenticated = true;
        client.bucket = http.buckets.take(peer.ip());
        Session {
            http,
            client,
            ip: peer.ip(),
            ticket: crate::persist::ticket(),
        }
    }

    /// Selects DB `db` (the `db` query parameter or body field).
    pub fn select(&mut self, db: Option<usize>) -> Result<(), ApiError> {
        let Some(db) = db else { return Ok(()) };
        if db >= self.http.srv.store.dbs.len() {
            return Err(ApiError::bad("DB index is out of range"));
        }
        self.client.select(db);
        Ok(())
    }

    /// Runs one command and returns its reply, errors included; Err only
    /// for what HTTP refuses before running it (limits, streaming commands).
    pub fn run(&mut self, args: Vec<Vec<u8>>) -> Result<Reply, ApiError> {
        if args.is_empty() {
            return Err(ApiError::bad("empty command"));
        }
        let max = self
            .http
            .srv
            .hot
            .proto_max_bulk_len
            .load(std::sync::atomic::Ordering::Relaxed);
        if args.iter().any(|a| a.len() as u64 > max) {
            return Err(ApiError::bad(
                "an argument is larger than proto-max-bulk-len",
            ));
        }
        if let Ok((_, spec)) = resolve(&args) {
            if NOT_OVER_HTTP.contains(&spec.name) {
                return Err(ApiError::new(
                    400,
                    "NOT_SUPPORTED",
                    &format!(
                        "{} is not available over HTTP; use the WebSocket stream",
                        spec.name.to_uppercase()
                    ),
                ));
            }
        }
        Ok(execute_internal(&self.http.srv, &mut self.client, &args))
    }

    /// Runs one command; an error reply becomes the ApiError it maps to.
    pub fn call(&mut self, args: Vec<Vec<u8>>) -> Result<Reply, ApiError> {
        match self.run(args)? {
            Reply::Error(e) => Err(command_error(&e)),
            r => Ok(r),
        }
    }

    /// `call` with string arguments.
    pub fn cmd(&mut self, args: &[&[u8]]) -> Result<Reply, ApiError> {
        self.call(args.iter().map(|a| a.to_vec()).collect())
    }
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        crate::exec::flush_stats(&self.http.srv, &mut self.client);
        if self.client.info.mail.subscribed() {
            crate::pubsub::unsubscribe_all(&self.client.info, &mut self.client.subs);
        }
        // CLIENT TRACKING ON ends with the request too.
        crate::tracking::disable(&self.client.info);
        self.client
            .info
            .closed
            .store(true, std::sync::atomic::Ordering::Relaxed);
        if self.client.multi.is_some() || !self.client.watched.is_empty() {
            // A MULTI or WATCH left open ends with the request.
            crate::command::tx::discard_state(&self.http.srv, &mut self.client);
        }
        self.http
            .buckets
            .put(self.ip, std::mem::take(&mut self.client.bucket));
        wait_durable(self.ticket);
    }
}

/// Waits until the records this thread logged since `before` are as safe
/// as `appendfsync` promises (the RESP connection's rule, net/conn.rs).
fn wait_durable(before: u64) {
    let t = crate::persist::ticket();
    if t == before {
        return;
    }
    let Some(w) = crate::persist::wal() else {
        return;
    };
    if w.fsync_policy() == crate::persist::wal::FsyncPolicy::Always {
        w.request_sync(t);
    } else {
        w.write_through(t);
    }
    // A failing disk: give up after a while rather than hold the worker;
    // the write is then refused to later callers with -MISCONF anyway.
    for _ in 0..50 {
        if w.wait(t).is_ok() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// The HTTP status and envelope code of a Redis error reply (docs/API.md,
/// "Status codes").
pub fn command_error(text: &str) -> ApiError {
    let word = text.split(' ').next().unwrap_or("ERR");
    let (status, code) = if text.starts_with("ERR rate limit exceeded") {
        (429, "RATE_LIMITED")
    } else {
        match word {
            "WRONGTYPE" => (409, "WRONG_TYPE"),
            "NOAUTH" | "WRONGPASS" => (401, "UNAUTHORIZED"),
            "NOPERM" => (403, "FORBIDDEN"),
            "LOADING" => (503, "LOADING"),
            "MISCONF" => (503, "PERSISTENCE_ERROR"),
            "OOM" => (507, "OUT_OF_MEMORY"),
            "BUSY" | "BUSYKEY" => (409, "CONFLICT"),
            _ => (400, "COMMAND_ERROR"),
        }
    };
    let mut e = ApiError::new(status, code, text).details(serde_json::json!({ "reply": word }));
    if status == 429 {
        e = e.header("Retry-After", "1");
    }
    e
}

/// The arguments of a JSON command array (`["SET", "k", "v"]`).
pub fn args_of(v: &serde_json::Value) -> Result<Vec<Vec<u8>>, ApiError> {
    let arr = v
        .as_array()
        .ok_or_else(|| ApiError::bad("a command is a JSON array of arguments"))?;
    if arr.is_empty() {
        return Err(ApiError::bad("empty command"));
    }
    arr.iter()
        .map(|a| jsonmap::arg(a).map_err(|m| ApiError::bad(&m)))
        .collect()
}
