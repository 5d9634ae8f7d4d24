//! The embedded default backend: SQLite in the data directory.
//!
//! One connection, guarded by a `std::sync::Mutex`, does all the work on tokio's blocking
//! pool. Reads and writes go through separate helpers ([`SqliteStore::read`],
//! [`SqliteStore::write`]) so a dedicated read connection (WAL allows readers beside the one
//! writer) can be added later without touching the queries.
//!
//! Writes are group-committed ([`group`]): each write is queued as a job, and a leader takes the
//! queued jobs and runs them in one `BEGIN IMMEDIATE` transaction, each job inside its own
//! savepoint, then commits once. A job is atomic through its savepoint: when it fails it is
//! rolled back to it and leaves nothing, and the other jobs of the group are unaffected.
//! Inside a job, [`immediate`] opens a nested savepoint, so a job's statements commit or roll
//! back together as they did in a transaction of their own. Reads lock the same connection, so
//! they never see a group's transaction half-done.
//!
//! Durability: WAL with `synchronous=FULL`, so every COMMIT fsyncs the WAL: one fsync per
//! group, however many writes it carries. A write's result is delivered only after its group's
//! COMMIT succeeded, so acknowledged still means durable (also across `kill -9` and power
//! loss); when the COMMIT fails, every write of the group fails with `Backend` and none of it
//! stays. Work that must not run inside a transaction (the WAL checkpoint after a key deletion)
//! runs alone on the connection ([`SqliteStore::write_alone`]); migrations run at open.

mod decode;
mod grants;
mod group;
mod identity;
mod lifecycle;
mod migrations;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use kmsd_model::{AccountId, AliasName, GrantId, KeyId, KeyState, Region, Timestamp};
use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Savepoint, params};

pub use migrations::SchemaTooNew;

use crate::{
    AliasRecord, BackingKeyRecord, GrantRecord, KeyRecord, KeyUsageRecord, RotationSchedule, Store,
    StoreError, Tag,
};

/// How long a statement waits for another connection's lock before failing with `Backend`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The SQLite [`Store`].
pub struct SqliteStore {
    path: PathBuf,
    /// The one writer connection (also used for reads for now).
    writer: Arc<Mutex<Connection>>,
    /// Writes waiting for their group.
    queue: Arc<group::Queue>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Wraps any error as [`StoreError::Backend`].
pub(crate) fn backend<E>(e: E) -> StoreError
where
    E: std::error::Error + Send + Sync + 'static,
{
    StoreError::Backend(Box::new(e))
}

/// A [`StoreError::Backend`] carrying only a message.
fn backend_msg(msg: &str) -> StoreError {
    StoreError::Backend(msg.into())
}

/// True for a PRIMARY KEY or UNIQUE constraint failure.
fn is_unique_violation(e: &rusqlite::Error) -> bool {
    e.sqlite_error().is_some_and(|err| {
        err.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            || err.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
    })
}

/// A `usize` page size or quota as an SQL integer (saturating).
fn sql_int(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Opens the savepoint of one write's statements. The write runs inside its group's
/// `BEGIN IMMEDIATE` transaction (so the write lock is already held): `commit()` releases the
/// savepoint into the group's transaction, and dropping it rolls the statements back.
fn immediate(conn: &mut Connection) -> Result<Savepoint<'_>, StoreError> {
    conn.savepoint().map_err(backend)
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `path`, configures it for durability and
    /// brings its schema up to date. Blocking; call at start-up.
    ///
    /// Fails with [`StoreError::Backend`] wrapping [`SchemaTooNew`] when the file was written
    /// by a newer kmsd.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        prepare_file(path)?;
        // No SQLITE_OPEN_URI: the path is a path, never a `file:` URI with options.
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(path, flags).map_err(backend)?;
        configure(&conn)?;
        migrations::migrate(&mut conn)?;
        restrict_sidecar_files(path)?;
        tracing::info!(
            path = %path.display(),
            schema_version = migrations::latest_version(),
            "opened sqlite store"
        );
        Ok(SqliteStore {
            path: path.to_owned(),
            writer: Arc::new(Mutex::new(conn)),
            queue: Arc::new(group::Queue::default()),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` on the writer connection on the blocking pool, inside the transaction of a
    /// group of concurrent writes (see [`group`]), atomically: when `f` fails, its statements
    /// are rolled back. Returns once the group is committed, i.e. durable.
    async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        group::submit(&self.writer, &self.queue, f).await
    }

    /// Runs `f` on the writer connection on the blocking pool, outside any transaction (no
    /// group is open while it holds the connection): for statements SQLite refuses inside one,
    /// such as a WAL checkpoint.
    async fn write_alone<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        run_blocking(Arc::clone(&self.writer), f).await
    }

    /// Runs a read-only `f` on the blocking pool. Uses the writer connection for now; the
    /// place to switch to a read connection.
    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        run_blocking(Arc::clone(&self.writer), f).await
    }
}

async fn run_blocking<T, F>(conn: Arc<Mutex<Connection>>, f: F) -> Result<T, StoreError>
where
    T: Send + 'static,
    F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
{
    tokio::task::spawn_blocking(move || {
        let mut guard = conn.lock().map_err(|_| {
            tracing::error!("sqlite connection mutex poisoned by an earlier panic");
            backend_msg("sqlite connection mutex poisoned by an earlier panic")
        })?;
        f(&mut guard)
    })
    .await
    .map_err(backend)?
}

/// Creates the database file owner-only (so it is never briefly world-readable) and makes
/// sure an existing one is too. A new file's directory entry is fsynced.
#[cfg(unix)]
fn prepare_file(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};

    let existed = path.try_exists().map_err(backend)?;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        // Never truncate: an existing file is the database.
        .truncate(false)
        .mode(0o600)
        .open(path)
        .map_err(backend)?;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
        .map_err(backend)?;
    if !existed {
        file.sync_all().map_err(backend)?;
        sync_parent_dir(path)?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn prepare_file(_path: &Path) -> Result<(), StoreError> {
    Ok(())
}

#[cfg(unix)]
fn sync_parent_dir(path: &Path) -> Result<(), StoreError> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::File::open(parent)
        .and_then(|dir| dir.sync_all())
        .map_err(backend)
}

/// SQLite gives `-wal` and `-shm` the main file's mode; make sure, in case they predate it.
#[cfg(unix)]
fn restrict_sidecar_files(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::PermissionsExt;

    for suffix in ["-wal", "-shm", "-journal"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        match std::fs::set_permissions(&name, std::fs::Permissions::from_mode(0o600)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(backend(e)),
        }
    }
    Ok(())
}

#[cfg(not(unix))]
fn restrict_sidecar_files(_path: &Path) -> Result<(), StoreError> {
    Ok(())
}

/// Per-connection settings; every connection (a future read connection too) needs them.
/// Each is read back, so a build that silently ignores one fails loudly instead.
fn configure(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(BUSY_TIMEOUT).map_err(backend)?;

    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
        .map_err(backend)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(backend_msg("sqlite refused journal_mode=WAL"));
    }
    // FULL: in WAL mode the WAL is fsynced at every commit, so an acknowledged write survives
    // power loss, not just a process crash.
    set_and_check(conn, "synchronous", "FULL", 2)?;
    set_and_check(conn, "foreign_keys", "ON", 1)?;
    // Freed pages are zeroed, so deleted key tokens don't linger in the database file.
    set_and_check(conn, "secure_delete", "ON", 1)?;
    // Sorts and temporary tables stay in memory rather than in unprotected temp files.
    set_and_check(conn, "temp_store", "MEMORY", 2)?;
    Ok(())
}

fn set_and_check(
    conn: &Connection,
    pragma: &str,
    value: &str,
    want: i64,
) -> Result<(), StoreError> {
    conn.pragma_update(None, pragma, value).map_err(backend)?;
    let got: i64 = conn
        .pragma_query_value(None, pragma, |row| row.get(0))
        .map_err(backend)?;
    if got != want {
        return Err(StoreError::Backend(
            format!("sqlite pragma {pragma} is {got} after setting it to {value}").into(),
        ));
    }
    Ok(())
}

const KEY_COLUMNS: &str = "key_id, account, region, description, key_spec, key_usage, origin, \
                           state, created_at, deletion_date, policy, current_backing_key, \
                           rotation_period_days, next_rotation_at";

const BACKING_KEY_COLUMNS: &str = "key_id, backing_key_id, ekt, created_at, rotation_type";

const ALIAS_COLUMNS: &str = "account, region, name, target_key_id, created_at, updated_at";

/// `NotFound` unless the key exists; otherwise its account and region, as stored.
fn key_scope(conn: &Connection, key_id: &str) -> Result<(String, String), StoreError> {
    let mut stmt = conn
        .prepare_cached("SELECT account, region FROM keys WHERE key_id = ?1")
        .map_err(backend)?;
    let mut rows = stmt.query([key_id]).map_err(backend)?;
    let row = rows.next().map_err(backend)?.ok_or(StoreError::NotFound)?;
    Ok((
        decode::text(row, 0, "keys.account")?,
        decode::text(row, 1, "keys.region")?,
    ))
}

/// `NotFound` unless `key_id` names a key of this account and region (an alias may only point
/// at a key beside it).
fn check_alias_target(
    conn: &Connection,
    key_id: &str,
    account: &str,
    region: &str,
) -> Result<(), StoreError> {
    let (key_account, key_region) = key_scope(conn, key_id)?;
    if key_account != account || key_region != region {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// `LimitExceeded` when `key_id` already has `max_per_key` aliases.
fn check_alias_quota(
    conn: &Connection,
    key_id: &str,
    max_per_key: usize,
) -> Result<(), StoreError> {
    let count: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM aliases WHERE target_key_id = ?1",
            [key_id],
            |row| row.get(0),
        )
        .map_err(backend)?;
    if count >= sql_int(max_per_key) {
        return Err(StoreError::LimitExceeded);
    }
    Ok(())
}

fn upsert_tag(tx: &Connection, key_id: &str, tag: &Tag) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO tags (key_id, tag_key, tag_value) VALUES (?1, ?2, ?3)
         ON CONFLICT (key_id, tag_key) DO UPDATE SET tag_value = excluded.tag_value",
        params![key_id, tag.key, tag.value],
    )
    .map_err(backend)?;
    Ok(())
}

/// `NotFound` when an UPDATE or DELETE touched nothing.
fn expect_changed(changed: usize) -> Result<(), StoreError> {
    if changed == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn create_key(
        &self,
        key: &KeyRecord,
        backing_key: &BackingKeyRecord,
        tags: &[Tag],
    ) -> Result<(), StoreError> {
        if backing_key.key_id != key.key_id || backing_key.backing_key_id != key.current_backing_key
        {
            return Err(backend_msg(
                "create_key: the backing key must belong to the key and be its current one",
            ));
        }
        let key = key.clone();
        let backing_key = backing_key.clone();
        let tags = tags.to_vec();
        self.write(move |conn| {
            let tx = immediate(conn)?;
            let key_id = key.key_id.to_string();
            tx.execute(
                &format!(
                    "INSERT INTO keys ({KEY_COLUMNS})
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"
                ),
                params![
                    key_id,
                    key.account.as_str(),
                    key.region.as_str(),
                    key.description,
                    key.key_spec.as_str(),
                    key.key_usage.as_str(),
                    key.origin.as_str(),
                    key.state.as_str(),
                    key.created_at.millis(),
                    key.deletion_date.map(Timestamp::millis),
                    key.policy,
                    key.current_backing_key.to_string(),
                    key.rotation.map(|r| i64::from(r.period_days)),
                    key.rotation.map(|r| r.next_rotation_at.millis()),
                ],
            )
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::AlreadyExists
                } else {
                    backend(e)
                }
            })?;
            lifecycle::insert_backing_key(&tx, &backing_key)?;
            for tag in &tags {
                upsert_tag(&tx, &key_id, tag)?;
            }
            tx.commit().map_err(backend)
        })
        .await
    }

    async fn key(&self, key_id: KeyId) -> Result<Option<KeyRecord>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!("SELECT {KEY_COLUMNS} FROM keys WHERE key_id = ?1"))
                .map_err(backend)?;
            let mut rows = stmt.query([key_id.to_string()]).map_err(backend)?;
            match rows.next().map_err(backend)? {
                Some(row) => Ok(Some(decode::key_record(row)?)),
                None => Ok(None),
            }
        })
        .await
    }

    async fn backing_keys(&self, key_id: KeyId) -> Result<Vec<BackingKeyRecord>, StoreError> {
        self.read(move |conn| {
            // Oldest first; the id only breaks ties within one millisecond.
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {BACKING_KEY_COLUMNS} FROM backing_keys
                         WHERE key_id = ?1 ORDER BY created_at, backing_key_id"
                ))
                .map_err(backend)?;
            let mut rows = stmt.query([key_id.to_string()]).map_err(backend)?;
            let mut out = Vec::new();
            while let Some(row) = rows.next().map_err(backend)? {
                out.push(decode::backing_key_record(row)?);
            }
            Ok(out)
        })
        .await
    }

    async fn list_keys(
        &self,
        account: &AccountId,
        region: &Region,
        after: Option<KeyId>,
        limit: usize,
    ) -> Result<Vec<KeyId>, StoreError> {
        let account = account.as_str().to_owned();
        let region = region.as_str().to_owned();
        self.read(move |conn| {
            let limit = sql_int(limit);
            let mut stmt;
            let mut rows = match after {
                None => {
                    stmt = conn
                        .prepare_cached(
                            "SELECT key_id FROM keys WHERE account = ?1 AND region = ?2
                             ORDER BY key_id LIMIT ?3",
                        )
                        .map_err(backend)?;
                    stmt.query(params![account, region, limit])
                        .map_err(backend)?
                }
                Some(after) => {
                    stmt = conn
                        .prepare_cached(
                            "SELECT key_id FROM keys
                             WHERE account = ?1 AND region = ?2 AND key_id > ?3
                             ORDER BY key_id LIMIT ?4",
                        )
                        .map_err(backend)?;
                    stmt.query(params![account, region, after.to_string(), limit])
                        .map_err(backend)?
                }
            };
            let mut out = Vec::new();
            while let Some(row) = rows.next().map_err(backend)? {
                out.push(decode::parse(row, 0, "keys.key_id")?);
            }
            Ok(out)
        })
        .await
    }

    async fn update_key_description(
        &self,
        key_id: KeyId,
        description: &str,
    ) -> Result<(), StoreError> {
        let description = description.to_owned();
        self.write(move |conn| {
            let changed = conn
                .execute(
                    "UPDATE keys SET description = ?2 WHERE key_id = ?1",
                    params![key_id.to_string(), description],
                )
                .map_err(backend)?;
            expect_changed(changed)
        })
        .await
    }

    async fn update_key_state(
        &self,
        key_id: KeyId,
        state: KeyState,
        deletion_date: Option<Timestamp>,
    ) -> Result<(), StoreError> {
        self.write(move |conn| {
            let changed = conn
                .execute(
                    "UPDATE keys SET state = ?2, deletion_date = ?3 WHERE key_id = ?1",
                    params![
                        key_id.to_string(),
                        state.as_str(),
                        deletion_date.map(Timestamp::millis)
                    ],
                )
                .map_err(backend)?;
            expect_changed(changed)
        })
        .await
    }

    async fn update_key_policy(&self, key_id: KeyId, policy: &str) -> Result<(), StoreError> {
        let policy = policy.to_owned();
        self.write(move |conn| {
            let changed = conn
                .execute(
                    "UPDATE keys SET policy = ?2 WHERE key_id = ?1",
                    params![key_id.to_string(), policy],
                )
                .map_err(backend)?;
            expect_changed(changed)
        })
        .await
    }

    async fn create_alias(
        &self,
        alias: &AliasRecord,
        max_per_key: usize,
    ) -> Result<(), StoreError> {
        let alias = alias.clone();
        self.write(move |conn| {
            let tx = immediate(conn)?;
            let account = alias.account.as_str();
            let region = alias.region.as_str();
            let name = alias.name.as_str();
            let target = alias.target_key_id.to_string();
            let taken = tx
                .query_row(
                    "SELECT 1 FROM aliases WHERE account = ?1 AND region = ?2 AND name = ?3",
                    params![account, region, name],
                    |_| Ok(()),
                )
                .optional()
                .map_err(backend)?
                .is_some();
            if taken {
                return Err(StoreError::AlreadyExists);
            }
            check_alias_target(&tx, &target, account, region)?;
            check_alias_quota(&tx, &target, max_per_key)?;
            tx.execute(
                &format!("INSERT INTO aliases ({ALIAS_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
                params![
                    account,
                    region,
                    name,
                    target,
                    alias.created_at.millis(),
                    alias.updated_at.millis()
                ],
            )
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::AlreadyExists
                } else {
                    backend(e)
                }
            })?;
            tx.commit().map_err(backend)
        })
        .await
    }

    async fn update_alias(
        &self,
        account: &AccountId,
        region: &Region,
        name: &AliasName,
        target: KeyId,
        now: Timestamp,
        max_per_key: usize,
    ) -> Result<(), StoreError> {
        let account = account.as_str().to_owned();
        let region = region.as_str().to_owned();
        let name = name.as_str().to_owned();
        self.write(move |conn| {
            let tx = immediate(conn)?;
            let target = target.to_string();
            let current = {
                let mut stmt = tx
                    .prepare_cached(
                        "SELECT target_key_id FROM aliases
                         WHERE account = ?1 AND region = ?2 AND name = ?3",
                    )
                    .map_err(backend)?;
                let mut rows = stmt
                    .query(params![account, region, name])
                    .map_err(backend)?;
                let row = rows.next().map_err(backend)?.ok_or(StoreError::NotFound)?;
                decode::text(row, 0, "aliases.target_key_id")?
            };
            check_alias_target(&tx, &target, &account, &region)?;
            // Re-pointing at the same key does not add an alias to it.
            if current != target {
                check_alias_quota(&tx, &target, max_per_key)?;
            }
            let changed = tx
                .execute(
                    "UPDATE aliases SET target_key_id = ?4, updated_at = ?5
                     WHERE account = ?1 AND region = ?2 AND name = ?3",
                    params![account, region, name, target, now.millis()],
                )
                .map_err(backend)?;
            expect_changed(changed)?;
            tx.commit().map_err(backend)
        })
        .await
    }

    async fn delete_alias(
        &self,
        account: &AccountId,
        region: &Region,
        name: &AliasName,
    ) -> Result<(), StoreError> {
        let account = account.as_str().to_owned();
        let region = region.as_str().to_owned();
        let name = name.as_str().to_owned();
        self.write(move |conn| {
            let changed = conn
                .execute(
                    "DELETE FROM aliases WHERE account = ?1 AND region = ?2 AND name = ?3",
                    params![account, region, name],
                )
                .map_err(backend)?;
            expect_changed(changed)
        })
        .await
    }

    async fn alias(
        &self,
        account: &AccountId,
        region: &Region,
        name: &AliasName,
    ) -> Result<Option<AliasRecord>, StoreError> {
        let account = account.as_str().to_owned();
        let region = region.as_str().to_owned();
        let name = name.as_str().to_owned();
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {ALIAS_COLUMNS} FROM aliases
                     WHERE account = ?1 AND region = ?2 AND name = ?3"
                ))
                .map_err(backend)?;
            let mut rows = stmt
                .query(params![account, region, name])
                .map_err(backend)?;
            match rows.next().map_err(backend)? {
                Some(row) => Ok(Some(decode::alias_record(row)?)),
                None => Ok(None),
            }
        })
        .await
    }

    async fn list_aliases(
        &self,
        account: &AccountId,
        region: &Region,
        target: Option<KeyId>,
        after: Option<&AliasName>,
        limit: usize,
    ) -> Result<Vec<AliasRecord>, StoreError> {
        let mut sql =
            format!("SELECT {ALIAS_COLUMNS} FROM aliases WHERE account = ?1 AND region = ?2");
        let mut args = vec![
            Value::Text(account.as_str().to_owned()),
            Value::Text(region.as_str().to_owned()),
        ];
        if let Some(target) = target {
            args.push(Value::Text(target.to_string()));
            sql.push_str(&format!(" AND target_key_id = ?{}", args.len()));
        }
        if let Some(after) = after {
            args.push(Value::Text(after.as_str().to_owned()));
            sql.push_str(&format!(" AND name > ?{}", args.len()));
        }
        args.push(Value::Integer(sql_int(limit)));
        sql.push_str(&format!(" ORDER BY name LIMIT ?{}", args.len()));
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(&sql).map_err(backend)?;
            let mut rows = stmt
                .query(rusqlite::params_from_iter(args))
                .map_err(backend)?;
            let mut out = Vec::new();
            while let Some(row) = rows.next().map_err(backend)? {
                out.push(decode::alias_record(row)?);
            }
            Ok(out)
        })
        .await
    }

    async fn tags(&self, key_id: KeyId) -> Result<Vec<Tag>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT tag_key, tag_value FROM tags WHERE key_id = ?1 ORDER BY tag_key",
                )
                .map_err(backend)?;
            let mut rows = stmt.query([key_id.to_string()]).map_err(backend)?;
            let mut out = Vec::new();
            while let Some(row) = rows.next().map_err(backend)? {
                out.push(decode::tag(row)?);
            }
            Ok(out)
        })
        .await
    }

    async fn tag_key(
        &self,
        key_id: KeyId,
        tags: &[Tag],
        max_tags: usize,
    ) -> Result<(), StoreError> {
        let tags = tags.to_vec();
        self.write(move |conn| {
            let tx = immediate(conn)?;
            let key_id = key_id.to_string();
            key_scope(&tx, &key_id)?;
            let mut keys = BTreeSet::new();
            {
                let mut stmt = tx
                    .prepare_cached("SELECT tag_key FROM tags WHERE key_id = ?1")
                    .map_err(backend)?;
                let mut rows = stmt.query([&key_id]).map_err(backend)?;
                while let Some(row) = rows.next().map_err(backend)? {
                    keys.insert(decode::text(row, 0, "tags.tag_key")?);
                }
            }
            keys.extend(tags.iter().map(|tag| tag.key.clone()));
            if keys.len() > max_tags {
                // Dropping the savepoint rolls back: nothing is written.
                return Err(StoreError::LimitExceeded);
            }
            for tag in &tags {
                upsert_tag(&tx, &key_id, tag)?;
            }
            tx.commit().map_err(backend)
        })
        .await
    }

    async fn untag_key(&self, key_id: KeyId, tag_keys: &[String]) -> Result<(), StoreError> {
        let tag_keys = tag_keys.to_vec();
        self.write(move |conn| {
            let tx = immediate(conn)?;
            let key_id = key_id.to_string();
            key_scope(&tx, &key_id)?;
            {
                let mut stmt = tx
                    .prepare_cached("DELETE FROM tags WHERE key_id = ?1 AND tag_key = ?2")
                    .map_err(backend)?;
                for tag_key in &tag_keys {
                    stmt.execute(params![key_id, tag_key]).map_err(backend)?;
                }
            }
            tx.commit().map_err(backend)
        })
        .await
    }

    async fn create_grant(
        &self,
        grant: &GrantRecord,
        max_per_key: usize,
    ) -> Result<(), StoreError> {
        let grant = grant.clone();
        self.write(move |conn| grants::insert(conn, &grant, max_per_key))
            .await
    }

    async fn grants(&self, key_id: KeyId) -> Result<Vec<GrantRecord>, StoreError> {
        self.read(move |conn| grants::of_key(conn, key_id)).await
    }

    async fn grant(&self, grant_id: GrantId) -> Result<Option<GrantRecord>, StoreError> {
        self.read(move |conn| grants::by_id(conn, grant_id)).await
    }

    async fn retirable_grants(
        &self,
        retiring_principal: &str,
        after: Option<GrantId>,
        limit: usize,
    ) -> Result<Vec<GrantRecord>, StoreError> {
        let principal = retiring_principal.to_owned();
        self.read(move |conn| grants::retirable(conn, &principal, after, limit))
            .await
    }

    async fn delete_grant(&self, key_id: KeyId, grant_id: GrantId) -> Result<(), StoreError> {
        self.write(move |conn| grants::delete(conn, key_id, grant_id))
            .await
    }

    async fn set_rotation(
        &self,
        key_id: KeyId,
        rotation: Option<RotationSchedule>,
    ) -> Result<(), StoreError> {
        self.write(move |conn| lifecycle::set_rotation(conn, key_id, rotation))
            .await
    }

    async fn rotate_key(
        &self,
        backing_key: &BackingKeyRecord,
        expected: Option<RotationSchedule>,
        next: Option<RotationSchedule>,
        max_on_demand: usize,
    ) -> Result<bool, StoreError> {
        let backing_key = backing_key.clone();
        self.write(move |conn| lifecycle::rotate(conn, &backing_key, expected, next, max_on_demand))
            .await
    }

    async fn due_rotations(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<(KeyId, RotationSchedule)>, StoreError> {
        self.read(move |conn| lifecycle::due_rotations(conn, now, limit))
            .await
    }

    async fn due_deletions(&self, now: Timestamp, limit: usize) -> Result<Vec<KeyId>, StoreError> {
        self.read(move |conn| lifecycle::due_deletions(conn, now, limit))
            .await
    }

    async fn delete_key_if_due(&self, key_id: KeyId, now: Timestamp) -> Result<bool, StoreError> {
        let deleted = self
            .write(move |conn| lifecycle::delete_key_if_due(conn, key_id, now))
            .await?;
        if deleted {
            // The deletion is committed (durable) by now; the checkpoint can't run inside a
            // transaction, so it runs alone, after it.
            self.write_alone(|conn| lifecycle::checkpoint_truncate(conn))
                .await?;
        }
        Ok(deleted)
    }

    async fn record_key_usage(&self, usage: &[KeyUsageRecord]) -> Result<(), StoreError> {
        let usage = usage.to_vec();
        self.write_alone(move |conn| lifecycle::record_usage(conn, &usage))
            .await
    }

    async fn key_usage(&self, key_id: KeyId) -> Result<Option<KeyUsageRecord>, StoreError> {
        self.read(move |conn| lifecycle::usage(conn, key_id)).await
    }
}

#[cfg(test)]
mod tests;
