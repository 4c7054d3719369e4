//! Snapshots: forkless, stripe-by-stripe dumps of the whole keyspace, and
//! their loader.
//!
//! # Taking one
//!
//! `write` never stops the server. For each stripe index `i` in
//! `0..nstripes` it takes the transaction gate shared (so an EXEC is either
//! wholly before or wholly after this stripe), read-locks stripe `i` of
//! every DB in ascending DB order (the store's locking rule), calls
//! `lsn_now()` — the WAL's next LSN: every WAL record already applied to
//! the stripe has a smaller one — and records it as stripe `i`'s LSN, then
//! serializes the stripe's live entries of every DB into an in-memory
//! section buffer and releases the locks and the gate. Only then is the
//! section written to the file. Each stripe is held only for the time it
//! takes to copy it into the buffer; the other stripes keep serving reads
//! and writes. Recovery loads the snapshot and replays, per stripe, the
//! WAL records with an LSN >= that stripe's LSN.
//!
//! Entries already expired when their stripe is serialized are skipped.
//!
//! # Files
//!
//! `<dir>/snapshots/snapshot-<id>.fdb`, the id a 20-digit zero-padded
//! decimal: one more than the largest id of a finished snapshot already in
//! the directory (1 for the first), so ids strictly increase and sorting by
//! name sorts by age. The file is written as `<name>.tmp`, fsynced, renamed
//! to its final name, and the directory is fsynced: a finished name always
//! holds a complete file. `list` ignores `*.tmp` files; `remove_temp`
//! deletes the leftovers of a crash (call it at start-up, before any
//! snapshot can be running). Only one `write` may run at a time per `dir`
//! (the caller serializes them).
//!
//! # Format (version 1, every integer little-endian)
//!
//! ```text
//! header (44 bytes)
//!   0   8  magic        b"FLASHSNP"
//!   8   4  version      u32 = 1
//!  12   8  created_ms   u64, Unix ms when the snapshot started
//!  20   4  ndbs         u32, databases in the store
//!  24   4  nstripes     u32, stripes per database (a power of two)
//!  28   8  k0           u64 \ the store's SipHash keys
//!  36   8  k1           u64 / (store.hasher().keys())
//!
//! one section per stripe index i = 0 .. nstripes-1, in order
//!   +0  4  stripe       u32 = i
//!   +4  8  lsn          u64, stripe i's LSN (see above)
//!  +12  8  count        u64, entries in this section
//!  +20     count entries, DBs in ascending order, each:
//!          db          u16
//!          type        u8: 0 string, 1 hash, 2 set, 3 list, 4 zset
//!          expire_at   u64, absolute Unix ms; 0 = no TTL
//!          key         bytes
//!          value       by type:
//!            string  bytes
//!            hash    u64 n, then n × (field bytes, value bytes)
//!            set     u64 n, then n × member bytes
//!            list    u64 n, then n × element bytes, head to tail
//!            zset    u64 n, then n × (member bytes, score u64 = f64 bits),
//!                    in ascending (score, member) order
//!   where "bytes" = u32 length + that many bytes.
//!
//! footer (starts at footer_start; nstripes × 8 + 28 bytes)
//!   +0      nstripes × u64  file offset of each section, by stripe index
//!   then    8  total keys   u64, sum of the sections' counts
//!   then    8  footer_start u64, this footer's own file offset
//!   then    8  end magic    b"FLASHEND"
//!   then    4  crc          u32, CRC-32 (IEEE, crc32fast) of every byte
//!                           of the file before it
//! ```
//!
//! # Loading
//!
//! `open` reads the whole file and checks both magics, the CRC, the
//! version and the footer's structure before anything is parsed.
//! `Loaded::load_into` then rebuilds the values with the encoding rules of
//! a normal write (the thresholds come in `Limits`, normally from the
//! server's `HotConfig`), on up to `threads` threads, each taking a
//! contiguous range of stripe indexes (balanced by bytes) and write-locking
//! stripe `i` of every DB while it inserts section `i`. Entries are
//! inserted as they were saved, even if their TTL has passed since: they
//! are then absent to every command and reclaimed by the expiry cycle, and
//! WAL replay sees the keyspace the server had.

use crate::store::hash::{HashValue, Limits as HashLimits};
use crate::store::list::{End, ListValue};
use crate::store::set::SetValue;
use crate::store::siphash::KeyHasher;
use crate::store::zset::{AddOutcome, ZSetValue};
use crate::store::{now_ms, CompactBytes, Entry, Store, Value};
use crate::tx::Gate;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

pub const MAGIC: &[u8; 8] = b"FLASHSNP";
pub const END_MAGIC: &[u8; 8] = b"FLASHEND";
pub const VERSION: u32 = 1;

/// Header bytes (see the module docs).
const HEADER_LEN: usize = 44;
/// Section header bytes: stripe, lsn, count.
const SECTION_HEAD: usize = 20;
/// Footer bytes after the offset table: total keys, footer start, end
/// magic, CRC.
const TRAILER_LEN: usize = 28;

const T_STR: u8 = 0;
const T_HASH: u8 = 1;
const T_SET: u8 = 2;
const T_LIST: u8 = 3;
const T_ZSET: u8 = 4;

const SNAP_DIR: &str = "snapshots";
const PREFIX: &str = "snapshot-";
const SUFFIX: &str = ".fdb";
const TMP_SUFFIX: &str = ".tmp";

/// What `write` produced.
#[derive(Clone, Debug)]
pub struct SnapshotInfo {
    pub path: PathBuf,
    /// Entries written (expired ones excluded).
    pub keys: u64,
    /// File size.
    pub bytes: u64,
    /// Smallest and largest stripe LSN recorded.
    pub min_lsn: u64,
    pub max_lsn: u64,
    pub duration: Duration,
}

/// A snapshot file's header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub version: u32,
    pub created_ms: u64,
    pub ndbs: u32,
    pub nstripes: u32,
    pub hasher: KeyHasher,
}

/// The encoding thresholds values are rebuilt with (Redis's directives of
/// the same names; see `HotConfig`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub hash_max_listpack_entries: usize,
    pub hash_max_listpack_value: usize,
    pub set_max_intset_entries: usize,
    pub zset_max_listpack_entries: usize,
    pub zset_max_listpack_value: usize,
}

impl Default for Limits {
    /// Redis's defaults.
    fn default() -> Limits {
        Limits {
            hash_max_listpack_entries: 512,
            hash_max_listpack_value: 64,
            set_max_intset_entries: 512,
            zset_max_listpack_entries: 128,
            zset_max_listpack_value: 64,
        }
    }
}

impl Limits {
    /// The server's current thresholds.
    pub fn from_hot(hot: &crate::server::HotConfig) -> Limits {
        let g = |a: &std::sync::atomic::AtomicUsize| a.load(Ordering::Relaxed);
        Limits {
            hash_max_listpack_entries: g(&hot.hash_max_listpack_entries),
            hash_max_listpack_value: g(&hot.hash_max_listpack_value),
            set_max_intset_entries: g(&hot.set_max_intset_entries),
            zset_max_listpack_entries: g(&hot.zset_max_listpack_entries),
            zset_max_listpack_value: g(&hot.zset_max_listpack_value),
        }
    }

    fn hash(&self) -> HashLimits {
        HashLimits {
            max_entries: self.hash_max_listpack_entries,
            max_value: self.hash_max_listpack_value,
        }
    }
}

// ---------------------------------------------------------------- naming

fn file_name(id: u64) -> String {
    format!("{PREFIX}{id:020}{SUFFIX}")
}

/// The id of a finished snapshot's file name.
fn parse_id(name: &str) -> Option<u64> {
    let digits = name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
    if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// (id, path) of every finished snapshot in `snapdir`, unordered.
fn scan_dir(snapdir: &Path) -> io::Result<Vec<(u64, PathBuf)>> {
    let rd = match fs::read_dir(snapdir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for ent in rd {
        let ent = ent?;
        if let Some(id) = ent.file_name().to_str().and_then(parse_id) {
            out.push((id, ent.path()));
        }
    }
    Ok(out)
}

fn sync_dir(d: &Path) -> io::Result<()> {
    File::open(d)?.sync_all()
}

/// Snapshot files in `<dir>/snapshots`, newest (largest id) first;
/// `*.tmp` and unrelated files are ignored. A missing directory is empty.
pub fn list(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut v = scan_dir(&dir.join(SNAP_DIR))?;
    v.sort_unstable_by_key(|e| std::cmp::Reverse(e.0));
    Ok(v.into_iter().map(|(_, p)| p).collect())
}

/// Keeps the newest `n` snapshots (at least one, whatever `n` says) and
/// deletes the rest; returns how many it deleted.
pub fn retain(dir: &Path, n: usize) -> io::Result<usize> {
    let all = list(dir)?;
    let mut deleted = 0;
    for p in all.iter().skip(n.max(1)) {
        fs::remove_file(p)?;
        deleted += 1;
    }
    if deleted > 0 {
        sync_dir(&dir.join(SNAP_DIR))?;
    }
    Ok(deleted)
}

/// Deletes leftover `snapshot-*.fdb.tmp` files (a crash during `write`);
/// call it at start-up, never while a snapshot is being written. Returns
/// how many it deleted.
pub fn remove_temp(dir: &Path) -> io::Result<usize> {
    let snapdir = dir.join(SNAP_DIR);
    let rd = match fs::read_dir(&snapdir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut n = 0;
    for ent in rd {
        let ent = ent?;
        let name = ent.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with(PREFIX) && name.ends_with(TMP_SUFFIX) {
            fs::remove_file(ent.path())?;
            n += 1;
        }
    }
    Ok(n)
}

// ---------------------------------------------------------------- writing

fn invalid(what: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what)
}

#[inline]
fn put_u64(b: &mut Vec<u8>, v: u64) {
    b.extend_from_slice(&v.to_le_bytes());
}

#[inline]
fn put_bytes(b: &mut Vec<u8>, s: &[u8]) -> io::Result<()> {
    let n = u32::try_from(s.len())
        .map_err(|_| invalid(format!("a string of {} bytes is too long", s.len())))?;
    b.extend_from_slice(&n.to_le_bytes());
    b.extend_from_slice(s);
    Ok(())
}

/// Appends one entry (see the module docs).
fn put_entry(b: &mut Vec<u8>, db: u16, key: &[u8], e: &Entry) -> io::Result<()> {
    let ty = match &e.value {
        Value::Str(_) => T_STR,
        Value::Hash(_) => T_HASH,
        Value::Set(_) => T_SET,
        Value::List(_) => T_LIST,
        Value::ZSet(_) => T_ZSET,
    };
    b.extend_from_slice(&db.to_le_bytes());
    b.push(ty);
    put_u64(b, e.expire_at);
    put_bytes(b, key)?;
    match &e.value {
        Value::Str(s) => put_bytes(b, s)?,
        Value::Hash(h) => {
            put_u64(b, h.len() as u64);
            for (f, v) in h.fields.iter() {
                put_bytes(b, f)?;
                put_bytes(b, v)?;
            }
        }
        Value::Set(s) => {
            put_u64(b, s.len() as u64);
            for m in s.iter() {
                put_bytes(b, m)?;
            }
        }
        Value::List(l) => {
            put_u64(b, l.len() as u64);
            for x in l.iter() {
                put_bytes(b, x)?;
            }
        }
        Value::ZSet(z) => {
            put_u64(b, z.len() as u64);
            for (m, s) in z.iter() {
                put_bytes(b, m)?;
                put_u64(b, s.to_bits());
            }
        }
    }
    Ok(())
}

/// The output file, with the running CRC and offset.
struct Out {
    w: BufWriter<File>,
    crc: crc32fast::Hasher,
    pos: u64,
}

impl Out {
    fn put(&mut self, b: &[u8]) -> io::Result<()> {
        self.crc.update(b);
        self.pos += b.len() as u64;
        self.w.write_all(b)
    }
}

/// Takes a snapshot of `store` into `<dir>/snapshots` (see the module
/// docs). `lsn_now` returns the WAL's next LSN; it is called with the
/// stripe's locks held.
pub fn write(
    store: &Store,
    gate: &Gate,
    lsn_now: impl Fn() -> u64,
    dir: &Path,
) -> io::Result<SnapshotInfo> {
    let start = Instant::now();
    let snapdir = dir.join(SNAP_DIR);
    if !snapdir.is_dir() {
        fs::create_dir_all(&snapdir)?;
        sync_dir(dir)?;
    }
    let id = scan_dir(&snapdir)?
        .iter()
        .map(|(id, _)| *id)
        .max()
        .unwrap_or(0)
        + 1;
    let path = snapdir.join(file_name(id));
    let tmp = snapdir.join(format!("{}{TMP_SUFFIX}", file_name(id)));
    let written = write_file(store, gate, &lsn_now, &tmp)
        .and_then(|r| fs::rename(&tmp, &path).map(|()| r))
        .and_then(|r| sync_dir(&snapdir).map(|()| r));
    let (keys, bytes, min_lsn, max_lsn) = match written {
        Ok(r) => r,
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
    };
    Ok(SnapshotInfo {
        path,
        keys,
        bytes,
        min_lsn,
        max_lsn,
        duration: start.elapsed(),
    })
}

/// Writes and fsyncs the whole file at `tmp`; returns (keys, bytes,
/// min_lsn, max_lsn).
fn write_file(
    store: &Store,
    gate: &Gate,
    lsn_now: &dyn Fn() -> u64,
    tmp: &Path,
) -> io::Result<(u64, u64, u64, u64)> {
    let ndbs = store.dbs.len();
    if ndbs > u16::MAX as usize + 1 {
        return Err(invalid(format!("{ndbs} databases: at most 65536 fit")));
    }
    let nstripes = store.nstripes();
    let mut out = Out {
        w: BufWriter::with_capacity(1 << 20, File::create(tmp)?),
        crc: crc32fast::Hasher::new(),
        pos: 0,
    };
    let (k0, k1) = store.hasher().keys();
    let mut head = Vec::with_capacity(HEADER_LEN);
    head.extend_from_slice(MAGIC);
    head.extend_from_slice(&VERSION.to_le_bytes());
    put_u64(&mut head, now_ms());
    head.extend_from_slice(&(ndbs as u32).to_le_bytes());
    head.extend_from_slice(&(nstripes as u32).to_le_bytes());
    put_u64(&mut head, k0);
    put_u64(&mut head, k1);
    debug_assert_eq!(head.len(), HEADER_LEN);
    out.put(&head)?;

    let mut offsets = Vec::with_capacity(nstripes);
    let (mut total, mut min_lsn, mut max_lsn) = (0u64, u64::MAX, 0u64);
    let mut buf: Vec<u8> = Vec::new();
    for i in 0..nstripes {
        buf.clear();
        buf.extend_from_slice(&(i as u32).to_le_bytes());
        buf.extend_from_slice(&[0u8; 16]); // lsn and count, filled in below
        let (lsn, count) = {
            let _gate = gate.shared();
            let guards: Vec<_> = store.dbs.iter().map(|d| d.read_stripe(i)).collect();
            let lsn = lsn_now();
            let now = now_ms();
            let mut count = 0u64;
            for (db, g) in guards.iter().enumerate() {
                for (k, e) in g.dict.iter() {
                    if !e.is_expired(now) {
                        put_entry(&mut buf, db as u16, k, e)?;
                        count += 1;
                    }
                }
            }
            (lsn, count)
            // the stripe locks, then the gate, are released here
        };
        buf[4..12].copy_from_slice(&lsn.to_le_bytes());
        buf[12..20].copy_from_slice(&count.to_le_bytes());
        offsets.push(out.pos);
        out.put(&buf)?;
        total += count;
        min_lsn = min_lsn.min(lsn);
        max_lsn = max_lsn.max(lsn);
    }
    drop(buf);

    let footer_start = out.pos;
    let mut foot = Vec::with_capacity(nstripes * 8 + TRAILER_LEN);
    for o in &offsets {
        put_u64(&mut foot, *o);
    }
    put_u64(&mut foot, total);
    put_u64(&mut foot, footer_start);
    foot.extend_from_slice(END_MAGIC);
    out.put(&foot)?;
    let crc = out.crc.clone().finalize();
    out.w.write_all(&crc.to_le_bytes())?;
    let bytes = out.pos + 4;
    let file = out.w.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    Ok((total, bytes, min_lsn, max_lsn))
}

// ---------------------------------------------------------------- loading

/// A snapshot file read into memory and checked (`open`).
pub struct Loaded {
    path: PathBuf,
    data: Vec<u8>,
    header: Header,
    /// File offset of each section, by stripe index.
    offsets: Vec<usize>,
    footer_start: usize,
    keys: u64,
}

#[inline]
fn le_u32(d: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(d[at..at + 4].try_into().expect("4 bytes"))
}

#[inline]
fn le_u64(d: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(d[at..at + 8].try_into().expect("8 bytes"))
}

/// Reads and checks a snapshot file: magics, CRC, version, footer and the
/// section table. The error names the file and what is wrong.
pub fn open(path: &Path) -> Result<Loaded, String> {
    let name = path.display();
    let data = fs::read(path).map_err(|e| format!("{name}: cannot read: {e}"))?;
    let len = data.len();
    if len < HEADER_LEN + SECTION_HEAD + 8 + TRAILER_LEN {
        return Err(format!(
            "{name}: truncated: {len} bytes, smaller than the smallest snapshot"
        ));
    }
    if &data[..8] != MAGIC {
        return Err(format!("{name}: not a FlashDB snapshot (bad magic)"));
    }
    if &data[len - 12..len - 4] != END_MAGIC {
        return Err(format!(
            "{name}: truncated or corrupt: no end marker at offset {}",
            len - 12
        ));
    }
    let stored = le_u32(&data, len - 4);
    let crc = crc32fast::hash(&data[..len - 4]);
    if crc != stored {
        return Err(format!(
            "{name}: checksum mismatch (stored {stored:08x}, computed {crc:08x}): the file is corrupt"
        ));
    }
    let version = le_u32(&data, 8);
    if version != VERSION {
        return Err(format!(
            "{name}: unsupported snapshot version {version} (this build reads {VERSION})"
        ));
    }
    let header = Header {
        version,
        created_ms: le_u64(&data, 12),
        ndbs: le_u32(&data, 20),
        nstripes: le_u32(&data, 24),
        hasher: KeyHasher::with_keys(le_u64(&data, 28), le_u64(&data, 36)),
    };
    let n = header.nstripes as usize;
    if n == 0 || !n.is_power_of_two() {
        return Err(format!(
            "{name}: offset 24: stripe count {n} is not a power of two"
        ));
    }
    if header.ndbs == 0 || header.ndbs > u16::MAX as u32 + 1 {
        return Err(format!(
            "{name}: offset 20: database count {} out of range",
            header.ndbs
        ));
    }
    let footer_start = le_u64(&data, len - 20);
    let table = n * 8 + TRAILER_LEN;
    if table + HEADER_LEN + n * SECTION_HEAD > len || footer_start != (len - table) as u64 {
        return Err(format!(
            "{name}: offset {}: footer start {footer_start} does not match a table of {n} sections",
            len - 20
        ));
    }
    let footer_start = footer_start as usize;
    let keys = le_u64(&data, len - 28);
    let mut offsets = Vec::with_capacity(n);
    let mut sum = 0u64;
    for i in 0..n {
        let at = footer_start + i * 8;
        let o = le_u64(&data, at);
        let lo = match offsets.last() {
            None => HEADER_LEN as u64,
            Some(&prev) => (prev + SECTION_HEAD) as u64,
        };
        if o < lo
            || o.saturating_add(SECTION_HEAD as u64) > footer_start as u64
            || (i == 0 && o != lo)
        {
            return Err(format!(
                "{name}: offset {at}: section {i} offset {o} out of place"
            ));
        }
        let o = o as usize;
        if le_u32(&data, o) as usize != i {
            return Err(format!(
                "{name}: offset {o}: section {i} is labelled {}",
                le_u32(&data, o)
            ));
        }
        sum = sum.wrapping_add(le_u64(&data, o + 12));
        offsets.push(o);
    }
    if sum != keys {
        return Err(format!(
            "{name}: offset {}: total key count {keys} but the sections hold {sum}",
            len - 28
        ));
    }
    Ok(Loaded {
        path: path.to_path_buf(),
        data,
        header,
        offsets,
        footer_start,
        keys,
    })
}

/// A parse failure: where and what.
struct Bad {
    at: usize,
    what: String,
}

fn bad<T>(at: usize, what: impl Into<String>) -> Result<T, Bad> {
    Err(Bad {
        at,
        what: what.into(),
    })
}

/// A cursor over one section's bytes (`data` ends where the section ends).
struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    #[inline]
    fn take(&mut self, n: usize) -> Result<&'a [u8], Bad> {
        match self.pos.checked_add(n) {
            Some(end) if end <= self.data.len() => {
                let s = &self.data[self.pos..end];
                self.pos = end;
                Ok(s)
            }
            _ => bad(
                self.pos,
                format!(
                    "{n} bytes needed, {} left in the section",
                    self.data.len() - self.pos
                ),
            ),
        }
    }

    #[inline]
    fn u8(&mut self) -> Result<u8, Bad> {
        Ok(self.take(1)?[0])
    }

    #[inline]
    fn u16(&mut self) -> Result<u16, Bad> {
        Ok(u16::from_le_bytes(self.take(2)?.try_into().expect("2")))
    }

    #[inline]
    fn u32(&mut self) -> Result<u32, Bad> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().expect("4")))
    }

    #[inline]
    fn u64(&mut self) -> Result<u64, Bad> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().expect("8")))
    }

    /// A length-prefixed byte string.
    #[inline]
    fn bytes(&mut self) -> Result<&'a [u8], Bad> {
        let n = self.u32()? as usize;
        self.take(n)
    }

    /// A collection's element count: non-zero (Redis never keeps an empty
    /// collection) and small enough for the bytes left, given each element
    /// takes at least `min` bytes.
    fn count(&mut self, min: usize) -> Result<usize, Bad> {
        let at = self.pos;
        let n = self.u64()?;
        let left = (self.data.len() - self.pos) as u64;
        if n == 0 {
            return bad(at, "empty collection");
        }
        if n > left / min as u64 {
            return bad(at, format!("element count {n} exceeds the section"));
        }
        Ok(n as usize)
    }
}

/// Reads one value of type `ty`, rebuilt with the encoding rules of a
/// normal write.
fn read_value(r: &mut Reader, ty: u8, lim: &Limits) -> Result<Value, Bad> {
    let at = r.pos;
    Ok(match ty {
        T_STR => Value::Str(CompactBytes::new(r.bytes()?)),
        T_HASH => {
            let n = r.count(8)?;
            let hl = lim.hash();
            let mut h = HashValue::new();
            for _ in 0..n {
                let fat = r.pos;
                let f = r.bytes()?;
                let v = r.bytes()?;
                if !h.set_checked(f, v, hl) {
                    return bad(fat, "duplicate hash field");
                }
            }
            Value::Hash(Box::new(h))
        }
        T_SET => {
            let n = r.count(4)?;
            let mut s = SetValue::new();
            for _ in 0..n {
                let mat = r.pos;
                if !s.add(r.bytes()?, lim.set_max_intset_entries) {
                    return bad(mat, "duplicate set member");
                }
            }
            Value::Set(Box::new(s))
        }
        T_LIST => {
            let n = r.count(4)?;
            let mut l = ListValue::new();
            for _ in 0..n {
                l.push(End::Right, r.bytes()?);
            }
            Value::List(Box::new(l))
        }
        T_ZSET => {
            let n = r.count(12)?;
            let mut z = ZSetValue::new();
            // Like Redis's RDB loader: a set too big for a listpack is a
            // skiplist from the start (so a -0 score stays -0).
            if n > lim.zset_max_listpack_entries {
                z.listpack = false;
            }
            for _ in 0..n {
                let mat = r.pos;
                let m = r.bytes()?;
                let score = f64::from_bits(r.u64()?);
                if score.is_nan() {
                    return bad(mat, "NaN score");
                }
                z.prepare_add(
                    lim.zset_max_listpack_entries,
                    lim.zset_max_listpack_value,
                    m,
                );
                if z.set(m, score) != AddOutcome::Added {
                    return bad(mat, "duplicate sorted set member");
                }
            }
            Value::ZSet(Box::new(z))
        }
        t => return bad(at, format!("unknown value type {t}")),
    })
}

impl std::fmt::Debug for Loaded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Loaded")
            .field("path", &self.path)
            .field("header", &self.header)
            .field("bytes", &self.data.len())
            .field("keys", &self.keys)
            .finish()
    }
}

impl Loaded {
    pub fn header(&self) -> &Header {
        &self.header
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Total entries in the file (from the footer).
    pub fn keys(&self) -> u64 {
        self.keys
    }

    /// Each stripe's LSN, by stripe index.
    pub fn lsns(&self) -> Vec<u64> {
        self.offsets
            .iter()
            .map(|&o| le_u64(&self.data, o + 4))
            .collect()
    }

    fn section_end(&self, i: usize) -> usize {
        self.offsets
            .get(i + 1)
            .copied()
            .unwrap_or(self.footer_start)
    }

    /// Inserts every entry into `store`, which must be empty and use the
    /// snapshot's hasher and stripe count (`Store::with_hasher(dbs,
    /// header.nstripes, header.hasher)`); an entry for a DB the store lacks
    /// is an error, and so is a key already present (a duplicate). Uses up
    /// to `threads` threads. Returns each stripe's LSN (by stripe index)
    /// and the number of entries inserted. On error the store holds part
    /// of the snapshot.
    pub fn load_into(
        &self,
        store: &Store,
        limits: &Limits,
        threads: usize,
    ) -> Result<(Vec<u64>, u64), String> {
        let name = self.path.display();
        if store.hasher() != self.header.hasher {
            return Err(format!(
                "{name}: the store's hash keys differ from the snapshot's"
            ));
        }
        let n = self.offsets.len();
        if store.nstripes() != n {
            return Err(format!(
                "{name}: the snapshot has {n} stripes per database, the store {}",
                store.nstripes()
            ));
        }
        let ranges = self.split(threads.clamp(1, n));
        let failed = AtomicBool::new(false);
        let results: Vec<Result<u64, String>> = if ranges.len() == 1 {
            vec![self.load_range(store, limits, ranges[0].clone(), &failed)]
        } else {
            std::thread::scope(|s| {
                let handles: Vec<_> = ranges
                    .iter()
                    .map(|r| {
                        let (r, failed) = (r.clone(), &failed);
                        s.spawn(move || self.load_range(store, limits, r, failed))
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| {
                        h.join()
                            .unwrap_or_else(|_| Err(format!("{name}: a loader thread panicked")))
                    })
                    .collect()
            })
        };
        let mut total = 0;
        for r in results {
            total += r?;
        }
        Ok((self.lsns(), total))
    }

    /// Up to `parts` contiguous stripe ranges holding about the same bytes.
    fn split(&self, parts: usize) -> Vec<Range<usize>> {
        let n = self.offsets.len();
        let (lo, hi) = (HEADER_LEN, self.footer_start);
        let mut out = Vec::with_capacity(parts);
        let mut start = 0;
        for t in 1..=parts {
            let end = if t == parts {
                n
            } else {
                let target = lo + (hi - lo) * t / parts;
                self.offsets.partition_point(|&o| o < target).max(start + 1)
            };
            if end > start {
                out.push(start..end.min(n));
                start = end.min(n);
            }
            if start >= n {
                break;
            }
        }
        out
    }

    fn load_range(
        &self,
        store: &Store,
        limits: &Limits,
        range: Range<usize>,
        failed: &AtomicBool,
    ) -> Result<u64, String> {
        let mut total = 0;
        for i in range {
            if failed.load(Ordering::Relaxed) {
                break;
            }
            match self.load_section(store, limits, i) {
                Ok(k) => total += k,
                Err(b) => {
                    failed.store(true, Ordering::Relaxed);
                    return Err(format!(
                        "{}: offset {}: section {i}: {}",
                        self.path.display(),
                        b.at,
                        b.what
                    ));
                }
            }
        }
        Ok(total)
    }

    /// Inserts section `i` with stripe `i` of every DB write-locked.
    fn load_section(&self, store: &Store, limits: &Limits, i: usize) -> Result<u64, Bad> {
        let start = self.offsets[i];
        let count = le_u64(&self.data, start + 12);
        let mut r = Reader {
            data: &self.data[..self.section_end(i)],
            pos: start + SECTION_HEAD,
        };
        let ndbs = (self.header.ndbs as usize).min(store.dbs.len());
        let mut guards: Vec<_> = store.dbs[..ndbs]
            .iter()
            .map(|d| d.write_stripe(i))
            .collect();
        for _ in 0..count {
            let at = r.pos;
            let db = r.u16()? as usize;
            if db >= self.header.ndbs as usize {
                return bad(
                    at,
                    format!("db {db} but the header says {} databases", self.header.ndbs),
                );
            }
            if db >= store.dbs.len() {
                return bad(
                    at,
                    format!(
                        "an entry for db {db}, but the store has {} databases",
                        store.dbs.len()
                    ),
                );
            }
            let tat = r.pos;
            let ty = r.u8()?;
            if ty > T_ZSET {
                return bad(tat, format!("unknown value type {ty}"));
            }
            let expire_at = r.u64()?;
            let kat = r.pos;
            let key = r.bytes()?;
            let d = &store.dbs[db];
            let h = d.hash(key);
            if d.stripe_index(h) != i {
                return bad(kat, "a key that belongs to another stripe");
            }
            let value = read_value(&mut r, ty, limits)?;
            if guards[db]
                .insert(h, key, Entry::new(value, expire_at))
                .is_some()
            {
                return bad(kat, "a duplicate key");
            }
        }
        if r.pos != r.data.len() {
            return bad(
                r.pos,
                format!("{} bytes after the last entry", r.data.len() - r.pos),
            );
        }
        Ok(count)
    }
}
