//! Target `wal`: WAL record decoding (`flashdb::persist::record`) and the
//! recovery scan of segment files (`flashdb::persist::segment::scan`).
//!
//! Input: one mode byte, then the bytes of one segment file (24-byte header
//! and records). Bit 0 of the mode puts the file after a valid segment (so
//! it is the last one, where a damaged tail is a torn write) or before one
//! (where any damage is corruption); bit 1 decodes records from offset 0
//! instead of 24. Mutations re-seal record and header CRCs half the time,
//! so damage also reaches the checks behind the CRC. Invariants:
//! - decoding never panics; a decoded record re-encodes to exactly the
//!   bytes it came from, its declared length is what was consumed, and
//!   every shorter prefix of it is `Incomplete`; its command, batch and
//!   SWAPDB views decode or fail cleanly;
//! - decoding allocates at most a small multiple of the input;
//! - `scan` either succeeds or fails as `Corrupt` with a message naming the
//!   file and the offset;
//! - a successful scan (which may cut a torn tail) leaves files that scan
//!   again to the same records with nothing more to cut;
//! - after a failure, `scan` with repair succeeds, delivers the same
//!   records as the failed scan did before the damage, and afterwards a
//!   plain scan succeeds with those records and nothing to repair.

use super::{bounded, bucket, mix, mutate_bytes, shape, Features, Rng, Target, TempDir};
use flashdb::persist::record::{self, DecodeError, Record};
use flashdb::persist::segment::{self, ScanReport, WalError, WalErrorKind};
use std::fs;
use std::path::Path;

pub struct WalTarget {
    dir: TempDir,
    /// A valid segment placed before or after the input.
    good: Vec<u8>,
    good_records: Vec<Record>,
}

impl WalTarget {
    pub fn new() -> WalTarget {
        let mut rng = Rng::new(1);
        let good = segment(100, &records(&mut rng, 100, 4));
        let good_records = decode_all(&good[segment::HEADER_LEN..]);
        WalTarget {
            dir: TempDir::new("wal"),
            good,
            good_records,
        }
    }
}

impl Default for WalTarget {
    fn default() -> Self {
        Self::new()
    }
}

/// A segment file: header, then `body`.
pub fn segment(first_lsn: u64, body: &[u8]) -> Vec<u8> {
    let mut v = segment::encode_header(first_lsn).to_vec();
    v.extend_from_slice(body);
    v
}

/// `n` records of every kind the server logs, LSNs from `lsn`.
pub fn records(rng: &mut Rng, lsn: u64, n: usize) -> Vec<u8> {
    let mut b = Vec::new();
    for i in 0..n as u64 {
        let l = lsn + i;
        let db = rng.below(3) as u16;
        let val = rng.some_bytes(40);
        let v: &[u8] = &val;
        match rng.below(12) {
            0 => record::encode_command(&mut b, db, l, &[&b"SET"[..], b"key", v]),
            1 => record::encode_command(
                &mut b,
                db,
                l,
                &[&b"SET"[..], b"k", v, b"PXAT", b"1700000000000"],
            ),
            2 => record::encode_command(&mut b, db, l, &[&b"DEL"[..], b"key"]),
            3 => record::encode_command(&mut b, db, l, &[&b"PEXPIREAT"[..], b"k", b"123"]),
            4 => record::encode_command(
                &mut b,
                db,
                l,
                &[&b"ZADD"[..], b"z", b"1.5", b"a", b"-inf", v],
            ),
            5 => record::encode_command(&mut b, db, l, &[&b"HSET"[..], b"h", b"f", v]),
            6 => record::encode_command(&mut b, db, l, &[&b"RPUSH"[..], b"l", v, b"", b"x"]),
            7 => record::encode_command(&mut b, db, l, &[&b"SADD"[..], b"s", b"1", b"2", v]),
            8 => {
                record::encode_command(&mut b, db, l, &[&b"LINSERT"[..], b"l", b"BEFORE", b"x", v])
            }
            9 => record::encode(
                &mut b,
                *rng.pick(&[record::FLUSHDB, record::FLUSHALL]),
                db,
                l,
                0,
                b"",
                b"",
            ),
            10 => record::encode(&mut b, record::SWAPDB, 0, l, 0, b"", &1u16.to_le_bytes()),
            _ => {
                let mut inner = Vec::new();
                record::encode_command(&mut inner, 0, 0, &[&b"SET"[..], b"a", v]);
                record::encode_command(&mut inner, 1, 0, &[&b"DEL"[..], b"b"]);
                record::encode_command(&mut inner, 2, 0, &[&b"INCRBY"[..], b"c", b"5"]);
                record::encode(&mut b, record::BATCH, 0, l, 0, b"", &inner);
            }
        }
    }
    b
}

fn decode_all(mut buf: &[u8]) -> Vec<Record> {
    let mut out = Vec::new();
    while let Ok((r, n)) = record::decode(buf) {
        out.push(r);
        buf = &buf[n..];
    }
    out
}

/// Recomputes the CRC of every whole record in `buf` (inner records of a
/// batch first), so mutated content gets past the CRC check.
pub fn reseal(buf: &mut [u8]) {
    let mut at = 0;
    while let Some(len) = record::record_len(&buf[at..]) {
        if len > buf.len() - at {
            break;
        }
        let rec = &mut buf[at..at + len];
        if rec[4] == record::BATCH {
            let klen = u32::from_le_bytes(rec[5..9].try_into().unwrap()) as usize;
            reseal(&mut rec[record::HEADER + klen..]);
        }
        let crc = crc32fast::hash(&rec[4..]);
        rec[..4].copy_from_slice(&crc.to_le_bytes());
        at += len;
    }
}

/// Recomputes a segment header's CRC.
pub fn reseal_header(seg: &mut [u8]) {
    if seg.len() >= segment::HEADER_LEN {
        let crc = crc32fast::hash(&seg[..20]);
        seg[20..24].copy_from_slice(&crc.to_le_bytes());
    }
}

/// Checks one decoded record and the views recovery takes of it.
fn check_record(rec: &Record, bytes: &[u8], nested: bool, f: &mut Features) -> Result<(), String> {
    let mut again = Vec::new();
    record::encode(
        &mut again,
        rec.op,
        rec.db,
        rec.lsn,
        rec.expire_at,
        &rec.key,
        &rec.value,
    );
    if again != bytes {
        return Err(format!(
            "a decoded record (op {:#x}) does not re-encode to its {} bytes",
            rec.op,
            bytes.len()
        ));
    }
    let op = rec.op as u64 | (nested as u64) << 8;
    f.push(mix(20, op));
    f.push(mix(
        21,
        mix(
            op,
            match rec.argv() {
                Ok(Some(a)) => 100 + bucket(a.len()),
                Ok(None) => 1,
                Err(e) => shape(&format!("{e:?}")),
            },
        ),
    ));
    f.push(mix(
        22,
        bucket(rec.key.len()) << 8 | bucket(rec.value.len()),
    ));
    if rec.op == record::BATCH {
        match rec.batch() {
            Ok(subs) => {
                if nested {
                    return Err("a batch inside a batch was accepted".into());
                }
                let mut at = 0;
                for s in &subs {
                    let n = record::record_len(&rec.value[at..]).unwrap_or(0);
                    check_record(s, &rec.value[at..at + n], true, f)?;
                    at += n;
                }
                if at != rec.value.len() {
                    return Err("a batch's records do not cover its value".into());
                }
            }
            Err(e) => f.push(mix(23, shape(&format!("{e:?}")))),
        }
    }
    if rec.op == record::SWAPDB {
        f.push(mix(24, rec.swap_with().is_ok() as u64));
    }
    Ok(())
}

/// Walks the records of `buf` the way the scan does.
fn decode_walk(buf: &[u8], f: &mut Features) -> Result<(), String> {
    let mut at = 0;
    while at < buf.len() {
        let rest = &buf[at..];
        match record::decode(rest) {
            Ok((rec, n)) => {
                if n < record::HEADER || n > rest.len() || record::record_len(rest) != Some(n) {
                    return Err(format!(
                        "decode consumed {n} bytes of {} (declared {:?})",
                        rest.len(),
                        record::record_len(rest)
                    ));
                }
                if n <= 512 && at == 0 {
                    for k in 0..n {
                        if record::decode(&rest[..k]) != Err(DecodeError::Incomplete) {
                            return Err(format!(
                                "the first {k} bytes of a {n}-byte record are not Incomplete"
                            ));
                        }
                    }
                }
                check_record(&rec, &rest[..n], false, f)?;
                at += n;
            }
            Err(e) => {
                let incomplete = record::record_len(rest).is_none_or(|l| l > rest.len());
                if (e == DecodeError::Incomplete) != incomplete {
                    return Err(format!(
                        "{e:?} for a record declaring {:?} bytes with {} there",
                        record::record_len(rest),
                        rest.len()
                    ));
                }
                f.push(mix(25, shape(&format!("{e:?}"))));
                return Ok(());
            }
        }
    }
    Ok(())
}

fn scan(dir: &Path, repair: bool) -> (Result<ScanReport, WalError>, Vec<Record>) {
    let mut got = Vec::new();
    let r = segment::scan(dir, repair, |rec| {
        got.push(rec);
        Ok(())
    });
    (r, got)
}

/// A scan failure must be corruption, named by file and offset.
fn check_error(e: &WalError) -> Result<(), String> {
    let text = e.to_string();
    let name = e
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if e.kind != WalErrorKind::Corrupt {
        return Err(format!("scan failed with {:?}: {text}", e.kind));
    }
    if !name.ends_with(".wal") || !text.contains(&format!("{name}:{}", e.offset)) {
        return Err(format!(
            "the error does not name the file and offset: {text}"
        ));
    }
    let len = fs::metadata(&e.path).map(|m| m.len()).unwrap_or(0);
    if e.offset > len {
        return Err(format!(
            "error offset {} beyond the file's {len} bytes",
            e.offset
        ));
    }
    Ok(())
}

fn report_features(r: &Result<ScanReport, WalError>, records: usize, mode: u8) -> Features {
    let v = match r {
        Ok(rep) => mix(
            (rep.truncated.is_some() as u64) | (rep.repaired.is_some() as u64) << 1,
            rep.truncated.as_ref().map_or(9, |t| (t.1 == 0) as u64),
        ),
        Err(e) => shape(&e.msg),
    };
    vec![mix(26, mix(v, mode as u64 & 1)), mix(27, bucket(records))]
}

impl Target for WalTarget {
    fn name(&self) -> &'static str {
        "wal"
    }

    fn seeds(&mut self, rng: &mut Rng) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for i in 0..8u8 {
            let n = rng.below(6);
            let mut seg = segment(1, &records(rng, 1, n));
            match i {
                // A torn tail: the last record cut short.
                5 => {
                    let cut = rng.below(20) + 1;
                    seg.truncate(seg.len().saturating_sub(cut).max(segment::HEADER_LEN));
                }
                // The file grew but the data never reached the disk.
                6 => seg.extend(std::iter::repeat_n(0u8, 64)),
                // Only a header.
                7 => seg.truncate(segment::HEADER_LEN),
                _ => {}
            }
            out.push([vec![i % 4], seg].concat());
        }
        out
    }

    fn mutate(&mut self, rng: &mut Rng, base: &[u8], other: &[u8]) -> Vec<u8> {
        const DICT: &[&[u8]] = &[
            b"FLASHWAL",
            &[record::BATCH],
            &[record::CMD],
            &[0; 8],
            &[0xff; 4],
        ];
        let mut v = base.to_vec();
        if v.is_empty() {
            v.push(0);
        }
        if rng.one_in(8) {
            v[0] = rng.next() as u8;
        }
        let mut seg = v.split_off(1);
        if rng.one_in(6) {
            // Append fresh records (maybe a batch to mutate inside).
            let n = 1 + rng.below(3);
            seg.extend(records(rng, 50, n));
        }
        let other = other.get(1..).unwrap_or(&[]);
        mutate_bytes(rng, &mut seg, other, DICT, 16 * 1024);
        if rng.one_in(2) && seg.len() > segment::HEADER_LEN {
            reseal(&mut seg[segment::HEADER_LEN..]);
        }
        if rng.one_in(4) {
            reseal_header(&mut seg);
        }
        v.extend(seg);
        v
    }

    fn run(&mut self, input: &[u8]) -> Result<Features, String> {
        let Some((&mode, seg)) = input.split_first() else {
            return Ok(vec![]);
        };
        // Decoding alone.
        let from = if mode & 2 != 0 {
            0
        } else {
            segment::HEADER_LEN.min(seg.len())
        };
        let limit = 32 * seg.len() + 64 * 1024;
        let mut f = Features::new();
        bounded("decoding the records", limit, || {
            decode_walk(&seg[from..], &mut f)
        })??;
        let args = bounded("parse_args", limit, || record::parse_args(seg))?;
        if let Ok(a) = args {
            let mut again = Vec::new();
            record::put_args(&mut again, &a);
            if again != seg {
                return Err("an argument list does not re-encode to its bytes".into());
            }
        }

        // The recovery scan over two segments, the input first or last.
        let dir = &self.dir.0;
        let wal = segment::wal_dir(dir);
        let _ = fs::remove_dir_all(&wal);
        fs::create_dir_all(&wal).map_err(|e| e.to_string())?;
        let last = mode & 1 == 0;
        let (first, second) = if last {
            (&self.good[..], seg)
        } else {
            (seg, &self.good[..])
        };
        fs::write(wal.join(segment::segment_name(1)), first).map_err(|e| e.to_string())?;
        fs::write(wal.join(segment::segment_name(2)), second).map_err(|e| e.to_string())?;

        let (r1, recs1) = scan(dir, false);
        f.extend(report_features(&r1, recs1.len(), mode));
        let ok_recs = match &r1 {
            Ok(rep) => {
                if rep.records != recs1.len() as u64 || rep.repaired.is_some() {
                    return Err(format!("report {rep:?} for {} records", recs1.len()));
                }
                if last && !recs1.starts_with(&self.good_records) {
                    return Err("records of the valid first segment are missing".into());
                }
                if !last && !recs1.ends_with(&self.good_records) {
                    return Err("records of the valid last segment are missing".into());
                }
                recs1
            }
            Err(e) => {
                check_error(e)?;
                let (r2, recs2) = scan(dir, true);
                match r2 {
                    Ok(rep) if rep.repaired.is_some() => {}
                    other => return Err(format!("repair did not repair: {other:?}")),
                }
                if recs2 != recs1 {
                    return Err(format!(
                        "repair kept {} records, the failed scan had read {} before the damage",
                        recs2.len(),
                        recs1.len()
                    ));
                }
                recs2
            }
        };
        // What is left on disk is clean now.
        let (r3, recs3) = scan(dir, false);
        match r3 {
            Ok(rep) if rep.truncated.is_none() && rep.repaired.is_none() => {}
            other => return Err(format!("a second scan still finds damage: {other:?}")),
        }
        if recs3 != ok_recs {
            return Err(format!(
                "a second scan reads {} records, the first {}",
                recs3.len(),
                ok_recs.len()
            ));
        }
        Ok(f)
    }
}
