//! RESP2/RESP3 on the client side: encoding a command as an array of bulk
//! strings, and reading one reply (any RESP3 type; attributes are read and
//! dropped, as redis-cli does not show them either).

use std::io::{self, BufRead, Write};

/// One reply, as the formatter needs it.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Status(Vec<u8>),
    Error(Vec<u8>),
    Int(i64),
    Bulk(Vec<u8>),
    Nil,
    Array(Vec<Reply>),
    /// RESP3 map: key/value pairs in wire order.
    Map(Vec<(Reply, Reply)>),
    Set(Vec<Reply>),
    Push(Vec<Reply>),
    /// RESP3 double, as its text on the wire (`3.14`, `inf`).
    Double(String),
    Bool(bool),
    /// RESP3 verbatim string without its `txt:` format prefix.
    Verbatim(Vec<u8>),
    BigNum(String),
}

impl Reply {
    pub fn is_error(&self) -> bool {
        matches!(self, Reply::Error(_))
    }

    /// The bytes of a string-like reply (status, bulk, verbatim, error).
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Reply::Status(b) | Reply::Bulk(b) | Reply::Verbatim(b) | Reply::Error(b) => Some(b),
            _ => None,
        }
    }

    /// The reply as an integer: an integer reply or a numeric string.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Reply::Int(n) => Some(*n),
            other => std::str::from_utf8(other.as_bytes()?).ok()?.parse().ok(),
        }
    }

    /// The elements of an array-like reply (a map flattened to k, v, ...).
    pub fn into_items(self) -> Option<Vec<Reply>> {
        match self {
            Reply::Array(v) | Reply::Set(v) | Reply::Push(v) => Some(v),
            Reply::Map(kv) => Some(kv.into_iter().flat_map(|(k, v)| [k, v]).collect()),
            _ => None,
        }
    }

    /// The error text, lossily decoded.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(self.as_bytes().unwrap_or_default()).into_owned()
    }
}

/// `args` as a RESP array of bulk strings.
pub fn encode(args: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + args.iter().map(|a| a.len() + 16).sum::<usize>());
    let _ = write!(out, "*{}\r\n", args.len());
    for a in args {
        let _ = write!(out, "${}\r\n", a.len());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn proto_err(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

/// Reads one line without its CRLF; EOF is `UnexpectedEof`.
fn read_line<R: BufRead>(r: &mut R) -> io::Result<Vec<u8>> {
    let mut line = Vec::new();
    let n = r.read_until(b'\n', &mut line)?;
    if n == 0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "Server closed the connection",
        ));
    }
    if !line.ends_with(b"\r\n") {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "Server closed the connection",
        ));
    }
    line.truncate(line.len() - 2);
    Ok(line)
}

fn parse_num(line: &[u8]) -> io::Result<i64> {
    std::str::from_utf8(line)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| {
            proto_err(format!(
                "Protocol error, bad number {:?}",
                String::from_utf8_lossy(line)
            ))
        })
}

/// A length that must fit in memory we are willing to trust: a hostile
/// server saying `*2147483647` must not make us allocate for it upfront.
fn capacity(n: i64) -> usize {
    (n.max(0) as usize).min(1024)
}

fn read_bulk_body<R: BufRead>(r: &mut R, n: i64) -> io::Result<Vec<u8>> {
    let n = usize::try_from(n).map_err(|_| proto_err("Protocol error, bad bulk length".into()))?;
    let mut buf = Vec::with_capacity(n.min(1 << 20));
    let got = io::Read::read_to_end(&mut io::Read::take(&mut *r, n as u64), &mut buf)?;
    if got < n {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "Server closed the connection",
        ));
    }
    let mut crlf = [0u8; 2];
    io::Read::read_exact(r, &mut crlf)?;
    if &crlf != b"\r\n" {
        return Err(proto_err("Protocol error, bulk not ended by CRLF".into()));
    }
    Ok(buf)
}

/// Reads one complete reply.
pub fn read_reply<R: BufRead>(r: &mut R) -> io::Result<Reply> {
    loop {
        let line = read_line(r)?;
        let Some((&t, rest)) = line.split_first() else {
            return Err(proto_err("Protocol error, empty line".into()));
        };
        let rest = rest.to_vec();
        return Ok(match t {
            b'+' => Reply::Status(rest),
            b'-' => Reply::Error(rest),
            b':' => Reply::Int(parse_num(&rest)?),
            b'$' => {
                let n = parse_num(&rest)?;
                if n < 0 {
                    Reply::Nil
                } else {
                    Reply::Bulk(read_bulk_body(r, n)?)
                }
            }
            b'!' => Reply::Error(read_bulk_body(r, parse_num(&rest)?)?),
            b'=' => {
                let body = read_bulk_body(r, parse_num(&rest)?)?;
                // "txt:..." — the three-letter format and the colon go.
                let text = if body.len() >= 4 && body[3] == b':' {
                    body[4..].to_vec()
                } else {
                    body
                };
                Reply::Verbatim(text)
            }
            b'_' => Reply::Nil,
            b',' => Reply::Double(String::from_utf8_lossy(&rest).into_owned()),
            b'#' => match rest.as_slice() {
                b"t" => Reply::Bool(true),
                b"f" => Reply::Bool(false),
                _ => return Err(proto_err("Protocol error, bad boolean".into())),
            },
            b'(' => Reply::BigNum(String::from_utf8_lossy(&rest).into_owned()),
            b'*' | b'~' | b'>' => {
                let n = parse_num(&rest)?;
                if n < 0 {
                    Reply::Nil
                } else {
                    let mut v = Vec::with_capacity(capacity(n));
                    for _ in 0..n {
                        v.push(read_reply(r)?);
                    }
                    match t {
                        b'*' => Reply::Array(v),
                        b'~' => Reply::Set(v),
                        _ => Reply::Push(v),
                    }
                }
            }
            b'%' => {
                let n = parse_num(&rest)?;
                let mut v = Vec::with_capacity(capacity(n));
                for _ in 0..n.max(0) {
                    let k = read_reply(r)?;
                    let val = read_reply(r)?;
                    v.push((k, val));
                }
                Reply::Map(v)
            }
            b'|' => {
                // An attribute precedes the real reply: read and drop it.
                let n = parse_num(&rest)?;
                for _ in 0..n.max(0) * 2 {
                    read_reply(r)?;
                }
                continue;
            }
            other => {
                return Err(proto_err(format!(
                    "Protocol error, got {:?} as reply type byte",
                    other as char
                )))
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(b: &[u8]) -> Reply {
        read_reply(&mut io::BufReader::new(b)).unwrap()
    }

    #[test]
    fn every_type() {
        assert_eq!(parse(b"+OK\r\n"), Reply::Status(b"OK".to_vec()));
        assert_eq!(parse(b"$-1\r\n"), Reply::Nil);
        assert_eq!(parse(b"$3\r\na\r\n\r\n"), Reply::Bulk(b"a\r\n".to_vec()));
        assert_eq!(
            parse(b"%1\r\n+a\r\n#t\r\n"),
            Reply::Map(vec![(Reply::Status(b"a".to_vec()), Reply::Bool(true))])
        );
        assert_eq!(
            parse(b"=8\r\ntxt:abcd\r\n"),
            Reply::Verbatim(b"abcd".to_vec())
        );
        assert_eq!(parse(b"|1\r\n+k\r\n+v\r\n:5\r\n"), Reply::Int(5));
        assert_eq!(parse(b",1.5\r\n"), Reply::Double("1.5".into()));
    }

    #[test]
    fn truncated_and_bad_input_are_errors() {
        for bad in [
            &b"$5\r\nab"[..],
            b"*2\r\n:1\r\n",
            b"?x\r\n",
            b":x\r\n",
            b"+OK",
        ] {
            assert!(read_reply(&mut io::BufReader::new(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn encodes_bulk_array() {
        assert_eq!(
            encode(&[b"GET".to_vec(), b"k".to_vec()]),
            b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"
        );
    }
}
