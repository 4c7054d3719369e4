//! Client-side caching: key tracking and invalidation (Redis 7.0's
//! `tracking.c`; CLIENT TRACKING / CACHING / TRACKINGINFO / GETREDIR are in
//! `command/connection.rs`).
//!
//! # Table
//! One process-wide [`Tracker`] (like the Pub/Sub hub: the store's expiry
//! path invalidates without a server handle) behind one mutex:
//! - `keys`: key name → ids of the clients that read it (default mode). As
//!   in Redis the key name alone is tracked, whatever the DB. An entry is
//!   one-shot: the first change to the key sends one invalidation to each
//!   client and forgets the entry.
//! - `clients`: the clients with tracking on, by id (the table stores ids;
//!   an id whose client turned tracking off or left is skipped lazily).
//! - `prefixes` (BCAST mode): prefix → subscribed clients and the keys
//!   under it changed since the last broadcast, each with the id of the
//!   client that changed it last (for NOLOOP).
//!
//! # Hooks
//! - Reads: `exec::call` calls [`remember`] before a read-only command of a
//!   client with tracking on runs (its keys from the command table's key
//!   specs): a write racing the read on another thread then always finds
//!   the key (its invalidation follows the read's reply: `exec::execute`
//!   does not move a tracking client's mail before a reply).
//! - Writes: `exec::call` calls [`invalidate_key`] for the keys a
//!   successful write names, when the command changed something (it logged
//!   a WAL record: so `DEL missing` or a failed `SETNX` send nothing, as in
//!   Redis); FLUSHDB/FLUSHALL call [`invalidate_all`] (a null key list).
//!   The store's expiry deletion (`Stripe::remove_expired`, lazy and active)
//!   and eviction (`evict::evicted`) call [`invalidate_key`] too.
//! - Broadcasts: BCAST invalidations collect per prefix and go out in
//!   [`after_command`] (after the reply of the command that caused them, as
//!   Redis sends them from `beforeSleep`) and from the cron thread.
//!
//! With nobody tracking (and the table empty) every hook costs one atomic
//! load ([`armed`]).
//!
//! # Delivery
//! Messages go through the receiver's Pub/Sub mailbox (never blocking the
//! writer). An invalidation for the client whose command is running on this
//! thread waits in a thread-local buffer and follows that command's reply
//! (Redis 7.0's `tracking_pending_keys`).
//!
//! # Bound
//! `tracking-table-max-keys` (default 1000000, 0 = no limit): past it,
//! keys are dropped from the table (hash order, i.e. effectively random),
//! each with its invalidation sent, as Redis's `trackingLimitUsedSlots`;
//! at most [`LIMIT_EFFORT`] per call, the cron thread finishing the job.

use crate::resp::Reply;
use crate::server::ClientInfo;
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, LazyLock, Mutex, Weak};

/// Client tracking flags (`ClientState::flags`).
pub const ON: u32 = 1;
pub const BCAST: u32 = 1 << 1;
pub const OPTIN: u32 = 1 << 2;
pub const OPTOUT: u32 = 1 << 3;
pub const NOLOOP: u32 = 1 << 4;
/// The redirect client is gone (CLIENT LIST `R`).
pub const BROKEN_REDIR: u32 = 1 << 5;
/// CLIENT CACHING YES (OPTIN) / NO (OPTOUT) applies to the next command.
pub const CACHING: u32 = 1 << 6;

/// Redis's channel for RESP2 redirect clients.
pub const CHANNEL: &[u8] = b"__redis__:invalidate";

/// A client's tracking state, readable from other threads (in its
/// `ClientInfo`).
#[derive(Default)]
pub struct ClientState {
    pub flags: AtomicU32,
    /// CLIENT TRACKING ... REDIRECT id (0 = none).
    pub redirect: AtomicU64,
    /// The redirect client, while it lives.
    redirect_to: Mutex<Weak<ClientInfo>>,
    /// BCAST prefixes, sorted (TRACKINGINFO).
    prefixes: Mutex<BTreeSet<Vec<u8>>>,
}

impl ClientState {
    pub fn on(&self) -> bool {
        self.flags.load(Relaxed) & ON != 0
    }
    /// CLIENT LIST `redir=`: -1 when tracking is off.
    pub fn redir(&self) -> i64 {
        if self.on() {
            self.redirect.load(Relaxed) as i64
        } else {
            -1
        }
    }
    pub fn prefixes(&self) -> Vec<Vec<u8>> {
        lock(&self.prefixes).iter().cloned().collect()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[derive(Default)]
struct Prefix {
    clients: BTreeMap<u64, Arc<ClientInfo>>,
    /// Keys changed since the last broadcast → id of the last writer.
    keys: BTreeMap<Vec<u8>, u64>,
}

#[derive(Default)]
struct Table {
    keys: HashMap<Vec<u8>, HashSet<u64>>,
    /// (key, client) pairs in `keys` (INFO `tracking_total_items`).
    items: usize,
    clients: HashMap<u64, Arc<ClientInfo>>,
    prefixes: BTreeMap<Vec<u8>, Prefix>,
}

impl Table {
    fn rearm(&self) {
        ARMED.store(!self.clients.is_empty() || !self.keys.is_empty(), Relaxed);
    }
}

/// Someone tracks, or the table still holds keys: the hooks' fast path,
/// outside the lazily built tracker so that it is one plain atomic load.
static ARMED: AtomicBool = AtomicBool::new(false);

/// The process-wide tracking state.
pub struct Tracker {
    table: Mutex<Table>,
    /// BCAST keys wait to be broadcast.
    bcast_pending: AtomicBool,
    /// `tracking-table-max-keys` (0 = no limit).
    max_keys: AtomicU64,
    /// `client-output-buffer-limit normal` (for a receiver not subscribed).
    normal_limits: [AtomicU64; 3],
}

static TRACKER: LazyLock<Tracker> = LazyLock::new(|| Tracker {
    table: Mutex::new(Table::default()),
    bcast_pending: AtomicBool::new(false),
    max_keys: AtomicU64::new(1_000_000),
    normal_limits: Default::default(),
});

fn tracker() -> &'static Tracker {
    &TRACKER
}

fn table() -> std::sync::MutexGuard<'static, Table> {
    lock(&tracker().table)
}

/// Whether any hook has work to do (one atomic load).
#[inline]
pub fn armed() -> bool {
    ARMED.load(Relaxed)
}

/// Applies the configuration (start-up and every CONFIG SET).
pub fn configure(max_keys: u64, normal_limits: [u64; 3]) {
    let t = tracker();
    t.max_keys.store(max_keys, Relaxed);
    for (slot, v) in t.normal_limits.iter().zip(normal_limits) {
        slot.store(v, Relaxed);
    }
}

thread_local! {
    /// Id of the client whose command runs on this thread (0 = none).
    static CURRENT: Cell<u64> = const { Cell::new(0) };
    /// Messages for that client, sent after its reply.
    static PENDING: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Marks `id` as the client whose command runs on this thread.
pub fn set_current(id: u64) {
    CURRENT.with(|c| c.set(id));
}

fn current() -> u64 {
    CURRENT.with(|c| c.get())
}

/// After a command's reply is encoded into `out`: broadcasts pending BCAST
/// invalidations, then appends the messages for the client itself. Call
/// when [`armed`].
pub fn after_command(out: &mut Vec<u8>) {
    flush_bcast();
    PENDING.with(|p| {
        let mut p = p.borrow_mut();
        if !p.is_empty() {
            out.extend_from_slice(&p);
            p.clear();
        }
    });
    set_current(0);
}

// ---------------------------------------------------------------------------
// Enabling and disabling

/// Validated CLIENT TRACKING ON options.
pub struct Options {
    pub redirect: u64,
    pub flags: u32,
    pub prefixes: Vec<Vec<u8>>,
}

/// Redis's `stringCheckPrefix`: one is a prefix of the other.
fn overlaps(a: &[u8], b: &[u8]) -> bool {
    let n = a.len().min(b.len());
    a[..n] == b[..n]
}

/// Redis's `checkPrefixCollisionsOrReply`: the error text, if any.
pub fn prefix_collision(existing: &[Vec<u8>], new: &[Vec<u8>]) -> Option<String> {
    for (i, p) in new.iter().enumerate() {
        if let Some(e) = existing.iter().find(|e| overlaps(e, p)) {
            return Some(format!(
                "ERR Prefix '{}' overlaps with an existing prefix '{}'. Prefixes for a single client must not overlap.",
                String::from_utf8_lossy(p),
                String::from_utf8_lossy(e)
            ));
        }
        if let Some(q) = new[i + 1..].iter().find(|q| overlaps(p, q)) {
            return Some(format!(
                "ERR Prefix '{}' overlaps with another provided prefix '{}'. Prefixes for a single client must not overlap.",
                String::from_utf8_lossy(p),
                String::from_utf8_lossy(q)
            ));
        }
    }
    None
}

/// Redis's `enableTracking` (options already validated): `redirect_to` is
/// the live redirect client when `opts.redirect` is set.
pub fn enable(info: &Arc<ClientInfo>, opts: Options, redirect_to: Option<&Arc<ClientInfo>>) {
    let st = &info.tracking;
    let mut t = table();
    t.clients.insert(info.id, info.clone());
    let keep = st.flags.load(Relaxed) & CACHING;
    st.redirect.store(opts.redirect, Relaxed);
    *lock(&st.redirect_to) = redirect_to.map(Arc::downgrade).unwrap_or_default();
    if let Some(r) = redirect_to {
        // It may get messages without having asked for any.
        r.mail.pushes.store(true, Relaxed);
    }
    if opts.flags & BCAST != 0 {
        let mut prefixes = opts.prefixes;
        if prefixes.is_empty() {
            prefixes.push(Vec::new());
        }
        let mut mine = lock(&st.prefixes);
        for p in prefixes {
            t.prefixes
                .entry(p.clone())
                .or_default()
                .clients
                .insert(info.id, info.clone());
            mine.insert(p);
        }
    }
    st.flags.store(
        ON | keep | (opts.flags & (BCAST | OPTIN | OPTOUT | NOLOOP)),
        Relaxed,
    );
    info.mail.pushes.store(true, Relaxed);
    t.rearm();
}

/// Redis's `disableTracking` (CLIENT TRACKING OFF, RESET, disconnect). The
/// table keeps the keys the client read; they are dropped lazily.
pub fn disable(info: &ClientInfo) {
    let st = &info.tracking;
    if st.flags.load(Relaxed) & ON == 0 {
        return;
    }
    let mut t = table();
    for p in std::mem::take(&mut *lock(&st.prefixes)) {
        if let Some(bs) = t.prefixes.get_mut(&p) {
            bs.clients.remove(&info.id);
            if bs.clients.is_empty() {
                t.prefixes.remove(&p);
            }
        }
    }
    t.clients.remove(&info.id);
    st.flags.store(0, Relaxed);
    // (`mail.pushes` stays set: the client may be a redirect target.)
    t.rearm();
}

// ---------------------------------------------------------------------------
// Remembering reads

/// Redis's `trackingRememberKeys`, after a read-only command of a client
/// with tracking on (not BCAST): remembers `keys` for it, unless OPTIN
/// without CLIENT CACHING YES or OPTOUT with CLIENT CACHING NO.
pub fn remember<'a>(info: &ClientInfo, keys: impl Iterator<Item = &'a [u8]>) {
    let f = info.tracking.flags.load(Relaxed);
    if f & BCAST != 0 {
        return;
    }
    let caching = f & CACHING != 0;
    if (f & OPTIN != 0 && !caching) || (f & OPTOUT != 0 && caching) {
        return;
    }
    let mut t = table();
    let mut added = 0;
    for k in keys {
        let ids = match t.keys.get_mut(k) {
            Some(ids) => ids,
            None => t.keys.entry(k.to_vec()).or_default(),
        };
        added += ids.insert(info.id) as usize;
    }
    t.items += added;
    t.rearm();
    let max = tracker().max_keys.load(Relaxed) as usize;
    if max > 0 && t.keys.len() > max {
        let out = limit(&mut t, max);
        drop(t);
        send_all(out);
    }
}

/// Keys one call of [`limit`] drops at most (a much lowered limit is
/// reached over several cron ticks, as Redis spreads the effort).
const LIMIT_EFFORT: usize = 10_000;

/// Redis's `trackingLimitUsedSlots`: drops keys (hash order, effectively
/// random) until the table is within `max` (or [`LIMIT_EFFORT`] keys were
/// dropped), invalidating each.
fn limit(t: &mut Table, max: usize) -> Vec<Outgoing> {
    let excess = t.keys.len().saturating_sub(max).min(LIMIT_EFFORT);
    // One pass picks them all (repeated first-key lookups would rescan the
    // emptied front of the table each time).
    let victims: Vec<Vec<u8>> = t.keys.keys().take(excess).cloned().collect();
    let mut out = Vec::new();
    for k in victims {
        forget_key(t, &k, 0, &mut out);
    }
    t.rearm();
    out
}

/// Enforces `tracking-table-max-keys` (the cron thread; a lowered limit
/// applies without waiting for the next read).
pub fn enforce_limit() {
    if !armed() {
        return;
    }
    let max = tracker().max_keys.load(Relaxed) as usize;
    let mut t = table();
    if max == 0 || t.keys.len() <= max {
        return;
    }
    let out = limit(&mut t, max);
    drop(t);
    send_all(out);
}

// ---------------------------------------------------------------------------
// Invalidation

/// A message on its way: the tracking client it is about, the payload (an
/// encoded RESP array of keys, or a null).
struct Outgoing {
    target: Arc<ClientInfo>,
    payload: Payload,
}

enum Payload {
    Key(Vec<u8>),
    Keys(Vec<Vec<u8>>),
    Null,
}

/// Removes `key` from the table, queueing one invalidation per client that
/// read it (skipping clients gone, off, in BCAST mode, or NOLOOP writers).
fn forget_key(t: &mut Table, key: &[u8], writer: u64, out: &mut Vec<Outgoing>) {
    let Some(ids) = t.keys.remove(key) else {
        return;
    };
    t.items -= ids.len();
    for id in ids {
        let Some(c) = t.clients.get(&id) else {
            continue;
        };
        let f = c.tracking.flags.load(Relaxed);
        if f & ON == 0 || f & BCAST != 0 || (f & NOLOOP != 0 && id == writer) {
            continue;
        }
        out.push(Outgoing {
            target: c.clone(),
            payload: Payload::Key(key.to_vec()),
        });
    }
}

/// Redis's `trackingInvalidateKey` for a changed key: default-mode readers
/// get an invalidation now, BCAST prefixes collect it for the next
/// broadcast. The client whose command runs on this thread is the writer
/// (NOLOOP; 0 for expiry and eviction outside commands).
pub fn invalidate_key(key: &[u8]) {
    if !armed() {
        return;
    }
    let writer = current();
    let mut t = table();
    if !t.prefixes.is_empty() {
        let mut any = false;
        for (p, bs) in t.prefixes.iter_mut() {
            if key.starts_with(p) {
                bs.keys.insert(key.to_vec(), writer);
                any = true;
            }
        }
        if any {
            tracker().bcast_pending.store(true, Relaxed);
        }
    }
    if t.keys.is_empty() {
        return;
    }
    let mut out = Vec::new();
    forget_key(&mut t, key, writer, &mut out);
    t.rearm();
    drop(t);
    send_all(out);
}

/// Redis's `trackingInvalidateKeysOnFlush` (FLUSHDB, FLUSHALL): every
/// tracking client gets an invalidation with a null key list; the table is
/// emptied.
pub fn invalidate_all() {
    if !armed() {
        return;
    }
    let mut t = table();
    let out: Vec<Outgoing> = t
        .clients
        .values()
        .filter(|c| c.tracking.on())
        .map(|c| Outgoing {
            target: c.clone(),
            payload: Payload::Null,
        })
        .collect();
    t.keys = HashMap::new();
    t.items = 0;
    t.rearm();
    drop(t);
    send_all(out);
}

/// Redis's `trackingBroadcastInvalidationMessages`: for each prefix with
/// changed keys, one message per subscribed client (without its own
/// changes under NOLOOP), prefixes in sorted order.
pub fn flush_bcast() {
    let tr = tracker();
    if !tr.bcast_pending.load(Relaxed) || !tr.bcast_pending.swap(false, Relaxed) {
        return;
    }
    let mut out = Vec::new();
    {
        let mut t = table();
        for bs in t.prefixes.values_mut() {
            if bs.keys.is_empty() {
                continue;
            }
            let keys = std::mem::take(&mut bs.keys);
            for (id, c) in &bs.clients {
                let f = c.tracking.flags.load(Relaxed);
                let list: Vec<Vec<u8>> = if f & NOLOOP != 0 {
                    keys.iter()
                        .filter(|(_, w)| *w != id)
                        .map(|(k, _)| k.clone())
                        .collect()
                } else {
                    keys.keys().cloned().collect()
                };
                if list.is_empty() {
                    continue;
                }
                out.push(Outgoing {
                    target: c.clone(),
                    payload: Payload::Keys(list),
                });
            }
        }
    }
    send_all(out);
}

fn send_all(out: Vec<Outgoing>) {
    for o in out {
        send(&o.target, &o.payload);
    }
}

/// Redis's `sendTrackingMessage`: to the client, or to its redirect
/// client (a RESP3 push, or for RESP2 a message on `__redis__:invalidate`
/// if it is subscribed); a redirect client that is gone marks the
/// redirection broken and tells a RESP3 client `tracking-redir-broken`.
fn send(target: &Arc<ClientInfo>, payload: &Payload) {
    let st = &target.tracking;
    let redirect = st.redirect.load(Relaxed);
    let mut dest = target.clone();
    let mut redirected = false;
    if redirect != 0 {
        let live = lock(&st.redirect_to)
            .upgrade()
            .filter(|r| !r.killed.load(Relaxed) && !r.closed.load(Relaxed));
        match live {
            Some(r) => {
                dest = r;
                redirected = true;
            }
            None => {
                st.flags.fetch_or(BROKEN_REDIR, Relaxed);
                if target.resp.load(Relaxed) >= 3 {
                    let mut buf = Vec::new();
                    Reply::Push(vec![
                        Reply::bulk(b"tracking-redir-broken"),
                        Reply::Int(redirect as i64),
                    ])
                    .encode(&mut buf, 3);
                    put(target, &buf);
                }
                return;
            }
        }
    }
    let resp = dest.resp.load(Relaxed) as u8;
    // The null of a flush is in the tracking client's protocol (Redis's
    // `shared.null[c->resp]`).
    let value = match payload {
        Payload::Key(k) => Reply::Array(vec![Reply::bulk(k)]),
        Payload::Keys(ks) => Reply::Array(ks.iter().map(|k| Reply::bulk(k)).collect()),
        Payload::Null => {
            if target.resp.load(Relaxed) >= 3 {
                Reply::Raw(b"_\r\n".to_vec())
            } else {
                Reply::Raw(b"$-1\r\n".to_vec())
            }
        }
    };
    let msg = if resp >= 3 {
        Reply::Push(vec![Reply::bulk(b"invalidate"), value])
    } else if redirected && dest.mail.subscribed() {
        Reply::Push(vec![Reply::bulk(b"message"), Reply::bulk(CHANNEL), value])
    } else {
        // RESP2 without a subscribed redirect client: nowhere to send it.
        return;
    };
    let mut buf = Vec::new();
    msg.encode(&mut buf, resp);
    put(&dest, &buf);
}

/// Queues `bytes` for `dest`: after the running command's reply if `dest`
/// is the client running it on this thread, else in its mailbox.
fn put(dest: &ClientInfo, bytes: &[u8]) {
    if dest.id == current() {
        PENDING.with(|p| p.borrow_mut().extend_from_slice(bytes));
        return;
    }
    let (limits, class) = if dest.mail.subscribed() {
        (crate::pubsub::hub().limits(), "pubsub")
    } else {
        let n = &tracker().normal_limits;
        (
            (n[0].load(Relaxed), n[1].load(Relaxed), n[2].load(Relaxed)),
            "normal",
        )
    };
    crate::pubsub::deliver_raw(dest, bytes, limits, class);
}

/// INFO: `tracking_total_keys`, `tracking_total_items`,
/// `tracking_total_prefixes`.
pub fn totals() -> (usize, usize, usize) {
    let t = table();
    (t.keys.len(), t.items, t.prefixes.len())
}

/// INFO `tracking_clients`.
pub fn clients() -> usize {
    table().clients.values().filter(|c| c.tracking.on()).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_collisions() {
        let v = |s: &[&str]| s.iter().map(|x| x.as_bytes().to_vec()).collect::<Vec<_>>();
        assert_eq!(prefix_collision(&v(&["a"]), &v(&["b", "c"])), None);
        assert_eq!(
            prefix_collision(&v(&["b"]), &v(&["bc"])).unwrap(),
            "ERR Prefix 'bc' overlaps with an existing prefix 'b'. Prefixes for a single client must not overlap."
        );
        assert_eq!(
            prefix_collision(&[], &v(&["a", "ab"])).unwrap(),
            "ERR Prefix 'a' overlaps with another provided prefix 'ab'. Prefixes for a single client must not overlap."
        );
        assert!(prefix_collision(&v(&[""]), &v(&["x"])).is_some());
    }
}
