//! Set values: members, in the same chained `Dict` the keyspace uses
//! (so SSCAN gets Redis's cursor guarantee). The set command family
//! (src/command/set.rs) builds on this.

use super::dict::Dict;
use std::collections::hash_map::RandomState;

#[derive(Clone)]
pub struct SetValue {
    pub members: Dict<()>,
    /// Heap bytes of the members (kept up to date by every change).
    pub bytes: usize,
}

impl SetValue {
    pub fn new() -> SetValue {
        SetValue {
            members: Dict::new(RandomState::new()),
            bytes: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.members.len()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// OBJECT ENCODING: what Redis would use at this size.
    pub fn encoding(&self) -> &'static str {
        "hashtable"
    }

    pub fn heap_size(&self) -> usize {
        self.members.overhead_bytes() + self.bytes
    }
}

impl Default for SetValue {
    fn default() -> Self {
        SetValue::new()
    }
}
