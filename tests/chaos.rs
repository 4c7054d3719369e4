//! Robustness: thousands of random commands (every name in the command
//! table, random argument counts, and arguments drawn from the values that
//! break parsers — huge and negative numbers, floats, inf/nan, empty and
//! binary strings, option keywords) against one server. Every reply must be
//! well-formed RESP, the server must keep answering, and no handler may
//! panic (exec.rs catches a panic per command and logs it; the log is
//! checked). Deterministic: a fixed xorshift seed per round.
mod common;
use common::*;
use std::io::Write;

const ARGS: &[&str] = &[
    "k",
    "k2",
    "h",
    "s",
    "z",
    "l",
    "0",
    "1",
    "-1",
    "2",
    "10",
    "100",
    "-100",
    "3.5",
    "-0.5",
    "inf",
    "-inf",
    "+inf",
    "nan",
    "1e308",
    "-1e308",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "18446744073709551615",
    "4294967296",
    "",
    " ",
    "(1",
    "[a",
    "-",
    "+",
    "*",
    "?",
    "[",
    "a*b",
    "\u{0}",
    "\u{ff}",
    "withscores",
    "WITHVALUES",
    "limit",
    "count",
    "match",
    "type",
    "by",
    "get",
    "#",
    "store",
    "alpha",
    "desc",
    "asc",
    "nx",
    "xx",
    "gt",
    "lt",
    "ch",
    "incr",
    "ex",
    "px",
    "exat",
    "pxat",
    "keepttl",
    "persist",
    "left",
    "right",
    "before",
    "after",
    "rank",
    "maxlen",
    "weights",
    "aggregate",
    "sum",
    "min",
    "max",
    "byscore",
    "bylex",
    "rev",
    "len",
    "idx",
    "minmatchlen",
    "withmatchlen",
    "overflow",
    "wrap",
    "sat",
    "fail",
    "i8",
    "u63",
    "i64",
    "#3",
    "and",
    "or",
    "xor",
    "not",
    "byte",
    "bit",
    "encoding",
    "freq",
    "idletime",
    "refcount",
    "help",
];

fn rng(seed: u64) -> impl FnMut() -> u64 {
    let mut x = seed | 1;
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    }
}

#[test]
fn random_commands_never_panic_or_break_the_protocol() {
    let srv = TestServer::start();
    let mut s = srv.raw();
    let list = calls(&mut s, &["COMMAND", "LIST"]);
    let never = [
        "shutdown",
        "quit",
        "client",
        "reset",
        "hello",
        "select",
        "swapdb",
        "flushall",
        "flushdb",
        "config",
        "debug",
        "pfselftest",
        // They may wait forever for data by design (tests/blocking.rs).
        "blpop",
        "brpop",
        "blmove",
        "brpoplpush",
        "blmpop",
        "bzpopmin",
        "bzpopmax",
        "bzmpop",
        // One reply per channel, and a subscribed RESP2 connection runs
        // nothing else (tests/pubsub.rs).
        "subscribe",
        "psubscribe",
        "ssubscribe",
        "unsubscribe",
        "punsubscribe",
        "sunsubscribe",
    ];
    let names: Vec<String> = list
        .split("\r\n")
        .filter(|l| !l.is_empty() && !l.starts_with('*') && !l.starts_with('$'))
        .filter(|l| !never.contains(l))
        .map(String::from)
        .collect();
    assert!(names.len() > 100, "{}", names.len());
    let mut next = rng(0x5eed_f1a5_4db0_0001);
    for round in 0..rounds() {
        // Seed some data of every type so commands meet real values.
        for setup in [
            vec!["SET", "k", "12"],
            vec!["HSET", "h", "f", "1", "g", "x"],
            vec!["SADD", "s", "1", "2", "a"],
            vec!["ZADD", "z", "1", "a", "2.5", "b"],
            vec!["RPUSH", "l", "a", "b", "3"],
        ] {
            call(&mut s, &setup);
        }
        let mut batch = Vec::new();
        let n = 250;
        for _ in 0..n {
            let name = &names[(next() % names.len() as u64) as usize];
            let argc = (next() % 7) as usize;
            let mut args: Vec<&[u8]> = vec![name.as_bytes()];
            for _ in 0..argc {
                args.push(ARGS[(next() % ARGS.len() as u64) as usize].as_bytes());
            }
            batch.extend_from_slice(&cmd(&args));
        }
        s.write_all(&batch).unwrap();
        for i in 0..n {
            // read_reply panics on malformed RESP or a closed connection.
            let r = read_reply(&mut s);
            assert!(!r.is_empty(), "round {round} reply {i} empty");
        }
        // A random MULTI may have left a transaction open.
        let d = calls(&mut s, &["DISCARD"]);
        assert!(
            d == "+OK\r\n" || d.starts_with("-ERR DISCARD without MULTI"),
            "{d}"
        );
        assert_eq!(calls(&mut s, &["PING"]), "+PONG\r\n", "round {round}");
    }
    let log = srv.log();
    assert!(
        !log.contains("panicked") && !log.contains("Internal error"),
        "a handler panicked:\n{log}"
    );
}

/// Rounds of 250 commands: 40 in `make test`; CHAOS_ROUNDS for a longer soak.
fn rounds() -> usize {
    std::env::var("CHAOS_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40)
}
