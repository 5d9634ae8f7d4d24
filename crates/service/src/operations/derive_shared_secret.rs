//! DeriveSharedSecret: ECDH between a KEY_AGREEMENT key's private key and a peer's public key.

use crate::asymmetric::{self, incompatible_algorithm, wrong_usage};
use crate::key_state::{StateRule, check};
use crate::resolve::Aliases;
use crate::{Kms, KmsError, RequestContext};
use kmsd_model::{KeyAgreementAlgorithm, KeyReference, KeyUsage, KeyUsageOperation, Origin};
use zeroize::Zeroizing;

#[derive(Debug, Clone)]
pub struct DeriveSharedSecretRequest {
    pub key_id: KeyReference,
    pub key_agreement_algorithm: KeyAgreementAlgorithm,
    /// The peer's DER SubjectPublicKeyInfo, 1–8192 bytes (checked at the edge).
    pub public_key: Vec<u8>,
    pub dry_run: bool,
}

#[derive(Debug)]
pub struct DeriveSharedSecretResponse {
    pub key_arn: String,
    /// The raw ECDH shared secret (the x-coordinate of the shared point).
    pub shared_secret: Zeroizing<Vec<u8>>,
    pub key_agreement_algorithm: KeyAgreementAlgorithm,
    pub key_origin: Origin,
}

impl Kms {
    pub async fn derive_shared_secret(
        &self,
        ctx: &RequestContext,
        req: DeriveSharedSecretRequest,
    ) -> Result<DeriveSharedSecretResponse, KmsError> {
        let key = self.resolve(ctx, &req.key_id, Aliases::Allowed).await?;
        let alias = crate::authorize::alias_of(&req.key_id);
        let facts = crate::authorize::RequestFacts {
            key_agreement_algorithm: Some(req.key_agreement_algorithm.as_str()),
            request_alias: alias.as_deref(),
            ..Default::default()
        };
        self.authorize(ctx, &key, "kms:DeriveSharedSecret", facts)
            .await?;
        check(StateRule::Crypto, &key)?;
        let private = match key.private_key() {
            Some(k) if key.record.key_usage == KeyUsage::KeyAgreement => k,
            _ => return Err(wrong_usage(&key, "DeriveSharedSecret")),
        };
        let algorithm = asymmetric::key_agreement_algorithm(req.key_agreement_algorithm)
            .ok_or_else(|| incompatible_algorithm(&key, req.key_agreement_algorithm.as_str()))?;
        // The peer key is validated by the derivation itself; a dry run derives and forgets.
        let shared_secret = private
            .derive_shared_secret(algorithm, &req.public_key)
            .map_err(|e| asymmetric::request_error(&key, e))?;
        if req.dry_run {
            return Err(KmsError::DryRunOperation);
        }
        self.note_use(
            key.record.key_id,
            KeyUsageOperation::DeriveSharedSecret,
            &ctx.request_id,
        );
        Ok(DeriveSharedSecretResponse {
            key_arn: key.arn.clone(),
            shared_secret,
            key_agreement_algorithm: req.key_agreement_algorithm,
            key_origin: key.record.origin,
        })
    }
}
