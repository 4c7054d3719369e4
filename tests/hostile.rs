//! Hostile clients against the real binary: garbage bytes, huge declared
//! lengths, a slow reader pipelining big GETs, more connections than
//! `maxclients`. In every case a normal client keeps working during the
//! attack (SET/GET/PING on its own connection) and after it (a fresh
//! connection), no handler panics, and the server's peak RSS (VmHWM) stays
//! under a generous bound: a resource bound, not a timing threshold.
//! Where Redis defines the answer (protocol errors, the maxclients
//! rejection), the bytes are compared with a live redis-server 7.0.
//!
//! Each test prints its bad-input cases and the peak RSS:
//! `cargo test -q --test hostile -- --nocapture --test-threads 1 2>&1 | grep -o 'hostile .*'`.
mod common;
#[path = "fuzz/mod.rs"]
mod fuzz;

use common::*;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The bound on the server's peak RSS under every attack.
const RSS_BOUND: u64 = 512 * 1024 * 1024;

/// Peak resident set size (VmHWM) of process `pid`, bytes.
fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/<pid>/status");
    kb * 1024
}

/// Waits until the peak RSS has not grown for a second (the server has
/// done what the attack makes it do), at most 20 s; returns it.
fn settled_peak_rss(pid: u32) -> u64 {
    let t = Instant::now();
    let mut last = peak_rss(pid);
    let mut since = Instant::now();
    while t.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(100));
        let now = peak_rss(pid);
        if now != last {
            last = now;
            since = Instant::now();
        } else if since.elapsed() >= Duration::from_secs(1) {
            break;
        }
    }
    last
}

fn mb(b: u64) -> String {
    format!("{:.1} MB", b as f64 / (1024.0 * 1024.0))
}

/// Once the server has settled: stops the probe (which worked all through
/// the attack), asserts the RSS bound and prints the figures.
fn report(test: &str, srv: &TestServer, probe: Probe, cases: &[String]) {
    let peak = settled_peak_rss(srv.pid());
    let rounds = probe.finish();
    eprintln!(
        "hostile {test}: the probe client completed {rounds} SET/GET/PING rounds during the attack"
    );
    eprintln!(
        "hostile {test}: {} bad-input cases, server peak RSS (VmHWM) {}",
        cases.len(),
        mb(peak)
    );
    for c in cases {
        eprintln!("hostile {test}:   case {c}");
    }
    assert!(
        peak < RSS_BOUND,
        "{test}: peak RSS {} over the {} bound",
        mb(peak),
        mb(RSS_BOUND)
    );
    let log = srv.log();
    assert!(
        !log.contains("panicked") && !log.contains("Internal error"),
        "{test}: the server panicked:\n{log}"
    );
    // A fresh connection is served after the attack.
    let mut s = srv.raw();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    assert_eq!(calls(&mut s, &["SET", "after", "1"]), "+OK\r\n");
    assert_eq!(calls(&mut s, &["GET", "after"]), "$1\r\n1\r\n");
    assert_eq!(calls(&mut s, &["PING"]), "+PONG\r\n");
}

/// A normal client working through the attack: SET, GET and PING rounds
/// on its own connection until stopped. A wrong reply, or none within
/// 20 s, fails the test.
struct Probe {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<u64>,
}

impl Probe {
    fn start(port: u16) -> Probe {
        let stop = Arc::new(AtomicBool::new(false));
        let s2 = stop.clone();
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        assert_eq!(calls(&mut s, &["PING"]), "+PONG\r\n");
        let handle = std::thread::spawn(move || {
            let mut rounds = 0u64;
            while !s2.load(Ordering::Relaxed) || rounds == 0 {
                let k = format!("probe:{}", rounds % 64);
                let v = format!("value-{rounds}");
                assert_eq!(calls(&mut s, &["SET", &k, &v]), "+OK\r\n");
                assert_eq!(
                    calls(&mut s, &["GET", &k]),
                    format!("${}\r\n{v}\r\n", v.len())
                );
                assert_eq!(calls(&mut s, &["PING"]), "+PONG\r\n");
                rounds += 1;
                std::thread::sleep(Duration::from_millis(5));
            }
            rounds
        });
        Probe { stop, handle }
    }

    /// Stops the probe; how many rounds it completed.
    fn finish(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        match self.handle.join() {
            Ok(n) => n,
            Err(p) => std::panic::resume_unwind(p),
        }
    }
}

/// Checks that `buf` is a sequence of whole RESP replies; returns how many.
fn whole_replies(buf: &[u8]) -> Result<usize, String> {
    fn line(buf: &[u8], at: usize) -> Result<(&[u8], usize), String> {
        let rest = &buf[at..];
        let i = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("truncated line")?;
        Ok((&rest[..i], at + i + 2))
    }
    fn value(buf: &[u8], at: usize) -> Result<usize, String> {
        let (l, next) = line(buf, at)?;
        let (t, rest) = l.split_first().ok_or("empty line")?;
        let num = || -> Result<i64, String> {
            std::str::from_utf8(rest)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or(format!("bad number {:?}", String::from_utf8_lossy(rest)))
        };
        match t {
            b'+' | b'-' | b':' | b'_' | b',' | b'#' | b'(' => Ok(next),
            b'$' | b'=' | b'!' => {
                let n = num()?;
                if n < 0 {
                    return Ok(next);
                }
                let end = next + n as usize;
                if buf.len() < end + 2 || &buf[end..end + 2] != b"\r\n" {
                    return Err("bad bulk".into());
                }
                Ok(end + 2)
            }
            b'*' | b'~' | b'>' | b'%' => {
                let n = num()?.max(0) as usize * if *t == b'%' { 2 } else { 1 };
                let mut at = next;
                for _ in 0..n {
                    at = value(buf, at)?;
                }
                Ok(at)
            }
            other => Err(format!("reply type byte {other:#x}")),
        }
    }
    let mut at = 0;
    let mut n = 0;
    while at < buf.len() {
        at = value(buf, at)?;
        n += 1;
    }
    Ok(n)
}

/// Sends `input` on a new connection in writes of `chunk` bytes while a
/// second thread reads the replies; returns them and whether the server
/// closed the connection (else it went quiet for 1.5 s after the input).
fn talk(port: u16, input: &[u8], chunk: usize, half_close: bool) -> (Vec<u8>, bool) {
    let mut w = TcpStream::connect(("127.0.0.1", port)).unwrap();
    w.set_write_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut r = w.try_clone().unwrap();
    r.set_read_timeout(Some(Duration::from_millis(250)))
        .unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let done2 = done.clone();
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        let mut b = vec![0u8; 65536];
        let mut quiet_since: Option<Instant> = None;
        loop {
            match r.read(&mut b) {
                Ok(0) => return (out, true),
                Ok(n) => {
                    out.extend_from_slice(&b[..n]);
                    quiet_since = None;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::TimedOut => {
                    if done2.load(Ordering::SeqCst) {
                        let q = *quiet_since.get_or_insert_with(Instant::now);
                        if q.elapsed() >= Duration::from_millis(1500) {
                            return (out, false);
                        }
                    }
                }
                Err(_) => return (out, true),
            }
        }
    });
    for piece in input.chunks(chunk.max(1)) {
        if w.write_all(piece).is_err() {
            break; // the server closed on a protocol error
        }
    }
    if half_close {
        let _ = w.shutdown(std::net::Shutdown::Write);
    }
    done.store(true, Ordering::SeqCst);
    reader.join().unwrap()
}

// ---------------------------------------------------------------- garbage

#[test]
fn garbage_bytes_clients() {
    let srv = TestServer::start();
    let probe = Probe::start(srv.port);
    let mut rng = fuzz::Rng::new(0xbad_0001);
    type Case = (&'static str, Vec<u8>, usize, bool);
    let mut cases: Vec<Case> = Vec::new();
    cases.push((
        "random binary, 64 KB in one write",
        rng.bytes(65536),
        65536,
        false,
    ));
    cases.push((
        "random binary, 2 KB a byte at a time",
        rng.bytes(2048),
        1,
        false,
    ));
    let printable: Vec<u8> = (0..32 * 1024)
        .map(|_| {
            if rng.one_in(20) {
                b'\n'
            } else {
                *rng.pick(b" \"'\\abcdefgxyzGETSETPING*$0123456789-\r")
            }
        })
        .collect();
    cases.push(("random printable lines", printable, 1000, false));
    let mut frames = Vec::new();
    for _ in 0..300 {
        let mut f = fuzz::parser::random_request(&mut rng);
        if rng.one_in(2) {
            fuzz::mutate_bytes(&mut rng, &mut f, b"", &[b"*", b"$", b"\r\n", b"-1"], 4096);
        }
        frames.extend(f);
    }
    cases.push(("mutated RESP frames", frames, 777, false));
    cases.push(("NUL bytes", vec![0u8; 16 * 1024], 4096, false));
    let mut crlf = b"\r\n".repeat(50_000);
    crlf.extend_from_slice(b"PING\r\n");
    cases.push(("100 KB of empty lines, then PING", crlf, 8192, false));
    cases.push((
        "high bytes as command names",
        b"\xff\xfe\xfd GET k\r\n\x80\x81\r\n".repeat(100),
        64,
        false,
    ));
    cases.push((
        "half a request, then EOF",
        b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100\r\nabc".to_vec(),
        7,
        true,
    ));
    cases.push((
        "garbage after bulk data",
        b"*1\r\n$4\r\nPINGXY".repeat(200),
        100,
        false,
    ));
    cases.push(("nested multibulk", b"*1\r\n".repeat(1000), 4000, false));
    cases.push((
        "RESP3 reply types sent as requests",
        b"%1\r\n+a\r\n:1\r\n>2\r\n~1\r\n#t\r\n,1.5\r\n(1\r\n_\r\n=3\r\ntxt\r\n".repeat(50),
        50,
        false,
    ));

    let port = srv.port;
    let handles: Vec<_> = cases
        .iter()
        .cloned()
        .map(|(name, input, chunk, half)| {
            std::thread::spawn(move || {
                let (out, closed) = talk(port, &input, chunk, half);
                if let Err(e) = whole_replies(&out) {
                    panic!(
                        "{name}: malformed reply stream ({e}): {:?}",
                        String::from_utf8_lossy(&out[..out.len().min(500)])
                    );
                }
                (name, out, closed)
            })
        })
        .collect();
    // Connections that open and close at once, meanwhile.
    for _ in 0..200 {
        drop(TcpStream::connect(("127.0.0.1", port)).unwrap());
    }
    let mut names: Vec<String> = Vec::new();
    for h in handles {
        let (name, out, closed) = h.join().unwrap();
        let text = String::from_utf8_lossy(&out);
        match name {
            "100 KB of empty lines, then PING" => {
                assert_eq!(text, "+PONG\r\n", "{name}");
                assert!(!closed, "{name}");
            }
            "nested multibulk" => {
                assert_eq!(text, "-ERR Protocol error: expected '$', got '*'\r\n");
                assert!(closed, "{name}");
            }
            "half a request, then EOF" => {
                assert_eq!(text, "", "{name}");
                assert!(closed, "{name}");
            }
            "high bytes as command names" => {
                assert!(text.starts_with("-ERR unknown command"), "{name}: {text}");
                assert!(!closed, "{name}");
            }
            _ => {}
        }
        names.push(format!(
            "{name}: {} reply bytes, closed={closed}",
            out.len()
        ));
    }
    names.push("200 connections opened and closed at once".into());
    report("garbage", &srv, probe, &names);
}

// ------------------------------------------------------------ huge lengths

/// Sends `req` on a fresh connection and collects the reply bytes until
/// EOF or 300 ms of silence; returns (bytes, closed).
fn exchange(port: u16, req: &[u8]) -> (Vec<u8>, bool) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let _ = s.write_all(req);
    let mut out = Vec::new();
    let mut b = [0u8; 4096];
    loop {
        match s.read(&mut b) {
            Ok(0) => return (out, true),
            Ok(n) => out.extend_from_slice(&b[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return (out, true),
            Err(_) => return (out, false),
        }
    }
}

/// Requests declaring huge (or invalid) lengths, each followed by a PING
/// where the request is complete enough for one to be read.
const HUGE: &[&[u8]] = &[
    b"*2147483647\r\n",
    b"*2147483647\r\n$4\r\nPING\r\n",
    b"*2147483648\r\n",
    b"*4294967296\r\n",
    b"*9223372036854775807\r\n",
    b"*9223372036854775808\r\n",
    b"*99999999999999999999999999\r\n",
    b"*-2147483649\r\nPING\r\n",
    b"*-9223372036854775808\r\nPING\r\n",
    b"*1\r\n$2147483647\r\n",
    b"*1\r\n$2147483648\r\n",
    b"*1\r\n$4294967295\r\n",
    b"*1\r\n$9223372036854775807\r\n",
    b"*1\r\n$-2147483648\r\n",
    b"*1\r\n$536870912\r\nabc",
    b"*1\r\n$536870913\r\n",
    b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2147483647\r\n",
    b"*1\r\n$0000000004\r\nPING\r\n",
    b"*01\r\n$4\r\nPING\r\n",
    b"$2147483647\r\nPING\r\n",
];

#[test]
fn huge_declared_lengths_get_redis_answers() {
    let Some(real) = RedisRef::start() else {
        return;
    };
    let srv = TestServer::start();
    let probe = Probe::start(srv.port);
    let mut diffs = Vec::new();
    let mut names = Vec::new();
    // Each case on its own connections, all at once (a waiting case costs
    // the silence timeout).
    let (theirs, ours) = (real.port, srv.port);
    let results: Vec<_> = HUGE
        .iter()
        .map(|req| std::thread::spawn(move || (exchange(theirs, req), exchange(ours, req))))
        .collect();
    for (req, h) in HUGE.iter().zip(results) {
        let (want, got) = h.join().unwrap();
        let shown = String::from_utf8_lossy(req).replace("\r\n", "\\r\\n");
        if want != got {
            diffs.push(format!(
                "{shown}\n  redis:   {:?} closed={}\n  flashdb: {:?} closed={}",
                String::from_utf8_lossy(&want.0),
                want.1,
                String::from_utf8_lossy(&got.0),
                got.1
            ));
        }
        names.push(format!(
            "{shown} -> {:?}{}",
            String::from_utf8_lossy(&got.0),
            if got.1 { " (closed)" } else { "" }
        ));
    }
    assert!(
        diffs.is_empty(),
        "differences from redis-server:\n{}",
        diffs.join("\n")
    );
    report("huge-lengths-vs-redis", &srv, probe, &names);
}

#[test]
fn huge_declared_lengths_cost_only_the_bytes_sent() {
    // A raised proto-max-bulk-len lets 2^31 and 2^32 byte bulks be
    // announced; a low query buffer limit closes whoever streams past it.
    let srv = TestServer::start_with(&[
        "--proto-max-bulk-len",
        "8gb",
        "--client-query-buffer-limit",
        "16mb",
    ]);
    let probe = Probe::start(srv.port);
    let mut names = Vec::new();
    let mut held = Vec::new();
    // 30 connections announcing INT_MAX arguments or a 512 MB bulk, with
    // 64 KB of data each, left open.
    for i in 0..30 {
        let mut s = srv.raw();
        let mut req = if i % 2 == 0 {
            b"*2147483647\r\n$4\r\nECHO\r\n$65536\r\n".to_vec()
        } else {
            b"*1\r\n$536870912\r\n".to_vec()
        };
        req.extend(std::iter::repeat_n(b'x', 65536));
        s.write_all(&req).unwrap();
        held.push(s);
    }
    names.push("30 connections: *2147483647 or $536870912 announced, 64 KB sent, left open".into());
    // 10 connections announcing 2^31 and 2^32 - 1 byte bulks, 1 MB sent each.
    for i in 0..10 {
        let mut s = srv.raw();
        let len = if i % 2 == 0 {
            "2147483648"
        } else {
            "4294967295"
        };
        let mut req = format!("*2\r\n$4\r\nECHO\r\n${len}\r\n").into_bytes();
        req.extend(std::iter::repeat_n(b'y', 1 << 20));
        s.write_all(&req).unwrap();
        held.push(s);
    }
    names.push(
        "10 connections: $2147483648 or $4294967295 announced (limit raised), 1 MB sent".into(),
    );
    // One streams past client-query-buffer-limit: closed, like Redis does.
    let mut s = srv.raw();
    s.write_all(b"*2\r\n$4\r\nECHO\r\n$2147483647\r\n").unwrap();
    let chunk = vec![b'z'; 1 << 20];
    let mut sent = 0;
    while sent < 64 << 20 {
        if s.write_all(&chunk).is_err() {
            break;
        }
        sent += chunk.len();
    }
    let mut b = [0u8; 16];
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let closed = sent < 64 << 20
        || matches!(s.read(&mut b), Ok(0))
        || matches!(s.read(&mut b), Err(e) if e.kind() == ErrorKind::ConnectionReset);
    assert!(
        closed,
        "a client past client-query-buffer-limit was not closed"
    );
    assert!(
        srv.log().contains("max query buffer length"),
        "{}",
        srv.log()
    );
    names.push(format!(
        "$2147483647 announced, streamed until closed at client-query-buffer-limit 16mb ({} MB sent)",
        sent >> 20
    ));
    // The held requests are still waiting, not answered.
    for s in &mut held {
        s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
        assert!(
            matches!(s.read(&mut b), Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::TimedOut)
        );
    }
    report("huge-lengths", &srv, probe, &names);
    drop(held);
}

// ------------------------------------------------------------ slow reader

/// A value of `n` bytes.
fn big_value(n: usize) -> String {
    (0..n).map(|i| (b'a' + (i % 26) as u8) as char).collect()
}

#[test]
fn slow_readers_pipelining_big_gets() {
    let srv = TestServer::start();
    let mut c = srv.raw();
    let value = big_value(1 << 20);
    assert_eq!(calls(&mut c, &["SET", "big", &value]), "+OK\r\n");
    drop(c);
    let probe = Probe::start(srv.port);
    // 8 clients each send up to 20,000 `GET big` (20 GB of replies) and
    // never read: they send until the server stops reading them.
    let mut readers = Vec::new();
    let mut sent_total = 0;
    for _ in 0..8 {
        let mut s = srv.raw();
        s.set_nonblocking(true).unwrap();
        let req = b"GET big\r\n".repeat(20_000);
        let mut sent = 0;
        let mut stuck_since: Option<Instant> = None;
        while sent < req.len() {
            match s.write(&req[sent..]) {
                Ok(n) => {
                    sent += n;
                    stuck_since = None;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    let t = *stuck_since.get_or_insert_with(Instant::now);
                    if t.elapsed() >= Duration::from_millis(500) {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(e) => panic!("{e}"),
            }
        }
        sent_total += sent;
        readers.push(s);
    }
    eprintln!(
        "hostile slow-reader: {} GETs of a 1 MB value sent unread by 8 clients",
        sent_total / 9
    );
    report(
        "slow-reader",
        &srv,
        probe,
        &["8 clients pipelining GET of a 1 MB value, never reading".into()],
    );
    drop(readers);
}

#[test]
fn pipelined_big_replies_all_arrive() {
    // The other side of the slow reader's bound: a pipeline whose replies
    // exceed one output batch is answered in full, with no more input.
    let srv = TestServer::start();
    let mut s = srv.raw();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let value = big_value(300_000);
    assert_eq!(calls(&mut s, &["SET", "big", &value]), "+OK\r\n");
    let mut req = b"GET big\r\n".repeat(40);
    req.extend_from_slice(&cmd(&[b"SET", b"after", b"1"]));
    req.extend_from_slice(b"GET after\r\nPING\r\n");
    s.write_all(&req).unwrap();
    let want = format!("${}\r\n{value}\r\n", value.len());
    for i in 0..40 {
        let r = read_reply(&mut s);
        assert!(r == want.as_bytes(), "reply {i}: {} bytes", r.len());
    }
    assert_eq!(read_reply(&mut s), b"+OK\r\n");
    assert_eq!(read_reply(&mut s), b"$1\r\n1\r\n");
    assert_eq!(read_reply(&mut s), b"+PONG\r\n");
}

// ------------------------------------------------------------- maxclients

/// Opens `n` connections; returns those admitted (answering PING) and the
/// rejection texts of the others.
fn connect_many(port: u16, n: usize) -> (Vec<TcpStream>, Vec<String>) {
    let conns: Vec<TcpStream> = (0..n)
        .map(|_| TcpStream::connect(("127.0.0.1", port)).unwrap())
        .collect();
    let mut ok = Vec::new();
    let mut rejected = Vec::new();
    for mut s in conns {
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let _ = s.write_all(b"PING\r\n");
        let mut got = Vec::new();
        let mut b = [0u8; 64];
        while !got.ends_with(b"\r\n") {
            match s.read(&mut b) {
                Ok(0) | Err(_) => break,
                Ok(k) => got.extend_from_slice(&b[..k]),
            }
        }
        if got == b"+PONG\r\n" {
            ok.push(s);
        } else {
            rejected.push(String::from_utf8_lossy(&got).into_owned());
        }
    }
    (ok, rejected)
}

/// INFO's connected_clients, read on `s`.
fn connected(s: &mut TcpStream) -> usize {
    let info = String::from_utf8_lossy(&call(s, &["INFO", "clients"])).into_owned();
    info.lines()
        .find_map(|l| l.strip_prefix("connected_clients:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

fn wait_connected(s: &mut TcpStream, n: usize) {
    let t = Instant::now();
    while connected(s) != n {
        assert!(t.elapsed() < Duration::from_secs(20), "never {n} clients");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn maxclients_plus_ten() {
    const MAX: usize = 50;
    let flags = ["--maxclients", "50"];
    let srv = TestServer::start_with(&flags);
    let mut watch = srv.raw();
    watch
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    // The start-up check's connection is gone.
    wait_connected(&mut watch, 1);
    let probe = Probe::start(srv.port);
    wait_connected(&mut watch, 2);
    // `watch` and the probe hold 2 of the 50 slots.
    let (mut ok, rejected) = connect_many(srv.port, MAX + 10 - 2);
    assert_eq!(ok.len(), MAX - 2, "admitted");
    assert_eq!(rejected.len(), 10, "rejected: {rejected:?}");
    let text = "-ERR max number of clients reached\r\n";
    assert!(rejected.iter().all(|r| r == text), "{rejected:?}");
    wait_connected(&mut watch, MAX);
    // Slots come back when clients leave.
    ok.truncate(ok.len() - 20);
    wait_connected(&mut watch, MAX - 20);
    let (again, rejected2) = connect_many(srv.port, 21);
    assert_eq!((again.len(), rejected2.len()), (20, 1), "{rejected2:?}");

    // redis-server 7.0 answers the same, at the same count.
    if let Some(real) = RedisRef::start_with(&flags) {
        let mut w = TcpStream::connect(("127.0.0.1", real.port)).unwrap();
        w.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        wait_connected(&mut w, 1);
        let (r_ok, r_rejected) = connect_many(real.port, MAX + 10 - 1);
        assert_eq!((r_ok.len(), r_rejected.len()), (MAX - 1, 10));
        assert!(r_rejected.iter().all(|r| r == text), "{r_rejected:?}");
    }
    drop((ok, again, watch));
    report(
        "maxclients",
        &srv,
        probe,
        &[
            "maxclients 50: 58 connections next to the probe and one watcher, 10 rejected like Redis".into(),
            "20 leave, 21 arrive: 20 admitted, 1 rejected".into(),
        ],
    );
}
