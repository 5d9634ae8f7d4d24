//! Per-account request-rate limits, as AWS's KMS quotas: over the rate, a request is answered
//! `ThrottlingException` at once instead of queueing, so an overloaded kmsd stays responsive
//! and its memory bounded.
//!
//! One bucket per account, held as GCRA's "theoretical arrival time" in one atomic: a request
//! is admitted when the account is not more than one second (its burst) ahead of its rate, and
//! admitting it is one compare-and-swap, so requests never wait on a lock here.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Instant;

/// AWS's largest per-account quota for symmetric cryptographic operations (requests/s).
pub const DEFAULT_REQUESTS_PER_SECOND: u32 = 100_000;

const NANOS_PER_SECOND: u64 = 1_000_000_000;

/// The limiter of one deployment.
pub struct RateLimiter {
    /// Nanoseconds of budget one request costs; 0: no limit.
    interval: u64,
    /// How far ahead of now an account may run (one second: the burst).
    burst: u64,
    started: Instant,
    /// Account → its theoretical arrival time, in nanoseconds since `started`.
    accounts: RwLock<HashMap<String, Arc<AtomicU64>>>,
}

impl RateLimiter {
    /// `requests_per_second` per account; 0 turns limiting off.
    pub fn new(requests_per_second: u32) -> RateLimiter {
        RateLimiter {
            interval: NANOS_PER_SECOND
                .checked_div(u64::from(requests_per_second))
                .unwrap_or(0),
            burst: NANOS_PER_SECOND,
            started: Instant::now(),
            accounts: RwLock::new(HashMap::new()),
        }
    }

    /// Admits one request of `account`, or says it is over its rate.
    pub fn admit(&self, account: &str) -> bool {
        self.admit_at(account, Instant::now())
    }

    fn admit_at(&self, account: &str, now: Instant) -> bool {
        if self.interval == 0 {
            return true;
        }
        let tat = match self
            .accounts
            .read()
            .ok()
            .and_then(|a| a.get(account).cloned())
        {
            Some(tat) => tat,
            None => match self.accounts.write() {
                Ok(mut accounts) => accounts.entry(account.to_owned()).or_default().clone(),
                Err(_) => return true,
            },
        };
        let now = u64::try_from(now.saturating_duration_since(self.started).as_nanos())
            .unwrap_or(u64::MAX);
        let mut current = tat.load(Ordering::Relaxed);
        loop {
            let next = current.max(now).saturating_add(self.interval);
            if next.saturating_sub(now) > self.burst {
                return false;
            }
            match tat.compare_exchange_weak(current, next, Ordering::AcqRel, Ordering::Relaxed) {
                Ok(_) => return true,
                Err(seen) => current = seen,
            }
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
