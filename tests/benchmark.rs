//! `flashdb-benchmark` against the real server: every test type with a
//! small `-n`, the output formats (default, -q, --csv, --json), --mix,
//! commands from the command line with `__rand_int__`, pipelining,
//! threads, AUTH/SELECT, --rate, --duration, and clear errors for bad
//! flags. What the server saw is checked with INFO commandstats.

mod common;

use common::TestServer;
use std::process::{Command, Output};

fn bench(srv: Option<&TestServer>, args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_flashdb-benchmark"));
    if let Some(s) = srv {
        c.args(["-p", &s.port.to_string()]);
    }
    c.args(args).output().expect("run flashdb-benchmark")
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// `calls=` of `cmdstat_<cmd>` (0 if the command was never called).
fn calls(srv: &TestServer, cmd: &str) -> u64 {
    let info = srv.cli(&["INFO", "commandstats"]);
    let prefix = format!("cmdstat_{cmd}:calls=");
    info.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .map(|rest| rest.split(',').next().unwrap().parse().unwrap())
        .unwrap_or(0)
}

const CSV_HEADER: &str = "\"test\",\"rps\",\"avg_latency_ms\",\"min_latency_ms\",\"p50_latency_ms\",\"p95_latency_ms\",\"p99_latency_ms\",\"max_latency_ms\"";

/// CSV rows as (title, [rps, avg, min, p50, p95, p99, max]).
fn parse_csv(text: &str) -> Vec<(String, Vec<f64>)> {
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(CSV_HEADER), "{text}");
    lines
        .map(|l| {
            let inner = l.strip_prefix('"').unwrap().strip_suffix('"').unwrap();
            let f: Vec<&str> = inner.split("\",\"").collect();
            assert_eq!(f.len(), 8, "{l}");
            (
                f[0].to_string(),
                f[1..].iter().map(|x| x.parse::<f64>().unwrap()).collect(),
            )
        })
        .collect()
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[test]
fn every_test_type_reports_sane_figures() {
    let srv = TestServer::start();
    let pings = calls(&srv, "ping"); // the harness's readiness PING
    let out = ok(&bench(
        Some(&srv),
        &["-n", "200", "-c", "10", "-r", "1000", "--csv"],
    ));
    let rows = parse_csv(&out);
    let titles: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(
        titles,
        [
            "PING_INLINE",
            "PING_MBULK",
            "SET",
            "GET",
            "INCR",
            "LPUSH",
            "RPUSH",
            "LPOP",
            "RPOP",
            "SADD",
            "HSET",
            "SPOP",
            "ZADD",
            "ZPOPMIN",
            "LPUSH (needed to benchmark LRANGE)",
            "LRANGE_100 (first 100 elements)",
            "LRANGE_300 (first 300 elements)",
            "LRANGE_500 (first 500 elements)",
            "LRANGE_600 (first 600 elements)",
            "MSET (10 keys)"
        ]
    );
    for (title, v) in &rows {
        let [rps, avg, min, p50, p95, p99, max] = v[..] else {
            unreachable!()
        };
        assert!(rps > 0.0, "{title}: {v:?}");
        assert!(
            min > 0.0 && min <= p50 && p50 <= p95 && p95 <= p99 && p99 <= max,
            "{title}: {v:?}"
        );
        assert!(min <= avg && avg <= max, "{title}: {v:?}");
    }
    // The server executed exactly what was asked.
    for (cmd, n) in [
        ("ping", 400 + pings),
        ("set", 200),
        ("get", 200),
        ("incr", 200),
        ("lpush", 400),
        ("rpush", 200),
        ("lpop", 200),
        ("rpop", 200),
        ("sadd", 200),
        ("hset", 200),
        ("spop", 200),
        ("zadd", 200),
        ("zpopmin", 200),
        ("lrange", 800),
        ("mset", 200),
    ] {
        assert_eq!(calls(&srv, cmd), n, "cmdstat_{cmd}");
    }
    // The LRANGE tests read full lists: 200 LPUSHes (+ what LPUSH/RPUSH
    // left minus the pops) is well below 600, so LRANGE_600 reads the list.
    let len: u64 = srv.cli(&["LLEN", "mylist"]).trim().parse().unwrap();
    assert!(len >= 200, "{len}");
    // -r 1000: random keys (SET/MSET wrote many distinct key:NNN keys).
    let keys: u64 = srv.cli(&["DBSIZE"]).trim().parse().unwrap();
    assert!(keys > 100, "{keys}");
}

#[test]
fn default_quiet_and_json_output() {
    let srv = TestServer::start();
    let out = ok(&bench(Some(&srv), &["-t", "get", "-n", "200", "-c", "5"]));
    for want in [
        "====== GET ======",
        "200 requests completed in",
        "5 parallel clients",
        "3 bytes payload",
        "Latency by percentile distribution:",
        "100.000% <= ",
        "throughput summary: ",
        "p99.9",
    ] {
        assert!(out.contains(want), "{want:?} missing in:\n{out}");
    }
    let out = ok(&bench(Some(&srv), &["-t", "set,get", "-n", "200", "-q"]));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].starts_with("SET: ") && lines[0].contains(" requests per second, p50="),
        "{out}"
    );
    assert!(
        lines[1].starts_with("GET: ") && lines[1].ends_with(" msec"),
        "{out}"
    );

    let out = ok(&bench(
        Some(&srv),
        &[
            "-t", "set,incr", "-n", "300", "-c", "7", "-d", "16", "--json",
        ],
    ));
    let doc = json(&out);
    assert_eq!(doc["clients"], 7);
    assert_eq!(doc["data_size"], 16);
    let tests = doc["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 2);
    for t in tests {
        assert_eq!(t["requests"], 300, "{t}");
        assert_eq!(t["errors"], 0, "{t}");
        assert!(t["rps"].as_f64().unwrap() > 0.0);
        let p: Vec<f64> = ["min_ms", "p50_ms", "p95_ms", "p99_ms", "p99_9_ms", "max_ms"]
            .iter()
            .map(|k| t[*k].as_f64().unwrap())
            .collect();
        assert!(p.windows(2).all(|w| w[0] <= w[1]), "{t}");
    }
    assert_eq!(tests[0]["test"], "SET");
    // Without -r every INCR hits the one key `counter:__rand_int__`.
    assert_eq!(srv.cli(&["GET", "counter:__rand_int__"]).trim(), "300");
    assert_eq!(srv.cli(&["STRLEN", "key:__rand_int__"]).trim(), "16");
}

#[test]
fn mix_follows_the_weights() {
    let srv = TestServer::start();
    let out = ok(&bench(
        Some(&srv),
        &[
            "--mix",
            "get:80,set:20",
            "-n",
            "2000",
            "-r",
            "1000",
            "-c",
            "8",
            "--json",
        ],
    ));
    let doc = json(&out);
    let t = &doc["tests"][0];
    assert_eq!(t["test"], "MIX");
    assert_eq!(t["requests"], 2000);
    let (get, set) = (calls(&srv, "get"), calls(&srv, "set"));
    assert_eq!(get + set, 2000);
    assert_eq!(
        (t["mix"]["get"].as_u64(), t["mix"]["set"].as_u64()),
        (Some(get), Some(set))
    );
    // 80 % expected; 2000 draws put 0.7..0.9 more than 10 sigma away.
    let share = get as f64 / 2000.0;
    assert!((0.7..0.9).contains(&share), "get share {share}");
}

#[test]
fn command_line_command_with_rand_int() {
    let srv = TestServer::start();
    let out = ok(&bench(
        Some(&srv),
        &[
            "-n",
            "300",
            "-c",
            "5",
            "-r",
            "1000000",
            "-q",
            "sadd",
            "bmset",
            "__rand_int__",
        ],
    ));
    assert!(out.starts_with("sadd bmset __rand_int__: "), "{out}");
    assert_eq!(calls(&srv, "sadd"), 300);
    // 300 draws from a million: distinct members (a collision or two at most).
    let card: u64 = srv.cli(&["SCARD", "bmset"]).trim().parse().unwrap();
    assert!(card >= 295, "{card}");
    let m = srv.cli(&["SRANDMEMBER", "bmset"]);
    assert_eq!(m.trim().len(), 12, "12-digit members: {m}");
    assert!(m.trim().bytes().all(|b| b.is_ascii_digit()), "{m}");
    // Without -r the placeholder is sent as written.
    ok(&bench(
        Some(&srv),
        &["-n", "50", "-q", "sadd", "bmset2", "__rand_int__"],
    ));
    assert_eq!(srv.cli(&["SMEMBERS", "bmset2"]).trim(), "__rand_int__");
}

#[test]
fn pipelining_and_threads_send_exactly_n() {
    let srv = TestServer::start();
    ok(&bench(
        Some(&srv),
        &["-t", "incr", "-n", "1003", "-c", "4", "-P", "16", "-q"],
    ));
    assert_eq!(srv.cli(&["GET", "counter:__rand_int__"]).trim(), "1003");
    ok(&bench(
        Some(&srv),
        &[
            "-t",
            "incr",
            "-n",
            "500",
            "-c",
            "6",
            "-P",
            "3",
            "--threads",
            "3",
            "-q",
        ],
    ));
    assert_eq!(srv.cli(&["GET", "counter:__rand_int__"]).trim(), "1503");
}

#[test]
fn auth_and_dbnum() {
    let srv = TestServer::start_with(&["--requirepass", "s3cret"]);
    ok(&bench(
        Some(&srv),
        &[
            "-a", "s3cret", "--dbnum", "3", "-t", "set", "-n", "100", "-q",
        ],
    ));
    let db = |n: &str| {
        srv.cli(&["-a", "s3cret", "--no-auth-warning", "-n", n, "DBSIZE"])
            .trim()
            .to_string()
    };
    assert_eq!((db("3").as_str(), db("0").as_str()), ("1", "0"));
    let out = bench(Some(&srv), &["-a", "wrong", "-t", "set", "-n", "10", "-q"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("AUTH failed"), "{err}");
    // No password: the server's NOAUTH errors are counted and shown.
    let out = ok(&bench(Some(&srv), &["-t", "get", "-n", "20", "--json"]));
    let doc = json(&out);
    assert_eq!(doc["tests"][0]["errors"], 20);
    assert!(doc["tests"][0]["first_error"]
        .as_str()
        .unwrap()
        .starts_with("NOAUTH"));
    assert!(
        String::from_utf8_lossy(&bench(Some(&srv), &["-t", "get", "-n", "20", "-q"]).stderr)
            .contains("20 error replies, the first: NOAUTH")
    );
}

#[test]
fn rate_and_duration() {
    let srv = TestServer::start();
    let pings = calls(&srv, "ping"); // the harness's readiness PING
                                     // 400 requests at 2000/s: the last is due at 0.1995 s, so the test
                                     // cannot end sooner however fast the server is.
    let doc = json(&ok(&bench(
        Some(&srv),
        &[
            "-t", "set", "-n", "400", "-c", "10", "--rate", "2000", "--json",
        ],
    )));
    let t = &doc["tests"][0];
    assert_eq!(t["requests"], 400);
    assert!(t["seconds"].as_f64().unwrap() >= 0.1995, "{t}");
    assert_eq!(calls(&srv, "set"), 400);
    // --duration: requests are sent until the time is up.
    let doc = json(&ok(&bench(
        Some(&srv),
        &["-t", "ping_mbulk", "--duration", "0.3", "-c", "2", "--json"],
    )));
    let t = &doc["tests"][0];
    assert!(t["seconds"].as_f64().unwrap() >= 0.3, "{t}");
    let n = t["requests"].as_u64().unwrap();
    assert!(n > 0);
    assert_eq!(calls(&srv, "ping"), n + pings);
}

#[test]
fn bad_flags_fail_clearly() {
    for (args, want) in [
        (&["-c", "0"][..], "option '-c' must be at least 1"),
        (&["-n"][..], "option '-n' needs a value"),
        (&["-P", "x"][..], "'x' is not a valid number"),
        (&["--frobnicate"][..], "unknown option '--frobnicate'"),
        (&["-t", "set,nope"][..], "unknown test 'nope'"),
        (
            &["--mix", "get:80,bogus:20"][..],
            "--mix: unknown test 'bogus'",
        ),
        (&["--user", "bob"][..], "needs '-a <password>'"),
    ] {
        let out = bench(None, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    // Nothing listening: exit 1 and say so.
    let port = common::free_port().to_string();
    let out = bench(None, &["-p", &port, "-t", "ping", "-n", "10", "-q"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("could not connect"));
    // --help is not an error.
    let out = bench(None, &["--help"]);
    assert!(
        out.status.success()
            && String::from_utf8_lossy(&out.stdout).contains("Usage: flashdb-benchmark")
    );
}
