//! Observability through the real binary: SLOWLOG (entries, truncation,
//! redaction, EXEC), MONITOR (raw socket and `redis-cli monitor`, quoting
//! of binary arguments, what is hidden, the monitor's own rules, a monitor
//! that stops reading), the latency monitor with a slow command, INFO
//! commandstats / latencystats and LATENCY HISTOGRAM. Where the output is
//! deterministic once times, ids and ports are normalized, it is compared
//! byte for byte with redis-server 7.0.

mod common;
use common::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

// ------------------------------------------------------------ RESP values

/// A parsed reply, enough to normalize one and write it back.
#[derive(Debug, Clone, PartialEq)]
enum V {
    /// `+`, `-`, `:`, `_`, `,`, `#`, `(` lines.
    Line(u8, Vec<u8>),
    /// `$`, `=`, `!` (None = `$-1`).
    Blob(u8, Option<Vec<u8>>),
    /// `*`, `~`, `>`, `%` (a map holds 2n items), None = `*-1`.
    Agg(u8, Option<Vec<V>>),
}

fn parse(b: &[u8]) -> (V, usize) {
    let end = b.windows(2).position(|w| w == b"\r\n").unwrap();
    let (t, head) = (b[0], &b[1..end]);
    let mut at = end + 2;
    let n = || std::str::from_utf8(head).unwrap().parse::<i64>().unwrap();
    let v = match t {
        b'$' | b'=' | b'!' => {
            if n() < 0 {
                V::Blob(t, None)
            } else {
                let len = n() as usize;
                let body = b[at..at + len].to_vec();
                at += len + 2;
                V::Blob(t, Some(body))
            }
        }
        b'*' | b'~' | b'>' | b'%' => {
            if n() < 0 {
                V::Agg(t, None)
            } else {
                let count = n() as usize * if t == b'%' { 2 } else { 1 };
                let mut items = Vec::new();
                for _ in 0..count {
                    let (v, used) = parse(&b[at..]);
                    items.push(v);
                    at += used;
                }
                V::Agg(t, Some(items))
            }
        }
        _ => V::Line(t, head.to_vec()),
    };
    (v, at)
}

fn encode(v: &V, out: &mut Vec<u8>) {
    match v {
        V::Line(t, s) => {
            out.push(*t);
            out.extend_from_slice(s);
            out.extend_from_slice(b"\r\n");
        }
        V::Blob(t, None) => out.extend_from_slice(format!("{}-1\r\n", *t as char).as_bytes()),
        V::Blob(t, Some(b)) => {
            out.extend_from_slice(format!("{}{}\r\n", *t as char, b.len()).as_bytes());
            out.extend_from_slice(b);
            out.extend_from_slice(b"\r\n");
        }
        V::Agg(t, None) => out.extend_from_slice(format!("{}-1\r\n", *t as char).as_bytes()),
        V::Agg(t, Some(items)) => {
            let n = items.len() / if *t == b'%' { 2 } else { 1 };
            out.extend_from_slice(format!("{}{}\r\n", *t as char, n).as_bytes());
            for i in items {
                encode(i, out);
            }
        }
    }
}

fn int(v: &V) -> i64 {
    match v {
        V::Line(b':', s) => std::str::from_utf8(s).unwrap().parse().unwrap(),
        other => panic!("not an integer: {other:?}"),
    }
}

fn items(v: &V) -> &Vec<V> {
    match v {
        V::Agg(_, Some(i)) => i,
        other => panic!("not an aggregate: {other:?}"),
    }
}

/// Sends `args` (raw bytes) and returns the reply parsed.
fn callv(s: &mut TcpStream, args: &[&[u8]]) -> V {
    s.write_all(&cmd(args)).unwrap();
    parse(&read_reply(s)).0
}

/// SLOWLOG GET normalized: ids relative to the newest, times and
/// durations 0, the client address `ADDR`.
fn normalize_slowlog(v: &V) -> Vec<u8> {
    let mut v = v.clone();
    if let V::Agg(_, Some(entries)) = &mut v {
        let top = entries.first().map(|e| int(&items(e)[0])).unwrap_or(0);
        for e in entries.iter_mut() {
            if let V::Agg(_, Some(f)) = e {
                let id = int(&f[0]);
                f[0] = V::Line(b':', (top - id).to_string().into_bytes());
                f[1] = V::Line(b':', b"0".to_vec());
                f[2] = V::Line(b':', b"0".to_vec());
                f[4] = V::Blob(b'$', Some(b"ADDR".to_vec()));
            }
        }
    }
    let mut out = Vec::new();
    encode(&v, &mut out);
    out
}

// ------------------------------------------------------------ SLOWLOG

fn slowlog_script() -> Vec<Vec<Vec<u8>>> {
    let many: Vec<Vec<u8>> = std::iter::once(b"RPUSH".to_vec())
        .chain(std::iter::once(b"l".to_vec()))
        .chain((0..40).map(|i| i.to_string().into_bytes()))
        .collect();
    let s = |v: &[&str]| v.iter().map(|x| x.as_bytes().to_vec()).collect::<Vec<_>>();
    vec![
        s(&["CONFIG", "SET", "slowlog-log-slower-than", "0"]),
        s(&["SLOWLOG", "RESET"]),
        s(&["CLIENT", "SETNAME", "obs"]),
        s(&["SET", "k", "v"]),
        many,
        vec![b"SET".to_vec(), b"big".to_vec(), vec![b'x'; 200]],
        vec![b"SET".to_vec(), vec![b'y'; 128], b"exactly-128".to_vec()],
        vec![b"SET".to_vec(), b"bin".to_vec(), b"a\x00b\xff".to_vec()],
        s(&["AUTH", "pw"]),
        s(&["AUTH", "user", "pw"]),
        s(&["AUTH", "a", "b", "c"]),
        s(&["HELLO", "2", "AUTH", "user", "pw", "SETNAME", "n"]),
        s(&[
            "CONFIG",
            "SET",
            "requirepass",
            "secret",
            "maxclients",
            "1000",
        ]),
        s(&["CONFIG", "SET", "requirepass", ""]),
        s(&["MULTI"]),
        s(&["SET", "a", "1"]),
        s(&["GET", "a"]),
        s(&["EXEC"]),
        s(&["GET"]),
        s(&["NOSUCH", "x"]),
        s(&["SLOWLOG", "LEN"]),
        s(&["SLOWLOG", "GET", "2"]),
        s(&["SLOWLOG", "GET"]),
        s(&["SLOWLOG", "GET", "-1"]),
        s(&["SLOWLOG", "GET", "0"]),
        s(&["CONFIG", "SET", "slowlog-log-slower-than", "10000"]),
    ]
}

/// Runs the slow log script; the SLOWLOG GET replies normalized.
fn run_slowlog(s: &mut TcpStream, cases: &[&str]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for _ in cases {
        for args in slowlog_script() {
            let a: Vec<&[u8]> = args.iter().map(|x| x.as_slice()).collect();
            let v = callv(s, &a);
            if args[0] == b"SLOWLOG" && args[1] == b"GET" {
                out.push(normalize_slowlog(&v));
            } else if args[0] == b"SLOWLOG" {
                let mut b = Vec::new();
                encode(&v, &mut b);
                out.push(b);
            }
        }
    }
    out
}

#[test]
fn slowlog_matches_redis_byte_for_byte() {
    let one = ["script"];
    differential_with_redis(&one, |s, c| {
        let r = run_slowlog(s, c);
        // One case, one comparison: join the replies.
        vec![r.concat()]
    });
}

#[test]
fn slowlog_against_expectations() {
    let srv = TestServer::start();
    let mut s = srv.raw();
    let out = run_slowlog(&mut s, &["script"]);
    assert_eq!(out[0], b"+OK\r\n");
    // SLOWLOG LEN after: the reset, the name, 4 SETs, RPUSH, 3 AUTH,
    // HELLO, 2 CONFIG SET, MULTI, SET and GET from EXEC (not EXEC itself).
    assert_eq!(out[1], b":16\r\n");
    let all = String::from_utf8_lossy(&out[4]);
    assert!(all.contains("$23\r\n... (11 more arguments)\r\n"), "{all}");
    assert!(all.contains(&format!("{}... (72 more bytes)", "x".repeat(128))));
    assert!(all.contains(&format!("{}\r\n$11\r\nexactly-128", "y".repeat(128))));
    assert!(all.contains("*2\r\n$4\r\nAUTH\r\n$10\r\n(redacted)\r\n"));
    assert!(all.contains("*4\r\n$4\r\nAUTH\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"));
    assert!(all.contains("$11\r\nrequirepass\r\n$10\r\n(redacted)\r\n$10\r\nmaxclients"));
    assert!(!all.contains("secret") && !all.contains("$2\r\npw"));
    assert!(!all.contains("EXEC") && !all.contains("NOSUCH"));
    assert!(all.contains("$3\r\nobs\r\n"));
    assert_eq!(out[5], b"*0\r\n");
}

#[test]
fn slowlog_ids_length_and_threshold() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let _: () = q(&mut c, &["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
    let _: () = q(&mut c, &["CONFIG", "SET", "slowlog-max-len", "0"]);
    for _ in 0..5 {
        let _: String = q(&mut c, &["PING"]);
    }
    // Nothing kept, but every command used up an id (as in Redis 7.0).
    let _: () = q(&mut c, &["CONFIG", "SET", "slowlog-max-len", "3"]);
    let _: String = q(&mut c, &["PING"]);
    let v: Vec<Vec<redis::Value>> = q(&mut c, &["SLOWLOG", "GET", "-1"]);
    assert_eq!(v.len(), 2);
    assert_eq!(v[0][0], redis::Value::Int(8));
    for _ in 0..10 {
        let _: String = q(&mut c, &["PING"]);
    }
    assert_eq!(q::<i64>(&mut c, &["SLOWLOG", "LEN"]), 3);
    assert_eq!(
        q::<Vec<redis::Value>>(&mut c, &["SLOWLOG", "GET", "1"]).len(),
        1
    );
    // A threshold no command reaches, and -1 (off): nothing more is added.
    let _: () = q(&mut c, &["SLOWLOG", "RESET"]);
    let _: () = q(&mut c, &["CONFIG", "SET", "slowlog-log-slower-than", "-1"]);
    let _: String = q(&mut c, &["PING"]);
    let _: () = q(
        &mut c,
        &["CONFIG", "SET", "slowlog-log-slower-than", "100000000"],
    );
    let _: String = q(&mut c, &["PING"]);
    // Only the RESET itself (logged while the threshold was still 0).
    let v: Vec<Vec<redis::Value>> = q(&mut c, &["SLOWLOG", "GET"]);
    assert_eq!(v.len(), 1);
    assert_eq!(
        v[0][3],
        redis::Value::Array(vec![
            redis::Value::BulkString(b"SLOWLOG".to_vec()),
            redis::Value::BulkString(b"RESET".to_vec())
        ])
    );
}

// ------------------------------------------------------------ replies

fn deterministic_cases() -> Vec<Vec<String>> {
    split_cases(&[
        "SLOWLOG GET x",
        "SLOWLOG GET -2",
        "SLOWLOG GET 1 2",
        "SLOWLOG get 1 2",
        "SLOWLOG LEN x",
        "SLOWLOG RESET x",
        "SLOWLOG",
        "SLOWLOG NOPE",
        "SLOWLOG HELP",
        "SLOWLOG HELP x",
        "LATENCY HELP",
        "LATENCY NOPE",
        "LATENCY",
        "LATENCY GRAPH",
        "LATENCY GRAPH nosuch",
        "LATENCY HISTORY nosuch",
        "LATENCY HISTORY",
        "LATENCY RESET nosuch other",
        "LATENCY RESET",
        "LATENCY LATEST",
        "LATENCY LATEST x",
        "LATENCY DOCTOR",
        "LATENCY HISTOGRAM nosuch nosuch|x config|nosuch",
        "MONITOR x",
        "MULTI",
        "MONITOR",
        "EXEC",
        "COMMAND INFO monitor",
        "COMMAND INFO slowlog|get",
        "COMMAND INFO slowlog|len",
        "COMMAND INFO slowlog|reset",
        "COMMAND INFO slowlog|help",
        "COMMAND INFO latency|doctor",
        "COMMAND INFO latency|graph",
        "COMMAND INFO latency|histogram",
        "COMMAND INFO latency|history",
        "COMMAND INFO latency|latest",
        "COMMAND INFO latency|reset",
        "COMMAND INFO latency|help",
        "CONFIG GET slowlog-log-slower-than",
        "CONFIG GET slowlog-max-len",
        "CONFIG GET latency-monitor-threshold",
        "CONFIG GET latency-tracking",
        "CONFIG GET latency-tracking-info-percentiles",
        "CONFIG SET latency-tracking-info-percentiles 101",
        "CONFIG SET latency-tracking-info-percentiles abc",
        "CONFIG SET latency-tracking maybe",
    ])
}

#[test]
fn replies_and_errors_match_redis() {
    differential_with_redis(&deterministic_cases(), raw_replies);
}

// ------------------------------------------------------------ MONITOR

/// A monitor line with its time and address normalized:
/// `+T [db C] "SET" ...`, the address named by its label in `names`.
fn normalize_line(line: &str, names: &[(&str, &str)]) -> String {
    let Some(rest) = line.strip_prefix('+') else {
        return line.to_string();
    };
    let Some((time, rest)) = rest.split_once(" [") else {
        return line.to_string();
    };
    assert!(
        time.len() > 7 && time.as_bytes()[time.len() - 7] == b'.',
        "{line}"
    );
    let (inside, rest) = rest.split_once(']').unwrap();
    let (db, addr) = inside.split_once(' ').unwrap();
    let label = names.iter().find(|n| n.0 == addr).map_or("?", |n| n.1);
    format!("+T [{db} {label}]{rest}")
}

/// Reads CRLF lines from `s` until one contains `marker` (or it times out).
fn read_lines_until(s: &mut TcpStream, marker: &str) -> Vec<String> {
    let mut lines = Vec::new();
    count_lines_until(s, marker, |l| {
        lines.push(String::from_utf8_lossy(l).into_owned())
    });
    lines
}

/// Calls `each` for every CRLF line read from `s`, up to and including the
/// first that contains `marker`. Fast enough to keep up with the server.
fn count_lines_until(s: &mut TcpStream, marker: &str, mut each: impl FnMut(&[u8])) {
    let mut buf = Vec::new();
    let mut b = vec![0u8; 256 * 1024];
    let mut n_lines = 0;
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(30) {
        let n = s.read(&mut b).expect("monitor read");
        assert!(n > 0, "monitor closed after {n_lines} lines");
        // Only the new bytes (and the one before) can complete a line.
        let from = buf.len().saturating_sub(1);
        buf.extend_from_slice(&b[..n]);
        let mut start = 0;
        let mut i = from;
        while let Some(p) = buf[i..].iter().position(|&c| c == b'\n') {
            let end = i + p;
            if end > start && buf[end - 1] == b'\r' {
                let line = &buf[start..end - 1];
                n_lines += 1;
                // (Markers are in short lines: skip scanning the big ones.)
                let done =
                    line.len() < 256 && line.windows(marker.len()).any(|w| w == marker.as_bytes());
                each(line);
                if done {
                    return;
                }
                start = end + 1;
            }
            i = end + 1;
        }
        buf.drain(..start);
    }
    panic!("no {marker:?} after {n_lines} lines");
}

/// Whatever arrives on `s` within `ms`.
fn drain(s: &mut TcpStream, ms: u64) -> Vec<u8> {
    s.set_read_timeout(Some(Duration::from_millis(ms))).unwrap();
    let mut out = Vec::new();
    let mut b = [0u8; 4096];
    while let Ok(n) = s.read(&mut b) {
        if n == 0 {
            break;
        }
        out.extend_from_slice(&b[..n]);
    }
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    out
}

/// The MONITOR transcript of one scenario against the server on `port`.
fn monitor_transcript(port: u16) -> Vec<String> {
    let connect = || {
        let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s
    };
    let (mut m, mut c, mut b) = (connect(), connect(), connect());
    let addr = |s: &TcpStream| s.local_addr().unwrap().to_string();
    let (m_addr, c_addr, b_addr) = (addr(&m), addr(&c), addr(&b));
    let names = [
        (m_addr.as_str(), "M"),
        (c_addr.as_str(), "C"),
        (b_addr.as_str(), "B"),
    ];
    let mut out = Vec::new();
    out.push(calls(&mut m, &["MONITOR"]));
    let bin: &[u8] = b"v\x00\x01\"\\\n\r\t\x07\x08\x7f\xff \xc3\xa9";
    let script: Vec<Vec<&[u8]>> = vec![
        vec![b"SET", b"k", bin],
        vec![b"SELECT", b"2"],
        vec![b"GET", b"k"],
        vec![b"AUTH", b"pw"],
        vec![b"AUTH", b"user", b"pw"],
        vec![b"AUTH", b"a", b"b", b"c"],
        vec![b"HELLO", b"2", b"AUTH", b"u", b"p", b"SETNAME", b"n"],
        vec![b"HELLO", b"9", b"AUTH", b"u", b"p"],
        vec![b"CONFIG", b"GET", b"maxclients"],
        vec![b"CLIENT", b"LIST"],
        vec![b"CLIENT", b"ID"],
        vec![b"SLOWLOG", b"LEN"],
        vec![b"NOSUCH"],
        vec![b"GET"],
        vec![b"MULTI"],
        vec![b"SET", b"a", b"1"],
        vec![b"INCR", b"a"],
        vec![b"EXEC"],
        vec![b"SELECT", b"0"],
        vec![b"ECHO", b"marker-1"],
    ];
    for args in &script {
        c.write_all(&cmd(args)).unwrap();
        read_reply(&mut c);
    }
    for l in read_lines_until(&mut m, "marker-1") {
        out.push(normalize_line(&l, &names));
    }
    // A blocking command shows when it blocks, not when it is served.
    b.write_all(&cmd(&[b"BLPOP", b"list", b"5"])).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(calls(&mut c, &["RPUSH", "list", "x"]), ":1\r\n");
    read_reply(&mut b);
    assert_eq!(calls(&mut c, &["ECHO", "marker-2"]), "$8\r\nmarker-2\r\n");
    for l in read_lines_until(&mut m, "marker-2") {
        out.push(normalize_line(&l, &names));
    }
    // The monitor's own commands: the reply, then its line; nothing that
    // touches the keyspace; a second MONITOR is ignored; RESET ends it.
    let mut own = |args: &[&str]| {
        let a: Vec<&[u8]> = args.iter().map(|x| x.as_bytes()).collect();
        m.write_all(&cmd(&a)).unwrap();
        let got = String::from_utf8_lossy(&drain(&mut m, 300)).into_owned();
        got.split("\r\n")
            .filter(|l| !l.is_empty())
            .map(|l| normalize_line(l, &names))
            .collect::<Vec<_>>()
            .join("|")
    };
    out.push(own(&["PING"]));
    out.push(own(&["ECHO", "hi"]));
    out.push(own(&["GET", "k"]));
    out.push(own(&["SET", "k", "v"]));
    out.push(own(&["MONITOR"]));
    out.push(own(&["RESET"]));
    assert_eq!(calls(&mut c, &["SET", "after", "reset"]), "+OK\r\n");
    out.push(String::from_utf8_lossy(&drain(&mut m, 300)).into_owned());
    out
}

#[test]
fn monitor_matches_redis() {
    let Some(r) = RedisRef::start() else {
        return;
    };
    let srv = TestServer::start();
    let want = monitor_transcript(r.port);
    let got = monitor_transcript(srv.port);
    assert_eq!(got, want);
    // And the transcript says what it should (in case both were wrong).
    assert_eq!(got[0], "+OK\r\n");
    assert_eq!(
        got[1],
        r#"+T [0 C] "SET" "k" "v\x00\x01\"\\\n\r\t\a\b\x7f\xff \xc3\xa9""#
    );
    assert!(got.contains(&r#"+T [2 C] "AUTH" "(redacted)" "(redacted)""#.to_string()));
    assert!(!got
        .iter()
        .any(|l| l.contains("CONFIG") || l.contains("NOSUCH")));
    assert!(got.contains(&"+PONG|+T [0 M] \"PING\"".to_string()));
    assert!(got.contains(&"-ERR Replica can't interact with the keyspace".to_string()));
    assert_eq!(got.last().unwrap(), "");
}

#[test]
fn redis_cli_monitor_sees_other_clients() {
    let srv = TestServer::start();
    let mut child = Command::new("redis-cli")
        .args(["-p", &srv.port.to_string(), "monitor"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-cli (apt-get install redis-tools)");
    let pid = child.id();
    let out = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // redis-cli prints OK once MONITOR is accepted.
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(10)).unwrap(),
        "OK",
        "redis-cli monitor did not start"
    );
    let mut c = srv.raw();
    c.write_all(&cmd(&[b"SET", b"bin\x00key", b"tab\there \"q\""]))
        .unwrap();
    read_reply(&mut c);
    assert_eq!(calls(&mut c, &["GET", "nothing"]), "$-1\r\n");
    let mut lines = Vec::new();
    while lines.len() < 2 {
        lines.push(rx.recv_timeout(Duration::from_secs(10)).unwrap());
    }
    let _ = Command::new("kill").arg(pid.to_string()).status();
    let _ = child.wait();
    let _ = reader.join();
    let addr = c.local_addr().unwrap().to_string();
    assert!(
        lines[0].ends_with(&format!(
            " [0 {addr}] \"SET\" \"bin\\x00key\" \"tab\\there \\\"q\\\"\""
        )),
        "{lines:?}"
    );
    assert!(lines[1].ends_with(&format!(" [0 {addr}] \"GET\" \"nothing\"")));
    // The monitor is gone with its process.
    let t = Instant::now();
    while calls(&mut c, &["CLIENT", "LIST"]).contains("cmd=monitor") {
        assert!(t.elapsed() < Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_monitor_that_stops_reading_is_dropped_and_slows_nobody() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let _: () = q(
        &mut c,
        &[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "normal 4mb 1mb 60",
        ],
    );
    let mut stalled = srv.raw();
    assert_eq!(calls(&mut stalled, &["MONITOR"]), "+OK\r\n");
    // A second monitor that keeps reading gets everything. (Subscribed as
    // well, it falls under the `pubsub` limit, as in Redis: 32 MB, so a
    // reader in a debug build that falls behind is not dropped too.)
    let mut healthy = srv.raw();
    assert_eq!(calls(&mut healthy, &["MONITOR"]), "+OK\r\n");
    healthy.write_all(&cmd(&[b"SUBSCRIBE", b"x"])).unwrap();
    let healthy_reader = std::thread::spawn(move || {
        let mut sets = 0;
        count_lines_until(&mut healthy, "\"done\"", |l| {
            sets += l.starts_with(b"+") as usize
                * l.windows(5).take(64).any(|w| w == b"\"SET\"") as usize;
        });
        (sets, healthy)
    });
    let mut w = srv.raw();
    let big = vec![b'x'; 32 * 1024];
    let t = Instant::now();
    // 32 MB of monitor lines: far beyond the limit and the socket buffers.
    // Each SET is answered at once (a hang would trip the read timeout).
    for i in 0..1024u32 {
        w.write_all(&cmd(&[b"SET", format!("k{}", i % 16).as_bytes(), &big]))
            .unwrap();
        assert_eq!(read_reply(&mut w), b"+OK\r\n");
    }
    assert_eq!(calls(&mut w, &["ECHO", "done"]), "$4\r\ndone\r\n");
    let elapsed = t.elapsed();
    assert!(elapsed < Duration::from_secs(20), "{elapsed:?}");
    let (sets, _healthy) = healthy_reader.join().unwrap();
    assert_eq!(sets, 1024);
    assert!(
        srv.log()
            .contains("closed for overcoming of output buffer limits (normal"),
        "{}",
        srv.log()
    );
    assert_eq!(
        srv.log().matches("closed for overcoming").count(),
        1,
        "{}",
        srv.log()
    );
    let list = calls(&mut w, &["CLIENT", "LIST"]);
    assert_eq!(list.matches(" flags=OP ").count(), 1, "{list}");
    assert!(!list.contains(" flags=O "), "{list}");
    // The stalled one is closed: reading drains what was sent, then EOF.
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
    assert_eq!(calls(&mut w, &["PING"]), "+PONG\r\n");
}

#[test]
fn client_list_flags() {
    let srv = TestServer::start();
    let mut m = srv.raw();
    assert_eq!(calls(&mut m, &["MONITOR"]), "+OK\r\n");
    let mut x = srv.raw();
    assert_eq!(calls(&mut x, &["MULTI"]), "+OK\r\n");
    assert_eq!(calls(&mut x, &["SET", "a", "1"]), "+QUEUED\r\n");
    assert_eq!(calls(&mut x, &["GET", "a"]), "+QUEUED\r\n");
    let mut c = srv.raw();
    let list = calls(&mut c, &["CLIENT", "LIST"]);
    let line = |addr: &TcpStream| {
        let a = format!("addr={} ", addr.local_addr().unwrap());
        list.lines().find(|l| l.contains(&a)).unwrap().to_string()
    };
    assert!(line(&m).contains(" flags=O ") && line(&m).contains(" cmd=monitor "));
    assert!(line(&x).contains(" flags=x ") && line(&x).contains(" multi=2 "));
    assert!(line(&c).contains(" flags=N ") && line(&c).contains(" multi=-1 "));
    assert!(calls(&mut x, &["EXEC"]).starts_with("*2\r\n"));
    assert!(
        calls(&mut c, &["CLIENT", "LIST"]).contains(" flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 ")
    );
}

// ------------------------------------------------------------ LATENCY

#[test]
fn latency_monitor_records_a_slow_command() {
    let srv = TestServer::start();
    let mut c = srv.client();
    // Enough keys that scanning them all takes well over a millisecond.
    for chunk in 0..50 {
        let mut mset = redis::cmd("MSET");
        for i in 0..2000 {
            mset.arg(format!("key:{chunk}:{i}")).arg("v");
        }
        let _: () = mset.query(&mut c).unwrap();
    }
    let mut s = srv.raw();
    assert_eq!(
        calls(&mut s, &["LATENCY", "DOCTOR"]),
        "$288\r\nI'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n\r\n"
    );
    let _: () = q(&mut c, &["CONFIG", "SET", "latency-monitor-threshold", "1"]);
    let _: i64 = q(&mut c, &["LATENCY", "RESET"]);
    let mut slowest = 0;
    for _ in 0..3 {
        let t = Instant::now();
        let keys: Vec<String> = q(&mut c, &["KEYS", "nomatch*"]);
        assert!(keys.is_empty());
        slowest = slowest.max(t.elapsed().as_millis());
    }
    assert!(slowest >= 1, "KEYS was too fast to test with");
    let latest: Vec<(String, i64, i64, i64)> = q(&mut c, &["LATENCY", "LATEST"]);
    // (Other commands may be slow too on a busy machine: no upper bounds.)
    let cmd = latest
        .iter()
        .find(|e| e.0 == "command")
        .expect("command event");
    assert!(cmd.2 >= 1 && cmd.3 >= cmd.2, "{latest:?}");
    let now = q::<Vec<String>>(&mut c, &["TIME"])[0]
        .parse::<i64>()
        .unwrap();
    assert!((now - cmd.1).abs() <= 5);
    let hist: Vec<(i64, i64)> = q(&mut c, &["LATENCY", "HISTORY", "command"]);
    assert!(!hist.is_empty());
    assert!(hist.iter().all(|h| h.1 >= 1 && (now - h.0).abs() <= 60));
    let graph: String = q(&mut c, &["LATENCY", "GRAPH", "command"]);
    assert!(graph.starts_with("command - high "), "{graph}");
    assert!(graph.contains(&format!("{}\n", "-".repeat(80))));
    let doctor: String = q(&mut c, &["LATENCY", "DOCTOR"]);
    assert!(
        doctor.starts_with("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n"),
        "{doctor}"
    );
    assert!(doctor.contains(". command: "), "{doctor}");
    assert!(doctor.contains("- Check your Slow Log to understand what are the commands you are running which are too slow to execute."));
    // In RESP3 the graph and the report are verbatim strings.
    let _ = call(&mut s, &["HELLO", "3"]);
    assert!(calls(&mut s, &["LATENCY", "GRAPH", "command"]).contains("\r\ntxt:command - high "));
    let before: Vec<redis::Value> = q(&mut c, &["LATENCY", "LATEST"]);
    assert_eq!(
        q::<i64>(&mut c, &["LATENCY", "RESET", "COMMAND", "nosuch"]),
        1
    );
    let after: Vec<redis::Value> = q(&mut c, &["LATENCY", "LATEST"]);
    assert!(after.len() < before.len());
    // No new events with the monitor off; RESET drops them all.
    let _: () = q(&mut c, &["CONFIG", "SET", "latency-monitor-threshold", "0"]);
    let _: i64 = q(&mut c, &["LATENCY", "RESET"]);
    assert_eq!(calls(&mut s, &["LATENCY", "LATEST"]), "*0\r\n");
    // On, with nothing observed (THP in use would add its advice).
    let _: () = q(
        &mut c,
        &["CONFIG", "SET", "latency-monitor-threshold", "100000"],
    );
    let doctor: String = q(&mut c, &["LATENCY", "DOCTOR"]);
    assert!(
        doctor == "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n"
            || doctor.starts_with("\nI have a few advices for you:\n\n- I detected a non zero amount of anonymous huge pages"),
        "{doctor}"
    );
}

// ------------------------------------------------------------ INFO

fn info_lines(c: &mut redis::Connection, section: &str) -> Vec<String> {
    let s: String = q(c, &["INFO", section]);
    s.lines().map(|l| l.to_string()).collect()
}

#[test]
fn info_commandstats_and_latencystats_formats() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let _: () = q(&mut c, &["CONFIG", "RESETSTAT"]);
    for i in 0..3 {
        let _: () = q(&mut c, &["SET", "k", &i.to_string()]);
    }
    let _ = qerr(&mut c, &["SET", "k"]); // rejected: arity
    let _: () = q(&mut c, &["HSET", "h", "f", "v"]);
    let _ = qerr(&mut c, &["GET", "h"]); // failed: WRONGTYPE
    let stats = info_lines(&mut c, "commandstats");
    assert_eq!(stats[0], "# Commandstats");
    let set = stats
        .iter()
        .find(|l| l.starts_with("cmdstat_set:"))
        .unwrap();
    let f: Vec<&str> = set["cmdstat_set:".len()..].split(',').collect();
    assert_eq!(f[0], "calls=3");
    assert!(f[1].starts_with("usec="));
    let per = f[2].strip_prefix("usec_per_call=").unwrap();
    assert_eq!(per.split('.').nth(1).unwrap().len(), 2, "{set}");
    assert_eq!(&f[3..], ["rejected_calls=1", "failed_calls=0"]);
    let get = stats
        .iter()
        .find(|l| l.starts_with("cmdstat_get:"))
        .unwrap();
    assert!(get.ends_with(",rejected_calls=0,failed_calls=1"), "{get}");
    assert!(stats
        .iter()
        .any(|l| l.starts_with("cmdstat_config|resetstat:")));

    let lat = info_lines(&mut c, "latencystats");
    assert_eq!(lat[0], "# Latencystats");
    let set = lat
        .iter()
        .find(|l| l.starts_with("latency_percentiles_usec_set:"))
        .unwrap();
    let f: Vec<&str> = set.split(':').nth(1).unwrap().split(',').collect();
    assert_eq!(f.len(), 3);
    for (field, name) in f.iter().zip(["p50=", "p99=", "p99.9="]) {
        let v = field.strip_prefix(name).unwrap_or_else(|| panic!("{set}"));
        assert_eq!(v.split('.').nth(1).unwrap().len(), 3, "{set}");
    }
    // The failed GET is in the histogram; the rejected SET is not.
    let h: Vec<redis::Value> = q(&mut c, &["LATENCY", "HISTOGRAM", "set", "get"]);
    assert_eq!(h.len(), 4);
    let _: () = q(
        &mut c,
        &[
            "CONFIG",
            "SET",
            "latency-tracking-info-percentiles",
            "0 12.5 100",
        ],
    );
    let lat = info_lines(&mut c, "latencystats");
    let set = lat
        .iter()
        .find(|l| l.starts_with("latency_percentiles_usec_set:"))
        .unwrap();
    let names: Vec<&str> = set
        .split(':')
        .nth(1)
        .unwrap()
        .split(',')
        .map(|f| f.split('=').next().unwrap())
        .collect();
    assert_eq!(names, ["p0", "p12.5", "p100"]);
    let _: () = q(&mut c, &["CONFIG", "SET", "latency-tracking", "no"]);
    assert_eq!(info_lines(&mut c, "latencystats"), ["# Latencystats"]);
    let _: () = q(&mut c, &["SET", "untracked", "1"]);
    let _: () = q(&mut c, &["CONFIG", "SET", "latency-tracking", "yes"]);
    let h: (String, (String, i64)) = {
        let v: Vec<redis::Value> = q(&mut c, &["LATENCY", "HISTOGRAM", "set"]);
        let name: String = redis::from_redis_value(&v[0]).unwrap();
        let d: Vec<redis::Value> = redis::from_redis_value(&v[1]).unwrap();
        (
            name,
            (
                redis::from_redis_value(&d[0]).unwrap(),
                redis::from_redis_value(&d[1]).unwrap(),
            ),
        )
    };
    assert_eq!(h, ("set".to_string(), ("calls".to_string(), 3)));
    // RESETSTAT drops every histogram (then records itself).
    let _: () = q(&mut c, &["CONFIG", "RESETSTAT"]);
    let lat = info_lines(&mut c, "latencystats");
    assert_eq!(lat.len(), 2, "{lat:?}");
    assert!(lat[1].starts_with("latency_percentiles_usec_config|resetstat:p0="));
    // Not in the default INFO, but in INFO all / everything.
    assert!(!info_lines(&mut c, "default").contains(&"# Latencystats".to_string()));
    assert!(info_lines(&mut c, "everything").contains(&"# Latencystats".to_string()));
}

#[test]
fn latency_histogram_shape() {
    let srv = TestServer::start();
    let mut s = srv.raw();
    assert_eq!(calls(&mut s, &["CONFIG", "RESETSTAT"]), "+OK\r\n");
    for i in 0..5 {
        assert_eq!(calls(&mut s, &["SET", "k", &i.to_string()]), "+OK\r\n");
    }
    assert_eq!(calls(&mut s, &["CONFIG", "GET", "nothing"]), "*0\r\n");
    let v = parse(&call(&mut s, &["LATENCY", "HISTOGRAM", "SET", "config"])).0;
    let top = items(&v);
    // RESP2: a flat array of name, details, ...; a container stands for
    // its subcommands.
    assert_eq!(top.len(), 6);
    assert_eq!(top[0], V::Blob(b'$', Some(b"set".to_vec())));
    assert_eq!(top[2], V::Blob(b'$', Some(b"config|get".to_vec())));
    assert_eq!(top[4], V::Blob(b'$', Some(b"config|resetstat".to_vec())));
    let d = items(&top[1]);
    assert_eq!(d[0], V::Blob(b'$', Some(b"calls".to_vec())));
    assert_eq!(int(&d[1]), 5);
    assert_eq!(d[2], V::Blob(b'$', Some(b"histogram_usec".to_vec())));
    let steps = items(&d[3]);
    assert!(!steps.is_empty() && steps.len().is_multiple_of(2));
    // Upper bounds from Redis's log iteration (1024 ns << k, rounded to
    // the histogram's buckets, in µs); cumulative counts growing to 5.
    let bounds = [
        1, 2, 4, 8, 16, 33, 66, 132, 264, 528, 1056, 2113, 4227, 8454, 16908, 33816, 67633, 135266,
        270532, 541065, 1073741,
    ];
    let mut prev = 0;
    for pair in steps.chunks(2) {
        assert!(bounds.contains(&int(&pair[0])), "{steps:?}");
        assert!(int(&pair[1]) > prev);
        prev = int(&pair[1]);
    }
    assert_eq!(prev, 5);
    // RESP3: maps all the way down.
    let _ = call(&mut s, &["HELLO", "3"]);
    let r = call(&mut s, &["LATENCY", "HISTOGRAM", "set"]);
    assert!(
        r.starts_with(b"%1\r\n$3\r\nset\r\n%2\r\n$5\r\ncalls\r\n:5\r\n$14\r\nhistogram_usec\r\n%"),
        "{}",
        String::from_utf8_lossy(&r)
    );
    assert_eq!(calls(&mut s, &["LATENCY", "HISTOGRAM", "nosuch"]), "%0\r\n");
    // Without arguments: every command with data, subcommands by full name.
    let all = calls(&mut s, &["LATENCY", "HISTOGRAM"]);
    for name in [
        "$3\r\nset\r\n",
        "$10\r\nconfig|get\r\n",
        "$16\r\nconfig|resetstat\r\n",
        "$5\r\nhello\r\n",
    ] {
        assert!(all.contains(name), "{all}");
    }
}
