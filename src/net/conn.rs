//! One connection's state and its read → execute → write cycle, shared by
//! both I/O drivers (the epoll event loop in evloop.rs and the
//! thread-per-connection loop `serve` below): read what is available,
//! execute every complete command in the buffer, send all the replies with
//! one write. That cycle is what makes pipelining cheap. Protocol errors get
//! Redis's reply and close the connection; the query buffer is bounded by
//! `client-query-buffer-limit`, unsent replies by `client-output-buffer-limit
//! normal`, and requests before authentication by Redis's tight limits.
//! The bytes go through a `Transport` (transport.rs), plain or TLS; a TLS
//! connection completes its handshake before it is served.

use super::transport::Transport;
use super::Accepted;
use crate::exec::execute;
use crate::resp::parser::{Limits, Parsed, Parser};
use crate::server::{Client, ClientInfo, Server};
use std::io::ErrorKind;
use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

const READ_CHUNK: usize = 16 * 1024;
/// Redis's PROTO_INLINE_MAX_SIZE.
const INLINE_MAX: usize = 64 * 1024;
/// How often a blocked reader wakes to check `timeout`, kills, shutdown.
const POLL: Duration = Duration::from_millis(1000);
/// `process` runs no further pipelined command once this many reply bytes
/// wait to be written; the rest stay in the query buffer until they are.
/// So a client that pipelines big GETs and never reads costs at most this
/// plus one reply, not the replies to everything one read brought in.
const OUT_BATCH: usize = 1 << 20;
/// The same cap before authentication (when a password is required): an
/// unauthenticated client gets nothing but short errors, and may not make
/// the server hold more than this of them.
const OUT_BATCH_UNAUTH: usize = 16 * 1024;

/// What the driver should do after `Conn::process`.
#[derive(Debug, PartialEq, Eq)]
pub enum Flow {
    /// Wait for more input.
    Continue,
    /// Write what is pending, then close.
    Close,
    /// A command is held by CLIENT PAUSE; call `process` again later.
    Paused,
    /// A blocking command (BLPOP & co.) waits for data: call `process`
    /// again when `block_due` (src/blocking.rs).
    Blocked,
}

/// One client connection.
pub struct Conn {
    pub stream: Transport,
    pub client: Client,
    srv: Arc<Server>,
    buf: Vec<u8>,
    /// First unconsumed byte of `buf`.
    start: usize,
    /// Bytes of `buf` holding data.
    filled: usize,
    parser: Parser,
    /// Encoded replies not yet written, from `out_pos`.
    pub out: Vec<u8>,
    out_pos: usize,
    /// A parsed command waiting for CLIENT PAUSE to end (event loop only),
    /// or a blocking command waiting for data (both drivers).
    held: Option<Vec<Vec<u8>>>,
    /// The driver closes the connection once `out` is written.
    pub closing: bool,
    /// `process` stopped at `OUT_BATCH` with commands maybe left in the
    /// buffer: call it again once `out` is written, before reading.
    stopped_early: bool,
    /// The WAL position the replies in `out` wait for (0 = none): under
    /// `appendfsync always` they leave only once the fsync covering it is
    /// done; otherwise once it is written to the OS.
    wal_ticket: u64,
    /// Since when unsent replies have been above the soft
    /// `client-output-buffer-limit` (None = below it).
    obuf_soft_since: Option<Instant>,
}

impl Conn {
    /// Registers a connection the listener admitted (it holds one of the
    /// `maxclients` slots, given back when the `Conn` drops). None if the
    /// socket is already unusable.
    pub fn new(srv: &Arc<Server>, accepted: Accepted) -> Option<Conn> {
        let Accepted { stream, id, tls } = accepted;
        let (addr, laddr, shared) =
            match (stream.peer_addr(), stream.local_addr(), stream.try_clone()) {
                (Ok(a), Ok(l), Ok(s)) => (a, l, s),
                _ => {
                    srv.clients.release();
                    return None;
                }
            };
        let fd = raw_fd(&stream);
        let stream = match Transport::new(stream, tls) {
            Ok(t) => t,
            Err(e) => {
                crate::warning!("Could not start a TLS session: {}", e);
                srv.clients.release();
                return None;
            }
        };
        let mut info = ClientInfo::internal(id);
        info.addr = addr;
        info.laddr = laddr;
        info.last_interaction = AtomicU64::new(crate::store::now_ms());
        info.fd = fd;
        info.stream = Some(shared);
        let info = Arc::new(info);
        srv.clients.add(info.clone());
        srv.stats.connections_received.fetch_add(1, Relaxed);
        // A late shutdown must not miss this client.
        if srv.is_shutting_down() {
            info.kill();
        }
        let mut c = Conn {
            stream,
            client: Client::new(info),
            srv: srv.clone(),
            buf: vec![0u8; READ_CHUNK],
            start: 0,
            filled: 0,
            parser: Parser::new(),
            out: Vec::new(),
            out_pos: 0,
            held: None,
            closing: false,
            stopped_early: false,
            wal_ticket: 0,
            obuf_soft_since: None,
        };
        if srv.protected_mode_applies() && !crate::server::is_loopback_client(addr.ip()) {
            // Like Redis: the explanation, then the connection closes
            // (after the TLS handshake on a TLS connection).
            srv.stats.rejected_connections.fetch_add(1, Relaxed);
            crate::audit::rejected(&addr.to_string(), "protected-mode");
            c.out
                .extend_from_slice(crate::server::PROTECTED_MODE_DENIED.as_bytes());
            c.closing = true;
        }
        Some(c)
    }

    /// Drives the TLS handshake to its end with blocking I/O
    /// (thread-per-connection driver). False if it failed or the
    /// connection should close (killed, shutdown, idle too long).
    fn handshake_blocking(&mut self) -> bool {
        loop {
            match self.stream.handshake_step() {
                Ok(true) => return true,
                Ok(false) => {
                    if self.client.info.killed.load(Relaxed)
                        || self.srv.is_shutting_down()
                        || self.idle_too_long(crate::store::now_ms())
                    {
                        return false;
                    }
                }
                Err(e) => {
                    self.handshake_failed(&e);
                    return false;
                }
            }
        }
    }

    /// Logs (verbose, as Redis does) and counts a failed TLS handshake;
    /// the caller closes the connection.
    pub fn handshake_failed(&self, e: &std::io::Error) {
        self.srv.stats.tls_handshake_failures.fetch_add(1, Relaxed);
        crate::audit::rejected(&self.client.info.addr.to_string(), "tls-handshake");
        crate::verbose!(
            "Error accepting a client connection: {} (addr={} laddr={})",
            e,
            self.client.info.addr,
            self.client.info.laddr
        );
    }

    /// Reads what is available into the buffer. Ok(0) = the peer closed.
    pub fn fill(&mut self) -> std::io::Result<usize> {
        if self.buf.is_empty() {
            self.buf = vec![0u8; READ_CHUNK];
        }
        // Move a partial request to the front before the free tail gets
        // small, so reads stay large.
        if self.start > 0 && self.buf.len() - self.filled < READ_CHUNK / 4 {
            self.buf.copy_within(self.start..self.filled, 0);
            self.filled -= self.start;
            self.start = 0;
        }
        if self.filled == self.buf.len() {
            if self.start > 0 {
                self.buf.copy_within(self.start..self.filled, 0);
                self.filled -= self.start;
                self.start = 0;
            }
            if self.filled == self.buf.len() {
                // Grow by doubling: memory follows the bytes that actually
                // arrived, never a length the client merely declared.
                self.buf.resize(self.buf.len() * 2, 0);
            }
        }
        let mut n = self.stream.read(&mut self.buf[self.filled..])?;
        self.filled += n;
        if n > 0 && self.stream.is_tls() {
            // rustls may have decrypted more than fitted: take it all now,
            // as the socket will not report it readable again.
            loop {
                let more = self.stream.buffered();
                if more == 0 {
                    break;
                }
                if self.buf.len() - self.filled < more {
                    self.buf.resize(self.filled + more, 0);
                }
                let k = self.stream.read(&mut self.buf[self.filled..])?;
                if k == 0 {
                    break;
                }
                self.filled += k;
                n += k;
            }
        }
        if n > 0 {
            self.srv.stats.net_input_bytes.fetch_add(n as u64, Relaxed);
            self.srv.stats.reads_processed.fetch_add(1, Relaxed);
            self.client
                .info
                .last_interaction
                .store(crate::store::now_ms(), Relaxed);
        }
        Ok(n)
    }

    /// Parses and executes every complete command in the buffer, appending
    /// the replies to `out`. With `may_hold`, a command that CLIENT PAUSE
    /// applies to is held (Flow::Paused) instead of waiting in this thread.
    pub fn process(&mut self, may_hold: bool) -> Flow {
        let srv = self.srv.clone();
        let mut limits = Limits {
            max_bulk_len: srv.hot.proto_max_bulk_len.load(Relaxed),
            max_multibulk_len: i32::MAX as u64,
            max_inline_len: INLINE_MAX,
            unauthenticated: self.must_authenticate(),
        };
        let obuf = [0, 1, 2].map(|i| srv.hot.obuf_normal[i].load(Relaxed));
        let obuf_on = obuf[0] > 0 || obuf[1] > 0;
        let mut flow = Flow::Continue;
        let ticket = crate::persist::ticket();
        self.stopped_early = false;
        loop {
            let batch = if limits.unauthenticated {
                OUT_BATCH_UNAUTH
            } else {
                OUT_BATCH
            };
            if self.held.is_none() && self.out.len() - self.out_pos >= batch {
                self.stopped_early = self.start < self.filled;
                break;
            }
            let args = match self.held.take() {
                Some(a) => a,
                None => match self
                    .parser
                    .parse(&self.buf[self.start..self.filled], &limits)
                {
                    Ok(Some((Parsed::Command(args), used))) => {
                        self.start += used;
                        args
                    }
                    Ok(Some((Parsed::Empty, used))) => {
                        self.start += used;
                        continue;
                    }
                    Ok(None) => break,
                    Err(e) => {
                        crate::verbose!(
                            "Protocol error ({}) from client id={} addr={}",
                            e.0,
                            self.client.id,
                            self.client.info.addr
                        );
                        self.out.extend_from_slice(b"-ERR ");
                        self.out.extend_from_slice(e.0.as_bytes());
                        self.out.extend_from_slice(b"\r\n");
                        flow = Flow::Close;
                        break;
                    }
                },
            };
            if !may_hold && srv.pause.is_paused() && self.has_output() {
                // This thread may be about to wait out a CLIENT PAUSE: send
                // the replies already produced first, as Redis would.
                self.note_ticket(ticket);
                self.wait_wal();
                let _ = self.write_some();
            }
            if let Some(args) = execute(&srv, &mut self.client, args, &mut self.out, may_hold) {
                self.held = Some(args);
                flow = if self.client.held_blocked {
                    Flow::Blocked
                } else {
                    Flow::Paused
                };
                break;
            }
            if self.client.close_after_reply {
                flow = Flow::Close;
                break;
            }
            if limits.unauthenticated {
                // AUTH may just have succeeded.
                limits.unauthenticated = self.must_authenticate();
            }
            if obuf_on && self.output_over_limit(obuf) {
                crate::warning!(
                    "Client {} scheduled to be closed ASAP for overcoming of output buffer limits.",
                    self.client.info.describe(false)
                );
                crate::pubsub::count_obuf_disconnection();
                // Like Redis, what it did not read is dropped with it.
                self.out.clear();
                self.out_pos = 0;
                flow = Flow::Close;
                break;
            }
        }
        crate::exec::flush_stats(&srv, &mut self.client);
        self.note_ticket(ticket);
        if self.start == self.filled {
            self.start = 0;
            self.filled = 0;
            if self.buf.len() > 4 * READ_CHUNK {
                // Give back what a big request needed.
                self.buf = vec![0u8; READ_CHUNK];
            }
        }
        let pending = self.filled - self.start;
        self.client.info.qbuf.store(pending, Relaxed);
        if pending as u64 > srv.hot.client_query_buffer_limit.load(Relaxed) {
            crate::warning!(
                "Closing client that reached max query buffer length: id={} addr={} (qbuf={})",
                self.client.id,
                self.client.info.addr,
                pending
            );
            flow = Flow::Close;
        }
        flow
    }

    /// Whether the client must still authenticate (a password is required
    /// and it has not given it): its requests get Redis's tight limits.
    fn must_authenticate(&self) -> bool {
        !self.client.authenticated && !self.srv.default_user_nopass()
    }

    /// Whether a normal client's unsent replies broke
    /// `client-output-buffer-limit normal` (`[hard, soft, soft seconds]`):
    /// at or over `hard`, or at or over `soft` for longer than the seconds
    /// (Redis's `checkClientOutputBufferLimits`). Subscribed clients answer
    /// to the `pubsub` class instead (src/pubsub.rs).
    fn output_over_limit(&mut self, [hard, soft, secs]: [u64; 3]) -> bool {
        if self.client.info.mail.subscribed() {
            return false;
        }
        let used = (self.out.len() - self.out_pos) as u64;
        if hard > 0 && used >= hard {
            return true;
        }
        if soft > 0 && used >= soft {
            // The first time only starts the clock.
            return match self.obuf_soft_since {
                None => {
                    self.obuf_soft_since = Some(Instant::now());
                    false
                }
                Some(t) => t.elapsed() > Duration::from_secs(secs),
            };
        }
        self.obuf_soft_since = None;
        false
    }

    /// Remembers the WAL position this thread reached if the commands just
    /// run logged anything (`before` = the position before them).
    fn note_ticket(&mut self, before: u64) {
        let t = crate::persist::ticket();
        if t != before {
            self.wal_ticket = self.wal_ticket.max(t);
            if let Some(w) = crate::persist::wal() {
                // Under `always`, get the fsync going now: it then overlaps
                // with serving the other ready connections of this round.
                w.request_sync(self.wal_ticket);
            }
        }
    }

    /// Whether the replies may leave: their WAL records are as safe as
    /// `appendfsync` promises. If not, the fsync is requested (the WAL
    /// writer wakes the event loop when it is done); under `everysec`/`no`
    /// the records are written out here and now.
    pub fn wal_ready(&mut self) -> bool {
        if self.wal_ticket == 0 {
            return true;
        }
        let Some(w) = crate::persist::wal() else {
            self.wal_ticket = 0;
            return true;
        };
        let t = self.wal_ticket;
        if !w.is_done(t) {
            if w.fsync_policy() == crate::persist::wal::FsyncPolicy::Always {
                w.request_sync(t);
            } else {
                w.write_through(t);
            }
            if !w.is_done(t) {
                return false;
            }
        }
        self.wal_ticket = 0;
        true
    }

    /// Whether the WAL already holds the replies' records as safely as
    /// `appendfsync` promises (no side effects).
    pub fn wal_done(&self) -> bool {
        self.wal_ticket == 0 || crate::persist::wal().is_none_or(|w| w.is_done(self.wal_ticket))
    }

    /// Blocks until `wal_ready` (thread-per-connection driver). While the
    /// WAL is failing this waits for the disk to recover; at shutdown it
    /// gives up and the replies are never sent (nothing unlogged is acked).
    pub fn wait_wal(&mut self) -> bool {
        while !self.wal_ready() {
            let Some(w) = crate::persist::wal() else {
                return true;
            };
            if w.wait(self.wal_ticket).is_err() {
                if self.srv.is_shutting_down() {
                    return false;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        true
    }

    /// Moves Pub/Sub messages waiting in the mailbox behind the pending
    /// replies. Returns whether there were any.
    pub fn take_mail(&mut self) -> bool {
        let got = self.client.info.mail.take_into(&mut self.out);
        if got {
            self.note_pending_out();
        }
        got
    }

    /// Tells the mailbox how much output is still unwritten (it counts
    /// toward the Pub/Sub output buffer limit).
    fn note_pending_out(&self) {
        self.client
            .info
            .mail
            .set_pending_out(self.out.len() - self.out_pos);
    }

    /// Whether a command is held (by CLIENT PAUSE, or blocked).
    pub fn is_held(&self) -> bool {
        self.held.is_some()
    }

    /// Whether a blocking command is held waiting for data.
    pub fn is_blocked(&self) -> bool {
        self.held.is_some() && self.client.held_blocked
    }

    /// Whether the blocked command should run again: a key it waits on was
    /// signalled, CLIENT UNBLOCK, or its deadline passed.
    pub fn block_due(&self, now: Instant) -> bool {
        self.client.waiter.is_ready() || crate::blocking::timed_out(&self.client, now)
    }

    /// The blocked command's deadline (None = forever).
    pub fn block_deadline(&self) -> Option<Instant> {
        self.client.blocked.as_ref().and_then(|b| b.deadline)
    }

    /// Thread-per-connection driver: waits until the blocked command is
    /// due. False if the connection should close instead (the peer hung
    /// up, killed, shutdown).
    fn wait_blocked(&mut self) -> bool {
        loop {
            let now = Instant::now();
            if self.block_due(now) {
                return true;
            }
            if self.client.info.killed.load(Relaxed) || self.srv.is_shutting_down() {
                return false;
            }
            if self.peer_closed() {
                return false;
            }
            let mut slice = Duration::from_millis(100);
            if let Some(d) = self.block_deadline() {
                slice = slice.min(d.saturating_duration_since(now));
            }
            self.client.waiter.wait(slice);
        }
    }

    /// Whether the peer closed the connection (a pending read would see
    /// end-of-input), without consuming anything.
    fn peer_closed(&self) -> bool {
        if self.stream.set_nonblocking(true).is_err() {
            return true;
        }
        let mut b = [0u8; 1];
        let closed = match self.stream.peek(&mut b) {
            Ok(0) => true,
            Ok(_) => false,
            Err(e) => e.kind() != ErrorKind::WouldBlock && e.kind() != ErrorKind::Interrupted,
        };
        let _ = self.stream.set_nonblocking(false);
        closed
    }

    /// Frees the buffers of a connection with nothing pending (called for
    /// idle clients), so thousands of idle connections cost little memory.
    pub fn release_idle_buffers(&mut self) {
        if self.start == self.filled && self.held.is_none() && !self.has_output() {
            self.buf = Vec::new();
            self.start = 0;
            self.filled = 0;
            self.out = Vec::new();
        }
    }

    /// Whether `process` left commands to run once the pending replies are
    /// written (see `OUT_BATCH`).
    pub fn stopped_early(&self) -> bool {
        self.stopped_early
    }

    /// Whether replies (or TLS records) are waiting to be written.
    pub fn has_output(&self) -> bool {
        self.out_pos < self.out.len() || self.stream.wants_write()
    }

    /// Writes pending replies until done or the socket would block.
    /// Ok(true) = everything written.
    pub fn write_some(&mut self) -> std::io::Result<bool> {
        while self.out_pos < self.out.len() {
            match self.stream.write(&self.out[self.out_pos..]) {
                Ok(0) => return Err(ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.out_pos += n;
                    self.srv.stats.net_output_bytes.fetch_add(n as u64, Relaxed);
                    self.srv.stats.writes_processed.fetch_add(1, Relaxed);
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    self.note_pending_out();
                    return Ok(false);
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.out_pos = 0;
        self.obuf_soft_since = None;
        self.client.info.mail.set_pending_out(0);
        if self.out.capacity() > 1024 * 1024 {
            self.out = Vec::with_capacity(READ_CHUNK);
        } else {
            self.out.clear();
        }
        // TLS: the last records may still be queued in rustls.
        self.stream.flush_records()
    }

    /// Whether the client has been idle longer than `timeout` (0 = never).
    pub fn idle_too_long(&self, now_ms: u64) -> bool {
        let timeout = self.srv.hot.timeout.load(Relaxed);
        timeout > 0
            && now_ms.saturating_sub(self.client.info.last_interaction.load(Relaxed))
                >= timeout * 1000
    }

    /// Sends what is pending (best effort) and closes our write side.
    pub fn finish(&mut self) {
        if !self.wait_wal() {
            self.out.clear();
            self.out_pos = 0;
        }
        let _ = self.stream.set_nonblocking(false);
        let _ = self.stream.set_write_timeout(Some(Duration::from_secs(1)));
        let _ = self.write_some();
        self.stream.shutdown_write();
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        crate::blocking::cancel(&self.srv, &mut self.client);
        crate::command::tx::unwatch_all(&self.srv, &mut self.client);
        crate::pubsub::unsubscribe_all(&self.client.info, &mut self.client.subs);
        crate::obs::monitor::stop(&self.client.info);
        crate::tracking::disable(&self.client.info);
        self.client.info.closed.store(true, Relaxed);
        self.srv.clients.remove(self.client.id);
        self.srv.clients.release();
    }
}

#[cfg(unix)]
fn raw_fd(s: &TcpStream) -> i64 {
    use std::os::fd::AsRawFd;
    s.as_raw_fd() as i64
}

#[cfg(not(unix))]
fn raw_fd(_: &TcpStream) -> i64 {
    -1
}

/// How the thread-per-connection driver of a subscribed client waits for
/// either its socket or a published message: `poll(2)` on the socket and a
/// pipe the publisher writes a byte to (Unix); elsewhere a short timeout.
#[derive(Default)]
struct MailWait {
    #[cfg(unix)]
    pipe: Option<std::io::PipeReader>,
    #[cfg(not(unix))]
    flip: bool,
}

impl MailWait {
    /// Waits up to POLL; true when the socket has input (or hung up),
    /// false when mail may be waiting or the time is up.
    #[cfg(unix)]
    fn input_ready(&mut self, c: &Conn) -> bool {
        use std::io::{Read, Write};
        use std::os::fd::AsRawFd;
        if self.pipe.is_none() {
            let Ok((r, w)) = std::io::pipe() else {
                return true;
            };
            c.client.info.mail.set_waker(Box::new(move || {
                let _ = (&w).write(&[1]);
            }));
            self.pipe = Some(r);
            // Mail that arrived before the waker was installed.
            if c.client.info.mail.has_mail() {
                return false;
            }
        }
        let Some(r) = self.pipe.as_mut() else {
            return true;
        };
        let fds = [c.stream.as_raw_fd(), r.as_raw_fd()];
        match super::sys::poll_readable(&fds, POLL.as_millis() as i32) {
            Ok(ready) => {
                if ready[1] {
                    // One byte per wake-up (the mailbox wakes once per
                    // batch of mail), so this never blocks.
                    let _ = r.read(&mut [0u8; 64]);
                }
                ready[0]
            }
            Err(_) => true,
        }
    }

    #[cfg(not(unix))]
    fn input_ready(&mut self, c: &Conn) -> bool {
        // Alternate a short read with a look at the mailbox.
        let _ = c.stream.set_read_timeout(Some(Duration::from_millis(10)));
        self.flip = !self.flip;
        self.flip
    }
}

/// The thread-per-connection driver: serves one admitted connection with
/// blocking I/O until it closes.
pub fn serve(srv: &Arc<Server>, accepted: Accepted) {
    let Some(mut c) = Conn::new(srv, accepted) else {
        return;
    };
    let _ = c.stream.set_read_timeout(Some(POLL));
    if c.stream.is_handshaking() && !c.handshake_blocking() {
        return;
    }
    if c.closing {
        // Refused (protected mode): the explanation, then close.
        c.finish();
        return;
    }
    let mut mail = MailWait::default();
    loop {
        if c.is_blocked() {
            // Waiting for data: no reading until the command is served.
            if !c.wait_blocked() {
                return;
            }
        } else if c.stopped_early() {
            // The replies so far are written: run the rest of the buffer
            // before reading more.
        } else if c.client.info.mail.listening() && !mail.input_ready(&c) {
            // Subscribed (or monitoring) and nothing to read: deliver what
            // was published.
            if c.take_mail() && (!c.wait_wal() || c.write_some().is_err()) {
                return;
            }
            if c.client.info.killed.load(Relaxed) || srv.is_shutting_down() {
                return;
            }
            continue;
        } else {
            match c.fill() {
                Ok(0) => return,
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::TimedOut => {
                    if c.client.info.killed.load(Relaxed) || srv.is_shutting_down() {
                        return;
                    }
                    if c.idle_too_long(crate::store::now_ms()) {
                        crate::verbose!("Closing idle client id={}", c.client.id);
                        return;
                    }
                    c.release_idle_buffers();
                    continue;
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => return,
            }
        }
        let flow = c.process(false);
        if !c.wait_wal() {
            return;
        }
        if c.has_output() && c.write_some().is_err() {
            return;
        }
        if flow == Flow::Close {
            c.finish();
            return;
        }
    }
}
