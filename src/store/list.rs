//! List values: a deque of elements. The list command family
//! (src/command/list.rs) builds on this.

use super::bytes::CompactBytes;
use std::collections::VecDeque;

#[derive(Clone, Default)]
pub struct ListValue {
    pub items: VecDeque<CompactBytes>,
    /// Heap bytes the elements own (kept up to date by every change).
    pub bytes: usize,
}

impl ListValue {
    pub fn new() -> ListValue {
        ListValue::default()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// OBJECT ENCODING: Redis 7.0 always reports `quicklist` for lists.
    pub fn encoding(&self) -> &'static str {
        "quicklist"
    }

    pub fn heap_size(&self) -> usize {
        self.items.capacity() * std::mem::size_of::<CompactBytes>() + self.bytes
    }
}
