//! Redis-compatible glob matching (a port of Redis 7 `stringmatchlen`).
//!
//! Semantics mirror `util.c` exactly, including its quirks:
//! * `*` matches any run of bytes, `?` any single byte, `\x` the literal `x`.
//! * `[abc]`, `[^abc]`, `[a-z]` classes; reversed ranges (`[z-a]`) are allowed,
//!   `\x` inside a class matches `x` literally (case-sensitively even with
//!   `nocase`), an unterminated class (`[abc`) behaves as if closed at the end
//!   of the pattern, `[]` never matches and `[^]` matches any byte.
//! * Range bounds are compared as C `char` (signed, as on x86-64 Linux) and,
//!   with `nocase`, passed through glibc's `tolower` (which maps negative
//!   chars other than -1 to their unsigned value) -- verified differentially
//!   against the C code compiled with gcc/glibc.
//! * A trailing lone backslash matches a literal backslash.
//! * A pattern never matches an empty string unless the pattern is empty too:
//!   `glob_match(b"*", b"", false)` is `false`, as in Redis (KEYS / SCAN
//!   special-case the `*` pattern before ever calling the matcher).
//! * Exponential backtracking protection: once the tail after a `*` failed to
//!   match at every position, outer `*`s stop trying longer matches
//!   (`skipLongerMatches`), and recursion deeper than 1000 levels fails.

/// Returns true when `string` matches the glob `pattern` (Redis semantics).
pub fn glob_match(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    let mut skip_longer = false;
    match_impl(pattern, string, nocase, &mut skip_longer, 0)
}

/// glibc `tolower` in the "C" locale applied to a (signed) C `char`: ASCII
/// upper-case letters are lowered, and negative chars other than -1 (`EOF`)
/// come back as their `unsigned char` value (glibc's table covers -128..255).
/// Only matters for `nocase` ranges whose bounds or subject byte are >= 0x80.
#[inline]
fn lower(c: i32) -> i32 {
    match c {
        65..=90 => c + 32,
        -128..=-2 => c + 256,
        _ => c,
    }
}

/// Byte as a C (signed) `char` promoted to int.
#[inline]
fn schar(b: u8) -> i32 {
    b as i8 as i32
}

#[inline]
fn eq_byte(a: u8, b: u8, nocase: bool) -> bool {
    if nocase {
        a.eq_ignore_ascii_case(&b)
    } else {
        a == b
    }
}

fn match_impl(
    pattern: &[u8],
    string: &[u8],
    nocase: bool,
    skip_longer: &mut bool,
    nesting: u32,
) -> bool {
    // Protection against abusive patterns.
    if nesting > 1000 {
        return false;
    }
    let (mut p, mut s) = (0usize, 0usize);
    let (plen, slen) = (pattern.len(), string.len());

    while p < plen && s < slen {
        match pattern[p] {
            b'*' => {
                while p + 1 < plen && pattern[p + 1] == b'*' {
                    p += 1;
                }
                if p + 1 == plen {
                    return true;
                }
                while s < slen {
                    if match_impl(
                        &pattern[p + 1..],
                        &string[s..],
                        nocase,
                        skip_longer,
                        nesting + 1,
                    ) {
                        return true;
                    }
                    if *skip_longer {
                        return false;
                    }
                    s += 1;
                }
                // The rest of the pattern matches nowhere in the rest of the
                // string: longer matches for earlier stars cannot help.
                *skip_longer = true;
                return false;
            }
            b'?' => s += 1,
            b'[' => {
                p += 1;
                let not = p < plen && pattern[p] == b'^';
                if not {
                    p += 1;
                }
                let c = string[s];
                let mut matched = false;
                loop {
                    let rem = plen - p;
                    if rem >= 2 && pattern[p] == b'\\' {
                        p += 1;
                        if pattern[p] == c {
                            matched = true;
                        }
                    } else if rem == 0 {
                        // Unterminated class: step back so the common
                        // advance below lands exactly at the pattern end.
                        p -= 1;
                        break;
                    } else if pattern[p] == b']' {
                        break;
                    } else if rem >= 3 && pattern[p + 1] == b'-' {
                        let mut start = schar(pattern[p]);
                        let mut end = schar(pattern[p + 2]);
                        let mut ch = schar(c);
                        if start > end {
                            std::mem::swap(&mut start, &mut end);
                        }
                        if nocase {
                            start = lower(start);
                            end = lower(end);
                            ch = lower(ch);
                        }
                        p += 2;
                        if ch >= start && ch <= end {
                            matched = true;
                        }
                    } else if eq_byte(pattern[p], c, nocase) {
                        matched = true;
                    }
                    p += 1;
                }
                if not {
                    matched = !matched;
                }
                if !matched {
                    return false;
                }
                s += 1;
            }
            b => {
                let lit = if b == b'\\' && plen - p >= 2 {
                    p += 1;
                    pattern[p]
                } else {
                    b
                };
                if !eq_byte(lit, string[s], nocase) {
                    return false;
                }
                s += 1;
            }
        }
        p += 1;
        if s == slen {
            while p < plen && pattern[p] == b'*' {
                p += 1;
            }
            break;
        }
    }
    p == plen && s == slen
}

#[cfg(test)]
mod tests {
    use super::glob_match;
    use std::time::{Duration, Instant};

    fn m(p: &str, s: &str) -> bool {
        glob_match(p.as_bytes(), s.as_bytes(), false)
    }
    fn mi(p: &str, s: &str) -> bool {
        glob_match(p.as_bytes(), s.as_bytes(), true)
    }

    #[test]
    fn literal() {
        assert!(m("hello", "hello"));
        assert!(!m("hello", "hell"));
        assert!(!m("hell", "hello"));
        assert!(!m("hello", "Hello"));
        assert!(m("", ""));
        assert!(!m("", "a"));
        assert!(!m("a", ""));
    }

    #[test]
    fn star() {
        assert!(m("*", "anything"));
        assert!(m("*", "a"));
        assert!(m("h*o", "hello"));
        assert!(m("h*o", "ho"));
        assert!(m("h*", "h"));
        assert!(m("h**", "h"));
        assert!(m("*o", "hello"));
        assert!(!m("*x", "hello"));
        assert!(m("*l*", "hello"));
        assert!(m("a*b*c", "aXXbYYc"));
        assert!(!m("a*b*c", "aXXbYY"));
        assert!(m("***a", "bbba"));
        assert!(m("*a*", "a"));
    }

    #[test]
    fn star_vs_empty_string_is_redis_quirk() {
        // Redis's loop never runs for an empty subject, so only the empty
        // pattern matches the empty string.
        assert!(!m("*", ""));
        assert!(!m("**", ""));
        assert!(!m("?", ""));
        assert!(!m("[a]", ""));
        assert!(m("", ""));
    }

    #[test]
    fn question() {
        assert!(m("h?llo", "hello"));
        assert!(m("h?llo", "hallo"));
        assert!(!m("h?llo", "hllo"));
        assert!(m("???", "abc"));
        assert!(!m("???", "ab"));
        assert!(m("?*", "a"));
    }

    #[test]
    fn classes() {
        assert!(m("h[ae]llo", "hello"));
        assert!(m("h[ae]llo", "hallo"));
        assert!(!m("h[ae]llo", "hillo"));
        assert!(m("h[^e]llo", "hallo"));
        assert!(!m("h[^e]llo", "hello"));
        assert!(m("h[a-b]llo", "hbllo"));
        assert!(!m("h[a-b]llo", "hcllo"));
        assert!(m("[0-9]", "5"));
        assert!(m("[a-z0-9]x", "7x"));
        assert!(!m("[^a-z]", "q"));
        assert!(m("[^a-z]", "Q"));
        // Reversed range.
        assert!(m("[z-a]", "m"));
        assert!(!m("[z-a]", "M"));
        // "[a-]" is the (reversed) range ']'..'a', then unterminated.
        assert!(m("[a-]", "]"));
        assert!(m("[a-]", "_"));
        assert!(m("[a-]", "a"));
        assert!(!m("[a-]", "b"));
        assert!(!m("[a-]", "-"));
        // Leading '-'.
        assert!(m("[-a]", "-"));
        // Escapes inside classes.
        assert!(m("[\\]]", "]"));
        assert!(m("[\\-]", "-"));
        assert!(m("[\\^a]", "^"));
        assert!(!m("[\\]]", "\\"));
        // Empty class never matches, negated empty class matches anything.
        assert!(!m("[]", "a"));
        assert!(m("[^]", "a"));
        assert!(!m("[]a", "a"));
    }

    #[test]
    fn unterminated_class() {
        // Treated as closed at the end of the pattern.
        assert!(m("[abc", "a"));
        assert!(m("[abc", "c"));
        assert!(!m("[abc", "d"));
        assert!(!m("[abc", "ab"));
        assert!(!m("x[", "x"));
        assert!(!m("[", "a"));
        assert!(!m("[", ""));
        assert!(m("[^", "a"));
        // "[a-" : rem at 'a' is 2, so no range: literal 'a' and '-'.
        assert!(m("[a-", "a"));
        assert!(m("[a-", "-"));
        assert!(!m("[a-", "b"));
        // trailing backslash inside unterminated class is a literal.
        assert!(m("[\\", "\\"));
    }

    #[test]
    fn escapes() {
        assert!(m("\\*", "*"));
        assert!(!m("\\*", "a"));
        assert!(m("\\?", "?"));
        assert!(!m("\\?", "a"));
        assert!(m("\\[a]", "[a]"));
        assert!(m("a\\\\b", "a\\b"));
        assert!(m("\\a", "a"));
        // Trailing backslash matches a literal backslash.
        assert!(m("a\\", "a\\"));
        assert!(!m("a\\", "a"));
        assert!(m("\\", "\\"));
    }

    #[test]
    fn nocase() {
        assert!(mi("HeLLo", "hello"));
        assert!(!m("HeLLo", "hello"));
        assert!(mi("h[A-C]llo", "hbllo"));
        assert!(mi("h[a-c]llo", "HBLLO"));
        assert!(mi("[ABC]", "b"));
        assert!(mi("[^ABC]", "d"));
        assert!(!mi("[^ABC]", "b"));
        assert!(mi("h?LLO*", "hello world"));
        assert!(mi("\\H", "h"));
        // Escapes inside a class stay case-sensitive (as Redis).
        assert!(!mi("[\\A]", "a"));
        assert!(mi("[\\A]", "A"));
        // Non-ASCII bytes are never case-folded.
        assert!(!glob_match(&[0xC4], &[0xE4], true));
        assert!(glob_match(&[0xC4], &[0xC4], true));
    }

    #[test]
    fn nocase_range_lowers_after_swap() {
        // Redis swaps first, then lowercases: [Z-a] -> start 'z', end 'a'.
        assert!(!mi("[Z-a]", "_"));
        assert!(m("[Z-a]", "_"));
    }

    #[test]
    fn signed_char_ranges() {
        // Bytes >= 0x80 are negative as C chars: [a-\xff] is [-1, 'a'].
        let pat = [b'[', b'a', b'-', 0xFF, b']'];
        assert!(glob_match(&pat, b"A", false));
        assert!(glob_match(&pat, &[0xFF], false));
        assert!(!glob_match(&pat, &[0x80], false));
        assert!(!glob_match(&pat, b"b", false));
        let pat = [b'[', 0x80, b'-', 0xFF, b']'];
        assert!(glob_match(&pat, &[0x90], false));
        assert!(!glob_match(&pat, b"a", false));
    }

    #[test]
    fn nocase_high_byte_ranges_follow_glibc_tolower() {
        // [\x80-a]: bounds -128..97 as signed chars; with nocase glibc's
        // tolower turns -128 into 128, so the range becomes empty.
        let pat = [b'[', 0x80, b'-', b'a', b']'];
        assert!(glob_match(&pat, b"_", false));
        assert!(!glob_match(&pat, b"_", true));
        // 0xff is -1 == EOF and stays -1.
        let pat = [b'[', 0xff, b'-', b'a', b']'];
        assert!(glob_match(&pat, b"_", true));
        assert!(glob_match(&pat, &[0xff], true));
    }

    #[test]
    fn binary_safe() {
        assert!(glob_match(b"a\0*", b"a\0bc", false));
        assert!(glob_match(b"?\0", b"\xff\0", false));
        assert!(!glob_match(b"a\0", b"a", false));
        assert!(glob_match(b"[\0-\x05]", b"\x03", false));
    }

    #[test]
    fn pathological_backtracking_is_fast() {
        let s = vec![b'a'; 10_000];
        let start = Instant::now();
        assert!(!glob_match(b"a*a*a*a*a*a*a*a*a*a*b", &s, false));
        assert!(!glob_match(
            b"*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b",
            &s,
            false
        ));
        assert!(!glob_match(b"a*a*a*a*a*a*a*a*a*a*b", &s, true));
        assert!(glob_match(b"a*a*a*a*a*a*a*a*a*a*", &s, false));
        assert!(glob_match(b"a*a*a*a*a*a*a*a*a*a*a", &s, false));
        assert!(start.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn nesting_limit() {
        // 1001 stars separated by literals nest deeper than 1000: no match even
        // though a naive matcher would say yes.
        let mut pat = Vec::new();
        for _ in 0..1002 {
            pat.extend_from_slice(b"a*");
        }
        let s = vec![b'a'; 1100];
        assert!(!glob_match(&pat, &s, false));
        // Below the limit it matches.
        let mut pat = Vec::new();
        for _ in 0..500 {
            pat.extend_from_slice(b"a*");
        }
        assert!(glob_match(&pat, &s, false));
    }

    #[test]
    fn trailing_stars_after_exhausted_string() {
        assert!(m("abc*", "abc"));
        assert!(m("abc***", "abc"));
        assert!(!m("abc*d", "abc"));
        assert!(!m("abc*?", "abc"));
    }
}
