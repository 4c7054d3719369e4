//! Logging in Redis's format (`pid:M 26 Nov 2026 09:48:14.123 * message`)
//! to stdout or `logfile`, filtered by `loglevel`.

use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Mutex;

pub const DEBUG: u8 = 0;
pub const VERBOSE: u8 = 1;
pub const NOTICE: u8 = 2;
pub const WARNING: u8 = 3;
pub const NOTHING: u8 = 4;

static LEVEL: AtomicU8 = AtomicU8::new(NOTICE);
static FILE: Mutex<Option<std::fs::File>> = Mutex::new(None);

pub fn level_from_name(name: &str) -> u8 {
    match name {
        "debug" => DEBUG,
        "verbose" => VERBOSE,
        "warning" => WARNING,
        "nothing" => NOTHING,
        _ => NOTICE,
    }
}

pub fn set_level(name: &str) {
    LEVEL.store(level_from_name(name), Ordering::Relaxed);
}

/// Opens `path` for appending (created if missing); "" = None. The log
/// and the audit log both open their files this way.
pub fn open_append(path: &str) -> std::io::Result<Option<std::fs::File>> {
    if path.is_empty() {
        return Ok(None);
    }
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map(Some)
}

/// Sends log lines to `path` (appending) instead of stdout; "" = stdout.
pub fn set_file(path: &str) -> std::io::Result<()> {
    let f = open_append(path)?;
    *FILE.lock().unwrap_or_else(|e| e.into_inner()) = f;
    Ok(())
}

pub fn enabled(level: u8) -> bool {
    level >= LEVEL.load(Ordering::Relaxed) && level < NOTHING
}

/// Writes one line at `level`.
pub fn log(level: u8, msg: &str) {
    if !enabled(level) {
        return;
    }
    let mark = match level {
        DEBUG => '.',
        VERBOSE => '-',
        NOTICE => '*',
        _ => '#',
    };
    let line = format!(
        "{}:M {} {} {}\n",
        std::process::id(),
        timestamp(crate::store::now_ms()),
        mark,
        msg
    );
    let mut f = FILE.lock().unwrap_or_else(|e| e.into_inner());
    match f.as_mut() {
        Some(file) => {
            let _ = file.write_all(line.as_bytes());
        }
        None => {
            let _ = std::io::stdout().lock().write_all(line.as_bytes());
        }
    }
}

/// `26 Nov 2026 09:48:14.123` for a Unix ms time (UTC).
pub fn timestamp(ms: u64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = ms / 1000;
    let (y, m, d) = civil_from_days((secs / 86400) as i64);
    let t = secs % 86400;
    format!(
        "{:02} {} {} {:02}:{:02}:{:02}.{:03}",
        d,
        MONTHS[(m - 1) as usize],
        y,
        t / 3600,
        (t / 60) % 60,
        t % 60,
        ms % 1000
    )
}

/// `2026-11-26T09:48:14.123Z` (RFC 3339, UTC) for a Unix ms time.
pub fn iso8601(ms: u64) -> String {
    let secs = ms / 1000;
    let (y, m, d) = civil_from_days((secs / 86400) as i64);
    let t = secs % 86400;
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        y,
        m,
        d,
        t / 3600,
        (t / 60) % 60,
        t % 60,
        ms % 1000
    )
}

/// Days since 1970-01-01 → (year, month 1-12, day 1-31) (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[macro_export]
macro_rules! notice { ($($t:tt)*) => { $crate::log::log($crate::log::NOTICE, &format!($($t)*)) } }
#[macro_export]
macro_rules! warning { ($($t:tt)*) => { $crate::log::log($crate::log::WARNING, &format!($($t)*)) } }
#[macro_export]
macro_rules! verbose { ($($t:tt)*) => { $crate::log::log($crate::log::VERBOSE, &format!($($t)*)) } }

#[cfg(test)]
mod tests {
    #[test]
    fn timestamps() {
        assert_eq!(super::timestamp(0), "01 Jan 1970 00:00:00.000");
        assert_eq!(
            super::timestamp(1_795_686_494_123),
            "26 Nov 2026 09:48:14.123"
        );
        assert_eq!(
            super::iso8601(1_795_686_494_123),
            "2026-11-26T09:48:14.123Z"
        );
    }
}
