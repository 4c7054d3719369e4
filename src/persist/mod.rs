//! Persistence: the write-ahead log (record.rs bytes, wal.rs group-commit
//! writer, segment.rs files), snapshots (snapshot.rs) and recovery
//! (recovery.rs), and Redis's RDB value format for DUMP/RESTORE and
//! `import-rdb` (rdb/).
//!
//! # How a write reaches the log
//! A write handler changes the store while holding the key's stripe write
//! lock and, **before releasing it**, calls [`log`] (or commits a
//! [`Batch`]) with the command that reproduces the change — its own argv
//! when that is deterministic, else a rewrite of it: `EXPIRE k 10` is logged
//! as `PEXPIREAT k <deadline>`, `SPOP` as `SREM` of the members it removed,
//! `INCRBYFLOAT` as `SET ... KEEPTTL` of the result. So:
//! - log order equals apply order for every key;
//! - a snapshot, which reads a stripe under its read lock together with the
//!   WAL's next LSN, holds exactly the records of that stripe below that LSN,
//!   so recovery replays only the newer ones (nothing twice);
//! - every record names the one key it changes, so recovery can tell its
//!   stripe. A command that changes several keys logs a [`Batch`]: one
//!   record, all or nothing across a crash (MSET, RENAME, EXEC).
//!
//! Expired keys deleted lazily or by the active cycle are logged as `DEL`
//! under the same lock, and replay runs with the clock stopped (nothing
//! expires during replay), so a replayed command sees exactly what the
//! original saw.

pub mod rdb;
pub mod record;
pub mod recovery;
pub mod saver;
pub mod segment;
pub mod snapshot;
pub mod wal;

pub use saver::State;
use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, OnceLock};
use wal::Wal;

/// The files in `dir` whose names `parse` turns into a number (a WAL
/// segment's sequence, a snapshot's id), sorted by it; other names are
/// ignored. A missing directory has none.
pub(crate) fn numbered_files(
    dir: &std::path::Path,
    parse: fn(&str) -> Option<u64>,
) -> std::io::Result<Vec<(u64, std::path::PathBuf)>> {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for ent in rd {
        let ent = ent?;
        let Some(n) = ent.file_name().to_str().and_then(parse) else {
            continue;
        };
        if ent.file_type()?.is_file() {
            out.push((n, ent.path()));
        }
    }
    out.sort_unstable_by_key(|(n, _)| *n);
    Ok(out)
}

/// Fsyncs a directory, so a file created, renamed or deleted in it stays so
/// after a crash.
pub fn sync_dir(dir: &std::path::Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

/// Changes since the last successful snapshot (INFO persistence
/// `rdb_changes_since_last_save`, and the `save` rules).
pub static DIRTY: AtomicU64 = AtomicU64::new(0);

static WAL: OnceLock<Arc<Wal>> = OnceLock::new();

/// With `appendonly no`: the LSN snapshots record (there is no WAL to ask).
pub static BASE_LSN: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// Records logged by this thread (any destination): tells whether the
    /// command running here changed anything (client-side caching).
    static LOGGED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    /// Tests: records logged on this thread go here instead of the WAL.
    static CAPTURE: RefCell<Option<Vec<u8>>> = const { RefCell::new(None) };
    /// Inside EXEC: records collected here, logged as one batch at the end.
    static TX: RefCell<Option<Batch>> = const { RefCell::new(None) };
    /// The WAL position just past the last record this thread appended.
    static TICKET: Cell<u64> = const { Cell::new(0) };
}

/// The running WAL (None with `appendonly no`, or before recovery ends).
pub fn wal() -> Option<&'static Arc<Wal>> {
    WAL.get()
}

/// Makes `w` the WAL every later [`log`] call appends to (once, after
/// recovery).
pub fn install(w: Arc<Wal>) {
    let _ = WAL.set(w);
}

/// The WAL position of this thread's latest record (what a reply must wait
/// for under `appendfsync always`).
pub fn ticket() -> u64 {
    TICKET.with(|t| t.get())
}

/// Appends one record (`f` encodes it given its LSN) where this thread's
/// records go: the open transaction, the test capture, or the WAL.
/// `changes` is what it adds to DIRTY.
fn append(changes: u64, f: impl FnOnce(&mut Vec<u8>, u64)) {
    DIRTY.fetch_add(changes, Relaxed);
    LOGGED.with(|n| n.set(n.get() + 1));
    let mut f = Some(f);
    TX.with(|t| {
        if let Some(b) = t.borrow_mut().as_mut() {
            (f.take().unwrap())(&mut b.buf, 0);
            b.n += 1;
        }
    });
    let Some(f) = f else { return };
    let mut f = Some(f);
    CAPTURE.with(|c| {
        if let Some(buf) = c.borrow_mut().as_mut() {
            (f.take().unwrap())(buf, 0);
        }
    });
    let Some(f) = f else { return };
    if let Some(w) = WAL.get() {
        let t = w.append(f);
        TICKET.with(|c| c.set(t));
    }
}

/// Records logged by this thread so far (compare before and after a
/// command to learn whether it changed anything).
pub fn logged_here() -> u64 {
    LOGGED.with(|n| n.get())
}

fn in_tx() -> bool {
    TX.with(|t| t.borrow().is_some())
}

/// Logs the single-key command `argv` (argv[1] is the key it changes) in
/// `db`. Call it while holding the key's stripe write lock.
pub fn log<A: AsRef<[u8]>>(db: usize, argv: &[A]) {
    append(1, |b, lsn| record::encode_command(b, db as u16, lsn, argv));
}

/// Logs FLUSHDB of `db` (the caller holds the gate exclusively).
pub fn log_flushdb(db: usize) {
    append(1, |b, lsn| {
        record::encode(b, record::FLUSHDB, db as u16, lsn, 0, b"", b"")
    });
}

/// Logs FLUSHALL (the caller holds the gate exclusively).
pub fn log_flushall() {
    append(1, |b, lsn| {
        record::encode(b, record::FLUSHALL, 0, lsn, 0, b"", b"")
    });
}

/// Logs SWAPDB a b (the caller holds the gate exclusively).
pub fn log_swapdb(a: usize, b: usize) {
    append(1, |buf, lsn| {
        record::encode(
            buf,
            record::SWAPDB,
            a as u16,
            lsn,
            0,
            b"",
            &(b as u16).to_le_bytes(),
        )
    });
}

/// Several records logged as one (all or nothing after a crash): build it
/// while holding the locks of every key it names, commit before releasing
/// them.
#[derive(Default)]
pub struct Batch {
    buf: Vec<u8>,
    n: usize,
}

/// The most elements one rebuilding command carries (a huge collection is
/// logged as several commands inside one batch).
const CHUNK: usize = 1024;

impl Batch {
    pub fn new() -> Batch {
        Batch::default()
    }

    /// Adds the single-key command `argv` in `db`.
    pub fn cmd<A: AsRef<[u8]>>(&mut self, db: usize, argv: &[A]) -> &mut Batch {
        record::encode_command(&mut self.buf, db as u16, 0, argv);
        self.n += 1;
        self
    }

    /// Adds `DEL key`.
    pub fn del(&mut self, db: usize, key: &[u8]) -> &mut Batch {
        self.cmd(db, &[&b"DEL"[..], key])
    }

    /// Adds the commands that make `key` hold exactly `e` (value and TTL),
    /// whatever it held before: what RENAME, COPY, MOVE, SORT ... STORE and
    /// the *STORE set operations log for their destination.
    pub fn entry(&mut self, db: usize, key: &[u8], e: &crate::store::Entry) -> &mut Batch {
        use crate::store::Value;
        self.del(db, key);
        let mut args: Vec<Vec<u8>> = Vec::new();
        let flush = |this: &mut Batch, name: &[u8], args: &mut Vec<Vec<u8>>, force: bool| {
            if args.len() >= CHUNK || (force && !args.is_empty()) {
                let mut argv: Vec<&[u8]> = vec![name, key];
                argv.extend(args.iter().map(|a| a.as_slice()));
                this.cmd(db, &argv);
                args.clear();
            }
        };
        match &e.value {
            Value::Str(s) => {
                self.cmd(db, &[&b"SET"[..], key, s.as_slice()]);
            }
            Value::Hash(h) => {
                for (f, v) in h.fields.iter() {
                    args.push(f.to_vec());
                    args.push(v.to_vec());
                    flush(self, b"HSET", &mut args, false);
                }
                flush(self, b"HSET", &mut args, true);
            }
            Value::List(l) => {
                for v in l.iter() {
                    args.push(v.to_vec());
                    flush(self, b"RPUSH", &mut args, false);
                }
                flush(self, b"RPUSH", &mut args, true);
            }
            Value::Set(s) => {
                for m in s.iter() {
                    args.push(m.to_vec());
                    flush(self, b"SADD", &mut args, false);
                }
                flush(self, b"SADD", &mut args, true);
            }
            Value::ZSet(z) => {
                for (m, score) in z.iter() {
                    args.push(crate::resp::reply::format_double(score).into_bytes());
                    args.push(m.to_vec());
                    flush(self, b"ZADD", &mut args, false);
                }
                flush(self, b"ZADD", &mut args, true);
            }
            Value::Stream(_) => {
                // RESTORE of the key's DUMP payload: the only form that
                // carries all of a stream's state (a pending entry deleted
                // from the stream, consumer seen-times, node boundaries),
                // which XADD / XGROUP / XCLAIM commands cannot rebuild.
                let payload = crate::persist::rdb::dump(&e.value);
                self.cmd(db, &[&b"RESTORE"[..], key, b"0", &payload]);
            }
        }
        if e.expire_at != 0 {
            self.cmd(
                db,
                &[&b"PEXPIREAT"[..], key, e.expire_at.to_string().as_bytes()],
            );
        }
        self
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Appends the batch to the log: one plain record if it holds one, a
    /// BATCH record otherwise (inside EXEC: its records join the
    /// transaction's batch).
    pub fn commit(self) {
        let n = self.n as u64;
        self.commit_counting(n)
    }

    fn commit_counting(self, changes: u64) {
        if self.n == 0 {
            return;
        }
        if self.n == 1 || in_tx() {
            // One record, or records that join the open transaction: split
            // them and append each as it is.
            let mut at = 0;
            let mut first = true;
            while at < self.buf.len() {
                let len = record::record_len(&self.buf[at..]).expect("encoded record");
                let mut rec = self.buf[at..at + len].to_vec();
                let c = if first { changes } else { 0 };
                first = false;
                append(c, move |b, lsn| {
                    record::set_lsn(&mut rec, lsn);
                    b.extend_from_slice(&rec);
                });
                at += len;
            }
        } else {
            let inner = self.buf;
            append(changes, |b, lsn| {
                record::encode(b, record::BATCH, 0, lsn, 0, b"", &inner)
            });
        }
    }
}

/// Runs `f` (EXEC's queued commands, under the exclusive gate) collecting
/// the records they log, then logs them as one batch.
pub fn in_transaction<R>(f: impl FnOnce() -> R) -> R {
    /// Commits on the way out even if `f` panics: what was applied is
    /// logged, and this thread's later records go to the WAL again.
    struct Commit;
    impl Drop for Commit {
        fn drop(&mut self) {
            if let Some(b) = TX.with(|t| t.borrow_mut().take()) {
                b.commit_counting(0); // each record was counted as it was logged
            }
        }
    }
    TX.with(|t| *t.borrow_mut() = Some(Batch::new()));
    let _commit = Commit;
    f()
}

/// Runs `f` with this thread's records captured instead of logged; returns
/// what `f` returned and the captured record bytes (tests, and checks that a
/// command's log replays to the same state).
pub fn capture<R>(f: impl FnOnce() -> R) -> (R, Vec<u8>) {
    CAPTURE.with(|c| *c.borrow_mut() = Some(Vec::new()));
    let r = f();
    let buf = CAPTURE.with(|c| c.borrow_mut().take()).unwrap_or_default();
    (r, buf)
}
