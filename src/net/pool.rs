//! A bounded pool of worker threads. A connection is handed to an idle
//! worker; with none idle a new one is spawned (the listener has already
//! checked `maxclients`, so the pool never exceeds it by more than the
//! workers that are finishing up). A worker serves one connection until it
//! closes, then waits for the next; idle workers above `MIN_IDLE` exit after
//! `IDLE_EXIT` so a burst of connections does not keep threads forever.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

const MIN_IDLE: usize = 4;
const IDLE_EXIT: Duration = Duration::from_secs(30);
/// Stack per worker: commands never recurse deeply.
const STACK: usize = 512 * 1024;

type Job<T> = Box<dyn Fn(T) + Send + Sync>;

struct State<T> {
    queue: VecDeque<T>,
    idle: usize,
    total: usize,
}

struct Inner<T> {
    state: Mutex<State<T>>,
    cv: Condvar,
    job: Job<T>,
}

/// A pool running `job` on each submitted connection `T`.
pub struct Pool<T> {
    inner: Arc<Inner<T>>,
}

impl<T> Clone for Pool<T> {
    fn clone(&self) -> Self {
        Pool {
            inner: self.inner.clone(),
        }
    }
}

impl<T: Send + 'static> Pool<T> {
    pub fn new(job: impl Fn(T) + Send + Sync + 'static) -> Pool<T> {
        Pool {
            inner: Arc::new(Inner {
                state: Mutex::new(State {
                    queue: VecDeque::new(),
                    idle: 0,
                    total: 0,
                }),
                cv: Condvar::new(),
                job: Box::new(job),
            }),
        }
    }

    /// Hands a connection to a worker. Err only if no thread could be
    /// spawned (the caller closes the connection).
    pub fn submit(&self, s: T) -> std::io::Result<()> {
        let mut st = self.inner.state.lock().unwrap_or_else(|e| e.into_inner());
        if st.idle > st.queue.len() {
            st.queue.push_back(s);
            drop(st);
            self.inner.cv.notify_one();
            return Ok(());
        }
        st.total += 1;
        drop(st);
        // The new worker starts with this connection, so a failed spawn
        // drops exactly this one (the caller gives its slot back).
        let inner = self.inner.clone();
        let spawned = std::thread::Builder::new()
            .name("worker".into())
            .stack_size(STACK)
            .spawn(move || worker(inner, Some(s)));
        if let Err(e) = spawned {
            self.inner
                .state
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .total -= 1;
            return Err(e);
        }
        Ok(())
    }

    /// (workers alive, workers idle).
    pub fn size(&self) -> (usize, usize) {
        let st = self.inner.state.lock().unwrap_or_else(|e| e.into_inner());
        (st.total, st.idle)
    }
}

fn worker<T>(inner: Arc<Inner<T>>, first: Option<T>) {
    if let Some(s) = first {
        (inner.job)(s);
    }
    loop {
        let stream = {
            let mut st = inner.state.lock().unwrap_or_else(|e| e.into_inner());
            loop {
                if let Some(s) = st.queue.pop_front() {
                    break s;
                }
                st.idle += 1;
                let (g, to) = inner
                    .cv
                    .wait_timeout(st, IDLE_EXIT)
                    .unwrap_or_else(|e| e.into_inner());
                st = g;
                st.idle -= 1;
                if to.timed_out() && st.queue.is_empty() && st.idle >= MIN_IDLE {
                    st.total -= 1;
                    return;
                }
            }
        };
        (inner.job)(stream);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};

    #[test]
    fn workers_are_reused() {
        let pool = Pool::new(|mut s: TcpStream| {
            let mut b = [0u8; 1];
            while let Ok(1) = s.read(&mut b) {
                let _ = s.write_all(&b);
            }
        });
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        for _ in 0..5 {
            let mut c = TcpStream::connect(addr).unwrap();
            let (s, _) = l.accept().unwrap();
            pool.submit(s).unwrap();
            c.write_all(b"x").unwrap();
            let mut b = [0u8; 1];
            c.read_exact(&mut b).unwrap();
            assert_eq!(&b, b"x");
            drop(c);
            // Give the worker a moment to go idle again.
            for _ in 0..100 {
                if pool.size().1 == pool.size().0 {
                    break;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        assert_eq!(
            pool.size().0,
            1,
            "one worker served every sequential connection"
        );
    }
}
