use crate::{Kms, KmsError, RequestContext};
use kmsd_model::AliasName;
use kmsd_store::StoreError;

impl Kms {
    pub async fn delete_alias(
        &self,
        ctx: &RequestContext,
        alias_name: AliasName,
    ) -> Result<(), KmsError> {
        let account = &ctx.principal.account;
        match self
            .store
            .delete_alias(account, &self.region, &alias_name)
            .await
        {
            Ok(()) => Ok(()),
            Err(StoreError::NotFound) => Err(KmsError::NotFound(format!(
                "Alias {} is not found.",
                self.alias_arn(account, &alias_name)
            ))),
            Err(e) => Err(e.into()),
        }
    }
}
