//! Per-command latency histograms (LATENCY HISTOGRAM, INFO latencystats).
//!
//! The bucket arithmetic is HdrHistogram's with the configuration Redis 7
//! gives every command (values in nanoseconds from 1 to 10^9, two
//! significant figures: 256 sub-buckets per power of two, about 0.4–0.8 %
//! relative resolution), so the same calls give Redis's numbers to the
//! nanosecond. Like Redis, a call is recorded as its duration in whole
//! microseconds times 1000.
//!
//! The counters are atomics, allocated on a command's first recorded call
//! (3072 of them, 24 KiB). Connections batch their records per (command,
//! bucket) and add them here once per batch (`exec::flush_stats`), so the
//! request path adds no contended write per call.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::OnceLock;

/// log2 of the half sub-bucket count (128).
const HALF_MAG: u32 = 7;
const HALF: i64 = 1 << HALF_MAG;
const SUB_COUNT: i64 = 2 * HALF;
const SUB_MASK: i64 = SUB_COUNT - 1;
/// Buckets needed to reach 10^9 with 256 sub-buckets: 256 << 22 > 10^9.
const BUCKETS: usize = 23;
/// Number of counters (Redis's `counts_len`).
pub const COUNTS_LEN: usize = (BUCKETS + 1) << HALF_MAG;
/// What Redis clamps a recorded value to (LATENCY_HISTOGRAM_{MIN,MAX}_VALUE).
const MIN_NS: u64 = 1;
const MAX_NS: u64 = 1_000_000_000;

fn bucket_index(v: i64) -> i64 {
    // The smallest power of two containing the value, minus the sub-bucket bits.
    (64 - (v | SUB_MASK).leading_zeros() as i64) - (HALF_MAG as i64 + 1)
}

fn sub_bucket_index(v: i64, bucket: i64) -> i64 {
    v >> bucket
}

/// The counter a value (in ns) is recorded in.
fn counts_index(v: i64) -> usize {
    let b = bucket_index(v);
    let sb = sub_bucket_index(v, b);
    (((b + 1) << HALF_MAG) + (sb - HALF)) as usize
}

/// The lowest value a counter stands for (`hdr_value_at_index`).
fn value_at_index(i: usize) -> i64 {
    let i = i as i64;
    let mut b = (i >> HALF_MAG) - 1;
    let mut sb = (i & (HALF - 1)) + HALF;
    if b < 0 {
        sb -= HALF;
        b = 0;
    }
    sb << b
}

fn size_of_range(v: i64) -> i64 {
    let b = bucket_index(v);
    let sb = sub_bucket_index(v, b);
    let adjusted = if sb >= SUB_COUNT { b + 1 } else { b };
    1 << adjusted
}

fn lowest_equivalent(v: i64) -> i64 {
    let b = bucket_index(v);
    sub_bucket_index(v, b) << b
}

fn highest_equivalent(v: i64) -> i64 {
    lowest_equivalent(v) + size_of_range(v) - 1
}

/// The counter a call of `us` microseconds is recorded in (Redis records
/// `us * 1000` ns, clamped to 1 ns ..= 1 s).
pub fn index_for_us(us: u64) -> usize {
    counts_index(us.saturating_mul(1000).clamp(MIN_NS, MAX_NS) as i64)
}

/// One command's histogram; no memory until its first record.
#[derive(Default)]
pub struct Histogram {
    counts: OnceLock<Box<[AtomicU64]>>,
}

impl Histogram {
    /// Adds `n` calls to counter `idx` (from [`index_for_us`]).
    pub fn add(&self, idx: usize, n: u64) {
        let c = self
            .counts
            .get_or_init(|| (0..COUNTS_LEN).map(|_| AtomicU64::new(0)).collect());
        c[idx.min(COUNTS_LEN - 1)].fetch_add(n, Relaxed);
    }

    /// The counts now, or None when nothing was recorded (Redis then has
    /// no histogram for the command at all).
    pub fn snapshot(&self) -> Option<Snapshot> {
        let c = self.counts.get()?;
        let counts: Vec<u64> = c.iter().map(|x| x.load(Relaxed)).collect();
        let total = counts.iter().sum();
        (total > 0).then_some(Snapshot { counts, total })
    }

    /// CONFIG RESETSTAT.
    pub fn reset(&self) {
        if let Some(c) = self.counts.get() {
            for x in c.iter() {
                x.store(0, Relaxed);
            }
        }
    }
}

/// A histogram's counts at one moment (read by INFO and LATENCY).
pub struct Snapshot {
    counts: Vec<u64>,
    pub total: u64,
}

impl Snapshot {
    /// Adds `other`'s counts to this one (all commands together).
    pub fn merge(&mut self, other: &Snapshot) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.total += other.total;
    }

    /// What was recorded since `prev` (a later snapshot minus an earlier
    /// one of the same histogram); None when nothing was.
    pub fn since(&self, prev: &Snapshot) -> Option<Snapshot> {
        let counts: Vec<u64> = self
            .counts
            .iter()
            .zip(&prev.counts)
            .map(|(a, b)| a.saturating_sub(*b))
            .collect();
        let total = counts.iter().sum();
        (total > 0).then_some(Snapshot { counts, total })
    }

    /// `hdr_value_at_percentile` as Redis 7.0 ships it, in ns: the highest
    /// value equivalent to the first counter reaching the percentile's
    /// count (the lowest for the 0th percentile).
    pub fn value_at_percentile(&self, percentile: f64) -> i64 {
        let p = percentile.min(100.0);
        let want = (((p / 100.0) * self.total as f64) + 0.5) as u64;
        let want = want.max(1);
        let mut sum = 0;
        let mut value = 0;
        for (i, &n) in self.counts.iter().enumerate() {
            sum += n;
            if sum >= want {
                value = value_at_index(i);
                break;
            }
        }
        if percentile == 0.0 {
            lowest_equivalent(value)
        } else {
            highest_equivalent(value)
        }
    }

    /// LATENCY HISTOGRAM's `histogram_usec`: Redis's logarithmic iteration
    /// (first bucket 1024 ns, base 2) as (upper bound in µs, cumulative
    /// count) pairs, one per step where the count grew.
    pub fn cumulative_usec(&self) -> Vec<(i64, u64)> {
        let mut out = Vec::new();
        let (mut level, mut idx, mut cum) = (1024i64, 0usize, 0u64);
        let mut prev = 0;
        while cum < self.total || idx == 0 {
            // The iterator stops at the first counter standing for a value
            // at or above the reporting level, that counter included.
            let stop = counts_index(lowest_equivalent(level));
            let last = stop.min(COUNTS_LEN - 1);
            while idx <= last {
                cum += self.counts[idx];
                idx += 1;
            }
            let high = highest_equivalent(value_at_index(last));
            if cum > prev {
                out.push((high / 1000, cum));
            }
            prev = cum;
            if stop >= COUNTS_LEN {
                break;
            }
            level *= 2;
        }
        out
    }
}

/// Prometheus bucket bounds for the command histograms: 4^k µs, 1 µs to
/// 1 048 576 µs (the histograms clamp at 1 s; `le="+Inf"` follows).
pub const PROM_BOUNDS_US: [u64; 11] = [
    1, 4, 16, 64, 256, 1024, 4096, 16_384, 65_536, 262_144, 1_048_576,
];

impl Snapshot {
    /// Cumulative counts at each bound (µs), for a Prometheus histogram:
    /// calls in every counter whose range starts at or below the bound.
    /// Exact up to 128 µs; above, a bound can take in calls up to one
    /// counter width (under 0.8 %) above it.
    pub fn cumulative_at_us(&self, bounds_us: &[u64]) -> Vec<u64> {
        let mut out = Vec::with_capacity(bounds_us.len());
        let (mut idx, mut cum) = (0usize, 0u64);
        for &b in bounds_us {
            let limit = b.saturating_mul(1000).min(i64::MAX as u64) as i64;
            while idx < self.counts.len() && value_at_index(idx) <= limit {
                cum += self.counts[idx];
                idx += 1;
            }
            out.push(cum);
        }
        out
    }
}

/// Buckets of [`Pow4`]: 4^k µs for k = 0..=12 (1 µs to 16.8 s), then
/// the overflow.
pub const POW4_BUCKETS: usize = 13;

/// A small lock-free histogram with fixed 4^k µs bounds, cheap enough
/// for a hot path (two relaxed atomic adds a record): WAL fsyncs.
#[derive(Default)]
pub struct Pow4 {
    counts: [AtomicU64; POW4_BUCKETS + 1],
    sum_ns: AtomicU64,
}

/// The bucket of a duration of `us` µs: the smallest k with us ≤ 4^k,
/// or [`POW4_BUCKETS`] beyond the last bound.
pub fn pow4_index(us: u64) -> usize {
    if us <= 1 {
        return 0;
    }
    let log2_ceil = 64 - (us - 1).leading_zeros() as usize;
    log2_ceil.div_ceil(2).min(POW4_BUCKETS)
}

/// The bound of bucket `k` in µs (4^k).
pub fn pow4_bound_us(k: usize) -> u64 {
    1u64 << (2 * k)
}

/// A [`Pow4`] at one moment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pow4Snapshot {
    /// Per bucket (not cumulative); the last is the overflow.
    pub counts: [u64; POW4_BUCKETS + 1],
    pub sum_ns: u64,
}

impl Pow4 {
    pub fn record(&self, d: std::time::Duration) {
        let us = d.as_micros().min(u64::MAX as u128) as u64;
        self.counts[pow4_index(us)].fetch_add(1, Relaxed);
        let ns = d.as_nanos().min(u64::MAX as u128) as u64;
        self.sum_ns.fetch_add(ns, Relaxed);
    }

    pub fn snapshot(&self) -> Pow4Snapshot {
        let mut s = Pow4Snapshot {
            sum_ns: self.sum_ns.load(Relaxed),
            ..Default::default()
        };
        for (o, c) in s.counts.iter_mut().zip(&self.counts) {
            *o = c.load(Relaxed);
        }
        s
    }
}

impl Pow4Snapshot {
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(us: &[u64]) -> Snapshot {
        let h = Histogram::default();
        for &u in us {
            h.add(index_for_us(u), 1);
        }
        h.snapshot().unwrap()
    }

    #[test]
    fn layout_matches_redis() {
        assert_eq!(COUNTS_LEN, 3072);
        // 17 µs → 16896..=17023 ns (Redis: p50=17.023).
        let s = snap(&[17]);
        assert_eq!(s.value_at_percentile(50.0), 17_023);
        // 8 µs: lowest 8000 for p0, highest 8031 otherwise.
        let s = snap(&[8]);
        assert_eq!(s.value_at_percentile(0.0), 8000);
        assert_eq!(s.value_at_percentile(12.5), 8031);
        // 35 µs: 34816..=35071.
        let s = snap(&[35]);
        assert_eq!(s.value_at_percentile(0.0), 34_816);
        assert_eq!(s.value_at_percentile(99.9), 35_071);
        // Below 256 ns every value is exact; 0 µs is recorded as 1 ns.
        assert_eq!(snap(&[0]).value_at_percentile(50.0), 1);
    }

    #[test]
    fn percentiles_pick_the_right_counter() {
        let mut v = vec![10u64; 98];
        v.extend([1000, 2000]);
        let s = snap(&v);
        assert_eq!(s.value_at_percentile(50.0), highest_equivalent(10_000));
        assert_eq!(s.value_at_percentile(99.0), highest_equivalent(1_000_000));
        assert_eq!(s.value_at_percentile(100.0), highest_equivalent(2_000_000));
        assert_eq!(s.value_at_percentile(150.0), highest_equivalent(2_000_000));
    }

    #[test]
    fn cumulative_steps_like_redis() {
        // Redis: a 33 µs-ish call shows as `33 => 1`; bounds run 1, 2, 4,
        // 8, 16, 33, 66, 132, ... µs.
        assert_eq!(snap(&[20]).cumulative_usec(), vec![(33, 1)]);
        assert_eq!(snap(&[1]).cumulative_usec(), vec![(1, 1)]);
        assert_eq!(snap(&[0]).cumulative_usec(), vec![(1, 1)]);
        assert_eq!(
            snap(&[1, 1, 3, 100, 100]).cumulative_usec(),
            vec![(1, 2), (4, 3), (132, 5)]
        );
        // Past the largest trackable value: one last step at its bound.
        assert_eq!(snap(&[5_000_000]).cumulative_usec(), vec![(1_073_741, 1)]);
        assert_eq!(snap(&[600_000]).cumulative_usec(), vec![(1_073_741, 1)]);
    }

    #[test]
    fn reset_and_empty() {
        let h = Histogram::default();
        assert!(h.snapshot().is_none());
        h.add(index_for_us(5), 3);
        assert_eq!(h.snapshot().unwrap().total, 3);
        h.reset();
        assert!(h.snapshot().is_none());
    }

    #[test]
    fn prometheus_buckets_are_cumulative() {
        let s = snap(&[0, 1, 3, 4, 5, 100, 2_000_000]);
        let c = s.cumulative_at_us(&PROM_BOUNDS_US);
        // le=1: 0 and 1 µs; le=4: + 3, 4; le=16: + 5; le=256: + 100;
        // the 2 s call is clamped to 1 s: in the last bound.
        assert_eq!(c, vec![2, 4, 5, 5, 6, 6, 6, 6, 6, 6, 7]);
        assert_eq!(*c.last().unwrap(), s.total);
    }

    #[test]
    fn pow4_buckets() {
        assert_eq!(pow4_index(0), 0);
        assert_eq!(pow4_index(1), 0);
        assert_eq!(pow4_index(2), 1);
        assert_eq!(pow4_index(4), 1);
        assert_eq!(pow4_index(5), 2);
        assert_eq!(pow4_index(16), 2);
        assert_eq!(pow4_index(17), 3);
        assert_eq!(pow4_index(pow4_bound_us(12)), 12);
        assert_eq!(pow4_index(pow4_bound_us(12) + 1), POW4_BUCKETS);
        assert_eq!(pow4_index(u64::MAX), POW4_BUCKETS);
        let h = Pow4::default();
        h.record(std::time::Duration::from_micros(3));
        h.record(std::time::Duration::from_secs(100));
        let s = h.snapshot();
        assert_eq!(s.counts[1], 1);
        assert_eq!(s.counts[POW4_BUCKETS], 1);
        assert_eq!(s.total(), 2);
        assert_eq!(s.sum_ns, 100_000_003_000);
    }
}
