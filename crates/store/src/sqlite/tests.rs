#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use kmsd_model::{BackingKeyId, Timestamp};
use rusqlite::params;
use tempfile::TempDir;

use super::migrations::{MIGRATIONS, SchemaTooNew, latest_version, migrate_with};
use super::*;
use crate::conformance::{
    account_a, alias_name, alias_record, backing_key_id, create_key, first_backing_key, key_id,
    key_record, tag, us_east_1,
};

mod group_commit;

fn fresh() -> (Arc<SqliteStore>, TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("kmsd.db")).unwrap();
    (Arc::new(store), dir)
}

mod conformance {
    use std::sync::Arc;

    use crate::Store;

    fn fresh() -> (Arc<dyn Store>, tempfile::TempDir) {
        let (store, dir) = super::fresh();
        (store, dir)
    }

    crate::conformance::store_conformance_tests!(fresh());
}

/// Runs raw SQL on the store's connection (to stage states the trait can't reach).
fn with_conn<T>(store: &SqliteStore, f: impl FnOnce(&mut Connection) -> T) -> T {
    let mut conn = store.writer.lock().unwrap();
    f(&mut conn)
}

fn applied_versions(conn: &Connection) -> Vec<(i64, i64)> {
    let mut stmt = conn
        .prepare("SELECT version, applied_at FROM schema_migrations ORDER BY version")
        .unwrap();
    stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn schema_too_new(err: &StoreError) -> Option<&SchemaTooNew> {
    match err {
        StoreError::Backend(source) => source.downcast_ref::<SchemaTooNew>(),
        _ => None,
    }
}

#[tokio::test]
async fn data_survives_close_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kmsd.db");
    let (a, r) = (account_a(), us_east_1());
    let key = key_record(key_id(1), &a, &r);
    {
        let store = SqliteStore::open(&path).unwrap();
        store
            .create_key(&key, &first_backing_key(&key), &[tag("env", "prod")])
            .await
            .unwrap();
        store
            .create_alias(&alias_record(&a, &r, "alias/app", key.key_id), 50)
            .await
            .unwrap();
        store
            .update_key_description(key.key_id, "described")
            .await
            .unwrap();
        store
            .tag_key(key.key_id, &[tag("team", "x")], 50)
            .await
            .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    let mut expected = key.clone();
    expected.description = "described".to_owned();
    assert_eq!(store.key(key.key_id).await.unwrap(), Some(expected));
    assert_eq!(
        store.backing_keys(key.key_id).await.unwrap(),
        vec![first_backing_key(&key)]
    );
    assert_eq!(
        store.tags(key.key_id).await.unwrap(),
        vec![tag("env", "prod"), tag("team", "x")]
    );
    assert_eq!(
        store.alias(&a, &r, &alias_name("alias/app")).await.unwrap(),
        Some(alias_record(&a, &r, "alias/app", key.key_id))
    );
    assert_eq!(
        store.list_keys(&a, &r, None, 10).await.unwrap(),
        vec![key.key_id]
    );
}

#[tokio::test]
async fn migrations_run_once_and_reopen_is_idempotent() {
    let (store, dir) = fresh();
    let path = store.path().to_owned();
    let first = with_conn(&store, |conn| applied_versions(conn));
    let want: Vec<i64> = (1..=latest_version()).collect();
    assert_eq!(first.iter().map(|(v, _)| *v).collect::<Vec<_>>(), want);
    drop(store);

    for _ in 0..3 {
        let store = SqliteStore::open(&path).unwrap();
        // Same rows, same applied_at: nothing re-ran.
        assert_eq!(with_conn(&store, |conn| applied_versions(conn)), first);
    }
    drop(dir);
}

#[test]
fn migrations_apply_in_order_each_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = Connection::open(dir.path().join("m.db")).unwrap();
    let v1 = "CREATE TABLE t (x INTEGER NOT NULL);";
    let v2 = "INSERT INTO t (x) VALUES (2);";
    let v3 = "INSERT INTO t (x) VALUES (3);";

    // An older build, then a newer one, then the newer one again.
    migrate_with(&mut conn, &[v1]).unwrap();
    migrate_with(&mut conn, &[v1, v2, v3]).unwrap();
    migrate_with(&mut conn, &[v1, v2, v3]).unwrap();
    let xs: Vec<i64> = conn
        .prepare("SELECT x FROM t ORDER BY x")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(xs, [2, 3]);
    assert_eq!(
        applied_versions(&conn)
            .iter()
            .map(|(v, _)| *v)
            .collect::<Vec<_>>(),
        [1, 2, 3]
    );

    // The older build now refuses the file, and leaves it alone.
    let err = migrate_with(&mut conn, &[v1]).unwrap_err();
    assert_eq!(
        schema_too_new(&err),
        Some(&SchemaTooNew {
            found: 3,
            supported: 1
        })
    );
}

#[test]
fn failed_migration_rolls_back_entirely() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = Connection::open(dir.path().join("m.db")).unwrap();
    let v1 = "CREATE TABLE t (x INTEGER NOT NULL);";
    let bad = "CREATE TABLE u (y INTEGER); INSERT INTO nowhere VALUES (1);";
    migrate_with(&mut conn, &[v1]).unwrap();
    assert!(matches!(
        migrate_with(&mut conn, &[v1, bad]),
        Err(StoreError::Backend(_))
    ));
    // Neither the half-applied DDL nor the version row stayed.
    let u: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE name = 'u'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(u, 0);
    assert_eq!(
        applied_versions(&conn)
            .iter()
            .map(|(v, _)| *v)
            .collect::<Vec<_>>(),
        [1]
    );
    // A fixed migration then applies.
    migrate_with(&mut conn, &[v1, "CREATE TABLE u (y INTEGER);"]).unwrap();
}

#[tokio::test]
async fn newer_schema_is_refused_at_open() {
    let (store, dir) = fresh();
    let path = store.path().to_owned();
    let next = latest_version() + 1;
    with_conn(&store, |conn| {
        conn.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, 0)",
            [next],
        )
        .unwrap();
    });
    drop(store);
    let err = SqliteStore::open(&path).unwrap_err();
    assert_eq!(
        schema_too_new(&err),
        Some(&SchemaTooNew {
            found: next,
            supported: latest_version()
        }),
        "{err:?}"
    );
    drop(dir);
}

#[tokio::test]
async fn gap_in_recorded_migrations_is_corrupt() {
    let (store, dir) = fresh();
    let path = store.path().to_owned();
    with_conn(&store, |conn| {
        conn.execute("DELETE FROM schema_migrations WHERE version = 1", [])
            .unwrap();
    });
    drop(store);
    // With a single migration the table is now empty and version 1 would re-run and fail on
    // the existing tables; with more it is a gap. Either way the open fails, never silently.
    let err = SqliteStore::open(&path).unwrap_err();
    if MIGRATIONS.len() > 1 {
        assert!(matches!(
            err,
            StoreError::Corrupt {
                column: "schema_migrations.version"
            }
        ));
    } else {
        assert!(matches!(err, StoreError::Backend(_)), "{err:?}");
    }
    drop(dir);
}

#[tokio::test]
async fn connection_is_configured_for_durability() {
    let (store, _dir) = fresh();
    with_conn(&store, |conn| {
        let journal: String = conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(journal, "wal");
        let get =
            |name: &str| -> i64 { conn.pragma_query_value(None, name, |r| r.get(0)).unwrap() };
        assert_eq!(get("synchronous"), 2, "FULL");
        assert_eq!(get("foreign_keys"), 1);
        assert_eq!(get("secure_delete"), 1);
        assert_eq!(get("temp_store"), 2, "MEMORY");
        assert!(get("busy_timeout") > 0);
    });
}

#[cfg(unix)]
#[tokio::test]
async fn database_files_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;

    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let (store, dir) = fresh();
    create_key(&*store, key_id(1), &account_a(), &us_east_1()).await;
    let path = store.path().to_owned();
    assert_eq!(mode(&path), 0o600);
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    assert_eq!(mode(Path::new(&wal)), 0o600);
    drop(store);

    // A pre-existing, too-open file is tightened at open.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let _store = SqliteStore::open(&path).unwrap();
    assert_eq!(mode(&path), 0o600);

    // And a brand-new file is created 0600.
    let new = dir.path().join("new.db");
    let _new = SqliteStore::open(&new).unwrap();
    assert_eq!(mode(&new), 0o600);
}

#[tokio::test]
async fn open_fails_cleanly_on_a_bad_path() {
    let dir = tempfile::tempdir().unwrap();
    let err = SqliteStore::open(&dir.path().join("missing-dir").join("kmsd.db")).unwrap_err();
    assert!(matches!(err, StoreError::Backend(_)), "{err:?}");
    // A file that is not a database.
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, vec![0x5a; 8192]).unwrap();
    let err = SqliteStore::open(&junk).unwrap_err();
    assert!(matches!(err, StoreError::Backend(_)), "{err:?}");
}

#[tokio::test]
async fn backing_keys_are_listed_oldest_first() {
    let (store, _dir) = fresh();
    let key = create_key(&*store, key_id(1), &account_a(), &us_east_1()).await;
    let id = key.key_id;
    // Rotation isn't in the trait yet: add versions directly, out of order.
    let versions = [(3u8, 300i64), (2, -5), (4, key.created_at.millis() + 1)];
    with_conn(&store, |conn| {
        for (version, created) in versions {
            conn.execute(
                "INSERT INTO backing_keys (key_id, backing_key_id, ekt, created_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![
                    id.to_string(),
                    backing_key_id(id, version).to_string(),
                    vec![version],
                    created
                ],
            )
            .unwrap();
        }
    });
    let listed: Vec<(BackingKeyId, Timestamp)> = store
        .backing_keys(id)
        .await
        .unwrap()
        .into_iter()
        .map(|b| (b.backing_key_id, b.created_at))
        .collect();
    assert_eq!(
        listed,
        vec![
            (backing_key_id(id, 2), Timestamp(-5)),
            (backing_key_id(id, 3), Timestamp(300)),
            (backing_key_id(id, 1), key.created_at),
            (
                backing_key_id(id, 4),
                Timestamp(key.created_at.millis() + 1)
            ),
        ]
    );
}

#[tokio::test]
async fn create_key_requires_its_own_current_backing_key() {
    let (store, _dir) = fresh();
    let key = key_record(key_id(1), &account_a(), &us_east_1());
    let mut wrong_version = first_backing_key(&key);
    wrong_version.backing_key_id = backing_key_id(key.key_id, 2);
    let mut wrong_key = first_backing_key(&key);
    wrong_key.key_id = key_id(2);
    for backing in [wrong_version, wrong_key] {
        let err = store
            .create_key(&key, &backing, &[tag("a", "b")])
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Backend(_)), "{err:?}");
    }
    assert_eq!(store.key(key.key_id).await.unwrap(), None);

    // The schema enforces it too (deferred to commit), and a failed commit leaves nothing.
    let err = store
        .write(move |conn| {
            let tx = immediate(conn)?;
            tx.execute(
                &format!(
                    "INSERT INTO keys ({KEY_COLUMNS}) VALUES (?1, '111122223333', 'us-east-1', '',
                     'SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT', 'AWS_KMS', 'Enabled', 0, NULL, '', ?2,
                     NULL, NULL)"
                ),
                params![
                    key_id(3).to_string(),
                    backing_key_id(key_id(3), 1).to_string()
                ],
            )
            .map_err(backend)?;
            tx.commit().map_err(backend)
        })
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Backend(_)), "{err:?}");
    assert!(format!("{err:?}").contains("FOREIGN KEY"), "{err:?}");
    assert_eq!(store.key(key_id(3)).await.unwrap(), None);
    // The connection is usable afterwards (no transaction left open).
    create_key(&*store, key_id(1), &account_a(), &us_east_1()).await;
}

#[tokio::test]
async fn undecodable_rows_are_corrupt_not_panics() {
    let (store, _dir) = fresh();
    let (a, r) = (account_a(), us_east_1());
    let id = create_key(&*store, key_id(1), &a, &r).await.key_id;
    store
        .create_alias(&alias_record(&a, &r, "alias/app", id), 50)
        .await
        .unwrap();
    let sid = id.to_string();

    let cases: &[(&str, &str)] = &[
        (
            "UPDATE keys SET key_spec = 'AES_999' WHERE key_id = ?1",
            "keys.key_spec",
        ),
        (
            "UPDATE keys SET state = 'enabled' WHERE key_id = ?1",
            "keys.state",
        ),
        (
            "UPDATE keys SET account = '12' WHERE key_id = ?1",
            "keys.account",
        ),
        (
            "UPDATE keys SET created_at = 'yesterday' WHERE key_id = ?1",
            "keys.created_at",
        ),
        (
            "UPDATE keys SET deletion_date = 1.5 WHERE key_id = ?1",
            "keys.deletion_date",
        ),
        (
            "UPDATE keys SET policy = x'ff00' WHERE key_id = ?1",
            "keys.policy",
        ),
    ];
    for (sql, column) in cases {
        // Corrupt the row inside a savepoint on the store's own connection, so the store reads
        // the damage and the rollback undoes it.
        with_conn(&store, |conn| {
            conn.execute_batch("SAVEPOINT corrupt").unwrap();
            conn.execute(sql, [&sid]).unwrap();
        });
        let err = store.key(id).await.unwrap_err();
        assert!(
            matches!(err, StoreError::Corrupt { column: c } if c == *column),
            "{sql}: {err:?}"
        );
        with_conn(&store, |conn| {
            conn.execute_batch("ROLLBACK TO corrupt; RELEASE corrupt")
                .unwrap()
        });
        assert!(store.key(id).await.unwrap().is_some());
    }

    with_conn(&store, |conn| {
        conn.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
        conn.execute("UPDATE aliases SET target_key_id = 'not-a-key'", [])
            .unwrap();
        conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    });
    let err = store
        .alias(&a, &r, &alias_name("alias/app"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Corrupt {
                column: "aliases.target_key_id"
            }
        ),
        "{err:?}"
    );
    let err = store
        .list_aliases(&a, &r, None, None, 10)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Corrupt {
                column: "aliases.target_key_id"
            }
        ),
        "{err:?}"
    );

    with_conn(&store, |conn| {
        conn.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
        conn.execute("UPDATE backing_keys SET ekt = 'text, not a blob'", [])
            .unwrap();
        conn.execute("UPDATE keys SET key_id = 'KEY'", []).unwrap();
        conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    });
    let err = store.backing_keys(id).await.unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Corrupt {
                column: "backing_keys.ekt"
            }
        ),
        "{err:?}"
    );
    let err = store.list_keys(&a, &r, None, 10).await.unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Corrupt {
                column: "keys.key_id"
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn poisoned_connection_is_a_backend_error() {
    let (store, _dir) = fresh();
    let writer = Arc::clone(&store.writer);
    let _ = std::thread::spawn(move || {
        let _guard = writer.lock().unwrap();
        panic!("poison the store mutex (expected in this test)");
    })
    .join();
    let err = store.key(key_id(1)).await.unwrap_err();
    assert!(matches!(err, StoreError::Backend(_)), "{err:?}");
    let err = store.update_key_policy(key_id(1), "{}").await.unwrap_err();
    assert!(matches!(err, StoreError::Backend(_)), "{err:?}");
}

#[tokio::test]
async fn a_panicking_call_is_a_backend_error() {
    let (store, _dir) = fresh();
    let err = store
        .write(|_conn| -> Result<(), StoreError> { panic!("boom (expected in this test)") })
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Backend(_)), "{err:?}");
}

#[tokio::test(flavor = "current_thread")]
async fn works_on_a_current_thread_runtime() {
    let (store, _dir) = fresh();
    let key = create_key(&*store, key_id(1), &account_a(), &us_east_1()).await;
    assert_eq!(store.key(key.key_id).await.unwrap(), Some(key));
}

/// `secure_delete` zeroes freed content, so once the WAL is checkpointed and truncated a deleted
/// key token is nowhere in the files. (Before the checkpoint it may still sit in the WAL.)
#[tokio::test]
async fn deleted_key_tokens_do_not_linger_on_disk() {
    let (store, _dir) = fresh();
    let marker: Vec<u8> = b"EKT-MARKER-0123456789-"
        .iter()
        .copied()
        .cycle()
        .take(200)
        .collect();
    let mut key = key_record(key_id(1), &account_a(), &us_east_1());
    key.description = String::new();
    let mut backing = first_backing_key(&key);
    backing.encrypted_key_token = marker.clone();
    store.create_key(&key, &backing, &[]).await.unwrap();

    let path = store.path().to_owned();
    let contains = |p: &Path| -> bool {
        std::fs::read(p)
            .map(|b| b.windows(marker.len()).any(|w| w == marker))
            .unwrap_or(false)
    };
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    let wal = PathBuf::from(wal);

    with_conn(&store, |conn| {
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .unwrap();
    });
    assert!(
        contains(&path),
        "the token should be in the database file before deletion"
    );

    with_conn(&store, |conn| {
        let tx = conn.transaction().unwrap();
        tx.execute("DELETE FROM backing_keys", []).unwrap();
        tx.execute("DELETE FROM keys", []).unwrap();
        tx.commit().unwrap();
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .unwrap();
    });
    assert!(!contains(&path), "deleted token left in the database file");
    assert!(!contains(&wal), "deleted token left in the WAL");
}

/// Every file of the store's directory, concatenated.
fn all_bytes(dir: &std::path::Path) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            out.extend(std::fs::read(path).unwrap());
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn a_deleted_keys_tokens_are_gone_from_every_file() {
    let (store, dir) = fresh();
    let mut key = key_record(key_id(1), &account_a(), &us_east_1());
    key.state = kmsd_model::KeyState::PendingDeletion;
    key.deletion_date = Some(Timestamp(10));
    let mut backing = first_backing_key(&key);
    let marker = b"EKT-MARKER-0123456789-ABCDEFGHIJKLMNOPQRSTUVWXYZ-must-be-erased".to_vec();
    backing.encrypted_key_token = marker.clone();
    store.create_key(&key, &backing, &[]).await.unwrap();
    let keeper = key_record(key_id(2), &account_a(), &us_east_1());
    store
        .create_key(&keeper, &first_backing_key(&keeper), &[])
        .await
        .unwrap();
    assert!(
        contains(&all_bytes(dir.path()), &marker),
        "the token is on disk before the deletion (the check can fail)"
    );
    assert!(
        store
            .delete_key_if_due(key.key_id, Timestamp(10))
            .await
            .unwrap()
    );
    assert!(
        !contains(&all_bytes(dir.path()), &marker),
        "a deleted key's encrypted key token survives in the database files"
    );
    // Still a working database afterwards.
    assert!(store.key(keeper.key_id).await.unwrap().is_some());
}
