//! The REST routes of API v1 (docs/API.md). Each runs commands through a
//! [`Session`]; the only things read directly are files (the snapshot
//! list) and a key's memory estimate (no MEMORY USAGE command yet).

use super::session::{args_of, command_error, Session};
use super::{jsonmap, Answer, ApiError, Http};
use crate::resp::Reply;
use serde_json::{json, Map, Value};
use std::net::SocketAddr;
use std::sync::Arc;

/// One parsed request, as the routes see it.
pub struct Call<'a> {
    pub http: &'a Arc<Http>,
    pub method: &'a str,
    pub path: &'a str,
    pub query: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
    pub peer: SocketAddr,
    /// The ACL user Basic auth named (None = the default user).
    pub user: Option<Arc<crate::acl::User>>,
}

type Res = Result<Answer, ApiError>;

impl Call<'_> {
    pub fn q(&self, name: &str) -> Option<&[u8]> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_slice())
    }

    /// A numeric query parameter within `min..=max`.
    pub fn q_num(&self, name: &str, min: u64, max: u64) -> Result<Option<u64>, ApiError> {
        let Some(v) = self.q(name) else {
            return Ok(None);
        };
        std::str::from_utf8(v)
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
            .filter(|n| (min..=max).contains(n))
            .map(Some)
            .ok_or_else(|| {
                ApiError::bad(&format!("'{name}' must be an integer from {min} to {max}"))
            })
    }

    pub fn body_json(&self) -> Result<Value, ApiError> {
        if self.body.is_empty() {
            return Err(ApiError::new(
                400,
                "INVALID_JSON",
                "the request body is empty",
            ));
        }
        serde_json::from_slice(&self.body)
            .map_err(|e| ApiError::new(400, "INVALID_JSON", &format!("invalid JSON: {e}")))
    }

    /// A session in the DB the `db` query parameter names (default 0).
    pub fn session(&self) -> Result<Session<'_>, ApiError> {
        let mut s = Session::new(self.http, self.peer);
        if let Some(u) = &self.user {
            // Its commands pass that user's ACL (re-read on the first one).
            s.client.info.set_user_name(&u.name);
            s.client.user = u.clone();
        }
        s.select(self.q_num("db", 0, u32::MAX as u64)?.map(|d| d as usize))?;
        Ok(s)
    }
}

fn ok(data: Value) -> Res {
    Ok(Answer::Json(200, data))
}

/// Runs the route's handler.
pub fn dispatch(route: &str, c: &Call) -> Res {
    match (route, c.method) {
        ("/api/v1/healthz", _) => ok(json!({
            "status": "ok",
            "uptime_seconds": c.http.srv.uptime_secs(),
        })),
        ("/api/v1/readyz", _) => readyz(c),
        ("/api/v1/stats", _) => stats(c),
        ("/api/v1/keys", _) => keys(c),
        ("/api/v1/key/:key", "PUT") => super::key::put_key(c),
        ("/api/v1/key/:key", "DELETE") => delete_key(c),
        ("/api/v1/key/:key", _) => super::key::get_key(c),
        ("/api/v1/execute", _) => execute(c),
        ("/api/v1/clients", _) => clients(c),
        ("/api/v1/slowlog", _) => slowlog(c),
        ("/api/v1/metrics", _) => Ok(Answer::Text(
            super::metrics::render(c.http),
            "text/plain; version=0.0.4; charset=utf-8",
        )),
        ("/api/v1/config", "PUT") => config_put(c),
        ("/api/v1/config", _) => config_get(c),
        ("/api/v1/snapshot", _) => snapshot(c),
        ("/api/v1/snapshots", _) => snapshots(c),
        _ => Err(ApiError::new(404, "NOT_FOUND", "no such route")),
    }
}

fn readyz(c: &Call) -> Res {
    if c.http
        .srv
        .persist
        .loading
        .load(std::sync::atomic::Ordering::SeqCst)
    {
        return Err(ApiError::new(
            503,
            "NOT_READY",
            "recovery is still loading the dataset",
        ));
    }
    ok(json!({ "ready": true }))
}

// ---------------------------------------------------------------- stats

/// INFO text as `{section: {field: value}}`: numbers become numbers, and
/// `a=1,b=2` values (keyspace, commandstats, errorstats) objects.
pub fn parse_info(text: &str) -> Map<String, Value> {
    let mut out = Map::new();
    let mut section = String::from("info");
    for line in text.lines() {
        let line = line.trim_end();
        if let Some(name) = line.strip_prefix("# ") {
            section = name.to_lowercase();
            out.entry(section.clone()).or_insert_with(|| json!({}));
            continue;
        }
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let value = if v.contains('=') && !v.contains(' ') {
            let mut m = Map::new();
            for part in v.split(',') {
                if let Some((a, b)) = part.split_once('=') {
                    m.insert(a.to_string(), scalar(b));
                }
            }
            Value::Object(m)
        } else {
            scalar(v)
        };
        if let Some(Value::Object(m)) = out.get_mut(&section) {
            m.insert(k.to_string(), value);
        }
    }
    out
}

/// A number when the text is one, else the text.
pub fn scalar(v: &str) -> Value {
    if let Ok(i) = v.parse::<i64>() {
        return json!(i);
    }
    match v.parse::<f64>() {
        Ok(f) if f.is_finite() && v.bytes().all(|b| b.is_ascii_digit() || b"-.".contains(&b)) => {
            json!(f)
        }
        _ => Value::String(v.to_string()),
    }
}

/// INFO everything, parsed.
pub fn info(s: &mut Session) -> Result<Map<String, Value>, ApiError> {
    match s.cmd(&[b"INFO", b"everything"])? {
        Reply::Verbatim(t) | Reply::Bulk(t) => Ok(parse_info(&String::from_utf8_lossy(&t))),
        _ => Err(ApiError::new(500, "INTERNAL", "unexpected INFO reply")),
    }
}

/// The headline numbers of parsed INFO (the stats route and the
/// WebSocket `stats` message share them).
pub fn summary(info: &Map<String, Value>) -> Value {
    let get = |s: &str, k: &str| info.get(s).and_then(|m| m.get(k)).cloned();
    let n = |s: &str, k: &str| get(s, k).and_then(|v| v.as_f64()).unwrap_or(0.0);
    let (hits, misses) = (n("stats", "keyspace_hits"), n("stats", "keyspace_misses"));
    let mut keys = Map::new();
    let mut total = 0u64;
    if let Some(Value::Object(ks)) = info.get("keyspace") {
        for (db, v) in ks {
            let k = v.get("keys").and_then(|x| x.as_u64()).unwrap_or(0);
            total += k;
            keys.insert(db.trim_start_matches("db").to_string(), json!(k));
        }
    }
    json!({
        "version": get("server", "flashdb_version"),
        "redis_version": get("server", "redis_version"),
        "uptime_seconds": get("server", "uptime_in_seconds"),
        "connected_clients": get("clients", "connected_clients"),
        "blocked_clients": get("clients", "blocked_clients"),
        "used_memory": get("memory", "used_memory"),
        "used_memory_rss": get("memory", "used_memory_rss"),
        "maxmemory": get("memory", "maxmemory"),
        "ops_per_sec": get("stats", "instantaneous_ops_per_sec"),
        "total_commands_processed": get("stats", "total_commands_processed"),
        "keyspace_hits": hits as u64,
        "keyspace_misses": misses as u64,
        "hit_rate": if hits + misses > 0.0 { hits / (hits + misses) } else { 0.0 },
        "expired_keys": get("stats", "expired_keys"),
        "evicted_keys": get("stats", "evicted_keys"),
        "rejected_connections": get("stats", "rejected_connections"),
        "rate_limited_commands": get("stats", "rate_limited_commands"),
        "keys": total,
        "keys_per_db": keys,
        "wal_enabled": get("persistence", "aof_enabled"),
        "wal_bytes": get("persistence", "aof_current_size"),
        "changes_since_last_snapshot": get("persistence", "rdb_changes_since_last_save"),
        "last_snapshot_time": get("persistence", "rdb_last_save_time"),
        "last_snapshot_status": get("persistence", "rdb_last_bgsave_status"),
        "loading": get("persistence", "loading"),
    })
}

fn stats(c: &Call) -> Res {
    let mut s = c.session()?;
    let info = info(&mut s)?;
    ok(json!({ "summary": summary(&info), "info": info }))
}

// ---------------------------------------------------------------- keys

fn keys(c: &Call) -> Res {
    let cursor = match c.q("cursor") {
        Some(v) if !v.is_empty() && v.iter().all(u8::is_ascii_digit) && v.len() <= 20 => v.to_vec(),
        Some(_) => return Err(ApiError::bad("'cursor' must be a decimal SCAN cursor")),
        None => b"0".to_vec(),
    };
    let count = c.q_num("count", 1, 10_000)?.unwrap_or(100);
    let mut args: Vec<Vec<u8>> = vec![b"SCAN".to_vec(), cursor];
    args.extend([b"COUNT".to_vec(), count.to_string().into_bytes()]);
    if let Some(m) = c.q("match") {
        args.extend([b"MATCH".to_vec(), m.to_vec()]);
    }
    if let Some(t) = c.q("type") {
        args.extend([b"TYPE".to_vec(), t.to_vec()]);
    }
    let mut s = c.session()?;
    let db = s.client.db;
    let Reply::Array(parts) = s.call(args)? else {
        return Err(ApiError::new(500, "INTERNAL", "unexpected SCAN reply"));
    };
    let next = match parts.first() {
        Some(Reply::Bulk(b)) => String::from_utf8_lossy(b).into_owned(),
        _ => "0".into(),
    };
    let keys = match parts.get(1) {
        Some(r) => jsonmap::reply(r),
        None => json!([]),
    };
    ok(json!({ "db": db, "cursor": next, "done": next == "0", "keys": keys }))
}

/// The key named by the path after `/api/v1/key/`, percent-decoded.
pub fn key_of(c: &Call) -> Result<Vec<u8>, ApiError> {
    let raw = c.path.strip_prefix("/api/v1/key/").unwrap_or("");
    let key = super::codec::percent_decode(raw)
        .ok_or_else(|| ApiError::bad("malformed percent-encoding in the key"))?;
    if key.is_empty() {
        return Err(ApiError::bad("empty key (use POST /api/v1/execute for it)"));
    }
    Ok(key)
}

pub fn not_found(key: &[u8]) -> ApiError {
    ApiError::new(
        404,
        "KEY_NOT_FOUND",
        &format!("The key '{}' does not exist", String::from_utf8_lossy(key)),
    )
    .details(json!({ "key": jsonmap::bytes(key) }))
}

fn delete_key(c: &Call) -> Res {
    let key = key_of(c)?;
    let mut s = c.session()?;
    match s.cmd(&[b"DEL", &key])? {
        Reply::Int(0) => Err(not_found(&key)),
        _ => ok(json!({ "key": jsonmap::bytes(&key), "db": s.client.db, "deleted": true })),
    }
}

// ---------------------------------------------------------------- execute

fn execute(c: &Call) -> Res {
    let body = c.body_json()?;
    let mut s = c.session()?;
    if let Some(db) = body.get("db") {
        let db = db
            .as_u64()
            .ok_or_else(|| ApiError::bad("'db' must be a number"))?;
        s.select(Some(db as usize))?;
    }
    match body.get("resp").map(|v| v.as_u64()) {
        None | Some(Some(2)) => {}
        Some(Some(3)) => {
            s.client.resp = 3;
            s.client
                .info
                .resp
                .store(3, std::sync::atomic::Ordering::Relaxed);
        }
        _ => return Err(ApiError::bad("'resp' must be 2 or 3")),
    }
    // "typed": every reply as a tree of typed nodes (what redis-cli needs
    // to format it), and error replies in-band rather than as the error
    // envelope: for a console an error is an answer like any other.
    let typed = match body.get("typed") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(ApiError::bad("'typed' must be true or false")),
    };
    // The reply as the protocol puts it on the wire (RESP2 turns maps into
    // flat arrays and doubles into strings, as redis-cli shows); the
    // protocol after the command, so HELLO 3's own reply is RESP3.
    let one = |r: &Reply, proto: u8| {
        let mut wire = Vec::new();
        r.encode(&mut wire, proto);
        if typed {
            let tree = match jsonmap::typed_all(&wire) {
                Some(mut v) if v.len() == 1 => v.remove(0),
                Some(v) => json!({ "type": "array", "value": v }),
                None => {
                    return Err(ApiError::new(
                        500,
                        "INTERNAL",
                        "a reply could not be decoded",
                    ))
                }
            };
            return Ok(json!({ "type": tree["type"].clone(), "reply": tree }));
        }
        let r = Reply::Raw(wire);
        Ok(json!({ "reply": jsonmap::reply(&r), "type": jsonmap::type_name(&r) }))
    };
    if let Some(list) = body.get("commands") {
        let list = list
            .as_array()
            .ok_or_else(|| ApiError::bad("'commands' must be an array of commands"))?;
        let cmds = list.iter().map(args_of).collect::<Result<Vec<_>, _>>()?;
        let mut out = Vec::new();
        for args in cmds {
            out.push(match s.run(args) {
                Ok(r @ Reply::Error(_)) if typed => one(&r, s.client.resp)?,
                Ok(Reply::Error(e)) => json!({ "error": e, "type": "error" }),
                Ok(r) => one(&r, s.client.resp)?,
                Err(e) if typed => json!({
                    "type": "error",
                    "reply": { "type": "error", "value": e.message },
                }),
                Err(e) => json!({ "error": e.message, "type": "error" }),
            });
        }
        return ok(json!({ "replies": out }));
    }
    let args =
        args_of(body.get("command").ok_or_else(|| {
            ApiError::bad("the body needs \"command\": [\"NAME\", \"arg\", ...]")
        })?)?;
    match s.run(args)? {
        Reply::Error(e) if !typed => Err(command_error(&e)),
        r => ok(one(&r, s.client.resp)?),
    }
}

// ---------------------------------------------------------------- monitoring

/// CLIENT LIST as objects (numeric fields as numbers).
fn clients(c: &Call) -> Res {
    let mut s = c.session()?;
    let text = match s.cmd(&[b"CLIENT", b"LIST"])? {
        Reply::Bulk(t) | Reply::Verbatim(t) => String::from_utf8_lossy(&t).into_owned(),
        _ => String::new(),
    };
    let list: Vec<Value> = text
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut m = Map::new();
            for part in l.split(' ') {
                if let Some((k, v)) = part.split_once('=') {
                    let v = match v.parse::<i64>() {
                        Ok(n) if k != "name" => json!(n),
                        _ => json!(v),
                    };
                    m.insert(k.to_string(), v);
                }
            }
            Value::Object(m)
        })
        .collect();
    ok(json!({ "count": list.len(), "clients": list }))
}

/// SLOWLOG GET through the command table; entries as objects when they
/// have Redis's shape.
fn slowlog(c: &Call) -> Res {
    let count = c.q_num("count", 0, 100_000)?.unwrap_or(128);
    let mut s = c.session()?;
    let r = match s.run(vec![
        b"SLOWLOG".to_vec(),
        b"GET".to_vec(),
        count.to_string().into_bytes(),
    ])? {
        Reply::Error(e) if e.starts_with("ERR unknown command") => {
            return Err(ApiError::new(
                501,
                "NOT_IMPLEMENTED",
                "this server has no SLOWLOG command",
            ))
        }
        Reply::Error(e) => return Err(command_error(&e)),
        r => r,
    };
    let entries = match jsonmap::reply(&r) {
        Value::Array(v) => v
            .into_iter()
            .map(|e| match e.as_array().map(|a| a.as_slice()) {
                Some([id, ts, us, args, rest @ ..]) => json!({
                    "id": id,
                    "timestamp": ts,
                    "duration_us": us,
                    "command": args,
                    "client_addr": rest.first(),
                    "client_name": rest.get(1),
                }),
                _ => e,
            })
            .collect(),
        other => vec![other],
    };
    ok(json!({ "entries": entries }))
}

// ---------------------------------------------------------------- management

fn config_get(c: &Call) -> Res {
    let pattern = c.q("match").unwrap_or(b"*").to_vec();
    let mut s = c.session()?;
    let r = s.call(vec![b"CONFIG".to_vec(), b"GET".to_vec(), pattern])?;
    let pairs: Vec<Reply> = match r {
        Reply::Map(p) => p.into_iter().flat_map(|(k, v)| [k, v]).collect(),
        Reply::Array(v) => v,
        _ => Vec::new(),
    };
    let mut m = Map::new();
    for kv in pairs.chunks(2) {
        if let [Reply::Bulk(k), v] = kv {
            m.insert(String::from_utf8_lossy(k).into_owned(), jsonmap::reply(v));
        }
    }
    ok(Value::Object(m))
}

/// `{"name": value, ...}` → one CONFIG SET each; 400 with per-name errors
/// if any failed (the others are applied).
fn config_put(c: &Call) -> Res {
    let body = c.body_json()?;
    let obj = body
        .as_object()
        .filter(|o| !o.is_empty())
        .ok_or_else(|| ApiError::bad("the body must be an object of {\"directive\": value}"))?;
    let mut s = c.session()?;
    let (mut applied, mut errors) = (Map::new(), Map::new());
    for (name, v) in obj {
        let value = match v {
            Value::String(x) => x.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
            _ => {
                errors.insert(
                    name.clone(),
                    json!("the value must be a string, number or boolean"),
                );
                continue;
            }
        };
        let args = vec![
            b"CONFIG".to_vec(),
            b"SET".to_vec(),
            name.clone().into_bytes(),
            value.clone().into_bytes(),
        ];
        match s.run(args)? {
            Reply::Error(e) => {
                if e.starts_with("ERR rate limit exceeded") {
                    return Err(command_error(&e));
                }
                errors.insert(name.clone(), json!(e));
            }
            _ => {
                applied.insert(name.clone(), json!(value));
            }
        }
    }
    if errors.is_empty() {
        return ok(json!({ "applied": applied }));
    }
    Err(
        ApiError::new(400, "CONFIG_ERROR", "some directives could not be set")
            .details(json!({ "errors": errors, "applied": applied })),
    )
}

fn snapshot(c: &Call) -> Res {
    let mut s = c.session()?;
    match s.run(vec![b"BGSAVE".to_vec()])? {
        Reply::Error(e) if e.contains("already in progress") => {
            Err(ApiError::new(409, "SNAPSHOT_IN_PROGRESS", &e))
        }
        Reply::Error(e) => Err(command_error(&e)),
        r => Ok(Answer::Json(
            202,
            json!({ "status": "started", "reply": jsonmap::reply(&r) }),
        )),
    }
}

fn snapshots(c: &Call) -> Res {
    let srv = &c.http.srv;
    let dir = srv.config().dir.clone();
    let files = crate::persist::snapshot::list(&dir)
        .map_err(|e| ApiError::new(500, "INTERNAL", &format!("listing snapshots: {e}")))?;
    let list: Vec<Value> = files
        .iter()
        .map(|p| {
            let meta = std::fs::metadata(p).ok();
            let modified = meta
                .as_ref()
                .and_then(|m| m.modified().ok())
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| d.as_secs());
            json!({
                "file": p.file_name().map(|n| n.to_string_lossy().into_owned()),
                "size": meta.map(|m| m.len()),
                "modified": modified,
                "lsn": crate::persist::snapshot::min_lsn(p).ok(),
            })
        })
        .collect();
    let p = &srv.persist;
    let relaxed = std::sync::atomic::Ordering::Relaxed;
    ok(json!({
        "snapshots": list,
        "in_progress": p.in_progress.load(relaxed),
        "last_save": p.last_save.load(relaxed),
        "last_status": if p.last_bgsave_ok.load(relaxed) { "ok" } else { "err" },
    }))
}
