//! Sign: a signature over a message (or its digest, or an ML-DSA μ) with an asymmetric
//! SIGN_VERIFY key's private key.

use crate::asymmetric::{self, incompatible_algorithm, wrong_usage};
use crate::key_cache::CachedKey;
use crate::key_state::{StateRule, check};
use crate::resolve::Aliases;
use crate::{Kms, KmsError, RequestContext};
use kmsd_asymmetric as asym;
use kmsd_model::{KeyReference, KeyUsage, KeyUsageOperation, MessageType, SigningAlgorithm};
use zeroize::Zeroizing;

#[derive(Debug)]
pub struct SignRequest {
    pub key_id: KeyReference,
    /// 1–4096 bytes (checked at the edge).
    pub message: Zeroizing<Vec<u8>>,
    /// `RAW` when absent.
    pub message_type: Option<MessageType>,
    pub signing_algorithm: SigningAlgorithm,
    pub dry_run: bool,
}

#[derive(Debug, Clone)]
pub struct SignResponse {
    pub key_arn: String,
    pub signature: Vec<u8>,
    pub signing_algorithm: SigningAlgorithm,
}

impl Kms {
    pub async fn sign(
        &self,
        ctx: &RequestContext,
        req: SignRequest,
    ) -> Result<SignResponse, KmsError> {
        let (key_arn, signature) = self
            .with_signing_key(
                ctx,
                &req.key_id,
                req.signing_algorithm,
                req.message_type,
                &req.message,
                req.dry_run,
                "Sign",
                |key, checked| {
                    checked
                        .key
                        .sign(
                            checked.algorithm,
                            checked.message_type,
                            &req.message,
                            &self.rng,
                        )
                        .map(|signature| (key.arn.clone(), signature))
                        .map_err(|e| asymmetric::request_error(key, e))
                },
            )
            .await?;
        Ok(SignResponse {
            key_arn,
            signature,
            signing_algorithm: req.signing_algorithm,
        })
    }

    /// What Sign and Verify share, in AWS's order: resolve the key, authorize with the signing
    /// condition keys, check the key's state and usage and the request against its spec, honour
    /// DryRun; then `run` the signature operation and note the key's use.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn with_signing_key<T>(
        &self,
        ctx: &RequestContext,
        key_id: &KeyReference,
        algorithm: SigningAlgorithm,
        message_type: Option<MessageType>,
        message: &[u8],
        dry_run: bool,
        operation: &'static str,
        run: impl FnOnce(&CachedKey, SigningRequest<'_>) -> Result<T, KmsError>,
    ) -> Result<T, KmsError> {
        let key = self.resolve(ctx, key_id, Aliases::Allowed).await?;
        let alias = crate::authorize::alias_of(key_id);
        let message_type = message_type.unwrap_or(MessageType::Raw);
        let facts = crate::authorize::RequestFacts {
            signing_algorithm: Some(algorithm.as_str()),
            message_type: Some(message_type.as_str()),
            request_alias: alias.as_deref(),
            ..Default::default()
        };
        let (action, used) = if operation == "Sign" {
            ("kms:Sign", KeyUsageOperation::Sign)
        } else {
            ("kms:Verify", KeyUsageOperation::Verify)
        };
        self.authorize(ctx, &key, action, facts).await?;
        let checked = check_signing(&key, algorithm, message_type, message, operation)?;
        if dry_run {
            return Err(KmsError::DryRunOperation);
        }
        let out = run(&key, checked)?;
        self.note_use(key.record.key_id, used, &ctx.request_id);
        Ok(out)
    }
}

/// A Sign or Verify request that passed [`check_signing`].
pub(crate) struct SigningRequest<'a> {
    pub key: &'a asym::PrivateKey,
    pub algorithm: asym::SigningAlgorithmSpec,
    pub message_type: asym::MessageType,
}

/// What Sign and Verify check before touching the key, in AWS's order: the key state, the key
/// usage (`InvalidKeyUsageException`), the algorithm against the key spec (the same), the
/// message type against the algorithm, and a DIGEST's or μ's length (`ValidationException`).
pub(crate) fn check_signing<'a>(
    key: &'a CachedKey,
    algorithm: SigningAlgorithm,
    message_type: MessageType,
    message: &[u8],
    operation: &str,
) -> Result<SigningRequest<'a>, KmsError> {
    check(StateRule::Crypto, key)?;
    let private = match key.private_key() {
        Some(k) if key.record.key_usage == KeyUsage::SignVerify => k,
        _ => return Err(wrong_usage(key, operation)),
    };
    let spec_algorithm = asymmetric::signing_algorithm(algorithm)
        .filter(|a| private.spec().signing_algorithms().contains(a))
        .ok_or_else(|| incompatible_algorithm(key, algorithm.as_str()))?;
    let message_type = asymmetric::message_type(message_type)
        .filter(|m| spec_algorithm.supports_message_type(*m))
        .ok_or_else(|| {
            KmsError::validation(format!(
                "Message type {message_type} is incompatible with algorithm {algorithm}."
            ))
        })?;
    let expected = match message_type {
        asym::MessageType::Raw => None,
        asym::MessageType::Digest => spec_algorithm.digest_len(),
        asym::MessageType::ExternalMu => Some(asym::EXTERNAL_MU_LEN),
    };
    if expected.is_some_and(|len| len != message.len()) {
        return Err(KmsError::validation(format!(
            "Digest is invalid length for algorithm {algorithm}."
        )));
    }
    Ok(SigningRequest {
        key: private,
        algorithm: spec_algorithm,
        message_type,
    })
}
