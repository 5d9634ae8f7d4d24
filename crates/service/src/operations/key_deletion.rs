//! ScheduleKeyDeletion and CancelKeyDeletion. The deletion itself is the scheduler's (see
//! `lifecycle`): when the waiting period ends the key and everything of it is erased.

use crate::key_state::{StateRule, check};
use crate::resolve::Aliases;
use crate::{Kms, KmsError, RequestContext};
use kmsd_model::{KeyReference, KeyState, Timestamp};

/// AWS's default waiting period.
pub const DEFAULT_PENDING_WINDOW_DAYS: u32 = 30;

#[derive(Debug, Clone)]
pub struct ScheduleKeyDeletionRequest {
    pub key_id: KeyReference,
    /// 7–30 (checked at the edge); 30 when absent.
    pub pending_window_days: Option<u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleKeyDeletionResponse {
    pub key_arn: String,
    pub deletion_date: Timestamp,
    pub pending_window_days: u32,
}

impl Kms {
    pub async fn schedule_key_deletion(
        &self,
        ctx: &RequestContext,
        req: ScheduleKeyDeletionRequest,
    ) -> Result<ScheduleKeyDeletionResponse, KmsError> {
        let key = self.resolve(ctx, &req.key_id, Aliases::Refused).await?;
        let window = req
            .pending_window_days
            .unwrap_or(DEFAULT_PENDING_WINDOW_DAYS);
        let facts = crate::authorize::RequestFacts {
            pending_window_days: Some(window),
            ..Default::default()
        };
        self.authorize(ctx, &key, "kms:ScheduleKeyDeletion", facts)
            .await?;
        check(StateRule::ScheduleDeletion, &key)?;
        let deletion_date = self.clock.now().plus_days(i64::from(window));
        let result = self
            .store
            .update_key_state(
                key.record.key_id,
                KeyState::PendingDeletion,
                Some(deletion_date),
            )
            .await;
        self.keys.invalidate(&key.record.key_id);
        result?;
        Ok(ScheduleKeyDeletionResponse {
            key_arn: key.arn.clone(),
            deletion_date,
            pending_window_days: window,
        })
    }

    /// The key comes back Disabled.
    pub async fn cancel_key_deletion(
        &self,
        ctx: &RequestContext,
        key_id: KeyReference,
    ) -> Result<String, KmsError> {
        let key = self.resolve(ctx, &key_id, Aliases::Refused).await?;
        self.authorize(
            ctx,
            &key,
            "kms:CancelKeyDeletion",
            crate::authorize::RequestFacts::default(),
        )
        .await?;
        if key.record.state != KeyState::PendingDeletion {
            return Err(KmsError::InvalidState(format!(
                "{} is not pending deletion.",
                key.arn
            )));
        }
        let result = self
            .store
            .update_key_state(key.record.key_id, KeyState::Disabled, None)
            .await;
        self.keys.invalidate(&key.record.key_id);
        match result {
            Ok(()) => Ok(key.arn.clone()),
            // The waiting period ended and the scheduler won the race.
            Err(kmsd_store::StoreError::NotFound) => Err(self.key_not_found_arn(&key.arn)),
            Err(e) => Err(e.into()),
        }
    }
}
