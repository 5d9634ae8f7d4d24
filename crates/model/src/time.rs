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

    /// ISO 8601 in UTC to the second: `2026-11-23T09:00:00Z`.
    pub fn iso8601(self) -> String {
        let (y, m, d, hh, mm, ss) = crate::calendar::split_epoch_seconds(self.0.div_euclid(1000));
        format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_iso8601() {
        assert_eq!(Timestamp(0).iso8601(), "1970-01-01T00:00:00Z");
        assert_eq!(
            Timestamp(1_795_425_308_130).iso8601(),
            "2026-11-23T09:15:08Z"
        );
        assert_eq!(Timestamp(951_782_400_000).iso8601(), "2000-02-29T00:00:00Z");
        assert_eq!(Timestamp(-1000).iso8601(), "1969-12-31T23:59:59Z");
    }
}
