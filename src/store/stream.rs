//! Stream values: entries ordered by ID in a `BTreeMap`, plus the
//! metadata Redis 7.0 keeps beside them (last generated ID, entries ever
//! added, the largest deleted ID). The stream command family
//! (src/command/stream.rs, src/command/xgroup.rs) builds on this. Consumer
//! groups (`Group`) hold their last delivered ID, their read counter, the
//! pending entries list (PEL: ID → `Nack`) and their consumers, each with
//! its own PEL as a set of IDs (the NACK itself lives in the group's PEL).
//!
//! Redis stores entries in listpack "nodes" of a radix tree, and
//! approximate trimming (`MAXLEN ~`, `MINID ~`) removes whole nodes only.
//! So that `~` trims exactly what Redis would, the node boundaries are
//! modelled (`nodes`), with Redis 7.0's streamAppendItem rule under the
//! `NodeLimits` each append is given (`stream-node-max-entries` and
//! `stream-node-max-bytes`, read at the time of the append, so CONFIG SET
//! applies to later appends only): a new node starts when the tail node's
//! listpack, sized as Redis encodes it, plus the new entry's field and
//! value bytes reaches `stream-node-max-bytes` (0, or anything above
//! `LISTPACK_MAX_SIZE`, means `LISTPACK_MAX_SIZE`), or when the tail node
//! holds `stream-node-max-entries` entries, live or deleted (0 = no count
//! limit). Node boundaries are not saved in snapshots: after a restart
//! the entries are packed afresh under the limits then in force.

use super::bytes::malloc_size;
use std::collections::{BTreeMap, BTreeSet};

/// Redis's `stream-node-max-entries` default.
pub const NODE_MAX_ENTRIES: u64 = 100;

/// Redis's STREAM_LISTPACK_MAX_SIZE: the byte bound a node keeps when
/// `stream-node-max-bytes` is 0 or larger.
pub const LISTPACK_MAX_SIZE: usize = 1 << 30;

/// The node limits an append packs under (`stream-node-max-entries`,
/// `stream-node-max-bytes`; see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeLimits {
    /// Entries, live or deleted, a node may hold (0 = no limit).
    pub max_entries: u64,
    /// Listpack bytes a node stays below (0 = `LISTPACK_MAX_SIZE`).
    pub max_bytes: usize,
}

impl Default for NodeLimits {
    /// Redis's defaults.
    fn default() -> NodeLimits {
        NodeLimits {
            max_entries: NODE_MAX_ENTRIES,
            max_bytes: NODE_MAX_BYTES,
        }
    }
}

impl NodeLimits {
    /// Whether a node of `bytes` listpack bytes and `count` entries (live
    /// and deleted) is full for a new entry of `entry_bytes` field and
    /// value bytes (Redis 7.0's streamAppendItem).
    pub fn full(&self, bytes: usize, count: u64, entry_bytes: usize) -> bool {
        let max_bytes = if self.max_bytes == 0 || self.max_bytes > LISTPACK_MAX_SIZE {
            LISTPACK_MAX_SIZE
        } else {
            self.max_bytes
        };
        bytes + entry_bytes >= max_bytes || (self.max_entries != 0 && count >= self.max_entries)
    }

    /// The default LIMIT of a `~` trim, as Redis 7.0 sets it: 100 *
    /// `stream-node-max-entries` (a signed product that may wrap), 10000
    /// when that is not positive (0 entries included), at most 1000000.
    pub fn default_trim_limit(&self) -> u64 {
        let l = (self.max_entries as i64).wrapping_mul(100);
        if l <= 0 {
            10_000
        } else {
            l.min(1_000_000) as u64
        }
    }
}

/// A stream entry ID: milliseconds and sequence number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamId {
    pub ms: u64,
    pub seq: u64,
}

impl StreamId {
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    pub const MAX: StreamId = StreamId {
        ms: u64::MAX,
        seq: u64::MAX,
    };

    pub fn new(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    pub fn is_zero(&self) -> bool {
        *self == StreamId::MIN
    }

    /// The next ID (Redis's streamIncrID); None after the last possible.
    pub fn incr(&self) -> Option<StreamId> {
        if self.seq == u64::MAX {
            if self.ms == u64::MAX {
                None
            } else {
                Some(StreamId::new(self.ms + 1, 0))
            }
        } else {
            Some(StreamId::new(self.ms, self.seq + 1))
        }
    }

    /// The previous ID (Redis's streamDecrID); None before 0-0.
    pub fn decr(&self) -> Option<StreamId> {
        if self.seq == 0 {
            if self.ms == 0 {
                None
            } else {
                Some(StreamId::new(self.ms - 1, u64::MAX))
            }
        } else {
            Some(StreamId::new(self.ms, self.seq - 1))
        }
    }

    /// "ms-seq".
    pub fn to_bytes(&self) -> Vec<u8> {
        format!("{}-{}", self.ms, self.seq).into_bytes()
    }
}

impl std::fmt::Display for StreamId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// One listpack node of Redis's representation (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Node {
    /// Live entries in the node.
    live: u64,
    /// Entries flagged deleted but still in the node.
    deleted: u64,
    /// The last ID ever appended to the node (live or deleted).
    last: StreamId,
    /// The node's listpack size as Redis would encode it (`lp_bytes`).
    bytes: usize,
    /// The master entry's field names (entries with the same fields store
    /// only their values).
    master_fields: Vec<Vec<u8>>,
}

impl Node {
    /// Moves one entry from live to deleted, with the size change of the
    /// master entry's two counters.
    fn mark_deleted(&mut self, n: u64) {
        let before = lp_int_size(self.live as i64) + lp_int_size(self.deleted as i64);
        self.live -= n;
        self.deleted += n;
        let after = lp_int_size(self.live as i64) + lp_int_size(self.deleted as i64);
        self.bytes = (self.bytes + after).saturating_sub(before);
    }
}

/// Redis's `stream-node-max-bytes` default.
pub const NODE_MAX_BYTES: usize = 4096;

/// Bytes a listpack element takes: its encoding plus its back-length.
fn lp_elem(enc: usize) -> usize {
    let back = match enc {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2097150 => 3,
        2097151..=268435454 => 4,
        _ => 5,
    };
    enc + back
}

/// An integer element (lpEncodeIntegerGetType).
fn lp_int_size(v: i64) -> usize {
    lp_elem(match v {
        0..=127 => 1,
        -4096..=4095 => 2,
        -32768..=32767 => 3,
        -8388608..=8388607 => 4,
        _ if v >= i32::MIN as i64 && v <= i32::MAX as i64 => 5,
        _ => 9,
    })
}

/// A string element; strings that are integers are stored as integers.
fn lp_str_size(s: &[u8]) -> usize {
    if s.len() <= 20 {
        if let Some(v) = super::value::parse_i64(s) {
            return lp_int_size(v);
        }
    }
    lp_elem(match s.len() {
        0..=63 => 1 + s.len(),
        64..=4095 => 2 + s.len(),
        n => 5 + n,
    })
}

/// The listpack bytes of one entry appended to a node with master `mid`
/// and master fields `master` (Redis's streamAppendItem layout).
fn lp_entry_size(id: StreamId, mid: StreamId, master: &[Vec<u8>], fields: &[Vec<u8>]) -> usize {
    let nf = fields.len() / 2;
    let same = nf == master.len() && fields.chunks(2).zip(master).all(|(p, m)| p[0] == *m);
    let mut n = lp_int_size(if same { 2 } else { 0 })
        + lp_int_size(id.ms.wrapping_sub(mid.ms) as i64)
        + lp_int_size(id.seq.wrapping_sub(mid.seq) as i64);
    if same {
        n += fields.chunks(2).map(|p| lp_str_size(&p[1])).sum::<usize>();
    } else {
        n += lp_int_size(nf as i64) + fields.iter().map(|f| lp_str_size(f)).sum::<usize>();
    }
    let lp_count = nf + 3 + if same { 0 } else { nf + 1 };
    n + lp_int_size(lp_count as i64)
}

/// How a trim is bounded (XADD / XTRIM options).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trim {
    MaxLen(u64),
    MinId(StreamId),
}

/// Redis's SCG_INVALID_ENTRIES_READ: a group's read counter is unknown.
pub const ENTRIES_READ_INVALID: i64 = -1;

/// A pending (delivered, not acknowledged) entry of a group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nack {
    /// Unix ms of the last delivery.
    pub delivery_time: u64,
    pub delivery_count: u64,
    pub consumer: Vec<u8>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Consumer {
    /// Unix ms of the consumer's last read or claim.
    pub seen_time: u64,
    /// Its pending entries (their NACKs are in the group's PEL).
    pub pel: BTreeSet<StreamId>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    pub last_id: StreamId,
    /// Entries read (XINFO entries-read), or ENTRIES_READ_INVALID.
    pub entries_read: i64,
    pub pel: BTreeMap<StreamId, Nack>,
    pub consumers: BTreeMap<Vec<u8>, Consumer>,
}

impl Group {
    pub fn new(last_id: StreamId, entries_read: i64) -> Group {
        Group {
            last_id,
            entries_read,
            pel: BTreeMap::new(),
            consumers: BTreeMap::new(),
        }
    }

    /// Creates consumer `name` (seen now) if absent; true if created.
    pub fn create_consumer(&mut self, name: &[u8], now: u64) -> bool {
        if self.consumers.contains_key(name) {
            return false;
        }
        self.consumers.insert(
            name.to_vec(),
            Consumer {
                seen_time: now,
                pel: BTreeSet::new(),
            },
        );
        true
    }

    /// Removes `id` from the group's PEL and its consumer's; the NACK.
    pub fn remove_nack(&mut self, id: StreamId) -> Option<Nack> {
        let n = self.pel.remove(&id)?;
        if let Some(c) = self.consumers.get_mut(&n.consumer) {
            c.pel.remove(&id);
        }
        Some(n)
    }

    /// Gives the NACK of `id` (created if absent) to `consumer` (which
    /// must exist), with `time` and `count`.
    pub fn assign(&mut self, id: StreamId, consumer: &[u8], time: u64, count: u64) {
        if let Some(old) = self.pel.get(&id).map(|n| n.consumer.clone()) {
            if old != consumer {
                if let Some(c) = self.consumers.get_mut(&old) {
                    c.pel.remove(&id);
                }
            }
        }
        self.pel.insert(
            id,
            Nack {
                delivery_time: time,
                delivery_count: count,
                consumer: consumer.to_vec(),
            },
        );
        if let Some(c) = self.consumers.get_mut(consumer) {
            c.pel.insert(id);
        }
    }

    fn heap_size(&self) -> usize {
        self.pel
            .values()
            .map(|n| 96 + malloc_size(n.consumer.len()))
            .sum::<usize>()
            + self
                .consumers
                .iter()
                .map(|(k, c)| 96 + malloc_size(k.len()) + c.pel.len() * 24)
                .sum::<usize>()
    }
}

#[derive(Clone, Default)]
pub struct StreamValue {
    /// Entry ID → field, value, field, value, ...
    pub entries: BTreeMap<StreamId, Vec<Vec<u8>>>,
    /// The last ID generated or set (XSETID); 0-0 for a new stream.
    pub last_id: StreamId,
    /// Entries ever added (XINFO entries-added).
    pub entries_added: u64,
    /// The largest ID XDEL removed.
    pub max_deleted: StreamId,
    /// Node model for approximate trimming: first ID → node.
    nodes: BTreeMap<StreamId, Node>,
    /// Heap bytes of the entries' fields and values.
    bytes: usize,
    /// Consumer groups by name.
    pub groups: BTreeMap<Vec<u8>, Group>,
}

/// Heap bytes one entry costs beyond its fields (BTreeMap slot, Vec).
fn entry_overhead(fields: &[Vec<u8>]) -> usize {
    16 + 24 + malloc_size(fields.len() * 24)
}

fn entry_size(fields: &[Vec<u8>]) -> usize {
    entry_overhead(fields) + fields.iter().map(|f| malloc_size(f.len())).sum::<usize>()
}

impl StreamValue {
    pub fn new() -> StreamValue {
        StreamValue::default()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn heap_size(&self) -> usize {
        self.bytes
            + self.nodes.len() * 64
            + self
                .groups
                .iter()
                .map(|(k, g)| 128 + malloc_size(k.len()) + g.heap_size())
                .sum::<usize>()
    }

    /// Redis's streamRangeHasTombstones: whether a deleted entry may lie
    /// in [start, end] (None = unbounded).
    pub fn range_has_tombstones(&self, start: Option<StreamId>, end: Option<StreamId>) -> bool {
        if self.is_empty() || self.max_deleted.is_zero() {
            return false;
        }
        if self.first_id() > self.max_deleted {
            return false;
        }
        let s = start.unwrap_or(StreamId::MIN);
        let e = end.unwrap_or(StreamId::MAX);
        s <= self.max_deleted && self.max_deleted <= e
    }

    /// Redis's streamEstimateDistanceFromFirstEverEntry: the read counter
    /// of `id`, or ENTRIES_READ_INVALID when unknown.
    pub fn estimate_distance(&self, id: StreamId) -> i64 {
        let added = self.entries_added as i64;
        if self.entries_added == 0 {
            return 0;
        }
        if self.is_empty() && id <= self.last_id {
            return added;
        }
        if id == self.last_id {
            return added;
        } else if id > self.last_id {
            return ENTRIES_READ_INVALID;
        }
        let first = self.first_id();
        if self.max_deleted.is_zero() || self.max_deleted < first {
            if id < first {
                return added - self.len() as i64;
            } else if id == first {
                return added - self.len() as i64 + 1;
            }
        }
        ENTRIES_READ_INVALID
    }

    /// Redis's streamReplyWithCGLag: a group's lag, None when unknown.
    pub fn lag(&self, g: &Group) -> Option<i64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        if g.entries_read != ENTRIES_READ_INVALID
            && !self.range_has_tombstones(Some(g.last_id), None)
        {
            return Some(self.entries_added as i64 - g.entries_read);
        }
        let n = self.estimate_distance(g.last_id);
        (n != ENTRIES_READ_INVALID).then(|| self.entries_added as i64 - n)
    }

    /// What delivering `id` does to a group's counters (the start of
    /// Redis's streamReplyWithRange loop): last_id and entries_read.
    pub fn advance_group(&self, g: &mut Group, id: StreamId) {
        if id > g.last_id {
            if g.entries_read != ENTRIES_READ_INVALID && !self.range_has_tombstones(Some(id), None)
            {
                g.entries_read += 1;
            } else if self.entries_added != 0 {
                g.entries_read = self.estimate_distance(id);
            }
            g.last_id = id;
        }
    }

    /// Node model counters for XINFO: (radix-tree keys, nodes).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// The first live entry's ID, or 0-0 (Redis's `first_id`).
    pub fn first_id(&self) -> StreamId {
        self.entries.keys().next().copied().unwrap_or_default()
    }

    /// The last live entry's ID, or 0-0 (Redis's streamLastValidID).
    pub fn last_valid_id(&self) -> StreamId {
        self.entries.keys().next_back().copied().unwrap_or_default()
    }

    /// Appends an entry with `id`, which must be greater than `last_id`,
    /// starting a new node when the tail node is full under `lim`.
    pub fn append(&mut self, id: StreamId, fields: Vec<Vec<u8>>, lim: NodeLimits) {
        self.bytes += entry_size(&fields);
        self.entries.insert(id, fields);
        self.last_id = id;
        self.entries_added += 1;
        let fields = &self.entries[&id];
        let total: usize = fields.iter().map(|f| f.len()).sum();
        match self.nodes.iter_mut().next_back() {
            Some((mid, n)) if !lim.full(n.bytes, n.live + n.deleted, total) => {
                n.bytes += lp_entry_size(id, *mid, &n.master_fields, fields);
                n.bytes = n.bytes + lp_int_size(n.live as i64 + 1) - lp_int_size(n.live as i64);
                n.live += 1;
                n.last = id;
            }
            _ => {
                let master: Vec<Vec<u8>> = fields.chunks(2).map(|p| p[0].clone()).collect();
                // Header and end byte, the master entry (count, deleted,
                // field count, fields, terminator), then the entry.
                let bytes = 7
                    + lp_int_size(1)
                    + lp_int_size(0)
                    + lp_int_size(master.len() as i64)
                    + master.iter().map(|f| lp_str_size(f)).sum::<usize>()
                    + lp_int_size(0)
                    + lp_entry_size(id, id, &master, fields);
                self.nodes.insert(
                    id,
                    Node {
                        live: 1,
                        deleted: 0,
                        last: id,
                        bytes,
                        master_fields: master,
                    },
                );
            }
        }
    }

    /// The nodes of the model: (master ID, master fields), in ID order.
    /// Each live entry belongs to the last node whose master ID is not
    /// above its own (what DUMP writes as Redis's listpacks).
    pub fn node_masters(&self) -> impl Iterator<Item = (StreamId, &[Vec<u8>])> {
        self.nodes
            .iter()
            .map(|(k, n)| (*k, n.master_fields.as_slice()))
    }

    /// Adds a node read from Redis's RDB as it was: master ID `master`
    /// (above every entry and node already in), its master fields, its
    /// live `entries` (IDs increasing, not below `master`), `deleted`
    /// entries flagged deleted, `last` the ID of its last entry, live or
    /// deleted, and `bytes` its listpack's size. The caller sets
    /// `last_id`, `entries_added` and `max_deleted` afterwards. A node
    /// with no live entry is not kept (Redis frees such nodes).
    pub fn load_node(
        &mut self,
        master: StreamId,
        master_fields: Vec<Vec<u8>>,
        entries: Vec<(StreamId, Vec<Vec<u8>>)>,
        deleted: u64,
        last: StreamId,
        bytes: usize,
    ) {
        if entries.is_empty() {
            return;
        }
        let live = entries.len() as u64;
        for (id, fields) in entries {
            self.bytes += entry_size(&fields);
            self.entries.insert(id, fields);
        }
        self.nodes.insert(
            master,
            Node {
                live,
                deleted,
                last,
                bytes,
                master_fields,
            },
        );
    }

    /// Removes the entry `id` if present (XDEL's streamDeleteItem); does
    /// not update `max_deleted` (the caller does, as XDEL does).
    pub fn delete(&mut self, id: StreamId) -> bool {
        let Some(fields) = self.entries.remove(&id) else {
            return false;
        };
        self.bytes -= entry_size(&fields);
        let key = self.nodes.range(..=id).next_back().map(|(k, _)| *k);
        if let Some(k) = key {
            let remove = match self.nodes.get_mut(&k) {
                Some(n) if n.live <= 1 => true,
                Some(n) => {
                    n.mark_deleted(1);
                    false
                }
                None => false,
            };
            if remove {
                self.nodes.remove(&k);
            }
        }
        true
    }

    /// Redis 7.0's streamTrim: removes entries from the head by `trim`;
    /// with `approx` whole nodes only, at most `limit` entries (0 = no
    /// limit). Returns how many were removed.
    pub fn trim(&mut self, trim: Trim, approx: bool, limit: u64) -> u64 {
        let mut deleted = 0u64;
        while let Some((&key, node)) = self.nodes.iter().next() {
            let node = node.clone();
            if let Trim::MaxLen(max) = trim {
                if self.len() as u64 <= max {
                    break;
                }
            }
            if limit != 0 && deleted + node.live > limit {
                break;
            }
            let remove_node = match trim {
                Trim::MaxLen(max) => self.len() as u64 - node.live >= max,
                Trim::MinId(min) => node.last < min,
            };
            let node_end = self
                .nodes
                .range(key..)
                .nth(1)
                .map(|(k, _)| *k)
                .unwrap_or(StreamId::MAX);
            let ids: Vec<StreamId> = self
                .entries
                .range(key..)
                .take_while(|(id, _)| **id < node_end || node_end == StreamId::MAX)
                .map(|(id, _)| *id)
                .collect();
            if remove_node {
                for id in &ids {
                    if let Some(f) = self.entries.remove(id) {
                        self.bytes -= entry_size(&f);
                    }
                }
                self.nodes.remove(&key);
                deleted += node.live;
                continue;
            }
            if approx {
                break;
            }
            let mut from_node = 0;
            for id in ids {
                match trim {
                    Trim::MaxLen(max) if self.len() as u64 <= max => break,
                    Trim::MinId(min) if id >= min => break,
                    _ => {}
                }
                if let Some(f) = self.entries.remove(&id) {
                    self.bytes -= entry_size(&f);
                }
                deleted += 1;
                from_node += 1;
            }
            if let Some(n) = self.nodes.get_mut(&key) {
                n.mark_deleted(from_node);
            }
            break;
        }
        deleted
    }
}

/// Wall-clock Unix ms for delivery and seen times: the real clock even
/// during WAL replay (where `store::now_ms` is stopped at 0).
pub fn wall_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Redis's string2ull: string2ll for non-negative values, else C's
/// strtoull (leading spaces, a sign, base 10, the whole string).
pub fn string2ull(s: &[u8]) -> Option<u64> {
    if let Some(v) = super::value::parse_i64(s) {
        return if v < 0 { None } else { Some(v as u64) };
    }
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r') {
        i += 1;
    }
    let mut neg = false;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        neg = s[i] == b'-';
        i += 1;
    }
    let start = i;
    let mut v: u64 = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        v = v.checked_mul(10)?.checked_add((s[i] - b'0') as u64)?;
        i += 1;
    }
    if i == start || i != s.len() {
        return None;
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled(n: u64) -> StreamValue {
        let mut s = StreamValue::new();
        for i in 1..=n {
            s.append(
                StreamId::new(i, 0),
                vec![b"f".to_vec(), b"v".to_vec()],
                NodeLimits::default(),
            );
        }
        s
    }

    #[test]
    fn approximate_trims_whole_nodes() {
        let mut s = filled(250);
        assert_eq!(s.trim(Trim::MaxLen(10), true, 0), 200);
        assert_eq!(s.len(), 50);
        assert_eq!(s.trim(Trim::MaxLen(10), true, 0), 0);
        assert_eq!(s.trim(Trim::MaxLen(10), false, 0), 40);
        assert_eq!(s.first_id(), StreamId::new(241, 0));
        let mut s = filled(250);
        assert_eq!(s.trim(Trim::MinId(StreamId::new(150, 0)), true, 0), 100);
        assert_eq!(s.trim(Trim::MinId(StreamId::new(150, 0)), false, 0), 49);
        let mut s = filled(250);
        assert_eq!(s.trim(Trim::MaxLen(0), true, 150), 100);
    }

    /// Redis 7.0's streamAppendItem boundary rule under configured limits.
    #[test]
    fn node_boundaries_follow_the_limits() {
        let fv = || vec![b"f".to_vec(), b"v".to_vec()];
        let fill = |n: u64, lim: NodeLimits| {
            let mut s = StreamValue::new();
            for i in 1..=n {
                s.append(StreamId::new(i, 0), fv(), lim);
            }
            s
        };
        let five = NodeLimits {
            max_entries: 5,
            max_bytes: 0,
        };
        assert_eq!(fill(12, five).node_count(), 3);
        assert_eq!(fill(10, five).node_count(), 2);
        // Deleted entries still count towards the entry limit.
        let mut s = fill(4, five);
        assert!(s.delete(StreamId::new(2, 0)));
        s.append(StreamId::new(5, 0), fv(), five);
        assert_eq!(s.node_count(), 1);
        s.append(StreamId::new(6, 0), fv(), five);
        assert_eq!(s.node_count(), 2);
        // No limit at all: one node.
        let none = NodeLimits {
            max_entries: 0,
            max_bytes: 0,
        };
        assert_eq!(fill(1000, none).node_count(), 1);
        // The byte limit: a new node once node bytes + the entry's field
        // and value bytes reach it.
        let mut s = fill(1, none);
        let b = s.nodes.values().next().unwrap().bytes;
        let total = 2; // "f" + "v"
        let mut under = s.clone();
        let lim = NodeLimits {
            max_entries: 0,
            max_bytes: b + total + 1,
        };
        under.append(StreamId::new(2, 0), fv(), lim);
        assert_eq!(under.node_count(), 1);
        let lim = NodeLimits {
            max_entries: 0,
            max_bytes: b + total,
        };
        s.append(StreamId::new(2, 0), fv(), lim);
        assert_eq!(s.node_count(), 2);
        // Later appends follow the limits they are given.
        let mut s = fill(3, NodeLimits::default());
        s.append(
            StreamId::new(4, 0),
            fv(),
            NodeLimits {
                max_entries: 3,
                ..NodeLimits::default()
            },
        );
        assert_eq!(s.node_count(), 2);
        // The default `~` LIMIT.
        assert_eq!(NodeLimits::default().default_trim_limit(), 10_000);
        assert_eq!(five.default_trim_limit(), 500);
        assert_eq!(none.default_trim_limit(), 10_000);
        let big = |max_entries| NodeLimits {
            max_entries,
            max_bytes: 0,
        };
        assert_eq!(big(20_000).default_trim_limit(), 1_000_000);
        assert_eq!(big(i64::MAX as u64).default_trim_limit(), 10_000);
        assert!(NodeLimits::default().full(4000, 1, 96));
        assert!(!NodeLimits::default().full(4000, 99, 95));
        assert!(NodeLimits::default().full(10, 100, 1));
    }

    #[test]
    fn deletes_and_sizes() {
        let mut s = filled(3);
        let before = s.heap_size();
        assert!(s.delete(StreamId::new(2, 0)));
        assert!(!s.delete(StreamId::new(2, 0)));
        assert!(s.heap_size() < before);
        assert!(s.delete(StreamId::new(1, 0)));
        assert!(s.delete(StreamId::new(3, 0)));
        assert_eq!(s.heap_size(), 0);
        assert_eq!(s.last_id, StreamId::new(3, 0));
    }

    #[test]
    fn strtoull_like_redis() {
        assert_eq!(string2ull(b"12"), Some(12));
        assert_eq!(string2ull(b"012"), Some(12));
        assert_eq!(string2ull(b"+3"), Some(3));
        assert_eq!(string2ull(b" 3"), Some(3));
        assert_eq!(string2ull(b"-1"), None);
        assert_eq!(string2ull(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(string2ull(b"18446744073709551616"), None);
        assert_eq!(string2ull(b""), None);
        assert_eq!(string2ull(b"1a"), None);
    }
}
