//! MULTI / EXEC / DISCARD / WATCH / UNWATCH: exact replies (differential
//! against redis-server), WATCH invalidation from other clients and by the
//! client itself, and atomicity: another client never sees half of a
//! transaction.
mod common;
use common::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Sends a whole script on a fresh connection; returns every reply byte.
fn script(port: u16, text: &str) -> Vec<u8> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(text.as_bytes()).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut out = Vec::new();
    let mut b = [0u8; 65536];
    while let Ok(n) = s.read(&mut b) {
        if n == 0 {
            break;
        }
        out.extend_from_slice(&b[..n]);
    }
    out
}

const CASES: &[&str] = &[
    // Errors, nesting, queueing, runtime errors inside EXEC.
    "MULTI\r\nWATCH a\r\nSET a 1\r\nEXEC\r\nMULTI\r\nFOO\r\nSET a\r\nEXEC\r\nEXEC\r\nDISCARD\r\nMULTI\r\nMULTI\r\nINCR a\r\nGET a\r\nEXEC\r\n",
    // Own modification after WATCH aborts; UNWATCH clears it.
    "WATCH a\r\nSET a 5\r\nMULTI\r\nGET a\r\nEXEC\r\nWATCH a\r\nSET a 6\r\nUNWATCH\r\nMULTI\r\nGET a\r\nEXEC\r\n",
    // Runtime errors do not stop the other queued commands.
    "MULTI\r\nSET x y\r\nLPUSH x z\r\nGET x\r\nEXEC\r\nDEL x\r\n",
    // DISCARD drops the queue and the watches; an empty transaction.
    "WATCH q\r\nMULTI\r\nSET q 1\r\nDISCARD\r\nGET q\r\nMULTI\r\nEXEC\r\n",
    // Watching a missing key that gets created, and FLUSHDB touching watches.
    "WATCH nk\r\nSET nk 1\r\nMULTI\r\nPING\r\nEXEC\r\nWATCH w1\r\nFLUSHDB\r\nMULTI\r\nPING\r\nEXEC\r\n",
    // Arity errors in MULTI abort; WATCH arity.
    "MULTI\r\nGET\r\nEXEC\r\nWATCH\r\n",
    // RESP3 transaction replies.
    "HELLO 3\r\nMULTI\r\nSET r 1\r\nGET r\r\nGET nothing\r\nEXEC\r\nDEL r\r\n",
];

#[test]
fn same_bytes_as_real_redis() {
    let Some(reference) = RedisRef::start() else {
        return;
    };
    let srv = TestServer::start();
    for case in CASES {
        let ours = script(srv.port, case);
        let theirs = script(reference.port, case);
        // HELLO's client id differs between the servers.
        let mask = |v: Vec<u8>| {
            let t = String::from_utf8_lossy(&v).into_owned();
            match t.find("$2\r\nid\r\n:") {
                Some(i) => {
                    let end = t[i + 9..].find('\r').map(|e| i + 9 + e).unwrap_or(t.len());
                    format!("{}N{}", &t[..i + 9], &t[end..])
                }
                None => t,
            }
        };
        assert_eq!(mask(ours), mask(theirs), "case {case:?}");
    }
}

#[test]
fn watch_sees_other_clients() {
    let srv = TestServer::start();
    let mut a = srv.raw();
    let mut b = srv.raw();
    assert_eq!(calls(&mut a, &["SET", "bal", "10"]), "+OK\r\n");
    assert_eq!(calls(&mut a, &["WATCH", "bal"]), "+OK\r\n");
    assert_eq!(calls(&mut b, &["INCRBY", "bal", "5"]), ":15\r\n");
    assert_eq!(calls(&mut a, &["MULTI"]), "+OK\r\n");
    assert_eq!(calls(&mut a, &["SET", "bal", "0"]), "+QUEUED\r\n");
    assert_eq!(calls(&mut a, &["EXEC"]), "*-1\r\n");
    assert_eq!(calls(&mut a, &["GET", "bal"]), "$2\r\n15\r\n");
    // Unrelated writes and reads do not abort; other DBs do not either.
    assert_eq!(calls(&mut a, &["WATCH", "bal"]), "+OK\r\n");
    assert_eq!(calls(&mut b, &["SET", "other", "1"]), "+OK\r\n");
    assert_eq!(calls(&mut b, &["GET", "bal"]), "$2\r\n15\r\n");
    assert_eq!(calls(&mut b, &["SELECT", "1"]), "+OK\r\n");
    assert_eq!(calls(&mut b, &["SET", "bal", "99"]), "+OK\r\n");
    assert_eq!(calls(&mut a, &["MULTI"]), "+OK\r\n");
    assert_eq!(calls(&mut a, &["INCR", "bal"]), "+QUEUED\r\n");
    assert_eq!(calls(&mut a, &["EXEC"]), "*1\r\n:16\r\n");
    // Writes through multi-key and movable-key commands count too.
    assert_eq!(calls(&mut a, &["WATCH", "m2", "dst"]), "+OK\r\n");
    assert_eq!(calls(&mut b, &["SELECT", "0"]), "+OK\r\n");
    assert_eq!(calls(&mut b, &["MSET", "m1", "a", "m2", "b"]), "+OK\r\n");
    assert_eq!(calls(&mut a, &["MULTI"]), "+OK\r\n");
    assert_eq!(calls(&mut a, &["PING"]), "+QUEUED\r\n");
    assert_eq!(calls(&mut a, &["EXEC"]), "*-1\r\n");
    assert_eq!(calls(&mut a, &["WATCH", "dst"]), "+OK\r\n");
    assert_eq!(calls(&mut b, &["SADD", "s1", "x"]), ":1\r\n");
    assert_eq!(calls(&mut b, &["SUNIONSTORE", "dst", "s1"]), ":1\r\n");
    assert_eq!(calls(&mut a, &["MULTI"]), "+OK\r\n");
    assert_eq!(calls(&mut a, &["PING"]), "+QUEUED\r\n");
    assert_eq!(calls(&mut a, &["EXEC"]), "*-1\r\n");
}

#[test]
fn other_clients_never_see_half_a_transaction() {
    let srv = TestServer::start_with(&["--worker-threads", "2"]);
    let port = srv.port;
    let writer = std::thread::spawn(move || {
        let mut w = TcpStream::connect(("127.0.0.1", port)).unwrap();
        w.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        for i in 0..400 {
            let v = i.to_string();
            let mut batch = Vec::new();
            batch.extend_from_slice(&cmd(&[b"MULTI"]));
            batch.extend_from_slice(&cmd(&[b"SET", b"left", v.as_bytes()]));
            batch.extend_from_slice(&cmd(&[b"SET", b"right", v.as_bytes()]));
            batch.extend_from_slice(&cmd(&[b"EXEC"]));
            w.write_all(&batch).unwrap();
            for _ in 0..4 {
                read_reply(&mut w);
            }
        }
    });
    let mut r = srv.raw();
    let mut checks = 0;
    while !writer.is_finished() || checks < 100 {
        // The reader's MULTI GET GET EXEC must see both writes of a writer
        // transaction or neither (with two workers serving the clients).
        let mut batch = cmd(&[b"MULTI"]);
        batch.extend_from_slice(&cmd(&[b"GET", b"left"]));
        batch.extend_from_slice(&cmd(&[b"GET", b"right"]));
        batch.extend_from_slice(&cmd(&[b"EXEC"]));
        r.write_all(&batch).unwrap();
        for _ in 0..3 {
            read_reply(&mut r);
        }
        let exec = String::from_utf8(read_reply(&mut r)).unwrap();
        let parts: Vec<&str> = exec.split("\r\n").collect();
        if parts.len() >= 5 {
            assert_eq!(
                parts[1..3],
                parts[3..5],
                "half a transaction seen: {exec:?}"
            );
        }
        checks += 1;
        if checks > 20_000 {
            break;
        }
    }
    writer.join().unwrap();
}

#[test]
fn disconnect_and_reset_forget_watches() {
    let srv = TestServer::start();
    let mut a = srv.raw();
    assert_eq!(calls(&mut a, &["WATCH", "k"]), "+OK\r\n");
    assert_eq!(calls(&mut a, &["MULTI"]), "+OK\r\n");
    assert_eq!(calls(&mut a, &["RESET"]), "+RESET\r\n");
    // After RESET the transaction and watches are gone.
    assert_eq!(calls(&mut a, &["EXEC"]), "-ERR EXEC without MULTI\r\n");
    let mut b = srv.raw();
    assert_eq!(calls(&mut b, &["SET", "k", "1"]), "+OK\r\n");
    assert_eq!(calls(&mut a, &["MULTI"]), "+OK\r\n");
    assert_eq!(calls(&mut a, &["GET", "k"]), "+QUEUED\r\n");
    assert_eq!(calls(&mut a, &["EXEC"]), "*1\r\n$1\r\n1\r\n");
    for _ in 0..50 {
        let mut c = srv.raw();
        assert_eq!(calls(&mut c, &["WATCH", "k", "z"]), "+OK\r\n");
    }
    // Closed watchers leave nothing behind: writes stay on the fast path.
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(calls(&mut b, &["SET", "k", "2"]), "+OK\r\n");
}

/// CLIENT PAUSE WRITE holds an EXEC whose transaction writes, and lets one
/// that only reads run.
#[test]
fn pause_write_holds_writing_transactions() {
    let srv = TestServer::start();
    let mut admin = srv.raw();
    let mut a = srv.raw();
    assert_eq!(calls(&mut a, &["MULTI"]), "+OK\r\n");
    assert_eq!(calls(&mut a, &["GET", "k"]), "+QUEUED\r\n");
    assert_eq!(
        calls(&mut admin, &["CLIENT", "PAUSE", "400", "WRITE"]),
        "+OK\r\n"
    );
    let t = std::time::Instant::now();
    assert_eq!(calls(&mut a, &["EXEC"]), "*1\r\n$-1\r\n");
    assert!(
        t.elapsed() < Duration::from_millis(300),
        "read-only EXEC waited"
    );
    assert_eq!(
        calls(&mut admin, &["CLIENT", "PAUSE", "400", "WRITE"]),
        "+OK\r\n"
    );
    assert_eq!(calls(&mut a, &["MULTI"]), "+OK\r\n");
    assert_eq!(calls(&mut a, &["SET", "k", "v"]), "+QUEUED\r\n");
    let t = std::time::Instant::now();
    assert_eq!(calls(&mut a, &["EXEC"]), "*1\r\n+OK\r\n");
    assert!(
        t.elapsed() >= Duration::from_millis(300),
        "writing EXEC ran during the pause"
    );
}

/// Redis 7: a watched key that expires before EXEC fails the transaction,
/// whether the expiry cycle deleted it meanwhile or not.
#[test]
fn watch_is_invalidated_by_expiry() {
    let srv = TestServer::start();
    let mut s = srv.raw();
    for (ttl, wait_ms) in [("40", 120), ("40", 1200)] {
        assert_eq!(calls(&mut s, &["SET", "w", "v", "PX", ttl]), "+OK\r\n");
        assert_eq!(calls(&mut s, &["WATCH", "w"]), "+OK\r\n");
        std::thread::sleep(Duration::from_millis(wait_ms));
        assert_eq!(calls(&mut s, &["MULTI"]), "+OK\r\n");
        assert_eq!(calls(&mut s, &["SET", "other", "1"]), "+QUEUED\r\n");
        assert_eq!(calls(&mut s, &["EXEC"]), "*-1\r\n", "after {wait_ms} ms");
    }
    // A watched key with a TTL that has not passed does not fail it.
    assert_eq!(calls(&mut s, &["SET", "w", "v", "EX", "100"]), "+OK\r\n");
    assert_eq!(calls(&mut s, &["WATCH", "w"]), "+OK\r\n");
    assert_eq!(calls(&mut s, &["MULTI"]), "+OK\r\n");
    assert_eq!(calls(&mut s, &["SET", "other", "1"]), "+QUEUED\r\n");
    assert_eq!(calls(&mut s, &["EXEC"]), "*1\r\n+OK\r\n");
}
