//! COMMAND and its subcommands, all generated from the command table:
//! COMMAND INFO's Redis 7 ten-element shape (flags, ACL categories, tips,
//! key specs, subcommands), COMMAND DOCS with an argument tree parsed from
//! each row's `syntax` string, COMMAND LIST/COUNT/GETKEYS/GETKEYSANDFLAGS.

use super::args::{is, lower};
use super::table::table;
use super::*;
use crate::resp::Reply;
use crate::server::Ctx;

// ---------------------------------------------------------------------------
// Syntax strings → Redis's argument tree
// ---------------------------------------------------------------------------

/// One argument of COMMAND DOCS.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Arg {
    pub name: String,
    /// key, string, integer, double, unix-time, pattern, pure-token, oneof, block.
    pub typ: &'static str,
    pub key_spec_index: Option<i64>,
    pub token: Option<String>,
    pub optional: bool,
    pub multiple: bool,
    pub multiple_token: bool,
    pub args: Vec<Arg>,
}

/// The syntax string as a tree of words and bracketed groups.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    Word(String),
    Ellipsis,
    /// `[a | b c]`: alternatives, each a sequence.
    Opt(Vec<Vec<Node>>),
    /// `<a | b>`: a required group.
    Req(Vec<Vec<Node>>),
}

#[derive(Debug, PartialEq)]
enum Tok {
    Open(char),
    Close(char),
    Bar,
    Word(String),
}

fn tokenize(s: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut word = String::new();
    let flush = |w: &mut String, out: &mut Vec<Tok>| {
        if !w.is_empty() {
            out.push(Tok::Word(std::mem::take(w)));
        }
    };
    for c in s.chars() {
        match c {
            '[' | '<' => {
                flush(&mut word, &mut out);
                out.push(Tok::Open(c));
            }
            ']' | '>' => {
                flush(&mut word, &mut out);
                out.push(Tok::Close(c));
            }
            '|' => {
                flush(&mut word, &mut out);
                out.push(Tok::Bar);
            }
            c if c.is_whitespace() => flush(&mut word, &mut out),
            c => word.push(c),
        }
    }
    flush(&mut word, &mut out);
    out
}

/// Parses alternatives up to the closing bracket `close` (None: the end).
fn parse_alts(
    toks: &[Tok],
    pos: &mut usize,
    close: Option<char>,
) -> Result<Vec<Vec<Node>>, String> {
    let mut alts = vec![Vec::new()];
    while *pos < toks.len() {
        let t = &toks[*pos];
        *pos += 1;
        match t {
            Tok::Word(w) if w == "..." => alts.last_mut().unwrap().push(Node::Ellipsis),
            Tok::Word(w) => alts.last_mut().unwrap().push(Node::Word(w.clone())),
            Tok::Bar => alts.push(Vec::new()),
            Tok::Open(c) => {
                let end = if *c == '[' { ']' } else { '>' };
                let inner = parse_alts(toks, pos, Some(end))?;
                let node = if *c == '[' {
                    Node::Opt(inner)
                } else {
                    Node::Req(inner)
                };
                alts.last_mut().unwrap().push(node);
            }
            Tok::Close(c) => {
                return if Some(*c) == close {
                    Ok(alts)
                } else {
                    Err(format!("unexpected '{}'", c))
                };
            }
        }
    }
    match close {
        None => Ok(alts),
        Some(c) => Err(format!("missing '{}'", c)),
    }
}

fn is_token(w: &str) -> bool {
    w.chars().any(|c| c.is_ascii_uppercase()) && !w.chars().any(|c| c.is_ascii_lowercase())
}

fn is_token_node(n: &Node) -> bool {
    matches!(n, Node::Word(w) if is_token(w))
}

/// The type Redis would give an argument, guessed from its name.
fn leaf_type(name: &str, cmd: &str) -> &'static str {
    const INTEGERS: &[&str] = &[
        "seconds",
        "milliseconds",
        "count",
        "timeout",
        "index",
        "db",
        "offset",
        "start",
        "end",
        "stop",
        "numkeys",
        "port",
        "destination-db",
        "decrement",
        "limit",
        "ttl",
        "len",
        "length",
        "client-id",
        "cursor",
        "delta",
        "position",
        "pos",
        "bit",
        "numreplicas",
        "rank",
        "maxlen",
        "num-matches",
        "number",
        "protover",
        "numlocal",
        "value-int",
    ];
    const DOUBLES: &[&str] = &[
        "score",
        "longitude",
        "latitude",
        "radius",
        "weight",
        "min-score",
        "max-score",
    ];
    if name.starts_with("unix-time") {
        "unix-time"
    } else if name == "increment" {
        if cmd.contains("float") {
            "double"
        } else {
            "integer"
        }
    } else if INTEGERS.contains(&name) {
        "integer"
    } else if DOUBLES.contains(&name) {
        "double"
    } else if name == "pattern" {
        "pattern"
    } else if name == "key" || name.ends_with("key") || name == "source" || name == "destination" {
        "key"
    } else {
        "string"
    }
}

fn group_name(args: &[Arg]) -> String {
    let names: Vec<&str> = args.iter().map(|a| a.name.as_str()).collect();
    let joined = names.join("-");
    if names.len() <= 3 && joined.len() <= 24 {
        joined
    } else {
        names[0].to_string()
    }
}

fn block(args: Vec<Arg>) -> Arg {
    Arg {
        name: group_name(&args),
        typ: "block",
        args,
        ..Arg::default()
    }
}

/// Whether `nodes[j]` is `[X ...]` repeating the `k` nodes just before it.
fn repeats(nodes: &[Node], j: usize, lo: usize) -> Option<usize> {
    let Node::Opt(alts) = &nodes[j] else {
        return None;
    };
    if alts.len() != 1 {
        return None;
    }
    let alt = &alts[0];
    let k = alt.len().checked_sub(1)?;
    if k == 0 || alt[k] != Node::Ellipsis || j < lo + k || alt[..k] != nodes[j - k..j] {
        return None;
    }
    Some(k)
}

struct Conv<'a> {
    cmd: &'a str,
    has_keys: bool,
}

impl Conv<'_> {
    fn seq(&self, nodes: &[Node]) -> Result<Vec<Arg>, String> {
        let mut out: Vec<Arg> = Vec::new();
        let n = nodes.len();
        let mut i = 0;
        'outer: while i < n {
            // `X Y [X Y ...]`: one (block) argument with the multiple flag.
            for k in 1..n - i {
                if repeats(nodes, i + k, i) == Some(k) {
                    let mut a = self.group(&nodes[i..i + k])?;
                    a.multiple = true;
                    if k >= 2 && is_token_node(&nodes[i]) {
                        a.multiple_token = true;
                    }
                    out.push(a);
                    i += k + 1;
                    continue 'outer;
                }
            }
            match &nodes[i] {
                Node::Word(w) if is_token(w) => {
                    // The token's operands: plain words, required groups and
                    // repetitions of those.
                    let mut j = i + 1;
                    while j < n {
                        match &nodes[j] {
                            Node::Word(x) if !is_token(x) => j += 1,
                            Node::Req(_) => j += 1,
                            Node::Opt(_) if repeats(nodes, j, i + 1).is_some() => j += 1,
                            _ => break,
                        }
                    }
                    let mut operands = self.seq(&nodes[i + 1..j])?;
                    let a = match operands.len() {
                        0 => Arg {
                            name: w.to_ascii_lowercase(),
                            typ: "pure-token",
                            token: Some(w.clone()),
                            ..Arg::default()
                        },
                        1 if operands[0].token.is_none() => {
                            let mut a = operands.pop().unwrap();
                            a.token = Some(w.clone());
                            a
                        }
                        _ => Arg {
                            name: w.to_ascii_lowercase(),
                            typ: "block",
                            token: Some(w.clone()),
                            args: operands,
                            ..Arg::default()
                        },
                    };
                    out.push(a);
                    i = j;
                }
                Node::Word(w) => {
                    let typ = leaf_type(w, self.cmd);
                    let typ = if typ == "key" && !self.has_keys {
                        "string"
                    } else {
                        typ
                    };
                    out.push(Arg {
                        name: w.clone(),
                        typ,
                        key_spec_index: (typ == "key").then_some(0),
                        ..Arg::default()
                    });
                    i += 1;
                }
                Node::Ellipsis => {
                    out.last_mut().ok_or("'...' without an argument")?.multiple = true;
                    i += 1;
                }
                Node::Opt(alts) => {
                    let mut a = self.alts(alts)?;
                    a.optional = true;
                    out.push(a);
                    i += 1;
                }
                Node::Req(alts) => {
                    out.push(self.alts(alts)?);
                    i += 1;
                }
            }
        }
        Ok(out)
    }

    /// A sequence as one argument (a block when it has several).
    fn group(&self, nodes: &[Node]) -> Result<Arg, String> {
        let mut v = self.seq(nodes)?;
        match v.len() {
            0 => Err("empty group".into()),
            1 => Ok(v.pop().unwrap()),
            _ => Ok(block(v)),
        }
    }

    fn alts(&self, alts: &[Vec<Node>]) -> Result<Arg, String> {
        if alts.len() == 1 {
            return self.group(&alts[0]);
        }
        let args = alts
            .iter()
            .map(|a| self.group(a))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Arg {
            name: group_name(&args),
            typ: "oneof",
            args,
            ..Arg::default()
        })
    }
}

/// Parses a row's syntax string (e.g. "key value [NX | XX]") into Redis's
/// argument tree. `cmd` helps guess types; `has_keys` says whether
/// arguments named like keys are keys.
pub fn parse_syntax(syntax: &str, cmd: &str, has_keys: bool) -> Result<Vec<Arg>, String> {
    let toks = tokenize(syntax);
    let mut pos = 0;
    let alts = parse_alts(&toks, &mut pos, None)?;
    let conv = Conv { cmd, has_keys };
    if alts.len() > 1 {
        return Ok(vec![conv.alts(&alts)?]);
    }
    conv.seq(&alts[0])
}

fn arg_reply(a: &Arg) -> Reply {
    let b = Reply::bulk_str;
    let mut m = vec![(b("name"), b(&a.name)), (b("type"), b(a.typ))];
    if let Some(i) = a.key_spec_index {
        m.push((b("key_spec_index"), Reply::Int(i)));
    }
    if let Some(t) = &a.token {
        m.push((b("token"), b(t)));
    }
    let mut flags = Vec::new();
    if a.optional {
        flags.push(Reply::status("optional"));
    }
    if a.multiple {
        flags.push(Reply::status("multiple"));
    }
    if a.multiple_token {
        flags.push(Reply::status("multiple_token"));
    }
    if !flags.is_empty() {
        m.push((b("flags"), Reply::Set(flags)));
    }
    if !a.args.is_empty() {
        m.push((
            b("arguments"),
            Reply::Array(a.args.iter().map(arg_reply).collect()),
        ));
    }
    Reply::Map(m)
}

// ---------------------------------------------------------------------------
// COMMAND INFO pieces
// ---------------------------------------------------------------------------

/// Redis's ACL category order (ACLCommandCategories), used for replies.
pub const CATEGORY_ORDER: &[&str] = &[
    "keyspace",
    "read",
    "write",
    "set",
    "sortedset",
    "list",
    "hash",
    "string",
    "bitmap",
    "hyperloglog",
    "geo",
    "stream",
    "pubsub",
    "admin",
    "fast",
    "slow",
    "blocking",
    "dangerous",
    "connection",
    "transaction",
    "scripting",
];

/// A spec's ACL categories in Redis's order (unknown ones last).
pub fn sorted_categories(spec: &CommandSpec) -> Vec<&'static str> {
    let mut c = spec.categories();
    c.sort_by_key(|x| {
        CATEGORY_ORDER
            .iter()
            .position(|o| o == x)
            .unwrap_or(usize::MAX)
    });
    c
}

/// Command tips as Redis 7.0 has them, by full name.
fn tips(full: &str) -> &'static [&'static str] {
    const ALL_SHARDS_SUM: &[&str] = &["request_policy:all_shards", "response_policy:agg_sum"];
    const ALL_SHARDS_OK: &[&str] = &["request_policy:all_shards", "response_policy:all_succeeded"];
    const ND: &[&str] = &["nondeterministic_output"];
    const ND_ORDER: &[&str] = &["nondeterministic_output_order"];
    match full {
        "dbsize" => ALL_SHARDS_SUM,
        "flushdb" | "flushall" => ALL_SHARDS_OK,
        "info" => &[
            "nondeterministic_output",
            "request_policy:all_shards",
            "response_policy:special",
        ],
        "time" | "lastsave" | "ttl" | "pttl" | "dump" | "migrate" | "object|freq"
        | "object|idletime" | "object|encoding" | "object|refcount" => ND,
        "randomkey" => &["request_policy:all_shards", "nondeterministic_output"],
        "command" | "command|list" | "command|docs" | "command|info" => ND_ORDER,
        "keys" => &["request_policy:all_shards", "nondeterministic_output_order"],
        "scan" => &["nondeterministic_output", "request_policy:special"],
        "config|set" => &["request_policy:all_nodes", "response_policy:all_succeeded"],
        "mset" | "del" | "unlink" | "exists" | "touch" => {
            if full == "mset" {
                &[
                    "request_policy:multi_shard",
                    "response_policy:all_succeeded",
                ]
            } else {
                &["request_policy:multi_shard", "response_policy:agg_sum"]
            }
        }
        "mget" => &["request_policy:multi_shard"],
        "hgetall" | "hkeys" | "hvals" => ND_ORDER,
        "hrandfield" | "hscan" => ND,
        "xadd" | "xtrim" | "xpending" | "xclaim" | "xautoclaim" | "xinfo|consumers" => ND,
        "msetnx" => &["request_policy:multi_shard", "response_policy:agg_min"],
        "wait" => &["request_policy:all_shards", "response_policy:agg_min"],
        "client|list" | "client|info" => ND,
        "ping" => &["request_policy:all_shards", "response_policy:all_succeeded"],
        "smembers" | "sinter" | "sunion" | "sdiff" => ND_ORDER,
        "spop" | "srandmember" | "sscan" => ND,
        "zrandmember" | "zscan" => ND,
        "slowlog|get" => &["request_policy:all_nodes", "nondeterministic_output"],
        "slowlog|len" => &[
            "request_policy:all_nodes",
            "response_policy:agg_sum",
            "nondeterministic_output",
        ],
        "slowlog|reset" | "latency|reset" => {
            &["request_policy:all_nodes", "response_policy:all_succeeded"]
        }
        "memory|purge" => ALL_SHARDS_OK,
        "memory|doctor" | "memory|stats" | "memory|malloc-stats" => &[
            "nondeterministic_output",
            "request_policy:all_shards",
            "response_policy:special",
        ],
        "latency|doctor" | "latency|graph" | "latency|histogram" | "latency|history"
        | "latency|latest" => &[
            "nondeterministic_output",
            "request_policy:all_nodes",
            "response_policy:special",
        ],
        _ => &[],
    }
}

/// Key-spec flags (and notes) where Redis's differ from the defaults
/// derived from WRITE/READONLY.
fn key_flags(full: &str, spec: &CommandSpec) -> (&'static [&'static str], Option<&'static str>) {
    match full {
        "set" => (
            &["RW", "access", "update", "variable_flags"],
            Some("RW and ACCESS due to the optional `GET` argument"),
        ),
        "mset" | "setex" | "psetex" => (&["OW", "update"], None),
        "msetnx" | "setnx" => (&["OW", "insert"], None),
        "del" | "unlink" => (&["RM", "delete"], None),
        "getdel" => (&["RW", "access", "delete"], None),
        "getex" => (
            &["RW", "access", "update"],
            Some("RW and UPDATE because it changes the TTL"),
        ),
        "append" | "lpush" | "rpush" | "sadd" | "hsetnx" => (&["RW", "insert"], None),
        "pfadd" => (&["RW", "insert"], None),
        "pfcount" => (
            &["RW", "access"],
            Some("RW because it may change the internal representation of the key, and propagate to replicas"),
        ),
        "pfdebug" => (&["RW", "access"], None),
        "lpushx" | "rpushx" | "linsert" => (&["RW", "insert"], None),
        "lpop" | "rpop" => (&["RW", "access", "delete"], None),
        "lrem" | "ltrim" => (&["RW", "delete"], None),
        "lset" => (&["RW", "update"], None),
        "llen" => (&["RO"], None),
        "geoadd" => (&["RW", "update"], None),
        "xadd" => (
            &["RW", "update"],
            Some("UPDATE instead of INSERT because of the optional trimming feature"),
        ),
        "xdel" | "xtrim" | "xautoclaim" | "xgroup|delconsumer" | "xgroup|destroy" => {
            (&["RW", "delete"], None)
        }
        "xsetid" | "xack" | "xclaim" | "xgroup|setid" => (&["RW", "update"], None),
        "xgroup|create" | "xgroup|createconsumer" => (&["RW", "insert"], None),
        "xlen" => (&["RO"], None),
        "hset" | "hmset" => (&["RW", "update"], None),
        "hdel" => (&["RW", "delete"], None),
        "hexists" | "hlen" | "hstrlen" => (&["RO"], None),
        "setrange" => (&["RW", "update"], None),
        "bitfield" => (
            &["RW", "access", "update", "variable_flags"],
            Some("This command allows both access and modification of the key"),
        ),
        "srem" => (&["RW", "delete"], None),
        "zadd" => (&["RW", "update"], None),
        "zrem" | "zremrangebyrank" | "zremrangebyscore" | "zremrangebylex" => {
            (&["RW", "delete"], None)
        }
        "zpopmin" | "zpopmax" => (&["RW", "access", "delete"], None),
        "blpop" | "brpop" | "bzpopmin" | "bzpopmax" => (&["RW", "access", "delete"], None),
        "zcard" => (&["RO"], None),
        "spop" => (&["RW", "access", "delete"], None),
        "sismember" | "scard" => (&["RO"], None),
        "move" => (&["RW", "access", "update"], None),
        "restore" => (&["OW", "update"], None),
        "migrate" => (&["RW", "access", "delete"], None),
        "ttl" | "pttl" | "expiretime" | "pexpiretime" => (&["RO", "access"], None),
        "expire" | "pexpire" | "expireat" | "pexpireat" | "persist" => (&["RW", "update"], None),
        "ssubscribe" | "sunsubscribe" | "spublish" => (&["not_key"], None),
        "exists" | "type" | "strlen" | "touch" | "watch" | "object|encoding" | "object|freq"
        | "object|idletime" | "object|refcount" | "memory|usage" => (&["RO"], None),
        _ if spec.flags & READONLY != 0 => (&["RO", "access"], None),
        _ => (&["RW", "access", "update"], None),
    }
}

/// Commands whose keys play different roles get one key spec per key, as in
/// Redis: (argument index, flags).
fn per_key_specs(full: &str) -> Option<&'static [(i32, &'static [&'static str])]> {
    Some(match full {
        "copy" => &[(1, &["RO", "access"]), (2, &["OW", "update"])],
        "rename" => &[(1, &["RW", "access", "delete"]), (2, &["OW", "update"])],
        "renamenx" => &[(1, &["RW", "access", "delete"]), (2, &["OW", "insert"])],
        "zrangestore" | "geosearchstore" => &[(1, &["OW", "update"]), (2, &["RO", "access"])],
        "smove" | "lmove" | "rpoplpush" | "blmove" | "brpoplpush" => {
            &[(1, &["RW", "access", "delete"]), (2, &["RW", "insert"])]
        }
        _ => return None,
    })
}

/// Commands whose destination and sources differ, the sources a range to
/// the end: (argument index, lastkey, flags) per key spec.
fn range_key_specs(full: &str) -> Option<&'static [(i32, i32, &'static [&'static str])]> {
    Some(match full {
        "sinterstore" => &[(1, 0, &["RW", "update"]), (2, -1, &["RO", "access"])],
        "bitop" => &[(2, 0, &["OW", "update"]), (3, -1, &["RO", "access"])],
        "pfmerge" => &[
            (1, 0, &["RW", "access", "insert"]),
            (2, -1, &["RO", "access"]),
        ],
        "sunionstore" | "sdiffstore" => &[(1, 0, &["OW", "update"]), (2, -1, &["RO", "access"])],
        _ => return None,
    })
}

/// Commands whose keys follow a count argument (Redis's "keynum" key spec,
/// reported with the `movablekeys` flag): (begin index, keynumidx,
/// firstkey, keystep, flags), indexes relative to the begin index as in
/// Redis.
fn keynum_spec(full: &str) -> Option<(i32, i32, i32, i32, &'static [&'static str])> {
    match full {
        "sintercard" => Some((1, 0, 1, 1, &["RO", "access"])),
        "lmpop" => Some((1, 0, 1, 1, &["RW", "access", "delete"])),
        "zunion" | "zinter" | "zdiff" | "zintercard" => Some((1, 0, 1, 1, &["RO", "access"])),
        "zmpop" => Some((1, 0, 1, 1, &["RW", "access", "delete"])),
        "blmpop" | "bzmpop" => Some((2, 0, 1, 1, &["RW", "access", "delete"])),
        "zunionstore" | "zinterstore" | "zdiffstore" => Some((2, 0, 1, 1, &["RO", "access"])),
        _ => None,
    }
}

/// The key indexes of a keynum-spec command, or None if `cmd` (args[0] the
/// name) has no valid key count.
fn keynum_keys(full: &str, cmd: &[Vec<u8>]) -> Option<Option<Vec<usize>>> {
    let (begin, numidx, first, step, _) = keynum_spec(full)?;
    let at = (begin + numidx) as usize;
    let n = cmd
        .get(at)
        .and_then(|a| crate::store::value::parse_i64(a))
        .filter(|&n| n > 0);
    Some(n.and_then(|n| {
        let start = (begin + first) as usize;
        let step = step.max(1) as usize;
        let last = (start as u64).checked_add((n as u64 - 1) * step as u64)?;
        if last >= cmd.len() as u64 {
            return None;
        }
        Some((0..n as usize).map(|i| start + i * step).collect())
    }))
}

/// A key spec map with a "keynum" find_keys.
fn keynum_key_spec(flags: &[&str], index: i32, numidx: i32, first: i32, step: i32) -> Reply {
    let b = Reply::bulk_str;
    let Reply::Map(mut m) = key_spec(flags, None, index, 0, step) else {
        unreachable!("key_spec builds a map");
    };
    if let Some(last) = m.last_mut() {
        last.1 = Reply::Map(vec![
            (b("type"), b("keynum")),
            (
                b("spec"),
                Reply::Map(vec![
                    (b("keynumidx"), Reply::Int(numidx as i64)),
                    (b("firstkey"), Reply::Int(first as i64)),
                    (b("keystep"), Reply::Int(step as i64)),
                ]),
            ),
        ]);
    }
    Reply::Map(m)
}

/// One key spec map: keys from `index`, `lastkey` relative, `keystep`.
fn key_spec(flags: &[&str], notes: Option<&str>, index: i32, last: i32, step: i32) -> Reply {
    let b = Reply::bulk_str;
    let mut m = Vec::new();
    if let Some(n) = notes {
        m.push((b("notes"), b(n)));
    }
    m.push((
        b("flags"),
        Reply::Set(
            flags
                .iter()
                .map(|f| Reply::Status(f.to_string().into()))
                .collect(),
        ),
    ));
    m.push((
        b("begin_search"),
        Reply::Map(vec![
            (b("type"), b("index")),
            (
                b("spec"),
                Reply::Map(vec![(b("index"), Reply::Int(index as i64))]),
            ),
        ]),
    ));
    m.push((
        b("find_keys"),
        Reply::Map(vec![
            (b("type"), b("range")),
            (
                b("spec"),
                Reply::Map(vec![
                    (b("lastkey"), Reply::Int(last as i64)),
                    (b("keystep"), Reply::Int(step as i64)),
                    (b("limit"), Reply::Int(0)),
                ]),
            ),
        ]),
    ));
    Reply::Map(m)
}

/// A key spec whose keys Redis cannot locate statically (SORT's BY/GET
/// and STORE): "unknown" begin_search and find_keys, with a note.
fn unknown_key_spec(flags: &[&str], notes: &str) -> Reply {
    let b = Reply::bulk_str;
    let unknown = || {
        Reply::Map(vec![
            (b("type"), b("unknown")),
            (b("spec"), Reply::Map(Vec::new())),
        ])
    };
    Reply::Map(vec![
        (b("notes"), b(notes)),
        (
            b("flags"),
            Reply::Set(
                flags
                    .iter()
                    .map(|f| Reply::Status(f.to_string().into()))
                    .collect(),
            ),
        ),
        (b("begin_search"), unknown()),
        (b("find_keys"), unknown()),
    ])
}

/// SORT / SORT_RO: the sorted key, the BY/GET lookups, and (SORT) STORE.
fn sort_key_specs(full: &str) -> Option<Vec<Reply>> {
    if full != "sort" && full != "sort_ro" {
        return None;
    }
    let mut v = vec![
        key_spec(&["RO", "access"], None, 1, 0, 1),
        unknown_key_spec(
            &["RO", "access"],
            "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort",
        ),
    ];
    if full == "sort" {
        v.push(unknown_key_spec(
            &["OW", "update"],
            "For the optional STORE keyword. It is marked 'unknown' because the keyword can appear anywhere in the argument array",
        ));
    }
    Some(v)
}

/// GEORADIUS and GEORADIUSBYMEMBER: a source, and a destination after a
/// STORE or STOREDIST keyword.
fn is_georadius(full: &str) -> bool {
    matches!(full, "georadius" | "georadiusbymember")
}

/// XREAD's keys (Redis's xreadGetKeys): the first half of the arguments
/// after the first STREAMS keyword (COUNT and BLOCK values skipped).
fn xread_keys(cmd: &[Vec<u8>]) -> Result<Vec<usize>, Reply> {
    let mut i = 1;
    while i < cmd.len() {
        if is(&cmd[i], "streams") {
            let n = cmd.len() - i - 1;
            if n == 0 || !n.is_multiple_of(2) {
                break;
            }
            return Ok((i + 1..i + 1 + n / 2).collect());
        }
        if is(&cmd[i], "block") || is(&cmd[i], "count") {
            i += 1;
        } else if is(&cmd[i], "group") {
            i += 2;
        } else if !is(&cmd[i], "noack") {
            break;
        }
        i += 1;
    }
    Err(Reply::err("ERR Invalid arguments specified for command"))
}

/// A key spec found by searching for `keyword` from argument `from`, the
/// keys a range to `last` (relative, as in Redis) after it.
fn keyword_key_spec(flags: &[&str], keyword: &str, from: i64, last: i32) -> Reply {
    let b = Reply::bulk_str;
    let Reply::Map(mut m) = key_spec(flags, None, 0, last, 1) else {
        unreachable!("key_spec builds a map");
    };
    for (k, v) in m.iter_mut() {
        if *k == b("begin_search") {
            *v = Reply::Map(vec![
                (b("type"), b("keyword")),
                (
                    b("spec"),
                    Reply::Map(vec![
                        (b("keyword"), b(keyword)),
                        (b("startfrom"), Reply::Int(from)),
                    ]),
                ),
            ]);
        }
    }
    Reply::Map(m)
}

fn key_specs(full: &str, spec: &CommandSpec) -> Vec<Reply> {
    if let Some(v) = sort_key_specs(full) {
        return v;
    }
    if full == "xread" || full == "xreadgroup" {
        // The keys: the first half of what follows STREAMS.
        let from = if full == "xread" { 1 } else { 4 };
        let Reply::Map(mut m) = keyword_key_spec(&["RO", "access"], "STREAMS", from, 0) else {
            unreachable!("key_spec builds a map");
        };
        if let Some(last) = m.last_mut() {
            last.1 = Reply::Map(vec![
                (Reply::bulk_str("type"), Reply::bulk_str("range")),
                (
                    Reply::bulk_str("spec"),
                    Reply::Map(vec![
                        (Reply::bulk_str("lastkey"), Reply::Int(-1)),
                        (Reply::bulk_str("keystep"), Reply::Int(1)),
                        (Reply::bulk_str("limit"), Reply::Int(2)),
                    ]),
                ),
            ]);
        }
        return vec![Reply::Map(m)];
    }
    if is_georadius(full) {
        let from = if full == "georadius" { 6 } else { 5 };
        return vec![
            key_spec(&["RO", "access"], None, 1, 0, 1),
            keyword_key_spec(&["OW", "update"], "STORE", from, 0),
            keyword_key_spec(&["OW", "update"], "STOREDIST", from, 0),
        ];
    }
    if full == "migrate" {
        // The key argument, or the keys after KEYS (searched from the end,
        // hence "incomplete": AUTH's password could read as KEYS).
        return vec![
            key_spec(&["RW", "access", "delete"], None, 3, 0, 1),
            keyword_key_spec(&["RW", "access", "delete", "incomplete"], "KEYS", -2, -1),
        ];
    }
    if let Some((begin, numidx, first, step, flags)) = keynum_spec(full) {
        let sources = keynum_key_spec(flags, begin, numidx, first, step);
        if spec.keys.first > 0 {
            // ZUNIONSTORE & co.: the destination, then the counted sources.
            return vec![key_spec(&["OW", "update"], None, 1, 0, 1), sources];
        }
        return vec![sources];
    }
    if let Some(list) = range_key_specs(full) {
        return list
            .iter()
            .map(|(i, last, f)| key_spec(f, None, *i, *last, 1))
            .collect();
    }
    let k = spec.keys;
    if k.first <= 0 {
        return Vec::new();
    }
    if let Some(list) = per_key_specs(full) {
        return list
            .iter()
            .map(|(i, f)| key_spec(f, None, *i, 0, 1))
            .collect();
    }
    let (flags, notes) = key_flags(full, spec);
    let last = if k.last < 0 { k.last } else { k.last - k.first };
    vec![key_spec(flags, notes, k.first, last, k.step)]
}

/// COMMAND INFO's reply for one table entry.
pub fn info_reply(id: usize) -> Reply {
    let t = table();
    let spec = t.spec(id);
    let full = t.full_name(id);
    let flags = FLAG_NAMES
        .iter()
        .filter(|(bit, _)| spec.flags & bit != 0)
        .map(|(_, n)| Reply::status(n))
        .collect();
    let cats = sorted_categories(spec)
        .into_iter()
        .map(|c| Reply::Status(format!("@{}", c).into()))
        .collect();
    let subs = spec
        .subcommands
        .iter()
        .filter_map(|s| t.lookup_sub(id, s.name.as_bytes()))
        .map(|(sid, _)| info_reply(sid))
        .collect();
    Reply::Array(vec![
        Reply::Bulk(full.clone().into_bytes()),
        Reply::Int(spec.arity as i64),
        Reply::Set(flags),
        Reply::Int(spec.keys.first as i64),
        Reply::Int(spec.keys.last as i64),
        Reply::Int(spec.keys.step as i64),
        Reply::Set(cats),
        Reply::Set(tips(&full).iter().map(|x| Reply::bulk_str(x)).collect()),
        // Redis 7.0 replies key specs as a set, and "no subcommands" as an
        // empty set but subcommands as an array.
        Reply::Set(key_specs(&full, spec)),
        if spec.subcommands.is_empty() {
            Reply::Set(Vec::new())
        } else {
            Reply::Array(subs)
        },
    ])
}

/// COMMAND DOCS's map for one table entry.
pub fn docs_reply(id: usize) -> Reply {
    let t = table();
    let spec = t.spec(id);
    let b = Reply::bulk_str;
    let mut m = vec![
        (b("summary"), b(spec.summary)),
        (b("since"), b(spec.since)),
        (b("group"), b(spec.group)),
        (b("complexity"), b(spec.complexity)),
    ];
    if !spec.syntax.is_empty() {
        // Rows are checked by a unit test; a bad one just loses its arguments.
        if let Ok(args) = parse_syntax(spec.syntax, spec.name, spec.keys.first > 0) {
            m.push((
                b("arguments"),
                Reply::Array(args.iter().map(arg_reply).collect()),
            ));
        }
    }
    if !spec.subcommands.is_empty() {
        let subs = spec
            .subcommands
            .iter()
            .filter_map(|s| t.lookup_sub(id, s.name.as_bytes()))
            .map(|(sid, _)| (Reply::Bulk(t.full_name(sid).into_bytes()), docs_reply(sid)))
            .collect();
        m.push((b("subcommands"), Reply::Map(subs)));
    }
    Reply::Map(m)
}

// ---------------------------------------------------------------------------
// Handlers
// ---------------------------------------------------------------------------

pub fn command(_: &mut Ctx, _: &[Vec<u8>]) -> Reply {
    Reply::Array(table().commands().map(|(id, _)| info_reply(id)).collect())
}

pub fn command_count(_: &mut Ctx, _: &[Vec<u8>]) -> Reply {
    Reply::Int(table().commands().count() as i64)
}

/// Resolves "get", "config|get" or "config get"-style names to a table id.
fn find(name: &[u8]) -> Option<usize> {
    let t = table();
    match name.iter().position(|&c| c == b'|') {
        Some(p) => {
            let (id, _) = t.lookup(&name[..p])?;
            t.lookup_sub(id, &name[p + 1..]).map(|x| x.0)
        }
        None => t.lookup(name).map(|x| x.0),
    }
}

pub fn command_info(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    if args.len() == 2 {
        return command(ctx, args);
    }
    Reply::Array(
        args[2..]
            .iter()
            .map(|n| find(n).map(info_reply).unwrap_or(Reply::Null))
            .collect(),
    )
}

pub fn command_docs(_: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let t = table();
    let pairs = if args.len() == 2 {
        t.commands()
            .map(|(id, s)| (Reply::bulk_str(s.name), docs_reply(id)))
            .collect()
    } else {
        args[2..]
            .iter()
            .filter_map(|n| {
                find(n).map(|id| (Reply::Bulk(t.full_name(id).into_bytes()), docs_reply(id)))
            })
            .collect()
    };
    Reply::Map(pairs)
}

pub fn command_list(_: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    enum Filter {
        None,
        Module,
        AclCat(String),
        Pattern(Vec<u8>),
    }
    let filter = match args.len() {
        2 => Filter::None,
        5 if is(&args[2], "filterby") => {
            if is(&args[3], "module") {
                Filter::Module
            } else if is(&args[3], "aclcat") {
                Filter::AclCat(lower(&args[4]))
            } else if is(&args[3], "pattern") {
                Filter::Pattern(args[4].clone())
            } else {
                return err::syntax();
            }
        }
        _ => return err::syntax(),
    };
    let t = table();
    let mut out = Vec::new();
    for id in t.all_ids() {
        let name = t.full_name(id);
        let keep = match &filter {
            Filter::None => true,
            Filter::Module => false,
            Filter::AclCat(c) => t.spec(id).categories().iter().any(|x| x == c),
            Filter::Pattern(p) => crate::glob::glob_match(p, name.as_bytes(), true),
        };
        if keep {
            out.push(Reply::Bulk(name.into_bytes()));
        }
    }
    Reply::Array(out)
}

/// The indexes of the keys in a full command line (empty if it names none):
/// the table's key positions, or the rules for movable keys.
pub fn command_keys(cmd: &[Vec<u8>]) -> Vec<usize> {
    getkeys_of(cmd).map(|(_, k)| k).unwrap_or_default()
}

/// The key indexes of the command in `cmd` (args after GETKEYS), or the error.
fn getkeys_of(cmd: &[Vec<u8>]) -> Result<(usize, Vec<usize>), Reply> {
    let id = match crate::exec::resolve(cmd) {
        Ok((id, _)) => id,
        Err(_) => return Err(Reply::err("ERR Invalid command specified")),
    };
    if !table().spec(id).arity_ok(cmd.len()) {
        return Err(Reply::err(
            "ERR Invalid number of arguments specified for command",
        ));
    }
    keys_of(id, cmd).map(|k| (id, k))
}

/// The key indexes of `cmd`, the command with table id `id` (arity
/// already checked).
fn keys_of(id: usize, cmd: &[Vec<u8>]) -> Result<Vec<usize>, Reply> {
    let t = table();
    let spec = t.spec(id);
    let full = t.full_name_str(id);
    if let Some(keys) = keynum_keys(full, cmd) {
        // ZUNIONSTORE & co.: the destination comes before the counted keys.
        let dest = spec.keys.first > 0;
        return keys
            .map(|k| if dest { [&[1][..], &k].concat() } else { k })
            .ok_or_else(|| Reply::err("ERR Invalid arguments specified for command"));
    }
    if full == "sort" {
        // Redis's sortGetKeys: the key and the last STORE destination.
        return Ok(super::sort::sort_keys(cmd));
    }
    if is_georadius(full) {
        // Redis's georadiusGetKeys: the source and the STORE destination.
        return Ok(super::geo::radius_keys(cmd));
    }
    if full == "xread" || full == "xreadgroup" {
        return xread_keys(cmd);
    }
    if full == "migrate" {
        return super::migrate::migrate_keys(cmd)
            .ok_or_else(|| Reply::err("ERR Invalid arguments specified for command"));
    }
    let keys = spec.key_indexes(cmd.len());
    if spec.keys.first <= 0 || keys.is_empty() {
        return Err(Reply::err("ERR The command has no key arguments"));
    }
    Ok(keys)
}

pub fn command_getkeys(_: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    match getkeys_of(&args[2..]) {
        Ok((_, keys)) => Reply::Array(
            keys.into_iter()
                .map(|i| Reply::Bulk(args[2 + i].clone()))
                .collect(),
        ),
        Err(e) => e,
    }
}

pub fn command_getkeysandflags(_: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let cmd = &args[2..];
    match keys_and_flags(cmd) {
        Ok((_, keys)) => Reply::Array(
            keys.into_iter()
                .map(|(i, f)| {
                    Reply::Array(vec![
                        Reply::Bulk(cmd[i].clone()),
                        Reply::Set(
                            f.iter()
                                .map(|f| Reply::Status(f.to_string().into()))
                                .collect(),
                        ),
                    ])
                })
                .collect(),
        ),
        Err(e) => e,
    }
}

/// Key argument indexes, each with its key-spec flags.
pub type KeyFlags = Vec<(usize, &'static [&'static str])>;

/// The keys of the command in `cmd` (args\[0\] its name) with each key's
/// key-spec flags (`RO`, `access`, `OW`, `update`, ... as COMMAND
/// GETKEYSANDFLAGS reports them), and the command's table id; Err is the
/// reply for a command that has no keys or malformed ones. ACL key
/// permissions read the flags too (access = read; insert, delete, update =
/// write).
pub fn keys_and_flags(cmd: &[Vec<u8>]) -> Result<(usize, KeyFlags), Reply> {
    let (id, _) = getkeys_of(cmd)?;
    keys_and_flags_of(id, cmd).map(|k| (id, k))
}

/// The key-spec flags every key of command `id` has whatever its
/// arguments, for commands with one plain key range; None for those whose
/// keys play different roles or depend on the arguments (COPY, SET with
/// GET, ZUNIONSTORE, SORT, ...) and for commands without keys.
pub fn uniform_key_flags(id: usize) -> Option<&'static [&'static str]> {
    let t = table();
    let spec = t.spec(id);
    let full = t.full_name_str(id);
    let varies = full == "set"
        || full == "migrate"
        || full == "xread"
        || full == "xreadgroup"
        || full == "sort"
        || full == "sort_ro"
        || is_georadius(full)
        || keynum_spec(full).is_some()
        || per_key_specs(full).is_some()
        || range_key_specs(full).is_some();
    (spec.keys.first > 0 && !varies).then(|| key_flags(full, spec).0)
}

/// `keys_and_flags` for the command with table id `id`, its arity already
/// checked (the ACL check, which has resolved the command).
pub fn keys_and_flags_of(id: usize, cmd: &[Vec<u8>]) -> Result<KeyFlags, Reply> {
    let keys = keys_of(id, cmd)?;
    let t = table();
    let full = t.full_name_str(id);
    let per_key = per_key_specs(full);
    let ranges = range_key_specs(full);
    let flags: &'static [&'static str] = if full == "set" {
        // SET's variable flags, resolved like Redis's setGetKeys.
        if cmd[3..].iter().any(|a| is(a, "get")) {
            &["RW", "access", "update"]
        } else {
            &["OW", "update"]
        }
    } else if let Some((.., f)) = keynum_spec(full) {
        f
    } else if full == "sort"
        || full == "sort_ro"
        || full == "xread"
        || full == "xreadgroup"
        || is_georadius(full)
    {
        &["RO", "access"]
    } else {
        key_flags(full, t.spec(id)).0
    };
    let keynum_dest = keynum_spec(full).is_some() && t.spec(id).keys.first > 0;
    let with_flags = keys
        .into_iter()
        .map(|i| {
            // Per-key roles (COPY, RENAME) take their own spec's flags.
            let f: &'static [&'static str] = per_key
                .and_then(|l| l.iter().find(|(at, _)| *at as usize == i))
                .map(|(_, f)| *f)
                .or_else(|| (keynum_dest && i == 1).then_some(&["OW", "update"][..]))
                .or_else(|| {
                    ((full == "sort" || is_georadius(full)) && i > 1)
                        .then_some(&["OW", "update"][..])
                })
                .or_else(|| {
                    // SINTERSTORE & co: the destination, then a range.
                    ranges?
                        .iter()
                        .find(|(at, last, _)| *at as usize == i || (*last < 0 && *at as usize <= i))
                        .map(|(_, _, f)| *f)
                })
                .unwrap_or(flags);
            (i, f)
        })
        .collect();
    Ok(with_flags)
}

pub fn command_help(_: &mut Ctx, _: &[Vec<u8>]) -> Reply {
    super::help_reply(
        "COMMAND",
        &[
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full Redis command.",
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(r: &Reply) -> String {
        let mut v = Vec::new();
        r.encode(&mut v, 2);
        String::from_utf8(v).unwrap()
    }

    /// Every row's syntax string parses into an argument tree.
    #[test]
    fn every_syntax_parses() {
        let t = table();
        for id in t.all_ids() {
            let s = t.spec(id);
            let r = parse_syntax(s.syntax, s.name, s.keys.first > 0);
            assert!(r.is_ok(), "{}: {:?} in {:?}", t.full_name(id), r, s.syntax);
            if !s.syntax.is_empty() {
                assert!(!r.unwrap().is_empty(), "{}: no arguments", t.full_name(id));
            }
        }
    }

    #[test]
    fn set_syntax_tree() {
        let a = parse_syntax(
            "key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]",
            "set",
            true,
        )
        .unwrap();
        assert_eq!(a.len(), 5);
        assert_eq!((a[0].typ, a[0].key_spec_index), ("key", Some(0)));
        assert_eq!(a[1].typ, "string");
        assert_eq!(a[2].typ, "oneof");
        assert!(a[2].optional);
        assert_eq!(a[2].args[0].token.as_deref(), Some("NX"));
        assert_eq!(a[3].typ, "pure-token");
        let exp = &a[4];
        assert_eq!(exp.args.len(), 5);
        assert_eq!(
            (exp.args[0].name.as_str(), exp.args[0].typ),
            ("seconds", "integer")
        );
        assert_eq!(exp.args[0].token.as_deref(), Some("EX"));
        assert_eq!(exp.args[2].typ, "unix-time");
        assert_eq!(exp.args[4].typ, "pure-token");
    }

    #[test]
    fn repetitions() {
        let a = parse_syntax("key [key ...]", "del", true).unwrap();
        assert_eq!(a.len(), 1);
        assert!(a[0].multiple && !a[0].optional);
        let a = parse_syntax("key value [key value ...]", "mset", true).unwrap();
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].typ, "block");
        assert!(a[0].multiple);
        assert_eq!(a[0].args.len(), 2);
        let a = parse_syntax("[ID client-id [client-id ...]]", "client", false).unwrap();
        assert_eq!(a[0].token.as_deref(), Some("ID"));
        assert!(a[0].optional && a[0].multiple);
        assert_eq!(a[0].typ, "integer");
        let a = parse_syntax("[GET pattern [GET pattern ...]]", "sort", true).unwrap();
        assert!(a[0].multiple && a[0].multiple_token && a[0].optional);
        let a = parse_syntax("[COUNT count [ANY]]", "geosearch", true).unwrap();
        assert_eq!(a[0].typ, "block");
        assert_eq!(a[0].args[0].token.as_deref(), Some("COUNT"));
        assert!(a[0].args[1].optional);
        assert!(parse_syntax("[a", "x", false).is_err());
        assert!(parse_syntax("a]", "x", false).is_err());
    }

    #[test]
    fn info_shape_of_get() {
        let (id, _) = table().lookup(b"get").unwrap();
        assert_eq!(
            enc(&info_reply(id)),
            "*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@read\r\n+@string\r\n+@fast\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n"
        );
    }
}
