//! What a key holds: `Entry` (value + expiry + access clock) and `Value`,
//! one variant per Redis type. Later types add a variant here and a file
//! beside this one for their data structure.

use super::bytes::{malloc_size, CompactBytes};

/// One key's data.
#[derive(Clone)]
pub struct Entry {
    pub value: Value,
    /// Absolute expiry deadline in Unix milliseconds; 0 = no TTL.
    pub expire_at: u64,
    /// Last access, in seconds of `crate::store::lru_clock()` (for OBJECT IDLETIME).
    pub lru: u32,
}

#[derive(Clone)]
pub enum Value {
    Str(CompactBytes),
}

/// Redis's limit for the `embstr` encoding.
const EMBSTR_MAX: usize = 44;

impl Value {
    pub fn str(b: &[u8]) -> Value {
        Value::Str(CompactBytes::new(b))
    }

    /// The name TYPE answers.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
        }
    }

    /// The name OBJECT ENCODING answers: what Redis would use for this value.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Str(s) => {
                if s.len() <= 20 && parse_i64(s).is_some() {
                    "int"
                } else if s.len() <= EMBSTR_MAX {
                    "embstr"
                } else {
                    "raw"
                }
            }
        }
    }

    /// Approximate heap bytes this value owns beyond its inline part.
    pub fn heap_size(&self) -> usize {
        match self {
            Value::Str(s) => s.heap_size(),
        }
    }
}

impl Entry {
    pub fn new(value: Value, expire_at: u64) -> Entry {
        Entry {
            value,
            expire_at,
            lru: super::lru_clock(),
        }
    }

    pub fn is_expired(&self, now_ms: u64) -> bool {
        self.expire_at != 0 && self.expire_at <= now_ms
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
