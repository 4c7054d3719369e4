//! String commands, with Redis 7.0's semantics, error texts and reply shapes
//! (t_string.c): GET SET SETNX SETEX PSETEX MGET MSET MSETNX GETSET GETDEL
//! GETEX APPEND STRLEN INCR DECR INCRBY DECRBY INCRBYFLOAT GETRANGE SETRANGE
//! SUBSTR LCS.
//!
//! Keyspace hits/misses are counted where Redis uses `lookupKeyRead` (GET,
//! SET..GET, GETSET, GETDEL, GETEX, MGET per key, STRLEN, GETRANGE/SUBSTR,
//! LCS); write paths (`lookupKeyWrite`) don't count. Write paths use
//! `get_mut`, which deletes an expired key first, so it behaves as absent.
//!
//! WAL (persist/mod.rs): every change is logged under the key's stripe
//! lock, as its effect. Deterministic edits log their own arguments
//! (APPEND, SETRANGE, INCR/DECR/INCRBY/DECRBY); SET and its variants log
//! `SET k v` or `SET k v PXAT <absolute>` (SETEX, EX/PX/EXAT, the TTL that
//! KEEPTTL kept), GETSET `SET k v`, GETDEL `DEL k`, GETEX `DEL` /
//! `PEXPIREAT <absolute>` / `PERSIST`, INCRBYFLOAT `SET k <result> KEEPTTL`,
//! MSET / MSETNX one batch of SETs. Nothing is logged when nothing changed.
//!
//! Keyspace notifications as t_string.c: `set` (then `expire` when SET
//! had an expire option), `del` (GETDEL, GETEX to a past deadline),
//! `expire` / `persist` (GETEX), `append`, `setrange`, `incrby` (INCR,
//! DECR, INCRBY, DECRBY), `incrbyfloat`; `keymiss` where the hits and
//! misses are counted (`Ctx::lookup`).

use super::strutil::{fmt_i64, incr_by_float};
use super::*;
use crate::persist::{log, Batch};
use crate::pubsub::{NOTIFY_GENERIC, NOTIFY_STRING};
use crate::resp::Reply;
use crate::server::Ctx;
use crate::store::value::parse_i64;
use crate::store::{now_ms, CompactBytes, Entry, Stripe, Value};
use std::sync::atomic::Ordering::Relaxed;

const STRING: &[&str] = &["string"];

/// MSET/MSETNX: keys at 1, 3, 5, ...
const KEY_VALUE_PAIRS: Keys = Keys {
    first: 1,
    last: -1,
    step: 2,
};
/// LCS: keys at 1 and 2.
const KEY1_2: Keys = Keys {
    first: 1,
    last: 2,
    step: 1,
};

pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("get", 2, READONLY | FAST, KEY1, get)
        .doc("string", "1.0.0", "Returns the string value of a key.")
        .acl(STRING)
        .syntax("key")
        .complexity("O(1)"),
    CommandSpec::new("set", -3, WRITE | DENYOOM, KEY1, set)
        .doc("string", "1.0.0", "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.")
        .acl(STRING)
        .syntax("key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]")
        .complexity("O(1)"),
    CommandSpec::new("setnx", 3, WRITE | DENYOOM | FAST, KEY1, setnx)
        .doc("string", "1.0.0", "Set the string value of a key only when the key doesn't exist.")
        .acl(STRING)
        .syntax("key value")
        .complexity("O(1)"),
    CommandSpec::new("setex", 4, WRITE | DENYOOM, KEY1, setex)
        .doc("string", "2.0.0", "Sets the string value and expiration time of a key. Creates the key if it doesn't exist.")
        .acl(STRING)
        .syntax("key seconds value")
        .complexity("O(1)"),
    CommandSpec::new("psetex", 4, WRITE | DENYOOM, KEY1, psetex)
        .doc("string", "2.6.0", "Sets both string value and expiration time in milliseconds of a key. The key is created if it doesn't exist.")
        .acl(STRING)
        .syntax("key milliseconds value")
        .complexity("O(1)"),
    CommandSpec::new("mget", -2, READONLY | FAST, ALL_KEYS, mget)
        .doc("string", "1.0.0", "Atomically returns the string values of one or more keys.")
        .acl(STRING)
        .syntax("key [key ...]")
        .complexity("O(N) where N is the number of keys to retrieve."),
    CommandSpec::new("mset", -3, WRITE | DENYOOM, KEY_VALUE_PAIRS, mset)
        .doc("string", "1.0.1", "Atomically creates or modifies the string values of one or more keys.")
        .acl(STRING)
        .syntax("key value [key value ...]")
        .complexity("O(N) where N is the number of keys to set."),
    CommandSpec::new("msetnx", -3, WRITE | DENYOOM, KEY_VALUE_PAIRS, msetnx)
        .doc("string", "1.0.1", "Atomically modifies the string values of one or more keys only when all keys don't exist.")
        .acl(STRING)
        .syntax("key value [key value ...]")
        .complexity("O(N) where N is the number of keys to set."),
    CommandSpec::new("getset", 3, WRITE | DENYOOM | FAST, KEY1, getset)
        .doc("string", "1.0.0", "Returns the previous string value of a key after setting it to a new value.")
        .acl(STRING)
        .syntax("key value")
        .complexity("O(1)"),
    CommandSpec::new("getdel", 2, WRITE | FAST, KEY1, getdel)
        .doc("string", "6.2.0", "Returns the string value of a key after deleting the key.")
        .acl(STRING)
        .syntax("key")
        .complexity("O(1)"),
    CommandSpec::new("getex", -2, WRITE | FAST, KEY1, getex)
        .doc("string", "6.2.0", "Returns the string value of a key after setting its expiration time.")
        .acl(STRING)
        .syntax("key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | PERSIST]")
        .complexity("O(1)"),
    CommandSpec::new("append", 3, WRITE | DENYOOM | FAST, KEY1, append)
        .doc("string", "2.0.0", "Appends a string to the value of a key. Creates the key if it doesn't exist.")
        .acl(STRING)
        .syntax("key value")
        .complexity("O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation."),
    CommandSpec::new("strlen", 2, READONLY | FAST, KEY1, strlen)
        .doc("string", "2.2.0", "Returns the length of a string value.")
        .acl(STRING)
        .syntax("key")
        .complexity("O(1)"),
    CommandSpec::new("incr", 2, WRITE | DENYOOM | FAST, KEY1, incr)
        .doc("string", "1.0.0", "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.")
        .acl(STRING)
        .syntax("key")
        .complexity("O(1)"),
    CommandSpec::new("decr", 2, WRITE | DENYOOM | FAST, KEY1, decr)
        .doc("string", "1.0.0", "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.")
        .acl(STRING)
        .syntax("key")
        .complexity("O(1)"),
    CommandSpec::new("incrby", 3, WRITE | DENYOOM | FAST, KEY1, incrby)
        .doc("string", "1.0.0", "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.")
        .acl(STRING)
        .syntax("key increment")
        .complexity("O(1)"),
    CommandSpec::new("decrby", 3, WRITE | DENYOOM | FAST, KEY1, decrby)
        .doc("string", "1.0.0", "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist.")
        .acl(STRING)
        .syntax("key decrement")
        .complexity("O(1)"),
    CommandSpec::new("incrbyfloat", 3, WRITE | DENYOOM | FAST, KEY1, incrbyfloat)
        .doc("string", "2.6.0", "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist.")
        .acl(STRING)
        .syntax("key increment")
        .complexity("O(1)"),
    CommandSpec::new("getrange", 4, READONLY, KEY1, getrange)
        .doc("string", "2.4.0", "Returns a substring of the string stored at a key.")
        .acl(STRING)
        .syntax("key start end")
        .complexity("O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings."),
    CommandSpec::new("setrange", 4, WRITE | DENYOOM, KEY1, setrange)
        .doc("string", "2.2.0", "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist.")
        .acl(STRING)
        .syntax("key offset value")
        .complexity("O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument."),
    CommandSpec::new("substr", 4, READONLY, KEY1, getrange)
        .doc("string", "1.0.0", "Returns a substring from a string value.")
        .acl(STRING)
        .syntax("key start end")
        .complexity("O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings."),
    CommandSpec::new("lcs", -3, READONLY, KEY1_2, lcs)
        .doc("string", "7.0.0", "Finds the longest common substring.")
        .acl(STRING)
        .syntax("key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN]")
        .complexity("O(N*M) where N and M are the lengths of s1 and s2, respectively"),
];

// ---------------------------------------------------------------- helpers

/// The string held by an entry, or WRONGTYPE for any other type.
#[allow(unreachable_patterns)]
fn str_of(e: &Entry) -> Result<&CompactBytes, Reply> {
    match &e.value {
        Value::Str(s) => Ok(s),
        _ => Err(err::wrong_type()),
    }
}

fn is_str(e: &Entry) -> bool {
    str_of(e).is_ok()
}

/// Replaces the value of an existing entry in place, keeping its TTL, and
/// fixes the stripe's memory accounting.
fn replace_value(s: &mut Stripe, h: u64, key: &[u8], now: u64, v: CompactBytes) {
    let (before, after) = match s.get_mut(h, key, now) {
        Some(e) => {
            let before = e.heap_size();
            e.value = Value::Str(v);
            (before, e.heap_size())
        }
        None => return,
    };
    s.adjust_mem(before, after);
}

/// Redis compares option names as C strings: a NUL byte ends them.
fn cstr(a: &[u8]) -> &[u8] {
    match a.iter().position(|&b| b == 0) {
        Some(i) => &a[..i],
        None => a,
    }
}

fn string_too_long() -> Reply {
    Reply::err("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
}

fn proto_max_bulk_len(ctx: &Ctx) -> u64 {
    ctx.srv.hot.proto_max_bulk_len.load(Relaxed)
}

/// Logs the effect of a SET: `SET key val`, or `SET key val PXAT <at>`
/// when the value got a deadline (the absolute form of EX/PX/EXAT, or the
/// TTL KEEPTTL kept). Call it holding the key's stripe lock.
fn log_set(db: usize, key: &[u8], val: &[u8], at: u64) {
    if at == 0 {
        log(db, &[&b"SET"[..], key, val]);
    } else {
        let t = at.to_string();
        log(db, &[&b"SET"[..], key, val, b"PXAT", t.as_bytes()]);
    }
}

// Flags of parseExtendedStringArgumentsOrReply.
const NX: u32 = 1;
const XX: u32 = 1 << 1;
const GET: u32 = 1 << 2;
const KEEPTTL: u32 = 1 << 3;
const PERSIST: u32 = 1 << 4;
const EX: u32 = 1 << 5;
const PX: u32 = 1 << 6;
const EXAT: u32 = 1 << 7;
const PXAT: u32 = 1 << 8;
const ANY_EXPIRE: u32 = EX | PX | EXAT | PXAT;

/// SET's and GETEX's options (Redis's `parseExtendedStringArgumentsOrReply`
/// with the same acceptance rules: repeated options are fine, conflicting
/// ones and a missing expire value are a syntax error).
fn parse_ext(args: &[Vec<u8>], start: usize, is_set: bool) -> Result<(u32, Option<&[u8]>), Reply> {
    let mut flags = 0u32;
    let mut expire: Option<&[u8]> = None;
    let mut j = start;
    while j < args.len() {
        let opt = cstr(&args[j]);
        let has_next = j + 1 < args.len();
        let eq = |kw: &str| opt.eq_ignore_ascii_case(kw.as_bytes());
        let time_flag = if eq("EX") {
            EX
        } else if eq("PX") {
            PX
        } else if eq("EXAT") {
            EXAT
        } else if eq("PXAT") {
            PXAT
        } else {
            0
        };
        if is_set && eq("NX") && flags & XX == 0 {
            flags |= NX;
        } else if is_set && eq("XX") && flags & NX == 0 {
            flags |= XX;
        } else if is_set && eq("GET") {
            flags |= GET;
        } else if is_set && eq("KEEPTTL") && flags & (PERSIST | ANY_EXPIRE) == 0 {
            flags |= KEEPTTL;
        } else if !is_set && eq("PERSIST") && flags & (ANY_EXPIRE | KEEPTTL) == 0 {
            flags |= PERSIST;
        } else if time_flag != 0
            && flags & (KEEPTTL | PERSIST | (ANY_EXPIRE & !time_flag)) == 0
            && has_next
        {
            flags |= time_flag;
            expire = Some(&args[j + 1]);
            j += 1;
        } else {
            return Err(err::syntax());
        }
        j += 1;
    }
    Ok((flags, expire))
}

/// Redis's `getExpireMillisecondsOrReply`: the absolute deadline in Unix ms.
fn expire_at(arg: &[u8], flags: u32, cmd: &str) -> Result<u64, Reply> {
    let v = parse_i64(arg).ok_or_else(err::not_int)?;
    let seconds = flags & (EX | EXAT) != 0;
    let invalid = || Reply::error(format!("ERR invalid expire time in '{}' command", cmd));
    if v <= 0 || (seconds && v > i64::MAX / 1000) {
        return Err(invalid());
    }
    let mut ms = if seconds { v * 1000 } else { v };
    if flags & (EX | PX) != 0 {
        ms = ms.checked_add(now_ms() as i64).ok_or_else(invalid)?;
    }
    Ok(ms as u64)
}

// ---------------------------------------------------------------- GET / SET

fn get(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let (s, h) = ctx.db().read(&args[1]);
    let r = match s.get(h, &args[1], now_ms()) {
        Some(e) => match str_of(e) {
            Ok(v) => Reply::bulk(v),
            Err(r) => r,
        },
        None => Reply::Null,
    };
    drop(s);
    ctx.lookup(&args[1], !matches!(r, Reply::Null));
    r
}

fn set(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    if args.len() == 3 {
        // The hot path: no options, no lookup, one insert.
        let db = ctx.client.db;
        let (mut s, h) = ctx.db().write(&args[1]);
        s.insert(h, &args[1], Entry::new(Value::str(&args[2]), 0));
        log(db, args);
        ctx.notify(NOTIFY_STRING, "set", &args[1]);
        return Reply::ok();
    }
    let (flags, expire) = match parse_ext(args, 3, true) {
        Ok(x) => x,
        Err(r) => return r,
    };
    set_generic(
        ctx,
        flags,
        &args[1],
        &args[2],
        expire,
        "set",
        (Reply::ok(), Reply::Null),
    )
}

/// Redis's `setGenericCommand`: expire check → GET (reply the old value,
/// WRONGTYPE aborts) → NX/XX → store (TTL cleared unless KEEPTTL).
fn set_generic(
    ctx: &mut Ctx,
    flags: u32,
    key: &[u8],
    val: &[u8],
    expire: Option<&[u8]>,
    cmd: &str,
    (ok, abort): (Reply, Reply),
) -> Reply {
    let at = match expire {
        Some(x) => match expire_at(x, flags, cmd) {
            Ok(v) => v,
            Err(r) => return r,
        },
        None => 0,
    };
    let db = ctx.client.db;
    let (mut s, h) = ctx.db().write(key);
    if flags & (NX | XX | GET | KEEPTTL) == 0 {
        s.insert(h, key, Entry::new(Value::str(val), at));
        log_set(db, key, val, at);
        notify_set(ctx, key, expire.is_some());
        return ok;
    }
    let (found, old, old_at) = match s.get_mut(h, key, now_ms()) {
        Some(e) => {
            let old = if flags & GET != 0 {
                match str_of(e) {
                    Ok(v) => Reply::bulk(v),
                    Err(r) => {
                        drop(s);
                        ctx.lookup(key, true);
                        return r;
                    }
                }
            } else {
                Reply::Null
            };
            (true, old, e.expire_at)
        }
        None => (false, Reply::Null, 0),
    };
    if flags & GET != 0 {
        ctx.lookup(key, found);
    }
    if (flags & NX != 0 && found) || (flags & XX != 0 && !found) {
        return if flags & GET != 0 { old } else { abort };
    }
    let at = if flags & KEEPTTL != 0 { old_at } else { at };
    s.insert(h, key, Entry::new(Value::str(val), at));
    log_set(db, key, val, at);
    notify_set(ctx, key, expire.is_some());
    drop(s);
    if flags & GET != 0 {
        old
    } else {
        ok
    }
}

/// SET's events: `set`, then `expire` when it was given an expire time
/// (even one already past, like Redis).
fn notify_set(ctx: &Ctx, key: &[u8], expire: bool) {
    ctx.notify(NOTIFY_STRING, "set", key);
    if expire {
        ctx.notify(NOTIFY_GENERIC, "expire", key);
    }
}

fn setnx(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    set_generic(
        ctx,
        NX,
        &args[1],
        &args[2],
        None,
        "setnx",
        (Reply::Int(1), Reply::Int(0)),
    )
}

fn setex(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    set_generic(
        ctx,
        EX,
        &args[1],
        &args[3],
        Some(&args[2]),
        "setex",
        (Reply::ok(), Reply::Null),
    )
}

fn psetex(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    set_generic(
        ctx,
        PX,
        &args[1],
        &args[3],
        Some(&args[2]),
        "psetex",
        (Reply::ok(), Reply::Null),
    )
}

fn getset(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let key = &args[1];
    let (mut s, h) = ctx.db().write(key);
    let old = match s.get_mut(h, key, now_ms()) {
        Some(e) => match str_of(e) {
            Ok(v) => Reply::bulk(v),
            Err(r) => {
                drop(s);
                ctx.lookup(key, true);
                return r;
            }
        },
        None => Reply::Null,
    };
    ctx.lookup(key, old != Reply::Null);
    s.insert(h, key, Entry::new(Value::str(&args[2]), 0));
    log_set(ctx.client.db, key, &args[2], 0);
    ctx.notify(NOTIFY_STRING, "set", key);
    drop(s);
    old
}

fn getdel(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let key = &args[1];
    let (mut s, h) = ctx.db().write(key);
    let r = match s.get_mut(h, key, now_ms()) {
        Some(e) => match str_of(e) {
            Ok(v) => {
                let r = Reply::bulk(v);
                s.remove(h, key);
                log(ctx.client.db, &[&b"DEL"[..], key]);
                ctx.notify(NOTIFY_GENERIC, "del", key);
                r
            }
            Err(r) => r,
        },
        None => Reply::Null,
    };
    drop(s);
    ctx.lookup(key, r != Reply::Null);
    r
}

fn getex(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let (flags, expire) = match parse_ext(args, 2, false) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let key = &args[1];
    let db = ctx.client.db;
    let (mut s, h) = ctx.db().write(key);
    let now = now_ms();
    let (r, old_at) = match s.get_mut(h, key, now) {
        None => {
            drop(s);
            ctx.lookup(key, false);
            return Reply::Null;
        }
        Some(e) => (str_of(e).map(|v| Reply::bulk(v)), e.expire_at),
    };
    // Redis validates the expire only once it knows the key is a string.
    let r = r.and_then(|v| match expire {
        Some(x) => expire_at(x, flags, "getex").map(|at| (v, at)),
        None => Ok((v, 0)),
    });
    // Logged as its effect: DEL, PEXPIREAT <absolute>, PERSIST or nothing.
    let r = match r {
        Ok((v, at)) => {
            if flags & (EXAT | PXAT) != 0 && at <= now_ms() {
                s.remove(h, key);
                log(db, &[&b"DEL"[..], key]);
                ctx.notify(NOTIFY_GENERIC, "del", key);
            } else if expire.is_some() {
                s.set_expire(h, key, at);
                let t = at.to_string();
                log(db, &[&b"PEXPIREAT"[..], key, t.as_bytes()]);
                ctx.notify(NOTIFY_GENERIC, "expire", key);
            } else if flags & PERSIST != 0 && old_at != 0 {
                s.set_expire(h, key, 0);
                log(db, &[&b"PERSIST"[..], key]);
                ctx.notify(NOTIFY_GENERIC, "persist", key);
            }
            v
        }
        Err(r) => r,
    };
    drop(s);
    ctx.lookup(key, true);
    r
}

// ---------------------------------------------------------------- multi-key

fn mget(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let db = ctx.client.db;
    let keys: Vec<(usize, &[u8])> = args[1..].iter().map(|k| (db, k.as_slice())).collect();
    let store = ctx.store();
    let now = now_ms();
    let mut found = Vec::with_capacity(keys.len());
    let mut out = Vec::with_capacity(keys.len());
    {
        let l = store.lock(&keys, false);
        for k in &args[1..] {
            let (s, h) = l.stripe(store, db, k);
            let e = s.get(h, k, now);
            found.push(e.is_some());
            out.push(match e.map(str_of) {
                Some(Ok(v)) => Reply::bulk(v),
                _ => Reply::Null,
            });
        }
    }
    for (k, f) in args[1..].iter().zip(found) {
        ctx.lookup(k, f);
    }
    Reply::Array(out)
}

fn mset(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    mset_generic(ctx, args, false)
}

fn msetnx(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    mset_generic(ctx, args, true)
}

/// MSET / MSETNX: every key's stripe is write-locked at once, so the whole
/// command is atomic (MSETNX's check and sets included).
fn mset_generic(ctx: &mut Ctx, args: &[Vec<u8>], nx: bool) -> Reply {
    if args.len().is_multiple_of(2) {
        return err::arity(if nx { "msetnx" } else { "mset" });
    }
    let db = ctx.client.db;
    let keys: Vec<(usize, &[u8])> = args[1..]
        .iter()
        .step_by(2)
        .map(|k| (db, k.as_slice()))
        .collect();
    let store = ctx.store();
    let now = now_ms();
    let mut l = store.lock(&keys, true);
    if nx {
        for &(_, k) in &keys {
            let (s, h) = l.stripe_mut(store, db, k);
            if s.get_mut(h, k, now).is_some() {
                return Reply::Int(0);
            }
        }
    }
    // One batch, committed before the locks go: all keys or none after a
    // crash.
    let mut batch = Batch::new();
    for pair in args[1..].chunks_exact(2) {
        let (s, h) = l.stripe_mut(store, db, &pair[0]);
        s.insert(h, &pair[0], Entry::new(Value::str(&pair[1]), 0));
        batch.cmd(db, &[&b"SET"[..], &pair[0], &pair[1]]);
        crate::pubsub::notify(NOTIFY_STRING, "set", &pair[0], db);
    }
    batch.commit();
    drop(l);
    if nx {
        Reply::Int(1)
    } else {
        Reply::ok()
    }
}

// ---------------------------------------------------------------- edits

fn append(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let limit = proto_max_bulk_len(ctx);
    let (key, add) = (&args[1], &args[2]);
    let db = ctx.client.db;
    let (mut s, h) = ctx.db().write(key);
    let now = now_ms();
    let grown = match s.get_mut(h, key, now) {
        None => None,
        Some(e) => {
            let cur = match str_of(e) {
                Ok(v) => v,
                Err(r) => return r,
            };
            if cur.len() as u64 + add.len() as u64 > limit {
                return string_too_long();
            }
            // In place, with spare capacity: repeated appends stay cheap.
            let before = e.heap_size();
            let Value::Str(v) = &mut e.value else {
                unreachable!("str_of checked the type");
            };
            let buf = v.make_growable();
            buf.extend_from_slice(add);
            Some((buf.len(), before, e.heap_size()))
        }
    };
    let r = match grown {
        None => {
            s.insert(h, key, Entry::new(Value::str(add), 0));
            Reply::Int(add.len() as i64)
        }
        Some((n, before, after)) => {
            s.adjust_mem(before, after);
            Reply::Int(n as i64)
        }
    };
    log(db, args);
    ctx.notify(NOTIFY_STRING, "append", key);
    r
}

fn strlen(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let (s, h) = ctx.db().read(&args[1]);
    let (found, r) = match s.get(h, &args[1], now_ms()) {
        Some(e) => (
            true,
            match str_of(e) {
                Ok(v) => Reply::Int(v.len() as i64),
                Err(r) => r,
            },
        ),
        None => (false, Reply::Int(0)),
    };
    drop(s);
    ctx.lookup(&args[1], found);
    r
}

fn getrange(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let (mut start, mut end) = match (parse_i64(&args[2]), parse_i64(&args[3])) {
        (Some(a), Some(b)) => (a, b),
        _ => return err::not_int(),
    };
    let (s, h) = ctx.db().read(&args[1]);
    let (found, r) = match s.get(h, &args[1], now_ms()) {
        None => (false, Reply::Bulk(Vec::new())),
        Some(e) => (
            true,
            match str_of(e) {
                Err(r) => r,
                Ok(v) => {
                    let len = v.len() as i64;
                    if (start < 0 && end < 0 && start > end) || len == 0 {
                        Reply::Bulk(Vec::new())
                    } else {
                        if start < 0 {
                            start += len;
                        }
                        if end < 0 {
                            end += len;
                        }
                        start = start.max(0);
                        end = end.max(0).min(len - 1);
                        if start > end {
                            Reply::Bulk(Vec::new())
                        } else {
                            Reply::bulk(&v[start as usize..=end as usize])
                        }
                    }
                }
            },
        ),
    };
    drop(s);
    ctx.lookup(&args[1], found);
    r
}

fn setrange(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let offset = match parse_i64(&args[2]) {
        Some(v) => v,
        None => return err::not_int(),
    };
    if offset < 0 {
        return Reply::err("ERR offset is out of range");
    }
    let limit = proto_max_bulk_len(ctx);
    let (key, val) = (&args[1], &args[3]);
    let offset = offset as u64;
    // Redis computes offset+len in C arithmetic, which can wrap for offsets
    // near 2^63; here it saturates, so such offsets are refused.
    let need = offset.saturating_add(val.len() as u64);
    let db = ctx.client.db;
    let (mut s, h) = ctx.db().write(key);
    let now = now_ms();
    match s.get_mut(h, key, now) {
        None => {
            if val.is_empty() {
                return Reply::Int(0);
            }
            if need > limit {
                return string_too_long();
            }
            let mut v = vec![0u8; need as usize];
            v[offset as usize..].copy_from_slice(val);
            s.insert(h, key, Entry::new(Value::Str(CompactBytes::from_vec(v)), 0));
            log(db, args);
            ctx.notify(NOTIFY_STRING, "setrange", key);
            Reply::Int(need as i64)
        }
        Some(e) => {
            let cur = match str_of(e) {
                Ok(v) => v,
                Err(r) => return r,
            };
            if val.is_empty() {
                return Reply::Int(cur.len() as i64);
            }
            if need > limit {
                return string_too_long();
            }
            // In place, like APPEND: the value becomes growable (raw).
            let before = e.heap_size();
            let Value::Str(v) = &mut e.value else {
                unreachable!("str_of checked the type");
            };
            let buf = v.make_growable();
            if buf.len() < need as usize {
                buf.resize(need as usize, 0);
            }
            buf[offset as usize..need as usize].copy_from_slice(val);
            let total = buf.len();
            let after = e.heap_size();
            s.adjust_mem(before, after);
            log(db, args);
            ctx.notify(NOTIFY_STRING, "setrange", key);
            Reply::Int(total as i64)
        }
    }
}

// ---------------------------------------------------------------- counters

fn incr(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    incr_decr(ctx, args, 1)
}

fn decr(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    incr_decr(ctx, args, -1)
}

fn incrby(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    match parse_i64(&args[2]) {
        Some(n) => incr_decr(ctx, args, n),
        None => err::not_int(),
    }
}

fn decrby(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    match parse_i64(&args[2]) {
        Some(i64::MIN) => Reply::err("ERR decrement would overflow"),
        Some(n) => incr_decr(ctx, args, -n),
        None => err::not_int(),
    }
}

/// INCR/DECR/INCRBY/DECRBY: the value must be a Redis integer (`string2ll`);
/// the TTL is kept. Deterministic: logged as its own `args`.
fn incr_decr(ctx: &mut Ctx, args: &[Vec<u8>], by: i64) -> Reply {
    let key = args[1].as_slice();
    let db = ctx.client.db;
    let (mut s, h) = ctx.db().write(key);
    let now = now_ms();
    let cur = match s.get_mut(h, key, now) {
        Some(e) => match str_of(e) {
            Ok(v) => match parse_i64(v) {
                Some(n) => Some(n),
                None => return err::not_int(),
            },
            Err(r) => return r,
        },
        None => None,
    };
    let new = match cur.unwrap_or(0).checked_add(by) {
        Some(n) => n,
        None => return err::overflow(),
    };
    let mut buf = [0u8; 20];
    let text = CompactBytes::new(fmt_i64(new, &mut buf));
    if cur.is_some() {
        replace_value(&mut s, h, key, now, text);
    } else {
        s.insert(h, key, Entry::new(Value::Str(text), 0));
    }
    log(db, args);
    ctx.notify(NOTIFY_STRING, "incrby", key);
    Reply::Int(new)
}

/// INCRBYFLOAT, computed in a software model of x86-64 `long double` so the
/// text matches Redis's `"%.17Lf"` output exactly (see strutil.rs).
/// Logged as `SET key <result> KEEPTTL` (floating point is not replayed).
fn incrbyfloat(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let key = &args[1];
    let db = ctx.client.db;
    let (mut s, h) = ctx.db().write(key);
    let now = now_ms();
    let (exists, res) = match s.get_mut(h, key, now) {
        Some(e) => match str_of(e) {
            Ok(v) => (true, incr_by_float(v, &args[2])),
            Err(r) => return r,
        },
        None => (false, incr_by_float(b"0", &args[2])),
    };
    let text = match res {
        Ok(t) => t,
        Err(true) => return err::not_float(),
        Err(false) => return Reply::err("ERR increment would produce NaN or Infinity"),
    };
    let v = CompactBytes::new(text.as_bytes());
    if exists {
        replace_value(&mut s, h, key, now, v);
    } else {
        s.insert(h, key, Entry::new(Value::Str(v), 0));
    }
    log(db, &[&b"SET"[..], key, text.as_bytes(), b"KEEPTTL"]);
    ctx.notify(NOTIFY_STRING, "incrbyfloat", key);
    Reply::Bulk(text.into_bytes())
}

// ---------------------------------------------------------------- LCS

fn lcs(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let db = ctx.client.db;
    let (ka, kb) = (&args[1], &args[2]);
    let now = now_ms();
    let store = ctx.store();
    let (a, b, found_a, found_b, typed_ok) = {
        let l = store.lock(&[(db, ka.as_slice()), (db, kb.as_slice())], false);
        let (sa, ha) = l.stripe(store, db, ka);
        let ea = sa.get(ha, ka, now);
        let (sb, hb) = l.stripe(store, db, kb);
        let eb = sb.get(hb, kb, now);
        let ok = ea.is_none_or(is_str) && eb.is_none_or(is_str);
        let val = |e: Option<&Entry>| match e.map(str_of) {
            Some(Ok(v)) if ok => v.to_vec(),
            _ => Vec::new(),
        };
        (val(ea), val(eb), ea.is_some(), eb.is_some(), ok)
    };
    ctx.lookup(ka, found_a);
    ctx.lookup(kb, found_b);
    if !typed_ok {
        return Reply::err("ERR The specified keys must contain string values");
    }
    let (mut getlen, mut getidx, mut withmatchlen) = (false, false, false);
    let mut minmatchlen: i64 = 0;
    let mut j = 3;
    while j < args.len() {
        let opt = cstr(&args[j]);
        let more = j + 1 < args.len();
        if opt.eq_ignore_ascii_case(b"IDX") {
            getidx = true;
        } else if opt.eq_ignore_ascii_case(b"LEN") {
            getlen = true;
        } else if opt.eq_ignore_ascii_case(b"WITHMATCHLEN") {
            withmatchlen = true;
        } else if opt.eq_ignore_ascii_case(b"MINMATCHLEN") && more {
            minmatchlen = match parse_i64(&args[j + 1]) {
                Some(v) => v.max(0),
                None => return err::not_int(),
            };
            j += 1;
        } else {
            return err::syntax();
        }
        j += 1;
    }
    if getidx && getlen {
        return Reply::err("ERR If you want both the length and indexes, please just use IDX.");
    }
    if a.len() as u64 >= u32::MAX as u64 - 1 || b.len() as u64 >= u32::MAX as u64 - 1 {
        return Reply::err("ERR String too long for LCS");
    }
    let (alen, blen) = (a.len(), b.len());
    let cells = (alen as u64 + 1) * (blen as u64 + 1);
    if cells * 4 > proto_max_bulk_len(ctx) {
        return Reply::err(
            "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
        );
    }
    // table[i][j] = LCS length of a[..i] and b[..j], stored row-major.
    let w = blen + 1;
    let mut t = vec![0u32; cells as usize];
    for i in 1..=alen {
        for jj in 1..=blen {
            t[i * w + jj] = if a[i - 1] == b[jj - 1] {
                t[(i - 1) * w + jj - 1] + 1
            } else {
                t[(i - 1) * w + jj].max(t[i * w + jj - 1])
            };
        }
    }
    let total = t[alen * w + blen];
    if getlen {
        return Reply::Int(total as i64);
    }
    // Walk back from the end, as Redis does, collecting the LCS string and
    // the matching ranges (latest first).
    let mut result = vec![0u8; total as usize];
    let mut idx = total as usize;
    let mut matches = Vec::new();
    let (mut i, mut jj) = (alen, blen);
    let unset = alen;
    let (mut a_start, mut a_end, mut b_start, mut b_end) = (unset, 0usize, 0usize, 0usize);
    while i > 0 && jj > 0 {
        let mut emit = false;
        if a[i - 1] == b[jj - 1] {
            result[idx - 1] = a[i - 1];
            if a_start == unset {
                a_start = i - 1;
                a_end = i - 1;
                b_start = jj - 1;
                b_end = jj - 1;
            } else if a_start == i && b_start == jj {
                a_start -= 1;
                b_start -= 1;
            } else {
                emit = true;
            }
            if a_start == 0 || b_start == 0 {
                emit = true;
            }
            idx -= 1;
            i -= 1;
            jj -= 1;
        } else {
            if t[(i - 1) * w + jj] > t[i * w + jj - 1] {
                i -= 1;
            } else {
                jj -= 1;
            }
            if a_start != unset {
                emit = true;
            }
        }
        if emit {
            let match_len = (a_end - a_start + 1) as i64;
            if getidx && (minmatchlen == 0 || match_len >= minmatchlen) {
                let mut m = vec![
                    Reply::Array(vec![Reply::Int(a_start as i64), Reply::Int(a_end as i64)]),
                    Reply::Array(vec![Reply::Int(b_start as i64), Reply::Int(b_end as i64)]),
                ];
                if withmatchlen {
                    m.push(Reply::Int(match_len));
                }
                matches.push(Reply::Array(m));
            }
            a_start = unset;
        }
    }
    if getidx {
        Reply::Map(vec![
            (Reply::bulk_str("matches"), Reply::Array(matches)),
            (Reply::bulk_str("len"), Reply::Int(total as i64)),
        ])
    } else {
        Reply::Bulk(result)
    }
}

#[cfg(test)]
mod tests {
    use crate::command::testutil::{check_replay, check_replay_after, logged, text};
    use crate::persist::record;
    use crate::resp::Reply;

    fn now() -> u64 {
        crate::store::now_ms()
    }

    /// A deadline in a logged record, checked to be `ms` from about now.
    fn deadline_near(at: &str, ms: u64) {
        let at: u64 = at.parse().unwrap();
        let t = now();
        assert!(
            at <= t + ms && at + 5_000 >= t + ms,
            "{at} vs now {t} + {ms}"
        );
    }

    #[test]
    fn replay_set_and_its_options() {
        let (r, _) = check_replay_after(
            &[&["RPUSH", "list", "x"]],
            &[],
            &[
                &["SET", "a", "1"],
                &["SET", "b", "2", "EX", "100"],
                &["SET", "c", "3", "PX", "100000"],
                &["SET", "d", "4", "EXAT", "4000000000"],
                &["SET", "e", "5", "PXAT", "4000000000123"],
                // KEEPTTL with and without a TTL to keep
                &["SET", "b", "2b", "KEEPTTL"],
                &["SET", "a", "1b", "KEEPTTL"],
                &["SET", "new", "n", "KEEPTTL"],
                // GET: old value, absent, then WRONGTYPE (not logged)
                &["SET", "c", "3b", "GET"],
                &["SET", "f", "6", "GET", "EX", "50"],
                &["SET", "list", "v", "GET"],
                // NX / XX, applied or not
                &["SET", "a", "nx", "NX"],
                &["SET", "g", "nx", "NX", "PX", "7000"],
                &["SET", "zz", "xx", "XX"],
                &["SET", "d", "xx", "XX", "KEEPTTL", "GET"],
                &["SET", "e", "xx", "XX"],
                // a key whose TTL has passed but is still stored
                &["SET", "old", "v", "PXAT", "1"],
                &["SET", "old", "w", "NX"],
                &["SET", "old2", "v", "PXAT", "1"],
                &["SET", "old2", "w", "XX"],
                &["SET", "old3", "v", "PXAT", "1"],
                &["SET", "old3", "w", "KEEPTTL"],
                // errors
                &["SET", "a", "v", "EX", "0"],
                &["SET", "a", "v", "NX", "XX"],
            ],
        );
        assert_eq!(r[1], Reply::ok());
        assert_eq!(r[11], Reply::Null, "NX on an existing key");
        assert!(r[10].is_error());
    }

    #[test]
    fn replay_setnx_setex_psetex_getset_getdel() {
        check_replay_after(
            &[&["SADD", "s", "m"]],
            &[],
            &[
                &["SETNX", "a", "1"],
                &["SETNX", "a", "2"],
                &["SETEX", "b", "100", "x"],
                &["PSETEX", "c", "100000", "y"],
                &["SETEX", "c", "0", "y"],
                &["GETSET", "b", "z"],
                &["GETSET", "n", "z"],
                &["SET", "t", "v", "EX", "100"],
                &["GETSET", "t", "w"],
                &["GETDEL", "a"],
                &["GETDEL", "a"],
                &["GETDEL", "s"],
                &["GETSET", "s", "v"],
                &["SET", "old", "v", "PXAT", "1"],
                &["GETDEL", "old"],
                &["SET", "old2", "v", "PXAT", "1"],
                &["SETNX", "old2", "new"],
            ],
        );
    }

    #[test]
    fn replay_getex_options() {
        check_replay(&[
            &["SET", "a", "1"],
            &["GETEX", "a"],
            &["GETEX", "a", "EX", "100"],
            &["GETEX", "a", "PX", "200000"],
            &["GETEX", "a", "EXAT", "4000000000"],
            &["GETEX", "a", "PXAT", "4000000000500"],
            &["GETEX", "a", "PERSIST"],
            &["GETEX", "a", "PERSIST"],
            &["SET", "b", "2", "EX", "10"],
            &["GETEX", "b", "EXAT", "1"],
            &["SET", "c", "3"],
            &["GETEX", "c", "PXAT", "1000"],
            &["GETEX", "missing", "EX", "10"],
            &["GETEX", "a", "EX", "0"],
            &["SET", "old", "v", "PXAT", "1"],
            &["GETEX", "old", "PERSIST"],
        ]);
    }

    #[test]
    fn replay_mset_msetnx() {
        let (r, _) = check_replay(&[
            &["MSET", "a", "1", "b", "2", "a", "3"],
            &["SET", "t", "v", "EX", "100"],
            &["MSET", "t", "x", "c", "4"],
            &["MSETNX", "c", "5", "d", "6"],
            &["MSETNX", "d", "6", "e", "7"],
            &["SET", "old", "v", "PXAT", "1"],
            &["MSETNX", "old", "8", "f", "9"],
            &["MSET", "a"],
        ]);
        assert_eq!(r[3], Reply::Int(0));
        assert_eq!(r[4], Reply::Int(1));
        assert_eq!(r[6], Reply::Int(1));
    }

    #[test]
    fn replay_edits_and_counters() {
        check_replay_after(
            &[&["LPUSH", "l", "x"]],
            &[],
            &[
                &["APPEND", "a", "hello"],
                &["APPEND", "a", " world"],
                &["SET", "t", "x", "EX", "100"],
                &["APPEND", "t", "y"],
                &["SETRANGE", "t", "5", "z"],
                &["SETRANGE", "n", "3", "abc"],
                &["SETRANGE", "n", "1", ""],
                &["SETRANGE", "m", "1", ""],
                &["INCR", "i"],
                &["INCRBY", "i", "41"],
                &["DECR", "i"],
                &["DECRBY", "i", "-10"],
                &["SET", "ti", "5", "PX", "100000"],
                &["INCR", "ti"],
                &["DECRBY", "ti", "7"],
                &["INCR", "a"],
                &["SET", "max", "9223372036854775807"],
                &["INCR", "max"],
                &["INCRBYFLOAT", "f", "1.5"],
                &["INCRBYFLOAT", "f", "0.1"],
                &["SET", "tf", "10", "EX", "100"],
                &["INCRBYFLOAT", "tf", "-2.5e2"],
                &["INCRBYFLOAT", "a", "1"],
                &["APPEND", "l", "x"],
                &["INCR", "l"],
                &["SET", "old", "41", "PXAT", "1"],
                &["INCR", "old"],
            ],
        );
    }

    #[test]
    fn replay_across_dbs_and_transactions() {
        check_replay(&[
            &["SET", "a", "0"],
            &["SELECT", "3"],
            &["SET", "a", "3", "EX", "100"],
            &["MSET", "x", "1", "y", "2"],
            &["MULTI"],
            &["INCR", "a"],
            &["SET", "b", "v", "PX", "5000"],
            &["SELECT", "1"],
            &["APPEND", "a", "1"],
            &["MSETNX", "p", "1", "q", "2"],
            &["EXEC"],
            &["INCRBYFLOAT", "a", "2"],
        ]);
    }

    #[test]
    fn records_are_the_effects() {
        let s = logged(&[&["SET", "k", "v"]]);
        assert_eq!(s, ["SET k v"]);
        // SET EX becomes SET ... PXAT <absolute>: the seed's SET_WITH_TTL.
        let (_, recs) = check_replay(&[&["SET", "k", "v", "EX", "10"]]);
        assert_eq!(recs.len(), 1);
        assert_eq!(recs[0].op, record::SET_WITH_TTL);
        assert_eq!(
            (recs[0].key.as_slice(), recs[0].value.as_slice()),
            (&b"k"[..], &b"v"[..])
        );
        deadline_near(&recs[0].expire_at.to_string(), 10_000);
        let (_, recs) = check_replay(&[&["SETEX", "k", "20", "v"]]);
        assert_eq!(recs[0].op, record::SET_WITH_TTL);
        deadline_near(&recs[0].expire_at.to_string(), 20_000);
        // KEEPTTL with a TTL to keep: that deadline, absolute.
        let s = logged(&[
            &["SET", "k", "v", "PXAT", "4000000000000"],
            &["SET", "k", "w", "KEEPTTL", "GET"],
        ]);
        assert_eq!(s[1], "SET k w PXAT 4000000000000");
        // Nothing changed, nothing logged.
        let s = logged(&[
            &["SET", "k", "v"],
            &["SETNX", "k", "w"],
            &["SET", "k", "w", "NX"],
            &["SET", "j", "w", "XX"],
            &["MSETNX", "k", "1", "z", "2"],
            &["GETDEL", "nope"],
            &["GETEX", "k", "PERSIST"],
            &["INCR", "k"],
            &["SETRANGE", "k", "0", ""],
            &["SET", "k", "v", "EX", "-1"],
        ]);
        assert_eq!(s, ["SET k v"]);
        let s = logged(&[
            &["SET", "k", "1", "EX", "100"],
            &["INCRBYFLOAT", "k", "2.5"],
            &["GETDEL", "k"],
            &["MSET", "a", "1", "b", "2"],
            &["INCRBY", "a", "5"],
        ]);
        assert_eq!(s[1], "SET k 3.5 KEEPTTL");
        assert_eq!(s[2], "DEL k");
        assert_eq!(s[3], "BATCH[SET a 1; SET b 2]");
        assert_eq!(s[4], "INCRBY a 5");
        let (_, recs) = check_replay(&[&["SET", "k", "1"], &["GETEX", "k", "EX", "100"]]);
        assert_eq!(recs[1].op, record::EXPIRE);
        let words: Vec<String> = text(&recs[1]).split(' ').map(String::from).collect();
        assert_eq!(&words[..2], ["PEXPIREAT", "k"], "in DB 0: no `dbN: `");
        deadline_near(&words[2], 100_000);
    }
}
