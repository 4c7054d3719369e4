//! Hash commands, with Redis 7.0's semantics, error texts and reply shapes
//! (t_hash.c): HSET HSETNX HGET HMSET HMGET HGETALL HDEL HEXISTS HLEN HKEYS
//! HVALS HINCRBY HINCRBYFLOAT HSTRLEN HRANDFIELD HSCAN.
//!
//! Reads use `Stripe::get` (records the access) and count keyspace
//! hits/misses like Redis's `lookupKeyRead`; writes use `get_mut` (an
//! expired key is deleted first) and count nothing. A hash emptied by HDEL
//! is deleted. Memory accounting: every in-place change measures the entry
//! before and after and calls `Stripe::adjust_mem`.
//!
//! WAL: a write that changed the hash logs, under the stripe lock, its own
//! argv (HSET HMSET HSETNX HDEL HINCRBY) or, for HINCRBYFLOAT, the rewrite
//! `HSET key field <new value>` (the long double arithmetic is not
//! repeated on replay). Nothing is logged when nothing changed.
//!
//! Keyspace notifications as t_hash.c: `hset` (HSET and HMSET even when
//! nothing changed; HSETNX when it set), `hdel` (when a field went, then
//! `del` if the hash emptied), `hincrby`, `hincrbyfloat`; `keymiss` on
//! reads of a missing key.

use super::args::{int, is};
use super::keys::parse_cursor;
use super::strutil::LongDouble;
use super::*;
use crate::pubsub::NOTIFY_HASH;
use crate::resp::Reply;
use crate::server::Ctx;
use crate::store::hash::{HashValue, Limits};
use crate::store::value::parse_i64;
use crate::store::{now_ms, rand_u64, Entry, Value};

const HASH: &[&str] = &["hash"];

pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("hset", -4, WRITE | DENYOOM | FAST, KEY1, hset)
        .doc("hash", "2.0.0", "Set the string value of a hash field")
        .acl(HASH)
        .syntax("key field value [field value ...]")
        .complexity("O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs."),
    CommandSpec::new("hsetnx", 4, WRITE | DENYOOM | FAST, KEY1, hsetnx)
        .doc("hash", "2.0.0", "Set the value of a hash field, only if the field does not exist")
        .acl(HASH)
        .syntax("key field value")
        .complexity("O(1)"),
    CommandSpec::new("hget", 3, READONLY | FAST, KEY1, hget)
        .doc("hash", "2.0.0", "Get the value of a hash field")
        .acl(HASH)
        .syntax("key field")
        .complexity("O(1)"),
    CommandSpec::new("hmset", -4, WRITE | DENYOOM | FAST, KEY1, hmset)
        .doc("hash", "2.0.0", "Set multiple hash fields to multiple values")
        .acl(HASH)
        .syntax("key field value [field value ...]")
        .complexity("O(N) where N is the number of fields being set."),
    CommandSpec::new("hmget", -3, READONLY | FAST, KEY1, hmget)
        .doc("hash", "2.0.0", "Get the values of all the given hash fields")
        .acl(HASH)
        .syntax("key field [field ...]")
        .complexity("O(N) where N is the number of fields being requested."),
    CommandSpec::new("hgetall", 2, READONLY, KEY1, hgetall)
        .doc("hash", "2.0.0", "Get all the fields and values in a hash")
        .acl(HASH)
        .syntax("key")
        .complexity("O(N) where N is the size of the hash."),
    CommandSpec::new("hdel", -3, WRITE | FAST, KEY1, hdel)
        .doc("hash", "2.0.0", "Delete one or more hash fields")
        .acl(HASH)
        .syntax("key field [field ...]")
        .complexity("O(N) where N is the number of fields to be removed."),
    CommandSpec::new("hexists", 3, READONLY | FAST, KEY1, hexists)
        .doc("hash", "2.0.0", "Determine if a hash field exists")
        .acl(HASH)
        .syntax("key field")
        .complexity("O(1)"),
    CommandSpec::new("hlen", 2, READONLY | FAST, KEY1, hlen)
        .doc("hash", "2.0.0", "Get the number of fields in a hash")
        .acl(HASH)
        .syntax("key")
        .complexity("O(1)"),
    CommandSpec::new("hkeys", 2, READONLY, KEY1, hkeys)
        .doc("hash", "2.0.0", "Get all the fields in a hash")
        .acl(HASH)
        .syntax("key")
        .complexity("O(N) where N is the size of the hash."),
    CommandSpec::new("hvals", 2, READONLY, KEY1, hvals)
        .doc("hash", "2.0.0", "Get all the values in a hash")
        .acl(HASH)
        .syntax("key")
        .complexity("O(N) where N is the size of the hash."),
    CommandSpec::new("hincrby", 4, WRITE | DENYOOM | FAST, KEY1, hincrby)
        .doc("hash", "2.0.0", "Increment the integer value of a hash field by the given number")
        .acl(HASH)
        .syntax("key field increment")
        .complexity("O(1)"),
    CommandSpec::new("hincrbyfloat", 4, WRITE | DENYOOM | FAST, KEY1, hincrbyfloat)
        .doc("hash", "2.6.0", "Increment the float value of a hash field by the given amount")
        .acl(HASH)
        .syntax("key field increment")
        .complexity("O(1)"),
    CommandSpec::new("hstrlen", 3, READONLY | FAST, KEY1, hstrlen)
        .doc("hash", "3.2.0", "Get the length of the value of a hash field")
        .acl(HASH)
        .syntax("key field")
        .complexity("O(1)"),
    CommandSpec::new("hrandfield", -2, READONLY, KEY1, hrandfield)
        .doc("hash", "6.2.0", "Get one or multiple random fields from a hash")
        .acl(HASH)
        .syntax("key [count [WITHVALUES]]")
        .complexity("O(N) where N is the number of fields returned"),
    CommandSpec::new("hscan", -3, READONLY, KEY1, hscan)
        .doc("hash", "2.8.0", "Incrementally iterate hash fields and associated values")
        .acl(HASH)
        .syntax("key cursor [MATCH pattern] [COUNT count]")
        .complexity("O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.."),
];

// ---------------------------------------------------------------- helpers

/// The hash held by an entry, or WRONGTYPE for any other type.
fn hash_of(e: &Entry) -> Result<&HashValue, Reply> {
    match &e.value {
        Value::Hash(h) => Ok(h),
        _ => Err(err::wrong_type()),
    }
}

/// `hash-max-listpack-entries` / `hash-max-listpack-value`, read when used
/// (CONFIG SET takes effect on the next write, as in Redis).
fn limits(ctx: &Ctx) -> Limits {
    let hot = &ctx.srv.hot;
    Limits {
        max_entries: hot
            .hash_max_listpack_entries
            .load(std::sync::atomic::Ordering::Relaxed),
        max_value: hot
            .hash_max_listpack_value
            .load(std::sync::atomic::Ordering::Relaxed),
    }
}

/// Runs a read on the hash at `key`: `Ok(None)` when absent, WRONGTYPE for
/// another type. Counts the keyspace hit or miss.
fn read_hash<R>(
    ctx: &mut Ctx,
    key: &[u8],
    f: impl FnOnce(&HashValue) -> R,
) -> Result<Option<R>, Reply> {
    let (s, h) = ctx.db().read(key);
    let r = match s.get(h, key, now_ms()) {
        None => Ok(None),
        Some(e) => hash_of(e).map(|hv| Some(f(hv))),
    };
    drop(s);
    ctx.lookup(key, !matches!(r, Ok(None)));
    r
}

/// What a write logs once it has changed the hash.
enum Log {
    /// Nothing changed: nothing to log.
    Nothing,
    /// The command's own argv.
    Own,
    /// A deterministic rewrite (argv[1] is the key).
    Argv(Vec<Vec<u8>>),
}

/// Runs a change on the hash at `args[1]`, creating an empty one first when
/// `create` (Redis's `hashTypeLookupWriteOrCreate`); `Ok(None)` when absent
/// and not created. Keeps the stripe's memory exact and deletes the key if
/// the hash ends up empty. Logs what `f` asks for and, when `f` says so,
/// notifies `event` (then `del` if the hash emptied) before releasing the
/// stripe lock.
fn write_hash<R>(
    ctx: &mut Ctx,
    args: &[Vec<u8>],
    create: bool,
    event: &str,
    f: impl FnOnce(&mut HashValue) -> Result<(R, Log, bool), Reply>,
) -> Result<Option<R>, Reply> {
    let db = ctx.client.db;
    let key = args[1].as_slice();
    let (mut s, h) = ctx.db().write(key);
    let now = now_ms();
    match s.get_mut(h, key, now) {
        Some(e) => {
            hash_of(e)?;
        }
        None if create => {
            let v = Value::Hash(Box::default());
            s.insert(h, key, Entry::new(v, 0));
        }
        None => return Ok(None),
    }
    let r = match s.modify(h, key, now, |v| match v {
        Value::Hash(hv) => f(hv),
        _ => Err(err::wrong_type()),
    }) {
        Some(r) => r?,
        None => return Ok(None),
    };
    match r.1 {
        Log::Nothing => {}
        Log::Own => crate::persist::log(db, args),
        Log::Argv(a) => crate::persist::log(db, &a),
    }
    if r.2 {
        ctx.notify(NOTIFY_HASH, event, key);
        s.notify_if_deleted(h, key);
    }
    drop(s);
    Ok(Some(r.0))
}

/// `Log::Own` if `changed`, else `Log::Nothing`.
fn own_if(changed: bool) -> Log {
    if changed {
        Log::Own
    } else {
        Log::Nothing
    }
}

fn flatten(r: Result<Reply, Reply>) -> Reply {
    r.unwrap_or_else(|e| e)
}

// ---------------------------------------------------------------- setters

fn hset(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    hset_generic(ctx, args, "hset")
}

fn hmset(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    hset_generic(ctx, args, "hmset")
}

fn hset_generic(ctx: &mut Ctx, args: &[Vec<u8>], name: &str) -> Reply {
    if args.len() % 2 == 1 {
        return err::arity(name);
    }
    let lim = limits(ctx);
    let r = write_hash(ctx, args, true, "hset", |hv| {
        let (mut added, mut changed) = (0, false);
        for pair in args[2..].chunks_exact(2) {
            changed |= hv.get(&pair[0]).map(|v| v.as_slice()) != Some(pair[1].as_slice());
            if hv.set_checked(&pair[0], &pair[1], lim) {
                added += 1;
            }
        }
        Ok((added, own_if(changed), true))
    });
    match r {
        Ok(n) if name == "hset" => Reply::Int(n.unwrap_or(0)),
        Ok(_) => Reply::ok(),
        Err(e) => e,
    }
}

fn hsetnx(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let lim = limits(ctx);
    let r = write_hash(ctx, args, true, "hset", |hv| {
        if hv.contains(&args[2]) {
            return Ok((0, Log::Nothing, false));
        }
        hv.set_checked(&args[2], &args[3], lim);
        Ok((1, Log::Own, true))
    });
    match r {
        Ok(n) => Reply::Int(n.unwrap_or(0)),
        Err(e) => e,
    }
}

fn hdel(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let r = write_hash(ctx, args, false, "hdel", |hv| {
        let mut n = 0;
        for f in &args[2..] {
            if hv.remove(f) {
                n += 1;
                if hv.is_empty() {
                    break;
                }
            }
        }
        Ok((n, own_if(n > 0), n > 0))
    });
    match r {
        Ok(n) => Reply::Int(n.unwrap_or(0)),
        Err(e) => e,
    }
}

fn hincrby(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let incr = match int(&args[3]) {
        Ok(v) => v,
        Err(e) => return e,
    };
    let lim = limits(ctx);
    let r = write_hash(ctx, args, true, "hincrby", |hv| {
        let (cur, existed) = match hv.get(&args[2]) {
            Some(v) => (
                parse_i64(v).ok_or(Reply::err("ERR hash value is not an integer"))?,
                true,
            ),
            None => (0, false),
        };
        let new = cur.checked_add(incr).ok_or_else(err::overflow)?;
        hv.set_checked(&args[2], new.to_string().as_bytes(), lim);
        // parse_i64 takes only canonical integers: adding 0 to an existing
        // field leaves its text as it was.
        Ok((new, own_if(!existed || incr != 0), true))
    });
    match r {
        Ok(n) => Reply::Int(n.unwrap_or(0)),
        Err(e) => e,
    }
}

fn hincrbyfloat(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let incr = match LongDouble::parse(&args[3]) {
        Some(v) => v,
        None => return err::not_float(),
    };
    if !incr.is_finite() {
        return Reply::err("ERR value is NaN or Infinity");
    }
    let lim = limits(ctx);
    let r = write_hash(ctx, args, true, "hincrbyfloat", |hv| {
        let old = hv.get(&args[2]).map(|v| v.to_vec());
        let cur = match &old {
            Some(v) => LongDouble::parse(v).ok_or(Reply::err("ERR hash value is not a float"))?,
            None => LongDouble::ZERO,
        };
        if !cur.is_finite() {
            // Redis adds anyway and then refuses the infinite result.
            return Err(Reply::err("ERR increment would produce NaN or Infinity"));
        }
        let new = cur.plus(incr);
        if !new.is_finite() {
            return Err(Reply::err("ERR increment would produce NaN or Infinity"));
        }
        let text = new.to_human();
        hv.set_checked(&args[2], text.as_bytes(), lim);
        // Logged as what it set (Redis propagates HSET too).
        let log = if old.as_deref() == Some(text.as_bytes()) {
            Log::Nothing
        } else {
            Log::Argv(vec![
                b"HSET".to_vec(),
                args[1].clone(),
                args[2].clone(),
                text.clone().into_bytes(),
            ])
        };
        Ok((text, log, true))
    });
    match r {
        Ok(t) => Reply::Bulk(t.unwrap_or_default().into_bytes()),
        Err(e) => e,
    }
}

// ---------------------------------------------------------------- getters

fn hget(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let r = read_hash(ctx, &args[1], |hv| {
        hv.get(&args[2])
            .map_or(Reply::Null, |v| Reply::bulk(v.as_slice()))
    });
    flatten(r.map(|o| o.unwrap_or(Reply::Null)))
}

fn hmget(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let fields = &args[2..];
    let r = read_hash(ctx, &args[1], |hv| {
        fields
            .iter()
            .map(|f| hv.get(f).map_or(Reply::Null, |v| Reply::bulk(v.as_slice())))
            .collect::<Vec<_>>()
    });
    flatten(r.map(|o| Reply::Array(o.unwrap_or_else(|| vec![Reply::Null; fields.len()]))))
}

fn hgetall(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let r = read_hash(ctx, &args[1], |hv| {
        hv.fields
            .iter()
            .map(|(f, v)| (Reply::bulk(f.as_slice()), Reply::bulk(v.as_slice())))
            .collect::<Vec<_>>()
    });
    flatten(r.map(|o| Reply::Map(o.unwrap_or_default())))
}

fn hkeys(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let r = read_hash(ctx, &args[1], |hv| {
        hv.fields
            .iter()
            .map(|(f, _)| Reply::bulk(f.as_slice()))
            .collect::<Vec<_>>()
    });
    flatten(r.map(|o| Reply::Array(o.unwrap_or_default())))
}

fn hvals(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let r = read_hash(ctx, &args[1], |hv| {
        hv.fields
            .iter()
            .map(|(_, v)| Reply::bulk(v.as_slice()))
            .collect::<Vec<_>>()
    });
    flatten(r.map(|o| Reply::Array(o.unwrap_or_default())))
}

fn hexists(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let r = read_hash(ctx, &args[1], |hv| hv.contains(&args[2]) as i64);
    flatten(r.map(|o| Reply::Int(o.unwrap_or(0))))
}

fn hlen(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let r = read_hash(ctx, &args[1], |hv| hv.len() as i64);
    flatten(r.map(|o| Reply::Int(o.unwrap_or(0))))
}

fn hstrlen(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let r = read_hash(ctx, &args[1], |hv| {
        hv.get(&args[2]).map_or(0, |v| v.len() as i64)
    });
    flatten(r.map(|o| Reply::Int(o.unwrap_or(0))))
}

// ---------------------------------------------------------------- HRANDFIELD

fn hrandfield(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    if args.len() == 2 {
        let r = read_hash(ctx, &args[1], |hv| match hv.fields.random(&mut rand_u64) {
            Some((f, _)) => Reply::bulk(f.as_slice()),
            None => Reply::Null,
        });
        return flatten(r.map(|o| o.unwrap_or(Reply::Null)));
    }
    let l = match parse_i64(&args[2]) {
        Some(i64::MIN) => {
            return Reply::err(
                "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
            )
        }
        Some(v) => v,
        None => return err::not_int(),
    };
    let withvalues = match args.len() {
        3 => false,
        4 if is(&args[3], "withvalues") => true,
        _ => return err::syntax(),
    };
    if withvalues && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&l) {
        return Reply::err("ERR value is out of range");
    }
    if l < 0 && l.unsigned_abs() > MAX_RANDOM_PICKS {
        return Reply::err("ERR value is out of range");
    }
    let resp3 = ctx.resp3();
    let r = read_hash(ctx, &args[1], |hv| {
        let (count, uniq) = (l.unsigned_abs(), l >= 0);
        if count == 0 || hv.is_empty() {
            return Vec::new();
        }
        let mut picked: Vec<(&[u8], &[u8])> = Vec::new();
        if !uniq || count == 1 {
            // Independent draws: repeats allowed, any order.
            for _ in 0..count {
                if let Some((f, v)) = hv.fields.random(&mut rand_u64) {
                    picked.push((f.as_slice(), v.as_slice()));
                }
            }
        } else if count.saturating_mul(3) <= hv.len() as u64 {
            // Few of many (Redis's CASE 4): random picks until `count`
            // distinct fields, without copying the whole hash.
            let mut seen = std::collections::HashSet::new();
            while (picked.len() as u64) < count {
                if let Some((f, v)) = hv.fields.random(&mut rand_u64) {
                    if seen.insert(f.as_slice()) {
                        picked.push((f.as_slice(), v.as_slice()));
                    }
                }
            }
        } else {
            let mut all: Vec<(&[u8], &[u8])> = hv
                .fields
                .iter()
                .map(|(f, v)| (f.as_slice(), v.as_slice()))
                .collect();
            if count < all.len() as u64 {
                // A partial Fisher-Yates shuffle picks `count` distinct fields.
                let n = all.len();
                for i in 0..count as usize {
                    let j = i + (rand_u64() % (n - i) as u64) as usize;
                    all.swap(i, j);
                }
                all.truncate(count as usize);
            }
            picked = all;
        }
        let mut out = Vec::with_capacity(picked.len() * if withvalues { 2 } else { 1 });
        for (f, v) in picked {
            if !withvalues {
                out.push(Reply::bulk(f));
            } else if resp3 {
                out.push(Reply::Array(vec![Reply::bulk(f), Reply::bulk(v)]));
            } else {
                out.push(Reply::bulk(f));
                out.push(Reply::bulk(v));
            }
        }
        out
    });
    flatten(r.map(|o| Reply::Array(o.unwrap_or_default())))
}

// ---------------------------------------------------------------- HSCAN

fn hscan(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let Some(mut cursor) = parse_cursor(&args[2]) else {
        return Reply::err("ERR invalid cursor");
    };
    let empty = || Reply::Array(vec![Reply::Bulk(b"0".to_vec()), Reply::Array(Vec::new())]);
    // Redis looks the key up before it parses the options.
    let (s, h) = ctx.db().read(&args[1]);
    let e = match s.get(h, &args[1], now_ms()) {
        None => {
            drop(s);
            ctx.lookup(&args[1], false);
            return empty();
        }
        Some(e) => e,
    };
    let hv = match hash_of(e) {
        Ok(hv) => hv,
        Err(r) => {
            drop(s);
            ctx.hit(true);
            return r;
        }
    };
    let opts = match super::args::scan_opts(args, 3) {
        Ok(o) => o,
        Err(r) => {
            drop(s);
            ctx.hit(true);
            return r;
        }
    };
    let count = opts.count;
    let mut items = Vec::new();
    let mut push = |f: &[u8], v: &[u8]| {
        if !opts.keeps(f) {
            return;
        }
        items.push(Reply::bulk(f));
        items.push(Reply::bulk(v));
    };
    if !hv.hashtable {
        // A listpack is returned whole, whatever the cursor.
        for (f, v) in hv.fields.iter() {
            push(f.as_slice(), v.as_slice());
        }
        cursor = 0;
    } else {
        // Redis's loop: up to count*10 buckets, until `count` items (fields
        // and values both count) were collected before the MATCH filter.
        let mut max_iter = (count as u64).saturating_mul(10);
        let mut collected = 0u64;
        loop {
            cursor = hv.fields.scan(cursor, |f, v| {
                collected += 2;
                push(f.as_slice(), v.as_slice());
            });
            if cursor == 0 || max_iter == 0 || collected >= count as u64 {
                break;
            }
            max_iter -= 1;
        }
    }
    drop(s);
    ctx.hit(true);
    Reply::Array(vec![
        Reply::Bulk(cursor.to_string().into_bytes()),
        Reply::Array(items),
    ])
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{client, run};
    use super::*;
    use crate::config::Config;
    use crate::server::Server;
    use std::sync::Arc;

    /// Every stripe's `mem` equals its entries' sizes measured afresh, and
    /// every hash's `bytes` equals its fields' and values' heap bytes.
    fn check_mem(srv: &Server) {
        super::super::testutil::check_mem(srv, |e| {
            if let Value::Hash(h) = &e.value {
                assert_eq!(h.bytes, h.recount());
            }
        });
    }

    #[test]
    fn memory_accounting_is_exact() {
        let srv = Arc::new(Server::new(Config::default()));
        let mut c = client();
        let long = "v".repeat(200);
        for i in 0..300usize {
            let key = format!("h{}", i % 7);
            let f = format!("field{}{}", i % 41, "x".repeat(i % 25));
            let r = match i % 6 {
                0 | 1 => run(&srv, &mut c, &["HSET", &key, &f, &long[..i % 200]]),
                2 => run(
                    &srv,
                    &mut c,
                    &["HINCRBY", &key, &format!("n{}", i % 9), "123456789012"],
                ),
                3 => run(
                    &srv,
                    &mut c,
                    &["HINCRBYFLOAT", &key, &format!("x{}", i % 9), "1e40"],
                ),
                4 => run(&srv, &mut c, &["HSETNX", &key, &f, "short"]),
                _ => run(&srv, &mut c, &["HDEL", &key, &f, &format!("n{}", i % 9)]),
            };
            assert!(!r.is_error(), "{r:?}");
            check_mem(&srv);
        }
        for i in 0..7 {
            let key = format!("h{i}");
            let fields = match run(&srv, &mut c, &["HKEYS", &key]) {
                Reply::Array(v) => v,
                r => panic!("{r:?}"),
            };
            for f in fields {
                let Reply::Bulk(f) = f else { panic!() };
                run(
                    &srv,
                    &mut c,
                    &["HDEL", &key, std::str::from_utf8(&f).unwrap()],
                );
                check_mem(&srv);
            }
        }
        assert_eq!(srv.store.dbs[0].len(), 0);
        assert_eq!(srv.store.used_memory(), 0);
    }

    use super::super::testutil::{check_replay, check_replay_after, logged, texts};

    #[test]
    fn hash_writes_replay() {
        check_replay(&[
            &["HSET", "h", "f", "v", "a", "b"],
            &["HSET", "h", "f", "v"],
            &["HSET", "h", "f", "w", "new", "x"],
            &["HMSET", "h", "x", "1", "y", "2"],
            &["HSETNX", "h", "f", "z"],
            &["HSETNX", "h", "n", "1"],
            &["HSETNX", "fresh", "n", "1"],
            &["HDEL", "h", "a", "missing"],
            &["HDEL", "h", "missing"],
            &["HDEL", "nokey", "f"],
            &["HINCRBY", "h", "c", "5"],
            &["HINCRBY", "h", "c", "-7"],
            &["HINCRBY", "h", "c", "0"],
            &["HINCRBY", "h", "zero", "0"],
            &["HINCRBY", "h", "f", "1"],
            &["HINCRBY", "h", "c", "9223372036854775807"],
            &["HINCRBYFLOAT", "h", "fl", "1.5"],
            &["HINCRBYFLOAT", "h", "fl", "0.1"],
            &["HINCRBYFLOAT", "h", "fl", "1e30"],
            &["HINCRBYFLOAT", "h", "x", "0"],
            &["HINCRBYFLOAT", "h", "y", "-2.25"],
            &["HINCRBYFLOAT", "h", "f", "1"],
            &["HINCRBYFLOAT", "h", "g", "inf"],
            &["HSET", "e", "only", "1"],
            &["HDEL", "e", "only"],
            &["HSET", "e2", "a", "1", "b", "2"],
            &["HDEL", "e2", "a", "b", "c"],
            &["RPUSH", "l", "x"],
            &["HSET", "l", "f", "v"],
            &["HINCRBYFLOAT", "l", "f", "1"],
            &["HDEL", "l", "f"],
        ]);
    }

    #[test]
    fn hash_replay_across_encodings_transactions_and_dbs() {
        let mut big: Vec<String> = vec!["HSET".into(), "big".into()];
        for i in 0..300 {
            big.push(format!("f{i}"));
            big.push(format!("v{i}"));
        }
        let big: Vec<&str> = big.iter().map(|s| s.as_str()).collect();
        let long = "x".repeat(100);
        check_replay(&[
            &big,
            &["HDEL", "big", "f0", "f1", "f2"],
            &["HSET", "small", "f", "v"],
            &["HSET", "small", "long", &long],
            &["HINCRBYFLOAT", "small", "n", "3"],
            &["MULTI"],
            &["HSET", "t", "a", "1"],
            &["HINCRBY", "t", "a", "2"],
            &["HINCRBYFLOAT", "t", "b", "0.5"],
            &["HSETNX", "t", "a", "9"],
            &["HDEL", "t", "a"],
            &["EXEC"],
            &["SELECT", "1"],
            &["HSET", "h", "f", "v"],
            &["HINCRBYFLOAT", "h", "n", "2.5"],
            &["HDEL", "h", "f"],
            &["SELECT", "0"],
            &["HSET", "h", "f", "other db"],
        ]);
    }

    #[test]
    fn hash_replay_with_ttls_and_expired_keys() {
        let setup: &[&[&str]] = &[
            &["HSET", "ttl", "f", "1", "g", "2"],
            &["HSET", "gone", "f", "1"],
            &["HSET", "gone2", "f", "1"],
        ];
        let ttls = &[
            (0, "ttl", 4_102_444_800_000),
            (0, "gone", 1),
            (0, "gone2", 1),
        ];
        let (_, recs) = check_replay_after(
            setup,
            ttls,
            &[
                &["HINCRBYFLOAT", "ttl", "f", "0.5"],
                &["HINCRBY", "ttl", "n", "1"],
                &["HDEL", "ttl", "f", "g", "n"],
                // An expired hash is deleted (and that logged) first.
                &["HSET", "gone", "x", "1"],
                &["HDEL", "gone2", "f"],
            ],
        );
        assert_eq!(
            texts(&recs),
            [
                "HSET ttl f 1.5",
                "HINCRBY ttl n 1",
                "HDEL ttl f g n",
                "DEL gone",
                "HSET gone x 1",
                "DEL gone2",
            ]
        );
    }

    #[test]
    fn hash_records_are_exact() {
        let recs = logged(&[
            &["HSET", "h", "f", "v"],
            &["HSET", "h", "f", "v"],
            &["HSETNX", "h", "f", "w"],
            &["HINCRBYFLOAT", "h", "n", "10.5"],
            &["HINCRBYFLOAT", "h", "n", "0"],
            &["HINCRBY", "h", "i", "0"],
            &["HINCRBY", "h", "i", "0"],
            &["HMSET", "h", "a", "1"],
            &["HDEL", "h", "zz"],
            &["SELECT", "2"],
            &["HSET", "h", "f", "v"],
        ]);
        assert_eq!(
            recs,
            [
                "HSET h f v",
                "HSET h n 10.5",
                "HINCRBY h i 0",
                "HMSET h a 1",
                "db2: HSET h f v",
            ]
        );
    }
}
