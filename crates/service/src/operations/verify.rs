//! Verify: whether a signature is a key's over a message. An invalid signature is
//! `KMSInvalidSignatureException`, never `SignatureValid: false`.

use crate::operations::sign::check_signing;
use crate::resolve::Aliases;
use crate::{Kms, KmsError, RequestContext};
use kmsd_model::{KeyReference, KeyUsageOperation, MessageType, SigningAlgorithm};
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
        let key = self.resolve(ctx, &req.key_id, Aliases::Allowed).await?;
        let alias = crate::authorize::alias_of(&req.key_id);
        let message_type = req.message_type.unwrap_or(MessageType::Raw);
        let facts = crate::authorize::RequestFacts {
            signing_algorithm: Some(req.signing_algorithm.as_str()),
            message_type: Some(message_type.as_str()),
            request_alias: alias.as_deref(),
            ..Default::default()
        };
        self.authorize(ctx, &key, "kms:Verify", facts).await?;
        let checked = check_signing(
            &key,
            req.signing_algorithm,
            message_type,
            &req.message,
            "Verify",
        )?;
        if req.dry_run {
            return Err(KmsError::DryRunOperation);
        }
        let verification = checked
            .key
            .verify(
                checked.algorithm,
                checked.message_type,
                &req.message,
                &req.signature,
            )
            .map_err(|e| crate::asymmetric::request_error(&key, e))?;
        if !verification.is_valid() {
            return Err(KmsError::InvalidSignature);
        }
        self.note_use(
            key.record.key_id,
            KeyUsageOperation::Verify,
            &ctx.request_id,
        );
        Ok(VerifyResponse {
            key_arn: key.arn.clone(),
            signing_algorithm: req.signing_algorithm,
        })
    }
}
