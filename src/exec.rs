//! Dispatch: the fixed order of checks every command passes, whatever the
//! connection it came from, Redis 7.0's processCommand order: lookup →
//! subcommand → rate limit → arity → authentication → ACL → `maxmemory`
//! (evict, or -OOM) → subscribed context → loading → MISCONF → MULTI
//! queueing → pause → run → stats (and the slow log, MONITOR, latency:
//! src/obs) → reply.

use crate::acl::log::{Event, Reason};
use crate::acl::Denied;
use crate::command::{err, table::table, CommandSpec};
use crate::resp::Reply;
use crate::server::{Client, Ctx, Server};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Instant;

/// Resolves `args` to a table entry: the command, or its subcommand for
/// containers. Err is the reply for an unknown command or subcommand.
pub fn resolve(args: &[Vec<u8>]) -> Result<(usize, &'static CommandSpec), Reply> {
    let t = table();
    let (id, spec) = t.lookup(&args[0]).ok_or_else(|| unknown_command(args))?;
    if spec.subcommands.is_empty() || args.len() < 2 {
        return Ok((id, spec));
    }
    t.lookup_sub(id, &args[1])
        .ok_or_else(|| err::unknown_subcommand(&args[1], spec.name))
}

/// Redis 7's text: `ERR unknown command 'foo', with args beginning with: 'a' 'b' `.
fn unknown_command(args: &[Vec<u8>]) -> Reply {
    let mut list = String::new();
    for a in &args[1..] {
        if list.len() >= 128 {
            break;
        }
        let room = 128 - list.len();
        let s = String::from_utf8_lossy(cstr(a));
        let cut: String = s.chars().take(room).collect();
        list.push('\'');
        list.push_str(&cut);
        list.push_str("' ");
    }
    let name = String::from_utf8_lossy(cstr(&args[0]));
    let name: String = name.chars().take(128).collect();
    Reply::error(format!(
        "ERR unknown command '{}', with args beginning with: {}",
        name, list
    ))
}

/// Redis formats these with %s, which stops at a NUL byte.
fn cstr(a: &[u8]) -> &[u8] {
    match a.iter().position(|&b| b == 0) {
        Some(i) => &a[..i],
        None => a,
    }
}

/// What CLIENT PAUSE WRITE holds: writes and commands that may replicate.
fn pause_kind(spec: &CommandSpec) -> bool {
    spec.is_write() || spec.flags & crate::command::MAY_REPLICATE != 0
}

/// The `rate-limit` check (src/ratelimit.rs): Some(error) when this
/// client's bucket is empty.
fn rate_limited(srv: &Server, client: &mut Client, rate: u64) -> Option<Reply> {
    if srv.hot.rate_exempt_loopback.load(Relaxed) && client.info.addr.ip().is_loopback() {
        return None;
    }
    let burst = srv.hot.rate_burst.load(Relaxed);
    if client.bucket.take(rate, burst, Instant::now()) {
        return None;
    }
    srv.stats.rate_limited.fetch_add(1, Relaxed);
    Some(Reply::error(crate::ratelimit::exceeded(rate, burst)))
}

/// The `rate-limit-user` check: the bucket of the client's ACL user,
/// shared by all its connections.
fn user_rate_limited(srv: &Server, client: &Client, rate: u64) -> Option<Reply> {
    if srv.hot.rate_exempt_loopback.load(Relaxed) && client.info.addr.ip().is_loopback() {
        return None;
    }
    let burst = srv.hot.user_rate_burst.load(Relaxed);
    let name = &client.user.name;
    if srv.user_buckets.take(name, rate, burst, Instant::now()) {
        return None;
    }
    srv.stats.rate_limited.fetch_add(1, Relaxed);
    Some(Reply::error(crate::ratelimit::user_exceeded(
        rate, burst, name,
    )))
}

/// Runs one command and appends its reply (unless replies are off) to `out`.
///
/// CLIENT PAUSE: with `may_hold` (the event loop, which must not block) a
/// command the pause applies to is not run and its arguments come back as
/// `Some`, for the caller to retry later; otherwise (a thread of its own)
/// this waits for the pause to end.
pub fn execute(
    srv: &Arc<Server>,
    client: &mut Client,
    args: Vec<Vec<u8>>,
    out: &mut Vec<u8>,
    may_hold: bool,
) -> Option<Vec<Vec<u8>>> {
    let skip = client.reply_skip;
    if client.info.mail.has_mail() {
        // Messages published before this command ran go out before its
        // reply (inside EXEC, only the transaction's own can arrive).
        client.info.mail.take_into(out);
    }
    let tracking = crate::tracking::armed();
    if tracking {
        // Invalidations for this client wait for this command's reply.
        crate::tracking::set_current(client.id);
    }
    // (Also when tracking turned on meanwhile: after_command resets the
    // thread's current client, which must never outlive the command.)
    let Some(reply) = run(srv, client, &args, may_hold) else {
        if tracking || crate::tracking::armed() {
            crate::tracking::after_command(out);
        }
        return Some(args);
    };
    if client.blocked.is_some() {
        // A re-run blocked command answered without reaching its handler
        // (e.g. -MISCONF): it must not stay registered.
        crate::blocking::cancel(srv, client);
    }
    client.reply_skip = false;
    if let Reply::Error(e) = &reply {
        srv.stats.error(e);
    }
    if client.skip_next {
        // CLIENT REPLY SKIP: neither its own reply nor the next one.
        client.skip_next = false;
        client.reply_skip = true;
        if tracking || crate::tracking::armed() {
            after_tracking(client, &args, out);
        }
        return None;
    }
    if client.info.mail.has_mail() && !client.info.tracking.on() {
        // Published by this very command (PUBLISH to one's own channel):
        // before its reply, as Redis queues it. Not for a tracking client:
        // an invalidation that arrived while its read ran may be about a
        // write the read did not see, and must follow the reply.
        client.info.mail.take_into(out);
    }
    if !skip && !client.reply_off {
        reply.encode(out, client.resp);
    }
    if tracking || crate::tracking::armed() {
        after_tracking(client, &args, out);
    }
    crate::obs::after_reply(client, out);
    None
}

/// Client-side caching after a command's reply: the invalidations it
/// caused for this client and the BCAST broadcasts follow the reply; CLIENT
/// CACHING applies to one command (kept through CLIENT subcommands and a
/// transaction, cleared after EXEC, as Redis's `resetClient`).
fn after_tracking(client: &mut Client, args: &[Vec<u8>], out: &mut Vec<u8>) {
    crate::tracking::after_command(out);
    let st = &client.info.tracking;
    if st.flags.load(Relaxed) & crate::tracking::CACHING != 0
        && client.multi.is_none()
        && !args[0].eq_ignore_ascii_case(b"client")
    {
        st.flags.fetch_and(!crate::tracking::CACHING, Relaxed);
    }
}

/// `-MISCONF` for a write while the WAL cannot be written: nothing is
/// acknowledged that is not in the log (Redis's text and rule). An EXEC
/// whose transaction writes is aborted and discarded, as Redis does.
fn refuse_write(srv: &Server, spec: &CommandSpec, client: &mut Client) -> Option<Reply> {
    let w = crate::persist::wal()?;
    let exec = spec.name == "exec";
    let write = spec.is_write()
        || (exec
            && client.multi.as_ref().is_some_and(|q| {
                q.iter()
                    .any(|a| resolve(a).is_ok_and(|(_, s)| s.is_write()))
            }));
    if !write {
        return None;
    }
    let reason = w.error()?;
    let err = format!("MISCONF Errors writing to the AOF file: {reason}");
    if exec {
        // Redis's execCommandAbort: the transaction is discarded.
        crate::command::tx::discard_state(srv, client);
        return Some(Reply::error(format!(
            "EXECABORT Transaction discarded because of: {err}"
        )));
    }
    // A write refused while queueing dooms the transaction (EXECABORT).
    client.multi_error |= client.multi.is_some();
    Some(Reply::error(err))
}

/// Runs one command the way a connection would (every check, the gate,
/// stats) and returns its reply; waits out CLIENT PAUSE. Tests and internal
/// callers.
pub fn execute_internal(srv: &Arc<Server>, client: &mut Client, args: &[Vec<u8>]) -> Reply {
    // Nobody would wake an internal client: a blocking command that finds
    // nothing answers nil at once.
    let r = run(srv, client, args, false).unwrap_or_else(|| {
        crate::blocking::cancel(srv, client);
        Reply::NullArray
    });
    flush_stats(srv, client);
    r
}

/// Runs the command; None = held by CLIENT PAUSE (only with `may_hold`),
/// or a blocking command waiting for data (`client.held_blocked`).
fn run(srv: &Arc<Server>, client: &mut Client, args: &[Vec<u8>], may_hold: bool) -> Option<Reply> {
    client.held_blocked = false;
    let (id, spec) = match resolve(args) {
        Ok(x) => x,
        Err(r) => {
            // A command that cannot even be queued dooms the transaction.
            client.multi_error |= client.multi.is_some();
            return Some(r);
        }
    };
    let stats = &srv.stats.cmd[id];
    let rate = srv.hot.rate_limit.load(Relaxed);
    if rate > 0 {
        if let Some(r) = rate_limited(srv, client, rate) {
            stats.rejected_calls.fetch_add(1, Relaxed);
            client.multi_error |= client.multi.is_some();
            return Some(r);
        }
    }
    if !spec.arity_ok(args.len()) {
        stats.rejected_calls.fetch_add(1, Relaxed);
        client.multi_error |= client.multi.is_some();
        return Some(err::arity(&table().full_name(id)));
    }
    if !client.authenticated && spec.flags & crate::command::NO_AUTH == 0 {
        if srv.acl.default_open() {
            client.authenticated = true;
        } else {
            stats.rejected_calls.fetch_add(1, Relaxed);
            client.multi_error |= client.multi.is_some();
            return Some(Reply::err("NOAUTH Authentication required."));
        }
    }
    if let Some(r) = acl_denied(srv, client, id, args) {
        stats.rejected_calls.fetch_add(1, Relaxed);
        client.multi_error |= client.multi.is_some();
        return Some(r);
    }
    let user_rate = srv.hot.user_rate_limit.load(Relaxed);
    if user_rate > 0 {
        if let Some(r) = user_rate_limited(srv, client, user_rate) {
            stats.rejected_calls.fetch_add(1, Relaxed);
            client.multi_error |= client.multi.is_some();
            return Some(r);
        }
    }
    // Redis's processCommand evicts before any command when over the limit,
    // and refuses it only if it may grow memory (src/evict.rs).
    if srv.hot.maxmemory.load(Relaxed) != 0 {
        if let Some(r) = crate::evict::check_command(srv, client, spec) {
            stats.rejected_calls.fetch_add(1, Relaxed);
            return Some(r);
        }
    }
    if client.resp == 2
        && client.info.mail.subscribed()
        // (By full name: LATENCY RESET is not RESET.)
        && !crate::command::pubsub::allowed_while_subscribed(&table().full_name(id))
    {
        client.multi_error |= client.multi.is_some();
        return Some(Reply::error(format!(
            "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
            table().full_name(id)
        )));
    }
    if srv.persist.loading.load(Relaxed) && spec.flags & crate::command::LOADING == 0 {
        client.multi_error |= client.multi.is_some();
        return Some(Reply::err(
            "LOADING FlashDB is loading the dataset in memory",
        ));
    }
    if let Some(r) = refuse_write(srv, spec, client) {
        return Some(r);
    }
    if let Some(r) = crate::obs::monitor::refuse(client, spec) {
        stats.rejected_calls.fetch_add(1, Relaxed);
        client.multi_error |= client.multi.is_some();
        return Some(r);
    }
    if client.multi.is_some() && !crate::command::tx::runs_inside_multi(spec.name) {
        if let Some(q) = client.multi.as_mut() {
            q.push(args.to_vec());
            client.info.multi.store(q.len() as i64, Relaxed);
        }
        return Some(Reply::status("QUEUED"));
    }
    // Like replicas in Redis, MONITOR clients are never paused.
    if srv.pause.is_paused() && !client.info.mail.monitor.load(Relaxed) {
        // EXEC counts as a write when its transaction holds one (Redis 7).
        let write = pause_kind(spec)
            || (spec.flags & crate::command::EXCLUSIVE != 0
                && client.multi.as_ref().is_some_and(|q| {
                    q.iter()
                        .any(|a| resolve(a).is_ok_and(|(_, s)| pause_kind(s)))
                }));
        if !may_hold {
            srv.pause.wait(write, &srv.shutting_down);
        } else if srv.pause.applies(write) && !srv.is_shutting_down() {
            return None;
        }
    }
    client.info.last_cmd.store(id + 1, Relaxed);
    // Server commands (INFO, CONFIG RESETSTAT, ...) see exact stats,
    // including this connection's earlier commands in the same batch.
    if spec.group == "server" && !client.pending_stats.is_empty() {
        flush_stats(srv, client);
    }
    // Commands run inside the shared side of the transaction gate
    // (src/tx.rs). EXCLUSIVE ones run alone: FLUSHDB, FLUSHALL and SWAPDB,
    // which change whole DBs stripe after stripe under one WAL record, take
    // it exclusively here; EXEC takes it itself (its queued commands then
    // run without touching the gate).
    let (_shared, _exclusive) = if spec.flags & crate::command::EXCLUSIVE == 0 {
        (Some(srv.gate.shared()), None)
    } else if spec.name == "exec" {
        (None, None)
    } else {
        (None, Some(srv.gate.exclusive()))
    };
    let reply = call(srv, client, id, spec, args);
    if std::mem::take(&mut client.just_blocked) {
        // The handler registered the client on its keys (src/blocking.rs):
        // the connection holds the command, with no lock and no gate.
        client.held_blocked = true;
        return None;
    }
    Some(reply)
}

/// The ACL check: re-reads the client's user when ACLs changed, then
/// (unless the user may run anything) checks the command against it. Some
/// is the -NOPERM reply; the denial is in ACL LOG.
fn acl_denied(srv: &Server, client: &mut Client, id: usize, args: &[Vec<u8>]) -> Option<Reply> {
    let version = srv.acl.version();
    if client.acl_version != version {
        client.acl_version = version;
        match srv.acl.get(&client.user.name) {
            Some(u) => client.user = u,
            None => {
                // Deleted (ACL DELUSER / ACL LOAD) while connected: the
                // connection is being closed; nothing more runs as it.
                client.user = srv.acl.default_user();
                client.authenticated = false;
                client.info.set_user_name(b"default");
                client.info.kill();
                client.close_after_reply = true;
                return Some(Reply::err("NOAUTH Authentication required."));
            }
        }
    }
    if client.user.allows_all {
        return None;
    }
    let denied = client.user.check(id, args).err()?;
    client.info.last_cmd.store(id + 1, Relaxed);
    log_denied(srv, client, id, args, denied, client.multi.is_some());
    let full = table().full_name(id);
    Some(match denied {
        Denied::Command => Reply::error(format!(
            "NOPERM this user has no permissions to run the '{full}' command"
        )),
        Denied::Key(_) => Reply::err(
            "NOPERM this user has no permissions to access one of the keys used as arguments",
        ),
        Denied::Channel(_) => Reply::err(
            "NOPERM this user has no permissions to access one of the channels used as arguments",
        ),
    })
}

/// Adds a refused command to ACL LOG.
fn log_denied(
    srv: &Server,
    client: &Client,
    id: usize,
    args: &[Vec<u8>],
    denied: Denied,
    in_multi: bool,
) {
    let (reason, object) = match denied {
        Denied::Command => (Reason::Command, table().full_name(id).into_bytes()),
        Denied::Key(i) => (Reason::Key, args[i].clone()),
        Denied::Channel(i) => (Reason::Channel, args[i].clone()),
    };
    srv.acl.log_event(Event {
        reason,
        in_multi,
        object,
        username: client.user.name.clone(),
        client_info: client.info.describe(false),
    });
}

/// A command queued by MULTI, run by EXEC (which holds the gate
/// exclusively): lookup, the ACL check again (rules may have changed since
/// it was queued), the handler, stats, WATCH bookkeeping.
pub fn run_queued(srv: &Arc<Server>, client: &mut Client, args: &[Vec<u8>]) -> Reply {
    let reply = match resolve(args) {
        Ok((id, spec)) => match (!client.user.allows_all)
            .then(|| client.user.check(id, args).err())
            .flatten()
        {
            Some(denied) => {
                log_denied(srv, client, id, args, denied, true);
                let why = match denied {
                    Denied::Command => "no permission to execute the command or subcommand",
                    Denied::Key(_) => "no permission to touch the specified keys",
                    Denied::Channel(_) => {
                        "no permission to access one of the channels used as arguments"
                    }
                };
                Reply::error(format!("NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: {why}"))
            }
            None => call(srv, client, id, spec, args),
        },
        Err(r) => r,
    };
    if let Reply::Error(e) = &reply {
        srv.stats.error(e);
    }
    if client.info.mail.has_mail() && !client.info.tracking.on() {
        // A message this command published to the client itself goes
        // right before its reply, inside EXEC's array, as in Redis (not
        // for a tracking client: see `execute`).
        let mut raw = Vec::new();
        client.info.mail.take_into(&mut raw);
        reply.encode(&mut raw, client.resp);
        return Reply::Raw(raw);
    }
    reply
}

/// Runs the handler (a panic becomes an error reply), counts it, and tells
/// WATCH about the keys a write touched.
fn call(
    srv: &Arc<Server>,
    client: &mut Client,
    id: usize,
    spec: &CommandSpec,
    args: &[Vec<u8>],
) -> Reply {
    let start = Instant::now();
    // A blocked command re-run after a wake-up (src/blocking.rs).
    let rerun = client.blocked.is_some();
    let handler = spec.handler;
    let db = client.db;
    if srv.watches.active() && matches!(spec.name, "flushdb" | "flushall" | "swapdb") {
        touch_whole_dbs(srv, db, spec.name, args);
    }
    // Client-side caching (src/tracking.rs): a tracking client's reads are
    // remembered before they run, so a write racing with the read on
    // another thread invalidates it; whether a write changed anything is
    // whether it logged a record (a thread-local count: free). Checked
    // again after the command, so a write racing the first CLIENT TRACKING
    // ON still invalidates.
    if crate::tracking::armed() {
        remember_reads(client, spec, args);
    }
    let logged_before = crate::persist::logged_here();
    let reply = {
        let mut ctx = Ctx { srv, client };
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handler(&mut ctx, args))) {
            Ok(r) => r,
            Err(_) => {
                crate::warning!(
                    "command '{}' panicked; the client gets an error",
                    table().full_name(id)
                );
                Reply::err("ERR internal error while running the command")
            }
        }
    };
    if client.just_blocked {
        // Counted when it is served (or times out), as Redis does.
        crate::obs::on_blocked(client, spec, args, rerun);
        return reply;
    }
    let us = start.elapsed().as_micros() as u64;
    let failed = reply.is_error() as u64;
    if crate::audit::enabled() {
        audit(client, id, spec, args, &reply);
    }
    if spec.is_write() && failed == 0 && srv.watches.active() {
        touch_watched(srv, db, spec, args);
    }
    if spec.is_write() && failed == 0 && srv.blocking.blocked_clients() > 0 {
        signal_keys(srv, db, spec, args);
    }
    if crate::tracking::armed() {
        invalidate_writes(db, spec, args, failed == 0, logged_before);
    }
    match client.pending_stats.iter_mut().find(|p| p.0 == id) {
        Some(p) => {
            p.1 += 1;
            p.2 += us;
            p.3 += failed;
        }
        None => client.pending_stats.push((id, 1, us, failed)),
    }
    // Histogram, slow log, latency monitor, MONITOR (src/obs).
    crate::obs::after_call(client, id, spec, args, us, &reply, rerun);
    if client.pending_stats.len() > 16 || crate::obs::batch_full(client) {
        flush_stats(srv, client);
    }
    reply
}

/// Writes the audit log line for a command that needs one: admin
/// commands, FLUSHDB / FLUSHALL / SWAPDB, and failed authentication
/// (src/audit.rs; never an argument value).
fn audit(client: &Client, id: usize, spec: &CommandSpec, args: &[Vec<u8>], reply: &Reply) {
    let full = table().full_name(id);
    let result = match reply {
        Reply::Error(e) => e.split(' ').next().unwrap_or("ERR").to_string(),
        _ => "ok".to_string(),
    };
    let user = String::from_utf8_lossy(&client.user.name);
    let who = crate::audit::Who {
        client_id: client.id,
        addr: client.info.addr.to_string(),
        user: &user,
    };
    if matches!(spec.name, "auth" | "hello") {
        if result == "WRONGPASS" {
            // The user name tried (never the password).
            let tried = match spec.name {
                "auth" if args.len() == 3 => String::from_utf8_lossy(&args[1]).into_owned(),
                "hello" => args
                    .iter()
                    .position(|a| a.eq_ignore_ascii_case(b"auth"))
                    .and_then(|i| args.get(i + 1))
                    .map(|u| String::from_utf8_lossy(u).into_owned())
                    .unwrap_or_else(|| "default".into()),
                _ => "default".into(),
            };
            crate::audit::record(
                "auth_failure",
                &who,
                &[("command", &full), ("attempted_user", &tried)],
            );
        }
        return;
    }
    let admin = spec.flags & crate::command::ADMIN != 0
        || matches!(spec.name, "flushdb" | "flushall" | "swapdb");
    if !admin {
        return;
    }
    let details = crate::audit::safe_details(&full, args);
    let mut fields: Vec<(&str, &str)> = vec![("command", &full), ("result", &result)];
    if let Some((k, v)) = &details {
        fields.push((k, v));
    }
    let killed;
    if full == "client|kill" {
        if let Reply::Int(n) = reply {
            killed = n.to_string();
            fields.push(("killed", &killed));
        }
    }
    crate::audit::record("command", &who, &fields);
}

/// Before FLUSHDB / FLUSHALL / SWAPDB: the watched keys that exist in the
/// DBs they change are about to change.
fn touch_whole_dbs(srv: &Server, db: usize, name: &str, args: &[Vec<u8>]) {
    let dbs: Vec<usize> = match name {
        "flushdb" => vec![db],
        "swapdb" => args[1..]
            .iter()
            .filter_map(|a| std::str::from_utf8(a).ok()?.parse().ok())
            .collect(),
        _ => (0..srv.store.dbs.len()).collect(),
    };
    let now = crate::store::now_ms();
    let exists = |d: usize, k: &[u8]| {
        // SWAPDB: a key present in either DB changes.
        let check = |d: usize| {
            srv.store.dbs.get(d).is_some_and(|db| {
                let (s, h) = db.read(k);
                s.peek(h, k, now).is_some()
            })
        };
        check(d) || (name == "swapdb" && dbs.iter().any(|&o| o != d && check(o)))
    };
    srv.watches.touch_dbs(|d| dbs.contains(&d), exists);
}

/// Calls `f(db, key)` for each key a write command names: the table's key
/// positions (or COMMAND GETKEYS's rules for movable keys), plus the key in
/// the other database for MOVE and COPY ... DB n.
fn for_each_written_key(
    db: usize,
    spec: &CommandSpec,
    args: &[Vec<u8>],
    mut f: impl FnMut(usize, &[u8]),
) {
    for i in crate::command::docs::command_keys(args) {
        f(db, &args[i]);
    }
    let other_db = match spec.name {
        "move" => args.get(2),
        "copy" => args
            .iter()
            .position(|a| a.eq_ignore_ascii_case(b"db"))
            .and_then(|i| args.get(i + 1)),
        _ => None,
    };
    if let Some(n) = other_db.and_then(|a| std::str::from_utf8(a).ok()?.parse::<usize>().ok()) {
        let dst = if spec.name == "copy" {
            &args[2]
        } else {
            &args[1]
        };
        f(n, dst);
    }
}

/// Marks the watchers of every key a successful write named as dirty.
fn touch_watched(srv: &Server, db: usize, spec: &CommandSpec, args: &[Vec<u8>]) {
    if matches!(spec.name, "flushdb" | "flushall" | "swapdb") {
        return; // handled before the command ran (touch_whole_dbs)
    }
    if spec.name == "migrate" {
        return; // touches the keys it deleted itself (not COPY's)
    }
    for_each_written_key(db, spec, args, |d, k| srv.watches.touch(d, k));
}

/// After a successful write: the clients blocked on the keys it named may
/// be served now (src/blocking.rs; waking for a key that got no data is
/// harmless, the client re-runs and waits again).
fn signal_keys(srv: &Server, db: usize, spec: &CommandSpec, args: &[Vec<u8>]) {
    let b = &srv.blocking;
    if spec.name == "swapdb" {
        for a in &args[1..] {
            if let Some(d) = std::str::from_utf8(a).ok().and_then(|x| x.parse().ok()) {
                b.signal_db(d);
            }
        }
        return;
    }
    for_each_written_key(db, spec, args, |d, k| b.signal(d, k));
}

/// Client-side caching before a command runs: a read-only command of a
/// tracking client remembers its keys (Redis does it after the command;
/// here commands run in parallel, and an invalidation that arrives while
/// the command runs is sent after its reply, so remembering first never
/// misses a write that the read did not see).
fn remember_reads(client: &Client, spec: &CommandSpec, args: &[Vec<u8>]) {
    if spec.flags & crate::command::READONLY != 0
        && spec.flags & crate::command::PUBSUB == 0
        && client.info.tracking.on()
    {
        let keys = crate::command::docs::command_keys(args);
        crate::tracking::remember(&client.info, keys.into_iter().map(|i| args[i].as_slice()));
    }
}

/// Client-side caching after a command ran: a write that changed something
/// invalidates the keys it names (FLUSHDB / FLUSHALL: every key).
fn invalidate_writes(
    db: usize,
    spec: &CommandSpec,
    args: &[Vec<u8>],
    ok: bool,
    logged_before: u64,
) {
    if spec.is_write() && ok {
        match spec.name {
            // Even an empty DB's flush.
            "flushdb" | "flushall" => crate::tracking::invalidate_all(),
            // Redis 7.0 leaves tracking alone on SWAPDB.
            "swapdb" => {}
            _ if crate::persist::logged_here() != logged_before => {
                for_each_written_key(db, spec, args, |_, k| crate::tracking::invalidate_key(k))
            }
            _ => {}
        }
    }
}

/// Adds the batch's command stats to the shared counters: once per batch
/// instead of three contended atomic adds per command.
pub fn flush_stats(srv: &Server, client: &mut Client) {
    let mut total = 0;
    for (id, calls, us, failed) in client.pending_stats.drain(..) {
        let st = &srv.stats.cmd[id];
        st.calls.fetch_add(calls, Relaxed);
        st.usec.fetch_add(us, Relaxed);
        if failed > 0 {
            st.failed_calls.fetch_add(failed, Relaxed);
        }
        total += calls;
    }
    if total > 0 {
        srv.stats.commands_processed.fetch_add(total, Relaxed);
    }
    crate::obs::flush(srv, client);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(v: &[&str]) -> Vec<Vec<u8>> {
        v.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    #[test]
    fn unknown_command_text() {
        let r = unknown_command(&a(&["foo", "a", "b"]));
        assert_eq!(
            r,
            Reply::error("ERR unknown command 'foo', with args beginning with: 'a' 'b' ".into())
        );
        let r = unknown_command(&a(&["foo"]));
        assert_eq!(
            r,
            Reply::error("ERR unknown command 'foo', with args beginning with: ".into())
        );
        let long = "x".repeat(300);
        if let Reply::Error(e) = unknown_command(&a(&["foo", &long, "y"])) {
            assert_eq!(e.matches('x').count(), 128);
            assert!(!e.contains('y'));
        }
    }

    #[test]
    fn subcommand_resolution() {
        assert!(resolve(&a(&["CONFIG", "GET", "x"])).is_ok());
        match resolve(&a(&["config", "nope"])) {
            Err(Reply::Error(e)) => {
                assert_eq!(e, "ERR unknown subcommand 'nope'. Try CONFIG HELP.")
            }
            _ => panic!(),
        }
    }
}
