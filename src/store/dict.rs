//! `Dict`: the chained hash table each stripe keeps its keys in.
//!
//! Why not `std::collections::HashMap`: SCAN must return every key present
//! for the whole iteration even while the table grows or shrinks, which needs
//! Redis's reverse-binary cursor over power-of-two bucket arrays (see
//! `scan`). A chained table also keeps one node per key, so memory grows
//! with the key count instead of jumping by 2x at each resize.
//!
//! The caller supplies the key's hash (it already computed it to pick the
//! stripe); the table keeps a copy of the keyed hasher to rehash on resize.

use super::bytes::{malloc_size, CompactBytes};
use super::siphash::KeyHasher;

struct Node<V> {
    next: Option<Box<Node<V>>>,
    key: CompactBytes,
    val: V,
}

type Link<V> = Option<Box<Node<V>>>;

pub struct Dict<V> {
    buckets: Vec<Link<V>>,
    len: usize,
    hasher: KeyHasher,
}

const MIN_BUCKETS: usize = 4;

impl<V> Dict<V> {
    pub fn new(hasher: KeyHasher) -> Dict<V> {
        Dict {
            buckets: Vec::new(),
            len: 0,
            hasher,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The keyed hash of `key` (the same one the store used to pick the stripe).
    pub fn hash_key(&self, key: &[u8]) -> u64 {
        self.hasher.hash_one(key)
    }

    fn mask(&self) -> usize {
        self.buckets.len().wrapping_sub(1)
    }

    pub fn get(&self, hash: u64, key: &[u8]) -> Option<&V> {
        if self.buckets.is_empty() {
            return None;
        }
        let mut cur = self.buckets[hash as usize & self.mask()].as_deref();
        while let Some(n) = cur {
            if n.key.as_slice() == key {
                return Some(&n.val);
            }
            cur = n.next.as_deref();
        }
        None
    }

    pub fn get_key_value(&self, hash: u64, key: &[u8]) -> Option<(&CompactBytes, &V)> {
        if self.buckets.is_empty() {
            return None;
        }
        let mut cur = self.buckets[hash as usize & self.mask()].as_deref();
        while let Some(n) = cur {
            if n.key.as_slice() == key {
                return Some((&n.key, &n.val));
            }
            cur = n.next.as_deref();
        }
        None
    }

    pub fn get_mut(&mut self, hash: u64, key: &[u8]) -> Option<&mut V> {
        if self.buckets.is_empty() {
            return None;
        }
        let mask = self.mask();
        let mut cur = self.buckets[hash as usize & mask].as_deref_mut();
        while let Some(n) = cur {
            if n.key.as_slice() == key {
                return Some(&mut n.val);
            }
            cur = n.next.as_deref_mut();
        }
        None
    }

    /// Inserts or replaces; returns the previous value.
    pub fn insert(&mut self, hash: u64, key: CompactBytes, val: V) -> Option<V> {
        if let Some(v) = self.get_mut(hash, &key) {
            return Some(std::mem::replace(v, val));
        }
        self.insert_new(hash, key, val);
        None
    }

    /// Inserts a key the caller knows is absent (no lookup first).
    pub fn insert_new(&mut self, hash: u64, key: CompactBytes, val: V) {
        if self.len >= self.buckets.len() {
            self.resize((self.buckets.len() * 2).max(MIN_BUCKETS));
        }
        let idx = hash as usize & self.mask();
        let next = self.buckets[idx].take();
        self.buckets[idx] = Some(Box::new(Node { next, key, val }));
        self.len += 1;
    }

    pub fn remove(&mut self, hash: u64, key: &[u8]) -> Option<(CompactBytes, V)> {
        if self.buckets.is_empty() {
            return None;
        }
        let idx = hash as usize & self.mask();
        let mut link = &mut self.buckets[idx];
        loop {
            match link {
                None => return None,
                Some(n) if n.key.as_slice() == key => {
                    let mut node = link.take()?;
                    *link = node.next.take();
                    self.len -= 1;
                    self.maybe_shrink();
                    return Some((node.key, node.val));
                }
                Some(n) => link = &mut n.next,
            }
        }
    }

    fn maybe_shrink(&mut self) {
        // Like Redis: shrink when under 10% full.
        if self.buckets.len() > MIN_BUCKETS && self.len * 10 < self.buckets.len() {
            let size = self.len.next_power_of_two().max(MIN_BUCKETS);
            self.resize(size);
        }
        if self.len == 0 {
            self.buckets = Vec::new();
        }
    }

    fn resize(&mut self, size: usize) {
        let mut new: Vec<Link<V>> = Vec::with_capacity(size);
        new.resize_with(size, || None);
        let mask = size - 1;
        for mut link in std::mem::take(&mut self.buckets) {
            while let Some(mut node) = link {
                link = node.next.take();
                let idx = self.hasher.hash_one(node.key.as_slice()) as usize & mask;
                node.next = new[idx].take();
                new[idx] = Some(node);
            }
        }
        self.buckets = new;
    }

    /// Removes everything; returns the old contents so a caller can drop them
    /// outside its lock (or on another thread, for FLUSHALL ASYNC).
    pub fn take(&mut self) -> Dict<V> {
        let hasher = self.hasher;
        std::mem::replace(self, Dict::new(hasher))
    }

    /// Visits the bucket `cursor` points at and returns the next cursor
    /// (0 when the iteration is complete). Redis's reverse-binary increment:
    /// every element present from the first to the last call is visited at
    /// least once even if the table is resized in between.
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(&CompactBytes, &V)) -> u64 {
        if self.buckets.is_empty() {
            return 0;
        }
        let mask = self.mask() as u64;
        let mut cur = self.buckets[(cursor & mask) as usize].as_deref();
        while let Some(n) = cur {
            f(&n.key, &n.val);
            cur = n.next.as_deref();
        }
        let mut v = cursor | !mask;
        v = v.reverse_bits();
        v = v.wrapping_add(1);
        v.reverse_bits()
    }

    /// Like `scan`, with mutable access to the values of the visited bucket.
    /// The closure returns true to delete the element.
    pub fn scan_retain(
        &mut self,
        cursor: u64,
        mut f: impl FnMut(&CompactBytes, &mut V) -> bool,
    ) -> u64 {
        if self.buckets.is_empty() {
            return 0;
        }
        let mask = self.mask() as u64;
        let mut removed = 0;
        {
            let mut link = &mut self.buckets[(cursor & mask) as usize];
            loop {
                match link {
                    None => break,
                    Some(n) => {
                        if f(&n.key, &mut n.val) {
                            let mut node = match link.take() {
                                Some(node) => node,
                                None => break,
                            };
                            *link = node.next.take();
                            removed += 1;
                        } else {
                            link = &mut link.as_mut().expect("checked Some").next;
                        }
                    }
                }
            }
        }
        self.len -= removed;
        let mut v = cursor | !mask;
        v = v.reverse_bits();
        v = v.wrapping_add(1);
        let next = v.reverse_bits();
        if removed > 0 {
            // Shrinking changes the mask; the reverse-binary cursor stays valid.
            self.maybe_shrink();
        }
        next
    }

    /// A random element (uniform over buckets, then within the chain), or None.
    pub fn random(&self, rnd: &mut impl FnMut() -> u64) -> Option<(&CompactBytes, &V)> {
        if self.len == 0 {
            return None;
        }
        let mask = self.mask();
        loop {
            let idx = rnd() as usize & mask;
            if let Some(head) = self.buckets[idx].as_deref() {
                let mut chain = 0;
                let mut cur = Some(head);
                while let Some(n) = cur {
                    chain += 1;
                    cur = n.next.as_deref();
                }
                let pick = (rnd() % chain) as usize;
                let mut cur = head;
                for _ in 0..pick {
                    cur = cur.next.as_deref().expect("within chain length");
                }
                return Some((&cur.key, &cur.val));
            }
        }
    }

    /// Visits the elements bucket after bucket from bucket `start` (taken
    /// modulo the table size), wrapping around, until `f` returns false or
    /// every bucket was visited. Eviction samples keys this way from a random
    /// start, as Redis's dictGetSomeKeys walks consecutive buckets.
    pub fn walk_from(&self, start: usize, mut f: impl FnMut(&CompactBytes, &V) -> bool) {
        let n = self.buckets.len();
        for i in 0..n {
            let mut cur = self.buckets[(start + i) & (n - 1)].as_deref();
            while let Some(node) = cur {
                if !f(&node.key, &node.val) {
                    return;
                }
                cur = node.next.as_deref();
            }
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&CompactBytes, &V)> {
        self.buckets.iter().flat_map(|b| {
            let mut cur = b.as_deref();
            std::iter::from_fn(move || {
                let n = cur?;
                cur = n.next.as_deref();
                Some((&n.key, &n.val))
            })
        })
    }

    /// Bytes used by the table itself and one node per element, excluding
    /// what the keys and values own on the heap.
    pub fn overhead_bytes(&self) -> usize {
        self.buckets.capacity() * std::mem::size_of::<Link<V>>()
            + self.len * malloc_size(std::mem::size_of::<Node<V>>())
    }
}

impl<V: Clone> Clone for Dict<V> {
    fn clone(&self) -> Dict<V> {
        let mut d = Dict::new(self.hasher);
        for (k, v) in self.iter() {
            let h = d.hash_key(k);
            d.insert_new(h, k.clone(), v.clone());
        }
        d
    }
}

impl<V> Drop for Dict<V> {
    fn drop(&mut self) {
        // Unlink chains iteratively so a long chain cannot overflow the stack.
        for link in self.buckets.iter_mut() {
            let mut cur = link.take();
            while let Some(mut n) = cur {
                cur = n.next.take();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn put(d: &mut Dict<u32>, k: &str, v: u32) {
        let h = d.hash_key(k.as_bytes());
        d.insert(h, CompactBytes::new(k.as_bytes()), v);
    }

    #[test]
    fn insert_get_remove_resize() {
        let mut d = Dict::new(KeyHasher::random());
        for i in 0..1000 {
            put(&mut d, &format!("k{i}"), i);
        }
        assert_eq!(d.len(), 1000);
        for i in 0..1000 {
            let k = format!("k{i}");
            assert_eq!(d.get(d.hash_key(k.as_bytes()), k.as_bytes()), Some(&i));
        }
        for i in 0..990 {
            let k = format!("k{i}");
            let h = d.hash_key(k.as_bytes());
            assert_eq!(d.remove(h, k.as_bytes()).map(|x| x.1), Some(i));
        }
        assert_eq!(d.len(), 10);
        assert!(d.buckets.len() <= 16);
        assert_eq!(d.iter().count(), 10);
    }

    #[test]
    fn scan_sees_every_key_across_growth_and_shrink() {
        let mut d = Dict::new(KeyHasher::random());
        for i in 0..100 {
            put(&mut d, &format!("stay{i}"), i);
        }
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut step = 0;
        loop {
            cursor = d.scan(cursor, |k, _| {
                seen.insert(k.as_slice().to_vec());
            });
            step += 1;
            // Grow a lot in the middle of the scan, then shrink again.
            if step == 3 {
                for i in 0..5000 {
                    put(&mut d, &format!("tmp{i}"), i);
                }
            }
            if step == 40 {
                for i in 0..5000 {
                    let k = format!("tmp{i}");
                    let h = d.hash_key(k.as_bytes());
                    d.remove(h, k.as_bytes());
                }
            }
            if cursor == 0 {
                break;
            }
        }
        for i in 0..100 {
            assert!(
                seen.contains(format!("stay{i}").as_bytes()),
                "missed stay{i}"
            );
        }
    }

    #[test]
    fn scan_retain_deletes() {
        let mut d = Dict::new(KeyHasher::random());
        for i in 0..100 {
            put(&mut d, &format!("k{i}"), i);
        }
        let mut cursor = 0;
        loop {
            cursor = d.scan_retain(cursor, |_, v| *v % 2 == 0);
            if cursor == 0 {
                break;
            }
        }
        assert_eq!(d.len(), 50);
        assert!(d.iter().all(|(_, v)| v % 2 == 1));
    }

    #[test]
    fn walk_from_visits_each_element_once_from_any_start() {
        let mut d = Dict::new(KeyHasher::random());
        d.walk_from(3, |_, _| panic!("empty table"));
        for i in 0..100 {
            put(&mut d, &format!("k{i}"), i);
        }
        for start in [0, 7, 1 << 40] {
            let mut seen = Vec::new();
            d.walk_from(start, |_, v| {
                seen.push(*v);
                true
            });
            seen.sort_unstable();
            assert_eq!(seen, (0..100).collect::<Vec<_>>());
        }
        let mut n = 0;
        d.walk_from(5, |_, _| {
            n += 1;
            n < 3
        });
        assert_eq!(n, 3);
    }

    #[test]
    fn random_returns_members() {
        let mut d = Dict::new(KeyHasher::random());
        let mut x = 88172645463325252u64;
        let mut rnd = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        assert!(d.random(&mut rnd).is_none());
        for i in 0..10 {
            put(&mut d, &format!("k{i}"), i);
        }
        let mut seen = HashSet::new();
        for _ in 0..500 {
            seen.insert(*d.random(&mut rnd).unwrap().1);
        }
        assert_eq!(seen.len(), 10);
    }
}
