//! Active expiry: Redis's adaptive cycle. Lazy expiry (on access) alone
//! would leave keys that are never touched again in memory forever, so a
//! background thread runs `cycle` `hz` times a second. Each stripe with keys
//! that have a TTL is scanned from where the last cycle stopped; while more
//! than a quarter of the sampled volatile keys turn out to be expired, the
//! same stripe is sampled again. A cycle stops at its time budget (25% of
//! the cycle period, like Redis's ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC).

use super::{now_ms, Store};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// Volatile keys sampled per round in one stripe (Redis: 20).
const KEYS_PER_LOOP: usize = 20;
/// Buckets visited per round at most, so sparse tables don't stall a round.
const BUCKETS_PER_LOOP: usize = 400;

/// Runs one active expiry cycle over every DB within `budget`; returns the
/// number of keys deleted. `on_expired(db, key)` is called for each one
/// (used for notifications). Each deletion is logged to the WAL; each
/// stripe pass holds the transaction gate shared, like a command, so it
/// never runs inside an EXEC or a snapshot's stripe copy.
pub fn cycle(
    store: &Store,
    gate: &crate::tx::Gate,
    budget: Duration,
    on_expired: &mut dyn FnMut(usize, &[u8]),
) -> usize {
    let start = Instant::now();
    let mut total = 0;
    // Resume where the last cycle ran out of time (Redis's current_db), so
    // busy early stripes cannot starve later ones.
    let per_db = store.dbs[0].nstripes();
    let slots = store.dbs.len() * per_db;
    let first = store.expire_next.load(Ordering::Relaxed) % slots.max(1);
    for n in 0..slots {
        let pos = (first + n) % slots;
        let (dbi, si) = (pos / per_db, pos % per_db);
        let db = &store.dbs[dbi];
        {
            if db.read_stripe(si).volatile == 0 {
                continue;
            }
            loop {
                let _gate = gate.shared();
                let now = now_ms();
                let mut s = db.write_stripe(si);
                let mut sampled = 0;
                let mut expired = 0;
                let mut buckets = 0;
                let (mut ttl_sum, mut ttl_n) = (0u64, 0u64);
                let mut cursor = s.expire_cursor;
                let mut dead: Vec<Vec<u8>> = Vec::new();
                while sampled < KEYS_PER_LOOP && buckets < BUCKETS_PER_LOOP {
                    cursor = s.dict.scan(cursor, |k, e| {
                        if e.expire_at != 0 {
                            sampled += 1;
                            if e.is_expired(now) {
                                expired += 1;
                                dead.push(k.to_vec());
                            } else {
                                ttl_sum += e.expire_at - now;
                                ttl_n += 1;
                            }
                        }
                    });
                    buckets += 1;
                    if cursor == 0 {
                        break;
                    }
                }
                s.expire_cursor = cursor;
                for k in &dead {
                    let h = db.hash(k);
                    s.remove_expired(h, k);
                    on_expired(dbi, k);
                }
                drop(s);
                if let Some(sample) = ttl_sum.checked_div(ttl_n) {
                    // Redis: a running estimate, each sample weighing 2%.
                    let old = db.avg_ttl.load(Ordering::Relaxed);
                    let new = if old == 0 {
                        sample
                    } else {
                        old / 50 * 49 + sample / 50
                    };
                    db.avg_ttl.store(new, Ordering::Relaxed);
                }
                total += dead.len();
                // Repeat this stripe only while it is worth it.
                if sampled == 0 || expired * 4 <= sampled || start.elapsed() >= budget {
                    break;
                }
            }
            if start.elapsed() >= budget {
                store.expire_next.store(pos + 1, Ordering::Relaxed);
                return total;
            }
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Entry, Value};

    #[test]
    fn cycle_reclaims_expired_keys_only() {
        let store = Store::new(1, 8);
        let db = &store.dbs[0];
        for i in 0..1000 {
            let k = format!("k{i}");
            let (mut s, h) = db.write(k.as_bytes());
            // Even keys expired long ago, odd ones live for an hour.
            let at = if i % 2 == 0 { 1 } else { now_ms() + 3_600_000 };
            s.insert(h, k.as_bytes(), Entry::new(Value::str(b"v"), at));
        }
        let mut n = 0;
        for _ in 0..100 {
            n += cycle(
                &store,
                &crate::tx::Gate::default(),
                Duration::from_millis(50),
                &mut |_, _| {},
            );
            if db.len() == 500 {
                break;
            }
        }
        assert_eq!(n, 500);
        assert_eq!(db.len(), 500);
    }
}
