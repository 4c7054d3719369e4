//! The special modes: `--pipe` (mass insertion), `--stat`, `--latency`,
//! `--bigkeys`/`--memkeys` and `--scan`, with redis-cli's output text.

use crate::args::Config;
use crate::conn::{self, Conn, Split};
use crate::emit;
use crate::format::{self, Output};
use crate::resp::{self, Reply};
use std::io::{self, BufReader, Read, Write};
use std::time::{Duration, Instant};

fn open(cfg: &Config) -> Result<Conn, i32> {
    Conn::open(cfg).map_err(|e| {
        eprintln!("{}", e);
        1
    })
}

/// 20 bytes nobody would send: the ECHO that marks the end of the input.
fn magic() -> Vec<u8> {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
        ^ (std::process::id() as u128) << 64;
    let mut x = seed as u64 ^ (seed >> 64) as u64 | 1;
    (0..20)
        .map(|_| {
            // xorshift64
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            b"0123456789abcdefghijklmnopqrstuvwxyz"[(x % 36) as usize]
        })
        .collect()
}

/// Counts replies until the ECHO of `magic` comes back; each error reply
/// is printed on stderr. Returns (errors, replies) or the read error.
fn count_replies<R: Read>(r: R, magic: &[u8]) -> io::Result<(u64, u64)> {
    let mut r = BufReader::with_capacity(64 * 1024, r);
    let (mut errors, mut replies) = (0, 0);
    loop {
        match resp::read_reply(&mut r)? {
            Reply::Bulk(b) if b == magic => return Ok((errors, replies)),
            Reply::Error(e) => {
                errors += 1;
                replies += 1;
                eprintln!("{}", String::from_utf8_lossy(&e));
            }
            _ => replies += 1,
        }
    }
}

/// `--pipe`: stdin (raw RESP, or inline commands) goes to the server as
/// it is while another thread counts the replies.
pub fn pipe(cfg: &Config) -> i32 {
    let mut c = match open(cfg) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let magic = magic();
    let echo = resp::encode(&[b"ECHO".to_vec(), magic.clone()]);
    let timeout = (cfg.pipe_timeout > 0).then(|| Duration::from_secs(cfg.pipe_timeout));
    let write_err = |e: io::Error| {
        eprintln!("Error writing to the server: {}", conn::os_error(&e));
        1
    };
    let counted = match c.split() {
        Some(split) => {
            let (reader, mut writer): (Box<dyn Read + Send>, Box<dyn Write>) = match split {
                Split::Tcp(r, w) => {
                    let _ = r.set_read_timeout(timeout);
                    (Box::new(r), Box::new(w))
                }
                Split::Unix(r, w) => {
                    let _ = r.set_read_timeout(timeout);
                    (Box::new(r), Box::new(w))
                }
            };
            let m = magic.clone();
            let counter = std::thread::spawn(move || count_replies(reader, &m));
            let sent = io::copy(&mut io::stdin().lock(), &mut writer)
                .and_then(|_| writer.write_all(&echo))
                .and_then(|_| writer.flush());
            if let Err(e) = sent {
                return write_err(e);
            }
            emit(b"All data transferred. Waiting for the last reply...\n");
            counter
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("reader failed")))
        }
        None => {
            // TLS: no second handle on the session, so write everything
            // first; the server buffers the replies meanwhile.
            let mut data = Vec::new();
            if let Err(e) = io::stdin().read_to_end(&mut data) {
                eprintln!("Error reading stdin: {}", e);
                return 1;
            }
            data.extend_from_slice(&echo);
            if let Err(e) = c.write_all(&data) {
                return write_err(e);
            }
            emit(b"All data transferred. Waiting for the last reply...\n");
            let (mut errors, mut replies) = (0, 0);
            loop {
                match c.read() {
                    Ok(Reply::Bulk(b)) if b == magic => break Ok((errors, replies)),
                    Ok(Reply::Error(e)) => {
                        errors += 1;
                        replies += 1;
                        eprintln!("{}", String::from_utf8_lossy(&e));
                    }
                    Ok(_) => replies += 1,
                    Err(e) => break Err(e),
                }
            }
        }
    };
    match counted {
        Ok((errors, replies)) => {
            emit(
                format!(
                    "Last reply received from server.\nerrors: {}, replies: {}\n",
                    errors, replies
                )
                .as_bytes(),
            );
            i32::from(errors > 0)
        }
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ) =>
        {
            eprintln!("No replies for {} seconds: exiting.", cfg.pipe_timeout);
            1
        }
        Err(e) => {
            eprintln!("Error reading replies from server: {}", conn::os_error(&e));
            1
        }
    }
}

/// A numeric INFO field (`used_memory`, or `db0:keys` inside
/// `db0:keys=3,expires=0`); None if absent.
fn info_field(info: &str, field: &str) -> Option<i64> {
    let (db, sub) = match field.split_once(':') {
        Some((db, sub)) => (db, Some(sub)),
        None => (field, None),
    };
    for line in info.lines() {
        let Some(v) = line.strip_prefix(db).and_then(|r| r.strip_prefix(':')) else {
            continue;
        };
        let v = match sub {
            None => v,
            Some(sub) => v
                .split(',')
                .find_map(|kv| kv.strip_prefix(sub).and_then(|r| r.strip_prefix('=')))?,
        };
        return v.trim().parse().ok();
    }
    None
}

/// 1536 → "1.50K", as redis-cli's bytesToHuman.
pub fn human(n: i64) -> String {
    let (sign, n) = if n < 0 {
        ("-", -(n as f64))
    } else {
        ("", n as f64)
    };
    let k = 1024.0;
    let s = if n < k {
        format!("{}B", n as i64)
    } else if n < k * k {
        format!("{:.2}K", n / k)
    } else if n < k * k * k {
        format!("{:.2}M", n / (k * k))
    } else if n < k * k * k * k {
        format!("{:.2}G", n / (k * k * k))
    } else if n < k * k * k * k * k {
        format!("{:.2}T", n / (k * k * k * k))
    } else {
        format!("{:.2}P", n / (k * k * k * k * k))
    };
    format!("{}{}", sign, s)
}

/// One `--stat` line from an INFO text; `prev` is the previous request
/// total (None on the first line).
fn stat_line(info: &str, prev: Option<i64>) -> (String, i64) {
    // Every `dbN:keys=` line of the keyspace section.
    let keys: i64 = info
        .lines()
        .filter(|l| l.starts_with("db") && l[2..].starts_with(|c: char| c.is_ascii_digit()))
        .filter_map(|l| info_field(l, &format!("{}:keys", l.split(':').next()?)))
        .sum();
    let f = |n: &str| info_field(info, n).unwrap_or(0);
    let requests = f("total_commands_processed");
    let mut s = format!("{:<11}", keys);
    s.push_str(&format!("{:<8}", human(f("used_memory"))));
    s.push_str(&format!(" {:<8}", f("connected_clients")));
    s.push_str(&format!("{:<8}", f("blocked_clients")));
    s.push_str(&format!(
        "{:<19}",
        format!(
            "{} (+{})",
            requests,
            prev.map(|p| requests - p).unwrap_or(0)
        )
    ));
    s.push_str(&format!(" {:<12}", f("total_connections_received")));
    let child = f("rdb_bgsave_in_progress") | f("aof_rewrite_in_progress") << 1 | f("loading") << 2;
    s.push_str(match child {
        1 => "SAVE",
        2 => "AOF",
        3 => "SAVE+AOF",
        4 => "LOAD",
        _ => "",
    });
    (s, requests)
}

/// `--stat`: a line of INFO figures every interval (1 s by default).
pub fn stat(cfg: &Config) -> i32 {
    let mut c = match open(cfg) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let interval = cfg.interval.unwrap_or(Duration::from_secs(1));
    let mut prev = None;
    let mut n = 0u64;
    loop {
        let info = match c.cmd(&["INFO"]) {
            Ok(Reply::Error(e)) => {
                eprintln!("ERROR: {}", String::from_utf8_lossy(&e));
                return 1;
            }
            Ok(r) => r.text(),
            Err(_) => match Conn::open(cfg) {
                // Reconnect once, as redis-cli's reconnectingRedisCommand.
                Ok(new) => {
                    c = new;
                    continue;
                }
                Err(_) => {
                    eprintln!("\nI/O error");
                    return 1;
                }
            },
        };
        if n.is_multiple_of(20) {
            emit(
                b"------- data ------ --------------------- load -------------------- - child -\n\
keys       mem      clients blocked requests            connections          \n",
            );
        }
        n += 1;
        let (line, req) = stat_line(&info, prev);
        prev = Some(req);
        emit(format!("{}\n", line).as_bytes());
        std::thread::sleep(interval);
    }
}

fn ms(d: Duration) -> i64 {
    d.as_millis() as i64
}

/// `--latency` / `--latency-history`: PING every 10 ms; min, max and
/// average in milliseconds.
pub fn latency(cfg: &Config, output: Output) -> i32 {
    let mut c = match open(cfg) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let history_every = cfg.interval.unwrap_or(Duration::from_secs(15));
    let raw_total = cfg.interval.unwrap_or(Duration::from_secs(1));
    let mut start = Instant::now();
    let (mut min, mut max, mut tot, mut count) = (0i64, 0i64, 0i64, 0i64);
    let print = |min: i64, max: i64, avg: f64, count: i64| match output {
        Output::Standard => emit(
            format!(
                "\x1b[0G\x1b[2Kmin: {}, max: {}, avg: {:.2} ({} samples)",
                min, max, avg, count
            )
            .as_bytes(),
        ),
        Output::Raw => emit(format!("{} {} {:.2} {}\n", min, max, avg, count).as_bytes()),
    };
    loop {
        let t = Instant::now();
        if let Err(e) = c.cmd(&["PING"]) {
            eprintln!("\nI/O error: {}", conn::os_error(&e));
            return 1;
        }
        let l = ms(t.elapsed());
        count += 1;
        if count == 1 {
            (min, max, tot) = (l, l, l);
        } else {
            min = min.min(l);
            max = max.max(l);
            tot += l;
        }
        let avg = tot as f64 / count as f64;
        if output == Output::Standard || cfg.latency_history {
            print(min, max, avg, count);
        } else if start.elapsed() > raw_total {
            // Piped plain --latency: one summary after the interval.
            print(min, max, avg, count);
            return 0;
        }
        if cfg.latency_history && start.elapsed() > history_every {
            emit(format!(" -- {:.2} seconds range\n", start.elapsed().as_secs_f64()).as_bytes());
            start = Instant::now();
            (min, max, tot, count) = (0, 0, 0, 0);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

struct TypeInfo {
    name: String,
    /// The command giving a key's size (STRLEN, LLEN, ...).
    size_cmd: Option<&'static str>,
    unit: &'static str,
    count: u64,
    total: u64,
    biggest: u64,
    biggest_key: Option<String>,
}

impl TypeInfo {
    fn new(name: &str, size_cmd: Option<&'static str>, unit: &'static str) -> TypeInfo {
        TypeInfo {
            name: name.into(),
            size_cmd,
            unit,
            count: 0,
            total: 0,
            biggest: 0,
            biggest_key: None,
        }
    }
}

/// Sends every command, then reads every reply (one round trip).
fn pipeline(c: &mut Conn, cmds: &[Vec<Vec<u8>>]) -> io::Result<Vec<Reply>> {
    let mut bytes = Vec::new();
    for a in cmds {
        bytes.extend_from_slice(&resp::encode(a));
    }
    c.write_all(&bytes)?;
    cmds.iter().map(|_| c.read()).collect()
}

fn io_exit(e: io::Error) -> i32 {
    eprintln!("Error: {}", conn::os_error(&e));
    1
}

/// `--bigkeys` / `--memkeys`: SCAN the keyspace, size each key by its
/// type (or MEMORY USAGE), report the biggest per type and a summary.
pub fn bigkeys(cfg: &Config) -> i32 {
    let mut c = match open(cfg) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let mem = cfg.memkeys;
    // Listed in the order redis-cli 7.0's type dict happens to print.
    let mut types = vec![
        TypeInfo::new("list", Some("LLEN"), "items"),
        TypeInfo::new("hash", Some("HLEN"), "fields"),
        TypeInfo::new("string", Some("STRLEN"), "bytes"),
        TypeInfo::new("stream", Some("XLEN"), "entries"),
        TypeInfo::new("set", Some("SCARD"), "members"),
        TypeInfo::new("zset", Some("ZCARD"), "members"),
    ];
    let total_keys = match c.cmd(&["DBSIZE"]) {
        Ok(r) => r.as_int().unwrap_or(0),
        Err(e) => return io_exit(e),
    };
    emit(
        b"\n# Scanning the entire keyspace to find biggest keys as well as\n\
# average sizes per key type.  You can use -i 0.1 to sleep 0.1 sec\n\
# per 100 SCAN commands (not usually needed).\n\n",
    );
    let (mut sampled, mut totlen) = (0u64, 0u64);
    let mut cursor = b"0".to_vec();
    loop {
        let pct = if total_keys > 0 {
            100.0 * sampled as f64 / total_keys as f64
        } else {
            0.0
        };
        let mut scan = vec![b"SCAN".to_vec(), cursor.clone()];
        if let Some(p) = &cfg.pattern {
            scan.extend([b"MATCH".to_vec(), p.as_bytes().to_vec()]);
        }
        if let Some(n) = cfg.count {
            scan.extend([b"COUNT".to_vec(), n.to_string().into_bytes()]);
        }
        let reply = match c.call(&scan) {
            Ok(Reply::Error(e)) => {
                eprintln!("Error: {}", String::from_utf8_lossy(&e));
                return 1;
            }
            Ok(r) => r,
            Err(e) => return io_exit(e),
        };
        let mut items = reply.into_items().unwrap_or_default().into_iter();
        let (Some(next), Some(keys)) = (items.next(), items.next()) else {
            eprintln!("Error: unexpected SCAN reply");
            return 1;
        };
        cursor = next.as_bytes().unwrap_or(b"0").to_vec();
        let keys: Vec<Vec<u8>> = keys
            .into_items()
            .unwrap_or_default()
            .into_iter()
            .filter_map(|k| k.as_bytes().map(|b| b.to_vec()))
            .collect();
        let type_cmds: Vec<Vec<Vec<u8>>> = keys
            .iter()
            .map(|k| vec![b"TYPE".to_vec(), k.clone()])
            .collect();
        let tnames = match pipeline(&mut c, &type_cmds) {
            Ok(v) => v,
            Err(e) => return io_exit(e),
        };
        let mut idx = Vec::with_capacity(keys.len());
        let mut size_cmds = Vec::new();
        for (k, t) in keys.iter().zip(&tnames) {
            let t = t.text();
            if t == "none" || t.is_empty() {
                // Deleted between SCAN and TYPE.
                idx.push(None);
                continue;
            }
            let i = match types.iter().position(|x| x.name == t) {
                Some(i) => i,
                None => {
                    types.push(TypeInfo::new(&t, None, "?"));
                    types.len() - 1
                }
            };
            let cmd = if mem {
                let mut v = vec![b"MEMORY".to_vec(), b"USAGE".to_vec(), k.clone()];
                if let Some(s) = cfg.memkeys_samples {
                    v.extend([b"SAMPLES".to_vec(), s.to_string().into_bytes()]);
                }
                Some(v)
            } else {
                types[i]
                    .size_cmd
                    .map(|c| vec![c.as_bytes().to_vec(), k.clone()])
            };
            idx.push(Some((i, cmd.is_some().then_some(size_cmds.len()))));
            if let Some(cmd) = cmd {
                size_cmds.push(cmd);
            }
        }
        let sizes = match pipeline(&mut c, &size_cmds) {
            Ok(v) => v,
            Err(e) => return io_exit(e),
        };
        for (k, slot) in keys.iter().zip(idx) {
            let Some((ti, si)) = slot else { continue };
            let size = si
                .and_then(|s| sizes[s].as_int())
                .map(|n| n.max(0) as u64)
                .unwrap_or(0);
            let t = &mut types[ti];
            t.total += size;
            t.count += 1;
            totlen += k.len() as u64;
            sampled += 1;
            if t.biggest < size {
                let name = format::repr(k);
                emit(
                    format!(
                        "[{:05.2}%] Biggest {:<6} found so far '{}' with {} {}\n",
                        pct,
                        t.name,
                        name,
                        size,
                        if mem { "bytes" } else { t.unit }
                    )
                    .as_bytes(),
                );
                t.biggest_key = Some(name);
                t.biggest = size;
            }
            if sampled.is_multiple_of(1_000_000) {
                emit(format!("[{:05.2}%] Sampled {} keys so far\n", pct, sampled).as_bytes());
            }
        }
        if let Some(iv) = cfg.interval {
            if sampled > 0 && sampled.is_multiple_of(100) {
                std::thread::sleep(iv);
            }
        }
        if cursor == b"0" {
            break;
        }
    }
    let mut out = String::from("\n-------- summary -------\n\n");
    out.push_str(&format!("Sampled {} keys in the keyspace!\n", sampled));
    out.push_str(&format!(
        "Total key length in bytes is {} (avg len {:.2})\n\n",
        totlen,
        if totlen > 0 {
            totlen as f64 / sampled as f64
        } else {
            0.0
        }
    ));
    for t in &types {
        if let Some(k) = &t.biggest_key {
            out.push_str(&format!(
                "Biggest {:>6} found '{}' has {} {}\n",
                t.name,
                k,
                t.biggest,
                if mem { "bytes" } else { t.unit }
            ));
        }
    }
    out.push('\n');
    for t in &types {
        out.push_str(&format!(
            "{} {}s with {} {} ({:05.2}% of keys, avg size {:.2})\n",
            t.count,
            t.name,
            t.total,
            if mem { "bytes" } else { t.unit },
            if sampled > 0 {
                100.0 * t.count as f64 / sampled as f64
            } else {
                0.0
            },
            if t.count > 0 {
                t.total as f64 / t.count as f64
            } else {
                0.0
            }
        ));
    }
    emit(out.as_bytes());
    0
}

/// `--scan`: every key matching `--pattern` (and `--type`), one a line;
/// quoted on a terminal, as they are when piped.
pub fn scan(cfg: &Config, output: Output) -> i32 {
    let mut c = match open(cfg) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let mut cursor = b"0".to_vec();
    loop {
        let mut args = vec![b"SCAN".to_vec(), cursor.clone()];
        if let Some(p) = &cfg.pattern {
            args.extend([b"MATCH".to_vec(), p.as_bytes().to_vec()]);
        }
        if let Some(n) = cfg.count {
            args.extend([b"COUNT".to_vec(), n.to_string().into_bytes()]);
        }
        if let Some(t) = &cfg.scan_type {
            args.extend([b"TYPE".to_vec(), t.as_bytes().to_vec()]);
        }
        let reply = match c.call(&args) {
            Ok(Reply::Error(e)) => {
                eprintln!("Error: {}", String::from_utf8_lossy(&e));
                return 1;
            }
            Ok(r) => r,
            Err(e) => return io_exit(e),
        };
        let mut items = reply.into_items().unwrap_or_default().into_iter();
        let (Some(next), Some(keys)) = (items.next(), items.next()) else {
            eprintln!("Error: unexpected SCAN reply");
            return 1;
        };
        let mut out = Vec::new();
        for k in keys.into_items().unwrap_or_default() {
            let k = k.as_bytes().unwrap_or_default();
            match output {
                Output::Standard => out.extend_from_slice(format::repr(k).as_bytes()),
                Output::Raw => out.extend_from_slice(k),
            }
            out.push(b'\n');
        }
        emit(&out);
        cursor = next.as_bytes().unwrap_or(b"0").to_vec();
        if cursor == b"0" {
            return 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_sizes() {
        assert_eq!(human(1023), "1023B");
        assert_eq!(human(1536), "1.50K");
        assert_eq!(human(3 * 1024 * 1024), "3.00M");
    }

    #[test]
    fn stat_line_from_info() {
        let info = "# Keyspace\r\ndb0:keys=3,expires=0,avg_ttl=0\r\ndb2:keys=4,expires=1\r\nused_memory:2048\r\nconnected_clients:2\r\nblocked_clients:0\r\ntotal_commands_processed:10\r\ntotal_connections_received:5\r\n";
        let (l, r) = stat_line(info, Some(7));
        assert_eq!(r, 10);
        assert_eq!(
            l,
            format!(
                "{:<11}{:<8} {:<8}{:<8}{:<19} {:<12}",
                7, "2.00K", 2, 0, "10 (+3)", 5
            )
        );
        assert_eq!(info_field(info, "db2:expires"), Some(1));
        assert_eq!(info_field(info, "nope"), None);
    }
}
