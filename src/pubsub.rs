//! Pub/Sub: channels, patterns and shard channels, message delivery, and
//! keyspace notifications.
//!
//! # Delivery never blocks the publisher
//! Every connection has a [`Mailbox`] (in its shared `ClientInfo`). PUBLISH
//! encodes the message once per protocol, then, for each receiver, appends
//! the bytes to that receiver's mailbox under a short mutex and wakes the
//! receiver's thread (the event loop's eventfd, or the pipe the
//! thread-per-connection driver polls). The receiver's own thread moves the
//! mail into its output buffer — before running each of its own commands,
//! so a message published before a command is answered arrives before that
//! answer, as in Redis — and writes it with its other replies.
//!
//! A receiver that does not read cannot hold anyone up: its mailbox plus its
//! unwritten output is checked against `client-output-buffer-limit pubsub`
//! (hard limit, or soft limit for longer than its seconds) on every
//! delivery, and past it the client is disconnected, as Redis does.
//!
//! # Registry
//! One process-wide [`Hub`] (like the WAL: the store's expiry paths publish
//! `expired` events without a server handle): channel → subscribers,
//! pattern → subscribers, shard channel → subscribers, each in subscription
//! order, behind one `RwLock` (publishers share it). Each client's own
//! subscriptions live in its `Client` (`Subscriptions`, sorted), so
//! UNSUBSCRIBE without arguments and CLIENT LIST need no registry walk.
//!
//! # Keyspace notifications
//! [`notify`] is Redis's `notifyKeyspaceEvent`: handlers call it after a
//! change with the event's class and name (the store itself for `expired`
//! and `new`, `Ctx::lookup` for `keymiss`); it publishes to
//! `__keyspace@<db>__:<key>` and/or `__keyevent@<db>__:<event>` per
//! `notify-keyspace-events`. With notifications off, or nobody subscribed,
//! it costs one atomic load. WAL replay runs [`quietly`]. The events and
//! their differences from Redis: docs/PROTOCOL.md.

use crate::resp::Reply;
use crate::server::ClientInfo;
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex, RwLock};
use std::time::Instant;

// Keyspace notification classes, as in Redis's server.h.
pub const NOTIFY_KEYSPACE: u32 = 1 << 0;
pub const NOTIFY_KEYEVENT: u32 = 1 << 1;
pub const NOTIFY_GENERIC: u32 = 1 << 2;
pub const NOTIFY_STRING: u32 = 1 << 3;
pub const NOTIFY_LIST: u32 = 1 << 4;
pub const NOTIFY_SET: u32 = 1 << 5;
pub const NOTIFY_HASH: u32 = 1 << 6;
pub const NOTIFY_ZSET: u32 = 1 << 7;
pub const NOTIFY_EXPIRED: u32 = 1 << 8;
/// Not sent yet: eviction should call `notify(NOTIFY_EVICTED, "evicted",
/// key, db)` for each key it deletes, as Redis's evict.c does.
pub const NOTIFY_EVICTED: u32 = 1 << 9;
pub const NOTIFY_STREAM: u32 = 1 << 10;
pub const NOTIFY_KEY_MISS: u32 = 1 << 11;
pub const NOTIFY_MODULE: u32 = 1 << 13;
pub const NOTIFY_NEW: u32 = 1 << 14;
/// Redis's `A`: every class but key-miss and new.
pub const NOTIFY_ALL: u32 = NOTIFY_GENERIC
    | NOTIFY_STRING
    | NOTIFY_LIST
    | NOTIFY_SET
    | NOTIFY_HASH
    | NOTIFY_ZSET
    | NOTIFY_EXPIRED
    | NOTIFY_EVICTED
    | NOTIFY_STREAM
    | NOTIFY_MODULE;

/// The class letters of `notify-keyspace-events`, in Redis's rendering order.
pub const NOTIFY_CLASSES: &[(char, u32)] = &[
    ('g', NOTIFY_GENERIC),
    ('$', NOTIFY_STRING),
    ('l', NOTIFY_LIST),
    ('s', NOTIFY_SET),
    ('h', NOTIFY_HASH),
    ('z', NOTIFY_ZSET),
    ('x', NOTIFY_EXPIRED),
    ('e', NOTIFY_EVICTED),
    ('t', NOTIFY_STREAM),
    ('d', NOTIFY_MODULE),
];

/// Parses `notify-keyspace-events` letters into flags (Redis's
/// `keyspaceEventsStringToFlags`); None for an unknown letter.
pub fn parse_notify_flags(s: &str) -> Option<u32> {
    let mut flags = 0u32;
    for c in s.chars() {
        flags |= match c {
            'A' => NOTIFY_ALL,
            'K' => NOTIFY_KEYSPACE,
            'E' => NOTIFY_KEYEVENT,
            'm' => NOTIFY_KEY_MISS,
            'n' => NOTIFY_NEW,
            c => NOTIFY_CLASSES.iter().find(|(l, _)| *l == c)?.1,
        };
    }
    Some(flags)
}

/// The canonical rendering of flags (`keyspaceEventsFlagsToString`): `A` or
/// the class letters, then `n`, `K`, `E`, `m`.
pub fn render_notify_flags(flags: u32) -> String {
    let mut out = String::new();
    if flags & NOTIFY_ALL == NOTIFY_ALL {
        out.push('A');
    } else {
        out.extend(
            NOTIFY_CLASSES
                .iter()
                .filter(|(_, bit)| flags & bit != 0)
                .map(|(letter, _)| *letter),
        );
    }
    for (bit, letter) in [
        (NOTIFY_NEW, 'n'),
        (NOTIFY_KEYSPACE, 'K'),
        (NOTIFY_KEYEVENT, 'E'),
        (NOTIFY_KEY_MISS, 'm'),
    ] {
        if flags & bit != 0 {
            out.push(letter);
        }
    }
    out
}

/// One connection's incoming messages (see the module docs).
pub struct Mailbox {
    state: Mutex<MailState>,
    /// Set when mail arrives, cleared when the owner takes it.
    has_mail: AtomicBool,
    /// Bytes the owner still has to write (its output buffer), counted
    /// toward the output buffer limit.
    pending_out: AtomicUsize,
    /// The client is a monitor (MONITOR; src/obs/monitor.rs): it gets a
    /// line per command through this mailbox.
    pub monitor: AtomicBool,
    /// The client may get RESP3 pushes it did not ask for (client-side
    /// caching: it tracks keys, or a tracking client redirects to it).
    pub pushes: AtomicBool,
    /// Subscription counts (CLIENT LIST `sub=`, `psub=`, `ssub=`).
    pub channels: AtomicUsize,
    pub patterns: AtomicUsize,
    pub shard: AtomicUsize,
    waker: Mutex<Option<Box<dyn Fn() + Send + Sync>>>,
}

#[derive(Default)]
struct MailState {
    buf: Vec<u8>,
    /// When the soft limit was first exceeded (None = under it).
    soft_since: Option<Instant>,
    /// Disconnected for overflowing: nothing more is queued.
    closed: bool,
}

impl Default for Mailbox {
    fn default() -> Self {
        Mailbox {
            state: Mutex::new(MailState::default()),
            has_mail: AtomicBool::new(false),
            pending_out: AtomicUsize::new(0),
            monitor: AtomicBool::new(false),
            pushes: AtomicBool::new(false),
            channels: AtomicUsize::new(0),
            patterns: AtomicUsize::new(0),
            shard: AtomicUsize::new(0),
            waker: Mutex::new(None),
        }
    }
}

impl Mailbox {
    /// How the owner's thread is woken when mail arrives.
    pub fn set_waker(&self, f: Box<dyn Fn() + Send + Sync>) {
        *self.waker.lock().unwrap_or_else(|e| e.into_inner()) = Some(f);
    }

    /// Channel + pattern subscriptions (Redis's `clientSubscriptionsCount`).
    pub fn subscriptions(&self) -> usize {
        self.channels.load(Ordering::Relaxed) + self.patterns.load(Ordering::Relaxed)
    }

    /// Whether the client is in Pub/Sub mode (any kind of subscription).
    pub fn subscribed(&self) -> bool {
        self.subscriptions() + self.shard.load(Ordering::Relaxed) > 0
    }

    /// Whether mail may arrive without the client asking: subscribed,
    /// monitoring, or receiving invalidations (the thread-per-connection
    /// driver then watches the mailbox as well as the socket).
    pub fn listening(&self) -> bool {
        self.subscribed()
            || self.monitor.load(Ordering::Relaxed)
            || self.pushes.load(Ordering::Relaxed)
    }

    /// Output bytes queued for the client: mail not yet taken plus what
    /// its thread has still to write (CLIENT LIST `omem=`, roughly).
    pub fn pending_bytes(&self) -> usize {
        let mail = self
            .state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .buf
            .len();
        mail + self.pending_out.load(Ordering::Relaxed)
    }

    /// Whether mail is waiting (cheap; may be briefly stale).
    pub fn has_mail(&self) -> bool {
        self.has_mail.load(Ordering::Acquire)
    }

    /// Moves waiting mail to the end of `out`. Returns whether there was any.
    pub fn take_into(&self, out: &mut Vec<u8>) -> bool {
        if !self.has_mail.swap(false, Ordering::AcqRel) {
            return false;
        }
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if st.buf.is_empty() {
            return false;
        }
        if out.is_empty() && st.buf.len() >= 64 * 1024 {
            // Hand the big buffer over instead of copying it.
            std::mem::swap(out, &mut st.buf);
        } else {
            out.extend_from_slice(&st.buf);
            st.buf.clear();
            if st.buf.capacity() > 1024 * 1024 {
                st.buf = Vec::new();
            }
        }
        true
    }

    /// The owner reports how many bytes it still has to write.
    pub fn set_pending_out(&self, n: usize) {
        self.pending_out.store(n, Ordering::Relaxed);
    }

    fn wake(&self) {
        if let Some(w) = self
            .waker
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            w();
        }
    }
}

/// Appends a message to `info`'s mailbox, enforcing the Pub/Sub output
/// buffer limit (the client is disconnected past it).
fn deliver(info: &ClientInfo, bytes: &[u8], limits: (u64, u64, u64)) {
    deliver_raw(info, bytes, limits, "pubsub")
}

/// Appends already encoded bytes to `info`'s mailbox and wakes its thread,
/// never waiting for it: past `limits` (hard bytes, soft bytes, soft
/// seconds; 0 = none) the client is disconnected instead, as Redis does
/// for the `class` (`pubsub`, `normal`) of `client-output-buffer-limit`
/// it falls under. Used for Pub/Sub messages and MONITOR lines.
pub fn deliver_raw(info: &ClientInfo, bytes: &[u8], limits: (u64, u64, u64), class: &str) {
    let mb = &info.mail;
    let over = {
        let mut st = mb.state.lock().unwrap_or_else(|e| e.into_inner());
        if st.closed {
            return;
        }
        st.buf.extend_from_slice(bytes);
        let used = (st.buf.len() + mb.pending_out.load(Ordering::Relaxed)) as u64;
        let (hard, soft, soft_secs) = limits;
        let mut over = hard > 0 && used >= hard;
        if soft > 0 && used >= soft {
            match st.soft_since {
                None => st.soft_since = Some(Instant::now()),
                Some(t) => over |= t.elapsed().as_secs() >= soft_secs,
            }
        } else {
            st.soft_since = None;
        }
        if over {
            st.closed = true;
            st.buf = Vec::new();
        }
        over.then_some(used)
    };
    if let Some(used) = over {
        crate::warning!(
            "Client id={} addr={} closed for overcoming of output buffer limits ({}, {} bytes pending).",
            info.id,
            info.addr,
            class,
            used
        );
        count_obuf_disconnection();
        info.kill();
        mb.wake();
        return;
    }
    if !mb.has_mail.swap(true, Ordering::AcqRel) {
        mb.wake();
    }
}

type Subscribers = HashMap<Vec<u8>, Vec<Arc<ClientInfo>>>;

#[derive(Default)]
struct Subs {
    channels: Subscribers,
    patterns: Subscribers,
    shard: Subscribers,
}

/// One more client disconnected for its output buffer (any class; INFO
/// stats `client_output_buffer_limit_disconnections`, Redis 7.2's name).
pub fn count_obuf_disconnection() {
    hub().obuf_disconnections.fetch_add(1, Ordering::Relaxed);
}

/// Clients disconnected for their output buffer since start.
pub fn obuf_disconnections() -> u64 {
    hub().obuf_disconnections.load(Ordering::Relaxed)
}

/// Which of the three namespaces a subscription is in.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Channel,
    Pattern,
    Shard,
}

impl Kind {
    fn verbs(self) -> (&'static [u8], &'static [u8]) {
        match self {
            Kind::Channel => (b"subscribe", b"unsubscribe"),
            Kind::Pattern => (b"psubscribe", b"punsubscribe"),
            Kind::Shard => (b"ssubscribe", b"sunsubscribe"),
        }
    }
}

/// The process-wide Pub/Sub registry and settings.
pub struct Hub {
    subs: RwLock<Subs>,
    /// Subscriptions of every kind (fast path: 0 = nobody listens).
    total: AtomicUsize,
    /// `notify-keyspace-events` flags.
    notify_flags: AtomicU32,
    /// `client-output-buffer-limit pubsub`: hard, soft bytes, soft seconds.
    limit_hard: AtomicU64,
    limit_soft: AtomicU64,
    limit_secs: AtomicU64,
    /// Clients disconnected for their output buffer (INFO).
    pub obuf_disconnections: AtomicU64,
}

static HUB: LazyLock<Hub> = LazyLock::new(|| Hub {
    subs: RwLock::new(Subs::default()),
    total: AtomicUsize::new(0),
    notify_flags: AtomicU32::new(0),
    limit_hard: AtomicU64::new(32 << 20),
    limit_soft: AtomicU64::new(8 << 20),
    limit_secs: AtomicU64::new(60),
    obuf_disconnections: AtomicU64::new(0),
});

/// The registry.
pub fn hub() -> &'static Hub {
    &HUB
}

impl Hub {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Subs> {
        self.subs.read().unwrap_or_else(|e| e.into_inner())
    }
    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Subs> {
        self.subs.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Applies the configuration (start-up and every CONFIG SET).
    pub fn configure(&self, notify_events: &str, pubsub_limits: [u64; 3]) {
        self.notify_flags.store(
            parse_notify_flags(notify_events).unwrap_or(0),
            Ordering::Relaxed,
        );
        self.limit_hard.store(pubsub_limits[0], Ordering::Relaxed);
        self.limit_soft.store(pubsub_limits[1], Ordering::Relaxed);
        self.limit_secs.store(pubsub_limits[2], Ordering::Relaxed);
    }

    /// `client-output-buffer-limit pubsub`: hard, soft bytes, soft seconds.
    pub fn limits(&self) -> (u64, u64, u64) {
        (
            self.limit_hard.load(Ordering::Relaxed),
            self.limit_soft.load(Ordering::Relaxed),
            self.limit_secs.load(Ordering::Relaxed),
        )
    }

    /// INFO's `pubsub_channels`, `pubsub_patterns`, `pubsubshard_channels`.
    pub fn counts(&self) -> (usize, usize, usize) {
        let s = self.read();
        (s.channels.len(), s.patterns.len(), s.shard.len())
    }

    /// Channels (or shard channels) with subscribers, matching `pattern`.
    pub fn channels(&self, shard: bool, pattern: Option<&[u8]>) -> Vec<Vec<u8>> {
        let s = self.read();
        let map = if shard { &s.shard } else { &s.channels };
        let mut v: Vec<Vec<u8>> = map
            .keys()
            .filter(|c| pattern.is_none_or(|p| crate::glob::glob_match(p, c, false)))
            .cloned()
            .collect();
        v.sort();
        v
    }

    /// Subscribers of a channel (or shard channel).
    pub fn numsub(&self, shard: bool, channel: &[u8]) -> usize {
        let s = self.read();
        let map = if shard { &s.shard } else { &s.channels };
        map.get(channel).map_or(0, |l| l.len())
    }

    /// Distinct patterns subscribed to (PUBSUB NUMPAT).
    pub fn numpat(&self) -> usize {
        self.read().patterns.len()
    }

    /// The channels, patterns and shard channels client `id` is subscribed
    /// to, from another thread (ACL changes check them). Scans the registry.
    pub fn subscriptions_of(&self, id: u64) -> [Vec<Vec<u8>>; 3] {
        let s = self.read();
        let of = |m: &Subscribers| -> Vec<Vec<u8>> {
            m.iter()
                .filter(|(_, l)| l.iter().any(|c| c.id == id))
                .map(|(k, _)| k.clone())
                .collect()
        };
        [of(&s.channels), of(&s.patterns), of(&s.shard)]
    }
}

/// A client's own subscriptions, sorted (owned by its thread).
#[derive(Default)]
pub struct Subscriptions {
    channels: BTreeSet<Vec<u8>>,
    patterns: BTreeSet<Vec<u8>>,
    shard: BTreeSet<Vec<u8>>,
}

impl Subscriptions {
    fn set(&mut self, kind: Kind) -> &mut BTreeSet<Vec<u8>> {
        match kind {
            Kind::Channel => &mut self.channels,
            Kind::Pattern => &mut self.patterns,
            Kind::Shard => &mut self.shard,
        }
    }
}

fn registry_map(s: &mut Subs, kind: Kind) -> &mut Subscribers {
    match kind {
        Kind::Channel => &mut s.channels,
        Kind::Pattern => &mut s.patterns,
        Kind::Shard => &mut s.shard,
    }
}

fn counter(info: &ClientInfo, kind: Kind) -> &AtomicUsize {
    match kind {
        Kind::Channel => &info.mail.channels,
        Kind::Pattern => &info.mail.patterns,
        Kind::Shard => &info.mail.shard,
    }
}

/// The count a (un)subscribe confirmation carries: channels + patterns, or
/// shard channels for the shard kind (as Redis counts them).
fn confirm_count(info: &ClientInfo, kind: Kind) -> i64 {
    match kind {
        Kind::Shard => info.mail.shard.load(Ordering::Relaxed) as i64,
        _ => info.mail.subscriptions() as i64,
    }
}

/// SUBSCRIBE / PSUBSCRIBE / SSUBSCRIBE: one confirmation per name, encoded
/// for the client's protocol (push messages in RESP3).
pub fn subscribe(
    info: &Arc<ClientInfo>,
    mine: &mut Subscriptions,
    kind: Kind,
    names: &[Vec<u8>],
    resp: u8,
) -> Reply {
    let h = hub();
    let mut out = Vec::new();
    for name in names {
        if mine.set(kind).insert(name.clone()) {
            registry_map(&mut h.write(), kind)
                .entry(name.clone())
                .or_default()
                .push(info.clone());
            counter(info, kind).fetch_add(1, Ordering::Relaxed);
            h.total.fetch_add(1, Ordering::Relaxed);
        }
        let (verb, _) = kind.verbs();
        Reply::Push(vec![
            Reply::bulk(verb),
            Reply::bulk(name),
            Reply::Int(confirm_count(info, kind)),
        ])
        .encode(&mut out, resp);
    }
    Reply::Raw(out)
}

/// UNSUBSCRIBE / PUNSUBSCRIBE / SUNSUBSCRIBE: the named subscriptions, or
/// all of that kind when none are named; one confirmation each (a single
/// one with a null name when there was nothing to leave).
pub fn unsubscribe(
    info: &Arc<ClientInfo>,
    mine: &mut Subscriptions,
    kind: Kind,
    names: &[Vec<u8>],
    resp: u8,
) -> Reply {
    let names: Vec<Vec<u8>> = if names.is_empty() {
        mine.set(kind).iter().cloned().collect()
    } else {
        names.to_vec()
    };
    let (_, verb) = kind.verbs();
    let mut out = Vec::new();
    if names.is_empty() {
        Reply::Push(vec![
            Reply::bulk(verb),
            Reply::Null,
            Reply::Int(confirm_count(info, kind)),
        ])
        .encode(&mut out, resp);
        return Reply::Raw(out);
    }
    for name in &names {
        if mine.set(kind).remove(name) {
            remove_one(info, kind, name);
        }
        Reply::Push(vec![
            Reply::bulk(verb),
            Reply::bulk(name),
            Reply::Int(confirm_count(info, kind)),
        ])
        .encode(&mut out, resp);
    }
    Reply::Raw(out)
}

fn remove_one(info: &ClientInfo, kind: Kind, name: &[u8]) {
    let h = hub();
    let mut s = h.write();
    let map = registry_map(&mut s, kind);
    if let Some(list) = map.get_mut(name) {
        if let Some(i) = list.iter().position(|c| c.id == info.id) {
            list.remove(i);
            counter(info, kind).fetch_sub(1, Ordering::Relaxed);
            h.total.fetch_sub(1, Ordering::Relaxed);
        }
        if list.is_empty() {
            map.remove(name);
        }
    }
}

/// Drops every subscription of a client (RESET, disconnect), silently.
pub fn unsubscribe_all(info: &ClientInfo, mine: &mut Subscriptions) {
    for kind in [Kind::Channel, Kind::Pattern, Kind::Shard] {
        for name in std::mem::take(mine.set(kind)) {
            remove_one(info, kind, &name);
        }
    }
}

/// A message encoded once per protocol, on first need.
struct Encoded<'a> {
    parts: Vec<&'a [u8]>,
    resp2: Option<Vec<u8>>,
    resp3: Option<Vec<u8>>,
}

impl<'a> Encoded<'a> {
    fn new(parts: Vec<&'a [u8]>) -> Self {
        Encoded {
            parts,
            resp2: None,
            resp3: None,
        }
    }
    fn get(&mut self, info: &ClientInfo) -> &[u8] {
        let resp = info.resp.load(Ordering::Relaxed) as u8;
        let slot = if resp >= 3 {
            &mut self.resp3
        } else {
            &mut self.resp2
        };
        slot.get_or_insert_with(|| {
            let mut v = Vec::new();
            Reply::Push(self.parts.iter().map(|p| Reply::bulk(p)).collect()).encode(&mut v, resp);
            v
        })
    }
}

/// PUBLISH: delivers to the channel's subscribers, then to every matching
/// pattern's; returns how many messages were queued (a client subscribed
/// through several patterns receives, and counts, several).
pub fn publish(channel: &[u8], message: &[u8]) -> usize {
    let h = hub();
    if h.total.load(Ordering::Relaxed) == 0 {
        return 0;
    }
    let limits = h.limits();
    let s = h.read();
    let mut n = 0;
    if let Some(list) = s.channels.get(channel) {
        let mut enc = Encoded::new(vec![b"message", channel, message]);
        for c in list {
            deliver(c, enc.get(c), limits);
            n += 1;
        }
    }
    for (pattern, list) in &s.patterns {
        if !crate::glob::glob_match(pattern, channel, false) {
            continue;
        }
        let mut enc = Encoded::new(vec![b"pmessage", pattern, channel, message]);
        for c in list {
            deliver(c, enc.get(c), limits);
            n += 1;
        }
    }
    n
}

/// SPUBLISH: delivers to the shard channel's subscribers.
pub fn spublish(channel: &[u8], message: &[u8]) -> usize {
    let h = hub();
    if h.total.load(Ordering::Relaxed) == 0 {
        return 0;
    }
    let limits = h.limits();
    let s = h.read();
    let Some(list) = s.shard.get(channel) else {
        return 0;
    };
    let mut enc = Encoded::new(vec![b"smessage", channel, message]);
    for c in list {
        deliver(c, enc.get(c), limits);
    }
    list.len()
}

/// Whether keyspace notifications of `class` are on (cheap: handlers may
/// skip building an event name when not).
pub fn notifying(class: u32) -> bool {
    let f = hub().notify_flags.load(Ordering::Relaxed);
    f & class != 0 && f & (NOTIFY_KEYSPACE | NOTIFY_KEYEVENT) != 0
}

thread_local! {
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` with keyspace notifications off on this thread: WAL replay,
/// which re-applies writes clients were already notified of (CONFIG SET is
/// allowed while loading, so the flags alone do not guarantee it).
pub fn quietly<R>(f: impl FnOnce() -> R) -> R {
    let was = QUIET.with(|q| q.replace(true));
    let r = f();
    QUIET.with(|q| q.set(was));
    r
}

/// Redis's `notifyKeyspaceEvent`: `event` happened to `key` in `db`.
/// Publishes `event` on `__keyspace@<db>__:<key>` (flag K) and `key` on
/// `__keyevent@<db>__:<event>` (flag E) when `class` is enabled.
pub fn notify(class: u32, event: &str, key: &[u8], db: usize) {
    let h = hub();
    let flags = h.notify_flags.load(Ordering::Relaxed);
    if flags & class == 0 || h.total.load(Ordering::Relaxed) == 0 || QUIET.with(|q| q.get()) {
        return;
    }
    if flags & NOTIFY_KEYSPACE != 0 {
        let mut ch = format!("__keyspace@{db}__:").into_bytes();
        ch.extend_from_slice(key);
        publish(&ch, event.as_bytes());
    }
    if flags & NOTIFY_KEYEVENT != 0 {
        let ch = format!("__keyevent@{db}__:{event}");
        publish(ch.as_bytes(), key);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn client(id: u64, resp: usize) -> Arc<ClientInfo> {
        let c = ClientInfo::internal(id);
        c.resp.store(resp, Ordering::Relaxed);
        Arc::new(c)
    }

    fn mail(c: &ClientInfo) -> Vec<u8> {
        let mut v = Vec::new();
        c.mail.take_into(&mut v);
        v
    }

    fn raw(r: Reply) -> Vec<u8> {
        match r {
            Reply::Raw(v) => v,
            other => panic!("{other:?}"),
        }
    }

    fn names(v: &[&str]) -> Vec<Vec<u8>> {
        v.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    #[test]
    fn flags_round_trip() {
        for (input, canon) in [
            ("KEA", "AKE"),
            ("Elg", "glE"),
            ("", ""),
            ("Kx", "xK"),
            ("AKEmn", "AnKEm"),
        ] {
            let f = parse_notify_flags(input).unwrap();
            assert_eq!(render_notify_flags(f), canon, "{input}");
        }
        assert!(parse_notify_flags("Q").is_none());
    }

    #[test]
    fn subscribe_publish_unsubscribe() {
        let a = client(9_000_001, 2);
        let b = client(9_000_002, 3);
        let (mut sa, mut sb) = (Subscriptions::default(), Subscriptions::default());
        let r = raw(subscribe(
            &a,
            &mut sa,
            Kind::Channel,
            &names(&["t.news", "t.x"]),
            2,
        ));
        assert_eq!(
            r,
            b"*3\r\n$9\r\nsubscribe\r\n$6\r\nt.news\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$3\r\nt.x\r\n:2\r\n"
        );
        let r = raw(subscribe(&b, &mut sb, Kind::Pattern, &names(&["t.n*"]), 3));
        assert_eq!(r, b">3\r\n$10\r\npsubscribe\r\n$4\r\nt.n*\r\n:1\r\n");
        assert_eq!(publish(b"t.news", b"hi"), 2);
        assert_eq!(
            mail(&a),
            b"*3\r\n$7\r\nmessage\r\n$6\r\nt.news\r\n$2\r\nhi\r\n"
        );
        assert_eq!(
            mail(&b),
            b">4\r\n$8\r\npmessage\r\n$4\r\nt.n*\r\n$6\r\nt.news\r\n$2\r\nhi\r\n"
        );
        assert!(mail(&a).is_empty());
        assert_eq!(hub().numsub(false, b"t.news"), 1);
        let r = raw(unsubscribe(&a, &mut sa, Kind::Channel, &[], 2));
        assert_eq!(
            r,
            b"*3\r\n$11\r\nunsubscribe\r\n$6\r\nt.news\r\n:1\r\n*3\r\n$11\r\nunsubscribe\r\n$3\r\nt.x\r\n:0\r\n"
        );
        let r = raw(unsubscribe(&a, &mut sa, Kind::Channel, &[], 2));
        assert_eq!(r, b"*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n");
        assert_eq!(hub().numsub(false, b"t.news"), 0);
        assert_eq!(publish(b"t.news", b"again"), 1);
        unsubscribe_all(&b, &mut sb);
        assert_eq!(publish(b"t.news", b"again"), 0);
        assert_eq!(b.mail.subscriptions(), 0);
    }

    #[test]
    fn hard_limit_closes_the_mailbox() {
        let a = client(9_000_010, 2);
        let mut sa = Subscriptions::default();
        subscribe(&a, &mut sa, Kind::Shard, &names(&["t.big"]), 2);
        let old = hub().limits();
        let big = vec![b'x'; 1000];
        // Other tests may run concurrently: deliver directly with a small
        // limit instead of changing the shared one.
        for _ in 0..3 {
            deliver(&a, &big, (2500, 0, 0));
        }
        assert!(a.killed.load(Ordering::SeqCst));
        assert!(mail(&a).len() < 2500);
        assert_eq!(hub().limits(), old);
        unsubscribe_all(&a, &mut sa);
    }

    #[test]
    fn soft_limit_needs_time() {
        let a = client(9_000_020, 2);
        let big = vec![b'x'; 1000];
        deliver(&a, &big, (0, 500, 3600));
        deliver(&a, &big, (0, 500, 3600));
        assert!(!a.killed.load(Ordering::SeqCst));
        deliver(&a, &big, (0, 500, 0));
        assert!(a.killed.load(Ordering::SeqCst));
    }
}
