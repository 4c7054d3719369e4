//! Generic key commands: DEL UNLINK EXISTS TYPE RENAME RENAMENX COPY MOVE
//! KEYS SCAN RANDOMKEY TOUCH, the TTL family (EXPIRE PEXPIRE EXPIREAT
//! PEXPIREAT TTL PTTL EXPIRETIME PEXPIRETIME PERSIST), OBJECT and SWAPDB.
//!
//! Semantics follow Redis 7.0 (`db.c`, `expire.c`, `object.c`), including
//! the order in which arguments are validated, so errors match byte for byte.
//!
//! Access clock (OBJECT IDLETIME): like Redis, every lookup records the
//! access (`Stripe::get`/`get_mut`, an atomic store that readers can do
//! under the stripe's read lock), except the introspection commands TYPE,
//! EXISTS, the TTL family and OBJECT, which use `Stripe::peek`.
//!
//! WAL (persist/mod.rs): changes are logged as their effects under the
//! stripe locks: DEL/UNLINK a batch of `DEL` per key removed; EXPIRE and
//! its variants `PEXPIREAT k <absolute>` when applied, `DEL k` when the
//! deadline has passed; PERSIST itself when it removed a TTL; RENAME /
//! RENAMENX `DEL src` + the destination rebuilt as the moved entry (TTL
//! included), MOVE the same across DBs, COPY the destination rebuilt, each
//! one batch; SWAPDB a SWAPDB record, under the exclusive gate
//! (the command is EXCLUSIVE: exec.rs takes the gate).
//!
//! Keyspace notifications as db.c / expire.c: `del` per key removed (DEL,
//! UNLINK, EXPIRE to a past deadline), `rename_from` + `rename_to`,
//! `move_from` + `move_to` (each in its own DB), `copy_to`, `expire`,
//! `persist`; `new` when RENAME / COPY / MOVE create the destination (also
//! over a replaced one, as Redis deletes it first); `keymiss` where Redis
//! looks up for reading (EXISTS, TYPE, TOUCH, COPY's source, the TTL
//! family; not OBJECT). FLUSHDB, FLUSHALL and SWAPDB notify nothing.

use super::args::{int, is, text};
use super::*;
use crate::persist::{log, Batch};
use crate::pubsub::{notify, NOTIFY_GENERIC};
use crate::resp::Reply;
use crate::server::Ctx;
use crate::store::value::LAZYFREE_THRESHOLD;
use crate::store::{now_ms, Entry, Value};

const KEYSPACE: &[&str] = &["keyspace"];
const KEYSPACE_DANGEROUS: &[&str] = &["keyspace", "dangerous"];

pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("del", -2, WRITE, ALL_KEYS, del)
        .doc("generic", "1.0.0", "Deletes one or more keys.")
        .acl(KEYSPACE)
        .syntax("key [key ...]")
        .complexity("O(N) where N is the number of keys that will be removed."),
    CommandSpec::new("unlink", -2, WRITE | FAST, ALL_KEYS, unlink)
        .doc("generic", "4.0.0", "Asynchronously deletes one or more keys.")
        .acl(KEYSPACE)
        .syntax("key [key ...]")
        .complexity("O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of."),
    CommandSpec::new("exists", -2, READONLY | FAST, ALL_KEYS, exists)
        .doc("generic", "1.0.0", "Determines whether one or more keys exist.")
        .acl(KEYSPACE)
        .syntax("key [key ...]")
        .complexity("O(N) where N is the number of keys to check."),
    CommandSpec::new("type", 2, READONLY | FAST, KEY1, type_cmd)
        .doc("generic", "1.0.0", "Determines the type of value stored at a key.")
        .acl(KEYSPACE)
        .syntax("key")
        .complexity("O(1)"),
    CommandSpec::new("rename", 3, WRITE, KEYS_1_2, rename)
        .doc("generic", "1.0.0", "Renames a key and overwrites the destination.")
        .acl(KEYSPACE)
        .syntax("key newkey")
        .complexity("O(1)"),
    CommandSpec::new("renamenx", 3, WRITE | FAST, KEYS_1_2, renamenx)
        .doc("generic", "1.0.0", "Renames a key only when the target key name doesn't exist.")
        .acl(KEYSPACE)
        .syntax("key newkey")
        .complexity("O(1)"),
    CommandSpec::new("copy", -3, WRITE | DENYOOM, KEYS_1_2, copy)
        .doc("generic", "6.2.0", "Copies the value of a key to a new key.")
        .acl(KEYSPACE)
        .syntax("source destination [DB destination-db] [REPLACE]")
        .complexity("O(N) worst case for collections, where N is the number of nested items. O(1) for string values."),
    CommandSpec::new("move", 3, WRITE | FAST, KEY1, move_cmd)
        .doc("generic", "1.0.0", "Moves a key to another database.")
        .acl(KEYSPACE)
        .syntax("key db")
        .complexity("O(1)"),
    CommandSpec::new("keys", 2, READONLY, NO_KEYS, keys)
        .doc("generic", "1.0.0", "Returns all key names that match a pattern.")
        .acl(KEYSPACE_DANGEROUS)
        .syntax("pattern")
        .complexity("O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length."),
    CommandSpec::new("scan", -2, READONLY, NO_KEYS, scan)
        .doc("generic", "2.8.0", "Iterates over the key names in the database.")
        .acl(KEYSPACE)
        .syntax("cursor [MATCH pattern] [COUNT count] [TYPE type]")
        .complexity("O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection."),
    CommandSpec::new("randomkey", 1, READONLY, NO_KEYS, randomkey)
        .doc("generic", "1.0.0", "Returns a random key name from the database.")
        .acl(KEYSPACE)
        .complexity("O(1)"),
    CommandSpec::new("touch", -2, READONLY | FAST, ALL_KEYS, touch)
        .doc("generic", "3.2.1", "Returns the number of existing keys out of those specified after updating the time they were last accessed.")
        .acl(KEYSPACE)
        .syntax("key [key ...]")
        .complexity("O(N) where N is the number of keys that will be touched."),
    CommandSpec::new("expire", -3, WRITE | FAST, KEY1, expire)
        .doc("generic", "1.0.0", "Sets the expiration time of a key in seconds.")
        .acl(KEYSPACE)
        .syntax("key seconds [NX | XX | GT | LT]")
        .complexity("O(1)"),
    CommandSpec::new("pexpire", -3, WRITE | FAST, KEY1, pexpire)
        .doc("generic", "2.6.0", "Sets the expiration time of a key in milliseconds.")
        .acl(KEYSPACE)
        .syntax("key milliseconds [NX | XX | GT | LT]")
        .complexity("O(1)"),
    CommandSpec::new("expireat", -3, WRITE | FAST, KEY1, expireat)
        .doc("generic", "1.2.0", "Sets the expiration time of a key to a Unix timestamp.")
        .acl(KEYSPACE)
        .syntax("key unix-time-seconds [NX | XX | GT | LT]")
        .complexity("O(1)"),
    CommandSpec::new("pexpireat", -3, WRITE | FAST, KEY1, pexpireat)
        .doc("generic", "2.6.0", "Sets the expiration time of a key to a Unix milliseconds timestamp.")
        .acl(KEYSPACE)
        .syntax("key unix-time-milliseconds [NX | XX | GT | LT]")
        .complexity("O(1)"),
    CommandSpec::new("ttl", 2, READONLY | FAST, KEY1, ttl)
        .doc("generic", "1.0.0", "Returns the expiration time in seconds of a key.")
        .acl(KEYSPACE)
        .syntax("key")
        .complexity("O(1)"),
    CommandSpec::new("pttl", 2, READONLY | FAST, KEY1, pttl)
        .doc("generic", "2.6.0", "Returns the expiration time in milliseconds of a key.")
        .acl(KEYSPACE)
        .syntax("key")
        .complexity("O(1)"),
    CommandSpec::new("expiretime", 2, READONLY | FAST, KEY1, expiretime)
        .doc("generic", "7.0.0", "Returns the expiration time of a key as a Unix timestamp.")
        .acl(KEYSPACE)
        .syntax("key")
        .complexity("O(1)"),
    CommandSpec::new("pexpiretime", 2, READONLY | FAST, KEY1, pexpiretime)
        .doc("generic", "7.0.0", "Returns the expiration time of a key as a Unix milliseconds timestamp.")
        .acl(KEYSPACE)
        .syntax("key")
        .complexity("O(1)"),
    CommandSpec::new("persist", 2, WRITE | FAST, KEY1, persist)
        .doc("generic", "2.2.0", "Removes the expiration time of a key.")
        .acl(KEYSPACE)
        .syntax("key")
        .complexity("O(1)"),
    CommandSpec::new("object", -2, 0, NO_KEYS, super::connection::container)
        .doc("generic", "2.2.3", "A container for object introspection commands.")
        .complexity("Depends on subcommand.")
        .subs(OBJECT_SUBS),
    CommandSpec::new("swapdb", 3, WRITE | FAST | EXCLUSIVE, NO_KEYS, swapdb)
        .doc("server", "4.0.0", "Swaps two Redis databases.")
        .acl(KEYSPACE_DANGEROUS)
        .syntax("index1 index2")
        .complexity("O(N) where N is the count of clients watching or blocking on keys from both databases."),
];

/// Keys at arguments 1 and 2 (RENAME, RENAMENX, COPY).
const KEYS_1_2: Keys = Keys {
    first: 1,
    last: 2,
    step: 1,
};

static OBJECT_SUBS: &[CommandSpec] = &[
    CommandSpec::new("encoding", 3, READONLY, KEY2, object_encoding)
        .doc(
            "generic",
            "2.2.3",
            "Returns the internal encoding of a Redis object.",
        )
        .acl(KEYSPACE)
        .syntax("key")
        .complexity("O(1)"),
    CommandSpec::new("freq", 3, READONLY, KEY2, object_freq)
        .doc(
            "generic",
            "4.0.0",
            "Returns the logarithmic access frequency counter of a Redis object.",
        )
        .acl(KEYSPACE)
        .syntax("key")
        .complexity("O(1)"),
    CommandSpec::new("help", 2, LOADING | STALE, NO_KEYS, object_help)
        .doc(
            "generic",
            "6.2.0",
            "Returns helpful text about the different subcommands.",
        )
        .acl(KEYSPACE)
        .complexity("O(1)"),
    CommandSpec::new("idletime", 3, READONLY, KEY2, object_idletime)
        .doc(
            "generic",
            "2.2.3",
            "Returns the time since the last access to a Redis object.",
        )
        .acl(KEYSPACE)
        .syntax("key")
        .complexity("O(1)"),
    CommandSpec::new("refcount", 3, READONLY, KEY2, object_refcount)
        .doc(
            "generic",
            "2.2.3",
            "Returns the reference count of a value of a key.",
        )
        .acl(KEYSPACE)
        .syntax("key")
        .complexity("O(1)"),
];

// ---------------------------------------------------------------------------
// Shared helpers

/// Redis's `shared.sameobjecterr`.
fn same_object() -> Reply {
    Reply::err("ERR source and destination objects are the same")
}

/// Redis's `getIntFromObjectOrReply`: a long long that must also fit in a C
/// int. `msg` replaces both error texts when given (SWAPDB).
fn int32(a: &[u8], msg: Option<&'static str>) -> Result<i32, Reply> {
    let v = match int(a) {
        Ok(v) => v,
        Err(e) => return Err(msg.map(Reply::err).unwrap_or(e)),
    };
    if v < i32::MIN as i64 || v > i32::MAX as i64 {
        return Err(match msg {
            Some(m) => Reply::err(m),
            None => Reply::err(
                "ERR value is out of range, value must between -2147483648 and 2147483647",
            ),
        });
    }
    Ok(v as i32)
}

/// A DB index argument (MOVE, COPY DB): an int, then in range.
fn db_index(ctx: &Ctx, a: &[u8]) -> Result<usize, Reply> {
    let id = int32(a, None)?;
    if id < 0 || id as usize >= ctx.store().dbs.len() {
        return Err(err::db_index());
    }
    Ok(id as usize)
}

/// Text for `%s` in an error: C strings stop at a NUL byte.
fn c_text(a: &[u8]) -> String {
    let end = a.iter().position(|&b| b == 0).unwrap_or(a.len());
    text(&a[..end])
}

// ---------------------------------------------------------------------------
// DEL, UNLINK, EXISTS, TYPE, TOUCH

/// Deletes the live keys among `args[1..]`; returns how many and the removed
/// entries (to be dropped after the locks are released). Logs a `DEL` per
/// key removed, as one batch committed under the locks.
fn delete_keys(ctx: &Ctx, args: &[Vec<u8>]) -> (i64, Vec<Entry>) {
    let db = ctx.client.db;
    let keys: Vec<(usize, &[u8])> = args[1..].iter().map(|k| (db, k.as_slice())).collect();
    let store = ctx.store();
    let now = now_ms();
    let mut l = store.lock(&keys, true);
    let mut removed = Vec::new();
    let mut batch = Batch::new();
    for k in &args[1..] {
        let (s, h) = l.stripe_mut(store, db, k);
        if s.get_mut(h, k, now).is_some() {
            if let Some(e) = s.remove(h, k) {
                batch.del(db, k);
                notify(NOTIFY_GENERIC, "del", k, db);
                removed.push(e);
            }
        }
    }
    batch.commit();
    drop(l);
    (removed.len() as i64, removed)
}

fn del(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let (n, removed) = delete_keys(ctx, args);
    drop(removed);
    Reply::Int(n)
}

fn unlink(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let (n, removed) = delete_keys(ctx, args);
    let (big, small): (Vec<Entry>, Vec<Entry>) = removed
        .into_iter()
        .partition(|e| e.value.free_effort() > LAZYFREE_THRESHOLD);
    drop(small);
    if !big.is_empty() {
        crate::store::drop_in_background(big);
    }
    Reply::Int(n)
}

fn exists(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    count_present(ctx, args, false)
}

/// EXISTS and TOUCH: how many of the keys (duplicates counted) exist, read
/// under one set of read locks; `touch` records the access (TOUCH), EXISTS
/// does not, as in Redis.
fn count_present(ctx: &mut Ctx, args: &[Vec<u8>], touch: bool) -> Reply {
    let db = ctx.client.db;
    let keys: Vec<(usize, &[u8])> = args[1..].iter().map(|k| (db, k.as_slice())).collect();
    let store = ctx.store();
    let now = now_ms();
    let found: Vec<bool> = {
        let l = store.lock(&keys, false);
        args[1..]
            .iter()
            .map(|k| {
                let (s, h) = l.stripe(store, db, k);
                if touch {
                    s.get(h, k, now).is_some()
                } else {
                    s.peek(h, k, now).is_some()
                }
            })
            .collect()
    };
    for (k, &f) in args[1..].iter().zip(&found) {
        ctx.lookup(k, f);
    }
    Reply::Int(found.iter().filter(|&&f| f).count() as i64)
}

fn type_cmd(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let t = {
        let (s, h) = ctx.db().read(&args[1]);
        s.peek(h, &args[1], now_ms()).map(|e| e.value.type_name())
    };
    ctx.lookup(&args[1], t.is_some());
    Reply::status(t.unwrap_or("none"))
}

fn touch(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    count_present(ctx, args, true)
}

// ---------------------------------------------------------------------------
// RENAME, RENAMENX, COPY, MOVE, SWAPDB

fn rename(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    rename_generic(ctx, args, false)
}

fn renamenx(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    rename_generic(ctx, args, true)
}

fn rename_generic(ctx: &mut Ctx, args: &[Vec<u8>], nx: bool) -> Reply {
    let db = ctx.client.db;
    let (src, dst) = (args[1].as_slice(), args[2].as_slice());
    let store = ctx.store();
    let now = now_ms();
    let replaced = {
        // Both stripes are locked together, so no one sees the key in both
        // places or in neither.
        let mut l = store.lock(&[(db, src), (db, dst)], true);
        let (s, h) = l.stripe_mut(store, db, src);
        if s.get_mut(h, src, now).is_none() {
            return err::no_such_key();
        }
        if src == dst {
            return if nx { Reply::Int(0) } else { Reply::ok() };
        }
        let (d, hd) = l.stripe_mut(store, db, dst);
        if d.get_mut(hd, dst, now).is_some() && nx {
            return Reply::Int(0);
        }
        // Redis deletes a destination before adding the key anew (so `new`
        // fires either way).
        let replaced = d.remove(hd, dst);
        let (s, h) = l.stripe_mut(store, db, src);
        let Some(e) = s.remove(h, src) else {
            return err::no_such_key();
        };
        // The value keeps its TTL; the lookup for writing refreshed its clock.
        e.touch();
        // Logged as DEL src + dst rebuilt as exactly this entry, one batch.
        let mut batch = Batch::new();
        batch.del(db, src).entry(db, dst, &e);
        let (d, hd) = l.stripe_mut(store, db, dst);
        d.insert(hd, dst, e);
        batch.commit();
        notify(NOTIFY_GENERIC, "rename_from", src, db);
        notify(NOTIFY_GENERIC, "rename_to", dst, db);
        replaced
    };
    drop(replaced); // outside the locks
    if nx {
        Reply::Int(1)
    } else {
        Reply::ok()
    }
}

fn copy(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let src_db = ctx.client.db;
    let mut dst_db = src_db;
    let mut replace = false;
    let mut j = 3;
    while j < args.len() {
        let additional = args.len() - j - 1;
        if is(&args[j], "replace") {
            replace = true;
        } else if is(&args[j], "db") && additional >= 1 {
            dst_db = match db_index(ctx, &args[j + 1]) {
                Ok(d) => d,
                Err(e) => return e,
            };
            j += 1;
        } else {
            return err::syntax();
        }
        j += 1;
    }
    let (src, dst) = (args[1].as_slice(), args[2].as_slice());
    if src_db == dst_db && src == dst {
        return same_object();
    }
    let store = ctx.store();
    let now = now_ms();
    let replaced = {
        let mut l = store.lock(&[(src_db, src), (dst_db, dst)], true);
        let (s, h) = l.stripe_mut(store, src_db, src);
        let entry = match s.get_mut(h, src, now) {
            Some(e) => Entry::new(e.value.clone(), e.expire_at),
            None => {
                drop(l);
                ctx.lookup(src, false);
                return Reply::Int(0);
            }
        };
        let (d, hd) = l.stripe_mut(store, dst_db, dst);
        if d.get_mut(hd, dst, now).is_some() && !replace {
            None
        } else {
            // Redis deletes a replaced destination, then adds the copy.
            let replaced = d.remove(hd, dst);
            // Logged as dst rebuilt as exactly the copy (value and TTL).
            let mut batch = Batch::new();
            batch.entry(dst_db, dst, &entry);
            d.insert(hd, dst, entry);
            batch.commit();
            notify(NOTIFY_GENERIC, "copy_to", dst, dst_db);
            Some(replaced)
        }
    };
    ctx.lookup(src, true);
    match replaced {
        Some(old) => {
            drop(old);
            Reply::Int(1)
        }
        None => Reply::Int(0),
    }
}

fn move_cmd(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let src_db = ctx.client.db;
    let dst_db = match db_index(ctx, &args[2]) {
        Ok(d) => d,
        Err(e) => return e,
    };
    if src_db == dst_db {
        return same_object();
    }
    let key = args[1].as_slice();
    let store = ctx.store();
    let now = now_ms();
    let mut l = store.lock(&[(src_db, key), (dst_db, key)], true);
    let (s, h) = l.stripe_mut(store, src_db, key);
    if s.get_mut(h, key, now).is_none() {
        return Reply::Int(0);
    }
    let (d, hd) = l.stripe_mut(store, dst_db, key);
    if d.get_mut(hd, key, now).is_some() {
        return Reply::Int(0);
    }
    let (s, h) = l.stripe_mut(store, src_db, key);
    let Some(e) = s.remove(h, key) else {
        return Reply::Int(0);
    };
    e.touch();
    // Logged as DEL in the source DB + the entry rebuilt in the target DB.
    let mut batch = Batch::new();
    batch.del(src_db, key).entry(dst_db, key, &e);
    let (d, hd) = l.stripe_mut(store, dst_db, key);
    d.insert(hd, key, e);
    batch.commit();
    notify(NOTIFY_GENERIC, "move_from", key, src_db);
    notify(NOTIFY_GENERIC, "move_to", key, dst_db);
    drop(l);
    Reply::Int(1)
}

fn swapdb(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let a = match int32(&args[1], Some("ERR invalid first DB index")) {
        Ok(v) => v,
        Err(e) => return e,
    };
    let b = match int32(&args[2], Some("ERR invalid second DB index")) {
        Ok(v) => v,
        Err(e) => return e,
    };
    let n = ctx.store().dbs.len();
    if a < 0 || b < 0 || a as usize >= n || b as usize >= n {
        return err::db_index();
    }
    let (a, b) = (a as usize, b as usize);
    // Nothing else runs meanwhile (EXCLUSIVE: exec.rs holds the gate), so
    // the record lands where the swap happened in every stripe's order.
    ctx.store().swap(a, b);
    if a != b {
        crate::persist::log_swapdb(a, b);
    }
    Reply::ok()
}

// ---------------------------------------------------------------------------
// KEYS, SCAN, RANDOMKEY

fn keys(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let pattern = args[1].as_slice();
    let all = pattern == b"*";
    let db = ctx.db();
    let now = now_ms();
    let mut out = Vec::new();
    // One stripe at a time: like SCAN, not a snapshot of the whole DB.
    for i in 0..db.nstripes() {
        let s = db.read_stripe(i);
        for (k, e) in s.dict.iter() {
            if !e.is_expired(now) && (all || crate::glob::glob_match(pattern, k.as_slice(), false))
            {
                out.push(Reply::bulk(k.as_slice()));
            }
        }
    }
    Reply::Array(out)
}

/// Parses a SCAN cursor like Redis 7.0's `parseScanCursorOrReply`, which
/// uses `strtoul`: an optional sign (a '-' negates modulo 2^64), decimal
/// digits, nothing after; leading white space and overflow are errors. The
/// C string stops at a NUL byte, and an empty string is cursor 0.
pub fn parse_cursor(a: &[u8]) -> Option<u64> {
    let end = a.iter().position(|&b| b == 0).unwrap_or(a.len());
    let a = &a[..end];
    if a.is_empty() {
        return Some(0);
    }
    if matches!(a[0], b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r') {
        return None;
    }
    let (neg, digits) = match a[0] {
        b'-' => (true, &a[1..]),
        b'+' => (false, &a[1..]),
        _ => (false, a),
    };
    if digits.is_empty() {
        return None; // strtoul consumed nothing: eptr points at the sign
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

fn scan(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let Some(cursor) = parse_cursor(&args[1]) else {
        return Reply::err("ERR invalid cursor");
    };
    let mut count: i64 = 10;
    let mut pattern: Option<&[u8]> = None;
    let mut type_name: Option<&[u8]> = None;
    let mut i = 2;
    while i < args.len() {
        let left = args.len() - i;
        if is(&args[i], "count") && left >= 2 {
            count = match int(&args[i + 1]) {
                Ok(v) => v,
                Err(e) => return e,
            };
            if count < 1 {
                return err::syntax();
            }
        } else if is(&args[i], "match") && left >= 2 {
            let p = args[i + 1].as_slice();
            pattern = if p == b"*" { None } else { Some(p) };
        } else if is(&args[i], "type") && left >= 2 {
            type_name = Some(args[i + 1].as_slice());
        } else {
            return err::syntax();
        }
        i += 2;
    }
    // Db::scan bounds its work by count * 10 steps; keep that product sane.
    let count = (count as u64).min(1 << 40) as usize;
    let now = now_ms();
    let mut keys = Vec::new();
    let next = ctx.db().scan(cursor, count, now, |k, e| {
        if let Some(p) = pattern {
            if !crate::glob::glob_match(p, k.as_slice(), false) {
                return;
            }
        }
        if let Some(t) = type_name {
            if !t.eq_ignore_ascii_case(e.value.type_name().as_bytes()) {
                return;
            }
        }
        keys.push(Reply::bulk(k.as_slice()));
    });
    Reply::Array(vec![
        Reply::Bulk(next.to_string().into_bytes()),
        Reply::Array(keys),
    ])
}

fn randomkey(ctx: &mut Ctx, _: &[Vec<u8>]) -> Reply {
    Reply::opt_bulk(ctx.db().random_key(now_ms()))
}

// ---------------------------------------------------------------------------
// The TTL family

/// NX / XX / GT / LT of the EXPIRE family.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExpireFlags {
    pub nx: bool,
    pub xx: bool,
    pub gt: bool,
    pub lt: bool,
}

/// Parses the options after `key time` like Redis's
/// `parseExtendedExpireArgumentsOrReply` (before the time itself is parsed).
pub fn parse_expire_flags(opts: &[Vec<u8>]) -> Result<ExpireFlags, Reply> {
    let mut f = ExpireFlags::default();
    for o in opts {
        if is(o, "nx") {
            f.nx = true;
        } else if is(o, "xx") {
            f.xx = true;
        } else if is(o, "gt") {
            f.gt = true;
        } else if is(o, "lt") {
            f.lt = true;
        } else {
            return Err(Reply::error(format!(
                "ERR Unsupported option {}",
                c_text(o)
            )));
        }
    }
    if f.nx && (f.xx || f.gt || f.lt) {
        return Err(Reply::err(
            "ERR NX and XX, GT or LT options at the same time are not compatible",
        ));
    }
    if f.gt && f.lt {
        return Err(Reply::err(
            "ERR GT and LT options at the same time are not compatible",
        ));
    }
    Ok(f)
}

/// The absolute deadline (Unix ms) for `when` given in seconds or ms and
/// relative to `basetime` (0 for the *AT variants); None when the unit
/// conversion or the addition overflows (Redis: "invalid expire time").
/// Negative results are allowed: they mean "already expired".
pub fn expire_deadline(when: i64, seconds: bool, basetime: i64) -> Option<i64> {
    let ms = if seconds {
        if !(i64::MIN / 1000..=i64::MAX / 1000).contains(&when) {
            return None;
        }
        when * 1000
    } else {
        when
    };
    if ms > i64::MAX - basetime {
        return None;
    }
    Some(ms + basetime)
}

/// Whether the flags allow replacing the `current` deadline (None = no TTL,
/// which counts as infinite for GT and LT) with `when`.
pub fn expire_allowed(f: ExpireFlags, current: Option<i64>, when: i64) -> bool {
    if f.nx && current.is_some() {
        return false;
    }
    if f.xx && current.is_none() {
        return false;
    }
    if f.gt {
        match current {
            None => return false,
            Some(c) if when <= c => return false,
            _ => {}
        }
    }
    if f.lt {
        if let Some(c) = current {
            if when >= c {
                return false;
            }
        }
    }
    true
}

fn expire(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    expire_generic(ctx, args, true, true, "expire")
}

fn pexpire(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    expire_generic(ctx, args, true, false, "pexpire")
}

fn expireat(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    expire_generic(ctx, args, false, true, "expireat")
}

fn pexpireat(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    expire_generic(ctx, args, false, false, "pexpireat")
}

fn expire_generic(
    ctx: &mut Ctx,
    args: &[Vec<u8>],
    relative: bool,
    seconds: bool,
    name: &str,
) -> Reply {
    let flags = match parse_expire_flags(&args[3..]) {
        Ok(f) => f,
        Err(e) => return e,
    };
    let when = match int(&args[2]) {
        Ok(v) => v,
        Err(e) => return e,
    };
    let now = now_ms();
    let basetime = if relative { now as i64 } else { 0 };
    let Some(when) = expire_deadline(when, seconds, basetime) else {
        return Reply::error(format!("ERR invalid expire time in '{}' command", name));
    };
    let key = args[1].as_slice();
    let db = ctx.client.db;
    let removed = {
        let (mut s, h) = ctx.db().write(key);
        let current = match s.get_mut(h, key, now) {
            None => return Reply::Int(0),
            Some(e) => (e.expire_at != 0).then_some(e.expire_at as i64),
        };
        if !expire_allowed(flags, current, when) {
            return Reply::Int(0);
        }
        // Logged as the effect: DEL, or PEXPIREAT with the absolute deadline.
        if when <= now as i64 {
            // A deadline in the past deletes the key (not counted as expired).
            let removed = s.remove(h, key);
            log(db, &[&b"DEL"[..], key]);
            notify(NOTIFY_GENERIC, "del", key, db);
            removed
        } else {
            s.set_expire(h, key, when as u64);
            let t = when.to_string();
            log(db, &[&b"PEXPIREAT"[..], key, t.as_bytes()]);
            notify(NOTIFY_GENERIC, "expire", key, db);
            None
        }
    };
    drop(removed);
    Reply::Int(1)
}

/// The live key's deadline: Err(()) if absent, Ok(0) if it has no TTL.
fn lookup_expire(ctx: &Ctx, key: &[u8], now: u64) -> Result<u64, ()> {
    let (s, h) = ctx.db().read(key);
    s.peek(h, key, now).map(|e| e.expire_at).ok_or(())
}

/// Redis's `ttlGenericCommand`: -2 absent, -1 no TTL, else the remaining
/// time (never negative) or the absolute deadline, in ms or rounded seconds.
fn ttl_generic(ctx: &mut Ctx, args: &[Vec<u8>], ms: bool, absolute: bool) -> Reply {
    let now = now_ms();
    let r = lookup_expire(ctx, &args[1], now);
    ctx.lookup(&args[1], r.is_ok());
    match r {
        Err(()) => Reply::Int(-2),
        Ok(0) => Reply::Int(-1),
        Ok(at) => Reply::Int(ttl_value(at, now, ms, absolute)),
    }
}

/// The number TTL / PTTL / EXPIRETIME / PEXPIRETIME report for a deadline.
pub fn ttl_value(at: u64, now: u64, ms: bool, absolute: bool) -> i64 {
    let t = if absolute {
        at as i64
    } else {
        (at as i64).saturating_sub(now as i64).max(0)
    };
    if ms {
        t
    } else {
        // (t + 500) / 1000 without overflowing near i64::MAX.
        ((t as i128 + 500) / 1000) as i64
    }
}

fn ttl(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    ttl_generic(ctx, args, false, false)
}

fn pttl(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    ttl_generic(ctx, args, true, false)
}

fn expiretime(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    ttl_generic(ctx, args, false, true)
}

fn pexpiretime(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    ttl_generic(ctx, args, true, true)
}

fn persist(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let key = args[1].as_slice();
    let db = ctx.client.db;
    let (mut s, h) = ctx.db().write(key);
    match s.get_mut(h, key, now_ms()) {
        None => Reply::Int(0),
        Some(e) => {
            if e.expire_at == 0 {
                Reply::Int(0)
            } else {
                s.set_expire(h, key, 0);
                log(db, &[&b"PERSIST"[..], key]);
                ctx.notify(NOTIFY_GENERIC, "persist", key);
                Reply::Int(1)
            }
        }
    }
}

// ---------------------------------------------------------------------------
// OBJECT

/// Redis's OBJ_SHARED_REFCOUNT: the refcount of shared objects.
const SHARED_REFCOUNT: i64 = i32::MAX as i64;
/// Redis's OBJ_SHARED_INTEGERS: integers below this are shared objects.
const SHARED_INTEGERS: i64 = 10000;

/// Whether `maxmemory-policy` is one of the LFU policies.
fn lfu_policy(ctx: &Ctx) -> bool {
    ctx.srv.hot.policy().lfu()
}

/// Looks a key up for OBJECT (no access-time update); the `f` result, or
/// the null reply when the key is absent.
fn object_lookup(ctx: &mut Ctx, key: &[u8], f: impl FnOnce(&Entry) -> Reply) -> Reply {
    let r = {
        let (s, h) = ctx.db().read(key);
        s.peek(h, key, now_ms()).map(f)
    };
    ctx.hit(r.is_some());
    r.unwrap_or(Reply::Null)
}

fn object_encoding(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    object_lookup(ctx, &args[2], |e| Reply::bulk_str(e.value.encoding()))
}

fn object_refcount(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    object_lookup(ctx, &args[2], |e| {
        // Redis stores small non-negative integers as shared objects.
        let shared = match &e.value {
            Value::Str(s) => {
                e.value.encoding() == "int"
                    && crate::store::value::parse_i64(s)
                        .is_some_and(|v| (0..SHARED_INTEGERS).contains(&v))
            }
            _ => false,
        };
        Reply::Int(if shared { SHARED_REFCOUNT } else { 1 })
    })
}

fn object_idletime(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let lfu = lfu_policy(ctx);
    object_lookup(ctx, &args[2], |e| {
        if lfu {
            Reply::err("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
        } else {
            Reply::Int(e.idle_secs() as i64)
        }
    })
}

fn object_freq(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let lfu = lfu_policy(ctx);
    object_lookup(ctx, &args[2], |e| {
        if lfu {
            Reply::Int(e.lfu_freq() as i64)
        } else {
            Reply::err("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
        }
    })
}

fn object_help(_: &mut Ctx, _: &[Vec<u8>]) -> Reply {
    help_reply(
        "OBJECT",
        &[
            "ENCODING <key>",
            "    Return the kind of internal representation used in order to store the value",
            "    associated with a <key>.",
            "FREQ <key>",
            "    Return the access frequency index of the <key>. The returned integer is",
            "    proportional to the logarithm of the recent access frequency of the key.",
            "IDLETIME <key>",
            "    Return the idle time of the <key>, that is the approximated number of",
            "    seconds elapsed since the last access to the key.",
            "REFCOUNT <key>",
            "    Return the number of references of the value associated with the specified",
            "    <key>.",
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(nx: bool, xx: bool, gt: bool, lt: bool) -> ExpireFlags {
        ExpireFlags { nx, xx, gt, lt }
    }

    #[test]
    fn key_positions() {
        let t = crate::command::table::table();
        let keys = |name: &str, argc: usize| t.lookup(name.as_bytes()).unwrap().1.key_indexes(argc);
        assert_eq!(keys("rename", 3), vec![1, 2]);
        assert_eq!(keys("renamenx", 3), vec![1, 2]);
        assert_eq!(keys("copy", 6), vec![1, 2]);
        assert_eq!(keys("move", 3), vec![1]);
        assert_eq!(keys("exists", 4), vec![1, 2, 3]);
        assert_eq!(keys("unlink", 3), vec![1, 2]);
        assert_eq!(keys("touch", 2), vec![1]);
        assert_eq!(keys("expire", 4), vec![1]);
        assert!(keys("swapdb", 3).is_empty());
        assert!(keys("scan", 4).is_empty());
        assert!(keys("keys", 2).is_empty());
        let (id, _) = t.lookup(b"object").unwrap();
        let (_, enc) = t.lookup_sub(id, b"ENCODING").unwrap();
        assert_eq!(enc.key_indexes(3), vec![2]);
    }

    #[test]
    fn deadline_overflow() {
        let now = 1_700_000_000_000i64;
        assert_eq!(expire_deadline(10, true, now), Some(now + 10_000));
        assert_eq!(expire_deadline(10, false, now), Some(now + 10));
        assert_eq!(expire_deadline(-5, true, now), Some(now - 5000));
        // seconds * 1000 overflows
        assert_eq!(expire_deadline(i64::MAX / 1000 + 1, true, 0), None);
        assert_eq!(expire_deadline(i64::MIN / 1000 - 1, true, 0), None);
        assert_eq!(
            expire_deadline(i64::MAX / 1000, true, 0),
            Some(i64::MAX / 1000 * 1000)
        );
        assert_eq!(
            expire_deadline(i64::MIN / 1000, true, 0),
            Some(i64::MIN / 1000 * 1000)
        );
        // the conversion fits but adding now does not
        assert_eq!(expire_deadline(i64::MAX / 1000, true, now), None);
        assert_eq!(expire_deadline(i64::MAX, false, now), None);
        assert_eq!(expire_deadline(i64::MAX - now, false, now), Some(i64::MAX));
        assert_eq!(expire_deadline(i64::MAX - now + 1, false, now), None);
        // absolute forms (basetime 0) accept the whole range
        assert_eq!(expire_deadline(i64::MAX, false, 0), Some(i64::MAX));
        assert_eq!(expire_deadline(i64::MIN, false, 0), Some(i64::MIN));
        assert_eq!(expire_deadline(i64::MIN, false, now), Some(i64::MIN + now));
    }

    #[test]
    fn gt_lt_nx_xx() {
        let none = ExpireFlags::default();
        assert!(expire_allowed(none, None, 5));
        assert!(expire_allowed(none, Some(10), 5));
        // NX: only without a TTL; XX: only with one.
        assert!(expire_allowed(flags(true, false, false, false), None, 5));
        assert!(!expire_allowed(
            flags(true, false, false, false),
            Some(10),
            5
        ));
        assert!(!expire_allowed(flags(false, true, false, false), None, 5));
        assert!(expire_allowed(
            flags(false, true, false, false),
            Some(10),
            5
        ));
        // No TTL = infinite: GT never succeeds, LT always does.
        assert!(!expire_allowed(
            flags(false, false, true, false),
            None,
            i64::MAX
        ));
        assert!(expire_allowed(
            flags(false, false, false, true),
            None,
            i64::MAX
        ));
        assert!(expire_allowed(flags(false, false, false, true), None, -1));
        // Strictly greater / less.
        assert!(expire_allowed(
            flags(false, false, true, false),
            Some(10),
            11
        ));
        assert!(!expire_allowed(
            flags(false, false, true, false),
            Some(10),
            10
        ));
        assert!(expire_allowed(
            flags(false, false, false, true),
            Some(10),
            9
        ));
        assert!(!expire_allowed(
            flags(false, false, false, true),
            Some(10),
            10
        ));
        // XX combines with GT / LT.
        assert!(!expire_allowed(flags(false, true, false, true), None, 5));
        assert!(expire_allowed(
            flags(false, true, true, false),
            Some(10),
            20
        ));
    }

    #[test]
    fn flag_parsing_errors() {
        let a = |v: &[&str]| v.iter().map(|s| s.as_bytes().to_vec()).collect::<Vec<_>>();
        assert_eq!(
            parse_expire_flags(&a(&["nx"])),
            Ok(flags(true, false, false, false))
        );
        assert_eq!(
            parse_expire_flags(&a(&["XX", "gt"])),
            Ok(flags(false, true, true, false))
        );
        let nx_err = Err(Reply::err(
            "ERR NX and XX, GT or LT options at the same time are not compatible",
        ));
        assert_eq!(parse_expire_flags(&a(&["nx", "xx"])), nx_err);
        assert_eq!(parse_expire_flags(&a(&["nx", "lt"])), nx_err);
        // NX wins over GT+LT in the order of checks.
        assert_eq!(parse_expire_flags(&a(&["gt", "lt", "nx"])), nx_err);
        assert_eq!(
            parse_expire_flags(&a(&["gt", "lt"])),
            Err(Reply::err(
                "ERR GT and LT options at the same time are not compatible"
            ))
        );
        assert_eq!(
            parse_expire_flags(&a(&["nx", "foo\0bar"])),
            Err(Reply::error("ERR Unsupported option foo".into()))
        );
    }

    #[test]
    fn ttl_rounding() {
        assert_eq!(ttl_value(10_499, 0, false, false), 10);
        assert_eq!(ttl_value(10_500, 0, false, false), 11);
        assert_eq!(ttl_value(10_500, 0, true, false), 10_500);
        assert_eq!(ttl_value(5, 10, true, false), 0);
        assert_eq!(ttl_value(i64::MAX as u64, 0, false, true), 9223372036854776);
        assert_eq!(ttl_value(i64::MAX as u64, 0, true, true), i64::MAX);
    }

    #[test]
    fn scan_cursor_like_strtoul() {
        assert_eq!(parse_cursor(b"0"), Some(0));
        assert_eq!(parse_cursor(b""), Some(0));
        assert_eq!(parse_cursor(b"+5"), Some(5));
        assert_eq!(parse_cursor(b"-1"), Some(u64::MAX));
        assert_eq!(parse_cursor(b"-0"), Some(0));
        assert_eq!(parse_cursor(b"007"), Some(7));
        assert_eq!(parse_cursor(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_cursor(b"-18446744073709551615"), Some(1));
        assert_eq!(parse_cursor(b"18446744073709551616"), None);
        assert_eq!(parse_cursor(b" 0"), None);
        assert_eq!(parse_cursor(b"1 "), None);
        assert_eq!(parse_cursor(b"0x1"), None);
        assert_eq!(parse_cursor(b"+"), None);
        assert_eq!(parse_cursor(b"-"), None);
        assert_eq!(parse_cursor(b"abc"), None);
        assert_eq!(parse_cursor(b"12\0xyz"), Some(12));
    }

    use crate::command::testutil::{check_replay, check_replay_after, logged};
    use crate::persist::record;

    /// Collections for the tests below, built the same way on both servers
    /// (their own commands log in their own files).
    const COLLECTIONS: &[&[&str]] = &[
        &["HSET", "h", "f1", "v1", "f2", "v2"],
        &["PEXPIREAT", "h", "4000000000000"],
        &["RPUSH", "l", "a", "b", "c"],
        &["SADD", "s", "x", "y"],
        &["ZADD", "z", "1.5", "m", "-2", "n"],
        &["PEXPIREAT", "z", "4000000000001"],
    ];

    #[test]
    fn replay_del_unlink() {
        check_replay(&[
            &["SET", "a", "1"],
            &["SET", "b", "2", "EX", "100"],
            &["SET", "c", "3"],
            &["DEL", "a"],
            &["DEL", "a"],
            &["DEL", "b", "c", "b", "nope"],
            &["MSET", "d", "1", "e", "2"],
            &["UNLINK", "d", "e", "f"],
            &["SET", "old", "v", "PXAT", "1"],
            &["DEL", "old"],
            &["SET", "old2", "v", "PXAT", "1"],
            &["SET", "g", "1"],
            &["UNLINK", "old2", "g"],
        ]);
        check_replay_after(
            COLLECTIONS,
            &[],
            &[&["DEL", "h", "l"], &["UNLINK", "s", "z"]],
        );
    }

    #[test]
    fn replay_rename_renamenx() {
        let (r, _) = check_replay(&[
            &["SET", "a", "1", "PX", "100000"],
            &["SET", "b", "2", "EX", "1000"],
            &["RENAME", "a", "b"],
            &["RENAME", "b", "b"],
            &["RENAME", "nope", "x"],
            &["SET", "c", "3"],
            &["RENAMENX", "c", "b"],
            &["RENAMENX", "c", "d"],
            &["RENAME", "d", "e"],
            &["SET", "old", "v", "PXAT", "1"],
            &["RENAME", "e", "old"],
            &["SET", "old2", "v", "PXAT", "1"],
            &["RENAME", "old2", "f"],
            &["SET", "old3", "v", "PXAT", "1"],
            &["RENAMENX", "old", "old3"],
        ]);
        assert_eq!(r[6], Reply::Int(0));
        assert_eq!(r[7], Reply::Int(1));
        assert_eq!(r[14], Reply::Int(1), "old3 had expired");
        check_replay_after(
            COLLECTIONS,
            &[],
            &[
                &["RENAME", "h", "h2"],
                &["RENAME", "l", "z"],
                &["RENAMENX", "s", "h2"],
                &["RENAMENX", "s", "s2"],
                &["SET", "k", "v", "EX", "100"],
                &["RENAME", "z", "k"],
            ],
        );
    }

    #[test]
    fn replay_copy() {
        let (r, _) = check_replay(&[
            &["SET", "a", "1", "EX", "100"],
            &["COPY", "a", "b"],
            &["SET", "c", "3"],
            &["COPY", "a", "c"],
            &["COPY", "a", "c", "REPLACE"],
            &["COPY", "a", "a", "DB", "2"],
            &["COPY", "c", "a", "DB", "2"],
            &["COPY", "c", "a", "DB", "2", "REPLACE"],
            &["COPY", "nope", "x"],
            &["COPY", "a", "a"],
            &["COPY", "a", "x", "DB", "99"],
            &["SELECT", "2"],
            &["COPY", "a", "z", "DB", "0"],
            &["SET", "old", "v", "PXAT", "1"],
            &["COPY", "a", "old"],
        ]);
        assert_eq!(r[3], Reply::Int(0));
        assert_eq!(r[4], Reply::Int(1));
        assert_eq!(r[14], Reply::Int(1));
        check_replay_after(
            COLLECTIONS,
            &[],
            &[
                &["COPY", "h", "h2"],
                &["COPY", "l", "h2", "REPLACE"],
                &["COPY", "s", "s", "DB", "1"],
                &["COPY", "z", "l", "DB", "0", "REPLACE"],
                &["COPY", "z", "z", "DB", "3"],
            ],
        );
    }

    #[test]
    fn replay_move() {
        let (r, _) = check_replay(&[
            &["SET", "a", "1", "EX", "100"],
            &["MOVE", "a", "1"],
            &["SET", "b", "2"],
            &["SELECT", "1"],
            &["SET", "b", "other"],
            &["SELECT", "0"],
            &["MOVE", "b", "1"],
            &["MOVE", "nope", "1"],
            &["MOVE", "b", "0"],
            &["SELECT", "1"],
            &["MOVE", "a", "0"],
            &["SET", "old", "v", "PXAT", "1"],
            &["SELECT", "0"],
            &["SET", "old", "mine"],
            &["MOVE", "old", "1"],
        ]);
        assert_eq!(r[1], Reply::Int(1));
        assert_eq!(r[6], Reply::Int(0));
        assert_eq!(r[14], Reply::Int(1), "the target's key had expired");
        check_replay_after(
            COLLECTIONS,
            &[],
            &[&["MOVE", "h", "5"], &["MOVE", "z", "1"]],
        );
    }

    #[test]
    fn replay_expire_family() {
        check_replay(&[
            &["SET", "a", "1"],
            &["EXPIRE", "a", "100"],
            &["PEXPIRE", "a", "200000"],
            &["EXPIREAT", "a", "4000000000"],
            &["PEXPIREAT", "a", "4000000000999"],
            &["EXPIRE", "nope", "10"],
            &["SET", "b", "2"],
            &["EXPIRE", "b", "100", "XX"],
            &["EXPIRE", "b", "100", "NX"],
            &["EXPIRE", "b", "50", "NX"],
            &["EXPIRE", "b", "50", "GT"],
            &["EXPIRE", "b", "500", "GT"],
            &["PEXPIRE", "b", "9000000", "LT"],
            &["PEXPIRE", "b", "9000", "XX", "LT"],
            &["SET", "c", "3"],
            &["EXPIRE", "c", "10", "GT"],
            &["EXPIRE", "c", "10", "LT"],
            &["PERSIST", "c"],
            &["PERSIST", "c"],
            &["PERSIST", "nope"],
            // Deadlines in the past delete the key.
            &["SET", "d", "4"],
            &["EXPIRE", "d", "-1"],
            &["SET", "e", "5", "EX", "100"],
            &["PEXPIREAT", "e", "1"],
            &["SET", "f", "6"],
            &["EXPIREAT", "f", "0", "LT"],
            &["SET", "g", "7"],
            &["PEXPIRE", "g", "0"],
            // Errors.
            &["EXPIRE", "a", "x"],
            &["EXPIRE", "a", "10", "NX", "XX"],
            &["EXPIRE", "a", "9223372036854775807"],
            &["SET", "old", "v", "PXAT", "1"],
            &["EXPIRE", "old", "100"],
            &["SET", "old2", "v", "PXAT", "1"],
            &["PERSIST", "old2"],
        ]);
        check_replay_after(
            COLLECTIONS,
            &[],
            &[
                &["EXPIRE", "l", "100"],
                &["PERSIST", "h"],
                &["EXPIREAT", "z", "1"],
                &["PEXPIRE", "s", "5000", "NX"],
            ],
        );
    }

    #[test]
    fn replay_swapdb() {
        check_replay(&[
            &["SET", "a", "0"],
            &["SET", "t", "0", "EX", "100"],
            &["SELECT", "1"],
            &["SET", "a", "1"],
            &["SWAPDB", "0", "1"],
            &["SET", "b", "1"],
            &["SWAPDB", "1", "2"],
            &["SWAPDB", "3", "3"],
            &["SWAPDB", "0", "99"],
            &["INCR", "a"],
            &["SELECT", "2"],
            &["APPEND", "a", "x"],
            &["SWAPDB", "2", "0"],
            &["MULTI"],
            &["SET", "c", "in-tx"],
            &["SWAPDB", "0", "2"],
            &["EXEC"],
        ]);
    }

    #[test]
    fn key_command_records() {
        // EXPIRE becomes PEXPIREAT <absolute>: the seed's EXPIRE record.
        let (_, recs) = check_replay(&[&["SET", "k", "v"], &["EXPIRE", "k", "100"]]);
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[1].op, record::EXPIRE);
        let argv = recs[1].argv().unwrap().unwrap();
        assert_eq!(&argv[..2], [b"PEXPIREAT".to_vec(), b"k".to_vec()]);
        let at: u64 = String::from_utf8(argv[2].clone()).unwrap().parse().unwrap();
        let now = crate::store::now_ms();
        assert!(at > now + 95_000 && at <= now + 100_000, "{at} vs {now}");
        let s = logged(&[
            &["SET", "k", "v"],
            &["EXPIRE", "nope", "100"],
            &["EXPIRE", "k", "100", "XX"],
            &["PERSIST", "k"],
            &["EXPIREAT", "k", "4000000000"],
            &["EXPIRE", "k", "100", "NX"],
            &["PERSIST", "k"],
            &["EXPIRE", "k", "-5"],
            &["DEL", "k", "nope"],
        ]);
        assert_eq!(
            s,
            ["SET k v", "PEXPIREAT k 4000000000000", "PERSIST k", "DEL k"]
        );
        let s = logged(&[
            &["MSET", "a", "1", "b", "2"],
            &["PEXPIREAT", "a", "4000000000000"],
            &["RENAME", "a", "b"],
            &["DEL", "b", "nope", "b"],
            &["SET", "x", "1"],
            &["SET", "y", "2"],
            &["DEL", "x", "y"],
            &["SET", "c", "3"],
            &["COPY", "c", "d", "DB", "1"],
            &["MOVE", "c", "2"],
            &["SWAPDB", "0", "1"],
            &["RENAME", "c", "c"],
            &["SWAPDB", "1", "1"],
        ]);
        assert_eq!(
            &s[2..],
            [
                "BATCH[DEL a; DEL b; SET b 1; PEXPIREAT b 4000000000000]",
                "DEL b",
                "SET x 1",
                "SET y 2",
                "BATCH[DEL x; DEL y]",
                "SET c 3",
                "BATCH[db1: DEL d; db1: SET d 3]",
                "BATCH[DEL c; db2: DEL c; db2: SET c 3]",
                "SWAPDB 0 1",
            ]
        );
    }

    #[test]
    fn background_drop_runs() {
        struct Flag(std::sync::Arc<std::sync::atomic::AtomicBool>);
        impl Drop for Flag {
            fn drop(&mut self) {
                self.0.store(true, std::sync::atomic::Ordering::SeqCst);
            }
        }
        let f = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        crate::store::drop_in_background(Flag(f.clone()));
        for _ in 0..200 {
            if f.load(std::sync::atomic::Ordering::SeqCst) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        panic!("value was not dropped in the background");
    }
}
