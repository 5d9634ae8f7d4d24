//! Rotation, scheduled deletion and usage tracking: plain functions over a connection, run by
//! `impl Store for SqliteStore` on the blocking pool.
//!
//! Exactly once across processes: a rotation is a compare-and-set on the key's schedule, and a
//! deletion deletes only a key that is still pending deletion and due, both inside one
//! `BEGIN IMMEDIATE` transaction (SQLite's single writer lock; the transaction of the write's
//! group, the work in its own savepoint). Whoever commits first does the work; the others see
//! that it is done.
//!
//! Erasure: `secure_delete=ON` zeroes freed pages of the main database file, but WAL frames
//! written before the delete still hold the old pages until a checkpoint overwrites and
//! truncates the WAL. After a key's deletion is committed the WAL is checkpointed with
//! `TRUNCATE` ([`checkpoint_truncate`], run outside any transaction by
//! `SqliteStore::delete_key_if_due`), so the encrypted key tokens exist nowhere in the
//! database's files.

use kmsd_model::{KeyId, RotationType, Timestamp};
use rusqlite::{Connection, params};

use super::{backend, decode, immediate, key_scope, sql_int};
use crate::{BackingKeyRecord, KeyUsageRecord, RotationSchedule, StoreError};

pub(super) fn insert_backing_key(
    tx: &Connection,
    backing_key: &BackingKeyRecord,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO backing_keys (key_id, backing_key_id, ekt, created_at, rotation_type)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            backing_key.key_id.to_string(),
            backing_key.backing_key_id.to_string(),
            backing_key.encrypted_key_token,
            backing_key.created_at.millis(),
            backing_key.rotation_type.map(RotationType::as_str),
        ],
    )
    .map_err(backend)?;
    Ok(())
}

fn schedule_params(rotation: Option<RotationSchedule>) -> (Option<i64>, Option<i64>) {
    (
        rotation.map(|r| i64::from(r.period_days)),
        rotation.map(|r| r.next_rotation_at.millis()),
    )
}

pub(super) fn set_rotation(
    conn: &mut Connection,
    key_id: KeyId,
    rotation: Option<RotationSchedule>,
) -> Result<(), StoreError> {
    let (period, next) = schedule_params(rotation);
    let changed = conn
        .execute(
            "UPDATE keys SET rotation_period_days = ?2, next_rotation_at = ?3 WHERE key_id = ?1",
            params![key_id.to_string(), period, next],
        )
        .map_err(backend)?;
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub(super) fn rotate(
    conn: &mut Connection,
    backing_key: &BackingKeyRecord,
    expected: Option<RotationSchedule>,
    next: Option<RotationSchedule>,
    max_on_demand: usize,
) -> Result<bool, StoreError> {
    let tx = immediate(conn)?;
    let key_id = backing_key.key_id.to_string();
    key_scope(&tx, &key_id)?;
    if backing_key.rotation_type == Some(RotationType::OnDemand) {
        let done: i64 = tx
            .query_row(
                "SELECT COUNT(*) FROM backing_keys WHERE key_id = ?1 AND rotation_type = ?2",
                params![key_id, RotationType::OnDemand.as_str()],
                |row| row.get(0),
            )
            .map_err(backend)?;
        if done >= sql_int(max_on_demand) {
            return Err(StoreError::LimitExceeded);
        }
    }
    let (expected_period, expected_next) = schedule_params(expected);
    let (next_period, next_at) = schedule_params(next);
    // `IS` compares NULLs as equal, so "rotation was off" is a schedule to compare too.
    let changed = tx
        .execute(
            "UPDATE keys SET current_backing_key = ?2, rotation_period_days = ?3,
                             next_rotation_at = ?4
             WHERE key_id = ?1 AND rotation_period_days IS ?5 AND next_rotation_at IS ?6",
            params![
                key_id,
                backing_key.backing_key_id.to_string(),
                next_period,
                next_at,
                expected_period,
                expected_next,
            ],
        )
        .map_err(backend)?;
    if changed == 0 {
        // Someone else changed the schedule first (or already ran this rotation).
        return Ok(false);
    }
    insert_backing_key(&tx, backing_key)?;
    tx.commit().map_err(backend)?;
    Ok(true)
}

pub(super) fn due_rotations(
    conn: &Connection,
    now: Timestamp,
    limit: usize,
) -> Result<Vec<(KeyId, RotationSchedule)>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT key_id, rotation_period_days, next_rotation_at FROM keys
             WHERE next_rotation_at <= ?1 AND state = 'Enabled'
             ORDER BY next_rotation_at LIMIT ?2",
        )
        .map_err(backend)?;
    let mut rows = stmt
        .query(params![now.millis(), sql_int(limit)])
        .map_err(backend)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(backend)? {
        let key_id: KeyId = decode::parse(row, 0, "keys.key_id")?;
        let period: i64 = row.get(1).map_err(backend)?;
        let next: i64 = row.get(2).map_err(backend)?;
        out.push((
            key_id,
            RotationSchedule {
                period_days: u32::try_from(period).map_err(|_| StoreError::Corrupt {
                    column: "keys.rotation_period_days",
                })?,
                next_rotation_at: Timestamp::from_millis(next),
            },
        ));
    }
    Ok(out)
}

pub(super) fn due_deletions(
    conn: &Connection,
    now: Timestamp,
    limit: usize,
) -> Result<Vec<KeyId>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT key_id FROM keys
             WHERE deletion_date <= ?1 AND state = 'PendingDeletion'
             ORDER BY deletion_date LIMIT ?2",
        )
        .map_err(backend)?;
    let mut rows = stmt
        .query(params![now.millis(), sql_int(limit)])
        .map_err(backend)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(backend)? {
        out.push(decode::parse(row, 0, "keys.key_id")?);
    }
    Ok(out)
}

pub(super) fn delete_key_if_due(
    conn: &mut Connection,
    key_id: KeyId,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let tx = immediate(conn)?;
    let id = key_id.to_string();
    let due: i64 = tx
        .query_row(
            "SELECT COUNT(*) FROM keys
             WHERE key_id = ?1 AND state = 'PendingDeletion' AND deletion_date <= ?2",
            params![id, now.millis()],
            |row| row.get(0),
        )
        .map_err(backend)?;
    if due == 0 {
        return Ok(false);
    }
    for sql in [
        "DELETE FROM grant_constraints WHERE grant_id IN (SELECT grant_id FROM grants WHERE key_id = ?1)",
        "DELETE FROM grants WHERE key_id = ?1",
        "DELETE FROM aliases WHERE target_key_id = ?1",
        "DELETE FROM tags WHERE key_id = ?1",
        "DELETE FROM key_last_usage WHERE key_id = ?1",
    ] {
        tx.execute(sql, [&id]).map_err(backend)?;
    }
    // The tokens first: they refer to the key at once, while the key's reference to its
    // current backing key is checked only at commit.
    tx.execute("DELETE FROM backing_keys WHERE key_id = ?1", [&id])
        .map_err(backend)?;
    tx.execute("DELETE FROM keys WHERE key_id = ?1", [&id])
        .map_err(backend)?;
    tx.commit().map_err(backend)?;
    Ok(true)
}

/// Copies every WAL frame into the database file (where `secure_delete` has zeroed the freed
/// pages) and truncates the WAL to nothing. Outside any transaction: run it after the
/// deletion's group has committed.
pub(super) fn checkpoint_truncate(conn: &Connection) -> Result<(), StoreError> {
    let (busy, _, _): (i64, i64, i64) = conn
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })
        .map_err(backend)?;
    if busy != 0 {
        // A reader in another process holds an old snapshot; the next deletion's checkpoint
        // (or SQLite's own at close) finishes the job. Say so: erasure is not yet complete.
        tracing::warn!("WAL checkpoint after a key deletion was blocked by a reader");
    }
    Ok(())
}

/// Runs alone (not in a group: [`super::SqliteStore::write_alone`]), in a transaction of its
/// own. A flush can carry a row for every key used in the last few seconds — 50,000 under a
/// load spread over 100,000 keys — and run inside a group's savepoints SQLite keeps every
/// statement's journal until the outer savepoint is released, which took over a third of the
/// process's CPU; nothing waits on this write, so it gains nothing from sharing a commit.
pub(super) fn record_usage(
    conn: &mut Connection,
    usage: &[KeyUsageRecord],
) -> Result<(), StoreError> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(backend)?;
    {
        let mut stmt = tx
            .prepare_cached(
                "INSERT INTO key_last_usage (key_id, used_at, operation, request_id)
                 SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM keys WHERE key_id = ?1)
                 ON CONFLICT (key_id) DO UPDATE SET used_at = excluded.used_at,
                     operation = excluded.operation, request_id = excluded.request_id
                 WHERE excluded.used_at >= key_last_usage.used_at",
            )
            .map_err(backend)?;
        // In key order: consecutive rows then share the B-tree pages of both tables' key
        // indexes instead of each landing on a random page (a flush spread over 100,000 keys
        // otherwise misses SQLite's page cache on almost every row).
        let mut rows: Vec<(String, &KeyUsageRecord)> =
            usage.iter().map(|u| (u.key_id.to_string(), u)).collect();
        rows.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        for (key_id, u) in rows {
            stmt.execute(params![
                key_id,
                u.used_at.millis(),
                u.operation.as_str(),
                u.request_id,
            ])
            .map_err(backend)?;
        }
    }
    tx.commit().map_err(backend)
}

pub(super) fn usage(
    conn: &Connection,
    key_id: KeyId,
) -> Result<Option<KeyUsageRecord>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT used_at, operation, request_id FROM key_last_usage WHERE key_id = ?1",
        )
        .map_err(backend)?;
    let mut rows = stmt.query([key_id.to_string()]).map_err(backend)?;
    let Some(row) = rows.next().map_err(backend)? else {
        return Ok(None);
    };
    let used_at: i64 = row.get(0).map_err(backend)?;
    Ok(Some(KeyUsageRecord {
        key_id,
        used_at: Timestamp::from_millis(used_at),
        operation: decode::parse(row, 1, "key_last_usage.operation")?,
        request_id: decode::text(row, 2, "key_last_usage.request_id")?,
    }))
}
