use crate::asymmetric;
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
        check_encryptable(
            &key,
            algorithm,
            &req.encryption_context,
            req.plaintext.len(),
        )?;
        if req.dry_run {
            return Err(KmsError::DryRunOperation);
        }
        let (ciphertext_blob, _) =
            self.encrypt_under(&key, algorithm, &req.encryption_context, &req.plaintext)?;
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

    /// Encrypts `plaintext` under `key` with `algorithm` (which [`check_encrypt_decrypt_key`]
    /// accepted): a ciphertext blob under the current backing key of a symmetric key (whose id
    /// is returned), or an RSA OAEP ciphertext under an RSA key's public key.
    pub(crate) fn encrypt_under(
        &self,
        key: &Arc<CachedKey>,
        algorithm: EncryptionAlgorithm,
        context: &EncryptionContext,
        plaintext: &[u8],
    ) -> Result<(Vec<u8>, Option<BackingKeyId>), KmsError> {
        check_encryptable(key, algorithm, context, plaintext.len())?;
        match (
            key.private_key(),
            asymmetric::encryption_algorithm(algorithm),
        ) {
            (Some(private), Some(oaep)) => {
                let ciphertext = private
                    .encrypt(oaep, plaintext)
                    .map_err(|e| asymmetric::request_error(key, e))?;
                Ok((ciphertext, None))
            }
            _ => {
                let (blob, id) = self.seal(key, context, plaintext)?;
                Ok((blob, Some(id)))
            }
        }
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
        return Err(asymmetric::wrong_usage(key, operation));
    }
    let algorithm = algorithm.unwrap_or(EncryptionAlgorithm::SymmetricDefault);
    let fits = match key.record.key_spec {
        KeySpec::SymmetricDefault => algorithm == EncryptionAlgorithm::SymmetricDefault,
        _ => asymmetric::encryption_algorithm(algorithm).is_some_and(|a| {
            key.private_key()
                .is_some_and(|k| k.spec().encryption_algorithms().contains(&a))
        }),
    };
    if !fits {
        return Err(asymmetric::incompatible_algorithm(key, algorithm.as_str()));
    }
    Ok(algorithm)
}

/// What an asymmetric key takes beyond its algorithm: no encryption context (only symmetric
/// keys bind one), and no more plaintext than RSA OAEP fits (AWS's table, §4).
pub(crate) fn check_encryptable(
    key: &CachedKey,
    algorithm: EncryptionAlgorithm,
    context: &EncryptionContext,
    plaintext_len: usize,
) -> Result<(), KmsError> {
    let (Some(private), Some(oaep)) = (
        key.private_key(),
        asymmetric::encryption_algorithm(algorithm),
    ) else {
        return Ok(());
    };
    check_no_context(context)?;
    let max = oaep.max_plaintext_len(private.spec()).unwrap_or(0);
    if plaintext_len > max {
        return Err(KmsError::validation(format!(
            "Algorithm {algorithm} and key spec {} cannot encrypt data larger than {max} bytes.",
            key.record.key_spec
        )));
    }
    Ok(())
}

/// Encryption contexts are for symmetric encryption keys only.
pub(crate) fn check_no_context(context: &EncryptionContext) -> Result<(), KmsError> {
    if context.is_empty() {
        Ok(())
    } else {
        Err(KmsError::validation(
            "EncryptionContext is not supported with asymmetric KMS keys.",
        ))
    }
}
