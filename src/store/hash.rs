//! Hash values: field → value, in the same chained `Dict` the keyspace uses
//! (so HSCAN gets Redis's cursor guarantee). The hash command family
//! (src/command/hash.rs) builds on this.
//!
//! Redis keeps small hashes in a listpack and converts them to a hash table
//! for good once they grow past `hash-max-listpack-entries` entries or hold
//! a field or value longer than `hash-max-listpack-value` bytes. We always
//! use the `Dict`, but remember whether Redis would have converted
//! (`hashtable`), because that is visible: OBJECT ENCODING, and HSCAN, which
//! returns a listpack's whole content in one call with cursor 0.

use super::bytes::CompactBytes;
use super::dict::Dict;
use super::siphash::KeyHasher;

/// The `hash-max-listpack-entries` and `hash-max-listpack-value` settings.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_entries: usize,
    pub max_value: usize,
}

#[derive(Clone)]
pub struct HashValue {
    pub fields: Dict<CompactBytes>,
    /// Heap bytes of the fields and values (kept up to date by every change).
    pub bytes: usize,
    /// True once Redis would have converted the listpack to a hash table
    /// (never reset, as in Redis).
    pub hashtable: bool,
}

impl HashValue {
    pub fn new() -> HashValue {
        HashValue {
            fields: Dict::new(KeyHasher::random()),
            bytes: 0,
            hashtable: false,
        }
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    pub fn get(&self, field: &[u8]) -> Option<&CompactBytes> {
        self.fields.get(self.fields.hash_key(field), field)
    }

    pub fn contains(&self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    /// Sets `field` to `value`; returns true if the field is new.
    pub fn set(&mut self, field: &[u8], value: &[u8]) -> bool {
        let h = self.fields.hash_key(field);
        let v = CompactBytes::new(value);
        let add = v.heap_size();
        match self.fields.get_mut(h, field) {
            Some(slot) => {
                let old = std::mem::replace(slot, v);
                self.bytes = (self.bytes + add).saturating_sub(old.heap_size());
                false
            }
            None => {
                let f = CompactBytes::new(field);
                self.bytes += f.heap_size() + add;
                self.fields.insert_new(h, f, v);
                true
            }
        }
    }

    /// Removes `field`; returns true if it was there.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        let h = self.fields.hash_key(field);
        match self.fields.remove(h, field) {
            Some((f, v)) => {
                self.bytes = self.bytes.saturating_sub(f.heap_size() + v.heap_size());
                true
            }
            None => false,
        }
    }

    /// Like `set`, applying Redis's listpack → hash table conversion rules
    /// first and after: a field or value longer than `max_value` bytes, or
    /// more than `max_entries` fields, converts (`hash-max-listpack-*`).
    pub fn set_checked(&mut self, field: &[u8], value: &[u8], lim: Limits) -> bool {
        if field.len() > lim.max_value || value.len() > lim.max_value {
            self.hashtable = true;
        }
        let new = self.set(field, value);
        if self.len() > lim.max_entries {
            self.hashtable = true;
        }
        new
    }

    /// OBJECT ENCODING: what Redis would use at this size.
    pub fn encoding(&self) -> &'static str {
        if self.hashtable {
            "hashtable"
        } else {
            "listpack"
        }
    }

    pub fn heap_size(&self) -> usize {
        self.fields.overhead_bytes() + self.bytes
    }

    /// The bytes `bytes` should hold, recomputed from scratch (tests).
    pub fn recount(&self) -> usize {
        self.fields
            .iter()
            .map(|(f, v)| f.heap_size() + v.heap_size())
            .sum()
    }
}

impl Default for HashValue {
    fn default() -> Self {
        HashValue::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_remove_keep_bytes_exact() {
        let mut h = HashValue::new();
        assert!(h.set(b"a", b"1"));
        assert!(h.set(b"long-field-name-over-22-bytes", &[b'x'; 100]));
        assert!(!h.set(b"a", &[b'y'; 50]));
        assert_eq!(h.bytes, h.recount());
        assert_eq!(h.len(), 2);
        assert_eq!(h.get(b"a").map(|v| v.len()), Some(50));
        assert!(h.remove(b"a"));
        assert!(!h.remove(b"a"));
        assert_eq!(h.bytes, h.recount());
        assert!(h.remove(b"long-field-name-over-22-bytes"));
        assert_eq!(h.bytes, 0);
        assert!(h.is_empty());
    }

    #[test]
    fn encoding_converts_once() {
        let lim = Limits {
            max_entries: 2,
            max_value: 4,
        };
        let mut h = HashValue::new();
        h.set_checked(b"f", b"1234", lim);
        h.set_checked(b"g", b"v", lim);
        assert_eq!(h.encoding(), "listpack");
        h.set_checked(b"h", b"v", lim);
        assert_eq!(h.encoding(), "hashtable");
        h.remove(b"h");
        assert_eq!(h.encoding(), "hashtable");
        let mut h = HashValue::new();
        h.set_checked(b"f", b"12345", lim);
        assert_eq!(h.encoding(), "hashtable");
    }
}
