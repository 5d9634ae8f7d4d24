use crate::grants::{grant_covers, grantee_names, open_token};
use crate::{Kms, KmsError, RequestContext};
use kmsd_model::{GrantId, GrantOperation, KeyReference};
use kmsd_store::StoreError;

/// RetireGrant names its grant either by token or by key ARN + grant id.
#[derive(Debug, Clone)]
pub struct RetireGrantRequest {
    pub grant_token: Option<String>,
    pub key_id: Option<KeyReference>,
    pub grant_id: Option<GrantId>,
    pub dry_run: bool,
}

impl Kms {
    pub async fn retire_grant(
        &self,
        ctx: &RequestContext,
        req: RetireGrantRequest,
    ) -> Result<(), KmsError> {
        let (key, grant_id) = match (&req.grant_token, &req.key_id, req.grant_id) {
            (Some(token), _, _) => {
                let (key_id, grant_id) = open_token(&*self.keyring, token)?;
                let key = self.key_by_id(key_id).await?.ok_or_else(|| {
                    KmsError::InvalidGrantToken("Invalid grant token.".to_owned())
                })?;
                (key, grant_id)
            }
            (None, Some(KeyReference::Arn(arn)), Some(grant_id)) => {
                let reference = KeyReference::Arn(arn.clone());
                let key = self
                    .resolve(ctx, &reference, crate::resolve::Aliases::Refused)
                    .await?;
                (key, grant_id)
            }
            (None, Some(_), Some(_)) => {
                return Err(KmsError::InvalidArn(
                    "RetireGrant takes the key ARN, not a key ID or alias, with a grant ID."
                        .to_owned(),
                ));
            }
            _ => {
                return Err(KmsError::validation(
                    "Either GrantToken, or both KeyId and GrantId, must be specified.",
                ));
            }
        };
        let Some(grant) = key.grants.by_id(grant_id).cloned() else {
            return Err(KmsError::NotFound(format!(
                "Grant ID {grant_id} not found for key {}",
                key.arn
            )));
        };
        // Who may retire: the retiring principal, a grantee whose grant allows RetireGrant,
        // and the account that created the grant or owns the key.
        let caller = &ctx.principal;
        let (names, _) = grantee_names(caller);
        let is_retiring = grant
            .retiring_principal
            .as_deref()
            .is_some_and(|r| names.iter().any(|n| n == r));
        let is_grantee = names.iter().any(|n| *n == grant.grantee_principal)
            && grant_covers(&grant, GrantOperation::RetireGrant, None, None);
        let is_account = caller.is_root()
            && (caller.account == grant.issuing_account || caller.account == key.record.account);
        if !(is_retiring || is_grantee || is_account) {
            return Err(KmsError::AccessDenied(format!(
                "User: {} is not authorized to perform: kms:RetireGrant on resource: {} because it is neither the grant's retiring principal, nor its grantee with RetireGrant, nor the root of its account",
                caller.arn(),
                key.arn
            )));
        }
        if req.dry_run {
            return Err(KmsError::DryRunOperation);
        }
        self.delete_grant(&key.arn, key.record.key_id, grant_id)
            .await
    }

    /// Removes a grant and puts the change in force at once.
    pub(crate) async fn delete_grant(
        &self,
        key_arn: &str,
        key_id: kmsd_model::KeyId,
        grant_id: GrantId,
    ) -> Result<(), KmsError> {
        let result = self.store.delete_grant(key_id, grant_id).await;
        self.keys.invalidate(&key_id);
        match result {
            Ok(()) => Ok(()),
            Err(StoreError::NotFound) => Err(KmsError::NotFound(format!(
                "Grant ID {grant_id} not found for key {key_arn}"
            ))),
            Err(e) => Err(e.into()),
        }
    }
}
