//! Set values: members, in the same chained `Dict` the keyspace uses
//! (so SSCAN gets Redis's cursor guarantee). The set command family
//! (src/command/set.rs) builds on this.
//!
//! Encoding, as Redis 7.0 reports it (OBJECT ENCODING): a set starts as an
//! `intset` and stays one while every member is an integer in `string2ll`'s
//! canonical form and the count is within `set-max-intset-entries`; the
//! first member that breaks either rule converts it to `hashtable`, for
//! good. (7.0 has no listpack sets; they arrived in 7.2.) The storage is the
//! same `Dict` either way; only the flag and the intset's sorted iteration
//! order are modelled.

use super::bytes::CompactBytes;
use super::dict::Dict;
use super::siphash::KeyHasher;
use super::value::parse_i64;

#[derive(Clone)]
pub struct SetValue {
    pub members: Dict<()>,
    /// Heap bytes of the members (kept up to date by every change).
    pub bytes: usize,
    /// Still Redis's `intset` encoding; once false, never true again.
    pub intset: bool,
}

/// Redis caps intsets at 2^30 entries whatever the configuration says.
pub const INTSET_HARD_MAX: usize = 1 << 30;

impl SetValue {
    /// An empty set, in the intset encoding (Redis's `createIntsetObject`;
    /// `setTypeCreate` + the first add converts exactly the same way).
    pub fn new() -> SetValue {
        SetValue {
            members: Dict::new(KeyHasher::random()),
            bytes: 0,
            intset: true,
        }
    }

    pub fn len(&self) -> usize {
        self.members.len()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// OBJECT ENCODING: what Redis 7.0 would use for this set.
    pub fn encoding(&self) -> &'static str {
        if self.intset {
            "intset"
        } else {
            "hashtable"
        }
    }

    pub fn heap_size(&self) -> usize {
        self.members.overhead_bytes() + self.bytes
    }

    pub fn contains(&self, m: &[u8]) -> bool {
        self.members.get(self.members.hash_key(m), m).is_some()
    }

    /// Adds `m`; returns true if it was new. `max_intset` is
    /// set-max-intset-entries (capped at 2^30 here).
    pub fn add(&mut self, m: &[u8], max_intset: usize) -> bool {
        let h = self.members.hash_key(m);
        if self.members.get(h, m).is_some() {
            return false;
        }
        if self.intset
            && (parse_i64(m).is_none() || self.len() + 1 > max_intset.min(INTSET_HARD_MAX))
        {
            self.intset = false;
        }
        let k = CompactBytes::new(m);
        self.bytes += k.heap_size();
        self.members.insert_new(h, k, ());
        true
    }

    /// Removes `m`; returns true if it was there. Never changes the encoding.
    pub fn remove(&mut self, m: &[u8]) -> bool {
        let h = self.members.hash_key(m);
        match self.members.remove(h, m) {
            Some((k, ())) => {
                self.bytes -= k.heap_size();
                true
            }
            None => false,
        }
    }

    /// A random member (uniform enough for SRANDMEMBER), or None if empty.
    pub fn random(&self, rnd: &mut impl FnMut() -> u64) -> Option<&CompactBytes> {
        self.members.random(rnd).map(|(k, _)| k)
    }

    /// Removes and returns a random member.
    pub fn pop_random(&mut self, rnd: &mut impl FnMut() -> u64) -> Option<CompactBytes> {
        let m = self.random(rnd)?.clone();
        self.remove(&m);
        Some(m)
    }

    pub fn iter(&self) -> impl Iterator<Item = &CompactBytes> {
        self.members.iter().map(|(k, _)| k)
    }

    /// Every member in the order Redis would list them: ascending integers
    /// for an intset, table order otherwise.
    pub fn ordered(&self) -> Vec<&CompactBytes> {
        let mut v: Vec<&CompactBytes> = self.iter().collect();
        if self.intset {
            v.sort_by_key(|m| parse_i64(m).unwrap_or(0));
        }
        v
    }
}

impl Default for SetValue {
    fn default() -> Self {
        SetValue::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_and_bytes() {
        let mut s = SetValue::new();
        assert!(s.add(b"3", 512));
        assert!(s.add(b"1", 512));
        assert!(!s.add(b"1", 512));
        assert_eq!(s.encoding(), "intset");
        let names: Vec<&[u8]> = s.ordered().into_iter().map(|m| m.as_slice()).collect();
        assert_eq!(names, vec![&b"1"[..], b"3"]);
        assert!(s.add(b"01", 512));
        assert_eq!(s.encoding(), "hashtable");
        assert!(s.remove(b"01"));
        assert_eq!(s.encoding(), "hashtable");
        let long = [b'x'; 100];
        s.add(&long, 512);
        assert_eq!(s.bytes, CompactBytes::new(&long).heap_size());
        s.remove(&long);
        assert_eq!(s.bytes, 0);

        let mut t = SetValue::new();
        t.add(b"1", 2);
        t.add(b"2", 2);
        assert_eq!(t.encoding(), "intset");
        t.add(b"3", 2);
        assert_eq!(t.encoding(), "hashtable");
        let mut z = SetValue::new();
        z.add(b"1", 0);
        assert_eq!(z.encoding(), "hashtable");
    }
}
