//! Blocking pops (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN,
//! BZPOPMAX, BZMPOP) and blocking stream reads (XREAD, XREADGROUP with
//! BLOCK): the registry of blocked clients and the helpers the handlers
//! use. A served XREAD is no write, so it signals its keys itself to pass
//! the wake-up on (src/command/stream.rs).
//!
//! # How a client blocks
//! A blocking handler locks all its keys (one `Store::lock`) and tries the
//! pop exactly like the non-blocking form (same reply, same WAL records).
//! If every key is empty it calls [`block`] *while still holding those
//! stripe locks*: the client is appended to the FIFO of each of its keys
//! and `Client::just_blocked` is set. `exec.rs` then returns the arguments
//! to the connection, which holds them (`Flow::Blocked`) — with no stripe
//! lock and no gate held — exactly as a command held by CLIENT PAUSE.
//!
//! # How it is woken
//! After any successful write command, `exec.rs` calls [`signal`] for the
//! keys the command names (the table's key positions, or COMMAND GETKEYS's
//! rules; MOVE / COPY ... DB also the key in the other DB, SWAPDB every key
//! of both DBs). That over-signals (LPOP, SET, ...): harmless, the woken
//! client re-runs and blocks again. Inside EXEC the signals are sent as the
//! queued commands run, but the woken client re-runs its handler under the
//! shared gate, so it runs only after EXEC: a push then pop inside one
//! transaction leaves nothing to serve. Because a push signals only after
//! its handler released the stripe lock, and a client registers before
//! releasing its locks, no wake-up is lost.
//!
//! A signal wakes only the *head* of the key's FIFO (the longest waiting
//! client). When that client is served its own command is a successful
//! write naming the key, so it signals the key again and the next client
//! wakes: clients are served in blocking order, one element each, as in
//! Redis. A woken client that leaves without being served (timeout,
//! disconnect, CLIENT UNBLOCK) passes the wake-up on.
//!
//! Waking: [`Waiter::wake`] sets `ready`, notifies a condvar (the
//! thread-per-connection driver waits on it) and calls the waker the event
//! loop installed (its eventfd). The driver re-runs the held command when
//! `ready` is set, the deadline passed or CLIENT UNBLOCK asked; the handler
//! then pops, or blocks again keeping its place, or replies nil (deadline,
//! inside MULTI) or the UNBLOCKED error.

use crate::resp::Reply;
use crate::server::{Client, Ctx, Server};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// CLIENT UNBLOCK modes stored in `Waiter::unblock`.
const UNBLOCK_NONE: u8 = 0;
const UNBLOCK_TIMEOUT: u8 = 1;
const UNBLOCK_ERROR: u8 = 2;

/// One connection's wake-up channel (every `Client` has one).
pub struct Waiter {
    pub id: u64,
    ready: AtomicBool,
    unblock: AtomicU8,
    lock: Mutex<()>,
    cv: Condvar,
    waker: Mutex<Option<Box<dyn Fn() + Send + Sync>>>,
}

impl Waiter {
    pub fn new(id: u64) -> Waiter {
        Waiter {
            id,
            ready: AtomicBool::new(false),
            unblock: AtomicU8::new(UNBLOCK_NONE),
            lock: Mutex::new(()),
            cv: Condvar::new(),
            waker: Mutex::new(None),
        }
    }

    /// The event loop's way to be woken (its eventfd).
    pub fn set_waker(&self, f: Box<dyn Fn() + Send + Sync>) {
        *self.waker.lock().unwrap_or_else(|e| e.into_inner()) = Some(f);
    }

    fn wake(&self) {
        self.ready.store(true, Ordering::SeqCst);
        {
            let _g = self.lock.lock().unwrap_or_else(|e| e.into_inner());
            self.cv.notify_all();
        }
        if let Some(w) = self
            .waker
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            w();
        }
    }

    /// Whether the held command should run again now (a key got data, or
    /// CLIENT UNBLOCK).
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::SeqCst) || self.unblock.load(Ordering::SeqCst) != UNBLOCK_NONE
    }

    /// Waits up to `t` for `is_ready` (thread-per-connection driver).
    pub fn wait(&self, t: Duration) {
        let g = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        if self.is_ready() {
            return;
        }
        let _ = self.cv.wait_timeout(g, t);
    }
}

/// A blocked client's registration (in `Client::blocked`).
pub struct Blocked {
    /// None = forever.
    pub deadline: Option<Instant>,
    keys: Vec<(usize, Vec<u8>)>,
    /// The reply on timeout.
    nil: Reply,
}

#[derive(Default)]
struct Inner {
    /// (db, key) → the clients waiting on it, longest waiting first.
    keys: HashMap<(usize, Vec<u8>), VecDeque<Arc<Waiter>>>,
    /// Blocked clients by id (CLIENT UNBLOCK, CLIENT LIST flags).
    clients: HashMap<u64, Arc<Waiter>>,
}

/// The registry of blocked clients (`Server::blocking`).
#[derive(Default)]
pub struct Registry {
    inner: Mutex<Inner>,
    /// Blocked clients (INFO `blocked_clients`; 0 = `signal` returns at once).
    count: AtomicUsize,
}

impl Registry {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many clients are blocked.
    pub fn blocked_clients(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }

    pub fn is_blocked(&self, id: u64) -> bool {
        self.blocked_clients() > 0 && self.lock().clients.contains_key(&id)
    }

    /// Wakes the longest waiting client on (db, key), if any.
    pub fn signal(&self, db: usize, key: &[u8]) {
        if self.count.load(Ordering::SeqCst) == 0 {
            return;
        }
        let head = {
            let g = self.lock();
            g.keys
                .get(&(db, key.to_vec()))
                .and_then(|q| q.front().cloned())
        };
        if let Some(w) = head {
            w.wake();
        }
    }

    /// Wakes the head of every key of `db` (SWAPDB).
    pub fn signal_db(&self, db: usize) {
        if self.count.load(Ordering::SeqCst) == 0 {
            return;
        }
        let heads: Vec<Arc<Waiter>> = self
            .lock()
            .keys
            .iter()
            .filter(|((d, _), _)| *d == db)
            .filter_map(|(_, q)| q.front().cloned())
            .collect();
        for w in heads {
            w.wake();
        }
    }

    /// CLIENT UNBLOCK: true if the client was blocked.
    pub fn unblock(&self, id: u64, error: bool) -> bool {
        let w = self.lock().clients.get(&id).cloned();
        match w {
            Some(w) => {
                let mode = if error {
                    UNBLOCK_ERROR
                } else {
                    UNBLOCK_TIMEOUT
                };
                w.unblock.store(mode, Ordering::SeqCst);
                w.wake();
                true
            }
            None => false,
        }
    }

    fn register(&self, w: &Arc<Waiter>, keys: &[(usize, Vec<u8>)]) {
        let mut g = self.lock();
        if g.clients.insert(w.id, w.clone()).is_none() {
            self.count.fetch_add(1, Ordering::SeqCst);
        }
        for k in keys {
            let q = g.keys.entry(k.clone()).or_default();
            // A client blocking again after a wake-up keeps its place.
            if !q.iter().any(|x| x.id == w.id) {
                q.push_back(w.clone());
            }
        }
    }

    fn unregister(&self, w: &Arc<Waiter>, keys: &[(usize, Vec<u8>)]) {
        let mut next = Vec::new();
        {
            let mut g = self.lock();
            if g.clients.remove(&w.id).is_some() {
                self.count.fetch_sub(1, Ordering::SeqCst);
            }
            for k in keys {
                if let Some(q) = g.keys.get_mut(k) {
                    let was_head = q.front().is_some_and(|x| x.id == w.id);
                    q.retain(|x| x.id != w.id);
                    if q.is_empty() {
                        g.keys.remove(k);
                    } else if was_head && w.ready.load(Ordering::SeqCst) {
                        // It was woken for this key but leaves unserved:
                        // pass the wake-up on.
                        next.extend(q.front().cloned());
                    }
                }
            }
        }
        for n in next {
            n.wake();
        }
    }
}

/// A blocking command's timeout argument, in Redis's terms (seconds, a
/// double; 0 = forever). Ok(None) = forever.
pub fn parse_timeout(a: &[u8]) -> Result<Option<Duration>, Reply> {
    let f = crate::command::args::parse_f64(a)
        .ok_or_else(|| Reply::err("ERR timeout is not a float or out of range"))?;
    let ms = (f * 1000.0).ceil();
    // Redis casts to a long long: out of range (inf) comes out negative.
    if !(0.0..9_223_372_036_854_775_808.0).contains(&ms) {
        return Err(Reply::err("ERR timeout is negative"));
    }
    if ms == 0.0 {
        return Ok(None);
    }
    Ok(Some(Duration::from_millis(ms as u64)))
}

/// Called by a handler re-run after a wake-up, before it tries to pop: the
/// reply if CLIENT UNBLOCK asked it to stop (the client is unregistered).
pub fn unblocked(ctx: &mut Ctx) -> Option<Reply> {
    let b = ctx.client.blocked.as_ref()?;
    let w = ctx.client.waiter.clone();
    w.ready.store(false, Ordering::SeqCst);
    let reply = match w.unblock.swap(UNBLOCK_NONE, Ordering::SeqCst) {
        UNBLOCK_TIMEOUT => b.nil.clone(),
        UNBLOCK_ERROR => Reply::err("UNBLOCKED client unblocked via CLIENT UNBLOCK"),
        _ => return None,
    };
    cancel(ctx.srv, ctx.client);
    Some(reply)
}

/// Whether this run is a re-run of a blocked command (a key that has the
/// wrong type by now is then skipped, as Redis 7.0 keeps such a client
/// blocked).
pub fn rerun(ctx: &Ctx) -> bool {
    ctx.client.blocked.is_some()
}

/// The pop found nothing. Call while still holding the keys' stripe locks.
/// Inside MULTI/EXEC, or once the deadline passed, the reply is `nil`;
/// otherwise the client is registered on `keys` (keeping its place if it
/// already waited) and the connection holds the command.
pub fn block(ctx: &mut Ctx, keys: &[&[u8]], timeout: Option<Duration>, nil: Reply) -> Reply {
    if ctx.client.in_exec {
        return nil;
    }
    let db = ctx.client.db;
    let now = Instant::now();
    let deadline = match &ctx.client.blocked {
        Some(b) => b.deadline,
        None => {
            ctx.client
                .waiter
                .unblock
                .store(UNBLOCK_NONE, Ordering::SeqCst);
            ctx.client.waiter.ready.store(false, Ordering::SeqCst);
            // A deadline past what the clock can hold is no deadline
            // (Redis 7.0 blocks on such a timeout too).
            timeout.and_then(|t| now.checked_add(t))
        }
    };
    if deadline.is_some_and(|d| now >= d) {
        cancel(ctx.srv, ctx.client);
        return nil;
    }
    let keys: Vec<(usize, Vec<u8>)> = keys.iter().map(|k| (db, k.to_vec())).collect();
    ctx.srv.blocking.register(&ctx.client.waiter, &keys);
    ctx.client.blocked = Some(Blocked {
        deadline,
        keys,
        nil,
    });
    ctx.client.just_blocked = true;
    Reply::Null
}

/// The client stops waiting (served, timed out, unblocked, disconnected).
pub fn cancel(srv: &Server, client: &mut Client) {
    if let Some(b) = client.blocked.take() {
        srv.blocking.unregister(&client.waiter, &b.keys);
    }
}

/// The handler served the client: it stops waiting.
pub fn served(ctx: &mut Ctx) {
    cancel(ctx.srv, ctx.client);
}

/// Whether the blocked client's deadline has passed.
pub fn timed_out(client: &Client, now: Instant) -> bool {
    client
        .blocked
        .as_ref()
        .and_then(|b| b.deadline)
        .is_some_and(|d| now >= d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_like_redis() {
        assert_eq!(parse_timeout(b"0").unwrap(), None);
        assert_eq!(parse_timeout(b"-0").unwrap(), None);
        assert_eq!(
            parse_timeout(b"0.1").unwrap(),
            Some(Duration::from_millis(100))
        );
        assert_eq!(
            parse_timeout(b"1e-3").unwrap(),
            Some(Duration::from_millis(1))
        );
        assert_eq!(
            parse_timeout(b"0.0001").unwrap(),
            Some(Duration::from_millis(1))
        );
        for bad in [&b"abc"[..], b"", b" 1", b"nan", b"1.5abc"] {
            assert_eq!(
                parse_timeout(bad).unwrap_err(),
                Reply::err("ERR timeout is not a float or out of range")
            );
        }
        for neg in [
            &b"-1"[..],
            b"inf",
            b"-inf",
            b"1e400",
            b"9223372036854775807",
        ] {
            assert_eq!(
                parse_timeout(neg).unwrap_err(),
                Reply::err("ERR timeout is negative")
            );
        }
    }

    #[test]
    fn fifo_and_passing_on() {
        let r = Registry::default();
        let (a, b) = (Arc::new(Waiter::new(1)), Arc::new(Waiter::new(2)));
        let k = vec![(0, b"k".to_vec())];
        r.register(&a, &k);
        r.register(&b, &k);
        r.register(&a, &k);
        assert_eq!(r.blocked_clients(), 2);
        r.signal(0, b"k");
        assert!(a.is_ready() && !b.is_ready());
        r.unregister(&a, &k);
        assert!(b.is_ready(), "a woken client leaving passes the wake-up on");
        assert!(r.unblock(2, true));
        assert!(!r.unblock(1, true));
        r.unregister(&b, &k);
        assert_eq!(r.blocked_clients(), 0);
        assert!(r.lock().keys.is_empty());
    }
}
