use crate::key_state::{StateRule, check};
use crate::operations::check_tag_key_not_reserved;
use crate::resolve::Aliases;
use crate::{Kms, KmsError, RequestContext};
use kmsd_model::KeyReference;
use kmsd_store::StoreError;

#[derive(Debug, Clone)]
pub struct UntagResourceRequest {
    pub key_id: KeyReference,
    pub tag_keys: Vec<String>,
}

impl Kms {
    pub async fn untag_resource(
        &self,
        ctx: &RequestContext,
        req: UntagResourceRequest,
    ) -> Result<(), KmsError> {
        let key = self.resolve(ctx, &req.key_id, Aliases::Refused).await?;
        self.authorize(
            ctx,
            &key,
            "kms:UntagResource",
            crate::authorize::RequestFacts {
                tag_keys: Some(&req.tag_keys),
                ..Default::default()
            },
        )
        .await?;
        check(StateRule::Modify, &key)?;
        for tag_key in &req.tag_keys {
            check_tag_key_not_reserved(tag_key)?;
        }
        let result = self.store.untag_key(key.record.key_id, &req.tag_keys).await;
        self.keys.invalidate(&key.record.key_id);
        match result {
            Ok(()) => Ok(()),
            Err(StoreError::NotFound) => Err(self.key_not_found_arn(&key.arn)),
            Err(e) => Err(e.into()),
        }
    }
}
