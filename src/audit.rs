//! The audit log (`audit-log <file>`, off by default): one JSON object per
//! line for every security-relevant action — failed authentication, admin
//! commands (CONFIG, ACL, CLIENT KILL, SHUTDOWN, DEBUG-like, SAVE, ...),
//! FLUSHDB / FLUSHALL / SWAPDB, and refused connections.
//!
//! Each line says when (`ts`, RFC 3339 UTC), who (`client_id`, `addr`,
//! `user`), what (`event`, `command`) and how it ended (`result`: `ok` or
//! the error's code word). Argument *values* are never written — they may
//! hold passwords — only names that are safe by construction: CONFIG SET's
//! parameter names, the user an ACL command targets.
//!
//! The directive cannot be changed at run time (CONFIG SET could otherwise
//! switch auditing off); each line is written with one `write` call to a
//! file opened for appending, so lines from concurrent threads never mix.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

static ON: AtomicBool = AtomicBool::new(false);
static FILE: Mutex<Option<std::fs::File>> = Mutex::new(None);

/// Opens (creating, appending) the audit log; "" = off.
pub fn open(path: &str) -> std::io::Result<()> {
    let f = crate::log::open_append(path)?;
    ON.store(f.is_some(), Ordering::SeqCst);
    *FILE.lock().unwrap_or_else(|e| e.into_inner()) = f;
    Ok(())
}

/// Whether auditing is on (one atomic load).
pub fn enabled() -> bool {
    ON.load(Ordering::Relaxed)
}

/// Who did it.
pub struct Who<'a> {
    pub client_id: u64,
    pub addr: String,
    pub user: &'a str,
}

/// Appends `s` as a JSON string literal.
fn json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// One audit line: `event` by `who`, with extra string `fields`.
pub fn record(event: &str, who: &Who, fields: &[(&str, &str)]) {
    if !enabled() {
        return;
    }
    let mut line = String::with_capacity(160);
    line.push_str("{\"ts\":");
    json_str(&mut line, &crate::log::iso8601(crate::store::now_ms()));
    line.push_str(",\"event\":");
    json_str(&mut line, event);
    line.push_str(&format!(",\"client_id\":{}", who.client_id));
    line.push_str(",\"addr\":");
    json_str(&mut line, &who.addr);
    line.push_str(",\"user\":");
    json_str(&mut line, who.user);
    for (k, v) in fields {
        line.push(',');
        json_str(&mut line, k);
        line.push(':');
        json_str(&mut line, v);
    }
    line.push_str("}\n");
    let mut f = FILE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(file) = f.as_mut() {
        if let Err(e) = file.write_all(line.as_bytes()) {
            drop(f);
            crate::warning!("Can't write to the audit log: {}", e);
        }
    }
}

/// A connection refused before it could run anything (maxclients,
/// protected mode, a failed TLS handshake).
pub fn rejected(addr: &str, reason: &str) {
    record(
        "connection_rejected",
        &Who {
            client_id: 0,
            addr: addr.to_string(),
            user: "",
        },
        &[("reason", reason)],
    );
}

/// The names that are safe to log for a command: CONFIG SET's parameter
/// names, the user ACL SETUSER / DELUSER / GETUSER / DRYRUN targets, the
/// filter names of CLIENT KILL. Never a value.
pub fn safe_details(full_name: &str, args: &[Vec<u8>]) -> Option<(&'static str, String)> {
    let text = |a: &[u8]| String::from_utf8_lossy(&a[..a.len().min(128)]).into_owned();
    match full_name {
        "config|set" => Some((
            "params",
            args.iter()
                .skip(2)
                .step_by(2)
                .map(|a| text(a).to_ascii_lowercase())
                .collect::<Vec<_>>()
                .join(","),
        )),
        "config|get" => Some((
            "params",
            args.iter()
                .skip(2)
                .map(|a| text(a))
                .collect::<Vec<_>>()
                .join(","),
        )),
        "acl|setuser" | "acl|getuser" | "acl|dryrun" => args.get(2).map(|u| ("target", text(u))),
        "acl|deluser" => Some((
            "target",
            args.iter()
                .skip(2)
                .map(|a| text(a))
                .collect::<Vec<_>>()
                .join(","),
        )),
        "client|kill" if args.len() > 3 => Some((
            "filters",
            args.iter()
                .skip(2)
                .step_by(2)
                .map(|a| text(a).to_ascii_lowercase())
                .collect::<Vec<_>>()
                .join(","),
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(v: &[&str]) -> Vec<Vec<u8>> {
        v.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    #[test]
    fn json_escaping() {
        let mut s = String::new();
        json_str(&mut s, "a\"b\\c\nd\u{1}é");
        assert_eq!(s, r#""a\"b\\c\nd\u0001é""#);
    }

    #[test]
    fn details_never_include_values() {
        let d = safe_details(
            "config|set",
            &a(&["CONFIG", "SET", "requirepass", "s3cret", "MAXMEMORY", "1gb"]),
        );
        assert_eq!(d, Some(("params", "requirepass,maxmemory".to_string())));
        let d = safe_details(
            "acl|setuser",
            &a(&["ACL", "SETUSER", "alice", ">s3cret", "on"]),
        );
        assert_eq!(d, Some(("target", "alice".to_string())));
        let d = safe_details(
            "client|kill",
            &a(&["CLIENT", "KILL", "ADDR", "1.2.3.4:5", "SKIPME", "no"]),
        );
        assert_eq!(d, Some(("filters", "addr,skipme".to_string())));
        assert_eq!(
            safe_details("client|kill", &a(&["CLIENT", "KILL", "1.2.3.4:5"])),
            None
        );
        assert_eq!(safe_details("shutdown", &a(&["SHUTDOWN", "NOSAVE"])), None);
    }
}
