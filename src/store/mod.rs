//! The keyspace: `databases` logical DBs, each split into stripes behind
//! `RwLock`s (db.rs), the per-stripe hash table (dict.rs), values (value.rs),
//! compact byte strings (bytes.rs), active expiry (expire.rs) and
//! eviction's sampling and candidate pool (evict.rs).
//!
//! Locking rule: a command locks the stripes of all the keys it touches
//! before it reads or writes any of them, in ascending (db, stripe) order,
//! and never blocks while holding one.

pub mod bytes;
pub mod db;
pub mod dict;
pub mod evict;
pub mod expire;
pub mod hash;
pub mod list;
pub mod set;
pub mod siphash;
pub mod stream;
pub mod value;
pub mod zset;

pub use bytes::CompactBytes;
pub use db::{Db, Locked, Store, Stripe};
pub use value::{Entry, Value};

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::{Mutex, OnceLock};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Keys removed because their TTL passed (INFO stats `expired_keys`).
pub static EXPIRED_KEYS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static CLOCK_STOPPED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` with `now_ms()` returning 0 on this thread, so no key counts as
/// expired: WAL replay, where expirations are replayed from their own
/// records instead (Redis's "don't expire anything while loading").
pub fn with_clock_stopped<R>(f: impl FnOnce() -> R) -> R {
    let was = CLOCK_STOPPED.with(|c| c.replace(true));
    let r = f();
    CLOCK_STOPPED.with(|c| c.set(was));
    r
}

/// Wall-clock time in Unix milliseconds (0 inside `with_clock_stopped`).
pub fn now_ms() -> u64 {
    if CLOCK_STOPPED.with(|c| c.get()) {
        return 0;
    }
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Wall-clock time in Unix microseconds.
pub fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

fn start_instant() -> Instant {
    static START: OnceLock<Instant> = OnceLock::new();
    *START.get_or_init(Instant::now)
}

/// Where the access clock starts: far enough from 0 that RESTORE IDLETIME
/// and an RDB file's idle times of up to ~97 days are representable right
/// after start-up (Redis's clock is the Unix time, mod 2^24 seconds).
const LRU_BASE: u32 = 1 << 23;

static LRU_CLOCK: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(LRU_BASE);

/// Seconds since the process started (plus `LRU_BASE`): the access clock
/// stored per key.
/// A cached value (Redis's server.lruclock), refreshed by the cron thread,
/// so a lookup pays one load instead of reading the clock.
pub fn lru_clock() -> u32 {
    LRU_CLOCK.load(Ordering::Relaxed)
}

/// Recomputes the access clock (the cron thread calls this every cycle).
pub fn update_lru_clock() {
    LRU_CLOCK.store(
        LRU_BASE + start_instant().elapsed().as_secs() as u32,
        Ordering::Relaxed,
    );
}

/// A fast thread-local xorshift generator (RANDOMKEY, sampling); not for
/// anything security-related.
pub fn rand_u64() -> u64 {
    use std::cell::Cell;
    thread_local! {
        static STATE: Cell<u64> = Cell::new({
            use std::hash::BuildHasher;
            std::collections::hash_map::RandomState::new().hash_one(0u64) | 1
        });
    }
    STATE.with(|s| {
        let mut x = s.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.set(x);
        x
    })
}

pub(crate) fn count_expired(n: u64) {
    if n > 0 {
        EXPIRED_KEYS.fetch_add(n, Ordering::Relaxed);
    }
}

type Garbage = Box<dyn Send>;

/// Drops `x` on the background lazy-free thread (UNLINK, FLUSHALL ASYNC) (started on first use);
/// drops it here if the thread cannot be started.
pub fn drop_in_background<T: Send + 'static>(x: T) {
    static TX: OnceLock<Option<Mutex<Sender<Garbage>>>> = OnceLock::new();
    let tx = TX.get_or_init(|| {
        let (tx, rx) = channel::<Garbage>();
        std::thread::Builder::new()
            .name("lazyfree".into())
            .spawn(move || {
                for g in rx {
                    drop(g);
                }
            })
            .ok()
            .map(|_| Mutex::new(tx))
    });
    match tx {
        Some(m) => {
            let r = m
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .send(Box::new(x));
            drop(r); // if the thread is gone, the value came back and is dropped here
        }
        None => drop(x),
    }
}
