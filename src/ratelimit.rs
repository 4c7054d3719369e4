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
