//! GetKeyPolicy, PutKeyPolicy and ListKeyPolicies. KMS keys have exactly one policy, named
//! `default`. Policies are stored and validated; evaluation arrives with the policy crate.

use crate::operations::Page;
use crate::policy_document::{self, DEFAULT_POLICY_NAME};
use crate::resolve::Aliases;
use crate::{Kms, KmsError, RequestContext};
use kmsd_model::KeyReference;

#[derive(Debug, Clone)]
pub struct GetKeyPolicyRequest {
    pub key_id: KeyReference,
    pub policy_name: Option<String>,
}

#[derive(Debug, Clone)]
pub struct PutKeyPolicyRequest {
    pub key_id: KeyReference,
    pub policy_name: Option<String>,
    pub policy: String,
    pub bypass_policy_lockout_safety_check: bool,
}

#[derive(Debug, Clone)]
pub struct ListKeyPoliciesRequest {
    pub key_id: KeyReference,
    pub limit: Option<usize>,
    pub marker: Option<String>,
}

fn check_policy_name(name: Option<&str>) -> Result<(), KmsError> {
    match name {
        None | Some(DEFAULT_POLICY_NAME) => Ok(()),
        Some(_) => Err(KmsError::NotFound("No such policy exists".to_owned())),
    }
}

impl Kms {
    /// Returns the policy document and its name.
    pub async fn get_key_policy(
        &self,
        ctx: &RequestContext,
        req: GetKeyPolicyRequest,
    ) -> Result<(String, &'static str), KmsError> {
        let key = self.resolve(ctx, &req.key_id, Aliases::Refused).await?;
        self.authorize(
            ctx,
            &key,
            "kms:GetKeyPolicy",
            crate::authorize::RequestFacts::default(),
        )
        .await?;
        check_policy_name(req.policy_name.as_deref())?;
        Ok((key.record.policy.clone(), DEFAULT_POLICY_NAME))
    }

    pub async fn put_key_policy(
        &self,
        ctx: &RequestContext,
        req: PutKeyPolicyRequest,
    ) -> Result<(), KmsError> {
        let key = self.resolve(ctx, &req.key_id, Aliases::Refused).await?;
        self.authorize(
            ctx,
            &key,
            "kms:PutKeyPolicy",
            crate::authorize::RequestFacts::default(),
        )
        .await?;
        check_policy_name(req.policy_name.as_deref())?;
        let parsed = policy_document::check(&req.policy)?;
        self.check_policy_principals(&parsed).await?;
        if !req.bypass_policy_lockout_safety_check {
            self.check_policy_lockout(ctx, &key.record, &key.arn, parsed)
                .await?;
        }
        self.store
            .update_key_policy(key.record.key_id, &req.policy)
            .await?;
        self.keys.invalidate(&key.record.key_id);
        Ok(())
    }

    pub async fn list_key_policies(
        &self,
        ctx: &RequestContext,
        req: ListKeyPoliciesRequest,
    ) -> Result<Page<&'static str>, KmsError> {
        let key = self.resolve(ctx, &req.key_id, Aliases::Refused).await?;
        self.authorize(
            ctx,
            &key,
            "kms:ListKeyPolicies",
            crate::authorize::RequestFacts::default(),
        )
        .await?;
        if let Some(marker) = &req.marker {
            // There is only ever one page; no marker we hand out exists.
            let _ = marker;
            return Err(KmsError::InvalidMarker);
        }
        Ok(Page {
            items: vec![DEFAULT_POLICY_NAME],
            next_marker: None,
        })
    }
}
