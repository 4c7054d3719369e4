//! Eviction mechanics over the keyspace: the policies, Redis's eviction
//! pool, key sampling, and the deletion of one chosen key. When to evict
//! and how much (the `maxmemory` check, time limits, stats, notifications)
//! is `src/evict.rs`.
//!
//! Redis's approximation, per stripe instead of per dict: each round samples
//! `maxmemory-samples` keys from every DB that has candidates (all keys, or
//! only those with a TTL for the volatile policies), walking consecutive
//! buckets from a random bucket of a random stripe holding such keys, and
//! offers them to a pool of the 16 best candidates seen so far, ranked by
//! idle time (LRU), 255 minus the LFU counter (LFU) or the nearness of the
//! deadline (volatile-ttl). The best candidate still present is evicted.
//! The pool survives between evictions, so each eviction profits from
//! earlier samples.

use super::{rand_u64, Entry, Store};

/// `maxmemory-policy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    NoEviction,
    AllkeysLru,
    VolatileLru,
    AllkeysLfu,
    VolatileLfu,
    AllkeysRandom,
    VolatileRandom,
    VolatileTtl,
}

impl Policy {
    pub const ALL: [Policy; 8] = [
        Policy::NoEviction,
        Policy::AllkeysLru,
        Policy::VolatileLru,
        Policy::AllkeysLfu,
        Policy::VolatileLfu,
        Policy::AllkeysRandom,
        Policy::VolatileRandom,
        Policy::VolatileTtl,
    ];

    /// The policy a `maxmemory-policy` value names (unknown = noeviction;
    /// the config layer only accepts the eight names).
    pub fn parse(s: &str) -> Policy {
        Policy::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(s))
            .unwrap_or(Policy::NoEviction)
    }

    pub fn name(self) -> &'static str {
        match self {
            Policy::NoEviction => "noeviction",
            Policy::AllkeysLru => "allkeys-lru",
            Policy::VolatileLru => "volatile-lru",
            Policy::AllkeysLfu => "allkeys-lfu",
            Policy::VolatileLfu => "volatile-lfu",
            Policy::AllkeysRandom => "allkeys-random",
            Policy::VolatileRandom => "volatile-random",
            Policy::VolatileTtl => "volatile-ttl",
        }
    }

    /// Only keys with a TTL may be evicted.
    pub fn volatile(self) -> bool {
        matches!(
            self,
            Policy::VolatileLru
                | Policy::VolatileLfu
                | Policy::VolatileRandom
                | Policy::VolatileTtl
        )
    }

    /// Accesses feed the LFU counter instead of the LRU clock.
    pub fn lfu(self) -> bool {
        matches!(self, Policy::AllkeysLfu | Policy::VolatileLfu)
    }

    /// Candidates go through the ranked pool (the random policies don't).
    pub fn ranked(self) -> bool {
        !matches!(
            self,
            Policy::NoEviction | Policy::AllkeysRandom | Policy::VolatileRandom
        )
    }

    /// How good a candidate `e` is: higher is evicted first (Redis's
    /// `idle` in evictionPoolPopulate).
    pub fn score(self, e: &Entry) -> u64 {
        match self {
            Policy::AllkeysLfu | Policy::VolatileLfu => 255 - e.lfu_freq() as u64,
            Policy::VolatileTtl => u64::MAX - e.expire_at,
            _ => e.idle_secs() as u64,
        }
    }
}

/// Redis's EVPOOL_SIZE.
pub const POOL_SIZE: usize = 16;

/// One eviction candidate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub score: u64,
    pub db: usize,
    pub key: Vec<u8>,
}

/// Redis's eviction pool: the best candidates sampled so far, ascending by
/// score (the best last), at most `POOL_SIZE`.
#[derive(Default, Debug)]
pub struct Pool {
    slots: Vec<Candidate>,
}

impl Pool {
    /// Offers a sampled key (Redis's insertion rule: when the pool is full
    /// a candidate no better than the worst is dropped, else the worst
    /// makes room). Unlike Redis, a key already in the pool is not added
    /// twice: its entry takes the new score.
    pub fn offer(&mut self, score: u64, db: usize, key: &[u8]) {
        if let Some(i) = self.slots.iter().position(|c| c.db == db && c.key == key) {
            self.slots.remove(i);
        }
        // The first slot whose score is not below ours.
        let k = self.slots.partition_point(|c| c.score < score);
        if self.slots.len() == POOL_SIZE {
            if k == 0 {
                return;
            }
            self.slots.remove(0);
            self.slots.insert(
                k - 1,
                Candidate {
                    score,
                    db,
                    key: key.to_vec(),
                },
            );
        } else {
            self.slots.insert(
                k,
                Candidate {
                    score,
                    db,
                    key: key.to_vec(),
                },
            );
        }
    }

    /// Takes out the best candidate.
    pub fn pop_best(&mut self) -> Option<Candidate> {
        self.slots.pop()
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    pub fn clear(&mut self) {
        self.slots.clear();
    }
}

/// Calls `f` with up to `n` keys of `db` that `policy` may evict, read from
/// consecutive buckets of random stripes holding such keys; returns how
/// many it found (0 only if `db` has none).
pub fn sample(
    store: &Store,
    db: usize,
    policy: Policy,
    n: usize,
    mut f: impl FnMut(&[u8], &Entry),
) -> usize {
    let volatile = policy.volatile();
    let d = &store.dbs[db];
    let nstripes = d.nstripes();
    let mut found = 0;
    if store.usage.stripes_with_keys(db, volatile) == 0 {
        return 0;
    }
    // Random stripes first; then, so that a DB with few keys still yields
    // them, every stripe in turn from a random one.
    let start = rand_u64() as usize;
    for attempt in 0..nstripes + 8 {
        let i = if attempt < 8 {
            rand_u64() as usize % nstripes
        } else {
            (start + attempt) % nstripes
        };
        let s = d.read_stripe(i);
        if s.is_empty() || (volatile && s.volatile == 0) {
            continue;
        }
        s.dict.walk_from(rand_u64() as usize, |k, e| {
            if !volatile || e.expire_at != 0 {
                f(k, e);
                found += 1;
            }
            found < n
        });
        if found >= n {
            break;
        }
    }
    found
}

/// One round of Redis's evictionPoolPopulate over every DB; returns the
/// number of keys sampled (0: nothing is evictable under `policy`).
pub fn populate(store: &Store, policy: Policy, n: usize, pool: &mut Pool) -> usize {
    let mut total = 0;
    for db in 0..store.dbs.len() {
        total += sample(store, db, policy, n, |k, e| {
            pool.offer(policy.score(e), db, k)
        });
    }
    total
}

/// A random key for the random policies, visiting the DBs round-robin from
/// `*next_db` (Redis's static next_db) so every DB gives up keys.
pub fn random_candidate(store: &Store, policy: Policy, next_db: &mut usize) -> Option<Candidate> {
    let ndbs = store.dbs.len();
    for _ in 0..ndbs {
        *next_db = (*next_db + 1) % ndbs;
        let db = *next_db;
        let mut picked = None;
        sample(store, db, policy, 1, |k, _| picked = Some(k.to_vec()));
        if let Some(key) = picked {
            return Some(Candidate { score: 0, db, key });
        }
    }
    None
}

/// Deletes `key` from `db` if it is still there (and, for a volatile
/// `policy`, still has a TTL), logging a `DEL` under the stripe lock like
/// every other delete; returns the removed entry (drop it outside the lock).
pub fn evict_key(store: &Store, db: usize, key: &[u8], policy: Policy) -> Option<Entry> {
    let (mut s, h) = store.dbs[db].write(key);
    let e = s.dict.get(h, key)?;
    if policy.volatile() && e.expire_at == 0 {
        return None;
    }
    let e = s.remove(h, key)?;
    crate::persist::log(db, &[&b"DEL"[..], key]);
    Some(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Entry, Value};

    fn keys(p: &Pool) -> Vec<(u64, String)> {
        p.slots
            .iter()
            .map(|c| (c.score, String::from_utf8_lossy(&c.key).into_owned()))
            .collect()
    }

    #[test]
    fn pool_keeps_the_best_sixteen_in_order() {
        let mut p = Pool::default();
        for i in 0..40u64 {
            // Scores 0..40 in a scrambled order.
            let s = (i * 17) % 40;
            p.offer(s, 0, format!("k{s}").as_bytes());
        }
        assert_eq!(p.len(), POOL_SIZE);
        let want: Vec<(u64, String)> = (24..40).map(|s| (s, format!("k{s}"))).collect();
        assert_eq!(keys(&p), want);
        // No better than the worst of a full pool: not taken.
        p.offer(3, 0, b"low");
        assert_eq!(keys(&p), want);
        // Better than the worst: the worst goes.
        p.offer(30, 1, b"mid");
        assert_eq!(p.len(), POOL_SIZE);
        assert_eq!(p.slots[0].score, 25);
        assert!(p.slots.windows(2).all(|w| w[0].score <= w[1].score));
        // Best first.
        assert_eq!(p.pop_best().unwrap().key, b"k39");
        assert_eq!(p.pop_best().unwrap().key, b"k38");
    }

    #[test]
    fn pool_rescores_a_key_offered_twice() {
        let mut p = Pool::default();
        p.offer(5, 0, b"a");
        p.offer(7, 0, b"b");
        p.offer(9, 0, b"a");
        p.offer(1, 1, b"a"); // another DB: another key
        assert_eq!(
            keys(&p),
            [(1, "a".into()), (7, "b".into()), (9, "a".into())]
        );
        assert_eq!(
            p.pop_best().map(|c| (c.db, c.key)),
            Some((0, b"a".to_vec()))
        );
    }

    #[test]
    fn scores_rank_like_redis() {
        let mut old = Entry::new(Value::str(b"v"), 0);
        old.expire_at = 2_000;
        let mut soon = Entry::new(Value::str(b"v"), 0);
        soon.expire_at = 1_000;
        assert!(Policy::VolatileTtl.score(&soon) > Policy::VolatileTtl.score(&old));
        // LFU: the lower the (decayed) counter, the better the candidate.
        // (Set and read within the same minute: no decay.)
        let minute = (crate::store::lru_clock() / 60) << 8;
        old.set_access_field(minute | 200);
        soon.set_access_field(minute | crate::store::value::LFU_INIT_VAL as u32);
        assert_eq!(Policy::AllkeysLfu.score(&old), 55);
        assert_eq!(Policy::AllkeysLfu.score(&soon), 250);
        // LRU: idle seconds.
        old.set_access_field(crate::store::lru_clock().saturating_sub(100));
        assert!(Policy::AllkeysLru.score(&old) >= 100.min(crate::store::lru_clock() as u64));
        assert_eq!(Policy::parse("ALLKEYS-LRU"), Policy::AllkeysLru);
        assert!(Policy::VolatileTtl.volatile() && Policy::VolatileTtl.ranked());
        assert!(!Policy::AllkeysRandom.ranked() && Policy::VolatileLfu.lfu());
    }

    fn store_with(n: usize, ttl_every: usize) -> Store {
        let store = Store::new(2, 16);
        for i in 0..n {
            let k = format!("k{i}");
            let at = if ttl_every > 0 && i % ttl_every == 0 {
                crate::store::now_ms() + 3_600_000 + i as u64
            } else {
                0
            };
            let (mut s, h) = store.dbs[1].write(k.as_bytes());
            s.insert(h, k.as_bytes(), Entry::new(Value::str(b"v"), at));
        }
        store
    }

    #[test]
    fn sampling_finds_only_eligible_keys() {
        let store = store_with(1000, 50);
        let mut pool = Pool::default();
        // DB 0 is empty; DB 1 holds 20 keys with a TTL among 1000.
        assert_eq!(sample(&store, 0, Policy::AllkeysLru, 5, |_, _| {}), 0);
        assert_eq!(sample(&store, 1, Policy::AllkeysLru, 5, |_, _| {}), 5);
        for _ in 0..50 {
            assert!(populate(&store, Policy::VolatileTtl, 5, &mut pool) > 0);
        }
        // Only volatile keys, and the pool converged on the nearest
        // deadlines (the lowest key numbers).
        let mut best = Vec::new();
        while let Some(c) = pool.pop_best() {
            let (s, h) = store.dbs[c.db].read(&c.key);
            assert_ne!(s.dict.get(h, &c.key).unwrap().expire_at, 0);
            best.push(String::from_utf8(c.key).unwrap());
        }
        assert_eq!(best[0], "k0");
        let plain = store_with(100, 0);
        assert_eq!(populate(&plain, Policy::VolatileLru, 5, &mut pool), 0);
        assert!(random_candidate(&plain, Policy::VolatileRandom, &mut 0).is_none());
        assert_eq!(
            random_candidate(&plain, Policy::AllkeysRandom, &mut 0).map(|c| c.db),
            Some(1)
        );
    }

    #[test]
    fn evict_key_deletes_logs_and_frees() {
        let store = store_with(10, 2);
        let before = store.used_memory();
        assert!(store.usage.stripes_with_keys(1, false) > 0);
        // k1 has no TTL: a volatile policy leaves it.
        assert!(evict_key(&store, 1, b"k1", Policy::VolatileLru).is_none());
        let (e, log) = crate::persist::capture(|| evict_key(&store, 1, b"k1", Policy::AllkeysLru));
        assert!(e.is_some());
        assert!(log.windows(2).any(|w| w == b"k1"));
        assert!(store.used_memory() < before);
        assert!(evict_key(&store, 1, b"k1", Policy::AllkeysLru).is_none());
        for i in 0..10 {
            evict_key(&store, 1, format!("k{i}").as_bytes(), Policy::AllkeysRandom);
        }
        assert_eq!(store.used_memory(), 0);
        assert_eq!(store.usage.stripes_with_keys(1, false), 0);
        assert_eq!(store.usage.stripes_with_keys(1, true), 0);
    }
}
