//! The string command family against the real binary: typed calls through
//! the `redis` crate, exact raw replies, TTL interplay observed by expiry,
//! and a byte-for-byte differential run against `redis-server` when it is
//! installed.
mod common;
use common::*;
use std::net::TcpStream;

use std::time::Duration;

fn q<T: redis::FromRedisValue>(c: &mut redis::Connection, args: &[&str]) -> T {
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query::<T>(c).unwrap()
}

#[test]
fn typed_basics() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let ok: String = q(&mut c, &["SET", "k", "v"]);
    assert_eq!(ok, "OK");
    assert_eq!(q::<Option<String>>(&mut c, &["GET", "k"]), Some("v".into()));
    assert_eq!(q::<Option<String>>(&mut c, &["GET", "nope"]), None);
    assert_eq!(q::<i64>(&mut c, &["SETNX", "k", "x"]), 0);
    assert_eq!(q::<i64>(&mut c, &["SETNX", "n", "x"]), 1);
    assert_eq!(q::<i64>(&mut c, &["APPEND", "k", "123"]), 4);
    assert_eq!(q::<i64>(&mut c, &["STRLEN", "k"]), 4);
    assert_eq!(q::<String>(&mut c, &["GETRANGE", "k", "1", "-1"]), "123");
    assert_eq!(q::<i64>(&mut c, &["INCR", "cnt"]), 1);
    assert_eq!(q::<i64>(&mut c, &["INCRBY", "cnt", "41"]), 42);
    assert_eq!(q::<i64>(&mut c, &["DECRBY", "cnt", "2"]), 40);
    assert_eq!(q::<i64>(&mut c, &["DECR", "cnt"]), 39);
    assert_eq!(q::<String>(&mut c, &["INCRBYFLOAT", "f", "10.5"]), "10.5");
    assert_eq!(q::<String>(&mut c, &["INCRBYFLOAT", "f", "0.1"]), "10.6");
    assert_eq!(
        q::<Vec<Option<String>>>(&mut c, &["MGET", "k", "nope", "cnt"]),
        vec![Some("v123".into()), None, Some("39".into())]
    );
    let _: () = q(&mut c, &["MSET", "a", "1", "b", "2"]);
    assert_eq!(q::<i64>(&mut c, &["MSETNX", "a", "9", "z", "9"]), 0);
    assert_eq!(q::<Option<String>>(&mut c, &["GET", "z"]), None);
    assert_eq!(q::<i64>(&mut c, &["MSETNX", "y", "9", "z", "9"]), 1);
    assert_eq!(
        q::<Option<String>>(&mut c, &["GETSET", "a", "new"]),
        Some("1".into())
    );
    assert_eq!(
        q::<Option<String>>(&mut c, &["GETDEL", "a"]),
        Some("new".into())
    );
    assert_eq!(q::<Option<String>>(&mut c, &["GETDEL", "a"]), None);
    assert_eq!(q::<i64>(&mut c, &["SETRANGE", "sr", "3", "xy"]), 5);
    assert_eq!(q::<Vec<u8>>(&mut c, &["GET", "sr"]), b"\0\0\0xy".to_vec());
    assert_eq!(q::<String>(&mut c, &["LCS", "k", "k"]), "v123");
    // A big value round-trips unchanged.
    let big = "x".repeat(100_000);
    let _: () = q(&mut c, &["SET", "big", &big]);
    assert_eq!(q::<String>(&mut c, &["GET", "big"]), big);
}

#[test]
fn exact_replies_and_errors() {
    let srv = TestServer::start();
    let mut s = srv.raw();
    let syntax = "-ERR syntax error\r\n";
    let not_int = "-ERR value is not an integer or out of range\r\n";
    let cases: &[(&[&str], &str)] = &[
        (&["SET", "k", "v", "NX", "XX"], syntax),
        (&["SET", "k", "v", "EX"], syntax),
        (&["SET", "k", "v", "EX", "10", "PX", "10"], syntax),
        (&["SET", "k", "v", "KEEPTTL", "EX", "10"], syntax),
        (&["SET", "k", "v", "PERSIST"], syntax),
        (
            &["SET", "k", "v", "EX", "0"],
            "-ERR invalid expire time in 'set' command\r\n",
        ),
        (
            &["SET", "k", "v", "PX", "-1"],
            "-ERR invalid expire time in 'set' command\r\n",
        ),
        (
            &["SET", "k", "v", "EX", "9223372036854775"],
            "-ERR invalid expire time in 'set' command\r\n",
        ),
        (
            &["SET", "k", "v", "PX", "9223372036854775807"],
            "-ERR invalid expire time in 'set' command\r\n",
        ),
        (&["SET", "k", "v", "EX", "abc"], not_int),
        (
            &["SETEX", "k", "0", "v"],
            "-ERR invalid expire time in 'setex' command\r\n",
        ),
        (
            &["PSETEX", "k", "-5", "v"],
            "-ERR invalid expire time in 'psetex' command\r\n",
        ),
        (&["SET", "k", "v", "XX", "GET"], "$-1\r\n"),
        (&["SET", "k", "v", "NX", "GET"], "$-1\r\n"),
        (&["SET", "k", "w", "NX", "GET"], "$1\r\nv\r\n"),
        (&["SET", "k", "w", "NX"], "$-1\r\n"),
        (&["SET", "k", "w", "XX", "GET", "KEEPTTL"], "$1\r\nv\r\n"),
        (&["GETEX", "k", "NX"], syntax),
        (&["GETEX", "k", "PERSIST", "EX", "1"], syntax),
        (
            &["GETEX", "k", "EX", "0"],
            "-ERR invalid expire time in 'getex' command\r\n",
        ),
        (&["GETEX", "missing", "EX", "0"], "$-1\r\n"),
        (
            &["MSET", "a", "1", "b"],
            "-ERR wrong number of arguments for 'mset' command\r\n",
        ),
        (
            &["MSETNX", "a", "1", "b"],
            "-ERR wrong number of arguments for 'msetnx' command\r\n",
        ),
        (&["SET", "s", "abc"], "+OK\r\n"),
        (&["INCR", "s"], not_int),
        (&["INCRBY", "n", "x"], not_int),
        (&["SET", "max", "9223372036854775807"], "+OK\r\n"),
        (
            &["INCR", "max"],
            "-ERR increment or decrement would overflow\r\n",
        ),
        (
            &["DECRBY", "n", "-9223372036854775808"],
            "-ERR decrement would overflow\r\n",
        ),
        (
            &["INCRBYFLOAT", "s", "1"],
            "-ERR value is not a valid float\r\n",
        ),
        (
            &["INCRBYFLOAT", "n", "inf"],
            "-ERR increment would produce NaN or Infinity\r\n",
        ),
        (
            &["INCRBYFLOAT", "n", "1e"],
            "-ERR value is not a valid float\r\n",
        ),
        (
            &["SETRANGE", "s", "-1", "x"],
            "-ERR offset is out of range\r\n",
        ),
        (
            &["SETRANGE", "s", "536870912", "x"],
            "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n",
        ),
        (&["SETRANGE", "new", "536870912", ""], ":0\r\n"),
        (&["SETRANGE", "s", "536870912", ""], ":3\r\n"),
        (&["GETRANGE", "missing", "0", "-1"], "$0\r\n\r\n"),
        (&["GETRANGE", "s", "x", "1"], not_int),
        (&["STRLEN", "missing"], ":0\r\n"),
        (
            &["LCS", "s", "s", "LEN", "IDX"],
            "-ERR If you want both the length and indexes, please just use IDX.\r\n",
        ),
        (&["LCS", "s", "s", "FOO"], syntax),
        (&["LCS", "s", "s", "MINMATCHLEN"], syntax),
        (&["LCS", "s", "s", "MINMATCHLEN", "x"], not_int),
        (
            &["GET"],
            "-ERR wrong number of arguments for 'get' command\r\n",
        ),
    ];
    for (args, want) in cases {
        assert_eq!(calls(&mut s, args), *want, "{args:?}");
    }
    // RESP3 shapes: nulls and the LCS IDX map.
    let _ = call(&mut s, &["HELLO", "3"]);
    assert_eq!(calls(&mut s, &["GET", "missing"]), "_\r\n");
    assert_eq!(calls(&mut s, &["SET", "s", "x", "NX"]), "_\r\n");
    let _ = call(&mut s, &["MSET", "l1", "ohmytext", "l2", "mynewtext"]);
    assert_eq!(
        calls(&mut s, &["LCS", "l1", "l2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"]),
        "%2\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n$3\r\nlen\r\n:6\r\n"
    );
}

/// TTLs observed by expiry (short PX values and one sleep).
#[test]
fn ttl_interplay() {
    let srv = TestServer::start();
    let mut s = srv.raw();
    let keep = [
        "append",
        "setrange",
        "incr",
        "incrbyfloat",
        "keepttl",
        "getex-none",
        "expire-me",
    ];
    for k in keep {
        assert_eq!(calls(&mut s, &["SET", k, "1", "PX", "1000"]), "+OK\r\n");
    }
    let clear = ["set", "getset", "getex-persist", "setex-then-set", "mset"];
    for k in clear {
        assert_eq!(calls(&mut s, &["SET", k, "1", "PX", "1000"]), "+OK\r\n");
    }
    calls(&mut s, &["APPEND", "append", "x"]);
    calls(&mut s, &["SETRANGE", "setrange", "0", "2"]);
    calls(&mut s, &["INCR", "incr"]);
    calls(&mut s, &["INCRBYFLOAT", "incrbyfloat", "1.5"]);
    calls(&mut s, &["SET", "keepttl", "2", "KEEPTTL"]);
    calls(&mut s, &["GETEX", "getex-none"]);
    calls(&mut s, &["SET", "set", "2"]);
    calls(&mut s, &["GETSET", "getset", "2"]);
    calls(&mut s, &["GETEX", "getex-persist", "PERSIST"]);
    calls(&mut s, &["SETEX", "setex-then-set", "100", "2"]);
    calls(&mut s, &["SET", "setex-then-set", "3"]);
    calls(&mut s, &["MSET", "mset", "2"]);
    // Absolute times in the past delete at once.
    assert_eq!(calls(&mut s, &["SET", "past", "v", "PXAT", "1"]), "+OK\r\n");
    assert_eq!(calls(&mut s, &["GET", "past"]), "$-1\r\n");
    calls(&mut s, &["SET", "getex-past", "v"]);
    assert_eq!(
        calls(&mut s, &["GETEX", "getex-past", "EXAT", "1"]),
        "$1\r\nv\r\n"
    );
    assert_eq!(calls(&mut s, &["GET", "getex-past"]), "$-1\r\n");
    // GETEX PX sets a TTL on a persistent key.
    calls(&mut s, &["SET", "getex-px", "v"]);
    calls(&mut s, &["GETEX", "getex-px", "PX", "1000"]);
    // (TTLs of a second: a loaded machine must not expire a key before
    // the command under test reaches it.)
    std::thread::sleep(Duration::from_millis(1300));
    for k in keep.iter().chain(["getex-px"].iter()) {
        assert_eq!(
            calls(&mut s, &["GET", k]),
            "$-1\r\n",
            "{k} should have expired"
        );
    }
    for k in clear {
        assert_ne!(
            calls(&mut s, &["GET", k]),
            "$-1\r\n",
            "{k} should have lost its TTL"
        );
    }
    // Expired keys behave as absent on every path.
    calls(&mut s, &["SET", "e1", "abc", "PX", "1"]);
    calls(&mut s, &["SET", "e2", "abc", "PX", "1"]);
    calls(&mut s, &["SET", "e3", "5", "PX", "1"]);
    calls(&mut s, &["SET", "e4", "abc", "PX", "1"]);
    std::thread::sleep(Duration::from_millis(10));
    assert_eq!(calls(&mut s, &["SETNX", "e1", "x"]), ":1\r\n");
    assert_eq!(calls(&mut s, &["APPEND", "e2", "x"]), ":1\r\n");
    assert_eq!(calls(&mut s, &["INCR", "e3"]), ":1\r\n");
    assert_eq!(calls(&mut s, &["STRLEN", "e4"]), ":0\r\n");
    assert_eq!(calls(&mut s, &["SET", "e4", "v", "XX"]), "$-1\r\n");
}

/// MSETNX is atomic with respect to concurrent writers: with two clients
/// racing on overlapping key sets, exactly one of each pair wins and no
/// key set is ever half-written.
#[test]
fn msetnx_is_atomic() {
    let srv = TestServer::start();
    let port = srv.port;
    for round in 0..20 {
        let keys: Vec<String> = (0..8).map(|i| format!("r{round}:k{i}")).collect();
        let mut hs = Vec::new();
        for who in 0..2 {
            let keys = keys.clone();
            hs.push(std::thread::spawn(move || {
                let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
                let mut args = vec!["MSETNX".to_string()];
                let order: Vec<&String> = if who == 0 {
                    keys.iter().collect()
                } else {
                    keys.iter().rev().collect()
                };
                for k in order {
                    args.push(k.clone());
                    args.push(format!("w{who}"));
                }
                let a: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
                calls(&mut s, &a)
            }));
        }
        let r: Vec<String> = hs.into_iter().map(|h| h.join().unwrap()).collect();
        let wins = r.iter().filter(|x| *x == ":1\r\n").count();
        assert_eq!(wins, 1, "{r:?}");
        let mut s = srv.raw();
        let mut a = vec!["MGET"];
        a.extend(keys.iter().map(|s| s.as_str()));
        let got = calls(&mut s, &a);
        assert!(!(got.contains("w0") && got.contains("w1")), "{got}");
    }
}

// ------------------------------------------------------------ differential

/// Deterministic string-command cases; every key is fresh in both servers.
fn differential_cases() -> Vec<Vec<String>> {
    let raw: &[&str] = &[
        "GET d:nokey",
        "SET d:a hello",
        "GET d:a",
        "SET d:a world XX",
        "SET d:a x NX",
        "SET d:b x XX",
        "SET d:b x NX",
        "SET d:b y nx",
        "SET d:b y GET",
        "SET d:c v GET",
        "SET d:c v get NX",
        "SET d:c2 v GET XX",
        "SET d:c w GET xx",
        "SET d:a v EX 100",
        "SET d:a v PX 100000",
        "SET d:a v EXAT 99999999999",
        "SET d:a v PXAT 99999999999999",
        "SET d:a v KEEPTTL",
        "SET d:a v EX 10 EX 20",
        "SET d:a v NX NX",
        "SET d:a v EX 10 KEEPTTL",
        "SET d:a v KEEPTTL PX 10",
        "SET d:a v EX 10 PX 10",
        "SET d:a v EXAT 10 PXAT 10",
        "SET d:a v NX XX",
        "SET d:a v XX NX",
        "SET d:a v EX",
        "SET d:a v PX",
        "SET d:a v FOO",
        "SET d:a v PERSIST",
        "SET d:a v EX 0",
        "SET d:a v EX -1",
        "SET d:a v PX 0",
        "SET d:a v EXAT 0",
        "SET d:a v PXAT -5",
        "SET d:a v EX 1.5",
        "SET d:a v EX abc",
        "SET d:a v EX 9223372036854775807",
        "SET d:a v EX 9223372036854775",
        "SET d:a v EX 9223372036854774",
        "SET d:a v PX 9223372036854775807",
        "SET d:a v PXAT 9223372036854775807",
        "SET d:a v PX 99999999999999999999",
        "SET d:a",
        "SETNX d:sn 1",
        "SETNX d:sn 2",
        "GET d:sn",
        "SETEX d:se 100 v",
        "SETEX d:se 0 v",
        "SETEX d:se -1 v",
        "SETEX d:se x v",
        "SETEX d:se 9223372036854775 v",
        "PSETEX d:pse 100000 v",
        "PSETEX d:pse 0 v",
        "PSETEX d:pse x v",
        "GET d:se",
        "MGET d:a d:nokey d:b d:sn",
        "MGET",
        "MSET d:m1 1 d:m2 2",
        "MSET d:m1 1 d:m2",
        "MSET d:m1",
        "MGET d:m1 d:m2",
        "MSETNX d:m1 x d:m3 y",
        "MSETNX d:m3 x d:m4 y",
        "MSETNX d:m5 x d:m5 y",
        "MGET d:m3 d:m4 d:m5",
        "MSETNX d:m6",
        "GETSET d:gs 1",
        "GETSET d:gs 2",
        "GETSET d:gs",
        "GETDEL d:gs",
        "GETDEL d:gs",
        "GETEX d:nokey",
        "GETEX d:nokey EX 0",
        "GETEX d:nokey EX abc",
        "SET d:ge v",
        "GETEX d:ge",
        "GETEX d:ge EX 100",
        "GETEX d:ge PX 100000",
        "GETEX d:ge EXAT 99999999999",
        "GETEX d:ge PXAT 99999999999999",
        "GETEX d:ge PERSIST",
        "GETEX d:ge PERSIST PERSIST",
        "GETEX d:ge EX 10 PERSIST",
        "GETEX d:ge PERSIST EX 10",
        "GETEX d:ge EX 10 PX 10",
        "GETEX d:ge KEEPTTL",
        "GETEX d:ge NX",
        "GETEX d:ge GET",
        "GETEX d:ge EX",
        "GETEX d:ge EX 0",
        "GETEX d:ge EX -3",
        "GETEX d:ge PX abc",
        "GETEX d:ge EX 9223372036854775807",
        "GETEX d:ge EXAT 1",
        "GET d:ge",
        "APPEND d:ap hello",
        "APPEND d:ap \" world\"",
        "GET d:ap",
        "APPEND d:ap \"\"",
        "STRLEN d:ap",
        "STRLEN d:nokey",
        "SET d:n 10",
        "INCR d:n",
        "DECR d:n",
        "INCRBY d:n 100",
        "INCRBY d:n -1000",
        "DECRBY d:n 5",
        "DECRBY d:n -5",
        "INCRBY d:n abc",
        "INCRBY d:n 1.5",
        "INCRBY d:n \" 1\"",
        "INCRBY d:n +1",
        "INCRBY d:n 01",
        "INCR d:ap",
        "INCR d:newcounter",
        "DECR d:newcounter2",
        "SET d:max 9223372036854775807",
        "INCR d:max",
        "INCRBY d:max 0",
        "SET d:min -9223372036854775808",
        "DECR d:min",
        "INCRBY d:min -1",
        "DECRBY d:min 1",
        "DECRBY d:n -9223372036854775808",
        "DECRBY d:n 9223372036854775807",
        "INCRBY d:n 9223372036854775808",
        "SET d:lz 007",
        "INCR d:lz",
        "SET d:sp \" 7\"",
        "INCR d:sp",
        "SET d:neg0 -0",
        "INCR d:neg0",
        "SET d:f 10.50",
        "INCRBYFLOAT d:f 0.1",
        "INCRBYFLOAT d:f -5",
        "INCRBYFLOAT d:f 5.0e3",
        "INCRBYFLOAT d:f 2.0e2",
        "INCRBYFLOAT d:f 1e-5",
        "INCRBYFLOAT d:f -5205.6",
        "INCRBYFLOAT d:f 0",
        "INCRBYFLOAT d:f2 0.1",
        "INCRBYFLOAT d:f2 0.2",
        "INCRBYFLOAT d:f2 0.3",
        "INCRBYFLOAT d:f3 1000.1",
        "INCRBYFLOAT d:f3 0.1",
        "INCRBYFLOAT d:f4 123456.789",
        "INCRBYFLOAT d:f4 0.001",
        "INCRBYFLOAT d:f5 3.14159265358979323846",
        "INCRBYFLOAT d:f5 -3",
        "INCRBYFLOAT d:f6 1e20",
        "INCRBYFLOAT d:f6 1",
        "INCRBYFLOAT d:f7 -1.5",
        "INCRBYFLOAT d:f7 1.5",
        "INCRBYFLOAT d:f8 0x10",
        "INCRBYFLOAT d:f8 0x1.8p1",
        "INCRBYFLOAT d:f9 1e300",
        "INCRBYFLOAT d:f9 1e300",
        "INCRBYFLOAT d:f10 1e-400",
        "INCRBYFLOAT d:f11 .5",
        "INCRBYFLOAT d:f11 5.",
        "INCRBYFLOAT d:f11 +5",
        "INCRBYFLOAT d:f11 -.25E+1",
        "INCRBYFLOAT d:f12 9007199254740993",
        "INCRBYFLOAT d:f12 0.000000001",
        "INCRBYFLOAT d:f13 0.000003814697265625",
        "INCRBYFLOAT d:f14 99999999999999999999999.123",
        "INCRBYFLOAT d:n 1.5",
        "INCRBYFLOAT d:fx abc",
        "INCRBYFLOAT d:fx 1e",
        "INCRBYFLOAT d:fx \" 1\"",
        "INCRBYFLOAT d:fx \"1 \"",
        "INCRBYFLOAT d:fx nan",
        "INCRBYFLOAT d:fx inf",
        "INCRBYFLOAT d:fx -infinity",
        "INCRBYFLOAT d:fx 1e99999",
        "INCRBYFLOAT d:fx 1e-99999",
        "INCRBYFLOAT d:fx \"\"",
        "INCRBYFLOAT d:fx 0x",
        "INCRBYFLOAT d:ap 1",
        "SET d:finf inf",
        "INCRBYFLOAT d:finf 1",
        "SET d:r \"Hello World\"",
        "GETRANGE d:r 0 4",
        "GETRANGE d:r -5 -1",
        "GETRANGE d:r -1 -5",
        "GETRANGE d:r -100 -90",
        "GETRANGE d:r -100 100",
        "GETRANGE d:r 5 3",
        "GETRANGE d:r 0 -1",
        "GETRANGE d:r 11 20",
        "GETRANGE d:r 10 10",
        "GETRANGE d:r 0 -100",
        "GETRANGE d:r -9223372036854775808 9223372036854775807",
        "GETRANGE d:r a 1",
        "GETRANGE d:r 1 b",
        "GETRANGE d:nokey 0 -1",
        "SET d:empty \"\"",
        "GETRANGE d:empty 0 -1",
        "GETRANGE d:empty 0 0",
        "SUBSTR d:r 0 4",
        "SUBSTR d:r -3 -1",
        "SETRANGE d:sr 5 hi",
        "GET d:sr",
        "SETRANGE d:sr 0 abc",
        "SETRANGE d:sr 100 \"\"",
        "SETRANGE d:sr2 100 \"\"",
        "EXISTS d:sr2",
        "SETRANGE d:sr -1 x",
        "SETRANGE d:sr x x",
        "SETRANGE d:sr 536870912 x",
        "SETRANGE d:sr3 536870912 x",
        "SETRANGE d:sr 1 ZZZZZZZZZZZZ",
        "GET d:sr",
        "SETRANGE d:n 0 9",
        "GET d:n",
        "SET d:l1 ohmytext",
        "SET d:l2 mynewtext",
        "LCS d:l1 d:l2",
        "LCS d:l1 d:l2 LEN",
        "LCS d:l1 d:l2 IDX",
        "LCS d:l1 d:l2 idx MINMATCHLEN 4",
        "LCS d:l1 d:l2 IDX WITHMATCHLEN",
        "LCS d:l1 d:l2 IDX MINMATCHLEN 4 WITHMATCHLEN",
        "LCS d:l1 d:l2 IDX MINMATCHLEN -4",
        "LCS d:l1 d:l2 LEN MINMATCHLEN 4",
        "LCS d:l1 d:l2 LEN IDX",
        "LCS d:l1 d:l2 FOO",
        "LCS d:l1 d:l2 MINMATCHLEN",
        "LCS d:l1 d:l2 MINMATCHLEN x",
        "LCS d:l1 d:nokey",
        "LCS d:nokey d:nokey2 IDX",
        "LCS d:nokey d:nokey2 LEN",
        "SET d:l3 ABCBDAB",
        "SET d:l4 BDCABA",
        "LCS d:l3 d:l4",
        "LCS d:l3 d:l4 IDX WITHMATCHLEN",
        "LCS d:l4 d:l3 IDX WITHMATCHLEN",
        "SET d:l5 aaaaaaaaaa",
        "SET d:l6 aaabaaabaa",
        "LCS d:l5 d:l6 IDX WITHMATCHLEN",
        "LCS d:l6 d:l5 IDX MINMATCHLEN 3",
        "LCS d:l1",
        "SET d:nul \"a\\x00b\"",
        "GET d:nul",
        "STRLEN d:nul",
        "SET d:a b NX\\x00zz",
        "GET",
        "SETNX d:x",
        "GETEX",
        "APPEND d:x",
        "INCRBYFLOAT d:x",
    ];
    raw.iter().map(|l| split_args(l)).collect()
}

/// Splits like redis-cli: spaces separate, double quotes group, `\xHH`
/// escapes inside quotes.
fn split_args(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let b = line.as_bytes();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && b[i] == b' ' {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        let mut cur = Vec::new();
        if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' && b[i + 1] == b'x' {
                    cur.push(u8::from_str_radix(&line[i + 2..i + 4], 16).unwrap());
                    i += 4;
                } else {
                    cur.push(b[i]);
                    i += 1;
                }
            }
            i += 1;
        } else {
            while i < b.len() && b[i] != b' ' {
                if b[i] == b'\\' && i + 1 < b.len() && b[i + 1] == b'x' {
                    cur.push(u8::from_str_radix(&line[i + 2..i + 4], 16).unwrap());
                    i += 4;
                } else {
                    cur.push(b[i]);
                    i += 1;
                }
            }
        }
        out.push(String::from_utf8(cur).unwrap());
    }
    out
}

fn run_cases(s: &mut TcpStream, cases: &[Vec<String>]) -> Vec<String> {
    cases
        .iter()
        .map(|c| {
            let a: Vec<&[u8]> = c.iter().map(|x| x.as_bytes()).collect();
            use std::io::Write;
            s.write_all(&cmd(&a)).unwrap();
            String::from_utf8_lossy(&read_reply(s)).into_owned()
        })
        .collect()
}

#[test]
fn differential_against_redis_server() {
    let Some(r) = RedisRef::start() else {
        return;
    };
    let srv = TestServer::start();
    let cases = differential_cases();
    // EXISTS belongs to another family; only compare it if FlashDB has it.
    let mut probe = srv.raw();
    let has_exists = !calls(&mut probe, &["EXISTS", "x"]).starts_with("-ERR unknown command");
    let cases: Vec<Vec<String>> = cases
        .into_iter()
        .filter(|c| has_exists || c[0] != "EXISTS")
        .collect();
    for proto in ["2", "3"] {
        let mut a = TcpStream::connect(("127.0.0.1", r.port)).unwrap();
        a.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut b = srv.raw();
        if proto == "3" {
            let _ = call(&mut a, &["HELLO", "3"]);
            let _ = call(&mut b, &["HELLO", "3"]);
            let _ = call(&mut a, &["FLUSHALL"]);
            // FlashDB may not have FLUSHALL in this branch: delete the keys instead.
            let mut keys: Vec<String> = cases
                .iter()
                .flat_map(|c| c.iter().filter(|x| x.starts_with("d:")).cloned())
                .collect();
            keys.sort();
            keys.dedup();
            let mut del = vec!["DEL".to_string()];
            del.extend(keys);
            let d: Vec<&str> = del.iter().map(|s| s.as_str()).collect();
            let _ = call(&mut a, &d);
            let _ = call(&mut b, &d);
        }
        let want = run_cases(&mut a, &cases);
        let got = run_cases(&mut b, &cases);
        let mut bad = Vec::new();
        for ((c, w), g) in cases.iter().zip(&want).zip(&got) {
            if w != g {
                bad.push(format!(
                    "RESP{proto} {c:?}\n  redis:   {w:?}\n  flashdb: {g:?}"
                ));
            }
        }
        assert!(
            bad.is_empty(),
            "{} mismatches:\n{}",
            bad.len(),
            bad.join("\n")
        );
    }
}

/// Generated cases (fixed seed): INCRBYFLOAT chains over many decimal
/// shapes, GETRANGE/SETRANGE index sweeps, LCS on small random strings.
fn generated_cases() -> Vec<Vec<String>> {
    let mut seed: u64 = 0x9e3779b97f4a7c15;
    let mut rnd = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let mut out: Vec<Vec<String>> = Vec::new();
    let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<String>>();
    for i in 0..400 {
        let key = format!("g:f{}", i % 40);
        let mut num = String::new();
        if rnd(3) == 0 {
            num.push('-');
        }
        let int_digits = rnd(8);
        for d in 0..int_digits {
            num.push(
                (b'0'
                    + if d == 0 {
                        1 + rnd(9) as u8
                    } else {
                        rnd(10) as u8
                    }) as char,
            );
        }
        if int_digits == 0 {
            num.push('0');
        }
        let frac = rnd(12);
        if frac > 0 {
            num.push('.');
            for _ in 0..frac {
                num.push((b'0' + rnd(10) as u8) as char);
            }
        }
        if rnd(6) == 0 {
            num.push_str(&format!("e{}", rnd(40) as i64 - 20));
        }
        out.push(v(&["INCRBYFLOAT", &key, &num]));
    }
    out.push(v(&["SET", "g:s", "0123456789"]));
    out.push(v(&["SET", "g:e", ""]));
    for _ in 0..150 {
        let (a, b) = (rnd(30) as i64 - 15, rnd(30) as i64 - 15);
        let k = if rnd(5) == 0 { "g:e" } else { "g:s" };
        out.push(v(&["GETRANGE", k, &a.to_string(), &b.to_string()]));
    }
    for i in 0..100 {
        let key = format!("g:r{}", i % 7);
        let off = rnd(20).to_string();
        let val: String = (0..rnd(5))
            .map(|_| (b'a' + rnd(26) as u8) as char)
            .collect();
        out.push(v(&["SETRANGE", &key, &off, &val]));
        out.push(v(&["GET", &key]));
    }
    for i in 0..120 {
        let s1: String = (0..rnd(13))
            .map(|_| (b'a' + rnd(3) as u8) as char)
            .collect();
        let s2: String = (0..rnd(13))
            .map(|_| (b'a' + rnd(3) as u8) as char)
            .collect();
        let (k1, k2) = (format!("g:la{i}"), format!("g:lb{i}"));
        out.push(v(&["MSET", &k1, &s1, &k2, &s2]));
        out.push(v(&["LCS", &k1, &k2]));
        out.push(v(&["LCS", &k1, &k2, "LEN"]));
        out.push(v(&[
            "LCS",
            &k1,
            &k2,
            "IDX",
            "WITHMATCHLEN",
            "MINMATCHLEN",
            &rnd(3).to_string(),
        ]));
    }
    out
}

#[test]
fn differential_generated() {
    let Some(r) = RedisRef::start() else {
        return;
    };
    let srv = TestServer::start();
    let cases = generated_cases();
    let mut a = TcpStream::connect(("127.0.0.1", r.port)).unwrap();
    a.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut b = srv.raw();
    let _ = call(&mut a, &["HELLO", "3"]);
    let _ = call(&mut b, &["HELLO", "3"]);
    let want = run_cases(&mut a, &cases);
    let got = run_cases(&mut b, &cases);
    let bad: Vec<String> = cases
        .iter()
        .zip(&want)
        .zip(&got)
        .filter(|((_, w), g)| w != g)
        .map(|((c, w), g)| format!("{c:?}\n  redis:   {w:?}\n  flashdb: {g:?}"))
        .collect();
    assert!(
        bad.is_empty(),
        "{} mismatches:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

/// APPEND and SETRANGE modify the value in place (Redis's `raw` encoding)
/// and many small appends build the right string; INCR gives back `int`.
#[test]
fn append_and_setrange_in_place() {
    let srv = TestServer::start();
    let mut s = srv.raw();
    assert_eq!(calls(&mut s, &["SET", "log", "x"]), "+OK\r\n");
    assert_eq!(
        calls(&mut s, &["OBJECT", "ENCODING", "log"]),
        "$6\r\nembstr\r\n"
    );
    let mut pipeline = Vec::new();
    for _ in 0..5000 {
        pipeline.extend_from_slice(&cmd(&[b"APPEND", b"log", b"0123456789"]));
    }
    use std::io::Write;
    s.write_all(&pipeline).unwrap();
    for i in 1..=5000 {
        assert_eq!(
            read_reply(&mut s),
            format!(":{}\r\n", 1 + 10 * i).into_bytes()
        );
    }
    assert_eq!(
        calls(&mut s, &["OBJECT", "ENCODING", "log"]),
        "$3\r\nraw\r\n"
    );
    assert_eq!(
        calls(&mut s, &["GETRANGE", "log", "0", "10"]),
        "$11\r\nx0123456789\r\n"
    );
    assert_eq!(
        calls(&mut s, &["SETRANGE", "log", "50001", "!!"]),
        ":50003\r\n"
    );
    assert_eq!(
        calls(&mut s, &["GETRANGE", "log", "-4", "-1"]),
        "$4\r\n89!!\r\n"
    );
    assert_eq!(calls(&mut s, &["SET", "n", "10"]), "+OK\r\n");
    assert_eq!(calls(&mut s, &["APPEND", "n", "5"]), ":3\r\n");
    assert_eq!(calls(&mut s, &["OBJECT", "ENCODING", "n"]), "$3\r\nraw\r\n");
    assert_eq!(calls(&mut s, &["INCR", "n"]), ":106\r\n");
    assert_eq!(calls(&mut s, &["OBJECT", "ENCODING", "n"]), "$3\r\nint\r\n");
    // Memory accounting follows the growth.
    let mem = calls(&mut s, &["INFO", "memory"]);
    let used: u64 = mem
        .split("used_memory:")
        .nth(1)
        .and_then(|r| r.split("\r\n").next())
        .and_then(|v| v.parse().ok())
        .unwrap();
    assert!(used > 50_000, "{used}");
}
