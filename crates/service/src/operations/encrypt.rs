use crate::key_cache::CachedKey;
use crate::key_state::{StateRule, check};
use crate::resolve::Aliases;
use crate::{Kms, KmsError, RequestContext};
use kmsd_model::{
    BackingKeyId, EncryptionAlgorithm, EncryptionContext, KeyReference, KeySpec, KeyUsage,
};
use std::sync::Arc;
use zeroize::Zeroizing;

#[derive(Debug)]
pub struct EncryptRequest {
    pub key_id: KeyReference,
    pub plaintext: Zeroizing<Vec<u8>>,
    pub encryption_context: EncryptionContext,
    pub encryption_algorithm: Option<EncryptionAlgorithm>,
    pub dry_run: bool,
}

#[derive(Debug, Clone)]
pub struct EncryptResponse {
    pub ciphertext_blob: Vec<u8>,
    pub key_arn: String,
    pub encryption_algorithm: EncryptionAlgorithm,
}

impl Kms {
    pub async fn encrypt(
        &self,
        ctx: &RequestContext,
        req: EncryptRequest,
    ) -> Result<EncryptResponse, KmsError> {
        let key = self.resolve(ctx, &req.key_id, Aliases::Allowed).await?;
        let alias = crate::authorize::alias_of(&req.key_id);
        let algorithm_name = req
            .encryption_algorithm
            .unwrap_or(EncryptionAlgorithm::SymmetricDefault);
        let facts = crate::authorize::RequestFacts {
            encryption_context: Some(&req.encryption_context),
            encryption_algorithm: Some(algorithm_name.as_str()),
            request_alias: alias.as_deref(),
            ..Default::default()
        };
        self.authorize(ctx, &key, "kms:Encrypt", facts).await?;
        let algorithm = check_encrypt_decrypt_key(&key, req.encryption_algorithm, "Encrypt")?;
        if req.dry_run {
            return Err(KmsError::DryRunOperation);
        }
        let (ciphertext_blob, _) = self.seal(&key, &req.encryption_context, &req.plaintext)?;
        self.note_use(
            key.record.key_id,
            kmsd_model::KeyUsageOperation::Encrypt,
            &ctx.request_id,
        );
        Ok(EncryptResponse {
            ciphertext_blob,
            key_arn: key.arn.clone(),
            encryption_algorithm: algorithm,
        })
    }

    /// Seals `plaintext` under the key's current backing key.
    pub(crate) fn seal(
        &self,
        key: &Arc<CachedKey>,
        context: &EncryptionContext,
        plaintext: &[u8],
    ) -> Result<(Vec<u8>, BackingKeyId), KmsError> {
        let backing = key.current_backing_key().ok_or_else(|| {
            tracing::error!(key = %key.arn, "current backing key is missing from the store");
            KmsError::Internal(kmsd_crypto::CryptoError::Authentication.into())
        })?;
        let blob = kmsd_crypto::seal_ciphertext(
            &self.rng,
            key.record.key_id,
            backing,
            context,
            plaintext,
        )?;
        Ok((blob, backing.id()))
    }
}

/// The checks every symmetric encrypt/decrypt-style operation makes, in AWS's order: the key
/// state, the key usage, then the algorithm. Returns the algorithm in force.
pub(crate) fn check_encrypt_decrypt_key(
    key: &CachedKey,
    algorithm: Option<EncryptionAlgorithm>,
    operation: &str,
) -> Result<EncryptionAlgorithm, KmsError> {
    check(StateRule::Crypto, key)?;
    if key.record.key_usage != KeyUsage::EncryptDecrypt {
        return Err(KmsError::InvalidKeyUsage(format!(
            "{} key usage is {} which is not valid for {operation}.",
            key.arn, key.record.key_usage
        )));
    }
    let algorithm = algorithm.unwrap_or(EncryptionAlgorithm::SymmetricDefault);
    let symmetric = key.record.key_spec == KeySpec::SymmetricDefault;
    if symmetric != (algorithm == EncryptionAlgorithm::SymmetricDefault) {
        return Err(KmsError::InvalidKeyUsage(format!(
            "Algorithm {algorithm} is incompatible with key spec {}.",
            key.record.key_spec
        )));
    }
    Ok(algorithm)
}
