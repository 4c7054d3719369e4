//! Keyspace notifications against the real binary: the exact sequence of
//! `__keyspace@<db>__:<key>` / `__keyevent@<db>__:<event>` messages every
//! write command produces, compared with a real redis-server 7.0 (when one
//! is installed), plus the flag filters, CONFIG SET at run time, and
//! silence when notifications are off.

mod common;
use common::*;
use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// Sends a command without reading its reply.
fn send(s: &mut TcpStream, args: &[&str]) {
    let a: Vec<&[u8]> = args.iter().map(|x| x.as_bytes()).collect();
    s.write_all(&cmd(&a)).unwrap();
}

fn connect(port: u16) -> TcpStream {
    let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

/// The bulk strings of a RESP2 array reply of bulk strings (a Pub/Sub
/// message), in order.
fn bulks(raw: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(raw);
    let mut out = Vec::new();
    let mut lines = text.split("\r\n");
    while let Some(l) = lines.next() {
        if l.starts_with('$') {
            out.push(lines.next().unwrap_or_default().to_string());
        } else if let Some(n) = l.strip_prefix(':') {
            out.push(n.to_string());
        }
    }
    out
}

/// A step's arguments (`""` = an empty argument).
fn words(s: &str) -> Vec<&str> {
    s.split(' ')
        .map(|w| if w == "\"\"" { "" } else { w })
        .collect()
}

/// `INFO clients`' blocked_clients.
fn blocked(c: &mut TcpStream) -> usize {
    let info = calls(c, &["INFO", "clients"]);
    info.lines()
        .find_map(|l| l.strip_prefix("blocked_clients:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap()
}

/// A subscriber to every keyspace and keyevent channel, plus a `sync`
/// channel the script publishes to after each step, so the messages a step
/// caused are exactly those before its sync message.
struct Listener {
    sub: TcpStream,
    n: usize,
}

impl Listener {
    fn new(port: u16) -> Listener {
        let mut sub = connect(port);
        let r = bulks(&call(&mut sub, &["PSUBSCRIBE", "__key*@*__:*"]));
        assert_eq!(r[0], "psubscribe");
        let r = bulks(&call(&mut sub, &["SUBSCRIBE", "sync"]));
        assert_eq!(r[0], "subscribe");
        Listener { sub, n: 0 }
    }

    /// Publishes a sync marker on `c` (a connection of its own, so that it
    /// is never queued inside a MULTI) and returns every notification that
    /// arrived before it, as `channel payload` lines.
    fn drain(&mut self, c: &mut TcpStream) -> Vec<String> {
        self.n += 1;
        let marker = self.n.to_string();
        call(c, &["PUBLISH", "sync", &marker]);
        let mut got = Vec::new();
        loop {
            let m = bulks(&read_reply(&mut self.sub));
            match m[0].as_str() {
                "message" if m[1] == "sync" && m[2] == marker => return got,
                "pmessage" => got.push(format!("{} {}", m[2], m[3])),
                _ => panic!("unexpected {m:?}"),
            }
        }
    }
}

/// Runs a script and returns, per synced step, the step and the
/// notifications it caused. Step syntax:
/// - `CMD args...`: run on the main connection, then sync;
/// - `B> CMD args...`: send on the blocker connection without waiting for
///   the reply (waits until the client is blocked);
/// - `CMD args... <B`: run, then read the blocker's reply, then sync;
/// - `~N`: sleep N ms with no sync of its own (its messages, say keys that
///   expire meanwhile, count with the next step's);
/// - `- CMD args...`: run with no sync of its own (for a key that expires
///   at once: whether the server's active expiry or the next command
///   reclaims it, the `expired` message lands in the next step).
fn run_script(port: u16, flags: &str, script: &[&str]) -> Vec<(String, Vec<String>)> {
    let mut c = connect(port);
    let mut blocker = connect(port);
    let mut ctl = connect(port);
    assert_eq!(calls(&mut c, &["FLUSHALL"]), "+OK\r\n");
    assert_eq!(
        calls(&mut c, &["CONFIG", "SET", "notify-keyspace-events", flags]),
        "+OK\r\n"
    );
    let mut l = Listener::new(port);
    let mut out = Vec::new();
    let mut label = String::new();
    for step in script {
        if let Some(ms) = step.strip_prefix('~') {
            std::thread::sleep(Duration::from_millis(ms.parse().unwrap()));
            label.push_str(step);
            label.push_str("; ");
            continue;
        }
        if let Some(c1) = step.strip_prefix("- ") {
            let r = calls(&mut c, &words(c1));
            label.push_str(&format!("{c1} => {r:?}; "));
            continue;
        }
        label.push_str(step);
        let reply;
        if let Some(b) = step.strip_prefix("B> ") {
            let args = words(b);
            let before = blocked(&mut c);
            send(&mut blocker, &args);
            let t = Instant::now();
            while blocked(&mut c) == before {
                assert!(t.elapsed() < Duration::from_secs(5), "{b}: never blocked");
                std::thread::sleep(Duration::from_millis(5));
            }
            reply = "(blocked)".to_string();
        } else if let Some(s) = step.strip_suffix(" <B") {
            let args = words(s);
            let r = calls(&mut c, &args);
            let b = String::from_utf8_lossy(&read_reply(&mut blocker)).into_owned();
            reply = format!("{r:?} / blocker {b:?}");
        } else {
            let args = words(step);
            reply = format!("{:?}", calls(&mut c, &args));
        }
        let events = l.drain(&mut ctl);
        out.push((format!("{label}  => {reply}"), events));
        label.clear();
    }
    let _ = calls(&mut c, &["CONFIG", "SET", "notify-keyspace-events", ""]);
    out
}

/// Runs `script` with each of `flag_sets` on redis-server and on FlashDB
/// and asserts that every step caused the same notifications, in the same
/// order.
fn compare(flag_sets: &[&str], script: &[&str]) {
    let Some(r) = RedisRef::start() else {
        return;
    };
    let srv = TestServer::start();
    for flags in flag_sets {
        compare_on(&r, &srv, flags, script);
    }
}

fn compare_on(r: &RedisRef, srv: &TestServer, flags: &str, script: &[&str]) {
    let want = run_script(r.port, flags, script);
    let got = run_script(srv.port, flags, script);
    let bad: Vec<String> = want
        .iter()
        .zip(&got)
        .filter(|(w, g)| w.1 != g.1)
        .map(|(w, g)| {
            format!(
                "{}\n  flashdb {}\n  redis:   {:?}\n  flashdb: {:?}",
                w.0, g.0, w.1, g.1
            )
        })
        .collect();
    assert!(
        bad.is_empty(),
        "{} of {} steps differ (flags {flags}):\n{}",
        bad.len(),
        want.len(),
        bad.join("\n")
    );
}

const STRINGS: &[&str] = &[
    "SET s v",
    "SET s v2",
    "SET s v EX 100",
    "SET s v PX 100000 GET",
    "SET s v KEEPTTL",
    "SET s v NX",
    "SET s2 v NX",
    "SET s3 v XX",
    "SET s2 w XX EXAT 4000000000",
    "SET s2 w XX PXAT 4000000000000",
    "- SET s2 w PXAT 1",
    "DEL s2",
    "SET s x EX 0",
    "SET n v GET",
    "SETNX n w",
    "SETNX n2 w",
    "SETEX x 100 v",
    "PSETEX x 100000 v",
    "MSET a 1 b 2 a 3",
    "MSETNX a 1 c 2",
    "MSETNX c 1 d 2",
    "GETSET a 10",
    "GETSET fresh 10",
    "GETDEL a",
    "GETDEL a",
    "GETEX b",
    "GETEX b EX 100",
    "GETEX b PXAT 4000000000000",
    "GETEX b PERSIST",
    "GETEX b PERSIST",
    "GETEX b EXAT 1",
    "GETEX nokey EX 10",
    "APPEND ap x",
    "APPEND ap yz",
    "APPEND ap \"\"",
    "SETRANGE sr 2 ab",
    "SETRANGE sr 0 \"\"",
    "SETRANGE sr9 0 \"\"",
    "SETRANGE sr 1 Z",
    "INCR i",
    "DECR i",
    "INCRBY i 5",
    "DECRBY i 2",
    "INCRBY ap 1",
    "INCRBYFLOAT f 1.5",
    "INCRBYFLOAT f 1e400",
    "GET s",
    "MGET s nokey",
    "STRLEN s",
];

const KEYS: &[&str] = &[
    "SET a 1",
    "SET b 2",
    "DEL a b nokey",
    "DEL a",
    "SET a 1",
    "UNLINK a nokey a",
    "SET a 1",
    "RENAME a b",
    "SET a 1",
    "RENAME a b",
    "RENAME b b",
    "RENAME nokey b",
    "SET a 2",
    "RENAMENX a b",
    "RENAMENX a c",
    "COPY c d",
    "COPY c d",
    "COPY c d REPLACE",
    "COPY c d DB 2",
    "COPY nokey d",
    "MOVE d 2",
    "MOVE d 3",
    "EXPIRE c 100",
    "PEXPIRE c 200000 GT",
    "PEXPIRE c 100 GT",
    "EXPIREAT c 4000000000",
    "PEXPIREAT c 4000000000000 NX",
    "TTL c",
    "TTL nokey",
    "PEXPIRETIME nokey",
    "PERSIST c",
    "PERSIST c",
    "EXPIRE nokey 100",
    "EXPIRE c -1",
    "SET c 1",
    "PEXPIREAT c 1",
    "SET e 1",
    "EXPIRE e 0",
    "EXISTS a b nokey",
    "TYPE nokey",
    "TOUCH b nokey",
    "OBJECT ENCODING nokey",
    "SELECT 2",
    "SET x 1",
    "DEL x c",
    "SELECT 0",
    "MULTI",
    "SET t1 1",
    "LPUSH t2 x",
    "INCR t1",
    "DEL t2 nokey",
    "GET nokey",
    "EXEC",
    "SWAPDB 0 2",
    "SWAPDB 0 2",
    "FLUSHDB",
    "SET a 1",
    "FLUSHALL",
];

const LISTS: &[&str] = &[
    "LPUSH l a b c",
    "RPUSH l d e",
    "LPUSHX l f",
    "RPUSHX l g",
    "LPUSHX nol f",
    "RPUSHX nol f",
    "LINSERT l BEFORE a x",
    "LINSERT l AFTER nothere x",
    "LINSERT nol AFTER a x",
    "LSET l 0 y",
    "LREM l 0 x",
    "LREM l 0 nothere",
    "LTRIM l 0 -1",
    "LTRIM l 1 -2",
    "LPOP l",
    "RPOP l",
    "LPOP l 2",
    "RPOP l 0",
    "LPOP nol",
    "LRANGE l 0 -1",
    "RPUSH m 1 2",
    "LMOVE m l LEFT RIGHT",
    "LMOVE m m RIGHT LEFT",
    "RPOPLPUSH m l2",
    "RPOPLPUSH m l2",
    "LMOVE l l2 RIGHT LEFT",
    "LMPOP 2 nol l2 LEFT COUNT 2",
    "LMPOP 1 l2 RIGHT COUNT 10",
    "LMPOP 1 nol LEFT",
    "RPUSH t 1 2",
    "LTRIM t 5 10",
    "RPUSH t 1",
    "LREM t 0 1",
    "RPUSH t 1 2 3",
    "LPOP t 5",
    "RPUSH u 1",
    "BLPOP u 0",
    "BRPOP u 0.01",
    "RPUSH u 1 2",
    "BLMOVE u v LEFT LEFT 0",
    "BRPOPLPUSH u v 0",
    "BLMPOP 0 1 v RIGHT COUNT 5",
    "B> BLPOP w 0",
    "RPUSH w a b <B",
    "B> BRPOP w2 0",
    "LPUSH w2 a <B",
    "B> BLMOVE w3 w4 RIGHT LEFT 0",
    "RPUSH w3 a b <B",
    "B> BRPOPLPUSH w5 w6 0",
    "RPUSH w5 a <B",
    "B> BLMPOP 0 2 w7 w8 LEFT COUNT 3",
    "RPUSH w8 a b <B",
    "LINDEX nol 0",
    "LLEN nol",
];

const HASHES: &[&str] = &[
    "HSET h a 1 b 2",
    "HSET h a 1",
    "HSET h a 3",
    "HMSET h c 4",
    "HSETNX h a 5",
    "HSETNX h z 5",
    "HSETNX h2 z 5",
    "HDEL h nothere",
    "HDEL h a nothere",
    "HDEL h2 z",
    "HINCRBY h i 2",
    "HINCRBY h i -2",
    "HINCRBYFLOAT h f 1.5",
    "HINCRBYFLOAT h f 0",
    "HGET h nothere",
    "HGET nokey a",
    "HGETALL nokey",
    "HDEL h b c f i z",
    "HLEN h",
    "HSCAN nokey 0",
    "HRANDFIELD nokey",
    "HEXISTS nokey a",
];

const SETS: &[&str] = &[
    "SADD s a b c",
    "SADD s a",
    "SADD s d",
    "SREM s nothere",
    "SREM s a nothere",
    "SREM nokey a",
    "SPOP nokey",
    "SADD one x",
    "SPOP one",
    "SADD one x",
    "SPOP one 5",
    "SADD two x y",
    "SPOP two 0",
    "SPOP two 1",
    "SPOP two 1",
    "SADD three 1 2 3 4 5 6 7 8 9 10",
    "SPOP three 7",
    "SPOP three 7",
    "SADD src m n",
    "SMOVE src dst m",
    "SMOVE src dst nothere",
    "SMOVE src dst2 n",
    "SADD dst n",
    "SMOVE dst dst n",
    "SADD x 1 2 3",
    "SADD y 2 3 4",
    "SINTERSTORE i x y",
    "SINTERSTORE i x nokey",
    "SINTERSTORE i2 x nokey",
    "SUNIONSTORE u x y",
    "SUNIONSTORE u nokey nokey2",
    "SDIFFSTORE d x y",
    "SDIFFSTORE d x x",
    "SDIFFSTORE d2 x x",
    "SISMEMBER nokey a",
    "SMEMBERS nokey",
    "SINTER x nokey",
    "SCARD nokey",
    "SRANDMEMBER nokey",
    "SMISMEMBER nokey a",
    "SSCAN nokey 0",
    "SUNION nokey x nokey2",
    "SDIFF nokey x",
    "SINTERCARD 2 nokey x",
    "SET str v",
    "SINTER nokey str nokey2",
    "SUNION nokey str nokey2",
    "SUNIONSTORE u2 nokey str",
    "SMOVE x str 1",
    "SMOVE str x 1",
];

const ZSETS: &[&str] = &[
    "ZADD z 1 a 2 b 3 c",
    "ZADD z 1 a",
    "ZADD z 5 a",
    "ZADD z NX 9 a",
    "ZADD z XX 9 nothere",
    "ZADD z XX CH 10 a",
    "ZADD z GT 1 a",
    "ZADD z INCR 1 a",
    "ZADD z NX INCR 1 a",
    "ZADD z2 INCR 1 a",
    "ZINCRBY z 2 b",
    "ZINCRBY z3 2 b",
    "ZREM z nothere",
    "ZREM z a nothere",
    "ZREM z3 b",
    "ZADD r 1 a 2 b 3 c 4 d 5 e 6 f",
    "ZREMRANGEBYRANK r 0 0",
    "ZREMRANGEBYRANK r 10 20",
    "ZREMRANGEBYSCORE r 2 2",
    "ZREMRANGEBYSCORE r 100 200",
    "ZREMRANGEBYLEX r [c [c",
    "ZREMRANGEBYLEX r [x [y",
    "ZREMRANGEBYRANK r 0 -1",
    "ZPOPMIN nokey",
    "ZADD p 1 a 2 b 3 c 4 d",
    "ZPOPMIN p",
    "ZPOPMAX p",
    "ZPOPMIN p 0",
    "ZPOPMAX p 5",
    "ZADD p 1 a 2 b",
    "ZMPOP 2 nokey p MIN COUNT 1",
    "ZMPOP 1 p MAX COUNT 5",
    "ZMPOP 1 p MAX",
    "ZADD p 1 a",
    "BZPOPMIN p 0",
    "BZPOPMAX p 0.01",
    "ZADD p 1 a 2 b",
    "BZMPOP 0 1 p MAX COUNT 1",
    "B> BZPOPMIN q 0",
    "ZADD q 1 a 2 b <B",
    "B> BZPOPMAX q2 0",
    "ZADD q2 1 a <B",
    "B> BZMPOP 0 1 q3 MIN COUNT 5",
    "ZADD q3 1 a 2 b <B",
    "ZADD x 1 a 2 b",
    "ZADD y 2 b 3 c",
    "ZUNIONSTORE u 2 x y",
    "ZUNIONSTORE u 1 nokey",
    "ZINTERSTORE i 2 x y",
    "ZINTERSTORE i 2 x nokey",
    "ZINTERSTORE i2 2 x nokey",
    "ZDIFFSTORE d 2 x y",
    "ZDIFFSTORE d 2 x x",
    "ZRANGESTORE rs x 0 -1",
    "ZRANGESTORE rs x 5 10",
    "ZRANGESTORE rs2 x 5 10",
    "ZSCORE nokey a",
    "ZRANGE nokey 0 -1",
    "ZCARD nokey",
    "ZRANGESTORE rs3 nokey 0 -1",
    "ZRANGESTORE rs nokey 0 -1",
    "ZUNION 2 nokey x",
    "ZINTERCARD 1 nokey",
    "ZRANDMEMBER nokey",
    "ZSCAN nokey 0",
    "ZMSCORE nokey a",
    "ZRANK nokey a",
    "ZCOUNT nokey 0 1",
    "SET str v",
    "ZUNION 3 nokey str nokey2",
    "ZUNIONSTORE u 2 nokey str",
    "ZINTER 2 nokey x WEIGHTS 1",
    "ZADD str 1 a",
];

const BITS_HLL_SORT: &[&str] = &[
    "SETBIT b 7 1",
    "SETBIT b 7 1",
    "SETBIT b 7 0",
    "SETBIT b 100 0",
    "SETBIT b2 0 0",
    "GETBIT nokey 0",
    "BITCOUNT nokey",
    "SET x1 abc",
    "SET x2 b",
    "BITOP AND dest x1 x2",
    "BITOP OR dest x1 nokey",
    "BITOP AND dest nokey nokey2",
    "BITOP NOT dest2 nokey",
    "BITFIELD bf SET u8 0 255",
    "BITFIELD bf GET u8 0",
    "BITFIELD bf INCRBY u8 0 1",
    "BITFIELD bf OVERFLOW FAIL INCRBY u8 0 300",
    "BITFIELD bf2 OVERFLOW FAIL INCRBY u8 0 300",
    "BITFIELD nokey GET u8 0",
    "BITFIELD_RO nokey GET u8 0",
    "PFADD h a b c",
    "PFADD h a",
    "PFADD h2",
    "PFADD h2",
    "PFCOUNT h nokey",
    "PFMERGE hm h",
    "PFMERGE hm h",
    "PFMERGE hm2",
    "PFMERGE hm3 nokey",
    "RPUSH sl 3 1 2",
    "SORT sl",
    "SORT sl STORE dst",
    "SORT sl STORE dst",
    "SORT nokey STORE dst",
    "SORT nokey STORE dst9",
    "SORT nokey",
    "SORT sl BY nosort GET obj_* GET #",
    "SORT sl BY wt_*",
    "SORT_RO nokey",
    "PFCOUNT nokey",
    "BITPOS nokey 1",
    "BITOP AND dest3 x1 nokey",
];

/// Keys that expire: reclaimed by the active expiry of either server while
/// the script sleeps (usually), or else by the next write to them (lazy
/// expiry: a DEL after each sleep, so the result does not depend on when
/// the active cycle ran), which
/// then notifies `expired` before its own events. One key expires at a
/// time, so the order is not up to hash-table iteration. (PEXPIRE gets
/// 20 ms, not 1: Redis may find a 1 ms deadline already past and delete.)
const EXPIRY: &[&str] = &[
    "SET k1 v PX 20",
    "~300",
    "- DEL k1",
    "GET k1",
    "RPUSH k2 a",
    "PEXPIRE k2 20",
    "~300",
    "- DEL k2",
    "LLEN k2",
    "SET k3 v",
    "EXPIRE k3 100",
    "SET k3 w",
    "- SET e1 v PX 1",
    "~5",
    "LPUSH e1 a",
    "- SET e2 v PX 1",
    "~5",
    "SET e2 w",
    "- SET e3 v PX 1",
    "~5",
    "SET e3 w NX",
    "- HSET eh f v",
    "- PEXPIRE eh 20",
    "~60",
    "HSET eh f v",
    "- ZADD ez 1 a",
    "- PEXPIRE ez 20",
    "~60",
    "ZADD ez 2 b",
    "- SADD es a",
    "- PEXPIRE es 200",
    "~700",
    "SREM es a",
    "SET r1 v",
    "- SET r2 v PX 1",
    "~5",
    "RENAME r1 r2",
    "- SET c1 v PX 1",
    "~5",
    "COPY r2 c1",
    "- SET d1 v PX 1",
    "~5",
    "DEL d1",
    "- SET i1 5 PX 1",
    "~5",
    "INCR i1",
    "SELECT 1",
    // TTLs long enough that a loaded machine still reads the events of
    // the step before the key expires.
    "SET k4 v PX 200",
    "~700",
    "DEL k4",
    "SELECT 0",
    "SET k5 v EX 100",
    "GETEX k5 PX 200",
    "~700",
    "DEL k5",
];

/// Runs a family's script with every class (`A`), then again adding
/// `new` (key created) and `keymiss` (read of a missing key), which `A`
/// does not include.
fn compare_family(script: &[&str]) {
    compare(&["KEA", "KEAnm"], script);
}

// Every family's write commands, option by option, including the no-ops
// (which must notify nothing), and a few reads (keymiss).

#[test]
fn same_events_as_redis_strings() {
    compare_family(STRINGS);
}

#[test]
fn same_events_as_redis_keys() {
    compare_family(KEYS);
}

#[test]
fn same_events_as_redis_lists() {
    compare_family(LISTS);
}

#[test]
fn same_events_as_redis_hashes() {
    compare_family(HASHES);
}

#[test]
fn same_events_as_redis_sets() {
    compare_family(SETS);
}

#[test]
fn same_events_as_redis_zsets() {
    compare_family(ZSETS);
}

#[test]
fn same_events_as_redis_bits_hll_sort() {
    compare_family(BITS_HLL_SORT);
}

#[test]
fn same_events_as_redis_expiry() {
    compare_family(EXPIRY);
}

/// A mixed script for the flag filters: a command of every class.
const MIXED: &[&str] = &[
    "SET s 1",
    "SET s 2 PX 100000",
    "INCR n",
    "LPUSH l a",
    "LPOP l",
    "SADD set a",
    "HSET h f v",
    "ZADD z 1 a",
    "RENAME s s2",
    "PERSIST s2",
    "DEL s2 nokey",
    "GET nokey",
    "SET e v PX 20",
    "~50",
    "DEL e",
];

/// Each class letter alone, keyspace or keyevent alone, and mixes: only
/// the selected classes, on only the selected channels.
#[test]
fn flag_filters_match_redis() {
    compare(
        &[
            "K",
            "E",
            "A",
            "Kg",
            "E$",
            "Kl",
            "Es",
            "Kh",
            "Ez",
            "Ex",
            "Kn",
            "Em",
            "KA",
            "EA",
            "Kgx",
            "E$lshzxnm",
        ],
        MIXED,
    );
}

/// Runs `cmds` on a fresh connection to `srv` (`~N` sleeps N ms) and
/// returns the messages a subscriber to every keyspace and keyevent
/// channel got.
fn events_of(srv: &TestServer, cmds: &[&str]) -> Vec<String> {
    let mut c = srv.raw();
    let mut ctl = srv.raw();
    let mut l = Listener::new(srv.port);
    for cmd in cmds {
        if let Some(ms) = cmd.strip_prefix('~') {
            std::thread::sleep(Duration::from_millis(ms.parse().unwrap()));
            continue;
        }
        let r = calls(&mut c, &words(cmd));
        assert!(!r.starts_with('-'), "{cmd}: {r}");
    }
    l.drain(&mut ctl)
}

/// `--notify-keyspace-events` at start-up, without a reference server:
/// `Kl` sends list events on keyspace channels only.
#[test]
fn start_up_flags_select_classes_and_channels() {
    let srv = TestServer::start_with(&["--notify-keyspace-events", "Kl"]);
    let got = events_of(
        &srv,
        &["SET a 1", "RPUSH l x y", "LPOP l", "DEL a", "RPOP l"],
    );
    assert_eq!(
        got,
        [
            "__keyspace@0__:l rpush",
            "__keyspace@0__:l lpop",
            "__keyspace@0__:l rpop",
        ]
    );
    // `Egx`: generic and expired events on keyevent channels (DB 3 here).
    let srv = TestServer::start_with(&["--notify-keyspace-events", "Egx"]);
    let got = events_of(
        &srv,
        &[
            "SELECT 3",
            "SET a 1",
            "EXPIRE a 100",
            "RPUSH l x",
            "DEL l",
            "SET b 1 PX 1",
            "~300",
            // Already reclaimed by active expiry, or now, lazily.
            "DEL b",
        ],
    );
    assert_eq!(
        got,
        [
            "__keyevent@3__:expire a",
            "__keyevent@3__:del l",
            "__keyevent@3__:expire b",
            "__keyevent@3__:expired b",
        ]
    );
}

/// CONFIG SET notify-keyspace-events takes effect for the next command,
/// CONFIG GET shows Redis's canonical form, and a bad letter is refused.
#[test]
fn config_set_turns_notifications_on_and_off() {
    let srv = TestServer::start();
    let mut c = srv.raw();
    assert_eq!(
        bulks(&call(&mut c, &["CONFIG", "GET", "notify-keyspace-events"])),
        ["notify-keyspace-events", ""]
    );
    assert!(events_of(&srv, &["SET a 1", "LPUSH l x"]).is_empty());
    assert_eq!(
        calls(&mut c, &["CONFIG", "SET", "notify-keyspace-events", "El$"]),
        "+OK\r\n"
    );
    assert_eq!(
        bulks(&call(&mut c, &["CONFIG", "GET", "notify-keyspace-events"])),
        ["notify-keyspace-events", "$lE"]
    );
    assert_eq!(
        events_of(&srv, &["SET a 2", "LPUSH l y", "SADD s m", "HSET h f v"]),
        ["__keyevent@0__:set a", "__keyevent@0__:lpush l"]
    );
    assert!(calls(&mut c, &["CONFIG", "SET", "notify-keyspace-events", "KQ"]).starts_with("-ERR"));
    assert_eq!(
        events_of(&srv, &["SET a 3"]),
        ["__keyevent@0__:set a"],
        "a refused CONFIG SET changes nothing"
    );
    assert_eq!(
        calls(&mut c, &["CONFIG", "SET", "notify-keyspace-events", ""]),
        "+OK\r\n"
    );
    assert!(events_of(&srv, &["SET a 4", "LPUSH l z"]).is_empty());
}

/// With notifications off (the default) a subscriber to everything gets
/// nothing from writes, expiry or read misses.
#[test]
fn nothing_is_sent_when_off() {
    let srv = TestServer::start();
    let mut sub = srv.raw();
    bulks(&call(&mut sub, &["PSUBSCRIBE", "*"]));
    let mut c = srv.raw();
    for cmd in [
        "SET a 1",
        "SET b 1 PX 1",
        "LPUSH l x",
        "LPOP l",
        "HSET h f v",
        "SADD s m",
        "ZADD z 1 m",
        "RENAME a a2",
        "GET nokey",
        "DEL a2 h s z",
    ] {
        let r = calls(&mut c, &words(cmd));
        assert!(!r.starts_with('-'), "{cmd}: {r}");
    }
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(calls(&mut c, &["EXISTS", "b"]), ":0\r\n");
    assert_eq!(calls(&mut c, &["PUBLISH", "done", "1"]), ":1\r\n");
    assert_eq!(
        bulks(&read_reply(&mut sub)),
        ["pmessage", "*", "done", "1"],
        "the marker is the first message"
    );
}
