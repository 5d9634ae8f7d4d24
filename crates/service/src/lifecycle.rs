//! Time-driven work on keys: rotations and deletions that come due, run by one scheduler pass
//! against the one service clock.
//!
//! The due times live in the store (a key's next rotation date, its deletion date), not in
//! this process, so a pass finds work that came due while kmsd was down, and a jump of the dev
//! clock makes work due at once. A pass runs at start, after every dev-clock advance, and
//! periodically. Several processes sharing a store may run passes at the same time: each
//! rotation is a compare-and-set on the key's schedule and each deletion removes only a key
//! that is still due, inside one store transaction, so each piece of work happens once.

use crate::key_cache::CachedKey;
use crate::{Kms, KmsError};
use kmsd_crypto::{BackingKey, EktBinding};
use kmsd_model::{RotationType, Timestamp};
use kmsd_store::{BackingKeyRecord, RotationSchedule};

/// How many due keys one pass takes per query; a pass loops until none are left.
const BATCH: usize = 256;

/// What one scheduler pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DueWork {
    pub rotations: usize,
    pub deletions: usize,
}

/// The next rotation after a due one: the period added until it lies in the future, so a key
/// that missed several periods while kmsd was down rotates once, not once per missed period.
pub(crate) fn following(schedule: RotationSchedule, now: Timestamp) -> RotationSchedule {
    let mut next = schedule.next_rotation_at;
    while next <= now {
        next = next.plus_days(i64::from(schedule.period_days));
    }
    RotationSchedule {
        period_days: schedule.period_days,
        next_rotation_at: next,
    }
}

impl Kms {
    /// Runs every rotation and deletion that is due at the service clock's now.
    pub async fn run_due_jobs(&self) -> Result<DueWork, KmsError> {
        let now = self.clock.now();
        let mut work = DueWork::default();
        loop {
            let due = self.store.due_deletions(now, BATCH).await?;
            if due.is_empty() {
                break;
            }
            for key_id in due {
                if self.store.delete_key_if_due(key_id, now).await? {
                    work.deletions += 1;
                    tracing::info!(key_id = %key_id, "deleted a key whose waiting period ended");
                }
                self.keys.invalidate(&key_id);
                self.usage.forget(&key_id);
            }
        }
        loop {
            let due = self.store.due_rotations(now, BATCH).await?;
            if due.is_empty() {
                break;
            }
            let mut progressed = false;
            for (key_id, schedule) in due {
                let Some(key) = self.key_by_id(key_id).await? else {
                    continue;
                };
                let next = following(schedule, now);
                if self
                    .rotate(&key, RotationType::Automatic, Some(schedule), Some(next))
                    .await?
                {
                    work.rotations += 1;
                }
                // Either this pass rotated or another process did: the schedule moved on.
                progressed = true;
            }
            if !progressed {
                break;
            }
        }
        Ok(work)
    }

    /// Gives `key` new current material. `expected`/`next` are its rotation schedule before
    /// and after; returns false if the schedule had already changed (another process rotated).
    pub(crate) async fn rotate(
        &self,
        key: &CachedKey,
        kind: RotationType,
        expected: Option<RotationSchedule>,
        next: Option<RotationSchedule>,
    ) -> Result<bool, KmsError> {
        let backing_key = BackingKey::generate(&self.rng)?;
        let binding = EktBinding {
            key_arn: &key.arn,
            backing_key_id: backing_key.id(),
        };
        let token = self.keyring.wrap(&binding, &backing_key)?;
        let record = BackingKeyRecord {
            key_id: key.record.key_id,
            backing_key_id: backing_key.id(),
            encrypted_key_token: token.0,
            created_at: self.clock.now(),
            rotation_type: Some(kind),
        };
        let result = self
            .store
            .rotate_key(&record, expected, next, MAX_ON_DEMAND_ROTATIONS)
            .await;
        self.keys.invalidate(&key.record.key_id);
        match result {
            Ok(rotated) => Ok(rotated),
            Err(kmsd_store::StoreError::LimitExceeded) => Err(KmsError::LimitExceeded(format!(
                "{} has reached the limit of {MAX_ON_DEMAND_ROTATIONS} on-demand rotations.",
                key.arn
            ))),
            Err(e) => Err(e.into()),
        }
    }
}

/// How often the background pass runs (rotations, deletions, usage flush).
pub const MAINTENANCE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

/// Runs [`Kms::run_due_jobs`] and [`Kms::flush_key_usage`] every [`MAINTENANCE_INTERVAL`]
/// until the task is aborted. Failures are logged and retried on the next tick.
pub fn spawn_maintenance(kms: std::sync::Arc<Kms>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(MAINTENANCE_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = kms.run_due_jobs().await {
                tracing::error!(error = %e, "scheduled key work failed; retrying next pass");
            }
            let started = std::time::Instant::now();
            match kms.flush_key_usage().await {
                Ok(0) => {}
                Ok(rows) => tracing::debug!(
                    rows,
                    elapsed_ms = started.elapsed().as_millis(),
                    "key usage written"
                ),
                Err(e) => {
                    tracing::error!(error = %e, "writing key usage failed; retrying next pass");
                }
            }
        }
    })
}

/// On-demand rotations allowed per key (AWS's quota).
pub(crate) const MAX_ON_DEMAND_ROTATIONS: usize = 25;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missed_periods_collapse_into_one_rotation() {
        let day = Timestamp::MILLIS_PER_DAY;
        let schedule = RotationSchedule {
            period_days: 90,
            next_rotation_at: Timestamp(100 * day),
        };
        assert_eq!(
            following(schedule, Timestamp(100 * day)).next_rotation_at,
            Timestamp(190 * day)
        );
        assert_eq!(
            following(schedule, Timestamp(400 * day)).next_rotation_at,
            Timestamp(460 * day)
        );
    }
}
