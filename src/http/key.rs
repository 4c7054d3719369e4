//! `GET` and `PUT /api/v1/key/:key`: a key's details and value (paged for
//! collections), and replacing a key with a typed JSON value.
//!
//! Value shapes (the same both ways; docs/API.md "Typed values"):
//! - string: `"text"` or `{"base64": "..."}`;
//! - list, set: `["a", "b", ...]`;
//! - hash: `{"field": "value", ...}` (GET returns `[[field, value], ...]`
//!   instead when a field name is not UTF-8);
//! - zset: `[{"member": "a", "score": 1.5}, ...]` (PUT also takes
//!   `{"member": score, ...}`);
//! - stream: `[{"id": "1-0", "fields": {...}}, ...]`, oldest first,
//!   `fields` shaped like a hash (PUT: `id` on every entry or on none).
//!
//! A PUT runs `MULTI, DEL, <write>, [PEXPIRE], EXEC` on one session: the
//! key is replaced atomically and WAL-logged as one transaction.

use super::api::{key_of, not_found, Call};
use super::session::{command_error, Session};
use super::{jsonmap, Answer, ApiError};
use crate::resp::Reply;
use serde_json::{json, Map, Value};
use std::collections::HashSet;

type Res = Result<Answer, ApiError>;

fn int(r: &Reply) -> i64 {
    match r {
        Reply::Int(i) => *i,
        _ => 0,
    }
}

/// The approximate bytes the key costs (the estimate INFO memory sums).
fn memory(c: &Call, db: usize, key: &[u8]) -> Option<usize> {
    let d = c.http.srv.store.dbs.get(db)?;
    let (s, h) = d.read(key);
    s.peek(h, key, crate::store::now_ms())
        .map(|e| crate::store::value::entry_node_size() + e.heap_size() + key.len())
}

pub fn get_key(c: &Call) -> Res {
    let key = key_of(c)?;
    let offset = c.q_num("offset", 0, i64::MAX as u64)?.unwrap_or(0);
    let limit = c.q_num("limit", 1, 10_000)?.unwrap_or(100);
    let mut s = c.session()?;
    let db = s.client.db;
    let kind = match s.cmd(&[b"TYPE", &key])? {
        Reply::Status(t) => t.to_string(),
        _ => "none".into(),
    };
    if kind == "none" {
        return Err(not_found(&key));
    }
    let pttl = int(&s.cmd(&[b"PTTL", &key])?);
    let encoding = jsonmap::reply(&s.cmd(&[b"OBJECT", b"ENCODING", &key])?);
    let (o, l) = (offset.to_string(), (offset + limit - 1).to_string());
    let (length, value) = match kind.as_str() {
        "string" => (
            int(&s.cmd(&[b"STRLEN", &key])?),
            jsonmap::reply(&s.cmd(&[b"GET", &key])?),
        ),
        "list" => (
            int(&s.cmd(&[b"LLEN", &key])?),
            jsonmap::reply(&s.cmd(&[b"LRANGE", &key, o.as_bytes(), l.as_bytes()])?),
        ),
        "zset" => {
            let r = s.cmd(&[b"ZRANGE", &key, o.as_bytes(), l.as_bytes(), b"WITHSCORES"])?;
            (int(&s.cmd(&[b"ZCARD", &key])?), zset_json(r))
        }
        "hash" => {
            let items = scan_page(&mut s, b"HSCAN", &key, offset, limit, 2)?;
            (int(&s.cmd(&[b"HLEN", &key])?), hash_json(&items))
        }
        "set" => {
            let items = scan_page(&mut s, b"SSCAN", &key, offset, limit, 1)?;
            let v: Vec<Value> = items.iter().map(|m| jsonmap::bytes(&m[0])).collect();
            (int(&s.cmd(&[b"SCARD", &key])?), Value::Array(v))
        }
        "stream" => {
            let r = stream_page(&mut s, &key, offset, limit)?;
            (int(&s.cmd(&[b"XLEN", &key])?), stream_json(r))
        }
        _ => (0, Value::Null),
    };
    let returned = match &value {
        Value::Array(a) => a.len() as i64,
        Value::Object(m) => m.len() as i64,
        _ => length,
    };
    let paged = kind != "string";
    ok(json!({
        "key": jsonmap::bytes(&key),
        "db": db,
        "type": kind,
        "ttl": if pttl >= 0 { (pttl + 999) / 1000 } else { pttl },
        "pttl": pttl,
        "encoding": encoding,
        "memory": memory(c, db, &key),
        "length": length,
        "offset": if paged { json!(offset) } else { Value::Null },
        "limit": if paged { json!(limit) } else { Value::Null },
        "truncated": paged && (offset as i64 + returned) < length,
        "value": value,
    }))
}

fn ok(v: Value) -> Res {
    Ok(Answer::Json(200, v))
}

/// Items `offset..offset+limit` of a hash or set in SCAN order (each item
/// `per` elements: field + value, or member), duplicates dropped. Costs
/// O(offset + limit): SCAN has no random access.
fn scan_page(
    s: &mut Session,
    cmd: &[u8],
    key: &[u8],
    offset: u64,
    limit: u64,
    per: usize,
) -> Result<Vec<Vec<Vec<u8>>>, ApiError> {
    let want = (offset + limit) as usize;
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let mut cursor = b"0".to_vec();
    let count = limit.clamp(100, 1000).to_string();
    loop {
        let r = s.cmd(&[cmd, key, &cursor, b"COUNT", count.as_bytes()])?;
        let Reply::Array(mut parts) = r else { break };
        let items = match parts.pop() {
            Some(Reply::Array(v)) => v,
            _ => Vec::new(),
        };
        cursor = match parts.pop() {
            Some(Reply::Bulk(b)) => b,
            _ => b"0".to_vec(),
        };
        let flat: Vec<Vec<u8>> = items
            .into_iter()
            .map(|i| match i {
                Reply::Bulk(b) => b,
                other => jsonmap::reply(&other).to_string().into_bytes(),
            })
            .collect();
        for item in flat.chunks(per) {
            if seen.insert(item[0].clone()) {
                out.push(item.to_vec());
            }
        }
        if cursor == b"0" || out.len() >= want {
            break;
        }
    }
    Ok(out
        .into_iter()
        .skip(offset as usize)
        .take(limit as usize)
        .collect())
}

fn hash_json(items: &[Vec<Vec<u8>>]) -> Value {
    let text = items.iter().all(|i| std::str::from_utf8(&i[0]).is_ok());
    if text {
        let mut m = Map::new();
        for i in items {
            let v = i.get(1).map_or(Value::Null, |v| jsonmap::bytes(v));
            m.insert(String::from_utf8_lossy(&i[0]).into_owned(), v);
        }
        Value::Object(m)
    } else {
        Value::Array(
            items
                .iter()
                .map(|i| json!([jsonmap::bytes(&i[0]), i.get(1).map(|v| jsonmap::bytes(v))]))
                .collect(),
        )
    }
}

/// Entries `offset..offset+limit` of a stream (oldest first) as XRANGE
/// replies them. XRANGE has no offset: the first `offset` entries are
/// walked in chunks of at most 1000 (exclusive start after the last ID
/// seen), so memory stays bounded by the chunk; time is O(offset + limit).
fn stream_page(s: &mut Session, key: &[u8], offset: u64, limit: u64) -> Result<Reply, ApiError> {
    let mut start = b"-".to_vec();
    let mut skip = offset;
    while skip > 0 {
        let n = skip.min(1000).to_string();
        let r = s.cmd(&[b"XRANGE", key, &start, b"+", b"COUNT", n.as_bytes()])?;
        let Reply::Array(entries) = r else {
            return Ok(Reply::Array(Vec::new()));
        };
        let last = match entries.last().and_then(entry_id) {
            Some(id) => id,
            None => return Ok(Reply::Array(Vec::new())),
        };
        skip -= entries.len() as u64;
        start = [b"(".as_slice(), &last].concat();
    }
    let n = limit.to_string();
    s.cmd(&[b"XRANGE", key, &start, b"+", b"COUNT", n.as_bytes()])
}

/// An XRANGE entry's ID.
fn entry_id(e: &Reply) -> Option<Vec<u8>> {
    match e {
        Reply::Array(pair) => match pair.first()? {
            Reply::Bulk(id) => Some(id.clone()),
            _ => None,
        },
        _ => None,
    }
}

/// XRANGE's entries as `[{"id", "fields"}]`, `fields` shaped like a
/// hash's value.
fn stream_json(r: Reply) -> Value {
    let Reply::Array(entries) = r else {
        return json!([]);
    };
    let bytes = |r: &Reply| match r {
        Reply::Bulk(b) => b.clone(),
        _ => Vec::new(),
    };
    let out = entries.iter().filter_map(|e| {
        let Reply::Array(pair) = e else { return None };
        let (id, fields) = (pair.first()?, pair.get(1)?);
        let items: Vec<Vec<Vec<u8>>> = match fields {
            Reply::Array(fv) => fv
                .chunks(2)
                .map(|c| c.iter().map(bytes).collect())
                .collect(),
            _ => Vec::new(),
        };
        Some(json!({
            "id": String::from_utf8_lossy(&bytes(id)),
            "fields": hash_json(&items),
        }))
    });
    Value::Array(out.collect())
}

/// ZRANGE ... WITHSCORES (flat in RESP2, pairs in RESP3) as
/// `[{"member", "score"}]`.
fn zset_json(r: Reply) -> Value {
    let Reply::Array(v) = r else {
        return json!([]);
    };
    let mut flat = Vec::new();
    for x in v {
        match x {
            Reply::Array(pair) => flat.extend(pair),
            other => flat.push(other),
        }
    }
    let score = |r: &Reply| match r {
        Reply::Double(d) => jsonmap::reply(&Reply::Double(*d)),
        Reply::Bulk(b) => {
            let t = String::from_utf8_lossy(b);
            super::api::scalar(&t)
        }
        other => jsonmap::reply(other),
    };
    Value::Array(
        flat.chunks(2)
            .filter(|p| p.len() == 2)
            .map(|p| json!({ "member": jsonmap::reply(&p[0]), "score": score(&p[1]) }))
            .collect(),
    )
}

// ---------------------------------------------------------------- PUT

/// The write commands that create `key` holding `value` as `kind` (one,
/// except for a stream: an XADD per entry).
fn write_commands(kind: &str, key: &[u8], value: &Value) -> Result<Vec<Vec<Vec<u8>>>, ApiError> {
    let arg = |v: &Value| jsonmap::arg(v).map_err(|m| ApiError::bad(&m));
    let mut args: Vec<Vec<u8>> = Vec::new();
    let shape = |what: &str| ApiError::bad(&format!("a {kind} value must be {what}"));
    match kind {
        "string" => {
            args.extend([b"SET".to_vec(), key.to_vec(), arg(value)?]);
            return Ok(vec![args]);
        }
        "stream" => return stream_commands(key, value),
        "list" | "set" => {
            let items = value.as_array().ok_or_else(|| shape("an array"))?;
            let name = if kind == "list" { "RPUSH" } else { "SADD" };
            args.extend([name.as_bytes().to_vec(), key.to_vec()]);
            for i in items {
                args.push(arg(i)?);
            }
        }
        "hash" => {
            args.extend([b"HSET".to_vec(), key.to_vec()]);
            push_pairs(&mut args, value).map_err(|e| match e {
                Some(m) => ApiError::bad(&m),
                None => shape("an object or [[field, value], ...]"),
            })?;
        }
        "zset" => {
            args.extend([b"ZADD".to_vec(), key.to_vec()]);
            let bad = || shape("[{\"member\": m, \"score\": s}, ...] or {\"member\": score}");
            // Checked here as ZADD would: a bad score found by EXEC would
            // come after the DEL had already run.
            let score = |v: &Value| {
                let b = arg(v)?;
                match crate::command::args::parse_f64(&b) {
                    Some(_) => Ok(b),
                    None => Err(ApiError::bad(&format!(
                        "'{}' is not a valid score",
                        String::from_utf8_lossy(&b)
                    ))),
                }
            };
            match value {
                Value::Object(m) => {
                    for (member, sc) in m {
                        args.extend([score(sc)?, member.clone().into_bytes()]);
                    }
                }
                Value::Array(items) => {
                    for i in items {
                        let (m, sc) = match (i.get("member"), i.get("score")) {
                            (Some(m), Some(sc)) => (m, sc),
                            _ => match i.as_array().map(|a| a.as_slice()) {
                                Some([m, sc]) => (m, sc),
                                _ => return Err(bad()),
                            },
                        };
                        args.extend([score(sc)?, arg(m)?]);
                    }
                }
                _ => return Err(bad()),
            }
        }
        _ => {
            return Err(ApiError::bad(
                "'type' must be string, list, set, hash, zset or stream",
            ))
        }
    }
    if args.len() == 2 {
        return Err(empty(kind));
    }
    Ok(vec![args])
}

fn empty(kind: &str) -> ApiError {
    ApiError::bad(&format!(
        "an empty {kind} cannot exist; DELETE the key instead"
    ))
}

/// A stream's XADDs: `[{"id": "ms-seq", "fields": {...}}, ...]`, `id`
/// optional (`*`, an ID generated by the server) but then on no entry, and
/// `fields` an object or `[[field, value], ...]` like a hash. Given IDs
/// must increase and be above 0-0; they are checked here, before the
/// transaction runs, so a bad one fails the request with the key intact.
fn stream_commands(key: &[u8], value: &Value) -> Result<Vec<Vec<Vec<u8>>>, ApiError> {
    let shape = || {
        ApiError::bad(
            "a stream value must be [{\"id\": \"ms-seq\" (optional), \"fields\": {field: value}}, ...]",
        )
    };
    let entries = value.as_array().ok_or_else(shape)?;
    if entries.is_empty() {
        return Err(empty("stream"));
    }
    let with_ids = entries.iter().filter(|e| e.get("id").is_some()).count();
    if with_ids != 0 && with_ids != entries.len() {
        return Err(ApiError::bad(
            "give every stream entry an 'id', or none (the server then generates them)",
        ));
    }
    let mut last = (0u64, 0u64);
    let mut cmds = Vec::with_capacity(entries.len());
    for e in entries {
        let fields = e.get("fields").ok_or_else(shape)?;
        if e.as_object()
            .is_some_and(|o| o.keys().any(|k| k != "id" && k != "fields"))
        {
            return Err(shape());
        }
        let mut cmd = vec![b"XADD".to_vec(), key.to_vec()];
        match e.get("id") {
            None => cmd.push(b"*".to_vec()),
            Some(id) => {
                let text = id.as_str().ok_or_else(shape)?;
                let parsed = parse_stream_id(text).ok_or_else(|| {
                    ApiError::bad(&format!("'{text}' is not a stream ID (ms-seq)"))
                })?;
                if parsed <= last {
                    return Err(ApiError::bad(&format!(
                        "stream entry IDs must increase and be greater than 0-0 ('{text}')"
                    )));
                }
                last = parsed;
                cmd.push(format!("{}-{}", parsed.0, parsed.1).into_bytes());
            }
        }
        let before = cmd.len();
        push_pairs(&mut cmd, fields).map_err(|e| match e {
            Some(m) => ApiError::bad(&m),
            None => shape(),
        })?;
        if cmd.len() == before {
            return Err(ApiError::bad("a stream entry needs at least one field"));
        }
        cmds.push(cmd);
    }
    Ok(cmds)
}

/// Appends a hash-shaped value's field/value pairs: `{field: value}` or
/// `[[field, value], ...]`. Err(None) when the shape is wrong, Err(Some)
/// for a bad argument.
fn push_pairs(args: &mut Vec<Vec<u8>>, value: &Value) -> Result<(), Option<String>> {
    match value {
        Value::Object(m) => {
            for (f, v) in m {
                args.extend([f.clone().into_bytes(), jsonmap::arg(v).map_err(Some)?]);
            }
        }
        Value::Array(pairs) => {
            for p in pairs {
                match p.as_array().map(|a| a.as_slice()) {
                    Some([f, v]) => args.extend([
                        jsonmap::arg(f).map_err(Some)?,
                        jsonmap::arg(v).map_err(Some)?,
                    ]),
                    _ => return Err(None),
                }
            }
        }
        _ => return Err(None),
    }
    Ok(())
}

/// "ms-seq" or "ms" (sequence 0), as XADD reads an explicit ID.
fn parse_stream_id(t: &str) -> Option<(u64, u64)> {
    let digits = |s: &str| {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u64>().ok())
            .flatten()
    };
    match t.split_once('-') {
        Some((ms, seq)) => Some((digits(ms)?, digits(seq)?)),
        None => Some((digits(t)?, 0)),
    }
}

/// The value's type when the body does not say: text → string, object →
/// hash, array → list.
fn infer(value: &Value) -> &'static str {
    match value {
        Value::Object(m) if m.len() == 1 && m.contains_key("base64") => "string",
        Value::Object(_) => "hash",
        Value::Array(_) => "list",
        _ => "string",
    }
}

/// The TTL in milliseconds from `ttl` (seconds) or `pttl` (ms); None = no
/// expiry.
fn ttl_ms(body: &Value) -> Result<Option<i64>, ApiError> {
    let bad = || ApiError::bad("'ttl' (seconds) / 'pttl' (ms) must be positive numbers");
    let ms = match (body.get("ttl"), body.get("pttl")) {
        (None | Some(Value::Null), None | Some(Value::Null)) => return Ok(None),
        (Some(t), None) => t.as_f64().map(|s| (s * 1000.0).round()).ok_or_else(bad)?,
        (None, Some(p)) => p.as_f64().ok_or_else(bad)?,
        _ => return Err(ApiError::bad("give either 'ttl' or 'pttl'")),
    };
    if !(1.0..=4.6e15).contains(&ms) {
        return Err(bad());
    }
    Ok(Some(ms as i64))
}

pub fn put_key(c: &Call) -> Res {
    let key = key_of(c)?;
    let body = c.body_json()?;
    let value = body
        .get("value")
        .ok_or_else(|| ApiError::bad("the body needs a \"value\""))?;
    let kind = match body.get("type") {
        Some(Value::String(t)) => t.to_lowercase(),
        None => infer(value).to_string(),
        Some(_) => return Err(ApiError::bad("'type' must be a string")),
    };
    let writes = write_commands(&kind, &key, value)?;
    let ttl = ttl_ms(&body)?;
    let mut s = c.session()?;
    if let Some(db) = body.get("db") {
        let db = db
            .as_u64()
            .ok_or_else(|| ApiError::bad("'db' must be a number"))?;
        s.select(Some(db as usize))?;
    }
    let mut cmds: Vec<Vec<Vec<u8>>> =
        vec![vec![b"MULTI".to_vec()], vec![b"DEL".to_vec(), key.clone()]];
    cmds.extend(writes);
    if let Some(ms) = ttl {
        cmds.push(vec![
            b"PEXPIRE".to_vec(),
            key.clone(),
            ms.to_string().into_bytes(),
        ]);
    }
    cmds.push(vec![b"EXEC".to_vec()]);
    let mut last = Reply::Null;
    for cmd in cmds {
        last = s.run(cmd)?;
        if let Reply::Error(e) = &last {
            return Err(command_error(e));
        }
    }
    let results = match jsonmap::reply(&last) {
        Value::Array(v) => v,
        _ => {
            return Err(ApiError::new(
                409,
                "CONFLICT",
                "the transaction did not run",
            ))
        }
    };
    if let Some(e) = results.iter().find_map(|r| r.get("error")) {
        return Err(command_error(e.as_str().unwrap_or("ERR")));
    }
    let created = results.first().and_then(|v| v.as_i64()) == Some(0);
    Ok(Answer::Json(
        if created { 201 } else { 200 },
        json!({
            "key": jsonmap::bytes(&key),
            "db": s.client.db,
            "type": kind,
            "created": created,
            "pttl": ttl.unwrap_or(-1),
        }),
    ))
}
