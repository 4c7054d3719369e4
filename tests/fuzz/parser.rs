//! Target `parser`: the incremental RESP request parser
//! (`flashdb::resp::parser`).
//!
//! Input: one byte choosing the limits (Redis's defaults, tiny ones, none
//! at all, or mid-sized), then the bytes a client sends. Each input is fed
//! the way a connection feeds it (drop what a request consumed, append new
//! bytes, call again) in one piece, one byte at a time, in random chunks,
//! and split in two (at every offset of inputs up to 64 bytes, at six
//! random offsets of longer ones). Invariants:
//! - every way of splitting gives the same requests and the same error;
//! - a request consumes at least one byte and no more than it was given;
//! - no call allocates more than a small multiple of the bytes it was
//!   given: a declared `*2147483647` or `$2147483647` costs nothing until
//!   the bytes arrive;
//! - when the parser asks for more bytes with a bulk pending, the length it
//!   hints is beyond what it has (else it should have finished);
//! - after a protocol error the parser is reset and parses a fresh request.

use super::{bounded, bucket, fnv, mix, mutate_bytes, shape, Features, Rng, Target};
use flashdb::resp::parser::{Limits, Parsed, Parser, PROTO_INLINE_MAX_SIZE};

#[derive(Default)]
pub struct ParserTarget;

impl ParserTarget {
    pub fn new() -> ParserTarget {
        ParserTarget
    }
}

/// The limits the input's first byte selects.
pub fn limits_for(sel: u8) -> Limits {
    match sel % 4 {
        0 => Limits::default(),
        1 => Limits {
            max_bulk_len: 64,
            max_multibulk_len: 8,
            max_inline_len: 32,
            unauthenticated: false,
        },
        // Nothing but the line limit: declared lengths up to 2^63.
        2 => Limits {
            max_bulk_len: u64::MAX,
            max_multibulk_len: u64::MAX,
            max_inline_len: 256,
            unauthenticated: false,
        },
        // Before AUTH: Redis's tight caps on top.
        _ => Limits {
            max_bulk_len: 1 << 20,
            max_multibulk_len: i32::MAX as u64,
            max_inline_len: 1024,
            unauthenticated: true,
        },
    }
}

/// One parse result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Command(Vec<Vec<u8>>, usize),
    Empty(usize),
    Error(String),
}

/// Everything a connection would see: the results, and how many bytes were
/// left over (an incomplete request, or what followed an error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub outcomes: Vec<Outcome>,
    pub left: usize,
    /// `pending_bulk_hint()` at the end.
    pub hint: usize,
}

/// Per `parse` call: at most this multiple of the buffer it was handed,
/// plus `SLACK` (room for the first 1024 argument slots and rounding).
const PER_BYTE: usize = 16;
const SLACK: usize = 64 * 1024;

/// Feeds `input` like a connection, in chunks whose sizes `chunk` returns.
pub fn drive(
    input: &[u8],
    limits: &Limits,
    chunk: &mut dyn FnMut() -> usize,
) -> Result<Run, String> {
    let mut p = Parser::new();
    // Unconsumed input is `buf[start..]` (consumed bytes are dropped in
    // bulk now and then, not after every request).
    let mut buf: Vec<u8> = Vec::new();
    let mut start = 0;
    let mut fed = 0;
    let mut outcomes = Vec::new();
    loop {
        if fed < input.len() {
            let n = chunk().clamp(1, input.len() - fed);
            if start > 4096 && start * 2 > buf.len() {
                buf.drain(..start);
                start = 0;
            }
            buf.extend_from_slice(&input[fed..fed + n]);
            fed += n;
        }
        loop {
            let pending = &buf[start..];
            let limit = PER_BYTE * pending.len() + SLACK;
            let r = bounded("one parse call", limit, || p.parse(pending, limits))?;
            match r {
                Ok(Some((parsed, used))) => {
                    if used == 0 || used > pending.len() {
                        return Err(format!(
                            "a request consumed {used} of {} bytes",
                            pending.len()
                        ));
                    }
                    start += used;
                    outcomes.push(match parsed {
                        Parsed::Command(args) => {
                            if args.is_empty() {
                                return Err("a command without arguments".into());
                            }
                            Outcome::Command(args, used)
                        }
                        Parsed::Empty => Outcome::Empty(used),
                    });
                }
                Ok(None) => {
                    let hint = p.pending_bulk_hint();
                    if hint != 0 && hint <= pending.len() {
                        return Err(format!(
                            "waiting for more bytes with {} buffered, but the pending bulk ends at {hint}",
                            pending.len()
                        ));
                    }
                    break;
                }
                Err(e) => {
                    let left = pending.len() + input.len() - fed;
                    outcomes.push(Outcome::Error(e.0));
                    // The parser was reset: it must read a fresh request.
                    let fresh = p.parse(b"*1\r\n$4\r\nPING\r\n", limits);
                    if fresh.as_ref().ok().and_then(|r| r.as_ref()).map(|r| &r.0)
                        != Some(&Parsed::Command(vec![b"PING".to_vec()]))
                    {
                        return Err(format!("parser not reset after an error: {fresh:?}"));
                    }
                    return Ok(Run {
                        outcomes,
                        left,
                        hint: p.pending_bulk_hint(),
                    });
                }
            }
        }
        if fed == input.len() {
            return Ok(Run {
                outcomes,
                left: buf.len() - start,
                hint: p.pending_bulk_hint(),
            });
        }
    }
}

/// A short description of a run, for error messages.
fn summary(r: &Run) -> String {
    let parts: Vec<String> = r
        .outcomes
        .iter()
        .map(|o| match o {
            Outcome::Command(a, n) => format!("cmd({} args, {n} bytes)", a.len()),
            Outcome::Empty(n) => format!("empty({n})"),
            Outcome::Error(e) => format!("err({e})"),
        })
        .collect();
    format!("[{}] left {} hint {}", parts.join(", "), r.left, r.hint)
}

fn same(what: &str, whole: &Run, other: &Run) -> Result<(), String> {
    if whole == other {
        Ok(())
    } else {
        Err(format!(
            "{what} differs from one piece:\n  whole: {}\n  {what}: {}",
            summary(whole),
            summary(other)
        ))
    }
}

impl Target for ParserTarget {
    fn name(&self) -> &'static str {
        "parser"
    }

    fn seeds(&mut self, rng: &mut Rng) -> Vec<Vec<u8>> {
        let mut reqs: Vec<Vec<u8>> = vec![
            b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n".to_vec(),
            b"*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n".to_vec(),
            b"PING\r\nSET a \"b c\" 'd\\'e'\r\nECHO \"\\x41\\n\\\"\"\n".to_vec(),
            b"*0\r\n*-1\r\n\r\n\n  \r\nPING\n".to_vec(),
            b"*2147483647\r\n$2147483647\r\nabc".to_vec(),
            b"*1\r\n$536870912\r\nxyz".to_vec(),
            b"*2\r\n$4\r\nECHO\r\n$0\r\n\r\n*1\r\n$3\r\n\x00\xff\n\r\n".to_vec(),
            b"*1\r\nX\r\n".to_vec(),
            b"SET \"unbalanced\r\n".to_vec(),
        ];
        // A big bulk and a long inline line.
        let mut big = b"*2\r\n$4\r\nECHO\r\n$3000\r\n".to_vec();
        big.extend(rng.bytes(3000));
        big.extend_from_slice(b"\r\n");
        reqs.push(big);
        let mut long = b"ECHO ".to_vec();
        long.extend(std::iter::repeat_n(b'x', 2000));
        long.extend_from_slice(b"\r\n");
        reqs.push(long);
        // Random valid pipelines.
        for _ in 0..12 {
            let mut v = Vec::new();
            for _ in 0..1 + rng.below(5) {
                v.extend(random_request(rng));
            }
            reqs.push(v);
        }
        reqs.into_iter()
            .enumerate()
            .map(|(i, r)| {
                let mut v = vec![(i % 4) as u8];
                v.extend(r);
                v
            })
            .collect()
    }

    fn mutate(&mut self, rng: &mut Rng, base: &[u8], other: &[u8]) -> Vec<u8> {
        const DICT: &[&[u8]] = &[
            b"*",
            b"$",
            b"\r\n",
            b"\n",
            b"\r",
            b" ",
            b"\"",
            b"'",
            b"\\x",
            b"\\",
            b"-1",
            b"0",
            b"01",
            b"2147483647",
            b"2147483648",
            b"4294967296",
            b"536870912",
            b"9223372036854775807",
            b"9223372036854775808",
            b"-9223372036854775808",
            b"*1\r\n$4\r\nPING\r\n",
            b"*2147483647\r\n",
            b"$2147483647\r\n",
            b"$-1\r\n",
            b"PING\r\n",
        ];
        let mut v = base.to_vec();
        if rng.one_in(8) {
            // A fresh pipeline sometimes, to keep valid structure around.
            v.truncate(1);
            for _ in 0..1 + rng.below(4) {
                v.extend(random_request(rng));
            }
        }
        let max = if rng.one_in(16) { 80_000 } else { 4096 };
        mutate_bytes(rng, &mut v, other, DICT, max);
        if rng.one_in(64) {
            // Beyond the 64KB line limit.
            v.extend(std::iter::repeat_n(
                *rng.pick(b"1a*$ \r"),
                PROTO_INLINE_MAX_SIZE + 2,
            ));
        }
        if v.is_empty() {
            v.push(0);
        }
        v
    }

    fn run(&mut self, input: &[u8]) -> Result<Features, String> {
        let Some((&sel, data)) = input.split_first() else {
            return Ok(vec![]);
        };
        let lim = limits_for(sel);
        let whole = drive(data, &lim, &mut || usize::MAX)?;
        same("byte by byte", &whole, &drive(data, &lim, &mut || 1)?)?;
        let mut r = Rng::new(fnv(input));
        same(
            "random chunks",
            &whole,
            &drive(data, &lim, &mut || 1 + r.below(97))?,
        )?;
        // Two pieces: at every offset of a short input, at a few of a long one.
        let splits: Vec<usize> = if data.len() <= 64 {
            (1..data.len()).collect()
        } else {
            (0..6).map(|_| 1 + r.below(data.len() - 1)).collect()
        };
        for k in splits {
            let mut first = true;
            let two = drive(data, &lim, &mut || {
                if std::mem::take(&mut first) {
                    k
                } else {
                    usize::MAX
                }
            })?;
            same(&format!("split at {k}"), &whole, &two)?;
        }
        let sel = sel as u64 % 4;
        let mut f = vec![mix(1, sel), mix(8, bucket(whole.outcomes.len()))];
        f.push(mix(9, bucket(whole.left)));
        f.push(mix(10, (whole.hint > 0) as u64));
        let mut prev = 0;
        for o in &whole.outcomes {
            let kind = match o {
                Outcome::Command(a, n) => {
                    let longest = a.iter().map(|x| x.len()).max().unwrap_or(0);
                    f.extend([
                        mix(2, bucket(a.len())),
                        mix(3, bucket(longest)),
                        mix(4, bucket(*n)),
                    ]);
                    1
                }
                Outcome::Empty(n) => {
                    f.push(mix(5, bucket(*n)));
                    2
                }
                Outcome::Error(e) => {
                    let what = shape(e.split(", got").next().unwrap_or(e));
                    f.extend([mix(6, what), mix(7, mix(sel, what))]);
                    3
                }
            };
            f.push(mix(11, prev * 4 + kind));
            prev = kind;
        }
        Ok(f)
    }
}

/// A valid request: multibulk with random binary arguments, or inline with
/// quotes and escapes.
pub fn random_request(rng: &mut Rng) -> Vec<u8> {
    let mut out = Vec::new();
    if rng.one_in(3) {
        for w in 0..1 + rng.below(4) {
            if w > 0 {
                out.extend_from_slice(if rng.one_in(2) { b" " } else { b"\t " });
            }
            out.extend_from_slice(match rng.below(5) {
                0 => &b"\"a\\x41 \\n\\\"\""[..],
                1 => b"'q\\'x'",
                2 => b"\"\"",
                3 => b"SET",
                _ => b"word",
            });
        }
        out.extend_from_slice(if rng.one_in(2) { b"\r\n" } else { b"\n" });
    } else {
        let n = 1 + rng.below(5);
        out.extend_from_slice(format!("*{n}\r\n").as_bytes());
        for _ in 0..n {
            let len = if rng.one_in(10) {
                rng.below(300)
            } else {
                rng.below(12)
            };
            out.extend_from_slice(format!("${len}\r\n").as_bytes());
            out.extend(rng.bytes(len));
            out.extend_from_slice(b"\r\n");
        }
    }
    out
}
