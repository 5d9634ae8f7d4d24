//! EnableKeyRotation, DisableKeyRotation, GetKeyRotationStatus, RotateKeyOnDemand,
//! ListKeyRotations, ScheduleKeyDeletion, CancelKeyDeletion, GetKeyLastUsage.

use super::keys::key_id_only;
use super::wire;
use crate::error::ApiError;
use crate::validate::Validator;
use kmsd_service::operations::{
    EnableKeyRotationRequest, ListKeyRotationsRequest, ScheduleKeyDeletionRequest,
};
use kmsd_service::{Kms, RequestContext};
use serde::Deserialize;
use serde_json::{Map, Value, json};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct EnableKeyRotationWire {
    key_id: Option<String>,
    rotation_period_in_days: Option<i64>,
}

pub(crate) async fn enable_key_rotation(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Value, ApiError> {
    let w: EnableKeyRotationWire = wire::decode(body)?;
    let mut v = Validator::new();
    let key_id = wire::key_id_member(&mut v, "keyId", &w.key_id, true);
    let period = w
        .rotation_period_in_days
        .and_then(|d| v.range("rotationPeriodInDays", d, 90, 2560));
    v.finish()?;
    let req = EnableKeyRotationRequest {
        key_id: wire::key_reference(key_id.unwrap_or_default())?,
        rotation_period_days: period.and_then(|d| u32::try_from(d).ok()),
    };
    kms.enable_key_rotation(ctx, req).await?;
    Ok(json!({}))
}

pub(crate) async fn disable_key_rotation(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Value, ApiError> {
    kms.disable_key_rotation(ctx, key_id_only(body)?).await?;
    Ok(json!({}))
}

pub(crate) async fn get_key_rotation_status(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Value, ApiError> {
    let status = kms.get_key_rotation_status(ctx, key_id_only(body)?).await?;
    let mut out = json!({
        "KeyRotationEnabled": status.enabled,
        "KeyId": status.key_arn,
    });
    if let Some(days) = status.rotation_period_days {
        out["RotationPeriodInDays"] = days.into();
    }
    if let Some(next) = status.next_rotation_date {
        out["NextRotationDate"] = wire::timestamp(next);
    }
    Ok(out)
}

pub(crate) async fn rotate_key_on_demand(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Value, ApiError> {
    let key_id = kms.rotate_key_on_demand(ctx, key_id_only(body)?).await?;
    Ok(json!({ "KeyId": key_id }))
}

/// `IncludeKeyMaterial`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IncludeKeyMaterial {
    All,
    RotationsOnly,
}

impl IncludeKeyMaterial {
    const VALUES: &[&str] = &["ALL_KEY_MATERIAL", "ROTATIONS_ONLY"];
}

impl std::str::FromStr for IncludeKeyMaterial {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "ALL_KEY_MATERIAL" => Ok(IncludeKeyMaterial::All),
            "ROTATIONS_ONLY" => Ok(IncludeKeyMaterial::RotationsOnly),
            _ => Err(()),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListKeyRotationsWire {
    key_id: Option<String>,
    include_key_material: Option<String>,
    limit: Option<i64>,
    marker: Option<String>,
}

pub(crate) async fn list_key_rotations(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Value, ApiError> {
    let w: ListKeyRotationsWire = wire::decode(body)?;
    let mut v = Validator::new();
    let key_id = wire::key_id_member(&mut v, "keyId", &w.key_id, true);
    let limit = wire::limit(&mut v, w.limit, 1000);
    wire::marker(&mut v, &w.marker);
    let include_all = w
        .include_key_material
        .as_deref()
        .and_then(|i| {
            v.enumerated::<IncludeKeyMaterial>("includeKeyMaterial", i, IncludeKeyMaterial::VALUES)
        })
        .is_some_and(|i| i == IncludeKeyMaterial::All);
    v.finish()?;
    let page = kms
        .list_key_rotations(
            ctx,
            ListKeyRotationsRequest {
                key_id: wire::key_reference(key_id.unwrap_or_default())?,
                include_all_key_material: include_all,
                limit,
                marker: w.marker,
            },
        )
        .await?;
    let rotations: Vec<Value> = page
        .items
        .iter()
        .map(|r| {
            let mut e = Map::new();
            e.insert("KeyId".into(), r.key_id.clone().into());
            e.insert("KeyMaterialId".into(), r.key_material_id.to_string().into());
            e.insert(
                "KeyMaterialState".into(),
                if r.current { "CURRENT" } else { "NON_CURRENT" }.into(),
            );
            if let Some(date) = r.rotation_date {
                e.insert("RotationDate".into(), wire::timestamp(date));
            }
            if let Some(kind) = r.rotation_type {
                e.insert("RotationType".into(), kind.as_str().into());
            }
            Value::Object(e)
        })
        .collect();
    let mut out = json!({
        "Rotations": rotations,
        "Truncated": page.next_marker.is_some(),
    });
    if let Some(m) = page.next_marker {
        out["NextMarker"] = m.into();
    }
    Ok(out)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ScheduleKeyDeletionWire {
    key_id: Option<String>,
    pending_window_in_days: Option<i64>,
}

pub(crate) async fn schedule_key_deletion(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Value, ApiError> {
    let w: ScheduleKeyDeletionWire = wire::decode(body)?;
    let mut v = Validator::new();
    let key_id = wire::key_id_member(&mut v, "keyId", &w.key_id, true);
    // The model allows 1–365; AWS enforces its documented 7–30.
    let window = w
        .pending_window_in_days
        .and_then(|d| v.range("pendingWindowInDays", d, 7, 30));
    v.finish()?;
    let out = kms
        .schedule_key_deletion(
            ctx,
            ScheduleKeyDeletionRequest {
                key_id: wire::key_reference(key_id.unwrap_or_default())?,
                pending_window_days: window.and_then(|d| u32::try_from(d).ok()),
            },
        )
        .await?;
    Ok(json!({
        "KeyId": out.key_arn,
        "DeletionDate": wire::timestamp(out.deletion_date),
        "KeyState": "PendingDeletion",
        "PendingWindowInDays": out.pending_window_days,
    }))
}

pub(crate) async fn cancel_key_deletion(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Value, ApiError> {
    let key_arn = kms.cancel_key_deletion(ctx, key_id_only(body)?).await?;
    Ok(json!({ "KeyId": key_arn }))
}

pub(crate) async fn get_key_last_usage(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Value, ApiError> {
    let out = kms.get_key_last_usage(ctx, key_id_only(body)?).await?;
    let mut usage = Map::new();
    if let Some(u) = &out.last_usage {
        usage.insert("Operation".into(), u.operation.as_str().into());
        usage.insert("Timestamp".into(), wire::timestamp(u.used_at));
        usage.insert("KmsRequestId".into(), u.request_id.clone().into());
    }
    Ok(json!({
        "KeyId": out.key_id,
        "KeyLastUsage": Value::Object(usage),
        "TrackingStartDate": wire::timestamp(out.tracking_start_date),
        "KeyCreationDate": wire::timestamp(out.key_creation_date),
    }))
}
