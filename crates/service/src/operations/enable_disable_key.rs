//! EnableKey and DisableKey: the Enabled ↔ Disabled toggle. Repeating either is no error.

use crate::key_state::{StateRule, check};
use crate::resolve::Aliases;
use crate::{Kms, KmsError, RequestContext};
use kmsd_model::{KeyReference, KeyState};

impl Kms {
    pub async fn enable_key(
        &self,
        ctx: &RequestContext,
        key_id: KeyReference,
    ) -> Result<(), KmsError> {
        self.set_enabled(ctx, key_id, KeyState::Enabled).await
    }

    pub async fn disable_key(
        &self,
        ctx: &RequestContext,
        key_id: KeyReference,
    ) -> Result<(), KmsError> {
        self.set_enabled(ctx, key_id, KeyState::Disabled).await
    }

    async fn set_enabled(
        &self,
        ctx: &RequestContext,
        key_id: KeyReference,
        state: KeyState,
    ) -> Result<(), KmsError> {
        let key = self.resolve(ctx, &key_id, Aliases::Refused).await?;
        let action = if state == KeyState::Enabled {
            "kms:EnableKey"
        } else {
            "kms:DisableKey"
        };
        self.authorize(ctx, &key, action, crate::authorize::RequestFacts::default())
            .await?;
        check(StateRule::EnableDisable, &key)?;
        if key.record.state != state {
            self.store
                .update_key_state(key.record.key_id, state, None)
                .await?;
            self.keys.invalidate(&key.record.key_id);
        }
        Ok(())
    }
}
