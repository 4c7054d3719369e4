//! Target `rdb`: Redis's RDB format as RESTORE and `import-rdb` read it
//! (`flashdb::persist::rdb::{restore, file::parse}`).
//!
//! Input: a DUMP payload's body (type byte + value), to which `run` adds a
//! valid footer so the decoder, not the checksum, meets the damage; or,
//! when it starts with `REDIS`, a whole dump.rdb (its CRC rewritten so
//! the parser reads to the end). The seeds are real Redis 7.0.15 payloads
//! (quicklist 2 with listpack and plain nodes, intset, listpack hash and
//! zset, LZF and int-encoded strings, a stream with a consumer group),
//! real dump.rdb files (one with a stream), and FlashDB's own DUMP output
//! (a stream of two listpack nodes among it).
//! Invariants:
//! - decoding never panics and holds at most ~200× the input's size;
//! - an error's offset lies within the input;
//! - a value that decodes and is accepted (no duplicates, no NaN, not
//!   empty) dumps to a payload that restores to the same value.

use super::{bounded, bucket, mix, mutate_bytes, shape, Features, Rng, Target};
use flashdb::persist::rdb::{self, file, Limits, RdbValue};

/// Redis 7.0.15 DUMP payloads (hex), footer included.
const REDIS_PAYLOADS: &[&str] = &[
    "1201021d1d00000006008161020101ded402f2701101048568656c6c6f068001ff0a00c6010dfede109777",
    "0b140400000003000000fbffffff01000000701101000a0086a0bbcf3a22ed25",
    "1012120000000400816602817602816e022a01ff0a00ff30e87f7262d991",
    "111d1d0000000600816302842d696e6605816102010181620283322e3504ff0a003992339be11f323d",
    "00c30b40780361626361e069020162630a00c494a1702ae23e06",
    "1202020a0a0000000100817802ff01c3093c017979e02f000179790a008db670cb1aa2304c",
    "00c07b0a0048e253e1007a67b9",
    // A stream: a deleted entry, differing field sets, a group with two
    // consumers' pending entries.
    "130110000000000000000100000000000000014043430000001900020101010201816102816202000102010001000101018568656c6c6f0605010301000101010201817802050100010101dfff02010181630203010601ff020200010101020301016702000302000000000000000100000000000000019bce091ba20100000100000000000000020000000000000000a6ce091ba2010000010205616c6963659bce091ba2010000010000000000000001000000000000000103626f62a6ce091ba201000001000000000000000200000000000000000a003e468a3b2105a539",
];

/// A Redis 7.0.15 dump.rdb (hex) holding those keys.
const REDIS_FILE: &str = "524544495330303130fa0972656469732d76657206372e302e3135fa0a72656469732d62697473c040fa056374696d65c2dccb086bfa08757365642d6d656dc2609b1000fa08616f662d62617365c000fe00fb07001202706c02020a0a0000000100817802ff01c3093c017979e02f0001797911017a1d1d0000000600816302842d696e6605816102010181620283322e3504ff10016812120000000400816602817602816e022a01ff000169c07b0b027369140400000003000000fbffffff010000007011010012016c01021d1d00000006008161020101ded402f2701101048568656c6c6f068001ff000163c30b40780361626361e06902016263ff8fa0d281c380b86e";

/// A Redis 7.0.15 dump.rdb (hex) holding a stream with a group whose
/// entries-read is unknown (-1).
const REDIS_STREAM_FILE: &str = "524544495330303130fa0972656469732d76657206372e302e3135fa0a72656469732d62697473c040fa056374696d65c200fa086bfa08757365642d6d656dc2806a1100fa08616f662d62617365c000fe00fb01001301730110000000000000000100000000000000014043430000001900020101010201816102816202000102010001000101018568656c6c6f0605010301000101010201817802050100010101dfff02010181630203010601ff0202000101010203010167010181ffffffffffffffff0100000000000000010000000000000001c590101ba2010000010105616c696365c590101ba20100000100000000000000010000000000000001ff317436a29d519db6";

/// A FlashDB stream: 130 entries (two nodes), one deleted, a group with
/// pending entries of two consumers.
fn stream_value() -> flashdb::store::Value {
    use flashdb::store::stream::{Group, StreamId, StreamValue};
    let mut x = StreamValue::new();
    for i in 1..=130u64 {
        let mut f = vec![b"f".to_vec(), i.to_string().into_bytes()];
        if i % 9 == 0 {
            f.extend([b"other".to_vec(), b"v".to_vec()]);
        }
        x.append(StreamId::new(i, 0), f, Default::default());
    }
    x.delete(StreamId::new(5, 0));
    x.max_deleted = StreamId::new(5, 0);
    let mut g = Group::new(StreamId::new(3, 0), 3);
    g.create_consumer(b"a", 1_700_000_000_000);
    g.create_consumer(b"b", 1_700_000_000_001);
    g.assign(StreamId::new(1, 0), b"a", 1_700_000_000_002, 1);
    g.assign(StreamId::new(3, 0), b"b", 1_700_000_000_003, 2);
    x.groups.insert(b"g".to_vec(), g);
    flashdb::store::Value::Stream(Box::new(x))
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn with_footer(body: &[u8]) -> Vec<u8> {
    let mut p = body.to_vec();
    p.extend_from_slice(&rdb::RDB_VERSION.to_le_bytes());
    let crc = rdb::crc64::crc64(&p);
    p.extend_from_slice(&crc.to_le_bytes());
    p
}

/// Sets, hashes and sorted sets sorted, so two equal values compare equal.
fn normal(v: RdbValue) -> RdbValue {
    match v {
        RdbValue::Set(mut x) => {
            x.sort();
            RdbValue::Set(x)
        }
        RdbValue::Hash(mut x) => {
            x.sort();
            RdbValue::Hash(x)
        }
        RdbValue::ZSet(mut x) => {
            x.sort_by(|a, b| a.0.cmp(&b.0));
            RdbValue::ZSet(x.into_iter().map(|(m, s)| (m, s + 0.0)).collect())
        }
        o => o,
    }
}

/// An error text without its quoted parts (module names, version strings:
/// input bytes, which would make every input a new feature).
fn unquoted(what: &str) -> &str {
    what.split(['\'', '"']).next().unwrap_or("")
}

#[derive(Default)]
pub struct RdbTarget;

impl RdbTarget {
    pub fn new() -> RdbTarget {
        RdbTarget
    }
}

impl Target for RdbTarget {
    fn name(&self) -> &'static str {
        "rdb"
    }

    fn seeds(&mut self, _rng: &mut Rng) -> Vec<Vec<u8>> {
        let mut out: Vec<Vec<u8>> = REDIS_PAYLOADS
            .iter()
            .map(|h| {
                let p = unhex(h);
                p[..p.len() - 10].to_vec()
            })
            .collect();
        let lim = Limits::default();
        for v in [
            RdbValue::List((0..40).map(|i| format!("{i}").into_bytes()).collect()),
            RdbValue::Set((0..20).map(|i| format!("m{i}").into_bytes()).collect()),
            RdbValue::ZSet(vec![(b"a".to_vec(), 1.5), (b"b".to_vec(), f64::INFINITY)]),
            RdbValue::Hash(vec![(b"f".to_vec(), b"v".to_vec())]),
        ] {
            let p = rdb::dump(&v.into_value(&lim).unwrap());
            out.push(p[..p.len() - 10].to_vec());
        }
        let p = rdb::dump(&stream_value());
        out.push(p[..p.len() - 10].to_vec());
        for file in [REDIS_FILE, REDIS_STREAM_FILE] {
            let f = unhex(file);
            out.push(f[..f.len() - 8].to_vec());
        }
        out
    }

    fn mutate(&mut self, rng: &mut Rng, base: &[u8], other: &[u8]) -> Vec<u8> {
        let mut b = base.to_vec();
        let dict: &[&[u8]] = &[
            b"\x80\xff\xff\xff\xff",
            b"\x81\xff\xff\xff\xff\xff\xff\xff\xff",
            b"\xc3",
            b"\xc0",
            b"\xff",
            b"\xfe",
            b"\xf0",
            b"\x12\x01\x02",
            b"\x0b",
        ];
        mutate_bytes(rng, &mut b, other, dict, 1 << 16);
        b
    }

    fn run(&mut self, input: &[u8]) -> Result<Features, String> {
        let limit = 64 * 1024 + 200 * input.len();
        let mut fs = vec![mix(1, bucket(input.len()))];
        if input.starts_with(b"REDIS") {
            let mut f = input.to_vec();
            let crc = rdb::crc64::crc64(&f);
            f.extend_from_slice(&crc.to_le_bytes());
            let r = bounded("file::parse", limit, || file::parse(&f, 16))?;
            match r {
                Ok(p) => {
                    fs.push(mix(2, p.keys.len() as u64));
                    for k in p.keys {
                        let _ = k.value.into_value(&Limits::default());
                    }
                }
                Err(e) => {
                    if e.offset > f.len() {
                        return Err(format!("file error offset {} beyond {}", e.offset, f.len()));
                    }
                    fs.push(mix(3, shape(unquoted(&e.what))));
                }
            }
            return Ok(fs);
        }
        let p = with_footer(input);
        let r = bounded("rdb::restore", limit, || rdb::restore(&p))?;
        fs.push(mix(4, input.first().copied().unwrap_or(0) as u64));
        match r {
            Ok(v) => {
                fs.push(mix(5, 1));
                let lim = Limits::default();
                let Ok(value) = v.into_value(&lim) else {
                    fs.push(mix(5, 2));
                    return Ok(fs);
                };
                let once = rdb::restore(&rdb::dump(&value))
                    .map_err(|e| format!("FlashDB's DUMP does not restore: {e:?}"))?;
                let again = once
                    .clone()
                    .into_value(&lim)
                    .map_err(|e| format!("FlashDB's DUMP restores to a refused value: {e}"))?;
                let twice = rdb::restore(&rdb::dump(&again))
                    .map_err(|e| format!("second DUMP does not restore: {e:?}"))?;
                if normal(once) != normal(twice) {
                    return Err("DUMP/RESTORE round trip changed the value".into());
                }
            }
            Err(rdb::PayloadError::BadFormat(e)) => {
                if e.offset > p.len() {
                    return Err(format!("error offset {} beyond {}", e.offset, p.len()));
                }
                fs.push(mix(6, shape(unquoted(&e.what))));
            }
            Err(rdb::PayloadError::VersionOrChecksum) => {
                return Err("a payload with a valid footer was refused by its footer".into())
            }
        }
        Ok(fs)
    }
}
