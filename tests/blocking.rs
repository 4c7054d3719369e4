//! The blocking pops (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN,
//! BZPOPMAX, BZMPOP) against the real binary: served at once, blocked then
//! woken by another client (also from EXEC), FIFO among blocked clients,
//! timeouts, disconnects, CLIENT UNBLOCK, MULTI, the WAL across a restart,
//! and a differential run against redis-server 7.0; WAIT (no replicas: it
//! blocks until its timeout). `make test` runs this
//! suite under both I/O drivers.

mod common;
use common::*;
use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// Sends a command without reading its reply.
fn send(s: &mut TcpStream, args: &[&str]) {
    let a: Vec<&[u8]> = args.iter().map(|x| x.as_bytes()).collect();
    s.write_all(&cmd(&a)).unwrap();
}

/// `INFO clients`' blocked_clients.
fn blocked(c: &mut TcpStream) -> usize {
    let info = calls(c, &["INFO", "clients"]);
    info.lines()
        .find_map(|l| l.strip_prefix("blocked_clients:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap()
}

/// Waits until `n` clients are blocked.
fn wait_blocked(c: &mut TcpStream, n: usize) {
    let t = Instant::now();
    while blocked(c) != n {
        assert!(t.elapsed() < Duration::from_secs(10), "never {n} blocked");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn bulk_array(items: &[&str]) -> String {
    let mut s = format!("*{}\r\n", items.len());
    for i in items {
        s.push_str(&format!("${}\r\n{}\r\n", i.len(), i));
    }
    s
}

#[test]
fn block_then_push_is_served() {
    let srv = TestServer::start();
    let mut a = srv.raw();
    let mut b = srv.raw();
    send(&mut a, &["BLPOP", "k1", "k2", "0"]);
    wait_blocked(&mut b, 1);
    assert!(calls(&mut b, &["CLIENT", "LIST"]).contains("flags=b"));
    assert_eq!(calls(&mut b, &["RPUSH", "k2", "x", "y"]), ":2\r\n");
    assert_eq!(
        String::from_utf8(read_reply(&mut a)).unwrap(),
        bulk_array(&["k2", "x"])
    );
    assert_eq!(blocked(&mut b), 0);
    assert_eq!(
        calls(&mut b, &["LRANGE", "k2", "0", "-1"]),
        bulk_array(&["y"])
    );
    // The connection goes on serving after being woken.
    assert_eq!(calls(&mut a, &["PING"]), "+PONG\r\n");

    // BRPOP, and a pipelined command behind the blocked one waits for it.
    a.write_all(&cmd(&[b"BRPOP", b"r", b"0"])).unwrap();
    a.write_all(&cmd(&[b"PING"])).unwrap();
    wait_blocked(&mut b, 1);
    calls(&mut b, &["RPUSH", "r", "1", "2"]);
    assert_eq!(
        String::from_utf8(read_reply(&mut a)).unwrap(),
        bulk_array(&["r", "2"])
    );
    assert_eq!(calls_read(&mut a), "+PONG\r\n");
}

fn calls_read(s: &mut TcpStream) -> String {
    String::from_utf8(read_reply(s)).unwrap()
}

#[test]
fn fifo_among_blocked_clients() {
    let srv = TestServer::start();
    let mut ctl = srv.raw();
    let mut waiting = Vec::new();
    for i in 0..3 {
        let mut c = srv.raw();
        send(&mut c, &["BLPOP", "q", "0"]);
        wait_blocked(&mut ctl, i + 1);
        waiting.push(c);
    }
    assert_eq!(calls(&mut ctl, &["RPUSH", "q", "a", "b", "c"]), ":3\r\n");
    for (c, want) in waiting.iter_mut().zip(["a", "b", "c"]) {
        assert_eq!(calls_read(c), bulk_array(&["q", want]));
    }
    assert_eq!(calls(&mut ctl, &["EXISTS", "q"]), ":0\r\n");
    // One push at a time: still in blocking order.
    let mut waiting = Vec::new();
    for i in 0..3 {
        let mut c = srv.raw();
        send(&mut c, &["BRPOP", "q2", "other", "0"]);
        wait_blocked(&mut ctl, i + 1);
        waiting.push(c);
    }
    for v in ["1", "2", "3"] {
        calls(&mut ctl, &["LPUSH", "q2", v]);
    }
    for (c, want) in waiting.iter_mut().zip(["1", "2", "3"]) {
        assert_eq!(calls_read(c), bulk_array(&["q2", want]));
    }
}

#[test]
fn timeouts_answer_nil() {
    let srv = TestServer::start();
    let mut c = srv.raw();
    for (args, nil) in [
        (&["BLPOP", "none", "0.1"][..], "*-1\r\n"),
        (&["BRPOP", "none", "x", "0.1"], "*-1\r\n"),
        (&["BLMOVE", "none", "d", "LEFT", "RIGHT", "0.1"], "*-1\r\n"),
        (&["BRPOPLPUSH", "none", "d", "0.1"], "*-1\r\n"),
        (&["BLMPOP", "0.1", "2", "none", "x", "LEFT"], "*-1\r\n"),
        (&["BZPOPMIN", "none", "0.1"], "*-1\r\n"),
        (&["BZPOPMAX", "none", "0.1"], "*-1\r\n"),
        (
            &["BZMPOP", "0.1", "1", "none", "MAX", "COUNT", "2"],
            "*-1\r\n",
        ),
    ] {
        let t = Instant::now();
        assert_eq!(calls(&mut c, args), nil, "{args:?}");
        let took = t.elapsed();
        assert!(took >= Duration::from_millis(90), "{args:?} took {took:?}");
        assert!(took < Duration::from_secs(4), "{args:?} took {took:?}");
    }
    assert_eq!(blocked(&mut c), 0);
    // RESP3: the null.
    assert!(calls(&mut c, &["HELLO", "3"]).starts_with('%'));
    assert_eq!(calls(&mut c, &["BLPOP", "none", "0.05"]), "_\r\n");
    assert_eq!(
        calls(&mut c, &["BLMOVE", "none", "d", "LEFT", "LEFT", "0.05"]),
        "_\r\n"
    );
    // A timeout restarted by nothing: data pushed to another key does not
    // wake it, and the wait still ends on time.
    let mut d = srv.raw();
    send(&mut d, &["BLPOP", "w", "0.3"]);
    wait_blocked(&mut c, 1);
    let t = Instant::now();
    calls(&mut c, &["RPUSH", "unrelated", "x"]);
    assert_eq!(calls_read(&mut d), "*-1\r\n");
    assert!(t.elapsed() < Duration::from_secs(4));
}

#[test]
fn woken_client_keeps_waiting_when_the_data_is_gone() {
    let srv = TestServer::start();
    let mut a = srv.raw();
    let mut b = srv.raw();
    send(&mut a, &["BLPOP", "k", "0"]);
    wait_blocked(&mut b, 1);
    // Pushed and popped in one transaction: nothing to serve.
    assert_eq!(calls(&mut b, &["MULTI"]), "+OK\r\n");
    calls(&mut b, &["RPUSH", "k", "gone"]);
    calls(&mut b, &["LPOP", "k"]);
    assert_eq!(calls(&mut b, &["EXEC"]), "*2\r\n:1\r\n$4\r\ngone\r\n");
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(blocked(&mut b), 1);
    // A push inside EXEC wakes it once EXEC is done.
    calls(&mut b, &["MULTI"]);
    calls(&mut b, &["SET", "other", "1"]);
    calls(&mut b, &["RPUSH", "k", "v"]);
    assert_eq!(calls(&mut b, &["EXEC"]), "*2\r\n+OK\r\n:1\r\n");
    assert_eq!(calls_read(&mut a), bulk_array(&["k", "v"]));
    assert_eq!(blocked(&mut b), 0);
}

#[test]
fn multiple_keys_first_non_empty_wins() {
    let srv = TestServer::start();
    let mut c = srv.raw();
    calls(&mut c, &["RPUSH", "b", "b1"]);
    calls(&mut c, &["RPUSH", "c", "c1"]);
    assert_eq!(
        calls(&mut c, &["BLPOP", "a", "c", "b", "0"]),
        bulk_array(&["c", "c1"])
    );
    assert_eq!(
        calls(&mut c, &["BLPOP", "a", "c", "b", "0"]),
        bulk_array(&["b", "b1"])
    );
    calls(&mut c, &["ZADD", "z2", "5", "m"]);
    assert_eq!(
        calls(&mut c, &["BZPOPMAX", "z1", "z2", "0"]),
        "*3\r\n$2\r\nz2\r\n$1\r\nm\r\n$1\r\n5\r\n"
    );
    // Blocked on several keys: whichever gets data first.
    let mut w = srv.raw();
    send(
        &mut w,
        &["BLMPOP", "0", "3", "x", "y", "z", "RIGHT", "COUNT", "2"],
    );
    wait_blocked(&mut c, 1);
    calls(&mut c, &["RPUSH", "y", "1", "2", "3"]);
    assert_eq!(
        calls_read(&mut w),
        "*2\r\n$1\r\ny\r\n*2\r\n$1\r\n3\r\n$1\r\n2\r\n"
    );
    let mut w = srv.raw();
    send(
        &mut w,
        &["BZMPOP", "0", "2", "za", "zb", "MIN", "COUNT", "5"],
    );
    wait_blocked(&mut c, 1);
    calls(&mut c, &["ZADD", "zb", "2", "two", "1", "one"]);
    assert_eq!(
        calls_read(&mut w),
        "*2\r\n$2\r\nzb\r\n*2\r\n*2\r\n$3\r\none\r\n$1\r\n1\r\n*2\r\n$3\r\ntwo\r\n$1\r\n2\r\n"
    );
    let mut w = srv.raw();
    send(&mut w, &["BZPOPMIN", "zz", "0"]);
    wait_blocked(&mut c, 1);
    calls(&mut c, &["ZADD", "zz", "1.5", "m"]);
    assert_eq!(
        calls_read(&mut w),
        "*3\r\n$2\r\nzz\r\n$1\r\nm\r\n$3\r\n1.5\r\n"
    );
}

#[test]
fn blmove_and_brpoplpush_deliver_to_the_destination() {
    let srv = TestServer::start();
    let mut c = srv.raw();
    let mut w = srv.raw();
    send(&mut w, &["BLMOVE", "src", "dst", "RIGHT", "LEFT", "0"]);
    wait_blocked(&mut c, 1);
    calls(&mut c, &["RPUSH", "dst", "old"]);
    calls(&mut c, &["RPUSH", "src", "a", "b"]);
    assert_eq!(calls_read(&mut w), "$1\r\nb\r\n");
    assert_eq!(
        calls(&mut c, &["LRANGE", "dst", "0", "-1"]),
        bulk_array(&["b", "old"])
    );
    send(&mut w, &["BRPOPLPUSH", "s2", "d2", "0"]);
    wait_blocked(&mut c, 1);
    calls(&mut c, &["LPUSH", "s2", "x"]);
    assert_eq!(calls_read(&mut w), "$1\r\nx\r\n");
    assert_eq!(
        calls(&mut c, &["LRANGE", "d2", "0", "-1"]),
        bulk_array(&["x"])
    );
    assert_eq!(calls(&mut c, &["EXISTS", "s2"]), ":0\r\n");
    // A client blocked on the destination is woken by the move.
    let mut w2 = srv.raw();
    send(&mut w2, &["BLPOP", "d3", "0"]);
    wait_blocked(&mut c, 1);
    send(&mut w, &["BLMOVE", "s3", "d3", "LEFT", "LEFT", "0"]);
    wait_blocked(&mut c, 2);
    calls(&mut c, &["RPUSH", "s3", "hop"]);
    assert_eq!(calls_read(&mut w), "$3\r\nhop\r\n");
    assert_eq!(calls_read(&mut w2), bulk_array(&["d3", "hop"]));
}

#[test]
fn inside_multi_nothing_blocks() {
    let srv = TestServer::start();
    let mut c = srv.raw();
    calls(&mut c, &["RPUSH", "l", "a"]);
    calls(&mut c, &["MULTI"]);
    for args in [
        &["BLPOP", "none", "0"][..],
        &["BLPOP", "l", "0"],
        &["BLMOVE", "none", "d", "LEFT", "LEFT", "0"],
        &["BRPOPLPUSH", "none", "d", "0"],
        &["BLMPOP", "0", "1", "none", "LEFT"],
        &["BZPOPMIN", "none", "0"],
        &["BZMPOP", "0", "1", "none", "MIN"],
    ] {
        assert_eq!(calls(&mut c, args), "+QUEUED\r\n");
    }
    let t = Instant::now();
    assert_eq!(
        calls(&mut c, &["EXEC"]),
        "*7\r\n*-1\r\n*2\r\n$1\r\nl\r\n$1\r\na\r\n$-1\r\n$-1\r\n*-1\r\n*-1\r\n*-1\r\n"
    );
    assert!(t.elapsed() < Duration::from_secs(2));
    assert_eq!(blocked(&mut c), 0);
}

#[test]
fn disconnected_client_leaves_the_element_for_others() {
    let srv = TestServer::start();
    let mut c = srv.raw();
    let mut gone = srv.raw();
    send(&mut gone, &["BLPOP", "k", "0"]);
    wait_blocked(&mut c, 1);
    let mut second = srv.raw();
    let id = calls(&mut second, &["CLIENT", "ID"]);
    let id = id.trim().trim_start_matches(':').to_string();
    send(&mut second, &["BLPOP", "k2", "0"]);
    wait_blocked(&mut c, 2);
    drop(gone);
    wait_blocked(&mut c, 1);
    assert_eq!(calls(&mut c, &["RPUSH", "k", "stay"]), ":1\r\n");
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(
        calls(&mut c, &["LRANGE", "k", "0", "-1"]),
        bulk_array(&["stay"])
    );
    // CLIENT KILL of a blocked client.
    assert_eq!(calls(&mut c, &["CLIENT", "KILL", "ID", &id]), ":1\r\n");
    wait_blocked(&mut c, 0);
    calls(&mut c, &["RPUSH", "k2", "v"]);
    assert_eq!(calls(&mut c, &["LLEN", "k2"]), ":1\r\n");
    drop(second);
}

#[test]
fn client_unblock_timeout_and_error() {
    let srv = TestServer::start();
    let mut c = srv.raw();
    let mut w = srv.raw();
    let id = calls(&mut w, &["CLIENT", "ID"]);
    let id = id.trim().trim_start_matches(':').to_string();
    assert_eq!(calls(&mut c, &["CLIENT", "UNBLOCK", &id]), ":0\r\n");
    send(&mut w, &["BLPOP", "k", "0"]);
    wait_blocked(&mut c, 1);
    assert_eq!(calls(&mut c, &["CLIENT", "UNBLOCK", &id]), ":1\r\n");
    assert_eq!(calls_read(&mut w), "*-1\r\n");
    send(&mut w, &["BZPOPMIN", "z", "0"]);
    wait_blocked(&mut c, 1);
    assert_eq!(
        calls(&mut c, &["CLIENT", "UNBLOCK", &id, "error"]),
        ":1\r\n"
    );
    assert_eq!(
        calls_read(&mut w),
        "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    );
    assert_eq!(blocked(&mut c), 0);
    // It blocks normally afterwards and is served.
    send(&mut w, &["BLMOVE", "s", "d", "LEFT", "LEFT", "0"]);
    wait_blocked(&mut c, 1);
    assert_eq!(
        calls(&mut c, &["CLIENT", "UNBLOCK", &id, "TIMEOUT"]),
        ":1\r\n"
    );
    assert_eq!(calls_read(&mut w), "*-1\r\n");
    assert_eq!(calls(&mut c, &["CLIENT", "UNBLOCK", &id]), ":0\r\n");
    assert_eq!(calls(&mut w, &["PING"]), "+PONG\r\n");
}

/// WAIT blocks until its timeout (0 replicas ever acknowledge), counts as
/// a blocked client, and CLIENT UNBLOCK ends it with 0 or the error.
#[test]
fn wait_blocks_until_its_timeout_or_unblock() {
    let srv = TestServer::start();
    let mut c = srv.raw();
    let mut w = srv.raw();
    assert_eq!(calls(&mut w, &["SET", "k", "v"]), "+OK\r\n");
    assert_eq!(calls(&mut w, &["WAIT", "0", "0"]), ":0\r\n");
    let t = Instant::now();
    assert_eq!(calls(&mut w, &["WAIT", "1", "300"]), ":0\r\n");
    assert!(
        t.elapsed() >= Duration::from_millis(290),
        "{:?}",
        t.elapsed()
    );
    let id = calls(&mut w, &["CLIENT", "ID"]);
    let id = id.trim().trim_start_matches(':').to_string();
    send(&mut w, &["WAIT", "2", "0"]);
    wait_blocked(&mut c, 1);
    assert!(calls(&mut c, &["CLIENT", "LIST"]).contains("flags=b"));
    assert_eq!(calls(&mut c, &["CLIENT", "UNBLOCK", &id]), ":1\r\n");
    assert_eq!(calls_read(&mut w), ":0\r\n");
    send(&mut w, &["WAIT", "1", "0"]);
    wait_blocked(&mut c, 1);
    assert_eq!(
        calls(&mut c, &["CLIENT", "UNBLOCK", &id, "ERROR"]),
        ":1\r\n"
    );
    assert_eq!(
        calls_read(&mut w),
        "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    );
    assert_eq!(blocked(&mut c), 0);
    // Writes by others are not held up by a waiting client (a timeout
    // past what the clock holds waits forever, as in Redis).
    send(&mut w, &["WAIT", "1", "9223372036854775807"]);
    wait_blocked(&mut c, 1);
    assert_eq!(calls(&mut c, &["SET", "k", "v2"]), "+OK\r\n");
    drop(w);
    let t = Instant::now();
    while blocked(&mut c) != 0 {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "a closed WAIT stays blocked"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn blocked_pop_survives_a_restart_through_the_wal() {
    let mut srv = TestServer::start();
    let mut c = srv.raw();
    let mut w = srv.raw();
    send(&mut w, &["BLPOP", "k", "0"]);
    wait_blocked(&mut c, 1);
    calls(&mut c, &["RPUSH", "k", "first", "second"]);
    assert_eq!(calls_read(&mut w), bulk_array(&["k", "first"]));
    send(&mut w, &["BZPOPMAX", "z", "0"]);
    wait_blocked(&mut c, 1);
    calls(&mut c, &["ZADD", "z", "1", "a", "2", "b"]);
    assert_eq!(
        calls_read(&mut w),
        "*3\r\n$1\r\nz\r\n$1\r\nb\r\n$1\r\n2\r\n"
    );
    send(&mut w, &["BLMOVE", "s", "d", "LEFT", "RIGHT", "0"]);
    wait_blocked(&mut c, 1);
    calls(&mut c, &["RPUSH", "s", "m"]);
    assert_eq!(calls_read(&mut w), "$1\r\nm\r\n");
    drop(c);
    drop(w);
    assert!(srv.terminate().success());
    let dir = srv.dir.clone();
    let srv2 = TestServer::start_in(dir, &[]);
    let mut c = srv2.raw();
    assert_eq!(
        calls(&mut c, &["LRANGE", "k", "0", "-1"]),
        bulk_array(&["second"])
    );
    assert_eq!(
        calls(&mut c, &["ZRANGE", "z", "0", "-1"]),
        bulk_array(&["a"])
    );
    assert_eq!(calls(&mut c, &["EXISTS", "s"]), ":0\r\n");
    assert_eq!(
        calls(&mut c, &["LRANGE", "d", "0", "-1"]),
        bulk_array(&["m"])
    );
}

#[test]
fn errors() {
    let srv = TestServer::start();
    let mut c = srv.raw();
    calls(&mut c, &["SET", "s", "x"]);
    let wrong = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
    assert_eq!(calls(&mut c, &["BLPOP", "s", "0"]), wrong);
    assert_eq!(calls(&mut c, &["BZPOPMIN", "none", "s", "0"]), wrong);
    assert_eq!(
        calls(&mut c, &["BLMOVE", "s", "d", "LEFT", "LEFT", "0"]),
        wrong
    );
    assert_eq!(
        calls(&mut c, &["BLPOP", "k", "-1"]),
        "-ERR timeout is negative\r\n"
    );
    assert_eq!(
        calls(&mut c, &["BLPOP", "k", "abc"]),
        "-ERR timeout is not a float or out of range\r\n"
    );
}

// ---------------------------------------------------------------- differential

fn differential_cases() -> Vec<Vec<String>> {
    split_cases(&[
        "RPUSH l a b c d",
        "BLPOP l 0",
        "BRPOP l 0",
        "BLPOP nokey l 0",
        "BRPOP nokey l 1",
        "BLPOP nokey 0.01",
        "BRPOP nokey other 0.01",
        "BLMOVE nokey d LEFT RIGHT 0.01",
        "BRPOPLPUSH nokey d 0.01",
        "BLMPOP 0.01 1 nokey LEFT",
        "BZPOPMIN nokey 0.01",
        "BZPOPMAX nokey 0.01",
        "BZMPOP 0.01 1 nokey MIN",
        "BLPOP l abc",
        "BLPOP l -1",
        "BLPOP l inf",
        "BLPOP l nan",
        "BLPOP l \"\"",
        "BLPOP l 1e400",
        "BLPOP l",
        "BZPOPMIN z",
        "BLMOVE l d UP LEFT 0",
        "BLMOVE l d LEFT LEFT x",
        "BLMOVE l d LEFT",
        "BRPOPLPUSH l d",
        "BLMPOP x 0 a LEFT",
        "BLMPOP x 1 a LEFT",
        "BLMPOP 0 1 a FOO",
        "BLMPOP 0 2 a LEFT",
        "BLMPOP 0 1 a LEFT COUNT 0",
        "BLMPOP 0 1 a LEFT COUNT 1 COUNT 1",
        "BLMPOP 0 1 a",
        "BZMPOP x 1 a MIN",
        "BZMPOP -1 1 a MIN",
        "BZMPOP 0 2 a MIN",
        "BZMPOP 0 1 a MIN COUNT -1",
        "SET s x",
        "BLPOP s 0",
        "BLPOP nokey s 0",
        "BZPOPMIN s 0",
        "BLMPOP 0 2 nokey s LEFT",
        "BZMPOP 0 2 nokey s MAX",
        "BLMOVE s d LEFT LEFT 0",
        "RPUSH src x y",
        "BLMOVE src s LEFT LEFT 0",
        "ZADD z 1 a 2 b 3 c 4.5 d",
        "BZPOPMIN z 0",
        "BZPOPMAX z 0",
        "BZMPOP 0 1 z MIN COUNT 2",
        "ZADD z 7 e 8 f",
        "BZMPOP 0 1 z MAX COUNT 5",
        "EXISTS z",
        "RPUSH l2 x y z",
        "BLMOVE l2 l3 LEFT RIGHT 0",
        "BRPOPLPUSH l2 l3 0",
        "BLMOVE l2 l2 LEFT RIGHT 0",
        "LRANGE l3 0 -1",
        "BLMPOP 0 2 nokey l3 RIGHT COUNT 10",
        "EXISTS l3",
        "MULTI",
        "BLPOP nokey 0",
        "BLMOVE nokey d LEFT LEFT 0",
        "BRPOPLPUSH nokey d 0",
        "BZPOPMIN nokey 0",
        "BLMPOP 0 1 nokey LEFT",
        "BZMPOP 0 1 nokey MIN",
        "BLPOP l2 0",
        "EXEC",
        "CLIENT UNBLOCK 999999",
        "CLIENT UNBLOCK 999999 ERROR",
        "CLIENT UNBLOCK abc",
        "CLIENT UNBLOCK 1 foo",
        "CLIENT UNBLOCK 1 timeout extra",
        "client unblock 1 timeout extra",
        "CLIENT UNBLOCK",
        "COMMAND GETKEYS BLPOP a b 0",
        "COMMAND GETKEYS BLMPOP 0 2 a b LEFT",
        "COMMAND GETKEYS BZMPOP 0 1 a MIN",
        "COMMAND GETKEYS BLMOVE a b LEFT LEFT 0",
        "COMMAND GETKEYS BZPOPMAX a b c 0",
        // WAIT as a primary without replicas answers.
        "WAIT 0 0",
        "WAIT -1 0",
        "WAIT 1 10",
        "WAIT x 0",
        "WAIT 1 x",
        "WAIT 1 -1",
        "WAIT 1 1.5",
        "WAIT 0 9223372036854775807",
        "WAIT 1",
        "MULTI",
        "WAIT 5 0",
        "EXEC",
        "COMMAND INFO WAIT",
        "COMMAND GETKEYS WAIT 1 0",
    ])
}

/// Replies that do not depend on timing (served at once, errors, short
/// timeouts on empty keys, MULTI) match redis-server byte for byte.
#[test]
fn differential_against_redis_server() {
    differential_with_redis(&differential_cases(), raw_replies);
}
