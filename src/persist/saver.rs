//! When and how snapshots are taken: `SAVE`, `BGSAVE`, `BGREWRITEAOF`,
//! the `save <seconds> <changes>` rules and `wal-max-size`, checked once a
//! second by the snapshotter thread. One snapshot runs at a time. After a
//! snapshot: keep the newest `snapshot-retain`, delete the WAL segments it
//! covers.

use super::{snapshot, DIRTY};
use crate::server::Server;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Persistence status (INFO persistence, LASTSAVE, LOADING).
pub struct State {
    /// Recovery is running: clients get -LOADING.
    pub loading: AtomicBool,
    /// Unix seconds of the last successful snapshot (or of the start).
    pub last_save: AtomicU64,
    pub last_bgsave_ok: AtomicBool,
    pub in_progress: AtomicBool,
    /// Unix seconds the running snapshot started.
    pub started: AtomicU64,
    /// Seconds the last snapshot took; -1 = none yet.
    pub last_duration: AtomicI64,
    pub snapshots_taken: AtomicU64,
    /// WAL bytes written (since start) when the last snapshot began: the
    /// `wal-max-size` rule counts the growth since then.
    pub wal_mark: AtomicU64,
    /// BGSAVE SCHEDULE / BGREWRITEAOF asked for one while one was running.
    pub scheduled: AtomicBool,
    /// Loading progress: keys loaded, unix ms the load started.
    pub loading_keys: AtomicU64,
    pub loading_start: AtomicU64,
    /// SHUTDOWN's choice: 0 = default (a snapshot only without a WAL and
    /// with `save` rules), 1 = SAVE (always), 2 = NOSAVE (never).
    pub shutdown_save: std::sync::atomic::AtomicU8,
    /// Serializes snapshots.
    lock: Mutex<()>,
}

impl Default for State {
    fn default() -> State {
        State {
            loading: AtomicBool::new(false),
            last_save: AtomicU64::new(crate::store::now_ms() / 1000),
            last_bgsave_ok: AtomicBool::new(true),
            in_progress: AtomicBool::new(false),
            started: AtomicU64::new(0),
            last_duration: AtomicI64::new(-1),
            snapshots_taken: AtomicU64::new(0),
            scheduled: AtomicBool::new(false),
            wal_mark: AtomicU64::new(0),
            loading_keys: AtomicU64::new(0),
            loading_start: AtomicU64::new(0),
            shutdown_save: std::sync::atomic::AtomicU8::new(0),
            lock: Mutex::new(()),
        }
    }
}

/// Takes a snapshot now, in this thread (SAVE, and BGSAVE's thread).
pub fn save(srv: &Server) -> Result<snapshot::SnapshotInfo, String> {
    let st = &srv.persist;
    let _one = st.lock.lock().unwrap_or_else(|e| e.into_inner());
    let dir = srv.config().dir.clone();
    let retain = srv.config().snapshot_retain.max(1);
    st.in_progress.store(true, Relaxed);
    st.started.store(crate::store::now_ms() / 1000, Relaxed);
    let dirty = DIRTY.load(Relaxed);
    let t = Instant::now();
    if let Some(w) = super::wal() {
        st.wal_mark.store(w.stats().bytes_written, Relaxed);
        // Start a fresh segment: the ones before it are all older than the
        // snapshot and can go once it is written.
        if let Err(e) = w.rotate_now() {
            crate::warning!(
                "wal: could not start a new segment before the snapshot: {}",
                e
            );
        }
    }
    let r = snapshot::write(
        &srv.store,
        &srv.gate,
        || super::wal().map_or(super::BASE_LSN.load(Relaxed), |w| w.next_lsn()),
        &dir,
    );
    st.in_progress.store(false, Relaxed);
    st.last_duration
        .store(t.elapsed().as_secs() as i64, Relaxed);
    match r {
        Ok(info) => {
            DIRTY.fetch_sub(dirty.min(DIRTY.load(Relaxed)), Relaxed);
            st.last_save.store(crate::store::now_ms() / 1000, Relaxed);
            st.last_bgsave_ok.store(true, Relaxed);
            st.snapshots_taken.fetch_add(1, Relaxed);
            if let Err(e) = snapshot::retain(&dir, retain) {
                crate::warning!("snapshot: could not delete old snapshots: {}", e);
            }
            if let Some(w) = super::wal() {
                // Keep the WAL back to the oldest snapshot kept, so a fallback
                // to it (the newest damaged) still finds every later record.
                let oldest = snapshot::list(&dir)
                    .ok()
                    .and_then(|l| l.last().cloned())
                    .map_or(Ok(info.min_lsn), |p| snapshot::min_lsn(&p));
                let keep_from = match oldest {
                    Ok(l) => l.min(info.min_lsn),
                    Err(e) => {
                        crate::warning!("snapshot: can't read the oldest snapshot kept: {}", e);
                        0
                    }
                };
                match w.remove_covered(keep_from) {
                    Ok(0) => {}
                    Ok(n) => {
                        crate::verbose!("wal: deleted {} segment(s) covered by the snapshot", n)
                    }
                    Err(e) => crate::warning!("wal: could not delete covered segments: {}", e),
                }
            }
            crate::notice!(
                "DB saved on disk: {} ({} keys, {} bytes, {} ms)",
                info.path.display(),
                info.keys,
                info.bytes,
                info.duration.as_millis()
            );
            Ok(info)
        }
        Err(e) => {
            st.last_bgsave_ok.store(false, Relaxed);
            let msg = format!("snapshot failed: {e}");
            crate::warning!("{}", msg);
            Err(msg)
        }
    }
}

/// Starts a snapshot on a thread of its own; Err if one is running.
pub fn bgsave(srv: &Arc<Server>) -> Result<(), &'static str> {
    if srv
        .persist
        .in_progress
        .compare_exchange(false, true, Relaxed, Relaxed)
        .is_err()
    {
        return Err("ERR Background save already in progress");
    }
    let s = srv.clone();
    std::thread::Builder::new()
        .name("snapshot".into())
        .spawn(move || {
            let _ = save(&s);
        })
        .map(|_| ())
        .map_err(|_| {
            srv.persist.in_progress.store(false, Relaxed);
            "ERR Can't start the background save thread"
        })
}

/// Asks for a snapshot as soon as the running one ends.
pub fn schedule(srv: &Server) {
    srv.persist.scheduled.store(true, Relaxed);
}

/// Whether a `save` rule, `wal-max-size` or a scheduled request calls for
/// a snapshot now.
fn due(srv: &Server) -> bool {
    if srv.persist.scheduled.load(Relaxed) {
        return true;
    }
    let cfg = srv.config();
    let now = crate::store::now_ms() / 1000;
    let since = now.saturating_sub(srv.persist.last_save.load(Relaxed));
    let dirty = DIRTY.load(Relaxed);
    if cfg
        .save
        .iter()
        .any(|&(secs, changes)| dirty >= changes && since >= secs && dirty > 0)
    {
        return true;
    }
    match super::wal() {
        Some(w) if cfg.wal_max_size > 0 => {
            let grown = w.stats().bytes_written
                - srv
                    .persist
                    .wal_mark
                    .load(Relaxed)
                    .min(w.stats().bytes_written);
            grown >= cfg.wal_max_size && dirty > 0
        }
        _ => false,
    }
}

/// The snapshotter thread: checks the rules once a second.
pub fn start(srv: Arc<Server>) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("snapshotter".into())
        .spawn(move || {
            let mut failed_at: Option<Instant> = None;
            while !srv.is_shutting_down() {
                std::thread::sleep(Duration::from_millis(200));
                // Redis retries a failed save after 5 s, not every tick.
                if failed_at.is_some_and(|t| t.elapsed() < Duration::from_secs(5)) {
                    continue;
                }
                if due(&srv) && !srv.persist.in_progress.load(Relaxed) {
                    srv.persist.scheduled.store(false, Relaxed);
                    failed_at = save(&srv).err().map(|_| Instant::now());
                }
            }
        })
}
