//! Server commands against the real binary: COMMAND (and its reply shapes,
//! byte for byte with Redis 7.0), CONFIG, INFO, DBSIZE, FLUSHDB/FLUSHALL,
//! TIME, SHUTDOWN, and the real redis-cli.
mod common;
use common::*;
use std::time::Duration;

/// `COMMAND INFO get` from redis-server 7.0.15, RESP2.
const REDIS_INFO_GET: &str = "*1\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@read\r\n+@string\r\n+@fast\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n";

/// `COMMAND INFO set` from redis-server 7.0.15, RESP2.
const REDIS_INFO_SET: &str = "*1\r\n*10\r\n$3\r\nset\r\n:-3\r\n*2\r\n+write\r\n+denyoom\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@write\r\n+@string\r\n+@slow\r\n*0\r\n*1\r\n*8\r\n$5\r\nnotes\r\n$48\r\nRW and ACCESS due to the optional `GET` argument\r\n$5\r\nflags\r\n*4\r\n+RW\r\n+access\r\n+update\r\n+variable_flags\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n";

fn info(s: &mut std::net::TcpStream, args: &[&str]) -> String {
    let raw = calls(s, args);
    assert!(raw.starts_with('$') || raw.starts_with('='), "{raw}");
    let body = raw.split_once("\r\n").unwrap().1;
    body.strip_suffix("\r\n").unwrap().to_string()
}

#[test]
fn command_count_info_docs_getkeys() {
    let srv = TestServer::start();
    let mut s = srv.raw();
    let rows = flashdb::command::table::table().commands().count();
    assert_eq!(calls(&mut s, &["COMMAND", "COUNT"]), format!(":{rows}\r\n"));
    assert_eq!(calls(&mut s, &["COMMAND", "INFO", "get"]), REDIS_INFO_GET);
    assert_eq!(calls(&mut s, &["COMMAND", "INFO", "SET"]), REDIS_INFO_SET);
    assert_eq!(
        calls(&mut s, &["COMMAND", "INFO", "nosuch"]),
        "*1\r\n$-1\r\n"
    );
    // COMMAND alone: one entry per row.
    let all = calls(&mut s, &["COMMAND"]);
    assert!(all.starts_with(&format!("*{rows}\r\n")), "{}", &all[..20]);
    // Subcommands by full name, and inside their container.
    let cg = calls(&mut s, &["COMMAND", "INFO", "config|get"]);
    assert!(
        cg.starts_with("*1\r\n*10\r\n$10\r\nconfig|get\r\n:-3\r\n"),
        "{cg}"
    );
    assert!(calls(&mut s, &["COMMAND", "INFO", "config"]).contains("config|set"));

    // DOCS: SET's argument tree.
    let mut c = srv.client();
    let docs = format!(
        "{:?}",
        q::<redis::Value>(&mut c, &["COMMAND", "DOCS", "set"])
    );
    for needle in [
        "arguments",
        "summary",
        "pure-token",
        "oneof",
        "KEEPTTL",
        "unix-time",
        "optional",
    ] {
        assert!(docs.contains(needle), "{needle} missing from {docs}");
    }
    assert_eq!(calls(&mut s, &["COMMAND", "DOCS", "nosuch"]), "*0\r\n");
    let cfg = calls(&mut s, &["COMMAND", "DOCS", "config"]);
    assert!(
        cfg.contains("subcommands") && cfg.contains("config|get"),
        "{cfg}"
    );

    // GETKEYS / GETKEYSANDFLAGS and their errors.
    assert_eq!(
        calls(&mut s, &["COMMAND", "GETKEYS", "get", "k"]),
        "*1\r\n$1\r\nk\r\n"
    );
    assert_eq!(
        calls(&mut s, &["COMMAND", "GETKEYS", "del", "a", "b"]),
        "*2\r\n$1\r\na\r\n$1\r\nb\r\n"
    );
    if flashdb::command::table::table().lookup(b"mset").is_some() {
        // (MSET arrives with the string family.)
        assert_eq!(
            calls(&mut s, &["COMMAND", "GETKEYS", "mset", "a", "1", "b", "2"]),
            "*2\r\n$1\r\na\r\n$1\r\nb\r\n"
        );
    }
    assert_eq!(
        calls(&mut s, &["COMMAND", "GETKEYS", "ping", "x"]),
        "-ERR The command has no key arguments\r\n"
    );
    assert_eq!(
        calls(&mut s, &["COMMAND", "GETKEYS", "nosuch", "x"]),
        "-ERR Invalid command specified\r\n"
    );
    assert_eq!(
        calls(&mut s, &["COMMAND", "GETKEYS", "get", "a", "b"]),
        "-ERR Invalid number of arguments specified for command\r\n"
    );
    assert_eq!(
        calls(&mut s, &["COMMAND", "GETKEYS", "get"]),
        "-ERR wrong number of arguments for 'command|getkeys' command\r\n"
    );
    assert_eq!(
        calls(&mut s, &["COMMAND", "GETKEYSANDFLAGS", "set", "a", "b"]),
        "*1\r\n*2\r\n$1\r\na\r\n*2\r\n+OW\r\n+update\r\n"
    );

    // LIST with filters.
    let list = calls(&mut s, &["COMMAND", "LIST"]);
    assert!(list.contains("\r\nconfig|get\r\n") && list.contains("\r\nget\r\n"));
    let pat = calls(&mut s, &["COMMAND", "LIST", "FILTERBY", "PATTERN", "conf*"]);
    assert!(pat.starts_with("*6\r\n"), "{pat}");
    let adm = calls(&mut s, &["COMMAND", "LIST", "FILTERBY", "ACLCAT", "admin"]);
    assert!(adm.contains("shutdown") && !adm.contains("\r\nget\r\n"));
    assert_eq!(
        calls(&mut s, &["COMMAND", "LIST", "FILTERBY", "MODULE", "x"]),
        "*0\r\n"
    );
    assert_eq!(
        calls(&mut s, &["COMMAND", "LIST", "FILTERBY", "x", "y"]),
        "-ERR syntax error\r\n"
    );
    assert!(calls(&mut s, &["COMMAND", "HELP"]).contains("GETKEYSANDFLAGS <full-command>"));
    assert_eq!(
        calls(&mut s, &["COMMAND", "NOPE"]),
        "-ERR unknown subcommand 'NOPE'. Try COMMAND HELP.\r\n"
    );

    // RESP3: flags and categories are sets, DOCS is a map.
    calls(&mut s, &["HELLO", "3"]);
    let r3 = calls(&mut s, &["COMMAND", "INFO", "get"]);
    assert!(
        r3.contains("~2\r\n+readonly\r\n+fast\r\n") && r3.contains("~3\r\n+@read"),
        "{r3}"
    );
    assert!(calls(&mut s, &["COMMAND", "DOCS", "get"]).starts_with("%1\r\n$3\r\nget\r\n%"));
}

#[test]
fn config_get_set_resetstat_and_errors() {
    let srv = TestServer::start();
    let mut s = srv.raw();
    let port = srv.port.to_string();
    assert_eq!(
        calls(&mut s, &["CONFIG", "GET", "port"]),
        format!("*2\r\n$4\r\nport\r\n${}\r\n{}\r\n", port.len(), port)
    );
    // Several patterns, deduplicated.
    let two = calls(&mut s, &["CONFIG", "GET", "hz", "h?", "port"]);
    assert!(two.starts_with("*4\r\n$2\r\nhz\r\n"), "{two}");
    assert_eq!(calls(&mut s, &["CONFIG", "GET", "nosuch*"]), "*0\r\n");
    assert_eq!(
        calls(&mut s, &["CONFIG", "SET", "hz", "20", "maxmemory", "1000"]),
        "+OK\r\n"
    );
    assert_eq!(
        calls(&mut s, &["CONFIG", "GET", "hz"]),
        "*2\r\n$2\r\nhz\r\n$2\r\n20\r\n"
    );
    let mem = info(&mut s, &["INFO", "memory"]);
    assert!(mem.contains("\r\nmaxmemory:1000\r\n"), "{mem}");
    assert_eq!(
        calls(&mut s, &["CONFIG", "SET", "foo", "bar"]),
        "-ERR Unknown option or number of arguments for CONFIG SET - 'foo'\r\n"
    );
    assert_eq!(
        calls(&mut s, &["CONFIG", "SET", "hz", "1", "hz", "2"]),
        "-ERR CONFIG SET failed (possibly related to argument 'hz') - duplicate parameter\r\n"
    );
    assert_eq!(
        calls(&mut s, &["CONFIG", "SET", "hz", "1", "port"]),
        "-ERR syntax error\r\n"
    );
    assert_eq!(
        calls(&mut s, &["CONFIG", "SET", "port"]),
        "-ERR wrong number of arguments for 'config|set' command\r\n"
    );
    assert_eq!(
        calls(&mut s, &["CONFIG", "REWRITE"]),
        "-ERR The server is running without a config file\r\n"
    );
    assert!(calls(&mut s, &["CONFIG", "HELP"]).ends_with("+HELP\r\n+    Prints this help.\r\n"));
    // RESP3: a map.
    calls(&mut s, &["HELLO", "3"]);
    assert_eq!(
        calls(&mut s, &["CONFIG", "GET", "hz"]),
        "%1\r\n$2\r\nhz\r\n$2\r\n20\r\n"
    );

    // RESETSTAT clears commandstats and errorstats.
    let stats = info(&mut s, &["INFO", "commandstats", "errorstats"]);
    assert!(stats.contains("cmdstat_config|get:calls="), "{stats}");
    assert!(stats.contains("errorstat_ERR:count="), "{stats}");
    assert_eq!(calls(&mut s, &["CONFIG", "RESETSTAT"]), "+OK\r\n");
    let stats = info(&mut s, &["INFO", "commandstats", "errorstats"]);
    assert!(
        !stats.contains("cmdstat_config|get") && !stats.contains("errorstat_ERR"),
        "{stats}"
    );
}

/// CONFIG REWRITE updates the file the server was started with, keeping
/// its comments.
#[test]
fn config_rewrite_with_a_config_file() {
    let dir = temp_dir("rewrite");
    let conf = dir.join("flashdb.conf");
    std::fs::write(&conf, "# operator's note: keep me\nhz 10\n").unwrap();
    let srv = TestServer::start_with(&[conf.to_str().unwrap()]);
    let mut s = srv.raw();
    assert_eq!(calls(&mut s, &["CONFIG", "SET", "hz", "33"]), "+OK\r\n");
    assert_eq!(calls(&mut s, &["CONFIG", "REWRITE"]), "+OK\r\n");
    let text = std::fs::read_to_string(&conf).unwrap();
    assert!(text.lines().any(|l| l.trim() == "hz 33"), "{text}");
    assert!(text.starts_with("# operator's note: keep me\n"), "{text}");
    assert!(!text.lines().any(|l| l.trim() == "hz 10"), "{text}");
    assert!(info(&mut s, &["INFO", "server"]).contains(&format!("config_file:{}", conf.display())));
}

#[test]
fn info_sections_keyspace_and_commandstats() {
    let srv = TestServer::start();
    let mut s = srv.raw();
    let default = info(&mut s, &["INFO"]);
    let heads: Vec<&str> = default
        .split("\r\n")
        .filter(|l| l.starts_with('#'))
        .collect();
    assert_eq!(
        heads,
        [
            "# Server",
            "# Clients",
            "# Memory",
            "# Persistence",
            "# Stats",
            "# Replication",
            "# CPU",
            "# Modules",
            "# Errorstats",
            "# Cluster",
            "# Keyspace"
        ]
    );
    assert!(
        !default.contains('\n') || default.matches('\n').count() == default.matches("\r\n").count()
    );
    for field in [
        "redis_version:7.0.15\r\n",
        "flashdb_version:",
        &format!("tcp_port:{}\r\n", srv.port),
        "connected_clients:",
        "used_memory:",
        "used_memory_rss:",
        "maxmemory_policy:noeviction\r\n",
        "aof_enabled:1\r\n",
        "total_commands_processed:",
        "role:master\r\n",
        "used_cpu_user:",
        "cluster_enabled:0\r\n",
    ] {
        assert!(default.contains(field), "{field} missing");
    }
    assert!(
        default.ends_with("# Keyspace\r\n"),
        "empty keyspace: header only"
    );

    for i in 0..3 {
        calls(&mut s, &["SET", &format!("k{i}"), "v"]);
    }
    calls(&mut s, &["GET", "k0"]);
    calls(&mut s, &["GET", "k1"]);
    let ks = info(&mut s, &["INFO", "keyspace"]);
    assert_eq!(ks, "# Keyspace\r\ndb0:keys=3,expires=0,avg_ttl=0\r\n");
    let cs = info(&mut s, &["INFO", "commandstats"]);
    let get = cs
        .lines()
        .find(|l| l.starts_with("cmdstat_get:"))
        .expect(&cs);
    assert!(get.starts_with("cmdstat_get:calls=2,usec="), "{get}");
    assert!(get.contains(",usec_per_call=") && get.ends_with(",rejected_calls=0,failed_calls=0"));
    assert!(cs.contains("cmdstat_set:calls=3,"));
    calls(&mut s, &["GET"]);
    let cs = info(&mut s, &["INFO", "commandstats"]);
    assert!(cs.contains("rejected_calls=1,"), "{cs}");

    let everything = info(&mut s, &["INFO", "everything"]);
    assert!(everything.contains("# Commandstats\r\n") && everything.contains("# Keyspace\r\n"));
    assert_eq!(info(&mut s, &["INFO", "nosuch"]), "");
    let two = info(&mut s, &["INFO", "CPU", "server"]);
    assert!(two.starts_with("# Server\r\n") && two.contains("\r\n\r\n# CPU\r\n"));
    // RESP3: a verbatim string.
    calls(&mut s, &["HELLO", "3"]);
    assert!(calls(&mut s, &["INFO", "server"]).starts_with('='));
}

#[test]
fn dbsize_flushdb_flushall_time() {
    let srv = TestServer::start();
    let mut s = srv.raw();
    for i in 0..100 {
        calls(&mut s, &["SET", &format!("k{i}"), "v"]);
    }
    assert_eq!(calls(&mut s, &["DBSIZE"]), ":100\r\n");
    calls(&mut s, &["SELECT", "1"]);
    calls(&mut s, &["SET", "other", "v"]);
    assert_eq!(calls(&mut s, &["FLUSHDB"]), "+OK\r\n");
    assert_eq!(calls(&mut s, &["DBSIZE"]), ":0\r\n");
    calls(&mut s, &["SELECT", "0"]);
    assert_eq!(calls(&mut s, &["DBSIZE"]), ":100\r\n");
    assert_eq!(
        calls(&mut s, &["FLUSHALL", "bogus"]),
        "-ERR syntax error\r\n"
    );
    assert_eq!(
        calls(&mut s, &["FLUSHALL", "ASYNC", "SYNC"]),
        "-ERR syntax error\r\n"
    );
    assert_eq!(calls(&mut s, &["FLUSHALL", "ASYNC"]), "+OK\r\n");
    assert_eq!(calls(&mut s, &["DBSIZE"]), ":0\r\n");
    calls(&mut s, &["SET", "k", "v"]);
    assert_eq!(calls(&mut s, &["FLUSHDB", "sync"]), "+OK\r\n");
    assert_eq!(calls(&mut s, &["DBSIZE"]), ":0\r\n");
    assert_eq!(calls(&mut s, &["GET", "k0"]), "$-1\r\n");

    let t = calls(&mut s, &["TIME"]);
    let parts: Vec<&str> = t.split("\r\n").collect();
    let secs: u64 = parts[2].parse().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(secs.abs_diff(now) <= 2, "{t}");
    assert!(parts[4].parse::<u64>().unwrap() < 1_000_000);
    assert!(calls(&mut s, &["LASTSAVE"]).starts_with(':'));
}

#[test]
fn shutdown_exits_zero() {
    let mut srv = TestServer::start();
    let mut s = srv.raw();
    assert_eq!(
        calls(&mut s, &["SHUTDOWN", "ABORT"]),
        "-ERR No shutdown in progress.\r\n"
    );
    assert_eq!(
        calls(&mut s, &["SHUTDOWN", "NOSAVE", "SAVE"]),
        "-ERR syntax error\r\n"
    );
    assert_eq!(
        calls(&mut s, &["SHUTDOWN", "bogus"]),
        "-ERR syntax error\r\n"
    );
    use std::io::{Read, Write};
    s.write_all(&cmd(&[b"SHUTDOWN", b"NOSAVE"])).unwrap();
    let mut buf = [0u8; 16];
    assert_eq!(
        s.read(&mut buf).unwrap_or(0),
        0,
        "no reply, the connection closes"
    );
    let st = srv
        .wait_exit(Duration::from_secs(10))
        .expect("server exits after SHUTDOWN");
    assert!(st.success(), "{st:?}");
}

#[test]
fn redis_cli_info_and_command_count() {
    let srv = TestServer::start();
    let out = srv.cli(&["INFO", "server"]);
    assert!(
        out.starts_with("# Server\r\n") || out.starts_with("# Server\n"),
        "{out}"
    );
    assert!(out.contains("redis_version:7.0.15"));
    let rows = flashdb::command::table::table().commands().count();
    assert_eq!(srv.cli(&["COMMAND", "COUNT"]).trim(), rows.to_string());
    assert_eq!(srv.cli(&["CONFIG", "GET", "hz"]), "hz\n10\n");
    let mut c = srv.client();
    let _ = qerr(&mut c, &["CONFIG", "SET", "nosuch", "1"]);
    assert_eq!(
        srv.cli(&["COMMAND", "GETKEYS", "get", "key1"]).trim(),
        "key1"
    );
}

/// COMMAND INFO for every command and subcommand FlashDB implements is byte
/// for byte what redis-server 7.0 answers (flags, key positions, ACL
/// categories, tips, key specs). Containers are compared through their
/// subcommands, since FlashDB implements a subset of them.
#[test]
fn command_info_matches_redis_for_every_command() {
    let Some(reference) = RedisRef::start() else {
        return;
    };
    let srv = TestServer::start();
    let mut ours = srv.raw();
    let mut theirs = std::net::TcpStream::connect(("127.0.0.1", reference.port)).unwrap();
    theirs
        .set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    let list = calls(&mut ours, &["COMMAND", "LIST"]);
    let names: Vec<String> = list
        .split("\r\n")
        .filter(|l| !l.is_empty() && !l.starts_with('*') && !l.starts_with('$'))
        .map(String::from)
        .collect();
    assert!(names.len() > 50, "{list}");
    // Containers are compared subcommand by subcommand: Redis lists their
    // subcommands in its hash table's order, which changes from one
    // process to the next.
    let mut checked = Vec::new();
    for name in &names {
        let info = calls(&mut ours, &["COMMAND", "INFO", name]);
        let prefix = format!("{name}|");
        let subs: Vec<&str> = info
            .split("\r\n")
            .filter(|l| l.starts_with(&prefix))
            .collect();
        if subs.is_empty() {
            checked.push(name.clone());
        } else {
            checked.extend(subs.iter().map(|l| l.to_string()));
        }
    }
    assert!(
        checked.iter().filter(|n| n.contains('|')).count() >= 20,
        "{checked:?}"
    );
    let mut diffs = Vec::new();
    for name in &checked {
        let a = calls(&mut ours, &["COMMAND", "INFO", name]);
        let b = calls(&mut theirs, &["COMMAND", "INFO", name]);
        if a != b {
            diffs.push(format!("{name}:\n  flashdb: {a:?}\n  redis:   {b:?}"));
        }
    }
    assert!(
        diffs.is_empty(),
        "{} of {} differ:\n{}",
        diffs.len(),
        checked.len(),
        diffs.join("\n")
    );
}

/// ROLE answers as a standalone redis-server does (and matches INFO
/// replication), through the redis crate and byte for byte.
#[test]
fn role_is_master_without_replicas() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let (role, offset, replicas): (String, i64, Vec<String>) = q(&mut c, &["ROLE"]);
    assert_eq!((role.as_str(), offset, replicas.len()), ("master", 0, 0));
    let info: String = q(&mut c, &["INFO", "replication"]);
    assert!(info.contains("role:master\r\n"), "{info}");
    differential_with_redis(
        &split_cases(&["ROLE", "ROLE x", "COMMAND INFO role", "COMMAND DOCS role"]),
        raw_replies,
    );
}
