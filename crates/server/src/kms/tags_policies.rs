//! TagResource, UntagResource, ListResourceTags, GetKeyPolicy, PutKeyPolicy, ListKeyPolicies.

use super::wire::{self, TagWire};
use crate::error::ApiError;
use crate::validate::Validator;
use kmsd_service::operations::{
    GetKeyPolicyRequest, ListKeyPoliciesRequest, ListResourceTagsRequest, PutKeyPolicyRequest,
    TagResourceRequest, UntagResourceRequest,
};
use kmsd_service::{Kms, RequestContext};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TagResourceWire {
    key_id: Option<String>,
    tags: Option<Vec<TagWire>>,
}

pub(crate) async fn tag_resource(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Value, ApiError> {
    let w: TagResourceWire = wire::decode(body)?;
    let mut v = Validator::new();
    let key_id = wire::key_id_member(&mut v, "keyId", &w.key_id, true);
    v.required("tags", &w.tags);
    let tags = wire::tags(&mut v, w.tags);
    v.finish()?;
    let key_id = wire::key_reference(key_id.unwrap_or_default())?;
    kms.tag_resource(ctx, TagResourceRequest { key_id, tags })
        .await?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UntagResourceWire {
    key_id: Option<String>,
    tag_keys: Option<Vec<String>>,
}

pub(crate) async fn untag_resource(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Value, ApiError> {
    let w: UntagResourceWire = wire::decode(body)?;
    let mut v = Validator::new();
    let key_id = wire::key_id_member(&mut v, "keyId", &w.key_id, true);
    if let Some(keys) = v.required("tagKeys", &w.tag_keys) {
        for (i, k) in keys.iter().enumerate() {
            v.length(&format!("tagKeys.{}.member", i + 1), k, 1, 128);
        }
    }
    v.finish()?;
    let key_id = wire::key_reference(key_id.unwrap_or_default())?;
    let tag_keys = w.tag_keys.unwrap_or_default();
    kms.untag_resource(ctx, UntagResourceRequest { key_id, tag_keys })
        .await?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListWire {
    key_id: Option<String>,
    limit: Option<i64>,
    marker: Option<String>,
}

pub(crate) async fn list_resource_tags(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Value, ApiError> {
    let w: ListWire = wire::decode(body)?;
    let mut v = Validator::new();
    let key_id = wire::key_id_member(&mut v, "keyId", &w.key_id, true);
    let limit = wire::limit(&mut v, w.limit, 50);
    wire::marker(&mut v, &w.marker);
    v.finish()?;
    let key_id = wire::key_reference(key_id.unwrap_or_default())?;
    let page = kms
        .list_resource_tags(
            ctx,
            ListResourceTagsRequest {
                key_id,
                limit,
                marker: w.marker,
            },
        )
        .await?;
    let tags: Vec<Value> = page
        .items
        .iter()
        .map(|t| json!({ "TagKey": t.key, "TagValue": t.value }))
        .collect();
    let mut out = json!({ "Tags": tags, "Truncated": page.next_marker.is_some() });
    if let Some(m) = page.next_marker {
        out["NextMarker"] = m.into();
    }
    Ok(out)
}

fn policy_name(v: &mut Validator, name: &Option<String>) {
    if let Some(n) = name {
        v.length("policyName", n, 1, 128);
        let ok = n.chars().all(|c| c.is_alphanumeric() || c == '_');
        v.pattern("policyName", n, ok, "[\\w]+");
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetKeyPolicyWire {
    key_id: Option<String>,
    policy_name: Option<String>,
}

pub(crate) async fn get_key_policy(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Value, ApiError> {
    let w: GetKeyPolicyWire = wire::decode(body)?;
    let mut v = Validator::new();
    let key_id = wire::key_id_member(&mut v, "keyId", &w.key_id, true);
    policy_name(&mut v, &w.policy_name);
    v.finish()?;
    let key_id = wire::key_reference(key_id.unwrap_or_default())?;
    let (policy, name) = kms
        .get_key_policy(
            ctx,
            GetKeyPolicyRequest {
                key_id,
                policy_name: w.policy_name,
            },
        )
        .await?;
    Ok(json!({ "Policy": policy, "PolicyName": name }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutKeyPolicyWire {
    key_id: Option<String>,
    policy_name: Option<String>,
    policy: Option<String>,
    bypass_policy_lockout_safety_check: Option<bool>,
}

pub(crate) async fn put_key_policy(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Value, ApiError> {
    let w: PutKeyPolicyWire = wire::decode(body)?;
    let mut v = Validator::new();
    let key_id = wire::key_id_member(&mut v, "keyId", &w.key_id, true);
    policy_name(&mut v, &w.policy_name);
    if let Some(p) = v.required("policy", &w.policy) {
        v.length("policy", p, 1, 131_072);
    }
    v.finish()?;
    let req = PutKeyPolicyRequest {
        key_id: wire::key_reference(key_id.unwrap_or_default())?,
        policy_name: w.policy_name,
        policy: w.policy.unwrap_or_default(),
        bypass_policy_lockout_safety_check: w.bypass_policy_lockout_safety_check.unwrap_or(false),
    };
    kms.put_key_policy(ctx, req).await?;
    Ok(json!({}))
}

pub(crate) async fn list_key_policies(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Value, ApiError> {
    let w: ListWire = wire::decode(body)?;
    let mut v = Validator::new();
    let key_id = wire::key_id_member(&mut v, "keyId", &w.key_id, true);
    let limit = wire::limit(&mut v, w.limit, 1000);
    wire::marker(&mut v, &w.marker);
    v.finish()?;
    let key_id = wire::key_reference(key_id.unwrap_or_default())?;
    let page = kms
        .list_key_policies(
            ctx,
            ListKeyPoliciesRequest {
                key_id,
                limit,
                marker: w.marker,
            },
        )
        .await?;
    Ok(json!({ "PolicyNames": page.items, "Truncated": false }))
}
