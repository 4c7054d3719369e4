//! Recovery: WAL records replayed onto the store.
//!
//! A snapshot records, per stripe index, the LSN the WAL would give next
//! when that stripe was copied; the stripe holds exactly the effects of the
//! records below it. Replay therefore applies a record only where it is
//! newer: a keyed record if its LSN is at least its key's stripe LSN, a
//! FLUSHDB / FLUSHALL / SWAPDB stripe by stripe. So a non-idempotent record
//! (LPUSH, INCR, APPEND) is never applied twice.
//!
//! Records replay through the command table, as the command they stand for,
//! with the clock stopped (`store::with_clock_stopped`): nothing expires
//! during replay, expirations come from their own DEL records. Replay
//! sends no keyspace notifications (`pubsub::quietly`).

use super::record::{self, DecodeError, Record};
use super::{segment, snapshot, wal};
use crate::server::{Client, ClientInfo, Ctx, Server};
use crate::store::db::swap_stripes;
use crate::store::Store;
use std::path::Path;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Instant;

/// Applies records to a server's store.
pub struct Replayer<'a> {
    srv: &'a Arc<Server>,
    client: Client,
    /// Per stripe index: records below this LSN are already in the store.
    /// Empty = apply everything.
    lsns: Vec<u64>,
    /// Records applied / skipped as already covered / rejected by the
    /// command (a bug: logged, counted, replay goes on).
    pub applied: u64,
    pub skipped: u64,
    pub failed: u64,
}

fn malformed(e: DecodeError) -> String {
    format!("{e:?}")
}

impl<'a> Replayer<'a> {
    pub fn new(srv: &'a Arc<Server>, lsns: Vec<u64>) -> Replayer<'a> {
        Replayer {
            srv,
            client: Client::new(Arc::new(ClientInfo::internal(0))),
            lsns,
            applied: 0,
            skipped: 0,
            failed: 0,
        }
    }

    fn covered(&self, stripe: usize, lsn: u64) -> bool {
        self.lsns.get(stripe).is_some_and(|&s| lsn < s)
    }

    /// Applies one record (a batch: each of its records). Err = the record
    /// cannot be understood (recovery stops there).
    pub fn apply(&mut self, rec: &Record) -> Result<(), String> {
        // Nothing expires and nobody is notified during replay.
        crate::pubsub::quietly(|| self.apply_quietly(rec))
    }

    fn apply_quietly(&mut self, rec: &Record) -> Result<(), String> {
        crate::store::with_clock_stopped(|| {
            if rec.op == record::BATCH {
                for sub in rec.batch().map_err(malformed)? {
                    self.apply_one(&sub, rec.lsn)?;
                }
                Ok(())
            } else {
                self.apply_one(rec, rec.lsn)
            }
        })
    }

    fn db(&self, db: u16) -> Result<usize, String> {
        let n = self.srv.store.dbs.len();
        match db as usize {
            d if d < n => Ok(d),
            d => Err(format!(
                "record for DB {d}, but the server has {n} databases (raise `databases`)"
            )),
        }
    }

    fn apply_one(&mut self, rec: &Record, lsn: u64) -> Result<(), String> {
        let store = &self.srv.store;
        let nstripes = store.nstripes();
        match rec.op {
            record::FLUSHDB | record::FLUSHALL => {
                let dbs = if rec.op == record::FLUSHALL {
                    0..store.dbs.len()
                } else {
                    let d = self.db(rec.db)?;
                    d..d + 1
                };
                for i in (0..nstripes).filter(|&i| !self.covered(i, lsn)) {
                    for d in dbs.clone() {
                        drop(store.dbs[d].write_stripe(i).clear());
                    }
                }
                self.applied += 1;
            }
            record::SWAPDB => {
                let (a, b) = (
                    self.db(rec.db)?,
                    self.db(rec.swap_with().map_err(malformed)?)?,
                );
                if a != b {
                    for i in (0..nstripes).filter(|&i| !self.covered(i, lsn)) {
                        let (lo, hi) = (a.min(b), a.max(b));
                        let mut x = store.dbs[lo].write_stripe(i);
                        let mut y = store.dbs[hi].write_stripe(i);
                        swap_stripes(&mut x, &mut y);
                    }
                }
                self.applied += 1;
            }
            _ => {
                if self.covered(store.stripe_of(&rec.key), lsn) {
                    self.skipped += 1;
                    return Ok(());
                }
                if matches!(rec.op, record::SET | record::SET_WITH_TTL) {
                    // The common record, applied directly: what a plain SET
                    // (or SET ... PXAT) does — replace any value, set or
                    // clear the TTL.
                    let db = &store.dbs[self.db(rec.db)?];
                    let (mut s, h) = db.write(&rec.key);
                    let e = crate::store::Entry::new(
                        crate::store::Value::str(&rec.value),
                        rec.expire_at,
                    );
                    s.insert(h, &rec.key, e);
                    self.applied += 1;
                    return Ok(());
                }
                let argv = rec
                    .argv()
                    .map_err(malformed)?
                    .ok_or("a batch inside a batch")?;
                self.client.db = self.db(rec.db)?;
                let reply = match crate::exec::resolve(&argv) {
                    Ok((_, spec)) if spec.arity_ok(argv.len()) => (spec.handler)(
                        &mut Ctx {
                            srv: self.srv,
                            client: &mut self.client,
                        },
                        &argv,
                    ),
                    Ok(_) => crate::resp::Reply::err("ERR wrong number of arguments"),
                    Err(r) => r,
                };
                if let crate::resp::Reply::Error(e) = reply {
                    self.failed += 1;
                    crate::warning!(
                        "wal: record LSN {} ({}) failed on replay: {}",
                        lsn,
                        String::from_utf8_lossy(&argv[0]),
                        e
                    );
                } else {
                    self.applied += 1;
                }
            }
        }
        Ok(())
    }
}

/// Decodes every record in `buf` (captured records, no file framing).
pub fn decode_all(buf: &[u8]) -> Result<Vec<Record>, String> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < buf.len() {
        let (r, n) = record::decode(&buf[at..]).map_err(|e| format!("{e:?} at {at}"))?;
        out.push(r);
        at += n;
    }
    Ok(out)
}

/// The data directory, locked for this process while the value lives.
pub struct DirLock {
    _file: std::fs::File,
}

/// Creates `dir` (and its wal/ and snapshots/ subdirectories) and locks it,
/// so two servers can never share one data directory.
pub fn lock_dir(dir: &Path) -> Result<DirLock, String> {
    for d in [dir.to_path_buf(), dir.join("wal"), dir.join("snapshots")] {
        std::fs::create_dir_all(&d)
            .map_err(|e| format!("Can't create the data directory '{}': {}", d.display(), e))?;
    }
    let path = dir.join("flashdb.lock");
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| format!("Can't open '{}': {}", path.display(), e))?;
    match f.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut pid = String::new();
            let _ = std::io::Read::read_to_string(&mut f, &mut pid);
            return Err(format!(
                "The data directory '{}' is in use by another FlashDB server (pid {}); \
                 each server needs a directory of its own (set `dir`)",
                dir.display(),
                pid.trim()
            ));
        }
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(format!("Can't lock '{}': {}", path.display(), e));
        }
    }
    let _ = f.set_len(0);
    let _ = std::io::Write::write_all(&mut f, format!("{}\n", std::process::id()).as_bytes());
    Ok(DirLock { _file: f })
}

/// The newest snapshot whose checks pass (falling back to older ones when
/// the newest is damaged), opened but not yet loaded.
pub fn newest_snapshot(dir: &Path) -> Result<Option<snapshot::Loaded>, String> {
    let _ = snapshot::remove_temp(dir);
    let list = snapshot::list(dir)
        .map_err(|e| format!("Can't list snapshots in '{}': {}", dir.display(), e))?;
    for (i, path) in list.iter().enumerate() {
        match snapshot::open(path) {
            Ok(l) => return Ok(Some(l)),
            Err(e) if i + 1 < list.len() => {
                crate::warning!("{}; falling back to the previous snapshot", e)
            }
            Err(e) => crate::warning!("{}; no older snapshot to fall back to", e),
        }
    }
    Ok(None)
}

/// The store recovery loads into: the snapshot's hasher and stripe count
/// (so its stripe LSNs mean the same stripes), else fresh.
pub fn new_store(cfg: &crate::config::Config, snap: Option<&snapshot::Loaded>) -> Store {
    match snap {
        Some(l) => {
            let h = l.header();
            if h.nstripes as usize != cfg.stripes.max(1).next_power_of_two() {
                crate::notice!(
                    "Using the {} stripes the snapshot was taken with (`stripes` is {})",
                    h.nstripes,
                    cfg.stripes
                );
            }
            Store::with_hasher(cfg.databases, h.nstripes as usize, h.hasher)
        }
        None => Store::new(cfg.databases, cfg.stripes),
    }
}

/// Loads the snapshot, replays the WAL after it and opens the WAL for new
/// records (with `appendonly yes`). Err = refuse to start (the message says
/// why, naming the file and offset).
pub fn recover(srv: &Arc<Server>, snap: Option<snapshot::Loaded>) -> Result<(), String> {
    let cfg = srv.config().clone();
    let t = Instant::now();
    srv.persist
        .loading_start
        .store(crate::store::now_ms(), Relaxed);
    let mut lsns = Vec::new();
    if let Some(l) = &snap {
        let limits = snapshot::Limits::from_hot(&srv.hot);
        let (l_lsns, keys) = l.load_into(&srv.store, &limits, 2)?;
        srv.persist.loading_keys.store(keys, Relaxed);
        let bytes = std::fs::metadata(l.path()).map_or(0, |m| m.len());
        let secs = t.elapsed().as_secs_f64().max(1e-6);
        crate::notice!(
            "Snapshot {} loaded: {} keys, {:.1} MB in {} ms ({:.0} MB/s)",
            l.path().display(),
            keys,
            bytes as f64 / 1e6,
            t.elapsed().as_millis(),
            bytes as f64 / 1e6 / secs
        );
        lsns = l_lsns;
    }
    drop(snap); // the file's bytes are not needed any more
    let max_snap_lsn = lsns.iter().copied().max().unwrap_or(0);
    // Every record from the snapshot's lowest stripe LSN on must be in the
    // log (from the first one without a snapshot).
    let floor = lsns.iter().copied().min().unwrap_or(1).max(1);
    let mut rep = Replayer::new(srv, lsns);
    let t2 = Instant::now();
    // Limits that only guard client input must not reject a logged write
    // (say `proto-max-bulk-len` was lowered since): lifted while replaying.
    srv.hot.proto_max_bulk_len.store(i64::MAX as u64, Relaxed);
    let mut last_note = Instant::now();
    let mut seen = 0u64;
    let scanned = segment::scan_from(&cfg.dir, cfg.wal_repair, Some(floor), |rec| {
        seen += 1;
        if seen.is_multiple_of(4096) {
            srv.persist.loading_keys.fetch_add(4096, Relaxed);
            if last_note.elapsed() >= std::time::Duration::from_secs(2) {
                last_note = Instant::now();
                crate::notice!(
                    "WAL replay: {} records so far ({:.0} records/s)",
                    seen,
                    seen as f64 / t2.elapsed().as_secs_f64()
                );
            }
        }
        rep.apply(&rec)
    });
    srv.config_changed();
    let report = scanned.map_err(|e| e.to_string())?;
    if rep.failed > 0 {
        crate::warning!(
            "wal: {} records failed on replay (listed above); the data may differ from before the restart",
            rep.failed
        );
    }
    if let Some((path, off, n)) = &report.truncated {
        crate::warning!(
            "wal: truncated {} bytes of an incomplete record at {}:{}",
            n,
            path.display(),
            off
        );
    }
    if let Some((path, off, n)) = &report.repaired {
        crate::warning!(
            "wal: --wal-repair kept the records before the damaged one at {}:{} and set aside {} bytes after it (files renamed *.corrupt)",
            path.display(),
            off,
            n
        );
    }
    if let Some((path, from, upto)) = &report.gap {
        crate::warning!(
            "wal: --wal-repair accepted that records with LSN {} to {} are missing (before {}): the writes they held are lost",
            from,
            upto - 1,
            path.display()
        );
    }
    if report.records > 0 {
        crate::notice!(
            "WAL replayed: {} records, {:.1} MB ({} applied, {} already in the snapshot) in {} ms",
            report.records,
            report.bytes as f64 / 1e6,
            rep.applied,
            rep.skipped,
            t2.elapsed().as_millis()
        );
    }
    let next_lsn = (report.last_lsn + 1).max(max_snap_lsn).max(1);
    super::DIRTY.store(0, Relaxed);
    if cfg.appendonly {
        let opts = wal::WalOptions {
            fsync: fsync_policy(&cfg.appendfsync),
            segment_size: cfg.wal_segment_size,
        };
        let w = wal::Wal::open_at(&cfg.dir, opts, next_lsn, report.reach)
            .map_err(|e| format!("Can't open the WAL in '{}': {}", cfg.dir.display(), e))?;
        super::install(w);
        if report.records >= LONG_REPLAY {
            // The next start should not replay all that again.
            super::saver::schedule(srv);
        }
    } else {
        super::BASE_LSN.store(next_lsn, Relaxed);
        if report.records > 0 {
            // appendonly no: fold the old log into a snapshot, then drop it,
            // so it is never replayed over newer snapshots.
            super::saver::save(srv)?;
            for s in segment::list_segments(&cfg.dir).unwrap_or_default() {
                let _ = std::fs::remove_file(&s.path);
            }
        }
    }
    crate::notice!(
        "DB loaded from disk: {:.3} seconds",
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Replaying at least this many records schedules a snapshot once the
/// server is up.
const LONG_REPLAY: u64 = 100_000;

/// `appendfsync`'s value as a policy.
pub fn fsync_policy(s: &str) -> wal::FsyncPolicy {
    match s {
        "always" => wal::FsyncPolicy::Always,
        "no" => wal::FsyncPolicy::No,
        _ => wal::FsyncPolicy::EverySec,
    }
}

#[cfg(test)]
mod tests {
    use super::Replayer;
    use crate::command::testutil::{check_replay, execute};
    use crate::config::Config;
    use crate::pubsub::{hub, subscribe, unsubscribe_all, Kind, Subscriptions};
    use crate::server::{ClientInfo, Server};
    use std::sync::Arc;

    /// Replayed writes notify nobody, even with notifications on (CONFIG
    /// SET is allowed while loading), while the same commands run by a
    /// client do.
    #[test]
    fn replay_sends_no_keyspace_notifications() {
        // The hub is process-wide: listen only to this test's keys.
        let info = Arc::new(ClientInfo::internal(9_300_001));
        let mut mine = Subscriptions::default();
        let pattern = b"__keyspace@*__:quiet-replay-*".to_vec();
        subscribe(&info, &mut mine, Kind::Pattern, &[pattern], 2);
        hub().configure("KEA", [32 << 20, 8 << 20, 60]);
        let srv = Arc::new(Server::new(Config::default()));
        let (_, recs) = execute(
            &srv,
            &[
                &["SET", "quiet-replay-a", "1", "EX", "100"],
                &["RPUSH", "quiet-replay-l", "x", "y"],
                &["LPOP", "quiet-replay-l"],
                &["DEL", "quiet-replay-a"],
            ],
        );
        let mut mail = Vec::new();
        let live = info.mail.take_into(&mut mail);
        let other = Arc::new(Server::new(Config::default()));
        let mut r = Replayer::new(&other, Vec::new());
        for rec in &recs {
            r.apply(rec).unwrap();
        }
        mail.clear();
        let replayed = info.mail.take_into(&mut mail);
        hub().configure("", [32 << 20, 8 << 20, 60]);
        unsubscribe_all(&info, &mut mine);
        assert!(live, "the commands themselves notified");
        assert!(
            !replayed,
            "replay notified: {:?}",
            String::from_utf8_lossy(&mail)
        );
    }

    #[test]
    fn replay_reproduces_strings_and_transactions() {
        check_replay(&[
            &["SET", "a", "1"],
            &["SET", "b", "x", "EX", "100"],
            &["MULTI"],
            &["SET", "c", "3"],
            &["SET", "d", "4"],
            &["EXEC"],
        ]);
    }
}
