//! GenerateMac: the HMAC of a message under an HMAC key.

use crate::asymmetric::{self, incompatible_algorithm, wrong_usage};
use crate::key_cache::CachedKey;
use crate::key_state::{StateRule, check};
use crate::resolve::Aliases;
use crate::{Kms, KmsError, RequestContext};
use kmsd_asymmetric as asym;
use kmsd_model::{KeyReference, KeyUsageOperation, MacAlgorithm};
use zeroize::Zeroizing;

#[derive(Debug)]
pub struct GenerateMacRequest {
    pub key_id: KeyReference,
    /// 1–4096 bytes (checked at the edge).
    pub message: Zeroizing<Vec<u8>>,
    pub mac_algorithm: MacAlgorithm,
    pub dry_run: bool,
}

#[derive(Debug, Clone)]
pub struct GenerateMacResponse {
    pub key_arn: String,
    pub mac: Vec<u8>,
    pub mac_algorithm: MacAlgorithm,
}

impl Kms {
    pub async fn generate_mac(
        &self,
        ctx: &RequestContext,
        req: GenerateMacRequest,
    ) -> Result<GenerateMacResponse, KmsError> {
        let key = self.resolve(ctx, &req.key_id, Aliases::Allowed).await?;
        let alias = crate::authorize::alias_of(&req.key_id);
        let facts = crate::authorize::RequestFacts {
            mac_algorithm: Some(req.mac_algorithm.as_str()),
            request_alias: alias.as_deref(),
            ..Default::default()
        };
        self.authorize(ctx, &key, "kms:GenerateMac", facts).await?;
        let (hmac, algorithm) = check_mac(&key, req.mac_algorithm, "GenerateMac")?;
        if req.dry_run {
            return Err(KmsError::DryRunOperation);
        }
        let mac = hmac
            .generate_mac(algorithm, &req.message)
            .map_err(|e| asymmetric::request_error(&key, e))?;
        self.note_use(
            key.record.key_id,
            KeyUsageOperation::GenerateMac,
            &ctx.request_id,
        );
        Ok(GenerateMacResponse {
            key_arn: key.arn.clone(),
            mac,
            mac_algorithm: req.mac_algorithm,
        })
    }
}

/// What GenerateMac and VerifyMac check, in AWS's order: the key state, the key usage, and
/// the algorithm (exactly the one of the key's spec).
pub(crate) fn check_mac<'a>(
    key: &'a CachedKey,
    algorithm: MacAlgorithm,
    operation: &str,
) -> Result<(&'a asym::HmacKey, asym::MacAlgorithmSpec), KmsError> {
    check(StateRule::Crypto, key)?;
    let hmac = key.hmac_key().ok_or_else(|| wrong_usage(key, operation))?;
    let spec_algorithm = asymmetric::mac_algorithm(algorithm)
        .filter(|a| hmac.spec().mac_algorithms().contains(a))
        .ok_or_else(|| incompatible_algorithm(key, algorithm.as_str()))?;
    Ok((hmac, spec_algorithm))
}
