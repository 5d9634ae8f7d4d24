use crate::operations::Page;
use crate::operations::key_rotation::check_rotatable;
use crate::resolve::Aliases;
use crate::{Kms, KmsError, RequestContext, marker};
use kmsd_model::{BackingKeyId, KeyReference, RotationType, Timestamp};

#[derive(Debug, Clone)]
pub struct ListKeyRotationsRequest {
    pub key_id: KeyReference,
    /// `ALL_KEY_MATERIAL` adds the first material; the default lists rotations only.
    pub include_all_key_material: bool,
    /// 1–1000, default 100 (checked at the edge).
    pub limit: Option<usize>,
    pub marker: Option<String>,
}

/// One version of a key's material.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyRotationEntry {
    pub key_id: String,
    pub key_material_id: BackingKeyId,
    pub current: bool,
    /// Absent for the first material.
    pub rotation_date: Option<Timestamp>,
    pub rotation_type: Option<RotationType>,
}

const MARKER_KIND: &str = "rotations";

impl Kms {
    pub async fn list_key_rotations(
        &self,
        ctx: &RequestContext,
        req: ListKeyRotationsRequest,
    ) -> Result<Page<KeyRotationEntry>, KmsError> {
        let key = self.resolve(ctx, &req.key_id, Aliases::Refused).await?;
        self.authorize(
            ctx,
            &key,
            "kms:ListKeyRotations",
            crate::authorize::RequestFacts::default(),
        )
        .await?;
        check_rotatable(&key)?;
        let start = match &req.marker {
            Some(m) => marker::decode(MARKER_KIND, m)?
                .parse::<usize>()
                .map_err(|_| KmsError::InvalidMarker)?,
            None => 0,
        };
        let limit = req.limit.unwrap_or(100);
        let entries: Vec<KeyRotationEntry> = self
            .store
            .backing_keys(key.record.key_id)
            .await?
            .into_iter()
            .filter(|b| req.include_all_key_material || b.rotation_type.is_some())
            .map(|b| KeyRotationEntry {
                key_id: key.record.key_id.to_string(),
                key_material_id: b.backing_key_id,
                current: b.backing_key_id == key.record.current_backing_key,
                rotation_date: b.rotation_type.map(|_| b.created_at),
                rotation_type: b.rotation_type,
            })
            .collect();
        let total = entries.len();
        let items: Vec<KeyRotationEntry> = entries.into_iter().skip(start).take(limit).collect();
        let end = start + items.len();
        let next_marker = (end < total).then(|| marker::encode(MARKER_KIND, &end.to_string()));
        Ok(Page { items, next_marker })
    }
}
