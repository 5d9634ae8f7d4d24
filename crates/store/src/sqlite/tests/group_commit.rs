//! Group commit: concurrent writes share a transaction and its fsync, each stays atomic, and
//! an acknowledged write is durable.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kmsd_model::{KeyId, KeyState, Timestamp};
use rusqlite::params;

use super::{all_bytes, contains, fresh};
use crate::conformance::{
    account_a, alias_name, alias_record, create_key, first_backing_key, key_id, key_record, tag,
    us_east_1,
};
use crate::sqlite::group::MAX_GROUP;
use crate::sqlite::{KEY_COLUMNS, SqliteStore, backend, immediate};
use crate::{KeyRecord, Store, StoreError};

/// Key `i` of the many (distinct from the conformance helpers' `key_id(n)`).
fn nth_key(i: usize) -> KeyRecord {
    let mut bytes = [0xA5; 16];
    bytes[..8].copy_from_slice(&(i as u64).to_be_bytes());
    key_record(KeyId::from_random(bytes), &account_a(), &us_east_1())
}

/// Creates `n` keys from concurrent tasks, each with a tag; every result, in key order.
async fn create_concurrently(
    store: &Arc<SqliteStore>,
    keys: &[KeyRecord],
) -> Vec<Result<(), StoreError>> {
    let tasks: Vec<_> = keys
        .iter()
        .map(|key| {
            let (store, key) = (Arc::clone(store), key.clone());
            tokio::spawn(async move {
                store
                    .create_key(
                        &key,
                        &first_backing_key(&key),
                        &[tag("n", &key.description)],
                    )
                    .await
            })
        })
        .collect();
    let mut out = Vec::new();
    for task in tasks {
        out.push(task.await.unwrap());
    }
    out
}

/// Starts `writes` as concurrent tasks while the connection is held, and lets go only once
/// all of them are queued: the queue then goes out in full groups. The results, in order.
async fn staged<T, Fut>(store: &Arc<SqliteStore>, writes: Vec<Fut>) -> Vec<T>
where
    T: Send + 'static,
    Fut: Future<Output = T> + Send + 'static,
{
    let n = writes.len();
    let held = store.writer.lock().unwrap();
    let tasks: Vec<_> = writes.into_iter().map(tokio::spawn).collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    // Blocks this thread, not a runtime worker: the tasks run on the multi-thread runtime.
    while store.queue.len() < n {
        assert!(Instant::now() < deadline, "the writes never queued up");
        std::thread::sleep(Duration::from_millis(1));
    }
    drop(held);
    let mut out = Vec::new();
    for task in tasks {
        out.push(task.await.unwrap());
    }
    out
}

type Write = std::pin::Pin<Box<dyn Future<Output = Result<(), StoreError>> + Send>>;

fn create_write(store: &Arc<SqliteStore>, key: &KeyRecord) -> Write {
    let (store, key) = (Arc::clone(store), key.clone());
    Box::pin(async move {
        store
            .create_key(&key, &first_backing_key(&key), &[tag("a", "1")])
            .await
    })
}

/// A write job run through the group (`SqliteStore::write`) as a `Write`.
fn raw_write<F>(store: &Arc<SqliteStore>, job: F) -> Write
where
    F: FnOnce(&mut rusqlite::Connection) -> Result<(), StoreError> + Send + 'static,
{
    let store = Arc::clone(store);
    Box::pin(async move { store.write(job).await })
}

async fn assert_created(store: &SqliteStore, key: &KeyRecord) {
    assert_eq!(store.key(key.key_id).await.unwrap().as_ref(), Some(key));
    assert_eq!(
        store.backing_keys(key.key_id).await.unwrap(),
        vec![first_backing_key(key)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writes_share_commits() {
    let (store, _dir) = fresh();
    let keys: Vec<_> = (0..200).map(nth_key).collect();
    for result in create_concurrently(&store, &keys).await {
        result.unwrap();
    }
    let (groups, jobs) = store.queue.stats();
    assert_eq!(jobs, 200);
    assert!(groups < jobs, "{groups} commits for {jobs} writes");
    for key in &keys {
        assert_created(&store, key).await;
        assert_eq!(
            store.tags(key.key_id).await.unwrap(),
            vec![tag("n", &key.description)]
        );
    }
    assert_eq!(
        store
            .list_keys(&account_a(), &us_east_1(), None, 1000)
            .await
            .unwrap()
            .len(),
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_long_queue_goes_out_in_capped_groups_and_none_is_stranded() {
    let (store, _dir) = fresh();
    let keys: Vec<_> = (0..MAX_GROUP + 44).map(nth_key).collect();
    let writes = keys.iter().map(|key| create_write(&store, key)).collect();
    for result in staged(&store, writes).await {
        result.unwrap();
    }
    assert_eq!(store.queue.stats(), (2, (MAX_GROUP + 44) as u64));
    assert_eq!(store.queue.len(), 0);
    for key in &keys {
        assert_created(&store, key).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failing_write_fails_alone_in_its_group() {
    let (store, _dir) = fresh();
    let (a, r) = (account_a(), us_east_1());
    let existing = create_key(&*store, key_id(1), &a, &r).await;
    let existing_id = existing.key_id;
    let twice = key_record(key_id(2), &a, &r);
    let good: Vec<_> = (0..20).map(nth_key).collect();
    let before = store.queue.stats();

    let mut writes: Vec<Write> = Vec::new();
    // Good writes around every failing one.
    let mut good_iter = good.iter();
    let mut push_good = |writes: &mut Vec<Write>| {
        for key in good_iter.by_ref().take(4) {
            writes.push(create_write(&store, key));
        }
    };
    push_good(&mut writes);
    // 1: a duplicate key.
    writes.push(create_write(&store, &existing));
    push_good(&mut writes);
    // 2: over the tag limit (writes nothing).
    writes.push({
        let store = Arc::clone(&store);
        Box::pin(async move {
            store
                .tag_key(existing_id, &[tag("x", "1"), tag("y", "2")], 1)
                .await
        })
    });
    // 3, 4: the same new key twice in one group: one of them wins.
    writes.push(create_write(&store, &twice));
    writes.push(create_write(&store, &twice));
    push_good(&mut writes);
    // 5: writes a row, then fails: its row must go.
    writes.push(raw_write(&store, move |conn| {
        conn.execute(
            "INSERT INTO tags (key_id, tag_key, tag_value) VALUES (?1, 'partial', 'x')",
            [existing_id.to_string()],
        )
        .map_err(backend)?;
        Err(StoreError::NotFound)
    }));
    push_good(&mut writes);
    // 6: leaves a deferred foreign-key violation, then fails: rolled back with it, so the
    // group's COMMIT still succeeds.
    writes.push(raw_write(&store, |conn| {
        let tx = immediate(conn)?;
        insert_key_without_backing_key(&tx, key_id(3))?;
        tx.commit().map_err(backend)?;
        Err(StoreError::LimitExceeded)
    }));
    // 7: an alias to a missing key.
    writes.push({
        let (store, alias) = (
            Arc::clone(&store),
            alias_record(&a, &r, "alias/nowhere", key_id(4)),
        );
        Box::pin(async move { store.create_alias(&alias, 50).await })
    });
    push_good(&mut writes);

    let results = staged(&store, writes).await;
    let (groups, jobs) = store.queue.stats();
    assert_eq!(
        (groups - before.0, jobs - before.1),
        (1, results.len() as u64),
        "one group carried every write"
    );

    let errors: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 20 + 1);
    assert_eq!(errors.len(), 6, "{errors:?}");
    let count = |pred: fn(&StoreError) -> bool| errors.iter().filter(|e| pred(e)).count();
    assert_eq!(count(|e| matches!(e, StoreError::AlreadyExists)), 2);
    assert_eq!(count(|e| matches!(e, StoreError::LimitExceeded)), 2);
    assert_eq!(count(|e| matches!(e, StoreError::NotFound)), 2);

    for key in good.iter().chain([&existing, &twice]) {
        assert_created(&store, key).await;
    }
    // Nothing of the failed writes.
    assert_eq!(store.tags(existing.key_id).await.unwrap(), vec![]);
    assert_eq!(store.key(key_id(3)).await.unwrap(), None);
    assert_eq!(
        store
            .alias(&a, &r, &alias_name("alias/nowhere"))
            .await
            .unwrap(),
        None
    );
}

/// A key row whose current backing key does not exist: a deferred foreign-key violation,
/// detected only at COMMIT.
fn insert_key_without_backing_key(
    conn: &rusqlite::Connection,
    id: KeyId,
) -> Result<(), StoreError> {
    conn.execute(
        &format!(
            "INSERT INTO keys ({KEY_COLUMNS}) VALUES (?1, '111122223333', 'us-east-1', '',
             'SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT', 'AWS_KMS', 'Enabled', 0, NULL, '', ?2,
             NULL, NULL)"
        ),
        params![id.to_string(), "no-such-backing-key"],
    )
    .map_err(backend)?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failed_commit_fails_its_whole_group_and_leaves_nothing() {
    let (store, _dir) = fresh();
    let good: Vec<_> = (0..10).map(nth_key).collect();
    let mut writes: Vec<Write> = good.iter().map(|key| create_write(&store, key)).collect();
    // Returns Ok with a deferred violation outstanding: the group's COMMIT fails.
    writes.insert(
        5,
        raw_write(&store, |conn| {
            insert_key_without_backing_key(conn, key_id(3))
        }),
    );
    let results = staged(&store, writes).await;
    for result in &results {
        assert!(
            matches!(result, Err(StoreError::Backend(_))),
            "every write of the group fails: {result:?}"
        );
    }
    assert_eq!(store.queue.stats(), (0, 0));
    for key in &good {
        assert_eq!(store.key(key.key_id).await.unwrap(), None);
    }
    assert_eq!(store.key(key_id(3)).await.unwrap(), None);
    assert_eq!(
        store
            .list_keys(&account_a(), &us_east_1(), None, 100)
            .await
            .unwrap(),
        vec![]
    );
    // No transaction was left open: the next writes commit.
    for result in create_concurrently(&store, &good).await {
        result.unwrap();
    }
    for key in &good {
        assert_created(&store, key).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writes_survive_close_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kmsd.db");
    let keys: Vec<_> = (0..200).map(nth_key).collect();
    {
        let store = Arc::new(SqliteStore::open(&path).unwrap());
        for result in create_concurrently(&store, &keys).await {
            result.unwrap();
        }
        // Every task has finished, so this is the last reference.
        assert_eq!(Arc::strong_count(&store), 1);
    }
    let store = SqliteStore::open(&path).unwrap();
    for key in &keys {
        assert_created(&store, key).await;
        assert_eq!(
            store.tags(key.key_id).await.unwrap(),
            vec![tag("n", &key.description)]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deletions_among_concurrent_writes_still_erase_the_tokens() {
    let (store, dir) = fresh();
    let marker = |i: usize| format!("EKT-MARKER-{i:04}-0123456789-ABCDEFGHIJKLMNOPQRSTUVWXYZ");
    let doomed: Vec<_> = (0..8)
        .map(|i| {
            let mut key = nth_key(1000 + i);
            key.state = KeyState::PendingDeletion;
            key.deletion_date = Some(Timestamp(10));
            key
        })
        .collect();
    for (i, key) in doomed.iter().enumerate() {
        let mut backing = first_backing_key(key);
        backing.encrypted_key_token = marker(i).into_bytes();
        store.create_key(key, &backing, &[]).await.unwrap();
    }
    let bytes = all_bytes(dir.path());
    for i in 0..doomed.len() {
        assert!(contains(&bytes, marker(i).as_bytes()), "on disk before");
    }

    let keepers: Vec<_> = (0..40).map(nth_key).collect();
    let mut tasks = Vec::new();
    for key in &doomed {
        let (store, id) = (Arc::clone(&store), key.key_id);
        tasks.push(tokio::spawn(async move {
            assert!(store.delete_key_if_due(id, Timestamp(10)).await.unwrap());
        }));
    }
    for key in &keepers {
        let write = create_write(&store, key);
        tasks.push(tokio::spawn(async move { write.await.unwrap() }));
    }
    for task in tasks {
        task.await.unwrap();
    }

    let bytes = all_bytes(dir.path());
    for (i, key) in doomed.iter().enumerate() {
        assert!(
            !contains(&bytes, marker(i).as_bytes()),
            "a deleted key's token survives on disk"
        );
        assert_eq!(store.key(key.key_id).await.unwrap(), None);
    }
    for key in &keepers {
        assert_created(&store, key).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_panicking_write_rolls_back_and_fails_its_group() {
    let (store, _dir) = fresh();
    let good: Vec<_> = (0..5).map(nth_key).collect();
    let mut writes: Vec<Write> = good.iter().map(|key| create_write(&store, key)).collect();
    writes.push(raw_write(&store, |_conn| {
        panic!("boom (expected in this test)")
    }));
    for result in staged(&store, writes).await {
        assert!(matches!(result, Err(StoreError::Backend(_))), "{result:?}");
    }
    // The connection mutex is poisoned: every later call fails rather than run on a
    // connection a panic interrupted.
    let err = store.key(good[0].key_id).await.unwrap_err();
    assert!(matches!(err, StoreError::Backend(_)), "{err:?}");
    let err = create_write(&store, &nth_key(99)).await.unwrap_err();
    assert!(matches!(err, StoreError::Backend(_)), "{err:?}");
    // And the group's transaction was rolled back, not left open.
    let conn = store
        .writer
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    assert!(conn.is_autocommit());
    let count: i64 = conn
        .query_row("SELECT COUNT(*) FROM keys", [], |row| row.get(0))
        .unwrap();
    assert_eq!(count, 0);
}
