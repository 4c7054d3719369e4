//! A handle on the TCP socket behind a tiny_http request.
//!
//! tiny_http owns its connections and hands a request (or, after an
//! upgrade, an opaque `Read + Write` box) to us, never the socket. Two
//! things need the socket itself:
//! - a WebSocket thread must wake up to push events while the client is
//!   silent: a read timeout on the socket makes the blocked read return;
//! - a request announcing an absurd body must be cut off: tiny_http would
//!   otherwise drain the body on drop, first allocating a buffer of the
//!   announced size (an allocation failure aborts the process).
//!
//! The connection is the socket whose peer is the request's remote
//! address and whose local port is the HTTP port; [`find`] looks through
//! the process's descriptors for it and returns a duplicate (same socket,
//! own descriptor). Unix only; elsewhere it finds nothing and callers fall
//! back (see ws.rs and mod.rs).

use std::net::{SocketAddr, TcpStream};

/// A duplicate of the descriptor of the TCP connection from `peer` to local
/// port `local_port`, if one is open in this process.
#[cfg(unix)]
pub fn find(peer: SocketAddr, local_port: u16) -> Option<TcpStream> {
    use std::os::fd::{BorrowedFd, RawFd};
    let mut fds: Vec<RawFd> = Vec::new();
    for dir in ["/proc/self/fd", "/dev/fd"] {
        if let Ok(rd) = std::fs::read_dir(dir) {
            fds = rd
                .flatten()
                .filter_map(|e| e.file_name().to_str()?.parse().ok())
                .collect();
            break;
        }
    }
    // Newest connections tend to have the highest numbers.
    fds.sort_unstable_by(|a, b| b.cmp(a));
    for fd in fds {
        // SAFETY: the descriptor was open a moment ago; if another thread
        // closed it meanwhile, duplicating fails (EBADF) or duplicates
        // whatever reused the number, which the address check rejects. The
        // socket we look for cannot close: the caller holds its request.
        let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
        let Ok(owned) = borrowed.try_clone_to_owned() else {
            continue;
        };
        let s = TcpStream::from(owned);
        let matches = s.peer_addr().is_ok_and(|p| p == peer)
            && s.local_addr().is_ok_and(|l| l.port() == local_port);
        if matches {
            return Some(s);
        }
    }
    None
}

#[cfg(not(unix))]
pub fn find(_peer: SocketAddr, _local_port: u16) -> Option<TcpStream> {
    None
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    #[test]
    fn finds_the_accepted_socket() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let (_accepted, peer) = l.accept().unwrap();
        let mut dup = find(peer, port).expect("found");
        dup.write_all(b"hi").unwrap();
        let mut b = [0u8; 2];
        c.read_exact(&mut b).unwrap();
        assert_eq!(&b, b"hi");
        let other: SocketAddr = "127.0.0.1:1".parse().unwrap();
        assert!(find(other, port).is_none());
    }
}
