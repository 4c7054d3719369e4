//! The command table's row type (`CommandSpec`), its flags, and the lookup
//! every path uses. The rows themselves live beside their handlers, one
//! `COMMANDS` slice per family file (string.rs, keys.rs, ...), and table.rs
//! joins them into the one registry. Arity checks, `COMMAND`, stats, ACL
//! categories and docs are all derived from these rows.

pub mod acl;
pub mod args;
pub mod bitmap;
pub mod connection;
pub mod docs;
pub mod dump;
pub mod geo;
pub mod hash;
pub mod hll;
pub mod info;
pub mod keys;
pub mod list;
pub mod memory;
pub mod migrate;
pub mod obs;
pub mod persist;
pub mod pubsub;
pub mod server;
pub mod set;
pub mod sort;
pub mod stream;
pub mod string;
pub mod strutil;
pub mod table;
pub mod tx;
pub mod xgroup;
pub mod zset;

use crate::resp::Reply;
use crate::server::Ctx;

/// A command handler: `args[0]` is the command name as the client sent it.
pub type Handler = fn(&mut Ctx, &[Vec<u8>]) -> Reply;

// Flags, as in Redis's command table (the names COMMAND INFO reports).
pub const WRITE: u32 = 1 << 0;
pub const READONLY: u32 = 1 << 1;
pub const DENYOOM: u32 = 1 << 2;
pub const ADMIN: u32 = 1 << 3;
pub const PUBSUB: u32 = 1 << 4;
pub const NOSCRIPT: u32 = 1 << 5;
pub const BLOCKING: u32 = 1 << 6;
pub const LOADING: u32 = 1 << 7;
pub const STALE: u32 = 1 << 8;
pub const SKIP_MONITOR: u32 = 1 << 9;
pub const SKIP_SLOWLOG: u32 = 1 << 10;
pub const FAST: u32 = 1 << 11;
pub const NO_AUTH: u32 = 1 << 12;
pub const MAY_REPLICATE: u32 = 1 << 13;
pub const NO_MULTI: u32 = 1 << 14;
pub const NO_ASYNC_LOADING: u32 = 1 << 18;
pub const ALLOW_BUSY: u32 = 1 << 15;
pub const SENTINEL: u32 = 1 << 16;
/// FlashDB-internal (not reported by COMMAND INFO): runs without the shared
/// transaction gate because it takes the gate exclusively itself (EXEC).
pub const EXCLUSIVE: u32 = 1 << 30;
/// Keys found by a non-range key spec (SINTERCARD's numkeys); COMMAND INFO
/// then reports no legacy key positions.
pub const MOVABLEKEYS: u32 = 1 << 17;

/// Flag bits and the names Redis gives them, in Redis's order.
pub const FLAG_NAMES: &[(u32, &str)] = &[
    (WRITE, "write"),
    (READONLY, "readonly"),
    (DENYOOM, "denyoom"),
    (ADMIN, "admin"),
    (PUBSUB, "pubsub"),
    (NOSCRIPT, "noscript"),
    (BLOCKING, "blocking"),
    (LOADING, "loading"),
    (STALE, "stale"),
    (SKIP_MONITOR, "skip_monitor"),
    (SKIP_SLOWLOG, "skip_slowlog"),
    (FAST, "fast"),
    (NO_AUTH, "no_auth"),
    (MAY_REPLICATE, "may_replicate"),
    (NO_ASYNC_LOADING, "no_async_loading"),
    (NO_MULTI, "no_multi"),
    (MOVABLEKEYS, "movablekeys"),
    (ALLOW_BUSY, "allow_busy"),
];

/// Legacy key positions (Redis's first/last/step): `first` 0 = no keys,
/// `last` -1 = up to the last argument, -2 = all but the last, ...
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Keys {
    pub first: i32,
    pub last: i32,
    pub step: i32,
}

pub const NO_KEYS: Keys = Keys {
    first: 0,
    last: 0,
    step: 0,
};
/// One key at argument 1.
pub const KEY1: Keys = Keys {
    first: 1,
    last: 1,
    step: 1,
};
/// The key of a subcommand (OBJECT ENCODING key, MEMORY USAGE key).
pub const KEY2: Keys = Keys {
    first: 2,
    last: 2,
    step: 1,
};
/// Every argument from 1 on is a key.
pub const ALL_KEYS: Keys = Keys {
    first: 1,
    last: -1,
    step: 1,
};

/// One row of the command table.
pub struct CommandSpec {
    /// Lower-case name (subcommands: just the subcommand, e.g. "get").
    pub name: &'static str,
    /// Redis convention: N = exactly N arguments counting the name, -N = at least N.
    pub arity: i32,
    pub flags: u32,
    /// ACL categories besides those implied by the flags (without '@').
    pub acl: &'static [&'static str],
    pub keys: Keys,
    /// COMMAND DOCS group: "string", "generic", "connection", "server", ...
    pub group: &'static str,
    pub summary: &'static str,
    pub since: &'static str,
    pub complexity: &'static str,
    /// Argument syntax as in Redis's docs, e.g. "key value [NX | XX]"; COMMAND
    /// DOCS and the hints of redis-cli are generated from it.
    pub syntax: &'static str,
    pub handler: Handler,
    /// Container commands (CONFIG, CLIENT, ...) list their subcommands here.
    pub subcommands: &'static [CommandSpec],
}

/// Builders so a row reads as one expression:
/// `CommandSpec::new("get", 2, READONLY | FAST, KEY1, get).doc("string", "1.0.0", "Returns ...").acl(&["string"])`.
impl CommandSpec {
    pub const fn new(
        name: &'static str,
        arity: i32,
        flags: u32,
        keys: Keys,
        handler: Handler,
    ) -> CommandSpec {
        CommandSpec {
            name,
            arity,
            flags,
            acl: &[],
            keys,
            group: "",
            summary: "",
            since: "",
            complexity: "",
            syntax: "",
            handler,
            subcommands: &[],
        }
    }
    /// Docs group, the version that introduced it, and a one-line summary.
    pub const fn doc(
        mut self,
        group: &'static str,
        since: &'static str,
        summary: &'static str,
    ) -> CommandSpec {
        self.group = group;
        self.since = since;
        self.summary = summary;
        self
    }
    pub const fn acl(mut self, cats: &'static [&'static str]) -> CommandSpec {
        self.acl = cats;
        self
    }
    pub const fn syntax(mut self, s: &'static str) -> CommandSpec {
        self.syntax = s;
        self
    }
    pub const fn complexity(mut self, s: &'static str) -> CommandSpec {
        self.complexity = s;
        self
    }
    pub const fn subs(mut self, subs: &'static [CommandSpec]) -> CommandSpec {
        self.subcommands = subs;
        self
    }

    pub fn is_write(&self) -> bool {
        self.flags & WRITE != 0
    }

    /// Whether `argc` arguments (counting the name) satisfy the arity.
    pub fn arity_ok(&self, argc: usize) -> bool {
        let a = self.arity;
        (a >= 0 && argc == a as usize) || (a < 0 && argc >= (-a) as usize)
    }

    /// ACL categories (without '@'): those implied by flags, then `acl`.
    pub fn categories(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        for c in self.acl {
            if !v.contains(c) {
                v.push(*c);
            }
        }
        if self.flags & WRITE != 0 {
            v.push("write");
        }
        if self.flags & READONLY != 0 && !self.acl.contains(&"scripting") {
            v.push("read");
        }
        if self.flags & ADMIN != 0 {
            v.push("admin");
            v.push("dangerous");
        }
        if self.flags & PUBSUB != 0 && !v.contains(&"pubsub") {
            v.push("pubsub");
        }
        if self.flags & FAST != 0 {
            v.push("fast");
        } else {
            v.push("slow");
        }
        if self.flags & BLOCKING != 0 {
            v.push("blocking");
        }
        v
    }

    /// Indexes of the key arguments in `args` (args[0] is the name).
    pub fn key_indexes(&self, argc: usize) -> Vec<usize> {
        let k = self.keys;
        if k.first <= 0 || argc <= k.first as usize {
            return Vec::new();
        }
        let last = if k.last < 0 {
            argc as i32 + k.last
        } else {
            k.last.min(argc as i32 - 1)
        };
        let step = k.step.max(1) as usize;
        (k.first as usize..=last.max(0) as usize)
            .step_by(step)
            .filter(|&i| i < argc)
            .collect()
    }
}

/// The most elements SRANDMEMBER / HRANDFIELD with a negative count (picks
/// with repeats) may return. Redis streams such a reply and lets the
/// output buffer grow without bound; FlashDB builds replies in memory, so a
/// count like -9e18 would abort the process. Larger counts get
/// `-ERR value is out of range` instead.
pub const MAX_RANDOM_PICKS: u64 = 1 << 24;

/// Shorthand for the common error replies, with Redis's exact texts.
pub mod err {
    use crate::resp::Reply;

    pub fn syntax() -> Reply {
        Reply::err("ERR syntax error")
    }
    pub fn wrong_type() -> Reply {
        Reply::err("WRONGTYPE Operation against a key holding the wrong kind of value")
    }
    pub fn not_int() -> Reply {
        Reply::err("ERR value is not an integer or out of range")
    }
    pub fn not_float() -> Reply {
        Reply::err("ERR value is not a valid float")
    }
    pub fn no_such_key() -> Reply {
        Reply::err("ERR no such key")
    }
    pub fn overflow() -> Reply {
        Reply::err("ERR increment or decrement would overflow")
    }
    pub fn db_index() -> Reply {
        Reply::err("ERR DB index is out of range")
    }
    pub fn arity(name: &str) -> Reply {
        Reply::error(format!(
            "ERR wrong number of arguments for '{}' command",
            name
        ))
    }
    pub fn unknown_subcommand(sub: &[u8], cmd: &str) -> Reply {
        Reply::error(format!(
            "ERR unknown subcommand '{}'. Try {} HELP.",
            String::from_utf8_lossy(&sub[..sub.len().min(128)]),
            cmd.to_uppercase()
        ))
    }
}

/// The reply of every `<CMD> HELP`, worded as Redis 7.0's addReplyHelp:
/// the header line, the given lines, and the closing HELP entry.
pub fn help_reply(cmd: &str, lines: &[&str]) -> Reply {
    let mut v = vec![Reply::Status(
        format!(
            "{} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            cmd
        )
        .into(),
    )];
    v.extend(lines.iter().map(|l| Reply::Status(l.to_string().into())));
    v.push(Reply::status("HELP"));
    v.push(Reply::status("    Prints this help."));
    Reply::Array(v)
}

/// Helpers for unit tests that run handlers directly against a `Server`.
#[cfg(test)]
pub mod testutil {
    use crate::persist::record::{self, Record};
    use crate::persist::recovery::{decode_all, Replayer};
    use crate::resp::Reply;
    use crate::server::{Client, ClientInfo, Ctx, Server};
    use crate::store::value::entry_node_size;
    use crate::store::Entry;
    use std::net::{TcpListener, TcpStream};
    use std::sync::Arc;

    /// A client over a real loopback socket pair (nothing is read from it).
    pub fn client() -> Client {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let stream = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let mut info = ClientInfo::internal(1);
        info.addr = stream.local_addr().unwrap();
        info.laddr = stream.peer_addr().unwrap();
        info.stream = Some(stream);
        Client::new(Arc::new(info))
    }

    /// Runs one command's handler directly.
    pub fn run(srv: &Arc<Server>, client: &mut Client, args: &[&str]) -> Reply {
        let (_, spec) = super::table::table().lookup(args[0].as_bytes()).unwrap();
        (spec.handler)(&mut Ctx { srv, client }, &argv(args))
    }

    /// The whole data set as sorted text lines — db, key, type, TTL and
    /// content (collections in a canonical order) — for comparing stores.
    pub fn dump(srv: &Server) -> Vec<String> {
        use crate::store::Value;
        let hex = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let mut out = Vec::new();
        for (d, db) in srv.store.dbs.iter().enumerate() {
            for i in 0..db.nstripes() {
                let g = db.read_stripe(i);
                for (k, e) in g.dict.iter() {
                    let content = match &e.value {
                        Value::Str(s) => hex(s),
                        Value::Hash(h) => {
                            let mut v: Vec<String> = h
                                .fields
                                .iter()
                                .map(|(f, v)| format!("{}={}", hex(f), hex(v)))
                                .collect();
                            v.sort();
                            v.join(",")
                        }
                        Value::List(l) => l.iter().map(|v| hex(v)).collect::<Vec<_>>().join(","),
                        Value::Set(s) => {
                            let mut v: Vec<String> = s.iter().map(|m| hex(m)).collect();
                            v.sort();
                            v.join(",")
                        }
                        Value::ZSet(z) => z
                            .iter()
                            .map(|(m, sc)| format!("{}:{}", hex(m), sc))
                            .collect::<Vec<_>>()
                            .join(","),
                        Value::Stream(x) => {
                            let mut v: Vec<String> = x
                                .entries
                                .iter()
                                .map(|(id, f)| {
                                    let f: Vec<String> = f.iter().map(|b| hex(b)).collect();
                                    format!("{id}={}", f.join(" "))
                                })
                                .collect();
                            v.push(format!(
                                "last={} added={} maxdel={}",
                                x.last_id, x.entries_added, x.max_deleted
                            ));
                            for (g, grp) in x.groups.iter() {
                                let pel: Vec<String> = grp
                                    .pel
                                    .iter()
                                    .map(|(id, n)| {
                                        format!(
                                            "{id}:{}:{}:{}",
                                            hex(&n.consumer),
                                            n.delivery_time,
                                            n.delivery_count
                                        )
                                    })
                                    .collect();
                                let cons: Vec<String> = grp
                                    .consumers
                                    .iter()
                                    .map(|(c, cv)| {
                                        let ids: Vec<String> =
                                            cv.pel.iter().map(|i| i.to_string()).collect();
                                        format!("{}({})", hex(c), ids.join(" "))
                                    })
                                    .collect();
                                v.push(format!(
                                    "group {} last={} read={} pel=[{}] consumers=[{}]",
                                    hex(g),
                                    grp.last_id,
                                    grp.entries_read,
                                    pel.join(" "),
                                    cons.join(" ")
                                ));
                            }
                            v.join(",")
                        }
                    };
                    out.push(format!(
                        "db{d} {} {} ttl={} [{}]",
                        hex(k),
                        e.value.type_name(),
                        e.expire_at,
                        content
                    ));
                }
            }
        }
        out.sort();
        out
    }

    fn argv(c: &[&str]) -> Vec<Vec<u8>> {
        c.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    /// Runs `cmds` (each a command line) through the dispatcher on `srv`,
    /// one fresh client for all of them (it starts in DB 0), capturing what
    /// they log. Returns the replies and the records.
    pub fn execute(srv: &Arc<Server>, cmds: &[&[&str]]) -> (Vec<Reply>, Vec<Record>) {
        let mut c = client();
        let (replies, log) = crate::persist::capture(|| {
            cmds.iter()
                .map(|cmd| crate::exec::execute_internal(srv, &mut c, &argv(cmd)))
                .collect::<Vec<_>>()
        });
        (replies, decode_all(&log).unwrap())
    }

    /// A fresh server after `setup` (run through the dispatcher, none may
    /// fail, what it logs is dropped) and then each `(db, key, expire_at)`
    /// set directly on the store (1 = a key that has already expired but is
    /// still there).
    pub fn prepared(setup: &[&[&str]], ttls: &[(usize, &str, u64)]) -> Arc<Server> {
        let srv = Arc::new(Server::new(crate::config::Config::default()));
        let (replies, _) = execute(&srv, setup);
        for (cmd, r) in setup.iter().zip(&replies) {
            assert!(!r.is_error(), "setup {cmd:?}: {r:?}");
        }
        for (db, k, at) in ttls {
            let (mut s, h) = srv.store.dbs[*db].write(k.as_bytes());
            assert!(s.set_expire(h, k.as_bytes(), *at), "no key {k}");
        }
        srv
    }

    /// Checks that the WAL reproduces `cmds` from a prepared state: two
    /// servers `prepared` alike (`setup` must not depend on the clock),
    /// `cmds` run on the first capturing what they log, the records
    /// replayed on the second, and both dumps compared. Returns the replies
    /// and the records, for further checks.
    pub fn check_replay_after(
        setup: &[&[&str]],
        ttls: &[(usize, &str, u64)],
        cmds: &[&[&str]],
    ) -> (Vec<Reply>, Vec<Record>) {
        let a = prepared(setup, ttls);
        let b = prepared(setup, ttls);
        assert_eq!(dump(&a), dump(&b), "setup is not deterministic");
        let (replies, recs) = execute(&a, cmds);
        let mut r = Replayer::new(&b, Vec::new());
        for rec in &recs {
            r.apply(rec).unwrap();
        }
        assert_eq!(r.failed, 0, "records failed on replay (see the log)");
        assert_eq!(dump(&a), dump(&b), "replay differs; commands: {cmds:?}");
        (replies, recs)
    }

    /// `check_replay_after` from an empty server.
    pub fn check_replay(cmds: &[&[&str]]) -> (Vec<Reply>, Vec<Record>) {
        check_replay_after(&[], &[], cmds)
    }

    /// One logged record as text: `CMD key args...` with `dbN: ` first
    /// outside DB 0 (`FLUSHDB` likewise), `FLUSHALL`, `SWAPDB a b`, and a
    /// batch as `BATCH[rec; rec; ...]`.
    pub fn text(r: &Record) -> String {
        let db = if r.db == 0 {
            String::new()
        } else {
            format!("db{}: ", r.db)
        };
        match r.op {
            record::BATCH => format!("BATCH[{}]", texts(&r.batch().unwrap()).join("; ")),
            record::FLUSHDB => db + "FLUSHDB",
            record::FLUSHALL => "FLUSHALL".into(),
            record::SWAPDB => format!("SWAPDB {} {}", r.db, r.swap_with().unwrap()),
            _ => {
                let a = r.argv().unwrap().expect("a command record");
                let words: Vec<String> = a
                    .iter()
                    .map(|w| String::from_utf8_lossy(w).into_owned())
                    .collect();
                db + &words.join(" ")
            }
        }
    }

    /// Records as text, one `text` each.
    pub fn texts(recs: &[Record]) -> Vec<String> {
        recs.iter().map(text).collect()
    }

    /// The records `cmds` log from an empty server, as text (their replay
    /// checked by `check_replay`).
    pub fn logged(cmds: &[&[&str]]) -> Vec<String> {
        texts(&check_replay(cmds).1)
    }

    /// Every stripe of DB 0 accounts exactly the bytes of its entries
    /// measured afresh; `each` checks every entry further.
    pub fn check_mem(srv: &Server, each: impl Fn(&Entry)) {
        let db = &srv.store.dbs[0];
        for i in 0..db.nstripes() {
            let g = db.read_stripe(i);
            let mut sum = 0;
            for (k, e) in g.dict.iter() {
                sum += entry_node_size() + k.heap_size() + e.heap_size();
                each(e);
            }
            assert_eq!(g.mem, sum, "stripe {i}");
        }
        // The lock-free total the stripes report equals their sum.
        let locked: usize = srv.store.dbs.iter().map(|d| d.counts().2).sum();
        assert_eq!(srv.store.used_memory(), locked);
    }
}
