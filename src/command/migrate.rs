//! MIGRATE: moves keys to another server (Redis or FlashDB) as DUMP
//! payloads sent with RESTORE, then deletes them here.
//!
//! ```text
//! MIGRATE host port <key | ""> destination-db timeout [COPY] [REPLACE]
//!         [AUTH password | AUTH2 username password] [KEYS key [key ...]]
//!   -> +OK | +NOKEY | -IOERR ... | -ERR Target instance replied with error: ...
//! ```
//!
//! Follows Redis 7.0's `migrateCommand` (cluster.c): options, then the
//! timeout and DB arguments, then `NOKEY` when none of the keys exists;
//! then one connection (cached per host:port for 10 s, at most 64, as
//! Redis does; `SELECT` only when the cached connection is on another
//! DB), `AUTH`/`AUTH2` when given, and a pipelined `RESTORE key ttl payload
//! [REPLACE]` per key, its TTL the remaining milliseconds. Each key the
//! target acknowledged is deleted here (unless COPY), logged as `DEL` and
//! notified as `del`. A connection that fails before anything was
//! acknowledged is retried once on a fresh connection, unless it timed out.
//!
//! Concurrency: the payloads are built under the keys' read locks, which
//! are released before any network I/O; the deletion takes the write
//! locks afterwards and skips a key another client changed meanwhile (its
//! newer value stays here, the target has the one that was sent). The
//! I/O still runs on the connection's worker thread inside the shared
//! side of the transaction gate, so that worker's other connections and
//! any EXEC wait for it, at most about `timeout` per network step (Redis
//! blocks the whole server). Plain TCP only: no TLS to the target.

use super::args::{int, is};
use super::*;
use crate::persist::{rdb, Batch};
use crate::pubsub::{notify, NOTIFY_GENERIC};
use crate::resp::Reply;
use crate::server::Ctx;
use crate::store::now_ms;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("migrate", -6, WRITE | MOVABLEKEYS, MIGRATE_KEY, migrate)
        .doc("generic", "2.6.0", "Atomically transfer a key from a Redis instance to another one.")
        .acl(&["keyspace", "dangerous"])
        .syntax("host port <key | \"\"> destination-db timeout [COPY] [REPLACE] [AUTH password | AUTH2 username password] [KEYS key [key ...]]")
        .complexity("This command actually executes a DUMP+DEL in the source instance, and a RESTORE in the target instance. See the pages of these commands for time complexity. Also an O(N) data transfer between the two instances is performed."),
];

/// The legacy key position COMMAND INFO reports (the key argument).
const MIGRATE_KEY: Keys = Keys {
    first: 3,
    last: 3,
    step: 1,
};

/// How long an unused cached connection stays open, and how many there
/// may be (Redis's MIGRATE_SOCKET_CACHE_TTL and _ITEMS).
const CACHE_TTL: Duration = Duration::from_secs(10);
const CACHE_ITEMS: usize = 64;

/// The keys of a MIGRATE command line (args\[0\] the name), as Redis 7.0
/// finds them: its key specs first — the key argument, and the keys after
/// a KEYS searched backwards from the last argument but one; that spec is
/// "incomplete", so when it finds a KEYS Redis's migrateGetKeys decides:
/// everything after the first KEYS (skipping AUTH's and AUTH2's operands
/// on the way). None when that KEYS comes with a non-empty key argument
/// or names no key.
pub fn migrate_keys(cmd: &[Vec<u8>]) -> Option<Vec<usize>> {
    if !(2..cmd.len().saturating_sub(1)).any(|i| is(&cmd[i], "keys")) {
        return Some(vec![3]);
    }
    let mut i = 6;
    while i < cmd.len() {
        if is(&cmd[i], "keys") {
            if !cmd[3].is_empty() || i + 1 == cmd.len() {
                return None;
            }
            return Some((i + 1..cmd.len()).collect());
        }
        if is(&cmd[i], "auth") {
            i += 1;
        } else if is(&cmd[i], "auth2") {
            i += 2;
        }
        i += 1;
    }
    Some(vec![3])
}

/// The argument positions MIGRATE's credentials occupy (redacted in the
/// slow log and MONITOR, as Redis does while parsing the options).
pub fn redactions(args: &[Vec<u8>]) -> Vec<usize> {
    let mut v = Vec::new();
    let mut j = 6;
    while j < args.len() {
        let more = args.len() - 1 - j;
        if is(&args[j], "copy") || is(&args[j], "replace") {
        } else if is(&args[j], "auth") && more >= 1 {
            v.push(j + 1);
            j += 1;
        } else if is(&args[j], "auth2") && more >= 2 {
            v.extend([j + 1, j + 2]);
            j += 2;
        } else {
            break;
        }
        j += 1;
    }
    v
}

/// MIGRATE's options.
struct Opts<'a> {
    copy: bool,
    replace: bool,
    /// AUTH password (no user) or AUTH2 user password.
    auth: Option<(Option<&'a [u8]>, &'a [u8])>,
    first_key: usize,
}

fn options(args: &[Vec<u8>]) -> Result<Opts<'_>, Reply> {
    let mut o = Opts {
        copy: false,
        replace: false,
        auth: None,
        first_key: 3,
    };
    let mut j = 6;
    while j < args.len() {
        let more = args.len() - 1 - j;
        if is(&args[j], "copy") {
            o.copy = true;
        } else if is(&args[j], "replace") {
            o.replace = true;
        } else if is(&args[j], "auth") {
            if more < 1 {
                return Err(err::syntax());
            }
            o.auth = Some((None, &args[j + 1]));
            j += 1;
        } else if is(&args[j], "auth2") {
            if more < 2 {
                return Err(err::syntax());
            }
            o.auth = Some((Some(&args[j + 1]), &args[j + 2]));
            j += 2;
        } else if is(&args[j], "keys") {
            if !args[3].is_empty() {
                return Err(Reply::err(
                    "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string",
                ));
            }
            o.first_key = j + 1;
            break;
        } else {
            return Err(err::syntax());
        }
        j += 1;
    }
    Ok(o)
}

/// A key on its way: its name, the payload and deadline sent (the
/// deletion checks the key still holds them), and the TTL sent.
struct Outgoing<'a> {
    key: &'a [u8],
    payload: Vec<u8>,
    expire_at: u64,
    ttl: u64,
}

fn migrate(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let o = match options(args) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let (timeout, dbid) = match (int(&args[5]), int(&args[4])) {
        (Ok(t), Ok(d)) => (t, d),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    let timeout = Duration::from_millis(if timeout <= 0 { 1000 } else { timeout as u64 });
    let db = ctx.client.db;
    let keys = &args[o.first_key..];
    let out = collect(ctx, db, keys);
    if out.is_empty() {
        return Reply::status("NOKEY");
    }
    let target = Target {
        host: &args[1],
        port: &args[2],
        timeout,
    };
    let (acks, reply) = target.send(&ctx.srv.migrate, &o, dbid, &out);
    if !o.copy {
        let sent: Vec<&Outgoing> = out
            .iter()
            .zip(&acks)
            .filter(|(_, a)| **a)
            .map(|(k, _)| k)
            .collect();
        delete_sent(ctx, db, &sent);
    }
    reply
}

/// Each existing key's payload and TTL, read under the keys' read locks.
fn collect<'a>(ctx: &Ctx, db: usize, keys: &'a [Vec<u8>]) -> Vec<Outgoing<'a>> {
    let store = ctx.store();
    let locks: Vec<(usize, &[u8])> = keys.iter().map(|k| (db, k.as_slice())).collect();
    let now = now_ms();
    let found: Vec<Option<Outgoing>> = {
        let l = store.lock(&locks, false);
        keys.iter()
            .map(|k| {
                let (s, h) = l.stripe(store, db, k);
                s.get(h, k, now).map(|e| Outgoing {
                    key: k,
                    payload: rdb::dump(&e.value),
                    expire_at: e.expire_at,
                    ttl: if e.expire_at == 0 {
                        0
                    } else {
                        e.expire_at.saturating_sub(now).max(1)
                    },
                })
            })
            .collect()
    };
    for (k, f) in keys.iter().zip(&found) {
        ctx.lookup(k, f.is_some());
    }
    found.into_iter().flatten().collect()
}

/// Deletes the keys the target acknowledged, those still holding what was
/// sent: one WAL batch of `DEL`s, a `del` event each, WATCH touched.
fn delete_sent(ctx: &Ctx, db: usize, sent: &[&Outgoing]) {
    let store = ctx.store();
    let locks: Vec<(usize, &[u8])> = sent.iter().map(|o| (db, o.key)).collect();
    let now = now_ms();
    let mut removed = Vec::new();
    let mut deleted = Vec::new();
    {
        let mut l = store.lock(&locks, true);
        let mut batch = Batch::new();
        for o in sent {
            let (s, h) = l.stripe_mut(store, db, o.key);
            let unchanged = s
                .get_mut(h, o.key, now)
                .is_some_and(|e| e.expire_at == o.expire_at && rdb::dump(&e.value) == o.payload);
            if let Some(e) = unchanged.then(|| s.remove(h, o.key)).flatten() {
                batch.del(db, o.key);
                notify(NOTIFY_GENERIC, "del", o.key, db);
                removed.push(e);
                deleted.push(o.key);
            }
        }
        batch.commit();
    }
    drop(removed); // outside the locks
    for k in deleted {
        ctx.srv.watches.touch(db, k);
    }
}

/// One attempt's outcome once RESTORE replies were read: which keys the
/// target acknowledged, its first error line, the read that failed (the
/// connection is then dropped) and the connection.
struct Exchange {
    acks: Vec<bool>,
    target_error: Option<Vec<u8>>,
    read_fail: Option<IoFail>,
    conn: Cached,
}

struct Target<'a> {
    host: &'a [u8],
    port: &'a [u8],
    timeout: Duration,
}

/// A network step that failed: while writing or reading, and whether it
/// timed out (no retry then).
struct IoFail {
    writing: bool,
    timed_out: bool,
}

impl IoFail {
    fn of(e: &std::io::Error, writing: bool) -> IoFail {
        use std::io::ErrorKind::{TimedOut, WouldBlock};
        IoFail {
            writing,
            timed_out: matches!(e.kind(), WouldBlock | TimedOut),
        }
    }
    fn reply(&self) -> Reply {
        Reply::err(if self.writing {
            "IOERR error or timeout writing to target instance"
        } else {
            "IOERR error or timeout reading to target instance"
        })
    }
}

impl Target<'_> {
    /// The cache's name for the target, `host:port`.
    fn name(&self) -> Vec<u8> {
        [self.host, b":", self.port].concat()
    }

    /// Sends the RESTOREs and reads their replies, retrying once on a
    /// fresh connection as Redis does when nothing was read and the failure
    /// was not a timeout. Returns which keys the target acknowledged (to
    /// delete) and the reply.
    fn send(&self, cache: &Sockets, o: &Opts, dbid: i64, out: &[Outgoing]) -> (Vec<bool>, Reply) {
        let name = self.name();
        let mut may_retry = true;
        loop {
            let conn = match cache.take(&name) {
                Some(c) => Ok(c),
                None => self.connect(),
            };
            let attempt = match conn {
                Ok(c) => self.exchange(c, o, dbid, out),
                Err(Some(f)) => Err(f),
                Err(None) => {
                    let e = Reply::err("IOERR error or timeout connecting to the client");
                    return (Vec::new(), e);
                }
            };
            match attempt {
                Ok(x) => {
                    let reply = match (&x.target_error, &x.read_fail) {
                        (Some(e), _) => {
                            let text = String::from_utf8_lossy(&e[1..]).replace(['\r', '\n'], " ");
                            Reply::error(format!("ERR Target instance replied with error: {text}"))
                        }
                        (None, Some(f)) => f.reply(),
                        (None, None) => Reply::ok(),
                    };
                    if x.read_fail.is_none() {
                        cache.put(name, x.conn);
                    }
                    return (x.acks, reply);
                }
                Err(f) if may_retry && !f.timed_out => may_retry = false,
                Err(f) => return (Vec::new(), f.reply()),
            }
        }
    }

    /// A new connection within the timeout. Err(None) is Redis's
    /// "connecting" error (the name does not resolve, or no answer in
    /// time); a refused or reset connection is Err(Some): Redis connects
    /// without blocking and only learns of those when it writes (so it
    /// retries, then reports a write error).
    fn connect(&self) -> Result<Cached, Option<IoFail>> {
        use std::io::ErrorKind::{ConnectionRefused, ConnectionReset, HostUnreachable};
        let host = std::str::from_utf8(self.host).map_err(|_| None)?;
        // The port as C's atoi reads it, then getaddrinfo: a negative
        // number does not resolve, a larger one wraps.
        let port = atoi(self.port) as i32;
        if port < 0 {
            return Err(None);
        }
        let addrs = (host, port as u16).to_socket_addrs().map_err(|_| None)?;
        let mut fail = None;
        for a in addrs {
            match TcpStream::connect_timeout(&a, self.timeout) {
                Ok(s) => {
                    let _ = s.set_nodelay(true);
                    return Ok(Cached {
                        stream: s,
                        last_dbid: None,
                        last_use: Instant::now(),
                    });
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        ConnectionRefused | ConnectionReset | HostUnreachable
                    ) =>
                {
                    fail = Some(IoFail {
                        writing: true,
                        timed_out: false,
                    })
                }
                Err(_) => {}
            }
        }
        Err(fail)
    }

    /// One attempt on `conn`; Err when it failed before the first
    /// RESTORE reply was read.
    fn exchange(
        &self,
        mut conn: Cached,
        o: &Opts,
        dbid: i64,
        out: &[Outgoing],
    ) -> Result<Exchange, IoFail> {
        let s = &conn.stream;
        let _ = s.set_write_timeout(Some(self.timeout));
        let _ = s.set_read_timeout(Some(self.timeout));
        let select = conn.last_dbid != Some(dbid);
        let mut buf = Vec::new();
        if let Some((user, pass)) = o.auth {
            let mut a: Vec<&[u8]> = vec![b"AUTH"];
            a.extend(user);
            a.push(pass);
            resp_command(&mut buf, &a);
        }
        if select {
            resp_command(&mut buf, &[b"SELECT", dbid.to_string().as_bytes()]);
        }
        for k in out {
            let ttl = k.ttl.to_string();
            let mut a: Vec<&[u8]> = vec![b"RESTORE", k.key, ttl.as_bytes(), &k.payload];
            if o.replace {
                a.push(b"REPLACE");
            }
            resp_command(&mut buf, &a);
        }
        let mut w = s;
        w.write_all(&buf).map_err(|e| IoFail::of(&e, true))?;
        drop(buf);
        let mut r = BufReader::new(s);
        let mut line = || read_line(&mut r).map_err(|e| IoFail::of(&e, false));
        let auth = o.auth.map(|_| line()).transpose()?;
        let sel = select.then(&mut line).transpose()?;
        // An AUTH or SELECT error fails every key; the reply is the first
        // error in Redis's order (AUTH, SELECT, the RESTOREs).
        let early = [auth, sel]
            .into_iter()
            .flatten()
            .find(|l| l.first() == Some(&b'-'));
        let mut acks = Vec::with_capacity(out.len());
        let mut target_error = None;
        let mut read_fail = None;
        for j in 0..out.len() {
            let l = match line() {
                Ok(l) => l,
                Err(f) if j == 0 => return Err(f),
                Err(f) => {
                    read_fail = Some(f);
                    break;
                }
            };
            let err = early.as_ref().or((l.first() == Some(&b'-')).then_some(&l));
            if let Some(e) = err {
                target_error.get_or_insert_with(|| e.clone());
            }
            acks.push(err.is_none());
        }
        acks.resize(out.len(), false);
        conn.last_use = Instant::now();
        conn.last_dbid = (target_error.is_none()).then_some(dbid);
        Ok(Exchange {
            acks,
            target_error,
            read_fail,
            conn,
        })
    }
}

/// C's atoi, as Redis reads the port: leading blanks, a sign, digits.
fn atoi(a: &[u8]) -> i64 {
    let s = a.iter().skip_while(|c| c.is_ascii_whitespace());
    let mut s = s.peekable();
    let neg = match s.peek() {
        Some(b'-') => {
            s.next();
            true
        }
        Some(b'+') => {
            s.next();
            false
        }
        _ => false,
    };
    let mut n: i64 = 0;
    for c in s.take_while(|c| c.is_ascii_digit()) {
        n = n.saturating_mul(10).saturating_add((c - b'0') as i64);
    }
    if neg {
        -n
    } else {
        n
    }
}

/// Appends a command as a RESP multibulk.
fn resp_command(buf: &mut Vec<u8>, args: &[&[u8]]) {
    buf.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        buf.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        buf.extend_from_slice(a);
        buf.extend_from_slice(b"\r\n");
    }
}

/// One reply line without its CRLF (an error if the connection closed).
fn read_line<R: BufRead>(r: &mut R) -> std::io::Result<Vec<u8>> {
    let mut line = Vec::new();
    // A reply line is short; a target sending a huge one is broken.
    r.by_ref().take(64 * 1024).read_until(b'\n', &mut line)?;
    if line.last() != Some(&b'\n') {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Ok(line)
}

/// An open connection to a target, and the DB it has selected.
struct Cached {
    stream: TcpStream,
    last_dbid: Option<i64>,
    last_use: Instant,
}

/// MIGRATE's connection cache by `host:port` (INFO's
/// `migrate_cached_sockets`). A connection in use is out of the cache, so
/// concurrent MIGRATEs to one target each get their own.
#[derive(Default)]
pub struct Sockets(Mutex<HashMap<Vec<u8>, Cached>>);

impl Sockets {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<Vec<u8>, Cached>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The cached connection to `name`, unless it has been idle too long.
    fn take(&self, name: &[u8]) -> Option<Cached> {
        self.map()
            .remove(name)
            .filter(|c| c.last_use.elapsed() <= CACHE_TTL)
    }

    /// Caches a connection (dropping an arbitrary one when full).
    fn put(&self, name: Vec<u8>, c: Cached) {
        let mut m = self.map();
        if m.len() >= CACHE_ITEMS && !m.contains_key(&name) {
            if let Some(k) = m.keys().next().cloned() {
                m.remove(&k);
            }
        }
        m.insert(name, c);
    }

    /// Closes the connections idle for longer than the TTL (the cron).
    pub fn close_idle(&self) {
        self.map().retain(|_, c| c.last_use.elapsed() <= CACHE_TTL);
    }

    pub fn len(&self) -> usize {
        self.map().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::testutil::{check_replay_after, dump, execute, prepared, texts};
    use std::net::TcpListener;
    use std::thread::JoinHandle;

    /// A target that reads `n` commands, runs `during` after the first,
    /// answers `+OK` to each and returns them (command names and keys).
    fn fake_target(
        n: usize,
        during: impl FnOnce() + Send + 'static,
    ) -> (String, JoinHandle<Vec<String>>) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port().to_string();
        let h = std::thread::spawn(move || {
            let (s, _) = l.accept().unwrap();
            let mut r = BufReader::new(&s);
            let mut during = Some(during);
            let mut seen = Vec::new();
            for _ in 0..n {
                // `*<argc>` or `$<len>`.
                let number = |r: &mut BufReader<&TcpStream>| -> usize {
                    let l = read_line(r).unwrap();
                    std::str::from_utf8(&l[1..]).unwrap().parse().unwrap()
                };
                let argc = number(&mut r);
                let mut words = Vec::new();
                for _ in 0..argc {
                    let len = number(&mut r);
                    let mut b = vec![0; len + 2];
                    r.read_exact(&mut b).unwrap();
                    b.truncate(len);
                    words.push(String::from_utf8_lossy(&b).into_owned());
                }
                seen.push(words[..2.min(words.len())].join(" "));
                if let Some(f) = during.take() {
                    f();
                }
                (&s).write_all(b"+OK\r\n").unwrap();
            }
            seen
        });
        (port, h)
    }

    /// `MIGRATE 127.0.0.1 port "" 0 1000 KEYS keys...`.
    fn keys_form<'a>(port: &'a str, keys: &[&'a str]) -> Vec<&'a str> {
        let mut v = vec!["MIGRATE", "127.0.0.1", port, "", "0", "1000", "KEYS"];
        v.extend(keys);
        v
    }

    /// The moved keys' deletion is logged as one batch of DELs that
    /// replays to the same store; a key that does not exist is skipped.
    #[test]
    fn deletion_is_logged_and_replays() {
        let (port, target) = fake_target(3, || ());
        let setup: &[&[&str]] = &[&["SET", "a", "1"], &["RPUSH", "b", "x"], &["SET", "c", "3"]];
        let cmd = keys_form(&port, &["a", "nope", "b"]);
        let (replies, recs) = check_replay_after(setup, &[], &[&cmd]);
        assert_eq!(replies, [Reply::ok()]);
        assert_eq!(texts(&recs), ["BATCH[DEL a; DEL b]"]);
        assert_eq!(
            target.join().unwrap(),
            ["SELECT 0", "RESTORE a", "RESTORE b"]
        );
    }

    /// A key another client writes while its copy is in flight keeps the
    /// newer value; the others are moved.
    #[test]
    fn a_key_changed_during_the_transfer_stays() {
        let srv = prepared(&[&["SET", "a", "1"], &["SET", "b", "2"]], &[]);
        let writer = srv.clone();
        let (port, target) = fake_target(3, move || {
            let (r, _) = execute(&writer, &[&["SET", "a", "newer"]]);
            assert_eq!(r, [Reply::ok()]);
        });
        let cmd = keys_form(&port, &["a", "b"]);
        let (replies, recs) = execute(&srv, &[&cmd]);
        assert_eq!(replies, [Reply::ok()]);
        assert_eq!(texts(&recs), ["DEL b"]);
        assert_eq!(dump(&srv), ["db0 a string ttl=0 [newer]"]);
        target.join().unwrap();
    }

    fn a(v: &[&str]) -> Vec<Vec<u8>> {
        v.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    #[test]
    fn keys_like_redis() {
        let k = |v: &[&str]| migrate_keys(&a(v));
        assert_eq!(k(&["MIGRATE", "h", "1", "k", "0", "5"]), Some(vec![3]));
        assert_eq!(k(&["MIGRATE", "h", "1", "", "0", "5"]), Some(vec![3]));
        assert_eq!(
            k(&["MIGRATE", "h", "1", "", "0", "5", "COPY", "KEYS", "a", "b"]),
            Some(vec![8, 9])
        );
        // AUTH's password "keys" is not the KEYS option.
        assert_eq!(
            k(&["MIGRATE", "h", "1", "", "0", "5", "AUTH", "keys", "KEYS", "a"]),
            Some(vec![9])
        );
        assert_eq!(
            k(&["MIGRATE", "h", "1", "", "0", "5", "AUTH2", "u", "keys", "KEYS", "a"]),
            Some(vec![10])
        );
        assert_eq!(k(&["MIGRATE", "h", "1", "k", "0", "5", "KEYS", "a"]), None);
        assert_eq!(
            k(&["MIGRATE", "h", "1", "", "0", "5", "KEYS", "KEYS"]),
            Some(vec![7])
        );
        assert_eq!(
            k(&["MIGRATE", "h", "1", "", "0", "5", "COPY", "KEYS", "KEYS"]),
            Some(vec![8])
        );
        // A KEYS last is not found by the key spec: the key argument.
        assert_eq!(
            k(&["MIGRATE", "h", "1", "", "0", "5", "KEYS"]),
            Some(vec![3])
        );
        assert_eq!(
            k(&["MIGRATE", "h", "1", "k", "0", "5", "COPY", "KEYS"]),
            Some(vec![3])
        );
    }

    #[test]
    fn redacts_credentials() {
        let r = |v: &[&str]| redactions(&a(v));
        assert_eq!(
            r(&["MIGRATE", "h", "1", "k", "0", "5", "COPY", "AUTH", "pw"]),
            [8]
        );
        assert_eq!(
            r(&["MIGRATE", "h", "1", "k", "0", "5", "AUTH2", "u", "pw", "REPLACE"]),
            [7, 8]
        );
        assert!(r(&["MIGRATE", "h", "1", "k", "0", "5", "AUTH"]).is_empty());
    }

    #[test]
    fn atoi_like_c() {
        assert_eq!(atoi(b"6379"), 6379);
        assert_eq!(atoi(b" 12abc"), 12);
        assert_eq!(atoi(b"abc"), 0);
        assert_eq!(atoi(b"-5"), -5);
    }

    #[test]
    fn reply_lines() {
        let mut r = &b"+OK\r\n-ERR x\r\n+partial"[..];
        assert_eq!(read_line(&mut r).unwrap(), b"+OK");
        assert_eq!(read_line(&mut r).unwrap(), b"-ERR x");
        assert!(read_line(&mut r).is_err());
    }
}
