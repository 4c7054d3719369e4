//! Rate limiting (`rate-limit <ops/s> <burst>`, `0 0` = off): a token
//! bucket per connection. Each command takes one token; tokens refill at
//! `ops/s` up to `burst` (0 = one second's worth). A command that finds the
//! bucket empty is not run and gets
//! `-ERR rate limit exceeded: more than <ops> commands/s (burst <burst>)`;
//! INFO stats counts them as `rate_limited_commands`. With
//! `rate-limit-exempt-loopback yes`, clients connecting from a loopback
//! address (local admin tools) are never limited.
//!
//! The check sits before authentication in exec.rs, so password guessing
//! is slowed down too. Off, it costs one atomic load per command.
//!
//! `rate-limit-user <ops/s> <burst>` adds a bucket per ACL user, shared by
//! all of that user's connections (and its HTTP requests), checked once
//! the user is known (after AUTH and the ACL check); over it a command gets
//! `-ERR rate limit exceeded: more than <ops> commands/s (burst <burst>) for user '<name>'`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// One connection's bucket.
#[derive(Default)]
pub struct Bucket {
    tokens: f64,
    last: Option<Instant>,
}

impl Bucket {
    /// Takes a token if one is available at `now` under `rate` tokens/s
    /// and capacity `burst`; false = over the limit.
    pub fn take(&mut self, rate: u64, burst: u64, now: Instant) -> bool {
        let cap = if burst == 0 { rate.max(1) } else { burst } as f64;
        let tokens = match self.last {
            // A new bucket starts full.
            None => cap,
            Some(t) => {
                let dt = now.saturating_duration_since(t).as_secs_f64();
                (self.tokens + dt * rate as f64).min(cap)
            }
        };
        self.last = Some(now);
        if tokens >= 1.0 {
            self.tokens = tokens - 1.0;
            true
        } else {
            self.tokens = tokens;
            false
        }
    }
}

/// One bucket per ACL user name (`rate-limit-user`).
#[derive(Default)]
pub struct UserBuckets(Mutex<HashMap<Vec<u8>, Bucket>>);

impl UserBuckets {
    /// Takes a token from `user`'s bucket; false = over the limit.
    pub fn take(&self, user: &[u8], rate: u64, burst: u64, now: Instant) -> bool {
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(b) = m.get_mut(user) {
            return b.take(rate, burst, now);
        }
        if m.len() >= 100_000 {
            // Users are few; this only bounds a pathological churn.
            m.clear();
        }
        m.entry(user.to_vec()).or_default().take(rate, burst, now)
    }
}

/// The error a command over a user's limit gets.
pub fn user_exceeded(rate: u64, burst: u64, user: &[u8]) -> String {
    format!(
        "{} for user '{}'",
        exceeded(rate, burst),
        String::from_utf8_lossy(user)
    )
}

/// The error a command over the limit gets.
pub fn exceeded(rate: u64, burst: u64) -> String {
    let burst = if burst == 0 { rate.max(1) } else { burst };
    format!("ERR rate limit exceeded: more than {rate} commands/s (burst {burst})")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn burst_then_steady_rate() {
        let mut b = Bucket::default();
        let t0 = Instant::now();
        // A full bucket of 5, then empty.
        for _ in 0..5 {
            assert!(b.take(10, 5, t0));
        }
        assert!(!b.take(10, 5, t0));
        // 10/s: one token every 100 ms.
        assert!(!b.take(10, 5, t0 + Duration::from_millis(50)));
        assert!(b.take(10, 5, t0 + Duration::from_millis(101)));
        assert!(!b.take(10, 5, t0 + Duration::from_millis(102)));
        // Refill never exceeds the burst.
        let later = t0 + Duration::from_secs(60);
        let n = (0..100).filter(|_| b.take(10, 5, later)).count();
        assert_eq!(n, 5);
    }

    #[test]
    fn user_buckets_are_shared_per_name() {
        let u = UserBuckets::default();
        let t0 = Instant::now();
        let alice = (0..10).filter(|_| u.take(b"alice", 1, 4, t0)).count();
        let bob = (0..10).filter(|_| u.take(b"bob", 1, 4, t0)).count();
        assert_eq!((alice, bob), (4, 4));
        assert_eq!(
            user_exceeded(1, 4, b"alice"),
            "ERR rate limit exceeded: more than 1 commands/s (burst 4) for user 'alice'"
        );
    }

    #[test]
    fn burst_zero_means_one_second() {
        let mut b = Bucket::default();
        let t0 = Instant::now();
        let n = (0..100).filter(|_| b.take(20, 0, t0)).count();
        assert_eq!(n, 20);
        assert_eq!(
            exceeded(20, 0),
            "ERR rate limit exceeded: more than 20 commands/s (burst 20)"
        );
    }
}
