//! Printing results: redis-benchmark's default report, `-q` lines and
//! `--csv` rows (same layout, same header), the live progress line, and
//! `--json` (which adds p99.9 and error counts).

use crate::args::Config;
use crate::histogram::Histogram;

/// One finished test.
pub struct TestResult {
    pub title: String,
    pub short: String,
    pub requests: u64,
    pub seconds: f64,
    pub hist: Histogram,
    pub errors: u64,
    pub first_error: Option<String>,
    /// --mix: requests sent per command.
    pub mix: Vec<(String, u64)>,
}

impl TestResult {
    pub fn rps(&self) -> f64 {
        if self.seconds > 0.0 {
            self.requests as f64 / self.seconds
        } else {
            0.0
        }
    }
    /// Percentile in milliseconds.
    pub fn ms(&self, p: f64) -> f64 {
        self.hist.percentile(p) as f64 / 1e6
    }
    pub fn avg_ms(&self) -> f64 {
        self.hist.mean() / 1e6
    }
    pub fn min_ms(&self) -> f64 {
        self.hist.min() as f64 / 1e6
    }
    pub fn max_ms(&self) -> f64 {
        self.hist.max() as f64 / 1e6
    }
}

pub const CSV_HEADER: &str = "\"test\",\"rps\",\"avg_latency_ms\",\"min_latency_ms\",\"p50_latency_ms\",\"p95_latency_ms\",\"p99_latency_ms\",\"max_latency_ms\"";

pub fn csv_row(r: &TestResult, prec: usize) -> String {
    format!(
        "\"{}\",\"{:.2}\",\"{:.p$}\",\"{:.p$}\",\"{:.p$}\",\"{:.p$}\",\"{:.p$}\",\"{:.p$}\"",
        r.title.replace('"', "\"\""),
        r.rps(),
        r.avg_ms(),
        r.min_ms(),
        r.ms(50.0),
        r.ms(95.0),
        r.ms(99.0),
        r.max_ms(),
        p = prec
    )
}

pub fn quiet_line(r: &TestResult, prec: usize) -> String {
    format!(
        "{}: {:.2} requests per second, p50={:.p$} msec",
        r.title,
        r.rps(),
        r.ms(50.0),
        p = prec
    )
}

/// The server settings shown in the default report.
pub struct HostInfo {
    pub save: String,
    pub appendonly: String,
}

pub fn full_report(r: &TestResult, c: &Config, host: &HostInfo) -> String {
    let p = c.precision;
    let mut s = format!("====== {} ======\n", r.title);
    s += &format!(
        "  {} requests completed in {:.2} seconds\n",
        r.requests, r.seconds
    );
    s += &format!("  {} parallel clients\n", c.clients);
    s += &format!("  {} bytes payload\n", c.data_size);
    s += "  keep alive: 1\n";
    s += &format!("  host configuration \"save\": {}\n", host.save);
    s += &format!("  host configuration \"appendonly\": {}\n", host.appendonly);
    if c.threads > 1 {
        s += &format!("  multi-thread: yes\n  threads: {}\n", c.threads);
    } else {
        s += "  multi-thread: no\n";
    }
    if c.pipeline > 1 {
        s += &format!("  pipeline: {}\n", c.pipeline);
    }
    if let Some(rate) = c.rate {
        s += &format!(
            "  target rate: {rate:.0} requests per second (latency from scheduled send times)\n"
        );
    }
    for (name, n) in &r.mix {
        s += &format!("  {name}: {n} requests\n");
    }
    if r.errors > 0 {
        s += &format!(
            "  error replies: {} (first: {})\n",
            r.errors,
            r.first_error.as_deref().unwrap_or("")
        );
    }
    s += "\nLatency by percentile distribution:\n";
    // 0, 50, 75, 87.5, ... halving the rest, as HdrHistogram's iterator.
    let mut pct = 0.0f64;
    let mut step = 50.0f64;
    loop {
        let v = r.hist.percentile(pct);
        s += &format!(
            "{:.3}% <= {:.p$} milliseconds (cumulative count {})\n",
            pct,
            v as f64 / 1e6,
            r.hist.count_le(v)
        );
        if pct >= 100.0 {
            break;
        }
        if step < 0.01 || (r.hist.count() as f64) * step / 100.0 < 1.0 {
            pct = 100.0;
        } else {
            pct += step;
            step /= 2.0;
        }
    }
    s += "\nSummary:\n";
    s += &format!("  throughput summary: {:.2} requests per second\n", r.rps());
    s += "  latency summary (msec):\n";
    s += &format!(
        "    {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}\n",
        "avg", "min", "p50", "p95", "p99", "p99.9", "max"
    );
    s += &format!(
        "    {:>9.p$} {:>9.p$} {:>9.p$} {:>9.p$} {:>9.p$} {:>9.p$} {:>9.p$}\n",
        r.avg_ms(),
        r.min_ms(),
        r.ms(50.0),
        r.ms(95.0),
        r.ms(99.0),
        r.ms(99.9),
        r.max_ms(),
        p = p
    );
    s
}

/// The live line: this interval's and the overall rate and mean latency.
pub fn progress_line(
    title: &str,
    rps_now: f64,
    rps_all: f64,
    avg_now: f64,
    avg_all: f64,
) -> String {
    format!(
        "{title}: rps={rps_now:.1} (overall: {rps_all:.1}) avg_msec={avg_now:.3} (overall: {avg_all:.3})"
    )
}

/// Every test as one JSON document.
pub fn json(results: &[TestResult], c: &Config) -> String {
    let round = |x: f64| (x * 1e6).round() / 1e6;
    let tests: Vec<serde_json::Value> = results
        .iter()
        .map(|r| {
            let mut t = serde_json::json!({
                "test": r.short,
                "title": r.title,
                "requests": r.requests,
                "seconds": round(r.seconds),
                "rps": (r.rps() * 100.0).round() / 100.0,
                "avg_ms": round(r.avg_ms()),
                "min_ms": round(r.min_ms()),
                "p50_ms": round(r.ms(50.0)),
                "p95_ms": round(r.ms(95.0)),
                "p99_ms": round(r.ms(99.0)),
                "p99_9_ms": round(r.ms(99.9)),
                "max_ms": round(r.max_ms()),
                "errors": r.errors,
            });
            if let Some(e) = &r.first_error {
                t["first_error"] = serde_json::Value::from(e.as_str());
            }
            if !r.mix.is_empty() {
                let m: serde_json::Map<String, serde_json::Value> = r
                    .mix
                    .iter()
                    .map(|(k, v)| (k.clone(), serde_json::Value::from(*v)))
                    .collect();
                t["mix"] = serde_json::Value::Object(m);
            }
            t
        })
        .collect();
    let doc = serde_json::json!({
        "host": c.host,
        "port": c.port,
        "clients": c.clients,
        "pipeline": c.pipeline,
        "threads": c.threads,
        "data_size": c.data_size,
        "keyspace": c.keyspace,
        "rate": c.rate,
        "duration": c.duration.map(|d| d.as_secs_f64()),
        "tests": tests,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}
