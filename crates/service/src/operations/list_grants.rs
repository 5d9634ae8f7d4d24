use crate::operations::Page;
use crate::resolve::Aliases;
use crate::{Kms, KmsError, RequestContext, marker};
use kmsd_model::{GrantId, KeyReference};
use kmsd_store::GrantRecord;

#[derive(Debug, Clone)]
pub struct ListGrantsRequest {
    pub key_id: KeyReference,
    pub grant_id: Option<GrantId>,
    pub grantee_principal: Option<String>,
    /// 1–100, default 50 (checked at the edge).
    pub limit: Option<usize>,
    pub marker: Option<String>,
}

/// One grant as ListGrants and ListRetirableGrants show it.
#[derive(Debug, Clone)]
pub struct GrantListEntry {
    pub key_arn: String,
    pub grant: GrantRecord,
    /// `arn:aws:iam::<account>:root` of the account that created the grant.
    pub issuing_account_arn: String,
}

const MARKER_KIND: &str = "grants";

impl Kms {
    pub async fn list_grants(
        &self,
        ctx: &RequestContext,
        req: ListGrantsRequest,
    ) -> Result<Page<GrantListEntry>, KmsError> {
        let key = self.resolve(ctx, &req.key_id, Aliases::Refused).await?;
        self.authorize(
            ctx,
            &key,
            "kms:ListGrants",
            crate::authorize::RequestFacts::default(),
        )
        .await?;
        let limit = req.limit.unwrap_or(50);
        // The marker is the position after the last grant shown, in the key's oldest-first
        // order; grant ids are random, so the order is not by id.
        let start = match &req.marker {
            Some(m) => marker::decode(MARKER_KIND, m)?
                .parse::<usize>()
                .map_err(|_| KmsError::InvalidMarker)?,
            None => 0,
        };
        let matching: Vec<&GrantRecord> = key
            .grants
            .all()
            .iter()
            .map(|g| &**g)
            .filter(|g| req.grant_id.is_none_or(|id| g.grant_id == id))
            .filter(|g| {
                req.grantee_principal
                    .as_deref()
                    .is_none_or(|p| g.grantee_principal == p)
            })
            .collect();
        let items: Vec<GrantListEntry> = matching
            .iter()
            .skip(start)
            .take(limit)
            .map(|g| GrantListEntry {
                key_arn: key.arn.clone(),
                grant: (*g).clone(),
                issuing_account_arn: format!("arn:aws:iam::{}:root", g.issuing_account),
            })
            .collect();
        let end = start + items.len();
        let next_marker =
            (end < matching.len()).then(|| marker::encode(MARKER_KIND, &end.to_string()));
        Ok(Page { items, next_marker })
    }

    pub async fn list_retirable_grants(
        &self,
        ctx: &RequestContext,
        req: ListRetirableGrantsRequest,
    ) -> Result<Page<GrantListEntry>, KmsError> {
        crate::grants::check_principal_arn(&req.retiring_principal)?;
        self.authorize_by_iam(ctx, "kms:ListRetirableGrants", "*")
            .await?;
        let caller_account = ctx.principal.account.as_str();
        let principal_account = req.retiring_principal.split(':').nth(4).unwrap_or_default();
        if principal_account != caller_account {
            return Err(KmsError::AccessDenied(format!(
                "User: {} is not authorized to perform: kms:ListRetirableGrants because the retiring principal {} is not in account {caller_account}",
                ctx.principal.arn(),
                req.retiring_principal
            )));
        }
        let limit = req.limit.unwrap_or(50);
        let after = match &req.marker {
            Some(m) => Some(
                marker::decode(RETIRABLE_MARKER_KIND, m)?
                    .parse::<GrantId>()
                    .map_err(|_| KmsError::InvalidMarker)?,
            ),
            None => None,
        };
        let mut grants = self
            .store
            .retirable_grants(&req.retiring_principal, after, limit + 1)
            .await?;
        let truncated = grants.len() > limit;
        grants.truncate(limit);
        let next_marker = match (truncated, grants.last()) {
            (true, Some(last)) => Some(marker::encode(
                RETIRABLE_MARKER_KIND,
                &last.grant_id.to_string(),
            )),
            _ => None,
        };
        let mut items = Vec::with_capacity(grants.len());
        for grant in grants {
            let key_arn = match self.key_by_id(grant.key_id).await? {
                Some(key) => key.arn.clone(),
                None => continue,
            };
            items.push(GrantListEntry {
                key_arn,
                issuing_account_arn: format!("arn:aws:iam::{}:root", grant.issuing_account),
                grant,
            });
        }
        Ok(Page { items, next_marker })
    }
}

#[derive(Debug, Clone)]
pub struct ListRetirableGrantsRequest {
    pub retiring_principal: String,
    /// 1–100, default 50 (checked at the edge).
    pub limit: Option<usize>,
    pub marker: Option<String>,
}

const RETIRABLE_MARKER_KIND: &str = "retirable-grants";
