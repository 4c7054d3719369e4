//! `rate-limit`: a token bucket per connection, through real clients.
//! No timing thresholds: the bursts are counted, and the refill is only
//! checked to happen eventually.
mod common;
use common::*;
use std::time::{Duration, Instant};

/// Sends `n` PINGs pipelined and returns how many got +PONG.
fn pongs(srv: &TestServer, n: usize) -> (usize, Vec<u8>) {
    let mut s = srv.raw();
    let mut batch = Vec::new();
    for _ in 0..n {
        batch.extend_from_slice(&cmd(&[b"PING"]));
    }
    use std::io::Write;
    s.write_all(&batch).unwrap();
    let mut ok = 0;
    let mut last_err = Vec::new();
    for _ in 0..n {
        let r = read_reply(&mut s);
        if r == b"+PONG\r\n" {
            ok += 1;
        } else {
            last_err = r;
        }
    }
    (ok, last_err)
}

#[test]
fn burst_is_enforced_per_connection_and_counted() {
    // 1 token/s: within this test the refill adds at most a few.
    let srv = TestServer::start_with(&["--rate-limit", "1", "20"]);
    let (ok, err) = pongs(&srv, 100);
    assert!((20..=25).contains(&ok), "{ok} commands passed");
    assert_eq!(
        String::from_utf8_lossy(&err),
        "-ERR rate limit exceeded: more than 1 commands/s (burst 20)\r\n"
    );
    // Another connection has its own bucket.
    let (ok2, _) = pongs(&srv, 10);
    assert_eq!(ok2, 10);
    // Counted in INFO (read from a fresh connection with a full bucket).
    let mut c = srv.client();
    let info: String = q(&mut c, &["INFO", "stats"]);
    let limited: u64 = info
        .lines()
        .find_map(|l| l.strip_prefix("rate_limited_commands:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(limited as usize, 100 - ok);
}

#[test]
fn bucket_refills_and_config_set_applies_at_once() {
    let srv = TestServer::start();
    let mut c = srv.client();
    // Off by default.
    assert_eq!(pongs(&srv, 200).0, 200);
    let _: () = q(&mut c, &["CONFIG", "SET", "rate-limit", "5 5"]);
    let v: Vec<String> = q(&mut c, &["CONFIG", "GET", "rate-limit"]);
    assert_eq!(v, vec!["rate-limit".to_string(), "5 5".to_string()]);
    let mut s = srv.raw();
    let mut passed = 0;
    let mut refused = 0;
    let t = Instant::now();
    // Until a refusal has been followed by a success again (refill).
    loop {
        let r = call(&mut s, &["PING"]);
        if r == b"+PONG\r\n" {
            passed += 1;
            if refused > 0 {
                break;
            }
        } else {
            refused += 1;
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(t.elapsed() < Duration::from_secs(20), "never refilled");
    }
    assert!(passed >= 6 && refused >= 1);
    // Turning it off frees everyone at once.
    let _: () = q(&mut c, &["CONFIG", "SET", "rate-limit", "0 0"]);
    assert_eq!(pongs(&srv, 100).0, 100);
    assert!(qerr(&mut c, &["CONFIG", "SET", "rate-limit", "-1 5"]).contains("rate-limit"));
    assert!(qerr(&mut c, &["CONFIG", "SET", "rate-limit", "5"]).contains("rate-limit"));
}

#[test]
fn loopback_exemption_and_limited_auth_guessing() {
    let srv = TestServer::start_with(&[
        "--rate-limit",
        "1",
        "3",
        "--rate-limit-exempt-loopback",
        "yes",
    ]);
    // Tests connect over loopback: exempt.
    assert_eq!(pongs(&srv, 50).0, 50);
    let srv = TestServer::start_with(&["--rate-limit", "1", "3", "--requirepass", "pw"]);
    // Password guessing is limited too (the check comes before AUTH).
    let mut s = srv.raw();
    let mut wrong = 0;
    let mut limited = 0;
    for _ in 0..10 {
        let r = calls(&mut s, &["AUTH", "guess"]);
        if r.starts_with("-WRONGPASS") {
            wrong += 1;
        } else if r.starts_with("-ERR rate limit exceeded") {
            limited += 1;
        }
    }
    assert!(wrong <= 4 && limited >= 6, "{wrong} {limited}");
}

#[test]
fn per_user_bucket_is_shared_by_the_users_connections() {
    let srv = TestServer::start_with(&["--rate-limit-user", "1", "10"]);
    let mut admin = srv.raw();
    assert_eq!(
        calls(
            &mut admin,
            &["ACL", "SETUSER", "alice", "on", ">pw", "+@all", "~*"]
        ),
        "+OK\r\n"
    );
    let mut a = srv.raw();
    let mut b = srv.raw();
    assert_eq!(calls(&mut a, &["AUTH", "alice", "pw"]), "+OK\r\n");
    assert_eq!(calls(&mut b, &["AUTH", "alice", "pw"]), "+OK\r\n");
    let count = |s: &mut std::net::TcpStream, n: usize| {
        let mut ok = 0;
        let mut err = String::new();
        for _ in 0..n {
            let r = calls(s, &["PING"]);
            if r == "+PONG\r\n" {
                ok += 1;
            } else {
                err = r;
            }
        }
        (ok, err)
    };
    let (ok_a, _) = count(&mut a, 6);
    let (ok_b, err) = count(&mut b, 10);
    // 10 tokens (+ at most a couple refilled) shared by both connections.
    assert_eq!(ok_a, 6);
    assert!((4..=6).contains(&ok_b), "{ok_b}");
    assert_eq!(
        err,
        "-ERR rate limit exceeded: more than 1 commands/s (burst 10) for user 'alice'\r\n"
    );
    // Another user (default, here) has its own bucket.
    assert_eq!(calls(&mut admin, &["PING"]), "+PONG\r\n");
}
