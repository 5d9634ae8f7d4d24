use crate::operations::Page;
use crate::resolve::Aliases;
use crate::{Kms, KmsError, RequestContext, marker};
use kmsd_model::{AliasName, KeyId, KeyReference, Timestamp};

#[derive(Debug, Clone)]
pub struct ListAliasesRequest {
    pub key_id: Option<KeyReference>,
    /// 1–100, default 50 (checked at the edge).
    pub limit: Option<usize>,
    pub marker: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AliasListEntry {
    pub alias_name: AliasName,
    pub alias_arn: String,
    pub target_key_id: KeyId,
    pub creation_date: Timestamp,
    pub last_updated_date: Timestamp,
}

const MARKER_KIND: &str = "aliases";

impl Kms {
    pub async fn list_aliases(
        &self,
        ctx: &RequestContext,
        req: ListAliasesRequest,
    ) -> Result<Page<AliasListEntry>, KmsError> {
        self.authorize_by_iam(ctx, "kms:ListAliases", "*").await?;
        let limit = req.limit.unwrap_or(50);
        let target = match &req.key_id {
            Some(reference) => Some(
                self.resolve(ctx, reference, Aliases::Refused)
                    .await?
                    .record
                    .key_id,
            ),
            None => None,
        };
        let after = match &req.marker {
            Some(m) => Some(
                marker::decode(MARKER_KIND, m)?
                    .parse::<AliasName>()
                    .map_err(|_| KmsError::InvalidMarker)?,
            ),
            None => None,
        };
        let account = &ctx.principal.account;
        let mut aliases = self
            .store
            .list_aliases(account, &self.region, target, after.as_ref(), limit + 1)
            .await?;
        let truncated = aliases.len() > limit;
        aliases.truncate(limit);
        let next_marker = match (truncated, aliases.last()) {
            (true, Some(last)) => Some(marker::encode(MARKER_KIND, last.name.as_str())),
            _ => None,
        };
        let items = aliases
            .into_iter()
            .map(|a| AliasListEntry {
                alias_arn: self.alias_arn(account, &a.name),
                alias_name: a.name,
                target_key_id: a.target_key_id,
                creation_date: a.created_at,
                last_updated_date: a.updated_at,
            })
            .collect();
        Ok(Page { items, next_marker })
    }
}
