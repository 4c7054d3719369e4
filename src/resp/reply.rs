//! Replies: one type for every answer a command can give, encoded for RESP2
//! or RESP3 at the edge. Handlers build a `Reply`; only `encode` knows the
//! wire, so a command never needs to care which protocol its client speaks.
//!
//! RESP3-only shapes degrade the way Redis degrades them for RESP2 clients:
//! maps and sets become flat arrays, doubles become bulk strings, booleans
//! integers, `Null` becomes `$-1` (or `*-1` for `NullArray`), pushes arrays.

use std::borrow::Cow;

/// Everything a command can answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// `+OK` — a status line (must not contain CR or LF).
    Status(Cow<'static, str>),
    /// `-ERR ...` — the full error text after the `-`, starting with its
    /// code word (`ERR`, `WRONGTYPE`, ...).
    Error(Cow<'static, str>),
    Int(i64),
    Bulk(Vec<u8>),
    /// A missing value: `$-1` in RESP2, `_` in RESP3.
    Null,
    /// A missing array: `*-1` in RESP2, `_` in RESP3.
    NullArray,
    Array(Vec<Reply>),
    /// RESP3 map; a flat array of key, value, ... in RESP2.
    Map(Vec<(Reply, Reply)>),
    /// RESP3 set; an array in RESP2.
    Set(Vec<Reply>),
    /// RESP3 double; a bulk string in RESP2.
    Double(f64),
    /// RESP3 boolean; the integer 1 or 0 in RESP2.
    Bool(bool),
    /// RESP3 verbatim string (`=len\r\ntxt:...`); a bulk string in RESP2.
    Verbatim(Vec<u8>),
    /// RESP3 push (out-of-band data); an array in RESP2.
    Push(Vec<Reply>),
    /// Bytes already encoded (used by MULTI/EXEC and similar relays).
    Raw(Vec<u8>),
}

pub const OK: Reply = Reply::Status(Cow::Borrowed("OK"));

impl Reply {
    pub fn ok() -> Reply {
        OK
    }
    pub fn status(s: &'static str) -> Reply {
        Reply::Status(Cow::Borrowed(s))
    }
    /// An error reply from a static text (which includes its code word).
    pub fn err(s: &'static str) -> Reply {
        Reply::Error(Cow::Borrowed(s))
    }
    /// An error reply from a formatted text (which includes its code word).
    pub fn error(s: String) -> Reply {
        Reply::Error(Cow::Owned(s))
    }
    pub fn bulk(b: &[u8]) -> Reply {
        Reply::Bulk(b.to_vec())
    }
    pub fn bulk_str(s: &str) -> Reply {
        Reply::Bulk(s.as_bytes().to_vec())
    }
    /// A bulk string or `Null` when absent.
    pub fn opt_bulk(b: Option<Vec<u8>>) -> Reply {
        match b {
            Some(v) => Reply::Bulk(v),
            None => Reply::Null,
        }
    }
    pub fn is_error(&self) -> bool {
        matches!(self, Reply::Error(_))
    }

    /// Appends the wire form of this reply for protocol `proto` (2 or 3).
    pub fn encode(&self, out: &mut Vec<u8>, proto: u8) {
        let resp3 = proto >= 3;
        match self {
            Reply::Status(s) => {
                out.push(b'+');
                out.extend_from_slice(s.as_bytes());
                out.extend_from_slice(b"\r\n");
            }
            Reply::Error(s) => {
                out.push(b'-');
                // Redis never lets a newline into an error line.
                for &b in s.as_bytes() {
                    out.push(if b == b'\r' || b == b'\n' { b' ' } else { b });
                }
                out.extend_from_slice(b"\r\n");
            }
            Reply::Int(i) => {
                out.push(b':');
                push_int(out, *i);
                out.extend_from_slice(b"\r\n");
            }
            Reply::Bulk(b) => encode_bulk(out, b),
            Reply::Null => out.extend_from_slice(if resp3 { b"_\r\n" } else { b"$-1\r\n" }),
            Reply::NullArray => out.extend_from_slice(if resp3 { b"_\r\n" } else { b"*-1\r\n" }),
            Reply::Array(items) => {
                header(out, b'*', items.len());
                for r in items {
                    r.encode(out, proto);
                }
            }
            Reply::Set(items) => {
                header(out, if resp3 { b'~' } else { b'*' }, items.len());
                for r in items {
                    r.encode(out, proto);
                }
            }
            Reply::Push(items) => {
                header(out, if resp3 { b'>' } else { b'*' }, items.len());
                for r in items {
                    r.encode(out, proto);
                }
            }
            Reply::Map(pairs) => {
                if resp3 {
                    header(out, b'%', pairs.len());
                } else {
                    header(out, b'*', pairs.len() * 2);
                }
                for (k, v) in pairs {
                    k.encode(out, proto);
                    v.encode(out, proto);
                }
            }
            Reply::Double(d) => {
                if resp3 {
                    out.push(b',');
                    out.extend_from_slice(format_double(*d).as_bytes());
                    out.extend_from_slice(b"\r\n");
                } else {
                    encode_bulk(out, format_double(*d).as_bytes());
                }
            }
            Reply::Bool(b) => {
                if resp3 {
                    out.extend_from_slice(if *b { b"#t\r\n" } else { b"#f\r\n" });
                } else {
                    out.extend_from_slice(if *b { b":1\r\n" } else { b":0\r\n" });
                }
            }
            Reply::Verbatim(b) => {
                if resp3 {
                    header(out, b'=', b.len() + 4);
                    out.extend_from_slice(b"txt:");
                    out.extend_from_slice(b);
                    out.extend_from_slice(b"\r\n");
                } else {
                    encode_bulk(out, b);
                }
            }
            Reply::Raw(b) => out.extend_from_slice(b),
        }
    }
}

fn header(out: &mut Vec<u8>, tag: u8, n: usize) {
    out.push(tag);
    push_int(out, n as i64);
    out.extend_from_slice(b"\r\n");
}

/// Appends `$len\r\nbytes\r\n`.
pub fn encode_bulk(out: &mut Vec<u8>, b: &[u8]) {
    header(out, b'$', b.len());
    out.extend_from_slice(b);
    out.extend_from_slice(b"\r\n");
}

/// Appends the decimal form of `i` without allocating.
pub fn push_int(out: &mut Vec<u8>, i: i64) {
    let mut buf = [0u8; 20];
    out.extend_from_slice(fmt_i64(i, &mut buf));
}

/// Writes the decimal form of `v` into `buf` and returns the used tail.
pub fn fmt_i64(v: i64, buf: &mut [u8; 20]) -> &[u8] {
    let mut n = v.unsigned_abs();
    let mut pos = buf.len();
    loop {
        pos -= 1;
        buf[pos] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if v < 0 {
        pos -= 1;
        buf[pos] = b'-';
    }
    &buf[pos..]
}

/// A double as C's `printf("%.17g")` writes it (Redis 7.0's addReplyDouble
/// and the scores ZSCAN lists): 17 significant digits, trailing zeros
/// dropped, exponent form below 1e-4 or from 1e17.
pub fn format_double(d: f64) -> String {
    if d.is_nan() {
        return "nan".into();
    }
    if d.is_infinite() {
        return if d > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if d == 0.0 {
        return if d.is_sign_negative() { "-0" } else { "0" }.into();
    }
    let e = format!("{:.16e}", d);
    let (mant, exp) = e.split_at(e.find('e').expect("exponent"));
    let x: i32 = exp[1..].parse().expect("exponent digits");
    fn trim(s: &str) -> &str {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.')
        } else {
            s
        }
    }
    if (-4..17).contains(&x) {
        let f = format!("{:.*}", (16 - x) as usize, d);
        trim(&f).to_string()
    } else {
        format!(
            "{}e{}{:02}",
            trim(mant),
            if x < 0 { '-' } else { '+' },
            x.abs()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(r: &Reply, p: u8) -> String {
        let mut v = Vec::new();
        r.encode(&mut v, p);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn resp2_and_resp3_shapes() {
        assert_eq!(enc(&Reply::ok(), 2), "+OK\r\n");
        assert_eq!(enc(&Reply::Int(-42), 2), ":-42\r\n");
        assert_eq!(enc(&Reply::Int(i64::MIN), 2), ":-9223372036854775808\r\n");
        assert_eq!(enc(&Reply::Null, 2), "$-1\r\n");
        assert_eq!(enc(&Reply::Null, 3), "_\r\n");
        assert_eq!(enc(&Reply::NullArray, 2), "*-1\r\n");
        assert_eq!(enc(&Reply::Bool(true), 2), ":1\r\n");
        assert_eq!(enc(&Reply::Bool(false), 3), "#f\r\n");
        assert_eq!(enc(&Reply::Double(1.5), 2), "$3\r\n1.5\r\n");
        assert_eq!(enc(&Reply::Double(1.5), 3), ",1.5\r\n");
        let m = Reply::Map(vec![(Reply::bulk_str("a"), Reply::Int(1))]);
        assert_eq!(enc(&m, 2), "*2\r\n$1\r\na\r\n:1\r\n");
        assert_eq!(enc(&m, 3), "%1\r\n$1\r\na\r\n:1\r\n");
        let s = Reply::Set(vec![Reply::bulk_str("x")]);
        assert_eq!(enc(&s, 3), "~1\r\n$1\r\nx\r\n");
        assert_eq!(enc(&Reply::Verbatim(b"hi".to_vec()), 3), "=6\r\ntxt:hi\r\n");
        assert_eq!(enc(&Reply::Push(vec![Reply::Int(1)]), 3), ">1\r\n:1\r\n");
        assert_eq!(enc(&Reply::err("ERR x\r\ny"), 2), "-ERR x  y\r\n");
    }

    #[test]
    fn doubles_like_redis() {
        assert_eq!(format_double(3.0), "3");
        assert_eq!(format_double(-0.0), "-0");
        assert_eq!(format_double(10.5), "10.5");
        assert_eq!(format_double(0.1), "0.10000000000000001");
        assert_eq!(format_double(f64::INFINITY), "inf");
        assert_eq!(format_double(f64::NEG_INFINITY), "-inf");
        assert_eq!(format_double(1.5e20), "1.5e+20");
        assert_eq!(format_double(1e-5), "1.0000000000000001e-05");
    }
}
