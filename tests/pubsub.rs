//! Pub/Sub through real clients: the exact bytes against redis-server
//! (RESP2 and RESP3, subscribed-mode rules, confirmations, messages), the
//! `redis` crate's PubSub API, delivery order, cleanup on disconnect and
//! RESET, and a subscriber that stops reading (the publisher is never
//! blocked; the subscriber is dropped at the output buffer limit).

mod common;
use common::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// One step: on connection `conn`, send `args`, then read the given number
/// of replies from each listed connection, as (conn, in RESP2, in RESP3).
type Step = (
    usize,
    &'static [&'static str],
    &'static [(usize, usize, usize)],
);

const SCRIPT: &[Step] = &[
    (0, &["SUBSCRIBE", "a", "b"], &[(0, 2, 2)]),
    (0, &["SUBSCRIBE", "a"], &[(0, 1, 1)]),
    (1, &["PUBLISH", "a", "hello"], &[(1, 1, 1), (0, 1, 1)]),
    (1, &["PUBLISH", "nobody", "x"], &[(1, 1, 1)]),
    (0, &["PSUBSCRIBE", "a*", "x?"], &[(0, 2, 2)]),
    (1, &["PUBLISH", "a", "both"], &[(1, 1, 1), (0, 2, 2)]),
    (1, &["PUBLISH", "xy", "pat"], &[(1, 1, 1), (0, 1, 1)]),
    (1, &["PUBSUB", "NUMSUB", "a", "b", "zz"], &[(1, 1, 1)]),
    (1, &["PUBSUB", "NUMSUB"], &[(1, 1, 1)]),
    (1, &["PUBSUB", "NUMPAT"], &[(1, 1, 1)]),
    (1, &["PUBSUB", "CHANNELS", "b*"], &[(1, 1, 1)]),
    (1, &["PUBSUB", "CHANNELS", "nothing*"], &[(1, 1, 1)]),
    (1, &["PUBSUB", "CHANNELS", "a", "b"], &[(1, 1, 1)]),
    (1, &["PUBSUB", "SHARDCHANNELS", "a", "b"], &[(1, 1, 1)]),
    (1, &["PUBSUB", "NUMPAT", "x"], &[(1, 1, 1)]),
    (1, &["PUBSUB", "NOPE"], &[(1, 1, 1)]),
    (1, &["PUBSUB"], &[(1, 1, 1)]),
    (1, &["PUBSUB", "HELP"], &[(1, 1, 1)]),
    (1, &["PUBLISH", "a"], &[(1, 1, 1)]),
    (1, &["SUBSCRIBE"], &[(1, 1, 1)]),
    // Subscribed-mode rules (RESP2 only) and PING's two shapes.
    (0, &["GET", "k"], &[(0, 1, 1)]),
    (0, &["ECHO", "x"], &[(0, 1, 1)]),
    (0, &["PING"], &[(0, 1, 1)]),
    (0, &["PING", "hi"], &[(0, 1, 1)]),
    (0, &["PING", "a", "b"], &[(0, 1, 1)]),
    // A subcommand named like an allowed command is not allowed.
    (0, &["LATENCY", "RESET"], &[(0, 1, 1)]),
    // A RESP3 subscriber may publish: its own message precedes the reply.
    (0, &["PUBLISH", "a", "self"], &[(0, 1, 3)]),
    // Shard channels count separately.
    (2, &["SSUBSCRIBE", "s1", "s2"], &[(2, 2, 2)]),
    (2, &["SUBSCRIBE", "c"], &[(2, 1, 1)]),
    (1, &["SPUBLISH", "s1", "sm"], &[(1, 1, 1), (2, 1, 1)]),
    (1, &["PUBLISH", "s1", "not-shard"], &[(1, 1, 1)]),
    (1, &["PUBSUB", "SHARDNUMSUB", "s1", "s9"], &[(1, 1, 1)]),
    (1, &["PUBSUB", "SHARDCHANNELS", "s2"], &[(1, 1, 1)]),
    (2, &["SUNSUBSCRIBE", "s2"], &[(2, 1, 1)]),
    (2, &["SUNSUBSCRIBE", "s1"], &[(2, 1, 1)]),
    (2, &["SUNSUBSCRIBE"], &[(2, 1, 1)]),
    (2, &["UNSUBSCRIBE", "c"], &[(2, 1, 1)]),
    // Leaving.
    (0, &["PUNSUBSCRIBE", "x?"], &[(0, 1, 1)]),
    (0, &["PUNSUBSCRIBE", "never"], &[(0, 1, 1)]),
    (0, &["UNSUBSCRIBE", "b"], &[(0, 1, 1)]),
    (1, &["PUBLISH", "b", "gone"], &[(1, 1, 1)]),
    (0, &["UNSUBSCRIBE"], &[(0, 1, 1)]),
    (0, &["PUNSUBSCRIBE"], &[(0, 1, 1)]),
    (0, &["UNSUBSCRIBE"], &[(0, 1, 1)]),
    (0, &["PUNSUBSCRIBE"], &[(0, 1, 1)]),
    (0, &["PING"], &[(0, 1, 1)]),
    (0, &["GET", "k"], &[(0, 1, 1)]),
    (1, &["PUBLISH", "a", "nobody-left"], &[(1, 1, 1)]),
    // Inside MULTI/EXEC: one reply per channel, and a message to oneself
    // inside EXEC's array, before PUBLISH's reply (RESP3 only may publish).
    (0, &["MULTI"], &[(0, 1, 1)]),
    (0, &["SUBSCRIBE", "m1", "m2"], &[(0, 1, 1)]),
    (0, &["PUBLISH", "m1", "x"], &[(0, 1, 1)]),
    (0, &["EXEC"], &[(0, 3, 3)]),
    (0, &["UNSUBSCRIBE", "m1", "m2"], &[(0, 2, 2)]),
    // RESET leaves every subscription.
    (0, &["SUBSCRIBE", "r"], &[(0, 1, 1)]),
    (0, &["RESET"], &[(0, 1, 1)]),
    (1, &["PUBLISH", "r", "x"], &[(1, 1, 1)]),
    (1, &["PUBSUB", "NUMSUB", "r"], &[(1, 1, 1)]),
];

/// Runs SCRIPT on the connection `main` (already in its protocol and DB)
/// plus two more connections to the same server in the same protocol.
fn run_script(main: &mut TcpStream, steps: &[Step]) -> Vec<Vec<u8>> {
    let info = calls(main, &["CLIENT", "INFO"]);
    let resp3 = info.contains("resp=3");
    let port = main.peer_addr().unwrap().port();
    let mut others: Vec<TcpStream> = (0..2)
        .map(|_| {
            let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            if resp3 {
                let _ = call(&mut s, &["HELLO", "3"]);
            }
            s
        })
        .collect();
    let mut out = Vec::new();
    for (conn, args, reads) in steps {
        let a: Vec<&[u8]> = args.iter().map(|x| x.as_bytes()).collect();
        let bytes = cmd(&a);
        let stream = |i: usize, m: &mut TcpStream, o: &mut Vec<TcpStream>| -> TcpStream {
            if i == 0 {
                m.try_clone().unwrap()
            } else {
                o[i - 1].try_clone().unwrap()
            }
        };
        stream(*conn, main, &mut others).write_all(&bytes).unwrap();
        let mut got = Vec::new();
        for &(c, n2, n3) in reads.iter() {
            let mut s = stream(c, main, &mut others);
            for _ in 0..if resp3 { n3 } else { n2 } {
                got.extend_from_slice(&read_reply(&mut s));
            }
        }
        out.push(got);
    }
    out
}

#[test]
fn pubsub_matches_redis_byte_for_byte() {
    differential_with_redis(SCRIPT, run_script);
}

#[test]
fn redis_crate_pubsub_api() {
    let srv = TestServer::start();
    let client = redis::Client::open(srv.url()).unwrap();
    let mut sub_conn = client.get_connection().unwrap();
    let mut publisher = srv.client();
    let mut ps = sub_conn.as_pubsub();
    ps.subscribe("news").unwrap();
    ps.psubscribe("sport.*").unwrap();
    ps.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let n: i64 = q(&mut publisher, &["PUBLISH", "news", "one"]);
    assert_eq!(n, 1);
    let n: i64 = q(&mut publisher, &["PUBLISH", "sport.tennis", "two"]);
    assert_eq!(n, 1);
    let m = ps.get_message().unwrap();
    assert_eq!(m.get_channel_name(), "news");
    assert_eq!(m.get_payload::<String>().unwrap(), "one");
    let m = ps.get_message().unwrap();
    assert_eq!(m.get_channel_name(), "sport.tennis");
    assert_eq!(m.get_pattern::<String>().unwrap(), "sport.*");
    assert_eq!(m.get_payload::<String>().unwrap(), "two");
    // Binary-safe payloads.
    let payload: Vec<u8> = (0..=255u8).collect();
    let n: i64 = redis::cmd("PUBLISH")
        .arg("news")
        .arg(&payload[..])
        .query(&mut publisher)
        .unwrap();
    assert_eq!(n, 1);
    let m = ps.get_message().unwrap();
    assert_eq!(m.get_payload::<Vec<u8>>().unwrap(), payload);
    ps.unsubscribe("news").unwrap();
    let n: i64 = q(&mut publisher, &["PUBLISH", "news", "three"]);
    assert_eq!(n, 0);
}

/// Reads RESP messages until `n` have arrived (each a push/array).
fn read_messages(s: &mut TcpStream, n: usize) -> Vec<Vec<u8>> {
    (0..n).map(|_| read_reply(s)).collect()
}

#[test]
fn many_publishers_every_message_arrives_in_order_per_publisher() {
    let srv = TestServer::start();
    let mut sub = srv.raw();
    sub.write_all(&cmd(&[b"SUBSCRIBE", b"load"])).unwrap();
    read_reply(&mut sub);
    const PUBLISHERS: usize = 4;
    const EACH: usize = 500;
    let handles: Vec<_> = (0..PUBLISHERS)
        .map(|p| {
            let port = srv.port;
            std::thread::spawn(move || {
                let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
                s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                // Pipelined, to make publishes race each other.
                let mut batch = Vec::new();
                for i in 0..EACH {
                    let msg = format!("{p}:{i}");
                    batch.extend_from_slice(&cmd(&[b"PUBLISH", b"load", msg.as_bytes()]));
                }
                s.write_all(&batch).unwrap();
                for _ in 0..EACH {
                    assert_eq!(read_reply(&mut s), b":1\r\n");
                }
            })
        })
        .collect();
    let msgs = read_messages(&mut sub, PUBLISHERS * EACH);
    for h in handles {
        h.join().unwrap();
    }
    let mut next = [0usize; PUBLISHERS];
    for m in msgs {
        let text = String::from_utf8(m).unwrap();
        let payload = text.trim_end().rsplit("\r\n").next().unwrap().to_string();
        let (p, i) = payload.split_once(':').unwrap();
        let (p, i): (usize, usize) = (p.parse().unwrap(), i.parse().unwrap());
        assert_eq!(i, next[p], "publisher {p}'s messages out of order");
        next[p] += 1;
    }
    assert_eq!(next, [EACH; PUBLISHERS]);
}

#[test]
fn disconnect_and_kill_clean_up_subscriptions() {
    let srv = TestServer::start();
    let mut c = srv.client();
    {
        let mut s = srv.raw();
        s.write_all(&cmd(&[b"SUBSCRIBE", b"c1", b"c2"])).unwrap();
        read_reply(&mut s);
        read_reply(&mut s);
        s.write_all(&cmd(&[b"PSUBSCRIBE", b"p*"])).unwrap();
        read_reply(&mut s);
        let n: i64 = q(&mut c, &["PUBSUB", "NUMPAT"]);
        assert_eq!(n, 1);
        let list: String = q(&mut c, &["CLIENT", "LIST"]);
        assert!(list.contains("flags=P"), "{list}");
        assert!(list.contains("sub=2 psub=1 ssub=0"), "{list}");
        let info: String = q(&mut c, &["INFO", "stats"]);
        assert!(info.contains("pubsub_channels:2\r\n"), "{info}");
        assert!(info.contains("pubsub_patterns:1\r\n"), "{info}");
    }
    // The socket is closed: the server forgets the subscriptions.
    let t = Instant::now();
    loop {
        let chans: Vec<String> = q(&mut c, &["PUBSUB", "CHANNELS"]);
        let pats: i64 = q(&mut c, &["PUBSUB", "NUMPAT"]);
        if chans.is_empty() && pats == 0 {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "still {chans:?} {pats}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let n: i64 = q(&mut c, &["PUBLISH", "c1", "x"]);
    assert_eq!(n, 0);
    // CLIENT KILL of a subscriber.
    let mut s = srv.raw();
    s.write_all(&cmd(&[b"SUBSCRIBE", b"k"])).unwrap();
    read_reply(&mut s);
    let list: String = q(&mut c, &["CLIENT", "LIST"]);
    let id = list
        .lines()
        .find(|l| l.contains("sub=1"))
        .and_then(|l| l.split(' ').next())
        .and_then(|f| f.strip_prefix("id="))
        .unwrap()
        .to_string();
    let killed: i64 = q(&mut c, &["CLIENT", "KILL", "ID", &id]);
    assert_eq!(killed, 1);
    let mut b = [0u8; 64];
    assert!(matches!(s.read(&mut b), Ok(0) | Err(_)));
    let t = Instant::now();
    while q::<i64>(&mut c, &["PUBLISH", "k", "x"]) != 0 {
        assert!(t.elapsed() < Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn slow_subscriber_never_blocks_the_publisher_and_is_dropped() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let _: () = q(
        &mut c,
        &[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "pubsub 4mb 1mb 60",
        ],
    );
    // A subscriber that never reads again.
    let mut stalled = srv.raw();
    stalled
        .write_all(&cmd(&[b"SUBSCRIBE", b"firehose"]))
        .unwrap();
    read_reply(&mut stalled);
    // A healthy subscriber on another channel keeps getting its messages.
    let mut healthy = srv.raw();
    healthy.write_all(&cmd(&[b"SUBSCRIBE", b"calm"])).unwrap();
    read_reply(&mut healthy);
    let mut publisher = srv.raw();
    let big = vec![b'x'; 64 * 1024];
    let mut receivers = Vec::new();
    // 64 MB: far beyond the limit plus what the kernel buffers hold. Every
    // PUBLISH is answered (the read timeout would fail the test on a hang).
    for i in 0..1024 {
        publisher
            .write_all(&cmd(&[b"PUBLISH", b"firehose", &big]))
            .unwrap();
        let r = read_reply(&mut publisher);
        receivers.push(r);
        if i % 128 == 0 {
            assert_eq!(calls(&mut publisher, &["PUBLISH", "calm", "ok"]), ":1\r\n");
            let m = read_reply(&mut healthy);
            assert!(m.ends_with(b"$2\r\nok\r\n"));
        }
    }
    assert_eq!(receivers[0], b":1\r\n");
    // Once dropped, the stalled subscriber no longer counts.
    assert!(receivers.iter().any(|r| r == b":0\r\n"));
    let n: Vec<redis::Value> = q(&mut c, &["PUBSUB", "NUMSUB", "firehose"]);
    assert_eq!(n[1], redis::Value::Int(0));
    assert!(srv.log().contains("output buffer limits"), "{}", srv.log());
    let info: String = q(&mut c, &["INFO", "stats"]);
    assert!(
        info.contains("client_output_buffer_limit_disconnections:1\r\n"),
        "{info}"
    );
    // Its connection is closed: reading drains what was sent, then EOF.
    stalled
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        match stalled.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
    // The server is fine.
    assert_eq!(calls(&mut publisher, &["PING"]), "+PONG\r\n");
}

#[test]
fn resp3_subscriber_runs_commands_and_gets_pushes_in_order() {
    let srv = TestServer::start();
    let mut s = srv.raw();
    let _ = call(&mut s, &["HELLO", "3"]);
    s.write_all(&cmd(&[b"SUBSCRIBE", b"o"])).unwrap();
    assert_eq!(
        read_reply(&mut s),
        b">3\r\n$9\r\nsubscribe\r\n$1\r\no\r\n:1\r\n"
    );
    // Pipelined: SET, a message published by another client, GET.
    let mut p = srv.raw();
    assert_eq!(calls(&mut p, &["PUBLISH", "o", "m1"]), ":1\r\n");
    s.write_all(&cmd(&[b"SET", b"k", b"v"])).unwrap();
    // m1 was published before SET ran, so it comes first.
    assert_eq!(
        read_reply(&mut s),
        b">3\r\n$7\r\nmessage\r\n$1\r\no\r\n$2\r\nm1\r\n"
    );
    assert_eq!(read_reply(&mut s), b"+OK\r\n");
    assert_eq!(calls(&mut s, &["GET", "k"]), "$1\r\nv\r\n");
}

#[test]
fn client_list_and_kill_by_type_pubsub() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let mut sub = srv.raw();
    sub.write_all(&cmd(&[b"PSUBSCRIBE", b"t*"])).unwrap();
    read_reply(&mut sub);
    let pubsub: String = q(&mut c, &["CLIENT", "LIST", "TYPE", "pubsub"]);
    assert_eq!(pubsub.lines().count(), 1, "{pubsub}");
    assert!(pubsub.contains("psub=1"));
    let normal: String = q(&mut c, &["CLIENT", "LIST", "TYPE", "normal"]);
    // (The harness's readiness probe may still be listed: count by flags.)
    assert!(normal.contains("cmd=client|list"), "{normal}");
    assert!(normal.lines().all(|l| l.contains("flags=N")), "{normal}");
    let killed: i64 = q(&mut c, &["CLIENT", "KILL", "TYPE", "pubsub"]);
    assert_eq!(killed, 1);
    let mut b = [0u8; 16];
    sub.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    assert!(matches!(sub.read(&mut b), Ok(0) | Err(_)));
    let killed: i64 = q(&mut c, &["CLIENT", "KILL", "TYPE", "pubsub"]);
    assert_eq!(killed, 0);
}
