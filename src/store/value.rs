//! What a key holds: `Entry` (value + expiry + access clock) and `Value`,
//! one variant per Redis type. Later types add a variant here and a file
//! beside this one for their data structure.

use super::bytes::{malloc_size, CompactBytes};
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

/// One key's data.
pub struct Entry {
    pub value: Value,
    /// Absolute expiry deadline in Unix milliseconds; 0 = no TTL.
    pub expire_at: u64,
    /// Last access, in seconds of `crate::store::lru_clock()` (OBJECT
    /// IDLETIME, LRU eviction). Atomic so readers holding only the stripe's
    /// read lock can record their access, as Redis does on every lookup.
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
        }
    }
}

impl Entry {
    pub fn new(value: Value, expire_at: u64) -> Entry {
        Entry {
            value,
            expire_at,
            lru: AtomicU32::new(super::lru_clock()),
        }
    }

    /// Records an access now (a store only when the clock has moved, so hot
    /// keys read many times a second do not keep dirtying their cache line).
    pub fn touch(&self) {
        let now = super::lru_clock();
        if self.lru.load(Relaxed) != now {
            self.lru.store(now, Relaxed);
        }
    }

    /// The access clock value of the last access.
    pub fn lru(&self) -> u32 {
        self.lru.load(Relaxed)
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
    fn encodings() {
        assert_eq!(Value::str(b"123").encoding(), "int");
        assert_eq!(Value::str(b"abc").encoding(), "embstr");
        assert_eq!(Value::str(&[b'x'; 45]).encoding(), "raw");
        assert_eq!(std::mem::size_of::<Value>(), 24);
    }
}
