//! Decoding rows back into domain types. Anything that does not decode is
//! [`StoreError::Corrupt`], naming the column; nothing here panics.

use std::str::FromStr;

use kmsd_model::Timestamp;
use rusqlite::Row;
use rusqlite::types::ValueRef;

use super::backend;
use crate::{AliasRecord, BackingKeyRecord, KeyRecord, StoreError, Tag};

fn value<'r>(row: &'r Row<'_>, idx: usize) -> Result<ValueRef<'r>, StoreError> {
    row.get_ref(idx).map_err(backend)
}

/// A TEXT column.
pub(super) fn text(row: &Row<'_>, idx: usize, column: &'static str) -> Result<String, StoreError> {
    match value(row, idx)? {
        ValueRef::Text(bytes) => std::str::from_utf8(bytes)
            .map(str::to_owned)
            .map_err(|_| StoreError::Corrupt { column }),
        _ => Err(StoreError::Corrupt { column }),
    }
}

/// A nullable TEXT column.
pub(super) fn opt_text(
    row: &Row<'_>,
    idx: usize,
    column: &'static str,
) -> Result<Option<String>, StoreError> {
    match value(row, idx)? {
        ValueRef::Null => Ok(None),
        _ => text(row, idx, column).map(Some),
    }
}

/// A TEXT column holding a value's string form.
pub(super) fn parse<T: FromStr>(
    row: &Row<'_>,
    idx: usize,
    column: &'static str,
) -> Result<T, StoreError> {
    let ValueRef::Text(bytes) = value(row, idx)? else {
        return Err(StoreError::Corrupt { column });
    };
    std::str::from_utf8(bytes)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or(StoreError::Corrupt { column })
}

/// An INTEGER column holding milliseconds.
pub(super) fn timestamp(
    row: &Row<'_>,
    idx: usize,
    column: &'static str,
) -> Result<Timestamp, StoreError> {
    match value(row, idx)? {
        ValueRef::Integer(ms) => Ok(Timestamp::from_millis(ms)),
        _ => Err(StoreError::Corrupt { column }),
    }
}

/// A nullable INTEGER column holding milliseconds.
fn opt_timestamp(
    row: &Row<'_>,
    idx: usize,
    column: &'static str,
) -> Result<Option<Timestamp>, StoreError> {
    match value(row, idx)? {
        ValueRef::Null => Ok(None),
        ValueRef::Integer(ms) => Ok(Some(Timestamp::from_millis(ms))),
        _ => Err(StoreError::Corrupt { column }),
    }
}

/// A BLOB column.
fn blob(row: &Row<'_>, idx: usize, column: &'static str) -> Result<Vec<u8>, StoreError> {
    match value(row, idx)? {
        ValueRef::Blob(bytes) => Ok(bytes.to_vec()),
        _ => Err(StoreError::Corrupt { column }),
    }
}

/// A row of `SELECT {KEY_COLUMNS} FROM keys`.
pub(super) fn key_record(row: &Row<'_>) -> Result<KeyRecord, StoreError> {
    Ok(KeyRecord {
        key_id: parse(row, 0, "keys.key_id")?,
        account: parse(row, 1, "keys.account")?,
        region: parse(row, 2, "keys.region")?,
        description: text(row, 3, "keys.description")?,
        key_spec: parse(row, 4, "keys.key_spec")?,
        key_usage: parse(row, 5, "keys.key_usage")?,
        origin: parse(row, 6, "keys.origin")?,
        state: parse(row, 7, "keys.state")?,
        created_at: timestamp(row, 8, "keys.created_at")?,
        deletion_date: opt_timestamp(row, 9, "keys.deletion_date")?,
        policy: text(row, 10, "keys.policy")?,
        current_backing_key: parse(row, 11, "keys.current_backing_key")?,
        rotation: rotation(row, 12, 13)?,
    })
}

/// The two rotation columns: both NULL (off) or both set.
fn rotation(
    row: &Row<'_>,
    period: usize,
    next: usize,
) -> Result<Option<crate::RotationSchedule>, StoreError> {
    match (
        value(row, period)?,
        opt_timestamp(row, next, "keys.next_rotation_at")?,
    ) {
        (ValueRef::Null, None) => Ok(None),
        (ValueRef::Integer(days), Some(next_rotation_at)) => Ok(Some(crate::RotationSchedule {
            period_days: u32::try_from(days).map_err(|_| StoreError::Corrupt {
                column: "keys.rotation_period_days",
            })?,
            next_rotation_at,
        })),
        _ => Err(StoreError::Corrupt {
            column: "keys.rotation_period_days",
        }),
    }
}

/// A row of `SELECT {BACKING_KEY_COLUMNS} FROM backing_keys`.
pub(super) fn backing_key_record(row: &Row<'_>) -> Result<BackingKeyRecord, StoreError> {
    Ok(BackingKeyRecord {
        key_id: parse(row, 0, "backing_keys.key_id")?,
        backing_key_id: parse(row, 1, "backing_keys.backing_key_id")?,
        encrypted_key_token: blob(row, 2, "backing_keys.ekt")?,
        created_at: timestamp(row, 3, "backing_keys.created_at")?,
        rotation_type: match value(row, 4)? {
            ValueRef::Null => None,
            _ => Some(parse(row, 4, "backing_keys.rotation_type")?),
        },
    })
}

/// A row of `SELECT {ALIAS_COLUMNS} FROM aliases`.
pub(super) fn alias_record(row: &Row<'_>) -> Result<AliasRecord, StoreError> {
    Ok(AliasRecord {
        account: parse(row, 0, "aliases.account")?,
        region: parse(row, 1, "aliases.region")?,
        name: parse(row, 2, "aliases.name")?,
        target_key_id: parse(row, 3, "aliases.target_key_id")?,
        created_at: timestamp(row, 4, "aliases.created_at")?,
        updated_at: timestamp(row, 5, "aliases.updated_at")?,
    })
}

/// A row of `SELECT tag_key, tag_value FROM tags`.
pub(super) fn tag(row: &Row<'_>) -> Result<Tag, StoreError> {
    Ok(Tag {
        key: text(row, 0, "tags.tag_key")?,
        value: text(row, 1, "tags.tag_value")?,
    })
}
