use crate::operations::Page;
use crate::{Kms, KmsError, RequestContext, marker};
use kmsd_model::KeyId;

#[derive(Debug, Clone)]
pub struct ListKeysRequest {
    /// 1–1000, default 100 (checked at the edge).
    pub limit: Option<usize>,
    pub marker: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct KeyListEntry {
    pub key_id: KeyId,
    pub key_arn: String,
}

const MARKER_KIND: &str = "keys";

impl Kms {
    pub async fn list_keys(
        &self,
        ctx: &RequestContext,
        req: ListKeysRequest,
    ) -> Result<Page<KeyListEntry>, KmsError> {
        self.authorize_by_iam(ctx, "kms:ListKeys", "*").await?;
        let limit = req.limit.unwrap_or(100);
        let after = match &req.marker {
            Some(m) => Some(
                marker::decode(MARKER_KIND, m)?
                    .parse::<KeyId>()
                    .map_err(|_| KmsError::InvalidMarker)?,
            ),
            None => None,
        };
        let account = &ctx.principal.account;
        let mut ids = self
            .store
            .list_keys(account, &self.region, after, limit + 1)
            .await?;
        let truncated = ids.len() > limit;
        ids.truncate(limit);
        let next_marker = match (truncated, ids.last()) {
            (true, Some(last)) => Some(marker::encode(MARKER_KIND, &last.to_string())),
            _ => None,
        };
        let items = ids
            .into_iter()
            .map(|key_id| KeyListEntry {
                key_id,
                key_arn: self.key_arn(account, key_id),
            })
            .collect();
        Ok(Page { items, next_marker })
    }
}
