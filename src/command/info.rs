//! INFO: Redis 7.0's sections, field names and order, CRLF lines, a
//! verbatim string reply. Fields FlashDB has no counterpart for keep
//! Redis's idle values so tools that parse INFO find them.

use super::args::lower;
use super::table::table;
use crate::resp::Reply;
use crate::server::{Ctx, Server};
use std::fmt::Write;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::OnceLock;

/// What a server without data uses (Redis reports ~870 KB at startup).
pub const BASELINE_MEMORY: u64 = 876_064;

/// Sections in output order; the bool says whether "default" includes it.
const SECTIONS: &[(&str, bool)] = &[
    ("server", true),
    ("clients", true),
    ("memory", true),
    ("persistence", true),
    ("stats", true),
    ("replication", true),
    ("cpu", true),
    ("modules", true),
    ("commandstats", false),
    ("errorstats", true),
    ("latencystats", false),
    ("cluster", true),
    ("keyspace", true),
];

pub fn info(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let mut wanted: Vec<&str> = Vec::new();
    if args.len() == 1 {
        wanted.push("default");
    }
    let names: Vec<String> = args[1..].iter().map(|a| lower(a)).collect();
    for n in &names {
        wanted.push(n.as_str());
    }
    Reply::Verbatim(generate(ctx.srv, &wanted).into_bytes())
}

/// The INFO text for the requested section names ("default", "all",
/// "everything" or section names, lower case).
pub fn generate(srv: &Server, wanted: &[&str]) -> String {
    let all = wanted.iter().any(|w| *w == "all" || *w == "everything");
    let default = wanted.contains(&"default");
    let mut out = String::new();
    for (name, in_default) in SECTIONS {
        if !(all || (default && *in_default) || wanted.contains(name)) {
            continue;
        }
        if !out.is_empty() {
            out.push_str("\r\n");
        }
        section(srv, name, &mut out);
    }
    out
}

/// Redis's bytesToHuman.
pub fn human(n: u64) -> String {
    let d = n as f64;
    const K: f64 = 1024.0;
    if d < K {
        format!("{}B", n)
    } else if d < K * K {
        format!("{:.2}K", d / K)
    } else if d < K * K * K {
        format!("{:.2}M", d / (K * K))
    } else if d < K * K * K * K {
        format!("{:.2}G", d / (K * K * K))
    } else if d < K * K * K * K * K {
        format!("{:.2}T", d / (K * K * K * K))
    } else {
        format!("{:.2}P", d / (K * K * K * K * K))
    }
}

/// Process resident memory in bytes.
#[cfg(target_os = "linux")]
pub fn rss(fallback: u64) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        })
        .map(|kb| kb * 1024)
        .unwrap_or(fallback)
}

#[cfg(not(target_os = "linux"))]
pub fn rss(fallback: u64) -> u64 {
    fallback
}

#[cfg(target_os = "linux")]
fn system_memory() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        })
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

#[cfg(not(target_os = "linux"))]
fn system_memory() -> u64 {
    0
}

/// (user, system) CPU seconds from a /proc stat file (clock ticks of 1/100 s).
#[cfg(target_os = "linux")]
fn cpu_times(path: &str) -> (f64, f64) {
    let s = std::fs::read_to_string(path).unwrap_or_default();
    // The command name (field 2) may contain spaces: split after its ')'.
    let rest = s.rsplit_once(')').map(|x| x.1).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    // rest starts at field 3 (state); utime is field 14, stime 15.
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0) / 100.0;
    (tick(11), tick(12))
}

#[cfg(not(target_os = "linux"))]
fn cpu_times(_: &str) -> (f64, f64) {
    (0.0, 0.0)
}

fn os_name() -> String {
    let read = |p: &str| {
        std::fs::read_to_string(p)
            .map(|s| s.trim().to_string())
            .ok()
    };
    match (
        read("/proc/sys/kernel/ostype"),
        read("/proc/sys/kernel/osrelease"),
    ) {
        (Some(t), Some(r)) => format!("{} {} {}", t, r, std::env::consts::ARCH),
        _ => format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
    }
}

fn repl_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| crate::server::random_hex(40))
}

/// Bytes used: the keyspace's estimate plus a fixed baseline.
pub fn used_memory(srv: &Server) -> u64 {
    srv.store.used_memory() as u64 + BASELINE_MEMORY
}

macro_rules! line {
    ($out:expr, $($arg:tt)*) => {{
        let _ = write!($out, $($arg)*);
        $out.push_str("\r\n");
    }};
}

fn section(srv: &Server, name: &str, o: &mut String) {
    match name {
        "server" => {
            let c = srv.config();
            let now_us = crate::store::now_us();
            let uptime = srv.uptime_secs();
            line!(o, "# Server");
            line!(o, "redis_version:{}", super::server::REDIS_VERSION);
            line!(o, "redis_git_sha1:00000000");
            line!(o, "redis_git_dirty:0");
            line!(o, "redis_build_id:0");
            line!(o, "redis_mode:standalone");
            line!(o, "os:{}", os_name());
            line!(o, "arch_bits:{}", usize::BITS);
            line!(o, "monotonic_clock:POSIX clock_gettime");
            // What actually waits for sockets: epoll event loops, or one
            // blocking thread per connection (`io-model`).
            let api = if cfg!(target_os = "linux") && srv.config().io_model == "epoll" {
                "epoll"
            } else {
                "threads"
            };
            line!(o, "multiplexing_api:{}", api);
            line!(o, "atomicvar_api:c11-builtin");
            line!(o, "gcc_version:0.0.0");
            line!(o, "process_id:{}", std::process::id());
            line!(o, "process_supervised:no");
            line!(o, "run_id:{}", srv.run_id);
            line!(o, "tcp_port:{}", srv.tcp_port.load(Relaxed));
            line!(o, "server_time_usec:{}", now_us);
            line!(o, "uptime_in_seconds:{}", uptime);
            line!(o, "uptime_in_days:{}", uptime / 86400);
            line!(o, "hz:{}", c.hz);
            line!(o, "configured_hz:{}", c.hz);
            line!(o, "lru_clock:{}", (now_us / 1_000_000) & ((1 << 24) - 1));
            line!(o, "executable:{}", srv.executable);
            line!(o, "config_file:{}", srv.config_file);
            line!(o, "io_threads_active:0");
            line!(o, "flashdb_version:{}", env!("CARGO_PKG_VERSION"));
        }
        "clients" => {
            let c = srv.config();
            line!(o, "# Clients");
            line!(o, "connected_clients:{}", srv.clients.len());
            line!(o, "cluster_connections:0");
            line!(o, "maxclients:{}", c.maxclients);
            line!(o, "client_recent_max_input_buffer:0");
            line!(o, "client_recent_max_output_buffer:0");
            line!(o, "blocked_clients:{}", srv.blocking.blocked_clients());
            line!(o, "tracking_clients:{}", crate::tracking::clients());
            line!(o, "clients_in_timeout_table:0");
        }
        "memory" => {
            let used = used_memory(srv);
            let peak = srv.stats.peak_memory.fetch_max(used, Relaxed).max(used);
            let rss = rss(used);
            let sys = system_memory();
            let maxmemory = srv.hot.maxmemory.load(Relaxed);
            let policy = srv.hot.policy().name();
            let dataset = used.saturating_sub(BASELINE_MEMORY);
            line!(o, "# Memory");
            line!(o, "used_memory:{}", used);
            line!(o, "used_memory_human:{}", human(used));
            line!(o, "used_memory_rss:{}", rss);
            line!(o, "used_memory_rss_human:{}", human(rss));
            line!(o, "used_memory_peak:{}", peak);
            line!(o, "used_memory_peak_human:{}", human(peak));
            line!(
                o,
                "used_memory_peak_perc:{:.2}%",
                used as f64 * 100.0 / peak.max(1) as f64
            );
            line!(o, "used_memory_overhead:{}", BASELINE_MEMORY);
            line!(o, "used_memory_startup:{}", BASELINE_MEMORY);
            line!(o, "used_memory_dataset:{}", dataset);
            line!(
                o,
                "used_memory_dataset_perc:{:.2}%",
                dataset as f64 * 100.0 / used.max(1) as f64
            );
            line!(o, "allocator_allocated:{}", used);
            line!(o, "allocator_active:{}", used);
            line!(o, "allocator_resident:{}", rss);
            line!(o, "total_system_memory:{}", sys);
            line!(o, "total_system_memory_human:{}", human(sys));
            for l in [
                "used_memory_lua:0",
                "used_memory_vm_eval:0",
                "used_memory_lua_human:0B",
                "used_memory_scripts_eval:0",
                "number_of_cached_scripts:0",
                "number_of_functions:0",
                "number_of_libraries:0",
                "used_memory_vm_functions:0",
                "used_memory_vm_total:0",
                "used_memory_vm_total_human:0B",
                "used_memory_functions:0",
                "used_memory_scripts:0",
                "used_memory_scripts_human:0B",
            ] {
                line!(o, "{}", l);
            }
            line!(o, "maxmemory:{}", maxmemory);
            line!(o, "maxmemory_human:{}", human(maxmemory));
            line!(o, "maxmemory_policy:{}", policy);
            line!(o, "allocator_frag_ratio:1.00");
            line!(o, "allocator_frag_bytes:0");
            line!(
                o,
                "allocator_rss_ratio:{:.2}",
                rss as f64 / used.max(1) as f64
            );
            line!(o, "allocator_rss_bytes:{}", rss as i64 - used as i64);
            line!(o, "rss_overhead_ratio:1.00");
            line!(o, "rss_overhead_bytes:0");
            line!(
                o,
                "mem_fragmentation_ratio:{:.2}",
                rss as f64 / used.max(1) as f64
            );
            line!(o, "mem_fragmentation_bytes:{}", rss as i64 - used as i64);
            for l in [
                "mem_not_counted_for_evict:0",
                "mem_replication_backlog:0",
                "mem_total_replication_buffers:0",
                "mem_clients_slaves:0",
                "mem_clients_normal:0",
                "mem_cluster_links:0",
                "mem_aof_buffer:0",
                "mem_allocator:libc",
                "active_defrag_running:0",
                "lazyfree_pending_objects:0",
                "lazyfreed_objects:0",
            ] {
                line!(o, "{}", l);
            }
        }
        "persistence" => {
            let p = &srv.persist;
            let now = crate::store::now_ms() / 1000;
            let wal = crate::persist::wal();
            let ws = wal.map(|w| w.stats()).unwrap_or_default();
            let wal_err = wal.and_then(|w| w.error());
            let saving = p.in_progress.load(Relaxed);
            let loading = p.loading.load(Relaxed);
            line!(o, "# Persistence");
            line!(o, "loading:{}", loading as u8);
            for l in [
                "async_loading:0",
                "current_cow_peak:0",
                "current_cow_size:0",
                "current_cow_size_age:0",
                "current_fork_perc:0.00",
                "current_save_keys_processed:0",
                "current_save_keys_total:0",
            ] {
                line!(o, "{}", l);
            }
            if loading {
                let start = p.loading_start.load(Relaxed) / 1000;
                line!(o, "loading_start_time:{}", start);
                line!(o, "loading_loaded_keys:{}", p.loading_keys.load(Relaxed));
                line!(o, "loading_elapsed_seconds:{}", now.saturating_sub(start));
            }
            line!(
                o,
                "rdb_changes_since_last_save:{}",
                crate::persist::DIRTY.load(Relaxed)
            );
            line!(o, "rdb_bgsave_in_progress:{}", saving as u8);
            line!(o, "rdb_last_save_time:{}", p.last_save.load(Relaxed));
            line!(
                o,
                "rdb_last_bgsave_status:{}",
                if p.last_bgsave_ok.load(Relaxed) {
                    "ok"
                } else {
                    "err"
                }
            );
            line!(
                o,
                "rdb_last_bgsave_time_sec:{}",
                p.last_duration.load(Relaxed)
            );
            let cur = if saving {
                now.saturating_sub(p.started.load(Relaxed)) as i64
            } else {
                -1
            };
            line!(o, "rdb_current_bgsave_time_sec:{}", cur);
            line!(o, "rdb_saves:{}", p.snapshots_taken.load(Relaxed));
            line!(o, "rdb_last_cow_size:0");
            line!(o, "rdb_last_load_keys_expired:0");
            line!(
                o,
                "rdb_last_load_keys_loaded:{}",
                p.loading_keys.load(Relaxed)
            );
            line!(o, "aof_enabled:{}", wal.is_some() as u8);
            line!(o, "aof_rewrite_in_progress:{}", saving as u8);
            line!(
                o,
                "aof_rewrite_scheduled:{}",
                p.scheduled.load(Relaxed) as u8
            );
            for l in [
                "aof_last_rewrite_time_sec:-1",
                "aof_current_rewrite_time_sec:-1",
                "aof_last_bgrewrite_status:ok",
                "aof_rewrites:0",
                "aof_rewrites_consecutive_failures:0",
            ] {
                line!(o, "{}", l);
            }
            line!(
                o,
                "aof_last_write_status:{}",
                if wal_err.is_some() { "err" } else { "ok" }
            );
            line!(o, "aof_last_cow_size:0");
            line!(o, "module_fork_in_progress:0");
            line!(o, "module_fork_last_cow_size:0");
            if wal.is_some() {
                line!(o, "aof_current_size:{}", ws.total_bytes);
                line!(o, "aof_base_size:0");
                line!(o, "aof_pending_rewrite:0");
                line!(o, "aof_buffer_length:0");
                line!(o, "aof_pending_bio_fsync:0");
                line!(o, "aof_delayed_fsync:0");
            }
        }
        "stats" => {
            let s = &srv.stats;
            let (ops, inp, outp) = s.instantaneous();
            line!(o, "# Stats");
            line!(
                o,
                "total_connections_received:{}",
                s.connections_received.load(Relaxed)
            );
            line!(
                o,
                "total_commands_processed:{}",
                s.commands_processed.load(Relaxed)
            );
            line!(o, "instantaneous_ops_per_sec:{}", ops);
            line!(
                o,
                "total_net_input_bytes:{}",
                s.net_input_bytes.load(Relaxed)
            );
            line!(
                o,
                "total_net_output_bytes:{}",
                s.net_output_bytes.load(Relaxed)
            );
            line!(o, "total_net_repl_input_bytes:0");
            line!(o, "total_net_repl_output_bytes:0");
            line!(o, "instantaneous_input_kbps:{:.2}", inp / 1024.0);
            line!(o, "instantaneous_output_kbps:{:.2}", outp / 1024.0);
            line!(o, "instantaneous_input_repl_kbps:0.00");
            line!(o, "instantaneous_output_repl_kbps:0.00");
            line!(
                o,
                "rejected_connections:{}",
                s.rejected_connections.load(Relaxed)
            );
            line!(o, "rate_limited_commands:{}", s.rate_limited.load(Relaxed));
            line!(
                o,
                "client_output_buffer_limit_disconnections:{}",
                crate::pubsub::obuf_disconnections()
            );
            line!(o, "sync_full:0");
            line!(o, "sync_partial_ok:0");
            line!(o, "sync_partial_err:0");
            line!(
                o,
                "expired_keys:{}",
                crate::store::EXPIRED_KEYS.load(Relaxed)
            );
            for l in [
                "expired_stale_perc:0.00",
                "expired_time_cap_reached_count:0",
                "expire_cycle_cpu_milliseconds:0",
            ] {
                line!(o, "{}", l);
            }
            line!(o, "evicted_keys:{}", s.evicted_keys.load(Relaxed));
            line!(o, "evicted_clients:0");
            let current = srv.evict.current_exceeded_us();
            line!(
                o,
                "total_eviction_exceeded_time:{}",
                (s.eviction_exceeded_us.load(Relaxed) + current) / 1000
            );
            line!(o, "current_eviction_exceeded_time:{}", current / 1000);
            line!(o, "keyspace_hits:{}", s.keyspace_hits.load(Relaxed));
            line!(o, "keyspace_misses:{}", s.keyspace_misses.load(Relaxed));
            let (channels, patterns, shard) = crate::pubsub::hub().counts();
            line!(o, "pubsub_channels:{}", channels);
            line!(o, "pubsub_patterns:{}", patterns);
            line!(o, "pubsubshard_channels:{}", shard);
            line!(o, "latest_fork_usec:0");
            line!(o, "total_forks:0");
            line!(o, "migrate_cached_sockets:{}", srv.migrate.len());
            for l in [
                "slave_expires_tracked_keys:0",
                "active_defrag_hits:0",
                "active_defrag_misses:0",
                "active_defrag_key_hits:0",
                "active_defrag_key_misses:0",
                "total_active_defrag_time:0",
                "current_active_defrag_time:0",
            ] {
                line!(o, "{}", l);
            }
            let (keys, items, prefixes) = crate::tracking::totals();
            line!(o, "tracking_total_keys:{}", keys);
            line!(o, "tracking_total_items:{}", items);
            line!(o, "tracking_total_prefixes:{}", prefixes);
            line!(o, "unexpected_error_replies:0");
            line!(o, "total_error_replies:{}", s.error_replies.load(Relaxed));
            line!(o, "dump_payload_sanitizations:0");
            line!(
                o,
                "total_reads_processed:{}",
                s.reads_processed.load(Relaxed)
            );
            line!(
                o,
                "total_writes_processed:{}",
                s.writes_processed.load(Relaxed)
            );
            line!(o, "io_threaded_reads_processed:0");
            line!(o, "io_threaded_writes_processed:0");
            line!(o, "reply_buffer_shrinks:0");
            line!(o, "reply_buffer_expands:0");
            // FlashDB's own: failed TLS handshakes (Redis only logs them).
            line!(
                o,
                "tls_handshake_failures:{}",
                s.tls_handshake_failures.load(Relaxed)
            );
        }
        "replication" => {
            line!(o, "# Replication");
            line!(o, "role:master");
            line!(o, "connected_slaves:0");
            line!(o, "master_failover_state:no-failover");
            line!(o, "master_replid:{}", repl_id());
            line!(o, "master_replid2:0000000000000000000000000000000000000000");
            line!(o, "master_repl_offset:0");
            line!(o, "second_repl_offset:-1");
            line!(o, "repl_backlog_active:0");
            line!(o, "repl_backlog_size:1048576");
            line!(o, "repl_backlog_first_byte_offset:0");
            line!(o, "repl_backlog_histlen:0");
        }
        "cpu" => {
            let (user, sys) = cpu_times("/proc/self/stat");
            let (muser, msys) = cpu_times(&format!("/proc/self/task/{}/stat", std::process::id()));
            line!(o, "# CPU");
            line!(o, "used_cpu_sys:{:.6}", sys);
            line!(o, "used_cpu_user:{:.6}", user);
            line!(o, "used_cpu_sys_children:0.000000");
            line!(o, "used_cpu_user_children:0.000000");
            line!(o, "used_cpu_sys_main_thread:{:.6}", msys);
            line!(o, "used_cpu_user_main_thread:{:.6}", muser);
        }
        "modules" => line!(o, "# Modules"),
        "commandstats" => {
            line!(o, "# Commandstats");
            let t = table();
            for id in t.all_ids() {
                let c = &srv.stats.cmd[id];
                let (calls, usec) = (c.calls.load(Relaxed), c.usec.load(Relaxed));
                let (rejected, failed) =
                    (c.rejected_calls.load(Relaxed), c.failed_calls.load(Relaxed));
                if calls == 0 && rejected == 0 && failed == 0 {
                    continue;
                }
                // Redis divides in single precision: `(float)usec/calls`.
                let per = if calls == 0 {
                    0.0
                } else {
                    (usec as f32 / calls as f32) as f64
                };
                line!(
                    o,
                    "cmdstat_{}:calls={},usec={},usec_per_call={:.2},rejected_calls={},failed_calls={}",
                    t.full_name(id),
                    calls,
                    usec,
                    per,
                    rejected,
                    failed
                );
            }
        }
        "errorstats" => {
            line!(o, "# Errorstats");
            let m = srv.stats.errors.lock().unwrap_or_else(|e| e.into_inner());
            for (code, n) in m.iter() {
                line!(o, "errorstat_{}:count={}", code, n);
            }
        }
        "latencystats" => {
            line!(o, "# Latencystats");
            crate::obs::info_latencystats(srv, o);
        }
        "cluster" => {
            line!(o, "# Cluster");
            line!(o, "cluster_enabled:0");
        }
        "keyspace" => {
            line!(o, "# Keyspace");
            for (i, db) in srv.store.dbs.iter().enumerate() {
                let (keys, expires, _) = db.counts();
                if keys > 0 {
                    let avg_ttl = if expires == 0 {
                        0
                    } else {
                        db.avg_ttl.load(std::sync::atomic::Ordering::Relaxed)
                    };
                    line!(
                        o,
                        "db{}:keys={},expires={},avg_ttl={}",
                        i,
                        keys,
                        expires,
                        avg_ttl
                    );
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_like_redis() {
        assert_eq!(human(0), "0B");
        assert_eq!(human(1023), "1023B");
        assert_eq!(human(1_015_072), "991.28K");
        assert_eq!(human(6_971_392), "6.65M");
        assert_eq!(human(25_276_063_744), "23.54G");
    }

    #[test]
    fn sections_and_order() {
        let srv = Server::new(crate::config::Config::default());
        let s = generate(&srv, &["default"]);
        let heads: Vec<&str> = s.lines().filter(|l| l.starts_with('#')).collect();
        assert_eq!(
            heads,
            [
                "# Server",
                "# Clients",
                "# Memory",
                "# Persistence",
                "# Stats",
                "# Replication",
                "# CPU",
                "# Modules",
                "# Errorstats",
                "# Cluster",
                "# Keyspace"
            ]
        );
        assert!(s.contains("\r\n\r\n# Clients\r\n"));
        assert!(generate(&srv, &["all"]).contains("# Commandstats"));
        assert_eq!(generate(&srv, &["nosuch"]), "");
        let two = generate(&srv, &["cpu", "server"]);
        assert!(two.starts_with("# Server\r\n") && two.contains("# CPU"));
    }
}
