//! Durability through the real binary: restarts (clean and SIGKILL) keep
//! every acknowledged write with its TTL, snapshots plus the WAL tail
//! replay exactly once, torn and damaged WAL files, the data-dir lock, and
//! a failing disk (MISCONF).

mod common;
use common::*;
use std::io::Write;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// One write per line, covering every write command there is (each later
/// data type adds its commands here). Relative TTLs are far in the future
/// so the test never races them.
const WORKLOAD: &[&str] = &[
    "SET pre v",
    "FLUSHALL",
    // strings
    "SET s1 hello",
    "SET s2 v EX 1000",
    "SET s3 v PX 1000000",
    "SET s4 v EXAT 99999999999",
    "SET s5 v PXAT 99999999999000",
    "SET s2 v2 KEEPTTL",
    "SET s6 x NX",
    "SET s6 y XX GET",
    "SETNX s7 a",
    "SETEX s8 1000 a",
    "PSETEX s9 1000000 a",
    "GETSET s1 world",
    "MSET m1 1 m2 2 m3 3",
    "MSETNX m4 4 m5 5",
    "APPEND s1 !!",
    "SETRANGE s10 5 xyz",
    "INCR n1",
    "INCRBY n1 41",
    "DECR n2",
    "DECRBY n2 9",
    "INCRBYFLOAT f1 1.5",
    "INCRBYFLOAT f1 0.25",
    "GETDEL m3",
    "GETEX s7 EX 5000",
    "GETEX s9 PERSIST",
    // keys
    "SET k1 v",
    "EXPIRE k1 10000",
    "PEXPIRE m1 10000000",
    "EXPIREAT m2 99999999999",
    "PEXPIREAT n1 99999999999999",
    "PERSIST m2",
    "SET gone v",
    "EXPIRE gone -1",
    "DEL m4",
    "UNLINK m5",
    "SET r1 v EX 1000",
    "RENAME r1 r2",
    "SET r3 v",
    "RENAMENX r3 r4",
    "COPY r2 r5",
    "COPY r4 r6 DB 3",
    "SET mv v",
    "MOVE mv 2",
    // RESTORE (payloads whose CRC-64 happens to be printable): a string
    // with a relative TTL (logged as an absolute deadline), a list over an
    // existing key.
    "RESTORE rs 100000000 \x00\x0crestored6346\n\x00/%T#[@(R",
    "SET rl v",
    "RESTORE rl 0 \x01\x02\x05e1915\x01z\n\x00!hAwc^D6 REPLACE",
    // hashes
    "HSET h1 a 1 b 2 c 3",
    "HMSET h1 d 4",
    "HSETNX h1 e 5",
    "HDEL h1 a",
    "HINCRBY h1 b 10",
    "HINCRBYFLOAT h1 c 0.5",
    // lists
    "RPUSH l1 a b c d e f",
    "LPUSH l1 z",
    "LPUSHX l1 y",
    "RPUSHX l1 g",
    "LPOP l1",
    "RPOP l1 2",
    "LINSERT l1 BEFORE c cc",
    "LSET l1 0 first",
    "LREM l1 1 d",
    "LTRIM l1 0 4",
    "RPUSH l2 1 2 3",
    "LMOVE l2 l3 LEFT RIGHT",
    "RPOPLPUSH l2 l3",
    "LMPOP 2 l2 l1 RIGHT COUNT 1",
    // blocking pops with data present: logged as the pops they do
    "RPUSH bl 1 2 3 4 5 6",
    "BLPOP nobl bl 0",
    "BRPOP bl 0",
    "BLMOVE bl bl2 LEFT RIGHT 0",
    "BRPOPLPUSH bl bl2 0",
    "BLMPOP 0 2 nobl bl LEFT COUNT 1",
    // sets
    "SADD st1 a b c d e 1 2 3",
    "SREM st1 a",
    "SPOP st1",
    "SPOP st1 2",
    "SADD st2 b c x",
    "SMOVE st2 st3 x",
    "SINTERSTORE st4 st1 st2",
    "SUNIONSTORE st5 st1 st2",
    "SDIFFSTORE st6 st1 st2",
    // sorted sets
    "ZADD z1 1 a 2 b 3 c 4 d 5 e",
    "ZADD z1 XX GT CH 10 a",
    "ZINCRBY z1 2.5 b",
    "ZREM z1 c",
    "ZPOPMIN z1",
    "ZPOPMAX z1",
    "ZADD z2 1 x 2 y 3 z 4 w",
    "ZREMRANGEBYSCORE z2 4 4",
    "ZREMRANGEBYRANK z2 0 0",
    "ZADD z3 0 a 0 b 0 c 0 d",
    "ZREMRANGEBYLEX z3 [a [b",
    "ZUNIONSTORE z4 2 z1 z2",
    "ZINTERSTORE z5 2 z1 z4",
    "ZDIFFSTORE z6 2 z4 z1",
    "ZRANGESTORE z7 z4 0 1",
    // geo (a sorted set of geohashes)
    "GEOADD geo 13.361389 38.115556 Palermo 15.087269 37.502669 Catania",
    "GEOADD geo CH 13.583333 37.316667 Agrigento 13.4 38.2 Palermo",
    // streams
    "XADD xs * a 1",
    "XADD xs * b 2",
    "XADD xs 99999999999999-1 c 3",
    "XADD xs MAXLEN ~ 1 * d 4",
    "XADD xs2 MAXLEN 2 1-* e 5",
    "XADD xs2 MAXLEN 2 1-* e 6",
    "XADD xs2 MAXLEN 2 1-* e 7",
    "XTRIM xs MAXLEN 3",
    "XDEL xs 99999999999999-1",
    "XSETID xs2 5-0 ENTRIESADDED 9 MAXDELETEDID 1-0",
    "XGROUP CREATE xs g 0",
    "XGROUP CREATE xs3 g $ MKSTREAM",
    "XREADGROUP GROUP g alice COUNT 1 STREAMS xs >",
    "XREADGROUP GROUP g bob STREAMS xs >",
    "XREADGROUP GROUP g carol NOACK STREAMS xs >",
    "XACK xs g 99999999999999-1",
    "XCLAIM xs g dave 0 99999999999999-2 RETRYCOUNT 3",
    "XAUTOCLAIM xs g erin 0 0 COUNT 1",
    "XGROUP CREATECONSUMER xs g frank",
    "XGROUP DELCONSUMER xs g bob",
    "XGROUP CREATE xs g2 0",
    "XGROUP SETID xs g2 $",
    "XGROUP DESTROY xs g2",
    "GEORADIUS geo 15 37 200 km STORE geo1",
    "GEORADIUSBYMEMBER geo Palermo 100 km STOREDIST geo2",
    "GEOSEARCHSTORE geo3 geo FROMLONLAT 15 37 BYBOX 300 300 km STOREDIST",
    "GEOSEARCHSTORE geo4 geo FROMLONLAT 0 0 BYRADIUS 1 km",
    "ZMPOP 1 z4 MIN COUNT 1",
    "ZADD bz 1 a 2 b 3 c 4 d",
    "BZPOPMIN nobz bz 0",
    "BZPOPMAX bz 0",
    "BZMPOP 0 1 bz MAX COUNT 1",
    // bitmaps and HyperLogLog
    "SETBIT b1 7 1",
    "SETBIT b1 100 1",
    "BITOP OR b2 b1 s1",
    "BITFIELD b3 SET u8 0 200 INCRBY u8 0 100",
    "PFADD p1 a b c d",
    "PFADD p2 c d e",
    "PFMERGE p3 p1 p2",
    "PFCOUNT p1",
    "PFDEBUG TODENSE p2",
    // sort
    "RPUSH sl 3 1 2",
    "SORT sl STORE sl2",
    // other databases, transactions
    "SELECT 1",
    "SET db1key v",
    "MULTI",
    "SET tx1 a",
    "INCR tx2",
    "LPUSH tx3 x",
    "EXEC",
    "SELECT 4",
    "SET doomed v",
    "FLUSHDB",
    "SET after v",
    "SWAPDB 4 5",
    "SELECT 0",
];

/// The reply to one command, flattened: a simple reply without its type
/// byte, a bulk as its content, an array as its items one per line.
fn ask(s: &mut TcpStream, args: &[&str]) -> String {
    let raw = calls(s, args);
    let mut out = Vec::new();
    let mut lines = raw.split("\r\n").peekable();
    while let Some(l) = lines.next() {
        match l.as_bytes().first() {
            Some(b'*') | None => {}
            Some(b'$') if l == "$-1" => out.push("(nil)".to_string()),
            Some(b'$') => out.push(lines.next().unwrap_or("").to_string()),
            Some(b'+') | Some(b':') => out.push(l[1..].to_string()),
            _ => out.push(l.to_string()),
        }
    }
    out.join("\n")
}

fn send(s: &mut TcpStream, line: &str) -> String {
    let args: Vec<&str> = line.split(' ').collect();
    let r = calls(s, &args);
    assert!(!r.starts_with('-'), "{line} failed: {r}");
    r
}

fn run_workload(srv: &TestServer) {
    let mut s = srv.raw();
    for line in WORKLOAD {
        send(&mut s, line);
    }
}

/// Everything the server holds, as sorted text: per DB, key, type,
/// absolute expiry and content.
fn dump(srv: &TestServer) -> Vec<String> {
    let mut s = srv.raw();
    let mut out = Vec::new();
    for db in 0..16 {
        ask(&mut s, &["SELECT", &db.to_string()]);
        let keys = ask(&mut s, &["KEYS", "*"]);
        for key in keys.lines().filter(|l| !l.is_empty()) {
            let t = ask(&mut s, &["TYPE", key]);
            let content = match t.as_str() {
                "string" => ask(&mut s, &["GET", key]),
                "hash" => sorted(ask(&mut s, &["HGETALL", key])),
                "list" => ask(&mut s, &["LRANGE", key, "0", "-1"]),
                "set" => sorted(ask(&mut s, &["SMEMBERS", key])),
                "zset" => ask(&mut s, &["ZRANGE", key, "0", "-1", "WITHSCORES"]),
                "stream" => {
                    let mut v = ask(&mut s, &["XRANGE", key, "-", "+"]);
                    v.push_str(&ask(&mut s, &["XINFO", "STREAM", key]));
                    v.push_str(&ask(&mut s, &["XINFO", "GROUPS", key]));
                    for g in ["g", "g2"] {
                        v.push_str(&ask(&mut s, &["XPENDING", key, g]));
                    }
                    v
                }
                other => panic!("unknown type {other}"),
            };
            let ttl = ask(&mut s, &["PEXPIRETIME", key]);
            out.push(format!("db{db} {key} {t} ttl={ttl} {content:?}"));
        }
    }
    out.sort();
    out
}

fn sorted(s: String) -> String {
    let mut v: Vec<&str> = s.lines().collect();
    v.sort();
    v.join("\n")
}

fn kill9(srv: &mut TestServer) {
    let _ = std::process::Command::new("kill")
        .args(["-KILL", &srv.pid().to_string()])
        .status();
    srv.wait_exit(Duration::from_secs(10)).expect("killed");
}

/// Restarts on the same data dir (the old process must be gone).
fn restart(old: &mut TestServer, extra: &[&str]) -> TestServer {
    let dir = old.dir.clone();
    // Keep the directory: the old TestServer's Drop would delete it.
    old.dir = temp_dir("moved");
    TestServer::start_in(dir, extra)
}

fn info_field(srv: &TestServer, field: &str) -> String {
    let mut s = srv.raw();
    let info = ask(&mut s, &["INFO", "persistence"]);
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or_else(|| panic!("{field} missing from INFO"))
        .trim()
        .to_string()
}

fn wait_snapshot_done(srv: &TestServer) {
    let t = Instant::now();
    while info_field(srv, "rdb_bgsave_in_progress") != "0" {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "snapshot never ended"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_workload_covers_every_write_command() {
    let srv = TestServer::start_with(&["--save", ""]);
    let mut s = srv.raw();
    let writes = ask(&mut s, &["COMMAND", "LIST", "FILTERBY", "ACLCAT", "write"]);
    let used: std::collections::HashSet<String> = WORKLOAD
        .iter()
        .map(|l| l.split(' ').next().unwrap().to_ascii_lowercase())
        .collect();
    // Write commands whose durability another suite checks, and why.
    let elsewhere = [(
        "migrate",
        "needs a second server; tests/migrate.rs restarts the source and checks the moved keys stay deleted",
    )];
    let mut missing: Vec<&str> = writes
        .lines()
        .filter(|c| !c.contains('|') && !used.contains(*c))
        .filter(|c| !elsewhere.iter().any(|(name, _)| name == c))
        .collect();
    missing.sort();
    assert!(writes.lines().count() > 60, "{writes}");
    assert!(
        missing.is_empty(),
        "write commands not in WORKLOAD: {missing:?}"
    );
}

#[test]
fn clean_restart_keeps_every_write_with_ttls() {
    let mut a = TestServer::start_with(&["--save", ""]);
    run_workload(&a);
    let before = dump(&a);
    assert!(before.len() > 40, "workload made {} keys", before.len());
    assert!(a.terminate().success());
    let b = restart(&mut a, &["--save", ""]);
    assert_eq!(dump(&b), before);
    assert_eq!(info_field(&b, "aof_enabled"), "1");
}

#[test]
fn sigkill_keeps_every_acknowledged_write_under_each_fsync_policy() {
    for policy in ["always", "everysec", "no"] {
        let mut a = TestServer::start_with(&["--appendfsync", policy, "--save", ""]);
        run_workload(&a);
        let before = dump(&a);
        kill9(&mut a);
        let b = restart(&mut a, &["--save", ""]);
        assert_eq!(dump(&b), before, "appendfsync {policy}");
    }
}

#[test]
fn snapshot_plus_wal_tail_applies_nothing_twice() {
    let mut a = TestServer::start_with(&["--save", ""]);
    let mut s = a.raw();
    for i in 0..200 {
        send(&mut s, &format!("INCR c{}", i % 7));
        send(&mut s, &format!("RPUSH l{} {i}", i % 5));
        send(&mut s, &format!("APPEND a{} x", i % 3));
    }
    let old_segments = segments(&a.dir);
    assert_eq!(ask(&mut s, &["BGSAVE"]), "Background saving started");
    wait_snapshot_done(&a);
    // Compaction: the segments the snapshot covers are gone.
    let now = segments(&a.dir);
    assert!(
        old_segments.iter().all(|p| !now.contains(p)),
        "{old_segments:?} vs {now:?}"
    );
    assert_eq!(now.len(), 1, "{now:?}");
    for i in 0..100 {
        send(&mut s, &format!("INCR c{}", i % 7));
        send(&mut s, &format!("LPUSH l{} {i}", i % 5));
    }
    let lastsave: u64 = ask(&mut s, &["LASTSAVE"]).parse().unwrap();
    assert!(lastsave > 0);
    let before = dump(&a);
    kill9(&mut a);
    let b = restart(&mut a, &["--save", ""]);
    assert_eq!(dump(&b), before);
    let snaps: Vec<_> = std::fs::read_dir(b.dir.join("snapshots"))
        .unwrap()
        .filter_map(|e| e.ok())
        .collect();
    assert!(!snaps.is_empty(), "BGSAVE wrote no snapshot");
}

#[test]
fn snapshot_during_concurrent_writes_restarts_to_the_live_data() {
    let mut a = TestServer::start_with(&["--save", "", "--appendfsync", "always"]);
    let port = a.port;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writers: Vec<_> = (0..3)
        .map(|w| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
                let mut i = 0u64;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    calls(&mut s, &["INCR", &format!("w{w}:{}", i % 50)]);
                    calls(
                        &mut s,
                        &["RPUSH", &format!("wl{w}:{}", i % 20), &i.to_string()],
                    );
                    calls(
                        &mut s,
                        &["HINCRBY", &format!("wh{w}"), &format!("f{}", i % 30), "1"],
                    );
                    i += 1;
                }
            })
        })
        .collect();
    let mut s = a.raw();
    for _ in 0..3 {
        std::thread::sleep(Duration::from_millis(150));
        calls(&mut s, &["BGSAVE", "SCHEDULE"]);
        wait_snapshot_done(&a);
    }
    std::thread::sleep(Duration::from_millis(100));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for w in writers {
        w.join().unwrap();
    }
    let before = dump(&a);
    kill9(&mut a);
    let b = restart(&mut a, &["--save", ""]);
    assert_eq!(dump(&b), before);
}

fn segments(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir.join("wal"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "wal"))
        .collect();
    v.sort();
    v
}

/// Starts the binary on `dir` expecting it to refuse; returns its output.
fn start_fails(dir: &Path, extra: &[&str]) -> String {
    let out = std::process::Command::new(binary())
        .args([
            "--port",
            &free_port().to_string(),
            "--dir",
            dir.to_str().unwrap(),
        ])
        .args(["--http-port", "0"])
        .args(extra)
        .output()
        .unwrap();
    assert!(!out.status.success(), "server started but should not have");
    String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout)
}

#[test]
fn torn_tail_keeps_the_complete_prefix() {
    let mut a = TestServer::start_with(&["--save", ""]);
    let mut s = a.raw();
    for i in 0..20 {
        send(&mut s, &format!("SET key{i} value{i}"));
    }
    assert!(a.terminate().success());
    let seg = segments(&a.dir).pop().unwrap();
    let full = std::fs::read(&seg).unwrap();
    // The last record: "SET key19 value19" is 31 + 5 + 7 bytes.
    let last_len = 31 + 5 + 7;
    let mut b: Option<TestServer> = None;
    for cut in [
        full.len() - last_len,
        full.len() - last_len + 1,
        full.len() - 20,
        full.len() - 1,
    ] {
        std::fs::write(&seg, &full[..cut]).unwrap();
        let mut srv = match b.take() {
            Some(mut old) => restart(&mut old, &["--save", ""]),
            None => restart(&mut a, &["--save", ""]),
        };
        let mut s = srv.raw();
        assert_eq!(ask(&mut s, &["GET", "key18"]), "value18", "cut {cut}");
        assert_eq!(ask(&mut s, &["EXISTS", "key19"]), "0", "cut {cut}");
        if cut > full.len() - last_len {
            assert!(srv.log().contains("wal: truncated"), "{}", srv.log());
        }
        srv.terminate();
        // The cut-off part is gone for good; put the full file back for the
        // next cut (the restart wrote a new segment of its own after it).
        for extra in segments(&srv.dir).into_iter().filter(|p| *p != seg) {
            std::fs::remove_file(extra).unwrap();
        }
        b = Some(srv);
    }
}

#[test]
fn damage_before_the_tail_refuses_to_start_unless_repaired() {
    let mut a = TestServer::start_with(&["--save", ""]);
    let mut s = a.raw();
    for i in 0..20 {
        send(&mut s, &format!("SET key{i} value{i}"));
    }
    assert!(a.terminate().success());
    let dir = a.dir.clone();
    a.dir = temp_dir("moved");
    let seg = segments(&dir).pop().unwrap();
    let mut bytes = std::fs::read(&seg).unwrap();
    // Flip a byte in the middle of the 10th record's value.
    let header = 24;
    let rec = 31 + 4 + 6; // key0..key9 / value0..value9
    let at = header + 9 * rec + rec - 2;
    bytes[at] ^= 0xff;
    std::fs::write(&seg, &bytes).unwrap();
    let msg = start_fails(&dir, &["--save", ""]);
    let name = seg.file_name().unwrap().to_str().unwrap();
    assert!(msg.contains(name), "{msg}");
    assert!(msg.contains(&format!(":{}", header + 9 * rec)), "{msg}");
    assert!(msg.contains("--wal-repair"), "{msg}");
    let srv = TestServer::start_in(dir, &["--save", "", "--wal-repair"]);
    let mut s = srv.raw();
    assert_eq!(ask(&mut s, &["GET", "key8"]), "value8");
    assert_eq!(ask(&mut s, &["EXISTS", "key9", "key10", "key19"]), "0");
    assert!(srv.log().contains("wal-repair"), "{}", srv.log());
}

#[test]
fn a_second_server_on_the_same_dir_is_refused() {
    let a = TestServer::start();
    let msg = start_fails(&a.dir, &[]);
    assert!(msg.contains("in use by another FlashDB server"), "{msg}");
    assert!(msg.contains(&a.pid().to_string()), "{msg}");
}

#[test]
fn an_unusable_dir_is_a_clear_error() {
    let base = temp_dir("badir");
    let file = base.join("not-a-dir");
    std::fs::write(&file, b"x").unwrap();
    let msg = start_fails(&file, &[]);
    assert!(msg.contains("Can't create the data directory"), "{msg}");
    let _ = std::fs::remove_dir_all(base);
}

#[test]
fn a_failing_disk_refuses_writes_with_misconf_and_loses_nothing() {
    // RLIMIT_FSIZE makes writes past 1 MiB fail with EFBIG, like a full
    // disk; raising it again is the disk recovering.
    let dir = temp_dir("fsize");
    let port = free_port();
    let mut child = std::process::Command::new("sh")
        .args([
            "-c",
            &format!(
                "ulimit -S -f 2048; exec {} --port {} --dir {} --http-port 0 --save '' --appendfsync always",
                binary(),
                port,
                dir.display()
            ),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let t = Instant::now();
    // Ready once recovery is over (PING answers PONG, not -LOADING).
    let mut s = loop {
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            if ask(&mut s, &["PING"]) == "PONG" {
                break s;
            }
        }
        assert!(t.elapsed() < Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(20));
    };
    let big = "x".repeat(64 * 1024);
    let mut acked = 0;
    let mut misconf = String::new();
    for i in 0..100 {
        // Sent on a second connection: the write whose record cannot be
        // written never gets a reply; the next write is refused.
        assert_eq!(ask(&mut s, &["PING"]), "PONG");
        let mut w = TcpStream::connect(("127.0.0.1", port)).unwrap();
        w.set_read_timeout(Some(Duration::from_millis(1500)))
            .unwrap();
        w.write_all(&cmd(&[b"SET", format!("k{i}").as_bytes(), big.as_bytes()]))
            .unwrap();
        let mut buf = [0u8; 256];
        match std::io::Read::read(&mut w, &mut buf) {
            Ok(n) if buf[..n].starts_with(b"+OK") => acked += 1,
            Ok(n) => {
                misconf = String::from_utf8_lossy(&buf[..n]).into_owned();
                break;
            }
            Err(_) => {
                // No reply: the write is not acknowledged. The next one
                // must be refused.
                misconf = ask(&mut s, &["SET", "probe", "v"]);
                break;
            }
        }
    }
    assert!(acked > 5, "acked {acked}");
    assert!(
        misconf.starts_with("-MISCONF Errors writing to the AOF file: "),
        "{misconf}"
    );
    let info = ask(&mut s, &["INFO", "persistence"]);
    assert!(info.contains("aof_last_write_status:err"), "{info}");
    // Reads still work; a write queued in MULTI dooms the transaction.
    assert_eq!(ask(&mut s, &["GET", "nothing"]), "(nil)");
    assert_eq!(ask(&mut s, &["MULTI"]), "OK");
    assert!(ask(&mut s, &["SET", "t", "v"]).starts_with("-MISCONF"));
    assert!(ask(&mut s, &["EXEC"]).starts_with("-EXECABORT"));
    // The disk recovers: writes are accepted again.
    let st = std::process::Command::new("prlimit")
        .args(["--pid", &child.id().to_string(), "--fsize=unlimited:"])
        .status()
        .unwrap();
    assert!(st.success());
    let t = Instant::now();
    loop {
        let r = ask(&mut s, &["SET", "after", "v"]);
        if r == "OK" {
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(10), "still {r}");
        std::thread::sleep(Duration::from_millis(100));
    }
    // Every acknowledged write survives a crash.
    let _ = std::process::Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status();
    let _ = child.wait();
    let srv = TestServer::start_in(dir, &["--save", ""]);
    let mut s = srv.raw();
    for i in 0..acked {
        assert_eq!(
            ask(&mut s, &["STRLEN", &format!("k{i}")]),
            big.len().to_string(),
            "k{i}"
        );
    }
    assert_eq!(ask(&mut s, &["GET", "after"]), "v");
}

#[test]
fn clients_get_loading_while_the_dataset_loads() {
    let mut a = TestServer::start_with(&["--save", ""]);
    let mut s = a.raw();
    for batch in 0..200 {
        let mut args = vec!["MSET".to_string()];
        for i in 0..1000 {
            args.push(format!("key:{batch}:{i}"));
            args.push(format!("value:{i}"));
        }
        let a: Vec<&str> = args.iter().map(|x| x.as_str()).collect();
        send(&mut s, &a.join(" "));
    }
    assert_eq!(ask(&mut s, &["SAVE"]), "OK");
    assert!(a.terminate().success());
    // Restart by hand: poll from the moment the port is open.
    let dir = a.dir.clone();
    a.dir = temp_dir("moved");
    let port = free_port();
    let mut child = std::process::Command::new(binary())
        .args(["--port", &port.to_string(), "--dir", dir.to_str().unwrap()])
        .args(["--http-port", "0", "--save", ""])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let t = Instant::now();
    let (mut loading, mut info_loading) = (0, false);
    loop {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "never finished loading"
        );
        let Ok(mut c) = TcpStream::connect(("127.0.0.1", port)) else {
            continue;
        };
        let r = ask(&mut c, &["GET", "key:0:0"]);
        if r.starts_with("-LOADING") {
            assert_eq!(r, "-LOADING FlashDB is loading the dataset in memory");
            loading += 1;
            info_loading |= ask(&mut c, &["INFO", "persistence"]).contains("loading:1");
            continue;
        }
        assert_eq!(r, "value:0");
        break;
    }
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(dir);
    assert!(loading > 0, "loading was never observed");
    assert!(info_loading, "INFO never said loading:1");
}

#[test]
fn a_damaged_newest_snapshot_falls_back_to_the_previous_one() {
    let mut a = TestServer::start_with(&["--save", ""]);
    let mut s = a.raw();
    for round in 0..3 {
        for i in 0..100 {
            send(&mut s, &format!("INCR c{}", i % 9));
            send(&mut s, &format!("RPUSH l{} {round}:{i}", i % 4));
        }
        if round < 2 {
            assert_eq!(ask(&mut s, &["SAVE"]), "OK");
        }
    }
    let before = dump(&a);
    kill9(&mut a);
    let mut snaps: Vec<PathBuf> = std::fs::read_dir(a.dir.join("snapshots"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    snaps.sort();
    assert_eq!(snaps.len(), 2, "{snaps:?}");
    let newest = snaps.pop().unwrap();
    let mut bytes = std::fs::read(&newest).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55;
    std::fs::write(&newest, &bytes).unwrap();
    let b = restart(&mut a, &["--save", ""]);
    assert_eq!(dump(&b), before);
    assert!(
        b.log().contains("falling back to the previous snapshot"),
        "{}",
        b.log()
    );
}

fn wait_for_saves(srv: &TestServer, n: u64) {
    let t = Instant::now();
    while info_field(srv, "rdb_saves").parse::<u64>().unwrap() < n {
        assert!(
            t.elapsed() < Duration::from_secs(15),
            "no snapshot was taken"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn save_rules_and_wal_growth_trigger_snapshots() {
    // `save 1 1`: one change and a second → a snapshot.
    let a = TestServer::start_with(&["--save", "1 1", "--wal-max-size", "0"]);
    let mut s = a.raw();
    assert_eq!(info_field(&a, "rdb_saves"), "0");
    send(&mut s, "SET k v");
    assert_eq!(info_field(&a, "rdb_changes_since_last_save"), "1");
    wait_for_saves(&a, 1);
    assert_eq!(info_field(&a, "rdb_changes_since_last_save"), "0");
    assert_eq!(info_field(&a, "rdb_last_bgsave_status"), "ok");
    // No `save` rules, but the WAL grows past wal-max-size.
    let b = TestServer::start_with(&["--save", "", "--wal-max-size", "1mb"]);
    let mut s = b.raw();
    let big = "x".repeat(100_000);
    for i in 0..15 {
        send(&mut s, &format!("SET k{i} {big}"));
    }
    wait_for_saves(&b, 1);
}

#[test]
fn replay_ignores_a_lowered_proto_max_bulk_len() {
    let mut a = TestServer::start_with(&["--save", ""]);
    let mut s = a.raw();
    let chunk = "y".repeat(800_000);
    send(&mut s, &format!("APPEND big {chunk}"));
    send(&mut s, &format!("APPEND big {chunk}"));
    send(&mut s, "SETRANGE big 1500000 z");
    assert!(a.terminate().success());
    let b = restart(&mut a, &["--save", "", "--proto-max-bulk-len", "1mb"]);
    let mut s = b.raw();
    assert_eq!(ask(&mut s, &["STRLEN", "big"]), "1600000");
    assert!(!b.log().contains("failed on replay"), "{}", b.log());
}

fn shutdown(srv: &mut TestServer, args: &[&str]) {
    let mut s = srv.raw();
    let mut argv = vec!["SHUTDOWN"];
    argv.extend_from_slice(args);
    let a: Vec<&[u8]> = argv.iter().map(|x| x.as_bytes()).collect();
    s.write_all(&cmd(&a)).unwrap();
    let st = srv
        .wait_exit(Duration::from_secs(10))
        .expect("server exited");
    assert!(st.success());
}

fn snapshots(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir.join("snapshots"))
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn shutdown_save_and_nosave() {
    // Without a WAL: the default SHUTDOWN saves a snapshot (save rules set)…
    let mut a = TestServer::start_with(&["--appendonly", "no", "--save", "3600 1"]);
    send(&mut a.raw(), "SET k v");
    shutdown(&mut a, &[]);
    assert_eq!(snapshots(&a.dir).len(), 1);
    let mut b = restart(&mut a, &["--appendonly", "no", "--save", "3600 1"]);
    assert_eq!(ask(&mut b.raw(), &["GET", "k"]), "v");
    // …and NOSAVE does not: the write made since is gone, as in Redis.
    send(&mut b.raw(), "SET k2 v");
    shutdown(&mut b, &["NOSAVE"]);
    let mut c = restart(&mut b, &["--appendonly", "no", "--save", "3600 1"]);
    assert_eq!(ask(&mut c.raw(), &["EXISTS", "k2"]), "0");
    // With the WAL, SHUTDOWN SAVE also writes a snapshot.
    shutdown(&mut c, &[]);
    let mut d = restart(&mut c, &["--save", ""]);
    send(&mut d.raw(), "SET k3 v");
    let before = snapshots(&d.dir);
    shutdown(&mut d, &["SAVE"]);
    let after = snapshots(&d.dir);
    assert!(after.last() > before.last(), "{before:?} {after:?}");
    let e = restart(&mut d, &["--save", ""]);
    assert_eq!(ask(&mut e.raw(), &["GET", "k3"]), "v");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

/// docs/OPERATIONS.md's live backup: copy `wal/` first, then
/// `snapshots/`. Snapshots that complete between the two copies (and
/// delete the WAL segments the copy took) must not lose a write: the
/// restored server holds exactly what the live one held when the
/// snapshots directory was copied.
#[test]
fn live_backup_copying_the_wal_then_the_snapshots_restores_everything() {
    let a = TestServer::start_with(&["--save", "", "--snapshot-retain", "2"]);
    let mut s = a.raw();
    let round = |s: &mut TcpStream, tag: &str| {
        for i in 0..60 {
            send(s, &format!("INCR c{}", i % 7));
            send(s, &format!("RPUSH l{} {tag}{i}", i % 3));
        }
    };
    round(&mut s, "a");
    assert_eq!(ask(&mut s, &["SAVE"]), "OK");
    round(&mut s, "b");
    let backup = temp_dir("backup");
    copy_dir(&a.dir.join("wal"), &backup.join("wal"));
    // Between the copies: more writes and two snapshots, which delete the
    // segments holding rounds a and b.
    round(&mut s, "c");
    assert_eq!(ask(&mut s, &["SAVE"]), "OK");
    round(&mut s, "d");
    assert_eq!(ask(&mut s, &["SAVE"]), "OK");
    let live = dump(&a);
    copy_dir(&a.dir.join("snapshots"), &backup.join("snapshots"));
    let dropped = segments(&backup)
        .iter()
        .filter(|p| !a.dir.join("wal").join(p.file_name().unwrap()).exists())
        .count();
    assert!(
        dropped > 0,
        "the live WAL must have deleted a segment the copy holds"
    );
    let b = TestServer::start_in(backup, &["--save", ""]);
    assert_eq!(dump(&b), live);
}

/// The wrong order (snapshots first, then the WAL, with snapshots taken
/// in between) pairs an old snapshot with a log that lost the segments
/// after it: the start is refused, naming the missing LSNs, instead of
/// serving a dataset without those writes; `--wal-repair` accepts the loss.
#[test]
fn a_log_missing_records_after_the_snapshot_refuses_to_start() {
    let a = TestServer::start_with(&["--save", "", "--snapshot-retain", "2"]);
    let mut s = a.raw();
    for i in 0..50 {
        send(&mut s, &format!("INCR c{}", i % 5));
    }
    assert_eq!(ask(&mut s, &["SAVE"]), "OK");
    let backup = temp_dir("backup-wrong");
    copy_dir(&a.dir.join("snapshots"), &backup.join("snapshots"));
    for round in 0..2 {
        for i in 0..50 {
            send(&mut s, &format!("RPUSH l{round} {i}"));
        }
        assert_eq!(ask(&mut s, &["SAVE"]), "OK");
    }
    send(&mut s, "SET tail 1");
    copy_dir(&a.dir.join("wal"), &backup.join("wal"));
    let err = start_fails(&backup, &["--save", ""]);
    assert!(err.contains("are missing"), "{err}");
    assert!(err.contains("--wal-repair"), "{err}");
    let b = TestServer::start_in(backup, &["--save", "", "--wal-repair", "yes"]);
    assert!(
        b.log().contains("accepted that records with LSN"),
        "{}",
        b.log()
    );
    let mut s = b.raw();
    assert_eq!(ask(&mut s, &["GET", "tail"]), "1");
    assert_eq!(ask(&mut s, &["GET", "c0"]), "10");
}

/// A segment deleted from the middle of the log is found the same way.
#[test]
fn a_segment_deleted_from_the_middle_of_the_log_refuses_to_start() {
    // Every start begins a new segment: three starts, three segments.
    let mut a = TestServer::start_with(&["--save", ""]);
    for round in 0..3 {
        let mut s = a.raw();
        for i in 0..20 {
            send(&mut s, &format!("SET k{round}:{i} {i}"));
        }
        drop(s);
        kill9(&mut a);
        if round < 2 {
            a = restart(&mut a, &["--save", ""]);
        }
    }
    let segs = segments(&a.dir);
    assert_eq!(segs.len(), 3, "{segs:?}");
    std::fs::remove_file(&segs[1]).unwrap();
    let err = start_fails(&a.dir, &["--save", ""]);
    assert!(err.contains("are missing"), "{err}");
    assert!(
        err.contains(&segs[2].file_name().unwrap().to_string_lossy().to_string()),
        "{err}"
    );
}
