//! `GET` and `PUT /api/v1/key/:key`: a key's details and value (paged for
//! collections), and replacing a key with a typed JSON value.
//!
//! Value shapes (the same both ways; docs/API.md "Typed values"):
//! - string: `"text"` or `{"base64": "..."}`;
//! - list, set: `["a", "b", ...]`;
//! - hash: `{"field": "value", ...}` (GET returns `[[field, value], ...]`
//!   instead when a field name is not UTF-8);
//! - zset: `[{"member": "a", "score": 1.5}, ...]` (PUT also takes
//!   `{"member": score, ...}`).
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

/// The write command that creates `key` holding `value` as `kind`.
fn write_command(kind: &str, key: &[u8], value: &Value) -> Result<Vec<Vec<u8>>, ApiError> {
    let arg = |v: &Value| jsonmap::arg(v).map_err(|m| ApiError::bad(&m));
    let mut args: Vec<Vec<u8>> = Vec::new();
    let shape = |what: &str| ApiError::bad(&format!("a {kind} value must be {what}"));
    match kind {
        "string" => {
            args.extend([b"SET".to_vec(), key.to_vec(), arg(value)?]);
            return Ok(args);
        }
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
            match value {
                Value::Object(m) => {
                    for (f, v) in m {
                        args.extend([f.clone().into_bytes(), arg(v)?]);
                    }
                }
                Value::Array(pairs) => {
                    for p in pairs {
                        match p.as_array().map(|a| a.as_slice()) {
                            Some([f, v]) => args.extend([arg(f)?, arg(v)?]),
                            _ => return Err(shape("an object or [[field, value], ...]")),
                        }
                    }
                }
                _ => return Err(shape("an object or [[field, value], ...]")),
            }
        }
        "zset" => {
            args.extend([b"ZADD".to_vec(), key.to_vec()]);
            let bad = || shape("[{\"member\": m, \"score\": s}, ...] or {\"member\": score}");
            match value {
                Value::Object(m) => {
                    for (member, sc) in m {
                        args.extend([arg(sc)?, member.clone().into_bytes()]);
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
                        args.extend([arg(sc)?, arg(m)?]);
                    }
                }
                _ => return Err(bad()),
            }
        }
        _ => {
            return Err(ApiError::bad(
                "'type' must be string, list, set, hash or zset",
            ))
        }
    }
    if args.len() == 2 {
        return Err(ApiError::bad(&format!(
            "an empty {kind} cannot exist; DELETE the key instead"
        )));
    }
    Ok(args)
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
    let write = write_command(&kind, &key, value)?;
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
    cmds.push(write);
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
