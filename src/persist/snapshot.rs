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
//!          type        u8: 0 string, 1 hash, 2 set, 3 list, 4 zset, 5 stream
//!          expire_at   u64, absolute Unix ms; 0 = no TTL
//!          key         bytes
//!          value       by type:
//!            string  bytes
//!            hash    u64 n, then n × (field bytes, value bytes)
//!            set     u64 n, then n × member bytes
//!            list    u64 n, then n × element bytes, head to tail
//!            zset    u64 n, then n × (member bytes, score u64 = f64 bits),
//!                    in ascending (score, member) order
//!            stream  u64 n, last_id (id), entries_added u64,
//!                    max_deleted_id (id), then n × (id, u32 pairs,
//!                    pairs × (field bytes, value bytes)) in ascending ID
//!                    order, then u64 g groups, each: name bytes,
//!                    last_id (id), entries_read u64 (i64 bits, -1 =
//!                    unknown), u64 c consumers × (name bytes, seen_time
//!                    u64), u64 p pending × (id, delivery_time u64,
//!                    delivery_count u64, consumer name bytes) in
//!                    ascending ID order
//!   where "bytes" = u32 length + that many bytes and "id" = u64 ms +
//!   u64 seq.
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
use crate::store::stream::{Group, StreamId, StreamValue};
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
const T_STREAM: u8 = 5;

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
    pub stream_node_max_entries: u64,
    pub stream_node_max_bytes: usize,
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
            stream_node_max_entries: crate::store::stream::NODE_MAX_ENTRIES,
            stream_node_max_bytes: crate::store::stream::NODE_MAX_BYTES,
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
            stream_node_max_entries: g(&hot.stream_node_max_entries) as u64,
            stream_node_max_bytes: g(&hot.stream_node_max_bytes),
        }
    }

    /// The stream node limits (streams are packed afresh on load).
    pub fn stream(&self) -> crate::store::stream::NodeLimits {
        crate::store::stream::NodeLimits {
            max_entries: self.stream_node_max_entries,
            max_bytes: self.stream_node_max_bytes,
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

/// (id, path) of every finished snapshot in `snapdir`, oldest first.
fn scan_dir(snapdir: &Path) -> io::Result<Vec<(u64, PathBuf)>> {
    super::numbered_files(snapdir, parse_id)
}

use super::sync_dir;

/// Snapshot files in `<dir>/snapshots`, newest (largest id) first;
/// `*.tmp` and unrelated files are ignored. A missing directory is empty.
pub fn list(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut v = scan_dir(&dir.join(SNAP_DIR))?;
    v.sort_unstable_by_key(|e| std::cmp::Reverse(e.0));
    Ok(v.into_iter().map(|(_, p)| p).collect())
}

/// The smallest stripe LSN of a finished snapshot, read from its footer
/// and section headers only (no full read, no CRC check): every WAL record
/// below it is in the snapshot. Compaction keeps the WAL back to the oldest
/// retained snapshot's, so falling back to it after the newest turns out
/// damaged still finds every later record.
pub fn min_lsn(path: &Path) -> io::Result<u64> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = fs::File::open(path)?;
    let bad = || io::Error::new(io::ErrorKind::InvalidData, "not a snapshot");
    let mut read_at = |at: u64, buf: &mut [u8]| -> io::Result<()> {
        f.seek(SeekFrom::Start(at))?;
        f.read_exact(buf)
    };
    let mut header = [0u8; HEADER_LEN];
    read_at(0, &mut header)?;
    if &header[..8] != MAGIC {
        return Err(bad());
    }
    let nstripes = u32::from_le_bytes(header[24..28].try_into().unwrap()) as u64;
    let len = fs::metadata(path)?.len();
    let mut tail = [0u8; 20];
    read_at(len.checked_sub(20).ok_or_else(bad)?, &mut tail)?;
    if &tail[8..16] != END_MAGIC {
        return Err(bad());
    }
    let footer = u64::from_le_bytes(tail[..8].try_into().unwrap());
    // Nothing here is covered by a checked CRC: a damaged stripe count
    // must not size the buffer (up to 32 GiB) before the table is known
    // to fit in the file.
    if footer.checked_add(nstripes * 8).is_none_or(|end| end > len) {
        return Err(bad());
    }
    let mut offsets = vec![0u8; (nstripes * 8) as usize];
    read_at(footer, &mut offsets)?;
    let mut min = u64::MAX;
    for o in offsets.chunks_exact(8) {
        let mut sec = [0u8; 12];
        read_at(u64::from_le_bytes(o.try_into().unwrap()), &mut sec)?;
        min = min.min(u64::from_le_bytes(sec[4..12].try_into().unwrap()));
    }
    Ok(if nstripes == 0 { 0 } else { min })
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

#[inline]
fn put_id(b: &mut Vec<u8>, id: StreamId) {
    put_u64(b, id.ms);
    put_u64(b, id.seq);
}

/// Appends one entry (see the module docs).
fn put_entry(b: &mut Vec<u8>, db: u16, key: &[u8], e: &Entry) -> io::Result<()> {
    let ty = match &e.value {
        Value::Str(_) => T_STR,
        Value::Hash(_) => T_HASH,
        Value::Set(_) => T_SET,
        Value::List(_) => T_LIST,
        Value::ZSet(_) => T_ZSET,
        Value::Stream(_) => T_STREAM,
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
        Value::Stream(x) => {
            put_u64(b, x.len() as u64);
            put_id(b, x.last_id);
            put_u64(b, x.entries_added);
            put_id(b, x.max_deleted);
            for (id, fields) in x.entries.iter() {
                put_id(b, *id);
                b.extend_from_slice(&((fields.len() / 2) as u32).to_le_bytes());
                for f in fields {
                    put_bytes(b, f)?;
                }
            }
            put_u64(b, x.groups.len() as u64);
            for (name, g) in x.groups.iter() {
                put_bytes(b, name)?;
                put_id(b, g.last_id);
                put_u64(b, g.entries_read as u64);
                put_u64(b, g.consumers.len() as u64);
                for (cn, c) in g.consumers.iter() {
                    put_bytes(b, cn)?;
                    put_u64(b, c.seen_time);
                }
                put_u64(b, g.pel.len() as u64);
                for (id, n) in g.pel.iter() {
                    put_id(b, *id);
                    put_u64(b, n.delivery_time);
                    put_u64(b, n.delivery_count);
                    put_bytes(b, &n.consumer)?;
                }
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
                                           // How long this stripe's commands wait for the copy (the latency
                                           // monitor's `snapshot` event).
        let held = crate::obs::latency::start();
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
        crate::obs::latency::end("snapshot", held);
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

/// Reads a stream value (layout in the module docs), checking that IDs
/// strictly increase, do not pass the last ID, and that the counters fit.
fn read_stream(r: &mut Reader, lim: &Limits) -> Result<StreamValue, Bad> {
    let at = r.pos;
    let n = r.u64()?;
    // Each entry takes at least 16 (ID) + 4 (pairs) + 8 (one pair) bytes.
    if n > (r.data.len() - r.pos) as u64 / 28 {
        return bad(at, format!("stream entry count {n} exceeds the section"));
    }
    let id = |r: &mut Reader| -> Result<StreamId, Bad> { Ok(StreamId::new(r.u64()?, r.u64()?)) };
    let last = id(r)?;
    let added_at = r.pos;
    let added = r.u64()?;
    let maxdel = id(r)?;
    if added < n {
        return bad(added_at, "stream entries-added below its length");
    }
    if maxdel > last {
        return bad(added_at + 8, "stream max deleted ID beyond its last ID");
    }
    let mut x = StreamValue::new();
    let mut prev: Option<StreamId> = None;
    for _ in 0..n {
        let eat = r.pos;
        let eid = id(r)?;
        if prev.is_some_and(|p| eid <= p) || eid > last || eid.is_zero() {
            return bad(eat, format!("stream entry ID {eid} out of order"));
        }
        prev = Some(eid);
        let pat = r.pos;
        let pairs = r.u32()? as usize;
        if pairs == 0 || pairs > (r.data.len() - r.pos) / 8 {
            return bad(pat, format!("stream entry with {pairs} field pairs"));
        }
        let mut fields = Vec::with_capacity(pairs * 2);
        for _ in 0..pairs * 2 {
            fields.push(r.bytes()?.to_vec());
        }
        x.append(eid, fields, lim.stream());
    }
    let gat = r.pos;
    let ngroups = r.u64()?;
    // A group takes at least 4 + 16 + 8 + 8 + 8 bytes.
    if ngroups > (r.data.len() - r.pos) as u64 / 44 {
        return bad(
            gat,
            format!("stream group count {ngroups} exceeds the section"),
        );
    }
    for _ in 0..ngroups {
        let nat = r.pos;
        let name = r.bytes()?.to_vec();
        let glast = id(r)?;
        let read = r.u64()? as i64;
        if read < -1 {
            return bad(nat, "stream group with a bad entries-read counter");
        }
        let mut g = Group::new(glast, read);
        let cat = r.pos;
        let nc = r.u64()?;
        if nc > (r.data.len() - r.pos) as u64 / 12 {
            return bad(cat, format!("consumer count {nc} exceeds the section"));
        }
        for _ in 0..nc {
            let at = r.pos;
            let cn = r.bytes()?;
            let seen = r.u64()?;
            if !g.create_consumer(cn, seen) {
                return bad(at, "duplicate consumer");
            }
        }
        let pat = r.pos;
        let np = r.u64()?;
        if np > (r.data.len() - r.pos) as u64 / 36 {
            return bad(pat, format!("pending entry count {np} exceeds the section"));
        }
        let mut prev: Option<StreamId> = None;
        for _ in 0..np {
            let at = r.pos;
            let pid = id(r)?;
            let t = r.u64()?;
            let n = r.u64()?;
            let cn = r.bytes()?;
            if prev.is_some_and(|p| pid <= p) {
                return bad(at, format!("pending entry {pid} out of order"));
            }
            prev = Some(pid);
            if !g.consumers.contains_key(cn) {
                return bad(at, "pending entry of an unknown consumer");
            }
            g.assign(pid, cn, t, n);
        }
        if x.groups.insert(name, g).is_some() {
            return bad(nat, "duplicate consumer group");
        }
    }
    x.last_id = last;
    x.entries_added = added;
    x.max_deleted = maxdel;
    Ok(x)
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
        T_STREAM => Value::Stream(Box::new(read_stream(r, lim)?)),
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
            if ty > T_STREAM {
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
                .insert_loaded(h, key, Entry::new(value, expire_at))
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    /// A fresh directory under the system temp dir, removed on drop.
    use crate::persist::segment::tests::TempDir;
    use std::sync::atomic::AtomicU64;

    /// Small thresholds, so small values cross them.
    const LIM: Limits = Limits {
        hash_max_listpack_entries: 4,
        hash_max_listpack_value: 16,
        set_max_intset_entries: 4,
        zset_max_listpack_entries: 4,
        zset_max_listpack_value: 16,
        stream_node_max_entries: 5,
        stream_node_max_bytes: 200,
    };

    fn put(store: &Store, db: usize, key: &[u8], v: Value, exp: u64) {
        let (mut s, h) = store.dbs[db].write(key);
        s.insert(h, key, Entry::new(v, exp));
    }

    fn mk_hash(pairs: &[(Vec<u8>, Vec<u8>)]) -> Value {
        let mut h = HashValue::new();
        for (f, v) in pairs {
            h.set_checked(f, v, LIM.hash());
        }
        Value::Hash(Box::new(h))
    }

    fn mk_set(ms: &[Vec<u8>]) -> Value {
        let mut s = SetValue::new();
        for m in ms {
            s.add(m, LIM.set_max_intset_entries);
        }
        Value::Set(Box::new(s))
    }

    fn mk_list(xs: &[Vec<u8>]) -> Value {
        let mut l = ListValue::new();
        for x in xs {
            l.push(End::Right, x);
        }
        Value::List(Box::new(l))
    }

    fn mk_zset(ms: &[(Vec<u8>, f64)]) -> Value {
        let mut z = ZSetValue::new();
        for (m, s) in ms {
            z.prepare_add(
                LIM.zset_max_listpack_entries,
                LIM.zset_max_listpack_value,
                m,
            );
            z.set(m, *s);
        }
        Value::ZSet(Box::new(z))
    }

    fn b(s: impl AsRef<[u8]>) -> Vec<u8> {
        s.as_ref().to_vec()
    }

    /// A value's content in a canonical order.
    fn content(v: &Value) -> Vec<Vec<u8>> {
        match v {
            Value::Str(s) => vec![s.to_vec()],
            Value::Hash(h) => {
                let mut p: Vec<_> = h
                    .fields
                    .iter()
                    .map(|(f, v)| (f.to_vec(), v.to_vec()))
                    .collect();
                p.sort();
                p.into_iter().flat_map(|(f, v)| [f, v]).collect()
            }
            Value::Set(s) => {
                let mut m: Vec<_> = s.iter().map(|m| m.to_vec()).collect();
                m.sort();
                m
            }
            Value::List(l) => l.iter().map(|x| x.to_vec()).collect(),
            Value::ZSet(z) => z
                .iter()
                .flat_map(|(m, s)| [m.to_vec(), s.to_bits().to_le_bytes().to_vec()])
                .collect(),
            Value::Stream(x) => {
                let mut v: Vec<Vec<u8>> = x
                    .entries
                    .iter()
                    .flat_map(|(id, f)| std::iter::once(id.to_bytes()).chain(f.iter().cloned()))
                    .collect();
                v.push(format!("{} {} {}", x.last_id, x.entries_added, x.max_deleted).into_bytes());
                v
            }
        }
    }

    type Dump = BTreeMap<(usize, Vec<u8>), (&'static str, &'static str, u64, Vec<Vec<u8>>)>;

    /// Every live key: (type, encoding, expire_at, content).
    fn dump(store: &Store) -> Dump {
        let now = now_ms();
        let mut out = BTreeMap::new();
        for (db, d) in store.dbs.iter().enumerate() {
            for i in 0..d.nstripes() {
                let g = d.read_stripe(i);
                for (k, e) in g.dict.iter() {
                    if !e.is_expired(now) {
                        out.insert(
                            (db, k.to_vec()),
                            (
                                e.value.type_name(),
                                e.value.encoding(),
                                e.expire_at,
                                content(&e.value),
                            ),
                        );
                    }
                }
            }
        }
        out
    }

    /// (keys, volatile) of every stripe.
    fn counters(store: &Store) -> Vec<(usize, usize)> {
        store
            .dbs
            .iter()
            .flat_map(|d| {
                (0..d.nstripes()).map(move |i| {
                    let g = d.read_stripe(i);
                    (g.len(), g.volatile)
                })
            })
            .collect()
    }

    fn load(path: &Path, ndbs: usize) -> (Store, Vec<u64>, u64) {
        let l = open(path).unwrap();
        let h = *l.header();
        let store = Store::with_hasher(ndbs, h.nstripes as usize, h.hasher);
        let (lsns, keys) = l.load_into(&store, &LIM, 2).unwrap();
        (store, lsns, keys)
    }

    /// A store with every type and encoding, TTLs, an expired key, 3 DBs.
    fn sample() -> Store {
        let store = Store::new(3, 8);
        let now = now_ms();
        let bin: Vec<u8> = (0..=255u8).collect();
        put(&store, 0, b"empty", Value::str(b""), 0);
        put(&store, 0, b"bin", Value::str(&bin), 0);
        put(&store, 0, &bin, Value::str(b"binary key"), 0);
        put(&store, 0, b"", Value::str(b"empty key"), 0);
        put(&store, 0, b"int", Value::str(b"12345"), 0);
        put(&store, 0, b"min", Value::str(b"-9223372036854775808"), 0);
        put(&store, 0, b"long", Value::str(&[b'x'; 1000]), 0);
        let mut grown = CompactBytes::new(&[b'g'; 50]);
        grown.make_growable().extend_from_slice(b"appended");
        put(&store, 0, b"grown", Value::Str(grown), 0);
        put(&store, 0, b"ttl", Value::str(b"later"), now + 1_000_000);
        put(&store, 0, b"gone", Value::str(b"expired"), now - 1);
        put(
            &store,
            0,
            b"gone-hash",
            mk_hash(&[(b("f"), b("v"))]),
            now - 1,
        );
        for i in 0..300 {
            put(
                &store,
                0,
                format!("k{i}").as_bytes(),
                Value::str(format!("v{i}").as_bytes()),
                0,
            );
        }
        let pairs = |n: usize| -> Vec<(Vec<u8>, Vec<u8>)> {
            (0..n)
                .map(|i| (b(format!("f{i}")), b(format!("{i}"))))
                .collect()
        };
        put(&store, 1, b"h-small", mk_hash(&pairs(3)), 0);
        put(&store, 1, b"h-large", mk_hash(&pairs(500)), now + 5_000);
        put(
            &store,
            1,
            b"h-longval",
            mk_hash(&[(b("f"), vec![b'v'; 17])]),
            0,
        );
        put(
            &store,
            1,
            b"h-bin",
            mk_hash(&[(bin.clone(), b("")), (b(""), bin.clone())]),
            0,
        );
        let ints =
            |n: usize| -> Vec<Vec<u8>> { (0..n).map(|i| b((i as i64 - 2).to_string())).collect() };
        put(&store, 1, b"s-intset", mk_set(&ints(4)), 0);
        put(&store, 1, b"s-manyints", mk_set(&ints(1000)), 0);
        put(
            &store,
            1,
            b"s-strings",
            mk_set(&[b("a"), b("b"), b("01")]),
            now + 7_000,
        );
        put(
            &store,
            1,
            b"l-small",
            mk_list(&[b("a"), b(""), bin.clone(), vec![b'z'; 300]]),
            0,
        );
        let long_list: Vec<Vec<u8>> = (0..10_000).map(|i| b(format!("e{}", i % 37))).collect();
        put(&store, 1, b"l-long", mk_list(&long_list), 0);
        put(
            &store,
            2,
            b"z-small",
            mk_zset(&[(b("c"), 1.0), (b("a"), 1.0), (b("b"), 1.0)]),
            0,
        );
        let mut big: Vec<(Vec<u8>, f64)> = (0..200)
            .map(|i| (b(format!("m{i}")), (i % 7) as f64))
            .collect();
        big.push((b("pinf"), f64::INFINITY));
        big.push((b("ninf"), f64::NEG_INFINITY));
        big.push((b("negzero"), -0.0));
        big.push((b("a-negzero"), -0.0)); // third in order: loaded early
        big.push((b("frac"), -1.0 / 3.0));
        put(&store, 2, b"z-large", mk_zset(&big), now + 9_000);
        put(
            &store,
            2,
            b"z-longmember",
            mk_zset(&[(vec![b'm'; 17], 2.5)]),
            0,
        );
        put(&store, 2, b"k1", Value::str(b"same key as db 0"), 0);
        store
    }

    #[test]
    fn round_trip_of_every_type() {
        let t = TempDir::new("roundtrip");
        let store = sample();
        let gate = Gate::default();
        let info = write(&store, &gate, || 42, &t.0).unwrap();
        let want = dump(&store);
        assert_eq!(want.len() as u64, info.keys);
        assert!(!want.contains_key(&(0, b("gone"))));
        assert_eq!((info.min_lsn, info.max_lsn), (42, 42));
        assert_eq!(info.bytes, fs::metadata(&info.path).unwrap().len());
        assert_eq!(
            info.path.file_name().unwrap().to_str().unwrap(),
            "snapshot-00000000000000000001.fdb"
        );
        let encodings: Vec<&str> = want.values().map(|v| v.1).collect();
        for e in [
            "int",
            "embstr",
            "raw",
            "listpack",
            "hashtable",
            "intset",
            "skiplist",
            "quicklist",
        ] {
            assert!(encodings.contains(&e), "sample lacks {e}");
        }

        let l = open(&info.path).unwrap();
        assert_eq!(l.header().hasher, store.hasher());
        assert_eq!((l.header().ndbs, l.header().nstripes), (3, 8));
        assert_eq!(l.keys(), info.keys);
        for threads in [1, 2, 3, 64] {
            let loaded = Store::with_hasher(3, 8, l.header().hasher);
            let (lsns, keys) = l.load_into(&loaded, &LIM, threads).unwrap();
            assert_eq!(lsns, vec![42; 8]);
            assert_eq!(keys, info.keys);
            let got = dump(&loaded);
            for (k, v) in &want {
                let g = got.get(k).unwrap_or_else(|| panic!("{k:?} missing"));
                // A string modified in place comes back as a plain one.
                if k.1 != b"grown" {
                    assert_eq!(g, v, "{k:?}");
                } else {
                    assert_eq!((g.0, g.2, &g.3), (v.0, v.2, &v.3));
                }
            }
            assert_eq!(got.len(), want.len());
            let mut c = counters(&store);
            // The expired keys are in the original's stripes only.
            for (db, k) in [(0, &b"gone"[..]), (0, b"gone-hash")] {
                let i = db * 8 + store.stripe_of(k);
                c[i] = (c[i].0 - 1, c[i].1 - 1);
            }
            assert_eq!(counters(&loaded), c);
            assert!(loaded.used_memory() > 0);
        }
        // -0 survives in a set that is a skiplist.
        let (loaded, _, _) = load(&info.path, 3);
        let (s, h) = loaded.dbs[2].read(b"z-large");
        match &s.get(h, b"z-large", 0).unwrap().value {
            Value::ZSet(z) => {
                assert!(z.score(b"negzero").unwrap().is_sign_negative());
                assert!(z.score(b"a-negzero").unwrap().is_sign_negative());
            }
            _ => panic!("not a zset"),
        }
    }

    #[test]
    fn empty_store_round_trips() {
        let t = TempDir::new("empty");
        let store = Store::new(1, 1);
        let info = write(&store, &Gate::default(), || 7, &t.0).unwrap();
        assert_eq!(info.keys, 0);
        let (loaded, lsns, keys) = load(&info.path, 1);
        assert_eq!((lsns, keys), (vec![7], 0));
        assert!(dump(&loaded).is_empty());
    }

    #[test]
    fn snapshot_while_writing_is_consistent_per_stripe() {
        let t = TempDir::new("live");
        const KEYS: u64 = 20_000;
        let store = Store::new(2, 8);
        let gate = Gate::default();
        let lsn = AtomicU64::new(0);
        type Log = Vec<(usize, Vec<u8>, Option<Vec<u8>>, u64)>;
        let log: Mutex<Log> = Mutex::new(Vec::new());
        // A write the normal way, bumping the "WAL" counter and logging
        // under the stripe lock.
        let logged = |db: usize, key: &[u8], val: Option<&[u8]>| {
            let _g = gate.shared();
            let (mut s, h) = store.dbs[db].write(key);
            match val {
                Some(v) => {
                    s.insert(h, key, Entry::new(Value::str(v), 0));
                }
                None => {
                    s.remove(h, key);
                }
            }
            let c = lsn.fetch_add(1, Ordering::SeqCst);
            log.lock().unwrap().push((db, key.to_vec(), val.map(b), c));
        };
        for i in 0..KEYS {
            logged((i % 2) as usize, format!("k{i}").as_bytes(), Some(b"init"));
        }
        let stop = AtomicBool::new(false);
        let paths = std::thread::scope(|s| {
            for w in 0..2u64 {
                let (logged, stop) = (&logged, &stop);
                s.spawn(move || {
                    let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ (w + 1);
                    for n in 0..400_000u64 {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        let key = format!("k{}", x % KEYS);
                        let val = format!("{w}:{n}");
                        let val = (!x.is_multiple_of(8)).then_some(val.as_bytes());
                        logged(((x >> 20) % 2) as usize, key.as_bytes(), val);
                    }
                });
            }
            let mut paths = Vec::new();
            let mut spread = false;
            for _ in 0..100 {
                let info = write(&store, &gate, || lsn.load(Ordering::SeqCst), &t.0).unwrap();
                spread |= info.max_lsn > info.min_lsn;
                paths.push(info.path);
                if spread && paths.len() >= 3 {
                    break;
                }
            }
            stop.store(true, Ordering::Relaxed);
            assert!(spread, "no write ever landed between two stripes");
            paths
        });
        let mut log = log.into_inner().unwrap();
        log.sort_by_key(|e| e.3);
        for path in paths {
            let (loaded, lsns, _) = load(&path, 2);
            let mut want = BTreeMap::new();
            for (db, k, v, c) in &log {
                if *c < lsns[store.stripe_of(k)] {
                    match v {
                        Some(v) => want.insert((*db, k.clone()), v.clone()),
                        None => want.remove(&(*db, k.clone())),
                    };
                }
            }
            let got: BTreeMap<_, _> = dump(&loaded)
                .into_iter()
                .map(|(k, v)| (k, v.3[0].clone()))
                .collect();
            assert!(
                got == want,
                "{}: content differs from the log",
                path.display()
            );
        }
    }

    fn fix_crc(d: &mut [u8]) {
        let n = d.len() - 4;
        let c = crc32fast::hash(&d[..n]);
        d[n..].copy_from_slice(&c.to_le_bytes());
    }

    #[test]
    fn corrupt_truncated_and_foreign_files_are_rejected() {
        let t = TempDir::new("corrupt");
        let store = sample();
        let info = write(&store, &Gate::default(), || 1, &t.0).unwrap();
        let good = fs::read(&info.path).unwrap();
        let len = good.len();
        let probe = t.0.join("probe.fdb");
        let shown = probe.display().to_string();
        let rejected = |d: &[u8]| -> String {
            fs::write(&probe, d).unwrap();
            let e = open(&probe).expect_err("accepted a damaged file");
            assert!(e.contains(&shown), "{e}");
            e
        };
        for pos in [
            0,
            5,
            9,
            14,
            22,
            30,
            40,
            HEADER_LEN,
            HEADER_LEN + 25,
            len / 3,
            len / 2,
            len - 100,
            len - 30,
            len - 22,
            len - 15,
            len - 5,
            len - 1,
        ] {
            let mut d = good.clone();
            d[pos] ^= 0x10;
            rejected(&d);
        }
        for n in [0, 10, HEADER_LEN, len / 2, len - 13, len - 4, len - 1] {
            rejected(&good[..n]);
        }
        let mut d = good.clone();
        d.extend_from_slice(b"junk");
        rejected(&d);

        let mut d = good.clone();
        d[..8].copy_from_slice(b"NOTFLASH");
        fix_crc(&mut d);
        assert!(rejected(&d).contains("magic"));
        let mut d = good.clone();
        d[8] = 2;
        fix_crc(&mut d);
        assert!(rejected(&d).contains("version"));
        // A wrong footer start, with a valid CRC.
        let mut d = good.clone();
        d[len - 20] ^= 1;
        fix_crc(&mut d);
        assert!(rejected(&d).contains("footer"));
        assert!(open(&t.0.join("missing.fdb"))
            .unwrap_err()
            .contains("missing.fdb"));

        // Well-formed outside, bad inside (valid CRC): the loader names the
        // file and the offset.
        let l = open(&info.path).unwrap();
        let i = (0..8)
            .find(|&i| le_u64(&good, l.offsets[i] + 12) > 0)
            .unwrap();
        let entry = l.offsets[i] + SECTION_HEAD;
        let bad_load = |d: &[u8]| -> String {
            fs::write(&probe, d).unwrap();
            let l = open(&probe).unwrap();
            let s = Store::with_hasher(3, 8, l.header().hasher);
            let e = l.load_into(&s, &LIM, 2).unwrap_err();
            assert!(e.contains(&shown) && e.contains("offset"), "{e}");
            e
        };
        let mut d = good.clone();
        d[entry + 2] = 9;
        fix_crc(&mut d);
        assert!(bad_load(&d).contains(&format!("offset {}", entry + 2)));
        let mut d = good.clone();
        d[entry + 11] = 0xff; // key length
        fix_crc(&mut d);
        bad_load(&d);
        let mut d = good.clone();
        d[entry] = 7; // db 7 of 3
        fix_crc(&mut d);
        assert!(bad_load(&d).contains("db 7"));
    }

    /// A stream with groups round-trips; damage inside it (CRC fixed) is
    /// rejected naming the file and the offset, or loads cleanly.
    #[test]
    fn streams_round_trip_and_damage_is_rejected() {
        use crate::store::stream::{Group, StreamId, StreamValue};
        let t = TempDir::new("stream");
        let store = Store::new(1, 1);
        let mut x = StreamValue::new();
        for i in 1..=5u64 {
            x.append(
                StreamId::new(i, 1),
                vec![b"f".to_vec(), format!("v{i}").into_bytes()],
                Default::default(),
            );
        }
        x.delete(StreamId::new(2, 1));
        x.max_deleted = StreamId::new(2, 1);
        x.last_id = StreamId::new(9, 9);
        let mut g = Group::new(StreamId::new(3, 1), 3);
        g.create_consumer(b"alice", 11);
        g.create_consumer(b"bob", 12);
        g.assign(StreamId::new(1, 1), b"alice", 13, 2);
        g.assign(StreamId::new(2, 1), b"bob", 14, 1);
        x.groups.insert(b"grp".to_vec(), g);
        let want = x.clone();
        put(&store, 0, b"s", Value::Stream(Box::new(x)), 0);
        let mut empty = StreamValue::new();
        empty.last_id = StreamId::new(7, 7);
        empty.entries_added = 4;
        put(&store, 0, b"e", Value::Stream(Box::new(empty)), 0);
        let info = write(&store, &Gate::default(), || 1, &t.0).unwrap();
        let (loaded, _, keys) = load(&info.path, 1);
        assert_eq!(keys, 2);
        let (s, h) = loaded.dbs[0].read(b"s");
        match &s.get(h, b"s", 0).unwrap().value {
            Value::Stream(got) => {
                assert_eq!(got.entries, want.entries);
                assert_eq!(
                    (got.last_id, got.entries_added, got.max_deleted),
                    (want.last_id, want.entries_added, want.max_deleted)
                );
                assert_eq!(got.groups, want.groups);
            }
            _ => panic!("not a stream"),
        }
        drop(s);
        let good = fs::read(&info.path).unwrap();
        let probe = t.0.join("probe.fdb");
        let shown = probe.display().to_string();
        let start = HEADER_LEN + SECTION_HEAD;
        let end = le_u64(&good, good.len() - 20) as usize;
        let mut rejected = 0;
        for pos in start..end {
            for flip in [0x01u8, 0x80, 0xff] {
                let mut d = good.clone();
                d[pos] ^= flip;
                fix_crc(&mut d);
                fs::write(&probe, &d).unwrap();
                let Ok(l) = open(&probe) else { continue };
                let s = Store::with_hasher(1, 1, l.header().hasher);
                if let Err(e) = l.load_into(&s, &LIM, 1) {
                    assert!(e.contains(&shown) && e.contains("offset"), "{e}");
                    rejected += 1;
                }
            }
        }
        assert!(rejected > 100, "{rejected}");
    }

    #[test]
    fn store_must_match_the_snapshot() {
        let t = TempDir::new("mismatch");
        let store = sample();
        let info = write(&store, &Gate::default(), || 1, &t.0).unwrap();
        let l = open(&info.path).unwrap();
        let e = l.load_into(&Store::new(3, 8), &LIM, 2).unwrap_err();
        assert!(e.contains("hash keys"), "{e}");
        let e = l
            .load_into(&Store::with_hasher(3, 16, store.hasher()), &LIM, 2)
            .unwrap_err();
        assert!(e.contains("stripes"), "{e}");
        let e = l
            .load_into(&Store::with_hasher(2, 8, store.hasher()), &LIM, 2)
            .unwrap_err();
        assert!(e.contains("store has 2 databases"), "{e}");
        // More DBs than the snapshot is fine.
        let big = Store::with_hasher(5, 8, store.hasher());
        assert_eq!(l.load_into(&big, &LIM, 2).unwrap().1, info.keys);
        // Loading twice into the same store finds duplicates.
        assert!(l
            .load_into(&big, &LIM, 1)
            .unwrap_err()
            .contains("duplicate"));
    }

    #[test]
    fn list_retain_and_temp_files() {
        let t = TempDir::new("retain");
        assert!(list(&t.0).unwrap().is_empty());
        assert_eq!(retain(&t.0, 3).unwrap(), 0);
        let store = Store::new(1, 2);
        put(&store, 0, b"a", Value::str(b"1"), 0);
        let gate = Gate::default();
        let made: Vec<PathBuf> = (0..5)
            .map(|i| write(&store, &gate, || i, &t.0).unwrap().path)
            .collect();
        let snaps = t.0.join(SNAP_DIR);
        fs::write(snaps.join("snapshot-00000000000000000099.fdb.tmp"), b"x").unwrap();
        fs::write(snaps.join("notes.txt"), b"x").unwrap();
        fs::write(snaps.join("snapshot-12.fdb"), b"x").unwrap();
        let newest_first: Vec<PathBuf> = made.iter().rev().cloned().collect();
        assert_eq!(list(&t.0).unwrap(), newest_first);
        assert_eq!(retain(&t.0, 2).unwrap(), 3);
        assert_eq!(list(&t.0).unwrap(), newest_first[..2].to_vec());
        assert_eq!(retain(&t.0, 0).unwrap(), 1);
        assert_eq!(list(&t.0).unwrap(), vec![made[4].clone()]);
        // A leftover .tmp does not take an id; the next one follows on.
        let next = write(&store, &gate, || 9, &t.0).unwrap().path;
        assert!(next.ends_with("snapshot-00000000000000000006.fdb"));
        assert_eq!(remove_temp(&t.0).unwrap(), 1);
        assert_eq!(remove_temp(&t.0).unwrap(), 0);
        assert!(snaps.join("notes.txt").exists());
        assert_eq!(list(&t.0).unwrap().len(), 2);
    }

    /// Speed check (not timed as a pass/fail): 1,000,000 string keys of 16
    /// bytes with 16-byte values. Run with
    /// `cargo test --release --lib snapshot -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn speed_one_million_strings() {
        let t = TempDir::new("speed");
        let store = Store::new(16, 256);
        for i in 0..1_000_000u64 {
            let k = format!("key:{i:012}");
            let v = format!("val:{i:012}");
            put(&store, 0, k.as_bytes(), Value::str(v.as_bytes()), 0);
        }
        let t0 = Instant::now();
        let info = write(&store, &Gate::default(), || 1, &t.0).unwrap();
        let w = t0.elapsed();
        let t1 = Instant::now();
        let l = open(&info.path).unwrap();
        let o = t1.elapsed();
        let loaded = Store::with_hasher(16, 256, l.header().hasher);
        let t2 = Instant::now();
        let (_, keys) = l.load_into(&loaded, &Limits::default(), 2).unwrap();
        let ld = t2.elapsed();
        assert_eq!(keys, 1_000_000);
        eprintln!(
            "1M keys, {} bytes: write {w:?} (in-call {:?}), open {o:?}, load (2 threads) {ld:?}, open+load {:?}",
            info.bytes,
            info.duration,
            o + ld
        );
    }
}
