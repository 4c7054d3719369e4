//! Reply formatting exactly as redis-cli does it (`cliFormatReplyTTY` and
//! `cliFormatReplyRaw`), its string quoting (`sdscatrepr`) and its
//! interactive argument splitting (`sdssplitargs`).

use crate::resp::Reply;

/// How replies are printed: the terminal form (`1) "a"`) or `--raw`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    Standard,
    Raw,
}

/// `s` in double quotes, escaping `"` `\` and control bytes, and writing
/// every byte outside printable ASCII as `\xHH` (redis-cli's `sdscatrepr`).
pub fn repr(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for &b in s {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            7 => out.push_str("\\a"),
            8 => out.push_str("\\b"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{:02x}", b)),
        }
    }
    out.push('"');
    out
}

/// The reply as printed by `mode`, including its final newline.
pub fn format(r: &Reply, mode: Output) -> Vec<u8> {
    match mode {
        Output::Standard => tty(r, ""),
        Output::Raw => {
            let mut out = raw(r);
            out.push(b'\n');
            out
        }
    }
}

/// Commands whose reply is text meant to be shown as it is, even on a
/// terminal (redis-cli's list: INFO, CLIENT LIST, LATENCY DOCTOR, ...).
fn shown_verbatim(argv: &[Vec<u8>]) -> bool {
    let w: Vec<String> = argv
        .iter()
        .take(2)
        .map(|a| String::from_utf8_lossy(a).to_ascii_lowercase())
        .collect();
    let sub = w.get(1).map(|s| s.as_str()).unwrap_or("");
    let n = argv.len();
    match w.first().map(|s| s.as_str()).unwrap_or("") {
        "info" | "lolwut" => true,
        "debug" => matches!(sub, "htstats" | "htstats-key"),
        "memory" => matches!(sub, "malloc-stats" | "doctor"),
        "cluster" => n == 2 && matches!(sub, "nodes" | "info"),
        "client" => matches!(sub, "list" | "info"),
        "latency" => (n == 3 && sub == "graph") || (n == 2 && sub == "doctor"),
        _ => false,
    }
}

/// The reply to `argv` as printed by `mode`.
pub fn format_reply(argv: &[Vec<u8>], r: &Reply, mode: Output) -> Vec<u8> {
    if shown_verbatim(argv) {
        raw(r)
    } else {
        format(r, mode)
    }
}

/// An out-of-band RESP3 push: a client-tracking invalidation reads
/// `-> invalidate: 'k1', 'k2'` on a terminal (redis-cli's form); any other
/// push is formatted as a reply.
pub fn format_push(r: &Reply, mode: Output) -> Vec<u8> {
    if let (Output::Standard, Reply::Push(v)) = (mode, r) {
        if let [kind, Reply::Array(keys)] = v.as_slice() {
            if kind.as_bytes() == Some(b"invalidate") {
                let mut out = b"-> invalidate: ".to_vec();
                for (i, k) in keys.iter().enumerate() {
                    if i > 0 {
                        out.extend_from_slice(b", ");
                    }
                    out.push(b'\'');
                    out.extend_from_slice(k.as_bytes().unwrap_or_default());
                    out.push(b'\'');
                }
                out.push(b'\n');
                return out;
            }
        }
    }
    format(r, mode)
}

/// The terminal form; `prefix` is the indentation of nested elements.
pub fn tty(r: &Reply, prefix: &str) -> Vec<u8> {
    let mut out = Vec::new();
    match r {
        Reply::Error(e) => {
            out.extend_from_slice(b"(error) ");
            out.extend_from_slice(e);
            out.push(b'\n');
        }
        Reply::Status(s) | Reply::Verbatim(s) => {
            out.extend_from_slice(s);
            out.push(b'\n');
        }
        Reply::Int(n) => out.extend_from_slice(format!("(integer) {}\n", n).as_bytes()),
        Reply::Double(d) => out.extend_from_slice(format!("(double) {}\n", d).as_bytes()),
        Reply::BigNum(d) => out.extend_from_slice(format!("(big number) {}\n", d).as_bytes()),
        Reply::Bulk(s) => {
            out.extend_from_slice(repr(s).as_bytes());
            out.push(b'\n');
        }
        Reply::Nil => out.extend_from_slice(b"(nil)\n"),
        Reply::Bool(b) => out.extend_from_slice(if *b { b"(true)\n" } else { b"(false)\n" }),
        Reply::Array(v) | Reply::Set(v) | Reply::Push(v) => {
            if v.is_empty() {
                out.extend_from_slice(match r {
                    Reply::Array(_) => b"(empty array)\n" as &[u8],
                    Reply::Set(_) => b"(empty set)\n",
                    _ => b"(empty push)\n",
                });
            } else {
                let sep = if matches!(r, Reply::Set(_)) { '~' } else { ')' };
                let items: Vec<(&Reply, Option<&Reply>)> = v.iter().map(|e| (e, None)).collect();
                aggregate(&mut out, &items, sep, prefix);
            }
        }
        Reply::Map(kv) => {
            if kv.is_empty() {
                out.extend_from_slice(b"(empty hash)\n");
            } else {
                let items: Vec<(&Reply, Option<&Reply>)> =
                    kv.iter().map(|(k, v)| (k, Some(v))).collect();
                aggregate(&mut out, &items, '#', prefix);
            }
        }
    }
    out
}

/// Numbered elements: the index is right-aligned to the widest index, and
/// nested elements are indented by that width plus two.
fn aggregate(out: &mut Vec<u8>, items: &[(&Reply, Option<&Reply>)], sep: char, prefix: &str) {
    let width = items.len().to_string().len();
    let inner = format!("{}{}", prefix, " ".repeat(width + 2));
    for (i, (e, val)) in items.iter().enumerate() {
        // The caller already wrote the prefix of the first line.
        let p = if i == 0 { "" } else { prefix };
        out.extend_from_slice(format!("{}{:>w$}{} ", p, i + 1, sep, w = width).as_bytes());
        out.extend_from_slice(&tty(e, &inner));
        if let Some(v) = val {
            out.pop();
            out.extend_from_slice(b" => ");
            // A value of several lines starts on a line of its own.
            let value = tty(v, &inner);
            if value.iter().filter(|&&b| b == b'\n').count() > 1 {
                out.push(b'\n');
                out.extend_from_slice(inner.as_bytes());
            }
            out.extend_from_slice(&value);
        }
    }
}

/// The `--raw` form, without the final newline: strings as they are,
/// elements one per line, map entries as `key value`.
pub fn raw(r: &Reply) -> Vec<u8> {
    let mut out = Vec::new();
    match r {
        Reply::Nil => {}
        Reply::Error(e) => {
            out.extend_from_slice(e);
            out.push(b'\n');
        }
        Reply::Status(s) | Reply::Bulk(s) | Reply::Verbatim(s) => out.extend_from_slice(s),
        Reply::Bool(b) => out.extend_from_slice(if *b { b"(true)" } else { b"(false)" }),
        Reply::Int(n) => out.extend_from_slice(n.to_string().as_bytes()),
        Reply::Double(d) | Reply::BigNum(d) => out.extend_from_slice(d.as_bytes()),
        Reply::Array(v) | Reply::Set(v) | Reply::Push(v) => {
            for (i, e) in v.iter().enumerate() {
                if i > 0 {
                    out.push(b'\n');
                }
                out.extend_from_slice(&raw(e));
            }
        }
        Reply::Map(kv) => {
            for (i, (k, v)) in kv.iter().enumerate() {
                if i > 0 {
                    out.push(b'\n');
                }
                out.extend_from_slice(&raw(k));
                out.push(b' ');
                out.extend_from_slice(&raw(v));
            }
        }
    }
    out
}

/// Splits an interactive line into arguments like redis-cli: blanks
/// separate, `"..."` understands `\n \r \t \b \a \xHH` and `\<any>`,
/// `'...'` understands only `\'`. A closing quote must be followed by a
/// blank or the end. None for unbalanced quotes.
pub fn split_args(line: &str) -> Option<Vec<Vec<u8>>> {
    let b = line.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    let space = |c: u8| matches!(c, b' ' | b'\n' | b'\r' | b'\t' | 0x0b | 0x0c);
    let at = |j: usize| b.get(j).copied().unwrap_or(0);
    loop {
        while i < b.len() && space(b[i]) {
            i += 1;
        }
        if i >= b.len() {
            return Some(out);
        }
        let (mut inq, mut insq) = (false, false);
        let mut cur = Vec::new();
        loop {
            let c = at(i);
            if inq {
                if c == b'\\'
                    && at(i + 1) == b'x'
                    && hex(at(i + 2)).is_some()
                    && hex(at(i + 3)).is_some()
                {
                    cur.push(hex(at(i + 2))? * 16 + hex(at(i + 3))?);
                    i += 3;
                } else if c == b'\\' && i + 1 < b.len() {
                    i += 1;
                    cur.push(match b[i] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 8,
                        b'a' => 7,
                        other => other,
                    });
                } else if c == b'"' {
                    if i + 1 < b.len() && !space(b[i + 1]) {
                        return None;
                    }
                    i += 1;
                    break;
                } else if i >= b.len() {
                    return None;
                } else {
                    cur.push(c);
                }
            } else if insq {
                if c == b'\\' && at(i + 1) == b'\'' {
                    i += 1;
                    cur.push(b'\'');
                } else if c == b'\'' {
                    if i + 1 < b.len() && !space(b[i + 1]) {
                        return None;
                    }
                    i += 1;
                    break;
                } else if i >= b.len() {
                    return None;
                } else {
                    cur.push(c);
                }
            } else if i >= b.len() || matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
                break;
            } else if c == b'"' {
                inq = true;
            } else if c == b'\'' {
                insq = true;
            } else {
                cur.push(c);
            }
            i += 1;
        }
        out.push(cur);
    }
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(s: &str) -> Reply {
        Reply::Bulk(s.as_bytes().to_vec())
    }

    fn text(r: &Reply, m: Output) -> String {
        String::from_utf8(format(r, m)).unwrap()
    }

    #[test]
    fn repr_quotes_like_sdscatrepr() {
        assert_eq!(
            repr(b"a\x01\"\\\n\tb\x00\xff"),
            r#""a\x01\"\\\n\tb\x00\xff""#
        );
    }

    #[test]
    fn nested_arrays_indent() {
        let r = Reply::Array(vec![
            Reply::Int(1),
            Reply::Array(vec![
                Reply::Int(2),
                Reply::Array(vec![Reply::Int(3), bulk("x")]),
                Reply::Array(vec![]),
            ]),
            bulk("y"),
        ]);
        assert_eq!(
            text(&r, Output::Standard),
            "1) (integer) 1\n2) 1) (integer) 2\n   2) 1) (integer) 3\n      2) \"x\"\n   3) (empty array)\n3) \"y\"\n"
        );
        assert_eq!(text(&r, Output::Raw), "1\n2\n3\nx\n\ny\n");
    }

    #[test]
    fn wide_indexes_align() {
        let r = Reply::Array((1..=10).map(|i| bulk(&i.to_string())).collect());
        let t = text(&r, Output::Standard);
        assert!(t.starts_with(" 1) \"1\"\n"));
        assert!(t.ends_with("10) \"10\"\n"));
    }

    #[test]
    fn resp3_types() {
        let m = Reply::Map(vec![
            (Reply::Int(0), Reply::Bool(false)),
            (bulk("k"), Reply::Array(vec![])),
        ]);
        assert_eq!(
            text(&m, Output::Standard),
            "1# (integer) 0 => (false)\n2# \"k\" => (empty array)\n"
        );
        assert_eq!(text(&m, Output::Raw), "0 (false)\nk \n");
        let nested = Reply::Map(vec![(
            bulk("get"),
            Reply::Map(vec![
                (bulk("a"), Reply::Set(vec![Reply::Int(1)])),
                (bulk("b"), Reply::Array(vec![Reply::Int(1), Reply::Int(2)])),
            ]),
        )]);
        assert_eq!(
            text(&nested, Output::Standard),
            "1# \"get\" => \n   1# \"a\" => 1~ (integer) 1\n   2# \"b\" => \n      1) (integer) 1\n      2) (integer) 2\n"
        );
        let s = Reply::Set(vec![Reply::Int(0)]);
        assert_eq!(text(&s, Output::Standard), "1~ (integer) 0\n");
        assert_eq!(
            text(&Reply::Double("3.14".into()), Output::Standard),
            "(double) 3.14\n"
        );
        assert_eq!(
            text(&Reply::Map(vec![]), Output::Standard),
            "(empty hash)\n"
        );
        assert_eq!(text(&Reply::Set(vec![]), Output::Standard), "(empty set)\n");
    }

    #[test]
    fn errors_and_nil() {
        let e = Reply::Error(b"ERR boom".to_vec());
        assert_eq!(text(&e, Output::Standard), "(error) ERR boom\n");
        assert_eq!(text(&e, Output::Raw), "ERR boom\n\n");
        assert_eq!(text(&Reply::Nil, Output::Standard), "(nil)\n");
        assert_eq!(text(&Reply::Nil, Output::Raw), "\n");
    }

    #[test]
    fn invalidation_pushes() {
        let p = Reply::Push(vec![
            bulk("invalidate"),
            Reply::Array(vec![bulk("a"), bulk("b")]),
        ]);
        assert_eq!(
            format_push(&p, Output::Standard),
            b"-> invalidate: 'a', 'b'\n"
        );
        assert_eq!(format_push(&p, Output::Raw), b"invalidate\na\nb\n");
    }

    fn split(s: &str) -> Option<Vec<String>> {
        split_args(s).map(|v| {
            v.into_iter()
                .map(|a| String::from_utf8_lossy(&a).into_owned())
                .collect()
        })
    }

    #[test]
    fn splitting_follows_redis_cli() {
        assert_eq!(split("  set  k   v ").unwrap(), ["set", "k", "v"]);
        assert_eq!(split(r#"set "a b" 'c d'"#).unwrap(), ["set", "a b", "c d"]);
        assert_eq!(
            split(r#""\x41\n\"" 'it\'s' "\q""#).unwrap(),
            ["A\n\"", "it's", "q"]
        );
        assert_eq!(split(r#"a"b c""#).unwrap(), ["ab c"]);
        assert_eq!(split(r#""\x4""#).unwrap(), ["x4"]);
        assert_eq!(split("").unwrap(), Vec::<String>::new());
        assert!(split(r#""abc"#).is_none());
        assert!(split(r#"'abc"#).is_none());
        assert!(split(r#""a"b"#).is_none());
        assert!(split(r#"'a'b"#).is_none());
    }
}
