//! Argument parsing shared by every family, with Redis's error texts.

use super::err;
use crate::resp::Reply;
use crate::store::value::parse_i64;

/// An integer argument ("ERR value is not an integer or out of range").
pub fn int(a: &[u8]) -> Result<i64, Reply> {
    parse_i64(a).ok_or_else(err::not_int)
}

/// A non-negative integer argument with a custom error text for negatives.
pub fn uint(a: &[u8], negative: &'static str) -> Result<u64, Reply> {
    let v = int(a)?;
    if v < 0 {
        return Err(Reply::err(negative));
    }
    Ok(v as u64)
}

/// A float argument as Redis's strtold-based parser accepts it: decimal or
/// exponent forms, "inf"/"+inf"/"-inf" (any case), no NaN, no spaces.
pub fn float(a: &[u8]) -> Result<f64, Reply> {
    parse_f64(a).ok_or_else(err::not_float)
}

pub fn parse_f64(a: &[u8]) -> Option<f64> {
    let s = std::str::from_utf8(a).ok()?;
    if s.is_empty() || s.starts_with(char::is_whitespace) || s.ends_with(char::is_whitespace) {
        return None;
    }
    let lower = s.to_ascii_lowercase();
    match lower.as_str() {
        "inf" | "+inf" | "infinity" | "+infinity" => return Some(f64::INFINITY),
        "-inf" | "-infinity" => return Some(f64::NEG_INFINITY),
        _ => {}
    }
    if lower.contains("nan") || lower.contains("inf") {
        return None;
    }
    let v: f64 = s.parse().ok()?;
    if v.is_nan() {
        None
    } else {
        Some(v)
    }
}

/// Case-insensitive comparison of an argument with an ASCII keyword.
pub fn is(a: &[u8], kw: &str) -> bool {
    a.eq_ignore_ascii_case(kw.as_bytes())
}

/// The argument as (lossy) UTF-8 text, for messages.
pub fn text(a: &[u8]) -> String {
    String::from_utf8_lossy(a).into_owned()
}

/// Lower-cased ASCII copy of an argument (command and option names).
pub fn lower(a: &[u8]) -> String {
    String::from_utf8_lossy(a).to_ascii_lowercase()
}

/// HSCAN/SSCAN/ZSCAN options after the cursor (`MATCH pattern`,
/// `COUNT n`), parsed as Redis's scanGenericCommand does.
pub struct ScanOpts<'a> {
    pub count: i64,
    /// None = match everything (also for a lone `*`).
    pub pattern: Option<&'a [u8]>,
}

impl ScanOpts<'_> {
    /// Whether `item` passes MATCH.
    pub fn keeps(&self, item: &[u8]) -> bool {
        self.pattern
            .is_none_or(|p| crate::glob::glob_match(p, item, false))
    }
}

/// Parses `args[from..]` as scan options; Err is the reply (a COUNT below 1
/// or an unknown option is `ERR syntax error`).
pub fn scan_opts(args: &[Vec<u8>], from: usize) -> Result<ScanOpts<'_>, Reply> {
    let mut o = ScanOpts {
        count: 10,
        pattern: None,
    };
    let mut i = from;
    while i < args.len() {
        let left = args.len() - i;
        if is(&args[i], "count") && left >= 2 {
            o.count = int(&args[i + 1])?;
            if o.count < 1 {
                return Err(err::syntax());
            }
        } else if is(&args[i], "match") && left >= 2 {
            let p = args[i + 1].as_slice();
            o.pattern = if p == b"*" { None } else { Some(p) };
        } else {
            return Err(err::syntax());
        }
        i += 2;
    }
    Ok(o)
}

/// The tail of LMPOP / ZMPOP and their blocking forms, from `at`:
/// `numkeys key [key ...] <where> [COUNT count]`, `side` parsing `<where>`
/// (LEFT|RIGHT, MIN|MAX). Returns the index of `<where>`, its parsed value
/// and the count (1 by default), with Redis's error texts.
pub fn mpop<W>(
    args: &[Vec<u8>],
    at: usize,
    side: impl Fn(&[u8]) -> Option<W>,
) -> Result<(usize, W, u64), Reply> {
    let numkeys = match parse_i64(&args[at]) {
        Some(v) if v >= 1 => v as u64,
        _ => return Err(Reply::err("ERR numkeys should be greater than 0")),
    };
    let where_idx = match numkeys.checked_add(at as u64 + 1) {
        Some(w) if w < args.len() as u64 => w as usize,
        _ => return Err(err::syntax()),
    };
    let w = side(&args[where_idx]).ok_or_else(err::syntax)?;
    let mut count: Option<u64> = None;
    let mut j = where_idx + 1;
    while j < args.len() {
        if count.is_none() && is(&args[j], "count") && j + 1 < args.len() {
            j += 1;
            count = match parse_i64(&args[j]) {
                Some(v) if v >= 1 => Some(v as u64),
                _ => return Err(Reply::err("ERR count should be greater than 0")),
            };
        } else {
            return Err(err::syntax());
        }
        j += 1;
    }
    Ok((where_idx, w, count.unwrap_or(1)))
}
