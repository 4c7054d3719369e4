//! WAL segment files: naming, the segment header, listing, and the
//! recovery scan (torn-tail truncation, corruption detection and repair).
//!
//! # Files
//!
//! Segments live in `<dir>/wal/` and are named by an 8-digit zero-padded,
//! increasing sequence number: `00000001.wal`, `00000002.wal`, ... A file in
//! that directory whose name does not have this form (for example
//! `00000003.wal.corrupt`, left by a repair) is ignored.
//!
//! # Segment header (24 bytes, integers little-endian)
//!
//! ```text
//! offset size  field
//!  0     8     magic      b"FLASHWAL"
//!  8     4     version    u32 = 1
//! 12     8     first_lsn  u64, the LSN of the first record this segment may
//!                         hold (every record of the previous segment has a
//!                         smaller LSN)
//! 20     4     crc32      u32, CRC-32 (IEEE, crc32fast) of bytes 0 .. 20
//! 24     ...   records, back to back (record.rs format)
//! ```
//!
//! # Recovery scan
//!
//! [`scan`] reads the segments in sequence order and hands every valid
//! record to a callback. What ends the records of a segment decides what
//! happens:
//!
//! - **Torn tail** — only in the *last* segment: a record cut short by the end
//!   of the file, or a damaged record (bad CRC, malformed) whose declared
//!   end reaches or passes the end of the file, or a damaged record followed
//!   by nothing but zero bytes (a crash after the file grew but before its
//!   data reached the disk). This is a write the crash interrupted, never an
//!   acknowledged one (acknowledged records are complete on disk), so the
//!   file is truncated there and the scan reports it. A last segment whose
//!   header is incomplete (shorter than 24 bytes) or all zero bytes is a
//!   crash while creating it and is deleted.
//! - **Corruption** — anything else: a bad record in a segment that is not
//!   the last, or one followed by more non-zero bytes in the last segment,
//!   or a bad header. Without `repair` the scan fails naming the file and
//!   offset. With `repair` it keeps the valid prefix: that segment is
//!   truncated at the bad record (or renamed, if its header is bad), every
//!   later segment is renamed to `<name>.corrupt` (data is never deleted)
//!   and the scan reports how many bytes it dropped.
//!
//! LSN order is not checked (the writer assigns LSNs under one mutex, so
//! they increase, but recovery does not depend on it).

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use super::record::{self, DecodeError, Record};

/// Segment file magic.
pub const MAGIC: &[u8; 8] = b"FLASHWAL";
/// Segment format version.
pub const VERSION: u32 = 1;
/// Length of the segment header.
pub const HEADER_LEN: usize = 24;

/// One segment file, as [`list_segments`] finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentInfo {
    pub seq: u64,
    pub path: PathBuf,
    /// From the header: the LSN of the first record this segment may hold.
    pub first_lsn: u64,
    /// File length in bytes, header included.
    pub len: u64,
}

/// The directory holding the segments of data directory `dir`.
pub fn wal_dir(dir: &Path) -> PathBuf {
    dir.join("wal")
}

/// The file name of segment `seq` (`00000001.wal`).
pub fn segment_name(seq: u64) -> String {
    format!("{seq:08}.wal")
}

/// The sequence number in a segment file name; None if `name` is not one.
pub fn parse_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".wal")?;
    if digits.len() < 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The 24-byte header of a segment whose first record has LSN `first_lsn`.
pub fn encode_header(first_lsn: u64) -> [u8; HEADER_LEN] {
    let mut h = [0u8; HEADER_LEN];
    h[..8].copy_from_slice(MAGIC);
    h[8..12].copy_from_slice(&VERSION.to_le_bytes());
    h[12..20].copy_from_slice(&first_lsn.to_le_bytes());
    let crc = crc32fast::hash(&h[..20]);
    h[20..24].copy_from_slice(&crc.to_le_bytes());
    h
}

/// Checks a segment header; returns its first LSN or what is wrong.
pub fn decode_header(buf: &[u8]) -> Result<u64, &'static str> {
    if buf.len() < HEADER_LEN {
        return Err("header shorter than 24 bytes");
    }
    if &buf[..8] != MAGIC {
        return Err("bad magic");
    }
    if crc32fast::hash(&buf[..20]) != u32::from_le_bytes(buf[20..24].try_into().unwrap()) {
        return Err("header CRC mismatch");
    }
    if u32::from_le_bytes(buf[8..12].try_into().unwrap()) != VERSION {
        return Err("unsupported format version");
    }
    Ok(u64::from_le_bytes(buf[12..20].try_into().unwrap()))
}

pub use super::sync_dir;

/// Creates (or truncates) segment `seq` in `wal` (the segment directory)
/// with its header, fsyncs the file and the directory, and returns the
/// file positioned after the header.
pub fn create_segment(wal: &Path, seq: u64, first_lsn: u64) -> io::Result<(File, PathBuf)> {
    let path = wal.join(segment_name(seq));
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)?;
    f.write_all(&encode_header(first_lsn))?;
    f.sync_all()?;
    sync_dir(wal)?;
    Ok((f, path))
}

/// The segment files in `<dir>/wal` (name and sequence only), sorted by
/// sequence. A missing directory has none.
fn segment_files(dir: &Path) -> io::Result<Vec<(u64, PathBuf)>> {
    super::numbered_files(&wal_dir(dir), parse_name)
}

/// The segments in `<dir>/wal`, sorted by sequence, with their headers
/// checked. A bad header is an `InvalidData` error naming the file.
pub fn list_segments(dir: &Path) -> io::Result<Vec<SegmentInfo>> {
    let mut out = Vec::new();
    for (seq, path) in segment_files(dir)? {
        let mut f = File::open(&path)?;
        let len = f.metadata()?.len();
        let mut h = Vec::with_capacity(HEADER_LEN);
        (&mut f).take(HEADER_LEN as u64).read_to_end(&mut h)?;
        let first_lsn = decode_header(&h).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("wal: bad segment header ({e}) in {}", path.display()),
            )
        })?;
        out.push(SegmentInfo {
            seq,
            path,
            first_lsn,
            len,
        });
    }
    Ok(out)
}

/// What [`scan`] found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ScanReport {
    /// Valid records handed to the callback.
    pub records: u64,
    /// Their total size in bytes (segment headers not counted).
    pub bytes: u64,
    /// The largest LSN seen; 0 if there were no records.
    pub last_lsn: u64,
    /// Segment files kept (after any truncation, deletion or repair).
    pub segments: usize,
    /// Sequence number of the last segment kept; 0 if none.
    pub last_seq: u64,
    /// A torn tail was cut: (file, offset, bytes cut). Offset 0 means the
    /// file (a segment with an incomplete header) was deleted.
    pub truncated: Option<(PathBuf, u64, u64)>,
    /// `repair` dropped a corrupt suffix: (file, offset of the bad record,
    /// bytes dropped in total, later segments included).
    pub repaired: Option<(PathBuf, u64, u64)>,
    /// With a continuity floor ([`scan_from`]): the lowest LSN the log
    /// does not account for (every record at or above the floor and below
    /// it is present or was declared never written); the floor when there
    /// are no segments.
    pub reach: u64,
    /// `repair` accepted missing records: (file where they were missed,
    /// first missing LSN, first LSN after them).
    pub gap: Option<(PathBuf, u64, u64)>,
}

/// Why a scan failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WalErrorKind {
    /// A bad record or header before the tail; `--wal-repair` can drop it.
    Corrupt,
    /// The callback refused a record.
    Replay,
    /// Records the snapshot does not hold are missing from the log (a
    /// segment was deleted, or a backup was copied in the wrong order).
    Gap,
    /// Reading, truncating or renaming a file failed.
    Io,
}

/// A scan failure at a file and offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalError {
    pub path: PathBuf,
    pub offset: u64,
    /// What is wrong ("CRC mismatch", "malformed: unknown op code", the
    /// callback's message, the I/O error).
    pub msg: String,
    pub kind: WalErrorKind,
}

impl fmt::Display for WalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = format!("{}:{}", self.path.display(), self.offset);
        match self.kind {
            WalErrorKind::Corrupt => write!(
                f,
                "wal: bad {} ({}) at {at}; refusing to start. Start with --wal-repair \
                 to keep the records before it and drop the rest",
                if self.offset == 0 {
                    "segment header"
                } else {
                    "record"
                },
                self.msg
            ),
            WalErrorKind::Replay => {
                write!(f, "wal: cannot replay the record at {at}: {}", self.msg)
            }
            WalErrorKind::Io => write!(f, "wal: {at}: {}", self.msg),
            WalErrorKind::Gap => write!(
                f,
                "wal: {} before {at}; refusing to start. A WAL segment was deleted, or a backup \
                 copied snapshots/ before wal/ (docs/OPERATIONS.md). Put the missing segment back, \
                 or start with --wal-repair to accept losing those writes",
                self.msg
            ),
        }
    }
}

impl std::error::Error for WalError {}

fn io_err(path: &Path, offset: u64, e: io::Error) -> WalError {
    WalError {
        path: path.to_path_buf(),
        offset,
        msg: e.to_string(),
        kind: WalErrorKind::Io,
    }
}

fn describe(e: &DecodeError) -> String {
    match e {
        DecodeError::Incomplete => "incomplete record".to_string(),
        DecodeError::BadCrc => "CRC mismatch".to_string(),
        DecodeError::Malformed(why) => format!("malformed: {why}"),
    }
}

fn truncate_file(path: &Path, len: u64) -> io::Result<()> {
    let f = OpenOptions::new().write(true).open(path)?;
    f.set_len(len)?;
    f.sync_all()
}

/// Renames `path` to `<path>.corrupt` (or `.corrupt.1`, `.corrupt.2`, ...
/// if that exists: data is never overwritten).
fn rename_corrupt(path: &Path) -> io::Result<()> {
    let base = format!("{}.corrupt", path.display());
    let mut target = PathBuf::from(&base);
    let mut n = 0;
    while target.exists() {
        n += 1;
        target = PathBuf::from(format!("{base}.{n}"));
    }
    fs::rename(path, target)
}

/// Where the records of one segment stop.
enum Stop {
    /// At the end of the file: every record was valid.
    End,
    /// A torn tail at this offset (cut it).
    Torn(u64),
    /// A torn segment header (delete the file).
    TornHeader,
    /// Corruption at this offset: what is wrong.
    Corrupt(u64, String),
}

/// Reads every segment of `<dir>/wal` in order and calls `f` for each valid
/// record in file order; see the module doc for torn tails, corruption and
/// `repair`.
pub fn scan(
    dir: &Path,
    repair: bool,
    f: impl FnMut(Record) -> Result<(), String>,
) -> Result<ScanReport, WalError> {
    scan_from(dir, repair, None, f)
}

/// [`scan`], also checking that no record at or above `floor` (the
/// lowest stripe LSN of the snapshot loaded, 1 without one) is missing.
///
/// The log accounts for every LSN from the floor up: LSNs are assigned
/// one by one, so within a segment records are consecutive, and a
/// segment's header LSN `h` says that every record before it in the log
/// has an LSN below `h` and that LSNs from `h` to the segment's first
/// record were never written (a crash lost them unacknowledged; recovery
/// starts its segment at the first LSN it did not find). So a header
/// above what the records so far reach, or a jump between two records of
/// one segment, means records are missing: an error naming the file and
/// offset, unless `repair` (then reported in [`ScanReport::gap`]).
pub fn scan_from(
    dir: &Path,
    repair: bool,
    floor: Option<u64>,
    mut f: impl FnMut(Record) -> Result<(), String>,
) -> Result<ScanReport, WalError> {
    let wal = wal_dir(dir);
    let files = segment_files(dir).map_err(|e| io_err(&wal, 0, e))?;
    let mut rep = ScanReport {
        reach: floor.unwrap_or(0),
        ..ScanReport::default()
    };
    let n = files.len();
    for (i, (seq, path)) in files.iter().enumerate() {
        let last = i + 1 == n;
        let data = fs::read(path).map_err(|e| io_err(path, 0, e))?;
        let len = data.len() as u64;
        let stop = match decode_header(&data) {
            Err(_) if last && (data.len() < HEADER_LEN || data.iter().all(|&b| b == 0)) => {
                Stop::TornHeader
            }
            Err(why) => Stop::Corrupt(0, why.to_string()),
            Ok(header_lsn) => {
                let mut first_in_segment = true;
                if floor.is_some() && header_lsn > rep.reach {
                    missing(&mut rep, repair, path, 0, header_lsn)?;
                }
                scan_records(&data, last, |rec, at| {
                    let lsn = rec.lsn;
                    if floor.is_some() {
                        if lsn > rep.reach && !first_in_segment {
                            missing(&mut rep, repair, path, at as u64, lsn)?;
                        }
                        rep.reach = rep.reach.max(lsn + 1);
                    }
                    first_in_segment = false;
                    f(rec).map_err(|msg| WalError {
                        path: path.clone(),
                        offset: at as u64,
                        msg,
                        kind: WalErrorKind::Replay,
                    })?;
                    rep.records += 1;
                    rep.last_lsn = rep.last_lsn.max(lsn);
                    Ok(())
                })?
            }
        };
        match stop {
            Stop::End => {
                rep.bytes += len - HEADER_LEN as u64;
                rep.segments += 1;
                rep.last_seq = *seq;
            }
            Stop::Torn(at) => {
                truncate_file(path, at).map_err(|e| io_err(path, at, e))?;
                rep.bytes += at - HEADER_LEN as u64;
                rep.segments += 1;
                rep.last_seq = *seq;
                rep.truncated = Some((path.clone(), at, len - at));
            }
            Stop::TornHeader => {
                fs::remove_file(path).map_err(|e| io_err(path, 0, e))?;
                sync_dir(&wal).map_err(|e| io_err(&wal, 0, e))?;
                rep.truncated = Some((path.clone(), 0, len));
            }
            Stop::Corrupt(at, msg) => {
                if !repair {
                    return Err(WalError {
                        path: path.clone(),
                        offset: at,
                        msg,
                        kind: WalErrorKind::Corrupt,
                    });
                }
                let mut dropped = len - at;
                if at == 0 {
                    rename_corrupt(path).map_err(|e| io_err(path, 0, e))?;
                } else {
                    truncate_file(path, at).map_err(|e| io_err(path, at, e))?;
                    rep.bytes += at - HEADER_LEN as u64;
                    rep.segments += 1;
                    rep.last_seq = *seq;
                }
                for (_, later) in &files[i + 1..] {
                    let l = fs::metadata(later).map_err(|e| io_err(later, 0, e))?.len();
                    rename_corrupt(later).map_err(|e| io_err(later, 0, e))?;
                    dropped += l;
                }
                sync_dir(&wal).map_err(|e| io_err(&wal, 0, e))?;
                rep.repaired = Some((path.clone(), at, dropped));
                break;
            }
        }
    }
    Ok(rep)
}

/// Records `reach .. upto` are not in the log (found at `path:offset`):
/// an error, or with `repair` a note in the report (and the scan goes on).
fn missing(
    rep: &mut ScanReport,
    repair: bool,
    path: &Path,
    offset: u64,
    upto: u64,
) -> Result<(), WalError> {
    let msg = if upto - rep.reach == 1 {
        format!("the record with LSN {} is missing", rep.reach)
    } else {
        format!("records with LSN {} to {} are missing", rep.reach, upto - 1)
    };
    if !repair {
        return Err(WalError {
            path: path.to_path_buf(),
            offset,
            msg,
            kind: WalErrorKind::Gap,
        });
    }
    if rep.gap.is_none() {
        rep.gap = Some((path.to_path_buf(), rep.reach, upto));
    }
    rep.reach = upto;
    Ok(())
}

/// Decodes the records of one segment (`data` is the whole file, header
/// checked) and calls `each(record, offset)` for each valid one; returns
/// where they stop.
fn scan_records(
    data: &[u8],
    last: bool,
    mut each: impl FnMut(Record, usize) -> Result<(), WalError>,
) -> Result<Stop, WalError> {
    let mut at = HEADER_LEN;
    while at < data.len() {
        match record::decode(&data[at..]) {
            Ok((rec, n)) => {
                each(rec, at)?;
                at += n;
            }
            Err(e) => {
                let torn = last
                    && match e {
                        DecodeError::Incomplete => true,
                        _ => {
                            // The declared end (the header is there, or the
                            // error would be Incomplete).
                            let end = record::record_len(&data[at..])
                                .map_or(data.len(), |l| at.saturating_add(l).min(data.len()));
                            data[end..].iter().all(|&b| b == 0)
                        }
                    };
                return Ok(if torn {
                    Stop::Torn(at as u64)
                } else {
                    Stop::Corrupt(at as u64, describe(&e))
                });
            }
        }
    }
    Ok(Stop::End)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::persist::record::encode_command;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// A fresh, empty temp directory, removed on drop (the persistence
    /// modules' tests share it).
    pub(crate) struct TempDir(pub PathBuf);

    impl TempDir {
        pub(crate) fn new(tag: &str) -> TempDir {
            static N: AtomicU64 = AtomicU64::new(0);
            let p = std::env::temp_dir().join(format!(
                "flashdb-{tag}-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            let _ = fs::remove_dir_all(&p);
            fs::create_dir_all(&p).unwrap();
            TempDir(p)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    /// Writes segments by hand: `segs[i]` = (first_lsn, lsns of records).
    /// Returns the record start offsets per segment.
    fn write_segments(dir: &Path, segs: &[(u64, Vec<u64>)]) -> Vec<Vec<usize>> {
        let wal = wal_dir(dir);
        fs::create_dir_all(&wal).unwrap();
        let mut offsets = Vec::new();
        for (i, (first, lsns)) in segs.iter().enumerate() {
            let mut buf = encode_header(*first).to_vec();
            let mut offs = Vec::new();
            for &l in lsns {
                offs.push(buf.len());
                let v = format!("value-{l}");
                encode_command(&mut buf, 0, l, &[b"SET", b"key", v.as_bytes()]);
            }
            fs::write(wal.join(segment_name(i as u64 + 1)), buf).unwrap();
            offsets.push(offs);
        }
        offsets
    }

    fn lsns(dir: &Path, repair: bool) -> Result<(Vec<u64>, ScanReport), WalError> {
        let mut got = Vec::new();
        let rep = scan(dir, repair, |r| {
            got.push(r.lsn);
            Ok(())
        })?;
        Ok((got, rep))
    }

    /// `scan_from`'s continuity check: the outcome for a log laid out by
    /// `write_segments` and a floor. Ok = the reach; Err = (file number,
    /// offset, message) of the gap.
    fn continuity(segs: &[(u64, Vec<u64>)], floor: u64) -> Result<u64, (String, u64, String)> {
        let d = TempDir::new("seg-gap");
        write_segments(&d.0, segs);
        match scan_from(&d.0, false, Some(floor), |_| Ok(())) {
            Ok(rep) => {
                // Repair accepts the same log, reporting the gap if any.
                assert!(rep.gap.is_none());
                Ok(rep.reach)
            }
            Err(e) => {
                assert_eq!(e.kind, WalErrorKind::Gap);
                let name = e.path.file_name().unwrap().to_string_lossy().into_owned();
                let rep = scan_from(&d.0, true, Some(floor), |_| Ok(())).unwrap();
                assert!(rep.gap.is_some(), "repair reports the gap");
                Err((name, e.offset, e.msg))
            }
        }
    }

    #[test]
    fn scan_from_finds_missing_records() {
        // Consecutive records across segments; the reach is the next LSN.
        assert_eq!(continuity(&[(1, vec![1, 2, 3]), (4, vec![4, 5])], 1), Ok(6));
        // Records below the floor are in the snapshot; none missing.
        assert_eq!(continuity(&[(1, vec![1, 2]), (3, vec![3])], 7), Ok(7));
        // No segments: the floor.
        assert_eq!(continuity(&[], 5), Ok(5));
        // A header declares LSNs 4..=6 never written (recovery after a
        // crash lost them): no gap.
        assert_eq!(continuity(&[(1, vec![1, 2, 3]), (4, vec![7, 8])], 1), Ok(9));
        // A header above the reach: the segment holding 4 and 5 is gone.
        let (file, off, msg) = continuity(&[(1, vec![1, 2, 3]), (6, vec![6])], 1).unwrap_err();
        assert_eq!((file.as_str(), off), ("00000002.wal", 0));
        assert_eq!(msg, "records with LSN 4 to 5 are missing");
        // The snapshot needs LSN 5 on, the log starts at 7.
        let (file, off, msg) = continuity(&[(7, vec![7, 8])], 5).unwrap_err();
        assert_eq!(
            (file.as_str(), off, msg.as_str()),
            ("00000001.wal", 0, "records with LSN 5 to 6 are missing")
        );
        // A jump inside a segment.
        let offs = write_segments(&TempDir::new("seg-gap-offs").0, &[(1, vec![1, 2, 4])]);
        let (_, off, msg) = continuity(&[(1, vec![1, 2, 4])], 1).unwrap_err();
        assert_eq!(
            (off, msg.as_str()),
            (offs[0][2] as u64, "the record with LSN 3 is missing")
        );
    }

    #[test]
    fn names_and_headers() {
        assert_eq!(segment_name(3), "00000003.wal");
        assert_eq!(parse_name("00000003.wal"), Some(3));
        assert_eq!(parse_name("123456789.wal"), Some(123456789));
        assert_eq!(parse_name("00000003.wal.corrupt"), None);
        assert_eq!(parse_name("3.wal"), None);
        assert_eq!(parse_name("0000000x.wal"), None);
        let h = encode_header(77);
        assert_eq!(&h[..8], b"FLASHWAL");
        assert_eq!(decode_header(&h), Ok(77));
        for i in 0..HEADER_LEN {
            let mut b = h;
            b[i] ^= 1;
            assert!(decode_header(&b).is_err(), "flip at {i}");
        }
        assert!(decode_header(&h[..23]).is_err());
    }

    #[test]
    fn list_segments_sorts_ignores_strangers_and_names_bad_headers() {
        let d = TempDir::new("seg-list");
        assert!(list_segments(&d.0).unwrap().is_empty());
        write_segments(&d.0, &[(1, vec![1, 2]), (3, vec![3]), (4, vec![])]);
        let wal = wal_dir(&d.0);
        fs::write(wal.join("notes.txt"), b"x").unwrap();
        fs::write(wal.join("00000009.wal.corrupt"), b"x").unwrap();
        let l = list_segments(&d.0).unwrap();
        assert_eq!(
            l.iter().map(|s| (s.seq, s.first_lsn)).collect::<Vec<_>>(),
            vec![(1, 1), (2, 3), (3, 4)]
        );
        assert_eq!(l[2].len, HEADER_LEN as u64);
        fs::write(wal.join("00000002.wal"), b"FLASHWAL garbage").unwrap();
        let e = list_segments(&d.0).unwrap_err();
        assert!(e.to_string().contains("00000002.wal"), "{e}");
    }

    #[test]
    fn scan_reads_all_segments_in_order() {
        let d = TempDir::new("seg-scan");
        write_segments(&d.0, &[(1, vec![1, 2, 3]), (4, vec![4, 5]), (6, vec![])]);
        let (got, rep) = lsns(&d.0, false).unwrap();
        assert_eq!(got, vec![1, 2, 3, 4, 5]);
        assert_eq!(
            (rep.records, rep.last_lsn, rep.segments, rep.last_seq),
            (5, 5, 3, 3)
        );
        assert_eq!(rep.truncated, None);
        assert_eq!(rep.repaired, None);
    }

    #[test]
    fn callback_error_names_the_record() {
        let d = TempDir::new("seg-cb");
        let offs = write_segments(&d.0, &[(1, vec![1, 2, 3])]);
        let e = scan(&d.0, false, |r| {
            if r.lsn == 2 {
                Err("nope".into())
            } else {
                Ok(())
            }
        })
        .unwrap_err();
        assert_eq!(e.kind, WalErrorKind::Replay);
        assert_eq!(e.offset, offs[0][1] as u64);
        assert!(e.to_string().contains("00000001.wal"), "{e}");
    }

    #[test]
    fn torn_header_of_last_segment_is_deleted_elsewhere_fatal() {
        let d = TempDir::new("seg-torn-header");
        write_segments(&d.0, &[(1, vec![1, 2]), (3, vec![3])]);
        let wal = wal_dir(&d.0);
        let p3 = wal.join("00000003.wal");
        fs::write(&p3, &encode_header(4)[..10]).unwrap();
        let (got, rep) = lsns(&d.0, false).unwrap();
        assert_eq!(got, vec![1, 2, 3]);
        assert_eq!(rep.truncated, Some((p3.clone(), 0, 10)));
        assert!(!p3.exists());
        assert_eq!((rep.segments, rep.last_seq), (2, 2));
        // All zeros (file grew, data never reached the disk): torn too.
        fs::write(&p3, [0u8; 24]).unwrap();
        let (_, rep) = lsns(&d.0, false).unwrap();
        assert_eq!(rep.truncated, Some((p3.clone(), 0, 24)));
        // A bad header that is not last: corruption.
        fs::write(wal.join("00000001.wal"), &encode_header(1)[..10]).unwrap();
        let e = lsns(&d.0, false).unwrap_err();
        assert_eq!((e.kind, e.offset), (WalErrorKind::Corrupt, 0));
        assert!(e.to_string().contains("00000001.wal:0"), "{e}");
        // Repair: the bad segment and everything after it is set aside.
        let (got, rep) = lsns(&d.0, true).unwrap();
        assert!(got.is_empty());
        assert_eq!(rep.repaired.as_ref().unwrap().1, 0);
        assert!(wal.join("00000001.wal.corrupt").exists());
        assert!(wal.join("00000002.wal.corrupt").exists());
        assert_eq!(lsns(&d.0, false).unwrap().1.segments, 0);
    }

    #[test]
    fn repair_never_overwrites_an_earlier_corrupt_file() {
        let d = TempDir::new("seg-corrupt-twice");
        let p = wal_dir(&d.0).join("00000001.wal");
        fs::create_dir_all(wal_dir(&d.0)).unwrap();
        fs::write(format!("{}.corrupt", p.display()), b"old").unwrap();
        fs::write(&p, b"new").unwrap();
        rename_corrupt(&p).unwrap();
        assert_eq!(
            fs::read(format!("{}.corrupt", p.display())).unwrap(),
            b"old"
        );
        assert_eq!(
            fs::read(format!("{}.corrupt.1", p.display())).unwrap(),
            b"new"
        );
    }
}
