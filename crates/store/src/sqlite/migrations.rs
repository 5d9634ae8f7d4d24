//! Versioned schema migrations, applied in order at open.
//!
//! Migration `n` (1-based) is `MIGRATIONS[n - 1]`. Each runs in its own `BEGIN IMMEDIATE`
//! transaction together with the `schema_migrations` row that records it, so it is applied
//! exactly once even if two processes open the same file at the same time. Never edit or
//! reorder a migration that has shipped: append a new one.
//!
//! The SQL sticks to types and syntax PostgreSQL also accepts, with these known differences a
//! PostgreSQL backend has to carry in its own copy:
//! - `BLOB` is `BYTEA`.
//! - Ordered text columns (`keys.key_id`, `aliases.name`, `tags.tag_key`) compare bytewise in
//!   SQLite (`BINARY`); PostgreSQL needs `COLLATE "C"` on them for the same keyset order.
//! - SQLite accepts the forward reference from `keys` to `backing_keys`; PostgreSQL needs that
//!   constraint added with `ALTER TABLE` after both tables exist.

use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, TransactionBehavior, params};

use super::backend;
use crate::StoreError;

/// The schema, one step at a time. Append only.
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: the initial schema.
    r#"
CREATE TABLE keys (
    key_id              TEXT    NOT NULL PRIMARY KEY,
    account             TEXT    NOT NULL,
    region              TEXT    NOT NULL,
    description         TEXT    NOT NULL,
    key_spec            TEXT    NOT NULL,
    key_usage           TEXT    NOT NULL,
    origin              TEXT    NOT NULL,
    state               TEXT    NOT NULL,
    created_at          BIGINT  NOT NULL,
    deletion_date       BIGINT,
    policy              TEXT    NOT NULL,
    current_backing_key TEXT    NOT NULL,
    -- The current backing key must be one of this key's own backing keys. Deferred, because
    -- a key and its first backing key are inserted in the same transaction.
    FOREIGN KEY (key_id, current_backing_key)
        REFERENCES backing_keys (key_id, backing_key_id)
        DEFERRABLE INITIALLY DEFERRED
);

-- ListKeys: one account and region, in key id order.
CREATE INDEX keys_account_region_key_id ON keys (account, region, key_id);

CREATE TABLE backing_keys (
    key_id          TEXT    NOT NULL REFERENCES keys (key_id),
    backing_key_id  TEXT    NOT NULL,
    -- The encrypted key token (never plaintext). BYTEA on PostgreSQL.
    ekt             BLOB    NOT NULL,
    created_at      BIGINT  NOT NULL,
    PRIMARY KEY (key_id, backing_key_id)
);

CREATE TABLE aliases (
    account         TEXT    NOT NULL,
    region          TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    target_key_id   TEXT    NOT NULL REFERENCES keys (key_id),
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL,
    PRIMARY KEY (account, region, name)
);

-- The per-key alias count, and ListAliases filtered by key, in name order.
CREATE INDEX aliases_target_key_id ON aliases (target_key_id, name);

CREATE TABLE tags (
    key_id          TEXT    NOT NULL REFERENCES keys (key_id),
    tag_key         TEXT    NOT NULL,
    tag_value       TEXT    NOT NULL,
    PRIMARY KEY (key_id, tag_key)
);
"#,
    // 2: IAM. Entities (users, groups, roles, managed policies) are small JSON documents owned
    // by the service; access keys are rows of their own because SigV4 looks them up by id.
    r#"
CREATE TABLE iam_entities (
    account   TEXT    NOT NULL,
    kind      TEXT    NOT NULL,
    name      TEXT    NOT NULL,
    document  TEXT    NOT NULL,
    PRIMARY KEY (account, kind, name)
);
CREATE TABLE iam_access_keys (
    access_key_id  TEXT    NOT NULL PRIMARY KEY,
    account        TEXT    NOT NULL,
    user_name      TEXT    NOT NULL,
    sealed_secret  BLOB    NOT NULL,
    status         TEXT    NOT NULL,
    created_at     BIGINT  NOT NULL
);
CREATE INDEX iam_access_keys_by_user ON iam_access_keys (account, user_name);
"#,
    // 3: grants. Operations are a comma-separated list of GrantOperation values; constraint
    // pairs are rows of their own (kind 'equals' or 'subset').
    r#"
CREATE TABLE grants (
    grant_id            TEXT    NOT NULL PRIMARY KEY,
    key_id              TEXT    NOT NULL REFERENCES keys (key_id),
    name                TEXT,
    grantee_principal   TEXT    NOT NULL,
    retiring_principal  TEXT,
    issuing_account     TEXT    NOT NULL,
    operations          TEXT    NOT NULL,
    created_at          BIGINT  NOT NULL
);
-- ListGrants and the per-key count, oldest first.
CREATE INDEX grants_by_key ON grants (key_id, created_at, grant_id);
-- ListRetirableGrants, in grant id order.
CREATE INDEX grants_by_retiring_principal ON grants (retiring_principal, grant_id);
CREATE TABLE grant_constraints (
    grant_id        TEXT    NOT NULL REFERENCES grants (grant_id),
    kind            TEXT    NOT NULL,
    context_key     TEXT    NOT NULL,
    context_value   TEXT    NOT NULL,
    PRIMARY KEY (grant_id, kind, context_key)
);
"#,
    // 4: the key lifecycle. Automatic rotation (NULL = off), how each backing key came about
    // (NULL for the first), and the last cryptographic use of each key.
    r#"
ALTER TABLE keys ADD COLUMN rotation_period_days INTEGER;
ALTER TABLE keys ADD COLUMN next_rotation_at BIGINT;
ALTER TABLE backing_keys ADD COLUMN rotation_type TEXT;
-- The scheduler's two questions: which rotations and which deletions are due.
CREATE INDEX keys_next_rotation_at ON keys (next_rotation_at);
CREATE INDEX keys_deletion_date ON keys (deletion_date);
CREATE TABLE key_last_usage (
    key_id      TEXT    NOT NULL PRIMARY KEY REFERENCES keys (key_id),
    used_at     BIGINT  NOT NULL,
    operation   TEXT    NOT NULL,
    request_id  TEXT    NOT NULL
);
"#,
];

/// The schema version this build writes and understands.
pub(super) fn latest_version() -> i64 {
    MIGRATIONS.len() as i64
}

/// The database was written by a newer kmsd whose schema this build does not know. Opening it
/// is refused rather than risk misreading or damaging it. Returned inside
/// [`StoreError::Backend`]; downcast the source to tell it apart.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "database schema version {found} is newer than the newest this kmsd knows ({supported}); \
     upgrade kmsd or restore a matching database"
)]
pub struct SchemaTooNew {
    /// The highest migration recorded in the database.
    pub found: i64,
    /// The highest migration this build has.
    pub supported: i64,
}

fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Brings the schema up to date, or refuses a database that is newer than this build.
pub(super) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    migrate_with(conn, MIGRATIONS)
}

/// [`migrate`] over an explicit list, so tests can stage older and newer builds.
pub(super) fn migrate_with(conn: &mut Connection, migrations: &[&str]) -> Result<(), StoreError> {
    let supported = migrations.len() as i64;
    let applied = {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(backend)?;
        tx.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                version     INTEGER NOT NULL PRIMARY KEY,
                applied_at  BIGINT  NOT NULL
            );",
        )
        .map_err(backend)?;
        let applied = check_applied(&tx, supported)?;
        tx.commit().map_err(backend)?;
        applied
    };

    for (index, sql) in migrations.iter().enumerate() {
        let version = index as i64 + 1;
        if version <= applied {
            continue;
        }
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(backend)?;
        // Re-read under the write lock: another process may have migrated since.
        let current = check_applied(&tx, supported)?;
        if current >= version {
            continue;
        }
        tx.execute_batch(sql).map_err(backend)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
            params![version, now_millis()],
        )
        .map_err(backend)?;
        tx.commit().map_err(backend)?;
        tracing::info!(version, "applied store schema migration");
    }
    Ok(())
}

/// The applied version, checking the recorded versions are exactly `1..=n` with `n` no newer
/// than `supported`.
fn check_applied(conn: &Connection, supported: i64) -> Result<i64, StoreError> {
    const COLUMN: &str = "schema_migrations.version";
    let (count, min, max): (i64, Option<i64>, Option<i64>) = conn
        .query_row(
            "SELECT COUNT(*), MIN(version), MAX(version) FROM schema_migrations",
            [],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .map_err(backend)?;
    let max = max.unwrap_or(0);
    if max > supported {
        return Err(StoreError::Backend(Box::new(SchemaTooNew {
            found: max,
            supported,
        })));
    }
    // Versions are distinct integers, so `1..=max` exactly means `count == max`, `min == 1`.
    if count != max || (count > 0 && min != Some(1)) {
        return Err(StoreError::Corrupt { column: COLUMN });
    }
    Ok(max)
}
