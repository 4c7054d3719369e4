//! The event-loop worker pool (`io-model epoll`, Linux): a few workers —
//! one per core by default — each owning an epoll instance and serving many
//! connections. A request then costs a `read` and a `write` on a thread that
//! is already running, instead of a thread wake-up per request; that is what
//! lets 50 unpipelined clients run as fast as Redis (measurements in
//! docs/ARCHITECTURE.md). Each connection's read → process → write cycle is
//! `Conn` (conn.rs), the same one the thread-per-connection driver uses.
//!
//! Level-triggered epoll: a connection is watched for input while it has
//! no unwritten replies; while its replies do not fit the socket buffer it is
//! watched for output only (back-pressure); while CLIENT PAUSE holds one of
//! its commands it is watched for nothing and retried every few ms; while a
//! blocking command (BLPOP & co.) waits for data it is watched for hang-up
//! only, and re-run when its waiter is woken (through this worker's
//! eventfd) or its deadline passes (epoll's timeout respects the nearest
//! one). A TLS connection first completes its handshake, watched for
//! whatever rustls waits for (input, or output while its records do not
//! fit); while encrypted replies wait in rustls it counts as having output.

use super::conn::{Conn, Flow};
use super::sys::epoll::{self, Epoll, Event, Waker};
use super::Accepted;
use crate::server::Server;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const WAKE: u64 = u64::MAX;
const READ: u32 = epoll::IN | epoll::RDHUP;

/// One worker's inbox, shared with the listener.
struct Inbox {
    epoll: Epoll,
    waker: Waker,
    incoming: Mutex<Vec<Accepted>>,
    /// Slots whose connection has Pub/Sub mail to send (pushed by
    /// publishers, src/pubsub.rs).
    mail: Mutex<Vec<usize>>,
    /// Connections this worker serves (for spreading new ones).
    load: AtomicUsize,
}

/// The handle the listener submits connections to.
#[derive(Clone)]
pub struct EventLoops {
    inboxes: Arc<Vec<Arc<Inbox>>>,
}

impl EventLoops {
    /// Starts `n` workers.
    pub fn start(srv: &Arc<Server>, n: usize) -> std::io::Result<EventLoops> {
        let mut inboxes = Vec::new();
        for i in 0..n.max(1) {
            let inbox = Arc::new(Inbox {
                epoll: Epoll::new()?,
                waker: Waker::new()?,
                incoming: Mutex::new(Vec::new()),
                mail: Mutex::new(Vec::new()),
                load: AtomicUsize::new(0),
            });
            inbox.epoll.add(inbox.waker.fd(), epoll::IN, WAKE)?;
            let (srv, ib) = (srv.clone(), inbox.clone());
            std::thread::Builder::new()
                .name(format!("worker-{}", i))
                .spawn(move || Worker::new(srv, ib).run())?;
            inboxes.push(inbox);
        }
        Ok(EventLoops {
            inboxes: Arc::new(inboxes),
        })
    }

    /// Hands an admitted connection to the least loaded worker.
    pub fn submit(&self, s: Accepted) {
        let ib = self
            .inboxes
            .iter()
            .min_by_key(|ib| ib.load.load(Ordering::Relaxed))
            .expect("at least one worker");
        ib.load.fetch_add(1, Ordering::Relaxed);
        ib.incoming
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(s);
        ib.waker.wake();
    }
}

struct Worker {
    srv: Arc<Server>,
    inbox: Arc<Inbox>,
    conns: Vec<Option<Conn>>,
    /// What epoll watches each slot for (changed only when it must).
    watching: Vec<u32>,
    free: Vec<usize>,
    /// Slots whose connection has a command held by CLIENT PAUSE.
    paused: Vec<usize>,
    /// Slots whose connection waits in a blocking command.
    blocked: Vec<usize>,
    /// Slots with replies to send once this round of events is processed.
    to_write: Vec<usize>,
    /// Slots whose replies wait for the WAL (`appendfsync always`: the
    /// fsync covering their records).
    wal_wait: Vec<usize>,
    /// Whether the WAL writer knows how to wake this worker.
    wal_waker: bool,
    /// Whether this worker is counted among the WAL's waiters (the writer
    /// calls the wakers only while someone waits).
    wal_waiting: bool,
}

impl Worker {
    fn new(srv: Arc<Server>, inbox: Arc<Inbox>) -> Worker {
        Worker {
            srv,
            inbox,
            conns: Vec::new(),
            watching: Vec::new(),
            free: Vec::new(),
            paused: Vec::new(),
            blocked: Vec::new(),
            to_write: Vec::new(),
            wal_wait: Vec::new(),
            wal_waker: false,
            wal_waiting: false,
        }
    }

    fn run(mut self) {
        let mut events = vec![Event { events: 0, data: 0 }; 256];
        let mut last_tick = Instant::now();
        loop {
            let mut timeout = if !self.to_write.is_empty()
                || self.wal_wait.iter().any(|&slot| self.wal_done(slot))
            {
                // Replies of a connection that stopped at its output batch
                // (see `flush`), or an fsync that finished before we
                // registered as a waiter.
                0
            } else if self.paused.is_empty() && self.wal_wait.is_empty() {
                100
            } else {
                5
            };
            if !self.blocked.is_empty() {
                timeout = timeout.min(self.blocked_timeout());
            }
            let n = match self.inbox.epoll.wait(&mut events, timeout) {
                Ok(n) => n,
                Err(e) => {
                    crate::warning!("epoll_wait failed: {}", e);
                    std::thread::sleep(Duration::from_millis(10));
                    0
                }
            };
            for ev in &events[..n] {
                let (token, bits) = (ev.data, ev.events);
                if token == WAKE {
                    self.inbox.waker.drain();
                    self.accept_incoming();
                    self.deliver_mail();
                } else {
                    self.guarded(token as usize, |w, slot| w.ready(slot, bits));
                }
            }
            if !self.paused.is_empty() {
                for slot in std::mem::take(&mut self.paused) {
                    self.guarded(slot, |w, slot| w.drive(slot, false));
                }
            }
            if !self.blocked.is_empty() {
                self.run_blocked();
            }
            // Like Redis's beforeSleep: all replies of the round go out
            // together, so a client serving many connections wakes once for
            // many of them instead of once per reply. Replies waiting for
            // the WAL are retried each round (the writer wakes us).
            let mut flushing = std::mem::take(&mut self.wal_wait);
            flushing.append(&mut self.to_write);
            for slot in flushing {
                self.guarded(slot, |w, slot| w.flush(slot));
            }
            if self.wal_wait.is_empty() && self.wal_waiting {
                if let Some(w) = crate::persist::wal() {
                    w.remove_waiter();
                }
                self.wal_waiting = false;
            }
            if last_tick.elapsed() >= Duration::from_millis(250) {
                last_tick = Instant::now();
                self.tick();
            }
        }
    }

    /// Milliseconds until the nearest deadline of a blocked connection (at
    /// most 100; 0 if one is due now).
    fn blocked_timeout(&self) -> i32 {
        let now = Instant::now();
        let mut ms = 100i32;
        for &slot in &self.blocked {
            let Some(c) = self.conns.get(slot).and_then(|c| c.as_ref()) else {
                continue;
            };
            if c.block_due(now) && !c.has_output() {
                return 0;
            }
            if let Some(d) = c.block_deadline() {
                let left = d.saturating_duration_since(now);
                // Rounded up, so we do not wake just before it.
                let m = left.as_micros().div_ceil(1000).min(100) as i32;
                ms = ms.min(m);
            }
        }
        ms
    }

    /// Re-runs the blocked connections that are due (woken, unblocked or
    /// timed out); the others keep waiting.
    fn run_blocked(&mut self) {
        let now = Instant::now();
        for slot in std::mem::take(&mut self.blocked) {
            let due = match self.conns.get(slot).and_then(|c| c.as_ref()) {
                Some(c) if c.is_blocked() => !c.has_output() && c.block_due(now),
                _ => continue,
            };
            if due {
                self.guarded(slot, |w, slot| w.drive(slot, false));
            } else {
                self.blocked.push(slot);
            }
        }
    }

    /// Runs `f` for one connection; if it panics (a bug outside the
    /// per-command guard in exec.rs), that connection is dropped and the
    /// worker — with every other connection on it — carries on.
    fn guarded(&mut self, slot: usize, f: impl FnOnce(&mut Worker, usize)) {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(self, slot)));
        if r.is_err() {
            crate::warning!("Internal error serving a client; closing that connection");
            self.close(slot);
        }
    }

    fn accept_incoming(&mut self) {
        let streams = std::mem::take(
            &mut *self
                .inbox
                .incoming
                .lock()
                .unwrap_or_else(|e| e.into_inner()),
        );
        for s in streams {
            if s.stream.set_nonblocking(true).is_err() {
                self.srv.clients.release();
                self.inbox.load.fetch_sub(1, Ordering::Relaxed);
                continue;
            }
            let Some(conn) = Conn::new(&self.srv, s) else {
                self.inbox.load.fetch_sub(1, Ordering::Relaxed);
                continue;
            };
            let ib = self.inbox.clone();
            conn.client
                .waiter
                .set_waker(Box::new(move || ib.waker.wake()));
            let slot = match self.free.pop() {
                Some(i) => i,
                None => {
                    self.conns.push(None);
                    self.watching.push(0);
                    self.conns.len() - 1
                }
            };
            if let Err(e) = self
                .inbox
                .epoll
                .add(conn.stream.as_raw_fd(), READ, slot as u64)
            {
                crate::warning!("Could not watch a client socket: {}", e);
                self.free.push(slot);
                self.inbox.load.fetch_sub(1, Ordering::Relaxed);
                continue;
            }
            let ib = self.inbox.clone();
            conn.client.info.mail.set_waker(Box::new(move || {
                ib.mail.lock().unwrap_or_else(|e| e.into_inner()).push(slot);
                ib.waker.wake();
            }));
            // Refused by protected mode: send the explanation and close (a
            // TLS connection after its handshake).
            let refused = conn.closing && !conn.stream.is_handshaking();
            self.conns[slot] = Some(conn);
            self.watching[slot] = READ;
            if refused {
                self.to_write.push(slot);
            }
        }
    }

    /// Moves published messages into their connections' output (sent with
    /// this round's replies). A slot may be stale (its connection closed,
    /// the slot reused): taking mail from a mailbox with none is harmless.
    fn deliver_mail(&mut self) {
        let slots = std::mem::take(&mut *self.inbox.mail.lock().unwrap_or_else(|e| e.into_inner()));
        for slot in slots {
            if let Some(c) = self.conns.get_mut(slot).and_then(|c| c.as_mut()) {
                if c.take_mail() && !self.to_write.contains(&slot) {
                    self.to_write.push(slot);
                }
            }
        }
    }

    /// Handles readiness `bits` for the connection in `slot`.
    fn ready(&mut self, slot: usize, bits: u32) {
        let Some(c) = self.conns.get_mut(slot).and_then(|c| c.as_mut()) else {
            return;
        };
        if c.stream.is_handshaking() {
            return self.handshake(slot);
        }
        if bits & epoll::OUT != 0 && c.has_output() {
            self.flush(slot);
            // Reading resumes on a later round, once the output is gone.
            return;
        }
        if c.is_blocked() {
            // Watched for hang-up only: a blocked client that goes away is
            // unregistered (Conn's drop), as Redis frees it.
            if bits & (epoll::HUP | epoll::ERR | epoll::RDHUP) != 0 {
                self.close(slot);
            }
            return;
        }
        let readable = bits & (epoll::IN | epoll::HUP | epoll::ERR | epoll::RDHUP) != 0;
        self.drive(slot, readable);
    }

    /// Advances a TLS handshake; once it is complete, serves what the client
    /// sent along with it (or sends a protected-mode refusal).
    fn handshake(&mut self, slot: usize) {
        let Some(c) = self.conns.get_mut(slot).and_then(|c| c.as_mut()) else {
            return;
        };
        match c.stream.handshake_step() {
            Err(e) => {
                c.handshake_failed(&e);
                self.close(slot);
            }
            Ok(false) => {
                let interest = if c.stream.wants_write() {
                    epoll::OUT
                } else {
                    READ
                };
                self.watch(slot, interest);
            }
            Ok(true) => {
                let closing = c.closing;
                self.watch(slot, READ);
                if closing {
                    self.to_write.push(slot);
                } else {
                    self.drive(slot, true);
                }
            }
        }
    }

    /// Reads (if `read`), processes and writes for one connection, then sets
    /// what epoll should watch it for.
    fn drive(&mut self, slot: usize, read: bool) {
        let Some(c) = self.conns.get_mut(slot).and_then(|c| c.as_mut()) else {
            return;
        };
        if c.has_output() || c.closing {
            // Still flushing earlier replies: keep waiting for output (and
            // keep retrying a held command meanwhile).
            if c.is_blocked() {
                if !self.blocked.contains(&slot) {
                    self.blocked.push(slot);
                }
            } else if c.is_held() {
                self.paused.push(slot);
            }
            return;
        }
        if read {
            match c.fill() {
                Ok(0) => return self.close(slot),
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    // TLS may have records to send (e.g. a key update).
                    if c.has_output() {
                        self.to_write.push(slot);
                    }
                    return;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => return,
                Err(_) => return self.close(slot),
            }
        }
        match c.process(true) {
            Flow::Close => {
                // Send the last replies (QUIT's +OK, a protocol error)
                // without blocking the loop, then close.
                c.closing = true;
                self.to_write.push(slot);
            }
            Flow::Paused => {
                self.paused.push(slot);
                if c.has_output() {
                    self.to_write.push(slot);
                } else {
                    self.watch(slot, 0);
                }
            }
            Flow::Blocked => {
                self.blocked.push(slot);
                if c.has_output() {
                    self.to_write.push(slot);
                } else {
                    self.watch(slot, epoll::RDHUP);
                }
            }
            Flow::Continue => {
                if c.has_output() {
                    self.to_write.push(slot);
                } else {
                    // E.g. a held command resumed under CLIENT REPLY OFF:
                    // nothing to send, but input must be watched again.
                    self.watch(slot, READ);
                }
            }
        }
    }

    /// Writes a connection's pending replies; watches it for output if they
    /// do not all fit, else for input (or nothing while a command is held).
    fn flush(&mut self, slot: usize) {
        let Some(c) = self.conns.get_mut(slot).and_then(|c| c.as_mut()) else {
            return;
        };
        if !c.wal_ready() {
            if !self.wal_waker {
                if let Some(w) = crate::persist::wal() {
                    let ib = self.inbox.clone();
                    w.add_waker(Box::new(move || ib.waker.wake()));
                    self.wal_waker = true;
                }
            }
            if !self.wal_waiting {
                // Counted before we sleep, so the writer wakes us (the loop
                // re-checks once more for an fsync that beat this).
                if let Some(w) = crate::persist::wal() {
                    w.add_waiter();
                    self.wal_waiting = true;
                }
            }
            if !self.wal_wait.contains(&slot) {
                self.wal_wait.push(slot);
            }
            return self.watch(slot, 0);
        }
        let interest = match c.write_some() {
            Ok(true) if c.closing => {
                c.stream.shutdown_write();
                return self.close(slot);
            }
            Ok(true) if c.is_blocked() => epoll::RDHUP,
            Ok(true) if c.is_held() => 0,
            // The next batch of its pipelined commands (written next round).
            Ok(true) if c.stopped_early() => return self.drive(slot, false),
            Ok(true) => READ,
            Ok(false) => epoll::OUT,
            Err(_) => return self.close(slot),
        };
        self.watch(slot, interest);
    }

    /// Whether the replies of `slot`, waiting for the WAL, may go now.
    fn wal_done(&self, slot: usize) -> bool {
        self.conns
            .get(slot)
            .and_then(|c| c.as_ref())
            .is_none_or(|c| c.wal_done())
    }

    /// Sets what epoll watches `slot` for, calling into the kernel only on a change.
    fn watch(&mut self, slot: usize, interest: u32) {
        if self.watching[slot] != interest {
            if let Some(c) = self.conns.get(slot).and_then(|c| c.as_ref()) {
                let _ = self
                    .inbox
                    .epoll
                    .modify(c.stream.as_raw_fd(), interest, slot as u64);
            }
            self.watching[slot] = interest;
        }
    }

    fn close(&mut self, slot: usize) {
        if let Some(c) = self.conns.get_mut(slot).and_then(|c| c.take()) {
            let _ = self.inbox.epoll.delete(c.stream.as_raw_fd());
            drop(c);
            self.free.push(slot);
            self.paused.retain(|&s| s != slot);
            self.blocked.retain(|&s| s != slot);
            self.wal_wait.retain(|&s| s != slot);
            self.inbox.load.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Periodic checks: killed clients and idle timeouts.
    fn tick(&mut self) {
        let now = crate::store::now_ms();
        for slot in 0..self.conns.len() {
            let close = match self.conns[slot].as_mut() {
                Some(c) => {
                    let killed = c.client.info.killed.load(Ordering::Relaxed);
                    // Like Redis, `timeout` spares blocked clients.
                    let idle = c.idle_too_long(now) && !c.is_blocked();
                    let quiet =
                        now.saturating_sub(c.client.info.last_interaction.load(Ordering::Relaxed));
                    if quiet > 2000 {
                        // Like Redis's clientsCron: idle clients give their buffers back.
                        c.release_idle_buffers();
                    }
                    if idle && !killed {
                        crate::verbose!("Closing idle client id={}", c.client.id);
                    }
                    killed || idle
                }
                None => false,
            };
            if close {
                self.close(slot);
            }
        }
    }
}
