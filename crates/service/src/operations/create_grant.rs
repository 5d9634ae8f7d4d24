use crate::grants::{RequestedGrant, check_principal_arn, operation_fits_key, seal_token};
use crate::key_state::{StateRule, check};
use crate::resolve::Aliases;
use crate::{Kms, KmsError, RequestContext};
use kmsd_model::{
    GrantConstraints, GrantId, GrantOperation, KeyReference, KeySpec, normalize_operations,
};
use kmsd_store::{GrantRecord, StoreError};

/// The most grants one key may carry (AWS's quota).
pub(crate) const MAX_GRANTS_PER_KEY: usize = 50_000;
/// The most encryption-context pairs in one grant constraint.
const MAX_CONSTRAINT_PAIRS: usize = 8;
/// The longest encryption-context value in a grant constraint.
const MAX_CONSTRAINT_VALUE_CHARS: usize = 384;

#[derive(Debug, Clone)]
pub struct CreateGrantRequest {
    pub key_id: KeyReference,
    pub grantee_principal: String,
    pub retiring_principal: Option<String>,
    pub operations: Vec<GrantOperation>,
    pub constraints: GrantConstraints,
    pub name: Option<String>,
    pub dry_run: bool,
}

#[derive(Debug, Clone)]
pub struct CreateGrantResponse {
    pub grant_token: String,
    pub grant_id: GrantId,
}

impl Kms {
    pub async fn create_grant(
        &self,
        ctx: &RequestContext,
        req: CreateGrantRequest,
    ) -> Result<CreateGrantResponse, KmsError> {
        let key = self.resolve(ctx, &req.key_id, Aliases::Refused).await?;
        check_principal_arn(&req.grantee_principal)?;
        if let Some(retiring) = &req.retiring_principal {
            check_principal_arn(retiring)?;
        }
        let operations = normalize_operations(&req.operations);
        check_constraints(&req.constraints, &operations)?;
        let facts = crate::authorize::RequestFacts {
            grant: Some(RequestedGrant {
                operations: &operations,
                constraints: &req.constraints,
                grantee: &req.grantee_principal,
                retiring: req.retiring_principal.as_deref(),
            }),
            ..Default::default()
        };
        self.authorize(ctx, &key, "kms:CreateGrant", facts).await?;
        check(StateRule::Grant, &key)?;
        let symmetric = key.record.key_spec == KeySpec::SymmetricDefault;
        let unfit: Vec<&str> = operations
            .iter()
            .filter(|op| !operation_fits_key(**op, key.record.key_usage, symmetric))
            .map(|op| op.as_str())
            .collect();
        if !unfit.is_empty() {
            return Err(KmsError::validation(format!(
                "Grant operations {} are not valid for key {} with key usage {} and key spec {}.",
                unfit.join(", "),
                key.arn,
                key.record.key_usage,
                key.record.key_spec
            )));
        }
        if req.dry_run {
            return Err(KmsError::DryRunOperation);
        }
        // A named grant is created once: a retry with the same name and the same grant gets
        // the same grant id (and a new, interchangeable token).
        if let Some(name) = &req.name
            && let Some(existing) = key.grants.all().iter().find(|g| {
                g.name.as_deref() == Some(name.as_str())
                    && g.grantee_principal == req.grantee_principal
                    && g.retiring_principal == req.retiring_principal
                    && g.operations == operations
                    && g.constraints == req.constraints
            })
        {
            return Ok(CreateGrantResponse {
                grant_token: seal_token(&*self.keyring, key.record.key_id, existing.grant_id)?,
                grant_id: existing.grant_id,
            });
        }
        let grant = GrantRecord {
            grant_id: GrantId(kmsd_crypto::random_array(&self.rng)?),
            key_id: key.record.key_id,
            name: req.name,
            grantee_principal: req.grantee_principal,
            retiring_principal: req.retiring_principal,
            issuing_account: ctx.principal.account.clone(),
            operations,
            constraints: req.constraints,
            created_at: self.clock.now(),
        };
        let result = self.store.create_grant(&grant, MAX_GRANTS_PER_KEY).await;
        // The grant is in force on the next request: the key's entry (with its grants) is
        // reloaded.
        self.keys.invalidate(&key.record.key_id);
        match result {
            Ok(()) => {}
            Err(StoreError::LimitExceeded) => {
                return Err(KmsError::LimitExceeded(format!(
                    "The request would exceed the limit of {MAX_GRANTS_PER_KEY} grants for key {}.",
                    key.arn
                )));
            }
            Err(StoreError::NotFound) => return Err(self.key_not_found_arn(&key.arn)),
            Err(e) => return Err(e.into()),
        }
        Ok(CreateGrantResponse {
            grant_token: seal_token(&*self.keyring, grant.key_id, grant.grant_id)?,
            grant_id: grant.grant_id,
        })
    }
}

/// AWS's limits on constraints, and no constraints on grants for operations that take no
/// encryption context.
fn check_constraints(
    constraints: &GrantConstraints,
    operations: &[GrantOperation],
) -> Result<(), KmsError> {
    for (member, context) in [
        (
            "constraints.encryptionContextEquals",
            &constraints.encryption_context_equals,
        ),
        (
            "constraints.encryptionContextSubset",
            &constraints.encryption_context_subset,
        ),
    ] {
        let Some(context) = context else { continue };
        if context.pairs().len() > MAX_CONSTRAINT_PAIRS {
            return Err(KmsError::validation(format!(
                "1 validation error detected: Value at '{member}' failed to satisfy constraint: Map must have at most {MAX_CONSTRAINT_PAIRS} entries"
            )));
        }
        if context
            .pairs()
            .values()
            .any(|v| v.chars().count() > MAX_CONSTRAINT_VALUE_CHARS)
        {
            return Err(KmsError::validation(format!(
                "1 validation error detected: Value at '{member}' failed to satisfy constraint: Map value must have length less than or equal to {MAX_CONSTRAINT_VALUE_CHARS}"
            )));
        }
    }
    if !constraints.is_empty() {
        let without_context: Vec<&str> = operations
            .iter()
            .filter(|op| {
                !op.takes_encryption_context()
                    && !matches!(
                        op,
                        GrantOperation::DescribeKey | GrantOperation::RetireGrant
                    )
            })
            .map(|op| op.as_str())
            .collect();
        if !without_context.is_empty() {
            return Err(KmsError::validation(format!(
                "Grant constraints are not supported for operations that do not take an encryption context: {}.",
                without_context.join(", ")
            )));
        }
    }
    Ok(())
}
