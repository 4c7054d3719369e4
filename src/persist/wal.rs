//! The write-ahead log writer: one shared append buffer, group commit, and
//! a writer thread (`wal-writer`) that writes, fsyncs and rotates segments
//! (segment.rs has the file format and the recovery scan).
//!
//! # Appending and tickets
//!
//! Every write command appends one record with [`Wal::append`]: under the
//! *buffer mutex* it takes the next LSN (LSNs increase by exactly one per
//! append) and encodes the record straight into the shared `Vec<u8>`. No
//! syscall, no allocation once the buffers have grown, no wake-up: the
//! critical section is the encoding itself. `append` returns a *ticket*:
//! the position in the log stream (all bytes appended since [`Wal::open`],
//! across segments) just after the record. Tickets only grow, so "is my
//! record safe" is one comparison against a published position:
//!
//! - `written` — every byte before it has been handed to the OS
//!   (`write(2)` returned);
//! - `durable` — every byte before it has been fsynced.
//!
//! Both are atomics; [`Wal::is_done`] compares the ticket with the one the
//! current policy promises.
//!
//! # Two mutexes
//!
//! The *buffer mutex* guards the append buffer and the LSN counter and is
//! held only to append or to swap the buffer out. The *file mutex* guards
//! the active segment, the bytes being written and the segment list, and is
//! held while writing. Whoever writes (the writer thread, or a worker in
//! [`Wal::write_through`]) takes the file mutex, swaps the whole buffer out
//! under the buffer mutex (a moment: `mem::swap` with the recycled, empty
//! spare buffer) and writes it with the buffer mutex released. So appends
//! never wait for the disk, and one `write(2)` carries every record that
//! accumulated meanwhile, whoever appended it. Fsyncs run with neither
//! mutex held (on a shared handle to the active segment), so a second-long
//! fsync stalls neither appends nor writes. Lock order: file, then buffer.
//!
//! # Group commit and the policies (Redis's `appendfsync`)
//!
//! - **Always** — a reply goes out only once an fsync covers its record.
//!   The worker calls [`Wal::request_sync`] with its last ticket (which
//!   wakes the writer thread only if it is idle and the ticket is beyond
//!   what was already requested) and holds the replies until
//!   [`Wal::is_done`]. The writer loops: swap the buffer out, write it,
//!   `fdatasync`, publish `durable`, wake the waiters. While one fsync is in
//!   flight new records accumulate, and the next round covers all of them:
//!   one fsync per round, not per command.
//! - **EverySec** — workers call [`Wal::write_through`] once per batch of
//!   replies, so every acknowledged write has reached the OS: a crash of the
//!   process (even SIGKILL) loses nothing acknowledged. The writer thread
//!   wakes every 100 ms, writes whatever is still buffered, and fsyncs at
//!   most once a second if anything was written since the last fsync: a
//!   power loss (or kernel crash) can lose up to about a second.
//! - **No** — like EverySec but never fsyncs (except on rotation and
//!   [`Wal::flush_sync`]); the OS decides when data reaches the disk.
//!
//! # Rotation
//!
//! Before writing a swapped-out buffer, if the active segment has reached
//! `segment_size`, the writer fsyncs it, creates the next segment (its
//! header's first LSN is the LSN of the buffer's first record), fsyncs the
//! directory and writes the buffer there. Rotation happens only at buffer
//! boundaries, so a record never spans two segments, and every segment but
//! the active one is fully fsynced.
//!
//! # Errors
//!
//! A failed write, fsync or rotation puts the log in the error state
//! ([`Wal::error`] gives the reason, e.g. "No space left on device"; it is
//! logged once, and counted). The bytes not known to be written stay
//! queued, exactly from the first unwritten one (a half-written record is
//! finished by the retry; if the process dies first, recovery cuts it as a
//! torn tail). No progress is published for them, so their tickets stay
//! not done and callers keep holding their replies. Workers stop writing
//! while the log fails; the writer thread retries about once a second, and
//! the first fully successful round clears the error and releases the
//! replies. (As with any fsync-based log, an fsync error may mean the
//! kernel dropped dirty pages; a later successful fsync cannot tell.)
//!
//! # Wakers
//!
//! An event loop that holds replies registers a closure with
//! [`Wal::add_waker`] (it pokes the loop's eventfd) and brackets the time it
//! holds replies with [`Wal::add_waiter`] / [`Wal::remove_waiter`]. Whenever
//! `written` or `durable` advances while the waiter count is non-zero, the
//! thread that advanced it (normally the writer thread) calls every waker,
//! with no mutex of the log held (a waker may call back into the log).
//! Threads blocked in [`Wal::wait`] use a condvar instead.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::segment;

/// How often the writer thread wakes up on its own.
const TICK: Duration = Duration::from_millis(100);
/// How often a failing log is retried.
const RETRY: Duration = Duration::from_secs(1);
/// How often EverySec fsyncs (at most).
const SYNC_EVERY: Duration = Duration::from_secs(1);
/// Initial capacity of each of the two append buffers.
const BUF_CAPACITY: usize = 256 * 1024;
/// A buffer that grew beyond this (a long stall) is shrunk after writing.
const BUF_KEEP_MAX: usize = 64 * 1024 * 1024;

/// When a write counts as safe (Redis's `appendfsync` values).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FsyncPolicy {
    /// Reply after an fsync covers the record.
    Always,
    /// Reply after write(2); fsync once a second.
    EverySec,
    /// Reply after write(2); never fsync (the OS flushes).
    No,
}

impl FsyncPolicy {
    /// Parses `always` / `everysec` / `no` (any case).
    pub fn parse(s: &str) -> Option<FsyncPolicy> {
        match s.to_ascii_lowercase().as_str() {
            "always" => Some(FsyncPolicy::Always),
            "everysec" => Some(FsyncPolicy::EverySec),
            "no" => Some(FsyncPolicy::No),
            _ => None,
        }
    }

    /// The config name (`always` / `everysec` / `no`).
    pub fn as_str(self) -> &'static str {
        match self {
            FsyncPolicy::Always => "always",
            FsyncPolicy::EverySec => "everysec",
            FsyncPolicy::No => "no",
        }
    }

    fn to_u8(self) -> u8 {
        match self {
            FsyncPolicy::Always => 0,
            FsyncPolicy::EverySec => 1,
            FsyncPolicy::No => 2,
        }
    }

    fn from_u8(v: u8) -> FsyncPolicy {
        match v {
            0 => FsyncPolicy::Always,
            1 => FsyncPolicy::EverySec,
            _ => FsyncPolicy::No,
        }
    }
}

/// How [`Wal::open`] sets the log up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WalOptions {
    pub fsync: FsyncPolicy,
    /// A segment that reached this many bytes is closed at the next buffer
    /// boundary and a new one started.
    pub segment_size: u64,
}

impl Default for WalOptions {
    fn default() -> WalOptions {
        WalOptions {
            fsync: FsyncPolicy::EverySec,
            segment_size: 64 * 1024 * 1024,
        }
    }
}

/// Figures for INFO.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WalStats {
    /// Total size of all segment files (headers included).
    pub total_bytes: u64,
    /// Record bytes written to the OS since open (= the `written` position).
    pub bytes_written: u64,
    /// Number of segment files.
    pub segments: usize,
    /// Unix time (seconds) of the last successful fsync; 0 if none yet.
    pub last_fsync: u64,
    /// How long the last successful fsync took, in microseconds.
    pub last_fsync_usec: u64,
    /// Successful fsyncs since open.
    pub fsyncs: u64,
    /// Failed writes / fsyncs / rotations since open.
    pub write_errors: u64,
    /// How long the successful fsyncs took (Prometheus
    /// `flashdb_wal_fsync_duration_seconds`).
    pub fsync_hist: crate::obs::hist::Pow4Snapshot,
    /// Bytes are appended but not yet written to the OS.
    pub pending: bool,
    /// Stream position written to the OS (tickets up to it are written).
    pub written: u64,
    /// Stream position fsynced (tickets up to it are durable).
    pub durable: u64,
}

/// The shared append buffer (behind the buffer mutex).
struct AppendBuf {
    data: Vec<u8>,
    /// Stream position of `data[0]`.
    base: u64,
    next_lsn: u64,
    /// LSN of the first record in `data` (meaningful when it is non-empty).
    first_lsn: u64,
}

/// One segment file of the log.
struct Seg {
    seq: u64,
    path: PathBuf,
    first_lsn: u64,
    len: u64,
}

/// The file side (behind the file mutex).
struct FileState {
    /// The active segment (shared so fsync can run without the mutex).
    file: Arc<File>,
    /// Every segment, oldest first; the last is the active one.
    segs: Vec<Seg>,
    /// A swapped-out buffer being written; `pending[..pending_off]` is
    /// written. When fully written it is the empty spare for the next swap.
    pending: Vec<u8>,
    pending_off: usize,
    /// Stream position of `pending[0]`.
    pending_start: u64,
    /// LSN of the first record in `pending`.
    pending_first_lsn: u64,
}

struct ErrorState {
    msg: Option<String>,
    /// When the last failure happened (retry a second later).
    at: Option<Instant>,
}

#[cfg(test)]
mod fault {
    pub const NONE: u8 = 0;
    /// Every write fails (ENOSPC).
    pub const WRITE: u8 = 1;
    /// The next write writes half its bytes, then every write fails.
    pub const SHORT: u8 = 2;
    /// Every fsync fails (EIO).
    pub const SYNC: u8 = 3;
}

/// The write-ahead log; see the module doc.
pub struct Wal {
    wal_dir: PathBuf,
    segment_size: u64,
    policy: AtomicU8,
    buf: Mutex<AppendBuf>,
    file: Mutex<FileState>,
    written: AtomicU64,
    durable: AtomicU64,
    /// The largest ticket `request_sync` was asked for.
    sync_requested: AtomicU64,
    /// Wakes the writer thread (the mutex guards nothing but the wait).
    signal: Mutex<()>,
    signal_cv: Condvar,
    /// The writer thread is (about to be) waiting on `signal_cv`.
    writer_idle: AtomicBool,
    stop: AtomicBool,
    closed: AtomicBool,
    /// Threads blocked in `wait` sleep on `done_cv`.
    done_lock: Mutex<()>,
    done_cv: Condvar,
    blocked: AtomicUsize,
    /// Event loops holding replies (`add_waiter`); wakers run only then.
    waiters: AtomicUsize,
    wakers: Mutex<Vec<Box<dyn Fn() + Send + Sync>>>,
    failing: AtomicBool,
    error: Mutex<ErrorState>,
    write_errors: AtomicU64,
    fsyncs: AtomicU64,
    last_fsync: AtomicU64,
    last_fsync_usec: AtomicU64,
    /// Durations of the successful fsyncs (two relaxed adds each).
    fsync_hist: crate::obs::hist::Pow4,
    thread: Mutex<Option<JoinHandle<()>>>,
    #[cfg(test)]
    fault: AtomicU8,
}

/// Locks, ignoring poisoning (every critical section leaves its data
/// consistent; `append` undoes a half-encoded record).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// An io::Error's text without the "(os error N)" suffix.
fn reason(e: &io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error ") {
        Some(i) if s.ends_with(')') => s[..i].to_string(),
        _ => s,
    }
}

impl Wal {
    /// Creates `<dir>/wal` if needed and starts a new segment (sequence =
    /// last existing + 1) whose header's first LSN is `next_lsn`; fsyncs the
    /// new file and the directory; starts the writer thread (`wal-writer`).
    /// Run the recovery scan first: a torn last segment fails here.
    pub fn open(dir: &Path, opts: WalOptions, next_lsn: u64) -> io::Result<Arc<Wal>> {
        Wal::open_at(dir, opts, next_lsn, next_lsn)
    }

    /// [`Wal::open`] with the new segment's header LSN `header_lsn` (at
    /// most `next_lsn`): recovery passes the first LSN the log did not
    /// account for, declaring that the LSNs from there to `next_lsn` were
    /// never written (see `segment::scan_from`).
    pub fn open_at(
        dir: &Path,
        opts: WalOptions,
        next_lsn: u64,
        header_lsn: u64,
    ) -> io::Result<Arc<Wal>> {
        let header_lsn = header_lsn.min(next_lsn);
        let wal_dir = segment::wal_dir(dir);
        fs::create_dir_all(&wal_dir)?;
        segment::sync_dir(dir)?;
        let mut segs: Vec<Seg> = segment::list_segments(dir)?
            .into_iter()
            .map(|s| Seg {
                seq: s.seq,
                path: s.path,
                first_lsn: s.first_lsn,
                len: s.len,
            })
            .collect();
        let seq = segs.last().map_or(1, |s| s.seq + 1);
        let (file, path) = segment::create_segment(&wal_dir, seq, header_lsn)?;
        segs.push(Seg {
            seq,
            path,
            first_lsn: header_lsn,
            len: segment::HEADER_LEN as u64,
        });
        let wal = Arc::new(Wal {
            wal_dir,
            segment_size: opts.segment_size,
            policy: AtomicU8::new(opts.fsync.to_u8()),
            buf: Mutex::new(AppendBuf {
                data: Vec::with_capacity(BUF_CAPACITY),
                base: 0,
                next_lsn,
                first_lsn: next_lsn,
            }),
            file: Mutex::new(FileState {
                file: Arc::new(file),
                segs,
                pending: Vec::with_capacity(BUF_CAPACITY),
                pending_off: 0,
                pending_start: 0,
                pending_first_lsn: next_lsn,
            }),
            written: AtomicU64::new(0),
            durable: AtomicU64::new(0),
            sync_requested: AtomicU64::new(0),
            signal: Mutex::new(()),
            signal_cv: Condvar::new(),
            writer_idle: AtomicBool::new(false),
            stop: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            done_lock: Mutex::new(()),
            done_cv: Condvar::new(),
            blocked: AtomicUsize::new(0),
            waiters: AtomicUsize::new(0),
            wakers: Mutex::new(Vec::new()),
            failing: AtomicBool::new(false),
            error: Mutex::new(ErrorState {
                msg: None,
                at: None,
            }),
            write_errors: AtomicU64::new(0),
            fsyncs: AtomicU64::new(0),
            last_fsync: AtomicU64::new(0),
            last_fsync_usec: AtomicU64::new(0),
            fsync_hist: Default::default(),
            thread: Mutex::new(None),
            #[cfg(test)]
            fault: AtomicU8::new(fault::NONE),
        });
        let weak = Arc::downgrade(&wal);
        let handle = std::thread::Builder::new()
            .name("wal-writer".into())
            .spawn(move || writer_main(weak))?;
        *lock(&wal.thread) = Some(handle);
        Ok(wal)
    }

    /// Appends one record: takes the next LSN and calls `f(buf, lsn)`, which
    /// must encode exactly one record (`record::encode` /
    /// `record::encode_command`) at the end of `buf`. Returns the ticket:
    /// the stream position just after the record. If `f` panics, the
    /// partial record is removed and the LSN is not used.
    pub fn append(&self, f: impl FnOnce(&mut Vec<u8>, u64)) -> u64 {
        /// Removes a half-encoded record if `f` panics.
        struct Undo<'a> {
            b: &'a mut AppendBuf,
            start: usize,
            armed: bool,
        }
        impl Drop for Undo<'_> {
            fn drop(&mut self) {
                if self.armed {
                    self.b.data.truncate(self.start);
                }
            }
        }
        let mut guard = lock(&self.buf);
        let lsn = guard.next_lsn;
        let start = guard.data.len();
        let mut u = Undo {
            b: &mut guard,
            start,
            armed: true,
        };
        if start == 0 {
            u.b.first_lsn = lsn;
        }
        f(&mut u.b.data, lsn);
        u.armed = false;
        u.b.next_lsn = lsn + 1;
        u.b.base + u.b.data.len() as u64
    }

    /// The LSN the next append will get.
    pub fn next_lsn(&self) -> u64 {
        lock(&self.buf).next_lsn
    }

    /// True when the bytes up to `ticket` are as safe as the policy
    /// promises: Always → fsynced; EverySec / No → written to the OS.
    pub fn is_done(&self, ticket: u64) -> bool {
        let pos = match self.fsync_policy() {
            FsyncPolicy::Always => &self.durable,
            _ => &self.written,
        };
        pos.load(Ordering::Acquire) >= ticket
    }

    /// Makes the bytes up to `ticket` written to the OS now: returns at once
    /// if they are; else takes the file mutex and writes the whole buffer
    /// (everybody's records, one write). Does nothing while the log is
    /// failing (the writer thread retries); errors are recorded, see
    /// [`Wal::error`].
    pub fn write_through(&self, ticket: u64) {
        if self.written.load(Ordering::Acquire) >= ticket || self.failing.load(Ordering::Acquire) {
            return;
        }
        let before = self.positions();
        let mut fs = lock(&self.file);
        if self.written.load(Ordering::Acquire) >= ticket {
            return;
        }
        let r = self.write_out(&mut fs);
        drop(fs);
        self.notify_since(before);
        if let Err(e) = r {
            self.set_error(e);
        }
    }

    /// Always: asks the writer thread to write and fsync up to `ticket` and
    /// returns at once (cheap when it is already requested or done). Does
    /// nothing under the other policies.
    pub fn request_sync(&self, ticket: u64) {
        if self.fsync_policy() != FsyncPolicy::Always
            || self.sync_requested.load(Ordering::Acquire) >= ticket
            || self.durable.load(Ordering::Acquire) >= ticket
        {
            return;
        }
        self.sync_requested.fetch_max(ticket, Ordering::SeqCst);
        // The writer sets `writer_idle` before checking for requests, we set
        // the request before checking `writer_idle` (both SeqCst): either it
        // sees the request or we see it idle and wake it.
        if self.writer_idle.load(Ordering::SeqCst) {
            self.wake_writer();
        }
    }

    /// Blocks until `is_done(ticket)`. Err(reason) if the log is failing
    /// and the ticket is not done.
    pub fn wait(&self, ticket: u64) -> Result<(), String> {
        loop {
            if self.is_done(ticket) {
                return Ok(());
            }
            if let Some(e) = self.error() {
                return Err(e);
            }
            if self.fsync_policy() != FsyncPolicy::Always {
                self.write_through(ticket);
                continue;
            }
            if self.stop.load(Ordering::Acquire) {
                // No writer thread any more: sync here.
                self.flush_sync()?;
                continue;
            }
            self.request_sync(ticket);
            let g = lock(&self.done_lock);
            self.blocked.fetch_add(1, Ordering::SeqCst);
            if !self.is_done(ticket) && !self.failing.load(Ordering::SeqCst) {
                drop(self.done_cv.wait_timeout(g, TICK));
            }
            self.blocked.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// Registers a callback run after progress while a waiter is registered.
    pub fn add_waker(&self, w: Box<dyn Fn() + Send + Sync>) {
        lock(&self.wakers).push(w);
    }

    /// An event loop starts holding replies (wakers will be called).
    pub fn add_waiter(&self) {
        self.waiters.fetch_add(1, Ordering::SeqCst);
    }

    /// An event loop stopped holding replies.
    pub fn remove_waiter(&self) {
        self.waiters.fetch_sub(1, Ordering::SeqCst);
    }

    /// Some(reason) while the log is failing; None when healthy.
    pub fn error(&self) -> Option<String> {
        if !self.failing.load(Ordering::Acquire) {
            return None;
        }
        lock(&self.error).msg.clone()
    }

    /// CONFIG SET appendfsync. Switching to a weaker policy writes what is
    /// buffered, so tickets held under the old one are done under the new.
    pub fn set_fsync(&self, p: FsyncPolicy) {
        self.policy.store(p.to_u8(), Ordering::SeqCst);
        if p != FsyncPolicy::Always {
            self.write_through(u64::MAX);
        }
        self.wake_writer();
        self.notify_progress();
    }

    pub fn fsync_policy(&self) -> FsyncPolicy {
        FsyncPolicy::from_u8(self.policy.load(Ordering::Relaxed))
    }

    /// Writes everything appended so far and fsyncs (SHUTDOWN, SAVE).
    /// Retries a failing log at once; on success the error state clears.
    pub fn flush_sync(&self) -> Result<(), String> {
        let before = self.positions();
        let r = (|| -> io::Result<()> {
            let mut fs = lock(&self.file);
            self.write_out(&mut fs)?;
            let pos = self.written.load(Ordering::Acquire);
            if pos > self.durable.load(Ordering::Acquire) {
                self.sync_file(&fs.file)?;
                self.durable.fetch_max(pos, Ordering::SeqCst);
            }
            Ok(())
        })();
        self.notify_since(before);
        match r {
            Ok(()) => {
                self.clear_error();
                Ok(())
            }
            Err(e) => Err(self.set_error(e)),
        }
    }

    /// Writes what is buffered and, if the active segment holds any record,
    /// starts a new one: a snapshot calls this before it starts, so that
    /// every record older than it sits in segments `remove_covered` can
    /// delete once the snapshot is done.
    pub fn rotate_now(&self) -> Result<(), String> {
        let before = self.positions();
        let r = (|| -> io::Result<()> {
            let mut fs = lock(&self.file);
            self.write_out(&mut fs)?;
            if fs.segs.last().unwrap().len <= segment::HEADER_LEN as u64 {
                return Ok(());
            }
            let b = lock(&self.buf);
            fs.pending_first_lsn = if b.data.is_empty() {
                b.next_lsn
            } else {
                b.first_lsn
            };
            drop(b);
            self.rotate(&mut fs)
        })();
        self.notify_since(before);
        r.map_err(|e| self.set_error(e))
    }

    /// Deletes the segments all of whose records have LSN < `lsn` (segment
    /// i is covered when segment i+1 exists and its first LSN is <= `lsn`),
    /// never the active one; fsyncs the directory. Returns how many.
    pub fn remove_covered(&self, lsn: u64) -> io::Result<usize> {
        let doomed: Vec<Seg> = {
            let mut fs = lock(&self.file);
            let mut k = 0;
            while k + 1 < fs.segs.len() && fs.segs[k + 1].first_lsn <= lsn {
                k += 1;
            }
            fs.segs.drain(..k).collect()
        };
        let mut removed = 0;
        let mut result = Ok(());
        for s in &doomed {
            match fs::remove_file(&s.path) {
                Ok(()) => removed += 1,
                Err(e) if e.kind() == io::ErrorKind::NotFound => removed += 1,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        if removed < doomed.len() {
            // Keep the ones not deleted on the list.
            let mut fs = lock(&self.file);
            let rest: Vec<Seg> = doomed.into_iter().skip(removed).collect();
            fs.segs.splice(0..0, rest);
        }
        if removed > 0 {
            segment::sync_dir(&self.wal_dir)?;
        }
        result.map(|()| removed)
    }

    /// Figures for INFO.
    pub fn stats(&self) -> WalStats {
        let fs = lock(&self.file);
        let total_bytes = fs.segs.iter().map(|s| s.len).sum();
        let segments = fs.segs.len();
        let mut pending = fs.pending_off < fs.pending.len();
        {
            let b = lock(&self.buf);
            pending |= !b.data.is_empty();
        }
        drop(fs);
        let written = self.written.load(Ordering::Acquire);
        WalStats {
            total_bytes,
            bytes_written: written,
            segments,
            last_fsync: self.last_fsync.load(Ordering::Relaxed),
            last_fsync_usec: self.last_fsync_usec.load(Ordering::Relaxed),
            fsyncs: self.fsyncs.load(Ordering::Relaxed),
            write_errors: self.write_errors.load(Ordering::Relaxed),
            fsync_hist: self.fsync_hist.snapshot(),
            pending,
            written,
            durable: self.durable.load(Ordering::Acquire),
        }
    }

    /// Flushes and fsyncs, then stops the writer thread; idempotent. The
    /// log stays usable (`flush_sync` writes; `wait` syncs itself).
    pub fn close(&self) {
        if self.closed.swap(true, Ordering::SeqCst) {
            return;
        }
        let _ = self.flush_sync();
        self.stop.store(true, Ordering::SeqCst);
        self.wake_writer();
        let h = lock(&self.thread).take();
        if let Some(h) = h {
            if h.thread().id() != std::thread::current().id() {
                let _ = h.join();
            }
        }
        self.notify_progress();
    }

    // ---- internals ----

    fn wake_writer(&self) {
        let _g = lock(&self.signal);
        self.signal_cv.notify_one();
    }

    /// Wakes `wait`ers and (when an event loop holds replies) the wakers.
    fn notify_progress(&self) {
        if self.blocked.load(Ordering::SeqCst) > 0 {
            let _g = lock(&self.done_lock);
            self.done_cv.notify_all();
        }
        if self.waiters.load(Ordering::SeqCst) > 0 {
            for w in lock(&self.wakers).iter() {
                w();
            }
        }
    }

    /// The (written, durable) positions, to tell progress later.
    fn positions(&self) -> (u64, u64) {
        (
            self.written.load(Ordering::Acquire),
            self.durable.load(Ordering::Acquire),
        )
    }

    /// Notifies if either position moved since `before` (call with no
    /// mutex held: wakers run here).
    fn notify_since(&self, before: (u64, u64)) {
        if self.positions() != before {
            self.notify_progress();
        }
    }

    /// Records a failure; returns its text.
    fn set_error(&self, e: io::Error) -> String {
        let msg = reason(&e);
        self.write_errors.fetch_add(1, Ordering::Relaxed);
        let mut st = lock(&self.error);
        let first = st.msg.is_none();
        st.msg = Some(msg.clone());
        st.at = Some(Instant::now());
        self.failing.store(true, Ordering::SeqCst);
        drop(st);
        if first && !cfg!(test) {
            crate::log::log(
                crate::log::WARNING,
                &format!(
                    "wal: write error: {msg}; holding replies to writes and retrying every second"
                ),
            );
        }
        // Blocked `wait`ers return the error.
        let _g = lock(&self.done_lock);
        self.done_cv.notify_all();
        msg
    }

    fn clear_error(&self) {
        if !self.failing.load(Ordering::Acquire) {
            return;
        }
        let mut st = lock(&self.error);
        self.failing.store(false, Ordering::SeqCst);
        if st.msg.take().is_some() && !cfg!(test) {
            drop(st);
            crate::log::log(crate::log::NOTICE, "wal: writes succeed again");
        }
    }

    /// A failing log may be retried (a second after the last failure).
    fn retry_due(&self) -> bool {
        lock(&self.error).at.is_none_or(|t| t.elapsed() >= RETRY)
    }

    /// With the file mutex held: finishes writing a partly written buffer,
    /// then swaps the append buffer out once and writes it (rotating first
    /// if the segment is full). Publishes `written` as bytes go out; the
    /// caller notifies once the mutex is released.
    fn write_out(&self, fs: &mut FileState) -> io::Result<()> {
        let mut took = false;
        loop {
            if fs.pending_off == fs.pending.len() {
                fs.pending.clear();
                fs.pending_off = 0;
                if fs.pending.capacity() > BUF_KEEP_MAX {
                    fs.pending.shrink_to(BUF_CAPACITY);
                }
                if took {
                    return Ok(());
                }
                took = true;
                let mut b = lock(&self.buf);
                if b.data.is_empty() {
                    return Ok(());
                }
                std::mem::swap(&mut b.data, &mut fs.pending);
                fs.pending_start = b.base;
                b.base += fs.pending.len() as u64;
                fs.pending_first_lsn = b.first_lsn;
            }
            if fs.pending_off == 0 && fs.segs.last().unwrap().len >= self.segment_size {
                self.rotate(fs)?;
            }
            while fs.pending_off < fs.pending.len() {
                match self.write_some(&fs.file, &fs.pending[fs.pending_off..]) {
                    Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                    Ok(n) => {
                        fs.pending_off += n;
                        fs.segs.last_mut().unwrap().len += n as u64;
                        self.written
                            .store(fs.pending_start + fs.pending_off as u64, Ordering::Release);
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
        }
    }

    /// With the file mutex held, at a buffer boundary: fsyncs the active
    /// segment and starts the next one.
    fn rotate(&self, fs: &mut FileState) -> io::Result<()> {
        self.sync_file(&fs.file)?;
        self.durable
            .fetch_max(self.written.load(Ordering::Acquire), Ordering::SeqCst);
        let seq = fs.segs.last().unwrap().seq + 1;
        let first_lsn = fs.pending_first_lsn;
        let (file, path) = segment::create_segment(&self.wal_dir, seq, first_lsn)?;
        fs.file = Arc::new(file);
        fs.segs.push(Seg {
            seq,
            path,
            first_lsn,
            len: segment::HEADER_LEN as u64,
        });
        Ok(())
    }

    /// Fsyncs the active segment without holding the file mutex and
    /// publishes `durable`.
    fn sync_active(&self) -> io::Result<()> {
        let (file, pos) = {
            let fs = lock(&self.file);
            (fs.file.clone(), self.written.load(Ordering::Acquire))
        };
        if pos <= self.durable.load(Ordering::Acquire) {
            return Ok(());
        }
        // Earlier segments were fsynced when rotated away from, so syncing
        // this one makes everything up to `pos` durable.
        self.sync_file(&file)?;
        self.durable.fetch_max(pos, Ordering::SeqCst);
        Ok(())
    }

    fn sync_file(&self, f: &File) -> io::Result<()> {
        #[cfg(test)]
        if self.fault.load(Ordering::SeqCst) == fault::SYNC {
            return Err(io::Error::from_raw_os_error(5));
        }
        let t = crate::obs::latency::start();
        let began = Instant::now();
        f.sync_data()?;
        let took = began.elapsed();
        self.fsync_hist.record(took);
        self.last_fsync_usec.store(
            took.as_micros().min(u64::MAX as u128) as u64,
            Ordering::Relaxed,
        );
        if self.fsync_policy() == FsyncPolicy::Always {
            crate::obs::latency::end("aof-fsync-always", t);
        }
        self.fsyncs.fetch_add(1, Ordering::Relaxed);
        self.last_fsync.store(unix_now(), Ordering::Relaxed);
        Ok(())
    }

    fn write_some(&self, mut f: &File, b: &[u8]) -> io::Result<usize> {
        #[cfg(test)]
        match self.fault.load(Ordering::SeqCst) {
            fault::WRITE => return Err(io::Error::from_raw_os_error(28)),
            fault::SHORT => {
                self.fault.store(fault::WRITE, Ordering::SeqCst);
                return f.write(&b[..b.len().div_ceil(2)]);
            }
            _ => {}
        }
        let t = crate::obs::latency::start();
        let r = f.write(b);
        crate::obs::latency::end("aof-write", t);
        r
    }

    /// One round of the writer thread.
    fn writer_round(&self, last_sync: &mut Instant) {
        if self.failing.load(Ordering::Acquire) && !self.retry_due() {
            return;
        }
        let policy = self.fsync_policy();
        let before = self.positions();
        let r = (|| -> io::Result<()> {
            {
                let mut fs = lock(&self.file);
                self.write_out(&mut fs)?;
            }
            let sync = match policy {
                FsyncPolicy::Always => true,
                FsyncPolicy::EverySec => last_sync.elapsed() >= SYNC_EVERY,
                FsyncPolicy::No => false,
            };
            if sync && self.written.load(Ordering::Acquire) > self.durable.load(Ordering::Acquire) {
                self.sync_active()?;
                *last_sync = Instant::now();
            }
            Ok(())
        })();
        self.notify_since(before);
        match r {
            Ok(()) => self.clear_error(),
            Err(e) => {
                self.set_error(e);
            }
        }
    }

    /// Whether the writer thread has work right now (else it sleeps a tick).
    fn writer_urgent(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
            || (self.fsync_policy() == FsyncPolicy::Always
                && !self.failing.load(Ordering::SeqCst)
                && self.sync_requested.load(Ordering::SeqCst) > self.durable.load(Ordering::SeqCst))
    }

    fn writer_wait(&self) {
        let g = lock(&self.signal);
        self.writer_idle.store(true, Ordering::SeqCst);
        if !self.writer_urgent() {
            drop(self.signal_cv.wait_timeout(g, TICK));
        }
        self.writer_idle.store(false, Ordering::SeqCst);
    }
}

/// The writer thread: holds the log only weakly, so dropping the last
/// `Arc<Wal>` ends it even without `close`.
fn writer_main(weak: Weak<Wal>) {
    let mut last_sync = Instant::now();
    loop {
        let Some(w) = weak.upgrade() else { return };
        if w.stop.load(Ordering::SeqCst) {
            return;
        }
        w.writer_wait();
        if w.stop.load(Ordering::SeqCst) {
            return;
        }
        w.writer_round(&mut last_sync);
    }
}

impl Drop for Wal {
    fn drop(&mut self) {
        let _ = self.flush_sync();
        self.stop.store(true, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::persist::record::{self, encode_command, Record};
    use crate::persist::segment::tests::TempDir;
    use crate::persist::segment::{list_segments, scan, ScanReport, WalErrorKind, HEADER_LEN};
    use std::collections::HashSet;

    fn opts(fsync: FsyncPolicy, segment_size: u64) -> WalOptions {
        WalOptions {
            fsync,
            segment_size,
        }
    }

    /// Appends `SET <key> v<lsn>`; returns (ticket, lsn).
    fn set(w: &Wal, key: &str) -> (u64, u64) {
        let mut got = 0;
        let t = w.append(|b, lsn| {
            got = lsn;
            let v = format!("v{lsn}");
            encode_command(b, 0, lsn, &[b"SET", key.as_bytes(), v.as_bytes()]);
        });
        (t, got)
    }

    fn scan_all(dir: &Path, repair: bool) -> (Vec<Record>, ScanReport) {
        let mut recs = Vec::new();
        let rep = scan(dir, repair, |r| {
            recs.push(r);
            Ok(())
        })
        .unwrap();
        (recs, rep)
    }

    fn lsns(recs: &[Record]) -> Vec<u64> {
        recs.iter().map(|r| r.lsn).collect()
    }

    /// Polls `cond` for up to `secs` seconds.
    fn until(secs: u64, cond: impl Fn() -> bool) -> bool {
        let end = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < end {
            if cond() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        cond()
    }

    /// Record start offsets in a segment file (after the header).
    fn record_starts(data: &[u8]) -> Vec<usize> {
        let mut at = HEADER_LEN;
        let mut out = Vec::new();
        while at < data.len() {
            out.push(at);
            at += record::decode(&data[at..]).unwrap().1;
        }
        out
    }

    /// A closed log of `n` records with one record per write (so
    /// `segment_size` rotates precisely).
    fn make_log(dir: &Path, n: u64, segment_size: u64) {
        let w = Wal::open(dir, opts(FsyncPolicy::No, segment_size), 1).unwrap();
        for i in 1..=n {
            let (t, _) = set(&w, &format!("key{i}"));
            w.write_through(t);
        }
        w.close();
    }

    #[test]
    fn concurrent_appends_are_each_logged_once_in_lsn_order() {
        let d = TempDir::new("wal-many");
        let w = Wal::open(&d.0, opts(FsyncPolicy::EverySec, 1 << 20), 1).unwrap();
        let (threads, per) = (6, 3000);
        let hs: Vec<_> = (0..threads)
            .map(|t| {
                let w = w.clone();
                std::thread::spawn(move || {
                    let mut mine = Vec::new();
                    for i in 0..per {
                        let (ticket, lsn) = set(&w, &format!("t{t}-{i}"));
                        if i % 16 == 0 {
                            w.write_through(ticket);
                            assert!(w.is_done(ticket));
                        }
                        mine.push((ticket, lsn, format!("t{t}-{i}")));
                    }
                    mine
                })
            })
            .collect();
        let mut all = Vec::new();
        for h in hs {
            let mine = h.join().unwrap();
            for p in mine.windows(2) {
                assert!(p[0].0 < p[1].0 && p[0].1 < p[1].1, "tickets and LSNs grow");
            }
            all.extend(mine);
        }
        let n = (threads * per) as u64;
        assert_eq!(w.next_lsn(), n + 1);
        w.flush_sync().unwrap();
        let st = w.stats();
        let max_ticket = all.iter().map(|a| a.0).max().unwrap();
        assert_eq!(st.bytes_written, max_ticket);
        assert_eq!(st.durable, max_ticket);
        assert!(!st.pending);
        assert_eq!(
            all.iter().map(|a| a.0).collect::<HashSet<_>>().len(),
            all.len()
        );
        w.close();
        let (recs, rep) = scan_all(&d.0, false);
        // File order is append order: LSNs 1..=n, each once.
        assert_eq!(lsns(&recs), (1..=n).collect::<Vec<_>>());
        assert_eq!((rep.records, rep.last_lsn), (n, n));
        assert_eq!(rep.bytes, max_ticket);
        let by_lsn: std::collections::HashMap<u64, &Record> =
            recs.iter().map(|r| (r.lsn, r)).collect();
        for (_, lsn, key) in &all {
            let r = by_lsn[lsn];
            assert_eq!(r.key, key.as_bytes());
            assert_eq!(r.value, format!("v{lsn}").as_bytes());
        }
    }

    #[test]
    fn always_wait_returns_after_fsync_and_commits_in_groups() {
        let d = TempDir::new("wal-always");
        let w = Wal::open(&d.0, opts(FsyncPolicy::Always, 1 << 20), 1).unwrap();
        let (t, _) = set(&w, "first");
        w.wait(t).unwrap();
        assert!(w.is_done(t));
        assert!(w.stats().durable >= t);
        let (threads, per) = (8, 150);
        let hs: Vec<_> = (0..threads)
            .map(|i| {
                let w = w.clone();
                std::thread::spawn(move || {
                    for j in 0..per {
                        let (t, _) = set(&w, &format!("k{i}-{j}"));
                        w.wait(t).unwrap();
                        assert!(w.is_done(t));
                        assert!(w.stats().durable >= t);
                    }
                })
            })
            .collect();
        for h in hs {
            h.join().unwrap();
        }
        let st = w.stats();
        let waits = (threads * per + 1) as u64;
        assert!(st.fsyncs < waits, "{} fsyncs for {waits} waits", st.fsyncs);
        assert!(st.last_fsync > 0);
        w.close();
        assert_eq!(scan_all(&d.0, false).1.records, waits);
    }

    #[test]
    fn request_sync_wakes_the_registered_wakers() {
        let d = TempDir::new("wal-waker");
        let w = Wal::open(&d.0, opts(FsyncPolicy::Always, 1 << 20), 1).unwrap();
        let pokes = Arc::new(AtomicUsize::new(0));
        let p = pokes.clone();
        w.add_waker(Box::new(move || {
            p.fetch_add(1, Ordering::SeqCst);
        }));
        w.add_waiter();
        let (t, _) = set(&w, "k");
        w.request_sync(t);
        w.request_sync(t); // cheap repeat
        assert!(until(5, || w.is_done(t)));
        assert!(until(5, || pokes.load(Ordering::SeqCst) > 0));
        w.remove_waiter();
        w.close();
    }

    #[test]
    fn rotation_headers_scan_and_remove_covered() {
        let d = TempDir::new("wal-rotate");
        make_log(&d.0, 60, 300);
        let segs = list_segments(&d.0).unwrap();
        assert!(segs.len() >= 5, "{} segments", segs.len());
        let mut seen = Vec::new();
        for (i, s) in segs.iter().enumerate() {
            assert_eq!(s.seq, i as u64 + 1);
            let data = fs::read(&s.path).unwrap();
            let starts = record_starts(&data);
            let lsn_of = |at: usize| record::decode(&data[at..]).unwrap().0.lsn;
            // A rotated segment reached the size before the next record.
            if i + 1 < segs.len() {
                assert!(s.len >= 300);
                // ... and was below it before its last record.
                assert!(*starts.last().unwrap() < 300);
            }
            assert_eq!(s.first_lsn, lsn_of(starts[0]), "header of {}", s.seq);
            seen.extend(starts.iter().map(|&a| lsn_of(a)));
        }
        assert_eq!(seen, (1..=60).collect::<Vec<_>>());
        let (recs, rep) = scan_all(&d.0, false);
        assert_eq!(lsns(&recs), seen);
        assert_eq!(
            (rep.segments, rep.last_seq),
            (segs.len(), segs.len() as u64)
        );

        // Reopen: a new, empty segment whose header says LSN 61.
        let w = Wal::open(&d.0, opts(FsyncPolicy::No, 300), 61).unwrap();
        let all = list_segments(&d.0).unwrap();
        assert_eq!(all.len(), segs.len() + 1);
        assert_eq!(all.last().unwrap().first_lsn, 61);
        assert_eq!(w.stats().segments, all.len());
        assert_eq!(
            w.stats().total_bytes,
            all.iter().map(|s| s.len).sum::<u64>()
        );
        // Covered = the next segment starts at or below the LSN.
        let lsn = all[3].first_lsn;
        assert_eq!(w.remove_covered(lsn - 1).unwrap(), 2);
        assert_eq!(w.remove_covered(lsn).unwrap(), 1);
        let left = list_segments(&d.0).unwrap();
        assert_eq!(left.first().unwrap().seq, 4);
        let (recs, _) = scan_all(&d.0, false);
        assert_eq!(recs[0].lsn, lsn);
        // Never the active segment.
        assert_eq!(w.remove_covered(u64::MAX).unwrap(), left.len() - 1);
        assert_eq!(list_segments(&d.0).unwrap().len(), 1);
        assert_eq!(w.stats().segments, 1);
        let (t, lsn) = set(&w, "after");
        assert_eq!(lsn, 61);
        w.write_through(t);
        w.close();
        assert_eq!(lsns(&scan_all(&d.0, false).0), vec![61]);
    }

    #[test]
    fn torn_tail_at_every_offset_keeps_the_complete_prefix() {
        let d = TempDir::new("wal-torn");
        make_log(&d.0, 30, 500);
        let segs = list_segments(&d.0).unwrap();
        assert!(segs.len() >= 2);
        let last = segs.last().unwrap();
        let data = fs::read(&last.path).unwrap();
        let starts = record_starts(&data);
        assert!(starts.len() >= 3);
        let before = 30 - starts.len() as u64; // records in earlier segments
        let copy = TempDir::new("wal-torn-copy");
        let wal = segment::wal_dir(&copy.0);
        fs::create_dir_all(&wal).unwrap();
        for s in &segs[..segs.len() - 1] {
            fs::copy(&s.path, wal.join(s.path.file_name().unwrap())).unwrap();
        }
        let target = wal.join(last.path.file_name().unwrap());
        let first_cut = starts[starts.len() - 3];
        for cut in first_cut..data.len() {
            fs::write(&target, &data[..cut]).unwrap();
            let (recs, rep) = scan_all(&copy.0, false);
            let complete = starts.iter().filter(|&&s| s < cut).count() as u64
                - u64::from(!starts.contains(&cut));
            assert_eq!(recs.len() as u64, before + complete, "cut at {cut}");
            assert_eq!(lsns(&recs), (1..=before + complete).collect::<Vec<_>>());
            let boundary = *starts.iter().filter(|&&s| s <= cut).max().unwrap();
            if boundary == cut {
                assert_eq!(rep.truncated, None, "cut at {cut}");
            } else {
                assert_eq!(
                    rep.truncated,
                    Some((target.clone(), boundary as u64, (cut - boundary) as u64)),
                    "cut at {cut}"
                );
            }
            assert_eq!(fs::metadata(&target).unwrap().len(), boundary as u64);
            assert!(rep.repaired.is_none());
        }

        // Zeros after the last record (the file grew, the data never came).
        let mut z = data.clone();
        z.extend_from_slice(&[0; 4096]);
        fs::write(&target, &z).unwrap();
        let (recs, rep) = scan_all(&copy.0, false);
        assert_eq!(recs.len(), 30);
        assert_eq!(
            rep.truncated,
            Some((target.clone(), data.len() as u64, 4096))
        );
        assert_eq!(fs::read(&target).unwrap(), data);

        // A damaged last record (its end is the end of the file), alone or
        // followed by zeros: torn too.
        let last_start = *starts.last().unwrap();
        for zeros in [0, 100] {
            let mut b = data.clone();
            *b.last_mut().unwrap() ^= 0xff;
            b.extend(std::iter::repeat_n(0, zeros));
            fs::write(&target, &b).unwrap();
            let (recs, rep) = scan_all(&copy.0, false);
            assert_eq!(recs.len(), 29);
            assert_eq!(rep.truncated.unwrap().1, last_start as u64);
        }
    }

    #[test]
    fn corruption_is_refused_or_repaired() {
        let d = TempDir::new("wal-corrupt");
        make_log(&d.0, 40, 400);
        let segs = list_segments(&d.0).unwrap();
        assert!(segs.len() >= 4, "{} segments", segs.len());

        // In the last segment, but with records after it: corruption.
        let last = segs.last().unwrap();
        let orig_last = fs::read(&last.path).unwrap();
        let starts = record_starts(&orig_last);
        assert!(starts.len() >= 2);
        let mut b = orig_last.clone();
        b[starts[1] - 1] ^= 1;
        fs::write(&last.path, &b).unwrap();
        let e = scan(&d.0, false, |_| Ok(())).unwrap_err();
        assert_eq!(
            (e.path.clone(), e.offset),
            (last.path.clone(), starts[0] as u64)
        );
        fs::write(&last.path, &orig_last).unwrap();

        // A middle record of a middle segment.
        let mid = &segs[1];
        let data = fs::read(&mid.path).unwrap();
        let starts = record_starts(&data);
        let k = starts.len() / 2;
        let (bad, bad_end) = (starts[k], starts[k + 1]);
        let mut b = data.clone();
        b[bad_end - 1] ^= 0x40; // last value byte: the lengths stay right
        fs::write(&mid.path, &b).unwrap();
        let kept = lsns(&scan_all_until_err(&d.0));
        let e = scan(&d.0, false, |_| Ok(())).unwrap_err();
        assert_eq!(e.kind, WalErrorKind::Corrupt);
        assert_eq!((e.path.clone(), e.offset), (mid.path.clone(), bad as u64));
        let msg = e.to_string();
        assert!(
            msg.starts_with(&format!(
                "wal: bad record (CRC mismatch) at {}:{bad}; refusing to start",
                mid.path.display()
            )),
            "{msg}"
        );
        assert!(msg.contains("--wal-repair"), "{msg}");

        let (recs, rep) = scan_all(&d.0, true);
        assert_eq!(lsns(&recs), kept);
        assert_eq!(
            kept.len(),
            record_starts(&fs::read(&segs[0].path).unwrap()).len() + k
        );
        let dropped = (data.len() - bad) as u64 + segs[2..].iter().map(|s| s.len).sum::<u64>();
        assert_eq!(rep.repaired, Some((mid.path.clone(), bad as u64, dropped)));
        assert_eq!((rep.segments, rep.last_seq), (2, 2));
        assert_eq!(fs::metadata(&mid.path).unwrap().len(), bad as u64);
        for s in &segs[2..] {
            assert!(!s.path.exists());
            let c = PathBuf::from(format!("{}.corrupt", s.path.display()));
            assert_eq!(fs::metadata(&c).unwrap().len(), s.len);
        }
        // Clean afterwards, and a new log continues after the kept ones.
        let (recs, rep) = scan_all(&d.0, false);
        assert_eq!(lsns(&recs), kept);
        assert_eq!((rep.truncated.clone(), rep.repaired.clone()), (None, None));
        let w = Wal::open(&d.0, opts(FsyncPolicy::No, 400), rep.last_lsn + 1).unwrap();
        assert_eq!(list_segments(&d.0).unwrap().last().unwrap().seq, 3);
        w.close();
    }

    /// The LSNs a non-repairing scan delivers before it fails.
    fn scan_all_until_err(dir: &Path) -> Vec<Record> {
        let mut recs = Vec::new();
        let _ = scan(dir, false, |r| {
            recs.push(r);
            Ok(())
        });
        recs
    }

    #[test]
    fn failed_writes_hold_tickets_then_retry_without_loss() {
        let d = TempDir::new("wal-fail");
        let w = Wal::open(&d.0, opts(FsyncPolicy::EverySec, 1 << 20), 1).unwrap();
        let pokes = Arc::new(AtomicUsize::new(0));
        let p = pokes.clone();
        w.add_waker(Box::new(move || {
            p.fetch_add(1, Ordering::SeqCst);
        }));
        let (t0, _) = set(&w, "before");
        w.write_through(t0);
        assert!(w.is_done(t0));

        w.fault.store(fault::SHORT, Ordering::SeqCst);
        let mut t = 0;
        for i in 0..10 {
            t = set(&w, &format!("a{i}")).0;
        }
        w.write_through(t);
        let err = w.error().expect("error state");
        assert!(err.contains("No space left on device"), "{err}");
        assert!(!err.contains("os error"), "{err}");
        assert!(!w.is_done(t));
        let st = w.stats();
        assert!(st.written > t0 && st.written < t, "half written");
        assert!(st.write_errors >= 1 && st.pending);
        // More appends while failing: queued, nothing written.
        let mut t2 = 0;
        for i in 0..10 {
            t2 = set(&w, &format!("b{i}")).0;
        }
        w.write_through(t2);
        assert!(!w.is_done(t2));
        assert_eq!(w.wait(t2), Err(err.clone()));
        // Still failing after the writer's retries.
        std::thread::sleep(Duration::from_millis(1300));
        assert!(w.error().is_some() && !w.is_done(t));
        assert!(w.stats().write_errors >= 2);

        w.add_waiter();
        w.fault.store(fault::NONE, Ordering::SeqCst);
        assert!(until(5, || w.error().is_none() && w.is_done(t2)));
        assert!(until(5, || pokes.load(Ordering::SeqCst) > 0));
        w.remove_waiter();
        w.close();
        let (recs, rep) = scan_all(&d.0, false);
        assert_eq!(lsns(&recs), (1..=21).collect::<Vec<_>>());
        assert_eq!(rep.truncated, None);
        assert_eq!(recs[1].key, b"a0");
        assert_eq!(recs[20].key, b"b9");
    }

    #[test]
    fn failed_fsync_under_always_holds_tickets_until_it_succeeds() {
        let d = TempDir::new("wal-fail-sync");
        let w = Wal::open(&d.0, opts(FsyncPolicy::Always, 1 << 20), 1).unwrap();
        w.fault.store(fault::SYNC, Ordering::SeqCst);
        let (t, _) = set(&w, "k");
        let e = w.wait(t).unwrap_err();
        assert!(e.contains("Input/output error"), "{e}");
        assert!(!w.is_done(t));
        assert!(w.stats().written >= t, "written, not durable");
        assert!(w.flush_sync().is_err());
        w.fault.store(fault::NONE, Ordering::SeqCst);
        assert!(until(5, || w.error().is_none() && w.is_done(t)));
        w.wait(t).unwrap();
        w.close();
        assert_eq!(scan_all(&d.0, false).1.records, 1);
    }

    #[test]
    fn policies_parse_and_switch() {
        for p in [FsyncPolicy::Always, FsyncPolicy::EverySec, FsyncPolicy::No] {
            assert_eq!(FsyncPolicy::parse(p.as_str()), Some(p));
            assert_eq!(FsyncPolicy::from_u8(p.to_u8()), p);
        }
        assert_eq!(FsyncPolicy::parse("EVERYSEC"), Some(FsyncPolicy::EverySec));
        assert_eq!(FsyncPolicy::parse("sometimes"), None);
        let d = TempDir::new("wal-policy");
        let w = Wal::open(&d.0, opts(FsyncPolicy::Always, 1 << 20), 5).unwrap();
        w.fault.store(fault::SYNC, Ordering::SeqCst);
        let (t, lsn) = set(&w, "k");
        assert_eq!(lsn, 5);
        w.request_sync(t);
        assert!(until(5, || w.error().is_some()));
        assert!(!w.is_done(t));
        // Written is enough under everysec: done at once.
        w.set_fsync(FsyncPolicy::EverySec);
        assert_eq!(w.fsync_policy(), FsyncPolicy::EverySec);
        assert!(w.is_done(t));
        w.fault.store(fault::NONE, Ordering::SeqCst);
        w.close();
        w.close(); // idempotent
                   // Usable after close: wait syncs by itself.
        w.set_fsync(FsyncPolicy::Always);
        let (t, _) = set(&w, "late");
        w.wait(t).unwrap();
        assert_eq!(scan_all(&d.0, false).1.records, 2);
    }

    #[test]
    fn a_panicking_encoder_leaves_no_trace() {
        let d = TempDir::new("wal-panic");
        let w = Wal::open(&d.0, opts(FsyncPolicy::No, 1 << 20), 1).unwrap();
        set(&w, "a");
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            w.append(|b, _| {
                b.extend_from_slice(b"half a record");
                panic!("encoder bug");
            })
        }));
        assert!(r.is_err());
        let (_, lsn) = set(&w, "b");
        assert_eq!(lsn, 2);
        w.close();
        let (recs, rep) = scan_all(&d.0, false);
        assert_eq!(lsns(&recs), vec![1, 2]);
        assert_eq!(rep.truncated, None);
    }

    #[test]
    fn dropping_the_last_handle_flushes_and_stops_the_writer() {
        let d = TempDir::new("wal-drop");
        let w = Wal::open(&d.0, opts(FsyncPolicy::No, 1 << 20), 1).unwrap();
        let weak = Arc::downgrade(&w);
        set(&w, "a");
        drop(w);
        assert!(until(5, || weak.upgrade().is_none()));
        // The writer may have run Drop; give it a moment to finish it.
        assert!(until(5, || scan_all(&d.0, false).1.records == 1));
    }
}
