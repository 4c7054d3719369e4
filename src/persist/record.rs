//! WAL record bytes: the seed's layout
//! (`CRC32 | Type | KeyLen | ValueLen | ExpireAt | Key | Value`) extended
//! with the record's LSN and DB index. Every integer is little-endian.
//!
//! ```text
//! offset size  field
//!  0     4     crc32      CRC-32 (IEEE) of bytes 4 .. end of record
//!  4     1     type       op code (below)
//!  5     4     key_len    u32
//!  9     4     value_len  u32
//! 13     8     expire_at  u64, absolute Unix ms; 0 = none
//! 21     8     lsn        u64, log sequence number (1, 2, 3, ...)
//! 29     2     db         u16, logical database
//! 31     key_len    key
//!  ..    value_len  value
//! ```
//!
//! Op codes 0x01–0x41 are the seed's; for those taking several arguments
//! (ZADD, HSET, LPUSH, ...) the value is an *argument list*: u32 count, then
//! per argument u32 length + bytes, i.e. the command's arguments after the
//! key. `CMD` (0x50) carries any other single-key command: the value is the
//! whole argument list (name first) and the key is the key it changes, so
//! recovery knows the record's stripe. FLUSHDB / FLUSHALL / SWAPDB have no
//! key. `BATCH` (0x70) holds complete records as its value (their own LSN
//! fields are 0: the batch's LSN is theirs), so a
//! multi-key command or a transaction is all or nothing across a crash.
//!
//! Every record but a batch is one command that changes exactly one key (or
//! a whole DB); recovery replays it through the command table.

pub const HEADER: usize = 31;

pub const SET: u8 = 0x01;
pub const DELETE: u8 = 0x02;
pub const SET_WITH_TTL: u8 = 0x03;
pub const EXPIRE: u8 = 0x04;
pub const PERSIST: u8 = 0x05;
pub const ZADD: u8 = 0x10;
pub const ZREM: u8 = 0x11;
pub const ZINCRBY: u8 = 0x12;
pub const HSET: u8 = 0x20;
pub const HDEL: u8 = 0x21;
pub const LPUSH: u8 = 0x30;
pub const RPUSH: u8 = 0x31;
pub const LPOP: u8 = 0x32;
pub const RPOP: u8 = 0x33;
pub const SADD: u8 = 0x40;
pub const SREM: u8 = 0x41;
pub const CMD: u8 = 0x50;
pub const FLUSHDB: u8 = 0x60;
pub const FLUSHALL: u8 = 0x61;
pub const SWAPDB: u8 = 0x62;
pub const BATCH: u8 = 0x70;

/// The seed's op codes whose value is the argument list after the key,
/// with the command each stands for.
const ARG_OPS: [(u8, &str); 11] = [
    (ZADD, "ZADD"),
    (ZREM, "ZREM"),
    (ZINCRBY, "ZINCRBY"),
    (HSET, "HSET"),
    (HDEL, "HDEL"),
    (LPUSH, "LPUSH"),
    (RPUSH, "RPUSH"),
    (LPOP, "LPOP"),
    (RPOP, "RPOP"),
    (SADD, "SADD"),
    (SREM, "SREM"),
];

/// A decoded record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub op: u8,
    pub db: u16,
    pub lsn: u64,
    pub expire_at: u64,
    pub key: Vec<u8>,
    pub value: Vec<u8>,
}

/// Why bytes are not a record.
#[derive(Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The buffer ends inside the record (a torn write at the tail).
    Incomplete,
    /// The CRC does not match: the record is damaged.
    BadCrc,
    /// The CRC matches but the content makes no sense (unknown op code,
    /// bad argument list).
    Malformed(&'static str),
}

fn put_u32(b: &mut Vec<u8>, v: u32) {
    b.extend_from_slice(&v.to_le_bytes());
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

/// Appends one record to `out`; `value` writes the value bytes.
pub fn encode_with(
    out: &mut Vec<u8>,
    op: u8,
    db: u16,
    lsn: u64,
    expire_at: u64,
    key: &[u8],
    value: impl FnOnce(&mut Vec<u8>),
) {
    let start = out.len();
    out.extend_from_slice(&[0; 4]);
    out.push(op);
    put_u32(out, key.len() as u32);
    put_u32(out, 0); // value_len, patched below
    out.extend_from_slice(&expire_at.to_le_bytes());
    out.extend_from_slice(&lsn.to_le_bytes());
    out.extend_from_slice(&db.to_le_bytes());
    out.extend_from_slice(key);
    let vstart = out.len();
    value(out);
    let vlen = (out.len() - vstart) as u32;
    out[start + 9..start + 13].copy_from_slice(&vlen.to_le_bytes());
    seal(&mut out[start..]);
}

/// Computes and stores the CRC of the record that is exactly `rec`.
fn seal(rec: &mut [u8]) {
    let crc = crc32fast::hash(&rec[4..]);
    rec[..4].copy_from_slice(&crc.to_le_bytes());
}

/// Sets the LSN of the record that is exactly `rec` (and its CRC).
pub fn set_lsn(rec: &mut [u8], lsn: u64) {
    rec[21..29].copy_from_slice(&lsn.to_le_bytes());
    seal(rec);
}

/// Writes an argument list.
pub fn put_args<A: AsRef<[u8]>>(out: &mut Vec<u8>, args: &[A]) {
    put_u32(out, args.len() as u32);
    for a in args {
        let a = a.as_ref();
        put_u32(out, a.len() as u32);
        out.extend_from_slice(a);
    }
}

/// Appends one record whose value is `raw` (or nothing).
pub fn encode(
    out: &mut Vec<u8>,
    op: u8,
    db: u16,
    lsn: u64,
    expire_at: u64,
    key: &[u8],
    raw: &[u8],
) {
    encode_with(out, op, db, lsn, expire_at, key, |o| {
        o.extend_from_slice(raw)
    });
}

/// The total length of the record starting at `buf[0]`, once its header is
/// there (None before that).
pub fn record_len(buf: &[u8]) -> Option<usize> {
    if buf.len() < HEADER {
        return None;
    }
    Some(HEADER + u32_at(buf, 5) as usize + u32_at(buf, 9) as usize)
}

/// Decodes the record at the start of `buf`; returns it and its length.
pub fn decode(buf: &[u8]) -> Result<(Record, usize), DecodeError> {
    let len = record_len(buf).ok_or(DecodeError::Incomplete)?;
    if buf.len() < len {
        return Err(DecodeError::Incomplete);
    }
    if crc32fast::hash(&buf[4..len]) != u32_at(buf, 0) {
        return Err(DecodeError::BadCrc);
    }
    let klen = u32_at(buf, 5) as usize;
    let rec = Record {
        op: buf[4],
        expire_at: u64_at(buf, 13),
        lsn: u64_at(buf, 21),
        db: u16::from_le_bytes([buf[29], buf[30]]),
        key: buf[HEADER..HEADER + klen].to_vec(),
        value: buf[HEADER + klen..len].to_vec(),
    };
    if !known_op(rec.op) {
        return Err(DecodeError::Malformed("unknown op code"));
    }
    Ok((rec, len))
}

fn known_op(op: u8) -> bool {
    matches!(
        op,
        SET | DELETE | SET_WITH_TTL | EXPIRE | PERSIST | CMD | FLUSHDB | FLUSHALL | SWAPDB | BATCH
    ) || ARG_OPS.iter().any(|(o, _)| *o == op)
}

/// Parses an argument list (u32 count, then u32 length + bytes each).
pub fn parse_args(v: &[u8]) -> Result<Vec<Vec<u8>>, DecodeError> {
    let bad = DecodeError::Malformed("bad argument list");
    if v.len() < 4 {
        return Err(bad);
    }
    let n = u32_at(v, 0) as usize;
    let mut out = Vec::with_capacity(n.min(v.len() / 4));
    let mut at = 4;
    for _ in 0..n {
        if v.len() < at + 4 {
            return Err(bad);
        }
        let l = u32_at(v, at) as usize;
        at += 4;
        if v.len() < at + l {
            return Err(bad);
        }
        out.push(v[at..at + l].to_vec());
        at += l;
    }
    if at != v.len() {
        return Err(bad);
    }
    Ok(out)
}

impl Record {
    /// The command this record replays as (its DB is `self.db`); None for
    /// FLUSHDB / FLUSHALL / SWAPDB / BATCH, which recovery applies itself.
    pub fn argv(&self) -> Result<Option<Vec<Vec<u8>>>, DecodeError> {
        let k = self.key.clone();
        let cmd = |name: &str, rest: Vec<Vec<u8>>| {
            let mut v = vec![name.as_bytes().to_vec(), k.clone()];
            v.extend(rest);
            v
        };
        Ok(Some(match self.op {
            SET => cmd("SET", vec![self.value.clone()]),
            SET_WITH_TTL => cmd(
                "SET",
                vec![
                    self.value.clone(),
                    b"PXAT".to_vec(),
                    self.expire_at.to_string().into_bytes(),
                ],
            ),
            DELETE => cmd("DEL", vec![]),
            EXPIRE => cmd("PEXPIREAT", vec![self.expire_at.to_string().into_bytes()]),
            PERSIST => cmd("PERSIST", vec![]),
            CMD => {
                let a = parse_args(&self.value)?;
                if a.is_empty() {
                    return Err(DecodeError::Malformed("empty command"));
                }
                a
            }
            FLUSHDB | FLUSHALL | SWAPDB | BATCH => return Ok(None),
            op => {
                let name = ARG_OPS
                    .iter()
                    .find(|(o, _)| *o == op)
                    .map(|(_, n)| *n)
                    .ok_or(DecodeError::Malformed("unknown op code"))?;
                cmd(name, parse_args(&self.value)?)
            }
        }))
    }

    /// The records inside a BATCH.
    pub fn batch(&self) -> Result<Vec<Record>, DecodeError> {
        let mut out = Vec::new();
        let mut at = 0;
        while at < self.value.len() {
            let (r, n) = match decode(&self.value[at..]) {
                Ok(x) => x,
                Err(DecodeError::Incomplete) => {
                    return Err(DecodeError::Malformed("truncated record in a batch"))
                }
                Err(e) => return Err(e),
            };
            if r.op == BATCH {
                return Err(DecodeError::Malformed("nested batch"));
            }
            out.push(r);
            at += n;
        }
        Ok(out)
    }

    /// The other DB of a SWAPDB record.
    pub fn swap_with(&self) -> Result<u16, DecodeError> {
        match self.value.as_slice() {
            [a, b] => Ok(u16::from_le_bytes([*a, *b])),
            _ => Err(DecodeError::Malformed("bad SWAPDB record")),
        }
    }
}

/// Encodes the single-key command `argv` (argv[1] is the key it changes)
/// as a record, picking the seed's op code where one fits.
pub fn encode_command<A: AsRef<[u8]>>(out: &mut Vec<u8>, db: u16, lsn: u64, argv: &[A]) {
    let arg = |i: usize| argv.get(i).map(|a| a.as_ref()).unwrap_or(b"");
    let (name, key, n) = (arg(0), arg(1), argv.len());
    let is = |c: &str| name.eq_ignore_ascii_case(c.as_bytes());
    if is("SET") && n == 3 {
        return encode(out, SET, db, lsn, 0, key, arg(2));
    }
    if is("SET") && n == 5 && arg(3).eq_ignore_ascii_case(b"PXAT") {
        if let Some(t) = parse_u64(arg(4)) {
            return encode(out, SET_WITH_TTL, db, lsn, t, key, arg(2));
        }
    }
    if is("DEL") && n == 2 {
        return encode(out, DELETE, db, lsn, 0, key, b"");
    }
    if is("PEXPIREAT") && n == 3 {
        if let Some(t) = parse_u64(arg(2)) {
            return encode(out, EXPIRE, db, lsn, t, key, b"");
        }
    }
    if is("PERSIST") && n == 2 {
        return encode(out, PERSIST, db, lsn, 0, key, b"");
    }
    if n >= 2 {
        if let Some((op, _)) = ARG_OPS.iter().find(|(_, c)| is(c)) {
            return encode_with(out, *op, db, lsn, 0, key, |o| put_args(o, &argv[2..]));
        }
    }
    encode_with(out, CMD, db, lsn, 0, key, |o| put_args(o, argv))
}

/// A positive decimal without sign or leading zeros (what the encoder can
/// reproduce byte for byte).
fn parse_u64(b: &[u8]) -> Option<u64> {
    let s = std::str::from_utf8(b).ok()?;
    let v: u64 = s.parse().ok()?;
    (v > 0 && v.to_string() == s).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(argv: &[&str]) -> (u8, Vec<Vec<u8>>) {
        let a: Vec<&[u8]> = argv.iter().map(|s| s.as_bytes()).collect();
        let mut buf = Vec::new();
        encode_command(&mut buf, 3, 42, &a);
        let (r, n) = decode(&buf).unwrap();
        assert_eq!(n, buf.len());
        assert_eq!((r.db, r.lsn), (3, 42));
        (r.op, r.argv().unwrap().unwrap())
    }

    #[test]
    fn commands_round_trip_with_the_seed_op_codes() {
        for (argv, op) in [
            (&["SET", "k", "v"][..], SET),
            (&["SET", "k", "v", "PXAT", "1700000000000"], SET_WITH_TTL),
            (&["SET", "k", "v", "KEEPTTL"], CMD),
            (&["DEL", "k"], DELETE),
            (&["PEXPIREAT", "k", "123"], EXPIRE),
            (&["PERSIST", "k"], PERSIST),
            (&["ZADD", "z", "1.5", "a", "2", "b"], ZADD),
            (&["HSET", "h", "f", "v"], HSET),
            (&["LPUSH", "l", "a", "b"], LPUSH),
            (&["RPOP", "l", "2"], RPOP),
            (&["SREM", "s", ""], SREM),
            (&["LINSERT", "l", "BEFORE", "a", "x"], CMD),
        ] {
            let (got_op, got) = round_trip(argv);
            assert_eq!(got_op, op, "{argv:?}");
            let want: Vec<Vec<u8>> = argv.iter().map(|s| s.as_bytes().to_vec()).collect();
            assert_eq!(got, want);
        }
    }

    #[test]
    fn truncation_and_damage_are_told_apart() {
        let mut buf = Vec::new();
        encode_command(&mut buf, 0, 1, &[&b"SET"[..], b"key", b"value"]);
        for cut in 0..buf.len() {
            assert_eq!(decode(&buf[..cut]).unwrap_err(), DecodeError::Incomplete);
        }
        for i in 0..buf.len() {
            let mut b = buf.clone();
            b[i] ^= 0x20;
            // A flipped length byte may also look like a longer record.
            assert!(decode(&b).is_err(), "flip at {i}");
        }
    }

    #[test]
    fn batches_hold_records() {
        let mut inner = Vec::new();
        encode_command(&mut inner, 0, 7, &[&b"SET"[..], b"a", b"1"]);
        encode_command(&mut inner, 1, 7, &[&b"DEL"[..], b"b"]);
        let mut buf = Vec::new();
        encode(&mut buf, BATCH, 0, 7, 0, b"", &inner);
        let (r, _) = decode(&buf).unwrap();
        let subs = r.batch().unwrap();
        assert_eq!(subs.len(), 2);
        assert_eq!(subs[1].db, 1);
        assert_eq!(r.argv().unwrap(), None);
    }
}
