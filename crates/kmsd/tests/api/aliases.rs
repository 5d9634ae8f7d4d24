//! CreateAlias, UpdateAlias, DeleteAlias, ListAliases and alias resolution.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_kms::Client;
use aws_sdk_kms::primitives::Blob;

use crate::harness::*;

/// Every alias the account lists, as name → entry, following markers to the end.
async fn all_aliases(
    kms: &Client,
    key_id: Option<&str>,
) -> BTreeMap<String, aws_sdk_kms::types::AliasListEntry> {
    let mut out = BTreeMap::new();
    let mut marker: Option<String> = None;
    for _ in 0..100 {
        let page = ok(kms
            .list_aliases()
            .set_key_id(key_id.map(str::to_owned))
            .set_marker(marker.clone())
            .send()
            .await);
        for entry in page.aliases() {
            let name = entry.alias_name().expect("AliasName").to_owned();
            assert!(
                out.insert(name.clone(), entry.clone()).is_none(),
                "{name} listed twice"
            );
        }
        if !page.truncated() {
            return out;
        }
        marker = Some(page.next_marker().expect("NextMarker").to_owned());
    }
    panic!("ListAliases does not terminate");
}

/// Our aliases only: AWS lists predefined `alias/aws/*` names (without a target) as well.
fn customer_aliases(
    all: BTreeMap<String, aws_sdk_kms::types::AliasListEntry>,
) -> BTreeMap<String, aws_sdk_kms::types::AliasListEntry> {
    all.into_iter()
        .filter(|(name, _)| !name.starts_with("alias/aws/"))
        .collect()
}

#[tokio::test]
async fn create_alias_resolves_in_describe_and_crypto() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let id = create_key(&kms).await;
    let alias = format!("alias/app-{}", unique());

    // TargetKeyId may be a key ARN.
    ok(kms
        .create_alias()
        .alias_name(&alias)
        .target_key_id(key_arn(&id))
        .send()
        .await);

    let md = ok(kms.describe_key().key_id(&alias).send().await);
    assert_eq!(md.key_metadata().map(|m| m.key_id()), Some(id.as_str()));
    let md = ok(kms.describe_key().key_id(alias_arn(&alias)).send().await);
    assert_eq!(md.key_metadata().map(|m| m.key_id()), Some(id.as_str()));

    let enc = ok(kms
        .encrypt()
        .key_id(&alias)
        .plaintext(Blob::new("via alias"))
        .send()
        .await);
    assert_eq!(enc.key_id(), Some(key_arn(&id).as_str()));

    let listed = customer_aliases(all_aliases(&kms, None).await);
    let entry = listed.get(&alias).expect("alias is listed");
    assert_eq!(entry.alias_arn(), Some(alias_arn(&alias).as_str()));
    assert_eq!(
        entry.target_key_id(),
        Some(id.as_str()),
        "TargetKeyId is the bare key ID even when created with an ARN"
    );
    let created = entry.creation_date().expect("CreationDate").secs();
    assert!((now_secs() - created).abs() < 60, "CreationDate {created}");
    assert!(entry.last_updated_date().is_some(), "LastUpdatedDate");
}

#[tokio::test]
async fn create_alias_duplicate_is_already_exists() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let (_, alias) = create_key_with_alias(&kms, "dup").await;
    let other = create_key(&kms).await;
    let result = kms
        .create_alias()
        .alias_name(&alias)
        .target_key_id(&other)
        .send()
        .await;
    assert!(
        result
            .as_ref()
            .err()
            .and_then(|e| e.as_service_error())
            .is_some_and(|e| e.is_already_exists_exception()),
        "typed AlreadyExistsException expected: {result:?}"
    );
    let message = expect_error(result, "AlreadyExistsException");
    assert_eq!(
        message,
        format!(
            "An alias with the name {} already exists",
            alias_arn(&alias)
        )
    );
}

#[tokio::test]
async fn alias_names_are_validated() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let id = create_key(&kms).await;

    let message = expect_error(
        kms.create_alias()
            .alias_name("no-prefix")
            .target_key_id(&id)
            .send()
            .await,
        "ValidationException",
    );
    assert_eq!(
        message,
        "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html"
    );

    for bad in [
        "alias/".to_owned(),
        "alias/has space".to_owned(),
        "alias/bang!".to_owned(),
        format!("alias/{}", "a".repeat(251)), // 257 characters
    ] {
        expect_error(
            kms.create_alias()
                .alias_name(&bad)
                .target_key_id(&id)
                .send()
                .await,
            "ValidationException",
        );
    }

    // 256 characters and the whole allowed alphabet are fine.
    ok(kms
        .create_alias()
        .alias_name(format!("alias/{}", "a".repeat(250)))
        .target_key_id(&id)
        .send()
        .await);
    ok(kms
        .create_alias()
        .alias_name("alias/Az09/_-nested/ok")
        .target_key_id(&id)
        .send()
        .await);

    // `alias/aws/` is reserved for AWS managed keys.
    expect_error_in(
        kms.create_alias()
            .alias_name("alias/aws/mine")
            .target_key_id(&id)
            .send()
            .await,
        &["NotAuthorizedException", "InvalidAliasNameException"],
    );
}

#[tokio::test]
async fn alias_names_are_case_sensitive() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let upper = create_key(&kms).await;
    let lower = create_key(&kms).await;
    let name = unique();
    ok(kms
        .create_alias()
        .alias_name(format!("alias/Case-{name}"))
        .target_key_id(&upper)
        .send()
        .await);
    ok(kms
        .create_alias()
        .alias_name(format!("alias/case-{name}"))
        .target_key_id(&lower)
        .send()
        .await);
    let md = ok(kms
        .describe_key()
        .key_id(format!("alias/Case-{name}"))
        .send()
        .await);
    assert_eq!(md.key_metadata().map(|m| m.key_id()), Some(upper.as_str()));
    let md = ok(kms
        .describe_key()
        .key_id(format!("alias/case-{name}"))
        .send()
        .await);
    assert_eq!(md.key_metadata().map(|m| m.key_id()), Some(lower.as_str()));
}

#[tokio::test]
async fn alias_target_must_be_an_existing_key_not_an_alias() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let (id, existing) = create_key_with_alias(&kms, "target").await;
    let fresh = format!("alias/fresh-{}", unique());

    // An alias (by name or ARN) is never a valid TargetKeyId.
    for target in [existing.clone(), alias_arn(&existing)] {
        expect_error_in(
            kms.create_alias()
                .alias_name(&fresh)
                .target_key_id(&target)
                .send()
                .await,
            &["NotFoundException", "ValidationException"],
        );
        expect_error_in(
            kms.update_alias()
                .alias_name(&existing)
                .target_key_id(&target)
                .send()
                .await,
            &["NotFoundException", "ValidationException"],
        );
    }
    expect_error(
        kms.create_alias()
            .alias_name(&fresh)
            .target_key_id(random_uuid())
            .send()
            .await,
        "NotFoundException",
    );

    // Nothing was created or changed by the failures.
    expect_error(
        kms.describe_key().key_id(&fresh).send().await,
        "NotFoundException",
    );
    let md = ok(kms.describe_key().key_id(&existing).send().await);
    assert_eq!(md.key_metadata().map(|m| m.key_id()), Some(id.as_str()));
}

#[tokio::test]
async fn list_aliases_all_and_by_key() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let k1 = create_key(&kms).await;
    let k2 = create_key(&kms).await;
    let suffix = unique();
    let a1 = format!("alias/one-{suffix}");
    let a2 = format!("alias/two-{suffix}");
    let a3 = format!("alias/three-{suffix}");
    for (alias, key) in [(&a1, &k1), (&a2, &k1), (&a3, &k2)] {
        ok(kms
            .create_alias()
            .alias_name(alias)
            .target_key_id(key)
            .send()
            .await);
    }

    let all = all_aliases(&kms, None).await;
    for (name, entry) in &all {
        if name.starts_with("alias/aws/") {
            continue;
        }
        assert!(entry.target_key_id().is_some(), "{name} has no TargetKeyId");
        assert_eq!(entry.alias_arn(), Some(alias_arn(name).as_str()));
    }
    let ours = customer_aliases(all);
    assert_eq!(
        ours.keys().cloned().collect::<BTreeSet<_>>(),
        BTreeSet::from([a1.clone(), a2.clone(), a3.clone()])
    );
    assert_eq!(ours[&a3].target_key_id(), Some(k2.as_str()));

    let expected = BTreeSet::from([a1.clone(), a2.clone()]);
    for form in [k1.clone(), key_arn(&k1)] {
        let by_key = all_aliases(&kms, Some(&form)).await;
        assert_eq!(
            by_key.keys().cloned().collect::<BTreeSet<_>>(),
            expected,
            "ListAliases(KeyId={form})"
        );
        assert!(
            by_key
                .values()
                .all(|e| e.target_key_id() == Some(k1.as_str()))
        );
    }

    expect_error(
        kms.list_aliases().key_id(random_uuid()).send().await,
        "NotFoundException",
    );
}

#[tokio::test]
async fn list_aliases_pages_and_validates_paging_input() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let id = create_key(&kms).await;
    let mut created = BTreeSet::new();
    for i in 0..5 {
        let alias = format!("alias/page-{i}-{}", unique());
        ok(kms
            .create_alias()
            .alias_name(&alias)
            .target_key_id(&id)
            .send()
            .await);
        created.insert(alias);
    }

    let mut seen = Vec::new();
    let mut marker: Option<String> = None;
    let mut pages = 0;
    loop {
        pages += 1;
        assert!(pages <= 10, "ListAliases does not terminate");
        let page = ok(kms
            .list_aliases()
            .key_id(&id)
            .limit(2)
            .set_marker(marker.clone())
            .send()
            .await);
        assert!(page.aliases().len() <= 2, "page larger than Limit");
        seen.extend(
            page.aliases()
                .iter()
                .map(|e| e.alias_name().expect("AliasName").to_owned()),
        );
        if !page.truncated() {
            assert!(page.next_marker().is_none());
            break;
        }
        marker = Some(page.next_marker().expect("NextMarker").to_owned());
    }
    let unique_seen: BTreeSet<String> = seen.iter().cloned().collect();
    assert_eq!(unique_seen.len(), seen.len(), "duplicates: {seen:?}");
    assert_eq!(unique_seen, created);
    assert_eq!(pages, 3);

    // ListAliases takes Limit 1–100.
    expect_error(
        kms.list_aliases().limit(0).send().await,
        "ValidationException",
    );
    expect_error(
        kms.list_aliases().limit(101).send().await,
        "ValidationException",
    );
    ok(kms.list_aliases().limit(100).send().await);
    expect_error(
        kms.list_aliases().marker("bogus-marker").send().await,
        "InvalidMarkerException",
    );
}

#[tokio::test]
async fn update_alias_retargets() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let (k1, alias) = create_key_with_alias(&kms, "moving").await;
    let k2 = create_key(&kms).await;

    let blob = ok(kms
        .encrypt()
        .key_id(&alias)
        .plaintext(Blob::new("before"))
        .send()
        .await)
    .ciphertext_blob
    .expect("CiphertextBlob");

    ok(kms
        .update_alias()
        .alias_name(&alias)
        .target_key_id(key_arn(&k2))
        .send()
        .await);

    let md = ok(kms.describe_key().key_id(&alias).send().await);
    assert_eq!(md.key_metadata().map(|m| m.key_id()), Some(k2.as_str()));
    let enc = ok(kms
        .encrypt()
        .key_id(&alias)
        .plaintext(Blob::new("after"))
        .send()
        .await);
    assert_eq!(enc.key_id(), Some(key_arn(&k2).as_str()));

    // Old ciphertexts still decrypt under the old key, and naming the alias now points
    // at the wrong key.
    let dec = ok(kms.decrypt().ciphertext_blob(blob.clone()).send().await);
    assert_eq!(dec.key_id(), Some(key_arn(&k1).as_str()));
    expect_error(
        kms.decrypt()
            .ciphertext_blob(blob)
            .key_id(&alias)
            .send()
            .await,
        "IncorrectKeyException",
    );

    let by_k1 = all_aliases(&kms, Some(&k1)).await;
    assert!(
        !by_k1.contains_key(&alias),
        "alias still listed under the old key"
    );
    let by_k2 = all_aliases(&kms, Some(&k2)).await;
    let entry = by_k2.get(&alias).expect("alias listed under the new key");
    assert_eq!(entry.target_key_id(), Some(k2.as_str()));
    let created = entry.creation_date().expect("CreationDate");
    let updated = entry.last_updated_date().expect("LastUpdatedDate");
    assert!(updated.as_secs_f64() >= created.as_secs_f64());

    expect_error(
        kms.update_alias()
            .alias_name(format!("alias/missing-{}", unique()))
            .target_key_id(&k2)
            .send()
            .await,
        "NotFoundException",
    );
    expect_error(
        kms.update_alias()
            .alias_name(&alias)
            .target_key_id(random_uuid())
            .send()
            .await,
        "NotFoundException",
    );
}

#[tokio::test]
async fn delete_alias_then_not_found() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let (id, alias) = create_key_with_alias(&kms, "doomed").await;

    ok(kms.delete_alias().alias_name(&alias).send().await);

    expect_error(
        kms.describe_key().key_id(&alias).send().await,
        "NotFoundException",
    );
    expect_error(
        kms.encrypt()
            .key_id(&alias)
            .plaintext(Blob::new("x"))
            .send()
            .await,
        "NotFoundException",
    );
    expect_error(
        kms.delete_alias().alias_name(&alias).send().await,
        "NotFoundException",
    );
    assert!(!customer_aliases(all_aliases(&kms, None).await).contains_key(&alias));

    // The key itself is untouched, and the name can be reused.
    let md = ok(kms.describe_key().key_id(&id).send().await);
    assert_eq!(md.key_metadata().map(|m| m.key_id()), Some(id.as_str()));
    ok(kms
        .create_alias()
        .alias_name(&alias)
        .target_key_id(&id)
        .send()
        .await);
}
