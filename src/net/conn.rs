//! One connection: read what is available, execute every complete command
//! in the buffer, write all the replies with one write. That loop is what
//! makes pipelining cheap. Protocol errors get Redis's reply and close the
//! connection; the query buffer is bounded by `client-query-buffer-limit`.

use crate::exec::execute;
use crate::resp::parser::{Limits, Parsed, Parser};
use crate::server::{Client, ClientInfo, Server};
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const READ_CHUNK: usize = 16 * 1024;
/// Redis's PROTO_INLINE_MAX_SIZE.
const INLINE_MAX: usize = 64 * 1024;
/// How often an idle connection wakes to check `timeout`, kills, shutdown.
const POLL: Duration = Duration::from_millis(1000);

/// Gives the connection's `maxclients` slot back however `serve` returns.
struct Admitted<'a>(&'a Server);

impl Drop for Admitted<'_> {
    fn drop(&mut self) {
        self.0.clients.release();
    }
}

/// Serves one connection admitted by the listener until it closes.
pub fn serve(srv: &Arc<Server>, stream: TcpStream) {
    let _slot = Admitted(srv);
    let (addr, laddr) = match (stream.peer_addr(), stream.local_addr()) {
        (Ok(a), Ok(l)) => (a, l),
        _ => return,
    };
    let shared = match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    };
    let now = crate::store::now_ms();
    let info = Arc::new(ClientInfo {
        id: srv.clients.next_id(),
        addr,
        laddr,
        created: Instant::now(),
        name: Mutex::new(Vec::new()),
        db: AtomicUsize::new(0),
        resp: AtomicUsize::new(2),
        last_interaction: AtomicU64::new(now),
        last_cmd: AtomicUsize::new(0),
        killed: AtomicBool::new(false),
        qbuf: AtomicUsize::new(0),
        stream: shared,
    });
    srv.clients.add(info.clone());
    srv.stats.connections_received.fetch_add(1, Relaxed);
    let id = info.id;
    // A late shutdown must not miss this client.
    if srv.is_shutting_down() {
        info.kill();
    }
    let mut client = Client::new(info);
    handle(srv, &mut client, stream);
    srv.clients.remove(id);
}

fn handle(srv: &Arc<Server>, client: &mut Client, mut stream: TcpStream) {
    let _ = stream.set_read_timeout(Some(POLL));
    let mut buf = vec![0u8; READ_CHUNK];
    let mut start = 0usize; // first unconsumed byte
    let mut filled = 0usize; // bytes read so far
    let mut out: Vec<u8> = Vec::with_capacity(READ_CHUNK);
    let mut parser = Parser::new();
    loop {
        // Make room to read: reuse the front, then grow for a big bulk.
        if filled == buf.len() {
            if start > 0 {
                buf.copy_within(start..filled, 0);
                filled -= start;
                start = 0;
            }
            if filled == buf.len() {
                // Grow by doubling: memory follows the bytes that actually
                // arrived, never a length the client merely declared.
                buf.resize(buf.len() * 2, 0);
            }
        }
        let n = match stream.read(&mut buf[filled..]) {
            Ok(0) => return,
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::TimedOut => {
                if client.info.killed.load(Relaxed) || srv.is_shutting_down() {
                    return;
                }
                let timeout = srv.hot.timeout.load(Relaxed);
                if timeout > 0 {
                    let idle = crate::store::now_ms()
                        .saturating_sub(client.info.last_interaction.load(Relaxed));
                    if idle >= timeout * 1000 {
                        crate::verbose!("Closing idle client id={}", client.id);
                        return;
                    }
                }
                continue;
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => return,
        };
        filled += n;
        srv.stats.net_input_bytes.fetch_add(n as u64, Relaxed);
        client
            .info
            .last_interaction
            .store(crate::store::now_ms(), Relaxed);
        let limits = Limits {
            max_bulk_len: srv.hot.proto_max_bulk_len.load(Relaxed),
            max_multibulk_len: i32::MAX as u64,
            max_inline_len: INLINE_MAX,
        };
        let mut close = false;
        loop {
            match parser.parse(&buf[start..filled], &limits) {
                Ok(Some((Parsed::Command(args), used))) => {
                    start += used;
                    execute(srv, client, args, &mut out);
                    if client.close_after_reply {
                        close = true;
                        break;
                    }
                }
                Ok(Some((Parsed::Empty, used))) => start += used,
                Ok(None) => break,
                Err(e) => {
                    crate::verbose!(
                        "Protocol error ({}) from client id={} addr={}",
                        e.0,
                        client.id,
                        client.info.addr
                    );
                    out.extend_from_slice(b"-ERR ");
                    out.extend_from_slice(e.0.as_bytes());
                    out.extend_from_slice(b"\r\n");
                    close = true;
                    break;
                }
            }
        }
        crate::exec::flush_stats(srv, client);
        if start == filled {
            start = 0;
            filled = 0;
            if buf.len() > 4 * READ_CHUNK {
                // Give back what a big request needed.
                buf = vec![0u8; READ_CHUNK];
            }
        }
        let pending = filled - start;
        client.info.qbuf.store(pending, Relaxed);
        if pending as u64 > srv.hot.client_query_buffer_limit.load(Relaxed) {
            crate::warning!(
                "Closing client that reached max query buffer length: id={} addr={} (qbuf={})",
                client.id,
                client.info.addr,
                pending
            );
            close = true;
        }
        if !out.is_empty() {
            if stream.write_all(&out).is_err() {
                return;
            }
            srv.stats
                .net_output_bytes
                .fetch_add(out.len() as u64, Relaxed);
            if out.capacity() > 1024 * 1024 {
                out = Vec::with_capacity(READ_CHUNK);
            } else {
                out.clear();
            }
        }
        if close {
            let _ = stream.flush();
            let _ = stream.shutdown(std::net::Shutdown::Write);
            return;
        }
    }
}
