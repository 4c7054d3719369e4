//! Robustness of everything that reads untrusted bytes: the RESP request
//! parser (client input), WAL record decoding and the segment scan,
//! snapshot loading (files that may be damaged), and Redis's RDB format
//! (RESTORE payloads, dump.rdb files). Deterministic: fixed
//! seeds and counts, a few seconds in all.
//!
//! The mutation runs share their targets, mutators and invariants with the
//! timed fuzzer (`make fuzz`, examples/fuzz.rs; see docs/TESTING.md). The
//! allocation meter installed here counts the bytes each thread holds, so
//! "memory stays proportional to the input" is asserted per call, not
//! guessed from the process's size.
#[path = "fuzz/mod.rs"]
mod fuzz;

use flashdb::persist::record;
use flashdb::persist::segment::{self, WalErrorKind};
use flashdb::persist::snapshot;
use flashdb::resp::parser::{Limits, Parsed, Parser};
use flashdb::store::Store;
use fuzz::{bounded, peak_during, Rng, Target};
use std::fs;

#[global_allocator]
static METER: fuzz::Meter = fuzz::Meter;

/// Runs the mutation loop of `name` for `execs` executions.
fn mutation_run(name: &str, seed: u64, execs: u64) {
    let mut t = fuzz::target(name).unwrap();
    let stats = fuzz::fuzz_loop(t.as_mut(), seed, |_| {}, |s| s.execs < execs);
    eprintln!(
        "{name}: {} execs, corpus {}, {} features",
        stats.execs, stats.corpus, stats.features
    );
    let shown: Vec<String> = stats
        .findings
        .iter()
        .map(|(input, what)| {
            format!(
                "{what}\n  input ({} bytes): {:?}",
                input.len(),
                String::from_utf8_lossy(&input[..input.len().min(300)])
            )
        })
        .collect();
    assert!(shown.is_empty(), "{name}:\n{}", shown.join("\n"));
    assert!(stats.execs >= execs, "{name}: the corpus died out");
    assert!(
        stats.features >= 20,
        "{name}: only {} features: the mutator reaches too little",
        stats.features
    );
}

// ---------------------------------------------------------------- parser

#[test]
fn parser_mutated_frames_parse_the_same_however_split() {
    mutation_run("parser", 0x5eed_0001, 4000);
}

#[test]
fn parser_random_bytes_parse_the_same_however_split() {
    let mut t = fuzz::parser::ParserTarget::new();
    let mut rng = Rng::new(0x5eed_0002);
    const ALPHABET: &[u8] = b"*$\r\n-+0123456789 \"'\\x";
    for i in 0..3000 {
        let len = rng.below(if i % 10 == 0 { 2048 } else { 96 });
        let input: Vec<u8> = (0..len)
            .map(|_| {
                if rng.one_in(2) {
                    *rng.pick(ALPHABET)
                } else {
                    rng.next() as u8
                }
            })
            .collect();
        if let Err(e) = t.run(&input) {
            panic!("{e}\n  input: {input:?}");
        }
    }
}

#[test]
fn parser_huge_declared_lengths_allocate_nothing() {
    let unlimited = Limits {
        max_bulk_len: u64::MAX,
        max_multibulk_len: u64::MAX,
        max_inline_len: 64 * 1024,
        unauthenticated: false,
    };
    for (req, hint) in [
        (&b"*2147483647\r\n$2147483647\r\n"[..], 26 + 2147483647 + 2),
        (b"*1\r\n$4294967295\r\n", 17 + 4294967295 + 2),
        (
            b"*9223372036854775807\r\n$9223372036854775807\r\n",
            44 + 9223372036854775807 + 2,
        ),
    ] {
        let mut buf = req.to_vec();
        buf.extend_from_slice(&[b'x'; 1000]);
        let mut p = Parser::new();
        let (r, peak) = peak_during(|| p.parse(&buf, &unlimited));
        assert_eq!(r, Ok(None), "{req:?}");
        assert!(
            peak < 64 * 1024,
            "{req:?}: {peak} bytes for a declared length"
        );
        assert_eq!(p.pending_bulk_hint(), hint, "{req:?}");
    }

    // Redis's limits: INT_MAX arguments may be announced (and wait); one
    // more, or a bulk over proto-max-bulk-len (512mb), is an error.
    let def = Limits::default();
    let err = |req: &[u8]| {
        let r = Parser::new().parse(req, &def);
        r.err().map(|e| e.0).unwrap_or_default()
    };
    assert_eq!(Parser::new().parse(b"*2147483647\r\n", &def), Ok(None));
    assert_eq!(
        err(b"*2147483648\r\n"),
        "Protocol error: invalid multibulk length"
    );
    assert_eq!(
        err(b"*1\r\n$2147483647\r\n"),
        "Protocol error: invalid bulk length"
    );
    let mut p = Parser::new();
    assert_eq!(p.parse(b"*1\r\n$536870912\r\nab", &def), Ok(None));
    assert_eq!(p.pending_bulk_hint(), 16 + 536870912 + 2);

    // Arguments that do arrive under a count of INT_MAX cost memory in
    // proportion to their bytes, not to the count.
    let mut buf = b"*2147483647\r\n".to_vec();
    for _ in 0..100_000 {
        buf.extend_from_slice(b"$1\r\nx\r\n");
    }
    let mut p = Parser::new();
    let (r, peak) = peak_during(|| p.parse(&buf, &def));
    assert_eq!(r, Ok(None));
    assert!(
        peak < 16 * buf.len(),
        "{peak} bytes for {} bytes of arguments",
        buf.len()
    );
    // The same bytes a few at a time: no call holds more than the last.
    let mut p = Parser::new();
    for end in (13..buf.len()).step_by(4093) {
        let r = bounded("parse", 16 * end + 64 * 1024, || p.parse(&buf[..end], &def)).unwrap();
        assert_eq!(r, Ok(None));
    }
    assert!(matches!(
        p.parse(b"*1\r\n$4\r\nPING\r\n", &def),
        Ok(Some((Parsed::Command(_), 14)))
    ));
}

// ------------------------------------------------------------------- WAL

#[test]
fn wal_mutated_segments_decode_or_fail_cleanly() {
    mutation_run("wal", 0x5eed_0003, 1200);
}

#[test]
fn wal_random_bytes_never_panic() {
    let mut rng = Rng::new(0x5eed_0004);
    for i in 0..20_000 {
        let mut b = rng.some_bytes(if i % 10 == 0 { 600 } else { 64 });
        if rng.one_in(2) && b.len() >= 13 {
            // Plausible lengths, so the CRC check is reached.
            let room = (b.len() as u32).saturating_sub(31);
            let k = rng.below(room as usize + 1) as u32;
            b[5..9].copy_from_slice(&k.to_le_bytes());
            b[9..13].copy_from_slice(&(room - k).to_le_bytes());
            if rng.one_in(2) {
                fuzz::wal::reseal(&mut b);
            }
        }
        let ((), peak) = peak_during(|| {
            if let Ok((rec, _)) = record::decode(&b) {
                let _ = rec.argv();
                let _ = rec.batch();
                let _ = rec.swap_with();
            }
            let _ = record::parse_args(&b);
        });
        assert!(peak <= 32 * b.len() + 4096, "{peak} bytes for {b:?}");
    }
}

/// A segment of `n` records; returns it and where each record starts.
fn sample_segment(n: usize) -> (Vec<u8>, Vec<usize>) {
    let mut rng = Rng::new(0x5eed_0005);
    let mut seg = segment::encode_header(1).to_vec();
    let mut starts = Vec::new();
    for i in 0..n {
        starts.push(seg.len());
        seg.extend(fuzz::wal::records(&mut rng, 1 + i as u64, 1));
    }
    (seg, starts)
}

fn scan_lsns(
    dir: &std::path::Path,
    repair: bool,
) -> Result<(Vec<u64>, segment::ScanReport), segment::WalError> {
    let mut got = Vec::new();
    let rep = segment::scan(dir, repair, |r| {
        got.push(r.lsn);
        Ok(())
    })?;
    Ok((got, rep))
}

#[test]
fn wal_every_truncation_of_the_last_segment_is_a_torn_tail() {
    let (seg, starts) = sample_segment(8);
    let (first, _) = sample_segment(2);
    let dir = fuzz::TempDir::new("torn");
    let wal = segment::wal_dir(&dir.0);
    for cut in 0..seg.len() {
        let _ = fs::remove_dir_all(&wal);
        fs::create_dir_all(&wal).unwrap();
        fs::write(wal.join("00000001.wal"), &first).unwrap();
        let last = wal.join("00000002.wal");
        fs::write(&last, &seg[..cut]).unwrap();
        let (lsns, rep) = scan_lsns(&dir.0, false).unwrap_or_else(|e| panic!("cut at {cut}: {e}"));
        let whole =
            starts.iter().skip(1).filter(|&&s| s <= cut).count() + usize::from(cut == seg.len());
        let complete: Vec<u64> = (1..=whole as u64).collect();
        assert_eq!(&lsns[..2], &[1, 2], "cut at {cut}");
        assert_eq!(lsns[2..], complete[..], "cut at {cut}");
        if cut < segment::HEADER_LEN {
            // A torn header: the file is deleted.
            assert_eq!(rep.truncated, Some((last.clone(), 0, cut as u64)));
            assert!(!last.exists());
        } else if starts.contains(&cut) {
            assert_eq!(rep.truncated, None, "cut at {cut}");
        } else {
            let at = *starts.iter().rev().find(|&&s| s < cut).unwrap() as u64;
            assert_eq!(rep.truncated, Some((last.clone(), at, cut as u64 - at)));
            assert_eq!(fs::metadata(&last).unwrap().len(), at);
        }
    }
}

#[test]
fn wal_every_bit_flip_before_the_last_segment_is_corruption_at_its_record() {
    let (seg, starts) = sample_segment(5);
    let (last, _) = sample_segment(1);
    let dir = fuzz::TempDir::new("flip");
    let wal = segment::wal_dir(&dir.0);
    fs::create_dir_all(&wal).unwrap();
    fs::write(wal.join("00000002.wal"), &last).unwrap();
    let path = wal.join("00000001.wal");
    for i in 0..seg.len() {
        for bit in 0..8 {
            let mut bad = seg.clone();
            bad[i] ^= 1 << bit;
            fs::write(&path, &bad).unwrap();
            let e = scan_lsns(&dir.0, false).expect_err("damage accepted");
            let at = if i < segment::HEADER_LEN {
                0
            } else {
                *starts.iter().rev().find(|&&s| s <= i).unwrap()
            };
            assert_eq!(
                (e.kind, e.offset),
                (WalErrorKind::Corrupt, at as u64),
                "byte {i} bit {bit}: {e}"
            );
            assert!(e.to_string().contains(&format!("00000001.wal:{at}")), "{e}");
        }
    }
}

// -------------------------------------------------------------- snapshot

#[test]
fn snapshot_mutated_files_load_or_fail_cleanly() {
    mutation_run("snapshot", 0x5eed_0006, 1000);
}

fn sample_snapshot() -> Vec<u8> {
    let mut rng = Rng::new(0x5eed_0007);
    let store = fuzz::snapshot::sample_store(&mut rng, 2, 4, 10, false);
    fuzz::snapshot::snapshot_bytes(&store, 9)
}

#[test]
fn snapshot_every_bit_flip_and_truncation_is_rejected_naming_the_file() {
    let good = sample_snapshot();
    let dir = fuzz::TempDir::new("snapflip");
    let path = dir.0.join("snapshot-00000000000000000001.fdb");
    let name = path.display().to_string();
    let rejected = |d: &[u8], what: &str| {
        fs::write(&path, d).unwrap();
        let e = bounded("open", 2 * d.len() + 65536, || snapshot::open(&path))
            .unwrap()
            .expect_err(what);
        assert!(e.contains(&name), "{what}: {e}");
        let _ = bounded("min_lsn", d.len() + 65536, || snapshot::min_lsn(&path)).unwrap();
    };
    for i in 0..good.len() {
        let mut d = good.clone();
        d[i] ^= 1 << (i % 8);
        rejected(&d, &format!("bit flip at {i}"));
    }
    for n in 0..good.len() {
        rejected(&good[..n], &format!("truncated to {n}"));
    }
    let mut d = good.clone();
    d.push(0);
    rejected(&d, "a byte appended");
}

#[test]
fn snapshot_huge_counts_behind_a_valid_crc_fail_cleanly() {
    let good = sample_snapshot();
    let dir = fuzz::TempDir::new("snaphuge");
    let path = dir.0.join("probe.fdb");
    let name = path.display().to_string();
    let fields = fuzz::snapshot::fields(&good);
    assert!(fields.len() > 20, "{fields:?}");
    let mut cases = 0;
    for &(at, width) in &fields {
        for &v in fuzz::INTERESTING_U64 {
            let mut d = good.clone();
            fuzz::put_le(&mut d, at, width, v);
            if d == good {
                continue;
            }
            fuzz::snapshot::fix_crc(&mut d);
            fs::write(&path, &d).unwrap();
            let opened = bounded("open", 2 * d.len() + 65536, || snapshot::open(&path)).unwrap();
            let l = match opened {
                Err(e) => {
                    assert!(e.contains(&name), "{e}");
                    continue;
                }
                Ok(l) => l,
            };
            let h = *l.header();
            let store =
                Store::with_hasher((h.ndbs as usize).min(16), h.nstripes as usize, h.hasher);
            let r = bounded("load_into", 256 * d.len() + (1 << 20), || {
                // One thread: the meter counts the calling thread's bytes.
                l.load_into(&store, &snapshot::Limits::default(), 1)
            })
            .unwrap();
            if let Err(e) = r {
                assert!(e.contains(&name) && e.contains("offset"), "{e}");
            }
            cases += 1;
        }
    }
    assert!(cases > 50, "{cases}");
}

#[test]
fn snapshot_min_lsn_trusts_no_stripe_count() {
    let good = sample_snapshot();
    let dir = fuzz::TempDir::new("minlsn");
    let path = dir.0.join("probe.fdb");
    // min_lsn reads without checking the CRC: a damaged stripe count must
    // not size a buffer (it once asked for up to 32 GiB).
    for n in [0x8000_0000u32, 0xffff_ffff, 0x1000_0000, 4096] {
        let mut d = good.clone();
        d[24..28].copy_from_slice(&n.to_le_bytes());
        fs::write(&path, &d).unwrap();
        let r = bounded("min_lsn", d.len() + 65536, || snapshot::min_lsn(&path)).unwrap();
        assert!(r.is_err(), "stripe count {n}: {r:?}");
    }
    fs::write(&path, &good).unwrap();
    assert_eq!(snapshot::min_lsn(&path).unwrap(), 9);
}

// ------------------------------------------------------------ regressions

/// Inputs the fuzzer once failed on (fuzz/regressions/<target>/*), replayed
/// through the same invariants.
// ------------------------------------------------------------------- rdb

#[test]
fn rdb_mutated_payloads_and_files_decode_safely() {
    mutation_run("rdb", 0x5eed_00db, 6000);
}

#[test]
fn fuzz_regressions_still_pass() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let mut n = 0;
    for name in fuzz::TARGETS {
        let Ok(rd) = fs::read_dir(root.join(name)) else {
            continue;
        };
        let mut t = fuzz::target(name).unwrap();
        for ent in rd {
            let path = ent.unwrap().path();
            let input = fs::read(&path).unwrap();
            if let Err(e) = t.run(&input) {
                panic!("{}: {e}", path.display());
            }
            n += 1;
        }
    }
    eprintln!("{n} regression inputs replayed");
}
