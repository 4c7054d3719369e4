//! The accept loop: one thread per bound address (of `port` and of
//! `tls-port`), blocking `accept()`, `TCP_NODELAY`, `maxclients` enforced
//! here (the next client gets `-ERR max number of clients reached` and is
//! closed; a TLS client is just closed, as the message could not be
//! encrypted before a handshake), then the socket goes to the worker pool.

use super::transport::TlsAcceptor;
use super::Workers;
use crate::server::Server;
use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::JoinHandle;

/// Binds every `bind` address on `port`. Err names the address that failed.
pub fn bind_all(addrs: &[String], port: u16) -> Result<Vec<TcpListener>, String> {
    let mut out = Vec::new();
    for a in addrs {
        // Redis's "-::*"-style optional addresses: a leading '-' means
        // "skip if unavailable".
        let (optional, host) = match a.strip_prefix('-') {
            Some(h) => (true, h),
            None => (false, a.as_str()),
        };
        let host = match host {
            "*" => "0.0.0.0",
            "::*" => "::",
            h => h,
        };
        let sa = if host.contains(':') {
            format!("[{}]:{}", host, port)
        } else {
            format!("{}:{}", host, port)
        };
        match TcpListener::bind(&sa) {
            Ok(l) => out.push(l),
            Err(e) if optional => crate::verbose!("Skipping optional bind {}: {}", sa, e),
            Err(e) => {
                return Err(format!(
                    "Could not create server TCP listening socket {}: {}",
                    sa, e
                ))
            }
        }
    }
    Ok(out)
}

/// A bound listening socket and, for `tls-port`, its TLS configuration.
pub type Listener = (TcpListener, Option<TlsAcceptor>);

/// Starts one accept thread per listener. Returns each one's address,
/// whether it is TLS, and its thread.
pub fn start(
    srv: Arc<Server>,
    listeners: Vec<Listener>,
    pool: Workers,
) -> Vec<(SocketAddr, bool, JoinHandle<()>)> {
    listeners
        .into_iter()
        .filter_map(|(l, tls)| {
            let addr = l.local_addr().ok()?;
            let is_tls = tls.is_some();
            let srv = srv.clone();
            let pool = pool.clone();
            let h = std::thread::Builder::new()
                .name("listener".into())
                .spawn(move || accept_loop(srv, l, tls, pool))
                .ok()?;
            Some((addr, is_tls, h))
        })
        .collect()
}

fn accept_loop(srv: Arc<Server>, l: TcpListener, tls: Option<TlsAcceptor>, pool: Workers) {
    for s in l.incoming() {
        if srv.is_shutting_down() {
            return;
        }
        let mut s = match s {
            Ok(s) => s,
            Err(e) => {
                crate::warning!("Accepting client connection: {}", e);
                // EMFILE and friends: back off briefly instead of spinning.
                std::thread::sleep(std::time::Duration::from_millis(10));
                continue;
            }
        };
        let _ = s.set_nodelay(true);
        super::sys::set_keepalive(&s, srv.config().tcp_keepalive);
        if !srv
            .clients
            .try_admit(srv.hot.maxclients.load(Ordering::Relaxed))
        {
            srv.stats
                .rejected_connections
                .fetch_add(1, Ordering::Relaxed);
            if tls.is_none() {
                let _ = s.write_all(b"-ERR max number of clients reached\r\n");
            }
            if crate::audit::enabled() {
                let addr = s.peer_addr().map(|a| a.to_string()).unwrap_or_default();
                crate::audit::rejected(&addr, "maxclients");
            }
            continue;
        }
        let id = srv.clients.next_id();
        let accepted = super::Accepted {
            stream: s,
            id,
            tls: tls.clone(),
        };
        if let Err(e) = pool.submit(accepted) {
            srv.clients.release();
            crate::warning!("Could not start a worker thread: {}", e);
        }
    }
}

/// Wakes a listener blocked in `accept()` (at shutdown) by connecting to it.
pub fn wake(addr: SocketAddr) {
    let target = if addr.ip().is_unspecified() {
        match addr {
            SocketAddr::V4(_) => SocketAddr::from(([127, 0, 0, 1], addr.port())),
            SocketAddr::V6(_) => SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, addr.port())),
        }
    } else {
        addr
    };
    let _ = TcpStream::connect_timeout(&target, std::time::Duration::from_millis(200));
}
