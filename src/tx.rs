//! Transactions: MULTI/EXEC atomicity and WATCH bookkeeping.
//!
//! Atomicity: every command runs holding the *gate* for reading; EXEC takes
//! it for writing, so while a transaction's queued commands run no other
//! command runs anywhere (the stripe locks alone cannot give that: a
//! transaction may touch any keys, discovered only as its commands run).
//! The gate is uncontended unless an EXEC is running.
//!
//! WATCH: a registry maps (db, key) to the watching clients' dirty flags.
//! After a write command, the keys it names (the command table's key
//! positions, or COMMAND GETKEYS's rules for movable keys) are "touched":
//! every watcher's flag is set and its EXEC will fail. FLUSHDB, FLUSHALL and
//! SWAPDB touch every watched key of the DBs they change. The registry is
//! skipped entirely while nobody watches anything.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

/// The read/write gate of the module docs.
#[derive(Default)]
pub struct Gate(RwLock<()>);

impl Gate {
    pub fn shared(&self) -> std::sync::RwLockReadGuard<'_, ()> {
        self.0.read().unwrap_or_else(|e| e.into_inner())
    }
    pub fn exclusive(&self) -> std::sync::RwLockWriteGuard<'_, ()> {
        self.0.write().unwrap_or_else(|e| e.into_inner())
    }
}

type Watchers = Vec<(u64, Arc<AtomicBool>)>;

/// Who watches which key.
#[derive(Default)]
pub struct Watches {
    map: Mutex<HashMap<(usize, Vec<u8>), Watchers>>,
    /// Number of (key, client) registrations: the fast path when 0.
    count: AtomicUsize,
}

impl Watches {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(usize, Vec<u8>), Watchers>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn active(&self) -> bool {
        self.count.load(Ordering::Relaxed) > 0
    }

    /// Registers `client` (its id and dirty flag) as watching `key` in `db`;
    /// false if it already did.
    pub fn watch(&self, db: usize, key: &[u8], id: u64, flag: &Arc<AtomicBool>) -> bool {
        let mut m = self.lock();
        let list = m.entry((db, key.to_vec())).or_default();
        if list.iter().any(|(c, _)| *c == id) {
            return false;
        }
        list.push((id, flag.clone()));
        self.count.fetch_add(1, Ordering::Relaxed);
        true
    }

    /// Removes `id` from the given keys.
    pub fn unwatch(&self, id: u64, keys: &[(usize, Vec<u8>)]) {
        if keys.is_empty() {
            return;
        }
        let mut m = self.lock();
        for k in keys {
            if let Some(list) = m.get_mut(k) {
                let before = list.len();
                list.retain(|(c, _)| *c != id);
                self.count.fetch_sub(before - list.len(), Ordering::Relaxed);
                if list.is_empty() {
                    m.remove(k);
                }
            }
        }
    }

    /// A write changed `key` in `db`: its watchers' transactions fail.
    pub fn touch(&self, db: usize, key: &[u8]) {
        if !self.active() {
            return;
        }
        if let Some(list) = self.lock().get(&(db, key.to_vec())) {
            for (_, f) in list {
                f.store(true, Ordering::SeqCst);
            }
        }
    }

    /// FLUSHDB, FLUSHALL, SWAPDB are about to change whole DBs: like Redis's
    /// touchAllWatchedKeysInDb, dirty the watchers of every watched key in
    /// the DBs `affected` selects that `exists` (a key that is absent before
    /// and after is not changed).
    pub fn touch_dbs(
        &self,
        affected: impl Fn(usize) -> bool,
        exists: impl Fn(usize, &[u8]) -> bool,
    ) {
        if !self.active() {
            return;
        }
        for ((d, k), list) in self.lock().iter() {
            if affected(*d) && exists(*d, k) {
                for (_, f) in list {
                    f.store(true, Ordering::SeqCst);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watch_touch_unwatch() {
        let w = Watches::default();
        let f = Arc::new(AtomicBool::new(false));
        assert!(!w.active());
        assert!(w.watch(0, b"k", 1, &f));
        assert!(!w.watch(0, b"k", 1, &f));
        w.touch(1, b"k");
        assert!(!f.load(Ordering::SeqCst));
        w.touch(0, b"k");
        assert!(f.load(Ordering::SeqCst));
        w.unwatch(1, &[(0, b"k".to_vec())]);
        assert!(!w.active());
        let g = Arc::new(AtomicBool::new(false));
        w.watch(3, b"x", 2, &g);
        w.touch_dbs(|d| d == 2, |_, _| true);
        assert!(!g.load(Ordering::SeqCst));
        w.touch_dbs(|_| true, |_, _| false);
        assert!(!g.load(Ordering::SeqCst));
        w.touch_dbs(|_| true, |_, _| true);
        assert!(g.load(Ordering::SeqCst));
    }
}
