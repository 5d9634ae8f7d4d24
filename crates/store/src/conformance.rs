//! The [`Store`] contract as a backend-independent test suite.
//!
//! Every check is an `async fn(Arc<dyn Store>)` given a fresh, empty store. A backend runs the
//! whole suite with one line in its tests module:
//!
//! ```ignore
//! crate::conformance::store_conformance_tests!(fresh_store());
//! ```
//!
//! where `fresh_store()` evaluates to `(Arc<dyn Store>, guard)`; the guard (a temporary
//! directory, a scratch schema...) lives until the test ends.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::sync::Arc;

use kmsd_model::{
    AccountId, AliasName, BackingKeyId, EncryptionContext, GrantConstraints, GrantId,
    GrantOperation, KeyId, KeySpec, KeyState, KeyUsage, KeyUsageOperation, Origin, Region,
    RotationType, Timestamp,
};

use crate::{
    AliasRecord, BackingKeyRecord, GrantRecord, KeyRecord, KeyUsageRecord, RotationSchedule, Store,
    StoreError, Tag,
};

/// Expands to one `#[tokio::test]` per conformance check, each on a store made by `$fresh`.
macro_rules! store_conformance_tests {
    ($fresh:expr) => {
        $crate::conformance::store_conformance_tests!(@each $fresh;
            key_round_trips_every_field,
            key_round_trips_every_enum_value,
            missing_key_is_none,
            duplicate_key_is_refused_and_writes_nothing,
            new_key_has_its_first_backing_key,
            list_keys_pages_in_id_order,
            list_keys_isolates_account_and_region,
            key_updates_and_not_found,
            alias_lifecycle,
            alias_duplicate_names,
            alias_limit_per_key,
            alias_target_must_be_a_key_beside_it,
            list_aliases_pages_and_filters,
            tags_upsert_and_overwrite,
            tag_limit_writes_nothing_when_exceeded,
            untag_removes_and_ignores_missing,
            concurrent_alias_creation_respects_limit,
            concurrent_tagging_respects_limit,
            grant_round_trips_every_field,
            grants_list_oldest_first_and_delete,
            grant_limit_per_key_writes_nothing,
            retirable_grants_page_across_keys,
            rotation_is_a_compare_and_set,
            on_demand_rotations_are_limited,
            due_rotations_skip_keys_not_enabled,
            deletion_erases_everything_once,
            key_usage_keeps_the_latest,
        );
    };
    (@each $fresh:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                let (store, _guard) = $fresh;
                $crate::conformance::$name(store).await;
            }
        )*
    };
}
pub(crate) use store_conformance_tests;

// ---------------------------------------------------------------------------------------------
// Fixtures.

pub(crate) fn account_a() -> AccountId {
    "111122223333".parse().unwrap()
}

pub(crate) fn account_b() -> AccountId {
    "444455556666".parse().unwrap()
}

pub(crate) fn us_east_1() -> Region {
    "us-east-1".parse().unwrap()
}

pub(crate) fn eu_west_1() -> Region {
    "eu-west-1".parse().unwrap()
}

/// A single-Region key id whose string form starts with `n` in hex, so ids sort by `n`.
pub(crate) fn key_id(n: u8) -> KeyId {
    KeyId::from_random([n; 16])
}

/// A multi-Region key id (`mrk-...`).
pub(crate) fn mrk_id(n: u8) -> KeyId {
    KeyId::from_bytes([n; 16], true)
}

pub(crate) fn alias_name(s: &str) -> AliasName {
    s.parse().unwrap()
}

/// Backing key `version` of `key`.
pub(crate) fn backing_key_id(key: KeyId, version: u8) -> BackingKeyId {
    let mut bytes = [version; 32];
    bytes[..16].copy_from_slice(key.bytes());
    BackingKeyId(bytes)
}

pub(crate) fn tag(key: &str, value: &str) -> Tag {
    Tag {
        key: key.to_owned(),
        value: value.to_owned(),
    }
}

pub(crate) fn key_record(key_id: KeyId, account: &AccountId, region: &Region) -> KeyRecord {
    KeyRecord {
        key_id,
        account: account.clone(),
        region: region.clone(),
        description: format!("key {key_id}"),
        key_spec: KeySpec::SymmetricDefault,
        key_usage: KeyUsage::EncryptDecrypt,
        origin: Origin::AwsKms,
        state: KeyState::Enabled,
        created_at: Timestamp(1_700_000_000_000),
        deletion_date: None,
        policy: r#"{"Version":"2012-10-17","Statement":[]}"#.to_owned(),
        current_backing_key: backing_key_id(key_id, 1),
        rotation: None,
    }
}

/// The first backing key of `key`.
pub(crate) fn first_backing_key(key: &KeyRecord) -> BackingKeyRecord {
    BackingKeyRecord {
        key_id: key.key_id,
        backing_key_id: key.current_backing_key,
        encrypted_key_token: format!("ekt of {}", key.key_id).into_bytes(),
        created_at: key.created_at,
        rotation_type: None,
    }
}

/// Creates a plain key and returns its record.
pub(crate) async fn create_key(
    store: &dyn Store,
    key_id: KeyId,
    account: &AccountId,
    region: &Region,
) -> KeyRecord {
    let key = key_record(key_id, account, region);
    store
        .create_key(&key, &first_backing_key(&key), &[])
        .await
        .unwrap();
    key
}

pub(crate) fn alias_record(
    account: &AccountId,
    region: &Region,
    name: &str,
    target: KeyId,
) -> AliasRecord {
    AliasRecord {
        account: account.clone(),
        region: region.clone(),
        name: alias_name(name),
        target_key_id: target,
        created_at: Timestamp(1_700_000_000_000),
        updated_at: Timestamp(1_700_000_000_000),
    }
}

/// Every key id of an account and region, fetched in pages of two.
async fn all_keys(store: &dyn Store, account: &AccountId, region: &Region) -> Vec<KeyId> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = store.list_keys(account, region, after, 2).await.unwrap();
        if page.is_empty() {
            return out;
        }
        after = page.last().copied();
        out.extend(page);
    }
}

// ---------------------------------------------------------------------------------------------
// Keys.

pub(crate) async fn key_round_trips_every_field(store: Arc<dyn Store>) {
    let id = mrk_id(0x5a);
    let key = KeyRecord {
        key_id: id,
        account: account_a(),
        region: eu_west_1(),
        description: "ünïcode, 'quotes' and \"more\"; DROP TABLE keys; --".to_owned(),
        key_spec: KeySpec::EccNistP384,
        key_usage: KeyUsage::SignVerify,
        origin: Origin::External,
        state: KeyState::PendingDeletion,
        created_at: Timestamp(1_234_567_890_123),
        deletion_date: Some(Timestamp(1_234_567_890_123 + 7 * Timestamp::MILLIS_PER_DAY)),
        policy: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow"}]}"#.to_owned(),
        current_backing_key: backing_key_id(id, 9),
        rotation: Some(RotationSchedule {
            period_days: 2560,
            next_rotation_at: Timestamp(1_234_567_890_123 + 90 * Timestamp::MILLIS_PER_DAY),
        }),
    };
    let backing = BackingKeyRecord {
        key_id: id,
        backing_key_id: key.current_backing_key,
        encrypted_key_token: (0..=255).collect(),
        created_at: Timestamp(1_234_567_890_000),
        rotation_type: None,
    };
    let tags = [tag("b", "2"), tag("a", "1"), tag("", "")];
    store.create_key(&key, &backing, &tags).await.unwrap();

    assert_eq!(store.key(id).await.unwrap(), Some(key.clone()));
    assert_eq!(store.backing_keys(id).await.unwrap(), vec![backing]);
    assert_eq!(
        store.tags(id).await.unwrap(),
        vec![tag("", ""), tag("a", "1"), tag("b", "2")]
    );

    // Extreme timestamps survive too.
    let id2 = key_id(0x01);
    let mut key2 = key_record(id2, &account_a(), &us_east_1());
    key2.created_at = Timestamp(i64::MIN);
    key2.deletion_date = Some(Timestamp(i64::MAX));
    key2.description = String::new();
    store
        .create_key(&key2, &first_backing_key(&key2), &[])
        .await
        .unwrap();
    assert_eq!(store.key(id2).await.unwrap(), Some(key2));
    assert_eq!(store.key(id).await.unwrap(), Some(key));
}

pub(crate) async fn key_round_trips_every_enum_value(store: Arc<dyn Store>) {
    let n = KeySpec::ALL
        .len()
        .max(KeyUsage::ALL.len())
        .max(Origin::ALL.len())
        .max(KeyState::ALL.len());
    for i in 0..n {
        let mut key = key_record(key_id(i as u8), &account_a(), &us_east_1());
        key.key_spec = KeySpec::ALL[i % KeySpec::ALL.len()];
        key.key_usage = KeyUsage::ALL[i % KeyUsage::ALL.len()];
        key.origin = Origin::ALL[i % Origin::ALL.len()];
        key.state = KeyState::ALL[i % KeyState::ALL.len()];
        store
            .create_key(&key, &first_backing_key(&key), &[])
            .await
            .unwrap();
        assert_eq!(store.key(key.key_id).await.unwrap(), Some(key));
    }
}

pub(crate) async fn missing_key_is_none(store: Arc<dyn Store>) {
    create_key(&*store, key_id(1), &account_a(), &us_east_1()).await;
    assert_eq!(store.key(key_id(2)).await.unwrap(), None);
    assert_eq!(store.backing_keys(key_id(2)).await.unwrap(), vec![]);
    assert_eq!(store.tags(key_id(2)).await.unwrap(), vec![]);
}

pub(crate) async fn duplicate_key_is_refused_and_writes_nothing(store: Arc<dyn Store>) {
    let key = key_record(key_id(1), &account_a(), &us_east_1());
    let backing = first_backing_key(&key);
    store
        .create_key(&key, &backing, &[tag("t", "original")])
        .await
        .unwrap();

    let mut again = key.clone();
    again.description = "second".to_owned();
    let mut again_backing = backing.clone();
    again_backing.encrypted_key_token = b"other".to_vec();
    let err = store
        .create_key(
            &again,
            &again_backing,
            &[tag("t", "overwritten"), tag("new", "x")],
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::AlreadyExists), "{err:?}");

    assert_eq!(store.key(key.key_id).await.unwrap(), Some(key.clone()));
    assert_eq!(store.backing_keys(key.key_id).await.unwrap(), vec![backing]);
    assert_eq!(
        store.tags(key.key_id).await.unwrap(),
        vec![tag("t", "original")]
    );
}

pub(crate) async fn new_key_has_its_first_backing_key(store: Arc<dyn Store>) {
    let a = create_key(&*store, key_id(1), &account_a(), &us_east_1()).await;
    let b = create_key(&*store, key_id(2), &account_a(), &us_east_1()).await;
    assert_eq!(
        store.backing_keys(a.key_id).await.unwrap(),
        vec![first_backing_key(&a)]
    );
    assert_eq!(
        store.backing_keys(b.key_id).await.unwrap(),
        vec![first_backing_key(&b)]
    );
}

pub(crate) async fn list_keys_pages_in_id_order(store: Arc<dyn Store>) {
    let (a, r) = (account_a(), us_east_1());
    // Created out of order; single- and multi-Region ids sort together by string form.
    let ids = [
        key_id(0x70),
        mrk_id(0x01),
        key_id(0x10),
        key_id(0xf0),
        key_id(0x30),
        mrk_id(0xee),
        key_id(0x00),
    ];
    for id in ids {
        create_key(&*store, id, &a, &r).await;
    }
    let mut expected: Vec<KeyId> = ids.to_vec();
    expected.sort_by_key(|id| id.to_string());

    let page1 = store.list_keys(&a, &r, None, 3).await.unwrap();
    let page2 = store
        .list_keys(&a, &r, page1.last().copied(), 3)
        .await
        .unwrap();
    let page3 = store
        .list_keys(&a, &r, page2.last().copied(), 3)
        .await
        .unwrap();
    assert_eq!(page1, expected[0..3]);
    assert_eq!(page2, expected[3..6]);
    assert_eq!(page3, expected[6..]);
    assert_eq!(
        store
            .list_keys(&a, &r, page3.last().copied(), 3)
            .await
            .unwrap(),
        vec![]
    );

    // The whole set in one page, and a page of nothing.
    assert_eq!(store.list_keys(&a, &r, None, 100).await.unwrap(), expected);
    assert_eq!(store.list_keys(&a, &r, None, 0).await.unwrap(), vec![]);
    assert_eq!(
        store.list_keys(&a, &r, None, usize::MAX).await.unwrap(),
        expected
    );

    // `after` need not be a listed key: it is a keyset bound.
    let bound = key_id(0x20);
    let rest: Vec<KeyId> = expected
        .iter()
        .copied()
        .filter(|id| id.to_string() > bound.to_string())
        .collect();
    assert_eq!(
        store.list_keys(&a, &r, Some(bound), 100).await.unwrap(),
        rest
    );
}

pub(crate) async fn list_keys_isolates_account_and_region(store: Arc<dyn Store>) {
    let (a, b, us, eu) = (account_a(), account_b(), us_east_1(), eu_west_1());
    create_key(&*store, key_id(1), &a, &us).await;
    create_key(&*store, key_id(2), &a, &us).await;
    create_key(&*store, key_id(3), &a, &eu).await;
    create_key(&*store, key_id(4), &b, &us).await;
    create_key(&*store, key_id(5), &b, &eu).await;
    create_key(&*store, key_id(6), &b, &eu).await;

    assert_eq!(all_keys(&*store, &a, &us).await, vec![key_id(1), key_id(2)]);
    assert_eq!(all_keys(&*store, &a, &eu).await, vec![key_id(3)]);
    assert_eq!(all_keys(&*store, &b, &us).await, vec![key_id(4)]);
    assert_eq!(all_keys(&*store, &b, &eu).await, vec![key_id(5), key_id(6)]);
    let nowhere: Region = "ap-south-2".parse().unwrap();
    assert_eq!(all_keys(&*store, &a, &nowhere).await, vec![]);
}

pub(crate) async fn key_updates_and_not_found(store: Arc<dyn Store>) {
    let key = create_key(&*store, key_id(1), &account_a(), &us_east_1()).await;
    let other = create_key(&*store, key_id(2), &account_a(), &us_east_1()).await;
    let id = key.key_id;

    store
        .update_key_description(id, "new description")
        .await
        .unwrap();
    store
        .update_key_description(id, "new description")
        .await
        .unwrap(); // same value: still found
    let deletion = Timestamp(1_800_000_000_000);
    store
        .update_key_state(id, KeyState::PendingDeletion, Some(deletion))
        .await
        .unwrap();
    store
        .update_key_policy(id, r#"{"new":"policy"}"#)
        .await
        .unwrap();

    let mut expected = key.clone();
    expected.description = "new description".to_owned();
    expected.state = KeyState::PendingDeletion;
    expected.deletion_date = Some(deletion);
    expected.policy = r#"{"new":"policy"}"#.to_owned();
    assert_eq!(store.key(id).await.unwrap(), Some(expected.clone()));

    store
        .update_key_state(id, KeyState::Disabled, None)
        .await
        .unwrap();
    expected.state = KeyState::Disabled;
    expected.deletion_date = None;
    assert_eq!(store.key(id).await.unwrap(), Some(expected));
    // Updates touch only their key.
    assert_eq!(store.key(other.key_id).await.unwrap(), Some(other));

    let missing = key_id(9);
    let err = store
        .update_key_description(missing, "x")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    let err = store
        .update_key_state(missing, KeyState::Enabled, None)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    let err = store.update_key_policy(missing, "{}").await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    assert_eq!(store.key(missing).await.unwrap(), None);
}

// ---------------------------------------------------------------------------------------------
// Aliases.

pub(crate) async fn alias_lifecycle(store: Arc<dyn Store>) {
    let (a, r) = (account_a(), us_east_1());
    let k1 = create_key(&*store, key_id(1), &a, &r).await.key_id;
    let k2 = create_key(&*store, key_id(2), &a, &r).await.key_id;
    let name = alias_name("alias/app");

    assert_eq!(store.alias(&a, &r, &name).await.unwrap(), None);
    let record = alias_record(&a, &r, "alias/app", k1);
    store.create_alias(&record, 50).await.unwrap();
    assert_eq!(
        store.alias(&a, &r, &name).await.unwrap(),
        Some(record.clone())
    );

    let later = Timestamp(1_700_000_999_000);
    store
        .update_alias(&a, &r, &name, k2, later, 50)
        .await
        .unwrap();
    let updated = AliasRecord {
        target_key_id: k2,
        updated_at: later,
        ..record.clone()
    };
    assert_eq!(store.alias(&a, &r, &name).await.unwrap(), Some(updated));

    let missing = alias_name("alias/missing");
    let err = store
        .update_alias(&a, &r, &missing, k1, later, 50)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    assert_eq!(store.alias(&a, &r, &missing).await.unwrap(), None);

    store.delete_alias(&a, &r, &name).await.unwrap();
    assert_eq!(store.alias(&a, &r, &name).await.unwrap(), None);
    let err = store.delete_alias(&a, &r, &name).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");

    // The name is free again.
    store.create_alias(&record, 50).await.unwrap();
    assert_eq!(store.alias(&a, &r, &name).await.unwrap(), Some(record));
}

pub(crate) async fn alias_duplicate_names(store: Arc<dyn Store>) {
    let (a, b, us, eu) = (account_a(), account_b(), us_east_1(), eu_west_1());
    let k1 = create_key(&*store, key_id(1), &a, &us).await.key_id;
    let k2 = create_key(&*store, key_id(2), &a, &us).await.key_id;
    let k3 = create_key(&*store, key_id(3), &a, &eu).await.key_id;
    let k4 = create_key(&*store, key_id(4), &b, &us).await.key_id;

    let original = alias_record(&a, &us, "alias/app", k1);
    store.create_alias(&original, 50).await.unwrap();
    // Same name, whatever the target: taken.
    for target in [k1, k2] {
        let err = store
            .create_alias(&alias_record(&a, &us, "alias/app", target), 50)
            .await;
        assert!(matches!(err, Err(StoreError::AlreadyExists)), "{err:?}");
    }
    // Also when the target key is out of alias quota: the name clash is what matters.
    let err = store
        .create_alias(&alias_record(&a, &us, "alias/app", k1), 1)
        .await;
    assert!(matches!(err, Err(StoreError::AlreadyExists)), "{err:?}");
    assert_eq!(
        store.alias(&a, &us, &original.name).await.unwrap(),
        Some(original)
    );

    // Names are per account and region, and case-sensitive.
    store
        .create_alias(&alias_record(&a, &eu, "alias/app", k3), 50)
        .await
        .unwrap();
    store
        .create_alias(&alias_record(&b, &us, "alias/app", k4), 50)
        .await
        .unwrap();
    store
        .create_alias(&alias_record(&a, &us, "alias/App", k2), 50)
        .await
        .unwrap();
    assert_eq!(
        store
            .alias(&a, &eu, &alias_name("alias/app"))
            .await
            .unwrap()
            .map(|r| r.target_key_id),
        Some(k3)
    );
    assert_eq!(
        store
            .alias(&b, &us, &alias_name("alias/app"))
            .await
            .unwrap()
            .map(|r| r.target_key_id),
        Some(k4)
    );
}

pub(crate) async fn alias_limit_per_key(store: Arc<dyn Store>) {
    let (a, r) = (account_a(), us_east_1());
    let full = create_key(&*store, key_id(1), &a, &r).await.key_id;
    let other = create_key(&*store, key_id(2), &a, &r).await.key_id;

    store
        .create_alias(&alias_record(&a, &r, "alias/one", full), 2)
        .await
        .unwrap();
    store
        .create_alias(&alias_record(&a, &r, "alias/two", full), 2)
        .await
        .unwrap();
    let err = store
        .create_alias(&alias_record(&a, &r, "alias/three", full), 2)
        .await;
    assert!(matches!(err, Err(StoreError::LimitExceeded)), "{err:?}");
    assert_eq!(
        store
            .alias(&a, &r, &alias_name("alias/three"))
            .await
            .unwrap(),
        None
    );
    // The quota is per key.
    store
        .create_alias(&alias_record(&a, &r, "alias/three", other), 2)
        .await
        .unwrap();

    // Moving an alias onto a full key is refused and changes nothing.
    let three = alias_name("alias/three");
    let err = store
        .update_alias(&a, &r, &three, full, Timestamp(5), 2)
        .await;
    assert!(matches!(err, Err(StoreError::LimitExceeded)), "{err:?}");
    assert_eq!(
        store
            .alias(&a, &r, &three)
            .await
            .unwrap()
            .map(|r| r.target_key_id),
        Some(other)
    );

    // Re-pointing an alias at the full key it already names adds nothing: allowed.
    let one = alias_name("alias/one");
    store
        .update_alias(&a, &r, &one, full, Timestamp(6), 2)
        .await
        .unwrap();
    assert_eq!(
        store
            .alias(&a, &r, &one)
            .await
            .unwrap()
            .map(|r| r.updated_at),
        Some(Timestamp(6))
    );

    // Freeing a slot makes room.
    store.delete_alias(&a, &r, &one).await.unwrap();
    store
        .update_alias(&a, &r, &three, full, Timestamp(7), 2)
        .await
        .unwrap();
    let listed = store
        .list_aliases(&a, &r, Some(full), None, 10)
        .await
        .unwrap();
    let names: Vec<&str> = listed.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["alias/three", "alias/two"]);
}

pub(crate) async fn alias_target_must_be_a_key_beside_it(store: Arc<dyn Store>) {
    let (a, b, us, eu) = (account_a(), account_b(), us_east_1(), eu_west_1());
    let k = create_key(&*store, key_id(1), &a, &us).await.key_id;
    let k_eu = create_key(&*store, key_id(2), &a, &eu).await.key_id;
    let k_b = create_key(&*store, key_id(3), &b, &us).await.key_id;

    for target in [key_id(9), k_eu, k_b] {
        let err = store
            .create_alias(&alias_record(&a, &us, "alias/x", target), 50)
            .await;
        assert!(
            matches!(err, Err(StoreError::NotFound)),
            "{target}: {err:?}"
        );
    }
    assert_eq!(
        store.alias(&a, &us, &alias_name("alias/x")).await.unwrap(),
        None
    );

    store
        .create_alias(&alias_record(&a, &us, "alias/x", k), 50)
        .await
        .unwrap();
    for target in [key_id(9), k_eu, k_b] {
        let err = store
            .update_alias(&a, &us, &alias_name("alias/x"), target, Timestamp(1), 50)
            .await;
        assert!(
            matches!(err, Err(StoreError::NotFound)),
            "{target}: {err:?}"
        );
    }
    assert_eq!(
        store
            .alias(&a, &us, &alias_name("alias/x"))
            .await
            .unwrap()
            .map(|r| r.target_key_id),
        Some(k)
    );
}

pub(crate) async fn list_aliases_pages_and_filters(store: Arc<dyn Store>) {
    let (a, b, us, eu) = (account_a(), account_b(), us_east_1(), eu_west_1());
    let k1 = create_key(&*store, key_id(1), &a, &us).await.key_id;
    let k2 = create_key(&*store, key_id(2), &a, &us).await.key_id;
    let k_eu = create_key(&*store, key_id(3), &a, &eu).await.key_id;
    let k_b = create_key(&*store, key_id(4), &b, &us).await.key_id;

    // Bytewise name order: uppercase before lowercase, '-' before letters.
    let mine = [
        ("alias/zeta", k1),
        ("alias/Beta", k2),
        ("alias/alpha", k1),
        ("alias/a-b", k2),
        ("alias/m/n", k1),
    ];
    for (name, target) in mine {
        store
            .create_alias(&alias_record(&a, &us, name, target), 50)
            .await
            .unwrap();
    }
    store
        .create_alias(&alias_record(&a, &eu, "alias/eu", k_eu), 50)
        .await
        .unwrap();
    store
        .create_alias(&alias_record(&b, &us, "alias/b", k_b), 50)
        .await
        .unwrap();

    let mut expected: Vec<&str> = mine.iter().map(|(n, _)| *n).collect();
    expected.sort_unstable();
    assert_eq!(
        expected,
        [
            "alias/Beta",
            "alias/a-b",
            "alias/alpha",
            "alias/m/n",
            "alias/zeta"
        ]
    );

    let names = |records: &[AliasRecord]| -> Vec<String> {
        records.iter().map(|r| r.name.as_str().to_owned()).collect()
    };

    // Three pages of two.
    let p1 = store.list_aliases(&a, &us, None, None, 2).await.unwrap();
    let p2 = store
        .list_aliases(&a, &us, None, p1.last().map(|r| &r.name), 2)
        .await
        .unwrap();
    let p3 = store
        .list_aliases(&a, &us, None, p2.last().map(|r| &r.name), 2)
        .await
        .unwrap();
    let p4 = store
        .list_aliases(&a, &us, None, p3.last().map(|r| &r.name), 2)
        .await
        .unwrap();
    assert_eq!(names(&p1), expected[0..2]);
    assert_eq!(names(&p2), expected[2..4]);
    assert_eq!(names(&p3), expected[4..]);
    assert!(p4.is_empty());
    // Full records come back.
    assert_eq!(p1[0], alias_record(&a, &us, "alias/Beta", k2));

    // Filtered by key, paged.
    let f1 = store
        .list_aliases(&a, &us, Some(k1), None, 2)
        .await
        .unwrap();
    let f2 = store
        .list_aliases(&a, &us, Some(k1), f1.last().map(|r| &r.name), 2)
        .await
        .unwrap();
    assert_eq!(names(&f1), ["alias/alpha", "alias/m/n"]);
    assert_eq!(names(&f2), ["alias/zeta"]);
    let all_k2 = store
        .list_aliases(&a, &us, Some(k2), None, 10)
        .await
        .unwrap();
    assert_eq!(names(&all_k2), ["alias/Beta", "alias/a-b"]);
    // A key of another account or region has no aliases here.
    assert!(
        store
            .list_aliases(&a, &us, Some(k_b), None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .list_aliases(&a, &us, Some(key_id(9)), None, 10)
            .await
            .unwrap()
            .is_empty()
    );

    // Isolation and limits.
    assert_eq!(
        names(&store.list_aliases(&a, &eu, None, None, 10).await.unwrap()),
        ["alias/eu"]
    );
    assert_eq!(
        names(&store.list_aliases(&b, &us, None, None, 10).await.unwrap()),
        ["alias/b"]
    );
    assert!(
        store
            .list_aliases(&a, &us, None, None, 0)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .list_aliases(&a, &us, None, None, usize::MAX)
            .await
            .unwrap()
            .len(),
        5
    );
    // `after` need not be an existing name.
    let after = alias_name("alias/b");
    assert_eq!(
        names(
            &store
                .list_aliases(&a, &us, None, Some(&after), 10)
                .await
                .unwrap()
        ),
        ["alias/m/n", "alias/zeta"]
    );
}

// ---------------------------------------------------------------------------------------------
// Tags.

pub(crate) async fn tags_upsert_and_overwrite(store: Arc<dyn Store>) {
    let key = key_record(key_id(1), &account_a(), &us_east_1());
    store
        .create_key(
            &key,
            &first_backing_key(&key),
            &[tag("env", "prod"), tag("team", "a")],
        )
        .await
        .unwrap();
    let id = key.key_id;
    let other = create_key(&*store, key_id(2), &account_a(), &us_east_1())
        .await
        .key_id;

    store
        .tag_key(id, &[tag("team", "b"), tag("cost", "42")], 50)
        .await
        .unwrap();
    assert_eq!(
        store.tags(id).await.unwrap(),
        vec![tag("cost", "42"), tag("env", "prod"), tag("team", "b")]
    );
    // A repeated key in one call: the last value wins.
    store
        .tag_key(id, &[tag("env", "x"), tag("env", "staging")], 50)
        .await
        .unwrap();
    // Nothing to add is fine.
    store.tag_key(id, &[], 50).await.unwrap();
    assert_eq!(
        store.tags(id).await.unwrap(),
        vec![tag("cost", "42"), tag("env", "staging"), tag("team", "b")]
    );
    assert!(store.tags(other).await.unwrap().is_empty());

    let err = store
        .tag_key(key_id(9), &[tag("a", "b")], 50)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    assert!(store.tags(key_id(9)).await.unwrap().is_empty());
}

pub(crate) async fn tag_limit_writes_nothing_when_exceeded(store: Arc<dyn Store>) {
    let key = key_record(key_id(1), &account_a(), &us_east_1());
    store
        .create_key(
            &key,
            &first_backing_key(&key),
            &[tag("a", "1"), tag("b", "2")],
        )
        .await
        .unwrap();
    let id = key.key_id;

    // 2 existing + 1 new (+ 1 overwrite, + 1 repeat) = 3 distinct: exactly at the limit.
    store
        .tag_key(id, &[tag("a", "1'"), tag("c", "3"), tag("c", "3'")], 3)
        .await
        .unwrap();
    let at_limit = vec![tag("a", "1'"), tag("b", "2"), tag("c", "3'")];
    assert_eq!(store.tags(id).await.unwrap(), at_limit);

    // Overwriting only is fine at the limit.
    store.tag_key(id, &[tag("b", "2'")], 3).await.unwrap();
    let at_limit = vec![tag("a", "1'"), tag("b", "2'"), tag("c", "3'")];

    // One more distinct key: refused, and the overwrite in the same call is not applied.
    let err = store
        .tag_key(id, &[tag("a", "changed"), tag("d", "4")], 3)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::LimitExceeded), "{err:?}");
    assert_eq!(store.tags(id).await.unwrap(), at_limit);

    // A limit of zero refuses any tag.
    let bare = create_key(&*store, key_id(2), &account_a(), &us_east_1())
        .await
        .key_id;
    let err = store.tag_key(bare, &[tag("x", "y")], 0).await.unwrap_err();
    assert!(matches!(err, StoreError::LimitExceeded), "{err:?}");
    store.tag_key(bare, &[], 0).await.unwrap();
    assert!(store.tags(bare).await.unwrap().is_empty());
}

pub(crate) async fn untag_removes_and_ignores_missing(store: Arc<dyn Store>) {
    let key = key_record(key_id(1), &account_a(), &us_east_1());
    let tags = [tag("a", "1"), tag("b", "2"), tag("c", "3")];
    store
        .create_key(&key, &first_backing_key(&key), &tags)
        .await
        .unwrap();
    let other = key_record(key_id(2), &account_a(), &us_east_1());
    store
        .create_key(&other, &first_backing_key(&other), &tags)
        .await
        .unwrap();

    store
        .untag_key(
            key.key_id,
            &["a".to_owned(), "zzz".to_owned(), "c".to_owned()],
        )
        .await
        .unwrap();
    assert_eq!(store.tags(key.key_id).await.unwrap(), vec![tag("b", "2")]);
    store.untag_key(key.key_id, &[]).await.unwrap();
    store
        .untag_key(key.key_id, &["b".to_owned(), "b".to_owned()])
        .await
        .unwrap();
    assert!(store.tags(key.key_id).await.unwrap().is_empty());
    store
        .untag_key(key.key_id, &["b".to_owned()])
        .await
        .unwrap();
    // Untagging one key leaves others alone.
    assert_eq!(store.tags(other.key_id).await.unwrap(), tags.to_vec());

    let err = store
        .untag_key(key_id(9), &["a".to_owned()])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
}

// ---------------------------------------------------------------------------------------------
// Concurrency: quota checks and writes are one transaction, so racing callers can't overshoot.

pub(crate) async fn concurrent_alias_creation_respects_limit(store: Arc<dyn Store>) {
    let (a, r) = (account_a(), us_east_1());
    let k = create_key(&*store, key_id(1), &a, &r).await.key_id;
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let store = Arc::clone(&store);
            let record = alias_record(&a, &r, &format!("alias/racer-{i:02}"), k);
            tokio::spawn(async move { store.create_alias(&record, 5).await })
        })
        .collect();
    let (mut ok, mut limited) = (0, 0);
    for task in tasks {
        match task.await.unwrap() {
            Ok(()) => ok += 1,
            Err(StoreError::LimitExceeded) => limited += 1,
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!((ok, limited), (5, 11));
    assert_eq!(
        store
            .list_aliases(&a, &r, Some(k), None, 100)
            .await
            .unwrap()
            .len(),
        5
    );
}

pub(crate) async fn concurrent_tagging_respects_limit(store: Arc<dyn Store>) {
    let k = create_key(&*store, key_id(1), &account_a(), &us_east_1())
        .await
        .key_id;
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                store
                    .tag_key(k, &[tag(&format!("t{i:02}"), "v"), tag("shared", "v")], 6)
                    .await
            })
        })
        .collect();
    let mut ok = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(()) => ok += 1,
            Err(StoreError::LimitExceeded) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    // "shared" plus five distinct keys fill the quota of six.
    assert_eq!(ok, 5);
    let keys: BTreeSet<String> = store
        .tags(k)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.key)
        .collect();
    assert_eq!(keys.len(), 6);
    assert!(keys.contains("shared"));
}

// ---------------------------------------------------------------------------------------------
// Grants.

fn grant_record(key_id: KeyId, n: u8, retiring: Option<&str>) -> GrantRecord {
    GrantRecord {
        grant_id: GrantId([n; 32]),
        key_id,
        name: None,
        grantee_principal: "arn:aws:iam::444455556666:role/reader".to_owned(),
        retiring_principal: retiring.map(str::to_owned),
        issuing_account: account_a(),
        operations: vec![GrantOperation::Decrypt],
        constraints: GrantConstraints::default(),
        created_at: Timestamp(1_700_000_000_000 + i64::from(n)),
    }
}

fn context(pairs: &[(&str, &str)]) -> EncryptionContext {
    EncryptionContext::new(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

pub(crate) async fn grant_round_trips_every_field(store: Arc<dyn Store>) {
    let key = create_key(&*store, key_id(1), &account_a(), &us_east_1()).await;
    let mut grant = grant_record(key.key_id, 7, Some("arn:aws:iam::111122223333:user/ops"));
    grant.name = Some("nightly-job".to_owned());
    grant.operations = vec![
        GrantOperation::Decrypt,
        GrantOperation::Encrypt,
        GrantOperation::RetireGrant,
    ];
    grant.constraints = GrantConstraints {
        encryption_context_equals: Some(context(&[("Department", "IT")])),
        encryption_context_subset: Some(context(&[("a", "1"), ("b", "")])),
    };
    store.create_grant(&grant, 10).await.unwrap();
    assert_eq!(
        store.grant(grant.grant_id).await.unwrap(),
        Some(grant.clone())
    );
    assert_eq!(store.grants(key.key_id).await.unwrap(), vec![grant.clone()]);
    assert!(matches!(
        store.create_grant(&grant, 10).await,
        Err(StoreError::AlreadyExists)
    ));
    assert!(store.grant(GrantId([9; 32])).await.unwrap().is_none());
    let mut orphan = grant_record(key_id(2), 8, None);
    orphan.key_id = key_id(2);
    assert!(matches!(
        store.create_grant(&orphan, 10).await,
        Err(StoreError::NotFound)
    ));
}

pub(crate) async fn grants_list_oldest_first_and_delete(store: Arc<dyn Store>) {
    let key = create_key(&*store, key_id(1), &account_a(), &us_east_1()).await;
    let other = create_key(&*store, key_id(2), &account_a(), &us_east_1()).await;
    for n in [3u8, 1, 2] {
        store
            .create_grant(&grant_record(key.key_id, n, None), 10)
            .await
            .unwrap();
    }
    store
        .create_grant(&grant_record(other.key_id, 9, None), 10)
        .await
        .unwrap();
    let ids: Vec<GrantId> = store
        .grants(key.key_id)
        .await
        .unwrap()
        .iter()
        .map(|g| g.grant_id)
        .collect();
    assert_eq!(
        ids,
        vec![GrantId([1; 32]), GrantId([2; 32]), GrantId([3; 32])]
    );
    // A grant is deleted only through its own key.
    assert!(matches!(
        store.delete_grant(other.key_id, GrantId([2; 32])).await,
        Err(StoreError::NotFound)
    ));
    store
        .delete_grant(key.key_id, GrantId([2; 32]))
        .await
        .unwrap();
    assert_eq!(store.grants(key.key_id).await.unwrap().len(), 2);
    assert!(store.grant(GrantId([2; 32])).await.unwrap().is_none());
    assert!(matches!(
        store.delete_grant(key.key_id, GrantId([2; 32])).await,
        Err(StoreError::NotFound)
    ));
}

pub(crate) async fn grant_limit_per_key_writes_nothing(store: Arc<dyn Store>) {
    let key = create_key(&*store, key_id(1), &account_a(), &us_east_1()).await;
    for n in 1..=3u8 {
        store
            .create_grant(&grant_record(key.key_id, n, None), 3)
            .await
            .unwrap();
    }
    let mut over = grant_record(key.key_id, 4, None);
    over.constraints.encryption_context_subset = Some(context(&[("k", "v")]));
    assert!(matches!(
        store.create_grant(&over, 3).await,
        Err(StoreError::LimitExceeded)
    ));
    assert_eq!(store.grants(key.key_id).await.unwrap().len(), 3);
    assert!(store.grant(over.grant_id).await.unwrap().is_none());
}

pub(crate) async fn retirable_grants_page_across_keys(store: Arc<dyn Store>) {
    let ops = "arn:aws:iam::111122223333:role/ops";
    let a = create_key(&*store, key_id(1), &account_a(), &us_east_1()).await;
    let b = create_key(&*store, key_id(2), &account_b(), &us_east_1()).await;
    for (key, n) in [(&a, 5u8), (&b, 2), (&a, 9)] {
        let mut grant = grant_record(key.key_id, n, Some(ops));
        grant.constraints.encryption_context_equals = Some(context(&[("n", "x")]));
        store.create_grant(&grant, 10).await.unwrap();
    }
    store
        .create_grant(
            &grant_record(a.key_id, 7, Some("arn:aws:iam::111122223333:role/other")),
            10,
        )
        .await
        .unwrap();
    let first = store.retirable_grants(ops, None, 2).await.unwrap();
    assert_eq!(
        first.iter().map(|g| g.grant_id).collect::<Vec<_>>(),
        vec![GrantId([2; 32]), GrantId([5; 32])]
    );
    assert_eq!(
        first[0].constraints.encryption_context_equals,
        Some(context(&[("n", "x")]))
    );
    let rest = store
        .retirable_grants(ops, Some(first[1].grant_id), 2)
        .await
        .unwrap();
    assert_eq!(
        rest.iter().map(|g| g.grant_id).collect::<Vec<_>>(),
        vec![GrantId([9; 32])]
    );
}

// ---------------------------------------------------------------------------------------------
// Lifecycle.

fn next_version(key: &KeyRecord, n: u8, at: i64, kind: RotationType) -> BackingKeyRecord {
    BackingKeyRecord {
        key_id: key.key_id,
        backing_key_id: backing_key_id(key.key_id, n),
        encrypted_key_token: vec![n; 60],
        created_at: Timestamp(key.created_at.millis() + at),
        rotation_type: Some(kind),
    }
}

fn schedule(days: u32, at: i64) -> RotationSchedule {
    RotationSchedule {
        period_days: days,
        next_rotation_at: Timestamp(at),
    }
}

pub(crate) async fn rotation_is_a_compare_and_set(store: Arc<dyn Store>) {
    let key = create_key(&*store, key_id(1), &account_a(), &us_east_1()).await;
    let first = schedule(90, 1_000);
    store.set_rotation(key.key_id, Some(first)).await.unwrap();
    assert_eq!(
        store.key(key.key_id).await.unwrap().unwrap().rotation,
        Some(first)
    );
    let second = schedule(90, 2_000);
    let v2 = next_version(&key, 2, 1_000, RotationType::Automatic);
    assert!(
        store
            .rotate_key(&v2, Some(first), Some(second), 25)
            .await
            .unwrap()
    );
    // The same due rotation a second time (another process): nothing happens.
    let v2b = next_version(&key, 3, 1_000, RotationType::Automatic);
    assert!(
        !store
            .rotate_key(&v2b, Some(first), Some(second), 25)
            .await
            .unwrap()
    );
    let stored = store.key(key.key_id).await.unwrap().unwrap();
    assert_eq!(stored.current_backing_key, v2.backing_key_id);
    assert_eq!(stored.rotation, Some(second));
    let versions = store.backing_keys(key.key_id).await.unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[1].rotation_type, Some(RotationType::Automatic));
    assert_eq!(versions[0].rotation_type, None);
    store.set_rotation(key.key_id, None).await.unwrap();
    assert_eq!(store.key(key.key_id).await.unwrap().unwrap().rotation, None);
    assert!(matches!(
        store.set_rotation(key_id(9), None).await,
        Err(StoreError::NotFound)
    ));
}

pub(crate) async fn on_demand_rotations_are_limited(store: Arc<dyn Store>) {
    let key = create_key(&*store, key_id(1), &account_a(), &us_east_1()).await;
    for n in 2..=4u8 {
        let v = next_version(&key, n, i64::from(n), RotationType::OnDemand);
        assert!(store.rotate_key(&v, None, None, 3).await.unwrap());
    }
    let over = next_version(&key, 5, 5, RotationType::OnDemand);
    assert!(matches!(
        store.rotate_key(&over, None, None, 3).await,
        Err(StoreError::LimitExceeded)
    ));
    // Automatic rotations don't count against the on-demand quota.
    store
        .set_rotation(key.key_id, Some(schedule(90, 10)))
        .await
        .unwrap();
    let auto = next_version(&key, 6, 10, RotationType::Automatic);
    assert!(
        store
            .rotate_key(&auto, Some(schedule(90, 10)), Some(schedule(90, 20)), 3)
            .await
            .unwrap()
    );
    assert_eq!(store.backing_keys(key.key_id).await.unwrap().len(), 5);
}

pub(crate) async fn due_rotations_skip_keys_not_enabled(store: Arc<dyn Store>) {
    let a = create_key(&*store, key_id(1), &account_a(), &us_east_1()).await;
    let b = create_key(&*store, key_id(2), &account_a(), &us_east_1()).await;
    let c = create_key(&*store, key_id(3), &account_a(), &us_east_1()).await;
    store
        .set_rotation(a.key_id, Some(schedule(90, 300)))
        .await
        .unwrap();
    store
        .set_rotation(b.key_id, Some(schedule(90, 100)))
        .await
        .unwrap();
    store
        .set_rotation(c.key_id, Some(schedule(90, 5_000)))
        .await
        .unwrap();
    let due = store.due_rotations(Timestamp(1_000), 10).await.unwrap();
    assert_eq!(
        due.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
        vec![b.key_id, a.key_id]
    );
    store
        .update_key_state(b.key_id, KeyState::Disabled, None)
        .await
        .unwrap();
    let due = store.due_rotations(Timestamp(1_000), 10).await.unwrap();
    assert_eq!(due, vec![(a.key_id, schedule(90, 300))]);
}

pub(crate) async fn deletion_erases_everything_once(store: Arc<dyn Store>) {
    let key = create_key(&*store, key_id(1), &account_a(), &us_east_1()).await;
    let other = create_key(&*store, key_id(2), &account_a(), &us_east_1()).await;
    let v2 = next_version(&key, 2, 5, RotationType::OnDemand);
    store.rotate_key(&v2, None, None, 25).await.unwrap();
    store
        .create_alias(
            &alias_record(&account_a(), &us_east_1(), "alias/doomed", key.key_id),
            50,
        )
        .await
        .unwrap();
    store
        .tag_key(key.key_id, &[tag("a", "1")], 50)
        .await
        .unwrap();
    let mut grant = grant_record(key.key_id, 1, None);
    grant.constraints.encryption_context_equals = Some(context(&[("k", "v")]));
    store.create_grant(&grant, 10).await.unwrap();
    store
        .record_key_usage(&[KeyUsageRecord {
            key_id: key.key_id,
            used_at: Timestamp(7),
            operation: KeyUsageOperation::Encrypt,
            request_id: "r".to_owned(),
        }])
        .await
        .unwrap();
    // Not pending deletion: not deleted.
    assert!(
        !store
            .delete_key_if_due(key.key_id, Timestamp(100))
            .await
            .unwrap()
    );
    store
        .update_key_state(key.key_id, KeyState::PendingDeletion, Some(Timestamp(50)))
        .await
        .unwrap();
    assert!(
        store
            .due_deletions(Timestamp(49), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        !store
            .delete_key_if_due(key.key_id, Timestamp(49))
            .await
            .unwrap()
    );
    assert_eq!(
        store.due_deletions(Timestamp(50), 10).await.unwrap(),
        vec![key.key_id]
    );
    assert!(
        store
            .delete_key_if_due(key.key_id, Timestamp(50))
            .await
            .unwrap()
    );
    assert!(
        !store
            .delete_key_if_due(key.key_id, Timestamp(50))
            .await
            .unwrap()
    );
    assert_eq!(store.key(key.key_id).await.unwrap(), None);
    assert!(store.backing_keys(key.key_id).await.unwrap().is_empty());
    assert!(store.grants(key.key_id).await.unwrap().is_empty());
    assert!(store.tags(key.key_id).await.unwrap().is_empty());
    assert!(store.key_usage(key.key_id).await.unwrap().is_none());
    assert!(
        store
            .alias(&account_a(), &us_east_1(), &alias_name("alias/doomed"))
            .await
            .unwrap()
            .is_none()
    );
    // The neighbour is untouched.
    assert!(store.key(other.key_id).await.unwrap().is_some());
    assert_eq!(store.backing_keys(other.key_id).await.unwrap().len(), 1);
}

pub(crate) async fn key_usage_keeps_the_latest(store: Arc<dyn Store>) {
    let key = create_key(&*store, key_id(1), &account_a(), &us_east_1()).await;
    let usage = |at: i64, op: KeyUsageOperation| KeyUsageRecord {
        key_id: key.key_id,
        used_at: Timestamp(at),
        operation: op,
        request_id: format!("req-{at}"),
    };
    store
        .record_key_usage(&[usage(10, KeyUsageOperation::Encrypt)])
        .await
        .unwrap();
    store
        .record_key_usage(&[usage(5, KeyUsageOperation::Decrypt)])
        .await
        .unwrap();
    assert_eq!(
        store.key_usage(key.key_id).await.unwrap(),
        Some(usage(10, KeyUsageOperation::Encrypt))
    );
    // A key that is gone is skipped, not an error.
    let mut ghost = usage(20, KeyUsageOperation::Decrypt);
    ghost.key_id = key_id(9);
    store
        .record_key_usage(&[ghost, usage(30, KeyUsageOperation::GenerateDataKey)])
        .await
        .unwrap();
    assert_eq!(
        store
            .key_usage(key.key_id)
            .await
            .unwrap()
            .unwrap()
            .operation,
        KeyUsageOperation::GenerateDataKey
    );
    assert!(store.key_usage(key_id(9)).await.unwrap().is_none());
}
