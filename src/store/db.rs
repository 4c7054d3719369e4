//! Logical databases and their stripes.
//!
//! A key's stripe comes from a keyed hash (SipHash-2-4, siphash.rs), so
//! clients cannot choose keys that pile into one stripe. The same hash,
//! computed once, also picks the bucket inside the stripe's `Dict`. The keys
//! are random on a first start and then kept in every snapshot, so a key
//! stays in the same stripe across restarts (recovery depends on it).
//! Every DB uses the same hasher: a key has the same stripe index in each.

use super::dict::Dict;
use super::siphash::KeyHasher;
use super::value::{entry_node_size, Entry, Value};
use super::{count_expired, CompactBytes};
use crate::pubsub::{notify, notifying, NOTIFY_EXPIRED, NOTIFY_GENERIC, NOTIFY_NEW};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Memory counter shards (a stripe reports to shard `index % MEM_SHARDS`):
/// few enough to sum on every command under `maxmemory`, enough that
/// writers on different stripes rarely share a cache line.
const MEM_SHARDS: usize = 16;

#[repr(align(64))]
#[derive(Default)]
struct Padded(AtomicU64);

/// What the stripes of a store report as they change, so the totals can be
/// read without locking every stripe: the bytes used (what `maxmemory` is
/// compared with on every command) and, per DB, how many stripes hold keys
/// and keys with a TTL (so eviction skips DBs with nothing to evict).
pub struct Usage {
    /// Bytes, as wrapping sums of signed deltas.
    mem: [Padded; MEM_SHARDS],
    keyed: Box<[AtomicUsize]>,
    volatile: Box<[AtomicUsize]>,
}

impl Usage {
    fn new(databases: usize) -> Usage {
        Usage {
            mem: Default::default(),
            keyed: (0..databases).map(|_| AtomicUsize::new(0)).collect(),
            volatile: (0..databases).map(|_| AtomicUsize::new(0)).collect(),
        }
    }

    /// Bytes used by every stripe's keys, values and tables.
    pub fn used_memory(&self) -> usize {
        self.mem
            .iter()
            .fold(0u64, |t, s| t.wrapping_add(s.0.load(Relaxed))) as usize
    }

    /// Stripes of `db` holding keys (`volatile`: keys with a TTL).
    pub fn stripes_with_keys(&self, db: usize, volatile: bool) -> usize {
        let v = if volatile {
            &self.volatile
        } else {
            &self.keyed
        };
        v.get(db).map_or(0, |a| a.load(Relaxed))
    }
}

/// One stripe: a hash table plus the counters that must change with it.
pub struct Stripe {
    pub dict: Dict<Entry>,
    /// Keys in this stripe with a TTL.
    pub volatile: usize,
    /// Approximate bytes used by this stripe's keys and values.
    pub mem: usize,
    /// Where the active expiry cycle continues its scan.
    pub expire_cursor: u64,
    /// The DB this stripe belongs to (for the WAL records it writes itself).
    pub db: usize,
    /// Its index in the DB (the same for a key in every DB).
    index: usize,
    usage: Arc<Usage>,
    /// What this stripe last reported to `usage`: bytes, holds keys, holds
    /// keys with a TTL.
    reported: (usize, bool, bool),
}

impl Stripe {
    fn new(hasher: KeyHasher, db: usize, index: usize, usage: Arc<Usage>) -> Stripe {
        Stripe {
            dict: Dict::new(hasher),
            volatile: 0,
            mem: 0,
            expire_cursor: 0,
            db,
            index,
            usage,
            reported: (0, false, false),
        }
    }

    /// Bytes this stripe accounts for: its entries (`mem`) plus its table.
    pub fn bytes(&self) -> usize {
        self.mem + self.dict.overhead_bytes() - self.dict.len() * entry_node_size()
    }

    /// Reports what changed since the last report to the store's `Usage`
    /// (every method that changes the stripe ends with this).
    fn account(&mut self) {
        let now = (self.bytes(), !self.dict.is_empty(), self.volatile > 0);
        if now == self.reported {
            return;
        }
        let (was, u) = (self.reported, &*self.usage);
        if now.0 != was.0 {
            u.mem[self.index % MEM_SHARDS]
                .0
                .fetch_add((now.0 as u64).wrapping_sub(was.0 as u64), Relaxed);
        }
        for (on, before, counter) in [(now.1, was.1, &u.keyed), (now.2, was.2, &u.volatile)] {
            if on != before {
                if on {
                    counter[self.db].fetch_add(1, Relaxed);
                } else {
                    counter[self.db].fetch_sub(1, Relaxed);
                }
            }
        }
        self.reported = now;
    }

    /// Takes back everything this stripe reported (before its contents move
    /// to another DB, SWAPDB).
    fn withdraw(&mut self) {
        let (bytes, keyed, volatile) = std::mem::take(&mut self.reported);
        let u = &*self.usage;
        u.mem[self.index % MEM_SHARDS]
            .0
            .fetch_sub(bytes as u64, Relaxed);
        if keyed {
            u.keyed[self.db].fetch_sub(1, Relaxed);
        }
        if volatile {
            u.volatile[self.db].fetch_sub(1, Relaxed);
        }
    }

    fn cost(key: &CompactBytes, e: &Entry) -> usize {
        entry_node_size() + key.heap_size() + e.heap_size()
    }

    /// The live entry for `key`, or None (absent or expired; an expired key
    /// is left for a writer or the expiry cycle to delete). Records the
    /// access, like Redis's lookupKeyRead.
    pub fn get(&self, h: u64, key: &[u8], now: u64) -> Option<&Entry> {
        let e = self.peek(h, key, now)?;
        e.touch();
        Some(e)
    }

    /// Like `get` without recording an access (Redis's LOOKUP_NOTOUCH: TYPE,
    /// EXISTS, TTL, OBJECT).
    pub fn peek(&self, h: u64, key: &[u8], now: u64) -> Option<&Entry> {
        self.dict.get(h, key).filter(|e| !e.is_expired(now))
    }

    /// The live entry for `key`, deleting it first if it has expired;
    /// records the access.
    pub fn get_mut(&mut self, h: u64, key: &[u8], now: u64) -> Option<&mut Entry> {
        self.expire_if_needed(h, key, now);
        let e = self.dict.get_mut(h, key)?;
        e.touch();
        Some(e)
    }

    /// Deletes `key` if its TTL has passed (logging the deletion); returns
    /// true if it did.
    pub fn expire_if_needed(&mut self, h: u64, key: &[u8], now: u64) -> bool {
        let expired = matches!(self.dict.get(h, key), Some(e) if e.is_expired(now));
        if expired {
            self.remove_expired(h, key);
        }
        expired
    }

    /// Deletes a key whose TTL has passed and logs the deletion, so replay
    /// (which runs with the clock stopped) deletes it at the same point;
    /// fires the `expired` notification (class x).
    pub fn remove_expired(&mut self, h: u64, key: &[u8]) {
        if self.remove(h, key).is_some() {
            crate::persist::log(self.db, &[&b"DEL"[..], key]);
            count_expired(1);
            notify(NOTIFY_EXPIRED, "expired", key, self.db);
            crate::tracking::invalidate_key(key);
        }
    }

    /// Inserts or replaces `key`; returns the previous entry. A previous
    /// entry whose TTL has passed is expired first (and None returned), as
    /// Redis's `setKey` does through its write lookup; a key that was not
    /// there fires `new` (class n, Redis's `dbAdd`).
    pub fn insert(&mut self, h: u64, key: &[u8], e: Entry) -> Option<Entry> {
        self.put(h, key, e, true)
    }

    /// Inserts or replaces `key` as loaded from a snapshot: no expiry, no
    /// notification (Redis's `dbAddRDBLoad`); returns the previous entry.
    pub fn insert_loaded(&mut self, h: u64, key: &[u8], e: Entry) -> Option<Entry> {
        self.put(h, key, e, false)
    }

    /// `insert` (`command`) or `insert_loaded`, with one table lookup.
    fn put(&mut self, h: u64, key: &[u8], e: Entry, command: bool) -> Option<Entry> {
        let add = e.heap_size();
        let expired = match self.dict.get_mut(h, key) {
            Some(slot) if !(command && slot.is_expired_now()) => {
                // Overwrite in place: the key and its node stay.
                let old = std::mem::replace(slot, e);
                self.mem = (self.mem + add).saturating_sub(old.heap_size());
                match (old.expire_at != 0, slot.expire_at != 0) {
                    (false, true) => self.volatile += 1,
                    (true, false) => self.volatile -= 1,
                    _ => {}
                }
                self.account();
                return Some(old);
            }
            found => found.is_some(),
        };
        if expired {
            self.remove_expired(h, key);
        }
        if e.expire_at != 0 {
            self.volatile += 1;
        }
        let ck = CompactBytes::new(key);
        self.mem += entry_node_size() + ck.heap_size() + add;
        self.dict.insert_new(h, ck, e);
        self.account();
        if command {
            notify(NOTIFY_NEW, "new", key, self.db);
        }
        None
    }

    pub fn remove(&mut self, h: u64, key: &[u8]) -> Option<Entry> {
        let (k, e) = self.dict.remove(h, key)?;
        self.mem = self.mem.saturating_sub(Stripe::cost(&k, &e));
        if e.expire_at != 0 {
            self.volatile -= 1;
        }
        self.account();
        Some(e)
    }

    /// Sets or clears (0) the TTL of an existing key; returns false if absent.
    pub fn set_expire(&mut self, h: u64, key: &[u8], at: u64) -> bool {
        match self.dict.get_mut(h, key) {
            Some(e) => {
                match (e.expire_at != 0, at != 0) {
                    (false, true) => self.volatile += 1,
                    (true, false) => self.volatile -= 1,
                    _ => {}
                }
                e.expire_at = at;
                self.account();
                true
            }
            None => false,
        }
    }

    /// Runs `f` on the live value of `key` in place (expired = absent):
    /// keeps the memory accounting exact and deletes the key when `f`
    /// leaves a collection empty (Redis never keeps an empty collection).
    /// None if the key is absent.
    pub fn modify<R>(
        &mut self,
        h: u64,
        key: &[u8],
        now: u64,
        f: impl FnOnce(&mut Value) -> R,
    ) -> Option<R> {
        let e = self.get_mut(h, key, now)?;
        let before = e.heap_size();
        let r = f(&mut e.value);
        let (after, empty) = (e.heap_size(), e.value.is_empty_collection());
        self.adjust_mem(before, after);
        if empty {
            self.remove(h, key);
        }
        Some(r)
    }

    /// Fires Redis's `del` (class g) if `key` is gone: call it after a
    /// write to a key that existed, once the command's own event is sent,
    /// for the collection `modify` deleted when the write emptied it.
    pub fn notify_if_deleted(&self, h: u64, key: &[u8]) {
        if notifying(NOTIFY_GENERIC) && self.dict.get(h, key).is_none() {
            notify(NOTIFY_GENERIC, "del", key, self.db);
        }
    }

    /// Accounts for a value that changed size in place.
    pub fn adjust_mem(&mut self, before: usize, after: usize) {
        self.mem = (self.mem + after).saturating_sub(before);
        self.account();
    }

    /// Empties the stripe, returning the old table so it can be dropped
    /// outside the lock.
    pub fn clear(&mut self) -> Dict<Entry> {
        self.volatile = 0;
        self.mem = 0;
        self.expire_cursor = 0;
        let old = self.dict.take();
        self.account();
        old
    }

    pub fn len(&self) -> usize {
        self.dict.len()
    }

    pub fn is_empty(&self) -> bool {
        self.dict.is_empty()
    }
}

fn rlock(l: &RwLock<Stripe>) -> RwLockReadGuard<'_, Stripe> {
    // A panic inside a command is caught per command; the stripe's data is
    // still consistent at the point a handler can panic, so ignore poison.
    l.read().unwrap_or_else(|e| e.into_inner())
}

fn wlock(l: &RwLock<Stripe>) -> RwLockWriteGuard<'_, Stripe> {
    l.write().unwrap_or_else(|e| e.into_inner())
}

/// One logical database (SELECT n).
pub struct Db {
    stripes: Box<[RwLock<Stripe>]>,
    hasher: KeyHasher,
    mask: usize,
    /// Estimated average remaining TTL in ms of keys with one (INFO
    /// keyspace `avg_ttl`), updated from the active expiry cycle's samples
    /// the way Redis does.
    pub avg_ttl: std::sync::atomic::AtomicU64,
}

impl Db {
    fn new(index: usize, nstripes: usize, hasher: KeyHasher, usage: &Arc<Usage>) -> Db {
        let n = nstripes.max(1).next_power_of_two();
        Db {
            stripes: (0..n)
                .map(|i| RwLock::new(Stripe::new(hasher, index, i, usage.clone())))
                .collect(),
            hasher,
            mask: n - 1,
            avg_ttl: std::sync::atomic::AtomicU64::new(0),
        }
    }

    pub fn hash(&self, key: &[u8]) -> u64 {
        self.hasher.hash_one(key)
    }

    /// The stripe index for a hash: the high bits, so the low bits left for
    /// the bucket index stay independent.
    pub fn stripe_index(&self, h: u64) -> usize {
        (h >> 40) as usize & self.mask
    }

    pub fn nstripes(&self) -> usize {
        self.stripes.len()
    }

    /// Read-locks the stripe of `key`; returns the guard and the key's hash.
    pub fn read(&self, key: &[u8]) -> (RwLockReadGuard<'_, Stripe>, u64) {
        let h = self.hash(key);
        (rlock(&self.stripes[self.stripe_index(h)]), h)
    }

    /// Write-locks the stripe of `key`; returns the guard and the key's hash.
    pub fn write(&self, key: &[u8]) -> (RwLockWriteGuard<'_, Stripe>, u64) {
        let h = self.hash(key);
        (wlock(&self.stripes[self.stripe_index(h)]), h)
    }

    pub fn read_stripe(&self, i: usize) -> RwLockReadGuard<'_, Stripe> {
        rlock(&self.stripes[i])
    }

    pub fn write_stripe(&self, i: usize) -> RwLockWriteGuard<'_, Stripe> {
        wlock(&self.stripes[i])
    }

    /// Number of keys (including expired ones not yet reclaimed, like Redis).
    pub fn len(&self) -> usize {
        self.stripes.iter().map(|s| rlock(s).len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// (keys, keys with a TTL, bytes) summed over the stripes.
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut t = (0, 0, 0);
        for s in self.stripes.iter() {
            let g = rlock(s);
            t.0 += g.len();
            t.1 += g.volatile;
            t.2 += g.bytes();
        }
        t
    }

    /// Removes every key; returns the old tables (drop them where convenient).
    pub fn flush(&self) -> Vec<Dict<Entry>> {
        self.avg_ttl.store(0, std::sync::atomic::Ordering::Relaxed);
        self.stripes.iter().map(|s| wlock(s).clear()).collect()
    }

    /// One SCAN step over the whole DB. The cursor packs the position inside
    /// a stripe's table above the stripe index. Calls `f` for each live key
    /// visited; stops after visiting at least `count` keys (or the end).
    /// Returns the next cursor, 0 when done.
    pub fn scan(
        &self,
        cursor: u64,
        count: usize,
        now: u64,
        mut f: impl FnMut(&CompactBytes, &Entry),
    ) -> u64 {
        let bits = self.stripes.len().trailing_zeros();
        let mut stripe = (cursor & self.mask as u64) as usize;
        let mut inner = cursor >> bits;
        if stripe >= self.stripes.len() {
            return 0;
        }
        let mut visited = 0usize;
        let mut steps = 0usize;
        loop {
            {
                let g = rlock(&self.stripes[stripe]);
                // An empty stripe costs no step: a small DB is then covered
                // by one call, like Redis's single table.
                if g.dict.is_empty() {
                    inner = 0;
                } else {
                    loop {
                        inner = g.dict.scan(inner, |k, e| {
                            visited += 1;
                            if !e.is_expired(now) {
                                f(k, e);
                            }
                        });
                        steps += 1;
                        if inner == 0 || visited >= count || steps >= count * 10 {
                            break;
                        }
                    }
                }
            }
            if inner == 0 {
                stripe += 1;
                if stripe >= self.stripes.len() {
                    return 0;
                }
            }
            if visited >= count || steps >= count * 10 {
                return (inner << bits) | stripe as u64;
            }
        }
    }

    /// A random live key, or None if the DB is empty.
    pub fn random_key(&self, now: u64) -> Option<Vec<u8>> {
        let n = self.stripes.len();
        let start = (super::rand_u64() as usize) & self.mask;
        // Try random stripes first, then walk them all so an almost empty DB
        // still finds its keys.
        for attempt in 0..(n * 2) {
            let i = if attempt < n {
                (super::rand_u64() as usize) & self.mask
            } else {
                (start + attempt) & self.mask
            };
            let g = rlock(&self.stripes[i]);
            if g.is_empty() {
                continue;
            }
            for _ in 0..16 {
                if let Some((k, e)) = g.dict.random(&mut super::rand_u64) {
                    if !e.is_expired(now) {
                        return Some(k.to_vec());
                    }
                }
            }
            let found = g
                .dict
                .iter()
                .find(|(_, e)| !e.is_expired(now))
                .map(|(k, _)| k.to_vec());
            if found.is_some() {
                return found;
            }
        }
        None
    }
}

/// A set of stripes, possibly from several DBs, locked together in
/// ascending (db, stripe) order.
pub struct Locked<'a> {
    slots: Vec<(usize, usize, Guard<'a>)>,
}

enum Guard<'a> {
    R(RwLockReadGuard<'a, Stripe>),
    W(RwLockWriteGuard<'a, Stripe>),
}

impl Locked<'_> {
    fn find(&self, db: usize, stripe: usize) -> usize {
        self.slots
            .iter()
            .position(|(d, s, _)| *d == db && *s == stripe)
            .expect("key's stripe was locked by Store::lock")
    }

    /// The locked stripe holding `key` in `db`, and the key's hash.
    pub fn stripe(&self, store: &Store, db: usize, key: &[u8]) -> (&Stripe, u64) {
        let d = &store.dbs[db];
        let h = d.hash(key);
        let i = self.find(db, d.stripe_index(h));
        match &self.slots[i].2 {
            Guard::R(g) => (g, h),
            Guard::W(g) => (g, h),
        }
    }

    /// Like `stripe`, mutable; panics if the set was locked for reading.
    pub fn stripe_mut(&mut self, store: &Store, db: usize, key: &[u8]) -> (&mut Stripe, u64) {
        let d = &store.dbs[db];
        let h = d.hash(key);
        let i = self.find(db, d.stripe_index(h));
        match &mut self.slots[i].2 {
            Guard::W(g) => (g, h),
            Guard::R(_) => panic!("stripe_mut on a read-locked set"),
        }
    }
}

/// Exchanges the contents of two stripes (each keeps its DB and index).
pub fn swap_stripes(x: &mut Stripe, y: &mut Stripe) {
    x.withdraw();
    y.withdraw();
    std::mem::swap(x, y);
    std::mem::swap(&mut x.db, &mut y.db);
    std::mem::swap(&mut x.index, &mut y.index);
    x.account();
    y.account();
}

/// All the databases.
pub struct Store {
    pub dbs: Vec<Db>,
    hasher: KeyHasher,
    /// Where the next active expiry cycle starts: db * stripes + stripe.
    pub expire_next: std::sync::atomic::AtomicUsize,
    /// Totals the stripes report (memory, which DBs hold keys).
    pub usage: Arc<Usage>,
}

impl Store {
    /// An empty store with fresh random hash keys.
    pub fn new(databases: usize, stripes: usize) -> Store {
        Store::with_hasher(databases, stripes, KeyHasher::random())
    }

    /// An empty store hashing keys with `hasher` (recovery passes the one
    /// the snapshot was taken with). `stripes` is rounded up to a power of two.
    pub fn with_hasher(databases: usize, stripes: usize, hasher: KeyHasher) -> Store {
        let usage = Arc::new(Usage::new(databases.max(1)));
        Store {
            dbs: (0..databases.max(1))
                .map(|i| Db::new(i, stripes, hasher, &usage))
                .collect(),
            hasher,
            expire_next: std::sync::atomic::AtomicUsize::new(0),
            usage,
        }
    }

    pub fn hasher(&self) -> KeyHasher {
        self.hasher
    }

    /// Stripes per DB (the same in every DB).
    pub fn nstripes(&self) -> usize {
        self.dbs[0].nstripes()
    }

    /// The stripe index of `key` (the same in every DB).
    pub fn stripe_of(&self, key: &[u8]) -> usize {
        let d = &self.dbs[0];
        d.stripe_index(d.hash(key))
    }

    /// Locks the stripes of every (db, key) pair — write locks if `write` —
    /// in ascending (db, stripe) order, each stripe once.
    pub fn lock<'a>(&'a self, keys: &[(usize, &[u8])], write: bool) -> Locked<'a> {
        let mut ids: Vec<(usize, usize)> = keys
            .iter()
            .map(|(db, k)| {
                let d = &self.dbs[*db];
                (*db, d.stripe_index(d.hash(k)))
            })
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let slots = ids
            .into_iter()
            .map(|(db, s)| {
                let l = &self.dbs[db].stripes[s];
                (
                    db,
                    s,
                    if write {
                        Guard::W(wlock(l))
                    } else {
                        Guard::R(rlock(l))
                    },
                )
            })
            .collect();
        Locked { slots }
    }

    /// Swaps the contents of two DBs atomically (all stripes of both locked).
    pub fn swap(&self, a: usize, b: usize) {
        if a == b {
            return;
        }
        let (lo, hi) = (a.min(b), a.max(b));
        let mut ga: Vec<_> = self.dbs[lo].stripes.iter().map(wlock).collect();
        let mut gb: Vec<_> = self.dbs[hi].stripes.iter().map(wlock).collect();
        for (x, y) in ga.iter_mut().zip(gb.iter_mut()) {
            swap_stripes(x, y);
        }
        let (ta, tb) = (&self.dbs[lo].avg_ttl, &self.dbs[hi].avg_ttl);
        let t = ta.load(std::sync::atomic::Ordering::Relaxed);
        ta.store(
            tb.swap(t, std::sync::atomic::Ordering::Relaxed),
            std::sync::atomic::Ordering::Relaxed,
        );
    }

    /// Total approximate bytes used by keys and values in every DB: the
    /// stripes' reported sum, read without locking them (cheap enough for
    /// the `maxmemory` check on every command).
    pub fn used_memory(&self) -> usize {
        self.usage.used_memory()
    }
}

#[cfg(test)]
mod tests {
    use super::super::Value;
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn stripes_spread_and_scan_is_complete() {
        let store = Store::new(2, 16);
        let db = &store.dbs[0];
        for i in 0..2000 {
            let k = format!("key:{i}");
            let (mut s, h) = db.write(k.as_bytes());
            s.insert(h, k.as_bytes(), Entry::new(Value::str(b"v"), 0));
        }
        assert_eq!(db.len(), 2000);
        let busiest = (0..16).map(|i| db.read_stripe(i).len()).max().unwrap();
        assert!(busiest < 250, "stripe imbalance: {busiest}");
        let mut seen = HashSet::new();
        let mut c = 0;
        loop {
            c = db.scan(c, 10, 0, |k, _| {
                seen.insert(k.to_vec());
            });
            if c == 0 {
                break;
            }
        }
        assert_eq!(seen.len(), 2000);
    }

    #[test]
    fn scan_of_a_small_db_ends_in_one_call() {
        let store = Store::new(1, 256);
        let db = &store.dbs[0];
        for k in [&b"a"[..], b"b", b"c"] {
            let (mut s, h) = db.write(k);
            s.insert(h, k, Entry::new(Value::str(b"v"), 0));
        }
        let mut n = 0;
        assert_eq!(db.scan(0, 10, 0, |_, _| n += 1), 0);
        assert_eq!(n, 3);
        assert_eq!(Store::new(1, 256).dbs[0].scan(0, 10, 0, |_, _| {}), 0);
    }

    #[test]
    fn expiry_and_accounting() {
        let store = Store::new(1, 4);
        let db = &store.dbs[0];
        let (mut s, h) = db.write(b"k");
        s.insert(h, b"k", Entry::new(Value::str(&[b'x'; 100]), 1000));
        assert_eq!(s.volatile, 1);
        assert!(s.mem > 100);
        assert!(s.get(h, b"k", 999).is_some());
        assert!(s.get(h, b"k", 1000).is_none());
        assert!(s.get_mut(h, b"k", 1000).is_none());
        assert_eq!(s.len(), 0);
        assert_eq!(s.volatile, 0);
        assert_eq!(s.mem, 0);
    }

    #[test]
    fn overwrite_keeps_accounting_exact() {
        let store = Store::new(1, 4);
        let (mut s, h) = store.dbs[0].write(b"a-key-longer-than-twenty-two-bytes");
        let k = b"a-key-longer-than-twenty-two-bytes";
        s.insert(h, k, Entry::new(Value::str(&[b'x'; 100]), 0));
        let once = s.mem;
        s.insert(h, k, Entry::new(Value::str(&[b'y'; 100]), 5));
        assert_eq!(s.mem, once);
        assert_eq!((s.len(), s.volatile), (1, 1));
        s.insert(h, k, Entry::new(Value::str(b"short"), 0));
        assert_eq!(s.volatile, 0);
        assert!(s.mem < once);
        s.remove(h, k);
        assert_eq!((s.mem, s.len()), (0, 0));
    }

    /// The lock-free totals (`Usage`) against the stripes themselves, after
    /// every kind of change, SWAPDB and flushes included.
    #[test]
    fn usage_totals_follow_every_change() {
        let store = Store::new(3, 8);
        let check = |store: &Store| {
            let locked: usize = store.dbs.iter().map(|d| d.counts().2).sum();
            assert_eq!(store.used_memory(), locked);
            for (i, db) in store.dbs.iter().enumerate() {
                let (mut keyed, mut volatile) = (0, 0);
                for j in 0..db.nstripes() {
                    let s = db.read_stripe(j);
                    keyed += !s.is_empty() as usize;
                    volatile += (s.volatile > 0) as usize;
                }
                assert_eq!(store.usage.stripes_with_keys(i, false), keyed, "db {i}");
                assert_eq!(store.usage.stripes_with_keys(i, true), volatile, "db {i}");
            }
        };
        for i in 0..300 {
            let k = format!("key:{i}");
            let (mut s, h) = store.dbs[i % 2].write(k.as_bytes());
            let at = if i % 3 == 0 { 1 << 60 } else { 0 };
            s.insert(h, k.as_bytes(), Entry::new(Value::str(&[b'x'; 50]), at));
        }
        check(&store);
        for i in 0..300 {
            let k = format!("key:{i}");
            let (mut s, h) = store.dbs[i % 2].write(k.as_bytes());
            match i % 4 {
                0 => {
                    s.remove(h, k.as_bytes());
                }
                1 => {
                    s.insert(h, k.as_bytes(), Entry::new(Value::str(b"short"), 0));
                }
                2 => {
                    s.set_expire(h, k.as_bytes(), 1 << 60);
                }
                _ => {
                    let before = s.get(h, k.as_bytes(), 0).unwrap().heap_size();
                    s.adjust_mem(before, before + 7);
                }
            }
        }
        check(&store);
        store.swap(0, 2);
        check(&store);
        assert_eq!(store.usage.stripes_with_keys(0, false), 0);
        {
            let (mut x, mut y) = (store.dbs[1].write_stripe(3), store.dbs[2].write_stripe(3));
            swap_stripes(&mut x, &mut y);
        }
        check(&store);
        drop(store.dbs[1].flush());
        check(&store);
        drop(store.dbs[2].flush());
        assert_eq!(store.used_memory(), 0);
        check(&store);
    }

    #[test]
    fn insert_expires_a_dead_entry_first_but_loading_does_not() {
        let store = Store::new(1, 4);
        let (mut s, h) = store.dbs[0].write(b"k");
        s.insert(h, b"k", Entry::new(Value::str(b"old"), 1));
        assert_eq!(s.volatile, 1);
        // A command replacing a key whose TTL has passed: it expires first,
        // so nothing is returned as replaced (Redis: expired, then new).
        assert!(s
            .insert(h, b"k", Entry::new(Value::str(b"new"), 0))
            .is_none());
        assert_eq!((s.len(), s.volatile), (1, 0));
        s.insert(h, b"k", Entry::new(Value::str(b"v"), 1));
        // Loading a snapshot sees any previous entry (a duplicate).
        let old = s.insert_loaded(h, b"k", Entry::new(Value::str(b"w"), 0));
        assert!(old.is_some_and(|e| e.expire_at == 1));
        assert_eq!((s.len(), s.volatile), (1, 0));
        let once = s.mem;
        s.remove(h, b"k");
        assert_eq!(s.mem, 0);
        assert!(once > 0);
    }

    #[test]
    fn swap_and_lock_many() {
        let store = Store::new(2, 8);
        {
            let (mut s, h) = store.dbs[0].write(b"a");
            s.insert(h, b"a", Entry::new(Value::str(b"1"), 0));
        }
        store.swap(0, 1);
        assert_eq!(store.dbs[0].len(), 0);
        assert_eq!(store.dbs[1].len(), 1);
        let mut l = store.lock(&[(1, b"a"), (0, b"b"), (1, b"c")], true);
        let (s, h) = l.stripe_mut(&store, 1, b"a");
        assert!(s.get(h, b"a", 0).is_some());
    }
}
