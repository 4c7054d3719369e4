//! `flashdb-cli` against the real server: one-shot, `--raw`/`--no-raw`,
//! terminal output (through `script`), `-e` exit codes, `--pipe`, `--scan`,
//! `--bigkeys`, `--stat`, `--latency`, quoting, and interactive mode driven
//! through tmux. Where it helps, the output is compared byte for byte with
//! the real `redis-cli` for the same invocation.
mod common;
use common::*;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

fn cli_bin() -> &'static str {
    env!("CARGO_BIN_EXE_flashdb-cli")
}

/// Runs `prog -p port args...` with `stdin` bytes; returns the output.
fn run_with(prog: &str, port: u16, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(prog)
        .args(["-p", &port.to_string()])
        .args(args)
        .env_remove("REDISCLI_AUTH")
        .env_remove("FLASHDB_CLI_AUTH")
        .env("FLASHDB_CLI_HISTFILE", "/dev/null")
        .env("REDISCLI_HISTFILE", "/dev/null")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{prog}: {e}"));
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    out
}

fn ours(port: u16, args: &[&str]) -> Output {
    run_with(cli_bin(), port, args, b"")
}

fn redis_cli(port: u16, args: &[&str]) -> Output {
    run_with("redis-cli", port, args, b"")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The same invocation through both CLIs: stdout and exit code must match.
fn same_as_redis_cli(port: u16, args: &[&str]) {
    let a = redis_cli(port, args);
    let b = ours(port, args);
    assert_eq!(
        stdout(&a),
        stdout(&b),
        "stdout of {args:?}\nredis-cli stderr: {}\nflashdb-cli stderr: {}",
        stderr(&a),
        stderr(&b)
    );
    assert_eq!(a.status.code(), b.status.code(), "exit code of {args:?}");
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// Runs `prog -p port args...` under `script`, so its stdout is a terminal.
fn tty(prog: &str, port: u16, args: &[&str]) -> String {
    let mut line = format!("{} -p {}", shell_quote(prog), port);
    for a in args {
        line.push(' ');
        line.push_str(&shell_quote(a));
    }
    let out = Command::new("script")
        .args(["-qc", &line, "/dev/null"])
        .env("FLASHDB_CLI_HISTFILE", "/dev/null")
        .env("REDISCLI_HISTFILE", "/dev/null")
        .stdin(Stdio::null())
        .output()
        .expect("script (util-linux)");
    String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n")
}

fn tty_same_as_redis_cli(port: u16, args: &[&str]) {
    assert_eq!(
        tty("redis-cli", port, args),
        tty(cli_bin(), port, args),
        "terminal output of {args:?}"
    );
}

/// Fills a server with a little of every type, binary bytes included.
fn fill(port: u16) {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    for c in [
        &["SET", "str", "hello"][..],
        &["SET", "bin", "a\u{1}\"\\\n\tb\u{0}é"],
        &["RPUSH", "list", "a", "b", "c"],
        &["HSET", "hash", "f1", "v1", "f2", "v2"],
        &["HSET", "hash1", "f1", "v1"],
        &["SADD", "set", "x"],
        &["ZADD", "zset", "1", "a", "2.5", "b"],
    ] {
        call(&mut s, c);
    }
    let big: Vec<String> = (1..=12).map(|i| i.to_string()).collect();
    let mut args = vec!["RPUSH", "big"];
    args.extend(big.iter().map(|s| s.as_str()));
    call(&mut s, &args);
}

const CASES: &[&[&str]] = &[
    &["PING"],
    &["GET", "str"],
    &["GET", "bin"],
    &["GET", "missing"],
    &["LRANGE", "list", "0", "-1"],
    &["LRANGE", "big", "0", "-1"],
    &["LRANGE", "missing", "0", "-1"],
    &["HGETALL", "hash"],
    &["ZRANGE", "zset", "0", "-1", "WITHSCORES"],
    &["INCR", "str"],
    &["SET"],
    &["NOSUCHCOMMAND", "x"],
    &["STRLEN", "bin"],
    &["EXISTS", "str", "list", "nope"],
    &["ECHO", ""],
];

#[test]
fn one_shot_piped_output_matches_redis_cli() {
    let srv = TestServer::start();
    fill(srv.port);
    for c in CASES {
        same_as_redis_cli(srv.port, c);
        let mut raw = vec!["--raw"];
        raw.extend_from_slice(c);
        same_as_redis_cli(srv.port, &raw);
        let mut noraw = vec!["--no-raw"];
        noraw.extend_from_slice(c);
        same_as_redis_cli(srv.port, &noraw);
        let mut resp3 = vec!["-3"];
        resp3.extend_from_slice(c);
        same_as_redis_cli(srv.port, &resp3);
    }
    // The exact forms, not only "the same as redis-cli".
    assert_eq!(
        stdout(&ours(srv.port, &["--no-raw", "GET", "bin"])),
        "\"a\\x01\\\"\\\\\\n\\tb\\x00\\xc3\\xa9\"\n"
    );
    assert_eq!(
        stdout(&ours(srv.port, &["LRANGE", "list", "0", "-1"])),
        "a\nb\nc\n"
    );
    assert_eq!(
        stdout(&ours(srv.port, &["--no-raw", "GET", "missing"])),
        "(nil)\n"
    );
    assert_eq!(
        stdout(&ours(srv.port, &["-3", "--no-raw", "HGETALL", "hash1"])),
        "1# \"f1\" => \"v1\"\n"
    );
    assert_eq!(
        stdout(&ours(srv.port, &["-3", "HGETALL", "hash1"])),
        "f1 v1\n"
    );
    assert_eq!(
        stdout(&ours(
            srv.port,
            &["--no-raw", "LRANGE", "missing", "0", "-1"]
        )),
        "(empty array)\n"
    );
}

#[test]
fn terminal_output_matches_redis_cli() {
    let srv = TestServer::start();
    fill(srv.port);
    for c in CASES {
        tty_same_as_redis_cli(srv.port, c);
        let mut resp3 = vec!["-3"];
        resp3.extend_from_slice(c);
        tty_same_as_redis_cli(srv.port, &resp3);
    }
    let hello = tty(cli_bin(), srv.port, &["-3", "HELLO", "3"]);
    assert!(
        hello.starts_with("1# \"server\" => \"redis\"\n2# \"version\" => "),
        "{hello}"
    );
    assert!(
        hello.ends_with("7# \"modules\" => (empty array)\n"),
        "{hello}"
    );
    tty_same_as_redis_cli(srv.port, &["--raw", "LRANGE", "list", "0", "-1"]);
    let t = tty(cli_bin(), srv.port, &["LRANGE", "big", "0", "-1"]);
    assert!(
        t.starts_with(" 1) \"1\"\n") && t.ends_with("12) \"12\"\n"),
        "{t}"
    );
    assert_eq!(
        tty(cli_bin(), srv.port, &["INCR", "str"]),
        "(error) ERR value is not an integer or out of range\n"
    );
}

/// RESP3 types FlashDB never sends (DEBUG PROTOCOL), and nested arrays from
/// a script, against redis-server: ours must print them like redis-cli.
#[test]
fn resp3_types_and_nesting_match_redis_cli_on_redis_server() {
    let Some(r) = RedisRef::start_with(&["--enable-debug-command", "yes"]) else {
        return;
    };
    let script = "return {1,{2,{3,KEYS[1]},{}},ARGV[1],redis.error_reply('boom'),redis.status_reply('fine')}";
    let cases: &[&[&str]] = &[
        &["-3", "DEBUG", "PROTOCOL", "map"],
        &["-3", "DEBUG", "PROTOCOL", "set"],
        &["-3", "DEBUG", "PROTOCOL", "double"],
        &["-3", "DEBUG", "PROTOCOL", "true"],
        &["-3", "DEBUG", "PROTOCOL", "false"],
        &["-3", "DEBUG", "PROTOCOL", "null"],
        &["-3", "DEBUG", "PROTOCOL", "verbatim"],
        &["-3", "COMMAND", "DOCS", "get", "set"],
        &["-3", "COMMAND", "INFO", "get"],
        &["EVAL", script, "1", "x", "y"],
    ];
    for c in cases {
        same_as_redis_cli(r.port, c);
        tty_same_as_redis_cli(r.port, c);
    }
}

/// Client-tracking invalidations (RESP3 pushes) between replies: piped,
/// redis-cli drops them and prints the replies in order; so must we.
#[test]
fn resp3_pushes_between_replies_match_redis_cli() {
    let Some(r) = RedisRef::start() else {
        return;
    };
    let input = b"FLUSHALL\nCLIENT TRACKING on\nGET k\nSET k v\nPING\nGET k\nSET k w\nECHO x\n";
    let a = run_with("redis-cli", r.port, &["-3"], input);
    let b = run_with(cli_bin(), r.port, &["-3"], input);
    assert_eq!(stdout(&a), stdout(&b));
    assert_eq!(stdout(&b), "OK\nOK\n\nOK\nPONG\nv\nOK\nx\n");
    // The same against FlashDB's own CLIENT TRACKING.
    let srv = TestServer::start();
    for prog in ["redis-cli", cli_bin()] {
        let o = run_with(prog, srv.port, &["-3"], input);
        assert_eq!(stdout(&o), stdout(&a), "{prog}");
    }
}

#[test]
fn exit_codes_and_errors() {
    let srv = TestServer::start();
    fill(srv.port);
    // Without -e an error reply is output, status 0.
    let o = ours(srv.port, &["INCR", "str"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        stdout(&o),
        "ERR value is not an integer or out of range\n\n"
    );
    // With -e: on stderr, status 1, like redis-cli.
    for prog in ["redis-cli", cli_bin()] {
        let o = run_with(prog, srv.port, &["-e", "INCR", "str"], b"");
        assert_eq!(o.status.code(), Some(1), "{prog}");
        assert_eq!(stdout(&o), "", "{prog}");
        assert_eq!(
            stderr(&o),
            "ERR value is not an integer or out of range\n",
            "{prog}"
        );
    }
    assert_eq!(ours(srv.port, &["-e", "PING"]).status.code(), Some(0));
    // Nobody listening.
    let port = free_port();
    let o = ours(port, &["PING"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        format!("Could not connect to Redis at 127.0.0.1:{port}: Connection refused\n")
    );
    // Bad flags are reported, never a panic.
    for bad in [&["-p"][..], &["--nope"], &["-n", "x"], &["-u", "http://x"]] {
        let o = Command::new(cli_bin()).args(bad).output().unwrap();
        assert_eq!(o.status.code(), Some(1), "{bad:?}");
        assert!(!stderr(&o).contains("panicked"), "{bad:?}: {}", stderr(&o));
        assert!(!stderr(&o).is_empty());
    }
}

#[test]
fn one_shot_help_comes_from_command_docs() {
    let srv = TestServer::start();
    let o = ours(srv.port, &["help", "get"]);
    let text = stdout(&o);
    assert!(text.contains("GET\x1b[0m \x1b[90mkey\x1b[0m"), "{text:?}");
    assert!(text.contains("summary:\x1b[0m "), "{text:?}");
    assert!(text.contains("group:\x1b[0m string"), "{text:?}");
    let text = stdout(&ours(srv.port, &["help", "@hash"]));
    assert!(text.contains("HSET") && !text.contains("LPUSH"), "{text:?}");
    assert!(stdout(&ours(srv.port, &["help"])).contains("\"help <command>\""));
}

#[test]
fn repeat_interval_db_uri_and_stdin_argument() {
    let srv = TestServer::start();
    let p = srv.port;
    assert_eq!(stdout(&ours(p, &["-r", "3", "INCR", "n"])), "1\n2\n3\n");
    assert_eq!(
        stdout(&ours(p, &["-r", "2", "-i", "0.01", "INCR", "n"])),
        "4\n5\n"
    );
    assert_eq!(stdout(&ours(p, &["-n", "2", "SET", "k", "in2"])), "OK\n");
    assert_eq!(stdout(&ours(p, &["GET", "k"])), "\n");
    let uri = format!("redis://127.0.0.1:{p}/2");
    let o = Command::new(cli_bin())
        .args(["-u", &uri, "GET", "k"])
        .output()
        .unwrap();
    assert_eq!(stdout(&o), "in2\n");
    // -x: the last argument is stdin, bytes as they are.
    let o = run_with(
        cli_bin(),
        p,
        &["-x", "SET", "fromstdin"],
        b"line1\nline2\x00end",
    );
    assert_eq!(stdout(&o), "OK\n");
    assert_eq!(
        ours(p, &["GET", "fromstdin"]).stdout,
        b"line1\nline2\x00end\n"
    );
    // A password on the command line: the warning redis-cli prints too.
    let o = ours(p, &["-a", "nopass", "PING"]);
    assert!(
        stderr(&o).starts_with("Warning: Using a password with '-a'"),
        "{}",
        stderr(&o)
    );
    let o = ours(p, &["-a", "nopass", "--no-auth-warning", "PING"]);
    assert!(!stderr(&o).contains("Warning"));
}

/// Commands read from a non-terminal stdin: redis-cli's quoting rules.
#[test]
fn commands_from_stdin_follow_redis_cli_quoting() {
    let srv = TestServer::start();
    let input = b"SET q1 \"a\\x41\\n\\\"b\\\"\"\nGET q1\nSET q2 'it\\'s here'\nGET q2\nSET q3 \"unterminated\nSET \"a\"b c\nSTRLEN q1\n   \nECHO \"\\x00\\xff\"\n";
    let a = run_with("redis-cli", srv.port, &[], input);
    let b = run_with(cli_bin(), srv.port, &[], input);
    assert_eq!(stdout(&a), stdout(&b));
    // Exact bytes for the binary ECHO.
    assert!(b.stdout.ends_with(b"\x00\xff\n"), "{:?}", b.stdout);
    let want =
        b"OK\naA\n\"b\"\nOK\nit's here\nInvalid argument(s)\nInvalid argument(s)\n6\n\x00\xff\n";
    assert_eq!(b.stdout, want.to_vec(), "{}", stdout(&b));
    // --no-raw quotes the same bytes.
    let b = run_with(
        cli_bin(),
        srv.port,
        &["--no-raw"],
        b"ECHO \"\\x00\\xff\\t\"\n",
    );
    assert_eq!(stdout(&b), "\"\\x00\\xff\\t\"\n");
}

fn resp(args: &[&str]) -> Vec<u8> {
    let a: Vec<&[u8]> = args.iter().map(|x| x.as_bytes()).collect();
    cmd(&a)
}

#[test]
fn pipe_mode_counts_replies_and_errors_like_redis_cli() {
    let srv = TestServer::start();
    let mut input = Vec::new();
    for i in 0..2000 {
        input.extend(resp(&["SET", &format!("pk{i}"), &i.to_string()]));
    }
    input.extend(resp(&["INCR", "pk1", "extra"]));
    input.extend(resp(&["LPUSH", "pk2", "x"]));
    for (prog, want_keys) in [(cli_bin(), 2000), ("redis-cli", 2000)] {
        let o = run_with(prog, srv.port, &["--pipe"], &input);
        assert_eq!(
            stdout(&o),
            "All data transferred. Waiting for the last reply...\nLast reply received from server.\nerrors: 2, replies: 2002\n",
            "{prog}"
        );
        assert_eq!(o.status.code(), Some(1), "{prog}");
        let errs = stderr(&o);
        assert!(
            errs.contains("ERR wrong number of arguments for 'incr' command"),
            "{errs}"
        );
        assert!(errs.contains("WRONGTYPE"), "{errs}");
        let o = ours(srv.port, &["DBSIZE"]);
        assert_eq!(stdout(&o), format!("{want_keys}\n"));
    }
    let o = run_with(cli_bin(), srv.port, &["--pipe"], &resp(&["SET", "a", "1"]));
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).ends_with("errors: 0, replies: 1\n"));
    // Inline commands go through as well.
    let o = run_with(cli_bin(), srv.port, &["--pipe"], b"SET inl 1\r\nPING\r\n");
    assert!(
        stdout(&o).ends_with("errors: 0, replies: 2\n"),
        "{}",
        stdout(&o)
    );
}

fn lines_sorted(s: &str) -> Vec<String> {
    let mut v: Vec<String> = s.lines().map(String::from).collect();
    v.sort();
    v
}

#[test]
fn scan_mode() {
    let srv = TestServer::start();
    let p = srv.port;
    let mut s = srv.raw();
    for i in 0..300 {
        call(&mut s, &["SET", &format!("user:{i}"), "x"]);
    }
    call(&mut s, &["SET", "other", "x"]);
    call(&mut s, &["RPUSH", "user:list", "x"]);
    call(&mut s, &["SET", "user:\n\u{1}", "x"]);
    let all = stdout(&ours(p, &["--scan"]));
    assert_eq!(all.lines().count(), 304, "{all}");
    let users = ours(p, &["--scan", "--pattern", "user:*", "--count", "7"]);
    let got = lines_sorted(&stdout(&users));
    // The key with a newline comes out raw (two lines) when piped.
    assert_eq!(got.len(), 303);
    let want = lines_sorted(&stdout(&redis_cli(p, &["--scan", "--pattern", "user:*"])));
    assert_eq!(got, want);
    let lists = stdout(&ours(p, &["--scan", "--type", "list"]));
    assert_eq!(lists, "user:list\n");
    // On a terminal, keys are quoted like redis-cli quotes them.
    let t = tty(cli_bin(), p, &["--scan", "--pattern", "user:\n*"]);
    assert_eq!(t, "\"user:\\n\\x01\"\n");
    assert_eq!(t, tty("redis-cli", p, &["--scan", "--pattern", "user:\n*"]));
}

#[test]
fn bigkeys_and_memkeys() {
    let srv = TestServer::start();
    fill(srv.port);
    let a = redis_cli(srv.port, &["--bigkeys"]);
    let b = ours(srv.port, &["--bigkeys"]);
    assert_eq!(stdout(&a), stdout(&b));
    let out = stdout(&b);
    assert!(
        out.contains("Biggest   list found '\"big\"' has 12 items\n"),
        "{out}"
    );
    assert!(out.contains("Sampled 8 keys in the keyspace!\n"), "{out}");
    assert!(
        out.contains("2 strings with 15 bytes (25.00% of keys, avg size 7.50)\n"),
        "{out}"
    );
    let m = stdout(&ours(srv.port, &["--memkeys"]));
    assert!(m.contains("Sampled 8 keys in the keyspace!"), "{m}");
    assert!(m.contains("2 hashs with "), "{m}");
    assert!(m.contains(" bytes (25.00% of keys"), "{m}");
}

/// Spawns a long-running mode and returns its first `n` stdout lines.
fn first_lines(args: &[&str], port: u16, n: usize) -> Vec<String> {
    let mut child: Child = Command::new(cli_bin())
        .args(["-p", &port.to_string()])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut r = BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    for _ in 0..n {
        let mut l = String::new();
        if r.read_line(&mut l).unwrap() == 0 {
            break;
        }
        lines.push(l);
    }
    let _ = child.kill();
    let _ = child.wait();
    lines
}

#[test]
fn stat_and_latency_modes() {
    let srv = TestServer::start();
    fill(srv.port);
    let l = first_lines(&["--stat", "-i", "0.05"], srv.port, 4);
    assert_eq!(l.len(), 4, "{l:?}");
    assert_eq!(
        l[0],
        "------- data ------ --------------------- load -------------------- - child -\n"
    );
    assert!(l[1].starts_with("keys       mem      clients blocked requests"));
    // keys, memory, clients, blocked, requests (+delta), connections.
    let f: Vec<&str> = l[2].split_whitespace().collect();
    assert_eq!(f[0], "8", "{l:?}");
    assert!(
        f[1].ends_with('B') || f[1].ends_with('K') || f[1].ends_with('M'),
        "{l:?}"
    );
    assert_eq!(f[5], "(+0)", "{l:?}");
    let f3: Vec<&str> = l[3].split_whitespace().collect();
    assert!(
        f3[5].starts_with("(+") && f3[5] != "(+0)",
        "INFO itself is a request: {l:?}"
    );
    // Piped --latency: one "min max avg samples" line after the interval.
    let o = ours(srv.port, &["--latency", "-i", "0.2"]);
    assert_eq!(o.status.code(), Some(0));
    let text = stdout(&o);
    let nums: Vec<&str> = text.split_whitespace().collect();
    assert_eq!(nums.len(), 4, "{text}");
    assert!(nums[0].parse::<u64>().is_ok() && nums[1].parse::<u64>().is_ok());
    assert!(nums[2].parse::<f64>().is_ok() && nums[3].parse::<u64>().unwrap() > 0);
}

// ---- interactive mode through tmux ----

static SESSION: AtomicUsize = AtomicUsize::new(0);

struct Tmux {
    name: String,
}

impl Tmux {
    fn start(cmd: &str, home: &std::path::Path) -> Tmux {
        let name = format!(
            "flashdb-cli-test-{}-{}",
            std::process::id(),
            SESSION.fetch_add(1, Ordering::SeqCst)
        );
        let st = Command::new("tmux")
            .args(["new-session", "-d", "-s", &name, "-x", "150", "-y", "40"])
            .arg(format!(
                "env -u FLASHDB_CLI_HISTFILE HOME={} TERM=xterm {}",
                shell_quote(home.to_str().unwrap()),
                cmd
            ))
            .status()
            .expect("tmux");
        assert!(st.success());
        Tmux { name }
    }

    fn keys(&self, keys: &[&str]) {
        let st = Command::new("tmux")
            .args(["send-keys", "-t", &self.name])
            .args(keys)
            .status()
            .unwrap();
        assert!(st.success());
    }

    /// Types `text` literally.
    fn type_text(&self, text: &str) {
        let st = Command::new("tmux")
            .args(["send-keys", "-t", &self.name, "-l", text])
            .status()
            .unwrap();
        assert!(st.success());
    }

    fn screen(&self) -> String {
        let o = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.name])
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// Polls the screen until `ok` holds (10 s at most).
    fn wait(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let t = Instant::now();
        loop {
            let s = self.screen();
            if ok(&s) {
                return s;
            }
            if t.elapsed() > Duration::from_secs(10) {
                panic!("timed out waiting for {what}; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(30));
        }
    }

    /// The last non-empty line of the screen.
    fn last_line(&self) -> String {
        self.screen()
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .to_string()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.name])
            .status();
    }
}

/// A flashdb on a given port (for the restart test), stopped by PID.
fn flashdb_on(port: u16, dir: &std::path::Path) -> Child {
    let mut child = Command::new(binary())
        .args([
            "--port",
            &port.to_string(),
            "--dir",
            dir.to_str().unwrap(),
            "--http-port",
            "0",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(10) {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
            if calls(&mut s, &["PING"]) == "+PONG\r\n" {
                return child;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("flashdb did not start on {port}");
}

#[test]
fn interactive_prompt_history_completion_select_help_reconnect() {
    let home = temp_dir("cli-home");
    let mut srv = TestServer::start();
    let port = srv.port;
    let t = Tmux::start(&format!("{} -p {}", cli_bin(), port), &home);
    let prompt = format!("127.0.0.1:{port}> ");
    t.wait("the prompt", |s| s.contains(prompt.trim_end()));

    // A command and its reply.
    t.type_text("set greeting \"hello world\"");
    t.keys(&["Enter"]);
    t.wait("OK", |s| s.contains("OK"));
    t.type_text("get greeting");
    t.keys(&["Enter"]);
    t.wait("the value", |s| s.contains("\"hello world\""));

    // A hint after the command name (from COMMAND DOCS).
    t.type_text("lrange ");
    t.wait("the LRANGE hint", |s| {
        s.lines().any(|l| l.contains("lrange key start stop"))
    });
    t.keys(&["C-u"]);
    t.wait("the cleared line", |_| {
        t.last_line().trim_end() == prompt.trim_end()
    });

    // History: ↑ brings back the previous line, ↑↑ the one before.
    t.keys(&["Up"]);
    t.wait("history ↑", |_| {
        t.last_line() == format!("{prompt}get greeting")
    });
    t.keys(&["Up"]);
    t.wait("history ↑↑ (with its hint)", |_| {
        t.last_line()
            .starts_with(&format!("{prompt}set greeting \"hello world\" [NX|XX]"))
    });
    t.keys(&["Down", "Down"]);
    t.wait("back to empty", |_| {
        t.last_line().trim_end() == prompt.trim_end()
    });

    // Tab completion of a command name.
    t.type_text("pin");
    t.keys(&["Tab"]);
    t.wait("completion", |_| {
        t.last_line().starts_with(&format!("{prompt}PING"))
    });
    t.keys(&["Enter"]);
    t.wait("PONG", |s| s.contains("PONG"));

    // Line editing: ← and Backspace in the middle, Ctrl-A / Ctrl-E.
    t.type_text("echo abXc");
    t.keys(&["Left", "BSpace", "C-a"]);
    t.type_text(" ");
    t.keys(&["C-e", "Enter"]);
    t.wait("edited echo", |s| s.contains("\"abc\""));

    // SELECT shows the db in the prompt.
    t.type_text("select 1");
    t.keys(&["Enter"]);
    let prompt1 = format!("127.0.0.1:{port}[1]> ");
    t.wait("the [1] prompt", |_| {
        t.last_line().trim_end() == prompt1.trim_end()
    });

    // HELP from COMMAND DOCS.
    t.type_text("help get");
    t.keys(&["Enter"]);
    t.wait("help text", |s| {
        s.contains("GET key") && s.contains("summary:") && s.contains("group: string")
    });

    // Quoting errors are reported, not sent.
    t.type_text("get \"unterminated");
    t.keys(&["Enter"]);
    t.wait("invalid arguments", |s| s.contains("Invalid argument(s)"));

    // The server restarts on the same port: the next command reconnects,
    // still in db 1.
    srv.terminate();
    let dir = temp_dir("cli-restart");
    let mut second = flashdb_on(port, &dir);
    t.type_text("set after restart");
    t.keys(&["Enter"]);
    t.wait("OK after the restart", |s| s.matches("OK").count() >= 3);
    t.type_text("dbsize");
    t.keys(&["Enter"]);
    t.wait("the reply after the restart", |s| s.contains("(integer) 1"));
    assert_eq!(t.last_line().trim_end(), prompt1.trim_end());
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    call(&mut s, &["SELECT", "1"]);
    assert_eq!(calls(&mut s, &["GET", "after"]), "$7\r\nrestart\r\n");
    drop(s);

    // The server is down: the error, then the "not connected" prompt; once
    // it is back, the next command connects again (to db 1).
    let _ = second.kill();
    let _ = second.wait();
    t.type_text("ping");
    t.keys(&["Enter"]);
    t.wait("the connection error", |s| {
        s.contains(&format!(
            "Could not connect to Redis at 127.0.0.1:{port}: Connection refused"
        ))
    });
    t.wait("the not connected prompt", |_| {
        t.last_line().trim_end() == "not connected>"
    });
    let mut second = flashdb_on(port, &dir);
    t.type_text("set back again");
    t.keys(&["Enter"]);
    t.wait("the reply after reconnecting", |_| {
        t.last_line().trim_end() == prompt1.trim_end() && t.screen().matches("OK").count() >= 4
    });
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    call(&mut s, &["SELECT", "1"]);
    assert_eq!(calls(&mut s, &["GET", "back"]), "$5\r\nagain\r\n");
    assert_eq!(t.last_line().trim_end(), prompt1.trim_end());

    // The history file keeps the lines typed (quit ends the session).
    t.type_text("quit");
    t.keys(&["Enter"]);
    let hist = home.join(".flashdb_history");
    let t0 = Instant::now();
    loop {
        let h = std::fs::read_to_string(&hist).unwrap_or_default();
        if h.contains("quit") {
            assert!(
                h.starts_with("set greeting \"hello world\"\nget greeting\n"),
                "{h}"
            );
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "history file: {h:?}"
        );
        std::thread::sleep(Duration::from_millis(30));
    }
    let _ = second.kill();
    let _ = second.wait();
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&home);
}

#[test]
fn interactive_history_is_loaded_and_auth_is_not_saved() {
    let home = temp_dir("cli-home2");
    std::fs::write(home.join(".flashdb_history"), "echo from-last-time\n").unwrap();
    let srv = TestServer::start();
    let t = Tmux::start(&format!("{} -p {}", cli_bin(), srv.port), &home);
    let prompt = format!("127.0.0.1:{}> ", srv.port);
    t.wait("the prompt", |s| s.contains(prompt.trim_end()));
    t.keys(&["Up"]);
    t.wait("the saved line", |_| {
        t.last_line() == format!("{prompt}echo from-last-time")
    });
    t.keys(&["Enter"]);
    t.wait("its reply", |s| s.contains("\"from-last-time\""));
    t.type_text("auth secretpw");
    t.keys(&["Enter"]);
    t.wait("the AUTH error", |s| s.contains("(error)"));
    t.type_text("exit");
    t.keys(&["Enter"]);
    let t0 = Instant::now();
    loop {
        let h = std::fs::read_to_string(home.join(".flashdb_history")).unwrap();
        if h.contains("exit") {
            assert!(!h.contains("secretpw"), "{h}");
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(10), "{h}");
        std::thread::sleep(Duration::from_millis(30));
    }
    let _ = std::fs::remove_dir_all(&home);
}

#[test]
fn unix_socket_errors_name_the_path() {
    let path = temp_dir("cli-sock").join("nope.sock");
    let path = path.to_str().unwrap();
    let a = Command::new("redis-cli")
        .args(["-s", path, "PING"])
        .output()
        .unwrap();
    let b = Command::new(cli_bin())
        .args(["-s", path, "PING"])
        .output()
        .unwrap();
    assert_eq!(
        stderr(&b),
        format!("Could not connect to Redis at {path}: No such file or directory\n")
    );
    assert_eq!(stderr(&a), stderr(&b));
    assert_eq!(b.status.code(), Some(1));
}

#[cfg(feature = "tls")]
mod tls {
    use super::*;

    #[test]
    fn tls_connections() {
        let dir = temp_dir("cli-pki");
        common::pki::make_pki(&dir);
        let f = |n: &str| dir.join(n).to_string_lossy().into_owned();
        let (srv, ports) = TestServer::start_with_ports(1, |p| {
            vec![
                "--tls-port".into(),
                p[0].to_string(),
                "--tls-cert-file".into(),
                f("server.crt"),
                "--tls-key-file".into(),
                f("server.key"),
                "--tls-ca-cert-file".into(),
                f("ca.crt"),
            ]
        });
        let tls_port = ports[0];
        let (ca, other, cert, key) = (
            f("ca.crt"),
            f("other-ca.crt"),
            f("client.crt"),
            f("client.key"),
        );
        let client = ["--cert", cert.as_str(), "--key", key.as_str()];
        let mut args = vec!["--tls", "--cacert", &ca];
        args.extend(client);
        args.push("PING");
        let o = ours(tls_port, &args);
        assert_eq!(stdout(&o), "PONG\n", "{}", stderr(&o));
        // By name (SNI/verification against DNS:localhost), and by URI.
        let o = Command::new(cli_bin())
            .args([
                "-u",
                &format!("rediss://localhost:{tls_port}/3"),
                "--cacert",
                &ca,
            ])
            .args(client)
            .args(["SET", "overtls", "1"])
            .output()
            .unwrap();
        assert_eq!(stdout(&o), "OK\n", "{}", stderr(&o));
        assert_eq!(
            stdout(&ours(srv.port, &["-n", "3", "GET", "overtls"])),
            "1\n"
        );
        // --pipe over TLS (one handle: written first, then read).
        let mut args = vec!["--tls", "--cacert", &ca];
        args.extend(client);
        args.push("--pipe");
        let mut input = Vec::new();
        for i in 0..100 {
            input.extend(resp(&["SET", &format!("t{i}"), "v"]));
        }
        let o = run_with(cli_bin(), tls_port, &args, &input);
        assert!(
            stdout(&o).ends_with("errors: 0, replies: 100\n"),
            "{}{}",
            stdout(&o),
            stderr(&o)
        );
        // --insecure skips the server check.
        let mut args = vec!["--tls", "--insecure"];
        args.extend(client);
        args.push("PING");
        assert_eq!(stdout(&ours(tls_port, &args)), "PONG\n");
        // No trust anchors, or the wrong ones: clear errors, status 1.
        let o = ours(tls_port, &["--tls", "PING"]);
        assert_eq!(o.status.code(), Some(1));
        assert!(stderr(&o).contains("--cacert"), "{}", stderr(&o));
        let mut args = vec!["--tls", "--cacert", &other];
        args.extend(client);
        args.push("PING");
        let o = ours(tls_port, &args);
        assert_eq!(o.status.code(), Some(1));
        assert!(
            stderr(&o).contains("Could not negotiate a TLS connection"),
            "{}",
            stderr(&o)
        );
        let o = ours(tls_port, &["--tls", "--cacert", "/nonexistent.crt", "PING"]);
        assert_eq!(o.status.code(), Some(1));
        assert!(stderr(&o).contains("/nonexistent.crt"), "{}", stderr(&o));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
