//! `CompactBytes`: a byte string of 24 bytes that keeps up to 22 bytes
//! inline and longer ones in one exact-size heap allocation. Keys and string
//! values use it, so a typical small key/value costs no allocation of its own
//! (see the memory figures in docs/ARCHITECTURE.md). A value that APPEND or
//! SETRANGE modifies switches to a growable buffer with spare capacity (what
//! Redis calls the `raw` encoding), so repeated appends are amortised O(1).

use std::fmt;

/// Inline lengths 0..=22 as an enum, so the compiler has spare values in the
/// length byte to encode `Repr`'s (and `Value`'s) discriminant for free.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
#[rustfmt::skip]
enum Len {
    L0, L1, L2, L3, L4, L5, L6, L7, L8, L9, L10, L11,
    L12, L13, L14, L15, L16, L17, L18, L19, L20, L21, L22,
}

#[rustfmt::skip]
const LENS: [Len; 23] = [
    Len::L0, Len::L1, Len::L2, Len::L3, Len::L4, Len::L5, Len::L6, Len::L7, Len::L8,
    Len::L9, Len::L10, Len::L11, Len::L12, Len::L13, Len::L14, Len::L15, Len::L16,
    Len::L17, Len::L18, Len::L19, Len::L20, Len::L21, Len::L22,
];

pub const INLINE_CAP: usize = 22;

#[derive(Clone)]
enum Repr {
    Inline {
        data: [u8; INLINE_CAP],
        len: Len,
    },
    Heap(Box<[u8]>),
    // Boxed on purpose: a bare Vec (24 bytes) would make every key and
    // value 32 bytes; the extra indirection is paid only by modified values.
    #[allow(clippy::box_collection)]
    Growable(Box<Vec<u8>>),
}

/// A compact, immutable-in-place byte string (see the module docs).
#[derive(Clone)]
pub struct CompactBytes(Repr);

impl CompactBytes {
    pub fn new(b: &[u8]) -> CompactBytes {
        if b.len() <= INLINE_CAP {
            let mut data = [0u8; INLINE_CAP];
            data[..b.len()].copy_from_slice(b);
            CompactBytes(Repr::Inline {
                data,
                len: LENS[b.len()],
            })
        } else {
            CompactBytes(Repr::Heap(b.into()))
        }
    }

    /// Takes ownership of `v`, reusing its allocation when it is too long to
    /// be inlined.
    pub fn from_vec(v: Vec<u8>) -> CompactBytes {
        if v.len() <= INLINE_CAP {
            CompactBytes::new(&v)
        } else {
            CompactBytes(Repr::Heap(v.into_boxed_slice()))
        }
    }

    pub fn as_slice(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline { data, len } => &data[..*len as usize],
            Repr::Heap(b) => b,
            Repr::Growable(v) => v,
        }
    }

    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Inline { len, .. } => *len as usize,
            Repr::Heap(b) => b.len(),
            Repr::Growable(v) => v.len(),
        }
    }

    /// The bytes as a growable vector (converting once, keeping spare
    /// capacity from then on): for APPEND and SETRANGE.
    pub fn make_growable(&mut self) -> &mut Vec<u8> {
        if !matches!(self.0, Repr::Growable(_)) {
            let v = std::mem::replace(self, CompactBytes::new(b"")).into_vec();
            self.0 = Repr::Growable(Box::new(v));
        }
        match &mut self.0 {
            Repr::Growable(v) => v,
            _ => unreachable!("converted just above"),
        }
    }

    /// Whether this string has been modified in place (Redis's `raw`).
    pub fn is_growable(&self) -> bool {
        matches!(self.0, Repr::Growable(_))
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn into_vec(self) -> Vec<u8> {
        match self.0 {
            Repr::Inline { data, len } => data[..len as usize].to_vec(),
            Repr::Heap(b) => b.into_vec(),
            Repr::Growable(v) => *v,
        }
    }

    /// Bytes allocated on the heap for this string (0 when inline).
    pub fn heap_size(&self) -> usize {
        match &self.0 {
            Repr::Inline { .. } => 0,
            Repr::Heap(b) => malloc_size(b.len()),
            Repr::Growable(v) => {
                malloc_size(std::mem::size_of::<Vec<u8>>()) + malloc_size(v.capacity())
            }
        }
    }
}

/// What the allocator really hands out for a request of `n` bytes
/// (glibc: 8 bytes of header, 16-byte granules, 32 bytes minimum).
pub fn malloc_size(n: usize) -> usize {
    if n == 0 {
        0
    } else {
        ((n + 8 + 15) & !15).max(32)
    }
}

impl PartialEq for CompactBytes {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}
impl Eq for CompactBytes {}

impl std::hash::Hash for CompactBytes {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state)
    }
}

impl fmt::Debug for CompactBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_slice()))
    }
}

impl std::ops::Deref for CompactBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_and_heap() {
        assert_eq!(std::mem::size_of::<CompactBytes>(), 24);
        for n in [0usize, 1, 21, 22, 23, 100] {
            let v: Vec<u8> = (0..n as u8).collect();
            let c = CompactBytes::new(&v);
            assert_eq!(c.as_slice(), &v[..]);
            assert_eq!(c.len(), n);
            assert_eq!(c.heap_size() == 0, n <= INLINE_CAP);
            assert_eq!(CompactBytes::from_vec(v.clone()).into_vec(), v);
        }
    }

    #[test]
    fn growable_appends_in_place() {
        let mut c = CompactBytes::new(b"abc");
        assert!(!c.is_growable());
        c.make_growable().extend_from_slice(b"def");
        assert!(c.is_growable());
        assert_eq!(c.as_slice(), b"abcdef");
        let mut reallocs = 0;
        let mut cap = 0;
        for _ in 0..10_000 {
            c.make_growable().extend_from_slice(b"0123456789");
            let now = c.make_growable().capacity();
            if now != cap {
                reallocs += 1;
                cap = now;
            }
        }
        assert_eq!(c.len(), 6 + 100_000);
        assert!(
            reallocs < 40,
            "{reallocs} reallocations: growth is not amortised"
        );
        assert!(c.heap_size() >= 100_006);
    }
}
