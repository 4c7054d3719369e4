//! Connection commands and connection lifecycle: PING ECHO SELECT QUIT
//! RESET AUTH, the CLIENT family (ID SETNAME GETNAME LIST INFO KILL PAUSE
//! REPLY), maxclients, idle timeout, SIGTERM with clients connected, and
//! the real redis-cli (one-shot and --pipe). Texts checked against
//! redis-server 7.0.15.
mod common;
use common::*;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Asserts the peer closed the connection (EOF or reset) within the read
/// timeout, without sending anything more.
fn assert_eof(s: &mut TcpStream) {
    let mut b = [0u8; 256];
    match s.read(&mut b) {
        Ok(0) => {}
        Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
        Ok(n) => panic!("expected EOF, got {:?}", String::from_utf8_lossy(&b[..n])),
        Err(e) => panic!("expected EOF, got {e}"),
    }
}

/// Asserts no bytes arrive within `ms` (the connection stays open).
fn assert_silent(s: &mut TcpStream, ms: u64) {
    s.set_read_timeout(Some(Duration::from_millis(ms))).unwrap();
    let mut b = [0u8; 256];
    match s.read(&mut b) {
        Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::TimedOut => {}
        Ok(n) => panic!(
            "expected silence, got {:?}",
            String::from_utf8_lossy(&b[..n])
        ),
        Err(e) => panic!("expected silence, got {e}"),
    }
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
}

fn client_id(s: &mut TcpStream) -> u64 {
    let r = calls(s, &["CLIENT", "ID"]);
    r.trim_start_matches(':').trim_end().parse().unwrap()
}

#[test]
fn ping_echo_select_quit_reset() {
    let srv = TestServer::start();
    let mut s = srv.raw();
    assert_eq!(calls(&mut s, &["PING"]), "+PONG\r\n");
    assert_eq!(calls(&mut s, &["PING", "hi there"]), "$8\r\nhi there\r\n");
    assert_eq!(calls(&mut s, &["ECHO", ""]), "$0\r\n\r\n");
    assert_eq!(calls(&mut s, &["ECHO", "x y"]), "$3\r\nx y\r\n");
    assert_eq!(
        calls(&mut s, &["SELECT", "16"]),
        "-ERR DB index is out of range\r\n"
    );
    assert_eq!(
        calls(&mut s, &["SELECT", "-1"]),
        "-ERR DB index is out of range\r\n"
    );
    assert_eq!(
        calls(&mut s, &["SELECT", "x"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    // Databases are separate.
    assert_eq!(calls(&mut s, &["SET", "k", "db0"]), "+OK\r\n");
    assert_eq!(calls(&mut s, &["SELECT", "15"]), "+OK\r\n");
    assert_eq!(calls(&mut s, &["GET", "k"]), "$-1\r\n");
    assert_eq!(calls(&mut s, &["SET", "k", "db15"]), "+OK\r\n");
    assert!(calls(&mut s, &["CLIENT", "INFO"]).contains(" db=15 "));
    assert_eq!(calls(&mut s, &["CLIENT", "SETNAME", "me"]), "+OK\r\n");
    // RESET: back to db 0, name cleared, RESP2, replies on.
    assert_eq!(calls(&mut s, &["HELLO", "3"]).as_bytes()[0], b'%');
    assert_eq!(calls(&mut s, &["RESET"]), "+RESET\r\n");
    assert_eq!(calls(&mut s, &["GET", "k"]), "$3\r\ndb0\r\n");
    assert_eq!(calls(&mut s, &["CLIENT", "GETNAME"]), "$-1\r\n");
    assert_eq!(calls(&mut s, &["GET", "missing"]), "$-1\r\n");
    s.write_all(b"CLIENT REPLY OFF\r\nRESET\r\n").unwrap();
    assert_eq!(read_reply(&mut s), b"+RESET\r\n");
    assert_eq!(calls(&mut s, &["PING"]), "+PONG\r\n");
    // QUIT: +OK, then EOF; pipelined commands after it are not run.
    s.write_all(b"QUIT\r\nSET after quit\r\n").unwrap();
    assert_eq!(read_n(&mut s, 5), b"+OK\r\n");
    assert_eof(&mut s);
    let mut s = srv.raw();
    assert_eq!(calls(&mut s, &["GET", "after"]), "$-1\r\n");
    s.write_all(b"QUIT extra args\r\n").unwrap();
    assert_eq!(read_n(&mut s, 5), b"+OK\r\n");
    assert_eof(&mut s);
}

#[test]
fn auth_without_password() {
    let srv = TestServer::start();
    let mut s = srv.raw();
    assert_eq!(
        calls(&mut s, &["AUTH", "foo"]),
        "-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n"
    );
    // The default user is nopass: AUTH default <anything> succeeds.
    assert_eq!(calls(&mut s, &["AUTH", "default", "whatever"]), "+OK\r\n");
    assert_eq!(
        calls(&mut s, &["AUTH", "bob", "x"]),
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    );
    assert_eq!(
        calls(&mut s, &["AUTH", "a", "b", "c"]),
        "-ERR syntax error\r\n"
    );
    assert_eq!(
        calls(&mut s, &["AUTH"]),
        "-ERR wrong number of arguments for 'auth' command\r\n"
    );
    assert_eq!(
        calls(&mut s, &["HELLO", "3", "AUTH", "default", "x"]).as_bytes()[0],
        b'%'
    );
}

/// TestServer's readiness probe is an unauthenticated PING, which a
/// `requirepass` server answers with -NOAUTH; this one waits for that.
struct AuthServer {
    child: std::process::Child,
    port: u16,
    dir: std::path::PathBuf,
}

impl AuthServer {
    fn start(pass: &str) -> AuthServer {
        let dir = temp_dir("auth");
        let port = free_port();
        let child = Command::new(binary())
            .args(["--port", &port.to_string(), "--dir", dir.to_str().unwrap()])
            .args(["--http-port", "0", "--requirepass", pass])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let srv = AuthServer { child, port, dir };
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(10) {
            if let Ok(mut c) = TcpStream::connect(("127.0.0.1", port)) {
                c.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
                // Ready = authenticated commands run (not -LOADING).
                let auth = format!("AUTH {pass}\r\nPING\r\n");
                if c.write_all(auth.as_bytes()).is_ok() && read_n(&mut c, 12) == b"+OK\r\n+PONG\r\n"
                {
                    return srv;
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("flashdb --requirepass did not start");
    }

    fn raw(&self) -> TcpStream {
        let s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s
    }
}

impl Drop for AuthServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn auth_with_requirepass() {
    let srv = AuthServer::start("secret");
    let mut s = srv.raw();
    assert_eq!(
        calls(&mut s, &["GET", "k"]),
        "-NOAUTH Authentication required.\r\n"
    );
    assert_eq!(
        calls(&mut s, &["SET", "k", "v"]),
        "-NOAUTH Authentication required.\r\n"
    );
    assert_eq!(
        calls(&mut s, &["PING"]),
        "-NOAUTH Authentication required.\r\n"
    );
    assert_eq!(
        calls(&mut s, &["AUTH", "wrong"]),
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    );
    assert_eq!(
        calls(&mut s, &["AUTH", "default", "wrong"]),
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    );
    assert_eq!(calls(&mut s, &["HELLO", "3"]), "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n");
    assert_eq!(calls(&mut s, &["AUTH", "secret"]), "+OK\r\n");
    assert_eq!(calls(&mut s, &["SET", "k", "v"]), "+OK\r\n");
    // RESET de-authenticates.
    assert_eq!(calls(&mut s, &["RESET"]), "+RESET\r\n");
    assert_eq!(
        calls(&mut s, &["GET", "k"]),
        "-NOAUTH Authentication required.\r\n"
    );
    // HELLO 3 AUTH in one step.
    let mut s = srv.raw();
    assert_eq!(
        calls(&mut s, &["HELLO", "3", "AUTH", "default", "nope"]),
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    );
    assert_eq!(
        calls(&mut s, &["HELLO", "3", "AUTH", "default", "secret"]).as_bytes()[0],
        b'%'
    );
    assert_eq!(calls(&mut s, &["GET", "k"]), "$1\r\nv\r\n");
    assert_eq!(calls(&mut s, &["GET", "missing"]), "_\r\n");
    // QUIT works unauthenticated.
    let mut s = srv.raw();
    assert_eq!(calls(&mut s, &["QUIT"]), "+OK\r\n");
    // redis-cli -a.
    let out = Command::new("redis-cli")
        .args([
            "-p",
            &srv.port.to_string(),
            "--no-auth-warning",
            "-a",
            "secret",
            "GET",
            "k",
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "v\n");
}

#[test]
fn client_id_setname_getname_list_info() {
    let srv = TestServer::start();
    let mut a = srv.raw();
    let mut b = srv.raw();
    let ida = client_id(&mut a);
    let idb = client_id(&mut b);
    assert!(idb > ida, "ids increase: {ida} {idb}");
    assert_eq!(client_id(&mut a), ida, "stable");
    assert_eq!(calls(&mut a, &["CLIENT", "GETNAME"]), "$-1\r\n");
    let bad = "-ERR Client names cannot contain spaces, newlines or special characters.\r\n";
    assert_eq!(calls(&mut a, &["CLIENT", "SETNAME", "a b"]), bad);
    assert_eq!(calls(&mut a, &["CLIENT", "SETNAME", "a\nb"]), bad);
    assert_eq!(calls(&mut a, &["CLIENT", "SETNAME", "caf\u{e9}"]), bad);
    assert_eq!(calls(&mut a, &["CLIENT", "SETNAME", "x\u{7f}"]), bad);
    assert_eq!(calls(&mut a, &["CLIENT", "GETNAME"]), "$-1\r\n");
    assert_eq!(calls(&mut a, &["CLIENT", "SETNAME", "alpha-1"]), "+OK\r\n");
    assert_eq!(calls(&mut a, &["CLIENT", "GETNAME"]), "$7\r\nalpha-1\r\n");
    assert_eq!(
        calls(&mut a, &["HELLO", "2", "SETNAME", "beta"]).as_bytes()[0],
        b'*'
    );
    assert_eq!(calls(&mut a, &["CLIENT", "GETNAME"]), "$4\r\nbeta\r\n");

    let list = calls(&mut b, &["CLIENT", "LIST"]);
    let body = list.split_once("\r\n").unwrap().1;
    let lines: Vec<&str> = body.trim_end_matches("\r\n").lines().collect();
    assert!(lines.len() >= 2, "{list}");
    let la = lines
        .iter()
        .find(|l| l.starts_with(&format!("id={ida} ")))
        .expect("a listed");
    assert!(la.contains(" name=beta "), "{la}");
    assert!(
        la.contains(&format!(" addr={} ", a.local_addr().unwrap())),
        "{la}"
    );
    assert!(
        la.contains(&format!(" laddr=127.0.0.1:{} ", srv.port)),
        "{la}"
    );
    assert!(la.contains(" cmd=client|getname "), "{la}");
    let lb = lines
        .iter()
        .find(|l| l.starts_with(&format!("id={idb} ")))
        .expect("b listed");
    assert!(lb.contains(" cmd=client|list "), "{lb}");
    // CLIENT LIST ID filters; TYPE normal lists all, TYPE pubsub none.
    let only = calls(&mut b, &["CLIENT", "LIST", "ID", &ida.to_string()]);
    assert_eq!(only.matches("id=").count(), 1);
    assert!(only.contains(&format!("id={ida} ")));
    assert_eq!(calls(&mut b, &["CLIENT", "LIST", "ID", "0"]), "$0\r\n\r\n");
    assert_eq!(
        calls(&mut b, &["CLIENT", "LIST", "TYPE", "pubsub"]),
        "$0\r\n\r\n"
    );
    assert!(calls(&mut b, &["CLIENT", "LIST", "TYPE", "normal"]).contains(&format!("id={ida} ")));
    assert_eq!(
        calls(&mut b, &["CLIENT", "LIST", "ID", "x"]),
        "-ERR Invalid client ID\r\n"
    );
    assert_eq!(
        calls(&mut b, &["CLIENT", "LIST", "TYPE", "foo"]),
        "-ERR Unknown client type 'foo'\r\n"
    );
    // CLIENT INFO: this client's line, with a trailing newline.
    let info = calls(&mut a, &["CLIENT", "INFO"]);
    let (head, body) = info.split_once("\r\n").unwrap();
    assert_eq!(head, format!("${}", body.len() - 2));
    assert!(body.starts_with(&format!("id={ida} addr=")), "{body}");
    assert!(body.contains(" name=beta ") && body.contains(" db=0 ") && body.contains(" resp=2"));
    assert!(body.ends_with("\n\r\n"));
    // Disconnected clients leave the list.
    drop(a);
    let t = Instant::now();
    loop {
        let l = calls(&mut b, &["CLIENT", "LIST"]);
        if !l.contains(&format!("id={ida} ")) {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(3),
            "closed client still listed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn client_kill_forms() {
    let srv = TestServer::start();
    let mut admin = srv.raw();
    // By ID.
    let mut v = srv.raw();
    let id = client_id(&mut v);
    assert_eq!(
        calls(&mut admin, &["CLIENT", "KILL", "ID", &id.to_string()]),
        ":1\r\n"
    );
    assert_eof(&mut v);
    assert_eq!(
        calls(&mut admin, &["CLIENT", "KILL", "ID", &id.to_string()]),
        ":0\r\n"
    );
    // By ADDR.
    let mut v = srv.raw();
    assert_eq!(calls(&mut v, &["PING"]), "+PONG\r\n");
    let addr = v.local_addr().unwrap().to_string();
    assert_eq!(
        calls(&mut admin, &["CLIENT", "KILL", "ADDR", &addr]),
        ":1\r\n"
    );
    assert_eof(&mut v);
    // Old form: ip:port → +OK, or an error when nobody matches.
    let mut v = srv.raw();
    assert_eq!(calls(&mut v, &["PING"]), "+PONG\r\n");
    let addr = v.local_addr().unwrap().to_string();
    assert_eq!(calls(&mut admin, &["CLIENT", "KILL", &addr]), "+OK\r\n");
    assert_eof(&mut v);
    assert_eq!(
        calls(&mut admin, &["CLIENT", "KILL", &addr]),
        "-ERR No such client\r\n"
    );
    // SKIPME: by default the caller survives a filter that matches it.
    let mut v1 = srv.raw();
    let mut v2 = srv.raw();
    assert_eq!(calls(&mut v1, &["PING"]), "+PONG\r\n");
    assert_eq!(calls(&mut v2, &["PING"]), "+PONG\r\n");
    let n = calls(&mut admin, &["CLIENT", "KILL", "TYPE", "normal"]);
    assert_eq!(n, ":2\r\n");
    assert_eof(&mut v1);
    assert_eof(&mut v2);
    assert_eq!(calls(&mut admin, &["PING"]), "+PONG\r\n");
    let me = client_id(&mut admin);
    assert_eq!(
        calls(
            &mut admin,
            &["CLIENT", "KILL", "ID", &me.to_string(), "SKIPME", "yes"]
        ),
        ":0\r\n"
    );
    // Killing yourself: the reply arrives, then EOF.
    assert_eq!(
        calls(
            &mut admin,
            &["CLIENT", "KILL", "ID", &me.to_string(), "SKIPME", "no"]
        ),
        ":1\r\n"
    );
    assert_eof(&mut admin);
    let mut s = srv.raw();
    let addr = s.local_addr().unwrap().to_string();
    assert_eq!(calls(&mut s, &["CLIENT", "KILL", &addr]), "+OK\r\n");
    assert_eof(&mut s);
    // Errors.
    let mut s = srv.raw();
    assert_eq!(
        calls(&mut s, &["CLIENT", "KILL", "ID", "x"]),
        "-ERR client-id should be greater than 0\r\n"
    );
    assert_eq!(
        calls(&mut s, &["CLIENT", "KILL", "ID", "1", "SKIPME", "maybe"]),
        "-ERR syntax error\r\n"
    );
    assert_eq!(
        calls(&mut s, &["CLIENT", "KILL", "foo", "bar"]),
        "-ERR syntax error\r\n"
    );
    assert_eq!(
        calls(&mut s, &["CLIENT", "KILL", "USER", "bob"]),
        "-ERR No such user 'bob'\r\n"
    );
}

#[test]
fn client_pause_write_blocks_writes_only() {
    let srv = TestServer::start();
    let mut admin = srv.raw();
    let mut w = srv.raw();
    let mut r = srv.raw();
    assert_eq!(calls(&mut w, &["SET", "k", "old"]), "+OK\r\n");
    // Until UNPAUSE.
    assert_eq!(
        calls(&mut admin, &["CLIENT", "PAUSE", "10000", "WRITE"]),
        "+OK\r\n"
    );
    let t = Instant::now();
    assert_eq!(calls(&mut r, &["GET", "k"]), "$3\r\nold\r\n");
    assert_eq!(calls(&mut r, &["PING"]), "+PONG\r\n");
    assert!(t.elapsed() < Duration::from_secs(1), "reads are not paused");
    w.write_all(&cmd(&[b"SET", b"k", b"new"])).unwrap();
    assert_silent(&mut w, 300);
    assert_eq!(calls(&mut r, &["GET", "k"]), "$3\r\nold\r\n");
    assert_eq!(calls(&mut admin, &["CLIENT", "UNPAUSE"]), "+OK\r\n");
    assert_eq!(read_reply(&mut w), b"+OK\r\n");
    assert_eq!(calls(&mut r, &["GET", "k"]), "$3\r\nnew\r\n");
    // Until the timeout.
    assert_eq!(
        calls(&mut admin, &["CLIENT", "PAUSE", "400", "WRITE"]),
        "+OK\r\n"
    );
    let t = Instant::now();
    assert_eq!(calls(&mut w, &["DEL", "k"]), ":1\r\n");
    let waited = t.elapsed();
    assert!(
        waited >= Duration::from_millis(300),
        "DEL waited only {waited:?}"
    );
    assert!(waited < Duration::from_secs(3), "DEL waited {waited:?}");
    // PAUSE ALL blocks reads too.
    assert_eq!(calls(&mut admin, &["CLIENT", "PAUSE", "400"]), "+OK\r\n");
    let t = Instant::now();
    assert_eq!(calls(&mut r, &["GET", "k"]), "$-1\r\n");
    assert!(t.elapsed() >= Duration::from_millis(300));
    // Errors.
    assert_eq!(
        calls(&mut admin, &["CLIENT", "PAUSE", "x"]),
        "-ERR timeout is not an integer or out of range\r\n"
    );
    assert_eq!(
        calls(&mut admin, &["CLIENT", "PAUSE", "-1"]),
        "-ERR timeout is negative\r\n"
    );
    assert_eq!(
        calls(&mut admin, &["CLIENT", "PAUSE", "10", "foo"]),
        "-ERR CLIENT PAUSE mode must be WRITE or ALL\r\n"
    );
}

#[test]
fn client_reply_off_on_skip() {
    let srv = TestServer::start();
    let mut s = srv.raw();
    // OFF: no reply to itself nor anything after, until ON (which replies).
    s.write_all(b"CLIENT REPLY OFF\r\nSET a 1\r\nGET a\r\nPING\r\nCLIENT REPLY ON\r\n")
        .unwrap();
    assert_eq!(read_n(&mut s, 5), b"+OK\r\n");
    assert_eq!(
        calls(&mut s, &["GET", "a"]),
        "$1\r\n1\r\n",
        "commands ran while replies were off"
    );
    // SKIP: no reply to itself nor to the next command.
    s.write_all(b"CLIENT REPLY SKIP\r\nSET b 2\r\nGET b\r\n")
        .unwrap();
    assert_eq!(read_reply(&mut s), b"$1\r\n2\r\n");
    assert_silent(&mut s, 100);
    assert_eq!(
        calls(&mut s, &["CLIENT", "REPLY", "foo"]),
        "-ERR syntax error\r\n"
    );
    // Errors are silenced too while OFF.
    s.write_all(b"CLIENT REPLY OFF\r\nnope\r\nGET\r\nCLIENT REPLY ON\r\n")
        .unwrap();
    assert_eq!(read_n(&mut s, 5), b"+OK\r\n");
    assert_silent(&mut s, 100);
}

#[test]
fn maxclients_rejects_the_next_connection() {
    let srv = TestServer::start_with(&["--maxclients", "3"]);
    // The harness's readiness probe may still hold its slot for a moment
    // after closing, so fill the three slots with retries.
    let mut held: Vec<TcpStream> = Vec::new();
    let t = Instant::now();
    while held.len() < 3 {
        let mut s = srv.raw();
        if calls(&mut s, &["PING"]) == "+PONG\r\n" {
            held.push(s);
        } else {
            assert!(
                t.elapsed() < Duration::from_secs(3),
                "could not fill the slots"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let mut extra = srv.raw();
    assert_eq!(
        read_n(&mut extra, 38),
        b"-ERR max number of clients reached\r\n"
    );
    assert_eof(&mut extra);
    // A slot frees up when one closes.
    drop(held.pop());
    let t = Instant::now();
    loop {
        let mut s = srv.raw();
        if calls(&mut s, &["PING"]) == "+PONG\r\n" {
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(3));
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn idle_timeout_closes_client() {
    let srv = TestServer::start_with(&["--timeout", "1"]);
    let mut idle = srv.raw();
    assert_eq!(calls(&mut idle, &["PING"]), "+PONG\r\n");
    idle.set_read_timeout(Some(Duration::from_secs(4))).unwrap();
    let t = Instant::now();
    assert_eof(&mut idle);
    assert!(
        t.elapsed() < Duration::from_millis(3500),
        "closed after {:?}",
        t.elapsed()
    );
    // A busy client survives.
    let mut busy = srv.raw();
    for _ in 0..6 {
        assert_eq!(calls(&mut busy, &["PING"]), "+PONG\r\n");
        std::thread::sleep(Duration::from_millis(400));
    }
}

#[test]
fn sigterm_with_clients_connected_exits_0() {
    let mut srv = TestServer::start();
    let mut a = srv.raw();
    let mut b = srv.raw();
    assert_eq!(calls(&mut a, &["SET", "k", "v"]), "+OK\r\n");
    // b is mid-request.
    b.write_all(b"*2\r\n$3\r\nGET\r\n").unwrap();
    std::thread::sleep(Duration::from_millis(50));
    let t = Instant::now();
    let st = srv.terminate();
    assert!(st.success(), "exit status {st:?}; log:\n{}", srv.log());
    assert!(
        t.elapsed() < Duration::from_secs(6),
        "shutdown took {:?}",
        t.elapsed()
    );
    assert_eof(&mut a);
    assert_eof(&mut b);
    assert!(srv.log().contains("bye bye"));
}

#[test]
fn redis_cli_one_shot() {
    let srv = TestServer::start();
    assert_eq!(srv.cli(&["SET", "k", "v"]), "OK\n");
    assert_eq!(srv.cli(&["GET", "k"]), "v\n");
    assert_eq!(srv.cli(&["PING"]), "PONG\n");
    assert_eq!(srv.cli(&["DEL", "k", "nope"]), "1\n");
    assert_eq!(srv.cli(&["--no-raw", "GET", "k"]), "(nil)\n");
    assert_eq!(srv.cli(&["--raw", "ECHO", "a b"]), "a b\n");
    assert_eq!(srv.cli(&["-n", "3", "SET", "x", "in3"]), "OK\n");
    assert_eq!(srv.cli(&["-n", "3", "GET", "x"]), "in3\n");
    assert_eq!(srv.cli(&["GET", "x"]), "\n");
    assert_eq!(
        srv.cli(&["FOO", "bar"]),
        "ERR unknown command 'FOO', with args beginning with: 'bar' \n\n"
    );
    assert_eq!(srv.cli(&["DBSIZE"]), "0\n");
}

#[test]
fn redis_cli_pipe_mass_insert() {
    let srv = TestServer::start();
    let mut input = Vec::new();
    for i in 0..10_000 {
        let (k, v) = (format!("key:{i}"), format!("value:{i}"));
        input.extend_from_slice(&cmd(&[b"SET", k.as_bytes(), v.as_bytes()]));
    }
    let mut child = Command::new("redis-cli")
        .args(["-p", &srv.port.to_string(), "--pipe"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("redis-cli");
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        text.lines().last(),
        Some("errors: 0, replies: 10000"),
        "{text}"
    );
    let mut s = srv.raw();
    assert_eq!(calls(&mut s, &["DBSIZE"]), ":10000\r\n");
    assert_eq!(calls(&mut s, &["GET", "key:9999"]), "$10\r\nvalue:9999\r\n");
}
