//! Observability commands: SLOWLOG, LATENCY, MONITOR (their state and
//! formats live in src/obs).
//!
//! ```text
//! SLOWLOG GET [count] | LEN | RESET | HELP
//! LATENCY LATEST | HISTORY event | RESET [event ...] | GRAPH event
//!         | DOCTOR | HISTOGRAM [command ...] | HELP
//! MONITOR
//! ```

use super::args::text;
use super::table::table;
use super::*;
use crate::obs::{latency, slowlog};
use crate::resp::Reply;
use crate::server::Ctx;
use crate::store::value::parse_i64;

const OBS_ADMIN: u32 = ADMIN | NOSCRIPT | LOADING | STALE;
const SLOWLOG_ADMIN: u32 = ADMIN | LOADING | STALE;

pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("slowlog", -2, 0, NO_KEYS, super::connection::container)
        .doc("server", "2.2.12", "A container for slow log commands")
        .complexity("Depends on subcommand.")
        .subs(SLOWLOG_SUBS),
    CommandSpec::new("latency", -2, 0, NO_KEYS, super::connection::container)
        .doc(
            "server",
            "2.8.13",
            "A container for latency diagnostics commands",
        )
        .complexity("Depends on subcommand.")
        .subs(LATENCY_SUBS),
    CommandSpec::new("monitor", 1, OBS_ADMIN, NO_KEYS, monitor).doc(
        "server",
        "1.0.0",
        "Listen for all requests received by the server in real time",
    ),
];

static SLOWLOG_SUBS: &[CommandSpec] = &[
    CommandSpec::new("get", -2, SLOWLOG_ADMIN, NO_KEYS, slowlog_get)
        .doc("server", "2.2.12", "Get the slow log's entries")
        .syntax("[count]")
        .complexity("O(N) where N is the number of entries returned"),
    CommandSpec::new("len", 2, SLOWLOG_ADMIN, NO_KEYS, slowlog_len)
        .doc("server", "2.2.12", "Get the slow log's length")
        .complexity("O(1)"),
    CommandSpec::new("reset", 2, SLOWLOG_ADMIN, NO_KEYS, slowlog_reset)
        .doc("server", "2.2.12", "Clear all entries from the slow log")
        .complexity("O(N) where N is the number of entries in the slowlog"),
    CommandSpec::new("help", 2, LOADING | STALE, NO_KEYS, slowlog_help)
        .doc(
            "server",
            "6.2.0",
            "Show helpful text about the different subcommands",
        )
        .complexity("O(1)"),
];

static LATENCY_SUBS: &[CommandSpec] = &[
    CommandSpec::new("doctor", 2, OBS_ADMIN, NO_KEYS, latency_doctor)
        .doc(
            "server",
            "2.8.13",
            "Return a human readable latency analysis report.",
        )
        .complexity("O(1)"),
    CommandSpec::new("graph", 3, OBS_ADMIN, NO_KEYS, latency_graph)
        .doc("server", "2.8.13", "Return a latency graph for the event.")
        .syntax("event")
        .complexity("O(1)"),
    CommandSpec::new("histogram", -2, OBS_ADMIN, NO_KEYS, latency_histogram)
        .doc(
            "server",
            "7.0.0",
            "Return the cumulative distribution of latencies of a subset of commands or all.",
        )
        .syntax("[command [command ...]]")
        .complexity(
            "O(N) where N is the number of commands with latency information being retrieved.",
        ),
    CommandSpec::new("history", 3, OBS_ADMIN, NO_KEYS, latency_history)
        .doc(
            "server",
            "2.8.13",
            "Return timestamp-latency samples for the event.",
        )
        .syntax("event")
        .complexity("O(1)"),
    CommandSpec::new("latest", 2, OBS_ADMIN, NO_KEYS, latency_latest)
        .doc(
            "server",
            "2.8.13",
            "Return the latest latency samples for all events.",
        )
        .complexity("O(1)"),
    CommandSpec::new("reset", -2, OBS_ADMIN, NO_KEYS, latency_reset)
        .doc(
            "server",
            "2.8.13",
            "Reset latency data for one or more events.",
        )
        .syntax("[event [event ...]]")
        .complexity("O(1)"),
    CommandSpec::new("help", 2, LOADING | STALE, NO_KEYS, latency_help)
        .doc(
            "server",
            "2.8.13",
            "Show helpful text about the different subcommands.",
        )
        .complexity("O(1)"),
];

/// Redis's addReplySubcommandSyntaxError.
fn subcommand_syntax(args: &[Vec<u8>]) -> Reply {
    let sub = &args[1][..args[1].len().min(128)];
    Reply::error(format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try {} HELP.",
        String::from_utf8_lossy(sub),
        text(&args[0]).to_uppercase()
    ))
}

/// SLOWLOG GET [count]: the newest `count` entries (10 by default, -1 = all).
fn slowlog_get(_: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    if args.len() > 3 {
        return subcommand_syntax(args);
    }
    let count = match args.get(2) {
        None => Some(10),
        Some(a) => match parse_i64(a) {
            Some(-1) => None,
            Some(n) if n >= 0 => Some(n as usize),
            _ => return Reply::err("ERR count should be greater than or equal to -1"),
        },
    };
    slowlog::get(count)
}

fn slowlog_len(_: &mut Ctx, _: &[Vec<u8>]) -> Reply {
    Reply::Int(slowlog::len() as i64)
}

fn slowlog_reset(_: &mut Ctx, _: &[Vec<u8>]) -> Reply {
    slowlog::reset();
    Reply::ok()
}

fn slowlog_help(_: &mut Ctx, _: &[Vec<u8>]) -> Reply {
    help_reply(
        "SLOWLOG",
        &[
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
        ],
    )
}

fn latency_latest(_: &mut Ctx, _: &[Vec<u8>]) -> Reply {
    latency::latest()
}

fn latency_history(_: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    latency::history(&args[2])
}

fn latency_reset(_: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    Reply::Int(latency::reset(&args[2..]))
}

fn latency_graph(_: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    match latency::graph(&args[2]) {
        Some(g) => Reply::Verbatim(g.into_bytes()),
        None => Reply::error(format!(
            "ERR No samples available for event '{}'",
            String::from_utf8_lossy(&args[2])
        )),
    }
}

fn latency_doctor(ctx: &mut Ctx, _: &[Vec<u8>]) -> Reply {
    let d = {
        let c = ctx.srv.config();
        latency::DoctorContext {
            slowlog_log_slower_than: c.slowlog_log_slower_than,
            latency_monitor_threshold: c.latency_monitor_threshold,
            hz: c.hz,
            fsync_always: c.appendonly && c.appendfsync == "always",
        }
    };
    Reply::Verbatim(latency::doctor(&d).into_bytes())
}

/// A command (or `parent|sub`) by the name a client gives, any case.
fn lookup_full(name: &[u8]) -> Option<usize> {
    let t = table();
    let parts: Vec<&[u8]> = name.split(|&b| b == b'|').collect();
    match parts.as_slice() {
        [c] => t.lookup(c).map(|x| x.0),
        [c, sub] => t.lookup_sub(t.lookup(c)?.0, sub).map(|x| x.0),
        _ => None,
    }
}

/// LATENCY HISTOGRAM [command ...]: per command with data (named ones and
/// their subcommands, or all), `calls` and the cumulative `histogram_usec`.
fn latency_histogram(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let t = table();
    let ids: Vec<usize> = if args.len() == 2 {
        t.all_ids().collect()
    } else {
        let mut v = Vec::new();
        for name in &args[2..] {
            let Some(id) = lookup_full(name) else {
                continue;
            };
            v.push(id);
            for sub in t.spec(id).subcommands {
                if let Some((sid, _)) = t.lookup_sub(id, sub.name.as_bytes()) {
                    v.push(sid);
                }
            }
        }
        v
    };
    let mut out = Vec::new();
    for id in ids {
        let Some(h) = ctx.srv.stats.cmd[id].hist.snapshot() else {
            continue;
        };
        let steps = h
            .cumulative_usec()
            .into_iter()
            .map(|(us, n)| (Reply::Int(us), Reply::Int(n as i64)))
            .collect();
        out.push((
            Reply::Bulk(t.full_name(id).into_bytes()),
            Reply::Map(vec![
                (Reply::bulk_str("calls"), Reply::Int(h.total as i64)),
                (Reply::bulk_str("histogram_usec"), Reply::Map(steps)),
            ]),
        ));
    }
    Reply::Map(out)
}

fn latency_help(_: &mut Ctx, _: &[Vec<u8>]) -> Reply {
    help_reply(
        "LATENCY",
        &[
            "DOCTOR",
            "    Return a human readable latency analysis report.",
            "GRAPH <event>",
            "    Return an ASCII latency graph for the <event> class.",
            "HISTORY <event>",
            "    Return time-latency samples for the <event> class.",
            "LATEST",
            "    Return the latest latency samples for all events.",
            "RESET [<event> ...]",
            "    Reset latency data of one or more <event> classes.",
            "    (default: reset all data for all event classes)",
            "HISTOGRAM [COMMAND ...]",
            "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
            "    If no commands are specified then all histograms are replied.",
        ],
    )
}

/// MONITOR: `+OK`, then a line per command run by anyone (src/obs/monitor.rs).
/// A second MONITOR is ignored without a reply, as in Redis.
fn monitor(ctx: &mut Ctx, _: &[Vec<u8>]) -> Reply {
    if ctx.client.in_exec {
        return Reply::err("ERR MONITOR isn't allowed for DENY BLOCKING client");
    }
    if ctx
        .client
        .info
        .mail
        .monitor
        .load(std::sync::atomic::Ordering::Relaxed)
    {
        return Reply::Raw(Vec::new());
    }
    crate::obs::request_monitor(ctx.client);
    Reply::ok()
}
