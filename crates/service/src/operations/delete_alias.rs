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
        let alias_arn = self.alias_arn(account, &alias_name);
        self.authorize_by_iam(ctx, "kms:DeleteAlias", &alias_arn)
            .await?;
        let alias = self.store.alias(account, &self.region, &alias_name).await?;
        if let Some(alias) = &alias
            && let Some(key) = self.key_by_id(alias.target_key_id).await?
        {
            self.authorize(
                ctx,
                &key,
                "kms:DeleteAlias",
                crate::authorize::RequestFacts::default(),
            )
            .await?;
        }
        let result = self
            .store
            .delete_alias(account, &self.region, &alias_name)
            .await;
        if let Some(alias) = &alias {
            self.keys.invalidate(&alias.target_key_id);
        }
        match result {
            Ok(()) => Ok(()),
            Err(StoreError::NotFound) => Err(KmsError::NotFound(format!(
                "Alias {} is not found.",
                self.alias_arn(account, &alias_name)
            ))),
            Err(e) => Err(e.into()),
        }
    }
}
