//! Counters for INFO (stats, commandstats, latencystats, errorstats) and the
//! instantaneous ops/s sampler. Everything is an atomic so workers never
//! take a lock to count.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;

/// Per command: what INFO commandstats reports.
#[derive(Default)]
pub struct CmdStats {
    pub calls: AtomicU64,
    pub usec: AtomicU64,
    pub rejected_calls: AtomicU64,
    pub failed_calls: AtomicU64,
    /// Latency histogram (LATENCY HISTOGRAM, INFO latencystats).
    pub hist: crate::obs::hist::Histogram,
}

pub struct Stats {
    pub connections_received: AtomicU64,
    pub commands_processed: AtomicU64,
    pub rejected_connections: AtomicU64,
    /// Commands refused by `rate-limit` (INFO rate_limited_commands).
    pub rate_limited: AtomicU64,
    /// TLS handshakes that failed (bad or missing client certificate, wrong
    /// CA, a plaintext client on the TLS port ...).
    pub tls_handshake_failures: AtomicU64,
    pub keyspace_hits: AtomicU64,
    pub keyspace_misses: AtomicU64,
    pub net_input_bytes: AtomicU64,
    pub net_output_bytes: AtomicU64,
    pub error_replies: AtomicU64,
    /// Socket reads and writes that moved data (INFO total_reads_processed).
    pub reads_processed: AtomicU64,
    pub writes_processed: AtomicU64,
    /// Highest `used_memory` INFO has seen (used_memory_peak).
    pub peak_memory: AtomicU64,
    /// Keys evicted for `maxmemory` (INFO evicted_keys).
    pub evicted_keys: AtomicU64,
    /// Closed periods spent over `maxmemory` (total_eviction_exceeded_time).
    pub eviction_exceeded_us: AtomicU64,
    /// Indexed by the command table's ids.
    pub cmd: Vec<CmdStats>,
    /// Error replies by their code word (INFO errorstats).
    pub errors: Mutex<BTreeMap<String, u64>>,
    /// Ring of (ms, commands processed, net in, net out) samples, 16 deep
    /// like Redis's STATS_METRIC_SAMPLES.
    samples: Mutex<Samples>,
}

#[derive(Default)]
struct Samples {
    last: Option<(u64, u64, u64, u64)>,
    ops: [f64; 16],
    input: [f64; 16],
    output: [f64; 16],
    idx: usize,
}

impl Stats {
    pub fn new(ncommands: usize) -> Stats {
        Stats {
            connections_received: AtomicU64::new(0),
            commands_processed: AtomicU64::new(0),
            rejected_connections: AtomicU64::new(0),
            rate_limited: AtomicU64::new(0),
            tls_handshake_failures: AtomicU64::new(0),
            keyspace_hits: AtomicU64::new(0),
            keyspace_misses: AtomicU64::new(0),
            net_input_bytes: AtomicU64::new(0),
            net_output_bytes: AtomicU64::new(0),
            error_replies: AtomicU64::new(0),
            reads_processed: AtomicU64::new(0),
            writes_processed: AtomicU64::new(0),
            peak_memory: AtomicU64::new(0),
            evicted_keys: AtomicU64::new(0),
            eviction_exceeded_us: AtomicU64::new(0),
            cmd: (0..ncommands).map(|_| CmdStats::default()).collect(),
            errors: Mutex::new(BTreeMap::new()),
            samples: Mutex::new(Samples::default()),
        }
    }

    pub fn hit(&self, hit: bool) {
        if hit {
            self.keyspace_hits.fetch_add(1, Relaxed);
        } else {
            self.keyspace_misses.fetch_add(1, Relaxed);
        }
    }

    /// Counts an error reply under its code word (the text up to the first space).
    pub fn error(&self, text: &str) {
        self.error_replies.fetch_add(1, Relaxed);
        let code = text.split(' ').next().unwrap_or("ERR").to_string();
        let mut m = self.errors.lock().unwrap_or_else(|e| e.into_inner());
        // Like Redis, stop tracking new codes past 128 (a client could invent many).
        if m.len() < 128 || m.contains_key(&code) {
            *m.entry(code).or_insert(0) += 1;
        }
    }

    /// CONFIG RESETSTAT.
    pub fn reset(&self) {
        for a in [
            &self.connections_received,
            &self.commands_processed,
            &self.rejected_connections,
            &self.rate_limited,
            &self.tls_handshake_failures,
            &self.keyspace_hits,
            &self.keyspace_misses,
            &self.net_input_bytes,
            &self.net_output_bytes,
            &self.error_replies,
            &self.reads_processed,
            &self.writes_processed,
            &self.evicted_keys,
            &self.eviction_exceeded_us,
        ] {
            a.store(0, Relaxed);
        }
        for c in &self.cmd {
            c.calls.store(0, Relaxed);
            c.usec.store(0, Relaxed);
            c.rejected_calls.store(0, Relaxed);
            c.failed_calls.store(0, Relaxed);
            c.hist.reset();
        }
        self.errors
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        crate::store::EXPIRED_KEYS.store(0, Relaxed);
    }

    /// Takes one sample (called by the cron thread every 100 ms).
    pub fn sample(&self, now_ms: u64) {
        let cur = (
            now_ms,
            self.commands_processed.load(Relaxed),
            self.net_input_bytes.load(Relaxed),
            self.net_output_bytes.load(Relaxed),
        );
        let mut s = self.samples.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(last) = s.last {
            let dt = cur.0.saturating_sub(last.0).max(1) as f64 / 1000.0;
            let i = s.idx;
            s.ops[i] = cur.1.saturating_sub(last.1) as f64 / dt;
            s.input[i] = cur.2.saturating_sub(last.2) as f64 / dt;
            s.output[i] = cur.3.saturating_sub(last.3) as f64 / dt;
            s.idx = (i + 1) % 16;
        }
        s.last = Some(cur);
    }

    /// (ops/s, input bytes/s, output bytes/s) averaged over the samples.
    pub fn instantaneous(&self) -> (u64, f64, f64) {
        let s = self.samples.lock().unwrap_or_else(|e| e.into_inner());
        let avg = |a: &[f64; 16]| a.iter().sum::<f64>() / 16.0;
        (avg(&s.ops) as u64, avg(&s.input), avg(&s.output))
    }
}
