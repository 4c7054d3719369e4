//! Helpers for the string family: decimal text of integers without
//! allocating, and a software model of the x86-64 `long double` (80-bit x87
//! extended precision: 64-bit mantissa, 15-bit exponent) that INCRBYFLOAT
//! needs to answer byte-for-byte like Redis, which parses with `strtold`,
//! adds in `long double` and prints with `"%.17Lf"` before trimming zeros.
//!
//! The model is exact: parsing rounds the decimal (or hex) text correctly to
//! 64 mantissa bits, addition rounds the exact sum, and printing rounds the
//! exact binary value to 17 decimals (ties to even, like glibc). It uses a
//! tiny unsigned big integer, so any value `long double` can hold works
//! (1e4000, 1e-4900, ...), not only the common ones.

use std::cmp::Ordering;

pub use crate::resp::reply::fmt_i64;

/// Minimal unsigned big integer: little-endian 64-bit limbs, no trailing
/// zero limbs.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Big(Vec<u64>);

impl Big {
    fn from_u128(v: u128) -> Big {
        let mut b = Big(vec![v as u64, (v >> 64) as u64]);
        b.trim();
        b
    }

    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }

    fn is_zero(&self) -> bool {
        self.0.is_empty()
    }

    fn bits(&self) -> u64 {
        match self.0.last() {
            None => 0,
            Some(&top) => (self.0.len() as u64 - 1) * 64 + (64 - top.leading_zeros() as u64),
        }
    }

    fn bit(&self, i: u64) -> bool {
        let (l, b) = ((i / 64) as usize, i % 64);
        l < self.0.len() && (self.0[l] >> b) & 1 == 1
    }

    /// Whether any bit below position `i` is set.
    fn any_below(&self, i: u64) -> bool {
        let (l, b) = ((i / 64) as usize, i % 64);
        for (k, &limb) in self.0.iter().enumerate() {
            if k < l {
                if limb != 0 {
                    return true;
                }
            } else if k == l {
                return b > 0 && limb & ((1u64 << b) - 1) != 0;
            } else {
                break;
            }
        }
        false
    }

    fn shl(&self, n: u64) -> Big {
        if self.is_zero() {
            return Big(Vec::new());
        }
        let (limbs, b) = ((n / 64) as usize, n % 64);
        let mut v = vec![0u64; limbs];
        let mut carry = 0u64;
        for &x in &self.0 {
            if b == 0 {
                v.push(x);
            } else {
                v.push((x << b) | carry);
                carry = x >> (64 - b);
            }
        }
        if carry != 0 {
            v.push(carry);
        }
        let mut r = Big(v);
        r.trim();
        r
    }

    /// The low 64 bits of `self >> n`.
    fn shr_u64(&self, n: u64) -> u64 {
        let (l, b) = ((n / 64) as usize, n % 64);
        let lo = self.0.get(l).copied().unwrap_or(0);
        let hi = self.0.get(l + 1).copied().unwrap_or(0);
        if b == 0 {
            lo
        } else {
            (lo >> b) | (hi << (64 - b))
        }
    }

    fn mul_small(&mut self, m: u64) {
        let mut carry = 0u128;
        for x in self.0.iter_mut() {
            let t = *x as u128 * m as u128 + carry;
            *x = t as u64;
            carry = t >> 64;
        }
        if carry != 0 {
            self.0.push(carry as u64);
        }
        self.trim();
    }

    fn add_small(&mut self, a: u64) {
        let mut carry = a;
        for x in self.0.iter_mut() {
            if carry == 0 {
                return;
            }
            let (s, o) = x.overflowing_add(carry);
            *x = s;
            carry = o as u64;
        }
        if carry != 0 {
            self.0.push(carry);
        }
    }

    fn add(&self, o: &Big) -> Big {
        let n = self.0.len().max(o.0.len());
        let mut v = Vec::with_capacity(n + 1);
        let mut carry = 0u64;
        for i in 0..n {
            let a = self.0.get(i).copied().unwrap_or(0);
            let b = o.0.get(i).copied().unwrap_or(0);
            let (s1, o1) = a.overflowing_add(b);
            let (s2, o2) = s1.overflowing_add(carry);
            v.push(s2);
            carry = (o1 || o2) as u64;
        }
        if carry != 0 {
            v.push(carry);
        }
        Big(v)
    }

    /// `self - o`; requires `self >= o`.
    fn sub(&self, o: &Big) -> Big {
        let mut v = Vec::with_capacity(self.0.len());
        let mut borrow = 0u64;
        for i in 0..self.0.len() {
            let a = self.0[i];
            let b = o.0.get(i).copied().unwrap_or(0);
            let (d1, o1) = a.overflowing_sub(b);
            let (d2, o2) = d1.overflowing_sub(borrow);
            v.push(d2);
            borrow = (o1 || o2) as u64;
        }
        let mut r = Big(v);
        r.trim();
        r
    }

    fn cmp(&self, o: &Big) -> Ordering {
        self.0
            .len()
            .cmp(&o.0.len())
            .then_with(|| self.0.iter().rev().cmp(o.0.iter().rev()))
    }

    /// Divides in place by `d`, returning the remainder.
    fn divmod_small(&mut self, d: u64) -> u64 {
        let mut rem = 0u128;
        for x in self.0.iter_mut().rev() {
            let cur = (rem << 64) | *x as u128;
            *x = (cur / d as u128) as u64;
            rem = cur % d as u128;
        }
        self.trim();
        rem as u64
    }

    fn pow10(n: u64) -> Big {
        let mut b = Big(vec![1]);
        let mut left = n;
        while left > 0 {
            let k = left.min(19);
            b.mul_small(10u64.pow(k as u32));
            left -= k;
        }
        b
    }

    /// `(self / d, self % d != 0)` for a quotient known to be below 2^127.
    fn div_small_quotient(&self, d: &Big) -> (u128, bool) {
        if self.cmp(d) == Ordering::Less {
            return (0, !self.is_zero());
        }
        let qb = self.bits() - d.bits() + 1;
        debug_assert!(qb < 127);
        let mut r = self.clone();
        let mut q = 0u128;
        for i in (0..qb).rev() {
            let t = d.shl(i);
            if r.cmp(&t) != Ordering::Less {
                r = r.sub(&t);
                q |= 1u128 << i;
            }
        }
        (q, !r.is_zero())
    }

    fn to_decimal(&self) -> String {
        if self.is_zero() {
            return "0".into();
        }
        let mut x = self.clone();
        let mut chunks = Vec::new();
        while !x.is_zero() {
            chunks.push(x.divmod_small(10_000_000_000_000_000_000));
        }
        let mut s = chunks.pop().unwrap().to_string();
        for c in chunks.iter().rev() {
            s.push_str(&format!("{:019}", c));
        }
        s
    }
}

/// An x87 extended-precision number: `(-1)^neg * mant * 2^exp`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LongDouble {
    Finite { neg: bool, mant: u64, exp: i64 },
    Inf { neg: bool },
}

/// Smallest exponent of the unit in the last place (subnormals included):
/// 2^-16445 is the smallest positive x87 extended value.
const MIN_EXP: i64 = -16445;
/// Largest unbiased exponent of a finite value.
const MAX_UNBIASED: i64 = 16383;

impl LongDouble {
    pub const ZERO: LongDouble = LongDouble::Finite {
        neg: false,
        mant: 0,
        exp: 0,
    };

    pub fn is_finite(&self) -> bool {
        matches!(self, LongDouble::Finite { .. })
    }

    /// Rounds `n * 2^e` (plus `sticky`: something nonzero below it) to the
    /// nearest value, ties to even. Returns Inf on overflow.
    fn round(neg: bool, n: &Big, e: i64, sticky: bool) -> LongDouble {
        if n.is_zero() {
            return LongDouble::Finite {
                neg,
                mant: 0,
                exp: 0,
            };
        }
        let bits = n.bits() as i64;
        let mut shift = bits - 64;
        if e + shift < MIN_EXP {
            shift = MIN_EXP - e;
        }
        let (mut mant, mut exp);
        if shift <= 0 {
            mant = n.shr_u64(0) << (-shift) as u32;
            exp = e + shift;
        } else {
            let s = shift as u64;
            mant = if s >= n.bits() { 0 } else { n.shr_u64(s) };
            exp = e + shift;
            let half = n.bit(s - 1);
            let rest = sticky || n.any_below(s - 1);
            if half && (rest || mant & 1 == 1) {
                let (m, o) = mant.overflowing_add(1);
                if o {
                    mant = 1 << 63;
                    exp += 1;
                } else {
                    mant = m;
                }
            }
        }
        if mant == 0 {
            return LongDouble::Finite {
                neg,
                mant: 0,
                exp: 0,
            };
        }
        if exp + 63 > MAX_UNBIASED {
            return LongDouble::Inf { neg };
        }
        LongDouble::Finite { neg, mant, exp }
    }

    /// Parses like Redis's `string2ld`: `strtold` on the whole text, no
    /// leading space, no trailing garbage, no NaN, and no overflow or
    /// underflow to zero. Accepts decimal, hex (`0x1.8p3`) and inf forms.
    pub fn parse(s: &[u8]) -> Option<LongDouble> {
        // MAX_LONG_DOUBLE_CHARS is 5k in Redis.
        if s.is_empty() || s.len() >= 5 * 1024 {
            return None;
        }
        let (neg, rest) = match s[0] {
            b'-' => (true, &s[1..]),
            b'+' => (false, &s[1..]),
            _ => (false, s),
        };
        let lower = rest.to_ascii_lowercase();
        if lower == b"inf" || lower == b"infinity" {
            return Some(LongDouble::Inf { neg });
        }
        if lower.len() > 2 && lower.starts_with(b"0x") {
            return parse_hex(neg, &rest[2..]);
        }
        parse_dec(neg, rest)
    }

    /// `self + o`, rounded like the FPU does (round to nearest even).
    pub fn plus(self, o: LongDouble) -> LongDouble {
        match (self, o) {
            (LongDouble::Inf { neg: a }, LongDouble::Inf { neg: b }) if a != b => {
                LongDouble::Inf { neg: a }
            } // NaN in C; callers reject both
            (LongDouble::Inf { neg }, _) | (_, LongDouble::Inf { neg }) => LongDouble::Inf { neg },
            (
                LongDouble::Finite {
                    neg: an,
                    mant: am,
                    exp: ae,
                },
                LongDouble::Finite {
                    neg: bn,
                    mant: bm,
                    exp: be,
                },
            ) => {
                if am == 0 && bm == 0 {
                    return LongDouble::Finite {
                        neg: an && bn,
                        mant: 0,
                        exp: 0,
                    };
                }
                if am == 0 {
                    return o;
                }
                if bm == 0 {
                    return self;
                }
                let e = ae.min(be);
                let na = Big::from_u128(am as u128).shl((ae - e) as u64);
                let nb = Big::from_u128(bm as u128).shl((be - e) as u64);
                if an == bn {
                    return LongDouble::round(an, &na.add(&nb), e, false);
                }
                match na.cmp(&nb) {
                    Ordering::Equal => LongDouble::ZERO,
                    Ordering::Greater => LongDouble::round(an, &na.sub(&nb), e, false),
                    Ordering::Less => LongDouble::round(bn, &nb.sub(&na), e, false),
                }
            }
        }
    }

    /// Redis's `ld2string(.., LD_STR_HUMAN)`: `"%.17Lf"`, trailing zeros
    /// (and a bare '.') removed, "-0" turned into "0".
    pub fn to_human(self) -> String {
        let (neg, mant, exp) = match self {
            LongDouble::Inf { neg } => return if neg { "-inf".into() } else { "inf".into() },
            LongDouble::Finite { neg, mant, exp } => (neg, mant, exp),
        };
        // x = round(mant * 10^17 * 2^exp), ties to even.
        let mut t = Big::pow10(17);
        t.mul_small(mant);
        let x = if exp >= 0 {
            t.shl(exp as u64)
        } else {
            let s = (-exp) as u64;
            let bits = t.bits();
            let mut q = if s >= bits {
                Big(Vec::new())
            } else {
                shr_big(&t, s)
            };
            let half = s >= 1 && t.bit(s - 1);
            let rest = s >= 2 && t.any_below(s - 1);
            if half && (rest || q.bit(0)) {
                q.add_small(1);
            }
            q
        };
        let digits = x.to_decimal();
        let digits = if digits.len() < 18 {
            format!("{}{}", "0".repeat(18 - digits.len()), digits)
        } else {
            digits
        };
        let (int, frac) = digits.split_at(digits.len() - 17);
        let frac = frac.trim_end_matches('0');
        let mut out = String::with_capacity(digits.len() + 2);
        if neg {
            out.push('-');
        }
        out.push_str(int);
        if !frac.is_empty() {
            out.push('.');
            out.push_str(frac);
        }
        if out == "-0" {
            out = "0".into();
        }
        out
    }
}

fn shr_big(b: &Big, n: u64) -> Big {
    let (l, s) = ((n / 64) as usize, n % 64);
    if l >= b.0.len() {
        return Big(Vec::new());
    }
    let src = &b.0[l..];
    let mut v = Vec::with_capacity(src.len());
    for i in 0..src.len() {
        let lo = src[i];
        let hi = src.get(i + 1).copied().unwrap_or(0);
        v.push(if s == 0 {
            lo
        } else {
            (lo >> s) | (hi << (64 - s))
        });
    }
    let mut r = Big(v);
    r.trim();
    r
}

/// Parses an optional exponent "[eEpP][+-]digits" at the start of `s`;
/// returns (value saturated to ±1e9, bytes used). Without digits after the
/// letter nothing is consumed (like strtold).
fn parse_exponent(s: &[u8]) -> (i64, usize) {
    if s.len() < 2 {
        return (0, 0);
    }
    let (neg, start) = match s[1] {
        b'-' => (true, 2),
        b'+' => (false, 2),
        _ => (false, 1),
    };
    let mut i = start;
    let mut v: i64 = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        v = (v * 10 + (s[i] - b'0') as i64).min(1_000_000_000);
        i += 1;
    }
    if i == start {
        return (0, 0);
    }
    (if neg { -v } else { v }, i)
}

fn parse_dec(neg: bool, s: &[u8]) -> Option<LongDouble> {
    let mut m = Big(Vec::new());
    let mut sig_digits: i64 = 0; // digits in m (after leading zeros)
    let mut frac_digits: i64 = 0;
    let mut any = false;
    let mut i = 0;
    let mut seen_dot = false;
    let mut chunk = 0u64;
    let mut chunk_len = 0u32;
    while i < s.len() {
        let c = s[i];
        if c.is_ascii_digit() {
            any = true;
            if seen_dot {
                frac_digits += 1;
            }
            if sig_digits > 0 || c != b'0' {
                sig_digits += 1;
                chunk = chunk * 10 + (c - b'0') as u64;
                chunk_len += 1;
                if chunk_len == 19 {
                    m.mul_small(10u64.pow(19));
                    m.add_small(chunk);
                    chunk = 0;
                    chunk_len = 0;
                }
            }
        } else if c == b'.' && !seen_dot {
            seen_dot = true;
        } else {
            break;
        }
        i += 1;
    }
    if !any {
        return None;
    }
    if chunk_len > 0 {
        m.mul_small(10u64.pow(chunk_len));
        m.add_small(chunk);
    }
    let mut e10 = -frac_digits;
    if i < s.len() && (s[i] == b'e' || s[i] == b'E') {
        let (e, used) = parse_exponent(&s[i..]);
        e10 += e;
        i += used;
    }
    if i != s.len() {
        return None;
    }
    if m.is_zero() {
        return Some(LongDouble::Finite {
            neg,
            mant: 0,
            exp: 0,
        });
    }
    // Decimal magnitude: the value lies in [10^(mag-1), 10^mag).
    let mag = sig_digits + e10;
    if mag > 4934 {
        return None; // overflow (ERANGE, HUGE_VAL)
    }
    if mag < -4960 {
        return None; // underflow to zero (ERANGE)
    }
    let r = if e10 >= 0 {
        let mut n = m;
        let p = Big::pow10(e10 as u64);
        n = mul_big(&n, &p);
        LongDouble::round(neg, &n, 0, false)
    } else {
        let d = Big::pow10((-e10) as u64);
        let s = 67 + d.bits() as i64 - m.bits() as i64;
        let num = if s > 0 { m.shl(s as u64) } else { m };
        let den = if s < 0 { d.shl((-s) as u64) } else { d };
        let (q, sticky) = num.div_small_quotient(&den);
        LongDouble::round(neg, &Big::from_u128(q), -s, sticky)
    };
    match r {
        LongDouble::Inf { .. } => None,
        LongDouble::Finite { mant: 0, .. } => None, // underflow to zero
        f => Some(f),
    }
}

fn parse_hex(neg: bool, s: &[u8]) -> Option<LongDouble> {
    let mut m = Big(Vec::new());
    let mut frac_digits: i64 = 0;
    let mut any = false;
    let mut seen_dot = false;
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        if let Some(d) = (c as char).to_digit(16) {
            any = true;
            if seen_dot {
                frac_digits += 1;
            }
            if !m.is_zero() || d != 0 {
                m.mul_small(16);
                m.add_small(d as u64);
            } else if seen_dot {
                // leading fractional zeros still scale the value
            }
        } else if c == b'.' && !seen_dot {
            seen_dot = true;
        } else {
            break;
        }
        i += 1;
    }
    if !any {
        return None; // strtold reads "0" and stops at 'x'
    }
    let mut e2 = -4 * frac_digits;
    if i < s.len() && (s[i] == b'p' || s[i] == b'P') {
        let (e, used) = parse_exponent(&s[i..]);
        e2 += e;
        i += used;
    }
    if i != s.len() {
        return None;
    }
    if m.is_zero() {
        return Some(LongDouble::Finite {
            neg,
            mant: 0,
            exp: 0,
        });
    }
    let top = m.bits() as i64 + e2;
    if !(MIN_EXP - 2..=MAX_UNBIASED + 2).contains(&top) {
        return None;
    }
    match LongDouble::round(neg, &m, e2, false) {
        LongDouble::Inf { .. } => None,
        LongDouble::Finite { mant: 0, .. } => None,
        f => Some(f),
    }
}

fn mul_big(a: &Big, b: &Big) -> Big {
    if a.is_zero() || b.is_zero() {
        return Big(Vec::new());
    }
    let mut v = vec![0u64; a.0.len() + b.0.len()];
    for (i, &x) in a.0.iter().enumerate() {
        let mut carry = 0u128;
        for (j, &y) in b.0.iter().enumerate() {
            let t = v[i + j] as u128 + x as u128 * y as u128 + carry;
            v[i + j] = t as u64;
            carry = t >> 64;
        }
        let mut k = i + b.0.len();
        while carry != 0 {
            let t = v[k] as u128 + carry;
            v[k] = t as u64;
            carry = t >> 64;
            k += 1;
        }
    }
    let mut r = Big(v);
    r.trim();
    r
}

/// INCRBYFLOAT's arithmetic on the stored text and the increment: Ok(new
/// text), or Err(true) for an invalid float, Err(false) for NaN/Infinity.
pub fn incr_by_float(cur: &[u8], incr: &[u8]) -> Result<String, bool> {
    let a = LongDouble::parse(cur).ok_or(true)?;
    let b = LongDouble::parse(incr).ok_or(true)?;
    if !a.is_finite() || !b.is_finite() {
        return Err(false);
    }
    let r = a.plus(b);
    if !r.is_finite() {
        return Err(false);
    }
    Ok(r.to_human())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inc(a: &str, b: &str) -> String {
        incr_by_float(a.as_bytes(), b.as_bytes()).unwrap()
    }

    #[test]
    fn like_redis() {
        // Expected texts taken from redis-server 7.0.15 on x86-64.
        assert_eq!(inc("10.5", "0.1"), "10.6");
        assert_eq!(inc("0.1", "0.2"), "0.3");
        assert_eq!(inc("1000.1", "0.1"), "1000.19999999999999996");
        assert_eq!(inc("123456.789", "0.001"), "123456.78999999999999915");
        assert_eq!(inc("5.0e3", "2.0e2"), "5200");
        assert_eq!(inc("0", "0x10"), "16");
        assert_eq!(inc("0", "0x1.8p3"), "12");
        assert_eq!(inc("12", "-0x1p-70"), "12");
        assert_eq!(inc("0.000003814697265625", "0"), "0.00000381469726562");
        assert_eq!(inc("0", "1e-17"), "0.00000000000000001");
        assert_eq!(inc("1e-17", "-2e-17"), "-0.00000000000000001");
        assert_eq!(inc("0", "1e-400"), "0");
        assert_eq!(inc("0", "-0.0"), "0");
        assert_eq!(inc("0", ".5"), "0.5");
        assert_eq!(inc("0.5", "5."), "5.5");
        assert_eq!(inc("5.5", "+5"), "10.5");
        assert!(inc("0", "1e300").starts_with(
            "10000000000000000000089973240795591938705239442732907479382600823212656465961809"
        ));
        assert_eq!(incr_by_float(b"1e", b"1"), Err(true));
        assert_eq!(incr_by_float(b"1", b"nan"), Err(true));
        assert_eq!(incr_by_float(b"1", b" 1"), Err(true));
        assert_eq!(incr_by_float(b"1", b"1 "), Err(true));
        assert_eq!(incr_by_float(b"1", b""), Err(true));
        assert_eq!(incr_by_float(b"1", b"0x"), Err(true));
        assert_eq!(incr_by_float(b"1", b"1e99999"), Err(true));
        assert_eq!(incr_by_float(b"1", b"1e-99999"), Err(true));
        assert_eq!(incr_by_float(b"1", b"infinity"), Err(false));
        assert_eq!(incr_by_float(b"-inf", b"1"), Err(false));
    }

    #[test]
    fn ints() {
        let mut b = [0u8; 20];
        assert_eq!(fmt_i64(0, &mut b), b"0");
        assert_eq!(fmt_i64(i64::MIN, &mut b), b"-9223372036854775808");
        assert_eq!(fmt_i64(i64::MAX, &mut b), b"9223372036854775807");
    }
}
