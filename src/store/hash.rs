//! Hash values: field → value, in the same chained `Dict` the keyspace uses
//! (so HSCAN gets Redis's cursor guarantee). The hash command family
//! (src/command/hash.rs) builds on this.

use super::bytes::CompactBytes;
use super::dict::Dict;
use std::collections::hash_map::RandomState;

#[derive(Clone)]
pub struct HashValue {
    pub fields: Dict<CompactBytes>,
    /// Heap bytes of the fields and values (kept up to date by every change).
    pub bytes: usize,
}

impl HashValue {
    pub fn new() -> HashValue {
        HashValue {
            fields: Dict::new(RandomState::new()),
            bytes: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// OBJECT ENCODING: what Redis would use at this size.
    pub fn encoding(&self) -> &'static str {
        "hashtable"
    }

    pub fn heap_size(&self) -> usize {
        self.fields.overhead_bytes() + self.bytes
    }
}

impl Default for HashValue {
    fn default() -> Self {
        HashValue::new()
    }
}
