use crate::key_state::{StateRule, check};
use crate::operations::MAX_ALIASES_PER_KEY;
use crate::resolve::Aliases;
use crate::{Kms, KmsError, RequestContext};
use kmsd_model::{AliasName, KeyReference};
use kmsd_store::{AliasRecord, StoreError};

#[derive(Debug, Clone)]
pub struct CreateAliasRequest {
    pub alias_name: AliasName,
    pub target_key_id: KeyReference,
}

impl Kms {
    pub async fn create_alias(
        &self,
        ctx: &RequestContext,
        req: CreateAliasRequest,
    ) -> Result<(), KmsError> {
        check_not_reserved(&req.alias_name)?;
        let key = self
            .resolve(ctx, &req.target_key_id, Aliases::Refused)
            .await?;
        let alias_arn = self.alias_arn(&ctx.principal.account, &req.alias_name);
        self.authorize_by_iam(ctx, "kms:CreateAlias", &alias_arn)
            .await?;
        self.authorize(
            ctx,
            &key,
            "kms:CreateAlias",
            crate::authorize::RequestFacts::default(),
        )
        .await?;
        check(StateRule::Modify, &key)?;
        let now = self.clock.now();
        let account = ctx.principal.account.clone();
        let record = AliasRecord {
            account: account.clone(),
            region: self.region.clone(),
            name: req.alias_name.clone(),
            target_key_id: key.record.key_id,
            created_at: now,
            updated_at: now,
        };
        let result = self.store.create_alias(&record, MAX_ALIASES_PER_KEY).await;
        // The key's alias list is part of its cache entry (`kms:ResourceAliases`).
        self.keys.invalidate(&key.record.key_id);
        match result {
            Ok(()) => Ok(()),
            Err(StoreError::AlreadyExists) => Err(KmsError::AlreadyExists(format!(
                "An alias with the name {} already exists",
                self.alias_arn(&account, &req.alias_name)
            ))),
            Err(StoreError::LimitExceeded) => Err(too_many_aliases(&key.arn)),
            Err(e) => Err(e.into()),
        }
    }
}

/// `alias/aws/…` names belong to AWS managed keys.
pub(crate) fn check_not_reserved(name: &AliasName) -> Result<(), KmsError> {
    if name.is_reserved() {
        return Err(KmsError::InvalidAliasName(
            "Alias must not begin with 'alias/aws/'. That prefix is reserved for AWS managed keys."
                .to_owned(),
        ));
    }
    Ok(())
}

pub(crate) fn too_many_aliases(key_arn: &str) -> KmsError {
    KmsError::LimitExceeded(format!(
        "Key {key_arn} already has the maximum of {MAX_ALIASES_PER_KEY} aliases."
    ))
}
