//! The HyperLogLog family against the real binary: PFADD/PFCOUNT/PFMERGE
//! replies and errors, accuracy up to 100k elements, and a differential run
//! against redis-server 7.0 comparing every reply and the raw bytes of the
//! HLL strings (sparse and dense, valid and corrupted), in both directions.

mod common;
use common::*;
use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

fn callb(s: &mut TcpStream, args: &[&[u8]]) -> Vec<u8> {
    s.write_all(&cmd(args)).unwrap();
    read_reply(s)
}

/// The payload of a RESP2 bulk reply.
fn bulk_payload(r: &[u8]) -> Vec<u8> {
    assert_eq!(r[0], b'$', "{:?}", String::from_utf8_lossy(r));
    let nl = r.iter().position(|&b| b == b'\n').unwrap();
    r[nl + 1..r.len() - 2].to_vec()
}

/// Adds `from..to` as elements "e<i>" in batches of 1000.
fn add_range(c: &mut redis::Connection, key: &str, from: u32, to: u32) {
    let mut i = from;
    while i < to {
        let end = (i + 1000).min(to);
        let mut cmd = redis::cmd("PFADD");
        cmd.arg(key);
        for j in i..end {
            cmd.arg(format!("e{j}"));
        }
        let _: i64 = cmd.query(c).unwrap();
        i = end;
    }
}

#[test]
fn basics_and_errors() {
    let srv = TestServer::start();
    let mut c = srv.client();
    // Creating the key counts as an update, even with no elements.
    assert_eq!(q::<i64>(&mut c, &["PFADD", "h"]), 1);
    assert_eq!(q::<i64>(&mut c, &["PFADD", "h"]), 0);
    assert_eq!(q::<i64>(&mut c, &["PFADD", "h", "a", "b", "c"]), 1);
    assert_eq!(q::<i64>(&mut c, &["PFADD", "h", "a", "b", "c"]), 0);
    assert_eq!(q::<i64>(&mut c, &["PFADD", "h", "a", "d"]), 1);
    assert_eq!(q::<i64>(&mut c, &["PFCOUNT", "h"]), 4);
    assert_eq!(q::<i64>(&mut c, &["PFCOUNT", "nosuch"]), 0);
    assert_eq!(q::<i64>(&mut c, &["PFCOUNT", "nosuch", "other"]), 0);
    let raw: Vec<u8> = q(&mut c, &["GET", "h"]);
    assert_eq!(&raw[..5], b"HYLL\x01");
    // PFCOUNT cached the cardinality (valid-cache bit clear).
    assert_eq!(&raw[8..16], &4u64.to_le_bytes());
    assert_eq!(q::<String>(&mut c, &["PFDEBUG", "ENCODING", "h"]), "sparse");

    // PFMERGE: missing sources are skipped, dest may not exist.
    q::<i64>(&mut c, &["PFADD", "g", "c", "d", "e", "f"]);
    q::<()>(&mut c, &["PFMERGE", "m", "h", "g", "nosuch"]);
    assert_eq!(q::<i64>(&mut c, &["PFCOUNT", "m"]), 6);
    assert_eq!(q::<i64>(&mut c, &["PFCOUNT", "h", "g"]), 6);
    q::<()>(&mut c, &["PFMERGE", "empty"]);
    assert_eq!(q::<i64>(&mut c, &["PFCOUNT", "empty"]), 0);
    // The destination keeps its TTL.
    q::<i64>(&mut c, &["EXPIRE", "m", "1000"]);
    q::<()>(&mut c, &["PFMERGE", "m", "g"]);
    q::<i64>(&mut c, &["PFADD", "m", "zz"]);
    assert!(q::<i64>(&mut c, &["TTL", "m"]) > 900);

    // Errors.
    q::<i64>(&mut c, &["RPUSH", "l", "x"]);
    let wt = "WRONGTYPE: Operation against a key holding the wrong kind of value";
    assert_eq!(qerr(&mut c, &["PFADD", "l", "x"]), wt);
    assert_eq!(qerr(&mut c, &["PFCOUNT", "l"]), wt);
    assert_eq!(qerr(&mut c, &["PFMERGE", "h", "l"]), wt);
    q::<()>(&mut c, &["SET", "s", "hello world, not an HLL"]);
    let nothll = "WRONGTYPE: Key is not a valid HyperLogLog string value.";
    assert_eq!(qerr(&mut c, &["PFADD", "s", "x"]), nothll);
    assert_eq!(qerr(&mut c, &["PFCOUNT", "s"]), nothll);
    assert_eq!(qerr(&mut c, &["PFCOUNT", "h", "s"]), nothll);
    assert_eq!(qerr(&mut c, &["PFMERGE", "s", "h"]), nothll);
    assert_eq!(qerr(&mut c, &["PFMERGE", "h", "s"]), nothll);
    // A dense header with the wrong length is not an HLL either.
    q::<()>(
        &mut c,
        &[
            "SET",
            "d",
            "HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
        ],
    );
    assert_eq!(qerr(&mut c, &["PFCOUNT", "d"]), nothll);

    // Corrupt sparse data: registers not adding up to 16384.
    let mut bad = raw.clone();
    bad.truncate(16);
    bad.extend_from_slice(&[0x7f, 0xf0]); // XZERO:16369
    bad[15] |= 0x80;
    let mut s = srv.raw();
    callb(&mut s, &[b"SET", b"bad", &bad]);
    let corrupt = "-INVALIDOBJ Corrupted HLL object detected\r\n";
    assert_eq!(calls(&mut s, &["PFCOUNT", "bad"]), corrupt);
    assert_eq!(calls(&mut s, &["PFCOUNT", "bad", "h"]), corrupt);
    assert_eq!(calls(&mut s, &["PFMERGE", "x", "bad"]), corrupt);
    // PFADD only checks the opcodes it walks (as Redis): these registers
    // are covered, so it succeeds, and the value stays corrupt.
    assert_eq!(calls(&mut s, &["PFADD", "bad", "a", "b", "c"]), ":1\r\n");
    assert_eq!(calls(&mut s, &["PFCOUNT", "bad"]), corrupt);
    assert_eq!(calls(&mut s, &["PFDEBUG", "TODENSE", "bad"]), corrupt);
    assert_eq!(
        calls(&mut s, &["PFDEBUG", "GETREG", "nosuch"]),
        "-ERR The specified key does not exist\r\n"
    );
    assert_eq!(calls(&mut s, &["PFSELFTEST"]), "+OK\r\n");
}

#[test]
fn accuracy_up_to_100k() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let mut done = 0;
    for n in [10u32, 100, 1000, 5000, 20_000, 50_000, 100_000] {
        add_range(&mut c, "acc", done, n);
        done = n;
        let got: i64 = q(&mut c, &["PFCOUNT", "acc"]);
        let err = (got - n as i64).abs() as f64 / n as f64;
        // 3 standard errors (1.04/sqrt(16384) = 0.81%), at least 1 for tiny sets.
        assert!(
            err <= 0.0243 || (got - n as i64).abs() <= 1,
            "n={n} got={got} err={err}"
        );
    }
    assert_eq!(
        q::<String>(&mut c, &["PFDEBUG", "ENCODING", "acc"]),
        "dense"
    );
    // Merging two disjoint halves estimates the union.
    add_range(&mut c, "lo", 0, 30_000);
    add_range(&mut c, "hi", 30_000, 60_000);
    q::<()>(&mut c, &["PFMERGE", "u", "lo", "hi"]);
    let u: i64 = q(&mut c, &["PFCOUNT", "u"]);
    assert!((u - 60_000).abs() as f64 / 60_000.0 <= 0.0243, "{u}");
    assert_eq!(q::<i64>(&mut c, &["PFCOUNT", "lo", "hi"]), u);
}

/// A deterministic pseudo-random generator (xorshift).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The scripted cases: commands as byte vectors.
fn differential_cases() -> Vec<Vec<Vec<u8>>> {
    let mut v: Vec<Vec<Vec<u8>>> = Vec::new();
    let s = |x: &str| x.as_bytes().to_vec();
    let mut rng = Rng(0x9e3779b97f4a7c15);
    // Growing HLLs in several keys, with various sparse limits, each step
    // followed by the counts and the raw bytes.
    for (k, limit) in [("a", "3000"), ("b", "200"), ("c", "0"), ("d", "12000")] {
        v.push(vec![
            s("CONFIG"),
            s("SET"),
            s("hll-sparse-max-bytes"),
            s(limit),
        ]);
        let mut total = 0u64;
        for round in 0..25 {
            let n = 1 + rng.below(if round < 10 { 20 } else { 400 });
            let mut c = vec![s("PFADD"), s(k)];
            for _ in 0..n {
                c.push(format!("x{}", rng.below(total + n + 1)).into_bytes());
            }
            total += n;
            v.push(c);
            v.push(vec![s("GET"), s(k)]);
            v.push(vec![s("PFCOUNT"), s(k)]);
            v.push(vec![s("GET"), s(k)]);
            v.push(vec![s("PFDEBUG"), s("DECODE"), s(k)]);
        }
        v.push(vec![s("PFDEBUG"), s("ENCODING"), s(k)]);
    }
    v.push(vec![
        s("CONFIG"),
        s("SET"),
        s("hll-sparse-max-bytes"),
        s("3000"),
    ]);
    // Small sparse HLLs merged with sparse and dense ones.
    for (i, n) in [(0, 3), (1, 50), (2, 700), (3, 3000)] {
        let mut c = vec![s("PFADD"), format!("m{i}").into_bytes()];
        for j in 0..n {
            c.push(format!("m{i}-{j}").into_bytes());
        }
        v.push(c);
    }
    for srcs in [
        &["m0", "m1"][..],
        &["m0", "m1", "m2"],
        &["m2", "m3"],
        &["m0", "nosuch"],
    ] {
        let mut c = vec![s("PFMERGE"), s("dst")];
        c.extend(srcs.iter().map(|x| s(x)));
        v.push(c);
        v.push(vec![s("GET"), s("dst")]);
        v.push(vec![s("PFCOUNT"), s("dst")]);
        let mut c = vec![s("PFCOUNT")];
        c.extend(srcs.iter().map(|x| s(x)));
        v.push(c);
        v.push(vec![
            s("PFMERGE"),
            format!("fresh{}", srcs.len()).into_bytes(),
            s("m0"),
        ]);
        v.push(vec![s("GET"), format!("fresh{}", srcs.len()).into_bytes()]);
    }
    v.push(vec![s("PFMERGE"), s("m1"), s("m3")]);
    v.push(vec![s("GET"), s("m1")]);
    v.push(vec![s("PFDEBUG"), s("TODENSE"), s("m0")]);
    v.push(vec![s("PFDEBUG"), s("TODENSE"), s("m0")]);
    v.push(vec![s("GET"), s("m0")]);
    v.push(vec![s("PFDEBUG"), s("GETREG"), s("m2")]);
    v.push(vec![s("GET"), s("m2")]);
    v.push(vec![s("PFDEBUG"), s("nope"), s("m2")]);
    v.push(vec![s("PFDEBUG"), s("DECODE"), s("m3")]);
    v
}

/// Runs the cases on a connection, collecting the raw replies.
fn run(s: &mut TcpStream, cases: &[Vec<Vec<u8>>]) -> Vec<Vec<u8>> {
    cases
        .iter()
        .map(|c| {
            let a: Vec<&[u8]> = c.iter().map(|x| x.as_slice()).collect();
            callb(s, &a)
        })
        .collect()
}

fn compare(what: &str, cases: &[Vec<Vec<u8>>], want: &[Vec<u8>], got: &[Vec<u8>]) {
    let bad: Vec<String> = cases
        .iter()
        .zip(want)
        .zip(got)
        .filter(|((_, w), g)| w != g)
        .take(10)
        .map(|((c, w), g)| {
            let c: Vec<String> = c
                .iter()
                .map(|x| String::from_utf8_lossy(&x[..x.len().min(40)]).into())
                .collect();
            let cut = |x: &[u8]| String::from_utf8_lossy(&x[..x.len().min(300)]).into_owned();
            format!("{c:?}\n  redis:   {:?}\n  flashdb: {:?}", cut(w), cut(g))
        })
        .collect();
    assert!(
        bad.is_empty(),
        "{what}: {} differences:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

#[test]
fn differential_against_redis() {
    let Some(r) = RedisRef::start() else {
        return;
    };
    let srv = TestServer::start();
    let mut a = TcpStream::connect(("127.0.0.1", r.port)).unwrap();
    a.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut b = srv.raw();
    let cases = differential_cases();
    let want = run(&mut a, &cases);
    let got = run(&mut b, &cases);
    compare("scripted", &cases, &want, &got);

    // HLL strings made by Redis, copied into FlashDB with GET/SET, count the
    // same and keep evolving identically; and the other way round.
    let mut tail = Vec::new();
    for k in ["a", "b", "c", "d", "m1", "m3", "dst"] {
        let from_redis = bulk_payload(&callb(&mut a, &[b"GET", k.as_bytes()]));
        let from_ours = bulk_payload(&callb(&mut b, &[b"GET", k.as_bytes()]));
        assert_eq!(from_redis, from_ours, "{k}");
        let ka = format!("{k}-copy");
        callb(&mut b, &[b"SET", ka.as_bytes(), &from_redis]);
        callb(&mut a, &[b"SET", ka.as_bytes(), &from_ours]);
        tail.push(vec![b"PFCOUNT".to_vec(), ka.clone().into_bytes()]);
        tail.push(vec![
            b"PFADD".to_vec(),
            ka.clone().into_bytes(),
            b"new1".to_vec(),
            b"new2".to_vec(),
        ]);
        tail.push(vec![b"PFCOUNT".to_vec(), ka.clone().into_bytes()]);
        tail.push(vec![b"GET".to_vec(), ka.into_bytes()]);
    }
    let want = run(&mut a, &tail);
    let got = run(&mut b, &tail);
    compare("copied", &tail, &want, &got);

    // Corrupted HLLs: random bytes changed in valid sparse and dense
    // strings; every command must answer as Redis does (and not crash).
    let sparse = bulk_payload(&callb(&mut a, &[b"GET", b"m1"]));
    let dense = bulk_payload(&callb(&mut a, &[b"GET", b"m3"]));
    let mut rng = Rng(12345);
    let mut fuzz: Vec<Vec<Vec<u8>>> = Vec::new();
    for i in 0..300 {
        let mut v = if i % 5 == 4 {
            dense.clone()
        } else {
            sparse.clone()
        };
        let sp = v[4] == 1;
        let edits = 1 + rng.below(3);
        for _ in 0..edits {
            let at = 16 + rng.below((v.len() - 16) as u64) as usize;
            v[at] = rng.next() as u8;
        }
        if sp && rng.below(4) == 0 {
            let cut = 16 + rng.below((v.len() - 16) as u64) as usize;
            v.truncate(cut);
        }
        v[15] |= 0x80;
        let k = format!("z{i}").into_bytes();
        fuzz.push(vec![b"SET".to_vec(), k.clone(), v]);
        match i % 4 {
            0 => fuzz.push(vec![b"PFCOUNT".to_vec(), k.clone()]),
            1 => fuzz.push(vec![b"PFCOUNT".to_vec(), k.clone(), b"m0".to_vec()]),
            2 => fuzz.push(vec![b"PFMERGE".to_vec(), b"zdst".to_vec(), k.clone()]),
            _ => fuzz.push(vec![b"PFDEBUG".to_vec(), b"DECODE".to_vec(), k.clone()]),
        }
        let mut add = vec![b"PFADD".to_vec(), k.clone()];
        for j in 0..1 + rng.below(30) {
            add.push(format!("f{i}-{j}").into_bytes());
        }
        fuzz.push(add);
        fuzz.push(vec![b"GET".to_vec(), k.clone()]);
        fuzz.push(vec![b"PFCOUNT".to_vec(), k]);
    }
    let want = run(&mut a, &fuzz);
    let got = run(&mut b, &fuzz);
    compare("corrupted", &fuzz, &want, &got);
}
