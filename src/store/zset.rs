//! Sorted set values: member → score, ordered by (score, member) with
//! O(log n) rank. The sorted set family (src/command/zset.rs) builds on
//! this.
//!
//! Two structures, as in Redis's skiplist encoding: a `Dict` from member
//! to score (O(1) ZSCORE, and ZSCAN with Redis's cursor guarantee) and a
//! skiplist with spans over (score, member), kept in an arena of nodes
//! addressed by index. The spans give rank in O(log n): ZRANK, ZRANGE by
//! index and ZREMRANGEBYRANK never walk the set.
//!
//! Encoding, as Redis 7.0 reports it (OBJECT ENCODING): `listpack` while
//! the set holds at most zset-max-listpack-entries members, none longer
//! than zset-max-listpack-value bytes; `skiplist` after the first change
//! that breaks either rule, for good. Only the flag is modelled (and the
//! listpack's scan-everything-at-once ZSCAN); storage is the same.

use super::bytes::{malloc_size, CompactBytes};
use super::dict::Dict;
use super::siphash::KeyHasher;
use std::cmp::Ordering;

const MAX_LEVEL: usize = 32;
const NIL: u32 = u32::MAX;
const HEAD: u32 = 0;

#[derive(Clone, Copy)]
struct Level {
    forward: u32,
    /// Nodes skipped (u32: a sorted set holds at most 2^32 - 1 members,
    /// which keeps a level 8 bytes and a node within one cache line).
    span: u32,
}

const EMPTY_LEVEL: Level = Level {
    forward: NIL,
    span: 0,
};

/// Levels kept inside the node: with p = 1/4, 98.4% of nodes have at most
/// this many, so a search step reads one node (score and forward pointers
/// together, one 64-byte line) instead of the node and then a separate
/// level array — one cache miss per step instead of two on a big set.
const INLINE_LEVELS: usize = 3;

#[derive(Clone)]
enum Levels {
    Inline(u8, [Level; INLINE_LEVELS]),
    Heap(Vec<Level>),
}

impl Levels {
    fn new(n: usize) -> Levels {
        if n <= INLINE_LEVELS {
            Levels::Inline(n as u8, [EMPTY_LEVEL; INLINE_LEVELS])
        } else {
            Levels::Heap(vec![EMPTY_LEVEL; n])
        }
    }

    /// Heap bytes beyond the node itself.
    fn heap_bytes(n: usize) -> usize {
        if n <= INLINE_LEVELS {
            0
        } else {
            malloc_size(n * std::mem::size_of::<Level>())
        }
    }
}

impl std::ops::Deref for Levels {
    type Target = [Level];
    fn deref(&self) -> &[Level] {
        match self {
            Levels::Inline(n, a) => &a[..*n as usize],
            Levels::Heap(v) => v,
        }
    }
}

impl std::ops::DerefMut for Levels {
    fn deref_mut(&mut self) -> &mut [Level] {
        match self {
            Levels::Inline(n, a) => &mut a[..*n as usize],
            Levels::Heap(v) => v,
        }
    }
}

#[derive(Clone)]
#[repr(align(64))]
struct Node {
    member: Box<[u8]>,
    score: f64,
    backward: u32,
    levels: Levels,
}

/// Bytes one member costs beyond its dict entry: the skiplist node, its
/// level vector and the member copy.
fn node_bytes(member_len: usize, levels: usize) -> usize {
    malloc_size(std::mem::size_of::<Node>()) + Levels::heap_bytes(levels) + malloc_size(member_len)
}

/// (score, member) order: score first, ties by member bytes.
fn cmp(s1: f64, m1: &[u8], s2: f64, m2: &[u8]) -> Ordering {
    s1.partial_cmp(&s2)
        .unwrap_or(Ordering::Equal)
        .then_with(|| m1.cmp(m2))
}

/// A score bound: value and whether it is exclusive (`(`).
#[derive(Clone, Copy, Debug)]
pub struct ScoreRange {
    pub min: f64,
    pub minex: bool,
    pub max: f64,
    pub maxex: bool,
}

impl ScoreRange {
    pub fn gte_min(&self, v: f64) -> bool {
        if self.minex {
            v > self.min
        } else {
            v >= self.min
        }
    }
    pub fn lte_max(&self, v: f64) -> bool {
        if self.maxex {
            v < self.max
        } else {
            v <= self.max
        }
    }
    /// Redis's zslIsInRange rejection of ranges that can hold nothing.
    pub fn is_empty(&self) -> bool {
        self.min > self.max || (self.min == self.max && (self.minex || self.maxex))
    }
}

/// One end of a lex range: `-`, `+`, `[x` or `(x`.
#[derive(Clone, Debug)]
pub enum LexBound {
    MinusInf,
    PlusInf,
    Incl(Vec<u8>),
    Excl(Vec<u8>),
}

#[derive(Clone, Debug)]
pub struct LexRange {
    pub min: LexBound,
    pub max: LexBound,
}

impl LexRange {
    pub fn gte_min(&self, m: &[u8]) -> bool {
        match &self.min {
            LexBound::MinusInf => true,
            LexBound::PlusInf => false,
            LexBound::Incl(b) => m >= b.as_slice(),
            LexBound::Excl(b) => m > b.as_slice(),
        }
    }
    pub fn lte_max(&self, m: &[u8]) -> bool {
        match &self.max {
            LexBound::MinusInf => false,
            LexBound::PlusInf => true,
            LexBound::Incl(b) => m <= b.as_slice(),
            LexBound::Excl(b) => m < b.as_slice(),
        }
    }
    /// Redis's zslLexValueGteMin/LteMax on the range itself: empty when
    /// min > max, or equal with an exclusive end.
    pub fn is_empty(&self) -> bool {
        use LexBound::*;
        match (&self.min, &self.max) {
            (PlusInf, _) | (_, MinusInf) => true,
            (MinusInf, _) | (_, PlusInf) => false,
            (Incl(a), Incl(b)) => a > b,
            (Incl(a), Excl(b)) | (Excl(a), Incl(b)) | (Excl(a), Excl(b)) => a >= b,
        }
    }
}

/// The skiplist with spans (Redis's zskiplist), nodes in an arena.
#[derive(Clone)]
struct SkipList {
    nodes: Vec<Node>,
    free: Vec<u32>,
    tail: u32,
    len: usize,
    level: usize,
    seed: u64,
}

// The level loops index `update`/`rank` and the nodes together, as Redis's
// zslInsert/zslDelete do.
#[allow(clippy::needless_range_loop)]
impl SkipList {
    fn new() -> SkipList {
        SkipList {
            nodes: vec![Node {
                member: Box::new([]),
                score: 0.0,
                backward: NIL,
                levels: Levels::new(MAX_LEVEL),
            }],
            free: Vec::new(),
            tail: NIL,
            len: 0,
            level: 1,
            seed: 0x9E37_79B9_7F4A_7C15,
        }
    }

    fn random_level(&mut self) -> usize {
        // xorshift; P = 1/4 per level, as Redis.
        let mut lvl = 1;
        loop {
            self.seed ^= self.seed << 13;
            self.seed ^= self.seed >> 7;
            self.seed ^= self.seed << 17;
            if (self.seed & 0xFFFF) < 0x4000 && lvl < MAX_LEVEL {
                lvl += 1;
            } else {
                return lvl;
            }
        }
    }

    fn n(&self, i: u32) -> &Node {
        &self.nodes[i as usize]
    }

    /// Inserts a (score, member) not already present; returns the levels
    /// of the new node.
    fn insert(&mut self, score: f64, member: &[u8]) -> usize {
        let mut update = [HEAD; MAX_LEVEL];
        let mut rank = [0usize; MAX_LEVEL];
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            rank[i] = if i == self.level - 1 { 0 } else { rank[i + 1] };
            loop {
                let f = self.n(x).levels[i].forward;
                if f != NIL && cmp(self.n(f).score, &self.n(f).member, score, member).is_lt() {
                    rank[i] += self.n(x).levels[i].span as usize;
                    x = f;
                } else {
                    break;
                }
            }
            update[i] = x;
        }
        let level = self.random_level();
        if level > self.level {
            for i in self.level..level {
                rank[i] = 0;
                update[i] = HEAD;
                self.nodes[HEAD as usize].levels[i].span = self.len as u32;
            }
            self.level = level;
        }
        let node = Node {
            member: member.into(),
            score,
            backward: NIL,
            levels: Levels::new(level),
        };
        let x = match self.free.pop() {
            Some(i) => {
                self.nodes[i as usize] = node;
                i
            }
            None => {
                self.nodes.push(node);
                (self.nodes.len() - 1) as u32
            }
        };
        for i in 0..level {
            let u = update[i] as usize;
            let uf = self.nodes[u].levels[i].forward;
            let uspan = self.nodes[u].levels[i].span;
            self.nodes[x as usize].levels[i].forward = uf;
            self.nodes[x as usize].levels[i].span = uspan - (rank[0] - rank[i]) as u32;
            self.nodes[u].levels[i].forward = x;
            self.nodes[u].levels[i].span = (rank[0] - rank[i]) as u32 + 1;
        }
        for i in level..self.level {
            self.nodes[update[i] as usize].levels[i].span += 1;
        }
        self.nodes[x as usize].backward = if update[0] == HEAD { NIL } else { update[0] };
        let f = self.n(x).levels[0].forward;
        if f != NIL {
            self.nodes[f as usize].backward = x;
        } else {
            self.tail = x;
        }
        self.len += 1;
        level
    }

    /// Deletes (score, member); returns the removed node's level count.
    fn delete(&mut self, score: f64, member: &[u8]) -> Option<usize> {
        let mut update = [HEAD; MAX_LEVEL];
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            loop {
                let f = self.n(x).levels[i].forward;
                if f != NIL && cmp(self.n(f).score, &self.n(f).member, score, member).is_lt() {
                    x = f;
                } else {
                    break;
                }
            }
            update[i] = x;
        }
        let x = self.n(x).levels[0].forward;
        if x == NIL || self.n(x).score != score || &*self.n(x).member != member {
            return None;
        }
        let lv = self.n(x).levels.len();
        for i in 0..self.level {
            let u = update[i] as usize;
            if self.nodes[u].levels[i].forward == x {
                let xs = self.n(x).levels[i].span;
                let xf = self.n(x).levels[i].forward;
                self.nodes[u].levels[i].span += xs;
                self.nodes[u].levels[i].span -= 1;
                self.nodes[u].levels[i].forward = xf;
            } else {
                self.nodes[u].levels[i].span -= 1;
            }
        }
        let f = self.n(x).levels[0].forward;
        let b = self.n(x).backward;
        if f != NIL {
            self.nodes[f as usize].backward = b;
        } else {
            self.tail = b;
        }
        while self.level > 1 && self.n(HEAD).levels[self.level - 1].forward == NIL {
            self.level -= 1;
        }
        self.len -= 1;
        let node = &mut self.nodes[x as usize];
        node.member = Box::new([]);
        node.levels = Levels::new(0);
        self.free.push(x);
        if self.len == 0 {
            // Give the arena back.
            self.nodes.truncate(1);
            self.free.clear();
        }
        Some(lv)
    }

    /// 1-based rank of (score, member), 0 if absent.
    fn rank(&self, score: f64, member: &[u8]) -> usize {
        let mut r = 0;
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            loop {
                let f = self.n(x).levels[i].forward;
                if f != NIL && cmp(self.n(f).score, &self.n(f).member, score, member).is_le() {
                    r += self.n(x).levels[i].span as usize;
                    x = f;
                } else {
                    break;
                }
            }
            if x != HEAD && &*self.n(x).member == member {
                return r;
            }
        }
        0
    }

    /// Node at 1-based `rank`.
    fn by_rank(&self, rank: usize) -> u32 {
        let mut t = 0;
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            loop {
                let f = self.n(x).levels[i].forward;
                if f != NIL && t + self.n(x).levels[i].span as usize <= rank {
                    t += self.n(x).levels[i].span as usize;
                    x = f;
                } else {
                    break;
                }
            }
            if t == rank {
                return x;
            }
        }
        NIL
    }

    /// Number of nodes before the first one for which `ge` holds (the
    /// list being ordered so `ge` is false then true).
    fn count_before(&self, ge: impl Fn(&Node) -> bool) -> usize {
        let mut r = 0;
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            loop {
                let f = self.n(x).levels[i].forward;
                if f != NIL && !ge(self.n(f)) {
                    r += self.n(x).levels[i].span as usize;
                    x = f;
                } else {
                    break;
                }
            }
        }
        r
    }
}

#[derive(Clone)]
pub struct ZSetValue {
    dict: Dict<f64>,
    zsl: SkipList,
    /// Still Redis's `listpack` encoding; once false, never true again.
    pub listpack: bool,
    /// Heap bytes owned (kept up to date by every change).
    pub bytes: usize,
}

impl Default for ZSetValue {
    fn default() -> Self {
        ZSetValue::new()
    }
}

/// What `ZSetValue::add` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddOutcome {
    Added,
    Updated,
    Unchanged,
}

impl ZSetValue {
    pub fn new() -> ZSetValue {
        ZSetValue {
            dict: Dict::new(KeyHasher::random()),
            zsl: SkipList::new(),
            listpack: true,
            bytes: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.zsl.len
    }

    pub fn is_empty(&self) -> bool {
        self.zsl.len == 0
    }

    /// OBJECT ENCODING as Redis would report it.
    pub fn encoding(&self) -> &'static str {
        if self.listpack {
            "listpack"
        } else {
            "skiplist"
        }
    }

    pub fn heap_size(&self) -> usize {
        self.dict.overhead_bytes() + self.bytes
    }

    /// Applies the listpack limits before adding the new member `m` (one
    /// way, as Redis's conversion).
    pub fn prepare_add(&mut self, max_entries: usize, max_value: usize, m: &[u8]) {
        if self.listpack && (self.len() + 1 > max_entries || m.len() > max_value) {
            self.listpack = false;
        }
    }

    pub fn score(&self, m: &[u8]) -> Option<f64> {
        self.dict.get(self.dict.hash_key(m), m).copied()
    }

    /// Sets `m`'s score (inserting it if new).
    pub fn set(&mut self, m: &[u8], score: f64) -> AddOutcome {
        debug_assert!(!score.is_nan());
        debug_assert!(self.len() < u32::MAX as usize, "skiplist spans are u32");
        // A listpack holds scores as text where -0 reads back as 0.
        let score = if self.listpack { score + 0.0 } else { score };
        let h = self.dict.hash_key(m);
        if let Some(old) = self.dict.get_mut(h, m) {
            if *old == score {
                return AddOutcome::Unchanged;
            }
            let prev = *old;
            *old = score;
            let lv = self.zsl.delete(prev, m).expect("member in skiplist");
            self.bytes -= node_bytes(m.len(), lv);
            let lv = self.zsl.insert(score, m);
            self.bytes += node_bytes(m.len(), lv);
            return AddOutcome::Updated;
        }
        let k = CompactBytes::new(m);
        self.bytes += k.heap_size();
        self.dict.insert_new(h, k, score);
        let lv = self.zsl.insert(score, m);
        self.bytes += node_bytes(m.len(), lv);
        AddOutcome::Added
    }

    /// Removes `m`; returns its score if it was there.
    pub fn remove(&mut self, m: &[u8]) -> Option<f64> {
        let h = self.dict.hash_key(m);
        let (k, score) = self.dict.remove(h, m)?;
        self.bytes -= k.heap_size();
        let lv = self.zsl.delete(score, m).expect("member in skiplist");
        self.bytes -= node_bytes(m.len(), lv);
        Some(score)
    }

    /// 0-based rank of `m` in ascending order.
    pub fn rank(&self, m: &[u8]) -> Option<usize> {
        let s = self.score(m)?;
        let r = self.zsl.rank(s, m);
        (r > 0).then(|| r - 1)
    }

    /// The member and score at 0-based ascending rank `r`.
    pub fn at(&self, r: usize) -> Option<(&[u8], f64)> {
        if r >= self.len() {
            return None;
        }
        let x = self.zsl.by_rank(r + 1);
        let n = self.zsl.n(x);
        Some((&n.member, n.score))
    }

    /// Members with ascending ranks `start..=end` (clamped), ascending or
    /// (rev) from `end` down to `start`.
    pub fn range_by_rank(&self, start: usize, end: usize, rev: bool) -> Vec<(&[u8], f64)> {
        let mut out = Vec::new();
        if start > end || start >= self.len() {
            return out;
        }
        let end = end.min(self.len() - 1);
        let mut x = self.zsl.by_rank(if rev { end + 1 } else { start + 1 });
        for _ in start..=end {
            let n = self.zsl.n(x);
            out.push((&*n.member, n.score));
            x = if rev { n.backward } else { n.levels[0].forward };
            if x == NIL {
                break;
            }
        }
        out
    }

    /// Ascending rank range (first, count) of the members in a score range.
    pub fn score_span(&self, r: &ScoreRange) -> (usize, usize) {
        if r.is_empty() {
            return (0, 0);
        }
        let lo = self.zsl.count_before(|n| r.gte_min(n.score));
        let hi = self.zsl.count_before(|n| !r.lte_max(n.score));
        (lo, hi.saturating_sub(lo))
    }

    /// Ascending rank range (first, count) of the members in a lex range.
    pub fn lex_span(&self, r: &LexRange) -> (usize, usize) {
        if r.is_empty() {
            return (0, 0);
        }
        let lo = self.zsl.count_before(|n| r.gte_min(&n.member));
        let hi = self.zsl.count_before(|n| !r.lte_max(&n.member));
        (lo, hi.saturating_sub(lo))
    }

    /// Iterates from ascending rank `start` for `count` members, forwards
    /// or (rev) backwards from `start`.
    pub fn walk(&self, start: usize, rev: bool) -> impl Iterator<Item = (&[u8], f64)> {
        let mut x = if start < self.len() {
            self.zsl.by_rank(start + 1)
        } else {
            NIL
        };
        std::iter::from_fn(move || {
            if x == NIL {
                return None;
            }
            let n = self.zsl.n(x);
            x = if rev { n.backward } else { n.levels[0].forward };
            Some((&*n.member, n.score))
        })
    }

    /// Every (member, score) in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], f64)> {
        self.walk(0, false)
    }

    /// Removes the members at ascending ranks `start..start+count`;
    /// returns how many.
    pub fn remove_rank_range(&mut self, start: usize, count: usize) -> usize {
        let victims: Vec<Vec<u8>> = self
            .walk(start, false)
            .take(count)
            .map(|(m, _)| m.to_vec())
            .collect();
        for m in &victims {
            self.remove(m);
        }
        victims.len()
    }

    /// A uniformly random (member, score).
    pub fn random(&self, rnd: &mut impl FnMut() -> u64) -> Option<(&[u8], f64)> {
        if self.is_empty() {
            return None;
        }
        self.at((rnd() % self.len() as u64) as usize)
    }

    /// One step of ZSCAN over the member dict (Redis's cursor).
    pub fn scan(&self, cursor: u64, f: impl FnMut(&CompactBytes, &f64)) -> u64 {
        self.dict.scan(cursor, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_is_one_cache_line() {
        assert_eq!(std::mem::size_of::<Node>(), 64);
    }

    #[test]
    fn order_rank_and_bytes() {
        let mut z = ZSetValue::new();
        let mut model: Vec<(f64, Vec<u8>)> = Vec::new();
        let mut seed = 7u64;
        let mut rnd = move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            seed >> 33
        };
        for _ in 0..3000 {
            let m = format!("m{}", rnd() % 400).into_bytes();
            let s = (rnd() % 50) as f64 / 4.0;
            if rnd() % 3 == 0 {
                let had = model.iter().position(|(_, x)| *x == m);
                assert_eq!(z.remove(&m).is_some(), had.is_some());
                if let Some(i) = had {
                    model.remove(i);
                }
            } else {
                z.set(&m, s);
                model.retain(|(_, x)| *x != m);
                model.push((s, m));
            }
            model.sort_by(|a, b| cmp(a.0, &a.1, b.0, &b.1));
        }
        assert_eq!(z.len(), model.len());
        let got: Vec<(f64, Vec<u8>)> = z.iter().map(|(m, s)| (s, m.to_vec())).collect();
        assert_eq!(got, model);
        for (i, (s, m)) in model.iter().enumerate() {
            assert_eq!(z.rank(m), Some(i));
            assert_eq!(z.at(i), Some((m.as_slice(), *s)));
        }
        let r = ScoreRange {
            min: 2.0,
            minex: true,
            max: 5.0,
            maxex: false,
        };
        let (lo, n) = z.score_span(&r);
        let want: Vec<usize> = (0..model.len())
            .filter(|&i| model[i].0 > 2.0 && model[i].0 <= 5.0)
            .collect();
        assert_eq!((lo, n), (want[0], want.len()));
        let names: Vec<Vec<u8>> = model.iter().map(|x| x.1.clone()).collect();
        for m in names {
            z.remove(&m);
        }
        assert!(z.is_empty());
        assert_eq!(z.bytes, 0);
    }
}
