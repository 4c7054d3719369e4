//! Configuration through the real binary: files, flags, fatal errors,
//! compatibility directives, CONFIG at run time; plus active expiry, which
//! the cron thread drives at `hz`.
mod common;
use common::*;
use std::process::Command;
use std::time::{Duration, Instant};

/// Runs the binary expecting it to refuse to start; returns stderr.
fn refuses(args: &[&str]) -> String {
    let out = Command::new(binary()).args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "should exit 1: {:?}", out);
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn fatal_errors_name_file_line_and_directive() {
    let dir = temp_dir("conf");
    let conf = dir.join("bad.conf");
    std::fs::write(&conf, "# comment\nport 7777\nmaxclients lots\n").unwrap();
    let err = refuses(&[conf.to_str().unwrap()]);
    assert!(err.contains("*** FATAL CONFIG FILE ERROR"), "{err}");
    assert!(err.contains(conf.to_str().unwrap()), "{err}");
    assert!(err.contains("line 3"), "{err}");
    assert!(err.contains("'maxclients lots'"), "{err}");

    std::fs::write(&conf, "no-such-directive yes\n").unwrap();
    let err = refuses(&[conf.to_str().unwrap()]);
    assert!(
        err.contains("line 1") && err.contains("no-such-directive"),
        "{err}"
    );

    let err = refuses(&["--port", "notaport"]);
    assert!(err.contains("--port notaport"), "{err}");

    let missing = dir.join("missing.conf");
    let err = refuses(&[missing.to_str().unwrap()]);
    assert!(
        err.contains("can't open config file") && err.contains("missing.conf"),
        "{err}"
    );

    std::fs::write(&conf, "bind \"127.0.0.1\n").unwrap();
    let err = refuses(&[conf.to_str().unwrap()]);
    assert!(err.contains("line 1"), "{err}");
}

#[test]
fn redis_conf_directives_are_accepted_and_logged_once() {
    let dir = temp_dir("conf");
    let conf = dir.join("redis.conf");
    std::fs::write(
        &conf,
        "# written for Redis 7\nhash-max-listpack-entries 256\nio-threads 4\nlazyfree-lazy-expire yes\nlfu-log-factor 20\nhz 20\nmaxclients 500\n",
    )
    .unwrap();
    // Flags win over the file.
    let srv = TestServer::start_with(&[conf.to_str().unwrap(), "--maxclients", "600"]);
    let mut s = srv.raw();
    assert_eq!(
        calls(&mut s, &["CONFIG", "GET", "hash-max-listpack-entries"]),
        "*2\r\n$25\r\nhash-max-listpack-entries\r\n$3\r\n256\r\n"
    );
    assert_eq!(
        calls(&mut s, &["CONFIG", "GET", "hz"]),
        "*2\r\n$2\r\nhz\r\n$2\r\n20\r\n"
    );
    assert_eq!(
        calls(&mut s, &["CONFIG", "GET", "maxclients"]),
        "*2\r\n$10\r\nmaxclients\r\n$3\r\n600\r\n"
    );
    assert_eq!(calls(&mut s, &["CONFIG", "SET", "io-threads", "2"]), "-ERR CONFIG SET failed (possibly related to argument 'io-threads') - can't set immutable config\r\n");
    assert_eq!(
        calls(&mut s, &["CONFIG", "SET", "lazyfree-lazy-expire", "no"]),
        "+OK\r\n"
    );
    let log = srv.log();
    let lines: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("Accepted for compatibility"))
        .collect();
    assert_eq!(lines.len(), 1, "{log}");
    for d in ["io-threads", "lazyfree-lazy-expire"] {
        assert!(lines[0].contains(d), "{log}");
    }
    // Those that have an effect (LFU eviction, encodings) are not listed
    // as having none.
    assert!(!lines[0].contains("lfu-log-factor"), "{log}");
    assert!(!lines[0].contains("hash-max-listpack-entries"), "{log}");
}

#[test]
fn shipped_flashdb_conf_starts_the_server() {
    let conf = concat!(env!("CARGO_MANIFEST_DIR"), "/flashdb.conf");
    let srv = TestServer::start_with(&[conf]);
    let mut s = srv.raw();
    assert_eq!(calls(&mut s, &["PING"]), "+PONG\r\n");
    let info = calls(&mut s, &["INFO", "server"]);
    assert!(
        info.contains("config_file:") && info.contains("flashdb.conf"),
        "{info}"
    );
}

#[test]
fn config_set_takes_effect_at_run_time() {
    let srv = TestServer::start();
    let mut s = srv.raw();
    // Unknown and bad values leave everything unchanged (atomic multi-set).
    assert!(
        calls(&mut s, &["CONFIG", "SET", "hz", "15", "maxclients", "x"])
            .starts_with("-ERR CONFIG SET failed")
    );
    assert_eq!(
        calls(&mut s, &["CONFIG", "GET", "hz"]),
        "*2\r\n$2\r\nhz\r\n$2\r\n10\r\n"
    );
    assert!(calls(&mut s, &["CONFIG", "SET", "nosuch", "1"])
        .starts_with("-ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'"));

    // proto-max-bulk-len applies to the next request.
    assert_eq!(
        calls(&mut s, &["CONFIG", "SET", "proto-max-bulk-len", "1mb"]),
        "+OK\r\n"
    );
    let mut big = srv.raw();
    use std::io::Write;
    big.write_all(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2000000\r\n")
        .unwrap();
    assert_eq!(
        read_reply(&mut big),
        b"-ERR Protocol error: invalid bulk length\r\n"
    );

    // OBJECT FREQ follows maxmemory-policy.
    assert_eq!(calls(&mut s, &["SET", "k", "v"]), "+OK\r\n");
    assert!(calls(&mut s, &["OBJECT", "FREQ", "k"])
        .starts_with("-ERR An LFU maxmemory policy is not selected"));
    assert_eq!(
        calls(
            &mut s,
            &["CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"]
        ),
        "+OK\r\n"
    );
    assert!(calls(&mut s, &["OBJECT", "FREQ", "k"]).starts_with(':'));

    // timeout set at run time closes idle clients.
    assert_eq!(calls(&mut s, &["CONFIG", "SET", "timeout", "1"]), "+OK\r\n");
    let mut idle = srv.raw();
    assert_eq!(calls(&mut idle, &["PING"]), "+PONG\r\n");
    idle.set_read_timeout(Some(Duration::from_secs(6))).unwrap();
    let t = Instant::now();
    let mut b = [0u8; 1];
    use std::io::Read;
    assert_eq!(
        idle.read(&mut b).unwrap_or(0),
        0,
        "idle client should be closed"
    );
    assert!(
        t.elapsed() < Duration::from_secs(4),
        "closed after {:?}",
        t.elapsed()
    );
}

#[test]
fn active_expiry_reclaims_keys_nobody_reads() {
    let srv = TestServer::start_with(&["--hz", "50"]);
    let mut s = srv.raw();
    for i in 0..500 {
        assert_eq!(
            calls(&mut s, &["SET", &format!("tmp:{i}"), "v", "PX", "100"]),
            "+OK\r\n"
        );
    }
    for i in 0..50 {
        assert_eq!(
            calls(&mut s, &["SET", &format!("keep:{i}"), "v"]),
            "+OK\r\n"
        );
    }
    // Without touching the keys, DBSIZE drops to the persistent ones.
    let t = Instant::now();
    loop {
        let n = calls(&mut s, &["DBSIZE"]);
        if n == ":50\r\n" {
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(5), "still {n}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let stats = calls(&mut s, &["INFO", "stats"]);
    assert!(stats.contains("expired_keys:500\r\n"), "{stats}");
}

#[test]
fn info_keyspace_estimates_avg_ttl() {
    let srv = TestServer::start_with(&["--hz", "100"]);
    let mut s = srv.raw();
    for i in 0..200 {
        assert_eq!(
            calls(&mut s, &["SET", &format!("k{i}"), "v", "EX", "1000"]),
            "+OK\r\n"
        );
    }
    let t = Instant::now();
    loop {
        let info = calls(&mut s, &["INFO", "keyspace"]);
        let avg: u64 = info
            .split("avg_ttl=")
            .nth(1)
            .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|d| d.parse().ok())
            .unwrap_or(0);
        if avg > 0 {
            assert!((900_000..=1_000_000).contains(&avg), "{info}");
            assert!(info.contains("db0:keys=200,expires=200,"), "{info}");
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "avg_ttl never estimated: {info}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
