//! Values for comparing servers, shared by the tests that move keys
//! between redis-server and FlashDB (rdb.rs, migrate.rs): keys of every
//! type and encoding, streams with consumer groups, and each shown as
//! text both servers must agree on. Included with `#[path]` next to
//! `mod common;`.
#![allow(dead_code)]

use super::common::*;

pub fn redis_conn(port: u16) -> redis::Connection {
    redis::Client::open(format!("redis://127.0.0.1:{port}/"))
        .unwrap()
        .get_connection()
        .unwrap()
}

/// Runs a command with binary arguments, panicking on an error reply.
pub fn bq<T: redis::FromRedisValue>(c: &mut redis::Connection, args: &[&[u8]]) -> T {
    let mut cmd = redis::cmd(std::str::from_utf8(args[0]).unwrap());
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query::<T>(c).unwrap_or_else(|e| {
        panic!(
            "{:?}: {e}",
            args.iter()
                .map(|a| String::from_utf8_lossy(&a[..a.len().min(40)]).into_owned())
                .collect::<Vec<_>>()
        )
    })
}

/// A key's type and value as text, in a canonical order (sets and hashes
/// sorted), for comparing two servers.
pub fn show(c: &mut redis::Connection, key: &str) -> String {
    let t: String = q(c, &["TYPE", key]);
    let k = key.as_bytes();
    let v = match t.as_str() {
        "string" => {
            let v: Vec<u8> = bq(c, &[b"GET", k]);
            format!("{:?}", String::from_utf8_lossy(&v))
        }
        "list" => {
            let v: Vec<Vec<u8>> = bq(c, &[b"LRANGE", k, b"0", b"-1"]);
            format!("{v:?}")
        }
        "set" => {
            let mut v: Vec<Vec<u8>> = bq(c, &[b"SMEMBERS", k]);
            v.sort();
            format!("{v:?}")
        }
        "zset" => {
            let v: Vec<Vec<u8>> = bq(c, &[b"ZRANGE", k, b"0", b"-1", b"WITHSCORES"]);
            format!("{v:?}")
        }
        "hash" => {
            let v: Vec<Vec<u8>> = bq(c, &[b"HGETALL", k]);
            let mut pairs: Vec<_> = v.chunks(2).map(|p| p.to_vec()).collect();
            pairs.sort();
            format!("{pairs:?}")
        }
        other => other.to_string(),
    };
    format!("{t} {v}")
}

/// Creates keys in every encoding Redis 7.0 produces (with its default
/// thresholds): returns their names.
pub fn fill(c: &mut redis::Connection) -> Vec<String> {
    let mut keys = Vec::new();
    let mut run = |c: &mut redis::Connection, key: &str, args: Vec<Vec<u8>>| {
        let a: Vec<&[u8]> = args.iter().map(|x| x.as_slice()).collect();
        let _: redis::Value = bq(c, &a);
        keys.push(key.to_string());
    };
    let b = |s: &str| s.as_bytes().to_vec();
    let cmd_of = |name: &str, key: &str, rest: Vec<Vec<u8>>| {
        let mut v = vec![b(name), b(key)];
        v.extend(rest);
        v
    };
    // Strings: embstr, int-encoded (8, 16, 32 bit), beyond 32 bits, long
    // and compressible (LZF), binary, empty.
    for (k, v) in [
        ("s:small", b("hello")),
        ("s:i8", b("-7")),
        ("s:i16", b("12345")),
        ("s:i32", b("-2000000000")),
        ("s:i64", b("1234567890123")),
        ("s:long", b(&"abcabcabc-".repeat(200))),
        ("s:bin", vec![0, 255, 13, 10, 128, 0]),
        ("s:empty", vec![]),
        ("s:float", b("3.14")),
    ] {
        run(c, k, cmd_of("SET", k, vec![v]));
    }
    // Lists: one listpack node, many nodes (some compressed with
    // list-compress-depth 1), integers of every width.
    run(
        c,
        "l:small",
        cmd_of(
            "RPUSH",
            "l:small",
            ["a", "1", "-300", "70000", "-9000000000", ""]
                .iter()
                .map(|x| b(x))
                .collect(),
        ),
    );
    run(
        c,
        "l:big",
        cmd_of(
            "RPUSH",
            "l:big",
            (0..3000)
                .map(|i| b(&format!("element-{i}-padding")))
                .collect(),
        ),
    );
    // Sets: intset small and large (hashtable past 512), strings.
    run(
        c,
        "set:ints",
        cmd_of(
            "SADD",
            "set:ints",
            [1i64, -2, 300, 70000, 5_000_000_000]
                .iter()
                .map(|i| b(&i.to_string()))
                .collect(),
        ),
    );
    run(
        c,
        "set:manyints",
        cmd_of(
            "SADD",
            "set:manyints",
            (0..600).map(|i| b(&(i * 7).to_string())).collect(),
        ),
    );
    run(
        c,
        "set:strs",
        cmd_of(
            "SADD",
            "set:strs",
            ["a", "b", "c"].iter().map(|x| b(x)).collect(),
        ),
    );
    run(
        c,
        "set:big",
        cmd_of(
            "SADD",
            "set:big",
            (0..700).map(|i| b(&format!("member:{i}"))).collect(),
        ),
    );
    // Sorted sets: listpack (int and float scores, inf), skiplist (large,
    // or a long member).
    run(
        c,
        "z:small",
        cmd_of(
            "ZADD",
            "z:small",
            [
                "1", "a", "2.5", "b", "-inf", "c", "inf", "d", "-3", "e", "1e20", "f",
            ]
            .iter()
            .map(|x| b(x))
            .collect(),
        ),
    );
    let mut zb = Vec::new();
    for i in 0..300 {
        zb.push(b(&format!("{}", i as f64 / 7.0)));
        zb.push(b(&format!("zm{i}")));
    }
    run(c, "z:big", cmd_of("ZADD", "z:big", zb));
    run(
        c,
        "z:longmember",
        cmd_of("ZADD", "z:longmember", vec![b("1"), b(&"m".repeat(100))]),
    );
    // Hashes: listpack, hashtable (large, or a long value).
    run(
        c,
        "h:small",
        cmd_of(
            "HSET",
            "h:small",
            ["f", "v", "n", "42", "neg", "-1", "e", ""]
                .iter()
                .map(|x| b(x))
                .collect(),
        ),
    );
    let mut hb = Vec::new();
    for i in 0..700 {
        hb.push(b(&format!("field{i}")));
        hb.push(b(&format!("value{i}")));
    }
    run(c, "h:big", cmd_of("HSET", "h:big", hb));
    run(
        c,
        "h:longvalue",
        cmd_of("HSET", "h:longvalue", vec![b("f"), b(&"v".repeat(100))]),
    );
    keys
}

/// Streams in the shapes DUMP must carry: deleted entries (XDEL, also of
/// a pending one, and trimmed node heads), entries with differing field
/// sets, integer fields and values, several nodes (over 100 entries and
/// entries over 4 KB), consumer groups with pending entries of several
/// consumers, an empty stream with a group, and a stream without groups.
/// Explicit IDs, so both servers build the same. Returns the keys.
pub fn fill_streams(c: &mut redis::Connection) -> Vec<String> {
    let big = "z".repeat(5000);
    for i in 1..=260u64 {
        let id = format!("{}-{}", 1000 + i, i % 3);
        let v = format!("value-{i}");
        let mut args: Vec<&str> = vec!["XADD", "x:big", &id, "name", &v];
        let n = i.to_string();
        if i % 7 == 0 {
            args.extend(["count", &n]);
        }
        if i % 11 == 0 {
            args = vec!["XADD", "x:big", &id, "other", &v, "42", "-7"];
        }
        if i % 60 == 0 {
            args.extend(["blob", &big]);
        }
        let _: String = q(c, &args);
    }
    for id in ["1003-0", "1100-1", "1101-2", "1150-0", "1259-1"] {
        let _: i64 = q(c, &["XDEL", "x:big", id]);
    }
    let _: String = q(c, &["XGROUP", "CREATE", "x:big", "g1", "0"]);
    let _: String = q(c, &["XGROUP", "CREATE", "x:big", "12345", "1200-0"]);
    let _: String = q(c, &["XGROUP", "CREATE", "x:big", "late", "$"]);
    for (consumer, n) in [("alice", "10"), ("bob", "5"), ("carol", "3")] {
        let _: redis::Value = q(
            c,
            &[
                "XREADGROUP",
                "GROUP",
                "g1",
                consumer,
                "COUNT",
                n,
                "STREAMS",
                "x:big",
                ">",
            ],
        );
    }
    let _: redis::Value = q(
        c,
        &[
            "XREADGROUP",
            "GROUP",
            "12345",
            "dave",
            "COUNT",
            "4",
            "STREAMS",
            "x:big",
            ">",
        ],
    );
    let _: i64 = q(c, &["XACK", "x:big", "g1", "1001-1", "1005-2"]);
    let _: redis::Value = q(
        c,
        &[
            "XCLAIM",
            "x:big",
            "g1",
            "carol",
            "0",
            "1002-2",
            "1004-1",
            "TIME",
            "1700000000000",
            "RETRYCOUNT",
            "7",
            "JUSTID",
        ],
    );
    let _: i64 = q(c, &["XDEL", "x:big", "1006-0"]); // pending, then deleted
    let _: String = q(c, &["XGROUP", "CREATECONSUMER", "x:big", "g1", "lazy"]);
    // Trimmed: the first node loses its head (entries flagged deleted).
    let _: String = q(c, &["XADD", "x:trim", "1-1", "a", "1"]);
    for i in 2..=150 {
        let _: String = q(c, &["XADD", "x:trim", &format!("{i}-1"), "a", "b"]);
    }
    let _: i64 = q(c, &["XTRIM", "x:trim", "MAXLEN", "120"]);
    // Empty, with a group; and small without groups.
    let _: String = q(c, &["XADD", "x:empty", "MAXLEN", "0", "5-5", "f", "v"]);
    let _: String = q(c, &["XGROUP", "CREATE", "x:empty", "g", "$"]);
    let _: String = q(
        c,
        &["XADD", "x:small", "1-1", "f", "v", "g", "123456789012"],
    );
    ["x:big", "x:trim", "x:empty", "x:small"]
        .iter()
        .map(|k| k.to_string())
        .collect()
}

/// A stream as both servers must report it: XLEN, XRANGE, XINFO STREAM
/// (without radix-tree-nodes, the rax's inner nodes FlashDB only
/// approximates), XINFO STREAM FULL (times there are the absolute ones
/// DUMP carries), XINFO GROUPS, XINFO CONSUMERS (without idle) and
/// XPENDING (without idle).
pub fn show_stream(c: &mut redis::Connection, key: &str) -> Vec<String> {
    show_stream_without(c, key, &[])
}

/// `show_stream` also without the fields named in `skip`.
pub fn show_stream_without(c: &mut redis::Connection, key: &str, skip: &[&str]) -> Vec<String> {
    use redis::Value as V;
    let strip = |v: V| strip_fields(v, skip);
    fn strip_fields(v: V, skip: &[&str]) -> V {
        match v {
            V::Array(items) => {
                let mut out = Vec::new();
                let mut it = items.into_iter().peekable();
                while let Some(x) = it.next() {
                    let drop = matches!(&x, V::BulkString(k)
                        if k == b"radix-tree-nodes" || k == b"idle" || k == b"inactive"
                            || skip.iter().any(|s| k == s.as_bytes()));
                    if drop {
                        it.next();
                        continue;
                    }
                    out.push(strip_fields(x, skip));
                }
                V::Array(out)
            }
            o => o,
        }
    }
    let mut out = vec![
        format!("{:?}", q::<V>(c, &["XLEN", key])),
        format!("{:?}", q::<V>(c, &["XRANGE", key, "-", "+"])),
        format!("{:?}", strip(q::<V>(c, &["XINFO", "STREAM", key]))),
        format!(
            "{:?}",
            strip(q::<V>(c, &["XINFO", "STREAM", key, "FULL", "COUNT", "0"]))
        ),
    ];
    let groups: V = q(c, &["XINFO", "GROUPS", key]);
    out.push(format!("{:?}", strip(groups.clone())));
    let V::Array(gs) = groups else { panic!() };
    for g in gs {
        let V::Array(kv) = g else { panic!() };
        let V::BulkString(name) = &kv[1] else {
            panic!()
        };
        let name = String::from_utf8_lossy(name).into_owned();
        out.push(format!(
            "{:?}",
            strip(q::<V>(c, &["XINFO", "CONSUMERS", key, &name]))
        ));
        out.push(format!("{:?}", q::<V>(c, &["XPENDING", key, &name])));
        // Extended form: ID, consumer, idle (dropped), delivery count.
        let V::Array(p) = q::<V>(c, &["XPENDING", key, &name, "-", "+", "1000"]) else {
            panic!()
        };
        for e in p {
            let V::Array(mut e) = e else { panic!() };
            e.remove(2);
            out.push(format!("{e:?}"));
        }
    }
    out
}
