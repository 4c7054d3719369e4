//! The tests and the requests they send: the same commands, keys and
//! names as redis-benchmark 7 (`SET key:__rand_int__ <data>`, `LPUSH
//! mylist <data>`, `ZADD myzset <score> element:__rand_int__`, ...), a
//! weighted mix of them, or a command from the command line.
//!
//! A request is a pre-encoded RESP template; with `-r` every
//! `__rand_int__` in it is overwritten in place by a 12-digit random number
//! (a fresh one per occurrence and request), as redis-benchmark does.

use crate::args::Config;

const PLACEHOLDER: &[u8] = b"__rand_int__";

/// One command, RESP-encoded, with the offsets of its placeholders.
#[derive(Clone, Debug)]
pub struct Template {
    pub bytes: Vec<u8>,
    pub rand_at: Vec<usize>,
    /// The command name in lower case (for --mix reports).
    pub name: String,
}

impl Template {
    /// Encodes `args`; placeholders are substituted only if `randomize`.
    pub fn new<A: AsRef<[u8]>>(args: &[A], randomize: bool) -> Template {
        let mut bytes = format!("*{}\r\n", args.len()).into_bytes();
        let mut rand_at = Vec::new();
        for a in args {
            let a = a.as_ref();
            bytes.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            let start = bytes.len();
            bytes.extend_from_slice(a);
            bytes.extend_from_slice(b"\r\n");
            if randomize {
                let mut i = 0;
                while i + PLACEHOLDER.len() <= a.len() {
                    if &a[i..i + PLACEHOLDER.len()] == PLACEHOLDER {
                        rand_at.push(start + i);
                        i += PLACEHOLDER.len();
                    } else {
                        i += 1;
                    }
                }
            }
        }
        let name = args
            .first()
            .map(|a| String::from_utf8_lossy(a.as_ref()).to_ascii_lowercase())
            .unwrap_or_default();
        Template {
            bytes,
            rand_at,
            name,
        }
    }

    /// Inline PING (`PING\r\n`), redis-benchmark's PING_INLINE.
    fn inline_ping() -> Template {
        Template {
            bytes: b"PING\r\n".to_vec(),
            rand_at: Vec::new(),
            name: "ping".into(),
        }
    }

    /// Appends one request to `out`, drawing random numbers from `rng`
    /// below `keyspace`.
    #[inline]
    pub fn write(&self, out: &mut Vec<u8>, rng: &mut Rng, keyspace: u64) {
        let at = out.len();
        out.extend_from_slice(&self.bytes);
        for &off in &self.rand_at {
            let mut r = rng.below(keyspace);
            let slot = &mut out[at + off..at + off + 12];
            for b in slot.iter_mut().rev() {
                *b = b'0' + (r % 10) as u8;
                r /= 10;
            }
        }
    }
}

/// A fast xorshift64* generator (one per event-loop thread).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    #[inline]
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in 0..n (n >= 1; the modulo bias is negligible for n << 2^64).
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A test: what to print and what to send.
#[derive(Clone, Debug)]
pub struct Test {
    /// As redis-benchmark prints it: `SET`, `LRANGE_100 (first 100 elements)`.
    pub title: String,
    /// Requests chosen by weight (one entry for a plain test).
    pub choices: Vec<(Template, u32)>,
}

impl Test {
    fn single(title: &str, t: Template) -> Test {
        Test {
            title: title.to_string(),
            choices: vec![(t, 1)],
        }
    }

    /// The short CSV/JSON name: the title up to the first space.
    pub fn short(&self) -> &str {
        self.title.split(" (").next().unwrap_or(&self.title)
    }
}

/// The standard tests in redis-benchmark's order: (selector, title, args).
/// `lrange` selects the four LRANGE tests; each of them runs after the
/// LPUSH that fills `mylist`.
fn table(c: &Config) -> Vec<(&'static str, &'static str, Vec<Vec<u8>>)> {
    let data = vec![b'x'; c.data_size];
    let s = |v: &[&str]| -> Vec<Vec<u8>> { v.iter().map(|a| a.as_bytes().to_vec()).collect() };
    let with_data = |v: &[&str]| -> Vec<Vec<u8>> {
        let mut a = s(v);
        a.push(data.clone());
        a
    };
    let score = if c.keyspace.is_some() {
        "__rand_int__"
    } else {
        "0"
    };
    let mut mset = vec![b"MSET".to_vec()];
    for _ in 0..10 {
        mset.push(b"key:__rand_int__".to_vec());
        mset.push(data.clone());
    }
    vec![
        ("ping_inline", "PING_INLINE", Vec::new()),
        ("ping_mbulk", "PING_MBULK", s(&["PING"])),
        ("set", "SET", with_data(&["SET", "key:__rand_int__"])),
        ("get", "GET", s(&["GET", "key:__rand_int__"])),
        ("incr", "INCR", s(&["INCR", "counter:__rand_int__"])),
        ("lpush", "LPUSH", with_data(&["LPUSH", "mylist"])),
        ("rpush", "RPUSH", with_data(&["RPUSH", "mylist"])),
        ("lpop", "LPOP", s(&["LPOP", "mylist"])),
        ("rpop", "RPOP", s(&["RPOP", "mylist"])),
        (
            "sadd",
            "SADD",
            s(&["SADD", "myset", "element:__rand_int__"]),
        ),
        (
            "hset",
            "HSET",
            with_data(&["HSET", "myhash", "element:__rand_int__"]),
        ),
        ("spop", "SPOP", s(&["SPOP", "myset"])),
        (
            "zadd",
            "ZADD",
            s(&["ZADD", "myzset", score, "element:__rand_int__"]),
        ),
        ("zpopmin", "ZPOPMIN", s(&["ZPOPMIN", "myzset"])),
        (
            "lrange_fill",
            "LPUSH (needed to benchmark LRANGE)",
            with_data(&["LPUSH", "mylist"]),
        ),
        (
            "lrange_100",
            "LRANGE_100 (first 100 elements)",
            s(&["LRANGE", "mylist", "0", "99"]),
        ),
        (
            "lrange_300",
            "LRANGE_300 (first 300 elements)",
            s(&["LRANGE", "mylist", "0", "299"]),
        ),
        (
            "lrange_500",
            "LRANGE_500 (first 500 elements)",
            s(&["LRANGE", "mylist", "0", "499"]),
        ),
        (
            "lrange_600",
            "LRANGE_600 (first 600 elements)",
            s(&["LRANGE", "mylist", "0", "599"]),
        ),
        ("mset", "MSET (10 keys)", mset),
    ]
}

fn template(sel: &str, args: &[Vec<u8>], randomize: bool) -> Template {
    if sel == "ping_inline" {
        Template::inline_ping()
    } else {
        Template::new(args, randomize)
    }
}

/// Every name `-t` and `--mix` accept.
pub const NAMES: &str = "ping, ping_inline, ping_mbulk, set, get, incr, lpush, rpush, lpop, rpop, \
sadd, hset, spop, zadd, zpopmin, lrange, lrange_100, lrange_300, lrange_500, lrange_600, mset";

/// The tests to run, in order, for this configuration. Err names an
/// unknown test.
pub fn plan(c: &Config) -> Result<Vec<Test>, String> {
    let randomize = c.keyspace.is_some();
    if !c.command.is_empty() {
        let t = Template::new(&c.command, randomize);
        return Ok(vec![Test::single(&c.command.join(" "), t)]);
    }
    let table = table(c);
    if !c.mix.is_empty() {
        let mut choices = Vec::new();
        for (name, w) in &c.mix {
            let sel = if name == "ping" {
                "ping_mbulk"
            } else {
                name.as_str()
            };
            let row = table
                .iter()
                .find(|r| r.0 == sel && sel != "lrange_fill")
                .ok_or_else(|| format!("--mix: unknown test '{name}' (one of: {NAMES})"))?;
            choices.push((template(row.0, &row.2, randomize), *w));
        }
        let title = format!(
            "MIX ({})",
            c.mix
                .iter()
                .map(|(n, w)| format!("{n}:{w}"))
                .collect::<Vec<_>>()
                .join(",")
        );
        return Ok(vec![Test { title, choices }]);
    }
    for t in &c.tests {
        let known = NAMES.split(", ").any(|n| n == t);
        if !known {
            return Err(format!("unknown test '{t}' (one of: {NAMES})"));
        }
    }
    let selected = |sel: &str| -> bool {
        if c.tests.is_empty() {
            return true;
        }
        let has = |n: &str| c.tests.iter().any(|t| t == n);
        match sel {
            "ping_inline" | "ping_mbulk" => has(sel) || has("ping"),
            "lrange_fill" => {
                has("lrange")
                    || ["lrange_100", "lrange_300", "lrange_500", "lrange_600"]
                        .iter()
                        .any(|n| has(n))
            }
            s if s.starts_with("lrange_") => has(s) || has("lrange"),
            s => has(s),
        }
    };
    Ok(table
        .iter()
        .filter(|r| selected(r.0))
        .map(|r| Test::single(r.1, template(r.0, &r.2, randomize)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_replaced_in_place() {
        let t = Template::new(&["SET", "key:__rand_int__", "x__rand_int__"], true);
        assert_eq!(t.rand_at.len(), 2);
        let mut rng = Rng::new(7);
        let mut out = Vec::new();
        t.write(&mut out, &mut rng, 1000);
        let s = String::from_utf8(out).unwrap();
        let parts: Vec<&str> = s.split("\r\n").collect();
        assert_eq!(parts[0], "*3");
        assert!(
            parts[4].starts_with("key:000000000") && parts[4].len() == 16,
            "{s}"
        );
        assert!(parts[6].starts_with('x') && parts[6].len() == 13, "{s}");
        assert!(parts[4][4..].parse::<u64>().unwrap() < 1000);
        // Without -r the placeholder is sent as is.
        let t = Template::new(&["GET", "key:__rand_int__"], false);
        let mut out = Vec::new();
        t.write(&mut out, &mut rng, 1);
        assert_eq!(out, b"*2\r\n$3\r\nGET\r\n$16\r\nkey:__rand_int__\r\n");
    }

    #[test]
    fn selection() {
        let mut c = Config {
            tests: vec!["ping".into(), "lrange_300".into(), "set".into()],
            ..Config::default()
        };
        let titles: Vec<String> = plan(&c).unwrap().into_iter().map(|t| t.title).collect();
        assert_eq!(
            titles,
            [
                "PING_INLINE",
                "PING_MBULK",
                "SET",
                "LPUSH (needed to benchmark LRANGE)",
                "LRANGE_300 (first 300 elements)"
            ]
        );
        c.tests = vec!["nope".into()];
        assert!(plan(&c).unwrap_err().contains("unknown test 'nope'"));
        c.tests.clear();
        assert_eq!(plan(&c).unwrap().len(), 20);
        c.mix = vec![("get".into(), 80), ("set".into(), 20)];
        let p = plan(&c).unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].title, "MIX (get:80,set:20)");
        assert_eq!(p[0].short(), "MIX");
        c.mix = vec![("lrange_fill".into(), 1)];
        assert!(plan(&c).is_err());
    }
}
