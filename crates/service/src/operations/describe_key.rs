use crate::resolve::Aliases;
use crate::{KeyMetadata, Kms, KmsError, RequestContext};
use kmsd_model::KeyReference;

#[derive(Debug, Clone)]
pub struct DescribeKeyRequest {
    pub key_id: KeyReference,
}

impl Kms {
    pub async fn describe_key(
        &self,
        ctx: &RequestContext,
        req: DescribeKeyRequest,
    ) -> Result<KeyMetadata, KmsError> {
        let key = self.resolve(ctx, &req.key_id, Aliases::Allowed).await?;
        let alias = crate::authorize::alias_of(&req.key_id);
        let facts = crate::authorize::RequestFacts {
            request_alias: alias.as_deref(),
            ..Default::default()
        };
        self.authorize(ctx, &key, "kms:DescribeKey", facts).await?;
        Ok(KeyMetadata::of(&key))
    }
}
