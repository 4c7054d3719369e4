//! List values: a deque of elements. The list command family
//! (src/command/list.rs) builds on this.
//!
//! Every change goes through a method here so `bytes` (the elements' heap
//! bytes) stays exact; `heap_size` adds the deque's own buffer. Redis 7.0
//! reports every list as a `quicklist`.

use super::bytes::CompactBytes;
use std::collections::VecDeque;

#[derive(Clone, Default)]
pub struct ListValue {
    pub items: VecDeque<CompactBytes>,
    /// Heap bytes the elements own (kept up to date by every change).
    pub bytes: usize,
}

/// Which end of a list (Redis's LIST_HEAD / LIST_TAIL).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    Left,
    Right,
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

    /// The elements' heap bytes counted afresh (for checks).
    pub fn recount(&self) -> usize {
        self.items.iter().map(|e| e.heap_size()).sum()
    }

    pub fn get(&self, i: usize) -> Option<&CompactBytes> {
        self.items.get(i)
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &CompactBytes> + ExactSizeIterator {
        self.items.iter()
    }

    /// Adds an element at one end.
    pub fn push(&mut self, end: End, v: &[u8]) {
        self.push_owned(end, CompactBytes::new(v));
    }

    pub fn push_owned(&mut self, end: End, c: CompactBytes) {
        self.bytes += c.heap_size();
        match end {
            End::Left => self.items.push_front(c),
            End::Right => self.items.push_back(c),
        }
    }

    /// Removes the element at one end.
    pub fn pop(&mut self, end: End) -> Option<CompactBytes> {
        let c = match end {
            End::Left => self.items.pop_front(),
            End::Right => self.items.pop_back(),
        }?;
        self.bytes -= c.heap_size();
        self.maybe_shrink();
        Some(c)
    }

    /// Inserts `v` so it ends up at index `i` (0..=len).
    pub fn insert(&mut self, i: usize, v: &[u8]) {
        let c = CompactBytes::new(v);
        self.bytes += c.heap_size();
        self.items.insert(i, c);
    }

    /// Replaces the element at `i` (which must exist).
    pub fn set(&mut self, i: usize, v: &[u8]) {
        let c = CompactBytes::new(v);
        self.bytes += c.heap_size();
        let old = std::mem::replace(&mut self.items[i], c);
        self.bytes -= old.heap_size();
    }

    /// Removes the element at `i` (which must exist).
    pub fn remove(&mut self, i: usize) -> Option<CompactBytes> {
        let c = self.items.remove(i)?;
        self.bytes -= c.heap_size();
        Some(c)
    }

    /// Keeps only the elements `pred` accepts, in order.
    pub fn retain(&mut self, mut pred: impl FnMut(&CompactBytes) -> bool) {
        let mut freed = 0;
        self.items.retain(|c| {
            let keep = pred(c);
            if !keep {
                freed += c.heap_size();
            }
            keep
        });
        self.bytes -= freed;
        self.maybe_shrink();
    }

    /// Drops `left` elements from the head and `right` from the tail.
    pub fn trim(&mut self, left: usize, right: usize) {
        let left = left.min(self.len());
        for c in self.items.drain(..left) {
            self.bytes -= c.heap_size();
        }
        let keep = self.len().saturating_sub(right);
        for c in self.items.drain(keep..) {
            self.bytes -= c.heap_size();
        }
        self.maybe_shrink();
    }

    /// Gives back most of the deque's buffer once it is mostly empty, so a
    /// list that shrank does not hold its peak allocation forever.
    fn maybe_shrink(&mut self) {
        let cap = self.items.capacity();
        if cap > 64 && self.items.len() < cap / 4 {
            self.items.shrink_to(self.items.len() * 2);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_stay_exact() {
        let long = [b'x'; 100];
        let mut l = ListValue::new();
        for i in 0..500 {
            let end = if i % 2 == 0 { End::Left } else { End::Right };
            l.push(end, &long[..i % 100]);
            assert_eq!(l.bytes, l.recount());
        }
        l.insert(3, &long);
        l.set(0, &long);
        l.set(1, b"short");
        assert_eq!(l.bytes, l.recount());
        l.remove(5);
        l.retain(|c| c.len() % 3 != 0);
        assert_eq!(l.bytes, l.recount());
        l.trim(10, 20);
        assert_eq!(l.bytes, l.recount());
        while l.pop(End::Right).is_some() {
            assert_eq!(l.bytes, l.recount());
        }
        assert_eq!(l.bytes, 0);
        assert!(l.items.capacity() <= 64);
        l.push(End::Left, b"a");
        l.trim(5, 5);
        assert!(l.is_empty());
        assert_eq!(l.encoding(), "quicklist");
    }

    /// Random operations against a plain `VecDeque` model: same elements in
    /// the same order, exact byte accounting, after every step.
    #[test]
    fn matches_a_simple_model_under_random_operations() {
        use std::collections::VecDeque;
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut rnd = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n.max(1)
        };
        let mut l = ListValue::new();
        let mut model: VecDeque<Vec<u8>> = VecDeque::new();
        for step in 0..20_000 {
            let len = model.len() as u64;
            let v = vec![b'a' + rnd(26) as u8; rnd(40) as usize];
            match rnd(9) {
                0 | 1 => {
                    l.push(End::Left, &v);
                    model.push_front(v);
                }
                2 | 3 => {
                    l.push(End::Right, &v);
                    model.push_back(v);
                }
                4 => assert_eq!(l.pop(End::Left).map(|c| c.to_vec()), model.pop_front()),
                5 => assert_eq!(l.pop(End::Right).map(|c| c.to_vec()), model.pop_back()),
                6 if len > 0 => {
                    let i = rnd(len) as usize;
                    if rnd(2) == 0 {
                        l.insert(i, &v);
                        model.insert(i, v);
                    } else {
                        l.set(i, &v);
                        model[i] = v;
                    }
                }
                7 if len > 0 => {
                    let i = rnd(len) as usize;
                    assert_eq!(l.remove(i).map(|c| c.to_vec()), model.remove(i));
                }
                8 => {
                    if rnd(4) == 0 {
                        let n = rnd(40) as usize;
                        l.retain(|c| c.len() != n);
                        model.retain(|c| c.len() != n);
                    } else {
                        let (a, b) = (rnd(3) as usize, rnd(3) as usize);
                        l.trim(a, b);
                        let a = a.min(model.len());
                        model.drain(..a);
                        let keep = model.len().saturating_sub(b);
                        model.truncate(keep);
                    }
                }
                _ => {}
            }
            assert_eq!(l.len(), model.len(), "step {step}");
            assert_eq!(l.bytes, l.recount(), "step {step}");
            if step % 97 == 0 {
                let got: Vec<Vec<u8>> = l.iter().map(|c| c.to_vec()).collect();
                assert!(got.iter().eq(model.iter()), "step {step}");
                for (i, m) in model.iter().enumerate() {
                    assert_eq!(l.get(i).map(|c| c.as_slice()), Some(m.as_slice()));
                }
            }
        }
    }
}
