//! The one service clock. Every time the service reasons about (creation dates, deletion
//! dates, rotations, credential expiry) comes from here.

use kmsd_model::Timestamp;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Wall-clock time plus an offset that only a development deployment may move forward.
#[derive(Debug, Default)]
pub struct ServiceClock {
    offset_millis: AtomicI64,
}

impl ServiceClock {
    pub fn new() -> ServiceClock {
        ServiceClock::default()
    }

    pub fn now(&self) -> Timestamp {
        Timestamp::from_millis(
            wall_millis().saturating_add(self.offset_millis.load(Ordering::Relaxed)),
        )
    }

    /// Moves service time forward. Only reachable through the dev endpoint.
    pub fn advance(&self, seconds: u64) {
        let millis = i64::try_from(seconds)
            .unwrap_or(i64::MAX)
            .saturating_mul(1000);
        self.offset_millis.fetch_add(millis, Ordering::Relaxed);
    }
}

fn wall_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_now_forward() {
        let clock = ServiceClock::new();
        let before = clock.now();
        clock.advance(86_400);
        assert!(clock.now().millis() - before.millis() >= 86_400_000);
    }
}
