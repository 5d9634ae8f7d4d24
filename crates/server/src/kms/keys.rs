//! CreateKey, DescribeKey, ListKeys, UpdateKeyDescription, EnableKey, DisableKey.

use super::wire::{self, TagWire};
use crate::error::ApiError;
use crate::validate::Validator;
use kmsd_model::{KeySpec, KeyUsage, Origin};
use kmsd_service::operations::{
    CreateKeyRequest, DescribeKeyRequest, ListKeysRequest, UpdateKeyDescriptionRequest,
};
use kmsd_service::{AlgorithmLists, KeyMetadata, Kms, RequestContext};
use serde::Deserialize;
use serde_json::{Value, json};

pub(crate) fn key_metadata(m: &KeyMetadata) -> Value {
    let mut out = json!({
        "AWSAccountId": m.account.as_str(),
        "KeyId": m.key_id.to_string(),
        "Arn": m.arn,
        "CreationDate": wire::timestamp(m.creation_date),
        "Enabled": m.enabled,
        "Description": m.description,
        "KeyUsage": m.key_usage.as_str(),
        "KeyState": m.key_state.as_str(),
        "Origin": m.origin.as_str(),
        "KeyManager": m.key_manager.as_str(),
        "KeySpec": m.key_spec.as_str(),
        "MultiRegion": m.multi_region,
    });
    if m.key_spec.is_customer_master_key_spec() {
        // The deprecated twin has no ML-DSA or Ed25519 value: left out for those keys.
        out["CustomerMasterKeySpec"] = m.key_spec.as_str().into();
    }
    let algorithms = AlgorithmLists {
        encryption: m.encryption_algorithms.clone(),
        signing: m.signing_algorithms.clone(),
        mac: m.mac_algorithms.clone(),
        key_agreement: m.key_agreement_algorithms.clone(),
    };
    algorithm_lists(&mut out, &algorithms);
    if let Some(d) = m.deletion_date {
        out["DeletionDate"] = wire::timestamp(d);
    }
    if let Some(id) = m.current_key_material_id {
        out["CurrentKeyMaterialId"] = id.to_string().into();
    }
    out
}

/// `EncryptionAlgorithms`, `SigningAlgorithms`, `MacAlgorithms`, `KeyAgreementAlgorithms`: each
/// only when the key has that usage.
pub(crate) fn algorithm_lists(out: &mut Value, lists: &AlgorithmLists) {
    fn put<T: std::fmt::Display>(out: &mut Value, member: &str, list: &[T]) {
        if !list.is_empty() {
            out[member] = list
                .iter()
                .map(|a| a.to_string())
                .collect::<Vec<_>>()
                .into();
        }
    }
    put(out, "EncryptionAlgorithms", &lists.encryption);
    put(out, "SigningAlgorithms", &lists.signing);
    put(out, "MacAlgorithms", &lists.mac);
    put(out, "KeyAgreementAlgorithms", &lists.key_agreement);
}

/// A value of the deprecated `CustomerMasterKeySpec` enum: a `KeySpec` without the ML-DSA and
/// Ed25519 values.
struct CustomerMasterKeySpec(KeySpec);

impl std::str::FromStr for CustomerMasterKeySpec {
    type Err = kmsd_model::UnknownEnumValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.parse::<KeySpec>() {
            Ok(spec) if spec.is_customer_master_key_spec() => Ok(CustomerMasterKeySpec(spec)),
            _ => Err(kmsd_model::UnknownEnumValue {
                value: s.to_owned(),
            }),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateKeyWire {
    policy: Option<String>,
    description: Option<String>,
    key_usage: Option<String>,
    customer_master_key_spec: Option<String>,
    key_spec: Option<String>,
    origin: Option<String>,
    custom_key_store_id: Option<String>,
    bypass_policy_lockout_safety_check: Option<bool>,
    tags: Option<Vec<TagWire>>,
    multi_region: Option<bool>,
    xks_key_id: Option<String>,
}

pub(crate) async fn create_key(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Value, ApiError> {
    let w: CreateKeyWire = wire::decode(body)?;
    let mut v = Validator::new();
    if let Some(p) = &w.policy {
        v.length("policy", p, 1, 131_072);
    }
    if let Some(d) = &w.description {
        v.length("description", d, 0, 8192);
    }
    let key_usage = w
        .key_usage
        .as_deref()
        .and_then(|u| v.enumerated::<KeyUsage>("keyUsage", u, KeyUsage::wire_values()));
    let cmk_spec = w.customer_master_key_spec.as_deref().and_then(|s| {
        v.enumerated::<CustomerMasterKeySpec>(
            "customerMasterKeySpec",
            s,
            &KeySpec::customer_master_key_spec_values(),
        )
        .map(|c| c.0)
    });
    let key_spec = w
        .key_spec
        .as_deref()
        .and_then(|s| v.enumerated::<KeySpec>("keySpec", s, KeySpec::wire_values()));
    let origin = w
        .origin
        .as_deref()
        .and_then(|o| v.enumerated::<Origin>("origin", o, Origin::wire_values()));
    if let Some(id) = &w.custom_key_store_id {
        v.length("customKeyStoreId", id, 1, 64);
    }
    if let Some(id) = &w.xks_key_id {
        v.length("xksKeyId", id, 1, 128);
    }
    let tags = wire::tags(&mut v, w.tags);
    v.finish()?;
    if w.customer_master_key_spec.is_some() && w.key_spec.is_some() {
        return Err(kmsd_service::KmsError::validation(
            "You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec is deprecated.",
        )
        .into());
    }
    let req = CreateKeyRequest {
        policy: w.policy,
        description: w.description,
        key_usage,
        key_spec: key_spec.or(cmk_spec),
        origin,
        custom_key_store_id: w.custom_key_store_id,
        bypass_policy_lockout_safety_check: w.bypass_policy_lockout_safety_check.unwrap_or(false),
        tags,
        multi_region: w.multi_region.unwrap_or(false),
        xks_key_id: w.xks_key_id,
    };
    let metadata = kms.create_key(ctx, req).await?;
    Ok(json!({ "KeyMetadata": key_metadata(&metadata) }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct KeyIdWire {
    key_id: Option<String>,
    grant_tokens: Option<Vec<String>>,
}

pub(crate) async fn describe_key(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Value, ApiError> {
    let w: KeyIdWire = wire::decode(body)?;
    let mut v = Validator::new();
    let key_id = wire::key_id_member(&mut v, "keyId", &w.key_id, true);
    wire::check_grant_tokens(&mut v, &w.grant_tokens);
    v.finish()?;
    let key_id = wire::key_reference(key_id.unwrap_or_default())?;
    wire::grant_tokens(kms, &w.grant_tokens)?;
    let metadata = kms.describe_key(ctx, DescribeKeyRequest { key_id }).await?;
    Ok(json!({ "KeyMetadata": key_metadata(&metadata) }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListKeysWire {
    limit: Option<i64>,
    marker: Option<String>,
}

pub(crate) async fn list_keys(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Value, ApiError> {
    let w: ListKeysWire = wire::decode(body)?;
    let mut v = Validator::new();
    let limit = wire::limit(&mut v, w.limit, 1000);
    wire::marker(&mut v, &w.marker);
    v.finish()?;
    let page = kms
        .list_keys(
            ctx,
            ListKeysRequest {
                limit,
                marker: w.marker,
            },
        )
        .await?;
    let keys: Vec<Value> = page
        .items
        .iter()
        .map(|k| json!({ "KeyId": k.key_id.to_string(), "KeyArn": k.key_arn }))
        .collect();
    let mut out = json!({ "Keys": keys, "Truncated": page.next_marker.is_some() });
    if let Some(m) = page.next_marker {
        out["NextMarker"] = m.into();
    }
    Ok(out)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateKeyDescriptionWire {
    key_id: Option<String>,
    description: Option<String>,
}

pub(crate) async fn update_key_description(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Value, ApiError> {
    let w: UpdateKeyDescriptionWire = wire::decode(body)?;
    let mut v = Validator::new();
    let key_id = wire::key_id_member(&mut v, "keyId", &w.key_id, true);
    if let Some(d) = v.required("description", &w.description) {
        v.length("description", d, 0, 8192);
    }
    v.finish()?;
    let key_id = wire::key_reference(key_id.unwrap_or_default())?;
    let description = w.description.unwrap_or_default();
    kms.update_key_description(
        ctx,
        UpdateKeyDescriptionRequest {
            key_id,
            description,
        },
    )
    .await?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct KeyIdOnlyWire {
    key_id: Option<String>,
}

pub(crate) fn key_id_only(body: &[u8]) -> Result<kmsd_model::KeyReference, ApiError> {
    let w: KeyIdOnlyWire = wire::decode(body)?;
    let mut v = Validator::new();
    let key_id = wire::key_id_member(&mut v, "keyId", &w.key_id, true);
    v.finish()?;
    Ok(wire::key_reference(key_id.unwrap_or_default())?)
}

pub(crate) async fn enable_key(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Value, ApiError> {
    kms.enable_key(ctx, key_id_only(body)?).await?;
    Ok(json!({}))
}

pub(crate) async fn disable_key(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Value, ApiError> {
    kms.disable_key(ctx, key_id_only(body)?).await?;
    Ok(json!({}))
}
