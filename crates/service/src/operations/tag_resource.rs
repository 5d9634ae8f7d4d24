use crate::key_state::{StateRule, check};
use crate::operations::MAX_TAGS_PER_KEY;
use crate::operations::create_key::check_tags;
use crate::resolve::Aliases;
use crate::{Kms, KmsError, RequestContext};
use kmsd_model::KeyReference;
use kmsd_store::{StoreError, Tag};

#[derive(Debug, Clone)]
pub struct TagResourceRequest {
    pub key_id: KeyReference,
    pub tags: Vec<Tag>,
}

impl Kms {
    pub async fn tag_resource(
        &self,
        ctx: &RequestContext,
        req: TagResourceRequest,
    ) -> Result<(), KmsError> {
        let key = self.resolve(ctx, &req.key_id, Aliases::Refused).await?;
        self.authorize(
            ctx,
            &key,
            "kms:TagResource",
            crate::authorize::RequestFacts {
                request_tags: Some(&req.tags),
                ..Default::default()
            },
        )
        .await?;
        check(StateRule::Modify, &key)?;
        check_tags(&req.tags)?;
        let result = self
            .store
            .tag_key(key.record.key_id, &req.tags, MAX_TAGS_PER_KEY)
            .await;
        // Tags are part of the key's cache entry (`aws:ResourceTag/…`).
        self.keys.invalidate(&key.record.key_id);
        match result {
            Ok(()) => Ok(()),
            Err(StoreError::LimitExceeded) => Err(KmsError::LimitExceeded(format!(
                "The request would give {} more than {MAX_TAGS_PER_KEY} tags.",
                key.arn
            ))),
            Err(StoreError::NotFound) => Err(self.key_not_found_arn(&key.arn)),
            Err(e) => Err(e.into()),
        }
    }
}
