use crate::operations::Page;
use crate::resolve::Aliases;
use crate::{Kms, KmsError, RequestContext, marker};
use kmsd_model::KeyReference;
use kmsd_store::Tag;

#[derive(Debug, Clone)]
pub struct ListResourceTagsRequest {
    pub key_id: KeyReference,
    /// 1–50, default 50 (checked at the edge).
    pub limit: Option<usize>,
    pub marker: Option<String>,
}

const MARKER_KIND: &str = "tags";

impl Kms {
    pub async fn list_resource_tags(
        &self,
        ctx: &RequestContext,
        req: ListResourceTagsRequest,
    ) -> Result<Page<Tag>, KmsError> {
        let key = self.resolve(ctx, &req.key_id, Aliases::Refused).await?;
        self.authorize(
            ctx,
            &key,
            "kms:ListResourceTags",
            crate::authorize::RequestFacts::default(),
        )
        .await?;
        let limit = req.limit.unwrap_or(50);
        let after = match &req.marker {
            Some(m) => Some(marker::decode(MARKER_KIND, m)?),
            None => None,
        };
        // A key has at most 50 tags, so paging over the full ordered list is cheap.
        let tags = self.store.tags(key.record.key_id).await?;
        let mut rest: Vec<Tag> = tags
            .into_iter()
            .filter(|t| after.as_deref().is_none_or(|a| t.key.as_str() > a))
            .collect();
        let truncated = rest.len() > limit;
        rest.truncate(limit);
        let next_marker = match (truncated, rest.last()) {
            (true, Some(last)) => Some(marker::encode(MARKER_KIND, &last.key)),
            _ => None,
        };
        Ok(Page {
            items: rest,
            next_marker,
        })
    }
}
