//! Verify: whether a signature is a key's over a message. An invalid signature is
//! `KMSInvalidSignatureException`, never `SignatureValid: false`.

use crate::{Kms, KmsError, RequestContext};
use kmsd_model::{KeyReference, MessageType, SigningAlgorithm};
use zeroize::Zeroizing;

#[derive(Debug)]
pub struct VerifyRequest {
    pub key_id: KeyReference,
    /// 1–4096 bytes (checked at the edge).
    pub message: Zeroizing<Vec<u8>>,
    /// `RAW` when absent.
    pub message_type: Option<MessageType>,
    /// 1–6144 bytes (checked at the edge).
    pub signature: Vec<u8>,
    pub signing_algorithm: SigningAlgorithm,
    pub dry_run: bool,
}

/// A successful Verify: the signature is valid.
#[derive(Debug, Clone)]
pub struct VerifyResponse {
    pub key_arn: String,
    pub signing_algorithm: SigningAlgorithm,
}

impl Kms {
    pub async fn verify(
        &self,
        ctx: &RequestContext,
        req: VerifyRequest,
    ) -> Result<VerifyResponse, KmsError> {
        let key_arn = self
            .with_signing_key(
                ctx,
                &req.key_id,
                req.signing_algorithm,
                req.message_type,
                &req.message,
                req.dry_run,
                "Verify",
                |key, checked| {
                    let verification = checked
                        .key
                        .verify(
                            checked.algorithm,
                            checked.message_type,
                            &req.message,
                            &req.signature,
                        )
                        .map_err(|e| crate::asymmetric::request_error(key, e))?;
                    if verification.is_valid() {
                        Ok(key.arn.clone())
                    } else {
                        Err(KmsError::InvalidSignature)
                    }
                },
            )
            .await?;
        Ok(VerifyResponse {
            key_arn,
            signing_algorithm: req.signing_algorithm,
        })
    }
}
