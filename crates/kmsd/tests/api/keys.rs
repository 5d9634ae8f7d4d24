//! CreateKey, DescribeKey, ListKeys, EnableKey / DisableKey, UpdateKeyDescription.

// CustomerMasterKeySpec is deprecated in the SDK, but AWS still returns and accepts it.
#![allow(deprecated)]

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_kms::types::{
    CustomerMasterKeySpec, EncryptionAlgorithmSpec, KeyManagerType, KeySpec, KeyState,
    KeyUsageType, OriginType,
};

use crate::harness::*;

#[tokio::test]
async fn create_key_returns_complete_symmetric_metadata() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();

    let before = now_secs();
    let out = ok(kms
        .create_key()
        .tags(tag("team", "crypto"))
        .tags(tag("empty", ""))
        .send()
        .await);
    let after = now_secs();
    let md = out.key_metadata().expect("KeyMetadata");

    let id = md.key_id();
    assert!(
        is_lowercase_uuid(id),
        "KeyId must be a lowercase UUID: {id}"
    );
    assert_eq!(md.arn(), Some(key_arn(id).as_str()));
    assert_eq!(md.aws_account_id(), Some(ACCOUNT));
    let created = md.creation_date().expect("CreationDate").secs();
    assert!(
        (before - 5..=after + 5).contains(&created),
        "CreationDate {created} not within [{before}, {after}]"
    );
    assert!(md.enabled());
    assert_eq!(md.description(), Some(""), "Description defaults to \"\"");
    assert_eq!(md.key_usage(), Some(&KeyUsageType::EncryptDecrypt));
    assert_eq!(md.key_spec(), Some(&KeySpec::SymmetricDefault));
    let cmk_spec = md.customer_master_key_spec();
    assert_eq!(cmk_spec, Some(&CustomerMasterKeySpec::SymmetricDefault));
    assert_eq!(
        md.encryption_algorithms(),
        &[EncryptionAlgorithmSpec::SymmetricDefault]
    );
    assert_eq!(md.key_state(), Some(&KeyState::Enabled));
    assert_eq!(md.origin(), Some(&OriginType::AwsKms));
    assert_eq!(md.key_manager(), Some(&KeyManagerType::Customer));
    assert_eq!(md.multi_region(), Some(false));
    // Members that only exist for other key types or states must be absent.
    assert!(md.signing_algorithms().is_empty());
    assert!(md.mac_algorithms().is_empty());
    assert!(md.key_agreement_algorithms().is_empty());
    assert!(md.deletion_date().is_none());
    assert!(md.valid_to().is_none());
    assert!(md.expiration_model().is_none());
    assert!(md.multi_region_configuration().is_none());
    assert!(md.pending_deletion_window_in_days().is_none());
    assert!(md.custom_key_store_id().is_none());

    // DescribeKey reports the same metadata.
    let described = ok(kms.describe_key().key_id(id).send().await);
    assert_eq!(described.key_metadata(), Some(md));

    // Tags given at creation are on the key.
    let tags = ok(kms.list_resource_tags().key_id(id).send().await);
    let tags: BTreeMap<&str, &str> = tags
        .tags()
        .iter()
        .map(|t| (t.tag_key(), t.tag_value()))
        .collect();
    assert_eq!(tags, BTreeMap::from([("empty", ""), ("team", "crypto")]));
}

#[tokio::test]
async fn create_key_reports_current_key_material_id() {
    // KeyMetadata.CurrentKeyMaterialId is returned for symmetric AWS_KMS keys (64 hex digits),
    // and Decrypt reports the key material that was used.
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let out = ok(kms.create_key().send().await);
    let md = out.key_metadata().expect("KeyMetadata");
    let material = md
        .current_key_material_id()
        .expect("CurrentKeyMaterialId for a symmetric AWS_KMS key");
    assert_eq!(material.len(), 64, "{material}");
    assert!(
        material.chars().all(|c| c.is_ascii_hexdigit()),
        "{material}"
    );

    let blob = ok(kms
        .encrypt()
        .key_id(md.key_id())
        .plaintext(aws_sdk_kms::primitives::Blob::new("x"))
        .send()
        .await)
    .ciphertext_blob
    .expect("CiphertextBlob");
    let decrypted = ok(kms.decrypt().ciphertext_blob(blob).send().await);
    assert_eq!(decrypted.key_material_id(), Some(material));
}

#[tokio::test]
async fn create_key_stores_description_and_policy() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let description = "payments ✓ — primary";
    let policy = format!(
        r#"{{"Version":"2012-10-17","Id":"custom","Statement":[{{"Sid":"root","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"kms:*","Resource":"*"}}]}}"#
    );
    let out = ok(kms
        .create_key()
        .description(description)
        .key_usage(KeyUsageType::EncryptDecrypt)
        .key_spec(KeySpec::SymmetricDefault)
        .policy(&policy)
        .send()
        .await);
    let id = out.key_metadata().expect("KeyMetadata").key_id().to_owned();
    assert_eq!(
        out.key_metadata().and_then(|m| m.description()),
        Some(description)
    );
    let got = ok(kms
        .get_key_policy()
        .key_id(&id)
        .policy_name("default")
        .send()
        .await);
    assert_eq!(got.policy(), Some(policy.as_str()));
}

#[tokio::test]
async fn create_key_rejects_invalid_input() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();

    // Description is at most 8192 characters.
    expect_error(
        kms.create_key().description("d".repeat(8193)).send().await,
        "ValidationException",
    );
    ok(kms.create_key().description("d".repeat(8192)).send().await);

    // A symmetric key can only be ENCRYPT_DECRYPT.
    expect_error(
        kms.create_key()
            .key_usage(KeyUsageType::SignVerify)
            .send()
            .await,
        "ValidationException",
    );

    // KeySpec and its deprecated twin CustomerMasterKeySpec are mutually exclusive.
    expect_error(
        kms.create_key()
            .key_spec(KeySpec::SymmetricDefault)
            .customer_master_key_spec(CustomerMasterKeySpec::SymmetricDefault)
            .send()
            .await,
        "ValidationException",
    );

    // An unknown enum value is a validation error, not a 500 or a default.
    expect_error(
        kms.create_key()
            .key_spec(KeySpec::from("NOT_A_SPEC"))
            .send()
            .await,
        "ValidationException",
    );

    expect_error(
        kms.create_key().policy("{not json").send().await,
        "MalformedPolicyDocumentException",
    );

    expect_error(
        kms.create_key().tags(tag("aws:reserved", "x")).send().await,
        "TagException",
    );

    expect_error(
        kms.create_key()
            .tags(tag("same", "1"))
            .tags(tag("same", "2"))
            .send()
            .await,
        "TagException",
    );

    // None of the failed calls created a key.
    let keys = ok(kms.list_keys().send().await);
    assert_eq!(keys.keys().len(), 1, "only the 8192-character key exists");
}

/// What a not-yet-implemented CreateKey variant must look like if it is accepted.
type MetadataCheck = fn(&aws_sdk_kms::types::KeyMetadata);

#[tokio::test]
async fn create_key_variants_are_supported_or_cleanly_refused() {
    // Asymmetric, HMAC, multi-Region and imported keys come later: until then CreateKey must
    // refuse them with a proper AWS error (never a 500 or a silently symmetric key); once
    // they exist, their metadata must be right.
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let cases: Vec<(
        &str,
        aws_sdk_kms::operation::create_key::builders::CreateKeyFluentBuilder,
        MetadataCheck,
    )> = vec![
        (
            "RSA_2048 ENCRYPT_DECRYPT",
            kms.create_key()
                .key_spec(KeySpec::Rsa2048)
                .key_usage(KeyUsageType::EncryptDecrypt),
            |md| {
                assert_eq!(md.key_spec(), Some(&KeySpec::Rsa2048));
                assert_eq!(
                    md.encryption_algorithms(),
                    &[
                        EncryptionAlgorithmSpec::RsaesOaepSha1,
                        EncryptionAlgorithmSpec::RsaesOaepSha256
                    ]
                );
            },
        ),
        (
            "ECC_NIST_P256 SIGN_VERIFY",
            kms.create_key()
                .key_spec(KeySpec::EccNistP256)
                .key_usage(KeyUsageType::SignVerify),
            |md| {
                assert_eq!(md.key_spec(), Some(&KeySpec::EccNistP256));
                assert_eq!(
                    md.signing_algorithms(),
                    &[aws_sdk_kms::types::SigningAlgorithmSpec::EcdsaSha256]
                );
                assert!(md.encryption_algorithms().is_empty());
            },
        ),
        (
            "HMAC_256 GENERATE_VERIFY_MAC",
            kms.create_key()
                .key_spec(KeySpec::Hmac256)
                .key_usage(KeyUsageType::GenerateVerifyMac),
            |md| {
                assert_eq!(md.key_spec(), Some(&KeySpec::Hmac256));
                assert_eq!(
                    md.mac_algorithms(),
                    &[aws_sdk_kms::types::MacAlgorithmSpec::HmacSha256]
                );
            },
        ),
        ("MultiRegion", kms.create_key().multi_region(true), |md| {
            assert!(md.key_id().starts_with("mrk-"), "{}", md.key_id());
            assert_eq!(md.multi_region(), Some(true));
        }),
        (
            "Origin EXTERNAL",
            kms.create_key().origin(OriginType::External),
            |md| {
                assert_eq!(md.origin(), Some(&OriginType::External));
                assert_eq!(md.key_state(), Some(&KeyState::PendingImport));
                assert!(!md.enabled());
            },
        ),
    ];
    for (name, request, check) in cases {
        match request.send().await {
            Ok(out) => check(out.key_metadata().expect("KeyMetadata")),
            Err(err) => {
                let failure = failure::<(), _>(Err(err));
                assert!(
                    matches!(
                        failure.code.as_str(),
                        "UnsupportedOperationException" | "ValidationException"
                    ) && failure.status == 400,
                    "{name}: {failure:?}"
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_are_all_served() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let mut tasks = Vec::new();
    for i in 0..32 {
        let kms = kms.clone();
        tasks.push(tokio::spawn(async move {
            let id = create_key(&kms).await;
            let plaintext = format!("message {i}");
            let blob = ok(kms
                .encrypt()
                .key_id(&id)
                .plaintext(aws_sdk_kms::primitives::Blob::new(plaintext.clone()))
                .send()
                .await)
            .ciphertext_blob
            .expect("CiphertextBlob");
            let dec = ok(kms.decrypt().ciphertext_blob(blob).send().await);
            assert_eq!(
                dec.plaintext().map(|b| b.as_ref()),
                Some(plaintext.as_bytes())
            );
            id
        }));
    }
    let mut ids = BTreeSet::new();
    for task in tasks {
        ids.insert(task.await.expect("task"));
    }
    assert_eq!(ids.len(), 32);
    let listed = ok(kms.list_keys().send().await);
    let listed: BTreeSet<String> = listed
        .keys()
        .iter()
        .filter_map(|k| k.key_id().map(str::to_owned))
        .collect();
    assert_eq!(listed, ids);
}

#[tokio::test]
async fn describe_key_accepts_every_key_id_form() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let (id, alias) = create_key_with_alias(&kms, "describe").await;
    for form in [id.clone(), key_arn(&id), alias.clone(), alias_arn(&alias)] {
        let out = ok(kms.describe_key().key_id(&form).send().await);
        let md = out.key_metadata().expect("KeyMetadata");
        assert_eq!(md.key_id(), id, "DescribeKey({form})");
        assert_eq!(md.arn(), Some(key_arn(&id).as_str()), "DescribeKey({form})");
    }
}

#[tokio::test]
async fn describe_key_unknown_keys_are_not_found() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let existing = create_key(&kms).await;

    let missing = random_uuid();
    let result = kms.describe_key().key_id(&missing).send().await;
    let err = result.as_ref().expect_err("unknown key");
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_not_found_exception()),
        "typed NotFoundException expected: {err:?}"
    );
    let message = expect_error(result, "NotFoundException");
    assert_eq!(
        message,
        format!("Key '{}' does not exist", key_arn(&missing))
    );

    let message = expect_error(
        kms.describe_key().key_id(key_arn(&missing)).send().await,
        "NotFoundException",
    );
    assert_eq!(
        message,
        format!("Key '{}' does not exist", key_arn(&missing))
    );

    // Not a UUID at all.
    let message = expect_error(
        kms.describe_key().key_id("fake-key-id").send().await,
        "NotFoundException",
    );
    assert_eq!(message, "Invalid keyId 'fake-key-id'");

    // Unknown alias, by name and by ARN.
    expect_error(
        kms.describe_key()
            .key_id("alias/does-not-exist")
            .send()
            .await,
        "NotFoundException",
    );
    expect_error(
        kms.describe_key()
            .key_id(alias_arn("alias/does-not-exist"))
            .send()
            .await,
        "NotFoundException",
    );

    // KeyId is 1–2048 characters.
    expect_error(
        kms.describe_key().key_id("").send().await,
        "ValidationException",
    );
    expect_error(
        kms.describe_key().key_id("k".repeat(2049)).send().await,
        "ValidationException",
    );

    // The key exists, but not in the Region the ARN names.
    expect_error(
        kms.describe_key()
            .key_id(format!("arn:aws:kms:eu-west-1:{ACCOUNT}:key/{existing}"))
            .send()
            .await,
        "NotFoundException",
    );
}

#[tokio::test]
async fn list_keys_pages_with_limit_and_marker() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let mut created = BTreeSet::new();
    for _ in 0..5 {
        created.insert(create_key(&kms).await);
    }

    let mut seen = Vec::new();
    let mut marker: Option<String> = None;
    let mut pages = 0;
    loop {
        pages += 1;
        assert!(pages <= 10, "ListKeys does not terminate");
        let out = ok(kms
            .list_keys()
            .limit(2)
            .set_marker(marker.clone())
            .send()
            .await);
        assert!(out.keys().len() <= 2, "page larger than Limit: {out:?}");
        for entry in out.keys() {
            let id = entry.key_id().expect("KeyId").to_owned();
            assert_eq!(entry.key_arn(), Some(key_arn(&id).as_str()));
            seen.push(id);
        }
        if out.truncated() {
            let next = out.next_marker().expect("NextMarker when Truncated");
            assert!(!next.is_empty());
            marker = Some(next.to_owned());
        } else {
            assert!(
                out.next_marker().is_none(),
                "NextMarker only when truncated"
            );
            break;
        }
    }
    let unique: BTreeSet<String> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "a key was listed twice: {seen:?}");
    assert_eq!(
        unique, created,
        "ListKeys must list exactly the created keys"
    );
    assert_eq!(pages, 3, "5 keys at 2 per page");

    // Without a Limit everything fits in one page.
    let all = ok(kms.list_keys().send().await);
    assert_eq!(all.keys().len(), 5);
    assert!(!all.truncated());
}

#[tokio::test]
async fn list_keys_works_with_the_sdk_paginator() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let mut created = BTreeSet::new();
    for _ in 0..3 {
        created.insert(create_key(&kms).await);
    }
    let items = kms
        .list_keys()
        .limit(1)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await;
    let items = ok(items);
    let ids: BTreeSet<String> = items
        .iter()
        .map(|e| e.key_id().expect("KeyId").to_owned())
        .collect();
    assert_eq!(items.len(), 3);
    assert_eq!(ids, created);
}

#[tokio::test]
async fn list_keys_rejects_bad_marker_and_limits() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    create_key(&kms).await;
    expect_error(
        kms.list_keys()
            .marker("not-a-marker-kmsd-issued")
            .send()
            .await,
        "InvalidMarkerException",
    );
    expect_error(kms.list_keys().limit(0).send().await, "ValidationException");
    expect_error(
        kms.list_keys().limit(1001).send().await,
        "ValidationException",
    );
    ok(kms.list_keys().limit(1000).send().await);
    ok(kms.list_keys().limit(1).send().await);
}

#[tokio::test]
async fn disable_and_enable_key() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let id = create_key(&kms).await;
    let blob = ok(kms
        .encrypt()
        .key_id(&id)
        .plaintext(aws_sdk_kms::primitives::Blob::new("secret"))
        .send()
        .await)
    .ciphertext_blob
    .expect("CiphertextBlob");

    // DisableKey is idempotent.
    ok(kms.disable_key().key_id(&id).send().await);
    ok(kms.disable_key().key_id(key_arn(&id)).send().await);
    let md = ok(kms.describe_key().key_id(&id).send().await);
    let md = md.key_metadata().expect("KeyMetadata");
    assert_eq!(md.key_state(), Some(&KeyState::Disabled));
    assert!(!md.enabled());

    // Crypto operations refuse a disabled key with AWS's exact wording.
    let disabled = format!("{} is disabled.", key_arn(&id));
    let result = kms
        .encrypt()
        .key_id(&id)
        .plaintext(aws_sdk_kms::primitives::Blob::new("x"))
        .send()
        .await;
    assert!(
        result
            .as_ref()
            .err()
            .and_then(|e| e.as_service_error())
            .is_some_and(|e| e.is_disabled_exception()),
        "typed DisabledException expected: {result:?}"
    );
    assert_eq!(expect_error(result, "DisabledException"), disabled);
    assert_eq!(
        expect_error(
            kms.generate_data_key()
                .key_id(&id)
                .key_spec(aws_sdk_kms::types::DataKeySpec::Aes256)
                .send()
                .await,
            "DisabledException"
        ),
        disabled
    );
    assert_eq!(
        expect_error(
            kms.generate_data_key_without_plaintext()
                .key_id(&id)
                .key_spec(aws_sdk_kms::types::DataKeySpec::Aes256)
                .send()
                .await,
            "DisabledException"
        ),
        disabled
    );
    assert_eq!(
        expect_error(
            kms.decrypt().ciphertext_blob(blob.clone()).send().await,
            "DisabledException"
        ),
        disabled
    );

    // Management operations still work on a disabled key.
    ok(kms
        .update_key_description()
        .key_id(&id)
        .description("while disabled")
        .send()
        .await);
    ok(kms
        .tag_resource()
        .key_id(&id)
        .tags(tag("k", "v"))
        .send()
        .await);
    ok(kms
        .create_alias()
        .alias_name(format!("alias/disabled-{}", unique()))
        .target_key_id(&id)
        .send()
        .await);

    // EnableKey is idempotent and restores service.
    ok(kms.enable_key().key_id(&id).send().await);
    ok(kms.enable_key().key_id(&id).send().await);
    let md = ok(kms.describe_key().key_id(&id).send().await);
    let md = md.key_metadata().expect("KeyMetadata");
    assert_eq!(md.key_state(), Some(&KeyState::Enabled));
    assert!(md.enabled());
    let plain = ok(kms.decrypt().ciphertext_blob(blob).send().await);
    assert_eq!(plain.plaintext().map(|b| b.as_ref()), Some(&b"secret"[..]));

    // Unknown keys.
    expect_error(
        kms.disable_key().key_id(random_uuid()).send().await,
        "NotFoundException",
    );
    expect_error(
        kms.enable_key().key_id(random_uuid()).send().await,
        "NotFoundException",
    );
}

#[tokio::test]
async fn update_key_description() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let id = create_key(&kms).await;

    ok(kms
        .update_key_description()
        .key_id(&id)
        .description("first")
        .send()
        .await);
    let md = ok(kms.describe_key().key_id(&id).send().await);
    assert_eq!(
        md.key_metadata().and_then(|m| m.description()),
        Some("first")
    );

    ok(kms
        .update_key_description()
        .key_id(key_arn(&id))
        .description("second")
        .send()
        .await);
    let md = ok(kms.describe_key().key_id(&id).send().await);
    assert_eq!(
        md.key_metadata().and_then(|m| m.description()),
        Some("second")
    );

    // The empty description is allowed and reads back as "".
    ok(kms
        .update_key_description()
        .key_id(&id)
        .description("")
        .send()
        .await);
    let md = ok(kms.describe_key().key_id(&id).send().await);
    assert_eq!(md.key_metadata().and_then(|m| m.description()), Some(""));

    expect_error(
        kms.update_key_description()
            .key_id(&id)
            .description("d".repeat(8193))
            .send()
            .await,
        "ValidationException",
    );
    expect_error(
        kms.update_key_description()
            .key_id(random_uuid())
            .description("x")
            .send()
            .await,
        "NotFoundException",
    );
}
