//! Grant rows: the `grants` table and each grant's constraint pairs in `grant_constraints`.
//! Plain functions over a connection; `impl Store for SqliteStore` runs them on the blocking
//! pool.

use std::collections::{BTreeMap, HashMap};

use kmsd_model::{EncryptionContext, GrantConstraints, GrantId, GrantOperation, KeyId};
use rusqlite::{Connection, Row, params};

use super::{backend, decode, immediate, key_scope, sql_int};
use crate::{GrantRecord, StoreError};

const GRANT_COLUMNS: &str = "grant_id, key_id, name, grantee_principal, retiring_principal, \
                             issuing_account, operations, created_at";

const EQUALS: &str = "equals";
const SUBSET: &str = "subset";

pub(super) fn insert(
    conn: &mut Connection,
    grant: &GrantRecord,
    max_per_key: usize,
) -> Result<(), StoreError> {
    let tx = immediate(conn)?;
    let key_id = grant.key_id.to_string();
    key_scope(&tx, &key_id)?;
    let count: i64 = tx
        .query_row(
            "SELECT COUNT(*) FROM grants WHERE key_id = ?1",
            [&key_id],
            |row| row.get(0),
        )
        .map_err(backend)?;
    if count >= sql_int(max_per_key) {
        return Err(StoreError::LimitExceeded);
    }
    let operations: Vec<&str> = grant.operations.iter().map(|op| op.as_str()).collect();
    let inserted = tx.execute(
        "INSERT INTO grants (grant_id, key_id, name, grantee_principal, retiring_principal,
                             issuing_account, operations, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            grant.grant_id.to_string(),
            key_id,
            grant.name,
            grant.grantee_principal,
            grant.retiring_principal,
            grant.issuing_account.as_str(),
            operations.join(","),
            grant.created_at.millis(),
        ],
    );
    match inserted {
        Err(e) if super::is_unique_violation(&e) => return Err(StoreError::AlreadyExists),
        other => {
            other.map_err(backend)?;
        }
    }
    {
        let mut stmt = tx
            .prepare_cached(
                "INSERT INTO grant_constraints (grant_id, kind, context_key, context_value)
                 VALUES (?1, ?2, ?3, ?4)",
            )
            .map_err(backend)?;
        let grant_id = grant.grant_id.to_string();
        let kinds = [
            (EQUALS, &grant.constraints.encryption_context_equals),
            (SUBSET, &grant.constraints.encryption_context_subset),
        ];
        for (kind, context) in kinds {
            for (k, v) in context.iter().flat_map(|c| c.pairs()) {
                stmt.execute(params![grant_id, kind, k, v])
                    .map_err(backend)?;
            }
        }
    }
    tx.commit().map_err(backend)
}

pub(super) fn of_key(conn: &Connection, key_id: KeyId) -> Result<Vec<GrantRecord>, StoreError> {
    let sql = format!(
        "SELECT {GRANT_COLUMNS} FROM grants WHERE key_id = ?1 ORDER BY created_at, grant_id"
    );
    let mut grants = select(conn, &sql, params![key_id.to_string()])?;
    let mut constraints = constraints_where(
        conn,
        "SELECT c.grant_id, c.kind, c.context_key, c.context_value
         FROM grant_constraints c JOIN grants g ON g.grant_id = c.grant_id
         WHERE g.key_id = ?1",
        params![key_id.to_string()],
    )?;
    attach(&mut grants, &mut constraints);
    Ok(grants)
}

pub(super) fn by_id(
    conn: &Connection,
    grant_id: GrantId,
) -> Result<Option<GrantRecord>, StoreError> {
    let sql = format!("SELECT {GRANT_COLUMNS} FROM grants WHERE grant_id = ?1");
    let mut grants = select(conn, &sql, params![grant_id.to_string()])?;
    let mut constraints = constraints_where(
        conn,
        "SELECT grant_id, kind, context_key, context_value FROM grant_constraints
         WHERE grant_id = ?1",
        params![grant_id.to_string()],
    )?;
    attach(&mut grants, &mut constraints);
    Ok(grants.pop())
}

pub(super) fn retirable(
    conn: &Connection,
    retiring_principal: &str,
    after: Option<GrantId>,
    limit: usize,
) -> Result<Vec<GrantRecord>, StoreError> {
    let sql = format!(
        "SELECT {GRANT_COLUMNS} FROM grants
         WHERE retiring_principal = ?1 AND grant_id > ?2
         ORDER BY grant_id LIMIT ?3"
    );
    let after = after.map(|id| id.to_string()).unwrap_or_default();
    let mut grants = select(
        conn,
        &sql,
        params![retiring_principal, after, sql_int(limit)],
    )?;
    for grant in &mut grants {
        let mut constraints = constraints_where(
            conn,
            "SELECT grant_id, kind, context_key, context_value FROM grant_constraints
             WHERE grant_id = ?1",
            params![grant.grant_id.to_string()],
        )?;
        attach(std::slice::from_mut(grant), &mut constraints);
    }
    Ok(grants)
}

pub(super) fn delete(
    conn: &mut Connection,
    key_id: KeyId,
    grant_id: GrantId,
) -> Result<(), StoreError> {
    let tx = immediate(conn)?;
    let grant_id = grant_id.to_string();
    tx.execute(
        "DELETE FROM grant_constraints WHERE grant_id = ?1",
        [&grant_id],
    )
    .map_err(backend)?;
    let deleted = tx
        .execute(
            "DELETE FROM grants WHERE grant_id = ?1 AND key_id = ?2",
            params![grant_id, key_id.to_string()],
        )
        .map_err(backend)?;
    if deleted == 0 {
        // Dropping the savepoint rolls the constraint delete back.
        return Err(StoreError::NotFound);
    }
    tx.commit().map_err(backend)
}

fn select(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<GrantRecord>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).map_err(backend)?;
    let mut rows = stmt.query(params).map_err(backend)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(backend)? {
        out.push(grant_record(row)?);
    }
    Ok(out)
}

type ConstraintPairs = HashMap<(String, &'static str), BTreeMap<String, String>>;

fn constraints_where(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<ConstraintPairs, StoreError> {
    let mut stmt = conn.prepare_cached(sql).map_err(backend)?;
    let mut rows = stmt.query(params).map_err(backend)?;
    let mut out: ConstraintPairs = HashMap::new();
    while let Some(row) = rows.next().map_err(backend)? {
        let grant_id = decode::text(row, 0, "grant_constraints.grant_id")?;
        let kind = match decode::text(row, 1, "grant_constraints.kind")?.as_str() {
            EQUALS => EQUALS,
            SUBSET => SUBSET,
            _ => {
                return Err(StoreError::Corrupt {
                    column: "grant_constraints.kind",
                });
            }
        };
        out.entry((grant_id, kind)).or_default().insert(
            decode::text(row, 2, "grant_constraints.context_key")?,
            decode::text(row, 3, "grant_constraints.context_value")?,
        );
    }
    Ok(out)
}

fn attach(grants: &mut [GrantRecord], pairs: &mut ConstraintPairs) {
    for grant in grants {
        let id = grant.grant_id.to_string();
        grant.constraints = GrantConstraints {
            encryption_context_equals: pairs
                .remove(&(id.clone(), EQUALS))
                .map(EncryptionContext::new),
            encryption_context_subset: pairs.remove(&(id, SUBSET)).map(EncryptionContext::new),
        };
    }
}

/// A row of `SELECT {GRANT_COLUMNS} FROM grants`, without its constraints.
fn grant_record(row: &Row<'_>) -> Result<GrantRecord, StoreError> {
    let operations = decode::text(row, 6, "grants.operations")?
        .split(',')
        .map(|op| op.parse::<GrantOperation>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| StoreError::Corrupt {
            column: "grants.operations",
        })?;
    Ok(GrantRecord {
        grant_id: decode::parse(row, 0, "grants.grant_id")?,
        key_id: decode::parse(row, 1, "grants.key_id")?,
        name: decode::opt_text(row, 2, "grants.name")?,
        grantee_principal: decode::text(row, 3, "grants.grantee_principal")?,
        retiring_principal: decode::opt_text(row, 4, "grants.retiring_principal")?,
        issuing_account: decode::parse(row, 5, "grants.issuing_account")?,
        operations,
        constraints: GrantConstraints::default(),
        created_at: decode::timestamp(row, 7, "grants.created_at")?,
    })
}
