//! The slow log (SLOWLOG): commands that ran at least
//! `slowlog-log-slower-than` microseconds, newest first, at most
//! `slowlog-max-len` of them, as Redis 7.0 keeps them.
//!
//! An entry holds what Redis's does: a unique id (never reused, not reset
//! by SLOWLOG RESET), the unix time, the duration in µs, the arguments
//! (at most 32, the last then saying `... (N more arguments)`; each at most
//! 128 bytes, then `... (N more bytes)`; secrets `(redacted)`), the
//! client's address and its name. `exec::call` measures every command
//! already; only one above the threshold takes the mutex.

use super::REDACTED;
use crate::resp::Reply;
use std::collections::VecDeque;
use std::sync::Mutex;

/// Redis's SLOWLOG_ENTRY_MAX_ARGC and SLOWLOG_ENTRY_MAX_STRING.
const MAX_ARGC: usize = 32;
const MAX_STRING: usize = 128;

pub struct Entry {
    pub id: u64,
    pub time: u64,
    pub duration: u64,
    pub args: Vec<Vec<u8>>,
    pub peer: String,
    pub name: Vec<u8>,
}

struct Log {
    entries: VecDeque<Entry>,
    next_id: u64,
}

static LOG: Mutex<Log> = Mutex::new(Log {
    entries: VecDeque::new(),
    next_id: 0,
});

fn log() -> std::sync::MutexGuard<'static, Log> {
    LOG.lock().unwrap_or_else(|e| e.into_inner())
}

/// The arguments as an entry keeps them: truncated, and the positions in
/// `redact` replaced by `(redacted)`.
pub fn entry_args(args: &[Vec<u8>], redact: &[usize]) -> Vec<Vec<u8>> {
    let argc = args.len();
    let kept = argc.min(MAX_ARGC);
    (0..kept)
        .map(|j| {
            if kept != argc && j == kept - 1 {
                format!("... ({} more arguments)", argc - kept + 1).into_bytes()
            } else if redact.contains(&j) {
                REDACTED.to_vec()
            } else if args[j].len() > MAX_STRING {
                let mut s = args[j][..MAX_STRING].to_vec();
                s.extend_from_slice(
                    format!("... ({} more bytes)", args[j].len() - MAX_STRING).as_bytes(),
                );
                s
            } else {
                args[j].clone()
            }
        })
        .collect()
}

/// Adds an entry (the caller checked the threshold), then trims the log to
/// `max_len` — like Redis, an entry pushed with `slowlog-max-len 0` still
/// uses up an id.
pub fn push(mut e: Entry, max_len: usize) {
    let mut l = log();
    e.id = l.next_id;
    l.next_id += 1;
    l.entries.push_front(e);
    l.entries.truncate(max_len);
}

/// SLOWLOG LEN.
pub fn len() -> usize {
    log().entries.len()
}

/// SLOWLOG RESET.
pub fn reset() {
    log().entries.clear();
}

/// SLOWLOG GET: the newest `count` entries (all with None).
pub fn get(count: Option<usize>) -> Reply {
    let l = log();
    let n = count.unwrap_or(usize::MAX).min(l.entries.len());
    Reply::Array(
        l.entries
            .iter()
            .take(n)
            .map(|e| {
                Reply::Array(vec![
                    Reply::Int(e.id as i64),
                    Reply::Int(e.time as i64),
                    Reply::Int(e.duration as i64),
                    Reply::Array(e.args.iter().map(|a| Reply::Bulk(a.clone())).collect()),
                    Reply::Bulk(e.peer.clone().into_bytes()),
                    Reply::Bulk(e.name.clone()),
                ])
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(v: &[&str]) -> Vec<Vec<u8>> {
        v.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    #[test]
    fn truncation_like_redis() {
        let many: Vec<String> = (0..40).map(|i| i.to_string()).collect();
        let refs: Vec<&str> = many.iter().map(|s| s.as_str()).collect();
        let e = entry_args(&a(&refs), &[]);
        assert_eq!(e.len(), 32);
        assert_eq!(e[30], b"30");
        assert_eq!(e[31], b"... (9 more arguments)");
        let exactly: Vec<&str> = refs[..32].to_vec();
        assert_eq!(entry_args(&a(&exactly), &[])[31], b"31");
        let big = "x".repeat(200);
        let e = entry_args(&a(&["SET", "k", &big]), &[]);
        assert_eq!(
            e[2],
            format!("{}... (72 more bytes)", "x".repeat(128)).as_bytes()
        );
        let e = entry_args(&a(&["AUTH", "user", "pass"]), &[1, 2]);
        assert_eq!(e, a(&["AUTH", "(redacted)", "(redacted)"]));
    }
}
