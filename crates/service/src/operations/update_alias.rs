use crate::key_state::{StateRule, check};
use crate::operations::MAX_ALIASES_PER_KEY;
use crate::operations::create_alias::{check_not_reserved, too_many_aliases};
use crate::resolve::Aliases;
use crate::{Kms, KmsError, RequestContext};
use kmsd_model::{AliasName, KeyReference};
use kmsd_store::StoreError;

#[derive(Debug, Clone)]
pub struct UpdateAliasRequest {
    pub alias_name: AliasName,
    pub target_key_id: KeyReference,
}

impl Kms {
    pub async fn update_alias(
        &self,
        ctx: &RequestContext,
        req: UpdateAliasRequest,
    ) -> Result<(), KmsError> {
        check_not_reserved(&req.alias_name)?;
        let account = ctx.principal.account.clone();
        let alias_arn = self.alias_arn(&account, &req.alias_name);
        let not_found = || KmsError::NotFound(format!("Alias {alias_arn} is not found."));
        let current = self
            .store
            .alias(&account, &self.region, &req.alias_name)
            .await?
            .ok_or_else(not_found)?;
        let target = self
            .resolve(ctx, &req.target_key_id, Aliases::Refused)
            .await?;
        self.authorize_by_iam(ctx, "kms:UpdateAlias", &alias_arn)
            .await?;
        self.authorize(
            ctx,
            &target,
            "kms:UpdateAlias",
            crate::authorize::RequestFacts::default(),
        )
        .await?;
        check(StateRule::Modify, &target)?;
        if let Some(old) = self.key_by_id(current.target_key_id).await? {
            self.authorize(
                ctx,
                &old,
                "kms:UpdateAlias",
                crate::authorize::RequestFacts::default(),
            )
            .await?;
            // The new target must be the same kind of key: same spec family and usage.
            let same_kind = old.record.key_usage == target.record.key_usage
                && spec_family(old.record.key_spec) == spec_family(target.record.key_spec);
            if !same_kind {
                return Err(KmsError::validation(format!(
                    "Alias {alias_arn} cannot be changed from a {} {} key to a {} {} key.",
                    old.record.key_spec,
                    old.record.key_usage,
                    target.record.key_spec,
                    target.record.key_usage
                )));
            }
        }
        let now = self.clock.now();
        let result = self
            .store
            .update_alias(
                &account,
                &self.region,
                &req.alias_name,
                target.record.key_id,
                now,
                MAX_ALIASES_PER_KEY,
            )
            .await;
        self.keys.invalidate(&current.target_key_id);
        self.keys.invalidate(&target.record.key_id);
        match result {
            Ok(()) => Ok(()),
            Err(StoreError::NotFound) => Err(not_found()),
            Err(StoreError::LimitExceeded) => Err(too_many_aliases(&target.arn)),
            Err(e) => Err(e.into()),
        }
    }
}

fn spec_family(spec: kmsd_model::KeySpec) -> u8 {
    use kmsd_model::KeySpec::*;
    match spec {
        SymmetricDefault => 0,
        Hmac224 | Hmac256 | Hmac384 | Hmac512 => 1,
        _ => 2,
    }
}
