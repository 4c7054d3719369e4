//! Mutation fuzzing without coverage instrumentation, on the stable
//! toolchain: four targets — the RESP request parser, WAL record decoding
//! with the segment scan, snapshot loading, and Redis's RDB format (DUMP
//! payloads and dump.rdb files) — each with a generator of
//! valid inputs (the seed corpus), a mutator, and a `run` that checks the
//! target's invariants on one input.
//!
//! Shared by two drivers:
//! - `tests/robustness.rs` (part of `make test`): a fixed number of
//!   executions per target from fixed seeds, so every run is identical;
//! - `examples/fuzz.rs` (`make fuzz`): each target for `FUZZ_SECS`
//!   seconds, saving any failing input to `fuzz/crashes/`.
//!
//! A finding is a panic, an `Err` from `run` (a broken invariant: split
//! parsing differs from whole parsing, an error that does not name its file
//! and offset, memory beyond the input's size, ...), an abort (a failed huge
//! allocation) or a hang. Each run also reports "features" of its outcome
//! (which error, which record kind, how a scan ended, size buckets...); an
//! input showing a feature never seen before joins the corpus, so later
//! mutations start from it — a cheap stand-in for coverage feedback.
#![allow(dead_code)]

pub mod parser;
pub mod rdb;
pub mod snapshot;
pub mod wal;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::HashSet;
use std::path::PathBuf;

// ------------------------------------------------------------------ rng

/// xorshift64*: small, fast, and the same sequence everywhere.
#[derive(Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng((seed ^ 0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    /// True once in `n` times on average.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }

    /// Fewer than `max` random bytes.
    pub fn some_bytes(&mut self, max: usize) -> Vec<u8> {
        let n = self.below(max);
        self.bytes(n)
    }
}

/// FNV-1a, for features and crash file names.
pub fn fnv(data: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in data {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// One feature from a tag and a value.
pub fn mix(h: u64, v: u64) -> u64 {
    fnv(&[h.to_le_bytes(), v.to_le_bytes()].concat())
}

/// An error text with its numbers (offsets, lengths, checksums) left out,
/// so errors of one kind are one feature.
pub fn shape(msg: &str) -> u64 {
    let number = |w: &str| {
        w.bytes().any(|b| b.is_ascii_digit())
            || (w.len() >= 6 && w.bytes().all(|b| b.is_ascii_hexdigit()))
    };
    let words: Vec<&str> = msg
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty() && !number(w))
        .take(24)
        .collect();
    fnv(words.join(" ").as_bytes())
}

// ------------------------------------------------------- allocation meter

/// A global allocator that counts, per thread, the bytes the thread holds,
/// so a test can ask how much memory one call needed at its peak (other
/// threads' allocations do not count). Install it in a test or example
/// crate with `#[global_allocator] static A: fuzz::Meter = fuzz::Meter;`.
pub struct Meter;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn grew(n: usize) {
    let _ = LIVE.try_with(|l| {
        let v = l.get() + n as isize;
        l.set(v);
        let _ = PEAK.try_with(|p| {
            if v > p.get() {
                p.set(v)
            }
        });
    });
}

fn shrank(n: usize) {
    let _ = LIVE.try_with(|l| l.set(l.get() - n as isize));
}

// SAFETY: every call is forwarded to `System` unchanged; the bookkeeping
// only touches const-initialised thread-locals without destructors, which
// never allocate.
unsafe impl GlobalAlloc for Meter {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = System.alloc(l);
        if !p.is_null() {
            grew(l.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(l);
        if !p.is_null() {
            grew(l.size());
        }
        p
    }

    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        System.dealloc(p, l);
        shrank(l.size());
    }

    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let q = System.realloc(p, l, new);
        if !q.is_null() {
            // Counted as if old and new were both held for a moment (they
            // are, when realloc moves the block).
            grew(new);
            shrank(l.size());
        }
        q
    }
}

/// Runs `f`; returns its result and the most bytes this thread held on top
/// of what it held when `f` started (0 unless [`Meter`] is the global
/// allocator).
pub fn peak_during<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let base = LIVE.with(|l| l.get());
    let outer = PEAK.with(|p| p.replace(base));
    let r = f();
    let peak = PEAK.with(|p| p.get());
    // Keep an enclosing measurement's peak right.
    PEAK.with(|p| p.set(peak.max(outer)));
    (r, (peak - base).max(0) as usize)
}

/// Err if `f` needed more than `limit` bytes at its peak.
pub fn bounded<R>(what: &str, limit: usize, f: impl FnOnce() -> R) -> Result<R, String> {
    let (r, peak) = peak_during(f);
    if peak > limit {
        return Err(format!(
            "{what} allocated {peak} bytes at its peak, more than the {limit} allowed"
        ));
    }
    Ok(r)
}

// ----------------------------------------------------------- mutation

/// Values that break length fields.
pub const INTERESTING_U64: &[u64] = &[
    0,
    1,
    2,
    7,
    8,
    0x7f,
    0x80,
    0xff,
    0x100,
    0x7fff,
    0xffff,
    0x1_0000,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_fffe,
    0xffff_ffff,
    0x1_0000_0000,
    0x7fff_ffff_ffff_ffff,
    0x8000_0000_0000_0000,
    u64::MAX,
];

/// Overwrites `buf[at..at + width]` (little-endian, clipped at the end).
pub fn put_le(buf: &mut [u8], at: usize, width: usize, v: u64) {
    for (i, b) in v.to_le_bytes().iter().take(width).enumerate() {
        if let Some(x) = buf.get_mut(at + i) {
            *x = *b;
        }
    }
}

/// One to four random edits of `buf`: bit flips, byte sets, inserts,
/// deletes, truncation, duplicated or spliced ranges (from `other`),
/// dictionary tokens, and interesting integers written over 1, 2, 4 or 8
/// bytes. The result is at most `max_len` bytes.
pub fn mutate_bytes(
    rng: &mut Rng,
    buf: &mut Vec<u8>,
    other: &[u8],
    dict: &[&[u8]],
    max_len: usize,
) {
    for _ in 0..1 + rng.below(4) {
        let len = buf.len();
        match rng.below(11) {
            0 if len > 0 => {
                let i = rng.below(len);
                buf[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                buf[i] = *rng.pick(&[0u8, 0xff, 0x7f, 0x80, b'\r', b'\n', b'*', b'$', b'0', b'-']);
            }
            2 if len > 0 => {
                let i = rng.below(len);
                buf[i] = rng.next() as u8;
            }
            3 => {
                let i = rng.below(len + 1);
                let n = 1 + rng.below(8);
                let ins = rng.bytes(n);
                buf.splice(i..i, ins);
            }
            4 if len > 0 => {
                let i = rng.below(len);
                let n = 1 + rng.below((len - i).min(64));
                buf.drain(i..i + n);
            }
            5 => {
                let i = rng.below(len + 1);
                buf.truncate(i);
            }
            6 if len > 0 => {
                // Duplicate a range somewhere else.
                let i = rng.below(len);
                let n = 1 + rng.below((len - i).min(256));
                let chunk = buf[i..i + n].to_vec();
                let at = rng.below(len + 1);
                buf.splice(at..at, chunk);
            }
            7 if !other.is_empty() => {
                // Splice: our head, the other input's tail.
                let i = rng.below(len + 1);
                let j = rng.below(other.len());
                buf.truncate(i);
                buf.extend_from_slice(&other[j..]);
            }
            8 if !dict.is_empty() => {
                let tok = *rng.pick(dict);
                let i = rng.below(len + 1);
                if rng.one_in(2) && i + tok.len() <= len {
                    buf[i..i + tok.len()].copy_from_slice(tok);
                } else {
                    buf.splice(i..i, tok.iter().copied());
                }
            }
            9 if len > 0 => {
                let width = *rng.pick(&[1usize, 2, 4, 8]);
                let i = rng.below(len);
                let mut v = *rng.pick(INTERESTING_U64);
                if rng.one_in(4) {
                    v = v.wrapping_add(rng.below(3) as u64).wrapping_sub(1);
                }
                put_le(buf, i, width, v);
            }
            _ if len > 0 => {
                // Small arithmetic on one byte (lengths off by a few).
                let i = rng.below(len);
                buf[i] = buf[i].wrapping_add(rng.below(9) as u8).wrapping_sub(4);
            }
            _ => buf.push(rng.next() as u8),
        }
    }
    buf.truncate(max_len);
}

// ------------------------------------------------------------- targets

/// One thing to fuzz.
pub trait Target {
    fn name(&self) -> &'static str;
    /// Valid inputs to start from (deterministic for a given `rng`).
    fn seeds(&mut self, rng: &mut Rng) -> Vec<Vec<u8>>;
    /// A new input derived from `base` (`other` is another corpus entry).
    fn mutate(&mut self, rng: &mut Rng, base: &[u8], other: &[u8]) -> Vec<u8>;
    /// Runs one input: features of its outcome, or the invariant it broke.
    /// A panic is a finding too.
    fn run(&mut self, input: &[u8]) -> Result<Features, String>;
}

/// What one run showed (see the module docs).
pub type Features = Vec<u64>;

/// log2 bucket of a size.
pub fn bucket(n: usize) -> u64 {
    (usize::BITS - n.leading_zeros()) as u64
}

pub const TARGETS: [&str; 4] = ["parser", "wal", "snapshot", "rdb"];

pub fn target(name: &str) -> Option<Box<dyn Target>> {
    match name {
        "parser" => Some(Box::new(parser::ParserTarget::new())),
        "wal" => Some(Box::new(wal::WalTarget::new())),
        "snapshot" => Some(Box::new(snapshot::SnapshotTarget::new())),
        "rdb" => Some(Box::new(rdb::RdbTarget::new())),
        _ => None,
    }
}

/// What a fuzzing run found.
#[derive(Default, Debug)]
pub struct Stats {
    pub execs: u64,
    pub corpus: usize,
    /// Distinct features seen.
    pub features: usize,
    /// (input, what went wrong)
    pub findings: Vec<(Vec<u8>, String)>,
}

/// The largest corpus kept (new entries then replace random old ones).
const MAX_CORPUS: usize = 4096;

/// The mutation loop, shared by both drivers. `before` is called with each
/// input just before it runs (the example remembers it for a crash report);
/// `keep_going` is asked after every execution. Panics are caught and
/// reported as findings; the same finding text is reported once.
pub fn fuzz_loop(
    t: &mut dyn Target,
    seed: u64,
    mut before: impl FnMut(&[u8]),
    mut keep_going: impl FnMut(&Stats) -> bool,
) -> Stats {
    let mut rng = Rng::new(seed);
    let mut seen = HashSet::new();
    let mut reported = HashSet::new();
    let mut stats = Stats::default();
    let mut corpus = Vec::new();
    for input in t.seeds(&mut rng) {
        before(&input);
        if let Some(fs) = exec_one(t, &input, &mut stats, &mut reported) {
            seen.extend(fs);
            corpus.push(input);
        }
    }
    while !corpus.is_empty() {
        stats.corpus = corpus.len();
        stats.features = seen.len();
        if !keep_going(&stats) {
            break;
        }
        let base = rng.below(corpus.len());
        let other = rng.below(corpus.len());
        let input = t.mutate(&mut rng, &corpus[base], &corpus[other]);
        before(&input);
        if let Some(fs) = exec_one(t, &input, &mut stats, &mut reported) {
            let mut new = false;
            for f in fs {
                new |= seen.insert(f);
            }
            if new {
                if corpus.len() < MAX_CORPUS {
                    corpus.push(input);
                } else {
                    let i = rng.below(corpus.len());
                    corpus[i] = input;
                }
            }
        }
    }
    stats
}

/// Runs one input, recording a finding (once per kind); its features if
/// it passed.
fn exec_one(
    t: &mut dyn Target,
    input: &[u8],
    stats: &mut Stats,
    reported: &mut HashSet<u64>,
) -> Option<Features> {
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| t.run(input)));
    stats.execs += 1;
    let what = match r {
        Ok(Ok(fs)) => return Some(fs),
        Ok(Err(what)) => what,
        Err(p) => format!("panic: {}", panic_text(&p)),
    };
    if reported.insert(shape(&what)) {
        stats.findings.push((input.to_vec(), what));
    }
    None
}

pub fn panic_text(p: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "(non-text panic)".into()
    }
}

// --------------------------------------------------------------- files

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(0);
        // tmpfs when there is one: the scans fsync what they change.
        let shm = std::path::Path::new("/dev/shm");
        let base = if shm.is_dir() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        let p = base.join(format!(
            "flashdb-fuzz-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
