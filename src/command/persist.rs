//! Persistence commands: SAVE, BGSAVE, BGREWRITEAOF, LASTSAVE, and WAIT.
//! A FlashDB
//! snapshot is taken stripe by stripe without stopping the server
//! (src/persist/snapshot.rs), so SAVE blocks only its own client.
//! BGREWRITEAOF is a snapshot too: it is what lets the WAL segments it
//! covers be deleted, which is what rewriting the AOF achieves in Redis.
//!
//! WAIT answers as a Redis primary without replicas does (FlashDB has no
//! replication): the number of replicas that acknowledged is 0, at once
//! when 0 were asked for (or inside MULTI), else when the timeout ends
//! (0 = never, as in Redis), or when CLIENT UNBLOCK ends the wait.

use super::{
    CommandSpec, ADMIN, FAST, LOADING, NOSCRIPT, NO_ASYNC_LOADING, NO_KEYS, NO_MULTI, STALE,
};
use crate::blocking;
use crate::persist::saver;
use crate::resp::Reply;
use crate::server::Ctx;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("wait", 3, NOSCRIPT, NO_KEYS, wait)
        .doc(
            "generic",
            "3.0.0",
            "Wait for the synchronous replication of all the write commands sent in the context of the current connection",
        )
        .acl(&["connection"])
        .syntax("numreplicas timeout")
        .complexity("O(1)"),
    CommandSpec::new(
        "save",
        1,
        ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI,
        NO_KEYS,
        save,
    )
    .doc(
        "server",
        "1.0.0",
        "Synchronously saves the database(s) to disk.",
    )
    .complexity("O(N) where N is the total number of keys in all databases"),
    CommandSpec::new(
        "bgsave",
        -1,
        ADMIN | NOSCRIPT | NO_ASYNC_LOADING,
        NO_KEYS,
        bgsave,
    )
    .doc(
        "server",
        "1.0.0",
        "Asynchronously saves the database(s) to disk.",
    )
    .syntax("[SCHEDULE]")
    .complexity("O(1)"),
    CommandSpec::new(
        "bgrewriteaof",
        1,
        ADMIN | NOSCRIPT | NO_ASYNC_LOADING,
        NO_KEYS,
        bgrewriteaof,
    )
    .doc(
        "server",
        "1.0.0",
        "Asynchronously rewrites the append-only file to disk.",
    )
    .complexity("O(1)"),
    CommandSpec::new("lastsave", 1, LOADING | STALE | FAST, NO_KEYS, lastsave)
        .doc(
            "server",
            "1.0.0",
            "Returns the Unix timestamp of the last successful save to disk.",
        )
        .acl(&["admin", "dangerous"])
        .complexity("O(1)"),
];

fn save(ctx: &mut Ctx, _: &[Vec<u8>]) -> Reply {
    if ctx.srv.persist.in_progress.load(Relaxed) {
        return Reply::err("ERR Background save already in progress");
    }
    match saver::save(ctx.srv) {
        Ok(_) => Reply::ok(),
        Err(_) => Reply::err("ERR"),
    }
}

fn bgsave(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let schedule = match args.len() {
        1 => false,
        2 if args[1].eq_ignore_ascii_case(b"schedule") => true,
        _ => return Reply::err("ERR syntax error"),
    };
    match saver::bgsave(ctx.srv) {
        Ok(()) => Reply::status("Background saving started"),
        Err(_) if schedule => {
            saver::schedule(ctx.srv);
            Reply::status("Background saving scheduled")
        }
        Err(e) => Reply::err(e),
    }
}

fn bgrewriteaof(ctx: &mut Ctx, _: &[Vec<u8>]) -> Reply {
    match saver::bgsave(ctx.srv) {
        Ok(()) => Reply::status("Background append only file rewriting started"),
        Err(_) => {
            saver::schedule(ctx.srv);
            Reply::status("Background append only file rewriting scheduled")
        }
    }
}

fn lastsave(ctx: &mut Ctx, _: &[Vec<u8>]) -> Reply {
    Reply::Int(ctx.srv.persist.last_save.load(Relaxed) as i64)
}

/// WAIT numreplicas timeout: 0 replicas acknowledge (there are none).
fn wait(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let want = match super::args::int(&args[1]) {
        Ok(n) => n,
        Err(e) => return e,
    };
    let ms = match crate::store::value::parse_i64(&args[2]) {
        Some(ms) if ms < 0 => return Reply::err("ERR timeout is negative"),
        Some(ms) => ms as u64,
        None => return Reply::err("ERR timeout is not an integer or out of range"),
    };
    if let Some(r) = blocking::unblocked(ctx) {
        return r;
    }
    let acked = 0;
    if want <= acked {
        return Reply::Int(acked);
    }
    let timeout = (ms > 0).then(|| Duration::from_millis(ms));
    blocking::block(ctx, &[], timeout, Reply::Int(acked))
}
