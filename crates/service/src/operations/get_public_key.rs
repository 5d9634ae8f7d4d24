//! GetPublicKey: the public half of an asymmetric key, as DER SubjectPublicKeyInfo, with what a
//! caller needs to use it outside KMS.

use crate::key_state::{StateRule, check};
use crate::resolve::Aliases;
use crate::{AlgorithmLists, Kms, KmsError, RequestContext};
use kmsd_model::{KeyReference, KeySpec, KeyUsage};

#[derive(Debug, Clone)]
pub struct GetPublicKeyRequest {
    pub key_id: KeyReference,
}

#[derive(Debug, Clone)]
pub struct GetPublicKeyResponse {
    pub key_arn: String,
    /// DER SubjectPublicKeyInfo.
    pub public_key: Vec<u8>,
    pub key_spec: KeySpec,
    pub key_usage: KeyUsage,
    /// Only the list of the key's usage is filled.
    pub algorithms: AlgorithmLists,
}

impl Kms {
    pub async fn get_public_key(
        &self,
        ctx: &RequestContext,
        req: GetPublicKeyRequest,
    ) -> Result<GetPublicKeyResponse, KmsError> {
        let key = self.resolve(ctx, &req.key_id, Aliases::Allowed).await?;
        let alias = crate::authorize::alias_of(&req.key_id);
        let facts = crate::authorize::RequestFacts {
            request_alias: alias.as_deref(),
            ..Default::default()
        };
        self.authorize(ctx, &key, "kms:GetPublicKey", facts).await?;
        check(StateRule::PublicKey, &key)?;
        // Symmetric and HMAC keys have no public key.
        let private = key.private_key().ok_or_else(|| {
            KmsError::UnsupportedOperation(format!(
                "{} key spec {} is not valid for GetPublicKey.",
                key.arn, key.record.key_spec
            ))
        })?;
        Ok(GetPublicKeyResponse {
            key_arn: key.arn.clone(),
            public_key: private.public_key().spki().to_vec(),
            key_spec: key.record.key_spec,
            key_usage: key.record.key_usage,
            algorithms: AlgorithmLists::of(key.record.key_spec, key.record.key_usage),
        })
    }
}
