//! Connection commands: PING ECHO QUIT SELECT HELLO RESET AUTH CLIENT.

use super::args::{int, is, text};
use super::*;
use crate::resp::Reply;
use crate::server::Ctx;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

const CONN: &[&str] = &["connection"];

pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("ping", -1, FAST | SENTINEL, NO_KEYS, ping)
        .doc(
            "connection",
            "1.0.0",
            "Returns the server's liveliness response.",
        )
        .acl(CONN)
        .syntax("[message]")
        .complexity("O(1)"),
    CommandSpec::new("echo", 2, LOADING | STALE | FAST, NO_KEYS, echo)
        .doc("connection", "1.0.0", "Returns the given string.")
        .acl(CONN)
        .syntax("message")
        .complexity("O(1)"),
    CommandSpec::new(
        "quit",
        -1,
        ALLOW_BUSY | NOSCRIPT | LOADING | STALE | FAST | NO_AUTH,
        NO_KEYS,
        quit,
    )
    .doc("connection", "1.0.0", "Closes the connection.")
    .acl(CONN)
    .complexity("O(1)"),
    CommandSpec::new("select", 2, LOADING | STALE | FAST, NO_KEYS, select)
        .doc("connection", "1.0.0", "Changes the selected database.")
        .acl(CONN)
        .syntax("index")
        .complexity("O(1)"),
    CommandSpec::new(
        "hello",
        -1,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | SENTINEL | ALLOW_BUSY,
        NO_KEYS,
        hello,
    )
    .doc("connection", "6.0.0", "Handshakes with the Redis server.")
    .acl(CONN)
    .syntax("[protover [AUTH username password] [SETNAME clientname]]")
    .complexity("O(1)"),
    CommandSpec::new(
        "reset",
        1,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY,
        NO_KEYS,
        reset,
    )
    .doc("connection", "6.2.0", "Resets the connection.")
    .acl(CONN)
    .complexity("O(1)"),
    CommandSpec::new(
        "auth",
        -2,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | SENTINEL | ALLOW_BUSY,
        NO_KEYS,
        auth,
    )
    .doc("connection", "1.0.0", "Authenticates the connection.")
    .acl(CONN)
    .syntax("[username] password")
    .complexity("O(N) where N is the number of passwords defined for the user"),
    CommandSpec::new("client", -2, SENTINEL, NO_KEYS, container)
        .doc(
            "connection",
            "2.4.0",
            "A container for client connection commands.",
        )
        .complexity("Depends on subcommand.")
        .subs(CLIENT_SUBS),
];

const CLIENT_ADMIN: u32 = ADMIN | NOSCRIPT | LOADING | STALE | SENTINEL;

static CLIENT_SUBS: &[CommandSpec] = &[
    CommandSpec::new("id", 2, NOSCRIPT | LOADING | STALE | SENTINEL, NO_KEYS, client_id)
        .doc("connection", "5.0.0", "Returns the unique client ID of the connection.")
        .acl(CONN)
        .complexity("O(1)"),
    CommandSpec::new("setname", 3, NOSCRIPT | LOADING | STALE | SENTINEL, NO_KEYS, client_setname)
        .doc("connection", "2.6.9", "Sets the connection name.")
        .acl(CONN)
        .syntax("connection-name")
        .complexity("O(1)"),
    CommandSpec::new("getname", 2, NOSCRIPT | LOADING | STALE | SENTINEL, NO_KEYS, client_getname)
        .doc("connection", "2.6.9", "Returns the name of the connection.")
        .acl(CONN)
        .complexity("O(1)"),
    CommandSpec::new("list", -2, CLIENT_ADMIN, NO_KEYS, client_list)
        .doc("connection", "2.4.0", "Lists open connections.")
        .acl(CONN)
        .syntax("[TYPE <NORMAL | MASTER | REPLICA | PUBSUB>] [ID client-id [client-id ...]]")
        .complexity("O(N) where N is the number of client connections"),
    CommandSpec::new("info", 2, NOSCRIPT | LOADING | STALE | SENTINEL, NO_KEYS, client_info)
        .doc("connection", "6.2.0", "Returns information about the connection.")
        .acl(CONN)
        .complexity("O(1)"),
    CommandSpec::new("kill", -3, CLIENT_ADMIN, NO_KEYS, client_kill)
        .doc("connection", "2.4.0", "Terminates open connections.")
        .acl(CONN)
        .syntax("<ip:port | [ID client-id] [TYPE <NORMAL | MASTER | SLAVE | REPLICA | PUBSUB>] [USER username] [ADDR ip:port] [LADDR ip:port] [SKIPME <YES | NO>] [[ID client-id] [TYPE <NORMAL | MASTER | SLAVE | REPLICA | PUBSUB>] [USER username] [ADDR ip:port] [LADDR ip:port] [SKIPME <YES | NO>] ...]>")
        .complexity("O(N) where N is the number of client connections"),
    CommandSpec::new("pause", -3, CLIENT_ADMIN, NO_KEYS, client_pause)
        .doc("connection", "3.0.0", "Suspends commands processing.")
        .acl(CONN)
        .syntax("timeout [WRITE | ALL]")
        .complexity("O(1)"),
    CommandSpec::new("unpause", 2, CLIENT_ADMIN, NO_KEYS, client_unpause)
        .doc("connection", "6.2.0", "Resumes processing commands from paused clients.")
        .acl(CONN)
        .complexity("O(N) Where N is the number of paused clients"),
    CommandSpec::new("unblock", -3, CLIENT_ADMIN, NO_KEYS, client_unblock)
        .doc("connection", "5.0.0", "Unblock a client blocked in a blocking command from a different connection")
        .acl(CONN)
        .syntax("client-id [TIMEOUT | ERROR]")
        .complexity("O(log N) where N is the number of client connections"),
    CommandSpec::new("reply", 3, NOSCRIPT | LOADING | STALE | SENTINEL, NO_KEYS, client_reply)
        .doc("connection", "3.2.0", "Instructs the server whether to reply to commands.")
        .acl(CONN)
        .syntax("<ON | OFF | SKIP>")
        .complexity("O(1)"),
    CommandSpec::new("no-evict", 3, CLIENT_ADMIN, NO_KEYS, client_no_evict)
        .doc("connection", "7.0.0", "Sets the client eviction mode of the connection.")
        .acl(CONN)
        .syntax("<ON | OFF>")
        .complexity("O(1)"),
    CommandSpec::new("tracking", -3, NOSCRIPT | LOADING | STALE, NO_KEYS, client_tracking)
        .doc("connection", "6.0.0", "Enable or disable server assisted client side caching support")
        .acl(CONN)
        .syntax("<ON | OFF> [REDIRECT client-id] [PREFIX prefix [PREFIX prefix ...]] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]")
        .complexity("O(1). Some options may introduce additional complexity."),
    CommandSpec::new("caching", 3, NOSCRIPT | LOADING | STALE, NO_KEYS, client_caching)
        .doc("connection", "6.0.0", "Instruct the server about tracking or not keys in the next request")
        .acl(CONN)
        .syntax("<YES | NO>")
        .complexity("O(1)"),
    CommandSpec::new("trackinginfo", 2, NOSCRIPT | LOADING | STALE, NO_KEYS, client_trackinginfo)
        .doc("connection", "6.2.0", "Return information about server assisted client side caching for the current connection")
        .acl(CONN)
        .complexity("O(1)"),
    CommandSpec::new("getredir", 2, NOSCRIPT | LOADING | STALE | SENTINEL, NO_KEYS, client_getredir)
        .doc("connection", "6.0.0", "Returns the client ID to which the connection's tracking notifications are redirected.")
        .acl(CONN)
        .complexity("O(1)"),
    CommandSpec::new("help", 2, LOADING | STALE | SENTINEL, NO_KEYS, client_help)
        .doc("connection", "5.0.0", "Returns helpful text about the different subcommands.")
        .acl(CONN)
        .complexity("O(1)"),
];

/// The handler of a container command called without a subcommand never
/// runs (arity -2 rejects it, `exec::resolve` routes subcommands); kept for
/// the table's shape.
pub fn container(_: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    err::unknown_subcommand(
        args.get(1).map(|a| a.as_slice()).unwrap_or(b""),
        &text(&args[0]),
    )
}

fn ping(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    if args.len() > 2 {
        return err::arity("ping");
    }
    if ctx.client.resp == 2 && ctx.client.info.mail.subscribed() {
        // Subscribed RESP2 clients get an array, like a message.
        let msg = args.get(1).cloned().unwrap_or_default();
        return Reply::Array(vec![Reply::bulk_str("pong"), Reply::Bulk(msg)]);
    }
    match args.get(1) {
        None => Reply::status("PONG"),
        Some(m) => Reply::Bulk(m.clone()),
    }
}

fn echo(_: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    Reply::Bulk(args[1].clone())
}

fn quit(ctx: &mut Ctx, _: &[Vec<u8>]) -> Reply {
    ctx.client.close_after_reply = true;
    Reply::ok()
}

fn select(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let n = match int(&args[1]) {
        Ok(n) => n,
        Err(_) => return Reply::err("ERR value is not an integer or out of range"),
    };
    if n < 0 || n as usize >= ctx.srv.store.dbs.len() {
        return err::db_index();
    }
    ctx.client.select(n as usize);
    Reply::ok()
}

/// AUTH / HELLO AUTH: authenticates the connection as `user` (the default
/// user when None) if `pass` is one of its passwords and it is on. A
/// failure is logged to ACL LOG with `cmd` (the name as sent). Err is the
/// reply.
fn check_password(
    ctx: &mut Ctx,
    user: Option<&[u8]>,
    pass: &[u8],
    cmd: &[u8],
) -> Result<(), Reply> {
    let name: &[u8] = match user {
        Some(u) => u,
        None if ctx.srv.acl.default_user().nopass() => {
            return Err(Reply::err(
                "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
            ))
        }
        None => b"default",
    };
    match ctx.srv.acl.authenticate(name, pass) {
        Some(u) => {
            ctx.client.authenticated = true;
            ctx.client.info.set_user_name(&u.name);
            ctx.client.user = u;
            Ok(())
        }
        None => {
            ctx.srv.acl.log_event(crate::acl::log::Event {
                reason: crate::acl::log::Reason::Auth,
                in_multi: ctx.client.multi.is_some() || ctx.client.in_exec,
                object: cmd.to_vec(),
                username: name.to_vec(),
                client_info: ctx.client.info.describe(false),
            });
            Err(Reply::err(
                "WRONGPASS invalid username-password pair or user is disabled.",
            ))
        }
    }
}

fn auth(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let r = match args.len() {
        2 => check_password(ctx, None, &args[1], &args[0]),
        3 => check_password(ctx, Some(&args[1]), &args[2], &args[0]),
        _ => return err::syntax(),
    };
    match r {
        Ok(()) => Reply::ok(),
        Err(e) => e,
    }
}

/// Redis's rule for client names: printable ASCII without spaces.
fn valid_name(n: &[u8]) -> bool {
    n.iter().all(|&c| (b'!'..=b'~').contains(&c))
}

fn set_name(ctx: &mut Ctx, name: &[u8]) -> Result<(), Reply> {
    if !valid_name(name) {
        return Err(Reply::err(
            "ERR Client names cannot contain spaces, newlines or special characters.",
        ));
    }
    *ctx.client
        .info
        .name
        .lock()
        .unwrap_or_else(|e| e.into_inner()) = name.to_vec();
    Ok(())
}

fn hello(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let mut proto = ctx.client.resp;
    let mut i = 1;
    if args.len() >= 2 {
        proto = match int(&args[1]) {
            Ok(v) if v == 2 || v == 3 => v as u8,
            Ok(_) => return Reply::err("NOPROTO unsupported protocol version"),
            Err(_) => return Reply::err("ERR Protocol version is not an integer or out of range"),
        };
        i = 2;
    }
    let mut name: Option<&[u8]> = None;
    let mut auth = None;
    while i < args.len() {
        let more = args.len() - i - 1;
        if is(&args[i], "auth") && more >= 2 {
            auth = Some((i + 1, i + 2));
            i += 3;
        } else if is(&args[i], "setname") && more >= 1 {
            name = Some(&args[i + 1]);
            i += 2;
        } else {
            return Reply::error(format!(
                "ERR Syntax error in HELLO option '{}'",
                text(&args[i])
            ));
        }
    }
    if let Some((u, p)) = auth {
        if let Err(e) = check_password(ctx, Some(&args[u]), &args[p], &args[0]) {
            return e;
        }
    }
    if !ctx.client.authenticated && ctx.srv.acl.default_open() {
        ctx.client.authenticated = true;
    }
    if !ctx.client.authenticated {
        return Reply::err("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time");
    }
    if let Some(n) = name {
        if let Err(e) = set_name(ctx, n) {
            return e;
        }
    }
    ctx.client.resp = proto;
    ctx.client.info.resp.store(proto as usize, Relaxed);
    Reply::Map(vec![
        (Reply::bulk_str("server"), Reply::bulk_str("redis")),
        (
            Reply::bulk_str("version"),
            Reply::bulk_str(super::server::REDIS_VERSION),
        ),
        (Reply::bulk_str("proto"), Reply::Int(proto as i64)),
        (Reply::bulk_str("id"), Reply::Int(ctx.client.id as i64)),
        (Reply::bulk_str("mode"), Reply::bulk_str("standalone")),
        (Reply::bulk_str("role"), Reply::bulk_str("master")),
        (Reply::bulk_str("modules"), Reply::Array(vec![])),
    ])
}

fn reset(ctx: &mut Ctx, _: &[Vec<u8>]) -> Reply {
    let srv = ctx.srv.clone();
    super::tx::discard_state(&srv, ctx.client);
    crate::pubsub::unsubscribe_all(&ctx.client.info, &mut ctx.client.subs);
    crate::obs::monitor::stop(&ctx.client.info);
    crate::tracking::disable(&ctx.client.info);
    ctx.client.select(0);
    ctx.client.resp = 2;
    ctx.client.info.resp.store(2, Relaxed);
    ctx.client.reply_off = false;
    ctx.client.reply_skip = false;
    ctx.client
        .info
        .name
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clear();
    // Back to the default user, authenticated only if it needs no password.
    ctx.client.user = ctx.srv.acl.default_user();
    ctx.client.info.set_user_name(b"default");
    ctx.client.authenticated = ctx.srv.acl.default_open();
    Reply::status("RESET")
}

fn client_id(ctx: &mut Ctx, _: &[Vec<u8>]) -> Reply {
    Reply::Int(ctx.client.id as i64)
}

fn client_setname(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    match set_name(ctx, &args[2]) {
        Ok(()) => Reply::ok(),
        Err(e) => e,
    }
}

fn client_getname(ctx: &mut Ctx, _: &[Vec<u8>]) -> Reply {
    let n = ctx
        .client
        .info
        .name
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    if n.is_empty() {
        Reply::Null
    } else {
        Reply::Bulk(n)
    }
}

fn client_list(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let mut ids: Option<Vec<u64>> = None;
    let mut ctype: Option<&str> = None;
    if args.len() > 2 {
        if is(&args[2], "type") && args.len() == 4 {
            let t = args[3].to_ascii_lowercase();
            ctype = Some(match t.as_slice() {
                b"normal" => "normal",
                b"pubsub" => "pubsub",
                b"master" => "master",
                b"replica" | b"slave" => "replica",
                _ => return Reply::error(format!("ERR Unknown client type '{}'", text(&args[3]))),
            });
        } else if is(&args[2], "id") && args.len() >= 4 {
            let mut v = Vec::new();
            for a in &args[3..] {
                // Any integer is accepted (Redis 7.0); ids below 1 match nobody.
                match int(a) {
                    Ok(n) => v.push(n.max(0) as u64),
                    Err(_) => return Reply::err("ERR Invalid client ID"),
                }
            }
            ids = Some(v);
        } else {
            return err::syntax();
        }
    }
    let mut s = String::new();
    for c in ctx.srv.clients.live() {
        if let Some(ids) = &ids {
            if !ids.contains(&c.id) {
                continue;
            }
        }
        if ctype.is_some_and(|t| t != c.client_type()) {
            continue;
        }
        s.push_str(&c.describe(ctx.srv.blocking.is_blocked(c.id)));
        s.push('\n');
    }
    Reply::Verbatim(s.into_bytes())
}

fn client_info(ctx: &mut Ctx, _: &[Vec<u8>]) -> Reply {
    let mut s = ctx.client.info.describe(false);
    s.push('\n');
    Reply::Verbatim(s.into_bytes())
}

fn client_kill(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    // Old form: CLIENT KILL ip:port → OK or error.
    if args.len() == 3 {
        let addr = text(&args[2]);
        for c in ctx.srv.clients.live() {
            if c.addr.to_string() == addr {
                kill_client(ctx, &c);
                return Reply::ok();
            }
        }
        return Reply::err("ERR No such client");
    }
    if !args.len().is_multiple_of(2) {
        return err::syntax();
    }
    let mut id: Option<u64> = None;
    let mut addr: Option<String> = None;
    let mut laddr: Option<String> = None;
    let mut user: Option<Vec<u8>> = None;
    let mut ctype: Option<Vec<u8>> = None;
    let mut skipme = true;
    for pair in args[2..].chunks(2) {
        let (k, v) = (&pair[0], &pair[1]);
        if is(k, "id") {
            match int(v) {
                Ok(n) if n > 0 => id = Some(n as u64),
                _ => return Reply::err("ERR client-id should be greater than 0"),
            }
        } else if is(k, "addr") {
            addr = Some(text(v));
        } else if is(k, "laddr") {
            laddr = Some(text(v));
        } else if is(k, "user") {
            user = Some(v.clone());
        } else if is(k, "type") {
            let t = v.to_ascii_lowercase();
            if !matches!(
                t.as_slice(),
                b"normal" | b"master" | b"slave" | b"replica" | b"pubsub"
            ) {
                return Reply::error(format!("ERR Unknown client type '{}'", text(v)));
            }
            ctype = Some(t);
        } else if is(k, "skipme") {
            if is(v, "yes") {
                skipme = true;
            } else if is(v, "no") {
                skipme = false;
            } else {
                return err::syntax();
            }
        } else {
            return err::syntax();
        }
    }
    if let Some(u) = &user {
        if ctx.srv.acl.get(u).is_none() {
            return Reply::error(format!("ERR No such user '{}'", text(u)));
        }
    }
    let mut killed = 0;
    for c in ctx.srv.clients.live() {
        if id.is_some_and(|i| i != c.id)
            || addr.as_ref().is_some_and(|a| *a != c.addr.to_string())
            || laddr.as_ref().is_some_and(|a| *a != c.laddr.to_string())
            || ctype.as_ref().is_some_and(|t| match t.as_slice() {
                b"replica" | b"slave" => "replica",
                b"master" => "master",
                b"pubsub" => "pubsub",
                _ => "normal",
            } != c.client_type())
            || user.as_ref().is_some_and(|u| *u != c.user_name())
            || (skipme && c.id == ctx.client.id)
        {
            continue;
        }
        kill_client(ctx, &c);
        killed += 1;
    }
    Reply::Int(killed)
}

/// Kills a client; the caller itself is closed only after its reply is
/// written (Redis's CLIENT_CLOSE_AFTER_REPLY), so it still sees `+OK`/`:1`.
fn kill_client(ctx: &mut Ctx, c: &crate::server::ClientInfo) {
    if c.id == ctx.client.id {
        ctx.client.close_after_reply = true;
    } else {
        c.kill();
    }
}

fn client_pause(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    // Redis checks the argument count before anything else.
    if args.len() > 4 {
        return Reply::err(
            "ERR unknown subcommand or wrong number of arguments for 'PAUSE'. Try CLIENT HELP.",
        );
    }
    let ms = match int(&args[2]) {
        Ok(n) if n >= 0 => n as u64,
        Ok(_) => return Reply::err("ERR timeout is negative"),
        Err(_) => return Reply::err("ERR timeout is not an integer or out of range"),
    };
    let all = match args.get(3) {
        None => true,
        Some(m) if is(m, "all") => true,
        Some(m) if is(m, "write") => false,
        Some(_) => return Reply::err("ERR CLIENT PAUSE mode must be WRITE or ALL"),
    };
    ctx.srv
        .pause
        .pause(Instant::now() + Duration::from_millis(ms), all);
    Reply::ok()
}

fn client_unpause(ctx: &mut Ctx, _: &[Vec<u8>]) -> Reply {
    ctx.srv.pause.unpause();
    Reply::ok()
}

/// CLIENT UNBLOCK id [TIMEOUT|ERROR]: :1 if the client was blocked (it
/// then answers nil, or -UNBLOCKED), else :0.
fn client_unblock(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    if args.len() > 4 {
        return Reply::error(format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try CLIENT HELP.",
            text(&args[1])
        ));
    }
    let id = match int(&args[2]) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let error = match args.get(3) {
        None => false,
        Some(m) if is(m, "timeout") => false,
        Some(m) if is(m, "error") => true,
        Some(_) => return Reply::err("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"),
    };
    let done = id > 0 && ctx.srv.blocking.unblock(id as u64, error);
    Reply::Int(done as i64)
}

fn client_reply(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    if is(&args[2], "on") {
        ctx.client.reply_off = false;
        ctx.client.reply_skip = false;
        Reply::ok()
    } else if is(&args[2], "off") {
        ctx.client.reply_off = true;
        Reply::ok()
    } else if is(&args[2], "skip") {
        if !ctx.client.reply_off {
            // No reply to this command, nor to the next one.
            ctx.client.skip_next = true;
        }
        Reply::ok()
    } else {
        err::syntax()
    }
}

fn client_no_evict(_: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    if is(&args[2], "on") || is(&args[2], "off") {
        Reply::ok()
    } else {
        err::syntax()
    }
}

fn client_getredir(ctx: &mut Ctx, _: &[Vec<u8>]) -> Reply {
    Reply::Int(ctx.client.info.tracking.redir())
}

/// CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p ...] [BCAST] [OPTIN]
/// [OPTOUT] [NOLOOP]: Redis 7.0's checks, in its order (src/tracking.rs).
fn client_tracking(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    use crate::tracking::{BCAST, NOLOOP, OPTIN, OPTOUT};
    let mut redirect: u64 = 0;
    let mut redirect_to = None;
    let mut flags = 0u32;
    let mut prefixes: Vec<Vec<u8>> = Vec::new();
    let mut j = 3;
    while j < args.len() {
        let more = j + 1 < args.len();
        let a = &args[j];
        if is(a, "redirect") && more {
            j += 1;
            if redirect != 0 {
                return Reply::err("ERR A client can only redirect to a single other client");
            }
            let id = match int(&args[j]) {
                Ok(v) => v as u64,
                Err(e) => return e,
            };
            // It must exist now (it may leave later: the redirection is
            // then broken).
            match ctx.srv.clients.get(id).filter(|c| !c.killed.load(Relaxed)) {
                Some(c) => redirect_to = Some(c),
                None => return Reply::err("ERR The client ID you want redirect to does not exist"),
            }
            redirect = id;
        } else if is(a, "bcast") {
            flags |= BCAST;
        } else if is(a, "optin") {
            flags |= OPTIN;
        } else if is(a, "optout") {
            flags |= OPTOUT;
        } else if is(a, "noloop") {
            flags |= NOLOOP;
        } else if is(a, "prefix") && more {
            j += 1;
            prefixes.push(args[j].clone());
        } else {
            return err::syntax();
        }
        j += 1;
    }
    let info = ctx.client.info.clone();
    if is(&args[2], "off") {
        crate::tracking::disable(&info);
        return Reply::ok();
    }
    if !is(&args[2], "on") {
        return err::syntax();
    }
    let cur = info.tracking.flags.load(Relaxed);
    let on = cur & crate::tracking::ON != 0;
    if flags & BCAST == 0 && !prefixes.is_empty() {
        return Reply::err("ERR PREFIX option requires BCAST mode to be enabled");
    }
    if on && (cur & BCAST != 0) != (flags & BCAST != 0) {
        return Reply::err("ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.");
    }
    if flags & BCAST != 0 && flags & (OPTIN | OPTOUT) != 0 {
        return Reply::err("ERR OPTIN and OPTOUT are not compatible with BCAST");
    }
    if flags & OPTIN != 0 && flags & OPTOUT != 0 {
        return Reply::err("ERR You can't specify both OPTIN mode and OPTOUT mode");
    }
    if (flags & OPTIN != 0 && cur & OPTOUT != 0) || (flags & OPTOUT != 0 && cur & OPTIN != 0) {
        return Reply::err("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.");
    }
    if flags & BCAST != 0 {
        if let Some(e) = crate::tracking::prefix_collision(&info.tracking.prefixes(), &prefixes) {
            return Reply::error(e);
        }
    }
    crate::tracking::enable(
        &info,
        crate::tracking::Options {
            redirect,
            flags,
            prefixes,
        },
        redirect_to.as_ref(),
    );
    Reply::ok()
}

/// CLIENT CACHING YES|NO: track (OPTIN) or not (OPTOUT) the next command's keys.
fn client_caching(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    use crate::tracking::{CACHING, ON, OPTIN, OPTOUT};
    let st = &ctx.client.info.tracking;
    let f = st.flags.load(Relaxed);
    if f & ON == 0 {
        return Reply::err("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled");
    }
    if is(&args[2], "yes") {
        if f & OPTIN == 0 {
            return Reply::err(
                "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.",
            );
        }
    } else if is(&args[2], "no") {
        if f & OPTOUT == 0 {
            return Reply::err(
                "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.",
            );
        }
    } else {
        return err::syntax();
    }
    st.flags.fetch_or(CACHING, Relaxed);
    Reply::ok()
}

/// CLIENT TRACKINGINFO: flags (a set), redirect, prefixes.
fn client_trackinginfo(ctx: &mut Ctx, _: &[Vec<u8>]) -> Reply {
    use crate::tracking::*;
    let st = &ctx.client.info.tracking;
    let f = st.flags.load(Relaxed);
    let mut flags = vec![Reply::bulk_str(if f & ON != 0 { "on" } else { "off" })];
    for (bit, name, caching) in [
        (BCAST, "bcast", None),
        (OPTIN, "optin", Some("caching-yes")),
        (OPTOUT, "optout", Some("caching-no")),
        (NOLOOP, "noloop", None),
        (BROKEN_REDIR, "broken_redirect", None),
    ] {
        if f & bit != 0 {
            flags.push(Reply::bulk_str(name));
            if let Some(c) = caching.filter(|_| f & CACHING != 0) {
                flags.push(Reply::bulk_str(c));
            }
        }
    }
    Reply::Map(vec![
        (Reply::bulk_str("flags"), Reply::Set(flags)),
        (Reply::bulk_str("redirect"), Reply::Int(st.redir())),
        (
            Reply::bulk_str("prefixes"),
            Reply::Array(st.prefixes().iter().map(|p| Reply::bulk(p)).collect()),
        ),
    ])
}

fn client_help(_: &mut Ctx, _: &[Vec<u8>]) -> Reply {
    help_reply(
        "CLIENT",
        &[
            "CACHING (YES|NO)",
            "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
            "GETNAME",
            "    Return the name of the current connection.",
            "GETREDIR",
            "    Return the client ID we are redirecting to when tracking is enabled.",
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are:",
            "    * ADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made from the specified address",
            "    * LADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made to specified local address",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Kill connections by type.",
            "    * USER <username>",
            "      Kill connections authenticated by <username>.",
            "    * SKIPME (YES|NO)",
            "      Skip killing current connection (default: yes).",
            "    * ID <client-id>",
            "      Kill connections by client id.",
            "LIST [options ...]",
            "    Return information about client connections. Options:",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Return clients of specified type.",
            "UNBLOCK <clientid> [TIMEOUT|ERROR]",
            "    Unblock the specified blocked client.",
            "UNPAUSE",
            "    Stop the current client pause, resuming traffic.",
            "PAUSE <timeout> [WRITE|ALL]",
            "    Suspend all, or just write, clients for <timeout> milliseconds.",
            "REPLY (ON|OFF|SKIP)",
            "    Control the replies sent to the current connection.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
            "         [OPTIN] [OPTOUT] [NOLOOP]",
            "    Control server assisted client side caching.",
            "TRACKINGINFO",
            "    Report tracking status for the current connection.",
            "NO-EVICT (ON|OFF)",
            "    Protect current client connection from eviction.",
        ],
    )
}
