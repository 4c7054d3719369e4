//! DUMP and RESTORE: a key's value in Redis's RDB encoding (src/persist/rdb),
//! so values move between Redis and FlashDB with the tools that use them.
//!
//! ```text
//! DUMP key                  -> $<payload> | $-1
//! RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
//! ```
//!
//! Replies and the order of checks follow Redis 7.0's `cluster.c`
//! (options, then BUSYKEY, then the TTL, then the payload's version and
//! checksum, then its content). The payload FlashDB writes uses the plain
//! encodings Redis 7.0 RESTORE accepts, and Redis 7.0's listpack nodes for
//! a stream (see the rdb module).
//!
//! WAL: a restored key is logged as its effect, the key rebuilt as exactly
//! the restored entry with its absolute deadline (`Batch::entry`: DEL,
//! then RPUSH/SADD/ZADD/HSET/SET chunks, or for a stream `RESTORE key 0`
//! of its DUMP payload, then PEXPIREAT), one batch, so
//! replay and snapshots give the same key whatever the day. A TTL already
//! past deletes a replaced key (logged `DEL`, event `del`) and creates
//! nothing. Keyspace event: `restore` (class g), and `new` when it creates.

use super::args::{int, is};
use super::*;
use crate::persist::rdb::{self, PayloadError};
use crate::persist::{log, Batch};
use crate::pubsub::{notify, NOTIFY_GENERIC};
use crate::resp::Reply;
use crate::server::Ctx;
use crate::store::{now_ms, Entry};

pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("dump", 2, READONLY, KEY1, dump)
        .doc("generic", "2.6.0", "Return a serialized version of the value stored at the specified key.")
        .acl(&["keyspace"])
        .syntax("key")
        .complexity("O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1)."),
    CommandSpec::new("restore", -4, WRITE | DENYOOM, KEY1, restore)
        .doc("generic", "2.6.0", "Create a key using the provided serialized value, previously obtained using DUMP.")
        .acl(&["keyspace", "dangerous"])
        .syntax("key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]")
        .complexity("O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N))."),
];

/// DUMP key: the payload, or a null reply when the key does not exist.
fn dump(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let (db, key) = (ctx.client.db, args[1].as_slice());
    let store = ctx.store();
    let now = now_ms();
    let payload = {
        let l = store.lock(&[(db, key)], false);
        let (s, h) = l.stripe(store, db, key);
        s.get(h, key, now).map(|e| rdb::dump(&e.value))
    };
    ctx.lookup(key, payload.is_some());
    match payload {
        Some(p) => Reply::Bulk(p),
        None => Reply::Null,
    }
}

/// RESTORE's options.
struct Opts {
    replace: bool,
    absttl: bool,
    idle: Option<u64>,
    freq: Option<u8>,
}

fn restore_opts(args: &[Vec<u8>]) -> Result<Opts, Reply> {
    let mut o = Opts {
        replace: false,
        absttl: false,
        idle: None,
        freq: None,
    };
    let mut j = 4;
    while j < args.len() {
        let additional = args.len() - j - 1;
        if is(&args[j], "replace") {
            o.replace = true;
        } else if is(&args[j], "absttl") {
            o.absttl = true;
        } else if is(&args[j], "idletime") && additional >= 1 && o.freq.is_none() {
            let v = int(&args[j + 1])?;
            if v < 0 {
                return Err(Reply::err("ERR Invalid IDLETIME value, must be >= 0"));
            }
            o.idle = Some(v as u64);
            j += 1;
        } else if is(&args[j], "freq") && additional >= 1 && o.idle.is_none() {
            let v = int(&args[j + 1])?;
            if !(0..=255).contains(&v) {
                return Err(Reply::err(
                    "ERR Invalid FREQ value, must be >= 0 and <= 255",
                ));
            }
            o.freq = Some(v as u8);
            j += 1;
        } else {
            return Err(err::syntax());
        }
        j += 1;
    }
    Ok(o)
}

/// RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f].
fn restore(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let o = match restore_opts(args) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let (db, key) = (ctx.client.db, args[1].as_slice());
    // Decoded before taking the lock (a big payload must not hold up the
    // stripe); its errors are still reported in Redis's order, after
    // BUSYKEY and the TTL's.
    let limits = crate::persist::snapshot::Limits::from_hot(&ctx.srv.hot);
    let decoded = match rdb::restore(&args[3]) {
        Ok(v) => v.into_value(&limits).map_err(|why| {
            crate::verbose!("RESTORE: bad payload: {}", why);
            Reply::err("ERR Bad data format")
        }),
        Err(PayloadError::VersionOrChecksum) => {
            Err(Reply::err("ERR DUMP payload version or checksum are wrong"))
        }
        Err(PayloadError::BadFormat(e)) => {
            crate::verbose!("RESTORE: bad payload: {}", e);
            Err(Reply::err("ERR Bad data format"))
        }
    };
    let store = ctx.store();
    let now = now_ms();
    let replaced = {
        let mut l = store.lock(&[(db, key)], true);
        let (s, h) = l.stripe_mut(store, db, key);
        if !o.replace && s.get_mut(h, key, now).is_some() {
            return Reply::err("BUSYKEY Target key name already exists.");
        }
        let ttl = match int(&args[2]) {
            Ok(t) if t < 0 => return Reply::err("ERR Invalid TTL value, must be >= 0"),
            Ok(t) => t as u64,
            Err(e) => return e,
        };
        let value = match decoded {
            Ok(v) => v,
            Err(e) => return e,
        };
        let replaced = if o.replace { s.remove(h, key) } else { None };
        let deadline = match (ttl, o.absttl) {
            (0, _) => 0,
            (t, true) => t,
            (t, false) => t.saturating_add(now),
        };
        if deadline != 0 && deadline <= now {
            // Already expired: nothing is created; a replaced key is gone.
            if replaced.is_some() {
                log(db, &[&b"DEL"[..], key]);
                notify(NOTIFY_GENERIC, "del", key, db);
            }
            return Reply::ok();
        }
        let e = Entry::new(value, deadline);
        e.set_access(o.freq, o.idle);
        let mut batch = Batch::new();
        batch.entry(db, key, &e);
        s.insert(h, key, e);
        batch.commit();
        notify(NOTIFY_GENERIC, "restore", key, db);
        replaced
    };
    drop(replaced); // outside the lock
    Reply::ok()
}
