use crate::key_state::{StateRule, check};
use crate::resolve::Aliases;
use crate::{Kms, KmsError, RequestContext};
use kmsd_model::KeyReference;

#[derive(Debug, Clone)]
pub struct UpdateKeyDescriptionRequest {
    pub key_id: KeyReference,
    pub description: String,
}

impl Kms {
    pub async fn update_key_description(
        &self,
        ctx: &RequestContext,
        req: UpdateKeyDescriptionRequest,
    ) -> Result<(), KmsError> {
        let key = self.resolve(ctx, &req.key_id, Aliases::Refused).await?;
        self.authorize(
            ctx,
            &key,
            "kms:UpdateKeyDescription",
            crate::authorize::RequestFacts::default(),
        )
        .await?;
        check(StateRule::Modify, &key)?;
        self.store
            .update_key_description(key.record.key_id, &req.description)
            .await?;
        self.keys.invalidate(&key.record.key_id);
        Ok(())
    }
}
