//! The load generator: a small poll(2) event loop per thread, each driving
//! its share of the `-c` connections like redis-benchmark's ae loop does.
//! A connection writes a batch of `-P` requests, then reads and *skims*
//! the replies (finds where each ends, allocates nothing), records each
//! reply's latency in the thread's histogram and sends the next batch.
//! Requests are claimed from one shared counter, so `-n` is exact.
//!
//! With `--rate` the schedule is open: request `i` is due at `i / rate`
//! seconds, a connection sends a batch when its last request is due, and
//! latency counts from each request's *due* time, not from when it could
//! be sent, so a stalled server shows up in the percentiles (coordinated
//! omission, as wrk2 and HdrHistogram describe it).

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::args::Config;
use crate::histogram::Histogram;
use crate::workload::{Rng, Template, Test};

// ------------------------------------------------------------------ poll

#[repr(C)]
struct PollFd {
    fd: i32,
    events: i16,
    revents: i16,
}

const POLLIN: i16 = 0x1;
const POLLOUT: i16 = 0x4;

#[cfg(target_os = "linux")]
fn wait(fds: &mut [PollFd], timeout_ns: Option<u64>) -> io::Result<usize> {
    use std::os::raw::{c_long, c_ulong, c_void};
    #[repr(C)]
    struct Timespec {
        tv_sec: c_long,
        tv_nsec: c_long,
    }
    extern "C" {
        fn ppoll(fds: *mut PollFd, n: c_ulong, ts: *const Timespec, mask: *const c_void) -> i32;
    }
    let ts = timeout_ns.map(|ns| Timespec {
        tv_sec: (ns / 1_000_000_000) as c_long,
        tv_nsec: (ns % 1_000_000_000) as c_long,
    });
    let tp = ts
        .as_ref()
        .map_or(std::ptr::null(), |t| t as *const Timespec);
    // SAFETY: `fds` is a valid array of pollfd for the call; `tp` is null
    // or points at a live timespec; no signal mask.
    let n = unsafe { ppoll(fds.as_mut_ptr(), fds.len() as c_ulong, tp, std::ptr::null()) };
    check(n)
}

#[cfg(not(target_os = "linux"))]
fn wait(fds: &mut [PollFd], timeout_ns: Option<u64>) -> io::Result<usize> {
    extern "C" {
        fn poll(fds: *mut PollFd, n: std::os::raw::c_uint, timeout: i32) -> i32;
    }
    let ms = timeout_ns.map_or(-1, |ns| ns.div_ceil(1_000_000).min(i32::MAX as u64) as i32);
    // SAFETY: `fds` is a valid array of pollfd for the call.
    let n = unsafe { poll(fds.as_mut_ptr(), fds.len() as std::os::raw::c_uint, ms) };
    check(n)
}

fn check(n: i32) -> io::Result<usize> {
    if n < 0 {
        let e = io::Error::last_os_error();
        if e.kind() == io::ErrorKind::Interrupted {
            return Ok(0);
        }
        return Err(e);
    }
    Ok(n as usize)
}

// ---------------------------------------------------------- reply skimming

/// Where the reply starting at `buf[0]` ends, and whether it is an error;
/// None if it is not complete yet. Err on bytes that are not RESP.
pub fn skim(buf: &[u8]) -> Result<Option<(usize, bool)>, String> {
    let mut p = 0usize;
    let mut need: u64 = 1;
    let mut error = false;
    let mut first = true;
    while need > 0 {
        if p >= buf.len() {
            return Ok(None);
        }
        let t = buf[p];
        let Some(nl) = buf[p + 1..].iter().position(|&b| b == b'\n') else {
            return Ok(None);
        };
        let le = p + 1 + nl; // index of '\n'
        let line = &buf[p + 1..le.saturating_sub(1).max(p + 1)];
        let next = le + 1;
        let num = || -> Result<i64, String> {
            std::str::from_utf8(line)
                .ok()
                .and_then(|s| s.parse::<i64>().ok())
                .ok_or_else(|| format!("bad length in reply: {:?}", String::from_utf8_lossy(line)))
        };
        match t {
            b'+' | b':' | b'_' | b',' | b'#' | b'(' => {
                p = next;
                need -= 1;
            }
            b'-' => {
                error |= first;
                p = next;
                need -= 1;
            }
            b'$' | b'=' | b'!' => {
                let n = num()?;
                error |= first && t == b'!';
                if n < 0 {
                    p = next;
                } else {
                    let end = next + n as usize + 2;
                    if end > buf.len() {
                        return Ok(None);
                    }
                    p = end;
                }
                need -= 1;
            }
            b'*' | b'~' | b'>' => {
                let n = num()?;
                p = next;
                need = need - 1 + n.max(0) as u64;
            }
            b'%' => {
                let n = num()?;
                p = next;
                need = need - 1 + 2 * n.max(0) as u64;
            }
            b'|' => {
                // An attribute map precedes the reply it annotates.
                let n = num()?;
                p = next;
                need += 2 * n.max(0) as u64;
            }
            _ => {
                return Err(format!(
                    "unexpected byte {:?} in a reply",
                    char::from(t).escape_default().to_string()
                ))
            }
        }
        first = false;
    }
    Ok(Some((p, error)))
}

/// Reads one whole reply from a blocking socket (handshakes); returns it
/// as text.
fn read_reply(s: &mut TcpStream) -> Result<String, String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some((end, _)) = skim(&buf)? {
            return Ok(String::from_utf8_lossy(&buf[..end]).into_owned());
        }
        let n = s
            .read(&mut chunk)
            .map_err(|e| format!("reading a reply: {e}"))?;
        if n == 0 {
            return Err("the server closed the connection".into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Sends one command on a blocking socket and returns the reply text.
pub fn call(s: &mut TcpStream, args: &[&str]) -> Result<String, String> {
    let t = Template::new(args, false);
    s.write_all(&t.bytes)
        .map_err(|e| format!("sending {}: {e}", args[0]))?;
    read_reply(s)
}

/// A connected, authenticated socket on the selected database (blocking).
pub fn connect(c: &Config) -> Result<TcpStream, String> {
    let addr = format!("{}:{}", c.host, c.port);
    let mut s =
        TcpStream::connect(&addr).map_err(|e| format!("could not connect to {addr}: {e}"))?;
    let _ = s.set_nodelay(true);
    let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
    if let Some(pw) = &c.password {
        let r = match &c.user {
            Some(u) => call(&mut s, &["AUTH", u, pw])?,
            None => call(&mut s, &["AUTH", pw])?,
        };
        if !r.starts_with("+OK") {
            return Err(format!("AUTH failed: {}", r.trim_end()));
        }
    }
    if c.dbnum != 0 {
        let r = call(&mut s, &["SELECT", &c.dbnum.to_string()])?;
        if !r.starts_with("+OK") {
            return Err(format!("SELECT {} failed: {}", c.dbnum, r.trim_end()));
        }
    }
    Ok(s)
}

// -------------------------------------------------------------- the loop

/// State shared by the event-loop threads of one test.
pub struct Shared {
    pub start: Instant,
    /// Requests claimed so far (the next request's index).
    claimed: AtomicU64,
    /// Requests to send; u64::MAX with --duration.
    limit: u64,
    /// Stop claiming at this time (ns since start) with --duration.
    deadline: Option<u64>,
    /// Requests per ns with --rate.
    rate_per_ns: Option<f64>,
    /// Replies received (published once per loop turn, for progress).
    pub done: AtomicU64,
    /// Sum of their latencies in µs (for the progress line's average).
    pub lat_us: AtomicU64,
    failed: AtomicBool,
    error: Mutex<Option<String>>,
}

impl Shared {
    pub fn new(c: &Config) -> Shared {
        Shared {
            start: Instant::now(),
            claimed: AtomicU64::new(0),
            limit: if c.duration.is_some() {
                u64::MAX
            } else {
                c.requests
            },
            deadline: c.duration.map(|d| d.as_nanos() as u64),
            rate_per_ns: c.rate.map(|r| r / 1e9),
            done: AtomicU64::new(0),
            lat_us: AtomicU64::new(0),
            failed: AtomicBool::new(false),
            error: Mutex::new(None),
        }
    }

    #[inline]
    fn now(&self) -> u64 {
        self.start.elapsed().as_nanos() as u64
    }

    /// When request `i` is due with --rate (ns since start).
    fn due(&self, i: u64) -> Option<u64> {
        self.rate_per_ns.map(|r| (i as f64 / r) as u64)
    }

    /// Claims up to `want` requests: Some(first index, count) or None
    /// when the test is over.
    fn claim(&self, want: u64, now: u64) -> Option<(u64, u64)> {
        if self.failed.load(Ordering::Relaxed) {
            return None;
        }
        let mut cur = self.claimed.load(Ordering::Relaxed);
        loop {
            if cur >= self.limit {
                return None;
            }
            if let Some(d) = self.deadline {
                // With a rate, a request due after the deadline is not sent.
                if self.due(cur).unwrap_or(now) >= d {
                    return None;
                }
            }
            let k = want.min(self.limit - cur);
            match self.claimed.compare_exchange_weak(
                cur,
                cur + k,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Some((cur, k)),
                Err(c) => cur = c,
            }
        }
    }

    fn fail(&self, msg: String) {
        let mut e = self.error.lock().unwrap_or_else(|e| e.into_inner());
        if e.is_none() {
            *e = Some(msg);
        }
        self.failed.store(true, Ordering::SeqCst);
    }

    pub fn error(&self) -> Option<String> {
        self.error.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// What one thread measured.
pub struct Outcome {
    pub hist: Histogram,
    pub errors: u64,
    pub first_error: Option<String>,
    /// Requests sent per choice of the test (a --mix's breakdown).
    pub per_choice: Vec<u64>,
    /// When this thread's last reply arrived (ns since start).
    pub end_ns: u64,
}

struct Conn {
    sock: TcpStream,
    fd: RawFd,
    out: Vec<u8>,
    out_off: usize,
    inb: Vec<u8>,
    in_start: usize,
    in_end: usize,
    /// Start time (ns) of each outstanding request, in order.
    starts: Vec<u64>,
    head: usize,
    /// --rate: the batch in `out` goes out at this time.
    send_at: Option<u64>,
    finished: bool,
}

impl Conn {
    fn pending(&self) -> usize {
        self.starts.len() - self.head
    }
}

/// Chooses requests by weight.
struct Picker<'a> {
    choices: &'a [(Template, u32)],
    cumulative: Vec<u64>,
    total: u64,
}

impl<'a> Picker<'a> {
    fn new(test: &'a Test) -> Picker<'a> {
        let mut acc = 0;
        let cumulative = test
            .choices
            .iter()
            .map(|(_, w)| {
                acc += *w as u64;
                acc
            })
            .collect();
        Picker {
            choices: &test.choices,
            cumulative,
            total: acc,
        }
    }

    #[inline]
    fn pick(&self, rng: &mut Rng) -> usize {
        if self.choices.len() == 1 {
            return 0;
        }
        let r = rng.below(self.total);
        self.cumulative.iter().position(|&c| r < c).unwrap_or(0)
    }
}

/// Runs one thread's connections until the test is over.
pub fn run_loop(
    shared: &Shared,
    test: &Test,
    cfg: &Config,
    socks: Vec<TcpStream>,
    seed: u64,
) -> Outcome {
    let mut out = Outcome {
        hist: Histogram::new(),
        errors: 0,
        first_error: None,
        per_choice: vec![0; test.choices.len()],
        end_ns: 0,
    };
    if let Err(e) = drive(shared, test, cfg, socks, seed, &mut out) {
        shared.fail(e);
    }
    out.end_ns = shared.now();
    out
}

fn drive(
    shared: &Shared,
    test: &Test,
    cfg: &Config,
    socks: Vec<TcpStream>,
    seed: u64,
    out: &mut Outcome,
) -> Result<(), String> {
    let picker = Picker::new(test);
    let keyspace = cfg.keyspace.unwrap_or(1);
    let pipeline = cfg.pipeline as u64;
    let mut rng = Rng::new(seed);
    let mut conns = Vec::with_capacity(socks.len());
    for s in socks {
        s.set_nonblocking(true)
            .map_err(|e| format!("set_nonblocking: {e}"))?;
        conns.push(Conn {
            fd: s.as_raw_fd(),
            sock: s,
            out: Vec::with_capacity(4096),
            out_off: 0,
            inb: vec![0; 64 * 1024],
            in_start: 0,
            in_end: 0,
            starts: Vec::with_capacity(cfg.pipeline),
            head: 0,
            send_at: None,
            finished: false,
        });
    }
    let mut fds: Vec<PollFd> = Vec::with_capacity(conns.len());
    let mut map: Vec<usize> = Vec::with_capacity(conns.len());
    let (mut done_delta, mut lat_delta) = (0u64, 0u64);

    // Fills `c.out` with its next batch (or marks it finished).
    let refill = |c: &mut Conn, rng: &mut Rng, per_choice: &mut [u64], now: u64| {
        c.starts.clear();
        c.head = 0;
        c.out.clear();
        c.out_off = 0;
        c.send_at = None;
        let Some((first, k)) = shared.claim(pipeline, now) else {
            c.finished = true;
            return;
        };
        for i in first..first + k {
            let which = picker.pick(rng);
            per_choice[which] += 1;
            picker.choices[which].0.write(&mut c.out, rng, keyspace);
            c.starts.push(shared.due(i).unwrap_or(0));
        }
        if shared.rate_per_ns.is_some() {
            let last = *c.starts.last().unwrap_or(&0);
            if last > now {
                c.send_at = Some(last);
            }
        }
    };

    let now = shared.now();
    for c in conns.iter_mut() {
        refill(c, &mut rng, &mut out.per_choice, now);
    }
    loop {
        if shared.failed.load(Ordering::Relaxed) {
            return Ok(());
        }
        let now = shared.now();
        // Send what is due; find the next send time.
        let mut next_due: Option<u64> = None;
        for c in conns.iter_mut() {
            if c.finished || c.out_off >= c.out.len() {
                continue;
            }
            if let Some(t) = c.send_at {
                if t > now {
                    next_due = Some(next_due.map_or(t, |d: u64| d.min(t)));
                    continue;
                }
                c.send_at = None;
            }
            if c.out_off == 0 && shared.rate_per_ns.is_none() {
                // Closed loop: latency counts from the first write.
                c.starts.iter_mut().for_each(|s| *s = now);
            }
            flush(c)?;
        }
        fds.clear();
        map.clear();
        for (i, c) in conns.iter().enumerate() {
            let mut ev = 0;
            if c.pending() > 0 && c.send_at.is_none() {
                ev |= POLLIN;
            }
            if c.out_off < c.out.len() && c.send_at.is_none() {
                ev |= POLLOUT;
            }
            if ev != 0 {
                fds.push(PollFd {
                    fd: c.fd,
                    events: ev,
                    revents: 0,
                });
                map.push(i);
            }
        }
        if fds.is_empty() && next_due.is_none() {
            break; // every connection is finished
        }
        let timeout = next_due.map(|t| t.saturating_sub(shared.now()));
        // Publish progress before possibly sleeping.
        if done_delta > 0 {
            shared.done.fetch_add(done_delta, Ordering::Relaxed);
            shared.lat_us.fetch_add(lat_delta, Ordering::Relaxed);
            done_delta = 0;
            lat_delta = 0;
        }
        let n = wait(&mut fds, timeout).map_err(|e| format!("poll: {e}"))?;
        if n == 0 {
            continue;
        }
        for (k, pfd) in fds.iter().enumerate() {
            if pfd.revents == 0 {
                continue;
            }
            let c = &mut conns[map[k]];
            if pfd.revents & POLLOUT != 0 {
                flush(c)?;
            }
            if pfd.revents & !POLLOUT == 0 {
                continue;
            }
            // Readable (or hung up / in error: the read says which).
            read_some(c)?;
            let now = shared.now();
            while c.pending() > 0 {
                let Some((len, is_err)) = skim(&c.inb[c.in_start..c.in_end])? else {
                    break;
                };
                if is_err {
                    out.errors += 1;
                    if out.first_error.is_none() {
                        let text = &c.inb[c.in_start + 1..c.in_start + len - 2];
                        out.first_error = Some(String::from_utf8_lossy(text).into_owned());
                    }
                }
                c.in_start += len;
                let lat = now.saturating_sub(c.starts[c.head]);
                c.head += 1;
                out.hist.record(lat);
                done_delta += 1;
                lat_delta += lat / 1000;
            }
            if c.in_start == c.in_end {
                c.in_start = 0;
                c.in_end = 0;
            }
            if c.pending() == 0 && c.in_end > c.in_start {
                return Err("the server sent more replies than requests".into());
            }
            if c.pending() == 0 {
                refill(c, &mut rng, &mut out.per_choice, now);
                if !c.finished && c.send_at.is_none() {
                    if shared.rate_per_ns.is_none() {
                        c.starts.iter_mut().for_each(|s| *s = now);
                    }
                    flush(c)?;
                }
            }
        }
    }
    shared.done.fetch_add(done_delta, Ordering::Relaxed);
    shared.lat_us.fetch_add(lat_delta, Ordering::Relaxed);
    Ok(())
}

/// Writes as much of the pending batch as the socket takes.
fn flush(c: &mut Conn) -> Result<(), String> {
    while c.out_off < c.out.len() {
        match c.sock.write(&c.out[c.out_off..]) {
            Ok(0) => return Err("the server closed the connection".into()),
            Ok(n) => c.out_off += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("writing to the server: {e}")),
        }
    }
    Ok(())
}

/// Reads what is available into the connection's buffer.
fn read_some(c: &mut Conn) -> Result<(), String> {
    loop {
        if c.in_end == c.inb.len() {
            if c.in_start > 0 {
                c.inb.copy_within(c.in_start..c.in_end, 0);
                c.in_end -= c.in_start;
                c.in_start = 0;
            } else {
                let n = c.inb.len() * 2;
                c.inb.resize(n, 0);
            }
        }
        match c.sock.read(&mut c.inb[c.in_end..]) {
            Ok(0) => return Err("the server closed the connection".into()),
            Ok(n) => {
                c.in_end += n;
                if c.in_end < c.inb.len() {
                    return Ok(());
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("reading from the server: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::skim;

    #[test]
    fn skims_whole_replies_only() {
        type Case = (&'static [u8], Option<(usize, bool)>);
        let cases: [Case; 9] = [
            (b"+OK\r\n", Some((5, false))),
            (b"-ERR x\r\n", Some((8, true))),
            (b":12\r\n", Some((5, false))),
            (b"$3\r\nabc\r\n", Some((9, false))),
            (b"$-1\r\n", Some((5, false))),
            (b"*2\r\n$1\r\na\r\n:1\r\n", Some((15, false))),
            (b"*2\r\n$1\r\na\r\n", None),
            (b"$3\r\nab", None),
            (b"%1\r\n+a\r\n*0\r\n", Some((12, false))),
        ];
        for (buf, want) in cases {
            assert_eq!(
                skim(buf).unwrap(),
                want,
                "{:?}",
                String::from_utf8_lossy(buf)
            );
        }
        // Two replies: the first one's end.
        assert_eq!(skim(b"+A\r\n+B\r\n").unwrap(), Some((4, false)));
        // An error inside an array does not make the array an error.
        assert_eq!(skim(b"*1\r\n-E\r\n").unwrap(), Some((8, false)));
        assert!(skim(b"?\r\n").is_err());
        assert!(skim(b"$x\r\n").is_err());
    }
}
