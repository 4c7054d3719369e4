//! RESP ↔ JSON: how a command's `Reply` becomes JSON (docs/API.md, "RESP
//! to JSON"), how JSON arguments become command arguments, and a decoder
//! for replies that arrive already encoded (`Reply::Raw`: EXEC's array,
//! Pub/Sub messages in a mailbox).
//!
//! The mapping, in short: status and bulk strings → JSON strings (bytes
//! that are not UTF-8 → `{"base64": "..."}`), integers → numbers, doubles
//! → numbers (integral ones as integers; `"inf"`, `"-inf"`, `"nan"` as
//! strings), booleans → booleans,
//! nulls → `null`, arrays, sets and pushes → arrays, maps → objects when
//! every key is a text string (else an array of `[key, value]` pairs), an
//! error nested in an array → `{"error": "ERR ..."}`.

use super::codec::{base64_decode, base64_encode};
use crate::resp::Reply;
use serde_json::{json, Map, Value};

/// Bytes as JSON: a string when they are UTF-8, else `{"base64": ...}`.
pub fn bytes(b: &[u8]) -> Value {
    match std::str::from_utf8(b) {
        Ok(s) => Value::String(s.to_string()),
        Err(_) => json!({ "base64": base64_encode(b) }),
    }
}

/// A reply as JSON (see the module docs).
pub fn reply(r: &Reply) -> Value {
    match r {
        Reply::Status(s) => Value::String(s.to_string()),
        Reply::Error(e) => json!({ "error": e }),
        Reply::Int(i) => json!(i),
        Reply::Bulk(b) | Reply::Verbatim(b) => bytes(b),
        Reply::Null | Reply::NullArray => Value::Null,
        Reply::Array(v) | Reply::Set(v) | Reply::Push(v) => {
            Value::Array(v.iter().map(reply).collect())
        }
        Reply::Map(pairs) => map(pairs),
        Reply::Double(d) => double(*d),
        Reply::Bool(b) => Value::Bool(*b),
        Reply::Raw(raw) => match decode_all(raw) {
            Some(mut v) if v.len() == 1 => reply(&v.remove(0)),
            Some(v) => Value::Array(v.iter().map(reply).collect()),
            None => json!({ "base64": base64_encode(raw) }),
        },
    }
}

/// A double as a JSON number (integral ones as integers: a score of 2 is
/// `2`, not `2.0`); infinities and NaN as their Redis text.
fn double(d: f64) -> Value {
    if d.is_finite() && d.fract() == 0.0 && d.abs() < 9.0e15 {
        json!(d as i64)
    } else if d.is_finite() {
        json!(d)
    } else {
        Value::String(crate::resp::reply::format_double(d))
    }
}

fn map(pairs: &[(Reply, Reply)]) -> Value {
    let text_key = |k: &Reply| match k {
        Reply::Status(s) => Some(s.to_string()),
        Reply::Bulk(b) | Reply::Verbatim(b) => std::str::from_utf8(b).ok().map(str::to_string),
        _ => None,
    };
    let keys: Option<Vec<String>> = pairs.iter().map(|(k, _)| text_key(k)).collect();
    match keys {
        Some(keys) => {
            let mut m = Map::new();
            for (k, (_, v)) in keys.into_iter().zip(pairs) {
                m.insert(k, reply(v));
            }
            Value::Object(m)
        }
        None => Value::Array(
            pairs
                .iter()
                .map(|(k, v)| Value::Array(vec![reply(k), reply(v)]))
                .collect(),
        ),
    }
}

/// The RESP type name of a reply (what `POST /execute` reports as `type`).
pub fn type_name(r: &Reply) -> &'static str {
    match r {
        Reply::Status(_) => "status",
        Reply::Error(_) => "error",
        Reply::Int(_) => "integer",
        Reply::Bulk(_) => "bulk",
        Reply::Null | Reply::NullArray => "null",
        Reply::Array(_) => "array",
        Reply::Map(_) => "map",
        Reply::Set(_) => "set",
        Reply::Double(_) => "double",
        Reply::Bool(_) => "boolean",
        Reply::Verbatim(_) => "verbatim",
        Reply::Push(_) => "push",
        Reply::Raw(raw) => match decode_all(raw) {
            Some(v) if v.len() == 1 => type_name(&v[0]),
            _ => "array",
        },
    }
}

/// One command argument from JSON: a string, a number (its decimal text)
/// or `{"base64": "..."}`.
pub fn arg(v: &Value) -> Result<Vec<u8>, String> {
    match v {
        Value::String(s) => Ok(s.clone().into_bytes()),
        Value::Number(n) => Ok(n.to_string().into_bytes()),
        Value::Object(o) if o.len() == 1 => match o.get("base64") {
            Some(Value::String(s)) => {
                base64_decode(s).ok_or_else(|| "invalid base64 in a {\"base64\": ...} value".into())
            }
            _ => Err(bad_arg()),
        },
        _ => Err(bad_arg()),
    }
}

fn bad_arg() -> String {
    "arguments must be strings, numbers or {\"base64\": \"...\"}".into()
}

// ------------------------------------------------------------ typed replies

/// Replies as they are on the wire, as typed JSON trees (`POST /execute`
/// with `"typed": true`): every node says its RESP type, so a client can
/// render a reply exactly as `redis-cli` does (status vs bulk, the double's
/// text as sent, a set vs an array, an empty map, ...). None if `buf` is
/// malformed or cut short.
///
/// Nodes: `{"type": T, "value": V}` where T is `status`, `error`, `bulk`,
/// `verbatim` (with `"format"`), `bignum` (V: text), `integer` (V: a number,
/// or its decimal text beyond ±(2^53 − 1), which a JavaScript number cannot
/// hold exactly), `double` (V: the text as sent, `"1.5"`, `"inf"`),
/// `boolean`, `array` / `set` / `push` (V: nodes), `map` (V: `[[key, value],
/// ...]` nodes); `{"type": "null"}`. Strings that are not UTF-8 carry
/// `"base64"` instead of `"value"`.
pub fn typed_all(buf: &[u8]) -> Option<Vec<Value>> {
    let mut pos = 0;
    let mut out = Vec::new();
    while pos < buf.len() {
        let (v, next) = typed_at(buf, pos, 0)?;
        out.push(v);
        pos = next;
    }
    Some(out)
}

/// A typed node holding bytes: `value` when they are UTF-8, else `base64`.
pub fn typed_text(ty: &str, b: &[u8]) -> Value {
    match std::str::from_utf8(b) {
        Ok(s) => json!({ "type": ty, "value": s }),
        Err(_) => json!({ "type": ty, "base64": base64_encode(b) }),
    }
}

/// The largest integer a JavaScript number holds exactly.
const JS_SAFE: i64 = (1 << 53) - 1;

fn typed_at(buf: &[u8], pos: usize, depth: usize) -> Option<(Value, usize)> {
    if depth > 64 {
        return None;
    }
    let tag = *buf.get(pos)?;
    let (body, next) = line(buf, pos + 1)?;
    let items = |n: usize| -> Option<(Vec<Value>, usize)> {
        let mut v = Vec::new();
        let mut p = next;
        for _ in 0..n {
            let (r, q) = typed_at(buf, p, depth + 1)?;
            v.push(r);
            p = q;
        }
        Some((v, p))
    };
    Some(match tag {
        b'+' => (typed_text("status", body), next),
        b'-' => (typed_text("error", body), next),
        b':' => {
            let i = num(body)?;
            let v = if (-JS_SAFE..=JS_SAFE).contains(&i) {
                json!(i)
            } else {
                json!(i.to_string())
            };
            (json!({ "type": "integer", "value": v }), next)
        }
        b'(' => (typed_text("bignum", body), next),
        b',' => (typed_text("double", body), next),
        b'_' => (json!({ "type": "null" }), next),
        b'#' => (json!({ "type": "boolean", "value": body == b"t" }), next),
        b'$' | b'=' | b'!' => {
            let n = num(body)?;
            if n < 0 {
                return Some((json!({ "type": "null" }), next));
            }
            let end = next.checked_add(n as usize)?;
            let data = buf.get(next..end)?;
            if buf.get(end..end + 2)? != b"\r\n" {
                return None;
            }
            let v = match tag {
                b'$' => typed_text("bulk", data),
                b'!' => typed_text("error", data),
                _ => {
                    // `txt:` / `mkd:`: the format, then the text.
                    let (fmt, text) = match data.get(3) {
                        Some(b':') => (&data[..3], &data[4..]),
                        _ => (&b""[..], data),
                    };
                    let mut v = typed_text("verbatim", text);
                    v["format"] = json!(String::from_utf8_lossy(fmt));
                    v
                }
            };
            (v, end + 2)
        }
        b'*' | b'~' | b'>' => {
            let n = num(body)?;
            if n < 0 {
                return Some((json!({ "type": "null" }), next));
            }
            let (v, p) = items(usize::try_from(n).ok()?)?;
            let ty = match tag {
                b'*' => "array",
                b'~' => "set",
                _ => "push",
            };
            (json!({ "type": ty, "value": v }), p)
        }
        b'%' | b'|' => {
            let n = usize::try_from(num(body)?).ok()?.checked_mul(2)?;
            let (v, p) = items(n)?;
            let pairs: Vec<Value> = v.chunks(2).map(|c| Value::Array(c.to_vec())).collect();
            if tag == b'|' {
                // Attributes annotate the reply that follows; the reply is
                // what a client shows.
                let (mut r, q) = typed_at(buf, p, depth + 1)?;
                r["attributes"] = Value::Array(pairs);
                return Some((r, q));
            }
            (json!({ "type": "map", "value": pairs }), p)
        }
        _ => return None,
    })
}

// ------------------------------------------------------------ RESP decoding

/// Decodes every RESP2/RESP3 value in `buf`; None if it is malformed or
/// cut short.
pub fn decode_all(buf: &[u8]) -> Option<Vec<Reply>> {
    let mut pos = 0;
    let mut out = Vec::new();
    while pos < buf.len() {
        let (r, next) = decode(buf, pos, 0)?;
        out.push(r);
        pos = next;
    }
    Some(out)
}

fn line(buf: &[u8], pos: usize) -> Option<(&[u8], usize)> {
    let end = pos + buf.get(pos..)?.windows(2).position(|w| w == b"\r\n")?;
    Some((&buf[pos..end], end + 2))
}

fn num(b: &[u8]) -> Option<i64> {
    std::str::from_utf8(b).ok()?.parse().ok()
}

/// One value at `pos`; returns it and the position after it.
fn decode(buf: &[u8], pos: usize, depth: usize) -> Option<(Reply, usize)> {
    if depth > 64 {
        return None;
    }
    let tag = *buf.get(pos)?;
    let (body, next) = line(buf, pos + 1)?;
    let text = || String::from_utf8_lossy(body).into_owned();
    let items = |n: i64, per: usize| -> Option<(Vec<Reply>, usize)> {
        let mut v = Vec::new();
        let mut p = next;
        for _ in 0..n.max(0) as usize * per {
            let (r, q) = decode(buf, p, depth + 1)?;
            v.push(r);
            p = q;
        }
        Some((v, p))
    };
    Some(match tag {
        b'+' => (Reply::Status(text().into()), next),
        b'-' => (Reply::Error(text().into()), next),
        b':' => (Reply::Int(num(body)?), next),
        b'(' => (Reply::Bulk(body.to_vec()), next),
        b'_' => (Reply::Null, next),
        b'#' => (Reply::Bool(body == b"t"), next),
        b',' => (
            Reply::Double(match body {
                b"inf" => f64::INFINITY,
                b"-inf" => f64::NEG_INFINITY,
                _ => std::str::from_utf8(body).ok()?.parse().ok()?,
            }),
            next,
        ),
        b'$' | b'=' | b'!' => {
            let n = num(body)?;
            if n < 0 {
                return Some((Reply::Null, next));
            }
            let end = next.checked_add(n as usize)?;
            let data = buf.get(next..end)?;
            if buf.get(end..end + 2)? != b"\r\n" {
                return None;
            }
            let r = match tag {
                b'$' => Reply::Bulk(data.to_vec()),
                b'!' => Reply::Error(String::from_utf8_lossy(data).into_owned().into()),
                // Verbatim: skip the `txt:` format prefix.
                _ => Reply::Verbatim(data.get(4..).unwrap_or_default().to_vec()),
            };
            (r, end + 2)
        }
        b'*' | b'~' | b'>' => {
            let n = num(body)?;
            if n < 0 {
                return Some((Reply::NullArray, next));
            }
            let (v, p) = items(n, 1)?;
            let r = match tag {
                b'*' => Reply::Array(v),
                b'~' => Reply::Set(v),
                _ => Reply::Push(v),
            };
            (r, p)
        }
        b'%' => {
            let (v, p) = items(num(body)?, 2)?;
            let mut it = v.into_iter();
            let mut pairs = Vec::new();
            while let (Some(k), Some(val)) = (it.next(), it.next()) {
                pairs.push((k, val));
            }
            (Reply::Map(pairs), p)
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(r: &Reply, proto: u8) -> Vec<u8> {
        let mut v = Vec::new();
        r.encode(&mut v, proto);
        v
    }

    #[test]
    fn mapping() {
        assert_eq!(reply(&Reply::ok()), json!("OK"));
        assert_eq!(reply(&Reply::Int(-3)), json!(-3));
        assert_eq!(reply(&Reply::bulk(b"\xff\x00")), json!({"base64": "/wA="}));
        assert_eq!(reply(&Reply::Null), Value::Null);
        assert_eq!(reply(&Reply::Double(1.5)), json!(1.5));
        assert_eq!(reply(&Reply::Double(-2.0)), json!(-2));
        assert_eq!(reply(&Reply::Double(f64::INFINITY)), json!("inf"));
        assert_eq!(reply(&Reply::Bool(true)), json!(true));
        let m = Reply::Map(vec![(Reply::bulk_str("a"), Reply::Int(1))]);
        assert_eq!(reply(&m), json!({"a": 1}));
        let m = Reply::Map(vec![(Reply::Int(7), Reply::Int(1))]);
        assert_eq!(reply(&m), json!([[7, 1]]));
        let a = Reply::Array(vec![Reply::err("ERR x"), Reply::bulk_str("y")]);
        assert_eq!(reply(&a), json!([{"error": "ERR x"}, "y"]));
    }

    #[test]
    fn raw_replies_decode_like_their_originals() {
        let samples = vec![
            Reply::ok(),
            Reply::Int(42),
            Reply::bulk(b"bin\xff"),
            Reply::Null,
            Reply::NullArray,
            Reply::Array(vec![
                Reply::Int(1),
                Reply::bulk_str("a"),
                Reply::err("ERR e"),
            ]),
            Reply::Map(vec![(Reply::bulk_str("k"), Reply::Double(2.5))]),
            Reply::Set(vec![Reply::bulk_str("m")]),
            Reply::Bool(false),
            Reply::Verbatim(b"text".to_vec()),
            Reply::Push(vec![Reply::bulk_str("message")]),
        ];
        for r in samples {
            for proto in [2, 3] {
                let raw = Reply::Raw(enc(&r, proto));
                // RESP2 flattens maps and turns doubles into strings, so
                // compare with what a RESP2 reply would map to.
                let direct = decode_all(&enc(&r, proto)).unwrap();
                assert_eq!(reply(&raw), reply(&direct[0]), "{r:?} resp{proto}");
            }
            let raw = Reply::Raw(enc(&r, 3));
            assert_eq!(reply(&raw), reply(&r), "{r:?}");
        }
        let two = [enc(&Reply::Int(1), 2), enc(&Reply::Int(2), 2)].concat();
        assert_eq!(reply(&Reply::Raw(two)), json!([1, 2]));
        assert!(decode_all(b"$5\r\nab\r\n").is_none());
        assert!(decode_all(b"*2\r\n:1\r\n").is_none());
    }

    #[test]
    fn typed_trees() {
        let t = |r: &Reply, proto: u8| {
            let mut v = typed_all(&enc(r, proto)).unwrap();
            assert_eq!(v.len(), 1);
            v.remove(0)
        };
        assert_eq!(t(&Reply::ok(), 2), json!({"type": "status", "value": "OK"}));
        assert_eq!(
            t(&Reply::err("ERR x"), 2),
            json!({"type": "error", "value": "ERR x"})
        );
        assert_eq!(t(&Reply::Int(7), 2), json!({"type": "integer", "value": 7}));
        assert_eq!(
            t(&Reply::Int(i64::MAX), 2),
            json!({"type": "integer", "value": "9223372036854775807"})
        );
        assert_eq!(
            t(&Reply::bulk(b"\xff\x00"), 2),
            json!({"type": "bulk", "base64": "/wA="})
        );
        assert_eq!(t(&Reply::Null, 2), json!({"type": "null"}));
        assert_eq!(t(&Reply::NullArray, 2), json!({"type": "null"}));
        assert_eq!(t(&Reply::Null, 3), json!({"type": "null"}));
        // A double: RESP2 sends a bulk string, RESP3 a double with its text.
        assert_eq!(
            t(&Reply::Double(1.5), 2),
            json!({"type": "bulk", "value": "1.5"})
        );
        assert_eq!(
            t(&Reply::Double(1.5), 3),
            json!({"type": "double", "value": "1.5"})
        );
        assert_eq!(
            t(&Reply::Double(f64::NEG_INFINITY), 3),
            json!({"type": "double", "value": "-inf"})
        );
        assert_eq!(
            t(&Reply::Bool(false), 3),
            json!({"type": "boolean", "value": false})
        );
        assert_eq!(
            t(&Reply::Verbatim(b"hi".to_vec()), 3),
            json!({"type": "verbatim", "format": "txt", "value": "hi"})
        );
        let m = Reply::Map(vec![(Reply::bulk_str("k"), Reply::Int(1))]);
        assert_eq!(
            t(&m, 3),
            json!({"type": "map", "value": [[{"type": "bulk", "value": "k"}, {"type": "integer", "value": 1}]]})
        );
        assert_eq!(
            t(&m, 2),
            json!({"type": "array", "value": [{"type": "bulk", "value": "k"}, {"type": "integer", "value": 1}]})
        );
        let s = Reply::Set(vec![Reply::Array(vec![])]);
        assert_eq!(
            t(&s, 3),
            json!({"type": "set", "value": [{"type": "array", "value": []}]})
        );
        assert_eq!(
            t(&Reply::Push(vec![Reply::bulk_str("m")]), 3),
            json!({"type": "push", "value": [{"type": "bulk", "value": "m"}]})
        );
        // Attributes annotate the reply after them.
        let a = typed_all(b"|1\r\n+ttl\r\n:3\r\n+OK\r\n").unwrap();
        assert_eq!(a[0]["type"], "status");
        assert_eq!(a[0]["attributes"][0][1]["value"], 3);
        assert_eq!(
            typed_all(b"(123456789012345678901\r\n").unwrap()[0]["value"],
            "123456789012345678901"
        );
        assert!(typed_all(b"$5\r\nab\r\n").is_none());
        assert!(typed_all(b"*2\r\n:1\r\n").is_none());
        assert!(typed_all(b"?x\r\n").is_none());
    }

    #[test]
    fn arguments() {
        assert_eq!(arg(&json!("x")).unwrap(), b"x");
        assert_eq!(arg(&json!(10)).unwrap(), b"10");
        assert_eq!(arg(&json!(1.5)).unwrap(), b"1.5");
        assert_eq!(arg(&json!({"base64": "/wA="})).unwrap(), b"\xff\x00");
        assert!(arg(&json!(true)).is_err());
        assert!(arg(&json!({"base64": "!"})).is_err());
        assert!(arg(&json!([1])).is_err());
    }
}
