use crate::{Kms, KmsError, RequestContext};
use zeroize::Zeroizing;

#[derive(Debug, Clone)]
pub struct GenerateRandomRequest {
    /// 1–1024 (checked at the edge).
    pub number_of_bytes: usize,
    pub custom_key_store_id: Option<String>,
}

impl Kms {
    pub async fn generate_random(
        &self,
        ctx: &RequestContext,
        req: GenerateRandomRequest,
    ) -> Result<Zeroizing<Vec<u8>>, KmsError> {
        self.authorize_by_iam(ctx, "kms:GenerateRandom", "*")
            .await?;
        if let Some(id) = req.custom_key_store_id {
            return Err(KmsError::CustomKeyStoreNotFound(format!(
                "Custom key store '{id}' does not exist."
            )));
        }
        Ok(kmsd_crypto::random_secret(&self.rng, req.number_of_bytes)?)
    }
}
