//! Crash test: the real binary under concurrent writers with `appendfsync
//! always`, killed with SIGKILL at random moments (with snapshots taken in
//! between), restarted on the same data dir, several cycles. Every
//! acknowledged write must be there, and nothing may be applied twice:
//! each writer's counter and list may be ahead of its acknowledged count by
//! at most the one command in flight when the server died.

mod common;
use common::*;
use std::collections::HashMap;
use std::io::Write;
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

const WRITERS: usize = 3;

/// What one writer got acknowledged, over all cycles.
#[derive(Default, Clone)]
struct Acked {
    sets: Vec<(String, String)>,
    incrs: u64,
    pushes: u64,
}

fn writer(port: u16, w: usize, mut acked: Acked, stop: Arc<AtomicBool>) -> Acked {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return acked;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let mut i = acked.sets.len();
    while !stop.load(Ordering::Relaxed) {
        let (k, v) = (format!("c:{w}:{i}"), format!("v{i}"));
        // A reply that never comes (the server died) is not an ack.
        let ok = |s: &mut TcpStream, args: &[&str]| -> Option<Vec<u8>> {
            let a: Vec<&[u8]> = args.iter().map(|x| x.as_bytes()).collect();
            s.write_all(&cmd(&a)).ok()?;
            let mut buf = [0u8; 64];
            let n = std::io::Read::read(s, &mut buf).ok()?;
            (n > 0).then(|| buf[..n].to_vec())
        };
        match ok(&mut s, &["SET", &k, &v]) {
            Some(r) if r == b"+OK\r\n" => acked.sets.push((k, v)),
            _ => break,
        }
        match ok(&mut s, &["INCR", &format!("ctr:{w}")]) {
            Some(r) if r.starts_with(b":") => acked.incrs += 1,
            _ => break,
        }
        match ok(
            &mut s,
            &["RPUSH", &format!("lst:{w}"), &acked.pushes.to_string()],
        ) {
            Some(r) if r.starts_with(b":") => acked.pushes += 1,
            _ => break,
        }
        i += 1;
    }
    acked
}

fn get(s: &mut TcpStream, args: &[&str]) -> String {
    let r = calls(s, args);
    let mut lines = r.split("\r\n");
    let first = lines.next().unwrap_or("");
    match first.as_bytes().first() {
        Some(b'$') if first != "$-1" => lines.next().unwrap_or("").to_string(),
        Some(b':') => first[1..].to_string(),
        _ => first.to_string(),
    }
}

/// Checks the data against what was acknowledged; then counts a command
/// that was in flight and did get applied as acknowledged.
fn verify(srv: &TestServer, acked: &mut [Acked]) {
    let mut s = srv.raw();
    for (w, a) in acked.iter_mut().enumerate() {
        for (k, v) in &a.sets {
            assert_eq!(&get(&mut s, &["GET", k]), v, "acknowledged SET {k} lost");
        }
        let ctr: u64 = get(&mut s, &["GET", &format!("ctr:{w}")])
            .parse()
            .unwrap_or(0);
        assert!(
            ctr >= a.incrs && ctr <= a.incrs + 1,
            "ctr:{w} = {ctr}, acknowledged {}",
            a.incrs
        );
        let len: u64 = get(&mut s, &["LLEN", &format!("lst:{w}")]).parse().unwrap();
        assert!(
            len >= a.pushes && len <= a.pushes + 1,
            "lst:{w} has {len}, acknowledged {}",
            a.pushes
        );
        let items = calls(&mut s, &["LRANGE", &format!("lst:{w}"), "0", "-1"]);
        let got: Vec<&str> = items
            .split("\r\n")
            .filter(|l| !l.is_empty() && !l.starts_with('*') && !l.starts_with('$'))
            .collect();
        let want: Vec<String> = (0..len).map(|i| i.to_string()).collect();
        assert_eq!(got, want, "lst:{w}: an element lost or applied twice");
        (a.incrs, a.pushes) = (ctr, len);
    }
}

#[test]
fn sigkill_under_concurrent_writers_loses_and_doubles_nothing() {
    let cycles: usize = std::env::var("CRASH_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4);
    let flags = ["--appendfsync", "always", "--save", ""];
    let mut srv = TestServer::start_with(&flags);
    let mut acked: Vec<Acked> = vec![Acked::default(); WRITERS];
    let mut seed = std::process::id() as u64 ^ 0x9e37_79b9_7f4a_7c15;
    for cycle in 0..cycles {
        verify(&srv, &mut acked);
        let stop = Arc::new(AtomicBool::new(false));
        let handles: Vec<_> = (0..WRITERS)
            .map(|w| {
                let (a, stop, port) = (acked[w].clone(), stop.clone(), srv.port);
                std::thread::spawn(move || writer(port, w, a, stop))
            })
            .collect();
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let run = Duration::from_millis(200 + seed % 600);
        std::thread::sleep(run / 2);
        if cycle % 2 == 1 {
            let mut s = srv.raw();
            calls(&mut s, &["BGSAVE", "SCHEDULE"]);
        }
        std::thread::sleep(run / 2);
        let _ = std::process::Command::new("kill")
            .args(["-KILL", &srv.pid().to_string()])
            .status();
        srv.wait_exit(Duration::from_secs(10)).expect("killed");
        stop.store(true, Ordering::Relaxed);
        acked = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let dir = srv.dir.clone();
        srv.dir = temp_dir("moved");
        srv = TestServer::start_in(dir, &flags);
    }
    verify(&srv, &mut acked);
    let total: usize = acked.iter().map(|a| a.sets.len()).sum();
    assert!(total > 50, "only {total} writes acknowledged");
    let by_writer: HashMap<usize, usize> = acked
        .iter()
        .enumerate()
        .map(|(w, a)| (w, a.sets.len()))
        .collect();
    assert_eq!(by_writer.len(), WRITERS);
}
