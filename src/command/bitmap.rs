//! Bitmap commands, with Redis 7.0's semantics, error texts and reply shapes
//! (bitops.c): SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO.
//!
//! Bitmaps are string values. Writes (SETBIT, BITFIELD SET/INCRBY) modify
//! the value in place through `CompactBytes::make_growable` — the value
//! becomes `raw`, keeps its TTL, and the stripe's memory accounting is
//! adjusted by the entry's size before and after. New values (and BITOP's
//! result) are created growable too, as Redis creates them `raw`.
//!
//! Bit offsets are limited like Redis's `getBitOffsetFromArgument`: not
//! negative and `offset / 8 < proto-max-bulk-len` (with the default 512 MB
//! that is offsets below 2^32), so one command cannot make the server
//! allocate more than a bulk string could hold.
//!
//! Reads use `Stripe::get` and count keyspace hits/misses like Redis's
//! `lookupKeyRead`; writes use `get_mut` (an expired key is deleted first).
//!
//! WAL (persist/mod.rs), logged under the stripe lock when something
//! changed: SETBIT itself; BITFIELD itself without its GETs (OVERFLOW
//! modes kept); BITOP its result, `SET dest <bytes>` or `DEL dest` — not
//! BITOP itself, whose sources are read without deleting expired ones and
//! would be alive on replay (the clock is stopped there).
//!
//! Keyspace notifications as bitops.c: `setbit` (SETBIT when it changed or
//! grew the string; BITFIELD when a SET/INCRBY was applied, even to the
//! same value), BITOP `set` on the destination (`del` for an empty result
//! over an existing key); `keymiss` on reads of a missing key.

use super::*;
use crate::persist::log;
use crate::pubsub::{NOTIFY_GENERIC, NOTIFY_STRING};
use crate::resp::Reply;
use crate::server::Ctx;
use crate::store::value::parse_i64;
use crate::store::{now_ms, CompactBytes, Entry, Stripe, Value};
use std::sync::atomic::Ordering::Relaxed;

const BITMAP: &[&str] = &["bitmap"];

/// BITOP: the destination at 2, then the sources to the end.
const BITOP_KEYS: Keys = Keys {
    first: 2,
    last: -1,
    step: 1,
};

pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("setbit", 4, WRITE | DENYOOM, KEY1, setbit)
        .doc("bitmap", "2.2.0", "Sets or clears the bit at offset in the string value stored at key")
        .acl(BITMAP)
        .syntax("key offset value")
        .complexity("O(1)"),
    CommandSpec::new("getbit", 3, READONLY | FAST, KEY1, getbit)
        .doc("bitmap", "2.2.0", "Returns the bit value at offset in the string value stored at key")
        .acl(BITMAP)
        .syntax("key offset")
        .complexity("O(1)"),
    CommandSpec::new("bitcount", -2, READONLY, KEY1, bitcount)
        .doc("bitmap", "2.6.0", "Count set bits in a string")
        .acl(BITMAP)
        .syntax("key [start end [BYTE | BIT]]")
        .complexity("O(N)"),
    CommandSpec::new("bitpos", -3, READONLY, KEY1, bitpos)
        .doc("bitmap", "2.8.7", "Find first bit set or clear in a string")
        .acl(BITMAP)
        .syntax("key bit [start [end [BYTE | BIT]]]")
        .complexity("O(N)"),
    CommandSpec::new("bitop", -4, WRITE | DENYOOM, BITOP_KEYS, bitop)
        .doc("bitmap", "2.6.0", "Perform bitwise operations between strings")
        .acl(BITMAP)
        .syntax("operation destkey key [key ...]")
        .complexity("O(N)"),
    CommandSpec::new("bitfield", -2, WRITE | DENYOOM, KEY1, bitfield)
        .doc("bitmap", "3.2.0", "Perform arbitrary bitfield integer operations on strings")
        .acl(BITMAP)
        .syntax("key [<GET encoding offset | [OVERFLOW <WRAP | SAT | FAIL>] <SET encoding offset value | INCRBY encoding offset increment>> ...]")
        .complexity("O(1) for each subcommand specified"),
    CommandSpec::new("bitfield_ro", -2, READONLY | FAST, KEY1, bitfield_ro)
        .doc("bitmap", "6.0.0", "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD")
        .acl(BITMAP)
        .syntax("key [GET encoding offset [GET encoding offset ...]]")
        .complexity("O(1) for each subcommand specified"),
];

// ---------------------------------------------------------------- helpers

const OFFSET_ERR: &str = "ERR bit offset is not an integer or out of range";
const TYPE_ERR: &str =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";

/// Redis compares option names as C strings: a NUL byte ends them.
fn cstr(a: &[u8]) -> &[u8] {
    match a.iter().position(|&b| b == 0) {
        Some(i) => &a[..i],
        None => a,
    }
}

fn is(a: &[u8], kw: &str) -> bool {
    cstr(a).eq_ignore_ascii_case(kw.as_bytes())
}

/// The string held by an entry, or WRONGTYPE for any other type.
#[allow(unreachable_patterns)]
fn str_of(e: &Entry) -> Result<&CompactBytes, Reply> {
    match &e.value {
        Value::Str(s) => Ok(s),
        _ => Err(err::wrong_type()),
    }
}

/// A new string value in the growable (`raw`) representation.
fn growable(v: Vec<u8>) -> CompactBytes {
    let mut c = CompactBytes::from_vec(v);
    c.make_growable();
    c
}

/// Redis's `getBitOffsetFromArgument`: a non-negative integer whose byte
/// index is below proto-max-bulk-len; with `hash_bits` > 0 the `#N` form
/// means N * bits (BITFIELD).
fn offset_arg(ctx: &Ctx, a: &[u8], hash_bits: u32) -> Result<u64, Reply> {
    let hash = hash_bits > 0 && a.first() == Some(&b'#');
    let digits = if hash { &a[1..] } else { a };
    let mut off = parse_i64(digits).ok_or(Reply::err(OFFSET_ERR))?;
    if hash {
        // C arithmetic on long long: wraps (and is then refused if negative).
        off = off.wrapping_mul(hash_bits as i64);
    }
    let limit = ctx.srv.hot.proto_max_bulk_len.load(Relaxed);
    if off < 0 || (off as u64 >> 3) >= limit {
        return Err(Reply::err(OFFSET_ERR));
    }
    Ok(off as u64)
}

/// Runs `f` on the string at `key` grown (with zero bytes) to hold bit
/// `maxbit`, creating it if absent (Redis's `lookupStringForBitCommand`).
/// The TTL is kept; memory accounting is adjusted. Returns `f`'s result
/// and whether the string was created or grown.
fn with_bits_mut<R>(
    s: &mut Stripe,
    h: u64,
    key: &[u8],
    maxbit: u64,
    f: impl FnOnce(&mut Vec<u8>) -> R,
) -> Result<(R, bool), Reply> {
    let need = (maxbit >> 3) as usize + 1;
    let mut f = Some(f);
    let mut run = |buf: &mut Vec<u8>| (f.take().expect("runs once"))(buf);
    let done = match s.get_mut(h, key, now_ms()) {
        Some(e) => {
            str_of(e)?;
            let before = e.heap_size();
            let Value::Str(v) = &mut e.value else {
                unreachable!("str_of checked the type");
            };
            let buf = v.make_growable();
            let grown = buf.len() < need;
            if grown {
                buf.resize(need, 0);
            }
            let r = run(buf);
            Some((r, grown, before, e.heap_size()))
        }
        None => None,
    };
    match done {
        Some((r, grown, before, after)) => {
            s.adjust_mem(before, after);
            Ok((r, grown))
        }
        None => {
            let mut v = vec![0u8; need];
            let r = run(&mut v);
            s.insert(h, key, Entry::new(Value::Str(growable(v)), 0));
            Ok((r, true))
        }
    }
}

fn get_bit(p: &[u8], off: u64) -> u8 {
    match p.get((off >> 3) as usize) {
        Some(b) => (b >> (7 - (off & 7))) & 1,
        None => 0,
    }
}

fn set_bit(p: &mut [u8], off: u64, on: bool) {
    let byte = &mut p[(off >> 3) as usize];
    let mask = 1u8 << (7 - (off & 7));
    if on {
        *byte |= mask;
    } else {
        *byte &= !mask;
    }
}

fn popcount(p: &[u8]) -> u64 {
    let mut chunks = p.chunks_exact(8);
    let mut n: u64 = 0;
    for c in &mut chunks {
        let w = u64::from_ne_bytes(c.try_into().expect("8-byte chunk"));
        n += w.count_ones() as u64;
    }
    n + chunks
        .remainder()
        .iter()
        .map(|b| b.count_ones() as u64)
        .sum::<u64>()
}

/// The first bit equal to `bit` in bits `from..=to` of `p`, if any.
fn find_bit(p: &[u8], from: u64, to: u64, bit: u8) -> Option<u64> {
    let skip = if bit == 1 { 0u8 } else { 0xff };
    let mut i = from;
    while i <= to {
        if i & 63 == 0 && i + 63 <= to {
            // Eight whole bytes that cannot hold the bit are skipped at once.
            let at = (i >> 3) as usize;
            if p[at..at + 8].iter().all(|&b| b == skip) {
                i += 64;
                continue;
            }
        }
        if i & 7 == 0 && i + 7 <= to {
            // A whole byte: skip it if it cannot hold the bit.
            let byte = p[(i >> 3) as usize];
            if byte == skip {
                i += 8;
                continue;
            }
            let lead = if bit == 1 {
                byte.leading_zeros()
            } else {
                byte.leading_ones()
            };
            return Some(i + lead as u64);
        }
        if get_bit(p, i) == bit {
            return Some(i);
        }
        i += 1;
    }
    None
}

// ---------------------------------------------------------------- SETBIT / GETBIT

fn setbit(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let off = match offset_arg(ctx, &args[2], 0) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let on = match parse_i64(&args[3]) {
        Some(v) if v & !1 == 0 => v == 1,
        _ => return Reply::err("ERR bit is not an integer or out of range"),
    };
    let key = &args[1];
    let db = ctx.client.db;
    let (mut s, h) = ctx.db().write(key);
    match with_bits_mut(&mut s, h, key, off, |buf| {
        let old = get_bit(buf, off);
        set_bit(buf, off, on);
        old
    }) {
        Ok((old, grown)) => {
            // Deterministic: logged as itself, unless nothing changed.
            if grown || (old == 1) != on {
                log(db, args);
                ctx.notify(NOTIFY_STRING, "setbit", key);
            }
            Reply::Int(old as i64)
        }
        Err(r) => r,
    }
}

fn getbit(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let off = match offset_arg(ctx, &args[2], 0) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let (s, h) = ctx.db().read(&args[1]);
    let (found, r) = match s.get(h, &args[1], now_ms()) {
        None => (false, Reply::Int(0)),
        Some(e) => (
            true,
            match str_of(e) {
                Ok(v) => Reply::Int(get_bit(v, off) as i64),
                Err(r) => r,
            },
        ),
    };
    drop(s);
    ctx.lookup(&args[1], found);
    r
}

// ---------------------------------------------------------------- BITCOUNT / BITPOS

/// The BYTE | BIT unit argument: true for BIT.
fn unit_arg(a: &[u8]) -> Result<bool, Reply> {
    if is(a, "bit") {
        Ok(true)
    } else if is(a, "byte") {
        Ok(false)
    } else {
        Err(err::syntax())
    }
}

fn int_arg(a: &[u8]) -> Result<i64, Reply> {
    parse_i64(a).ok_or_else(err::not_int)
}

/// Redis's index normalisation for BITCOUNT/BITPOS: negative indexes count
/// from the end, then both are clamped to `0..total`.
fn clamp_range(mut start: i64, mut end: i64, total: i64) -> (i64, i64) {
    if start < 0 {
        start += total;
    }
    if end < 0 {
        end += total;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= total {
        end = total - 1;
    }
    (start, end)
}

fn bitcount(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let (s, h) = ctx.db().read(&args[1]);
    let (found, r) = match s.get(h, &args[1], now_ms()) {
        None => (false, Reply::Int(0)),
        Some(e) => (
            true,
            match str_of(e).and_then(|v| bitcount_of(v, args)) {
                Ok(n) => Reply::Int(n as i64),
                Err(r) => r,
            },
        ),
    };
    drop(s);
    ctx.lookup(&args[1], found);
    r
}

fn bitcount_of(p: &[u8], args: &[Vec<u8>]) -> Result<u64, Reply> {
    let len = p.len() as i64;
    match args.len() {
        2 => Ok(popcount(p)),
        4 | 5 => {
            let start = int_arg(&args[2])?;
            let end = int_arg(&args[3])?;
            let isbit = match args.get(4) {
                Some(a) => unit_arg(a)?,
                None => false,
            };
            let total = if isbit { len << 3 } else { len };
            if start < 0 && end < 0 && start > end {
                return Ok(0);
            }
            let (start, end) = clamp_range(start, end, total);
            if start > end {
                return Ok(0);
            }
            if !isbit {
                return Ok(popcount(&p[start as usize..=end as usize]));
            }
            let (sb, eb) = ((start >> 3) as usize, (end >> 3) as usize);
            let mut n = popcount(&p[sb..=eb]);
            // Take away the bits of the edge bytes outside the range.
            let first_out = !(0xffu16 >> (start & 7)) as u8;
            let last_out = ((1u16 << (7 - (end & 7))) - 1) as u8;
            n -= (p[sb] & first_out).count_ones() as u64;
            n -= (p[eb] & last_out).count_ones() as u64;
            Ok(n)
        }
        _ => Err(err::syntax()),
    }
}

fn bitpos(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let bit = match parse_i64(&args[2]) {
        Some(b @ (0 | 1)) => b as u8,
        Some(_) => return Reply::err("ERR The bit argument must be 1 or 0."),
        None => return err::not_int(),
    };
    let (s, h) = ctx.db().read(&args[1]);
    let (found, r) = match s.get(h, &args[1], now_ms()) {
        // An absent key is an infinite run of zero bits.
        None => (false, Reply::Int(if bit == 1 { -1 } else { 0 })),
        Some(e) => (
            true,
            match str_of(e).and_then(|v| bitpos_of(v, bit, args)) {
                Ok(n) => Reply::Int(n),
                Err(r) => r,
            },
        ),
    };
    drop(s);
    ctx.lookup(&args[1], found);
    r
}

fn bitpos_of(p: &[u8], bit: u8, args: &[Vec<u8>]) -> Result<i64, Reply> {
    let len = p.len() as i64;
    let (start, end, isbit, end_given) = match args.len() {
        3 => (0, len - 1, false, false),
        4..=6 => {
            let start = int_arg(&args[3])?;
            let isbit = match args.get(5) {
                Some(a) => unit_arg(a)?,
                None => false,
            };
            let (end, given) = match args.get(4) {
                Some(a) => (int_arg(a)?, true),
                None => (if isbit { (len << 3) + 7 } else { len - 1 }, false),
            };
            let total = if isbit { len << 3 } else { len };
            let (s, e) = clamp_range(start, end, total);
            (s, e, isbit, given)
        }
        _ => return Err(err::syntax()),
    };
    // An empty range holds neither a 0 nor a 1.
    if start > end {
        return Ok(-1);
    }
    let (from, to) = if isbit {
        (start as u64, end as u64)
    } else {
        (start as u64 * 8, end as u64 * 8 + 7)
    };
    Ok(match find_bit(p, from, to, bit) {
        Some(i) => i as i64,
        // Looking for a 0 without an explicit end: the string counts as
        // padded with zeros on the right, so the answer is the first bit
        // after the last byte of the range.
        None if bit == 0 && !end_given => ((to >> 3) as i64 + 1) * 8,
        None => -1,
    })
}

// ---------------------------------------------------------------- BITOP

#[derive(Clone, Copy, PartialEq)]
enum Op {
    And,
    Or,
    Xor,
    Not,
}

fn bitop(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let op = if is(&args[1], "and") {
        Op::And
    } else if is(&args[1], "or") {
        Op::Or
    } else if is(&args[1], "xor") {
        Op::Xor
    } else if is(&args[1], "not") {
        Op::Not
    } else {
        return err::syntax();
    };
    if op == Op::Not && args.len() != 4 {
        return Reply::err("ERR BITOP NOT must be called with a single source key.");
    }
    let db = ctx.client.db;
    let keys: Vec<(usize, &[u8])> = args[2..].iter().map(|k| (db, k.as_slice())).collect();
    let store = ctx.store();
    let now = now_ms();
    let r = {
        let mut l = store.lock(&keys, true);
        let mut res: Option<Vec<u8>> = None;
        let mut failed = None;
        for k in &args[3..] {
            let (s, h) = l.stripe(store, db, k);
            let e = s.get(h, k, now);
            ctx.lookup(k, e.is_some());
            let src: &[u8] = match e.map(str_of) {
                None => &[],
                Some(Ok(v)) => v,
                Some(Err(r)) => {
                    failed = Some(r);
                    break;
                }
            };
            res = Some(match res.take() {
                None if op == Op::Not => src.iter().map(|b| !b).collect(),
                None => src.to_vec(),
                Some(mut acc) => {
                    // Bytes beyond a source's end count as zeros.
                    if acc.len() < src.len() {
                        acc.resize(src.len(), 0);
                    }
                    for (i, a) in acc.iter_mut().enumerate() {
                        let b = src.get(i).copied().unwrap_or(0);
                        *a = match op {
                            Op::And => *a & b,
                            Op::Or => *a | b,
                            _ => *a ^ b,
                        };
                    }
                    acc
                }
            });
        }
        match failed {
            Some(r) => r,
            None => {
                let res = res.unwrap_or_default();
                let dest = &args[2];
                let (s, h) = l.stripe_mut(store, db, dest);
                let n = res.len();
                // Logged as the result (a source that has expired but is
                // still stored would be live again on replay, which runs
                // with the clock stopped): SET dest <bytes>, or DEL dest.
                if n > 0 {
                    log(db, &[&b"SET"[..], dest, &res]);
                    s.insert(h, dest, Entry::new(Value::Str(growable(res)), 0));
                    crate::pubsub::notify(NOTIFY_STRING, "set", dest, db);
                } else if s.remove(h, dest).is_some() {
                    log(db, &[&b"DEL"[..], dest]);
                    crate::pubsub::notify(NOTIFY_GENERIC, "del", dest, db);
                }
                Reply::Int(n as i64)
            }
        }
    };
    r
}

// ---------------------------------------------------------------- BITFIELD

#[derive(Clone, Copy, PartialEq)]
enum Overflow {
    Wrap,
    Sat,
    Fail,
}

#[derive(Clone, Copy, PartialEq)]
enum FieldOp {
    Get,
    Set,
    Incrby,
}

struct Field {
    op: FieldOp,
    offset: u64,
    value: i64,
    signed: bool,
    bits: u32,
    overflow: Overflow,
}

/// Redis's `getBitfieldTypeFromArgument`: i1..i64 or u1..u63.
fn type_arg(a: &[u8]) -> Result<(bool, u32), Reply> {
    let a = cstr(a);
    let signed = match a.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return Err(Reply::err(TYPE_ERR)),
    };
    match parse_i64(&a[1..]) {
        Some(n) if n >= 1 && n <= if signed { 64 } else { 63 } => Ok((signed, n as u32)),
        _ => Err(Reply::err(TYPE_ERR)),
    }
}

fn get_unsigned(p: &[u8], offset: u64, bits: u32) -> u64 {
    let mut v = 0u64;
    for j in 0..bits as u64 {
        v = (v << 1) | get_bit(p, offset + j) as u64;
    }
    v
}

fn get_signed(p: &[u8], offset: u64, bits: u32) -> i64 {
    let mut v = get_unsigned(p, offset, bits);
    if bits < 64 && v & (1u64 << (bits - 1)) != 0 {
        v |= u64::MAX << bits;
    }
    v as i64
}

fn set_unsigned(p: &mut [u8], offset: u64, bits: u32, v: u64) {
    for j in 0..bits as u64 {
        set_bit(p, offset + j, v & (1u64 << (bits as u64 - 1 - j)) != 0);
    }
}

/// Redis's `checkUnsignedBitfieldOverflow`: whether `value + incr` leaves
/// the range of a `bits`-wide unsigned field, and the value to store then
/// (wrapped or saturated; unused for FAIL).
fn unsigned_overflow(value: u64, incr: i64, bits: u32, ow: Overflow) -> Option<u64> {
    let max = if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    let maxincr = max.wrapping_sub(value) as i64;
    let minincr = value.wrapping_neg() as i64;
    let wrap = || value.wrapping_add(incr as u64) & !(u64::MAX << bits);
    if value > max || (incr > 0 && incr > maxincr) {
        Some(match ow {
            Overflow::Wrap => wrap(),
            _ => max,
        })
    } else if incr < 0 && incr < minincr {
        Some(match ow {
            Overflow::Wrap => wrap(),
            _ => 0,
        })
    } else {
        None
    }
}

/// Redis's `checkSignedBitfieldOverflow`, like `unsigned_overflow`.
fn signed_overflow(value: i64, incr: i64, bits: u32, ow: Overflow) -> Option<i64> {
    let max: i64 = if bits == 64 {
        i64::MAX
    } else {
        (1i64 << (bits - 1)) - 1
    };
    let min = -max - 1;
    let maxincr = (max as u64).wrapping_sub(value as u64) as i64;
    let minincr = min.wrapping_sub(value);
    let wrap = || {
        let mut c = (value as u64).wrapping_add(incr as u64);
        if bits < 64 {
            let mask = u64::MAX << bits;
            if c & (1u64 << (bits - 1)) != 0 {
                c |= mask;
            } else {
                c &= !mask;
            }
        }
        c as i64
    };
    if value > max || (bits != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr) {
        Some(match ow {
            Overflow::Wrap => wrap(),
            _ => max,
        })
    } else if value < min
        || (bits != 64 && incr < minincr)
        || (value < 0 && incr < 0 && incr < minincr)
    {
        Some(match ow {
            Overflow::Wrap => wrap(),
            _ => min,
        })
    } else {
        None
    }
}

/// Runs one SET/INCRBY on `p` (already grown to hold it): its reply, and
/// whether the field's bits changed.
fn write_field(p: &mut [u8], f: &Field) -> (Reply, bool) {
    let incr = f.op == FieldOp::Incrby;
    if f.signed {
        let old = get_signed(p, f.offset, f.bits);
        let (new, ov) = if incr {
            match signed_overflow(old, f.value, f.bits, f.overflow) {
                Some(w) => (w, true),
                None => (old.wrapping_add(f.value), false),
            }
        } else {
            match signed_overflow(f.value, 0, f.bits, f.overflow) {
                Some(w) => (w, true),
                None => (f.value, false),
            }
        };
        if ov && f.overflow == Overflow::Fail {
            return (Reply::Null, false);
        }
        set_unsigned(p, f.offset, f.bits, new as u64);
        (Reply::Int(if incr { new } else { old }), new != old)
    } else {
        let old = get_unsigned(p, f.offset, f.bits);
        let (new, ov) = if incr {
            match unsigned_overflow(old, f.value, f.bits, f.overflow) {
                Some(w) => (w, true),
                None => (old.wrapping_add(f.value as u64), false),
            }
        } else {
            match unsigned_overflow(f.value as u64, 0, f.bits, f.overflow) {
                Some(w) => (w, true),
                None => (f.value as u64, false),
            }
        };
        if ov && f.overflow == Overflow::Fail {
            return (Reply::Null, false);
        }
        set_unsigned(p, f.offset, f.bits, new);
        (
            Reply::Int(if incr { new as i64 } else { old as i64 }),
            new != old,
        )
    }
}

/// GET on `p`, bits past its end reading as zeros.
fn read_field(p: &[u8], f: &Field) -> Reply {
    Reply::Int(if f.signed {
        get_signed(p, f.offset, f.bits)
    } else {
        get_unsigned(p, f.offset, f.bits) as i64
    })
}

/// Parses BITFIELD's operations (Redis's `bitfieldGeneric` loop).
fn parse_fields(ctx: &Ctx, args: &[Vec<u8>]) -> Result<Vec<Field>, Reply> {
    let mut ops = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut j = 2;
    while j < args.len() {
        let rem = args.len() - j - 1;
        let sub = &args[j];
        let op = if is(sub, "get") && rem >= 2 {
            FieldOp::Get
        } else if is(sub, "set") && rem >= 3 {
            FieldOp::Set
        } else if is(sub, "incrby") && rem >= 3 {
            FieldOp::Incrby
        } else if is(sub, "overflow") && rem >= 1 {
            let t = &args[j + 1];
            overflow = if is(t, "wrap") {
                Overflow::Wrap
            } else if is(t, "sat") {
                Overflow::Sat
            } else if is(t, "fail") {
                Overflow::Fail
            } else {
                return Err(Reply::err("ERR Invalid OVERFLOW type specified"));
            };
            j += 2;
            continue;
        } else {
            return Err(err::syntax());
        };
        let (signed, bits) = type_arg(&args[j + 1])?;
        let offset = offset_arg(ctx, &args[j + 2], bits)?;
        let value = if op == FieldOp::Get {
            0
        } else {
            int_arg(&args[j + 3])?
        };
        ops.push(Field {
            op,
            offset,
            value,
            signed,
            bits,
            overflow,
        });
        j += if op == FieldOp::Get { 3 } else { 4 };
    }
    Ok(ops)
}

fn bitfield(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    bitfield_generic(ctx, args, false)
}

fn bitfield_ro(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    bitfield_generic(ctx, args, true)
}

fn bitfield_generic(ctx: &mut Ctx, args: &[Vec<u8>], ro: bool) -> Reply {
    let ops = match parse_fields(ctx, args) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let key = &args[1];
    let highest = ops
        .iter()
        .filter(|f| f.op != FieldOp::Get)
        .map(|f| f.offset + f.bits as u64 - 1)
        .max();
    let Some(highest) = highest else {
        // Only GETs: a read.
        let (s, h) = ctx.db().read(key);
        let (found, r) = match s.get(h, key, now_ms()) {
            None => (false, Ok(&[][..])),
            Some(e) => (true, str_of(e).map(|v| v.as_slice())),
        };
        let r = match r {
            Ok(p) => Reply::Array(ops.iter().map(|f| read_field(p, f)).collect()),
            Err(r) => r,
        };
        drop(s);
        ctx.lookup(key, found);
        return r;
    };
    if ro {
        return Reply::err("ERR BITFIELD_RO only supports the GET subcommand");
    }
    let db = ctx.client.db;
    let (mut s, h) = ctx.db().write(key);
    let (mut changed, mut applied) = (false, false);
    match with_bits_mut(&mut s, h, key, highest, |buf| {
        ops.iter()
            .map(|f| match f.op {
                FieldOp::Get => read_field(buf, f),
                _ => {
                    let (r, c) = write_field(buf, f);
                    changed |= c;
                    // An OVERFLOW FAIL that refused the write replies nil.
                    applied |= r != Reply::Null;
                    r
                }
            })
            .collect()
    }) {
        Ok((v, grown)) => {
            if grown || changed {
                log(db, &write_ops(args));
            }
            if applied {
                ctx.notify(NOTIFY_STRING, "setbit", key);
            }
            Reply::Array(v)
        }
        Err(r) => r,
    }
}

/// BITFIELD's arguments without its GETs (already parsed and valid): the
/// command that replays its writes, OVERFLOW modes included. Deterministic,
/// so it reproduces the same bits.
fn write_ops(args: &[Vec<u8>]) -> Vec<&[u8]> {
    let mut out: Vec<&[u8]> = vec![&args[0], &args[1]];
    let mut j = 2;
    while j < args.len() {
        let n = if is(&args[j], "get") {
            3
        } else if is(&args[j], "overflow") {
            2
        } else {
            4
        };
        if n != 3 {
            out.extend(args[j..j + n].iter().map(|a| a.as_slice()));
        }
        j += n;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_roundtrip() {
        let mut p = vec![0u8; 16];
        set_unsigned(&mut p, 5, 13, 0x1abc);
        assert_eq!(get_unsigned(&p, 5, 13), 0x1abc);
        set_unsigned(&mut p, 3, 64, u64::MAX - 5);
        assert_eq!(get_signed(&p, 3, 64), -6);
        set_unsigned(&mut p, 0, 8, 0xff);
        assert_eq!(get_signed(&p, 0, 8), -1);
        assert_eq!(get_unsigned(&p, 120, 30), get_unsigned(&p, 120, 8) << 22);
    }

    #[test]
    fn overflow_rules() {
        use Overflow::*;
        assert_eq!(unsigned_overflow(250, 10, 8, Wrap), Some(4));
        assert_eq!(unsigned_overflow(250, 10, 8, Sat), Some(255));
        assert_eq!(unsigned_overflow(5, -10, 8, Sat), Some(0));
        assert_eq!(unsigned_overflow(5, -5, 8, Sat), None);
        assert_eq!(signed_overflow(120, 10, 8, Wrap), Some(-126));
        assert_eq!(signed_overflow(120, 10, 8, Sat), Some(127));
        assert_eq!(signed_overflow(-120, -10, 8, Sat), Some(-128));
        assert_eq!(signed_overflow(i64::MAX, 1, 64, Wrap), Some(i64::MIN));
        assert_eq!(signed_overflow(i64::MIN, -1, 64, Sat), Some(i64::MIN));
        assert_eq!(signed_overflow(-1, 1, 64, Sat), None);
    }

    #[test]
    fn find_bits() {
        let p = [0x00, 0x0f, 0xff];
        assert_eq!(find_bit(&p, 0, 23, 1), Some(12));
        assert_eq!(find_bit(&p, 13, 23, 1), Some(13));
        assert_eq!(find_bit(&p, 0, 11, 1), None);
        assert_eq!(find_bit(&p, 12, 23, 0), None);
        assert_eq!(find_bit(&p, 3, 23, 0), Some(3));
        assert_eq!(popcount(&[0xff; 19]), 152);
        // Word-sized skips over long runs, from any starting bit.
        let mut long = vec![0u8; 300];
        long[257] = 0x02;
        for from in [0u64, 1, 63, 64, 100, 2062] {
            assert_eq!(find_bit(&long, from, 2399, 1), Some(2062), "{from}");
        }
        assert_eq!(find_bit(&long, 2063, 2399, 1), None);
        let ones = vec![0xffu8; 300];
        assert_eq!(find_bit(&ones, 5, 2399, 0), None);
    }

    use crate::command::testutil::{check_replay, check_replay_after, logged};

    #[test]
    fn replay_setbit() {
        check_replay_after(
            &[&["SADD", "set", "m"]],
            &[],
            &[
                &["SETBIT", "a", "7", "1"],
                &["SETBIT", "a", "7", "1"],
                &["SETBIT", "a", "100", "0"],
                &["SETBIT", "a", "3", "1"],
                &["SETBIT", "a", "3", "0"],
                &["SET", "t", "x", "EX", "100"],
                &["SETBIT", "t", "1", "0"],
                &["SETBIT", "t", "63", "1"],
                &["SETBIT", "a", "-1", "1"],
                &["SETBIT", "a", "1", "2"],
                &["SETBIT", "set", "1", "1"],
                &["SET", "old", "\x7f", "PXAT", "1"],
                &["SETBIT", "old", "2", "1"],
            ],
        );
    }

    #[test]
    fn replay_bitfield() {
        check_replay_after(
            &[&["RPUSH", "list", "x"]],
            &[],
            &[
                &["BITFIELD", "a", "SET", "u8", "0", "200"],
                &["BITFIELD", "a", "INCRBY", "u8", "0", "100"],
                &[
                    "BITFIELD", "a", "OVERFLOW", "SAT", "INCRBY", "u8", "0", "100",
                ],
                &[
                    "BITFIELD", "a", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "100", "GET", "u8",
                    "0", "INCRBY", "i5", "#3", "7",
                ],
                &[
                    "BITFIELD", "a", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1000",
                ],
                &[
                    "BITFIELD", "a", "OVERFLOW", "WRAP", "SET", "i16", "#2", "-30000", "INCRBY",
                    "i16", "#2", "-30000", "GET", "i16", "#2",
                ],
                &["BITFIELD", "a", "GET", "u4", "0"],
                &[
                    "BITFIELD", "a", "SET", "u8", "0", "255", "SET", "u8", "0", "255",
                ],
                &["SET", "t", "x", "PX", "100000"],
                &["BITFIELD", "t", "SET", "i64", "64", "-1", "GET", "u63", "1"],
                &[
                    "BITFIELD",
                    "t",
                    "OVERFLOW",
                    "FAIL",
                    "INCRBY",
                    "i64",
                    "64",
                    "-9223372036854775807",
                ],
                &[
                    "BITFIELD", "n", "OVERFLOW", "FAIL", "INCRBY", "u2", "100", "9",
                ],
                &["BITFIELD", "list", "SET", "u8", "0", "1"],
                &["BITFIELD", "a", "SET", "u64", "0", "1"],
                &["BITFIELD", "a", "OVERFLOW", "MAYBE", "SET", "u8", "0", "1"],
                &["BITFIELD_RO", "a", "GET", "u8", "0"],
            ],
        );
    }

    #[test]
    fn replay_bitop() {
        check_replay_after(
            &[&["HSET", "h", "f", "v"]],
            &[],
            &[
                &["SET", "a", "\x0f\x70abc"],
                &["SET", "b", "xyz"],
                &["SET", "d", "old", "EX", "100"],
                &["BITOP", "AND", "d", "a", "b"],
                &["BITOP", "OR", "d", "a", "b", "nope"],
                &["BITOP", "XOR", "d2", "a", "b", "a"],
                &["BITOP", "NOT", "d3", "a"],
                &["BITOP", "AND", "d3", "d3", "b"],
                &["BITOP", "OR", "d", "nope", "nope2"],
                &["BITOP", "OR", "e", "nope"],
                &["BITOP", "NOT", "x", "a", "b"],
                &["BITOP", "NAND", "x", "a"],
                &["BITOP", "AND", "x", "a", "h"],
                &["SET", "old", "v", "PXAT", "1"],
                &["BITOP", "OR", "old2", "old", "b"],
                &["SET", "old3", "v", "PXAT", "1"],
                &["BITOP", "OR", "old3", "nope"],
                &["BITOP", "OR", "h", "a"],
            ],
        );
        check_replay(&[
            &["SET", "a", "abc"],
            &["MULTI"],
            &["BITOP", "NOT", "a", "a"],
            &["SETBIT", "a", "30", "1"],
            &["EXEC"],
        ]);
    }

    #[test]
    fn bitmap_records() {
        let s = logged(&[
            &["SETBIT", "a", "7", "1"],
            &["SETBIT", "a", "7", "1"],
            &["SETBIT", "a", "0", "0"],
            &[
                "BITFIELD", "a", "GET", "u8", "0", "OVERFLOW", "SAT", "INCRBY", "u8", "0", "300",
            ],
            &["BITFIELD", "a", "SET", "u8", "0", "255", "GET", "u8", "0"],
            &[
                "BITFIELD", "a", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1",
            ],
            &["BITOP", "NOT", "b", "a"],
            &["BITOP", "AND", "b", "nope"],
            &["BITOP", "AND", "b", "nope"],
        ]);
        assert_eq!(
            s,
            [
                "SETBIT a 7 1",
                "BITFIELD a OVERFLOW SAT INCRBY u8 0 300",
                "SET b \0",
                "DEL b",
            ]
        );
    }
}
