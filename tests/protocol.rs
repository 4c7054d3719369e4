//! The wire protocol, byte for byte over raw TCP: inline commands, every
//! protocol error (exact text, then the connection is closed), limits that
//! must cost nothing, pipelining, split requests, binary safety, RESP2 vs
//! RESP3 shapes. Expected bytes were checked against redis-server 7.0.15;
//! `same_bytes_as_real_redis` re-checks a set of them live when
//! `redis-server` is installed.
mod common;
use common::*;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;

use std::time::Duration;

/// Sends `req` and reads until EOF; panics if the server keeps the
/// connection open (read timeout) — protocol errors must close it.
fn until_eof(s: &mut TcpStream, req: &[u8]) -> Vec<u8> {
    s.write_all(req).unwrap();
    let mut out = Vec::new();
    let mut b = [0u8; 4096];
    loop {
        match s.read(&mut b) {
            Ok(0) => return out,
            Ok(n) => out.extend_from_slice(&b[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return out,
            Err(e) => panic!("no EOF ({e}); got {:?}", String::from_utf8_lossy(&out)),
        }
    }
}

/// Sends `req`, reads exactly `expected.len()` bytes, checks them and that
/// nothing more arrives within a short wait while the connection stays open.
fn exact_open(s: &mut TcpStream, req: &[u8], expected: &[u8]) {
    s.write_all(req).unwrap();
    let got = read_n(s, expected.len());
    assert_eq!(
        String::from_utf8_lossy(&got),
        String::from_utf8_lossy(expected),
        "request {:?}",
        String::from_utf8_lossy(req)
    );
    assert_eq!(call(s, &["PING"]), b"+PONG\r\n", "connection still usable");
}

#[test]
fn inline_commands() {
    let srv = TestServer::start();
    let mut s = srv.raw();
    exact_open(&mut s, b"PING\r\n", b"+PONG\r\n");
    exact_open(&mut s, b"PING\n", b"+PONG\r\n");
    exact_open(&mut s, b"\r\n\n  \r\nPING\r\n", b"+PONG\r\n");
    exact_open(
        &mut s,
        b"SET a \"hello world\"\r\nGET a\r\n",
        b"+OK\r\n$11\r\nhello world\r\n",
    );
    exact_open(&mut s, b"ECHO 'it\\'s'\r\n", b"$4\r\nit's\r\n");
    exact_open(&mut s, b"ECHO \"a\\x41\\n\\\"\"\r\n", b"$4\r\naA\n\"\r\n");
    exact_open(&mut s, b"  ECHO \t  x  \r\n", b"$1\r\nx\r\n");
    exact_open(&mut s, b"ECHO \"\"\n", b"$0\r\n\r\n");
    exact_open(&mut s, b"ping\r\n", b"+PONG\r\n");
    // Inline and multibulk mixed in one write.
    exact_open(
        &mut s,
        b"PING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\nPING x\n",
        b"+PONG\r\n$2\r\nhi\r\n$1\r\nx\r\n",
    );
    // Empty / negative multibulk counts are no-ops.
    exact_open(&mut s, b"*0\r\n*-1\r\n*-5\r\nPING\r\n", b"+PONG\r\n");
}

#[test]
fn protocol_errors_reply_then_close() {
    let srv = TestServer::start();
    let cases: &[(&[u8], &str)] = &[
        (b"*abc\r\n", "invalid multibulk length"),
        (b"*3000000000\r\n", "invalid multibulk length"),
        (b"*1\r\n$x\r\n", "invalid bulk length"),
        (b"*1\r\n$-1\r\n", "invalid bulk length"),
        (b"*1\r\nfoo\r\n", "expected '$', got 'f'"),
        (b"SET \"a\r\n", "unbalanced quotes in request"),
        (b"SET \"a\"b\r\n", "unbalanced quotes in request"),
        (b"ECHO 'x\r\n", "unbalanced quotes in request"),
        // Beyond the default proto-max-bulk-len (512mb).
        (b"*1\r\n$600000000\r\n", "invalid bulk length"),
    ];
    for (req, text) in cases {
        let mut s = srv.raw();
        // A good command first, in the same write: its reply comes first.
        let mut r = b"PING\r\n".to_vec();
        r.extend_from_slice(req);
        let got = until_eof(&mut s, &r);
        let want = format!("+PONG\r\n-ERR Protocol error: {}\r\n", text);
        assert_eq!(
            String::from_utf8_lossy(&got),
            want,
            "request {:?}",
            String::from_utf8_lossy(req)
        );
    }
    // A 70KB inline line without a newline.
    let mut s = srv.raw();
    let got = until_eof(&mut s, &vec![b'a'; 70 * 1024]);
    assert_eq!(
        String::from_utf8_lossy(&got),
        "-ERR Protocol error: too big inline request\r\n"
    );
    // A 70KB '*' count line.
    let mut s = srv.raw();
    let mut req = b"*".to_vec();
    req.extend(std::iter::repeat_n(b'1', 70 * 1024));
    let got = until_eof(&mut s, &req);
    assert_eq!(
        String::from_utf8_lossy(&got),
        "-ERR Protocol error: too big mbulk count string\r\n"
    );
    // The server is fine afterwards.
    let mut s = srv.raw();
    assert_eq!(calls(&mut s, &["PING"]), "+PONG\r\n");
}

#[test]
fn proto_max_bulk_len_flag() {
    let srv = TestServer::start_with(&["--proto-max-bulk-len", "1mb"]);
    let mut s = srv.raw();
    let got = until_eof(&mut s, b"*2\r\n$4\r\nECHO\r\n$1048577\r\n");
    assert_eq!(
        String::from_utf8_lossy(&got),
        "-ERR Protocol error: invalid bulk length\r\n"
    );
    let mut s = srv.raw();
    let v = "x".repeat(1 << 20);
    // "$1048576\r\n" + 1mb + "\r\n": exactly the limit is accepted.
    assert_eq!(call(&mut s, &["ECHO", &v]).len(), 10 + (1 << 20) + 2);
}

fn rss_bytes(pid: u32) -> u64 {
    let statm = std::fs::read_to_string(format!("/proc/{pid}/statm")).unwrap();
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

#[test]
fn huge_declared_lengths_cost_nothing() {
    let srv = TestServer::start();
    let before = rss_bytes(srv.pid());
    let mut held = Vec::new();
    for i in 0..8 {
        let mut s = srv.raw();
        if i % 2 == 0 {
            s.write_all(b"*2147483647\r\n$4\r\nECHO\r\n").unwrap();
        } else {
            s.write_all(b"*1\r\n$536870000\r\nabcdefgh").unwrap();
        }
        held.push(s);
    }
    // Let the server read and parse what was sent.
    std::thread::sleep(Duration::from_millis(300));
    let mut p = srv.raw();
    assert_eq!(calls(&mut p, &["PING"]), "+PONG\r\n");
    let after = rss_bytes(srv.pid());
    assert!(
        after < before + 32 * 1024 * 1024,
        "RSS grew from {} KB to {} KB for declared-but-unsent lengths",
        before / 1024,
        after / 1024
    );
    // The partial requests are still pending, not answered.
    for s in &mut held {
        s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
        let mut b = [0u8; 1];
        assert!(
            matches!(s.read(&mut b), Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::TimedOut)
        );
    }
}

#[test]
fn pipelining_10k_in_one_write() {
    let srv = TestServer::start();
    let mut s = srv.raw();
    let mut req = Vec::new();
    let mut want = Vec::new();
    for i in 0..10_000 {
        let v = format!("v{i}");
        req.extend_from_slice(&cmd(&[b"ECHO", v.as_bytes()]));
        want.extend_from_slice(format!("${}\r\n{}\r\n", v.len(), v).as_bytes());
    }
    let mut w = s.try_clone().unwrap();
    let t = std::thread::spawn(move || w.write_all(&req).unwrap());
    let got = read_n(&mut s, want.len());
    t.join().unwrap();
    assert!(got == want, "10k pipelined replies in order");
    // Mixed inline pipeline with SET/GET.
    let mut req = Vec::new();
    for i in 0..1000 {
        req.extend_from_slice(format!("SET k{i} {i}\r\nGET k{i}\r\n").as_bytes());
    }
    s.write_all(&req).unwrap();
    for i in 0..1000 {
        assert_eq!(read_reply(&mut s), b"+OK\r\n");
        let v = i.to_string();
        assert_eq!(
            read_reply(&mut s),
            format!("${}\r\n{}\r\n", v.len(), v).as_bytes()
        );
    }
    assert_eq!(calls(&mut s, &["DBSIZE"]), ":1000\r\n");
}

#[test]
fn request_split_at_every_byte() {
    let srv = TestServer::start();
    let mut s = srv.raw();
    s.set_nodelay(true).unwrap();
    let value: Vec<u8> = (0..100u8).map(|i| b'a' + i % 26).collect();
    let req = cmd(&[b"SET", b"split", &value]);
    for b in &req {
        s.write_all(&[*b]).unwrap();
        std::thread::sleep(Duration::from_micros(300));
    }
    assert_eq!(read_reply(&mut s), b"+OK\r\n");
    // Inline too, and a pipeline of two commands split byte by byte.
    for b in b"GET split\r\nPING\r\n" {
        s.write_all(&[*b]).unwrap();
        std::thread::sleep(Duration::from_micros(300));
    }
    let mut want = format!("${}\r\n", value.len()).into_bytes();
    want.extend_from_slice(&value);
    want.extend_from_slice(b"\r\n");
    assert_eq!(read_reply(&mut s), want);
    assert_eq!(read_reply(&mut s), b"+PONG\r\n");
    // Every split point of a multibulk request, in two writes.
    let req = cmd(&[b"ECHO", b"a\r\nb"]);
    for cut in 1..req.len() {
        s.write_all(&req[..cut]).unwrap();
        std::thread::sleep(Duration::from_millis(1));
        s.write_all(&req[cut..]).unwrap();
        assert_eq!(read_reply(&mut s), b"$4\r\na\r\nb\r\n", "cut at {cut}");
    }
}

#[test]
fn binary_safe_values() {
    let srv = TestServer::start();
    let mut s = srv.raw();
    let all: Vec<u8> = (0..=255u8).collect();
    let mut val = all.clone();
    val.extend_from_slice(b"\r\n$3\r\n*1\r\n\0");
    s.write_all(&cmd(&[b"SET", b"bin\0key\r\n", &val])).unwrap();
    assert_eq!(read_reply(&mut s), b"+OK\r\n");
    s.write_all(&cmd(&[b"GET", b"bin\0key\r\n"])).unwrap();
    let mut want = format!("${}\r\n", val.len()).into_bytes();
    want.extend_from_slice(&val);
    want.extend_from_slice(b"\r\n");
    assert_eq!(read_reply(&mut s), want);
    // Inline \xHH escapes reach the same key.
    s.write_all(b"GET \"bin\\x00key\\r\\n\"\r\n").unwrap();
    assert_eq!(read_reply(&mut s), want);
    // Empty key and value.
    s.write_all(&cmd(&[b"SET", b"", b""])).unwrap();
    assert_eq!(read_reply(&mut s), b"+OK\r\n");
    s.write_all(&cmd(&[b"GET", b""])).unwrap();
    assert_eq!(read_reply(&mut s), b"$0\r\n\r\n");
}

#[test]
fn unknown_command_and_arity_keep_connection_open() {
    let srv = TestServer::start();
    let mut s = srv.raw();
    exact_open(
        &mut s,
        b"foo a b\r\n",
        b"-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n",
    );
    exact_open(
        &mut s,
        b"*1\r\n$3\r\nfoo\r\n",
        b"-ERR unknown command 'foo', with args beginning with: \r\n",
    );
    exact_open(
        &mut s,
        b"GET\r\n",
        b"-ERR wrong number of arguments for 'get' command\r\n",
    );
    exact_open(
        &mut s,
        b"SET a\r\n",
        b"-ERR wrong number of arguments for 'set' command\r\n",
    );
    exact_open(
        &mut s,
        b"PING a b\r\n",
        b"-ERR wrong number of arguments for 'ping' command\r\n",
    );
    exact_open(
        &mut s,
        b"CLIENT\r\n",
        b"-ERR wrong number of arguments for 'client' command\r\n",
    );
    exact_open(
        &mut s,
        b"CLIENT ID x\r\n",
        b"-ERR wrong number of arguments for 'client|id' command\r\n",
    );
    exact_open(
        &mut s,
        b"CLIENT foo\r\n",
        b"-ERR unknown subcommand 'foo'. Try CLIENT HELP.\r\n",
    );
}

fn hello_map(proto: u8, id: &str) -> Vec<u8> {
    let head = if proto == 3 {
        "%7\r\n".to_string()
    } else {
        "*14\r\n".to_string()
    };
    format!(
        "{head}$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:{proto}\r\n$2\r\nid\r\n:{id}\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"
    )
    .into_bytes()
}

#[test]
fn resp2_then_resp3_shapes() {
    let srv = TestServer::start();
    let mut s = srv.raw();
    let id = calls(&mut s, &["CLIENT", "ID"]);
    let id = id.trim_start_matches(':').trim_end().to_string();
    // RESP2 shapes.
    assert_eq!(calls(&mut s, &["GET", "missing"]), "$-1\r\n");
    assert_eq!(calls(&mut s, &["CLIENT", "GETNAME"]), "$-1\r\n");
    assert!(calls(&mut s, &["CLIENT", "INFO"]).starts_with(&format!("${}", "")));
    assert_eq!(call(&mut s, &["HELLO"]), hello_map(2, &id));
    assert_eq!(call(&mut s, &["HELLO", "2"]), hello_map(2, &id));
    assert_eq!(
        calls(&mut s, &["HELLO", "4"]),
        "-NOPROTO unsupported protocol version\r\n"
    );
    assert_eq!(
        calls(&mut s, &["HELLO", "x"]),
        "-ERR Protocol version is not an integer or out of range\r\n"
    );
    assert_eq!(
        calls(&mut s, &["HELLO", "3", "foo"]),
        "-ERR Syntax error in HELLO option 'foo'\r\n"
    );
    // Still RESP2 after the failed HELLOs.
    assert_eq!(calls(&mut s, &["GET", "missing"]), "$-1\r\n");
    // RESP3.
    assert_eq!(call(&mut s, &["HELLO", "3"]), hello_map(3, &id));
    assert_eq!(calls(&mut s, &["GET", "missing"]), "_\r\n");
    assert_eq!(calls(&mut s, &["CLIENT", "GETNAME"]), "_\r\n");
    assert_eq!(
        calls(&mut s, &["HELLO", "4"]),
        "-NOPROTO unsupported protocol version\r\n"
    );
    let info = calls(&mut s, &["CLIENT", "INFO"]);
    let (head, body) = info.split_once("\r\n").unwrap();
    assert!(head.starts_with('='), "verbatim string: {info:?}");
    let len: usize = head[1..].parse().unwrap();
    assert_eq!(len, body.len() - 2);
    assert!(body.starts_with("txt:id="), "{body:?}");
    assert!(body.contains(" resp=3"), "{body:?}");
    assert!(body.ends_with("\n\r\n"));
    // HELLO without a version keeps RESP3.
    assert_eq!(call(&mut s, &["HELLO"]), hello_map(3, &id));
    // Same replies in both protocols for the simple types.
    assert_eq!(calls(&mut s, &["SET", "k", "v"]), "+OK\r\n");
    assert_eq!(calls(&mut s, &["GET", "k"]), "$1\r\nv\r\n");
    assert_eq!(calls(&mut s, &["DEL", "k", "x"]), ":1\r\n");
    assert_eq!(
        calls(&mut s, &["nope"]),
        "-ERR unknown command 'nope', with args beginning with: \r\n"
    );
    // Back to RESP2.
    assert_eq!(call(&mut s, &["HELLO", "2"]), hello_map(2, &id));
    assert_eq!(calls(&mut s, &["GET", "missing"]), "$-1\r\n");
    assert_eq!(
        calls(&mut s, &["HELLO", "3"]).len(),
        hello_map(3, &id).len()
    );
    assert_eq!(calls(&mut s, &["RESET"]), "+RESET\r\n");
    assert_eq!(
        calls(&mut s, &["GET", "missing"]),
        "$-1\r\n",
        "RESET goes back to RESP2"
    );
}

// ---- live comparison with the reference server ----

/// Sends `req` on a fresh connection, collects bytes until EOF or 300 ms
/// of silence; returns (bytes, closed).
fn exchange(port: u16, req: &[u8]) -> (Vec<u8>, bool) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(150)))
        .unwrap();
    s.write_all(req).unwrap();
    let mut out = Vec::new();
    let mut b = [0u8; 4096];
    loop {
        match s.read(&mut b) {
            Ok(0) => return (mask_hello_id(out), true),
            Ok(n) => out.extend_from_slice(&b[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return (mask_hello_id(out), true),
            Err(_) => return (mask_hello_id(out), false),
        }
    }
}

/// Client ids differ between the two servers: HELLO's `id` becomes `:N`.
fn mask_hello_id(out: Vec<u8>) -> Vec<u8> {
    let text = String::from_utf8_lossy(&out).into_owned();
    let mut res = String::new();
    let mut rest = text.as_str();
    while let Some(i) = rest.find("$2\r\nid\r\n:") {
        let (head, tail) = rest.split_at(i + 9);
        res.push_str(head);
        res.push('N');
        rest = &tail[tail.find('\r').unwrap_or(tail.len())..];
    }
    res.push_str(rest);
    res.into_bytes()
}

#[test]
fn same_bytes_as_real_redis() {
    let Some(real) = RedisRef::start() else {
        return;
    };
    let srv = TestServer::start();
    let cases: &[&[u8]] = &[
        b"PING\r\nPING hi\r\nECHO 'it\\'s'\r\nSET a \"hello world\"\r\nGET a\r\nDEL a a\r\nGET a\r\n",
        b"*abc\r\n",
        b"*1\r\n$x\r\n",
        b"*1\r\nfoo\r\n",
        b"*2\r\n$4\r\nECHO\r\n\r\n",
        b"SET \"a\r\n",
        b"PING\r\n*1\r\n$600000000\r\n",
        b"*0\r\n*-1\r\n\r\n\n*1\r\n$4\r\nPING\r\n",
        b"foo a b\r\nGET\r\nSET k\r\nECHO\r\n",
        b"SELECT 16\r\nSELECT -1\r\nSELECT x\r\nSELECT 1\r\nSET k v\r\nRESET\r\nGET k\r\n",
        b"HELLO 4\r\nHELLO x\r\nHELLO 3 foo\r\nHELLO 3 SETNAME \"a b\"\r\n",
        b"HELLO 3\r\nRESET\r\nGET x\r\n",
        b"QUIT\r\nPING\r\n",
        b"AUTH foo\r\nAUTH default foo\r\nAUTH bob foo\r\nAUTH a b c\r\n",
        b"CLIENT SETNAME \"a b\"\r\nCLIENT GETNAME\r\nCLIENT SETNAME ok\r\nCLIENT GETNAME\r\nCLIENT SETNAME \"\"\r\nCLIENT GETNAME\r\n",
        b"CLIENT KILL 1.2.3.4:5\r\nCLIENT KILL ID 99999\r\nCLIENT KILL ADDR 1.2.3.4:5\r\nCLIENT KILL ID x\r\nCLIENT KILL ID 1 SKIPME maybe\r\nCLIENT KILL foo bar\r\nCLIENT KILL USER bob\r\nCLIENT KILL ID 1 TYPE foo\r\n",
        b"CLIENT REPLY OFF\r\nPING\r\nCLIENT REPLY ON\r\nPING\r\nCLIENT REPLY SKIP\r\nPING\r\nPING\r\nCLIENT REPLY foo\r\n",
        b"CLIENT PAUSE x\r\nCLIENT PAUSE -1\r\nCLIENT PAUSE 10 foo\r\nCLIENT PAUSE 10 WRITE x\r\nCLIENT UNPAUSE\r\n",
        b"CLIENT LIST ID x\r\nCLIENT LIST ID -1\r\nCLIENT LIST TYPE foo\r\nCLIENT LIST foo\r\nCLIENT LIST ID 99999\r\n",
    ];
    let mut diffs = Vec::new();
    for req in cases {
        let a = exchange(real.port, req);
        let b = exchange(srv.port, req);
        if a != b {
            diffs.push(format!(
                "request {:?}\n  redis:   {:?} closed={}\n  flashdb: {:?} closed={}",
                String::from_utf8_lossy(req),
                String::from_utf8_lossy(&a.0),
                a.1,
                String::from_utf8_lossy(&b.0),
                b.1
            ));
        }
    }
    assert!(
        diffs.is_empty(),
        "differences from redis-server:\n{}",
        diffs.join("\n")
    );
}
