//! Stream consumer groups and introspection, with Redis 7.0's semantics
//! and error texts (t_stream.c): XGROUP (CREATE, SETID, DESTROY,
//! CREATECONSUMER, DELCONSUMER, HELP), XREADGROUP (its handler is shared
//! with XREAD in stream.rs), XACK, XPENDING, XCLAIM, XAUTOCLAIM and XINFO
//! (STREAM [FULL], GROUPS, CONSUMERS, HELP).
//!
//! WAL: XGROUP CREATE / SETID log their concrete form (`$` replaced by the
//! ID, ENTRIESREAD always given), DESTROY / CREATECONSUMER / DELCONSUMER /
//! XACK their argv when they changed something. XREADGROUP, XCLAIM and
//! XAUTOCLAIM log what Redis propagates: one `XCLAIM key group consumer 0
//! id TIME ms RETRYCOUNT n FORCE JUSTID` per PEL entry they changed (an
//! entry no longer in the stream is dropped from the PEL by the same form
//! on replay), `XGROUP CREATECONSUMER` for a consumer they created and
//! `XGROUP SETID ... ENTRIESREAD` when the group's last ID moved.
//! Delivery and seen times are wall-clock values, so idle times after a
//! restart continue from the logged times (seen times restart at replay).
//!
//! XINFO's `radix-tree-keys` is FlashDB's node count (nodes split as
//! Redis's listpacks, under `stream-node-max-entries` / `-bytes`) and
//! `radix-tree-nodes` that plus one —
//! Redis's exact figure for up to one node, an estimate beyond.

use super::args::is;
use super::stream::{entry_reply, id_reply, interval_id, modify, stream_of, strict_id, xreadgroup};
use super::*;
use crate::pubsub::NOTIFY_STREAM;
use crate::resp::Reply;
use crate::server::Ctx;
use crate::store::stream::{wall_ms, Group, StreamId, StreamValue, ENTRIES_READ_INVALID};
use crate::store::value::parse_i64;
use crate::store::{now_ms, Entry, Value};

const STREAM: &[&str] = &["stream"];

static XGROUP_SUBS: &[CommandSpec] = &[
    CommandSpec::new("create", -5, WRITE | DENYOOM, KEY2, xgroup_create)
        .doc("stream", "5.0.0", "Create a consumer group.")
        .acl(STREAM)
        .syntax("key group <id | $> [MKSTREAM] [ENTRIESREAD entries-read]")
        .complexity("O(1)"),
    CommandSpec::new("setid", -5, WRITE, KEY2, xgroup_setid)
        .doc(
            "stream",
            "5.0.0",
            "Set a consumer group to an arbitrary last delivered ID value.",
        )
        .acl(STREAM)
        .syntax("key group <id | $> [ENTRIESREAD entries-read]")
        .complexity("O(1)"),
    CommandSpec::new("destroy", 4, WRITE, KEY2, xgroup_destroy)
        .doc("stream", "5.0.0", "Destroy a consumer group.")
        .acl(STREAM)
        .syntax("key group")
        .complexity(
            "O(N) where N is the number of entries in the group's pending entries list (PEL).",
        ),
    CommandSpec::new(
        "createconsumer",
        5,
        WRITE | DENYOOM,
        KEY2,
        xgroup_createconsumer,
    )
    .doc("stream", "6.2.0", "Create a consumer in a consumer group.")
    .acl(STREAM)
    .syntax("key group consumer")
    .complexity("O(1)"),
    CommandSpec::new("delconsumer", 5, WRITE, KEY2, xgroup_delconsumer)
        .doc(
            "stream",
            "5.0.0",
            "Delete a consumer from a consumer group.",
        )
        .acl(STREAM)
        .syntax("key group consumer")
        .complexity("O(1)"),
    CommandSpec::new("help", 2, LOADING | STALE, NO_KEYS, xgroup_help)
        .doc(
            "stream",
            "5.0.0",
            "Show helpful text about the different subcommands",
        )
        .acl(STREAM)
        .complexity("O(1)"),
];

static XINFO_SUBS: &[CommandSpec] = &[
    CommandSpec::new("stream", -3, READONLY, KEY2, xinfo_stream)
        .doc("stream", "5.0.0", "Get information about a stream")
        .acl(STREAM)
        .syntax("key [FULL [COUNT count]]")
        .complexity("O(1)"),
    CommandSpec::new("groups", 3, READONLY, KEY2, xinfo_groups)
        .doc("stream", "5.0.0", "List the consumer groups of a stream")
        .acl(STREAM)
        .syntax("key")
        .complexity("O(1)"),
    CommandSpec::new("consumers", 4, READONLY, KEY2, xinfo_consumers)
        .doc("stream", "5.0.0", "List the consumers in a consumer group")
        .acl(STREAM)
        .syntax("key group")
        .complexity("O(1)"),
    CommandSpec::new("help", 2, LOADING | STALE, NO_KEYS, xinfo_help)
        .doc(
            "stream",
            "5.0.0",
            "Show helpful text about the different subcommands",
        )
        .acl(STREAM)
        .complexity("O(1)"),
];

pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("xgroup", -2, 0, NO_KEYS, super::connection::container)
        .doc("stream", "5.0.0", "A container for consumer groups commands")
        .complexity("Depends on subcommand.")
        .subs(XGROUP_SUBS),
    CommandSpec::new("xinfo", -2, 0, NO_KEYS, super::connection::container)
        .doc("stream", "5.0.0", "A container for stream introspection commands")
        .complexity("Depends on subcommand.")
        .subs(XINFO_SUBS),
    CommandSpec::new("xreadgroup", -7, WRITE | BLOCKING | MOVABLEKEYS, NO_KEYS, xreadgroup)
        .doc("stream", "5.0.0", "Return new entries from a stream using a consumer group, or access the history of the pending entries for a given consumer. Can block.")
        .acl(STREAM)
        .syntax("GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK] STREAMS key [key ...] id [id ...]")
        .complexity("For each stream mentioned: O(M) with M being the number of elements returned. If M is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1). On the other side when XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N clients blocked on the stream getting new data."),
    CommandSpec::new("xack", -4, WRITE | FAST, KEY1, xack)
        .doc("stream", "5.0.0", "Marks a pending message as correctly processed, effectively removing it from the pending entries list of the consumer group. Return value of the command is the number of messages successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL.")
        .acl(STREAM)
        .syntax("key group id [id ...]")
        .complexity("O(1) for each message ID processed."),
    CommandSpec::new("xpending", -3, READONLY, KEY1, xpending)
        .doc("stream", "5.0.0", "Return information and entries from a stream consumer group pending entries list, that are messages fetched but never acknowledged.")
        .acl(STREAM)
        .syntax("key group [[IDLE min-idle-time] start end count [consumer]]")
        .complexity("O(N) with N being the number of elements returned, so asking for a small fixed number of entries per call is O(1). O(M), where M is the total number of entries scanned when used with the IDLE filter. When the command returns just the summary and the list of consumers is small, it runs in O(1) time; otherwise, an additional O(N) time for iterating every consumer."),
    CommandSpec::new("xclaim", -6, WRITE | FAST, KEY1, xclaim)
        .doc("stream", "5.0.0", "Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered to the specified consumer.")
        .acl(STREAM)
        .syntax("key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-time-milliseconds] [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID lastid]")
        .complexity("O(log N) with N being the number of messages in the PEL of the consumer group."),
    CommandSpec::new("xautoclaim", -6, WRITE | FAST, KEY1, xautoclaim)
        .doc("stream", "6.2.0", "Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered to the specified consumer.")
        .acl(STREAM)
        .syntax("key group consumer min-idle-time start [COUNT count] [JUSTID]")
        .complexity("O(1) if COUNT is small."),
];

// ---------------------------------------------------------------- helpers

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn nogroup_for_key(group: &[u8], key: &[u8]) -> Reply {
    Reply::error(format!(
        "NOGROUP No such consumer group '{}' for key name '{}'",
        text(group),
        text(key)
    ))
}

fn nogroup(key: &[u8], group: &[u8]) -> Reply {
    Reply::error(format!(
        "NOGROUP No such key '{}' or consumer group '{}'",
        text(key),
        text(group)
    ))
}

fn subcommand_syntax(args: &[Vec<u8>]) -> Reply {
    Reply::error(format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try {} HELP.",
        text(&args[1][..args[1].len().min(128)]),
        text(&args[0]).to_uppercase()
    ))
}

/// ENTRIESREAD's value: a count or -1.
fn entries_read_arg(a: &[u8]) -> Result<i64, Reply> {
    let n = parse_i64(a).ok_or_else(err::not_int)?;
    if n < 0 && n != ENTRIES_READ_INVALID {
        return Err(Reply::err(
            "ERR value for ENTRIESREAD must be positive or -1",
        ));
    }
    Ok(n)
}

fn setid_argv(key: &[u8], g: &[u8], grp: &Group) -> Vec<Vec<u8>> {
    vec![
        b"XGROUP".to_vec(),
        b"SETID".to_vec(),
        key.to_vec(),
        g.to_vec(),
        grp.last_id.to_bytes(),
        b"ENTRIESREAD".to_vec(),
        grp.entries_read.to_string().into_bytes(),
    ]
}

fn claim_argv(key: &[u8], g: &[u8], consumer: &[u8], id: StreamId, t: u64, n: u64) -> Vec<Vec<u8>> {
    vec![
        b"XCLAIM".to_vec(),
        key.to_vec(),
        g.to_vec(),
        consumer.to_vec(),
        b"0".to_vec(),
        id.to_bytes(),
        b"TIME".to_vec(),
        t.to_string().into_bytes(),
        b"RETRYCOUNT".to_vec(),
        n.to_string().into_bytes(),
        b"FORCE".to_vec(),
        b"JUSTID".to_vec(),
    ]
}

// ---------------------------------------------------------------- XGROUP

/// The common checks of XGROUP's key subcommands (Redis's order): the
/// stream must exist unless MKSTREAM; SETID / CREATECONSUMER /
/// DELCONSUMER need the group. Ok(false) = the key is absent (MKSTREAM).
fn xgroup_check(
    x: Option<&StreamValue>,
    args: &[Vec<u8>],
    mkstream: bool,
    need_group: bool,
) -> Result<bool, Reply> {
    match x {
        None if mkstream => Ok(false),
        None => Err(Reply::err("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.")),
        Some(x) => {
            if need_group && !x.groups.contains_key(args[3].as_slice()) {
                return Err(nogroup_for_key(&args[3], &args[2]));
            }
            Ok(true)
        }
    }
}

/// Runs `f` on the stream at args[2] under its write lock, after the
/// common checks; `f` gets the stream (None only with MKSTREAM).
fn with_group_key(
    ctx: &mut Ctx,
    args: &[Vec<u8>],
    mkstream: bool,
    need_group: bool,
    f: impl FnOnce(&mut crate::store::Stripe, u64, bool) -> Reply,
) -> Reply {
    let key = &args[2];
    let (mut s, h) = ctx.db().write(key);
    let now = now_ms();
    let exists = match s.get_mut(h, key, now) {
        None => xgroup_check(None, args, mkstream, need_group),
        Some(e) => match stream_of(e) {
            Err(r) => Err(r),
            Ok(x) => xgroup_check(Some(x), args, mkstream, need_group),
        },
    };
    match exists {
        Err(r) => r,
        Ok(exists) => f(&mut s, h, exists),
    }
}

fn xgroup_create(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let mut mkstream = false;
    let mut entries_read = ENTRIES_READ_INVALID;
    let mut i = 5;
    while i < args.len() {
        if is(&args[i], "mkstream") {
            mkstream = true;
            i += 1;
        } else if is(&args[i], "entriesread") && i + 1 < args.len() {
            match entries_read_arg(&args[i + 1]) {
                Ok(n) => entries_read = n,
                Err(r) => return r,
            }
            i += 2;
        } else {
            return subcommand_syntax(args);
        }
    }
    if args.len() > 8 {
        return subcommand_syntax(args);
    }
    let db = ctx.client.db;
    let key = args[2].clone();
    let g = args[3].clone();
    with_group_key(ctx, args, mkstream, false, |s, h, exists| {
        let now = now_ms();
        let last = |s: &mut crate::store::Stripe| match s.get(h, &key, now).map(|e| &e.value) {
            Some(Value::Stream(x)) => x.last_id,
            _ => StreamId::MIN,
        };
        let id = if args[4] == b"$" {
            last(s)
        } else {
            match strict_id(&args[4]) {
                Ok(id) => id,
                Err(r) => return r,
            }
        };
        if !exists {
            s.insert(h, &key, Entry::new(Value::Stream(Box::default()), 0));
        }
        let created = modify(s, h, &key, now, |x| {
            if x.groups.contains_key(g.as_slice()) {
                return false;
            }
            x.groups.insert(g.clone(), Group::new(id, entries_read));
            true
        });
        match created {
            Ok(Some(true)) => {
                let mut argv: Vec<Vec<u8>> = vec![
                    b"XGROUP".to_vec(),
                    b"CREATE".to_vec(),
                    key.clone(),
                    g.clone(),
                    id.to_bytes(),
                ];
                if !exists {
                    argv.push(b"MKSTREAM".to_vec());
                }
                argv.push(b"ENTRIESREAD".to_vec());
                argv.push(entries_read.to_string().into_bytes());
                crate::persist::log(db, &argv);
                crate::pubsub::notify(NOTIFY_STREAM, "xgroup-create", &key, db);
                Reply::ok()
            }
            Ok(_) => Reply::err("BUSYGROUP Consumer Group name already exists"),
            Err(r) => r,
        }
    })
}

fn xgroup_setid(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    if args.len() != 5 && args.len() != 7 {
        return subcommand_syntax(args);
    }
    let db = ctx.client.db;
    let key = args[2].clone();
    let g = args[3].clone();
    with_group_key(ctx, args, false, true, |s, h, _| {
        let now = now_ms();
        let r = modify(s, h, &key, now, |x| {
            let id = if args[4] == b"$" {
                x.last_id
            } else {
                match interval_free_id(&args[4]) {
                    Ok(id) => id,
                    Err(r) => return Err(r),
                }
            };
            let mut entries_read = ENTRIES_READ_INVALID;
            if args.len() == 7 {
                if !is(&args[5], "entriesread") {
                    return Err(subcommand_syntax(args));
                }
                entries_read = match parse_i64(&args[6]) {
                    None => return Err(err::syntax()),
                    Some(n) if n < 0 && n != ENTRIES_READ_INVALID => {
                        return Err(Reply::err(
                            "ERR value for ENTRIESREAD must be positive or -1",
                        ))
                    }
                    Some(n) => n,
                };
            }
            let grp = x.groups.get_mut(g.as_slice()).expect("checked");
            grp.last_id = id;
            grp.entries_read = entries_read;
            Ok(setid_argv(&key, &g, grp))
        });
        match r {
            Ok(Some(Ok(argv))) => {
                crate::persist::log(db, &argv);
                crate::pubsub::notify(NOTIFY_STREAM, "xgroup-setid", &key, db);
                Reply::ok()
            }
            Ok(Some(Err(r))) | Err(r) => r,
            Ok(None) => err::no_such_key(),
        }
    })
}

/// streamParseIDOrReply: any ID form, `-` and `+` included.
fn interval_free_id(a: &[u8]) -> Result<StreamId, Reply> {
    super::stream::parse_id(a, 0, false, false).map(|x| x.0)
}

fn xgroup_destroy(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let db = ctx.client.db;
    let key = args[2].clone();
    let g = args[3].clone();
    with_group_key(ctx, args, false, false, |s, h, _| {
        match modify(s, h, &key, now_ms(), |x| {
            x.groups.remove(g.as_slice()).is_some()
        }) {
            Ok(Some(true)) => {
                crate::persist::log(db, args);
                crate::pubsub::notify(NOTIFY_STREAM, "xgroup-destroy", &key, db);
                Reply::Int(1)
            }
            Ok(_) => Reply::Int(0),
            Err(r) => r,
        }
    })
}

fn xgroup_createconsumer(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let db = ctx.client.db;
    let key = args[2].clone();
    let g = args[3].clone();
    with_group_key(ctx, args, false, true, |s, h, _| {
        let r = modify(s, h, &key, now_ms(), |x| {
            x.groups
                .get_mut(g.as_slice())
                .is_some_and(|grp| grp.create_consumer(&args[4], wall_ms()))
        });
        match r {
            Ok(Some(true)) => {
                crate::persist::log(db, args);
                crate::pubsub::notify(NOTIFY_STREAM, "xgroup-createconsumer", &key, db);
                Reply::Int(1)
            }
            Ok(_) => Reply::Int(0),
            Err(r) => r,
        }
    })
}

fn xgroup_delconsumer(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let db = ctx.client.db;
    let key = args[2].clone();
    let g = args[3].clone();
    with_group_key(ctx, args, false, true, |s, h, _| {
        let r = modify(s, h, &key, now_ms(), |x| {
            let grp = x.groups.get_mut(g.as_slice())?;
            let c = grp.consumers.remove(args[4].as_slice())?;
            for id in &c.pel {
                grp.pel.remove(id);
            }
            Some(c.pel.len() as i64)
        });
        match r {
            Ok(Some(Some(n))) => {
                crate::persist::log(db, args);
                crate::pubsub::notify(NOTIFY_STREAM, "xgroup-delconsumer", &key, db);
                Reply::Int(n)
            }
            Ok(_) => Reply::Int(0),
            Err(r) => r,
        }
    })
}

fn xgroup_help(_: &mut Ctx, _: &[Vec<u8>]) -> Reply {
    help_reply(
        "XGROUP",
        &[
            "CREATE <key> <groupname> <id|$> [option]",
            "    Create a new consumer group. Options are:",
            "    * MKSTREAM",
            "      Create the empty stream if it does not exist.",
            "    * ENTRIESREAD entries_read",
            "      Set the group's entries_read counter (internal use).",
            "CREATECONSUMER <key> <groupname> <consumer>",
            "    Create a new consumer in the specified group.",
            "DELCONSUMER <key> <groupname> <consumer>",
            "    Remove the specified consumer.",
            "DESTROY <key> <groupname>",
            "    Remove the specified group.",
            "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
            "    Set the current group ID and entries_read counter.",
        ],
    )
}

// ---------------------------------------------------------------- XACK

/// XACK key group id [id ...]
fn xack(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let db = ctx.client.db;
    let key = &args[1];
    let (mut s, h) = ctx.db().write(key);
    let now = now_ms();
    match s.get_mut(h, key, now) {
        None => return Reply::Int(0),
        Some(e) => match stream_of(e) {
            Err(r) => return r,
            Ok(x) if !x.groups.contains_key(args[2].as_slice()) => return Reply::Int(0),
            Ok(_) => {}
        },
    }
    let mut ids = Vec::new();
    for a in &args[3..] {
        match strict_id(a) {
            Ok(id) => ids.push(id),
            Err(r) => return r,
        }
    }
    let n = modify(&mut s, h, key, now, |x| {
        let g = x.groups.get_mut(args[2].as_slice()).expect("checked");
        ids.iter()
            .filter(|id| g.remove_nack(**id).is_some())
            .count() as i64
    });
    match n {
        Ok(Some(n)) if n > 0 => {
            crate::persist::log(db, args);
            Reply::Int(n)
        }
        Err(r) => r,
        _ => Reply::Int(0),
    }
}

// ---------------------------------------------------------------- XPENDING

/// XPENDING key group [[IDLE min-idle] start end count [consumer]]
fn xpending(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let argc = args.len();
    if argc != 3 && !(6..=9).contains(&argc) {
        return err::syntax();
    }
    let mut minidle: i64 = 0;
    let mut range = None;
    let mut consumer: Option<&[u8]> = None;
    if argc >= 6 {
        let mut at = 3;
        if is(&args[3], "idle") {
            match parse_i64(&args[4]) {
                None => return err::not_int(),
                Some(n) => minidle = n,
            }
            if argc < 8 {
                return err::syntax();
            }
            at += 2;
        }
        let count = match parse_i64(&args[at + 2]) {
            None => return err::not_int(),
            Some(n) => n.max(0) as u64,
        };
        let (mut start, sx) = match interval_id(&args[at], 0) {
            Ok(x) => x,
            Err(r) => return r,
        };
        if sx {
            match start.incr() {
                Some(i) => start = i,
                None => return Reply::err("ERR invalid start ID for the interval"),
            }
        }
        let (mut end, ex) = match interval_id(&args[at + 1], u64::MAX) {
            Ok(x) => x,
            Err(r) => return r,
        };
        if ex {
            match end.decr() {
                Some(i) => end = i,
                None => return Reply::err("ERR invalid end ID for the interval"),
            }
        }
        if at + 3 < argc {
            consumer = Some(&args[at + 3]);
        }
        range = Some((start, end, count));
    }
    let key = &args[1];
    let (s, h) = ctx.db().read(key);
    let now = wall_ms();
    let x = match s.get(h, key, now_ms()) {
        None => None,
        Some(e) => match stream_of(e) {
            Err(r) => return r,
            Ok(x) => Some(x),
        },
    };
    let Some(g) = x.and_then(|x| x.groups.get(args[2].as_slice())) else {
        return nogroup(key, &args[2]);
    };
    let Some((start, end, count)) = range else {
        if g.pel.is_empty() {
            return Reply::Array(vec![
                Reply::Int(0),
                Reply::Null,
                Reply::Null,
                Reply::NullArray,
            ]);
        }
        let first = *g.pel.keys().next().expect("non-empty");
        let last = *g.pel.keys().next_back().expect("non-empty");
        let consumers = g
            .consumers
            .iter()
            .filter(|(_, c)| !c.pel.is_empty())
            .map(|(n, c)| {
                Reply::Array(vec![
                    Reply::bulk(n),
                    Reply::Bulk(c.pel.len().to_string().into_bytes()),
                ])
            })
            .collect();
        return Reply::Array(vec![
            Reply::Int(g.pel.len() as i64),
            id_reply(first),
            id_reply(last),
            Reply::Array(consumers),
        ]);
    };
    let ids: Vec<StreamId> = match consumer {
        Some(c) => match g.consumers.get(c) {
            None => return Reply::Array(Vec::new()),
            Some(c) => c.pel.range(start..).copied().collect(),
        },
        None => g.pel.range(start..).map(|(id, _)| *id).collect(),
    };
    let mut out = Vec::new();
    let mut left = count;
    for id in ids {
        if left == 0 || id > end || start > end {
            break;
        }
        let Some(n) = g.pel.get(&id) else { continue };
        let idle = now.saturating_sub(n.delivery_time) as i64;
        if minidle != 0 && idle < minidle {
            continue;
        }
        left -= 1;
        out.push(Reply::Array(vec![
            id_reply(id),
            Reply::bulk(&n.consumer),
            Reply::Int(idle),
            Reply::Int(n.delivery_count as i64),
        ]));
    }
    Reply::Array(out)
}

// ---------------------------------------------------------------- XCLAIM

/// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME
/// ms] [RETRYCOUNT n] [FORCE] [JUSTID] [LASTID id]
fn xclaim(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let db = ctx.client.db;
    let key = &args[1];
    let gname = args[2].as_slice();
    let cname = args[3].as_slice();
    let (mut s, h) = ctx.db().write(key);
    let snow = now_ms();
    match s.get_mut(h, key, snow) {
        None => return nogroup(key, gname),
        Some(e) => match stream_of(e) {
            Err(r) => return r,
            Ok(x) if !x.groups.contains_key(gname) => return nogroup(key, gname),
            Ok(_) => {}
        },
    }
    let minidle = match parse_i64(&args[4]) {
        None => return Reply::err("ERR Invalid min-idle-time argument for XCLAIM"),
        Some(n) => n.max(0),
    };
    let mut j = 5;
    let mut ids = Vec::new();
    while j < args.len() {
        match strict_id(&args[j]) {
            Ok(id) => ids.push(id),
            Err(_) => break,
        }
        j += 1;
    }
    let now = wall_ms() as i64;
    let (mut force, mut justid) = (false, false);
    let mut retrycount: i64 = -1;
    let mut deliverytime: i64 = -1;
    let mut last_id = StreamId::MIN;
    while j < args.len() {
        let more = args.len() - 1 - j;
        let opt = &args[j];
        if is(opt, "force") {
            force = true;
        } else if is(opt, "justid") {
            justid = true;
        } else if is(opt, "idle") && more > 0 {
            j += 1;
            match parse_i64(&args[j]) {
                None => return Reply::err("ERR Invalid IDLE option argument for XCLAIM"),
                Some(n) => deliverytime = now.wrapping_sub(n),
            }
        } else if is(opt, "time") && more > 0 {
            j += 1;
            match parse_i64(&args[j]) {
                None => return Reply::err("ERR Invalid TIME option argument for XCLAIM"),
                Some(n) => deliverytime = n,
            }
        } else if is(opt, "retrycount") && more > 0 {
            j += 1;
            match parse_i64(&args[j]) {
                None => return Reply::err("ERR Invalid RETRYCOUNT option argument for XCLAIM"),
                Some(n) => retrycount = n,
            }
        } else if is(opt, "lastid") && more > 0 {
            j += 1;
            match strict_id(&args[j]) {
                Ok(id) => last_id = id,
                Err(r) => return r,
            }
        } else {
            return Reply::error(format!("ERR Unrecognized XCLAIM option '{}'", text(opt)));
        }
        j += 1;
    }
    if deliverytime < 0 || deliverytime > now {
        deliverytime = now;
    }
    let r = modify(&mut s, h, key, snow, |x| {
        let mut g = x.groups.remove(gname).expect("checked");
        let mut logs: Vec<Vec<Vec<u8>>> = Vec::new();
        let mut moved = false;
        if last_id > g.last_id {
            g.last_id = last_id;
            moved = true;
        }
        let mut out = Vec::new();
        let mut created = false;
        for id in ids {
            if !x.entries.contains_key(&id) {
                if let Some(n) = g.remove_nack(id) {
                    logs.push(claim_argv(key, gname, &n.consumer, id, 0, 0));
                }
                continue;
            }
            let existing = g.pel.get(&id).cloned();
            if existing.is_none() && !force {
                continue;
            }
            if let Some(n) = &existing {
                if minidle != 0 && now - (n.delivery_time as i64) < minidle {
                    continue;
                }
            }
            if !g.consumers.contains_key(cname) {
                created |= g.create_consumer(cname, now as u64);
            }
            let count = if retrycount >= 0 {
                retrycount as u64
            } else {
                let c = existing.as_ref().map(|n| n.delivery_count).unwrap_or(0);
                if justid {
                    c
                } else {
                    c + 1
                }
            };
            g.assign(id, cname, deliverytime as u64, count);
            if let Some(c) = g.consumers.get_mut(cname) {
                c.seen_time = now as u64;
            }
            out.push(if justid {
                id_reply(id)
            } else {
                entry_reply(id, &x.entries[&id])
            });
            logs.push(claim_argv(
                key,
                gname,
                cname,
                id,
                deliverytime as u64,
                count,
            ));
        }
        if moved || !logs.is_empty() {
            logs.push(setid_argv(key, gname, &g));
        }
        x.groups.insert(gname.to_vec(), g);
        (out, logs, created)
    });
    match r {
        Err(r) => r,
        Ok(None) => Reply::Array(Vec::new()),
        Ok(Some((out, logs, created))) => {
            let mut b = crate::persist::Batch::new();
            for l in &logs {
                b.cmd(db, l);
            }
            b.commit();
            if created {
                crate::pubsub::notify(NOTIFY_STREAM, "xgroup-createconsumer", key, db);
            }
            Reply::Array(out)
        }
    }
}

/// XAUTOCLAIM key group consumer min-idle-time start [COUNT n] [JUSTID]
fn xautoclaim(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let minidle = match parse_i64(&args[4]) {
        None => return Reply::err("ERR Invalid min-idle-time argument for XAUTOCLAIM"),
        Some(n) => n.max(0),
    };
    let (mut start, sx) = match interval_id(&args[5], 0) {
        Ok(x) => x,
        Err(r) => return r,
    };
    if sx {
        match start.incr() {
            Some(i) => start = i,
            None => return Reply::err("ERR invalid start ID for the interval"),
        }
    }
    let mut count: i64 = 100;
    let mut justid = false;
    let mut j = 6;
    while j < args.len() {
        let more = args.len() - 1 - j;
        if is(&args[j], "count") && more > 0 {
            let max = i64::MAX / 16;
            match parse_i64(&args[j + 1]) {
                Some(n) if (1..=max).contains(&n) => count = n,
                _ => return Reply::err("ERR COUNT must be > 0"),
            }
            j += 1;
        } else if is(&args[j], "justid") {
            justid = true;
        } else {
            return err::syntax();
        }
        j += 1;
    }
    let db = ctx.client.db;
    let key = &args[1];
    let gname = args[2].as_slice();
    let cname = args[3].as_slice();
    let (mut s, h) = ctx.db().write(key);
    let snow = now_ms();
    match s.get_mut(h, key, snow) {
        None => return nogroup(key, gname),
        Some(e) => match stream_of(e) {
            Err(r) => return r,
            Ok(x) if !x.groups.contains_key(gname) => return nogroup(key, gname),
            Ok(_) => {}
        },
    }
    let now = wall_ms();
    let r = modify(&mut s, h, key, snow, |x| {
        let mut g = x.groups.remove(gname).expect("checked");
        let mut attempts = count * 10;
        let mut left = count;
        let mut out = Vec::new();
        let mut deleted = Vec::new();
        let mut logs: Vec<Vec<Vec<u8>>> = Vec::new();
        let mut created = false;
        let mut cursor = start;
        let mut next: Option<StreamId> = None;
        loop {
            let cont = attempts > 0 && left > 0;
            attempts -= 1;
            let item = g.pel.range(cursor..).next().map(|(id, n)| (*id, n.clone()));
            if !cont {
                next = item.map(|(id, _)| id);
                break;
            }
            let Some((id, nack)) = item else {
                next = None;
                break;
            };
            cursor = id.incr().unwrap_or(StreamId::MAX);
            if !x.entries.contains_key(&id) {
                g.remove_nack(id);
                logs.push(claim_argv(key, gname, &nack.consumer, id, 0, 0));
                deleted.push(id_reply(id));
                left -= 1;
                if id == StreamId::MAX {
                    break;
                }
                continue;
            }
            if minidle != 0 && (now.saturating_sub(nack.delivery_time) as i64) < minidle {
                if id == StreamId::MAX {
                    break;
                }
                continue;
            }
            created |= g.create_consumer(cname, now);
            let dc = if justid {
                nack.delivery_count
            } else {
                nack.delivery_count + 1
            };
            g.assign(id, cname, now, dc);
            if let Some(c) = g.consumers.get_mut(cname) {
                c.seen_time = now;
            }
            out.push(if justid {
                id_reply(id)
            } else {
                entry_reply(id, &x.entries[&id])
            });
            logs.push(claim_argv(key, gname, cname, id, now, dc));
            left -= 1;
            if id == StreamId::MAX {
                break;
            }
        }
        x.groups.insert(gname.to_vec(), g);
        let reply = Reply::Array(vec![
            id_reply(next.unwrap_or(StreamId::MIN)),
            Reply::Array(out),
            Reply::Array(deleted),
        ]);
        (reply, logs, created)
    });
    match r {
        Err(r) => r,
        Ok(None) => nogroup(key, gname),
        Ok(Some((reply, logs, created))) => {
            if !logs.is_empty() {
                let mut b = crate::persist::Batch::new();
                for l in &logs {
                    b.cmd(db, l);
                }
                b.commit();
            }
            if created {
                crate::pubsub::notify(NOTIFY_STREAM, "xgroup-createconsumer", key, db);
            }
            reply
        }
    }
}

// ---------------------------------------------------------------- XINFO

/// A reply map (RESP3 map; flat array in RESP2) from static field names.
fn map(fields: Vec<(&'static str, Reply)>) -> Reply {
    Reply::Map(
        fields
            .into_iter()
            .map(|(k, v)| (Reply::bulk_str(k), v))
            .collect(),
    )
}

fn opt_int(v: Option<i64>) -> Reply {
    v.map(Reply::Int).unwrap_or(Reply::Null)
}

/// Runs `f` on the stream at args[2] (XINFO's key), or `ERR no such key`.
fn xinfo_read(ctx: &mut Ctx, args: &[Vec<u8>], f: impl FnOnce(&StreamValue) -> Reply) -> Reply {
    let key = &args[2];
    let (s, h) = ctx.db().read(key);
    let r = match s.get(h, key, now_ms()) {
        None => err::no_such_key(),
        Some(e) => match stream_of(e) {
            Err(r) => r,
            Ok(x) => f(x),
        },
    };
    drop(s);
    r
}

fn xinfo_stream(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let extra = &args[3..];
    let mut full = false;
    let mut count: i64 = 10;
    if !extra.is_empty() {
        if extra.len() > 3 || !is(&extra[0], "full") {
            return subcommand_syntax(args);
        }
        full = true;
        if extra.len() == 3 {
            if !is(&extra[1], "count") {
                return subcommand_syntax(args);
            }
            match parse_i64(&extra[2]) {
                None => return err::not_int(),
                Some(n) if n < 0 => count = 10,
                Some(n) => count = n,
            }
        } else if extra.len() == 2 {
            return subcommand_syntax(args);
        }
    }
    let take = if count == 0 {
        usize::MAX
    } else {
        count as usize
    };
    xinfo_stream_of(ctx, args, full, take)
}

fn xinfo_stream_of(ctx: &mut Ctx, args: &[Vec<u8>], full: bool, take: usize) -> Reply {
    xinfo_read(ctx, args, |x| {
        let mut m = vec![
            ("length", Reply::Int(x.len() as i64)),
            ("radix-tree-keys", Reply::Int(x.node_count() as i64)),
            ("radix-tree-nodes", Reply::Int(x.node_count() as i64 + 1)),
            ("last-generated-id", id_reply(x.last_id)),
            ("max-deleted-entry-id", id_reply(x.max_deleted)),
            ("entries-added", Reply::Int(x.entries_added as i64)),
            ("recorded-first-entry-id", id_reply(x.first_id())),
        ];
        if !full {
            m.push(("groups", Reply::Int(x.groups.len() as i64)));
            let first = x.entries.iter().next();
            let last = x.entries.iter().next_back();
            m.push((
                "first-entry",
                first
                    .map(|(id, f)| entry_reply(*id, f))
                    .unwrap_or(Reply::Null),
            ));
            m.push((
                "last-entry",
                last.map(|(id, f)| entry_reply(*id, f))
                    .unwrap_or(Reply::Null),
            ));
            return map(m);
        }
        m.push((
            "entries",
            Reply::Array(
                x.entries
                    .iter()
                    .take(take)
                    .map(|(id, f)| entry_reply(*id, f))
                    .collect(),
            ),
        ));
        let groups = x
            .groups
            .iter()
            .map(|(name, g)| {
                let pending = g
                    .pel
                    .iter()
                    .take(take)
                    .map(|(id, n)| {
                        Reply::Array(vec![
                            id_reply(*id),
                            Reply::bulk(&n.consumer),
                            Reply::Int(n.delivery_time as i64),
                            Reply::Int(n.delivery_count as i64),
                        ])
                    })
                    .collect();
                let consumers = g
                    .consumers
                    .iter()
                    .map(|(cn, c)| {
                        let pending = c
                            .pel
                            .iter()
                            .take(take)
                            .filter_map(|id| g.pel.get(id).map(|n| (id, n)))
                            .map(|(id, n)| {
                                Reply::Array(vec![
                                    id_reply(*id),
                                    Reply::Int(n.delivery_time as i64),
                                    Reply::Int(n.delivery_count as i64),
                                ])
                            })
                            .collect();
                        map(vec![
                            ("name", Reply::bulk(cn)),
                            ("seen-time", Reply::Int(c.seen_time as i64)),
                            ("pel-count", Reply::Int(c.pel.len() as i64)),
                            ("pending", Reply::Array(pending)),
                        ])
                    })
                    .collect();
                map(vec![
                    ("name", Reply::bulk(name)),
                    ("last-delivered-id", id_reply(g.last_id)),
                    (
                        "entries-read",
                        opt_int((g.entries_read != ENTRIES_READ_INVALID).then_some(g.entries_read)),
                    ),
                    ("lag", opt_int(x.lag(g))),
                    ("pel-count", Reply::Int(g.pel.len() as i64)),
                    ("pending", Reply::Array(pending)),
                    ("consumers", Reply::Array(consumers)),
                ])
            })
            .collect();
        m.push(("groups", Reply::Array(groups)));
        map(m)
    })
}

fn xinfo_groups(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    xinfo_read(ctx, args, |x| {
        Reply::Array(
            x.groups
                .iter()
                .map(|(name, g)| {
                    map(vec![
                        ("name", Reply::bulk(name)),
                        ("consumers", Reply::Int(g.consumers.len() as i64)),
                        ("pending", Reply::Int(g.pel.len() as i64)),
                        ("last-delivered-id", id_reply(g.last_id)),
                        (
                            "entries-read",
                            opt_int(
                                (g.entries_read != ENTRIES_READ_INVALID).then_some(g.entries_read),
                            ),
                        ),
                        ("lag", opt_int(x.lag(g))),
                    ])
                })
                .collect(),
        )
    })
}

fn xinfo_consumers(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let now = wall_ms();
    xinfo_read(ctx, args, |x| match x.groups.get(args[3].as_slice()) {
        None => nogroup_for_key(&args[3], &args[2]),
        Some(g) => Reply::Array(
            g.consumers
                .iter()
                .map(|(name, c)| {
                    map(vec![
                        ("name", Reply::bulk(name)),
                        ("pending", Reply::Int(c.pel.len() as i64)),
                        ("idle", Reply::Int(now.saturating_sub(c.seen_time) as i64)),
                    ])
                })
                .collect(),
        ),
    })
}

fn xinfo_help(_: &mut Ctx, _: &[Vec<u8>]) -> Reply {
    help_reply(
        "XINFO",
        &[
            "CONSUMERS <key> <groupname>",
            "    Show consumers of <groupname>.",
            "GROUPS <key>",
            "    Show the stream consumer groups.",
            "STREAM <key> [FULL [COUNT <count>]",
            "    Show information about the stream.",
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{check_replay, check_replay_after};

    /// Every group write replays to the same groups, PELs and consumers.
    #[test]
    fn group_writes_replay() {
        let setup: &[&[&str]] = &[
            &["XADD", "s", "1-1", "a", "1"],
            &["XADD", "s", "2-1", "b", "2"],
            &["XADD", "s", "3-1", "c", "3"],
            &["XADD", "s", "4-1", "d", "4"],
        ];
        let (_, recs) = check_replay_after(
            setup,
            &[],
            &[
                &["XGROUP", "CREATE", "s", "g", "0"],
                &["XGROUP", "CREATE", "s", "h", "$", "ENTRIESREAD", "4"],
                &["XGROUP", "CREATE", "new", "g", "$", "MKSTREAM"],
                &[
                    "XREADGROUP",
                    "GROUP",
                    "g",
                    "alice",
                    "COUNT",
                    "2",
                    "STREAMS",
                    "s",
                    ">",
                ],
                &[
                    "XREADGROUP",
                    "GROUP",
                    "g",
                    "bob",
                    "NOACK",
                    "COUNT",
                    "1",
                    "STREAMS",
                    "s",
                    ">",
                ],
                &["XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">"],
                &["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0"],
                &["XACK", "s", "g", "1-1"],
                &["XCLAIM", "s", "g", "carol", "0", "2-1", "RETRYCOUNT", "5"],
                &[
                    "XCLAIM", "s", "g", "carol", "0", "1-1", "FORCE", "JUSTID", "LASTID", "9-9",
                ],
                &["XDEL", "s", "4-1"],
                &["XAUTOCLAIM", "s", "g", "dave", "0", "0", "COUNT", "10"],
                &["XGROUP", "CREATECONSUMER", "s", "g", "erin"],
                &["XGROUP", "DELCONSUMER", "s", "g", "carol"],
                &["XGROUP", "SETID", "s", "h", "2-1"],
                &["XGROUP", "DESTROY", "s", "h"],
                &["XGROUP", "CREATE", "s", "h", "0"],
                &["XREADGROUP", "GROUP", "h", "x", "STREAMS", "s", ">"],
                &["RENAME", "s", "t"],
                &["COPY", "t", "u"],
            ],
        );
        assert!(!recs.is_empty());
        // Nothing changed: nothing logged.
        let (_, recs) = check_replay(&[
            &["XGROUP", "CREATE", "s", "g", "0"],
            &["XACK", "s", "g", "1-1"],
            &["XGROUP", "CREATE", "s", "g", "0", "MKSTREAM"],
            &["XGROUP", "CREATE", "s", "g", "0", "MKSTREAM"],
            &["XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", ">"],
            &["XGROUP", "DELCONSUMER", "s", "g", "nobody"],
        ]);
        assert_eq!(recs.len(), 1, "{recs:?}");
    }
}
