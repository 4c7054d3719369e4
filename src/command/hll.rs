//! HyperLogLog commands with Redis 7.0's semantics and byte-exact value
//! representation (hyperloglog.c): PFADD PFCOUNT PFMERGE PFDEBUG PFSELFTEST.
//!
//! An HLL is a string value: a 16-byte header ("HYLL", the encoding byte —
//! 0 dense, 1 sparse —, three unused bytes, and the cached cardinality as a
//! little-endian u64 whose top bit marks the cache invalid), then either
//! 16384 6-bit registers packed LSB first (dense, 12288 bytes) or Redis's
//! run-length opcodes (sparse: ZERO `00xxxxxx`, XZERO `01xxxxxx yyyyyyyy`,
//! VAL `1vvvvvxx`). Elements hash with MurmurHash64A (seed 0xadc83b19): the
//! low 14 bits pick the register, the run of zeros above them (plus one)
//! is the candidate value. The estimate is Ertl's ("new cardinality
//! estimation algorithms"), as Redis computes it, so values written by
//! redis-server (GET/SET) work here and the other way round, and counts
//! agree exactly.
//!
//! Every sparse edit follows Redis's algorithm step by step (split, the
//! promotion check against `hll-sparse-max-bytes`, the merge of adjacent
//! VALs) so the bytes stay identical. Corrupt sparse data is detected the
//! way Redis detects it (INVALIDOBJ); reads past the end see a zero byte
//! (Redis reads the sds terminator there) and never index out of bounds.
//!
//! Values are modified in place (`make_growable`, TTL kept, memory
//! adjusted). PFCOUNT on one key stores the computed cardinality in the
//! header, as Redis does.
//!
//! WAL (persist/mod.rs), logged under the stripe lock when the bytes
//! changed: PFADD itself; PFCOUNT of one key `PFCOUNT key` when it wrote
//! the cache (it computes the same bytes again); PFMERGE, PFDEBUG's dense
//! conversion and a PFADD cut short by corrupt data `SET key <bytes>
//! KEEPTTL` (PFMERGE reads its sources without deleting expired ones, which
//! replay, with the clock stopped, would see alive).
//!
//! Keyspace notifications as hyperloglog.c: `pfadd` for a PFADD that
//! changed or created the value and for every successful PFMERGE (even one
//! that changed nothing); `keymiss` for PFCOUNT's and PFMERGE's missing
//! keys (PFMERGE looks its destination up as a source first, like Redis).

use super::*;
use crate::persist::log;
use crate::pubsub::NOTIFY_STRING;
use crate::resp::Reply;
use crate::server::Ctx;
use crate::store::{now_ms, CompactBytes, Entry, Value};

const HLL: &[&str] = &["hyperloglog"];

pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("pfadd", -2, WRITE | DENYOOM | FAST, KEY1, pfadd)
        .doc("hyperloglog", "2.8.9", "Adds the specified elements to the specified HyperLogLog.")
        .acl(HLL)
        .syntax("key [element [element ...]]")
        .complexity("O(1) to add every element."),
    CommandSpec::new("pfcount", -2, READONLY, ALL_KEYS, pfcount)
        .doc("hyperloglog", "2.8.9", "Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).")
        .acl(HLL)
        .syntax("key [key ...]")
        .complexity("O(1) with a very small average constant time when called with a single key. O(N) with N being the number of keys, and much bigger constant times, when called with multiple keys."),
    CommandSpec::new("pfmerge", -2, WRITE | DENYOOM, ALL_KEYS, pfmerge)
        .doc("hyperloglog", "2.8.9", "Merge N different HyperLogLogs into a single one.")
        .acl(HLL)
        .syntax("destkey [sourcekey [sourcekey ...]]")
        .complexity("O(N) to merge N HyperLogLogs, but with high constant times."),
    CommandSpec::new(
        "pfdebug",
        3,
        WRITE | DENYOOM | ADMIN,
        Keys {
            first: 2,
            last: 2,
            step: 1,
        },
        pfdebug,
    )
    .doc("hyperloglog", "2.8.9", "Internal commands for debugging HyperLogLog values")
    .acl(HLL)
    .syntax("subcommand key")
    .complexity("N/A"),
    CommandSpec::new("pfselftest", 1, ADMIN, NO_KEYS, pfselftest)
        .doc("hyperloglog", "2.8.9", "An internal command for testing HyperLogLog values")
        .acl(HLL)
        .complexity("N/A"),
];

// ---------------------------------------------------------------- layout

const HDR: usize = 16;
const P: u32 = 14;
const Q: usize = 64 - P as usize;
const REGS: usize = 1 << P;
const DENSE_SIZE: usize = HDR + (REGS * 6).div_ceil(8);
const DENSE: u8 = 0;
const SPARSE: u8 = 1;
const VAL_MAX_VALUE: u8 = 32;
const VAL_MAX_LEN: usize = 4;
const ZERO_MAX_LEN: usize = 64;
const ALPHA_INF: f64 = 0.721_347_520_444_481_7;
const SEED: u64 = 0xadc83b19;

const NOT_HLL: &str = "WRONGTYPE Key is not a valid HyperLogLog string value.";
const CORRUPT: &str = "INVALIDOBJ Corrupted HLL object detected";

/// MurmurHash2, 64-bit (MurmurHash64A), endian-neutral as Redis has it.
pub fn murmur64a(key: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4a7935bd1e995;
    const R: u32 = 47;
    let mut h = seed ^ (key.len() as u64).wrapping_mul(M);
    let mut chunks = key.chunks_exact(8);
    for c in &mut chunks {
        let mut k = u64::from_le_bytes(c.try_into().expect("8-byte chunk"));
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        for (i, &b) in rest.iter().enumerate() {
            h ^= (b as u64) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// The register an element maps to and the length of its `0..01` pattern
/// (1..=Q+1).
fn pat_len(ele: &[u8]) -> (usize, u8) {
    let hash = murmur64a(ele, SEED);
    let index = (hash & (REGS as u64 - 1)) as usize;
    let rest = (hash >> P) | (1u64 << Q);
    (index, rest.trailing_zeros() as u8 + 1)
}

/// Byte `i`, or 0 past the end (where Redis reads the sds terminator).
fn byte(b: &[u8], i: usize) -> u8 {
    b.get(i).copied().unwrap_or(0)
}

// ---------------------------------------------------------------- dense

/// Register `i` of packed 6-bit registers `r` (LSB first).
fn dense_get(r: &[u8], i: usize) -> u8 {
    let at = i * 6 / 8;
    let fb = (i * 6) & 7;
    let b0 = byte(r, at) as u32;
    let b1 = byte(r, at + 1) as u32;
    (((b0 >> fb) | (b1 << (8 - fb))) & 63) as u8
}

fn dense_put(r: &mut [u8], i: usize, v: u8) {
    let at = i * 6 / 8;
    let fb = (i * 6) & 7;
    let v = v as u32;
    r[at] &= !(63u32 << fb) as u8;
    r[at] |= (v << fb) as u8;
    if let Some(b) = r.get_mut(at + 1) {
        *b &= !(63u32 >> (8 - fb)) as u8;
        *b |= (v >> (8 - fb)) as u8;
    }
}

/// Raises register `i` to `count`; true if it changed.
fn dense_set(r: &mut [u8], i: usize, count: u8) -> bool {
    if count > dense_get(r, i) {
        dense_put(r, i, count);
        true
    } else {
        false
    }
}

fn dense_histo(r: &[u8], h: &mut [u32; 64]) {
    for c in r.chunks_exact(3) {
        let (b0, b1, b2) = (c[0], c[1], c[2]);
        h[(b0 & 63) as usize] += 1;
        h[((b0 >> 6 | b1 << 2) & 63) as usize] += 1;
        h[((b1 >> 4 | b2 << 4) & 63) as usize] += 1;
        h[(b2 >> 2) as usize] += 1;
    }
}

// ---------------------------------------------------------------- sparse

#[derive(Clone, Copy)]
enum Op {
    Zero(usize),
    XZero(usize),
    Val(u8, usize),
}

impl Op {
    fn span(self) -> usize {
        match self {
            Op::Zero(n) | Op::XZero(n) | Op::Val(_, n) => n,
        }
    }
}

/// Decodes the opcode at `b[i]` (which must exist): the op and its length.
fn op_at(b: &[u8], i: usize) -> (Op, usize) {
    let c = b[i];
    match c & 0xc0 {
        0x00 => (Op::Zero((c & 0x3f) as usize + 1), 1),
        0x40 => (
            Op::XZero((((c & 0x3f) as usize) << 8 | byte(b, i + 1) as usize) + 1),
            2,
        ),
        _ => (Op::Val(((c >> 2) & 0x1f) + 1, (c & 3) as usize + 1), 1),
    }
}

fn val_byte(v: u8, len: usize) -> u8 {
    0x80 | ((v - 1) << 2) | (len as u8 - 1)
}

/// ZERO or XZERO for a run of `len` zero registers, appended to `seq`.
fn push_zeros(seq: &mut Vec<u8>, len: usize) {
    if len > ZERO_MAX_LEN {
        let l = len - 1;
        seq.push(0x40 | (l >> 8) as u8);
        seq.push(l as u8);
    } else {
        seq.push((len - 1) as u8);
    }
}

/// A new empty HLL as Redis creates it: sparse, one XZERO covering every
/// register, cached cardinality 0.
fn new_sparse() -> Vec<u8> {
    let mut v = Vec::with_capacity(64);
    v.extend_from_slice(b"HYLL");
    v.push(SPARSE);
    v.extend_from_slice(&[0; 11]);
    push_zeros(&mut v, REGS);
    v
}

/// Walks the sparse opcodes of `v`, calling `f(index, run, value)` for
/// each VAL run that fits in the registers. False if the representation
/// does not cover exactly the 16384 registers (Redis's validity test).
fn sparse_walk(v: &[u8], mut f: impl FnMut(usize, usize, u8)) -> bool {
    let mut idx = 0usize;
    let mut p = HDR;
    while p < v.len() {
        let (op, oplen) = op_at(v, p);
        match op {
            Op::Zero(n) | Op::XZero(n) => idx += n,
            Op::Val(val, n) => {
                if idx + n > REGS {
                    break;
                }
                f(idx, n, val);
                idx += n;
            }
        }
        p += oplen;
    }
    idx == REGS
}

/// Redis's hllSparseToDense: the dense form of a sparse HLL (header,
/// cached cardinality included, copied), or None if it is corrupt.
fn sparse_to_dense(v: &[u8]) -> Option<Vec<u8>> {
    let mut d = vec![0u8; DENSE_SIZE];
    d[..HDR].copy_from_slice(&v[..HDR]);
    d[4] = DENSE;
    let regs = &mut d[HDR..];
    let ok = sparse_walk(v, |at, n, val| {
        for i in at..at + n {
            dense_put(regs, i, val);
        }
    });
    ok.then_some(d)
}

fn invalidate(v: &mut [u8]) {
    v[HDR - 1] |= 0x80;
}

/// Redis's hllSparseSet: raises register `index` to `count` in the sparse
/// HLL `v`, promoting it to dense when the value does not fit a VAL
/// opcode or the string would grow past `max_bytes`. 1 if updated, 0 if
/// not, -1 if the representation is corrupt.
fn sparse_set(v: &mut Vec<u8>, index: usize, count: u8, max_bytes: u64) -> i32 {
    if count > VAL_MAX_VALUE {
        return promote(v, index, count);
    }
    // Step 1: find the opcode covering the register.
    let end = v.len();
    let mut p = HDR;
    let mut first = 0usize;
    let mut prev = None;
    let mut span = 0usize;
    while p < end {
        let (op, oplen) = op_at(v, p);
        span = op.span();
        if index < first + span {
            break;
        }
        prev = Some(p);
        p += oplen;
        first += span;
    }
    if span == 0 || p >= end {
        return -1;
    }
    let (op, oplen) = op_at(v, p);
    let next = Some(p + oplen).filter(|&n| n < end);

    // Step 2: trivial in-place updates, else the split sequence.
    let trivial = match op {
        Op::Val(old, _) if old >= count => return 0,
        Op::Val(_, 1) | Op::Zero(1) => true,
        _ => false,
    };
    if trivial {
        v[p] = val_byte(count, 1);
    } else {
        let last = first + span - 1;
        let mut seq = Vec::with_capacity(5);
        match op {
            Op::Val(cur, _) => {
                if index != first {
                    seq.push(val_byte(cur, index - first));
                }
                seq.push(val_byte(count, 1));
                if index != last {
                    seq.push(val_byte(cur, last - index));
                }
            }
            _ => {
                if index != first {
                    push_zeros(&mut seq, index - first);
                }
                seq.push(val_byte(count, 1));
                if index != last {
                    push_zeros(&mut seq, last - index);
                }
            }
        }
        // Step 3: put the sequence in place of the opcode.
        let delta = seq.len() as isize - oplen as isize;
        if delta > 0 && (end as u64).saturating_add(delta as u64) > max_bytes {
            return promote(v, index, count);
        }
        // Emulates Redis's memmove/memcpy/sdsIncrLen on a buffer with room,
        // so even a truncated final XZERO is handled byte for byte.
        v.resize(end + seq.len() + 2, 0);
        if let (true, Some(n)) = (delta != 0, next) {
            v.copy_within(n..end, (n as isize + delta) as usize);
        }
        v[p..p + seq.len()].copy_from_slice(&seq);
        v.truncate((end as isize + delta) as usize);
    }

    // Step 4: merge adjacent VALs of equal value around the change.
    let mut end = v.len();
    let mut p = prev.unwrap_or(HDR);
    let mut scan = 5;
    while p < end {
        if scan == 0 {
            break;
        }
        scan -= 1;
        let c = v[p];
        if c & 0xc0 == 0x40 {
            p += 2;
            continue;
        }
        if c & 0xc0 == 0 {
            p += 1;
            continue;
        }
        if p + 1 < end && v[p + 1] & 0x80 != 0 {
            let (Op::Val(v1, l1), _) = op_at(v, p) else {
                unreachable!("VAL checked")
            };
            let (Op::Val(v2, l2), _) = op_at(v, p + 1) else {
                unreachable!("VAL checked")
            };
            if v1 == v2 && l1 + l2 <= VAL_MAX_LEN {
                v[p + 1] = val_byte(v1, l1 + l2);
                v.remove(p);
                end -= 1;
                continue;
            }
        }
        p += 1;
    }
    invalidate(v);
    1
}

fn promote(v: &mut Vec<u8>, index: usize, count: u8) -> i32 {
    let Some(mut d) = sparse_to_dense(v) else {
        return -1;
    };
    let r = dense_set(&mut d[HDR..], index, count);
    *v = d;
    r as i32
}

// ---------------------------------------------------------------- whole HLLs

/// Redis's isHLLObjectOrReply for a string value.
fn valid(v: &[u8]) -> bool {
    v.len() >= HDR
        && &v[..4] == b"HYLL"
        && v[4] <= SPARSE
        && (v[4] != DENSE || v.len() == DENSE_SIZE)
}

/// The string at `e` if it is a valid HLL, or the error reply.
#[allow(unreachable_patterns)]
fn hll_of(e: &Entry) -> Result<&[u8], Reply> {
    match &e.value {
        Value::Str(s) if valid(s) => Ok(s),
        Value::Str(_) => Err(Reply::err(NOT_HLL)),
        _ => Err(err::wrong_type()),
    }
}

/// Adds one element; 1 updated, 0 not, -1 corrupt.
fn add(v: &mut Vec<u8>, ele: &[u8], max_bytes: u64) -> i32 {
    let (index, count) = pat_len(ele);
    match v[4] {
        DENSE => dense_set(&mut v[HDR..], index, count) as i32,
        SPARSE => sparse_set(v, index, count, max_bytes),
        _ => -1,
    }
}

/// Raises `max[i]` to every register of the valid HLL `v`; false if a
/// sparse `v` is corrupt.
fn merge_into(max: &mut [u8], v: &[u8]) -> bool {
    if v[4] == DENSE {
        let r = &v[HDR..];
        for (i, m) in max.iter_mut().enumerate() {
            let x = dense_get(r, i);
            if x > *m {
                *m = x;
            }
        }
        true
    } else {
        sparse_walk(v, |at, n, val| {
            for m in &mut max[at..at + n] {
                if val > *m {
                    *m = val;
                }
            }
        })
    }
}

/// The register histogram of a valid HLL; None for a corrupt sparse one.
fn histo(v: &[u8]) -> Option<[u32; 64]> {
    let mut h = [0u32; 64];
    if v[4] == DENSE {
        dense_histo(&v[HDR..], &mut h);
        return Some(h);
    }
    let mut idx = 0usize;
    let mut p = HDR;
    while p < v.len() {
        let (op, oplen) = op_at(v, p);
        match op {
            Op::Zero(n) | Op::XZero(n) => h[0] += n as u32,
            Op::Val(val, n) => h[val as usize] += n as u32,
        }
        idx += op.span();
        p += oplen;
    }
    (idx == REGS).then_some(h)
}

fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let mut y = 1.0;
    let mut z = x;
    loop {
        x *= x;
        let zp = z;
        z += x * y;
        y += y;
        if zp == z {
            return z;
        }
    }
}

fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let mut y = 1.0;
    let mut z = 1.0 - x;
    loop {
        x = x.sqrt();
        let zp = z;
        y *= 0.5;
        let d = 1.0 - x;
        z -= d * d * y;
        if zp == z {
            return z / 3.0;
        }
    }
}

/// Ertl's estimator over a register histogram, as Redis 7.0 computes it.
fn estimate(h: &[u32; 64]) -> u64 {
    let m = REGS as f64;
    let mut z = m * tau((m - h[Q + 1] as f64) / m);
    for j in (1..=Q).rev() {
        z += h[j] as f64;
        z *= 0.5;
    }
    z += m * sigma(h[0] as f64 / m);
    (ALPHA_INF * m * m / z).round() as u64
}

fn cached(v: &[u8]) -> Option<u64> {
    let c = u64::from_le_bytes(v[8..16].try_into().expect("8 bytes"));
    (c >> 63 == 0).then_some(c)
}

fn sparse_max_bytes(ctx: &Ctx) -> u64 {
    ctx.srv
        .hot
        .hll_sparse_max_bytes
        .load(std::sync::atomic::Ordering::Relaxed) as u64
}

fn bytes_mut(e: &mut Entry) -> &mut Vec<u8> {
    match &mut e.value {
        Value::Str(v) => v.make_growable(),
        _ => unreachable!("hll_of checked the type"),
    }
}

fn growable(v: Vec<u8>) -> CompactBytes {
    let mut c = CompactBytes::from_vec(v);
    c.make_growable();
    c
}

/// Logs `SET key <v> KEEPTTL`: the exact bytes of an HLL whose change is
/// not replayed as its own command (PFMERGE, PFDEBUG, a PFADD cut short by
/// corrupt data).
fn log_bytes(db: usize, key: &[u8], v: &[u8]) {
    log(db, &[&b"SET"[..], key, v, b"KEEPTTL"]);
}

// ---------------------------------------------------------------- commands

/// PFADD is deterministic (given `hll-sparse-max-bytes`): logged as itself
/// when it changed the value or created the key.
fn pfadd(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let max_bytes = sparse_max_bytes(ctx);
    let key = &args[1];
    let db = ctx.client.db;
    let (mut s, h) = ctx.db().write(key);
    // The reply and whether the value changed.
    let run = |v: &mut Vec<u8>, mut updated: bool| -> (Reply, bool) {
        for ele in &args[2..] {
            match add(v, ele, max_bytes) {
                1 => updated = true,
                -1 => {
                    // Corrupt data: the elements before it stay added, and
                    // replaying PFADD would fail the same way, so the exact
                    // bytes are logged instead.
                    if updated {
                        log_bytes(db, key, v);
                    }
                    return (Reply::err(CORRUPT), false);
                }
                _ => {}
            }
        }
        if updated {
            invalidate(v);
        }
        (Reply::Int(updated as i64), updated)
    };
    let found = match s.get_mut(h, key, now_ms()) {
        None => None,
        Some(e) => {
            if let Err(r) = hll_of(e) {
                return r;
            }
            let before = e.heap_size();
            let r = run(bytes_mut(e), false);
            Some((r, before, e.heap_size()))
        }
    };
    let (r, changed) = match found {
        Some((r, before, after)) => {
            s.adjust_mem(before, after);
            r
        }
        None => {
            let mut v = new_sparse();
            let r = run(&mut v, true);
            s.insert(h, key, Entry::new(Value::Str(growable(v)), 0));
            r
        }
    };
    if changed {
        log(db, args);
        ctx.notify(NOTIFY_STRING, "pfadd", key);
    }
    r
}

fn pfcount(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    if args.len() > 2 {
        return pfcount_union(ctx, args);
    }
    let key = &args[1];
    let db = ctx.client.db;
    let (mut s, h) = ctx.db().write(key);
    let mut hit = false;
    let r = match s.get_mut(h, key, now_ms()) {
        None => Reply::Int(0),
        Some(e) => {
            hit = true;
            match hll_of(e) {
                Err(r) => r,
                Ok(_) => {
                    let before = e.heap_size();
                    let v = bytes_mut(e);
                    let r = match cached(v) {
                        Some(c) => Reply::Int(c as i64),
                        None => match histo(v) {
                            None => Reply::err(CORRUPT),
                            Some(hg) => {
                                let c = estimate(&hg);
                                v[8..16].copy_from_slice(&c.to_le_bytes());
                                // The cache in the header changed: logged
                                // as PFCOUNT key, which computes it again.
                                log(db, &[&b"PFCOUNT"[..], key]);
                                Reply::Int(c as i64)
                            }
                        },
                    };
                    let after = e.heap_size();
                    s.adjust_mem(before, after);
                    r
                }
            }
        }
    };
    drop(s);
    ctx.lookup(key, hit);
    r
}

/// PFCOUNT over several keys: the estimate of their union, nothing written.
fn pfcount_union(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let db = ctx.client.db;
    let keys: Vec<(usize, &[u8])> = args[1..].iter().map(|k| (db, k.as_slice())).collect();
    let store = ctx.store();
    let now = now_ms();
    let mut max = vec![0u8; REGS];
    let r = {
        let l = store.lock(&keys, false);
        let mut res = None;
        for k in &args[1..] {
            let (s, h) = l.stripe(store, db, k);
            let e = s.get(h, k, now);
            ctx.lookup(k, e.is_some());
            let Some(e) = e else {
                continue;
            };
            match hll_of(e) {
                Err(r) => {
                    res = Some(r);
                    break;
                }
                Ok(v) => {
                    if !merge_into(&mut max, v) {
                        res = Some(Reply::err(CORRUPT));
                        break;
                    }
                }
            }
        }
        res.unwrap_or_else(|| {
            let mut h = [0u32; 64];
            for &m in &max {
                h[m as usize] += 1;
            }
            Reply::Int(estimate(&h) as i64)
        })
    };
    r
}

fn pfmerge(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let max_bytes = sparse_max_bytes(ctx);
    let db = ctx.client.db;
    let keys: Vec<(usize, &[u8])> = args[1..].iter().map(|k| (db, k.as_slice())).collect();
    let store = ctx.store();
    let now = now_ms();
    let mut max = vec![0u8; REGS];
    let r = 'done: {
        let mut l = store.lock(&keys, true);
        let mut use_dense = false;
        for k in &args[1..] {
            let (s, h) = l.stripe(store, db, k);
            let e = s.get(h, k, now);
            ctx.lookup(k, e.is_some());
            let Some(e) = e else {
                continue;
            };
            match hll_of(e) {
                Err(r) => break 'done r,
                Ok(v) => {
                    use_dense |= v[4] == DENSE;
                    if !merge_into(&mut max, v) {
                        break 'done Reply::err(CORRUPT);
                    }
                }
            }
        }
        let dest = &args[1];
        let (s, h) = l.stripe_mut(store, db, dest);
        let write = |v: &mut Vec<u8>| -> Result<(), Reply> {
            if use_dense && v[4] == SPARSE {
                *v = sparse_to_dense(v).ok_or(Reply::err(CORRUPT))?;
            }
            for (j, &m) in max.iter().enumerate() {
                if m == 0 {
                    continue;
                }
                if v[4] == DENSE {
                    dense_set(&mut v[HDR..], j, m);
                } else {
                    sparse_set(v, j, m, max_bytes);
                }
            }
            invalidate(v);
            Ok(())
        };
        // Logged as the destination's exact bytes (TTL kept): the sources
        // are read without deleting expired ones, which replay (clock
        // stopped) would see alive, so PFMERGE itself is not replayed.
        let res = match s.get_mut(h, dest, now) {
            Some(e) => {
                let before = e.heap_size();
                let v = bytes_mut(e);
                let res = write(v);
                if res.is_ok() {
                    log_bytes(db, dest, v);
                }
                let after = e.heap_size();
                s.adjust_mem(before, after);
                res
            }
            None => {
                let mut v = new_sparse();
                let res = write(&mut v);
                log_bytes(db, dest, &v);
                s.insert(h, dest, Entry::new(Value::Str(growable(v)), 0));
                res
            }
        };
        match res {
            Ok(()) => {
                crate::pubsub::notify(NOTIFY_STRING, "pfadd", dest, db);
                Reply::ok()
            }
            Err(r) => r,
        }
    };
    r
}

fn pfdebug(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let sub = &args[1];
    let sub_c = match sub.iter().position(|&b| b == 0) {
        Some(i) => &sub[..i],
        None => &sub[..],
    };
    let key = &args[2];
    let db = ctx.client.db;
    let (mut s, h) = ctx.db().write(key);
    let Some(e) = s.get_mut(h, key, now_ms()) else {
        return Reply::err("ERR The specified key does not exist");
    };
    if let Err(r) = hll_of(e) {
        return r;
    }
    let before = e.heap_size();
    let v = bytes_mut(e);
    let encoding = v[4];
    let r = pfdebug_on(sub_c, v);
    if v[4] != encoding {
        // GETREG / TODENSE converted it to dense: logged as the bytes.
        log_bytes(db, key, v);
    }
    let after = e.heap_size();
    s.adjust_mem(before, after);
    r
}

fn pfdebug_on(sub: &[u8], v: &mut Vec<u8>) -> Reply {
    let is = |w: &str| sub.eq_ignore_ascii_case(w.as_bytes());
    if is("getreg") || is("todense") {
        let conv = v[4] == SPARSE;
        if conv {
            match sparse_to_dense(v) {
                Some(d) => *v = d,
                None => return Reply::err(CORRUPT),
            }
        }
        if is("getreg") {
            let r = &v[HDR..];
            Reply::Array(
                (0..REGS)
                    .map(|i| Reply::Int(dense_get(r, i) as i64))
                    .collect(),
            )
        } else {
            Reply::Int(conv as i64)
        }
    } else if is("decode") {
        if v[4] != SPARSE {
            return Reply::err("ERR HLL encoding is not sparse");
        }
        let mut out = String::new();
        let mut p = HDR;
        while p < v.len() {
            let (op, oplen) = op_at(v, p);
            match op {
                Op::Zero(n) => out.push_str(&format!("z:{n} ")),
                Op::XZero(n) => out.push_str(&format!("Z:{n} ")),
                Op::Val(x, n) => out.push_str(&format!("v:{x},{n} ")),
            }
            p += oplen;
        }
        Reply::bulk(out.trim_matches(' ').as_bytes())
    } else if is("encoding") {
        Reply::status(if v[4] == DENSE { "dense" } else { "sparse" })
    } else {
        let name = String::from_utf8_lossy(sub).replace(['\r', '\n'], " ");
        Reply::error(format!("ERR Unknown PFDEBUG subcommand '{name}'"))
    }
}

/// PFSELFTEST: checks the register access paths (dense get/set against a
/// plain array, sparse edits against dense ones) like Redis's self test.
fn pfselftest(_: &mut Ctx, _: &[Vec<u8>]) -> Reply {
    let mut seed = 0x2545f4914f6cdd1du64;
    let mut rnd = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut regs = vec![0u8; DENSE_SIZE - HDR];
    let mut plain = vec![0u8; REGS];
    for _ in 0..8 {
        for (i, p) in plain.iter_mut().enumerate() {
            let r = (rnd() & 63) as u8;
            *p = r;
            dense_put(&mut regs, i, r);
        }
        for (i, &p) in plain.iter().enumerate() {
            let got = dense_get(&regs, i);
            if got != p {
                return Reply::error(format!(
                    "ERR TESTFAILED Register {i} should be {p} but is {got}"
                ));
            }
        }
    }
    let mut sparse = new_sparse();
    let mut dense = sparse_to_dense(&sparse).expect("a new HLL is valid");
    for _ in 0..2000 {
        let i = (rnd() % REGS as u64) as usize;
        let c = (rnd() % 33) as u8 + 1;
        let a = if sparse[4] == SPARSE {
            sparse_set(&mut sparse, i, c, u64::MAX) == 1
        } else {
            dense_set(&mut sparse[HDR..], i, c)
        };
        if a != dense_set(&mut dense[HDR..], i, c) {
            return Reply::err("ERR TESTFAILED sparse and dense updates differ");
        }
    }
    if histo(&sparse) != histo(&dense) {
        return Reply::err("ERR TESTFAILED sparse and dense registers differ");
    }
    Reply::ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn murmur_matches_reference_pattern() {
        // Deterministic and sensitive to every tail length.
        let a: Vec<u64> = (0..17).map(|n| murmur64a(&vec![7u8; n], SEED)).collect();
        for i in 0..a.len() {
            for j in i + 1..a.len() {
                assert_ne!(a[i], a[j]);
            }
        }
    }

    #[test]
    fn empty_hll_counts_zero() {
        let v = new_sparse();
        assert_eq!(v.len(), HDR + 2);
        assert_eq!(&v[HDR..], &[0x7f, 0xff]);
        assert_eq!(estimate(&histo(&v).unwrap()), 0);
    }

    #[test]
    fn sparse_and_dense_agree() {
        let mut s = new_sparse();
        let mut d = sparse_to_dense(&s).unwrap();
        for i in 0..3000u32 {
            let e = i.to_string();
            add(&mut s, e.as_bytes(), 3000);
            add(&mut d, e.as_bytes(), 3000);
        }
        assert_eq!(estimate(&histo(&s).unwrap()), estimate(&histo(&d).unwrap()));
        let mut max = vec![0u8; REGS];
        assert!(merge_into(&mut max, &s));
        for (i, &m) in max.iter().enumerate() {
            assert_eq!(dense_get(&d[HDR..], i), m);
        }
    }

    #[test]
    fn corrupt_sparse_never_panics() {
        let mut seed = 1u64;
        for _ in 0..3000 {
            let mut v = new_sparse();
            v.truncate(HDR);
            let n = (seed % 40) as usize;
            for _ in 0..n {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                v.push((seed >> 56) as u8);
            }
            let _ = histo(&v);
            let _ = sparse_to_dense(&v);
            let mut max = vec![0u8; REGS];
            let _ = merge_into(&mut max, &v);
            for k in 0..20u32 {
                if add(&mut v, &k.to_le_bytes(), 3000) == -1 || v[4] != SPARSE {
                    break;
                }
            }
        }
    }

    #[test]
    fn random_sparse_edits_match_dense() {
        let mut seed = 0x2545f4914f6cdd1du64;
        let mut rnd = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut sparse = new_sparse();
        let mut dense = sparse_to_dense(&sparse).unwrap();
        for step in 0..3000 {
            let i = (rnd() % REGS as u64) as usize;
            let c = (rnd() % 32) as u8 + 1;
            let r1 = sparse_set(&mut sparse, i, c, u64::MAX);
            let r2 = dense_set(&mut dense[HDR..], i, c);
            assert_eq!(sparse[4], SPARSE);
            assert_eq!(r1 == 1, r2, "step {step}");
            if step % 100 != 99 {
                continue;
            }
            let mut max = vec![0u8; REGS];
            assert!(merge_into(&mut max, &sparse), "step {step}");
            for (j, &m) in max.iter().enumerate() {
                assert_eq!(dense_get(&dense[HDR..], j), m, "step {step} reg {j}");
            }
        }
    }

    use crate::command::testutil::{check_replay, check_replay_after, logged};

    /// A valid dense HLL that is plain ASCII (so a test command can SET
    /// it): registers taken from a pattern of bytes below 0x80.
    fn ascii_dense() -> String {
        let mut v = b"HYLL".to_vec();
        v.extend([0u8; 12]);
        v.extend((0..DENSE_SIZE - HDR).map(|i| (i * 7 % 61) as u8));
        String::from_utf8(v).unwrap()
    }

    /// `n` elements named after `prefix`.
    fn elements(prefix: &str, n: usize) -> Vec<String> {
        (0..n).map(|i| format!("{prefix}{i}")).collect()
    }

    fn cmd<'a>(head: &[&'a str], rest: &'a [String]) -> Vec<&'a str> {
        head.iter()
            .copied()
            .chain(rest.iter().map(|s| s.as_str()))
            .collect()
    }

    #[test]
    fn replay_pfadd_pfcount_pfdebug() {
        let many = elements("e", 3000);
        let big = cmd(&["PFADD", "big"], &many);
        check_replay_after(
            &[&["SADD", "set", "m"]],
            &[],
            &[
                &["PFADD", "h1", "a", "b", "c"],
                &["PFADD", "h1", "a"],
                &["PFADD", "h1"],
                &["PFADD", "h0"],
                &["PFCOUNT", "h1"],
                &["PFCOUNT", "h1"],
                &["PFADD", "h1", "d"],
                &["PFCOUNT", "h1", "h0", "nope"],
                &["PFCOUNT", "nope"],
                &["SET", "str", "not an hll"],
                &["PFADD", "str", "x"],
                &["PFCOUNT", "str"],
                &["PFADD", "set", "x"],
                &["PFADD", "t", "x"],
                &["PEXPIRE", "t", "100000"],
                &["PFADD", "t", "y", "z"],
                &["PFCOUNT", "t"],
                &big,
                &["PFCOUNT", "big"],
                &["PFADD", "big", "one more", "e1"],
                &["PFCOUNT", "big"],
                &["PFDEBUG", "TODENSE", "h1"],
                &["PFDEBUG", "TODENSE", "h1"],
                &["PFDEBUG", "GETREG", "t"],
                &["PFDEBUG", "DECODE", "h0"],
                &["PFDEBUG", "ENCODING", "h0"],
                &["PFDEBUG", "TODENSE", "nope"],
                &["PFADD", "h1", "x", "y"],
                &["PFCOUNT", "h1"],
                &["SET", "old", "x", "PXAT", "1"],
                &["PFADD", "old", "x"],
            ],
        );
    }

    #[test]
    fn replay_pfmerge() {
        let dense = ascii_dense();
        check_replay_after(
            &[&["RPUSH", "list", "x"]],
            &[],
            &[
                &["PFADD", "a", "1", "2", "3"],
                &["PFADD", "b", "3", "4"],
                &["PFMERGE", "d", "a", "b"],
                &["PFMERGE", "d"],
                &["PFMERGE", "e"],
                &["PFADD", "t", "x"],
                &["EXPIRE", "t", "100"],
                &["PFMERGE", "t", "a", "nope"],
                &["SET", "dense", &dense],
                &["PFMERGE", "d2", "a", "dense"],
                &["PFMERGE", "dense", "b"],
                &["PFCOUNT", "dense"],
                // An expired source counts as absent; replay would see it.
                &["SET", "gone", &dense, "PXAT", "1"],
                &["PFMERGE", "d3", "gone", "a"],
                &["SET", "gone2", &dense, "PXAT", "1"],
                &["PFMERGE", "gone2", "b"],
                &["PFMERGE", "d4", "list"],
                &["PFMERGE", "list", "a"],
                &["MULTI"],
                &["PFADD", "m", "x"],
                &["PFMERGE", "m2", "m", "a"],
                &["PFCOUNT", "m2"],
                &["EXEC"],
            ],
        );
    }

    #[test]
    fn replay_pfadd_on_corrupt_data() {
        // A sparse HLL whose opcodes cover only registers 0..100 (XZERO of
        // 100): an element for a register below 100 is added, the next
        // one finds the data corrupt.
        let hll = "HYLL\x01\0\0\0\0\0\0\0\0\0\0\0@c";
        let low = (0..)
            .map(|i| format!("low{i}"))
            .find(|e| pat_len(e.as_bytes()).0 < 100)
            .unwrap();
        let high = (0..)
            .map(|i| format!("high{i}"))
            .find(|e| pat_len(e.as_bytes()).0 >= 100)
            .unwrap();
        let (r, _) = check_replay_after(
            &[],
            &[],
            &[
                &["SET", "k", hll, "EX", "100"],
                &["PFADD", "k", &high],
                &["PFADD", "k", &low, &high],
                &["PFADD", "k", &low],
            ],
        );
        assert_eq!(r[1], Reply::err(CORRUPT));
        assert_eq!(r[2], Reply::err(CORRUPT));
        let s = logged(&[
            &["SET", "k", hll],
            &["PFADD", "k", &high],
            &["PFADD", "k", &low, &high],
        ]);
        assert_eq!(s.len(), 2, "{s:?}");
        assert!(s[1].starts_with("SET k HYLL") && s[1].ends_with(" KEEPTTL"));
    }

    #[test]
    fn hll_records() {
        let s = logged(&[
            &["PFADD", "h", "a", "b"],
            &["PFADD", "h", "a"],
            &["PFCOUNT", "h"],
            &["PFCOUNT", "h"],
            &["PFCOUNT", "h", "nope"],
            &["PFADD", "h2"],
            &["PFADD", "h2"],
        ]);
        assert_eq!(s, ["PFADD h a b", "PFCOUNT h", "PFADD h2"]);
        let (_, recs) = check_replay(&[&["PFADD", "a", "x"], &["PFMERGE", "d", "a", "nope"]]);
        assert_eq!(recs.len(), 2);
        let argv = recs[1].argv().unwrap().unwrap();
        assert_eq!(argv[0], b"SET");
        assert_eq!(argv[1], b"d");
        assert!(valid(&argv[2]));
        assert_eq!(argv[3], b"KEEPTTL");
    }
}
