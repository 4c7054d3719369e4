//! Sorted set values: member → score, ordered by (score, member) with
//! O(log n) rank. The sorted set family (src/command/zset.rs) builds on
//! this. (Skeleton: the data structure is filled in with the family.)

#[derive(Clone, Default)]
pub struct ZSetValue {
    len: usize,
    /// Heap bytes owned (kept up to date by every change).
    pub bytes: usize,
}

impl ZSetValue {
    pub fn new() -> ZSetValue {
        ZSetValue::default()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// OBJECT ENCODING as Redis would report it.
    pub fn encoding(&self) -> &'static str {
        "skiplist"
    }

    pub fn heap_size(&self) -> usize {
        self.bytes
    }
}
