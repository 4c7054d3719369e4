//! Set commands, with Redis 7.0's semantics, error texts and reply shapes
//! (t_set.c): SADD SREM SMEMBERS SISMEMBER SMISMEMBER SCARD SPOP SRANDMEMBER
//! SMOVE SINTER SINTERSTORE SINTERCARD SUNION SUNIONSTORE SDIFF SDIFFSTORE
//! SSCAN.
//!
//! Reads (`lookupKeyRead` in Redis) use `Stripe::get` and count keyspace
//! hits/misses; writes use `get_mut`, which deletes an expired key first.
//! A set that becomes empty loses its key; a *STORE with an empty result
//! deletes the destination. Multi-key commands lock every key they touch
//! (destination included) with one `Store::lock` call. In-place changes fix
//! the stripe's memory accounting with `Stripe::adjust_mem`.
//!
//! WAL: a write that changed something logs, before its stripe locks are
//! released, its own argv (SADD, SREM) or a rewrite: SPOP as `SREM key
//! <the members it removed>` (`DEL key` when it took them all), SMOVE as
//! one batch `SREM src member` + `SADD dst member`, the *STORE commands as
//! one batch making the destination hold exactly the result (`DEL` for an
//! empty one). Nothing is logged when nothing changed.
//!
//! Keyspace notifications as t_set.c: `sadd` / `srem` (when members were
//! added / removed), `spop`, SMOVE's `srem` on the source then `sadd` on
//! the destination, `sinterstore` / `sunionstore` / `sdiffstore` (an empty
//! result: `del` if the destination existed); `del` after any write that
//! emptied a set; `keymiss` per missing key of a read.

use super::args::{int, is};
use super::*;
use crate::pubsub::{notify, NOTIFY_GENERIC, NOTIFY_SET};
use crate::resp::Reply;
use crate::server::Ctx;
use crate::store::set::SetValue;
use crate::store::{now_ms, rand_u64, CompactBytes, Entry, Locked, Store, Stripe, Value};
use std::collections::HashSet;

const SET: &[&str] = &["set"];

/// SMOVE: keys at 1 and 2.
const KEY1_2: Keys = Keys {
    first: 1,
    last: 2,
    step: 1,
};

pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("sadd", -3, WRITE | DENYOOM | FAST, KEY1, sadd)
        .doc("set", "1.0.0", "Add one or more members to a set")
        .acl(SET)
        .syntax("key member [member ...]")
        .complexity("O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments."),
    CommandSpec::new("srem", -3, WRITE | FAST, KEY1, srem)
        .doc("set", "1.0.0", "Remove one or more members from a set")
        .acl(SET)
        .syntax("key member [member ...]")
        .complexity("O(N) where N is the number of members to be removed."),
    CommandSpec::new("smembers", 2, READONLY, KEY1, smembers)
        .doc("set", "1.0.0", "Get all the members in a set")
        .acl(SET)
        .syntax("key")
        .complexity("O(N) where N is the set cardinality."),
    CommandSpec::new("sismember", 3, READONLY | FAST, KEY1, sismember)
        .doc("set", "1.0.0", "Determine if a given value is a member of a set")
        .acl(SET)
        .syntax("key member")
        .complexity("O(1)"),
    CommandSpec::new("smismember", -3, READONLY | FAST, KEY1, smismember)
        .doc("set", "6.2.0", "Returns the membership associated with the given elements for a set")
        .acl(SET)
        .syntax("key member [member ...]")
        .complexity("O(N) where N is the number of elements being checked for membership"),
    CommandSpec::new("scard", 2, READONLY | FAST, KEY1, scard)
        .doc("set", "1.0.0", "Get the number of members in a set")
        .acl(SET)
        .syntax("key")
        .complexity("O(1)"),
    CommandSpec::new("spop", -2, WRITE | FAST, KEY1, spop)
        .doc("set", "1.0.0", "Remove and return one or multiple random members from a set")
        .acl(SET)
        .syntax("key [count]")
        .complexity("Without the count argument O(1), otherwise O(N) where N is the value of the passed count."),
    CommandSpec::new("srandmember", -2, READONLY, KEY1, srandmember)
        .doc("set", "1.0.0", "Get one or multiple random members from a set")
        .acl(SET)
        .syntax("key [count]")
        .complexity("Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count."),
    CommandSpec::new("smove", 4, WRITE | FAST, KEY1_2, smove)
        .doc("set", "1.0.0", "Move a member from one set to another")
        .acl(SET)
        .syntax("source destination member")
        .complexity("O(1)"),
    CommandSpec::new("sinter", -2, READONLY, ALL_KEYS, sinter)
        .doc("set", "1.0.0", "Intersect multiple sets")
        .acl(SET)
        .syntax("key [key ...]")
        .complexity("O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets."),
    CommandSpec::new("sinterstore", -3, WRITE | DENYOOM, ALL_KEYS, sinterstore)
        .doc("set", "1.0.0", "Intersect multiple sets and store the resulting set in a key")
        .acl(SET)
        .syntax("destination key [key ...]")
        .complexity("O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets."),
    CommandSpec::new("sintercard", -3, READONLY | MOVABLEKEYS, NO_KEYS, sintercard)
        .doc("set", "7.0.0", "Intersect multiple sets and return the cardinality of the result")
        .acl(SET)
        .syntax("numkeys key [key ...] [LIMIT limit]")
        .complexity("O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets."),
    CommandSpec::new("sunion", -2, READONLY, ALL_KEYS, sunion)
        .doc("set", "1.0.0", "Add multiple sets")
        .acl(SET)
        .syntax("key [key ...]")
        .complexity("O(N) where N is the total number of elements in all given sets."),
    CommandSpec::new("sunionstore", -3, WRITE | DENYOOM, ALL_KEYS, sunionstore)
        .doc("set", "1.0.0", "Add multiple sets and store the resulting set in a key")
        .acl(SET)
        .syntax("destination key [key ...]")
        .complexity("O(N) where N is the total number of elements in all given sets."),
    CommandSpec::new("sdiff", -2, READONLY, ALL_KEYS, sdiff)
        .doc("set", "1.0.0", "Subtract multiple sets")
        .acl(SET)
        .syntax("key [key ...]")
        .complexity("O(N) where N is the total number of elements in all given sets."),
    CommandSpec::new("sdiffstore", -3, WRITE | DENYOOM, ALL_KEYS, sdiffstore)
        .doc("set", "1.0.0", "Subtract multiple sets and store the resulting set in a key")
        .acl(SET)
        .syntax("destination key [key ...]")
        .complexity("O(N) where N is the total number of elements in all given sets."),
    CommandSpec::new("sscan", -3, READONLY, KEY1, sscan)
        .doc("set", "2.8.0", "Incrementally iterate Set elements")
        .acl(SET)
        .syntax("key cursor [MATCH pattern] [COUNT count]")
        .complexity("O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.."),
];

// ---------------------------------------------------------------- helpers

/// The set held by an entry, or WRONGTYPE for any other type.
fn set_of(e: &Entry) -> Result<&SetValue, Reply> {
    match &e.value {
        Value::Set(s) => Ok(s),
        _ => Err(err::wrong_type()),
    }
}

/// set-max-intset-entries (CONFIG, compatibility directive; default 512).
fn max_intset(ctx: &Ctx) -> usize {
    ctx.srv
        .hot
        .set_max_intset_entries
        .load(std::sync::atomic::Ordering::Relaxed)
}

/// Runs `f` on the set at `key` in place (Redis's lookupKeyWrite): Ok(None)
/// if the key is absent, WRONGTYPE for another type. Fixes the stripe's
/// memory accounting and deletes the key if the set ends up empty.
fn modify<R>(
    s: &mut Stripe,
    h: u64,
    key: &[u8],
    now: u64,
    f: impl FnOnce(&mut SetValue) -> R,
) -> Result<Option<R>, Reply> {
    s.modify(h, key, now, |v| match v {
        Value::Set(x) => Ok(f(x)),
        _ => Err(err::wrong_type()),
    })
    .transpose()
}

fn bulks<'a>(it: impl IntoIterator<Item = &'a CompactBytes>) -> Vec<Reply> {
    it.into_iter().map(|m| Reply::bulk(m)).collect()
}

/// Redis's emptyset: `*0` in RESP2, `~0` in RESP3.
fn empty_set() -> Reply {
    Reply::Set(Vec::new())
}

/// The sets at `keys` (None for a missing key), or WRONGTYPE if any key
/// holds another type (checked for every key, like Redis 7.0). `found`
/// gets whether each key looked up was there (up to the one of another
/// type, where Redis stops).
fn lookup_sets<'a>(
    l: &'a Locked,
    store: &Store,
    db: usize,
    keys: &[Vec<u8>],
    now: u64,
    found: &mut Vec<bool>,
) -> Result<Vec<Option<&'a SetValue>>, Reply> {
    let mut out = Vec::with_capacity(keys.len());
    for k in keys {
        let (s, h) = l.stripe(store, db, k);
        let e = s.get(h, k, now);
        found.push(e.is_some());
        out.push(match e {
            Some(e) => Some(set_of(e)?),
            None => None,
        });
    }
    Ok(out)
}

/// Counts a keyspace hit or miss per source key looked up (lookupKeyRead;
/// a miss notifies `keymiss`).
fn count_hits(ctx: &Ctx, keys: &[Vec<u8>], found: &[bool]) {
    for (k, &f) in keys.iter().zip(found) {
        ctx.lookup(k, f);
    }
}

// ---------------------------------------------------------------- single key

fn sadd(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let max = max_intset(ctx);
    let db = ctx.client.db;
    let key = &args[1];
    let (mut s, h) = ctx.db().write(key);
    let now = now_ms();
    let add_all = |set: &mut SetValue| args[2..].iter().filter(|m| set.add(m, max)).count() as i64;
    let n = match modify(&mut s, h, key, now, add_all) {
        Err(r) => return r,
        Ok(Some(n)) => n,
        Ok(None) => {
            let mut set = SetValue::new();
            let n = add_all(&mut set);
            s.insert(h, key, Entry::new(Value::Set(Box::new(set)), 0));
            n
        }
    };
    if n > 0 {
        crate::persist::log(db, args);
        notify(NOTIFY_SET, "sadd", key, db);
    }
    drop(s);
    Reply::Int(n)
}

fn srem(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let db = ctx.client.db;
    let key = &args[1];
    let (mut s, h) = ctx.db().write(key);
    let now = now_ms();
    let r = modify(&mut s, h, key, now, |set| {
        let mut n = 0;
        for m in &args[2..] {
            if set.remove(m) {
                n += 1;
                if set.is_empty() {
                    break;
                }
            }
        }
        n
    });
    match r {
        Err(r) => r,
        Ok(n) => {
            let n = n.unwrap_or(0);
            if n > 0 {
                crate::persist::log(db, args);
                notify(NOTIFY_SET, "srem", key, db);
                s.notify_if_deleted(h, key);
            }
            drop(s);
            Reply::Int(n)
        }
    }
}

/// Runs `f` on the set at `key` for a read (lookupKeyRead): counts the hit
/// or miss; `missing` is the reply for an absent key.
fn read_set(
    ctx: &mut Ctx,
    key: &[u8],
    missing: Reply,
    f: impl FnOnce(&SetValue) -> Reply,
) -> Reply {
    let (s, h) = ctx.db().read(key);
    let (found, r) = match s.get(h, key, now_ms()) {
        None => (false, missing),
        Some(e) => (
            true,
            match set_of(e) {
                Ok(set) => f(set),
                Err(r) => r,
            },
        ),
    };
    drop(s);
    ctx.lookup(key, found);
    r
}

fn smembers(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    read_set(ctx, &args[1], empty_set(), |set| {
        Reply::Set(bulks(set.ordered()))
    })
}

fn sismember(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    read_set(ctx, &args[1], Reply::Int(0), |set| {
        Reply::Int(set.contains(&args[2]) as i64)
    })
}

fn smismember(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let zeros = Reply::Array(args[2..].iter().map(|_| Reply::Int(0)).collect());
    read_set(ctx, &args[1], zeros, |set| {
        Reply::Array(
            args[2..]
                .iter()
                .map(|m| Reply::Int(set.contains(m) as i64))
                .collect(),
        )
    })
}

fn scard(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    read_set(ctx, &args[1], Reply::Int(0), |set| {
        Reply::Int(set.len() as i64)
    })
}

/// Redis's SPOP_MOVE_STRATEGY_MUL: with few members left, rebuild the set
/// from them instead of popping one by one.
const SPOP_MOVE_STRATEGY_MUL: usize = 5;

/// Logs SPOP's effect on `key`: `DEL key` if it removed every member,
/// else `SREM key <removed members>` (in chunks, one batch).
fn log_spop(db: usize, key: &[u8], removed: &[Vec<u8>], emptied: bool) {
    if emptied {
        crate::persist::log(db, &[&b"DEL"[..], key]);
        return;
    }
    let mut batch = crate::persist::Batch::new();
    for chunk in removed.chunks(SPOP_LOG_CHUNK) {
        let mut argv: Vec<&[u8]> = Vec::with_capacity(chunk.len() + 2);
        argv.push(b"SREM");
        argv.push(key);
        argv.extend(chunk.iter().map(|m| m.as_slice()));
        batch.cmd(db, &argv);
    }
    batch.commit();
}

/// The most members one logged SREM of SPOP carries.
const SPOP_LOG_CHUNK: usize = 1024;

fn spop(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    if args.len() > 3 {
        return err::syntax();
    }
    let key = &args[1];
    let count = if args.len() == 3 {
        match int(&args[2]) {
            Ok(v) if v >= 0 => Some(v as usize),
            _ => return Reply::err("ERR value is out of range, must be positive"),
        }
    } else {
        None
    };
    let max = max_intset(ctx);
    let db = ctx.client.db;
    let (mut s, h) = ctx.db().write(key);
    let now = now_ms();
    let Some(count) = count else {
        let r = modify(&mut s, h, key, now, |set| {
            let m = set.pop_random(&mut rand_u64);
            (m, set.is_empty())
        });
        return match r {
            Err(r) => r,
            Ok(None) | Ok(Some((None, _))) => Reply::Null,
            Ok(Some((Some(m), emptied))) => {
                let m = m.into_vec();
                log_spop(db, key, std::slice::from_ref(&m), emptied);
                notify(NOTIFY_SET, "spop", key, db);
                s.notify_if_deleted(h, key);
                drop(s);
                Reply::Bulk(m)
            }
        };
    };
    // Redis checks the type before serving count 0.
    match s.get_mut(h, key, now) {
        None => return empty_set(),
        Some(e) => {
            if let Err(r) = set_of(e) {
                return r;
            }
        }
    }
    if count == 0 {
        return empty_set();
    }
    let r = modify(&mut s, h, key, now, |set| {
        let size = set.len();
        if count >= size {
            // The whole set goes to the client; the key is deleted.
            let out: Vec<Vec<u8>> = set.ordered().into_iter().map(|m| m.to_vec()).collect();
            *set = SetValue::new();
            return (out, true);
        }
        let remaining = size - count;
        if remaining * SPOP_MOVE_STRATEGY_MUL > count {
            let out = (0..count)
                .filter_map(|_| set.pop_random(&mut rand_u64))
                .map(|m| m.into_vec())
                .collect();
            (out, false)
        } else {
            // Keep `remaining` random members in a new set (which, like
            // Redis's, starts over in the intset encoding); the rest is
            // the reply.
            let mut kept = SetValue::new();
            for _ in 0..remaining {
                if let Some(m) = set.pop_random(&mut rand_u64) {
                    kept.add(&m, max);
                }
            }
            let out = set.iter().map(|m| m.to_vec()).collect();
            *set = kept;
            (out, false)
        }
    });
    match r {
        Err(r) => r,
        Ok(None) => empty_set(),
        Ok(Some((removed, emptied))) => {
            log_spop(db, key, &removed, emptied);
            notify(NOTIFY_SET, "spop", key, db);
            s.notify_if_deleted(h, key);
            drop(s);
            Reply::Set(removed.into_iter().map(Reply::Bulk).collect())
        }
    }
}

/// Redis's SRANDMEMBER_SUB_STRATEGY_MUL: copy the set and remove members
/// when the count is close to the size.
const SRANDMEMBER_SUB_STRATEGY_MUL: usize = 3;

fn srandmember(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    if args.len() > 3 {
        return err::syntax();
    }
    if args.len() == 2 {
        return read_set(ctx, &args[1], Reply::Null, |set| {
            match set.random(&mut rand_u64) {
                Some(m) => Reply::bulk(m),
                None => Reply::Null,
            }
        });
    }
    let l = match int(&args[2]) {
        Ok(v) => v,
        Err(r) => return r,
    };
    if l == i64::MIN {
        return Reply::err(
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
        );
    }
    let (count, uniq) = (l.unsigned_abs() as usize, l >= 0);
    if !uniq && count as u64 > MAX_RANDOM_PICKS {
        return Reply::err("ERR value is out of range");
    }
    read_set(ctx, &args[1], Reply::Array(Vec::new()), |set| {
        let size = set.len();
        if count == 0 || size == 0 {
            return Reply::Array(Vec::new());
        }
        let mut rnd = rand_u64;
        if !uniq || count == 1 {
            // With repeats: `count` independent picks.
            let mut out = Vec::with_capacity(count.min(1 << 20));
            for _ in 0..count {
                if let Some(m) = set.random(&mut rnd) {
                    out.push(Reply::bulk(m));
                }
            }
            return Reply::Array(out);
        }
        if count >= size {
            return Reply::Array(bulks(set.ordered()));
        }
        if count * SRANDMEMBER_SUB_STRATEGY_MUL > size {
            // Partial Fisher-Yates over all members.
            let mut all: Vec<&CompactBytes> = set.iter().collect();
            for i in 0..count {
                let j = i + (rnd() % (all.len() - i) as u64) as usize;
                all.swap(i, j);
            }
            return Reply::Array(bulks(all.into_iter().take(count)));
        }
        // Few members out of many: random picks until `count` distinct.
        let mut seen: HashSet<&[u8]> = HashSet::with_capacity(count);
        let mut out = Vec::with_capacity(count);
        while out.len() < count {
            let Some(m) = set.random(&mut rnd) else {
                break;
            };
            if seen.insert(m.as_slice()) {
                out.push(Reply::bulk(m));
            }
        }
        Reply::Array(out)
    })
}

fn smove(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let (src, dst, member) = (args[1].as_slice(), args[2].as_slice(), &args[3]);
    let max = max_intset(ctx);
    let db = ctx.client.db;
    let store = ctx.store();
    let now = now_ms();
    let mut l = store.lock(&[(db, src), (db, dst)], true);
    let (s, h) = l.stripe_mut(store, db, src);
    let src_has = match s.get_mut(h, src, now) {
        None => return Reply::Int(0),
        Some(e) => match set_of(e) {
            Err(r) => return r,
            Ok(set) => set.contains(member),
        },
    };
    let (d, hd) = l.stripe_mut(store, db, dst);
    if let Some(e) = d.get_mut(hd, dst, now) {
        if let Err(r) = set_of(e) {
            return r;
        }
    }
    if src == dst || !src_has {
        return Reply::Int(src_has as i64);
    }
    let (s, h) = l.stripe_mut(store, db, src);
    if let Err(r) = modify(s, h, src, now, |set| set.remove(member)) {
        return r;
    }
    // Redis notifies the source's change before it creates the destination.
    notify(NOTIFY_SET, "srem", src, db);
    s.notify_if_deleted(h, src);
    let mut batch = crate::persist::Batch::new();
    batch.cmd(db, &[&b"SREM"[..], src, member]);
    let (d, hd) = l.stripe_mut(store, db, dst);
    let added = match modify(d, hd, dst, now, |set| set.add(member, max)) {
        Err(r) => return r,
        Ok(Some(added)) => added,
        Ok(None) => {
            let mut set = SetValue::new();
            set.add(member, max);
            d.insert(hd, dst, Entry::new(Value::Set(Box::new(set)), 0));
            true
        }
    };
    if added {
        batch.cmd(db, &[&b"SADD"[..], dst, member]);
        notify(NOTIFY_SET, "sadd", dst, db);
    }
    batch.commit();
    drop(l);
    Reply::Int(1)
}

// ---------------------------------------------------------------- SSCAN

fn sscan(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let Some(cursor) = super::keys::parse_cursor(&args[2]) else {
        return Reply::err("ERR invalid cursor");
    };
    let empty_scan = Reply::Array(vec![Reply::bulk(b"0"), Reply::Array(Vec::new())]);
    read_set(ctx, &args[1], empty_scan, |set| {
        let opts = match super::args::scan_opts(args, 3) {
            Ok(o) => o,
            Err(r) => return r,
        };
        let (count, keep) = (opts.count, |m: &[u8]| opts.keeps(m));
        let mut out = Vec::new();
        let next = if set.intset {
            // Redis returns a small encoding whole, cursor 0.
            out = set
                .ordered()
                .into_iter()
                .filter(|m| keep(m))
                .map(|m| Reply::bulk(m))
                .collect();
            0
        } else {
            let count = (count as u64).min(1 << 40) as usize;
            let mut visited = 0usize;
            let mut cur = cursor;
            let mut max_iter = count * 10;
            loop {
                cur = set.members.scan(cur, |k, _| {
                    visited += 1;
                    if keep(k) {
                        out.push(Reply::bulk(k));
                    }
                });
                if cur == 0 || max_iter == 0 || visited >= count {
                    break;
                }
                max_iter -= 1;
            }
            cur
        };
        Reply::Array(vec![
            Reply::Bulk(next.to_string().into_bytes()),
            Reply::Array(out),
        ])
    })
}

// ---------------------------------------------------------------- algebra

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Union,
    Diff,
}

/// Members of the intersection of `sets` (all present), smallest set
/// first, stopping after `limit` members (0 = no limit). Ordered like
/// Redis: ascending when the smallest set is an intset.
fn intersect<'a>(sets: &[&'a SetValue], limit: usize) -> Vec<&'a CompactBytes> {
    let mut sorted: Vec<&SetValue> = sets.to_vec();
    sorted.sort_by_key(|s| s.len());
    let mut out = Vec::new();
    for m in sorted[0].ordered() {
        if sorted[1..].iter().all(|s| s.contains(m)) {
            out.push(m);
            if limit != 0 && out.len() >= limit {
                break;
            }
        }
    }
    out
}

/// SUNION / SDIFF of `sets` (None = missing key) as a new set.
fn union_diff(sets: &[Option<&SetValue>], op: Op, max: usize) -> SetValue {
    let mut out = SetValue::new();
    match op {
        Op::Union => {
            for s in sets.iter().flatten() {
                for m in s.iter() {
                    out.add(m, max);
                }
            }
        }
        Op::Diff => {
            if let Some(first) = sets[0] {
                for m in first.iter() {
                    if !sets[1..].iter().flatten().any(|s| s.contains(m)) {
                        out.add(m, max);
                    }
                }
            }
        }
    }
    out
}

fn sinter(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let db = ctx.client.db;
    let keys = &args[1..];
    let store = ctx.store();
    let now = now_ms();
    let (found, r) = {
        let lk: Vec<(usize, &[u8])> = keys.iter().map(|k| (db, k.as_slice())).collect();
        let l = store.lock(&lk, false);
        let mut found = Vec::new();
        let r = match lookup_sets(&l, store, db, keys, now, &mut found) {
            Err(r) => r,
            Ok(sets) => match sets.iter().copied().collect::<Option<Vec<_>>>() {
                None => empty_set(),
                Some(all) => Reply::Set(bulks(intersect(&all, 0))),
            },
        };
        (found, r)
    };
    count_hits(ctx, keys, &found);
    r
}

fn sintercard(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let numkeys = match int(&args[1]) {
        Ok(v) if v >= 1 => v as u64,
        _ => return Reply::err("ERR numkeys should be greater than 0"),
    };
    if numkeys > (args.len() - 2) as u64 {
        return Reply::err("ERR Number of keys can't be greater than number of args");
    }
    let end = 2 + numkeys as usize;
    let mut limit = 0usize;
    let mut j = end;
    while j < args.len() {
        if is(&args[j], "limit") && j + 1 < args.len() {
            j += 1;
            limit = match int(&args[j]) {
                Ok(v) if v >= 0 => v as usize,
                _ => return Reply::err("ERR LIMIT can't be negative"),
            };
        } else {
            return err::syntax();
        }
        j += 1;
    }
    let db = ctx.client.db;
    let keys = &args[2..end];
    let store = ctx.store();
    let now = now_ms();
    let (found, r) = {
        let lk: Vec<(usize, &[u8])> = keys.iter().map(|k| (db, k.as_slice())).collect();
        let l = store.lock(&lk, false);
        let mut found = Vec::new();
        let r = match lookup_sets(&l, store, db, keys, now, &mut found) {
            Err(r) => r,
            Ok(sets) => Reply::Int(match sets.iter().copied().collect::<Option<Vec<_>>>() {
                None => 0,
                Some(all) => intersect(&all, limit).len() as i64,
            }),
        };
        (found, r)
    };
    count_hits(ctx, keys, &found);
    r
}

fn sunion(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    union_diff_reply(ctx, args, Op::Union)
}

fn sdiff(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    union_diff_reply(ctx, args, Op::Diff)
}

fn union_diff_reply(ctx: &mut Ctx, args: &[Vec<u8>], op: Op) -> Reply {
    let max = max_intset(ctx);
    let db = ctx.client.db;
    let keys = &args[1..];
    let store = ctx.store();
    let now = now_ms();
    let (found, r) = {
        let lk: Vec<(usize, &[u8])> = keys.iter().map(|k| (db, k.as_slice())).collect();
        let l = store.lock(&lk, false);
        let mut found = Vec::new();
        let r = match lookup_sets(&l, store, db, keys, now, &mut found) {
            Err(r) => r,
            Ok(sets) => Reply::Set(bulks(union_diff(&sets, op, max).ordered())),
        };
        (found, r)
    };
    count_hits(ctx, keys, &found);
    r
}

fn sinterstore(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    store_generic(ctx, args, None)
}

fn sunionstore(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    store_generic(ctx, args, Some(Op::Union))
}

fn sdiffstore(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    store_generic(ctx, args, Some(Op::Diff))
}

/// SINTERSTORE (op None) / SUNIONSTORE / SDIFFSTORE: the destination and
/// every source locked together; the result replaces the destination (its
/// TTL dropped), an empty result deletes it.
fn store_generic(ctx: &mut Ctx, args: &[Vec<u8>], op: Option<Op>) -> Reply {
    let max = max_intset(ctx);
    let db = ctx.client.db;
    let dst = args[1].as_slice();
    let keys = &args[2..];
    let store = ctx.store();
    let now = now_ms();
    let lk: Vec<(usize, &[u8])> = args[1..].iter().map(|k| (db, k.as_slice())).collect();
    let mut l = store.lock(&lk, true);
    // Redis 7.0 looks the sources up for reading, deleting expired ones,
    // up to the first of another type.
    for k in keys {
        let (s, h) = l.stripe_mut(store, db, k);
        s.expire_if_needed(h, k, now);
        let e = s.get(h, k, now);
        ctx.lookup(k, e.is_some());
        if e.is_some_and(|e| set_of(e).is_err()) {
            break;
        }
    }
    let result = match lookup_sets(&l, store, db, keys, now, &mut Vec::new()) {
        Err(r) => return r,
        Ok(sets) => match op {
            Some(op) => union_diff(&sets, op, max),
            None => {
                let mut out = SetValue::new();
                if let Some(all) = sets.iter().copied().collect::<Option<Vec<_>>>() {
                    for m in intersect(&all, 0) {
                        out.add(m, max);
                    }
                }
                out
            }
        },
    };
    let (d, hd) = l.stripe_mut(store, db, dst);
    if result.is_empty() {
        let old = d.remove(hd, dst);
        if old.is_some() {
            crate::persist::log(db, &[&b"DEL"[..], dst]);
            notify(NOTIFY_GENERIC, "del", dst, db);
        }
        drop(l);
        drop(old);
        return Reply::Int(0);
    }
    let n = result.len() as i64;
    let e = Entry::new(Value::Set(Box::new(result)), 0);
    let mut batch = crate::persist::Batch::new();
    batch.entry(db, dst, &e);
    let old = d.insert(hd, dst, e);
    batch.commit();
    let event = match op {
        None => "sinterstore",
        Some(Op::Union) => "sunionstore",
        Some(Op::Diff) => "sdiffstore",
    };
    notify(NOTIFY_SET, event, dst, db);
    drop(l);
    drop(old);
    Reply::Int(n)
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{check_replay, check_replay_after, logged, texts};
    use crate::resp::Reply;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn as_refs(v: &[Vec<String>]) -> Vec<Vec<&str>> {
        v.iter()
            .map(|c| c.iter().map(|s| s.as_str()).collect())
            .collect()
    }

    #[test]
    fn sadd_srem_replay() {
        let mut ints = strings(&["SADD", "ints"]);
        ints.extend((0..600).map(|i| i.to_string()));
        let cmds = vec![
            strings(&["SADD", "s", "a", "b", "c"]),
            strings(&["SADD", "s", "a"]),
            strings(&["SADD", "s", "a", "d"]),
            strings(&["SREM", "s", "zz"]),
            strings(&["SREM", "missing", "a"]),
            strings(&["SREM", "s", "a", "zz"]),
            strings(&["SREM", "s", "b", "c", "d"]),
            strings(&["SADD", "n", "1", "2", "3"]),
            strings(&["SADD", "n", "x"]),
            // Past set-max-intset-entries.
            ints,
            strings(&["SREM", "ints", "5", "6"]),
            strings(&["HSET", "h", "f", "v"]),
            strings(&["SADD", "h", "a"]),
            strings(&["SREM", "h", "a"]),
            strings(&["MULTI"]),
            strings(&["SADD", "t", "1"]),
            strings(&["SREM", "t", "1"]),
            strings(&["SADD", "t", "2"]),
            strings(&["EXEC"]),
            strings(&["SELECT", "1"]),
            strings(&["SADD", "s", "other", "db"]),
            strings(&["SREM", "s", "db"]),
        ];
        let r = as_refs(&cmds);
        let r: Vec<&[&str]> = r.iter().map(|c| c.as_slice()).collect();
        check_replay(&r);
    }

    #[test]
    fn spop_replays() {
        let mut big = strings(&["SADD", "big"]);
        big.extend((0..1000).map(|i| format!("m{i}")));
        let mut ints = strings(&["SADD", "ints"]);
        ints.extend((0..100).map(|i| i.to_string()));
        let mut cmds = vec![big, ints, strings(&["SADD", "s", "a", "b", "c", "d", "e"])];
        for c in [
            &["SPOP", "s"][..],
            &["SPOP", "s", "0"],
            &["SPOP", "s", "1"],
            &["SPOP", "missing"],
            &["SPOP", "missing", "2"],
            // Few popped out of many: one by one.
            &["SPOP", "big", "10"],
            &["SPOP", "big"],
            // Most of them: the rest is kept in a new set.
            &["SPOP", "big", "900"],
            &["SPOP", "ints", "95"],
            // All of them: the key goes.
            &["SPOP", "big", "1000"],
            &["SPOP", "s", "2"],
            &["SPOP", "s"],
            &["SPOP", "s"],
            &["HSET", "h", "f", "v"],
            &["SPOP", "h"],
            &["SPOP", "h", "0"],
            &["MULTI"],
            &["SPOP", "ints", "2"],
            &["SPOP", "ints"],
            &["EXEC"],
            &["SELECT", "3"],
            &["SADD", "s", "x", "y"],
            &["SPOP", "s"],
        ] {
            cmds.push(strings(c));
        }
        let r = as_refs(&cmds);
        let r: Vec<&[&str]> = r.iter().map(|c| c.as_slice()).collect();
        check_replay(&r);
    }

    #[test]
    fn spop_logs_srem_of_the_popped_members() {
        let (replies, recs) = check_replay_after(
            &[&["SADD", "s", "a", "b", "c", "d", "e", "f"]],
            &[],
            &[&["SPOP", "s", "2"], &["SPOP", "s"], &["SPOP", "s", "10"]],
        );
        let recs = texts(&recs);
        let members = |r: &Reply| -> Vec<String> {
            let mut v: Vec<String> = match r {
                Reply::Set(v) | Reply::Array(v) => v
                    .iter()
                    .map(|m| match m {
                        Reply::Bulk(b) => String::from_utf8(b.clone()).unwrap(),
                        r => panic!("{r:?}"),
                    })
                    .collect(),
                Reply::Bulk(b) => vec![String::from_utf8(b.clone()).unwrap()],
                r => panic!("{r:?}"),
            };
            v.sort();
            v
        };
        let removed = |rec: &str| -> Vec<String> {
            let mut v: Vec<String> = rec
                .strip_prefix("SREM s ")
                .unwrap()
                .split(' ')
                .map(String::from)
                .collect();
            v.sort();
            v
        };
        assert_eq!(recs.len(), 3);
        assert_eq!(removed(&recs[0]), members(&replies[0]));
        assert_eq!(removed(&recs[1]), members(&replies[1]));
        assert_eq!(members(&replies[2]).len(), 3);
        assert_eq!(recs[2], "DEL s");
    }

    #[test]
    fn smove_replays() {
        check_replay(&[
            &["SADD", "a", "1", "2", "3", "x"],
            &["SADD", "b", "9"],
            &["SMOVE", "a", "b", "1"],
            &["SMOVE", "a", "new", "2"],
            &["SMOVE", "a", "b", "missing"],
            &["SMOVE", "a", "a", "3"],
            &["SMOVE", "nokey", "b", "3"],
            // The destination already holds the member.
            &["SADD", "b", "3"],
            &["SMOVE", "a", "b", "3"],
            // Emptying the source deletes it.
            &["SMOVE", "a", "b", "x"],
            &["HSET", "h", "f", "v"],
            &["SMOVE", "b", "h", "9"],
            &["SMOVE", "h", "b", "9"],
            &["MULTI"],
            &["SMOVE", "b", "c", "9"],
            &["SMOVE", "c", "b", "9"],
            &["EXEC"],
            &["SELECT", "1"],
            &["SADD", "a", "m"],
            &["SMOVE", "a", "b", "m"],
        ]);
        let recs = logged(&[
            &["SADD", "a", "m", "n"],
            &["SADD", "b", "n"],
            &["SMOVE", "a", "b", "m"],
            &["SMOVE", "a", "b", "n"],
            &["SMOVE", "b", "b", "n"],
            &["SMOVE", "b", "c", "zz"],
        ]);
        assert_eq!(
            recs,
            [
                "SADD a m n",
                "SADD b n",
                "BATCH[SREM a m; SADD b m]",
                "SREM a n",
            ]
        );
    }

    #[test]
    fn store_commands_replay() {
        check_replay(&[
            &["SADD", "a", "1", "2", "3", "x"],
            &["SADD", "b", "2", "3", "4"],
            &["SADD", "c", "3", "y"],
            &["SINTERSTORE", "i", "a", "b"],
            &["SUNIONSTORE", "u", "a", "b", "c", "missing"],
            &["SDIFFSTORE", "d", "a", "b"],
            // The destination among the sources.
            &["SUNIONSTORE", "a", "a", "c"],
            &["SINTERSTORE", "b", "b", "a"],
            // Empty results delete an existing destination.
            &["SINTERSTORE", "i", "a", "missing"],
            &["SDIFFSTORE", "d", "c", "c"],
            &["SUNIONSTORE", "never", "missing", "missing2"],
            // Over a key of another type, and from one (an error).
            &["HSET", "h", "f", "v"],
            &["SUNIONSTORE", "h", "a"],
            &["SUNIONSTORE", "u", "a", "h"],
            &["MULTI"],
            &["SINTERSTORE", "t", "a", "b"],
            &["SADD", "t", "more"],
            &["EXEC"],
            &["SELECT", "1"],
            &["SADD", "a", "1"],
            &["SUNIONSTORE", "u", "a"],
        ]);
    }

    #[test]
    fn store_commands_replay_over_ttls_and_expired_keys() {
        let far = 4_102_444_800_000;
        let setup: &[&[&str]] = &[
            &["SADD", "a", "1", "2", "3"],
            &["SADD", "b", "3", "4"],
            &["SADD", "one", "1"],
            &["SADD", "dst", "old"],
            &["SADD", "dst2", "old"],
            &["SADD", "gone", "2"],
            &["SADD", "gonedst", "old"],
        ];
        let ttls = &[
            (0, "dst", far),
            (0, "dst2", far),
            (0, "gone", 1),
            (0, "gonedst", 1),
        ];
        let (_, recs) = check_replay_after(
            setup,
            ttls,
            &[
                &["SINTERSTORE", "dst", "a", "b"],
                &["SDIFFSTORE", "dst2", "a", "a"],
                // An expired source is deleted (and that logged) first.
                &["SDIFFSTORE", "x", "one", "gone"],
                &["SUNIONSTORE", "gonedst", "missing"],
            ],
        );
        assert_eq!(
            texts(&recs),
            [
                "BATCH[DEL dst; SADD dst 3]",
                "DEL dst2",
                "DEL gone",
                "BATCH[DEL x; SADD x 1]",
                "DEL gonedst",
            ]
        );
    }
}
