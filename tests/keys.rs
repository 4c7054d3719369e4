//! The generic key commands against the real binary: semantics through the
//! `redis` crate, exact replies as raw bytes, SCAN completeness under
//! concurrent inserts, and a byte-for-byte differential run against a real
//! `redis-server` when one is installed.
mod common;
use common::*;
use std::collections::HashSet;
use std::io::Write;
use std::net::TcpStream;

use std::time::Duration;

#[test]
fn key_commands_semantics() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let _: () = q(&mut c, &["SET", "a", "1"]);
    let _: () = q(&mut c, &["SET", "b", "2"]);
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "a", "a", "b", "nope"]), 3);
    assert_eq!(q::<String>(&mut c, &["TYPE", "a"]), "string");
    assert_eq!(q::<String>(&mut c, &["TYPE", "nope"]), "none");
    assert_eq!(q::<i64>(&mut c, &["DEL", "a", "a", "nope"]), 1);
    assert_eq!(q::<i64>(&mut c, &["UNLINK", "b", "nope"]), 1);
    assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 0);

    // RENAME keeps the TTL and replaces the destination.
    let _: () = q(&mut c, &["SET", "src", "v"]);
    let _: () = q(&mut c, &["SET", "dst", "old"]);
    assert_eq!(q::<i64>(&mut c, &["EXPIRE", "src", "100"]), 1);
    let _: () = q(&mut c, &["RENAME", "src", "dst"]);
    assert_eq!(
        q::<Option<String>>(&mut c, &["GET", "dst"]).as_deref(),
        Some("v")
    );
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "src"]), 0);
    assert_eq!(q::<i64>(&mut c, &["TTL", "dst"]), 100);
    assert!(qerr(&mut c, &["RENAME", "src", "x"]).contains("no such key"));
    let _: () = q(&mut c, &["SET", "other", "o"]);
    assert_eq!(q::<i64>(&mut c, &["RENAMENX", "dst", "other"]), 0);
    assert_eq!(q::<i64>(&mut c, &["RENAMENX", "dst", "fresh"]), 1);
    assert_eq!(q::<i64>(&mut c, &["TTL", "fresh"]), 100);
    assert_eq!(q::<i64>(&mut c, &["RENAMENX", "fresh", "fresh"]), 0);

    // COPY within and across DBs; the copy keeps the TTL.
    assert_eq!(q::<i64>(&mut c, &["COPY", "fresh", "other"]), 0);
    assert_eq!(q::<i64>(&mut c, &["COPY", "fresh", "other", "REPLACE"]), 1);
    assert_eq!(
        q::<Option<String>>(&mut c, &["GET", "other"]).as_deref(),
        Some("v")
    );
    assert_eq!(q::<i64>(&mut c, &["TTL", "other"]), 100);
    assert_eq!(q::<i64>(&mut c, &["COPY", "fresh", "fresh", "DB", "3"]), 1);
    assert_eq!(q::<i64>(&mut c, &["COPY", "nope", "x"]), 0);

    // MOVE: 0 when the destination has the key.
    assert_eq!(q::<i64>(&mut c, &["MOVE", "fresh", "3"]), 0);
    assert_eq!(q::<i64>(&mut c, &["MOVE", "other", "3"]), 1);
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "other"]), 0);
    let _: () = q(&mut c, &["SELECT", "3"]);
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "fresh", "other"]), 2);
    assert_eq!(q::<i64>(&mut c, &["TTL", "other"]), 100);

    // SWAPDB
    let _: () = q(&mut c, &["SWAPDB", "3", "4"]);
    assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 0);
    let _: () = q(&mut c, &["SELECT", "4"]);
    assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 2);
    assert!(q::<Option<String>>(&mut c, &["RANDOMKEY"]).is_some());
    let _: () = q(&mut c, &["SELECT", "5"]);
    assert_eq!(q::<Option<String>>(&mut c, &["RANDOMKEY"]), None);
    let _: () = q(&mut c, &["SELECT", "0"]);

    // KEYS
    for k in ["hello", "hallo", "hxllo", "world"] {
        let _: () = q(&mut c, &["SET", k, "x"]);
    }
    let mut ks: Vec<String> = q(&mut c, &["KEYS", "h?llo"]);
    ks.sort();
    assert_eq!(ks, ["hallo", "hello", "hxllo"]);
    let mut ks: Vec<String> = q(&mut c, &["KEYS", "h[ae]llo"]);
    ks.sort();
    assert_eq!(ks, ["hallo", "hello"]);
    let all: Vec<String> = q(&mut c, &["KEYS", "*"]);
    assert_eq!(all.len() as i64, q::<i64>(&mut c, &["DBSIZE"]));

    // TOUCH counts existing keys, duplicates included.
    assert_eq!(q::<i64>(&mut c, &["TOUCH", "hello", "hello", "nope"]), 2);

    // OBJECT
    assert_eq!(
        q::<String>(&mut c, &["OBJECT", "ENCODING", "hello"]),
        "embstr"
    );
    let _: () = q(&mut c, &["SET", "n", "123"]);
    assert_eq!(q::<String>(&mut c, &["OBJECT", "ENCODING", "n"]), "int");
    assert_eq!(q::<i64>(&mut c, &["OBJECT", "REFCOUNT", "n"]), 2147483647);
    assert_eq!(q::<i64>(&mut c, &["OBJECT", "REFCOUNT", "hello"]), 1);
    assert!(q::<i64>(&mut c, &["OBJECT", "IDLETIME", "hello"]) <= 1);
    assert_eq!(
        q::<Option<String>>(&mut c, &["OBJECT", "ENCODING", "nope"]),
        None
    );
    assert!(qerr(&mut c, &["OBJECT", "FREQ", "hello"])
        .contains("An LFU maxmemory policy is not selected"));
    let help: Vec<String> = q(&mut c, &["OBJECT", "HELP"]);
    assert!(help[0].starts_with("OBJECT <subcommand>"));
    assert!(help.iter().any(|l| l == "REFCOUNT <key>"));
}

#[test]
fn ttl_family() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let _: () = q(&mut c, &["SET", "k", "v"]);
    assert_eq!(q::<i64>(&mut c, &["TTL", "k"]), -1);
    assert_eq!(q::<i64>(&mut c, &["PTTL", "k"]), -1);
    assert_eq!(q::<i64>(&mut c, &["TTL", "nope"]), -2);
    assert_eq!(q::<i64>(&mut c, &["PTTL", "nope"]), -2);
    assert_eq!(q::<i64>(&mut c, &["EXPIRETIME", "k"]), -1);
    assert_eq!(q::<i64>(&mut c, &["PEXPIRETIME", "nope"]), -2);
    // GT against no TTL (infinite) fails; LT succeeds.
    assert_eq!(q::<i64>(&mut c, &["EXPIRE", "k", "100", "GT"]), 0);
    assert_eq!(q::<i64>(&mut c, &["EXPIRE", "k", "100", "XX"]), 0);
    assert_eq!(q::<i64>(&mut c, &["EXPIRE", "k", "100", "LT"]), 1);
    assert_eq!(q::<i64>(&mut c, &["EXPIRE", "k", "200", "NX"]), 0);
    assert_eq!(q::<i64>(&mut c, &["EXPIRE", "k", "200", "LT"]), 0);
    assert_eq!(q::<i64>(&mut c, &["EXPIRE", "k", "200", "XX", "GT"]), 1);
    assert_eq!(q::<i64>(&mut c, &["TTL", "k"]), 200);
    let pttl: i64 = q(&mut c, &["PTTL", "k"]);
    assert!(pttl > 199_000 && pttl <= 200_000, "{pttl}");
    let _: () = q(&mut c, &["PEXPIREAT", "k", "4102444800123"]);
    assert_eq!(q::<i64>(&mut c, &["PEXPIRETIME", "k"]), 4102444800123);
    assert_eq!(q::<i64>(&mut c, &["EXPIRETIME", "k"]), 4102444800);
    assert_eq!(q::<i64>(&mut c, &["PERSIST", "k"]), 1);
    assert_eq!(q::<i64>(&mut c, &["PERSIST", "k"]), 0);
    assert_eq!(q::<i64>(&mut c, &["TTL", "k"]), -1);
    // A deadline in the past deletes the key and answers 1.
    assert_eq!(q::<i64>(&mut c, &["EXPIRE", "k", "-1"]), 1);
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "k"]), 0);
    assert_eq!(q::<i64>(&mut c, &["EXPIRE", "k", "10"]), 0);
    let _: () = q(&mut c, &["SET", "k", "v"]);
    assert_eq!(q::<i64>(&mut c, &["EXPIREAT", "k", "1"]), 1);
    assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 0);
    // Keys really expire.
    let _: () = q(&mut c, &["SET", "short", "v"]);
    assert_eq!(q::<i64>(&mut c, &["PEXPIRE", "short", "100"]), 1);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "short"]), 0);
    assert_eq!(q::<i64>(&mut c, &["TTL", "short"]), -2);
    assert_eq!(q::<i64>(&mut c, &["PERSIST", "short"]), 0);
    // Errors.
    assert!(qerr(&mut c, &["EXPIRE", "k", "9223372036854775807"])
        .contains("invalid expire time in 'expire' command"));
    assert!(qerr(&mut c, &["pexpire", "k", "9223372036854775807"])
        .contains("invalid expire time in 'pexpire' command"));
    assert!(qerr(&mut c, &["EXPIRE", "k", "1", "NX", "XX"]).contains("NX and XX, GT or LT"));
    assert!(qerr(&mut c, &["EXPIRE", "k", "1", "GT", "LT"]).contains("GT and LT options"));
}

#[test]
fn exact_replies() {
    let srv = TestServer::start();
    let mut s = srv.raw();
    let cases: &[(&[&str], &str)] = &[
        (&["SET", "a", "1"], "+OK\r\n"),
        (&["TYPE", "a"], "+string\r\n"),
        (&["TYPE", "zz"], "+none\r\n"),
        (&["RENAME", "zz", "y"], "-ERR no such key\r\n"),
        (&["RENAME", "a", "a"], "+OK\r\n"),
        (
            &["COPY", "a", "a"],
            "-ERR source and destination objects are the same\r\n",
        ),
        (
            &["COPY", "a", "b", "DB", "16"],
            "-ERR DB index is out of range\r\n",
        ),
        (&["COPY", "a", "b", "DB"], "-ERR syntax error\r\n"),
        (
            &["MOVE", "a", "0"],
            "-ERR source and destination objects are the same\r\n",
        ),
        (&["MOVE", "a", "-1"], "-ERR DB index is out of range\r\n"),
        (
            &["MOVE", "a", "2147483648"],
            "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n",
        ),
        (&["SWAPDB", "0", "x"], "-ERR invalid second DB index\r\n"),
        (&["SWAPDB", "x", "0"], "-ERR invalid first DB index\r\n"),
        (&["SWAPDB", "0", "16"], "-ERR DB index is out of range\r\n"),
        (
            &["EXPIRE", "a", "1", "foo"],
            "-ERR Unsupported option foo\r\n",
        ),
        (
            &["EXPIRE", "a", "x"],
            "-ERR value is not an integer or out of range\r\n",
        ),
        (&["SCAN", "x"], "-ERR invalid cursor\r\n"),
        (&["SCAN", " 1"], "-ERR invalid cursor\r\n"),
        (&["SCAN", "0", "COUNT", "0"], "-ERR syntax error\r\n"),
        (
            &["SCAN", "0", "COUNT", "x"],
            "-ERR value is not an integer or out of range\r\n",
        ),
        (&["SCAN", "0", "MATCH"], "-ERR syntax error\r\n"),
        (&["SCAN", "0"], "*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n"),
        (
            &["SCAN", "", "TYPE", "STRING"],
            "*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n",
        ),
        (&["SCAN", "0", "TYPE", "list"], "*2\r\n$1\r\n0\r\n*0\r\n"),
        (&["KEYS", "*"], "*1\r\n$1\r\na\r\n"),
        (&["KEYS", ""], "*0\r\n"),
        (&["OBJECT", "ENCODING", "zz"], "$-1\r\n"),
        (
            &["OBJECT", "ENCODING"],
            "-ERR wrong number of arguments for 'object|encoding' command\r\n",
        ),
        (
            &["OBJECT", "foo"],
            "-ERR unknown subcommand 'foo'. Try OBJECT HELP.\r\n",
        ),
        (
            &["OBJECT"],
            "-ERR wrong number of arguments for 'object' command\r\n",
        ),
        (&["RANDOMKEY"], "$1\r\na\r\n"),
        (&["SELECT", "9"], "+OK\r\n"),
        (&["RANDOMKEY"], "$-1\r\n"),
        (&["SCAN", "0"], "*2\r\n$1\r\n0\r\n*0\r\n"),
    ];
    for (args, want) in cases {
        assert_eq!(calls(&mut s, args), *want, "{args:?}");
    }
    // RESP3: a missing OBJECT ENCODING is `_`.
    assert!(calls(&mut s, &["HELLO", "3"]).starts_with('%'));
    assert_eq!(calls(&mut s, &["OBJECT", "ENCODING", "zz"]), "_\r\n");
}

/// Pipelines `SET prefix<i> v` for i in range and reads the replies.
fn bulk_set(s: &mut TcpStream, prefix: &str, range: std::ops::Range<usize>) {
    let mut buf = Vec::new();
    let n = range.len();
    for i in range {
        let k = format!("{prefix}{i}");
        buf.extend_from_slice(&cmd(&[b"SET", k.as_bytes(), b"v"]));
    }
    s.write_all(&buf).unwrap();
    let got = read_n(s, n * 5);
    assert!(got.chunks(5).all(|c| c == b"+OK\r\n"));
}

/// Parses a RESP2 SCAN reply: (cursor, keys).
fn scan_step(s: &mut TcpStream, cursor: &str, count: &str) -> (String, Vec<String>) {
    let raw = call(s, &["SCAN", cursor, "COUNT", count]);
    let text = String::from_utf8(raw).unwrap();
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(lines[0], "*2", "{text}");
    let next = lines[2].to_string();
    let n: usize = lines[3][1..].parse().unwrap();
    let keys = (0..n).map(|i| lines[5 + 2 * i].to_string()).collect();
    (next, keys)
}

#[test]
fn scan_sees_every_key_while_keys_are_added() {
    let srv = TestServer::start();
    let mut s = srv.raw();
    let mut w = srv.raw();
    bulk_set(&mut s, "stay:", 0..3000);
    let mut seen = HashSet::new();
    let mut cursor = "0".to_string();
    let mut step = 0;
    let mut added = 0;
    loop {
        let (next, keys) = scan_step(&mut s, &cursor, "20");
        seen.extend(keys);
        step += 1;
        // Add thousands of keys in the middle of the iteration, in bursts,
        // so stripes' tables grow between calls.
        if step % 5 == 0 && added < 8000 {
            bulk_set(&mut w, "new:", added..added + 2000);
            added += 2000;
        }
        cursor = next;
        if cursor == "0" {
            break;
        }
        assert!(step < 100_000, "SCAN does not terminate");
    }
    assert_eq!(added, 8000, "the iteration ended before all inserts");
    let missing: Vec<usize> = (0..3000)
        .filter(|i| !seen.contains(&format!("stay:{i}")))
        .collect();
    assert!(
        missing.is_empty(),
        "SCAN missed {} keys, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
    // MATCH filters what one full iteration returns.
    let mut c = srv.client();
    let mut cur: u64 = 0;
    let mut matched = HashSet::new();
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cur)
            .arg("MATCH")
            .arg("stay:1??")
            .arg("COUNT")
            .arg(1000)
            .query(&mut c)
            .unwrap();
        matched.extend(keys);
        cur = next;
        if cur == 0 {
            break;
        }
    }
    assert_eq!(matched.len(), 100);
}

#[test]
fn differential_against_redis() {
    let Some(reference) = RedisRef::start() else {
        return;
    };
    let srv = TestServer::start();
    let mut ours = srv.raw();
    let mut theirs = TcpStream::connect(("127.0.0.1", reference.port)).unwrap();
    theirs
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let big = "x".repeat(50);
    let script: Vec<Vec<&str>> = vec![
        vec!["SET", "a", "1"],
        vec!["SET", "b", "hello"],
        vec!["SET", "c", "12345"],
        vec!["SET", "big", &big],
        vec!["EXISTS", "a", "b", "c", "nokey", "a"],
        vec!["EXISTS", "nokey"],
        vec!["TYPE", "a"],
        vec!["TYPE", "nokey"],
        vec!["DEL", "nokey"],
        vec!["DEL", "a", "a"],
        vec!["UNLINK", "a", "nokey"],
        vec!["SET", "a", "1"],
        vec!["RENAME", "nokey", "x"],
        vec!["RENAME", "nokey", "nokey"],
        vec!["RENAMENX", "nokey", "x"],
        vec!["RENAME", "a", "a"],
        vec!["RENAMENX", "a", "a"],
        vec!["RENAME", "a", "a2"],
        vec!["EXISTS", "a", "a2"],
        vec!["RENAMENX", "a2", "b"],
        vec!["RENAMENX", "a2", "a"],
        vec!["GET", "a"],
        vec!["COPY", "a", "a"],
        vec!["COPY", "a", "a", "db", "0"],
        vec!["COPY", "a", "a", "DB", "1"],
        vec!["COPY", "a", "b"],
        vec!["COPY", "a", "b", "REPLACE"],
        vec!["GET", "b"],
        vec!["COPY", "a", "x", "db"],
        vec!["COPY", "a", "x", "db", "99"],
        vec!["COPY", "a", "x", "db", "-1"],
        vec!["COPY", "a", "x", "db", "abc"],
        vec!["COPY", "a", "x", "db", "2147483648"],
        vec!["COPY", "a", "x", "foo"],
        vec!["COPY", "a", "x", "replace", "foo"],
        vec!["COPY", "nokey", "nokey"],
        vec!["COPY", "nokey", "y"],
        vec!["SELECT", "1"],
        vec!["GET", "a"],
        vec!["SELECT", "0"],
        vec!["MOVE", "a", "0"],
        vec!["MOVE", "a", "16"],
        vec!["MOVE", "a", "-1"],
        vec!["MOVE", "a", "x"],
        vec!["MOVE", "a", "2147483648"],
        vec!["MOVE", "nokey", "0"],
        vec!["MOVE", "nokey", "1"],
        vec!["MOVE", "a", "1"],
        vec!["MOVE", "c", "1"],
        vec!["EXISTS", "c"],
        vec!["SELECT", "1"],
        vec!["GET", "c"],
        vec!["SELECT", "0"],
        vec!["EXPIRE", "a", "100"],
        vec!["TTL", "a"],
        vec!["EXPIRE", "a", "99", "gt"],
        vec!["EXPIRE", "a", "200", "GT"],
        vec!["TTL", "a"],
        vec!["EXPIRE", "a", "50", "lt"],
        vec!["TTL", "a"],
        vec!["EXPIRE", "a", "10", "nx"],
        vec!["EXPIRE", "b", "10", "xx"],
        vec!["EXPIRE", "b", "10", "gt"],
        vec!["TTL", "b"],
        vec!["EXPIRE", "b", "10", "lt"],
        vec!["TTL", "b"],
        vec!["PERSIST", "b"],
        vec!["PERSIST", "b"],
        vec!["TTL", "b"],
        vec!["PERSIST", "nokey"],
        vec!["TTL", "nokey"],
        vec!["PTTL", "nokey"],
        vec!["PTTL", "b"],
        vec!["EXPIRETIME", "nokey"],
        vec!["EXPIRETIME", "b"],
        vec!["PEXPIRETIME", "b"],
        vec!["EXPIREAT", "a", "4102444800"],
        vec!["EXPIRETIME", "a"],
        vec!["PEXPIRETIME", "a"],
        vec!["PEXPIREAT", "a", "4102444800499"],
        vec!["EXPIRETIME", "a"],
        vec!["PEXPIREAT", "a", "4102444800500"],
        vec!["EXPIRETIME", "a"],
        vec!["PEXPIRETIME", "a"],
        vec!["EXPIREAT", "a", "4102444801", "LT"],
        vec!["EXPIREAT", "a", "4102444799", "LT"],
        vec!["EXPIRETIME", "a"],
        vec!["EXPIRE", "a", "10", "nx", "xx"],
        vec!["EXPIRE", "a", "10", "NX", "GT"],
        vec!["EXPIRE", "a", "10", "xx", "gt", "lt"],
        vec!["EXPIRE", "a", "10", "gt", "lt"],
        vec!["EXPIRE", "a", "10", "foo"],
        vec!["EXPIRE", "a", "abc", "foo"],
        vec!["EXPIRE", "a", "abc"],
        vec!["EXPIRE", "a", "1.5"],
        vec!["EXPIRE", "a", "9223372036854775807"],
        vec!["EXPIRE", "a", "-9223372036854775808"],
        vec!["PEXPIRE", "a", "9223372036854775807"],
        vec!["EXPIREAT", "a", "9223372036854775807"],
        vec!["PEXPIREAT", "a", "9223372036854775807"],
        vec!["EXPIRETIME", "a"],
        vec!["PEXPIRETIME", "a"],
        vec!["EXPIRE", "a", "-1"],
        vec!["EXISTS", "a"],
        vec!["SET", "a", "1"],
        vec!["PEXPIREAT", "a", "0"],
        vec!["EXISTS", "a"],
        vec!["SET", "a", "1"],
        vec!["PEXPIREAT", "a", "-9223372036854775808"],
        vec!["EXISTS", "a"],
        vec!["SET", "a", "1"],
        vec!["EXPIRE", "a", "-5", "LT"],
        vec!["EXISTS", "a"],
        vec!["SET", "a", "1"],
        vec!["EXPIRE", "a", "-5", "GT"],
        vec!["EXISTS", "a"],
        vec!["EXPIRE", "nokey", "10"],
        vec!["EXPIRE", "nokey", "abc"],
        vec!["EXPIRE", "nokey", "10", "foo"],
        vec!["PEXPIRE", "nokey", "10"],
        vec!["TOUCH", "a", "b", "nokey", "b"],
        vec!["TOUCH", "nokey"],
        vec!["OBJECT", "ENCODING", "b"],
        vec!["OBJECT", "ENCODING", "a"],
        vec!["OBJECT", "ENCODING", "big"],
        vec!["OBJECT", "ENCODING", "nokey"],
        vec!["OBJECT", "REFCOUNT", "a"],
        // (Not "b": Redis's COPY of a shared small integer makes an unshared
        // object with refcount 1; FlashDB does not track sharing.)
        vec!["OBJECT", "REFCOUNT", "big"],
        vec!["OBJECT", "REFCOUNT", "nokey"],
        vec!["SET", "n", "9999"],
        vec!["OBJECT", "REFCOUNT", "n"],
        vec!["SET", "n", "10000"],
        vec!["OBJECT", "REFCOUNT", "n"],
        vec!["OBJECT", "ENCODING", "n"],
        vec!["SET", "n", "-1"],
        vec!["OBJECT", "REFCOUNT", "n"],
        vec!["SET", "n", "12345678901234567890"],
        vec!["OBJECT", "ENCODING", "n"],
        vec!["SET", "n", "-0"],
        vec!["OBJECT", "ENCODING", "n"],
        vec!["OBJECT", "FREQ", "b"],
        vec!["OBJECT", "FREQ", "nokey"],
        vec!["OBJECT", "IDLETIME", "nokey"],
        vec!["OBJECT"],
        vec!["OBJECT", "foo"],
        vec!["OBJECT", "foo", "bar"],
        vec!["OBJECT", "ENCODING"],
        vec!["OBJECT", "ENCODING", "a", "b"],
        vec!["OBJECT", "HELP", "x"],
        vec!["object", "encoding", "b"],
        vec!["SWAPDB", "0", "x"],
        vec!["SWAPDB", "x", "0"],
        vec!["SWAPDB", "x", "y"],
        vec!["SWAPDB", "0", "16"],
        vec!["SWAPDB", "-1", "0"],
        vec!["SWAPDB", "0", "2147483648"],
        vec!["SWAPDB", "0", "0"],
        vec!["SWAPDB", "0", "1"],
        vec!["GET", "c"],
        vec!["EXISTS", "b"],
        vec!["SWAPDB", "1", "0"],
        vec!["GET", "c"],
        vec!["KEYS", "nomatch*"],
        vec!["KEYS", "b"],
        vec!["KEYS", "bi?"],
        vec!["KEYS", "[a-b]ig"],
        vec!["KEYS", ""],
        vec!["SCAN", "abc"],
        vec!["SCAN", " 0"],
        vec!["SCAN", "0x1"],
        vec!["SCAN", "18446744073709551616"],
        vec!["SCAN", "0", "COUNT", "0"],
        vec!["SCAN", "0", "COUNT", "-1"],
        vec!["SCAN", "0", "COUNT", "abc"],
        vec!["SCAN", "0", "COUNT"],
        vec!["SCAN", "0", "MATCH"],
        vec!["SCAN", "0", "TYPE"],
        vec!["SCAN", "0", "foo", "bar"],
        vec!["SCAN", "abc", "COUNT", "0"],
        vec!["SCAN", "0", "COUNT", "0", "MATCH"],
        vec!["SCAN", "0", "MATCH", "b"],
        vec!["SCAN", "0", "MATCH", "bi*", "COUNT", "100"],
        vec!["SCAN", "+0", "TYPE", "hash"],
        vec!["SELECT", "7"],
        vec!["RANDOMKEY"],
        vec!["KEYS", "*"],
        vec!["SCAN", "0"],
        vec!["SCAN", "", "MATCH", "*", "TYPE", "string"],
        vec!["SET", "only", "1"],
        vec!["SCAN", "0"],
        vec!["SCAN", "-0", "TYPE", "STRING", "MATCH", "o*"],
        vec!["RANDOMKEY"],
        vec!["KEYS", "*"],
        vec!["DEL"],
        vec!["EXISTS"],
        vec!["TYPE"],
        vec!["RENAME", "a"],
        vec!["COPY", "a"],
        vec!["MOVE", "a"],
        vec!["KEYS"],
        vec!["SCAN"],
        vec!["RANDOMKEY", "x"],
        vec!["TOUCH"],
        vec!["EXPIRE", "a"],
        vec!["TTL"],
        vec!["PERSIST", "a", "b"],
        vec!["SWAPDB", "0"],
    ];
    let mut diffs = Vec::new();
    for args in &script {
        let a = calls(&mut ours, args);
        let b = calls(&mut theirs, args);
        if a != b {
            diffs.push(format!("{args:?}\n  flashdb: {a:?}\n  redis:   {b:?}"));
        }
    }
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}

/// Reads record the access time (GET, TOUCH); TYPE, EXISTS, TTL and OBJECT
/// do not, as in Redis.
#[test]
fn idletime_follows_reads_but_not_introspection() {
    let srv = TestServer::start();
    let mut s = srv.raw();
    for k in ["read", "touched", "peeked"] {
        assert_eq!(calls(&mut s, &["SET", k, "v"]), "+OK\r\n");
    }
    std::thread::sleep(Duration::from_millis(2300));
    assert_eq!(calls(&mut s, &["GET", "read"]), "$1\r\nv\r\n");
    assert_eq!(calls(&mut s, &["TOUCH", "touched"]), ":1\r\n");
    assert_eq!(calls(&mut s, &["TYPE", "peeked"]), "+string\r\n");
    assert_eq!(calls(&mut s, &["EXISTS", "peeked"]), ":1\r\n");
    assert_eq!(calls(&mut s, &["TTL", "peeked"]), ":-1\r\n");
    let idle = |s: &mut std::net::TcpStream, k: &str| -> i64 {
        let r = calls(s, &["OBJECT", "IDLETIME", k]);
        r.trim_start_matches(':').trim().parse().unwrap()
    };
    assert!(idle(&mut s, "read") <= 1);
    assert!(idle(&mut s, "touched") <= 1);
    assert!(idle(&mut s, "peeked") >= 2);
}
