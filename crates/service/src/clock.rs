//! The one service clock. Every time the service reasons about (creation dates, deletion
//! dates, rotations, credential expiry) comes from here.

use kmsd_model::Timestamp;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Wall-clock time plus an offset that only a development deployment may move forward.
///
/// A development deployment keeps the offset in a file of its data directory, so service time
/// never runs backwards across a restart: a key scheduled for deletion in 7 days stays
/// scheduled 7 service-days out, whatever the restarts. (Tests also write that file while kmsd
/// is stopped, to stand for time that passed while it was down.)
#[derive(Debug, Default)]
pub struct ServiceClock {
    offset_millis: AtomicI64,
    /// Where the dev offset is kept; writes are serialised.
    offset_file: Option<Mutex<PathBuf>>,
}

impl ServiceClock {
    pub fn new() -> ServiceClock {
        ServiceClock::default()
    }

    /// A dev clock whose offset lives in `path` (read now, rewritten on every advance).
    pub fn with_offset_file(path: PathBuf) -> std::io::Result<ServiceClock> {
        let offset = match std::fs::read_to_string(&path) {
            Ok(text) => text.trim().parse::<i64>().map_err(|_| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{} does not hold a millisecond offset", path.display()),
                )
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
            Err(e) => return Err(e),
        };
        Ok(ServiceClock {
            offset_millis: AtomicI64::new(offset),
            offset_file: Some(Mutex::new(path)),
        })
    }

    pub fn now(&self) -> Timestamp {
        Timestamp::from_millis(
            wall_millis().saturating_add(self.offset_millis.load(Ordering::Relaxed)),
        )
    }

    /// Moves service time forward. Only reachable through the dev endpoint.
    pub fn advance(&self, seconds: u64) -> std::io::Result<()> {
        let millis = i64::try_from(seconds)
            .unwrap_or(i64::MAX)
            .saturating_mul(1000);
        let Some(file) = &self.offset_file else {
            self.offset_millis.fetch_add(millis, Ordering::Relaxed);
            return Ok(());
        };
        let path = file
            .lock()
            .map_err(|_| std::io::Error::other("clock offset lock poisoned"))?;
        let offset = self
            .offset_millis
            .load(Ordering::Relaxed)
            .saturating_add(millis);
        let tmp = path.with_extension("tmp");
        {
            let mut f = std::fs::File::create(&tmp)?;
            writeln!(f, "{offset}")?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, &*path)?;
        self.offset_millis.store(offset, Ordering::Relaxed);
        Ok(())
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
        clock.advance(86_400).unwrap();
        assert!(clock.now().millis() - before.millis() >= 86_400_000);
    }

    #[test]
    fn a_dev_offset_survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dev-clock-offset");
        let clock = ServiceClock::with_offset_file(path.clone()).unwrap();
        clock.advance(7 * 86_400).unwrap();
        let again = ServiceClock::with_offset_file(path.clone()).unwrap();
        assert!(again.now().millis() - ServiceClock::new().now().millis() >= 7 * 86_400_000 - 1000);
        std::fs::write(&path, "garbage").unwrap();
        assert!(ServiceClock::with_offset_file(path).is_err());
    }
}
