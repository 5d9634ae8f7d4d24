//! CreateGrant, ListGrants, ListRetirableGrants, RetireGrant, RevokeGrant.

use super::wire;
use crate::error::ApiError;
use crate::validate::Validator;
use kmsd_model::{GrantConstraints, GrantId, GrantOperation};
use kmsd_service::operations::{
    CreateGrantRequest, GrantListEntry, ListGrantsRequest, ListRetirableGrantsRequest, Page,
    RetireGrantRequest, RevokeGrantRequest,
};
use kmsd_service::{Kms, KmsError, RequestContext};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

type ContextWire = Option<BTreeMap<String, Value>>;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ConstraintsWire {
    encryption_context_subset: ContextWire,
    encryption_context_equals: ContextWire,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateGrantWire {
    key_id: Option<String>,
    grantee_principal: Option<String>,
    retiring_principal: Option<String>,
    operations: Option<Vec<String>>,
    constraints: Option<ConstraintsWire>,
    grant_tokens: Option<Vec<String>>,
    name: Option<String>,
    dry_run: Option<bool>,
}

/// `GrantNameType`: 1–256 characters of `[a-zA-Z0-9:/_-]`.
fn grant_name(v: &mut Validator, name: &str) {
    v.length("name", name, 1, 256);
    v.pattern(
        "name",
        name,
        name.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b":/_-".contains(&b)),
        "^[a-zA-Z0-9:/_-]+$",
    );
}

/// A grant id member: 1–128 characters, then it must be one of ours.
fn grant_id(v: &mut Validator, member: &str, value: &str) -> Option<GrantId> {
    v.length(member, value, 1, 128);
    value.parse().ok()
}

fn invalid_grant_id(value: &str) -> KmsError {
    KmsError::InvalidGrantId(format!("Invalid grant ID: {value}"))
}

pub(crate) async fn create_grant(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Value, ApiError> {
    let w: CreateGrantWire = wire::decode(body)?;
    let mut v = Validator::new();
    let key_id = wire::key_id_member(&mut v, "keyId", &w.key_id, true);
    if let Some(p) = v.required("granteePrincipal", &w.grantee_principal) {
        v.length("granteePrincipal", p, 1, 256);
    }
    if let Some(p) = &w.retiring_principal {
        v.length("retiringPrincipal", p, 1, 256);
    }
    let mut operations = Vec::new();
    if let Some(ops) = v.required("operations", &w.operations) {
        for (i, op) in ops.iter().enumerate() {
            if let Some(op) = v.enumerated::<GrantOperation>(
                &format!("operations.{}.member", i + 1),
                op,
                GrantOperation::wire_values(),
            ) {
                operations.push(op);
            }
        }
    }
    if let Some(name) = &w.name {
        grant_name(&mut v, name);
    }
    wire::check_grant_tokens(&mut v, &w.grant_tokens);
    v.finish()?;
    if operations.is_empty() {
        return Err(KmsError::validation(
            "1 validation error detected: Value '[]' at 'operations' failed to satisfy constraint: Member must have length greater than or equal to 1",
        )
        .into());
    }
    let constraints = match w.constraints {
        Some(c) => GrantConstraints {
            encryption_context_equals: match c.encryption_context_equals {
                Some(map) => Some(wire::encryption_context(Some(map))?),
                None => None,
            },
            encryption_context_subset: match c.encryption_context_subset {
                Some(map) => Some(wire::encryption_context(Some(map))?),
                None => None,
            },
        },
        None => GrantConstraints::default(),
    };
    let req = CreateGrantRequest {
        key_id: wire::key_reference(key_id.unwrap_or_default())?,
        grantee_principal: w.grantee_principal.unwrap_or_default(),
        retiring_principal: w.retiring_principal,
        operations,
        constraints,
        name: w.name,
        dry_run: w.dry_run.unwrap_or(false),
    };
    wire::grant_tokens(kms, &w.grant_tokens)?;
    let out = kms.create_grant(ctx, req).await?;
    Ok(json!({
        "GrantToken": out.grant_token,
        "GrantId": out.grant_id.to_string(),
    }))
}

fn grant_entry(entry: &GrantListEntry) -> Value {
    let g = &entry.grant;
    let mut out = Map::new();
    out.insert("KeyId".into(), entry.key_arn.clone().into());
    out.insert("GrantId".into(), g.grant_id.to_string().into());
    if let Some(name) = &g.name {
        out.insert("Name".into(), name.clone().into());
    }
    out.insert("CreationDate".into(), wire::timestamp(g.created_at));
    out.insert(
        "GranteePrincipal".into(),
        g.grantee_principal.clone().into(),
    );
    if let Some(retiring) = &g.retiring_principal {
        out.insert("RetiringPrincipal".into(), retiring.clone().into());
    }
    out.insert(
        "IssuingAccount".into(),
        entry.issuing_account_arn.clone().into(),
    );
    out.insert(
        "Operations".into(),
        g.operations
            .iter()
            .map(|op| op.as_str())
            .collect::<Vec<_>>()
            .into(),
    );
    if !g.constraints.is_empty() {
        let mut c = Map::new();
        if let Some(ec) = &g.constraints.encryption_context_equals {
            c.insert("EncryptionContextEquals".into(), json!(ec.pairs()));
        }
        if let Some(ec) = &g.constraints.encryption_context_subset {
            c.insert("EncryptionContextSubset".into(), json!(ec.pairs()));
        }
        out.insert("Constraints".into(), Value::Object(c));
    }
    Value::Object(out)
}

fn grant_page(page: &Page<GrantListEntry>) -> Value {
    let mut out = json!({
        "Grants": page.items.iter().map(grant_entry).collect::<Vec<_>>(),
        "Truncated": page.next_marker.is_some(),
    });
    if let Some(m) = &page.next_marker {
        out["NextMarker"] = m.clone().into();
    }
    out
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListGrantsWire {
    limit: Option<i64>,
    marker: Option<String>,
    key_id: Option<String>,
    grant_id: Option<String>,
    grantee_principal: Option<String>,
}

pub(crate) async fn list_grants(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Value, ApiError> {
    let w: ListGrantsWire = wire::decode(body)?;
    let mut v = Validator::new();
    let limit = wire::limit(&mut v, w.limit, 100);
    wire::marker(&mut v, &w.marker);
    let key_id = wire::key_id_member(&mut v, "keyId", &w.key_id, true);
    let id = w
        .grant_id
        .as_deref()
        .map(|g| (g, grant_id(&mut v, "grantId", g)));
    if let Some(p) = &w.grantee_principal {
        v.length("granteePrincipal", p, 1, 256);
    }
    v.finish()?;
    let grant_id = match id {
        Some((_, Some(id))) => Some(id),
        Some((text, None)) => return Err(invalid_grant_id(text).into()),
        None => None,
    };
    let req = ListGrantsRequest {
        key_id: wire::key_reference(key_id.unwrap_or_default())?,
        grant_id,
        grantee_principal: w.grantee_principal,
        limit,
        marker: w.marker,
    };
    Ok(grant_page(&kms.list_grants(ctx, req).await?))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListRetirableGrantsWire {
    limit: Option<i64>,
    marker: Option<String>,
    retiring_principal: Option<String>,
}

pub(crate) async fn list_retirable_grants(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Value, ApiError> {
    let w: ListRetirableGrantsWire = wire::decode(body)?;
    let mut v = Validator::new();
    let limit = wire::limit(&mut v, w.limit, 100);
    wire::marker(&mut v, &w.marker);
    if let Some(p) = v.required("retiringPrincipal", &w.retiring_principal) {
        v.length("retiringPrincipal", p, 1, 256);
    }
    v.finish()?;
    let req = ListRetirableGrantsRequest {
        retiring_principal: w.retiring_principal.unwrap_or_default(),
        limit,
        marker: w.marker,
    };
    Ok(grant_page(&kms.list_retirable_grants(ctx, req).await?))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RetireGrantWire {
    grant_token: Option<String>,
    key_id: Option<String>,
    grant_id: Option<String>,
    dry_run: Option<bool>,
}

pub(crate) async fn retire_grant(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Value, ApiError> {
    let w: RetireGrantWire = wire::decode(body)?;
    let mut v = Validator::new();
    if let Some(t) = &w.grant_token {
        v.length("grantToken", t, 1, 8192);
    }
    let key_id = wire::key_id_member(&mut v, "keyId", &w.key_id, false);
    let id = w
        .grant_id
        .as_deref()
        .map(|g| (g, grant_id(&mut v, "grantId", g)));
    v.finish()?;
    let grant_id = match id {
        Some((_, Some(id))) => Some(id),
        Some((text, None)) => return Err(invalid_grant_id(text).into()),
        None => None,
    };
    let key_id = match key_id {
        Some(k) => Some(wire::key_reference(k)?),
        None => None,
    };
    kms.retire_grant(
        ctx,
        RetireGrantRequest {
            grant_token: w.grant_token,
            key_id,
            grant_id,
            dry_run: w.dry_run.unwrap_or(false),
        },
    )
    .await?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RevokeGrantWire {
    key_id: Option<String>,
    grant_id: Option<String>,
    dry_run: Option<bool>,
}

pub(crate) async fn revoke_grant(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Value, ApiError> {
    let w: RevokeGrantWire = wire::decode(body)?;
    let mut v = Validator::new();
    let key_id = wire::key_id_member(&mut v, "keyId", &w.key_id, true);
    let id = v
        .required("grantId", &w.grant_id)
        .map(|g| (g.as_str(), grant_id(&mut v, "grantId", g)));
    v.finish()?;
    let grant_id = match id {
        Some((_, Some(id))) => id,
        Some((text, None)) => return Err(invalid_grant_id(text).into()),
        None => return Err(invalid_grant_id("").into()),
    };
    kms.revoke_grant(
        ctx,
        RevokeGrantRequest {
            key_id: wire::key_reference(key_id.unwrap_or_default())?,
            grant_id,
            dry_run: w.dry_run.unwrap_or(false),
        },
    )
    .await?;
    Ok(json!({}))
}
