//! The I/O drivers under stress: a client that does not read its replies
//! must not stall other clients (back-pressure in the event loop), big
//! replies arrive whole, many connections at once are all served. `make
//! test` runs this file under both `io-model epoll` and `io-model threads`.
mod common;
use common::*;
use std::io::{Read, Write};
use std::time::Duration;

#[test]
fn slow_reader_does_not_stall_others() {
    // One worker, so both clients share it under io-model epoll.
    let srv = TestServer::start_with(&["--worker-threads", "1"]);
    let mut c = srv.raw();
    let big = "x".repeat(1 << 20);
    assert_eq!(calls(&mut c, &["SET", "big", &big]), "+OK\r\n");
    // 64 GETs of 1 MiB, written but not read: far more than socket buffers hold.
    let mut slow = srv.raw();
    let req = cmd(&[b"GET", b"big"]);
    let mut batch: Vec<u8> = req.iter().cycle().take(req.len() * 64).copied().collect();
    // QUIT at the end: the server must not block on this unread output.
    batch.extend_from_slice(&cmd(&[b"QUIT"]));
    slow.write_all(&batch).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    // Meanwhile another client is served promptly.
    let mut other = srv.raw();
    other
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    for i in 0..100 {
        assert_eq!(
            calls(&mut other, &["SET", &format!("k{i}"), "v"]),
            "+OK\r\n"
        );
    }
    // The slow reader still gets every byte, in order.
    let header = format!("${}\r\n", big.len());
    let mut total = Vec::new();
    let want = 64 * (header.len() + big.len() + 2);
    let mut buf = vec![0u8; 1 << 16];
    while total.len() < want {
        let n = slow.read(&mut buf).unwrap();
        assert!(n > 0, "closed early after {} bytes", total.len());
        total.extend_from_slice(&buf[..n]);
    }
    // Then QUIT's +OK, then end of stream.
    let mut tail = total.split_off(want);
    while tail.len() < 5 {
        let n = slow.read(&mut buf).unwrap();
        assert!(n > 0, "closed before +OK");
        tail.extend_from_slice(&buf[..n]);
    }
    assert_eq!(tail, b"+OK\r\n");
    assert_eq!(
        slow.read(&mut buf).unwrap(),
        0,
        "connection should close after QUIT"
    );
    for i in 0..64 {
        let off = i * (header.len() + big.len() + 2);
        assert_eq!(&total[off..off + header.len()], header.as_bytes());
    }
}

#[test]
fn many_concurrent_connections_are_served() {
    let srv = TestServer::start();
    let handles: Vec<_> = (0..40)
        .map(|t| {
            let port = srv.port;
            std::thread::spawn(move || {
                let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
                s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                for i in 0..200 {
                    let k = format!("t{t}:{i}");
                    assert_eq!(calls(&mut s, &["SET", &k, &k]), "+OK\r\n");
                    assert_eq!(
                        calls(&mut s, &["GET", &k]),
                        format!("${}\r\n{}\r\n", k.len(), k)
                    );
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let mut s = srv.raw();
    assert_eq!(calls(&mut s, &["DBSIZE"]), ":8000\r\n");
}

#[test]
fn pipeline_across_many_reads_keeps_order() {
    let srv = TestServer::start();
    let mut s = srv.raw();
    // 20k INCRs written in uneven chunks while replies are read back.
    let mut all = Vec::new();
    for _ in 0..20_000 {
        all.extend_from_slice(&cmd(&[b"INCR", b"n"]));
    }
    let writer = {
        let mut w = s.try_clone().unwrap();
        std::thread::spawn(move || {
            for chunk in all.chunks(7919) {
                w.write_all(chunk).unwrap();
            }
        })
    };
    for i in 1..=20_000 {
        assert_eq!(read_reply(&mut s), format!(":{i}\r\n").into_bytes());
    }
    writer.join().unwrap();
}

/// The server really runs the driver this run asked for (so the second
/// `make test` pass under `--io-model threads` tests what it claims).
#[test]
fn the_configured_driver_is_running() {
    let srv = TestServer::start();
    let log = srv.log();
    let threads = std::env::var("FLASHDB_TEST_ARGS")
        .unwrap_or_default()
        .contains("threads");
    if threads || !cfg!(target_os = "linux") {
        assert!(
            log.contains("one pooled worker thread per connection"),
            "{log}"
        );
    } else {
        assert!(log.contains("event-loop workers (epoll)"), "{log}");
    }
}

/// A command held by CLIENT PAUSE behind a reply that was already produced
/// in the same batch still runs when the pause ends, with no further input.
#[test]
fn held_command_after_output_resumes_alone() {
    let srv = TestServer::start_with(&["--worker-threads", "1"]);
    let mut admin = srv.raw();
    assert_eq!(
        calls(&mut admin, &["CLIENT", "PAUSE", "700", "WRITE"]),
        "+OK\r\n"
    );
    let mut b = srv.raw();
    let t = std::time::Instant::now();
    b.write_all(b"PING\r\nSET k v\r\n").unwrap();
    assert_eq!(read_n(&mut b, 7), b"+PONG\r\n");
    assert!(
        t.elapsed() < Duration::from_millis(500),
        "PING waited for the pause"
    );
    assert_eq!(read_n(&mut b, 5), b"+OK\r\n");
    assert!(
        t.elapsed() >= Duration::from_millis(600),
        "SET ran during the pause"
    );
}

/// SIGTERM during a long CLIENT PAUSE: held commands run and the server
/// exits 0 promptly instead of waiting out the pause.
#[test]
fn shutdown_is_prompt_with_held_commands() {
    let mut srv = TestServer::start();
    let mut admin = srv.raw();
    assert_eq!(
        calls(&mut admin, &["CLIENT", "PAUSE", "60000", "WRITE"]),
        "+OK\r\n"
    );
    let mut b = srv.raw();
    b.write_all(&cmd(&[b"SET", b"k", b"v"])).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let t = std::time::Instant::now();
    let st = srv.terminate();
    assert!(st.success(), "{st:?}");
    assert!(
        t.elapsed() < Duration::from_secs(3),
        "took {:?}",
        t.elapsed()
    );
}

/// A command held by CLIENT PAUSE on a connection with replies switched off
/// resumes, and the connection keeps being served afterwards.
#[test]
fn held_command_with_replies_off_resumes() {
    let srv = TestServer::start_with(&["--worker-threads", "1"]);
    let mut admin = srv.raw();
    let mut b = srv.raw();
    b.write_all(&cmd(&[b"CLIENT", b"REPLY", b"OFF"])).unwrap();
    assert_eq!(
        calls(&mut admin, &["CLIENT", "PAUSE", "300", "WRITE"]),
        "+OK\r\n"
    );
    b.write_all(&cmd(&[b"SET", b"k", b"v"])).unwrap();
    std::thread::sleep(Duration::from_millis(500));
    b.write_all(&cmd(&[b"CLIENT", b"REPLY", b"ON"])).unwrap();
    assert_eq!(read_n(&mut b, 5), b"+OK\r\n");
    assert_eq!(calls(&mut b, &["GET", "k"]), "$1\r\nv\r\n");
}
