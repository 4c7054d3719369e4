//! Redis's packed blobs, which RDB stores as one string: ziplist, listpack,
//! intset and zipmap. Each reader checks every length against the blob and
//! returns the elements (integers as their decimal text, as Redis reads
//! them back), or the offset inside the blob where it went wrong.

/// Where and why a blob is damaged (offset inside the blob).
pub type BlobError = (usize, &'static str);

fn need(b: &[u8], at: usize, n: usize) -> Result<&[u8], BlobError> {
    at.checked_add(n)
        .and_then(|end| b.get(at..end))
        .ok_or((at, "entry runs past the end of the blob"))
}

fn le(b: &[u8]) -> u64 {
    b.iter().rev().fold(0u64, |a, &x| (a << 8) | x as u64)
}

/// Sign-extends the low `bits` bits of `v`.
fn signed(v: u64, bits: u32) -> i64 {
    let shift = 64 - bits;
    ((v << shift) as i64) >> shift
}

fn int_text(v: i64) -> Vec<u8> {
    v.to_string().into_bytes()
}

/// A ziplist's entries.
pub fn ziplist(b: &[u8]) -> Result<Vec<Vec<u8>>, BlobError> {
    let head = need(b, 0, 10)?;
    if le(&head[0..4]) as usize != b.len() {
        return Err((0, "ziplist size does not match its header"));
    }
    let count = le(&head[8..10]) as usize;
    let mut out = Vec::with_capacity(count.min(b.len()));
    let mut at = 10;
    loop {
        let first = *need(b, at, 1)?.first().unwrap_or(&0xff);
        if first == 0xff {
            if at + 1 != b.len() {
                return Err((at, "bytes after the ziplist end marker"));
            }
            break;
        }
        // prevlen: 1 byte, or 0xFE + 4 bytes.
        at += if first < 254 { 1 } else { 5 };
        let e = *need(b, at, 1)?.first().unwrap_or(&0);
        let (v, len) = match e >> 6 {
            0 => {
                let n = (e & 0x3f) as usize;
                (need(b, at + 1, n)?.to_vec(), 1 + n)
            }
            1 => {
                let n = (((e & 0x3f) as usize) << 8) | need(b, at + 1, 1)?[0] as usize;
                (need(b, at + 2, n)?.to_vec(), 2 + n)
            }
            2 => {
                let lb = need(b, at + 1, 4)?;
                let n = u32::from_be_bytes([lb[0], lb[1], lb[2], lb[3]]) as usize;
                (need(b, at + 5, n)?.to_vec(), 5 + n)
            }
            _ => {
                let (n, bits) = match e {
                    0xc0 => (2, 16),
                    0xd0 => (4, 32),
                    0xe0 => (8, 64),
                    0xf0 => (3, 24),
                    0xfe => (1, 8),
                    0xf1..=0xfd => (0, 0),
                    _ => return Err((at, "unknown ziplist entry encoding")),
                };
                let v = if n == 0 {
                    (e & 0x0f) as i64 - 1
                } else {
                    signed(le(need(b, at + 1, n)?), bits)
                };
                (int_text(v), 1 + n)
            }
        };
        out.push(v);
        at += len;
    }
    if count != 0xffff && count != out.len() {
        return Err((8, "ziplist count does not match its entries"));
    }
    Ok(out)
}

/// The size of a listpack entry's back-length field for an entry of `n`
/// bytes (encoding + data): Redis's lpEncodeBacklen.
fn backlen_size(n: usize) -> usize {
    match n {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2097150 => 3,
        2097151..=268435454 => 4,
        _ => 5,
    }
}

/// One listpack element as stored: an integer or a string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Elem {
    Int(i64),
    Str(Vec<u8>),
}

impl Elem {
    /// The element as Redis reads it back (integers as decimal text).
    pub fn into_bytes(self) -> Vec<u8> {
        match self {
            Elem::Int(v) => int_text(v),
            Elem::Str(s) => s,
        }
    }

    /// Redis's lpGetIntegerIfValid: an integer element, or a string one
    /// that is a canonical integer.
    pub fn int(&self) -> Option<i64> {
        match self {
            Elem::Int(v) => Some(*v),
            Elem::Str(s) => crate::store::value::parse_i64(s),
        }
    }
}

/// A listpack's entries.
pub fn listpack(b: &[u8]) -> Result<Vec<Vec<u8>>, BlobError> {
    Ok(listpack_elems(b)?
        .into_iter()
        .map(|(_, e)| e.into_bytes())
        .collect())
}

/// A listpack's elements, each with its offset in the blob.
pub fn listpack_elems(b: &[u8]) -> Result<Vec<(usize, Elem)>, BlobError> {
    let head = need(b, 0, 6)?;
    if le(&head[0..4]) as usize != b.len() {
        return Err((0, "listpack size does not match its header"));
    }
    let count = le(&head[4..6]) as usize;
    let mut out = Vec::with_capacity(count.min(b.len() / 2));
    let mut at = 6;
    loop {
        let e = need(b, at, 1)?[0];
        if e == 0xff {
            if at + 1 != b.len() {
                return Err((at, "bytes after the listpack end marker"));
            }
            break;
        }
        let (v, len) = if e & 0x80 == 0 {
            (Elem::Int((e & 0x7f) as i64), 1)
        } else if e & 0xc0 == 0x80 {
            let n = (e & 0x3f) as usize;
            (Elem::Str(need(b, at + 1, n)?.to_vec()), 1 + n)
        } else if e & 0xe0 == 0xc0 {
            let v = (((e & 0x1f) as u64) << 8) | need(b, at + 1, 1)?[0] as u64;
            (Elem::Int(signed(v, 13)), 2)
        } else if e & 0xf0 == 0xe0 {
            let n = (((e & 0x0f) as usize) << 8) | need(b, at + 1, 1)?[0] as usize;
            (Elem::Str(need(b, at + 2, n)?.to_vec()), 2 + n)
        } else {
            match e {
                0xf0 => {
                    let n = le(need(b, at + 1, 4)?) as usize;
                    (Elem::Str(need(b, at + 5, n)?.to_vec()), 5 + n)
                }
                0xf1..=0xf4 => {
                    let (n, bits) = match e {
                        0xf1 => (2, 16),
                        0xf2 => (3, 24),
                        0xf3 => (4, 32),
                        _ => (8, 64),
                    };
                    (Elem::Int(signed(le(need(b, at + 1, n)?), bits)), 1 + n)
                }
                _ => return Err((at, "unknown listpack entry encoding")),
            }
        };
        need(b, at, len + backlen_size(len))?;
        out.push((at, v));
        at += len + backlen_size(len);
    }
    if count != 0xffff && count != out.len() {
        return Err((4, "listpack count does not match its entries"));
    }
    Ok(out)
}

/// A listpack being written, with Redis's encodings (lpAppend): strings
/// that are canonical integers of at most 20 characters are stored as
/// integers, in the smallest integer encoding.
pub struct ListpackWriter {
    buf: Vec<u8>,
    count: usize,
}

impl Default for ListpackWriter {
    fn default() -> Self {
        ListpackWriter::new()
    }
}

impl ListpackWriter {
    pub fn new() -> ListpackWriter {
        ListpackWriter {
            buf: vec![0; 6],
            count: 0,
        }
    }

    /// Appends the back-length of an element that started at `start`.
    fn backlen(&mut self, start: usize) {
        let l = (self.buf.len() - start) as u64;
        let n = backlen_size(l as usize);
        for i in (0..n).rev() {
            let b = ((l >> (7 * i)) & 127) as u8;
            // The first byte (highest 7 bits) has no continuation bit.
            self.buf.push(if i == n - 1 { b } else { b | 128 });
        }
        self.count += 1;
    }

    /// Appends an integer (lpEncodeIntegerGetType).
    pub fn int(&mut self, v: i64) {
        let start = self.buf.len();
        match v {
            0..=127 => self.buf.push(v as u8),
            -4096..=4095 => {
                let u = (v as u64) & 0x1fff;
                self.buf.push(0xc0 | (u >> 8) as u8);
                self.buf.push(u as u8);
            }
            -32768..=32767 => {
                self.buf.push(0xf1);
                self.buf.extend_from_slice(&(v as i16).to_le_bytes());
            }
            -8388608..=8388607 => {
                self.buf.push(0xf2);
                self.buf.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
            }
            _ if i32::try_from(v).is_ok() => {
                self.buf.push(0xf3);
                self.buf.extend_from_slice(&(v as i32).to_le_bytes());
            }
            _ => {
                self.buf.push(0xf4);
                self.buf.extend_from_slice(&v.to_le_bytes());
            }
        }
        self.backlen(start);
    }

    /// Appends a string (as an integer when it is one, as Redis does).
    pub fn string(&mut self, s: &[u8]) {
        if s.len() <= 20 {
            if let Some(v) = crate::store::value::parse_i64(s) {
                return self.int(v);
            }
        }
        let start = self.buf.len();
        let n = s.len();
        if n < 64 {
            self.buf.push(0x80 | n as u8);
        } else if n < 4096 {
            self.buf.push(0xe0 | (n >> 8) as u8);
            self.buf.push(n as u8);
        } else {
            self.buf.push(0xf0);
            self.buf.extend_from_slice(&(n as u32).to_le_bytes());
        }
        self.buf.extend_from_slice(s);
        self.backlen(start);
    }

    /// The listpack: header (total bytes, element count or 65535 when it
    /// does not fit), elements, end byte.
    pub fn finish(mut self) -> Vec<u8> {
        self.buf.push(0xff);
        let total = self.buf.len() as u32;
        self.buf[..4].copy_from_slice(&total.to_le_bytes());
        let count = self.count.min(0xffff) as u16;
        self.buf[4..6].copy_from_slice(&count.to_le_bytes());
        self.buf
    }
}

/// An intset's members.
pub fn intset(b: &[u8]) -> Result<Vec<Vec<u8>>, BlobError> {
    let head = need(b, 0, 8)?;
    let width = le(&head[0..4]) as usize;
    if ![2, 4, 8].contains(&width) {
        return Err((0, "unknown intset encoding"));
    }
    let n = le(&head[4..8]) as usize;
    if n.checked_mul(width).and_then(|x| x.checked_add(8)) != Some(b.len()) {
        return Err((4, "intset length does not match its size"));
    }
    Ok(b[8..]
        .chunks_exact(width)
        .map(|c| int_text(signed(le(c), width as u32 * 8)))
        .collect())
}

/// A zipmap's field/value pairs, flattened (field, value, field, ...).
pub fn zipmap(b: &[u8]) -> Result<Vec<Vec<u8>>, BlobError> {
    let mut out = Vec::new();
    let mut at = 1; // zmlen
    let read_len = |at: &mut usize| -> Result<usize, BlobError> {
        let f = need(b, *at, 1)?[0];
        if f < 254 {
            *at += 1;
            Ok(f as usize)
        } else if f == 254 {
            let n = le(need(b, *at + 1, 4)?) as usize;
            *at += 5;
            Ok(n)
        } else {
            Err((*at, "zipmap ends inside an entry"))
        }
    };
    loop {
        if need(b, at, 1)?[0] == 255 {
            if at + 1 != b.len() {
                return Err((at, "bytes after the zipmap end marker"));
            }
            break;
        }
        let klen = read_len(&mut at)?;
        out.push(need(b, at, klen)?.to_vec());
        at += klen;
        let vlen = read_len(&mut at)?;
        let free = need(b, at, 1)?[0] as usize;
        at += 1;
        out.push(need(b, at, vlen)?.to_vec());
        at += vlen;
        need(b, at, free)?;
        at += free;
    }
    Ok(out)
}

#[cfg(test)]
pub mod build {
    //! Builders for hand-made blobs in tests (FlashDB never writes these).

    /// A ziplist of `items`, integers written in their compact encodings.
    pub fn ziplist(items: &[&[u8]]) -> Vec<u8> {
        let mut body = Vec::new();
        let mut prev = 0usize;
        for it in items {
            let start = body.len();
            if prev < 254 {
                body.push(prev as u8);
            } else {
                body.push(254);
                body.extend_from_slice(&(prev as u32).to_le_bytes());
            }
            match std::str::from_utf8(it)
                .ok()
                .and_then(|s| s.parse::<i64>().ok())
            {
                Some(v) if (0..=12).contains(&v) => body.push(0xf1 + v as u8),
                Some(v) if i8::try_from(v).is_ok() => {
                    body.push(0xfe);
                    body.push(v as i8 as u8);
                }
                Some(v) if i16::try_from(v).is_ok() => {
                    body.push(0xc0);
                    body.extend_from_slice(&(v as i16).to_le_bytes());
                }
                Some(v) if (-(1 << 23)..(1 << 23)).contains(&v) => {
                    body.push(0xf0);
                    body.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
                }
                Some(v) if i32::try_from(v).is_ok() => {
                    body.push(0xd0);
                    body.extend_from_slice(&(v as i32).to_le_bytes());
                }
                Some(v) => {
                    body.push(0xe0);
                    body.extend_from_slice(&v.to_le_bytes());
                }
                None if it.len() < 64 => {
                    body.push(it.len() as u8);
                    body.extend_from_slice(it);
                }
                None if it.len() < 16384 => {
                    body.push(0x40 | (it.len() >> 8) as u8);
                    body.push(it.len() as u8);
                    body.extend_from_slice(it);
                }
                None => {
                    body.push(0x80);
                    body.extend_from_slice(&(it.len() as u32).to_be_bytes());
                    body.extend_from_slice(it);
                }
            }
            prev = body.len() - start;
        }
        let mut out = Vec::new();
        out.extend_from_slice(&((body.len() + 11) as u32).to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes()); // zltail (not read)
        out.extend_from_slice(&(items.len() as u16).to_le_bytes());
        out.extend_from_slice(&body);
        out.push(0xff);
        out
    }

    /// A zipmap of (field, value) pairs, each value with one free byte.
    pub fn zipmap(pairs: &[(&[u8], &[u8])]) -> Vec<u8> {
        let mut out = vec![pairs.len().min(253) as u8];
        for (f, v) in pairs {
            out.push(f.len() as u8);
            out.extend_from_slice(f);
            out.push(v.len() as u8);
            out.push(1);
            out.extend_from_slice(v);
            out.push(0);
        }
        out.push(255);
        out
    }

    /// An intset of `width` bytes per member.
    pub fn intset(width: usize, members: &[i64]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&(width as u32).to_le_bytes());
        out.extend_from_slice(&(members.len() as u32).to_le_bytes());
        for m in members {
            out.extend_from_slice(&m.to_le_bytes()[..width]);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(v: &[Vec<u8>]) -> Vec<String> {
        v.iter()
            .map(|x| String::from_utf8_lossy(x).into_owned())
            .collect()
    }

    #[test]
    fn ziplist_every_encoding() {
        let long = vec![b'x'; 300];
        let huge = vec![b'y'; 17000];
        let items: Vec<&[u8]> = vec![
            b"a",
            b"0",
            b"12",
            b"13",
            b"-5",
            b"300",
            b"-70000",
            b"8000000",
            b"-2147483648",
            b"9223372036854775807",
            &long,
            &huge,
        ];
        let z = build::ziplist(&items);
        let got = ziplist(&z).unwrap();
        assert_eq!(got, items.iter().map(|x| x.to_vec()).collect::<Vec<_>>());
        assert!(ziplist(&z[..z.len() - 1]).is_err());
    }

    #[test]
    fn listpack_from_redis() {
        // Redis 7.0: RPUSH l a 1 -1 200 -4000 hello, then the listpack
        // (DEBUG LISTPACK / DUMP), hand-checked.
        let mut lp = vec![0, 0, 0, 0, 6, 0];
        lp.extend_from_slice(&[0x81, b'a', 2]); // 6-bit string
        lp.extend_from_slice(&[0x01, 1]); // 7-bit uint
        lp.extend_from_slice(&[0xdf, 0xff, 2]); // 13-bit int -1
        lp.extend_from_slice(&[0xc0, 200, 2]); // 13-bit int 200
        lp.extend_from_slice(&[0xf1, 0x60, 0xf0, 3]); // int16 -4000
        lp.extend_from_slice(&[0x85, b'h', b'e', b'l', b'l', b'o', 6]);
        lp.push(0xff);
        let n = lp.len() as u32;
        lp[..4].copy_from_slice(&n.to_le_bytes());
        assert_eq!(
            texts(&listpack(&lp).unwrap()),
            ["a", "1", "-1", "200", "-4000", "hello"]
        );
        let mut bad = lp.clone();
        bad[4] = 7;
        assert!(listpack(&bad).is_err());
    }

    #[test]
    fn listpack_writer_round_trips() {
        let long = vec![b'x'; 300];
        let huge = vec![b'y'; 5000];
        // Element sizes on the back-length boundaries (127/128, 16382/16383).
        let b127 = vec![b'b'; 125];
        let b128 = vec![b'c'; 126];
        let b16382 = vec![b'd'; 16377];
        let b16383 = vec![b'e'; 16378];
        let items: Vec<&[u8]> = vec![
            b"a",
            b"",
            b"0",
            b"127",
            b"128",
            b"-1",
            b"4095",
            b"-4096",
            b"4096",
            b"-32768",
            b"32768",
            b"-8388608",
            b"8388608",
            b"2147483647",
            b"-2147483649",
            b"9223372036854775807",
            b"-9223372036854775808",
            b"007",
            b"-0",
            b"12345678901234567890123",
            &long,
            &huge,
            &b127,
            &b128,
            &b16382,
            &b16383,
        ];
        let mut w = ListpackWriter::new();
        for it in &items {
            w.string(it);
        }
        w.int(-5);
        let lp = w.finish();
        let mut want: Vec<Vec<u8>> = items.iter().map(|x| x.to_vec()).collect();
        want.push(b"-5".to_vec());
        assert_eq!(listpack(&lp).unwrap(), want);
        // Integers were stored as integers, the rest as strings.
        let elems = listpack_elems(&lp).unwrap();
        assert_eq!(elems[2].1, Elem::Int(0));
        assert_eq!(elems[15].1, Elem::Int(i64::MAX));
        assert_eq!(elems[17].1, Elem::Str(b"007".to_vec()));
        // Redis's encodings: 7-bit uint, 13-bit ints (-4000 too), 6-bit
        // string.
        let mut w = ListpackWriter::new();
        w.string(b"1");
        w.int(-1);
        w.int(200);
        w.int(-4000);
        w.string(b"hello");
        let lp = w.finish();
        assert_eq!(
            lp,
            [
                25, 0, 0, 0, 5, 0, 0x01, 1, 0xdf, 0xff, 2, 0xc0, 200, 2, 0xd0, 0x60, 2, 0x85, b'h',
                b'e', b'l', b'l', b'o', 6, 0xff
            ]
        );
        // The back-length of a 200-byte element: two bytes, high first.
        let mut w = ListpackWriter::new();
        w.string(&[b'z'; 198]);
        let lp = w.finish();
        assert_eq!(&lp[lp.len() - 3..], [1, 200 & 127 | 128, 0xff]);
    }

    #[test]
    fn intset_and_zipmap() {
        assert_eq!(
            texts(&intset(&build::intset(2, &[-3, 7])).unwrap()),
            ["-3", "7"]
        );
        assert_eq!(
            texts(&intset(&build::intset(8, &[i64::MIN])).unwrap()),
            [i64::MIN.to_string()]
        );
        assert!(intset(&build::intset(3, &[1])).is_err());
        let zm = build::zipmap(&[(b"f", b"v"), (b"name", b"")]);
        assert_eq!(texts(&zipmap(&zm).unwrap()), ["f", "v", "name", ""]);
        assert!(zipmap(&zm[..zm.len() - 2]).is_err());
    }
}
