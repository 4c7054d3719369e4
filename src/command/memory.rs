//! MEMORY: what a key costs and where the memory goes.
//!
//! ```text
//! MEMORY USAGE key [SAMPLES count] | STATS | DOCTOR | MALLOC-STATS | PURGE | HELP
//! ```
//!
//! The figures are the store's own estimates, the ones INFO memory and
//! maxmemory use: a key costs its entry node, its key bytes and its
//! value's heap size. The estimate is exact bookkeeping rather than
//! sampling, so `SAMPLES` is validated as Redis does and then not needed.

use super::args::text;
use super::*;
use crate::command::info::{rss, used_memory, BASELINE_MEMORY};
use crate::resp::Reply;
use crate::server::Ctx;
use crate::store::now_ms;
use crate::store::value::{entry_node_size, parse_i64};
use std::sync::atomic::Ordering::Relaxed;

const MEM: u32 = 0;

pub static COMMANDS: &[CommandSpec] =
    &[
        CommandSpec::new("memory", -2, 0, NO_KEYS, super::connection::container)
            .doc(
                "server",
                "4.0.0",
                "A container for memory diagnostics commands",
            )
            .complexity("Depends on subcommand.")
            .subs(MEMORY_SUBS),
    ];

// In Redis 7.0's order (COMMAND INFO lists them so).
static MEMORY_SUBS: &[CommandSpec] = &[
    CommandSpec::new("doctor", 2, MEM, NO_KEYS, doctor)
        .doc("server", "4.0.0", "Outputs memory problems report")
        .complexity("O(1)"),
    CommandSpec::new("purge", 2, MEM, NO_KEYS, purge)
        .doc("server", "4.0.0", "Ask the allocator to release memory")
        .complexity("Depends on how much memory is allocated, could be slow"),
    CommandSpec::new("stats", 2, MEM, NO_KEYS, stats)
        .doc("server", "4.0.0", "Show memory usage details")
        .complexity("O(1)"),
    CommandSpec::new("help", 2, LOADING | STALE, NO_KEYS, help)
        .doc(
            "server",
            "4.0.0",
            "Show helpful text about the different subcommands",
        )
        .complexity("O(1)"),
    CommandSpec::new("usage", -3, READONLY, KEY2, usage)
        .doc("server", "4.0.0", "Estimate the memory usage of a key")
        .syntax("key [SAMPLES count]")
        .complexity("O(N) where N is the number of samples."),
    CommandSpec::new("malloc-stats", 2, MEM, NO_KEYS, malloc_stats)
        .doc("server", "4.0.0", "Show allocator internal stats")
        .complexity("Depends on how much memory is allocated, could be slow"),
];

fn help(_: &mut Ctx, _: &[Vec<u8>]) -> Reply {
    help_reply(
        "MEMORY",
        &[
            "DOCTOR",
            "    Return memory problems reports.",
            "MALLOC-STATS",
            "    Return internal statistics report from the memory allocator.",
            "PURGE",
            "    Attempt to purge dirty pages for reclamation by the allocator.",
            "STATS",
            "    Return information about the memory usage of the server.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
        ],
    )
}

/// The bytes `key` costs, as the store counts it (None = no such key).
pub fn key_usage(ctx: &Ctx, key: &[u8]) -> Option<usize> {
    let (s, h) = ctx.db().read(key);
    s.peek(h, key, now_ms())
        .map(|e| entry_node_size() + e.heap_size() + key.len())
}

fn usage(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let mut j = 3;
    while j < args.len() {
        if text(&args[j]).eq_ignore_ascii_case("samples") && j + 1 < args.len() {
            match parse_i64(&args[j + 1]) {
                Some(n) if n >= 0 => {}
                Some(_) => return err::syntax(),
                None => return err::not_int(),
            }
            j += 2;
        } else {
            return err::syntax();
        }
    }
    match key_usage(ctx, &args[2]) {
        Some(n) => Reply::Int(n as i64),
        None => Reply::Null,
    }
}

fn stats(ctx: &mut Ctx, _: &[Vec<u8>]) -> Reply {
    let srv = ctx.srv;
    let used = used_memory(srv);
    let peak = srv.stats.peak_memory.fetch_max(used, Relaxed).max(used);
    let rss = rss(used);
    let node = entry_node_size() as u64;
    let mut pairs: Vec<(Reply, Reply)> = Vec::new();
    let mut put = |k: &str, v: Reply| pairs.push((Reply::bulk_str(k), v));
    let int = |v: u64| Reply::Int(v.min(i64::MAX as u64) as i64);
    put("peak.allocated", int(peak));
    put("total.allocated", int(used));
    put("startup.allocated", int(BASELINE_MEMORY));
    put("replication.backlog", Reply::Int(0));
    put("clients.slaves", Reply::Int(0));
    put("clients.normal", Reply::Int(0));
    put("cluster.links", Reply::Int(0));
    put("aof.buffer", Reply::Int(0));
    put("lua.caches", Reply::Int(0));
    put("functions.caches", Reply::Int(0));
    let mut keys_total = 0u64;
    let mut overhead = BASELINE_MEMORY;
    for (i, db) in srv.store.dbs.iter().enumerate() {
        let (keys, expires, _) = db.counts();
        if keys == 0 {
            continue;
        }
        keys_total += keys as u64;
        // The per-key entry nodes are the keyspace's table overhead; an
        // expiring key's deadline lives inside its entry.
        let main = keys as u64 * node;
        let exp = expires as u64 * 8;
        overhead += main;
        put(
            &format!("db.{i}"),
            Reply::Map(vec![
                (Reply::bulk_str("overhead.hashtable.main"), int(main)),
                (Reply::bulk_str("overhead.hashtable.expires"), int(exp)),
                (
                    Reply::bulk_str("overhead.hashtable.slot-to-keys"),
                    Reply::Int(0),
                ),
            ]),
        );
    }
    let dataset = used.saturating_sub(overhead);
    let pct = |a: u64, b: u64| Reply::Double(a as f64 * 100.0 / b.max(1) as f64);
    put("overhead.total", int(overhead));
    put("keys.count", int(keys_total));
    put(
        "keys.bytes-per-key",
        int(used
            .saturating_sub(BASELINE_MEMORY)
            .checked_div(keys_total)
            .unwrap_or(0)),
    );
    put("dataset.bytes", int(dataset));
    put(
        "dataset.percentage",
        pct(dataset, used.saturating_sub(BASELINE_MEMORY)),
    );
    put("peak.percentage", pct(used, peak));
    put("allocator.allocated", int(used));
    put("allocator.active", int(used));
    put("allocator.resident", int(rss));
    put("allocator-fragmentation.ratio", Reply::Double(1.0));
    put("allocator-fragmentation.bytes", Reply::Int(0));
    let ratio = rss as f64 / used.max(1) as f64;
    put("allocator-rss.ratio", Reply::Double(ratio));
    put("allocator-rss.bytes", Reply::Int(rss as i64 - used as i64));
    put("rss-overhead.ratio", Reply::Double(1.0));
    put("rss-overhead.bytes", Reply::Int(0));
    put("fragmentation", Reply::Double(ratio));
    put("fragmentation.bytes", Reply::Int(rss as i64 - used as i64));
    Reply::Map(pairs)
}

fn doctor(ctx: &mut Ctx, _: &[Vec<u8>]) -> Reply {
    let srv = ctx.srv;
    let used = used_memory(srv);
    let peak = srv.stats.peak_memory.fetch_max(used, Relaxed).max(used);
    let rss = rss(used);
    let report = if used < 5 * 1024 * 1024 {
        "Hi Sam, this instance is empty or is using very little memory, my issues detector can't \
         be used in these conditions. Please, leave for your mission on Earth and fill it with \
         some data. The new Sam and I will be back to our programming as soon as I finished \
         rebooting."
            .to_string()
    } else {
        let mut issues = Vec::new();
        if peak as f64 > used as f64 * 1.5 {
            issues.push(
                " * Peak memory: In the past this instance used more than 150% the memory that \
                 is currently using. The allocator is normally not able to release memory after \
                 a peak, so you can expect to see a big fragmentation ratio, however this is \
                 actually harmless and is only due to the memory peak. If the memory peak was \
                 only occasional and you want to try to reclaim memory, please try the MEMORY \
                 PURGE command, otherwise the only other option is to shutdown and restart the \
                 instance.",
            );
        }
        if rss as f64 > used as f64 * 1.4 && rss.saturating_sub(used) > 10 * 1024 * 1024 {
            issues.push(
                " * High total RSS: This instance has a memory fragmentation and RSS overhead \
                 greater than 1.4 (this means that the Resident Set Size of the process is much \
                 larger than the sum of the logical allocations the server performed). Try \
                 MEMORY PURGE; INFO memory shows the figures.",
            );
        }
        let maxmemory = srv.hot.maxmemory.load(Relaxed);
        if maxmemory > 0 && used as f64 > maxmemory as f64 * 0.9 {
            issues.push(
                " * Near maxmemory: used memory is above 90% of maxmemory; writes will evict \
                 keys or be refused with OOM, depending on maxmemory-policy.",
            );
        }
        if issues.is_empty() {
            "Hi Sam, I can't find any memory issue in your instance. I can only account for what \
             occurs on this base."
                .to_string()
        } else {
            format!(
                "Sam, I detected a few issues in this instance memory implants:\n\n{}\n\nI'm here \
                 to keep you safe, Sam. I want to help you.",
                issues.join("\n\n")
            )
        }
    };
    Reply::Verbatim(format!("{report}\n").into_bytes())
}

fn malloc_stats(_: &mut Ctx, _: &[Vec<u8>]) -> Reply {
    Reply::Verbatim(b"Stats not supported for the current allocator".to_vec())
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn release_free_memory() {
    extern "C" {
        fn malloc_trim(pad: usize) -> i32;
    }
    // SAFETY: glibc's malloc_trim only walks the allocator's own arenas.
    unsafe {
        malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn release_free_memory() {}

fn purge(_: &mut Ctx, _: &[Vec<u8>]) -> Reply {
    release_free_memory();
    Reply::ok()
}
