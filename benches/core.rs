//! In-process micro-benchmarks (no network): the RESP parser on a
//! pipelined buffer, reply encoding, store GET/SET from one and two
//! threads, and the ACL check of a restricted user. `cargo bench` runs them; numbers are ns per operation, for
//! comparing changes on the same machine, not absolute truth.

use flashdb::resp::parser::{Limits, Parsed, Parser};
use flashdb::resp::Reply;
use flashdb::store::{Entry, Store, Value};
use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

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

fn main() {
    parser();
    encode();
    store_ops(1);
    store_ops(2);
    acl_check();
}
