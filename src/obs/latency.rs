//! The latency monitor (LATENCY LATEST / HISTORY / RESET / GRAPH / DOCTOR):
//! per event, the worst latency of each second it was at or above
//! `latency-monitor-threshold` milliseconds (the last 160 such seconds)
//! and the all-time maximum — Redis's `latencyAddSample` and its reports,
//! with Redis's texts.
//!
//! Events recorded (Redis's names where Redis has the same thing):
//! - `command`, `fast-command`: a command's run time (`exec::call`).
//! - `expire-cycle`: one active-expiry cycle (the cron thread).
//! - `aof-write`: one write(2) of the WAL; `aof-fsync-always`: one fsync
//!   under `appendfsync always` (src/persist/wal.rs).
//! - `snapshot`: FlashDB's own: the longest a snapshot held one stripe
//!   (its commands waited that long; snapshots never stop the world).
//!
//! Samples are rare (at or above the threshold), so one mutex is plenty; a
//! disabled monitor costs one atomic load per would-be sample.

use crate::resp::Reply;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

/// Redis's LATENCY_TS_LEN.
const TS_LEN: usize = 160;
/// Redis's LATENCY_GRAPH_COLS.
const GRAPH_COLS: usize = 80;

/// One event's samples: (unix seconds, ms), oldest at `idx` once full.
struct Series {
    samples: [(u64, u64); TS_LEN],
    idx: usize,
    max: u64,
}

static EVENTS: Mutex<BTreeMap<String, Series>> = Mutex::new(BTreeMap::new());

fn events() -> std::sync::MutexGuard<'static, BTreeMap<String, Series>> {
    EVENTS.lock().unwrap_or_else(|e| e.into_inner())
}

fn unix_now() -> u64 {
    crate::store::now_us() / 1_000_000
}

/// Records `ms` for `event` when the monitor is on and it reaches the
/// threshold (`latencyAddSampleIfNeeded`).
#[inline]
pub fn add_sample_if_needed(event: &str, ms: u64) {
    let t = super::latency_threshold();
    if t > 0 && ms >= t {
        add_sample(event, ms);
    }
}

/// A start time for [`end`], taken only while the monitor is on.
#[inline]
pub fn start() -> Option<Instant> {
    (super::latency_threshold() > 0).then(Instant::now)
}

/// Records the time since [`start`] as `event`.
#[inline]
pub fn end(event: &str, start: Option<Instant>) {
    if let Some(t) = start {
        add_sample_if_needed(event, t.elapsed().as_millis() as u64);
    }
}

/// `latencyAddSample`: one sample per second per event (the worst).
pub fn add_sample(event: &str, ms: u64) {
    let now = unix_now();
    let mut ev = events();
    let ts = ev.entry(event.to_string()).or_insert_with(|| Series {
        samples: [(0, 0); TS_LEN],
        idx: 0,
        max: 0,
    });
    ts.max = ts.max.max(ms);
    let prev = (ts.idx + TS_LEN - 1) % TS_LEN;
    if ts.samples[prev].0 == now {
        ts.samples[prev].1 = ts.samples[prev].1.max(ms);
        return;
    }
    ts.samples[ts.idx] = (now, ms);
    ts.idx = (ts.idx + 1) % TS_LEN;
}

/// The samples of a series, oldest first.
fn ordered(ts: &Series) -> impl Iterator<Item = (u64, u64)> + '_ {
    (0..TS_LEN)
        .map(move |j| ts.samples[(ts.idx + j) % TS_LEN])
        .filter(|s| s.0 != 0)
}

/// LATENCY LATEST: [event, time, latest ms, all-time max ms] per event.
pub fn latest() -> Reply {
    let ev = events();
    Reply::Array(
        ev.iter()
            .map(|(name, ts)| {
                let last = ts.samples[(ts.idx + TS_LEN - 1) % TS_LEN];
                Reply::Array(vec![
                    Reply::bulk_str(name),
                    Reply::Int(last.0 as i64),
                    Reply::Int(last.1 as i64),
                    Reply::Int(ts.max as i64),
                ])
            })
            .collect(),
    )
}

/// LATENCY HISTORY: [time, ms] pairs, oldest first (empty for an unknown event).
pub fn history(event: &[u8]) -> Reply {
    let ev = events();
    let Some(ts) = std::str::from_utf8(event).ok().and_then(|e| ev.get(e)) else {
        return Reply::Array(Vec::new());
    };
    Reply::Array(
        ordered(ts)
            .map(|(t, ms)| Reply::Array(vec![Reply::Int(t as i64), Reply::Int(ms as i64)]))
            .collect(),
    )
}

/// LATENCY RESET: drops the named events (case-insensitively), or all of
/// them; returns how many.
pub fn reset(names: &[Vec<u8>]) -> i64 {
    let mut ev = events();
    let before = ev.len();
    if names.is_empty() {
        ev.clear();
    } else {
        ev.retain(|k, _| !names.iter().any(|n| n.eq_ignore_ascii_case(k.as_bytes())));
    }
    (before - ev.len()) as i64
}

/// LATENCY GRAPH: Redis's ASCII sparkline, or None for an unknown event.
pub fn graph(event: &[u8]) -> Option<String> {
    let ev = events();
    let name = std::str::from_utf8(event).ok()?;
    let ts = ev.get(name)?;
    let now = unix_now();
    let mut seq: Vec<(f64, String)> = Vec::new();
    let (mut min, mut max) = (0u64, 0u64);
    for (t, ms) in ordered(ts) {
        if seq.is_empty() {
            (min, max) = (ms, ms);
        } else {
            max = max.max(ms);
            min = min.min(ms);
        }
        let elapsed = now as i64 - t as i64;
        let label = if elapsed < 60 {
            format!("{}s", elapsed)
        } else if elapsed < 3600 {
            format!("{}m", elapsed / 60)
        } else if elapsed < 3600 * 24 {
            format!("{}h", elapsed / 3600)
        } else {
            format!("{}d", elapsed / (3600 * 24))
        };
        seq.push((ms as f64, label));
    }
    let mut g = format!(
        "{} - high {} ms, low {} ms (all time high {} ms)\n",
        name, max, min, ts.max
    );
    g.push_str(&"-".repeat(GRAPH_COLS));
    g.push('\n');
    sparkline(&mut g, &seq, GRAPH_COLS, 4);
    Some(g)
}

/// Redis's `sparklineRender` with SPARKLINE_FILL: `rows` rows of `_o#|`
/// bars, then the labels written vertically, `columns` samples per block.
fn sparkline(out: &mut String, seq: &[(f64, String)], columns: usize, rows: usize) {
    let (min, max) = seq.iter().fold((f64::MAX, f64::MIN), |(lo, hi), s| {
        (lo.min(s.0), hi.max(s.0))
    });
    let mut j = 0;
    while j < seq.len() {
        if j != 0 {
            out.push('\n');
        }
        let part = &seq[j..(j + columns).min(seq.len())];
        render_range(out, part, min, max, rows);
        j += columns;
    }
}

fn render_range(out: &mut String, part: &[(f64, String)], min: f64, max: f64, rows: usize) {
    const FILL: [char; 3] = ['_', 'o', '#'];
    let charset_len = FILL.len() as i64;
    let steps = charset_len * rows as i64;
    let relmax = if max - min == 0.0 { 1.0 } else { max - min };
    let labels = part.iter().any(|s| !s.1.is_empty());
    let mut row = 0usize;
    loop {
        let mut chars = vec![' '; part.len()];
        let mut more = false;
        for (j, (value, label)) in part.iter().enumerate() {
            let relval = value - min;
            // C: (int)(relval*steps) / relmax, truncated again to an int.
            let mut step = (((relval * steps as f64) as i64) as f64 / relmax) as i64;
            step = step.clamp(0, steps - 1);
            if row < rows {
                let idx = step - (rows - row - 1) as i64 * charset_len;
                more = true;
                if (0..charset_len).contains(&idx) {
                    chars[j] = FILL[idx as usize];
                } else if idx >= charset_len {
                    chars[j] = '|';
                }
            } else {
                // One blank line between the bars and the labels.
                if labels && row - rows < 1 {
                    more = true;
                    break;
                }
                let at = row - rows - 1;
                if let Some(c) = label.chars().nth(at) {
                    more = true;
                    chars[j] = c;
                }
            }
        }
        if !more {
            break;
        }
        row += 1;
        out.extend(chars);
        out.push('\n');
    }
}

/// What LATENCY DOCTOR's advice depends on besides the events.
pub struct DoctorContext {
    pub slowlog_log_slower_than: i64,
    pub latency_monitor_threshold: u64,
    pub hz: u32,
    pub fsync_always: bool,
}

/// Per-event statistics (`analyzeLatencyForEvent`).
struct Analysis {
    samples: u64,
    avg: u64,
    mad: u64,
    period: u64,
}

fn analyze(ts: &Series, now: u64) -> Analysis {
    let mut a = Analysis {
        samples: 0,
        avg: 0,
        mad: 0,
        period: 0,
    };
    let mut sum = 0u64;
    for s in ts.samples.iter().filter(|s| s.0 != 0) {
        a.samples += 1;
        sum += s.1;
        if a.period == 0 || s.0 < a.period {
            a.period = s.0;
        }
    }
    if let Some(avg) = sum.checked_div(a.samples) {
        a.avg = avg;
        a.period = now.saturating_sub(a.period).max(1);
        let dev: u64 = ts
            .samples
            .iter()
            .filter(|s| s.0 != 0)
            .map(|s| (a.avg as i64 - s.1 as i64).unsigned_abs())
            .sum();
        a.mad = dev / a.samples;
    }
    a
}

/// LATENCY DOCTOR: Redis's report (`createLatencyReport`), with the advice
/// that applies to the events FlashDB records.
pub fn doctor(ctx: &DoctorContext) -> String {
    let ev = events();
    if ev.is_empty() && ctx.latency_monitor_threshold == 0 {
        return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n".into();
    }
    let now = unix_now();
    let mut report = String::new();
    let mut advices = 0;
    let (mut slowlog_enable, mut slowlog_tune, mut slowlog_inspect) = (false, false, false);
    let (mut scheduler, mut relax_fsync, mut hz, mut large_objects) = (false, false, false, false);
    for (n, (event, ts)) in ev.iter().enumerate() {
        if n == 0 {
            report.push_str("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n");
        }
        let a = analyze(ts, now);
        report.push_str(&format!(
            "{}. {}: {} latency spikes (average {}ms, mean deviation {}ms, period {:.2} sec). Worst all time event {}ms.",
            n + 1,
            event,
            a.samples,
            a.avg,
            a.mad,
            a.period as f64 / a.samples.max(1) as f64,
            ts.max
        ));
        match event.as_str() {
            "command" => {
                if ctx.slowlog_log_slower_than < 0 {
                    slowlog_enable = true;
                    advices += 1;
                } else if ctx.slowlog_log_slower_than / 1000 > ctx.latency_monitor_threshold as i64
                {
                    slowlog_tune = true;
                    advices += 1;
                }
                slowlog_inspect = true;
                large_objects = true;
                advices += 2;
            }
            "fast-command" => {
                scheduler = true;
                advices += 1;
            }
            "aof-fsync-always" => {
                relax_fsync = true;
                advices += 1;
            }
            "expire-cycle" => {
                hz = true;
                large_objects = true;
                advices += 2;
            }
            _ => {}
        }
        report.push('\n');
    }
    let thp = anon_huge_pages() > 0;
    if thp {
        advices += 1;
    }
    if ev.is_empty() && advices == 0 {
        report.push_str("Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n");
        return report;
    }
    if advices == 0 {
        report.push_str("\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n");
        return report;
    }
    report.push_str("\nI have a few advices for you:\n\n");
    let want = ctx.latency_monitor_threshold * 1000;
    if slowlog_enable {
        report.push_str(&format!("- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than {want}'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n"));
    }
    if slowlog_tune {
        report.push_str(&format!("- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than {want}'.\n"));
    }
    if slowlog_inspect {
        report.push_str("- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n");
    }
    if scheduler {
        report.push_str("- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n  1) Lower the system load.\n  2) Use a computer / VM just for Redis if you are running other software in the same system.\n  3) Check if you have a \"noisy neighbour\" problem.\n  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n");
    }
    if relax_fsync && ctx.fsync_always {
        report.push_str("- Your fsync policy is set to 'always'. It is very hard to get good performances with such a setup, if possible try to relax the fsync policy to 'onesec'.\n");
    }
    if hz && ctx.hz < 100 {
        report.push_str("- In order to make the Redis keys expiring process more incremental, try to set the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n");
    }
    if large_objects {
        report.push_str("- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n");
    }
    if thp {
        report.push_str("- I detected a non zero amount of anonymous huge pages used by your process. This creates very serious latency events in different conditions, especially when Redis is persisting on disk. To disable THP support use the command 'echo never > /sys/kernel/mm/transparent_hugepage/enabled', make sure to also add it into /etc/rc.local so that the command will be executed again after a reboot. Note that even if you have already disabled THP, you still need to restart the Redis process to get rid of the huge pages already created.\n");
    }
    report
}

/// Bytes of transparent huge pages the process uses (Redis's
/// `THPGetAnonHugePagesSize`); 0 where unknown.
fn anon_huge_pages() -> u64 {
    let Ok(s) = std::fs::read_to_string("/proc/self/smaps_rollup")
        .or_else(|_| std::fs::read_to_string("/proc/self/smaps"))
    else {
        return 0;
    };
    s.lines()
        .filter_map(|l| l.strip_prefix("AnonHugePages:"))
        .filter_map(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .sum::<u64>()
        * 1024
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_like_redis() {
        // Redis: samples 55, 126, 31 ms taken 3, 2 and 1 s ago.
        let seq = vec![
            (55.0, "3s".to_string()),
            (126.0, "2s".to_string()),
            (31.0, "1s".to_string()),
        ];
        let mut g = String::new();
        sparkline(&mut g, &seq, GRAPH_COLS, 4);
        assert_eq!(g, " # \n | \n_| \n||_\n   \n321\nsss\n");
    }

    #[test]
    fn flat_sparkline() {
        let seq = vec![(7.0, "0s".to_string()), (7.0, "12s".to_string())];
        let mut g = String::new();
        sparkline(&mut g, &seq, GRAPH_COLS, 4);
        assert_eq!(g, "  \n  \n  \n__\n  \n01\ns2\n s\n");
    }
}
