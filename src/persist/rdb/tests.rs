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
fn modules_are_named() {
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

fn unhex(h: &str) -> Vec<u8> {
    (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
        .collect()
}

/// Redis 7.0.15: XADD s 1-1 a 1 b hello; XADD s 1-2 a 2 b x; XADD s 2-0
/// c 3; XDEL s 1-2; XGROUP CREATE s g 0; XREADGROUP GROUP g alice COUNT 1
/// STREAMS s >; the same for bob; DUMP s.
const REDIS_STREAM: &str = "130110000000000000000100000000000000014043430000001900020101010201816102816202000102010001000101018568656c6c6f0605010301000101010201817802050100010101dfff02010181630203010601ff020200010101020301016702000302000000000000000100000000000000019bce091ba20100000100000000000000020000000000000000a6ce091ba2010000010205616c6963659bce091ba2010000010000000000000001000000000000000103626f62a6ce091ba201000001000000000000000200000000000000000a003e468a3b2105a539";

fn id(ms: u64, seq: u64) -> StreamId {
    StreamId::new(ms, seq)
}

use crate::store::stream::{Group, StreamId, StreamValue};

#[test]
fn redis_dump_of_a_stream() {
    let p = unhex(REDIS_STREAM);
    let RdbValue::Stream(x) = restore(&p).unwrap() else {
        panic!()
    };
    assert_eq!(x.nodes.len(), 1);
    let n = &x.nodes[0];
    assert_eq!((n.master, n.deleted, n.last), (id(1, 1), 1, id(2, 0)));
    assert_eq!(n.master_fields, [s("a"), s("b")]);
    assert_eq!(
        n.entries,
        [
            (id(1, 1), vec![s("a"), s("1"), s("b"), s("hello")]),
            (id(2, 0), vec![s("c"), s("3")]),
        ]
    );
    assert_eq!(
        (x.last_id, x.max_deleted, x.entries_added),
        (id(2, 0), id(1, 2), Some(3))
    );
    let g = &x.groups[0];
    assert_eq!((g.name.as_slice(), g.last_id), (&b"g"[..], id(2, 0)));
    assert_eq!(g.entries_read, Some(3));
    assert_eq!(g.pel.len(), 2);
    let owners: Vec<_> = g
        .consumers
        .iter()
        .map(|c| (c.name.clone(), c.pel.clone()))
        .collect();
    assert_eq!(
        owners,
        [(s("alice"), vec![id(1, 1)]), (s("bob"), vec![id(2, 0)])]
    );
    let Value::Stream(v) = RdbValue::Stream(x).into_value(&Limits::default()).unwrap() else {
        panic!()
    };
    assert_eq!(v.len(), 2);
    assert_eq!(v.node_count(), 1);
    assert_eq!(v.groups[&s("g")].pel[&id(2, 0)].consumer, s("bob"));
    // And back: FlashDB's DUMP of it reads the same (the deleted entry
    // left out).
    let RdbValue::Stream(y) = restore(&dump(&Value::Stream(v))).unwrap() else {
        panic!()
    };
    assert_eq!(y.nodes[0].entries.len(), 2);
    assert_eq!(y.nodes[0].deleted, 0);
    assert_eq!(y.groups[0].consumers.len(), 2);
}

fn sample_stream() -> StreamValue {
    let mut x = StreamValue::new();
    for i in 1..=250u64 {
        let mut f = vec![s("name"), format!("v{i}").into_bytes()];
        if i % 7 == 0 {
            f.extend([s("extra"), i.to_string().into_bytes()]);
        }
        if i % 50 == 0 {
            f[1] = vec![b'x'; 5000];
        }
        x.append(id(i, i % 3), f, Default::default());
    }
    for i in [3u64, 100, 101, 200] {
        x.delete(id(i, i % 3));
    }
    x.max_deleted = id(200, 2);
    x.last_id = id(300, 0);
    let mut g = Group::new(id(120, 0), 118);
    for c in [&b"alice"[..], b"bob", b"carol"] {
        g.create_consumer(c, 1_700_000_000_000);
    }
    g.assign(id(1, 1), b"alice", 1_700_000_000_123, 2);
    g.assign(id(2, 2), b"bob", 1_700_000_000_456, 1);
    g.assign(id(100, 1), b"bob", 1_700_000_000_789, 5); // deleted since
    x.groups.insert(s("g1"), g);
    x.groups.insert(s("12"), Group::new(id(0, 0), -1));
    x
}

#[test]
fn streams_round_trip() {
    let x = sample_stream();
    let p = dump(&Value::Stream(Box::new(x.clone())));
    let back = restore(&p).unwrap();
    let RdbValue::Stream(r) = &back else { panic!() };
    assert!(r.nodes.len() >= 3, "{}", r.nodes.len());
    assert!(r.nodes.iter().all(|n| n.entries.len() <= 100));
    let Value::Stream(y) = back.into_value(&Limits::default()).unwrap() else {
        panic!()
    };
    assert_eq!(y.entries, x.entries);
    assert_eq!(
        (y.last_id, y.entries_added, y.max_deleted),
        (x.last_id, x.entries_added, x.max_deleted)
    );
    assert_eq!(y.groups, x.groups);
    assert_eq!(y.node_count(), x.node_count());
    // A second DUMP is the same bytes.
    assert_eq!(dump(&Value::Stream(y)), p);
    // An empty stream with a group.
    let mut e = StreamValue::new();
    e.last_id = id(5, 5);
    e.entries_added = 9;
    e.groups.insert(s("g"), Group::new(id(5, 5), 9));
    let Value::Stream(y) = restore(&dump(&Value::Stream(Box::new(e.clone()))))
        .unwrap()
        .into_value(&Limits::default())
        .unwrap()
    else {
        panic!()
    };
    assert!(y.is_empty());
    assert_eq!((y.last_id, y.entries_added), (e.last_id, 9));
    assert_eq!(y.groups, e.groups);
}

/// A stream payload of type `ty`: one node (master `m`, listpack `lp`),
/// then `tail` (length, IDs, counters, groups).
fn stream_payload(ty: u8, m: StreamId, lp: &[u8], tail: &[u8]) -> Vec<u8> {
    let mut b = vec![ty, 1, 16];
    b.extend_from_slice(&m.ms.to_be_bytes());
    b.extend_from_slice(&m.seq.to_be_bytes());
    raw_str(&mut b, lp);
    b.extend_from_slice(tail);
    payload(&b, 10)
}

/// A listpack of integers and strings ("#n" = integer n).
fn lp(items: &[&str]) -> Vec<u8> {
    let mut w = packed::ListpackWriter::new();
    for it in items {
        match it.strip_prefix('#') {
            Some(n) => w.int(n.parse().unwrap()),
            None => w.string(it.as_bytes()),
        }
    }
    w.finish()
}

#[test]
fn redis_5_streams_and_damaged_streams() {
    // Type 15 (Redis 5/6): no first ID, max deleted ID, entries added or
    // entries read; one group at 1-0 (its read counter estimated: 1),
    // PEL 1-0 owned by "c".
    let node = lp(&[
        "#2", "#0", "#1", "f", "#0", // master: 2 live, 0 deleted, [f]
        "#2", "#0", "#0", "v", "#4", // 1-0 f v (same fields)
        "#0", "#1", "#0", "#1", "g", "w", "#6", // 2-0 g w
    ]);
    let mut tail = vec![2, 2, 0, 1];
    raw_str(&mut tail, b"grp");
    tail.extend_from_slice(&[1, 0, 1]);
    tail.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    tail.extend_from_slice(&7u64.to_le_bytes());
    tail.extend_from_slice(&[1, 1]);
    raw_str(&mut tail, b"c");
    tail.extend_from_slice(&9u64.to_le_bytes());
    tail.push(1);
    tail.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    let p = stream_payload(T_STREAM_LISTPACKS, id(1, 0), &node, &tail);
    let Value::Stream(x) = restore(&p).unwrap().into_value(&Limits::default()).unwrap() else {
        panic!()
    };
    assert_eq!(x.entries[&id(2, 0)], [s("g"), s("w")]);
    assert_eq!((x.entries_added, x.last_id), (2, id(2, 0)));
    let g = &x.groups[&s("grp")];
    assert_eq!(g.entries_read, 1);
    assert_eq!(g.pel[&id(1, 0)].delivery_time, 7);
    assert_eq!(g.consumers[&s("c")].seen_time, 9);

    let bad = |p: Vec<u8>, what: &str| {
        let Err(PayloadError::BadFormat(e)) = restore(&p) else {
            panic!("accepted: {what}")
        };
        assert!(e.what.contains(what), "{e}");
        assert!(e.offset < p.len(), "{e}");
    };
    // Entries out of order (2-0 then 1-5).
    let node2 = lp(&[
        "#2", "#0", "#1", "f", "#0", "#2", "#1", "#0", "v", "#4", "#2", "#0", "#5", "v", "#4",
    ]);
    bad(
        stream_payload(T_STREAM_LISTPACKS, id(1, 0), &node2, &[2, 2, 0, 0]),
        "increasing ID order",
    );
    // The length disagrees with the entries.
    bad(
        stream_payload(T_STREAM_LISTPACKS, id(1, 0), &node, &[3, 2, 0, 0]),
        "length",
    );
    // A wrong lp-count.
    let node3 = lp(&["#1", "#0", "#1", "f", "#0", "#2", "#0", "#0", "v", "#5"]);
    bad(
        stream_payload(T_STREAM_LISTPACKS, id(1, 0), &node3, &[1, 1, 0, 0]),
        "element count",
    );
    // An entry beyond the last ID.
    bad(
        stream_payload(T_STREAM_LISTPACKS, id(1, 0), &node, &[2, 1, 0, 0]),
        "beyond",
    );
    // A PEL entry owned by two consumers.
    let mut t2 = vec![2, 2, 0, 1];
    raw_str(&mut t2, b"grp");
    t2.extend_from_slice(&[1, 0, 1]);
    t2.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    t2.extend_from_slice(&7u64.to_le_bytes());
    t2.extend_from_slice(&[1, 2]);
    for c in [b"c", b"d"] {
        raw_str(&mut t2, c);
        t2.extend_from_slice(&9u64.to_le_bytes());
        t2.push(1);
        t2.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    }
    bad(
        stream_payload(T_STREAM_LISTPACKS, id(1, 0), &node, &t2),
        "two consumers",
    );
    // A PEL entry owned by none.
    let t3 = &tail[..tail.len() - 17];
    let mut t3 = t3.to_vec();
    t3.push(0);
    bad(
        stream_payload(T_STREAM_LISTPACKS, id(1, 0), &node, &t3),
        "without a consumer",
    );
    // A node key that is not 16 bytes.
    let mut b = vec![T_STREAM_LISTPACKS_2, 1, 3, b'a', b'b', b'c'];
    raw_str(&mut b, &node);
    bad(payload(&b, 10), "16-byte");
    // Type 21 (7.2) reads the consumer's active time too.
    let mut t4 = vec![2, 2, 0, 1, 0, 0, 0, 2, 1];
    raw_str(&mut t4, b"grp");
    t4.extend_from_slice(&[1, 0, 1, 0, 1]);
    raw_str(&mut t4, b"c");
    t4.extend_from_slice(&9u64.to_le_bytes());
    t4.extend_from_slice(&10u64.to_le_bytes());
    t4.push(0);
    let RdbValue::Stream(x) =
        restore(&stream_payload(T_STREAM_LISTPACKS_3, id(1, 0), &node, &t4)).unwrap()
    else {
        panic!()
    };
    assert_eq!(x.groups[0].consumers[0].seen_time, 9);
    assert_eq!(x.groups[0].entries_read, Some(1));
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
    seeds.push(unhex(REDIS_STREAM));
    let mut small = sample_stream();
    small.trim(crate::store::stream::Trim::MaxLen(120), false, 0);
    seeds.push(dump(&Value::Stream(Box::new(small))));

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
