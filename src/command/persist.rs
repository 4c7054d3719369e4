//! Persistence commands: SAVE, BGSAVE, BGREWRITEAOF, LASTSAVE. A FlashDB
//! snapshot is taken stripe by stripe without stopping the server
//! (src/persist/snapshot.rs), so SAVE blocks only its own client.
//! BGREWRITEAOF is a snapshot too: it is what lets the WAL segments it
//! covers be deleted, which is what rewriting the AOF achieves in Redis.

use super::{
    CommandSpec, ADMIN, FAST, LOADING, NOSCRIPT, NO_ASYNC_LOADING, NO_KEYS, NO_MULTI, STALE,
};
use crate::persist::saver;
use crate::resp::Reply;
use crate::server::Ctx;
use std::sync::atomic::Ordering::Relaxed;

pub static COMMANDS: &[CommandSpec] = &[
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
