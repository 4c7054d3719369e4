//! Redis's RDB format through real clients: DUMP / RESTORE in both
//! directions between redis-server and FlashDB for every type and every
//! encoding Redis 7.0 produces (streams with deleted entries, several
//! nodes and consumer groups included), RESTORE's options and errors byte
//! for byte, keyspace events, RESTORE across a restart and a snapshot, and
//! importing a dump.rdb that redis-server wrote (several DBs, TTLs, expired
//! keys, streams), including damaged files and damaged stream payloads.

mod common;
#[path = "common/values.rs"]
mod values;

use common::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;
use values::*;

/// Sends one command with binary arguments on a raw connection; the raw reply.
fn exchange(s: &mut TcpStream, args: &[&[u8]]) -> Vec<u8> {
    s.write_all(&cmd(args)).unwrap();
    read_reply(s)
}

/// DUMPs `key` on `from` and RESTOREs it on `to` (REPLACE).
fn restore_from(from: &mut redis::Connection, to: &mut redis::Connection, key: &str) {
    let payload: Vec<u8> = bq(from, &[b"DUMP", key.as_bytes()]);
    let ok: String = bq(
        to,
        &[b"RESTORE", key.as_bytes(), b"0", &payload, b"REPLACE"],
    );
    assert_eq!(ok, "OK", "{key}");
}

fn encoding(c: &mut redis::Connection, key: &str) -> String {
    q(c, &["OBJECT", "ENCODING", key])
}

#[test]
fn dump_on_redis_restore_on_flashdb() {
    let Some(r) = RedisRef::start_with(&["--enable-debug-command", "yes"]) else {
        return;
    };
    let mut rc = redis_conn(r.port);
    // Compressed quicklist nodes and plain nodes (elements over the packed
    // threshold), as Redis 7.0 writes them.
    let _: () = q(&mut rc, &["CONFIG", "SET", "list-compress-depth", "1"]);
    let _: () = q(&mut rc, &["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "100"]);
    let mut keys = fill(&mut rc);
    let big = "y".repeat(300);
    let _: i64 = q(&mut rc, &["RPUSH", "l:plain", "a", &big, "b", &big]);
    keys.push("l:plain".into());
    let srv = TestServer::start();
    let mut fc = srv.client();
    for k in &keys {
        restore_from(&mut rc, &mut fc, k);
        assert_eq!(show(&mut fc, k), show(&mut rc, k), "{k}");
        assert_eq!(
            encoding(&mut fc, k),
            encoding(&mut rc, k),
            "encoding of {k}"
        );
    }
}

#[test]
fn dump_on_flashdb_restore_on_redis() {
    let Some(r) = RedisRef::start() else {
        return;
    };
    let mut rc = redis_conn(r.port);
    let srv = TestServer::start();
    let mut fc = srv.client();
    let keys = fill(&mut fc);
    to_redis_and_back(&mut fc, &mut rc, &keys, show);
    let streams = fill_streams(&mut fc);
    to_redis_and_back(&mut fc, &mut rc, &streams, show_stream);
    // Strings FlashDB dumps are byte-identical to Redis's when Redis would
    // not compress them.
    for k in ["s:small", "s:i8", "s:i16", "s:i32", "s:bin", "s:empty"] {
        let a: Vec<u8> = bq(&mut fc, &[b"DUMP", k.as_bytes()]);
        let b: Vec<u8> = bq(&mut rc, &[b"DUMP", k.as_bytes()]);
        assert_eq!(a, b, "{k}");
    }
}

/// FlashDB's DUMP cuts nodes where its appends did under the configured
/// `stream-node-max-entries` / `stream-node-max-bytes`: RESTOREd on a
/// default-config redis-server, a stream has the nodes (and entries) a
/// redis-server built with the same XADDs under the same limits.
#[test]
fn stream_dump_keeps_configured_node_boundaries() {
    let (Some(src), Some(dst)) = (RedisRef::start(), RedisRef::start()) else {
        return;
    };
    let mut rc = redis_conn(src.port);
    let mut dc = redis_conn(dst.port);
    let srv = TestServer::start();
    let mut fc = srv.client();
    let limits = [
        ("0", "0"),
        ("5", "200"),
        ("1000", "0"),
        ("3", "4096"),
        ("0", "300"),
    ];
    for (i, (e, b)) in limits.iter().enumerate() {
        let key = format!("cfg{i}");
        for c in [&mut rc, &mut fc] {
            let _: () = q(c, &["CONFIG", "SET", "stream-node-max-entries", e]);
            let _: () = q(c, &["CONFIG", "SET", "stream-node-max-bytes", b]);
            for j in 1..=250 {
                let v = "x".repeat(j % 7 * 10);
                let _: String = q(c, &["XADD", &key, &format!("{j}-1"), "f", &v]);
            }
            let _: i64 = q(c, &["XDEL", &key, "7-1", "8-1"]);
        }
        let want = radix_keys(&mut rc, &key);
        assert_eq!(radix_keys(&mut fc, &key), want, "{key} on FlashDB");
        restore_from(&mut fc, &mut dc, &key);
        assert_eq!(radix_keys(&mut dc, &key), want, "{key} restored on redis");
        let a: redis::Value = q(&mut dc, &["XRANGE", &key, "-", "+"]);
        let b: redis::Value = q(&mut rc, &["XRANGE", &key, "-", "+"]);
        assert_eq!(a, b, "{key}");
    }
}

/// DUMPs each key on FlashDB (`fc`) and RESTOREs it on Redis (`rc`), also
/// under `sanitize-dump-payload yes`; then Redis's own DUMP of it back on
/// FlashDB. `show` must agree after each step.
fn to_redis_and_back<T: PartialEq + std::fmt::Debug>(
    fc: &mut redis::Connection,
    rc: &mut redis::Connection,
    keys: &[String],
    show: impl Fn(&mut redis::Connection, &str) -> T,
) {
    for k in keys {
        let payload: Vec<u8> = bq(fc, &[b"DUMP", k.as_bytes()]);
        let ok: String = bq(rc, &[b"RESTORE", k.as_bytes(), b"0", &payload]);
        assert_eq!(ok, "OK", "{k}");
        assert_eq!(show(rc, k), show(fc, k), "{k}");
        // Redis's deep sanitization accepts it too.
        let _: () = q(rc, &["CONFIG", "SET", "sanitize-dump-payload", "yes"]);
        let ok: String = bq(rc, &[b"RESTORE", b"copy", b"0", &payload, b"REPLACE"]);
        assert_eq!(ok, "OK", "{k} sanitized");
        let _: () = q(rc, &["CONFIG", "SET", "sanitize-dump-payload", "no"]);
        let _: i64 = q(rc, &["DEL", "copy"]);
        // And back: Redis's own DUMP of it restores on FlashDB to the same.
        let again: Vec<u8> = bq(rc, &[b"DUMP", k.as_bytes()]);
        let ok: String = bq(fc, &[b"RESTORE", k.as_bytes(), b"0", &again, b"REPLACE"]);
        assert_eq!(ok, "OK");
        assert_eq!(show(fc, k), show(rc, k), "{k} back");
    }
}

/// A DUMP payload around `body` (a type byte and value) with a valid footer.
fn payload(body: &[u8], ver: u16) -> Vec<u8> {
    let mut p = body.to_vec();
    p.extend_from_slice(&ver.to_le_bytes());
    let crc = flashdb::persist::rdb::crc64::crc64(&p);
    p.extend_from_slice(&crc.to_le_bytes());
    p
}

/// RESTORE's options and every error, byte for byte, on both servers.
fn restore_cases(p: &[u8]) -> Vec<Vec<Vec<u8>>> {
    let mut bad_crc = p.to_vec();
    let n = bad_crc.len();
    bad_crc[n - 1] ^= 1;
    let body = &p[..p.len() - 10];
    let v11 = payload(body, 11);
    let v6 = payload(body, 6);
    let cases: Vec<Vec<&[u8]>> = vec![
        vec![b"DUMP", b"nokey"],
        vec![b"RESTORE", b"k", b"0", p],
        vec![b"RESTORE", b"k", b"0", p],
        vec![b"RESTORE", b"k", b"0", p, b"REPLACE"],
        vec![b"GET", b"k"],
        vec![b"RESTORE", b"k", b"-1", p, b"REPLACE"],
        vec![b"RESTORE", b"k", b"abc", p, b"REPLACE"],
        vec![b"RESTORE", b"k", b"-1", p],
        vec![b"RESTORE", b"k2", b"-1", p],
        vec![b"RESTORE", b"k2", b"0", &bad_crc],
        vec![b"RESTORE", b"k2", b"0", b"short"],
        vec![b"RESTORE", b"k2", b"0", b""],
        vec![b"RESTORE", b"k2", b"0", &v11],
        vec![b"RESTORE", b"k2", b"0", &v6],
        vec![b"GET", b"k2"],
        vec![b"RESTORE", b"k2", b"0", p, b"FOO"],
        vec![b"RESTORE", b"k2", b"0", p, b"IDLETIME"],
        vec![b"RESTORE", b"k2", b"0", p, b"IDLETIME", b"-1"],
        vec![b"RESTORE", b"k2", b"0", p, b"IDLETIME", b"x"],
        vec![b"RESTORE", b"k2", b"0", p, b"FREQ", b"256"],
        vec![b"RESTORE", b"k2", b"0", p, b"FREQ", b"-1"],
        vec![
            b"RESTORE",
            b"k2",
            b"0",
            p,
            b"IDLETIME",
            b"10",
            b"FREQ",
            b"5",
        ],
        vec![
            b"RESTORE",
            b"k2",
            b"0",
            p,
            b"FREQ",
            b"5",
            b"IDLETIME",
            b"10",
        ],
        vec![
            b"RESTORE", b"k2", b"0", p, b"replace", b"absttl", b"freq", b"5",
        ],
        vec![b"RESTORE", b"k"],
        vec![b"RESTORE", b"k", b"0"],
        // Already expired: nothing created; over an existing key with
        // REPLACE, the key is deleted.
        vec![b"RESTORE", b"gone", b"1", p, b"ABSTTL"],
        vec![b"EXISTS", b"gone"],
        vec![b"RESTORE", b"k", b"1", p, b"ABSTTL", b"REPLACE"],
        vec![b"EXISTS", b"k"],
        vec![b"RESTORE", b"k", b"1", p, b"ABSTTL"],
        vec![b"RESTORE", b"abs", b"4102444800000", p, b"ABSTTL"],
        vec![b"PEXPIRETIME", b"abs"],
        vec![b"RESTORE", b"idle", b"0", p, b"IDLETIME", b"1000"],
        vec![b"OBJECT", b"FREQ", b"idle"],
        vec![b"RESTORE", b"k3", b"0", p, b"FREQ", b"100"],
        vec![b"TYPE", b"k3"],
        vec![b"SET", b"str", b"x"],
        vec![b"RESTORE", b"str", b"0", p],
    ];
    cases
        .into_iter()
        .map(|c| c.into_iter().map(|a| a.to_vec()).collect())
        .collect()
}

/// Payloads Redis refuses as "Bad data format".
fn bad_payloads() -> Vec<Vec<u8>> {
    vec![
        payload(&[99, 1, b'x'], 10),                        // unknown type
        payload(&[2, 0], 10),                               // an empty set
        payload(&[1, 0], 10),                               // an empty list
        payload(&[2, 2, 1, b'a', 1, b'a'], 10),             // duplicate set members
        payload(&[0, 5, b'x'], 10),                         // a string cut short
        payload(&[2, 0x80, 0, 1, 0x86, 0xa0, 1, b'a'], 10), // a count of 100000, one member
        payload(&[0], 10),                                  // a type and nothing else
        payload(&[], 10),                                   // nothing at all
        payload(&[15, 0], 10),                              // a stream cut short
    ]
}

fn run_cases(s: &mut TcpStream, cases: &[Vec<Vec<u8>>]) -> Vec<Vec<u8>> {
    cases
        .iter()
        .map(|c| {
            let a: Vec<&[u8]> = c.iter().map(|x| x.as_slice()).collect();
            exchange(s, &a)
        })
        .collect()
}

#[test]
fn restore_replies_match_redis() {
    let p = payload(&[0, 5, b'h', b'e', b'l', b'l', b'o'], 10);
    let mut cases = restore_cases(&p);
    for (i, b) in bad_payloads().into_iter().enumerate() {
        cases.push(vec![
            b"RESTORE".to_vec(),
            format!("bad{i}").into_bytes(),
            b"0".to_vec(),
            b,
        ]);
    }
    differential_with_redis(&cases, run_cases);
}

/// A small hash with a duplicate field: Redis 7.0 only finds it with
/// `sanitize-dump-payload yes` (deep checks); FlashDB always checks, so it
/// answers as Redis does with that setting.
#[test]
fn duplicate_hash_fields_refused_as_with_sanitize_dump_payload() {
    let dup = payload(&[4, 2, 1, b'f', 1, b'v', 1, b'f', 1, b'w'], 10);
    let cases: Vec<Vec<Vec<u8>>> = vec![
        vec![b"RESTORE".to_vec(), b"dup".to_vec(), b"0".to_vec(), dup],
        vec![b"EXISTS".to_vec(), b"dup".to_vec()],
    ];
    let Some(r) = RedisRef::start_with(&["--sanitize-dump-payload", "yes"]) else {
        return;
    };
    let srv = TestServer::start();
    differential(&srv, &r, &cases, run_cases);
}

/// A count of 2^32-1 members in a few bytes: refused at once, without
/// allocating for it (redis-server 7.0 allocates a 32 GB table first and
/// answers the same error after seconds, so it is not compared here).
#[test]
fn restore_refuses_a_hostile_count_at_once() {
    let srv = TestServer::start();
    let mut s = srv.raw();
    let p = payload(&[2, 0x80, 0xff, 0xff, 0xff, 0xff, 1, b'a'], 10);
    let t = std::time::Instant::now();
    assert_eq!(
        exchange(&mut s, &[b"RESTORE", b"k", b"0", &p]),
        b"-ERR Bad data format\r\n"
    );
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    let mut c = srv.client();
    assert!(used_memory(&mut c) < 64 << 20);
}

#[test]
fn restore_freq_under_lfu_matches_redis() {
    let p = payload(&[0, 5, b'h', b'e', b'l', b'l', b'o'], 10);
    let cases: Vec<Vec<Vec<u8>>> = [
        vec![&b"RESTORE"[..], b"f", b"0", &p, b"FREQ", b"100"],
        vec![b"OBJECT", b"FREQ", b"f"],
        vec![b"RESTORE", b"i", b"0", &p, b"IDLETIME", b"100"],
        vec![b"OBJECT", b"IDLETIME", b"i"],
        vec![b"RESTORE", b"g", b"0", &p, b"FREQ", b"0"],
        vec![b"OBJECT", b"FREQ", b"g"],
    ]
    .into_iter()
    .map(|c| c.into_iter().map(|a| a.to_vec()).collect())
    .collect();
    let Some(r) = RedisRef::start_with(&["--maxmemory-policy", "allkeys-lfu"]) else {
        return;
    };
    let srv = TestServer::start_with(&["--maxmemory-policy", "allkeys-lfu"]);
    differential(&srv, &r, &cases, run_cases);
}

#[test]
fn restore_idletime_and_ttl() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let p = payload(&[0, 1, b'v'], 10);
    let _: String = bq(&mut c, &[b"RESTORE", b"k", b"0", &p, b"IDLETIME", b"1000"]);
    let idle: i64 = q(&mut c, &["OBJECT", "IDLETIME", "k"]);
    assert!((1000..=1002).contains(&idle), "{idle}");
    let _: String = bq(&mut c, &[b"RESTORE", b"t", b"100000", &p]);
    let ttl: i64 = q(&mut c, &["PTTL", "t"]);
    assert!((98_000..=100_000).contains(&ttl), "{ttl}");
}

/// Reads pushed messages until none arrives for a while.
fn drain(s: &mut TcpStream) -> Vec<Vec<u8>> {
    s.set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut out = Vec::new();
    loop {
        let mut b = [0u8; 1];
        match s.peek(&mut b) {
            Ok(n) if n > 0 => out.push(read_reply(s)),
            _ => break,
        }
    }
    out
}

#[test]
fn restore_keyspace_events_match_redis() {
    let Some(r) = RedisRef::start() else {
        return;
    };
    let srv = TestServer::start();
    let p = payload(&[0, 1, b'v'], 10);
    let mut events = Vec::new();
    for port in [r.port, srv.port] {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        assert_eq!(
            calls(&mut s, &["CONFIG", "SET", "notify-keyspace-events", "KEA"]),
            "+OK\r\n"
        );
        let mut sub = TcpStream::connect(("127.0.0.1", port)).unwrap();
        sub.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        sub.write_all(&cmd(&[b"PSUBSCRIBE", b"__key*__:*"]))
            .unwrap();
        read_reply(&mut sub);
        for c in [
            vec![&b"RESTORE"[..], b"k", b"0", &p],
            vec![b"RESTORE", b"k", b"0", &p, b"REPLACE"],
            vec![b"RESTORE", b"k", b"100000", &p, b"REPLACE"],
            vec![b"RESTORE", b"k", b"1", &p, b"REPLACE", b"ABSTTL"],
            vec![b"RESTORE", b"k", b"0", &p, b"BAD"],
        ] {
            exchange(&mut s, &c);
        }
        events.push(drain(&mut sub));
    }
    let text = |v: &Vec<Vec<u8>>| {
        v.iter()
            .map(|m| String::from_utf8_lossy(m).replace("\r\n", " "))
            .collect::<Vec<_>>()
    };
    assert!(!events[0].is_empty());
    assert_eq!(text(&events[1]), text(&events[0]));
}

#[test]
fn restore_survives_restart_and_snapshot() {
    let dir = temp_dir("rdb-restart");
    let Some(r) = RedisRef::start() else {
        return;
    };
    let mut rc = redis_conn(r.port);
    let keys = fill(&mut rc);
    let mut srv = TestServer::start_in(dir.clone(), &[]);
    let mut c = srv.client();
    let mut want = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        let p: Vec<u8> = bq(&mut rc, &[b"DUMP", k.as_bytes()]);
        // Every other key with a TTL (relative, so logged as absolute).
        let ttl = if i % 2 == 0 { "0" } else { "500000" };
        let _: String = bq(&mut c, &[b"RESTORE", k.as_bytes(), ttl.as_bytes(), &p]);
        want.push((
            k.clone(),
            show(&mut c, k),
            q::<i64>(&mut c, &["PEXPIRETIME", k]),
        ));
    }
    // REPLACE over an existing key, logged too.
    let p: Vec<u8> = bq(&mut rc, &[b"DUMP", b"h:small"]);
    let _: String = bq(&mut c, &[b"RESTORE", b"s:small", b"0", &p, b"REPLACE"]);
    want[0] = ("s:small".into(), show(&mut c, "s:small"), -1);
    let check = |srv: &TestServer, when: &str| {
        let mut c = srv.client();
        for (k, v, exp) in &want {
            assert_eq!(&show(&mut c, k), v, "{k} after {when}");
            assert_eq!(
                q::<i64>(&mut c, &["PEXPIRETIME", k]),
                *exp,
                "{k} after {when}"
            );
        }
    };
    drop(c);
    assert!(srv.terminate().success());
    let mut srv = TestServer::start_in(dir.clone(), &[]);
    check(&srv, "WAL replay");
    let mut c = srv.client();
    let _: String = q(&mut c, &["SAVE"]);
    drop(c);
    assert!(srv.terminate().success());
    let srv = TestServer::start_in(dir, &[]);
    check(&srv, "snapshot");
}

/// Starts flashdb expecting it to exit: (success, stdout + stderr + log).
fn run_to_exit(dir: &Path, extra: &[&str]) -> (bool, String) {
    let port = free_port().to_string();
    let mut child = Command::new(binary())
        .args([
            "--port",
            &port,
            "--dir",
            dir.to_str().unwrap(),
            "--http-port",
            "0",
        ])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let t = std::time::Instant::now();
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            let mut out = String::new();
            child
                .stdout
                .take()
                .unwrap()
                .read_to_string(&mut out)
                .unwrap();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut out)
                .unwrap();
            return (st.success(), out);
        }
        if t.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("flashdb {extra:?} did not exit");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn snapshots_in(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("snapshots"))
        .map(|d| d.count())
        .unwrap_or(0)
}

#[test]
fn import_a_redis_dump_rdb() {
    let rdir = temp_dir("rdb-redis");
    let Some(r) =
        RedisRef::start_with(&["--dir", rdir.to_str().unwrap(), "--dbfilename", "dump.rdb"])
    else {
        return;
    };
    let mut rc = redis_conn(r.port);
    let mut all: Vec<(String, String)> = Vec::new(); // (db, key)
    for db in ["0", "1", "5"] {
        let _: () = q(&mut rc, &["SELECT", db]);
        for k in fill(&mut rc) {
            all.push((db.into(), k));
        }
        // TTLs in seconds and milliseconds, far off.
        let _: i64 = q(&mut rc, &["EXPIRE", "s:small", "100000"]);
        let _: i64 = q(&mut rc, &["PEXPIREAT", "h:big", "4102444800123"]);
        // Soon expired: in the file, gone by the time FlashDB loads it.
        let _: () = q(&mut rc, &["SET", "soon", "x", "PX", "1500"]);
        let _: i64 = q(&mut rc, &["SADD", "soonset", "a", "b"]);
        let _: i64 = q(&mut rc, &["PEXPIRE", "soonset", "1500"]);
    }
    let _: () = q(&mut rc, &["SELECT", "0"]);
    let _: String = q(&mut rc, &["SAVE"]);
    let file = rdir.join("dump.rdb");
    let data = std::fs::read(&file).unwrap();
    std::thread::sleep(Duration::from_millis(1600));

    let dir = temp_dir("rdb-import");
    let mut srv = TestServer::start_in(dir.clone(), &["--import-rdb", file.to_str().unwrap()]);
    assert!(srv.log().contains("import-rdb"), "{}", srv.log());
    let check = |srv: &TestServer, rc: &mut redis::Connection, when: &str| {
        let mut c = srv.client();
        for db in ["0", "1", "5"] {
            let _: () = q(&mut c, &["SELECT", db]);
            let _: () = q(rc, &["SELECT", db]);
            let n: i64 = q(&mut c, &["DBSIZE"]);
            assert_eq!(
                n as usize,
                all.iter().filter(|(d, _)| d == db).count(),
                "db {db} {when}"
            );
            for (_, k) in all.iter().filter(|(d, _)| d == db) {
                assert_eq!(show(&mut c, k), show(rc, k), "db {db} {k} {when}");
                assert_eq!(
                    q::<i64>(&mut c, &["PEXPIRETIME", k]),
                    q::<i64>(rc, &["PEXPIRETIME", k]),
                    "db {db} {k} {when}"
                );
                assert_eq!(encoding(&mut c, k), encoding(rc, k), "db {db} {k} {when}");
            }
            for gone in ["soon", "soonset"] {
                assert_eq!(q::<i64>(&mut c, &["EXISTS", gone]), 0, "{when}");
            }
        }
        let n: i64 = {
            let _: () = q(&mut c, &["SELECT", "2"]);
            q(&mut c, &["DBSIZE"])
        };
        assert_eq!(n, 0);
    };
    check(&srv, &mut rc, "the import");
    assert!(srv.terminate().success());

    // Restart without the option: the data is still there.
    let mut srv = TestServer::start_in(dir.clone(), &[]);
    check(&srv, &mut rc, "a restart");
    assert!(srv.terminate().success());

    // The option again, on a data dir that now holds data: refused.
    let (ok, out) = run_to_exit(&dir, &["--import-rdb", file.to_str().unwrap()]);
    assert!(!ok);
    assert!(out.contains("refusing to import"), "{out}");
    let srv = TestServer::start_in(dir, &[]);
    check(&srv, &mut rc, "the refused import");
    drop(srv);

    // Damaged files: refused with the file and the offset, nothing kept.
    let dmg = temp_dir("rdb-damaged");
    let truncated = dmg.join("truncated.rdb");
    std::fs::write(&truncated, &data[..data.len() / 2]).unwrap();
    let flipped = dmg.join("flipped.rdb");
    let mut f = data.clone();
    let n = f.len();
    f[n / 3] ^= 0x10;
    std::fs::write(&flipped, &f).unwrap();
    let nocrc = dmg.join("short-eof.rdb");
    std::fs::write(&nocrc, &data[..n - 4]).unwrap();
    let garbage = dmg.join("garbage.rdb");
    std::fs::write(&garbage, b"REDIS0010\x00\x01x\x07").unwrap();
    let notrdb = dmg.join("not.rdb");
    std::fs::write(&notrdb, b"hello world").unwrap();
    for bad in [&truncated, &flipped, &nocrc, &garbage, &notrdb] {
        let d = temp_dir("rdb-damaged-dir");
        let (ok, out) = run_to_exit(&d, &["--import-rdb", bad.to_str().unwrap()]);
        assert!(!ok, "{}: {out}", bad.display());
        assert!(out.contains(&bad.display().to_string()), "{out}");
        assert!(out.contains("byte offset"), "{out}");
        assert_eq!(snapshots_in(&d), 0, "{}", bad.display());
        // Nothing half-imported: a start without the option is empty.
        let srv = TestServer::start_in(d, &[]);
        let mut c = srv.client();
        assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 0);
    }
    let (ok, out) = run_to_exit(
        &temp_dir("rdb-missing"),
        &["--import-rdb", "/nonexistent/dump.rdb"],
    );
    assert!(!ok);
    assert!(out.contains("/nonexistent/dump.rdb"), "{out}");
}

#[test]
fn command_table_rows_match_redis() {
    let cases: Vec<Vec<Vec<u8>>> = [
        vec![&b"COMMAND"[..], b"INFO", b"dump", b"restore"],
        vec![b"COMMAND", b"DOCS", b"dump"],
        vec![b"COMMAND", b"GETKEYS", b"RESTORE", b"k", b"0", b"x"],
        vec![b"COMMAND", b"GETKEYS", b"DUMP", b"k"],
    ]
    .into_iter()
    .map(|c| c.into_iter().map(|a| a.to_vec()).collect())
    .collect();
    differential_with_redis(&cases, run_cases);
}

/// ACL: RESTORE is @dangerous, DUMP @read; key patterns apply to both.
#[test]
fn acl_checks_match_redis() {
    let p = payload(&[0, 1, b'v'], 10);
    let cases: Vec<Vec<Vec<u8>>> = [
        vec![
            &b"ACL"[..],
            b"SETUSER",
            b"safe",
            b"on",
            b"nopass",
            b"+@all",
            b"-@dangerous",
            b"~*",
        ],
        vec![
            b"ACL",
            b"SETUSER",
            b"keys",
            b"on",
            b"nopass",
            b"+@all",
            b"~allowed*",
        ],
        vec![
            b"ACL", b"SETUSER", b"reader", b"on", b"nopass", b"+@read", b"~*",
        ],
        vec![b"SET", b"allowed1", b"v"],
        vec![b"SET", b"other", b"v"],
        vec![b"AUTH", b"safe", b"x"],
        vec![b"RESTORE", b"k", b"0", &p],
        vec![b"DUMP", b"other"],
        vec![b"AUTH", b"keys", b"x"],
        vec![b"RESTORE", b"allowed2", b"0", &p],
        vec![b"RESTORE", b"other2", b"0", &p],
        vec![b"DUMP", b"other"],
        vec![b"DUMP", b"allowed2"],
        vec![b"AUTH", b"reader", b"x"],
        vec![b"RESTORE", b"allowed3", b"0", &p],
        vec![b"DUMP", b"allowed2"],
        vec![b"AUTH", b"default", b"x"],
        vec![b"ACL", b"DELUSER", b"safe", b"keys", b"reader"],
    ]
    .into_iter()
    .map(|c| c.into_iter().map(|a| a.to_vec()).collect())
    .collect();
    differential_with_redis(&cases, run_cases);
}

/// redis-server writes a dump.rdb with `policy`, a function library and
/// keys restored with `opt value`; returns the file's path (kept in `dir`).
fn redis_file(dir: &Path, policy: &str, extra: &[&[u8]]) -> Option<std::path::PathBuf> {
    let r = RedisRef::start_with(&[
        "--dir",
        dir.to_str().unwrap(),
        "--dbfilename",
        "dump.rdb",
        "--maxmemory-policy",
        policy,
    ])?;
    let mut rc = redis_conn(r.port);
    let p = payload(&[0, 1, b'v'], 10);
    let lib = "#!lua name=mylib\nredis.register_function('f', function() return 1 end)";
    let _: String = q(&mut rc, &["FUNCTION", "LOAD", lib]);
    let mut args: Vec<&[u8]> = vec![b"RESTORE", b"k", b"0", &p];
    args.extend_from_slice(extra);
    let _: String = bq(&mut rc, &args);
    let _: String = q(&mut rc, &["SAVE"]);
    Some(dir.join("dump.rdb"))
}

#[test]
fn import_keeps_lfu_and_lru_information_and_skips_functions() {
    let rdir = temp_dir("rdb-lfu");
    let Some(file) = redis_file(&rdir, "allkeys-lfu", &[b"FREQ", b"100"]) else {
        return;
    };
    let srv = TestServer::start_with(&[
        "--maxmemory-policy",
        "allkeys-lfu",
        "--import-rdb",
        file.to_str().unwrap(),
    ]);
    assert!(
        srv.log().contains("skipped a function library"),
        "{}",
        srv.log()
    );
    let mut c = srv.client();
    assert_eq!(q::<i64>(&mut c, &["OBJECT", "FREQ", "k"]), 100);
    drop(srv);

    let rdir = temp_dir("rdb-lru");
    let Some(file) = redis_file(&rdir, "allkeys-lru", &[b"IDLETIME", b"5000"]) else {
        return;
    };
    let srv = TestServer::start_with(&[
        "--maxmemory-policy",
        "allkeys-lru",
        "--import-rdb",
        file.to_str().unwrap(),
    ]);
    let mut c = srv.client();
    let idle: i64 = q(&mut c, &["OBJECT", "IDLETIME", "k"]);
    assert!((5000..=5010).contains(&idle), "{idle}");
}

/// A redis-server holding `fill_streams`'s streams (None: not installed).
fn redis_with_streams() -> Option<(RedisRef, redis::Connection, Vec<String>)> {
    let r = RedisRef::start()?;
    let mut rc = redis_conn(r.port);
    let keys = fill_streams(&mut rc);
    Some((r, rc, keys))
}

#[test]
fn streams_dump_on_redis_restore_on_flashdb() {
    let Some((_r, mut rc, keys)) = redis_with_streams() else {
        return;
    };
    let srv = TestServer::start();
    let mut fc = srv.client();
    for k in &keys {
        restore_from(&mut rc, &mut fc, k);
        assert_eq!(show_stream(&mut fc, k), show_stream(&mut rc, k), "{k}");
    }
    // The node boundaries came along: the same approximate trims and
    // appends after the restore.
    for c in [&mut rc, &mut fc] {
        let _: i64 = q(c, &["XTRIM", "x:big", "MAXLEN", "~", "150"]);
        let _: i64 = q(c, &["XTRIM", "x:trim", "MAXLEN", "~", "60"]);
        let _: String = q(c, &["XADD", "x:trim", "200-0", "a", "b"]);
    }
    for k in ["x:big", "x:trim"] {
        assert_eq!(show_stream(&mut fc, k), show_stream(&mut rc, k), "{k}");
    }
}

#[test]
fn restored_streams_survive_snapshot_and_restart() {
    let Some((_r, mut rc, keys)) = redis_with_streams() else {
        return;
    };
    let dir = temp_dir("rdb-stream-restart");
    let mut srv = TestServer::start_in(dir.clone(), &[]);
    let mut fc = srv.client();
    let payloads: Vec<Vec<u8>> = keys
        .iter()
        .map(|k| bq(&mut rc, &[b"DUMP", k.as_bytes()]))
        .collect();
    for (k, p) in keys.iter().zip(&payloads) {
        let _: String = bq(&mut fc, &[b"RESTORE", k.as_bytes(), b"0", p]);
    }
    let _: String = q(&mut fc, &["SAVE"]);
    drop(fc);
    assert!(srv.terminate().success());
    // From the snapshot: everything but the node boundaries (packed
    // afresh when a snapshot loads).
    let mut srv = TestServer::start_in(dir.clone(), &[]);
    let mut fc = srv.client();
    let skip = ["radix-tree-keys"];
    for k in &keys {
        assert_eq!(
            show_stream_without(&mut fc, k, &skip),
            show_stream_without(&mut rc, k, &skip),
            "{k} from the snapshot"
        );
    }
    // From the WAL: the entries and counters (the WAL rebuilds groups
    // with XGROUP / XCLAIM, which cannot carry a pending entry already
    // deleted, nor seen times).
    for (k, p) in keys.iter().zip(&payloads) {
        let _: String = bq(&mut fc, &[b"RESTORE", k.as_bytes(), b"0", p, b"REPLACE"]);
    }
    drop(fc);
    assert!(srv.terminate().success());
    let srv = TestServer::start_in(dir, &[]);
    let mut fc = srv.client();
    for k in &keys {
        let a = show_stream_without(&mut fc, k, &skip);
        let b = show_stream_without(&mut rc, k, &skip);
        assert_eq!(a[..2], b[..2], "{k} from the WAL");
    }
}

#[test]
fn damaged_stream_payloads_are_bad_data() {
    let Some((r, mut rc, keys)) = redis_with_streams() else {
        return;
    };
    let srv = TestServer::start();
    let mut s = srv.raw();
    let mut x = 0x2545f4914f6cdd1du64;
    let mut rnd = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut refused = 0;
    for round in 0..600 {
        let k = &keys[round % keys.len()];
        let p: Vec<u8> = bq(&mut rc, &[b"DUMP", k.as_bytes()]);
        let mut body = p[..p.len() - 10].to_vec();
        let i = rnd() as usize % body.len();
        match rnd() % 3 {
            0 => body[i] ^= 1 << (rnd() % 8),
            1 => body[i] = rnd() as u8,
            _ => body.truncate(i),
        }
        let bad = payload(&body, 10);
        let reply = exchange(&mut s, &[b"RESTORE", b"d", b"0", &bad, b"REPLACE"]);
        if reply == b"-ERR Bad data format\r\n" {
            refused += 1;
        } else {
            assert_eq!(reply, b"+OK\r\n", "round {round}");
        }
    }
    assert!(refused > 300, "{refused}");
    assert_eq!(exchange(&mut s, &[b"PING"]), b"+PONG\r\n");
    // And some damage both servers refuse alike.
    let p: Vec<u8> = bq(&mut rc, &[b"DUMP", b"x:small"]);
    let cut = payload(&p[..p.len() - 14], 10);
    let mut rs = TcpStream::connect(("127.0.0.1", r.port)).unwrap();
    for bad in [cut, payload(&[19, 0], 10), payload(&[21, 1, 3, b'a'], 10)] {
        assert_eq!(
            exchange(&mut s, &[b"RESTORE", b"e", b"0", &bad]),
            exchange(&mut rs, &[b"RESTORE", b"e", b"0", &bad]),
        );
    }
}

#[test]
fn import_a_redis_dump_rdb_with_streams() {
    let rdir = temp_dir("rdb-stream");
    let Some(r) =
        RedisRef::start_with(&["--dir", rdir.to_str().unwrap(), "--dbfilename", "dump.rdb"])
    else {
        return;
    };
    let mut rc = redis_conn(r.port);
    let keys = fill_streams(&mut rc);
    let _: String = q(&mut rc, &["SAVE"]);
    let file = rdir.join("dump.rdb");
    let d = temp_dir("rdb-stream-dir");
    let srv = TestServer::start_in(d, &["--import-rdb", file.to_str().unwrap()]);
    let mut fc = srv.client();
    assert_eq!(q::<i64>(&mut fc, &["DBSIZE"]), keys.len() as i64);
    for k in &keys {
        assert_eq!(show_stream(&mut fc, k), show_stream(&mut rc, k), "{k}");
    }
}
