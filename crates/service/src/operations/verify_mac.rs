//! VerifyMac: whether a MAC is the HMAC key's over a message, compared in constant time. An
//! invalid MAC is `KMSInvalidMacException`.

use crate::operations::generate_mac::check_mac;
use crate::resolve::Aliases;
use crate::{Kms, KmsError, RequestContext};
use kmsd_model::{KeyReference, KeyUsageOperation, MacAlgorithm};
use zeroize::Zeroizing;

#[derive(Debug)]
pub struct VerifyMacRequest {
    pub key_id: KeyReference,
    /// 1–4096 bytes (checked at the edge).
    pub message: Zeroizing<Vec<u8>>,
    pub mac_algorithm: MacAlgorithm,
    /// 1–6144 bytes (checked at the edge).
    pub mac: Vec<u8>,
    pub dry_run: bool,
}

/// A successful VerifyMac: the MAC is valid.
#[derive(Debug, Clone)]
pub struct VerifyMacResponse {
    pub key_arn: String,
    pub mac_algorithm: MacAlgorithm,
}

impl Kms {
    pub async fn verify_mac(
        &self,
        ctx: &RequestContext,
        req: VerifyMacRequest,
    ) -> Result<VerifyMacResponse, KmsError> {
        let key = self.resolve(ctx, &req.key_id, Aliases::Allowed).await?;
        let alias = crate::authorize::alias_of(&req.key_id);
        let facts = crate::authorize::RequestFacts {
            mac_algorithm: Some(req.mac_algorithm.as_str()),
            request_alias: alias.as_deref(),
            ..Default::default()
        };
        self.authorize(ctx, &key, "kms:VerifyMac", facts).await?;
        let (hmac, algorithm) = check_mac(&key, req.mac_algorithm, "VerifyMac")?;
        if req.dry_run {
            return Err(KmsError::DryRunOperation);
        }
        let verification = hmac
            .verify_mac(algorithm, &req.message, &req.mac)
            .map_err(|e| crate::asymmetric::request_error(&key, e))?;
        if !verification.is_valid() {
            return Err(KmsError::InvalidMac);
        }
        self.note_use(
            key.record.key_id,
            KeyUsageOperation::VerifyMac,
            &ctx.request_id,
        );
        Ok(VerifyMacResponse {
            key_arn: key.arn.clone(),
            mac_algorithm: req.mac_algorithm,
        })
    }
}
