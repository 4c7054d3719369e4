//! Stream commands with Redis 7.0's semantics, error texts and reply
//! shapes (t_stream.c): XADD XLEN XRANGE XREVRANGE XDEL XTRIM XSETID and
//! XREAD (with BLOCK, waiting like BLPOP: src/blocking.rs). Consumer
//! groups (XGROUP, XREADGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM) and
//! XINFO are in xgroup.rs.
//!
//! WAL: every write logs a deterministic form before its stripe lock is
//! released: XADD as `XADD key [MAXLEN = n] <the ID it got> field value
//! ...` (an auto ID is replaced by the one generated; a trim by the exact
//! length it left, so `~` and LIMIT replay alike), XTRIM as `XTRIM key
//! MAXLEN = n`, XDEL and XSETID as sent. Nothing is logged when nothing
//! changed.
//!
//! Keyspace notifications as t_stream.c: `xadd` (then `xtrim` when its
//! trim removed entries), `xtrim`, `xdel`, `xsetid`, class `t`.

use super::args::is;
use super::*;
use crate::blocking;
use crate::pubsub::NOTIFY_STREAM;
use crate::resp::Reply;
use crate::server::Ctx;
use crate::store::stream::{string2ull, wall_ms, Group, NodeLimits, StreamId, StreamValue, Trim};
use crate::store::value::parse_i64;
use crate::store::{now_ms, Entry, Stripe, Value};

const STREAM: &[&str] = &["stream"];

/// XREAD: the keys follow the STREAMS keyword (docs.rs's key spec).
pub const XREAD_KEYS: Keys = NO_KEYS;

pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("xadd", -5, WRITE | DENYOOM | FAST, KEY1, xadd)
        .doc("stream", "5.0.0", "Appends a new entry to a stream")
        .acl(STREAM)
        .syntax("key [NOMKSTREAM] [<MAXLEN | MINID> [= | ~] threshold [LIMIT count]] <* | id> field value [field value ...]")
        .complexity("O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted."),
    CommandSpec::new("xlen", 2, READONLY | FAST, KEY1, xlen)
        .doc("stream", "5.0.0", "Return the number of entries in a stream")
        .acl(STREAM)
        .syntax("key")
        .complexity("O(1)"),
    CommandSpec::new("xrange", -4, READONLY, KEY1, xrange)
        .doc("stream", "5.0.0", "Return a range of elements in a stream, with IDs matching the specified IDs interval")
        .acl(STREAM)
        .syntax("key start end [COUNT count]")
        .complexity("O(N) with N being the number of elements being returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1)."),
    CommandSpec::new("xrevrange", -4, READONLY, KEY1, xrevrange)
        .doc("stream", "5.0.0", "Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse order (from greater to smaller IDs) compared to XRANGE")
        .acl(STREAM)
        .syntax("key end start [COUNT count]")
        .complexity("O(N) with N being the number of elements returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1)."),
    CommandSpec::new("xdel", -3, WRITE | FAST, KEY1, xdel)
        .doc("stream", "5.0.0", "Removes the specified entries from the stream. Returns the number of items actually deleted, that may be different from the number of IDs passed in case certain IDs do not exist.")
        .acl(STREAM)
        .syntax("key id [id ...]")
        .complexity("O(1) for each single item to delete in the stream, regardless of the stream size."),
    CommandSpec::new("xtrim", -4, WRITE, KEY1, xtrim)
        .doc("stream", "5.0.0", "Trims the stream to (approximately if '~' is passed) a certain size")
        .acl(STREAM)
        .syntax("key <MAXLEN | MINID> [= | ~] threshold [LIMIT count]")
        .complexity("O(N), with N being the number of evicted entries. Constant times are very small however, since entries are organized in macro nodes containing multiple entries that can be released with a single deallocation."),
    CommandSpec::new("xsetid", -3, WRITE | DENYOOM | FAST, KEY1, xsetid)
        .doc("stream", "5.0.0", "An internal command for replicating stream values")
        .acl(STREAM)
        .syntax("key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]")
        .complexity("O(1)"),
    CommandSpec::new("xread", -4, READONLY | BLOCKING | MOVABLEKEYS, XREAD_KEYS, xread)
        .doc("stream", "5.0.0", "Return never seen elements in multiple streams, with IDs greater than the ones reported by the caller for each stream. Can block.")
        .acl(STREAM)
        .syntax("[COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]")
        .complexity("For each stream mentioned: O(N) with N being the number of elements being returned, it means that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD will pay O(M) time in order to serve the M clients blocked on the stream getting new data."),
];

// ---------------------------------------------------------------- helpers

pub(super) fn invalid_id() -> Reply {
    Reply::err("ERR Invalid stream ID specified as stream command argument")
}

/// Redis's streamGenericParseIDOrReply: `-`, `+` (unless `strict`),
/// `ms`, `ms-seq`, and with `seq_star` `ms-*` (Ok((id, false))).
/// Returns the ID and whether the sequence was given.
pub(super) fn parse_id(
    a: &[u8],
    missing_seq: u64,
    strict: bool,
    seq_star: bool,
) -> Result<(StreamId, bool), Reply> {
    if a.len() > 127 {
        return Err(invalid_id());
    }
    if a == b"-" || a == b"+" {
        if strict {
            return Err(invalid_id());
        }
        return Ok((
            if a == b"-" {
                StreamId::MIN
            } else {
                StreamId::MAX
            },
            true,
        ));
    }
    let (ms, seq) = match a.iter().position(|&b| b == b'-') {
        Some(i) => (&a[..i], Some(&a[i + 1..])),
        None => (a, None),
    };
    // C strings end at the first NUL.
    let cstr = |s: &[u8]| -> Vec<u8> { s.split(|&b| b == 0).next().unwrap_or(&[]).to_vec() };
    let ms = string2ull(&cstr(ms)).ok_or_else(invalid_id)?;
    match seq {
        Some(s) if seq_star && s == b"*" => Ok((StreamId::new(ms, 0), false)),
        Some(s) => Ok((
            StreamId::new(ms, string2ull(&cstr(s)).ok_or_else(invalid_id)?),
            true,
        )),
        None => Ok((StreamId::new(ms, missing_seq), true)),
    }
}

pub(super) fn strict_id(a: &[u8]) -> Result<StreamId, Reply> {
    parse_id(a, 0, true, false).map(|x| x.0)
}

/// An XRANGE bound: `(id` exclusive, else any ID form.
pub(super) fn interval_id(a: &[u8], missing_seq: u64) -> Result<(StreamId, bool), Reply> {
    if a.len() > 1 && a[0] == b'(' {
        Ok((parse_id(&a[1..], missing_seq, true, false)?.0, true))
    } else {
        Ok((parse_id(a, missing_seq, false, false)?.0, false))
    }
}

pub(super) fn id_reply(id: StreamId) -> Reply {
    Reply::Bulk(id.to_bytes())
}

/// One entry as Redis replies it: [id, [field, value, ...]].
pub(super) fn entry_reply(id: StreamId, fields: &[Vec<u8>]) -> Reply {
    Reply::Array(vec![
        id_reply(id),
        Reply::Array(fields.iter().map(|f| Reply::bulk(f)).collect()),
    ])
}

/// The entries in [start, end], ascending or (`rev`) descending, at most
/// `count` (0 = all).
fn range_reply(s: &StreamValue, start: StreamId, end: StreamId, count: u64, rev: bool) -> Reply {
    if start > end {
        return Reply::Array(Vec::new());
    }
    let it = s.entries.range(start..=end);
    let take = if count == 0 {
        usize::MAX
    } else {
        count as usize
    };
    let v: Vec<Reply> = if rev {
        it.rev()
            .take(take)
            .map(|(id, f)| entry_reply(*id, f))
            .collect()
    } else {
        it.take(take).map(|(id, f)| entry_reply(*id, f)).collect()
    };
    Reply::Array(v)
}

pub(super) fn stream_of(e: &Entry) -> Result<&StreamValue, Reply> {
    match &e.value {
        Value::Stream(s) => Ok(s),
        _ => Err(err::wrong_type()),
    }
}

/// Runs `f` on the stream at `key` in place: Ok(None) if absent,
/// WRONGTYPE for another type. Fixes the stripe's memory accounting.
pub(super) fn modify<R>(
    s: &mut Stripe,
    h: u64,
    key: &[u8],
    now: u64,
    f: impl FnOnce(&mut StreamValue) -> R,
) -> Result<Option<R>, Reply> {
    s.modify(h, key, now, |v| match v {
        Value::Stream(x) => Ok(f(x)),
        _ => Err(err::wrong_type()),
    })
    .transpose()
}

/// Runs `f` on the stream at `key` for a read (lookupKeyRead).
fn read_stream(
    ctx: &mut Ctx,
    key: &[u8],
    missing: Reply,
    f: impl FnOnce(&StreamValue) -> Reply,
) -> Reply {
    let (s, h) = ctx.db().read(key);
    let (found, r) = match s.get(h, key, now_ms()) {
        None => (false, missing),
        Some(e) => (
            true,
            match stream_of(e) {
                Ok(x) => f(x),
                Err(r) => r,
            },
        ),
    };
    drop(s);
    ctx.lookup(key, found);
    r
}

/// XADD / XTRIM options (Redis's streamAddTrimArgs).
struct AddTrim {
    trim: Option<Trim>,
    approx: bool,
    limit: u64,
    no_mkstream: bool,
    /// XADD: the ID given (None = `*`) and whether its sequence was.
    id: Option<(StreamId, bool)>,
    /// Index of the ID argument (XADD) or of the first unparsed one.
    at: usize,
}

/// `stream-node-max-entries` / `stream-node-max-bytes`, read when used
/// (CONFIG SET takes effect on the next append, as in Redis).
fn node_limits(ctx: &Ctx) -> NodeLimits {
    use std::sync::atomic::Ordering::Relaxed;
    let hot = &ctx.srv.hot;
    NodeLimits {
        max_entries: hot.stream_node_max_entries.load(Relaxed) as u64,
        max_bytes: hot.stream_node_max_bytes.load(Relaxed),
    }
}

/// Redis's streamParseAddOrTrimArgsOrReply; `lim` gives the default
/// LIMIT of a `~` trim.
fn parse_add_trim(args: &[Vec<u8>], xadd: bool, lim: NodeLimits) -> Result<AddTrim, Reply> {
    let mut a = AddTrim {
        trim: None,
        approx: false,
        limit: 0,
        no_mkstream: false,
        id: None,
        at: 2,
    };
    let mut limit_given = false;
    let mut i = 2;
    let both = "ERR syntax error, MAXLEN and MINID options at the same time are not compatible";
    while i < args.len() {
        let more = args.len() - 1 - i;
        let opt = &args[i];
        if xadd && opt == b"*" {
            break;
        } else if (is(opt, "maxlen") || is(opt, "minid")) && more > 0 {
            if a.trim.is_some() {
                return Err(Reply::err(both));
            }
            a.approx = false;
            let next = &args[i + 1];
            if more >= 2 && next == b"~" {
                a.approx = true;
                i += 1;
            } else if more >= 2 && next == b"=" {
                i += 1;
            }
            if is(opt, "maxlen") {
                let n = parse_i64(&args[i + 1]).ok_or_else(err::not_int)?;
                if n < 0 {
                    return Err(Reply::err("ERR The MAXLEN argument must be >= 0."));
                }
                a.trim = Some(Trim::MaxLen(n as u64));
            } else {
                a.trim = Some(Trim::MinId(strict_id(&args[i + 1])?));
            }
            i += 1;
        } else if is(opt, "limit") && more > 0 {
            let n = parse_i64(&args[i + 1]).ok_or_else(err::not_int)?;
            if n < 0 {
                return Err(Reply::err("ERR The LIMIT argument must be >= 0."));
            }
            a.limit = n as u64;
            limit_given = true;
            i += 1;
        } else if xadd && is(opt, "nomkstream") {
            a.no_mkstream = true;
        } else if xadd {
            a.id = Some(parse_id(opt, 0, true, true)?);
            break;
        } else {
            return Err(err::syntax());
        }
        i += 1;
    }
    a.at = i;
    if limit_given && a.limit != 0 && a.trim.is_none() {
        return Err(Reply::err(
            "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy",
        ));
    }
    if !xadd && a.trim.is_none() {
        return Err(Reply::err(
            "ERR syntax error, XTRIM must be called with a trimming strategy",
        ));
    }
    if limit_given {
        if !a.approx {
            return Err(Reply::err(
                "ERR syntax error, LIMIT cannot be used without the special ~ option",
            ));
        }
    } else if a.approx {
        // 100 * stream-node-max-entries, bounded as Redis bounds it.
        a.limit = lim.default_trim_limit();
    }
    Ok(a)
}

// ---------------------------------------------------------------- writes

/// XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]]
/// <*|id> field value [field value ...]
fn xadd(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let lim = node_limits(ctx);
    let a = match parse_add_trim(args, true, lim) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let fpos = a.at + 1;
    if args.len() < fpos + 2 || (args.len() - fpos) % 2 == 1 {
        return err::arity("xadd");
    }
    if let Some((id, true)) = a.id {
        if id.is_zero() {
            return Reply::err("ERR The ID specified in XADD must be greater than 0-0");
        }
    }
    let db = ctx.client.db;
    let key = &args[1];
    let (mut s, h) = ctx.db().write(key);
    let now = now_ms();
    match s.get_mut(h, key, now) {
        None if a.no_mkstream => return Reply::Null,
        None => {
            s.insert(h, key, Entry::new(Value::Stream(Box::default()), 0));
        }
        Some(e) => {
            if let Err(r) = stream_of(e) {
                return r;
            }
        }
    }
    let fields: Vec<Vec<u8>> = args[fpos..].to_vec();
    let clock = crate::store::now_ms();
    let r = modify(&mut s, h, key, now, |x| {
        if x.last_id == StreamId::MAX {
            return Err(Reply::err(
                "ERR The stream has exhausted the last possible ID, unable to add more items",
            ));
        }
        let id = match a.id {
            Some((id, true)) => id,
            Some((id, false)) => {
                if x.last_id.ms == id.ms {
                    match x.last_id.seq.checked_add(1) {
                        Some(seq) => StreamId::new(id.ms, seq),
                        // Redis fails with errno ERANGE here, not EDOM.
                        None => return Err(Reply::err("ERR Elements are too large to be stored")),
                    }
                } else {
                    id
                }
            }
            None => {
                if clock > x.last_id.ms {
                    StreamId::new(clock, 0)
                } else {
                    x.last_id.incr().unwrap_or(StreamId::MAX)
                }
            }
        };
        if id <= x.last_id {
            return Err(too_small());
        }
        x.append(id, fields, lim);
        let trimmed = match a.trim {
            Some(t) => x.trim(t, a.approx, a.limit),
            None => 0,
        };
        Ok((id, trimmed, x.len()))
    });
    let (id, trimmed, len) = match r {
        Ok(Some(Ok(x))) => x,
        Ok(Some(Err(r))) | Err(r) => {
            // A stream this XADD created stays only if it got the entry.
            if matches!(s.get(h, key, now).map(|e| &e.value), Some(Value::Stream(x)) if x.is_empty() && x.last_id.is_zero())
            {
                s.remove(h, key);
            }
            return r;
        }
        Ok(None) => return Reply::Null,
    };
    let idb = id.to_bytes();
    let mut argv: Vec<&[u8]> = vec![b"XADD", key];
    let lenb = len.to_string();
    if a.trim.is_some() {
        argv.extend([&b"MAXLEN"[..], b"=", lenb.as_bytes()]);
    }
    argv.push(&idb);
    argv.extend(args[fpos..].iter().map(|f| f.as_slice()));
    crate::persist::log(db, &argv);
    ctx.notify(NOTIFY_STREAM, "xadd", key);
    if trimmed > 0 {
        ctx.notify(NOTIFY_STREAM, "xtrim", key);
    }
    drop(s);
    id_reply(id)
}

pub(super) fn too_small() -> Reply {
    Reply::err("ERR The ID specified in XADD is equal or smaller than the target stream top item")
}

/// XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]
fn xtrim(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let a = match parse_add_trim(args, false, node_limits(ctx)) {
        Ok(a) => a,
        Err(r) => return r,
    };
    if a.at < args.len() {
        return err::syntax();
    }
    let Some(trim) = a.trim else {
        return err::syntax();
    };
    let db = ctx.client.db;
    let key = &args[1];
    let (mut s, h) = ctx.db().write(key);
    let now = now_ms();
    match modify(&mut s, h, key, now, |x| {
        (x.trim(trim, a.approx, a.limit), x.len())
    }) {
        Err(r) => r,
        Ok(None) => Reply::Int(0),
        Ok(Some((0, _))) => Reply::Int(0),
        Ok(Some((n, len))) => {
            crate::persist::log(
                db,
                &[
                    &b"XTRIM"[..],
                    key,
                    b"MAXLEN",
                    b"=",
                    len.to_string().as_bytes(),
                ],
            );
            ctx.notify(NOTIFY_STREAM, "xtrim", key);
            drop(s);
            Reply::Int(n as i64)
        }
    }
}

/// XDEL key id [id ...]
fn xdel(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let db = ctx.client.db;
    let key = &args[1];
    let (mut s, h) = ctx.db().write(key);
    let now = now_ms();
    match s.get_mut(h, key, now) {
        None => return Reply::Int(0),
        Some(e) => {
            if let Err(r) = stream_of(e) {
                return r;
            }
        }
    }
    let mut ids = Vec::with_capacity(args.len() - 2);
    for a in &args[2..] {
        match strict_id(a) {
            Ok(id) => ids.push(id),
            Err(r) => return r,
        }
    }
    let n = modify(&mut s, h, key, now, |x| {
        let mut n = 0;
        for id in ids {
            if x.delete(id) {
                if id > x.max_deleted {
                    x.max_deleted = id;
                }
                n += 1;
            }
        }
        n
    });
    match n {
        Ok(Some(n)) if n > 0 => {
            crate::persist::log(db, args);
            ctx.notify(NOTIFY_STREAM, "xdel", key);
            drop(s);
            Reply::Int(n)
        }
        Err(r) => r,
        _ => Reply::Int(0),
    }
}

/// XSETID key last-id [ENTRIESADDED n] [MAXDELETEDID id]
fn xsetid(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let id = match strict_id(&args[2]) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let mut added: Option<u64> = None;
    let mut maxdel = StreamId::MIN;
    let mut i = 3;
    while i < args.len() {
        let more = args.len() - 1 - i;
        if is(&args[i], "entriesadded") && more > 0 {
            match parse_i64(&args[i + 1]) {
                None => return err::not_int(),
                Some(n) if n < 0 => return Reply::err("ERR entries_added must be positive"),
                Some(n) => added = Some(n as u64),
            }
        } else if is(&args[i], "maxdeletedid") && more > 0 {
            match strict_id(&args[i + 1]) {
                Err(r) => return r,
                Ok(m) if id < m => {
                    return Reply::err(
                        "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
                    )
                }
                Ok(m) => maxdel = m,
            }
        } else {
            return err::syntax();
        }
        i += 2;
    }
    let db = ctx.client.db;
    let key = &args[1];
    let (mut s, h) = ctx.db().write(key);
    let now = now_ms();
    let r = modify(&mut s, h, key, now, |x| {
        if !x.is_empty() {
            if id < x.last_valid_id() {
                return Err(Reply::err(
                    "ERR The ID specified in XSETID is smaller than the target stream top item",
                ));
            }
            if added.is_some_and(|n| (x.len() as u64) > n) {
                return Err(Reply::err(
                    "ERR The entries_added specified in XSETID is smaller than the target stream length",
                ));
            }
        }
        x.last_id = id;
        if let Some(n) = added {
            x.entries_added = n;
        }
        if !maxdel.is_zero() {
            x.max_deleted = maxdel;
        }
        Ok(())
    });
    match r {
        Err(r) | Ok(Some(Err(r))) => r,
        Ok(None) => err::no_such_key(),
        Ok(Some(Ok(()))) => {
            crate::persist::log(db, args);
            ctx.notify(NOTIFY_STREAM, "xsetid", key);
            drop(s);
            Reply::ok()
        }
    }
}

// ---------------------------------------------------------------- reads

fn xlen(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    read_stream(ctx, &args[1], Reply::Int(0), |x| Reply::Int(x.len() as i64))
}

fn xrange(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    range_generic(ctx, args, false)
}

fn xrevrange(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    range_generic(ctx, args, true)
}

/// XRANGE key start end [COUNT n] / XREVRANGE key end start [COUNT n].
fn range_generic(ctx: &mut Ctx, args: &[Vec<u8>], rev: bool) -> Reply {
    let (sa, ea) = if rev {
        (&args[3], &args[2])
    } else {
        (&args[2], &args[3])
    };
    let (mut start, sx) = match interval_id(sa, 0) {
        Ok(x) => x,
        Err(r) => return r,
    };
    if sx {
        match start.incr() {
            Some(i) => start = i,
            None => return Reply::err("ERR invalid start ID for the interval"),
        }
    }
    let (mut end, ex) = match interval_id(ea, u64::MAX) {
        Ok(x) => x,
        Err(r) => return r,
    };
    if ex {
        match end.decr() {
            Some(i) => end = i,
            None => return Reply::err("ERR invalid end ID for the interval"),
        }
    }
    let mut count: i64 = -1;
    let mut j = 4;
    while j < args.len() {
        if is(&args[j], "count") && j + 1 < args.len() {
            match parse_i64(&args[j + 1]) {
                Some(n) => count = n.max(0),
                None => return err::not_int(),
            }
            j += 2;
        } else {
            return err::syntax();
        }
    }
    read_stream(ctx, &args[1], Reply::Array(Vec::new()), |x| {
        if count == 0 {
            Reply::NullArray
        } else {
            range_reply(x, start, end, count.max(0) as u64, rev)
        }
    })
}

/// XREAD [COUNT count] [BLOCK ms] STREAMS key [key ...] id [id ...]
fn xread(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    read_generic(ctx, args, false)
}

/// XREADGROUP GROUP group consumer [COUNT count] [BLOCK ms] [NOACK]
/// STREAMS key [key ...] id [id ...]
pub(super) fn xreadgroup(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    read_generic(ctx, args, true)
}

/// What one XREADGROUP changed in one group, for the WAL.
struct GroupLog<'a> {
    key: &'a [u8],
    group: &'a [u8],
    consumer: &'a [u8],
    created: bool,
    /// (id, delivery time, delivery count) now owned by the consumer.
    claimed: Vec<(StreamId, u64, u64)>,
    /// The group's last ID and read counter moved.
    moved: Option<(StreamId, i64)>,
}

/// Logs a group change as Redis propagates it: CREATECONSUMER, one
/// `XCLAIM ... FORCE JUSTID` per PEL change, `XGROUP SETID ... ENTRIESREAD`.
fn log_group(b: &mut crate::persist::Batch, db: usize, g: &GroupLog) {
    if g.created {
        b.cmd(
            db,
            &[
                &b"XGROUP"[..],
                b"CREATECONSUMER",
                g.key,
                g.group,
                g.consumer,
            ],
        );
    }
    for (id, t, n) in &g.claimed {
        b.cmd(
            db,
            &[
                &b"XCLAIM"[..],
                g.key,
                g.group,
                g.consumer,
                b"0",
                &id.to_bytes(),
                b"TIME",
                t.to_string().as_bytes(),
                b"RETRYCOUNT",
                n.to_string().as_bytes(),
                b"FORCE",
                b"JUSTID",
            ],
        );
    }
    if let Some((last, read)) = g.moved {
        b.cmd(
            db,
            &[
                &b"XGROUP"[..],
                b"SETID",
                g.key,
                g.group,
                &last.to_bytes(),
                b"ENTRIESREAD",
                read.to_string().as_bytes(),
            ],
        );
    }
}

/// XREAD and XREADGROUP (Redis's xreadCommand).
fn read_generic(ctx: &mut Ctx, args: &[Vec<u8>], xgroup: bool) -> Reply {
    let mut timeout: Option<i64> = None;
    let mut count: u64 = 0;
    let mut streams_at = 0;
    let mut group: Option<(&[u8], &[u8])> = None;
    let mut noack = false;
    let mut i = 1;
    let name = if xgroup { "XREADGROUP" } else { "XREAD" };
    while i < args.len() {
        let more = args.len() - i - 1;
        let o = &args[i];
        if is(o, "block") && more > 0 {
            i += 1;
            match parse_i64(&args[i]) {
                None => return Reply::err("ERR timeout is not an integer or out of range"),
                Some(t) if t < 0 => return Reply::err("ERR timeout is negative"),
                Some(t) => timeout = Some(t),
            }
        } else if is(o, "count") && more > 0 {
            i += 1;
            match parse_i64(&args[i]) {
                None => return err::not_int(),
                Some(n) => count = n.max(0) as u64,
            }
        } else if is(o, "streams") && more > 0 {
            streams_at = i + 1;
            if !(args.len() - streams_at).is_multiple_of(2) {
                let sym = if xgroup { '>' } else { '$' };
                return Reply::error(format!("ERR Unbalanced {name} list of streams: for each stream key an ID or '{sym}' must be specified."));
            }
            break;
        } else if is(o, "group") && more >= 2 {
            if !xgroup {
                return Reply::err(
                    "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
                );
            }
            group = Some((&args[i + 1], &args[i + 2]));
            i += 2;
        } else if is(o, "noack") {
            if !xgroup {
                return Reply::err(
                    "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
                );
            }
            noack = true;
        } else {
            return err::syntax();
        }
        i += 1;
    }
    if streams_at == 0 {
        return err::syntax();
    }
    if xgroup && group.is_none() {
        return Reply::err("ERR Missing GROUP option for XREADGROUP");
    }
    if let Some(r) = blocking::unblocked(ctx) {
        return r;
    }
    let rerun = blocking::rerun(ctx);
    let n = (args.len() - streams_at) / 2;
    let keys = &args[streams_at..streams_at + n];
    let srv = ctx.srv.clone();
    let db = ctx.client.db;
    let now = now_ms();
    let lk: Vec<(usize, &[u8])> = keys.iter().map(|k| (db, k.as_slice())).collect();
    let mut l = srv.store.lock(&lk, xgroup);
    // The IDs (MAX = `>`): on a re-run of XREAD after a wake-up those
    // resolved when the client blocked (`$` means the last ID as of then).
    let ids: Vec<StreamId> = if rerun && !xgroup && ctx.client.xread_ids.len() == n {
        ctx.client.xread_ids.clone()
    } else {
        let mut ids = Vec::with_capacity(n);
        for (k, a) in keys.iter().zip(&args[streams_at + n..]) {
            let (s, h) = l.stripe(&srv.store, db, k);
            let st = match s.peek(h, k, now) {
                None => None,
                Some(e) => match stream_of(e) {
                    Ok(x) => Some(x),
                    Err(_) if rerun && xgroup => None,
                    Err(r) => return r,
                },
            };
            if let (Some((g, _)), true) = (group, rerun) {
                // Redis 7.0 unblocks a waiting XREADGROUP with an error
                // when its stream or its group goes away.
                let r = match st {
                    None => Some(Reply::err("UNBLOCKED the stream key no longer exists")),
                    Some(x) if !x.groups.contains_key(g) => Some(Reply::err(
                        "NOGROUP the consumer group this client was blocked on no longer exists",
                    )),
                    Some(_) => None,
                };
                if let Some(r) = r {
                    drop(l);
                    blocking::served(ctx);
                    return r;
                }
            }
            if let Some((g, _)) = group {
                if !st.is_some_and(|x| x.groups.contains_key(g)) {
                    return Reply::error(format!(
                        "NOGROUP No such key '{}' or consumer group '{}' in XREADGROUP with GROUP option",
                        String::from_utf8_lossy(k),
                        String::from_utf8_lossy(g)
                    ));
                }
            }
            if a == b"$" {
                if xgroup {
                    return Reply::err("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.");
                }
                ids.push(st.map(|x| x.last_id).unwrap_or_default());
                continue;
            }
            if a == b">" {
                if !xgroup {
                    return Reply::err("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.");
                }
                ids.push(StreamId::MAX);
                continue;
            }
            match strict_id(a) {
                Ok(id) => ids.push(id),
                Err(r) => return r,
            }
        }
        ids
    };
    let resp3 = ctx.resp3();
    // Blocked clients are served at most 1000 entries without COUNT
    // (XREAD_BLOCKED_DEFAULT_COUNT).
    let count = if rerun && count == 0 { 1000 } else { count };
    let mut out: Vec<(Reply, Reply)> = Vec::new();
    let mut batch = crate::persist::Batch::new();
    let mut events: Vec<&[u8]> = Vec::new();
    for (k, gt) in keys.iter().zip(&ids) {
        if let Some((gname, cname)) = group {
            let (s, h) = l.stripe_mut(&srv.store, db, k);
            let r = modify(s, h, k, now, |x| {
                read_group(x, k, gname, cname, *gt, count, noack)
            });
            if let Ok(Some(Some((reply, glog)))) = r {
                if glog.created {
                    events.push(k);
                }
                log_group(&mut batch, db, &glog);
                out.push((Reply::bulk(k), reply));
            }
            continue;
        }
        let (s, h) = l.stripe(&srv.store, db, k);
        let x = match s.get(h, k, now) {
            Some(e) => match &e.value {
                Value::Stream(x) => x,
                _ => continue,
            },
            None => continue,
        };
        if x.is_empty() || x.last_valid_id() <= *gt {
            continue;
        }
        let Some(start) = gt.incr() else { continue };
        out.push((
            Reply::bulk(k),
            range_reply(x, start, StreamId::MAX, count, false),
        ));
    }
    if !out.is_empty() {
        batch.commit();
        for k in events {
            crate::pubsub::notify(NOTIFY_STREAM, "xgroup-createconsumer", k, db);
        }
        drop(l);
        if rerun {
            blocking::served(ctx);
            if !xgroup {
                // XREAD is no write: pass the wake-up on to the next reader.
                for k in keys {
                    srv.blocking.signal(db, k);
                }
            }
        }
        return if resp3 {
            Reply::Map(out)
        } else {
            Reply::Array(
                out.into_iter()
                    .map(|(k, v)| Reply::Array(vec![k, v]))
                    .collect(),
            )
        };
    }
    let Some(t) = timeout else {
        return Reply::NullArray;
    };
    let t = (t > 0).then(|| std::time::Duration::from_millis(t as u64));
    ctx.client.xread_ids = ids;
    let names: Vec<&[u8]> = keys.iter().map(|k| k.as_slice()).collect();
    let r = blocking::block(ctx, &names, t, Reply::NullArray);
    drop(l);
    r
}

/// One stream of an XREADGROUP: None when there is nothing to serve
/// (`>` with no new entries, or the group is gone); else the entries'
/// reply and what changed.
fn read_group<'a>(
    x: &mut StreamValue,
    key: &'a [u8],
    gname: &'a [u8],
    cname: &'a [u8],
    gt: StreamId,
    count: u64,
    noack: bool,
) -> Option<(Reply, GroupLog<'a>)> {
    let mut g = x.groups.remove(gname)?;
    let r = read_group_in(x, &mut g, key, gname, cname, gt, count, noack);
    x.groups.insert(gname.to_vec(), g);
    r
}

#[allow(clippy::too_many_arguments)]
fn read_group_in<'a>(
    x: &StreamValue,
    g: &mut Group,
    key: &'a [u8],
    gname: &'a [u8],
    cname: &'a [u8],
    gt: StreamId,
    count: u64,
    noack: bool,
) -> Option<(Reply, GroupLog<'a>)> {
    let history = gt != StreamId::MAX;
    if !history && (x.is_empty() || x.last_valid_id() <= g.last_id) {
        return None;
    }
    let now = wall_ms();
    let created = g.create_consumer(cname, now);
    if let Some(c) = g.consumers.get_mut(cname) {
        c.seen_time = now;
    }
    let mut glog = GroupLog {
        key,
        group: gname,
        consumer: cname,
        created,
        claimed: Vec::new(),
        moved: None,
    };
    let take = if count == 0 {
        usize::MAX
    } else {
        count as usize
    };
    let mut out = Vec::new();
    if history {
        let start = match gt.incr() {
            Some(s) => s,
            None => return Some((Reply::Array(out), glog)),
        };
        let ids: Vec<StreamId> = g
            .consumers
            .get(cname)
            .map(|c| c.pel.range(start..).take(take).copied().collect())
            .unwrap_or_default();
        for id in ids {
            match x.entries.get(&id) {
                None => out.push(Reply::Array(vec![id_reply(id), Reply::NullArray])),
                Some(f) => {
                    out.push(entry_reply(id, f));
                    if let Some(n) = g.pel.get_mut(&id) {
                        n.delivery_time = now;
                        n.delivery_count += 1;
                        glog.claimed.push((id, now, n.delivery_count));
                    }
                }
            }
        }
        return Some((Reply::Array(out), glog));
    }
    let before = (g.last_id, g.entries_read);
    let start = g.last_id.incr().unwrap_or(StreamId::MAX);
    for (id, f) in x.entries.range(start..).take(take) {
        x.advance_group(g, *id);
        out.push(entry_reply(*id, f));
        if !noack {
            g.assign(*id, cname, now, 1);
            glog.claimed.push((*id, now, 1));
        }
    }
    if (g.last_id, g.entries_read) != before {
        glog.moved = Some((g.last_id, g.entries_read));
    }
    Some((Reply::Array(out), glog))
}

#[cfg(test)]
mod tests {
    use super::super::testutil::logged;
    use super::*;

    #[test]
    fn ids_parse_like_redis() {
        assert_eq!(
            parse_id(b"5", 7, true, false).unwrap().0,
            StreamId::new(5, 7)
        );
        assert_eq!(
            parse_id(b"5-3", 7, true, false).unwrap().0,
            StreamId::new(5, 3)
        );
        assert_eq!(
            parse_id(b"5-*", 0, true, true).unwrap(),
            (StreamId::new(5, 0), false)
        );
        assert!(parse_id(b"5-*", 0, true, false).is_err());
        assert!(parse_id(b"-", 0, true, false).is_err());
        assert_eq!(parse_id(b"+", 0, false, false).unwrap().0, StreamId::MAX);
        assert!(parse_id(b"-1", 0, false, false).is_err());
        assert!(parse_id(b"1-", 0, false, false).is_err());
    }

    #[test]
    fn writes_log_deterministic_forms() {
        let recs = logged(&[
            &["XADD", "s", "1-1", "a", "1"],
            &["XADD", "s", "1-*", "b", "2"],
            &["XADD", "s", "MAXLEN", "~", "1", "5-*", "c", "3"],
            &["XTRIM", "s", "MINID", "=", "2"],
            &["XADD", "s", "MAXLEN", "2", "*", "d", "4"],
            &["XDEL", "s", "5-0", "9-9"],
            &["XDEL", "s", "5-0"],
            &["XSETID", "s", "9999999999999-0", "ENTRIESADDED", "10"],
            &["XTRIM", "s", "MAXLEN", "0"],
            &["RENAME", "s", "t"],
        ]);
        assert_eq!(recs[0], "XADD s 1-1 a 1");
        assert_eq!(recs[1], "XADD s 1-2 b 2");
        assert_eq!(recs[2], "XADD s MAXLEN = 3 5-0 c 3");
        assert_eq!(recs[3], "XTRIM s MAXLEN = 1");
        assert!(recs[4].starts_with("XADD s MAXLEN = 2 "), "{}", recs[4]);
        assert_eq!(recs[5], "XDEL s 5-0 9-9");
        assert_eq!(recs[6], "XSETID s 9999999999999-0 ENTRIESADDED 10");
        assert_eq!(recs[7], "XTRIM s MAXLEN = 0");
        // A stream rebuilt whole is logged as RESTORE of its DUMP payload
        // (tests/streams.rs replays it and compares groups and PELs).
        assert!(
            recs[8].starts_with("BATCH[DEL s; DEL t; RESTORE t 0 "),
            "{}",
            recs[8]
        );
        assert_eq!(recs.len(), 9);
    }
}
