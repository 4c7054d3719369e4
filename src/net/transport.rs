//! A client's byte stream: a plain TCP socket, or (with the `tls` feature)
//! a TLS session over one. `Conn` reads and writes plaintext through it the
//! same way either way; only this file knows about records, handshakes and
//! alerts. Both I/O drivers use it: in blocking mode (thread per
//! connection) every call may wait on the socket, in non-blocking mode
//! (event loop) calls return `WouldBlock` and the driver asks
//! [`Transport::wants_write`] whether to watch for output.
//!
//! TLS data flow, all through rustls's `ServerConnection`: socket bytes
//! go in with `read_tls` + `process_new_packets`, plaintext comes out of
//! `reader()`; plaintext goes in with `writer()` (encrypted at once into
//! records, at most rustls's 64 KiB buffer at a time) and records go out
//! with `write_tls`. The handshake is driven by [`Transport::handshake_step`]
//! before the connection serves anything.

#[cfg(feature = "tls")]
use std::io::ErrorKind;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

/// What the TLS listener hands to each connection: the server-side TLS
/// configuration. Uninhabited without the `tls` feature, so plain builds
/// carry no TLS code at all.
#[cfg(feature = "tls")]
pub type TlsAcceptor = std::sync::Arc<rustls::ServerConfig>;
#[cfg(not(feature = "tls"))]
#[derive(Clone)]
pub enum TlsAcceptor {}

/// A client socket, plain or TLS.
pub struct Transport {
    sock: TcpStream,
    #[cfg(feature = "tls")]
    tls: Option<Box<rustls::ServerConnection>>,
}

impl Transport {
    /// Wraps an accepted socket; with `tls`, a server-side TLS session
    /// starts (its handshake is still to be done). Err if rustls refuses
    /// the configuration.
    pub fn new(sock: TcpStream, tls: Option<TlsAcceptor>) -> io::Result<Transport> {
        match tls {
            None => Ok(Transport {
                sock,
                #[cfg(feature = "tls")]
                tls: None,
            }),
            #[cfg(feature = "tls")]
            Some(cfg) => {
                let conn = rustls::ServerConnection::new(cfg).map_err(io::Error::other)?;
                Ok(Transport {
                    sock,
                    tls: Some(Box::new(conn)),
                })
            }
            #[cfg(not(feature = "tls"))]
            Some(never) => match never {},
        }
    }

    /// Whether this is a TLS connection.
    pub fn is_tls(&self) -> bool {
        #[cfg(feature = "tls")]
        return self.tls.is_some();
        #[cfg(not(feature = "tls"))]
        false
    }

    /// Whether the TLS handshake is still to be completed (never for plain).
    pub fn is_handshaking(&self) -> bool {
        #[cfg(feature = "tls")]
        if let Some(t) = &self.tls {
            return t.is_handshaking();
        }
        false
    }

    /// Whether TLS records (handshake, alerts, encrypted replies) wait to
    /// be sent: the event loop keeps watching for output meanwhile.
    pub fn wants_write(&self) -> bool {
        #[cfg(feature = "tls")]
        if let Some(t) = &self.tls {
            return t.wants_write();
        }
        false
    }

    /// Reads plaintext into `dst`. Ok(0) = the peer closed (or sent
    /// close_notify). Err(WouldBlock) / Err(TimedOut) = nothing yet.
    pub fn read(&mut self, dst: &mut [u8]) -> io::Result<usize> {
        #[cfg(feature = "tls")]
        if let Some(t) = self.tls.as_deref_mut() {
            return tls_read(t, &mut self.sock, dst);
        }
        self.sock.read(dst)
    }

    /// Decrypted bytes rustls holds that `read` has not returned yet. The
    /// socket is no longer readable for them, so the caller must read them
    /// now (level-triggered readiness would never report them).
    pub fn buffered(&mut self) -> usize {
        #[cfg(feature = "tls")]
        if let Some(t) = self.tls.as_deref_mut() {
            return t
                .process_new_packets()
                .map(|s| s.plaintext_bytes_to_read())
                .unwrap_or(0);
        }
        0
    }

    /// Writes plaintext from `src`, like a socket write: Ok(n) = n bytes
    /// taken (for TLS: encrypted, and sent as far as the socket allowed),
    /// Err(WouldBlock) = nothing could be taken.
    pub fn write(&mut self, src: &[u8]) -> io::Result<usize> {
        #[cfg(feature = "tls")]
        if let Some(t) = self.tls.as_deref_mut() {
            return tls_write(t, &mut self.sock, src);
        }
        self.sock.write(src)
    }

    /// Sends pending TLS records. Ok(true) = none left; Ok(false) = the
    /// socket is full (non-blocking). Always Ok(true) for plain sockets.
    pub fn flush_records(&mut self) -> io::Result<bool> {
        #[cfg(feature = "tls")]
        if let Some(t) = self.tls.as_deref_mut() {
            return push_records(t, &mut self.sock);
        }
        Ok(true)
    }

    /// Advances the TLS handshake as far as the socket allows: sends what
    /// is pending, reads and processes what arrived. Ok(true) = complete
    /// (plaintext the client sent along may already be buffered: `read`
    /// returns it); Ok(false) = waiting for the socket (or a blocking read
    /// timed out); Err = failed (an alert has been sent when possible).
    pub fn handshake_step(&mut self) -> io::Result<bool> {
        #[cfg(feature = "tls")]
        if let Some(t) = self.tls.as_deref_mut() {
            return tls_handshake(t, &mut self.sock);
        }
        Ok(true)
    }

    /// Ends the session: a TLS close_notify (best effort), then our write
    /// side of the socket.
    pub fn shutdown_write(&mut self) {
        #[cfg(feature = "tls")]
        if let Some(t) = self.tls.as_deref_mut() {
            if !t.is_handshaking() {
                t.send_close_notify();
                let _ = push_records(t, &mut self.sock);
            }
        }
        let _ = self.sock.shutdown(Shutdown::Write);
    }

    pub fn socket(&self) -> &TcpStream {
        &self.sock
    }
    pub fn set_nonblocking(&self, on: bool) -> io::Result<()> {
        self.sock.set_nonblocking(on)
    }
    pub fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        self.sock.set_read_timeout(t)
    }
    pub fn set_write_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        self.sock.set_write_timeout(t)
    }
    pub fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.sock.peek(buf)
    }
}

#[cfg(unix)]
impl std::os::fd::AsRawFd for Transport {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.sock.as_raw_fd()
    }
}

/// Maps a TLS protocol error to an I/O error (the connection is over).
#[cfg(feature = "tls")]
fn tls_error(e: rustls::Error) -> io::Error {
    io::Error::new(ErrorKind::InvalidData, e)
}

/// Reads socket bytes once and processes them. Ok(0) = end of input.
/// On a protocol error the alert rustls queued is sent before returning.
#[cfg(feature = "tls")]
fn pull(t: &mut rustls::ServerConnection, sock: &mut TcpStream) -> io::Result<usize> {
    let n = loop {
        match t.read_tls(sock) {
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            r => break r?,
        }
    };
    if let Err(e) = t.process_new_packets() {
        let _ = push_records(t, sock);
        return Err(tls_error(e));
    }
    Ok(n)
}

/// Sends queued records until none are left (Ok(true)) or the socket is
/// full (Ok(false)).
#[cfg(feature = "tls")]
fn push_records(t: &mut rustls::ServerConnection, sock: &mut TcpStream) -> io::Result<bool> {
    while t.wants_write() {
        match t.write_tls(sock) {
            Ok(0) => return Err(ErrorKind::WriteZero.into()),
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(false),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

#[cfg(feature = "tls")]
fn tls_read(
    t: &mut rustls::ServerConnection,
    sock: &mut TcpStream,
    dst: &mut [u8],
) -> io::Result<usize> {
    loop {
        match t.reader().read(dst) {
            Ok(n) => return Ok(n),
            // The peer closed without close_notify: the same as EOF here.
            Err(e) if e.kind() == ErrorKind::UnexpectedEof => return Ok(0),
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
        // Nothing decrypted yet: one socket read (it may block in the
        // thread-per-connection driver, which is what it wants then).
        if pull(t, sock)? == 0 {
            return Ok(0);
        }
        // Records rustls answers on its own (key updates, alerts).
        if t.wants_write() {
            push_records(t, sock)?;
        }
    }
}

#[cfg(feature = "tls")]
fn tls_write(
    t: &mut rustls::ServerConnection,
    sock: &mut TcpStream,
    src: &[u8],
) -> io::Result<usize> {
    if src.is_empty() {
        return Ok(0);
    }
    loop {
        let n = t.writer().write(src)?;
        if n > 0 {
            // Send what fits now; the rest goes with the next call or
            // `flush_records` (the driver sees `wants_write`).
            push_records(t, sock)?;
            return Ok(n);
        }
        // rustls's outgoing buffer is full: make room first.
        if t.is_handshaking() || !push_records(t, sock)? {
            return Err(ErrorKind::WouldBlock.into());
        }
    }
}

#[cfg(feature = "tls")]
fn tls_handshake(t: &mut rustls::ServerConnection, sock: &mut TcpStream) -> io::Result<bool> {
    loop {
        if !push_records(t, sock)? {
            return Ok(false);
        }
        if !t.is_handshaking() {
            return Ok(true);
        }
        match pull(t, sock) {
            Ok(0) => {
                return Err(io::Error::new(
                    ErrorKind::UnexpectedEof,
                    "the client closed the connection during the handshake",
                ))
            }
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::TimedOut => {
                return Ok(false)
            }
            Err(e) => return Err(e),
        }
    }
}
