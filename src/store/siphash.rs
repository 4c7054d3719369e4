//! `KeyHasher`: keyed SipHash-2-4 over a byte string.
//!
//! The store picks a key's stripe (and its bucket) from this hash. It is our
//! own (not std's `RandomState`) because its keys must be known and stable:
//! a snapshot records the keys its stripes were hashed with, so recovery can
//! tell which stripe — and so which stripe LSN — a WAL record belongs to
//! (src/persist/recovery.rs). The algorithm is fixed by its published test
//! vectors, so a newer compiler cannot change the mapping.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyHasher {
    k0: u64,
    k1: u64,
}

#[inline(always)]
fn round(v: &mut [u64; 4]) {
    v[0] = v[0].wrapping_add(v[1]);
    v[1] = v[1].rotate_left(13);
    v[1] ^= v[0];
    v[0] = v[0].rotate_left(32);
    v[2] = v[2].wrapping_add(v[3]);
    v[3] = v[3].rotate_left(16);
    v[3] ^= v[2];
    v[0] = v[0].wrapping_add(v[3]);
    v[3] = v[3].rotate_left(21);
    v[3] ^= v[0];
    v[2] = v[2].wrapping_add(v[1]);
    v[1] = v[1].rotate_left(17);
    v[1] ^= v[2];
    v[2] = v[2].rotate_left(32);
}

impl KeyHasher {
    pub fn with_keys(k0: u64, k1: u64) -> KeyHasher {
        KeyHasher { k0, k1 }
    }

    /// Fresh keys from the OS-seeded std hasher.
    pub fn random() -> KeyHasher {
        use std::hash::BuildHasher;
        let s = std::collections::hash_map::RandomState::new();
        KeyHasher {
            k0: s.hash_one(0x5eed_u64),
            k1: s.hash_one(0xf1a5_u64),
        }
    }

    pub fn keys(&self) -> (u64, u64) {
        (self.k0, self.k1)
    }

    /// SipHash-2-4 of `data`.
    pub fn hash_one(&self, data: &[u8]) -> u64 {
        let mut v = [
            self.k0 ^ 0x736f6d6570736575,
            self.k1 ^ 0x646f72616e646f6d,
            self.k0 ^ 0x6c7967656e657261,
            self.k1 ^ 0x7465646279746573,
        ];
        let mut chunks = data.chunks_exact(8);
        for c in &mut chunks {
            let m = u64::from_le_bytes(c.try_into().unwrap());
            v[3] ^= m;
            round(&mut v);
            round(&mut v);
            v[0] ^= m;
        }
        let rest = chunks.remainder();
        let mut last = (data.len() as u64) << 56;
        for (i, b) in rest.iter().enumerate() {
            last |= (*b as u64) << (8 * i);
        }
        v[3] ^= last;
        round(&mut v);
        round(&mut v);
        v[0] ^= last;
        v[2] ^= 0xff;
        for _ in 0..4 {
            round(&mut v);
        }
        v[0] ^ v[1] ^ v[2] ^ v[3]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_test_vectors() {
        // The reference implementation's vectors: key 00..0f, message
        // 00..(n-1), for n = 0, 1, 7, 8, 15, 63.
        let h = KeyHasher::with_keys(0x0706050403020100, 0x0f0e0d0c0b0a0908);
        let msg: Vec<u8> = (0..64).collect();
        let expect: [(usize, [u8; 8]); 6] = [
            (0, [0x31, 0x0e, 0x0e, 0xdd, 0x47, 0xdb, 0x6f, 0x72]),
            (1, [0xfd, 0x67, 0xdc, 0x93, 0xc5, 0x39, 0xf8, 0x74]),
            (7, [0x37, 0xd1, 0x01, 0x8b, 0xf5, 0x00, 0x02, 0xab]),
            (8, [0x62, 0x24, 0x93, 0x9a, 0x79, 0xf5, 0xf5, 0x93]),
            (15, [0xe5, 0x45, 0xbe, 0x49, 0x61, 0xca, 0x29, 0xa1]),
            (63, [0x72, 0x45, 0x06, 0xeb, 0x4c, 0x32, 0x8a, 0x95]),
        ];
        for (n, bytes) in expect {
            assert_eq!(h.hash_one(&msg[..n]), u64::from_le_bytes(bytes), "n={n}");
        }
    }
}
