//! Redis's RDB format: the value encodings of RDB versions 1 to 11 (what
//! Redis 7.0 DUMP, RESTORE and dump.rdb files use), the DUMP payload
//! (value + RDB version + CRC-64), and the dump.rdb file reader behind
//! `import-rdb` (file.rs).
//!
//! Reading accepts every encoding Redis 7.0 loads: strings (raw,
//! int-encoded, LZF-compressed), lists (linked list, ziplist, quicklist of
//! ziplists, quicklist 2 of listpacks and plain nodes), sets (plain,
//! intset, and 7.2's listpack), sorted sets (text and binary scores,
//! ziplist, listpack), hashes (plain, zipmap, ziplist, listpack) and
//! streams (Redis 5/6's STREAM_LISTPACKS, 7.0's _2 and 7.2's _3, with
//! consumer groups: stream.rs). Module values are refused with an error
//! naming the module type.
//! Every length is checked against the bytes that remain before anything
//! is allocated, and errors carry the byte offset of the damage.
//!
//! Writing uses the plain encodings every Redis since 2.x loads: strings
//! (integers int-encoded, never compressed), RDB_TYPE_LIST, RDB_TYPE_SET,
//! RDB_TYPE_ZSET_2 and RDB_TYPE_HASH; streams as Redis 7.0 does,
//! RDB_TYPE_STREAM_LISTPACKS_2 (listpack nodes, which only 7.0 and later
//! load).

pub mod crc64;
pub mod file;
pub mod lzf;
pub mod packed;
pub mod stream;

use crate::store::bytes::CompactBytes;
use crate::store::hash::HashValue;
use crate::store::list::{End, ListValue};
use crate::store::set::SetValue;
use crate::store::zset::{AddOutcome, ZSetValue};
use crate::store::Value;

/// The RDB version FlashDB writes in DUMP payloads and accepts in RESTORE
/// (Redis 7.0's RDB_VERSION).
pub const RDB_VERSION: u16 = 10;
/// The newest file version `import-rdb` reads (Redis 7.2's, whose only new
/// value encodings are the set listpack and stream 3).
pub const RDB_FILE_VERSION_MAX: u32 = 11;

// Value types (rdb.h).
pub const T_STRING: u8 = 0;
pub const T_LIST: u8 = 1;
pub const T_SET: u8 = 2;
pub const T_ZSET: u8 = 3;
pub const T_HASH: u8 = 4;
pub const T_ZSET_2: u8 = 5;
pub const T_MODULE_PRE_GA: u8 = 6;
pub const T_MODULE_2: u8 = 7;
pub const T_HASH_ZIPMAP: u8 = 9;
pub const T_LIST_ZIPLIST: u8 = 10;
pub const T_SET_INTSET: u8 = 11;
pub const T_ZSET_ZIPLIST: u8 = 12;
pub const T_HASH_ZIPLIST: u8 = 13;
pub const T_LIST_QUICKLIST: u8 = 14;
pub const T_STREAM_LISTPACKS: u8 = 15;
pub const T_HASH_LISTPACK: u8 = 16;
pub const T_ZSET_LISTPACK: u8 = 17;
pub const T_LIST_QUICKLIST_2: u8 = 18;
pub const T_STREAM_LISTPACKS_2: u8 = 19;
pub const T_SET_LISTPACK: u8 = 20;
pub const T_STREAM_LISTPACKS_3: u8 = 21;

/// Quicklist 2 node containers.
const QUICKLIST_NODE_PLAIN: u64 = 1;
const QUICKLIST_NODE_PACKED: u64 = 2;

/// Damage in RDB bytes: what and where (offset from the start of the
/// buffer being read: the payload, or the file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub offset: usize,
    pub what: String,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at byte offset {}", self.what, self.offset)
    }
}

pub type Result<T> = std::result::Result<T, Error>;

fn err<T>(offset: usize, what: impl Into<String>) -> Result<T> {
    Err(Error {
        offset,
        what: what.into(),
    })
}

/// A value as RDB describes it, before it becomes a store `Value`.
#[derive(Debug, Clone, PartialEq)]
pub enum RdbValue {
    Str(Vec<u8>),
    List(Vec<Vec<u8>>),
    Set(Vec<Vec<u8>>),
    ZSet(Vec<(Vec<u8>, f64)>),
    Hash(Vec<(Vec<u8>, Vec<u8>)>),
    Stream(Box<stream::RdbStream>),
}

/// A cursor over RDB bytes.
pub struct Reader<'a> {
    pub data: &'a [u8],
    pub pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Reader<'a> {
        Reader { data, pos: 0 }
    }

    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    pub fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return err(
                self.pos,
                format!(
                    "unexpected end of data ({n} bytes wanted, {} left)",
                    self.remaining()
                ),
            );
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    pub fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    pub fn le_u32(&mut self) -> Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub fn le_u64(&mut self) -> Result<u64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    /// A length field: Ok((n, false)) for a plain length, Ok((k, true)) for
    /// a special string encoding k (rdbLoadLenByRef).
    fn len_or_enc(&mut self) -> Result<(u64, bool)> {
        let at = self.pos;
        let b = self.u8()?;
        Ok(match b >> 6 {
            0 => ((b & 0x3f) as u64, false),
            1 => ((((b & 0x3f) as u64) << 8) | self.u8()? as u64, false),
            2 => match b {
                0x80 => {
                    let x = self.take(4)?;
                    (u32::from_be_bytes([x[0], x[1], x[2], x[3]]) as u64, false)
                }
                0x81 => {
                    let mut a = [0u8; 8];
                    a.copy_from_slice(self.take(8)?);
                    (u64::from_be_bytes(a), false)
                }
                _ => return err(at, format!("unknown length encoding 0x{b:02x}")),
            },
            _ => ((b & 0x3f) as u64, true),
        })
    }

    /// A plain length.
    pub fn length(&mut self) -> Result<u64> {
        let at = self.pos;
        match self.len_or_enc()? {
            (n, false) => Ok(n),
            _ => err(at, "an encoded string where a length was expected"),
        }
    }

    /// A count of things at least `min_each` bytes each: checked against
    /// what remains, so it can size an allocation.
    fn count(&mut self, min_each: usize) -> Result<usize> {
        let at = self.pos;
        let n = self.length()?;
        if n > (self.remaining() / min_each.max(1)) as u64 {
            return err(at, format!("a count of {n} larger than the data can hold"));
        }
        Ok(n as usize)
    }

    /// A string (raw, int-encoded or LZF-compressed).
    pub fn string(&mut self) -> Result<Vec<u8>> {
        let at = self.pos;
        match self.len_or_enc()? {
            (n, false) => {
                if n > self.remaining() as u64 {
                    return err(at, format!("a string of {n} bytes runs past the end"));
                }
                Ok(self.take(n as usize)?.to_vec())
            }
            (0, true) => Ok((self.u8()? as i8).to_string().into_bytes()),
            (1, true) => {
                let b = self.take(2)?;
                Ok(i16::from_le_bytes([b[0], b[1]]).to_string().into_bytes())
            }
            (2, true) => {
                let b = self.take(4)?;
                Ok(i32::from_le_bytes([b[0], b[1], b[2], b[3]])
                    .to_string()
                    .into_bytes())
            }
            (3, true) => {
                let clen = self.length()?;
                let ulen = self.length()?;
                if clen > self.remaining() as u64 {
                    return err(at, "an LZF string runs past the end");
                }
                let c = self.take(clen as usize)?;
                let ulen = usize::try_from(ulen).unwrap_or(usize::MAX);
                lzf::decompress(c, ulen).or_else(|e| err(at, e))
            }
            (k, _) => err(at, format!("unknown string encoding {k}")),
        }
    }

    /// A score of RDB_TYPE_ZSET: length-prefixed text, or 253/254/255 for
    /// NaN/+inf/-inf.
    fn text_double(&mut self) -> Result<f64> {
        let at = self.pos;
        Ok(match self.u8()? {
            253 => f64::NAN,
            254 => f64::INFINITY,
            255 => f64::NEG_INFINITY,
            n => parse_double(self.take(n as usize)?).ok_or_else(|| Error {
                offset: at,
                what: "a score that is not a number".into(),
            })?,
        })
    }

    /// A blob string whose content is a packed structure; runs `f` on it
    /// and turns its errors into offsets in this buffer.
    fn blob<T>(
        &mut self,
        what: &str,
        f: impl FnOnce(&[u8]) -> std::result::Result<T, packed::BlobError>,
    ) -> Result<T> {
        let at = self.pos;
        let b = self.string()?;
        // An uncompressed blob's damage is reported where it is in this
        // buffer; a compressed one's at the string's start (with the
        // offset inside the decompressed blob).
        let content = match self.pos.checked_sub(b.len()) {
            Some(c) if self.data.get(c..self.pos) == Some(&b[..]) => Some(c),
            _ => None,
        };
        let end = self.data.len();
        f(&b).or_else(|(off, why)| match content {
            Some(c) => err((c + off).min(end), format!("{what}: {why}")),
            None => err(
                at,
                format!("{what}: {why} (byte {off} of the decompressed {what})"),
            ),
        })
    }

    /// One value of type `ty` (the type byte already read).
    pub fn value(&mut self, ty: u8) -> Result<RdbValue> {
        let at = self.pos;
        Ok(match ty {
            T_STRING => RdbValue::Str(self.string()?),
            T_LIST => {
                let n = self.count(1)?;
                let mut v = Vec::with_capacity(n);
                for _ in 0..n {
                    v.push(self.string()?);
                }
                RdbValue::List(v)
            }
            T_SET => {
                let n = self.count(1)?;
                let mut v = Vec::with_capacity(n);
                for _ in 0..n {
                    v.push(self.string()?);
                }
                RdbValue::Set(v)
            }
            T_ZSET | T_ZSET_2 => {
                let n = self.count(2)?;
                let mut v = Vec::with_capacity(n);
                for _ in 0..n {
                    let m = self.string()?;
                    let s = if ty == T_ZSET {
                        self.text_double()?
                    } else {
                        f64::from_bits(self.le_u64()?)
                    };
                    v.push((m, s));
                }
                RdbValue::ZSet(v)
            }
            T_HASH => {
                let n = self.count(2)?;
                let mut v = Vec::with_capacity(n);
                for _ in 0..n {
                    let f = self.string()?;
                    v.push((f, self.string()?));
                }
                RdbValue::Hash(v)
            }
            T_HASH_ZIPMAP => RdbValue::Hash(pairs(at, self.blob("zipmap", packed::zipmap)?)?),
            T_LIST_ZIPLIST => RdbValue::List(self.blob("ziplist", packed::ziplist)?),
            T_SET_INTSET => RdbValue::Set(self.blob("intset", packed::intset)?),
            T_SET_LISTPACK => RdbValue::Set(self.blob("listpack", packed::listpack)?),
            T_ZSET_ZIPLIST => scored(at, self.blob("ziplist", packed::ziplist)?)?,
            T_ZSET_LISTPACK => scored(at, self.blob("listpack", packed::listpack)?)?,
            T_HASH_ZIPLIST => RdbValue::Hash(pairs(at, self.blob("ziplist", packed::ziplist)?)?),
            T_HASH_LISTPACK => RdbValue::Hash(pairs(at, self.blob("listpack", packed::listpack)?)?),
            T_LIST_QUICKLIST | T_LIST_QUICKLIST_2 => {
                let nodes = self.count(1)?;
                let mut v = Vec::new();
                for _ in 0..nodes {
                    let container = if ty == T_LIST_QUICKLIST_2 {
                        let cat = self.pos;
                        let c = self.length()?;
                        if c != QUICKLIST_NODE_PLAIN && c != QUICKLIST_NODE_PACKED {
                            return err(cat, format!("unknown quicklist node container {c}"));
                        }
                        c
                    } else {
                        QUICKLIST_NODE_PACKED
                    };
                    if container == QUICKLIST_NODE_PLAIN {
                        v.push(self.string()?);
                    } else if ty == T_LIST_QUICKLIST {
                        v.extend(self.blob("ziplist", packed::ziplist)?);
                    } else {
                        v.extend(self.blob("listpack", packed::listpack)?);
                    }
                }
                RdbValue::List(v)
            }
            T_STREAM_LISTPACKS | T_STREAM_LISTPACKS_2 | T_STREAM_LISTPACKS_3 => {
                RdbValue::Stream(Box::new(stream::read(self, ty)?))
            }
            T_MODULE_PRE_GA | T_MODULE_2 => {
                let id = self.length()?;
                return err(
                    at.saturating_sub(1),
                    format!(
                        "a value of module type '{}' (RDB type {ty}): FlashDB has no modules",
                        module_name(id)
                    ),
                );
            }
            t => return err(at.saturating_sub(1), format!("unknown value type {t}")),
        })
    }
}

/// A module type's 9-character name from its 64-bit id (Redis's
/// moduleTypeNameByID).
pub fn module_name(id: u64) -> String {
    const CHARSET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut id = id >> 10;
    let mut name = [0u8; 9];
    for j in (0..9).rev() {
        name[j] = CHARSET[(id & 63) as usize];
        id >>= 6;
    }
    String::from_utf8_lossy(&name).into_owned()
}

/// strtod-like parsing of a score written as text ("1.5", "inf", "-inf").
pub fn parse_double(b: &[u8]) -> Option<f64> {
    let s = std::str::from_utf8(b).ok()?;
    if s.is_empty() || s.starts_with(char::is_whitespace) {
        return None;
    }
    s.parse::<f64>().ok()
}

/// Flattened (field, value, ...) into pairs.
fn pairs(at: usize, flat: Vec<Vec<u8>>) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    if !flat.len().is_multiple_of(2) {
        return err(at, "an odd number of entries in a hash");
    }
    let mut it = flat.into_iter();
    let mut out = Vec::new();
    while let (Some(f), Some(v)) = (it.next(), it.next()) {
        out.push((f, v));
    }
    Ok(out)
}

/// Flattened (member, score, ...) into a sorted set.
fn scored(at: usize, flat: Vec<Vec<u8>>) -> Result<RdbValue> {
    let p = pairs(at, flat)?;
    let mut out = Vec::with_capacity(p.len());
    for (m, s) in p {
        let Some(score) = parse_double(&s) else {
            return err(at, "a sorted set score that is not a number");
        };
        out.push((m, score));
    }
    Ok(RdbValue::ZSet(out))
}

/// The encoding thresholds a loaded value is rebuilt under (the same rules
/// as a normal write: OBJECT ENCODING answers what Redis would).
pub use super::snapshot::Limits;

impl RdbValue {
    /// The store value, or why it cannot be one (an empty collection, a
    /// duplicate member or field, a NaN score: what Redis refuses too).
    pub fn into_value(self, lim: &Limits) -> std::result::Result<Value, &'static str> {
        let hl = crate::store::hash::Limits {
            max_entries: lim.hash_max_listpack_entries,
            max_value: lim.hash_max_listpack_value,
        };
        Ok(match self {
            RdbValue::Str(s) => Value::Str(CompactBytes::from_vec(s)),
            RdbValue::List(v) => {
                if v.is_empty() {
                    return Err("an empty list");
                }
                let mut l = ListValue::new();
                for e in v {
                    l.push_owned(End::Right, CompactBytes::from_vec(e));
                }
                Value::List(Box::new(l))
            }
            RdbValue::Set(v) => {
                if v.is_empty() {
                    return Err("an empty set");
                }
                let mut s = SetValue::new();
                for m in v {
                    if !s.add(&m, lim.set_max_intset_entries) {
                        return Err("a duplicate set member");
                    }
                }
                Value::Set(Box::new(s))
            }
            RdbValue::ZSet(v) => {
                if v.is_empty() {
                    return Err("an empty sorted set");
                }
                let mut z = ZSetValue::new();
                // Like Redis's loader: too big for a listpack = a skiplist
                // from the start (so a -0 score stays -0).
                if v.len() > lim.zset_max_listpack_entries {
                    z.listpack = false;
                }
                for (m, score) in v {
                    if score.is_nan() {
                        return Err("a NaN score");
                    }
                    z.prepare_add(
                        lim.zset_max_listpack_entries,
                        lim.zset_max_listpack_value,
                        &m,
                    );
                    if z.set(&m, score) != AddOutcome::Added {
                        return Err("a duplicate sorted set member");
                    }
                }
                Value::ZSet(Box::new(z))
            }
            RdbValue::Hash(v) => {
                if v.is_empty() {
                    return Err("an empty hash");
                }
                let mut h = HashValue::new();
                for (f, val) in v {
                    if !h.set_checked(&f, &val, hl) {
                        return Err("a duplicate hash field");
                    }
                }
                Value::Hash(Box::new(h))
            }
            // Streams have no encoding thresholds; the reader checked
            // everything (an empty stream is a valid value).
            RdbValue::Stream(x) => Value::Stream(Box::new(x.into_value())),
        })
    }
}

// ---------------------------------------------------------------------------
// Writing

/// Appends an RDB length.
pub fn put_len(out: &mut Vec<u8>, n: u64) {
    if n < 64 {
        out.push(n as u8);
    } else if n < 16384 {
        out.push(0x40 | (n >> 8) as u8);
        out.push(n as u8);
    } else if n <= u32::MAX as u64 {
        out.push(0x80);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    } else {
        out.push(0x81);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

/// Appends a string: int-encoded when it is a canonical integer that fits
/// 32 bits (as Redis does), raw otherwise.
pub fn put_string(out: &mut Vec<u8>, s: &[u8]) {
    if s.len() <= 11 {
        if let Some(v) = crate::store::value::parse_i64(s) {
            if let Ok(v) = i8::try_from(v) {
                out.push(0xc0);
                out.push(v as u8);
                return;
            }
            if let Ok(v) = i16::try_from(v) {
                out.push(0xc1);
                out.extend_from_slice(&v.to_le_bytes());
                return;
            }
            if let Ok(v) = i32::try_from(v) {
                out.push(0xc2);
                out.extend_from_slice(&v.to_le_bytes());
                return;
            }
        }
    }
    put_len(out, s.len() as u64);
    out.extend_from_slice(s);
}

/// Appends `v`'s type byte and value in the plain encodings.
pub fn put_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Str(s) => {
            out.push(T_STRING);
            put_string(out, s);
        }
        Value::List(l) => {
            out.push(T_LIST);
            put_len(out, l.len() as u64);
            for e in l.iter() {
                put_string(out, e);
            }
        }
        Value::Set(s) => {
            out.push(T_SET);
            put_len(out, s.len() as u64);
            for m in s.iter() {
                put_string(out, m);
            }
        }
        Value::ZSet(z) => {
            out.push(T_ZSET_2);
            put_len(out, z.len() as u64);
            for (m, score) in z.iter() {
                put_string(out, m);
                out.extend_from_slice(&score.to_le_bytes());
            }
        }
        Value::Hash(h) => {
            out.push(T_HASH);
            put_len(out, h.len() as u64);
            for (f, val) in h.fields.iter() {
                put_string(out, f);
                put_string(out, val);
            }
        }
        Value::Stream(x) => stream::write(out, x),
    }
}

/// The DUMP payload of `v`: value, RDB version (u16 LE), CRC-64 (u64 LE)
/// of everything before it.
pub fn dump(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    put_value(&mut out, v);
    out.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = crc64::crc64(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// Why a RESTORE payload is refused (the two errors Redis tells apart).
#[derive(Debug, PartialEq)]
pub enum PayloadError {
    /// "DUMP payload version or checksum are wrong".
    VersionOrChecksum,
    /// "Bad data format" (with the detail for the log).
    BadFormat(Error),
}

/// Checks a DUMP payload's footer (Redis's verifyDumpPayload) and decodes
/// its value.
pub fn restore(payload: &[u8]) -> std::result::Result<RdbValue, PayloadError> {
    if payload.len() < 10 {
        return Err(PayloadError::VersionOrChecksum);
    }
    let footer = payload.len() - 10;
    let ver = u16::from_le_bytes([payload[footer], payload[footer + 1]]);
    if ver > RDB_VERSION {
        return Err(PayloadError::VersionOrChecksum);
    }
    let mut c = [0u8; 8];
    c.copy_from_slice(&payload[footer + 2..]);
    if crc64::crc64(&payload[..footer + 2]) != u64::from_le_bytes(c) {
        return Err(PayloadError::VersionOrChecksum);
    }
    // Like Redis, the value is read from the whole payload: a value that
    // runs into the footer reads the footer's bytes, and bytes left after
    // it are ignored.
    let mut r = Reader::new(payload);
    let ty = r.u8().map_err(PayloadError::BadFormat)?;
    r.value(ty).map_err(PayloadError::BadFormat)
}

#[cfg(test)]
mod tests;
