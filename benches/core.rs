//! In-process micro-benchmarks (no network): the RESP parser on a
//! pipelined buffer, reply encoding, store GET/SET from one and two
//! threads (two threads contend for the same stripes), the ACL check of a
//! restricted user, WAL appends under each fsync policy (with group
//! commit under `always`), and a snapshot write and load of 1M keys.
//! `make bench` (`cargo bench`) runs them; numbers are ns per operation,
//! for comparing changes on the same machine, not absolute truth.
//! `cargo bench --bench core -- wal snapshot` runs only the named groups.

use flashdb::persist::record::encode_command;
use flashdb::persist::snapshot;
use flashdb::persist::wal::{FsyncPolicy, Wal, WalOptions};
use flashdb::resp::parser::{Limits, Parsed, Parser};
use flashdb::resp::Reply;
use flashdb::store::{Entry, Store, Value};
use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn report(name: &str, ops: u64, start: Instant) {
    let ns = start.elapsed().as_nanos() as f64 / ops as f64;
    println!("{:<40} {:>8.1} ns/op  {:>12.0} ops/s", name, ns, 1e9 / ns);
}

fn parser() {
    let mut buf = Vec::new();
    for i in 0..1000 {
        let k = format!("key:{:012}", i);
        buf.extend_from_slice(
            format!(
                "*3\r\n$3\r\nSET\r\n${}\r\n{}\r\n$16\r\nxxxxxxxxxxxxxxxx\r\n",
                k.len(),
                k
            )
            .as_bytes(),
        );
    }
    let limits = Limits::default();
    let rounds = 300;
    let start = Instant::now();
    for _ in 0..rounds {
        let mut p = Parser::new();
        let mut pos = 0;
        while let Ok(Some((parsed, used))) = p.parse(&buf[pos..], &limits) {
            if let Parsed::Command(args) = parsed {
                black_box(args);
            }
            pos += used;
        }
    }
    report("parse pipelined SET", rounds * 1000, start);
}

fn encode() {
    let r = Reply::Bulk(vec![b'x'; 16]);
    let mut out = Vec::with_capacity(1 << 20);
    let n = 2_000_000u64;
    let start = Instant::now();
    for _ in 0..n {
        r.encode(&mut out, 2);
        if out.len() > 1 << 19 {
            out.clear();
        }
    }
    report("encode 16-byte bulk", n, start);
}

fn store_ops(threads: usize) {
    let store = Arc::new(Store::new(1, 256));
    let keys: Arc<Vec<Vec<u8>>> = Arc::new(
        (0..100_000)
            .map(|i| format!("key:{:012}", i).into_bytes())
            .collect(),
    );
    for k in keys.iter() {
        let (mut s, h) = store.dbs[0].write(k);
        s.insert(h, k, Entry::new(Value::str(b"xxxxxxxxxxxxxxxx"), 0));
    }
    let per = 1_000_000u64;
    for write in [false, true] {
        let start = Instant::now();
        let hs: Vec<_> = (0..threads)
            .map(|t| {
                let store = store.clone();
                let keys = keys.clone();
                std::thread::spawn(move || {
                    let mut x = 0x9E3779B97F4A7C15u64 ^ t as u64;
                    for _ in 0..per {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        let k = &keys[(x % keys.len() as u64) as usize];
                        if write {
                            let (mut s, h) = store.dbs[0].write(k);
                            s.insert(h, k, Entry::new(Value::str(b"yyyyyyyyyyyyyyyy"), 0));
                        } else {
                            let (s, h) = store.dbs[0].read(k);
                            black_box(s.get(h, k, 0).map(|e| e.expire_at));
                        }
                    }
                })
            })
            .collect();
        for h in hs {
            let _ = h.join();
        }
        let name = format!(
            "store {} x{} threads (100k keys)",
            if write { "SET" } else { "GET" },
            threads
        );
        report(&name, per * threads as u64, start);
    }
}

/// The ACL permission check for a user with a few commands and key
/// patterns (the stock default user skips it: one flag test).
fn acl_check() {
    let mut u = flashdb::acl::User::new(b"u", false);
    for r in ["+get", "+set", "~key:*", "~counter:*", "~mylist"] {
        u.apply(r.as_bytes(), false).unwrap();
    }
    for cmd in [&["GET", "key:000001"][..], &["SET", "key:000001", "xxx"]] {
        let args: Vec<Vec<u8>> = cmd.iter().map(|a| a.as_bytes().to_vec()).collect();
        let (id, _) = flashdb::exec::resolve(&args).unwrap();
        let n = 1_000_000;
        let start = Instant::now();
        for _ in 0..n {
            assert!(u.check(id, black_box(&args)).is_ok());
        }
        report(&format!("ACL check {} (restricted user)", cmd[0]), n, start);
    }
}

/// A fresh directory for one benchmark (removed by the caller).
fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("flashdb-bench-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("create a temp dir");
    d
}

/// WAL appends (a SET record each, 16-byte value) from `threads` threads.
/// `no` / `everysec`: each thread appends a batch of 16 records and hands
/// them to the OS (`write_through`), as an event loop does per batch of
/// replies. `always`: each thread appends one record and waits for the
/// fsync that covers it, as a client without pipelining does; the writer
/// thread's group commit lets one fsync cover every thread's record.
fn wal(policy: FsyncPolicy, threads: usize) {
    let dir = temp_dir("wal");
    let opts = WalOptions {
        fsync: policy,
        segment_size: 64 * 1024 * 1024,
    };
    let w = Wal::open(&dir, opts, 1).expect("open the WAL");
    let limit = Duration::from_secs(3);
    let start = Instant::now();
    let hs: Vec<_> = (0..threads)
        .map(|t| {
            let w = w.clone();
            std::thread::spawn(move || {
                let mut n = 0u64;
                let key = format!("key:{t:04}:000000000000").into_bytes();
                let val = b"xxxxxxxxxxxxxxxx".to_vec();
                while start.elapsed() < limit && n < 5_000_000 {
                    if policy == FsyncPolicy::Always {
                        let ticket = w
                            .append(|b, lsn| encode_command(b, 0, lsn, &[&b"SET"[..], &key, &val]));
                        w.request_sync(ticket);
                        w.wait(ticket).expect("the WAL failed");
                        n += 1;
                    } else {
                        let mut ticket = 0;
                        for _ in 0..16 {
                            ticket = w.append(|b, lsn| {
                                encode_command(b, 0, lsn, &[&b"SET"[..], &key, &val])
                            });
                        }
                        w.write_through(ticket);
                        n += 16;
                    }
                }
                n
            })
        })
        .collect();
    let total: u64 = hs.into_iter().map(|h| h.join().unwrap_or(0)).sum();
    let secs = start.elapsed().as_secs_f64();
    w.flush_sync().expect("final WAL flush");
    let st = w.stats();
    w.close();
    println!(
        "{:<40} {:>8.1} ns/op  {:>12.0} appends/s  {} fsyncs ({:.1} appends/fsync), {:.1} MB written",
        format!("WAL append, {} x{} threads", policy.as_str(), threads),
        secs * 1e9 / total as f64,
        total as f64 / secs,
        st.fsyncs,
        total as f64 / st.fsyncs.max(1) as f64,
        st.bytes_written as f64 / 1e6
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A snapshot of 1M string keys (16-byte values): write it (fsync
/// included), read and check it, load it into an empty store with two
/// threads.
fn snapshot() {
    const KEYS: u64 = 1_000_000;
    let dir = temp_dir("snap");
    let store = Store::new(1, 256);
    for i in 0..KEYS {
        let k = format!("key:{:012}", i).into_bytes();
        let (mut s, h) = store.dbs[0].write(&k);
        s.insert(h, &k, Entry::new(Value::str(b"xxxxxxxxxxxxxxxx"), 0));
    }
    let gate = flashdb::tx::Gate::default();
    let info = snapshot::write(&store, &gate, || 1, &dir).expect("write the snapshot");
    assert_eq!(info.keys, KEYS);
    let secs = info.duration.as_secs_f64();
    println!(
        "{:<40} {:>8.1} ns/key  {:>12.0} keys/s  {:.1} MB in {:.2} s",
        "snapshot write 1M keys",
        secs * 1e9 / KEYS as f64,
        KEYS as f64 / secs,
        info.bytes as f64 / 1e6,
        secs
    );
    drop(store);
    let start = Instant::now();
    let loaded = snapshot::open(&info.path).expect("open the snapshot");
    let h = *loaded.header();
    let fresh = Store::with_hasher(h.ndbs as usize, h.nstripes as usize, h.hasher);
    let (_, n) = loaded
        .load_into(&fresh, &snapshot::Limits::default(), 2)
        .expect("load the snapshot");
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(n, KEYS);
    println!(
        "{:<40} {:>8.1} ns/key  {:>12.0} keys/s  (read + check + insert, 2 threads) in {:.2} s",
        "snapshot load 1M keys",
        secs * 1e9 / KEYS as f64,
        KEYS as f64 / secs,
        secs
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn main() {
    // `cargo bench` passes `--bench`; other arguments pick groups.
    let pick: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let on = |g: &str| pick.is_empty() || pick.iter().any(|p| p == g);
    if on("parser") {
        parser();
    }
    if on("encode") {
        encode();
    }
    if on("store") {
        store_ops(1);
        store_ops(2);
    }
    if on("acl") {
        acl_check();
    }
    if on("wal") {
        wal(FsyncPolicy::No, 1);
        wal(FsyncPolicy::EverySec, 2);
        wal(FsyncPolicy::Always, 1);
        wal(FsyncPolicy::Always, 8);
    }
    if on("snapshot") {
        snapshot();
    }
}
