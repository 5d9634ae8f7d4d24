//! Per-account request-rate limits, as AWS's KMS quotas: over the rate, a request is answered
//! `ThrottlingException` at once instead of queueing, so an overloaded kmsd stays responsive
//! and its memory bounded.
//!
//! One token bucket per account: `rate` tokens a second, holding at most one second's worth
//! (AWS allows short bursts the same way).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// AWS's largest per-account quota for symmetric cryptographic operations (requests/s).
pub const DEFAULT_REQUESTS_PER_SECOND: u32 = 100_000;

struct Bucket {
    tokens: f64,
    last: Instant,
}

/// The limiter of one deployment.
pub struct RateLimiter {
    rate: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    /// `requests_per_second` per account; 0 turns limiting off.
    pub fn new(requests_per_second: u32) -> RateLimiter {
        RateLimiter {
            rate: f64::from(requests_per_second),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request's token from `account`'s bucket; false when it is empty.
    pub fn admit(&self, account: &str) -> bool {
        self.admit_at(account, Instant::now())
    }

    fn admit_at(&self, account: &str, now: Instant) -> bool {
        if self.rate <= 0.0 {
            return true;
        }
        let Ok(mut buckets) = self.buckets.lock() else {
            return true;
        };
        let bucket = match buckets.get_mut(account) {
            Some(b) => b,
            None => buckets.entry(account.to_owned()).or_insert(Bucket {
                tokens: self.rate,
                last: now,
            }),
        };
        let elapsed = now.saturating_duration_since(bucket.last).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.rate).min(self.rate);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_burst_of_one_second_then_the_rate() {
        let limiter = RateLimiter::new(10);
        let t0 = Instant::now();
        let admitted = (0..25).filter(|_| limiter.admit_at("a", t0)).count();
        assert_eq!(admitted, 10);
        // Another account has its own bucket.
        assert!(limiter.admit_at("b", t0));
        // Half a second later, five more.
        let t1 = t0 + Duration::from_millis(500);
        let admitted = (0..25).filter(|_| limiter.admit_at("a", t1)).count();
        assert_eq!(admitted, 5);
    }

    #[test]
    fn zero_means_unlimited() {
        let limiter = RateLimiter::new(0);
        assert!((0..10_000).all(|_| limiter.admit("a")));
    }
}
