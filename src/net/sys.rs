//! The few OS calls std does not offer, declared directly (no libc crate):
//! epoll and eventfd for the Linux event loop, and TCP keepalive. Each is
//! behind `cfg`, with the portable fallback chosen by the caller.

#[cfg(target_os = "linux")]
pub mod epoll {
    use std::fs::File;
    use std::io::{Read, Write};
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

    pub const IN: u32 = 0x001;
    pub const OUT: u32 = 0x004;
    pub const ERR: u32 = 0x008;
    pub const HUP: u32 = 0x010;
    pub const RDHUP: u32 = 0x2000;

    const CTL_ADD: i32 = 1;
    const CTL_DEL: i32 = 2;
    const CTL_MOD: i32 = 3;
    const CLOEXEC: i32 = 0o2000000;
    const EFD_NONBLOCK: i32 = 0o4000;

    /// `struct epoll_event`: packed on x86-64 only, as in the kernel headers.
    #[cfg_attr(target_arch = "x86_64", repr(C, packed))]
    #[cfg_attr(not(target_arch = "x86_64"), repr(C))]
    #[derive(Clone, Copy)]
    pub struct Event {
        pub events: u32,
        pub data: u64,
    }

    extern "C" {
        fn epoll_create1(flags: i32) -> i32;
        fn epoll_ctl(epfd: i32, op: i32, fd: i32, ev: *mut Event) -> i32;
        fn epoll_wait(epfd: i32, evs: *mut Event, max: i32, timeout: i32) -> i32;
        fn eventfd(initval: u32, flags: i32) -> i32;
    }

    fn check(r: i32) -> std::io::Result<i32> {
        if r < 0 {
            Err(std::io::Error::last_os_error())
        } else {
            Ok(r)
        }
    }

    /// An epoll instance.
    pub struct Epoll(OwnedFd);

    impl Epoll {
        pub fn new() -> std::io::Result<Epoll> {
            // SAFETY: plain syscall; the returned fd is owned from here on.
            let fd = check(unsafe { epoll_create1(CLOEXEC) })?;
            Ok(Epoll(unsafe { OwnedFd::from_raw_fd(fd) }))
        }

        fn ctl(&self, op: i32, fd: RawFd, events: u32, data: u64) -> std::io::Result<()> {
            let mut ev = Event { events, data };
            // SAFETY: `ev` outlives the call; the kernel copies it.
            check(unsafe { epoll_ctl(self.0.as_raw_fd(), op, fd, &mut ev) }).map(|_| ())
        }
        pub fn add(&self, fd: RawFd, events: u32, data: u64) -> std::io::Result<()> {
            self.ctl(CTL_ADD, fd, events, data)
        }
        pub fn modify(&self, fd: RawFd, events: u32, data: u64) -> std::io::Result<()> {
            self.ctl(CTL_MOD, fd, events, data)
        }
        pub fn delete(&self, fd: RawFd) -> std::io::Result<()> {
            self.ctl(CTL_DEL, fd, 0, 0)
        }

        /// Waits up to `timeout_ms` for events; returns how many were filled in.
        pub fn wait(&self, events: &mut [Event], timeout_ms: i32) -> std::io::Result<usize> {
            // SAFETY: the buffer is valid for `events.len()` entries.
            let n = unsafe {
                epoll_wait(
                    self.0.as_raw_fd(),
                    events.as_mut_ptr(),
                    events.len() as i32,
                    timeout_ms,
                )
            };
            match check(n) {
                Ok(n) => Ok(n as usize),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Ok(0),
                Err(e) => Err(e),
            }
        }
    }

    /// An eventfd used to wake an event loop from another thread.
    pub struct Waker(File);

    impl Waker {
        pub fn new() -> std::io::Result<Waker> {
            // SAFETY: plain syscall; the fd is owned by the File from here on.
            let fd = check(unsafe { eventfd(0, CLOEXEC | EFD_NONBLOCK) })?;
            Ok(Waker(unsafe { File::from_raw_fd(fd) }))
        }
        pub fn wake(&self) {
            let _ = (&self.0).write(&1u64.to_ne_bytes());
        }
        pub fn drain(&self) {
            let mut b = [0u8; 8];
            let _ = (&self.0).read(&mut b);
        }
        pub fn fd(&self) -> RawFd {
            self.0.as_raw_fd()
        }
    }
}

/// `poll(2)` for input on a few descriptors (Unix): which of `fds` are
/// readable (or hung up / in error) within `timeout_ms`. The
/// thread-per-connection driver uses it to wait for a socket and a wake-up
/// pipe at once.
#[cfg(unix)]
pub fn poll_readable(fds: &[std::os::fd::RawFd], timeout_ms: i32) -> std::io::Result<Vec<bool>> {
    #[repr(C)]
    struct PollFd {
        fd: i32,
        events: i16,
        revents: i16,
    }
    #[cfg(target_os = "linux")]
    type Nfds = std::os::raw::c_ulong;
    #[cfg(not(target_os = "linux"))]
    type Nfds = std::os::raw::c_uint;
    extern "C" {
        fn poll(fds: *mut PollFd, nfds: Nfds, timeout: i32) -> i32;
    }
    const POLLIN: i16 = 0x1;
    let mut v: Vec<PollFd> = fds
        .iter()
        .map(|&fd| PollFd {
            fd,
            events: POLLIN,
            revents: 0,
        })
        .collect();
    // SAFETY: `v` holds `v.len()` valid pollfd structs for the call.
    let n = unsafe { poll(v.as_mut_ptr(), v.len() as Nfds, timeout_ms) };
    if n < 0 {
        let e = std::io::Error::last_os_error();
        if e.kind() == std::io::ErrorKind::Interrupted {
            return Ok(vec![false; fds.len()]);
        }
        return Err(e);
    }
    Ok(v.iter().map(|p| p.revents != 0).collect())
}

/// Turns on TCP keepalive with the given idle time (Linux and macOS; a
/// no-op elsewhere). Errors are ignored like Redis does: keepalive is a
/// best-effort hint.
pub fn set_keepalive(s: &std::net::TcpStream, secs: u64) {
    if secs == 0 {
        return;
    }
    imp::keepalive(s, secs.min(i32::MAX as u64) as i32);
}

#[cfg(any(target_os = "linux", target_os = "macos"))]
mod imp {
    use std::os::fd::AsRawFd;

    extern "C" {
        fn setsockopt(
            fd: i32,
            level: i32,
            name: i32,
            val: *const std::ffi::c_void,
            len: u32,
        ) -> i32;
    }

    #[cfg(target_os = "linux")]
    const OPTS: (i32, i32, i32, i32, i32, i32) = (1, 9, 6, 4, 5, 6); // SOL_SOCKET SO_KEEPALIVE IPPROTO_TCP TCP_KEEPIDLE TCP_KEEPINTVL TCP_KEEPCNT
    #[cfg(target_os = "macos")]
    const OPTS: (i32, i32, i32, i32, i32, i32) = (0xffff, 8, 6, 0x10, 0x101, 0x102);

    fn set(fd: i32, level: i32, name: i32, v: i32) {
        // SAFETY: `v` lives across the call; the length matches its type.
        unsafe {
            setsockopt(fd, level, name, &v as *const i32 as *const _, 4);
        }
    }

    /// Like Redis's anetKeepAlive: probe after `secs` idle, then every
    /// secs/3, giving up after 3 probes.
    pub fn keepalive(s: &std::net::TcpStream, secs: i32) {
        let fd = s.as_raw_fd();
        let (sol, keep, tcp, idle, intvl, cnt) = OPTS;
        set(fd, sol, keep, 1);
        set(fd, tcp, idle, secs);
        set(fd, tcp, intvl, (secs / 3).max(1));
        set(fd, tcp, cnt, 3);
    }
}

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
mod imp {
    pub fn keepalive(_: &std::net::TcpStream, _: i32) {}
}

/// Raises the soft open-files limit toward `want` (up to the hard limit),
/// like Redis's adjustOpenFilesLimit. Returns the limit now in force, or
/// None where it cannot be read.
pub fn raise_fd_limit(want: u64) -> Option<u64> {
    rlimit::raise(want)
}

#[cfg(any(target_os = "linux", target_os = "macos"))]
mod rlimit {
    #[repr(C)]
    struct RLimit {
        cur: u64,
        max: u64,
    }
    extern "C" {
        fn getrlimit(resource: i32, rl: *mut RLimit) -> i32;
        fn setrlimit(resource: i32, rl: *const RLimit) -> i32;
    }
    #[cfg(target_os = "linux")]
    const NOFILE: i32 = 7;
    #[cfg(target_os = "macos")]
    const NOFILE: i32 = 8;

    pub fn raise(want: u64) -> Option<u64> {
        let mut rl = RLimit { cur: 0, max: 0 };
        // SAFETY: `rl` is a valid, writable struct rlimit.
        if unsafe { getrlimit(NOFILE, &mut rl) } != 0 {
            return None;
        }
        if rl.cur >= want {
            return Some(rl.cur);
        }
        let new = RLimit {
            cur: want.min(rl.max),
            max: rl.max,
        };
        // SAFETY: `new` is a valid struct rlimit for the duration of the call.
        if unsafe { setrlimit(NOFILE, &new) } == 0 {
            Some(new.cur)
        } else {
            Some(rl.cur)
        }
    }
}

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
mod rlimit {
    pub fn raise(_: u64) -> Option<u64> {
        None
    }
}
