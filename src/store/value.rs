//! What a key holds: `Entry` (value + expiry + access clock) and `Value`,
//! one variant per Redis type. Later types add a variant here and a file
//! beside this one for their data structure.
//!
//! The access field (`Entry::lru`) means what Redis's `robj.lru` means:
//! under an LRU (or no) eviction policy the access clock in seconds; under
//! an LFU policy the minute of the last decrement (16 bits) above an 8-bit
//! logarithmic access counter. The mode is process-wide (`set_access_mode`,
//! from `maxmemory-policy`), and like Redis, a value written under one mode
//! is read as the other for a while after the policy changes at run time.

use super::bytes::{malloc_size, CompactBytes};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering::Relaxed};

/// Redis's LFU_INIT_VAL: the counter of a new key, so it is not evicted
/// before it had a chance to be read.
pub const LFU_INIT_VAL: u8 = 5;

static LFU_MODE: AtomicBool = AtomicBool::new(false);
static LFU_LOG_FACTOR: AtomicU32 = AtomicU32::new(10);
static LFU_DECAY_TIME: AtomicU32 = AtomicU32::new(1);

/// Sets how accesses are recorded: an LFU counter (`lfu`, with Redis's
/// `lfu-log-factor` and `lfu-decay-time`) or the LRU clock. Process-wide,
/// like Redis's server struct: `Entry::touch` has no server to ask.
pub fn set_access_mode(lfu: bool, log_factor: u32, decay_time: u32) {
    LFU_LOG_FACTOR.store(log_factor, Relaxed);
    LFU_DECAY_TIME.store(decay_time, Relaxed);
    LFU_MODE.store(lfu, Relaxed);
}

/// Whether accesses feed the LFU counter (an LFU policy is selected).
pub fn lfu_mode() -> bool {
    LFU_MODE.load(Relaxed)
}

/// The LFU clock: minutes, 16 bits (Redis's LFUGetTimeInMinutes, from the
/// cached access clock instead of the Unix time).
fn lfu_minutes() -> u32 {
    (super::lru_clock() / 60) & 0xffff
}

/// Redis's LFULogIncr: the counter grows with probability
/// 1 / ((counter - LFU_INIT_VAL) * log_factor + 1), so it takes about
/// 10^k accesses to reach 10k-ish values with the default factor 10.
/// `r` is a uniform random number in [0, 1).
pub fn lfu_log_incr(counter: u8, log_factor: u32, r: f64) -> u8 {
    if counter == 255 {
        return 255;
    }
    let base = counter.saturating_sub(LFU_INIT_VAL) as f64;
    let p = 1.0 / (base * log_factor as f64 + 1.0);
    if r < p {
        counter + 1
    } else {
        counter
    }
}

/// Redis's LFUDecrAndReturn: the counter in `field`, less one for every
/// `decay_time` minutes since its last decrement (0 = never decays), as of
/// minute `now` (16-bit wrapping like Redis's LFUTimeElapsed).
pub fn lfu_decayed(field: u32, now: u32, decay_time: u32) -> u8 {
    let ldt = (field >> 8) & 0xffff;
    let counter = (field & 0xff) as u8;
    if decay_time == 0 {
        return counter;
    }
    let elapsed = if now >= ldt {
        now - ldt
    } else {
        65535 - ldt + now
    };
    let periods = elapsed / decay_time;
    counter.saturating_sub(periods.min(255) as u8)
}

/// A uniform random number in [0, 1).
fn rand_unit() -> f64 {
    (super::rand_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// One key's data.
pub struct Entry {
    pub value: Value,
    /// Absolute expiry deadline in Unix milliseconds; 0 = no TTL.
    pub expire_at: u64,
    /// Last access, in seconds of `crate::store::lru_clock()` (OBJECT
    /// IDLETIME, LRU eviction), or the LFU counter and its decrement time
    /// under an LFU policy (module docs). Atomic so readers holding only
    /// the stripe's read lock can record their access, as Redis does on
    /// every lookup.
    lru: AtomicU32,
}

impl Clone for Entry {
    fn clone(&self) -> Entry {
        Entry {
            value: self.value.clone(),
            expire_at: self.expire_at,
            lru: AtomicU32::new(self.lru()),
        }
    }
}

#[derive(Clone)]
pub enum Value {
    Str(CompactBytes),
    Hash(Box<super::hash::HashValue>),
    Set(Box<super::set::SetValue>),
    List(Box<super::list::ListValue>),
    ZSet(Box<super::zset::ZSetValue>),
    Stream(Box<super::stream::StreamValue>),
}

/// Redis's limit for the `embstr` encoding.
const EMBSTR_MAX: usize = 44;

impl Value {
    pub fn str(b: &[u8]) -> Value {
        Value::Str(CompactBytes::new(b))
    }

    /// Whether this is a collection with no elements left (a string, even
    /// an empty one, is a value of its own).
    pub fn is_empty_collection(&self) -> bool {
        match self {
            Value::Str(_) => false,
            Value::Hash(h) => h.is_empty(),
            Value::Set(s) => s.is_empty(),
            Value::List(l) => l.is_empty(),
            Value::ZSet(z) => z.is_empty(),
            // An empty stream keeps its key (its last ID, groups...).
            Value::Stream(_) => false,
        }
    }

    /// The name TYPE answers.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::List(_) => "list",
            Value::ZSet(_) => "zset",
            Value::Stream(_) => "stream",
        }
    }

    /// The name OBJECT ENCODING answers: what Redis would use for this value.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Str(s) => {
                if s.is_growable() {
                    // Modified in place by APPEND/SETRANGE, as Redis's raw.
                    "raw"
                } else if s.len() <= 20 && parse_i64(s).is_some() {
                    "int"
                } else if s.len() <= EMBSTR_MAX {
                    "embstr"
                } else {
                    "raw"
                }
            }
            Value::Hash(h) => h.encoding(),
            Value::Set(s) => s.encoding(),
            Value::List(l) => l.encoding(),
            Value::ZSet(z) => z.encoding(),
            Value::Stream(_) => "stream",
        }
    }

    /// Approximate heap bytes this value owns beyond its inline part.
    pub fn heap_size(&self) -> usize {
        match self {
            Value::Str(s) => s.heap_size(),
            Value::Hash(h) => {
                malloc_size(std::mem::size_of::<super::hash::HashValue>()) + h.heap_size()
            }
            Value::Set(s) => {
                malloc_size(std::mem::size_of::<super::set::SetValue>()) + s.heap_size()
            }
            Value::List(l) => {
                malloc_size(std::mem::size_of::<super::list::ListValue>()) + l.heap_size()
            }
            Value::ZSet(z) => {
                malloc_size(std::mem::size_of::<super::zset::ZSetValue>()) + z.heap_size()
            }
            Value::Stream(x) => {
                malloc_size(std::mem::size_of::<super::stream::StreamValue>()) + x.heap_size()
            }
        }
    }
}

impl Entry {
    pub fn new(value: Value, expire_at: u64) -> Entry {
        let access = if lfu_mode() {
            (lfu_minutes() << 8) | LFU_INIT_VAL as u32
        } else {
            super::lru_clock()
        };
        Entry {
            value,
            expire_at,
            lru: AtomicU32::new(access),
        }
    }

    /// Records an access now (a store only when the field changes, so hot
    /// keys read many times a second do not keep dirtying their cache line).
    /// Under an LFU policy: Redis's updateLFU (decay, then a logarithmic
    /// increment); concurrent readers may lose an increment, which only
    /// makes the estimate a little more approximate.
    pub fn touch(&self) {
        let old = self.lru.load(Relaxed);
        let new = if lfu_mode() {
            let now = lfu_minutes();
            let c = lfu_decayed(old, now, LFU_DECAY_TIME.load(Relaxed));
            let c = lfu_log_incr(c, LFU_LOG_FACTOR.load(Relaxed), rand_unit());
            (now << 8) | c as u32
        } else {
            super::lru_clock()
        };
        if old != new {
            self.lru.store(new, Relaxed);
        }
    }

    /// The access clock value of the last access.
    pub fn lru(&self) -> u32 {
        self.lru.load(Relaxed)
    }

    /// Sets the access information as RESTORE's IDLETIME / FREQ and an RDB
    /// file's IDLE / FREQ opcodes do (Redis's objectSetLRUOrLFU): under an
    /// LFU policy the counter `freq` if given, otherwise the idle time
    /// `idle_secs` if given. Returns whether anything was set.
    pub fn set_access(&self, freq: Option<u8>, idle_secs: Option<u64>) -> bool {
        if lfu_mode() {
            if let Some(f) = freq {
                self.lru.store((lfu_minutes() << 8) | f as u32, Relaxed);
                return true;
            }
        } else if let Some(idle) = idle_secs {
            let idle = u32::try_from(idle).unwrap_or(u32::MAX);
            self.lru
                .store(super::lru_clock().saturating_sub(idle), Relaxed);
            return true;
        }
        false
    }

    /// Sets the access field directly (tests of the eviction ranking).
    #[cfg(test)]
    pub(crate) fn set_access_field(&self, v: u32) {
        self.lru.store(v, Relaxed);
    }

    /// Seconds since the last access (OBJECT IDLETIME, LRU eviction).
    pub fn idle_secs(&self) -> u32 {
        super::lru_clock().saturating_sub(self.lru())
    }

    /// The LFU access counter, decayed to now (OBJECT FREQ, LFU eviction).
    pub fn lfu_freq(&self) -> u8 {
        lfu_decayed(self.lru(), lfu_minutes(), LFU_DECAY_TIME.load(Relaxed))
    }

    pub fn is_expired(&self, now_ms: u64) -> bool {
        self.expire_at != 0 && self.expire_at <= now_ms
    }

    /// `is_expired` at the current time (reads the clock only for a key
    /// with a TTL).
    pub fn is_expired_now(&self) -> bool {
        self.expire_at != 0 && self.is_expired(super::now_ms())
    }

    /// Approximate bytes this key costs beyond its dict node.
    pub fn heap_size(&self) -> usize {
        self.value.heap_size()
    }
}

/// Redis's LAZYFREE_THRESHOLD: values whose freeing costs more than this
/// many allocations are dropped on the lazy-free thread (UNLINK, eviction
/// with `lazyfree-lazy-eviction yes`).
pub const LAZYFREE_THRESHOLD: usize = 64;

impl Value {
    /// Roughly how many allocations dropping this value frees (Redis's
    /// `lazyfreeGetFreeEffort`): a string is one, whatever its length.
    pub fn free_effort(&self) -> usize {
        match self {
            Value::Str(_) => 1,
            // Hashtable-encoded collections free one allocation per element.
            Value::Hash(h) => h.len(),
            Value::Set(s) => s.len(),
            Value::List(l) => l.len(),
            Value::ZSet(z) => z.len(),
            Value::Stream(x) => x.len(),
        }
    }
}

/// Parses a Redis integer exactly like `string2ll`: optional '-', digits, no
/// leading zeros (except "0"), no '+', no spaces, must fit in i64.
pub use crate::resp::parser::string2ll as parse_i64;

/// Bytes a node holding an entry costs (for INFO memory).
pub fn entry_node_size() -> usize {
    malloc_size(8 + std::mem::size_of::<CompactBytes>() + std::mem::size_of::<Entry>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string2ll() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-1"), Some(-1));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64(b"9223372036854775808"), None);
        assert_eq!(parse_i64(b"01"), None);
        assert_eq!(parse_i64(b"+1"), None);
        assert_eq!(parse_i64(b" 1"), None);
        assert_eq!(parse_i64(b"-0"), None);
        assert_eq!(parse_i64(b""), None);
        assert_eq!(parse_i64(b"1a"), None);
    }

    #[test]
    fn lfu_counter_grows_logarithmically() {
        // Below LFU_INIT_VAL every access counts.
        assert_eq!(lfu_log_incr(0, 10, 0.99), 1);
        assert_eq!(lfu_log_incr(LFU_INIT_VAL, 10, 0.99), LFU_INIT_VAL + 1);
        // Above it the chance is 1 / ((c - 5) * factor + 1).
        assert_eq!(lfu_log_incr(6, 10, 0.05), 7);
        assert_eq!(lfu_log_incr(6, 10, 0.10), 6);
        assert_eq!(lfu_log_incr(255, 10, 0.0), 255);
        // Factor 0: a plain saturating counter.
        assert_eq!(lfu_log_incr(200, 0, 0.999), 201);
        // Simulated with a fixed generator: about what redis.conf's table
        // says for factor 10 (100 hits -> 10, 100K hits -> 142).
        let mut x = 0x2545f4914f6cdd1du64;
        let mut r = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut c = LFU_INIT_VAL;
        let mut at = Vec::new();
        for i in 1..=100_000u32 {
            c = lfu_log_incr(c, 10, r());
            if [100, 10_000, 100_000].contains(&i) {
                at.push(c);
            }
        }
        assert!((7..=14).contains(&at[0]), "{at:?}");
        assert!((35..=65).contains(&at[1]), "{at:?}");
        assert!((120..=170).contains(&at[2]), "{at:?}");
    }

    #[test]
    fn lfu_counter_decays_per_period() {
        let field = |minute: u32, c: u32| (minute << 8) | c;
        assert_eq!(lfu_decayed(field(100, 20), 100, 1), 20);
        assert_eq!(lfu_decayed(field(100, 20), 103, 1), 17);
        assert_eq!(lfu_decayed(field(100, 20), 106, 2), 17);
        assert_eq!(lfu_decayed(field(100, 20), 500, 1), 0);
        // Decay time 0: never decays.
        assert_eq!(lfu_decayed(field(100, 20), 500, 0), 20);
        // The 16-bit minute clock wrapped.
        assert_eq!(lfu_decayed(field(65534, 20), 2, 1), 17);
    }

    #[test]
    fn encodings() {
        assert_eq!(Value::str(b"123").encoding(), "int");
        assert_eq!(Value::str(b"abc").encoding(), "embstr");
        assert_eq!(Value::str(&[b'x'; 45]).encoding(), "raw");
        assert_eq!(std::mem::size_of::<Value>(), 24);
    }
}
