//! List commands, with Redis 7.0's semantics, error texts and reply shapes
//! (t_list.c): LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN LRANGE LINDEX LSET
//! LINSERT LREM LTRIM LPOS LMOVE RPOPLPUSH LMPOP, and the blocking BLPOP
//! BRPOP BLMOVE BRPOPLPUSH BLMPOP (how they wait: src/blocking.rs), which
//! pop and log exactly as their non-blocking forms.
//!
//! Reads use `Stripe::get` and count keyspace hits/misses (lookupKeyRead);
//! writes use `get_mut`, which deletes an expired key first, and count
//! nothing. A list that becomes empty loses its key. LMOVE, RPOPLPUSH and
//! LMPOP lock every key they touch with one `Store::lock` call. In-place
//! changes fix the stripe's memory accounting with `Stripe::adjust_mem`.
//! Arguments are parsed in Redis's order, so the same bad command gets the
//! same error (or non-error) as from Redis.
//!
//! WAL: a write that changed a list logs, before its stripe locks are
//! released, its own argv (the single-key commands, and LMOVE / RPOPLPUSH
//! rotating one list) or a rewrite: LMOVE / RPOPLPUSH between two keys as
//! one batch of `LPOP|RPOP src` + `LPUSH|RPUSH dst element`, LMPOP as the
//! `LPOP|RPOP key count` that happened. Nothing is logged when nothing
//! changed.
//!
//! Keyspace notifications as t_list.c: `lpush` / `rpush` (also the X
//! forms when they pushed), `lpop` / `rpop` (once per command, whatever
//! the count), `lset`, `linsert`, `lrem` (when something was removed),
//! `ltrim` (whenever the key exists), each followed by `del` when the list
//! emptied. LMOVE and its relatives notify the push on the destination
//! first, then the pop on the source (and its `del`), as Redis does; a
//! blocked client notifies when it is served.

use super::args::{int, is};
use super::*;
use crate::blocking;
use crate::pubsub::{notify, NOTIFY_LIST};
use crate::resp::Reply;
use crate::server::Ctx;
use crate::store::list::{End, ListValue};
use crate::store::{now_ms, CompactBytes, Entry, Locked, Store, Stripe, Value};

const LIST: &[&str] = &["list"];

/// LMOVE / RPOPLPUSH: keys at 1 and 2.
const KEY1_2: Keys = Keys {
    first: 1,
    last: 2,
    step: 1,
};

/// BLPOP / BRPOP / BZPOPMIN / BZPOPMAX: every argument but the last.
pub const BKEYS: Keys = Keys {
    first: 1,
    last: -2,
    step: 1,
};

const PUSH_COMPLEXITY: &str = "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.";

pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("lpush", -3, WRITE | DENYOOM | FAST, KEY1, lpush)
        .doc("list", "1.0.0", "Prepend one or multiple elements to a list")
        .acl(LIST)
        .syntax("key element [element ...]")
        .complexity(PUSH_COMPLEXITY),
    CommandSpec::new("rpush", -3, WRITE | DENYOOM | FAST, KEY1, rpush)
        .doc("list", "1.0.0", "Append one or multiple elements to a list")
        .acl(LIST)
        .syntax("key element [element ...]")
        .complexity(PUSH_COMPLEXITY),
    CommandSpec::new("lpushx", -3, WRITE | DENYOOM | FAST, KEY1, lpushx)
        .doc("list", "2.2.0", "Prepend an element to a list, only if the list exists")
        .acl(LIST)
        .syntax("key element [element ...]")
        .complexity(PUSH_COMPLEXITY),
    CommandSpec::new("rpushx", -3, WRITE | DENYOOM | FAST, KEY1, rpushx)
        .doc("list", "2.2.0", "Append an element to a list, only if the list exists")
        .acl(LIST)
        .syntax("key element [element ...]")
        .complexity(PUSH_COMPLEXITY),
    CommandSpec::new("lpop", -2, WRITE | FAST, KEY1, lpop)
        .doc("list", "1.0.0", "Remove and get the first elements in a list")
        .acl(LIST)
        .syntax("key [count]")
        .complexity("O(N) where N is the number of elements returned"),
    CommandSpec::new("rpop", -2, WRITE | FAST, KEY1, rpop)
        .doc("list", "1.0.0", "Remove and get the last elements in a list")
        .acl(LIST)
        .syntax("key [count]")
        .complexity("O(N) where N is the number of elements returned"),
    CommandSpec::new("llen", 2, READONLY | FAST, KEY1, llen)
        .doc("list", "1.0.0", "Get the length of a list")
        .acl(LIST)
        .syntax("key")
        .complexity("O(1)"),
    CommandSpec::new("lrange", 4, READONLY, KEY1, lrange)
        .doc("list", "1.0.0", "Get a range of elements from a list")
        .acl(LIST)
        .syntax("key start stop")
        .complexity("O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range."),
    CommandSpec::new("lindex", 3, READONLY, KEY1, lindex)
        .doc("list", "1.0.0", "Get an element from a list by its index")
        .acl(LIST)
        .syntax("key index")
        .complexity("O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1)."),
    CommandSpec::new("lset", 4, WRITE | DENYOOM, KEY1, lset)
        .doc("list", "1.0.0", "Set the value of an element in a list by its index")
        .acl(LIST)
        .syntax("key index element")
        .complexity("O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1)."),
    CommandSpec::new("linsert", 5, WRITE | DENYOOM, KEY1, linsert)
        .doc("list", "2.2.0", "Insert an element before or after another element in a list")
        .acl(LIST)
        .syntax("key <BEFORE | AFTER> pivot element")
        .complexity("O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N)."),
    CommandSpec::new("lrem", 4, WRITE, KEY1, lrem)
        .doc("list", "1.0.0", "Remove elements from a list")
        .acl(LIST)
        .syntax("key count element")
        .complexity("O(N+M) where N is the length of the list and M is the number of elements removed."),
    CommandSpec::new("ltrim", 4, WRITE, KEY1, ltrim)
        .doc("list", "1.0.0", "Trim a list to the specified range")
        .acl(LIST)
        .syntax("key start stop")
        .complexity("O(N) where N is the number of elements to be removed by the operation."),
    CommandSpec::new("lpos", -3, READONLY, KEY1, lpos)
        .doc("list", "6.0.6", "Return the index of matching elements on a list")
        .acl(LIST)
        .syntax("key element [RANK rank] [COUNT num-matches] [MAXLEN len]")
        .complexity("O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time."),
    CommandSpec::new("lmove", 5, WRITE | DENYOOM, KEY1_2, lmove)
        .doc("list", "6.2.0", "Pop an element from a list, push it to another list and return it")
        .acl(LIST)
        .syntax("source destination <LEFT | RIGHT> <LEFT | RIGHT>")
        .complexity("O(1)"),
    CommandSpec::new("rpoplpush", 3, WRITE | DENYOOM, KEY1_2, rpoplpush)
        .doc("list", "1.2.0", "Remove the last element in a list, prepend it to another list and return it")
        .acl(LIST)
        .syntax("source destination")
        .complexity("O(1)"),
    CommandSpec::new("blpop", -3, WRITE | NOSCRIPT | BLOCKING, BKEYS, blpop)
        .doc("list", "2.0.0", "Remove and get the first element in a list, or block until one is available")
        .acl(LIST)
        .syntax("key [key ...] timeout")
        .complexity("O(N) where N is the number of provided keys."),
    CommandSpec::new("brpop", -3, WRITE | NOSCRIPT | BLOCKING, BKEYS, brpop)
        .doc("list", "2.0.0", "Remove and get the last element in a list, or block until one is available")
        .acl(LIST)
        .syntax("key [key ...] timeout")
        .complexity("O(N) where N is the number of provided keys."),
    CommandSpec::new("blmove", 6, WRITE | DENYOOM | NOSCRIPT | BLOCKING, KEY1_2, blmove)
        .doc("list", "6.2.0", "Pop an element from a list, push it to another list and return it; or block until one is available")
        .acl(LIST)
        .syntax("source destination <LEFT | RIGHT> <LEFT | RIGHT> timeout")
        .complexity("O(1)"),
    CommandSpec::new("brpoplpush", 4, WRITE | DENYOOM | NOSCRIPT | BLOCKING, KEY1_2, brpoplpush)
        .doc("list", "2.2.0", "Pop an element from a list, push it to another list and return it; or block until one is available")
        .acl(LIST)
        .syntax("source destination timeout")
        .complexity("O(1)"),
    CommandSpec::new("blmpop", -5, WRITE | BLOCKING | MOVABLEKEYS, NO_KEYS, blmpop)
        .doc("list", "7.0.0", "Pop elements from a list, or block until one is available")
        .acl(LIST)
        .syntax("timeout numkeys key [key ...] <LEFT | RIGHT> [COUNT count]")
        .complexity("O(N+M) where N is the number of provided keys and M is the number of elements returned."),
    CommandSpec::new("lmpop", -4, WRITE | MOVABLEKEYS, NO_KEYS, lmpop)
        .doc("list", "7.0.0", "Pop elements from a list")
        .acl(LIST)
        .syntax("numkeys key [key ...] <LEFT | RIGHT> [COUNT count]")
        .complexity("O(N+M) where N is the number of provided keys and M is the number of elements returned."),
];

// ---------------------------------------------------------------- helpers

/// The list held by an entry, or WRONGTYPE for any other type.
fn list_of(e: &Entry) -> Result<&ListValue, Reply> {
    match &e.value {
        Value::List(l) => Ok(l),
        _ => Err(err::wrong_type()),
    }
}

/// LEFT / RIGHT (Redis's getListPositionFromObjectOrReply).
fn parse_end(a: &[u8]) -> Result<End, Reply> {
    if is(a, "left") {
        Ok(End::Left)
    } else if is(a, "right") {
        Ok(End::Right)
    } else {
        Err(err::syntax())
    }
}

fn bulk(c: &CompactBytes) -> Reply {
    Reply::bulk(c)
}

/// Runs `f` on the list at `key` for a read (lookupKeyRead): counts the
/// hit or miss; `missing` is the reply for an absent key.
fn read_list(
    ctx: &mut Ctx,
    key: &[u8],
    missing: Reply,
    f: impl FnOnce(&ListValue) -> Reply,
) -> Reply {
    let (s, h) = ctx.db().read(key);
    let (found, r) = match s.get(h, key, now_ms()) {
        None => (false, missing),
        Some(e) => (
            true,
            match list_of(e) {
                Ok(l) => f(l),
                Err(r) => r,
            },
        ),
    };
    drop(s);
    ctx.lookup(key, found);
    r
}

/// Runs `f` on the list at `key` in place (lookupKeyWrite): Ok(None) if
/// the key is absent, WRONGTYPE for another type. Fixes the stripe's
/// memory accounting and deletes the key if the list ends up empty.
fn modify<R>(
    s: &mut Stripe,
    h: u64,
    key: &[u8],
    now: u64,
    f: impl FnOnce(&mut ListValue) -> R,
) -> Result<Option<R>, Reply> {
    s.modify(h, key, now, |v| match v {
        Value::List(x) => Ok(f(x)),
        _ => Err(err::wrong_type()),
    })
    .transpose()
}

/// Checks the type of `key` for a write without changing it: Ok(false)
/// when absent (an expired key is deleted first, as lookupKeyWrite does).
fn write_check(s: &mut Stripe, h: u64, key: &[u8], now: u64) -> Result<bool, Reply> {
    match s.get_mut(h, key, now) {
        None => Ok(false),
        Some(e) => list_of(e).map(|_| true),
    }
}

/// Pushes `v` at `end` of the list at `key`, creating the list if absent.
fn push_or_create(
    s: &mut Stripe,
    h: u64,
    key: &[u8],
    now: u64,
    end: End,
    v: CompactBytes,
) -> Result<(), Reply> {
    let mut v = Some(v);
    let pushed = modify(s, h, key, now, |l| {
        if let Some(v) = v.take() {
            l.push_owned(end, v);
        }
    })?;
    if pushed.is_none() {
        let mut l = ListValue::new();
        if let Some(v) = v.take() {
            l.push_owned(end, v);
        }
        s.insert(h, key, Entry::new(Value::List(Box::new(l)), 0));
    }
    Ok(())
}

/// Redis's start/stop normalisation (LRANGE, LTRIM): the inclusive index
/// range within a list of `len`, or None when it is empty.
fn clamp_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let llen = len as i64;
    let mut start = if start < 0 { start + llen } else { start };
    let mut end = if end < 0 { end + llen } else { end };
    if start < 0 {
        start = 0;
    }
    if start > end || start >= llen {
        return None;
    }
    if end >= llen {
        end = llen - 1;
    }
    Some((start as usize, end as usize))
}

// ---------------------------------------------------------------- push / pop

fn lpush(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    push_generic(ctx, args, End::Left, false)
}

fn rpush(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    push_generic(ctx, args, End::Right, false)
}

fn lpushx(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    push_generic(ctx, args, End::Left, true)
}

fn rpushx(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    push_generic(ctx, args, End::Right, true)
}

/// LPUSH / RPUSH, and with `xx` LPUSHX / RPUSHX (only an existing list).
fn push_generic(ctx: &mut Ctx, args: &[Vec<u8>], end: End, xx: bool) -> Reply {
    let db = ctx.client.db;
    let key = &args[1];
    let (mut s, h) = ctx.db().write(key);
    let now = now_ms();
    let push_all = |l: &mut ListValue| {
        for v in &args[2..] {
            l.push(end, v);
        }
        l.len() as i64
    };
    let n = match modify(&mut s, h, key, now, push_all) {
        Err(r) => return r,
        Ok(Some(n)) => n,
        Ok(None) if xx => return Reply::Int(0),
        Ok(None) => {
            let mut l = ListValue::new();
            let n = push_all(&mut l);
            s.insert(h, key, Entry::new(Value::List(Box::new(l)), 0));
            n
        }
    };
    crate::persist::log(db, args);
    notify(NOTIFY_LIST, end_event(end, true), key, db);
    drop(s);
    Reply::Int(n)
}

fn lpop(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    pop_generic(ctx, args, End::Left, "lpop")
}

fn rpop(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    pop_generic(ctx, args, End::Right, "rpop")
}

/// LPOP / RPOP: without a count one element (bulk, or nil); with a count
/// an array of up to `count` elements from that end (nil array when the
/// key is missing, empty array for count 0).
fn pop_generic(ctx: &mut Ctx, args: &[Vec<u8>], end: End, name: &str) -> Reply {
    if args.len() > 3 {
        return err::arity(name);
    }
    let count = if args.len() == 3 {
        match int(&args[2]) {
            Ok(v) if v >= 0 => Some(v as u64),
            _ => return Reply::err("ERR value is out of range, must be positive"),
        }
    } else {
        None
    };
    let db = ctx.client.db;
    let key = &args[1];
    let (mut s, h) = ctx.db().write(key);
    let now = now_ms();
    match write_check(&mut s, h, key, now) {
        Err(r) => return r,
        Ok(false) if count.is_some() => return Reply::NullArray,
        Ok(false) => return Reply::Null,
        Ok(true) => {}
    }
    if count == Some(0) {
        return Reply::Array(Vec::new());
    }
    let r = modify(&mut s, h, key, now, |l| match count {
        None => Reply::opt_bulk(l.pop(end).map(|c| c.into_vec())),
        Some(n) => {
            let n = (n as usize).min(l.len());
            let mut out = Vec::with_capacity(n);
            for _ in 0..n {
                if let Some(c) = l.pop(end) {
                    out.push(Reply::Bulk(c.into_vec()));
                }
            }
            Reply::Array(out)
        }
    });
    match r {
        Err(r) => r,
        Ok(None) => Reply::Null,
        Ok(Some(r)) => {
            // The list existed and was not empty: something was popped.
            crate::persist::log(db, args);
            notify(NOTIFY_LIST, end_event(end, false), key, db);
            s.notify_if_deleted(h, key);
            drop(s);
            r
        }
    }
}

// ---------------------------------------------------------------- reads

fn llen(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    read_list(ctx, &args[1], Reply::Int(0), |l| Reply::Int(l.len() as i64))
}

fn lrange(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let (start, end) = match (int(&args[2]), int(&args[3])) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    read_list(
        ctx,
        &args[1],
        Reply::Array(Vec::new()),
        |l| match clamp_range(start, end, l.len()) {
            None => Reply::Array(Vec::new()),
            Some((a, b)) => Reply::Array(l.items.range(a..=b).map(bulk).collect()),
        },
    )
}

fn lindex(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    // Redis looks the key up before parsing the index.
    read_list(ctx, &args[1], Reply::Null, |l| {
        let index = match int(&args[2]) {
            Ok(v) => v,
            Err(r) => return r,
        };
        let i = if index < 0 {
            index + l.len() as i64
        } else {
            index
        };
        match usize::try_from(i).ok().and_then(|i| l.get(i)) {
            Some(c) => bulk(c),
            None => Reply::Null,
        }
    })
}

/// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len].
fn lpos(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let ele = args[2].as_slice();
    let mut rank: i64 = 1;
    let mut count: Option<u64> = None;
    let mut maxlen: u64 = 0;
    let mut j = 3;
    while j < args.len() {
        let more = j + 1 < args.len();
        if is(&args[j], "rank") && more {
            j += 1;
            rank = match int(&args[j]) {
                Ok(v) => v,
                Err(r) => return r,
            };
            if rank == 0 {
                return Reply::err(
                    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
                );
            }
        } else if is(&args[j], "count") && more {
            j += 1;
            count = match int(&args[j]) {
                Ok(v) if v >= 0 => Some(v as u64),
                _ => return Reply::err("ERR COUNT can't be negative"),
            };
        } else if is(&args[j], "maxlen") && more {
            j += 1;
            maxlen = match int(&args[j]) {
                Ok(v) if v >= 0 => v as u64,
                _ => return Reply::err("ERR MAXLEN can't be negative"),
            };
        } else {
            return err::syntax();
        }
        j += 1;
    }
    let from_tail = rank < 0;
    // Redis 7.0 negates the rank in a C long: RANK -9223372036854775808
    // stays negative, so every match qualifies and COUNT never stops the
    // scan. Reproduced rather than refused, to answer as Redis does.
    let wrapped = rank == i64::MIN;
    let rank = if wrapped { 1 } else { rank.unsigned_abs() };
    let missing = if count.is_some() {
        Reply::Array(Vec::new())
    } else {
        Reply::Null
    };
    read_list(ctx, &args[1], missing, |l| {
        let len = l.len();
        let limit = if maxlen == 0 {
            len
        } else {
            (maxlen.min(len as u64)) as usize
        };
        let positions: Box<dyn Iterator<Item = usize>> = if from_tail {
            Box::new((0..len).rev().take(limit))
        } else {
            Box::new((0..len).take(limit))
        };
        let mut matches: u64 = 0;
        let mut out = Vec::new();
        for pos in positions {
            if l.items[pos].as_slice() != ele {
                continue;
            }
            matches += 1;
            if matches < rank {
                continue;
            }
            match count {
                None => return Reply::Int(pos as i64),
                Some(c) => {
                    out.push(Reply::Int(pos as i64));
                    if c != 0 && !wrapped && matches - rank + 1 >= c {
                        break;
                    }
                }
            }
        }
        if count.is_some() {
            Reply::Array(out)
        } else {
            Reply::Null
        }
    })
}

// ---------------------------------------------------------------- in place

fn lset(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let db = ctx.client.db;
    let key = &args[1];
    let (mut s, h) = ctx.db().write(key);
    let now = now_ms();
    let len = match s.get_mut(h, key, now) {
        None => return err::no_such_key(),
        Some(e) => match list_of(e) {
            Err(r) => return r,
            Ok(l) => l.len(),
        },
    };
    let index = match int(&args[2]) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let i = if index < 0 { index + len as i64 } else { index };
    if i < 0 || i >= len as i64 {
        return Reply::err("ERR index out of range");
    }
    match modify(&mut s, h, key, now, |l| l.set(i as usize, &args[3])) {
        Err(r) => r,
        Ok(_) => {
            crate::persist::log(db, args);
            notify(NOTIFY_LIST, "lset", key, db);
            drop(s);
            Reply::ok()
        }
    }
}

fn linsert(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let after = if is(&args[2], "after") {
        true
    } else if is(&args[2], "before") {
        false
    } else {
        return err::syntax();
    };
    let db = ctx.client.db;
    let key = &args[1];
    let (pivot, value) = (args[3].as_slice(), &args[4]);
    let (mut s, h) = ctx.db().write(key);
    let now = now_ms();
    let r = modify(&mut s, h, key, now, |l| {
        let at = l.iter().position(|c| c.as_slice() == pivot);
        match at {
            None => -1,
            Some(p) => {
                l.insert(if after { p + 1 } else { p }, value);
                l.len() as i64
            }
        }
    });
    let reply = int_logged(r, db, args, "linsert");
    drop(s);
    reply
}

/// The integer reply of LINSERT / LREM (absent key = 0), logging the
/// command and notifying `event` when it changed the list (n > 0). Call it
/// holding the stripe.
fn int_logged(r: Result<Option<i64>, Reply>, db: usize, args: &[Vec<u8>], event: &str) -> Reply {
    match r {
        Err(r) => r,
        Ok(n) => {
            let n = n.unwrap_or(0);
            if n > 0 {
                crate::persist::log(db, args);
                notify(NOTIFY_LIST, event, &args[1], db);
            }
            Reply::Int(n)
        }
    }
}

fn lrem(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let count = match int(&args[2]) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let db = ctx.client.db;
    let key = &args[1];
    let ele = args[3].as_slice();
    let (mut s, h) = ctx.db().write(key);
    let now = now_ms();
    let r = modify(&mut s, h, key, now, |l| {
        let limit = if count == 0 {
            usize::MAX
        } else {
            usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX)
        };
        // The range of indexes whose matches go: from the head up to the
        // limit-th match, or from the limit-th match counted from the tail.
        let (lo, hi) = if count >= 0 {
            let mut seen = 0;
            let mut hi = l.len();
            for (i, c) in l.iter().enumerate() {
                if c.as_slice() == ele {
                    seen += 1;
                    if seen == limit {
                        hi = i + 1;
                        break;
                    }
                }
            }
            (0, hi)
        } else {
            let mut seen = 0;
            let mut lo = 0;
            for (i, c) in l.iter().enumerate().rev() {
                if c.as_slice() == ele {
                    seen += 1;
                    if seen == limit {
                        lo = i;
                        break;
                    }
                }
            }
            (lo, l.len())
        };
        let before = l.len();
        let mut i = 0;
        l.retain(|c| {
            let gone = i >= lo && i < hi && c.as_slice() == ele;
            i += 1;
            !gone
        });
        (before - l.len()) as i64
    });
    let reply = int_logged(r, db, args, "lrem");
    if matches!(reply, Reply::Int(n) if n > 0) {
        s.notify_if_deleted(h, key);
    }
    drop(s);
    reply
}

fn ltrim(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let (start, end) = match (int(&args[2]), int(&args[3])) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    let db = ctx.client.db;
    let key = &args[1];
    let (mut s, h) = ctx.db().write(key);
    let now = now_ms();
    let r = modify(&mut s, h, key, now, |l| {
        let len = l.len();
        match clamp_range(start, end, len) {
            None => l.trim(len, 0),
            Some((a, b)) => l.trim(a, len - b - 1),
        }
        l.len() != len
    });
    match r {
        Err(r) => r,
        Ok(changed) => {
            if changed == Some(true) {
                crate::persist::log(db, args);
            }
            if changed.is_some() {
                // Redis notifies a trim even when it removed nothing.
                notify(NOTIFY_LIST, "ltrim", key, db);
                s.notify_if_deleted(h, key);
            }
            drop(s);
            Reply::ok()
        }
    }
}

// ---------------------------------------------------------------- moves

fn lmove(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let from = match parse_end(&args[3]) {
        Ok(e) => e,
        Err(r) => return r,
    };
    let to = match parse_end(&args[4]) {
        Ok(e) => e,
        Err(r) => return r,
    };
    lmove_generic(ctx, &args[1], &args[2], from, to)
}

fn rpoplpush(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    lmove_generic(ctx, &args[1], &args[2], End::Right, End::Left)
}

/// The name of a list end as LMOVE spells it.
fn end_name(e: End) -> &'static [u8] {
    match e {
        End::Left => b"LEFT",
        End::Right => b"RIGHT",
    }
}

/// The event of a pop (`lpop` / `rpop`) or push (`lpush` / `rpush`) at `e`.
fn end_event(e: End, push: bool) -> &'static str {
    match (e, push) {
        (End::Left, false) => "lpop",
        (End::Right, false) => "rpop",
        (End::Left, true) => "lpush",
        (End::Right, true) => "rpush",
    }
}

/// The pop (`LPOP` / `RPOP`) or push (`LPUSH` / `RPUSH`) at `e`.
fn end_cmd(e: End, push: bool) -> &'static [u8] {
    match (e, push) {
        (End::Left, false) => b"LPOP",
        (End::Right, false) => b"RPOP",
        (End::Left, true) => b"LPUSH",
        (End::Right, true) => b"RPUSH",
    }
}

/// Pops from `from` of `src` and pushes at `to` of `dst` (created if
/// absent); the same key rotates in place. Both keys locked together.
/// Logged as `LMOVE key key from to` when one list rotates, else as one
/// batch `LPOP|RPOP src` + `LPUSH|RPUSH dst element`.
fn lmove_generic(ctx: &mut Ctx, src: &[u8], dst: &[u8], from: End, to: End) -> Reply {
    let srv = ctx.srv.clone();
    let db = ctx.client.db;
    let store = &srv.store;
    let mut l = store.lock(&[(db, src), (db, dst)], true);
    lmove_locked(store, &mut l, db, src, dst, from, to).unwrap_or(Reply::Null)
}

/// LMOVE with both keys locked: None when the source is missing or empty
/// (nothing changed), else the reply (the element, or an error).
fn lmove_locked(
    store: &Store,
    l: &mut Locked,
    db: usize,
    src: &[u8],
    dst: &[u8],
    from: End,
    to: End,
) -> Option<Reply> {
    let now = now_ms();
    let (s, h) = l.stripe_mut(store, db, src);
    let len = match s.get_mut(h, src, now) {
        None => return None,
        Some(e) => match list_of(e) {
            Err(r) => return Some(r),
            Ok(lv) if lv.is_empty() => return None,
            Ok(lv) => lv.len(),
        },
    };
    if src == dst {
        let r = modify(s, h, src, now, |lv| {
            let v = lv.pop(from)?;
            let out = v.to_vec();
            lv.push_owned(to, v);
            Some(out)
        });
        return Some(match r {
            Err(r) => r,
            Ok(v) => {
                // Popping and pushing at the same end, or rotating a single
                // element, changes nothing.
                if from != to && len > 1 {
                    crate::persist::log(
                        db,
                        &[&b"LMOVE"[..], src, src, end_name(from), end_name(to)],
                    );
                }
                // Redis notifies the push, then the pop, even when nothing
                // moved.
                notify(NOTIFY_LIST, end_event(to, true), dst, db);
                notify(NOTIFY_LIST, end_event(from, false), src, db);
                Reply::opt_bulk(v.flatten())
            }
        });
    }
    let (d, hd) = l.stripe_mut(store, db, dst);
    if let Err(r) = write_check(d, hd, dst, now) {
        return Some(r);
    }
    let (s, h) = l.stripe_mut(store, db, src);
    let v = match modify(s, h, src, now, |lv| lv.pop(from)) {
        Err(r) => return Some(r),
        Ok(v) => v.flatten()?,
    };
    let reply = Reply::bulk(&v);
    let mut batch = crate::persist::Batch::new();
    batch
        .cmd(db, &[end_cmd(from, false), src])
        .cmd(db, &[end_cmd(to, true), dst, v.as_slice()]);
    let (d, hd) = l.stripe_mut(store, db, dst);
    Some(match push_or_create(d, hd, dst, now, to, v) {
        Err(r) => r,
        Ok(()) => {
            batch.commit();
            notify(NOTIFY_LIST, end_event(to, true), dst, db);
            notify(NOTIFY_LIST, end_event(from, false), src, db);
            let (s, h) = l.stripe(store, db, src);
            s.notify_if_deleted(h, src);
            reply
        }
    })
}

/// LMPOP's / BLMPOP's arguments from `at` (see `args::mpop`).
fn mpop_args(args: &[Vec<u8>], at: usize) -> Result<(usize, End, u64), Reply> {
    super::args::mpop(args, at, |a| parse_end(a).ok())
}

/// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]: pops from the
/// first non-empty list; replies [key, [elements]] or a nil array.
fn lmpop(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let (where_idx, end, count) = match mpop_args(args, 1) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let keys = &args[2..where_idx];
    let srv = ctx.srv.clone();
    let db = ctx.client.db;
    let lk: Vec<(usize, &[u8])> = keys.iter().map(|k| (db, k.as_slice())).collect();
    let mut l = srv.store.lock(&lk, true);
    match mpop_locked(&srv.store, &mut l, db, keys, end, count, false) {
        Some(r) => r,
        None => Reply::NullArray,
    }
}

/// Pops up to `count` from the first non-empty list of `keys` (all
/// locked): None if they are all empty. A key of another type is an error,
/// or skipped with `skip_wrong`.
fn mpop_locked(
    store: &Store,
    l: &mut Locked,
    db: usize,
    keys: &[Vec<u8>],
    end: End,
    count: u64,
    skip_wrong: bool,
) -> Option<Reply> {
    let now = now_ms();
    for key in keys {
        let (s, h) = l.stripe_mut(store, db, key);
        let r = modify(s, h, key, now, |lv| {
            let n = (count.min(lv.len() as u64)) as usize;
            let mut out = Vec::with_capacity(n);
            for _ in 0..n {
                if let Some(c) = lv.pop(end) {
                    out.push(Reply::Bulk(c.into_vec()));
                }
            }
            out
        });
        match r {
            Err(_) if skip_wrong => continue,
            Err(r) => return Some(r),
            Ok(None) => continue,
            Ok(Some(v)) if v.is_empty() => continue,
            Ok(Some(v)) => {
                // Logged as the single-key pop that happened.
                let n = v.len().to_string();
                crate::persist::log(db, &[end_cmd(end, false), key, n.as_bytes()]);
                notify(NOTIFY_LIST, end_event(end, false), key, db);
                let (s, h) = l.stripe(store, db, key);
                s.notify_if_deleted(h, key);
                return Some(Reply::Array(vec![Reply::bulk(key), Reply::Array(v)]));
            }
        }
    }
    None
}

// ---------------------------------------------------------------- blocking

fn blpop(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    bpop(ctx, args, End::Left)
}

fn brpop(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    bpop(ctx, args, End::Right)
}

/// BLPOP / BRPOP key [key ...] timeout: [key, element] from the first
/// non-empty list, logged as the `LPOP|RPOP key` that happened; else the
/// client blocks (src/blocking.rs).
fn bpop(ctx: &mut Ctx, args: &[Vec<u8>], end: End) -> Reply {
    let timeout = match blocking::parse_timeout(&args[args.len() - 1]) {
        Ok(t) => t,
        Err(r) => return r,
    };
    if let Some(r) = blocking::unblocked(ctx) {
        return r;
    }
    let rerun = blocking::rerun(ctx);
    let keys = &args[1..args.len() - 1];
    let srv = ctx.srv.clone();
    let db = ctx.client.db;
    let now = now_ms();
    let lk: Vec<(usize, &[u8])> = keys.iter().map(|k| (db, k.as_slice())).collect();
    let mut l = srv.store.lock(&lk, true);
    for key in keys {
        let (s, h) = l.stripe_mut(&srv.store, db, key);
        match modify(s, h, key, now, |lv| lv.pop(end)) {
            Err(_) if rerun => continue,
            Err(r) => return r,
            Ok(None) | Ok(Some(None)) => continue,
            Ok(Some(Some(v))) => {
                crate::persist::log(db, &[end_cmd(end, false), key]);
                notify(NOTIFY_LIST, end_event(end, false), key, db);
                s.notify_if_deleted(h, key);
                drop(l);
                blocking::served(ctx);
                return Reply::Array(vec![Reply::bulk(key), Reply::Bulk(v.into_vec())]);
            }
        }
    }
    let names: Vec<&[u8]> = keys.iter().map(|k| k.as_slice()).collect();
    let r = blocking::block(ctx, &names, timeout, Reply::NullArray);
    drop(l);
    r
}

fn blmove(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let from = match parse_end(&args[3]) {
        Ok(e) => e,
        Err(r) => return r,
    };
    let to = match parse_end(&args[4]) {
        Ok(e) => e,
        Err(r) => return r,
    };
    blmove_generic(ctx, &args[1], &args[2], from, to, &args[5])
}

fn brpoplpush(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    blmove_generic(ctx, &args[1], &args[2], End::Right, End::Left, &args[3])
}

/// BLMOVE / BRPOPLPUSH: LMOVE, or block until the source has an element.
fn blmove_generic(
    ctx: &mut Ctx,
    src: &[u8],
    dst: &[u8],
    from: End,
    to: End,
    timeout: &[u8],
) -> Reply {
    let timeout = match blocking::parse_timeout(timeout) {
        Ok(t) => t,
        Err(r) => return r,
    };
    if let Some(r) = blocking::unblocked(ctx) {
        return r;
    }
    let rerun = blocking::rerun(ctx);
    let srv = ctx.srv.clone();
    let db = ctx.client.db;
    let mut l = srv.store.lock(&[(db, src), (db, dst)], true);
    match lmove_locked(&srv.store, &mut l, db, src, dst, from, to) {
        Some(r) if r.is_error() && rerun => {}
        Some(r) => {
            drop(l);
            blocking::served(ctx);
            return r;
        }
        None => {}
    }
    // Inside MULTI an empty source answers like LMOVE ($-1); a timeout
    // answers a nil array, as Redis 7.0 does for every blocked list pop.
    let nil = if ctx.client.in_exec {
        Reply::Null
    } else {
        Reply::NullArray
    };
    let r = blocking::block(ctx, &[src], timeout, nil);
    drop(l);
    r
}

/// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count].
fn blmpop(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let (where_idx, end, count) = match mpop_args(args, 2) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let timeout = match blocking::parse_timeout(&args[1]) {
        Ok(t) => t,
        Err(r) => return r,
    };
    if let Some(r) = blocking::unblocked(ctx) {
        return r;
    }
    let rerun = blocking::rerun(ctx);
    let keys = &args[3..where_idx];
    let srv = ctx.srv.clone();
    let db = ctx.client.db;
    let lk: Vec<(usize, &[u8])> = keys.iter().map(|k| (db, k.as_slice())).collect();
    let mut l = srv.store.lock(&lk, true);
    if let Some(r) = mpop_locked(&srv.store, &mut l, db, keys, end, count, rerun) {
        drop(l);
        blocking::served(ctx);
        return r;
    }
    let names: Vec<&[u8]> = keys.iter().map(|k| k.as_slice()).collect();
    let r = blocking::block(ctx, &names, timeout, Reply::NullArray);
    drop(l);
    r
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{client, run};
    use super::*;
    use crate::config::Config;
    use crate::server::Server;
    use std::sync::Arc;

    /// Every stripe's `mem` equals its entries' sizes measured afresh, and
    /// every list's `bytes` equals its elements' heap bytes.
    fn check_mem(srv: &Server) {
        super::super::testutil::check_mem(srv, |e| {
            if let Value::List(l) = &e.value {
                assert_eq!(l.bytes, l.recount());
                assert!(!l.is_empty());
            }
        });
    }

    #[test]
    fn memory_accounting_is_exact() {
        let srv = Arc::new(Server::new(Config::default()));
        let mut c = client();
        let long = "v".repeat(200);
        for i in 0..600usize {
            let key = format!("l{}", i % 5);
            let other = format!("l{}", (i + 1) % 5);
            let v = &long[..i % 90];
            let r = match i % 12 {
                0 | 1 => run(&srv, &mut c, &["RPUSH", &key, v, "x", v]),
                2 => run(&srv, &mut c, &["LPUSH", &key, v]),
                3 => run(&srv, &mut c, &["LSET", &key, "0", &long[..(i * 7) % 120]]),
                4 => run(&srv, &mut c, &["LINSERT", &key, "AFTER", "x", v]),
                5 => run(&srv, &mut c, &["LREM", &key, "-1", "x"]),
                6 => run(&srv, &mut c, &["LTRIM", &key, "1", "-2"]),
                7 => run(&srv, &mut c, &["LPOP", &key, "2"]),
                8 => run(&srv, &mut c, &["LMOVE", &key, &other, "LEFT", "RIGHT"]),
                9 => run(&srv, &mut c, &["RPOPLPUSH", &key, &key]),
                10 => run(&srv, &mut c, &["LMPOP", "2", &key, &other, "RIGHT"]),
                _ => run(&srv, &mut c, &["RPOP", &key]),
            };
            assert!(
                !r.is_error()
                    || matches!(&r, Reply::Error(e) if e.contains("no such key") || e.contains("index out of range")),
                "{r:?}"
            );
            check_mem(&srv);
        }
        for i in 0..5 {
            run(&srv, &mut c, &["LTRIM", &format!("l{i}"), "1", "0"]);
            check_mem(&srv);
        }
        assert_eq!(srv.store.dbs[0].len(), 0);
        assert_eq!(srv.store.used_memory(), 0);
    }

    #[test]
    fn ranges_like_redis() {
        assert_eq!(clamp_range(0, -1, 3), Some((0, 2)));
        assert_eq!(clamp_range(-100, 100, 3), Some((0, 2)));
        assert_eq!(clamp_range(2, 1, 3), None);
        assert_eq!(clamp_range(3, 5, 3), None);
        assert_eq!(clamp_range(0, 0, 0), None);
        assert_eq!(clamp_range(i64::MIN, i64::MAX, 3), Some((0, 2)));
        assert_eq!(clamp_range(-1, -1, 3), Some((2, 2)));
    }

    use super::super::testutil::{check_replay, check_replay_after, logged, texts};

    #[test]
    fn push_pop_and_in_place_writes_replay() {
        check_replay(&[
            &["LPUSHX", "l", "a"],
            &["RPUSHX", "l", "a"],
            &["RPUSH", "l", "a", "b", "c"],
            &["LPUSH", "l", "z", "y"],
            &["LPUSHX", "l", "x"],
            &["RPUSHX", "l", "d", "e"],
            &["LPOP", "l"],
            &["RPOP", "l"],
            &["LPOP", "l", "2"],
            &["RPOP", "l", "0"],
            &["LPOP", "missing"],
            &["RPOP", "missing", "3"],
            &["LINSERT", "l", "BEFORE", "b", "B"],
            &["LINSERT", "l", "AFTER", "b", "A"],
            &["LINSERT", "l", "AFTER", "nopivot", "A"],
            &["LINSERT", "missing", "AFTER", "b", "A"],
            &["LSET", "l", "0", "first"],
            &["LSET", "l", "-1", "last"],
            &["LSET", "l", "100", "x"],
            &["RPUSH", "r", "x", "y", "x", "z", "x", "x"],
            &["LREM", "r", "1", "x"],
            &["LREM", "r", "-1", "x"],
            &["LREM", "r", "0", "nothing"],
            &["LREM", "r", "0", "x"],
            &["RPUSH", "t", "1", "2", "3", "4", "5", "6"],
            &["LTRIM", "t", "0", "-1"],
            &["LTRIM", "t", "1", "-2"],
            &["LTRIM", "t", "1", "1"],
            &["LTRIM", "t", "5", "1"],
            &["RPUSH", "p", "1", "2"],
            &["RPOP", "p", "5"],
            &["HSET", "h", "f", "v"],
            &["LPUSH", "h", "x"],
            &["LPOP", "h"],
            &["LSET", "h", "0", "x"],
        ]);
    }

    #[test]
    fn moves_replay_in_every_direction() {
        let mut cmds: Vec<Vec<String>> = Vec::new();
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        cmds.push(s(&["RPUSH", "a", "1", "2", "3", "4", "5", "6", "7", "8"]));
        cmds.push(s(&["RPUSH", "b", "x"]));
        for from in ["LEFT", "RIGHT"] {
            for to in ["LEFT", "RIGHT"] {
                cmds.push(s(&["LMOVE", "a", "b", from, to]));
                cmds.push(s(&["LMOVE", "a", "new", from, to]));
                cmds.push(s(&["LMOVE", "a", "a", from, to]));
                cmds.push(s(&["LMOVE", "b", "b", from, to]));
            }
        }
        cmds.push(s(&["RPOPLPUSH", "a", "b"]));
        cmds.push(s(&["RPOPLPUSH", "b", "b"]));
        cmds.push(s(&["RPOPLPUSH", "missing", "b"]));
        // Emptying the source deletes it.
        cmds.push(s(&["RPUSH", "one", "only"]));
        cmds.push(s(&["LMOVE", "one", "b", "LEFT", "RIGHT"]));
        cmds.push(s(&["RPUSH", "solo", "only"]));
        cmds.push(s(&["LMOVE", "solo", "solo", "LEFT", "RIGHT"]));
        // A destination of another type: nothing moves.
        cmds.push(s(&["HSET", "h", "f", "v"]));
        cmds.push(s(&["LMOVE", "a", "h", "LEFT", "RIGHT"]));
        cmds.push(s(&["LMOVE", "h", "a", "LEFT", "RIGHT"]));
        cmds.push(s(&["MULTI"]));
        cmds.push(s(&["LMOVE", "a", "tx", "RIGHT", "LEFT"]));
        cmds.push(s(&["RPOPLPUSH", "tx", "a"]));
        cmds.push(s(&["EXEC"]));
        cmds.push(s(&["SELECT", "1"]));
        cmds.push(s(&["RPUSH", "a", "1", "2"]));
        cmds.push(s(&["LMOVE", "a", "b", "LEFT", "LEFT"]));
        cmds.push(s(&["RPOPLPUSH", "a", "a"]));
        let v: Vec<Vec<&str>> = cmds
            .iter()
            .map(|c| c.iter().map(|x| x.as_str()).collect())
            .collect();
        let v: Vec<&[&str]> = v.iter().map(|c| c.as_slice()).collect();
        check_replay(&v);
    }

    #[test]
    fn lmpop_replays() {
        check_replay(&[
            &["RPUSH", "b", "1", "2", "3", "4"],
            &["RPUSH", "c", "x"],
            &["LMPOP", "3", "a", "b", "c", "LEFT"],
            &["LMPOP", "3", "a", "b", "c", "RIGHT", "COUNT", "2"],
            &["LMPOP", "2", "b", "c", "LEFT", "COUNT", "10"],
            &["LMPOP", "2", "b", "c", "LEFT", "COUNT", "10"],
            &["LMPOP", "2", "b", "c", "LEFT"],
            &["HSET", "h", "f", "v"],
            &["RPUSH", "d", "1"],
            &["LMPOP", "2", "h", "d", "LEFT"],
            &["MULTI"],
            &["LMPOP", "1", "d", "RIGHT"],
            &["EXEC"],
        ]);
    }

    #[test]
    fn big_lists_replay() {
        let mut push: Vec<String> = vec!["RPUSH".into(), "big".into()];
        push.extend((0..1500).map(|i| format!("element-{i}")));
        let push: Vec<&str> = push.iter().map(|s| s.as_str()).collect();
        let long = "v".repeat(9000);
        check_replay(&[
            &push,
            &["LPUSH", "big", &long],
            &["LTRIM", "big", "10", "-10"],
            &["LREM", "big", "0", "element-500"],
            &["LINSERT", "big", "BEFORE", "element-700", &long],
            &["LMOVE", "big", "other", "RIGHT", "LEFT"],
            &["LPOP", "big", "300"],
            &["LMPOP", "1", "big", "RIGHT", "COUNT", "100"],
        ]);
    }

    #[test]
    fn list_replay_with_ttls_and_expired_keys() {
        let far = 4_102_444_800_000;
        let setup: &[&[&str]] = &[
            &["RPUSH", "ttl", "only"],
            &["RPUSH", "ttl2", "a", "b"],
            &["RPUSH", "dst", "d"],
            &["RPUSH", "gone", "g"],
            &["RPUSH", "gonedst", "g"],
            &["RPUSH", "src", "s1", "s2"],
        ];
        let ttls = &[
            (0, "ttl", far),
            (0, "ttl2", far),
            (0, "dst", far),
            (0, "gone", 1),
            (0, "gonedst", 1),
        ];
        let (_, recs) = check_replay_after(
            setup,
            ttls,
            &[
                // One element rotating keeps the key and its TTL.
                &["LMOVE", "ttl", "ttl", "LEFT", "RIGHT"],
                &["RPOPLPUSH", "ttl2", "ttl2"],
                &["LMOVE", "src", "dst", "LEFT", "RIGHT"],
                // Expired keys: deleted (and logged) first.
                &["LMOVE", "gone", "dst", "LEFT", "RIGHT"],
                &["LMOVE", "src", "gonedst", "LEFT", "LEFT"],
            ],
        );
        assert_eq!(
            texts(&recs),
            [
                "LMOVE ttl2 ttl2 RIGHT LEFT",
                "BATCH[LPOP src; RPUSH dst s1]",
                "DEL gone",
                "DEL gonedst",
                "BATCH[LPOP src; LPUSH gonedst s2]",
            ]
        );
    }

    #[test]
    fn list_records_are_exact() {
        let recs = logged(&[
            &["RPUSH", "l", "a", "b", "c", "d"],
            &["RPOPLPUSH", "l", "m"],
            &["LMOVE", "l", "l", "LEFT", "LEFT"],
            &["LMOVE", "l", "l", "RIGHT", "LEFT"],
            &["LMPOP", "2", "x", "l", "RIGHT", "COUNT", "9"],
            &["LPUSHX", "nope", "a"],
            &["LREM", "m", "0", "zz"],
            &["LTRIM", "m", "0", "-1"],
            &["LINSERT", "m", "BEFORE", "zz", "a"],
            &["LPOP", "m", "0"],
        ]);
        assert_eq!(
            recs,
            [
                "RPUSH l a b c d",
                "BATCH[RPOP l; LPUSH m d]",
                "LMOVE l l RIGHT LEFT",
                "RPOP l 3",
            ]
        );
    }
}
