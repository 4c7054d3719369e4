//! The server's periodic work, `hz` times a second: active expiry (timed
//! for the latency monitor's `expire-cycle`), eviction while over
//! `maxmemory`, and the stats samples behind
//! `instantaneous_ops_per_sec`.

use crate::server::Server;
use std::sync::Arc;
use std::time::Duration;

/// Starts the cron thread; it stops when shutdown begins.
pub fn start(srv: Arc<Server>) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("cron".into())
        .spawn(move || {
            let mut last_sample = 0u64;
            while !srv.is_shutting_down() {
                let hz = srv.config().hz.clamp(1, 500) as u64;
                let period = Duration::from_millis(1000 / hz);
                // Redis spends at most 25% of each cycle on active expiry.
                crate::store::update_lru_clock();
                // A key deleted by expiry counts as changed for WATCH (Redis 7).
                let watches = &srv.watches;
                let t = crate::obs::latency::start();
                crate::store::expire::cycle(&srv.store, &srv.gate, period / 4, &mut |db, key| {
                    if watches.active() {
                        watches.touch(db, key);
                    }
                });
                crate::obs::latency::end("expire-cycle", t);
                // Eviction a command left running past its time limit goes
                // on here (Redis's evictionTimeProc), as does eviction
                // nobody's command triggered.
                crate::evict::cron(&srv, period / 4);
                // Client-side caching: BCAST invalidations from expiry and
                // eviction, and a lowered `tracking-table-max-keys`.
                crate::tracking::flush_bcast();
                crate::tracking::enforce_limit();
                let now = crate::store::now_ms();
                if now.saturating_sub(last_sample) >= 100 {
                    srv.stats.sample(now);
                    // MIGRATE's connections idle for 10 s (Redis's cron).
                    srv.migrate.close_idle();
                    last_sample = now;
                }
                std::thread::sleep(period.min(Duration::from_millis(100)));
            }
        })
}
