//! SIGINT/SIGTERM → graceful shutdown. On Unix a tiny async-signal-safe
//! handler sets a flag that a watcher thread turns into
//! `Server::request_shutdown`; elsewhere (Windows) the default Ctrl-C
//! behaviour stays, and SHUTDOWN still works.

use crate::server::Server;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

static SIGNALLED: AtomicBool = AtomicBool::new(false);

#[cfg(unix)]
mod imp {
    extern "C" {
        fn signal(signum: i32, handler: usize) -> usize;
    }
    const SIGINT: i32 = 2;
    const SIGTERM: i32 = 15;
    /// A write past RLIMIT_FSIZE: ignored so the write fails with EFBIG and
    /// the WAL reports it (MISCONF) instead of the process dying.
    const SIGXFSZ: i32 = 25;
    const SIG_IGN: usize = 1;

    extern "C" fn on_signal(_sig: i32) {
        super::SIGNALLED.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn install() {
        let h = on_signal as extern "C" fn(i32) as usize;
        // SAFETY: `signal` is the C library's; the handler only stores to an
        // atomic, which is async-signal-safe.
        unsafe {
            signal(SIGINT, h);
            signal(SIGTERM, h);
            signal(SIGXFSZ, SIG_IGN);
        }
    }
}

#[cfg(not(unix))]
mod imp {
    pub fn install() {}
}

/// Installs the handlers and a watcher thread that starts the shutdown.
pub fn install(srv: Arc<Server>) {
    imp::install();
    let _ = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || loop {
            if SIGNALLED.load(Ordering::SeqCst) {
                crate::warning!("Received SIGTERM/SIGINT scheduling shutdown...");
                srv.request_shutdown();
                return;
            }
            if srv.is_shutting_down() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        });
}
