//! Exposure and limits: protected mode (refusing non-loopback clients while
//! the default user has no password), Redis's tight protocol limits before
//! authentication (CVE-2021-32675), and `client-output-buffer-limit
//! normal`. Raw bytes, exact Redis texts (checked against redis-server
//! 7.0.15).

mod common;
use common::*;
use std::io::Write;
use std::time::Duration;

/// Redis 7.0's protected-mode refusal with "FlashDB" for "Redis".
const DENIED: &str = "-DENIED FlashDB is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to FlashDB you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to FlashDB from the same host the server is running, however MAKE SURE FlashDB is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the FlashDB configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

/// Protected mode needs a client that is not 127.0.0.1 / ::1. Rather than
/// send anything to this machine's other addresses, the tests connect from
/// 127.0.0.2: loopback traffic that Redis 7.0 (and FlashDB) do not count
/// as local.
#[cfg(target_os = "linux")]
fn from_other() -> [u8; 4] {
    [127, 0, 0, 2]
}

#[cfg(target_os = "linux")]
#[test]
fn protected_mode_refuses_other_addresses_and_explains() {
    // `--bind 0.0.0.0` is explicit, and still protected: Redis 7 dropped
    // the "no explicit bind" condition of Redis 6.
    let srv = TestServer::start_with(&["--bind", "0.0.0.0"]);
    let mut s = connect_from(from_other(), srv.port);
    // Sent at once, before any command, then the connection closes.
    let got = read_to_eof(&mut s, Duration::from_secs(5));
    assert_eq!(String::from_utf8_lossy(&got), DENIED);
    // Loopback is served.
    let mut local = srv.raw();
    assert_eq!(calls(&mut local, &["PING"]), "+PONG\r\n");
    let stats = calls(&mut local, &["INFO", "stats"]);
    assert!(stats.contains("rejected_connections:1\r\n"), "{stats}");
    // Switched off at run time, from loopback, as the text suggests.
    assert_eq!(
        calls(&mut local, &["CONFIG", "SET", "protected-mode", "no"]),
        "+OK\r\n"
    );
    let mut s = connect_from(from_other(), srv.port);
    assert_eq!(calls(&mut s, &["PING"]), "+PONG\r\n");
}

#[cfg(target_os = "linux")]
#[test]
fn protected_mode_needs_no_password_and_can_be_off() {
    let srv = TestServer::start_with(&["--requirepass", "pw"]);
    let mut s = connect_from(from_other(), srv.port);
    assert_eq!(
        calls(&mut s, &["PING"]),
        "-NOAUTH Authentication required.\r\n"
    );
    assert_eq!(calls(&mut s, &["AUTH", "pw"]), "+OK\r\n");
    assert_eq!(calls(&mut s, &["PING"]), "+PONG\r\n");
    drop(srv);

    let srv = TestServer::start_with(&["--protected-mode", "no"]);
    let mut s = connect_from(from_other(), srv.port);
    assert_eq!(calls(&mut s, &["PING"]), "+PONG\r\n");
    // Setting a password at run time lifts protection too.
    let srv = TestServer::start();
    let mut local = srv.raw();
    assert_eq!(
        calls(&mut local, &["CONFIG", "SET", "requirepass", "pw"]),
        "+OK\r\n"
    );
    let mut s = connect_from(from_other(), srv.port);
    assert_eq!(calls(&mut s, &["AUTH", "pw"]), "+OK\r\n");
}

fn assert_closed_with(srv: &TestServer, bytes: &[u8], reply: &str) {
    let mut s = srv.raw();
    s.write_all(bytes).unwrap();
    let got = read_to_eof(&mut s, Duration::from_secs(5));
    assert_eq!(String::from_utf8_lossy(&got), reply, "for {:?}", bytes);
}

#[test]
fn unauthenticated_requests_get_tight_limits() {
    let srv = TestServer::start_with(&["--requirepass", "pw"]);
    assert_closed_with(
        &srv,
        b"*11\r\n",
        "-ERR Protocol error: unauthenticated multibulk length\r\n",
    );
    assert_closed_with(
        &srv,
        b"*1\r\n$16385\r\n",
        "-ERR Protocol error: unauthenticated bulk length\r\n",
    );
    assert_closed_with(
        &srv,
        b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$20000\r\n",
        "-ERR Protocol error: unauthenticated bulk length\r\n",
    );
    // At the limits: an ordinary NOAUTH.
    let ten: Vec<&[u8]> = std::iter::once(&b"DEL"[..])
        .chain(std::iter::repeat_n(&b"k"[..], 9))
        .collect();
    let mut s = srv.raw();
    s.write_all(&cmd(&ten)).unwrap();
    assert_eq!(read_reply(&mut s), b"-NOAUTH Authentication required.\r\n");
    let big = vec![b'x'; 16384];
    s.write_all(&cmd(&[b"ECHO", &big])).unwrap();
    assert_eq!(read_reply(&mut s), b"-NOAUTH Authentication required.\r\n");
    // AUTH lifts them, even for the next request in the same packet.
    let eleven: Vec<&[u8]> = std::iter::once(&b"DEL"[..])
        .chain(std::iter::repeat_n(&b"k"[..], 10))
        .collect();
    let mut bytes = cmd(&[b"AUTH", b"pw"]);
    bytes.extend(cmd(&eleven));
    bytes.extend(cmd(&[b"SET", b"k", &vec![b'v'; 20000]]));
    s.write_all(&bytes).unwrap();
    assert_eq!(read_reply(&mut s), b"+OK\r\n");
    assert_eq!(read_reply(&mut s), b":0\r\n");
    assert_eq!(read_reply(&mut s), b"+OK\r\n");
    drop(srv);

    // Without a password nobody is "unauthenticated".
    let srv = TestServer::start();
    let mut s = srv.raw();
    s.write_all(&cmd(&eleven)).unwrap();
    assert_eq!(read_reply(&mut s), b":0\r\n");
}

/// Sends `n` pipelined GETs of `key` without reading; returns what the
/// server sent before closing (panics if it never closes).
fn pipelined_gets_until_closed(srv: &TestServer, n: usize) -> Vec<u8> {
    let mut s = srv.raw();
    let mut bytes = Vec::new();
    for _ in 0..n {
        bytes.extend(cmd(&[b"GET", b"big"]));
    }
    s.write_all(&bytes).unwrap();
    read_to_eof(&mut s, Duration::from_secs(10))
}

#[test]
fn output_buffer_limit_disconnects_normal_clients() {
    let srv = TestServer::start();
    let mut c = srv.raw();
    let value = vec![b'v'; 200 * 1024];
    c.write_all(&cmd(&[b"SET", b"big", &value])).unwrap();
    assert_eq!(read_reply(&mut c), b"+OK\r\n");

    // Default `normal 0 0 0`: no limit, all 50 replies (10 MB) arrive.
    let mut s = srv.raw();
    let mut bytes = Vec::new();
    for _ in 0..50 {
        bytes.extend(cmd(&[b"GET", b"big"]));
    }
    s.write_all(&bytes).unwrap();
    for _ in 0..50 {
        assert_eq!(read_reply(&mut s).len(), value.len() + 11);
    }

    // Hard limit: disconnected, the unread replies dropped.
    assert_eq!(
        calls(
            &mut c,
            &[
                "CONFIG",
                "SET",
                "client-output-buffer-limit",
                "normal 1mb 512kb 10"
            ]
        ),
        "+OK\r\n"
    );
    let got = pipelined_gets_until_closed(&srv, 50);
    assert!(got.len() < 1024 * 1024, "got {} bytes", got.len());
    assert!(
        srv.log()
            .contains("scheduled to be closed ASAP for overcoming of output buffer limits"),
        "{}",
        srv.log()
    );

    // Soft limit: tolerated for its seconds...
    assert_eq!(
        calls(
            &mut c,
            &[
                "CONFIG",
                "SET",
                "client-output-buffer-limit",
                "normal 0 100kb 60"
            ]
        ),
        "+OK\r\n"
    );
    let mut s = srv.raw();
    let three: Vec<u8> = (0..3).flat_map(|_| cmd(&[b"GET", b"big"])).collect();
    s.write_all(&three).unwrap();
    for _ in 0..3 {
        assert_eq!(read_reply(&mut s).len(), value.len() + 11);
    }
    // ...and not past them (0 s: the second reply over it is too many).
    assert_eq!(
        calls(
            &mut c,
            &[
                "CONFIG",
                "SET",
                "client-output-buffer-limit",
                "normal 0 100kb 0"
            ]
        ),
        "+OK\r\n"
    );
    let got = pipelined_gets_until_closed(&srv, 3);
    assert!(got.len() < 3 * value.len(), "got {} bytes", got.len());
    // The setting reads back like Redis's.
    assert_eq!(
        calls(&mut c, &["CONFIG", "GET", "client-output-buffer-limit"]),
        "*2\r\n$26\r\nclient-output-buffer-limit\r\n$72\r\nnormal 0 102400 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60\r\n"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn protected_mode_refusals_reach_the_audit_log() {
    let dir = temp_dir("exposure-audit");
    let log = dir.join("audit.log");
    let srv = TestServer::start_in(
        dir.clone(),
        &["--bind", "0.0.0.0", "--audit-log", log.to_str().unwrap()],
    );
    let mut s = connect_from(from_other(), srv.port);
    let got = read_to_eof(&mut s, Duration::from_secs(5));
    assert_eq!(String::from_utf8_lossy(&got), DENIED);
    let t = std::time::Instant::now();
    loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.contains("\"event\":\"connection_rejected\"")
            && text.contains("\"reason\":\"protected-mode\"")
            && text.contains("127.0.0.2:")
        {
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(10), "{text}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Before AUTH, replies are produced 16 KB at a time: a client that
/// pipelines without reading holds little server memory, and still gets
/// every reply once it reads.
#[test]
fn unauthenticated_pipelines_are_answered_in_small_batches() {
    let srv = TestServer::start_with(&["--requirepass", "pw"]);
    let mut s = srv.raw();
    const N: usize = 20_000;
    let mut w = s.try_clone().unwrap();
    let writer = std::thread::spawn(move || {
        let batch: Vec<u8> = b"*1\r\n$4\r\nPING\r\n".repeat(N);
        w.write_all(&batch).unwrap();
    });
    // Let the server fill the socket before anyone reads.
    std::thread::sleep(Duration::from_millis(300));
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let want = b"-NOAUTH Authentication required.\r\n";
    let mut got = 0usize;
    let mut buf = vec![0u8; 1 << 16];
    let mut pending = Vec::new();
    use std::io::Read;
    while got < N {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "closed after {got} replies");
        pending.extend_from_slice(&buf[..n]);
        while pending.len() >= want.len() {
            assert_eq!(&pending[..want.len()], want);
            pending.drain(..want.len());
            got += 1;
        }
    }
    writer.join().unwrap();
    assert_eq!(calls(&mut s, &["AUTH", "pw"]), "+OK\r\n");
}
