//! The `flashdb` binary: configuration → server state → threads (listeners,
//! workers, cron, signals) → wait for shutdown → drain → exit 0.

use flashdb::net::{listener, signal, Workers};
use flashdb::persist::{recovery, saver};
use flashdb::server::Server;
use flashdb::{cron, log, notice, warning};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

const USAGE: &str = "Usage: flashdb [/path/to/flashdb.conf] [--directive value ...]
       flashdb -v | --version
       flashdb -h | --help

Examples:
       flashdb                     (defaults: RESP on 127.0.0.1:6379, HTTP on 127.0.0.1:8080, data in ./data)
       flashdb flashdb.conf
       flashdb --port 7777 --dir /tmp/flashdb
       flashdb flashdb.conf --loglevel verbose";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(a) = args.first() {
        match a.as_str() {
            "-v" | "--version" => {
                println!(
                    "FlashDB server v={} (Redis {} compatible)",
                    env!("CARGO_PKG_VERSION"),
                    flashdb::command::server::REDIS_VERSION
                );
                return;
            }
            "-h" | "--help" => {
                println!("{}", USAGE);
                return;
            }
            _ => {}
        }
    }
    let config = match flashdb::config::load_from_args(&args) {
        Ok(c) => c,
        Err(msg) => {
            eprintln!("{}", msg);
            std::process::exit(1);
        }
    };
    log::set_level(&config.loglevel);
    if let Err(e) = flashdb::audit::open(&config.audit_log) {
        eprintln!("Can't open the audit log '{}': {}", config.audit_log, e);
        std::process::exit(1);
    }
    if let Err(e) = log::set_file(&config.logfile) {
        eprintln!("Can't open the log file '{}': {}", config.logfile, e);
        std::process::exit(1);
    }
    let fatal = |msg: String| -> ! {
        warning!("{}", msg);
        eprintln!("{}", msg);
        std::process::exit(1);
    };
    let dir_lock = recovery::lock_dir(&config.dir).unwrap_or_else(|e| fatal(e));
    let snap = recovery::newest_snapshot(&config.dir).unwrap_or_else(|e| fatal(e));
    let store = recovery::new_store(&config, snap.as_ref());
    let compat = config.compat_directives_in_use();
    let maxclients = config.maxclients as u64;
    let (bind, port, tls_port) = (config.bind.clone(), config.port, config.tls_port);
    // A bad certificate or key stops the start, like Redis.
    let tls = if tls_port == 0 {
        None
    } else {
        tls_acceptor(&config).unwrap_or_else(|e| {
            eprintln!("{}", e);
            warning!("{}", e);
            std::process::exit(1);
        })
    };
    let srv = Arc::new(Server::with_store(config, store));
    // ACL users (`user` lines, the ACL file) before any client connects.
    let acl_loaded = srv.acl.load_startup(&srv.config());
    if let Err(e) = acl_loaded {
        fatal(e);
    }
    // Until recovery ends, clients get -LOADING.
    srv.persist.loading.store(true, Ordering::SeqCst);
    notice!(
        "FlashDB {} starting (Redis {} compatible), pid={}",
        env!("CARGO_PKG_VERSION"),
        flashdb::command::server::REDIS_VERSION,
        std::process::id()
    );
    // Each client costs two descriptors (its socket and the copy CLIENT KILL
    // uses), plus a few for listeners, the log and data files.
    let want = maxclients * 2 + 64;
    match flashdb::net::sys::raise_fd_limit(want) {
        Some(have) if have < want => warning!(
            "You requested maxclients of {} requiring at least {} max file descriptors; the open-files limit is {}: connections beyond about {} cannot be accepted (raise it with ulimit -n)",
            maxclients,
            want,
            have,
            have.saturating_sub(64) / 2
        ),
        _ => {}
    }
    if !compat.is_empty() {
        notice!(
            "Accepted for compatibility, no effect in FlashDB: {}",
            compat.join(", ")
        );
    }

    let bind_or_exit = |port: u16| {
        listener::bind_all(&bind, port).unwrap_or_else(|e| {
            warning!("{}", e);
            eprintln!("{}", e);
            std::process::exit(1);
        })
    };
    let mut listeners: Vec<listener::Listener> = Vec::new();
    if port == 0 {
        notice!("RESP port is 0: not listening for plaintext RESP connections");
    } else {
        listeners.extend(bind_or_exit(port).into_iter().map(|l| (l, None)));
    }
    if let Some(acceptor) = tls {
        listeners.extend(
            bind_or_exit(tls_port)
                .into_iter()
                .map(|l| (l, Some(acceptor.clone()))),
        );
    }
    srv.tcp_port.store(port as usize, Ordering::Relaxed);

    let pool = match Workers::start(&srv) {
        Ok(w) => w,
        Err(e) => {
            warning!("Could not start the worker threads: {}", e);
            std::process::exit(1);
        }
    };
    let accepting = listener::start(srv.clone(), listeners, pool);
    // The web plane answers during recovery too (readyz says 503 until
    // it ends; commands get LOADING).
    let http = flashdb::http::start(&srv).unwrap_or_else(|e| fatal(e));
    signal::install(srv.clone());
    let had_snapshot = snap.is_some();
    if let Err(e) = recovery::recover(&srv, snap) {
        fatal(e);
    }
    // A Redis dump.rdb to load into the (empty) data dir, still -LOADING.
    let import = srv.config().import_rdb.clone();
    if !import.is_empty() {
        if let Err(e) = flashdb::persist::rdb::file::import_at_startup(&srv, &import, had_snapshot)
        {
            fatal(e);
        }
    }
    srv.persist.loading.store(false, Ordering::SeqCst);
    let cron = cron::start(srv.clone());
    let snapshotter = saver::start(srv.clone());
    for (addr, is_tls, _) in &accepting {
        let kind = if *is_tls { "tls" } else { "tcp" };
        notice!("Ready to accept connections {} on {}", kind, addr);
    }

    srv.wait_for_shutdown();
    notice!("User requested shutdown...");
    // Stop accepting, then let every client finish the commands it has in
    // flight: shutting the read side makes its next read see EOF.
    for (addr, _, _) in &accepting {
        listener::wake(*addr);
    }
    if let Some(h) = &http {
        h.stop();
    }
    for (_, _, h) in accepting {
        let _ = h.join();
    }
    for c in srv.clients.all() {
        if let Some(s) = &c.stream {
            let _ = s.shutdown(std::net::Shutdown::Read);
        }
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while !srv.clients.is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    if let Ok(h) = cron {
        let _ = h.join();
    }
    if let Ok(h) = snapshotter {
        let _ = h.join();
    }
    if let Some(w) = flashdb::persist::wal() {
        match w.flush_sync() {
            Ok(()) => notice!("WAL flushed and synced to disk"),
            Err(e) => warning!("Could not flush the WAL at shutdown: {}", e),
        }
    }
    // SHUTDOWN SAVE always snapshots, NOSAVE never; by default only a
    // server without a WAL and with `save` rules does (like Redis).
    let save = match srv.persist.shutdown_save.load(Ordering::SeqCst) {
        1 => true,
        2 => false,
        _ => flashdb::persist::wal().is_none() && !srv.config().save.is_empty(),
    };
    if save {
        notice!("Saving the final snapshot before exiting.");
        if let Err(e) = saver::save(&srv) {
            warning!("{}", e);
        }
    }
    if let Some(w) = flashdb::persist::wal() {
        w.close();
    }
    drop(dir_lock);
    notice!("FlashDB is now ready to exit, bye bye...");
    std::process::exit(0);
}

/// The TLS configuration for `tls-port` (src/net/tls.rs). Err is the
/// start-up error to print.
#[cfg(feature = "tls")]
fn tls_acceptor(
    config: &flashdb::config::Config,
) -> Result<Option<flashdb::net::transport::TlsAcceptor>, String> {
    flashdb::net::tls::server_config(config).map(Some)
}

#[cfg(not(feature = "tls"))]
fn tls_acceptor(
    _: &flashdb::config::Config,
) -> Result<Option<flashdb::net::transport::TlsAcceptor>, String> {
    Err(
        "tls-port is set but this FlashDB was built without TLS support (the `tls` cargo feature)"
            .into(),
    )
}
