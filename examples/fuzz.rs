//! `make fuzz`: coverage-free mutation fuzzing on the stable toolchain (the
//! targets, mutators and invariants are in tests/fuzz/; see docs/TESTING.md).
//!
//! ```text
//! cargo run --profile fuzz --example fuzz -- [--secs N] [--seed N] [--timeout N] [TARGET...]
//! cargo run --profile fuzz --example fuzz -- --repro fuzz/crashes/FILE
//! ```
//!
//! Runs each target (`parser`, `wal`, `snapshot`, `rdb`; all by default) for
//! `--secs` seconds (env `FUZZ_SECS`, default 60). A failing input — a
//! broken invariant, a panic, an abort (a failed huge allocation, a stack
//! overflow) or an execution running longer than `--timeout` seconds — is
//! saved as `fuzz/crashes/<target>-<hash>.bin` with the command that
//! replays it. Exit status: 0 if nothing was found, 1 otherwise.

#[path = "../tests/fuzz/mod.rs"]
mod fuzz;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[global_allocator]
static METER: fuzz::Meter = fuzz::Meter;

const CRASH_DIR: &str = "fuzz/crashes";

/// The input being executed (for the hang watchdog and the abort handler).
static CURRENT: Mutex<Vec<u8>> = Mutex::new(Vec::new());
/// Milliseconds since START when the current execution began; 0 = idle.
static EXEC_SINCE: AtomicU64 = AtomicU64::new(0);

fn usage() -> ! {
    eprintln!(
        "usage: fuzz [--secs N] [--seed N] [--timeout N] [TARGET...]\n       \
         fuzz --repro FILE [--target NAME]\ntargets: {}",
        fuzz::TARGETS.join(" ")
    );
    std::process::exit(2)
}

fn main() {
    let mut secs: u64 = env_num("FUZZ_SECS").unwrap_or(60);
    let mut seed: u64 = env_num("FUZZ_SEED").unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
    });
    let mut timeout: u64 = 10;
    let mut targets: Vec<String> = Vec::new();
    let mut repro: Option<PathBuf> = None;
    let mut repro_target: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut num = |what: &str| -> u64 {
            args.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{what} needs a number"))
        };
        match a.as_str() {
            "--secs" => secs = num("--secs"),
            "--seed" => seed = num("--seed"),
            "--timeout" => timeout = num("--timeout"),
            "--repro" => repro = Some(args.next().unwrap_or_else(|| usage()).into()),
            "--target" => repro_target = Some(args.next().unwrap_or_else(|| usage())),
            "-h" | "--help" => usage(),
            t if fuzz::TARGETS.contains(&t) => targets.push(t.to_string()),
            other => {
                eprintln!("unknown argument {other:?}");
                usage()
            }
        }
    }
    if let Some(path) = repro {
        std::process::exit(reproduce(&path, repro_target));
    }
    if targets.is_empty() {
        if let Ok(list) = std::env::var("FUZZ_TARGETS") {
            targets = list.split_whitespace().map(String::from).collect();
        }
    }
    if targets.is_empty() {
        targets = fuzz::TARGETS.iter().map(|t| t.to_string()).collect();
    }
    watchdog(timeout);
    // Panics are findings, reported once each at the end: keep them quiet.
    std::panic::set_hook(Box::new(|_| {}));
    let mut found = 0;
    for (i, name) in targets.iter().enumerate() {
        let Some(mut t) = fuzz::target(name) else {
            eprintln!("unknown target {name}");
            usage()
        };
        let tseed = seed.wrapping_add(i as u64);
        on_abort::arm(name);
        eprintln!("fuzz {name}: seed {tseed}, {secs} s");
        let start = Instant::now();
        let limit = Duration::from_secs(secs);
        let mut last_note = Instant::now();
        let stats = fuzz::fuzz_loop(
            t.as_mut(),
            tseed,
            |input| {
                let mut cur = CURRENT.lock().unwrap_or_else(|e| e.into_inner());
                cur.clear();
                cur.extend_from_slice(input);
                on_abort::point_at(&cur);
                EXEC_SINCE.store(now_ms().max(1), Ordering::SeqCst);
            },
            |s| {
                EXEC_SINCE.store(0, Ordering::SeqCst);
                if last_note.elapsed() >= Duration::from_secs(10) {
                    last_note = Instant::now();
                    eprintln!(
                        "  {name}: {} execs, corpus {}, {} features, {} findings",
                        s.execs,
                        s.corpus,
                        s.features,
                        s.findings.len()
                    );
                }
                start.elapsed() < limit
            },
        );
        EXEC_SINCE.store(0, Ordering::SeqCst);
        let el = start.elapsed().as_secs_f64();
        println!(
            "fuzz {name}: {} execs in {el:.1} s ({:.0}/s), corpus {}, {} features, {} findings",
            stats.execs,
            stats.execs as f64 / el.max(1e-9),
            stats.corpus,
            stats.features,
            stats.findings.len()
        );
        for (input, what) in &stats.findings {
            let path = save(name, input);
            println!("  FINDING: {what}\n  input saved to {}", path.display());
            println!("  reproduce: {}", repro_command(&path));
        }
        found += stats.findings.len();
    }
    std::process::exit(if found == 0 { 0 } else { 1 });
}

fn env_num(var: &str) -> Option<u64> {
    std::env::var(var).ok().and_then(|v| v.trim().parse().ok())
}

fn now_ms() -> u64 {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_millis() as u64
}

fn repro_command(path: &Path) -> String {
    format!(
        "cargo run --profile fuzz --example fuzz -- --repro {}",
        path.display()
    )
}

/// Writes a finding to `fuzz/crashes/<target>-<hash>.bin`.
fn save(target: &str, input: &[u8]) -> PathBuf {
    let _ = std::fs::create_dir_all(CRASH_DIR);
    let path = Path::new(CRASH_DIR).join(format!("{target}-{:016x}.bin", fuzz::fnv(input)));
    if let Err(e) = std::fs::write(&path, input) {
        eprintln!("could not save {}: {e}", path.display());
    }
    path
}

/// Runs one saved input with the default panic output; 0 if it passes.
fn reproduce(path: &Path, target: Option<String>) -> i32 {
    // `<target>-<hash>.bin`, or any name under fuzz/regressions/<target>/.
    let name = target.unwrap_or_else(|| {
        let dir = path
            .parent()
            .and_then(|d| d.file_name())
            .and_then(|d| d.to_str());
        match dir {
            Some(d) if fuzz::TARGETS.contains(&d) => d.to_string(),
            _ => {
                let file = path.file_name().and_then(|f| f.to_str()).unwrap_or("");
                file.split('-').next().unwrap_or("").to_string()
            }
        }
    });
    let Some(mut t) = fuzz::target(&name) else {
        eprintln!(
            "cannot tell the target of {} (use --target)",
            path.display()
        );
        return 2;
    };
    let input = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    println!("{name}: {} bytes from {}", input.len(), path.display());
    match t.run(&input) {
        Ok(features) => {
            println!("passes ({} features)", features.len());
            0
        }
        Err(what) => {
            println!("FAILS: {what}");
            1
        }
    }
}

/// Every second: if one execution has run longer than `secs`, save its
/// input as a hang and stop.
fn watchdog(secs: u64) {
    std::thread::spawn(move || loop {
        std::thread::sleep(Duration::from_secs(1));
        let since = EXEC_SINCE.load(Ordering::SeqCst);
        if since != 0 && now_ms().saturating_sub(since) > secs * 1000 {
            let input = CURRENT.lock().unwrap_or_else(|e| e.into_inner()).clone();
            let target = on_abort::target_name();
            let path = save(&target, &input);
            println!(
                "fuzz {target}: HANG: one execution ran over {secs} s\n  input saved to {}\n  reproduce: {}",
                path.display(),
                repro_command(&path)
            );
            std::process::exit(1);
        }
    });
}

/// On SIGABRT (a failed allocation, a stack overflow, a panic while
/// panicking): write the input being executed to `fuzz/crashes/` using
/// only async-signal-safe calls, then let the abort proceed.
#[cfg(target_os = "linux")]
mod on_abort {
    use std::ffi::c_char;
    use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
    use std::sync::Mutex;

    extern "C" {
        fn signal(sig: i32, handler: usize) -> usize;
        fn open(path: *const c_char, flags: i32, ...) -> i32;
        fn write(fd: i32, buf: *const u8, n: usize) -> isize;
        fn close(fd: i32) -> i32;
    }

    const SIGABRT: i32 = 6;
    const O_WRONLY: i32 = 0o1;
    const O_CREAT: i32 = 0o100;
    const O_TRUNC: i32 = 0o1000;

    static PTR: AtomicPtr<u8> = AtomicPtr::new(std::ptr::null_mut());
    static LEN: AtomicUsize = AtomicUsize::new(0);
    /// "fuzz/crashes/<target>-abort.bin\0", leaked once per target.
    static PATH: AtomicPtr<u8> = AtomicPtr::new(std::ptr::null_mut());
    static PATH_LEN: AtomicUsize = AtomicUsize::new(0);
    static NAME: Mutex<String> = Mutex::new(String::new());

    pub fn target_name() -> String {
        NAME.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Installs the handler for the target about to run.
    pub fn arm(target: &str) {
        *NAME.lock().unwrap_or_else(|e| e.into_inner()) = target.to_string();
        let _ = std::fs::create_dir_all(super::CRASH_DIR);
        let path = format!("{}/{target}-abort.bin\0", super::CRASH_DIR);
        let leaked: &'static mut [u8] = Vec::leak(path.into_bytes());
        PATH_LEN.store(leaked.len() - 1, Ordering::SeqCst);
        PATH.store(leaked.as_mut_ptr(), Ordering::SeqCst);
        // SAFETY: `handler` only uses async-signal-safe calls and data
        // published through atomics before it can run.
        unsafe {
            signal(SIGABRT, handler as *const () as usize);
        }
    }

    /// The input about to run (it stays alive and unchanged while it runs).
    pub fn point_at(input: &[u8]) {
        LEN.store(input.len(), Ordering::SeqCst);
        PTR.store(input.as_ptr() as *mut u8, Ordering::SeqCst);
    }

    fn say(s: &[u8]) {
        // SAFETY: write(2) on stderr with a valid buffer.
        unsafe {
            write(2, s.as_ptr(), s.len());
        }
    }

    extern "C" fn handler(_sig: i32) {
        let path = PATH.load(Ordering::SeqCst);
        let ptr = PTR.load(Ordering::SeqCst);
        if path.is_null() || ptr.is_null() {
            return;
        }
        // SAFETY: PATH is a leaked NUL-terminated string; PTR/LEN describe
        // the input the aborting thread was running (still alive: that
        // thread is the one in this handler).
        unsafe {
            let fd = open(path as *const c_char, O_WRONLY | O_CREAT | O_TRUNC, 0o644);
            if fd >= 0 {
                write(fd, ptr, LEN.load(Ordering::SeqCst));
                close(fd);
            }
            let p = std::slice::from_raw_parts(path, PATH_LEN.load(Ordering::SeqCst));
            say(b"\nfuzz: ABORT while running an input; it was saved to ");
            say(p);
            say(b"\n  reproduce: cargo run --profile fuzz --example fuzz -- --repro ");
            say(p);
            say(b"\n");
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod on_abort {
    use std::sync::Mutex;
    static NAME: Mutex<String> = Mutex::new(String::new());
    pub fn target_name() -> String {
        NAME.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
    pub fn arm(target: &str) {
        *NAME.lock().unwrap_or_else(|e| e.into_inner()) = target.to_string();
    }
    pub fn point_at(_input: &[u8]) {}
}
