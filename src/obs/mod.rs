//! Observability on RESP: the slow log, MONITOR, the latency monitor and
//! per-command latency histograms, as Redis 7.0 has them (the commands
//! themselves are in src/command/obs.rs; INFO commandstats/latencystats in
//! src/command/info.rs).
//!
//! - [`slowlog`]: SLOWLOG's ring of slow commands.
//! - [`monitor`]: MONITOR's registry and line format.
//! - [`latency`]: LATENCY's events, graph and doctor.
//! - [`hist`]: the HdrHistogram-compatible per-command histograms.
//!
//! # The request path
//! `exec::call` already times every command. It hands the result to
//! [`after_call`], which costs a few relaxed loads of settings that rarely
//! change: a histogram record goes into the connection's own batch
//! ([`ClientObs`], added to the shared atomics by [`flush`] with the other
//! command stats), the slow log's mutex is taken only for a command at or
//! above `slowlog-log-slower-than`, the latency monitor's only for one at or
//! above `latency-monitor-threshold`, and MONITOR costs one atomic load
//! while nobody monitors.
//!
//! Settings live in process-wide atomics (like the Pub/Sub hub), set from
//! the configuration at start-up and on every CONFIG SET ([`configure`]).

pub mod hist;
pub mod latency;
pub mod monitor;
pub mod slowlog;

use crate::command::{CommandSpec, FAST, SKIP_SLOWLOG};
use crate::config::Config;
use crate::resp::Reply;
use crate::server::{Client, Server};
use std::fmt::Write;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering::Relaxed};
use std::sync::RwLock;

/// What replaces a secret argument in the slow log and MONITOR.
pub const REDACTED: &[u8] = b"(redacted)";

/// The settings the request path reads.
struct Settings {
    slowlog_slower_than: AtomicI64,
    slowlog_max_len: AtomicU64,
    latency_threshold_ms: AtomicU64,
    tracking: AtomicBool,
    /// `latency-tracking-info-percentiles` (None = the default).
    percentiles: RwLock<Option<Vec<f64>>>,
    /// `client-output-buffer-limit normal`: hard, soft, seconds.
    normal_limits: [AtomicU64; 3],
}

static SETTINGS: Settings = Settings {
    slowlog_slower_than: AtomicI64::new(10_000),
    slowlog_max_len: AtomicU64::new(128),
    latency_threshold_ms: AtomicU64::new(0),
    tracking: AtomicBool::new(true),
    percentiles: RwLock::new(None),
    normal_limits: [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)],
};

/// Applies the configuration (start-up and every CONFIG SET).
pub fn configure(c: &Config) {
    let s = &SETTINGS;
    s.slowlog_slower_than
        .store(c.slowlog_log_slower_than, Relaxed);
    s.slowlog_max_len.store(c.slowlog_max_len, Relaxed);
    s.latency_threshold_ms
        .store(c.latency_monitor_threshold, Relaxed);
    s.tracking.store(c.latency_tracking, Relaxed);
    let p: Vec<f64> = c
        .latency_tracking_info_percentiles
        .iter()
        .filter_map(|v| v.parse().ok())
        .collect();
    *s.percentiles.write().unwrap_or_else(|e| e.into_inner()) = Some(p);
    let normal = crate::config::output_buffer_limits(&c.client_output_buffer_limit)[0];
    for (slot, v) in s.normal_limits.iter().zip(normal) {
        slot.store(v, Relaxed);
    }
}

fn latency_threshold() -> u64 {
    SETTINGS.latency_threshold_ms.load(Relaxed)
}

fn normal_limits() -> (u64, u64, u64) {
    let l = &SETTINGS.normal_limits;
    (l[0].load(Relaxed), l[1].load(Relaxed), l[2].load(Relaxed))
}

/// A connection's share of this module's state (owned by its thread).
#[derive(Default)]
pub struct ClientObs {
    /// Histogram records not yet added to the shared counters:
    /// (command id, counter, calls).
    hist: Vec<(usize, usize, u64)>,
    /// MONITOR lines about this client's own commands, sent after the
    /// command's reply.
    self_lines: Vec<u8>,
    /// MONITOR ran: the client becomes a monitor once its `+OK` is queued.
    start_monitor: bool,
}

/// Argument positions Redis replaces by `(redacted)` in the slow log and
/// MONITOR: AUTH's credentials, HELLO ... AUTH's, and the values of
/// secret directives in CONFIG SET (what Redis 7.0 redacts).
pub fn redactions(args: &[Vec<u8>]) -> Vec<usize> {
    let is = |i: usize, w: &str| {
        args.get(i)
            .is_some_and(|a| a.eq_ignore_ascii_case(w.as_bytes()))
    };
    let mut v = Vec::new();
    if is(0, "auth") {
        if args.len() <= 3 {
            v.extend(1..args.len());
        }
    } else if is(0, "hello") && args.len() >= 2 {
        // Only once the protocol version is accepted, and up to the first
        // bad option, as Redis scans them.
        if !matches!(crate::command::args::int(&args[1]), Ok(2..=3)) {
            return v;
        }
        let mut j = 2;
        while j < args.len() {
            let more = args.len() - 1 - j;
            if is(j, "auth") && more >= 2 {
                v.extend([j + 1, j + 2]);
                j += 3;
            } else if is(j, "setname") && more >= 1 {
                j += 2;
            } else {
                break;
            }
        }
    } else if is(0, "migrate") {
        v = crate::command::migrate::redactions(args);
    } else if is(0, "config") && is(1, "set") && args.len().is_multiple_of(2) {
        const SECRET: &[&str] = &[
            "requirepass",
            "masterauth",
            "masteruser",
            "tls-key-file-pass",
            "tls-client-key-file-pass",
        ];
        for i in (2..args.len()).step_by(2) {
            if SECRET.iter().any(|s| is(i, s)) {
                v.push(i + 1);
            }
        }
    }
    v
}

/// After a command ran to completion (`exec::call`; not one that just
/// blocked): the histogram record, the slow log, the latency monitor and
/// MONITOR. `rerun` = a blocked command re-run after a wake-up (MONITOR
/// showed it when it first ran; Redis does not log one that timed out).
#[inline]
pub fn after_call(
    client: &mut Client,
    id: usize,
    spec: &CommandSpec,
    args: &[Vec<u8>],
    us: u64,
    reply: &Reply,
    rerun: bool,
) {
    let s = &SETTINGS;
    if s.tracking.load(Relaxed) {
        record(client, id, us);
    }
    let slower = s.slowlog_slower_than.load(Relaxed);
    if slower >= 0
        && us as i64 >= slower
        && spec.flags & SKIP_SLOWLOG == 0
        && !(rerun && matches!(reply, Reply::Null | Reply::NullArray))
    {
        slow(client, args, us);
    }
    let t = s.latency_threshold_ms.load(Relaxed);
    if t > 0 && us / 1000 >= t {
        let event = if spec.flags & FAST != 0 {
            "fast-command"
        } else {
            "command"
        };
        latency::add_sample(event, us / 1000);
    }
    if !rerun && monitor::active() {
        feed_monitors(client, spec, args);
    }
}

/// A blocking command that found nothing and now waits: MONITOR shows it
/// at once (Redis does), the rest waits for it to be served.
pub fn on_blocked(client: &mut Client, spec: &CommandSpec, args: &[Vec<u8>], rerun: bool) {
    if !rerun && monitor::active() {
        feed_monitors(client, spec, args);
    }
}

fn feed_monitors(client: &mut Client, spec: &CommandSpec, args: &[Vec<u8>]) {
    if spec.flags & (crate::command::ADMIN | crate::command::SKIP_MONITOR) == 0 {
        monitor::feed(client, args, &redactions(args));
    }
}

fn record(client: &mut Client, id: usize, us: u64) {
    let idx = hist::index_for_us(us);
    match client.obs.hist.iter_mut().find(|p| p.0 == id && p.1 == idx) {
        Some(p) => p.2 += 1,
        None => client.obs.hist.push((id, idx, 1)),
    }
}

fn slow(client: &Client, args: &[Vec<u8>], us: u64) {
    let name = client
        .info
        .name
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let e = slowlog::Entry {
        id: 0,
        time: crate::store::now_us() / 1_000_000,
        duration: us,
        args: slowlog::entry_args(args, &redactions(args)),
        peer: client.info.addr.to_string(),
        name,
    };
    let max = SETTINGS.slowlog_max_len.load(Relaxed);
    slowlog::push(e, usize::try_from(max).unwrap_or(usize::MAX));
}

/// Whether the batch of histogram records is big enough to flush now.
pub fn batch_full(client: &Client) -> bool {
    client.obs.hist.len() > 32
}

/// After a command's reply was queued (`exec::execute`): MONITOR lines
/// about the client's own commands, and a MONITOR that just succeeded
/// takes effect.
#[inline]
pub fn after_reply(client: &mut Client, out: &mut Vec<u8>) {
    if !client.obs.self_lines.is_empty() {
        if !client.reply_off {
            out.extend_from_slice(&client.obs.self_lines);
        }
        client.obs.self_lines.clear();
    }
    if std::mem::take(&mut client.obs.start_monitor) {
        monitor::start(&client.info);
    }
}

/// MONITOR's handler: the client becomes a monitor after its reply.
pub fn request_monitor(client: &mut Client) {
    client.obs.start_monitor = true;
}

/// Adds the connection's histogram records to the shared counters (with
/// the other command stats, `exec::flush_stats`).
pub fn flush(srv: &Server, client: &mut Client) {
    for (id, idx, n) in client.obs.hist.drain(..) {
        srv.stats.cmd[id].hist.add(idx, n);
    }
}

/// Every command's latency histogram merged (the WebSocket `stats`
/// stream's p50/p99); None before any command ran.
pub fn all_commands(srv: &Server) -> Option<hist::Snapshot> {
    let mut all: Option<hist::Snapshot> = None;
    for st in &srv.stats.cmd {
        if let Some(h) = st.hist.snapshot() {
            match &mut all {
                Some(a) => a.merge(&h),
                None => all = Some(h),
            }
        }
    }
    all
}

/// Redis's `%f` then trimDoubleString: `50`, `99.9`, `12.5`.
fn percentile_name(p: f64) -> String {
    let s = format!("{:.6}", p);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// INFO latencystats' lines (after its header): per command with a
/// histogram, `latency_percentiles_usec_<name>:p50=..,p99=..,p99.9=..`.
pub fn info_latencystats(srv: &Server, out: &mut String) {
    if !SETTINGS.tracking.load(Relaxed) {
        return;
    }
    let ps = SETTINGS
        .percentiles
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
        .unwrap_or_else(|| vec![50.0, 99.0, 99.9]);
    let t = crate::command::table::table();
    for id in t.all_ids() {
        let Some(h) = srv.stats.cmd[id].hist.snapshot() else {
            continue;
        };
        let _ = write!(out, "latency_percentiles_usec_{}:", t.full_name(id));
        for (i, p) in ps.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let v = h.value_at_percentile(*p) as f64 / 1000.0;
            let _ = write!(out, "p{}={:.3}", percentile_name(*p), v);
        }
        out.push_str("\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(v: &[&str]) -> Vec<Vec<u8>> {
        v.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    #[test]
    fn redactions_like_redis() {
        assert_eq!(redactions(&a(&["AUTH", "pw"])), [1]);
        assert_eq!(redactions(&a(&["auth", "u", "pw"])), [1, 2]);
        assert!(redactions(&a(&["AUTH", "a", "b", "c"])).is_empty());
        assert_eq!(
            redactions(&a(&["HELLO", "3", "AUTH", "u", "p", "SETNAME", "n"])),
            [3, 4]
        );
        assert_eq!(
            redactions(&a(&["HELLO", "2", "SETNAME", "x", "AUTH", "u", "p"])),
            [5, 6]
        );
        assert!(redactions(&a(&["HELLO", "9", "AUTH", "u", "p"])).is_empty());
        assert_eq!(
            redactions(&a(&["HELLO", "3", "AUTH", "u", "p", "BAD"])),
            [3, 4]
        );
        assert_eq!(
            redactions(&a(&[
                "CONFIG",
                "SET",
                "requirepass",
                "x",
                "maxmemory-samples",
                "5",
                "MASTERAUTH",
                "y"
            ])),
            [3, 7]
        );
        assert!(redactions(&a(&["CONFIG", "SET", "requirepass"])).is_empty());
        assert!(redactions(&a(&["SET", "auth", "x"])).is_empty());
    }

    #[test]
    fn percentile_names() {
        assert_eq!(percentile_name(50.0), "50");
        assert_eq!(percentile_name(99.9), "99.9");
        assert_eq!(percentile_name(99.99), "99.99");
        assert_eq!(percentile_name(0.0), "0");
        assert_eq!(percentile_name(12.5), "12.5");
    }
}
