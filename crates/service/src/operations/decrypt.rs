use crate::key_cache::CachedKey;
use crate::operations::encrypt::{check_encrypt_decrypt_key, check_no_context};
use crate::resolve::Aliases;
use crate::{Kms, KmsError, RequestContext};
use kmsd_model::{BackingKeyId, EncryptionAlgorithm, EncryptionContext, KeyReference};
use std::sync::Arc;
use zeroize::Zeroizing;

#[derive(Debug)]
pub struct DecryptRequest {
    pub ciphertext_blob: Vec<u8>,
    pub encryption_context: EncryptionContext,
    pub key_id: Option<KeyReference>,
    pub encryption_algorithm: Option<EncryptionAlgorithm>,
    pub dry_run: bool,
}

#[derive(Debug)]
pub struct DecryptResponse {
    pub key_arn: String,
    pub plaintext: Zeroizing<Vec<u8>>,
    pub encryption_algorithm: EncryptionAlgorithm,
    /// Symmetric keys only.
    pub key_material_id: Option<BackingKeyId>,
}

/// A ciphertext opened by its key.
pub(crate) struct Opened {
    pub key: Arc<CachedKey>,
    pub plaintext: Zeroizing<Vec<u8>>,
    pub algorithm: EncryptionAlgorithm,
    /// The backing key that opened a symmetric ciphertext (`None` for RSA).
    pub backing_key_id: Option<BackingKeyId>,
}

impl Kms {
    pub async fn decrypt(
        &self,
        ctx: &RequestContext,
        req: DecryptRequest,
    ) -> Result<DecryptResponse, KmsError> {
        let opened = self
            .open(
                ctx,
                &req.ciphertext_blob,
                &req.encryption_context,
                req.key_id.as_ref(),
                req.encryption_algorithm,
                req.dry_run,
                "Decrypt",
            )
            .await?;
        self.note_use(
            opened.key.record.key_id,
            kmsd_model::KeyUsageOperation::Decrypt,
            &ctx.request_id,
        );
        Ok(DecryptResponse {
            key_arn: opened.key.arn.clone(),
            plaintext: opened.plaintext,
            encryption_algorithm: opened.algorithm,
            key_material_id: opened.backing_key_id,
        })
    }

    /// Finds the key a blob names (checking it against `expected` if the caller gave one),
    /// checks the key, and opens the blob.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn open(
        &self,
        ctx: &RequestContext,
        blob: &[u8],
        context: &EncryptionContext,
        expected: Option<&KeyReference>,
        algorithm: Option<EncryptionAlgorithm>,
        dry_run: bool,
        operation: &str,
    ) -> Result<Opened, KmsError> {
        let key = match expected {
            Some(reference) => {
                let key = self.resolve(ctx, reference, Aliases::Allowed).await?;
                // A symmetric ciphertext names its key; an asymmetric one is bare RSA OAEP.
                if key.is_symmetric() {
                    let header =
                        kmsd_crypto::parse_header(blob).map_err(|_| KmsError::InvalidCiphertext)?;
                    if key.record.key_id != header.key_id {
                        return Err(KmsError::IncorrectKey);
                    }
                }
                key
            }
            // The blob names its key, in whichever account it lives; `authorize` decides. The
            // blob is not authenticated yet: a key id that names nothing is a bad ciphertext,
            // not a missing key. Asymmetric ciphertexts need the KeyId.
            None => {
                let header =
                    kmsd_crypto::parse_header(blob).map_err(|_| KmsError::InvalidCiphertext)?;
                self.key_by_id(header.key_id)
                    .await?
                    .filter(|k| k.record.region == self.region && k.is_symmetric())
                    .ok_or(KmsError::InvalidCiphertext)?
            }
        };
        let alias = expected.and_then(crate::authorize::alias_of);
        let algorithm_name = algorithm.unwrap_or(EncryptionAlgorithm::SymmetricDefault);
        let facts = crate::authorize::RequestFacts {
            encryption_context: Some(context),
            encryption_algorithm: Some(algorithm_name.as_str()),
            request_alias: alias.as_deref(),
            ..Default::default()
        };
        let action = if operation == "ReEncrypt" {
            "kms:ReEncryptFrom"
        } else {
            "kms:Decrypt"
        };
        self.authorize(ctx, &key, action, facts).await?;
        let algorithm = check_encrypt_decrypt_key(&key, algorithm, operation)?;
        if let Some(private) = key.private_key() {
            check_no_context(context)?;
            let oaep = crate::asymmetric::encryption_algorithm(algorithm)
                .ok_or(KmsError::InvalidCiphertext)?;
            if dry_run {
                return Err(KmsError::DryRunOperation);
            }
            let plaintext = private
                .decrypt(oaep, blob)
                .map_err(|_| KmsError::InvalidCiphertext)?;
            return Ok(Opened {
                key,
                plaintext,
                algorithm,
                backing_key_id: None,
            });
        }
        let header = kmsd_crypto::parse_header(blob).map_err(|_| KmsError::InvalidCiphertext)?;
        let backing = key
            .backing_keys
            .get(&header.backing_key_id)
            .ok_or(KmsError::InvalidCiphertext)?;
        if dry_run {
            return Err(KmsError::DryRunOperation);
        }
        let plaintext = kmsd_crypto::open_ciphertext(backing, blob, context)
            .map_err(|_| KmsError::InvalidCiphertext)?;
        let backing_key_id = Some(backing.id());
        Ok(Opened {
            key,
            plaintext,
            algorithm,
            backing_key_id,
        })
    }
}
