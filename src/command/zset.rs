//! Sorted set commands, with Redis 7.0's semantics, error texts and reply
//! shapes (t_zset.c): ZADD ZINCRBY ZREM ZCARD ZSCORE ZMSCORE ZCOUNT
//! ZLEXCOUNT ZRANK ZREVRANK ZRANGE ZREVRANGE ZRANGEBYSCORE
//! ZREVRANGEBYSCORE ZRANGEBYLEX ZREVRANGEBYLEX ZRANGESTORE ZREMRANGEBYRANK
//! ZREMRANGEBYSCORE ZREMRANGEBYLEX ZPOPMIN ZPOPMAX ZMPOP ZRANDMEMBER ZSCAN
//! ZUNION ZINTER ZDIFF ZUNIONSTORE ZINTERSTORE ZDIFFSTORE ZINTERCARD, and
//! the blocking BZPOPMIN BZPOPMAX BZMPOP (how they wait: src/blocking.rs;
//! a pop is logged as `ZPOPMIN|ZPOPMAX key n`, like ZMPOP).
//!
//! Scores are replied as Redis 7.0's addReplyDouble writes them: `%.17g`
//! (a bulk string in RESP2, a `,` double in RESP3). WITHSCORES replies are
//! flat in RESP2 and [member, score] pairs in RESP3. A sorted set that
//! becomes empty loses its key; a *STORE with an empty result deletes the
//! destination. Multi-key commands lock every key with one `Store::lock`.
//!
//! WAL: a write that changed something logs, before its stripe locks are
//! released, its own argv (ZADD, ZINCRBY, ZREM, ZREMRANGEBY*, ZPOPMIN,
//! ZPOPMAX: deterministic, ZINCRBY's addition included) or a rewrite: ZMPOP
//! as the `ZPOPMIN|ZPOPMAX key count` that happened, ZRANGESTORE and the
//! *STORE commands as one batch making the destination hold exactly the
//! result (`DEL` for an empty one). Nothing is logged when nothing changed.
//!
//! Keyspace notifications as t_zset.c: `zadd` (`zincr` for INCR and
//! ZINCRBY) when a member was added or its score changed, `zrem`,
//! `zremrangebyrank|score|lex` (when something was removed), `zpopmin` /
//! `zpopmax` (also ZMPOP and the blocking pops), `zrangestore`,
//! `zunionstore` / `zinterstore` / `zdiffstore` (an empty result: `del` if
//! the destination existed); `del` after any write that emptied a sorted
//! set; `keymiss` per missing key of a read.

use super::args::{int, is};
use super::*;
use crate::blocking;
use crate::pubsub::{notify, NOTIFY_GENERIC, NOTIFY_ZSET};
use crate::resp::reply::format_double;
use crate::resp::Reply;
use crate::server::Ctx;
use crate::store::zset::{LexBound, LexRange, ScoreRange, ZSetValue};
use crate::store::{now_ms, rand_u64, Entry, Locked, Store, Stripe, Value};
use std::collections::{HashMap, HashSet};

const ZS: &[&str] = &["sortedset"];

/// ZRANGESTORE: keys at 1 and 2.
const KEY1_2: Keys = Keys {
    first: 1,
    last: 2,
    step: 1,
};

pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("zadd", -4, WRITE | DENYOOM | FAST, KEY1, zadd)
        .doc("sorted-set", "1.2.0", "Add one or more members to a sorted set, or update its score if it already exists")
        .acl(ZS)
        .syntax("key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]")
        .complexity("O(log(N)) for each item added, where N is the number of elements in the sorted set."),
    CommandSpec::new("zincrby", 4, WRITE | DENYOOM | FAST, KEY1, zincrby)
        .doc("sorted-set", "1.2.0", "Increment the score of a member in a sorted set")
        .acl(ZS)
        .syntax("key increment member")
        .complexity("O(log(N)) where N is the number of elements in the sorted set."),
    CommandSpec::new("zrem", -3, WRITE | FAST, KEY1, zrem)
        .doc("sorted-set", "1.2.0", "Remove one or more members from a sorted set")
        .acl(ZS)
        .syntax("key member [member ...]")
        .complexity("O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed."),
    CommandSpec::new("zcard", 2, READONLY | FAST, KEY1, zcard)
        .doc("sorted-set", "1.2.0", "Get the number of members in a sorted set")
        .acl(ZS)
        .syntax("key")
        .complexity("O(1)"),
    CommandSpec::new("zscore", 3, READONLY | FAST, KEY1, zscore)
        .doc("sorted-set", "1.2.0", "Get the score associated with the given member in a sorted set")
        .acl(ZS)
        .syntax("key member")
        .complexity("O(1)"),
    CommandSpec::new("zmscore", -3, READONLY | FAST, KEY1, zmscore)
        .doc("sorted-set", "6.2.0", "Get the score associated with the given members in a sorted set")
        .acl(ZS)
        .syntax("key member [member ...]")
        .complexity("O(N) where N is the number of members being requested."),
    CommandSpec::new("zcount", 4, READONLY | FAST, KEY1, zcount)
        .doc("sorted-set", "2.0.0", "Count the members in a sorted set with scores within the given values")
        .acl(ZS)
        .syntax("key min max")
        .complexity("O(log(N)) with N being the number of elements in the sorted set."),
    CommandSpec::new("zlexcount", 4, READONLY | FAST, KEY1, zlexcount)
        .doc("sorted-set", "2.8.9", "Count the number of members in a sorted set between a given lexicographical range")
        .acl(ZS)
        .syntax("key min max")
        .complexity("O(log(N)) with N being the number of elements in the sorted set."),
    CommandSpec::new("zrank", 3, READONLY | FAST, KEY1, zrank)
        .doc("sorted-set", "2.0.0", "Determine the index of a member in a sorted set")
        .acl(ZS)
        .syntax("key member")
        .complexity("O(log(N))"),
    CommandSpec::new("zrevrank", 3, READONLY | FAST, KEY1, zrevrank)
        .doc("sorted-set", "2.0.0", "Determine the index of a member in a sorted set, with scores ordered from high to low")
        .acl(ZS)
        .syntax("key member")
        .complexity("O(log(N))"),
    CommandSpec::new("zrange", -4, READONLY, KEY1, zrange)
        .doc("sorted-set", "1.2.0", "Return a range of members in a sorted set")
        .acl(ZS)
        .syntax("key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES]")
        .complexity("O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned."),
    CommandSpec::new("zrangestore", -5, WRITE | DENYOOM, KEY1_2, zrangestore)
        .doc("sorted-set", "6.2.0", "Store a range of members from sorted set into another key")
        .acl(ZS)
        .syntax("dst src min max [BYSCORE | BYLEX] [REV] [LIMIT offset count]")
        .complexity("O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key."),
    CommandSpec::new("zrevrange", -4, READONLY, KEY1, zrevrange)
        .doc("sorted-set", "1.2.0", "Return a range of members in a sorted set, by index, with scores ordered from high to low")
        .acl(ZS)
        .syntax("key start stop [WITHSCORES]")
        .complexity("O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned."),
    CommandSpec::new("zrangebyscore", -4, READONLY, KEY1, zrangebyscore)
        .doc("sorted-set", "1.0.5", "Return a range of members in a sorted set, by score")
        .acl(ZS)
        .syntax("key min max [WITHSCORES] [LIMIT offset count]")
        .complexity("O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N))."),
    CommandSpec::new("zrevrangebyscore", -4, READONLY, KEY1, zrevrangebyscore)
        .doc("sorted-set", "2.2.0", "Return a range of members in a sorted set, by score, with scores ordered from high to low")
        .acl(ZS)
        .syntax("key max min [WITHSCORES] [LIMIT offset count]")
        .complexity("O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N))."),
    CommandSpec::new("zrangebylex", -4, READONLY, KEY1, zrangebylex)
        .doc("sorted-set", "2.8.9", "Return a range of members in a sorted set, by lexicographical range")
        .acl(ZS)
        .syntax("key min max [LIMIT offset count]")
        .complexity("O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N))."),
    CommandSpec::new("zrevrangebylex", -4, READONLY, KEY1, zrevrangebylex)
        .doc("sorted-set", "2.8.9", "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.")
        .acl(ZS)
        .syntax("key max min [LIMIT offset count]")
        .complexity("O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N))."),
    CommandSpec::new("zremrangebyrank", 4, WRITE, KEY1, zremrangebyrank)
        .doc("sorted-set", "2.0.0", "Remove all members in a sorted set within the given indexes")
        .acl(ZS)
        .syntax("key start stop")
        .complexity("O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation."),
    CommandSpec::new("zremrangebyscore", 4, WRITE, KEY1, zremrangebyscore)
        .doc("sorted-set", "1.2.0", "Remove all members in a sorted set within the given scores")
        .acl(ZS)
        .syntax("key min max")
        .complexity("O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation."),
    CommandSpec::new("zremrangebylex", 4, WRITE, KEY1, zremrangebylex)
        .doc("sorted-set", "2.8.9", "Remove all members in a sorted set between the given lexicographical range")
        .acl(ZS)
        .syntax("key min max")
        .complexity("O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation."),
    CommandSpec::new("zpopmin", -2, WRITE | FAST, KEY1, zpopmin)
        .doc("sorted-set", "5.0.0", "Remove and return members with the lowest scores in a sorted set")
        .acl(ZS)
        .syntax("key [count]")
        .complexity("O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped."),
    CommandSpec::new("zpopmax", -2, WRITE | FAST, KEY1, zpopmax)
        .doc("sorted-set", "5.0.0", "Remove and return members with the highest scores in a sorted set")
        .acl(ZS)
        .syntax("key [count]")
        .complexity("O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped."),
    CommandSpec::new("zmpop", -4, WRITE | MOVABLEKEYS, NO_KEYS, zmpop)
        .doc("sorted-set", "7.0.0", "Remove and return members with scores in a sorted set")
        .acl(ZS)
        .syntax("numkeys key [key ...] MIN | MAX [COUNT count]")
        .complexity("O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped."),
    CommandSpec::new("bzpopmin", -3, WRITE | NOSCRIPT | BLOCKING | FAST, super::list::BKEYS, bzpopmin)
        .doc("sorted-set", "5.0.0", "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available")
        .acl(ZS)
        .syntax("key [key ...] timeout")
        .complexity("O(log(N)) with N being the number of elements in the sorted set."),
    CommandSpec::new("bzpopmax", -3, WRITE | NOSCRIPT | BLOCKING | FAST, super::list::BKEYS, bzpopmax)
        .doc("sorted-set", "5.0.0", "Remove and return the member with the highest score from one or more sorted sets, or block until one is available")
        .acl(ZS)
        .syntax("key [key ...] timeout")
        .complexity("O(log(N)) with N being the number of elements in the sorted set."),
    CommandSpec::new("bzmpop", -5, WRITE | BLOCKING | MOVABLEKEYS, NO_KEYS, bzmpop)
        .doc("sorted-set", "7.0.0", "Remove and return members with scores in a sorted set or block until one is available")
        .acl(ZS)
        .syntax("timeout numkeys key [key ...] <MIN | MAX> [COUNT count]")
        .complexity("O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped."),
    CommandSpec::new("zrandmember", -2, READONLY, KEY1, zrandmember)
        .doc("sorted-set", "6.2.0", "Get one or multiple random elements from a sorted set")
        .acl(ZS)
        .syntax("key [count [WITHSCORES]]")
        .complexity("O(N) where N is the number of elements returned"),
    CommandSpec::new("zscan", -3, READONLY, KEY1, zscan)
        .doc("sorted-set", "2.8.0", "Incrementally iterate sorted sets elements and associated scores")
        .acl(ZS)
        .syntax("key cursor [MATCH pattern] [COUNT count]")
        .complexity("O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.."),
    CommandSpec::new("zunion", -3, READONLY | MOVABLEKEYS, NO_KEYS, zunion)
        .doc("sorted-set", "6.2.0", "Add multiple sorted sets")
        .acl(ZS)
        .syntax("numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM | MIN | MAX] [WITHSCORES]")
        .complexity("O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set."),
    CommandSpec::new("zinter", -3, READONLY | MOVABLEKEYS, NO_KEYS, zinter)
        .doc("sorted-set", "6.2.0", "Intersect multiple sorted sets")
        .acl(ZS)
        .syntax("numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM | MIN | MAX] [WITHSCORES]")
        .complexity("O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set."),
    CommandSpec::new("zdiff", -3, READONLY | MOVABLEKEYS, NO_KEYS, zdiff)
        .doc("sorted-set", "6.2.0", "Subtract multiple sorted sets")
        .acl(ZS)
        .syntax("numkeys key [key ...] [WITHSCORES]")
        .complexity("O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set."),
    CommandSpec::new("zunionstore", -4, WRITE | DENYOOM | MOVABLEKEYS, KEY1, zunionstore)
        .doc("sorted-set", "2.0.0", "Add multiple sorted sets and store the resulting sorted set in a new key")
        .acl(ZS)
        .syntax("destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM | MIN | MAX]")
        .complexity("O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set."),
    CommandSpec::new("zinterstore", -4, WRITE | DENYOOM | MOVABLEKEYS, KEY1, zinterstore)
        .doc("sorted-set", "2.0.0", "Intersect multiple sorted sets and store the resulting sorted set in a new key")
        .acl(ZS)
        .syntax("destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM | MIN | MAX]")
        .complexity("O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set."),
    CommandSpec::new("zdiffstore", -4, WRITE | DENYOOM | MOVABLEKEYS, KEY1, zdiffstore)
        .doc("sorted-set", "6.2.0", "Subtract multiple sorted sets and store the resulting sorted set in a new key")
        .acl(ZS)
        .syntax("destination numkeys key [key ...]")
        .complexity("O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set."),
    CommandSpec::new("zintercard", -3, READONLY | MOVABLEKEYS, NO_KEYS, zintercard)
        .doc("sorted-set", "7.0.0", "Intersect multiple sorted sets and return the cardinality of the result")
        .acl(ZS)
        .syntax("numkeys key [key ...] [LIMIT limit]")
        .complexity("O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets."),
];

// ---------------------------------------------------------------- helpers

/// A score as a listpack holds it (Redis 7.0's d2string), which is what
/// ZSCAN lists for a small sorted set: integral values within
/// ±(i64::MAX/2) as integers, anything else `%.17g`.
fn d2string(d: f64) -> String {
    let lim = (i64::MAX / 2) as f64;
    if d.is_finite() && d >= -lim && d <= lim && d.trunc() == d {
        return (d as i64).to_string();
    }
    format_double(d)
}

/// Members (with scores if asked): flat in RESP2, pairs in RESP3.
fn members_reply(resp3: bool, items: &[(Vec<u8>, f64)], withscores: bool) -> Reply {
    let mut out = Vec::with_capacity(items.len() * if withscores { 2 } else { 1 });
    for (m, s) in items {
        if !withscores {
            out.push(Reply::bulk(m));
        } else if resp3 {
            out.push(Reply::Array(vec![Reply::bulk(m), Reply::Double(*s)]));
        } else {
            out.push(Reply::bulk(m));
            out.push(Reply::Double(*s));
        }
    }
    Reply::Array(out)
}

/// Always-nested [member, score] pairs (ZMPOP), in both protocols.
fn pairs_reply(items: &[(Vec<u8>, f64)]) -> Reply {
    Reply::Array(
        items
            .iter()
            .map(|(m, s)| Reply::Array(vec![Reply::bulk(m), Reply::Double(*s)]))
            .collect(),
    )
}

pub(crate) fn zset_of(e: &Entry) -> Result<&ZSetValue, Reply> {
    match &e.value {
        Value::ZSet(z) => Ok(z),
        _ => Err(err::wrong_type()),
    }
}

/// (zset-max-listpack-entries, zset-max-listpack-value).
pub(crate) fn limits(ctx: &Ctx) -> (usize, usize) {
    let hot = &ctx.srv.hot;
    (
        hot.zset_max_listpack_entries
            .load(std::sync::atomic::Ordering::Relaxed),
        hot.zset_max_listpack_value
            .load(std::sync::atomic::Ordering::Relaxed),
    )
}

/// A hexadecimal float as strtod reads one whole ("0x1.8p3", "-0X10").
fn parse_hex(a: &[u8]) -> Option<f64> {
    let (neg, rest) = match a.first()? {
        b'-' => (true, &a[1..]),
        b'+' => (false, &a[1..]),
        _ => (false, a),
    };
    let rest = rest
        .strip_prefix(b"0x")
        .or_else(|| rest.strip_prefix(b"0X"))?;
    let (mant, exp) = match rest.iter().position(|&c| c == b'p' || c == b'P') {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let (mut v, mut e2, mut digits, mut dot) = (0f64, 0i64, 0usize, false);
    for &c in mant {
        if c == b'.' && !dot {
            dot = true;
            continue;
        }
        let d = (c as char).to_digit(16)?;
        v = v * 16.0 + d as f64;
        digits += 1;
        if dot {
            e2 -= 4;
        }
    }
    if digits == 0 {
        return None;
    }
    if let Some(x) = exp {
        let x = std::str::from_utf8(x).ok()?;
        if x.is_empty() || x.starts_with("+-") || x.starts_with("-+") {
            return None;
        }
        let x = x.strip_prefix('+').unwrap_or(x);
        e2 += x.parse::<i64>().ok()?.clamp(-100_000, 100_000);
    }
    let mut r = v;
    let mut e = e2;
    while e > 0 {
        let step = e.min(1000);
        r *= 2f64.powi(step as i32);
        e -= step;
    }
    while e < 0 {
        let step = (-e).min(1000);
        r /= 2f64.powi(step as i32);
        e += step;
    }
    Some(if neg { -r } else { r })
}

/// A number as strtod reads one whole: decimal, "inf"/"infinity", or hex.
fn strtod(a: &[u8]) -> Option<f64> {
    super::args::parse_f64(a).or_else(|| parse_hex(a))
}

/// A score as ZADD/ZINCRBY/WEIGHTS read it (getDoubleFromObject): strtod
/// whole, no leading space, no NaN, and no ERANGE (overflow to infinity
/// unless "inf" is spelled out, or a nonzero value underflowing to 0).
pub(crate) fn parse_score(a: &[u8]) -> Option<f64> {
    let v = strtod(a)?;
    if v.is_infinite() {
        let l = String::from_utf8_lossy(a).to_ascii_lowercase();
        let l = l.trim_start_matches(['+', '-']);
        if l != "inf" && l != "infinity" {
            return None;
        }
    }
    if v == 0.0 {
        let lower = a.to_ascii_lowercase();
        let mant = match lower.iter().position(|&c| c == b'e' || c == b'p') {
            // For hex, 'e' is a digit: only 'p' ends the mantissa.
            Some(_) if lower.windows(2).any(|w| w == b"0x") => lower
                .split(|&c| c == b'p')
                .next()
                .map(|m| m.strip_prefix(b"-").unwrap_or(m))
                .map(|m| m.strip_prefix(b"+").unwrap_or(m))
                .map(|m| &m[2.min(m.len())..])
                .unwrap_or(&[]),
            Some(i) => &lower[..i],
            None if lower.windows(2).any(|w| w == b"0x") => &[][..],
            None => &lower[..],
        };
        if mant
            .iter()
            .any(|c| (b'1'..=b'9').contains(c) || (b'a'..=b'f').contains(c))
        {
            return None;
        }
    }
    Some(v)
}

/// One end of a score range (zslParseRange): `(` for exclusive, then what
/// strtod reads whole (an empty text reads as 0).
fn parse_bound(a: &[u8]) -> Option<(f64, bool)> {
    let (ex, rest) = match a.first() {
        Some(b'(') => (true, &a[1..]),
        _ => (false, a),
    };
    if rest.is_empty() {
        return Some((0.0, ex));
    }
    let v = strtod(rest)?;
    Some((v, ex))
}

fn parse_score_range(min: &[u8], max: &[u8]) -> Result<ScoreRange, Reply> {
    match (parse_bound(min), parse_bound(max)) {
        (Some((min, minex)), Some((max, maxex))) => Ok(ScoreRange {
            min,
            minex,
            max,
            maxex,
        }),
        _ => Err(Reply::err("ERR min or max is not a float")),
    }
}

fn parse_lex_bound(a: &[u8]) -> Option<LexBound> {
    match a.first()? {
        b'+' if a.len() == 1 => Some(LexBound::PlusInf),
        b'-' if a.len() == 1 => Some(LexBound::MinusInf),
        b'(' => Some(LexBound::Excl(a[1..].to_vec())),
        b'[' => Some(LexBound::Incl(a[1..].to_vec())),
        _ => None,
    }
}

fn parse_lex_range(min: &[u8], max: &[u8]) -> Result<LexRange, Reply> {
    match (parse_lex_bound(min), parse_lex_bound(max)) {
        (Some(min), Some(max)) => Ok(LexRange { min, max }),
        _ => Err(Reply::err("ERR min or max not valid string range item")),
    }
}

/// Runs `f` on the zset at `key` in place: Ok(None) if absent, WRONGTYPE
/// for another type. Fixes the memory accounting and deletes an emptied key.
fn modify<R>(
    s: &mut Stripe,
    h: u64,
    key: &[u8],
    now: u64,
    f: impl FnOnce(&mut ZSetValue) -> R,
) -> Result<Option<R>, Reply> {
    s.modify(h, key, now, |v| match v {
        Value::ZSet(x) => Ok(f(x)),
        _ => Err(err::wrong_type()),
    })
    .transpose()
}

/// Runs `f` on the zset at `key` for a read (counts the hit or miss);
/// `missing` is the reply for an absent key.
pub(crate) fn read_z(
    ctx: &mut Ctx,
    key: &[u8],
    missing: Reply,
    f: impl FnOnce(&ZSetValue, bool) -> Reply,
) -> Reply {
    let resp3 = ctx.resp3();
    let (s, h) = ctx.db().read(key);
    let (found, r) = match s.get(h, key, now_ms()) {
        None => (false, missing),
        Some(e) => (
            true,
            match zset_of(e) {
                Ok(z) => f(z, resp3),
                Err(r) => r,
            },
        ),
    };
    drop(s);
    ctx.lookup(key, found);
    r
}

fn owned<'a>(it: impl IntoIterator<Item = (&'a [u8], f64)>) -> Vec<(Vec<u8>, f64)> {
    it.into_iter().map(|(m, s)| (m.to_vec(), s)).collect()
}

/// Builds a new zset from `items`. `sequential`: added one by one to a
/// fresh listpack that converts when it must (ZRANGESTORE); otherwise the
/// encoding is decided from the whole result first (ZUNIONSTORE & co.,
/// built as a skiplist and converted if small enough).
fn build(items: &[(Vec<u8>, f64)], lim: (usize, usize), sequential: bool) -> ZSetValue {
    let mut z = ZSetValue::new();
    if !sequential {
        z.listpack = items.len() <= lim.0 && items.iter().all(|(m, _)| m.len() <= lim.1);
    }
    for (m, s) in items {
        if z.score(m).is_none() {
            z.prepare_add(lim.0, lim.1, m);
        }
        z.set(m, *s);
    }
    z
}

// ---------------------------------------------------------------- ZADD

const ZADD_NX: u8 = 1;
const ZADD_XX: u8 = 2;
const ZADD_GT: u8 = 4;
const ZADD_LT: u8 = 8;
const ZADD_CH: u8 = 16;
const ZADD_INCR: u8 = 32;

fn zadd(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    zadd_generic(ctx, args, 0)
}

fn zincrby(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    zadd_generic(ctx, args, ZADD_INCR)
}

pub(crate) fn zadd_generic(ctx: &mut Ctx, args: &[Vec<u8>], mut flags: u8) -> Reply {
    let mut idx = 2;
    if flags & ZADD_INCR == 0 {
        while idx < args.len() {
            let a = &args[idx];
            let f = if is(a, "nx") {
                ZADD_NX
            } else if is(a, "xx") {
                ZADD_XX
            } else if is(a, "ch") {
                ZADD_CH
            } else if is(a, "incr") {
                ZADD_INCR
            } else if is(a, "gt") {
                ZADD_GT
            } else if is(a, "lt") {
                ZADD_LT
            } else {
                break;
            };
            flags |= f;
            idx += 1;
        }
    }
    let elements = args.len() - idx;
    if !elements.is_multiple_of(2) || elements == 0 {
        return err::syntax();
    }
    let has = |f: u8| flags & f != 0;
    if has(ZADD_NX) && has(ZADD_XX) {
        return Reply::err("ERR XX and NX options at the same time are not compatible");
    }
    if (has(ZADD_GT) && has(ZADD_NX))
        || (has(ZADD_LT) && has(ZADD_NX))
        || (has(ZADD_GT) && has(ZADD_LT))
    {
        return Reply::err("ERR GT, LT, and/or NX options at the same time are not compatible");
    }
    let incr = has(ZADD_INCR);
    if incr && elements > 2 {
        return Reply::err("ERR INCR option supports a single increment-element pair");
    }
    let mut pairs = Vec::with_capacity(elements / 2);
    for p in args[idx..].chunks(2) {
        match parse_score(&p[0]) {
            Some(s) => pairs.push((s, &p[1])),
            None => return err::not_float(),
        }
    }
    let lim = limits(ctx);
    let db = ctx.client.db;
    let key = &args[1];
    let (mut s, h) = ctx.db().write(key);
    let now = now_ms();
    let exists = match s.get_mut(h, key, now) {
        None => false,
        Some(e) => {
            if let Err(r) = zset_of(e) {
                return r;
            }
            true
        }
    };
    let nothing = || {
        if incr {
            Reply::Null
        } else {
            Reply::Int(0)
        }
    };
    if !exists {
        if has(ZADD_XX) {
            return nothing();
        }
        s.insert(h, key, Entry::new(Value::ZSet(Box::default()), 0));
    }
    let r = modify(&mut s, h, key, now, |z| {
        let (mut added, mut updated, mut processed) = (0, 0, 0);
        let mut last = 0.0;
        for (score, m) in &pairs {
            let mut score = *score;
            match z.score(m) {
                Some(cur) => {
                    if has(ZADD_NX) {
                        continue;
                    }
                    if incr {
                        score += cur;
                        if score.is_nan() {
                            return Err(Reply::err("ERR resulting score is not a number (NaN)"));
                        }
                    }
                    if (has(ZADD_LT) && score >= cur) || (has(ZADD_GT) && score <= cur) {
                        continue;
                    }
                    if score != cur {
                        z.set(m, score);
                        updated += 1;
                    }
                }
                None => {
                    if has(ZADD_XX) {
                        continue;
                    }
                    z.prepare_add(lim.0, lim.1, m);
                    z.set(m, score);
                    added += 1;
                }
            }
            processed += 1;
            last = score;
        }
        let reply = if incr {
            if processed > 0 {
                Reply::Double(last)
            } else {
                Reply::Null
            }
        } else if has(ZADD_CH) {
            Reply::Int(added + updated)
        } else {
            Reply::Int(added)
        };
        Ok((reply, added + updated > 0))
    });
    match r {
        Err(r) | Ok(Some(Err(r))) => r,
        Ok(Some(Ok((r, changed)))) => {
            if changed {
                crate::persist::log(db, args);
                notify(NOTIFY_ZSET, if incr { "zincr" } else { "zadd" }, key, db);
            }
            drop(s);
            r
        }
        Ok(None) => nothing(),
    }
}

fn zrem(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let db = ctx.client.db;
    let key = &args[1];
    let (mut s, h) = ctx.db().write(key);
    let now = now_ms();
    let r = modify(&mut s, h, key, now, |z| {
        let mut n = 0;
        for m in &args[2..] {
            if z.remove(m).is_some() {
                n += 1;
                if z.is_empty() {
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
                notify(NOTIFY_ZSET, "zrem", key, db);
                s.notify_if_deleted(h, key);
            }
            drop(s);
            Reply::Int(n)
        }
    }
}

// ---------------------------------------------------------------- reads

fn zcard(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    read_z(ctx, &args[1], Reply::Int(0), |z, _| {
        Reply::Int(z.len() as i64)
    })
}

fn zscore(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    read_z(ctx, &args[1], Reply::Null, |z, _| match z.score(&args[2]) {
        Some(s) => Reply::Double(s),
        None => Reply::Null,
    })
}

fn zmscore(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let nulls = Reply::Array(args[2..].iter().map(|_| Reply::Null).collect());
    read_z(ctx, &args[1], nulls, |z, _| {
        Reply::Array(
            args[2..]
                .iter()
                .map(|m| match z.score(m) {
                    Some(s) => Reply::Double(s),
                    None => Reply::Null,
                })
                .collect(),
        )
    })
}

fn zcount(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let range = match parse_score_range(&args[2], &args[3]) {
        Ok(r) => r,
        Err(r) => return r,
    };
    read_z(ctx, &args[1], Reply::Int(0), |z, _| {
        Reply::Int(z.score_span(&range).1 as i64)
    })
}

fn zlexcount(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let range = match parse_lex_range(&args[2], &args[3]) {
        Ok(r) => r,
        Err(r) => return r,
    };
    read_z(ctx, &args[1], Reply::Int(0), |z, _| {
        Reply::Int(z.lex_span(&range).1 as i64)
    })
}

fn zrank(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    rank_generic(ctx, args, false)
}

fn zrevrank(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    rank_generic(ctx, args, true)
}

fn rank_generic(ctx: &mut Ctx, args: &[Vec<u8>], rev: bool) -> Reply {
    read_z(ctx, &args[1], Reply::Null, |z, _| match z.rank(&args[2]) {
        Some(r) => Reply::Int(if rev { z.len() - 1 - r } else { r } as i64),
        None => Reply::Null,
    })
}

// ---------------------------------------------------------------- ZRANGE family

#[derive(Clone, Copy, PartialEq, Eq)]
enum RangeType {
    Auto,
    Rank,
    Score,
    Lex,
}

enum Range {
    Rank(i64, i64),
    Score(ScoreRange),
    Lex(LexRange),
}

struct RangeSpec {
    range: Range,
    rev: bool,
    offset: i64,
    limit: i64,
    withscores: bool,
}

/// Parses Redis's zrangeGenericCommand arguments: `args[first]` is the key,
/// then min, max and options. `ty`/`rev` preset by the legacy commands.
fn parse_range(
    args: &[Vec<u8>],
    first: usize,
    mut ty: RangeType,
    rev: Option<bool>,
    store: bool,
) -> Result<RangeSpec, Reply> {
    let mut dir = rev;
    let (mut offset, mut limit, mut withscores) = (0i64, -1i64, false);
    let mut j = first + 3;
    while j < args.len() {
        let left = args.len() - j - 1;
        let a = &args[j];
        if !store && is(a, "withscores") {
            withscores = true;
        } else if is(a, "limit") && left >= 2 {
            offset = int(&args[j + 1])?;
            limit = int(&args[j + 2])?;
            j += 2;
        } else if dir.is_none() && is(a, "rev") {
            dir = Some(true);
        } else if ty == RangeType::Auto && is(a, "bylex") {
            ty = RangeType::Lex;
        } else if ty == RangeType::Auto && is(a, "byscore") {
            ty = RangeType::Score;
        } else {
            return Err(err::syntax());
        }
        j += 1;
    }
    let rev = dir.unwrap_or(false);
    if ty == RangeType::Auto {
        ty = RangeType::Rank;
    }
    if limit != -1 && ty == RangeType::Rank {
        return Err(Reply::err(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if withscores && ty == RangeType::Lex {
        return Err(Reply::err(
            "ERR syntax error, WITHSCORES not supported in combination with BYLEX",
        ));
    }
    let (mut lo, mut hi) = (&args[first + 1], &args[first + 2]);
    if rev && ty != RangeType::Rank {
        std::mem::swap(&mut lo, &mut hi);
    }
    let range = match ty {
        RangeType::Score => Range::Score(parse_score_range(lo, hi)?),
        RangeType::Lex => Range::Lex(parse_lex_range(lo, hi)?),
        _ => Range::Rank(int(lo)?, int(hi)?),
    };
    Ok(RangeSpec {
        range,
        rev,
        offset,
        limit,
        withscores,
    })
}

/// The (member, score) pairs a range selects, in reply order.
fn select(z: &ZSetValue, spec: &RangeSpec) -> Vec<(Vec<u8>, f64)> {
    let len = z.len() as i64;
    let (first, count) = match &spec.range {
        Range::Rank(start, end) => {
            let (mut start, mut end) = (*start, *end);
            if start < 0 {
                start += len;
            }
            if end < 0 {
                end += len;
            }
            if start < 0 {
                start = 0;
            }
            if start > end || start >= len {
                return Vec::new();
            }
            if end >= len {
                end = len - 1;
            }
            let n = (end - start + 1) as usize;
            return if spec.rev {
                owned(z.walk((len - 1 - start) as usize, true).take(n))
            } else {
                owned(z.walk(start as usize, false).take(n))
            };
        }
        Range::Score(r) => z.score_span(r),
        Range::Lex(r) => z.lex_span(r),
    };
    if spec.offset < 0 || (spec.offset > 0 && spec.offset >= len) {
        return Vec::new();
    }
    let off = spec.offset as usize;
    if off >= count {
        return Vec::new();
    }
    let take = if spec.limit < 0 {
        count - off
    } else {
        (spec.limit as usize).min(count - off)
    };
    if spec.rev {
        owned(z.walk(first + count - 1 - off, true).take(take))
    } else {
        owned(z.walk(first + off, false).take(take))
    }
}

fn range_reply(ctx: &mut Ctx, args: &[Vec<u8>], ty: RangeType, rev: Option<bool>) -> Reply {
    let spec = match parse_range(args, 1, ty, rev, false) {
        Ok(s) => s,
        Err(r) => return r,
    };
    read_z(ctx, &args[1], Reply::Array(Vec::new()), |z, r3| {
        members_reply(r3, &select(z, &spec), spec.withscores)
    })
}

fn zrange(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    range_reply(ctx, args, RangeType::Auto, None)
}

fn zrevrange(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    range_reply(ctx, args, RangeType::Rank, Some(true))
}

fn zrangebyscore(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    range_reply(ctx, args, RangeType::Score, Some(false))
}

fn zrevrangebyscore(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    range_reply(ctx, args, RangeType::Score, Some(true))
}

fn zrangebylex(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    range_reply(ctx, args, RangeType::Lex, Some(false))
}

fn zrevrangebylex(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    range_reply(ctx, args, RangeType::Lex, Some(true))
}

/// Replaces `dst` with a zset built from `items` (deleting it when empty)
/// and logs that, all under the locks in `l`, notifying `event` (`del` for
/// a deleted destination); replies the new size.
#[allow(clippy::too_many_arguments)]
pub(crate) fn store_result(
    l: &mut Locked,
    store: &Store,
    db: usize,
    dst: &[u8],
    items: &[(Vec<u8>, f64)],
    lim: (usize, usize),
    sequential: bool,
    event: &str,
) -> Reply {
    let (d, hd) = l.stripe_mut(store, db, dst);
    if items.is_empty() {
        if d.remove(hd, dst).is_some() {
            crate::persist::log(db, &[&b"DEL"[..], dst]);
            notify(NOTIFY_GENERIC, "del", dst, db);
        }
        return Reply::Int(0);
    }
    let z = build(items, lim, sequential);
    let n = z.len() as i64;
    let e = Entry::new(Value::ZSet(Box::new(z)), 0);
    let mut batch = crate::persist::Batch::new();
    batch.entry(db, dst, &e);
    d.insert(hd, dst, e);
    batch.commit();
    notify(NOTIFY_ZSET, event, dst, db);
    Reply::Int(n)
}

fn zrangestore(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let spec = match parse_range(args, 2, RangeType::Auto, None, true) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let lim = limits(ctx);
    let db = ctx.client.db;
    let (dst, src) = (args[1].as_slice(), args[2].as_slice());
    let store = ctx.store();
    let now = now_ms();
    let mut l = store.lock(&[(db, dst), (db, src)], true);
    // Redis looks the source up for reading (an expired one is deleted).
    let (s, h) = l.stripe_mut(store, db, src);
    s.expire_if_needed(h, src, now);
    let e = s.get(h, src, now);
    ctx.lookup(src, e.is_some());
    let items = match e {
        None => Vec::new(),
        Some(e) => match zset_of(e) {
            Err(r) => return r,
            Ok(z) => select(z, &spec),
        },
    };
    let r = store_result(&mut l, store, db, dst, &items, lim, true, "zrangestore");
    drop(l);
    r
}

// ---------------------------------------------------------------- ZREMRANGE*

fn zremrangebyrank(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let (start, end) = match (int(&args[2]), int(&args[3])) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    remrange(ctx, args, "zremrangebyrank", |z| {
        let len = z.len() as i64;
        let (mut start, mut end) = (start, end);
        if start < 0 {
            start += len;
        }
        if end < 0 {
            end += len;
        }
        if start < 0 {
            start = 0;
        }
        if start > end || start >= len {
            return (0, 0);
        }
        if end >= len {
            end = len - 1;
        }
        (start as usize, (end - start + 1) as usize)
    })
}

fn zremrangebyscore(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let range = match parse_score_range(&args[2], &args[3]) {
        Ok(r) => r,
        Err(r) => return r,
    };
    remrange(ctx, args, "zremrangebyscore", |z| z.score_span(&range))
}

fn zremrangebylex(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let range = match parse_lex_range(&args[2], &args[3]) {
        Ok(r) => r,
        Err(r) => return r,
    };
    remrange(ctx, args, "zremrangebylex", |z| z.lex_span(&range))
}

/// ZREMRANGEBY*: removes the span `span` picks from the zset at `args[1]`
/// (notified as `event`).
fn remrange(
    ctx: &mut Ctx,
    args: &[Vec<u8>],
    event: &str,
    span: impl FnOnce(&ZSetValue) -> (usize, usize),
) -> Reply {
    let db = ctx.client.db;
    let key = args[1].as_slice();
    let (mut s, h) = ctx.db().write(key);
    let now = now_ms();
    match modify(&mut s, h, key, now, |z| {
        let (first, n) = span(z);
        z.remove_rank_range(first, n)
    }) {
        Err(r) => r,
        Ok(n) => {
            let n = n.unwrap_or(0);
            if n > 0 {
                crate::persist::log(db, args);
                notify(NOTIFY_ZSET, event, key, db);
                s.notify_if_deleted(h, key);
            }
            drop(s);
            Reply::Int(n as i64)
        }
    }
}

// ---------------------------------------------------------------- pops

/// Pops up to `count` from the min or max end of the zset at `key`.
fn pop_from(
    s: &mut Stripe,
    h: u64,
    key: &[u8],
    now: u64,
    max: bool,
    count: usize,
) -> Vec<(Vec<u8>, f64)> {
    modify(s, h, key, now, |z| {
        let n = count.min(z.len());
        let items = if max {
            owned(z.walk(z.len().saturating_sub(1), true).take(n))
        } else {
            owned(z.walk(0, false).take(n))
        };
        for (m, _) in &items {
            z.remove(m);
        }
        items
    })
    .ok()
    .flatten()
    .unwrap_or_default()
}

/// The event of a pop from the max or min end.
fn pop_event(max: bool) -> &'static str {
    if max {
        "zpopmax"
    } else {
        "zpopmin"
    }
}

fn zpopmin(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    zpop(ctx, args, false)
}

fn zpopmax(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    zpop(ctx, args, true)
}

fn zpop(ctx: &mut Ctx, args: &[Vec<u8>], max: bool) -> Reply {
    if args.len() > 3 {
        return err::syntax();
    }
    let count = if args.len() == 3 {
        match int(&args[2]) {
            Ok(v) if v >= 0 => Some(v as usize),
            _ => return Reply::err("ERR value is out of range, must be positive"),
        }
    } else {
        None
    };
    let resp3 = ctx.resp3();
    let db = ctx.client.db;
    let key = &args[1];
    let (mut s, h) = ctx.db().write(key);
    let now = now_ms();
    match s.get_mut(h, key, now) {
        None => return Reply::Array(Vec::new()),
        Some(e) => {
            if let Err(r) = zset_of(e) {
                return r;
            }
        }
    }
    if count == Some(0) {
        return Reply::Array(Vec::new());
    }
    let items = pop_from(&mut s, h, key, now, max, count.unwrap_or(1));
    if !items.is_empty() {
        crate::persist::log(db, args);
        notify(NOTIFY_ZSET, pop_event(max), key, db);
        s.notify_if_deleted(h, key);
    }
    drop(s);
    if count.is_some() {
        members_reply(resp3, &items, true)
    } else {
        let mut v = Vec::new();
        for (m, sc) in &items {
            v.push(Reply::bulk(m));
            v.push(Reply::Double(*sc));
        }
        Reply::Array(v)
    }
}

/// ZMPOP's arguments from `at` (numkeys) on: (index of MIN|MAX, max, count).
fn zmpop_args(args: &[Vec<u8>], at: usize) -> Result<(usize, bool, usize), Reply> {
    let (where_idx, max, count) = super::args::mpop(args, at, |a| {
        if is(a, "min") {
            Some(false)
        } else if is(a, "max") {
            Some(true)
        } else {
            None
        }
    })?;
    Ok((where_idx, max, count as usize))
}

fn zmpop(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let (where_idx, max, count) = match zmpop_args(args, 1) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let keys = &args[2..where_idx];
    let srv = ctx.srv.clone();
    let db = ctx.client.db;
    let lk: Vec<(usize, &[u8])> = keys.iter().map(|k| (db, k.as_slice())).collect();
    let mut l = srv.store.lock(&lk, true);
    match zmpop_try(&srv.store, &mut l, db, keys, max, count, false) {
        Err(r) => r,
        Ok(Some((k, items))) => Reply::Array(vec![Reply::bulk(&k), pairs_reply(&items)]),
        Ok(None) => Reply::NullArray,
    }
}

/// Pops up to `count` from the first non-empty zset of `keys` (all
/// locked), logged as the `ZPOPMIN|ZPOPMAX key n` that happened: the key
/// and the members, None if all are empty, or the WRONGTYPE error (a key of
/// another type is skipped with `skip_wrong`).
#[allow(clippy::type_complexity)]
fn zmpop_try(
    store: &Store,
    l: &mut Locked,
    db: usize,
    keys: &[Vec<u8>],
    max: bool,
    count: usize,
    skip_wrong: bool,
) -> Result<Option<(Vec<u8>, Vec<(Vec<u8>, f64)>)>, Reply> {
    let now = now_ms();
    for k in keys {
        let (s, h) = l.stripe_mut(store, db, k);
        match s.get_mut(h, k, now) {
            None => continue,
            Some(e) => {
                if let Err(r) = zset_of(e) {
                    if skip_wrong {
                        continue;
                    }
                    return Err(r);
                }
            }
        }
        let items = pop_from(s, h, k, now, max, count);
        if items.is_empty() {
            continue;
        }
        let name: &[u8] = if max { b"ZPOPMAX" } else { b"ZPOPMIN" };
        let n = items.len().to_string();
        crate::persist::log(db, &[name, k, n.as_bytes()]);
        notify(NOTIFY_ZSET, pop_event(max), k, db);
        s.notify_if_deleted(h, k);
        return Ok(Some((k.clone(), items)));
    }
    Ok(None)
}

// ---------------------------------------------------------------- blocking

fn bzpopmin(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    bzpop(ctx, args, false)
}

fn bzpopmax(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    bzpop(ctx, args, true)
}

/// BZPOPMIN / BZPOPMAX key [key ...] timeout: [key, member, score] from
/// the first non-empty zset (logged as `ZPOPMIN|ZPOPMAX key 1`), else the
/// client blocks (src/blocking.rs).
fn bzpop(ctx: &mut Ctx, args: &[Vec<u8>], max: bool) -> Reply {
    let timeout = match blocking::parse_timeout(&args[args.len() - 1]) {
        Ok(t) => t,
        Err(r) => return r,
    };
    bzmpop_generic(ctx, &args[1..args.len() - 1], max, 1, timeout, true)
}

/// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count].
fn bzmpop(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let (where_idx, max, count) = match zmpop_args(args, 2) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let timeout = match blocking::parse_timeout(&args[1]) {
        Ok(t) => t,
        Err(r) => return r,
    };
    bzmpop_generic(ctx, &args[3..where_idx], max, count, timeout, false)
}

/// Pops (`single`: BZPOPMIN's flat [key, member, score]; else BZMPOP's
/// [key, [[member, score] ...]]) or blocks.
fn bzmpop_generic(
    ctx: &mut Ctx,
    keys: &[Vec<u8>],
    max: bool,
    count: usize,
    timeout: Option<std::time::Duration>,
    single: bool,
) -> Reply {
    if let Some(r) = blocking::unblocked(ctx) {
        return r;
    }
    let rerun = blocking::rerun(ctx);
    let srv = ctx.srv.clone();
    let db = ctx.client.db;
    let lk: Vec<(usize, &[u8])> = keys.iter().map(|k| (db, k.as_slice())).collect();
    let mut l = srv.store.lock(&lk, true);
    match zmpop_try(&srv.store, &mut l, db, keys, max, count, rerun) {
        Err(r) => return r,
        Ok(Some((k, items))) => {
            drop(l);
            blocking::served(ctx);
            if single {
                let mut v = vec![Reply::bulk(&k)];
                for (m, sc) in &items {
                    v.push(Reply::bulk(m));
                    v.push(Reply::Double(*sc));
                }
                return Reply::Array(v);
            }
            return Reply::Array(vec![Reply::bulk(&k), pairs_reply(&items)]);
        }
        Ok(None) => {}
    }
    let names: Vec<&[u8]> = keys.iter().map(|k| k.as_slice()).collect();
    let r = blocking::block(ctx, &names, timeout, Reply::NullArray);
    drop(l);
    r
}

// ---------------------------------------------------------------- ZRANDMEMBER

fn zrandmember(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    if args.len() == 2 {
        return read_z(ctx, &args[1], Reply::Null, |z, _| {
            match z.random(&mut rand_u64) {
                Some((m, _)) => Reply::bulk(m),
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
    if args.len() > 4 || (args.len() == 4 && !is(&args[3], "withscores")) {
        return err::syntax();
    }
    let withscores = args.len() == 4;
    if withscores && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&l) {
        return Reply::err("ERR value is out of range");
    }
    let (count, uniq) = (l.unsigned_abs() as usize, l >= 0);
    if !uniq && count as u64 > MAX_RANDOM_PICKS {
        return Reply::err("ERR value is out of range");
    }
    read_z(ctx, &args[1], Reply::Array(Vec::new()), |z, r3| {
        let size = z.len();
        if count == 0 {
            return Reply::Array(Vec::new());
        }
        let mut rnd = rand_u64;
        if !uniq || count == 1 {
            let items: Vec<(Vec<u8>, f64)> = (0..count)
                .filter_map(|_| z.random(&mut rnd))
                .map(|(m, s)| (m.to_vec(), s))
                .collect();
            return members_reply(r3, &items, withscores);
        }
        if count >= size {
            // The whole set, highest first (as Redis 7.0 replies it).
            return members_reply(r3, &owned(z.walk(size - 1, true)), withscores);
        }
        // Distinct random ranks.
        let mut seen: HashSet<usize> = HashSet::with_capacity(count);
        let mut items = Vec::with_capacity(count);
        if count * 3 > size {
            let mut all: Vec<usize> = (0..size).collect();
            for i in 0..count {
                let j = i + (rnd() % (size - i) as u64) as usize;
                all.swap(i, j);
            }
            for &r in &all[..count] {
                if let Some((m, s)) = z.at(r) {
                    items.push((m.to_vec(), s));
                }
            }
        } else {
            while items.len() < count {
                let r = (rnd() % size as u64) as usize;
                if seen.insert(r) {
                    if let Some((m, s)) = z.at(r) {
                        items.push((m.to_vec(), s));
                    }
                }
            }
        }
        members_reply(r3, &items, withscores)
    })
}

// ---------------------------------------------------------------- ZSCAN

fn zscan(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let Some(cursor) = super::keys::parse_cursor(&args[2]) else {
        return Reply::err("ERR invalid cursor");
    };
    let empty_scan = Reply::Array(vec![Reply::bulk(b"0"), Reply::Array(Vec::new())]);
    read_z(ctx, &args[1], empty_scan, |z, _| {
        let opts = match super::args::scan_opts(args, 3) {
            Ok(o) => o,
            Err(r) => return r,
        };
        let (count, keep) = (opts.count, |m: &[u8]| opts.keeps(m));
        let mut out = Vec::new();
        let next = if z.listpack {
            for (m, s) in z.iter() {
                if keep(m) {
                    out.push(Reply::bulk(m));
                    out.push(Reply::Bulk(d2string(s).into_bytes()));
                }
            }
            0
        } else {
            let count = (count as u64).min(1 << 40) as usize;
            let mut visited = 0usize;
            let mut cur = cursor;
            let mut max_iter = count * 10;
            loop {
                cur = z.scan(cur, |k, s| {
                    visited += 1;
                    if keep(k) {
                        out.push(Reply::bulk(k));
                        out.push(Reply::Bulk(format_double(*s).into_bytes()));
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
    Inter,
    Diff,
}

#[derive(Clone, Copy)]
enum Agg {
    Sum,
    Min,
    Max,
}

fn aggregate(target: &mut f64, val: f64, agg: Agg) {
    match agg {
        Agg::Sum => {
            *target += val;
            if target.is_nan() {
                *target = 0.0;
            }
        }
        Agg::Min => {
            if val < *target {
                *target = val
            }
        }
        Agg::Max => {
            if val > *target {
                *target = val
            }
        }
    }
}

/// A source of ZUNION & co.: a sorted set, or a plain set (scores 1).
enum Src<'a> {
    Z(&'a ZSetValue),
    S(&'a crate::store::set::SetValue),
}

impl Src<'_> {
    fn len(&self) -> usize {
        match self {
            Src::Z(z) => z.len(),
            Src::S(s) => s.len(),
        }
    }
    fn items(&self) -> Vec<(&[u8], f64)> {
        match self {
            Src::Z(z) => z.iter().collect(),
            Src::S(s) => s
                .ordered()
                .into_iter()
                .map(|m| (m.as_slice(), 1.0))
                .collect(),
        }
    }
    fn score(&self, m: &[u8]) -> Option<f64> {
        match self {
            Src::Z(z) => z.score(m),
            Src::S(s) => s.contains(m).then_some(1.0),
        }
    }
}

/// Parsed ZUNION/ZINTER/ZDIFF/ZINTERCARD/*STORE arguments.
struct SetOp {
    weights: Vec<f64>,
    agg: Agg,
    withscores: bool,
    limit: usize,
}

/// The key count and its checks (run before the keys are looked up).
fn parse_numkeys(args: &[Vec<u8>], idx: usize, name: &str) -> Result<usize, Reply> {
    let setnum = int(&args[idx])?;
    if setnum < 1 {
        return Err(Reply::error(format!(
            "ERR at least 1 input key is needed for '{}' command",
            name
        )));
    }
    if setnum as u64 > (args.len() - idx - 1) as u64 {
        return Err(err::syntax());
    }
    Ok(setnum as usize)
}

/// The options after the keys.
fn parse_setop_opts(
    args: &[Vec<u8>],
    numkeys_idx: usize,
    setnum: usize,
    op: Op,
    store: bool,
    card: bool,
) -> Result<SetOp, Reply> {
    let mut o = SetOp {
        weights: vec![1.0; setnum],
        agg: Agg::Sum,
        withscores: false,
        limit: 0,
    };
    let mut j = numkeys_idx + 1 + setnum;
    while j < args.len() {
        let remaining = args.len() - j;
        let a = &args[j];
        if op != Op::Diff && !card && remaining > setnum && is(a, "weights") {
            j += 1;
            for i in 0..setnum {
                o.weights[i] = parse_score(&args[j])
                    .ok_or_else(|| Reply::err("ERR weight value is not a float"))?;
                j += 1;
            }
        } else if op != Op::Diff && !card && remaining >= 2 && is(a, "aggregate") {
            let v = &args[j + 1];
            o.agg = if is(v, "sum") {
                Agg::Sum
            } else if is(v, "min") {
                Agg::Min
            } else if is(v, "max") {
                Agg::Max
            } else {
                return Err(err::syntax());
            };
            j += 2;
        } else if !store && !card && is(a, "withscores") {
            o.withscores = true;
            j += 1;
        } else if card && remaining >= 2 && is(a, "limit") {
            o.limit = match int(&args[j + 1]) {
                Ok(v) if v >= 0 => v as usize,
                _ => return Err(Reply::err("ERR LIMIT can't be negative")),
            };
            j += 2;
        } else {
            return Err(err::syntax());
        }
    }
    Ok(o)
}

/// Computes the operation; the result in ascending (score, member) order.
fn compute(srcs: &[Option<Src>], o: &SetOp, op: Op) -> Vec<(Vec<u8>, f64)> {
    let mut res: Vec<(Vec<u8>, f64)> = match op {
        Op::Diff => {
            let Some(first) = &srcs[0] else {
                return Vec::new();
            };
            first
                .items()
                .into_iter()
                .filter(|(m, _)| !srcs[1..].iter().flatten().any(|s| s.score(m).is_some()))
                .map(|(m, s)| (m.to_vec(), s))
                .collect()
        }
        Op::Inter => {
            let mut order: Vec<usize> = (0..srcs.len()).collect();
            order.sort_by_key(|&i| srcs[i].as_ref().map_or(0, |s| s.len()));
            let Some(first) = &srcs[order[0]] else {
                return Vec::new();
            };
            let mut out = Vec::new();
            'next: for (m, v) in first.items() {
                let mut score = o.weights[order[0]] * v;
                if score.is_nan() {
                    score = 0.0;
                }
                for &i in &order[1..] {
                    let Some(sv) = srcs[i].as_ref().and_then(|s| s.score(m)) else {
                        continue 'next;
                    };
                    aggregate(&mut score, o.weights[i] * sv, o.agg);
                }
                out.push((m.to_vec(), score));
                if o.limit > 0 && out.len() >= o.limit {
                    break;
                }
            }
            out
        }
        Op::Union => {
            let mut order: Vec<usize> = (0..srcs.len()).collect();
            order.sort_by_key(|&i| srcs[i].as_ref().map_or(0, |s| s.len()));
            let mut acc: HashMap<&[u8], f64> = HashMap::new();
            for &i in &order {
                let Some(s) = &srcs[i] else { continue };
                for (m, v) in s.items() {
                    let mut score = o.weights[i] * v;
                    if score.is_nan() {
                        score = 0.0;
                    }
                    match acc.get_mut(m) {
                        Some(t) => aggregate(t, score, o.agg),
                        None => {
                            acc.insert(m, score);
                        }
                    }
                }
            }
            acc.into_iter().map(|(m, s)| (m.to_vec(), s)).collect()
        }
    };
    res.sort_by(|a, b| {
        a.1.partial_cmp(&b.1)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| a.0.cmp(&b.0))
    });
    res
}

/// The sources at `keys` (None = missing), WRONGTYPE for anything but a
/// sorted set or a set. `found` gets whether each key looked up was there
/// (up to the one of another type, where Redis stops).
fn lookup_srcs<'a>(
    l: &'a Locked,
    store: &Store,
    db: usize,
    keys: &[Vec<u8>],
    now: u64,
    found: &mut Vec<bool>,
) -> Result<Vec<Option<Src<'a>>>, Reply> {
    let mut out = Vec::with_capacity(keys.len());
    for k in keys {
        let (s, h) = l.stripe(store, db, k);
        let e = s.get(h, k, now);
        found.push(e.is_some());
        out.push(match e {
            None => None,
            Some(e) => match &e.value {
                Value::ZSet(z) => Some(Src::Z(z)),
                Value::Set(s) => Some(Src::S(s)),
                _ => return Err(err::wrong_type()),
            },
        });
    }
    Ok(out)
}

/// ZUNION / ZINTER / ZDIFF / ZINTERCARD (dst None) and the *STORE forms.
fn setop_generic(ctx: &mut Ctx, args: &[Vec<u8>], op: Op, store_dst: bool, card: bool) -> Reply {
    let numkeys_idx = if store_dst { 2 } else { 1 };
    let name = args[0].to_ascii_lowercase();
    let setnum = match parse_numkeys(args, numkeys_idx, &String::from_utf8_lossy(&name)) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let lim = limits(ctx);
    let resp3 = ctx.resp3();
    let db = ctx.client.db;
    let keys = &args[numkeys_idx + 1..numkeys_idx + 1 + setnum];
    let store = ctx.store();
    let now = now_ms();
    let mut lk: Vec<(usize, &[u8])> = keys.iter().map(|k| (db, k.as_slice())).collect();
    if store_dst {
        lk.push((db, args[1].as_slice()));
    }
    let mut l = store.lock(&lk, store_dst);
    if store_dst {
        // Redis 7.0 looks the sources up for reading (so an expired one is
        // deleted, and a missing one notifies `keymiss`), up to the first
        // of another type.
        for k in keys {
            let (s, h) = l.stripe_mut(store, db, k);
            s.expire_if_needed(h, k, now);
            let e = s.get(h, k, now);
            ctx.lookup(k, e.is_some());
            if e.is_some_and(|e| !matches!(e.value, Value::ZSet(_) | Value::Set(_))) {
                break;
            }
        }
    }
    let mut found = Vec::new();
    let computed = lookup_srcs(&l, store, db, keys, now, &mut found).and_then(|srcs| {
        let o = parse_setop_opts(args, numkeys_idx, setnum, op, store_dst, card)?;
        Ok((compute(&srcs, &o, op), o))
    });
    if !store_dst {
        for (k, &f) in keys.iter().zip(&found) {
            ctx.lookup(k, f);
        }
    }
    let (result, o) = match computed {
        Ok(x) => x,
        Err(r) => return r,
    };
    let r = if store_dst {
        let event = match op {
            Op::Union => "zunionstore",
            Op::Inter => "zinterstore",
            Op::Diff => "zdiffstore",
        };
        store_result(&mut l, store, db, &args[1], &result, lim, false, event)
    } else if card {
        Reply::Int(result.len() as i64)
    } else {
        members_reply(resp3, &result, o.withscores)
    };
    drop(l);
    r
}

fn zunion(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    setop_generic(ctx, args, Op::Union, false, false)
}

fn zinter(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    setop_generic(ctx, args, Op::Inter, false, false)
}

fn zdiff(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    setop_generic(ctx, args, Op::Diff, false, false)
}

fn zunionstore(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    setop_generic(ctx, args, Op::Union, true, false)
}

fn zinterstore(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    setop_generic(ctx, args, Op::Inter, true, false)
}

fn zdiffstore(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    setop_generic(ctx, args, Op::Diff, true, false)
}

fn zintercard(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    setop_generic(ctx, args, Op::Inter, false, true)
}

#[cfg(test)]
mod tests {
    use crate::resp::reply::format_double;

    #[test]
    fn percent_17g() {
        assert_eq!(format_double(0.1), "0.10000000000000001");
        assert_eq!(format_double(1.5), "1.5");
        assert_eq!(format_double(3.0), "3");
        assert_eq!(format_double(-2.0), "-2");
        assert_eq!(format_double(f64::INFINITY), "inf");
        assert_eq!(format_double(f64::NEG_INFINITY), "-inf");
        assert_eq!(format_double(1e17), "1e+17");
        assert_eq!(format_double(1.5e20), "1.5e+20");
        assert_eq!(format_double(0.0001), "0.0001");
        assert_eq!(format_double(0.00001), "1.0000000000000001e-05");
        assert_eq!(format_double(123456789.125), "123456789.125");
        assert_eq!(format_double(1e16), "10000000000000000");
    }

    use crate::command::testutil::{check_replay, check_replay_after, logged, texts};

    #[test]
    fn zadd_and_zincrby_replay_with_every_flag() {
        check_replay(&[
            &["ZADD", "z", "1", "a", "2", "b", "3", "c"],
            &["ZADD", "z", "1", "a"],
            &["ZADD", "z", "NX", "5", "a", "4", "d"],
            &["ZADD", "z", "XX", "5", "a", "4", "e"],
            &["ZADD", "z", "XX", "1", "nope"],
            &["ZADD", "missing", "XX", "1", "a"],
            &["ZADD", "z", "GT", "1", "a", "9", "b"],
            &["ZADD", "z", "LT", "1", "a", "9", "c"],
            &["ZADD", "z", "GT", "CH", "10", "b", "0.5", "new"],
            &["ZADD", "z", "XX", "LT", "CH", "-1", "c"],
            &["ZADD", "z", "INCR", "2.5", "a"],
            &["ZADD", "z", "INCR", "NX", "1", "a"],
            &["ZADD", "z", "INCR", "XX", "1", "gone"],
            &["ZADD", "z", "INCR", "GT", "-100", "a"],
            &["ZADD", "z", "INCR", "LT", "-100", "a"],
            &[
                "ZADD", "z", "0.1", "f", "1e-300", "g", "-0", "h", "inf", "i", "-inf", "j",
            ],
            &["ZADD", "z", "0x1p-3", "k"],
            &["ZINCRBY", "z", "0.2", "f"],
            &["ZINCRBY", "z", "0.1", "f"],
            &["ZINCRBY", "z", "0", "f"],
            &["ZINCRBY", "z", "1", "fresh"],
            &["ZINCRBY", "newkey", "7", "m"],
            // Errors change nothing.
            &["ZINCRBY", "z", "-inf", "i"],
            &["ZADD", "z", "NX", "XX", "1", "a"],
            &["ZADD", "z", "nan", "a"],
            &["HSET", "h", "f", "v"],
            &["ZADD", "h", "1", "a"],
            &["ZINCRBY", "h", "1", "a"],
            &["MULTI"],
            &["ZADD", "t", "1", "a"],
            &["ZINCRBY", "t", "1.5", "a"],
            &["ZADD", "t", "GT", "CH", "2", "a"],
            &["EXEC"],
            &["SELECT", "1"],
            &["ZADD", "z", "1", "a"],
            &["ZINCRBY", "z", "1", "a"],
        ]);
    }

    #[test]
    fn zrem_and_remrange_replay() {
        check_replay(&[
            &[
                "ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "6", "f",
            ],
            &["ZADD", "z", "0", "aa", "0", "ab", "0", "ac"],
            &["ZREM", "z", "nope"],
            &["ZREM", "z", "a", "nope"],
            &["ZREM", "missing", "a"],
            &["ZREMRANGEBYSCORE", "z", "(1", "2"],
            &["ZREMRANGEBYSCORE", "z", "100", "+inf"],
            &["ZREMRANGEBYRANK", "z", "0", "0"],
            &["ZREMRANGEBYRANK", "z", "-1", "-1"],
            &["ZREMRANGEBYRANK", "z", "50", "60"],
            &["ZREMRANGEBYLEX", "z", "[ab", "(ac"],
            &["ZREMRANGEBYLEX", "z", "[zz", "+"],
            &["ZREMRANGEBYSCORE", "z", "-inf", "+inf"],
            &["ZADD", "y", "1", "a"],
            &["ZREM", "y", "a"],
            &["HSET", "h", "f", "v"],
            &["ZREM", "h", "f"],
            &["ZREMRANGEBYRANK", "h", "0", "-1"],
            &["MULTI"],
            &["ZADD", "t", "1", "a", "2", "b"],
            &["ZREMRANGEBYRANK", "t", "0", "0"],
            &["EXEC"],
        ]);
    }

    #[test]
    fn pops_replay() {
        check_replay(&[
            &[
                "ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "6", "f",
            ],
            &["ZADD", "y", "1", "x", "1", "y"],
            &["ZPOPMIN", "z"],
            &["ZPOPMAX", "z"],
            &["ZPOPMIN", "z", "2"],
            &["ZPOPMAX", "z", "0"],
            &["ZPOPMIN", "missing"],
            &["ZPOPMAX", "missing", "3"],
            &["ZMPOP", "3", "missing", "z", "y", "MIN"],
            &["ZMPOP", "2", "z", "y", "MAX", "COUNT", "10"],
            &["ZMPOP", "2", "z", "y", "MIN", "COUNT", "1"],
            &["ZMPOP", "2", "z", "y", "MAX"],
            &["ZMPOP", "2", "z", "y", "MAX"],
            &["ZADD", "w", "1", "a", "2", "b"],
            &["ZPOPMAX", "w", "100"],
            &["HSET", "h", "f", "v"],
            &["ZPOPMIN", "h"],
            &["ZMPOP", "1", "h", "MIN"],
            &["MULTI"],
            &["ZADD", "t", "1", "a", "2", "b", "3", "c"],
            &["ZPOPMIN", "t"],
            &["ZMPOP", "1", "t", "MAX", "COUNT", "5"],
            &["EXEC"],
            &["SELECT", "2"],
            &["ZADD", "z", "1", "a"],
            &["ZMPOP", "1", "z", "MIN"],
        ]);
    }

    #[test]
    fn store_commands_replay() {
        check_replay(&[
            &["ZADD", "a", "1", "x", "2", "y", "3", "z"],
            &["ZADD", "b", "10", "y", "20", "z", "30", "w"],
            &["SADD", "s", "x", "w", "q"],
            &["ZUNIONSTORE", "u", "2", "a", "b"],
            &[
                "ZUNIONSTORE",
                "u2",
                "3",
                "a",
                "b",
                "s",
                "WEIGHTS",
                "2",
                "0.5",
                "3",
                "AGGREGATE",
                "MAX",
            ],
            &["ZINTERSTORE", "i", "2", "a", "b", "AGGREGATE", "MIN"],
            &["ZINTERSTORE", "i2", "2", "a", "s"],
            &["ZDIFFSTORE", "d", "2", "a", "b"],
            &[
                "ZUNIONSTORE",
                "inf",
                "2",
                "a",
                "b",
                "WEIGHTS",
                "inf",
                "-inf",
            ],
            // The destination among the sources.
            &["ZUNIONSTORE", "a", "2", "a", "s"],
            // Empty results delete an existing destination.
            &["ZINTERSTORE", "i", "2", "a", "missing"],
            &["ZDIFFSTORE", "d", "2", "b", "b"],
            &["ZUNIONSTORE", "never", "1", "missing"],
            &["ZRANGESTORE", "r", "b", "0", "1"],
            &[
                "ZRANGESTORE",
                "r2",
                "b",
                "(10",
                "+inf",
                "BYSCORE",
                "LIMIT",
                "0",
                "1",
            ],
            &["ZRANGESTORE", "r3", "b", "[z", "-", "BYLEX", "REV"],
            &["ZRANGESTORE", "r", "b", "5", "10"],
            &["ZRANGESTORE", "r4", "missing", "0", "-1"],
            // Over a key of another type, and errors.
            &["HSET", "h", "f", "v"],
            &["ZUNIONSTORE", "h", "1", "b"],
            &["ZRANGESTORE", "b", "h", "0", "-1"],
            &["ZUNIONSTORE", "u", "1", "h"],
            &["ZUNIONSTORE", "u", "1", "b", "WEIGHTS"],
            &["MULTI"],
            &["ZINTERSTORE", "t", "2", "a", "b"],
            &["ZADD", "t", "1", "more"],
            &["ZRANGESTORE", "t2", "t", "0", "0"],
            &["EXEC"],
            &["SELECT", "1"],
            &["ZADD", "a", "1", "x"],
            &["ZUNIONSTORE", "u", "1", "a"],
            &["ZRANGESTORE", "r", "a", "0", "-1"],
        ]);
    }

    #[test]
    fn big_zsets_replay() {
        let mut add: Vec<String> = vec!["ZADD".into(), "big".into()];
        for i in 0..1500 {
            add.push(format!("{}", (i as f64) / 7.0));
            add.push(format!("member-{i}"));
        }
        let add: Vec<&str> = add.iter().map(|s| s.as_str()).collect();
        let long = "m".repeat(100);
        check_replay(&[
            &add,
            &["ZADD", "small", "1", "a"],
            &["ZADD", "small", "2", &long],
            &[
                "ZUNIONSTORE",
                "u",
                "2",
                "big",
                "small",
                "WEIGHTS",
                "0.3",
                "3",
            ],
            &["ZRANGESTORE", "r", "big", "100", "1300"],
            &["ZREMRANGEBYRANK", "big", "10", "200"],
            &["ZPOPMIN", "big", "400"],
            &["ZMPOP", "1", "u", "MAX", "COUNT", "900"],
        ]);
    }

    #[test]
    fn zset_replay_with_ttls_and_expired_keys() {
        let far = 4_102_444_800_000;
        let setup: &[&[&str]] = &[
            &["ZADD", "a", "1", "x", "2", "y"],
            &["ZADD", "dst", "5", "old"],
            &["ZADD", "dst2", "5", "old"],
            &["ZADD", "ttl", "1", "m", "2", "n"],
            &["ZADD", "gone", "1", "x"],
            &["ZADD", "gone2", "1", "x"],
        ];
        let ttls = &[
            (0, "dst", far),
            (0, "dst2", far),
            (0, "ttl", far),
            (0, "gone", 1),
            (0, "gone2", 1),
        ];
        let (_, recs) = check_replay_after(
            setup,
            ttls,
            &[
                &["ZINTERSTORE", "dst", "1", "a", "WEIGHTS", "0.1"],
                &["ZRANGESTORE", "dst2", "a", "5", "6"],
                &["ZINCRBY", "ttl", "0.5", "m"],
                &["ZPOPMAX", "ttl"],
                // Expired keys: deleted (and logged) first.
                &["ZDIFFSTORE", "d", "2", "a", "gone"],
                &["ZADD", "gone2", "XX", "1", "x"],
            ],
        );
        assert_eq!(
            texts(&recs),
            [
                "BATCH[DEL dst; ZADD dst 0.10000000000000001 x 0.20000000000000001 y]",
                "DEL dst2",
                "ZINCRBY ttl 0.5 m",
                "ZPOPMAX ttl",
                "DEL gone",
                "BATCH[DEL d; ZADD d 1 x 2 y]",
                "DEL gone2",
            ]
        );
    }

    #[test]
    fn zset_records_are_exact() {
        let recs = logged(&[
            &["ZADD", "z", "1", "a", "2", "b", "3", "c"],
            &["ZADD", "z", "XX", "1", "nope"],
            &["ZADD", "z", "GT", "0", "a"],
            &["ZADD", "z", "NX", "9", "a"],
            &["ZINCRBY", "z", "0", "a"],
            &["ZMPOP", "2", "missing", "z", "MIN", "COUNT", "2"],
            &["ZMPOP", "1", "z", "MAX", "COUNT", "5"],
            &["ZREMRANGEBYSCORE", "z", "0", "10"],
            &["ZPOPMIN", "z", "0"],
        ]);
        assert_eq!(recs, ["ZADD z 1 a 2 b 3 c", "ZPOPMIN z 2", "ZPOPMAX z 1"]);
    }
}
