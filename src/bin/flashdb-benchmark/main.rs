//! `flashdb-benchmark`: a load generator for any RESP server (FlashDB or
//! Redis), flag-compatible with redis-benchmark, plus a mixed workload
//! (`--mix`), a fixed-rate open loop with coordinated-omission-corrected
//! latency (`--rate`), timed runs (`--duration`) and `--json`.
//! docs/BENCHMARK.md describes it.
//!
//! - `args`      flags
//! - `workload`  the tests and their request templates
//! - `client`    the event loop(s) that send requests and skim replies
//! - `histogram` log-linear latency histogram (≤ 1 % error)
//! - `output`    the reports

mod args;
mod client;
mod histogram;
mod output;
mod workload;

use std::io::{IsTerminal, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::Duration;

use args::Config;
use client::Shared;
use output::{HostInfo, TestResult};
use workload::Test;

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let cfg = match args::parse(&argv) {
        Ok(Some(c)) => c,
        Ok(None) => {
            print!("{}", args::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("flashdb-benchmark: {e}");
            return ExitCode::from(2);
        }
    };
    let tests = match workload::plan(&cfg) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("flashdb-benchmark: {e}");
            return ExitCode::from(2);
        }
    };
    match run_all(&cfg, &tests) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("flashdb-benchmark: {e}");
            ExitCode::from(1)
        }
    }
}

/// The value of a `CONFIG GET` reply's second element ("" if unavailable).
fn config_get(s: &mut TcpStream, name: &str) -> String {
    let Ok(r) = client::call(s, &["CONFIG", "GET", name]) else {
        return String::new();
    };
    // *2\r\n$4\r\nsave\r\n$N\r\n<value>\r\n
    let lines: Vec<&str> = r.split("\r\n").collect();
    if lines.first() == Some(&"*2") && lines.len() >= 5 {
        lines[4].to_string()
    } else {
        String::new()
    }
}

fn run_all(cfg: &Config, tests: &[Test]) -> Result<(), String> {
    let mut probe = client::connect(cfg)?;
    let host = if cfg.quiet || cfg.csv || cfg.json {
        HostInfo {
            save: String::new(),
            appendonly: String::new(),
        }
    } else {
        HostInfo {
            save: config_get(&mut probe, "save"),
            appendonly: config_get(&mut probe, "appendonly"),
        }
    };
    drop(probe);
    let progress = std::io::stdout().is_terminal() && !cfg.csv && !cfg.json;
    if cfg.csv {
        println!("{}", output::CSV_HEADER);
    }
    let mut results = Vec::new();
    for t in tests {
        let r = run_test(cfg, t, progress)?;
        let mut out = std::io::stdout().lock();
        if progress {
            let _ = write!(out, "\r\x1b[K");
        }
        if let Some(e) = &r.first_error {
            eprintln!("{}: {} error replies, the first: {e}", r.title, r.errors);
        }
        let text = if cfg.json {
            String::new()
        } else if cfg.csv {
            output::csv_row(&r, cfg.precision) + "\n"
        } else if cfg.quiet {
            output::quiet_line(&r, cfg.precision) + "\n"
        } else {
            output::full_report(&r, cfg, &host) + "\n"
        };
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
        results.push(r);
    }
    if cfg.json {
        println!("{}", output::json(&results, cfg));
    }
    Ok(())
}

/// Connects the clients, runs one test on `--threads` event loops and
/// merges what they measured.
fn run_test(cfg: &Config, test: &Test, progress: bool) -> Result<TestResult, String> {
    let mut groups: Vec<Vec<TcpStream>> = (0..cfg.threads).map(|_| Vec::new()).collect();
    for i in 0..cfg.clients {
        groups[i % cfg.threads].push(client::connect(cfg)?);
    }
    let shared = Shared::new(cfg);
    let seed = shared.start.elapsed().as_nanos() as u64 ^ (u64::from(std::process::id()) << 32);
    let outcomes = std::thread::scope(|s| {
        let handles: Vec<_> = groups
            .into_iter()
            .enumerate()
            .map(|(i, socks)| {
                let shared = &shared;
                s.spawn(move || {
                    client::run_loop(shared, test, cfg, socks, seed ^ ((i as u64 + 1) * 0x9E37))
                })
            })
            .collect();
        let (mut last_t, mut last_done, mut last_lat) = (0.0f64, 0u64, 0u64);
        let mut next = Duration::from_millis(250);
        while handles.iter().any(|h| !h.is_finished()) {
            std::thread::sleep(Duration::from_millis(5));
            if progress && shared.start.elapsed() >= next {
                next += Duration::from_millis(250);
                let t = shared.start.elapsed().as_secs_f64();
                let done = shared.done.load(Ordering::Relaxed);
                let lat = shared.lat_us.load(Ordering::Relaxed);
                let dn = done - last_done;
                let line = output::progress_line(
                    &test.title,
                    dn as f64 / (t - last_t),
                    done as f64 / t,
                    if dn > 0 {
                        (lat - last_lat) as f64 / dn as f64 / 1000.0
                    } else {
                        0.0
                    },
                    if done > 0 {
                        lat as f64 / done as f64 / 1000.0
                    } else {
                        0.0
                    },
                );
                let mut out = std::io::stdout().lock();
                let _ = write!(out, "\r\x1b[K{line}");
                let _ = out.flush();
                (last_t, last_done, last_lat) = (t, done, lat);
            }
        }
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .map_err(|_| "an event-loop thread panicked".to_string())
            })
            .collect::<Result<Vec<_>, String>>()
    })?;
    if let Some(e) = shared.error() {
        return Err(format!("{}: {e}", test.title));
    }
    let mut hist = histogram::Histogram::new();
    let (mut errors, mut first_error, mut end_ns) = (0, None, 0);
    let mut per_choice = vec![0u64; test.choices.len()];
    for o in &outcomes {
        hist.merge(&o.hist);
        errors += o.errors;
        if first_error.is_none() {
            first_error.clone_from(&o.first_error);
        }
        end_ns = end_ns.max(o.end_ns);
        for (a, b) in per_choice.iter_mut().zip(&o.per_choice) {
            *a += b;
        }
    }
    let mix = if test.choices.len() > 1 {
        test.choices
            .iter()
            .zip(&per_choice)
            .map(|((t, _), n)| (t.name.clone(), *n))
            .collect()
    } else {
        Vec::new()
    };
    Ok(TestResult {
        title: test.title.clone(),
        short: test.short().to_string(),
        requests: hist.count(),
        seconds: end_ns as f64 / 1e9,
        hist,
        errors,
        first_error,
        mix,
    })
}
