//! Unit tests of the RDB codec: hand-made payloads in every encoding Redis
//! has used, the DUMP footer, and a mutation test (random flips and
//! truncations never panic and never allocate beyond the input's reach).

use super::packed::build;
use super::*;

fn payload(body: &[u8], ver: u16) -> Vec<u8> {
    let mut p = body.to_vec();
    p.extend_from_slice(&ver.to_le_bytes());
    let crc = crc64::crc64(&p);
    p.extend_from_slice(&crc.to_le_bytes());
    p
}

fn s(x: &str) -> Vec<u8> {
    x.as_bytes().to_vec()
}

fn raw_str(out: &mut Vec<u8>, x: &[u8]) {
    put_len(out, x.len() as u64);
    out.extend_from_slice(x);
}

#[test]
fn redis_dump_of_a_string() {
    // redis-cli: SET k hello; DUMP k (Redis 7.0.15).
    let p = b"\x00\x05hello\n\x00cr\xdfve4 \n".to_vec();
    assert_eq!(p, payload(b"\x00\x05hello", 10));
    assert_eq!(restore(&p).unwrap(), RdbValue::Str(s("hello")));
}

#[test]
fn strings_int_and_lzf() {
    for (enc, want) in [
        (&b"\x00\xc0\x7b"[..], "123"),
        (b"\x00\xc0\xff", "-1"),
        (b"\x00\xc1\x39\x30", "12345"),
        (b"\x00\xc2\x00\x00\x00\x80", "-2147483648"),
        // LZF: clen 5, len 10: literal 'a' + back reference of 9.
        (b"\x00\xc3\x05\x0a\x00a\xe0\x00\x00", "aaaaaaaaaa"),
    ] {
        assert_eq!(
            restore(&payload(enc, 9)).unwrap(),
            RdbValue::Str(s(want)),
            "{want}"
        );
    }
    // Writing: canonical integers int-encoded, others raw.
    let mut o = Vec::new();
    put_string(&mut o, b"-129");
    assert_eq!(o, b"\xc1\x7f\xff");
    let mut o = Vec::new();
    put_string(&mut o, b"007");
    assert_eq!(o, b"\x03007");
}

#[test]
fn lengths() {
    for n in [
        0u64,
        63,
        64,
        16383,
        16384,
        u32::MAX as u64,
        u32::MAX as u64 + 1,
    ] {
        let mut o = Vec::new();
        put_len(&mut o, n);
        let mut r = Reader::new(&o);
        assert_eq!(r.length().unwrap(), n);
        assert_eq!(r.remaining(), 0);
    }
}

#[test]
fn every_list_encoding() {
    let want = RdbValue::List(vec![s("a"), s("1"), s("-300"), s("hello")]);
    let items: [&[u8]; 4] = [b"a", b"1", b"-300", b"hello"];
    // RDB_TYPE_LIST
    let mut b = vec![T_LIST, 4];
    for i in items {
        raw_str(&mut b, i);
    }
    assert_eq!(restore(&payload(&b, 6)).unwrap(), want);
    // RDB_TYPE_LIST_ZIPLIST
    let mut b = vec![T_LIST_ZIPLIST];
    raw_str(&mut b, &build::ziplist(&items));
    assert_eq!(restore(&payload(&b, 6)).unwrap(), want);
    // RDB_TYPE_LIST_QUICKLIST: two ziplist nodes.
    let mut b = vec![T_LIST_QUICKLIST, 2];
    raw_str(&mut b, &build::ziplist(&items[..1]));
    raw_str(&mut b, &build::ziplist(&items[1..]));
    assert_eq!(restore(&payload(&b, 7)).unwrap(), want);
    // RDB_TYPE_LIST_QUICKLIST_2: a plain node then a packed one.
    let lp = |xs: &[&[u8]]| {
        // A listpack of short strings (6-bit string entries).
        let mut l = vec![0, 0, 0, 0, xs.len() as u8, 0];
        for x in xs {
            l.push(0x80 | x.len() as u8);
            l.extend_from_slice(x);
            l.push(1 + x.len() as u8);
        }
        l.push(0xff);
        let n = l.len() as u32;
        l[..4].copy_from_slice(&n.to_le_bytes());
        l
    };
    let mut b = vec![T_LIST_QUICKLIST_2, 2, 1];
    raw_str(&mut b, b"a");
    b.push(2);
    raw_str(&mut b, &lp(&items[1..]));
    assert_eq!(restore(&payload(&b, 10)).unwrap(), want);
    // An unknown container.
    let mut b = vec![T_LIST_QUICKLIST_2, 1, 3];
    raw_str(&mut b, b"a");
    assert!(matches!(
        restore(&payload(&b, 10)),
        Err(PayloadError::BadFormat(_))
    ));
}

#[test]
fn sets_zsets_hashes() {
    // Intset.
    let mut b = vec![T_SET_INTSET];
    raw_str(&mut b, &build::intset(4, &[1, 70000]));
    assert_eq!(
        restore(&payload(&b, 10)).unwrap(),
        RdbValue::Set(vec![s("1"), s("70000")])
    );
    // ZSET with text scores, and inf.
    let mut b = vec![T_ZSET, 2];
    raw_str(&mut b, b"a");
    b.push(3);
    b.extend_from_slice(b"1.5");
    raw_str(&mut b, b"b");
    b.push(254);
    assert_eq!(
        restore(&payload(&b, 5)).unwrap(),
        RdbValue::ZSet(vec![(s("a"), 1.5), (s("b"), f64::INFINITY)])
    );
    // ZSET_ZIPLIST.
    let mut b = vec![T_ZSET_ZIPLIST];
    raw_str(&mut b, &build::ziplist(&[b"m", b"2", b"n", b"-0.25"]));
    assert_eq!(
        restore(&payload(&b, 8)).unwrap(),
        RdbValue::ZSet(vec![(s("m"), 2.0), (s("n"), -0.25)])
    );
    // HASH_ZIPMAP and HASH_ZIPLIST.
    let want = RdbValue::Hash(vec![(s("f"), s("v")), (s("g"), s("12"))]);
    let mut b = vec![T_HASH_ZIPMAP];
    raw_str(&mut b, &build::zipmap(&[(b"f", b"v"), (b"g", b"12")]));
    assert_eq!(restore(&payload(&b, 3)).unwrap(), want);
    let mut b = vec![T_HASH_ZIPLIST];
    raw_str(&mut b, &build::ziplist(&[b"f", b"v", b"g", b"12"]));
    assert_eq!(restore(&payload(&b, 6)).unwrap(), want);
    // An odd ziplist is not a hash.
    let mut b = vec![T_HASH_ZIPLIST];
    raw_str(&mut b, &build::ziplist(&[b"f", b"v", b"g"]));
    assert!(restore(&payload(&b, 6)).is_err());
}

#[test]
fn streams_and_modules_are_named() {
    let Err(PayloadError::BadFormat(e)) = restore(&payload(&[T_STREAM_LISTPACKS_2, 0], 10)) else {
        panic!()
    };
    assert!(e.what.contains("stream"), "{e}");
    // A module id: "hellotype" (charset indexes) << 10 | encver 0.
    let charset = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let id = b"hellotype".iter().fold(0u64, |a, c| {
        (a << 6) | charset.iter().position(|x| x == c).unwrap() as u64
    }) << 10;
    let mut b = vec![T_MODULE_2];
    put_len(&mut b, id);
    let Err(PayloadError::BadFormat(e)) = restore(&payload(&b, 10)) else {
        panic!()
    };
    assert!(e.what.contains("'hellotype'"), "{e}");
}

#[test]
fn footer_checks() {
    let good = payload(b"\x00\x01x", 10);
    assert!(restore(&good).is_ok());
    assert_eq!(
        restore(&payload(b"\x00\x01x", 11)),
        Err(PayloadError::VersionOrChecksum)
    );
    let mut bad = good.clone();
    bad[2] ^= 1;
    assert_eq!(restore(&bad), Err(PayloadError::VersionOrChecksum));
    assert_eq!(restore(b"short"), Err(PayloadError::VersionOrChecksum));
}

#[test]
fn writes_what_it_reads() {
    let lim = Limits::default();
    let vals = [
        RdbValue::Str(s("x")),
        RdbValue::Str(s("-42")),
        RdbValue::List(vec![s("a"), s("7"), vec![0u8; 300]]),
        RdbValue::Set(vec![s("1"), s("two")]),
        RdbValue::ZSet(vec![(s("a"), -0.5), (s("b"), f64::NEG_INFINITY)]),
        RdbValue::Hash(vec![(s("f"), s("1")), (s("g"), vec![])]),
    ];
    for v in vals {
        let value = v.clone().into_value(&lim).unwrap();
        let back = restore(&dump(&value)).unwrap();
        let norm = |v: RdbValue| match v {
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
                RdbValue::ZSet(x)
            }
            o => o,
        };
        assert_eq!(norm(back), norm(v));
    }
}

#[test]
fn refused_values() {
    let lim = Limits::default();
    assert!(RdbValue::Set(vec![s("a"), s("a")])
        .into_value(&lim)
        .is_err());
    assert!(RdbValue::List(vec![]).into_value(&lim).is_err());
    assert!(RdbValue::ZSet(vec![(s("a"), f64::NAN)])
        .into_value(&lim)
        .is_err());
    assert!(RdbValue::Hash(vec![(s("a"), s("1")), (s("a"), s("2"))])
        .into_value(&lim)
        .is_err());
}

#[test]
fn hostile_lengths_are_refused_before_allocating() {
    // A set claiming 2^32 members in a few bytes.
    let b = [T_SET, 0x80, 0xff, 0xff, 0xff, 0xff, 0x01, b'a'];
    let Err(PayloadError::BadFormat(e)) = restore(&payload(&b, 10)) else {
        panic!()
    };
    assert_eq!(e.offset, 1, "{e}");
    // A string claiming 2^64-1 bytes; an LZF string claiming 1 TB.
    assert!(restore(&payload(b"\x00\x81\xff\xff\xff\xff\xff\xff\xff\xff", 10)).is_err());
    assert!(restore(&payload(
        b"\x00\xc3\x01\x81\x00\x00\x01\x00\x00\x00\x00\x00\x00",
        10
    ))
    .is_err());
}

/// Counts the bytes allocated by this thread (the mutation test's bound).
mod counting {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    thread_local! {
        pub static BIGGEST: Cell<usize> = const { Cell::new(0) };
    }

    pub struct Counting;

    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, l: Layout) -> *mut u8 {
            let _ = BIGGEST.try_with(|b| b.set(b.get().max(l.size())));
            unsafe { System.alloc(l) }
        }
        unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
            unsafe { System.dealloc(p, l) }
        }
        unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
            let _ = BIGGEST.try_with(|b| b.set(b.get().max(new)));
            unsafe { System.realloc(p, l, new) }
        }
    }

    #[global_allocator]
    static A: Counting = Counting;
}

#[test]
fn mutations_never_panic_or_overallocate() {
    // Valid payloads of every encoding, then random damage with a fresh
    // CRC (so the decoder, not the checksum, meets the damage).
    let mut seeds: Vec<Vec<u8>> = Vec::new();
    let lim = Limits::default();
    for v in [
        RdbValue::Str(vec![b'z'; 100]),
        RdbValue::List((0..50).map(|i| i.to_string().into_bytes()).collect()),
        RdbValue::Set((0..40).map(|i| format!("m{i}").into_bytes()).collect()),
        RdbValue::ZSet(
            (0..30)
                .map(|i| (format!("z{i}").into_bytes(), i as f64))
                .collect(),
        ),
        RdbValue::Hash(
            (0..30)
                .map(|i| (format!("f{i}").into_bytes(), vec![b'v'; i]))
                .collect(),
        ),
    ] {
        seeds.push(dump(&v.into_value(&lim).unwrap()));
    }
    let items: Vec<&[u8]> = vec![b"a", b"300", b"-70000", b"xyz", b"12", b"9999999999"];
    for ty in [T_LIST_ZIPLIST, T_ZSET_ZIPLIST, T_HASH_ZIPLIST] {
        let mut b = vec![ty];
        raw_str(&mut b, &build::ziplist(&items));
        seeds.push(payload(&b, 10));
    }
    let mut b = vec![T_HASH_ZIPMAP];
    raw_str(&mut b, &build::zipmap(&[(b"f", b"v"), (b"long", b"value")]));
    seeds.push(payload(&b, 10));
    let mut b = vec![T_SET_INTSET];
    raw_str(&mut b, &build::intset(8, &[1, 2, 3, -4]));
    seeds.push(payload(&b, 10));
    seeds.push(payload(b"\x00\xc3\x05\x0a\x00a\xe0\x00\x00", 10));

    let mut x = 0x9e3779b97f4a7c15u64;
    let mut rnd = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for round in 0..20_000 {
        let seed = &seeds[round % seeds.len()];
        let mut body = seed[..seed.len() - 10].to_vec();
        match rnd() % 4 {
            0 => {
                let i = rnd() as usize % body.len();
                body[i] ^= 1 << (rnd() % 8);
            }
            1 => {
                let i = rnd() as usize % body.len();
                body[i] = rnd() as u8;
            }
            2 => body.truncate(rnd() as usize % body.len()),
            _ => {
                let i = rnd() as usize % body.len();
                body.insert(i, 0x80 | (rnd() as u8 & 0x41));
            }
        }
        let p = payload(&body, 10);
        counting::BIGGEST.with(|b| b.set(0));
        let r = restore(&p);
        let biggest = counting::BIGGEST.with(|b| b.get());
        if let Ok(v) = r {
            let _ = v.into_value(&lim);
        }
        assert!(
            biggest <= 64 * 1024 + 200 * p.len(),
            "round {round}: a {biggest}-byte allocation from a {}-byte payload",
            p.len()
        );
    }
}
