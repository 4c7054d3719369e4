//! Incremental RESP request parser mirroring Redis 7 `processInlineBuffer` /
//! `processMultibulkBuffer` (networking.c), including the exact error texts.
//!
//! Usage contract: the caller owns a buffer of unconsumed input. It calls
//! [`Parser::parse`] with the whole unconsumed buffer; on `Ok(Some((req, n)))`
//! it drops the first `n` bytes and may call again (pipelining); on `Ok(None)`
//! it reads more bytes, appends them and calls again with the *same prefix
//! plus the new bytes*. The parser remembers how far it got (parsed arguments,
//! offset of the current bulk, how far a line was searched) so a large bulk
//! arriving in many pieces is never re-scanned. On `Err(e)` the caller replies
//! `-ERR <e.0>\r\n` and closes the connection.
//!
//! Deliberate deviations from the C code (all in corner cases):
//! * Line lookups use a bounded, binary-safe search: Redis uses `strchr`, which
//!   stops at NUL bytes, so a NUL before the terminator makes Redis wait until
//!   the 64KB limit; here NUL is an ordinary byte.
//! * The "too big" limits are applied split-independently: a line whose
//!   terminator is not within the first `max_inline_len + 1` bytes is always
//!   rejected, even if everything arrived in one read (Redis's outcome there
//!   depends on how the bytes were chunked by `read()`).

use std::fmt;

/// Redis `PROTO_INLINE_MAX_SIZE`.
pub const PROTO_INLINE_MAX_SIZE: usize = 64 * 1024;
/// Redis default `proto-max-bulk-len`.
pub const DEFAULT_MAX_BULK_LEN: u64 = 512 * 1024 * 1024;
/// Redis 7.0 multibulk count limit (`INT_MAX`).
pub const DEFAULT_MAX_MULTIBULK_LEN: u64 = i32::MAX as u64;
/// Before authentication (when a password is required), Redis accepts at
/// most this many arguments per request (CVE-2021-32675)...
pub const UNAUTH_MAX_MULTIBULK_LEN: u64 = 10;
/// ...and bulk strings of at most this many bytes.
pub const UNAUTH_MAX_BULK_LEN: u64 = 16384;
/// Never pre-allocate room for more argument slots than this.
const MAX_ARGS_PREALLOC: usize = 1024;

/// Protocol limits (see `Default` for Redis's values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// `proto-max-bulk-len`: largest accepted `$<len>`.
    pub max_bulk_len: u64,
    /// Largest accepted `*<n>` (Redis 7.0: `INT_MAX`).
    pub max_multibulk_len: u64,
    /// Longest inline request / `*` or `$` line (`PROTO_INLINE_MAX_SIZE`).
    pub max_inline_len: usize,
    /// The client must still authenticate: requests are capped at
    /// [`UNAUTH_MAX_MULTIBULK_LEN`] arguments of [`UNAUTH_MAX_BULK_LEN`]
    /// bytes, with Redis's `unauthenticated ...` errors.
    pub unauthenticated: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bulk_len: DEFAULT_MAX_BULK_LEN,
            max_multibulk_len: DEFAULT_MAX_MULTIBULK_LEN,
            max_inline_len: PROTO_INLINE_MAX_SIZE,
            unauthenticated: false,
        }
    }
}

/// One parsed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// A command with at least one argument.
    Command(Vec<Vec<u8>>),
    /// Consumed input that carries nothing to run (empty inline line,
    /// `*0`, `*-1`, ...).
    Empty,
}

/// Protocol error text, without the leading `-ERR `.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError(pub String);

impl ProtocolError {
    fn new(what: &str) -> Self {
        ProtocolError(format!("Protocol error: {what}"))
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ProtocolError {}

enum Line {
    /// Index of the terminator byte.
    Found(usize),
    Incomplete,
    TooBig,
}

/// Incremental request parser; one per connection.
#[derive(Debug, Default)]
pub struct Parser {
    /// The `*<n>` line of the current request has been consumed.
    in_multibulk: bool,
    /// Bulk arguments still to read.
    remaining: u64,
    /// Arguments parsed so far for the current multibulk request.
    args: Vec<Vec<u8>>,
    /// Offset in the caller's buffer of the first byte not yet parsed.
    pos: usize,
    /// Length of the bulk whose `$<len>` line has been consumed, if any.
    bulk_len: Option<usize>,
    /// Offset up to which the current line was searched for its terminator
    /// (0 = nothing searched yet).
    scanned: usize,
}

impl Parser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Forget any partial request.
    pub fn reset(&mut self) {
        self.in_multibulk = false;
        self.remaining = 0;
        self.args = Vec::new();
        self.pos = 0;
        self.bulk_len = None;
        self.scanned = 0;
    }

    /// Parse one request from the start of `buf`.
    ///
    /// `Ok(Some((parsed, consumed)))`: a whole request was found in
    /// `buf[..consumed]`. `Ok(None)`: more bytes are needed; call again with
    /// the same bytes plus more. `Err`: protocol error, the connection must be
    /// closed (the parser is reset).
    pub fn parse(
        &mut self,
        buf: &[u8],
        limits: &Limits,
    ) -> Result<Option<(Parsed, usize)>, ProtocolError> {
        if buf.len() < self.pos || buf.len() < self.scanned {
            // The caller broke the contract (buffer shrank); start over
            // instead of indexing out of bounds.
            self.reset();
        }
        let res = if self.in_multibulk {
            self.parse_bulks(buf, limits)
        } else {
            match buf.first() {
                None => return Ok(None),
                Some(b'*') => self.parse_multibulk(buf, limits),
                Some(_) => self.parse_inline(buf, limits),
            }
        };
        if res.is_err() {
            self.reset();
        }
        res
    }

    /// Minimum length the buffer passed to [`parse`](Self::parse) must reach
    /// to complete the bulk argument currently being received (its `$<len>`
    /// line already parsed), counted from the start of that buffer; 0 when no
    /// bulk is pending. Lets the caller reserve once for a big bulk. The value
    /// derives from the client-declared length (bounded by `max_bulk_len`), so
    /// callers may want to apply it only above some size or cap it.
    pub fn pending_bulk_hint(&self) -> usize {
        match self.bulk_len {
            Some(len) if self.in_multibulk => self.pos.saturating_add(len).saturating_add(2),
            _ => 0,
        }
    }

    fn parse_inline(
        &mut self,
        buf: &[u8],
        limits: &Limits,
    ) -> Result<Option<(Parsed, usize)>, ProtocolError> {
        let nl = match self.scan_line(buf, 0, b'\n', false, limits.max_inline_len) {
            Line::Found(nl) => nl,
            Line::Incomplete => return Ok(None),
            Line::TooBig => return Err(ProtocolError::new("too big inline request")),
        };
        self.scanned = 0;
        let end = if nl > 0 && buf[nl - 1] == b'\r' {
            nl - 1
        } else {
            nl
        };
        match split_args(&buf[..end]) {
            None => Err(ProtocolError::new("unbalanced quotes in request")),
            Some(args) if args.is_empty() => Ok(Some((Parsed::Empty, nl + 1))),
            Some(args) => Ok(Some((Parsed::Command(args), nl + 1))),
        }
    }

    fn parse_multibulk(
        &mut self,
        buf: &[u8],
        limits: &Limits,
    ) -> Result<Option<(Parsed, usize)>, ProtocolError> {
        let (count, next) = match fast_number(buf, 1, limits.max_inline_len) {
            Some(v) => v,
            None => match self.scan_line(buf, 0, b'\r', true, limits.max_inline_len) {
                Line::Found(cr) => match string2ll(&buf[1..cr]) {
                    Some(v) => (v, cr + 2),
                    None => return Err(ProtocolError::new("invalid multibulk length")),
                },
                Line::Incomplete => return Ok(None),
                Line::TooBig => return Err(ProtocolError::new("too big mbulk count string")),
            },
        };
        if count > 0 && count as u64 > limits.max_multibulk_len {
            return Err(ProtocolError::new("invalid multibulk length"));
        }
        if limits.unauthenticated && count > UNAUTH_MAX_MULTIBULK_LEN as i64 {
            return Err(ProtocolError::new("unauthenticated multibulk length"));
        }
        self.scanned = 0;
        if count <= 0 {
            return Ok(Some((Parsed::Empty, next)));
        }
        self.in_multibulk = true;
        self.remaining = count as u64;
        self.args = Vec::with_capacity((count as u64).min(MAX_ARGS_PREALLOC as u64) as usize);
        self.pos = next;
        self.bulk_len = None;
        self.parse_bulks(buf, limits)
    }

    fn parse_bulks(
        &mut self,
        buf: &[u8],
        limits: &Limits,
    ) -> Result<Option<(Parsed, usize)>, ProtocolError> {
        while self.remaining > 0 {
            let pos = self.pos;
            let len = match self.bulk_len {
                Some(len) => len,
                None => {
                    let fast = if buf.get(pos) == Some(&b'$') {
                        fast_number(buf, pos + 1, limits.max_inline_len).filter(|&(v, _)| {
                            v as u64 <= limits.max_bulk_len
                                && !(limits.unauthenticated && v as u64 > UNAUTH_MAX_BULK_LEN)
                        })
                    } else {
                        None
                    };
                    let (len, next) = match fast {
                        Some((v, next)) => (v as usize, next),
                        None => {
                            match self.scan_line(buf, pos, b'\r', true, limits.max_inline_len) {
                                Line::Found(cr) => {
                                    (self.bulk_header(buf, pos, cr, limits)?, cr + 2)
                                }
                                Line::Incomplete => return Ok(None),
                                Line::TooBig => {
                                    return Err(ProtocolError::new("too big bulk count string"));
                                }
                            }
                        }
                    };
                    self.scanned = 0;
                    self.pos = next;
                    self.bulk_len = Some(len);
                    len
                }
            };
            let pos = self.pos;
            // Data plus the two trailer bytes (which, like Redis, are skipped
            // without checking that they are "\r\n").
            if buf.len() - pos < len.saturating_add(2) {
                return Ok(None);
            }
            self.args.push(buf[pos..pos + len].to_vec());
            self.pos = pos + len + 2;
            self.bulk_len = None;
            self.remaining -= 1;
        }
        let args = std::mem::take(&mut self.args);
        let consumed = self.pos;
        self.reset();
        Ok(Some((Parsed::Command(args), consumed)))
    }

    /// Validate a complete `$<len>` line `buf[pos..cr]` (slow path).
    fn bulk_header(
        &self,
        buf: &[u8],
        pos: usize,
        cr: usize,
        limits: &Limits,
    ) -> Result<usize, ProtocolError> {
        let first = buf[pos];
        if first != b'$' {
            // addReplyErrorFormat maps CR/LF to spaces.
            let c = match first {
                b'\r' | b'\n' => ' ',
                b => char::from(b),
            };
            return Err(ProtocolError(format!(
                "Protocol error: expected '$', got '{c}'"
            )));
        }
        match string2ll(&buf[pos + 1..cr]) {
            Some(v) if v >= 0 && v as u64 <= limits.max_bulk_len => {
                if limits.unauthenticated && v as u64 > UNAUTH_MAX_BULK_LEN {
                    return Err(ProtocolError::new("unauthenticated bulk length"));
                }
                usize::try_from(v).map_err(|_| ProtocolError::new("invalid bulk length"))
            }
            _ => Err(ProtocolError::new("invalid bulk length")),
        }
    }

    /// Search for the terminator of the line starting at `start`.
    ///
    /// The terminator must lie within `max + 1` bytes of `start`, otherwise
    /// the line is too big. With `need_next`, one more byte (the `\n` that
    /// Redis skips without checking) must also be present.
    fn scan_line(
        &mut self,
        buf: &[u8],
        start: usize,
        needle: u8,
        need_next: bool,
        max: usize,
    ) -> Line {
        let window_end = buf.len().min(start.saturating_add(max).saturating_add(1));
        let from = self.scanned.max(start);
        if from < window_end {
            if let Some(i) = find_byte(&buf[from..window_end], needle) {
                let idx = from + i;
                if !need_next || idx + 1 < buf.len() {
                    return Line::Found(idx);
                }
                self.scanned = idx;
                return Line::Incomplete;
            }
        }
        if buf.len() - start > max {
            Line::TooBig
        } else {
            self.scanned = window_end.max(from);
            Line::Incomplete
        }
    }
}

/// Fast path for the overwhelmingly common `<1-9><digits>\r?` number line:
/// parses the digits while scanning for `\r` (single pass). Returns
/// `(value, offset after the byte following '\r')`, or `None` if anything is
/// unusual (leading zero, sign, too long, incomplete, ...) so the exact slow
/// path decides.
#[inline(always)]
fn fast_number(buf: &[u8], start: usize, max_line: usize) -> Option<(i64, usize)> {
    let b = buf.get(start..)?;
    let first = *b.first()?;
    if !(b'1'..=b'9').contains(&first) {
        return None;
    }
    let mut v = (first - b'0') as i64;
    let mut i = 1;
    let lim = b.len().min(18);
    while i < lim {
        let d = b[i].wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        v = v * 10 + d as i64;
        i += 1;
    }
    // The line (including its one-byte prefix) ends at index i + 1.
    if i + 1 < b.len() && b[i] == b'\r' && i < max_line {
        Some((v, start + i + 2))
    } else {
        None
    }
}

/// Redis `string2ll`: optional '-', no '+', no spaces, no leading zeros
/// (except "0" itself), no "-0", range of i64.
pub fn string2ll(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() >= 21 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (negative, digits) = match s[0] {
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    match digits.first() {
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    if negative {
        if v > i64::MAX as u64 + 1 {
            return None;
        }
        Some((v as i64).wrapping_neg())
    } else {
        i64::try_from(v).ok()
    }
}

/// Position of the first `needle` in `hay` (word-at-a-time scan).
#[inline]
fn find_byte(hay: &[u8], needle: u8) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let rep = LO.wrapping_mul(needle as u64);
    let mut chunks = hay.chunks_exact(8);
    let mut base = 0;
    for chunk in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        let x = u64::from_le_bytes(w) ^ rep;
        let t = x.wrapping_sub(LO) & !x & HI;
        if t != 0 {
            return Some(base + (t.trailing_zeros() / 8) as usize);
        }
        base += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&c| c == needle)
        .map(|i| base + i)
}

/// C `isspace` in the "C" locale.
#[inline]
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

#[inline]
fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Redis `sdssplitargs`: split a line into arguments, honouring
/// `"double quotes"` (with `\n \r \t \b \a \xHH` and `\<any>` escapes) and
/// `'single quotes'` (only `\'` is an escape). A closing quote must be
/// followed by whitespace or the end of the line. Returns `None` on
/// unbalanced quotes. Binary safe: NUL is an ordinary byte (the C version
/// stops at NUL).
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let n = line.len();
    let mut args = Vec::new();
    let mut i = 0;
    loop {
        while i < n && is_space(line[i]) {
            i += 1;
        }
        if i >= n {
            return Some(args);
        }
        let mut cur = Vec::new();
        let mut inq = false;
        let mut insq = false;
        loop {
            let mut done = false;
            if inq {
                if i >= n {
                    return None;
                }
                let c = line[i];
                if c == b'\\' && i + 3 < n && line[i + 1] == b'x' {
                    if let (Some(h), Some(l)) = (hex_val(line[i + 2]), hex_val(line[i + 3])) {
                        cur.push(h * 16 + l);
                        i += 4;
                        continue;
                    }
                }
                if c == b'\\' && i + 1 < n {
                    i += 1;
                    cur.push(match line[i] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        other => other,
                    });
                } else if c == b'"' {
                    if i + 1 < n && !is_space(line[i + 1]) {
                        return None;
                    }
                    done = true;
                } else {
                    cur.push(c);
                }
            } else if insq {
                if i >= n {
                    return None;
                }
                let c = line[i];
                if c == b'\\' && i + 1 < n && line[i + 1] == b'\'' {
                    i += 1;
                    cur.push(b'\'');
                } else if c == b'\'' {
                    if i + 1 < n && !is_space(line[i + 1]) {
                        return None;
                    }
                    done = true;
                } else {
                    cur.push(c);
                }
            } else if i >= n {
                done = true;
            } else {
                match line[i] {
                    b' ' | b'\n' | b'\r' | b'\t' => done = true,
                    b'"' => inq = true,
                    b'\'' => insq = true,
                    c => cur.push(c),
                }
            }
            if i < n {
                i += 1;
            }
            if done {
                break;
            }
        }
        args.push(cur);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Outcome = Result<(Parsed, usize), String>;

    fn small_limits() -> Limits {
        Limits {
            max_bulk_len: 1000,
            max_multibulk_len: 1000,
            max_inline_len: 16,
            unauthenticated: false,
        }
    }

    fn cmd(args: &[&[u8]]) -> Parsed {
        Parsed::Command(args.iter().map(|a| a.to_vec()).collect())
    }

    fn ok(args: &[&[u8]], consumed: usize) -> Outcome {
        Ok((cmd(args), consumed))
    }

    fn empty(consumed: usize) -> Outcome {
        Ok((Parsed::Empty, consumed))
    }

    fn perr(text: &str) -> Outcome {
        Err(format!("Protocol error: {text}"))
    }

    fn conv(r: Result<Option<(Parsed, usize)>, ProtocolError>) -> Option<Outcome> {
        match r {
            Ok(None) => None,
            Ok(Some(v)) => Some(Ok(v)),
            Err(e) => Some(Err(e.0)),
        }
    }

    fn one_shot(input: &[u8], limits: &Limits) -> Option<Outcome> {
        conv(Parser::new().parse(input, limits))
    }

    /// Checks `input` against `expected` one-shot, split at every boundary
    /// (fresh parser and a parser that saw the prefix), byte by byte, and for
    /// short inputs split in three pieces.
    fn check_with(input: &[u8], limits: &Limits, expected: Outcome) {
        let got = one_shot(input, limits);
        assert_eq!(got.as_ref(), Some(&expected), "one-shot {input:?}");
        if let Ok((_, consumed)) = &expected {
            assert!(*consumed <= input.len());
        }
        // The first prefix length at which the one-shot parse stops saying None.
        let mut threshold = None;
        for k in 0..=input.len() {
            let r = one_shot(&input[..k], limits);
            match (&r, threshold) {
                (None, None) => {}
                (None, Some(_)) => panic!("None after a result at {k} for {input:?}"),
                (Some(v), _) => {
                    assert_eq!(v, &expected, "prefix {k} of {input:?}");
                    threshold.get_or_insert(k);
                }
            }
        }
        let threshold = threshold.unwrap();
        if let Ok((_, consumed)) = &expected {
            assert_eq!(threshold, *consumed, "threshold for {input:?}");
        }
        // Two-piece split with state carried over.
        for k in 0..=input.len() {
            let mut p = Parser::new();
            let first = conv(p.parse(&input[..k], limits));
            if k < threshold {
                assert_eq!(first, None, "split {k} of {input:?}");
                assert_eq!(conv(p.parse(input, limits)).as_ref(), Some(&expected));
            } else {
                assert_eq!(first.as_ref(), Some(&expected), "split {k} of {input:?}");
            }
        }
        // Byte by byte.
        let mut p = Parser::new();
        for k in 0..=input.len() {
            let r = conv(p.parse(&input[..k], limits));
            if k < threshold {
                assert_eq!(r, None, "byte-by-byte {k} of {input:?}");
            } else {
                assert_eq!(r.as_ref(), Some(&expected), "byte-by-byte {k} of {input:?}");
                break;
            }
        }
        // Three pieces.
        if input.len() <= 80 {
            for i in 0..=input.len() {
                for j in i..=input.len() {
                    let mut p = Parser::new();
                    let mut res = None;
                    for k in [i, j, input.len()] {
                        let r = conv(p.parse(&input[..k], limits));
                        if k < threshold {
                            assert_eq!(r, None);
                        } else {
                            res = r;
                            break;
                        }
                    }
                    assert_eq!(res.as_ref(), Some(&expected), "3-split {i},{j} {input:?}");
                }
            }
        }
    }

    fn check(input: &[u8], expected: Outcome) {
        check_with(input, &Limits::default(), expected.clone());
        // The small limits used in many tests must not change normal cases.
        if input.len() < 16 {
            check_with(input, &small_limits(), expected);
        }
    }

    #[test]
    fn multibulk_basic() {
        check(b"*1\r\n$4\r\nPING\r\n", ok(&[b"PING"], 14));
        check(
            b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n",
            ok(&[b"SET", b"key", b"value"], 33),
        );
        check(b"*1\r\n$0\r\n\r\n", ok(&[b""], 10));
        check(b"*2\r\n$0\r\n\r\n$1\r\nx\r\n", ok(&[b"", b"x"], 17));
        let big = vec![b'z'; 300];
        let mut req = b"*2\r\n$3\r\nGET\r\n$300\r\n".to_vec();
        req.extend_from_slice(&big);
        req.extend_from_slice(b"\r\n");
        let n = req.len();
        check(&req, ok(&[b"GET", &big], n));
    }

    #[test]
    fn multibulk_trailing_bytes_not_consumed() {
        check(b"*1\r\n$4\r\nPING\r\nextra", ok(&[b"PING"], 14));
        check(b"*1\r\n$4\r\nPING\r\n*1\r\n", ok(&[b"PING"], 14));
    }

    #[test]
    fn binary_safe_bulk() {
        check(b"*1\r\n$4\r\na\r\nb\r\n", ok(&[b"a\r\nb"], 14));
        check(b"*1\r\n$3\r\n\0\xff\n\r\n", ok(&[b"\0\xff\n"], 13));
        check(b"*1\r\n$2\r\n\r\n\r\n", ok(&[b"\r\n"], 12));
    }

    #[test]
    fn crlf_after_lines_and_bulks_not_validated() {
        // Like Redis: the two bytes after bulk data are skipped unchecked ...
        check(b"*1\r\n$1\r\naXY", ok(&[b"a"], 11));
        // ... and so is the byte after '\r' on count lines.
        check(b"*1\rX$1\rYaZZ", ok(&[b"a"], 11));
    }

    #[test]
    fn multibulk_empty_counts() {
        check(b"*0\r\n", empty(4));
        check(b"*-1\r\n", empty(5));
        check(b"*-100\r\n", empty(7));
        check(b"*-9223372036854775808\r\n", empty(23));
        check(b"*0\r\n*1\r\n", empty(4));
    }

    #[test]
    fn invalid_multibulk_length() {
        let e = || perr("invalid multibulk length");
        check(b"*abc\r\n", e());
        check(b"*\r\n", e());
        check(b"*+1\r\n", e());
        check(b"*01\r\n", e());
        check(b"*00\r\n", e());
        check(b"*-0\r\n", e());
        check(b"*-\r\n", e());
        check(b"* 1\r\n", e());
        check(b"*1 \r\n", e());
        check(b"*1\n\r\n", e());
        check(b"*1\0\r\n", e());
        check(b"*2147483648\r\n", e());
        check(b"*9223372036854775807\r\n", e());
        check(b"*9223372036854775808\r\n", e());
        check(b"*99999999999999999999999\r\n", e());
        // INT_MAX itself is accepted (and waits for the arguments).
        assert_eq!(one_shot(b"*2147483647\r\n", &Limits::default()), None);
        // Configurable limit.
        let lim = Limits {
            max_multibulk_len: 10,
            ..Limits::default()
        };
        check_with(b"*11\r\n", &lim, e());
        assert_eq!(one_shot(b"*10\r\n", &lim), None);
        check_with(b"*1\r\n$1\r\na\r\n", &lim, ok(&[b"a"], 11));
    }

    #[test]
    fn expected_dollar() {
        check(b"*1\r\nX\r\n", perr("expected '$', got 'X'"));
        check(b"*1\r\n:1\r\n", perr("expected '$', got ':'"));
        check(b"*2\r\n$1\r\na\r\n*1\r\n", perr("expected '$', got '*'"));
        check(b"*1\r\n\r\n", perr("expected '$', got ' '"));
        check(b"*1\r\n\n\r\n", perr("expected '$', got ' '"));
        check(b"*1\r\n\0\r\n", perr("expected '$', got '\0'"));
        check(b"*1\r\nPING\r\n", perr("expected '$', got 'P'"));
    }

    #[test]
    fn invalid_bulk_length() {
        let e = || perr("invalid bulk length");
        check(b"*1\r\n$abc\r\n", e());
        check(b"*1\r\n$\r\n", e());
        check(b"*1\r\n$-1\r\n", e());
        check(b"*1\r\n$-0\r\n", e());
        check(b"*1\r\n$+1\r\n", e());
        check(b"*1\r\n$01\r\n", e());
        check(b"*1\r\n$1 \r\n", e());
        check(b"*1\r\n$99999999999999999999\r\n", e());
        check(b"*2\r\n$1\r\na\r\n$x\r\n", e());
        // Default proto-max-bulk-len is 512MB.
        check(b"*1\r\n$536870913\r\n", e());
        assert_eq!(one_shot(b"*1\r\n$536870912\r\n", &Limits::default()), None);
        let lim = Limits {
            max_bulk_len: 10,
            ..Limits::default()
        };
        check_with(b"*1\r\n$11\r\n", &lim, e());
        check_with(
            b"*1\r\n$10\r\n0123456789\r\n",
            &lim,
            ok(&[b"0123456789"], 21),
        );
    }

    #[test]
    fn too_big_count_strings() {
        let lim = small_limits(); // 16 byte lines
                                  // '\r' exactly at index 16 of the line is still accepted.
        let mut line = b"*".to_vec();
        line.extend_from_slice(&[b'1'; 15]);
        line.extend_from_slice(b"\r\n");
        check_with(&line, &lim, perr("invalid multibulk length"));
        let mut line = b"*".to_vec();
        line.extend_from_slice(&[b'1'; 16]);
        line.extend_from_slice(b"\r\n");
        check_with(&line, &lim, perr("too big mbulk count string"));
        let mut line = b"*".to_vec();
        line.extend_from_slice(&[b'x'; 30]);
        check_with(&line, &lim, perr("too big mbulk count string"));

        let mut req = b"*1\r\n$".to_vec();
        req.extend_from_slice(&[b'1'; 16]);
        check_with(&req, &lim, perr("too big bulk count string"));
        let mut req = b"*1\r\n$".to_vec();
        req.extend_from_slice(&[b'1'; 15]);
        req.extend_from_slice(b"\r\n");
        check_with(&req, &lim, perr("invalid bulk length"));
        // Even a line that does not start with '$' is "too big" first.
        let mut req = b"*1\r\n".to_vec();
        req.extend_from_slice(&[b'x'; 17]);
        check_with(&req, &lim, perr("too big bulk count string"));
    }

    #[test]
    fn too_big_with_default_limit() {
        let lim = Limits::default();
        let mut req = b"*".to_vec();
        req.extend_from_slice(&vec![b'9'; PROTO_INLINE_MAX_SIZE - 1]);
        // 65536 bytes without '\r': still waiting.
        assert_eq!(one_shot(&req, &lim), None);
        req.push(b'9');
        assert_eq!(
            one_shot(&req, &lim),
            Some(perr("too big mbulk count string"))
        );
        // Byte by byte reaches the same verdict at the same point (and
        // does not rescan: this is linear).
        let mut p = Parser::new();
        for k in 0..req.len() {
            assert_eq!(conv(p.parse(&req[..k], &lim)), None);
        }
        assert_eq!(
            conv(p.parse(&req, &lim)),
            Some(perr("too big mbulk count string"))
        );

        let mut inline = vec![b'a'; PROTO_INLINE_MAX_SIZE];
        assert_eq!(one_shot(&inline, &lim), None);
        inline.push(b'a');
        assert_eq!(
            one_shot(&inline, &lim),
            Some(perr("too big inline request"))
        );
        // A 64KB inline line followed by '\n' is fine.
        let mut inline = vec![b'a'; PROTO_INLINE_MAX_SIZE];
        inline.push(b'\n');
        let expected = vec![b'a'; PROTO_INLINE_MAX_SIZE];
        assert_eq!(
            one_shot(&inline, &lim),
            Some(ok(&[&expected], PROTO_INLINE_MAX_SIZE + 1))
        );
    }

    #[test]
    fn huge_declared_lengths_allocate_little() {
        let lim = Limits {
            max_bulk_len: u64::MAX,
            max_multibulk_len: u64::MAX,
            max_inline_len: PROTO_INLINE_MAX_SIZE,
            unauthenticated: false,
        };
        let mut p = Parser::new();
        let buf = b"*2147483647\r\n$4294967295\r\nabc";
        assert_eq!(conv(p.parse(buf, &lim)), None);
        assert!(p.args.capacity() <= MAX_ARGS_PREALLOC);
        assert_eq!(p.bulk_len, Some(4294967295));
        assert_eq!(p.pending_bulk_hint(), 26 + 4294967295 + 2);

        let mut p = Parser::new();
        let buf = b"*9223372036854775807\r\n$9223372036854775807\r\nabc";
        assert_eq!(conv(p.parse(buf, &lim)), None);
        assert!(p.args.capacity() <= MAX_ARGS_PREALLOC);
        assert_eq!(p.pending_bulk_hint(), 44 + 9223372036854775807 + 2);

        // Many small args with a huge count: capacity grows with actual args.
        let mut buf = b"*2147483647\r\n".to_vec();
        for _ in 0..3000 {
            buf.extend_from_slice(b"$1\r\nx\r\n");
        }
        let mut p = Parser::new();
        assert_eq!(conv(p.parse(&buf, &lim)), None);
        assert_eq!(p.args.len(), 3000);
        assert!(p.args.capacity() <= 8192);
        assert!(p.args.iter().all(|a| a.capacity() == 1));
    }

    #[test]
    fn pending_bulk_hint_and_resume() {
        let lim = Limits::default();
        let mut p = Parser::new();
        assert_eq!(p.pending_bulk_hint(), 0);
        let mut req = b"*2\r\n$3\r\nSET\r\n$100000\r\n".to_vec();
        let header = req.len();
        assert_eq!(conv(p.parse(&req, &lim)), None);
        assert_eq!(p.pending_bulk_hint(), header + 100_002);
        let payload: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        for chunk in payload.chunks(7_777) {
            req.extend_from_slice(chunk);
            assert_eq!(conv(p.parse(&req, &lim)), None);
            assert_eq!(p.pending_bulk_hint(), header + 100_002);
            // Progress is remembered: the parser is parked on the bulk.
            assert_eq!(p.pos, header);
        }
        req.extend_from_slice(b"\r");
        assert_eq!(conv(p.parse(&req, &lim)), None);
        req.extend_from_slice(b"\n");
        let n = req.len();
        assert_eq!(conv(p.parse(&req, &lim)), Some(ok(&[b"SET", &payload], n)));
        assert_eq!(p.pending_bulk_hint(), 0);
    }

    #[test]
    fn inline_basic() {
        check(b"PING\r\n", ok(&[b"PING"], 6));
        check(b"PING\n", ok(&[b"PING"], 5));
        check(b"set a b\r\n", ok(&[b"set", b"a", b"b"], 9));
        check(b"  set   a\tb  \r\n", ok(&[b"set", b"a", b"b"], 15));
        check(b"\r\n", empty(2));
        check(b"\n", empty(1));
        check(b"   \r\n", empty(5));
        check(b"\t \x0b\x0c\n", empty(5));
        // '\r' not before '\n' is a separator.
        check(b"a\rb\n", ok(&[b"a", b"b"], 4));
        check(b"a\r\r\n", ok(&[b"a"], 4));
        // \v and \f are skipped as leading blanks but do not end a token.
        check(b"\x0bfoo\x0bbar\n", ok(&[b"foo\x0bbar"], 9));
        // Anything not starting with '*' is inline, including '$'.
        check(b"$3\r\n", ok(&[b"$3"], 4));
        check(b"PING\r\nPING\r\n", ok(&[b"PING"], 6));
        // Binary-safe: NUL is an ordinary byte.
        check(b"a\0b c\n", ok(&[b"a\0b", b"c"], 6));
    }

    #[test]
    fn inline_quotes() {
        check(b"set \"a b\" 'c d'\r\n", ok(&[b"set", b"a b", b"c d"], 17));
        check(
            b"\"\\x41\\x7a\\n\\r\\t\\b\\a\\\\\\\"\\q\"\n",
            ok(&[b"Az\n\r\t\x08\x07\\\"q"], 27),
        );
        check(b"\"\\xZZ\"\n", ok(&[b"xZZ"], 7));
        check(b"\"\\x4\"\n", ok(&[b"x4"], 6));
        check(b"'it\\'s'\n", ok(&[b"it's"], 8));
        check(b"'a\\nb'\n", ok(&[b"a\\nb"], 7));
        check(b"'a\"b'\n", ok(&[b"a\"b"], 6));
        check(b"\"a'b\"\n", ok(&[b"a'b"], 6));
        check(b"foo\"bar baz\" x\n", ok(&[b"foobar baz", b"x"], 15));
        check(b"\"\" ''\n", ok(&[b"", b""], 6));
        check(b"\"a\"\t\"b\"\n", ok(&[b"a", b"b"], 8));
        check(b"\"a\"\r\n", ok(&[b"a"], 5));
        check(b"\"a\r\"\n", ok(&[b"a\r"], 5));
    }

    #[test]
    fn inline_unbalanced() {
        let e = || perr("unbalanced quotes in request");
        check(b"\"abc\n", e());
        check(b"\"abc\r\n", e());
        check(b"'abc\n", e());
        check(b"\"abc\"x\n", e());
        check(b"'abc'x\n", e());
        check(b"set \"a\"b c\n", e());
        check(b"\"abc\\\"\n", e());
        check(b"\"\\\n", e());
        check(b"'\\'\n", e());
    }

    #[test]
    fn inline_too_big() {
        let lim = small_limits();
        let mut line = vec![b'a'; 16];
        line.push(b'\n');
        let a16 = vec![b'a'; 16];
        check_with(&line, &lim, ok(&[&a16], 17));
        let mut line = vec![b'a'; 16];
        line.extend_from_slice(b"\r\n");
        check_with(&line, &lim, perr("too big inline request"));
        let line = vec![b'a'; 40];
        check_with(&line, &lim, perr("too big inline request"));
    }

    #[test]
    fn split_args_api() {
        assert_eq!(split_args(b""), Some(vec![]));
        assert_eq!(split_args(b"   "), Some(vec![]));
        assert_eq!(
            split_args(b"a \"b c\" 'd'"),
            Some(vec![b"a".to_vec(), b"b c".to_vec(), b"d".to_vec()])
        );
        assert_eq!(split_args(b"\"x"), None);
        assert_eq!(split_args(b"'x"), None);
        assert_eq!(split_args(b"\"\\xff\\x00\""), Some(vec![vec![0xff, 0x00]]));
        assert_eq!(split_args(b"\"\\xFf\""), Some(vec![vec![0xff]]));
    }

    #[test]
    fn string2ll_matches_redis() {
        assert_eq!(string2ll(b"0"), Some(0));
        assert_eq!(string2ll(b"1"), Some(1));
        assert_eq!(string2ll(b"-1"), Some(-1));
        assert_eq!(string2ll(b"99"), Some(99));
        assert_eq!(string2ll(b"-99"), Some(-99));
        assert_eq!(string2ll(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(string2ll(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b""[..],
            b"-",
            b"+1",
            b" 1",
            b"1 ",
            b"01",
            b"-0",
            b"00",
            b"1a",
            b"9223372036854775808",
            b"-9223372036854775809",
            b"18446744073709551616",
            b"100000000000000000000",
        ] {
            assert_eq!(string2ll(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn find_byte_works() {
        for len in 0..40 {
            for at in 0..len {
                let mut v = vec![b'a'; len];
                v[at] = b'\r';
                if at + 1 < len {
                    v[at + 1] = b'\r';
                }
                assert_eq!(find_byte(&v, b'\r'), Some(at));
            }
            assert_eq!(find_byte(&vec![b'a'; len], b'\r'), None);
        }
        // Bytes that could trip a naive SWAR zero test.
        let v = [0x0d + 0x80, 0x0c, 0x0e, 0x8d, 0x01, 0x00, 0x0d, 0x0d, 0xff];
        assert_eq!(find_byte(&v, 0x0d), Some(6));
        assert_eq!(find_byte(&v, 0x00), Some(5));
        assert_eq!(find_byte(&v, 0xff), Some(8));
    }

    /// Simulates a connection: feeds `input` in chunks of the given sizes and
    /// collects every outcome until the input is exhausted or an error.
    fn drive(input: &[u8], chunks: &mut dyn FnMut() -> usize, limits: &Limits) -> Vec<Outcome> {
        let mut p = Parser::new();
        let mut pending: Vec<u8> = Vec::new();
        let mut fed = 0;
        let mut out = Vec::new();
        loop {
            if fed < input.len() {
                let n = chunks().clamp(1, input.len() - fed);
                pending.extend_from_slice(&input[fed..fed + n]);
                fed += n;
            }
            loop {
                match p.parse(&pending, limits) {
                    Ok(Some((parsed, consumed))) => {
                        assert!(consumed <= pending.len() && consumed > 0);
                        pending.drain(..consumed);
                        out.push(Ok((parsed, consumed)));
                    }
                    Ok(None) => break,
                    Err(e) => {
                        out.push(Err(e.0));
                        return out;
                    }
                }
            }
            if fed == input.len() {
                return out;
            }
        }
    }

    #[test]
    fn pipelined() {
        let input = b"PING\r\n*1\r\n$4\r\nPING\r\nECHO x\n*0\r\n\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$3\r\nab";
        let expected = vec![
            ok(&[b"PING"], 6),
            ok(&[b"PING"], 14),
            ok(&[b"ECHO", b"x"], 7),
            empty(4),
            empty(2),
            ok(&[b"GET", b"k"], 20),
        ];
        let one = drive(input, &mut || usize::MAX, &Limits::default());
        assert_eq!(one, expected);
        for step in 1..=input.len() {
            let got = drive(input, &mut || step, &Limits::default());
            assert_eq!(got, expected, "chunk size {step}");
        }
        // Pipelined error after valid requests.
        let input = b"PING\r\n*1\r\n$x\r\nPING\r\n";
        let got = drive(input, &mut || 1, &Limits::default());
        assert_eq!(got, vec![ok(&[b"PING"], 6), perr("invalid bulk length")]);
    }

    struct XorShift(u64);
    impl XorShift {
        fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            x
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    fn random_valid_request(rng: &mut XorShift) -> Vec<u8> {
        let mut out = Vec::new();
        if rng.below(4) == 0 {
            let words = rng.below(4);
            for w in 0..words {
                if w > 0 {
                    out.push(b' ');
                }
                match rng.below(3) {
                    0 => out.extend_from_slice(b"\"a\\x41 \\n\""),
                    1 => out.extend_from_slice(b"'q\\'x'"),
                    _ => out.extend_from_slice(b"word"),
                }
            }
            out.extend_from_slice(if rng.below(2) == 0 { b"\r\n" } else { b"\n" });
        } else {
            let n = rng.below(5);
            out.extend_from_slice(format!("*{n}\r\n").as_bytes());
            for _ in 0..n {
                let len = rng.below(40);
                out.extend_from_slice(format!("${len}\r\n").as_bytes());
                for _ in 0..len {
                    out.push(rng.next() as u8);
                }
                out.extend_from_slice(b"\r\n");
            }
        }
        out
    }

    const INTERESTING: &[u8] = b"*$\r\n-+0123456789 \"'\\x";

    fn mutate(rng: &mut XorShift, buf: &mut Vec<u8>) {
        for _ in 0..=rng.below(3) {
            let byte = if rng.below(2) == 0 {
                INTERESTING[rng.below(INTERESTING.len())]
            } else {
                rng.next() as u8
            };
            match rng.below(4) {
                0 if !buf.is_empty() => {
                    let i = rng.below(buf.len());
                    buf[i] = byte;
                }
                1 => {
                    let i = rng.below(buf.len() + 1);
                    buf.insert(i, byte);
                }
                2 if !buf.is_empty() => {
                    let i = rng.below(buf.len());
                    buf.remove(i);
                }
                _ => {
                    let i = rng.below(buf.len() + 1);
                    buf.truncate(i);
                }
            }
        }
    }

    #[test]
    fn fuzz_never_panics_and_is_split_invariant() {
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        let mut seen = [0usize; 3];
        let mut kinds = std::collections::BTreeSet::new();
        for iter in 0..30_000 {
            let mut input = Vec::new();
            match rng.below(3) {
                0 => {
                    for _ in 0..rng.below(64) {
                        input.push(if rng.below(2) == 0 {
                            INTERESTING[rng.below(INTERESTING.len())]
                        } else {
                            rng.next() as u8
                        });
                    }
                }
                _ => {
                    for _ in 0..1 + rng.below(4) {
                        input.extend_from_slice(&random_valid_request(&mut rng));
                    }
                    if rng.below(4) != 0 {
                        mutate(&mut rng, &mut input);
                    }
                }
            }
            let limits = Limits {
                max_bulk_len: [5, 30, 1000][rng.below(3)],
                max_multibulk_len: [2, 4, 1000][rng.below(3)],
                max_inline_len: [4, 12, 64, PROTO_INLINE_MAX_SIZE][rng.below(4)],
                unauthenticated: rng.below(4) == 0,
            };
            let whole = drive(&input, &mut || usize::MAX, &limits);
            for o in &whole {
                match o {
                    Ok((Parsed::Command(_), _)) => seen[0] += 1,
                    Ok((Parsed::Empty, _)) => seen[1] += 1,
                    Err(e) => {
                        seen[2] += 1;
                        kinds.insert(e.clone());
                    }
                }
            }
            let bytewise = drive(&input, &mut || 1, &limits);
            assert_eq!(whole, bytewise, "iter {iter} input {input:?} {limits:?}");
            let seed = rng.next();
            let mut r2 = XorShift(seed | 1);
            let random = drive(&input, &mut || 1 + r2.below(9), &limits);
            assert_eq!(whole, random, "iter {iter} input {input:?} {limits:?}");
        }
        // The corpus must actually reach commands, empties and every error.
        assert!(seen.iter().all(|&n| n > 500), "{seen:?}");
        let texts: Vec<&str> = kinds
            .iter()
            .map(|k| k.split(", got").next().unwrap())
            .collect();
        for want in [
            "Protocol error: invalid multibulk length",
            "Protocol error: invalid bulk length",
            "Protocol error: expected '$'",
            "Protocol error: unbalanced quotes in request",
            "Protocol error: too big inline request",
            "Protocol error: too big mbulk count string",
            "Protocol error: too big bulk count string",
        ] {
            assert!(
                texts.contains(&want),
                "fuzz never produced {want}: {kinds:?}"
            );
        }
        // Arbitrary buffers thrown at one long-lived parser (even violating
        // the "same prefix" contract) never panic.
        let mut p = Parser::new();
        let lim = small_limits();
        for _ in 0..20_000 {
            let len = rng.below(48);
            let buf: Vec<u8> = (0..len)
                .map(|_| INTERESTING[rng.below(INTERESTING.len())])
                .collect();
            if let Ok(Some((_, consumed))) = p.parse(&buf, &lim) {
                assert!(consumed <= buf.len());
            }
        }
    }

    #[test]
    fn unauthenticated_limits_are_redis_texts() {
        let lim = Limits {
            unauthenticated: true,
            ..Limits::default()
        };
        let err = |s: &str| Some(Err(format!("Protocol error: {s}")));
        assert_eq!(
            one_shot(b"*11\r\n", &lim),
            err("unauthenticated multibulk length")
        );
        assert_eq!(one_shot(b"*10\r\n", &lim), None);
        assert_eq!(
            one_shot(b"*1\r\n$16385\r\n", &lim),
            err("unauthenticated bulk length")
        );
        assert_eq!(one_shot(b"*1\r\n$16384\r\n", &lim), None);
        // Past proto-max-bulk-len the ordinary error wins, as in Redis.
        let tight = Limits {
            max_bulk_len: 100,
            ..lim
        };
        assert_eq!(
            one_shot(b"*1\r\n$20000\r\n", &tight),
            err("invalid bulk length")
        );
        // Authenticated: no such caps.
        assert_eq!(one_shot(b"*11\r\n$16385\r\n", &Limits::default()), None);
    }
}
