use crate::resolve::Aliases;
use crate::{Kms, KmsError, RequestContext};
use kmsd_model::{KeyReference, Timestamp};
use kmsd_store::KeyUsageRecord;

#[derive(Debug, Clone, PartialEq)]
pub struct KeyLastUsage {
    pub key_id: String,
    /// `None` when the key has not been used since tracking began.
    pub last_usage: Option<KeyUsageRecord>,
    /// kmsd tracks every key from its creation.
    pub tracking_start_date: Timestamp,
    pub key_creation_date: Timestamp,
}

impl Kms {
    pub async fn get_key_last_usage(
        &self,
        ctx: &RequestContext,
        key_id: KeyReference,
    ) -> Result<KeyLastUsage, KmsError> {
        let key = self.resolve(ctx, &key_id, Aliases::Refused).await?;
        self.authorize(
            ctx,
            &key,
            "kms:GetKeyLastUsage",
            crate::authorize::RequestFacts::default(),
        )
        .await?;
        let key_id = key.record.key_id;
        let last_usage = match self.usage.pending(&key_id) {
            Some(recent) => Some(recent),
            None => self.store.key_usage(key_id).await?,
        };
        Ok(KeyLastUsage {
            key_id: key_id.to_string(),
            last_usage,
            tracking_start_date: key.record.created_at,
            key_creation_date: key.record.created_at,
        })
    }
}
