//! EnableKeyRotation, DisableKeyRotation and GetKeyRotationStatus: a key's automatic-rotation
//! schedule. Only symmetric keys with AWS_KMS material rotate.

use crate::key_cache::CachedKey;
use crate::key_state::{StateRule, check};
use crate::resolve::Aliases;
use crate::{Kms, KmsError, RequestContext};
use kmsd_model::{KeyReference, KeySpec, KeyState, Origin, Timestamp};
use kmsd_store::RotationSchedule;

/// AWS's default rotation period.
pub const DEFAULT_ROTATION_PERIOD_DAYS: u32 = 365;

#[derive(Debug, Clone)]
pub struct EnableKeyRotationRequest {
    pub key_id: KeyReference,
    /// 90–2560 (checked at the edge); 365 when absent.
    pub rotation_period_days: Option<u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct KeyRotationStatus {
    pub key_arn: String,
    pub enabled: bool,
    pub rotation_period_days: Option<u32>,
    pub next_rotation_date: Option<Timestamp>,
}

/// Rotation is for symmetric encryption keys whose material KMS made.
pub(crate) fn check_rotatable(key: &CachedKey) -> Result<(), KmsError> {
    if key.record.key_spec != KeySpec::SymmetricDefault {
        return Err(KmsError::UnsupportedOperation(format!(
            "{} key spec {} is not valid for this operation.",
            key.arn, key.record.key_spec
        )));
    }
    if key.record.origin != Origin::AwsKms {
        return Err(KmsError::UnsupportedOperation(format!(
            "{} origin is {} which is not valid for this operation.",
            key.arn, key.record.origin
        )));
    }
    Ok(())
}

impl Kms {
    pub async fn enable_key_rotation(
        &self,
        ctx: &RequestContext,
        req: EnableKeyRotationRequest,
    ) -> Result<(), KmsError> {
        let key = self.resolve(ctx, &req.key_id, Aliases::Refused).await?;
        let period = req
            .rotation_period_days
            .unwrap_or(DEFAULT_ROTATION_PERIOD_DAYS);
        let facts = crate::authorize::RequestFacts {
            rotation_period_days: Some(period),
            ..Default::default()
        };
        self.authorize(ctx, &key, "kms:EnableKeyRotation", facts)
            .await?;
        check_rotatable(&key)?;
        check(StateRule::Rotation, &key)?;
        let now = self.clock.now();
        let next_rotation_at = match key.record.rotation {
            // A new period on a running schedule counts from the current material's birth; if
            // that is past, the rotation is due now.
            Some(_) => {
                let born = self
                    .store
                    .backing_keys(key.record.key_id)
                    .await?
                    .iter()
                    .find(|b| b.backing_key_id == key.record.current_backing_key)
                    .map_or(now, |b| b.created_at);
                born.plus_days(i64::from(period)).max(now)
            }
            None => now.plus_days(i64::from(period)),
        };
        let schedule = RotationSchedule {
            period_days: period,
            next_rotation_at,
        };
        let result = self
            .store
            .set_rotation(key.record.key_id, Some(schedule))
            .await;
        self.keys.invalidate(&key.record.key_id);
        result?;
        if next_rotation_at <= now {
            self.run_due_jobs().await?;
        }
        Ok(())
    }

    pub async fn disable_key_rotation(
        &self,
        ctx: &RequestContext,
        key_id: KeyReference,
    ) -> Result<(), KmsError> {
        let key = self.resolve(ctx, &key_id, Aliases::Refused).await?;
        self.authorize(
            ctx,
            &key,
            "kms:DisableKeyRotation",
            crate::authorize::RequestFacts::default(),
        )
        .await?;
        check_rotatable(&key)?;
        check(StateRule::Rotation, &key)?;
        if key.record.rotation.is_some() {
            let result = self.store.set_rotation(key.record.key_id, None).await;
            self.keys.invalidate(&key.record.key_id);
            result?;
        }
        Ok(())
    }

    pub async fn get_key_rotation_status(
        &self,
        ctx: &RequestContext,
        key_id: KeyReference,
    ) -> Result<KeyRotationStatus, KmsError> {
        let key = self.resolve(ctx, &key_id, Aliases::Refused).await?;
        self.authorize(
            ctx,
            &key,
            "kms:GetKeyRotationStatus",
            crate::authorize::RequestFacts::default(),
        )
        .await?;
        check_rotatable(&key)?;
        match key.record.state {
            KeyState::PendingImport | KeyState::Unavailable => {
                return Err(KmsError::UnsupportedOperation(format!(
                    "{} is {} which is not valid for this operation.",
                    key.arn,
                    key.record.state.as_str()
                )));
            }
            _ => {}
        }
        // A key pending deletion reports rotation off, as AWS does; its schedule is kept and
        // comes back if the deletion is canceled.
        let schedule = match key.record.state {
            KeyState::PendingDeletion | KeyState::PendingReplicaDeletion => None,
            _ => key.record.rotation,
        };
        Ok(KeyRotationStatus {
            key_arn: key.arn.clone(),
            enabled: schedule.is_some(),
            rotation_period_days: schedule.map(|s| s.period_days),
            next_rotation_date: schedule.map(|s| s.next_rotation_at),
        })
    }
}
