//! Streams in Redis's RDB format (rdb.c's RDB_TYPE_STREAM_LISTPACKS*,
//! t_stream.c's listpack node layout).
//!
//! ```text
//! nodes (len), per node: master ID (string of 16 bytes: ms, seq, u64 BE)
//!                        listpack (string), see below
//! length, last_id ms, seq                               (lens)
//! [_2, _3] first_id ms, seq, max_deleted ms, seq, entries_added
//! groups (len), per group: name, last_id ms, seq, [_2, _3] entries_read
//!   PEL (len), per NACK: raw ID (16 bytes BE), delivery time (u64 LE),
//!                        delivery count (len)
//!   consumers (len), per consumer: name, seen time (u64 LE),
//!                        [_3] active time (u64 LE), PEL (len) of raw IDs
//! ```
//!
//! A node's listpack starts with the master entry (live count, deleted
//! count, master field count, the master fields, 0), then per entry:
//! flags (1 = deleted, 2 = same fields as the master), ms and seq as
//! differences from the master ID, either only the values (same fields) or
//! a field count and the field/value pairs, then the entry's element count
//! (lp-count).
//!
//! Writing uses RDB_TYPE_STREAM_LISTPACKS_2 (Redis 7.0) with the node
//! boundaries of the store's node model, deleted entries left out. Reading
//! accepts the three types (Redis 5/6's, 7.0's and 7.2's) and refuses,
//! with the byte offset, anything that is not a stream Redis could have
//! written: a damaged listpack, entries not in increasing ID order, counts
//! that disagree, a NACK owned by no consumer or by two, and what FlashDB's
//! own snapshot and WAL could not hold (an entry with no fields, ID 0-0, an
//! entry beyond the last ID, ...).

use super::packed::{self, BlobError, Elem, ListpackWriter};
use super::{err, put_len, put_string, Reader, Result};
use super::{T_STREAM_LISTPACKS, T_STREAM_LISTPACKS_2, T_STREAM_LISTPACKS_3};
use crate::store::stream::{Group, StreamId, StreamValue, ENTRIES_READ_INVALID, NODE_MAX_ENTRIES};
use std::collections::BTreeMap;

const FLAG_DELETED: i64 = 1;
const FLAG_SAMEFIELDS: i64 = 2;

/// One listpack node as read.
#[derive(Debug, Clone, PartialEq)]
pub struct RdbNode {
    pub master: StreamId,
    pub master_fields: Vec<Vec<u8>>,
    /// Live entries: ID → field, value, field, value, ...
    pub entries: Vec<(StreamId, Vec<Vec<u8>>)>,
    /// Entries flagged deleted.
    pub deleted: u64,
    /// The ID of the last entry, live or deleted.
    pub last: StreamId,
    /// The listpack's size in bytes.
    pub bytes: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RdbConsumer {
    pub name: Vec<u8>,
    pub seen_time: u64,
    pub pel: Vec<StreamId>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RdbGroup {
    pub name: Vec<u8>,
    pub last_id: StreamId,
    /// None for RDB_TYPE_STREAM_LISTPACKS (estimated when loaded, as
    /// Redis 7.0 does).
    pub entries_read: Option<i64>,
    /// ID, delivery time, delivery count (each owned by one consumer).
    pub pel: Vec<(StreamId, u64, u64)>,
    pub consumers: Vec<RdbConsumer>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RdbStream {
    pub nodes: Vec<RdbNode>,
    pub last_id: StreamId,
    /// None for RDB_TYPE_STREAM_LISTPACKS (then the length).
    pub entries_added: Option<u64>,
    pub max_deleted: StreamId,
    pub groups: Vec<RdbGroup>,
}

fn raw_id(b: &[u8]) -> StreamId {
    let mut ms = [0u8; 8];
    let mut seq = [0u8; 8];
    ms.copy_from_slice(&b[..8]);
    seq.copy_from_slice(&b[8..16]);
    StreamId::new(u64::from_be_bytes(ms), u64::from_be_bytes(seq))
}

fn put_raw_id(out: &mut Vec<u8>, id: StreamId) {
    out.extend_from_slice(&id.ms.to_be_bytes());
    out.extend_from_slice(&id.seq.to_be_bytes());
}

/// A listpack node (Redis's streamValidateListpackIntegrity rules, plus
/// counts that agree and IDs that increase). `budget` bounds the bytes of
/// master fields copied into same-fields entries (a small blob must not
/// expand without limit).
fn node(b: &[u8], master: StreamId, budget: &mut usize) -> std::result::Result<RdbNode, BlobError> {
    let elems = packed::listpack_elems(b)?;
    let total = elems.len();
    let end = b.len().saturating_sub(1);
    let mut it = elems.into_iter();
    let next = |it: &mut std::vec::IntoIter<(usize, Elem)>| {
        it.next()
            .ok_or((end, "the stream listpack ends inside an entry"))
    };
    let int = |(at, e): (usize, Elem), what: &'static str| e.int().ok_or((at, what));
    let count_of = |x: (usize, Elem), left: usize, what: &'static str| {
        let at = x.0;
        match int(x, what)? {
            n if n < 0 || n as u64 > left as u64 => Err((at, what)),
            n => Ok(n as usize),
        }
    };
    let count = count_of(
        next(&mut it)?,
        total,
        "a bad live count in a stream master entry",
    )?;
    let deleted = count_of(
        next(&mut it)?,
        total,
        "a bad deleted count in a stream master entry",
    )?;
    let nmaster = count_of(
        next(&mut it)?,
        it.len(),
        "a bad field count in a stream master entry",
    )?;
    let mut master_fields = Vec::with_capacity(nmaster);
    for _ in 0..nmaster {
        master_fields.push(next(&mut it)?.1.into_bytes());
    }
    let z = next(&mut it)?;
    if z.1.int() != Some(0) {
        return Err((z.0, "a stream master entry without its 0 terminator"));
    }
    let master_bytes: usize = master_fields.iter().map(|f| f.len()).sum();
    let mut entries = Vec::new();
    let mut seen_deleted = 0usize;
    let mut prev: Option<StreamId> = None;
    for _ in 0..count + deleted {
        let (fat, fe) = next(&mut it)?;
        let flags = int((fat, fe), "stream entry flags that are not an integer")?;
        if flags & !(FLAG_DELETED | FLAG_SAMEFIELDS) != 0 {
            return Err((fat, "unknown stream entry flags"));
        }
        let ms = int(next(&mut it)?, "a stream entry ID that is not an integer")?;
        let seq = int(next(&mut it)?, "a stream entry ID that is not an integer")?;
        let id = StreamId::new(
            master.ms.wrapping_add(ms as u64),
            master.seq.wrapping_add(seq as u64),
        );
        if id < master || prev.is_some_and(|p| id <= p) {
            return Err((fat, "stream entries not in increasing ID order"));
        }
        if id.is_zero() {
            return Err((fat, "a stream entry with ID 0-0"));
        }
        prev = Some(id);
        let same = flags & FLAG_SAMEFIELDS != 0;
        let mut fields;
        let nf = if same {
            *budget = budget
                .checked_sub(master_bytes)
                .ok_or((fat, "stream entries expand too much"))?;
            fields = Vec::with_capacity(nmaster * 2);
            for f in &master_fields {
                fields.push(f.clone());
                fields.push(next(&mut it)?.1.into_bytes());
            }
            nmaster
        } else {
            let nf = count_of(
                next(&mut it)?,
                it.len() / 2,
                "a bad field count in a stream entry",
            )?;
            fields = Vec::with_capacity(nf * 2);
            for _ in 0..nf * 2 {
                fields.push(next(&mut it)?.1.into_bytes());
            }
            nf
        };
        let (lat, le) = next(&mut it)?;
        let want = nf as i64 + 3 + if same { 0 } else { nf as i64 + 1 };
        if le.int() != Some(want) {
            return Err((lat, "a stream entry's element count does not match"));
        }
        if flags & FLAG_DELETED != 0 {
            seen_deleted += 1;
        } else {
            if nf == 0 {
                return Err((fat, "a stream entry without fields"));
            }
            entries.push((id, fields));
        }
    }
    if let Some((at, _)) = it.next() {
        return Err((at, "elements after the last stream entry"));
    }
    if entries.len() != count || seen_deleted != deleted {
        return Err((6, "stream master entry counts do not match the entries"));
    }
    let Some(last) = prev else {
        return Err((6, "an empty stream listpack"));
    };
    Ok(RdbNode {
        master,
        master_fields,
        entries,
        deleted: deleted as u64,
        last,
        bytes: b.len(),
    })
}

fn id(r: &mut Reader) -> Result<StreamId> {
    Ok(StreamId::new(r.length()?, r.length()?))
}

/// A stream value of type `ty` (the type byte already read).
pub fn read(r: &mut Reader, ty: u8) -> Result<RdbStream> {
    let v2 = ty != T_STREAM_LISTPACKS;
    // A node takes at least two strings of 4 bytes (LZF-compressed, at
    // their shortest).
    let n = r.count(8)?;
    let mut budget = (16usize << 20).saturating_add(r.data.len().saturating_mul(256));
    let mut nodes: Vec<RdbNode> = Vec::with_capacity(n);
    for _ in 0..n {
        let kat = r.pos;
        let key = r.string()?;
        if key.len() != 16 {
            return err(kat, "a stream node key that is not a 16-byte ID");
        }
        let master = raw_id(&key);
        if nodes.last().is_some_and(|p| master <= p.last) {
            return err(kat, "stream nodes not in increasing ID order");
        }
        nodes.push(r.blob("stream listpack", |b| node(b, master, &mut budget))?);
    }
    let lat = r.pos;
    let length = r.length()?;
    let last_id = id(r)?;
    let live: u64 = nodes.iter().map(|n| n.entries.len() as u64).sum();
    if length != live {
        return err(
            lat,
            format!("a stream length of {length} with {live} entries"),
        );
    }
    let top = nodes
        .iter()
        .rev()
        .find_map(|n| n.entries.last())
        .map(|e| e.0);
    if top.is_some_and(|t| t > last_id) {
        return err(lat, "a stream entry beyond the stream's last ID");
    }
    let (entries_added, max_deleted) = if v2 {
        let _first = id(r)?; // FlashDB derives it from the entries
        let mat = r.pos;
        let max_deleted = id(r)?;
        if max_deleted > last_id {
            return err(mat, "a stream max deleted ID beyond its last ID");
        }
        let aat = r.pos;
        let added = r.length()?;
        if added < length || added > i64::MAX as u64 {
            return err(aat, format!("a stream entries-added count of {added}"));
        }
        (Some(added), max_deleted)
    } else {
        (None, StreamId::MIN)
    };
    // A group takes at least 5 bytes (name, ID, two counts).
    let ng = r.count(5)?;
    let mut groups: Vec<RdbGroup> = Vec::with_capacity(ng.min(1024));
    let mut names = std::collections::BTreeSet::new();
    for _ in 0..ng {
        groups.push(group(r, ty, &mut names)?);
    }
    Ok(RdbStream {
        nodes,
        last_id,
        entries_added,
        max_deleted,
        groups,
    })
}

/// One consumer group (its PEL NACKs each owned by exactly one consumer).
fn group(
    r: &mut Reader,
    ty: u8,
    names: &mut std::collections::BTreeSet<Vec<u8>>,
) -> Result<RdbGroup> {
    let gat = r.pos;
    let name = r.string()?;
    if !names.insert(name.clone()) {
        return err(gat, "a duplicate consumer group");
    }
    let last_id = id(r)?;
    let entries_read = if ty != T_STREAM_LISTPACKS {
        let rat = r.pos;
        let n = r.length()? as i64;
        if n < ENTRIES_READ_INVALID {
            return err(rat, "a consumer group with a bad entries-read counter");
        }
        Some(n)
    } else {
        None
    };
    // Global PEL: raw ID, time, count (at least 25 bytes each); the owner
    // is set by the consumers that follow.
    let np = r.count(25)?;
    let mut pel: BTreeMap<StreamId, (u64, u64, bool)> = BTreeMap::new();
    for _ in 0..np {
        let at = r.pos;
        let pid = raw_id(r.take(16)?);
        let time = r.le_u64()?;
        let count = r.length()?;
        if time > i64::MAX as u64 || count > i64::MAX as u64 {
            return err(at, "a pending entry with a bad delivery time or count");
        }
        if pel.insert(pid, (time, count, false)).is_some() {
            return err(at, "a duplicate pending entry in a consumer group");
        }
    }
    let active = ty == T_STREAM_LISTPACKS_3;
    let nc = r.count(if active { 18 } else { 10 })?;
    let mut consumers: Vec<RdbConsumer> = Vec::with_capacity(nc.min(1024));
    let mut cnames = std::collections::BTreeSet::new();
    for _ in 0..nc {
        let cat = r.pos;
        let cname = r.string()?;
        if !cnames.insert(cname.clone()) {
            return err(cat, "a duplicate consumer");
        }
        let seen_time = r.le_u64()?;
        if active {
            r.le_u64()?; // 7.2's active time: FlashDB keeps only seen time
        }
        let n = r.count(16)?;
        let mut cpel = Vec::with_capacity(n);
        for _ in 0..n {
            let at = r.pos;
            let pid = raw_id(r.take(16)?);
            match pel.get_mut(&pid) {
                None => return err(at, "a consumer's pending entry not in its group's PEL"),
                Some(e) if e.2 => return err(at, "a pending entry owned by two consumers"),
                Some(e) => e.2 = true,
            }
            cpel.push(pid);
        }
        consumers.push(RdbConsumer {
            name: cname,
            seen_time,
            pel: cpel,
        });
    }
    if pel.values().any(|e| !e.2) {
        return err(gat, "a pending entry without a consumer");
    }
    Ok(RdbGroup {
        name,
        last_id,
        entries_read,
        pel: pel.into_iter().map(|(k, (t, c, _))| (k, t, c)).collect(),
        consumers,
    })
}

impl RdbStream {
    /// The store value (everything was checked when read).
    pub fn into_value(self) -> StreamValue {
        let mut x = StreamValue::new();
        let length: u64 = self.nodes.iter().map(|n| n.entries.len() as u64).sum();
        for n in self.nodes {
            x.load_node(
                n.master,
                n.master_fields,
                n.entries,
                n.deleted,
                n.last,
                n.bytes,
            );
        }
        x.last_id = self.last_id;
        // Redis 7.0 loading a Redis 5/6 stream: entries added = length,
        // no max deleted ID, group read counters estimated.
        x.entries_added = self.entries_added.unwrap_or(length);
        x.max_deleted = self.max_deleted;
        for g in self.groups {
            let read = g
                .entries_read
                .unwrap_or_else(|| x.estimate_distance(g.last_id));
            let mut grp = Group::new(g.last_id, read);
            let owner: BTreeMap<StreamId, Vec<u8>> = g
                .consumers
                .iter()
                .flat_map(|c| c.pel.iter().map(|id| (*id, c.name.clone())))
                .collect();
            for c in &g.consumers {
                grp.create_consumer(&c.name, c.seen_time);
            }
            for (id, time, count) in g.pel {
                if let Some(c) = owner.get(&id) {
                    grp.assign(id, c, time, count);
                }
            }
            x.groups.insert(g.name, grp);
        }
        x
    }
}

/// The listpack of one node: master entry, then each entry (same-fields
/// form when its fields are the master's), as streamAppendItem lays them.
fn node_listpack(
    master: StreamId,
    master_fields: &[Vec<u8>],
    entries: &[(&StreamId, &Vec<Vec<u8>>)],
) -> Vec<u8> {
    let mut lp = ListpackWriter::new();
    lp.int(entries.len() as i64);
    lp.int(0);
    lp.int(master_fields.len() as i64);
    for f in master_fields {
        lp.string(f);
    }
    lp.int(0);
    for (id, fields) in entries {
        let nf = fields.len() / 2;
        let same = nf == master_fields.len()
            && fields.chunks(2).zip(master_fields).all(|(p, m)| p[0] == *m);
        lp.int(if same { FLAG_SAMEFIELDS } else { 0 });
        lp.int(id.ms.wrapping_sub(master.ms) as i64);
        lp.int(id.seq.wrapping_sub(master.seq) as i64);
        if same {
            for p in fields.chunks(2) {
                lp.string(&p[1]);
            }
            lp.int(nf as i64 + 3);
        } else {
            lp.int(nf as i64);
            for f in fields.iter() {
                lp.string(f);
            }
            lp.int(2 * nf as i64 + 4);
        }
    }
    lp.finish()
}

/// Appends RDB_TYPE_STREAM_LISTPACKS_2 and the stream.
pub fn write(out: &mut Vec<u8>, x: &StreamValue) {
    out.push(T_STREAM_LISTPACKS_2);
    // Entries grouped by the node model's nodes (a new node, mastered by
    // its first entry, should the model and the entries ever disagree).
    let masters: Vec<(StreamId, &[Vec<u8>])> = x.node_masters().collect();
    type Node<'a> = (
        StreamId,
        Vec<Vec<u8>>,
        Vec<(&'a StreamId, &'a Vec<Vec<u8>>)>,
    );
    let mut nodes: Vec<Node> = Vec::new();
    let mut mi = 0;
    for (id, fields) in x.entries.iter() {
        while mi < masters.len() && masters[mi].0 <= *id {
            mi += 1;
        }
        let model = mi.checked_sub(1).map(|i| masters[i]);
        let last_master = nodes.last().map(|n| n.0);
        match nodes.last_mut() {
            // The current node: the same model node (whose size the
            // stream-node-max-* limits of its appends bounded), or, with
            // no model node, one of at most the default entry count.
            Some(n)
                if match model {
                    Some((m, _)) => m <= n.0,
                    None => (n.2.len() as u64) < NODE_MAX_ENTRIES,
                } =>
            {
                n.2.push((id, fields))
            }
            _ => match model.filter(|(m, _)| last_master.is_none_or(|l| l < *m)) {
                Some((m, mf)) => nodes.push((m, mf.to_vec(), vec![(id, fields)])),
                None => {
                    let mf = fields.chunks(2).map(|p| p[0].clone()).collect();
                    nodes.push((*id, mf, vec![(id, fields)]));
                }
            },
        }
    }
    put_len(out, nodes.len() as u64);
    for (master, mf, entries) in &nodes {
        put_len(out, 16);
        put_raw_id(out, *master);
        let lp = node_listpack(*master, mf, entries);
        put_len(out, lp.len() as u64);
        out.extend_from_slice(&lp);
    }
    put_len(out, x.len() as u64);
    put_len(out, x.last_id.ms);
    put_len(out, x.last_id.seq);
    let first = x.first_id();
    put_len(out, first.ms);
    put_len(out, first.seq);
    put_len(out, x.max_deleted.ms);
    put_len(out, x.max_deleted.seq);
    put_len(out, x.entries_added);
    put_len(out, x.groups.len() as u64);
    for (name, g) in x.groups.iter() {
        put_string(out, name);
        put_len(out, g.last_id.ms);
        put_len(out, g.last_id.seq);
        put_len(out, g.entries_read as u64);
        put_len(out, g.pel.len() as u64);
        for (id, n) in g.pel.iter() {
            put_raw_id(out, *id);
            out.extend_from_slice(&n.delivery_time.to_le_bytes());
            put_len(out, n.delivery_count);
        }
        put_len(out, g.consumers.len() as u64);
        for (cname, c) in g.consumers.iter() {
            put_string(out, cname);
            out.extend_from_slice(&c.seen_time.to_le_bytes());
            put_len(out, c.pel.len() as u64);
            for id in c.pel.iter() {
                put_raw_id(out, *id);
            }
        }
    }
}
