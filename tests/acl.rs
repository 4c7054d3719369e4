//! ACL: users and their rules (ACL SETUSER / GETUSER / LIST / DELUSER /
//! DRYRUN / CAT / LOG / SAVE / LOAD), AUTH and HELLO AUTH with users,
//! -NOPERM for commands, keys and channels (also inside MULTI and at EXEC),
//! `requirepass` as the default user's password, `user` lines in the
//! configuration and the ACL file across a restart, and the connections
//! closed when their user goes away. Replies are compared byte for byte
//! with redis-server 7.0.15 where Redis's output is deterministic.
mod common;
use common::*;
use std::io::{ErrorKind, Read};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Asserts the peer closed the connection (EOF or reset).
fn assert_closed(s: &mut TcpStream) {
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut b = [0u8; 256];
    loop {
        match s.read(&mut b) {
            Ok(0) => return,
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return,
            // Push messages may still be in flight before the close.
            Ok(_) => continue,
            Err(e) => panic!("expected the connection to close, got {e}"),
        }
    }
}

/// Replies to rules, errors and permission checks, as redis-server gives
/// them. Single-command rules are kept to one per user: Redis 7.0 lists
/// several in its hash table's order, which differs from run to run.
fn differential_cases() -> Vec<Vec<String>> {
    split_cases(&[
        "ACL LIST",
        "ACL GETUSER default",
        "ACL USERS",
        "ACL WHOAMI",
        "ACL SETUSER alice on >p1 ~k* %R~r* %W~w* &ch* +@hash -hdel",
        "ACL LIST",
        "ACL GETUSER alice",
        "ACL SETUSER bob",
        "ACL GETUSER bob",
        "ACL SETUSER bob reset",
        "ACL LIST",
        "ACL SETUSER carol on nopass skip-sanitize-payload +@all -@dangerous ~* &*",
        "ACL GETUSER carol",
        "ACL SETUSER carol resetpass >a >b <a",
        "ACL GETUSER carol",
        "ACL SETUSER carol #f64551fcd6f07823cb87971cfb91446425da18286b3ab1ef935e0cbd7a69f68a !f64551fcd6f07823cb87971cfb91446425da18286b3ab1ef935e0cbd7a69f68a",
        "ACL SETUSER dave %RW~a %R~a %W~b ~b %R~b %R",
        "ACL GETUSER dave",
        "ACL SETUSER dave ~a~ &a ~a allkeys &b allchannels",
        "ACL GETUSER dave",
        "ACL SETUSER erin on (~x +get) (%R~y +set)",
        "ACL GETUSER erin",
        "ACL SETUSER erin clearselectors",
        "ACL GETUSER erin",
        "ACL SETUSER frank +@all -client +client|id",
        "ACL SETUSER frank allcommands -select +select|0",
        "ACL LIST",
        // Refused rules.
        "ACL SETUSER x allchannels &x",
        "ACL SETUSER x ~* ~x",
        "ACL SETUSER x +nosuch",
        "ACL SETUSER x +@nosuch",
        "ACL SETUSER x xyz",
        "ACL SETUSER x #abc",
        "ACL SETUSER x <nope",
        "ACL SETUSER x !0000000000000000000000000000000000000000000000000000000000000000",
        "ACL SETUSER x +config|get|x",
        "ACL SETUSER x +select|",
        "ACL SETUSER x %X~c",
        "ACL SETUSER x %RR~c",
        "ACL SETUSER x (+get",
        "ACL SETUSER x (on)",
        "ACL GETUSER x",
        "ACL USERS",
        // Other subcommands and their errors.
        "ACL GETUSER nosuch",
        "ACL GETUSER",
        "ACL DELUSER default",
        "ACL DELUSER nosuch bob",
        "ACL DELUSER bob",
        "ACL DRYRUN nouser get k",
        "ACL DRYRUN default nocmd k",
        "ACL DRYRUN default get",
        "ACL DRYRUN default config nosub",
        "ACL DRYRUN default config get x",
        "ACL DRYRUN alice hset k1 f v",
        "ACL DRYRUN alice hdel k1 f",
        "ACL DRYRUN alice hget b f",
        "ACL DRYRUN alice hset r1 f v",
        "ACL DRYRUN alice hget r1 f",
        "ACL DRYRUN alice publish x m",
        "ACL DRYRUN carol publish x m",
        "ACL DRYRUN carol flushall",
        "ACL DRYRUN frank client list",
        "ACL DRYRUN frank client id",
        "ACL DRYRUN frank select 0",
        "ACL DRYRUN frank select 1",
        "ACL GENPASS 0",
        "ACL GENPASS 4097",
        "ACL GENPASS x",
        "ACL GENPASS 1 2",
        "ACL LOG x",
        "ACL LOG 1 2",
        "ACL CAT",
        "ACL CAT foo",
        "ACL CAT a b",
        "ACL FOO",
        "ACL",
        "ACL HELP",
        "ACL SAVE",
        "ACL LOAD",
        "CLIENT KILL USER nosuch",
        "AUTH alice wrong",
        "AUTH nosuch x",
        "AUTH bob x",
        "AUTH x",
        // Permission checks, as alice, then back to the default user.
        "ACL SETUSER lim on >pw ~a* %R~r* %W~w* &ch* +get +set +exists +publish +spublish +multi +exec +auth +copy +zunionstore +psubscribe",
        "AUTH lim pw",
        "ACL WHOAMI",
        "GET a1",
        "GET b",
        "SET w1 v",
        "GET w1",
        "GET r1",
        "SET r1 v",
        "EXISTS w1",
        "EXISTS zz",
        "DEL a1",
        "PUBLISH ch1 m",
        "PUBLISH x m",
        "SPUBLISH x m",
        "PSUBSCRIBE c*",
        "COPY a1 w2",
        "COPY w1 a2",
        "ZUNIONSTORE w 2 r1 a1",
        "ZUNIONSTORE w 2 r1 b1",
        "CONFIG GET x",
        "MULTI",
        "GET x",
        "SET a1 1",
        "DEL a1",
        "GET a1",
        "EXEC",
        "MULTI",
        "SET a1 1",
        "GET a1",
        "EXEC",
        "AUTH default whatever",
        "ACL WHOAMI",
        "DEL a1 w w1",
        "ACL DELUSER lim",
    ])
}

#[test]
fn replies_match_redis() {
    differential_with_redis(&differential_cases(), raw_replies);
}

/// AUTH and HELLO AUTH against users; disabled users; what a connection
/// runs as (WHOAMI, CLIENT LIST user=).
#[test]
fn auth_with_users() {
    let srv = TestServer::start();
    let mut admin = srv.raw();
    assert_eq!(
        calls(
            &mut admin,
            &["ACL", "SETUSER", "alice", "on", ">secret", "+@all", "~*"]
        ),
        "+OK\r\n"
    );
    let mut s = srv.raw();
    assert_eq!(calls(&mut s, &["ACL", "WHOAMI"]), "$7\r\ndefault\r\n");
    let wrong = "-WRONGPASS invalid username-password pair or user is disabled.\r\n";
    assert_eq!(calls(&mut s, &["AUTH", "alice", "nope"]), wrong);
    assert_eq!(calls(&mut s, &["AUTH", "alice", "secret"]), "+OK\r\n");
    assert_eq!(calls(&mut s, &["ACL", "WHOAMI"]), "$5\r\nalice\r\n");
    let info = calls(&mut s, &["CLIENT", "INFO"]);
    assert!(info.contains(" user=alice "), "{info}");
    // HELLO 3 AUTH in one step.
    let mut h = srv.raw();
    assert_eq!(
        calls(&mut h, &["HELLO", "3", "AUTH", "alice", "nope"]),
        wrong
    );
    assert!(calls(&mut h, &["HELLO", "3", "AUTH", "alice", "secret"]).starts_with('%'));
    assert_eq!(calls(&mut h, &["ACL", "WHOAMI"]), "$5\r\nalice\r\n");
    // A disabled user cannot log in; its open connections keep working.
    assert_eq!(
        calls(&mut admin, &["ACL", "SETUSER", "alice", "off"]),
        "+OK\r\n"
    );
    assert_eq!(calls(&mut srv.raw(), &["AUTH", "alice", "secret"]), wrong);
    assert_eq!(calls(&mut s, &["PING"]), "+PONG\r\n");
    // RESET goes back to the default user.
    assert_eq!(calls(&mut s, &["RESET"]), "+RESET\r\n");
    assert_eq!(calls(&mut s, &["ACL", "WHOAMI"]), "$7\r\ndefault\r\n");
    // Several passwords; nopass accepts any.
    calls(
        &mut admin,
        &["ACL", "SETUSER", "bob", "on", ">one", ">two", "+acl|whoami"],
    );
    assert_eq!(calls(&mut srv.raw(), &["AUTH", "bob", "two"]), "+OK\r\n");
    assert_eq!(calls(&mut srv.raw(), &["AUTH", "bob", "one"]), "+OK\r\n");
    calls(&mut admin, &["ACL", "SETUSER", "bob", "nopass"]);
    assert_eq!(
        calls(&mut srv.raw(), &["AUTH", "bob", "anything"]),
        "+OK\r\n"
    );
    // The password is stored as its SHA-256, never in clear.
    let list = calls(&mut admin, &["ACL", "LIST"]);
    assert!(!list.contains("secret"), "{list}");
    assert!(list.contains("#2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"));
}

/// The default user with a password or switched off: -NOAUTH before AUTH
/// (after the arity check, as Redis orders them).
#[test]
fn default_user_needs_auth() {
    let srv = TestServer::start();
    let mut admin = srv.raw();
    calls(
        &mut admin,
        &["ACL", "SETUSER", "admin", "on", ">adm", "+@all", "~*", "&*"],
    );
    calls(&mut admin, &["ACL", "SETUSER", "default", "off"]);
    let mut s = srv.raw();
    let noauth = "-NOAUTH Authentication required.\r\n";
    assert_eq!(calls(&mut s, &["GET", "k"]), noauth);
    assert_eq!(
        calls(&mut s, &["GET"]),
        "-ERR wrong number of arguments for 'get' command\r\n"
    );
    assert_eq!(
        calls(&mut s, &["AUTH", "default", "x"]),
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    );
    assert!(calls(&mut s, &["HELLO", "3"]).starts_with("-NOAUTH HELLO must be called"));
    assert_eq!(calls(&mut s, &["AUTH", "admin", "adm"]), "+OK\r\n");
    assert_eq!(calls(&mut s, &["GET", "k"]), "$-1\r\n");
    // Back on with a password: AUTH <password> is for the default user.
    calls(&mut s, &["ACL", "SETUSER", "default", "on", ">dpw"]);
    let mut d = srv.raw();
    assert_eq!(calls(&mut d, &["PING"]), noauth);
    assert_eq!(calls(&mut d, &["AUTH", "dpw"]), "+OK\r\n");
    assert_eq!(calls(&mut d, &["ACL", "WHOAMI"]), "$7\r\ndefault\r\n");
    // The connection that authenticated before keeps its user.
    assert_eq!(calls(&mut s, &["ACL", "WHOAMI"]), "$5\r\nadmin\r\n");
}

/// `requirepass` is the default user's password, at start and by CONFIG SET.
#[test]
fn requirepass_is_the_default_password() {
    let srv = TestServer::start_with(&["--requirepass", "s3cret"]);
    let mut s = srv.raw();
    assert_eq!(
        calls(&mut s, &["PING"]),
        "-NOAUTH Authentication required.\r\n"
    );
    assert_eq!(calls(&mut s, &["AUTH", "default", "s3cret"]), "+OK\r\n");
    let list = calls(&mut s, &["ACL", "LIST"]);
    assert!(
        list.contains("user default on #") && !list.contains("nopass"),
        "{list}"
    );
    assert_eq!(
        calls(&mut s, &["CONFIG", "SET", "requirepass", "other"]),
        "+OK\r\n"
    );
    assert_eq!(
        calls(&mut srv.raw(), &["AUTH", "s3cret"]),
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    );
    assert_eq!(calls(&mut srv.raw(), &["AUTH", "other"]), "+OK\r\n");
    assert_eq!(
        calls(&mut s, &["CONFIG", "SET", "requirepass", ""]),
        "+OK\r\n"
    );
    let list = calls(&mut s, &["ACL", "LIST"]);
    assert!(
        list.contains("user default on nopass ~* &* +@all"),
        "{list}"
    );
    assert_eq!(calls(&mut srv.raw(), &["PING"]), "+PONG\r\n");
}

/// -NOPERM, and what ACL LOG records about it (Redis 7.2's fields).
#[test]
fn acl_log_entries() {
    let srv = TestServer::start();
    let mut admin = srv.raw();
    calls(&mut admin, &["CONFIG", "SET", "acllog-max-len", "3"]);
    calls(
        &mut admin,
        &[
            "ACL", "SETUSER", "lim", "on", ">pw", "~a*", "&c", "+get", "+multi", "+discard",
            "+publish",
        ],
    );
    let mut s = srv.raw();
    calls(&mut s, &["CLIENT", "SETNAME", "limited"]);
    assert_eq!(
        calls(&mut s, &["AUTH", "lim", "bad"]),
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    );
    assert_eq!(calls(&mut s, &["AUTH", "lim", "pw"]), "+OK\r\n");
    for _ in 0..2 {
        assert_eq!(
            calls(&mut s, &["GET", "b"]),
            "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n"
        );
    }
    assert_eq!(calls(&mut s, &["MULTI"]), "+OK\r\n");
    assert_eq!(
        calls(&mut s, &["SET", "a", "1"]),
        "-NOPERM this user has no permissions to run the 'set' command\r\n"
    );
    let mut c = redis::Client::open(srv.url())
        .unwrap()
        .get_connection()
        .unwrap();
    let log: Vec<redis::Value> = q(&mut c, &["ACL", "LOG"]);
    assert_eq!(log.len(), 3);
    let entry = |i: usize| -> Vec<(String, redis::Value)> {
        match &log[i] {
            redis::Value::Array(v) => v
                .chunks(2)
                .map(|p| match &p[0] {
                    redis::Value::BulkString(k) => {
                        (String::from_utf8_lossy(k).into_owned(), p[1].clone())
                    }
                    k => panic!("{k:?}"),
                })
                .collect(),
            v => panic!("{v:?}"),
        }
    };
    let field = |e: &[(String, redis::Value)], name: &str| -> String {
        match &e.iter().find(|(k, _)| k == name).unwrap().1 {
            redis::Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
            redis::Value::Int(n) => n.to_string(),
            v => format!("{v:?}"),
        }
    };
    let names: Vec<String> = entry(0).into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        names,
        [
            "count",
            "reason",
            "context",
            "object",
            "username",
            "age-seconds",
            "client-info",
            "entry-id",
            "timestamp-created",
            "timestamp-last-updated"
        ]
    );
    let newest = entry(0);
    assert_eq!(field(&newest, "reason"), "command");
    assert_eq!(field(&newest, "context"), "multi");
    assert_eq!(field(&newest, "object"), "set");
    assert_eq!(field(&newest, "username"), "lim");
    assert!(field(&newest, "client-info").contains(" name=limited "));
    let key = entry(1);
    assert_eq!(field(&key, "reason"), "key");
    assert_eq!(field(&key, "context"), "toplevel");
    assert_eq!(field(&key, "object"), "b");
    assert_eq!(field(&key, "count"), "2");
    let auth = entry(2);
    assert_eq!(field(&auth, "reason"), "auth");
    assert_eq!(field(&auth, "object"), "AUTH");
    assert_eq!(field(&auth, "username"), "lim");
    // A fourth kind of event pushes the oldest out (acllog-max-len 3).
    calls(&mut s, &["DISCARD"]);
    assert!(calls(&mut s, &["PUBLISH", "x", "m"]).starts_with("-NOPERM"));
    let log: Vec<redis::Value> = q(&mut c, &["ACL", "LOG", "10"]);
    assert_eq!(log.len(), 3);
    assert_eq!(
        calls(&mut admin, &["ACL", "LOG", "1"])
            .matches("channel")
            .count(),
        1
    );
    assert_eq!(calls(&mut admin, &["ACL", "LOG", "RESET"]), "+OK\r\n");
    assert_eq!(calls(&mut admin, &["ACL", "LOG"]), "*0\r\n");
}

/// A transaction queued under rules that change before EXEC: the command
/// is refused at EXEC time, the others run.
#[test]
fn exec_rechecks_permissions() {
    let srv = TestServer::start();
    let mut admin = srv.raw();
    calls(
        &mut admin,
        &[
            "ACL", "SETUSER", "tx", "on", "nopass", "~*", "+multi", "+exec", "+set", "+get",
        ],
    );
    let mut s = srv.raw();
    assert_eq!(calls(&mut s, &["AUTH", "tx", "x"]), "+OK\r\n");
    calls(&mut s, &["MULTI"]);
    assert_eq!(calls(&mut s, &["SET", "k", "v"]), "+QUEUED\r\n");
    assert_eq!(calls(&mut s, &["GET", "k"]), "+QUEUED\r\n");
    calls(&mut admin, &["ACL", "SETUSER", "tx", "-set"]);
    assert_eq!(
        calls(&mut s, &["EXEC"]),
        "*2\r\n-NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: no permission to execute the command or subcommand\r\n$-1\r\n"
    );
    calls(&mut s, &["MULTI"]);
    calls(&mut s, &["GET", "k"]);
    calls(&mut admin, &["ACL", "SETUSER", "tx", "resetkeys", "~x*"]);
    assert!(calls(&mut s, &["EXEC"]).contains("no permission to touch the specified keys"));
    let log = calls(&mut admin, &["ACL", "LOG", "1"]);
    assert!(log.contains("multi") && log.contains("key"), "{log}");
}

/// Channel permissions: PUBLISH, SUBSCRIBE, PSUBSCRIBE (literal), and a
/// subscriber whose channels are revoked is disconnected.
#[test]
fn channel_permissions_and_revocation() {
    let srv = TestServer::start();
    let mut admin = srv.raw();
    calls(
        &mut admin,
        &[
            "ACL", "SETUSER", "ps", "on", "nopass", "+@all", "&news.*", "&alerts",
        ],
    );
    let mut s = srv.raw();
    calls(&mut s, &["AUTH", "ps", "x"]);
    let denied =
        "-NOPERM this user has no permissions to access one of the channels used as arguments\r\n";
    assert_eq!(calls(&mut s, &["PUBLISH", "news.1", "m"]), ":0\r\n");
    assert_eq!(calls(&mut s, &["PUBLISH", "other", "m"]), denied);
    assert_eq!(calls(&mut s, &["SUBSCRIBE", "alerts", "other"]), denied);
    assert_eq!(calls(&mut s, &["PSUBSCRIBE", "news.x*"]), denied);
    assert_eq!(calls(&mut s, &["SSUBSCRIBE", "other"]), denied);
    // Subscribers that keep their channels survive a change; the others go.
    let mut keep = srv.raw();
    calls(&mut keep, &["AUTH", "ps", "x"]);
    assert!(calls(&mut keep, &["SUBSCRIBE", "alerts"]).contains("alerts"));
    let mut lose = srv.raw();
    calls(&mut lose, &["AUTH", "ps", "x"]);
    assert!(calls(&mut lose, &["PSUBSCRIBE", "news.*"]).contains("news.*"));
    assert_eq!(
        calls(
            &mut admin,
            &["ACL", "SETUSER", "ps", "resetchannels", "&alerts"]
        ),
        "+OK\r\n"
    );
    assert_closed(&mut lose);
    assert_eq!(
        calls(&mut keep, &["PING"]),
        "*2\r\n$4\r\npong\r\n$0\r\n\r\n"
    );
    // Taking away allchannels closes the subscribers of that user.
    calls(
        &mut admin,
        &[
            "ACL",
            "SETUSER",
            "all",
            "on",
            "nopass",
            "+@all",
            "allchannels",
        ],
    );
    let mut sub = srv.raw();
    calls(&mut sub, &["AUTH", "all", "x"]);
    calls(&mut sub, &["SUBSCRIBE", "anything"]);
    calls(&mut admin, &["ACL", "SETUSER", "all", "resetchannels"]);
    assert_closed(&mut sub);
}

/// ACL DELUSER closes the user's connections (its own too, after the
/// reply); CLIENT KILL USER closes them on demand.
#[test]
fn deleted_users_lose_their_connections() {
    let srv = TestServer::start();
    let mut admin = srv.raw();
    calls(
        &mut admin,
        &["ACL", "SETUSER", "gone", "on", "nopass", "+@all", "~*"],
    );
    calls(
        &mut admin,
        &["ACL", "SETUSER", "kept", "on", "nopass", "+@all", "~*"],
    );
    let mut a = srv.raw();
    let mut b = srv.raw();
    let mut k = srv.raw();
    calls(&mut a, &["AUTH", "gone", "x"]);
    calls(&mut b, &["AUTH", "gone", "x"]);
    calls(&mut k, &["AUTH", "kept", "x"]);
    let list = calls(&mut admin, &["CLIENT", "LIST"]);
    assert_eq!(list.matches(" user=gone ").count(), 2, "{list}");
    assert_eq!(calls(&mut admin, &["ACL", "DELUSER", "gone"]), ":1\r\n");
    assert_closed(&mut a);
    assert_closed(&mut b);
    assert_eq!(calls(&mut k, &["PING"]), "+PONG\r\n");
    // Deleting one's own user: the reply, then the close.
    assert_eq!(calls(&mut k, &["ACL", "DELUSER", "kept"]), ":1\r\n");
    assert_closed(&mut k);
    // CLIENT KILL USER.
    calls(
        &mut admin,
        &["ACL", "SETUSER", "u2", "on", "nopass", "+@all"],
    );
    let mut c = srv.raw();
    calls(&mut c, &["AUTH", "u2", "x"]);
    assert_eq!(
        calls(&mut admin, &["CLIENT", "KILL", "USER", "u2"]),
        ":1\r\n"
    );
    assert_closed(&mut c);
    assert_eq!(
        calls(&mut admin, &["CLIENT", "KILL", "USER", "u2"]),
        ":0\r\n"
    );
    assert_eq!(
        calls(&mut admin, &["CLIENT", "KILL", "USER", "nosuch"]),
        "-ERR No such user 'nosuch'\r\n"
    );
    assert_eq!(calls(&mut admin, &["PING"]), "+PONG\r\n");
}

/// ACL SAVE writes the ACL file, ACL LOAD reads it back (all or nothing),
/// and a restart starts with its users.
#[test]
fn aclfile_save_load_and_restart() {
    let dir = temp_dir("aclfile");
    let file = dir.join("users.acl");
    std::fs::write(&file, "user bob on >bobpw ~b* +@read\n").unwrap();
    let flags = ["--aclfile", file.to_str().unwrap()];
    let mut srv = TestServer::start_in(dir.clone(), &flags);
    let mut s = srv.raw();
    assert_eq!(calls(&mut srv.raw(), &["AUTH", "bob", "bobpw"]), "+OK\r\n");
    calls(
        &mut s,
        &[
            "ACL",
            "SETUSER",
            "carol",
            "on",
            ">cpw",
            "+get",
            "~c*",
            "(+set ~w*)",
        ],
    );
    assert_eq!(calls(&mut s, &["ACL", "SAVE"]), "+OK\r\n");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "user bob on #e8f318657ce39ec4edeecbbee28fd72dea2261d8a6b2155ce4977393e0ea721b ~b* resetchannels -@all +@read\n\
         user carol on #ca4dc450c14cdef138a04e7eb748e1d8be297042e51c28848c0c29de65abf5a2 ~c* resetchannels -@all +get (~w* resetchannels -@all +set)\n\
         user default on nopass ~* &* +@all\n"
    );
    // A file with errors changes nothing.
    std::fs::write(&file, "user bob on +nosuch\nnot a user line\n").unwrap();
    let path = file.to_str().unwrap();
    assert_eq!(
        calls(&mut s, &["ACL", "LOAD"]),
        format!("-ERR {path}:1: Error in applying operation '+nosuch': Unknown command or category name in ACL. {path}:2 should start with user keyword followed by the username. WARNING: ACL errors detected, no change to the previously active ACL rules was performed\r\n")
    );
    assert_eq!(
        calls(&mut s, &["ACL", "USERS"]),
        "*3\r\n$3\r\nbob\r\n$5\r\ncarol\r\n$7\r\ndefault\r\n"
    );
    // A good file replaces every user; their connections close.
    let mut bob = srv.raw();
    calls(&mut bob, &["AUTH", "bob", "bobpw"]);
    std::fs::write(
        &file,
        "user dan on nopass +@all ~*\nuser default on nopass ~* &* +@all\n",
    )
    .unwrap();
    assert_eq!(calls(&mut s, &["ACL", "LOAD"]), "+OK\r\n");
    assert_closed(&mut bob);
    assert_eq!(
        calls(&mut s, &["ACL", "USERS"]),
        "*2\r\n$3\r\ndan\r\n$7\r\ndefault\r\n"
    );
    calls(&mut s, &["ACL", "SETUSER", "erin", "on", ">epw", "+ping"]);
    assert_eq!(calls(&mut s, &["ACL", "SAVE"]), "+OK\r\n");
    // Restart: the users come from the file.
    srv.terminate();
    let dir2 = srv.dir.clone();
    srv.dir = temp_dir("moved");
    let srv = TestServer::start_in(dir2, &flags);
    let mut s = srv.raw();
    assert_eq!(
        calls(&mut s, &["ACL", "USERS"]),
        "*3\r\n$3\r\ndan\r\n$7\r\ndefault\r\n$4\r\nerin\r\n"
    );
    assert_eq!(calls(&mut s, &["AUTH", "erin", "epw"]), "+OK\r\n");
    assert_eq!(calls(&mut s, &["PING"]), "+PONG\r\n");
    assert_eq!(
        calls(&mut s, &["GET", "k"]),
        "-NOPERM this user has no permissions to run the 'get' command\r\n"
    );
}

/// Start-up errors of the ACL file and of `user` lines, with Redis's texts.
#[test]
fn startup_errors() {
    let run = |args: &[&str]| -> (bool, String) {
        let dir = temp_dir("aclstart");
        let out = Command::new(binary())
            .args([
                "--port",
                "0",
                "--http-port",
                "0",
                "--dir",
                dir.to_str().unwrap(),
            ])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, err) = run(&["--aclfile", "/nonexistent/users.acl"]);
    assert!(!ok);
    assert!(
        err.contains("Aborting FlashDB startup because of ACL errors: Error loading ACLs, opening file '/nonexistent/users.acl': No such file or directory"),
        "{err}"
    );
    let (ok, err) = run(&["--user", "bob", "on", "foo"]);
    assert!(!ok);
    assert!(
        err.contains("Error in user declaration 'foo': Syntax error"),
        "{err}"
    );
    let (ok, err) = run(&["--user", "bob", "on", "--user", "bob", "off"]);
    assert!(!ok);
    assert!(
        err.contains("Error in user declaration 'bob': Duplicate user found. A user can only be defined once in config files"),
        "{err}"
    );
    let (ok, err) = run(&["--user", "bob", "on", "+nosuch"]);
    assert!(!ok);
    assert!(
        err.contains("Error loading ACL rule '+nosuch' for the user named 'bob': Unknown command or category name in ACL"),
        "{err}"
    );
    let dir = temp_dir("aclboth");
    let f = dir.join("u.acl");
    std::fs::write(&f, "").unwrap();
    let (ok, err) = run(&["--user", "bob", "on", "--aclfile", f.to_str().unwrap()]);
    assert!(!ok);
    assert!(
        err.contains("at the same time an ACL file path is invalid"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Users from `user` lines of the configuration; CONFIG REWRITE keeps the
/// ACL users in the file, and a server restarted on it has them.
#[test]
fn users_in_the_configuration_file() {
    let dir = temp_dir("aclconf");
    let conf = dir.join("flashdb.conf");
    std::fs::write(
        &conf,
        "# users\nuser alice on >apw ~a* +@all\nuser default on nopass ~* &* +@all -flushall\n",
    )
    .unwrap();
    let mut srv = TestServer::start_in(dir.clone(), &[conf.to_str().unwrap()]);
    let mut s = srv.raw();
    assert_eq!(
        calls(&mut s, &["FLUSHALL"]),
        "-NOPERM this user has no permissions to run the 'flushall' command\r\n"
    );
    assert_eq!(calls(&mut s, &["AUTH", "alice", "apw"]), "+OK\r\n");
    assert_eq!(
        calls(&mut s, &["ACL", "SETUSER", "zed", "on", ">zpw", "+ping"]),
        "+OK\r\n"
    );
    assert_eq!(calls(&mut s, &["CONFIG", "REWRITE"]), "+OK\r\n");
    let text = std::fs::read_to_string(&conf).unwrap();
    assert!(text.starts_with("# users\nuser alice on #"), "{text}");
    assert!(
        text.contains("\nuser default on nopass sanitize-payload ~* &* +@all -flushall\n"),
        "{text}"
    );
    assert!(text.contains("\nuser zed on #"), "{text}");
    srv.terminate();
    let dir2 = srv.dir.clone();
    srv.dir = temp_dir("moved");
    let srv = TestServer::start_in(dir2, &[conf.to_str().unwrap()]);
    assert_eq!(calls(&mut srv.raw(), &["AUTH", "zed", "zpw"]), "+OK\r\n");
}

/// A server without users writes no user lines on CONFIG REWRITE.
#[test]
fn config_rewrite_without_users_adds_nothing() {
    let dir = temp_dir("aclnone");
    let conf = dir.join("flashdb.conf");
    std::fs::write(&conf, "requirepass pw\n").unwrap();
    let srv = TestServer::start_in(dir.clone(), &[conf.to_str().unwrap()]);
    let mut s = srv.raw();
    assert_eq!(calls(&mut s, &["AUTH", "pw"]), "+OK\r\n");
    assert_eq!(calls(&mut s, &["CONFIG", "REWRITE"]), "+OK\r\n");
    let text = std::fs::read_to_string(&conf).unwrap();
    assert!(text.starts_with("requirepass pw\n"), "{text}");
    assert!(!text.contains("user"), "{text}");
}

/// ACL CAT lists the table's commands by category; GENPASS makes hex of
/// the asked size; `acl-pubsub-default` applies to new users.
#[test]
fn cat_genpass_pubsub_default() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let hash: Vec<String> = q(&mut c, &["ACL", "CAT", "hash"]);
    assert!(hash.contains(&"hset".to_string()) && !hash.contains(&"get".to_string()));
    let dangerous: Vec<String> = q(&mut c, &["ACL", "CAT", "dangerous"]);
    assert!(dangerous.contains(&"flushall".to_string()));
    assert!(dangerous.contains(&"acl|setuser".to_string()));
    let p: String = q(&mut c, &["ACL", "GENPASS"]);
    assert_eq!(p.len(), 64);
    assert!(p.bytes().all(|b| b.is_ascii_hexdigit()));
    let p2: String = q(&mut c, &["ACL", "GENPASS"]);
    assert_ne!(p, p2);
    let p: String = q(&mut c, &["ACL", "GENPASS", "5"]);
    assert_eq!(p.len(), 2);
    let _: () = q(
        &mut c,
        &["CONFIG", "SET", "acl-pubsub-default", "allchannels"],
    );
    let _: () = q(&mut c, &["ACL", "SETUSER", "newbie"]);
    let list: Vec<String> = q(&mut c, &["ACL", "LIST"]);
    assert!(
        list.contains(&"user newbie off &* -@all".to_string()),
        "{list:?}"
    );
}

/// The ACL matrix: for every category, a user allowed only that category
/// may run exactly the commands `ACL CAT <category>` lists (checked with
/// ACL DRYRUN for every command and subcommand in the table), plus the
/// same through a real connection for one command in and one out.
#[test]
fn category_matrix() {
    let srv = TestServer::start();
    let mut c = srv.raw();
    let cats = calls(&mut c, &["ACL", "CAT"]);
    let cats: Vec<String> = cats
        .split("\r\n")
        .filter(|l| !l.is_empty() && !l.starts_with('*') && !l.starts_with('$'))
        .map(String::from)
        .collect();
    assert!(cats.len() >= 20, "{cats:?}");
    // Every command and subcommand name (`config|get` form).
    let docs = calls(&mut c, &["COMMAND", "LIST"]);
    let mut names: Vec<String> = docs
        .split("\r\n")
        .filter(|l| !l.is_empty() && !l.starts_with('*') && !l.starts_with('$'))
        .map(String::from)
        .collect();
    for container in [
        "config", "client", "object", "command", "acl", "pubsub", "slowlog", "latency", "memory",
        "xgroup", "xinfo",
    ] {
        let subs = calls(&mut c, &["COMMAND", "INFO", container]);
        for l in subs.split("\r\n") {
            if let Some(rest) = l.strip_prefix(&format!("{container}|")) {
                names.push(format!("{container}|{rest}"));
            }
        }
    }
    // Containers are checked through their subcommands.
    let containers = [
        "config", "client", "object", "command", "acl", "pubsub", "slowlog", "latency", "memory",
        "xgroup", "xinfo",
    ];
    names.retain(|n| !containers.contains(&n.as_str()));
    assert!(names.iter().any(|n| n == "config|get"), "{names:?}");
    assert!(names.len() > 200, "{}", names.len());
    let mut checked = 0;
    for cat in &cats {
        let user = format!("u-{cat}");
        let rule = format!("+@{cat}");
        assert_eq!(
            calls(
                &mut c,
                &["ACL", "SETUSER", &user, "reset", "on", "nopass", "~*", "&*", &rule]
            ),
            "+OK\r\n"
        );
        let members = calls(&mut c, &["ACL", "CAT", cat]);
        let members: std::collections::HashSet<String> = members
            .split("\r\n")
            .filter(|l| !l.is_empty() && !l.starts_with('*') && !l.starts_with('$'))
            .map(String::from)
            .collect();
        for name in &names {
            // DRYRUN checks the arity first: grow the arguments until it fits.
            let mut r = String::new();
            for n in 0..8 {
                let mut args: Vec<String> = vec!["ACL".into(), "DRYRUN".into(), user.clone()];
                args.extend(name.split('|').map(String::from));
                args.extend(
                    ["k", "v", "k2", "v2", "1", "2", "3", "4"][..n]
                        .iter()
                        .map(|x| x.to_string()),
                );
                let a: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
                r = calls(&mut c, &a);
                if !r.contains("wrong number of arguments") {
                    break;
                }
            }
            let parent = name.split('|').next().unwrap();
            // Commands flagged no_auth (AUTH, HELLO, QUIT, RESET) skip the ACL
            // check in Redis too.
            let allowed = members.contains(name)
                || members.contains(parent)
                || matches!(parent, "auth" | "hello" | "quit" | "reset");
            if allowed {
                assert_eq!(r, "+OK\r\n", "{cat}: {name} should be allowed");
            } else {
                assert!(
                    r.contains("no permissions to run"),
                    "{cat}: {name} should be denied: {r}"
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 4000, "{checked}");
    // And through a connection: @string allows GET, refuses LPUSH.
    let mut s = srv.raw();
    assert_eq!(calls(&mut s, &["AUTH", "u-string", "any"]), "+OK\r\n");
    assert_eq!(calls(&mut s, &["GET", "k"]), "$-1\r\n");
    assert!(calls(&mut s, &["LPUSH", "k", "v"]).starts_with("-NOPERM"));
}
