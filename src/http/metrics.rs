//! `GET /api/v1/metrics`: Prometheus text exposition format 0.0.4.
//!
//! The numbers come from the INFO text (`command::info::generate`, read
//! directly so a scrape does not count as a command), the WAL's own
//! counters, and the web plane's request counters. Every family has HELP
//! and TYPE lines; names are `flashdb_*`, counters end in `_total`.

use super::api::parse_info;
use super::Http;
use crate::obs::hist::{pow4_bound_us, POW4_BUCKETS, PROM_BOUNDS_US};
use serde_json::{Map, Value};
use std::fmt::Write;
use std::sync::atomic::Ordering::Relaxed;

struct Family {
    name: String,
    kind: &'static str,
    help: &'static str,
    /// (sample name suffix: "" or `_bucket`/`_sum`/`_count`, labels, value).
    samples: Vec<(&'static str, String, f64)>,
}

#[derive(Default)]
struct Out(Vec<Family>);

impl Out {
    fn add(&mut self, name: &str, kind: &'static str, help: &'static str, labels: String, v: f64) {
        self.family(name, kind, help).push(("", labels, v));
    }
    fn family(
        &mut self,
        name: &str,
        kind: &'static str,
        help: &'static str,
    ) -> &mut Vec<(&'static str, String, f64)> {
        let i = match self.0.iter().position(|f| f.name == name) {
            Some(i) => i,
            None => {
                self.0.push(Family {
                    name: name.to_string(),
                    kind,
                    help,
                    samples: Vec::new(),
                });
                self.0.len() - 1
            }
        };
        &mut self.0[i].samples
    }
    /// One histogram series: `bounds` in seconds with their cumulative
    /// counts (`le="+Inf"` is `count`), and the sum in seconds.
    #[allow(clippy::too_many_arguments)]
    fn histogram(
        &mut self,
        name: &str,
        help: &'static str,
        pairs: &[(&str, &str)],
        bounds: &[f64],
        cumulative: &[u64],
        count: u64,
        sum: f64,
    ) {
        let f = self.family(name, "histogram", help);
        let with_le = |le: &str| {
            let mut p = pairs.to_vec();
            p.push(("le", le));
            labels(&p)
        };
        for (b, c) in bounds.iter().zip(cumulative) {
            f.push(("_bucket", with_le(&number(*b)), *c as f64));
        }
        f.push(("_bucket", with_le("+Inf"), count as f64));
        let plain = if pairs.is_empty() {
            String::new()
        } else {
            labels(pairs)
        };
        f.push(("_sum", plain.clone(), sum));
        f.push(("_count", plain, count as f64));
    }
    fn one(&mut self, name: &str, kind: &'static str, help: &'static str, v: f64) {
        self.add(name, kind, help, String::new(), v);
    }
    fn render(&self) -> String {
        let mut s = String::new();
        for f in &self.0 {
            let _ = writeln!(s, "# HELP {} {}", f.name, f.help);
            let _ = writeln!(s, "# TYPE {} {}", f.name, f.kind);
            for (suffix, labels, v) in &f.samples {
                let _ = writeln!(s, "{}{}{} {}", f.name, suffix, labels, number(*v));
            }
        }
        s
    }
}

fn number(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        format!("{v}")
    }
}

/// `{name="value",...}` with Prometheus escaping.
fn labels(pairs: &[(&str, &str)]) -> String {
    let body: Vec<String> = pairs
        .iter()
        .map(|(k, v)| {
            let v = v
                .replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n");
            format!("{k}=\"{v}\"")
        })
        .collect();
    format!("{{{}}}", body.join(","))
}

const C: &str = "counter";
const G: &str = "gauge";

/// (INFO section, field, metric, type, help, scale).
#[rustfmt::skip]
const FROM_INFO: &[(&str, &str, &str, &str, &str, f64)] = &[
    ("server", "uptime_in_seconds", "flashdb_uptime_seconds", G, "Seconds since the server started.", 1.0),
    ("clients", "connected_clients", "flashdb_connected_clients", G, "RESP clients connected.", 1.0),
    ("clients", "blocked_clients", "flashdb_blocked_clients", G, "Clients waiting in a blocking command.", 1.0),
    ("clients", "maxclients", "flashdb_maxclients", G, "The maxclients limit.", 1.0),
    ("stats", "total_connections_received", "flashdb_connections_received_total", C, "RESP connections accepted.", 1.0),
    ("stats", "rejected_connections", "flashdb_rejected_connections_total", C, "Connections refused (maxclients and similar).", 1.0),
    ("stats", "total_commands_processed", "flashdb_commands_processed_total", C, "Commands run.", 1.0),
    ("stats", "instantaneous_ops_per_sec", "flashdb_instantaneous_ops_per_second", G, "Commands per second over the last samples.", 1.0),
    ("stats", "total_net_input_bytes", "flashdb_net_input_bytes_total", C, "Bytes read from RESP clients.", 1.0),
    ("stats", "total_net_output_bytes", "flashdb_net_output_bytes_total", C, "Bytes written to RESP clients.", 1.0),
    ("stats", "keyspace_hits", "flashdb_keyspace_hits_total", C, "Key lookups that found the key.", 1.0),
    ("stats", "keyspace_misses", "flashdb_keyspace_misses_total", C, "Key lookups that did not find the key.", 1.0),
    ("stats", "expired_keys", "flashdb_expired_keys_total", C, "Keys deleted because their TTL passed.", 1.0),
    ("stats", "evicted_keys", "flashdb_evicted_keys_total", C, "Keys evicted by the maxmemory policy.", 1.0),
    ("stats", "rate_limited_commands", "flashdb_rate_limited_commands_total", C, "Commands refused by rate-limit.", 1.0),
    ("stats", "total_error_replies", "flashdb_error_replies_total", C, "Error replies sent.", 1.0),
    ("stats", "pubsub_channels", "flashdb_pubsub_channels", G, "Pub/Sub channels with subscribers.", 1.0),
    ("stats", "pubsub_patterns", "flashdb_pubsub_patterns", G, "Pub/Sub patterns subscribed to.", 1.0),
    ("memory", "used_memory", "flashdb_memory_used_bytes", G, "Bytes the dataset is estimated to use.", 1.0),
    ("memory", "used_memory_rss", "flashdb_memory_rss_bytes", G, "Resident set size of the process.", 1.0),
    ("memory", "used_memory_peak", "flashdb_memory_peak_bytes", G, "Highest used_memory seen.", 1.0),
    ("memory", "maxmemory", "flashdb_memory_max_bytes", G, "The maxmemory limit (0 = none).", 1.0),
    ("persistence", "loading", "flashdb_loading", G, "1 while recovery loads the dataset.", 1.0),
    ("persistence", "rdb_changes_since_last_save", "flashdb_changes_since_last_snapshot", G, "Writes since the last snapshot.", 1.0),
    ("persistence", "rdb_bgsave_in_progress", "flashdb_snapshot_in_progress", G, "1 while a snapshot is being written.", 1.0),
    ("persistence", "rdb_last_save_time", "flashdb_last_snapshot_timestamp_seconds", G, "Unix time of the last successful snapshot.", 1.0),
    ("persistence", "rdb_last_bgsave_time_sec", "flashdb_last_snapshot_duration_seconds", G, "How long the last snapshot took (-1 = none yet).", 1.0),
    ("persistence", "rdb_saves", "flashdb_snapshots_total", C, "Snapshots taken since start.", 1.0),
    ("cpu", "used_cpu_user", "flashdb_cpu_user_seconds_total", C, "User CPU time of the process.", 1.0),
    ("cpu", "used_cpu_sys", "flashdb_cpu_system_seconds_total", C, "System CPU time of the process.", 1.0),
];

fn num(info: &Map<String, Value>, section: &str, field: &str) -> Option<f64> {
    info.get(section)?.get(field)?.as_f64()
}

/// The whole exposition.
pub fn render(http: &Http) -> String {
    let srv = &http.srv;
    let info = parse_info(&crate::command::info::generate(srv, &["everything"]));
    let mut o = Out::default();
    o.add(
        "flashdb_info",
        G,
        "Version information (always 1).",
        labels(&[
            ("version", env!("CARGO_PKG_VERSION")),
            ("redis_version", crate::command::server::REDIS_VERSION),
        ]),
        1.0,
    );
    for (section, field, name, kind, help, scale) in FROM_INFO {
        if let Some(v) = num(&info, section, field) {
            o.one(name, kind, help, v * scale);
        }
    }
    let ok = info
        .get("persistence")
        .and_then(|p| p.get("rdb_last_bgsave_status"))
        .and_then(|v| v.as_str())
        == Some("ok");
    o.one(
        "flashdb_last_snapshot_success",
        G,
        "1 if the last snapshot succeeded.",
        ok as u8 as f64,
    );
    for (i, db) in srv.store.dbs.iter().enumerate() {
        let (keys, expires, _) = db.counts();
        let l = labels(&[("db", &i.to_string())]);
        o.add(
            "flashdb_db_keys",
            G,
            "Keys per database.",
            l.clone(),
            keys as f64,
        );
        o.add(
            "flashdb_db_expiring_keys",
            G,
            "Keys with a TTL per database.",
            l,
            expires as f64,
        );
    }
    if let Some(Value::Object(cmds)) = info.get("commandstats") {
        for (k, v) in cmds {
            let cmd = k.trim_start_matches("cmdstat_");
            let l = labels(&[("cmd", cmd)]);
            let f = |n: &str| v.get(n).and_then(|x| x.as_f64()).unwrap_or(0.0);
            o.add(
                "flashdb_command_calls_total",
                C,
                "Calls per command.",
                l.clone(),
                f("calls"),
            );
            o.add(
                "flashdb_command_time_seconds_total",
                C,
                "Time spent running each command.",
                l.clone(),
                f("usec") / 1e6,
            );
            o.add(
                "flashdb_command_rejected_calls_total",
                C,
                "Calls refused before running (arity, auth, rate limit...).",
                l.clone(),
                f("rejected_calls"),
            );
            o.add(
                "flashdb_command_failed_calls_total",
                C,
                "Calls that ran and returned an error.",
                l,
                f("failed_calls"),
            );
        }
    }
    command_histograms(srv, &mut o);
    if let Some(Value::Object(errs)) = info.get("errorstats") {
        for (k, v) in errs {
            let code = k.trim_start_matches("errorstat_");
            let n = v.get("count").and_then(|x| x.as_f64()).unwrap_or(0.0);
            o.add(
                "flashdb_errors_total",
                C,
                "Error replies by error code.",
                labels(&[("code", code)]),
                n,
            );
        }
    }
    let wal = crate::persist::wal();
    o.one(
        "flashdb_wal_enabled",
        G,
        "1 when the write-ahead log is on.",
        wal.is_some() as u8 as f64,
    );
    if let Some(w) = wal {
        let st = w.stats();
        o.one(
            "flashdb_wal_size_bytes",
            G,
            "Size of all WAL segment files.",
            st.total_bytes as f64,
        );
        o.one(
            "flashdb_wal_written_bytes_total",
            C,
            "WAL record bytes written since start.",
            st.bytes_written as f64,
        );
        o.one(
            "flashdb_wal_segments",
            G,
            "WAL segment files.",
            st.segments as f64,
        );
        o.one(
            "flashdb_wal_fsyncs_total",
            C,
            "WAL fsyncs since start.",
            st.fsyncs as f64,
        );
        let h = &st.fsync_hist;
        let bounds: Vec<f64> = (0..POW4_BUCKETS)
            .map(|k| pow4_bound_us(k) as f64 / 1e6)
            .collect();
        let cumulative: Vec<u64> = h.counts[..POW4_BUCKETS]
            .iter()
            .scan(0, |acc, n| {
                *acc += n;
                Some(*acc)
            })
            .collect();
        o.histogram(
            "flashdb_wal_fsync_duration_seconds",
            "How long successful WAL fsyncs took.",
            &[],
            &bounds,
            &cumulative,
            h.total(),
            h.sum_ns as f64 / 1e9,
        );
        o.one(
            "flashdb_wal_write_errors_total",
            C,
            "Failed WAL writes, fsyncs and rotations.",
            st.write_errors as f64,
        );
        o.one(
            "flashdb_wal_last_fsync_timestamp_seconds",
            G,
            "Unix time of the last WAL fsync (0 = none yet).",
            st.last_fsync as f64,
        );
        o.one(
            "flashdb_wal_failing",
            G,
            "1 while the WAL cannot be written (writes get -MISCONF).",
            w.error().is_some() as u8 as f64,
        );
    }
    for (route, status, n) in http.counts() {
        o.add(
            "flashdb_http_requests_total",
            C,
            "HTTP requests answered, by route and status.",
            labels(&[("route", route), ("status", &status.to_string())]),
            n as f64,
        );
    }
    let (clients, dropped) = http.ws.totals();
    o.one(
        "flashdb_websocket_clients",
        G,
        "WebSocket clients connected.",
        clients as f64,
    );
    o.one(
        "flashdb_websocket_dropped_messages_total",
        C,
        "WebSocket messages dropped because a client read too slowly.",
        dropped as f64,
    );
    o.render()
}

/// `flashdb_command_duration_seconds`: the per-command latency
/// histograms INFO latencystats and LATENCY HISTOGRAM read (recorded
/// while `latency-tracking` is on), as cumulative 4^k µs buckets. The
/// sum is commandstats' `usec`, which counts every call even while
/// tracking is off.
fn command_histograms(srv: &crate::server::Server, o: &mut Out) {
    let bounds: Vec<f64> = PROM_BOUNDS_US.iter().map(|&b| b as f64 / 1e6).collect();
    let t = crate::command::table::table();
    for id in t.all_ids() {
        let st = &srv.stats.cmd[id];
        let Some(h) = st.hist.snapshot() else {
            continue;
        };
        let name = t.full_name(id);
        o.histogram(
            "flashdb_command_duration_seconds",
            "Command latency (the latency-tracking histograms), by command.",
            &[("cmd", &name)],
            &bounds,
            &h.cumulative_at_us(&PROM_BOUNDS_US),
            h.total,
            st.usec.load(Relaxed) as f64 / 1e6,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_format() {
        let mut o = Out::default();
        o.histogram(
            "h_seconds",
            "H.",
            &[("cmd", "get")],
            &[0.001, 0.5],
            &[1, 3],
            4,
            2.5,
        );
        assert_eq!(
            o.render(),
            "# HELP h_seconds H.\n# TYPE h_seconds histogram\n\
             h_seconds_bucket{cmd=\"get\",le=\"0.001\"} 1\n\
             h_seconds_bucket{cmd=\"get\",le=\"0.5\"} 3\n\
             h_seconds_bucket{cmd=\"get\",le=\"+Inf\"} 4\n\
             h_seconds_sum{cmd=\"get\"} 2.5\nh_seconds_count{cmd=\"get\"} 4\n"
        );
    }

    #[test]
    fn format() {
        let mut o = Out::default();
        o.one("a_total", C, "A.", 3.0);
        o.add("b", G, "B.", labels(&[("x", "q\"\\\n")]), 0.5);
        o.add("b", G, "B.", labels(&[("x", "y")]), f64::INFINITY);
        assert_eq!(
            o.render(),
            "# HELP a_total A.\n# TYPE a_total counter\na_total 3\n# HELP b B.\n# TYPE b gauge\nb{x=\"q\\\"\\\\\\n\"} 0.5\nb{x=\"y\"} +Inf\n"
        );
    }
}
