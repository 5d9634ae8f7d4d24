//! Points in service time.

/// Milliseconds since the Unix epoch, UTC. All service time comes from one clock (see the
/// service crate); this type only carries its readings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub const MILLIS_PER_DAY: i64 = 86_400_000;

    pub fn from_millis(ms: i64) -> Timestamp {
        Timestamp(ms)
    }

    pub fn millis(self) -> i64 {
        self.0
    }

    /// Seconds since the epoch as a float, the way the JSON protocol sends timestamps.
    pub fn epoch_seconds(self) -> f64 {
        self.0 as f64 / 1000.0
    }

    pub fn plus_days(self, days: i64) -> Timestamp {
        Timestamp(
            self.0
                .saturating_add(days.saturating_mul(Self::MILLIS_PER_DAY)),
        )
    }

    pub fn plus_seconds(self, seconds: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(seconds.saturating_mul(1000)))
    }
}
