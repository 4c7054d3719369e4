//! `audit-log`: JSON lines for failed AUTH, admin commands, FLUSH*, and
//! refused connections — never an argument value.
mod common;
use common::*;
use std::time::{Duration, Instant};

fn lines(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
        .collect()
}

/// Waits until the log has a line satisfying `f` (lines are written by
/// the server's threads; the client may see its reply first).
fn wait_for(path: &std::path::Path, f: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
    let t = Instant::now();
    loop {
        if let Some(v) = lines(path).into_iter().find(|v| f(v)) {
            return v;
        }
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "no such line in {:?}",
            std::fs::read_to_string(path).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn security_events_are_logged_without_secrets() {
    let dir = temp_dir("audit");
    let log = dir.join("audit.log");
    let srv = TestServer::start_in(
        dir.clone(),
        &[
            "--audit-log",
            log.to_str().unwrap(),
            "--requirepass",
            "first-s3cret",
        ],
    );
    let mut s = srv.raw();
    assert!(calls(&mut s, &["AUTH", "wrong-guess"]).starts_with("-WRONGPASS"));
    assert!(calls(&mut s, &["AUTH", "someone", "guess2"]).starts_with("-WRONGPASS"));
    assert!(calls(&mut s, &["HELLO", "3", "AUTH", "bob", "guess3"]).starts_with("-WRONGPASS"));
    assert_eq!(calls(&mut s, &["AUTH", "first-s3cret"]), "+OK\r\n");
    assert_eq!(
        calls(
            &mut s,
            &[
                "CONFIG",
                "SET",
                "requirepass",
                "second-s3cret",
                "maxmemory",
                "0"
            ]
        ),
        "+OK\r\n"
    );
    assert_eq!(calls(&mut s, &["SET", "k", "v"]), "+OK\r\n");
    assert_eq!(calls(&mut s, &["FLUSHALL"]), "+OK\r\n");
    assert!(calls(&mut s, &["CONFIG", "SET", "audit-log", "/tmp/x"]).starts_with("-ERR"));
    let mut victim = srv.raw();
    assert_eq!(calls(&mut victim, &["AUTH", "second-s3cret"]), "+OK\r\n");
    let id = String::from_utf8(call(&mut victim, &["CLIENT", "ID"])).unwrap();
    let id = id.trim().trim_start_matches(':').to_string();
    assert_eq!(calls(&mut s, &["CLIENT", "KILL", "ID", &id]), ":1\r\n");

    let fail = wait_for(&log, |v| {
        v["event"] == "auth_failure" && v["attempted_user"] == "default"
    });
    assert_eq!(fail["command"], "auth");
    assert!(fail["addr"].as_str().unwrap().starts_with("127.0.0.1:"));
    assert!(fail["client_id"].as_u64().unwrap() > 0);
    assert!(fail["ts"].as_str().unwrap().ends_with('Z'));
    wait_for(&log, |v| {
        v["event"] == "auth_failure" && v["attempted_user"] == "someone"
    });
    wait_for(&log, |v| {
        v["event"] == "auth_failure" && v["attempted_user"] == "bob" && v["command"] == "hello"
    });
    let set = wait_for(&log, |v| {
        v["command"] == "config|set" && v["result"] == "ok"
    });
    assert_eq!(set["params"], "requirepass,maxmemory");
    wait_for(&log, |v| {
        v["command"] == "config|set" && v["result"] == "ERR"
    });
    wait_for(&log, |v| v["command"] == "flushall" && v["result"] == "ok");
    let kill = wait_for(&log, |v| v["command"] == "client|kill");
    assert_eq!(kill["killed"], "1");
    assert_eq!(kill["filters"], "id");
    // Ordinary commands are not audited; no secret ever appears.
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(!text.contains("\"set\""), "{text}");
    for secret in [
        "first-s3cret",
        "second-s3cret",
        "wrong-guess",
        "guess2",
        "guess3",
    ] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    // SHUTDOWN is logged before the process exits.
    use std::io::Write;
    s.write_all(&cmd(&[b"SHUTDOWN", b"NOSAVE"])).unwrap();
    wait_for(&log, |v| v["command"] == "shutdown");
}

#[test]
fn refused_connections_are_logged() {
    let dir = temp_dir("audit-max");
    let log = dir.join("audit.log");
    let srv = TestServer::start_in(
        dir.clone(),
        &["--audit-log", log.to_str().unwrap(), "--maxclients", "2"],
    );
    // Open connections until one is refused (the harness's readiness
    // probe may still hold a slot for a moment).
    let mut open = Vec::new();
    let mut refused = false;
    for _ in 0..10 {
        let mut c = srv.raw();
        c.set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        let mut b = [0u8; 64];
        use std::io::Read;
        if let Ok(n) = c.read(&mut b) {
            assert_eq!(
                String::from_utf8_lossy(&b[..n]),
                "-ERR max number of clients reached\r\n"
            );
            refused = true;
            break;
        }
        open.push(c);
    }
    assert!(refused && open.len() <= 2);
    let v = wait_for(&log, |v| v["event"] == "connection_rejected");
    assert_eq!(v["reason"], "maxclients");
    assert!(v["addr"].as_str().unwrap().starts_with("127.0.0.1:"));
}

#[test]
fn no_audit_log_by_default() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let v: Vec<String> = q(&mut c, &["CONFIG", "GET", "audit-log"]);
    assert_eq!(v[1], "");
    let _: () = q(&mut c, &["FLUSHALL"]);
    let entries: Vec<_> = std::fs::read_dir(srv.data_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("audit"))
        .collect();
    assert!(entries.is_empty());
}

#[test]
fn acl_changes_and_acting_user_are_logged() {
    let dir = temp_dir("audit-acl");
    let log = dir.join("audit.log");
    let srv = TestServer::start_in(dir.clone(), &["--audit-log", log.to_str().unwrap()]);
    let mut s = srv.raw();
    assert_eq!(
        calls(
            &mut s,
            &[
                "ACL",
                "SETUSER",
                "alice",
                "on",
                ">alice-pw-123",
                "+@all",
                "~*"
            ]
        ),
        "+OK\r\n"
    );
    assert!(calls(&mut s, &["AUTH", "alice", "not-her-pw"]).starts_with("-WRONGPASS"));
    assert_eq!(calls(&mut s, &["AUTH", "alice", "alice-pw-123"]), "+OK\r\n");
    assert_eq!(
        calls(&mut s, &["CONFIG", "SET", "maxmemory", "0"]),
        "+OK\r\n"
    );
    assert_eq!(calls(&mut s, &["ACL", "DELUSER", "nobody"]), ":0\r\n");
    let set = wait_for(&log, |v| v["command"] == "acl|setuser");
    assert_eq!(set["target"], "alice");
    assert_eq!(set["user"], "default");
    wait_for(&log, |v| {
        v["event"] == "auth_failure" && v["attempted_user"] == "alice"
    });
    let cfg = wait_for(&log, |v| v["command"] == "config|set");
    assert_eq!(cfg["user"], "alice");
    wait_for(&log, |v| {
        v["command"] == "acl|deluser" && v["target"] == "nobody"
    });
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        !text.contains("alice-pw-123") && !text.contains("not-her-pw"),
        "{text}"
    );
}
