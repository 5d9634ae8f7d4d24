use crate::key_state::{StateRule, check};
use crate::operations::key_rotation::check_rotatable;
use crate::resolve::Aliases;
use crate::{Kms, KmsError, RequestContext};
use kmsd_model::{KeyReference, RotationType};

/// No on-demand rotation while an automatic one is due this soon (AWS's rule).
const CONFLICT_WINDOW_SECONDS: i64 = 20 * 60;

impl Kms {
    /// Rotates at once (AWS starts a background rotation; here it has finished when the call
    /// returns, so `OnDemandRotationStartDate` never shows one in progress).
    pub async fn rotate_key_on_demand(
        &self,
        ctx: &RequestContext,
        key_id: KeyReference,
    ) -> Result<String, KmsError> {
        let key = self.resolve(ctx, &key_id, Aliases::Refused).await?;
        self.authorize(
            ctx,
            &key,
            "kms:RotateKeyOnDemand",
            crate::authorize::RequestFacts::default(),
        )
        .await?;
        check_rotatable(&key)?;
        check(StateRule::Rotation, &key)?;
        let now = self.clock.now();
        if let Some(schedule) = key.record.rotation
            && schedule.next_rotation_at <= now.plus_seconds(CONFLICT_WINDOW_SECONDS)
        {
            return Err(KmsError::Conflict(format!(
                "{} has an automatic rotation due within 20 minutes; try again later.",
                key.arn
            )));
        }
        // The schedule is unchanged by an on-demand rotation; it must not change under us.
        let rotated = self
            .rotate(
                &key,
                RotationType::OnDemand,
                key.record.rotation,
                key.record.rotation,
            )
            .await?;
        if !rotated {
            return Err(KmsError::Conflict(format!(
                "{} changed while it was being rotated; try again.",
                key.arn
            )));
        }
        Ok(key.record.key_id.to_string())
    }
}
