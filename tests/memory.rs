//! MEMORY USAGE / STATS / DOCTOR / PURGE / HELP through real clients, the
//! error paths byte for byte against redis-server, and redis-cli's
//! `--bigkeys` / `--memkeys` (which use TYPE, SCAN and MEMORY USAGE).

mod common;
use common::*;

#[test]
fn memory_usage_follows_the_value() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let _: () = q(&mut c, &["SET", "small", "x"]);
    let _: () = q(&mut c, &["SET", "big", &"x".repeat(100_000)]);
    let small: i64 = q(&mut c, &["MEMORY", "USAGE", "small"]);
    let big: i64 = q(&mut c, &["MEMORY", "USAGE", "big", "SAMPLES", "0"]);
    assert!((2..200).contains(&small), "{small}");
    assert!((100_000..110_000).contains(&big), "{big}");
    let none: Option<i64> = q(&mut c, &["MEMORY", "USAGE", "missing"]);
    assert_eq!(none, None);
    // A hash grows with its fields; the sum over keys tracks INFO memory.
    for i in 0..1000 {
        let _: i64 = q(
            &mut c,
            &["HSET", "h", &format!("f{i}"), "value-of-some-length"],
        );
    }
    let h: i64 = q(&mut c, &["MEMORY", "USAGE", "h"]);
    assert!(h > 1000 * 20, "{h}");
    // MEMORY USAGE neither counts a hit nor a miss (Redis reads the dict).
    let info: String = q(&mut c, &["INFO", "stats"]);
    assert!(info.contains("keyspace_hits:0\r\n"), "{info}");
    assert!(info.contains("keyspace_misses:0\r\n"), "{info}");
}

#[test]
fn memory_stats_is_a_map_of_the_server_figures() {
    let srv = TestServer::start();
    let mut c = srv.client();
    for i in 0..50 {
        let _: () = q(&mut c, &["SET", &format!("k{i}"), "v"]);
    }
    let _: () = q(&mut c, &["SELECT", "3"]);
    let _: () = q(&mut c, &["SET", "other", "v", "EX", "100"]);
    let stats: Vec<redis::Value> = q(&mut c, &["MEMORY", "STATS"]);
    let mut m = std::collections::HashMap::new();
    for pair in stats.chunks(2) {
        let k: String = redis::from_redis_value(&pair[0]).unwrap();
        m.insert(k, pair[1].clone());
    }
    let int = |k: &str| -> i64 { redis::from_redis_value(&m[k]).unwrap() };
    assert_eq!(int("keys.count"), 51);
    let used = used_memory(&mut c);
    let total = int("total.allocated");
    assert!((total - used).abs() < 1024 * 1024, "{total} vs {used}");
    assert!(int("peak.allocated") >= total);
    assert!(m.contains_key("db.0") && m.contains_key("db.3") && !m.contains_key("db.1"));
    let db3: Vec<redis::Value> = redis::from_redis_value(&m["db.3"]).unwrap();
    let exp: i64 = redis::from_redis_value(&db3[3]).unwrap();
    assert!(exp > 0);
    let pct: f64 = redis::from_redis_value(&m["dataset.percentage"]).unwrap();
    assert!((0.0..=100.0).contains(&pct), "{pct}");
    // The same fields in the same order as redis-server 7.0.
    if let Some(r) = RedisRef::start() {
        let mut rc = redis::Client::open(format!("redis://127.0.0.1:{}", r.port))
            .unwrap()
            .get_connection()
            .unwrap();
        let _: () = q(&mut rc, &["SET", "k", "v"]);
        let theirs: Vec<redis::Value> = q(&mut rc, &["MEMORY", "STATS"]);
        let names = |v: &[redis::Value]| -> Vec<String> {
            v.chunks(2)
                .map(|p| redis::from_redis_value::<String>(&p[0]).unwrap())
                .filter(|k| !k.starts_with("db."))
                .collect()
        };
        assert_eq!(names(&stats), names(&theirs));
    }
}

#[test]
fn memory_doctor_purge_and_errors_match_redis() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let doc: String = q(&mut c, &["MEMORY", "DOCTOR"]);
    assert!(doc.starts_with("Hi Sam"), "{doc}");
    let _: () = q(&mut c, &["MEMORY", "PURGE"]);
    differential_with_redis(
        &split_cases(&[
            "SET foo bar",
            "MEMORY USAGE nokey",
            "MEMORY USAGE foo samples -1",
            "MEMORY USAGE foo samples x",
            "MEMORY USAGE foo samples",
            "MEMORY USAGE foo bogus",
            "MEMORY USAGE",
            "MEMORY bogus",
            "MEMORY",
            "MEMORY HELP",
            "MEMORY DOCTOR",
            "MEMORY PURGE",
            "MEMORY PURGE x",
            "MEMORY STATS x",
            "MEMORY USAGE foo SAMPLES 1 samples 2 x",
            // (Redis lists the subcommands in its dict's random order.)
            "COMMAND INFO memory|usage memory|doctor memory|purge memory|stats",
            "COMMAND INFO memory|help memory|malloc-stats",
            "COMMAND DOCS memory|usage memory|doctor memory|purge memory|stats",
            "COMMAND DOCS memory|help memory|malloc-stats",
            "COMMAND GETKEYS MEMORY USAGE foo",
        ]),
        raw_replies,
    );
}

#[test]
fn redis_cli_bigkeys_and_memkeys_work() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let _: () = q(&mut c, &["SET", "str:big", &"x".repeat(5000)]);
    let _: () = q(&mut c, &["SET", "str:small", "x"]);
    for i in 0..300 {
        let _: i64 = q(&mut c, &["RPUSH", "list:long", &i.to_string()]);
    }
    let _: i64 = q(&mut c, &["SADD", "set:one", "a"]);
    let big = srv.cli(&["--bigkeys"]);
    let has = |out: &str, line: &str| assert!(out.contains(line), "{line:?} not in\n{out}");
    has(&big, "Biggest string found '\"str:big\"' has 5000 bytes");
    has(&big, "Biggest   list found '\"list:long\"' has 300 items");
    has(&big, "Sampled 4 keys in the keyspace!");
    let mem = srv.cli(&["--memkeys"]);
    let usage: i64 = q(&mut c, &["MEMORY", "USAGE", "str:big"]);
    has(
        &mem,
        &format!("Biggest string found '\"str:big\"' has {usage} bytes"),
    );
    has(&mem, "Biggest   list found '\"list:long\"' has");
    assert!(!mem.contains("ERR"), "{mem}");
}
