use crate::resolve::Aliases;
use crate::{Kms, KmsError, RequestContext};
use kmsd_model::{GrantId, KeyReference};

#[derive(Debug, Clone)]
pub struct RevokeGrantRequest {
    pub key_id: KeyReference,
    pub grant_id: GrantId,
    pub dry_run: bool,
}

impl Kms {
    pub async fn revoke_grant(
        &self,
        ctx: &RequestContext,
        req: RevokeGrantRequest,
    ) -> Result<(), KmsError> {
        let key = self.resolve(ctx, &req.key_id, Aliases::Refused).await?;
        self.authorize(
            ctx,
            &key,
            "kms:RevokeGrant",
            crate::authorize::RequestFacts::default(),
        )
        .await?;
        if key.grants.by_id(req.grant_id).is_none() {
            return Err(KmsError::NotFound(format!(
                "Grant ID {} not found for key {}",
                req.grant_id, key.arn
            )));
        }
        if req.dry_run {
            return Err(KmsError::DryRunOperation);
        }
        self.delete_grant(&key.arn, key.record.key_id, req.grant_id)
            .await
    }
}
