//! CreateAlias, UpdateAlias, DeleteAlias, ListAliases.

use super::wire;
use crate::error::ApiError;
use crate::validate::Validator;
use kmsd_model::AliasName;
use kmsd_service::operations::{CreateAliasRequest, ListAliasesRequest, UpdateAliasRequest};
use kmsd_service::{Kms, KmsError, RequestContext};
use serde::Deserialize;
use serde_json::{Value, json};

const ALIAS_PATTERN: &str = "^[a-zA-Z0-9:/_-]+$";

fn alias_name(v: &mut Validator, value: &Option<String>) -> Option<String> {
    let name = v.required("aliasName", value)?;
    v.length("aliasName", name, 1, 256);
    let ok = name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b":/_-".contains(&b));
    v.pattern("aliasName", name, ok, ALIAS_PATTERN);
    Some(name.clone())
}

/// A validated name that does not start with `alias/` is still refused.
fn parse_alias_name(name: &str) -> Result<AliasName, KmsError> {
    name.parse().map_err(|_| {
        if name.starts_with("alias/") {
            KmsError::validation(format!("Alias name {name} has no name after the \"alias/\" prefix."))
        } else {
            KmsError::validation(
                "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html",
            )
        }
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AliasTargetWire {
    alias_name: Option<String>,
    target_key_id: Option<String>,
}

fn alias_and_target(body: &[u8]) -> Result<(AliasName, kmsd_model::KeyReference), ApiError> {
    let w: AliasTargetWire = wire::decode(body)?;
    let mut v = Validator::new();
    let name = alias_name(&mut v, &w.alias_name);
    let target = wire::key_id_member(&mut v, "targetKeyId", &w.target_key_id, true);
    v.finish()?;
    let name = parse_alias_name(&name.unwrap_or_default())?;
    let target = wire::key_reference(target.unwrap_or_default())?;
    Ok((name, target))
}

pub(crate) async fn create_alias(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Value, ApiError> {
    let (alias_name, target_key_id) = alias_and_target(body)?;
    kms.create_alias(
        ctx,
        CreateAliasRequest {
            alias_name,
            target_key_id,
        },
    )
    .await?;
    Ok(json!({}))
}

pub(crate) async fn update_alias(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Value, ApiError> {
    let (alias_name, target_key_id) = alias_and_target(body)?;
    kms.update_alias(
        ctx,
        UpdateAliasRequest {
            alias_name,
            target_key_id,
        },
    )
    .await?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteAliasWire {
    alias_name: Option<String>,
}

pub(crate) async fn delete_alias(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Value, ApiError> {
    let w: DeleteAliasWire = wire::decode(body)?;
    let mut v = Validator::new();
    let name = alias_name(&mut v, &w.alias_name);
    v.finish()?;
    let name = parse_alias_name(&name.unwrap_or_default())?;
    kms.delete_alias(ctx, name).await?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListAliasesWire {
    key_id: Option<String>,
    limit: Option<i64>,
    marker: Option<String>,
}

pub(crate) async fn list_aliases(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Value, ApiError> {
    let w: ListAliasesWire = wire::decode(body)?;
    let mut v = Validator::new();
    let key_id = wire::key_id_member(&mut v, "keyId", &w.key_id, false);
    let limit = wire::limit(&mut v, w.limit, 100);
    wire::marker(&mut v, &w.marker);
    v.finish()?;
    let key_id = key_id.map(wire::key_reference).transpose()?;
    let page = kms
        .list_aliases(
            ctx,
            ListAliasesRequest {
                key_id,
                limit,
                marker: w.marker,
            },
        )
        .await?;
    let aliases: Vec<Value> = page
        .items
        .iter()
        .map(|a| {
            json!({
                "AliasName": a.alias_name.as_str(),
                "AliasArn": a.alias_arn,
                "TargetKeyId": a.target_key_id.to_string(),
                "CreationDate": wire::timestamp(a.creation_date),
                "LastUpdatedDate": wire::timestamp(a.last_updated_date),
            })
        })
        .collect();
    let mut out = json!({ "Aliases": aliases, "Truncated": page.next_marker.is_some() });
    if let Some(m) = page.next_marker {
        out["NextMarker"] = m.into();
    }
    Ok(out)
}
