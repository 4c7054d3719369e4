//! Client-side caching (CLIENT TRACKING) through real connections: the
//! exact bytes against redis-server for the same command sequences — a
//! RESP3 tracking client with a writer, a RESP2 tracking client redirecting
//! to a subscriber, BCAST with prefixes, NOLOOP, OPTIN/OPTOUT with CLIENT
//! CACHING, FLUSHALL/FLUSHDB, expiry, a broken redirect, the errors,
//! TRACKINGINFO, GETREDIR, CLIENT LIST fields and INFO counters — plus
//! `tracking-table-max-keys`, eviction and the `redis` crate.

mod common;
use common::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// One step of a script run on several connections to one server.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// Set up connection n in RESP3 (HELLO 3; its reply is not compared).
    Resp3(usize),
    /// Send a command on connection n, then sync (see `sync`): everything
    /// it receives up to the sync reply is compared. `$IDk` in an argument
    /// is connection k's client id.
    Cmd(usize, &'static [&'static str]),
    /// Send a command and read exactly one reply, no sync (inside MULTI).
    Raw(usize, &'static [&'static str]),
    /// Sync connection n: what arrived meanwhile.
    Sync(usize),
    /// CLIENT INFO's `flags=` and `redir=` (ids replaced).
    Flags(usize),
    /// INFO's tracking counters.
    Counters(usize),
    Sleep(u64),
    /// Close connection n.
    Close(usize),
}
use Step::*;

struct Conns {
    conns: Vec<Option<TcpStream>>,
    ids: Vec<u64>,
    /// Connections subscribed in RESP2 (synced with PING instead).
    subscribed: Vec<bool>,
}

impl Conns {
    fn open(port: u16, n: usize) -> Conns {
        // Burn a few ids on each server so client ids never equal the
        // small integers the scripts reply with.
        for _ in 0..12 {
            let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            let _ = call(&mut s, &["PING"]);
        }
        let mut c = Conns {
            conns: Vec::new(),
            ids: Vec::new(),
            subscribed: vec![false; n],
        };
        for _ in 0..n {
            let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            let id = calls(&mut s, &["CLIENT", "ID"]);
            c.ids
                .push(id.trim_start_matches(':').trim().parse().unwrap());
            assert_eq!(calls(&mut s, &["CLIENT", "SETNAME", "sync"]), "+OK\r\n");
            c.conns.push(Some(s));
        }
        c
    }

    fn s(&mut self, n: usize) -> &mut TcpStream {
        self.conns[n].as_mut().expect("connection closed")
    }

    fn args(&self, args: &[&str]) -> Vec<String> {
        args.iter()
            .map(|a| match a.strip_prefix("$ID") {
                Some(k) => self.ids[k.parse::<usize>().unwrap()].to_string(),
                None => a.to_string(),
            })
            .collect()
    }

    fn send(&mut self, n: usize, args: &[&str]) {
        let a = self.args(args);
        let b: Vec<&[u8]> = a.iter().map(|x| x.as_bytes()).collect();
        if args[0].eq_ignore_ascii_case("subscribe") {
            self.subscribed[n] = true;
        }
        self.s(n).write_all(&cmd(&b)).unwrap();
    }

    /// Sends a side-effect-free command and reads every reply up to its
    /// answer: CLIENT GETNAME (a CLIENT subcommand keeps CLIENT CACHING,
    /// as in Redis), or PING for a RESP2 subscriber.
    fn sync(&mut self, n: usize) -> Vec<u8> {
        let sub = self.subscribed[n];
        let (sync, want): (&[&str], &[&[u8]]) = if sub {
            (
                &["PING"],
                &[b"*2\r\n$4\r\npong\r\n$0\r\n\r\n", b"+PONG\r\n"],
            )
        } else {
            (&["CLIENT", "GETNAME"], &[b"$4\r\nsync\r\n"])
        };
        self.send(n, sync);
        let mut out = Vec::new();
        loop {
            let r = read_reply(self.s(n));
            if want.contains(&r.as_slice()) {
                return out;
            }
            out.extend_from_slice(&r);
        }
    }

    /// Replaces the connections' ids in integer replies with `<idk>`.
    fn norm(&self, bytes: Vec<u8>) -> String {
        let mut s = String::from_utf8_lossy(&bytes).into_owned();
        for (k, id) in self.ids.iter().enumerate() {
            s = s.replace(&format!(":{id}\r\n"), &format!(":<id{k}>\r\n"));
            s = s.replace(&format!("redir={id}"), &format!("redir=<id{k}>"));
        }
        s
    }

    fn run(&mut self, steps: &[Step]) -> Vec<String> {
        let mut out = Vec::new();
        for step in steps {
            let got = match *step {
                Resp3(n) => {
                    let _ = call(self.s(n), &["HELLO", "3"]);
                    Vec::new()
                }
                Cmd(n, args) => {
                    self.send(n, args);
                    self.sync(n)
                }
                Raw(n, args) => {
                    self.send(n, args);
                    read_reply(self.s(n))
                }
                Sync(n) => self.sync(n),
                Flags(n) => {
                    let info = calls(self.s(n), &["CLIENT", "INFO"]);
                    let f: Vec<&str> = info
                        .split([' ', '\n', '\r'])
                        .filter(|w| w.starts_with("flags=") || w.starts_with("redir="))
                        .collect();
                    f.join(" ").into_bytes()
                }
                Counters(n) => {
                    let mut v = Vec::new();
                    for sec in ["clients", "stats"] {
                        let info = calls(self.s(n), &["INFO", sec]);
                        for l in info.split("\r\n").filter(|l| l.starts_with("tracking_")) {
                            v.extend_from_slice(l.as_bytes());
                            v.push(b' ');
                        }
                    }
                    v
                }
                Sleep(ms) => {
                    std::thread::sleep(Duration::from_millis(ms));
                    Vec::new()
                }
                Close(n) => {
                    self.conns[n] = None;
                    // Let the server notice.
                    std::thread::sleep(Duration::from_millis(200));
                    Vec::new()
                }
            };
            out.push(self.norm(got));
        }
        out
    }
}

/// Runs `steps` with `n` connections on redis-server and on FlashDB and
/// compares every step's bytes.
fn same_as_redis(n: usize, steps: &[Step]) {
    let Some(r) = RedisRef::start() else {
        return;
    };
    let srv = TestServer::start();
    let want = Conns::open(r.port, n).run(steps);
    let got = Conns::open(srv.port, n).run(steps);
    let bad: Vec<String> = steps
        .iter()
        .zip(want.iter().zip(&got))
        .enumerate()
        .filter(|(_, (_, (w, g)))| w != g)
        .map(|(i, (s, (w, g)))| format!("step {i} {s:?}\n  redis:   {w:?}\n  flashdb: {g:?}"))
        .collect();
    assert!(bad.is_empty(), "{} differ:\n{}", bad.len(), bad.join("\n"));
}

/// Default mode in RESP3: connection 0 tracks, connection 1 writes.
const RESP3_DEFAULT: &[Step] = &[
    Resp3(0),
    Cmd(0, &["CLIENT", "TRACKINGINFO"]),
    Cmd(0, &["CLIENT", "GETREDIR"]),
    Flags(0),
    Cmd(0, &["CLIENT", "TRACKING", "on"]),
    Flags(0),
    Counters(1),
    Cmd(0, &["GET", "k"]),
    Counters(1),
    // Its own write: the invalidation follows the reply.
    Cmd(0, &["SET", "k", "v"]),
    Cmd(0, &["GET", "k"]),
    Cmd(1, &["SET", "k", "w"]),
    Sync(0),
    // One-shot: not read again, no second invalidation.
    Cmd(1, &["SET", "k", "x"]),
    Sync(0),
    // Several keys: one message each.
    Cmd(0, &["MGET", "k", "k2", "k3"]),
    Counters(1),
    Cmd(1, &["MSET", "k", "1", "k2", "2"]),
    Sync(0),
    Cmd(1, &["DEL", "k3"]),
    Sync(0),
    // Nothing changed: no invalidation (the key stays tracked).
    Cmd(0, &["GET", "nokey"]),
    Cmd(1, &["DEL", "nokey"]),
    Sync(0),
    Cmd(1, &["SETNX", "k2", "again"]),
    Sync(0),
    Cmd(1, &["SETNX", "nokey", "1"]),
    Sync(0),
    // Other read-only shapes: hashes, STRLEN, EXISTS with several keys.
    Cmd(1, &["HSET", "h", "f", "1"]),
    Cmd(0, &["HGET", "h", "f"]),
    Cmd(0, &["EXISTS", "a1", "a2"]),
    Cmd(0, &["STRLEN", "k"]),
    Cmd(1, &["HDEL", "h", "f"]),
    Cmd(1, &["SET", "a2", "x"]),
    Cmd(1, &["APPEND", "k", "x"]),
    Sync(0),
    // Writes through MULTI/EXEC (another client's): in order.
    Cmd(0, &["MGET", "k", "k2"]),
    Raw(1, &["MULTI"]),
    Raw(1, &["SET", "k", "m"]),
    Raw(1, &["INCR", "k2"]),
    Raw(1, &["EXEC"]),
    Sync(0),
    // The tracking client's own transaction: after EXEC's reply.
    Cmd(0, &["GET", "k"]),
    Raw(0, &["MULTI"]),
    Raw(0, &["SET", "k", "1"]),
    Raw(0, &["GET", "k"]),
    Raw(0, &["SET", "k", "2"]),
    Raw(0, &["EXEC"]),
    Sync(0),
    // FLUSHALL and FLUSHDB: a null key list to every tracking client.
    Cmd(0, &["GET", "k"]),
    Cmd(1, &["FLUSHALL"]),
    Sync(0),
    Counters(1),
    Cmd(0, &["FLUSHDB"]),
    Cmd(0, &["GET", "k"]),
    Cmd(1, &["SWAPDB", "0", "1"]),
    Sync(0),
    // Expiry: a tracked key deleted by the active expiry cycle.
    Cmd(1, &["SET", "e", "1", "PX", "150"]),
    Cmd(0, &["GET", "e"]),
    Sleep(900),
    Sync(0),
    // NOLOOP: no invalidation for its own writes.
    Cmd(0, &["CLIENT", "TRACKING", "on", "noloop"]),
    Cmd(0, &["CLIENT", "TRACKINGINFO"]),
    Cmd(0, &["GET", "n"]),
    Cmd(0, &["SET", "n", "1"]),
    Cmd(0, &["GET", "n"]),
    Cmd(1, &["SET", "n", "2"]),
    Sync(0),
    // Off: no more invalidations; stale entries of a client that left
    // tracking are skipped.
    Cmd(0, &["GET", "off"]),
    Cmd(0, &["CLIENT", "TRACKING", "off"]),
    Cmd(1, &["SET", "off", "1"]),
    Sync(0),
    Cmd(0, &["CLIENT", "TRACKINGINFO"]),
    Cmd(0, &["CLIENT", "GETREDIR"]),
    Flags(0),
    Counters(1),
];

#[test]
fn resp3_default_mode_matches_redis() {
    same_as_redis(2, RESP3_DEFAULT);
}

/// RESP2: connection 0 subscribes to `__redis__:invalidate`, connection 1
/// tracks with REDIRECT to it, connection 2 writes.
const RESP2_REDIRECT: &[Step] = &[
    Cmd(0, &["SUBSCRIBE", "__redis__:invalidate"]),
    Cmd(1, &["CLIENT", "TRACKING", "on", "REDIRECT", "$ID0"]),
    Cmd(1, &["CLIENT", "TRACKINGINFO"]),
    Cmd(1, &["CLIENT", "GETREDIR"]),
    Flags(1),
    Cmd(1, &["GET", "k"]),
    Cmd(2, &["SET", "k", "1"]),
    Sync(0),
    Sync(1),
    Cmd(1, &["MGET", "a", "b"]),
    Cmd(1, &["SET", "a", "1"]),
    Sync(0),
    Cmd(2, &["FLUSHDB"]),
    Sync(0),
    Sync(1),
    // Redirect to itself is allowed; redirecting twice is not.
    Cmd(1, &["CLIENT", "TRACKING", "on", "REDIRECT", "$ID1"]),
    Cmd(1, &["CLIENT", "GETREDIR"]),
    Cmd(
        1,
        &[
            "CLIENT", "TRACKING", "on", "REDIRECT", "$ID0", "REDIRECT", "$ID1",
        ],
    ),
    // RESP2 without a redirect: allowed, but nothing can be sent.
    Cmd(1, &["CLIENT", "TRACKING", "on"]),
    Cmd(1, &["GET", "k"]),
    Cmd(2, &["SET", "k", "2"]),
    Sync(1),
    Sync(0),
    // A RESP3 redirect target gets pushes without subscribing.
    Resp3(2),
    Cmd(1, &["CLIENT", "TRACKING", "on", "REDIRECT", "$ID2"]),
    Cmd(1, &["GET", "k"]),
    Cmd(1, &["DEL", "k"]),
    Sync(2),
    Cmd(1, &["FLUSHALL"]),
    Sync(2),
    // Back to the subscriber; then it leaves: the redirection is broken
    // (a RESP2 client cannot be told; TRACKINGINFO and CLIENT LIST show it).
    Cmd(1, &["CLIENT", "TRACKING", "on", "REDIRECT", "$ID0"]),
    Cmd(1, &["GET", "k"]),
    Close(0),
    Cmd(2, &["SET", "k", "3"]),
    Sync(1),
    Cmd(1, &["CLIENT", "TRACKINGINFO"]),
    Flags(1),
    Cmd(1, &["CLIENT", "GETREDIR"]),
    Counters(2),
];

#[test]
fn resp2_redirect_matches_redis() {
    same_as_redis(3, RESP2_REDIRECT);
}

/// A RESP3 client whose redirect target disconnects: `tracking-redir-broken`.
const BROKEN_REDIRECT: &[Step] = &[
    Resp3(1),
    Cmd(0, &["SUBSCRIBE", "__redis__:invalidate"]),
    Cmd(1, &["CLIENT", "TRACKING", "on", "REDIRECT", "$ID0"]),
    Cmd(1, &["GET", "k"]),
    Close(0),
    // Nothing until an invalidation is due.
    Sync(1),
    Cmd(2, &["SET", "k", "1"]),
    Sync(1),
    Cmd(1, &["CLIENT", "TRACKINGINFO"]),
    Flags(1),
    Cmd(2, &["FLUSHALL"]),
    Sync(1),
    // Re-enabling clears the broken flag.
    Cmd(1, &["CLIENT", "TRACKING", "on"]),
    Cmd(1, &["CLIENT", "TRACKINGINFO"]),
    Flags(1),
];

#[test]
fn broken_redirect_matches_redis() {
    same_as_redis(3, BROKEN_REDIRECT);
}

/// BCAST: prefixes, batching per command, NOLOOP, TRACKINGINFO, errors.
const BCAST: &[Step] = &[
    Resp3(0),
    Resp3(2),
    Cmd(
        0,
        &[
            "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a", "PREFIX", "b",
        ],
    ),
    Cmd(0, &["CLIENT", "TRACKINGINFO"]),
    Flags(0),
    Counters(1),
    // Reads are not remembered in BCAST mode.
    Cmd(0, &["GET", "zz"]),
    Cmd(1, &["SET", "zz", "1"]),
    Sync(0),
    // One message per prefix per command, keys sorted.
    Cmd(1, &["MSET", "b2", "1", "a2", "1", "a1", "1", "c1", "1"]),
    Sync(0),
    Cmd(1, &["DEL", "a1", "a2", "zz"]),
    Sync(0),
    // Its own writes come back after the reply.
    Cmd(0, &["MSET", "b3", "1", "a2", "1"]),
    // More prefixes, another client on an overlapping prefix.
    Cmd(0, &["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "bc"]),
    Cmd(
        0,
        &[
            "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "c", "PREFIX", "d",
        ],
    ),
    Cmd(2, &["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a1"]),
    Counters(1),
    Cmd(1, &["SET", "a1", "x"]),
    Sync(0),
    Sync(2),
    // NOLOOP in BCAST mode, and the empty prefix (all keys).
    Cmd(0, &["CLIENT", "TRACKING", "on", "BCAST", "NOLOOP"]),
    Cmd(0, &["CLIENT", "TRACKINGINFO"]),
    Cmd(0, &["MSET", "b3", "1", "a2", "1"]),
    Cmd(1, &["MSET", "b3", "1", "a2", "1", "zz", "2"]),
    Sync(0),
    // Expiry under a prefix.
    Cmd(1, &["SET", "a1", "1", "PX", "100"]),
    Sync(2),
    Sleep(900),
    Sync(2),
    // FLUSHALL: null to BCAST clients too.
    Cmd(1, &["FLUSHALL"]),
    Sync(0),
    Sync(2),
    // Errors.
    Cmd(0, &["CLIENT", "TRACKING", "on"]),
    Cmd(0, &["CLIENT", "TRACKING", "on", "BCAST", "OPTIN"]),
    Cmd(0, &["CLIENT", "TRACKING", "off"]),
    Counters(1),
    Cmd(
        0,
        &[
            "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a", "PREFIX", "ab",
        ],
    ),
    Cmd(
        0,
        &[
            "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "c", "PREFIX", "c",
        ],
    ),
    Cmd(0, &["CLIENT", "TRACKING", "on", "BCAST", "OPTOUT"]),
    Cmd(0, &["CLIENT", "TRACKING", "on", "PREFIX", "a"]),
    Cmd(0, &["CLIENT", "TRACKINGINFO"]),
    Cmd(2, &["CLIENT", "TRACKING", "off"]),
    Counters(1),
];

#[test]
fn bcast_matches_redis() {
    same_as_redis(3, BCAST);
}

/// OPTIN / OPTOUT with CLIENT CACHING, and the option errors.
const OPT: &[Step] = &[
    Resp3(0),
    Cmd(0, &["CLIENT", "CACHING", "yes"]),
    Cmd(0, &["CLIENT", "TRACKING", "on", "OPTIN"]),
    Cmd(0, &["GET", "k"]),
    Cmd(1, &["SET", "k", "1"]),
    Sync(0),
    Cmd(0, &["CLIENT", "CACHING", "yes"]),
    Cmd(0, &["CLIENT", "TRACKINGINFO"]),
    Cmd(0, &["GET", "k"]),
    Cmd(1, &["SET", "k", "2"]),
    Sync(0),
    // Only the next command: PING uses it up.
    Cmd(0, &["CLIENT", "CACHING", "yes"]),
    Cmd(0, &["PING"]),
    Cmd(0, &["GET", "k"]),
    Cmd(1, &["SET", "k", "3"]),
    Sync(0),
    // ... but a transaction keeps it to the end.
    Cmd(0, &["CLIENT", "CACHING", "yes"]),
    Raw(0, &["MULTI"]),
    Raw(0, &["GET", "k"]),
    Raw(0, &["GET", "k2"]),
    Raw(0, &["EXEC"]),
    Cmd(1, &["MSET", "k", "4", "k2", "1"]),
    Sync(0),
    Cmd(0, &["CLIENT", "TRACKINGINFO"]),
    Cmd(0, &["CLIENT", "CACHING", "no"]),
    Cmd(0, &["CLIENT", "CACHING", "maybe"]),
    Cmd(0, &["CLIENT", "TRACKING", "on", "OPTOUT"]),
    Cmd(0, &["CLIENT", "TRACKING", "off"]),
    Cmd(0, &["CLIENT", "TRACKING", "on", "OPTOUT"]),
    Cmd(0, &["GET", "k"]),
    Cmd(1, &["SET", "k", "5"]),
    Sync(0),
    Cmd(0, &["CLIENT", "CACHING", "no"]),
    Cmd(0, &["CLIENT", "TRACKINGINFO"]),
    Cmd(0, &["GET", "k"]),
    Cmd(1, &["SET", "k", "6"]),
    Sync(0),
    Cmd(0, &["CLIENT", "CACHING", "yes"]),
    Cmd(0, &["CLIENT", "TRACKING", "on", "OPTIN"]),
    Cmd(0, &["CLIENT", "TRACKING", "on", "OPTIN", "OPTOUT"]),
    Cmd(0, &["CLIENT", "TRACKING", "on", "BCAST"]),
    Cmd(0, &["CLIENT", "TRACKING", "off"]),
    Cmd(0, &["CLIENT", "CACHING", "no"]),
    // Parsing errors.
    Cmd(0, &["CLIENT", "TRACKING", "on", "REDIRECT"]),
    Cmd(0, &["CLIENT", "TRACKING", "on", "REDIRECT", "x"]),
    Cmd(0, &["CLIENT", "TRACKING", "on", "REDIRECT", "0"]),
    Cmd(0, &["CLIENT", "TRACKING", "on", "REDIRECT", "-1"]),
    Cmd(0, &["CLIENT", "TRACKING", "on", "REDIRECT", "987654"]),
    Cmd(0, &["CLIENT", "TRACKING", "on", "PREFIX"]),
    Cmd(0, &["CLIENT", "TRACKING", "on", "nope"]),
    Cmd(0, &["CLIENT", "TRACKING", "maybe"]),
    Cmd(0, &["CLIENT", "TRACKING", "off", "nope"]),
    Cmd(0, &["CLIENT", "TRACKING"]),
    Cmd(0, &["CLIENT", "CACHING"]),
    Cmd(0, &["CLIENT", "CACHING", "yes", "no"]),
    Cmd(0, &["CLIENT", "TRACKINGINFO", "x"]),
    Cmd(0, &["CLIENT", "GETREDIR", "x"]),
    Cmd(0, &["CLIENT", "TRACKINGINFO"]),
    Counters(1),
];

#[test]
fn optin_optout_and_errors_match_redis() {
    same_as_redis(2, OPT);
}

/// Reads what arrives on `s` within `wait` (raw bytes).
fn drain(s: &mut TcpStream, wait: Duration) -> Vec<u8> {
    s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    let mut out = Vec::new();
    let t = Instant::now();
    let mut buf = [0u8; 4096];
    while t.elapsed() < wait {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(_) => {}
        }
    }
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    out
}

fn info_field(s: &mut TcpStream, field: &str) -> u64 {
    let info = calls(s, &["INFO", "everything"]);
    info.split("\r\n")
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or_else(|| panic!("{field} missing"))
        .parse()
        .unwrap()
}

/// An idle tracking client gets its invalidation without sending anything
/// (both I/O models deliver pushes to a waiting connection).
#[test]
fn idle_client_gets_push_without_asking() {
    let srv = TestServer::start();
    let mut t = srv.raw();
    let _ = call(&mut t, &["HELLO", "3"]);
    assert_eq!(calls(&mut t, &["CLIENT", "TRACKING", "on"]), "+OK\r\n");
    assert_eq!(calls(&mut t, &["GET", "idle"]), "_\r\n");
    std::thread::sleep(Duration::from_millis(1200));
    let mut w = srv.raw();
    assert_eq!(calls(&mut w, &["SET", "idle", "1"]), "+OK\r\n");
    let t0 = Instant::now();
    let got = read_reply(&mut t);
    assert_eq!(got, b">2\r\n$10\r\ninvalidate\r\n*1\r\n$4\r\nidle\r\n");
    assert!(
        t0.elapsed() < Duration::from_millis(500),
        "{:?}",
        t0.elapsed()
    );
}

/// `tracking-table-max-keys`: past it, keys leave the table, each with its
/// invalidation.
#[test]
fn table_is_bounded_by_max_keys() {
    let srv = TestServer::start();
    let mut t = srv.raw();
    let mut w = srv.raw();
    assert_eq!(
        calls(&mut w, &["CONFIG", "GET", "tracking-table-max-keys"]),
        "*2\r\n$23\r\ntracking-table-max-keys\r\n$7\r\n1000000\r\n"
    );
    assert_eq!(
        calls(&mut w, &["CONFIG", "SET", "tracking-table-max-keys", "3"]),
        "+OK\r\n"
    );
    let _ = call(&mut t, &["HELLO", "3"]);
    assert_eq!(calls(&mut t, &["CLIENT", "TRACKING", "on"]), "+OK\r\n");
    let reply = call(&mut t, &["MGET", "m1", "m2", "m3", "m4", "m5", "m6", "m7"]);
    assert!(reply.starts_with(b"*7\r\n"));
    let got = String::from_utf8_lossy(&drain(&mut t, Duration::from_millis(300))).into_owned();
    assert_eq!(
        got.matches(">2\r\n$10\r\ninvalidate\r\n*1\r\n").count(),
        4,
        "{got}"
    );
    assert_eq!(info_field(&mut w, "tracking_total_keys"), 3);
    assert_eq!(info_field(&mut w, "tracking_total_items"), 3);
    // Lowering the limit applies without waiting for a read (cron).
    assert_eq!(
        calls(&mut w, &["CONFIG", "SET", "tracking-table-max-keys", "1"]),
        "+OK\r\n"
    );
    let got = String::from_utf8_lossy(&drain(&mut t, Duration::from_millis(500))).into_owned();
    assert_eq!(got.matches("invalidate").count(), 2, "{got}");
    assert_eq!(info_field(&mut w, "tracking_total_keys"), 1);
    // 0 = no limit.
    assert_eq!(
        calls(&mut w, &["CONFIG", "SET", "tracking-table-max-keys", "0"]),
        "+OK\r\n"
    );
    let _ = call(&mut t, &["MGET", "m1", "m2", "m3", "m4", "m5", "m6", "m7"]);
    assert_eq!(info_field(&mut w, "tracking_total_keys"), 7);
    // Disconnecting leaves the entries to be dropped lazily; FLUSHALL
    // empties the table.
    drop(t);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(info_field(&mut w, "tracking_clients"), 0);
    assert_eq!(calls(&mut w, &["SET", "m1", "x"]), "+OK\r\n");
    assert_eq!(info_field(&mut w, "tracking_total_keys"), 6);
    assert_eq!(calls(&mut w, &["FLUSHALL"]), "+OK\r\n");
    assert_eq!(info_field(&mut w, "tracking_total_keys"), 0);
    assert_eq!(info_field(&mut w, "tracking_total_items"), 0);
}

/// Keys deleted by eviction invalidate too.
#[test]
fn eviction_invalidates() {
    let srv = TestServer::start();
    let mut t = srv.raw();
    let mut w = srv.raw();
    let _ = call(&mut t, &["HELLO", "3"]);
    assert_eq!(calls(&mut t, &["CLIENT", "TRACKING", "on"]), "+OK\r\n");
    let big = "v".repeat(10_000);
    for i in 0..50 {
        let k = format!("ev{i}");
        assert_eq!(calls(&mut w, &["SET", &k, &big]), "+OK\r\n");
        let _ = call(&mut t, &["GET", &k]);
    }
    let used = info_field(&mut w, "used_memory");
    let limit = (used - 200_000).to_string();
    assert_eq!(
        calls(
            &mut w,
            &["CONFIG", "SET", "maxmemory-policy", "allkeys-random"]
        ),
        "+OK\r\n"
    );
    assert_eq!(
        calls(&mut w, &["CONFIG", "SET", "maxmemory", &limit]),
        "+OK\r\n"
    );
    let _ = call(&mut w, &["SET", "trigger", "1"]);
    let evicted = info_field(&mut w, "evicted_keys");
    assert!(evicted > 0);
    let got = String::from_utf8_lossy(&drain(&mut t, Duration::from_millis(500))).into_owned();
    assert_eq!(got.matches("invalidate").count() as u64, evicted, "{got}");
    assert_eq!(
        calls(&mut w, &["CONFIG", "SET", "maxmemory", "0"]),
        "+OK\r\n"
    );
}

/// The `redis` crate: CLIENT TRACKING with a RESP2 redirect subscriber
/// through its Pub/Sub API.
#[test]
fn redis_crate_redirect_subscriber() {
    let srv = TestServer::start();
    let mut sub_conn = srv.client();
    let sub_id: i64 = q(&mut sub_conn, &["CLIENT", "ID"]);
    let mut pubsub = sub_conn.as_pubsub();
    pubsub.subscribe("__redis__:invalidate").unwrap();
    pubsub
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut t = srv.client();
    let _: () = q(
        &mut t,
        &["CLIENT", "TRACKING", "on", "REDIRECT", &sub_id.to_string()],
    );
    let redir: i64 = q(&mut t, &["CLIENT", "GETREDIR"]);
    assert_eq!(redir, sub_id);
    let _: Option<String> = q(&mut t, &["GET", "rk"]);
    let mut w = srv.client();
    let _: () = q(&mut w, &["SET", "rk", "1"]);
    let msg = pubsub.get_message().unwrap();
    assert_eq!(msg.get_channel_name(), "__redis__:invalidate");
    let keys: Vec<String> = msg.get_payload().unwrap();
    assert_eq!(keys, vec!["rk".to_string()]);
}

/// A cache kept by the invalidations is never left stale, with writers
/// racing the tracking client's reads on other threads.
#[test]
fn cache_never_stale_under_concurrent_writes() {
    let srv = TestServer::start_with(&["--worker-threads", "2"]);
    let mut t = srv.raw();
    let _ = call(&mut t, &["HELLO", "3"]);
    assert_eq!(calls(&mut t, &["CLIENT", "TRACKING", "on"]), "+OK\r\n");
    assert_eq!(calls(&mut t, &["CLIENT", "SETNAME", "sync"]), "+OK\r\n");
    let mut check = srv.raw();
    for round in 0..5 {
        let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let writers: Vec<_> = (0..2)
            .map(|_| {
                let mut w = srv.raw();
                std::thread::spawn(move || {
                    for _ in 0..400 {
                        let _ = call(&mut w, &["INCR", "sk"]);
                    }
                })
            })
            .collect();
        let d = done.clone();
        let waiter = std::thread::spawn(move || {
            for w in writers {
                w.join().unwrap();
            }
            d.store(true, std::sync::atomic::Ordering::SeqCst);
        });
        // The client side of client-side caching: a push drops the value.
        let mut cache: Option<Vec<u8>> = None;
        let mut reads = 0;
        let step = |t: &mut TcpStream, cache: &mut Option<Vec<u8>>| {
            let (args, sync): (&[&str], bool) = if cache.is_none() {
                (&["GET", "sk"], false)
            } else {
                (&["CLIENT", "GETNAME"], true)
            };
            t.write_all(&cmd(&args.iter().map(|a| a.as_bytes()).collect::<Vec<_>>()))
                .unwrap();
            loop {
                let r = read_reply(t);
                if r.starts_with(b">") {
                    *cache = None;
                    continue;
                }
                if !sync {
                    *cache = Some(r);
                }
                return;
            }
        };
        while !done.load(std::sync::atomic::Ordering::SeqCst) {
            step(&mut t, &mut cache);
            reads += 1;
        }
        waiter.join().unwrap();
        // Whatever is still due has been sent: take it, then compare.
        std::thread::sleep(Duration::from_millis(100));
        step(&mut t, &mut cache);
        if cache.is_none() {
            step(&mut t, &mut cache);
            step(&mut t, &mut cache);
        }
        let truth = call(&mut check, &["GET", "sk"]);
        assert_eq!(
            cache.as_deref().map(String::from_utf8_lossy),
            Some(String::from_utf8_lossy(&truth)),
            "round {round} after {reads} reads"
        );
    }
}

/// A table far over the limit shrinks to it within a few cron ticks, every
/// dropped key invalidated once.
#[test]
fn large_excess_is_dropped_over_cron_ticks() {
    let srv = TestServer::start();
    let mut t = srv.raw();
    let mut w = srv.raw();
    let _ = call(&mut t, &["HELLO", "3"]);
    assert_eq!(calls(&mut t, &["CLIENT", "TRACKING", "on"]), "+OK\r\n");
    assert_eq!(
        calls(&mut w, &["CONFIG", "SET", "tracking-table-max-keys", "100"]),
        "+OK\r\n"
    );
    let keys: Vec<String> = (0..25_000).map(|i| format!("big:{i}")).collect();
    let mut args: Vec<&str> = vec!["MGET"];
    args.extend(keys.iter().map(|k| k.as_str()));
    let reply = call(&mut t, &args);
    assert!(reply.starts_with(b"*25000\r\n"));
    let t0 = Instant::now();
    let mut got = Vec::new();
    while t0.elapsed() < Duration::from_secs(10) {
        got.extend(drain(&mut t, Duration::from_millis(200)));
        if info_field(&mut w, "tracking_total_keys") == 100 {
            break;
        }
    }
    got.extend(drain(&mut t, Duration::from_millis(300)));
    assert_eq!(info_field(&mut w, "tracking_total_keys"), 100);
    let text = String::from_utf8_lossy(&got);
    assert_eq!(text.matches("$10\r\ninvalidate\r\n").count(), 24_900);
}
