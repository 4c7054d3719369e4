//! Interactive mode: the prompt (`127.0.0.1:6379[1](TX)> `), history in
//! `~/.flashdb_history`, hints and completion from COMMAND DOCS, `help`,
//! and a reconnect (with the same db, credentials and protocol) when the
//! server went away.

use crate::args::Config;
use crate::conn::{self, Conn};
use crate::format::{self, Output};
use crate::help::{self, Entry};
use crate::line::{Editor, Helper, Input};
use crate::resp::Reply;
use crate::Session;
use std::path::PathBuf;

struct Docs(Vec<Entry>);

impl Helper for Docs {
    fn complete(&self, line: &str) -> Vec<String> {
        help::complete(&self.0, line)
    }
    fn hint(&self, line: &str) -> Option<String> {
        help::hint(&self.0, line)
    }
}

/// `FLASHDB_CLI_HISTFILE`, else `~/.flashdb_history`; None disables it.
fn history_path() -> Option<PathBuf> {
    match std::env::var("FLASHDB_CLI_HISTFILE") {
        Ok(p) if p.is_empty() || p == "/dev/null" => None,
        Ok(p) => Some(PathBuf::from(p)),
        Err(_) => std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".flashdb_history")),
    }
}

/// Lines with secrets stay out of the history file.
fn sensitive(argv: &[String]) -> bool {
    let lower: Vec<String> = argv.iter().map(|a| a.to_ascii_lowercase()).collect();
    let l: Vec<&str> = lower.iter().map(|s| s.as_str()).collect();
    match l.as_slice() {
        ["auth", ..] => true,
        ["acl", "setuser", ..] => true,
        ["hello", rest @ ..] | ["migrate", rest @ ..] => {
            rest.contains(&"auth") || rest.contains(&"auth2")
        }
        ["config", "set", rest @ ..] => rest
            .iter()
            .any(|a| matches!(*a, "masterauth" | "requirepass" | "masteruser")),
        _ => false,
    }
}

fn prompt(cfg: &Config, connected: bool, in_multi: bool) -> String {
    if !connected {
        return "not connected> ".into();
    }
    let mut p = match &cfg.socket {
        Some(s) => format!("redis {}", s),
        None => conn::target(cfg),
    };
    if cfg.db != 0 {
        p.push_str(&format!("[{}]", cfg.db));
    }
    if in_multi {
        p.push_str("(TX)");
    }
    p.push_str("> ");
    p
}

pub fn run(mut cfg: Config, output: Output) -> i32 {
    let mut sess = Session::new(&cfg);
    if let Err(e) = sess.connect(&cfg) {
        eprintln!("{}", e);
    }
    let docs = Docs(sess.conn.as_mut().map(load_docs).unwrap_or_default());
    let mut docs_loaded = !docs.0.is_empty();
    let mut docs = docs;
    let mut ed = Editor::new(history_path());
    let mut in_multi = false;
    let mut pre_multi_db = cfg.db;
    loop {
        let p = prompt(&cfg, sess.conn.is_some(), in_multi);
        let line = match ed.readline(&p, &docs) {
            Ok(Input::Line(l)) => l,
            Ok(Input::Eof) | Ok(Input::Interrupted) => return 0,
            Err(e) => {
                eprintln!("Error reading input: {}", e);
                return 1;
            }
        };
        let Some(argv) = format::split_args(&line) else {
            crate::emit(b"Invalid argument(s)\n");
            continue;
        };
        if argv.is_empty() {
            continue;
        }
        let words: Vec<String> = argv
            .iter()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        if !sensitive(&words) {
            ed.add_history(&line);
        }
        // "3 INCR x": run it three times.
        let (repeat, argv, words) = match words[0].parse::<u64>() {
            Ok(n) if argv.len() > 1 && words[0].bytes().all(|b| b.is_ascii_digit()) => {
                (n, argv[1..].to_vec(), words[1..].to_vec())
            }
            _ => (1, argv, words),
        };
        let name = words[0].to_ascii_lowercase();
        match name.as_str() {
            "quit" | "exit" => return 0,
            "clear" => {
                crate::emit(b"\x1b[H\x1b[2J");
                continue;
            }
            "help" | "?" => {
                if !docs_loaded {
                    if let Some(c) = sess.conn.as_mut() {
                        docs = Docs(load_docs(c));
                        docs_loaded = !docs.0.is_empty();
                    }
                }
                if words.len() == 1 {
                    crate::emit(help::general(env!("CARGO_PKG_VERSION")).as_bytes());
                } else if let Some(t) = help::lookup(&docs.0, &words[1..]) {
                    crate::emit(t.as_bytes());
                }
                continue;
            }
            ":set" if words.len() == 2 => {
                match words[1].as_str() {
                    "hints" => ed.hints = true,
                    "nohints" => ed.hints = false,
                    other => crate::emit(format!("unknown preference '{}'\n", other).as_bytes()),
                }
                continue;
            }
            "connect" if (2..=3).contains(&words.len()) => {
                cfg.host = words[1].clone();
                cfg.socket = None;
                if let Some(p) = words.get(2) {
                    match p.parse() {
                        Ok(p) => cfg.port = p,
                        Err(_) => {
                            crate::emit(format!("Invalid port: {}\n", p).as_bytes());
                            continue;
                        }
                    }
                }
                sess.conn = None;
                if let Err(e) = sess.connect(&cfg) {
                    eprintln!("{}", e);
                }
                continue;
            }
            _ => {}
        }
        for _ in 0..repeat {
            if crate::is_streaming(&name) && name != "monitor" && output == Output::Standard {
                crate::emit(b"Reading messages... (press Ctrl-C to quit)\n");
            }
            let reply = match sess.call_reconnecting(&cfg, &argv, output) {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("{}", e);
                    break;
                }
            };
            let ok = !reply.is_error();
            crate::emit(&format::format_reply(&argv, &reply, output));
            track(&mut cfg, &words, &reply, &mut in_multi, &mut pre_multi_db);
            if ok && crate::is_streaming(&name) {
                sess.stream(output);
                // The subscription ended with the connection.
                sess.conn = None;
                break;
            }
        }
        if !docs_loaded {
            if let Some(c) = sess.conn.as_mut() {
                docs = Docs(load_docs(c));
                docs_loaded = !docs.0.is_empty();
            }
        }
    }
}

/// Keeps the prompt and the reconnect handshake in step with SELECT,
/// MULTI/EXEC/DISCARD, AUTH and HELLO that succeeded.
fn track(cfg: &mut Config, w: &[String], reply: &Reply, in_multi: &mut bool, pre: &mut i64) {
    let ok = !reply.is_error();
    match w[0].to_ascii_lowercase().as_str() {
        "select" if w.len() == 2 && ok => {
            if let Ok(db) = w[1].parse() {
                cfg.db = db;
            }
        }
        "multi" if w.len() == 1 && ok => {
            *in_multi = true;
            *pre = cfg.db;
        }
        "exec" | "discard" if w.len() == 1 => {
            *in_multi = false;
            if !ok || *reply == Reply::Nil {
                cfg.db = *pre;
            }
        }
        "auth" if ok && (2..=3).contains(&w.len()) => {
            cfg.pass = Some(w[w.len() - 1].clone());
            cfg.user = if w.len() == 3 {
                Some(w[1].clone())
            } else {
                None
            };
        }
        "hello" if ok && w.len() >= 2 => {
            cfg.resp3 = w[1] == "3";
        }
        _ => {}
    }
}

/// The help entries from COMMAND DOCS (empty if the server has none).
pub fn load_docs(c: &mut Conn) -> Vec<Entry> {
    match c.cmd(&["COMMAND", "DOCS"]) {
        Ok(r) if !r.is_error() => help::parse_docs(r),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_not_kept() {
        let v = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
        assert!(sensitive(&v("AUTH pw")));
        assert!(sensitive(&v("hello 3 AUTH u p")));
        assert!(sensitive(&v("config set requirepass x")));
        assert!(!sensitive(&v("set auth x")));
        assert!(!sensitive(&v("hello 3")));
    }

    #[test]
    fn prompts() {
        let mut c = Config::default();
        assert_eq!(prompt(&c, true, false), "127.0.0.1:6379> ");
        c.db = 2;
        assert_eq!(prompt(&c, true, true), "127.0.0.1:6379[2](TX)> ");
        assert_eq!(prompt(&c, false, false), "not connected> ");
    }
}
