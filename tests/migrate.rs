//! MIGRATE between real servers: FlashDB to redis-server, redis-server to
//! FlashDB (our RESTORE as the target) and FlashDB to FlashDB, every value
//! type (streams with consumer groups included) with its TTL; COPY,
//! REPLACE, AUTH and AUTH2 against password-protected targets, the
//! destination DB and the target's errors, each scenario's replies
//! compared with redis-server to redis-server; NOKEY, syntax and arity
//! errors, COMMAND INFO / GETKEYS byte for byte with redis-server; an
//! unreachable or silent target (IOERR within the timeout); the deletion
//! in the WAL (it survives a restart) and its `del` keyspace event.

mod common;
#[path = "common/values.rs"]
mod values;

use common::*;
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};
use values::*;

/// A server MIGRATE can reach: its port, and a raw connection to it
/// (authenticated when it has a password).
trait Node {
    fn port(&self) -> u16;
    fn conn(&self) -> TcpStream {
        let s = TcpStream::connect(("127.0.0.1", self.port())).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s
    }
}

impl Node for TestServer {
    fn port(&self) -> u16 {
        self.port
    }
}

impl Node for RedisRef {
    fn port(&self) -> u16 {
        self.port
    }
}

fn port_of(n: &dyn Node) -> String {
    n.port().to_string()
}

/// Every type (every encoding `fill` makes, the streams of
/// `fill_streams`) moved with the KEYS form into DB 3 of `target`, TTLs
/// carried; the values compared with what the source held.
fn move_everything(src: &mut redis::Connection, target: &dyn Node, target_url_db3: &str) {
    let mut keys = fill(src);
    let streams = fill_streams(src);
    keys.extend(streams.iter().cloned());
    let _: i64 = q(src, &["PEXPIRE", "s:small", "500000"]);
    let _: i64 = q(src, &["PEXPIRE", "x:big", "600000"]);
    let want: Vec<(String, Vec<String>)> = keys
        .iter()
        .map(|k| {
            let v = if streams.contains(k) {
                show_stream(src, k)
            } else {
                vec![show(src, k)]
            };
            (k.clone(), v)
        })
        .collect();
    let port = port_of(target);
    let mut args = vec!["MIGRATE", "127.0.0.1", &port, "", "3", "5000", "KEYS"];
    args.extend(keys.iter().map(|k| k.as_str()));
    let ok: String = q(src, &args);
    assert_eq!(ok, "OK");
    for k in &keys {
        assert_eq!(q::<i64>(src, &["EXISTS", k]), 0, "{k} still on the source");
    }
    let mut t = redis::Client::open(target_url_db3)
        .unwrap()
        .get_connection()
        .unwrap();
    for (k, v) in &want {
        let got = if streams.contains(k) {
            show_stream(&mut t, k)
        } else {
            vec![show(&mut t, k)]
        };
        assert_eq!(&got, v, "{k}");
    }
    for (k, max) in [("s:small", 500000), ("x:big", 600000)] {
        let ttl: i64 = q(&mut t, &["PTTL", k]);
        assert!(ttl > max - 60000 && ttl <= max, "{k}: PTTL {ttl}");
    }
    assert_eq!(q::<i64>(&mut t, &["PTTL", "l:big"]), -1);
}

#[test]
fn flashdb_to_redis_and_to_flashdb_every_type() {
    let Some(r) = RedisRef::start() else {
        return;
    };
    let srv = TestServer::start();
    move_everything(
        &mut srv.client(),
        &r,
        &format!("redis://127.0.0.1:{}/3", r.port),
    );
    let target = TestServer::start();
    move_everything(
        &mut srv.client(),
        &target,
        &format!("redis://127.0.0.1:{}/3", target.port),
    );
    // The connection to each target stays cached (Redis: 10 s).
    let info: String = q(&mut srv.client(), &["INFO", "stats"]);
    assert!(info.contains("migrate_cached_sockets:2\r\n"), "{info}");
}

#[test]
fn redis_to_flashdb_every_type() {
    let Some(r) = RedisRef::start() else {
        return;
    };
    let target = TestServer::start();
    let mut rc = redis::Client::open(format!("redis://127.0.0.1:{}/", r.port))
        .unwrap()
        .get_connection()
        .unwrap();
    move_everything(
        &mut rc,
        &target,
        &format!("redis://127.0.0.1:{}/3", target.port),
    );
}

/// The same MIGRATE scenarios from `src` to `target` (password `pw`, a
/// user `mover` with password `secret`): every reply, and what the
/// source and target hold after each, as text.
fn scenarios(src: &dyn Node, target: &dyn Node) -> Vec<String> {
    let (mut s, mut t) = (src.conn(), target.conn());
    let port = port_of(target);
    let mut out = Vec::new();
    let mut step = |s: &mut TcpStream, t: &mut TcpStream, setup: &[&[&str]], opts: &[&str]| {
        let _ = calls(t, &["AUTH", "pw"]);
        assert_eq!(calls(t, &["FLUSHALL"]), "+OK\r\n");
        let _ = calls(s, &["FLUSHALL"]);
        let _ = calls(s, &["SET", "k", "v"]);
        for c in setup {
            let (on, c) = c.split_first().unwrap();
            let conn = if *on == "t" { &mut *t } else { &mut *s };
            let _ = calls(conn, c);
        }
        let mut args = vec!["MIGRATE", "127.0.0.1", &port];
        args.extend(opts);
        let reply = calls(s, &args);
        let here = calls(s, &["MGET", "k", "a", "b"]);
        let there = calls(t, &["MGET", "k", "a", "b"]);
        let db5 = {
            let _ = calls(t, &["SELECT", "5"]);
            let v = calls(t, &["MGET", "k", "a", "b"]);
            let _ = calls(t, &["SELECT", "0"]);
            v
        };
        out.push(format!(
            "{opts:?}: {reply:?} source {here:?} target {there:?} db5 {db5:?}"
        ));
    };
    let (s, t) = (&mut s, &mut t);
    step(s, t, &[], &["k", "0", "5000"]); // NOAUTH
    step(s, t, &[], &["k", "0", "5000", "AUTH", "wrong"]);
    step(s, t, &[], &["k", "0", "5000", "AUTH2", "mover", "wrong"]);
    step(s, t, &[], &["k", "0", "5000", "AUTH", "pw"]);
    step(
        s,
        t,
        &[&["t", "SET", "k", "old"]],
        &["k", "0", "5000", "AUTH", "pw"],
    ); // BUSYKEY
    step(
        s,
        t,
        &[&["t", "SET", "k", "old"]],
        &["k", "0", "5000", "REPLACE", "AUTH", "pw"],
    );
    step(s, t, &[], &["k", "0", "5000", "COPY", "AUTH", "pw"]);
    step(s, t, &[], &["k", "5", "5000", "AUTH2", "mover", "secret"]);
    step(s, t, &[], &["k", "99", "5000", "AUTH", "pw"]); // bad DB
    step(
        s,
        t,
        &[
            &["s", "SET", "a", "1"],
            &["s", "SET", "b", "2"],
            &["t", "SET", "b", "old"],
        ],
        &["", "0", "5000", "AUTH", "pw", "KEYS", "a", "b", "k"],
    ); // b refused; a and k moved
    step(
        s,
        t,
        &[&["s", "SET", "a", "1"], &["s", "SET", "b", "2"]],
        &[
            "", "0", "5000", "COPY", "REPLACE", "AUTH", "pw", "KEYS", "nope", "a", "b",
        ],
    );
    step(
        s,
        t,
        &[&["s", "DEL", "k"]],
        &["k", "0", "5000", "AUTH", "pw"],
    ); // NOKEY
    out
}

/// Gives `n` the password `pw` and a user `mover` (password `secret`).
fn protect(n: &dyn Node) {
    let mut c = n.conn();
    let add = ["ACL", "SETUSER", "mover", "on", ">secret", "~*", "+@all"];
    assert_eq!(calls(&mut c, &add), "+OK\r\n");
    let pass = ["CONFIG", "SET", "requirepass", "pw"];
    assert_eq!(calls(&mut c, &pass), "+OK\r\n");
}

/// Auth, COPY, REPLACE, the destination DB, BUSYKEY and the target's
/// other errors, the KEYS form with a refused key: FlashDB as the source,
/// the target or both give what redis-server to redis-server gives.
#[test]
fn scenarios_match_redis_to_redis() {
    let (Some(rs), Some(rt)) = (RedisRef::start(), RedisRef::start()) else {
        return;
    };
    protect(&rt);
    let want = scenarios(&rs, &rt);
    assert!(want[0].contains("NOAUTH"), "{}", want[0]);
    assert!(want[4].contains("BUSYKEY"), "{}", want[4]);
    let fs = TestServer::start();
    let ft = TestServer::start();
    protect(&ft);
    for (name, got) in [
        ("flashdb -> redis", scenarios(&fs, &rt)),
        ("redis -> flashdb", scenarios(&rs, &ft)),
        ("flashdb -> flashdb", scenarios(&fs, &ft)),
    ] {
        for (w, g) in want.iter().zip(&got) {
            assert_eq!(g, w, "{name}");
        }
    }
}

/// Replies that need no working target, byte for byte with redis-server:
/// arity and syntax errors, the KEYS rule, bad numbers, NOKEY, a refused
/// connection, and the command table's view of MIGRATE.
#[test]
fn replies_match_redis() {
    let closed = free_port().to_string();
    let c = |l: &str| l.replace("CLOSED", &closed);
    let lines: Vec<String> = [
        "MIGRATE",
        "MIGRATE h 1 k 0",
        "MIGRATE h 1 k 0 10 FOO",
        "MIGRATE h 1 k 0 10 COPY REPLACE FOO",
        "MIGRATE h 1 k 0 10 AUTH",
        "MIGRATE h 1 k 0 10 AUTH2 u",
        "MIGRATE h 1 k 0 10 KEYS a",
        "MIGRATE h 1 k 0 x",
        "MIGRATE h 1 k x 10",
        "MIGRATE h 1 k 0 10",
        "MIGRATE h 1 \"\" 0 10",
        "MIGRATE h 1 \"\" 0 10 KEYS",
        "MIGRATE h 1 \"\" 0 10 KEYS a b",
        "SET k v",
        "MIGRATE 127.0.0.1 CLOSED k 0 1000",
        "MIGRATE 127.0.0.1 CLOSED \"\" 0 1000 AUTH pw KEYS nope k",
        "MIGRATE 127.0.0.1 notaport k 0 1000",
        "MIGRATE 127.0.0.1 -1 k 0 1000",
        "MIGRATE 127.0.0.1 65536 k 0 1000",
        "MIGRATE nosuchhost.invalid 6379 k 0 1000",
        "MIGRATE 127.0.0.1 CLOSED k 0 10 COPY REPLACE AUTH",
        "EXISTS k",
        "COMMAND INFO migrate",
        "COMMAND GETKEYS MIGRATE h 1 k 0 10",
        "COMMAND GETKEYS MIGRATE h 1 \"\" 0 10",
        "COMMAND GETKEYS MIGRATE h 1 \"\" 0 10 KEYS",
        "COMMAND GETKEYS MIGRATE h 1 \"\" 0 10 COPY KEYS a b",
        "COMMAND GETKEYS MIGRATE h 1 \"\" 0 10 KEYS KEYS",
        "COMMAND GETKEYS MIGRATE h 1 k 0 10 KEYS a",
        "COMMAND GETKEYS MIGRATE h 1 k 0 10 COPY KEYS",
        "COMMAND GETKEYS MIGRATE h 1 \"\" 0 10 AUTH keys KEYS a",
        "COMMAND GETKEYS MIGRATE h 1 \"\" 0 10 AUTH2 u keys KEYS a",
        "COMMAND GETKEYSANDFLAGS MIGRATE h 1 \"\" 0 10 KEYS a b",
        "COMMAND GETKEYSANDFLAGS MIGRATE h 1 k 0 10",
        "ACL DRYRUN default MIGRATE h 1 k 0 10",
    ]
    .iter()
    .map(|l| c(l))
    .collect();
    let lines: Vec<&str> = lines.iter().map(|s| s.as_str()).collect();
    differential_with_redis(&split_cases(&lines), raw_replies);
}

/// ACL key patterns apply to the keys MIGRATE moves, as in Redis.
#[test]
fn acl_key_checks_match_redis() {
    let lines = [
        "ACL SETUSER u on nopass ~a* +@all",
        "ACL DRYRUN u MIGRATE h 1 ab 0 10",
        "ACL DRYRUN u MIGRATE h 1 k 0 10",
        "ACL DRYRUN u MIGRATE h 1 \"\" 0 10 KEYS a1 a2",
        "ACL DRYRUN u MIGRATE h 1 \"\" 0 10 KEYS a1 k",
        "ACL SETUSER w on nopass ~* +@all -@dangerous",
        "ACL DRYRUN w MIGRATE h 1 a 0 10",
        "ACL SETUSER r on nopass %R~* +@all",
        "ACL DRYRUN r MIGRATE h 1 a 0 10",
    ];
    differential_with_redis(&split_cases(&lines), |s, cases| {
        // Only the verdicts: the denial texts name the user and command
        // alike, but the ACL users must be reset between the two runs.
        let v = raw_replies(s, cases);
        for u in ["u", "w", "r"] {
            let _ = calls(s, &["ACL", "DELUSER", u]);
        }
        v
    });
}

/// A target that accepts but never answers: IOERR once the timeout has
/// passed (no retry after a timeout), the key still here; a refused
/// connection fails at once.
#[test]
fn silent_or_unreachable_target() {
    let srv = TestServer::start();
    let mut c = srv.conn();
    assert_eq!(calls(&mut c, &["SET", "k", "v"]), "+OK\r\n");
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port().to_string();
    let holder = std::thread::spawn(move || {
        let (conn, _) = silent.accept().unwrap();
        std::thread::sleep(Duration::from_secs(3));
        drop(conn);
    });
    let t = Instant::now();
    let reply = calls(&mut c, &["MIGRATE", "127.0.0.1", &port, "k", "0", "300"]);
    let took = t.elapsed();
    assert_eq!(
        reply,
        "-IOERR error or timeout reading to target instance\r\n"
    );
    assert!(took >= Duration::from_millis(250), "{took:?}");
    assert!(took < Duration::from_millis(2500), "{took:?}");
    assert_eq!(calls(&mut c, &["EXISTS", "k"]), ":1\r\n");
    holder.join().unwrap();
    let closed = free_port().to_string();
    let t = Instant::now();
    let reply = calls(&mut c, &["MIGRATE", "127.0.0.1", &closed, "k", "0", "5000"]);
    // Redis learns of the refusal when it writes.
    assert_eq!(
        reply,
        "-IOERR error or timeout writing to target instance\r\n"
    );
    assert!(t.elapsed() < Duration::from_secs(2));
    assert_eq!(calls(&mut c, &["GET", "k"]), "$1\r\nv\r\n");
}

/// The deletion is logged: after a restart of the source the moved keys
/// are still gone (a COPY's key still there), and each fired `del`.
#[test]
fn deletion_survives_restart_and_notifies() {
    let dir = temp_dir("migrate-wal");
    let target = TestServer::start();
    let port = target.port.to_string();
    let mut srv = TestServer::start_in(dir.clone(), &["--notify-keyspace-events", "KEA"]);
    let mut c = srv.conn();
    let mut sub = srv.conn();
    assert!(calls(&mut sub, &["SUBSCRIBE", "__keyevent@0__:del"]).contains("subscribe"));
    for k in ["a", "b", "kept"] {
        assert_eq!(calls(&mut c, &["SET", k, "v"]), "+OK\r\n");
    }
    let moved = [
        "MIGRATE",
        "127.0.0.1",
        &port,
        "",
        "0",
        "5000",
        "KEYS",
        "a",
        "b",
    ];
    assert_eq!(calls(&mut c, &moved), "+OK\r\n");
    let copied = ["MIGRATE", "127.0.0.1", &port, "kept", "0", "5000", "COPY"];
    assert_eq!(calls(&mut c, &copied), "+OK\r\n");
    for k in ["a", "b"] {
        let msg = String::from_utf8_lossy(&read_reply(&mut sub)).into_owned();
        assert!(msg.ends_with(&format!("$1\r\n{k}\r\n")), "{msg}");
    }
    let mut t = target.conn();
    assert_eq!(calls(&mut t, &["DBSIZE"]), ":3\r\n");
    drop((c, sub));
    assert!(srv.terminate().success());
    let srv = TestServer::start_in(dir, &[]);
    let mut c = srv.conn();
    assert_eq!(calls(&mut c, &["EXISTS", "a", "b"]), ":0\r\n");
    assert_eq!(calls(&mut c, &["GET", "kept"]), "$1\r\nv\r\n");
}

/// A cached connection the target has closed meanwhile: the next MIGRATE
/// fails on it before any reply, retries on a fresh one and succeeds.
#[test]
fn a_closed_cached_connection_is_replaced() {
    let (src, target) = (TestServer::start(), TestServer::start());
    let port = target.port.to_string();
    let (mut c, mut t) = (src.conn(), target.conn());
    for k in ["a", "b"] {
        assert_eq!(calls(&mut c, &["SET", k, "v"]), "+OK\r\n");
    }
    let info = |c: &mut TcpStream| calls(c, &["INFO", "stats"]);
    assert_eq!(
        calls(&mut c, &["MIGRATE", "127.0.0.1", &port, "a", "0", "2000"]),
        "+OK\r\n"
    );
    assert!(info(&mut c).contains("migrate_cached_sockets:1\r\n"));
    assert_eq!(
        calls(&mut t, &["CLIENT", "KILL", "SKIPME", "yes"]),
        ":1\r\n"
    );
    assert_eq!(
        calls(&mut c, &["MIGRATE", "127.0.0.1", &port, "b", "0", "2000"]),
        "+OK\r\n"
    );
    assert_eq!(
        calls(&mut t, &["MGET", "a", "b"]),
        "*2\r\n$1\r\nv\r\n$1\r\nv\r\n"
    );
    assert!(info(&mut c).contains("migrate_cached_sockets:1\r\n"));
}
