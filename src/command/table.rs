//! The one command registry: every family's `COMMANDS` rows joined, each
//! command and subcommand given an id (for stats), looked up by name.

use super::CommandSpec;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

/// FNV-1a for command names: the table is fixed and built by us, so it
/// needs no keyed hash, and this is several times cheaper than SipHash on
/// the hot path (every request looks its name up).
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf29ce484222325
        } else {
            self.0
        };
        for &b in bytes {
            h ^= b as u64;
            h = h.wrapping_mul(0x100000001b3);
        }
        self.0 = h;
    }
}

type FnvMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

/// Every family's rows. Adding a family = one line here.
fn families() -> [&'static [CommandSpec]; 22] {
    [
        super::connection::COMMANDS,
        super::string::COMMANDS,
        super::keys::COMMANDS,
        super::server::COMMANDS,
        super::hash::COMMANDS,
        super::set::COMMANDS,
        super::list::COMMANDS,
        super::bitmap::COMMANDS,
        super::hll::COMMANDS,
        super::zset::COMMANDS,
        super::tx::COMMANDS,
        super::sort::COMMANDS,
        super::persist::COMMANDS,
        super::pubsub::COMMANDS,
        super::acl::COMMANDS,
        super::obs::COMMANDS,
        super::memory::COMMANDS,
        super::geo::COMMANDS,
        super::stream::COMMANDS,
        super::xgroup::COMMANDS,
        super::dump::COMMANDS,
        super::migrate::COMMANDS,
    ]
}

pub struct Table {
    /// Top-level commands by lower-case name.
    by_name: FnvMap<&'static [u8], usize>,
    /// Subcommands by (parent id, lower-case name).
    subs: FnvMap<(usize, &'static [u8]), usize>,
    /// id → (spec, parent id for subcommands).
    entries: Vec<(&'static CommandSpec, Option<usize>)>,
    /// id → "get", "config|get".
    full_names: Vec<String>,
}

impl Table {
    fn build() -> Table {
        let mut t = Table {
            by_name: FnvMap::default(),
            subs: FnvMap::default(),
            entries: Vec::new(),
            full_names: Vec::new(),
        };
        for fam in families() {
            for spec in fam {
                let id = t.entries.len();
                t.entries.push((spec, None));
                let dup = t.by_name.insert(spec.name.as_bytes(), id);
                assert!(dup.is_none(), "command {} registered twice", spec.name);
                for sub in spec.subcommands {
                    let sid = t.entries.len();
                    t.entries.push((sub, Some(id)));
                    t.subs.insert((id, sub.name.as_bytes()), sid);
                }
            }
        }
        t.full_names = (0..t.entries.len())
            .map(|id| match t.entries[id].1 {
                Some(p) => format!("{}|{}", t.entries[p].0.name, t.entries[id].0.name),
                None => t.entries[id].0.name.to_string(),
            })
            .collect();
        t
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Looks a command up by the name a client sent (any case).
    pub fn lookup(&self, name: &[u8]) -> Option<(usize, &'static CommandSpec)> {
        let mut buf = [0u8; 32];
        if name.len() > buf.len() {
            return None;
        }
        for (d, s) in buf.iter_mut().zip(name) {
            *d = s.to_ascii_lowercase();
        }
        let id = *self.by_name.get(&buf[..name.len()])?;
        Some((id, self.entries[id].0))
    }

    /// Looks up subcommand `sub` of the command with id `parent`.
    pub fn lookup_sub(&self, parent: usize, sub: &[u8]) -> Option<(usize, &'static CommandSpec)> {
        let lower = sub.to_ascii_lowercase();
        let id = *self.subs.get(&(parent, lower.as_slice()))?;
        Some((id, self.entries[id].0))
    }

    pub fn spec(&self, id: usize) -> &'static CommandSpec {
        self.entries[id].0
    }

    /// "get", or "config|get" for a subcommand.
    pub fn full_name(&self, id: usize) -> String {
        self.full_names[id].clone()
    }

    /// `full_name` without the copy.
    pub fn full_name_str(&self, id: usize) -> &str {
        &self.full_names[id]
    }

    /// Top-level commands in registration order.
    pub fn commands(&self) -> impl Iterator<Item = (usize, &'static CommandSpec)> + '_ {
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, (_, p))| p.is_none())
            .map(|(i, (s, _))| (i, *s))
    }

    /// Every command and subcommand id with its full name.
    pub fn all_ids(&self) -> impl Iterator<Item = usize> {
        0..self.entries.len()
    }

    /// The container a subcommand belongs to (None for a command).
    pub fn parent(&self, id: usize) -> Option<usize> {
        self.entries[id].1
    }

    /// The ids of a command's subcommands (they follow it in the table).
    pub fn subcommand_ids(&self, id: usize) -> std::ops::Range<usize> {
        let n = if self.entries[id].1.is_none() {
            self.entries[id].0.subcommands.len()
        } else {
            0
        };
        id + 1..id + 1 + n
    }

    /// Looks up `get` or `config|get` (any case), as ACL rules name
    /// commands; None for anything else (`a|b|c`, unknown names).
    pub fn lookup_full(&self, name: &[u8]) -> Option<usize> {
        let mut parts = name.splitn(3, |&b| b == b'|');
        let first = parts.next()?;
        let (id, _) = self.lookup(first)?;
        match (parts.next(), parts.next()) {
            (None, _) => Some(id),
            (Some(sub), None) => self.lookup_sub(id, sub).map(|(sid, _)| sid),
            _ => None,
        }
    }
}

/// The registry, built on first use.
pub fn table() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(Table::build)
}

#[cfg(test)]
mod tests {
    use super::super::*;
    use super::*;

    /// The table's rows are consistent with each other and with Redis's conventions.
    #[test]
    fn table_is_consistent() {
        let t = table();
        assert!(t.len() > 50);
        for id in t.all_ids() {
            let s = t.spec(id);
            let full = t.full_name(id);
            assert_eq!(
                s.name,
                s.name.to_ascii_lowercase(),
                "{full}: name must be lower case"
            );
            assert!(s.arity != 0, "{full}: arity 0");
            assert!(!s.summary.is_empty(), "{full}: summary missing");
            assert!(!s.since.is_empty(), "{full}: since missing");
            assert!(!s.group.is_empty(), "{full}: group missing");
            assert!(
                !(s.flags & WRITE != 0 && s.flags & READONLY != 0),
                "{full}: both write and readonly"
            );
            // Key positions must be reachable within the minimum arity.
            if s.keys.first > 0 {
                assert!(s.keys.step >= 1, "{full}: key step");
                let min = s.arity.unsigned_abs() as i32;
                // Variadic commands may take no keys at all (Redis's
                // SUNSUBSCRIBE: arity -1, keys from 1).
                let optional = s.arity < 0 && s.keys.last < 0;
                assert!(
                    s.keys.first < min || optional,
                    "{full}: first key beyond arity"
                );
                if s.keys.last > 0 {
                    assert!(s.keys.last >= s.keys.first, "{full}: last < first");
                }
            }
            // A container's subcommands count the container name in arity.
            // (COMMAND alone is valid, as in Redis: arity -1.)
            if !s.subcommands.is_empty() {
                assert_eq!(
                    s.arity,
                    if s.name == "command" { -1 } else { -2 },
                    "{full}: container arity"
                );
                for sub in s.subcommands {
                    assert!(sub.arity.unsigned_abs() >= 2, "{full}|{}: arity", sub.name);
                }
            }
            // Lookup finds it again, in any case.
            if t.entries[id].1.is_none() {
                let upper = s.name.to_uppercase();
                assert_eq!(t.lookup(upper.as_bytes()).map(|x| x.0), Some(id));
            }
            let cats = s.categories();
            assert!(
                cats.contains(&"fast") ^ cats.contains(&"slow"),
                "{full}: fast xor slow"
            );
        }
    }

    #[test]
    fn key_positions() {
        let (_, get) = table().lookup(b"get").unwrap();
        assert_eq!(get.key_indexes(2), vec![1]);
        let (_, mset) = table().lookup(b"mset").unwrap();
        assert_eq!(mset.key_indexes(5), vec![1, 3]);
        let (_, del) = table().lookup(b"del").unwrap();
        assert_eq!(del.key_indexes(4), vec![1, 2, 3]);
    }
}
