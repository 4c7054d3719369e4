//! SORT and SORT_RO, with Redis 7.0's semantics (sort.c): options parsed
//! in Redis's order, LIMIT clamped as 7.0.15 does, BY/GET patterns
//! (`*` replaced by the element, `->field` for a hash field, `#` for the
//! element itself), BY without `*` meaning "don't sort", STORE writing a
//! list (or deleting the destination when the result is empty). STORE is
//! logged as the destination's new content (one batch: `DEL`, `RPUSH`
//! chunks), or `DEL` when an empty result deleted an existing key, under
//! the destination's write lock. Notified as Redis does: `sortstore`
//! (class l) on the destination, or `del` when an empty result deleted it;
//! `keymiss` for a missing source or BY/GET key.
//!
//! Atomicity differs from Redis, which runs the whole command under one
//! global lock. Here the source is read under its stripe's read lock and
//! released; each BY/GET pattern lookup then takes its own short read lock
//! on the looked-up key's stripe, and STORE finally write-locks the
//! destination's stripe. So no stripe lock is ever held while another is
//! taken (no lock-order issues), but a concurrent writer may change a
//! looked-up key between two lookups, or the source between the read and
//! the STORE. Each single lookup sees a consistent value.
//!
//! ALPHA compares bytes (Redis's strcoll under the C locale, which stops at
//! a NUL byte; with STORE Redis compares binary-safely, as FlashDB does
//! for STORE too). Ties in ALPHA with BY keep the source order (glibc's
//! qsort is a stable merge sort); Redis's partial sort (BY with LIMIT) may
//! order such ties differently.

use super::args::is;
use super::*;
use crate::pubsub::{NOTIFY_GENERIC, NOTIFY_LIST};
use crate::resp::Reply;
use crate::server::Ctx;
use crate::store::list::{End, ListValue};
use crate::store::{now_ms, CompactBytes, Entry, Value};
use std::cmp::Ordering;

const SORT_ACL: &[&str] = &["set", "sortedset", "list", "dangerous"];

const SORT_COMPLEXITY: &str = "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).";

pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("sort", -2, WRITE | DENYOOM | MOVABLEKEYS, KEY1, sort)
        .doc("generic", "1.0.0", "Sort the elements in a list, set or sorted set")
        .acl(SORT_ACL)
        .syntax("key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC] [ALPHA] [STORE destination]")
        .complexity(SORT_COMPLEXITY),
    CommandSpec::new("sort_ro", -2, READONLY | MOVABLEKEYS, KEY1, sort_ro)
        .doc("generic", "7.0.0", "Sort the elements in a list, set or sorted set. Read-only variant of SORT.")
        .acl(SORT_ACL)
        .syntax("key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC] [ALPHA]")
        .complexity(SORT_COMPLEXITY),
];

fn sort(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    sort_generic(ctx, args, false)
}

fn sort_ro(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    sort_generic(ctx, args, true)
}

/// Redis's sortGetKeys: the sorted key, and the destination of the last
/// STORE (options with arguments skipped as Redis skips them). Indexes
/// into `cmd` (cmd[0] is the name).
pub fn sort_keys(cmd: &[Vec<u8>]) -> Vec<usize> {
    let mut keys = vec![1];
    let mut store = None;
    let mut i = 2;
    while i < cmd.len() {
        let a = &cmd[i];
        if is(a, "limit") {
            i += 2;
        } else if is(a, "get") || is(a, "by") {
            i += 1;
        } else if is(a, "store") && i + 1 < cmd.len() {
            store = Some(i + 1);
        }
        i += 1;
    }
    keys.extend(store);
    keys
}

/// The parsed options.
struct Opts<'a> {
    desc: bool,
    alpha: bool,
    limit_start: i64,
    limit_count: i64,
    store: Option<&'a [u8]>,
    by: Option<&'a [u8]>,
    dontsort: bool,
    gets: Vec<&'a [u8]>,
}

fn parse_opts(args: &[Vec<u8>], readonly: bool) -> Result<Opts<'_>, Reply> {
    let mut o = Opts {
        desc: false,
        alpha: false,
        limit_start: 0,
        limit_count: -1,
        store: None,
        by: None,
        dontsort: false,
        gets: Vec::new(),
    };
    let mut j = 2;
    while j < args.len() {
        let a = &args[j];
        let left = args.len() - j - 1;
        if is(a, "asc") {
            o.desc = false;
        } else if is(a, "desc") {
            o.desc = true;
        } else if is(a, "alpha") {
            o.alpha = true;
        } else if is(a, "limit") && left >= 2 {
            let p = |x: &[u8]| crate::store::value::parse_i64(x).ok_or_else(err::not_int);
            o.limit_start = p(&args[j + 1])?;
            o.limit_count = p(&args[j + 2])?;
            j += 2;
        } else if !readonly && is(a, "store") && left >= 1 {
            o.store = Some(&args[j + 1]);
            j += 1;
        } else if is(a, "by") && left >= 1 {
            let p = &args[j + 1];
            o.by = Some(p);
            // strchr: a pattern is a C string to Redis.
            o.dontsort = !cstr(p).contains(&b'*');
            j += 1;
        } else if is(a, "get") && left >= 1 {
            o.gets.push(&args[j + 1]);
            j += 1;
        } else {
            return Err(err::syntax());
        }
        j += 1;
    }
    Ok(o)
}

/// The part of `b` before its first NUL byte (what C string functions see).
fn cstr(b: &[u8]) -> &[u8] {
    match b.iter().position(|&c| c == 0) {
        Some(i) => &b[..i],
        None => b,
    }
}

/// What the source key held.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    List,
    Set,
    ZSet,
}

/// Redis's lookupKeyByPattern: `#` is the element itself; otherwise the
/// first `*` is replaced by the element and the key read (a string, or a
/// hash field after `->`); no `*`, a missing key or field, or the wrong
/// type give None. Each lookup takes its own short read lock and counts a
/// keyspace hit or miss, as lookupKeyRead does.
fn lookup_pattern(ctx: &Ctx, pat: &[u8], subst: &[u8]) -> Option<Vec<u8>> {
    let c = cstr(pat);
    if c == b"#" {
        return Some(subst.to_vec());
    }
    let star = c.iter().position(|&b| b == b'*')?;
    // strstr(p+1, "->") with something after it.
    let field_at = c[star + 1..]
        .windows(2)
        .position(|w| w == b"->")
        .map(|i| star + 1 + i)
        .filter(|&f| f + 2 < c.len());
    let (post_end, field) = match field_at {
        Some(f) => (f, Some(&pat[f + 2..])),
        None => (pat.len(), None),
    };
    let mut key = Vec::with_capacity(pat.len() + subst.len());
    key.extend_from_slice(&pat[..star]);
    key.extend_from_slice(subst);
    key.extend_from_slice(&pat[star + 1..post_end]);
    let (s, h) = ctx.db().read(&key);
    let (found, r) = match s.get(h, &key, now_ms()) {
        None => (false, None),
        Some(e) => (
            true,
            match (&e.value, field) {
                (Value::Hash(hv), Some(f)) => hv.get(f).map(|v| v.to_vec()),
                (Value::Str(v), None) => Some(v.to_vec()),
                _ => None,
            },
        ),
    };
    drop(s);
    ctx.lookup(&key, found);
    r
}

/// A number as Redis's SORT reads one with strtod: leading white space
/// allowed, the whole (C) string consumed, no NaN, no ERANGE. An empty
/// string reads as 0.
fn sort_score(b: &[u8]) -> Option<f64> {
    let c = cstr(b);
    if c.is_empty() {
        return Some(0.0);
    }
    let t = match c.iter().position(|b| !b" \t\n\x0b\x0c\r".contains(b)) {
        Some(i) => &c[i..],
        None => return None,
    };
    super::zset::parse_score(t)
}

/// One element to sort: the element, its numeric score, and (ALPHA with
/// BY) the value looked up to compare by.
struct Item {
    obj: Vec<u8>,
    score: f64,
    cmp: Option<Vec<u8>>,
}

fn sort_generic(ctx: &mut Ctx, args: &[Vec<u8>], readonly: bool) -> Reply {
    let mut o = match parse_opts(args, readonly) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let key = args[1].as_slice();

    // Read the source under its stripe's read lock, then release it.
    let (s, h) = ctx.db().read(key);
    let entry = s.get(h, key, now_ms());
    let found = entry.is_some();
    let (kind, len) = match entry {
        None => (None, 0),
        Some(e) => match &e.value {
            Value::List(l) => (Some(Kind::List), l.len()),
            Value::Set(v) => (Some(Kind::Set), v.len()),
            Value::ZSet(z) => (Some(Kind::ZSet), z.len()),
            _ => {
                drop(s);
                ctx.hit(true);
                return err::wrong_type();
            }
        },
    };
    let kind = kind.unwrap_or(Kind::List);
    // A set is never returned in table order when storing: force ALPHA.
    if o.dontsort && kind == Kind::Set && o.store.is_some() {
        o.dontsort = false;
        o.alpha = true;
        o.by = None;
    }
    // LIMIT sanity checking, inputs bounded by the length as in 7.0.15.
    let vlen = len as i64;
    let mut start = o.limit_start.clamp(0, vlen);
    let count = o.limit_count.clamp(-1, vlen);
    let mut end = if count < 0 {
        vlen - 1
    } else {
        start + count - 1
    };
    if start >= vlen {
        start = vlen - 1;
        end = vlen - 2;
    }
    if end >= vlen {
        end = vlen - 1;
    }
    let ranged = o.dontsort && kind != Kind::Set;
    let objs: Vec<Vec<u8>> = match entry.map(|e| &e.value) {
        None => Vec::new(),
        Some(Value::List(l)) if ranged => {
            if end >= start {
                let n = (end - start + 1) as usize;
                let v = if o.desc {
                    l.iter()
                        .rev()
                        .skip(start as usize)
                        .take(n)
                        .map(|x| x.to_vec())
                        .collect()
                } else {
                    l.iter()
                        .skip(start as usize)
                        .take(n)
                        .map(|x| x.to_vec())
                        .collect()
                };
                end -= start;
                start = 0;
                v
            } else {
                Vec::new()
            }
        }
        Some(Value::ZSet(z)) if ranged => {
            let n = (end - start + 1).max(0) as usize;
            let v = if n == 0 {
                Vec::new()
            } else {
                let from = if o.desc {
                    len - 1 - start as usize
                } else {
                    start as usize
                };
                z.walk(from, o.desc)
                    .take(n)
                    .map(|(m, _)| m.to_vec())
                    .collect()
            };
            end -= start;
            start = 0;
            v
        }
        Some(Value::List(l)) => l.iter().map(|x| x.to_vec()).collect(),
        Some(Value::Set(v)) => v.ordered().into_iter().map(|x| x.to_vec()).collect(),
        Some(Value::ZSet(z)) => z.iter().map(|(m, _)| m.to_vec()).collect(),
        Some(_) => unreachable!("type checked above"),
    };
    drop(s);
    ctx.lookup(key, found);

    let mut items: Vec<Item> = objs
        .into_iter()
        .map(|obj| Item {
            obj,
            score: 0.0,
            cmp: None,
        })
        .collect();

    if !o.dontsort {
        let mut conversion_error = false;
        for it in items.iter_mut() {
            let byval = match o.by {
                Some(p) => match lookup_pattern(ctx, p, &it.obj) {
                    Some(v) => v,
                    None => continue,
                },
                None => {
                    if !o.alpha {
                        match sort_score(&it.obj) {
                            Some(v) => it.score = v,
                            None => conversion_error = true,
                        }
                    }
                    continue;
                }
            };
            if o.alpha {
                it.cmp = Some(byval);
            } else {
                match sort_score(&byval) {
                    Some(v) => it.score = v,
                    None => conversion_error = true,
                }
            }
        }
        if conversion_error {
            return Reply::err("ERR One or more scores can't be converted into double");
        }
        let binary = o.store.is_some();
        let by = o.by.is_some();
        let alpha = o.alpha;
        let cmp = |a: &Item, b: &Item| -> Ordering {
            if !alpha {
                a.score
                    .partial_cmp(&b.score)
                    .unwrap_or(Ordering::Equal)
                    .then_with(|| a.obj.cmp(&b.obj))
            } else {
                let (x, y) = if by {
                    match (&a.cmp, &b.cmp) {
                        (Some(x), Some(y)) => (x.as_slice(), y.as_slice()),
                        (None, None) => return Ordering::Equal,
                        (None, _) => return Ordering::Less,
                        (_, None) => return Ordering::Greater,
                    }
                } else {
                    (a.obj.as_slice(), b.obj.as_slice())
                };
                if binary {
                    x.cmp(y)
                } else {
                    cstr(x).cmp(cstr(y))
                }
            }
        };
        if o.desc {
            items.sort_by(|a, b| cmp(b, a));
        } else {
            items.sort_by(cmp);
        }
    }

    let range: &[Item] = if end >= start {
        &items[start as usize..=end as usize]
    } else {
        &[]
    };

    let Some(dst) = o.store else {
        let mut out = Vec::with_capacity(range.len() * o.gets.len().max(1));
        for it in range {
            if o.gets.is_empty() {
                out.push(Reply::Bulk(it.obj.clone()));
            }
            for g in &o.gets {
                out.push(match lookup_pattern(ctx, g, &it.obj) {
                    Some(v) => Reply::Bulk(v),
                    None => Reply::Null,
                });
            }
        }
        return Reply::Array(out);
    };

    let mut list = ListValue::new();
    for it in range {
        if o.gets.is_empty() {
            list.push(End::Right, &it.obj);
        }
        for g in &o.gets {
            let v = lookup_pattern(ctx, g, &it.obj).unwrap_or_default();
            list.push_owned(End::Right, CompactBytes::from_vec(v));
        }
    }
    let n = list.len() as i64;
    let db = ctx.client.db;
    let (mut s, h) = ctx.db().write(dst);
    // Logged as the destination's new content (BY/GET lookups are not
    // repeated on replay), under the destination's lock.
    let old = if n > 0 {
        let e = Entry::new(Value::List(Box::new(list)), 0);
        let mut batch = crate::persist::Batch::new();
        batch.entry(db, dst, &e);
        let old = s.insert(h, dst, e);
        batch.commit();
        ctx.notify(NOTIFY_LIST, "sortstore", dst);
        old
    } else {
        let old = s.remove(h, dst);
        if old.is_some() {
            crate::persist::log(db, &[&b"DEL"[..], dst]);
            ctx.notify(NOTIFY_GENERIC, "del", dst);
        }
        old
    };
    drop(s);
    drop(old);
    Reply::Int(n)
}

#[cfg(test)]
mod tests {
    use crate::command::testutil::{check_replay, check_replay_after, texts};

    #[test]
    fn sort_store_replays() {
        check_replay(&[
            &["RPUSH", "l", "3", "1", "2", "10"],
            &["SORT", "l", "STORE", "dst"],
            &["SORT", "l", "DESC", "LIMIT", "1", "2", "STORE", "dst2"],
            &["SADD", "s", "b", "a", "c"],
            &["SORT", "s", "ALPHA", "STORE", "dst"],
            // BY without '*' on a set with STORE is forced to ALPHA.
            &["SORT", "s", "BY", "nosort", "STORE", "set_nosort"],
            &["ZADD", "z", "1", "x", "2", "y", "3", "w"],
            &["SORT", "z", "BY", "nosort", "DESC", "STORE", "zdst"],
            &[
                "SORT", "z", "BY", "nosort", "LIMIT", "0", "2", "STORE", "zdst2",
            ],
            // Empty results: an existing destination is deleted, a missing
            // one stays missing.
            &["SORT", "missing", "STORE", "dst2"],
            &["SORT", "missing", "STORE", "never"],
            // Storing over a key of another type.
            &["HSET", "h", "f", "v"],
            &["SORT", "l", "STORE", "h"],
            // Errors store nothing.
            &["SORT", "h", "STORE", "dst"],
            &["SORT", "s", "STORE", "dst"],
            &["MULTI"],
            &["SORT", "l", "STORE", "tx"],
            &["RPUSH", "tx", "more"],
            &["EXEC"],
            &["SELECT", "1"],
            &["RPUSH", "l", "b", "a"],
            &["SORT", "l", "ALPHA", "STORE", "dst"],
        ]);
    }

    #[test]
    fn sort_store_with_by_get_and_ttl_replays() {
        let setup: &[&[&str]] = &[
            &["RPUSH", "ids", "1", "2", "3", "4"],
            &["SET", "w_1", "40"],
            &["SET", "w_2", "10"],
            &["SET", "w_3", "30"],
            &["SET", "d_1", "one"],
            &["SET", "d_3", "three"],
            &["HSET", "o_2", "name", "two"],
            &["HSET", "o_4", "name", "four"],
            &["RPUSH", "dst", "old"],
            &["RPUSH", "dst2", "old"],
        ];
        let ttls = &[
            (0, "dst", 4_102_444_800_000),
            (0, "dst2", 4_102_444_800_000),
        ];
        let (replies, recs) = check_replay_after(
            setup,
            ttls,
            &[
                &[
                    "SORT",
                    "ids",
                    "BY",
                    "w_*",
                    "GET",
                    "#",
                    "GET",
                    "d_*",
                    "GET",
                    "o_*->name",
                    "STORE",
                    "dst",
                ],
                &["SORT", "nothing", "BY", "w_*", "STORE", "dst2"],
            ],
        );
        assert_eq!(replies[0], crate::resp::Reply::Int(12));
        assert_eq!(
            texts(&recs),
            [
                "BATCH[DEL dst; RPUSH dst 4  four 2  two 3 three  1 one ]",
                "DEL dst2",
            ]
        );
    }

    #[test]
    fn sort_store_of_a_large_list_is_chunked() {
        let mut push: Vec<String> = vec!["RPUSH".into(), "l".into()];
        push.extend((0..2500).map(|i| i.to_string()));
        let push: Vec<&str> = push.iter().map(|s| s.as_str()).collect();
        let (_, recs) = check_replay_after(&[&push], &[], &[&["SORT", "l", "DESC", "STORE", "d"]]);
        let recs = texts(&recs);
        assert_eq!(recs.len(), 1);
        assert_eq!(recs[0].matches("RPUSH d ").count(), 3, "1024 + 1024 + 452");
    }
}
