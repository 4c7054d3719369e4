//! A log-linear latency histogram in the manner of HdrHistogram: values
//! (nanoseconds) below 256 are counted exactly; above, each power of two
//! is split into 128 equal sub-buckets, so a bucket is at most 1/128 of
//! its lower bound wide. A percentile is reported as the midpoint of its
//! bucket, clamped to the exact min and max: at most 0.4 % from the true
//! value. Recording is an index computation and one add; histograms from
//! several threads merge by adding counters.

/// log2 of the sub-buckets per power of two.
const SUB_BITS: u32 = 7;
const SUB: u64 = 1 << SUB_BITS;
/// Values below this are their own bucket.
const LINEAR: u64 = 2 * SUB;
/// Enough counters for any u64: the top power of two is 2^63.
const LEN: usize = (LINEAR + (63 - SUB_BITS as u64) * SUB) as usize;

#[derive(Clone)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
    sum: u128,
    min: u64,
    max: u64,
}

fn index(v: u64) -> usize {
    if v < LINEAR {
        return v as usize;
    }
    let msb = 63 - v.leading_zeros() as u64; // >= SUB_BITS + 1
    let shift = msb - SUB_BITS as u64;
    let sub = v >> shift; // in [SUB, 2 * SUB)
    (LINEAR + (shift - 1) * SUB + (sub - SUB)) as usize
}

/// The lowest value and the width of bucket `i`.
fn bucket(i: usize) -> (u64, u64) {
    let i = i as u64;
    if i < LINEAR {
        return (i, 1);
    }
    let k = i - LINEAR;
    let shift = k / SUB + 1;
    let sub = k % SUB + SUB;
    (sub << shift, 1 << shift)
}

impl Default for Histogram {
    fn default() -> Histogram {
        Histogram::new()
    }
}

impl Histogram {
    pub fn new() -> Histogram {
        Histogram {
            counts: vec![0; LEN],
            total: 0,
            sum: 0,
            min: u64::MAX,
            max: 0,
        }
    }

    /// Counts one value.
    #[inline]
    pub fn record(&mut self, v: u64) {
        self.counts[index(v)] += 1;
        self.total += 1;
        self.sum += v as u128;
        self.min = self.min.min(v);
        self.max = self.max.max(v);
    }

    /// Adds every value of `o`.
    pub fn merge(&mut self, o: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&o.counts) {
            *a += *b;
        }
        self.total += o.total;
        self.sum += o.sum;
        self.min = self.min.min(o.min);
        self.max = self.max.max(o.max);
    }

    pub fn count(&self) -> u64 {
        self.total
    }

    /// The exact smallest value (0 when empty).
    pub fn min(&self) -> u64 {
        if self.total == 0 {
            0
        } else {
            self.min
        }
    }

    /// The exact largest value.
    pub fn max(&self) -> u64 {
        self.max
    }

    /// The exact mean (0 when empty).
    pub fn mean(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.sum as f64 / self.total as f64
        }
    }

    /// How many recorded values fall in the buckets up to the one holding
    /// `v` (the cumulative count redis-benchmark prints).
    pub fn count_le(&self, v: u64) -> u64 {
        self.counts[..=index(v)].iter().sum()
    }

    /// The value at percentile `p` (0..=100): the smallest value such that
    /// at least p % of the recorded values are at or below it, within the
    /// bucket resolution (the bucket's midpoint, clamped to min..=max).
    /// 0 when empty.
    pub fn percentile(&self, p: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((p.clamp(0.0, 100.0) / 100.0) * self.total as f64).ceil() as u64;
        let rank = rank.clamp(1, self.total);
        let mut seen = 0u64;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                let (lo, width) = bucket(i);
                return (lo + (width - 1) / 2).clamp(self.min, self.max);
            }
        }
        self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The exact percentile of sorted values, same rank rule.
    fn exact(sorted: &[u64], p: f64) -> u64 {
        let n = sorted.len() as u64;
        let rank = ((p / 100.0) * n as f64).ceil() as u64;
        sorted[(rank.clamp(1, n) - 1) as usize]
    }

    const PS: [f64; 9] = [0.0, 1.0, 10.0, 50.0, 90.0, 95.0, 99.0, 99.9, 100.0];

    fn check(values: &mut [u64]) {
        let mut h = Histogram::new();
        for &v in values.iter() {
            h.record(v);
        }
        values.sort_unstable();
        for p in PS {
            let want = exact(values, p) as f64;
            let got = h.percentile(p) as f64;
            let err = (got - want).abs() / want.max(1.0);
            assert!(err <= 0.01, "p{p}: got {got}, want {want} (error {err})");
        }
        assert_eq!(h.min(), values[0]);
        assert_eq!(h.max(), *values.last().unwrap());
        let mean = values.iter().map(|&v| v as f64).sum::<f64>() / values.len() as f64;
        assert!((h.mean() - mean).abs() < 1e-6 * mean);
    }

    #[test]
    fn uniform_percentiles_within_one_percent() {
        let mut v: Vec<u64> = (1..=1_000_000).collect();
        check(&mut v);
        // p50 of 1..=1e6 is 500000, p99 990000.
        let mut h = Histogram::new();
        for x in 1..=1_000_000u64 {
            h.record(x);
        }
        let p50 = h.percentile(50.0) as f64;
        assert!((p50 - 500_000.0).abs() / 500_000.0 <= 0.01, "{p50}");
        let p99 = h.percentile(99.0) as f64;
        assert!((p99 - 990_000.0).abs() / 990_000.0 <= 0.01, "{p99}");
    }

    #[test]
    fn exponential_percentiles_within_one_percent() {
        // Quantiles of an exponential distribution with a 250 µs mean, in ns.
        let n = 200_000;
        let mut v: Vec<u64> = (1..=n)
            .map(|i| {
                let u = i as f64 / (n + 1) as f64;
                (-(1.0 - u).ln() * 250_000.0) as u64 + 1
            })
            .collect();
        check(&mut v);
        // The analytic p99 of Exp(mean m) is m * ln(100).
        let mut h = Histogram::new();
        for &x in &v {
            h.record(x);
        }
        let want = 250_000.0 * 100f64.ln();
        let got = h.percentile(99.0) as f64;
        assert!((got - want).abs() / want <= 0.01, "{got} vs {want}");
    }

    #[test]
    fn wide_range_and_huge_values() {
        // Log-spaced values from 1 ns to ~1 hour, and u64::MAX.
        let mut v: Vec<u64> = (0..4000)
            .map(|i| (1.01f64).powi(i).min(3.6e12) as u64)
            .collect();
        v.push(u64::MAX);
        check(&mut v);
        assert!(index(u64::MAX) < LEN);
    }

    #[test]
    fn merge_equals_recording_together() {
        let (mut a, mut b, mut all) = (Histogram::new(), Histogram::new(), Histogram::new());
        for x in 0..100_000u64 {
            let v = x * x % 9_999_991 + 17;
            if x % 3 == 0 {
                a.record(v)
            } else {
                b.record(v)
            }
            all.record(v);
        }
        a.merge(&b);
        assert_eq!(a.count(), all.count());
        for p in PS {
            assert_eq!(a.percentile(p), all.percentile(p));
        }
        assert_eq!((a.min(), a.max()), (all.min(), all.max()));
    }

    #[test]
    fn buckets_tile_the_line() {
        // Every bucket starts where the previous one ended, and index()
        // maps both ends of a bucket back to it.
        let mut next = 0u64;
        for i in 0..LEN {
            let (lo, w) = bucket(i);
            assert_eq!(lo, next, "bucket {i}");
            assert_eq!(index(lo), i);
            assert_eq!(index(lo + (w - 1)), i);
            assert!(w == 1 || (w as f64) / (lo as f64) <= 1.0 / SUB as f64);
            next = lo.wrapping_add(w);
        }
        assert_eq!(next, 0, "the last bucket ends at u64::MAX");
    }

    #[test]
    fn empty() {
        let h = Histogram::new();
        assert_eq!(
            (h.count(), h.min(), h.max(), h.percentile(99.0)),
            (0, 0, 0, 0)
        );
        assert_eq!(h.mean(), 0.0);
    }
}
