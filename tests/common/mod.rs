//! Test harness: start the real `flashdb` binary on a free loopback port
//! with a temporary data dir, talk to it (redis crate, raw bytes,
//! redis-cli), stop it by its PID.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

pub struct TestServer {
    pub child: Child,
    pub port: u16,
    pub dir: PathBuf,
}

/// A fresh, empty temporary directory.
pub fn temp_dir(tag: &str) -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let d = std::env::temp_dir().join(format!(
        "flashdb-{}-{}-{}-{}",
        tag,
        std::process::id(),
        n,
        nanos
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_flashdb")
}

impl TestServer {
    pub fn start() -> TestServer {
        Self::start_with(&[])
    }

    /// Starts the server with extra arguments (a config path first if any,
    /// then `--directive value` flags). Retries on a port collision.
    pub fn start_with(extra: &[&str]) -> TestServer {
        let dir = temp_dir("srv");
        Self::start_in(dir, extra)
    }

    /// Starts the server on an existing data dir (restart tests).
    pub fn start_in(dir: PathBuf, extra: &[&str]) -> TestServer {
        for _ in 0..5 {
            if let Some(s) = Self::launch(&dir, extra) {
                return s;
            }
        }
        panic!(
            "flashdb did not start; log:\n{}",
            std::fs::read_to_string(dir.join("server.log")).unwrap_or_default()
        );
    }

    /// Starts the server with the HTTP API on a free port as well; returns
    /// it with that port once both listeners answer.
    pub fn start_with_http(extra: &[&str]) -> (TestServer, u16) {
        let (srv, ports) = Self::start_with_ports(1, |p| {
            let mut args: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
            args.extend(["--http-port".to_string(), p[0].to_string()]);
            args
        });
        // The HTTP listener starts with the RESP one.
        let t = Instant::now();
        while TcpStream::connect(("127.0.0.1", ports[0])).is_err() {
            assert!(t.elapsed() < Duration::from_secs(5), "no HTTP listener");
            std::thread::sleep(Duration::from_millis(20));
        }
        (srv, ports[0])
    }

    /// Starts the server with `n` more free ports in its arguments (HTTP,
    /// TLS ...): `args` builds them from the ports. A collision on any
    /// port (another test's connection took it meanwhile) is retried with
    /// fresh ports.
    pub fn start_with_ports(
        n: usize,
        args: impl Fn(&[u16]) -> Vec<String>,
    ) -> (TestServer, Vec<u16>) {
        let dir = temp_dir("srv");
        for _ in 0..5 {
            let ports: Vec<u16> = (0..n).map(|_| free_port()).collect();
            let a = args(&ports);
            let a: Vec<&str> = a.iter().map(|s| s.as_str()).collect();
            if let Some(srv) = Self::launch(&dir, &a) {
                return (srv, ports);
            }
        }
        panic!(
            "flashdb did not start; log:\n{}",
            std::fs::read_to_string(dir.join("server.log")).unwrap_or_default()
        );
    }

    /// One start on a fresh RESP port: None if it did not get ready (the
    /// process is stopped; its log stays in `dir`).
    fn launch(dir: &Path, extra: &[&str]) -> Option<TestServer> {
        let port = free_port();
        let log = std::fs::File::create(dir.join("server.log")).unwrap();
        let mut cmd = Command::new(binary());
        // A config file path must come first, like redis-server.
        let (conf, flags): (Vec<&str>, Vec<&str>) = match extra.first() {
            Some(f) if !f.starts_with("--") => (vec![f], extra[1..].to_vec()),
            _ => (vec![], extra.to_vec()),
        };
        // FLASHDB_TEST_ARGS lets `make test` run suites again under
        // another configuration (e.g. `--io-model threads`).
        let env_args = std::env::var("FLASHDB_TEST_ARGS").unwrap_or_default();
        cmd.args(&conf)
            .args([
                "--port",
                &port.to_string(),
                "--dir",
                dir.to_str().unwrap(),
                "--http-port",
                "0",
            ])
            .args(env_args.split_whitespace())
            .args(&flags)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        let child = cmd.spawn().expect("start flashdb");
        let mut s = TestServer {
            child,
            port,
            dir: dir.to_path_buf(),
        };
        if s.wait_ready(Duration::from_secs(10)) {
            return Some(s);
        }
        let _ = s.child.kill();
        let _ = s.child.wait();
        // Keep the directory from the Drop that would delete it (a retry
        // uses it again).
        s.dir = temp_dir("retry");
        None
    }

    fn wait_ready(&mut self, limit: Duration) -> bool {
        let t = Instant::now();
        while t.elapsed() < limit {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if let Ok(mut c) = TcpStream::connect(("127.0.0.1", self.port)) {
                let _ = c.set_read_timeout(Some(Duration::from_secs(2)));
                if c.write_all(b"*1\r\n$4\r\nPING\r\n").is_ok() {
                    // +PONG, or -NOAUTH when started with a password.
                    let mut b = [0u8; 7];
                    // (-NOAUTH comes before -LOADING, so the log says when
                    // recovery is over.)
                    if c.read_exact(&mut b).is_ok()
                        && (&b == b"+PONG\r\n"
                            || (&b == b"-NOAUTH"
                                && self.log().contains("Ready to accept connections")))
                    {
                        return true;
                    }
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// A `redis` crate connection.
    pub fn client(&self) -> redis::Connection {
        redis::Client::open(self.url())
            .unwrap()
            .get_connection()
            .unwrap()
    }

    /// A raw TCP connection with a read timeout.
    pub fn raw(&self) -> TcpStream {
        let s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s
    }

    /// Sends `bytes` on a new connection and returns exactly `n` reply bytes.
    pub fn raw_exchange(&self, bytes: &[u8], n: usize) -> Vec<u8> {
        let mut s = self.raw();
        s.write_all(bytes).unwrap();
        read_n(&mut s, n)
    }

    /// Runs the real `redis-cli` against this server; returns stdout.
    pub fn cli(&self, args: &[&str]) -> String {
        let out = Command::new("redis-cli")
            .args(["-p", &self.port.to_string()])
            .args(args)
            .output()
            .expect("redis-cli (apt-get install redis-tools)");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM (by PID) and waits for the exit status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        self.wait_exit(Duration::from_secs(10))
            .expect("server did not exit after SIGTERM")
    }

    pub fn wait_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let t = Instant::now();
        while t.elapsed() < limit {
            if let Ok(Some(st)) = self.child.try_wait() {
                return Some(st);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    pub fn data_dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Reads exactly `n` bytes (panics on timeout, showing what arrived).
pub fn read_n<S: Read>(s: &mut S, n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    let mut got = 0;
    while got < n {
        match s.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) => panic!(
                "read: {e}; got so far {:?}",
                String::from_utf8_lossy(&buf[..got])
            ),
        }
    }
    buf.truncate(got);
    buf
}

/// Reads one complete RESP2/RESP3 reply and returns its raw bytes (from a
/// socket, or any other stream such as a TLS session).
pub fn read_reply<S: Read>(s: &mut S) -> Vec<u8> {
    let mut out = Vec::new();
    read_value(s, &mut out);
    out
}

fn read_line<S: Read>(s: &mut S, out: &mut Vec<u8>) -> Vec<u8> {
    let start = out.len();
    let mut b = [0u8; 1];
    loop {
        let n = s.read(&mut b).expect("read reply");
        assert!(
            n == 1,
            "connection closed mid-reply: {:?}",
            String::from_utf8_lossy(out)
        );
        out.push(b[0]);
        if out.len() >= start + 2 && &out[out.len() - 2..] == b"\r\n" {
            return out[start..out.len() - 2].to_vec();
        }
    }
}

fn read_value<S: Read>(s: &mut S, out: &mut Vec<u8>) {
    let line = read_line(s, out);
    let (t, rest) = (
        line[0],
        std::str::from_utf8(&line[1..]).unwrap().to_string(),
    );
    match t {
        b'+' | b'-' | b':' | b'_' | b',' | b'#' | b'(' => {}
        b'$' | b'=' | b'!' => {
            let n: i64 = rest.parse().unwrap();
            if n >= 0 {
                let mut body = vec![0u8; n as usize + 2];
                s.read_exact(&mut body).unwrap();
                out.extend_from_slice(&body);
            }
        }
        b'*' | b'~' | b'>' => {
            let n: i64 = rest.parse().unwrap();
            for _ in 0..n.max(0) {
                read_value(s, out);
            }
        }
        b'%' => {
            let n: i64 = rest.parse().unwrap();
            for _ in 0..n * 2 {
                read_value(s, out);
            }
        }
        _ => panic!("bad reply type byte {:?}", t as char),
    }
}

/// Encodes a command as a RESP multibulk.
pub fn cmd(args: &[&[u8]]) -> Vec<u8> {
    let mut v = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        v.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        v.extend_from_slice(a);
        v.extend_from_slice(b"\r\n");
    }
    v
}

/// Sends one command on `s` and returns its raw reply.
pub fn call<S: Read + Write>(s: &mut S, args: &[&str]) -> Vec<u8> {
    let a: Vec<&[u8]> = args.iter().map(|x| x.as_bytes()).collect();
    s.write_all(&cmd(&a)).unwrap();
    read_reply(s)
}

/// Like `call`, the reply as a String.
pub fn calls<S: Read + Write>(s: &mut S, args: &[&str]) -> String {
    String::from_utf8_lossy(&call(s, args)).into_owned()
}

/// A real `redis-server` (the reference for differential tests) on a free
/// loopback port, stopped by PID on drop.
pub struct RedisRef {
    child: Child,
    pub port: u16,
}

impl RedisRef {
    /// Starts one, or returns None when redis-server is not installed —
    /// except under CI (`CI` set), where `.ci/run` installs it and its
    /// absence is a failure rather than a silently skipped comparison.
    pub fn start() -> Option<RedisRef> {
        Self::start_with(&[])
    }

    /// Like `start`, with extra `--directive value` flags.
    pub fn start_with(extra: &[&str]) -> Option<RedisRef> {
        let installed = Command::new("redis-server")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !installed {
            assert!(
                std::env::var("CI").is_err(),
                "redis-server is required under CI"
            );
            eprintln!("note: redis-server not on PATH; differential test skipped");
            return None;
        }
        for _ in 0..5 {
            let port = free_port();
            let child = Command::new("redis-server")
                .args([
                    "--port",
                    &port.to_string(),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ])
                .args(extra)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .ok()?;
            let mut r = RedisRef { child, port };
            let t = Instant::now();
            while t.elapsed() < Duration::from_secs(5) {
                // Exited: the port was taken meanwhile; try another.
                if let Ok(Some(_)) = r.child.try_wait() {
                    break;
                }
                // Not yet listening, or a reset: try again (no panic).
                if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
                    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
                    let mut b = [0u8; 7];
                    if s.write_all(b"*1\r\n$4\r\nPING\r\n").is_ok()
                        && s.read_exact(&mut b).is_ok()
                        && &b == b"+PONG\r\n"
                    {
                        return Some(r);
                    }
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        panic!("redis-server is installed but did not start");
    }
}

impl Drop for RedisRef {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// XINFO STREAM's radix-tree-keys.
pub fn radix_keys(c: &mut redis::Connection, key: &str) -> i64 {
    let info: std::collections::HashMap<String, redis::Value> = q(c, &["XINFO", "STREAM", key]);
    match info.get("radix-tree-keys") {
        Some(redis::Value::Int(n)) => *n,
        other => panic!("radix-tree-keys: {other:?}"),
    }
}

/// Runs a command through the `redis` crate, panicking on an error reply.
pub fn q<T: redis::FromRedisValue>(c: &mut redis::Connection, args: &[&str]) -> T {
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query::<T>(c)
        .unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

/// Runs a command through the `redis` crate expecting an error; its text.
pub fn qerr(c: &mut redis::Connection, args: &[&str]) -> String {
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    match cmd.query::<redis::Value>(c) {
        Err(e) => e.to_string(),
        Ok(v) => panic!("{args:?}: expected an error, got {v:?}"),
    }
}

/// Runs `cases` against redis-server and FlashDB on fresh connections,
/// once in RESP2 on DB 0 and once in RESP3 on DB 1, with `run` sending the
/// cases on one connection and returning one (possibly normalised) reply
/// per case; panics listing every case whose replies differ.
/// INFO memory's `used_memory`.
pub fn used_memory(c: &mut redis::Connection) -> i64 {
    let info: String = q(c, &["INFO", "memory"]);
    info.lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// Each case's raw reply (the usual `run` for `differential`).
pub fn raw_replies(s: &mut TcpStream, cases: &[Vec<String>]) -> Vec<Vec<u8>> {
    cases
        .iter()
        .map(|c| {
            let a: Vec<&str> = c.iter().map(|x| x.as_str()).collect();
            call(s, &a)
        })
        .collect()
}

/// `differential` against a fresh FlashDB and a real redis-server (skipped
/// when redis-server is missing, outside CI).
pub fn differential_with_redis<C, T: PartialEq + AsRef<[u8]>>(
    cases: &[C],
    run: impl Fn(&mut TcpStream, &[C]) -> Vec<T>,
) where
    C: std::fmt::Debug,
{
    let Some(r) = RedisRef::start() else {
        return;
    };
    let srv = TestServer::start();
    differential(&srv, &r, cases, run);
}

pub fn differential<C, T: PartialEq + AsRef<[u8]>>(
    ours: &TestServer,
    reference: &RedisRef,
    cases: &[C],
    run: impl Fn(&mut TcpStream, &[C]) -> Vec<T>,
) where
    C: std::fmt::Debug,
{
    for (db, proto) in [("0", "2"), ("1", "3")] {
        let mut a = TcpStream::connect(("127.0.0.1", reference.port)).unwrap();
        a.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut b = ours.raw();
        for s in [&mut a, &mut b] {
            let _ = call(s, &["HELLO", proto]);
            assert_eq!(calls(s, &["SELECT", db]), "+OK\r\n");
        }
        let want = run(&mut a, cases);
        let got = run(&mut b, cases);
        let bad: Vec<String> = cases
            .iter()
            .zip(&want)
            .zip(&got)
            .filter(|((_, w), g)| w != g)
            .map(|((c, w), g)| {
                format!(
                    "RESP{proto} {c:?}\n  redis:   {:?}\n  flashdb: {:?}",
                    String::from_utf8_lossy(w.as_ref()),
                    String::from_utf8_lossy(g.as_ref())
                )
            })
            .collect();
        assert!(bad.is_empty(), "{} differ:\n{}", bad.len(), bad.join("\n"));
    }
}

/// Splits space-separated case lines into arguments (`""` = an empty argument).
pub fn split_cases(lines: &[&str]) -> Vec<Vec<String>> {
    lines
        .iter()
        .map(|l| {
            l.split(' ')
                .map(|w| {
                    if w == "\"\"" {
                        String::new()
                    } else {
                        w.to_string()
                    }
                })
                .collect()
        })
        .collect()
}

/// A TCP connection to 127.0.0.1:`port` from the loopback source address
/// `src` (e.g. 127.0.0.2), which protected mode does not count as local:
/// like Redis 7.0, only 127.0.0.1 and ::1 are. std cannot bind before
/// connecting, so this declares the three socket calls (Linux layout of
/// `sockaddr_in`).
#[cfg(target_os = "linux")]
pub fn connect_from(src: [u8; 4], port: u16) -> TcpStream {
    use std::os::fd::FromRawFd;
    #[repr(C)]
    struct SockAddrIn {
        family: u16,
        port: u16,
        addr: [u8; 4],
        zero: [u8; 8],
    }
    extern "C" {
        fn socket(domain: i32, ty: i32, protocol: i32) -> i32;
        fn bind(fd: i32, addr: *const SockAddrIn, len: u32) -> i32;
        fn connect(fd: i32, addr: *const SockAddrIn, len: u32) -> i32;
    }
    const AF_INET: u16 = 2;
    const SOCK_STREAM_CLOEXEC: i32 = 1 | 0o2000000;
    let addr = |a: [u8; 4], p: u16| SockAddrIn {
        family: AF_INET,
        port: p.to_be(),
        addr: a,
        zero: [0; 8],
    };
    // SAFETY: plain syscalls on a descriptor the TcpStream owns from its
    // creation on; the address structs outlive the calls.
    unsafe {
        let fd = socket(AF_INET as i32, SOCK_STREAM_CLOEXEC, 0);
        assert!(fd >= 0, "socket: {}", std::io::Error::last_os_error());
        let s = TcpStream::from_raw_fd(fd);
        let local = addr(src, 0);
        assert_eq!(
            bind(fd, &local, 16),
            0,
            "bind: {}",
            std::io::Error::last_os_error()
        );
        let remote = addr([127, 0, 0, 1], port);
        assert_eq!(
            connect(fd, &remote, 16),
            0,
            "connect: {}",
            std::io::Error::last_os_error()
        );
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s
    }
}

/// Reads until the peer closes (or `limit` passes, which panics); returns
/// everything read.
pub fn read_to_eof<S: Read>(s: &mut S, limit: Duration) -> Vec<u8> {
    let t = Instant::now();
    let mut out = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return out,
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(e) => panic!("read: {e}"),
        }
        assert!(
            t.elapsed() < limit,
            "still open after {limit:?}; got {} bytes",
            out.len()
        );
    }
}
pub mod http;
pub mod pki;
