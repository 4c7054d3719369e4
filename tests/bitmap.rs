//! The bitmap family against the real binary: typed results through the
//! redis crate, exact bytes (RESP2 and RESP3), error paths and the offset
//! limit, TTL/encoding/memory behaviour of in-place writes, and a
//! differential run of many deterministic cases against redis-server 7.0.

mod common;
use common::*;
use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

#[test]
fn typed_basics() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(q::<i64>(&mut c, &["SETBIT", "b", "7", "1"]), 0);
    assert_eq!(q::<i64>(&mut c, &["SETBIT", "b", "7", "1"]), 1);
    assert_eq!(q::<i64>(&mut c, &["SETBIT", "b", "7", "0"]), 1);
    assert_eq!(q::<i64>(&mut c, &["SETBIT", "b", "9", "1"]), 0);
    assert_eq!(q::<Vec<u8>>(&mut c, &["GET", "b"]), vec![0u8, 0x40]);
    assert_eq!(q::<i64>(&mut c, &["GETBIT", "b", "9"]), 1);
    assert_eq!(q::<i64>(&mut c, &["GETBIT", "b", "10"]), 0);
    assert_eq!(q::<i64>(&mut c, &["GETBIT", "b", "1000000"]), 0);
    assert_eq!(q::<i64>(&mut c, &["GETBIT", "nosuch", "3"]), 0);
    assert_eq!(q::<i64>(&mut c, &["STRLEN", "b"]), 2);

    q::<()>(&mut c, &["SET", "s", "foobar"]);
    assert_eq!(q::<i64>(&mut c, &["BITCOUNT", "s"]), 26);
    assert_eq!(q::<i64>(&mut c, &["BITCOUNT", "s", "0", "0"]), 4);
    assert_eq!(q::<i64>(&mut c, &["BITCOUNT", "s", "1", "1"]), 6);
    assert_eq!(q::<i64>(&mut c, &["BITCOUNT", "s", "1", "1", "BYTE"]), 6);
    assert_eq!(q::<i64>(&mut c, &["BITCOUNT", "s", "5", "30", "BIT"]), 17);
    assert_eq!(q::<i64>(&mut c, &["BITCOUNT", "s", "-2", "-1"]), 7);
    assert_eq!(q::<i64>(&mut c, &["BITCOUNT", "nosuch"]), 0);

    q::<()>(&mut c, &["SET", "p", "\u{0}\u{0}\u{0}"]);
    assert_eq!(q::<i64>(&mut c, &["BITPOS", "p", "1"]), -1);
    assert_eq!(q::<i64>(&mut c, &["BITPOS", "p", "0"]), 0);
    assert_eq!(q::<i64>(&mut c, &["BITPOS", "nosuch", "1"]), -1);
    assert_eq!(q::<i64>(&mut c, &["BITPOS", "nosuch", "0"]), 0);
    q::<i64>(&mut c, &["SETBIT", "p", "17", "1"]);
    assert_eq!(q::<i64>(&mut c, &["BITPOS", "p", "1"]), 17);
    assert_eq!(q::<i64>(&mut c, &["BITPOS", "p", "1", "0", "1"]), -1);
    assert_eq!(
        q::<i64>(&mut c, &["BITPOS", "p", "1", "16", "20", "BIT"]),
        17
    );
    assert_eq!(
        q::<i64>(&mut c, &["BITPOS", "p", "0", "17", "17", "BIT"]),
        -1
    );

    // BITOP
    q::<()>(&mut c, &["SET", "x", "abc"]);
    q::<()>(&mut c, &["SET", "y", "a"]);
    assert_eq!(q::<i64>(&mut c, &["BITOP", "AND", "d", "x", "y"]), 3);
    assert_eq!(q::<Vec<u8>>(&mut c, &["GET", "d"]), b"a\0\0".to_vec());
    assert_eq!(
        q::<i64>(&mut c, &["BITOP", "or", "d", "x", "y", "nosuch"]),
        3
    );
    assert_eq!(q::<Vec<u8>>(&mut c, &["GET", "d"]), b"abc".to_vec());
    assert_eq!(q::<i64>(&mut c, &["BITOP", "XOR", "d", "x", "x"]), 3);
    assert_eq!(q::<Vec<u8>>(&mut c, &["GET", "d"]), vec![0u8; 3]);
    assert_eq!(q::<i64>(&mut c, &["BITOP", "NOT", "d", "y"]), 1);
    assert_eq!(q::<Vec<u8>>(&mut c, &["GET", "d"]), vec![!b'a']);
    // An empty result deletes the destination, whatever it held.
    q::<i64>(&mut c, &["DEL", "d"]);
    q::<i64>(&mut c, &["SADD", "d", "m"]);
    assert_eq!(q::<i64>(&mut c, &["BITOP", "OR", "d", "nosuch"]), 0);
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "d"]), 0);
    // The destination may also be a source.
    assert_eq!(q::<i64>(&mut c, &["BITOP", "NOT", "x", "x"]), 3);
    assert_eq!(
        q::<Vec<u8>>(&mut c, &["GET", "x"]),
        vec![!b'a', !b'b', !b'c']
    );

    // BITFIELD / BITFIELD_RO
    let v: Vec<Option<i64>> = q(
        &mut c,
        &[
            "BITFIELD", "f", "SET", "u8", "#0", "255", "GET", "u8", "0", "INCRBY", "u8", "0", "10",
            "OVERFLOW", "SAT", "INCRBY", "u8", "0", "300", "OVERFLOW", "FAIL", "INCRBY", "u8", "0",
            "1", "GET", "i8", "0",
        ],
    );
    assert_eq!(
        v,
        vec![Some(0), Some(255), Some(9), Some(255), None, Some(-1)]
    );
    assert_eq!(
        q::<Vec<i64>>(
            &mut c,
            &["BITFIELD_RO", "f", "GET", "u4", "0", "GET", "i4", "4"]
        ),
        vec![15, -1]
    );
    assert_eq!(
        q::<Vec<i64>>(&mut c, &["BITFIELD", "nosuch"]),
        Vec::<i64>::new()
    );
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "nosuch"]), 0);
}

#[test]
fn exact_bytes_resp2_and_resp3() {
    let srv = TestServer::start();
    let mut s = srv.raw();
    assert_eq!(calls(&mut s, &["SETBIT", "k", "0", "1"]), ":0\r\n");
    assert_eq!(call(&mut s, &["GET", "k"]), b"$1\r\n\x80\r\n");
    assert_eq!(
        calls(
            &mut s,
            &["BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "5", "GET", "u2", "0"]
        ),
        "*2\r\n$-1\r\n:2\r\n"
    );
    assert_eq!(calls(&mut s, &["BITFIELD", "k"]), "*0\r\n");
    assert!(!calls(&mut s, &["HELLO", "3"]).is_empty());
    assert_eq!(
        calls(
            &mut s,
            &["BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "i2", "0", "-5"]
        ),
        "*1\r\n_\r\n"
    );
    assert_eq!(calls(&mut s, &["BITCOUNT", "k"]), ":1\r\n");
    assert_eq!(calls(&mut s, &["BITPOS", "k", "0"]), ":1\r\n");
    assert_eq!(calls(&mut s, &["BITOP", "NOT", "k2", "k"]), ":1\r\n");
    assert_eq!(call(&mut s, &["GET", "k2"]), b"$1\r\n\x7f\r\n");
}

#[test]
fn error_paths() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let off = "bit offset is not an integer or out of range";
    for bad in ["-1", "x", "4294967296", "1.5", "#1", ""] {
        assert!(
            qerr(&mut c, &["SETBIT", "k", bad, "1"]).contains(off),
            "{bad}"
        );
        assert!(qerr(&mut c, &["GETBIT", "k", bad]).contains(off), "{bad}");
    }
    for bad in ["2", "-1", "x", ""] {
        assert!(
            qerr(&mut c, &["SETBIT", "k", "1", bad])
                .contains("bit is not an integer or out of range"),
            "{bad}"
        );
    }
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "k"]), 0);
    // The highest offset below the 512 MB limit is accepted by GETBIT
    // without allocating anything.
    assert_eq!(q::<i64>(&mut c, &["GETBIT", "k", "4294967295"]), 0);

    q::<i64>(&mut c, &["SADD", "set", "a"]);
    for args in [
        vec!["SETBIT", "set", "1", "1"],
        vec!["GETBIT", "set", "1"],
        vec!["BITCOUNT", "set"],
        vec!["BITPOS", "set", "1"],
        vec!["BITOP", "AND", "d", "set"],
        vec!["BITFIELD", "set", "GET", "u8", "0"],
        vec!["BITFIELD", "set", "SET", "u8", "0", "1"],
        vec!["BITFIELD_RO", "set", "GET", "u8", "0"],
    ] {
        assert!(qerr(&mut c, &args).contains("WRONGTYPE"), "{args:?}");
    }
    q::<()>(&mut c, &["SET", "s", "abc"]);
    assert!(qerr(&mut c, &["BITCOUNT", "s", "0"]).contains("syntax error"));
    assert!(qerr(&mut c, &["BITCOUNT", "s", "0", "1", "BITS"]).contains("syntax error"));
    assert!(qerr(&mut c, &["BITCOUNT", "s", "a", "1"]).contains("not an integer"));
    assert!(qerr(&mut c, &["BITPOS", "s", "2"]).contains("The bit argument must be 1 or 0."));
    assert!(qerr(&mut c, &["BITPOS", "s", "x"]).contains("not an integer"));
    assert!(qerr(&mut c, &["BITPOS", "s", "1", "0", "1", "BIT", "x"]).contains("syntax error"));
    assert!(qerr(&mut c, &["BITOP", "NOT", "d", "s", "s"])
        .contains("BITOP NOT must be called with a single source key."));
    assert!(qerr(&mut c, &["BITOP", "NAND", "d", "s"]).contains("syntax error"));
    let ty = "Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";
    for t in ["u64", "i65", "i0", "u", "I8", "8", "x8"] {
        assert!(
            qerr(&mut c, &["BITFIELD", "s", "GET", t, "0"]).contains(ty),
            "{t}"
        );
    }
    assert!(qerr(&mut c, &["BITFIELD", "s", "GET", "u8", "#x"]).contains(off));
    assert!(qerr(&mut c, &["BITFIELD", "s", "GET", "u8", "-8"]).contains(off));
    assert!(qerr(&mut c, &["BITFIELD", "s", "SET", "u8", "0", "x"]).contains("not an integer"));
    assert!(qerr(&mut c, &["BITFIELD", "s", "OVERFLOW", "NONE"])
        .contains("Invalid OVERFLOW type specified"));
    assert!(qerr(&mut c, &["BITFIELD", "s", "GET", "u8"]).contains("syntax error"));
    assert!(qerr(
        &mut c,
        &[
            "BITFIELD_RO",
            "s",
            "GET",
            "u8",
            "0",
            "INCRBY",
            "u8",
            "0",
            "1"
        ]
    )
    .contains("BITFIELD_RO only supports the GET subcommand"));
    assert!(qerr(
        &mut c,
        &["BITFIELD_RO", "s", "OVERFLOW", "SAT", "SET", "u8", "0", "1"]
    )
    .contains("BITFIELD_RO only supports the GET subcommand"));
    assert_eq!(q::<String>(&mut c, &["GET", "s"]), "abc");
    // #N beyond the limit, and a #N whose product wraps negative (C
    // arithmetic, as in Redis), are refused.
    assert!(qerr(&mut c, &["BITFIELD", "k", "SET", "i64", "#67108864", "1"]).contains(off));
    assert!(qerr(
        &mut c,
        &["BITFIELD", "k", "SET", "i64", "#144115188075855872", "1"]
    )
    .contains(off));
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "k"]), 0);
    for (cmd, n) in [("SETBIT", 3), ("GETBIT", 2), ("BITOP", 3), ("BITPOS", 2)] {
        let mut a = vec![cmd];
        a.extend(std::iter::repeat_n("k", n - 1));
        assert!(
            qerr(&mut c, &a).contains("wrong number of arguments"),
            "{cmd}"
        );
    }
}

/// With a small proto-max-bulk-len, one bad offset cannot make the server
/// allocate more than a bulk string may hold.
#[test]
fn offset_limit_follows_proto_max_bulk_len() {
    let srv = TestServer::start_with(&["--proto-max-bulk-len", "1mb"]);
    let mut c = srv.client();
    let off = "bit offset is not an integer or out of range";
    // 1 MB = 2^20 bytes: bit offsets up to 2^23 - 1.
    assert_eq!(q::<i64>(&mut c, &["SETBIT", "k", "8388607", "1"]), 0);
    assert_eq!(q::<i64>(&mut c, &["STRLEN", "k"]), 1 << 20);
    assert!(qerr(&mut c, &["SETBIT", "k", "8388608", "1"]).contains(off));
    assert!(qerr(&mut c, &["SETBIT", "n", "4294967295", "1"]).contains(off));
    assert!(qerr(&mut c, &["GETBIT", "k", "8388608"]).contains(off));
    assert!(qerr(&mut c, &["BITFIELD", "n", "SET", "u8", "#1048576", "1"]).contains(off));
    assert!(qerr(&mut c, &["BITFIELD_RO", "n", "GET", "u8", "8388608"]).contains(off));
    assert_eq!(
        q::<Vec<i64>>(&mut c, &["BITFIELD", "n", "SET", "u8", "#1048575", "1"]),
        vec![0]
    );
    assert_eq!(q::<i64>(&mut c, &["STRLEN", "n"]), 1 << 20);
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "k", "n"]), 2);
}

/// Writes keep the TTL, make the value raw, and keep INFO's used_memory
/// exact: back to the baseline once the keys are gone.
#[test]
fn ttl_encoding_and_memory() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let used = used_memory;
    let base = used(&mut c);
    q::<()>(&mut c, &["SET", "t", "12", "EX", "1000"]);
    assert_eq!(q::<String>(&mut c, &["OBJECT", "ENCODING", "t"]), "int");
    q::<i64>(&mut c, &["SETBIT", "t", "3", "1"]);
    assert_eq!(q::<String>(&mut c, &["OBJECT", "ENCODING", "t"]), "raw");
    assert!(q::<i64>(&mut c, &["TTL", "t"]) > 900);
    q::<Vec<i64>>(&mut c, &["BITFIELD", "t", "SET", "u8", "#100", "7"]);
    assert!(q::<i64>(&mut c, &["TTL", "t"]) > 900);
    assert_eq!(q::<i64>(&mut c, &["STRLEN", "t"]), 101);
    q::<i64>(&mut c, &["SETBIT", "new", "2", "1"]);
    assert_eq!(q::<String>(&mut c, &["OBJECT", "ENCODING", "new"]), "raw");
    assert_eq!(q::<i64>(&mut c, &["BITOP", "OR", "d", "t", "new"]), 101);
    assert_eq!(q::<String>(&mut c, &["OBJECT", "ENCODING", "d"]), "raw");
    assert_eq!(q::<i64>(&mut c, &["TTL", "d"]), -1);
    // Growth by many SETBITs is accounted step by step.
    for i in 0..2000 {
        q::<i64>(&mut c, &["SETBIT", "grow", &(i * 37).to_string(), "1"]);
    }
    assert_eq!(q::<i64>(&mut c, &["BITCOUNT", "grow"]), 2000);
    assert!(used(&mut c) > base + 9000);
    // A read-only BITFIELD beyond the end allocates nothing.
    let before = used(&mut c);
    q::<Vec<i64>>(&mut c, &["BITFIELD", "grow", "GET", "u8", "#100000"]);
    q::<i64>(&mut c, &["GETBIT", "grow", "4000000"]);
    assert_eq!(used(&mut c), before);
    q::<i64>(&mut c, &["DEL", "t", "new", "d", "grow"]);
    assert_eq!(used(&mut c), base);
}

// ---------------------------------------------------------------- differential

fn b(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

fn line(s: &str) -> Vec<Vec<u8>> {
    s.split(' ').map(b).collect()
}

/// Many deterministic cases; every reply is compared byte for byte.
fn differential_cases() -> Vec<Vec<Vec<u8>>> {
    let mut cases: Vec<Vec<Vec<u8>>> = Vec::new();
    let set = |k: &str, v: &[u8]| vec![b("SET"), b(k), v.to_vec()];
    cases.push(set("s1", b"foobar"));
    cases.push(set("s2", &[0xff, 0xf0, 0x00]));
    cases.push(set("s3", &[0, 0, 0]));
    cases.push(set("ones", &[0xff, 0xff, 0xff]));
    cases.push(set("e", b""));
    cases.push(set("num", b"12345"));
    cases.push(set(
        "mix",
        &[0x00, 0x01, 0x80, 0xff, 0x7f, 0xfe, 0x00, 0x10],
    ));
    cases.push(line("HSET h f v"));
    let keys = ["s1", "s2", "s3", "ones", "e", "num", "mix", "nokey", "h"];
    let idx = [
        "-100", "-17", "-9", "-8", "-1", "0", "1", "2", "7", "8", "9", "16", "23", "24", "100",
    ];
    let units = ["", " BYTE", " bit"];
    for k in keys {
        cases.push(line(&format!("BITCOUNT {k}")));
        cases.push(line(&format!("BITPOS {k} 0")));
        cases.push(line(&format!("BITPOS {k} 1")));
        for s in idx {
            for bit in ["0", "1"] {
                cases.push(line(&format!("BITPOS {k} {bit} {s}")));
            }
            for e in idx {
                for u in units {
                    cases.push(line(&format!("BITCOUNT {k} {s} {e}{u}")));
                    for bit in ["0", "1"] {
                        cases.push(line(&format!("BITPOS {k} {bit} {s} {e}{u}")));
                    }
                }
            }
        }
        for off in 0..70 {
            cases.push(line(&format!("GETBIT {k} {off}")));
        }
        cases.push(line(&format!("GETBIT {k} 4294967295")));
        cases.push(line(&format!("BITCOUNT {k} 0")));
        cases.push(line(&format!("BITCOUNT {k} x 1")));
        cases.push(line(&format!("BITCOUNT {k} 0 1 BOTH")));
        cases.push(line(&format!("BITCOUNT {k} 0 1 BIT x")));
        cases.push(line(&format!("BITPOS {k} 2")));
        cases.push(line(&format!("BITPOS {k} x")));
        cases.push(line(&format!("BITPOS {k} 1 x")));
        cases.push(line(&format!("BITPOS {k} 0 0 x")));
        cases.push(line(&format!("BITPOS {k} 0 0 1 BITS")));
        cases.push(line(&format!("BITPOS {k} 0 0 1 BIT x")));
    }
    // SETBIT sweeps, on new keys and on strings, ints and empty values.
    for (i, off) in [0u64, 1, 7, 8, 9, 15, 31, 63, 64, 100, 1000, 7, 0]
        .iter()
        .enumerate()
    {
        let v = if i % 3 == 2 { "0" } else { "1" };
        cases.push(line(&format!("SETBIT sb {off} {v}")));
        cases.push(line("GET sb"));
        cases.push(line("STRLEN sb"));
    }
    cases.push(line("OBJECT ENCODING sb"));
    for k in ["num", "e", "s1"] {
        cases.push(line(&format!("SETBIT {k} 2 1")));
        cases.push(line(&format!("SETBIT {k} 50 1")));
        cases.push(line(&format!("GET {k}")));
        cases.push(line(&format!("OBJECT ENCODING {k}")));
    }
    cases.push(line("SETBIT sb 0 2"));
    cases.push(line("SETBIT sb 0 -1"));
    cases.push(line("SETBIT sb -1 1"));
    cases.push(line("SETBIT sb 4294967296 1"));
    cases.push(line("SETBIT sb 99999999999999999999 1"));
    cases.push(line("SETBIT h 0 1"));
    cases.push(line("SETBIT h x 1"));
    cases.push(line("SETBIT h 0 x"));
    cases.push(line("GETBIT sb -1"));
    cases.push(line("GETBIT sb 4294967296"));
    // Long runs (the word-sized skips of BITPOS and BITCOUNT).
    cases.push(line("SETBIT long 700 1"));
    cases.push(line("SETBIT long 1500 1"));
    cases.push(line("SETBIT long 1599 1"));
    cases.push(line("BITOP NOT longn long"));
    for k in ["long", "longn"] {
        for r in [
            "",
            " 0",
            " 3",
            " 0 -1",
            " 64 199",
            " 1 87",
            " 88 700 BIT",
            " 701 1598 BIT",
            " 700 700 bit",
            " -1 -1 BIT",
            " 8 -2",
        ] {
            for bit in ["0", "1"] {
                cases.push(line(&format!("BITPOS {k} {bit}{r}")));
            }
            if r.matches(' ').count() >= 2 {
                cases.push(line(&format!("BITCOUNT {k}{r}")));
            }
        }
    }
    // BITOP over every pair of a few sources, with missing keys.
    let srcs = ["s1", "s2", "mix", "e", "nokey", "sb"];
    for op in ["AND", "OR", "XOR", "and", "Xor"] {
        for a in srcs {
            for bb in srcs {
                cases.push(line(&format!("BITOP {op} dst {a} {bb}")));
                cases.push(line("GET dst"));
            }
        }
        cases.push(line(&format!("BITOP {op} dst s1 s2 mix sb nokey")));
        cases.push(line("GET dst"));
        cases.push(line(&format!("BITOP {op} dst s1 h")));
    }
    for a in srcs {
        cases.push(line(&format!("BITOP NOT dst {a}")));
        cases.push(line("GET dst"));
        cases.push(line("EXISTS dst"));
    }
    cases.push(line("BITOP NOT dst s1 s2"));
    cases.push(line("BITOP NAND dst s1"));
    cases.push(line("BITOP NOT dst2 dst2"));
    cases.push(line("SADD dset a"));
    cases.push(line("BITOP OR dset s1"));
    cases.push(line("TYPE dset"));
    cases.push(line("GET dset"));
    cases.push(line("OBJECT ENCODING dset"));
    cases.push(line("BITOP OR dset nokey"));
    cases.push(line("EXISTS dset"));
    // BITFIELD: every width class, overflow mode and boundary increment.
    let types = [
        "i1", "u1", "i2", "u2", "i5", "u5", "i8", "u8", "i13", "u17", "i31", "u32", "i63", "u63",
        "i64",
    ];
    let values = [
        "0",
        "1",
        "-1",
        "2",
        "-2",
        "100",
        "-100",
        "127",
        "128",
        "-128",
        "-129",
        "255",
        "256",
        "4611686018427387903",
        "4611686018427387904",
        "9223372036854775807",
        "-9223372036854775808",
    ];
    for (ti, t) in types.iter().enumerate() {
        let off = ti * 7 + 3; // unaligned, crossing bytes
        for ow in ["WRAP", "SAT", "FAIL"] {
            for v in values {
                cases.push(line(&format!(
                    "BITFIELD bf OVERFLOW {ow} SET {t} {off} {v} GET {t} {off}"
                )));
                for inc in values {
                    cases.push(line(&format!(
                        "BITFIELD bf OVERFLOW {ow} SET {t} {off} {v} INCRBY {t} {off} {inc} GET {t} {off}"
                    )));
                }
            }
        }
        cases.push(line(&format!("BITFIELD bf GET {t} #3 GET {t} 0")));
        cases.push(line(&format!("BITFIELD_RO bf GET {t} #1 GET {t} 1000")));
        cases.push(line(&format!("BITFIELD bf INCRBY {t} #2 1 SET {t} #2 5")));
    }
    cases.push(line("GET bf"));
    for l in [
        "BITFIELD fresh OVERFLOW FAIL SET u2 100 7",
        "GET fresh",
        "BITFIELD fresh2 GET u8 0",
        "EXISTS fresh2",
        "BITFIELD bf",
        "BITFIELD_RO bf",
        "BITFIELD bf GET u64 0",
        "BITFIELD bf GET i65 0",
        "BITFIELD bf GET i0 0",
        "BITFIELD bf GET U8 0",
        "BITFIELD bf GET u8 -1",
        "BITFIELD bf GET u8 #-1",
        "BITFIELD bf GET u8 ##1",
        "BITFIELD bf GET u8 4294967296",
        "BITFIELD bf GET u8 #536870912",
        "BITFIELD bf GET u8 #536870911",
        "BITFIELD wk SET i64 #2305843009213693952 1",
        "BITFIELD wk SET i64 #144115188075855872 1",
        "GET wk",
        "BITFIELD bf GET u8",
        "BITFIELD bf SET u8 0",
        "BITFIELD bf INCRBY u8 0 x",
        "BITFIELD bf OVERFLOW",
        "BITFIELD bf OVERFLOW wrong GET u8 0",
        "BITFIELD bf overflow sat incrby u8 0 1000 get U8 0",
        "BITFIELD bf FOO u8 0",
        "BITFIELD bf get i8 0 get",
        "BITFIELD_RO bf GET u8 0 SET u8 0 1",
        "BITFIELD_RO bf OVERFLOW SAT GET u8 0",
        "BITFIELD_RO bf INCRBY u8 0 1 GET u99 0",
        "BITFIELD h GET u8 0",
        "BITFIELD h SET u8 0 1",
        "BITFIELD_RO h GET u8 0",
        "BITFIELD_RO nokey GET u8 0 GET i64 100",
    ] {
        cases.push(line(l));
    }
    cases.push(vec![
        b("BITFIELD"),
        b("bf"),
        b("GET"),
        b"u8\0x".to_vec(),
        b("0"),
    ]);
    cases.push(vec![
        b("BITFIELD"),
        b("bf"),
        b"get\0x".to_vec(),
        b("u8"),
        b("0"),
    ]);
    cases.push(vec![
        b("BITCOUNT"),
        b("s1"),
        b("0"),
        b("1"),
        b"bit\0x".to_vec(),
    ]);
    cases.push(vec![b("BITOP"), b"not\0x".to_vec(), b("d3"), b("s1")]);
    cases.push(line("GET d3"));
    cases
}

/// Sends the cases in pipelined batches; returns each raw reply.
fn run(s: &mut TcpStream, cases: &[Vec<Vec<u8>>]) -> Vec<Vec<u8>> {
    let mut out = Vec::with_capacity(cases.len());
    for chunk in cases.chunks(200) {
        let mut buf = Vec::new();
        for c in chunk {
            let a: Vec<&[u8]> = c.iter().map(|x| x.as_slice()).collect();
            buf.extend_from_slice(&cmd(&a));
        }
        s.write_all(&buf).unwrap();
        for _ in chunk {
            out.push(read_reply(s));
        }
    }
    out
}

#[test]
fn differential_against_redis() {
    let Some(r) = RedisRef::start() else {
        return;
    };
    let srv = TestServer::start();
    let cases = differential_cases();
    assert!(cases.len() > 10_000, "{}", cases.len());
    for (db, proto) in [("0", "2"), ("1", "3")] {
        let mut a = TcpStream::connect(("127.0.0.1", r.port)).unwrap();
        a.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut bb = srv.raw();
        for s in [&mut a, &mut bb] {
            let _ = call(s, &["HELLO", proto]);
            assert_eq!(calls(s, &["SELECT", db]), "+OK\r\n");
        }
        let want = run(&mut a, &cases);
        let got = run(&mut bb, &cases);
        let bad: Vec<String> = cases
            .iter()
            .zip(&want)
            .zip(&got)
            .filter(|((_, w), g)| w != g)
            .take(30)
            .map(|((c, w), g)| {
                let c: Vec<String> = c
                    .iter()
                    .map(|x| String::from_utf8_lossy(x).into())
                    .collect();
                format!(
                    "RESP{proto} {c:?}\n  redis:   {:?}\n  flashdb: {:?}",
                    String::from_utf8_lossy(w),
                    String::from_utf8_lossy(g)
                )
            })
            .collect();
        assert!(bad.is_empty(), "{} differ:\n{}", bad.len(), bad.join("\n"));
    }
}
