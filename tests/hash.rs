//! The hash command family against the real binary: typed calls through
//! the `redis` crate, exact raw replies in RESP2 and RESP3, HSCAN's
//! guarantee while the hash grows, encodings, and a byte-for-byte
//! differential run against `redis-server` when it is installed.
mod common;
use common::*;
use std::collections::{HashMap, HashSet};
use std::net::TcpStream;
use std::time::Duration;

#[test]
fn typed_basics() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(q::<i64>(&mut c, &["HSET", "h", "a", "1", "b", "2"]), 2);
    assert_eq!(q::<i64>(&mut c, &["HSET", "h", "a", "10", "c", "3"]), 1);
    assert_eq!(q::<String>(&mut c, &["HMSET", "h", "d", "4"]), "OK");
    assert_eq!(q::<i64>(&mut c, &["HSETNX", "h", "a", "x"]), 0);
    assert_eq!(q::<i64>(&mut c, &["HSETNX", "h", "e", "5"]), 1);
    assert_eq!(
        q::<Option<String>>(&mut c, &["HGET", "h", "a"]),
        Some("10".into())
    );
    assert_eq!(q::<Option<String>>(&mut c, &["HGET", "h", "zz"]), None);
    assert_eq!(q::<Option<String>>(&mut c, &["HGET", "nokey", "a"]), None);
    assert_eq!(
        q::<Vec<Option<String>>>(&mut c, &["HMGET", "h", "a", "zz", "b"]),
        vec![Some("10".into()), None, Some("2".into())]
    );
    let all: HashMap<String, String> = q(&mut c, &["HGETALL", "h"]);
    assert_eq!(all.len(), 5);
    assert_eq!(all["d"], "4");
    let mut keys: Vec<String> = q(&mut c, &["HKEYS", "h"]);
    keys.sort();
    assert_eq!(keys, ["a", "b", "c", "d", "e"]);
    let mut vals: Vec<String> = q(&mut c, &["HVALS", "h"]);
    vals.sort();
    assert_eq!(vals, ["10", "2", "3", "4", "5"]);
    assert_eq!(q::<i64>(&mut c, &["HLEN", "h"]), 5);
    assert_eq!(q::<i64>(&mut c, &["HLEN", "nokey"]), 0);
    assert_eq!(q::<i64>(&mut c, &["HEXISTS", "h", "a"]), 1);
    assert_eq!(q::<i64>(&mut c, &["HEXISTS", "h", "zz"]), 0);
    assert_eq!(q::<i64>(&mut c, &["HSTRLEN", "h", "a"]), 2);
    assert_eq!(q::<i64>(&mut c, &["HSTRLEN", "h", "zz"]), 0);
    assert_eq!(q::<i64>(&mut c, &["HINCRBY", "h", "a", "5"]), 15);
    assert_eq!(q::<i64>(&mut c, &["HINCRBY", "h", "n", "-3"]), -3);
    assert_eq!(
        q::<String>(&mut c, &["HINCRBYFLOAT", "h", "f", "10.5"]),
        "10.5"
    );
    assert_eq!(
        q::<String>(&mut c, &["HINCRBYFLOAT", "h", "f", "0.1"]),
        "10.6"
    );
    assert_eq!(
        q::<String>(&mut c, &["HINCRBYFLOAT", "h", "a", "1.5e1"]),
        "30"
    );
    assert_eq!(q::<i64>(&mut c, &["HDEL", "h", "a", "zz", "b"]), 2);
    assert_eq!(q::<i64>(&mut c, &["HDEL", "nokey", "a"]), 0);
    let f: Option<String> = q(&mut c, &["HRANDFIELD", "h"]);
    assert!(all.contains_key(f.as_deref().unwrap()) || ["n", "f"].contains(&f.as_deref().unwrap()));
    assert_eq!(q::<Option<String>>(&mut c, &["HRANDFIELD", "nokey"]), None);
    let (cur, items): (String, Vec<String>) = q(&mut c, &["HSCAN", "h", "0"]);
    assert_eq!(cur, "0");
    assert_eq!(items.len(), 2 * q::<usize>(&mut c, &["HLEN", "h"]));
    assert_eq!(q::<String>(&mut c, &["TYPE", "h"]), "hash");
}

#[test]
fn errors() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let mut raw = srv.raw();
    // Exact error lines, read raw (the redis crate reformats error texts).
    let mut qerr = |_: &mut redis::Connection, args: &[&str]| -> String {
        let r = calls(&mut raw, args);
        assert!(r.starts_with('-'), "{args:?}: {r}");
        r[1..r.len() - 2].to_string()
    };
    let _: () = q(&mut c, &["SET", "s", "x"]);
    let wt = "WRONGTYPE Operation against a key holding the wrong kind of value";
    for args in [
        &["HSET", "s", "a", "1"][..],
        &["HSETNX", "s", "a", "1"],
        &["HMSET", "s", "a", "1"],
        &["HGET", "s", "a"],
        &["HMGET", "s", "a"],
        &["HGETALL", "s"],
        &["HDEL", "s", "a"],
        &["HEXISTS", "s", "a"],
        &["HLEN", "s"],
        &["HKEYS", "s"],
        &["HVALS", "s"],
        &["HINCRBY", "s", "a", "1"],
        &["HINCRBYFLOAT", "s", "a", "1"],
        &["HSTRLEN", "s", "a"],
        &["HRANDFIELD", "s"],
        &["HRANDFIELD", "s", "0"],
        &["HSCAN", "s", "0"],
    ] {
        assert_eq!(qerr(&mut c, args), wt, "{args:?}");
    }
    let _: i64 = q(&mut c, &["HSET", "h", "s", "abc", "i", "007", "inf", "inf"]);
    for (args, want) in [
        (&["GET", "h"][..], wt),
        (&["APPEND", "h", "x"], wt),
        (
            &["HSET", "h", "a"],
            "ERR wrong number of arguments for 'hset' command",
        ),
        (
            &["HMSET", "h", "a", "1", "b"],
            "ERR wrong number of arguments for 'hmset' command",
        ),
        (
            &["HGET", "h"],
            "ERR wrong number of arguments for 'hget' command",
        ),
        (
            &["HINCRBY", "h", "s", "1"],
            "ERR hash value is not an integer",
        ),
        (
            &["HINCRBY", "h", "i", "1"],
            "ERR hash value is not an integer",
        ),
        (
            &["HINCRBY", "h", "x", "1.5"],
            "ERR value is not an integer or out of range",
        ),
        (
            &["HINCRBYFLOAT", "h", "s", "1"],
            "ERR hash value is not a float",
        ),
        (
            &["HINCRBYFLOAT", "h", "x", "abc"],
            "ERR value is not a valid float",
        ),
        (
            &["HINCRBYFLOAT", "h", "x", "inf"],
            "ERR value is NaN or Infinity",
        ),
        (
            &["HINCRBYFLOAT", "h", "inf", "1"],
            "ERR increment would produce NaN or Infinity",
        ),
        (
            &["HRANDFIELD", "h", "x"],
            "ERR value is not an integer or out of range",
        ),
        (&["HRANDFIELD", "h", "1", "WITHVALUE"], "ERR syntax error"),
        (
            &["HRANDFIELD", "h", "1", "WITHVALUES", "x"],
            "ERR syntax error",
        ),
        (
            &["HRANDFIELD", "h", "9223372036854775807", "WITHVALUES"],
            "ERR value is out of range",
        ),
        (&["HSCAN", "h", "x"], "ERR invalid cursor"),
        (&["HSCAN", "h", "0", "COUNT", "0"], "ERR syntax error"),
        (&["HSCAN", "h", "0", "TYPE", "hash"], "ERR syntax error"),
        (&["HSCAN", "h", "0", "MATCH"], "ERR syntax error"),
    ] {
        assert_eq!(qerr(&mut c, args), want, "{args:?}");
    }
    let _: i64 = q(&mut c, &["HSET", "h", "n", "9223372036854775807"]);
    assert_eq!(
        qerr(&mut c, &["HINCRBY", "h", "n", "1"]),
        "ERR increment or decrement would overflow"
    );
    // Nothing above changed the hash.
    assert_eq!(q::<i64>(&mut c, &["HLEN", "h"]), 4);
}

#[test]
fn raw_replies_resp2_and_resp3() {
    let srv = TestServer::start();
    let mut s = srv.raw();
    assert_eq!(calls(&mut s, &["HSET", "h", "f", "v"]), ":1\r\n");
    assert_eq!(
        calls(&mut s, &["HGETALL", "h"]),
        "*2\r\n$1\r\nf\r\n$1\r\nv\r\n"
    );
    assert_eq!(calls(&mut s, &["HGETALL", "no"]), "*0\r\n");
    assert_eq!(
        calls(&mut s, &["HMGET", "h", "f", "x"]),
        "*2\r\n$1\r\nv\r\n$-1\r\n"
    );
    assert_eq!(calls(&mut s, &["HGET", "h", "x"]), "$-1\r\n");
    assert_eq!(calls(&mut s, &["HRANDFIELD", "no"]), "$-1\r\n");
    assert_eq!(calls(&mut s, &["HRANDFIELD", "no", "3"]), "*0\r\n");
    assert_eq!(
        calls(&mut s, &["HRANDFIELD", "h", "-2", "WITHVALUES"]),
        "*4\r\n$1\r\nf\r\n$1\r\nv\r\n$1\r\nf\r\n$1\r\nv\r\n"
    );
    assert_eq!(
        calls(&mut s, &["HSCAN", "h", "0"]),
        "*2\r\n$1\r\n0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"
    );
    assert_eq!(
        calls(&mut s, &["HSCAN", "no", "0"]),
        "*2\r\n$1\r\n0\r\n*0\r\n"
    );
    assert_eq!(calls(&mut s, &["HMSET", "h", "g", "w"]), "+OK\r\n");
    assert_eq!(
        calls(&mut s, &["HINCRBYFLOAT", "h", "x", "1.5"]),
        "$3\r\n1.5\r\n"
    );
    let _ = calls(&mut s, &["HELLO", "3"]);
    assert_eq!(calls(&mut s, &["HDEL", "h", "g", "x"]), ":2\r\n");
    assert_eq!(
        calls(&mut s, &["HGETALL", "h"]),
        "%1\r\n$1\r\nf\r\n$1\r\nv\r\n"
    );
    assert_eq!(calls(&mut s, &["HGETALL", "no"]), "%0\r\n");
    assert_eq!(
        calls(&mut s, &["HMGET", "h", "f", "x"]),
        "*2\r\n$1\r\nv\r\n_\r\n"
    );
    assert_eq!(calls(&mut s, &["HGET", "h", "x"]), "_\r\n");
    assert_eq!(calls(&mut s, &["HRANDFIELD", "no"]), "_\r\n");
    assert_eq!(
        calls(&mut s, &["HRANDFIELD", "h", "-2", "WITHVALUES"]),
        "*2\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"
    );
    assert_eq!(
        calls(&mut s, &["HRANDFIELD", "h", "5", "WITHVALUES"]),
        "*1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"
    );
    assert_eq!(
        calls(&mut s, &["HRANDFIELD", "h", "0", "WITHVALUES"]),
        "*0\r\n"
    );
}

#[test]
fn hrandfield_counts_and_members() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let mut s = srv.raw();
    let mut args = vec!["HSET".to_string(), "h".into()];
    for i in 0..30 {
        args.push(format!("f{i}"));
        args.push(format!("v{i}"));
    }
    let a: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    assert_eq!(q::<i64>(&mut c, &a), 30);
    // Positive count: distinct fields, at most the hash's size.
    for n in [1usize, 5, 20, 29, 30, 100] {
        let v: Vec<String> = q(&mut c, &["HRANDFIELD", "h", &n.to_string()]);
        assert_eq!(v.len(), n.min(30));
        let set: HashSet<&String> = v.iter().collect();
        assert_eq!(set.len(), v.len(), "repeats for count {n}");
        assert!(v.iter().all(|f| f.starts_with('f')));
    }
    // Negative count: exactly |count| picks, repeats allowed.
    let v: Vec<String> = q(&mut c, &["HRANDFIELD", "h", "-200"]);
    assert_eq!(v.len(), 200);
    assert!(HashSet::<&String>::from_iter(&v).len() < 200);
    // WITHVALUES pairs each field with its own value.
    let v: Vec<String> = q(&mut c, &["HRANDFIELD", "h", "-50", "WITHVALUES"]);
    assert_eq!(v.len(), 100);
    for p in v.chunks(2) {
        assert_eq!(p[0][1..], p[1][1..]);
    }
    // RESP3: an array of [field, value] arrays.
    let _ = call(&mut s, &["HELLO", "3"]);
    let raw = calls(&mut s, &["HRANDFIELD", "h", "3", "WITHVALUES"]);
    assert!(raw.starts_with("*3\r\n*2\r\n$"), "{raw}");
    assert_eq!(raw.matches("*2\r\n").count(), 3);
    let raw = calls(&mut s, &["HRANDFIELD", "h", "-3"]);
    assert!(raw.starts_with("*3\r\n$"), "{raw}");
}

/// HSCAN returns every field present for the whole iteration, even while
/// the hash keeps growing (the Dict's reverse-binary cursor).
#[test]
fn hscan_full_iteration_while_growing() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let mut p = redis::pipe();
    for i in 0..600 {
        p.cmd("HSET")
            .arg("h")
            .arg(format!("stay{i}"))
            .arg(i)
            .ignore();
    }
    let _: () = p.query(&mut c).unwrap();
    assert_eq!(
        q::<String>(&mut c, &["OBJECT", "ENCODING", "h"]),
        "hashtable"
    );
    let mut seen = HashSet::new();
    let mut cursor = "0".to_string();
    let mut step = 0;
    let mut added = 0;
    loop {
        let (next, items): (String, Vec<String>) =
            q(&mut c, &["HSCAN", "h", &cursor, "COUNT", "10"]);
        for pair in items.chunks(2) {
            if let Some(i) = pair[0].strip_prefix("stay") {
                assert_eq!(pair[1], i);
            }
            seen.insert(pair[0].clone());
        }
        // Keep adding fields for a while so the table resizes under the
        // cursor (2 per step: faster than HSCAN advances would never end).
        let mut p = redis::pipe();
        for _ in 0..if step < 400 { 2 } else { 0 } {
            p.cmd("HSET")
                .arg("h")
                .arg(format!("new{added}"))
                .arg("x")
                .ignore();
            added += 1;
        }
        let _: () = p.query(&mut c).unwrap();
        step += 1;
        cursor = next;
        if cursor == "0" {
            break;
        }
        assert!(step < 10_000);
    }
    for i in 0..600 {
        assert!(seen.contains(&format!("stay{i}")), "missed stay{i}");
    }
    // MATCH filters fields (values go with their field).
    let mut matched = HashSet::new();
    let mut cursor = "0".to_string();
    loop {
        let (next, items): (String, Vec<String>) = q(
            &mut c,
            &["HSCAN", "h", &cursor, "MATCH", "stay1*", "COUNT", "50"],
        );
        for pair in items.chunks(2) {
            assert!(pair[0].starts_with("stay1"));
            matched.insert(pair[0].clone());
        }
        cursor = next;
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(matched.len(), 111); // stay1, stay10-19, stay100-199
}

#[test]
fn emptied_hash_disappears_and_encodings() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(q::<i64>(&mut c, &["HSET", "h", "a", "1", "b", "2"]), 2);
    assert_eq!(q::<String>(&mut c, &["TYPE", "h"]), "hash");
    assert_eq!(
        q::<String>(&mut c, &["OBJECT", "ENCODING", "h"]),
        "listpack"
    );
    assert_eq!(q::<i64>(&mut c, &["HDEL", "h", "a", "b", "c"]), 2);
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "h"]), 0);
    assert_eq!(q::<String>(&mut c, &["TYPE", "h"]), "none");
    // A value over hash-max-listpack-value (64) converts for good.
    let v64 = "x".repeat(64);
    let v65 = "x".repeat(65);
    let _: i64 = q(&mut c, &["HSET", "h", "a", &v64]);
    assert_eq!(
        q::<String>(&mut c, &["OBJECT", "ENCODING", "h"]),
        "listpack"
    );
    let _: i64 = q(&mut c, &["HSET", "h", "b", &v65]);
    assert_eq!(
        q::<String>(&mut c, &["OBJECT", "ENCODING", "h"]),
        "hashtable"
    );
    let _: i64 = q(&mut c, &["HDEL", "h", "b"]);
    assert_eq!(
        q::<String>(&mut c, &["OBJECT", "ENCODING", "h"]),
        "hashtable"
    );
    // A long field name through HINCRBY converts too.
    let _: i64 = q(&mut c, &["HINCRBY", "i", &v65, "1"]);
    assert_eq!(
        q::<String>(&mut c, &["OBJECT", "ENCODING", "i"]),
        "hashtable"
    );
    // HSETNX on an existing field does not convert.
    let _: i64 = q(&mut c, &["HSET", "j", "a", "1"]);
    assert_eq!(q::<i64>(&mut c, &["HSETNX", "j", "a", &v65]), 0);
    assert_eq!(
        q::<String>(&mut c, &["OBJECT", "ENCODING", "j"]),
        "listpack"
    );
    // More entries than hash-max-listpack-entries converts.
    let _: () = q(&mut c, &["CONFIG", "SET", "hash-max-listpack-entries", "3"]);
    let _: i64 = q(&mut c, &["HSET", "k", "a", "1", "b", "2", "c", "3"]);
    assert_eq!(
        q::<String>(&mut c, &["OBJECT", "ENCODING", "k"]),
        "listpack"
    );
    let _: i64 = q(&mut c, &["HSET", "k", "d", "4"]);
    assert_eq!(
        q::<String>(&mut c, &["OBJECT", "ENCODING", "k"]),
        "hashtable"
    );
    let _: i64 = q(&mut c, &["HDEL", "k", "d", "c"]);
    assert_eq!(
        q::<String>(&mut c, &["OBJECT", "ENCODING", "k"]),
        "hashtable"
    );
    // COPY and RENAME keep the value and its encoding.
    let _: i64 = q(&mut c, &["COPY", "k", "k2"]);
    assert_eq!(
        q::<String>(&mut c, &["OBJECT", "ENCODING", "k2"]),
        "hashtable"
    );
    let _: () = q(&mut c, &["RENAME", "j", "j2"]);
    assert_eq!(
        q::<Option<String>>(&mut c, &["HGET", "j2", "a"]),
        Some("1".into())
    );
    // SCAN TYPE sees hashes.
    let (_, keys): (String, Vec<String>) =
        q(&mut c, &["SCAN", "0", "TYPE", "hash", "COUNT", "1000"]);
    let keys: HashSet<String> = keys.into_iter().collect();
    assert_eq!(
        keys,
        HashSet::from_iter(["h", "i", "j2", "k", "k2"].map(String::from))
    );
}

/// INFO's used_memory goes back to where it was once a hash that went
/// through every kind of change is deleted: the in-place accounting stayed
/// exact (DEL subtracts the entry's size measured afresh).
#[test]
fn memory_accounting_returns_to_baseline() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let used = |c: &mut redis::Connection| used_memory(c) as u64;
    let before = used(&mut c);
    let long = "y".repeat(100);
    for round in 0..3 {
        for i in 0..200 {
            let f = format!("field-{i}-{}", "z".repeat(i % 30));
            let _: i64 = q(&mut c, &["HSET", "h", &f, &long[..i % 100]]);
            if i % 3 == 0 {
                let _: i64 = q(&mut c, &["HINCRBY", "h", &format!("n{i}"), "12345678901"]);
                let _: String = q(&mut c, &["HINCRBYFLOAT", "h", &format!("x{i}"), "1e30"]);
            }
            if i % 5 == round {
                let _: i64 = q(&mut c, &["HDEL", "h", &f]);
            }
        }
    }
    assert!(used(&mut c) > before);
    let _: i64 = q(&mut c, &["DEL", "h"]);
    assert_eq!(used(&mut c), before);
}

// ---------------------------------------------------------------- differential

/// How a case's reply is compared.
#[derive(Clone, Copy, PartialEq)]
enum Cmp {
    Exact,
    /// An array/map whose elements come in any order (HKEYS, HVALS).
    Sorted,
    /// Field/value pairs in any order (HGETALL; HSCAN's second element).
    Pairs,
    Scan,
}

/// The length in bytes of the RESP value at the start of `b`.
fn value_len(b: &[u8]) -> usize {
    let eol = b.windows(2).position(|w| w == b"\r\n").unwrap();
    let head = std::str::from_utf8(&b[1..eol]).unwrap();
    let mut n = eol + 2;
    match b[0] {
        b'$' | b'=' | b'!' => {
            let len: i64 = head.parse().unwrap();
            if len >= 0 {
                n += len as usize + 2;
            }
        }
        b'*' | b'~' | b'>' | b'%' => {
            let mut k: i64 = head.parse().unwrap();
            if b[0] == b'%' {
                k *= 2;
            }
            for _ in 0..k.max(0) {
                n += value_len(&b[n..]);
            }
        }
        _ => {}
    }
    n
}

/// Splits an aggregate into its header line and its elements' raw bytes.
fn split(b: &[u8]) -> (Vec<u8>, Vec<Vec<u8>>) {
    let eol = b.windows(2).position(|w| w == b"\r\n").unwrap() + 2;
    let mut out = Vec::new();
    let mut i = eol;
    while i < b.len() {
        let n = value_len(&b[i..]);
        out.push(b[i..i + n].to_vec());
        i += n;
    }
    (b[..eol].to_vec(), out)
}

fn normalize(raw: Vec<u8>, how: Cmp) -> Vec<u8> {
    if how == Cmp::Exact || !matches!(raw[0], b'*' | b'%') {
        return raw;
    }
    let (head, mut items) = split(&raw);
    match how {
        Cmp::Sorted => items.sort(),
        Cmp::Pairs => {
            let mut pairs: Vec<Vec<u8>> = items.chunks(2).map(|p| p.concat()).collect();
            pairs.sort();
            items = pairs;
        }
        Cmp::Scan => {
            let inner = normalize(items[1].clone(), Cmp::Pairs);
            items[1] = inner;
        }
        Cmp::Exact => {}
    }
    let mut out = head;
    for i in items {
        out.extend(i);
    }
    out
}

fn differential_cases() -> Vec<(Cmp, Vec<String>)> {
    use Cmp::*;
    let v65 = "v".repeat(65);
    let v64 = "v".repeat(64);
    let big = (0..20)
        .map(|i| format!("f{i} {i}"))
        .collect::<Vec<_>>()
        .join(" ");
    let spec: Vec<(Cmp, String)> = vec![
        (Exact, "HSET K1 a 1 b 2 c 3".into()),
        (Exact, "HSET K1 a 10 d 4".into()),
        (Exact, "HSET K1 a".into()),
        (Exact, "HSET K1".into()),
        (Exact, "HGET K1 a".into()),
        (Exact, "HGET K1 zz".into()),
        (Exact, "HGET NO a".into()),
        (Exact, "HMGET K1 a zz b".into()),
        (Exact, "HMGET NO a b".into()),
        (Pairs, "HGETALL K1".into()),
        (Exact, "HGETALL NO".into()),
        (Sorted, "HKEYS K1".into()),
        (Sorted, "HVALS K1".into()),
        (Exact, "HKEYS NO".into()),
        (Exact, "HVALS NO".into()),
        (Exact, "HLEN K1".into()),
        (Exact, "HLEN NO".into()),
        (Exact, "HEXISTS K1 a".into()),
        (Exact, "HEXISTS K1 zz".into()),
        (Exact, "HEXISTS NO a".into()),
        (Exact, "HSTRLEN K1 a".into()),
        (Exact, "HSTRLEN K1 zz".into()),
        (Exact, "HSTRLEN NO a".into()),
        (Exact, "HSETNX K1 a x".into()),
        (Exact, "HSETNX K1 e 5".into()),
        (Exact, "HSETNX K2 f v".into()),
        (Exact, "HMSET K2 g w".into()),
        (Exact, "HMSET K2 g".into()),
        (Exact, "HDEL K1 a zz b".into()),
        (Exact, "HDEL NO a".into()),
        (Exact, "HDEL K1".into()),
        (Exact, "HINCRBY K3 n 5".into()),
        (Exact, "HINCRBY K3 n -10".into()),
        (Exact, "HINCRBY K3 n abc".into()),
        (Exact, "HINCRBY K3 n 1.5".into()),
        (Exact, "HINCRBY K3 n 9223372036854775807".into()),
        (Exact, "HINCRBY K3 m 9223372036854775807".into()),
        (Exact, "HINCRBY K3 m 1".into()),
        (Exact, "HINCRBY K3 n -9223372036854775808".into()),
        (Exact, "HSET K3 s abc z 007 sp \" 1\" inf inf".into()),
        (Exact, "HINCRBY K3 s 1".into()),
        (Exact, "HINCRBY K3 z 1".into()),
        (Exact, "HINCRBY K3 sp 1".into()),
        (Exact, "HINCRBYFLOAT K3 fl 10.5".into()),
        (Exact, "HINCRBYFLOAT K3 fl 0.1".into()),
        (Exact, "HINCRBYFLOAT K3 fl -0.6".into()),
        (Exact, "HINCRBYFLOAT K3 fl 1000.1".into()),
        (Exact, "HINCRBYFLOAT K3 n 0x10".into()),
        (Exact, "HINCRBYFLOAT K3 n 1e-400".into()),
        (Exact, "HINCRBYFLOAT K3 z 1".into()),
        (Exact, "HINCRBYFLOAT K3 fl abc".into()),
        (Exact, "HINCRBYFLOAT K3 fl inf".into()),
        (Exact, "HINCRBYFLOAT K3 fl -inf".into()),
        (Exact, "HINCRBYFLOAT K3 fl nan".into()),
        (Exact, "HINCRBYFLOAT K3 s 1".into()),
        (Exact, "HINCRBYFLOAT K3 sp 1".into()),
        (Exact, "HINCRBYFLOAT K3 inf 1".into()),
        (Exact, "HINCRBYFLOAT K3 big 1e300".into()),
        (Exact, "OBJECT ENCODING K3".into()),
        (Pairs, "HGETALL K3".into()),
        (Exact, "SET K4 str".into()),
        (Exact, "HSET K4 a 1".into()),
        (Exact, "HSETNX K4 a 1".into()),
        (Exact, "HMSET K4 a 1".into()),
        (Exact, "HGET K4 a".into()),
        (Exact, "HMGET K4 a".into()),
        (Exact, "HGETALL K4".into()),
        (Exact, "HDEL K4 a".into()),
        (Exact, "HEXISTS K4 a".into()),
        (Exact, "HLEN K4".into()),
        (Exact, "HKEYS K4".into()),
        (Exact, "HVALS K4".into()),
        (Exact, "HINCRBY K4 a 1".into()),
        (Exact, "HINCRBY K4 a x".into()),
        (Exact, "HINCRBYFLOAT K4 a 1".into()),
        (Exact, "HSTRLEN K4 a".into()),
        (Exact, "HRANDFIELD K4".into()),
        (Exact, "HRANDFIELD K4 0".into()),
        (Exact, "HRANDFIELD K4 x".into()),
        (Exact, "HSCAN K4 0".into()),
        (Exact, "HSCAN K4 x".into()),
        (Exact, "HSCAN K4 0 COUNT 0".into()),
        (Exact, "GET K1".into()),
        (Exact, "STRLEN K1".into()),
        (Exact, "INCR K1".into()),
        (Exact, "TYPE K1".into()),
        (Exact, "TYPE K4".into()),
        (Exact, "HSET K5 a 1".into()),
        (Exact, "HDEL K5 a".into()),
        (Exact, "EXISTS K5".into()),
        (Exact, "TYPE K5".into()),
        (Exact, "HSET K5 a 1 b 2".into()),
        (Exact, "HDEL K5 a b a".into()),
        (Exact, "EXISTS K5".into()),
        (Exact, "OBJECT ENCODING K1".into()),
        (Exact, format!("HSET K6 a {v64}")),
        (Exact, "OBJECT ENCODING K6".into()),
        (Exact, format!("HSET K6 b {v65}")),
        (Exact, "OBJECT ENCODING K6".into()),
        (Exact, "HDEL K6 b".into()),
        (Exact, "OBJECT ENCODING K6".into()),
        (Exact, format!("HSET K7 {v65} 1")),
        (Exact, "OBJECT ENCODING K7".into()),
        (Exact, format!("HINCRBY K8 {v65} 1")),
        (Exact, "OBJECT ENCODING K8".into()),
        (Exact, "HSET K9 a 1".into()),
        (Exact, format!("HSETNX K9 a {v65}")),
        (Exact, "OBJECT ENCODING K9".into()),
        (Exact, format!("HSETNX K9 b {v65}")),
        (Exact, "OBJECT ENCODING K9".into()),
        (Exact, "CONFIG SET hash-max-listpack-entries 4".into()),
        (Exact, "HSET KA a 1 b 2 c 3 d 4".into()),
        (Exact, "OBJECT ENCODING KA".into()),
        (Exact, "HSET KA e 5".into()),
        (Exact, "OBJECT ENCODING KA".into()),
        (Exact, "HDEL KA e d c b".into()),
        (Exact, "OBJECT ENCODING KA".into()),
        (Exact, "HSET KB a 1 b 2 c 3 d 4 e 5".into()),
        (Exact, "OBJECT ENCODING KB".into()),
        (Exact, "CONFIG SET hash-max-listpack-entries 0".into()),
        (Exact, "HSET KC a 1".into()),
        (Exact, "OBJECT ENCODING KC".into()),
        (Exact, "CONFIG SET hash-max-listpack-entries 512".into()),
        (Exact, "CONFIG SET hash-max-listpack-value 2".into()),
        (Exact, "HSET KD ab 12".into()),
        (Exact, "OBJECT ENCODING KD".into()),
        (Exact, "HINCRBY KD n 100".into()),
        (Exact, "OBJECT ENCODING KD".into()),
        (Exact, "CONFIG SET hash-max-listpack-value 64".into()),
        (Exact, "HSET KE only v".into()),
        (Exact, "HRANDFIELD KE".into()),
        (Exact, "HRANDFIELD KE 1".into()),
        (Exact, "HRANDFIELD KE -3".into()),
        (Exact, "HRANDFIELD KE 5".into()),
        (Exact, "HRANDFIELD KE -2 WITHVALUES".into()),
        (Exact, "HRANDFIELD KE 5 WITHVALUES".into()),
        (Exact, "HRANDFIELD KE 1 withvalues".into()),
        (Exact, "HRANDFIELD KE 0".into()),
        (Exact, "HRANDFIELD KE 0 WITHVALUES".into()),
        (Exact, "HRANDFIELD KE x".into()),
        (Exact, "HRANDFIELD KE -9223372036854775808".into()),
        (Exact, "HRANDFIELD KE 9223372036854775807 WITHVALUES".into()),
        (
            Exact,
            "HRANDFIELD KE -4611686018427387904 WITHVALUES".into(),
        ),
        (Exact, "HRANDFIELD KE 1 WITHVALUE".into()),
        (Exact, "HRANDFIELD KE 1 WITHVALUES x".into()),
        (Exact, "HRANDFIELD NO".into()),
        (Exact, "HRANDFIELD NO 3".into()),
        (Exact, "HRANDFIELD NO -3 WITHVALUES".into()),
        (Exact, "HRANDFIELD NO x".into()),
        (Exact, format!("HSET KF {big}")),
        (Sorted, "HRANDFIELD KF 20".into()),
        (Sorted, "HRANDFIELD KF 100".into()),
        (Scan, "HSCAN KF 0".into()),
        (Scan, "HSCAN KF 7".into()),
        (Scan, "HSCAN KF 0 MATCH f1*".into()),
        (Scan, "HSCAN KF 0 match f1? count 1000".into()),
        (Scan, "HSCAN KF 0 COUNT 1".into()),
        (Exact, "HSCAN KF 0 COUNT 0".into()),
        (Exact, "HSCAN KF 0 COUNT -1".into()),
        (Exact, "HSCAN KF 0 COUNT x".into()),
        (Exact, "HSCAN KF 0 TYPE hash".into()),
        (Exact, "HSCAN KF 0 MATCH".into()),
        (Exact, "HSCAN KF 0 FOO bar".into()),
        (Exact, "HSCAN KF x".into()),
        (Exact, "HSCAN KF -1 MATCH nomatch".into()),
        (Exact, "HSCAN NO 0".into()),
        (Exact, "HSCAN NO 0 COUNT 0".into()),
        (Exact, "HSCAN NO x".into()),
        (Exact, "HSET KG \"\" \"\"".into()),
        (Exact, "HGET KG \"\"".into()),
        (Exact, "HSTRLEN KG \"\"".into()),
        (Pairs, "HGETALL KG".into()),
        (Exact, "RENAME KG KH".into()),
        (Pairs, "HGETALL KH".into()),
        (Exact, "COPY KH KI".into()),
        (Pairs, "HGETALL KI".into()),
        (Exact, "HLEN KI".into()),
        (Exact, "DEL K1 K2 K3 KF".into()),
        (Exact, "HLEN K1".into()),
    ];
    spec.into_iter()
        .map(|(how, line)| (how, split_line(&line)))
        .collect()
}

/// Splits a case line on spaces, keeping "..." quoted words (which may be empty).
fn split_line(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut any = false;
    for ch in line.chars() {
        match ch {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            ' ' if !quoted => {
                if any || !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                any = false;
            }
            _ => cur.push(ch),
        }
    }
    if any || !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn run_cases(s: &mut TcpStream, prefix: &str, cases: &[(Cmp, Vec<String>)]) -> Vec<Vec<u8>> {
    cases
        .iter()
        .map(|(how, args)| {
            // Keys are upper-case words starting with K or NO: give them the prefix.
            let args: Vec<String> = args
                .iter()
                .enumerate()
                .map(|(i, a)| {
                    let is_key = i > 0
                        && a.len() <= 2
                        && (a.starts_with('K') || a == "NO")
                        && a.chars()
                            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
                    if is_key {
                        format!("{prefix}{a}")
                    } else {
                        a.clone()
                    }
                })
                .collect();
            let a: Vec<&str> = args.iter().map(|x| x.as_str()).collect();
            normalize(call(s, &a), *how)
        })
        .collect()
}

#[test]
fn differential_against_redis() {
    let Some(r) = RedisRef::start() else {
        return;
    };
    let srv = TestServer::start();
    let cases = differential_cases();
    for proto in ["2", "3"] {
        let mut a = TcpStream::connect(("127.0.0.1", r.port)).unwrap();
        a.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut b = srv.raw();
        if proto == "3" {
            let _ = call(&mut a, &["HELLO", "3"]);
            let _ = call(&mut b, &["HELLO", "3"]);
        }
        let prefix = format!("p{proto}:");
        let want = run_cases(&mut a, &prefix, &cases);
        let got = run_cases(&mut b, &prefix, &cases);
        // The cases really exercised both encodings and the error paths.
        for needle in [
            &b"hashtable"[..],
            b"listpack",
            b"-WRONGTYPE",
            b"-ERR syntax",
        ] {
            assert!(
                want.iter()
                    .any(|w| w.windows(needle.len()).any(|x| x == needle)),
                "{}",
                String::from_utf8_lossy(needle)
            );
        }
        let bad: Vec<String> = cases
            .iter()
            .zip(&want)
            .zip(&got)
            .filter(|((_, w), g)| w != g)
            .map(|(((_, c), w), g)| {
                format!(
                    "RESP{proto} {c:?}\n  redis:   {:?}\n  flashdb: {:?}",
                    String::from_utf8_lossy(w),
                    String::from_utf8_lossy(g)
                )
            })
            .collect();
        assert!(
            bad.is_empty(),
            "{} mismatches:\n{}",
            bad.len(),
            bad.join("\n")
        );
    }
}
