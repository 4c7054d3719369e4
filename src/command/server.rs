//! Server commands: COMMAND (docs.rs), CONFIG, INFO (info.rs), DBSIZE,
//! TIME, LASTSAVE, FLUSHDB, FLUSHALL, SHUTDOWN.

use super::args::{is, text};
use super::docs;
use super::info;
use super::*;
use crate::resp::Reply;
use crate::server::Ctx;

/// The Redis version FlashDB reports (INFO, HELLO): the one whose behaviour it follows.
pub const REDIS_VERSION: &str = "7.0.15";

const CONFIG_ADMIN: u32 = ADMIN | NOSCRIPT | LOADING | STALE;
const CMD_FLAGS: u32 = LOADING | STALE | SENTINEL;
const CONN: &[&str] = &["connection"];

pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("dbsize", 1, READONLY | FAST, NO_KEYS, dbsize)
        .doc("server", "1.0.0", "Returns the number of keys in the database.")
        .acl(&["keyspace"])
        .complexity("O(1)"),
    CommandSpec::new("command", -1, CMD_FLAGS, NO_KEYS, docs::command)
        .doc("server", "2.8.13", "Returns detailed information about all commands.")
        .acl(CONN)
        .complexity("O(N) where N is the total number of Redis commands")
        .subs(COMMAND_SUBS),
    CommandSpec::new("config", -2, 0, NO_KEYS, super::connection::container)
        .doc("server", "2.0.0", "A container for server configuration commands.")
        .complexity("Depends on subcommand.")
        .subs(CONFIG_SUBS),
    CommandSpec::new("info", -1, LOADING | STALE | SENTINEL, NO_KEYS, info::info)
        .doc("server", "1.0.0", "Returns information and statistics about the server.")
        .acl(&["dangerous"])
        .syntax("[section [section ...]]")
        .complexity("O(1)"),
    CommandSpec::new("time", 1, LOADING | STALE | FAST, NO_KEYS, time)
        .doc("server", "2.6.0", "Returns the server time.")
        .complexity("O(1)"),
    CommandSpec::new("role", 1, NOSCRIPT | LOADING | STALE | FAST, NO_KEYS, role)
        .doc(
            "server",
            "2.8.12",
            "Return the role of the instance in the context of replication",
        )
        .acl(&["admin", "dangerous"])
        .complexity("O(1)"),
    CommandSpec::new("flushdb", -1, WRITE | EXCLUSIVE, NO_KEYS, flushdb)
        .doc("server", "1.0.0", "Removes all keys from the current database.")
        .acl(&["keyspace", "dangerous"])
        .syntax("[ASYNC | SYNC]")
        .complexity("O(N) where N is the number of keys in the selected database"),
    CommandSpec::new("flushall", -1, WRITE | EXCLUSIVE, NO_KEYS, flushall)
        .doc("server", "1.0.0", "Removes all keys from all databases.")
        .acl(&["keyspace", "dangerous"])
        .syntax("[ASYNC | SYNC]")
        .complexity("O(N) where N is the total number of keys in all databases"),
    CommandSpec::new(
        "shutdown",
        -1,
        ADMIN | NOSCRIPT | LOADING | STALE | NO_MULTI | SENTINEL | ALLOW_BUSY,
        NO_KEYS,
        shutdown,
    )
    .doc("server", "1.0.0", "Synchronously saves the database(s) to disk and shuts down the Redis server.")
    .syntax("[NOSAVE | SAVE] [NOW] [FORCE] [ABORT]")
    .complexity("O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)"),
];

static COMMAND_SUBS: &[CommandSpec] = &[
    CommandSpec::new("count", 2, CMD_FLAGS, NO_KEYS, docs::command_count)
        .doc("server", "2.8.13", "Returns a count of commands.")
        .acl(CONN)
        .complexity("O(1)"),
    CommandSpec::new("docs", -2, CMD_FLAGS, NO_KEYS, docs::command_docs)
        .doc(
            "server",
            "7.0.0",
            "Returns documentary information about one, multiple or all commands.",
        )
        .acl(CONN)
        .syntax("[command-name [command-name ...]]")
        .complexity("O(N) where N is the number of commands to look up"),
    CommandSpec::new("getkeys", -4, CMD_FLAGS, NO_KEYS, docs::command_getkeys)
        .doc(
            "server",
            "2.8.13",
            "Extracts the key names from an arbitrary command.",
        )
        .acl(CONN)
        .syntax("command arg [arg ...]")
        .complexity("O(N) where N is the number of arguments to the command"),
    CommandSpec::new(
        "getkeysandflags",
        -4,
        CMD_FLAGS,
        NO_KEYS,
        docs::command_getkeysandflags,
    )
    .doc(
        "server",
        "7.0.0",
        "Extracts the key names and access flags for an arbitrary command.",
    )
    .acl(CONN)
    .syntax("command arg [arg ...]")
    .complexity("O(N) where N is the number of arguments to the command"),
    CommandSpec::new("help", 2, CMD_FLAGS, NO_KEYS, docs::command_help)
        .doc(
            "server",
            "5.0.0",
            "Returns helpful text about the different subcommands.",
        )
        .acl(CONN)
        .complexity("O(1)"),
    CommandSpec::new("info", -2, CMD_FLAGS, NO_KEYS, docs::command_info)
        .doc(
            "server",
            "2.8.13",
            "Returns information about one, multiple or all commands.",
        )
        .acl(CONN)
        .syntax("[command-name [command-name ...]]")
        .complexity("O(N) where N is the number of commands to look up"),
    CommandSpec::new("list", -2, CMD_FLAGS, NO_KEYS, docs::command_list)
        .doc("server", "7.0.0", "Returns a list of command names.")
        .acl(CONN)
        .syntax("[FILTERBY <MODULE module-name | ACLCAT category | PATTERN pattern>]")
        .complexity("O(N) where N is the total number of Redis commands"),
];

static CONFIG_SUBS: &[CommandSpec] = &[
    CommandSpec::new("get", -3, CONFIG_ADMIN, NO_KEYS, config_get)
        .doc(
            "server",
            "2.0.0",
            "Returns the effective values of configuration parameters.",
        )
        .syntax("parameter [parameter ...]")
        .complexity("O(N) when N is the number of configuration parameters provided"),
    CommandSpec::new("set", -4, CONFIG_ADMIN, NO_KEYS, config_set)
        .doc(
            "server",
            "2.0.0",
            "Sets configuration parameters in-flight.",
        )
        .syntax("parameter value [parameter value ...]")
        .complexity("O(N) when N is the number of configuration parameters provided"),
    CommandSpec::new("resetstat", 2, CONFIG_ADMIN, NO_KEYS, config_resetstat)
        .doc("server", "2.0.0", "Resets the server's statistics.")
        .complexity("O(1)"),
    CommandSpec::new("rewrite", 2, CONFIG_ADMIN, NO_KEYS, config_rewrite)
        .doc(
            "server",
            "2.8.0",
            "Persists the effective configuration to file.",
        )
        .complexity("O(1)"),
    CommandSpec::new("help", 2, LOADING | STALE, NO_KEYS, config_help)
        .doc(
            "server",
            "5.0.0",
            "Returns helpful text about the different subcommands.",
        )
        .complexity("O(1)"),
];

fn dbsize(ctx: &mut Ctx, _: &[Vec<u8>]) -> Reply {
    Reply::Int(ctx.db().len() as i64)
}

fn time(_: &mut Ctx, _: &[Vec<u8>]) -> Reply {
    let us = crate::store::now_us();
    Reply::Array(vec![
        Reply::Bulk((us / 1_000_000).to_string().into_bytes()),
        Reply::Bulk((us % 1_000_000).to_string().into_bytes()),
    ])
}

/// A server without replicas: `master`, replication offset 0, no replicas
/// (INFO replication agrees).
fn role(_: &mut Ctx, _: &[Vec<u8>]) -> Reply {
    Reply::Array(vec![
        Reply::bulk_str("master"),
        Reply::Int(0),
        Reply::Array(vec![]),
    ])
}

/// `[ASYNC | SYNC]` → Some(async), None on a syntax error.
fn flush_mode(args: &[Vec<u8>]) -> Option<bool> {
    match args.len() {
        1 => Some(false),
        2 if is(&args[1], "async") => Some(true),
        2 if is(&args[1], "sync") => Some(false),
        _ => None,
    }
}

/// Drops the flushed tables: inline, or on the lazy-free thread for ASYNC.
fn drop_tables<T: Send + 'static>(old: T, lazy: bool) {
    if lazy {
        crate::store::drop_in_background(old);
    } else {
        drop(old);
    }
}

fn flushdb(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let Some(lazy) = flush_mode(args) else {
        return err::syntax();
    };
    let db = ctx.client.db;
    let old = ctx.db().flush();
    // An empty DB stays as it was: nothing to log.
    if old.iter().any(|d| !d.is_empty()) {
        crate::persist::log_flushdb(db);
    }
    drop_tables(old, lazy);
    Reply::ok()
}

fn flushall(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let Some(lazy) = flush_mode(args) else {
        return err::syntax();
    };
    let old: Vec<_> = ctx.store().dbs.iter().map(|d| d.flush()).collect();
    if old.iter().flatten().any(|d| !d.is_empty()) {
        crate::persist::log_flushall();
    }
    drop_tables(old, lazy);
    Reply::ok()
}

fn shutdown(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let (mut nosave, mut save, mut other, mut abort) = (false, false, false, false);
    for a in &args[1..] {
        if is(a, "nosave") {
            nosave = true;
        } else if is(a, "save") {
            save = true;
        } else if is(a, "now") || is(a, "force") {
            other = true;
        } else if is(a, "abort") {
            abort = true;
        } else {
            return err::syntax();
        }
    }
    if (abort && (nosave || save || other)) || (nosave && save) {
        return err::syntax();
    }
    if abort {
        return Reply::err("ERR No shutdown in progress.");
    }
    let choice = if save {
        1
    } else if nosave {
        2
    } else {
        0
    };
    ctx.srv
        .persist
        .shutdown_save
        .store(choice, std::sync::atomic::Ordering::SeqCst);
    ctx.srv.request_shutdown();
    // The connection closes without a reply, as with Redis.
    ctx.client.close_after_reply = true;
    Reply::Raw(Vec::new())
}

fn config_get(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let c = ctx.srv.config();
    let mut seen = std::collections::HashSet::new();
    let mut pairs = Vec::new();
    for p in &args[2..] {
        let exact = !p.iter().any(|b| matches!(b, b'*' | b'?' | b'['));
        for (k, v) in c.get(p) {
            if seen.insert(k.clone()) {
                // Like Redis, an exact name is echoed as the client wrote it.
                let name = if exact { p.clone() } else { k.into_bytes() };
                pairs.push((Reply::Bulk(name), Reply::Bulk(v.into_bytes())));
            }
        }
    }
    Reply::Map(pairs)
}

fn config_set(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    if !args.len().is_multiple_of(2) {
        return err::syntax();
    }
    let pairs: Vec<(String, String)> = args[2..]
        .chunks(2)
        .map(|p| (text(&p[0]), text(&p[1])))
        .collect();
    let r = ctx.srv.config_mut().set_many(&pairs);
    match r {
        Ok(()) => {
            ctx.srv.config_changed();
            if pairs
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("requirepass"))
            {
                // `requirepass` is the default user's password.
                let pass = ctx.srv.config().requirepass.clone();
                ctx.srv.acl.set_requirepass(&pass);
            }
            if pairs
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("maxmemory"))
            {
                crate::evict::maxmemory_changed(ctx.srv);
            }
            Reply::ok()
        }
        Err(e) => Reply::error(format!("ERR {}", e)),
    }
}

fn config_resetstat(ctx: &mut Ctx, _: &[Vec<u8>]) -> Reply {
    ctx.srv.stats.reset();
    ctx.srv.evict.reset_stats();
    ctx.srv
        .stats
        .peak_memory
        .store(0, std::sync::atomic::Ordering::Relaxed);
    Reply::ok()
}

fn config_rewrite(ctx: &mut Ctx, _: &[Vec<u8>]) -> Reply {
    let mut c = ctx.srv.config().clone();
    if c.config_file.is_none() {
        return Reply::err("ERR The server is running without a config file");
    }
    c.users = user_lines(ctx, &c);
    match c.rewrite() {
        Ok(()) => {
            crate::notice!("CONFIG REWRITE executed with success.");
            Reply::ok()
        }
        Err(e) => Reply::error(format!("ERR {}", e)),
    }
}

/// The `user` lines CONFIG REWRITE writes: every ACL user (Redis's
/// rewriteConfigUserOption), or none while the users are the stock
/// `default` alone (as `requirepass` recreates it), so that a server
/// without ACL users keeps a configuration without user lines.
fn user_lines(ctx: &Ctx, c: &crate::config::Config) -> Vec<Vec<String>> {
    let users = ctx.srv.acl.users();
    let stock = crate::acl::Acl::new(c).default_user();
    if users.len() == 1 && users[0].line() == stock.line() {
        return Vec::new();
    }
    users
        .iter()
        .map(|u| {
            let line = String::from_utf8_lossy(&u.line()).into_owned();
            line.split(' ').skip(1).map(String::from).collect()
        })
        .collect()
}

fn config_help(_: &mut Ctx, _: &[Vec<u8>]) -> Reply {
    help_reply(
        "CONFIG",
        &[
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
        ],
    )
}

#[cfg(test)]
mod tests {
    use crate::command::testutil::{check_replay, check_replay_after, execute, logged};
    use crate::resp::Reply;
    use crate::server::Server;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{mpsc, Arc};

    #[test]
    fn replay_flushdb_flushall_with_later_writes() {
        check_replay(&[
            &["SET", "a", "1"],
            &["SET", "t", "1", "EX", "100"],
            &["SELECT", "1"],
            &["SET", "a", "db1"],
            &["FLUSHDB"],
            &["SET", "b", "after"],
            &["SELECT", "0"],
            &["SET", "c", "3"],
            &["FLUSHDB", "ASYNC"],
            &["SET", "d", "4", "PX", "100000"],
            &["SELECT", "2"],
            &["SET", "e", "5"],
            &["FLUSHALL", "SYNC"],
            &["SET", "f", "6"],
            &["SELECT", "0"],
            &["SET", "g", "7"],
            &["FLUSHALL", "FOO"],
            &["FLUSHALL"],
            &["SET", "h", "8"],
        ]);
        check_replay_after(
            &[&["HSET", "h", "f", "v"], &["SADD", "s", "m"]],
            &[],
            &[&["FLUSHALL"], &["SET", "h", "x"]],
        );
    }

    #[test]
    fn flush_records() {
        let s = logged(&[
            &["FLUSHALL"],
            &["FLUSHDB"],
            &["SET", "a", "1"],
            &["SELECT", "4"],
            &["FLUSHDB"],
            &["SET", "a", "1"],
            &["FLUSHDB"],
            &["FLUSHALL", "ASYNC"],
            &["FLUSHALL"],
        ]);
        // Flushing what is already empty changes nothing: not logged.
        assert_eq!(s, ["SET a 1", "db4: SET a 1", "db4: FLUSHDB", "FLUSHALL"]);
    }

    #[test]
    fn flushes_inside_exec_replay_and_do_not_deadlock() {
        let (r, _) = check_replay(&[
            &["SET", "a", "1"],
            &["SELECT", "1"],
            &["SET", "b", "2"],
            &["MULTI"],
            &["SET", "c", "3"],
            &["FLUSHDB"],
            &["SET", "d", "4"],
            &["SWAPDB", "0", "1"],
            &["SET", "e", "5"],
            &["FLUSHALL"],
            &["SET", "f", "6"],
            &["EXEC"],
            &["SET", "g", "7"],
        ]);
        assert!(matches!(&r[11], Reply::Array(v) if v.len() == 7));
    }

    #[test]
    fn whole_db_commands_run_alone() {
        let t = crate::command::table::table();
        for name in ["flushdb", "flushall", "swapdb"] {
            let (_, spec) = t.lookup(name.as_bytes()).unwrap();
            assert_ne!(spec.flags & super::EXCLUSIVE, 0, "{name}");
        }
        // FLUSHDB waits for a command holding the shared gate to finish.
        let srv = Arc::new(Server::new(crate::config::Config::default()));
        let released = Arc::new(AtomicBool::new(false));
        let (tx, rx) = mpsc::channel();
        let holder = {
            let (srv, released) = (srv.clone(), released.clone());
            std::thread::spawn(move || {
                let g = srv.gate.shared();
                tx.send(()).unwrap();
                std::thread::sleep(std::time::Duration::from_millis(100));
                released.store(true, Ordering::SeqCst);
                drop(g);
            })
        };
        rx.recv().unwrap();
        for cmd in [&["FLUSHDB"][..], &["FLUSHALL"], &["SWAPDB", "0", "1"]] {
            let (r, _) = execute(&srv, &[cmd]);
            assert_eq!(r, [Reply::ok()]);
            assert!(
                released.load(Ordering::SeqCst),
                "{cmd:?} ran beside a command"
            );
        }
        holder.join().unwrap();
    }
}
