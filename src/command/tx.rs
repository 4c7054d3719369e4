//! Transaction commands: MULTI EXEC DISCARD WATCH UNWATCH. Queueing itself
//! happens in exec.rs (every command passes there); atomicity and the WATCH
//! registry live in src/tx.rs.

use super::*;
use crate::resp::Reply;
use crate::server::{Client, Ctx, Server};
use std::sync::atomic::Ordering;

const TX: &[&str] = &["transaction"];
const QUICK: u32 = NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY;

pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("multi", 1, QUICK, NO_KEYS, multi)
        .doc("transactions", "1.2.0", "Starts a transaction.")
        .acl(TX)
        .complexity("O(1)"),
    CommandSpec::new(
        "exec",
        1,
        NOSCRIPT | LOADING | STALE | SKIP_SLOWLOG | EXCLUSIVE,
        NO_KEYS,
        exec,
    )
    .doc(
        "transactions",
        "1.2.0",
        "Executes all commands in a transaction.",
    )
    .acl(TX)
    .complexity("Depends on commands in the transaction"),
    CommandSpec::new("discard", 1, QUICK, NO_KEYS, discard)
        .doc("transactions", "2.0.0", "Discards a transaction.")
        .acl(TX)
        .complexity("O(N), when N is the number of queued commands"),
    CommandSpec::new("watch", -2, QUICK, ALL_KEYS, watch)
        .doc(
            "transactions",
            "2.2.0",
            "Monitors changes to keys to determine the execution of a transaction.",
        )
        .acl(TX)
        .syntax("key [key ...]")
        .complexity("O(1) for every key."),
    CommandSpec::new("unwatch", 1, QUICK, NO_KEYS, unwatch)
        .doc(
            "transactions",
            "2.2.0",
            "Forgets about watched keys of a transaction.",
        )
        .acl(TX)
        .complexity("O(1)"),
];

/// Commands that run at once even inside MULTI (everything else is queued).
pub fn runs_inside_multi(name: &str) -> bool {
    matches!(
        name,
        "exec" | "discard" | "multi" | "watch" | "quit" | "reset"
    )
}

fn multi(ctx: &mut Ctx, _: &[Vec<u8>]) -> Reply {
    if ctx.client.multi.is_some() {
        return Reply::err("ERR MULTI calls can not be nested");
    }
    ctx.client.multi = Some(Vec::new());
    ctx.client.multi_error = false;
    ctx.client.info.multi.store(0, Ordering::Relaxed);
    Reply::ok()
}

/// Forgets the client's watched keys (after EXEC, DISCARD, UNWATCH, RESET,
/// and when the connection closes).
pub fn unwatch_all(srv: &Server, client: &mut Client) {
    let keys = std::mem::take(&mut client.watched);
    srv.watches.unwatch(client.id, &keys);
    client.watched_volatile.clear();
    client.watch_dirty.store(false, Ordering::SeqCst);
}

/// Leaves MULTI state and forgets watched keys.
pub fn discard_state(srv: &Server, client: &mut Client) {
    client.multi = None;
    client.info.multi.store(-1, Ordering::Relaxed);
    client.multi_error = false;
    unwatch_all(srv, client);
}

fn exec(ctx: &mut Ctx, _: &[Vec<u8>]) -> Reply {
    let Some(queue) = ctx.client.multi.take() else {
        return Reply::err("ERR EXEC without MULTI");
    };
    ctx.client.info.multi.store(-1, Ordering::Relaxed);
    let srv = ctx.srv.clone();
    if ctx.client.multi_error {
        discard_state(&srv, ctx.client);
        return Reply::err("EXECABORT Transaction discarded because of previous errors.");
    }
    // Nothing else runs while the queued commands do (exec.rs does not
    // take the shared gate for EXEC).
    let _exclusive = srv.gate.exclusive();
    if ctx.client.watch_dirty.load(Ordering::SeqCst) || watched_key_expired(&srv, ctx.client) {
        discard_state(&srv, ctx.client);
        return Reply::NullArray;
    }
    // The transaction's records reach the WAL as one batch: all or nothing
    // after a crash. Holding the gate keeps everything else (commands,
    // active expiry, the snapshotter) out meanwhile, so log order is still
    // apply order.
    ctx.client.in_exec = true;
    let replies = crate::persist::in_transaction(|| {
        queue
            .iter()
            .map(|args| crate::exec::run_queued(&srv, ctx.client, args))
            .collect()
    });
    ctx.client.in_exec = false;
    discard_state(&srv, ctx.client);
    Reply::Array(replies)
}

/// Whether a key that had a TTL and was live when watched has expired
/// since (deleted by the expiry cycle, it already made the watch dirty).
fn watched_key_expired(srv: &Server, client: &Client) -> bool {
    let now = crate::store::now_ms();
    client.watched_volatile.iter().any(|(db, k)| {
        let (s, h) = srv.store.dbs[*db].read(k);
        s.dict.get(h, k).is_some_and(|e| e.is_expired(now))
    })
}

fn discard(ctx: &mut Ctx, _: &[Vec<u8>]) -> Reply {
    if ctx.client.multi.is_none() {
        return Reply::err("ERR DISCARD without MULTI");
    }
    let srv = ctx.srv.clone();
    discard_state(&srv, ctx.client);
    Reply::ok()
}

fn watch(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    if ctx.client.multi.is_some() {
        return Reply::err("ERR WATCH inside MULTI is not allowed");
    }
    let db = ctx.client.db;
    for k in &args[1..] {
        if ctx
            .srv
            .watches
            .watch(db, k, ctx.client.id, &ctx.client.watch_dirty)
        {
            ctx.client.watched.push((db, k.clone()));
            let (s, h) = ctx.srv.store.dbs[db].read(k);
            let now = crate::store::now_ms();
            if s.peek(h, k, now).is_some_and(|e| e.expire_at != 0) {
                ctx.client.watched_volatile.push((db, k.clone()));
            }
        }
    }
    Reply::ok()
}

fn unwatch(ctx: &mut Ctx, _: &[Vec<u8>]) -> Reply {
    let srv = ctx.srv.clone();
    unwatch_all(&srv, ctx.client);
    Reply::ok()
}

#[cfg(test)]
mod tests {
    use crate::command::testutil::{client, run};
    use crate::config::Config;
    use crate::resp::Reply;
    use crate::server::Server;
    use std::sync::Arc;

    /// A watched key whose TTL passed while it is still in memory (the
    /// expiry cycle has not reached it) fails EXEC; one that was already
    /// expired when watched, or has no TTL, does not.
    #[test]
    fn exec_fails_when_a_watched_key_expired_in_place() {
        let srv = Arc::new(Server::new(Config::default()));
        let mut c = client();
        let expire_in_place = |k: &str| {
            let (mut s, h) = srv.store.dbs[0].write(k.as_bytes());
            assert!(s.set_expire(h, k.as_bytes(), 1));
        };
        run(&srv, &mut c, &["SET", "w", "v", "EX", "1000"]);
        run(&srv, &mut c, &["SET", "plain", "v"]);
        run(&srv, &mut c, &["WATCH", "w", "plain"]);
        expire_in_place("w");
        run(&srv, &mut c, &["MULTI"]);
        assert!(matches!(run(&srv, &mut c, &["EXEC"]), Reply::NullArray));
        // Already expired when watched: not a change.
        run(&srv, &mut c, &["WATCH", "w"]);
        run(&srv, &mut c, &["MULTI"]);
        assert!(matches!(run(&srv, &mut c, &["EXEC"]), Reply::Array(_)));
    }
}
