//! `flashdb-cli`: a redis-cli work-alike for FlashDB and any RESP server.
//! See docs/CLI.md.
//!
//! # Layout
//! * `args`   — the flags (redis-cli's spelling), `-u` URIs.
//! * `conn`   — TCP / Unix socket / TLS, and the AUTH/SELECT/HELLO handshake.
//! * `resp`   — RESP2/RESP3 reply reader and command encoder.
//! * `format` — replies as redis-cli prints them (terminal and `--raw`),
//!   and its quoting rules for interactive input.
//! * `line`   — the line editor (termios raw mode, history, Tab, hints).
//! * `help`   — HELP, hints and completion from COMMAND DOCS.
//! * `repl`   — interactive mode.
//! * `modes`  — `--pipe`, `--stat`, `--latency`, `--bigkeys`/`--memkeys`,
//!   `--scan`.

mod args;
mod conn;
mod format;
mod help;
mod line;
mod modes;
mod repl;
mod resp;

use args::{Config, Parsed};
use conn::Conn;
use format::Output;
use resp::Reply;
use std::io::{IsTerminal, Read, Write};

/// Writes to stdout; a closed stdout (`| head`) ends the program quietly.
pub fn emit(bytes: &[u8]) {
    let mut out = std::io::stdout().lock();
    if out.write_all(bytes).and_then(|_| out.flush()).is_err() {
        std::process::exit(1);
    }
}

/// Commands after which the server keeps sending (subscriptions, MONITOR).
pub fn is_streaming(name: &str) -> bool {
    matches!(name, "subscribe" | "psubscribe" | "ssubscribe" | "monitor")
}

/// Sends `argv` and returns its reply. RESP3 pushes that come first (client
/// tracking invalidations) are printed on the way in terminal mode, as
/// redis-cli's push handler does; for (un)subscribe commands the push is
/// the reply.
pub fn call(c: &mut Conn, argv: &[Vec<u8>], output: Output) -> std::io::Result<Reply> {
    c.send(argv)?;
    let name = String::from_utf8_lossy(argv.first().map(|a| a.as_slice()).unwrap_or_default())
        .to_ascii_lowercase();
    loop {
        let r = c.read()?;
        if matches!(r, Reply::Push(_)) && !name.ends_with("subscribe") && name != "monitor" {
            // Piped, redis-cli drops them; so do we.
            if output == Output::Standard {
                emit(&format::format_push(&r, output));
            }
            continue;
        }
        return Ok(r);
    }
}

/// The connection, if any, and how to get it back.
pub struct Session {
    pub conn: Option<Conn>,
}

impl Session {
    pub fn new(_cfg: &Config) -> Session {
        Session { conn: None }
    }

    pub fn connect(&mut self, cfg: &Config) -> Result<(), String> {
        self.conn = Some(Conn::open(cfg)?);
        Ok(())
    }

    /// Runs one command; when the connection is gone (server restarted),
    /// reconnects once and sends it again, as redis-cli does.
    pub fn call_reconnecting(
        &mut self,
        cfg: &Config,
        argv: &[Vec<u8>],
        output: Output,
    ) -> Result<Reply, String> {
        if self.conn.is_none() {
            self.connect(cfg)?;
        }
        let first = self.conn.as_mut().map(|c| call(c, argv, output));
        match first {
            Some(Ok(r)) => Ok(r),
            Some(Err(e)) if e.kind() == std::io::ErrorKind::InvalidData => {
                self.conn = None;
                Err(format!("Error: {}", e))
            }
            _ => {
                self.conn = None;
                self.connect(cfg)?;
                let c = self.conn.as_mut().expect("just connected");
                call(c, argv, output).map_err(|e| {
                    self.conn = None;
                    format!("Error: {}", conn::os_error(&e))
                })
            }
        }
    }

    /// After SUBSCRIBE or MONITOR: prints what the server pushes until the
    /// connection ends.
    pub fn stream(&mut self, output: Output) {
        if let Some(c) = self.conn.as_mut() {
            while let Ok(r) = c.read() {
                emit(&format::format(&r, output));
            }
        }
    }
}

/// `flashdb-cli CMD ARGS...`: runs it `-r` times, prints each reply.
fn one_shot(cfg: &Config, mut argv: Vec<Vec<u8>>, output: Output) -> i32 {
    if cfg.stdin_last {
        let mut data = Vec::new();
        if let Err(e) = std::io::stdin().read_to_end(&mut data) {
            eprintln!("Error reading stdin: {}", e);
            return 1;
        }
        argv.push(data);
    }
    let mut conn = match Conn::open(cfg) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{}", e);
            return 1;
        }
    };
    let name = String::from_utf8_lossy(&argv[0]).to_ascii_lowercase();
    if name == "help" || name == "?" {
        // `flashdb-cli help get`: answered from COMMAND DOCS, not sent.
        let words: Vec<String> = argv[1..]
            .iter()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        if words.is_empty() {
            emit(help::general(env!("CARGO_PKG_VERSION")).as_bytes());
        } else if let Some(t) = help::lookup(&repl::load_docs(&mut conn), &words) {
            emit(t.as_bytes());
        }
        return 0;
    }
    let streaming = is_streaming(&name);
    let mut left = cfg.repeat;
    while left != 0 {
        if left > 0 {
            left -= 1;
        }
        if streaming && name != "monitor" && output == Output::Standard {
            emit(b"Reading messages... (press Ctrl-C to quit)\n");
        }
        let reply = match call(&mut conn, &argv, output) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("Error: {}", conn::os_error(&e));
                return 1;
            }
        };
        if cfg.errcode && reply.is_error() {
            eprintln!("{}", reply.text());
            return 1;
        }
        emit(&format::format_reply(&argv, &reply, output));
        if streaming && !reply.is_error() {
            let mut s = Session { conn: Some(conn) };
            s.stream(output);
            eprintln!("Error: Server closed the connection");
            return 1;
        }
        if let Some(iv) = cfg.interval {
            std::thread::sleep(iv);
        }
    }
    0
}

fn main() {
    let raw_args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let argv: Vec<String> = raw_args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let cfg = match args::parse(&argv) {
        Ok(Parsed::Run(c)) => *c,
        Ok(Parsed::Help) => {
            print!("{}", args::USAGE);
            return;
        }
        Ok(Parsed::Version) => {
            println!("flashdb-cli {}", env!("CARGO_PKG_VERSION"));
            return;
        }
        Err(e) => {
            eprintln!("{}", e);
            eprintln!("Try 'flashdb-cli --help' for more information.");
            std::process::exit(1);
        }
    };
    if cfg.tls && !cfg!(feature = "tls") {
        eprintln!("{}", conn::NO_TLS);
        std::process::exit(1);
    }
    if cfg.auth_on_cmdline && !cfg.no_auth_warning {
        eprintln!(
            "Warning: Using a password with '-a' or '-u' option on the command line interface may not be safe."
        );
    }
    let output = match cfg.raw {
        Some(true) => Output::Raw,
        Some(false) => Output::Standard,
        None if std::io::stdout().is_terminal() => Output::Standard,
        None => Output::Raw,
    };
    let code = if cfg.pipe {
        modes::pipe(&cfg)
    } else if cfg.stat {
        modes::stat(&cfg)
    } else if cfg.latency {
        modes::latency(&cfg, output)
    } else if cfg.bigkeys || cfg.memkeys {
        modes::bigkeys(&cfg)
    } else if cfg.scan {
        modes::scan(&cfg, output)
    } else if cfg.command.is_empty() {
        repl::run(cfg, output)
    } else {
        // The command's own bytes (not lossily decoded).
        use std::os::unix::ffi::OsStringExt;
        let n = cfg.command.len();
        let cmd: Vec<Vec<u8>> = raw_args[raw_args.len() - n..]
            .iter()
            .map(|a| a.clone().into_vec())
            .collect();
        one_shot(&cfg, cmd, output)
    };
    std::process::exit(code);
}
