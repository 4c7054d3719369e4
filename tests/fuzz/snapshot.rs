//! Target `snapshot`: loading a snapshot file
//! (`flashdb::persist::snapshot::{open, Loaded::load_into, min_lsn}`).
//!
//! Input: the bytes of a snapshot file. The seeds are real snapshots of
//! small stores holding every value type in its small and large encodings (streams
//! with a consumer group, PEL and consumers);
//! mutations rewrite the trailing CRC three times in four (else nearly
//! every mutation stops at the checksum), and often aim interesting
//! integers at the fields that hold counts, lengths and offsets.
//! Invariants:
//! - `open` fails with a message naming the file, or succeeds with a sane
//!   header; it allocates at most about the file's size;
//! - `load_into` (into a store shaped like the header says) succeeds with
//!   the footer's key count and one LSN per stripe, or fails naming the
//!   file and the offset; its memory stays proportional to the file;
//! - `min_lsn`, which reads only the header, footer and section heads
//!   without checking the CRC, never allocates more than the file's size,
//!   and agrees with the loaded LSNs when `open` accepted the file.

use super::{
    bounded, bucket, mix, mutate_bytes, put_le, shape, Features, Rng, Target, TempDir,
    INTERESTING_U64,
};
use flashdb::persist::snapshot::{self, Limits};
use flashdb::store::hash::HashValue;
use flashdb::store::list::{End, ListValue};
use flashdb::store::set::SetValue;
use flashdb::store::siphash::KeyHasher;
use flashdb::store::stream::{Group, StreamId, StreamValue};
use flashdb::store::zset::ZSetValue;
use flashdb::store::{Entry, Store, Value};
use flashdb::tx::Gate;
use std::fs;
use std::path::PathBuf;

const HEADER_LEN: usize = 44;
const SECTION_HEAD: usize = 20;
const TRAILER_LEN: usize = 28;

pub struct SnapshotTarget {
    dir: TempDir,
    path: PathBuf,
}

impl SnapshotTarget {
    pub fn new() -> SnapshotTarget {
        let dir = TempDir::new("snap");
        let path = dir.0.join("snapshot-00000000000000000001.fdb");
        SnapshotTarget { dir, path }
    }
}

impl Default for SnapshotTarget {
    fn default() -> Self {
        Self::new()
    }
}

fn put(store: &Store, db: usize, key: &[u8], v: Value, exp: u64) {
    let (mut s, h) = store.dbs[db].write(key);
    s.insert(h, key, Entry::new(v, exp));
}

/// A store of `dbs` DBs and `stripes` stripes with `n` keys of every type
/// (a third of them, with `big`, past the small encodings' limits).
pub fn sample_store(rng: &mut Rng, dbs: usize, stripes: usize, n: usize, big: bool) -> Store {
    // Fixed hash keys and times, so the same seed gives the same bytes.
    let hasher = KeyHasher::with_keys(0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210);
    let store = Store::with_hasher(dbs, stripes, hasher);
    let far = 4_102_444_800_000; // 2100-01-01
    for i in 0..n {
        let db = rng.below(dbs);
        let exp = if rng.one_in(4) { far } else { 0 };
        let key = format!("key:{i}:{}", rng.below(1000));
        let big = big && rng.one_in(3);
        let count = if big {
            150 + rng.below(400)
        } else {
            1 + rng.below(5)
        };
        let v = match i % 6 {
            0 => Value::str(&if big {
                rng.bytes(100)
            } else {
                rng.some_bytes(20)
            }),
            1 => {
                let mut h = HashValue::new();
                for j in 0..count {
                    h.set(format!("f{j}").as_bytes(), &rng.some_bytes(8));
                }
                Value::Hash(Box::new(h))
            }
            2 => {
                let mut s = SetValue::new();
                for j in 0..count {
                    let m = if rng.one_in(2) {
                        j.to_string()
                    } else {
                        format!("m{j}")
                    };
                    s.add(m.as_bytes(), 512);
                }
                Value::Set(Box::new(s))
            }
            3 => {
                let mut l = ListValue::new();
                for _ in 0..count {
                    l.push(End::Right, &rng.some_bytes(6));
                }
                Value::List(Box::new(l))
            }
            5 => {
                // A stream with a group, a PEL and consumers.
                let mut x = StreamValue::new();
                for j in 0..count as u64 {
                    x.append(
                        StreamId::new(1000 + j, j % 3),
                        vec![b"f".to_vec(), rng.some_bytes(6)],
                        Default::default(),
                    );
                }
                if rng.one_in(2) {
                    x.delete(StreamId::new(1000, 0));
                    x.max_deleted = StreamId::new(1000, 0);
                }
                let mut g = Group::new(StreamId::new(1001, 1), 2);
                g.create_consumer(b"alice", 1_700_000_000_000);
                g.create_consumer(b"bob", 1_700_000_000_001);
                g.assign(StreamId::new(1000, 0), b"alice", 1_700_000_000_002, 3);
                g.assign(StreamId::new(1001, 1), b"bob", 1_700_000_000_003, 1);
                x.groups.insert(b"grp".to_vec(), g);
                Value::Stream(Box::new(x))
            }
            _ => {
                let mut z = ZSetValue::new();
                for j in 0..count {
                    let m = format!("m{j}");
                    z.prepare_add(128, 64, m.as_bytes());
                    let score = match j % 4 {
                        0 => f64::INFINITY,
                        1 => -0.5 * j as f64,
                        _ => j as f64,
                    };
                    z.set(m.as_bytes(), score);
                }
                Value::ZSet(Box::new(z))
            }
        };
        put(&store, db, key.as_bytes(), v, exp);
    }
    store
}

/// The bytes of a snapshot of `store` (its creation time set to 0).
pub fn snapshot_bytes(store: &Store, lsn: u64) -> Vec<u8> {
    let dir = TempDir::new("snap-seed");
    let info = snapshot::write(store, &Gate::default(), || lsn, &dir.0).expect("write a snapshot");
    let mut d = fs::read(info.path).unwrap();
    d[12..20].copy_from_slice(&0u64.to_le_bytes());
    fix_crc(&mut d);
    d
}

/// Rewrites the trailing CRC.
pub fn fix_crc(d: &mut [u8]) {
    if d.len() >= 4 {
        let n = d.len() - 4;
        let c = crc32fast::hash(&d[..n]);
        d[n..].copy_from_slice(&c.to_le_bytes());
    }
}

fn le_u64(d: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(d.get(at..at + 8)?.try_into().ok()?))
}

/// Offsets and widths of the fields that hold counts, lengths and
/// offsets, as far as the (possibly damaged) structure can be followed.
pub fn fields(d: &[u8]) -> Vec<(usize, usize)> {
    let mut out = vec![(8, 4), (20, 4), (24, 4)];
    let len = d.len();
    if len < HEADER_LEN + TRAILER_LEN {
        return out;
    }
    out.extend([(len - 28, 8), (len - 20, 8)]);
    let Some(footer) = le_u64(d, len - 20) else {
        return out;
    };
    let footer = footer as usize;
    if footer >= len {
        return out;
    }
    let mut at = footer;
    while at + 8 <= len - TRAILER_LEN && out.len() < 64 {
        out.push((at, 8));
        let o = le_u64(d, at).and_then(|o| usize::try_from(o).ok());
        if let Some(o) = o.filter(|&o| o.checked_add(SECTION_HEAD + 35).is_some_and(|e| e <= len)) {
            // Section head: stripe, lsn, count; then the first entry: db,
            // type, expire, key length, and the value's first length or
            // count.
            out.extend([(o, 4), (o + 4, 8), (o + 12, 8)]);
            let e = o + SECTION_HEAD;
            out.extend([(e, 2), (e + 2, 1), (e + 3, 8), (e + 11, 4)]);
            let klen = u32::from_le_bytes(d[e + 11..e + 15].try_into().unwrap()) as usize;
            let v = e + 15 + klen;
            if v + 8 <= len {
                out.extend([(v, 4), (v, 8)]);
            }
        }
        at += 8;
    }
    out
}

impl Target for SnapshotTarget {
    fn name(&self) -> &'static str {
        "snapshot"
    }

    fn seeds(&mut self, rng: &mut Rng) -> Vec<Vec<u8>> {
        vec![
            snapshot_bytes(&sample_store(rng, 1, 1, 0, false), 5),
            snapshot_bytes(&sample_store(rng, 2, 4, 6, false), 17),
            snapshot_bytes(&sample_store(rng, 3, 8, 20, true), 1 << 40),
            snapshot_bytes(&sample_store(rng, 1, 2, 12, true), 3),
        ]
    }

    fn mutate(&mut self, rng: &mut Rng, base: &[u8], other: &[u8]) -> Vec<u8> {
        let mut v = base.to_vec();
        if rng.one_in(2) {
            let f = fields(&v);
            for _ in 0..1 + rng.below(2) {
                let (at, width) = *rng.pick(&f);
                let mut x = *rng.pick(INTERESTING_U64);
                if rng.one_in(3) {
                    x = x.wrapping_add(rng.below(5) as u64).wrapping_sub(2);
                }
                put_le(&mut v, at, width, x);
            }
        } else {
            mutate_bytes(rng, &mut v, other, &[b"FLASHSNP", b"FLASHEND"], 256 * 1024);
        }
        if !rng.one_in(4) {
            fix_crc(&mut v);
        }
        v
    }

    fn run(&mut self, input: &[u8]) -> Result<Features, String> {
        let path = &self.path;
        let name = path.display().to_string();
        fs::write(path, input).map_err(|e| e.to_string())?;
        let len = input.len();
        let opened = bounded("open", 2 * len + 64 * 1024, || snapshot::open(path))?;
        let mut f = vec![mix(40, bucket(len))];
        let mut lsns = None;
        match opened {
            Err(msg) => {
                if !msg.contains(&name) {
                    return Err(format!("open's error does not name the file: {msg}"));
                }
                f.push(mix(41, shape(&msg)));
            }
            Ok(l) => {
                let h = *l.header();
                let n = h.nstripes as usize;
                if !n.is_power_of_two() || h.ndbs == 0 || h.ndbs > 65536 {
                    return Err(format!("open accepted header {h:?}"));
                }
                f.push(mix(42, mix(bucket(n), bucket(h.ndbs as usize))));
                let dbs = (h.ndbs as usize).min(16);
                if dbs * n <= 4096 {
                    let store = Store::with_hasher(dbs, n, h.hasher);
                    let loaded = bounded("load_into", 256 * len + (1 << 20), || {
                        l.load_into(&store, &Limits::default(), 1)
                    })?;
                    match loaded {
                        Ok((l_lsns, keys)) => {
                            if keys != l.keys() || l_lsns.len() != n {
                                return Err(format!(
                                    "loaded {keys} keys and {} LSNs; the footer says {} keys, {n} stripes",
                                    l_lsns.len(),
                                    l.keys()
                                ));
                            }
                            f.push(mix(43, bucket(keys as usize)));
                            lsns = Some(l_lsns);
                        }
                        Err(msg) => {
                            if !msg.contains(&name) || !msg.contains("offset") {
                                return Err(format!(
                                    "load's error does not name the file and offset: {msg}"
                                ));
                            }
                            f.push(mix(44, shape(&msg)));
                        }
                    }
                }
            }
        }
        let min = bounded("min_lsn", len + 64 * 1024, || snapshot::min_lsn(path))?;
        f.push(mix(
            45,
            min.as_ref().map_or_else(|e| shape(&e.to_string()), |_| 1),
        ));
        if let Some(lsns) = lsns {
            let want = lsns.iter().copied().min().unwrap_or(0);
            match min {
                Ok(m) if m == want => {}
                other => {
                    return Err(format!(
                        "min_lsn gives {other:?} for a snapshot whose smallest stripe LSN is {want}"
                    ))
                }
            }
        }
        Ok(f)
    }
}
