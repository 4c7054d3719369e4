//! Networking: the blocking accept loop (listener.rs), the two I/O drivers
//! of the worker pool — event-loop workers on Linux (evloop.rs) and one
//! pooled thread per connection everywhere (pool.rs) — over one
//! connection type (conn.rs) reading and writing through a plain or TLS
//! byte stream (transport.rs; the TLS configuration is tls.rs, behind the
//! `tls` cargo feature), OS calls std lacks (sys.rs), and signal handling
//! for graceful shutdown (signal.rs).

pub mod conn;
#[cfg(target_os = "linux")]
pub mod evloop;
pub mod listener;
pub mod pool;
pub mod signal;
pub mod sys;
#[cfg(feature = "tls")]
pub mod tls;
pub mod transport;

use crate::server::Server;
use std::net::TcpStream;
use std::sync::Arc;

/// A connection the listener admitted, with the client id it got in
/// accept order (so ids increase with connection order, as in Redis), and
/// the TLS configuration when it came in on `tls-port`.
pub struct Accepted {
    pub stream: TcpStream,
    pub id: u64,
    pub tls: Option<transport::TlsAcceptor>,
}

/// Where the listener sends admitted connections: the configured driver.
#[derive(Clone)]
pub enum Workers {
    #[cfg(target_os = "linux")]
    Events(evloop::EventLoops),
    Threads(pool::Pool<Accepted>),
}

impl Workers {
    /// Starts the driver `io-model` asks for (`threads` where epoll is
    /// unavailable) with `worker-threads` event loops (0 = half the cores,
    /// at least one: the other half is left to the kernel's network stack,
    /// the persistence threads, and clients on the same machine).
    pub fn start(srv: &Arc<Server>) -> std::io::Result<Workers> {
        let (model, n) = {
            let c = srv.config();
            (c.io_model.clone(), c.worker_threads)
        };
        #[cfg(target_os = "linux")]
        if model == "epoll" {
            let n = if n == 0 {
                (std::thread::available_parallelism()
                    .map(|n| n.get())
                    .unwrap_or(1)
                    / 2)
                .max(1)
            } else {
                n
            };
            crate::notice!("I/O: {} event-loop workers (epoll)", n);
            return evloop::EventLoops::start(srv, n).map(Workers::Events);
        }
        let _ = (model, n);
        crate::notice!("I/O: one pooled worker thread per connection");
        let s = srv.clone();
        Ok(Workers::Threads(pool::Pool::new(move |accepted| {
            conn::serve(&s, accepted)
        })))
    }

    /// Hands over an admitted connection. Err = it could not be served (the
    /// caller gives its slot back).
    pub fn submit(&self, s: Accepted) -> std::io::Result<()> {
        match self {
            #[cfg(target_os = "linux")]
            Workers::Events(e) => {
                e.submit(s);
                Ok(())
            }
            Workers::Threads(p) => p.submit(s),
        }
    }
}
