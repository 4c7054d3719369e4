//! MONITOR: every command any client runs, as one status line per command
//! to each monitoring client, in Redis 7.0's format:
//!
//! ```text
//! +1700000000.123456 [0 127.0.0.1:5555] "SET" "k" "v\x00"
//! ```
//!
//! (unix time with microseconds, the DB the client is in after the command,
//! its address, the arguments quoted like `sdscatrepr`, secrets as
//! `(redacted)`). Like Redis, a line is sent once the command has run;
//! commands flagged `admin` or `skip_monitor`, and commands refused before
//! running (unknown, arity, NOAUTH, ...), are not shown.
//!
//! # Delivery never blocks the command path
//! The line is built once and appended to each monitor's Pub/Sub
//! [`Mailbox`](crate::pubsub::Mailbox) — the same mechanism as a published
//! message: a short mutex, a wake-up of the monitor's own thread, and the
//! output buffer limit (`client-output-buffer-limit normal`, or `pubsub`
//! for a subscribed monitor, as Redis classifies it) checked on every
//! line: a monitor that stops reading is disconnected there, never waited
//! for. A client's line about its own command goes after that command's
//! reply, as in Redis. With nobody monitoring, the cost is one atomic load.

use crate::command::CommandSpec;
use crate::resp::Reply;
use crate::server::{Client, ClientInfo};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, RwLock};

struct Registry {
    list: RwLock<Vec<Arc<ClientInfo>>>,
    /// Monitors registered (the fast path's one load).
    count: AtomicUsize,
}

static REG: Registry = Registry {
    list: RwLock::new(Vec::new()),
    count: AtomicUsize::new(0),
};

/// Whether anyone monitors.
#[inline]
pub fn active() -> bool {
    REG.count.load(Relaxed) > 0
}

/// Makes `info` a monitor (after its `+OK` is queued, so the first line
/// cannot overtake it). Idempotent.
pub fn start(info: &Arc<ClientInfo>) {
    let mut l = REG.list.write().unwrap_or_else(|e| e.into_inner());
    if info.mail.monitor.swap(true, Relaxed) {
        return;
    }
    l.push(info.clone());
    REG.count.store(l.len(), Relaxed);
}

/// Ends monitoring for `info` (RESET, disconnect); a no-op for others.
pub fn stop(info: &ClientInfo) {
    if !info.mail.monitor.load(Relaxed) {
        return;
    }
    let mut l = REG.list.write().unwrap_or_else(|e| e.into_inner());
    info.mail.monitor.store(false, Relaxed);
    l.retain(|c| c.id != info.id);
    REG.count.store(l.len(), Relaxed);
}

/// Redis refuses a monitor (a replica, to Redis) any command that reads or
/// writes the keyspace: `Some(error)` for such a command.
pub fn refuse(client: &Client, spec: &CommandSpec) -> Option<Reply> {
    use crate::command::{MAY_REPLICATE, READONLY, WRITE};
    if !client.info.mail.monitor.load(Relaxed)
        || spec.flags & (READONLY | WRITE | MAY_REPLICATE) == 0
    {
        return None;
    }
    Some(Reply::err("ERR Replica can't interact with the keyspace"))
}

/// Sends the line for `args`, just run by `client`, to every monitor.
pub fn feed(client: &mut Client, args: &[Vec<u8>], redact: &[usize]) {
    let mut line = Vec::with_capacity(64 + args.iter().map(|a| a.len() + 3).sum::<usize>());
    format_line(
        &mut line,
        crate::store::now_us(),
        client.db,
        &client.info.addr,
        args,
        redact,
    );
    let l = REG.list.read().unwrap_or_else(|e| e.into_inner());
    for m in l.iter() {
        if m.id == client.id {
            // After this command's reply (obs::after_reply).
            client.obs.self_lines.extend_from_slice(&line);
        } else if m.mail.subscribed() {
            crate::pubsub::deliver_raw(m, &line, crate::pubsub::hub().limits(), "pubsub");
        } else {
            crate::pubsub::deliver_raw(m, &line, super::normal_limits(), "normal");
        }
    }
}

/// One monitor line (with its `+` and CRLF) appended to `out`.
pub fn format_line(
    out: &mut Vec<u8>,
    now_us: u64,
    db: usize,
    addr: &SocketAddr,
    args: &[Vec<u8>],
    redact: &[usize],
) {
    use std::io::Write;
    let _ = write!(
        out,
        "+{}.{:06} [{} {}] ",
        now_us / 1_000_000,
        now_us % 1_000_000,
        db,
        addr
    );
    for (j, a) in args.iter().enumerate() {
        if j > 0 {
            out.push(b' ');
        }
        if redact.contains(&j) {
            repr(out, super::REDACTED);
        } else {
            repr(out, a);
        }
    }
    out.extend_from_slice(b"\r\n");
}

/// Redis's `sdscatrepr`: a double-quoted string with `\\`, `\"`, `\n`,
/// `\r`, `\t`, `\a`, `\b` escaped and other non-printable bytes as `\xHH`.
pub fn repr(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    for &c in s {
        match c {
            b'\\' | b'"' => out.extend_from_slice(&[b'\\', c]),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x07 => out.extend_from_slice(b"\\a"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x20..=0x7e => out.push(c),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(&[
                    b'\\',
                    b'x',
                    HEX[(c >> 4) as usize],
                    HEX[(c & 15) as usize],
                ]);
            }
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_like_redis() {
        let addr: SocketAddr = "127.0.0.1:41546".parse().unwrap();
        let args: Vec<Vec<u8>> = vec![
            b"SET".to_vec(),
            b"k".to_vec(),
            "v\x00\x01\"\\\n\r\t\x07\x08\x7f\u{ff} é"
                .as_bytes()
                .to_vec(),
        ];
        let mut out = Vec::new();
        format_line(&mut out, 1_795_707_627_354_092, 0, &addr, &args, &[]);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "+1795707627.354092 [0 127.0.0.1:41546] \"SET\" \"k\" \"v\\x00\\x01\\\"\\\\\\n\\r\\t\\a\\b\\x7f\\xc3\\xbf \\xc3\\xa9\"\r\n"
        );
        let mut out = Vec::new();
        let auth: Vec<Vec<u8>> = vec![b"AUTH".to_vec(), b"pw".to_vec()];
        format_line(&mut out, 5, 3, &addr, &auth, &[1]);
        assert_eq!(
            out,
            b"+0.000005 [3 127.0.0.1:41546] \"AUTH\" \"(redacted)\"\r\n"
        );
        let v6: SocketAddr = "[::1]:7000".parse().unwrap();
        let mut out = Vec::new();
        format_line(&mut out, 0, 0, &v6, &[b"PING".to_vec()], &[]);
        assert_eq!(out, b"+0.000000 [0 [::1]:7000] \"PING\"\r\n");
    }
}
